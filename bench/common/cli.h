// What every ndflow benchmark program shares: its command line (--quick, --reps N, --json,
// --help) and how repeated timings are summarised.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <string_view>
#include <system_error>
#include <vector>

namespace ndflow::bench {

struct Options {
  bool help = false;
  bool json = false;
  bool quick = false;
  int reps = 0;  // 0: the default, 5 (3 with --quick)
};

inline bool ParsePositive(std::string_view text, int& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && value > 0;
}

// False on an unknown argument or a bad --reps value: the caller prints its usage.
inline bool ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--reps" && i + 1 < argc) {
      if (!ParsePositive(argv[++i], options.reps)) return false;
    } else {
      return false;
    }
  }
  return true;
}

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
};

// Median, min and max of the timed repetitions (at least one).
inline Summary Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  const double median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return {median, samples.front(), samples.back()};
}

// The benchmarks' main(): parses the options, prints `usage` on --help (or on bad options,
// exiting 2), runs `run`, and reports an exception as "<program>: <what>" (exit 1).
template <class Run>
int BenchMain(int argc, char** argv, const char* program, const char* usage, Run run) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fputs(usage, stderr);
    return 2;
  }
  if (options.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace ndflow::bench
