// The reporters behind NDFLOW_CUDA_CHECK, NDFLOW_CUBLAS_CHECK and NDFLOW_CURAND_CHECK.
#include "backends/cuda/cuda_check.h"

#include <cublas_api.h>
#include <curand.h>

#include <string>

#include "ndflow/error.h"

namespace ndflow::cuda {
namespace {

static_assert(CUBLAS_STATUS_SUCCESS == 0 && CURAND_STATUS_SUCCESS == 0,
              "check_cublas and check_curand take 0 for success");

// Out of memory throws OutOfMemoryError (a DeviceError), which callers may answer by
// emptying the caches and trying once more (gpu_op.cc).
[[noreturn]] void throw_failure(const char* library, const char* call, const char* file, int line,
                                const std::string& what, bool out_of_memory) {
  std::string message = std::string("ndflow: ") + library + " call " + call + " failed at " + file +
                        ":" + std::to_string(line) + ": " + what;
  if (out_of_memory) {
    message +=
        " (the GPU is out of memory outside ndflow's caching allocator: free arrays "
        "you no longer need, or lower the batch size)";
    throw OutOfMemoryError(message);
  }
  throw DeviceError(message);
}

// cuRAND has no cudaGetErrorName of its own.
const char* curand_status_name(curandStatus_t s) {
  switch (s) {
    case CURAND_STATUS_SUCCESS:
      return "CURAND_STATUS_SUCCESS";
    case CURAND_STATUS_VERSION_MISMATCH:
      return "CURAND_STATUS_VERSION_MISMATCH";
    case CURAND_STATUS_NOT_INITIALIZED:
      return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED:
      return "CURAND_STATUS_ALLOCATION_FAILED";
    case CURAND_STATUS_TYPE_ERROR:
      return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_OUT_OF_RANGE:
      return "CURAND_STATUS_OUT_OF_RANGE";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE:
      return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED:
      return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
    case CURAND_STATUS_LAUNCH_FAILURE:
      return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_PREEXISTING_FAILURE:
      return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED:
      return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_ARCH_MISMATCH:
      return "CURAND_STATUS_ARCH_MISMATCH";
    case CURAND_STATUS_INTERNAL_ERROR:
      return "CURAND_STATUS_INTERNAL_ERROR";
  }
  return "unknown cuRAND status";
}

}  // namespace

void report_failure(cudaError_t code, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  throw_failure("CUDA", call, file, line,
                std::string(cudaGetErrorName(code)) + ": " + cudaGetErrorString(code),
                code == cudaErrorMemoryAllocation);
}

void report_cublas_failure(int status, const char* call, const char* file, int line) {
  // A failed launch inside cuBLAS may also have left CUDA's last error set.
  (void)cudaGetLastError();
  throw_failure("cuBLAS", call, file, line,
                cublasGetStatusName(static_cast<cublasStatus_t>(status)),
                status == CUBLAS_STATUS_ALLOC_FAILED);
}

void report_curand_failure(int status, const char* call, const char* file, int line) {
  (void)cudaGetLastError();
  throw_failure("cuRAND", call, file, line,
                std::string(curand_status_name(static_cast<curandStatus_t>(status))) + " (" +
                    std::to_string(status) + ")",
                status == CURAND_STATUS_ALLOCATION_FAILED);
}

}  // namespace ndflow::cuda
