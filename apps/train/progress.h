// A progress line for long loops: bar, count, throughput, ETA and a caller's message
// ("loss 0.314"). On a terminal it redraws one line; in a log (stderr not a terminal) it
// prints a plain line at most every `log_every_s` seconds and at the end, so CI logs stay short.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace fbd::app {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it", double log_every_s = 10.0);
  // Marks `done` items complete (cumulative) with an optional message.
  void update(int64_t done, const std::string& message = "");
  void finish(const std::string& message = "");

  static std::string format_duration(double seconds);  // "42s", "3m05s", "1h02m"

 private:
  void draw(bool final);

  std::string label_, unit_;
  int64_t total_, done_ = 0;
  std::string message_;
  double log_every_s_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool finished_ = false;
};

}  // namespace fbd::app
