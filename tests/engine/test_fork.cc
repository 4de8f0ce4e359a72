// fork() with ops in flight (engine/fork_handlers.h): the fork waits for them, and parent
// and child each compute on with workers of their own. Without the fork handlers the child
// has no workers, and its first wait for an op a waiter does not run itself never returns.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "engine/engine_test_util.h"
#include "forked_child.h"

namespace ndflow_test {
namespace {

using ndflow::Engine;
using ndflow::OpHints;
using ndflow::Var;
using namespace std::chrono_literals;

// Pushes `count` increments of *counter, each a long-running op (which a waiting thread
// leaves to the lane's workers) that takes about `each` and notes whether it ran on the
// thread `pusher`.
void PushIncrements(Engine& e, Var v, int* counter, int count, std::chrono::microseconds each,
                    std::thread::id pusher, std::atomic<int>* ran_on_pusher) {
  OpHints long_running;
  long_running.long_running = true;
  for (int i = 0; i < count; ++i)
    e.push(
        [=] {
          std::this_thread::sleep_for(each);
          if (std::this_thread::get_id() == pusher) ran_on_pusher->fetch_add(1);
          ++*counter;
        },
        {}, {v}, ndflow::Lane::cpu_compute(), 0, "increment", long_running);
}

TEST(ForkTest, ParentAndChildFinishWhatWasInFlightAndComputeOnWithTheirOwnWorkers) {
  int counter = 0;
  std::atomic<int> ran_on_main{0};
  const std::thread::id main_thread = std::this_thread::get_id();
  TestEngine e(ThreadedOptions(2));
  const Var v = e.new_var();
  PushIncrements(e, v, &counter, 20, 2ms, main_thread, &ran_on_main);  // ~40 ms in flight

  const std::string child = RunInForkedChild([&] {
    // The 20 ops ran before the fork; 10 more must run on the child's own workers.
    if (counter != 20) return 1;
    PushIncrements(e, v, &counter, 10, 100us, main_thread, &ran_on_main);
    e.wait_to_read(v);
    if (counter != 30) return 2;
    return ran_on_main.load() == 0 ? 0 : 3;
  });
  // 1: the fork did not wait for the ops in flight; 2: the child's ops did not all run;
  // 3: they ran on the waiting thread, not on workers; hung: the child has no workers.
  EXPECT_EQ(child, "exit 0");
  // The parent computes on as well.
  PushIncrements(e, v, &counter, 10, 100us, main_thread, &ran_on_main);
  e.wait_to_read(v);
  EXPECT_EQ(counter, 30);
  EXPECT_EQ(ran_on_main.load(), 0) << "long-running ops ran on the waiting thread";
}

TEST(ForkTest, AnEngineDestroyedBeforeAForkIsLeftAlone) {
  {
    TestEngine gone(ThreadedOptions(1));
    gone.push([] {}, {}, {gone.new_var()});
  }
  TestEngine e(ThreadedOptions(1));
  int counter = 0;
  std::atomic<int> ran_on_main{0};
  const Var v = e.new_var();
  EXPECT_EQ(RunInForkedChild([&] {
              PushIncrements(e, v, &counter, 3, 100us, std::this_thread::get_id(), &ran_on_main);
              e.wait_to_read(v);
              return counter == 3 && ran_on_main.load() == 0 ? 0 : 1;
            }),
            "exit 0");
}

TEST(ForkTest, ANaiveEngineForksAsItIs) {
  TestEngine e(MakeOptions(ndflow::EngineKind::kNaive));
  int counter = 0;
  const Var v = e.new_var();
  e.push([&] { ++counter; }, {}, {v});
  EXPECT_EQ(RunInForkedChild([&] {
              e.push([&] { ++counter; }, {}, {v});
              e.wait_to_read(v);
              return counter == 2 ? 0 : 1;
            }),
            "exit 0");
}

}  // namespace
}  // namespace ndflow_test
