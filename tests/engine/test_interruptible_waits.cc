// Interruptible waits (ndflow/wait_interruption.h): under a WaitInterruption a blocked wait
// calls the scope's check now and then, a check that throws ends the wait with its
// exception, and the awaited ops run on regardless. Python's Ctrl-C rests on this.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
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

// Every kind of wait, blocked on an op held on a worker, calls the check again and again
// (the third call throws) and ends with the check's exception; the op then finishes.
TEST_F(InterruptionTest, AThrowingCheckEndsEveryKindOfWaitAndTheOpsRunOn) {
  Gate release;
  std::atomic<bool> started{false};
  std::atomic<bool> gate_ok{true};
  int slot = 0;
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        started = true;
        if (!release.Wait()) gate_ok = false;
        slot = 1;
      },
      {}, {v});
  ASSERT_TRUE(SpinUntil([&] { return started.load(); }));

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
  release.Open();
  e.wait_all();
  EXPECT_EQ(slot, 1);
  EXPECT_TRUE(gate_ok);
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
  Gate release;
  std::atomic<bool> gate_ok{true};
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        if (!release.Wait()) gate_ok = false;
      },
      {}, {v});
  std::jthread releaser([&] {
    std::this_thread::sleep_for(20ms);  // long enough for the waiter to park
    release.Open();
  });
  int checks = 0;
  WaitInterruption scope([&checks] { ++checks; }, std::chrono::hours(1));
  e.wait_to_read(v);
  e.wait_all();
  EXPECT_EQ(checks, 0);
  EXPECT_TRUE(gate_ok);
}

// Scopes nest: the innermost one's check runs; when it ends, the outer one's applies again.
// A check that threw leaves its scope in place for the next wait.
TEST_F(InterruptionTest, TheInnermostScopeApplies) {
  Gate release;
  std::atomic<bool> gate_ok{true};
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  std::atomic<bool> started{false};
  e.push(
      [&] {
        started = true;  // on a worker, not on this thread (which would then block in it)
        if (!release.Wait()) gate_ok = false;
      },
      {}, {v});
  ASSERT_TRUE(SpinUntil([&] { return started.load(); }));
  std::vector<std::string> calls;
  {
    WaitInterruption outer(
        [&calls] {
          calls.push_back("outer");
          throw Interrupted();
        },
        1ms);
    EXPECT_EQ(WaitInterruption::current(), &outer);
    {
      WaitInterruption inner(
          [&calls] {
            calls.push_back("inner");
            throw Interrupted();
          },
          1ms);
      EXPECT_EQ(WaitInterruption::current(), &inner);
      EXPECT_THROW(e.wait_all(), Interrupted);
      EXPECT_THROW(e.wait_all(), Interrupted);
    }
    EXPECT_EQ(WaitInterruption::current(), &outer);
    EXPECT_THROW(e.wait_to_read(v), Interrupted);
  }
  EXPECT_EQ(WaitInterruption::current(), nullptr);
  EXPECT_EQ(calls, (std::vector<std::string>{"inner", "inner", "outer"}));
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
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
