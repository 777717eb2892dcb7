// The background data loader: worker threads assemble augmented batches ahead of the training
// loop, into pinned host memory, and hand them over as (N, C, H, W) images and (N, 1, H, W) masks, float32 tensors on
// the training device (an asynchronous copy on the device's stream when that is a GPU).
//
// Determinism: the order of an epoch is a Philox shuffle keyed by (seed, epoch), and sample i's
// augmentation uses the key derive_key(seed, epoch, i), so batch b of epoch e is the same
// whatever the number of workers, the prefetch depth, or which thread made it. Batches are
// delivered in order.
//
// Flow control: at most `prefetch` batches are in the works or waiting at any time (each owns
// one staging buffer); a worker waits for a free buffer. With workers = 0 the batches are made
// in next() on the caller's thread (the reference the threaded loader must match).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/device.h"
#include "core/pinned.h"
#include "core/tensor.h"
#include "data/image.h"
#include "data/pipeline.h"

namespace fbd::data {

// Where samples come from. get() must be safe to call from several threads at once.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;
  virtual Sample get(int64_t index) const = 0;
};

// Samples held in memory (a data set of a few hundred slices fits easily).
class MemorySource : public SampleSource {
 public:
  explicit MemorySource(std::vector<Sample> samples) : samples_(std::move(samples)) {}
  int64_t size() const override { return int64_t(samples_.size()); }
  Sample get(int64_t index) const override { return samples_.at(size_t(index)); }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  std::vector<Sample> samples_;
};

struct LoaderOptions {
  int64_t batch_size = 8;
  int workers = 2;   // background threads (0: make batches in next())
  int prefetch = 4;  // batches in the works or waiting (>= 1)
  bool shuffle = true;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  uint64_t seed = 0;
  Device device = Device::cpu();
};

struct Batch {
  Tensor image, mask, edge;  // image (N, C, H, W), mask and edge (N, 1, H, W), float32 on the device; edge undefined
                             // when samples have none
  std::vector<int64_t> indices;  // source indices, in batch order
  std::vector<std::string> ids;
  int64_t epoch = 0, number = 0;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const SampleSource> source, AugmentPipeline pipeline, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  // The source indices of an epoch in the order they will be served.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Starts (or restarts) an epoch; batches of an unfinished earlier epoch are dropped.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch; false when the epoch is done. Rethrows an error a
  // worker met (a bad file, samples of different sizes in one batch), naming the sample.
  bool next(Batch& out);

  // One sample as the loader makes it for (epoch, index): the source's sample, augmented.
  Sample make_sample(int64_t epoch, int64_t index) const;

 private:
  struct Slot {
    std::unique_ptr<PinnedBuffer> buffer;
    int64_t height = 0, width = 0, count = 0, channels = 1;
    bool has_edge = false;
    std::vector<int64_t> indices;
    std::vector<std::string> ids;
    std::exception_ptr error;
  };

  void worker_loop();
  void fill(Slot& slot, int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const;
  void deliver(Slot& slot, Batch& out, int64_t epoch, int64_t number);

  std::shared_ptr<const SampleSource> source_;
  AugmentPipeline pipeline_;
  LoaderOptions opt_;

  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  std::vector<Slot> slots_;
  std::vector<int> free_slots_;
  std::map<int64_t, int> ready_;  // batch number -> slot
  std::vector<int64_t> order_;
  int64_t epoch_ = -1, generation_ = 0;
  int64_t next_job_ = 0, consumed_ = 0, batches_ = 0, in_flight_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace fbd::data
