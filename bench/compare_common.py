"""Shared by the bench/compare_*.py scripts: timing the reference (PyTorch, SciPy, CuPy) the way
fbd_bench times fbd, and printing the side-by-side table.

Timing: a warm-up call, then repeated calls for at least `min_time` seconds (and at least 5 on
the CPU, 10 on a GPU). On a GPU each call is timed with events after a 2x-L2 buffer is cleared,
so it starts from DRAM like fbd's cases. `stat` picks the summary: "min" (the best run: on a
shared machine other processes only ever add time), "median", or on the CPU "best_mean": the
way fbd_bench's --benchmark_repetitions=3 reports fbd, the mean time per call over each of three
stretches of `min_time`, and the best of those three means. A min over single calls is biased
low against a mean (it keeps the luckiest call), so a table that compares PyTorch's min with
fbd's best mean favours PyTorch by the spread of its call times: about 10-30 % on this VM's
convolutions, where both sides run the same oneDNN primitives.
"""
import json
import time


def _summary(times, stat):
    return min(times) if stat == "min" else sorted(times)[len(times) // 2]


def time_host(fn, min_time, stat="min"):
    fn()
    if stat == "best_mean":
        means = []
        for _ in range(3):
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < min_time or n < 5:
                fn()
                n += 1
            means.append((time.perf_counter() - start) / n)
        return min(means)
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 5:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return _summary(times, stat)


def time_torch(fn, dev, min_time, stat="min"):
    """Seconds per call of fn (PyTorch work on `dev`, "cpu" or "cuda")."""
    if dev == "cpu":
        return time_host(fn, min_time, stat)
    import torch
    fn()
    flush = torch.empty(int(torch.cuda.get_device_properties(0).L2_cache_size * 2 // 4) + 1, device=dev)
    ev0, ev1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 10:
        flush.zero_()
        ev0.record()
        fn()
        ev1.record()
        ev1.synchronize()
        times.append(ev0.elapsed_time(ev1) * 1e-3)
    return _summary(times, stat)


def time_cupy(fn, min_time, stat="median"):
    import cupy as cp
    flush = cp.empty(int(cp.cuda.runtime.getDeviceProperties(0)["l2CacheSize"]) * 2 // 4 + 1, dtype=cp.float32)
    fn()
    cp.cuda.runtime.deviceSynchronize()
    ev0, ev1 = cp.cuda.Event(), cp.cuda.Event()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 10:
        flush.fill(0)
        ev0.record()
        fn()
        ev1.record()
        ev1.synchronize()
        times.append(cp.cuda.get_elapsed_time(ev0, ev1) * 1e-3)
    return _summary(times, stat)


def bench_seconds(b):
    """A Google Benchmark JSON entry's time per iteration, in seconds."""
    return b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]


def context_line(ctx, threads, reference):
    line = f"threads {threads}; {reference}; host copy {float(ctx.get('host_copy_GBps', 'nan')):.1f} GB/s"
    if "device_copy_GBps" in ctx:
        line += f"; device copy {float(ctx['device_copy_GBps']):.0f} GB/s"
    return line


def print_table(columns, rows):
    """columns: (key, header, width, format); rows: dicts. The first column is left-aligned."""
    head = []
    for i, (_, name, width, _) in enumerate(columns):
        head.append(f"{name:{width}}" if i == 0 else f"{name:>{width}}")
    print(" ".join(head))
    for r in rows:
        cells = []
        for i, (key, _, width, fmt) in enumerate(columns):
            v = r.get(key, float("nan"))
            cells.append(f"{v:{width}}" if i == 0 else f"{v:>{width}{fmt}}")
        print(" ".join(cells))


def write_json(path, **payload):
    if path:
        with open(path, "w") as f:
            json.dump(payload, f, indent=1)


def add_standard_args(ap, root, min_time):
    """--bench, --device, --min-time and --json-out, shared by every script."""
    import os
    ap.add_argument("--bench", default=os.path.join(root, "build", "bench", "fbd_bench"))
    ap.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    ap.add_argument("--min-time", type=float, default=min_time, help="seconds per case on each side")
    ap.add_argument("--json-out", help="also write the table as JSON here")


def setup_torch(args, script):
    """PyTorch on the same footing as fbd: the same thread count (OMP_NUM_THREADS, default all
    cores), float32 without TF32 (fbd's reference precision), cuDNN picking algorithms per shape
    as fbd does. Returns (threads, devices, env for running fbd_bench)."""
    import os
    import sys
    import torch
    threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        devices.remove("cuda")
        print(f"{script}: PyTorch sees no GPU; CUDA cases skipped", file=sys.stderr)
    if not devices:
        sys.exit(f"{script}: nothing to compare (--device {args.device} and no GPU)")
    return threads, devices, dict(os.environ, OMP_NUM_THREADS=str(threads))
