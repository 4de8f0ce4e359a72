// A lane: one ready queue and the worker threads that drain it.
//
// Ready queue: ops of priority 0 (nearly all) go to a ring of pointers, others to a heap;
// pop takes the highest priority, FIFO among equals. A worker takes a batch of
// priority-0 ops at once when many wait (a fair share, so other workers still get theirs):
// one exchange of the queue's cache line then moves many ops.
//
// Parking (docs/architecture.md, "Waking workers"): at most one idle worker per lane spins
// looking for work; the others sleep on a semaphore. Enqueue wakes a sleeper only when no
// worker is spinning, so a steady stream of pushes costs no system calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "engine/op.h"
#include "engine/spin_lock.h"
#include "ndflow/engine.h"

namespace ndflow::detail {

class LaneExec {
 public:
  LaneExec(EngineCore* core, Lane id, LaneSpec spec, std::string name);
  ~LaneExec();  // stops and joins the workers; the queue must be empty

  void start_workers();
  void stop_workers();  // after every op is done; start_workers may follow

  void enqueue(Op* op);
  Op* try_pop();
  // What a waiting thread may take: the next op, unless it is marked long-running.
  Op* try_pop_for_waiter();
  // Pops up to `max` ops into `out` (several only from the priority-0 ring); returns how many.
  int try_pop_batch(Op** out, int max);
  bool maybe_has_work() const noexcept { return size_.load(std::memory_order_relaxed) > 0; }

  Lane id() const noexcept { return id_; }
  const LaneSpec& spec() const noexcept { return spec_; }
  const std::string& name() const noexcept { return name_; }

 private:
  struct HeapItem {
    std::int32_t priority;
    std::uint64_t seq;
    Op* op;
  };
  // Under lock_: whether the next op to run is the heap's top (a positive priority beats
  // the priority-0 ring; negative ones wait for the ring to empty), and taking it.
  bool next_is_in_heap() const noexcept;
  Op* pop_heap_top();
  void worker_loop(int index);
  Op* spin_for_work();
  void park();
  void wake_one();

  EngineCore* core_;
  Lane id_;
  LaneSpec spec_;
  std::string name_;

  // One line for the lock, the queue's bookkeeping and its size: an enqueue then moves one
  // line between cores, not two (size_ changes only under the lock anyway).
  alignas(64) SpinLock lock_;
  std::atomic<std::int64_t> size_{0};
  std::uint64_t head_ = 0;
  std::uint64_t tail_ = 0;
  std::vector<Op*> ring_;  // capacity a power of two; [head_, tail_) are queued
  std::uint64_t next_seq_ = 0;
  std::vector<HeapItem> heap_;

  alignas(64) std::atomic<std::int32_t> spinning_{0};
  std::atomic<std::int32_t> sleepers_{0};  // parked workers not yet claimed by a waker
  std::atomic<bool> stopping_{false};
  std::counting_semaphore<> wakeups_{0};
  std::vector<std::thread> workers_;
};

// Set on a lane worker's thread: lets a finishing op hand its first ready successor on
// the same lane straight to the worker that runs next (no queue round trip).
struct WorkerContext {
  LaneExec* lane = nullptr;
  EngineCore* core = nullptr;
  Op* next = nullptr;
  std::int64_t unpublished_done = 0;  // finished ops not yet subtracted from in-flight
};
extern thread_local WorkerContext t_worker;

}  // namespace ndflow::detail
