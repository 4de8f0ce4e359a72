// Shared helpers for the engine tests.
//
// Every helper that waits is bounded, so an engine bug shows up as a failed test rather
// than a hung test binary:
//   - SpinUntil / Gate::Wait give up after kDeadline and report false;
//   - a Watchdog in every fixture ends the process with a message if a test is stuck in
//     something the test cannot bound itself (an engine wait, the engine destructor).
// Tests never assert on elapsed time; the deadlines only turn a hang into a failure.
//
// Lifetime rules used throughout: state that ops touch is declared before the engine, so
// it outlives the engine destructor (which runs every op still pending); gates get a
// ScopedOpen declared after the engine; tests use TestEngine, which deletes their vars.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include "ndflow/engine.h"

// Readable parameter values in test names and failure messages. (Found by argument-
// dependent lookup, so they live in the namespace of the types they print.)
namespace ndflow {
inline void PrintTo(EngineKind kind, std::ostream* os) {
  *os << (kind == EngineKind::kThreaded ? "kThreaded" : "kNaive");
}
inline void PrintTo(Lane lane, std::ostream* os) { *os << "Lane{" << lane.id << "}"; }
}  // namespace ndflow

namespace ndflow_test {

using Clock = std::chrono::steady_clock;

// How long a test waits for something the engine should make happen "soon". Generous on
// purpose (sanitizer builds on a loaded 2-core machine are slow): only a hang reaches it.
inline constexpr std::chrono::seconds kDeadline{30};

// A whole test may not take longer than this; ctest's own TIMEOUT (300 s) is larger so
// that the watchdog, which names the test, fires first.
inline constexpr std::chrono::seconds kWatchdogLimit{240};

inline std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Spins until pred() holds or `limit` passes; returns whether it holds. Yields first and
// then sleeps briefly, so spinning threads leave the 2 cores to the engine's workers.
template <class Pred>
bool SpinUntil(Pred&& pred, Clock::duration limit = kDeadline) {
  const Clock::time_point deadline = Clock::now() + limit;
  for (int i = 0; !pred(); ++i) {
    if (Clock::now() >= deadline) return pred();
    if (i < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

// A one-shot latch that ops block on (bounded) until the test opens it.
class Gate {
 public:
  explicit Gate(bool open = false) : open_(open) {}
  void Open() { open_.store(true, std::memory_order_release); }
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  // Returns false if the gate stayed closed for kDeadline.
  [[nodiscard]] bool Wait() const {
    return SpinUntil([this] { return is_open(); });
  }

 private:
  std::atomic<bool> open_;
};

// Opens a gate when it goes out of scope. Declared after the Engine, it runs before the
// engine destructor, so a test that stops early (a failed ASSERT) does not leave ops
// blocked on the gate until their deadline.
class ScopedOpen {
 public:
  explicit ScopedOpen(Gate& gate) : gate_(gate) {}
  ~ScopedOpen() { gate_.Open(); }
  ScopedOpen(const ScopedOpen&) = delete;
  ScopedOpen& operator=(const ScopedOpen&) = delete;

 private:
  Gate& gate_;
};

// Ends the process if the current test runs past kWatchdogLimit. ctest runs each test in
// its own process, so this fails exactly the hung test.
class Watchdog {
 public:
  Watchdog() : name_(CurrentTestName()), thread_([this] { Watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  static std::string CurrentTestName() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info == nullptr) return "(unknown test)";
    return std::string(info->test_suite_name()) + "." + info->name();
  }
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kWatchdogLimit, [this] { return done_; })) return;
    std::fprintf(stderr,
                 "\n[watchdog] %s still running after %lld s: an engine wait or the engine "
                 "destructor never returned. Exiting so the test fails instead of hanging.\n",
                 name_.c_str(), static_cast<long long>(kWatchdogLimit.count()));
    std::fflush(stderr);
    std::_Exit(3);
  }

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the members it reads
};

// Base fixture: every engine test runs under a watchdog.
class EngineTest : public ::testing::Test {
 private:
  Watchdog watchdog_;
};

// An Engine that deletes, when it is destroyed, every var made through it and not deleted
// by the test. The engine releases a var's tag only through delete_var (engine.h, Var), so
// without this every test would leak its vars under LSan. delete_var is ordered after the
// ops already pushed on the var, so this is safe with ops still pending.
class TestEngine : public ndflow::Engine {
 public:
  explicit TestEngine(ndflow::EngineOptions options) : ndflow::Engine(options) {}
  ~TestEngine() {
    std::lock_guard<std::mutex> lock(mu_);
    for (ndflow::Var v : live_) ndflow::Engine::delete_var(v);
  }
  TestEngine(const TestEngine&) = delete;
  TestEngine& operator=(const TestEngine&) = delete;

  ndflow::Var new_var() {
    const ndflow::Var v = ndflow::Engine::new_var();
    remember(v);
    return v;
  }
  // A delete_var refused for bad arguments leaves the var live, so it is deleted with the
  // engine. (Forgetting it first keeps a var that another thread's new_var gets once this
  // one is released from being erased along with it.)
  void delete_var(ndflow::Var v) {
    forget(v);
    try {
      ndflow::Engine::delete_var(v);
    } catch (...) {
      remember(v);
      throw;
    }
  }
  template <class F>
  void delete_var(ndflow::Var v, F&& on_release, std::int64_t frees_bytes = 0) {
    forget(v);
    try {
      ndflow::Engine::delete_var(v, std::forward<F>(on_release), frees_bytes);
    } catch (...) {
      remember(v);
      throw;
    }
  }

 private:
  void forget(ndflow::Var v) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase(live_, v);
  }
  void remember(ndflow::Var v) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.push_back(v);
  }

  std::mutex mu_;
  std::vector<ndflow::Var> live_;
};

inline ndflow::EngineOptions MakeOptions(ndflow::EngineKind kind, int cpu_workers = 2) {
  ndflow::EngineOptions o;
  o.kind = kind;
  o.cpu_workers = cpu_workers;
  return o;
}

inline ndflow::EngineOptions ThreadedOptions(int cpu_workers = 2) {
  return MakeOptions(ndflow::EngineKind::kThreaded, cpu_workers);
}

// Fixture for behaviour both engine kinds must share.
class EngineKindTest : public EngineTest, public ::testing::WithParamInterface<ndflow::EngineKind> {
 protected:
  bool threaded() const { return GetParam() == ndflow::EngineKind::kThreaded; }
  ndflow::EngineOptions Options(int cpu_workers = 2) const {
    return MakeOptions(GetParam(), cpu_workers);
  }
};

inline std::string KindName(const ::testing::TestParamInfo<ndflow::EngineKind>& info) {
  return info.param == ndflow::EngineKind::kThreaded ? "Threaded" : "Naive";
}

#define NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(suite)                                      \
  INSTANTIATE_TEST_SUITE_P(                                                             \
      Kinds, suite,                                                                     \
      ::testing::Values(::ndflow::EngineKind::kThreaded, ::ndflow::EngineKind::kNaive), \
      ::ndflow_test::KindName)

// Pushes an op on a fresh var and waits, without an engine wait, until it has run. Used
// before releasing a held op: an engine that wrongly considered a later op ready had a free
// worker and has had the time to run it by now (it was pushed before the probe).
inline ::testing::AssertionResult RunProbe(ndflow::Engine& e,
                                           ndflow::Lane lane = ndflow::Lane::cpu_compute()) {
  auto ran = std::make_shared<std::atomic<bool>>(false);  // outlives a probe that times out
  ndflow::Var v = e.new_var();
  e.push([ran] { ran->store(true, std::memory_order_release); }, {}, {v}, lane, 0, "probe");
  e.delete_var(v);
  if (SpinUntil([&] { return ran->load(std::memory_order_acquire); })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "an independent probe op did not run within " << kDeadline.count()
         << " s although a worker of its lane was free";
}

// Success if f() throws an E whose what() is `message`; says what happened otherwise.
template <class E, class F>
::testing::AssertionResult ThrowsWithMessage(F&& f, std::string_view message) {
  try {
    f();
  } catch (const E& e) {
    if (message == e.what()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw " << typeid(E).name() << " with message \""
                                         << e.what() << "\" instead of \"" << message << "\"";
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << "threw a different type, " << typeid(e).name() << ": \"" << e.what() << "\"";
  } catch (...) {
    return ::testing::AssertionFailure() << "threw something that is not a std::exception";
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// Reads a positive integer from the environment; `fallback` when unset or malformed.
inline std::int64_t EnvInt(const char* name, std::int64_t fallback) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  return (end != nullptr && *end == '\0' && v > 0) ? v : fallback;
}

// Size of the stress workloads; sanitizer builds set NDFLOW_STRESS_OPS=20000.
inline std::int64_t StressOps() { return EnvInt("NDFLOW_STRESS_OPS", 100000); }

// Completes deferred ops from its own thread, the way a GPU completion callback would:
// an op hands over its AsyncCompletion with Add() and returns. Stops after `expected`
// completions, or at kDeadline; handles still held then are dropped (which fails their
// ops), so a lost hand-off becomes an error, not a hang. Declare it before the Engine.
class Completer {
 public:
  explicit Completer(int expected) : thread_([this, expected] { Run(expected); }) {}
  ~Completer() {
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    pending_.clear();
  }
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  void Add(ndflow::AsyncCompletion c) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(std::move(c));
  }
  int completed() const { return completed_.load(); }

 private:
  void Run(int expected) {
    const Clock::time_point deadline = Clock::now() + kDeadline;
    while (completed_.load() < expected && Clock::now() < deadline) {
      ndflow::AsyncCompletion c;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!pending_.empty()) {
          c = std::move(pending_.front());
          pending_.pop_front();
        }
      }
      // Brief pauses so the engine sees these ops pending for a while.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (c.pending()) {
        c.complete();
        completed_.fetch_add(1);
      }
    }
  }

  std::mutex mu_;
  std::deque<ndflow::AsyncCompletion> pending_;
  std::atomic<int> completed_{0};
  std::thread thread_;  // last: starts after the members it uses
};

// Threads a test starts from inside ops; joined when the owner goes out of scope. Declare
// it before the Engine so that the engine destructor can still rely on them.
class HelperThreads {
 public:
  HelperThreads() = default;
  ~HelperThreads() { JoinAll(); }
  HelperThreads(const HelperThreads&) = delete;
  HelperThreads& operator=(const HelperThreads&) = delete;

  template <class F>
  void Start(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back(std::forward<F>(f));
  }
  void JoinAll() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

}  // namespace ndflow_test
