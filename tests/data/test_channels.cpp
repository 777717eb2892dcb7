// Multi-channel input (data/channels.h): the --channels spec, the channels of nnU-Net's
// _0000/_0001 files, of a 4-D NIfTI and of a manifest row listing several files, the
// subtraction image, the errors a user meets (a missing channel file, a channel the image does
// not have, volumes of different channel counts, --channels on 2-D images), the samples and
// batches that carry the channels through the augmentations and the loader, and the DCE phantom
// (fbd synth --phases).
#include <filesystem>
#include <fstream>

#include "data/augment.h"
#include "data/channels.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data/nifti.h"
#include "data/phantom.h"
#include "data/pipeline.h"
#include "data/volume_dataset.h"
#include "data/volume_io.h"
#include "data/volume_slices.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;
namespace fs = std::filesystem;

namespace {

// nx x ny x nz voxels, channel c (counted from first_channel) a different ramp each, so that
// no two channels normalise alike.
Volume channel_volume(int64_t nx, int64_t ny, int64_t nz, int64_t channels, int64_t first_channel = 0) {
  Volume v;
  v.nx = nx, v.ny = ny, v.nz = nz, v.channels = channels;
  v.dx = 0.7, v.dy = 0.7, v.dz = 2.0;
  v.affine.m[0] = {-0.7, 0, 0, 10};
  v.affine.m[1] = {0, -0.7, 0, 20};
  v.affine.m[2] = {0, 0, 2.0, -30};
  set_space_from_affine(v);
  const size_t n = size_t(nx * ny * nz);
  v.voxels.resize(n * size_t(channels));
  for (size_t c = 0; c < size_t(channels); ++c)
    for (size_t i = 0; i < n; ++i) {
      const size_t k = c + size_t(first_channel);
      v.voxels[c * n + i] = float((k + 1) * (i + 1) + 7 * k * (i % 5));  // not proportional across channels
    }
  return v;
}

Volume box_mask(const Volume& grid) {
  Volume m = grid;
  m.channels = 1;
  m.voxels.assign(size_t(grid.voxels_per_channel()), 0.0f);
  for (int64_t k = 1; k < 3; ++k)
    for (int64_t j = 2; j < 5; ++j)
      for (int64_t i = 1; i < 4; ++i) m.voxels[size_t(i + m.nx * (j + m.ny * k))] = 1.0f;
  return m;
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void write_volume(const fs::path& p, const Volume& v) {
  fs::create_directories(p.parent_path());
  write_nifti(p.string(), v,
              v.voxels.size() && v.channels == 1 && v.voxels[0] <= 1 ? NiftiDtype::UInt8 : NiftiDtype::Float32);
}

bool has_problem(const std::vector<Problem>& ps, const std::string& part, bool error = true) {
  for (const Problem& p : ps)
    if (p.error == error && contains(p.str(), part)) return true;
  return false;
}

// The image slice a case of `ds` should load: slice `k` along k of channel `c` of `raw`,
// after the spec and the per-volume normalisation.
Image expected_slice(const Volume& raw, const std::string& spec, int64_t k, int64_t c) {
  Volume v = select_channels(raw, parse_channels(spec));
  normalize_volume(v);
  return extract_slice(v, 2, k, c);
}

}  // namespace

TEST_CASE("--channels: all, indices and differences; the canonical text; one-line errors") {
  CHECK(parse_channels("all").all);
  const ChannelSpec s = parse_channels("0,2-0,1");
  CHECK(!s.all);
  REQUIRE(s.items.size() == 3);
  CHECK(s.items[0] == ChannelItem{0, -1});
  CHECK(s.items[1] == ChannelItem{2, 0});
  CHECK(s.items[2] == ChannelItem{1, -1});
  CHECK(channels_text(s) == "0,2-0,1");
  CHECK(channels_text(parse_channels("0001")) == "1");
  CHECK(output_channels(s, 3) == 3);
  CHECK(output_channels(parse_channels("all"), 4) == 4);
  CHECK(channel_problem(s, 3).empty());
  CHECK(channel_problem(s, 2) == "--channels 0,2-0,1 needs channel 2, but the image has 2 channels (0-1)");
  CHECK(channel_problem(parse_channels("1-0"), 1) == "--channels 1-0 needs channel 1, but the image has 1 channel (0)");
  for (const char* bad : {"", "a", "1,", "-1", "1-", "1--0", "0,,1", "12345", "1-1"}) {
    const std::string e = error_of([&] { parse_channels(bad); });
    CHECK_MESSAGE(contains(e, "--channels"), bad);
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK(contains(error_of([&] { parse_channels("1-1"); }), "subtracts a channel from itself"));
}

TEST_CASE("select_channels takes channels and subtracts on the raw values; a missing channel names the file") {
  Volume v = channel_volume(3, 2, 2, 3);
  v.source = "scan.nii.gz";
  const size_t n = 12;
  const Volume same = select_channels(v, parse_channels("all"));
  CHECK(same.voxels == v.voxels);
  const Volume s = select_channels(v, parse_channels("2,1-0"));
  CHECK(s.channels == 2);
  CHECK(s.nx == 3);
  CHECK(s.affine.max_abs_diff(v.affine) == 0.0);
  REQUIRE(s.voxels.size() == 2 * n);
  for (size_t i = 0; i < n; ++i) {
    CHECK(s.voxels[i] == v.voxels[2 * n + i]);
    CHECK(s.voxels[n + i] == v.voxels[n + i] - v.voxels[i]);
  }
  const std::string e = error_of([&] { select_channels(v, parse_channels("3")); });
  CHECK(e.rfind("scan.nii.gz: --channels 3 needs channel 3, but the image has 3 channels (0-2)", 0) == 0);
}

TEST_CASE("extract_sample: a slice of every channel, channel 0 as the image") {
  const Volume v = channel_volume(3, 2, 2, 3);
  for (int axis = 0; axis < 3; ++axis) {
    const Sample s = extract_sample(v, axis, 1);
    CHECK(s.image.px == extract_slice(v, axis, 1, 0).px);
    REQUIRE(s.more_channels.size() == 2);
    CHECK(s.more_channels[0].px == extract_slice(v, axis, 1, 1).px);
    CHECK(s.more_channels[1].px == extract_slice(v, axis, 1, 2).px);
    CHECK(s.more_channels[0].px != s.image.px);
  }
  CHECK(extract_sample(channel_volume(3, 2, 2, 1), 2, 0).more_channels.empty());
}

TEST_CASE("nnU-Net's _0000 and _0001 files are the channels of one image, through cases, checks and eval") {
  fbd::test::TempDir dir;
  const Volume c0 = channel_volume(6, 7, 4, 1, 0), c1 = channel_volume(6, 7, 4, 1, 3);
  for (const char* id : {"A", "B"}) {
    write_volume(dir.path() / "imagesTr" / fbd::detail::concat(id, "_0000.nii.gz"), c0);
    write_volume(dir.path() / "imagesTr" / fbd::detail::concat(id, "_0001.nii.gz"), c1);
    write_volume(dir.path() / "labelsTr" / fbd::detail::concat(id, ".nii.gz"), box_mask(c0));
  }
  write_text(dir.path() / "dataset.json",
             R"({"channel_names": {"0": "pre", "1": "post"}, "labels": {"background": 0, "tumour": 1},
                 "file_ending": ".nii.gz"})");
  Volume raw = c0;  // both channels in one volume, as the reader joins them
  raw.channels = 2;
  raw.voxels.insert(raw.voxels.end(), c1.voxels.begin(), c1.voxels.end());

  const Dataset ds = scan_dataset(dir.path().string());
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());
  CHECK(ds.channels == 2);
  REQUIRE(ds.volumes.size() == 2);
  CHECK(ds.volumes[0].image_channels == 2);
  CHECK(ds.volumes[0].more_images.size() == 1);
  REQUIRE(ds.cases.size() == 4);
  const Sample s = load_case(ds.cases[1]);  // A, slice 2
  CHECK(s.channels() == 2);
  CHECK(s.image.px == expected_slice(raw, "all", 2, 0).px);
  CHECK(s.more_channels[0].px == expected_slice(raw, "all", 2, 1).px);
  CHECK(s.image.px != s.more_channels[0].px);

  const CheckReport rep = check_dataset(ds);
  CHECK(rep.errors() == 0);
  REQUIRE(rep.volumes.size() == 2);
  CHECK(rep.volumes[0].channels == "2");
  CHECK(contains(rep.volume_table(), "channels"));
  CHECK(contains(rep.summary(ds), "input channels: 2 (every channel of the images)"));

  // The subtraction image and a chosen channel.
  VolumeOptions vo;
  vo.channels = "1-0,0";
  const Dataset sub = scan_dataset(dir.path().string(), vo);
  CHECK(sub.channels == 2);
  const Sample t = load_case(sub.cases[1]);
  CHECK(t.image.px == expected_slice(raw, "1-0,0", 2, 0).px);
  CHECK(t.more_channels[0].px == expected_slice(raw, "1-0,0", 2, 1).px);
  CHECK(check_dataset(sub).volumes[0].channels == "2 (1-0,0 of 2)");
  vo.channels = "1";
  const Dataset one = scan_dataset(dir.path().string(), vo);
  CHECK(one.channels == 1);
  CHECK(load_case(one.cases[0]).channels() == 1);
  CHECK(load_case(one.cases[1]).image.px == expected_slice(raw, "1", 2, 0).px);
  vo.channels = "2";
  const Dataset missing = scan_dataset(dir.path().string(), vo);
  CHECK(missing.cases.empty());
  CHECK(has_problem(missing.problems, "--channels 2 needs channel 2, but the image has 2 channels (0-1)"));
  vo.channels = "x";
  CHECK(contains(error_of([&] { scan_dataset(dir.path().string(), vo); }), "--channels x: 'x' is not a channel"));

  // A case without its second channel file is an error naming it.
  fs::remove(dir.path() / "imagesTr/B_0001.nii.gz");
  const Dataset gap = scan_dataset(dir.path().string());
  CHECK(has_problem(gap.problems, "missing channel file(s) B_0001.nii.gz (dataset.json names 2 channels)"));
  CHECK(gap.volumes.size() == 1);
}

TEST_CASE("a 4-D NIfTI's fourth axis and a manifest row of several files are channels; counts must agree") {
  fbd::test::TempDir dir;
  const Volume four_d = channel_volume(5, 6, 4, 3);
  write_volume(dir.path() / "a/dce.nii.gz", four_d);
  write_volume(dir.path() / "a/seg.nii.gz", box_mask(four_d));
  const Volume pre = channel_volume(5, 6, 4, 1, 0), post = channel_volume(5, 6, 4, 2, 1);
  write_volume(dir.path() / "b/pre.nii.gz", pre);
  write_volume(dir.path() / "b/post.nii.gz", post);  // a 4-D file of two post-contrast phases
  write_volume(dir.path() / "b/seg.nii.gz", box_mask(pre));
  write_text(dir.path() / "manifest.csv",
             "image,mask,patient,label\n"
             "a/dce.nii.gz,a/seg.nii.gz,PA,benign\n"
             "b/pre.nii.gz; b/post.nii.gz,b/seg.nii.gz,PB,malignant\n");
  VolumeOptions vo;
  vo.channels = "2-0,1";
  const Dataset ds = scan_dataset(dir.path().string(), vo);
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());
  REQUIRE(ds.volumes.size() == 2);
  CHECK(ds.channels == 2);
  CHECK(ds.volumes[1].image_channels == 3);
  CHECK(ds.volumes[1].more_images == std::vector<std::string>{(dir.path() / "b/post.nii.gz").string()});
  // Both give the same raw channels, so the same samples.
  const Sample a = load_case(ds.cases[0]), b = load_case(ds.cases[2]);
  CHECK(a.image.px == expected_slice(four_d, "2-0,1", 1, 0).px);
  CHECK(a.image.px == b.image.px);
  CHECK(a.more_channels[0].px == b.more_channels[0].px);

  // All channels: 3 for each; a volume of 1 channel beside them is an error naming both.
  write_volume(dir.path() / "c/t1.nii.gz", pre);
  write_volume(dir.path() / "c/seg.nii.gz", box_mask(pre));
  std::ofstream(dir.path() / "manifest.csv", std::ios::app) << "c/t1.nii.gz,c/seg.nii.gz,PC,benign\n";
  const Dataset mixed = scan_dataset(dir.path().string());
  CHECK(mixed.channels == 3);
  CHECK(has_problem(mixed.problems, "t1.nii.gz: gives 1 input channel(s) but"));
  CHECK(has_problem(mixed.problems, "every volume of a data set must have the same channels"));

  // A channel file off the first one's grid, and one that does not exist.
  Volume moved = post;
  moved.affine.m[0][3] += 2.0;
  set_space_from_affine(moved);
  write_volume(dir.path() / "b/post.nii.gz", moved);
  const std::string e = error_of([&] {
    read_volume_channels({(dir.path() / "b/pre.nii.gz").string(), (dir.path() / "b/post.nii.gz").string()});
  });
  CHECK(contains(e, "post.nii.gz: channel file's affine differs from the first channel's"));
  CHECK(has_problem(scan_dataset(dir.path().string(), vo).problems, "channel file's affine differs"));
  write_text(dir.path() / "manifest.csv", "image,mask,patient,label\nb/pre.nii.gz;b/gone.nii.gz,b/seg.nii.gz,PB,\n");
  CHECK(has_problem(scan_dataset(dir.path().string()).problems, "image channel file"));
}

TEST_CASE("2-D images are one channel: --channels 0 or all, anything else an error") {
  fbd::test::TempDir dir;
  PhantomOptions o;
  o.patients = 2;
  o.slices = 1;
  o.size = 48;
  o.threads = 1;
  write_phantom(dir.path().string(), o);
  VolumeOptions vo;
  vo.channels = "0";
  const Dataset ds = scan_dataset(dir.path().string(), vo);
  CHECK(ds.channels == 1);
  CHECK(!has_problem(ds.problems, "--channels"));
  for (const char* spec : {"1", "0,0"}) {
    vo.channels = spec;
    CHECK_MESSAGE(has_problem(scan_dataset(dir.path().string(), vo).problems, "--channels"), spec);
  }
  write_text(dir.path() / "manifest.csv",
             "image,mask,patient,label\nimages/P000_S00.png;images/P001_S00.png,"
             "masks/P000_S00.png,P000,\n");
  CHECK(has_problem(scan_dataset(dir.path().string()).problems, "only a volume's channels can be"));
}

TEST_CASE("the channels move together through the augmentations and the loader stacks them as (N, C, H, W)") {
  std::vector<Sample> samples;
  for (int i = 0; i < 3; ++i) {
    Sample s;
    s.id = fbd::detail::concat("s", i);
    s.image = Image(16, 16);
    s.mask = Image(16, 16);
    s.more_channels = {Image(16, 16), Image(16, 16)};
    for (int64_t y = 0; y < 16; ++y)
      for (int64_t x = 0; x < 16; ++x) {
        s.image.at(y, x) = float(x) / 16.0f;
        s.more_channels[0].at(y, x) = float(y) / 16.0f;
        s.more_channels[1].at(y, x) = float(i);
        s.mask.at(y, x) = x < 4 ? 1.0f : 0.0f;
      }
    samples.push_back(std::move(s));
  }
  // A flip moves every channel and the mask alike.
  Sample f = samples[0];
  flip(f, true);
  CHECK(f.image.at(3, 0) == samples[0].image.at(3, 15));
  CHECK(f.more_channels[0].at(3, 0) == samples[0].more_channels[0].at(3, 15));
  CHECK(f.mask.at(3, 15) == 1.0f);
  resize(f, 8, 8);
  CHECK(f.more_channels[1].height == 8);
  // An intensity step treats each channel on its own: every channel comes out with mean 0.
  const AugmentPipeline z =
      AugmentPipeline::from_json_text(R"({"steps": [{"op": "normalize", "mode": "zscore"}]})", "t");
  Sample n = samples[1];
  z.apply(n, 1);
  for (int64_t c = 0; c < n.channels(); ++c) {
    double sum = 0;
    for (float v : channel(n, c).px) sum += v;
    CHECK(std::abs(sum / 256.0) < 1e-5);
  }

  LoaderOptions lo;
  lo.batch_size = 2;
  lo.workers = 1;
  lo.shuffle = false;
  DataLoader dl(std::make_shared<MemorySource>(samples), AugmentPipeline(), lo);
  dl.start_epoch(0);
  Batch b;
  REQUIRE(dl.next(b));
  CHECK(b.image.shape() == Shape{2, 3, 16, 16});
  CHECK(b.mask.shape() == Shape{2, 1, 16, 16});
  const std::vector<float> px = b.image.to_vector<float>(), m = b.mask.to_vector<float>();
  const size_t plane = 256;
  CHECK(px[0 * plane + 5] == samples[0].image.px[5]);
  CHECK(px[1 * plane + 17] == samples[0].more_channels[0].px[17]);
  CHECK(px[2 * plane] == 0.0f);  // sample 0's third channel
  CHECK(px[5 * plane] == 1.0f);  // sample 1's third channel
  CHECK(m[3] == 1.0f);
  CHECK(m[plane + 5] == 0.0f);
  REQUIRE(dl.next(b));
  CHECK(b.image.shape() == Shape{1, 3, 16, 16});

  // A sample with other channels than its batch's first is an error naming it.
  samples[1].more_channels.pop_back();
  DataLoader bad(std::make_shared<MemorySource>(samples), AugmentPipeline(), lo);
  bad.start_epoch(0);
  CHECK(contains(error_of([&] { bad.next(b); }), "sample 's1' has 2 channels but the batch's first sample 's0' has 3"));
}

TEST_CASE("fbd synth --phases: pre-contrast and post-contrast channels with the lesion's kinetics") {
  fbd::test::TempDir one_dir, dce_dir;
  PhantomOptions o;
  o.patients = 2;
  o.malignant_fraction = 0.5;
  o.slices = 2;
  o.size = 64;
  o.threads = 1;
  o.format = "nifti";
  write_phantom(one_dir.path().string(), o);
  o.phases = 3;
  write_phantom(dce_dir.path().string(), o);
  const Dataset ds = scan_dataset(dce_dir.path().string());
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());
  CHECK(ds.channels == 3);
  CHECK(fs::exists(dce_dir.path() / "imagesTr/P000_0002.nii.gz"));
  fs::remove(dce_dir.path() / "manifest.csv");
  CHECK(scan_dataset(dce_dir.path().string()).channels == 3);  // the nnU-Net layout alone, too

  for (int patient = 0; patient < 2; ++patient) {
    const std::vector<PhantomSlice> one = [&] {
      PhantomOptions p = o;
      p.phases = 1;
      return synth_patient(p, patient);
    }();
    const std::vector<PhantomSlice> dce = synth_patient(o, patient);
    const bool malignant = dce[0].label == Label::Malignant;
    REQUIRE(dce[0].phases.size() == 3);
    // The peak phase is the one-phase scan exactly; the slice's image is that phase.
    CHECK(dce[0].phases[malignant ? 1 : 2].px == one[0].image.px);
    CHECK(dce[0].image.px == one[0].image.px);
    CHECK(dce[0].mask.px == one[0].mask.px);
    // Mean lesion intensity per phase, and of the tissue outside it.
    double lesion[3] = {0, 0, 0}, tissue[3] = {0, 0, 0};
    double nl = 0, nt = 0;
    for (const PhantomSlice& sl : dce)
      for (size_t i = 0; i < sl.mask.px.size(); ++i) {
        const bool in = sl.mask.px[i] != 0.0f;
        (in ? nl : nt) += 1;
        for (int ph = 0; ph < 3; ++ph) (in ? lesion : tissue)[ph] += sl.phases[size_t(ph)].px[i];
      }
    for (int ph = 0; ph < 3; ++ph) lesion[ph] /= nl, tissue[ph] /= nt;
    CHECK(lesion[0] < lesion[1] - 0.05);            // contrast uptake
    CHECK(std::abs(tissue[0] - tissue[1]) < 0.01);  // the rest does not enhance
    if (malignant)
      CHECK(lesion[2] < lesion[1] - 0.01);  // washout
    else
      CHECK(lesion[2] > lesion[1] + 0.01);  // persistent
  }
  o.format = "png";
  CHECK(contains(error_of([&] { check_phantom_options(o); }), "--phases 3 needs --format nifti"));
}
