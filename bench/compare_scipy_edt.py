#!/usr/bin/python3
"""Runs fbd_bench's EDT, signed-distance and metric cases and the same work in SciPy / NumPy
(and, where a GPU and CuPy are present, CuPy's cupyx.scipy.ndimage.distance_transform_edt) in
the same run, on the same 16 x 256 x 256 masks (bench/edt_metrics.h), and the 3-D EDT of one
160 x 256 x 256 volume with spacing (2, 0.7, 0.7) (SciPy: distance_transform_edt(v, sampling)),
and prints both times and their ratios.

    /usr/bin/python3 bench/compare_scipy_edt.py [--bench build/bench/fbd_bench] [--device cpu|cuda|all]

SciPy and CuPy take one image per call (their API is per image), so their time is the loop over
the 16 images; fbd's call is batched. speedup = other time / fbd time (above 1: fbd is faster).
The signed map on the SciPy side is docs/LOSSES.md's phi as a Python user writes it (two EDTs per
image); the metrics are the NumPy/SciPy reference of tests/reference/make_metric_fixtures.py
(MONAI's HD95 convention written in NumPy; MONAI is not installed). CuPy cases are timed with
CUDA events after an L2 flush, like fbd's.
"""
import argparse
import json
import os
import subprocess
import sys


import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt

from compare_common import bench_seconds, time_cupy, time_host, write_json

B, S = 16, 256
VOL_D, VOL_S, VOL_SPACING = 160, 256, (2.0, 0.7, 0.7)


def ellipse_masks(dy=0, dx=0, grow=0):
    """bench/edt_metrics.h's masks, in the same integer arithmetic."""
    yy, xx = np.mgrid[:S, :S].astype(np.int64)
    m = np.zeros((B, S, S), dtype=bool)
    for i in range(B):
        cy, cx = 64 + (37 * i) % 128 + dy, 64 + (53 * i) % 128 + dx
        ry, rx = 12 + (7 * i) % 40 + grow, 10 + (11 * i) % 44 + grow
        m[i] = (yy - cy) ** 2 * rx * rx + (xx - cx) ** 2 * ry * ry <= rx * rx * ry * ry
    return m


def ellipsoid_volume():
    """bench/edt_metrics.h's 3-D volume, in the same integer arithmetic."""
    zz, yy, xx = np.mgrid[:VOL_D, :VOL_S, :VOL_S].astype(np.int64)
    cz, cy, cx, rz, ry, rx = 80, 120, 136, 30, 70, 90
    return ((zz - cz) ** 2 * ry * ry * rx * rx + (yy - cy) ** 2 * rz * rz * rx * rx
            + (xx - cx) ** 2 * rz * rz * ry * ry <= rz * rz * ry * ry * rx * rx)


def phi_np(g, edt):
    """docs/LOSSES.md's phi (the benchmark's masks are never empty or full, so no special case)."""
    return edt(~g) * ~g - (edt(g) - 1) * g


def metrics_np(p, t):
    """Per-image Dice, IoU, HD, HD95 (MONAI convention), boundary IoU: the work fbd's case does."""
    tp, fp, fn = np.sum(p & t), np.sum(p & ~t), np.sum(~p & t)
    bp, bt = p & ~binary_erosion(p), t & ~binary_erosion(t)
    d_pt = distance_transform_edt(~bt)[bp]
    d_tp = distance_transform_edt(~bp)[bt]
    hd95 = max(np.percentile(d_pt, 95), np.percentile(d_tp, 95))
    d = max(1, int(round(0.02 * np.hypot(*p.shape))))
    band = lambda a: a & ~binary_erosion(np.pad(a, 1), np.ones((3, 3)), iterations=d, border_value=1)[1:-1, 1:-1]
    cp, ct = band(p), band(t)
    return 2 * tp / (2 * tp + fp + fn), max(d_pt.max(), d_tp.max()), hd95, np.sum(cp & ct) / np.sum(cp | ct)


def time_cpu(fn, min_time):
    return time_host(fn, min_time, stat="median")


def cupy_cases():
    try:
        import cupy as cp
        from cupyx.scipy.ndimage import distance_transform_edt as cupy_edt
        cp.zeros(1).sum()
    except Exception as e:  # no CuPy, or no GPU for it
        print(f"compare_scipy_edt: CuPy unavailable ({type(e).__name__}: {e}); CuPy columns left empty",
              file=sys.stderr)
        return {}
    g = [cp.asarray(a) for a in ellipse_masks()]
    vol = cp.asarray(ellipsoid_volume())
    return {
        "edt": lambda: [cupy_edt(a) for a in g],
        "signed_distance": lambda: [phi_np(a, cupy_edt) for a in g],
        "edt3d": lambda: cupy_edt(vol, sampling=VOL_SPACING),
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(root, "build", "bench", "fbd_bench"))
    ap.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per case on each side")
    ap.add_argument("--json-out", help="also write the table as JSON here")
    args = ap.parse_args()

    threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count()))
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    pattern = "^(" + "|".join(devices) + ")/(edt|edt3d|signed_distance|metrics)/"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter={pattern}",
                          f"--benchmark_min_time={args.min_time}"], capture_output=True, text=True, env=env, check=True)
    report = json.loads(out.stdout)

    g, p = ellipse_masks(), ellipse_masks(3, -4, 2)
    vol = ellipsoid_volume()
    scipy_fn = {
        "edt3d": lambda: distance_transform_edt(vol, sampling=VOL_SPACING),
        "edt": lambda: [distance_transform_edt(a) for a in g],
        "signed_distance": lambda: [phi_np(a, distance_transform_edt) for a in g],
        "metrics": lambda: [metrics_np(p[i], g[i]) for i in range(B)],
    }
    scipy_s = {case: time_cpu(fn, args.min_time) for case, fn in scipy_fn.items()}
    cupy_s = {}
    if any(b["name"].startswith("cuda/") for b in report["benchmarks"]):
        cupy_s = {case: time_cupy(fn, args.min_time) for case, fn in cupy_cases().items()}

    rows = []
    for b in report["benchmarks"]:
        dev, case = b["name"].split("/")[:2]
        fbd_s = bench_seconds(b)
        row = dict(case=f"{dev}/{case}", fbd_ms=fbd_s * 1e3, scipy_ms=scipy_s[case] * 1e3,
                   vs_scipy=scipy_s[case] / fbd_s)
        if dev == "cuda" and case in cupy_s:
            row.update(cupy_ms=cupy_s[case] * 1e3, vs_cupy=cupy_s[case] / fbd_s)
        rows.append(row)

    import scipy
    print(f"batch {B} x 1 x {S} x {S}; edt3d: one {VOL_D} x {VOL_S} x {VOL_S} volume, spacing {VOL_SPACING}; "
          f"fbd threads {threads}; SciPy {scipy.__version__} (one thread, one image per call)")
    print(f"{'case':24} {'fbd ms':>9} {'scipy ms':>9} {'vs scipy':>9} {'cupy ms':>9} {'vs cupy':>8}")
    for r in rows:
        cupy = f"{r['cupy_ms']:>9.3f} {r['vs_cupy']:>8.2f}" if "cupy_ms" in r else f"{'-':>9} {'-':>8}"
        print(f"{r['case']:24} {r['fbd_ms']:>9.3f} {r['scipy_ms']:>9.3f} {r['vs_scipy']:>9.1f} {cupy}")
    write_json(args.json_out, context=report["context"], threads=threads, rows=rows)


if __name__ == "__main__":
    main()
