// Built-in profiling. Every op opens a Scope: an NVTX range (visible in Nsight Systems) in
// CUDA builds, and, when profiling is on (FBD_PROFILE=1 in the environment, or
// profiler::set_enabled(true)), a timed entry in a per-op table printed to stderr at exit:
// calls, total and mean time, bytes moved and the resulting GB/s.
//
// Timing a GPU op waits for the stream before and after it, so with profiling on the
// numbers are per-op device times, and the run is slower. Times are inclusive: an op that
// calls other ops (mean calls sum) counts their time too. Backward functions appear as
// "<op>.backward".
#pragma once
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/device.h"

namespace fbd::profiler {

bool enabled();
void set_enabled(bool on);

class Scope {
 public:
  Scope(const char* op, Device device, bool backward = false);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  void add_bytes(size_t bytes) { bytes_ += bytes; }

 private:
  const char* op_;
  Device device_;
  bool backward_;
  bool timed_;
  size_t bytes_ = 0;
  long long start_ns_ = 0;
};

struct OpStats {
  std::string op;
  long long calls = 0;
  double total_ms = 0.0;
  double bytes = 0.0;
};

std::vector<OpStats> snapshot();  // sorted by total time, largest first
void reset();
void print_table(std::ostream& os);

}  // namespace fbd::profiler
