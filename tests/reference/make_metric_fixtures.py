#!/usr/bin/python3
"""Writes the golden files of tests/losses/test_edt.cpp and tests/losses/test_metrics.cpp into
tests/fixtures/metrics/ (committed; CI runs no Python).

    /usr/bin/python3 tests/reference/make_metric_fixtures.py

References:
  * EDT: scipy.ndimage.distance_transform_edt (float64), with and without `sampling`.
  * Signed distance map: docs/LOSSES.md's phi (the boundary-loss repository's one_hot2dist with
    SciPy's EDT), with fbd's choice phi = 0 for an empty or a full mask.
  * Metrics: MONAI and medpy are not installed here, so their conventions are written below in
    NumPy/SciPy from docs/LOSSES.md: boundary = mask minus scipy's binary_erosion (default cross,
    border_value=0); directed distances = distance_transform_edt(~other_boundary, sampling)
    read on this boundary; HD = max of both maxima; HD95 = max of the two directed
    np.percentile(..., 95) (MONAI's convention) and, as an extra column, np.percentile of the
    pooled distances (medpy's); boundary IoU / Dice = Cheng et al. 2021's definition (mask minus
    its erosion, d times by a 3x3 square, of the mask padded with one background pixel,
    d = max(1, round(0.02 * sqrt(H^2 + W^2)))), here with scipy's binary_erosion.
"""
import os

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "metrics")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261127)


def save(name, a):
    np.save(os.path.join(out, name), a)


def blobs(n, h, w, max_blobs=3, rmin=2, rmax=12):
    yy, xx = np.mgrid[:h, :w]
    m = np.zeros((n, h, w), dtype=bool)
    for i in range(n):
        for _ in range(rng.integers(1, max_blobs + 1)):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            ry, rx = rng.uniform(rmin, rmax, size=2)
            m[i] |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return m


def edt_batch(m, sampling=None):
    return np.stack([distance_transform_edt(a, sampling=sampling) for a in m])


def signed_map(g):
    phi = np.zeros(g.shape, dtype=np.float64)
    for i, a in enumerate(g):
        if a.any() and not a.all():
            phi[i] = distance_transform_edt(~a) * ~a - (distance_transform_edt(a) - 1) * a
    return phi


# ---- EDT -------------------------------------------------------------------------------
# Distance to the nearest zero: random blobs as zeros (mostly nonzero images), random noise,
# one zero pixel, and no zero at all is left to the C++ test (SciPy has no defined answer).
m = ~blobs(5, 40, 52)
m[3] = rng.uniform(size=(40, 52)) < 0.9
m[4] = True
m[4, 17, 3] = False
save("edt_input.npy", m.astype(np.uint8))
save("edt_unit.npy", edt_batch(m))
save("edt_aniso.npy", edt_batch(m, sampling=(2.5, 0.7)))

# One axis longer than 1024: few zeros, so distances along the long axis are long.
long_rows = rng.uniform(size=(2, 6, 1500)) < 0.997
long_rows[1] = True
long_rows[1, 0, 0] = False  # a single zero at a corner: distances up to the whole length
save("edt_long_rows_input.npy", long_rows.astype(np.uint8))
save("edt_long_rows_unit.npy", edt_batch(long_rows))
save("edt_long_rows_aniso.npy", edt_batch(long_rows, sampling=(0.5, 1.75)))
long_cols = rng.uniform(size=(1, 1300, 5)) < 0.996
save("edt_long_cols_input.npy", long_cols.astype(np.uint8))
save("edt_long_cols_unit.npy", edt_batch(long_cols))
save("edt_long_cols_aniso.npy", edt_batch(long_cols, sampling=(1.3, 3.0)))

# ---- signed distance map -----------------------------------------------------------------
g = blobs(6, 33, 47)
g[4] = False  # empty
g[5] = True   # full
save("sdm_mask.npy", g.astype(np.float32))
save("sdm_unit.npy", signed_map(g))

# ---- metrics -----------------------------------------------------------------------------


def boundary(a):
    return a & ~binary_erosion(a)


def cheng_band(a, ratio=0.02):
    h, w = a.shape
    d = max(1, int(round(ratio * np.sqrt(h * h + w * w))))
    padded = np.pad(a, 1, constant_values=False)
    eroded = binary_erosion(padded, structure=np.ones((3, 3), dtype=bool), iterations=d, border_value=1)
    return a & ~eroded[1:-1, 1:-1]


def metrics(p, t, sampling=(1.0, 1.0)):
    """One row: the columns of fbd::Metric in order, then the pooled (medpy) HD95."""
    tp = float(np.sum(p & t))
    fp = float(np.sum(p & ~t))
    fn = float(np.sum(~p & t))
    tn = float(np.sum(~p & ~t))
    ratio = lambda a, b, empty: empty if b == 0 else a / b
    iou = ratio(tp, tp + fp + fn, 1.0)
    row = [ratio(2 * tp, 2 * tp + fp + fn, 1.0), iou, 0.5 * (iou + ratio(tn, tn + fp + fn, 1.0)),
           ratio(tp, tp + fp, np.nan), ratio(tp, tp + fn, np.nan), ratio(tn, tn + fp, np.nan),
           (tp + tn) / p.size]
    bp, bt = boundary(p), boundary(t)
    if not bp.any() and not bt.any():
        hd = hd95 = pooled = 0.0
    elif not bp.any() or not bt.any():
        h, w = p.shape
        hd = hd95 = pooled = float(np.hypot((h - 1) * sampling[0], (w - 1) * sampling[1]))
    else:
        d_pt = distance_transform_edt(~bt, sampling=sampling)[bp]
        d_tp = distance_transform_edt(~bp, sampling=sampling)[bt]
        hd = max(d_pt.max(), d_tp.max())
        hd95 = max(np.percentile(d_pt, 95), np.percentile(d_tp, 95))  # MONAI
        pooled = np.percentile(np.hstack((d_pt, d_tp)), 95)  # medpy
    cp, ct = cheng_band(p), cheng_band(t)
    inter, union = float(np.sum(cp & ct)), float(np.sum(cp | ct))
    row += [hd, hd95, ratio(inter, union, 1.0), ratio(2 * inter, float(cp.sum() + ct.sum()), 1.0), pooled]
    return row


n, h, w = 12, 48, 64
t = blobs(n, h, w, max_blobs=2, rmin=3, rmax=14)
noise = rng.normal(0, 0.25, size=(n, h, w))
prob = np.clip(np.where(blobs(n, h, w, max_blobs=2, rmin=3, rmax=14), 0.75, 0.25) + noise, 0, 1)
prob[0] = np.where(t[0], 0.9, 0.1)   # perfect prediction
t[1] = False
prob[1] = 0.1                         # both empty
prob[2] = 0.2                         # prediction empty, target not
t[3] = False                          # target empty, prediction not
t[4] = True                           # full target (no negatives)
t[5] = False
t[5, 20, 30] = True                   # single-pixel target
prob[5] = 0.0
prob[5, 20, 31] = 0.5                 # single predicted pixel, exactly at the threshold
prob[6, :, :3] = 1.0                  # touches the image border
t[6, :, :2] = True
prob = prob.astype(np.float32)
p = prob >= 0.5
save("metrics_pred.npy", prob)
save("metrics_target.npy", t.astype(np.uint8))
save("metrics_expected.npy", np.array([metrics(p[i], t[i]) for i in range(n)]))
save("metrics_expected_spacing.npy", np.array([metrics(p[i], t[i], sampling=(1.5, 0.8)) for i in range(n)]))

# A file shorter than its header says (the CLI's truncated-input test).
import io
buf = io.BytesIO()
np.save(buf, np.zeros((2, 8, 8), dtype=np.float32))
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(buf.getvalue()[:300])
print("wrote", sorted(os.listdir(out)))
