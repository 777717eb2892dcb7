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
import time

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


def time_torch(fn, dev, min_time=0.3):
    fn()  # warm-up
    if dev == "cpu":
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < min_time or len(times) < 5:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return sorted(times)[len(times) // 2]
    flush = torch.empty(int(torch.cuda.get_device_properties(0).L2_cache_size * 2 // 4) + 1, device=dev)
    start_ev, stop_ev = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 10:
        flush.zero_()
        start_ev.record()
        fn()
        stop_ev.record()
        stop_ev.synchronize()
        times.append(start_ev.elapsed_time(stop_ev) * 1e-3)
    return sorted(times)[len(times) // 2]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(root, "build", "bench", "fbd_bench"))
    ap.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per case on each side")
    ap.add_argument("--json-out", help="also write the table as JSON here")
    args = ap.parse_args()

    threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        devices.remove("cuda")
        print("compare_torch_core: PyTorch sees no GPU; CUDA cases skipped", file=sys.stderr)
    cases = ["copy", "sigmoid", "exp", "relu", "sigmoid_backward", "add", "mul_per_channel", "sum_all",
             "sum_per_channel", "sum_per_image", "uniform", "normal"]
    pattern = "^(" + "|".join(devices) + ")/(" + "|".join(cases) + ")/"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
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
        fbd_s = b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        torch_s = time_torch(fn, dev, args.min_time)
        rows.append(dict(case=f"{dev}/{case}", n=int(n), fbd_ms=fbd_s * 1e3, torch_ms=torch_s * 1e3,
                         speedup=torch_s / fbd_s, fbd_GBps=b.get("bytes_per_second", 0) / 1e9,
                         frac_of_copy=b.get("frac_of_copy", float("nan"))))

    print(f"threads {threads}; torch {torch.__version__}; host copy {float(ctx.get('host_copy_GBps', 'nan')):.1f} GB/s"
          + (f"; device copy {float(ctx['device_copy_GBps']):.0f} GB/s" if "device_copy_GBps" in ctx else ""))
    print(f"{'case':28} {'elements':>10} {'fbd ms':>9} {'torch ms':>9} {'speedup':>8} {'fbd GB/s':>9} {'of copy':>8}")
    for r in rows:
        print(f"{r['case']:28} {r['n']:>10} {r['fbd_ms']:>9.3f} {r['torch_ms']:>9.3f} {r['speedup']:>8.2f} "
              f"{r['fbd_GBps']:>9.1f} {r['frac_of_copy']:>8.2f}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(dict(context=ctx, threads=threads, torch=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
