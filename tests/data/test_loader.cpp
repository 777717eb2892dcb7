// The background loader: batches in order, the same for any number of workers and prefetch
// depth, epochs shuffled differently, every sample served once per epoch, errors passed on
// naming the sample, restarts mid-epoch; and preparing samples from a data set on disk.
#include <set>

#include "core/pinned.h"
#include "data/loader.h"
#include "data/phantom.h"
#include "data/prepare.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;

namespace {

std::shared_ptr<MemorySource> blobs(int n, int64_t size = 24) {
  std::vector<Sample> v;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.id = fbd::detail::concat("s", i);
    s.image = Image(size, size, float(i) / float(n));
    s.mask = Image(size, size);
    s.edge = Image(size, size);
    for (int64_t y = 4; y < 4 + (i % 5) + 3; ++y)
      for (int64_t x = 6; x < 12; ++x) s.mask.at(y, x) = s.image.at(y, x) = 1.0f;
    s.edge.at(4, 6) = 1.0f;
    v.push_back(std::move(s));
  }
  return std::make_shared<MemorySource>(std::move(v));
}

std::vector<Batch> epoch(DataLoader& dl, int64_t e) {
  dl.start_epoch(e);
  std::vector<Batch> out;
  Batch b;
  while (dl.next(b)) out.push_back(b);
  return out;
}

const AugmentPipeline& pipeline() {
  static const AugmentPipeline p = AugmentPipeline::default_pipeline();
  return p;
}

}  // namespace

TEST_CASE("batches: shapes, order, and every sample once per epoch") {
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 2;
  o.seed = 7;
  DataLoader dl(blobs(10), pipeline(), o);
  CHECK(dl.batches_per_epoch() == 3);
  const auto batches = epoch(dl, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].image.shape() == Shape{4, 1, 24, 24});
  CHECK(batches[2].mask.shape() == Shape{2, 1, 24, 24});
  CHECK(batches[1].edge.shape() == Shape{4, 1, 24, 24});
  std::vector<int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    CHECK(batches[size_t(i)].number == i);
    for (int64_t idx : batches[size_t(i)].indices) seen.push_back(idx);
  }
  CHECK(seen == dl.epoch_order(0));
  CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == 10);
  CHECK(dl.epoch_order(0) != dl.epoch_order(1));
  for (const Batch& b : batches) {
    for (float v : b.mask.to_vector<float>()) REQUIRE((v == 0.0f || v == 1.0f));
    CHECK(b.ids.size() == b.indices.size());
    CHECK(b.ids[0] == fbd::detail::concat("s", b.indices[0]));
  }
  o.drop_last = true;
  DataLoader dropping(blobs(10), pipeline(), o);
  CHECK(epoch(dropping, 0).size() == 2);
}

TEST_CASE("the same batches whatever the number of workers and the prefetch depth") {
  LoaderOptions o;
  o.batch_size = 3;
  o.seed = 21;
  o.workers = 0;
  DataLoader ref(blobs(11), pipeline(), o);
  const auto want0 = epoch(ref, 0), want1 = epoch(ref, 1);
  for (const auto& [workers, prefetch] : {std::pair{1, 1}, std::pair{2, 4}, std::pair{5, 2}, std::pair{3, 8}}) {
    o.workers = workers;
    o.prefetch = prefetch;
    DataLoader dl(blobs(11), pipeline(), o);
    for (int e = 0; e < 2; ++e) {
      const auto got = epoch(dl, e);
      const auto& want = e == 0 ? want0 : want1;
      REQUIRE(got.size() == want.size());
      for (size_t b = 0; b < got.size(); ++b) {
        CHECK(got[b].indices == want[b].indices);
        CHECK(got[b].image.to_vector<float>() == want[b].image.to_vector<float>());
        CHECK(got[b].mask.to_vector<float>() == want[b].mask.to_vector<float>());
        CHECK(got[b].edge.to_vector<float>() == want[b].edge.to_vector<float>());
      }
    }
  }
  // A sample's augmentation depends on (seed, epoch, index): the same in batch and alone.
  const Sample s = ref.make_sample(1, want1[0].indices[0]);
  const std::vector<float> first = want1[0].image.to_vector<float>();
  CHECK(std::vector<float>(first.begin(), first.begin() + 24 * 24) == s.image.px);
}

TEST_CASE("restarting an epoch mid-way; epochs differ; no shuffle keeps the order") {
  LoaderOptions o;
  o.batch_size = 2;
  o.workers = 3;
  o.prefetch = 3;
  DataLoader dl(blobs(9), pipeline(), o);
  dl.start_epoch(0);
  Batch b;
  REQUIRE(dl.next(b));
  const auto full = epoch(dl, 0);  // restarted
  CHECK(full.size() == 5);
  CHECK(full[0].indices == b.indices);
  CHECK(full[0].image.to_vector<float>() == b.image.to_vector<float>());
  const auto e1 = epoch(dl, 1);
  CHECK(e1[0].image.to_vector<float>() != full[0].image.to_vector<float>());
  o.shuffle = false;
  DataLoader plain(blobs(9), pipeline(), o);
  CHECK(epoch(plain, 3)[1].indices == std::vector<int64_t>{2, 3});
}

TEST_CASE("errors reach the caller naming the sample") {
  std::vector<Sample> v = blobs(4)->samples();
  v[2].image = Image(30, 24);
  v[2].mask = Image(30, 24);
  v[2].edge = Image(30, 24);
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = false;
  for (int workers : {0, 2}) {
    o.workers = workers;
    DataLoader dl(std::make_shared<MemorySource>(v), AugmentPipeline(), o);
    dl.start_epoch(0);
    Batch b;
    const std::string e = error_of([&] { dl.next(b); });
    CHECK(contains(e, "loader: sample 's2' is 30x24 but the batch's first sample 's0' is 24x24"));
  }
  CHECK(contains(
      error_of([&] { DataLoader dl(std::make_shared<MemorySource>(std::vector<Sample>{}), AugmentPipeline(), o); }),
      "the sample source is empty"));
  o.batch_size = 0;
  CHECK(contains(error_of([&] { DataLoader dl(blobs(3), AugmentPipeline(), o); }), "batch size must be at least 1"));
  o.batch_size = 4;
  DataLoader idle(blobs(3), AugmentPipeline(), o);
  Batch b;
  CHECK(contains(error_of([&] { idle.next(b); }), "call start_epoch() before next()"));
}

TEST_CASE("pinned buffers: host memory and copies to CPU tensors") {
  PinnedBuffer buf(64);
  CHECK(buf.size() == 64);
  float* f = static_cast<float*>(buf.data());
  for (int i = 0; i < 16; ++i) f[i] = float(i);
  Tensor t = Tensor::empty({4});
  buf.copy_to(t, 8 * sizeof(float));
  buf.wait();
  CHECK(t.to_vector<float>() == std::vector<float>{8, 9, 10, 11});
  Tensor big = Tensor::empty({20});
  CHECK(contains(error_of([&] { buf.copy_to(big, 0); }), "overruns the buffer"));
}

TEST_CASE("prepare_samples: the tumour quadrants of a data set on disk, ready for the loader") {
  test::TempDir dir;
  PhantomOptions o;
  o.patients = 3;
  o.slices = 2;
  o.size = 64;
  write_phantom(dir.file("ph"), o);
  const Dataset ds = scan_dataset(dir.file("ph"));
  const auto quads = prepare_samples(ds, {});
  CHECK(quads.size() >= 6);
  for (const Sample& s : quads) {
    CHECK(s.image.height == 32);
    CHECK(s.mask.width == 32);
    CHECK(mean_value(s.mask) > 0.0);
    CHECK(s.id.find("_q") != std::string::npos);
  }
  PrepareOptions whole;
  whole.quadrants = false;
  const auto full = prepare_samples(ds, {"P001_S00", "P002_S01"}, whole);
  REQUIRE(full.size() == 2);
  CHECK(full[1].id == "P002_S01");
  CHECK(full[0].image.height == 64);
  CHECK(contains(error_of([&] { prepare_samples(ds, {"nope"}); }), "no case with id 'nope'"));

  LoaderOptions lo;
  lo.batch_size = 4;
  DataLoader dl(std::make_shared<MemorySource>(quads), pipeline(), lo);
  const auto batches = epoch(dl, 0);
  CHECK(batches[0].image.shape() == Shape{4, 1, 32, 32});
}

TEST_CASE("images to (1, 1, H, W) tensors and back") {
  Image img(3, 4);
  for (int64_t i = 0; i < 12; ++i) img.px[size_t(i)] = float(i) * 0.5f;
  const Tensor t = to_tensor(img);
  CHECK(t.shape() == Shape{1, 1, 3, 4});
  CHECK(from_tensor(t).px == img.px);
  CHECK(from_tensor(t.reshape({3, 4})).height == 3);
  CHECK(contains(error_of([&] { from_tensor(Tensor::zeros({2, 1, 3, 4})); }), "expected (H,W), (1,H,W) or (1,1,H,W)"));
}
