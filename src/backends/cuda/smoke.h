// A first end-to-end check of one GPU (see smoke.cu).
#pragma once

#include <string>

namespace ndflow::cuda {

// Runs a kernel on `device` and checks its output: "" when right, else what was wrong.
// Throws DeviceError when a CUDA call fails.
std::string smoke_test(int device);

}  // namespace ndflow::cuda
