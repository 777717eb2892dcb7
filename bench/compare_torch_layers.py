#!/usr/bin/python3
"""Runs fbd_bench's layer and optimizer cases and the same workloads in PyTorch in the same run,
and prints both times and their ratio.

    /usr/bin/python3 bench/compare_torch_layers.py [--bench build/bench/fbd_bench] [--device cpu|cuda|all]
        [--cases REGEX] [--rounds N]

Cases (names as in bench/layers.cpp, bench/optim.cpp and bench/cuda/): conv2d_forward and
conv2d_backward (input + weight gradients, torch.ops.aten.convolution_backward) per stage shape,
on the CPU through fbd's default backend (oneDNN where built in), and the same with _fbd (fbd's
own kernels: FBD_CPU_CONV=fbd) beside the same PyTorch twin,
batchnorm / maxpool / upsample (forward + backward), train_step (the paper-like network of
bench/layers_net.h: forward, backward, Adam step), conv_transpose2d / avgpool / leaky_relu / dropout /
linear (forward + backward), adam_step / sgd_step (the 7.8 M parameters of
bench/optim_shapes.h, foreach implementations); the comparison networks' and classifiers' pieces:
conv2d_geom_forward / conv2d_geom_backward (args N x C x K x H, then kh x kw, stride and the
padding of each axis; _fbd as above), conv_transpose2d_4x4, prelu, tanh, instance_norm, maxpool_ceil,
global_avgpool and cross_entropy (forward + backward). PyTorch runs with the same thread count as fbd's
OpenMP (OMP_NUM_THREADS, default: all cores), float32, TF32 off on the GPU. GPU cases are timed
with CUDA events after an L2 flush, like fbd's. Cases run one at a time, fbd then PyTorch, and
each side reports its best time, so that other load on a shared machine distorts the ratio as
little as possible: on the CPU the best of three mean times per call on both sides
(compare_common.py: "best_mean"; before 2026-12-01 PyTorch's best single call, which favoured
it); on a GPU fbd's CUDA-event time per call beside PyTorch's best single call. speedup = torch
time / fbd time (above 1: fbd is faster). Uses Debian's python3-torch on the CPU machine (scripts/install-deps.sh --bench); on a
GPU machine any PyTorch with CUDA.
"""
import argparse
import json
import os
import re
import subprocess
import sys

from compare_common import add_standard_args, bench_seconds, setup_torch, time_torch, write_json

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("compare_torch_layers: PyTorch not found; run scripts/install-deps.sh --bench and use /usr/bin/python3")


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class PaperLikeNet(nn.Module):
    """bench/layers_net.h, layer for layer."""

    def __init__(self, c):
        super().__init__()
        w = [c, 2 * c, 4 * c, 8 * c, 16 * c]
        stage = lambda i, o: nn.Sequential(ConvBnRelu(i, o), ConvBnRelu(o, o))
        self.enc = nn.ModuleList([stage(1 if s == 0 else w[s - 1], w[s]) for s in range(5)])
        self.dec = nn.ModuleList([stage(w[s + 1] + w[s], w[s]) for s in range(3, -1, -1)])
        self.head = nn.Conv2d(c, 1, 1)
        self.side = nn.ModuleList([nn.Conv2d(w[s], 1, 1) for s in range(2, 5)])
        self.edge = nn.Conv2d(w[1], 1, 3, padding=1)

    def outputs(self, x):
        size = x.shape[2:]
        f, h = [], x
        for s, enc in enumerate(self.enc):
            if s > 0:
                h = F.max_pool2d(h, 2)
            h = enc(h)
            f.append(h)
        for k, dec in enumerate(self.dec):
            skip = f[3 - k]
            up = F.interpolate(h, size=skip.shape[2:], mode="bilinear", align_corners=False)
            h = dec(torch.cat([up, skip], 1))
        out = [self.head(h)]
        for s, side in enumerate(self.side):
            out.append(F.interpolate(side(f[2 + s]), size=size, mode="bilinear", align_corners=False))
        out.append(F.interpolate(self.edge(f[1]), size=size, mode="bilinear", align_corners=False))
        return out

    def loss(self, x, mask):
        return sum(((torch.sigmoid(z) - mask) ** 2).mean() for z in self.outputs(x))


def disc_batch(N, S, dev):
    g = torch.Generator().manual_seed(3)
    yy, xx = torch.meshgrid(torch.arange(S, dtype=torch.float64), torch.arange(S, dtype=torch.float64), indexing="ij")
    masks = []
    for n in range(N):
        r = S / 4.0 + n % 4
        masks.append(((yy - S / 2) ** 2 + (xx - S / 2 - n % 3) ** 2 <= r * r).float())
    mask = torch.stack(masks)[:, None]
    img = mask + 0.5 * torch.randn(mask.shape, generator=g)
    return img.to(dev), mask.to(dev)


def paper_param_shapes():
    """bench/optim_shapes.h."""
    s, w = [], [32, 64, 128, 256, 512]

    def block(cin, cout):
        for k in (cin, cout):
            s.extend([(cout, k, 3, 3), (cout,), (cout,), (cout,)])

    block(1, w[0])
    for i in range(1, 5):
        block(w[i - 1], w[i])
    for i in range(3, -1, -1):
        s.extend([(w[i + 1], w[i], 2, 2), (w[i],)])
        block(2 * w[i], w[i])
    s.extend([(1, w[0], 1, 1), (1,)])
    return s


def torch_case(case, args, dev):
    """A zero-argument callable doing the PyTorch twin of fbd case `case` with its arguments."""
    r = lambda *s: torch.randn(*s, device=dev)
    if case in ("conv2d_forward", "conv2d_backward"):
        N, C, K, H = args
        x, w, b = r(N, C, H, H), r(K, C, 3, 3), r(K)
        if case == "conv2d_forward":  # fbd's CPU case adds a bias, its CUDA case does not
            bias = b if dev == "cpu" else None
            return lambda: F.conv2d(x, w, bias, padding=1)
        gy = r(N, K, H, H)
        return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1,
                                                           [True, True, False])
    if case == "batchnorm":
        N, C, H = args
        x = r(N, C, H, H).requires_grad_()
        g, b = torch.ones(C, device=dev, requires_grad=True), torch.zeros(C, device=dev, requires_grad=True)
        gy = r(N, C, H, H)
        return lambda: F.batch_norm(x, None, None, g, b, training=True).backward(gy)
    if case == "maxpool":
        N, C, H = args
        x, gy = r(N, C, H, H).requires_grad_(), r(N, C, H // 2, H // 2)
        return lambda: F.max_pool2d(x, 2).backward(gy)
    if case == "upsample":
        N, C, H = args
        x, gy = r(N, C, H // 2, H // 2).requires_grad_(), r(N, C, H, H)
        return lambda: F.interpolate(x, size=(H, H), mode="bilinear", align_corners=False).backward(gy)
    if case == "avgpool":
        N, C, H, k = args
        x = r(N, C, H, H).requires_grad_()
        pool = (lambda t: F.avg_pool2d(t, 31, 1, 15)) if k == 31 else (lambda t: F.avg_pool2d(t, k))
        gy = torch.randn_like(pool(x.detach()))
        return lambda: pool(x).backward(gy)
    if case == "conv_transpose2d":
        N, C, H = args
        x, w, b = r(N, C, H, H).requires_grad_(), r(C, C // 2, 2, 2).requires_grad_(), r(C // 2).requires_grad_()
        gy = r(N, C // 2, 2 * H, 2 * H)
        return lambda: F.conv_transpose2d(x, w, b, stride=2).backward(gy)
    if case in ("leaky_relu", "dropout"):
        (n,) = args
        x, gy = r(n).requires_grad_(), r(n)
        if case == "leaky_relu":
            return lambda: F.leaky_relu(x, 0.01).backward(gy)
        return lambda: F.dropout(x, 0.5, training=True).backward(gy)
    if case == "linear":
        M, cin, cout = args
        x, w, b = r(M, cin).requires_grad_(), r(cout, cin).requires_grad_(), r(cout).requires_grad_()
        gy = r(M, cout)
        return lambda: F.linear(x, w, b).backward(gy)
    if case in ("conv2d_geom_forward", "conv2d_geom_backward"):
        N, C, K, H, kh, kw, st, ph, pw = args
        x, w, b = r(N, C, H, H), r(K, C, kh, kw), r(K)
        if case == "conv2d_geom_forward":
            bias = b if dev == "cpu" else None
            return lambda: F.conv2d(x, w, bias, stride=st, padding=(ph, pw))
        Ho, Wo = (H + 2 * ph - kh) // st + 1, (H + 2 * pw - kw) // st + 1
        gy = r(N, K, Ho, Wo)
        return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [st, st], [ph, pw], [1, 1], False, [0, 0],
                                                           1, [True, True, False])
    if case == "conv_transpose2d_4x4":
        N, C, K, H = args
        x, w, b = r(N, C, H, H).requires_grad_(), r(C, K, 4, 4).requires_grad_(), r(K).requires_grad_()
        gy = r(N, K, 2 * H, 2 * H)
        return lambda: F.conv_transpose2d(x, w, b, stride=2, padding=1).backward(gy)
    if case == "prelu":
        N, C, H = args
        x, a = r(N, C, H, H).requires_grad_(), torch.full((C,), 0.25, device=dev, requires_grad=True)
        gy = r(N, C, H, H)
        return lambda: F.prelu(x, a).backward(gy)
    if case == "tanh":
        (n,) = args
        x, gy = r(n).requires_grad_(), r(n)
        return lambda: torch.tanh(x).backward(gy)
    if case == "instance_norm":
        N, C, H = args
        x = r(N, C, H, H).requires_grad_()
        g, b = torch.ones(C, device=dev, requires_grad=True), torch.zeros(C, device=dev, requires_grad=True)
        gy = r(N, C, H, H)
        return lambda: F.instance_norm(x, weight=g, bias=b).backward(gy)
    if case == "maxpool_ceil":
        N, C, H = args
        x = r(N, C, H, H).requires_grad_()
        gy = torch.randn_like(F.max_pool2d(x.detach(), 3, 2, ceil_mode=True))
        return lambda: F.max_pool2d(x, 3, 2, ceil_mode=True).backward(gy)
    if case == "global_avgpool":
        N, C, H = args
        x, gy = r(N, C, H, H).requires_grad_(), r(N, C, 1, 1)
        return lambda: F.adaptive_avg_pool2d(x, 1).backward(gy)
    if case == "cross_entropy":
        N, K = args
        z = r(N, K).requires_grad_()
        labels = (torch.arange(N, device=dev) * 7) % K
        return lambda: F.cross_entropy(z, labels).backward()
    if case == "train_step":
        N, S, c = args
        net = PaperLikeNet(c).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x, mask = disc_batch(N, S, dev)

        def step():
            opt.zero_grad(set_to_none=True)
            net.loss(x, mask).backward()
            opt.step()
        return step
    if case in ("adam_step", "sgd_step"):
        params = [torch.randn(s, device=dev, requires_grad=True) for s in paper_param_shapes()]
        for p in params:
            p.grad = torch.randn_like(p)
        opt = (torch.optim.Adam(params, foreach=True) if case == "adam_step"
               else torch.optim.SGD(params, lr=0.01, momentum=0.9, foreach=True))
        return opt.step
    return None


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=0.5)
    ap.add_argument("--cases", default="conv2d_forward|conv2d_backward|conv2d_forward_fbd|conv2d_backward_fbd|"
                    "conv2d_geom_forward_fbd|conv2d_geom_backward_fbd|conv_transpose2d|batchnorm|maxpool|avgpool|upsample|"
                    "leaky_relu|dropout|linear|train_step|adam_step|sgd_step|conv2d_geom_forward|conv2d_geom_backward|"
                    "conv_transpose2d_4x4|prelu|tanh|instance_norm|maxpool_ceil|global_avgpool|cross_entropy",
                    help="regular expression over case names")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate fbd and PyTorch this many times per case and keep each side's best "
                         "(a slow spell of a shared machine then hits both sides, not one)")
    args = ap.parse_args()
    if args.rounds < 1:
        sys.exit(f"compare_torch_layers: --rounds must be at least 1, got {args.rounds}")

    threads, devices, env = setup_torch(args, "compare_torch_layers")
    pattern = "^(" + "|".join(devices) + ")/(" + args.cases + ")/"
    listed = subprocess.run([args.bench, "--benchmark_list_tests", f"--benchmark_filter={pattern}"],
                            capture_output=True, text=True, env=env, check=True).stdout.split()
    context = {}
    rows = []
    # One case at a time, fbd then PyTorch (--rounds times), so that load from other processes on
    # a shared machine hits both sides alike; each side's best mean over all its runs.
    for name in listed:
        parts = name.split("/")
        dev, case = parts[0], parts[1]
        nums = [int(p) for p in parts[2:] if p.isdigit()]
        # conv2d_*_fbd: fbd's own kernels where the default backend is oneDNN; the same PyTorch twin.
        fn = torch_case(case.removesuffix("_fbd"), nums, dev)
        if fn is None:
            continue
        fn()  # an extra warm-up: cuDNN's algorithm search runs on the first calls
        b, fbd_s, torch_s = None, float("inf"), float("inf")
        for _ in range(args.rounds):  # fbd, PyTorch, fbd, PyTorch, ...: each side's best round
            out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter=^{re.escape(name)}$",
                                  f"--benchmark_min_time={args.min_time}", "--benchmark_repetitions=3"],
                                 capture_output=True, text=True, env=env, check=True)
            report = json.loads(out.stdout)
            context = report["context"]
            runs = [r for r in report["benchmarks"] if r.get("run_type") == "iteration"]
            if runs:
                best = min(runs, key=lambda r: r["real_time"])
                if bench_seconds(best) < fbd_s:
                    b, fbd_s = best, bench_seconds(best)
            torch_s = min(torch_s, time_torch(fn, dev, args.min_time, stat="best_mean" if dev == "cpu" else "min"))
        del fn
        if b is None:
            continue
        if dev == "cuda":
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
        rows.append(dict(case=f"{dev}/{case}", args="x".join(map(str, nums)), fbd_ms=fbd_s * 1e3,
                         torch_ms=torch_s * 1e3, speedup=torch_s / fbd_s, gflops=b.get("FLOPS", 0) / 1e9))

    print(f"threads {threads}; torch {torch.__version__}" + (f"; {torch.cuda.get_device_name(0)}" if "cuda" in devices else ""))
    cw = max([22] + [len(r["case"]) for r in rows])
    aw = max([12] + [len(r["args"]) for r in rows])
    print(f"{'case':{cw}} {'args':>{aw}} {'fbd ms':>9} {'torch ms':>9} {'speedup':>8} {'fbd GFLOP/s':>12}")
    for r in rows:
        gf = f"{r['gflops']:>12.1f}" if r["gflops"] else f"{'':>12}"
        print(f"{r['case']:{cw}} {r['args']:>{aw}} {r['fbd_ms']:>9.3f} {r['torch_ms']:>9.3f} {r['speedup']:>8.2f} {gf}")
    write_json(args.json_out, context=context, threads=threads, torch=torch.__version__, rows=rows)


if __name__ == "__main__":
    main()
