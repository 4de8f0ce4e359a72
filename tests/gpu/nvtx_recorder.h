// A test NVTX tool: a library that NVTX loads as its injection (NVTX_INJECTION64_PATH) and
// that records the names of the ranges pushed while armed, so that tests see what Nsight
// Systems would.
#pragma once

#include <string>
#include <vector>

namespace ndflow_test::nvtx_recorder {

// Starts recording (clearing what was recorded before).
void arm();
// Stops recording and returns the names of the ranges pushed since arm(), in push order.
std::vector<std::string> disarm();
// Whether NVTX loaded this library and handed it its callbacks.
bool injected();

}  // namespace ndflow_test::nvtx_recorder
