// The chapters' experiments, as ndflow-demo runs them: each is timed after a warm-up as the
// median of several runs, and its last run is profiled for a trace and a timeline.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ndflow/engine.h"

namespace ndflow::demo {

struct DemoOptions {
  bool quick = false;  // small sizes and fewer runs: seconds in all
  int runs = 5;        // timed runs per experiment (the median is reported)
  std::string out_dir = "ndflow-demo-out";
};

// One timed part of an experiment ("Run", "Copy", "Run and copy"): its median in seconds.
struct Part {
  std::string label;
  double seconds = 0;
};

struct ExperimentResult {
  std::string id;       // file-name friendly: "compute_copy_overlap"
  std::string title;    // "Computation overlapped with copies"
  std::string chapter;  // where it comes from: "async-computation", "auto-parallelism"
  bool skipped = false;
  std::string skip_reason;  // why, when skipped
  std::string device;       // where it ran: "cpu(0): 2 compute workers + 1 copy worker"
  std::vector<Part> parts;
  std::string ratio_name;  // what the ratio divides: "sum of parts / together"
  double ratio = 0;
  double ideal = 0;  // the ratio's best value here (0 when it has none)
  std::vector<std::pair<std::string, double>> model;  // fitted parameters, e.g. t1 (us)
  std::string reading;                                // one line: what the numbers show
  std::vector<ProfileRecord> profile;                 // the profiled run's ops
  std::string trace_json;  // the same as a Chrome trace (Engine::profiler_json)
  // The timeline's rows, in lane order: each lane the ops used, and under a GPU lane its
  // stream (timeline_row).
  std::vector<std::string> lanes;
};

// The timeline row of a record: its lane's name ("gpu(0) compute"), with " stream" for the
// span of a GPU op's work on the stream (ProfileRecord::on_stream).
std::string timeline_row(const ProfileRecord& r);

// Called before each experiment and each run, for a progress line.
using Progress =
    std::function<void(int index, int count, const std::string& title, const std::string& step)>;

// Runs every experiment on the default engine, in the chapters' order. Experiments whose
// devices are absent come back skipped, with the reason.
std::vector<ExperimentResult> run_experiments(const DemoOptions& options, const Progress& progress);

}  // namespace ndflow::demo
