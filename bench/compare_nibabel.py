#!/usr/bin/python3
"""Times fbd's read_nifti (fbd_bench's cpu/read_nifti) and nibabel + NumPy
(np.asarray(nib.load(path).dataobj)) on the same file, in the same run: a 512 x 512 x 160 int16
.nii.gz made here in /tmp (MRI-like: smooth anatomy-like shapes plus noise, so it compresses as
a real scan does; not stored), removed afterwards.

    /usr/bin/python3 bench/compare_nibabel.py [--bench build/bench/fbd_bench] [--keep]

Both sides are single-threaded (gzip inflation is). fbd also converts to float32 and checks for
NaN; nibabel returns the stored int16 (no scaling). speedup = nibabel time / fbd time (above 1:
fbd is faster).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np

from compare_common import bench_seconds, time_host, write_json

SHAPE = (512, 512, 160)


def make_volume(path):
    rng = np.random.default_rng(0)
    x, y, z = np.ogrid[-1:1:SHAPE[0] * 1j, -1:1:SHAPE[1] * 1j, -1:1:SHAPE[2] * 1j]
    body = (x * x / 0.8 + y * y / 0.5 + z * z / 1.2 < 1).astype(np.float32) * 400
    breast = ((x - 0.35) ** 2 + (y + 0.45) ** 2 < 0.08) | ((x + 0.35) ** 2 + (y + 0.45) ** 2 < 0.08)
    vol = body + breast.astype(np.float32) * 300 + rng.normal(0, 25, SHAPE).astype(np.float32)
    aff = np.diag([0.7, 0.7, 2.0, 1.0])
    nib.save(nib.Nifti1Image(np.clip(vol, 0, 32767).astype(np.int16), aff), path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(root, "build", "bench", "fbd_bench"))
    ap.add_argument("--min-time", type=float, default=3.0, help="seconds per side")
    ap.add_argument("--keep", action="store_true", help="keep the /tmp file")
    ap.add_argument("--json-out", help="also write the result as JSON here")
    args = ap.parse_args()

    fd, path = tempfile.mkstemp(prefix="fbd-bench-", suffix=".nii.gz", dir="/tmp")
    os.close(fd)
    try:
        make_volume(path)
        size_mb = os.path.getsize(path) / 2**20
        env = dict(os.environ, FBD_BENCH_NIFTI=path, OMP_NUM_THREADS="1")
        out = subprocess.run([args.bench, "--benchmark_format=json", "--benchmark_filter=^cpu/read_nifti/",
                              f"--benchmark_min_time={args.min_time}"], capture_output=True, text=True, env=env,
                             check=True)
        b = json.loads(out.stdout)["benchmarks"][0]
        if b.get("error_occurred"):
            sys.exit(f"compare_nibabel: fbd_bench failed: {b.get('error_message')}")
        fbd_s = bench_seconds(b)
        nib_s = time_host(lambda: np.asarray(nib.load(path).dataobj), args.min_time, stat="median")
    finally:
        if not args.keep:
            os.remove(path)

    print(f"{SHAPE[0]} x {SHAPE[1]} x {SHAPE[2]} int16 .nii.gz ({size_mb:.1f} MiB); nibabel {nib.__version__}, "
          f"NumPy {np.__version__}; fbd: mean, nibabel: median of runs over {args.min_time:g} s each")
    print(f"{'case':16} {'fbd ms':>9} {'nibabel ms':>11} {'speedup':>8}")
    print(f"{'read .nii.gz':16} {fbd_s * 1e3:>9.1f} {nib_s * 1e3:>11.1f} {nib_s / fbd_s:>8.2f}")
    write_json(args.json_out, shape=list(SHAPE), file_mib=size_mb, fbd_ms=fbd_s * 1e3, nibabel_ms=nib_s * 1e3,
               speedup=nib_s / fbd_s)


if __name__ == "__main__":
    main()
