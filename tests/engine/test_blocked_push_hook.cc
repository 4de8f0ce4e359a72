// The blocked-push hook (ndflow/blocked_push.h): a push that has to wait for room runs its
// wait through the hook, which may also admit it without waiting. Python's GIL release and
// Ctrl-C during a blocked push rest on this.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"
#include "ndflow/blocked_push.h"
#include "ndflow/wait_interruption.h"

namespace ndflow_test {
namespace {

using ndflow::BlockedPush;
using ndflow::BlockedPushHook;
using ndflow::Var;
using ndflow::WaitInterruption;
using namespace std::chrono_literals;

// The hooks are plain functions, so what they saw goes through globals.
std::atomic<int> g_hook_calls{0};
std::atomic<int> g_checks{0};
std::atomic<int> g_interrupted{0};

bool WaitingHook(BlockedPush& push) noexcept {
  g_hook_calls.fetch_add(1);
  push.wait();
  return true;
}

bool AdmittingHook(BlockedPush&) noexcept {
  g_hook_calls.fetch_add(1);
  return false;
}

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

// Waits under an interruption whose third check throws, then admits the push.
bool InterruptingHook(BlockedPush& push) noexcept {
  g_hook_calls.fetch_add(1);
  try {
    WaitInterruption interruption(
        [] {
          if (g_checks.fetch_add(1) + 1 == 3) throw Interrupted();
        },
        1ms);
    push.wait(&interruption);
    return true;
  } catch (const Interrupted&) {
    g_interrupted.fetch_add(1);
    return false;
  }
}

class BlockedPushHookTest : public EngineTest {
 protected:
  BlockedPushHookTest() {
    g_hook_calls = 0;
    g_checks = 0;
    g_interrupted = 0;
  }
  ~BlockedPushHookTest() override { ndflow::set_blocked_push_hook(nullptr); }

  static ndflow::EngineOptions Options(std::int64_t max_inflight) {
    ndflow::EngineOptions o = ThreadedOptions(2);
    o.max_inflight = max_inflight;
    return o;
  }

  // An engine with max_inflight 2, both slots taken by ops that hold a worker each until
  // `gate` opens (counting in `done` once past it): the next push has to wait. The gate
  // opens before the engine's destructor waits for those ops.
  struct FullEngine {
    Gate gate;
    std::atomic<int> done{0};
    TestEngine engine{Options(2)};
    ScopedOpen open_at_end{gate};

    FullEngine() {
      auto started = std::make_shared<std::atomic<int>>(0);
      for (int k = 0; k < 2; ++k) {
        engine.push(
            [this, started] {
              started->fetch_add(1);
              if (gate.Wait()) done.fetch_add(1);
            },
            {}, {engine.new_var()});
      }
      EXPECT_TRUE(SpinUntil([&] { return started->load() == 2; }));
    }
  };
};

TEST_F(BlockedPushHookTest, RunsTheWaitOfAPushThatFindsTheBoundReachedAndOnlyThen) {
  ndflow::set_blocked_push_hook(&WaitingHook);
  FullEngine full;
  TestEngine& e = full.engine;
  EXPECT_EQ(g_hook_calls.load(), 0) << "the hook ran for a push that had room";
  std::jthread opener([&] {
    std::this_thread::sleep_for(20ms);
    full.gate.Open();
  });
  e.push([] {}, {}, {e.new_var()});
  EXPECT_GE(g_hook_calls.load(), 1);
  EXPECT_GE(full.done.load(), 1) << "the push returned while max_inflight ops were pending";
  e.wait_all();
  EXPECT_LE(e.stats().ops_inflight_peak, 2);
}

TEST_F(BlockedPushHookTest, AHookThatDeclinesToWaitAdmitsThePushOverTheBound) {
  ndflow::set_blocked_push_hook(&AdmittingHook);
  std::atomic<bool> ran{false};
  FullEngine full;
  TestEngine& e = full.engine;
  e.push([&] { ran = true; }, {}, {e.new_var()});
  EXPECT_EQ(g_hook_calls.load(), 1);
  EXPECT_EQ(full.done.load(), 0);
  EXPECT_EQ(e.stats().ops_inflight_peak, 3);
  full.gate.Open();
  e.wait_all();
  EXPECT_TRUE(ran);
  EXPECT_EQ(full.done.load(), 2);
}

TEST_F(BlockedPushHookTest, AnInterruptionGivenToTheWaitEndsItWhileTheOpsRunOn) {
  ndflow::set_blocked_push_hook(&InterruptingHook);
  std::atomic<bool> ran{false};
  FullEngine full;
  TestEngine& e = full.engine;
  e.push([&] { ran = true; }, {}, {e.new_var()});  // returns once the third check throws
  EXPECT_EQ(g_interrupted.load(), 1);
  EXPECT_EQ(g_checks.load(), 3);
  EXPECT_EQ(full.done.load(), 0) << "the wait ended because an op was done, not by the check";
  full.gate.Open();
  e.wait_all();
  EXPECT_TRUE(ran);
  EXPECT_EQ(full.done.load(), 2);
}

TEST_F(BlockedPushHookTest, PushesFromInsideAnOpNeverWaitSoNeverCallIt) {
  ndflow::set_blocked_push_hook(&WaitingHook);
  TestEngine e(Options(1));
  const Var outer = e.new_var();
  std::atomic<int> inner_ran{0};
  e.push(
      [&] {
        for (int k = 0; k < 4; ++k) e.push([&] { inner_ran.fetch_add(1); }, {}, {outer});
      },
      {}, {e.new_var()});
  e.wait_all();
  EXPECT_EQ(inner_ran.load(), 4);
  EXPECT_EQ(g_hook_calls.load(), 0);
}

TEST_F(BlockedPushHookTest, ConcurrentProducersThroughTheHookKeepTheBound) {
  ndflow::set_blocked_push_hook(&WaitingHook);
  constexpr std::int64_t kMaxInflight = 16;
  constexpr int kProducers = 3;
  const std::int64_t ops_per_producer = std::max<std::int64_t>(1000, StressOps() / 8);
  std::atomic<std::int64_t> ran{0};
  {
    TestEngine e(Options(kMaxInflight));
    {
      std::vector<std::jthread> producers;
      for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&] {
          const Var v = e.new_var();
          for (std::int64_t i = 0; i < ops_per_producer; ++i)
            e.push([&] { ran.fetch_add(1, std::memory_order_relaxed); }, {}, {v});
        });
      }
    }
    e.wait_all();
    EXPECT_LE(e.stats().ops_inflight_peak, kMaxInflight);
  }
  EXPECT_EQ(ran.load(), kProducers * ops_per_producer);
  EXPECT_GT(g_hook_calls.load(), 0) << "no push blocked: the test did not exercise the hook";
}

}  // namespace
}  // namespace ndflow_test
