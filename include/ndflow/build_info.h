// What the build has and what it sees: the facts ndflow-info prints (BLAS, CUDA, GPUs).
// Free of CUDA headers, like every public header.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ndflow {

// A GPU the CUDA runtime reports. Seeing one does not mean arrays can live on it: that is
// num_gpus() (device.h), which counts the GPUs the array layer can use.
struct GpuInfo {
  int index = 0;
  std::string name;
  std::size_t total_bytes = 0, free_bytes = 0;
  int compute_major = 0, compute_minor = 0;
};

std::string version();           // ndflow's, "0.1.0"
std::string blas_description();  // the BLAS library and its build, e.g. "OpenBLAS 0.3.21 ..."

bool cuda_compiled() noexcept;       // built with CUDA (nvcc was found, NDFLOW_CUDA on)
std::string cuda_runtime_version();  // "13.0"; "" without CUDA
std::string cuda_driver_version();   // "13.0"; "" without CUDA or a driver
// The GPUs the CUDA runtime reports; never throws: empty when there are none, and then
// gpu_absence_reason() says why ("no CUDA device visible: ...").
std::vector<GpuInfo> visible_gpus();
std::string gpu_absence_reason();
// Runs a small kernel on GPU `index` and checks its result: "" when right, else what was
// wrong. Throws DeviceError when CUDA fails or the build has no CUDA.
std::string gpu_smoke_test(int index);

}  // namespace ndflow
