// The C++ twin of the MXNet listings in "Automatic Parallelism" (the d2l chapter
// auto-parallelism): the engine knows every op's inputs and outputs, so it runs independent
// ops in parallel and overlaps computation with copies, with no scheduling code here.
//
// As in the chapter, the devices are try_all_gpus(): gpu(0) and gpu(1) where there are two
// GPUs (NDFLOW_LOGICAL_GPUS=2 splits one; NDFLOW_SIMULATED_GPUS=2 simulates them). Without
// a GPU both are cpu(0), and x_gpu1, x_gpu2 are two independent arrays on it: the listings
// still run, but both share the same workers, so "GPU1 & GPU2" takes about the sum of the
// two times, not the larger one; as the chapter says, one operator already keeps a device
// busy. With one GPU, devices[1] does not exist and the program says so.
//
// Usage: ndflow-example-auto-parallelism [--quick]   (--quick: sizes 10x smaller)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "examples/d2l.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace nd = ndflow;
using examples::Benchmark;

int main(int argc, char** argv) try {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::vector<nd::Device> devices = examples::try_all_gpus();
  if (devices.size() < 2)
    throw std::runtime_error(
        "the chapter needs two GPUs and this machine has one; "
        "NDFLOW_LOGICAL_GPUS=2 splits it in two");
  // The chapter's 4000 x 4000 on real GPUs; 500 x 500 elsewhere, where host threads compute.
  const bool real_gpus = !devices[0].is_cpu() && !nd::gpus_simulated();
  const std::int64_t n = (real_gpus ? 4000 : 500) / (quick ? 10 : 1);
  const int products = quick ? 10 : 50;  // the chapter: 50
  std::printf("devices: %s and %s\n", devices[0].to_string().c_str(),
              devices[1].to_string().c_str());

  // --- Parallel computation on two devices ------------------------------------------------
  // run(x) pushes `products` independent products: each only reads x.
  auto run = [products](const nd::Array& x) {
    std::vector<nd::Array> ys;
    for (int i = 0; i < products; ++i) ys.push_back(nd::dot(x, x));
    return ys;
  };
  const nd::Array x_gpu1 = nd::random::uniform(0, 1, {n, n}, nd::kFloat32, devices[0]);
  const nd::Array x_gpu2 = nd::random::uniform(0, 1, {n, n}, nd::kFloat32, devices[1]);

  // Warm up both devices, so that starting workers and allocating are not timed below.
  run(x_gpu1);
  run(x_gpu2);
  nd::wait_all();

  // A wait after each run keeps the two apart...
  {
    Benchmark t("GPU1 time");
    run(x_gpu1);
    nd::wait_all();
  }
  {
    Benchmark t("GPU2 time");
    run(x_gpu2);
    nd::wait_all();
  }
  // ...without it the engine is free to run both at once (on two GPUs: about the max).
  {
    Benchmark t("GPU1 & GPU2");
    run(x_gpu1);
    run(x_gpu2);
    nd::wait_all();
  }

  // --- Parallel computation and communication ---------------------------------------------
  // copy_to is an op like any other: the engine may copy y[i-1] while y[i] is computed. On
  // a GPU the copies go to its copy-out lane (its own stream, the PCIe bus), so they overlap
  // compute and the last run takes less than the sum of the two before it. Without a GPU a
  // copy to cpu() of a CPU array runs on the CPU's compute lane, sharing its workers (the
  // profiler lines at the end say which lanes ran what).
  auto copy_to_cpu = [](const std::vector<nd::Array>& xs) {
    std::vector<nd::Array> copies;
    for (const nd::Array& x : xs) copies.push_back(x.copy_to(nd::Device::cpu()));
    return copies;
  };
  std::vector<nd::Array> y, y_cpu;
  {
    Benchmark t("Run on GPU1");
    y = run(x_gpu1);
    nd::wait_all();
  }
  {
    Benchmark t("Copy to CPU");
    y_cpu = copy_to_cpu(y);
    nd::wait_all();
  }
  // Without the wait in between, the two may overlap. (First give back the memory of the
  // runs above, so this run reuses it as they did instead of paying for fresh pages.)
  y.clear();
  y_cpu.clear();
  nd::wait_all();
  {
    Benchmark t("Run on GPU1 and copy to CPU");
    y = run(x_gpu1);
    y_cpu = copy_to_cpu(y);
    nd::wait_all();
  }

  // Where the ops ran, as the engine's profiler saw them (one more pass, untimed).
  nd::Engine& engine = nd::default_engine();
  y.clear();
  y_cpu.clear();
  nd::wait_all();
  engine.profiler_start();
  y = run(x_gpu1);
  y_cpu = copy_to_cpu(y);
  nd::wait_all();
  engine.profiler_stop();
  std::map<std::string, int> ops;  // "lane: op name" -> count
  for (const nd::ProfileRecord& r : engine.profiler_records())
    ++ops[engine.lane_name(r.lane) + ": " + r.name];
  std::printf("ops by lane in one more pass:\n");
  for (const auto& [where, count] : ops) std::printf("  %s x %d\n", where.c_str(), count);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "auto_parallelism: %s\n", e.what());
  return 1;
}
