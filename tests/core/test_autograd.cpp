// Autograd: the tape, accumulation, no_grad, freeing the graph, and the errors.
#include <doctest/doctest.h>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/ops.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("gradient of a small expression") {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3});
  x.requires_grad_();
  Tensor y = sum(x * x + x * 3.0f);  // dy/dx = 2x + 3
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{5, 7, 9});
}

TEST_CASE("a tensor used twice receives the sum of both gradients") {
  Tensor x = Tensor::from_vector({2, -1}, {2});
  x.requires_grad_();
  sum(mul(x, x)).backward();  // both inputs of mul are x: 2x
  CHECK(x.grad().to_vector() == std::vector<float>{4, -2});
}

TEST_CASE("leaf gradients accumulate across backward calls until zero_grad") {
  Tensor w = Tensor::from_vector({1, 1}, {2});
  w.requires_grad_();
  for (int i = 0; i < 3; ++i) sum(w * 2.0f).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{6, 6});
  w.zero_grad();
  CHECK(!w.grad().defined());
}

TEST_CASE("no_grad records nothing; detach cuts the graph") {
  Tensor x = Tensor::ones({2});
  x.requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0f;
    CHECK(!y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(grad_enabled());
  Tensor z = (x * 2.0f).detach();
  CHECK(!z.requires_grad());
  CHECK(contains(error_of([&] { sum(z).backward(); }), "does not require grad"));
}

TEST_CASE("backward twice through the same graph is refused") {
  Tensor x = Tensor::ones({2});
  x.requires_grad_();
  Tensor loss = sum(exp(x));
  loss.backward();
  CHECK(contains(error_of([&] { loss.backward(); }), "a second time"));
}

TEST_CASE("backward without a gradient needs a scalar; with one, shapes must match") {
  Tensor x = Tensor::ones({2});
  x.requires_grad_();
  Tensor y = x * 3.0f;
  CHECK(contains(error_of([&] { y.backward(); }), "one-element tensor"));
  CHECK(contains(error_of([&] { y.backward(Tensor::ones({3})); }), "does not match"));
  y.backward(Tensor::from_vector({1, 2}, {2}));
  CHECK(x.grad().to_vector() == std::vector<float>{3, 6});
}

TEST_CASE("backward frees the graph: intermediates are released") {
  Tensor w = test::random_tensor({256, 256}, -1, 1, 1);
  w.requires_grad_();
  const size_t before = cpu_memory_stats().current;
  {
    Tensor loss = sum(sigmoid(exp(w * 0.5f) + 1.0f));
    loss.backward();
  }
  // Only the gradient of w remains: 256*256 floats.
  CHECK(cpu_memory_stats().current - before == 256 * 256 * sizeof(float));
}

TEST_CASE("a graph deeper than any call stack backpropagates") {
  Tensor x = Tensor::ones({1});
  x.requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0f;
  sum(y).backward();
  CHECK(x.grad().item() == 1.0f);
}

TEST_CASE("gradients flow only to inputs that require them") {
  Tensor a = Tensor::ones({2}), b = Tensor::ones({2});
  a.requires_grad_();
  sum(a * b).backward();
  CHECK(a.grad().defined());
  CHECK(!b.grad().defined());
}

TEST_CASE("dropping a very deep graph without backward does not overflow the stack") {
  Tensor x = Tensor::ones({1});
  x.requires_grad_();
  {
    Tensor y = x;
    for (int i = 0; i < 200000; ++i) y = y + 1.0f;
  }  // y and its 200000 nodes are destroyed here
  CHECK(x.requires_grad());
}
