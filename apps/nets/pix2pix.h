// pix2pix (Isola et al., CVPR 2017) as a segmentation network: a conditional GAN whose
// generator maps an image to mask logits and whose discriminator tells (image, true mask) pairs
// from (image, generated mask) pairs, patch by patch. The trainer's GAN step
// (apps/train/trainer.cpp) trains the two networks in turn; everything else (evaluation,
// prediction, reports) sees a SegNet whose forward_seg is the generator.
//
//  * Generator: a U-Net of 4x4 stride-2 convolutions (padding 1), four down-samplings whatever
//    the input size (64 px -> a 4x4 bottleneck; 256 px -> 16x16), widths c, 2c, 4c, 8c
//    (c = --width; the paper's is 64). Encoder: conv, then LeakyReLU 0.2 -> conv -> BN (no BN
//    on the first and the innermost layer). Decoder: ReLU -> 4x4 stride-2 transposed conv ->
//    BN, dropout 0.5 on its first two layers, each output concatenated after its skip; the
//    last layer (ReLU -> transposed conv to 1 channel, with bias) gives the mask logits, where
//    the paper's image generator ends with tanh.
//  * Discriminator: the 70x70 PatchGAN on the concatenated (image, mask) pair, mask = sigmoid
//    of the generator's logits or the true 0/1 mask: C(c)-C(2c)-C(4c)-C(8c) 4x4 convolutions
//    with strides 2, 2, 2, 1, LeakyReLU 0.2, BN on all but the first, then a 4x4 convolution to
//    one channel of patch logits ([N, 1, H/8 - 2, W/8 - 2]; at least 32x32 inputs).
//  * Initialisation as the paper's code: convolution weights N(0, 0.02), batch-norm scales
//    N(1, 0.02), biases 0.
//
// The module tree holds both networks ("generator.*", with the projection head of the
// shape-aware loss, and "discriminator.*"), so a checkpoint holds both and num_parameters()
// counts both; generator().num_parameters() is the network that predicts.
#pragma once
#include <cstdint>
#include <string>

#include "apps/nets/seg_net.h"

namespace fbd::app {

// A segmentation network trained adversarially: forward_seg is the generator, discriminate()
// scores (image, mask) pairs. The trainer recognises it and runs its GAN step.
class AdversarialNet : public SegNet {
 public:
  using SegNet::SegNet;
  // Patch logits of the discriminator for images [N,C,H,W] and masks or probabilities [N,1,H,W].
  virtual Tensor discriminate(const Tensor& image, const Tensor& mask) = 0;
  // The two networks; each has its own optimizer, and together they are the whole module tree.
  virtual nn::Module& generator() = 0;
  virtual nn::Module& discriminator() = 0;
  // Restarts the generator's dropout stream at `key`; the trainer calls it before every
  // training step with a key derived from (seed, step), so a resumed run draws the same masks.
  virtual void reseed_noise(uint64_t key) = 0;
};

// Whether `net` (a registry name) is trained adversarially: its own loss ("pix2pix") and the
// GAN step apply to it, and to no other network.
bool is_adversarial_net(const std::string& net);

// The smallest input side the PatchGAN discriminator takes (three halvings, two 4x4 convs).
inline constexpr int kPatchGanMinSize = 32;

}  // namespace fbd::app
