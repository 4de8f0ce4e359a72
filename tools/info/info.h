// ndflow-info: what the build has and what it sees (also `python -m ndflow.info`).
#pragma once

#include <string>
#include <vector>

namespace ndflow::info {

// Runs ndflow-info with `args` (without the program name); returns the exit status.
int info_main(const std::vector<std::string>& args);

}  // namespace ndflow::info
