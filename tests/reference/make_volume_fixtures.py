#!/usr/bin/python3
"""Writes the golden files of tests/losses/test_edt3d.cpp and tests/losses/test_volume_metrics.cpp
into tests/fixtures/metrics/ (edt3d_* and vm_*; committed, CI runs no Python).

    /usr/bin/python3 tests/reference/make_volume_fixtures.py

References:
  * 3-D EDT: scipy.ndimage.distance_transform_edt (float64) of each volume, with unit spacing and
    with sampling=(2.0, 0.7, 0.7), stored as float32 (the rounding fbd's float result must match).
  * Volume metrics (losses/volume_metrics.h), written here in NumPy/SciPy as MONAI defines them
    (MONAI is not installed): surface = mask & ~binary_erosion(mask, 6-connected cross,
    border_value=0); directed distances = distance_transform_edt(~other_surface, sampling) read
    on this surface; HD = max of both maxima; HD95 = max of the two directed
    np.percentile(..., 95); ASSD = mean of both directed sets concatenated (MONAI's symmetric
    average surface distance); volumes in ml = voxel count * voxel volume (mm^3) / 1000.
"""
import os

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "metrics")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261130)


def save(name, a):
    np.save(os.path.join(out, name), a)


def edt_batch(m, sampling=None):
    return np.stack([distance_transform_edt(a, sampling=sampling) for a in m]).astype(np.float32)


# ---- 3-D EDT -------------------------------------------------------------------------------
# Distance to the nearest zero voxel: random zeros (about one voxel in five), and a single zero
# voxel in a corner (distances across the whole volume). No zero at all is left to the C++ test
# (SciPy has no defined answer there).
m = rng.uniform(size=(2, 9, 11, 13)) < 0.8
m[1] = True
m[1, 8, 0, 12] = False
save("edt3d_input.npy", m.astype(np.uint8))
save("edt3d_unit.npy", edt_batch(m))
save("edt3d_aniso.npy", edt_batch(m, sampling=(2.0, 0.7, 0.7)))

# A long z axis with few zeros: distances along z up to the whole length.
long_z = rng.uniform(size=(1, 200, 3, 3)) < 0.995
save("edt3d_longz_input.npy", long_z.astype(np.uint8))
save("edt3d_longz_aniso.npy", edt_batch(long_z, sampling=(2.0, 0.7, 0.7)))

# ---- volume metrics ------------------------------------------------------------------------
VM_SPACING = (2.5, 0.75, 0.6)  # (sz, sy, sx) in mm: coarse slices, as in breast MRI
CROSS = generate_binary_structure(3, 1)


def ellipsoids(d, h, w, count, spacing):
    """Random ellipsoids, round in millimetres (so thin in z, in voxels)."""
    zz, yy, xx = np.mgrid[:d, :h, :w].astype(np.float64)
    zz, yy, xx = zz * spacing[0], yy * spacing[1], xx * spacing[2]
    a = np.zeros((d, h, w), dtype=bool)
    for _ in range(count):
        c = [rng.uniform(0, n * s) for n, s in zip((d, h, w), spacing)]
        r = rng.uniform(2.0, 6.0, size=3)
        a |= ((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1
    return a


def surface(a):
    return a & ~binary_erosion(a, structure=CROSS, border_value=0)


def volume_metrics(p, t, sampling):
    """The row of vm_expected.npy: dice, iou, precision, sensitivity, specificity, hd, hd95,
    assd, pred_ml, target_ml."""
    tp, fp = float(np.sum(p & t)), float(np.sum(p & ~t))
    fn, tn = float(np.sum(~p & t)), float(np.sum(~p & ~t))
    ratio = lambda a, b, empty: empty if b == 0 else a / b
    row = [ratio(2 * tp, 2 * tp + fp + fn, 1.0), ratio(tp, tp + fp + fn, 1.0), ratio(tp, tp + fp, np.nan),
           ratio(tp, tp + fn, np.nan), ratio(tn, tn + fp, np.nan)]
    sp, st = surface(p), surface(t)
    if not sp.any() and not st.any():
        hd = hd95 = assd = 0.0
    elif not sp.any() or not st.any():
        hd = hd95 = assd = float(np.sqrt(sum(((n - 1) * s) ** 2 for n, s in zip(p.shape, sampling))))
    else:
        d_pt = distance_transform_edt(~st, sampling=sampling)[sp]
        d_tp = distance_transform_edt(~sp, sampling=sampling)[st]
        hd = max(d_pt.max(), d_tp.max())
        hd95 = max(np.percentile(d_pt, 95), np.percentile(d_tp, 95))
        assd = np.mean(np.concatenate((d_pt, d_tp)))
    ml = np.prod(sampling) / 1000.0
    return row + [hd, hd95, assd, (tp + fp) * ml, (tp + fn) * ml]


k, d, h, w = 4, 10, 14, 16
t = np.stack([ellipsoids(d, h, w, 2, VM_SPACING) for _ in range(k)])
p = np.stack([ellipsoids(d, h, w, 2, VM_SPACING) for _ in range(k)])
p[0] = t[0]
p[0, d // 2, 1, 1] ^= True  # a near-perfect prediction with one far-off speck: hd > hd95
p[1] = np.roll(t[1], (1, 2, -1), axis=(0, 1, 2))  # a shifted copy
p[1, :, :, 0] = True  # touching the border
t[3, :, :, -3:] = True
save("vm_pred.npy", p.astype(np.uint8))
save("vm_target.npy", t.astype(np.uint8))
save("vm_expected.npy", np.array([volume_metrics(p[i], t[i], VM_SPACING) for i in range(k)]))
print("wrote", sorted(f for f in os.listdir(out) if f.startswith(("edt3d_", "vm_"))))
