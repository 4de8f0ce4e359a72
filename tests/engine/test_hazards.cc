// Per-var ordering: RAW, WAR and WAW hazards, concurrent reads, how push() reads its
// reads/writes lists (a var in both counts as a write, duplicates are ignored), and
// pushes from several threads at once.
//
// The state ops touch is plain (non-atomic) memory on purpose: the engine's ordering is
// the only thing that makes those accesses race-free, which the TSan build checks.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Lane;
using ndflow::Var;

class HazardTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(HazardTest);

// Threaded-only: these hold ops on a gate, which naive mode would run inside push().
class ThreadedHazardTest : public EngineTest {};

TEST_P(HazardTest, ReadSeesEarlierWrite) {
  // The threaded writer is held until the reader has been pushed and a probe has run, so
  // a reader let through early would see the old value.
  Gate release(/*open=*/!threaded());
  std::atomic<bool> gate_ok{true};
  int slot = 0;
  int seen = -1;
  TestEngine e(Options());
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        if (!release.Wait()) gate_ok = false;
        slot = 42;
      },
      {}, {v});
  e.push([&] { seen = slot; }, {v}, {});
  ASSERT_TRUE(RunProbe(e));
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_EQ(seen, 42);
}

TEST_P(HazardTest, ReadBeforeWriteSeesOldValue) {
  int slot = 1;
  int seen = -1;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([&] { seen = slot; }, {v}, {});
  e.push([&] { slot = 2; }, {}, {v});
  e.wait_all();
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(slot, 2);
}

TEST_F(ThreadedHazardTest, WriteWaitsForEarlierReadsToFinish) {
  Gate release;
  std::atomic<int> readers_started{0};
  std::atomic<int> readers_done{0};
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> writer_started{false};
  int readers_done_seen_by_writer = -1;
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  auto reader = [&] {
    readers_started.fetch_add(1);
    if (!release.Wait()) gate_ok = false;
    readers_done.fetch_add(1);
  };
  // One reader per lane, so one compute worker stays free to run a wrongly-ready write.
  e.push(reader, {v}, {}, Lane::cpu_compute());
  e.push(reader, {v}, {}, Lane::cpu_copy());
  ASSERT_TRUE(SpinUntil([&] { return readers_started.load() == 2; }));
  e.push(
      [&] {
        writer_started = true;
        readers_done_seen_by_writer = readers_done.load();
      },
      {}, {v});
  ASSERT_TRUE(RunProbe(e));
  EXPECT_FALSE(writer_started) << "the write started while earlier reads were running";
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_TRUE(writer_started);
  EXPECT_EQ(readers_done_seen_by_writer, 2);
}

TEST_P(HazardTest, WritesRunInPushOrderAcrossLanesAndPriorities) {
  constexpr int kWrites = 1000;
  Gate release(/*open=*/!threaded());
  std::atomic<bool> gate_ok{true};
  std::vector<int> order;
  order.reserve(kWrites);
  TestEngine e(Options());
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  // The first write is held so that every later one is queued when it finishes; neither
  // lane nor priority may reorder writes to one var.
  e.push(
      [&] {
        if (!release.Wait()) gate_ok = false;
      },
      {}, {v});
  for (int i = 0; i < kWrites; ++i) {
    const Lane lane = i % 3 == 0 ? Lane::cpu_copy() : Lane::cpu_compute();
    const int priority = (i * 7) % 5 - 2;
    e.push([&order, i] { order.push_back(i); }, {}, {v}, lane, priority);
  }
  release.Open();
  e.wait_to_read(v);
  EXPECT_TRUE(gate_ok);
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_EQ(order[i], i) << "write " << i << " ran out of push order";
  }
}

TEST_P(HazardTest, EachReadSeesTheLatestEarlierWrite) {
  // A random-looking mix of reads and writes on one var, across lanes and priorities.
  // Every read records the value it saw; it must be the number of earlier writes.
  constexpr int kOps = 600;
  int slot = 0;
  std::vector<int> expected(kOps, -1);
  std::vector<int> seen(kOps, -2);
  TestEngine e(Options());
  Var v = e.new_var();
  int writes_so_far = 0;
  for (int i = 0; i < kOps; ++i) {
    const bool is_write = (i * 2654435761u) % 7 < 3;
    const Lane lane = i % 4 == 0 ? Lane::cpu_copy() : Lane::cpu_compute();
    const int priority = static_cast<int>((i * 40503u) % 7) - 3;
    if (is_write) {
      ++writes_so_far;
      e.push([&slot] { ++slot; }, {}, {v}, lane, priority);
    } else {
      expected[i] = writes_so_far;
      e.push([&slot, &seen, i] { seen[i] = slot; }, {v}, {}, lane, priority);
    }
  }
  e.wait_all();
  EXPECT_EQ(slot, writes_so_far);
  for (int i = 0; i < kOps; ++i) {
    if (expected[i] >= 0) {
      ASSERT_EQ(seen[i], expected[i]) << "read " << i;
    }
  }
}

TEST_F(ThreadedHazardTest, ReadsOfOneVarRunConcurrently) {
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  std::atomic<int> finished{0};
  int slot = 0;
  int seen[2] = {-1, -1};
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  e.push([&] { slot = 7; }, {}, {v});
  for (int k = 0; k < 2; ++k) {
    // Each reader waits (bounded) for the other to start: only concurrent reads meet.
    e.push(
        [&, k] {
          started.fetch_add(1);
          if (SpinUntil([&] { return started.load() == 2; })) met.fetch_add(1);
          seen[k] = slot;
          finished.fetch_add(1);
        },
        {v}, {});
  }
  // No engine wait before both finished: a waiting thread could run a reader inline.
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == 2; }));
  e.wait_all();
  EXPECT_EQ(met.load(), 2) << "two reads of one var did not run at the same time";
  EXPECT_EQ(seen[0], 7);
  EXPECT_EQ(seen[1], 7);
}

TEST_F(ThreadedHazardTest, ReadsOfOneVarRunConcurrentlyAcrossLanes) {
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  std::atomic<int> finished{0};
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  for (Lane lane : {Lane::cpu_compute(), Lane::cpu_copy()}) {
    e.push(
        [&] {
          started.fetch_add(1);
          if (SpinUntil([&] { return started.load() == 2; })) met.fetch_add(1);
          finished.fetch_add(1);
        },
        {v}, {}, lane);
  }
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == 2; }));
  e.wait_all();
  EXPECT_EQ(met.load(), 2);
}

TEST_F(ThreadedHazardTest, VarInReadsAndWritesExcludesLaterReads) {
  Gate release;
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> rw_started{false};
  std::atomic<bool> reader_ran{false};
  int slot = 1;
  int seen = -1;
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        rw_started = true;
        if (!release.Wait()) gate_ok = false;
        slot += 1;
      },
      {v}, {v});
  ASSERT_TRUE(SpinUntil([&] { return rw_started.load(); }));
  e.push(
      [&] {
        seen = slot;
        reader_ran = true;
      },
      {v}, {});
  ASSERT_TRUE(RunProbe(e));
  // Had the op counted as a read of v, this read would have joined it.
  EXPECT_FALSE(reader_ran) << "a read ran alongside an op listing the var in reads and writes";
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_EQ(seen, 2);
}

TEST_F(ThreadedHazardTest, VarInReadsAndWritesWaitsForEarlierReads) {
  Gate release;
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> reader_started{false};
  std::atomic<bool> reader_done{false};
  std::atomic<bool> rw_started{false};
  bool reader_done_seen_by_rw = false;
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        reader_started = true;
        if (!release.Wait()) gate_ok = false;
        reader_done = true;
      },
      {v}, {});
  ASSERT_TRUE(SpinUntil([&] { return reader_started.load(); }));
  e.push(
      [&] {
        rw_started = true;
        reader_done_seen_by_rw = reader_done.load();
      },
      {v}, {v});
  ASSERT_TRUE(RunProbe(e));
  EXPECT_FALSE(rw_started) << "an op listing v in reads and writes ran alongside a read of v";
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_TRUE(reader_done_seen_by_rw);
}

TEST_P(HazardTest, DuplicateVarsAreIgnored) {
  std::atomic<int> runs{0};
  int slot = 0;
  TestEngine e(Options());
  Var v = e.new_var();
  Var u = e.new_var();
  Var w = e.new_var();
  // An engine that queued v twice for one op would wait on itself here. The ops form a
  // chain (each reads or writes what the previous one wrote), so `slot` is never shared
  // by two ops at once.
  e.push(
      [&] {
        ++slot;
        runs.fetch_add(1);
      },
      {v, v, u, u}, {v, v});
  e.push(
      [&] {
        ++slot;
        runs.fetch_add(1);
      },
      {u}, {v, u, v});
  e.push(
      [&] {
        ++slot;
        runs.fetch_add(1);
      },
      {u, u, v}, {w, w});
  e.wait_to_read(w);
  EXPECT_EQ(slot, 3);
  e.push([&] { slot *= 10; }, {v, w, w}, {v});
  e.wait_to_read(v);
  EXPECT_EQ(slot, 30);
  e.wait_all();
  EXPECT_EQ(runs.load(), 3);
}

TEST_P(HazardTest, VarListAcceptsVectorsSpansAndSingleVars) {
  int a = 0;
  int b = 0;
  TestEngine e(Options());
  std::vector<Var> vec = {e.new_var(), e.new_var()};
  Var single = e.new_var();
  const Var arr[2] = {vec[0], single};
  e.push([&] { a = 1; }, {}, vec);
  e.push([&] { b = 2; }, vec, single);
  e.push([&] { a += b; }, std::span<const Var>(arr), vec[0]);
  e.wait_to_read(vec[0]);
  EXPECT_EQ(a, 3);
  EXPECT_EQ(b, 2);
  e.wait_all();
}

TEST_P(HazardTest, ConcurrentPushersKeepEachThreadsOrder) {
  // Each thread pushes a non-commutative update of its own var and a read-modify-write of
  // a shared counter var. Own values are exact only if each thread's writes ran in its push
  // order; the counter is exact only if writes to it never overlapped.
  constexpr int kThreads = 4;
  const int ops_per_thread = static_cast<int>(
      std::min<std::int64_t>(10000, std::max<std::int64_t>(1000, StressOps() / 4)));
  std::uint64_t own_values[kThreads] = {};
  std::uint64_t counter = 0;
  std::vector<int> counter_log;  // t * ops_per_thread + i, in the order the writes ran
  counter_log.reserve(static_cast<std::size_t>(kThreads) * ops_per_thread);
  TestEngine e(Options());
  Var own_vars[kThreads];
  for (Var& v : own_vars) v = e.new_var();
  Var counter_var = e.new_var();
  {
    std::vector<std::jthread> pushers;
    for (int t = 0; t < kThreads; ++t) {
      pushers.emplace_back([&, t] {
        std::uint64_t* own = &own_values[t];
        for (int i = 0; i < ops_per_thread; ++i) {
          e.push([own, i] { *own = *own * 31 + static_cast<std::uint64_t>(i) + 1; }, {},
                 {own_vars[t]}, i % 5 == 0 ? Lane::cpu_copy() : Lane::cpu_compute());
          const int tag = t * ops_per_thread + i;
          e.push(
              [&counter, &counter_log, tag] {
                counter += 1;
                counter_log.push_back(tag);
              },
              {counter_var}, {counter_var}, Lane::cpu_compute(), i % 3 - 1);
        }
      });
    }
  }  // joins the pushers
  e.wait_all();

  std::uint64_t expected_own = 0;
  for (int i = 0; i < ops_per_thread; ++i) expected_own = expected_own * 31 + i + 1;
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(own_values[t], expected_own) << "thread " << t;
  EXPECT_EQ(counter, static_cast<std::uint64_t>(kThreads) * ops_per_thread);
  ASSERT_EQ(counter_log.size(), static_cast<std::size_t>(kThreads) * ops_per_thread);
  std::vector<int> next(kThreads, 0);
  for (int tag : counter_log) {
    const int t = tag / ops_per_thread;
    ASSERT_EQ(tag % ops_per_thread, next[t]) << "thread " << t << "'s counter writes reordered";
    ++next[t];
  }
}

}  // namespace
}  // namespace ndflow_test
