// Which input channels the networks see (fbd's --channels), chosen from the channels a volume
// holds: nnU-Net's CASE_0000, CASE_0001, ... files, or a 4-D NIfTI's fourth axis (breast MRI is
// dynamic contrast-enhanced: a pre-contrast phase, then post-contrast ones). Every network of fbd
// takes as many input channels as the spec gives (NetConfig::in_channels).
//
// The spec is "all" (every channel, in order: the default) or a comma-separated list of items:
//   N     channel N (0 is the first: _0000, or the first volume of the fourth axis)
//   N-M   channel N minus channel M, the subtraction image radiologists read (e.g. 1-0: the
//         first post-contrast phase minus the pre-contrast one)
// e.g. "0", "0,1,2", "1-0", "0,1-0". The difference is taken on the raw intensities (scanner
// units, after any rescale slope), and every resulting channel is then normalised on its own
// (data/volume_slices.h's normalize_volume), as a single channel is.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/volume.h"

namespace fbd::data {

struct ChannelItem {
  int64_t channel = 0;
  int64_t minus = -1;  // >= 0: subtract this channel
  friend bool operator==(const ChannelItem&, const ChannelItem&) = default;
};

struct ChannelSpec {
  bool all = true;  // every channel; `items` is empty
  std::vector<ChannelItem> items;
};

// Parses a spec; a one-line error naming --channels and the bad item otherwise.
ChannelSpec parse_channels(const std::string& text);
// The canonical text ("all", "0,1-0"): parse_channels(channels_text(s)) gives s back.
std::string channels_text(const ChannelSpec& s);

// The channels the spec gives from a volume holding `available`, or "" / a problem when it
// asks for a channel the volume does not have ("--channels 1-0 needs channel 1, but the image
// has 1 channel (0)").
int64_t output_channels(const ChannelSpec& s, int64_t available);
std::string channel_problem(const ChannelSpec& s, int64_t available);

// The spec applied to v's channels (a one-line error naming v.source for a missing channel);
// grid and placement are v's.
Volume select_channels(const Volume& v, const ChannelSpec& s);

}  // namespace fbd::data
