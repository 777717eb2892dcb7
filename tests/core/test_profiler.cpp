// The per-op profiler table.
#include <doctest/doctest.h>

#include <sstream>

#include "core/ops.h"
#include "core/profiler.h"
#include "tests/test_util.h"

using namespace fbd;

TEST_CASE("with profiling on, ops are counted with their bytes") {
  const bool was = profiler::enabled();
  profiler::set_enabled(true);
  profiler::reset();
  Tensor a = Tensor::ones({1000}), b = Tensor::ones({1000});
  a.requires_grad_();
  for (int i = 0; i < 3; ++i) sum(add(a, b)).backward();
  const auto rows = profiler::snapshot();
  profiler::set_enabled(was);
  const profiler::OpStats* add_row = nullptr;
  const profiler::OpStats* sum_back = nullptr;
  for (const auto& r : rows) {
    if (r.op == "add") add_row = &r;
    if (r.op == "sum.backward") sum_back = &r;
  }
  REQUIRE(add_row != nullptr);
  CHECK(add_row->calls >= 3);  // 3 forward adds (+ leaf gradient accumulation after the first)
  CHECK(add_row->bytes >= 3 * 12000.0);
  REQUIRE(sum_back != nullptr);
  CHECK(sum_back->calls == 3);
  std::ostringstream os;
  profiler::print_table(os);
  CHECK(test::contains(os.str(), "calls"));
  CHECK(test::contains(os.str(), "sum.backward"));
  profiler::reset();
}

TEST_CASE("with profiling off, nothing is recorded") {
  profiler::set_enabled(false);
  profiler::reset();
  add(Tensor::ones({10}), Tensor::ones({10}));
  CHECK(profiler::snapshot().empty());
}
