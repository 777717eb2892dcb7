// Philox fills on CUDA. Formulas: philox.cuh.
// Threads: one Philox block (four output values) per thread per grid-stride iteration.
// Bound: for bits and uniforms, memory bandwidth (4 bytes written per value, ~40 integer
// multiplies per 4 values); normals are compute-bound (double-precision log and sin/cos
// series, chosen so the values are bit-identical to the CPU's). Compiled with -fmad=false
// (kernels/CMakeLists.txt) so nvcc does not fuse a*b+c where the CPU rounds twice.
#include "kernels/launch.cuh"
#include "kernels/philox.cuh"
#include "kernels/philox_kernels.h"

namespace fbd::kernels {
namespace {

__global__ void bits_kernel(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  const int64_t blocks = philox_blocks(n), stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += stride) {
    const Philox4 r = philox_block(seed, offset + uint64_t(b));
    for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = r.w[j];
  }
}

__global__ void uniform_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  const int64_t blocks = philox_blocks(n), stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += stride) {
    float v[4];
    uniform4(seed, offset + uint64_t(b), lo, hi, v);
    for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = v[j];
  }
}

__global__ void normal_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  const int64_t blocks = philox_blocks(n), stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += stride) {
    float v[4];
    normal4(seed, offset + uint64_t(b), mean, std, v);
    for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = v[j];
  }
}

}  // namespace

void philox_bits_cuda(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, Stream s) {
  if (n > 0) bits_kernel<<<grid_for(philox_blocks(n)), kBlock, 0, s>>>(out, n, seed, offset);
}

void philox_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, Stream s) {
  if (n > 0) uniform_kernel<<<grid_for(philox_blocks(n)), kBlock, 0, s>>>(out, n, seed, offset, lo, hi);
}

void philox_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, Stream s) {
  if (n > 0) normal_kernel<<<grid_for(philox_blocks(n)), kBlock, 0, s>>>(out, n, seed, offset, mean, std);
}

}  // namespace fbd::kernels
