// Lanes and scheduling: priorities on a lane's ready queue, real parallelism on the
// compute pool, the copy lane's independence from compute, the lane registry
// (add_lane / find_lane / lane_name / lane_workers), and push() argument validation.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Device;
using ndflow::Engine;
using ndflow::Lane;
using ndflow::LaneKind;
using ndflow::LaneSpec;
using ndflow::OpContext;
using ndflow::Var;

class ThreadedLaneTest : public EngineTest {};
class LaneTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(LaneTest);

// ---------------------------------------------------------------------------------------
// Priorities

// Runs on a lane with a single worker: the compute lane with cpu_workers = 1, or the copy
// lane (copy_workers = 1).
class PriorityTest : public EngineTest, public ::testing::WithParamInterface<Lane> {};

INSTANTIATE_TEST_SUITE_P(Lanes, PriorityTest,
                         ::testing::Values(Lane::cpu_compute(), Lane::cpu_copy()),
                         [](const ::testing::TestParamInfo<Lane>& info) {
                           return std::string(info.param == Lane::cpu_compute() ? "Compute"
                                                                                : "Copy");
                         });

TEST_P(PriorityTest, HigherPriorityRunsFirstAndEqualPrioritiesKeepPushOrder) {
  const Lane lane = GetParam();
  constexpr int kPerLevel = 20;
  constexpr int kLevels[] = {0, 10, -3};  // pushed interleaved in this order
  Gate release;
  std::atomic<bool> blocker_started{false};
  std::atomic<bool> gate_ok{true};
  std::atomic<int> finished{0};
  std::mutex mu;
  std::vector<std::pair<int, int>> ran;  // (priority, index) in run order
  TestEngine e(ThreadedOptions(1));
  ScopedOpen open_on_exit(release);
  ASSERT_EQ(e.lane_workers(lane), 1);

  // Occupy the lane's only worker so that every later op is queued when it frees up.
  Var blocker_var = e.new_var();
  e.push(
      [&] {
        blocker_started = true;
        if (!release.Wait()) gate_ok = false;
      },
      {}, {blocker_var}, lane);
  ASSERT_TRUE(SpinUntil([&] { return blocker_started.load(); }));

  for (int i = 0; i < kPerLevel; ++i) {
    for (int p : kLevels) {
      Var v = e.new_var();  // independent ops: each is ready at once
      e.push(
          [&, p, i] {
            std::lock_guard<std::mutex> lock(mu);
            ran.emplace_back(p, i);
            finished.fetch_add(1);
          },
          {}, {v}, lane, p);
    }
  }
  release.Open();
  // Poll instead of waiting: a waiting thread could run queued ops itself and so reorder
  // them legitimately.
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == 3 * kPerLevel; }));

  std::vector<std::pair<int, int>> expected;
  for (int p : {10, 0, -3}) {
    for (int i = 0; i < kPerLevel; ++i) expected.emplace_back(p, i);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(ran, expected);
  }
  EXPECT_TRUE(gate_ok);
  e.wait_all();
}

// ---------------------------------------------------------------------------------------
// Parallelism and lane independence

TEST_F(ThreadedLaneTest, IndependentComputeOpsOverlapOnDifferentWorkers) {
  struct Stamp {
    std::int64_t start = 0;
    std::int64_t end = 0;
    int worker = -2;
  };
  Stamp stamps[2];
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  std::atomic<int> finished{0};
  const char* names[2] = {"overlap_a", "overlap_b"};
  TestEngine e(ThreadedOptions(2));
  e.profiler_start();
  for (int k = 0; k < 2; ++k) {
    Var v = e.new_var();
    e.push(
        [&, k](OpContext& ctx) {
          stamps[k].worker = ctx.worker();
          stamps[k].start = NowNs();
          started.fetch_add(1);
          // Each op waits for the other to start: they can meet only if they run together.
          if (SpinUntil([&] { return started.load() == 2; })) met.fetch_add(1);
          stamps[k].end = NowNs();
          finished.fetch_add(1);
        },
        {}, {v}, Lane::cpu_compute(), 0, names[k]);
  }
  // No engine wait before both finished: a waiting thread could run one of them inline.
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == 2; }))
      << started.load() << " of 2 ops started: a ready op stayed queued while a worker idled";
  e.wait_all();
  e.profiler_stop();

  EXPECT_EQ(met.load(), 2) << "the two ops did not run at the same time";
  EXPECT_LE(stamps[0].start, stamps[1].end);
  EXPECT_LE(stamps[1].start, stamps[0].end);
  EXPECT_GE(stamps[0].worker, 0);
  EXPECT_GE(stamps[1].worker, 0);
  EXPECT_NE(stamps[0].worker, stamps[1].worker);

  // The profiler must tell the same story.
  const std::vector<ndflow::ProfileRecord> records = e.profiler_records();
  const ndflow::ProfileRecord* rec[2] = {nullptr, nullptr};
  for (const ndflow::ProfileRecord& r : records) {
    for (int k = 0; k < 2; ++k) {
      if (r.name == names[k]) rec[k] = &r;
    }
  }
  ASSERT_NE(rec[0], nullptr);
  ASSERT_NE(rec[1], nullptr);
  EXPECT_LE(rec[0]->start_ns, rec[1]->end_ns) << "profiled intervals do not intersect";
  EXPECT_LE(rec[1]->start_ns, rec[0]->end_ns) << "profiled intervals do not intersect";
  EXPECT_GE(rec[0]->worker, 0);
  EXPECT_GE(rec[1]->worker, 0);
  EXPECT_NE(rec[0]->worker, rec[1]->worker);
  EXPECT_EQ(rec[0]->lane, Lane::cpu_compute());
  EXPECT_EQ(rec[1]->lane, Lane::cpu_compute());
}

TEST_F(ThreadedLaneTest, CopyLaneRunsWhileEveryComputeWorkerIsBusy) {
  Gate release;
  std::atomic<int> compute_started{0};
  std::atomic<int> compute_done{0};
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> copy_done{false};
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  for (int k = 0; k < e.lane_workers(Lane::cpu_compute()); ++k) {
    Var v = e.new_var();
    e.push(
        [&] {
          compute_started.fetch_add(1);
          if (!release.Wait()) gate_ok = false;
          compute_done.fetch_add(1);
        },
        {}, {v});
  }
  ASSERT_TRUE(SpinUntil([&] { return compute_started.load() == 2; }));
  Var c = e.new_var();
  e.push([&] { copy_done = true; }, {}, {c}, Lane::cpu_copy());
  ASSERT_TRUE(SpinUntil([&] { return copy_done.load(); })) << "the copy waited behind compute";
  EXPECT_EQ(compute_done.load(), 0);
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
}

TEST_F(ThreadedLaneTest, ComputeRunsWhileTheCopyLaneIsBusy) {
  Gate release;
  std::atomic<bool> copy_started{false};
  std::atomic<bool> copy_done{false};
  std::atomic<bool> gate_ok{true};
  std::atomic<bool> compute_done{false};
  TestEngine e(ThreadedOptions(2));
  ScopedOpen open_on_exit(release);
  Var c = e.new_var();
  e.push(
      [&] {
        copy_started = true;
        if (!release.Wait()) gate_ok = false;
        copy_done = true;
      },
      {}, {c}, Lane::cpu_copy());
  ASSERT_TRUE(SpinUntil([&] { return copy_started.load(); }));
  Var v = e.new_var();
  e.push([&] { compute_done = true; }, {}, {v});
  ASSERT_TRUE(SpinUntil([&] { return compute_done.load(); })) << "compute waited behind a copy";
  EXPECT_FALSE(copy_done.load());
  release.Open();
  e.wait_all();
  EXPECT_TRUE(gate_ok);
}

TEST_P(LaneTest, OpContextReportsLaneAndName) {
  Lane seen_lane{99};
  std::string seen_name;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push(
      [&](OpContext& ctx) {
        seen_lane = ctx.lane();
        seen_name = ctx.name();
      },
      {}, {v}, Lane::cpu_copy(), 0, "named_copy");
  e.wait_to_read(v);
  EXPECT_EQ(seen_lane, Lane::cpu_copy());
  EXPECT_EQ(seen_name, "named_copy");
}

// ---------------------------------------------------------------------------------------
// Lane registry

TEST_P(LaneTest, DefaultLanesAreRegistered) {
  TestEngine e(Options());
  EXPECT_EQ(e.find_lane(Device::cpu(), LaneKind::kCompute), Lane::cpu_compute());
  EXPECT_EQ(e.find_lane(Device::cpu(), LaneKind::kCompute, 0), Lane::cpu_compute());
  EXPECT_EQ(e.lane_name(Lane::cpu_compute()), "cpu(0) compute");
  const std::string copy_name = e.lane_name(Lane::cpu_copy());
  EXPECT_EQ(copy_name.rfind("cpu(0)", 0), 0u) << copy_name;
  EXPECT_NE(copy_name, e.lane_name(Lane::cpu_compute()));
}

TEST_F(ThreadedLaneTest, LaneWorkersReportsTheConfiguredPools) {
  ndflow::EngineOptions o = ThreadedOptions(3);
  o.copy_workers = 2;
  TestEngine e(o);
  EXPECT_EQ(e.lane_workers(Lane::cpu_compute()), 3);
  EXPECT_EQ(e.lane_workers(Lane::cpu_copy()), 2);
}

TEST_P(LaneTest, FindLaneOnMissingLaneThrows) {
  TestEngine e(Options());
  EXPECT_THROW(e.find_lane(Device::gpu(0), LaneKind::kCompute), std::exception);
  EXPECT_THROW(e.find_lane(Device::cpu(), LaneKind::kCompute, 5), std::exception);
  EXPECT_THROW(e.find_lane(Device::cpu(1), LaneKind::kCompute), std::exception);
  EXPECT_THROW(e.find_lane(Device::cpu(), LaneKind::kPeerCopy), std::exception);
}

TEST_P(LaneTest, AddedLanesCanBeFoundAndNamed) {
  TestEngine e(Options());
  LaneSpec compute1;
  compute1.kind = LaneKind::kCompute;
  compute1.index = 1;
  compute1.workers = 2;
  const Lane a = e.add_lane(compute1);
  LaneSpec gpu_in;
  gpu_in.device = Device::gpu(0);
  gpu_in.kind = LaneKind::kCopyIn;
  const Lane b = e.add_lane(gpu_in);

  EXPECT_NE(a, Lane::cpu_compute());
  EXPECT_NE(a, Lane::cpu_copy());
  EXPECT_NE(b, Lane::cpu_compute());
  EXPECT_NE(b, Lane::cpu_copy());
  EXPECT_NE(a, b);
  EXPECT_EQ(e.find_lane(Device::cpu(), LaneKind::kCompute, 1), a);
  EXPECT_EQ(e.find_lane(Device::gpu(0), LaneKind::kCopyIn), b);
  EXPECT_EQ(e.find_lane(Device::cpu(), LaneKind::kCompute, 0), Lane::cpu_compute());

  const std::string name_a = e.lane_name(a);
  const std::string name_b = e.lane_name(b);
  EXPECT_EQ(name_a.rfind("cpu(0)", 0), 0u) << name_a;
  EXPECT_EQ(name_b.rfind("gpu(0)", 0), 0u) << name_b;
  EXPECT_NE(name_a, e.lane_name(Lane::cpu_compute())) << "two lanes share a name";
  if (threaded()) {
    EXPECT_EQ(e.lane_workers(a), 2);
    EXPECT_EQ(e.lane_workers(b), 1);
  }

  // Ops on the added lanes run.
  std::atomic<int> runs{0};
  Var v = e.new_var();
  e.push([&] { runs.fetch_add(1); }, {}, {v}, a);
  e.push([&] { runs.fetch_add(1); }, {v}, {}, b);
  e.wait_all();
  EXPECT_EQ(runs.load(), 2);
}

TEST_F(ThreadedLaneTest, AddedLaneRunsOpsOnItsInitializedWorkers) {
  constexpr int kWorkers = 2;
  constexpr int kOps = 20;
  std::mutex mu;
  std::multiset<std::thread::id> started_threads;  // from on_worker_start
  std::vector<int> started_workers;
  std::vector<std::pair<std::thread::id, int>> op_threads;  // (thread, ctx.worker())
  std::atomic<int> finished{0};
  std::vector<Lane> op_lanes;
  TestEngine e(ThreadedOptions(2));
  LaneSpec spec;
  spec.index = 1;
  spec.workers = kWorkers;
  spec.on_worker_start = [&](int worker) {
    std::lock_guard<std::mutex> lock(mu);
    started_threads.insert(std::this_thread::get_id());
    started_workers.push_back(worker);
  };
  const Lane lane = e.add_lane(spec);
  for (int i = 0; i < kOps; ++i) {
    Var v = e.new_var();
    e.push(
        [&](OpContext& ctx) {
          std::lock_guard<std::mutex> lock(mu);
          op_threads.emplace_back(std::this_thread::get_id(), ctx.worker());
          op_lanes.push_back(ctx.lane());
          finished.fetch_add(1);
        },
        {}, {v}, lane);
  }
  // Poll: a waiting thread may run helpable ops inline, and those skip on_worker_start.
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == kOps; }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(started_threads.size(), 1u);
  EXPECT_LE(started_threads.size(), static_cast<std::size_t>(kWorkers));
  for (const auto& [thread, worker] : op_threads) {
    EXPECT_EQ(started_threads.count(thread), 1u) << "an op ran on a thread never initialized";
    EXPECT_GE(worker, 0);
    EXPECT_LT(worker, kWorkers);
  }
  for (int w : started_workers) {
    EXPECT_GE(w, 0);
    EXPECT_LT(w, kWorkers);
  }
  std::set<int> distinct(started_workers.begin(), started_workers.end());
  EXPECT_EQ(distinct.size(), started_workers.size()) << "on_worker_start ran twice for a worker";
  for (Lane l : op_lanes) EXPECT_EQ(l, lane);
}

TEST_F(ThreadedLaneTest, WorkerSetupFailureFailsItsOpsInsteadOfCrashing) {
  TestEngine e(ThreadedOptions(2));
  LaneSpec spec;
  spec.index = 1;
  spec.helpable = false;  // so only the lane's (broken) worker can take the op
  spec.on_worker_start = [](int) { throw std::runtime_error("cannot bind device"); };
  const Lane lane = e.add_lane(spec);
  std::atomic<bool> ran{false};
  Var v = e.new_var();
  e.push([&] { ran = true; }, {}, {v}, lane, 0, "on_broken_worker");
  try {
    e.wait_to_read(v);
    ADD_FAILURE() << "wait_to_read should rethrow the worker's setup failure";
  } catch (const std::runtime_error& err) {
    EXPECT_STREQ(err.what(), "cannot bind device");
  }
  EXPECT_FALSE(ran.load()) << "an op ran on a worker whose setup failed";
  // The engine keeps working on its other lanes.
  Var w = e.new_var();
  e.push([&] {}, {}, {w});
  EXPECT_NO_THROW(e.wait_to_read(w));
}

TEST_F(ThreadedLaneTest, WaitNeverRunsOpsOfANonHelpableLaneInline) {
  constexpr int kOps = 50;
  std::mutex mu;
  std::vector<std::pair<std::thread::id, int>> op_threads;
  int slot = 0;
  TestEngine e(ThreadedOptions(2));
  LaneSpec spec;
  spec.index = 1;
  spec.helpable = false;
  const Lane lane = e.add_lane(spec);
  Var v = e.new_var();
  for (int i = 0; i < kOps; ++i) {
    e.push(
        [&](OpContext& ctx) {
          ++slot;
          std::lock_guard<std::mutex> lock(mu);
          op_threads.emplace_back(std::this_thread::get_id(), ctx.worker());
        },
        {}, {v}, lane);
  }
  // Waiting at once is the point: the waiting thread must leave these ops to the lane.
  e.wait_to_read(v);
  EXPECT_EQ(slot, kOps);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(op_threads.size(), static_cast<std::size_t>(kOps));
  for (const auto& [thread, worker] : op_threads) {
    EXPECT_NE(thread, std::this_thread::get_id());
    EXPECT_GE(worker, 0);
  }
}

// ---------------------------------------------------------------------------------------
// push() validation

// push_it() must throw std::invalid_argument and leave no trace: nothing counted as
// pushed, the closure (which holds `token`) destroyed, never run.
template <class F>
void ExpectPushRejected(Engine& e, F push_it, const std::shared_ptr<int>& token,
                        const std::atomic<int>& runs) {
  const std::int64_t pushed_before = e.stats().ops_pushed;
  EXPECT_THROW(push_it(), std::invalid_argument);
  EXPECT_EQ(e.stats().ops_pushed, pushed_before) << "a rejected push was counted";
  EXPECT_EQ(token.use_count(), 1) << "the rejected closure was kept";
  EXPECT_EQ(runs.load(), 0);
}

TEST_P(LaneTest, PushRejectsUnknownLanesAndNullVarsAndPushesNothing) {
  std::atomic<int> runs{0};
  auto token = std::make_shared<int>(1);
  TestEngine e(Options());
  Var v = e.new_var();
  const Var null_var;
  for (std::uint16_t id :
       {std::uint16_t{2}, std::uint16_t{63}, std::uint16_t{64}, std::uint16_t{65535}}) {
    SCOPED_TRACE(id);
    ExpectPushRejected(
        e, [&] { e.push([&runs, token] { runs.fetch_add(1); }, {}, {v}, Lane{id}); }, token, runs);
  }
  ExpectPushRejected(
      e, [&] { e.push([&runs, token] { runs.fetch_add(1); }, {null_var}, {v}); }, token, runs);
  ExpectPushRejected(
      e,
      [&] {
        e.push([&runs, token] { runs.fetch_add(1); }, {v}, {v, null_var});
      },
      token, runs);
  // A closure too large for inline storage takes the heap path; it must be freed too.
  ExpectPushRejected(
      e,
      [&] {
        std::array<char, 256> big{};
        e.push([&runs, token, big] { runs.fetch_add(big[0] + 1); }, {}, {null_var});
      },
      token, runs);

  // The engine is unaffected, including the var named in the rejected pushes.
  int slot = 0;
  e.push([&] { slot = 3; }, {}, {v});
  e.wait_to_read(v);
  EXPECT_EQ(slot, 3);
  e.wait_all();
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace ndflow_test

namespace ndflow_test {
namespace {

TEST(WaitersRunOpsTest, WhenOffEveryOpRunsOnALaneWorker) {
  ndflow::EngineOptions options = ThreadedOptions(1);
  options.waiters_run_ops = false;
  TestEngine e(options);
  std::atomic<int> inline_runs{0};
  Var v = e.new_var();
  for (int i = 0; i < 2000; ++i)
    e.push([&](OpContext& ctx) { inline_runs.fetch_add(ctx.worker() < 0); }, {}, {v});
  e.wait_to_read(v);
  e.wait_all();
  EXPECT_EQ(inline_runs.load(), 0);
  EXPECT_EQ(e.stats().ops_run_inline, 0);
}

}  // namespace
}  // namespace ndflow_test

namespace ndflow_test {
namespace {

TEST(OpHintsTest, WaitingThreadsLeaveLongRunningOpsToTheWorkers) {
  TestEngine e(ThreadedOptions(1));
  std::atomic<bool> release{false};
  Var busy = e.new_var(), v = e.new_var();
  e.push([&] { SpinUntil([&] { return release.load(); }); }, {}, {busy});  // holds the worker
  int ran_on = -2;
  e.push([&](OpContext& ctx) { ran_on = ctx.worker(); }, {}, {v}, Lane::cpu_compute(), 0, "long",
         ndflow::OpHints{.long_running = true});
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release = true;
  });
  e.wait_to_read(v);  // would run "long" at once if waiting threads took long-running ops
  releaser.join();
  EXPECT_GE(ran_on, 0) << "a waiting thread ran a long-running op inline";
}

}  // namespace
}  // namespace ndflow_test
