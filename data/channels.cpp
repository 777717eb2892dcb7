#include "data/channels.h"

#include <cctype>

#include "core/error.h"

namespace fbd::data {

namespace {

// A whole number of at most 4 digits (nnU-Net's channel suffixes are 4 digits).
bool parse_index(const std::string& t, int64_t& out) {
  if (t.empty() || t.size() > 4) return false;
  for (char ch : t)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  out = std::stoll(t);
  return true;
}

std::string item_text(const ChannelItem& it) {
  std::string out = std::to_string(it.channel);
  if (it.minus >= 0) out.append("-").append(std::to_string(it.minus));
  return out;
}

}  // namespace

ChannelSpec parse_channels(const std::string& text) {
  ChannelSpec s;
  if (text == "all") return s;
  s.all = false;
  FBD_CHECK(!text.empty(), "--channels is empty: expected all, or channels such as 0,1 or 1-0");
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    ChannelItem it;
    const size_t dash = item.find('-');
    const bool ok = dash == std::string::npos
                        ? parse_index(item, it.channel)
                        : parse_index(item.substr(0, dash), it.channel) && parse_index(item.substr(dash + 1), it.minus);
    FBD_CHECK(ok, "--channels ", text, ": '", item,
              "' is not a channel: expected all, or a list of N (channel N) and N-M (channel N minus channel M), "
              "e.g. 0,1-0");
    FBD_CHECK(it.minus != it.channel, "--channels ", text, ": '", item, "' subtracts a channel from itself");
    s.items.push_back(it);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return s;
}

std::string channels_text(const ChannelSpec& s) {
  if (s.all) return "all";
  std::string out;
  for (const ChannelItem& it : s.items) {
    if (!out.empty()) out += ',';
    out += item_text(it);
  }
  return out;
}

std::string channel_problem(const ChannelSpec& s, int64_t available) {
  for (const ChannelItem& it : s.items)
    for (int64_t c : {it.channel, it.minus})
      if (c >= available)
        return "--channels " + channels_text(s) + " needs channel " + std::to_string(c) + ", but the image has " +
               std::to_string(available) +
               (available == 1 ? " channel (0)" : " channels (0-" + std::to_string(available - 1) + ")");
  return "";
}

int64_t output_channels(const ChannelSpec& s, int64_t available) { return s.all ? available : int64_t(s.items.size()); }

Volume select_channels(const Volume& v, const ChannelSpec& s) {
  if (s.all) return v;
  const std::string why = channel_problem(s, v.channels);
  FBD_CHECK(why.empty(), v.source, ": ", why);
  Volume out = v;
  const size_t n = size_t(v.voxels_per_channel());
  out.channels = int64_t(s.items.size());
  out.voxels.assign(n * s.items.size(), 0.0f);
  for (size_t o = 0; o < s.items.size(); ++o) {
    const ChannelItem& it = s.items[o];
    const float* a = v.voxels.data() + size_t(it.channel) * n;
    float* dst = out.voxels.data() + o * n;
    if (it.minus < 0) {
      std::copy(a, a + n, dst);
    } else {
      const float* b = v.voxels.data() + size_t(it.minus) * n;
      for (size_t i = 0; i < n; ++i) dst[i] = a[i] - b[i];
    }
  }
  return out;
}

}  // namespace fbd::data
