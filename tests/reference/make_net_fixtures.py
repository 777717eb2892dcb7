#!/usr/bin/python3
"""Reference outputs for tests/apps/test_nets.cpp: the Table 3 baselines resunet, denseunet and
vnet2d (apps/nets/*.cpp) rebuilt layer for layer in PyTorch (Debian's python3-torch, CPU,
float32) under fbd's state_dict names, with fixed weights, run in eval mode on a fixed input.

    /usr/bin/python3 tests/reference/make_net_fixtures.py

For each network NAME it writes into tests/fixtures/nets/:
  NAME.safetensors  the state_dict (parameters and batch-norm running statistics, without
                    PyTorch's num_batches_tracked, which fbd does not keep); its metadata holds
                    the width, the embedding size and the parameter count PyTorch counts
  NAME.x.npy        the input, [2, 1, 32, 32]
  NAME.y.npy        the output logits of the twin in eval mode, [2, 1, 32, 32]
The weights are PyTorch's default initialisation from a fixed seed, then every batch norm's
affine parameters and running statistics and every PReLU slope are redrawn away from their
initial values (1, 0, 0, 1, 0.25) so that eval mode exercises them. Widths: 4 for resunet and
denseunet, 2 for vnet2d (its 5x5 stages at width 4 would make a 6 MB fixture). The safetensors
file is written by hand (the format is an 8-byte header length, a JSON header, the raw data):
Debian has no safetensors package.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "nets")
EMBED = 16  # NetConfig::embed_dim: every network carries the shape-aware projection head


# ---- resunet (apps/nets/resunet.cpp) ----
class PreActUnit(nn.Module):
    def __init__(self, cin, cout, stride, first):
        super().__init__()
        if not first:
            self.bn1 = nn.BatchNorm2d(cin)
        self.first = first
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.project = stride != 1 or cin != cout
        if self.project:
            self.skip = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
            self.skip_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        a = x if self.first else F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return y + (self.skip_bn(self.skip(x)) if self.project else x)


class ResUNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = [c, 2 * c, 4 * c, 8 * c]
        self.enc = []
        for l in range(4):
            m = PreActUnit(1 if l == 0 else w[l - 1], w[l], 1 if l == 0 else 2, l == 0)
            self.add_module("bridge" if l == 3 else f"enc{l + 1}", m)
            self.enc.append(m)
        self.dec = [None] * 3
        for l in (2, 1, 0):
            self.dec[l] = PreActUnit(w[l + 1] + w[l], w[l], 1, False)
            self.add_module(f"dec{l + 1}", self.dec[l])
        self.head = nn.Conv2d(c, 1, 1)
        self.proj = nn.Linear(c, EMBED)

    def forward(self, x):
        skip, h = [], x
        for l in range(4):
            h = self.enc[l](h)
            skip.append(h)
        for l in (2, 1, 0):
            up = F.interpolate(h, size=skip[l].shape[2:], mode="bilinear", align_corners=False)
            h = self.dec[l](torch.cat([up, skip[l]], 1))
        return self.head(h)


# ---- denseunet (apps/nets/denseunet.cpp) ----
LAYERS = 4


class BnReluConv(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)

    def forward(self, x):
        return self.conv(F.relu(self.bn(x)))


class DenseBlock(nn.Module):
    def __init__(self, cin, k):
        super().__init__()
        self.cin = cin
        for i in range(LAYERS):
            self.add_module(f"layer{i + 1}", BnReluConv(cin + i * k, k, 3))

    def forward(self, x):
        h = x
        for i in range(LAYERS):
            h = torch.cat([h, getattr(self, f"layer{i + 1}")(h)], 1)
        return h


class DenseUNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        k = max(1, c // 2)
        added = LAYERS * k
        self.stem = nn.Conv2d(1, c, 3, padding=1, bias=False)
        ch, skip_ch = c, []
        for l in range(4):
            self.add_module(f"enc{l + 1}", DenseBlock(ch, k))
            skip_ch.append(ch + added)
            self.add_module(f"down{l + 1}", BnReluConv(skip_ch[l], skip_ch[l] // 2, 1))
            ch = skip_ch[l] // 2
        self.bottom = DenseBlock(ch, k)
        for l in (3, 2, 1, 0):
            self.add_module(f"up{l + 1}", nn.ConvTranspose2d(added, added, 2, stride=2))
            self.add_module(f"dec{l + 1}", DenseBlock(added + skip_ch[l], k))
        out = 2 * added + skip_ch[0]
        self.head_bn = nn.BatchNorm2d(out)
        self.head = nn.Conv2d(out, 1, 1)
        self.proj = nn.Linear(out, EMBED)

    def forward(self, x):
        skip, h = [], self.stem(x)
        for l in range(4):
            skip.append(getattr(self, f"enc{l + 1}")(h))
            h = F.avg_pool2d(getattr(self, f"down{l + 1}")(skip[l]), 2)
        h = self.bottom(h)[:, self.bottom.cin:]
        for l in (3, 2, 1, 0):
            block = getattr(self, f"dec{l + 1}")
            out = block(torch.cat([getattr(self, f"up{l + 1}")(h), skip[l]], 1))
            h = out[:, block.cin:] if l > 0 else out
        return self.head(F.relu(self.head_bn(h)))


# ---- vnet2d (apps/nets/vnet2d.cpp) ----
class ConvPrelu(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=2) if k == 2 else nn.Conv2d(cin, cout, k, padding=k // 2)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.conv(x))


class Stage(nn.Module):
    def __init__(self, cin, ch, n):
        super().__init__()
        self.convs = nn.Sequential(*[ConvPrelu(cin if i == 0 else ch, ch, 5) for i in range(n)])

    def forward(self, x):
        return self.convs(x) + x  # broadcasts over the channels in stage 1


class UpPrelu(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.conv(x))


class VNet2d(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = [c, 2 * c, 4 * c, 8 * c, 16 * c]
        enc_convs, dec_convs = [1, 2, 3, 3, 3], [1, 2, 3, 3]
        for l in range(5):
            if l > 0:
                self.add_module(f"down{l + 1}", ConvPrelu(w[l - 1], w[l], 2))
            self.add_module(f"enc{l + 1}", Stage(1 if l == 0 else w[l], w[l], enc_convs[l]))
        for l in (3, 2, 1, 0):
            self.add_module(f"up{l + 1}", UpPrelu(w[4] if l == 3 else 2 * w[l + 1], w[l]))
            self.add_module(f"dec{l + 1}", Stage(2 * w[l], 2 * w[l], dec_convs[l]))
        self.head = nn.Conv2d(2 * c, 1, 1)
        self.proj = nn.Linear(2 * c, EMBED)

    def forward(self, x):
        skip, h = [], x
        for l in range(5):
            if l > 0:
                h = getattr(self, f"down{l + 1}")(h)
            h = getattr(self, f"enc{l + 1}")(h)
            skip.append(h)
        for l in (3, 2, 1, 0):
            h = getattr(self, f"dec{l + 1}")(torch.cat([getattr(self, f"up{l + 1}")(h), skip[l]], 1))
        return self.head(h)


def redraw(net, gen):
    """Batch-norm affine parameters and running statistics, PReLU slopes: away from their defaults."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                for t, lo, hi in ((m.weight, 0.5, 1.5), (m.bias, -0.2, 0.2), (m.running_mean, -0.2, 0.2),
                                  (m.running_var, 0.5, 1.5)):
                    t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.35 + 0.05)


def save_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().numpy(), dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20231127)
    for seed, (name, cls, width) in enumerate([("resunet", ResUNet, 4), ("denseunet", DenseUNet, 4),
                                               ("vnet2d", VNet2d, 2)]):
        torch.manual_seed(100 + seed)
        net = cls(width)
        redraw(net, torch.Generator().manual_seed(200 + seed))
        net.eval()
        x = rng.standard_normal((2, 1, 32, 32)).astype(np.float32)
        with torch.no_grad():
            y = net(torch.from_numpy(x))
        state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
        params = sum(p.numel() for p in net.parameters())
        save_safetensors(os.path.join(OUT, f"{name}.safetensors"), state,
                         {"width": str(width), "embed_dim": str(EMBED), "parameters": str(params)})
        np.save(os.path.join(OUT, f"{name}.x.npy"), x)
        np.save(os.path.join(OUT, f"{name}.y.npy"), y.numpy().astype(np.float32))
        print(f"{name}: width {width}, {params} parameters, output std {y.std().item():.3f}, "
              f"max |y| {y.abs().max().item():.3f}")


if __name__ == "__main__":
    main()
