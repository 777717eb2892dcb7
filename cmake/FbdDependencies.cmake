# Third-party libraries, all from Debian packages (scripts/install-deps.sh installs them):
#   doctest-dev, libbenchmark-dev, libstb-dev, libopenblas-dev, nlohmann-json3-dev, libcli11-dev
# Everything is found by plain find_path / find_library, so the same packages unpacked into a
# prefix (dpkg -x, as scripts/gpu-check.sh does on a machine without apt) work through
# CMAKE_PREFIX_PATH.
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)

# A header-only library as an INTERFACE target; a missing one is a configure error naming the
# Debian package, not a compile error deep in a source file.
function(fbd_header_library target header package)
  find_path(${target}_INCLUDE_DIR ${header})
  if(NOT ${target}_INCLUDE_DIR)
    message(FATAL_ERROR "fbd: ${header} not found: install the Debian package ${package} (scripts/install-deps.sh)")
  endif()
  add_library(${target} INTERFACE)
  target_include_directories(${target} SYSTEM INTERFACE ${${target}_INCLUDE_DIR})
endfunction()

fbd_header_library(fbd_json nlohmann/json.hpp nlohmann-json3-dev)
fbd_header_library(fbd_cli11 CLI/CLI.hpp libcli11-dev)
if(FBD_BUILD_TESTS)
  fbd_header_library(fbd_doctest doctest/doctest.h doctest-dev)
endif()

# OpenBLAS for CPU GEMM, through its cblas interface. Debian keeps it in a multiarch
# subfolder (openblas-pthread) behind an alternatives symlink; look there directly.
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas-pthread openblas)
find_library(OPENBLAS_LIBRARY NAMES openblas PATH_SUFFIXES openblas-pthread openblas)
if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY)
  message(FATAL_ERROR "fbd: OpenBLAS not found: install the Debian package libopenblas-dev (scripts/install-deps.sh)")
endif()
add_library(fbd_openblas INTERFACE)
target_include_directories(fbd_openblas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(fbd_openblas INTERFACE ${OPENBLAS_LIBRARY})

if(FBD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# oneDNN, optional: the CPU convolution backend PyTorch itself uses (layers/conv_onednn.h). Off
# in sanitizer builds: its JIT code is not instrumented, and CI's ASan build stays small.
set(FBD_WITH_ONEDNN OFF)
if(NOT FBD_ONEDNN STREQUAL "OFF" AND NOT FBD_SANITIZE)
  # Found by path, not through Debian's dnnl-config.cmake, which asks for OpenCL's headers.
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(DNNL_LIBRARY dnnl)
  if(DNNL_INCLUDE_DIR AND DNNL_LIBRARY)
    set(FBD_WITH_ONEDNN ON)
    add_library(fbd_onednn INTERFACE)
    target_include_directories(fbd_onednn SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})
    target_link_libraries(fbd_onednn INTERFACE ${DNNL_LIBRARY})
  elseif(FBD_ONEDNN STREQUAL "ON")
    message(FATAL_ERROR "fbd: FBD_ONEDNN=ON but oneDNN was not found: install the Debian package libdnnl-dev")
  endif()
elseif(FBD_ONEDNN STREQUAL "ON")
  message(FATAL_ERROR "fbd: FBD_ONEDNN=ON cannot be combined with FBD_SANITIZE")
endif()
