#!/usr/bin/python3
"""The paper network's training step in fbd (bench/app_train_step.h) beside the same network,
loss and optimiser written in PyTorch eager, in the same run: time per step and peak memory.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/compare_torch_app.py [--bench build/bench/fbd_bench] [--device cpu|cuda|all]

The network mirrors apps/nets/fbdnet.cpp layer for layer (residual encoder, boundary attention on
stage 2, top-down laterals, three side outputs fused with the edge features); the loss is the
paper's Eq. 3 as a PyTorch user writes it (0.5 Dice + 0.3 focal + 0.2 boundary per side output,
focal on the edge head), AdamW and clipping at norm 5. The signed distance maps are computed
once, outside the timed step, on both sides. Targets: on the GPU no slower than PyTorch and no
more peak memory; on the CPU within 1.5x of PyTorch's time.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from scipy.ndimage import distance_transform_edt

from compare_common import add_standard_args, bench_seconds, print_table, setup_torch, time_torch, write_json

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("compare_torch_app: PyTorch not found; run scripts/install-deps.sh --bench and use /usr/bin/python3")


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


def resize_like(x, like):
    if x.shape[2:] == like.shape[2:]:
        return x
    return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)


class FbdNet(nn.Module):
    """apps/nets/fbdnet.cpp with blocks = 1, bam_stage = 2, fusion = finest."""

    def __init__(self, c):
        super().__init__()
        w, d = [c, 2 * c, 4 * c, 8 * c, 8 * c], 2 * c
        self.stem = ConvBnRelu(1, c, 3)
        self.stages = nn.ModuleList([ResBlock(c if s == 0 else w[s - 1], w[s], 1 if s == 0 else 2) for s in range(5)])
        self.bam = ConvBnRelu(w[1], d, 3)
        self.edge_head = nn.Conv2d(d, 1, 1)
        self.lateral = nn.ModuleList([ConvBnRelu(w[s + 2], d, 1) for s in range(3)])
        self.fuse = nn.ModuleList([ConvBnRelu(2 * d, d, 3) for _ in range(3)])
        self.side = nn.ModuleList([nn.Conv2d(d, 1, 1) for _ in range(3)])

    def forward(self, x):
        f, h = [], self.stem(x)
        for stage in self.stages:
            h = stage(h)
            f.append(h)
        e = self.bam(f[1])
        edge_logits = self.edge_head(e)
        edge_features = resize_like(e * (torch.sigmoid(edge_logits) + 1), f[1])
        d5 = self.lateral[2](f[4])
        d4 = self.lateral[1](f[3]) + resize_like(d5, f[3])
        d3 = self.lateral[0](f[2]) + resize_like(d4, f[2])
        sides = [resize_like(self.side[s](self.fuse[s](torch.cat([resize_like(dd, f[1]), edge_features], 1))), x)
                 for s, dd in enumerate([d3, d4, d5])]
        return sides, resize_like(edge_logits, x)


def dice_loss(z, g, eps=1e-5):  # MONAI DiceLoss(sigmoid=True), per image then mean
    p = torch.sigmoid(z)
    inter = (p * g).sum(dim=(1, 2, 3))
    return (1 - (2 * inter + eps) / (p.sum(dim=(1, 2, 3)) + g.sum(dim=(1, 2, 3)) + eps)).mean()


def focal_loss(z, g, alpha=0.25, gamma=2.0):  # torchvision.ops.sigmoid_focal_loss, mean
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, g, reduction="none")
    p_t = p * g + (1 - p) * (1 - g)
    a_t = alpha * g + (1 - alpha) * (1 - g)
    return (a_t * (1 - p_t) ** gamma * ce).mean()


def total_loss(sides, edge_logits, g, phi, edge):  # paper Eq. 3
    seg = sum(0.5 * dice_loss(s, g) + 0.3 * focal_loss(s, g) + 0.2 * (torch.sigmoid(s) * phi).mean() for s in sides)
    return seg + focal_loss(edge_logits, edge)


def disc_batch(n, s, dev):
    """Discs of random centre and radius in noise (the shape of the fbd case's batch)."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:s, 0:s]
    img, mask, edge = (np.zeros((n, 1, s, s), np.float32) for _ in range(3))
    for b in range(n):
        cy, cx = s * (0.3 + 0.4 * rng.random(2))
        r = s * (0.05 + 0.1 * rng.random())
        d = np.hypot(yy - cy, xx - cx)
        mask[b, 0] = d <= r
        edge[b, 0] = (d <= r) & (d > r - 1.5)
        img[b, 0] = mask[b, 0] + 0.3 * rng.standard_normal((s, s))
    phi = np.zeros_like(mask)
    for b in range(n):
        g = mask[b, 0] > 0
        if g.any() and not g.all():
            phi[b, 0] = distance_transform_edt(~g) * ~g - (distance_transform_edt(g) - 1) * g
    t = lambda a: torch.from_numpy(a).to(dev)
    return t(img), t(mask), t(edge), t(phi)


def torch_step_case(n, s, c, dev):
    torch.manual_seed(1)
    net = FbdNet(c).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    img, mask, edge, phi = disc_batch(n, s, dev)

    def step():
        sides, edge_logits = net(img)
        loss = total_loss(sides, edge_logits, mask, phi, edge)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()

    return step


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=2.0)
    args = ap.parse_args()

    threads, devices, env = setup_torch(args, "compare_torch_app")
    rows = []
    for dev in devices:
        out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter=^{dev}/fbdnet_step/",
                              f"--benchmark_min_time={args.min_time}"], capture_output=True, text=True, env=env,
                             check=True)
        for b in json.loads(out.stdout)["benchmarks"]:
            n, s, c = (int(v) for v in b["name"].split("/")[2:5])
            step = torch_step_case(n, s, c, dev)
            step()
            base = 0
            if dev == "cuda":
                torch.cuda.synchronize()
                base = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()
            torch_s = time_torch(step, dev, args.min_time, stat="median")
            torch_peak = (torch.cuda.max_memory_allocated() - base) / 1e6 if dev == "cuda" else float("nan")
            fbd_s = bench_seconds(b)
            rows.append(dict(case=f"{dev}/fbdnet_step", shape=f"{n}x{s}x{s} w{c}", fbd_ms=fbd_s * 1e3,
                             torch_ms=torch_s * 1e3, time_ratio=fbd_s / torch_s, fbd_peak_MB=b.get("peak_MB", float("nan")),
                             torch_peak_MB=torch_peak))
    print(f"threads {threads}; torch {torch.__version__}; time_ratio = fbd time / PyTorch time (target: <= 1 on a GPU, "
          "<= 1.5 on the CPU); peak memory of one step (PyTorch's measured on the GPU only)")
    print_table([("case", "case", 20, ""), ("shape", "batch", 16, ""), ("fbd_ms", "fbd ms", 9, ".1f"),
                 ("torch_ms", "torch ms", 9, ".1f"), ("time_ratio", "ratio", 7, ".2f"),
                 ("fbd_peak_MB", "fbd MB", 9, ".0f"), ("torch_peak_MB", "torch MB", 9, ".0f")], rows)
    write_json(args.json_out, threads=threads, torch=torch.__version__, rows=rows)


if __name__ == "__main__":
    main()
