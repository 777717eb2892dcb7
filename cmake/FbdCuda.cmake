# FBD_CUDA=AUTO|ON|OFF -> FBD_WITH_CUDA. AUTO builds the CUDA backend wherever nvcc is found.
# Architectures: sm_80 and sm_90 as machine code plus compute_90 PTX (so newer GPUs JIT it);
# override with -DCMAKE_CUDA_ARCHITECTURES=90 (CI does, to halve nvcc time).
set(FBD_WITH_CUDA OFF)
if(NOT FBD_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER)
    find_program(FBD_NVCC nvcc HINTS ENV CUDA_HOME ENV CUDA_PATH PATH_SUFFIXES bin
                 PATHS /usr/local/cuda/bin)
    if(FBD_NVCC)
      set(CMAKE_CUDA_COMPILER ${FBD_NVCC})
    endif()
  endif()
  if(CMAKE_CUDA_COMPILER)
    set(FBD_WITH_CUDA ON)
  elseif(FBD_CUDA STREQUAL "ON")
    message(FATAL_ERROR "FBD_CUDA=ON but nvcc was not found (set CUDA_HOME or CMAKE_CUDA_COMPILER)")
  else()
    message(STATUS "fbd: nvcc not found, building the CPU backend only")
  endif()
endif()

if(FBD_WITH_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80-real;90")
  endif()
  enable_language(CUDA)
  # CMake 3.25 (Debian 12) does not know nvcc's C++20 flag; teach it, then ask for C++20.
  if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_EXTENSIONS OFF)
  find_package(CUDAToolkit REQUIRED)

  include(${CMAKE_CURRENT_LIST_DIR}/FbdCudnn.cmake)
  message(STATUS "fbd: CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${FBD_CUDNN_VERSION} "
                 "from ${FBD_CUDNN_FROM}: ${FBD_CUDNN_LIBRARY}")
endif()
