// The build's facts and GPU discovery, for ndflow-info and the GPU checks
// (include/ndflow/build_info.h).
#include "ndflow/build_info.h"

#include "backends/cpu/blas.h"
#include "ndflow/error.h"

#if NDFLOW_HAS_CUDA
#include <cuda_runtime_api.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/smoke.h"
#endif

namespace ndflow {
namespace {

#if NDFLOW_HAS_CUDA
std::string version_text(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

// cudaGetDeviceCount's answer: the count, or 0 with the reason.
int device_count(std::string* reason) {
  int count = 0;
  const cudaError_t code = cudaGetDeviceCount(&count);
  if (code != cudaSuccess) {
    cudaGetLastError();
    if (reason)
      *reason = std::string("no CUDA device visible (") + cudaGetErrorName(code) + ": " +
                cudaGetErrorString(code) + ")";
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device visible";
  return count;
}
#endif

}  // namespace

std::string version() { return "0.1.0"; }

std::string blas_description() { return detail::blas_config(); }

bool cuda_compiled() noexcept { return NDFLOW_HAS_CUDA != 0; }

std::string cuda_runtime_version() {
#if NDFLOW_HAS_CUDA
  int v = 0;
  return cudaRuntimeGetVersion(&v) == cudaSuccess ? version_text(v) : "";
#else
  return "";
#endif
}

std::string cuda_driver_version() {
#if NDFLOW_HAS_CUDA
  int v = 0;
  return cudaDriverGetVersion(&v) == cudaSuccess && v > 0 ? version_text(v) : "";
#else
  return "";
#endif
}

std::vector<GpuInfo> visible_gpus() {
  std::vector<GpuInfo> gpus;
#if NDFLOW_HAS_CUDA
  const int count = device_count(nullptr);
  // cudaMemGetInfo reads the current device: set each in turn, then give the caller's back.
  int previous = -1;
  if (count > 0 && cudaGetDevice(&previous) != cudaSuccess) {
    cudaGetLastError();
    previous = -1;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    GpuInfo info;
    info.index = i;
    info.name = prop.name;
    info.total_bytes = prop.totalGlobalMem;
    info.compute_major = prop.major;
    info.compute_minor = prop.minor;
    std::size_t free = 0, total = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free, &total) == cudaSuccess)
      info.free_bytes = free;
    cudaGetLastError();
    gpus.push_back(info);
  }
  if (previous >= 0 && cudaSetDevice(previous) != cudaSuccess) cudaGetLastError();
#endif
  return gpus;
}

std::string gpu_absence_reason() {
#if NDFLOW_HAS_CUDA
  std::string reason;
  return device_count(&reason) > 0 ? "" : reason;
#else
  return "no CUDA device visible: this build has no CUDA (nvcc not found, or NDFLOW_CUDA=OFF)";
#endif
}

std::string gpu_smoke_test(int index) {
#if NDFLOW_HAS_CUDA
  return cuda::smoke_test(index);
#else
  (void)index;
  throw DeviceError("ndflow: gpu_smoke_test: this build has no CUDA");
#endif
}

}  // namespace ndflow
