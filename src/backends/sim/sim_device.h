// A simulated GPU: the StreamDevice protocol on host threads over host memory. Each stream
// is a thread running its work in order; events are points in a stream's sequence; a
// stream waiting for an event blocks its own thread, not the caller. Kernels are host
// functions (enqueue_host_work), so the array layer runs its CPU kernels here.
//
// What it is for: every GPU path above StreamDevice (lanes, fences between streams, copies,
// host waits, the caching allocator, logical devices) runs in CI, under the sanitizers, on
// machines without a GPU (NDFLOW_SIMULATED_GPUS=N). What it is not: a model of GPU speed.
//
// Like a CUDA context, a simulated device fails as a whole: once a kernel throws, later
// work on every stream of the device is skipped and every query or wait on it throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/stream_device.h"

namespace ndflow::detail {

class SimDevice final : public StreamDevice {
 public:
  // `index` names it ("simulated GPU 1"); `total_bytes` is the memory it pretends to have.
  SimDevice(int index, std::size_t total_bytes);
  ~SimDevice() override;  // every stream must have been destroyed
  SimDevice(const SimDevice&) = delete;
  SimDevice& operator=(const SimDevice&) = delete;

  std::string name() const override;
  std::size_t total_bytes() const override;
  bool simulated() const override { return true; }
  int ordinal() const override { return -1; }
  DeviceMemory& memory() override;
  int bind_thread() override { return -1; }
  void restore_thread(int) noexcept override {}

  Stream create_stream() override;
  void destroy_stream(Stream s) override;

  Event record_event(Stream s) override;
  bool query_event(Event e) override;
  void synchronize_event(Event e) override;
  void release_event(Event e) override;
  void stream_wait_event(Stream s, Event e) override;
  Event record_timed_event(Stream s) override;
  std::int64_t event_time_ns(Event e) override;

  void copy_async(void* dst, const void* src, std::size_t bytes, Stream s) override;
  void copy_from_peer_async(void* dst, const void* src, StreamDevice& src_device, std::size_t bytes,
                            Stream s) override;
  void enqueue_host_work(Stream s, std::function<void()> fn) override;

  // How many times a host thread blocked on this device (synchronize_event): tests check
  // that pushing work never does.
  std::uint64_t host_waits() const noexcept;

  struct State;  // shared with the streams and events (sim_device.cc)

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<DeviceMemory> memory_;
};

}  // namespace ndflow::detail
