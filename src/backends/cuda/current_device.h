// CurrentDeviceScope: makes one GPU current for the length of a call and gives the caller's
// device back after. CUDA's current device is per thread, and the functions of this backend
// run on pushing threads and engine workers, which may be bound to another GPU.
#pragma once

#include <cuda_runtime_api.h>

#include "backends/cuda/cuda_check.h"
#include "ndflow/error.h"

namespace ndflow::cuda {

// Costs one cudaGetDevice when `device` is current already (a lane worker after
// bind_thread), and a cudaSetDevice each way otherwise.
class CurrentDeviceScope {
 public:
  explicit CurrentDeviceScope(int device) {
    NDFLOW_CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != device) {
      NDFLOW_CUDA_CHECK(cudaSetDevice(device));
      switched_ = true;
    }
  }
  ~CurrentDeviceScope() {
    if (!switched_) return;
    try {
      NDFLOW_CUDA_CHECK(cudaSetDevice(previous_));
    } catch (const DeviceError&) {
      // It was current a moment ago, so only a lost context fails here, and a destructor
      // cannot throw: the next checked call reports it.
    }
  }
  CurrentDeviceScope(const CurrentDeviceScope&) = delete;
  CurrentDeviceScope& operator=(const CurrentDeviceScope&) = delete;

 private:
  int previous_ = 0;
  bool switched_ = false;
};

}  // namespace ndflow::cuda
