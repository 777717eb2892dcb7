#include "core/tensor.h"

#include <iomanip>
#include <ostream>
#include <sstream>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/cuda_context.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/copy_kernels.h"

namespace fbd {

// ---- dtype.h ---------------------------------------------------------------------------------

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---- Storage ---------------------------------------------------------------------------------

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    ptr_ = cpu_allocate(nbytes);
  } else {
    allocator_ = &cuda::allocator(device.index);
    ptr_ = allocator_->allocate(nbytes);
  }
}

Storage::Storage(size_t nbytes, Device device, CachingAllocator& allocator)
    : ptr_(allocator.allocate(nbytes)), nbytes_(nbytes), device_(device), allocator_(&allocator) {}

Storage::~Storage() {
  if (allocator_ != nullptr) {
    allocator_->deallocate(ptr_);  // noexcept, and no CUDA call
  } else {
    cpu_deallocate(ptr_, nbytes_);
  }
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
  } else {
    cuda::copy(dst, dst_device, src, src_device, bytes);
  }
}

// ---- factories -------------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) FBD_CHECK(d >= 0, "negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(size_t(shape_numel(shape)) * dtype_size(dtype), device);
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (device.is_cpu()) {
    std::memset(t.raw_data(), 0, t.nbytes());
  } else {
    cuda::memset_zero(t.raw_data(), t.nbytes(), device.index);
  }
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, DType::F32, device);
  fill_(t, value);
  return t;
}

// ---- metadata and access ---------------------------------------------------------------------

int64_t Tensor::size(int axis) const { return shape()[size_t(detail::normalize_axis(axis, dim(), "size"))]; }

float Tensor::item() const {
  FBD_CHECK(numel() == 1, "item() needs a one-element tensor, got shape ", shape_str(shape()));
  FBD_CHECK(dtype() == DType::F32, "item() needs a float32 tensor, got ", dtype_name(dtype()));
  float v = 0.0f;
  copy_bytes(&v, Device::cpu(), raw_data(), device(), sizeof(float));
  return v;
}

// ---- devices and copies ----------------------------------------------------------------------

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  profiler::Scope scope("to", target);
  Tensor out = empty(shape(), dtype(), target);
  copy_bytes(out.raw_data(), target, raw_data(), device(), nbytes());
  scope.add_bytes(2 * nbytes());
  if (dtype() == DType::F32 && needs_grad({this})) {
    const Device source = device();
    record(out, "to", {*this}, [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
  }
  return out;
}

Tensor Tensor::clone() const {
  profiler::Scope scope("clone", device());
  Tensor out = empty(shape(), dtype(), device());
  copy_bytes(out.raw_data(), device(), raw_data(), device(), nbytes());
  scope.add_bytes(2 * nbytes());
  if (dtype() == DType::F32 && needs_grad({this})) {
    record(out, "clone", {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  }
  return out;
}

namespace {
kernels::ElemType elem_type(DType t) {
  return t == DType::F32 ? kernels::ElemType::F32 : t == DType::U8 ? kernels::ElemType::U8 : kernels::ElemType::I32;
}
}  // namespace

Tensor Tensor::to_dtype(DType target) const {
  if (dtype() == target) return *this;
  profiler::Scope scope("cast", device());
  Tensor out = empty(shape(), target, device());
  const int64_t n = numel();
  detail::dispatch(
      *this, "cast", [&] { kernels::cast_cpu(raw_data(), elem_type(dtype()), out.raw_data(), elem_type(target), n); },
      [&](kernels::Stream s) {
        kernels::cast_cuda(raw_data(), elem_type(dtype()), out.raw_data(), elem_type(target), n, s);
      });
  scope.add_bytes(nbytes() + out.nbytes());
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  FBD_CHECK(src.shape() == shape() && src.dtype() == dtype(), "copy_from: source ", shape_str(src.shape()), " ",
            dtype_name(src.dtype()), " does not match destination ", shape_str(shape()), " ", dtype_name(dtype()));
  copy_bytes(raw_data(), device(), src.raw_data(), src.device(), nbytes());
}

// ---- views -----------------------------------------------------------------------------------

Tensor Tensor::reshape(const Shape& requested) const {
  Shape shape_out = requested;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape_out.size(); ++i) {
    if (shape_out[i] == -1) {
      FBD_CHECK(infer < 0, "reshape: more than one -1 in ", shape_str(requested));
      infer = int(i);
    } else {
      FBD_CHECK(shape_out[i] >= 0, "reshape: bad dimension in ", shape_str(requested));
      known *= shape_out[i];
    }
  }
  if (infer >= 0) {
    FBD_CHECK(known > 0 && numel() % known == 0, "reshape: cannot infer -1 in ", shape_str(requested), " for ", numel(),
              " elements");
    shape_out[size_t(infer)] = numel() / known;
  }
  FBD_CHECK(shape_numel(shape_out) == numel(), "reshape: shape ", shape_str(requested), " does not hold ", numel(),
            " elements of ", shape_str(shape()));
  auto impl = std::make_shared<TensorImpl>(*impl_);
  impl->shape = shape_out;
  impl->grad.reset();
  impl->grad_fn.reset();
  impl->requires_grad = false;
  Tensor out(std::move(impl));
  if (needs_grad({this})) {
    const Shape original = shape();
    record(out, "reshape", {*this}, [original](const Tensor& g) { return std::vector<Tensor>{g.reshape(original)}; });
  }
  return out;
}

Tensor Tensor::narrow0(int64_t start, int64_t length) const {
  FBD_CHECK(dim() >= 1, "narrow0: needs at least one dimension");
  FBD_CHECK(start >= 0 && length >= 0 && start + length <= shape()[0], "narrow0: rows [", start, ", ", start + length,
            ") out of range for ", shape()[0], " rows");
  auto impl = std::make_shared<TensorImpl>(*impl_);
  impl->shape[0] = length;
  impl->offset += size_t(start) * size_t(shape_numel(shape()) / std::max<int64_t>(1, shape()[0])) * dtype_size(dtype());
  impl->grad.reset();
  impl->grad_fn.reset();
  impl->requires_grad = false;
  Tensor out(std::move(impl));
  if (needs_grad({this})) {
    const Shape full_shape = shape();
    record(out, "narrow0", {*this}, [full_shape, start](const Tensor& g) {
      Tensor gx = Tensor::zeros(full_shape, DType::F32, g.device());
      gx.narrow0(start, g.shape()[0]).copy_from(g);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

// ---- autograd --------------------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool on) {
  FBD_CHECK(!on || dtype() == DType::F32, "requires_grad: only float32 tensors can require grad");
  FBD_CHECK(is_leaf(), "requires_grad_: only leaf tensors (not results of ops) can be marked");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

// ---- printing --------------------------------------------------------------------------------

namespace {

void print_values(std::ostream& os, const std::vector<double>& v, const Shape& shape, size_t dim, int64_t offset,
                  int max_per_dim) {
  if (shape.empty()) {
    os << v[0];
    return;
  }
  const int64_t n = shape[dim];
  int64_t inner = 1;
  for (size_t k = dim + 1; k < shape.size(); ++k) inner *= shape[k];
  os << "[";
  const int64_t edge = max_per_dim / 2;
  for (int64_t i = 0; i < n; ++i) {
    if (n > max_per_dim && i == edge) {
      os << (dim + 1 == shape.size() ? "..., " : "...,\n" + std::string(dim + 1, ' '));
      i = n - edge;
    }
    if (dim + 1 == shape.size()) {
      os << v[size_t(offset + i)];
    } else {
      print_values(os, v, shape, dim + 1, offset + i * inner, max_per_dim);
    }
    if (i + 1 < n) os << (dim + 1 == shape.size() ? ", " : ",\n" + std::string(dim + 1, ' '));
  }
  os << "]";
}

}  // namespace

std::string Tensor::str(int max_per_dim) const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << "Tensor(shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype()) << ", device=" << device().str();
  if (requires_grad()) os << ", requires_grad";
  os << ")\n";
  std::vector<double> v(static_cast<size_t>(numel()));
  if (dtype() == DType::F32) {
    const auto f = to_vector<float>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = f[i];
  } else if (dtype() == DType::U8) {
    const auto f = to_vector<uint8_t>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = f[i];
  } else {
    const auto f = to_vector<int32_t>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = f[i];
  }
  os << std::setprecision(5);
  if (numel() == 0) {
    os << "[]";
  } else {
    print_values(os, v, shape(), 0, 0, std::max(2, max_per_dim));
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace fbd
