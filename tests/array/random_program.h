// A random array program (docs in random_program.cc): the differential backbone for the
// engine's modes (test_engine_modes.cc) and for GPUs against the CPU (tests/gpu/).
#pragma once

#include <cstdint>
#include <vector>

#include "ndflow/device.h"

namespace ndflow_test {

// Runs one random program with its arrays on `device`, on the current array engine;
// returns every result's values (as doubles, row-major). The same seed gives the same
// program on every device: on a GPU, two extra kinds of step move an array to another
// device and back (the CPU program copies it instead), so results compare bit for bit.
std::vector<std::vector<double>> run_program(std::uint64_t seed,
                                             ndflow::Device device = ndflow::Device::cpu());

}  // namespace ndflow_test
