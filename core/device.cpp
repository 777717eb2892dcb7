#include "core/device.h"

#include <cstdlib>

#include "core/cuda_context.h"
#include "core/error.h"

namespace fbd {

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

Device resolve_device(const std::string& spec, std::string* note) {
  if (spec == "cpu") return Device::cpu();
  if (spec == "auto") {
    std::string why;
    if (cuda_usable(&why)) {
      if (note) *note = "device auto -> cuda:0 (" + cuda::device_name(0) + ")";
      return Device::cuda(0);
    }
    if (note) *note = "device auto -> cpu (no usable CUDA GPU: " + why + ")";
    return Device::cpu();
  }
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (spec.size() > 5) {
      char* end = nullptr;
      const long v = std::strtol(spec.c_str() + 5, &end, 10);
      FBD_CHECK(end != nullptr && *end == '\0' && v >= 0 && v < 16, "bad device '", spec, "': expected cuda:N");
      index = int(v);
    }
    std::string why;
    FBD_CHECK(cuda_usable(&why), "device ", spec, " requested but no usable CUDA GPU: ", why);
    return Device::cuda(index);
  }
  FBD_FAIL("unknown device '", spec, "': expected auto, cpu, cuda or cuda:N");
}

}  // namespace fbd
