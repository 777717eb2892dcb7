#!/usr/bin/python3
"""Golden values for tests/apps/test_pix2pix.cpp: the pix2pix network of apps/nets/pix2pix.cpp
(U-Net generator of mask logits, 70x70 PatchGAN discriminator) written in PyTorch under the same
parameter names, with fixed random weights and batch-norm statistics, run in eval mode. Written
into tests/fixtures/pix2pix/; CI needs no Python: the files are committed.

    /usr/bin/python3 tests/reference/make_pix2pix_fixtures.py

Files (width 4, embedding 16, a batch of 2 images of 32x32):
  weights.safetensors   every parameter and batch-norm buffer, fbd's names ("generator.down2.bn.weight")
  image.npy, mask.npy   the input images and 0/1 masks, [2, 1, 32, 32]
  logits.npy            the generator's mask logits in eval mode, [2, 1, 32, 32]
  d_real.npy            the discriminator's patch logits of (image, mask) in eval mode, [2, 1, 2, 2]
  d_fake.npy            the same for (image, sigmoid(logits))
  d_real_train.npy      the discriminator of (image, mask) in training mode (batch statistics)
  held_out_loss.npy     BCE(d_fake, real) + 100 mean |sigmoid(logits) - mask|, [1]
Weights and inputs come from NumPy's seeded generator, not torch's.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "pix2pix")
WIDTH, EMBED, SIZE, BATCH = 4, 16, 32, 2
rng = np.random.default_rng(20170711)


class Down(nn.Module):
    def __init__(self, cin, cout, bn):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout) if bn else None

    def forward(self, x, activate):
        y = self.conv(F.leaky_relu(x, 0.2) if activate else x)
        return self.bn(y) if self.bn is not None else y


class Up(nn.Module):
    def __init__(self, cin, cout, last):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=last)
        self.bn = None if last else nn.BatchNorm2d(cout)

    def forward(self, x):
        y = self.conv(F.relu(x))
        return self.bn(y) if self.bn is not None else y


class UnetGenerator(nn.Module):
    """Four down-samplings; dropout 0.5 on the first two decoder layers; logits out. `proj` is the
    shape-aware loss's projection head, unused here."""

    def __init__(self, c, embed):
        super().__init__()
        w = [c, 2 * c, 4 * c, 8 * c]
        for l in range(4):
            setattr(self, f"down{l + 1}", Down(1 if l == 0 else w[l - 1], w[l], 0 < l < 3))
        for l in range(3, -1, -1):
            setattr(self, f"up{l + 1}", Up(w[l] if l == 3 else 2 * w[l], 1 if l == 0 else w[l - 1], l == 0))
        self.proj = nn.Linear(2 * c, embed)

    def forward(self, x):
        skips, h = [], x
        for l in range(4):
            h = getattr(self, f"down{l + 1}")(h, l > 0)
            skips.append(h)
        for l in range(3, 0, -1):
            u = getattr(self, f"up{l + 1}")(h)
            if l >= 2:
                u = F.dropout(u, 0.5, self.training)
            h = torch.cat([skips[l - 1], u], 1)
        return self.up1(h)


class NLayerDiscriminator(nn.Module):
    """pytorch-CycleGAN-and-pix2pix's NLayerDiscriminator(n_layers=3, BatchNorm2d)."""

    def __init__(self, cin, c):
        super().__init__()
        w = [c, 2 * c, 4 * c, 8 * c]
        layers = []
        for l in range(4):
            layers.append(nn.Conv2d(cin if l == 0 else w[l - 1], w[l], 4, stride=2 if l < 3 else 1, padding=1,
                                    bias=l == 0))
            if l > 0:
                layers.append(nn.BatchNorm2d(w[l]))
            layers.append(nn.LeakyReLU(0.2))
        layers.append(nn.Conv2d(w[3], 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class Pix2Pix(nn.Module):
    def __init__(self, c, embed):
        super().__init__()
        self.generator = UnetGenerator(c, embed)
        self.discriminator = NLayerDiscriminator(2, c)


def save_safetensors(path, tensors):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian data)."""
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    net = Pix2Pix(WIDTH, EMBED)
    state = {}
    for name, t in net.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue  # fbd's batch norm keeps no such buffer
        if name.endswith("running_var") or (name.endswith(".weight") and t.dim() == 1):
            v = rng.uniform(0.5, 1.5, size=t.shape)  # variances and batch-norm scales
        elif name.endswith("running_mean") or name.endswith(".bias"):
            v = rng.uniform(-0.2, 0.2, size=t.shape)
        else:
            fan_in = np.prod(t.shape[1:])
            if "up" in name and t.dim() == 4:  # transposed convolution: weight [in, out, kh, kw]
                fan_in = t.shape[0] * t.shape[2] * t.shape[3] / 4  # stride 2: a quarter of the taps meet a pixel
            v = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=t.shape)
        state[name] = torch.tensor(v, dtype=torch.float32)
    net.load_state_dict(state, strict=False)
    net.eval()

    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    mask = np.zeros((BATCH, 1, SIZE, SIZE), np.float32)
    for b, (cy, cx, r) in enumerate([(12.0, 15.0, 6.0), (20.0, 11.0, 4.5)]):
        mask[b, 0] = np.hypot(yy - cy, xx - cx) <= r
    image = (mask + 0.3 * rng.standard_normal(mask.shape)).astype(np.float32)
    x, y = torch.tensor(image), torch.tensor(mask)
    with torch.no_grad():
        logits = net.generator(x)
        prob = torch.sigmoid(logits)
        d_real = net.discriminator(torch.cat([x, y], 1))
        d_fake = net.discriminator(torch.cat([x, prob], 1))
        loss = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake)) + 100 * (prob - y).abs().mean()
        net.discriminator.train()
        d_real_train = net.discriminator(torch.cat([x, y], 1))

    save_safetensors(os.path.join(OUT, "weights.safetensors"), {k: v.numpy() for k, v in state.items()})
    for name, a in [("image", image), ("mask", mask), ("logits", logits), ("d_real", d_real), ("d_fake", d_fake),
                    ("d_real_train", d_real_train), ("held_out_loss", loss.reshape(1))]:
        a = a.numpy() if isinstance(a, torch.Tensor) else a
        np.save(os.path.join(OUT, f"{name}.npy"), np.ascontiguousarray(a, dtype=np.float32))
    g = sum(p.numel() for p in net.generator.parameters())
    d = sum(p.numel() for p in net.discriminator.parameters())
    p = sum(p.numel() for p in net.generator.proj.parameters())
    print(f"wrote {OUT}: generator {g} (projection head {p}), discriminator {d} parameters; logits {tuple(logits.shape)}, "
          f"patches {tuple(d_real.shape)}, held-out loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
