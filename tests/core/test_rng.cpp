// The engine's Generator: reproducible fills that advance through one Philox stream.
#include <doctest/doctest.h>

#include "core/rng.h"
#include "tests/test_util.h"

using namespace fbd;

TEST_CASE("the same seed gives the same values; another seed does not") {
  Generator a(123), b(123), c(124);
  CHECK(rand({1000}, Device::cpu(), a).to_vector() == rand({1000}, Device::cpu(), b).to_vector());
  CHECK(randn({1000}, Device::cpu(), a).to_vector() == randn({1000}, Device::cpu(), b).to_vector());
  CHECK(rand({1000}, Device::cpu(), a).to_vector() != rand({1000}, Device::cpu(), c).to_vector());
}

TEST_CASE("successive fills continue the stream block by block") {
  Generator split(9), whole(9);
  const auto first = rand({10}, Device::cpu(), split).to_vector();   // blocks 0..2 (12 values, 10 used)
  const auto second = rand({10}, Device::cpu(), split).to_vector();  // blocks 3..5
  const auto all = rand({24}, Device::cpu(), whole).to_vector();
  CHECK(std::equal(first.begin(), first.end(), all.begin()));
  CHECK(std::equal(second.begin(), second.end(), all.begin() + 12));
  CHECK(split.offset() == 6);
}

TEST_CASE("manual_seed resets the default generator") {
  manual_seed(5);
  const auto x = rand({8}).to_vector();
  manual_seed(5);
  CHECK(rand({8}).to_vector() == x);
}

TEST_CASE("fills check their arguments") {
  Tensor t = Tensor::empty({4});
  CHECK(test::contains(test::error_of([&] { uniform_(t, 1.0f, 0.0f); }), "above upper bound"));
  CHECK(test::contains(test::error_of([&] { normal_(t, 0.0f, -1.0f); }), "negative standard deviation"));
  Tensor m = Tensor::empty({4}, DType::U8);
  CHECK(test::contains(test::error_of([&] { uniform_(m); }), "expected a float32"));
  Tensor bits = Tensor::empty({4}, DType::I32);
  random_bits_(bits);
  CHECK(bits.numel() == 4);
}
