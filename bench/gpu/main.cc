// ndflow-bench-gpu: the GPU figures of issue 5 (bench/RESULTS.md), ndflow's side; the driver
// bench/gpu/compare.py runs PyTorch on the same workloads in the same run and prints ratios.
//
// Workloads (medians over --reps repetitions after a warm-up):
// - matmul4000_f32_ms: one 4000x4000 float32 product on gpu(0), including the wait;
// - sum_axis0_ms, sum_axis1_ms: the sums of that matrix's columns and of its rows, including
//   the wait (a reduction keeping the innermost axis, and one reducing it);
// - the chapter's overlap listing on gpu(0): run_ms (50 products), copy_ms (copying the 50
//   results to the CPU), run_and_copy_ms (both, each copy pushed right after its product);
// - dispatch_async_us: 10,000 y = x + 1 on a (1,2) array on gpu(0), pushed then waited for;
// - host_read_us: 1,000 times y = x + 1 on that array, then y's values read on the host (an
//   implicit blocker: a copy out, and the wait for it);
// - cpu_ms, gpu_ms, cpu_and_gpu_ms: products on the CPU, on gpu(0), and both at once.
// Without a usable GPU it prints why and exits 0 with {"skipped": reason} under --json.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/common/cli.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/device.h"

namespace ndflow::bench {
namespace {

constexpr char kUsage[] =
    "usage: ndflow-bench-gpu [--quick] [--reps N] [--json]\n"
    "  --quick   smaller sizes and 3 repetitions\n"
    "  --reps N  timed repetitions per workload, after one warm-up (default 5)\n"
    "  --json    print one JSON object (the medians) instead of a table\n";

using Clock = std::chrono::steady_clock;

template <class F>
double median_ms(int reps, F&& once) {
  once();  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const Clock::time_point t0 = Clock::now();
    once();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return Summarize(ms).median;
}

std::vector<Array> products(const Array& x, int count) {
  std::vector<Array> ys;
  for (int i = 0; i < count; ++i) ys.push_back(dot(x, x));
  return ys;
}

std::vector<Array> to_cpu(const std::vector<Array>& ys) {
  std::vector<Array> out;
  // Pinned, as the chapter's non_blocking=True: the copy engine writes the results directly.
  for (const Array& y : ys) out.push_back(y.copy_to(Device::cpu(), HostMemory::kPinned));
  return out;
}

int Run(const Options& options) {
  if (num_gpus() == 0) {
    const std::string why = "no GPU: " + gpu_absence_reason();
    if (options.json)
      std::printf("{\"skipped\": \"%s\"}\n", why.c_str());
    else
      std::printf("ndflow-bench-gpu: skipped (%s)\n", why.c_str());
    return 0;
  }
  const int reps = options.reps ? options.reps : options.quick ? 3 : 5;
  const bool simulated = gpus_simulated();
  const std::int64_t n = options.quick || simulated ? 512 : 4000;
  const int count = options.quick || simulated ? 10 : 50;
  const Device g = Device::gpu(0);

  const Array big = random::uniform(-1, 1, {n, n}, kFloat32, g);
  const double matmul_ms = median_ms(reps, [&] { dot(big, big).wait_to_read(); });
  const double sum0_ms = median_ms(reps, [&] { sum(big, {0}).wait_to_read(); });
  const double sum1_ms = median_ms(reps, [&] { sum(big, {1}).wait_to_read(); });

  std::vector<Array> ys;
  const double run_ms = median_ms(reps, [&] {
    ys = products(big, count);
    wait_all();
  });
  const double copy_ms = median_ms(reps, [&] {
    to_cpu(ys);
    wait_all();
  });
  const double run_and_copy_ms = median_ms(reps, [&] {
    to_cpu(products(big, count));
    wait_all();
  });

  const Array small = ones({1, 2}, kFloat32, g);
  const int ops = options.quick ? 1000 : 10000;
  const double dispatch_ms = median_ms(reps, [&] {
    Array y;
    for (int i = 0; i < ops; ++i) y = small + 1;
    wait_all();
  });
  const int reads = options.quick ? 100 : 1000;
  const double host_read_ms = median_ms(reps, [&] {
    for (int i = 0; i < reads; ++i) (void)(small + 1).to_vector<float>();
  });

  const std::int64_t n_cpu = options.quick ? 256 : 1000;
  const Array on_cpu = random::uniform(-1, 1, {n_cpu, n_cpu});
  const int cpu_count = options.quick ? 2 : 10;
  const double cpu_ms = median_ms(reps, [&] {
    products(on_cpu, cpu_count);
    wait_all();
  });
  const double gpu_ms = median_ms(reps, [&] {
    products(big, count);
    wait_all();
  });
  const double both_ms = median_ms(reps, [&] {
    products(on_cpu, cpu_count);
    products(big, count);
    wait_all();
  });

  const std::string device = gpu_name(0);  // "simulated" for simulated GPUs
  if (options.json) {
    std::printf(
        "{\"device\": \"%s\", \"simulated\": %s, \"n\": %lld, \"products\": %d, \"reps\": %d, "
        "\"matmul4000_f32_ms\": %.4f, \"sum_axis0_ms\": %.4f, \"sum_axis1_ms\": %.4f, "
        "\"run_ms\": %.4f, \"copy_ms\": %.4f, "
        "\"run_and_copy_ms\": %.4f, \"dispatch_async_us\": %.4f, \"dispatch_ops\": %d, "
        "\"host_read_us\": %.4f, \"host_reads\": %d, "
        "\"cpu_n\": %lld, \"cpu_products\": %d, \"cpu_ms\": %.4f, \"gpu_ms\": %.4f, "
        "\"cpu_and_gpu_ms\": %.4f}\n",
        device.c_str(), simulated ? "true" : "false", static_cast<long long>(n), count, reps,
        matmul_ms, sum0_ms, sum1_ms, run_ms, copy_ms, run_and_copy_ms, dispatch_ms * 1e3 / ops, ops,
        host_read_ms * 1e3 / reads, reads, static_cast<long long>(n_cpu), cpu_count, cpu_ms, gpu_ms,
        both_ms);
    return 0;
  }
  std::printf("ndflow-bench-gpu on gpu(0): %s; %lldx%lld float32, %d products, medians of %d\n",
              device.c_str(), static_cast<long long>(n), static_cast<long long>(n), count, reps);
  std::printf("  one product (incl. wait)        %10.3f ms\n", matmul_ms);
  std::printf("  sum over axis 0 / axis 1        %10.3f / %.3f ms\n", sum0_ms, sum1_ms);
  std::printf(
      "  run / copy / run and copy       %10.3f / %.3f / %.3f ms (overlap %.2fx, ideal "
      "%.2fx)\n",
      run_ms, copy_ms, run_and_copy_ms, (run_ms + copy_ms) / run_and_copy_ms,
      (run_ms + copy_ms) / std::max(run_ms, copy_ms));
  std::printf("  y = x + 1, async                %10.3f us per op\n", dispatch_ms * 1e3 / ops);
  std::printf("  y = x + 1, read on the host     %10.3f us per read\n", host_read_ms * 1e3 / reads);
  std::printf("  CPU / GPU / both                %10.3f / %.3f / %.3f ms (together / sum %.2f)\n",
              cpu_ms, gpu_ms, both_ms, both_ms / (cpu_ms + gpu_ms));
  return 0;
}

}  // namespace
}  // namespace ndflow::bench

int main(int argc, char** argv) {
  return ndflow::bench::BenchMain(argc, argv, "ndflow-bench-gpu", ndflow::bench::kUsage,
                                  ndflow::bench::Run);
}
