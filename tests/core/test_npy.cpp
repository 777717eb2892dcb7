// .npy reading (of files NumPy wrote: tests/reference/make_npy_fixtures.py) and writing, and
// every kind of bad file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "core/npy.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using test::contains;
using test::error_of;
using test::fixture;

TEST_CASE("reads the arrays NumPy writes") {
  Tensor f = read_npy(fixture("npy/f4_2x3.npy"));
  CHECK(f.shape() == Shape{2, 3});
  CHECK(f.to_vector() == std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1, 1.25f});
  Tensor d = read_npy(fixture("npy/f8_4.npy"));  // float64 -> float32
  CHECK(d.dtype() == DType::F32);
  CHECK(d.to_vector() == std::vector<float>{0.1f, -2.5f, 1e30f, 3.0f});
  CHECK(read_npy(fixture("npy/u1_2x2.npy")).to_vector<uint8_t>() == std::vector<uint8_t>{0, 255, 1, 7});
  CHECK(read_npy(fixture("npy/b1_3.npy")).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 1});
  Tensor s = read_npy(fixture("npy/i4_scalar.npy"));
  CHECK(s.shape().empty());
  CHECK(s.to_vector<int32_t>() == std::vector<int32_t>{-7});
  CHECK(read_npy(fixture("npy/f4_1x1x2x2.npy")).shape() == Shape{1, 1, 2, 2});
  CHECK(read_npy(fixture("npy/f4_empty_0x3.npy")).shape() == Shape{0, 3});
}

TEST_CASE("round trip of every dtype and rank, byte for byte") {
  test::TempDir dir;
  const std::vector<Tensor> tensors = {test::random_tensor({3, 4, 5}, -1, 1, 1), Tensor::scalar(2.5f),
                                       Tensor::from_vector({1, 2, 3}, {3}),
                                       test::random_tensor({2, 3}, 0, 255, 2).to_dtype(DType::U8),
                                       test::random_tensor({4}, -9, 9, 3).to_dtype(DType::I32)};
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = dir.file(std::to_string(i) + ".npy");
    write_npy(path, tensors[i]);
    Tensor back = read_npy(path);
    CHECK(back.shape() == tensors[i].shape());
    CHECK(back.dtype() == tensors[i].dtype());
    CHECK(std::memcmp(back.raw_data(), tensors[i].raw_data(), back.nbytes()) == 0);
  }
  // NumPy's header alignment: data starts at a multiple of 64 bytes.
  const std::vector<char> bytes = encode_npy(Tensor::zeros({7}));
  CHECK((bytes.size() - 7 * 4) % 64 == 0);
  CHECK(std::string(bytes.begin() + 10, bytes.begin() + 64).find("'shape': (7,)") != std::string::npos);
}

TEST_CASE("bad files give one-line errors naming the file") {
  test::TempDir dir;
  auto write_bytes = [&](const std::string& name, const std::vector<char>& b) {
    const std::string p = dir.file(name);
    std::ofstream(p, std::ios::binary).write(b.data(), std::streamsize(b.size()));
    return p;
  };
  const std::vector<char> good = encode_npy(Tensor::from_vector({1, 2, 3, 4}, {2, 2}));
  const std::string truncated = write_bytes("cut.npy", std::vector<char>(good.begin(), good.end() - 3));
  const std::string short_header = write_bytes("head.npy", std::vector<char>(good.begin(), good.begin() + 20));
  const std::string not_npy = write_bytes("text.npy", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  const std::string empty = write_bytes("empty.npy", {});

  const std::vector<std::pair<std::string, std::string>> cases = {
      {truncated, "truncated: shape [2, 2] needs 16 bytes"},
      {short_header, "truncated .npy header"},
      {not_npy, "bad magic"},
      {empty, "bad magic"},
      {fixture("npy/f4_fortran.npy"), "Fortran-order"},
      {fixture("npy/i8_2.npy"), "unsupported dtype '<i8'"},
      {dir.file("missing.npy"), "cannot open"},
  };
  for (const auto& c : cases) {
    const std::string &path = c.first, &expected = c.second;
    const std::string msg = error_of([&] { read_npy(path); });
    CHECK_MESSAGE(contains(msg, expected), path << ": " << msg);
    CHECK_MESSAGE(contains(msg, path), "the message names the file: " << msg);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("an atomic write that fails leaves the old file and no temporary behind") {
  test::TempDir dir;
  const std::string path = dir.file("out.npy");
  write_npy(path, Tensor::ones({2}));
  CHECK(contains(error_of([&] {
                   write_file_atomic(path, [](std::ostream& os) {
                     os << "partial";
                     FBD_FAIL("simulated crash");
                   });
                 }),
                 "simulated crash"));
  CHECK(read_npy(path).to_vector() == std::vector<float>{1, 1});
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  CHECK(files == 1);
  CHECK(contains(error_of([&] { write_npy(dir.file("no/such/folder/x.npy"), Tensor::ones({1})); }), "cannot create"));
}
