// The d2l helpers the chapters' listings use, as python/ndflow/d2l.py has them: Benchmark
// and the device pickers.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "ndflow/device.h"

namespace examples {

// gpu(i) if it exists, else cpu().
inline ndflow::Device try_gpu(int i = 0) {
  return ndflow::num_gpus() > i ? ndflow::Device::gpu(i) : ndflow::Device::cpu();
}

// Every GPU; on a machine without one, the CPU twice, so that listings indexing devices[0]
// and devices[1] still run (on the engine's CPU workers).
inline std::vector<ndflow::Device> try_all_gpus() {
  std::vector<ndflow::Device> gpus;
  for (int i = 0; i < ndflow::num_gpus(); ++i) gpus.push_back(ndflow::Device::gpu(i));
  if (gpus.empty()) return {ndflow::Device::cpu(), ndflow::Device::cpu()};
  return gpus;
}

// Times its own scope and prints "<description>: <seconds> sec" when the scope ends.
class Benchmark {
 public:
  explicit Benchmark(std::string description = "Done") : description_(std::move(description)) {}
  ~Benchmark() {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    std::printf("%s: %.4f sec\n", description_.c_str(), elapsed.count());
    std::fflush(stdout);
  }
  Benchmark(const Benchmark&) = delete;
  Benchmark& operator=(const Benchmark&) = delete;

 private:
  std::string description_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace examples
