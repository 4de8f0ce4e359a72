// Backpressure: push() blocks while max_inflight ops are not done, so a producer that runs
// far ahead holds at most max_inflight closures (and whatever they own) at any time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
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
  static ndflow::EngineOptions Options(std::int64_t max_inflight) {
    ndflow::EngineOptions o = ThreadedOptions(2);
    o.max_inflight = max_inflight;
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

}  // namespace
}  // namespace ndflow_test
