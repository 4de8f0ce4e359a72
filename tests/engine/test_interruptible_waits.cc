// Interruptible waits (ndflow/wait_interruption.h): under a WaitInterruption a blocked wait
// calls the scope's check now and then, a check that throws ends the wait with its
// exception, and the awaited ops run on regardless. Python's Ctrl-C rests on this.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine_test_util.h"
#include "ndflow/wait_interruption.h"

namespace ndflow_test {
namespace {

using ndflow::Lane;
using ndflow::Var;
using ndflow::WaitInterruption;
using namespace std::chrono_literals;

class InterruptionTest : public EngineTest {};

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

// A write that holds a worker until `release` opens. Shared with its op, so that it
// outlives a test that stops early.
struct HeldWrite {
  Gate release;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> gate_ok{true};
};

// Pushes a held write of v and returns once a worker runs it (not this thread, which would
// then block in it): from here on, waits on v and wait_all block until it is released.
std::shared_ptr<HeldWrite> HoldAWrite(TestEngine& e, Var v) {
  auto held = std::make_shared<HeldWrite>();
  e.push(
      [held] {
        held->started = true;
        if (!held->release.Wait()) held->gate_ok = false;
        held->finished = true;
      },
      {}, {v});
  EXPECT_TRUE(SpinUntil([&] { return held->started.load(); }));
  return held;
}

// Every kind of wait, blocked on an op held on a worker, calls the check again and again
// (the third call throws) and ends with the check's exception; the op then finishes.
TEST_F(InterruptionTest, AThrowingCheckEndsEveryKindOfWaitAndTheOpsRunOn) {
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  const auto held = HoldAWrite(e, v);
  ScopedOpen open_on_exit(held->release);

  const std::vector<std::pair<std::string, std::function<void()>>> waits = {
      {"wait_to_read", [&] { e.wait_to_read(v); }},
      {"wait_to_write", [&] { e.wait_to_write(v); }},
      {"wait_all", [&] { e.wait_all(); }}};
  for (const auto& [name, wait] : waits) {
    int checks = 0;
    WaitInterruption scope(
        [&checks] {
          if (++checks == 3) throw Interrupted();
        },
        1ms);
    EXPECT_THROW(wait(), Interrupted) << name;
    EXPECT_EQ(checks, 3) << name;
  }
  EXPECT_FALSE(held->finished.load());
  held->release.Open();
  e.wait_all();
  EXPECT_TRUE(held->finished.load());
  EXPECT_TRUE(held->gate_ok.load());
}

// A wait over a long queue of short ops, which the waiting thread helps run, ends at the
// first check with most of the queue still to run: the waiter checks between the ops.
TEST_F(InterruptionTest, AWaitOverAQueueOfOpsEndsAtTheFirstCheck) {
  constexpr int kOps = 100;
  std::atomic<int> ran{0};
  TestEngine e(ThreadedOptions(1));
  Var v = e.new_var();
  for (int i = 0; i < kOps; ++i)
    e.push(
        [&ran] {
          std::this_thread::sleep_for(1ms);
          ran.fetch_add(1);
        },
        {}, {v});
  int ran_at_the_check = -1;
  {
    WaitInterruption scope(
        [&] {
          ran_at_the_check = ran.load();
          throw Interrupted();
        },
        5ms);
    EXPECT_THROW(e.wait_to_read(v), Interrupted);
  }
  EXPECT_GE(ran_at_the_check, 0) << "the check never ran";
  EXPECT_LT(ran_at_the_check, kOps) << "the wait checked only once every op had run";
  e.wait_to_read(v);
  EXPECT_EQ(ran.load(), kOps);
}

// A wait that ends before a period has passed never checks. With a period of an hour the
// waiter sleeps on a timed park: finishing the op must still wake it.
TEST_F(InterruptionTest, AWaitShorterThanAPeriodNeverChecksAndIsWokenOnTime) {
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  const auto held = HoldAWrite(e, v);
  ScopedOpen open_on_exit(held->release);
  std::jthread releaser([&held] {
    std::this_thread::sleep_for(20ms);  // long enough for the waiter to park
    held->release.Open();
  });
  int checks = 0;
  WaitInterruption scope([&checks] { ++checks; }, std::chrono::hours(1));
  e.wait_to_read(v);
  e.wait_all();
  EXPECT_EQ(checks, 0);
  EXPECT_TRUE(held->gate_ok.load());
}

// Scopes nest: the innermost one's check runs; when it ends, the outer one's applies again.
// A check that threw leaves its scope in place for the next wait.
TEST_F(InterruptionTest, TheInnermostScopeApplies) {
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  const auto held = HoldAWrite(e, v);
  ScopedOpen open_on_exit(held->release);
  std::vector<std::string> calls;
  // A check that notes which scope it belongs to, then throws.
  const auto noting = [&calls](std::string scope) {
    return [&calls, scope] {
      calls.push_back(scope);
      throw Interrupted();
    };
  };
  {
    WaitInterruption outer(noting("outer"), 1ms);
    EXPECT_EQ(WaitInterruption::current(), &outer);
    {
      WaitInterruption inner(noting("inner"), 1ms);
      EXPECT_EQ(WaitInterruption::current(), &inner);
      EXPECT_THROW(e.wait_all(), Interrupted);
      EXPECT_THROW(e.wait_all(), Interrupted);
    }
    EXPECT_EQ(WaitInterruption::current(), &outer);
    EXPECT_THROW(e.wait_to_read(v), Interrupted);
  }
  EXPECT_EQ(WaitInterruption::current(), nullptr);
  EXPECT_EQ(calls, (std::vector<std::string>{"inner", "inner", "outer"}));
  held->release.Open();
  e.wait_all();
  EXPECT_TRUE(held->gate_ok.load());
}

TEST_F(InterruptionTest, AScopeWithoutACheckOrPeriodIsRefused) {
  EXPECT_TRUE(
      ThrowsWithMessage<std::invalid_argument>([] { WaitInterruption scope(nullptr, 1ms); },
                                               "ndflow: WaitInterruption needs a check to call"));
  EXPECT_TRUE(ThrowsWithMessage<std::invalid_argument>(
      [] { WaitInterruption scope([] {}, 0ms); },
      "ndflow: WaitInterruption's period must be positive"));
  EXPECT_EQ(WaitInterruption::current(), nullptr) << "a refused scope was left installed";
}

}  // namespace
}  // namespace ndflow_test
