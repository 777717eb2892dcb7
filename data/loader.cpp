#include "data/loader.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "data/random.h"

namespace fbd::data {

DataLoader::DataLoader(std::shared_ptr<const SampleSource> source, AugmentPipeline pipeline, LoaderOptions options)
    : source_(std::move(source)), pipeline_(std::move(pipeline)), opt_(options) {
  FBD_CHECK(source_ != nullptr, "loader: no sample source");
  FBD_CHECK(source_->size() > 0, "loader: the sample source is empty");
  FBD_CHECK(opt_.batch_size >= 1, "loader: batch size must be at least 1, got ", opt_.batch_size);
  FBD_CHECK(opt_.workers >= 0 && opt_.workers <= 256, "loader: workers must be in [0, 256], got ", opt_.workers);
  FBD_CHECK(opt_.prefetch >= 1, "loader: prefetch must be at least 1, got ", opt_.prefetch);
  FBD_CHECK(batches_per_epoch() > 0, "loader: ", source_->size(), " samples make no batch of ", opt_.batch_size,
            " with drop_last");
  slots_.resize(size_t(opt_.workers == 0 ? 1 : opt_.prefetch));
  for (int i = int(slots_.size()) - 1; i >= 0; --i) free_slots_.push_back(i);
  for (int t = 0; t < opt_.workers; ++t) threads_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = source_->size();
  return opt_.drop_last ? n / opt_.batch_size : (n + opt_.batch_size - 1) / opt_.batch_size;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(source_->size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
  if (opt_.shuffle) {
    SampleRandom r(opt_.seed, uint64_t(epoch), 0x0DE2ull);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[size_t(r.integer(0, int64_t(i) - 1))]);
  }
  return order;
}

Sample DataLoader::make_sample(int64_t epoch, int64_t index) const {
  Sample s = source_->get(index);
  pipeline_.apply(s, derive_key(opt_.seed, uint64_t(epoch), uint64_t(index)));
  return s;
}

void DataLoader::fill(Slot& slot, int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const {
  const int64_t begin = batch * opt_.batch_size;
  const int64_t end = std::min<int64_t>(begin + opt_.batch_size, int64_t(order.size()));
  slot.count = end - begin;
  slot.indices.assign(order.begin() + begin, order.begin() + end);
  slot.ids.clear();
  slot.error = nullptr;
  try {
    for (int64_t j = 0; j < slot.count; ++j) {
      const int64_t index = order[size_t(begin + j)];
      Sample s = make_sample(epoch, index);
      FBD_CHECK(s.mask.empty() || s.mask.same_size(s.image), "loader: sample '", s.id, "': mask is ", s.mask.size_str(),
                ", image ", s.image.size_str());
      FBD_CHECK(s.edge.empty() || s.edge.same_size(s.image), "loader: sample '", s.id, "': edge is ", s.edge.size_str(),
                ", image ", s.image.size_str());
      if (j == 0) {
        slot.height = s.image.height;
        slot.width = s.image.width;
        slot.has_edge = !s.edge.empty();
        slot.channels = s.channels();
        // Images (C planes each), then masks, then edges.
        const size_t need =
            size_t(opt_.batch_size) * size_t(slot.height * slot.width) * size_t(slot.channels + 2) * sizeof(float);
        if (!slot.buffer || slot.buffer->size() < need) {
          slot.buffer.reset();
          slot.buffer = std::make_unique<PinnedBuffer>(need);
        } else {
          slot.buffer->wait();  // the previous batch's copies out of this buffer must be done
        }
      } else {
        FBD_CHECK(s.image.height == slot.height && s.image.width == slot.width, "loader: sample '", s.id, "' is ",
                  s.image.size_str(), " but the batch's first sample '", slot.ids[0], "' is ", slot.height, "x",
                  slot.width, " (add a resize step or use quadrant crops)");
        FBD_CHECK(slot.has_edge == !s.edge.empty(), "loader: sample '", s.id,
                  "' differs from the rest of its batch in having an edge mask");
        FBD_CHECK(s.channels() == slot.channels, "loader: sample '", s.id, "' has ", s.channels(),
                  " channels but the batch's first sample '", slot.ids[0], "' has ", slot.channels);
      }
      for (const Image& c : s.more_channels)
        FBD_CHECK(c.same_size(s.image), "loader: sample '", s.id, "': a channel is ", c.size_str(), ", image ",
                  s.image.size_str());
      slot.ids.push_back(s.id);
      const size_t plane = size_t(slot.height * slot.width), n = size_t(opt_.batch_size);
      const size_t C = size_t(slot.channels);
      float* base = static_cast<float*>(slot.buffer->data());
      for (size_t c = 0; c < C; ++c)
        std::memcpy(base + (size_t(j) * C + c) * plane, channel(s, int64_t(c)).px.data(), plane * sizeof(float));
      base += n * (C - 1) * plane;  // the masks and edges follow the images
      float* m = base + n * plane + size_t(j) * plane;
      if (s.mask.empty())
        std::fill(m, m + plane, 0.0f);
      else
        std::memcpy(m, s.mask.px.data(), plane * sizeof(float));
      if (slot.has_edge) std::memcpy(base + 2 * n * plane + size_t(j) * plane, s.edge.px.data(), plane * sizeof(float));
    }
  } catch (...) {
    slot.error = std::current_exception();
  }
}

void DataLoader::deliver(Slot& slot, Batch& out, int64_t epoch, int64_t number) {
  if (slot.error) std::rethrow_exception(slot.error);
  const Shape shape{slot.count, 1, slot.height, slot.width};
  const size_t plane_bytes = size_t(slot.height * slot.width) * sizeof(float), n = size_t(opt_.batch_size);
  const size_t masks_at = n * size_t(slot.channels) * plane_bytes;
  out = Batch{};
  out.image = Tensor::empty({slot.count, slot.channels, slot.height, slot.width}, DType::F32, opt_.device);
  out.mask = Tensor::empty(shape, DType::F32, opt_.device);
  slot.buffer->copy_to(out.image, 0);
  slot.buffer->copy_to(out.mask, masks_at);
  if (slot.has_edge) {
    out.edge = Tensor::empty(shape, DType::F32, opt_.device);
    slot.buffer->copy_to(out.edge, masks_at + n * plane_bytes);
  }
  out.indices = slot.indices;
  out.ids = slot.ids;
  out.epoch = epoch;
  out.number = number;
}

void DataLoader::start_epoch(int64_t epoch) {
  std::vector<int64_t> order = epoch_order(epoch);
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  // Let jobs of the previous epoch finish (their results are dropped), then reset.
  ready_cv_.wait(lock, [&] { return in_flight_ == 0; });
  for (const auto& [b, slot] : ready_) free_slots_.push_back(slot);
  ready_.clear();
  order_ = std::move(order);
  epoch_ = epoch;
  next_job_ = consumed_ = 0;
  batches_ = batches_per_epoch();
  lock.unlock();
  work_cv_.notify_all();
}

void DataLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] {
      return stop_ ||
             (epoch_ >= 0 && next_job_ < batches_ && !free_slots_.empty() && next_job_ < consumed_ + opt_.prefetch);
    });
    if (stop_) return;
    const int64_t batch = next_job_++, epoch = epoch_, gen = generation_;
    const int slot = free_slots_.back();
    free_slots_.pop_back();
    ++in_flight_;
    const std::vector<int64_t>* order = &order_;  // order_ is replaced only when in_flight_ == 0
    lock.unlock();
    fill(slots_[size_t(slot)], epoch, batch, *order);
    lock.lock();
    --in_flight_;
    if (gen == generation_)
      ready_[batch] = slot;
    else
      free_slots_.push_back(slot);
    ready_cv_.notify_all();
    work_cv_.notify_all();
  }
}

bool DataLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mu_);
  FBD_CHECK(epoch_ >= 0, "loader: call start_epoch() before next()");
  if (consumed_ >= batches_) return false;
  const int64_t number = consumed_;
  if (opt_.workers == 0) {
    Slot& slot = slots_[0];
    lock.unlock();
    fill(slot, epoch_, number, order_);
    lock.lock();
    ++consumed_;
    deliver(slot, out, epoch_, number);
    return true;
  }
  ready_cv_.wait(lock, [&] { return stop_ || ready_.count(number) != 0; });
  FBD_CHECK(!stop_, "loader: stopped");
  const int slot = ready_[number];
  ready_.erase(number);
  ++consumed_;
  const int64_t epoch = epoch_;
  lock.unlock();
  std::exception_ptr failure;
  try {
    deliver(slots_[size_t(slot)], out, epoch, number);
  } catch (...) {
    failure = std::current_exception();
  }
  lock.lock();
  free_slots_.push_back(slot);
  lock.unlock();
  work_cv_.notify_all();
  if (failure) std::rethrow_exception(failure);
  return true;
}

}  // namespace fbd::data
