// Soft Dice on logits, from the obvious loops to the kernel fbd ships: a walkthrough for someone
// who has never written a CUDA reduction (docs/kernels/walkthrough.md reads it version by version).
//
// THE LOSS. N images of HW pixels, logits z, target g in {0, 1}, p = sigmoid(z), eps = 1e-5 in the
// numerator and the denominator (MONAI's DiceLoss(sigmoid=True)):
//
//   I_n = sum_i p_i g_i,   P_n = sum_i p_i,   G_n = sum_i g_i,   D_n = P_n + G_n + eps
//   L   = (1/N) sum_n [1 - (2 I_n + eps) / D_n]
//   dL/dz_i = (b_n - a_n g_i) p_i (1 - p_i),   a_n = 2 / (N D_n),   b_n = (2 I_n + eps) / (N D_n^2)
//
// WHY IT IS A REDUCTION. The value needs three sums per image. Worse, so does the gradient of
// every single pixel (a_n and b_n): no gradient can be written before the sums over the whole
// image are finished. So there are always at least two passes over the pixels: one that reduces
// (reads z and g: 8 bytes per pixel), one that maps (reads z and g again, writes dz: 12 bytes).
// 20 bytes per pixel is the least any version here can move; on a GPU that traffic, not the
// arithmetic (one exp per pixel and pass), sets the speed. Every version is a better answer to
// one question: how do a million threads add up three numbers each into a few totals?
//
// THE FILE, top to bottom:
//   0. the CPU reference: kernels/dev/dice_reference.h (double, the obvious loops), tested
//      against fbd's CPU twin by tests/kernels/test_walkthrough_reference.cpp; the plumbing both
//      walkthroughs share (error checks, the GPU test, the L2-flushing timer) is in
//      kernels/dev/walkthrough_common.cuh;
//   1. v1 naive: one thread per pixel, three float atomicAdds per pixel into global sums;
//   2. v2: each block first sums its pixels in shared memory (a tree), one atomicAdd per block;
//   3. v3: warp shuffles instead of most of the tree; per-block partials in a workspace and a
//      second small kernel that adds them in a fixed order: deterministic, no float atomics;
//   4. v4: that second kernel folded into the first ("the last block finishes", one integer
//      atomic), and float4 loads;
//   5. v5: fbd's production kernels (kernels::binary_loss_forward_cuda / _backward_cuda) with the
//      Dice term alone: the last step is what fbd ships;
//   6, 7. the compound Focal Boundary Dice (0.5 Dice + 0.3 focal + 0.2 boundary): the naive
//      composition of three single-term launches plus gradient additions (84 bytes per pixel)
//      against the fused two-kernel launch (28 bytes per pixel), both through fbd's entry points;
//   8. main: a deterministic batch, every version run, checked against the reference and timed.
//
// RUNNING IT (built with fbd's CUDA build: cmake --build build --target fbd_walkthrough_dice):
//   build/bench/fbd_walkthrough_dice [N H W] [--reps R]   time every version (default 16 256 256)
//   build/bench/fbd_walkthrough_dice --check               small shapes, correctness only
//   build/bench/fbd_walkthrough_dice --version K           one version (1-7) only
// Checking: |ref - gpu| <= atol + rtol |ref| for the value and for every gradient element, the
// worst error printed; versions that claim determinism must also repeat bit for bit. Exit codes:
// 0 all correct, 1 any mismatch or CUDA error, 77 no usable GPU (ctest's "skipped"; with
// FBD_REQUIRE_GPU=1 that is an error instead, exit 1).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernels/binary_loss_kernels.h"
#include "kernels/dev/dice_reference.h"
#include "kernels/dev/walkthrough_common.cuh"
#include "kernels/edt_kernels.h"

namespace {

using namespace fbd::walkthrough;

// ---- the batch ------------------------------------------------------------------------------

// A deterministic batch: targets, logits that roughly agree with them (as a half-trained
// network's would), and the signed distance map phi of each target (for the boundary term).
struct Batch {
  int64_t N = 0, H = 0, W = 0;
  std::vector<float> z, g, phi;
  int64_t HW() const { return H * W; }
  int64_t size() const { return N * H * W; }
};

// edge_cases: image n is empty, full, a single pixel, an ellipse, random blobs (n mod 5), and a
// few logits are +-40, where a careless sigmoid gives 1 - p = 0; otherwise every image holds an
// ellipse (a "tumour") at a position and size that vary with n.
Batch make_batch(int64_t N, int64_t H, int64_t W, bool edge_cases) {
  Batch b;
  b.N = N;
  b.H = H;
  b.W = W;
  b.z.resize(size_t(b.size()));
  b.g.resize(size_t(b.size()));
  b.phi.resize(size_t(b.size()));
  Rng rng{12345};
  for (int64_t n = 0; n < N; ++n) {
    const int kind = edge_cases ? int(n % 5) : 3;
    const double cy = H * (0.3 + 0.4 * ((n * 37) % 11) / 10.0), cx = W * (0.3 + 0.4 * ((n * 53) % 13) / 12.0);
    const double ry = std::max(1.0, H * (0.08 + 0.02 * (n % 7))), rx = std::max(1.0, W * (0.07 + 0.025 * (n % 5)));
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const size_t i = size_t((n * H + y) * W + x);
        float t = 0.0f;
        switch (kind) {
          case 0: t = 0.0f; break;
          case 1: t = 1.0f; break;
          case 2: t = (y == H / 2 && x == W / 3) ? 1.0f : 0.0f; break;
          case 3: t = ((y - cy) * (y - cy) / (ry * ry) + (x - cx) * (x - cx) / (rx * rx) <= 1.0) ? 1.0f : 0.0f; break;
          default: t = rng.uniform() < 0.3 ? 1.0f : 0.0f; break;
        }
        b.g[i] = t;
        double logit = (t > 0.5f ? 2.0 : -2.0) + 6.0 * (rng.uniform() - 0.5);
        if (edge_cases && rng.uniform() < 0.02) logit = rng.uniform() < 0.5 ? -40.0 : 40.0;
        b.z[i] = float(logit);
      }
  }
  // phi = +distance to the target outside it, -(distance to the background - 1) inside, 0 on an
  // empty or full image: fbd's own exact EDT on the CPU (see edt_walkthrough.cu).
  fbd::kernels::edt_cpu(b.g.data(), b.phi.data(), N, H, W, 1.0f, 1.0f, fbd::kernels::EdtOutput::Signed);
  return b;
}

// ---- device helpers shared by the hand-written versions ------------------------------------

constexpr int kThreads = 256;  // threads per block in every hand-written version: 8 warps
constexpr float kEps = 1e-5f;

// p = sigmoid(z) and q = 1 - p from one exp. q is never computed as 1 - p: where p rounds to
// 1 (z > 17 in float) that subtraction gives 0 and the gradient p q would vanish.
__device__ __forceinline__ void sigmoid_pq(float z, float& p, float& q) {
  const float e = expf(-fabsf(z));  // in (0, 1]: never overflows
  const float big = 1.0f / (1.0f + e), small = e * big;
  p = z >= 0.0f ? big : small;
  q = z >= 0.0f ? small : big;
}

// The per-image gradient coefficients, with 1/N folded in: dL/dz_i = (b - a g_i) p_i q_i.
// sums[3 n + 0] = I_n, sums[3 n + 1] = P_n, sums[3 n + 2] = G_n.
struct DiceCoef {
  float a, b;
};
__device__ __forceinline__ DiceCoef dice_coef(const float* sums, int64_t n, int64_t N) {
  const float I = sums[3 * n], P = sums[3 * n + 1], G = sums[3 * n + 2];
  const float D = P + G + kEps;
  return {2.0f / (D * float(N)), (2.0f * I + kEps) / (D * D * float(N))};
}
__device__ __forceinline__ float dice_grad(float z, float g, DiceCoef c) {
  float p, q;
  sigmoid_pq(z, p, q);
  return (c.b - c.a * g) * (p * q);
}

// The loss value from the per-image sums: one thread, images in order. N is small (a batch),
// so one thread is fast enough, and a fixed order makes the value a function of the sums alone.
__device__ void dice_value_from_sums(const float* sums, int64_t N, float* value) {
  double v = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const double I = sums[3 * n], P = sums[3 * n + 1], G = sums[3 * n + 2];
    v += 1.0 - (2.0 * I + kEps) / (P + G + kEps);
  }
  *value = float(v / double(N));
}
__global__ void dice_value_kernel(const float* sums, int64_t N, float* value) {
  if (blockIdx.x == 0 && threadIdx.x == 0) dice_value_from_sums(sums, N, value);
}

// The gradient pass of v1-v3: one thread per pixel. It is already the right shape (a map:
// neighbouring threads read and write neighbouring floats, so every warp access is one
// coalesced 128-byte transaction); v4 only trims it.
__global__ void dice_grad_flat(const float* __restrict__ z, const float* __restrict__ g, int64_t N, int64_t HW,
                               const float* __restrict__ sums, float* __restrict__ dz) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= N * HW) return;
  const int64_t n = i / HW;  // a 64-bit division per pixel: v4's 2-D grid avoids it
  dz[i] = dice_grad(z[i], g[i], dice_coef(sums, n, N));
}

// How many blocks share one image in v2-v4. A GPU hides memory latency by having many loads in
// flight, so we want every SM busy: about two "waves" of resident blocks (an H100/H200 SM holds
// 2048 threads = 8 blocks of 256). But each block will produce partial sums that somebody has
// to add, so no block gets fewer than 2048 pixels (8 per thread).
int64_t blocks_per_image(int64_t N, int64_t HW, int sms) {
  const int64_t target = int64_t(sms) * (2048 / kThreads) * 2;
  int64_t B = (target + N - 1) / N;
  B = std::min(B, (HW + 2048 - 1) / 2048);
  return std::max<int64_t>(B, 1);
}

// ---- v1: naive. One thread per pixel, float atomics ----------------------------------------
//
// The first thing anyone writes: every thread computes p for its pixel and adds its three
// terms straight into the image's three sums in global memory with atomicAdd. Then a second
// kernel turns the sums into the value, and a third pass writes the gradient.
//
//   launches: memset of the sums + 3 kernels        bytes: 8 + 12 = 20 per pixel
//   float atomics: 3 per pixel (3 million for a 16 x 256 x 256 batch) on only 3 N addresses
//
// Why it is slow: an atomic on one address is serialised where that address lives (one L2
// slice). All 65536 pixels of an image hammer the same three words, so the reduction runs at
// the rate one slice can apply atomics to one word, not at memory bandwidth.
// Why it is not deterministic: float addition is not associative ((a + b) + c != a + (b + c)
// after rounding), and the order in which atomics arrive changes from run to run. The same
// input gives sums, values and gradients that differ in the last bits between runs.
__global__ void dice_v1_sums(const float* __restrict__ z, const float* __restrict__ g, int64_t N, int64_t HW,
                             float* sums) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= N * HW) return;
  const int64_t n = i / HW;
  float p, q;
  sigmoid_pq(z[i], p, q);
  atomicAdd(&sums[3 * n + 0], p * g[i]);
  atomicAdd(&sums[3 * n + 1], p);
  atomicAdd(&sums[3 * n + 2], g[i]);
}

// ---- v2: block reduction in shared memory, one atomic per block and sum ---------------------
//
// Each block owns one image (blockIdx.y) and a strided share of its pixels (blockIdx.x of B).
// A thread first adds up its own pixels in registers (a grid-stride loop: thread t of block b
// takes pixels b*256 + t, then + B*256, ...; each step of a warp still reads 32 neighbouring
// floats). Then the block's 256 partial sums are added in shared memory as a tree: 128 threads
// add the upper half onto the lower, then 64, ..., then 1, with a __syncthreads() between the
// levels so nobody reads a value before it is written. Thread 0 then does one atomicAdd per sum.
//
//   launches: memset + 3 kernels                    bytes: 20 per pixel
//   float atomics: 3 per block (a few hundred per image instead of 65536 x 3)
//
// Still not deterministic (the blocks' atomics arrive in any order), and the tree leaves most
// threads idle in the last levels, each level paying a __syncthreads().
__global__ void __launch_bounds__(kThreads)
    dice_v2_sums(const float* __restrict__ z, const float* __restrict__ g, int64_t HW, float* sums) {
  __shared__ float s_inter[kThreads], s_pred[kThreads], s_target[kThreads];
  const int64_t n = blockIdx.y;
  const float* zn = z + n * HW;
  const float* gn = g + n * HW;
  float inter = 0.0f, pred = 0.0f, target = 0.0f;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < HW; i += int64_t(gridDim.x) * kThreads) {
    float p, q;
    sigmoid_pq(zn[i], p, q);
    inter += p * gn[i];
    pred += p;
    target += gn[i];
  }
  const int t = threadIdx.x;
  s_inter[t] = inter;
  s_pred[t] = pred;
  s_target[t] = target;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (t < stride) {
      s_inter[t] += s_inter[t + stride];
      s_pred[t] += s_pred[t + stride];
      s_target[t] += s_target[t + stride];
    }
    __syncthreads();
  }
  if (t == 0) {
    atomicAdd(&sums[3 * n + 0], s_inter[0]);
    atomicAdd(&sums[3 * n + 1], s_pred[0]);
    atomicAdd(&sums[3 * n + 2], s_target[0]);
  }
}

// ---- v3: warp shuffles, per-block partials, a fixed-order second kernel ----------------------
//
// Two changes.
// (a) Inside a warp, the 32 threads can read each other's registers directly: __shfl_down_sync
//     (v, 16) hands each lane the value of the lane 16 above it, and five such steps (16, 8, 4,
//     2, 1) leave the warp's total in lane 0, with no shared memory and no __syncthreads(). Only
//     the 8 warp totals go through shared memory, and thread 0 adds those 8 in order.
// (b) No float atomics at all. Each block writes its three totals to its own slot of a
//     workspace, partial[n][b][3]; a second, tiny kernel adds every image's B partials in block
//     order (in double) and computes the value. The order of every addition now depends on the
//     shape and the GPU's SM count only: the same input gives the same bits on every run.
//
//   launches: 3 kernels (no memset: every slot is written)     bytes: 20 per pixel
//   float atomics: none                                         deterministic: yes
//
// The price is one extra launch and its gap (a few microseconds, which at these sizes is not
// small next to the ~10 us the pixel pass needs on an H100-class GPU).
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;  // the warp's total is valid in lane 0
}

// Block-wide sums of three values; the totals are valid in thread 0 (blockDim.x == kThreads).
__device__ void block_sum3(float& a, float& b, float& c) {
  __shared__ float warp_totals[kThreads / 32][3];
  a = warp_sum(a);
  b = warp_sum(b);
  c = warp_sum(c);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) {
    warp_totals[warp][0] = a;
    warp_totals[warp][1] = b;
    warp_totals[warp][2] = c;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    a = b = c = 0.0f;
    for (int w = 0; w < kThreads / 32; ++w) {  // always the same order
      a += warp_totals[w][0];
      b += warp_totals[w][1];
      c += warp_totals[w][2];
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    dice_v3_partials(const float* __restrict__ z, const float* __restrict__ g, int64_t HW, float* partial) {
  const int64_t n = blockIdx.y;
  const float* zn = z + n * HW;
  const float* gn = g + n * HW;
  float inter = 0.0f, pred = 0.0f, target = 0.0f;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < HW; i += int64_t(gridDim.x) * kThreads) {
    float p, q;
    sigmoid_pq(zn[i], p, q);
    inter += p * gn[i];
    pred += p;
    target += gn[i];
  }
  block_sum3(inter, pred, target);
  if (threadIdx.x == 0) {
    float* slot = partial + 3 * (n * gridDim.x + blockIdx.x);
    slot[0] = inter;
    slot[1] = pred;
    slot[2] = target;
  }
}

// sums[n][k] = sum over b of partial[n][b][k], b in order, in double; then the value. Run by one
// block: thread t takes the (image, sum) pairs t, t + blockDim.x, ... The loads use __ldcg
// ("cache global": through L2, never L1). In v3 that makes no difference, but in v4 the same
// code runs inside the launch that wrote the partials, where an L1 line filled earlier could
// be stale; L2 is the one place every SM's writes meet.
__device__ void add_partials_in_order(const float* partial, int64_t N, int64_t B, float* sums, float* value) {
  for (int64_t nk = threadIdx.x; nk < 3 * N; nk += blockDim.x) {
    const int64_t n = nk / 3, k = nk % 3;
    double s = 0.0;
    for (int64_t b = 0; b < B; ++b) s += double(__ldcg(partial + 3 * (n * B + b) + k));
    sums[nk] = float(s);
  }
  __syncthreads();  // every sum written (and visible to the block) before thread 0 reads them
  if (threadIdx.x == 0) dice_value_from_sums(sums, N, value);
}

__global__ void dice_v3_finish(const float* partial, int64_t N, int64_t B, float* sums, float* value) {
  add_partials_in_order(partial, N, B, sums, value);
}

// ---- v4: the last block finishes, float4 loads --------------------------------------------
//
// v3's second kernel only exists to wait until every block has written its partials. A block
// can find out by itself whether it is the last one: after writing its partials, thread 0
// increments a global integer counter with atomicAdd, which returns the old value. Exactly one
// block sees old == (number of blocks - 1); that block knows every other block has already
// counted itself, so it adds all partials in block order, writes the sums and the value, and
// sets the counter back to 0 for the next launch. (This is kernels/image_sums.cuh's
// last_block()/finish_image_sums() in fbd, and CUDA's "threadFenceReduction" sample.)
//
// The one subtle point is memory ordering. A block's partials must be visible to the whole
// device *before* its increment is: otherwise the last block could count it and then read its
// slot before the value arrives. __threadfence() between the writes and the atomicAdd gives
// exactly that order; the last block fences again before reading, and reads with __ldcg.
// The one atomic is on an integer, where order does not change the result.
//
// Also: when HW % 4 == 0 (and the pointers are 16-byte aligned, which cudaMalloc guarantees),
// each thread loads a float4 of z and of g per step: a quarter of the load instructions and
// index computations for the same bytes, and 16-byte transactions per thread. The gradient
// kernel gets the same float4 treatment, and a 2-D grid (one image per blockIdx.y) so a thread
// computes its image's coefficients once instead of dividing a 64-bit index per pixel.
//
//   launches: 2 (one per pass: the minimum)       bytes: 20 per pixel
//   atomics: 1 integer per block                   deterministic: yes
__device__ unsigned int g_v4_blocks_done = 0;

template <bool kVec>
__global__ void __launch_bounds__(kThreads)
    dice_v4_forward(const float* __restrict__ z, const float* __restrict__ g, int64_t N, int64_t HW, float* partial,
                    float* sums, float* value) {
  const int64_t n = blockIdx.y;
  const float* zn = z + n * HW;
  const float* gn = g + n * HW;
  float inter = 0.0f, pred = 0.0f, target = 0.0f;
  auto add = [&](float zv, float gv) {
    float p, q;
    sigmoid_pq(zv, p, q);
    inter += p * gv;
    pred += p;
    target += gv;
  };
  const int64_t step = int64_t(gridDim.x) * kThreads;
  if constexpr (kVec) {
    const float4* z4 = reinterpret_cast<const float4*>(zn);
    const float4* g4 = reinterpret_cast<const float4*>(gn);
    for (int64_t j = int64_t(blockIdx.x) * kThreads + threadIdx.x; j < HW / 4; j += step) {
      const float4 a = z4[j], b = g4[j];
      add(a.x, b.x);
      add(a.y, b.y);
      add(a.z, b.z);
      add(a.w, b.w);
    }
  } else {
    for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < HW; i += step) add(zn[i], gn[i]);
  }
  block_sum3(inter, pred, target);

  const int64_t B = gridDim.x;
  const unsigned int blocks = gridDim.x * gridDim.y;
  __shared__ bool am_last;
  if (threadIdx.x == 0) {
    float* slot = partial + 3 * (n * B + blockIdx.x);
    slot[0] = inter;
    slot[1] = pred;
    slot[2] = target;
    __threadfence();  // my partials are visible device-wide before I am counted
    am_last = atomicAdd(&g_v4_blocks_done, 1u) == blocks - 1;
  }
  __syncthreads();  // every thread learns whether its block is the last
  if (!am_last) return;
  __threadfence();  // pairs with the writers' fences: their partials are visible to me now
  add_partials_in_order(partial, N, B, sums, value);
  if (threadIdx.x == 0) g_v4_blocks_done = 0;  // ready for the next launch
}

template <bool kVec>
__global__ void __launch_bounds__(kThreads)
    dice_v4_backward(const float* __restrict__ z, const float* __restrict__ g, int64_t N, int64_t HW,
                     const float* __restrict__ sums, float* __restrict__ dz) {
  const int64_t n = blockIdx.y;
  const DiceCoef c = dice_coef(sums, n, N);  // the same three loads in every thread: one broadcast
  const int64_t step = int64_t(gridDim.x) * kThreads;
  if constexpr (kVec) {
    const float4* z4 = reinterpret_cast<const float4*>(z + n * HW);
    const float4* g4 = reinterpret_cast<const float4*>(g + n * HW);
    float4* d4 = reinterpret_cast<float4*>(dz + n * HW);
    for (int64_t j = int64_t(blockIdx.x) * kThreads + threadIdx.x; j < HW / 4; j += step) {
      const float4 a = z4[j], b = g4[j];
      d4[j] =
          make_float4(dice_grad(a.x, b.x, c), dice_grad(a.y, b.y, c), dice_grad(a.z, b.z, c), dice_grad(a.w, b.w, c));
    }
  } else {
    for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < HW; i += step)
      dz[n * HW + i] = dice_grad(z[n * HW + i], g[n * HW + i], c);
  }
}

// v5 is fbd's own code, kernels/binary_loss.cu: v4's design, generalised. Its blocks own
// contiguous chunks of an image (image_plan), it reduces up to seven sums chosen at compile time
// (Dice, focal, BCE, boundary, and a count of bad inputs that costs no extra pass), the last
// block adds the partials with eight loads in flight per thread, and the gradient kernel reads
// the upstream gradient from device memory so the host never waits. Called with the Dice term
// alone it does what v4 does.

// ---- element-wise helpers of the naive compound --------------------------------------------

__global__ void add_kernel(float* out, const float* a, const float* b, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}
__global__ void add3_scalars_kernel(float* out, const float* a, const float* b, const float* c) {
  if (blockIdx.x == 0 && threadIdx.x == 0) *out = *a + *b + *c;
}

// ---- buffers and the versions table ---------------------------------------------------------

// Every device buffer any version needs, for one batch. Plain cudaMalloc: 256-byte aligned.
struct DeviceBatch {
  int64_t N = 0, HW = 0, B = 0;
  float *z = nullptr, *g = nullptr, *phi = nullptr, *dz = nullptr, *value = nullptr;
  float *sums3 = nullptr, *partial = nullptr;                              // v1-v4
  float *sums8 = nullptr, *grad_out = nullptr;                             // v5 and the compound (fbd's layout)
  void* workspace = nullptr;                                               // fbd's partials
  float *dz_terms[3] = {}, *sums8_terms[3] = {}, *values_terms = nullptr;  // the naive compound
  std::vector<void*> owned;

  template <typename T>
  T* alloc(int64_t count) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, size_t(std::max<int64_t>(count, 1)) * sizeof(T)));
    owned.push_back(p);
    return static_cast<T*>(p);
  }
  DeviceBatch(const Batch& b, int sms) : N(b.N), HW(b.HW()), B(blocks_per_image(b.N, b.HW(), sms)) {
    const int64_t P = b.size();
    z = alloc<float>(P);
    g = alloc<float>(P);
    phi = alloc<float>(P);
    dz = alloc<float>(P);
    value = alloc<float>(1);
    sums3 = alloc<float>(3 * N);
    partial = alloc<float>(3 * N * B);
    const int64_t rows = (N + 1) * fbd::kernels::kBinaryStats;
    sums8 = alloc<float>(rows);
    grad_out = alloc<float>(1);
    workspace = alloc<char>(int64_t(fbd::kernels::binary_loss_workspace_bytes(N, HW)));
    for (int t = 0; t < 3; ++t) {
      dz_terms[t] = alloc<float>(P);
      sums8_terms[t] = alloc<float>(rows);
    }
    values_terms = alloc<float>(3);
    CUDA_CHECK(cudaMemcpy(z, b.z.data(), size_t(P) * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(g, b.g.data(), size_t(P) * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(phi, b.phi.data(), size_t(P) * 4, cudaMemcpyHostToDevice));
    const float one = 1.0f;
    CUDA_CHECK(cudaMemcpy(grad_out, &one, 4, cudaMemcpyHostToDevice));
  }
  ~DeviceBatch() {
    for (void* p : owned) cudaFree(p);
  }
  DeviceBatch(const DeviceBatch&) = delete;
  DeviceBatch& operator=(const DeviceBatch&) = delete;
};

unsigned blocks_for(int64_t n) { return unsigned((n + kThreads - 1) / kThreads); }
bool vec_ok(const DeviceBatch& d) { return d.HW % 4 == 0; }  // cudaMalloc pointers are 256-byte aligned

void run_v1(DeviceBatch& d) {
  CUDA_CHECK(cudaMemsetAsync(d.sums3, 0, size_t(3 * d.N) * 4));
  dice_v1_sums<<<blocks_for(d.N * d.HW), kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3);
  CUDA_CHECK_LAUNCH();
  dice_value_kernel<<<1, 1>>>(d.sums3, d.N, d.value);
  CUDA_CHECK_LAUNCH();
  dice_grad_flat<<<blocks_for(d.N * d.HW), kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3, d.dz);
  CUDA_CHECK_LAUNCH();
}

void run_v2(DeviceBatch& d) {
  CUDA_CHECK(cudaMemsetAsync(d.sums3, 0, size_t(3 * d.N) * 4));
  dice_v2_sums<<<dim3(unsigned(d.B), unsigned(d.N)), kThreads>>>(d.z, d.g, d.HW, d.sums3);
  CUDA_CHECK_LAUNCH();
  dice_value_kernel<<<1, 1>>>(d.sums3, d.N, d.value);
  CUDA_CHECK_LAUNCH();
  dice_grad_flat<<<blocks_for(d.N * d.HW), kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3, d.dz);
  CUDA_CHECK_LAUNCH();
}

void run_v3(DeviceBatch& d) {
  dice_v3_partials<<<dim3(unsigned(d.B), unsigned(d.N)), kThreads>>>(d.z, d.g, d.HW, d.partial);
  CUDA_CHECK_LAUNCH();
  dice_v3_finish<<<1, kThreads>>>(d.partial, d.N, d.B, d.sums3, d.value);
  CUDA_CHECK_LAUNCH();
  dice_grad_flat<<<blocks_for(d.N * d.HW), kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3, d.dz);
  CUDA_CHECK_LAUNCH();
}

void run_v4(DeviceBatch& d) {
  const dim3 grid(unsigned(d.B), unsigned(d.N));
  if (vec_ok(d)) {
    dice_v4_forward<true><<<grid, kThreads>>>(d.z, d.g, d.N, d.HW, d.partial, d.sums3, d.value);
    CUDA_CHECK_LAUNCH();
    dice_v4_backward<true><<<grid, kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3, d.dz);
  } else {
    dice_v4_forward<false><<<grid, kThreads>>>(d.z, d.g, d.N, d.HW, d.partial, d.sums3, d.value);
    CUDA_CHECK_LAUNCH();
    dice_v4_backward<false><<<grid, kThreads>>>(d.z, d.g, d.N, d.HW, d.sums3, d.dz);
  }
  CUDA_CHECK_LAUNCH();
}

// fbd's parameters for one term (or the compound), MONAI's eps.
fbd::kernels::BinaryLossParams fbd_params(uint32_t terms, float w_dice, float w_focal, float w_bd) {
  fbd::kernels::BinaryLossParams p;
  p.terms = terms;
  p.w_dice = w_dice;
  p.w_focal = w_focal;
  p.w_bce = 0.0f;
  p.w_bd = w_bd;
  p.eps_num = p.eps_den = kEps;
  p.squared = p.batch = false;
  p.gamma = 2.0f;
  p.alpha = 0.25f;
  return p;
}

// v5: fbd's production kernels with the Dice term alone (w_dice = 1): one forward launch, one
// backward launch. phi = nullptr: the Dice term does not read it. Stream 0 (the legacy default
// stream), like every launch of this file.
void run_v5(DeviceBatch& d) {
  namespace K = fbd::kernels;
  const K::BinaryLossParams p = fbd_params(K::kBinaryDice, 1.0f, 0.0f, 0.0f);
  CUDA_CHECK_STATUS(
      K::binary_loss_forward_cuda(d.z, d.g, nullptr, d.N, d.HW, p, d.sums8, d.value, d.workspace, nullptr));
  CUDA_CHECK_LAUNCH();
  K::binary_loss_backward_cuda(d.z, d.g, nullptr, d.N, d.HW, p, d.sums8, d.grad_out, d.dz, nullptr);
  CUDA_CHECK_LAUNCH();
}

// 6: the Focal Boundary Dice compound as the naive composition, the way an autograd engine runs
// `0.5 * dice(z, g) + 0.3 * focal(z, g) + 0.2 * boundary(z, phi)`: three forward launches (each
// reading its own two inputs), a scalar add, three backward launches (each reading two inputs
// and writing its own gradient) and two gradient additions (read 2, write 1).
//   bytes per pixel: 3 x 8 + 3 x 12 + 2 x 12 = 84        launches over the pixels: 8
void run_fbd_naive(DeviceBatch& d) {
  namespace K = fbd::kernels;
  const K::BinaryLossParams terms[3] = {fbd_params(K::kBinaryDice, 0.5f, 0.0f, 0.0f),
                                        fbd_params(K::kBinaryFocal, 0.0f, 0.3f, 0.0f),
                                        fbd_params(K::kBinaryBoundary, 0.0f, 0.0f, 0.2f)};
  // Which inputs each term reads: Dice and focal (z, g), boundary (z, phi).
  const float* gs[3] = {d.g, d.g, nullptr};
  const float* phis[3] = {nullptr, nullptr, d.phi};
  for (int t = 0; t < 3; ++t) {
    CUDA_CHECK_STATUS(K::binary_loss_forward_cuda(d.z, gs[t], phis[t], d.N, d.HW, terms[t], d.sums8_terms[t],
                                                  d.values_terms + t, d.workspace, nullptr));
    CUDA_CHECK_LAUNCH();
  }
  add3_scalars_kernel<<<1, 1>>>(d.value, d.values_terms, d.values_terms + 1, d.values_terms + 2);
  CUDA_CHECK_LAUNCH();
  for (int t = 0; t < 3; ++t) {
    K::binary_loss_backward_cuda(d.z, gs[t], phis[t], d.N, d.HW, terms[t], d.sums8_terms[t], d.grad_out, d.dz_terms[t],
                                 nullptr);
    CUDA_CHECK_LAUNCH();
  }
  const int64_t P = d.N * d.HW;
  add_kernel<<<blocks_for(P), kThreads>>>(d.dz, d.dz_terms[0], d.dz_terms[1], P);
  CUDA_CHECK_LAUNCH();
  add_kernel<<<blocks_for(P), kThreads>>>(d.dz, d.dz, d.dz_terms[2], P);
  CUDA_CHECK_LAUNCH();
}

// 7: the fused compound: one forward launch reads z, g, phi once (12 bytes per pixel) and
// reduces every term's sums; one backward launch reads them again and writes dz (16 bytes).
//   bytes per pixel: 28                                    launches: 2
void run_fbd_fused(DeviceBatch& d) {
  namespace K = fbd::kernels;
  const K::BinaryLossParams p = fbd_params(K::kBinaryFbd, 0.5f, 0.3f, 0.2f);
  CUDA_CHECK_STATUS(K::binary_loss_forward_cuda(d.z, d.g, d.phi, d.N, d.HW, p, d.sums8, d.value, d.workspace, nullptr));
  CUDA_CHECK_LAUNCH();
  K::binary_loss_backward_cuda(d.z, d.g, d.phi, d.N, d.HW, p, d.sums8, d.grad_out, d.dz, nullptr);
  CUDA_CHECK_LAUNCH();
}

struct Version {
  int id;
  const char* name;
  const char* launches;  // kernel launches (and memsets) per forward + backward
  bool deterministic;    // claims the same bits on every run (checked)
  bool compound;         // checked against the compound reference instead of Dice alone
  double bytes_per_pixel;
  void (*run)(DeviceBatch&);
};

const Version kVersions[] = {
    {1, "v1 naive, float atomics per pixel", "1+3", false, false, 20, run_v1},
    {2, "v2 shared-memory tree, atomic per block", "1+3", false, false, 20, run_v2},
    {3, "v3 shuffles, partials, ordered 2nd kernel", "3", true, false, 20, run_v3},
    {4, "v4 last block finishes, float4", "2", true, false, 20, run_v4},
    {5, "v5 fbd binary_loss_*_cuda, Dice only", "2", true, false, 20, run_v5},
    {6, "FBD naive: 3 single-term ops + grad adds", "9", true, true, 84, run_fbd_naive},
    {7, "FBD fused: fbd's two-kernel compound", "2", true, true, 28, run_fbd_fused},
};

// ---- checking -------------------------------------------------------------------------------

// Tolerances, |ref - gpu| <= atol + rtol |ref|, against a double reference:
//  value:    atol 1e-5, rtol 1e-5. The GPU adds 65536 floats per image in float (v1 in whatever
//            order the atomics arrive); summing the default batch sequentially in float, in
//            either order, is 2e-7 off on the CPU: the bound leaves a margin of 50.
//  gradient: atol 1e-6 x max |ref gradient|, rtol 1e-4. The coefficients a_n, b_n inherit the
//            sums' relative error (the same float simulation uses about 0.1 of this bound); a
//            wrong coefficient or a missing p (1 - p) is off by a factor, not by 1e-4.
constexpr double kValueAtol = 1e-5, kValueRtol = 1e-5, kGradAtolScale = 1e-6, kGradRtol = 1e-4;

struct Reference {
  double value = 0.0;
  std::vector<double> dz;
  double grad_atol = 0.0;
};

Reference make_reference(const Batch& b, bool compound) {
  Reference r;
  r.dz.resize(size_t(b.size()));
  if (compound)
    r.value = fbd::dev::focal_boundary_dice_reference(b.z.data(), b.g.data(), b.phi.data(), b.N, b.HW(),
                                                      fbd::dev::CompoundParams{}, r.dz.data());
  else
    r.value = fbd::dev::dice_reference(b.z.data(), b.g.data(), b.N, b.HW(), r.dz.data(), double(kEps));
  double mx = 0.0;
  for (double v : r.dz) mx = std::max(mx, std::fabs(v));
  r.grad_atol = kGradAtolScale * mx;
  return r;
}

struct CheckResult {
  bool ok = true;
  double value_err = 0.0, grad_err = 0.0;  // worst |ref - gpu|
  double grad_ratio = 0.0;                 // worst |ref - gpu| / (atol + rtol |ref|): <= 1 passes
  int64_t grad_index = -1;
  bool repeat_ok = true;
};

// Runs the version twice and compares both runs with the reference (the worst of the two is
// reported), and the second run with the first, bit for bit, where the version claims
// determinism.
CheckResult check_version(const Version& v, DeviceBatch& d, const Reference& ref) {
  const size_t P = size_t(d.N * d.HW);
  CheckResult r;
  std::vector<float> dz[2] = {std::vector<float>(P), std::vector<float>(P)};
  float value[2] = {0.0f, 0.0f};
  for (int run = 0; run < 2; ++run) {
    // NaN in every output first: a value or pixel the run forgets to write fails (a last-block
    // counter that was not reset, for one, leaves the second run's value unwritten).
    CUDA_CHECK(cudaMemset(d.value, 0xff, 4));
    CUDA_CHECK(cudaMemset(d.dz, 0xff, P * 4));
    v.run(d);
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemcpy(&value[run], d.value, 4, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(dz[run].data(), d.dz, P * 4, cudaMemcpyDeviceToHost));

    const double verr = std::fabs(ref.value - double(value[run]));
    if (!(verr <= kValueAtol + kValueRtol * std::fabs(ref.value))) r.ok = false;  // NaN fails too
    if (!(verr <= r.value_err)) r.value_err = std::isnan(verr) ? INFINITY : verr;
    for (size_t i = 0; i < P; ++i) {
      const double err = std::fabs(ref.dz[i] - double(dz[run][i]));
      const double ratio = err / (ref.grad_atol + kGradRtol * std::fabs(ref.dz[i]) + 1e-300);
      if (!(ratio <= r.grad_ratio)) {  // also catches NaN
        r.grad_ratio = std::isnan(ratio) ? INFINITY : ratio;
        r.grad_err = std::isnan(err) ? INFINITY : err;
        r.grad_index = int64_t(i);
      }
    }
  }
  if (r.grad_ratio > 1.0) r.ok = false;
  r.repeat_ok = std::memcmp(&value[0], &value[1], 4) == 0 && std::memcmp(dz[0].data(), dz[1].data(), P * 4) == 0;
  if (v.deterministic && !r.repeat_ok) r.ok = false;
  return r;
}

// ---- main -----------------------------------------------------------------------------------

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [N H W] [--check] [--version K] [--reps R]\n"
               "  N H W        batch, height, width (default 16 256 256)\n"
               "  --check      small shapes and edge cases, correctness only (exit 0 / 1)\n"
               "  --version K  run version K only (1-5 Dice, 6 FBD naive, 7 FBD fused)\n"
               "  --reps R     timed repetitions per version (default 20; the median is printed)\n",
               argv0);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, 7, args)) return usage(argv[0]);
  const bool check_only = args.check_only;
  const int only = args.only, reps = args.reps;
  const std::vector<int64_t>& dims = args.dims;
  if (!dims.empty() && (dims.size() != 3 || dims[0] < 1 || dims[0] > 65535 || dims[1] < 1 || dims[2] < 1)) {
    std::fprintf(stderr, "%s: N H W must be three positive sizes, N <= 65535 (one image per grid row)\n",
                 name_of(argv[0]));
    return 1;
  }

  if (const int status = require_gpu(argv[0]); status != 0) return status;
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const int sms = prop.multiProcessorCount;
  std::printf("GPU: %s, %d SMs\n", prop.name, sms);

  auto selected = [&](const Version& v) { return only == 0 || only == v.id; };
  bool all_ok = true;
  auto report_check = [&](const Version& v, const CheckResult& r) {
    std::printf("  %-44s value err %.2e  grad err %.2e (%.2f of tol, at %lld)  repeat %s  %s\n", v.name, r.value_err,
                r.grad_err, r.grad_ratio, (long long)r.grad_index, r.repeat_ok ? "bitwise" : "differs",
                r.ok ? "ok" : "MISMATCH");
    all_ok = all_ok && r.ok;
  };

  if (check_only) {
    // Shapes: HW % 4 == 0 (the float4 paths) and not (the scalar paths), a 1 x 1 image, one
    // image wide enough for many blocks (so many partials per image), and the edge cases of
    // make_batch (empty, full, single pixel, +-40 logits) in each.
    const int64_t shapes[][3] = {{5, 24, 20}, {5, 17, 19}, {2, 1, 1}, {1, 300, 301}, {7, 64, 64}};
    for (const auto& s : shapes) {
      const Batch b = make_batch(s[0], s[1], s[2], true);
      std::printf("N=%lld H=%lld W=%lld\n", (long long)s[0], (long long)s[1], (long long)s[2]);
      DeviceBatch d(b, sms);
      const Reference dice_ref = make_reference(b, false), fbd_ref = make_reference(b, true);
      for (const Version& v : kVersions)
        if (selected(v)) report_check(v, check_version(v, d, v.compound ? fbd_ref : dice_ref));
    }
    std::printf(all_ok ? "all versions match the CPU reference\n" : "MISMATCH: see above\n");
    return all_ok ? 0 : 1;
  }

  const int64_t N = dims.empty() ? 16 : dims[0], H = dims.empty() ? 256 : dims[1], W = dims.empty() ? 256 : dims[2];
  const Batch b = make_batch(N, H, W, false);
  DeviceBatch d(b, sms);
  const Reference dice_ref = make_reference(b, false), fbd_ref = make_reference(b, true);
  Timer timer;
  const double copy = copy_bandwidth(timer);
  std::printf("batch %lld x %lld x %lld (%lld pixels), %lld blocks per image in v2-v4, device copy %.0f GB/s\n",
              (long long)N, (long long)H, (long long)W, (long long)b.size(), (long long)d.B, copy * 1e-9);
  std::printf("checks against the CPU reference:\n");
  for (const Version& v : kVersions)
    if (selected(v)) report_check(v, check_version(v, d, v.compound ? fbd_ref : dice_ref));

  std::printf("\nforward + backward, median of %d runs, L2 flushed before each:\n", reps);
  std::printf("  %-44s %8s %6s %9s %8s %7s %8s\n", "version", "launches", "B/px", "ms", "GB/s", "of copy", "speedup");
  double base_ms[2] = {0.0, 0.0};  // v1 for the Dice rows, the naive compound for the FBD rows
  for (const Version& v : kVersions) {
    if (!selected(v)) continue;
    const double ms = timer.median_ms([&] { v.run(d); }, reps);
    const double gbs = v.bytes_per_pixel * double(b.size()) / (ms * 1e-3);
    double& base = base_ms[v.compound ? 1 : 0];
    if (v.id == 1 || v.id == 6) base = ms;
    char speed[32] = "-";
    if (base > 0.0) std::snprintf(speed, sizeof speed, "%.2fx", base / ms);
    std::printf("  %-44s %8s %6.0f %9.4f %8.1f %6.0f%% %8s\n", v.name, v.launches, v.bytes_per_pixel, ms, gbs * 1e-9,
                100.0 * gbs / copy, speed);
  }
  std::printf(
      "(speedup: Dice rows against v1, FBD rows against the naive composition; GB/s counts each\n"
      " version's own bytes per pixel, so 'of copy' is how close it gets to the memory bound)\n");
  if (!all_ok) std::printf("MISMATCH: see the checks above\n");
  return all_ok ? 0 : 1;
}
