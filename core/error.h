// Errors: every failure in fbd is an fbd::Error whose message is one line naming what failed
// (the op, the file, the call) and why. Check macros capture the file and line.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace fbd {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] void throw_error(const std::string& msg, const char* file, int line);

template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace fbd

// FBD_CHECK(cond, parts...): throws fbd::Error("parts..." ) when cond is false. The message is
// for users, so it says what is wrong in their terms; file:line is appended in debug builds.
#define FBD_CHECK(cond, ...)                                                                         \
  do {                                                                                               \
    if (!(cond)) ::fbd::detail::throw_error(::fbd::detail::concat(__VA_ARGS__), __FILE__, __LINE__); \
  } while (0)

#define FBD_FAIL(...) ::fbd::detail::throw_error(::fbd::detail::concat(__VA_ARGS__), __FILE__, __LINE__)
