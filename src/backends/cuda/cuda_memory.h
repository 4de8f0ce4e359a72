// CUDA as the caching allocator sees it (runtime/caching_allocator.h): device memory from
// cudaMalloc, and events, recycled through a small pool, to learn when a stream's work
// has passed a point. Backend-only: nothing under include/ sees CUDA's headers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/caching_allocator.h"

namespace ndflow::cuda {

// The allocator's opaque handles for CUDA's streams and events, and back.
inline detail::Stream to_stream(cudaStream_t s) noexcept {
  return detail::Stream{reinterpret_cast<std::uintptr_t>(s)};
}
inline cudaStream_t to_cuda_stream(detail::Stream s) noexcept {
  return reinterpret_cast<cudaStream_t>(s.handle);
}
inline cudaEvent_t to_cuda_event(detail::Event e) noexcept {
  return reinterpret_cast<cudaEvent_t>(e.handle);
}

// cudaEventQuery as a yes or no: false while the event's work is pending, true once done;
// throws DeviceError when that work failed.
bool event_completed(cudaEvent_t e);
// cudaEventDestroy for releases, which must not throw: a failure (a failed context, the
// runtime unloading at exit) leaves nothing to free.
void destroy_event_quietly(cudaEvent_t e) noexcept;

// One GPU's memory and events. Each call makes `device` current for its duration and
// restores the caller's device after. Not thread-safe by itself: the allocator calls it
// under its lock. Failures other than out-of-memory throw DeviceError (NDFLOW_CUDA_CHECK).
class CudaDeviceMemory final : public detail::DeviceMemory {
 public:
  explicit CudaDeviceMemory(int device) : device_(device) {}
  ~CudaDeviceMemory() override;  // destroys the pooled events
  CudaDeviceMemory(const CudaDeviceMemory&) = delete;
  CudaDeviceMemory& operator=(const CudaDeviceMemory&) = delete;

  void* raw_alloc(std::size_t bytes) override;  // nullptr on cudaErrorMemoryAllocation
  void raw_free(void* p) override;
  detail::Event record_event(detail::Stream s) override;
  bool event_done(detail::Event e) override;  // cudaEventQuery; never blocks
  void release_event(detail::Event e) override;
  std::size_t free_bytes() override;  // cudaMemGetInfo's free

  int device() const noexcept { return device_; }

 private:
  // Enough for the events of one burst of cross-stream frees; beyond it, destroy them.
  static constexpr std::size_t kMaxSpareEvents = 64;
  cudaEvent_t take_event();

  int device_;
  std::vector<cudaEvent_t> spare_events_;
};

// Page-locked host memory, usable by every GPU (cudaHostAllocPortable): nullptr when the
// system has none left; other failures throw DeviceError.
void* alloc_pinned_host(std::size_t bytes);
void free_pinned_host(void* p) noexcept;

}  // namespace ndflow::cuda
