// Shutdown and var lifetime: the destructor finishes every pending op exactly once
// (including deferred ones completed later by another thread) and frees their closures;
// delete_var is ordered after the ops already pushed on the var. Leaks are the ASan/LSan
// build's to find; these tests make sure there is something for it to look at.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Lane;
using ndflow::OpContext;
using ndflow::Var;
using namespace std::chrono_literals;

class ShutdownTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(ShutdownTest);

TEST_P(ShutdownTest, DestructorFinishesEveryPendingOpExactlyOnce) {
  constexpr int kChain = 200;
  constexpr int kReaders = 200;
  constexpr int kDeferred = 20;
  constexpr int kTotal = kChain + kReaders + kDeferred;
  std::vector<std::atomic<int>> runs(kTotal);
  std::vector<int> chain_log;
  auto shared = std::make_shared<int>(7);  // every closure that owns a copy must release it
  std::atomic<bool> head_released{false};
  std::atomic<bool> head_ok{true};
  // The head of the chain is held until a little after the pushes, so the destructor
  // starts with most ops still pending.
  std::jthread releaser([&] {
    std::this_thread::sleep_for(20ms);
    head_released = true;
  });
  Completer completer(kDeferred);
  {
    TestEngine e(Options());
    Var head = e.new_var();
    e.push(
        [&] {
          if (!SpinUntil([&] { return head_released.load(); })) head_ok = false;
          runs[0].fetch_add(1);
        },
        {}, {head});
    for (int i = 1; i < kChain; ++i) {
      // Move-only closure owning heap memory (inline storage).
      e.push(
          [&, i, owned = std::make_unique<std::vector<int>>(8, i)] {
            chain_log.push_back((*owned)[0]);
            runs[i].fetch_add(1);
          },
          {}, {head}, i % 3 ? Lane::cpu_compute() : Lane::cpu_copy());
    }
    for (int j = 0; j < kReaders; ++j) {
      // Too large for inline storage: the closure lives on the heap.
      Var out = e.new_var();
      e.push([&runs, j, keep = shared,
              pad = std::array<char, 128>{}] { runs[kChain + j].fetch_add(1 + pad[0]); },
             {head}, {out}, j % 2 ? Lane::cpu_compute() : Lane::cpu_copy());
    }
    for (int k = 0; k < kDeferred; ++k) {
      Var out = e.new_var();
      e.push(
          [&, k, keep = shared](OpContext& ctx) {
            runs[kChain + kReaders + k].fetch_add(1);
            completer.Add(ctx.defer());
          },
          {head}, {out});
    }
  }  // ~Engine: must finish all of the above, including the deferred ops and deletes.
  EXPECT_TRUE(head_ok);
  EXPECT_EQ(completer.completed(), kDeferred);
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(runs[i].load(), 1) << "op " << i;
  ASSERT_EQ(chain_log.size(), static_cast<std::size_t>(kChain - 1));
  for (int i = 1; i < kChain; ++i) ASSERT_EQ(chain_log[i - 1], i);
  EXPECT_EQ(shared.use_count(), 1) << "closures outlived the engine";
}

TEST_P(ShutdownTest, EnginesWithoutWorkStartAndStop) {
  for (int workers = 1; workers <= 3; ++workers) {
    for (int i = 0; i < 5; ++i) {
      TestEngine e(Options(workers));
      if (i % 2 == 1) {
        Var v = e.new_var();
        e.push([] {}, {}, {v});
      }
    }
  }
}

TEST_P(ShutdownTest, DestructorDropsUnobservedFailures) {
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  e.push([] { throw std::runtime_error("never observed"); }, {}, {v});
  e.push([] {}, {v}, {w});
  // Leaving scope must neither throw nor terminate.
}

TEST_P(ShutdownTest, VarsLiveReturnsToZeroAfterDeleteVar) {
  constexpr int kVars = 100;
  TestEngine e(Options());
  EXPECT_EQ(e.stats().vars_live, 0);
  std::vector<Var> vars;
  for (int i = 0; i < kVars; ++i) vars.push_back(e.new_var());
  EXPECT_EQ(e.stats().vars_live, kVars);
  std::vector<int> slots(kVars, 0);
  for (int i = 0; i < kVars; ++i) {
    e.push([&slots, i] { slots[i] = i; }, {vars[(i + 1) % kVars]}, {vars[i]});
  }
  for (Var v : vars) e.delete_var(v);
  e.wait_all();
  EXPECT_EQ(e.stats().vars_live, 0);
  for (int i = 0; i < kVars; ++i) EXPECT_EQ(slots[i], i);
}

TEST_P(ShutdownTest, DeleteVarIsOrderedAfterPendingOps) {
  Gate release(/*open=*/!threaded());
  std::atomic<bool> gate_ok{true};
  std::atomic<int> runs{0};
  std::atomic<bool> fresh_ran{false};
  // The state the var guards; the ops pushed before delete_var still use it.
  auto state = std::make_unique<std::vector<int>>(16, 1);
  int seen = -1;
  TestEngine e(Options());
  ScopedOpen open_on_exit(release);
  Var v = e.new_var();
  e.push(
      [&] {
        if (!release.Wait()) gate_ok = false;
        (*state)[0] = 5;
        runs.fetch_add(1);
      },
      {}, {v});
  e.push(
      [&] {
        seen = (*state)[0];
        runs.fetch_add(1);
      },
      {v}, {}, Lane::cpu_copy());
  e.delete_var(v);
  // A var made now may reuse the released tag's memory; it must not inherit v's queue.
  Var fresh = e.new_var();
  e.push([&] { fresh_ran = true; }, {}, {fresh});
  ASSERT_TRUE(SpinUntil([&] { return fresh_ran.load(); }));
  if (threaded()) {
    EXPECT_EQ(runs.load(), 0) << "the held op finished before its release";
  }
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(e.stats().vars_live, 1);
  e.delete_var(fresh);
  e.wait_all();
  EXPECT_EQ(e.stats().vars_live, 0);
}

}  // namespace
}  // namespace ndflow_test

namespace ndflow_test {
namespace {

// What the default engine relies on at exit: after shutdown() the engine still accepts
// ops (from late destructors) and runs each inside push.
TEST(ShutdownCallTest, FinishesPendingOpsThenRunsLaterOpsInline) {
  TestEngine e(ThreadedOptions(2));
  Var v = e.new_var();
  std::atomic<int> runs{0};
  for (int i = 0; i < 100; ++i) e.push([&] { runs.fetch_add(1); }, {}, {v});
  e.shutdown();
  EXPECT_EQ(runs.load(), 100) << "shutdown() returned before the pending ops were done";
  EXPECT_EQ(e.kind(), ndflow::EngineKind::kNaive);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  e.push([&] { ran_on = std::this_thread::get_id(); }, {}, {v});
  EXPECT_EQ(ran_on, caller) << "after shutdown an op must run inside push";
  e.shutdown();  // idempotent
}

}  // namespace
}  // namespace ndflow_test
