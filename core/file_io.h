// Files: whole-file reads with errors that name the file, and atomic writes (to a temporary
// name in the same folder, then rename), so an interrupted run never leaves a half-written
// output behind.
#pragma once
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace fbd {

// The bytes of `path`; throws fbd::Error "<path>: <reason>" when it cannot be read.
std::vector<char> read_file(const std::string& path);

// Calls write(stream) on a temporary file beside `path`, then renames it to `path`. If
// write throws or the stream fails, the temporary file is removed and `path` is untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace fbd
