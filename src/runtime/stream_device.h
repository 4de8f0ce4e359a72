// One GPU as ndflow drives it: in-order streams, events that order streams against each
// other and tell the host when work is done, device memory and copies. CudaStreamDevice
// (backends/cuda) is the real one. SimDevice (backends/sim) runs the same protocol on host
// threads over host memory, so that every GPU path above this interface (lanes, fences,
// copies, waits, the allocator) is tested on machines without a GPU.
//
// Thread safety: every member function may be called from any thread at any time, except
// memory(), which only the device's CachingAllocator calls (under its own lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/caching_allocator.h"

namespace ndflow::detail {

// The host clock that record_timed_event's times are on (the profiler's): steady, in ns.
inline std::int64_t host_clock_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class StreamDevice {
 public:
  virtual ~StreamDevice() = default;

  // "NVIDIA H100 80GB HBM3"; simulated devices say so.
  virtual std::string name() const = 0;
  virtual std::size_t total_bytes() const = 0;
  // True for SimDevice: memory is host memory and kernels are host functions.
  virtual bool simulated() const = 0;
  // The CUDA device ordinal (logical GPUs share their physical GPU's); -1 when simulated.
  virtual int ordinal() const = 0;
  // The raw memory and events the CachingAllocator works with.
  virtual DeviceMemory& memory() = 0;

  // Makes this device current on the calling thread (cudaSetDevice) and returns the device
  // that was current before, for restore_thread (-1 on simulated devices). Every GPU lane
  // worker calls it once before running ops.
  virtual int bind_thread() = 0;
  // Makes `previous` (bind_thread's answer) current again, for a thread that ran one op
  // (the naive engine's pushing thread). Never throws: a failure shows at the next call.
  virtual void restore_thread(int previous) noexcept = 0;

  // A new stream that does not synchronise with any other (cudaStreamNonBlocking).
  virtual Stream create_stream() = 0;
  // Waits for the stream's work, then destroys it.
  virtual void destroy_stream(Stream s) = 0;

  // An event that completes when the work enqueued on `s` so far has run.
  virtual Event record_event(Stream s) = 0;
  // Non-blocking. Throws DeviceError when the device reported a failure of that work.
  virtual bool query_event(Event e) = 0;
  // Blocks until `e` completed. Throws DeviceError as query_event does.
  virtual void synchronize_event(Event e) = 0;
  // Gives back an event from record_event; it is never used again. Never throws: it runs in
  // destructors and releases, also after the device failed or the process began to exit.
  virtual void release_event(Event e) = 0;
  // Work enqueued on `s` from now on waits for `e` (a device-side wait: the host goes on).
  virtual void stream_wait_event(Stream s, Event e) = 0;

  // For the profiler: an event (released with release_event) that also notes when the
  // stream reached it, and that moment as host_clock_ns() would have read it, once the
  // event completed. Costlier than record_event.
  virtual Event record_timed_event(Stream s) = 0;
  // Blocks until `e` (from record_timed_event) completed. Throws DeviceError as
  // synchronize_event does.
  virtual std::int64_t event_time_ns(Event e) = 0;

  // Copies `bytes` in stream order, host to device, device to host or within the device.
  virtual void copy_async(void* dst, const void* src, std::size_t bytes, Stream s) = 0;
  // Copies from memory of another device (`src_device`) into this one's, in the order of
  // this device's stream `s`: peer access where the GPUs allow it, staged otherwise.
  virtual void copy_from_peer_async(void* dst, const void* src, StreamDevice& src_device,
                                    std::size_t bytes, Stream s) = 0;

  // Simulated devices only: runs fn in stream order, as a kernel would (an exception from
  // fn fails the device as a faulting kernel does). CUDA devices throw std::logic_error:
  // their kernels are launched by the functions of backends/cuda/kernels.h.
  virtual void enqueue_host_work(Stream s, std::function<void()> fn) = 0;
};

}  // namespace ndflow::detail
