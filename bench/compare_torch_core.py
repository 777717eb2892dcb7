#!/usr/bin/python3
"""Runs fbd_bench and the same workloads in PyTorch (eager, out= variants, so neither side
allocates in the timed loop) in the same run, and prints both times and their ratio.

    /usr/bin/python3 bench/compare_torch_core.py [--bench build/bench/fbd_bench] [--device cpu|cuda|all]

Uses Debian's python3-torch (scripts/install-deps.sh --bench); that is /usr/bin/python3's torch,
not a pyenv/venv interpreter's. PyTorch runs with the same thread count as fbd's OpenMP
(OMP_NUM_THREADS, default: all cores). GPU cases flush the L2 cache before every repetition on
both sides. speedup = torch time / fbd time (above 1: fbd is faster).
"""
import argparse
import json
import os
import subprocess
import sys

from compare_common import add_standard_args, bench_seconds, context_line, print_table, setup_torch, time_torch, write_json

try:
    import torch
except ImportError:
    sys.exit("compare_torch_core: PyTorch not found; run scripts/install-deps.sh --bench and use /usr/bin/python3")


def torch_case(name, n, dev):
    """Returns a zero-argument callable doing the PyTorch twin of fbd case `name` on n elements."""
    t = lambda v, m=n: torch.full((m,), v, dtype=torch.float32, device=dev)
    C, B = 32, 16
    x, y = t(0.5), t(0.0)
    if name == "copy":
        return lambda: y.copy_(x)
    if name == "sigmoid":
        return lambda: torch.sigmoid(x, out=y)
    if name == "exp":
        return lambda: torch.exp(x, out=y)
    if name == "relu":
        return lambda: torch.clamp(x, min=0.0, out=y)
    if name == "sigmoid_backward":
        yy, gy, gx = t(0.6), t(1.0), t(0.0)
        return lambda: torch.ops.aten.sigmoid_backward.grad_input(gy, yy, grad_input=gx)
    if name == "add":
        a, b, c = t(1.0), t(2.0), t(0.0)
        return lambda: torch.add(a, b, out=c)
    if name == "mul_per_channel":
        a, c = t(1.0).view(B, C, -1), t(0.0).view(B, C, -1)
        s = torch.full((1, C, 1), 2.0, device=dev)
        return lambda: torch.mul(a, s, out=c)
    if name == "sum_all":
        return lambda: torch.sum(x)
    if name == "sum_per_channel":
        o = torch.zeros(C, device=dev)
        xv = x.view(B, C, -1)
        return lambda: torch.sum(xv, dim=(0, 2), out=o)
    if name == "sum_per_image":
        o = torch.zeros(B, device=dev)
        xv = x.view(B, -1)
        return lambda: torch.sum(xv, dim=1, out=o)
    if name == "uniform":
        return lambda: x.uniform_()
    if name == "normal":
        return lambda: x.normal_()
    return None


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=0.3)
    args = ap.parse_args()

    threads, devices, env = setup_torch(args, "compare_torch_core")
    cases = ["copy", "sigmoid", "exp", "relu", "sigmoid_backward", "add", "mul_per_channel", "sum_all",
             "sum_per_channel", "sum_per_image", "uniform", "normal"]
    pattern = "^(" + "|".join(devices) + ")/(" + "|".join(cases) + ")/"
    out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter={pattern}",
                          f"--benchmark_min_time={args.min_time}"], capture_output=True, text=True, env=env, check=True)
    report = json.loads(out.stdout)
    ctx = report["context"]

    rows = []
    for b in report["benchmarks"]:
        dev, case, n = b["name"].split("/")[:3]
        fn = torch_case(case, int(n), dev)
        if fn is None:
            continue
        fbd_s = bench_seconds(b)
        torch_s = time_torch(fn, dev, args.min_time, stat="median")
        rows.append(dict(case=f"{dev}/{case}", n=int(n), fbd_ms=fbd_s * 1e3, torch_ms=torch_s * 1e3,
                         speedup=torch_s / fbd_s, fbd_GBps=b.get("bytes_per_second", 0) / 1e9,
                         frac_of_copy=b.get("frac_of_copy", float("nan"))))

    print(context_line(ctx, threads, f"torch {torch.__version__}"))
    print_table([("case", "case", 28, ""), ("n", "elements", 10, ""), ("fbd_ms", "fbd ms", 9, ".3f"),
                 ("torch_ms", "torch ms", 9, ".3f"), ("speedup", "speedup", 8, ".2f"), ("fbd_GBps", "fbd GB/s", 9, ".1f"),
                 ("frac_of_copy", "of copy", 8, ".2f")], rows)
    write_json(args.json_out, context=ctx, threads=threads, torch=torch.__version__, rows=rows)

if __name__ == "__main__":
    main()
