#include "core/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/cuda_context.h"

#if FBD_WITH_CUDA
#include <nvtx3/nvToolsExt.h>
#endif

namespace fbd::profiler {

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, OpStats> table;
};

Registry& registry() {
  static Registry* r = new Registry;  // leaked: used from an atexit handler
  return *r;
}

void print_at_exit() {
  if (registry().table.empty()) return;
  std::ostringstream os;
  print_table(os);
  std::fputs(os.str().c_str(), stderr);
}

bool read_env() {
  const char* v = std::getenv("FBD_PROFILE");
  const bool on = v != nullptr && v[0] != '\0' && v[0] != '0';
  if (on) std::atexit(print_at_exit);
  return on;
}

bool g_enabled = read_env();
bool g_atexit_registered = g_enabled;

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool enabled() { return g_enabled; }

void set_enabled(bool on) {
  g_enabled = on;
  if (on && !g_atexit_registered) {
    std::atexit(print_at_exit);
    g_atexit_registered = true;
  }
}

Scope::Scope(const char* op, Device device, bool backward)
    : op_(op), device_(device), backward_(backward), timed_(g_enabled) {
#if FBD_WITH_CUDA
  if (backward_) {
    const std::string name = std::string(op_) + ".backward";
    nvtxRangePushA(name.c_str());
  } else {
    nvtxRangePushA(op_);
  }
#endif
  if (timed_) {
    if (device_.is_cuda()) cuda::synchronize(device_.index);
    start_ns_ = now_ns();
  }
}

Scope::~Scope() {
  if (timed_) {
    try {
      if (device_.is_cuda()) cuda::synchronize(device_.index);
    } catch (...) {
      // a failed op reports its own error; the profiler must not throw from a destructor
    }
    const double ms = double(now_ns() - start_ns_) * 1e-6;
    const std::string key = backward_ ? std::string(op_) + ".backward" : std::string(op_);
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    OpStats& s = r.table[key];
    s.op = key;
    ++s.calls;
    s.total_ms += ms;
    s.bytes += double(bytes_);
  }
#if FBD_WITH_CUDA
  nvtxRangePop();
#endif
}

std::vector<OpStats> snapshot() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<OpStats> rows;
  for (auto& [k, v] : r.table) rows.push_back(v);
  std::sort(rows.begin(), rows.end(), [](const OpStats& a, const OpStats& b) { return a.total_ms > b.total_ms; });
  return rows;
}

void reset() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.table.clear();
}

void print_table(std::ostream& os) {
  const std::vector<OpStats> rows = snapshot();
  os << "\nfbd profile (FBD_PROFILE=1; inclusive times, GPU ops synchronised)\n";
  os << std::left << std::setw(28) << "op" << std::right << std::setw(10) << "calls" << std::setw(14) << "total ms"
     << std::setw(12) << "mean us" << std::setw(14) << "MB moved" << std::setw(10) << "GB/s"
     << "\n";
  for (const OpStats& s : rows) {
    const double gbs = s.total_ms > 0 ? s.bytes / (s.total_ms * 1e-3) / 1e9 : 0.0;
    os << std::left << std::setw(28) << s.op << std::right << std::setw(10) << s.calls << std::setw(14) << std::fixed
       << std::setprecision(3) << s.total_ms << std::setw(12) << std::setprecision(1)
       << (s.total_ms * 1e3 / double(std::max(1LL, s.calls))) << std::setw(14) << std::setprecision(2) << s.bytes / 1e6
       << std::setw(10) << std::setprecision(1) << gbs << "\n";
  }
}

}  // namespace fbd::profiler
