// The reporter behind NDFLOW_CUDA_CHECK.
#include "backends/cuda/cuda_check.h"

#include <string>

#include "ndflow/error.h"

namespace ndflow::cuda {

void report_failure(cudaError_t code, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  throw DeviceError(std::string("ndflow: CUDA call ") + call + " failed at " + file + ":" +
                    std::to_string(line) + ": " + cudaGetErrorName(code) + ": " +
                    cudaGetErrorString(code));
}

}  // namespace ndflow::cuda
