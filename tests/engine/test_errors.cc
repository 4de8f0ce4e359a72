// Errors: an op's exception fails the vars it writes, passes to ops that read them (which
// are skipped), and is rethrown in the caller's thread by the next wait; wait_all reports
// each unobserved failure once; the engine keeps running. A wait from inside an op raises
// DeadlockError in that op instead of hanging.
#include <atomic>
#include <stdexcept>
#include <string>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::DeadlockError;
using ndflow::Lane;
using ndflow::Var;

class ErrorTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(ErrorTest);

struct CustomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST_P(ErrorTest, WaitToReadRethrowsTheOpsException) {
  TestEngine e(Options());
  Var v = e.new_var();
  // push() itself never throws the op's exception, not even in naive mode.
  EXPECT_NO_THROW(e.push([] { throw std::runtime_error("boom"); }, {}, {v}));
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v); }, "boom"));
  // The var stays failed until a later write succeeds.
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v); }, "boom"));
}

TEST_P(ErrorTest, WaitToWriteRethrowsTheFailureAndLeavesItInPlace) {
  std::atomic<bool> reader_ran{false};
  TestEngine e(Options());
  Var v = e.new_var();
  Var out = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_write(v); }, "boom"));
  // The op the wait pushed on v did not clear the failure, as a clean write would have.
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_write(v); }, "boom"));
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v); }, "boom"));
  e.push([&] { reader_ran = true; }, {v}, {out});
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(out); }, "boom"));
  EXPECT_FALSE(reader_ran);
  EXPECT_NO_THROW(e.wait_all());  // the waits above reported it
}

TEST_P(ErrorTest, ExceptionTypeIsPreserved) {
  TestEngine e(Options());
  Var custom = e.new_var();
  Var not_std = e.new_var();
  e.push([] { throw CustomError("custom"); }, {}, {custom}, Lane::cpu_copy());
  e.push([] { throw 42; }, {}, {not_std});
  EXPECT_TRUE(ThrowsWithMessage<CustomError>([&] { e.wait_to_read(custom); }, "custom"));
  try {
    e.wait_to_read(not_std);
    ADD_FAILURE() << "did not throw";
  } catch (int value) {
    EXPECT_EQ(value, 42);
  } catch (...) {
    ADD_FAILURE() << "threw something other than the op's int";
  }
}

TEST_P(ErrorTest, OnlyTheWrittenVarsFail) {
  TestEngine e(Options());
  Var in = e.new_var();
  Var out1 = e.new_var();
  Var out2 = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {in}, {out1, out2});
  EXPECT_NO_THROW(e.wait_to_read(in));
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(out1); }, "boom"));
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(out2); }, "boom"));
}

TEST_P(ErrorTest, ReadersOfAFailedVarAreSkippedAndPassTheFailureOn) {
  std::atomic<int> skipped_runs{0};
  std::atomic<int> independent_runs{0};
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  Var w2 = e.new_var();
  Var x = e.new_var();
  Var other = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  e.push([&] { skipped_runs.fetch_add(1); }, {v}, {w, w2}, Lane::cpu_copy());
  e.push([&] { skipped_runs.fetch_add(1); }, {w}, {x});  // two steps downstream
  e.push([&] { independent_runs.fetch_add(1); }, {}, {other});
  for (Var failed : {v, w, w2, x}) {
    EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(failed); }, "boom"));
  }
  EXPECT_NO_THROW(e.wait_to_read(other));
  EXPECT_EQ(skipped_runs.load(), 0) << "an op reading a failed var ran";
  EXPECT_EQ(independent_runs.load(), 1);
}

TEST_P(ErrorTest, WriteThatReadsTheFailedVarLeavesItFailed) {
  std::atomic<int> runs{0};
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  e.push([&] { runs.fetch_add(1); }, {v}, {v});
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v); }, "boom"));
  EXPECT_EQ(runs.load(), 0);
}

TEST_P(ErrorTest, WaitAllRethrowsTheFirstUnobservedFailureOnce) {
  TestEngine e(Options());
  Var order = e.new_var();
  Var v1 = e.new_var();
  Var v2 = e.new_var();
  // The second op writes `order`, which the first reads: it starts only after the first
  // is done, so "first" is the same by push order and by time.
  e.push([] { throw std::runtime_error("first"); }, {order}, {v1});
  e.push([] { throw std::runtime_error("second"); }, {}, {order, v2});
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_all(); }, "first"));
  EXPECT_NO_THROW(e.wait_all()) << "wait_all reported a failure twice";
  // wait_all forgot the second failure, but the var it failed is still failed.
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(v2); }, "second"));
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, FailureRethrownByWaitToReadIsNotRethrownByWaitAll) {
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  EXPECT_THROW(e.wait_to_read(v), std::runtime_error);
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, PropagatedFailureObservedDownstreamIsNotRethrownByWaitAll) {
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  e.push([] {}, {v}, {w});
  // The skipped op passes on the same failure, so observing it at w observes it.
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_to_read(w); }, "boom"));
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, WaitAllReportsAFailureEvenAfterItsVarWasOverwritten) {
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  e.push([] {}, {}, {v});
  EXPECT_NO_THROW(e.wait_to_read(v));
  // No wait has rethrown the failure yet.
  EXPECT_TRUE(ThrowsWithMessage<std::runtime_error>([&] { e.wait_all(); }, "boom"));
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, SuccessfulWriteThatDoesNotReadTheFailedVarClearsIt) {
  int slot = 0;
  int seen = -1;
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([] { throw std::runtime_error("boom"); }, {}, {v});
  EXPECT_THROW(e.wait_to_read(v), std::runtime_error);
  e.push([&] { slot = 7; }, {}, {v});
  EXPECT_NO_THROW(e.wait_to_read(v));
  EXPECT_EQ(slot, 7);
  // Readers of the cleared var run again.
  Var w = e.new_var();
  e.push([&] { seen = slot; }, {v}, {w});
  EXPECT_NO_THROW(e.wait_to_read(w));
  EXPECT_EQ(seen, 7);
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, EngineKeepsWorkingAfterFailures) {
  std::atomic<int> runs{0};
  TestEngine e(Options());
  for (int i = 0; i < 20; ++i) {
    Var v = e.new_var();
    e.push([] { throw std::runtime_error("boom"); }, {}, {v},
           i % 2 ? Lane::cpu_copy() : Lane::cpu_compute());
  }
  EXPECT_THROW(e.wait_all(), std::runtime_error);
  int slot = 0;
  Var v = e.new_var();
  for (int i = 0; i < 100; ++i) {
    e.push(
        [&] {
          ++slot;
          runs.fetch_add(1);
        },
        {}, {v}, i % 2 ? Lane::cpu_copy() : Lane::cpu_compute());
  }
  EXPECT_NO_THROW(e.wait_to_read(v));
  EXPECT_NO_THROW(e.wait_all());
  EXPECT_EQ(slot, 100);
  EXPECT_EQ(runs.load(), 100);
}

// ---------------------------------------------------------------------------------------
// Waits from inside an op

TEST_P(ErrorTest, WaitToReadInsideAnOpFailsTheOpWithDeadlockError) {
  std::atomic<bool> continued{false};
  TestEngine e(Options());
  Var never_written = e.new_var();
  Var v = e.new_var();
  // Even a wait that would return at once is refused inside an op.
  e.push(
      [&] {
        e.wait_to_read(never_written);
        continued = true;
      },
      {}, {v});
  EXPECT_THROW(e.wait_to_read(v), DeadlockError);
  EXPECT_FALSE(continued);
  EXPECT_NO_THROW(e.wait_all());
}

TEST_P(ErrorTest, WaitOnTheOpsOwnVarInsideTheOpDoesNotHang) {
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([&] { e.wait_to_read(v); }, {}, {v});
  EXPECT_THROW(e.wait_to_read(v), DeadlockError);
  Var w = e.new_var();
  e.push([&] { e.wait_to_write(w); }, {w}, {});
  EXPECT_THROW(e.wait_all(), DeadlockError);
}

TEST_P(ErrorTest, WaitAllInsideAnOpRaisesDeadlockErrorOnEveryLane) {
  std::atomic<int> caught{0};
  TestEngine e(Options());
  Var v = e.new_var();
  Var w = e.new_var();
  for (Lane lane : {Lane::cpu_compute(), Lane::cpu_copy()}) {
    // Caught inside the op: the op then succeeds.
    e.push(
        [&] {
          try {
            e.wait_all();
          } catch (const DeadlockError&) {
            caught.fetch_add(1);
          }
        },
        {}, {v}, lane);
  }
  // Not caught: the op fails with DeadlockError.
  e.push([&] { e.wait_all(); }, {}, {w}, Lane::cpu_copy());
  EXPECT_NO_THROW(e.wait_to_read(v));
  EXPECT_THROW(e.wait_to_read(w), DeadlockError);
  EXPECT_EQ(caught.load(), 2);
  EXPECT_NO_THROW(e.wait_all());
}

}  // namespace
}  // namespace ndflow_test
