#include "apps/cli/train_flags.h"

#include <algorithm>
#include <filesystem>

#include "apps/nets/net_registry.h"
#include "data/channels.h"

namespace fbd::app {

namespace {

// "default (the network's own: fbdnet fbd, unet bce, ...) or dice, focal, ...".
std::string loss_help() {
  std::string own;
  for (const NetInfo& n : net_registry()) own += std::string(own.empty() ? "" : ", ") + n.name + " " + n.default_loss;
  return "default (the network's own loss: " + own + ") or " + join_names(training_loss_names()) +
         " (fbd loss --list describes them)";
}

}  // namespace

std::string networks_help() {
  std::string s = "Networks (--net): what each is, the paper it follows, and its loss when --loss is not given:\n";
  for (const NetInfo& n : net_registry()) {
    std::string name = n.name;
    name.resize(std::max<size_t>(name.size() + 1, 11), ' ');
    s += "  " + name + n.description + "\n  " + std::string(name.size(), ' ') + n.source + "; loss " + n.default_loss +
         "\n";
  }
  return s;
}

void add_train_flags(CLI::App* cmd, const std::shared_ptr<TrainFlags>& f, bool with_net_and_loss) {
  RunConfig& c = f->c;
  if (with_net_and_loss) {
    cmd->add_option("--net", c.net.net, net_name_list() + " (listed below)")->capture_default_str();
    cmd->add_option("--loss", f->loss, loss_help())->capture_default_str();
    cmd->footer(networks_help());
  }
  cmd->add_option("--weights", f->weights, "Focal Boundary Dice weights: Dice,focal,boundary")->capture_default_str();
  cmd->add_option("--alpha", c.loss.alpha, "focal terms' class weight of tumour pixels (negative: none)")
      ->capture_default_str();
  cmd->add_option("--gamma", c.loss.gamma, "focal terms' focusing exponent (0: the alpha-weighted BCE)")
      ->capture_default_str();
  cmd->add_option("--boundary-ramp", c.loss.boundary_ramp,
                  "epochs over which the boundary weight rises linearly to its value (0: full from the start)")
      ->capture_default_str();
  cmd->add_option("--distance", c.loss.distance,
                  "boundary terms' signed distances: pixels, or normalized (each image's divided by its largest)")
      ->capture_default_str();
  cmd->add_option("--side-weight", c.loss.side_weight,
                  "weight of the auxiliary side outputs' losses beside the prediction's (1: the paper's sum)")
      ->capture_default_str();
  cmd->add_option("--beta", c.loss.beta, "shape-aware: compactness weight")->capture_default_str();
  cmd->add_option("--eta", c.loss.eta, "shape-aware: smoothness weight")->capture_default_str();
  cmd->add_option("--epochs", c.epochs, "training epochs")->capture_default_str();
  cmd->add_option("--batch", c.batch, "batch size")->capture_default_str();
  cmd->add_option("--size", c.size, "network input size (quadrants are resized to it; multiple of 16)")
      ->capture_default_str();
  cmd->add_option("--lr", f->lr,
                  "peak learning rate, cosine schedule (default: the network's own, 0.002; pix2pix 0.0002)");
  cmd->add_option("--weight-decay", c.weight_decay, "AdamW's decoupled weight decay (pix2pix: none)")
      ->capture_default_str();
  cmd->add_option("--width", c.net.width, "channels of the first stage")->capture_default_str();
  cmd->add_option("--blocks", c.net.blocks, "blocks per fbdnet stage (each two 3x3 convolutions)")
      ->capture_default_str();
  cmd->add_option("--bam-stage", c.net.bam_stage,
                  "fbdnet: stage feeding the boundary attention module, 1 or 2 (0: no module and no edge loss)")
      ->capture_default_str();
  cmd->add_option("--fusion", c.net.fusion, "fbdnet prediction: finest or mean of the side outputs")
      ->capture_default_str();
  cmd->add_option("--head", c.net.head,
                  "fbdnet prediction head: full (global head on layer 1, full resolution) or half (the finest "
                  "side output, made at half resolution)")
      ->capture_default_str();
  cmd->add_option("--top-down", c.net.top_down,
                  "fbdnet: finest stage of the top-down path, 3 (stages 3-5, the paper's figure) or 2 (stage 2's "
                  "features join the finest side output)")
      ->capture_default_str();
  cmd->add_option("--downsample", c.net.downsample,
                  "fbdnet: into stages 2-5, stride (the first residual block's stride 2) or maxpool (2x2 max pooling)")
      ->capture_default_str();
  cmd->add_option("--block", c.net.block,
                  "fbdnet encoder blocks: residual (ResNet's basic block, identity shortcut) or plain (two 3x3 "
                  "convolutions, no shortcut, a U-Net's level)")
      ->capture_default_str();
  cmd->add_option("--stem", c.net.stem,
                  "fbdnet: conv (a 3x3 convolution before stage 1) or none (stage 1 reads the image, U-Net's way)")
      ->capture_default_str();
  cmd->add_option("--stage5-width", c.net.stage5_width,
                  "fbdnet: stage 5's channels as a multiple of --width, 8 (stage 4's) or 16 (U-Net's)")
      ->capture_default_str();
  cmd->add_option("--decoder", c.net.decoder,
                  "fbdnet decoder: fpn (1x1 laterals summed top-down, sides fused at stage 2) or unet (two 3x3 "
                  "convolutions per stage over the upsampled coarser level and the stage's features)")
      ->capture_default_str();
  cmd->add_option("--upsample", c.net.upsample,
                  "fbdnet's unet decoder: bilinear, or transposed (a learned 2x2 transposed convolution to the "
                  "stage's width, U-Net's way)")
      ->capture_default_str();
  cmd->add_option("--device", c.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--seed", c.seed, "seed for weights, split, order and augmentation")->capture_default_str();
  cmd->add_option("--workers", c.workers, "data loader threads")->capture_default_str();
  cmd->add_option("--augment", c.augment, "default, none, or an augmentation pipeline JSON file")
      ->capture_default_str();
  cmd->add_flag("--no-quadrants{false}", c.quadrants, "train on whole slices instead of the tumour quadrants");
  cmd->add_flag("--all-quadrants", c.all_quadrants,
                "train on all four quadrants of each slice, the tumour-free ones too (the paper: those with tumour)");
  cmd->add_option("--slice-axis", f->slice_axis,
                  "volumes: the voxel axis to slice along, i, j or k (auto: the one of largest spacing)")
      ->capture_default_str();
  cmd->add_option("--mask-label", c.volume.mask_label,
                  "volumes: 0 = masks hold 0 and 1; K = voxels labelled K are the tumour, every other label "
                  "background")
      ->capture_default_str();
  cmd->add_option("--channels", c.volume.channels,
                  "volumes: the input channels, all or a list of N (channel N: nnU-Net's _000N, or the 4th axis) "
                  "and N-M (channel N minus channel M, e.g. 1-0: the subtraction image)")
      ->capture_default_str();
  cmd->add_option("--test-fraction", c.test_fraction,
                  "fraction of patients held out, to the nearest patient (the paper's: 0.667, 20 of 30)")
      ->capture_default_str();
  cmd->add_option("--split", c.split,
                  "split file: JSON {\"train_patients\": [...], \"test_patients\": [...]} (replaces --test-fraction)");
  cmd->add_option("--preset", c.preset,
                  "paper: the paper's stated settings (100 epochs, 10 training and 20 test patients, Dice/focal/"
                  "boundary weights 0.5,0.3,0.2, quadrants, its augmentations; crossval: k = 3,6,9 over images); "
                  "flags given on the command line win");
  f->cmd = cmd;
}

bool flag_given(const TrainFlags& f, const std::string& flag) { return f.cmd && f.cmd->count(flag) > 0; }

RunConfig finish_train_flags(const TrainFlags& f) {
  RunConfig c = f.c;
  c.volume.slice_axis = data::parse_slice_axis(f.slice_axis);
  c.volume.channels = data::channels_text(data::parse_channels(c.volume.channels));  // one spelling in config.json
  // The paper's stated settings. The network (fbdnet), its loss (fbd), the weights 0.5,0.3,0.2,
  // quadrant division and the augmentation list are fbd's defaults already; the preset sets
  // the two that are not: 100 epochs and the 10/20 patient split.
  if (c.preset == "paper") {
    if (!flag_given(f, "--epochs")) c.epochs = kPaperEpochs;
    if (!flag_given(f, "--test-fraction")) c.test_fraction = kPaperTestFraction;
  }
  FBD_CHECK(c.split.empty() || !flag_given(f, "--test-fraction"),
            "--split and --test-fraction are two ways to choose the test patients: give one");
  if (!c.split.empty()) {
    FBD_CHECK(std::filesystem::is_regular_file(c.split), "--split: no such file: ", c.split);
    c.split = std::filesystem::absolute(c.split).string();
  }
  // The fpn decoder upsamples bilinearly: --decoder fpn alone gives it that, not the unet
  // decoder's default transposed convolutions (which it refuses).
  if (c.net.decoder == "fpn" && !flag_given(f, "--upsample")) c.net.upsample = "bilinear";
  c.loss.name = f.loss == "default" ? find_net(c.net.net).default_loss : f.loss;
  c.lr = f.lr != 0 ? f.lr : find_net(c.net.net).default_lr;  // a negative --lr is refused below
  c.loss.weights = parse_float_list(f.weights, "--weights");
  check_run_config(c);
  return c;
}

}  // namespace fbd::app
