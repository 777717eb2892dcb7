#include "apps/nets/net_registry.h"

#include "core/error.h"

namespace fbd::app {

const std::vector<NetInfo>& net_registry() {
  static const std::vector<NetInfo> rows = {
      {"fbdnet",
       "the paper's network: U-Net's skeleton (or a residual encoder), boundary attention module, deep supervision",
       "Focal Boundary Dice, J. Cancer 2023 (Fig. 2)", make_fbdnet, "fbd"},
      {"unet", "U-Net with batch norm", "Ronneberger et al., MICCAI 2015", make_unet, "bce"},
      {"attunet", "Attention U-Net (additive attention gates on the skips)", "Oktay et al., MIDL 2018", make_attunet,
       "dice"},
      {"resunet", "residual U-Net: pre-activation residual units, stride-2 conv down-sampling",
       "Zhang, Liu & Wang, IEEE GRSL 2018", make_resunet, "dice"},
      {"denseunet", "U-Net of DenseNet blocks (growth width/2) with transition layers", "Li et al., IEEE TMI 2018",
       make_denseunet, "bce"},
      {"vnet2d", "V-Net in 2-d: residual stages of 5x5 convs with PReLU, strided-conv down-sampling",
       "Milletari et al., 3DV 2016", make_vnet2d, "dice"},
      {"pix2pix", "conditional GAN: U-Net generator of mask logits, 70x70 PatchGAN discriminator",
       "Isola et al., CVPR 2017", make_pix2pix, "pix2pix", 2e-4},
  };
  return rows;
}

const std::vector<std::string>& net_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const NetInfo& r : net_registry()) n.emplace_back(r.name);
    return n;
  }();
  return names;
}

std::string net_name_list() {
  const auto& names = net_names();
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + names[i];
  return s;
}

const NetInfo& find_net(const std::string& name) {
  for (const NetInfo& r : net_registry())
    if (name == r.name) return r;
  FBD_FAIL("unknown network '", name, "': expected ", net_name_list());
}

std::string boundary_attention_text(int bam_stage) {
  return bam_stage > 0 ? "boundary attention on stage " + std::to_string(bam_stage) : "no boundary attention";
}

void check_net_config(const NetConfig& c) {
  find_net(c.net);
  FBD_CHECK(c.width >= 1 && c.width <= 256, "network width must be in [1, 256], got ", c.width);
  FBD_CHECK(c.blocks >= 1 && c.blocks <= 8, "blocks per stage must be in [1, 8], got ", c.blocks);
  FBD_CHECK(c.bam_stage >= 0 && c.bam_stage <= 2, "the boundary attention module goes on stage 1 or 2 (0: none), got ",
            c.bam_stage);
  FBD_CHECK(c.fusion == "finest" || c.fusion == "mean", "unknown fusion '", c.fusion, "': expected finest or mean");
  FBD_CHECK(c.head == "full" || c.head == "half", "unknown head '", c.head, "': expected full or half");
  FBD_CHECK(c.top_down == 2 || c.top_down == 3, "the top-down path reaches stage 2 or 3, got ", c.top_down);
  FBD_CHECK(c.decoder == "fpn" || c.decoder == "unet", "unknown decoder '", c.decoder, "': expected fpn or unet");
  FBD_CHECK(c.downsample == "stride" || c.downsample == "maxpool", "unknown downsampling '", c.downsample,
            "': expected stride or maxpool");
  FBD_CHECK(c.upsample == "bilinear" || c.upsample == "transposed", "unknown upsampling '", c.upsample,
            "': expected bilinear or transposed");
  FBD_CHECK(c.upsample == "bilinear" || c.decoder == "unet",
            "--upsample transposed goes with --decoder unet (the fpn decoder's sums upsample bilinearly)");
  FBD_CHECK(c.block == "residual" || c.block == "plain", "unknown block '", c.block, "': expected residual or plain");
  FBD_CHECK(c.stem == "conv" || c.stem == "none", "unknown stem '", c.stem, "': expected conv or none");
  FBD_CHECK(c.stage5_width == 8 || c.stage5_width == 16, "stage 5's width is 8 or 16 times --width, got ",
            c.stage5_width);
  FBD_CHECK(c.decoder == "fpn" || (c.head == "full" && c.top_down == 3), "--decoder unet reads every stage and ",
            "predicts at full resolution: --head half and --top-down 2 go with --decoder fpn");
  FBD_CHECK(c.embed_dim >= 1, "embedding size must be positive");
  FBD_CHECK(c.in_channels >= 1 && c.in_channels <= 64, "input channels must be in [1, 64], got ", c.in_channels);
}

void check_net_input(const char* net, const Tensor& x, int64_t in_channels) {
  FBD_CHECK(x.defined() && x.dim() == 4 && x.size(2) % 16 == 0 && x.size(3) % 16 == 0 && x.size(2) > 0 && x.size(3) > 0,
            net, ": the input must be [N, ", in_channels, ", H, W] with H and W positive multiples of 16, got ",
            x.defined() ? shape_str(x.shape()) : std::string("(undefined)"));
  FBD_CHECK(x.size(1) == in_channels, net, ": the network was built for ", in_channels,
            " input channel(s) but the image has ", x.size(1), " (", shape_str(x.shape()),
            "): train and predict with the same --channels");
}

std::shared_ptr<SegNet> make_net(const NetConfig& c, Generator& gen) {
  check_net_config(c);
  return find_net(c.net).make(c, gen);
}

}  // namespace fbd::app
