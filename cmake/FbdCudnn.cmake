# cuDNN 9 for the CUDA backend: finds its headers and library, makes the INTERFACE target
# fbd_cudnn, and sets FBD_CUDNN_LIBRARY, FBD_CUDNN_INCLUDE_DIR, FBD_CUDNN_VERSION and
# FBD_CUDNN_FROM (where it was found, in words) for the configure summary.
#
# Places, tried in this order (FBD_CUDNN_SEARCH=root|toolkit|wheel|system tries one alone):
#   root:    CUDNN_ROOT (cache variable, or the environment variable): ROOT/include/cudnn.h and
#            ROOT/lib or ROOT/lib64 /libcudnn.so (or libcudnn.so.9);
#   toolkit: beside the CUDA toolkit (cuDNN's tarball copied in, or NVIDIA's packages);
#   wheel:   the Python wheel PyTorch installs (nvidia-cudnn-cu13): python3 is asked where the
#            package nvidia.cudnn lives, and its include/ and lib/ are used. A wheel has only the
#            versioned libcudnn.so.9 (no unversioned link), which is accepted;
#   system:  CMake's default search paths and CMAKE_PREFIX_PATH (a Debian libcudnn9-dev).
# -DCUDNN_INCLUDE_DIR=... -DCUDNN_LIBRARY=... (both) bypass the search.
#
# At run time: the directory of the library found goes into every binary's RPATH, because
# LD_LIBRARY_PATH on a machine with a wheel usually does not name it. cuDNN 9 opens its
# sub-libraries (libcudnn_graph.so.9, libcudnn_cnn.so.9, ...) itself, through its own RUNPATH
# ($ORIGIN, the folder libcudnn.so.9 is in), so they need no entry of ours.
set(FBD_CUDNN_SEARCH "all" CACHE STRING "Where to look for cuDNN: all, root, toolkit, wheel or system")
set_property(CACHE FBD_CUDNN_SEARCH PROPERTY STRINGS all root toolkit wheel system)
set(CUDNN_ROOT "$ENV{CUDNN_ROOT}" CACHE PATH "A cuDNN folder with include/ and lib/ (or lib64/), searched first")
find_program(FBD_PYTHON3 NAMES python3 python DOC "The Python asked for a cuDNN wheel (nvidia.cudnn)")

set(_fbd_cudnn_names libcudnn.so libcudnn.so.9)
set(_fbd_cudnn_tried)

# Looks for cudnn.h under the include candidates and libcudnn under the library candidates
# (first match wins); sets FBD_CUDNN_INCLUDE_DIR and FBD_CUDNN_LIBRARY when both exist.
macro(_fbd_cudnn_look from include_dirs lib_dirs)
  if(NOT FBD_CUDNN_LIBRARY)
    set(_inc "")
    set(_lib "")
    foreach(_d ${include_dirs})
      if(NOT _inc AND EXISTS "${_d}/cudnn.h")
        set(_inc "${_d}")
      endif()
    endforeach()
    foreach(_d ${lib_dirs})
      foreach(_n ${_fbd_cudnn_names})
        if(NOT _lib AND EXISTS "${_d}/${_n}" AND NOT IS_DIRECTORY "${_d}/${_n}")
          set(_lib "${_d}/${_n}")
        endif()
      endforeach()
    endforeach()
    if(_inc AND _lib)
      set(FBD_CUDNN_INCLUDE_DIR "${_inc}")
      set(FBD_CUDNN_LIBRARY "${_lib}")
      set(FBD_CUDNN_FROM "${from}")
    else()
      list(APPEND _fbd_cudnn_tried "${from}: cudnn.h ${_inc}, library ${_lib} (looked in ${include_dirs} and ${lib_dirs})")
    endif()
  endif()
endmacro()

function(_fbd_cudnn_wheel_dir out)
  set(${out} "" PARENT_SCOPE)
  if(NOT FBD_PYTHON3)
    return()
  endif()
  # A namespace package (no __init__.py) has no __file__; its __path__ names the folder.
  execute_process(
    COMMAND "${FBD_PYTHON3}" -c
            "import os, nvidia.cudnn as m; f = getattr(m, '__file__', None); print(os.path.dirname(f) if f else list(m.__path__)[0])"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _dir ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 60)
  if(_rc EQUAL 0 AND IS_DIRECTORY "${_dir}")
    set(${out} "${_dir}" PARENT_SCOPE)
  endif()
endfunction()

set(FBD_CUDNN_LIBRARY "")
if(CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
  set(FBD_CUDNN_INCLUDE_DIR "${CUDNN_INCLUDE_DIR}")
  set(FBD_CUDNN_LIBRARY "${CUDNN_LIBRARY}")
  set(FBD_CUDNN_FROM "CUDNN_INCLUDE_DIR and CUDNN_LIBRARY")
else()
  if(NOT FBD_CUDNN_SEARCH MATCHES "^(all|root|toolkit|wheel|system)$")
    message(FATAL_ERROR "fbd: FBD_CUDNN_SEARCH=${FBD_CUDNN_SEARCH}: must be all, root, toolkit, wheel or system")
  endif()
  if(FBD_CUDNN_SEARCH MATCHES "^(all|root)$")
    if(CUDNN_ROOT)
      _fbd_cudnn_look("CUDNN_ROOT (${CUDNN_ROOT})" "${CUDNN_ROOT}/include" "${CUDNN_ROOT}/lib64;${CUDNN_ROOT}/lib")
    else()
      list(APPEND _fbd_cudnn_tried "CUDNN_ROOT: not set")
    endif()
  endif()
  if(FBD_CUDNN_SEARCH MATCHES "^(all|toolkit)$")
    _fbd_cudnn_look("the CUDA toolkit" "${CUDAToolkit_INCLUDE_DIRS}" "${CUDAToolkit_LIBRARY_DIR}")
  endif()
  if(FBD_CUDNN_SEARCH MATCHES "^(all|wheel)$")
    _fbd_cudnn_wheel_dir(_wheel)
    if(_wheel)
      _fbd_cudnn_look("the Python wheel (${FBD_PYTHON3})" "${_wheel}/include" "${_wheel}/lib;${_wheel}/lib64")
    else()
      list(APPEND _fbd_cudnn_tried "the Python wheel: '${FBD_PYTHON3} -c \"import nvidia.cudnn\"' found no package")
    endif()
  endif()
  if(FBD_CUDNN_SEARCH MATCHES "^(all|system)$" AND NOT FBD_CUDNN_LIBRARY)
    find_path(_fbd_cudnn_sys_inc cudnn.h PATH_SUFFIXES include)
    find_library(_fbd_cudnn_sys_lib NAMES cudnn libcudnn.so.9 NAMES_PER_DIR)
    if(_fbd_cudnn_sys_inc AND _fbd_cudnn_sys_lib)
      set(FBD_CUDNN_INCLUDE_DIR "${_fbd_cudnn_sys_inc}")
      set(FBD_CUDNN_LIBRARY "${_fbd_cudnn_sys_lib}")
      set(FBD_CUDNN_FROM "the system paths")
    else()
      list(APPEND _fbd_cudnn_tried "the system paths: cudnn.h ${_fbd_cudnn_sys_inc}, library ${_fbd_cudnn_sys_lib}")
    endif()
    unset(_fbd_cudnn_sys_inc CACHE)
    unset(_fbd_cudnn_sys_lib CACHE)
  endif()
endif()

if(NOT FBD_CUDNN_LIBRARY)
  list(JOIN _fbd_cudnn_tried "\n    " _tried)
  message(FATAL_ERROR "fbd: cuDNN not found (FBD_CUDNN_SEARCH=${FBD_CUDNN_SEARCH}). Looked at:\n    ${_tried}\n"
                      "Set CUDNN_ROOT to a folder with include/cudnn.h and lib/libcudnn.so*, or install cuDNN 9.")
endif()

# The version, from cudnn_version.h (cuDNN 8 and later).
set(FBD_CUDNN_VERSION "unknown")
if(EXISTS "${FBD_CUDNN_INCLUDE_DIR}/cudnn_version.h")
  file(STRINGS "${FBD_CUDNN_INCLUDE_DIR}/cudnn_version.h" _v REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
  string(REGEX REPLACE ".*CUDNN_MAJOR +([0-9]+).*" "\\1" _major "${_v}")
  string(REGEX REPLACE ".*CUDNN_MINOR +([0-9]+).*" "\\1" _minor "${_v}")
  string(REGEX REPLACE ".*CUDNN_PATCHLEVEL +([0-9]+).*" "\\1" _patch "${_v}")
  set(FBD_CUDNN_VERSION "${_major}.${_minor}.${_patch}")
  if(_major LESS 9)
    message(FATAL_ERROR "fbd: cuDNN ${FBD_CUDNN_VERSION} at ${FBD_CUDNN_INCLUDE_DIR}: fbd needs cuDNN 9 or later")
  endif()
endif()

get_filename_component(FBD_CUDNN_LIBRARY_DIR "${FBD_CUDNN_LIBRARY}" DIRECTORY)
add_library(fbd_cudnn INTERFACE)
target_include_directories(fbd_cudnn INTERFACE "${FBD_CUDNN_INCLUDE_DIR}")
target_link_libraries(fbd_cudnn INTERFACE "${FBD_CUDNN_LIBRARY}")
target_link_options(fbd_cudnn INTERFACE "LINKER:-rpath,${FBD_CUDNN_LIBRARY_DIR}")
