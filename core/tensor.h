// Tensor: a contiguous, row-major (NCHW for images) array of float32, uint8 or int32 on the
// CPU or a CUDA device, plus what autograd needs (requires_grad, grad, the node that made it).
//
// A Tensor is a cheap handle (a shared pointer); copies of a handle share data. Views
// (reshape, narrow along the first axis) share storage with their base; everything else
// allocates. Ops live in core/ops.h.
#pragma once
#include <cstring>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace fbd {

class CachingAllocator;

// One allocation on one device. Freed (or returned to the caching allocator) when the last
// tensor using it goes away.
class Storage {
 public:
  // Host memory, or a block of the device's caching allocator (cuda::allocator).
  Storage(size_t nbytes, Device device);
  // A block of `allocator`, held as memory of `device` (tests pass a fake allocator).
  Storage(size_t nbytes, Device device, CachingAllocator& allocator);
  // Never throws and makes no CUDA call: a device block goes back to the allocator it came
  // from, found without the device context (whose lookup calls cudaSetDevice, which after a
  // kernel fault fails, and would end the process from a destructor before the fault is
  // reported).
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* ptr_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  CachingAllocator* allocator_ = nullptr;  // null: host memory (cpu_allocate)
};

struct Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset = 0;  // bytes from storage->data()
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() for leaves
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor (null for leaves)
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, Device device = Device::cpu()) { return full(shape, 1.0f, device); }
  static Tensor scalar(float value, Device device = Device::cpu()) { return full({}, value, device); }
  // Copies `values` (numel(shape) of them) into a new tensor on `device`.
  template <typename T>
  static Tensor from_data(const T* values, const Shape& shape, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape, Device device = Device::cpu()) {
    FBD_CHECK(int64_t(values.size()) == shape_numel(shape), "from_vector: ", values.size(),
              " values do not fill shape ", shape_str(shape));
    return from_data(values.data(), shape, device);
  }

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int dim() const { return int(impl().shape.size()); }
  int64_t size(int axis) const;  // negative axes count from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_cuda() const { return device().is_cuda(); }
  bool is_cpu() const { return device().is_cpu(); }
  TensorImpl* impl_ptr() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_shared() const { return impl_; }

  // ---- data access ----
  void* raw_data() const { return static_cast<char*>(impl().storage->data()) + impl().offset; }
  template <typename T>
  T* data() const {
    FBD_CHECK(dtype_of<T>::value == dtype(), "tensor holds ", dtype_name(dtype()), ", accessed as ",
              dtype_name(dtype_of<T>::value));
    return static_cast<T*>(raw_data());
  }
  template <typename T = float>
  std::vector<T> to_vector() const;  // copies to the host
  float item() const;                // the one value of a one-element float tensor

  // ---- devices and copies ----
  Tensor to(Device device) const;  // differentiable; returns *this when already there
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor cuda(int index = 0) const { return to(Device::cuda(index)); }
  Tensor clone() const;                // differentiable deep copy
  Tensor to_dtype(DType dtype) const;  // not differentiable (casts are for masks and labels)
  void copy_from(const Tensor& src);   // this <- src, same shape; any devices; not recorded

  // ---- views ----
  Tensor reshape(const Shape& shape) const;             // one -1 allowed; differentiable; shares storage
  Tensor narrow0(int64_t start, int64_t length) const;  // rows [start, start+length) of axis 0; shares storage

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const { return Tensor(impl().grad); }  // undefined until a backward reaches it
  void zero_grad() { impl().grad.reset(); }
  Tensor detach() const;  // same storage, cut from the graph
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // Backpropagate from this tensor. Without an argument it must hold one element (a loss).
  void backward() const;
  void backward(const Tensor& grad_output) const;

  std::string str(int max_per_dim = 6) const;  // shape, dtype, device and (some) values

 private:
  TensorImpl& impl() const {
    FBD_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Ordered (name, tensor) pairs: state dicts, checkpoints, optimizer state.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Copies bytes between any two devices (host memcpy, or a stream-ordered CUDA copy).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

template <typename T>
Tensor Tensor::from_data(const T* values, const Shape& shape, Device device) {
  Tensor t = empty(shape, dtype_of<T>::value, device);
  copy_bytes(t.raw_data(), device, values, Device::cpu(), t.nbytes());
  return t;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  FBD_CHECK(dtype_of<T>::value == dtype(), "to_vector: tensor holds ", dtype_name(dtype()));
  std::vector<T> out(static_cast<size_t>(numel()));
  copy_bytes(out.data(), Device::cpu(), raw_data(), device(), nbytes());
  return out;
}

}  // namespace fbd
