// Exact Euclidean distance transform on the GPU, batched, with pixel spacing.
//
// Formula (kernels/edt.cuh): d2(y, x) = min_x' [ sx^2 (x - x')^2 + sy^2 h(y, x')^2 ], h the
// vertical distance to the label inside column x'. Not differentiable (a function of the mask
// only); the signed map phi of the boundary loss is written by the same two launches.
//
// Decomposition (two launches on one stream, no atomics, deterministic):
//  1. edt_columns_kernel: one thread per (image, column), grid-stride. Thread x of a warp
//     handles column x, so every step of its sweep down and up reads and writes 32 neighbouring
//     pixels of one row: coalesced. Writes one int32 code per pixel, (h_other << 1) | label.
//  2. edt_rows_kernel: one thread per (image, row), grid-stride. Each builds the lower envelope
//     of its row's parabolas (Meijster's stack of sites and integer start pixels, in its own
//     slice of the workspace) and reads it back right to left. Rows are W*4 bytes apart, so a
//     warp's loads are not coalesced, but each thread walks its row and its stack
//     sequentially, so every 32-byte sector it fetches serves 8 consecutive steps from L1/L2.
// Exactness: the arithmetic is edt.cuh's, in double, with the products and sums as _rn
// intrinsics (never contracted into FMA), so the GPU's result equals the CPU twin's bit for
// bit, and for unit spacing equals the correctly rounded exact distance.
// Bounds: per pixel, the input (1 byte for uint8, 4 for float), the code written, read and
// rewritten by the column pass and read by the row pass (16 bytes), the output (4 bytes): 21 or
// 24 bytes, plus the row stacks (up to 8 bytes per pixel, mostly L1/L2 hits). For small
// batches the bound is latency, not bandwidth: there are only N*W column threads and N*H row
// threads (4096 each for 16 x 256 x 256), each doing a sequential O(H) or O(W) loop.
// Int overflow: pixel offsets are int64; rows and columns are int32 (below 2^24, checked by the
// caller); squared distances are doubles, exact below 2^53.
#include "kernels/edt.cuh"
#include "kernels/edt_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

constexpr int kEdtBlock = 32;  // one warp: spreads the few line-threads over as many SMs as possible

// Enough blocks for `lines` threads, at most 32 resident one-warp blocks per SM.
int64_t line_threads(int64_t lines) {
  const int64_t blocks = std::min<int64_t>((lines + kEdtBlock - 1) / kEdtBlock, int64_t(sm_count()) * 32);
  return std::max<int64_t>(blocks, 1) * kEdtBlock;
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

template <typename T>
__global__ void edt_columns_kernel(const T* __restrict__ in, int32_t* __restrict__ code, int64_t batch, int32_t height,
                                   int32_t width) {
  const int64_t cols = batch * width, plane = int64_t(height) * width;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < cols; c += stride) {
    const int64_t n = c / width, x = c % width;
    const int64_t base = n * plane + x;
    edt_column(in + base, code + base, height, width);
  }
}

// stack: 2 * width int32 per thread of the launch.
__global__ void edt_rows_kernel(const int32_t* __restrict__ code, float* __restrict__ out, int64_t rows, int32_t width,
                                EdtOutput mode, double sx2, double sy2, int32_t* __restrict__ stack) {
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  if (tid >= rows) return;
  int32_t* sites = stack + tid * 2 * width;  // this thread's slice, reused for each of its rows
  int32_t* starts = sites + width;
  for (int64_t r = tid; r < rows; r += stride)
    edt_row(code + r * width, out + r * width, width, mode, sx2, sy2, sites, starts);
}

template <typename T>
void launch(const T* in, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y, float spacing_x,
            EdtOutput mode, void* workspace, Stream s) {
  const int64_t plane = height * width;
  if (batch == 0 || plane == 0) return;
  int32_t* code = static_cast<int32_t*>(workspace);
  int32_t* stack =
      reinterpret_cast<int32_t*>(static_cast<char*>(workspace) + align256(size_t(batch * plane) * sizeof(int32_t)));
  const int64_t col_threads = line_threads(batch * width), row_threads = line_threads(batch * height);
  edt_columns_kernel<T>
      <<<unsigned(col_threads / kEdtBlock), kEdtBlock, 0, s>>>(in, code, batch, int32_t(height), int32_t(width));
  const double sy2 = double(spacing_y) * double(spacing_y), sx2 = double(spacing_x) * double(spacing_x);
  edt_rows_kernel<<<unsigned(row_threads / kEdtBlock), kEdtBlock, 0, s>>>(code, out, batch * height, int32_t(width),
                                                                          mode, sx2, sy2, stack);
}

}  // namespace

size_t edt_workspace_bytes(int64_t batch, int64_t height, int64_t width) {
  if (batch == 0 || height * width == 0) return 0;
  // One stack slice per row thread that has a row (threads past the last row return at once).
  const int64_t slices = std::min(batch * height, line_threads(batch * height));
  return align256(size_t(batch * height * width) * sizeof(int32_t)) +
         size_t(slices) * 2 * size_t(width) * sizeof(int32_t);
}

void edt_cuda(const uint8_t* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
              float spacing_x, EdtOutput mode, void* workspace, Stream s) {
  launch(input, out, batch, height, width, spacing_y, spacing_x, mode, workspace, s);
}

void edt_cuda(const float* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
              float spacing_x, EdtOutput mode, void* workspace, Stream s) {
  launch(input, out, batch, height, width, spacing_y, spacing_x, mode, workspace, s);
}

}  // namespace fbd::kernels
