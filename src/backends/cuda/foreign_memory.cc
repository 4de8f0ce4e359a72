#include "backends/cuda/foreign_memory.h"

#include <cuda_runtime_api.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_memory.h"

namespace ndflow::cuda {

int device_of_pointer(const void* p) {
  cudaPointerAttributes attributes{};
  const cudaError_t status = cudaPointerGetAttributes(&attributes, p);
  if (status == cudaErrorInvalidValue) {
    (void)cudaGetLastError();  // an answer (not CUDA's memory), not a failure
    return -1;
  }
  NDFLOW_CUDA_CHECK(status);
  const bool on_device =
      attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
  return on_device ? attributes.device : -1;
}

void wait_for_legacy_default_stream(void* stream) {
  // An event, not a host wait: the stream waits on the device. Timing off: cheaper.
  cudaEvent_t e = nullptr;
  NDFLOW_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  const cudaError_t recorded = cudaEventRecord(e, cudaStreamLegacy);
  const cudaError_t waited = recorded == cudaSuccess
                                 ? cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), e, 0)
                                 : recorded;
  // Destroying an event that work still waits for is allowed: CUDA frees it once done.
  destroy_event_quietly(e);
  NDFLOW_CUDA_CHECK(waited);
}

}  // namespace ndflow::cuda
