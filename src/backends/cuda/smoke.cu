// A first end-to-end check of a GPU: allocate, run a kernel, copy back, compare. Used by
// ndflow-info --check and the GPU tests, so a GPU machine shows at once whether the
// toolchain, the driver and the device work together.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/current_device.h"
#include "backends/cuda/smoke.h"

namespace ndflow::cuda {
namespace {

__global__ void iota_times_two(float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = 2.0f * static_cast<float>(i);
}

}  // namespace

std::string smoke_test(int device) {
  constexpr int n = 1 << 20;
  const CurrentDeviceScope on(device);  // the caller's current device is given back after
  float* d = nullptr;
  NDFLOW_CUDA_CHECK(cudaMalloc(&d, n * sizeof(float)));
  iota_times_two<<<(n + 255) / 256, 256>>>(d, n);
  cudaError_t launched = cudaGetLastError();
  std::vector<float> host(n);
  cudaError_t copied = launched == cudaSuccess
                           ? cudaMemcpy(host.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost)
                           : launched;
  cudaFree(d);
  NDFLOW_CUDA_CHECK(copied);
  for (int i = 0; i < n; ++i)
    if (host[i] != 2.0f * static_cast<float>(i))
      return "element " + std::to_string(i) + " is " + std::to_string(host[i]) + ", not " +
             std::to_string(2.0f * static_cast<float>(i));
  return "";
}

}  // namespace ndflow::cuda
