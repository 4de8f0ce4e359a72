// Returns from main with GPU work in flight, on an engine made before the GPUs started (a
// program that computed on the CPU first). At exit the pending GPU ops must still run on a
// live GPU runtime, and a last op must see the right values: it prints "exit check: values
// correct", which the test looks for. Before the GPUs' exit handler (gpu_device.cc), the
// engine finished its ops only after CUDA had unloaded, and they failed.
//
// With --library-started-late, a stand-in for cuBLAS or cuRAND starts after the GPUs have,
// registering the teardown of its own runtime at exit then, as those libraries' built-in
// CUDA runtimes may; and calls keep_gpu_exit_handler_first, as the kernels do after a
// library's first call. The last op must still find that runtime alive: it prints "library
// alive" (or "library torn down").
//
// Run on simulated GPUs (label gpusim) for the exit path, and on CUDA (label gpu), where
// the order matters; without a GPU it prints the reason and the test is skipped.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "array/array_impl.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/device.h"
#include "runtime/gpu_exit_handler.h"

namespace {

std::atomic<bool> g_library_alive{false};

void start_library_late() {
  g_library_alive = true;
  std::atexit([] { g_library_alive = false; });
  static std::once_flag started;
  ndflow::detail::keep_gpu_exit_handler_first(started);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ndflow;
  const bool library_started_late =
      argc > 1 && std::string_view(argv[1]) == "--library-started-late";
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
  if (library_started_late) start_library_late();
  Array x = m;
  for (int i = 0; i < 50; ++i) x = matmul(x, m);
  const Array host = x.copy_to(Device::cpu());
  // Not waited for: the engine finishes this op at exit.
  const detail::ArrayImpl& h = detail::impl_of(host, "exit check");
  detail::array_engine().push(
      [data = reinterpret_cast<const float*>(h.data()), library_started_late] {
        bool ok = true;
        for (int i = 0; i < n * n; ++i) ok = ok && data[i] == 1.0f / n;
        std::printf("exit check: values %s\n", ok ? "correct" : "WRONG");
        if (library_started_late)
          std::printf("exit check: library %s\n", g_library_alive ? "alive" : "torn down");
        std::fflush(stdout);
      },
      {h.var()}, {});
  return 0;
}
