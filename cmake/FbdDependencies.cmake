# Third-party libraries, all from Debian packages (scripts/install-deps.sh installs them):
#   doctest-dev, libbenchmark-dev, libstb-dev, libopenblas-dev, nlohmann-json3-dev, libcli11-dev
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(PkgConfig REQUIRED)

# OpenBLAS for CPU GEMM (cblas interface).
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)

# Header-only libraries: check they are there so a missing package is a configure error
# that names the package, not a compile error deep in a source file.
function(fbd_require_header header package)
  find_path(_fbd_found_${package} ${header})
  if(NOT _fbd_found_${package})
    message(FATAL_ERROR "fbd: ${header} not found: install the Debian package ${package} (scripts/install-deps.sh)")
  endif()
endfunction()
fbd_require_header(nlohmann/json.hpp nlohmann-json3-dev)
fbd_require_header(CLI/CLI.hpp libcli11-dev)
if(FBD_BUILD_TESTS)
  fbd_require_header(doctest/doctest.h doctest-dev)
endif()
if(FBD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
