// ndflow-demo's command line, shared by the program and `python -m ndflow.demo`.
#pragma once

#include <string>
#include <vector>

namespace ndflow::demo {

// Runs the demo with `args` (without the program name): prints the report (or JSON) on
// stdout and progress on stderr. Returns the exit status: 0, or 2 for bad arguments.
int demo_main(const std::vector<std::string>& args);

}  // namespace ndflow::demo
