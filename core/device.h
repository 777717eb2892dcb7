// Devices: the CPU, or CUDA GPU number `index`. `auto` picks a usable GPU and otherwise the
// CPU, and says which; asking for CUDA where none is usable is a one-line fbd::Error.
#pragma once
#include <string>

namespace fbd {

enum class DeviceType : unsigned char { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;  // "cpu", "cuda:0"
  friend bool operator==(const Device&, const Device&) = default;
};

// True when this build has the CUDA backend and a GPU it can run kernels on (the check
// launches a kernel once, so a GPU too old for the compiled architectures counts as unusable).
// On false, *why (if given) says why in one line.
bool cuda_usable(std::string* why = nullptr);

// Parses "auto", "cpu", "cuda" or "cuda:N". With `note`, a line saying what auto chose.
// Throws fbd::Error for an unknown name or for CUDA where none is usable.
Device resolve_device(const std::string& spec, std::string* note = nullptr);

// Human-readable description of the build and the GPU (for `fbd info` and logs).
std::string describe_build();

}  // namespace fbd
