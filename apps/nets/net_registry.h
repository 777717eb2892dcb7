// The segmentation networks by name: one row per network (its --net name, what it is, the paper
// it follows, its factory). `fbd train --net`, `fbd compare --nets`, the help texts and the
// errors for unknown names read this table. Adding a network: its file in apps/nets/ (a
// SegNet), its factory declared below, one row in net_registry.cpp, a test in tests/apps/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"

namespace fbd::app {

using NetFactory = std::shared_ptr<SegNet> (*)(const NetConfig& c, Generator& gen);

struct NetInfo {
  const char* name;         // --net NAME
  const char* description;  // one line for help texts and reports
  const char* source;       // the paper it follows
  NetFactory make;
  // The training loss its paper used, or the nearest of the registry's: `--loss` when none is
  // given (losses/loss_registry.h; the run's config.json records it by name).
  const char* default_loss = "fbd";
  // Its peak learning rate when `--lr` is not given: fbd's 2e-3 (AdamW, warm-up and cosine),
  // pix2pix's paper's 2e-4 (its two Adams with beta1 0.5 are unstable at 2e-3).
  double default_lr = 2e-3;
};

const std::vector<NetInfo>& net_registry();
const std::vector<std::string>& net_names();  // in registry order
// The row of `name`; an unknown name is a one-line error listing the registry.
const NetInfo& find_net(const std::string& name);
// "fbdnet, unet or attunet": the names for help texts.
std::string net_name_list();

// "no boundary attention" or "boundary attention on stage N": fbdnet's --bam-stage in words,
// as the run report and `fbd ablate` print it.
std::string boundary_attention_text(int bam_stage);

// One-line errors for unknown names and out-of-range sizes.
void check_net_config(const NetConfig& c);
// Checks `c` and builds its network with weights drawn from `gen`.
std::shared_ptr<SegNet> make_net(const NetConfig& c, Generator& gen);
// A one-line error, naming `net`, unless x is [N, in_channels, H, W] with H and W multiples of 16.
void check_net_input(const char* net, const Tensor& x, int64_t in_channels);

// The factories (each in its network's file).
std::shared_ptr<SegNet> make_fbdnet(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_unet(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_attunet(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_resunet(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_denseunet(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_vnet2d(const NetConfig& c, Generator& gen);
std::shared_ptr<SegNet> make_pix2pix(const NetConfig& c, Generator& gen);  // apps/nets/pix2pix.h

}  // namespace fbd::app
