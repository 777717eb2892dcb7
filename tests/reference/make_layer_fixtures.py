#!/usr/bin/python3
"""Golden values for tests/layers/test_golden.cpp, tests/layers/test_pool_upsample.cpp,
tests/losses/test_cross_entropy.cpp and tests/optim/test_optim.cpp, computed by PyTorch (Debian's
python3-torch, CPU, float32) on small fixed inputs, written as .npy files into
tests/fixtures/layers/. CI needs no Python: the files are committed.

    /usr/bin/python3 tests/reference/make_layer_fixtures.py

Each case NAME writes NAME.x.npy (input), NAME.gy.npy (the output gradient fed to backward),
NAME.y.npy (output), NAME.gx.npy (input gradient), and for layers with parameters NAME.w.npy,
NAME.b.npy, NAME.gw.npy, NAME.gb.npy. Inputs come from NumPy's seeded generator, not torch's;
the cases added later come after the earlier ones, so adding one never changes an existing file.
The cross-entropy cases also write NAME.labels.npy (class indices as float32); their gy is a
one-element array (the loss is a scalar). pool_sizes.npy holds rows of (in, kernel, stride,
padding, ceil_mode, PyTorch's output size).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "layers")
rng = np.random.default_rng(20231127)


def arr(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def save(name, **tensors):
    for k, v in tensors.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        np.save(os.path.join(OUT, f"{name}.{k}.npy"), np.ascontiguousarray(v, dtype=np.float32))


def run(name, fn, x, params=()):
    """y = fn(x, *params); backward with a fixed random gy; saves everything."""
    xt = torch.tensor(x, requires_grad=True)
    pt = [torch.tensor(p, requires_grad=True) for p in params]
    y = fn(xt, *pt)
    gy = arr(*y.shape)
    y.backward(torch.tensor(gy))
    out = dict(x=x, y=y, gy=gy, gx=xt.grad)
    for key, p, t in zip(["w", "b"], params, pt):
        out[key] = p
        out["g" + key] = t.grad
    save(name, **out)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)

    # ---- convolutions ----
    run("conv_s2p1", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), arr(2, 3, 9, 8),
        (arr(4, 3, 3, 3), arr(4)))
    run("conv_dilated", lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(2, 1), dilation=(2, 1)),
        arr(2, 2, 10, 9), (arr(3, 2, 3, 2), arr(3)))
    run("conv_1x1", lambda x, w, b: F.conv2d(x, w, b), arr(2, 5, 4, 4), (arr(3, 5, 1, 1), arr(3)))
    run("convT_s2", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        arr(2, 3, 5, 4), (arr(3, 2, 3, 3), arr(2)))
    run("convT_dilated", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
        arr(2, 2, 4, 5), (arr(2, 3, 2, 3), arr(3)))

    # ---- batch norm: training (batch statistics, running statistics updated) and eval ----
    x = arr(4, 3, 5, 5, lo=-2, hi=3)
    gamma, beta = arr(3, lo=0.5, hi=1.5), arr(3)
    rm0, rv0 = arr(3), arr(3, lo=0.5, hi=2.0)
    rm, rv = torch.tensor(rm0), torch.tensor(rv0)
    run("bn_train", lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5), x,
        (gamma, beta))
    save("bn_train", rm0=rm0, rv0=rv0, rm=rm, rv=rv)
    run("bn_eval", lambda x, w, b: F.batch_norm(x, torch.tensor(rm0), torch.tensor(rv0), w, b, training=False,
                                                 eps=1e-3), x, (gamma, beta))
    save("bn_eval", rm0=rm0, rv0=rv0)

    # ---- pooling ----
    run("maxpool_k3s2p1", lambda x: F.max_pool2d(x, 3, 2, 1), arr(2, 3, 9, 9))
    run("maxpool_k2", lambda x: F.max_pool2d(x, 2), arr(1, 2, 8, 7))
    run("avgpool_k3s2p1_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True), arr(2, 3, 9, 8))
    run("avgpool_k3s2p1_nopad", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), arr(2, 3, 9, 8))
    run("avgpool_k31s1p15", lambda x: F.avg_pool2d(x, 31, 1, 15, count_include_pad=True), arr(1, 2, 40, 36))

    # ---- bilinear upsampling ----
    x = arr(2, 2, 5, 4)
    run("up_size_ac0", lambda x: F.interpolate(x, size=(11, 7), mode="bilinear", align_corners=False), x)
    run("up_size_ac1", lambda x: F.interpolate(x, size=(11, 7), mode="bilinear", align_corners=True), x)
    run("up_scale2_ac0", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), x)
    run("up_scale1.7_ac0", lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=False), x)
    run("up_scale1.7_ac1", lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True), x)
    run("up_down_ac0", lambda x: F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=False), x)

    # ---- linear ----
    run("linear", lambda x, w, b: F.linear(x, w, b), arr(5, 7), (arr(4, 7), arr(4)))

    # ---- optimizers: three steps from fixed parameters with fixed gradients ----
    p0 = arr(3, 4)
    grads = [arr(3, 4) for _ in range(3)]
    save("optim", p0=p0, g0=grads[0], g1=grads[1], g2=grads[2])
    cases = {
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
        "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
        "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.01),
        "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    }
    for name, make in cases.items():
        p = torch.tensor(p0, requires_grad=True)
        opt = make(p)
        for g in grads:
            p.grad = torch.tensor(g)
            opt.step()
        save("optim", **{name: p})

    # ---- the classifiers' and comparison networks' layers ----
    run("prelu_shared", lambda x, w: F.prelu(x, w), arr(2, 3, 5, 4), (arr(1, lo=0.1, hi=0.4),))
    run("prelu_channels", lambda x, w: F.prelu(x, w), arr(2, 3, 5, 4), (arr(3, lo=-0.5, hi=0.5),))
    run("tanh", torch.tanh, arr(2, 3, 4, 5, lo=-3, hi=3))
    run("inorm", lambda x: F.instance_norm(x, eps=1e-5), arr(2, 3, 5, 6, lo=-2, hi=3))
    run("inorm_affine", lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3), arr(2, 3, 5, 6),
        (arr(3, lo=0.5, hi=1.5), arr(3)))
    run("inorm_offset", lambda x: F.instance_norm(x, eps=1e-5), arr(2, 2, 7, 6, lo=50, hi=52))
    run("maxpool_ceil_k3s2", lambda x: F.max_pool2d(x, 3, 2, 0, ceil_mode=True), arr(2, 2, 8, 9))
    run("maxpool_ceil_k3s2p1", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), arr(2, 2, 8, 10))
    run("avgpool_ceil_k3s2p1_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True),
        arr(2, 3, 8, 10))
    run("avgpool_ceil_k3s2p1_nopad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        arr(2, 3, 8, 10))
    run("avgpool_ceil_k2", lambda x: F.avg_pool2d(x, 2, ceil_mode=True), arr(1, 2, 5, 7))
    run("global_avgpool", lambda x: F.adaptive_avg_pool2d(x, 1), arr(2, 3, 7, 5))

    # Output sizes, floor and ceil mode, from PyTorch itself (max pooling's shape rule, which
    # average pooling shares).
    rows = []
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 27, 55, 56, 112, 147):
        for k, st, pad in ((1, 1, 0), (1, 2, 0), (1, 3, 0), (2, 2, 0), (2, 2, 1), (3, 2, 0), (3, 2, 1), (3, 3, 1),
                           (3, 1, 1), (4, 3, 2), (5, 3, 2), (3, 4, 1), (2, 3, 1)):
            if n + 2 * pad < k:
                continue
            for ceil in (False, True):
                out = F.max_pool2d(torch.zeros(1, 1, n, 1), (k, 1), (st, 1), (pad, 0), ceil_mode=ceil).shape[2]
                rows.append((n, k, st, pad, int(ceil), out))
    np.save(os.path.join(OUT, "pool_sizes.npy"), np.array(rows, dtype=np.float32))

    # ---- classification cross-entropy (nn.CrossEntropyLoss, mean) ----
    def cross_entropy(name, logits, labels, smoothing):
        z = torch.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(z, torch.tensor(labels, dtype=torch.int64), label_smoothing=smoothing)
        gy = np.array([0.7], dtype=np.float32)
        loss.backward(torch.tensor(gy[0]))
        save(name, x=logits, labels=labels.astype(np.float32), y=loss.reshape(1), gy=gy, gx=z.grad)

    cross_entropy("ce_plain", arr(6, 5, lo=-3, hi=3), rng.integers(0, 5, size=6), 0.0)
    cross_entropy("ce_smooth", arr(6, 5, lo=-3, hi=3), rng.integers(0, 5, size=6), 0.1)
    cross_entropy("ce_wide", arr(7, 10, lo=-30, hi=30), rng.integers(0, 10, size=7), 0.0)
    cross_entropy("ce_binary", arr(9, 2, lo=-4, hi=4), rng.integers(0, 2, size=9), 0.05)
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
