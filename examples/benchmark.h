// d2l's Benchmark, which the chapters' listings time with: it times its own scope and
// prints "<description>: <seconds> sec" when the scope ends.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

namespace examples {

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
