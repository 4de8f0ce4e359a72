// Returns from main with GPU work in flight, on an engine made before the GPUs started (a
// program that computed on the CPU first). At exit the pending GPU ops must still run on a
// live GPU runtime, and a last op must see the right values: it prints "exit check: values
// correct", which the test looks for. Before the GPUs' exit handler (gpu_device.cc), the
// engine finished its ops only after CUDA had unloaded, and they failed.
//
// Run on simulated GPUs (label gpusim) for the exit path, and on CUDA (label gpu), where
// the order matters; without a GPU it prints the reason and the test is skipped.
#include <cstdio>
#include <string>

#include "array/array_impl.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/device.h"

int main() {
  using namespace ndflow;
  // The default engine first, as in a program that starts on the CPU.
  Array warm = ones({4});
  warm.wait_to_read();
  if (num_gpus() == 0) {
    std::printf("skipped: %s\n", gpu_absence_reason().c_str());
    return 0;
  }
  // Each entry of m is 1/n, so m @ m == m exactly (sums of powers of two).
  constexpr int n = 512;
  const Array m = full({n, n}, 1.0 / n, kFloat32, Device::gpu(0));
  Array x = m;
  for (int i = 0; i < 50; ++i) x = matmul(x, m);
  const Array host = x.copy_to(Device::cpu());
  // Not waited for: the engine finishes this op at exit.
  const detail::ArrayImpl& h = detail::impl_of(host, "exit check");
  detail::array_engine().push(
      [data = reinterpret_cast<const float*>(h.data())] {
        bool ok = true;
        for (int i = 0; i < n * n; ++i) ok = ok && data[i] == 1.0f / n;
        std::printf("exit check: values %s\n", ok ? "correct" : "WRONG");
        std::fflush(stdout);
      },
      {h.var()}, {});
  return 0;
}
