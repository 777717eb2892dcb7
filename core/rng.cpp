#include "core/rng.h"

#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/philox_kernels.h"

namespace fbd {

uint64_t Generator::take(int64_t n) {
  const uint64_t start = offset_;
  offset_ += uint64_t(kernels::philox_blocks(n));
  return start;
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

void uniform_(Tensor& t, float lo, float hi, Generator& gen) {
  detail::check_float(t, "uniform_");
  FBD_CHECK(lo <= hi, "uniform_: lower bound ", lo, " above upper bound ", hi);
  profiler::Scope scope("uniform_", t.device());
  const int64_t n = t.numel();
  const uint64_t seed = gen.seed(), offset = gen.take(n);
  detail::dispatch(
      t, "uniform_", [&] { kernels::philox_uniform_cpu(t.data<float>(), n, seed, offset, lo, hi); },
      [&](kernels::Stream s) { kernels::philox_uniform_cuda(t.data<float>(), n, seed, offset, lo, hi, s); });
  scope.add_bytes(t.nbytes());
}

void normal_(Tensor& t, float mean, float std, Generator& gen) {
  detail::check_float(t, "normal_");
  FBD_CHECK(std >= 0.0f, "normal_: negative standard deviation ", std);
  profiler::Scope scope("normal_", t.device());
  const int64_t n = t.numel();
  const uint64_t seed = gen.seed(), offset = gen.take(n);
  detail::dispatch(
      t, "normal_", [&] { kernels::philox_normal_cpu(t.data<float>(), n, seed, offset, mean, std); },
      [&](kernels::Stream s) { kernels::philox_normal_cuda(t.data<float>(), n, seed, offset, mean, std, s); });
  scope.add_bytes(t.nbytes());
}

void random_bits_(Tensor& t, Generator& gen) {
  FBD_CHECK(t.dtype() == DType::I32, "random_bits_: expected an int32 tensor, got ", dtype_name(t.dtype()));
  profiler::Scope scope("random_bits_", t.device());
  const int64_t n = t.numel();
  const uint64_t seed = gen.seed(), offset = gen.take(n);
  auto* out = static_cast<uint32_t*>(t.raw_data());
  detail::dispatch(
      t, "random_bits_", [&] { kernels::philox_bits_cpu(out, n, seed, offset); },
      [&](kernels::Stream s) { kernels::philox_bits_cuda(out, n, seed, offset, s); });
  scope.add_bytes(t.nbytes());
}

Tensor rand(const Shape& shape, Device device, Generator& gen) {
  Tensor t = Tensor::empty(shape, DType::F32, device);
  uniform_(t, 0.0f, 1.0f, gen);
  return t;
}

Tensor randn(const Shape& shape, Device device, Generator& gen) {
  Tensor t = Tensor::empty(shape, DType::F32, device);
  normal_(t, 0.0f, 1.0f, gen);
  return t;
}

}  // namespace fbd
