#include "backends/sim/sim_device.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ndflow/error.h"

namespace ndflow::detail {
namespace {

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

// One stream: a thread running its tasks in order. `completed` counts tasks done; an event
// is the value `enqueued` had when it was recorded.
struct SimStream {
  std::mutex mu;
  std::condition_variable cv;  // new work for the thread, and progress for waiters
  std::deque<std::function<void()>> queue;
  std::uint64_t enqueued = 0;
  std::uint64_t completed = 0;
  std::uint64_t reaped = 0;  // completed tasks whose closures are destroyed
  bool stopping = false;
  std::thread thread;

  void wait_for(std::uint64_t target) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return completed >= target; });
  }
  void wait_reaped(std::uint64_t target) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reaped >= target; });
  }
};

struct SimEvent {
  std::shared_ptr<SimStream> stream;
  std::uint64_t target;
  // Timed events: steady-clock ns when the stream reached the event, written by the stream
  // (-1 until then, and for good if a failure skipped it).
  std::shared_ptr<std::atomic<std::int64_t>> stamp;

  bool reached() const {
    std::lock_guard lock(stream->mu);
    return stream->completed >= target;
  }
};

struct SimDevice::State {
  int index;
  std::size_t total_bytes;

  std::atomic<bool> failed{false};
  std::atomic<std::uint64_t> host_waits{0};
  std::mutex failure_mu;
  std::exception_ptr failure;

  std::mutex streams_mu;
  std::vector<std::shared_ptr<SimStream>> streams;

  // Memory: host blocks, counted against total_bytes.
  std::mutex memory_mu;
  std::unordered_map<void*, std::size_t> blocks;
  std::size_t used_bytes = 0;

  std::string label() const { return "simulated GPU " + std::to_string(index); }

  void fail(std::exception_ptr e) {
    std::lock_guard lock(failure_mu);
    if (!failure) failure = std::move(e);
    failed.store(true, std::memory_order_release);
  }
  void throw_if_failed() {
    if (!failed.load(std::memory_order_acquire)) return;
    std::lock_guard lock(failure_mu);
    throw DeviceError("ndflow: " + label() + " failed (a kernel threw): " + what_of(failure));
  }

  // Finished work is destroyed on the reaper thread, never on a stream's: a kernel's
  // closure may hold the last handle to an array, and dropping it pushes that array's
  // release, which may block under the engine's backpressure until copies complete, which
  // may need this stream. (A CUDA stream holds no C++ objects at all.) Host waits also wait
  // for the reaping of the work they wait for, so that after wait_all those releases are
  // pushed (see ndflow::wait_all).
  std::mutex reaper_mu;
  std::condition_variable reaper_cv;
  std::deque<std::pair<SimStream*, std::function<void()>>> to_destroy;
  bool reaper_stopping = false;
  std::thread reaper;

  void reap(SimStream& s, std::function<void()> done) {
    {
      std::lock_guard lock(reaper_mu);
      to_destroy.emplace_back(&s, std::move(done));
    }
    reaper_cv.notify_one();
  }
  void run_reaper() {
    std::unique_lock lock(reaper_mu);
    for (;;) {
      reaper_cv.wait(lock, [&] { return reaper_stopping || !to_destroy.empty(); });
      if (to_destroy.empty()) return;
      auto [stream, done] = std::move(to_destroy.front());
      to_destroy.pop_front();
      lock.unlock();
      done = nullptr;
      {
        std::lock_guard stream_lock(stream->mu);
        ++stream->reaped;
      }
      stream->cv.notify_all();
      lock.lock();
    }
  }

  void run(SimStream& s) {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(s.mu);
        s.cv.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
        if (s.queue.empty()) return;  // stopping, and drained
        task = std::move(s.queue.front());
        s.queue.pop_front();
      }
      // A failed device skips later work, as a CUDA context does after a fault.
      if (!failed.load(std::memory_order_acquire)) {
        try {
          task();
        } catch (...) {
          fail(std::current_exception());
        }
      }
      {
        std::lock_guard lock(s.mu);
        ++s.completed;
      }
      s.cv.notify_all();
      reap(s, std::move(task));
    }
  }

  std::shared_ptr<SimStream> stream_of(Stream h) {
    std::lock_guard lock(streams_mu);
    for (const auto& s : streams)
      if (reinterpret_cast<std::uintptr_t>(s.get()) == h.handle) return s;
    throw std::invalid_argument("ndflow: " + label() + ": unknown stream");
  }

  void enqueue(Stream h, std::function<void()> fn) {
    const std::shared_ptr<SimStream> s = stream_of(h);
    {
      std::lock_guard lock(s->mu);
      s->queue.push_back(std::move(fn));
      ++s->enqueued;
    }
    s->cv.notify_all();
  }

  Event record(Stream h) {
    std::shared_ptr<SimStream> s = stream_of(h);
    std::uint64_t target;
    {
      std::lock_guard lock(s->mu);
      target = s->enqueued;
    }
    return Event{reinterpret_cast<std::uintptr_t>(new SimEvent{std::move(s), target, nullptr})};
  }
};

namespace {

SimEvent& event_of(Event e) { return *reinterpret_cast<SimEvent*>(e.handle); }

// What the caching allocator sees: host blocks, refused past the simulated total.
class SimMemory final : public DeviceMemory {
 public:
  explicit SimMemory(SimDevice::State& state) : state_(state) {}
  void* raw_alloc(std::size_t bytes) override {
    std::lock_guard lock(state_.memory_mu);
    if (bytes > state_.total_bytes - state_.used_bytes) return nullptr;
    void* p = ::operator new(bytes, std::align_val_t(256), std::nothrow);
    if (!p) return nullptr;
    state_.blocks.emplace(p, bytes);
    state_.used_bytes += bytes;
    return p;
  }
  void raw_free(void* p) override {
    std::lock_guard lock(state_.memory_mu);
    auto it = state_.blocks.find(p);
    if (it == state_.blocks.end()) return;
    state_.used_bytes -= it->second;
    state_.blocks.erase(it);
    ::operator delete(p, std::align_val_t(256));
  }
  Event record_event(Stream s) override { return state_.record(s); }
  bool event_done(Event e) override { return event_of(e).reached(); }
  void release_event(Event e) override { delete &event_of(e); }
  std::size_t free_bytes() override {
    std::lock_guard lock(state_.memory_mu);
    return state_.total_bytes - state_.used_bytes;
  }

 private:
  SimDevice::State& state_;
};

}  // namespace

SimDevice::SimDevice(int index, std::size_t total_bytes) : state_(std::make_shared<State>()) {
  state_->index = index;
  state_->total_bytes = total_bytes;
  memory_ = std::make_unique<SimMemory>(*state_);
  State* state = state_.get();
  state_->reaper = std::thread([state] { state->run_reaper(); });
}

SimDevice::~SimDevice() {
  std::vector<std::shared_ptr<SimStream>> left;
  {
    std::lock_guard lock(state_->streams_mu);
    left = state_->streams;
  }
  for (const auto& s : left) destroy_stream(Stream{reinterpret_cast<std::uintptr_t>(s.get())});
  {
    std::lock_guard lock(state_->reaper_mu);
    state_->reaper_stopping = true;
  }
  state_->reaper_cv.notify_one();
  state_->reaper.join();
}

std::string SimDevice::name() const { return state_->label(); }
std::size_t SimDevice::total_bytes() const { return state_->total_bytes; }

DeviceMemory& SimDevice::memory() { return *memory_; }

Stream SimDevice::create_stream() {
  auto s = std::make_shared<SimStream>();
  State* state = state_.get();
  SimStream* raw = s.get();
  {
    std::lock_guard lock(state_->streams_mu);
    state_->streams.push_back(s);
  }
  raw->thread = std::thread([state, raw] { state->run(*raw); });
  return Stream{reinterpret_cast<std::uintptr_t>(raw)};
}

void SimDevice::destroy_stream(Stream h) {
  std::shared_ptr<SimStream> s = state_->stream_of(h);
  {
    std::lock_guard lock(s->mu);
    s->stopping = true;
  }
  s->cv.notify_all();
  if (s->thread.joinable()) s->thread.join();
  std::lock_guard lock(state_->streams_mu);
  std::erase(state_->streams, s);
}

Event SimDevice::record_event(Stream s) { return state_->record(s); }

bool SimDevice::query_event(Event e) {
  state_->throw_if_failed();
  return event_of(e).reached();
}

void SimDevice::synchronize_event(Event e) {
  state_->host_waits.fetch_add(1, std::memory_order_relaxed);
  SimEvent& ev = event_of(e);
  ev.stream->wait_reaped(ev.target);
  state_->throw_if_failed();
}

void SimDevice::release_event(Event e) { delete &event_of(e); }

Event SimDevice::record_timed_event(Stream s) {
  auto stamp = std::make_shared<std::atomic<std::int64_t>>(-1);
  state_->enqueue(s, [stamp] { stamp->store(host_clock_ns(), std::memory_order_relaxed); });
  const Event e = state_->record(s);
  event_of(e).stamp = std::move(stamp);
  return e;
}

std::int64_t SimDevice::event_time_ns(Event e) {
  // Not counted in host_waits: the profiler asks this when its records are read.
  SimEvent& ev = event_of(e);
  if (!ev.stamp)
    throw std::logic_error("ndflow: SimDevice::event_time_ns: not an event of record_timed_event");
  ev.stream->wait_for(ev.target);
  state_->throw_if_failed();
  const std::int64_t ns = ev.stamp->load(std::memory_order_relaxed);
  if (ns < 0) throw DeviceError("ndflow: " + state_->label() + ": a timed event was skipped");
  return ns;
}

std::uint64_t SimDevice::host_waits() const noexcept {
  return state_->host_waits.load(std::memory_order_relaxed);
}

void SimDevice::stream_wait_event(Stream s, Event e) {
  // The waiting task holds the event's stream and target, not the event: the caller may
  // release the event before the task runs.
  SimEvent& ev = event_of(e);
  state_->enqueue(s, [stream = ev.stream, target = ev.target] { stream->wait_for(target); });
}

void SimDevice::copy_async(void* dst, const void* src, std::size_t bytes, Stream s) {
  state_->enqueue(s, [dst, src, bytes] { std::memcpy(dst, src, bytes); });
}

void SimDevice::copy_from_peer_async(void* dst, const void* src, StreamDevice&, std::size_t bytes,
                                     Stream s) {
  copy_async(dst, src, bytes, s);  // simulated devices share the host's memory
}

void SimDevice::enqueue_host_work(Stream s, std::function<void()> fn) {
  state_->enqueue(s, std::move(fn));
}

}  // namespace ndflow::detail
