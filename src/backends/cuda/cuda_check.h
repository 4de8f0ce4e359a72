// The one way CUDA calls are checked: NDFLOW_CUDA_CHECK(cudaMalloc(...)). A failure throws
// ndflow::DeviceError naming the call, where it was made, and CUDA's own words for it.
#pragma once

#include <cuda_runtime_api.h>

namespace ndflow::cuda {

// The reporter every check goes through (one place to log, count or break on).
[[noreturn]] void report_failure(cudaError_t code, const char* call, const char* file, int line);

inline void check(cudaError_t code, const char* call, const char* file, int line) {
  if (code != cudaSuccess) report_failure(code, call, file, line);
}

}  // namespace ndflow::cuda

#define NDFLOW_CUDA_CHECK(call) ::ndflow::cuda::check((call), #call, __FILE__, __LINE__)
