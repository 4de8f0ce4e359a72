// ndflow-bench-arrays: the array layer's own figures on the workloads of the chapters
// (seeds/async-computation.rst): a large matmul and add, the cost of dispatching a tiny op
// from C++ (async and sync), and the chapter's exercise of many small independent matmuls
// on 1 and on 2 CPU workers. bench/arrays/compare.py runs it next to NumPy and prints the
// ratios against the targets; this program prints ndflow's medians only.
//
// Every workload runs on a fresh Engine made the way default_engine() is made
// (EngineOptions::from_env(), so NDFLOW_ENGINE, NDFLOW_CPU_WORKERS and NDFLOW_MAX_INFLIGHT
// apply), set as the array layer's engine through its test hook, so one workload's leftovers
// cannot bleed into the next and the small-matmul workloads can pick their worker count.

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

#include "array/array_impl.h"
#include "bench/arrays/workloads.h"
#include "bench/common/cli.h"
#include "ndflow/engine.h"

namespace ndflow::bench {
namespace {

constexpr char kUsage[] =
    "usage: ndflow-bench-arrays [--quick] [--reps N] [--json]\n"
    "  --quick   sizes about 10x smaller and 3 repetitions (a few seconds)\n"
    "  --reps N  timed repetitions per workload, after one warm-up (default 5)\n"
    "  --json    print one JSON object (the medians) instead of a table\n";

// The workloads' sizes; the JSON keys keep the full-size names, the JSON "sizes" says which.
struct Sizes {
  std::int64_t matmul_n = 1000;
  std::int64_t add_n = 10'000'000;
  std::int64_t sum_n = 4000;
  std::int64_t dispatch_ops = 10'000;
  std::int64_t small_count = 1000;
  std::int64_t small_n = 64;
};

Sizes SizesFor(bool quick) {
  if (!quick) return {};
  return {
      .matmul_n = 300, .add_n = 1'000'000, .sum_n = 1000, .dispatch_ops = 1000, .small_count = 100};
}

// The array layer runs on this engine while the object lives. Arrays made meanwhile must
// be gone before it is destroyed (each workload's arrays are local to its function).
class ScopedArrayEngine {
 public:
  explicit ScopedArrayEngine(const EngineOptions& options) : engine_(options) {
    detail::set_array_engine(&engine_);
  }
  ~ScopedArrayEngine() { detail::set_array_engine(nullptr); }
  ScopedArrayEngine(const ScopedArrayEngine&) = delete;
  ScopedArrayEngine& operator=(const ScopedArrayEngine&) = delete;
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
};

struct Workload {
  const char* key;  // the JSON key
  std::string what;
  const char* unit;
  const char* target;  // what this figure is held to ("" for none)
  EngineOptions options;
  std::function<std::vector<double>()> run;
};

struct Row {
  const Workload* workload;
  double median = 0, min = 0, max = 0;
  double inline_share = 0;  // ops run by a waiting thread rather than a worker, of all ops
  double ops_per_run = 0;   // engine ops (kernels, pieces, releases), setup included
};

std::string Str(std::int64_t v) { return std::to_string(v); }

std::vector<Workload> Workloads(const Sizes& s, int reps) {
  const EngineOptions env = EngineOptions::from_env();
  EngineOptions one = env, two = env, naive = env;
  one.cpu_workers = 1;
  two.cpu_workers = 2;
  // The exercise compares 1 worker with 2: the thread blocked in wait_all must not compute
  // too, or "1 worker" is already two threads on this 2-core machine.
  one.waiters_run_ops = two.waiters_run_ops = false;
  naive.kind = EngineKind::kNaive;
  const std::string small = Str(s.small_count) + " " + Str(s.small_n) + "x" + Str(s.small_n) +
                            " matmuls, push all, wait, ";
  // The reductions' input.
  const std::string square = Str(s.sum_n) + "x" + Str(s.sum_n) + " f32 + wait";
  return {
      {"matmul1000_f32_ms", Str(s.matmul_n) + "x" + Str(s.matmul_n) + " f32 matmul + wait", "ms",
       "<= NumPy", env, [=] { return MatmulMs(s.matmul_n, reps); }},
      {"add1e7_f32_ms", "add of 2x " + Str(s.add_n) + " f32 + wait", "ms", ">= 1.2x NumPy's speed",
       env, [=] { return AddMs(s.add_n, reps); }},
      {"sum_axis0_f32_ms", "sum over axis 0 of " + square, "ms", "", env,
       [=] { return SumMs(s.sum_n, 0, reps); }},
      {"sum_axis1_f32_ms", "sum over axis 1 of " + square, "ms", "", env,
       [=] { return SumMs(s.sum_n, 1, reps); }},
      {"max_f32_ms", "max of " + square, "ms", "", env, [=] { return MaxMs(s.sum_n, -1, reps); }},
      {"max_axis1_f32_ms", "max over axis 1 of " + square, "ms", "", env,
       [=] { return MaxMs(s.sum_n, 1, reps); }},
      {"dispatch_async_ns", Str(s.dispatch_ops) + "x y=x+1 on (1,2), wait_all", "ns/op", "<= 300",
       env, [=] { return DispatchNs(s.dispatch_ops, /*sync=*/false, reps); }},
      {"dispatch_sync_ns", Str(s.dispatch_ops) + "x y=x+1 on (1,2), wait each", "ns/op", "", env,
       [=] { return DispatchNs(s.dispatch_ops, /*sync=*/true, reps); }},
      {"small_matmul_1w_ms", small + "1 worker", "ms", "", one,
       [=] { return SmallMatmulMs(s.small_count, s.small_n, reps); }},
      {"small_matmul_2w_ms", small + "2 workers", "ms", "1w/2w >= 1.6", two,
       [=] { return SmallMatmulMs(s.small_count, s.small_n, reps); }},
      // Not a target: the one-thread floor. The naive engine runs each op inside push, while
      // a threaded engine's waiting thread also runs ready ops, so "1 worker" may use two.
      {"small_matmul_naive_ms", small + "naive engine", "ms", "", naive,
       [=] { return SmallMatmulMs(s.small_count, s.small_n, reps); }},
  };
}

Row Measure(const Workload& w, int reps) {
  ScopedArrayEngine scoped(w.options);
  const Summary summary = Summarize(w.run());
  Row row{&w};
  row.median = summary.median;
  row.min = summary.min;
  row.max = summary.max;
  const EngineStats stats = scoped.engine().stats();
  row.inline_share = stats.ops_done > 0 ? static_cast<double>(stats.ops_run_inline) /
                                              static_cast<double>(stats.ops_done)
                                        : 0;
  row.ops_per_run = static_cast<double>(stats.ops_done) / (reps + 1);  // + the warm-up
  return row;
}

const Row* Find(const std::vector<Row>& rows, std::string_view key) {
  for (const Row& r : rows)
    if (key == r.workload->key) return &r;
  return nullptr;
}

void PrintHeader(const char* kind, int workers, int reps) {
  std::printf(
      "ndflow-bench-arrays: %s engine, %d CPU compute workers (small matmuls: as named), %d "
      "repetitions after one warm-up\n"
      "each run pushes its ops and waits for the result; NumPy figures: bench/arrays/compare.py"
      "\n\n",
      kind, workers, reps);
  std::printf("%-22s %-46s %10s %10s %10s %-6s %6s  %s\n", "workload", "what", "median", "min",
              "max", "unit", "inline", "target");
}

void PrintRow(const Row& r) {
  const Workload& w = *r.workload;
  std::printf("%-22s %-46s %10.1f %10.1f %10.1f %-6s %5.0f%%  %s\n", w.key, w.what.c_str(),
              r.median, r.min, r.max, w.unit, 100 * r.inline_share, w.target);
  std::fflush(stdout);
}

void PrintFooter(const std::vector<Row>& rows) {
  const Row* one = Find(rows, "small_matmul_1w_ms");
  const Row* two = Find(rows, "small_matmul_2w_ms");
  const Row* naive = Find(rows, "small_matmul_naive_ms");
  std::printf(
      "\ninline: share of the engine's ops run by a waiting thread instead of a worker\n"
      "small matmuls, 2 workers against 1: %.2fx (target 1.6x); against the naive engine: "
      "%.2fx\n",
      one->median / two->median, naive->median / two->median);
}

void PrintJson(const std::vector<Row>& rows, const Sizes& s, const char* kind, int workers,
               const Options& options, int reps) {
  std::printf("{");
  for (const Row& r : rows) std::printf("\"%s\": %.3f, ", r.workload->key, r.median);
  std::printf("\"range\": {");
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::printf("%s\"%s\": [%.3f, %.3f]", i ? ", " : "", rows[i].workload->key, rows[i].min,
                rows[i].max);
  std::printf("}, \"inline_share\": {");
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::printf("%s\"%s\": %.3f", i ? ", " : "", rows[i].workload->key, rows[i].inline_share);
  std::printf("}, \"engine_ops_per_run\": {");
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::printf("%s\"%s\": %.0f", i ? ", " : "", rows[i].workload->key, rows[i].ops_per_run);
  std::printf(
      "}, \"sizes\": {\"matmul_n\": %lld, \"add_n\": %lld, \"sum_n\": %lld, "
      "\"dispatch_ops\": %lld, "
      "\"small_matmul_count\": %lld, \"small_matmul_n\": %lld}, \"cpu_workers\": %d, "
      "\"engine\": \"%s\", \"quick\": %s, \"reps\": %d}\n",
      static_cast<long long>(s.matmul_n), static_cast<long long>(s.add_n),
      static_cast<long long>(s.sum_n), static_cast<long long>(s.dispatch_ops),
      static_cast<long long>(s.small_count), static_cast<long long>(s.small_n), workers, kind,
      options.quick ? "true" : "false", reps);
}

int Run(const Options& options) {
  const int reps = options.reps > 0 ? options.reps : options.quick ? 3 : 5;
  const Sizes sizes = SizesFor(options.quick);
  int workers = 0;
  const char* kind = "threaded";
  {
    const Engine probe(EngineOptions::from_env());
    workers = probe.lane_workers(Lane::cpu_compute());
    if (probe.kind() == EngineKind::kNaive) kind = "naive";
  }
  if (!options.json) PrintHeader(kind, workers, reps);

  const std::vector<Workload> workloads = Workloads(sizes, reps);
  std::vector<Row> rows;
  for (const Workload& w : workloads) {
    rows.push_back(Measure(w, reps));
    if (!options.json) PrintRow(rows.back());
  }
  if (options.json)
    PrintJson(rows, sizes, kind, workers, options, reps);
  else
    PrintFooter(rows);
  return 0;
}

}  // namespace
}  // namespace ndflow::bench

int main(int argc, char** argv) {
  return ndflow::bench::BenchMain(argc, argv, "ndflow-bench-arrays", ndflow::bench::kUsage,
                                  ndflow::bench::Run);
}
