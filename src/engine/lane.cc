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
constexpr int kPausesPerPoll = 128;  // ~3.2 us on the machines we measure (pause ~25 ns)

// Max-heap order: higher priority first, then earlier push.
struct HeapOrder {
  template <class Item>
  bool operator()(const Item& a, const Item& b) const {
    return a.priority != b.priority ? a.priority < b.priority : a.seq > b.seq;
  }
};

}  // namespace

// Largest batch a worker takes from the ring at once.
constexpr int kMaxBatch = 16;

LaneExec::LaneExec(EngineCore* core, Lane id, LaneSpec spec, std::string name)
    : core_(core), id_(id), spec_(std::move(spec)), name_(std::move(name)), ring_(1024) {}

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
  // Ready for start_workers again (around a fork): permits no worker took are dropped.
  while (wakeups_.try_acquire()) {
  }
  sleepers_.store(0, std::memory_order_relaxed);
  stopping_.store(false, std::memory_order_relaxed);
}

void LaneExec::enqueue(Op* op) {
  {
    std::lock_guard guard(lock_);
    if (op->priority == 0) {
      if (tail_ - head_ == ring_.size()) {  // full: double, keeping queue order
        std::vector<Op*> bigger(ring_.size() * 2);
        for (std::uint64_t i = head_; i != tail_; ++i)
          bigger[i & (bigger.size() - 1)] = ring_[i & (ring_.size() - 1)];
        ring_.swap(bigger);
      }
      ring_[tail_++ & (ring_.size() - 1)] = op;
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
  Op* op;
  return try_pop_batch(&op, 1) ? op : nullptr;
}

bool LaneExec::next_is_in_heap() const noexcept {
  return !heap_.empty() && (heap_.front().priority > 0 || tail_ == head_);
}

Op* LaneExec::pop_heap_top() {
  std::pop_heap(heap_.begin(), heap_.end(), HeapOrder{});
  Op* op = heap_.back().op;
  heap_.pop_back();
  return op;
}

Op* LaneExec::try_pop_for_waiter() {
  if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard guard(lock_);
  const bool from_heap = next_is_in_heap();
  Op* op = from_heap        ? heap_.front().op
           : tail_ != head_ ? ring_[head_ & (ring_.size() - 1)]
                            : nullptr;
  if (!op || (op->flags & kLongRunning)) return nullptr;
  if (from_heap)
    pop_heap_top();
  else
    ++head_;
  size_.fetch_sub(1, std::memory_order_relaxed);
  return op;
}

int LaneExec::try_pop_batch(Op** out, int max) {
  if (size_.load(std::memory_order_relaxed) == 0) return 0;
  std::lock_guard guard(lock_);
  const std::uint64_t ring_size = tail_ - head_;
  int n = 0;
  if (next_is_in_heap()) {
    out[n++] = pop_heap_top();
  } else if (ring_size > 0) {
    // A fair share of what waits, so the other workers find work too.
    const std::uint64_t share = std::max<std::uint64_t>(1, ring_size / (spec_.workers + 1));
    n = static_cast<int>(std::min<std::uint64_t>(share, static_cast<std::uint64_t>(max)));
    for (int i = 0; i < n; ++i) out[i] = ring_[head_++ & (ring_.size() - 1)];
  }
  size_.fetch_sub(n, std::memory_order_relaxed);
  return n;
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
    // Poll the queue's line every ~2 us, not continuously: each poll pulls the line away
    // from the pushing core, and ops that pile up meanwhile leave in one batch.
    for (int p = 0; p < kPausesPerPoll; ++p) cpu_relax();
    if ((i & 3) == 3) {
      // Yield too: with more threads than cores the pusher may need this core.
      std::this_thread::yield();
      if (std::chrono::steady_clock::now() > deadline) return nullptr;
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
  t_worker.core = core_;
  // A worker that cannot be set up (say, its GPU cannot be bound) keeps serving its lane,
  // failing each op with the reason: the error surfaces at the next wait, not as a crash.
  std::exception_ptr setup_failure;
  if (spec_.on_worker_start) {
    try {
      spec_.on_worker_start(index);
    } catch (...) {
      setup_failure = std::current_exception();
    }
  }
  Op* batch[kMaxBatch];
  for (;;) {
    int n = try_pop_batch(batch, kMaxBatch);
    if (n == 0) {
      core_->publish_done();  // before idling: a waiter may be counting on these
      if (stopping_.load(std::memory_order_acquire) && size_.load() == 0) break;
      int expected = 0;
      if (spinning_.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) {
        if (Op* op = spin_for_work()) batch[n++] = op;
        spinning_.store(0, std::memory_order_seq_cst);
      }
      if (n == 0) {
        park();
        continue;
      }
    }
    // Work left behind with nobody looking for it (enqueuers skip the wake-up while a
    // worker spins, and that worker may be us): bring in a sleeper.
    if (size_.load(std::memory_order_seq_cst) > 0 && spinning_.load(std::memory_order_seq_cst) == 0)
      wake_one();
    for (int i = 0; i < n; ++i) {
      if (i + 1 < n) __builtin_prefetch(batch[i + 1]);
      core_->execute(batch[i], index, setup_failure);
      // A successor handed over by the op just finished runs next (see ready()).
      while (Op* next = std::exchange(t_worker.next, nullptr))
        core_->execute(next, index, setup_failure);
    }
  }
  t_worker = WorkerContext{};
}

}  // namespace ndflow::detail
