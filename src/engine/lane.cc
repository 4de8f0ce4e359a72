#include "engine/lane.h"

#include <algorithm>
#include <chrono>

#include "engine/engine_core.h"

namespace ndflow::detail {

thread_local WorkerContext t_worker;

namespace {

// How long an idle worker looks for work before it sleeps. Waking a sleeper costs
// microseconds; spinning this long keeps bursts of pushes free of system calls.
constexpr auto kSpinFor = std::chrono::microseconds(100);

// Max-heap order: higher priority first, then earlier push.
struct HeapOrder {
  template <class Item>
  bool operator()(const Item& a, const Item& b) const {
    return a.priority != b.priority ? a.priority < b.priority : a.seq > b.seq;
  }
};

}  // namespace

LaneExec::LaneExec(EngineCore* core, Lane id, LaneSpec spec, std::string name)
    : core_(core), id_(id), spec_(std::move(spec)), name_(std::move(name)) {}

LaneExec::~LaneExec() { stop_workers(); }

void LaneExec::start_workers() {
  workers_.reserve(spec_.workers);
  for (int i = 0; i < spec_.workers; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

void LaneExec::stop_workers() {
  if (workers_.empty()) return;
  stopping_.store(true, std::memory_order_seq_cst);
  wakeups_.release(static_cast<std::ptrdiff_t>(workers_.size()));
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void LaneExec::enqueue(Op* op) {
  {
    std::lock_guard guard(lock_);
    if (op->priority == 0) {
      op->next_ready = nullptr;
      if (fifo_tail_)
        fifo_tail_->next_ready = op;
      else
        fifo_head_ = op;
      fifo_tail_ = op;
    } else {
      heap_.push_back({op->priority, next_seq_++, op});
      std::push_heap(heap_.begin(), heap_.end(), HeapOrder{});
    }
    size_.fetch_add(1, std::memory_order_seq_cst);
  }
  // Pairs with park(): either the parking worker sees size_ > 0, or we see it asleep.
  if (spinning_.load(std::memory_order_seq_cst) == 0) wake_one();
}

Op* LaneExec::try_pop() {
  if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard guard(lock_);
  Op* op = nullptr;
  if (!heap_.empty() && (heap_.front().priority > 0 || fifo_head_ == nullptr)) {
    std::pop_heap(heap_.begin(), heap_.end(), HeapOrder{});
    op = heap_.back().op;
    heap_.pop_back();
  } else if (fifo_head_) {
    op = fifo_head_;
    fifo_head_ = op->next_ready;
    if (!fifo_head_) fifo_tail_ = nullptr;
  } else {
    return nullptr;
  }
  size_.fetch_sub(1, std::memory_order_relaxed);
  return op;
}

void LaneExec::wake_one() {
  int s = sleepers_.load(std::memory_order_seq_cst);
  while (s > 0) {
    if (sleepers_.compare_exchange_weak(s, s - 1, std::memory_order_seq_cst)) {
      wakeups_.release();
      return;
    }
  }
}

Op* LaneExec::spin_for_work() {
  const auto deadline = std::chrono::steady_clock::now() + kSpinFor;
  for (int i = 0;; ++i) {
    if (size_.load(std::memory_order_relaxed) > 0) {
      if (Op* op = try_pop()) return op;
    }
    if (stopping_.load(std::memory_order_relaxed)) return nullptr;
    if (i < 32) {
      cpu_relax();
    } else {
      // Yield rather than pause: with more threads than cores the pusher needs this core.
      std::this_thread::yield();
      if ((i & 15) == 0 && std::chrono::steady_clock::now() > deadline) return nullptr;
    }
  }
}

void LaneExec::park() {
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (size_.load(std::memory_order_seq_cst) > 0 || stopping_.load(std::memory_order_seq_cst)) {
    // Withdraw, unless a waker already claimed us: then its permit is ours to consume.
    int s = sleepers_.load(std::memory_order_seq_cst);
    while (s > 0)
      if (sleepers_.compare_exchange_weak(s, s - 1, std::memory_order_seq_cst)) return;
  }
  wakeups_.acquire();
}

void LaneExec::worker_loop(int index) {
  t_worker.lane = this;
  if (spec_.on_worker_start) spec_.on_worker_start(index);
  for (;;) {
    Op* op = std::exchange(t_worker.next, nullptr);
    if (!op) op = try_pop();
    if (!op) {
      if (stopping_.load(std::memory_order_acquire) && size_.load() == 0) break;
      int expected = 0;
      if (spinning_.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) {
        op = spin_for_work();
        spinning_.store(0, std::memory_order_seq_cst);
        // We stop being the spinner: if work remains, let a sleeper take over.
        if (op && size_.load(std::memory_order_seq_cst) > 0) wake_one();
      }
      if (!op) {
        park();
        continue;
      }
    }
    core_->execute(op, index);
  }
  t_worker = WorkerContext{};
}

}  // namespace ndflow::detail
