// The one way CUDA calls are checked: NDFLOW_CUDA_CHECK(cudaMalloc(...)). A failure throws
// ndflow::DeviceError naming the call, where it was made, and CUDA's own words for it; out
// of memory (cudaErrorMemoryAllocation, CUBLAS_STATUS_ALLOC_FAILED,
// CURAND_STATUS_ALLOCATION_FAILED) throws its subclass OutOfMemoryError.
// NDFLOW_CUBLAS_CHECK and NDFLOW_CURAND_CHECK do the same for cuBLAS and cuRAND calls.
#pragma once

#include <cuda_runtime_api.h>

namespace ndflow::cuda {

// The reporters every check goes through (one place to log, count or break on).
[[noreturn]] void report_failure(cudaError_t code, const char* call, const char* file, int line);
// `status` is a cublasStatus_t / curandStatus_t, passed as int so that this header needs
// neither library's headers (both libraries' success value is 0).
[[noreturn]] void report_cublas_failure(int status, const char* call, const char* file, int line);
[[noreturn]] void report_curand_failure(int status, const char* call, const char* file, int line);

inline void check(cudaError_t code, const char* call, const char* file, int line) {
  if (code != cudaSuccess) report_failure(code, call, file, line);
}
inline void check_cublas(int status, const char* call, const char* file, int line) {
  if (status != 0) report_cublas_failure(status, call, file, line);
}
inline void check_curand(int status, const char* call, const char* file, int line) {
  if (status != 0) report_curand_failure(status, call, file, line);
}

}  // namespace ndflow::cuda

#define NDFLOW_CUDA_CHECK(call) ::ndflow::cuda::check((call), #call, __FILE__, __LINE__)
#define NDFLOW_CUBLAS_CHECK(call) \
  ::ndflow::cuda::check_cublas(static_cast<int>(call), #call, __FILE__, __LINE__)
#define NDFLOW_CURAND_CHECK(call) \
  ::ndflow::cuda::check_curand(static_cast<int>(call), #call, __FILE__, __LINE__)
