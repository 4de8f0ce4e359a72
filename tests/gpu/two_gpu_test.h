// The fixture of the GPU suites: they need two GPUs, which CTest gives them as two simulated
// ones (label gpusim) or as one CUDA GPU split in two (label gpu); elsewhere every test skips,
// saying why. Each test ends waiting for all GPU work, so none leaks into the next.
#pragma once

#include <gtest/gtest.h>

#include "gpu/gpu_device.h"
#include "ndflow/array.h"

namespace ndflow_test {

class TwoGpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ndflow::num_gpus() < 2)
      GTEST_SKIP() << "needs 2 GPUs (this suite runs with NDFLOW_SIMULATED_GPUS=2): "
                   << ndflow::detail::gpu_absence_reason();
  }
  void TearDown() override { ndflow::wait_all(); }
};

}  // namespace ndflow_test
