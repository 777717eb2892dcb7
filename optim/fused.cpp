#include "optim/fused.h"

#include <cstring>

#include "core/op_util.h"
#include "core/profiler.h"

namespace fbd::optim::detail {

template <typename CpuFn, typename GpuFn>
void run_fused(Device dev, const std::vector<kernels::ParamSlot>& slots, CpuFn&& cpu, GpuFn&& gpu) {
  const int64_t count = int64_t(slots.size());
  const int64_t nchunks = kernels::optim_chunk_count(slots.data(), count);
  std::vector<kernels::SlotChunk> chunks(static_cast<size_t>(nchunks));
  kernels::optim_fill_chunks(slots.data(), count, chunks.data());
  if (dev.is_cpu()) {
    cpu(slots.data(), chunks.data(), nchunks);
    return;
  }
  // One upload: [slots | chunks], the chunks 16-byte aligned.
  const size_t slot_bytes = slots.size() * sizeof(kernels::ParamSlot);
  const size_t chunk_off = (slot_bytes + 15) / 16 * 16;
  const size_t total = chunk_off + chunks.size() * sizeof(kernels::SlotChunk);
  std::vector<char> host(total);
  std::memcpy(host.data(), slots.data(), slot_bytes);
  std::memcpy(host.data() + chunk_off, chunks.data(), chunks.size() * sizeof(kernels::SlotChunk));
  // Freed back to the caching allocator when this returns; the stream orders its reuse
  // after the kernel (ENGINE.md, Memory).
  Tensor table = Tensor::empty({int64_t(total)}, DType::U8, dev);
  copy_bytes(table.raw_data(), dev, host.data(), Device::cpu(), total);
  const auto* dslots = static_cast<const kernels::ParamSlot*>(table.raw_data());
  const auto* dchunks =
      reinterpret_cast<const kernels::SlotChunk*>(static_cast<const char*>(table.raw_data()) + chunk_off);
  fbd::detail::dispatch(
      table, "optimizer step", [] {}, [&](kernels::Stream s) { gpu(dslots, dchunks, nchunks, s); });
}

namespace {
size_t bytes_of(const std::vector<kernels::ParamSlot>& slots, int tensors) {
  size_t n = 0;
  for (const auto& s : slots) n += size_t(s.n) * sizeof(float) * size_t(tensors);
  return n;
}
}  // namespace

void run_sgd(Device dev, const std::vector<kernels::ParamSlot>& slots, const kernels::SgdHyper& h) {
  profiler::Scope scope("sgd_step", dev);
  scope.add_bytes(bytes_of(slots, h.momentum != 0.0f ? 5 : 3));
  run_fused(
      dev, slots,
      [&](const kernels::ParamSlot* s, const kernels::SlotChunk* c, int64_t n) { kernels::sgd_step_cpu(s, c, n, h); },
      [&](const kernels::ParamSlot* s, const kernels::SlotChunk* c, int64_t n, kernels::Stream st) {
        kernels::sgd_step_cuda(s, c, n, h, st);
      });
}

void run_adam(Device dev, const std::vector<kernels::ParamSlot>& slots, const kernels::AdamHyper& h) {
  profiler::Scope scope("adam_step", dev);
  scope.add_bytes(bytes_of(slots, 7));
  run_fused(
      dev, slots,
      [&](const kernels::ParamSlot* s, const kernels::SlotChunk* c, int64_t n) { kernels::adam_step_cpu(s, c, n, h); },
      [&](const kernels::ParamSlot* s, const kernels::SlotChunk* c, int64_t n, kernels::Stream st) {
        kernels::adam_step_cuda(s, c, n, h, st);
      });
}

}  // namespace fbd::optim::detail
