// Tensor: construction, views, copies, casts, printing and the errors users meet.
#include <doctest/doctest.h>

#include <cstdint>

#include "core/ops.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("factories give the requested shape, dtype and values") {
  Tensor z = Tensor::zeros({2, 3, 4});
  CHECK(z.shape() == Shape{2, 3, 4});
  CHECK(z.numel() == 24);
  CHECK(z.dim() == 3);
  CHECK(z.size(-1) == 4);
  CHECK(z.dtype() == DType::F32);
  CHECK(z.is_cpu());
  for (float v : z.to_vector()) CHECK(v == 0.0f);
  for (float v : Tensor::full({5}, 3.5f).to_vector()) CHECK(v == 3.5f);
  CHECK(Tensor::scalar(2.0f).item() == 2.0f);
  CHECK(Tensor::scalar(2.0f).shape().empty());
  Tensor m = Tensor::zeros({2, 2}, DType::U8);
  CHECK(m.nbytes() == 4);
  const std::vector<int32_t> labels = {3, -1, 7};
  CHECK(Tensor::from_data(labels.data(), {3}).to_vector<int32_t>() == labels);
  CHECK(Tensor::empty({0, 5}).numel() == 0);
}

TEST_CASE("CPU buffers are 64-byte aligned") {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n});
    CHECK(reinterpret_cast<uintptr_t>(t.raw_data()) % 64 == 0);
  }
}

TEST_CASE("reshape and narrow0 are views that share storage") {
  Tensor t = Tensor::from_vector({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  r.data<float>()[0] = 42.0f;
  CHECK(t.to_vector()[0] == 42.0f);
  Tensor row = t.narrow0(1, 1);
  CHECK(row.shape() == Shape{1, 3});
  CHECK(row.to_vector() == std::vector<float>{3, 4, 5});
  CHECK(contains(error_of([&] { t.reshape({4, 2}); }), "does not hold 6 elements"));
  CHECK(contains(error_of([&] { t.reshape({-1, -1}); }), "more than one -1"));
  CHECK(contains(error_of([&] { t.narrow0(1, 5); }), "out of range"));
}

TEST_CASE("clone and copy_from copy; detach shares") {
  Tensor t = Tensor::from_vector({1, 2, 3}, {3});
  Tensor c = t.clone();
  c.data<float>()[0] = 9.0f;
  CHECK(t.to_vector()[0] == 1.0f);
  Tensor d = t.detach();
  d.data<float>()[0] = 9.0f;
  CHECK(t.to_vector()[0] == 9.0f);
  Tensor e = Tensor::zeros({3});
  e.copy_from(t);
  CHECK(e.to_vector() == t.to_vector());
  CHECK(contains(error_of([&] { e.copy_from(Tensor::zeros({4})); }), "does not match destination"));
}

TEST_CASE("dtype casts between float32, uint8 and int32") {
  Tensor f = Tensor::from_vector({0.0f, 1.0f, 255.0f, 256.0f, -1.0f}, {5});
  CHECK(f.to_dtype(DType::U8).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 255, 255, 0});
  CHECK(f.to_dtype(DType::I32).to_vector<int32_t>() == std::vector<int32_t>{0, 1, 255, 256, -1});
  const std::vector<uint8_t> mask = {0, 1, 1, 0};
  CHECK(Tensor::from_data(mask.data(), {2, 2}).to_dtype(DType::F32).to_vector() == std::vector<float>{0, 1, 1, 0});
}

TEST_CASE("wrong use gives a one-line error naming the problem") {
  Tensor f = Tensor::zeros({2});
  CHECK(contains(error_of([&] { f.data<uint8_t>(); }), "tensor holds float32, accessed as uint8"));
  CHECK(contains(error_of([&] { Tensor().numel(); }), "undefined tensor"));
  CHECK(contains(error_of([&] { Tensor::zeros({2}, DType::U8).requires_grad_(); }), "only float32"));
  CHECK(contains(error_of([&] { f.item(); }), "one-element"));
  CHECK(contains(error_of([&] { Tensor::empty({-1, 2}); }), "negative dimension"));
  CHECK(contains(error_of([&] { Tensor::from_vector({1, 2, 3}, {2, 2}); }), "do not fill shape"));
  for (const std::string& msg : {error_of([&] { f.size(3); }), error_of([&] { f.reshape({3}); })}) {
    CHECK(!msg.empty());
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("printing shows shape, dtype, device and values, eliding long axes") {
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const std::string s = t.str();
  CHECK(contains(s, "shape=[2, 3]"));
  CHECK(contains(s, "dtype=float32"));
  CHECK(contains(s, "device=cpu"));
  CHECK(contains(s, "[[1, 2, 3],\n [4, 5, 6]]"));
  Tensor big = Tensor::zeros({100});
  CHECK(contains(big.str(), "..."));
  CHECK(contains(Tensor::scalar(2.5f).str(), "2.5"));
}

TEST_CASE("moving to CUDA without a usable GPU is a clear error") {
  std::string why;
  if (cuda_usable(&why)) {
    MESSAGE("a GPU is usable here; the CPU-only error path is not exercised");
    return;
  }
  const std::string msg = error_of([] { Tensor::zeros({2}).cuda(); });
  CHECK(contains(msg, "no usable CUDA GPU"));
}
