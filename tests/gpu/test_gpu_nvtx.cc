// NVTX: every GPU op pushes a range named after it, so Nsight Systems shows ops by name. A
// test tool (nvtx_recorder) stands in for Nsight: NVTX loads it, at its first range in the
// process, from NVTX_INJECTION64_PATH, which this file sets before main.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "gpu/gpu_device.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"

#if NDFLOW_TEST_NVTX
#include "gpu/nvtx_recorder.h"
#endif

namespace ndflow_test {
namespace {

#if NDFLOW_TEST_NVTX
// Before main, hence before any range; a tool already named (say, Nsight's) is left alone.
const bool g_recorder_named = [] {
  return setenv("NVTX_INJECTION64_PATH", NDFLOW_NVTX_RECORDER, /*overwrite=*/0) == 0;
}();
#endif

TEST(GpuNvtxTest, EveryGpuOpPushesARangeNamedAfterIt) {
#if !NDFLOW_TEST_NVTX
  GTEST_SKIP() << "built without CUDA: ndflow has no NVTX ranges";
#else
  if (ndflow::num_gpus() < 1)
    GTEST_SKIP() << "needs a GPU (NDFLOW_SIMULATED_GPUS=1 will do): "
                 << ndflow::detail::gpu_absence_reason();
  if (std::string(std::getenv("NVTX_INJECTION64_PATH")) != NDFLOW_NVTX_RECORDER)
    GTEST_SKIP() << "another NVTX tool is attached (NVTX_INJECTION64_PATH)";
  ASSERT_TRUE(g_recorder_named);
  ndflow::wait_all();
  nvtx_recorder::arm();
  const ndflow::Array x = ndflow::ones({8, 8}, ndflow::kFloat32, ndflow::Device::gpu(0));
  const ndflow::Array y = ndflow::matmul(x, x) + 1;
  (void)y.copy_to(ndflow::Device::cpu()).to_vector<float>();
  const std::vector<std::string> names = nvtx_recorder::disarm();
  ASSERT_TRUE(nvtx_recorder::injected()) << "NVTX did not load the recorder";
  for (const char* op : {"full", "matmul", "add", "copy_to"})
    EXPECT_NE(std::find(names.begin(), names.end(), op), names.end())
        << "no range named " << op << " among " << names.size() << " ranges";
#endif
}

}  // namespace
}  // namespace ndflow_test
