// The first GPU checks: the build finds every visible GPU, and a kernel runs on each and
// gives the right answer. Without a GPU each test is skipped, saying why.
#include <gtest/gtest.h>

#include <string>

#include "ndflow/build_info.h"
#include "ndflow/error.h"

namespace {

#define NDFLOW_SKIP_WITHOUT_GPU() \
  if (ndflow::visible_gpus().empty()) GTEST_SKIP() << ndflow::gpu_absence_reason()

TEST(GpuSmokeTest, EveryVisibleGpuRunsAKernelRight) {
  NDFLOW_SKIP_WITHOUT_GPU();
  for (const ndflow::GpuInfo& g : ndflow::visible_gpus()) {
    EXPECT_FALSE(g.name.empty());
    EXPECT_GT(g.total_bytes, 0u);
    EXPECT_EQ(ndflow::gpu_smoke_test(g.index), "") << "gpu(" << g.index << ") " << g.name;
  }
}

TEST(GpuSmokeTest, ABadDeviceIsAClearDeviceError) {
  NDFLOW_SKIP_WITHOUT_GPU();
  try {
    ndflow::gpu_smoke_test(1000);
    FAIL() << "gpu(1000) does not exist";
  } catch (const ndflow::DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("cudaSetDevice"), std::string::npos) << e.what();
  }
}

TEST(BuildInfoTest, AbsenceHasAReasonAndCudaVersionsAgreeWithTheBuild) {
  if (ndflow::visible_gpus().empty())
    EXPECT_NE(ndflow::gpu_absence_reason().find("no CUDA device visible"), std::string::npos);
  EXPECT_EQ(ndflow::cuda_runtime_version().empty(), !ndflow::cuda_compiled());
  EXPECT_FALSE(ndflow::blas_description().empty());
}

}  // namespace
