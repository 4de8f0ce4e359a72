// Arrays on GPUs: the lanes, the fences between streams, the copy lanes, host waits and the
// allocator, checked against the CPU. CTest runs this suite three times:
// - on two simulated GPUs (label gpusim, NDFLOW_SIMULATED_GPUS=2), everywhere. A simulated
//   GPU runs the CPU kernels on one thread per stream, so results must equal the CPU's bit
//   for bit, and any missing order between streams is a data race (TSan runs it too);
// - on two simulated GPUs running the CUDA kernels' code on the host (label gpusim-cuda,
//   NDFLOW_SIMULATED_GPU_KERNELS=cuda), in every build with CUDA, GPU or not;
// - on CUDA GPUs (label gpu, NDFLOW_LOGICAL_GPUS=2, so one physical GPU does), where results
//   may differ from the CPU's in the last bits; skipped, saying why, without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "array/array_impl.h"
#include "array/harness.h"
#include "array/random_program.h"
#include "backends/sim/sim_device.h"
#include "gpu/gpu_device.h"
#include "gpu/pinned_host.h"
#include "gpu/two_gpu_test.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"
#include "ndflow/error.h"
#include "ndflow/wait_interruption.h"

namespace ndflow_test {
namespace {

using ndflow::Device;
using ndflow::Engine;
using ndflow::EngineKind;
using ndflow::EngineOptions;

const Device kGpu0 = Device::gpu(0);
const Device kGpu1 = Device::gpu(1);

using GpuArrayTest = TwoGpuTest;

ndflow::detail::GpuDevice& gpu(Device d) { return ndflow::detail::gpu_device(d); }

// The CPU's values, exactly where the GPUs run the CPU's kernels, within float rounding
// where they run CUDA's (whose exp, tanh and sums round differently).
void expect_values(const std::vector<double>& got, const std::vector<double>& want,
                   const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  if (ndflow::gpus_run_cpu_kernels()) {
    ASSERT_EQ(got, want) << what;
    return;
  }
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << what << ", element " << i;
}

std::vector<float> iota(int n, float start = 0) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = start + static_cast<float>(i);
  return v;
}

TEST_F(GpuArrayTest, DevicesAreCountedAndAMissingOneIsAClearError) {
  EXPECT_EQ(ndflow::num_gpus(), 2);
  try {
    (void)ndflow::zeros({2}, ndflow::kFloat32, Device::gpu(2));
    FAIL() << "gpu(2) should not exist";
  } catch (const ndflow::DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("this process has 2 GPUs (gpu(0) to gpu(1))"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(GpuArrayTest, CopiesBetweenHostAndGpusKeepEveryDtypesValues) {
  std::mt19937_64 rng(7);
  for (DType t : all_dtypes()) {
    const Array host = random_array(rng, {3, 5}, t);
    const Array back = host.copy_to(kGpu0).copy_to(kGpu1).copy_to(kGpu0).copy_to(Device::cpu());
    EXPECT_EQ(back.device(), Device::cpu());
    EXPECT_EQ(back.dtype(), t);
    EXPECT_EQ(back.to_vector<double>(), host.to_vector<double>()) << ndflow::dtype_name(t);
  }
}

// Joins and writes through strided views: on CUDA GPUs these take the strided copy kernel.
TEST_F(GpuArrayTest, JoinsAndInPlaceWritesThroughViewsMatchTheCpu) {
  std::mt19937_64 rng(11);
  for (DType t : all_dtypes()) {
    const Array a = random_array(rng, {3, 4}, t), b = random_array(rng, {3, 2}, ndflow::kInt32);
    const Array ga = a.copy_to(kGpu0), gb = b.copy_to(kGpu0);
    const std::string name = ndflow::dtype_name(t);
    expect_values(ndflow::concatenate({ga, gb}, 1).to_vector<double>(),
                  ndflow::concatenate({a, b}, 1).to_vector<double>(), "concatenate " + name);
    expect_values(ndflow::concatenate({ga.T(), gb.T(), ga.T()}, 0).to_vector<double>(),
                  ndflow::concatenate({a.T(), b.T(), a.T()}, 0).to_vector<double>(),
                  "concatenate of transposes " + name);
    expect_values(ndflow::stack({ga, ga}, 2).to_vector<double>(),
                  ndflow::stack({a, a}, 2).to_vector<double>(), "stack " + name);
  }
  const Array host = ndflow::from_vector(iota(24), {4, 6});
  Array cpu_copy = host.copy(), on_gpu = host.copy_to(kGpu1);
  for (Array* x : {&cpu_copy, &on_gpu}) {
    Array column_view = x->slice(1, 1, 6, 2);  // (4, 3), strided
    column_view *= 3;
    Array transposed = x->T();
    transposed += 0.5;
  }
  expect_values(on_gpu.to_vector<double>(), cpu_copy.to_vector<double>(), "in place via views");
}

// matmul takes what the CPU takes: transposed and strided views, vectors, broadcast
// batches, mixed dtypes, integers and bools (on CUDA: cuBLAS for the float layouts it reads
// in place, transposed ones included; a plain kernel for the rest).
TEST_F(GpuArrayTest, MatmulTakesEveryLayoutAndDtypeTheCpuTakes) {
  std::mt19937_64 rng(5);
  // matmul(va(a), vb(b)) on the CPU and on gpu(0), the views taken on each device (a copy
  // to a GPU is contiguous).
  using View = std::function<Array(const Array&)>;
  const View same = [](const Array& x) { return x; };
  const View transposed = [](const Array& x) { return x.T(); };
  const View even_columns = [](const Array& x) { return x.slice(1, 0, std::nullopt, 2); };
  const auto check = [&](const Array& a, const Array& b, const std::string& what, const View& va,
                         const View& vb) {
    const Array want = ndflow::matmul(va(a), vb(b));
    const Array got = ndflow::matmul(va(a.copy_to(kGpu0)), vb(b.copy_to(kGpu0)));
    ASSERT_EQ(got.device(), kGpu0) << what;
    ASSERT_EQ(got.shape(), want.shape()) << what;
    ASSERT_EQ(got.dtype(), want.dtype()) << what;
    expect_values(got.to_vector<double>(), want.to_vector<double>(), what);
  };
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
    const std::string name = ndflow::dtype_name(t);
    const auto r = [&](const Shape& shape) { return random_array(rng, shape, t); };
    check(r({5, 7}), r({7, 3}), "row-major " + name, same, same);
    check(r({7, 5}), r({3, 7}), "both transposed " + name, transposed, transposed);
    check(r({5, 7}), r({3, 7}), "b transposed " + name, same, transposed);
    check(r({7, 5}), r({7, 3}), "a transposed " + name, transposed, same);
    check(r({5, 14}), r({7, 3}), "strided columns " + name, even_columns, same);
    check(r({7}), r({7, 3}), "vector @ matrix " + name, same, same);
    check(r({7}), r({3, 7}), "vector @ transposed matrix " + name, same, transposed);
    check(r({5, 7}), r({7}), "matrix @ vector " + name, same, same);
    check(r({7}), r({7}), "vector @ vector " + name, same, same);
    check(r({2, 1, 5, 7}), r({3, 7, 4}), "batch broadcast over two dims " + name, same, same);
    check(r({4, 5, 7}), r({7, 3}), "batch @ one matrix " + name, same, same);
    check(r({5, 0}), r({0, 3}), "k = 0 " + name, same, same);
  }
  check(random_array(rng, {4, 6}, ndflow::kFloat32), random_array(rng, {6, 2}, ndflow::kFloat64),
        "float32 @ float64", same, same);
  check(random_array(rng, {4, 6}, ndflow::kFloat32), random_array(rng, {6, 2}, ndflow::kInt32),
        "float32 @ int32", same, same);
  for (DType t : {ndflow::kInt32, ndflow::kInt64, ndflow::kUInt8, ndflow::kBool}) {
    const std::string name = ndflow::dtype_name(t);
    check(random_array(rng, {3, 9}, t), random_array(rng, {9, 4}, t), "integers " + name, same,
          same);
    check(random_array(rng, {9, 3}, t), random_array(rng, {2, 9, 4}, t),
          "integers, transposed and batched " + name, transposed, same);
  }
}

// NaN, infinities and values out of range convert to integers as on the CPU (x86, and
// NumPy): to the type's lowest value, and uint8 through int64. A GPU's own conversion
// saturates instead.
TEST_F(GpuArrayTest, FloatToIntegerConversionsMatchTheCpuAtTheEdges) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values{nan, 1e20, -1e20, inf, -inf, 3e9, -3.7, 2.5, 255.9, -1};
  for (DType from : {ndflow::kFloat32, ndflow::kFloat64}) {
    const Array host =
        ndflow::from_vector(values, {static_cast<std::int64_t>(values.size())}).astype(from);
    for (DType to : {ndflow::kInt32, ndflow::kInt64, ndflow::kUInt8, ndflow::kBool}) {
      EXPECT_EQ(host.copy_to(kGpu0).astype(to).to_vector<double>(),
                host.astype(to).to_vector<double>())
          << ndflow::dtype_name(from) << " to " << ndflow::dtype_name(to);
    }
  }
}

TEST_F(GpuArrayTest, ResultsStayOnTheirGpuAndPrintSo) {
  const Array x = ndflow::ones({2, 2}, ndflow::kFloat32, kGpu1);
  const Array y = ndflow::matmul(x, x) + 1;
  EXPECT_EQ(y.device(), kGpu1);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_NE(y.to_string().find("ctx=gpu(1)"), std::string::npos) << y.to_string();
  EXPECT_EQ(ndflow::sum(y).item<float>(), 12.0f);
}

TEST_F(GpuArrayTest, ArraysOnDifferentDevicesAreRefusedAtTheCall) {
  const Array a = ndflow::ones({2}, ndflow::kFloat32, kGpu0);
  const Array b = ndflow::ones({2}, ndflow::kFloat32, kGpu1);
  const Array c = ndflow::ones({2});
  EXPECT_THROW((void)(a + b), ndflow::DeviceError);
  EXPECT_THROW((void)(a + c), ndflow::DeviceError);
}

// The random programs of test_engine_modes.cc, with their arrays on a GPU (and visiting the
// other GPU and the host), give the CPU's results on every engine shape: bit for bit where
// the GPUs run the CPU's kernels, within rounding where they run CUDA's (expect_values).
TEST_F(GpuArrayTest, RandomProgramsOnGpusMatchTheCpu) {
  EngineOptions naive;
  naive.kind = EngineKind::kNaive;
  EngineOptions threaded;
  threaded.cpu_workers = 2;
  EngineOptions tight = threaded;
  tight.max_inflight = 8;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    std::vector<std::vector<double>> reference;
    {
      Engine engine(naive);
      ndflow::detail::set_array_engine(&engine);
      reference = run_program(seed);
      ndflow::detail::set_array_engine(nullptr);
    }
    for (const EngineOptions& options : {naive, threaded, tight}) {
      for (Device d : {kGpu0, kGpu1}) {
        Engine engine(options);
        ndflow::detail::set_array_engine(&engine);
        const auto got = run_program(seed, d);
        engine.wait_all();
        ndflow::detail::synchronize_all_gpus();
        ndflow::detail::set_array_engine(nullptr);
        ASSERT_EQ(got.size(), reference.size());
        for (std::size_t i = 0; i < got.size(); ++i)
          expect_values(got[i], reference[i],
                        "seed " + std::to_string(seed) + " on " + d.to_string() + ", result " +
                            std::to_string(i));
      }
    }
  }
}

// A copy to the host of what a long chain on the compute stream writes waits for the chain
// (read after write across streams), without the host waiting in between.
TEST_F(GpuArrayTest, ACopyOutWaitsForTheComputeStreamsWrite) {
  const std::vector<float> v = iota(64 * 64, -100);
  const Array host = ndflow::from_vector(v, {64, 64});
  Array cpu_ref = host, on_gpu = host.copy_to(kGpu0);
  for (int i = 0; i < 20; ++i) {
    cpu_ref = ndflow::tanh(ndflow::matmul(cpu_ref, cpu_ref) * 0.01);
    on_gpu = ndflow::tanh(ndflow::matmul(on_gpu, on_gpu) * 0.01);
  }
  expect_values(on_gpu.copy_to(Device::cpu()).to_vector<double>(), cpu_ref.to_vector<double>(),
                "20 products");
}

// A write on the compute stream after a copy-out of the same array read it (write after
// read across streams): the copy still sees the old values.
TEST_F(GpuArrayTest, AWriteWaitsForAnEarlierCopyOutsRead) {
  for (int round = 0; round < 50; ++round) {
    Array x = ndflow::full({256}, round, ndflow::kFloat32, kGpu0);
    const Array seen = x.copy_to(Device::cpu());
    x += 1000;
    const std::vector<float> got = seen.to_vector<float>();
    ASSERT_EQ(got, std::vector<float>(256, static_cast<float>(round))) << "round " << round;
    ASSERT_EQ(x.to_vector<float>(), std::vector<float>(256, static_cast<float>(round + 1000)));
  }
}

// wait_to_write waits for the reads still queued on the GPU's streams (a product on the
// compute stream, a copy on the copy-out stream), not only for the last write: memory
// changed outside ndflow right after it (here through data_ptr) is not seen by them.
TEST_F(GpuArrayTest, WaitToWriteWaitsForTheReadsOnEveryStream) {
  auto* sim = dynamic_cast<ndflow::detail::SimDevice*>(gpu(kGpu0).device.get());
  if (!sim) GTEST_SKIP() << "writes through data_ptr on the host: simulated GPUs only";
  constexpr int kN = 512;
  for (int round = 1; round <= 10; ++round) {
    const Array x = ndflow::full({kN, kN}, round, ndflow::kFloat32, kGpu0);
    x.wait_to_read();
    const Array product = ndflow::matmul(x, x);
    const Array seen = x.copy_to(Device::cpu());
    x.wait_to_write();
    std::fill_n(static_cast<float*>(x.data_ptr()), kN * kN, -1.0f);
    const float want = static_cast<float>(round * round * kN);
    ASSERT_EQ(product.to_vector<float>(), std::vector<float>(kN * kN, want)) << "round " << round;
    ASSERT_EQ(seen.to_vector<float>(), std::vector<float>(kN * kN, static_cast<float>(round)))
        << "round " << round;
  }
}

// Host waits for GPU work under a WaitInterruption (what Python's Ctrl-C uses): while a
// kernel is held on the compute stream, wait_to_read, wait_to_write, wait_all and a copy to
// the host each call the check until it throws, and end with its exception; the GPU's work
// runs on, and its values arrive.
TEST_F(GpuArrayTest, AnInterruptionEndsHostWaitsForGpuWorkAndTheWorkRunsOn) {
  auto* sim = dynamic_cast<ndflow::detail::SimDevice*>(gpu(kGpu0).device.get());
  if (!sim) GTEST_SKIP() << "holds a stream with a host function: simulated GPUs only";
  struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
  };
  // Shared with the held kernel, which may outlive a failed test; set when the test ends,
  // however it ends.
  auto released = std::make_shared<std::atomic<bool>>(false);
  struct ReleaseOnExit {
    std::atomic<bool>& flag;
    ~ReleaseOnExit() { flag = true; }
  } release_on_exit{*released};
  const Array x = ndflow::full({4}, 1, ndflow::kFloat32, kGpu0);
  x.wait_to_read();
  sim->enqueue_host_work(gpu(kGpu0).stream(ndflow::LaneKind::kCompute), [released] {
    while (!*released) std::this_thread::sleep_for(std::chrono::microseconds(100));
  });
  const Array y = x + 1;  // its kernel queues behind the held one
  const std::vector<std::pair<std::string, std::function<void()>>> waits = {
      {"wait_to_read", [&] { y.wait_to_read(); }},
      {"wait_to_write", [&] { y.wait_to_write(); }},
      {"wait_all", [] { ndflow::wait_all(); }},
      {"to_vector", [&] { (void)y.to_vector<float>(); }}};
  for (const auto& [name, wait] : waits) {
    int checks = 0;
    ndflow::WaitInterruption scope(
        [&checks] {
          if (++checks == 3) throw Interrupted();
        },
        std::chrono::milliseconds(1));
    EXPECT_THROW(wait(), Interrupted) << name;
    EXPECT_EQ(checks, 3) << name;
  }
  *released = true;
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(4, 2.0f));
}

// Host reads from several threads at once, on both GPUs: the threads' waits take passes
// over the event poller's pending copies while the poller does too, each copy completed by
// exactly one of them, and every read gets its own values.
TEST_F(GpuArrayTest, HostReadsFromManyThreadsAtOnceGetTheirOwnValues) {
  constexpr int kThreads = 4, kReads = 100;
  std::vector<std::string> failures(kThreads);
  {
    std::vector<std::jthread> readers;
    for (int t = 0; t < kThreads; ++t)
      readers.emplace_back([t, &failures] {
        const std::string who = "thread " + std::to_string(t);
        try {
          const Array x = ndflow::full({3}, t, ndflow::kFloat32, t % 2 ? kGpu1 : kGpu0);
          for (int i = 0; i < kReads && failures[t].empty(); ++i) {
            const std::vector<float> got = (x + i).to_vector<float>();
            const float want = static_cast<float>(t + i);
            if (got != std::vector<float>(3, want))
              failures[t] = who + ", read " + std::to_string(i) + ": got " +
                            std::to_string(got[0]) + ", want " + std::to_string(want);
          }
        } catch (const std::exception& e) {
          failures[t] = who + ": " + e.what();
        }
      });
  }
  for (const std::string& f : failures) EXPECT_EQ(f, "");
}

// Memory freed by one stream's work and reused by a copy-in on another stream: the copy
// waits for that work (the allocator hands blocks out for the compute stream).
TEST_F(GpuArrayTest, ReusedMemoryIsNotOverwrittenWhileStillRead) {
  const std::vector<float> ones(4096, 1.0f);
  for (int round = 0; round < 50; ++round) {
    Array product;
    {
      const Array a = ndflow::from_vector(iota(4096, static_cast<float>(round)), {4096}, kGpu0);
      product = a * 2;  // reads a on the compute stream; a's block is then free
    }
    const Array b = ndflow::from_vector(ones, {4096}, kGpu0);  // may reuse a's block
    const std::vector<float> got = product.to_vector<float>();
    for (int i = 0; i < 4096; i += 511)
      ASSERT_EQ(got[static_cast<std::size_t>(i)], 2.0f * static_cast<float>(round + i));
    ASSERT_EQ(b.to_vector<float>(), ones);
  }
}

// No host synchronisation per op: pushing GPU work waits for nothing; only waits do.
TEST_F(GpuArrayTest, PushingGpuOpsNeverWaitsOnTheHost) {
  auto* sim = dynamic_cast<ndflow::detail::SimDevice*>(gpu(kGpu0).device.get());
  if (!sim) GTEST_SKIP() << "counts host waits on simulated GPUs only";
  Array x = ndflow::ones({32, 32}, ndflow::kFloat32, kGpu0);
  ndflow::wait_all();
  const std::uint64_t before = sim->host_waits();
  for (int i = 0; i < 100; ++i) x = ndflow::tanh(ndflow::matmul(x, x) * 0.01) + 0.5;
  const Array on_host = x.copy_to(Device::cpu());
  ndflow::detail::array_engine().wait_all();  // every op issued (the copy: done)
  EXPECT_EQ(sim->host_waits(), before) << "an op or the copy synchronised with the host";
  (void)on_host.to_vector<float>();
}

// Copies out of a GPU into pinned host memory (PyTorch's non_blocking=True): the values
// arrive, the result is an ordinary CPU array, and the pinned blocks are reused once freed.
TEST_F(GpuArrayTest, PinnedCopiesOutHoldTheValuesAndReuseTheirMemory) {
  using ndflow::HostMemory;
  const Array x = ndflow::from_vector(iota(1000), {10, 100}, kGpu0);
  ndflow::wait_all();
  const ndflow::detail::PinnedStats before = ndflow::detail::pinned_stats();
  for (int round = 0; round < 30; ++round) {
    const Array y = (x + round).copy_to(Device::cpu(), HostMemory::kPinned);
    ASSERT_TRUE(y.is_pinned());
    ASSERT_EQ(y.device(), Device::cpu());
    const std::vector<float> got = (y * 2).to_vector<float>();  // CPU ops take it as it is
    for (int i = 0; i < 1000; i += 97)
      ASSERT_EQ(got[static_cast<std::size_t>(i)], 2.0f * static_cast<float>(i + round));
    ASSERT_EQ(y.copy_to(kGpu1).to_vector<float>()[999], 999.0f + static_cast<float>(round));
  }
  ndflow::wait_all();
  const ndflow::detail::PinnedStats after = ndflow::detail::pinned_stats();
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use) << "a pinned block was not given back";
  EXPECT_LE(after.raw_allocs - before.raw_allocs, 2u) << "freed pinned blocks were not reused";
  // Only copies out of a GPU pin: the others make ordinary arrays.
  EXPECT_FALSE(x.copy_to(Device::cpu()).is_pinned());
  EXPECT_FALSE(ndflow::ones({4}).copy_to(Device::cpu(1), HostMemory::kPinned).is_pinned());
  EXPECT_FALSE(x.copy_to(kGpu1, HostMemory::kPinned).is_pinned());
}

TEST_F(GpuArrayTest, FreedArraysGiveTheirMemoryBackToTheCache) {
  ndflow::wait_all();
  auto& allocator = *gpu(kGpu1).allocator;
  const std::size_t before = allocator.stats().allocated_bytes;
  {
    std::vector<Array> arrays;
    for (int i = 0; i < 8; ++i) arrays.push_back(ndflow::ones({1 << 18}, ndflow::kFloat32, kGpu1));
    EXPECT_GE(allocator.stats().allocated_bytes, before + 8 * (std::size_t{1} << 20));
  }
  ndflow::wait_all();
  EXPECT_EQ(allocator.stats().allocated_bytes, before);
}

// A long reduction (few outputs per block group, so its ranges are cut into chunks) keeps
// the chunks' partials in scratch from the GPU's cache, under NDFLOW_GPU_MEMORY_LIMIT like
// any array, and gives it back once the op has run.
TEST_F(GpuArrayTest, ALongReductionsScratchComesFromTheGpusCacheAndGoesBack) {
  if (ndflow::gpus_run_cpu_kernels())
    GTEST_SKIP() << "these GPUs run the CPU's kernels, whose long reductions split otherwise";
  const Array x = ndflow::ones({1000, 2000}, ndflow::kFloat32, kGpu1);
  ndflow::wait_all();
  auto& allocator = *gpu(kGpu1).allocator;
  const auto before = allocator.stats();
  {
    const Array by_row = ndflow::sum(x, {1});  // 1000 outputs: one block each, no scratch
    ndflow::wait_all();
    EXPECT_EQ(allocator.stats().allocations - before.allocations, 1u);
    const Array by_column = ndflow::sum(x, {0});  // 63 groups of 32 columns: chunks
    ndflow::wait_all();
    EXPECT_EQ(allocator.stats().allocations - before.allocations, 3u)
        << "the column sums' result and scratch";
    for (float v : by_column.to_vector<float>()) ASSERT_EQ(v, 1000.0f);
  }
  ndflow::wait_all();
  EXPECT_EQ(allocator.stats().allocated_bytes, before.allocated_bytes);
}

// cuRAND makes normals in pairs: an odd count's last value comes from a pair drawn into an
// array from the GPU's cache (under NDFLOW_GPU_MEMORY_LIMIT), given back once the op has run.
TEST_F(GpuArrayTest, AnOddNormalDrawsTailPairComesFromTheGpusCacheAndGoesBack) {
  if (ndflow::gpus_run_cpu_kernels())
    GTEST_SKIP() << "these GPUs run the CPU's kernels, which draw normals one by one";
  auto& allocator = *gpu(kGpu1).allocator;
  ndflow::wait_all();
  const auto before = allocator.stats();
  {
    const Array even = ndflow::random::normal(0, 1, {1000}, ndflow::kFloat32, kGpu1);
    ndflow::wait_all();
    EXPECT_EQ(allocator.stats().allocations - before.allocations, 1u) << "the result only";
    const Array odd = ndflow::random::normal(0, 1, {1001}, ndflow::kFloat64, kGpu1);
    ndflow::wait_all();
    EXPECT_EQ(allocator.stats().allocations - before.allocations, 3u)
        << "the odd draw's result and tail pair";
    const std::vector<double> values = odd.to_vector<double>();
    ASSERT_TRUE(std::isfinite(values.back())) << values.back();
    EXPECT_NE(values.back(), values[values.size() - 2]) << "the tail was not drawn";
  }
  ndflow::wait_all();
  EXPECT_EQ(allocator.stats().allocated_bytes, before.allocated_bytes);
}

// A DLPack consumer's stream orders the reuse of CUDA memory only: a simulated GPU's array
// (host memory) and a CPU array ignore it, and their memory comes back as before.
TEST_F(GpuArrayTest, AForeignStreamLeavesHostMemoryAlone) {
  if (!ndflow::gpus_simulated())
    GTEST_SKIP() << "on a CUDA GPU, tests/python/test_gpu_dlpack.py checks the stream's order";
  auto& allocator = *gpu(kGpu0).allocator;
  ndflow::wait_all();
  const auto before = allocator.stats();
  {
    const Array x = ndflow::ones({1000}, ndflow::kFloat32, kGpu0);
    const Array c = ndflow::ones({1000}, ndflow::kFloat32);
    constexpr std::uintptr_t kNoSuchStream = 0x1234;  // never a stream: must not be touched
    ndflow::use_on_foreign_stream(x, kNoSuchStream);
    ndflow::use_on_foreign_stream(c, kNoSuchStream);
  }
  ndflow::wait_all();
  EXPECT_EQ(allocator.stats().blocks_awaiting_events, 0u);
  EXPECT_EQ(allocator.stats().allocated_bytes, before.allocated_bytes);
}

TEST_F(GpuArrayTest, TooLargeAnArrayIsAnOutOfMemoryErrorAtTheCall) {
  try {
    (void)ndflow::empty({std::int64_t{1} << 40}, ndflow::kFloat32, kGpu0);
    FAIL() << "4 TiB fitted a simulated GPU";
  } catch (const ndflow::OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu(0)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ndflow::ones({2}, ndflow::kFloat32, kGpu0).to_vector<float>(),
            (std::vector<float>{1, 1}));
}

// Other libraries' CUDA memory (DLPack imports) is copied onto a CUDA GPU through any
// strides, with the producer's dtype. Here an ndflow array's own memory stands in for a
// library's; simulated GPUs and the CPU refuse, saying why.
TEST_F(GpuArrayTest, CudaMemoryOfOtherLibrariesIsCopiedOntoACudaGpu) {
  const Array src = ndflow::arange(0, 12, 1, ndflow::kInt64, kGpu1).reshape({3, 4});
  src.wait_to_read();
  const auto copy = [&](Device d) {
    // Reversed rows, every other column: a strided view of the memory.
    const auto* last_row = static_cast<const std::int64_t*>(src.data_ptr()) + 8;
    return ndflow::copy_from_cuda_memory(last_row, {3, 2}, {-4, 2}, ndflow::kInt64, d);
  };
  EXPECT_THROW((void)copy(Device::cpu()), ndflow::DeviceError);
  if (ndflow::gpus_simulated()) {
    try {
      (void)copy(kGpu0);
      FAIL() << "a simulated GPU read CUDA memory";
    } catch (const ndflow::DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("simulated GPU"), std::string::npos) << e.what();
    }
    return;
  }
  const Array got = copy(kGpu0);
  EXPECT_EQ(got.device(), kGpu0);
  EXPECT_EQ(got.to_vector<std::int64_t>(), (std::vector<std::int64_t>{8, 10, 4, 6, 0, 2}));
  const std::int64_t host[2] = {1, 2};
  EXPECT_THROW((void)ndflow::copy_from_cuda_memory(host, {2}, {1}, ndflow::kInt64, kGpu0),
               ndflow::DeviceError)
      << "host memory is not CUDA memory";
}

}  // namespace
}  // namespace ndflow_test
