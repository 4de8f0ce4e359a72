// ndflow-demo's command line (see cli.h).
#include "tools/demo/cli.h"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>

#include "tools/demo/experiments.h"
#include "tools/demo/report.h"

namespace ndflow::demo {
namespace {

constexpr const char* kHelp =
    R"(usage: ndflow-demo [--quick] [--runs N] [--out DIR] [--json] [--help]

Runs the experiments of the chapters 'Asynchronous Computation' and 'Automatic
Parallelism' on the devices present, and shows that the front end runs ahead of the
work, that independent work runs in parallel, and that copies overlap computation.

For each experiment it prints the median time of each part (after a warm-up), the ratio
that makes its point (for example sum of parts / together) and a one-line reading of it.
Experiments whose devices are absent are listed as skipped, with the reason. Each
experiment that ran leaves in the output folder:
  <id>.trace.json   a Chrome trace of one run (open in chrome://tracing or Perfetto)
  <id>.svg          its timeline: one row per engine lane, ops as labelled bars

options:
  --quick     small sizes and 3 runs: finishes in seconds
  --runs N    timed runs per experiment (default 5; 3 with --quick)
  --out DIR   the output folder (default: ndflow-demo-out)
  --json      print the results as one JSON object instead of the report
  --help      this text

environment: NDFLOW_CPU_WORKERS=N sizes the CPU compute lane; NDFLOW_ENGINE=naive runs
every op synchronously (nothing overlaps then).
)";

int bad_usage(const std::string& message) {
  std::cerr << "ndflow-demo: " << message << " (see --help)\n";
  return 2;
}

// The progress line: rewritten in place on a terminal, one line per experiment otherwise.
void show_progress(int index, int count, const std::string& title, const std::string& step) {
  static const bool tty = isatty(STDERR_FILENO) != 0;
  if (tty) {
    std::fprintf(stderr, "\r\033[K[%d/%d] %s: %s", index, count, title.c_str(), step.c_str());
  } else if (step == "warm-up" || step == "skipped") {
    std::fprintf(stderr, "[%d/%d] %s%s\n", index, count, title.c_str(),
                 step == "skipped" ? ": skipped" : "");
  }
  std::fflush(stderr);
}

}  // namespace

int demo_main(const std::vector<std::string>& args) {
  DemoOptions options;
  bool json = false, runs_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    } else if (a == "--quick") {
      options.quick = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--out" || a == "--runs") {
      if (i + 1 >= args.size()) return bad_usage(a + " needs a value");
      const std::string& value = args[++i];
      if (a == "--out") {
        options.out_dir = value;
        continue;
      }
      try {
        std::size_t used = 0;
        options.runs = std::stoi(value, &used);
        if (used != value.size() || options.runs < 1 || options.runs > 1000) throw 0;
      } catch (...) {
        return bad_usage("--runs wants a whole number from 1 to 1000, got '" + value + "'");
      }
      runs_given = true;
    } else {
      return bad_usage("unknown option '" + a + "'");
    }
  }
  if (options.quick && !runs_given) options.runs = 3;

  try {
    const std::vector<ExperimentResult> results = run_experiments(options, &show_progress);
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
    write_artifacts(results, options);
    if (json) {
      std::cout << format_json(results, options) << "\n";
    } else {
      std::cout << format_report(results, options) << "\ntraces and timelines (one SVG per "
                << "experiment) are in " << std::filesystem::absolute(options.out_dir).string()
                << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "\nndflow-demo: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ndflow::demo
