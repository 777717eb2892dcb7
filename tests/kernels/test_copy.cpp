// CPU twin of kernels/copy: fill, strided copy and the cast rules.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/copy_kernels.h"
#include "tests/test_util.h"

using namespace fbd;

TEST_CASE("fill writes every element and nothing past the end") {
  std::vector<float> buf(1000 + 16, -7.0f);
  kernels::fill_f32_cpu(buf.data(), 1000, 2.5f);
  for (int i = 0; i < 1000; ++i) CHECK(buf[size_t(i)] == 2.5f);
  for (int i = 1000; i < 1016; ++i) CHECK(buf[size_t(i)] == -7.0f);  // guard values untouched
}

TEST_CASE("strided copy transposes a matrix and expands a broadcast row") {
  const int64_t M = 3, N = 4;
  std::vector<float> src(M * N);
  for (size_t i = 0; i < src.size(); ++i) src[i] = float(i);
  std::vector<float> dst(M * N, 0.0f);
  kernels::StridedDims d;
  d.ndim = 2;
  d.shape[0] = N;
  d.shape[1] = M;
  d.stride_a[0] = 1;  // read src[j][i]
  d.stride_a[1] = N;
  d.stride_b[0] = M;  // write dst[i][j] contiguous [N, M]
  d.stride_b[1] = 1;
  kernels::strided_copy_cpu(src.data(), dst.data(), 4, d);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < M; ++j) CHECK(dst[size_t(i * M + j)] == src[size_t(j * N + i)]);

  // Broadcast a uint8 row of 4 over 3 rows (stride 0 along the rows).
  const std::vector<uint8_t> row = {1, 2, 3, 4};
  std::vector<uint8_t> out(12, 0);
  kernels::StridedDims e;
  e.ndim = 2;
  e.shape[0] = 3;
  e.shape[1] = 4;
  e.stride_a[0] = 0;
  e.stride_a[1] = 1;
  e.stride_b[0] = 4;
  e.stride_b[1] = 1;
  kernels::strided_copy_cpu(row.data(), out.data(), 1, e);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(out[size_t(r * 4 + c)] == row[size_t(c)]);
}

TEST_CASE("casts truncate toward zero, saturate and send NaN to zero") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> f = {0.0f, 1.9f, -1.9f, 254.6f, 300.0f, -5.0f, nan, 3e9f, -3e9f};
  std::vector<uint8_t> u(f.size());
  std::vector<int32_t> i(f.size());
  kernels::cast_cpu(f.data(), kernels::ElemType::F32, u.data(), kernels::ElemType::U8, int64_t(f.size()));
  kernels::cast_cpu(f.data(), kernels::ElemType::F32, i.data(), kernels::ElemType::I32, int64_t(f.size()));
  CHECK(u == std::vector<uint8_t>{0, 1, 0, 254, 255, 0, 0, 255, 0});
  CHECK(i == std::vector<int32_t>{0, 1, -1, 254, 300, -5, 0, 2147483520, std::numeric_limits<int32_t>::min()});

  const std::vector<int32_t> ints = {-3, 0, 7, 255, 256, 1000};
  std::vector<uint8_t> u2(ints.size());
  std::vector<float> back(ints.size());
  kernels::cast_cpu(ints.data(), kernels::ElemType::I32, u2.data(), kernels::ElemType::U8, int64_t(ints.size()));
  kernels::cast_cpu(ints.data(), kernels::ElemType::I32, back.data(), kernels::ElemType::F32, int64_t(ints.size()));
  CHECK(u2 == std::vector<uint8_t>{0, 0, 7, 255, 255, 255});
  CHECK(back == std::vector<float>{-3, 0, 7, 255, 256, 1000});
}
