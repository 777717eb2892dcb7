#!/usr/bin/python3
"""Golden values for the loss tests: every loss of docs/LOSSES.md and its gradient with respect to
the logits, computed in PyTorch (float64) and SciPy from fixed float32 inputs, written as .npy
files into tests/fixtures/losses/. The C++ tests (tests/losses/test_golden_losses.cpp) compare
fbd's float32 kernels against them, so CI needs no Python.

    /usr/bin/python3 tests/reference/make_loss_fixtures.py

Uses Debian's python3-torch (1.13, CPU), numpy and scipy. torchvision and MONAI are not
installed, so their reference formulas are written out here in plain PyTorch, following
docs/LOSSES.md and the public code they name:
  - torchvision.ops.sigmoid_focal_loss            -> sigmoid_focal_loss()
  - monai.losses.DiceLoss(sigmoid=True / softmax)  -> dice_loss(), softmax_dice_loss()
  - F3Net / PraNet structure_loss                  -> structure_loss()
  - boundary-loss repo one_hot2dist / SurfaceLoss  -> one_hot2dist(), boundary_loss()
The inputs are fixed by a seed, so re-running the script reproduces the files bit for bit.
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "losses")
rng = np.random.default_rng(2023)


def save(name, a, dtype=np.float32):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(np.asarray(a, dtype=dtype)))


# ---- inputs -------------------------------------------------------------------------------
# Binary batch [4, 1, 20, 24]: an ellipse, an empty mask, a single pixel, a full mask. The
# logits are N(0, 3) with a few +-50 entries (saturated sigmoids) in every image.
N, H, W = 4, 20, 24
yy, xx = np.mgrid[0:H, 0:W]
target = np.zeros((N, 1, H, W), np.float32)
target[0, 0] = (((yy - 9.0) / 5.5) ** 2 + ((xx - 12.0) / 7.5) ** 2 <= 1.0)
target[2, 0, 11, 7] = 1.0
target[3, 0] = 1.0
logits = (rng.standard_normal((N, 1, H, W)) * 3.0).astype(np.float32)
for n in range(N):
    for k in range(6):
        logits[n, 0, rng.integers(H), rng.integers(W)] = 50.0 if k % 2 == 0 else -50.0
# An edge target for the edge losses: the ellipse's contour (binary).
edge = target - ndimage.binary_erosion(target[:, 0] > 0, structure=np.ones((1, 3, 3)), border_value=0)[:, None]
edge = edge.astype(np.float32)


def one_hot2dist(seg):
    """Kervadec's one_hot2dist for one binary image, with fbd's convention that an empty or a
    full mask (no boundary) gives 0 everywhere (SciPy's EDT has no background to measure a
    full mask against)."""
    pos = seg.astype(bool)
    if not pos.any() or pos.all():
        return np.zeros(seg.shape, np.float64)
    neg = ~pos
    return ndimage.distance_transform_edt(neg) * neg - (ndimage.distance_transform_edt(pos) - 1) * pos


sdm = np.stack([one_hot2dist(target[n, 0])[None] for n in range(N)]).astype(np.float32)
save("bin_logits", logits)
save("bin_target", target)
save("bin_sdm", sdm)
save("bin_edge", edge)
# Bad inputs for the command-line tests: a mask value of 0.5, a NaN logit, float64 logits.
bad_target = target.copy()
bad_target[1, 0, 2, 3] = 0.5
save("bad_target", bad_target)
nan_logits = logits.copy()
nan_logits[0, 0, 0, 4] = np.nan
save("nan_logits", nan_logits)
save("bin_logits_f64", logits, np.float64)

z64 = lambda: torch.tensor(logits, dtype=torch.float64, requires_grad=True)
g = torch.tensor(target, dtype=torch.float64)
e = torch.tensor(edge, dtype=torch.float64)
phi = torch.tensor(sdm, dtype=torch.float64)


def golden(name, fn):
    z = z64()
    loss = fn(z)
    loss.backward()
    save(name + "_value", [loss.item()], np.float64)
    save(name + "_grad", z.grad.numpy())  # float32 is ample for the 1e-5 tolerances


# ---- reference formulas --------------------------------------------------------------------
def dice_loss(z, g, squared=False, batch=False, eps_n=1e-5, eps_d=1e-5):
    p = torch.sigmoid(z)
    axes = [0, 2, 3] if batch else [2, 3]
    inter = (p * g).sum(axes)
    pred = (p * p).sum(axes) if squared else p.sum(axes)
    ground = (g * g).sum(axes) if squared else g.sum(axes)
    return (1.0 - (2.0 * inter + eps_n) / (pred + ground + eps_d)).mean()


def sigmoid_focal_loss(z, g, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, g, reduction="none")
    p_t = p * g + (1 - p) * (1 - g)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * g + (1 - alpha) * (1 - g)) * loss
    return loss.mean()


def boundary_loss(z, phi):
    return (torch.sigmoid(z) * phi).mean()


def structure_weight(g):
    return 1 + 5 * torch.abs(F.avg_pool2d(g, kernel_size=31, stride=1, padding=15) - g)


def structure_loss(z, g, plain=False, lam=0.0, phi=None):
    weit = structure_weight(g)
    bce = F.binary_cross_entropy_with_logits(z, g, reduction="none")
    if plain:  # what F3Net's reduce='none' actually gives: the mean over the batch
        wbce = bce.mean()
    else:
        wbce = (weit * bce).sum(dim=(2, 3)) / weit.sum(dim=(2, 3))
    p = torch.sigmoid(z)
    inter = (p * g * weit).sum(dim=(2, 3))
    union = ((p + g) * weit).sum(dim=(2, 3))
    wiou = 1 - (inter + 1) / (union - inter + 1)
    loss = (wbce + wiou).mean()
    if lam != 0.0:
        loss = loss + lam * boundary_loss(z, phi)
    return loss


def compactness(z, o=1e-8):
    p = torch.sigmoid(z)[:, 0]
    du = p[:, 1:, :-1] - p[:, :-1, :-1]
    dv = p[:, :-1, 1:] - p[:, :-1, :-1]
    P = torch.sqrt(du * du + dv * dv + o).sum(dim=(1, 2))
    A = p.abs().sum(dim=(1, 2))
    return (P * P / (4 * math.pi * A)).mean()


# ---- binary losses -------------------------------------------------------------------------
golden("dice", lambda z: dice_loss(z, g))
golden("dice_squared", lambda z: dice_loss(z, g, squared=True))
golden("dice_batch", lambda z: dice_loss(z, g, batch=True))
golden("dice_eps", lambda z: dice_loss(z, g, eps_n=0.5, eps_d=2.0))
golden("focal", lambda z: sigmoid_focal_loss(z, g))
golden("focal_g0_noalpha", lambda z: sigmoid_focal_loss(z, g, alpha=-1.0, gamma=0.0))
golden("focal_g15_a06", lambda z: sigmoid_focal_loss(z, g, alpha=0.6, gamma=1.5))
golden("focal_edge", lambda z: sigmoid_focal_loss(z, e))
golden("bce", lambda z: F.binary_cross_entropy_with_logits(z, g))
golden("bce_edge", lambda z: F.binary_cross_entropy_with_logits(z, e))
golden("boundary", lambda z: boundary_loss(z, phi))
golden("fbd", lambda z: 0.5 * dice_loss(z, g) + 0.3 * sigmoid_focal_loss(z, g) + 0.2 * boundary_loss(z, phi))
golden("fbd_custom", lambda z: 0.2 * dice_loss(z, g, squared=True) + 0.5 * sigmoid_focal_loss(z, g, 0.5, 1.0)
       + 0.3 * boundary_loss(z, phi))
save("structure_weight", structure_weight(g).numpy())
golden("structure", lambda z: structure_loss(z, g))
golden("structure_plain", lambda z: structure_loss(z, g, plain=True))
golden("bce_boundary", lambda z: structure_loss(z, g, lam=1.0, phi=phi))
golden("bce_boundary_l05_plain", lambda z: structure_loss(z, g, plain=True, lam=0.5, phi=phi))
golden("compactness", lambda z: compactness(z))
golden("shape_aware", lambda z: F.binary_cross_entropy_with_logits(z, g) + 0.5 * compactness(z))
# Deep supervision (Eq. 3): three side outputs (here: the logits, scaled) and the edge head.
golden("deep_supervision", lambda z: sum(
    0.5 * dice_loss(s, g) + 0.3 * sigmoid_focal_loss(s, g) + 0.2 * boundary_loss(s, phi)
    for s in (z, 0.5 * z, 2.0 * z)) + sigmoid_focal_loss(z - 1.0, e))

# ---- smoothness pieces ---------------------------------------------------------------------
gm = target[:, 0] > 0
st = np.ones((1, 3, 3), bool)  # 3x3 within each image, never across the batch
contour = gm & ~ndimage.binary_erosion(gm, structure=st, border_value=0)
band = ndimage.binary_dilation(gm, structure=st) & ~gm
save("bands_contour", contour.astype(np.float32))
save("bands_background", band.astype(np.float32))
C = 3
features = rng.standard_normal((N, C, H, W)).astype(np.float32)
up = rng.uniform(-1, 1, (N, 2, C)).astype(np.float32)
save("emb_features", features)
save("emb_upstream", up)
T = torch.tensor(features, dtype=torch.float64, requires_grad=True)
cm = torch.tensor(contour, dtype=torch.float64)[:, None]
bm = torch.tensor(band, dtype=torch.float64)[:, None]
cs, bs = cm.sum(dim=(2, 3)), bm.sum(dim=(2, 3))
ec = torch.where(cs > 0, (T * cm).sum(dim=(2, 3)) / cs.clamp(min=1), torch.zeros_like(cs))
eb = torch.where(bs > 0, (T * bm).sum(dim=(2, 3)) / bs.clamp(min=1), torch.zeros_like(bs))
emb = torch.stack([ec, eb], dim=1)
(emb * torch.tensor(up, dtype=torch.float64)).sum().backward()
save("emb_value", emb.detach().numpy(), np.float64)
save("emb_grad", T.grad.numpy())

V, D = 5, 6
xc = rng.standard_normal((V, D)).astype(np.float32)
xb = rng.standard_normal((V, D)).astype(np.float32)
xb[1] = -xc[1] * 0.3  # one contour/background pair far apart, others random
save("smooth_xc", xc)
save("smooth_xb", xb)
tc = torch.tensor(xc, dtype=torch.float64, requires_grad=True)
tb = torch.tensor(xb, dtype=torch.float64, requires_grad=True)
nc, nb = F.normalize(tc, dim=1), F.normalize(tb, dim=1)
same = ((nc[:, None, :] - nc[None, :, :]) ** 2).sum(-1)
cross = torch.sqrt(((nc[:, None, :] - nb[None, :, :]) ** 2).sum(-1))
smooth = (same + torch.clamp(0.8 - cross, min=0) ** 2).sum() / V ** 2
smooth.backward()
save("smooth_value", [smooth.item()], np.float64)
save("smooth_grad_c", tc.grad.numpy(), np.float64)
save("smooth_grad_b", tb.grad.numpy(), np.float64)

# ---- multi-class -----------------------------------------------------------------------------
MN, K, MH, MW = 3, 4, 14, 18
yy, xx = np.mgrid[0:MH, 0:MW]
labels = np.zeros((MN, MH, MW), np.float32)
labels[0][((yy - 6) / 4.0) ** 2 + ((xx - 6) / 5.0) ** 2 <= 1] = 1
labels[0][((yy - 8) / 3.0) ** 2 + ((xx - 13) / 3.5) ** 2 <= 1] = 2
labels[1][2:6, 3:15] = 3
labels[1][9:12, 1:4] = 1
labels[2][:, :9] = 2  # class 1 and 3 absent in image 2
mlogits = (rng.standard_normal((MN, K, MH, MW)) * 2.5).astype(np.float32)
mlogits[0, 1, 3, 4] = 50.0
mlogits[1, 0, 7, 7] = -50.0
mlogits[2, 3, 0, 0] = 50.0
csdm = np.zeros((MN, K, MH, MW), np.float32)
for n in range(MN):
    for k in range(K):
        csdm[n, k] = one_hot2dist(labels[n] == k)
save("mc_logits", mlogits)
save("mc_labels", labels)
save("mc_sdm", csdm)
onehot = torch.tensor(np.stack([(labels == k) for k in range(K)], axis=1), dtype=torch.float64)
lab = torch.tensor(labels, dtype=torch.long)
mphi = torch.tensor(csdm, dtype=torch.float64)


def softmax_dice_loss(z, include_background=True, batch=False, squared=False):
    p = torch.softmax(z, dim=1)
    t = onehot
    if not include_background:
        p, t = p[:, 1:], t[:, 1:]
    axes = [0, 2, 3] if batch else [2, 3]
    inter = (p * t).sum(axes)
    pred = (p * p).sum(axes) if squared else p.sum(axes)
    ground = (t * t).sum(axes) if squared else t.sum(axes)
    return (1 - (2 * inter + 1e-5) / (pred + ground + 1e-5)).mean()


def softmax_focal_loss(z, gamma=2.0, weights=None):
    logp = torch.log_softmax(z, dim=1)
    lp = logp.gather(1, lab[:, None])[:, 0]
    # 1 - p_y as the sum of the other classes' probabilities: exact where p_y rounds to 1, where
    # 1 - p_y would be 0 and (1 - p_y)^gamma's derivative 0 * inf = NaN for gamma < 1.
    w = (torch.softmax(z, dim=1) * (1 - onehot)).sum(1)
    a = 1.0 if weights is None else torch.tensor(weights, dtype=torch.float64)[lab]
    return (-a * w ** gamma * lp).mean()


def softmax_boundary_loss(z, include_background=True):
    p = torch.softmax(z, dim=1)
    idc = slice(0, K) if include_background else slice(1, K)
    return (p[:, idc] * mphi[:, idc]).mean()


mz64 = lambda: torch.tensor(mlogits, dtype=torch.float64, requires_grad=True)


def mc_golden(name, fn):
    z = mz64()
    loss = fn(z)
    loss.backward()
    save(name + "_value", [loss.item()], np.float64)
    save(name + "_grad", z.grad.numpy())  # float32 is ample for the 1e-5 tolerances


mc_golden("mc_dice", lambda z: softmax_dice_loss(z))
mc_golden("mc_dice_nobg_batch_sq", lambda z: softmax_dice_loss(z, include_background=False, batch=True, squared=True))
mc_golden("mc_focal", lambda z: softmax_focal_loss(z))
mc_golden("mc_focal_g0", lambda z: softmax_focal_loss(z, gamma=0.0))
mc_golden("mc_focal_g05_w", lambda z: softmax_focal_loss(z, gamma=0.5, weights=[0.5, 1.0, 2.0, 1.5]))
mc_golden("mc_boundary", lambda z: softmax_boundary_loss(z))
mc_golden("mc_boundary_nobg", lambda z: softmax_boundary_loss(z, include_background=False))
mc_golden("mc_fbd", lambda z: 0.5 * softmax_dice_loss(z) + 0.3 * softmax_focal_loss(z) + 0.2 * softmax_boundary_loss(z))
print("wrote", len(os.listdir(OUT)), "files to", OUT)
