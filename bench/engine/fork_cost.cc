// ndflow-bench-fork: what ndflow's fork handlers (src/engine/fork_handlers.h) add to a
// fork(). The same process times fork() with an idle threaded engine (the handlers join its
// workers and start them again, in parent and child) and with a naive one (no workers: the
// handlers do nothing), interleaved; each child _exits at once. Prints the medians and the
// ratio threaded / naive. NDFLOW_CPU_WORKERS sets the workers (default: one per core).
//
//   build/bench/ndflow-bench-fork [forks, default 300]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "ndflow/engine.h"

namespace {

// Microseconds that fork() took in the parent, with only an idle engine of `options` alive
// (the engine is made for this fork: every live engine rests around a fork).
double time_one_fork(const ndflow::EngineOptions& options) {
  ndflow::Engine engine(options);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the workers settle and park
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  const auto end = std::chrono::steady_clock::now();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  waitpid(pid, nullptr, 0);
  return std::chrono::duration<double, std::micro>(end - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int forks = argc > 1 ? std::atoi(argv[1]) : 300;
  if (forks < 1) {
    std::fprintf(stderr, "usage: ndflow-bench-fork [forks, at least 1]\n");
    return 2;
  }
  ndflow::EngineOptions threaded_options = ndflow::EngineOptions::from_env();
  threaded_options.kind = ndflow::EngineKind::kThreaded;
  ndflow::EngineOptions naive_options = threaded_options;
  naive_options.kind = ndflow::EngineKind::kNaive;
  std::vector<double> with_workers, without;
  for (int i = 0; i < forks; ++i) {
    with_workers.push_back(time_one_fork(threaded_options));
    without.push_back(time_one_fork(naive_options));
  }
  const double a = median(with_workers), b = median(without);
  std::printf("fork(), median of %d\n", forks);
  // What the engine made of the options (0 CPU workers means one per core).
  const int cpu_workers =
      ndflow::Engine(threaded_options).lane_workers(ndflow::Lane::cpu_compute());
  std::printf("  threaded engine, idle (%d CPU workers, %d copy): %7.0f us\n", cpu_workers,
              threaded_options.copy_workers, a);
  std::printf("  naive engine:                                  %7.0f us\n", b);
  std::printf("  ratio threaded / naive: %.2f\n", a / b);
  return 0;
}
