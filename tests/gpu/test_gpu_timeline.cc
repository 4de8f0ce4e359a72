// What the profiler sees of GPU streams: each GPU op adds a span of stream time (when its
// work ran, not when a worker issued it), and from those spans the chapter's claims are
// checked the way a user would check them in a trace: a matmul chain on the compute stream
// overlaps the copies out of earlier results, a copy starts only after the product it reads
// ends, and two GPUs computing independently run at the same time. Runs on two simulated
// GPUs (label gpusim) and on CUDA ones (label gpu), like test_gpu_arrays.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "array/array_impl.h"
#include "gpu/gpu_device.h"
#include "gpu/two_gpu_test.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

using ndflow::Array;
using ndflow::Device;
using ndflow::ProfileRecord;

class GpuTimelineTest : public TwoGpuTest {
 protected:
  void SetUp() override {
    TwoGpuTest::SetUp();
    if (IsSkipped()) return;
    ndflow::wait_all();
    engine().profiler_start();
  }
  void TearDown() override {
    engine().profiler_stop();
    TwoGpuTest::TearDown();
  }
  static ndflow::Engine& engine() { return ndflow::detail::array_engine(); }

  // The stream spans of ops named `name` on the lane called `lane` ("gpu(0) compute"), by
  // start time.
  static std::vector<ProfileRecord> spans(const std::vector<ProfileRecord>& records,
                                          const std::string& name, const std::string& lane) {
    std::vector<ProfileRecord> out;
    for (const ProfileRecord& r : records)
      if (r.on_stream && r.name == name && engine().lane_name(r.lane) == lane) out.push_back(r);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
    return out;
  }

  // Nanoseconds during which some span of `a` and some span of `b` both ran.
  static std::int64_t overlap_ns(const std::vector<ProfileRecord>& a,
                                 const std::vector<ProfileRecord>& b) {
    std::int64_t total = 0;
    for (const ProfileRecord& x : a)
      for (const ProfileRecord& y : b)
        total += std::max<std::int64_t>(
            0, std::min(x.end_ns, y.end_ns) - std::max(x.start_ns, y.start_ns));
    return total;
  }
};

// Runs of the overlap tests before they give up. Once (2026-11-24), under `ctest -j2` on 2
// cores, two simulated GPUs ran one after the other in all of 3 runs.
constexpr int kAttempts = 6;

Array square_matrix(int n, Device device) {
  return ndflow::random::uniform(0, 1.0 / n, {n, n}, ndflow::kFloat32, device);
}

TEST_F(GpuTimelineTest, EveryGpuOpHasAStreamSpanAfterItWasIssued) {
  const Array x = square_matrix(64, Device::gpu(0));
  const Array y = ndflow::matmul(x, x) + 1;
  (void)y.copy_to(Device::cpu()).to_vector<float>();
  const std::vector<ProfileRecord> records = engine().profiler_records();
  for (const char* name : {"random_uniform", "matmul", "add"})
    EXPECT_EQ(spans(records, name, "gpu(0) compute").size(), 1u) << name;
  EXPECT_EQ(spans(records, "copy_to", "gpu(0) copy-out").size(), 1u);
  for (const ProfileRecord& r : records) {
    if (!r.on_stream) continue;
    EXPECT_LE(r.start_ns, r.end_ns) << r.name;
    EXPECT_LE(r.push_ns, r.start_ns) << r.name << ": ran before it was issued";
  }
  // The JSON trace shows them on a track of their own.
  EXPECT_NE(engine().profiler_json().find("\"cat\":\"stream\""), std::string::npos);
}

// The chapter's "Run on GPU and copy to CPU": each product's copy out runs on the copy-out
// stream while the next product runs on the compute stream. A simulated GPU's streams are
// host threads, which a busy 2-core machine may happen to run one after the other: the run
// is tried up to kAttempts times, and the order between streams must hold in every one.
TEST_F(GpuTimelineTest, AMatmulChainOverlapsTheCopiesOutOfEarlierResults) {
  constexpr int kSteps = 8;
  const Device gpu0 = Device::gpu(0);
  std::int64_t overlap = 0;
  for (int attempt = 0; attempt < kAttempts && overlap == 0; ++attempt) {
    engine().profiler_start();
    Array y = square_matrix(384, gpu0);
    const Array w = square_matrix(384, gpu0);
    std::vector<Array> on_host;
    for (int i = 0; i < kSteps; ++i) {
      y = ndflow::matmul(y, w);
      on_host.push_back(y.copy_to(Device::cpu()));
    }
    ndflow::wait_all();
    const std::vector<ProfileRecord> records = engine().profiler_records();
    const auto products = spans(records, "matmul", "gpu(0) compute");
    const auto copies = spans(records, "copy_to", "gpu(0) copy-out");
    ASSERT_EQ(products.size(), static_cast<std::size_t>(kSteps));
    ASSERT_EQ(copies.size(), static_cast<std::size_t>(kSteps));
    // Read after write across streams: copy i starts once product i ended.
    for (int i = 0; i < kSteps; ++i)
      ASSERT_GE(copies[i].start_ns, products[i].end_ns) << "copy " << i << " ran early";
    overlap = overlap_ns(products, copies);
  }
  EXPECT_GT(overlap, 0) << "no copy ran while a product ran, in " << kAttempts << " runs";
}

// On a real GPU the products are larger: a 384^2 product takes some microseconds there, about
// as long as a worker takes to issue one, so the two chains could miss each other by chance.
TEST_F(GpuTimelineTest, TwoGpusComputingIndependentlyOverlapInTime) {
  constexpr int kSteps = 4;
  const int n = ndflow::gpus_simulated() ? 384 : 1536;
  std::int64_t overlap = 0;
  for (int attempt = 0; attempt < kAttempts && overlap == 0; ++attempt) {  // as above
    engine().profiler_start();
    Array a = square_matrix(n, Device::gpu(0)), b = square_matrix(n, Device::gpu(1));
    for (int i = 0; i < kSteps; ++i) {
      a = ndflow::matmul(a, a);
      b = ndflow::matmul(b, b);
    }
    ndflow::wait_all();
    const std::vector<ProfileRecord> records = engine().profiler_records();
    const auto on0 = spans(records, "matmul", "gpu(0) compute");
    const auto on1 = spans(records, "matmul", "gpu(1) compute");
    ASSERT_EQ(on0.size(), static_cast<std::size_t>(kSteps));
    ASSERT_EQ(on1.size(), static_cast<std::size_t>(kSteps));
    overlap = overlap_ns(on0, on1);
  }
  EXPECT_GT(overlap, 0) << "the two GPUs never ran at the same time, in " << kAttempts << " runs";
}

}  // namespace
}  // namespace ndflow_test
