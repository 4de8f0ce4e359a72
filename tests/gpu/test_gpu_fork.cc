// GPUs and fork(): CUDA does not survive a fork, nor do a simulated GPU's threads, so a
// child of a process that started its GPUs gets a clear error for every use of a GPU (as
// PyTorch's "Cannot re-initialize CUDA in forked subprocess") and computes on the CPU as
// before; the parent keeps both.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "forked_child.h"
#include "gpu/two_gpu_test.h"
#include "ndflow/array.h"
#include "ndflow/error.h"

namespace ndflow_test {
namespace {

using ndflow::Array;
using ndflow::Device;

using GpuForkTest = TwoGpuTest;

// Whether f throws the DeviceError that says the process was forked.
template <class F>
bool RefusedAsForked(F&& f) {
  try {
    f();
  } catch (const ndflow::DeviceError& e) {
    return std::string(e.what()).find("forked from the process that started the GPUs") !=
           std::string::npos;
  }
  return false;
}

TEST_F(GpuForkTest, AChildGetsAClearErrorForEveryUseOfAGpuAndComputesOnTheCpu) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer ends a child that starts threads after a fork of a "
                  "multi-threaded process (die_after_fork); the engine's fork tests run under it";
#endif
  const Device gpu0 = Device::gpu(0);
  const Array g = ndflow::full({64, 64}, 1, ndflow::kFloat32, gpu0);
  const Array product = ndflow::matmul(g, g);  // in flight, perhaps, at the fork
  const Array cpu = ndflow::full({4}, 3, ndflow::kFloat32);
  const std::string child = RunInForkedChild([&] {
    int failures = 0;
    if (!RefusedAsForked([&] { (void)ndflow::zeros({2}, ndflow::kFloat32, gpu0); })) failures |= 1;
    if (!RefusedAsForked([&] { (void)(g + 1); })) failures |= 2;
    if (!RefusedAsForked([&] { (void)product.to_vector<float>(); })) failures |= 4;
    if (!RefusedAsForked([&] { product.wait_to_read(); })) failures |= 8;
    if ((cpu + 1).to_vector<float>() != std::vector<float>(4, 4.0f)) failures |= 16;
    ndflow::wait_all();  // nothing of the child's is on a GPU: no error, no hang
    return failures;
  });
  // Bits of the exit status: 1 a new GPU array, 2 an op on one, 4 reading one and 8 waiting
  // for one were not refused, saying why; 16 the CPU gave a wrong sum.
  EXPECT_EQ(child, "exit 0");
  EXPECT_EQ(product.to_vector<float>(), std::vector<float>(64 * 64, 64.0f));
  EXPECT_EQ((g + 1).to_vector<float>(), std::vector<float>(64 * 64, 2.0f));
}

}  // namespace
}  // namespace ndflow_test
