// Checkpoints: a bit-exact round trip of model and optimizer-style state through
// .safetensors, the file layout (header JSON, 8-byte alignment, offsets), atomic writes, and
// clear errors for truncated, corrupt and mismatched files.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using test::contains;
using test::error_of;

namespace {

std::shared_ptr<nn::Sequential> make_net(uint64_t seed) {
  Generator gen(seed);
  auto net = std::make_shared<nn::Sequential>();
  net->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(2, 4, 3).padding(1), gen));
  net->add(std::make_shared<nn::BatchNorm2d>(4));
  net->add(std::make_shared<nn::ReLU>());
  net->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(4, 1, 1), gen));
  return net;
}

bool bits_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.cpu().raw_data(), b.cpu().raw_data(), a.nbytes()) == 0;
}

}  // namespace

TEST_CASE("checkpoint: model and extra state round-trip bit for bit") {
  test::TempDir dir;
  const std::string path = dir.file("model.safetensors");
  auto a = make_net(1), b = make_net(2);
  a->train();
  a->forward(test::random_tensor({3, 2, 5, 5}, -1, 1, 3));  // moves the running statistics
  const int32_t step = 17;
  const NamedTensors extra = {{"conv.exp_avg", test::random_tensor({4, 2, 3, 3}, -1, 1, 4)},
                              {"conv.step", Tensor::from_data(&step, {})}};
  nn::save_checkpoint(path, *a, extra, {{"epoch", "3"}});
  std::map<std::string, std::string> meta;
  const NamedTensors back = nn::load_checkpoint(path, *b, &meta);
  CHECK(meta.at("epoch") == "3");
  const NamedTensors sa = a->state_dict(), sb = b->state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) CHECK_MESSAGE(bits_equal(sa[i].second, sb[i].second), sa[i].first);
  REQUIRE(back.size() == 2);
  CHECK(back[0].first == "conv.exp_avg");
  CHECK(bits_equal(back[0].second, extra[0].second));
  CHECK(back[1].second.dtype() == DType::I32);
  CHECK(back[1].second.to_vector<int32_t>()[0] == 17);
  // No temporary file is left beside the checkpoint.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("safetensors: header layout as the format defines it") {
  test::TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const Tensor a = Tensor::from_vector({1, 2, 3}, {3});
  const uint8_t m[2] = {0, 1};
  nn::save_safetensors(path, {{"a", a}, {"mask", Tensor::from_data(m, {1, 2})}});
  const std::vector<char> bytes = read_file(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data(), 8);  // little-endian on x86
  CHECK(hlen % 8 == 0);
  const auto header = nlohmann::json::parse(std::string(bytes.data() + 8, size_t(hlen)));
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json::array({3}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 12}));
  CHECK(header["mask"]["dtype"] == "U8");
  CHECK(header["mask"]["data_offsets"] == nlohmann::json::array({12, 14}));
  CHECK(bytes.size() == 8 + hlen + 14);
  float f[3];
  std::memcpy(f, bytes.data() + 8 + hlen, 12);
  CHECK(f[2] == 3.0f);
}

TEST_CASE("checkpoint: truncated, corrupt and mismatched files give errors naming the file and tensor") {
  test::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  auto a = make_net(1);
  nn::save_checkpoint(path, *a);
  const std::vector<char> bytes = read_file(path);
  auto write = [&](const std::string& p, const std::vector<char>& b) {
    std::ofstream(p, std::ios::binary).write(b.data(), std::streamsize(b.size()));
  };

  // Cut inside the data of the last tensor: "3.bias" (1 float) needs bytes beyond the end.
  const std::string cut = dir.file("cut.safetensors");
  write(cut, std::vector<char>(bytes.begin(), bytes.end() - 2));
  auto b = make_net(2);
  const std::string e1 = error_of([&] { nn::load_checkpoint(cut, *b); });
  CHECK(contains(e1, cut + ": truncated: tensor '3.bias' needs bytes ["));
  // Cut inside the header.
  write(cut, std::vector<char>(bytes.begin(), bytes.begin() + 20));
  CHECK(contains(error_of([&] { nn::load_checkpoint(cut, *b); }), cut + ": truncated or not a safetensors file"));
  write(cut, std::vector<char>(bytes.begin(), bytes.begin() + 5));
  CHECK(contains(error_of([&] { nn::load_checkpoint(cut, *b); }), "shorter than the 8-byte header length"));
  // Garbage header.
  std::vector<char> bad = bytes;
  bad[8] = '#';
  write(cut, bad);
  CHECK(contains(error_of([&] { nn::load_checkpoint(cut, *b); }), cut + ": the safetensors header is not valid JSON"));
  // A network with a different width: the first tensor that does not fit is named.
  Generator gen(3);
  nn::Sequential wide;
  wide.add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(2, 8, 3).padding(1), gen));
  CHECK(contains(error_of([&] { nn::load_checkpoint(path, wide); }),
                 path + ": tensor '0.weight' is float32 [4, 2, 3, 3] but the Sequential expects float32 [8, 2, 3, 3]"));
  // A missing file.
  CHECK(contains(error_of([&] { nn::load_checkpoint(dir.file("none.safetensors"), *b); }),
                 dir.file("none.safetensors") + ": cannot open"));
  // After all the failures, b still loads the good file.
  nn::load_checkpoint(path, *b);
  CHECK(bits_equal(b->state_dict()[0].second, a->state_dict()[0].second));
}
