#!/usr/bin/python3
"""Writes the fixtures of tests/data/: PNG files made by an encoder independent of fbd's
(Python's zlib and struct) with the values they must decode to, and a Gaussian blur computed
by SciPy (the C++ tests read them; CI needs no Python: the files are committed).

    /usr/bin/python3 tests/reference/make_data_fixtures.py
"""
import os
import struct
import zlib

import numpy as np
from scipy import ndimage

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "data")
os.makedirs(out, exist_ok=True)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(path, width, height, bit_depth, color_type, rows, palette=None):
    """rows: list of bytes objects, each one scanline without its filter byte."""
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 (None) on every row
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    with open(os.path.join(out, path), "wb") as f:
        f.write(data)


# 16-bit gray, 5 rows x 7 columns, values across the whole range (big-endian samples).
g16 = (np.arange(35, dtype=np.int64).reshape(5, 7) * 1931 + 17) % 65536
g16[0, 0], g16[4, 6] = 0, 65535
png("gray16_5x7.png", 7, 5, 16, 0, [b"".join(struct.pack(">H", int(v)) for v in r) for r in g16])
np.save(os.path.join(out, "gray16_5x7.npy"), g16.astype("<f4"))

# 8-bit RGB, 3 rows x 4 columns; gray = BT.601 luma rounded, (299 R + 587 G + 114 B + 500) // 1000.
rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
                [[10, 20, 30], [200, 100, 50], [0, 0, 0], [128, 128, 128]],
                [[1, 2, 3], [250, 250, 5], [77, 0, 200], [33, 66, 99]]], dtype=np.int64)
png("rgb8_3x4.png", 4, 3, 8, 2, [bytes(r.reshape(-1).astype(np.uint8)) for r in rgb])
luma = (299 * rgb[..., 0] + 587 * rgb[..., 1] + 114 * rgb[..., 2] + 500) // 1000
np.save(os.path.join(out, "rgb8_3x4_gray.npy"), luma.astype("<f4"))

# 4-bit palette, 2 rows x 6 columns, a gray palette of 16 entries (entry i = 17 i).
idx = np.array([[0, 1, 2, 3, 15, 14], [7, 8, 9, 0, 5, 10]], dtype=np.int64)
rows = [bytes((int(r[2 * i]) << 4) | int(r[2 * i + 1]) for i in range(3)) for r in idx]
png("palette4_2x6.png", 6, 2, 4, 3, rows, palette=[(17 * i, 17 * i, 17 * i) for i in range(16)])
np.save(os.path.join(out, "palette4_2x6_gray.npy"), (17 * idx).astype("<f4"))

# 8-bit gray + alpha: the alpha channel is ignored.
ga = np.array([[[0, 255], [100, 0], [255, 128]]], dtype=np.uint8)
png("gray_alpha8_1x3.png", 3, 1, 8, 4, [bytes(ga.reshape(-1))])

# Gaussian blur of a random image by SciPy (mode 'mirror' is OpenCV's BORDER_REFLECT_101):
# kernel size 5, sigma 1.3, the normalised exp(-d^2 / (2 sigma^2)).
rng = np.random.default_rng(7)
img = rng.random((9, 11)).astype(np.float64)
d = np.arange(5) - 2
k = np.exp(-d * d / (2 * 1.3 * 1.3))
k /= k.sum()
blur = ndimage.correlate1d(ndimage.correlate1d(img, k, axis=1, mode="mirror"), k, axis=0, mode="mirror")
np.save(os.path.join(out, "blur_in_9x11.npy"), img.astype("<f4"))
np.save(os.path.join(out, "blur_k5_s1.3_9x11.npy"), blur.astype("<f4"))
print("wrote", sorted(os.listdir(out)))

# A small data set with one problem of each kind, for `fbd check-data` (tests/cli/data.cmake):
# a.png fine; b's mask holds 0, 128 and 255; c.png is cut short; d.png has no mask; e's mask is
# 4x4 for an 8x8 image.
bad = os.path.join(out, "bad_set")
for sub in ("images", "masks"):
    os.makedirs(os.path.join(bad, sub), exist_ok=True)


def gray8(path, arr):
    png(os.path.relpath(path, out), arr.shape[1], arr.shape[0], 8, 0, [bytes(r.astype(np.uint8)) for r in arr])


img = (np.arange(64).reshape(8, 8) * 3).astype(np.uint8)
square = np.zeros((8, 8), np.uint8)
square[2:5, 3:6] = 255
for name in ("a", "b", "c", "d", "e"):
    gray8(os.path.join(bad, "images", name + ".png"), img)
gray8(os.path.join(bad, "masks", "a.png"), square)
b_mask = np.where(square > 0, 128, 0)
b_mask[0, 0] = 255
gray8(os.path.join(bad, "masks", "b.png"), b_mask)
gray8(os.path.join(bad, "masks", "c.png"), square)
gray8(os.path.join(bad, "masks", "e.png"), square[:4, :4])
with open(os.path.join(bad, "images", "c.png"), "rb") as f:
    data = f.read()
with open(os.path.join(bad, "images", "c.png"), "wb") as f:
    f.write(data[: len(data) // 2])
print("wrote", sorted(os.listdir(os.path.join(bad, "images"))), sorted(os.listdir(os.path.join(bad, "masks"))))
