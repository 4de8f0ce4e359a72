// ndflow-demo's outputs: the text report, the JSON results, and per experiment a Chrome
// trace and a timeline picture in the output folder.
#pragma once

#include <string>
#include <vector>

#include "tools/demo/experiments.h"

namespace ndflow::demo {

// The report a person reads: per experiment its times, its ratio and one line of reading.
std::string format_report(const std::vector<ExperimentResult>& results, const DemoOptions& options);

// The same as one JSON object: {"version", "quick", "runs", "out_dir", "cpu_workers",
// "gpus" (usable by arrays), "visible_gpus", "experiments": [{"id", "title", "chapter", "status":
// "ran"|"skipped", "reason", "device", "times": {label: seconds}, "ratio": {"name", "value",
// "ideal"}, "model", "reading", "trace", "timeline", "lanes"}]}.
std::string format_json(const std::vector<ExperimentResult>& results, const DemoOptions& options);

// Writes <id>.trace.json and <id>.svg for each experiment that ran into options.out_dir
// (created if missing). Throws std::runtime_error when it cannot write.
void write_artifacts(const std::vector<ExperimentResult>& results, const DemoOptions& options);

}  // namespace ndflow::demo
