// The C++ twin of the MXNet listings in "Asynchronous Computation" (the d2l chapter
// async-computation): every ndflow op returns at once, a backend engine runs it on its own
// threads, and only a blocker (a wait, a copy to the host, printing) makes the caller wait.
//
// Every array is made on `device`: the default device, cpu(0), as in the chapter's MXNet
// listings, or with --gpu d2l's try_gpu(), gpu(0) where there is one, as in its PyTorch
// listings.
//
// Usage: ndflow-example-async-computation [--quick] [--gpu]   (--quick: sizes 10x smaller)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "examples/d2l.h"
#include "ndflow/array.h"

namespace nd = ndflow;
using examples::Benchmark;

int main(int argc, char** argv) try {
  bool quick = false, gpu = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (std::strcmp(argv[i], "--gpu") == 0)
      gpu = true;
    else
      throw std::invalid_argument(std::string("unknown argument '") + argv[i] +
                                  "'; usage: ndflow-example-async-computation [--quick] [--gpu]");
  }
  const std::int64_t n = quick ? 100 : 1000;    // the chapter's matrices are 1000 x 1000
  const int steps = quick ? 3 : 10;             // its loops make 10 of them
  const int increments = quick ? 1000 : 10000;  // and add 1 to x 10000 times
  const nd::Device device = gpu ? examples::try_gpu() : nd::Device::cpu();
  std::printf("device: %s\n", device.to_string().c_str());

  // --- Asynchrony via backend --------------------------------------------------------------
  // Warm up: the first ops pay for starting the engine's workers and allocating memory.
  nd::Array a = nd::random::normal(0, 1, {n, n}, nd::kFloat32, device);
  nd::Array b = nd::dot(a, a);
  nd::wait_all();

  // NumPy returns only once its result is ready. The same ops with a wait after each play
  // its part here (bench/arrays/compare.py times NumPy itself).
  {
    Benchmark t("synchronous, like numpy");
    for (int i = 0; i < steps; ++i) {
      a = nd::random::normal(0, 1, {n, n}, nd::kFloat32, device);
      b = nd::dot(a, a);
      b.wait_to_read();
    }
  }
  // Far faster: the loop only pushes the ops; the engine is still computing when it ends.
  {
    Benchmark t("ndflow");
    for (int i = 0; i < steps; ++i) {
      a = nd::random::normal(0, 1, {n, n}, nd::kFloat32, device);
      b = nd::dot(a, a);
    }
  }
  nd::wait_all();  // outside the timers: the leftover work is not charged to the next one
  // Waiting for all of it shows the true cost: about the synchronous figure.
  {
    Benchmark t;
    for (int i = 0; i < steps; ++i) {
      a = nd::random::normal(0, 1, {n, n}, nd::kFloat32, device);
      b = nd::dot(a, a);
    }
    nd::wait_all();
  }

  // --- The dependency graph ---------------------------------------------------------------
  // Three pushes that return at once; the engine orders them by the arrays they touch.
  // Printing z needs its values, so operator<< waits for z (and only what z depends on).
  nd::Array x = nd::ones({1, 2}, nd::kFloat32, device);
  nd::Array y = nd::ones({1, 2}, nd::kFloat32, device);
  nd::Array z = x * y + 2;
  std::cout << z << "\n";

  // --- Barriers and blockers --------------------------------------------------------------
  // wait_all waits for everything pushed so far; wait_to_read for one array's last write.
  // With nothing else in flight both take about as long as the product itself.
  {
    Benchmark t("waitall");
    b = nd::dot(a, a);
    nd::wait_all();
  }
  {
    Benchmark t("wait_to_read");
    b = nd::dot(a, a);
    b.wait_to_read();
  }
  // Implicit blockers: a copy to host memory (the chapter's asnumpy) and item() need the
  // values, so they wait too. Doing this often in a loop serialises it.
  {
    Benchmark t("numpy conversion");
    b = nd::dot(a, a);
    b.to_vector<float>();
  }
  {
    Benchmark t("scalar conversion");
    b = nd::dot(a, a);
    nd::sum(b).item<float>();
  }

  // --- Improving computation --------------------------------------------------------------
  // In the chapter, waiting after each op costs the round trip t1 + t2 + t3 every time,
  // while pushing all and waiting once costs about t1 + 10000 t2 + t3. ndflow's wait runs
  // the awaited op on the waiting thread, so its synchronous loop skips the hand-off to a
  // worker: compare both here (and in bench/arrays). Push blocks past NDFLOW_MAX_INFLIGHT
  // ops in flight, so the asynchronous loop never runs unboundedly ahead.
  {
    Benchmark t("synchronous");
    for (int i = 0; i < increments; ++i) {
      y = x + 1;
      y.wait_to_read();
    }
  }
  {
    Benchmark t("asynchronous");
    for (int i = 0; i < increments; ++i) y = x + 1;
    nd::wait_all();
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "async_computation: %s\n", e.what());
  return 1;
}
