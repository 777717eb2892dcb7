#!/usr/bin/python3
"""The app networks' training step in fbd (bench/app_train_step.h) beside the same network,
loss and optimiser written in PyTorch eager, in the same run: time per step and peak memory.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/compare_torch_app.py [--bench build/bench/fbd_bench] [--device cpu|cuda|all]

fbdnet mirrors apps/nets/fbdnet.cpp layer for layer (residual encoder, boundary attention on
stage 2, top-down laterals, three side outputs fused with the edge features) and trains with the
paper's Eq. 3 as a PyTorch user writes it (0.5 Dice + 0.3 focal + 0.2 boundary per side output,
focal on the edge head). The Table 3 baselines resunet, denseunet and vnet2d are the twins of
tests/reference/make_net_fixtures.py (the same classes the network tests hold fbd against) and
train with their default loss (soft Dice, BCE, soft Dice); AdamW and clipping at norm 5.
pix2pix (tests/reference/make_pix2pix_fixtures.py's twin) takes the GAN step of
apps/train/trainer.h. The Table 4 classifiers (tests/reference/make_classifier_fixtures.py's
twins) train on BCE with AdamW at their own rate. The signed distance maps are computed once, outside the timed step, on both sides.
Targets: on the GPU no slower than PyTorch and no more peak memory; on the CPU within 1.5x of
PyTorch's time.
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "reference"))
from make_classifier_fixtures import FCNN, VGG16, AlexNet, InceptionV3, ResNet50  # noqa: E402  (Table 4's twins)
from make_net_fixtures import DenseUNet, ResUNet, VNet2d  # noqa: E402  (the baselines' twins)
from make_pix2pix_fixtures import Pix2Pix  # noqa: E402


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
    """apps/nets/fbdnet.cpp with blocks = 1, bam_stage = 2, fusion = finest, head = full (the
    global head on layer 1, the default: the finest side's features upsampled to full resolution,
    fused with stage 1's and supervised as a fourth side, listed first)."""

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
        self.lateral1 = ConvBnRelu(w[0], d, 1)
        self.head_fuse = ConvBnRelu(2 * d, d, 3)
        self.head = nn.Conv2d(d, 1, 1)

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
        fused = [self.fuse[s](torch.cat([resize_like(dd, f[1]), edge_features], 1)) for s, dd in enumerate([d3, d4, d5])]
        sides = [resize_like(self.side[s](fz), x) for s, fz in enumerate(fused)]
        finest = self.head_fuse(torch.cat([resize_like(fused[0], f[0]), self.lateral1(f[0])], 1))
        return [resize_like(self.head(finest), x)] + sides, resize_like(edge_logits, x)


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


# Each case: the network and its loss on (output, mask, phi, edge), as apps/nets/net_registry.cpp
# pairs them (default_loss).
NETS = {
    "fbdnet": (FbdNet, lambda out, g, phi, edge: total_loss(out[0], out[1], g, phi, edge)),
    "resunet": (ResUNet, lambda z, g, phi, edge: dice_loss(z, g)),
    "denseunet": (DenseUNet, lambda z, g, phi, edge: F.binary_cross_entropy_with_logits(z, g)),
    "vnet2d": (VNet2d, lambda z, g, phi, edge: dice_loss(z, g)),
}


# The Table 4 classifiers and their learning rates (apps/classify/classifier_registry.cpp).
CLASSIFIERS = {"vgg16": (VGG16, 1e-4), "inceptionv3": (InceptionV3, 1e-3), "resnet50": (ResNet50, 1e-3),
               "alexnet": (AlexNet, 1e-3), "fcnn": (FCNN, 1e-3)}


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


def torch_step_case(name, n, s, c, dev):
    torch.manual_seed(1)
    cls, loss_fn = NETS[name]
    net = cls(c).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    img, mask, edge, phi = disc_batch(n, s, dev)

    def step():
        loss = loss_fn(net(img), mask, phi, edge)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()

    return step


def torch_pix2pix_case(n, s, c, dev):
    """The GAN step of apps/train/trainer.h: the discriminator's Adam step on the real and the
    detached generated pairs, then the generator's through the updated, frozen discriminator,
    adversarial + 100 L1; Adam lr 2e-4, betas (0.5, 0.999)."""
    torch.manual_seed(1)
    net = Pix2Pix(c, 16).to(dev)
    gen, disc = net.generator, net.discriminator
    g_opt = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    img, mask, _, _ = disc_batch(n, s, dev)
    bce = F.binary_cross_entropy_with_logits

    def step():
        fake = torch.sigmoid(gen(img))
        d_fake = disc(torch.cat([img, fake.detach()], 1))
        d_real = disc(torch.cat([img, mask], 1))
        d_loss = 0.5 * (bce(d_fake, torch.zeros_like(d_fake)) + bce(d_real, torch.ones_like(d_real)))
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        for p in disc.parameters():
            p.requires_grad_(False)
        judged = disc(torch.cat([img, fake], 1))
        g_loss = bce(judged, torch.ones_like(judged)) + 100.0 * (fake - mask).abs().mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        for p in disc.parameters():
            p.requires_grad_(True)

    return step


def torch_classifier_case(name, n, s, m, dev):
    """BCE with logits of one logit per image, AdamW at the network's rate, weight decay 1e-4."""
    torch.manual_seed(1)
    cls, lr = CLASSIFIERS[name]
    net = cls(s, m).to(dev).train()
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    x = torch.randn(n, 1, s, s, device=dev)
    y = (torch.arange(n, device=dev) % 2).float().reshape(n, 1)

    def step():
        loss = F.binary_cross_entropy_with_logits(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def twin_step(case, dev):
    """The PyTorch step of an fbd case "DEVICE/NAME_step/N/S/W" or "DEVICE/NAME_cls_step/N/S/MILLI",
    and its row's shape label; None without a twin."""
    parts = case.split("/")
    name, (n, s, w) = parts[1], (int(v) for v in parts[2:5])
    if name.endswith("_cls_step"):
        name = name[:-len("_cls_step")]
        if name not in CLASSIFIERS:
            return None, None
        return torch_classifier_case(name, n, s, w / 1000.0, dev), f"{n}x{s}x{s} m{w / 1000.0:g}"
    name = name[:-len("_step")]
    if name == "pix2pix":
        return torch_pix2pix_case(n, s, w, dev), f"{n}x{s}x{s} w{w}"
    if name not in NETS:
        return None, None
    return torch_step_case(name, n, s, w, dev), f"{n}x{s}x{s} w{w}"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_standard_args(ap, root, min_time=2.0)
    args = ap.parse_args()

    threads, devices, env = setup_torch(args, "compare_torch_app")
    rows = []
    for dev in devices:
        # The cases of bench/app_train_step.h (kStepNets, kStepClassifiers) that have a twin here.
        names = "|".join([*NETS, "pix2pix", *(c + "_cls" for c in CLASSIFIERS)])
        out = subprocess.run([args.bench, "--benchmark_format=json", f"--benchmark_filter=^{dev}/({names})_step/",
                              f"--benchmark_min_time={args.min_time}"], capture_output=True, text=True, env=env,
                             check=True)
        for b in json.loads(out.stdout)["benchmarks"]:
            case = "/".join(b["name"].split("/")[:2])
            step, shape = twin_step(b["name"], dev)
            if step is None:
                print(f"compare_torch_app: {case} has no PyTorch twin here; add it to NETS or CLASSIFIERS")
                continue
            step()
            base = 0
            if dev == "cuda":
                torch.cuda.synchronize()
                base = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()
            torch_s = time_torch(step, dev, args.min_time, stat="median")
            torch_peak = (torch.cuda.max_memory_allocated() - base) / 1e6 if dev == "cuda" else float("nan")
            fbd_s = bench_seconds(b)
            rows.append(dict(case=case, shape=shape, fbd_ms=fbd_s * 1e3,
                             torch_ms=torch_s * 1e3, time_ratio=fbd_s / torch_s, fbd_peak_MB=b.get("peak_MB", float("nan")),
                             torch_peak_MB=torch_peak))
    print(f"threads {threads}; torch {torch.__version__}; time_ratio = fbd time / PyTorch time (target: <= 1 on a GPU, "
          "<= 1.5 on the CPU); peak memory of one step (PyTorch's measured on the GPU only)")
    print_table([("case", "case", 24, ""), ("shape", "batch", 18, ""), ("fbd_ms", "fbd ms", 9, ".1f"),
                 ("torch_ms", "torch ms", 9, ".1f"), ("time_ratio", "ratio", 7, ".2f"),
                 ("fbd_peak_MB", "fbd MB", 9, ".0f"), ("torch_peak_MB", "torch MB", 9, ".0f")], rows)
    write_json(args.json_out, threads=threads, torch=torch.__version__, rows=rows)


if __name__ == "__main__":
    main()
