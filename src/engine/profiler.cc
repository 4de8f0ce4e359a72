#include "engine/profiler.h"

#include <cstdio>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "engine/op.h"

namespace ndflow::detail {
namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string us(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1000.0);
  return buf;
}

// Trace ids: a process per lane (pid = lane + 1), a thread per worker (tid = worker + 1),
// tid 0 for ops that a waiting thread ran inline, and one track for the lane's stream.
int tid_of(int worker) { return worker + 1; }
constexpr int kStreamTid = 1000;
int tid_of(const ProfileRecord& r) { return r.on_stream ? kStreamTid : tid_of(r.worker); }

}  // namespace

void Profiler::start() {
  std::lock_guard lock(mu_);
  records_.clear();
  pending_.clear();
  origin_ns_ = now_ns();
  enabled_.store(true, std::memory_order_release);
}

void Profiler::stop() { enabled_.store(false, std::memory_order_release); }

void Profiler::record(const Op& op, std::int64_t end_ns) {
  ProfileRecord r;
  r.name = op.name;
  r.lane = Lane{op.lane};
  r.worker = op.worker;
  r.push_ns = op.push_ns;
  r.start_ns = op.start_ns;
  r.end_ns = end_ns;
  std::lock_guard lock(mu_);
  records_.push_back(std::move(r));
}

void Profiler::add_stream_span(const char* name, Lane lane, int worker, std::int64_t issued_ns,
                               OpContext::StreamTimes times) {
  PendingSpan span;
  span.record.name = name;
  span.record.lane = lane;
  span.record.worker = worker;
  span.record.push_ns = issued_ns;
  span.record.on_stream = true;
  span.times = std::move(times);
  std::lock_guard lock(mu_);
  pending_.push_back(std::move(span));
}

void Profiler::resolve_pending() const {
  std::vector<PendingSpan> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(pending_);
  }
  if (pending.empty()) return;
  std::vector<ProfileRecord> resolved;
  resolved.reserve(pending.size());
  for (PendingSpan& p : pending) {
    std::optional<std::pair<std::int64_t, std::int64_t>> t;
    try {
      t = p.times();
    } catch (...) {
      // The device failed: the work never ran, and the failure surfaces at the waits.
    }
    if (!t) continue;
    p.record.start_ns = t->first;
    p.record.end_ns = t->second;
    resolved.push_back(std::move(p.record));
  }
  std::lock_guard lock(mu_);
  records_.insert(records_.end(), std::make_move_iterator(resolved.begin()),
                  std::make_move_iterator(resolved.end()));
}

std::vector<ProfileRecord> Profiler::records() const {
  resolve_pending();
  std::lock_guard lock(mu_);
  return records_;
}

std::string Profiler::to_json(const std::function<std::string(Lane)>& lane_name,
                              const std::function<int(Lane)>& lane_workers, int num_lanes) const {
  const std::vector<ProfileRecord> recs = records();
  std::int64_t origin;
  {
    std::lock_guard lock(mu_);
    origin = origin_ns_;
  }
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const std::string& event) {
    if (!first) out += ",\n";
    first = false;
    out += event;
  };
  std::set<int> inline_tracks, stream_tracks;  // lanes that have them
  for (const auto& r : recs) {
    if (r.on_stream)
      stream_tracks.insert(r.lane.id);
    else if (r.worker < 0)
      inline_tracks.insert(r.lane.id);
  }
  for (int l = 0; l < num_lanes; ++l) {
    const Lane lane{static_cast<std::uint16_t>(l)};
    const std::string pid = std::to_string(l + 1);
    emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + pid + ",\"args\":{\"name\":\"" +
         json_escape(lane_name(lane)) + "\"}}");
    emit("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" + pid +
         ",\"args\":{\"sort_index\":" + std::to_string(l) + "}}");
    for (int w = 0; w < lane_workers(lane); ++w)
      emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + pid +
           ",\"tid\":" + std::to_string(tid_of(w)) + ",\"args\":{\"name\":\"worker " +
           std::to_string(w) + "\"}}");
    if (inline_tracks.count(l))
      emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + pid +
           ",\"tid\":0,\"args\":{\"name\":\"waiting thread (inline)\"}}");
    if (stream_tracks.count(l))
      emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + pid + ",\"tid\":" +
           std::to_string(kStreamTid) + ",\"args\":{\"name\":\"stream (when the work ran)\"}}");
  }
  for (const auto& r : recs) {
    // On a stream track, "pushed" is when the worker issued the work and "queued" how long
    // the stream took to reach it.
    emit(std::string("{\"ph\":\"X\",\"cat\":\"") + (r.on_stream ? "stream" : "op") +
         "\",\"name\":\"" + json_escape(r.name) + "\",\"pid\":" + std::to_string(r.lane.id + 1) +
         ",\"tid\":" + std::to_string(tid_of(r)) + ",\"ts\":" + us(r.start_ns - origin) +
         ",\"dur\":" + us(r.end_ns - r.start_ns) + ",\"args\":{\"push_us\":" +
         us(r.push_ns - origin) + ",\"queued_us\":" + us(r.start_ns - r.push_ns) + "}}");
  }
  out += "\n]}\n";
  return out;
}

}  // namespace ndflow::detail
