// Two-level completion: an op that calls ctx.defer() is issued when its function returns
// and done only when its AsyncCompletion is completed (or failed, or dropped). Dependents
// and waits start at done; the lane's worker is free from issue on.
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::AsyncCompletion;
using ndflow::Lane;
using ndflow::LaneSpec;
using ndflow::OpContext;
using ndflow::Var;
using namespace std::chrono_literals;

class AsyncCompletionTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(AsyncCompletionTest);

class ThreadedAsyncCompletionTest : public EngineTest {};

TEST_P(AsyncCompletionTest, DependentsAndWaitsStartOnlyAfterComplete) {
  std::atomic<bool> completing{false};  // set by the helper just before complete()
  int result = 0;                       // the deferred op's output, written by the helper
  bool reader_saw_completing = false;
  int reader_saw_result = -1;
  HelperThreads helpers;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        AsyncCompletion done = ctx.defer();
        helpers.Start([&, done = std::move(done)]() mutable {
          std::this_thread::sleep_for(20ms);  // let a wrongly-released dependent run first
          result = 42;
          completing = true;
          done.complete();
        });
      },
      {}, {v});
  if (!threaded()) {
    EXPECT_TRUE(completing) << "naive push() returned before the deferred op completed";
  }
  e.push(
      [&] {
        reader_saw_completing = completing.load();
        reader_saw_result = result;
      },
      {v}, {});
  e.wait_to_read(v);
  EXPECT_TRUE(completing) << "wait_to_read returned before complete()";
  EXPECT_EQ(result, 42);
  e.wait_all();
  EXPECT_TRUE(reader_saw_completing) << "a reader ran before the write it depends on was done";
  EXPECT_EQ(reader_saw_result, 42);
}

TEST_P(AsyncCompletionTest, FailSurfacesAtTheWaitAndSkipsReaders) {
  std::atomic<int> reader_runs{0};
  HelperThreads helpers;
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        helpers.Start([done = ctx.defer()]() mutable {
          std::this_thread::sleep_for(5ms);
          done.fail(std::make_exception_ptr(std::runtime_error("async boom")));
        });
      },
      {}, {v});
  e.push([&] { reader_runs.fetch_add(1); }, {v}, {w});
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v); }, "async boom"));
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(w); }, "async boom"));
  EXPECT_EQ(reader_runs.load(), 0);
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(AsyncCompletionTest, CompletionDroppedInsideTheOpFailsIt) {
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([](OpContext& ctx) { AsyncCompletion lost = ctx.defer(); }, {}, {v});
  EXPECT_THROW(e.wait_to_read(v), std::exception);
  // The engine carries on.
  int slot = 0;
  e.push([&] { slot = 1; }, {}, {v});
  EXPECT_NO_THROW(e.wait_to_read(v));
  EXPECT_EQ(slot, 1);
}

TEST_P(AsyncCompletionTest, CompletionDroppedOnAnotherThreadFailsIt) {
  HelperThreads helpers;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        helpers.Start([done = ctx.defer()]() mutable {
          std::this_thread::sleep_for(5ms);
          AsyncCompletion dropped = std::move(done);
        });
      },
      {}, {v});
  EXPECT_THROW(e.wait_to_read(v), std::exception);
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(AsyncCompletionTest, CompleteOrFailBeforeReturningWorks) {
  int slot = 0;
  TestEngine e(Options());
  Var ok = e.new_var();
  Var bad = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        AsyncCompletion done = ctx.defer();
        slot = 5;
        done.complete();
      },
      {}, {ok});
  e.push(
      [](OpContext& ctx) {
        ctx.defer().fail(std::make_exception_ptr(std::runtime_error("early")));
      },
      {}, {bad}, Lane::cpu_copy());
  EXPECT_NO_THROW(e.wait_to_read(ok));
  EXPECT_EQ(slot, 5);
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(bad); }, "early"));
}

TEST_P(AsyncCompletionTest, PendingTracksTheHandle) {
  bool after_defer = false;
  bool moved_from = true;
  bool moved_to = false;
  bool after_complete = true;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        AsyncCompletion a = ctx.defer();
        after_defer = a.pending();
        AsyncCompletion b = std::move(a);
        moved_from = a.pending();
        moved_to = b.pending();
        b.complete();
        after_complete = b.pending();
      },
      {}, {v});
  EXPECT_NO_THROW(e.wait_to_read(v));
  EXPECT_TRUE(after_defer);
  EXPECT_FALSE(moved_from);
  EXPECT_TRUE(moved_to);
  EXPECT_FALSE(after_complete);
  AsyncCompletion empty;  // destroying an empty handle is harmless
  EXPECT_FALSE(empty.pending());
}

TEST_F(ThreadedAsyncCompletionTest, DeferredOpDoesNotHoldItsWorker) {
  // One compute worker. The deferred op is completed only after a later, independent op
  // has run, which needs that worker: so the worker must be free once the op is issued.
  std::atomic<bool> issued{false};
  std::atomic<bool> other_ran{false};
  std::atomic<bool> may_complete{false};
  std::atomic<bool> helper_ok{false};
  HelperThreads helpers;
  TestEngine e(ThreadedOptions(1));
  Var v = e.new_var();
  Var u = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        helpers.Start([&, done = ctx.defer()]() mutable {
          helper_ok = SpinUntil([&] { return may_complete.load(); });
          done.complete();
        });
        issued = true;
      },
      {}, {v});
  ASSERT_TRUE(SpinUntil([&] { return issued.load(); }));
  e.push([&] { other_ran = true; }, {}, {u});
  // Poll: a waiting thread might run the other op inline and hide a held worker.
  const bool ran = SpinUntil([&] { return other_ran.load(); });
  // Issued but not completed: the deferred op still counts as in flight.
  const ndflow::EngineStats stats = e.stats();
  may_complete = true;
  ASSERT_TRUE(ran) << "the worker stayed busy with an issued, deferred op";
  EXPECT_GE(stats.ops_inflight, 1);
  EXPECT_LT(stats.ops_done, stats.ops_pushed);
  e.wait_all();
  EXPECT_TRUE(helper_ok);
}

TEST_F(ThreadedAsyncCompletionTest, CompletionsInAnyOrderReleaseTheirDependents) {
  // Sixteen deferred ops on separate vars, completed in reverse order by one helper once
  // it holds all of them; a final op reads every var and sees every result.
  constexpr int kOps = 16;
  std::mutex mu;
  std::vector<AsyncCompletion> handles;
  int results[kOps] = {};
  long sum = -1;
  std::atomic<bool> helper_ok{false};
  std::jthread helper([&] {
    helper_ok = SpinUntil([&] {
      std::lock_guard<std::mutex> lock(mu);
      return handles.size() == kOps;
    });
    std::lock_guard<std::mutex> lock(mu);
    for (int k = static_cast<int>(handles.size()) - 1; k >= 0; --k) handles[k].complete();
  });
  TestEngine e(ThreadedOptions(2));
  std::vector<Var> vars;
  for (int k = 0; k < kOps; ++k) {
    vars.push_back(e.new_var());
    e.push(
        [&, k](OpContext& ctx) {
          results[k] = k + 1;
          AsyncCompletion done = ctx.defer();
          std::lock_guard<std::mutex> lock(mu);
          handles.push_back(std::move(done));
        },
        {}, {vars.back()}, k % 2 ? Lane::cpu_copy() : Lane::cpu_compute());
  }
  Var total = e.new_var();
  e.push(
      [&] {
        sum = 0;
        for (int k = 0; k < kOps; ++k) sum += results[k];
      },
      vars, {total});
  e.wait_to_read(total);
  EXPECT_TRUE(helper_ok);
  EXPECT_EQ(sum, kOps * (kOps + 1) / 2);
  e.wait_all();
}

TEST_F(ThreadedAsyncCompletionTest, AWaiterCompletesDeferredOpsThroughItsLanesPoll) {
  // A lane whose deferred ops a poller completes once their "device work" is done: the
  // thread spinning in wait_to_read calls the lane's poll_completions itself, and ends its
  // wait without the poller. A fallback completes the op after 10 s, so a waiter that
  // never polls fails the test instead of hanging it.
  std::mutex mu;
  std::vector<AsyncCompletion> parked;  // the deferred op's completion, until completed
  std::atomic<bool> device_done{false};
  std::thread::id completed_on;
  const auto complete_parked = [&] {
    std::lock_guard<std::mutex> lock(mu);
    if (parked.empty()) return;
    completed_on = std::this_thread::get_id();
    parked.back().complete();
    parked.clear();
  };
  TestEngine e(ThreadedOptions(1));
  LaneSpec spec;
  spec.index = 1;
  spec.helpable = false;
  spec.poll_completions = [&] {
    if (device_done.load()) complete_parked();
  };
  const Lane lane = e.add_lane(spec);
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        AsyncCompletion done = ctx.defer();
        std::lock_guard<std::mutex> lock(mu);
        parked.push_back(std::move(done));
      },
      {}, {v}, lane);
  ASSERT_TRUE(SpinUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !parked.empty();
  }));
  device_done = true;
  std::atomic<bool> waited{false};
  std::jthread fallback([&] {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!waited.load() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(1ms);
    complete_parked();
  });
  e.wait_to_read(v);
  waited = true;
  fallback.join();
  EXPECT_EQ(completed_on, std::this_thread::get_id())
      << "the waiting thread did not complete the op through the lane's poll_completions";
  e.wait_all();
}

}  // namespace
}  // namespace ndflow_test
