#!/usr/bin/python3
"""PyTorch twins of fbd's image classifiers (apps/classify/{vgg16,inceptionv3,resnet50,alexnet,
fcnn}.cpp), layer for layer and under the same parameter names, and the golden values of
tests/apps/test_cnn_classifiers.cpp, written into tests/fixtures/classifiers/. CI needs no
Python: the files are committed. bench/compare_torch_app.py imports the twins.

    /usr/bin/python3 tests/reference/make_classifier_fixtures.py

torchvision is not needed (nor used): the twins are written out here, from the papers and
torchvision's definitions, with one input channel, one output logit and a width multiplier.
At multiplier 1 with three input channels and 1000 classes they have torchvision's parameter
counts (checked below), except Inception-v3, which has no auxiliary head.

Weights are not stored: both sides fill every parameter and buffer from a closed form
(fill_formula below, and its C++ copy in the test), so a fixture is only inputs and outputs.
For each case NAME (a network at a small width and input size):
  NAME.x.npy        input [4, 1, S, S]
  NAME.y_eval.npy   logits [4, 1] in evaluation mode (batch norm on its running statistics)
  NAME.y_train.npy  logits in training mode (batch statistics), dropout off
  NAME.g_first.npy, NAME.g_last.npy  gradients of the first and the last layer's weight after
                    BCE-with-logits of y_train against labels 1, 0, 1, 0
  NAME.params.txt   one line per parameter and buffer, sorted by name: "name d0 d1 ..."
and counts.txt: the parameter count of every network at the CPU defaults (64 px, multiplier
0.25) and at the paper's size (multiplier 1).
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "classifiers")


def ch(c, m):
    """scaled_channels: max(1, floor(c m + 1/2))."""
    return max(1, int(math.floor(c * m + 0.5)))


def drop(p, on):
    return nn.Dropout(p if on else 0.0)


# ---- VGG16, configuration D (Simonyan & Zisserman 2015) ----
class VGG16(nn.Module):
    def __init__(self, size, m, dropout=True, in_ch=1, classes=1):
        super().__init__()
        layers, cin, side = [], in_ch, size
        for v in [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]:
            if v == 0:
                layers.append(nn.MaxPool2d(2, 2))
                side //= 2
            else:
                layers += [nn.Conv2d(cin, ch(v, m), 3, padding=1), nn.ReLU()]
                cin = ch(v, m)
        self.features = nn.Sequential(*layers)
        h = ch(4096, m)
        self.classifier = nn.Sequential(nn.Linear(cin * side * side, h), nn.ReLU(), drop(0.5, dropout), nn.Linear(h, h),
                                        nn.ReLU(), drop(0.5, dropout), nn.Linear(h, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---- AlexNet as torchvision defines it ----
class AlexNet(nn.Module):
    def __init__(self, size, m, dropout=True, in_ch=1, classes=1):
        super().__init__()
        c1, c2, c3, c4, c5, h = ch(64, m), ch(192, m), ch(384, m), ch(256, m), ch(256, m), ch(4096, m)
        self.features = nn.Sequential(
            nn.Conv2d(in_ch, c1, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(), nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(drop(0.5, dropout), nn.Linear(c5 * 36, h), nn.ReLU(), drop(0.5, dropout),
                                        nn.Linear(h, h), nn.ReLU(), nn.Linear(h, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---- ResNet-50 (He et al. 2016), the stride on the first 1x1 of a block as in the paper ----
class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        out = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
    def __init__(self, size, m, dropout=True, in_ch=1, classes=1):
        super().__init__()
        cin = ch(64, m)
        self.conv1 = nn.Conv2d(in_ch, cin, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        for i, (blocks, width) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(cin, ch(width, m), 2 if b == 0 and i > 0 else 1))
                cin = ch(width, m) * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        for i in range(4):
            y = getattr(self, f"layer{i + 1}")(y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


# ---- Inception-v3 (Szegedy et al. 2016), torchvision's layout, no auxiliary head ----
class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class InceptionA(nn.Module):
    def __init__(self, cin, pool_features, m):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, ch(64, m), 1)
        self.branch5x5_1 = BasicConv2d(cin, ch(48, m), 1)
        self.branch5x5_2 = BasicConv2d(ch(48, m), ch(64, m), 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, ch(64, m), 1)
        self.branch3x3dbl_2 = BasicConv2d(ch(64, m), ch(96, m), 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(ch(96, m), ch(96, m), 3, padding=1)
        self.branch_pool = BasicConv2d(cin, ch(pool_features, m), 1)
        self.out = ch(64, m) * 2 + ch(96, m) + ch(pool_features, m)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionB(nn.Module):
    def __init__(self, cin, m):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, ch(384, m), 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, ch(64, m), 1)
        self.branch3x3dbl_2 = BasicConv2d(ch(64, m), ch(96, m), 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(ch(96, m), ch(96, m), 3, stride=2)
        self.out = ch(384, m) + ch(96, m) + cin

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin, c7, m):
        super().__init__()
        c, o = ch(c7, m), ch(192, m)
        self.branch1x1 = BasicConv2d(cin, o, 1)
        self.branch7x7_1 = BasicConv2d(cin, c, 1)
        self.branch7x7_2 = BasicConv2d(c, c, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c, o, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c, 1)
        self.branch7x7dbl_2 = BasicConv2d(c, c, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c, c, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c, c, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c, o, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, o, 1)
        self.out = 4 * o

    def forward(self, x):
        s = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), s, d, self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin, m):
        super().__init__()
        o = ch(192, m)
        self.branch3x3_1 = BasicConv2d(cin, o, 1)
        self.branch3x3_2 = BasicConv2d(o, ch(320, m), 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, o, 1)
        self.branch7x7x3_2 = BasicConv2d(o, o, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(o, o, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(o, o, 3, stride=2)
        self.out = ch(320, m) + o + cin

    def forward(self, x):
        s = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), s, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin, m):
        super().__init__()
        c = ch(384, m)
        self.branch1x1 = BasicConv2d(cin, ch(320, m), 1)
        self.branch3x3_1 = BasicConv2d(cin, c, 1)
        self.branch3x3_2a = BasicConv2d(c, c, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(c, c, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, ch(448, m), 1)
        self.branch3x3dbl_2 = BasicConv2d(ch(448, m), c, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(c, c, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(c, c, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, ch(192, m), 1)
        self.out = ch(320, m) + 4 * c + ch(192, m)

    def forward(self, x):
        t, d = self.branch3x3_1(x), self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(t), self.branch3x3_2b(t), self.branch3x3dbl_3a(d),
                          self.branch3x3dbl_3b(d), self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


def inception_stem_reductions(size):
    assert size >= 21
    return 3 if size >= 75 else 2 if size >= 39 else 1


class InceptionV3(nn.Module):
    def __init__(self, size, m, dropout=True, in_ch=1, classes=1):
        super().__init__()
        self.reductions = inception_stem_reductions(size)
        self.Conv2d_1a_3x3 = BasicConv2d(in_ch, ch(32, m), 3, stride=2 if self.reductions == 3 else 1)
        self.Conv2d_2a_3x3 = BasicConv2d(ch(32, m), ch(32, m), 3)
        self.Conv2d_2b_3x3 = BasicConv2d(ch(32, m), ch(64, m), 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(ch(64, m), ch(80, m), 1)
        self.Conv2d_4a_3x3 = BasicConv2d(ch(80, m), ch(192, m), 3)
        cin = ch(192, m)
        blocks = []
        for name, make in [("Mixed_5b", lambda c: InceptionA(c, 32, m)), ("Mixed_5c", lambda c: InceptionA(c, 64, m)),
                           ("Mixed_5d", lambda c: InceptionA(c, 64, m)), ("Mixed_6a", lambda c: InceptionB(c, m)),
                           ("Mixed_6b", lambda c: InceptionC(c, 128, m)), ("Mixed_6c", lambda c: InceptionC(c, 160, m)),
                           ("Mixed_6d", lambda c: InceptionC(c, 160, m)), ("Mixed_6e", lambda c: InceptionC(c, 192, m)),
                           ("Mixed_7a", lambda c: InceptionD(c, m)), ("Mixed_7b", lambda c: InceptionE(c, m)),
                           ("Mixed_7c", lambda c: InceptionE(c, m))]:
            block = make(cin)
            setattr(self, name, block)
            blocks.append(name)
            cin = block.out
        self.blocks = blocks
        self.dropout = drop(0.5, dropout)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        y = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        if self.reductions >= 2:
            y = F.max_pool2d(y, 3, 2)
        y = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(y)), 3, 2)
        for name in self.blocks:
            y = getattr(self, name)(y)
        return self.fc(self.dropout(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)))


# ---- FCNN: All-CNN-C (Springenberg et al. 2015) with global average pooling ----
def fcnn_reductions(size):
    assert size >= 32
    stages, side = 0, size
    while stages < 2 or side > 8:
        side = (side - 1) // 2 + 1
        stages += 1
    return stages


class FCNN(nn.Module):
    def __init__(self, size, m, dropout=True, in_ch=1, classes=1):
        super().__init__()
        c96, c192 = ch(96, m), ch(192, m)
        layers, cin = [drop(0.2, dropout)], in_ch
        for s in range(fcnn_reductions(size)):
            w = c96 if s == 0 else c192
            layers += [nn.Conv2d(cin, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(),
                       nn.Conv2d(w, w, 3, stride=2, padding=1), nn.ReLU(), drop(0.5, dropout)]
            cin = w
        layers += [nn.Conv2d(cin, c192, 3), nn.ReLU(), nn.Conv2d(c192, c192, 1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Conv2d(c192, classes, 1)

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.classifier(self.features(x)), 1), 1)


NETS = {"vgg16": VGG16, "inceptionv3": InceptionV3, "resnet50": ResNet50, "alexnet": AlexNet, "fcnn": FCNN}
# The first and the last layer's weight of each network, whose gradients the fixtures hold.
FIRST_LAST = {"vgg16": ("features.0.weight", "classifier.6.weight"),
              "inceptionv3": ("Conv2d_1a_3x3.conv.weight", "fc.weight"),
              "resnet50": ("conv1.weight", "fc.weight"),
              "alexnet": ("features.0.weight", "classifier.6.weight"),
              "fcnn": ("features.1.weight", "classifier.weight")}


def state(net):
    """Parameters and buffers by name, without batch norm's num_batches_tracked (fbd has none)."""
    return {k: v for k, v in net.state_dict(keep_vars=True).items() if not k.endswith("num_batches_tracked")}


def hash_uniform(t, n):
    """n values in [-1, 1) from an integer hash of (t, i), exact in any language:
    h = (2654435761 i + 40503 t + 12345) mod 2^32; h ^= h >> 15; h = 2246822519 h mod 2^32; h ^= h >> 13;
    value = 2 h / 2^32 - 1."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761) + np.uint64(40503 * t + 12345)) % np.uint64(1 << 32)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) % np.uint64(1 << 32)
    h ^= h >> np.uint64(13)
    return 2.0 * h.astype(np.float64) / float(1 << 32) - 1.0


def fill_formula(net):
    """Every parameter and buffer from a closed form of (its index in name order t, element index i),
    with s = hash_uniform(t, i): running_mean 0.1 s, running_var 1 + 0.5 s^2, weights of two or more
    dimensions sqrt(6 / fan_in) s (He's variance), other weights (batch norm's gamma) 1 + 0.2 s, biases
    0.1 s. The C++ copy is fill_formula in tests/apps/test_cnn_classifiers.cpp."""
    with torch.no_grad():
        for t, (name, v) in enumerate(sorted(state(net).items())):
            s = hash_uniform(t, v.numel())
            if name.endswith("running_mean"):
                a = 0.1 * s
            elif name.endswith("running_var"):
                a = 1.0 + 0.5 * s * s
            elif v.dim() >= 2:
                a = math.sqrt(6.0 / (v.numel() / v.shape[0])) * s
            elif name.endswith("weight"):
                a = 1.0 + 0.2 * s
            else:
                a = 0.1 * s
            v.copy_(torch.from_numpy(a.astype(np.float32)).reshape(v.shape))


def num_params(net):
    return sum(p.numel() for p in net.parameters())


# (case name, network, input side, width multiplier): small enough that the fixtures are small, and
# covering each input-size adaptation (Inception's three stems, FCNN's extra stage, AlexNet's
# 6 x 6 pooling of a 1 x 1 and a 2 x 2 grid).
CASES = [("vgg16_s32", "vgg16", 32, 1 / 16), ("inceptionv3_s32", "inceptionv3", 32, 1 / 16),
         ("inceptionv3_s64", "inceptionv3", 64, 1 / 16), ("inceptionv3_s80", "inceptionv3", 80, 1 / 16),
         ("resnet50_s32", "resnet50", 32, 1 / 16), ("alexnet_s64", "alexnet", 64, 1 / 16),
         ("alexnet_s100", "alexnet", 100, 1 / 16), ("fcnn_s32", "fcnn", 32, 1 / 16), ("fcnn_s64", "fcnn", 64, 1 / 16)]

# Parameter counts of torchvision's models (3 input channels, 1000 classes), which the twins at
# multiplier 1 must reproduce (Inception-v3's without its auxiliary head: 27,161,264 - 3,326,696).
TORCHVISION_COUNTS = {"vgg16": (224, 138357544), "resnet50": (224, 25557032), "alexnet": (224, 61100840),
                      "inceptionv3": (299, 23834568)}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20240611)

    for name, (size, count) in TORCHVISION_COUNTS.items():
        got = num_params(NETS[name](size, 1.0, in_ch=3, classes=1000))
        assert got == count, f"{name}: {got} parameters, torchvision has {count}"

    for case, net_name, size, m in CASES:
        net = NETS[net_name](size, m, dropout=False)
        fill_formula(net)
        x = rng.standard_normal((4, 1, size, size)).astype(np.float32)
        xt = torch.from_numpy(x)
        net.eval()
        with torch.no_grad():
            y_eval = net(xt)
        net.train()
        y_train = net(xt)
        labels = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
        F.binary_cross_entropy_with_logits(y_train, labels).backward()
        params = dict(net.named_parameters())
        first, last = FIRST_LAST[net_name]
        for key, value in [("x", x), ("y_eval", y_eval), ("y_train", y_train), ("g_first", params[first].grad),
                           ("g_last", params[last].grad)]:
            if isinstance(value, torch.Tensor):
                value = value.detach().numpy()
            np.save(os.path.join(OUT, f"{case}.{key}.npy"), np.ascontiguousarray(value, dtype=np.float32))
        with open(os.path.join(OUT, f"{case}.params.txt"), "w") as f:
            for k, v in sorted(state(net).items()):
                f.write(" ".join([k] + [str(d) for d in v.shape]) + "\n")
        print(f"{case:18} {num_params(net):9d} parameters  y_eval {y_eval.flatten().numpy()}  "
              f"y_train {y_train.detach().flatten().numpy()}")

    with open(os.path.join(OUT, "counts.txt"), "w") as f:
        f.write("# network input_size width_mult parameters (one input channel, one logit)\n")
        for name, cls in NETS.items():
            for size, m in [(64, 0.25), (299 if name == "inceptionv3" else 224, 1.0)]:
                f.write(f"{name} {size} {m} {num_params(cls(size, m))}\n")
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
