// The map from a GPU's event times to the host's clock (runtime/stream_clock.h), against a
// model GPU whose clock runs at another rate than the host's and calibrations whose windows
// are a few microseconds wide, as a real GPU's are: the map must stay near the host clock for
// a long profile, stay continuous from anchor to anchor, and start afresh after a pause.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "runtime/stream_clock.h"

namespace {

using ndflow::detail::ClockAnchor;
using ndflow::detail::ClockSample;
using ndflow::detail::first_clock_anchor;
using ndflow::detail::kClockChainMaxGapNs;
using ndflow::detail::kClockMaxRateError;
using ndflow::detail::next_clock_anchor;

constexpr std::int64_t kSecond = 1'000'000'000;

// A GPU whose clock runs `ppm` parts per million fast against the host's (negative: slow).
// The rate may change, as NTP slews the host's clock.
class ModelGpu {
 public:
  explicit ModelGpu(double ppm) : ppm_(ppm) {}
  void set_ppm(double ppm) { ppm_ = ppm; }

  // Advances both clocks to host time `host_ns` (never backwards).
  void advance_to(std::int64_t host_ns) {
    gpu_ns_ += static_cast<double>(host_ns - host_ns_) * (1.0 + ppm_ * 1e-6);
    host_ns_ = host_ns;
  }
  double gpu_ns() const { return gpu_ns_; }

  // What cudaEventElapsedTime reports between two GPU times: float milliseconds.
  static std::int64_t elapsed_ns(double from, double to) {
    const float ms = static_cast<float>((to - from) / 1e6);
    return std::llround(static_cast<double>(ms) * 1e6);
  }

 private:
  double ppm_;
  std::int64_t host_ns_ = 0;
  double gpu_ns_ = 0;
};

// A profile of `seconds`, calibrated about once a second (as CudaStreamDevice renews its
// origin) with windows of up to `window_ns`, the event falling anywhere in them. Returns the
// largest error of the map against the host clock at events 1 ms apart, each mapped from the
// anchor current when it happened, after the first `settle_s` seconds.
struct ProfileResult {
  std::int64_t max_error_ns = 0;
  std::vector<ClockAnchor> anchors;
  std::vector<std::int64_t> gpu_ns;  // GPU time from each anchor to the next
};

// With `late_every` > 0, every late_every-th calibration finds the GPU late: it reaches the
// event only at the end of a 1 ms window, as when its stream waits behind a busy one.
ProfileResult run_profile(ModelGpu& gpu, int seconds, std::int64_t window_ns, int settle_s,
                          double ppm_after_half = NAN, int late_every = 0) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> in_window(0, window_ns);
  ProfileResult result;
  std::int64_t now = 10 * kSecond;  // the host clock does not start at 0
  gpu.advance_to(now);
  int calibrations = 0;
  auto calibrate = [&] {
    if (late_every > 0 && ++calibrations % late_every == 0)
      return ClockSample{now - 1'000'000, now + window_ns / 2};
    const std::int64_t before = now - in_window(rng);
    const std::int64_t after = before + window_ns;
    return ClockSample{before, after};
  };
  ClockAnchor anchor = first_clock_anchor(calibrate());
  double anchor_gpu = gpu.gpu_ns();
  result.anchors.push_back(anchor);
  for (int s = 0; s < seconds; ++s) {
    if (s == seconds / 2 && !std::isnan(ppm_after_half)) gpu.set_ppm(ppm_after_half);
    for (int ms = 1; ms < 1000; ++ms) {
      now += 1'000'000;
      gpu.advance_to(now);
      const std::int64_t mapped = anchor.host_time(ModelGpu::elapsed_ns(anchor_gpu, gpu.gpu_ns()));
      if (s >= settle_s)
        result.max_error_ns = std::max<std::int64_t>(result.max_error_ns, std::llabs(mapped - now));
    }
    now += 1'000'000 + in_window(rng);  // renewals are not exactly a second apart
    gpu.advance_to(now);
    const std::int64_t gpu_ns = ModelGpu::elapsed_ns(anchor_gpu, gpu.gpu_ns());
    anchor = next_clock_anchor(anchor, gpu_ns, calibrate());
    result.gpu_ns.push_back(gpu_ns);
    anchor_gpu = gpu.gpu_ns();
    result.anchors.push_back(anchor);
  }
  return result;
}

TEST(StreamClock, FirstAnchorIsTheSampleMidpointAtRateOne) {
  const ClockAnchor a = first_clock_anchor(ClockSample{1000, 3000});
  EXPECT_EQ(a.host_ns, 2000);
  EXPECT_EQ(a.measured_ns, 2000);
  EXPECT_EQ(a.rate, 1.0);
  EXPECT_EQ(a.host_time(500), 2500);
  EXPECT_EQ(a.host_time(-500), 1500);
}

// A GPU clock 50 ppm off drifts 30 ms from the host's over a 10-minute profile. The map must
// stay within about a calibration window (5 us) of the host clock all along.
TEST(StreamClock, StaysNearTheHostClockOverALongProfileDespiteDrift) {
  for (double ppm : {50.0, -50.0, 5.0}) {
    SCOPED_TRACE(ppm);
    ModelGpu gpu(ppm);
    const ProfileResult r = run_profile(gpu, 600, 5'000, /*settle_s=*/20);
    EXPECT_LT(r.max_error_ns, 10'000) << "the map strayed from the host clock";
  }
}

// Without steering, the chain would be as far off as the drift: the model is not too kind.
TEST(StreamClock, TheModelDriftsWithoutSteering) {
  ModelGpu gpu(50.0);
  gpu.advance_to(0);
  const double start = gpu.gpu_ns();
  gpu.advance_to(600 * kSecond);
  const std::int64_t drift = ModelGpu::elapsed_ns(start, gpu.gpu_ns()) - 600 * kSecond;
  EXPECT_GT(drift, 29'000'000);
}

// NTP may change the host clock's rate mid-profile; the map follows within seconds.
TEST(StreamClock, FollowsAChangeOfRate) {
  ModelGpu gpu(40.0);
  // Right after the change the error grows by 80 us a second until steering catches up,
  // and it is back under 10 us within a minute.
  const ProfileResult r = run_profile(gpu, 240, 5'000, /*settle_s=*/180, /*ppm_after_half=*/-40.0);
  EXPECT_LT(r.max_error_ns, 10'000);
}

// A calibration that found the GPU late says where the event was only within a millisecond;
// steering by its midpoint would pull the map half a millisecond off.
TEST(StreamClock, IgnoresCalibrationsThatFoundTheGpuLate) {
  ModelGpu gpu(30.0);
  const ProfileResult r = run_profile(gpu, 120, 5'000, /*settle_s=*/20, NAN, /*late_every=*/4);
  EXPECT_LT(r.max_error_ns, 10'000);
}

// Each anchor's host time is where the previous anchor's line puts it, so events in order on
// the GPU stay in order on the host across anchors; and every rate is positive and near 1.
TEST(StreamClock, AnchorsChainContinuouslyWithRatesNearOne) {
  ModelGpu gpu(-30.0);
  const ProfileResult r = run_profile(gpu, 120, 5'000, 0);
  ASSERT_EQ(r.anchors.size(), 121u);
  for (std::size_t i = 1; i < r.anchors.size(); ++i) {
    const ClockAnchor& prev = r.anchors[i - 1];
    const ClockAnchor& next = r.anchors[i];
    EXPECT_EQ(next.intervals, static_cast<int>(i));
    EXPECT_EQ(next.host_ns, prev.host_time(r.gpu_ns[i - 1])) << i;
    EXPECT_GE(next.rate, 1.0 - kClockMaxRateError);
    EXPECT_LE(next.rate, 1.0 + kClockMaxRateError);
  }
}

TEST(StreamClock, AChainIsGivenUpAfterALongPause) {
  const ClockAnchor a = first_clock_anchor(ClockSample{0, 2000});
  const std::int64_t later = kClockChainMaxGapNs + 5 * kSecond;
  const ClockAnchor b = next_clock_anchor(a, later + 777, ClockSample{later, later + 2000});
  EXPECT_EQ(b.host_ns, later + 1000) << "after the pause, the new sample alone places it";
  EXPECT_EQ(b.rate, 1.0);
  EXPECT_EQ(b.intervals, 0);
}

TEST(StreamClock, AWildSampleMovesTheRateByAtMostTheClamp) {
  const ClockAnchor a = first_clock_anchor(ClockSample{0, 0});
  // The sample says a whole second passed on the host while the GPU counted a millisecond.
  const ClockAnchor b = next_clock_anchor(a, 1'000'000, ClockSample{kSecond, kSecond});
  EXPECT_EQ(b.host_ns, 1'000'000);
  EXPECT_EQ(b.rate, 1.0 + kClockMaxRateError);
  // And a calibration that claims the GPU ran backwards starts a new chain.
  const ClockAnchor c = next_clock_anchor(b, -5, ClockSample{2 * kSecond, 2 * kSecond});
  EXPECT_EQ(c.host_ns, 2 * kSecond);
  EXPECT_EQ(c.rate, 1.0);
}

}  // namespace
