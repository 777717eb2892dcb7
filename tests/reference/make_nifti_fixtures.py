#!/usr/bin/python3
"""Writes the fixtures of tests/data/test_nifti.cpp: what nibabel reads from NIfTI files made by
others, so that the C++ test can check fbd's reader against it without Python.

  - tests/fixtures/nifti/nibabel_expected.json: for each file below, its size in bytes (the
    test skips a file whose size differs: another nibabel release may ship another file), the
    shape as fbd sees it (nx, ny, nz, channels), the spacing, the affine nibabel chooses
    (img.affine), the orientation code (aff2axcodes), and a summary of the voxel values as
    np.asarray(img.dataobj) gives them, scaling applied: sum, sum of squares and a few voxels
    sampled by index.
  - Files made here with nibabel, so that some cases run even where python3-nibabel is not
    installed (a few KB each): big-endian int16 with scl_slope / scl_inter and a rotated qform
    only; NIfTI-2 float64 with a sheared sform, gzip-compressed; 4-D uint8 with two channels;
    uint16, int8, int32, uint32 and float32 with sform and qform differing; a .hdr + .img pair.

    /usr/bin/python3 tests/reference/make_nifti_fixtures.py
"""
import json
import os

import nibabel as nib
import numpy as np
from nibabel.orientations import aff2axcodes

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "fixtures", "nifti")
os.makedirs(out, exist_ok=True)
nibabel_data = os.path.join(os.path.dirname(nib.__file__), "tests", "data")

# Files in python3-nibabel's test data, read by the test from that folder.
NIBABEL_FILES = [
    "anatomical.nii",  # NIfTI-1, 3-D
    "example4d.nii.gz",  # 4-D: two volumes become two channels
    "example_nifti2.nii.gz",  # NIfTI-2
    "standard.nii.gz",  # tiny, uint8
    "functional.nii",  # 4-D, 20 volumes
    "reoriented_anat_moved.nii",  # a rotated grid (float32)
    "resampled_anat_moved.nii",  # NaN outside the resampled field of view: fbd must refuse it
]


def summary(path, name):
    img = nib.load(path)
    data = np.asarray(img.get_fdata(dtype=np.float64))
    shape = list(data.shape) + [1] * (4 - data.ndim)
    data4 = data.reshape(shape, order="A")
    nx, ny, nz, nc = shape
    # Voxels sampled by index: the corners, the centre and a few scattered ones (seeded).
    rng = np.random.default_rng(7)
    idx = [(0, 0, 0, 0), (nx - 1, ny - 1, nz - 1, nc - 1), (nx // 2, ny // 2, nz // 2, nc // 2)]
    idx += [tuple(int(rng.integers(0, s)) for s in shape) for _ in range(9)]
    hdr = img.header
    # Values as fbd returns them: float32 after scaling in float64.
    f32 = data4.astype(np.float32).astype(np.float64)
    bad = ~np.isfinite(f32)
    values = {
        "sum": float(f32.sum()),
        "sum_sq": float((f32 * f32).sum()),
        "samples": [list(i) + [float(f32[i])] for i in idx],
    }
    if bad.any():
        # fbd refuses NaN / infinite voxels: the count and the first in NIfTI's memory order
        # (x fastest), for the error message the test expects.
        first = np.unravel_index(np.flatnonzero(bad.ravel(order="F"))[0], shape, order="F")
        values = {"non_finite": int(bad.sum()), "first_non_finite": [int(i) for i in first]}
    return {
        "file": name,
        "bytes": os.path.getsize(path),
        "nifti_version": 2 if isinstance(img, nib.Nifti2Image) else 1,
        "shape": shape,
        "spacing": [float(z) for z in hdr.get_zooms()[:3]],
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        "affine": [[float(v) for v in row] for row in img.affine[:3]],
        "orientation": "".join(aff2axcodes(img.affine)),
        **values,
    }


def save(img, name):
    nib.save(img, os.path.join(out, name))
    return name


made = []
rng = np.random.default_rng(1)

# Big-endian int16, scaled, with a rotated qform and no sform.
a = rng.integers(-300, 300, size=(7, 6, 5)).astype(np.int16)
hdr = nib.Nifti1Header(endianness=">")
img = nib.Nifti1Image(a, None, header=hdr)
rot = np.array([[0.0, -1.0, 0.0], [0.8, 0.0, -0.6], [0.6, 0.0, 0.8]])
aff = np.eye(4)
aff[:3, :3] = rot * [0.9, 1.1, 2.5]
aff[:3, 3] = [-10.5, 20.25, 33.0]
img.set_qform(aff, code=1)
img.set_sform(None, code=0)
img.header.set_slope_inter(0.5, 10.0)
made.append(save(img, "be_int16_scaled_qform.nii"))

# NIfTI-2, float64, sheared sform (code 2) and a different qform (code 1), gzip.
a = rng.normal(size=(6, 5, 4)) * 100
aff = np.array([[1.2, 0.3, 0.0, 5.0], [0.0, -0.9, 0.2, -3.0], [0.1, 0.0, 3.0, 7.0], [0, 0, 0, 1]])
img = nib.Nifti2Image(a.astype(np.float64), aff)
img.set_sform(aff, code=2)
img.set_qform(np.diag([1.0, 1.0, 3.0, 1.0]), code=1)
made.append(save(img, "nifti2_float64_sheared.nii.gz"))

# 4-D uint8, two channels, LPS-like sform.
a = rng.integers(0, 256, size=(5, 4, 3, 2)).astype(np.uint8)
img = nib.Nifti1Image(a, np.diag([-0.7, -0.7, 2.0, 1.0]))
img.header.set_data_dtype(np.uint8)
made.append(save(img, "uint8_4d.nii.gz"))

# Other integer types and float32, each with sform (code 1) and a qform that differs (code 1).
for dtype, name in [(np.uint16, "uint16"), (np.int8, "int8"), (np.int32, "int32"), (np.uint32, "uint32"),
                    (np.float32, "float32")]:
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    lo, hi = (info.min, info.max) if info else (-1e6, 1e6)
    a = rng.uniform(lo, hi, size=(4, 3, 3)).astype(dtype)
    a.flat[0] = lo  # the extremes survive the conversion to float32 exactly or nearly
    a.flat[1] = hi
    img = nib.Nifti1Image(a, np.diag([0.5, 0.6, 0.7, 1.0]))
    img.header.set_data_dtype(dtype)
    img.set_qform(np.diag([0.5, 0.6, 0.7, 1.0]) + np.array([[0, 0, 0, 1.0]] * 3 + [[0, 0, 0, 0]]), code=1)
    made.append(save(img, name + "_sform.nii"))

# A header + image pair (.hdr / .img, magic "ni1", vox_offset 0), read through the .hdr.
a = rng.integers(-1000, 1000, size=(3, 4, 2)).astype(np.int16)
made.append(save(nib.Nifti1Pair(a, np.diag([1.5, 1.5, 3.0, 1.0])), "pair_int16.hdr"))

expected = {"made_here": [summary(os.path.join(out, n), n) for n in made], "nibabel_data": []}
for name in NIBABEL_FILES:
    path = os.path.join(nibabel_data, name)
    if os.path.exists(path):
        expected["nibabel_data"].append(summary(path, name))
    else:
        print("not found (left out):", path)

with open(os.path.join(out, "nibabel_expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print("wrote", sorted(os.listdir(out)))
