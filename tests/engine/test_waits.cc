// Waits: wait_to_read waits for exactly the writes pushed on its var so far, wait_to_write
// for its reads too, wait_all for everything; all may be called from several threads at
// once. Also ops without vars and ops that push further ops.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Lane;
using ndflow::Var;
using namespace std::chrono_literals;

class WaitTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(WaitTest);

class ThreadedWaitTest : public EngineTest {};

TEST_P(WaitTest, WaitToReadReturnsAfterLastWriteIsDone) {
  // The first write is held until a helper thread lets it go, so the wait really blocks
  // (or, if it runs the writes inline, runs them all) before it returns.
  std::atomic<bool> released{false};
  std::atomic<bool> spin_ok{true};
  int slot = 0;
  std::jthread releaser([&] {
    std::this_thread::sleep_for(10ms);
    released = true;
  });
  TestEngine e(Options());
  Var v = e.new_var();
  e.push(
      [&] {
        if (!SpinUntil([&] { return released.load(); })) spin_ok = false;
        slot = 1;
      },
      {}, {v});
  for (int i = 0; i < 100; ++i) {
    e.push([&slot] { slot += 1; }, {}, {v}, i % 2 ? Lane::cpu_copy() : Lane::cpu_compute());
  }
  e.wait_to_read(v);
  // Plain read on this thread: the wait must also make the writes visible (TSan checks).
  EXPECT_EQ(slot, 101);
  EXPECT_TRUE(spin_ok);
  e.wait_all();
}

TEST_P(WaitTest, WaitToReadOnNeverWrittenVarReturns) {
  TestEngine e(Options());
  Var fresh = e.new_var();
  e.wait_to_read(fresh);
  Var read_only = e.new_var();
  std::atomic<int> reads{0};
  e.push([&] { reads.fetch_add(1); }, {read_only}, {});
  e.wait_to_read(read_only);
  e.wait_all();
  EXPECT_EQ(reads.load(), 1);
}

TEST_F(ThreadedWaitTest, WaitToReadDoesNotWaitForReadsOrOtherVars) {
  // Both workers are held by ops that the waits below must not wait for; if a wait did,
  // it would return only after the held ops gave up, and `done` would be set.
  Gate release;
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  std::atomic<bool> gate_ok{true};
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var other = e.new_var();
  Var read_var = e.new_var();
  Var written = e.new_var();
  int slot = 0;
  e.push([&] { slot = 5; }, {}, {written});
  e.wait_to_read(written);
  auto held = [&] {
    started.fetch_add(1);
    if (!release.Wait()) gate_ok = false;
    done.fetch_add(1);
  };
  e.push(held, {}, {other});
  e.push(held, {read_var}, {});
  ASSERT_TRUE(SpinUntil([&] { return started.load() == 2; }));

  Var fresh = e.new_var();
  e.wait_to_read(fresh);
  EXPECT_EQ(done.load(), 0) << "wait on a never-written var waited for unrelated ops";
  e.wait_to_read(read_var);
  EXPECT_EQ(done.load(), 0) << "wait_to_read waited for a pending read";
  e.wait_to_read(written);
  EXPECT_EQ(done.load(), 0) << "wait_to_read waited for ops on other vars";
  EXPECT_EQ(slot, 5);

  release.Open();
  e.wait_all();
  EXPECT_EQ(done.load(), 2);
  EXPECT_TRUE(gate_ok);
}

TEST_F(ThreadedWaitTest, WaitToWriteWaitsForPendingReadsToo) {
  // Two reads of v are held on the workers. wait_to_read need not wait for them;
  // wait_to_write (the wait before changing v outside the engine) must.
  Gate release;
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> returned{false};
  int done_when_returned = -1;
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  auto held_read = [&] {
    started.fetch_add(1);
    if (!release.Wait()) gate_ok = false;
    done.fetch_add(1);
  };
  e.push(held_read, {v}, {});
  e.push(held_read, {v}, {}, Lane::cpu_copy());
  ASSERT_TRUE(SpinUntil([&] { return started.load() == 2; }));
  e.wait_to_read(v);
  EXPECT_EQ(done.load(), 0);

  std::jthread waiter([&] {
    e.wait_to_write(v);
    done_when_returned = done.load();
    returned = true;
  });
  // Room for a wrong early return to show; a correct wait cannot return here at all.
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(returned.load()) << "wait_to_write returned while reads of its var ran";
  release.Open();
  waiter.join();
  EXPECT_EQ(done_when_returned, 2);
  EXPECT_TRUE(gate_ok);
  e.wait_all();
}

TEST_P(WaitTest, WaitToWriteWaitsForWritesAndReadsAndPushesOneOp) {
  std::atomic<int> reads_after_the_write{0};
  int slot = 0;
  TestEngine e(Options());
  Var v = e.new_var();
  e.wait_to_write(v);  // nothing pushed on it yet
  e.push([&] { slot = 1; }, {}, {v});
  for (int i = 0; i < 10; ++i)
    e.push([&] { reads_after_the_write.fetch_add(slot); }, {v}, {},
           i % 2 ? Lane::cpu_copy() : Lane::cpu_compute());
  e.wait_to_write(v);
  EXPECT_EQ(reads_after_the_write.load(), 10);
  e.wait_all();
  EXPECT_EQ(e.stats().ops_pushed, 13) << "eleven ops and one per wait_to_write";
}

TEST_P(WaitTest, WaitsOnANullVarAreRejectedAndPushNothing) {
  TestEngine e(Options());
  const Var null_var;
  EXPECT_THROW(e.wait_to_read(null_var), std::invalid_argument);
  EXPECT_THROW(e.wait_to_write(null_var), std::invalid_argument);
  EXPECT_EQ(e.stats().ops_pushed, 0);
}

TEST_P(WaitTest, WaitAllWaitsForEveryOp) {
  constexpr int kVars = 10;
  constexpr int kOps = 200;
  std::atomic<bool> released{false};
  std::atomic<bool> spin_ok{true};
  int slots[kVars] = {};
  std::jthread releaser([&] {
    std::this_thread::sleep_for(10ms);
    released = true;
  });
  TestEngine e(Options());
  Var vars[kVars];
  for (Var& v : vars) v = e.new_var();
  for (int i = 0; i < kOps; ++i) {
    int* slot = &slots[i % kVars];
    e.push(
        [slot, i, &released, &spin_ok] {
          if (i == 0 && !SpinUntil([&] { return released.load(); })) spin_ok = false;
          *slot += 1;
        },
        {vars[(i + 1) % kVars]}, {vars[i % kVars]}, i % 4 ? Lane::cpu_compute() : Lane::cpu_copy(),
        i % 5 - 2);
  }
  e.wait_all();
  EXPECT_TRUE(spin_ok);
  for (int k = 0; k < kVars; ++k) EXPECT_EQ(slots[k], kOps / kVars) << "var " << k;
  const ndflow::EngineStats s = e.stats();
  EXPECT_EQ(s.ops_pushed, kOps);
  EXPECT_EQ(s.ops_done, s.ops_pushed);
  EXPECT_EQ(s.ops_inflight, 0);
}

TEST_P(WaitTest, WaitsFromSeveralThreadsAtOnce) {
  constexpr int kWaiters = 4;
  constexpr int kWrites = 50;
  std::atomic<bool> released{false};
  std::atomic<bool> spin_ok{true};
  int slot_v = 0;
  int slot_w = 0;
  int seen_v[kWaiters] = {};
  int seen_w[kWaiters] = {};
  std::jthread releaser([&] {
    std::this_thread::sleep_for(10ms);
    released = true;
  });
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  e.push(
      [&] {
        if (!SpinUntil([&] { return released.load(); })) spin_ok = false;
      },
      {}, {v, w});
  for (int i = 0; i < kWrites; ++i) {
    e.push([&slot_v] { ++slot_v; }, {}, {v});
    e.push([&slot_w] { ++slot_w; }, {v}, {w}, Lane::cpu_copy());
  }
  {
    std::vector<std::jthread> waiters;
    for (int k = 0; k < kWaiters; ++k) {
      waiters.emplace_back([&, k] {
        if (k % 2 == 0) {
          e.wait_to_read(v);
          seen_v[k] = slot_v;
          e.wait_to_read(w);
          seen_w[k] = slot_w;
        } else {
          e.wait_all();
          seen_v[k] = slot_v;
          seen_w[k] = slot_w;
        }
      });
    }
  }  // joins the waiters
  EXPECT_TRUE(spin_ok);
  for (int k = 0; k < kWaiters; ++k) {
    EXPECT_EQ(seen_v[k], kWrites) << "waiter " << k;
    EXPECT_EQ(seen_w[k], kWrites) << "waiter " << k;
  }
}

TEST_P(WaitTest, OpWithoutVarsRuns) {
  std::atomic<int> runs{0};
  TestEngine e(Options());
  e.push([&] { runs.fetch_add(1); }, {}, {});
  e.push([&] { runs.fetch_add(1); }, {}, {}, Lane::cpu_copy());
  e.wait_all();
  EXPECT_EQ(runs.load(), 2);
}

TEST_P(WaitTest, OpMayPushFurtherOps) {
  int outer_slot = 0;
  int inner_slot = 0;
  TestEngine e(Options());
  Var outer = e.new_var();
  Var inner = e.new_var();
  e.push(
      [&] {
        outer_slot = 1;
        e.push([&] { inner_slot = outer_slot + 1; }, {}, {inner});
      },
      {}, {outer});
  // The inner op was pushed before the outer one was done, so once the first wait
  // returns the second one covers it. (It has no var in common with the outer op: naive
  // mode could not run a dependent of an op that is still on its stack.)
  e.wait_to_read(outer);
  e.wait_to_read(inner);
  EXPECT_EQ(outer_slot, 1);
  EXPECT_EQ(inner_slot, 2);
  e.wait_all();
}

}  // namespace
}  // namespace ndflow_test
