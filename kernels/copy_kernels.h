// Data movement kernels: fill, strided copy (broadcast-expand, slice, concat, transpose), and
// dtype casts. Pure moves; the only math is the cast rule in copy.cuh.
//
// Read in this order:
//   1. kernels/copy_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/copy.cuh: the per-element math both backends share
//   3. kernels/copy_cpu.cpp: the CPU twin
//   4. kernels/copy.cu: the CUDA kernels and how they split the work
//   5. core/ops_shape.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/common.h"

namespace fbd::kernels {

enum class ElemType : int { F32, U8, I32 };

void fill_f32_cpu(float* p, int64_t n, float value);
void fill_f32_cuda(float* p, int64_t n, float value, Stream s);

// dst[offset_b(i)] = src[offset_a(i)] for every index i of d.shape, where d.stride_a are the
// source strides and d.stride_b the destination strides, in elements of `elem_bytes` (1 or 4).
void strided_copy_cpu(const void* src, void* dst, size_t elem_bytes, const StridedDims& d);
void strided_copy_cuda(const void* src, void* dst, size_t elem_bytes, const StridedDims& d, Stream s);

// Element type conversion of n contiguous elements. Float to integer truncates toward zero and
// saturates to the target range; NaN becomes 0 (C++ leaves all three undefined).
void cast_cpu(const void* src, ElemType from, void* dst, ElemType to, int64_t n);
void cast_cuda(const void* src, ElemType from, void* dst, ElemType to, int64_t n, Stream s);

}  // namespace fbd::kernels
