#include "layers/conv_onednn.h"

#if FBD_WITH_ONEDNN

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/op_util.h"

namespace fbd::nn::detail {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// One operand: its plain fbd layout, the layout the primitive chose, and the reorders between
// them where they differ.
struct Operand {
  memory::desc plain, inner;
  std::optional<dnnl::reorder> to_inner, to_plain;

  Operand() = default;
  Operand(const memory::desc& p, const memory::desc& i, bool in, bool out) : plain(p), inner(i) {
    if (p == i) return;
    auto& e = cpu_engine();
    if (in) to_inner = dnnl::reorder(dnnl::reorder::primitive_desc(e, p, e, i));
    if (out) to_plain = dnnl::reorder(dnnl::reorder::primitive_desc(e, i, e, p));
  }
};

// The geometry and direction a primitive set was made for.
using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, bool>;

struct Geometry {
  memory::dims src, wei, dst, strides, dilates, pad_l, pad_r;
};

// oneDNN's dilation counts the gaps (PyTorch's 1 is its 0); its right padding is whatever makes
// the output size PyTorch's: negative where PyTorch's floor leaves the last rows or columns unread
// (a 1x1 / 2 shortcut over an even size), which oneDNN accepts, as PyTorch's own calls rely on.
std::optional<Geometry> geometry(int64_t N, int64_t K, const kernels::ConvGeom& g) {
  if (N <= 0) return std::nullopt;
  const int64_t pr_h = (g.Ho - 1) * g.sh + g.dh * (g.kh - 1) + 1 - g.H - g.ph;
  const int64_t pr_w = (g.Wo - 1) * g.sw + g.dw * (g.kw - 1) + 1 - g.W - g.pw;
  return Geometry{{N, g.C, g.H, g.W},   {K, g.C, g.kh, g.kw}, {N, K, g.Ho, g.Wo}, {g.sh, g.sw},
                  {g.dh - 1, g.dw - 1}, {g.ph, g.pw},         {pr_h, pr_w}};
}

memory::desc any(const memory::dims& d) { return memory::desc(d, f32, tag::any); }

struct Forward {
  dnnl::convolution_forward prim;
  Operand src, wei, dst;
};

struct Backward {
  dnnl::convolution_backward_data data;  // both always made (make_backward)
  dnnl::convolution_backward_weights weights;
  Operand data_dy, data_w, data_dx;  // backward data: dy and w in, dx out
  Operand wei_x, wei_dy, wei_dw;     // backward weights: x and dy in, dw out
};

dnnl::convolution_forward::primitive_desc forward_pd(const Geometry& G, bool bias) {
  const auto kind = dnnl::prop_kind::forward_training;
  const auto algo = dnnl::algorithm::convolution_direct;
  auto d =
      bias ? dnnl::convolution_forward::desc(kind, algo, any(G.src), any(G.wei), memory::desc({G.wei[0]}, f32, tag::x),
                                             any(G.dst), G.strides, G.dilates, G.pad_l, G.pad_r)
           : dnnl::convolution_forward::desc(kind, algo, any(G.src), any(G.wei), any(G.dst), G.strides, G.dilates,
                                             G.pad_l, G.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, cpu_engine());
}

std::shared_ptr<Forward> make_forward(const Geometry& G, bool bias) {
  auto pd = forward_pd(G, bias);
  auto f = std::make_shared<Forward>();
  f->prim = dnnl::convolution_forward(pd);
  f->src = Operand(memory::desc(G.src, f32, tag::nchw), pd.src_desc(), true, false);
  f->wei = Operand(memory::desc(G.wei, f32, tag::oihw), pd.weights_desc(), true, false);
  f->dst = Operand(memory::desc(G.dst, f32, tag::nchw), pd.dst_desc(), false, true);
  return f;
}

// Both directions at once: a layer whose input needs no gradient still costs one primitive more.
std::shared_ptr<Backward> make_backward(const Geometry& G) {
  auto hint = forward_pd(G, false);
  const auto algo = dnnl::algorithm::convolution_direct;
  const memory::desc x_plain(G.src, f32, tag::nchw), w_plain(G.wei, f32, tag::oihw), y_plain(G.dst, f32, tag::nchw);
  auto b = std::make_shared<Backward>();
  {
    dnnl::convolution_backward_data::desc d(algo, any(G.src), any(G.wei), any(G.dst), G.strides, G.dilates, G.pad_l,
                                            G.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(d, cpu_engine(), hint);
    b->data = dnnl::convolution_backward_data(pd);
    b->data_dy = Operand(y_plain, pd.diff_dst_desc(), true, false);
    b->data_w = Operand(w_plain, pd.weights_desc(), true, false);
    b->data_dx = Operand(x_plain, pd.diff_src_desc(), false, true);
  }
  {
    dnnl::convolution_backward_weights::desc d(algo, any(G.src), any(G.wei), any(G.dst), G.strides, G.dilates, G.pad_l,
                                               G.pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(d, cpu_engine(), hint);
    b->weights = dnnl::convolution_backward_weights(pd);
    b->wei_x = Operand(x_plain, pd.src_desc(), true, false);
    b->wei_dy = Operand(y_plain, pd.diff_dst_desc(), true, false);
    b->wei_dw = Operand(w_plain, pd.diff_weights_desc(), false, true);
  }
  return b;
}

// The primitive cache: least recently used out beyond kCapacity geometries (a network has a few
// dozen; evaluation at other image sizes adds more).
constexpr size_t kCapacity = 256;

class Cache {
 public:
  template <typename T, typename Make>
  std::shared_ptr<T> get(const Key& key, Make&& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.second);
      return std::static_pointer_cast<T>(it->second.first);
    }
    std::shared_ptr<T> made = make();
    order_.push_front(key);
    map_.emplace(key, std::make_pair(std::shared_ptr<void>(made), order_.begin()));
    if (map_.size() > kCapacity) {
      map_.erase(order_.back());
      order_.pop_back();
    }
    return made;
  }
  int64_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return int64_t(map_.size());
  }

 private:
  std::mutex mu_;
  std::list<Key> order_;
  std::map<Key, std::pair<std::shared_ptr<void>, std::list<Key>::iterator>> map_;
};

Cache& cache() {
  static Cache c;
  return c;
}

Key key_of(int kind, int64_t N, int64_t K, const kernels::ConvGeom& g, bool flag) {
  return {kind, N, K, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, flag};
}

// Runs make(); false where oneDNN has no implementation, any other oneDNN error is fbd's.
template <typename Make>
auto create(Make&& make) -> decltype(make()) {
  try {
    return make();
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_unimplemented) return nullptr;
    FBD_FAIL("conv2d: oneDNN could not create a primitive: ", e.what());
  }
}

// The inputs and outputs of one execution: plain pointers wrapped as memories, reordered into
// scratch from fbd's host cache where the primitive's layout differs.
class Staging {
 public:
  explicit Staging(dnnl::stream& s) : s_(s) {}

  // A read operand: the plain memory, or its reorder into the inner layout.
  memory in(const Operand& op, const void* plain) {
    memory m(op.plain, cpu_engine(), const_cast<void*>(plain));
    if (!op.to_inner) return m;
    memory inner(op.inner, cpu_engine(), scratch(op.inner.get_size()));
    op.to_inner->execute(s_, m, inner);
    return inner;
  }
  // A written operand: the plain memory, or scratch to reorder back after the primitive (finish).
  memory out(const Operand& op, void* plain) {
    memory m(op.plain, cpu_engine(), plain);
    if (!op.to_plain) return m;
    memory inner(op.inner, cpu_engine(), scratch(op.inner.get_size()));
    pending_.push_back({&op, inner, m});
    return inner;
  }
  void finish() {
    for (auto& p : pending_) p.op->to_plain->execute(s_, p.inner, p.plain);
    s_.wait();
  }

 private:
  void* scratch(size_t bytes) {
    spaces_.push_back(std::make_unique<fbd::detail::Workspace>(bytes, Device::cpu()));
    return spaces_.back()->get();
  }
  struct Pending {
    const Operand* op;
    memory inner, plain;
  };
  dnnl::stream& s_;
  std::vector<std::unique_ptr<fbd::detail::Workspace>> spaces_;
  std::vector<Pending> pending_;
};

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream s(cpu_engine());
  return s;
}

}  // namespace

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

int64_t onednn_cached_primitives() { return cache().size(); }

bool onednn_conv_forward(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                         const kernels::ConvGeom& g) {
  const auto G = geometry(N, K, g);
  if (!G) return false;
  const bool has_bias = bias != nullptr;
  auto f = cache().get<Forward>(key_of(0, N, K, g, has_bias),
                                [&] { return create([&] { return make_forward(*G, has_bias); }); });
  if (!f) return false;
  auto& s = cpu_stream();
  Staging st(s);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, st.in(f->src, x)}, {DNNL_ARG_WEIGHTS, st.in(f->wei, w)}, {DNNL_ARG_DST, st.out(f->dst, y)}};
  if (has_bias) args.emplace(DNNL_ARG_BIAS, memory({{K}, f32, tag::x}, cpu_engine(), const_cast<float*>(bias)));
  f->prim.execute(s, args);
  st.finish();
  return true;
}

bool onednn_conv_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t N, int64_t K,
                          const kernels::ConvGeom& g) {
  const auto G = geometry(N, K, g);
  if (!G || (!dx && !dw)) return false;
  auto b = cache().get<Backward>(key_of(1, N, K, g, false), [&] { return create([&] { return make_backward(*G); }); });
  if (!b) return false;
  auto& s = cpu_stream();
  Staging st(s);
  std::optional<memory> dy_data;
  if (dx) {
    dy_data = st.in(b->data_dy, dy);
    b->data.execute(s, {{DNNL_ARG_DIFF_DST, *dy_data},
                        {DNNL_ARG_WEIGHTS, st.in(b->data_w, w)},
                        {DNNL_ARG_DIFF_SRC, st.out(b->data_dx, dx)}});
  }
  if (dw) {
    // dy is reordered once where both primitives want it in the same layout.
    const memory dy_w = dy_data && b->data_dy.inner == b->wei_dy.inner ? *dy_data : st.in(b->wei_dy, dy);
    b->weights.execute(s, {{DNNL_ARG_SRC, st.in(b->wei_x, x)},
                           {DNNL_ARG_DIFF_DST, dy_w},
                           {DNNL_ARG_DIFF_WEIGHTS, st.out(b->wei_dw, dw)}});
  }
  st.finish();
  return true;
}

}  // namespace fbd::nn::detail

#else  // FBD_WITH_ONEDNN

namespace fbd::nn::detail {

std::string onednn_version() { return ""; }
int64_t onednn_cached_primitives() { return 0; }
bool onednn_conv_forward(const float*, const float*, const float*, float*, int64_t, int64_t, const kernels::ConvGeom&) {
  return false;
}
bool onednn_conv_backward(const float*, const float*, const float*, float*, float*, int64_t, int64_t,
                          const kernels::ConvGeom&) {
  return false;
}

}  // namespace fbd::nn::detail

#endif  // FBD_WITH_ONEDNN
