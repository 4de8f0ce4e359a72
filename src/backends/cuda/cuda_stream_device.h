// CudaStreamDevice: the StreamDevice (runtime/stream_device.h) of one CUDA device ordinal.
// Several may share one ordinal (NDFLOW_LOGICAL_GPUS): each has its own streams, events and
// memory pool, and they share the physical GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cuda/cuda_memory.h"
#include "runtime/stream_clock.h"
#include "runtime/stream_device.h"

namespace ndflow::cuda {

// Thread safety: as StreamDevice says, every member function may be called from any thread;
// memory() is the allocator's alone. Each call makes `ordinal` current while it needs it and
// gives the caller's device back (free on a lane worker that called bind_thread).
class CudaStreamDevice final : public detail::StreamDevice {
 public:
  // Reads the device's name and memory size; throws DeviceError when `ordinal` is not a
  // visible GPU.
  explicit CudaStreamDevice(int ordinal);
  ~CudaStreamDevice() override;  // destroys the pooled events (streams are the caller's)
  CudaStreamDevice(const CudaStreamDevice&) = delete;
  CudaStreamDevice& operator=(const CudaStreamDevice&) = delete;

  std::string name() const override { return name_; }
  std::size_t total_bytes() const override { return total_bytes_; }
  bool simulated() const override { return false; }
  int ordinal() const override { return ordinal_; }
  detail::DeviceMemory& memory() override { return memory_; }

  int bind_thread() override;
  void restore_thread(int previous) noexcept override;

  detail::Stream create_stream() override;
  void destroy_stream(detail::Stream s) override;

  detail::Event record_event(detail::Stream s) override;
  bool query_event(detail::Event e) override;
  void synchronize_event(detail::Event e) override;
  void release_event(detail::Event e) override;
  void stream_wait_event(detail::Stream s, detail::Event e) override;
  detail::Event record_timed_event(detail::Stream s) override;
  std::int64_t event_time_ns(detail::Event e) override;

  void copy_async(void* dst, const void* src, std::size_t bytes, detail::Stream s) override;
  void copy_from_peer_async(void* dst, const void* src, detail::StreamDevice& src_device,
                            std::size_t bytes, detail::Stream s) override;

  // Throws std::logic_error: a CUDA device runs kernels (backends/cuda/kernels.h).
  void enqueue_host_work(detail::Stream s, std::function<void()> fn) override;

 private:
  // Enough for the events in flight between a few lanes; beyond it, destroy them.
  static constexpr std::size_t kMaxSpareEvents = 64;

  const int ordinal_;
  std::string name_;
  std::size_t total_bytes_ = 0;
  CudaDeviceMemory memory_;
  // The clock of timed events: an event the GPU reached at a known host time, and the map
  // from GPU time after it to host time (runtime/stream_clock.h). Each timed event measures
  // from the origin current when it was recorded; origins are renewed while the profiler
  // records.
  struct TimingOrigin;
  std::shared_ptr<TimingOrigin> current_origin();
  struct TimedEvent {
    std::shared_ptr<TimingOrigin> origin;
    std::int64_t recorded_ns = 0;  // the host time of the record call
  };

  std::mutex events_mu_;       // guards spare_events_, origin_ and timed_events_
  std::mutex calibration_mu_;  // one calibration of a new origin at a time
  std::vector<cudaEvent_t> spare_events_;
  std::shared_ptr<TimingOrigin> origin_;
  std::unordered_map<cudaEvent_t, TimedEvent> timed_events_;
};

// One CudaStreamDevice per logical GPU: `logical_per_physical` (>= 1, else
// std::invalid_argument) for each visible GPU, in ordinal order. Empty, without throwing,
// when CUDA reports no device or cannot start at all (no driver: DESIGN.md treats that as
// "no GPUs").
std::vector<std::unique_ptr<detail::StreamDevice>> make_cuda_devices(int logical_per_physical);

}  // namespace ndflow::cuda
