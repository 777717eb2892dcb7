// The cuDNN convolution's algorithm cache, its pure parts (layers/conv_cudnn.h), on the CPU:
//  - the key holds the alignment of every operand's address, so a view that starts 4 bytes
//    into a buffer never reuses an algorithm chosen (or timed) for 256-byte-aligned buffers,
//    while two aligned buffers at different addresses share one entry;
//  - deterministic mode takes the first algorithm of a fixed preference list that cuDNN reports
//    supported, deterministic and within the workspace cap, whatever order cuDNN lists them in.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "layers/conv_cudnn.h"

using namespace fbd;
using namespace fbd::nn::detail;

namespace {

const void* at(uintptr_t address) { return reinterpret_cast<const void*>(address); }

kernels::ConvGeom geometry() {
  kernels::ConvGeom g;
  g.C = 8, g.H = 20, g.W = 20, g.Ho = 20, g.Wo = 20, g.kh = g.kw = 3, g.ph = g.pw = 1;
  return g;
}

}  // namespace

TEST_CASE("pointer_alignment: the largest power of two dividing the address, at most 256") {
  CHECK(pointer_alignment(at(0x7f0000000000)) == 256);
  CHECK(pointer_alignment(at(0x7f0000000100)) == 256);
  CHECK(pointer_alignment(at(0x7f0000000080)) == 128);
  CHECK(pointer_alignment(at(0x7f0000000010)) == 16);
  CHECK(pointer_alignment(at(0x7f0000000004)) == 4);
  CHECK(pointer_alignment(at(0x7f0000000002)) == 2);
  CHECK(pointer_alignment(at(0x7f0000000001)) == 1);
  CHECK(pointer_alignment(nullptr) == 256);
}

TEST_CASE("conv algorithm key: a view 4 bytes in gets its own entry; aligned buffers share one") {
  const kernels::ConvGeom g = geometry();
  const uintptr_t x = 0x7f0000100000, w = 0x7f0000200000, y = 0x7f0000300000;
  const auto key = [&](uintptr_t a, uintptr_t b, uintptr_t c) {
    return conv_algo_key(ConvDir::Forward, 0, false, 4, 8, g, at(a), at(b), at(c));
  };
  const ConvAlgoKey base = key(x, w, y);
  // Other aligned buffers: the same entry.
  CHECK(key(x + 0x1000, w + 0x2300, y + 0x500) == base);
  // Any operand 4 bytes in (narrow0 of a float tensor by one row of one element): another entry.
  CHECK(key(x + 4, w, y) != base);
  CHECK(key(x, w + 4, y) != base);
  CHECK(key(x, w, y + 4) != base);
  // Which operand is misaligned matters too.
  CHECK(key(x + 4, w, y) != key(x, w + 4, y));
  // Direction, device, deterministic mode and shape are in the key as before.
  CHECK(conv_algo_key(ConvDir::BackwardData, 0, false, 4, 8, g, at(x), at(w), at(y)) != base);
  CHECK(conv_algo_key(ConvDir::Forward, 1, false, 4, 8, g, at(x), at(w), at(y)) != base);
  CHECK(conv_algo_key(ConvDir::Forward, 0, true, 4, 8, g, at(x), at(w), at(y)) != base);
  CHECK(conv_algo_key(ConvDir::Forward, 0, false, 5, 8, g, at(x), at(w), at(y)) != base);
  kernels::ConvGeom strided = g;
  strided.sh = 2;
  CHECK(conv_algo_key(ConvDir::Forward, 0, false, 4, 8, strided, at(x), at(w), at(y)) != base);
}

TEST_CASE("deterministic mode: the first algorithm of the fixed preference list that cuDNN reports usable") {
  const std::vector<int> preference = {1, 0, 2, 5};
  const size_t cap = 1 << 20;
  // cuDNN lists its heuristics' guesses fastest first; the preference list decides.
  std::vector<ConvAlgoReport> reports = {
      {2, true, true, 0}, {5, true, true, 100}, {0, true, true, 0}, {1, true, true, 4096}, {3, true, false, 0}};
  CHECK(first_deterministic_algo(preference, reports, cap) == 1);
  std::vector<ConvAlgoReport> reversed(reports.rbegin(), reports.rend());
  CHECK(first_deterministic_algo(preference, reversed, cap) == 1);
  // The preferred one unsupported, non-deterministic, or over the cap: the next.
  reports[3].supported = false;
  CHECK(first_deterministic_algo(preference, reports, cap) == 0);
  reports[3].supported = true;
  reports[3].deterministic = false;
  CHECK(first_deterministic_algo(preference, reports, cap) == 0);
  reports[3].deterministic = true;
  CHECK(first_deterministic_algo(preference, reports, 1000) == 0);
  // An algorithm cuDNN does not list is skipped; a non-deterministic one is never taken, even
  // when it is the only one listed.
  CHECK(first_deterministic_algo({7, 2}, reports, cap) == 2);
  CHECK(first_deterministic_algo({3}, reports, cap) == -1);
  CHECK(first_deterministic_algo(preference, {}, cap) == -1);
}
