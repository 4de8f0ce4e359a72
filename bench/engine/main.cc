// ndflow-bench-engine: the engine's cost per op on workloads W1-W4, next to the figures the
// peers (Taskflow, OpenMP tasks, StarPU, TBB) reached on the same workloads and our targets.
//
// Every workload runs on a fresh Engine built from EngineOptions::from_env() (so
// NDFLOW_ENGINE, NDFLOW_CPU_WORKERS and NDFLOW_MAX_INFLIGHT apply): one warm-up run, then
// the repetitions; a run's figure is its push + wait time divided by its op count.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bench/common/cli.h"
#include "bench/engine/workloads.h"
#include "ndflow/engine.h"

namespace ndflow::bench {
namespace {

constexpr char kUsage[] =
    "usage: ndflow-bench-engine [--quick] [--reps N] [--json]\n"
    "  --quick   sizes 10x smaller and 3 repetitions (a few seconds at most)\n"
    "  --reps N  timed repetitions per workload, after one warm-up (default 5)\n"
    "  --json    print one JSON object (ns per op by workload) instead of a table\n";

constexpr int kVars = 1000;    // W3 spreads its ops over this many vars
constexpr int kFloats = 1000;  // length of W4's x and y
constexpr double kNone = -1;   // no figure

// Figures to compare with, in ns per op (kNone where there is none).
struct Reference {
  double target = kNone;
  double taskflow = kNone;
  double openmp = kNone;
  double starpu = kNone;
  double tbb = kNone;
};

// An engine workload: one timed run on the given engine returns its ns per op.
struct Workload {
  const char* key;   // the JSON key
  const char* what;  // a few words for the table
  std::int64_t ops;
  std::function<double(Engine&)> run;
  Reference ref;
};

// One line of results.
struct Row {
  const char* key;
  const char* what;
  std::int64_t ops;
  Summary summary;
  Reference ref;
};

// The workloads at full size divided by `scale`; the peers were measured at full size.
std::vector<Workload> Workloads(std::int64_t scale) {
  const std::int64_t w1 = 200'000 / scale, w2 = 100'000 / scale, w3 = 200'000 / scale,
                     w4 = 10'000 / scale;
  return {
      {"W1",
       "independent, no vars",
       w1,
       [=](Engine& e) { return RunIndependent(e, w1); },
       {.target = 100, .taskflow = 356, .openmp = 293, .starpu = 1608, .tbb = 110}},
      {"W2",
       "chain on one var",
       w2,
       [=](Engine& e) { return RunSerialChain(e, w2); },
       {.target = 150, .taskflow = 284, .openmp = 501, .starpu = 2413}},
      {"W3",
       "writes over 1000 vars",
       w3,
       [=](Engine& e) { return RunRoundRobin(e, w3, kVars); },
       {.target = 100, .taskflow = 138, .openmp = 361, .starpu = 2140}},
      {"W4_async",
       "y=x+1, push all, wait",
       w4,
       [=](Engine& e) { return RunAddOne(e, w4, kFloats, /*sync=*/false); },
       {.target = 150, .taskflow = 309, .openmp = 632, .starpu = 2621}},
      {"W4_sync",
       "y=x+1, wait each",
       w4,
       [=](Engine& e) { return RunAddOne(e, w4, kFloats, /*sync=*/true); },
       {.target = 300, .openmp = 511, .starpu = 31158, .tbb = 202}},
  };
}

// Runs `run` once to warm up, then `reps` times, and summarises the timed runs.
Summary Measure(int reps, const std::function<double()>& run) {
  run();
  std::vector<double> ns;
  for (int i = 0; i < reps; ++i) ns.push_back(run());
  return Summarize(std::move(ns));
}

// A reference figure for the table: whole ns, or "-" for none.
std::string Figure(double ns) {
  if (ns == kNone) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", ns);
  return buf;
}

// What the benchmark's engines are: read from a short-lived engine built the same way.
struct EngineInfo {
  const char* kind;
  int cpu_workers;
};

EngineInfo ProbeEngine() {
  const Engine engine(EngineOptions::from_env());
  return {engine.kind() == EngineKind::kNaive ? "naive" : "threaded",
          engine.lane_workers(Lane::cpu_compute())};
}

void PrintHeader(const EngineInfo& info, int reps) {
  std::printf(
      "ndflow-bench-engine: %s engine, %d CPU compute workers, %d repetitions after "
      "one warm-up\n",
      info.kind, info.cpu_workers, reps);
  std::printf("ns per op = (push + wait time) / ops; peers and targets measured at full size\n\n");
  std::printf("%-9s %-22s %7s %9s %9s %9s  %6s %8s %6s %7s %5s\n", "workload", "what", "ops",
              "median", "min", "max", "target", "Taskflow", "OpenMP", "StarPU", "TBB");
}

void PrintRow(const Row& row) {
  std::printf("%-9s %-22s %7lld %9.1f %9.1f %9.1f  %6s %8s %6s %7s %5s\n", row.key, row.what,
              static_cast<long long>(row.ops), row.summary.median, row.summary.min, row.summary.max,
              Figure(row.ref.target).c_str(), Figure(row.ref.taskflow).c_str(),
              Figure(row.ref.openmp).c_str(), Figure(row.ref.starpu).c_str(),
              Figure(row.ref.tbb).c_str());
  std::fflush(stdout);
}

// One line: the median ns per op of each workload, the kernel's ns per call, the setup.
void PrintJson(const std::vector<Row>& rows, const Summary& kernel, const EngineInfo& info,
               const Options& options, int reps) {
  std::printf("{");
  for (const Row& row : rows) std::printf("\"%s\": %.1f, ", row.key, row.summary.median);
  std::printf(
      "\"kernel_ns\": %.1f, \"cpu_workers\": %d, \"engine\": \"%s\", \"quick\": %s, "
      "\"reps\": %d}\n",
      kernel.median, info.cpu_workers, info.kind, options.quick ? "true" : "false", reps);
}

int Run(const Options& options) {
  const int reps = options.reps > 0 ? options.reps : options.quick ? 3 : 5;
  const std::int64_t scale = options.quick ? 10 : 1;
  const EngineInfo info = ProbeEngine();
  if (!options.json) PrintHeader(info, reps);

  std::vector<Row> rows;
  for (const Workload& w : Workloads(scale)) {
    Engine engine(EngineOptions::from_env());
    const Summary summary = Measure(reps, [&] { return w.run(engine); });
    rows.push_back({w.key, w.what, w.ops, summary, w.ref});
    if (!options.json) PrintRow(rows.back());
  }

  const std::int64_t calls = 100'000 / scale;
  const Summary kernel = Measure(reps, [=] { return RunKernelOnly(calls, kFloats); });
  if (options.json) {
    PrintJson(rows, kernel, info, options, reps);
  } else {
    PrintRow({"kernel", "y=x+1 loop, no engine", calls, kernel, Reference{}});
  }
  return 0;
}

}  // namespace
}  // namespace ndflow::bench

int main(int argc, char** argv) {
  return ndflow::bench::BenchMain(argc, argv, "ndflow-bench-engine", ndflow::bench::kUsage,
                                  ndflow::bench::Run);
}
