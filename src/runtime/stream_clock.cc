#include "runtime/stream_clock.h"

#include <algorithm>
#include <cmath>

namespace ndflow::detail {

std::int64_t ClockAnchor::host_time(std::int64_t gpu_ns) const noexcept {
  return host_ns + std::llround(rate * static_cast<double>(gpu_ns));
}

ClockAnchor first_clock_anchor(const ClockSample& sample) noexcept {
  ClockAnchor a;
  a.host_ns = a.measured_ns = sample.midpoint_ns();
  a.narrowest_window_ns = sample.width_ns();
  return a;
}

ClockAnchor next_clock_anchor(const ClockAnchor& previous, std::int64_t gpu_ns,
                              const ClockSample& sample) noexcept {
  const std::int64_t measured = sample.midpoint_ns();
  // gpu_ns <= 0 cannot come from a later calibration; start afresh rather than divide by it.
  if (gpu_ns <= 0 || measured - previous.measured_ns > kClockChainMaxGapNs)
    return first_clock_anchor(sample);
  ClockAnchor a;
  a.host_ns = previous.host_time(gpu_ns);  // continuous: where the previous line puts it
  a.measured_ns = measured;
  a.intervals = previous.intervals + 1;
  a.narrowest_window_ns = std::min(previous.narrowest_window_ns, sample.width_ns());
  if (sample.width_ns() >
      std::max(kClockWideWindowFactor * previous.narrowest_window_ns, kClockWideWindowNs)) {
    // Too loose to steer by: the previous line stands, and its value here stands in for the
    // measurement the next interval's rate starts from.
    a.measured_ns = a.host_ns;
    a.measured_rate = previous.measured_rate;
    a.rate = previous.rate;
    return a;
  }
  // This interval's rate, blurred by the two calibration windows (some ppm over a second),
  // averaged with the earlier ones: all of them while there are few, then a moving window.
  const double interval_rate =
      static_cast<double>(measured - previous.measured_ns) / static_cast<double>(gpu_ns);
  const double weight =
      std::max(1.0 / a.intervals, static_cast<double>(gpu_ns) / kClockRateWindowNs);
  a.measured_rate = std::clamp(
      previous.measured_rate + std::min(weight, 1.0) * (interval_rate - previous.measured_rate),
      1.0 - kClockMaxRateError, 1.0 + kClockMaxRateError);
  // Plus what closes the map's error over the steering time. That time is at least twice
  // this interval, so that the next anchor (about as far off) overshoots by half at most,
  // never oscillating.
  const double horizon = static_cast<double>(std::max(kClockSteeringNs, 2 * gpu_ns));
  const double rate = a.measured_rate + static_cast<double>(measured - a.host_ns) / horizon;
  a.rate = std::clamp(rate, 1.0 - kClockMaxRateError, 1.0 + kClockMaxRateError);
  return a;
}

}  // namespace ndflow::detail
