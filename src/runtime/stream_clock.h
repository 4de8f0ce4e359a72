// Maps the times a GPU gives its events onto the host's steady clock, for the profiler's
// stream spans. A GPU tells only how much of its own time passed between two of its events.
// The host learns where one event falls on its own clock only within a window: it records
// the event on an idle stream and waits for it, and the event happened somewhere between.
//
// Two things would make a simple map wrong:
//  - The window's width, a few microseconds. A map measured anew at each anchor jumps by up
//    to that much between anchors, and spans measured from different anchors can then cross
//    (a copy seeming to start before the product it reads ended).
//  - The two clocks' rates. Quartz clocks agree to some tens of ppm, and the host's is slewed
//    by NTP, so a map chained from one anchor to the next on the GPU's time alone drifts away
//    from the host's by about 0.5 ms per 10 s of profile, without bound.
//
// So the map is a chain of anchors. Each anchor is an event, with the host time the map gives
// it and a rate (host ns per GPU ns) that holds until the next anchor. Each anchor's host time
// is where the previous anchor's line puts it, so the map is continuous, and events in order
// on the GPU stay in order on the host, across anchors too. Each anchor's rate is steered
// toward the host clock, so the map stays within about a calibration window of the host
// clock however long the profile runs.
#pragma once

#include <cstdint>

namespace ndflow::detail {

// One calibration: the GPU reached an event at some host time in [before_ns, after_ns].
struct ClockSample {
  std::int64_t before_ns = 0;
  std::int64_t after_ns = 0;
  std::int64_t midpoint_ns() const noexcept { return before_ns + (after_ns - before_ns) / 2; }
  std::int64_t width_ns() const noexcept { return after_ns - before_ns; }
};

struct ClockAnchor {
  std::int64_t host_ns = 0;      // the map's host time for the anchor's event
  double rate = 1.0;             // host ns per GPU ns from this anchor on
  std::int64_t measured_ns = 0;  // the calibration's midpoint for the anchor's event
  // The clocks' rate (host ns per GPU ns) as the chain's calibrations measured it, smoothed
  // over about kClockRateWindowNs, and how many intervals the chain has had.
  double measured_rate = 1.0;
  int intervals = 0;
  // The narrowest calibration window of the chain: what a good sample looks like here.
  std::int64_t narrowest_window_ns = 0;

  // The host time of an event `gpu_ns` after the anchor's on the GPU's clock (negative for
  // one before it).
  std::int64_t host_time(std::int64_t gpu_ns) const noexcept;
};

// A chain is given up after a pause this long, and the next anchor starts a new one: the
// calibrations that steer the rate come only while the profiler records.
inline constexpr std::int64_t kClockChainMaxGapNs = 30'000'000'000;
// A rate further than this from 1 is a bad sample, not a clock: clamped.
inline constexpr double kClockMaxRateError = 1e-3;
// The rate closes the map's error over about this much time.
inline constexpr std::int64_t kClockSteeringNs = 2'000'000'000;
// The measured rate averages the intervals of about this much time: long enough to smooth the
// calibration windows' noise, short enough to follow NTP changing the host clock's rate.
inline constexpr std::int64_t kClockRateWindowNs = 10'000'000'000;

// A sample whose window is wider than this many times the chain's narrowest, and than
// kClockWideWindowNs, places its event too loosely to steer by: the GPU reached the event
// late (its stream shared a hardware queue with busy ones) or the host thread was preempted.
// The map goes on along the previous anchor's line instead.
inline constexpr std::int64_t kClockWideWindowFactor = 8;
inline constexpr std::int64_t kClockWideWindowNs = 50'000;

// The first anchor of a chain: the sample's midpoint, rate 1.
ClockAnchor first_clock_anchor(const ClockSample& sample) noexcept;

// The anchor of a new calibration `sample` of an event `gpu_ns` after `previous`'s event on
// the GPU's clock. Starts a new chain when the sample is more than kClockChainMaxGapNs after
// `previous` was measured; ignores a sample too wide to steer by.
ClockAnchor next_clock_anchor(const ClockAnchor& previous, std::int64_t gpu_ns,
                              const ClockSample& sample) noexcept;

}  // namespace ndflow::detail
