#!/usr/bin/python3
"""Runs fbd_bench's loss cases and the same losses in PyTorch (eager: the straightforward
composition a PyTorch user writes, forward and backward through autograd) in the same run,
and prints both times and their ratio.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/compare_torch_losses.py [--bench build/bench/fbd_bench]
        [--device cpu|cuda|all] [--min-time 0.3] [--json-out out.json]

Same inputs on both sides (bench/loss_cases.h: a batch of 16 x 1 x 256 x 256 logits, discs as
targets, their signed distance maps; 16 x 4 x 256 x 256 for the multi-class cases). torchvision
and MONAI are not needed: their formulas (sigmoid_focal_loss, DiceLoss, F3Net's structure_loss,
Kervadec's SurfaceLoss) are written out below in PyTorch, as in
tests/reference/make_loss_fixtures.py. Distance maps and structure weights that are functions
of the target only are precomputed on both sides, except in `loss_structure`, where both sides
compute the weight map inside the loss as F3Net does.

PyTorch runs with the same thread count as fbd's OpenMP (OMP_NUM_THREADS, default: all cores).
Each case runs fbd_bench for that case alone and then its PyTorch twin right after, so both
sides see the same machine state; on the CPU both report the best of several runs (shared
development machines are noisy: another process's OpenMP team makes spin-waits slow), on the
GPU the median. GPU cases: CUDA events, L2 flushed before every repetition on both sides;
fbd's input checks are off while timing (a stream synchronisation per call otherwise). Works with CPU-only torch (CPU
rows only) and with CUDA torch; CuPy is not used for the losses.
speedup = torch time / fbd time (above 1: fbd is faster).
"""
import argparse
import json
import math
import os
import subprocess
import sys

from compare_common import add_standard_args, context_line, print_table, setup_torch, time_torch, write_json

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("compare_torch_losses: PyTorch/NumPy not found; use /usr/bin/python3 (Debian's python3-torch)")
try:
    from scipy import ndimage
except ImportError:
    ndimage = None

N, H, W, K = 16, 256, 256, 4
EC, EH, EW, SD = 32, 128, 128, 64


def make_inputs(dev):
    """The inputs of bench/loss_cases.h (targets identical; logits from torch's own RNG, which
    does not change the work)."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    g = np.zeros((N, 1, H, W), np.float32)
    y = np.zeros((N, H, W), np.float32)
    for n in range(N):
        cx, cy, r = 80 + 6 * n, 120 - 3 * n, 20 + 2 * n
        disc = np.hypot(xx - cx, yy - cy) <= r
        g[n, 0] = disc
        y[n] = np.where(disc, 1, np.where(np.hypot(xx - 180, yy - 180) <= 30, 2, np.where(xx < 20, 3, 0)))

    def sdm(mask):
        pos = mask.astype(bool)
        if ndimage is None or not pos.any() or pos.all():
            return np.zeros(mask.shape, np.float32)
        neg = ~pos
        return (ndimage.distance_transform_edt(neg) * neg - (ndimage.distance_transform_edt(pos) - 1) * pos)

    phi = np.stack([sdm(g[n, 0])[None] for n in range(N)]).astype(np.float32)
    csdm = np.stack([np.stack([sdm(y[n] == k) for k in range(K)]) for n in range(N)]).astype(np.float32)
    t = lambda a: torch.tensor(a, device=dev)
    gen = torch.Generator(device="cpu").manual_seed(1)
    d = dict(g=t(g), phi=t(phi), labels=t(y).long(), csdm=t(csdm),
             z=(torch.randn(N, 1, H, W, generator=gen) * 2).to(dev),
             mz=(torch.randn(N, K, H, W, generator=gen) * 2).to(dev),
             features=torch.randn(N, EC, EH, EW, generator=gen).to(dev),
             xc=torch.randn(N, SD, generator=gen).to(dev), xb=torch.randn(N, SD, generator=gen).to(dev))
    d["w"] = structure_weight(d["g"])
    d["onehot"] = F.one_hot(d["labels"], K).permute(0, 3, 1, 2).float()
    gs = d["g"][:, 0, :EH, :EW] > 0  # the embeddings' target: the top-left 128 x 128 of the mask
    gsf = gs.float()[:, None]
    erode = -F.max_pool2d(-F.pad(gsf, (1, 1, 1, 1), value=0.0), 3, stride=1)
    dilate = F.max_pool2d(gsf, 3, stride=1, padding=1)
    d["contour"], d["band"] = gsf - erode, dilate - gsf
    return d


# ---- the PyTorch eager twins (docs/LOSSES.md) -----------------------------------------------
def dice_loss(z, g, eps=1e-5):
    p = torch.sigmoid(z)
    inter = (p * g).sum((2, 3))
    return (1 - (2 * inter + eps) / (p.sum((2, 3)) + g.sum((2, 3)) + eps)).mean()


def sigmoid_focal_loss(z, g, alpha=0.25, gamma=2.0):  # torchvision.ops.sigmoid_focal_loss
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, g, reduction="none")
    p_t = p * g + (1 - p) * (1 - g)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * g + (1 - alpha) * (1 - g)
    return (alpha_t * loss).mean()


def boundary_loss(z, phi):  # Kervadec's SurfaceLoss on sigmoid probabilities
    return (torch.sigmoid(z) * phi).mean()


def structure_weight(g):
    return 1 + 5 * torch.abs(F.avg_pool2d(g, kernel_size=31, stride=1, padding=15) - g)


def structure_loss(z, g, weit=None, lam=0.0, phi=None):  # F3Net / PraNet, weighted as the papers say
    if weit is None:
        weit = structure_weight(g)
    wbce = F.binary_cross_entropy_with_logits(z, g, reduction="none")
    wbce = (weit * wbce).sum(dim=(2, 3)) / weit.sum(dim=(2, 3))
    p = torch.sigmoid(z)
    inter = ((p * g) * weit).sum(dim=(2, 3))
    union = ((p + g) * weit).sum(dim=(2, 3))
    loss = (wbce + 1 - (inter + 1) / (union - inter + 1)).mean()
    return loss + lam * boundary_loss(z, phi) if lam else loss


def compactness(z, o=1e-8):
    p = torch.sigmoid(z)[:, 0]
    du = p[:, 1:, :-1] - p[:, :-1, :-1]
    dv = p[:, :-1, 1:] - p[:, :-1, :-1]
    P = torch.sqrt(du * du + dv * dv + o).sum(dim=(1, 2))
    return (P * P / (4 * math.pi * p.abs().sum(dim=(1, 2)))).mean()


def embeddings(T, c, b):
    cs, bs = c.sum((2, 3)), b.sum((2, 3))
    return torch.cat([(T * c).sum((2, 3)) / cs, (T * b).sum((2, 3)) / bs], 1).sum()


def smoothness(xc, xb, margin=1.0):
    nc, nb = F.normalize(xc, dim=1), F.normalize(xb, dim=1)
    same = ((nc[:, None] - nc[None]) ** 2).sum(-1)
    cross = ((nc[:, None] - nb[None]) ** 2).sum(-1).sqrt()
    return (same + torch.clamp(margin - cross, min=0) ** 2).mean()


def softmax_dice(z, onehot, eps=1e-5):  # MONAI DiceLoss(softmax=True, to_onehot_y=True)
    p = torch.softmax(z, 1)
    inter = (p * onehot).sum((2, 3))
    return (1 - (2 * inter + eps) / (p.sum((2, 3)) + onehot.sum((2, 3)) + eps)).mean()


def softmax_focal(z, labels, gamma=2.0):
    lp = torch.log_softmax(z, 1).gather(1, labels[:, None])
    return (-(1 - lp.exp()) ** gamma * lp).mean()


def softmax_boundary(z, csdm):
    return (torch.softmax(z, 1) * csdm).mean()


def cases(d):
    """fbd case name -> (leaf name, loss of the leaf): the PyTorch twin of every case of
    bench/loss_cases.h (one per loss of fbd's registry, plus a few pieces)."""
    g, phi = d["g"], d["phi"]
    return {
        "loss_dice": ("z", lambda z: dice_loss(z, g)),
        "loss_focal": ("z", lambda z: sigmoid_focal_loss(z, g)),
        "loss_focal_edge": ("z", lambda z: sigmoid_focal_loss(z, g)),
        "loss_bce": ("z", lambda z: F.binary_cross_entropy_with_logits(z, g)),
        "loss_bce_edge": ("z", lambda z: F.binary_cross_entropy_with_logits(z, g)),
        "loss_boundary": ("z", lambda z: boundary_loss(z, phi)),
        "loss_fbd": ("z", lambda z: 0.5 * dice_loss(z, g) + 0.3 * sigmoid_focal_loss(z, g) + 0.2 * boundary_loss(z, phi)),
        "loss_fbd_naive": ("z", lambda z: 0.5 * dice_loss(z, g) + 0.3 * sigmoid_focal_loss(z, g)
                           + 0.2 * boundary_loss(z, phi)),
        "loss_bce_iou": ("z", lambda z: structure_loss(z, g, d["w"])),
        "loss_structure": ("z", lambda z: structure_loss(z, g)),
        "loss_bce_boundary": ("z", lambda z: structure_loss(z, g, d["w"], 1.0, phi)),
        "loss_compactness": ("z", lambda z: compactness(z)),
        "loss_shape_aware": ("z", lambda z: F.binary_cross_entropy_with_logits(z, g) + 0.01 * compactness(z)),
        "loss_embeddings": ("features", lambda T: embeddings(T, d["contour"], d["band"])),
        "loss_smoothness": ("xc", lambda x: smoothness(x, d["xb"])),
        "loss_dice_mc": ("mz", lambda z: softmax_dice(z, d["onehot"])),
        "loss_focal_mc": ("mz", lambda z: softmax_focal(z, d["labels"])),
        "loss_boundary_mc": ("mz", lambda z: softmax_boundary(z, d["csdm"])),
        "loss_fbd_mc": ("mz", lambda z: 0.5 * softmax_dice(z, d["onehot"]) + 0.3 * softmax_focal(z, d["labels"])
                        + 0.2 * softmax_boundary(z, d["csdm"])),
        # The kernel-level CUDA cases are compared with the eager compound too.
        "fbd_fused_kernels": ("z", lambda z: 0.5 * dice_loss(z, g) + 0.3 * sigmoid_focal_loss(z, g)
                              + 0.2 * boundary_loss(z, phi)),
        "fbd_naive_kernels": ("z", lambda z: 0.5 * dice_loss(z, g) + 0.3 * sigmoid_focal_loss(z, g)
                              + 0.2 * boundary_loss(z, phi)),
    }


def time_loss(leaf, loss_fn, dev, min_time):
    """Forward + backward of loss_fn on a copy of `leaf` that requires grad."""
    x = leaf.detach().clone().requires_grad_()

    def step():
        x.grad = None
        loss_fn(x).backward()

    return time_torch(step, dev, min_time, stat="min" if dev == "cpu" else "median")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=0.3)
    ap.add_argument("--filter", default="", help="only cases whose name contains this")
    args = ap.parse_args()

    threads, devices, env = setup_torch(args, "compare_torch_losses")
    inputs = {dev: make_inputs(dev) for dev in devices}
    rows, ctx, missing = [], {}, []
    for dev in devices:
        twins = cases(inputs[dev])
        # The case list comes from fbd_bench itself (bench/loss_cases.h walks the loss registry),
        # so a loss added to fbd shows up here, with or without a PyTorch twin.
        listed = subprocess.run([args.bench, "--benchmark_list_tests", f"--benchmark_filter=^{dev}/(loss_|fbd_)"],
                                capture_output=True, text=True, env=env, check=True).stdout.split()
        names = [n.split("/")[1] for n in listed if args.filter in n]
        for case in dict.fromkeys(names):
            if case not in twins:
                missing.append(f"{dev}/{case}")
                continue
            pattern = f"^{dev}/{case}/"
            out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter={pattern}",
                                  f"--benchmark_min_time={args.min_time}", "--benchmark_repetitions=3"],
                                 capture_output=True, text=True, env=env, check=True)
            report = json.loads(out.stdout)
            ctx = report["context"]
            runs = [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
            unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
            times = sorted(b["real_time"] * unit for b in runs)
            fbd_s = times[0] if dev == "cpu" else times[len(times) // 2]
            best = min(runs, key=lambda b: b["real_time"])
            leaf, fn = twins[case]
            torch_s = time_loss(inputs[dev][leaf], fn, dev, args.min_time)
            rows.append(dict(case=f"{dev}/{case}", fbd_ms=fbd_s * 1e3, torch_ms=torch_s * 1e3, speedup=torch_s / fbd_s,
                             fbd_GBps=best.get("bytes_per_second", 0) / 1e9,
                             frac_of_copy=best.get("frac_of_copy", float("nan"))))

    print(context_line(ctx, threads, f"torch {torch.__version__}"))
    print_table([("case", "case", 26, ""), ("fbd_ms", "fbd ms", 9, ".3f"), ("torch_ms", "torch ms", 9, ".3f"),
                 ("speedup", "speedup", 8, ".2f"), ("fbd_GBps", "fbd GB/s", 9, ".1f"), ("frac_of_copy", "of copy", 8, ".2f")],
                rows)
    if missing:
        print("no PyTorch twin (add one to cases()): " + ", ".join(missing))
    write_json(args.json_out, context=ctx, threads=threads, torch=torch.__version__, rows=rows, missing=missing)

if __name__ == "__main__":
    main()
