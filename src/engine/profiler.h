// Records each op's lane, worker and push/start/end stamps while enabled, and writes them
// as Chrome Trace Event JSON. Off by default; when off it costs one relaxed load per op.
// GPU ops add spans of stream time (OpContext::add_stream_span), which are known only once
// the stream has run the work: they wait, unresolved, until the records are read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ndflow/engine.h"

namespace ndflow::detail {

struct Op;

class Profiler {
 public:
  static std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }
  void start();
  void stop();
  void record(const Op& op, std::int64_t end_ns);
  void add_stream_span(const char* name, Lane lane, int worker, std::int64_t issued_ns,
                       OpContext::StreamTimes times);
  // Resolves the pending stream spans first (blocking until their work has run).
  std::vector<ProfileRecord> records() const;
  // lane_name(l) and lane_workers(l) describe the lanes for the trace's metadata.
  std::string to_json(const std::function<std::string(Lane)>& lane_name,
                      const std::function<int(Lane)>& lane_workers, int num_lanes) const;

 private:
  std::atomic<bool> enabled_{false};
  struct PendingSpan {
    ProfileRecord record;  // name, lane, worker and push_ns (the issue) filled in
    OpContext::StreamTimes times;
  };
  void resolve_pending() const;

  mutable std::mutex mu_;
  mutable std::vector<ProfileRecord> records_;
  mutable std::vector<PendingSpan> pending_;
  std::int64_t origin_ns_ = 0;  // trace timestamps are relative to profiler start
};

}  // namespace ndflow::detail
