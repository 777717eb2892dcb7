# cmake/FbdCudnn.cmake finds cuDNN where a GPU machine with only PyTorch's wheels has it:
# site-packages/nvidia/cudnn/{include,lib}, with libcudnn.so.9 and no unversioned libcudnn.so.
# The test builds such a wheel from this build's own cuDNN (symbolic links), hides the toolkit's
# (FBD_CUDNN_SEARCH=wheel), configures the whole project against it (configure only) and checks
# that the wheel's cuDNN is the one reported and that its folder is in the link's RPATH. Three
# quick probes of FbdCudnn.cmake alone follow: a namespace package (no __init__.py, so no
# __file__), no wheel at all (a configure error that says where it looked), and CUDNN_ROOT.
# Where this build has no CUDA toolkit and cuDNN, the test prints SKIPPED: and ctest lists it
# as skipped.
#
# This file is read twice: included by tests/CMakeLists.txt it registers the test; run with
# cmake -P (CMAKE_SCRIPT_MODE_FILE set) it is the test.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME build_cudnn_wheel
           COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cudnn_wheel
                   -DNVCC=${CMAKE_CUDA_COMPILER} -DCUDNN_INCLUDE=${FBD_CUDNN_INCLUDE_DIR}
                   -DCUDNN_LIBDIR=${FBD_CUDNN_LIBRARY_DIR} -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(build_cudnn_wheel PROPERTIES LABELS build SKIP_REGULAR_EXPRESSION "SKIPPED:" TIMEOUT 300)
  return()
endif()

# ---- the test (cmake -P) ---------------------------------------------------------------------
function(fail what)
  message(FATAL_ERROR "build_cudnn_wheel: ${what}")
endfunction()

if(NOT NVCC OR NOT EXISTS "${NVCC}")
  message("SKIPPED: this build has no CUDA toolkit (nvcc), so there is no cuDNN to make a wheel from")
  return()
endif()
file(GLOB _libs "${CUDNN_LIBDIR}/libcudnn*.so.9")
if(NOT EXISTS "${CUDNN_INCLUDE}/cudnn.h" OR NOT _libs)
  message("SKIPPED: no cuDNN 9 in this build (include '${CUDNN_INCLUDE}', libraries '${CUDNN_LIBDIR}')")
  return()
endif()
find_program(PYTHON3 NAMES python3)
find_program(FALSE_PROGRAM NAMES false)
if(NOT PYTHON3)
  message("SKIPPED: no python3 here to ask for the wheel")
  return()
endif()

# A wheel-shaped folder: SITE/nvidia/cudnn/include/cudnn*.h and SITE/nvidia/cudnn/lib/libcudnn*.so.9,
# links to this build's files, no unversioned libcudnn.so.
function(make_wheel site regular_package)
  set(pkg "${site}/nvidia/cudnn")
  file(MAKE_DIRECTORY "${pkg}/include" "${pkg}/lib")
  file(GLOB headers "${CUDNN_INCLUDE}/cudnn*.h")
  foreach(f ${headers} ${_libs})
    get_filename_component(name "${f}" NAME)
    set(sub lib)
    if(name MATCHES "\\.h$")
      set(sub include)
    endif()
    file(CREATE_LINK "${f}" "${pkg}/${sub}/${name}" SYMBOLIC)
  endforeach()
  if(regular_package)
    file(WRITE "${pkg}/__init__.py" "")  # nvidia/ itself stays a namespace package, as in the real wheels
  else()
    file(WRITE "${site}/nvidia/__init__.py" "")  # nvidia.cudnn is then a namespace package, no __file__
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK}")
make_wheel("${WORK}/site" TRUE)
make_wheel("${WORK}/site-ns" FALSE)
file(GLOB _unversioned "${WORK}/site/nvidia/cudnn/lib/*.so")
if(_unversioned)
  fail("the fake wheel must not hold an unversioned library: ${_unversioned}")
endif()
set(wheel_lib "${WORK}/site/nvidia/cudnn/lib")

# 1. The whole project, configured against the wheel with the toolkit's cuDNN out of the search.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=CUDNN_ROOT "PYTHONPATH=${WORK}/site"
          ${CMAKE_COMMAND} -S "${ROOT}" -B "${WORK}/build" -DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=ON
          "-DCMAKE_CUDA_COMPILER=${NVCC}" -DCMAKE_CUDA_ARCHITECTURES=90 -DFBD_CUDNN_SEARCH=wheel
          "-DFBD_PYTHON3=${PYTHON3}" -DFBD_BUILD_TESTS=OFF -DFBD_BUILD_BENCH=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  fail("configuring against the wheel failed (exit ${rc})")
endif()
string(FIND "${out}" "from the Python wheel (${PYTHON3}): ${wheel_lib}/libcudnn.so.9" at)
if(at EQUAL -1)
  fail("the configure output does not report the wheel's libcudnn.so.9")
endif()
if(NOT out MATCHES "cuDNN 9\\.[0-9]+\\.[0-9]+ from the Python wheel")
  fail("the configure output does not give the wheel's cuDNN version")
endif()
# The link lines carry the wheel's folder as an RPATH (binaries find libcudnn.so.9 without LD_LIBRARY_PATH).
file(GLOB_RECURSE link_files "${WORK}/build/build.ninja" "${WORK}/build/*/link.txt")
set(rpath_found FALSE)
foreach(f ${link_files})
  file(READ "${f}" text)
  string(FIND "${text}" "-rpath,${wheel_lib}" at)
  if(at GREATER -1)
    set(rpath_found TRUE)
  endif()
endforeach()
if(NOT rpath_found)
  fail("no link command carries -rpath,${wheel_lib} (looked in ${link_files})")
endif()

# 2. FbdCudnn.cmake alone, in a project without languages (fast): three more places.
file(WRITE "${WORK}/probe/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)\nproject(probe NONE)\n"
           "include(\"${ROOT}/cmake/FbdCudnn.cmake\")\n"
           "message(STATUS \"probe: \${FBD_CUDNN_FROM} | \${FBD_CUDNN_LIBRARY} | \${FBD_CUDNN_VERSION}\")\n")
function(probe name)  # probe NAME ENV-ASSIGNMENTS... -- CMAKE-ARGS...
  set(envs)
  set(args)
  set(target envs)
  foreach(a ${ARGN})
    if(a STREQUAL "--")
      set(target args)
    else()
      list(APPEND ${target} "${a}")
    endif()
  endforeach()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=CUDNN_ROOT ${envs} ${CMAKE_COMMAND} -S "${WORK}/probe"
                          -B "${WORK}/probe-${name}" ${args}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("--- probe ${name}: exit ${rc}\n${out}")
  set(probe_rc ${rc} PARENT_SCOPE)
  set(probe_out "${out}" PARENT_SCOPE)
endfunction()

probe(namespace "PYTHONPATH=${WORK}/site-ns" -- -DFBD_CUDNN_SEARCH=wheel "-DFBD_PYTHON3=${PYTHON3}")
if(NOT probe_rc EQUAL 0)
  fail("a namespace-package wheel (no __file__) was not found")
endif()
string(FIND "${probe_out}" "probe: the Python wheel (${PYTHON3}) | ${WORK}/site-ns/nvidia/cudnn/lib/libcudnn.so.9 |" at)
if(at EQUAL -1)
  fail("the namespace-package wheel was not the one reported")
endif()

probe(nowheel -- -DFBD_CUDNN_SEARCH=wheel "-DFBD_PYTHON3=${FALSE_PROGRAM}")
if(probe_rc EQUAL 0)
  fail("configure succeeded with no wheel and only the wheel searched")
endif()
string(FIND "${probe_out}" "cuDNN not found" at)
if(at EQUAL -1)
  fail("no 'cuDNN not found' error without a wheel")
endif()
string(FIND "${probe_out}" "the Python wheel:" at)
if(at EQUAL -1)
  fail("the error does not say the Python wheel was looked for")
endif()

probe(root "CUDNN_ROOT=${WORK}/site/nvidia/cudnn" -- -DFBD_CUDNN_SEARCH=all "-DFBD_PYTHON3=${FALSE_PROGRAM}")
if(NOT probe_rc EQUAL 0)
  fail("CUDNN_ROOT (from the environment) was not searched")
endif()
string(FIND "${probe_out}" "probe: CUDNN_ROOT (${WORK}/site/nvidia/cudnn) | ${wheel_lib}/libcudnn.so.9 |" at)
if(at EQUAL -1)
  fail("CUDNN_ROOT was not the place reported")
endif()

message("build_cudnn_wheel: the wheel's cuDNN was found and linked with an RPATH; namespace, missing-wheel and CUDNN_ROOT probes as expected")
