#include "core/error.h"

namespace fbd::detail {

void throw_error(const std::string& msg, const char* file, int line) {
#ifndef NDEBUG
  throw Error(msg + " [" + file + ":" + std::to_string(line) + "]");
#else
  (void)file;
  (void)line;
  throw Error(msg);
#endif
}

}  // namespace fbd::detail
