#include "core/file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/error.h"

namespace fbd {

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  FBD_CHECK(in.good(), path, ": cannot open (", std::strerror(errno), ")");
  const std::streamsize size = in.tellg();
  FBD_CHECK(size >= 0, path, ": cannot read its size");
  std::vector<char> bytes(static_cast<size_t>(size));
  in.seekg(0);
  FBD_CHECK(in.read(bytes.data(), size).good() || size == 0, path, ": read failed");
  return bytes;
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      FBD_CHECK(out.good(), path, ": cannot create (", std::strerror(errno), ")");
      write(out);
      out.flush();
      FBD_CHECK(out.good(), path, ": write failed (disk full?)");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    FBD_CHECK(!ec, path, ": cannot rename the temporary file into place (", ec.message(), ")");
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

}  // namespace fbd
