// The exact Euclidean distance transform (EDT), from brute force to the kernels fbd ships: a
// walkthrough in the habit of llm.c's dev/cuda (docs/kernels/walkthrough.md reads it step by step).
//
// THE PROBLEM. For a batch of N binary images of H x W pixels and a pixel spacing (sy, sx), the
// distance from every pixel to the nearest zero pixel (fbd's EdtOutput::Distance, SciPy's
// distance_transform_edt; kernels/edt_kernels.h):
//
//   d2(y, x)  = min over (y', x') with in[y', x'] == 0 of  sy^2 (y - y')^2 + sx^2 (x - x')^2
//   out(y, x) = float(sqrt(d2(y, x)))      0 on zero pixels, +inf on an image without any
//
// The squared distance is formed in double (sy^2 = double(sy) * double(sy)) and rounded to float
// once, after the square root. With unit spacing every d2 is an exact integer, so every correct
// version gives the same float, bit for bit: the checks below demand exact equality there.
//
// THE TRICK THAT MAKES IT FAST. The minimum over the plane splits into two 1-D minima:
//
//   d2(y, x) = min over x' of [ sx^2 (x - x')^2 + sy^2 h(y, x')^2 ],   h(y, x') = min over zero
//              pixels (y', x') in column x' of |y - y'|
//
// first down every column (h), then along every row, where each column x' contributes one
// parabola x -> sx^2 (x - x')^2 + sy^2 h^2 and the answer is their lower envelope
// (Felzenszwalb & Huttenlocher). Both passes are exact and O(pixels).
//
// THE FILE, top to bottom:
//   0. CPU references: kernels/dev/edt_reference.h (brute force and the separable algorithm),
//      tested against fbd's CPU twin by tests/kernels/test_walkthrough_reference.cpp;
//   1. v1 brute force: one thread per pixel scans every pixel of its image: O((HW)^2);
//   2. v2 separable: the 1-D lower envelope down every column (one thread each), then along
//      every row (one thread each), in global memory;
//   3. v3: a column pass specialised to binary input (two sweeps, an int per pixel), and the row
//      pass staged through shared memory: one block per row loads it coalesced, one thread builds
//      the envelope in shared memory, every thread reads it back (binary search) and stores
//      coalesced;
//   4. v4: fbd's production kernels::edt_cuda (kernels/edt.cu);
//   5. main: a deterministic batch, every version run, checked and timed.
//
// RUNNING IT (built with fbd's CUDA build: cmake --build build --target fbd_walkthrough_edt):
//   build/bench/fbd_walkthrough_edt [N H W] [--reps R]   time every version (default 16 256 256)
//   build/bench/fbd_walkthrough_edt --check               small shapes, correctness only
//   build/bench/fbd_walkthrough_edt --version K           one version (1-4) only
// Checking: unit spacing must match the CPU reference exactly (every float, +inf included);
// anisotropic spacing (checked in --check) within 2 float ulps, because nvcc may fuse
// sy^2 h^2 + sx^2 dx^2 into one FMA where the CPU rounds twice. Exit codes: 0 all correct, 1 any
// mismatch or CUDA error, 77 no usable GPU (with FBD_REQUIRE_GPU=1 an error instead, exit 1).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/dev/edt_reference.h"
#include "kernels/dev/walkthrough_common.cuh"
#include "kernels/edt_kernels.h"

namespace {

using namespace fbd::walkthrough;

// ---- the batch ------------------------------------------------------------------------------

struct Batch {
  int64_t N = 0, H = 0, W = 0;
  std::vector<uint8_t> mask;  // nonzero = foreground; distances are to the nearest zero pixel
  int64_t size() const { return N * H * W; }
};

// edge_cases: image n is (n mod 6) all zero (output 0), all foreground (output +inf), a single
// zero pixel in a full image, a single foreground pixel, an ellipse, random blobs. Otherwise
// every image holds one ellipse (a "tumour") whose position and size vary with n.
Batch make_batch(int64_t N, int64_t H, int64_t W, bool edge_cases) {
  Batch b;
  b.N = N;
  b.H = H;
  b.W = W;
  b.mask.resize(size_t(b.size()));
  Rng rng{2024};
  for (int64_t n = 0; n < N; ++n) {
    const int kind = edge_cases ? int(n % 6) : 4;
    const double cy = H * (0.3 + 0.4 * ((n * 37) % 11) / 10.0), cx = W * (0.3 + 0.4 * ((n * 53) % 13) / 12.0);
    const double ry = std::max(1.0, H * (0.08 + 0.03 * (n % 7))), rx = std::max(1.0, W * (0.07 + 0.035 * (n % 5)));
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const bool centre = y == H / 2 && x == W / 3;
        uint8_t m = 0;
        switch (kind) {
          case 0: m = 0; break;
          case 1: m = 1; break;
          case 2: m = centre ? 0 : 1; break;
          case 3: m = centre ? 1 : 0; break;
          case 4: m = (y - cy) * (y - cy) / (ry * ry) + (x - cx) * (x - cx) / (rx * rx) <= 1.0; break;
          default: m = rng.uniform() < 0.9; break;
        }
        b.mask[size_t((n * H + y) * W + x)] = m;
      }
  }
  return b;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- v1: brute force ---------------------------------------------------------------------
//
// One thread per pixel; each scans every pixel of its image and keeps the smallest squared
// distance to a zero pixel. A zero pixel is its own nearest zero pixel, so it writes 0 at once.
// Every thread of a warp reads the same mask byte at the same step (a broadcast, served from
// L1), so the cost is arithmetic: (foreground pixels) x (HW) distance evaluations per image,
// about 10^9 for a 256 x 256 image with a large tumour. Correct by construction, the baseline
// every other version must equal, and hopeless for large images.
//   launches: 1     compulsory bytes: 1 (mask) + 4 (out) = 5 per pixel     work: O((HW)^2)
__global__ void edt_v1_brute(const uint8_t* __restrict__ in, float* __restrict__ out, int64_t N, int H, int W,
                             double sy2, double sx2) {
  const int64_t plane = int64_t(H) * W;
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= N * plane) return;
  const int64_t n = i / plane;
  const int y = int((i % plane) / W), x = int(i % W);
  const uint8_t* img = in + n * plane;
  if (img[int64_t(y) * W + x] == 0) {
    out[i] = 0.0f;
    return;
  }
  double best = kInf;
  for (int y2 = 0; y2 < H; ++y2)
    for (int x2 = 0; x2 < W; ++x2) {
      if (img[int64_t(y2) * W + x2] != 0) continue;
      const double dy = double(y - y2), dx = double(x - x2);
      best = fmin(best, sy2 * (dy * dy) + sx2 * (dx * dx));
    }
  out[i] = float(sqrt(best));
}

// ---- v2: separable, one thread per line, global memory ---------------------------------------
//
// The 1-D lower envelope (edt_reference.h explains it line by line), written once for the
// device. f(q) is the apex height of the parabola of sample q (+inf: no parabola). v[] holds the
// envelope's sites and b[] the boundaries between them; both live in global memory, element k
// at v[k * s]: with s = the number of lines, thread c's element k sits next to thread c+1's
// element k, so when a warp's 32 threads touch their element k together that is one coalesced
// access instead of 32 scattered ones (a "structure of arrays" layout).
// Returns the index of the last site, -1 if the line has none.
template <typename F>
__device__ int envelope_build(F f, int n, double a, int* v, double* b, int64_t s) {
  int k = -1;
  for (int q = 0; q < n; ++q) {
    const double fq = f(q);
    if (fq == kInf) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      b[0] = -kInf;
      b[s] = kInf;
      continue;
    }
    double sep;
    for (;;) {  // pop the sites the new parabola beats already where they start
      const int p = v[k * s];
      sep = ((fq + a * double(q) * double(q)) - (f(p) + a * double(p) * double(p))) / (2.0 * a * double(q - p));
      if (sep > b[k * s]) break;
      --k;  // b[0] = -inf stops this at k = 0
    }
    ++k;
    v[k * s] = q;
    b[k * s] = sep;
    b[(k + 1) * s] = kInf;
  }
  return k;
}

// Column pass: thread c = (image n, column x). f(y) = 0 on a zero pixel, +inf elsewhere, so the
// envelope gives sy^2 h^2 for every pixel of the column (stored as a double: exact for unit
// spacing). Neighbouring threads are neighbouring columns: each step of the sweep reads 32
// neighbouring mask bytes and writes 32 neighbouring doubles. Coalesced for free.
__global__ void edt_v2_columns(const uint8_t* __restrict__ in, double* __restrict__ col, int64_t N, int H, int W,
                               double sy2, int* v_ws, double* b_ws) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, lines = N * W;
  if (c >= lines) return;
  const int64_t n = c / W, x = c % W, base = n * H * W + x;
  auto f = [&](int y) { return in[base + int64_t(y) * W] == 0 ? 0.0 : kInf; };
  int* v = v_ws + c;
  double* b = b_ws + c;
  const int k = envelope_build(f, H, sy2, v, b, lines);
  for (int y = 0, j = 0; y < H; ++y) {
    double d = kInf;
    if (k >= 0) {
      while (b[(j + 1) * lines] < double(y)) ++j;
      const double dy = double(y - v[j * lines]);
      d = sy2 * (dy * dy) + f(v[j * lines]);
    }
    col[base + int64_t(y) * W] = d;
  }
}

// Row pass: thread r = (image, row). f(x) = the column result. The envelope's arrays are
// interleaved as above, but the row itself is W doubles long and rows are W * 8 bytes apart:
// at each step the 32 threads of a warp read 32 different rows, 32 separate memory sectors. The
// caches absorb part of it (each thread walks its row sequentially), but the accesses are not
// coalesced, and that is what v3 fixes.
//   launches: 2     bytes: 1 + 8 (columns) + 8 + 4 (rows) = 21 per pixel, plus the envelope
//   scratch (v: 4, b: 8 bytes per pixel, written and read in each pass, partly cached)
__global__ void edt_v2_rows(const double* __restrict__ col, float* __restrict__ out, int64_t rows, int W, double sx2,
                            int* v_ws, double* b_ws) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const double* f_row = col + r * W;
  auto f = [&](int x) { return f_row[x]; };
  int* v = v_ws + r;
  double* b = b_ws + r;
  const int k = envelope_build(f, W, sx2, v, b, rows);
  for (int x = 0, j = 0; x < W; ++x) {
    double d = kInf;
    if (k >= 0) {
      while (b[(j + 1) * rows] < double(x)) ++j;
      const double dx = double(x - v[j * rows]);
      d = sx2 * (dx * dx) + f(v[j * rows]);
    }
    out[r * W + x] = float(sqrt(d));
  }
}

// ---- v3: binary column sweeps, the row pass through shared memory -------------------------------
//
// (a) Columns. For a binary image the column envelope is overkill: h is the distance to the
//     nearest zero pixel above or below in the same column. A sweep down remembers the last
//     zero row seen, a sweep up the next one; h is an int (kNone where the column has no zero
//     pixel), 4 bytes per pixel instead of a double, and no scratch arrays.
//     bytes: mask 1 + h 4 (down); mask 1 + h 4 + h 4 (up) = 14 per pixel
constexpr int kNone = 0x3fffffff;

__global__ void edt_v3_columns(const uint8_t* __restrict__ in, int* __restrict__ h, int64_t N, int H, int W) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= N * W) return;
  const int64_t n = c / W, x = c % W, base = n * H * W + x;
  int last = -1;
  for (int y = 0; y < H; ++y) {
    if (in[base + int64_t(y) * W] == 0) last = y;
    h[base + int64_t(y) * W] = last < 0 ? kNone : y - last;
  }
  int next = -1;
  for (int y = H - 1; y >= 0; --y) {
    if (in[base + int64_t(y) * W] == 0) next = y;
    const int64_t at = base + int64_t(y) * W;
    if (next >= 0 && next - y < h[at]) h[at] = next - y;
  }
}

// (b) Rows: one block per row. All threads load the row's h values together (coalesced: thread
//     t reads element t, t + blockDim.x, ...) and turn them into apex heights sy^2 h^2 in shared
//     memory. Thread 0 builds the envelope there: still a sequential loop, but now every access is
//     a shared-memory access (~30 cycles) instead of a trip to L1/L2. Then all threads read the
//     envelope back in parallel: pixel x is owned by site j, the first with b[j + 1] >= x, found
//     by binary search over b[1..k+1] (b is increasing), and the results are stored coalesced.
//     The sequential build remains the limit; splitting it (the parallel banding algorithm)
//     would be the next step.
//     bytes: h 4 + out 4 = 8 per pixel (22 in all with the columns)
//     shared memory per block: f (8 W) + b (8 (W + 1)) + v (4 W) bytes: 5 KiB for W = 256
constexpr int kRowThreads = 128;

size_t v3_shared_bytes(int W) { return size_t(W) * 8 + size_t(W + 1) * 8 + size_t(W) * 4; }

__global__ void __launch_bounds__(kRowThreads)
    edt_v3_rows(const int* __restrict__ h, float* __restrict__ out, int W, double sy2, double sx2) {
  extern __shared__ double smem[];  // double first: keeps every array 8-byte aligned
  double* f = smem;
  double* b = f + W;
  int* v = reinterpret_cast<int*>(b + W + 1);
  __shared__ int k_last;
  const int64_t r = blockIdx.x;
  for (int x = threadIdx.x; x < W; x += blockDim.x) {
    const int hx = h[r * W + x];
    f[x] = hx == kNone ? kInf : sy2 * (double(hx) * double(hx));
  }
  __syncthreads();
  if (threadIdx.x == 0) k_last = envelope_build([&](int q) { return f[q]; }, W, sx2, v, b, 1);
  __syncthreads();
  const int k = k_last;
  for (int x = threadIdx.x; x < W; x += blockDim.x) {
    double d = kInf;
    if (k >= 0) {
      int lo = 0, hi = k;  // the owner j is in [0, k]; b[k + 1] = +inf >= x always
      while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (b[mid + 1] < double(x))
          lo = mid + 1;
        else
          hi = mid;
      }
      const double dx = double(x - v[lo]);
      d = sx2 * (dx * dx) + f[v[lo]];
    }
    out[r * W + x] = float(sqrt(d));
  }
}

// ---- v4: fbd's production kernels ---------------------------------------------------------
//
// kernels/edt.cu: two launches, one thread per column, then one thread per row, no shared
// memory and no __syncthreads. Its column pass packs each pixel's label with its distance to
// the other label (one int), so a single column pass serves both the distance map and the
// signed map phi of the boundary loss; its row pass uses Meijster's form of the same envelope,
// whose stack holds integer start pixels, so every comparison is between exact values at
// integer pixels (exact up to sides of 2^24, where the quotients above would round). One thread
// per row keeps every row independent and the code short, and at fbd's sizes (4096 rows) is
// bound by latency rather than bandwidth: see docs/kernels/edt.md. Whether v3's block per row
// beats it, and where, is what the table below is for.
//   launches: 2     bytes: 1 + 16 (the code: written, read and rewritten, read) + 4 = 21 per pixel

// ---- buffers and the versions table ---------------------------------------------------------

struct DeviceBatch {
  int64_t N = 0, H = 0, W = 0;
  double sy2 = 1.0, sx2 = 1.0;
  float sy = 1.0f, sx = 1.0f;
  uint8_t* in = nullptr;
  float* out = nullptr;
  double* col = nullptr;      // v2 column results
  int* v_ws = nullptr;        // v2 envelope sites
  double* b_ws = nullptr;     // v2 envelope boundaries
  int* h = nullptr;           // v3 column results
  void* workspace = nullptr;  // v4
  std::vector<void*> owned;

  template <typename T>
  T* alloc(int64_t count) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, size_t(std::max<int64_t>(count, 1)) * sizeof(T)));
    owned.push_back(p);
    return static_cast<T*>(p);
  }
  DeviceBatch(const Batch& b, float spacing_y, float spacing_x) : N(b.N), H(b.H), W(b.W), sy(spacing_y), sx(spacing_x) {
    sy2 = double(sy) * double(sy);
    sx2 = double(sx) * double(sx);
    const int64_t P = b.size();
    in = alloc<uint8_t>(P);
    out = alloc<float>(P);
    col = alloc<double>(P);
    v_ws = alloc<int>(P);
    b_ws = alloc<double>(P + N * std::max(H, W));  // one extra boundary per line
    h = alloc<int>(P);
    workspace = alloc<char>(int64_t(fbd::kernels::edt_workspace_bytes(N, H, W)));
    CUDA_CHECK(cudaMemcpy(in, b.mask.data(), size_t(P), cudaMemcpyHostToDevice));
  }
  ~DeviceBatch() {
    for (void* p : owned) cudaFree(p);
  }
  DeviceBatch(const DeviceBatch&) = delete;
  DeviceBatch& operator=(const DeviceBatch&) = delete;
};

constexpr int kThreads = 256;
unsigned blocks_for(int64_t n, int threads = kThreads) { return unsigned((n + threads - 1) / threads); }

void run_v1(DeviceBatch& d) {
  edt_v1_brute<<<blocks_for(d.N * d.H * d.W), kThreads>>>(d.in, d.out, d.N, int(d.H), int(d.W), d.sy2, d.sx2);
  CUDA_CHECK_LAUNCH();
}

void run_v2(DeviceBatch& d) {
  // Blocks of one warp: there are only N*W column threads and N*H row threads (4096 each for
  // 16 x 256 x 256), and small blocks spread them over every SM.
  edt_v2_columns<<<blocks_for(d.N * d.W, 32), 32>>>(d.in, d.col, d.N, int(d.H), int(d.W), d.sy2, d.v_ws, d.b_ws);
  CUDA_CHECK_LAUNCH();
  edt_v2_rows<<<blocks_for(d.N * d.H, 32), 32>>>(d.col, d.out, d.N * d.H, int(d.W), d.sx2, d.v_ws, d.b_ws);
  CUDA_CHECK_LAUNCH();
}

// Whether v3's row fits in one block's shared memory (raising the 48 KiB default where the
// GPU allows more: 227 KiB on an H100, rows of up to ~11600 pixels).
bool v3_fits(int W) {
  const size_t bytes = v3_shared_bytes(W);
  if (bytes <= 48 * 1024) return true;
  int dev = 0, optin = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  if (bytes > size_t(optin)) return false;
  CUDA_CHECK(cudaFuncSetAttribute(edt_v3_rows, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
  return true;
}

void run_v3(DeviceBatch& d) {
  edt_v3_columns<<<blocks_for(d.N * d.W, 32), 32>>>(d.in, d.h, d.N, int(d.H), int(d.W));
  CUDA_CHECK_LAUNCH();
  edt_v3_rows<<<unsigned(d.N * d.H), kRowThreads, v3_shared_bytes(int(d.W))>>>(d.h, d.out, int(d.W), d.sy2, d.sx2);
  CUDA_CHECK_LAUNCH();
}

void run_v4(DeviceBatch& d) {
  fbd::kernels::edt_cuda(d.in, d.out, d.N, d.H, d.W, d.sy, d.sx, fbd::kernels::EdtOutput::Distance, d.workspace,
                         nullptr);
  CUDA_CHECK_LAUNCH();
}

struct Version {
  int id;
  const char* name;
  int launches;
  double bytes_per_pixel;  // the arrays each pass reads and writes once (scratch excluded)
  void (*run)(DeviceBatch&);
};

const Version kVersions[] = {
    {1, "v1 brute force, O((HW)^2)", 1, 5, run_v1},
    {2, "v2 separable envelopes, global memory", 2, 21, run_v2},
    {3, "v3 binary columns, rows in shared memory", 2, 22, run_v3},
    {4, "v4 fbd kernels::edt_cuda", 2, 21, run_v4},
};

// Brute force is O((HW)^2): above this many pixels per image it is left out of the timing run
// (unless asked for with --version 1).
constexpr int64_t kBruteMaxPixels = int64_t(1) << 18;

// ---- checking -------------------------------------------------------------------------------

struct CheckResult {
  bool ok = true;
  int64_t mismatches = 0, first = -1;
  double worst_ulps = 0.0;
};

// The float ulp at |a| (the gap to the next float up).
double ulp_of(float a) {
  const float x = std::fabs(a);
  return double(std::nextafter(x, std::numeric_limits<float>::infinity()) - x);
}

// Unit spacing: bit-for-bit equality. Otherwise |ref - gpu| <= 2 ulps of ref. +inf must match +inf.
CheckResult compare(const std::vector<float>& ref, const std::vector<float>& got, bool exact) {
  CheckResult r;
  for (size_t i = 0; i < ref.size(); ++i) {
    bool same;
    double ulps = 0.0;
    if (std::isinf(ref[i]) || std::isinf(got[i]) || std::isnan(got[i])) {
      same = ref[i] == got[i];
      ulps = same ? 0.0 : INFINITY;
    } else {
      ulps = std::fabs(double(ref[i]) - double(got[i])) / ulp_of(ref[i]);
      same = exact ? ref[i] == got[i] : ulps <= 2.0;
    }
    r.worst_ulps = std::max(r.worst_ulps, ulps);
    if (!same) {
      if (r.first < 0) r.first = int64_t(i);
      ++r.mismatches;
    }
  }
  r.ok = r.mismatches == 0;
  return r;
}

std::vector<float> run_and_download(const Version& v, DeviceBatch& d) {
  const size_t P = size_t(d.N * d.H * d.W);
  CUDA_CHECK(cudaMemset(d.out, 0xff, P * 4));  // NaN: a pixel the version forgets to write fails
  v.run(d);
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> out(P);
  CUDA_CHECK(cudaMemcpy(out.data(), d.out, P * 4, cudaMemcpyDeviceToHost));
  return out;
}

// ---- main -----------------------------------------------------------------------------------

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [N H W] [--check] [--version K] [--reps R]\n"
               "  N H W        batch, height, width (default 16 256 256)\n"
               "  --check      small shapes and edge cases, unit and anisotropic spacing, correctness only\n"
               "  --version K  run version K only (1 brute force, 2 separable, 3 shared memory, 4 fbd)\n"
               "  --reps R     timed repetitions per version (default 20; the median is printed)\n",
               argv0);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, 4, args)) return usage(argv[0]);
  const bool check_only = args.check_only;
  const int only = args.only, reps = args.reps;
  const std::vector<int64_t>& dims = args.dims;
  if (!dims.empty() && (dims.size() != 3 || dims[0] < 1 || dims[1] < 1 || dims[2] < 1 || dims[1] > 65535 ||
                        dims[2] > 65535 || dims[0] * dims[1] > 0x7fffffff)) {
    std::fprintf(stderr, "%s: N H W must be three positive sizes, H and W at most 65535\n", name_of(argv[0]));
    return 1;
  }

  if (const int status = require_gpu(argv[0]); status != 0) return status;
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("GPU: %s, %d SMs\n", prop.name, prop.multiProcessorCount);

  auto selected = [&](const Version& v) { return only == 0 || only == v.id; };
  bool all_ok = true;
  auto report = [&](const Version& v, const CheckResult& r, bool exact) {
    std::printf("  %-42s %s  worst %.1f ulp  mismatches %lld (first at %lld)  %s\n", v.name,
                exact ? "exact   " : "<= 2 ulp", r.worst_ulps, (long long)r.mismatches, (long long)r.first,
                r.ok ? "ok" : "MISMATCH");
    all_ok = all_ok && r.ok;
  };

  if (check_only) {
    // Single rows and columns, 1 x 1 images, odd sizes, rows longer than a block, and the edge
    // cases of make_batch (all zero, all foreground, single zero pixel, single foreground pixel)
    // in each; unit spacing (exact) and anisotropic spacing (2 ulps).
    const int64_t shapes[][3] = {{6, 17, 23}, {6, 1, 40}, {6, 40, 1}, {6, 1, 1}, {6, 64, 64}, {2, 33, 300}};
    const float spacings[][2] = {{1.0f, 1.0f}, {1.7f, 0.6f}};
    for (const auto& s : shapes) {
      const Batch b = make_batch(s[0], s[1], s[2], true);
      for (const auto& sp : spacings) {
        const bool exact = sp[0] == 1.0f && sp[1] == 1.0f;
        std::printf("N=%lld H=%lld W=%lld spacing (%.1f, %.1f)\n", (long long)s[0], (long long)s[1], (long long)s[2],
                    double(sp[0]), double(sp[1]));
        // The two CPU references first: brute force and the separable algorithm must agree.
        std::vector<float> brute(size_t(b.size())), ref(size_t(b.size()));
        fbd::dev::edt_brute_force(b.mask.data(), brute.data(), b.N, b.H, b.W, sp[0], sp[1]);
        fbd::dev::edt_separable(b.mask.data(), ref.data(), b.N, b.H, b.W, sp[0], sp[1]);
        const CheckResult cpu = compare(brute, ref, exact);
        std::printf("  %-42s %s  worst %.1f ulp  %s\n", "CPU separable vs CPU brute force",
                    exact ? "exact   " : "<= 2 ulp", cpu.worst_ulps, cpu.ok ? "ok" : "MISMATCH");
        all_ok = all_ok && cpu.ok;
        DeviceBatch d(b, sp[0], sp[1]);
        for (const Version& v : kVersions) {
          if (!selected(v)) continue;
          if (v.id == 3 && !v3_fits(int(b.W))) continue;
          report(v, compare(ref, run_and_download(v, d), exact), exact);
        }
      }
    }
    std::printf(all_ok ? "all versions match the CPU reference\n" : "MISMATCH: see above\n");
    return all_ok ? 0 : 1;
  }

  const int64_t N = dims.empty() ? 16 : dims[0], H = dims.empty() ? 256 : dims[1], W = dims.empty() ? 256 : dims[2];
  const Batch b = make_batch(N, H, W, false);
  DeviceBatch d(b, 1.0f, 1.0f);
  std::vector<float> ref(size_t(b.size()));
  fbd::dev::edt_separable(b.mask.data(), ref.data(), N, H, W, 1.0f, 1.0f);
  Timer timer;
  const double copy = copy_bandwidth(timer);
  std::printf("batch %lld x %lld x %lld (%lld pixels), unit spacing, device copy %.0f GB/s\n", (long long)N,
              (long long)H, (long long)W, (long long)b.size(), copy * 1e-9);

  auto runnable = [&](const Version& v) {
    if (!selected(v)) return false;
    if (v.id == 1 && only != 1 && H * W > kBruteMaxPixels) {
      std::printf("  %-42s skipped: O((HW)^2) above %lld pixels per image (--version 1 forces it)\n", v.name,
                  (long long)kBruteMaxPixels);
      return false;
    }
    if (v.id == 3 && !v3_fits(int(W))) {
      std::printf("  %-42s skipped: a row of %lld pixels does not fit in shared memory\n", v.name, (long long)W);
      return false;
    }
    return true;
  };
  std::printf("checks against the CPU reference (separable, edt_reference.h):\n");
  std::vector<int> ran;
  for (const Version& v : kVersions)
    if (runnable(v)) {
      report(v, compare(ref, run_and_download(v, d), true), true);
      ran.push_back(v.id);
    }

  std::printf("\nmedian of %d runs, L2 flushed before each:\n", reps);
  std::printf("  %-42s %8s %6s %9s %8s %7s %8s\n", "version", "launches", "B/px", "ms", "GB/s", "of copy", "speedup");
  double v1_ms = 0.0;
  for (const Version& v : kVersions) {
    if (std::find(ran.begin(), ran.end(), v.id) == ran.end()) continue;
    const double ms = timer.median_ms([&] { v.run(d); }, v.id == 1 ? std::min(reps, 5) : reps);
    const double gbs = v.bytes_per_pixel * double(b.size()) / (ms * 1e-3);
    if (v.id == 1) v1_ms = ms;
    char speed[32] = "-";
    if (v1_ms > 0.0) std::snprintf(speed, sizeof speed, "%.1fx", v1_ms / ms);
    std::printf("  %-42s %8d %6.0f %9.4f %8.1f %6.0f%% %8s\n", v.name, v.launches, v.bytes_per_pixel, ms, gbs * 1e-9,
                100.0 * gbs / copy, speed);
  }
  std::printf(
      "(B/px: the arrays each pass reads and writes once, scratch and cache hits not counted; for\n"
      " v1 that is only the compulsory traffic of its O((HW)^2) scan. speedup: against v1)\n");
  if (!all_ok) std::printf("MISMATCH: see the checks above\n");
  return all_ok ? 0 : 1;
}
