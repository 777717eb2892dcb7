#!/usr/bin/python3
"""Where a training step's time goes, in fbd and in PyTorch, side by side: fbd's per-op table
(FBD_PROFILE=1, inclusive times) beside torch.profiler's (self CPU time), both per step.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/profile_train_step.py [--case cpu/fbdnet_step/8/64/16] [--top 14]

Cases: cpu/train_step/N/S/W (the paper-like network of bench/layers_net.h, the twin in
compare_torch_layers.py) and the app steps cpu/NAME_step/N/S/W of bench/app_train_step.h
(fbdnet, resunet, denseunet, vnet2d; twins in compare_torch_app.py). fbd's steps are counted by
its Adam step (one call per training step). The two columns are not the same kind of number:
fbd's times are inclusive (a loss op contains the ops it calls), PyTorch's self times exclude
children; the totals line gives each side's wall time per step.
"""
import argparse
import os
import re
import subprocess
import sys
import time

from compare_common import add_standard_args, setup_torch

try:
    import torch
    from torch.profiler import ProfilerActivity, profile
except ImportError:
    sys.exit("profile_train_step: PyTorch not found; run scripts/install-deps.sh --bench and use /usr/bin/python3")


def fbd_profile(bench, case, min_time, env):
    """fbd's per-op table for the case: {op: ms per step}, and ms per step overall."""
    env = dict(env, FBD_PROFILE="1")
    out = subprocess.run([bench, f"--benchmark_filter=^{re.escape(case)}(/|$)",
                          f"--benchmark_min_time={min_time}"], capture_output=True, text=True, env=env, check=True)
    ops = {}
    for line in (out.stdout + out.stderr).splitlines():
        m = re.match(r"^(\S+)\s+(\d+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", line.strip())
        if m:
            ops[m.group(1)] = (int(m.group(2)), float(m.group(3)))
    if "adam_step" not in ops:
        sys.exit(f"profile_train_step: no adam_step in fbd's profile of {case}; is the case a training step?")
    steps = ops["adam_step"][0]
    wall = re.search(r"^" + re.escape(case) + r"\S*\s+(\d+) ns", out.stdout, re.M)
    per_step = float(wall.group(1)) / 1e6 if wall else float("nan")
    return {op: total / steps for op, (calls, total) in ops.items()}, per_step


def torch_profile(case, steps):
    """PyTorch's self CPU time per op for the case's twin: {op: ms per step}, and ms per step."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    parts = case.split("/")
    if parts[1] == "train_step":
        from compare_torch_layers import torch_case
        step = torch_case("train_step", [int(p) for p in parts[2:5]], "cpu")
    else:
        from compare_torch_app import twin_step
        step, _ = twin_step(case, "cpu")
    if step is None:
        sys.exit(f"profile_train_step: {case} has no PyTorch twin")
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    per_step = (time.perf_counter() - t0) / steps * 1e3
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    ops = {e.key: e.self_cpu_time_total / 1e3 / steps for e in prof.key_averages()}
    return ops, per_step


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=2.0)
    ap.add_argument("--case", default="cpu/fbdnet_step/8/64/16")
    ap.add_argument("--top", type=int, default=14)
    ap.add_argument("--steps", type=int, default=10, help="PyTorch steps timed and profiled")
    args = ap.parse_args()
    args.device = "cpu"
    threads, _, env = setup_torch(args, "profile_train_step")
    fbd_ops, fbd_step = fbd_profile(args.bench, args.case, args.min_time, env)
    torch_ops, torch_step = torch_profile(args.case, args.steps)
    left = sorted(fbd_ops.items(), key=lambda kv: -kv[1])[:args.top]
    right = sorted(torch_ops.items(), key=lambda kv: -kv[1])[:args.top]
    print(f"{args.case}: threads {threads}; torch {torch.__version__}; ms per training step")
    print(f"{'fbd op (inclusive)':34} {'ms':>8}   {'PyTorch op (self)':44} {'ms':>8}")
    for i in range(max(len(left), len(right))):
        l = f"{left[i][0]:34} {left[i][1]:8.2f}" if i < len(left) else " " * 43
        r = f"{right[i][0]:44} {right[i][1]:8.2f}" if i < len(right) else ""
        print(f"{l}   {r}")
    print(f"{'step (wall)':34} {fbd_step:8.2f}   {'step (wall, unprofiled)':44} {torch_step:8.2f}")


if __name__ == "__main__":
    main()
