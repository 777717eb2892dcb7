#include "layers/conv_cpu.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "core/cpu_gemm.h"
#include "core/error.h"
#include "kernels/conv_direct_kernels.h"
#include "layers/conv_onednn.h"

namespace fbd::nn::detail {

namespace {

// Columns per GEMM that keep OpenBLAS near its peak on the shapes of the paper's network.
constexpr int64_t kTargetCols = 1024;

// A grow-only scratch buffer per thread and purpose, reused across calls so the large
// im2col buffers are not page-faulted in on every convolution.
class Scratch {
 public:
  float* get(size_t n) {
    if (n > cap_) {
      ptr_.reset(static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64)));
      FBD_CHECK(ptr_ != nullptr, "conv: out of host memory for a ", n * sizeof(float), "-byte im2col buffer");
      cap_ = n;
    }
    return ptr_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> ptr_;
  size_t cap_ = 0;
};

Scratch& scratch(int which) {
  thread_local Scratch s[3];
  return s[which];
}

bool is_pointwise(const kernels::ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.H == g.Ho && g.W == g.Wo;
}

// Runs body(group) for every group: in parallel over groups when there are several, else
// once on the calling thread (where im2col and sgemm parallelise themselves).
template <typename F>
void for_groups(int64_t groups, F&& body) {
  if (groups == 1) {
    body(int64_t(0));
    return;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t gi = 0; gi < groups; ++gi) body(gi);
}

// The process default: FBD_CPU_CONV (fbd or onednn), else oneDNN where it is built in.
CpuConvAlgo default_algo() {
  const char* env = std::getenv("FBD_CPU_CONV");
  const std::string v = env ? env : "";
  if (v.empty()) return onednn_version().empty() ? CpuConvAlgo::Auto : CpuConvAlgo::OneDnn;
  if (v == "fbd") return CpuConvAlgo::Auto;
  FBD_CHECK(v == "onednn", "FBD_CPU_CONV must be fbd or onednn, got '", v, "'");
  FBD_CHECK(!onednn_version().empty(),
            "FBD_CPU_CONV=onednn, but fbd was built without oneDNN: install libdnnl-dev and rebuild");
  return CpuConvAlgo::OneDnn;
}

std::atomic<CpuConvAlgo>& algo_slot() {
  static std::atomic<CpuConvAlgo> a{default_algo()};
  return a;
}

// Auto: where the direct kernels are preferred; Direct: wherever they apply; Gemm: never.
template <typename Preferred>
bool use_direct(const kernels::ConvGeom& g, Preferred&& preferred) {
  const CpuConvAlgo a = algo_slot().load();
  return a == CpuConvAlgo::Direct ? kernels::conv_direct_applicable(g)
                                  : (a == CpuConvAlgo::Auto || a == CpuConvAlgo::OneDnn) && preferred();
}

}  // namespace

void set_cpu_conv_algo(CpuConvAlgo a) {
  FBD_CHECK(a != CpuConvAlgo::OneDnn || !onednn_version().empty(), "conv2d: fbd was built without oneDNN");
  algo_slot() = a;
}
CpuConvAlgo cpu_conv_algo() { return algo_slot(); }

std::string cpu_conv_backend() { return cpu_conv_algo() == CpuConvAlgo::OneDnn ? "oneDNN " + onednn_version() : "fbd"; }

int64_t conv_group_size(int64_t N, int64_t plane_out) {
  if (plane_out >= kTargetCols || N <= 1) return 1;
  return std::min<int64_t>(N, (kTargetCols + plane_out - 1) / plane_out);
}

void conv_forward_cpu(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                      const kernels::ConvGeom& g) {
  if (N == 0) return;
  if (cpu_conv_algo() == CpuConvAlgo::OneDnn && onednn_conv_forward(x, w, bias, y, N, K, g)) return;
  if (use_direct(g, [&] { return kernels::conv_direct_forward_preferred(K, g); })) {
    float* ws = scratch(0).get(kernels::conv_direct_forward_workspace(N, K, g));
    kernels::conv_direct_forward_cpu(x, w, bias, y, N, K, g, ws);
    return;
  }
  const int64_t P = g.plane_out(), rows = g.rows(), in_sz = g.C * g.plane_in();
  const int64_t nb = conv_group_size(N, P), groups = (N + nb - 1) / nb;
  for_groups(groups, [&](int64_t gi) {
    const int64_t n0 = gi * nb, cnt = std::min(nb, N - n0), cols = cnt * P;
    const float* xg = x + n0 * in_sz;
    const float* B = xg;
    if (!(is_pointwise(g) && cnt == 1)) {
      float* col = scratch(0).get(size_t(rows * cols));
      kernels::im2col_cpu(xg, col, cnt, g);
      B = col;
    }
    if (cnt == 1) {
      float* yn = y + n0 * K * P;
      if (bias)
        for (int64_t k = 0; k < K; ++k) std::fill(yn + k * P, yn + (k + 1) * P, bias[k]);
      cpu::sgemm(false, false, K, P, rows, 1.0f, w, rows, B, P, bias ? 1.0f : 0.0f, yn, P);
      return;
    }
    float* tmp = scratch(1).get(size_t(K * cols));
    cpu::sgemm(false, false, K, cols, rows, 1.0f, w, rows, B, cols, 0.0f, tmp, cols);
    // tmp is [K, cnt, P]; y is [cnt, K, P].
    for (int64_t j = 0; j < cnt; ++j)
      for (int64_t k = 0; k < K; ++k) {
        const float b = bias ? bias[k] : 0.0f;
        const float* src = tmp + k * cols + j * P;
        float* dst = y + ((n0 + j) * K + k) * P;
        for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + b;
      }
  });
}

void conv_backward_cpu(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t N, int64_t K,
                       const kernels::ConvGeom& g) {
  const int64_t P = g.plane_out(), rows = g.rows(), in_sz = g.C * g.plane_in();
  if (N == 0) {
    if (dw) std::memset(dw, 0, size_t(K * rows) * sizeof(float));
    return;
  }
  if (cpu_conv_algo() == CpuConvAlgo::OneDnn && onednn_conv_backward(x, w, dy, dx, dw, N, K, g)) return;
  if (dx && use_direct(g, [&] { return kernels::conv_direct_backward_data_preferred(K, g); })) {
    float* ws = scratch(0).get(kernels::conv_direct_backward_data_workspace(N, K, g));
    kernels::conv_direct_backward_data_cpu(dy, w, dx, N, K, g, ws);
    dx = nullptr;  // done
  }
  if (dw && use_direct(g, [&] { return kernels::conv_direct_backward_filter_preferred(K, g); })) {
    float* ws = scratch(0).get(kernels::conv_direct_backward_filter_workspace(N, K, g));
    kernels::conv_direct_backward_filter_cpu(x, dy, dw, N, K, g, ws);
    dw = nullptr;
  }
  if (!dx && !dw) return;
  const int64_t nb = conv_group_size(N, P), groups = (N + nb - 1) / nb;
  // Per-group partial weight gradients, summed in group order afterwards.
  std::unique_ptr<float[]> partial;
  if (dw && groups > 1) partial.reset(new float[size_t(groups * K * rows)]);
  for_groups(groups, [&](int64_t gi) {
    const int64_t n0 = gi * nb, cnt = std::min(nb, N - n0), cols = cnt * P;
    // dy of the group as [K, cnt*P]: the samples' own rows when the group is one sample.
    const float* dyg = dy + n0 * K * P;
    if (cnt > 1) {
      float* t = scratch(2).get(size_t(K * cols));
      for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < cnt; ++j) std::memcpy(t + k * cols + j * P, dyg + (j * K + k) * P, size_t(P) * 4);
      dyg = t;
    }
    const bool direct = is_pointwise(g) && cnt == 1;
    if (dw) {
      const float* B = x + n0 * in_sz;
      if (!direct) {
        float* col = scratch(0).get(size_t(rows * cols));
        kernels::im2col_cpu(x + n0 * in_sz, col, cnt, g);
        B = col;
      }
      float* out = groups > 1 ? partial.get() + gi * K * rows : dw;
      cpu::sgemm(false, true, K, rows, cols, 1.0f, dyg, cols, B, cols, 0.0f, out, rows);
    }
    if (dx) {
      float* dxg = dx + n0 * in_sz;
      if (direct) {
        cpu::sgemm(true, false, rows, P, K, 1.0f, w, rows, dyg, P, 0.0f, dxg, P);
      } else {
        float* dcol = scratch(1).get(size_t(rows * cols));
        cpu::sgemm(true, false, rows, cols, K, 1.0f, w, rows, dyg, cols, 0.0f, dcol, cols);
        kernels::col2im_cpu(dcol, dxg, cnt, g);
      }
    }
  });
  if (dw && groups > 1) {
    const int64_t n = K * rows;
#pragma omp parallel for schedule(static) if (n * groups > (int64_t(1) << 15))
    for (int64_t i = 0; i < n; ++i) {
      float acc = partial[size_t(i)];
      for (int64_t gi = 1; gi < groups; ++gi) acc += partial[size_t(gi * n + i)];
      dw[i] = acc;
    }
  }
}

}  // namespace fbd::nn::detail
