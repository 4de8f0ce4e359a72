// Backpressure: push() blocks while max_inflight ops are not done, so a producer that runs
// far ahead holds at most max_inflight closures (and whatever they own) at any time; and
// while the memory held for work not done (weighed outputs of ops in flight, releases not
// yet run) passes max_inflight_bytes, so that it holds a bounded amount of memory too.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Lane;
using ndflow::OpContext;
using ndflow::Var;
using namespace std::chrono_literals;

std::atomic<std::int64_t> g_live{0};
std::atomic<std::int64_t> g_max_live{0};

// Counts the closures the engine holds. Only copies count: the temporary a producer
// builds before calling push() is not yet the engine's (push may block before taking it),
// and push() stores its own copy, moved from that temporary, once it has a slot.
class LiveToken {
 public:
  LiveToken() = default;
  LiveToken(const LiveToken&) noexcept : counted_(true) { Enter(); }
  LiveToken(LiveToken&&) noexcept : counted_(true) { Enter(); }
  LiveToken& operator=(const LiveToken&) = delete;
  ~LiveToken() {
    if (counted_) g_live.fetch_sub(1);
  }

  static void Reset() {
    g_live = 0;
    g_max_live = 0;
  }

 private:
  static void Enter() {
    const std::int64_t now = g_live.fetch_add(1) + 1;
    std::int64_t max = g_max_live.load();
    while (now > max && !g_max_live.compare_exchange_weak(max, now)) {
    }
  }
  bool counted_ = false;
};

class BackpressureTest : public EngineTest {
 protected:
  static ndflow::EngineOptions Options(std::int64_t max_inflight,
                                       std::int64_t max_inflight_bytes = 0) {
    ndflow::EngineOptions o = ThreadedOptions(2);
    o.max_inflight = max_inflight;
    o.max_inflight_bytes = max_inflight_bytes;
    return o;
  }
};

TEST_F(BackpressureTest, ProducerNeverHasMoreThanMaxInflightOpsPending) {
  constexpr std::int64_t kMaxInflight = 1000;
  constexpr int kVars = 16;
  // A million tiny ops; fewer in sanitizer builds, which ask for a smaller stress size.
  const std::int64_t ops = StressOps() < 100000 ? 200000 : 1000000;
  std::uint64_t slots[kVars] = {};
  LiveToken::Reset();
  {
    TestEngine e(Options(kMaxInflight));
    Var vars[kVars];
    for (Var& v : vars) v = e.new_var();
    for (std::int64_t i = 0; i < ops; ++i) {
      std::uint64_t* slot = &slots[i % kVars];
      e.push([token = LiveToken(), slot] { ++*slot; }, {}, {vars[i % kVars]},
             i % 8 == 0 ? Lane::cpu_copy() : Lane::cpu_compute());
    }
    e.wait_all();
    EXPECT_EQ(g_live.load(), 0) << "closures of done ops are still alive after wait_all";
    const ndflow::EngineStats s = e.stats();
    EXPECT_LE(s.ops_inflight_peak, kMaxInflight);
    EXPECT_GT(s.ops_inflight_peak, 0);
    EXPECT_EQ(s.ops_pushed, ops);
    EXPECT_EQ(s.ops_inflight, 0);
  }
  EXPECT_LE(g_max_live.load(), kMaxInflight);
  EXPECT_GT(g_max_live.load(), 0);
  std::uint64_t total = 0;
  for (std::uint64_t s : slots) total += s;
  EXPECT_EQ(total, static_cast<std::uint64_t>(ops));
}

TEST_F(BackpressureTest, ConcurrentProducersShareTheBound) {
  constexpr std::int64_t kMaxInflight = 100;
  constexpr int kProducers = 4;
  const std::int64_t ops_per_producer = std::max<std::int64_t>(1000, StressOps() / 4);
  std::uint64_t slots[kProducers] = {};
  LiveToken::Reset();
  {
    TestEngine e(Options(kMaxInflight));
    Var vars[kProducers];
    for (Var& v : vars) v = e.new_var();
    {
      std::vector<std::jthread> producers;
      for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
          for (std::int64_t i = 0; i < ops_per_producer; ++i) {
            e.push([token = LiveToken(), slot = &slots[p]] { ++*slot; }, {}, {vars[p]},
                   i % 4 == 0 ? Lane::cpu_copy() : Lane::cpu_compute());
          }
        });
      }
    }  // joins the producers
    e.wait_all();
    EXPECT_EQ(g_live.load(), 0);
    EXPECT_LE(e.stats().ops_inflight_peak, kMaxInflight);
  }
  EXPECT_LE(g_max_live.load(), kMaxInflight);
  for (int p = 0; p < kProducers; ++p) {
    EXPECT_EQ(slots[p], static_cast<std::uint64_t>(ops_per_producer)) << "producer " << p;
  }
}

TEST_F(BackpressureTest, PushBlocksUntilAnOpIsDone) {
  // Two held ops fill max_inflight = 2. A helper opens the gate a little later; a third
  // push() can only return after that, once a held op is done.
  Gate release;
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  std::atomic<bool> gate_ok{true};
  std::jthread opener([&] {
    if (SpinUntil([&] { return started.load() == 2; })) std::this_thread::sleep_for(20ms);
    release.Open();
  });
  TestEngine e(Options(2));
  for (int k = 0; k < 2; ++k) {
    Var v = e.new_var();
    e.push(
        [&] {
          started.fetch_add(1);
          if (!release.Wait()) gate_ok = false;
          done.fetch_add(1);
        },
        {}, {v});
  }
  Var third = e.new_var();
  e.push([] {}, {}, {third});
  EXPECT_GE(done.load(), 1) << "push() returned while max_inflight ops were pending";
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_LE(e.stats().ops_inflight_peak, 2);
}

TEST_F(BackpressureTest, DeferredOpCountsAsInflightUntilCompleted) {
  std::atomic<bool> completing{false};
  HelperThreads helpers;
  TestEngine e(Options(1));
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        helpers.Start([&, done = ctx.defer()]() mutable {
          std::this_thread::sleep_for(20ms);
          completing = true;
          done.complete();
        });
      },
      {}, {v});
  Var w = e.new_var();
  e.push([] {}, {}, {w});
  EXPECT_TRUE(completing) << "push() returned while a deferred op was still pending";
  e.wait_all();
  EXPECT_LE(e.stats().ops_inflight_peak, 1);
}

// --- The bound on bytes held for work not done ------------------------------------------

// Releases of 1200 bytes, held back by an op on their vars, fill a bound of 1000: the next
// push returns only once the op is done and enough releases have run to bring the bytes
// down to the low watermark (750 here: one of the two).
TEST_F(BackpressureTest, ReleasesAwaitingMoreThanTheByteBoundHoldPushesBack) {
  Gate release;
  std::atomic<bool> started{false};
  std::atomic<int> freed{0};
  TestEngine e(Options(1000, 1000));
  ScopedOpen open_at_end(release);
  const Var a = e.new_var(), b = e.new_var();
  e.push(
      [&] {
        started = true;
        (void)release.Wait();
      },
      {}, {a, b});
  ASSERT_TRUE(SpinUntil([&] { return started.load(); }));
  e.delete_var(
      a, [&] { freed.fetch_add(1); }, 600);
  e.delete_var(
      b, [&] { freed.fetch_add(1); }, 600);  // 1200 pending: over the bound
  EXPECT_EQ(e.stats().inflight_bytes, 1200);
  std::jthread opener([&] {
    std::this_thread::sleep_for(20ms);
    release.Open();
  });
  e.push([] {}, {}, {e.new_var()});
  EXPECT_GE(freed.load(), 1) << "the push returned before a release freed its bytes";
  EXPECT_LE(e.stats().inflight_bytes, 750);
  e.wait_all();
  EXPECT_EQ(freed.load(), 2);
  EXPECT_EQ(e.stats().inflight_bytes, 0);
  EXPECT_EQ(e.stats().inflight_bytes_peak, 1200);
}

TEST_F(BackpressureTest, ReleasesWithinTheByteBoundDoNotHoldPushesBack) {
  Gate release;
  std::atomic<bool> started{false};
  std::atomic<bool> freed{false};
  TestEngine e(Options(1000, 1000));
  ScopedOpen open_at_end(release);
  const Var a = e.new_var();
  e.push(
      [&] {
        started = true;
        (void)release.Wait();
      },
      {}, {a});
  ASSERT_TRUE(SpinUntil([&] { return started.load(); }));
  e.delete_var(
      a, [&] { freed = true; }, 1000);  // at the bound, not over it
  for (int i = 0; i < 10; ++i) e.push([] {}, {}, {e.new_var()});
  EXPECT_FALSE(freed.load());
  EXPECT_EQ(e.stats().inflight_bytes, 1000);
  release.Open();
  e.wait_all();
  EXPECT_TRUE(freed.load());
  EXPECT_EQ(e.stats().inflight_bytes, 0);
}

// A producer far ahead of slow ops, each op's output released at once (as `y = f(y)` in a
// loop releases the y before): the bytes awaiting release stay within the bound plus the one
// release pushed when the bound was last under it.
TEST_F(BackpressureTest, AProducerOfLargeReleasesKeepsTheByteBound) {
  constexpr std::int64_t kBound = 10000, kBytes = 1000;
  const int steps = StressOps() < 100000 ? 300 : 2000;
  std::atomic<std::int64_t> freed{0};
  {
    TestEngine e(Options(1 << 20, kBound));
    Var y = e.new_var();
    for (int i = 0; i < steps; ++i) {
      const Var next = e.new_var();
      e.push([] { std::this_thread::sleep_for(20us); }, {y}, {next});
      e.delete_var(
          y, [&] { freed.fetch_add(kBytes); }, kBytes);
      y = next;
    }
    e.delete_var(
        y, [&] { freed.fetch_add(kBytes); }, kBytes);
    e.wait_all();
    const ndflow::EngineStats s = e.stats();
    EXPECT_LE(s.inflight_bytes_peak, kBound + kBytes);
    EXPECT_GT(s.inflight_bytes_peak, kBound) << "the producer never ran into the bound";
    EXPECT_EQ(s.inflight_bytes, 0);
  }
  EXPECT_EQ(freed.load(), (steps + 1) * kBytes);
}

// The same with the weight on the ops (OpHints::output_bytes), as the array layer puts it
// on an op's output: counted while the op is in flight.
TEST_F(BackpressureTest, AProducerOfWeighedOpsKeepsTheByteBound) {
  constexpr std::int64_t kBound = 10000, kBytes = 1000;
  const int steps = StressOps() < 100000 ? 300 : 2000;
  std::atomic<int> ran{0};
  {
    TestEngine e(Options(1 << 20, kBound));
    const Var y = e.new_var();
    for (int i = 0; i < steps; ++i) {
      e.push(
          [&] {
            std::this_thread::sleep_for(20us);
            ran.fetch_add(1);
          },
          {}, {y}, Lane::cpu_compute(), 0, "weighed", ndflow::OpHints{.output_bytes = kBytes});
      EXPECT_LE(e.stats().inflight_bytes, kBound + kBytes);
    }
    e.wait_all();
    const ndflow::EngineStats s = e.stats();
    EXPECT_LE(s.inflight_bytes_peak, kBound + kBytes);
    EXPECT_GT(s.inflight_bytes_peak, kBound) << "the producer never ran into the bound";
    EXPECT_EQ(s.inflight_bytes, 0);
  }
  EXPECT_EQ(ran.load(), steps);
}

// Ops each bigger than the byte bound: as many as there are CPU workers go in flight at
// once, so a low bound never leaves a worker idle; one more waits for one of them.
TEST_F(BackpressureTest, OpsBiggerThanTheByteBoundStillFillEveryWorker) {
  Gate release;
  std::atomic<int> running{0};
  TestEngine e(Options(1000, 1000));  // 2 CPU workers
  ScopedOpen open_at_end(release);
  const auto big_op = [&] {
    running.fetch_add(1);
    (void)release.Wait();
  };
  const ndflow::OpHints big{.output_bytes = 10000};
  const Var a = e.new_var(), b = e.new_var(), c = e.new_var();
  e.push(big_op, {}, {a}, Lane::cpu_compute(), 0, "big", big);
  e.push(big_op, {}, {b}, Lane::cpu_compute(), 0, "big", big);  // 10000 bytes over: admitted
  EXPECT_TRUE(SpinUntil([&] { return running.load() == 2; }))
      << "both workers should run a big op at once";
  std::atomic<bool> third_pushed{false};
  std::jthread pusher([&] {
    e.push([] {}, {}, {c}, Lane::cpu_compute(), 0, "big", big);
    third_pushed = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(third_pushed.load()) << "two ops in flight, 20000 bytes: a third must wait";
  release.Open();
  EXPECT_TRUE(SpinUntil([&] { return third_pushed.load(); }));
  pusher.join();
  e.wait_all();
  EXPECT_EQ(e.stats().inflight_bytes, 0);
  EXPECT_EQ(e.stats().inflight_bytes_peak, 20000);
}

TEST_F(BackpressureTest, ANegativeByteBoundOrWeightIsAClearError) {
  try {
    TestEngine e(Options(1000, -1));
    ADD_FAILURE() << "a negative max_inflight_bytes was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("max_inflight_bytes must be >= 0"), std::string::npos)
        << err.what();
  }
  TestEngine e(Options(1000, 1000));
  const Var v = e.new_var();
  try {
    e.delete_var(
        v, [] {}, -5);
    ADD_FAILURE() << "a negative frees_bytes was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("frees_bytes must be >= 0, got -5"), std::string::npos)
        << err.what();
  }
  try {
    e.push([] {}, {}, {v}, Lane::cpu_compute(), 0, "weighed", ndflow::OpHints{.output_bytes = -1});
    ADD_FAILURE() << "a negative output_bytes was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("output_bytes must be >= 0, got -1"), std::string::npos)
        << err.what();
  }
  EXPECT_EQ(e.stats().ops_inflight, 0) << "a refused op was pushed anyway";
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST_F(BackpressureTest, TheByteBoundComesFromTheEnvironment) {
  EXPECT_EQ(ndflow::EngineOptions::from_env().max_inflight_bytes, 0) << "unset: the default";
  {
    const ScopedEnv env("NDFLOW_MAX_INFLIGHT_BYTES", "3G");
    EXPECT_EQ(ndflow::EngineOptions::from_env().max_inflight_bytes, std::int64_t{3} << 30);
  }
  const ScopedEnv env("NDFLOW_MAX_INFLIGHT_BYTES", "lots");
  try {
    (void)ndflow::EngineOptions::from_env();
    ADD_FAILURE() << "a malformed NDFLOW_MAX_INFLIGHT_BYTES was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("NDFLOW_MAX_INFLIGHT_BYTES"), std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace ndflow_test
