// Device: where memory lives and work runs. A small, hashable value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace ndflow {

enum class DeviceType : std::uint8_t { kCPU = 0, kGPU = 1 };

struct Device {
  DeviceType type = DeviceType::kCPU;
  std::int16_t index = 0;

  static constexpr Device cpu(int i = 0) noexcept {
    return Device{DeviceType::kCPU, static_cast<std::int16_t>(i)};
  }
  static constexpr Device gpu(int i = 0) noexcept {
    return Device{DeviceType::kGPU, static_cast<std::int16_t>(i)};
  }
  constexpr bool is_cpu() const noexcept { return type == DeviceType::kCPU; }
  constexpr bool operator==(const Device&) const noexcept = default;

  // "cpu(0)", "gpu(1)": the spelling the chapters and error messages use.
  std::string to_string() const;
};

// GPUs arrays can use: every visible CUDA GPU, each split into NDFLOW_LOGICAL_GPUS logical
// ones; or NDFLOW_SIMULATED_GPUS simulated ones. 0 when there are none.
int num_gpus();
// What gpu(i) is: "NVIDIA H100 80GB HBM3", "simulated", with " (logical k of n)" for a split
// GPU. Throws DeviceError when gpu(i) does not exist.
std::string gpu_name(int i);
// The CUDA device ordinal behind gpu(i), for handing its memory to other CUDA libraries
// (logical GPUs give their physical GPU's); -1 for a simulated GPU, whose memory is host
// memory. Throws DeviceError when gpu(i) does not exist.
int gpu_cuda_ordinal(int i);
// Whether the GPUs are simulated (NDFLOW_SIMULATED_GPUS: host threads and host memory, for
// testing GPU code paths; their timings say nothing about a GPU's speed).
bool gpus_simulated();
// Whether the GPUs' ops run the CPU's kernels, and so give the CPU's results bit for bit:
// simulated GPUs do by default. CUDA GPUs run the CUDA kernels, and so do simulated GPUs
// under NDFLOW_SIMULATED_GPU_KERNELS=cuda (in a build with CUDA): the same kernel code, run
// on the host, so that it is tested on machines without a GPU. False when there are no GPUs.
bool gpus_run_cpu_kernels();

}  // namespace ndflow

template <>
struct std::hash<ndflow::Device> {
  std::size_t operator()(const ndflow::Device& d) const noexcept {
    return (static_cast<std::size_t>(d.type) << 16) ^ static_cast<std::uint16_t>(d.index);
  }
};
