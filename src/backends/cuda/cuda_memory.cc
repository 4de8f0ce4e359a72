// CudaDeviceMemory: every CUDA call goes through NDFLOW_CUDA_CHECK, except the one answer
// the allocator handles itself (cudaMalloc's cudaErrorMemoryAllocation).
#include "backends/cuda/cuda_memory.h"

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/current_device.h"
#include "ndflow/error.h"

namespace ndflow::cuda {

CudaDeviceMemory::~CudaDeviceMemory() {
  for (cudaEvent_t e : spare_events_) {
    try {
      NDFLOW_CUDA_CHECK(cudaEventDestroy(e));
    } catch (const DeviceError&) {
      // At teardown the context may already be gone, and with it the events.
    }
  }
}

void* CudaDeviceMemory::raw_alloc(std::size_t bytes) {
  CurrentDeviceScope scope(device_);
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    // Out of memory is an answer, not a failure: clear it so the next call starts clean,
    // and let the allocator empty its cache and retry.
    (void)cudaGetLastError();
    return nullptr;
  }
  NDFLOW_CUDA_CHECK(status);
  return p;
}

void CudaDeviceMemory::raw_free(void* p) {
  CurrentDeviceScope scope(device_);
  NDFLOW_CUDA_CHECK(cudaFree(p));  // waits for the device's pending work
}

detail::Event CudaDeviceMemory::record_event(detail::Stream s) {
  CurrentDeviceScope scope(device_);  // the event must belong to the stream's device
  cudaEvent_t e = take_event();
  try {
    NDFLOW_CUDA_CHECK(cudaEventRecord(e, to_cuda_stream(s)));
  } catch (const DeviceError&) {
    spare_events_.push_back(e);
    throw;
  }
  return detail::Event{reinterpret_cast<std::uintptr_t>(e)};
}

bool event_completed(cudaEvent_t e) {
  const cudaError_t status = cudaEventQuery(e);
  if (status == cudaErrorNotReady) {
    // An answer, not an error; but the runtime may keep it as this thread's last error,
    // which the next kernel launch's check would then report as its own failure.
    (void)cudaGetLastError();
    return false;
  }
  NDFLOW_CUDA_CHECK(status);
  return true;
}

void destroy_event_quietly(cudaEvent_t e) noexcept {
  if (cudaEventDestroy(e) != cudaSuccess) (void)cudaGetLastError();
}

bool CudaDeviceMemory::event_done(detail::Event e) { return event_completed(to_cuda_event(e)); }

void CudaDeviceMemory::release_event(detail::Event e) {
  if (spare_events_.size() < kMaxSpareEvents) {
    spare_events_.push_back(to_cuda_event(e));
    return;
  }
  destroy_event_quietly(to_cuda_event(e));
}

std::size_t CudaDeviceMemory::free_bytes() {
  CurrentDeviceScope scope(device_);
  std::size_t free = 0;
  std::size_t total = 0;
  NDFLOW_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

// Called with device_ current. Timing is off: the allocator only asks "done yet?", and
// timing-free events are cheaper to record and query.
cudaEvent_t CudaDeviceMemory::take_event() {
  if (!spare_events_.empty()) {
    cudaEvent_t e = spare_events_.back();
    spare_events_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  NDFLOW_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return e;
}

void* alloc_pinned_host(std::size_t bytes) {
  void* p = nullptr;
  const cudaError_t status = cudaHostAlloc(&p, bytes, cudaHostAllocPortable);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // an answer, as in raw_alloc
    return nullptr;
  }
  NDFLOW_CUDA_CHECK(status);
  return p;
}

void free_pinned_host(void* p) noexcept {
  // At teardown the driver may be gone, and the memory with it: nothing left to do.
  if (cudaFreeHost(p) != cudaSuccess) (void)cudaGetLastError();
}

}  // namespace ndflow::cuda
