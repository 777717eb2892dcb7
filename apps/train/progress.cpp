#include "apps/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace fbd::app {

Progress::Progress(std::string label, int64_t total, std::string unit, double log_every_s)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      log_every_s_(log_every_s),
      tty_(::isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

std::string Progress::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = std::lround(s);
  if (t < 60)
    std::snprintf(buf, sizeof(buf), "%lds", t);
  else if (t < 3600)
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  return buf;
}

void Progress::update(int64_t done, const std::string& message) {
  done_ = std::min(done, total_);
  message_ = message;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_ ? since >= 0.1 : since >= log_every_s_) {
    last_print_ = now;
    draw(false);
  }
}

void Progress::finish(const std::string& message) {
  if (finished_) return;
  finished_ = true;
  done_ = total_;
  if (!message.empty()) message_ = message;
  draw(true);
}

void Progress::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done_) / rate : NAN;
  const int width = 24, filled = int(width * done_ / total_);
  std::string bar(size_t(filled), '#');
  bar.append(size_t(width - filled), '.');
  char head[256];
  std::snprintf(head, sizeof(head), "%s [%s] %lld/%lld %.1f %s/s %s %s", label_.c_str(), bar.c_str(),
                static_cast<long long>(done_), static_cast<long long>(total_), rate, unit_.c_str(),
                final ? "in" : "ETA", format_duration(final ? elapsed : eta).c_str());
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s  %s%s", head, message_.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s  %s\n", head, message_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace fbd::app
