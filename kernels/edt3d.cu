// Exact 3-D Euclidean distance transform on the GPU, batched, with anisotropic voxel spacing.
//
// Formula (kernels/edt3d.cuh):
//   d2(z, y, x) = min_x' [ sx^2 (x - x')^2 + p2(z, y, x') ],
//   p2(z, y, x) = min_y' [ sy^2 (y - y')^2 + sz^2 h(z, y', x)^2 ],  h the z distance to the label.
// Not differentiable (a function of the mask only).
//
// Decomposition (three launches on one stream, no atomics, no shared memory, deterministic):
//  1. edt3d_z_kernel: one thread per (volume, y, x) column, grid-stride. Thread i of a warp
//     handles column i of the flattened H*W plane, so every step of its sweep down and up along z
//     reads and writes 32 neighbouring voxels: coalesced. Writes the int32 code of edt.cuh.
//  2. edt3d_y_kernel: one thread per (volume, z, x) line, grid-stride. Neighbouring threads take
//     neighbouring x, so the envelope's forward walk along y reads 32 neighbouring codes per step
//     (coalesced) and the read-back writes 32 neighbouring doubles. The pop tests read codes at
//     the sites on each thread's stack, which differ between threads: cached, not coalesced.
//  3. edt3d_x_kernel: one thread per (volume, z, y) row, as the 2-D row pass: rows are W*8 bytes
//     apart, so loads are not coalesced, but each thread walks its row sequentially and every
//     32-byte sector serves 4 steps from L1/L2.
// Each line thread of passes 2 and 3 keeps its envelope (sites and starts, 2 int32 per pixel of
// the line) in its own slice of the workspace; the two passes reuse the same slices.
// Exactness: edt3d.cuh's double arithmetic with _rn intrinsics (never contracted into FMA, and
// the file is compiled with -fmad=false), so the result equals the CPU twin bit for bit and, for
// unit spacing, the correctly rounded exact distance.
// Bounds: per voxel, the input (1 or 4 bytes), the code written, read and rewritten (pass 1) and
// read (pass 2): 16 bytes; the double written and read: 16 bytes; the output: 4 bytes; 37 or 40
// bytes in all, plus the stacks (mostly L1/L2 hits). The passes are latency-bound at these sizes:
// N*H*W, N*D*W and N*D*H line threads (65536, 40960, 40960 for one 160 x 256 x 256 volume), each
// a sequential loop with dependent loads.
// Int overflow: voxel offsets and line indices are int64; positions along a line are int32
// (sides below 2^24, checked by the op); squared distances are doubles, exact below 2^53.
#include "kernels/edt3d.cuh"
#include "kernels/edt3d_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

constexpr int kEdt3dBlock = 32;  // one warp: spreads the line threads over as many SMs as possible

// Enough one-warp blocks for `lines` threads, at most 32 resident per SM.
int64_t line_threads(int64_t lines) {
  const int64_t blocks = std::min<int64_t>((lines + kEdt3dBlock - 1) / kEdt3dBlock, int64_t(sm_count()) * 32);
  return std::max<int64_t>(blocks, 1) * kEdt3dBlock;
}

// Stack slices a pass needs: one per thread that has a line (threads past the last line return).
int64_t stack_slices(int64_t lines) { return std::min(lines, line_threads(lines)); }

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

template <typename T>
__global__ void edt3d_z_kernel(const T* __restrict__ in, int32_t* __restrict__ code, int64_t batch, int32_t depth,
                               int64_t plane) {
  const int64_t columns = batch * plane, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += stride) {
    const int64_t base = (c / plane) * depth * plane + c % plane;
    edt_column(in + base, code + base, depth, plane);
  }
}

// stack: 2 * height int32 per thread of the launch.
__global__ void edt3d_y_kernel(const int32_t* __restrict__ code, double* __restrict__ p2, int64_t lines, int32_t height,
                               int32_t width, EdtOutput mode, double sy2, double sz2, int32_t* __restrict__ stack) {
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  if (tid >= lines) return;
  int32_t* sites = stack + tid * 2 * height;
  int32_t* starts = sites + height;
  for (int64_t l = tid; l < lines; l += stride) {
    const int64_t offset = (l / width) * int64_t(height) * width + l % width;
    edt3d_line_y(code + offset, p2 + offset, height, width, mode, sy2, sz2, sites, starts);
  }
}

// stack: 2 * width int32 per thread of the launch.
__global__ void edt3d_x_kernel(const double* __restrict__ p2, float* __restrict__ out, int64_t rows, int32_t width,
                               EdtOutput mode, double sx2, int32_t* __restrict__ stack) {
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  if (tid >= rows) return;
  int32_t* sites = stack + tid * 2 * width;
  int32_t* starts = sites + width;
  for (int64_t r = tid; r < rows; r += stride)
    edt3d_row(p2 + r * width, out + r * width, width, mode, sx2, sites, starts);
}

// Workspace layout: codes (int32 per voxel) | p2 (double per voxel) | stacks, each 256-aligned.
struct Layout {
  size_t code = 0, p2 = 0, stack = 0, total = 0;
};

Layout layout(int64_t batch, int64_t depth, int64_t height, int64_t width) {
  const size_t voxels = size_t(batch * depth * height * width);
  Layout l;
  l.p2 = align256(voxels * sizeof(int32_t));
  l.stack = l.p2 + align256(voxels * sizeof(double));
  const int64_t y_ints = stack_slices(batch * depth * width) * 2 * height;
  const int64_t x_ints = stack_slices(batch * depth * height) * 2 * width;
  l.total = l.stack + size_t(std::max(y_ints, x_ints)) * sizeof(int32_t);
  return l;
}

template <typename T>
void launch(const T* in, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width, double sz, double sy,
            double sx, EdtOutput mode, void* workspace, Stream s) {
  const int64_t plane = height * width;
  if (batch * depth * plane == 0) return;
  const Layout l = layout(batch, depth, height, width);
  char* ws = static_cast<char*>(workspace);
  int32_t* code = reinterpret_cast<int32_t*>(ws + l.code);
  double* p2 = reinterpret_cast<double*>(ws + l.p2);
  int32_t* stack = reinterpret_cast<int32_t*>(ws + l.stack);

  const int64_t z_lines = batch * plane, y_lines = batch * depth * width, x_lines = batch * depth * height;
  edt3d_z_kernel<T>
      <<<unsigned(line_threads(z_lines) / kEdt3dBlock), kEdt3dBlock, 0, s>>>(in, code, batch, int32_t(depth), plane);
  edt3d_y_kernel<<<unsigned(line_threads(y_lines) / kEdt3dBlock), kEdt3dBlock, 0, s>>>(
      code, p2, y_lines, int32_t(height), int32_t(width), mode, sy * sy, sz * sz, stack);
  edt3d_x_kernel<<<unsigned(line_threads(x_lines) / kEdt3dBlock), kEdt3dBlock, 0, s>>>(p2, out, x_lines, int32_t(width),
                                                                                       mode, sx * sx, stack);
}

}  // namespace

size_t edt3d_workspace_bytes(int64_t batch, int64_t depth, int64_t height, int64_t width) {
  if (batch * depth * height * width == 0) return 0;
  return layout(batch, depth, height, width).total;
}

void edt3d_cuda(const uint8_t* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
                double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace, Stream s) {
  launch(input, out, batch, depth, height, width, spacing_z, spacing_y, spacing_x, mode, workspace, s);
}

void edt3d_cuda(const float* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
                double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace, Stream s) {
  launch(input, out, batch, depth, height, width, spacing_z, spacing_y, spacing_x, mode, workspace, s);
}

}  // namespace fbd::kernels
