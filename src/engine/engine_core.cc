#include "engine/engine_core.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/byte_size.h"
#include "engine/fork_handlers.h"

namespace ndflow::detail {

// Naive engine: the pushing thread runs its own op, even when another thread's op on the
// same var (pushed concurrently) has to finish first and so makes it ready.
struct NaiveTicket {
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;  // 1: ready to run, 2: done
  void signal(int s) {
    std::lock_guard lock(mu);
    state = s;
    cv.notify_all();  // under the lock: the pusher may destroy the ticket once it sees s
  }
  void await(int s) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return state >= s; });
  }
};

namespace {

// The op this thread is running, if any: a wait from inside an op is refused.
thread_local const Op* t_current_op = nullptr;

// How deep this thread is inside execute() (the op's function, its closure's destruction,
// its finish). A push from there (say a storage release when a closure drops the last
// reference to an array) is exempt from backpressure: blocking would stall the op being
// run, which the ops in flight may be waiting for.
thread_local int t_executing = 0;
struct ExecutingScope {
  ExecutingScope() { ++t_executing; }
  ~ExecutingScope() { --t_executing; }
};

// Raises a high-water mark (a statistic) to `now` if `now` is higher.
void raise_peak(std::atomic<std::int64_t>& peak, std::int64_t now) noexcept {
  std::int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

// EngineOptions::max_inflight_bytes when none is set: a quarter of the memory. A lower one
// was faster for a front end running ahead on one device (bench/RESULTS.md, "The default
// byte bound"), but it stops the front end short of the work it would push next, for other
// devices too, and so takes away the overlap that running ahead is for.
std::int64_t default_max_inflight_bytes() noexcept {
  return static_cast<std::int64_t>(physical_memory_bytes() / 4);
}

// How long a waiter spins before it parks. A parked waiter costs a wake-up (tens of us);
// most waits in a dispatch loop end within a few microseconds.
constexpr auto kWaitSpin = std::chrono::microseconds(50);

// Workers publish finished ops to the in-flight counter this often (and when idle).
constexpr int kPublishDoneEvery = 32;

const char* kind_name(LaneKind k) {
  switch (k) {
    case LaneKind::kCompute:
      return "compute";
    case LaneKind::kCopyIn:
      return "copy-in";
    case LaneKind::kCopyOut:
      return "copy-out";
    case LaneKind::kPeerCopy:
      return "peer-copy";
  }
  return "?";
}

std::string lane_label(Device device, LaneKind kind, int index) {
  std::string name = device.to_string();
  name.append(" ").append(kind_name(kind));
  if (index) name.append(" ").append(std::to_string(index));
  return name;
}

LaneSpec cpu_lane_spec(LaneKind kind, int workers) {
  LaneSpec spec;
  spec.kind = kind;
  spec.workers = workers;
  return spec;
}

}  // namespace

EngineCore::EngineCore(EngineOptions options)
    : options_(options),
      kind_(options.kind),
      op_pool_(BlockPool::get(sizeof(Op), alignof(Op))),
      var_pool_(BlockPool::get(sizeof(VarState), alignof(VarState))) {
  if (options_.cpu_workers < 0)
    throw std::invalid_argument(
        "ndflow: EngineOptions.cpu_workers must be >= 0 (0 means one "
        "per hardware thread), got " +
        std::to_string(options_.cpu_workers));
  if (options_.copy_workers < 1)
    throw std::invalid_argument("ndflow: EngineOptions.copy_workers must be >= 1, got " +
                                std::to_string(options_.copy_workers));
  if (options_.max_inflight < 1)
    throw std::invalid_argument("ndflow: EngineOptions.max_inflight must be >= 1, got " +
                                std::to_string(options_.max_inflight));
  if (options_.max_inflight_bytes < 0)
    throw std::invalid_argument(
        "ndflow: EngineOptions.max_inflight_bytes must be >= 0 (0 means a quarter of the "
        "physical memory), got " +
        std::to_string(options_.max_inflight_bytes));
  if (options_.cpu_workers == 0)
    options_.cpu_workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  low_watermark_ = options_.max_inflight - std::max<std::int64_t>(1, options_.max_inflight / 4);
  max_inflight_bytes_ =
      options_.max_inflight_bytes > 0 ? options_.max_inflight_bytes : default_max_inflight_bytes();
  low_inflight_bytes_ = max_inflight_bytes_ - max_inflight_bytes_ / 4;

  add_lane(cpu_lane_spec(LaneKind::kCompute, options_.cpu_workers));
  add_lane(cpu_lane_spec(LaneKind::kCopyIn, options_.copy_workers));
  register_engine_for_fork(this);
}

EngineCore::~EngineCore() {
  unregister_engine_for_fork(this);
  shutdown();
}

void EngineCore::finish_every_op() {
  // Failures nobody waited for stay unobserved: no wait rethrows them here.
  wait_until([&] { return inflight_.load(std::memory_order_acquire) == 0; }, all_waiters_);
  // A completion thread may still be on its way out of finish(): it cannot wake us after
  // its last touch, so spin (the window is a few instructions).
  while (external_finishers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

void EngineCore::stop_every_lane() {
  for (int i = 0; i < num_lanes_.load(); ++i) lanes_[i]->stop_workers();
}

void EngineCore::shutdown() {
  finish_every_op();
  kind_.store(EngineKind::kNaive, std::memory_order_release);
  stop_every_lane();
}

void EngineCore::rest_for_fork() noexcept {
  // A fork from inside an op cannot wait for that op: then the child has the parent's
  // engine without its workers (docs/architecture.md, "fork").
  if (kind() != EngineKind::kThreaded || t_current_op || t_worker.core) return;
  finish_every_op();
  lanes_mu_.lock();
  stop_every_lane();
  resting_for_fork_ = true;
}

void EngineCore::wake_after_fork() noexcept {
  if (!resting_for_fork_) return;
  resting_for_fork_ = false;
  for (int i = 0; i < num_lanes_.load(); ++i) {
    try {
      lanes_[i]->start_workers();
    } catch (...) {
      // No thread to be had: later pushes run on the pushing thread, as after shutdown.
      kind_.store(EngineKind::kNaive, std::memory_order_release);
    }
  }
  lanes_mu_.unlock();
}

// --- Vars ----------------------------------------------------------------------------------

Var EngineCore::new_var() {
  auto* v = new (var_pool_.allocate()) VarState;
  vars_created_.fetch_add(1, std::memory_order_relaxed);
  return Var(v);
}

void EngineCore::delete_var(Var v) { commit_delete_var(begin_push(), nullptr, v); }

void EngineCore::commit_delete_var(Op* op, const FnVTable* vt, Var v, std::int64_t frees_bytes) {
  if (!v || frees_bytes < 0) {
    op->vtable = vt;
    abort_push(op);
    if (!v) throw std::invalid_argument("ndflow: delete_var of a null Var");
    throw std::invalid_argument("ndflow: delete_var: frees_bytes must be >= 0, got " +
                                std::to_string(frees_bytes));
  }
  op->flags = kDeleteVarOp;
  if (frees_bytes > 0) weigh(op, frees_bytes);  // before the release can run
  commit_push(op, vt, {}, v, Lane::cpu_compute(), 0, "delete_var");
}

// --- Push ----------------------------------------------------------------------------------

Op* EngineCore::begin_push() {
  std::int64_t n = inflight_.load(std::memory_order_relaxed);
  for (;;) {
    // Backpressure, on the ops in flight and on the memory held for them (inflight_bytes_).
    // Pushes from inside an op (see t_executing) are exempt: blocking there could stall the
    // very ops that would make room.
    // Once blocked, wait for the low watermarks, not for one free slot: otherwise every push
    // near the bound pays for a trip through the wait path.
    // The byte bound holds nothing back while fewer ops than CPU workers are in flight, so
    // that arrays too big for it still keep every worker busy.
    if ((n >= options_.max_inflight ||
         (n >= min_ops_for_byte_bound() &&
          inflight_bytes_.load(std::memory_order_relaxed) > max_inflight_bytes_)) &&
        t_executing == 0) {
      if (run_blocked_push()) {
        n = inflight_.load(std::memory_order_relaxed);
        continue;
      }
      n = inflight_.fetch_add(1, std::memory_order_acq_rel);  // admitted over the bound
      break;
    }
    if (inflight_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel,
                                        std::memory_order_relaxed))
      break;
  }
  raise_peak(inflight_peak_, n + 1);
  void* block;
  try {
    block = op_pool_.allocate();
  } catch (...) {
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    throw;
  }
  Op* op = new (block) Op;  // touches the first cache line only
  op->flags = 0;
  op->vtable = nullptr;
  op->num_accesses = 0;
  op->name = "op";
  return op;
}

bool EngineCore::run_blocked_push() {
  BlockedPush push(*this);
  if (const BlockedPushHook hook = blocked_push_hook()) return hook(push);
  push.wait();
  return true;
}

bool EngineCore::room_for_push() const noexcept {
  const std::int64_t ops = inflight_.load(std::memory_order_seq_cst);
  return ops <= low_watermark_ &&
         (ops < min_ops_for_byte_bound() ||
          inflight_bytes_.load(std::memory_order_seq_cst) <= low_inflight_bytes_);
}

void EngineCore::wait_for_room(WaitInterruption* interruption) {
  wait_until([&] { return room_for_push(); }, push_waiters_, interruption);
}

void EngineCore::abort_push(Op* op) noexcept {
  if (op->vtable) op->vtable->destroy(op->storage());
  free_op(op);
}

void EngineCore::append_accesses(Op* op, VarList reads, VarList writes) {
  const std::size_t n = reads.size() + writes.size();
  // Right behind the callable (op->vtable is set: commit_push stores it first).
  const std::size_t fn_bytes = op->vtable ? op->vtable->size : 0;
  const std::size_t offset = (fn_bytes + alignof(Access) - 1) / alignof(Access) * alignof(Access);
  op->access_offset = static_cast<std::uint8_t>(offset);
  Access* acc = reinterpret_cast<Access*>(op->body + offset);
  if (n > (Op::kBodyBytes - offset) / sizeof(Access)) {
    acc = new Access[n];
    op->heap_accesses = acc;  // owned by the op from here, so abort_push frees it
    op->flags |= kHeapAccesses;
  }
  std::size_t k = 0;
  auto add = [&](const Var& v, std::uint8_t mode) {
    if (!v)
      throw std::invalid_argument(std::string("ndflow: push of op '") + op->name +
                                  "': a Var in its " + (mode == kRead ? "reads" : "writes") +
                                  " is null (default-constructed or already deleted)");
    acc[k++] = Access::make(op, v.state(), mode);
  };
  for (const Var& v : reads) add(v, kRead);
  for (const Var& v : writes) add(v, kWrite);
  // Sort by address (insertion sort: lists are short) and merge duplicates, a write
  // winning over a read of the same var.
  for (std::size_t i = 1; i < k; ++i)
    for (std::size_t j = i; j > 0 && acc[j].var < acc[j - 1].var; --j)
      std::swap(acc[j], acc[j - 1]);
  std::size_t m = 0;
  for (std::size_t i = 0; i < k; ++i) {
    if (m > 0 && acc[m - 1].var == acc[i].var)
      acc[m - 1].add_mode(acc[i].mode());
    else
      acc[m++] = acc[i];
  }
  op->num_accesses = static_cast<std::uint16_t>(m);
}

void EngineCore::commit_push(Op* op, const FnVTable* vt, VarList reads, VarList writes, Lane lane,
                             int priority, const char* name, OpHints hints) {
  op->vtable = vt;
  if (hints.long_running) op->flags |= kLongRunning;
  if (hints.output_bytes < 0) {
    abort_push(op);
    throw std::invalid_argument(std::string("ndflow: push of op '") + (name ? name : "op") +
                                "': OpHints.output_bytes must be >= 0, got " +
                                std::to_string(hints.output_bytes));
  }
  op->name = name ? name : "op";
  op->priority = priority;
  op->lane = lane.id;
  op->async_bits.store(0, std::memory_order_relaxed);
  try {
    if (lane.id >= num_lanes_.load(std::memory_order_acquire))
      throw std::invalid_argument(std::string("ndflow: push of op '") + op->name +
                                  "': unknown lane id " + std::to_string(lane.id) +
                                  " (this engine has " + std::to_string(num_lanes_.load()) +
                                  " lanes; use Engine::add_lane or find_lane)");
    if (reads.size() + writes.size() > 0xffff)
      throw std::invalid_argument("ndflow: an op may access at most 65535 vars");
    append_accesses(op, reads, writes);
  } catch (...) {
    abort_push(op);
    throw;
  }
  if (hints.output_bytes > 0) weigh(op, hints.output_bytes);  // before the op can finish
  if (profiler_.enabled()) {
    op->push_ns = Profiler::now_ns();
    op->flags |= kPushStamped;
  }

  const int m = op->num_accesses;
  Access* acc = op->accesses();
  op->pending.store(m + 1, std::memory_order_relaxed);
  // Lock every var of the op at once, in address order: concurrent pushers then cannot
  // deadlock, and any two ops meet in the same order on every var they share.
  for (int i = 0; i < m; ++i) acc[i].var->lock.lock();
  int granted = 0;
  for (int i = 0; i < m; ++i) granted += append_access(acc[i].var, &acc[i]);
  for (int i = 0; i < m; ++i) acc[i].var->lock.unlock();
  pushed_.fetch_add(1, std::memory_order_relaxed);

  if (kind_.load(std::memory_order_acquire) == EngineKind::kNaive) {
    NaiveTicket ticket;
    op->ticket = &ticket;
    op->flags |= kHasTicket;
    const bool ready_now =
        op->pending.fetch_sub(granted + 1, std::memory_order_acq_rel) == granted + 1;
    if (!ready_now) ticket.await(1);
    execute(op, -1);
    ticket.await(2);  // a deferred op is done only when its completion arrives
    return;
  }
  if (granted == m) {  // nobody else can see the op yet: no atomic needed
    // A release with nothing left to wait for runs right here, on a thread outside any op
    // (the front end, typically): no queue trip and no hand-off to a worker for the op a
    // loop like `y = x + 1` pushes every iteration, when the old y is dropped.
    if ((op->flags & kDeleteVarOp) && t_executing == 0 && t_worker.lane == nullptr) {
      execute(op, -1);
      return;
    }
    ready(op);
  } else if (op->pending.fetch_sub(granted + 1, std::memory_order_acq_rel) == granted + 1) {
    ready(op);
  }
}

// --- Running and finishing -----------------------------------------------------------------

void EngineCore::ready(Op* op) {
  if (op->flags & kHasTicket) {  // naive engine: the pushing thread runs it
    op->ticket->signal(1);
    return;
  }
  LaneExec& lane = *lanes_[op->lane];
  // A worker finishing an op runs its first ready successor itself, when nothing else is
  // queued on that lane (so priorities are not bypassed): a chain then never touches the
  // queue, nor wakes anyone.
  if (t_worker.lane == &lane && t_worker.next == nullptr && !lane.maybe_has_work()) {
    t_worker.next = op;
    return;
  }
  lane.enqueue(op);
}

void EngineCore::execute(Op* op, int worker, const std::exception_ptr& worker_failure) {
  const ExecutingScope executing;
  // Only the profiler wants `worker`: writing it unconditionally would leave the op's hot
  // line modified in this core's cache for the next pusher to fetch.
  if (profiler_.enabled()) {
    op->worker = static_cast<std::int16_t>(worker);
    op->start_ns = Profiler::now_ns();
    if (!(op->flags & kPushStamped)) op->push_ns = op->start_ns;
    op->flags |= kProfiled;
  }
  if (worker < 0) run_inline_.fetch_add(1, std::memory_order_relaxed);
  if (op->flags & kDeleteVarOp) {  // runs its release callable, if any, whatever the var's state
    if (op->vtable) {
      OpContext ctx(op, worker, this);
      try {
        op->vtable->invoke(op->storage(), ctx);
      } catch (...) {  // documented: a release that throws is dropped
      }
      op->vtable->destroy(op->storage());
    }
    finish(op, nullptr);
    return;
  }
  // A failed input fails the op without running it. Reading var->error needs no lock:
  // the writer that set it finished before this access was granted.
  std::exception_ptr error;
  Access* acc = op->accesses();
  for (int i = 0; i < op->num_accesses && !error; ++i)
    if (acc[i].mode() & kRead) error = acc[i].var->error;
  if (error) {
    op->vtable->destroy(op->storage());
    finish(op, error);
    return;
  }
  if (worker_failure) {  // the worker could not be set up: fail the op without running it
    op->vtable->destroy(op->storage());
    record_root_error(worker_failure);
    finish(op, worker_failure);
    return;
  }

  OpContext ctx(op, worker, this);
  const Op* outer = std::exchange(t_current_op, op);
  try {
    op->vtable->invoke(op->storage(), ctx);
  } catch (...) {
    error = std::current_exception();
  }
  t_current_op = outer;
  op->vtable->destroy(op->storage());
  if (error) record_root_error(error);
  if (ctx.deferred_) {
    op->fn_error = error;
    if (!(op->async_bits.fetch_or(kFnReturned, std::memory_order_acq_rel) & kCompletionSignalled))
      return;  // the completion finishes it
    finish(op, op->fn_error ? op->fn_error : op->async_error);
    return;
  }
  finish(op, error);
}

void EngineCore::complete_deferred(Op* op, std::exception_ptr error) noexcept {
  const ExecutingScope executing;  // finishing may release storage: see t_executing
  // The completing thread is not ours to join: count it, so the destructor can wait until
  // it has left (finishing the last op would otherwise let the engine be freed under it).
  external_finishers_.fetch_add(1, std::memory_order_seq_cst);
  if (error) record_root_error(error);
  op->async_error = std::move(error);
  if (op->async_bits.fetch_or(kCompletionSignalled, std::memory_order_acq_rel) & kFnReturned)
    finish(op, op->fn_error ? op->fn_error : op->async_error);
  external_finishers_.fetch_sub(1, std::memory_order_seq_cst);  // last touch of *this
}

void EngineCore::finish(Op* op, std::exception_ptr error) noexcept {
  if ((op->flags & kProfiled) && profiler_.enabled()) profiler_.record(*op, Profiler::now_ns());
  if (op->flags & kDeleteVarOp) {
    VarState* v = op->accesses()[0].var;
    v->~VarState();
    var_pool_.deallocate(v);
    vars_deleted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    release_vars(op, error);
  }
  if (op->flags & kWeighed) unweigh(op->weight_bytes);
  NaiveTicket* ticket = (op->flags & kHasTicket) ? op->ticket : nullptr;
  free_op(op);
  if (ticket) ticket->signal(2);
}

void EngineCore::release_vars(Op* op, const std::exception_ptr& error) noexcept {
  Access* acc = op->accesses();
  for (int i = 0; i < op->num_accesses; ++i) {
    Access* a = &acc[i];
    VarState* v = a->var;
    bool wake = false;
    v->lock.lock();
    if (a->mode() & kWrite) {
      v->error = error;  // a clean write clears an earlier failure
      v->writes_done.fetch_add(1, std::memory_order_seq_cst);
      wake = v->waiters.load(std::memory_order_seq_cst) > 0;
    }
    Access* granted = release_access(v, a);
    v->lock.unlock();
    if (wake) wake_waiters();
    while (granted) {
      Access* next = granted->next;  // read first: once ready, the op may run and be freed
      Op* successor = granted->op();
      if (successor->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) ready(successor);
      granted = next;
    }
  }
}

void EngineCore::free_op(Op* op) noexcept {
  if (op->flags & kHeapAccesses) delete[] op->heap_accesses;
  if (op->flags & kDeferredOp) {
    op->fn_error.~exception_ptr();
    op->async_error.~exception_ptr();
  }
  op->~Op();
  op_pool_.deallocate(op);
  // This engine's workers count finished ops locally and publish them in batches: the
  // in-flight counter is the one line every pusher and worker would otherwise fight over.
  // Other threads (waiters, completion callbacks) publish at once, since they may never
  // come back to flush.
  if (t_worker.lane && t_worker.core == this) {
    if (++t_worker.unpublished_done >= kPublishDoneEvery) publish_done();
  } else {
    ops_done(1);
  }
}

void EngineCore::publish_done() noexcept {
  if (t_worker.unpublished_done) ops_done(std::exchange(t_worker.unpublished_done, 0));
}

void EngineCore::weigh(Op* op, std::int64_t bytes) noexcept {
  op->flags |= kWeighed;
  op->weight_bytes = bytes;
  raise_peak(inflight_bytes_peak_,
             inflight_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void EngineCore::unweigh(std::int64_t bytes) noexcept {
  const std::int64_t left = inflight_bytes_.fetch_sub(bytes, std::memory_order_seq_cst) - bytes;
  if (left <= low_inflight_bytes_ && left + bytes > low_inflight_bytes_ &&
      push_waiters_.load(std::memory_order_seq_cst) > 0)
    wake_waiters();
}

void EngineCore::ops_done(std::int64_t count) noexcept {
  const std::int64_t n = inflight_.fetch_sub(count, std::memory_order_seq_cst) - count;
  // A blocked pusher may proceed once the count falls to the low watermark, or under the
  // floor of the byte bound.
  const bool crossed = (n <= low_watermark_ && n + count > low_watermark_) ||
                       (n < min_ops_for_byte_bound() && n + count >= min_ops_for_byte_bound());
  if ((n == 0 && all_waiters_.load(std::memory_order_seq_cst) > 0) ||
      (crossed && push_waiters_.load(std::memory_order_seq_cst) > 0))
    wake_waiters();
}

// --- Waits ---------------------------------------------------------------------------------

void EngineCore::wake_waiters() noexcept { wait_epoch_.bump_and_wake_all(); }

Op* EngineCore::try_pop_helpable() {
  if (!options_.waiters_run_ops) return nullptr;
  const int n = num_lanes_.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    LaneExec& lane = *lanes_[i];
    if (lane.spec().helpable && lane.maybe_has_work())
      if (Op* op = lane.try_pop_for_waiter()) return op;
  }
  return nullptr;
}

// Lets the lanes' pollers complete deferred ops whose device work is done (LaneSpec::
// poll_completions), on this waiting thread.
void EngineCore::poll_deferred_completions() noexcept {
  const int n = num_lanes_.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (const auto& poll = lanes_[i]->spec().poll_completions) poll();
}

template <class Done>
void EngineCore::wait_until(Done done, std::atomic<std::int32_t>& waiter_count,
                            WaitInterruption* interruption) {
  for (;;) {
    if (done()) return;
    if (interruption) interruption->check_if_due();
    // Run ready work rather than sleep: the awaited op may be among it.
    if (Op* op = try_pop_helpable()) {
      execute(op, -1);
      continue;
    }
    // Spin briefly: the awaited op may be running and nearly finished. Now and then look
    // for work this thread may run (the same test as above, so a queued long-running op,
    // which a waiter leaves alone, does not keep it from parking), and complete deferred
    // ops whose device work is done (the awaited one may be a copy to the host).
    const auto deadline = std::chrono::steady_clock::now() + kWaitSpin;
    Op* found = nullptr;
    for (int i = 0;; ++i) {
      if (done()) return;
      if (i < 64) {
        cpu_relax();
        continue;
      }
      std::this_thread::yield();
      if ((i & 7) == 0) {
        poll_deferred_completions();
        if (done()) return;
        if ((found = try_pop_helpable())) break;
        if (std::chrono::steady_clock::now() > deadline) break;
      }
    }
    if (found) {
      execute(found, -1);
      continue;
    }
    // Park. Registering before the last check pairs with the finisher, which bumps the
    // epoch after making progress and before reading the waiter count.
    // An interruptible waiter sleeps only until its next check.
    waiter_count.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t epoch = wait_epoch_.load();
    if (!done()) {
      if (interruption)
        wait_epoch_.wait_until(epoch, interruption->due());
      else
        wait_epoch_.wait(epoch);
    }
    waiter_count.fetch_sub(1, std::memory_order_seq_cst);
  }
}

void EngineCore::check_not_in_op(const char* what) {
  if (t_current_op)
    throw DeadlockError(std::string("ndflow: ") + what + "() called from inside op '" +
                        t_current_op->name +
                        "': a wait inside an op can deadlock the engine. Push a follow-up "
                        "op that reads the var instead.");
}

void EngineCore::wait_to_read(Var v) {
  check_not_in_op("wait_to_read");
  if (!v) throw std::invalid_argument("ndflow: wait_to_read of a null Var");
  wait_for_pushed_writes(v.state());
}

void EngineCore::wait_to_write(Var v) {
  check_not_in_op("wait_to_write");
  if (!v) throw std::invalid_argument("ndflow: wait_to_write of a null Var");
  // Reads end in any order, so there is no counter to wait on. Instead, an op that does
  // nothing queues behind every access pushed on v so far, and the wait is for that op
  // as for a write. It reads v too: on a failed var it is skipped and passes the failure
  // on, so v's state is what it was.
  static constexpr FnVTable kNothing{[](void*, OpContext&) {}, [](void*) noexcept {}, 0};
  Op* op = begin_push();
  commit_push(op, &kNothing, v, v, Lane::cpu_compute(), 0, "wait_to_write");
  wait_for_pushed_writes(v.state());
}

void EngineCore::wait_for_pushed_writes(VarState* s) {
  const std::uint64_t target = s->writes_pushed.load(std::memory_order_acquire);
  wait_until([&] { return s->writes_done.load(std::memory_order_seq_cst) >= target; }, s->waiters,
             WaitInterruption::current());
  std::exception_ptr error;
  {
    std::lock_guard guard(s->lock);
    error = s->error;
  }
  if (error) {
    forget_error(error);
    std::rethrow_exception(error);
  }
}

void EngineCore::wait_all() {
  check_not_in_op("wait_all");
  wait_until([&] { return inflight_.load(std::memory_order_seq_cst) == 0; }, all_waiters_,
             WaitInterruption::current());
  if (!has_errors_.load(std::memory_order_acquire)) return;
  std::exception_ptr first;
  {
    std::lock_guard lock(errors_mu_);
    if (errors_.empty()) return;
    first = errors_.front();
    errors_.clear();
    has_errors_.store(false, std::memory_order_release);
  }
  std::rethrow_exception(first);
}

// --- Errors --------------------------------------------------------------------------------

void EngineCore::record_root_error(std::exception_ptr e) {
  std::lock_guard lock(errors_mu_);
  // Keep the oldest few: wait_all reports the first, and an unwaited loop of failing ops
  // must not grow this without bound.
  if (errors_.size() < 16) errors_.push_back(std::move(e));
  has_errors_.store(true, std::memory_order_release);
}

void EngineCore::forget_error(const std::exception_ptr& e) {
  if (!has_errors_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(errors_mu_);
  std::erase(errors_, e);
  has_errors_.store(!errors_.empty(), std::memory_order_release);
}

// --- Lanes and stats -----------------------------------------------------------------------

Lane EngineCore::add_lane(LaneSpec spec) {
  std::lock_guard lock(lanes_mu_);
  const int n = num_lanes_.load();
  if (n == kMaxLanes)
    throw std::invalid_argument("ndflow: add_lane: an engine has at most " +
                                std::to_string(kMaxLanes) + " lanes");
  if (spec.workers < 1)
    throw std::invalid_argument("ndflow: add_lane: LaneSpec.workers must be >= 1, got " +
                                std::to_string(spec.workers));
  for (int i = 0; i < n; ++i) {
    const LaneSpec& s = lanes_[i]->spec();
    if (s.device == spec.device && s.kind == spec.kind && s.index == spec.index)
      throw std::invalid_argument("ndflow: add_lane: lane '" + lanes_[i]->name() +
                                  "' already exists");
  }
  std::string name = lane_label(spec.device, spec.kind, spec.index);
  lanes_[n] = std::make_unique<LaneExec>(this, Lane{static_cast<std::uint16_t>(n)}, std::move(spec),
                                         std::move(name));
  if (kind() == EngineKind::kThreaded) lanes_[n]->start_workers();
  num_lanes_.store(n + 1, std::memory_order_release);
  return Lane{static_cast<std::uint16_t>(n)};
}

std::optional<Lane> EngineCore::try_find_lane(Device device, LaneKind kind,
                                              int index) const noexcept {
  const int n = num_lanes_.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    const LaneSpec& s = lanes_[i]->spec();
    if (s.device == device && s.kind == kind && s.index == index) return lanes_[i]->id();
  }
  return std::nullopt;
}

Lane EngineCore::find_lane(Device device, LaneKind kind, int index) const {
  if (std::optional<Lane> lane = try_find_lane(device, kind, index)) return *lane;
  throw std::invalid_argument("ndflow: no lane " + lane_label(device, kind, index) +
                              " in this engine");
}

LaneExec& EngineCore::lane(Lane l) const {
  if (l.id >= num_lanes_.load(std::memory_order_acquire))
    throw std::invalid_argument("ndflow: unknown lane id " + std::to_string(l.id));
  return *lanes_[l.id];
}

EngineStats EngineCore::stats() const {
  EngineStats s;
  s.ops_pushed = pushed_.load();
  s.ops_inflight = inflight_.load();
  s.ops_done = std::max<std::int64_t>(0, s.ops_pushed - s.ops_inflight);
  s.ops_inflight_peak = inflight_peak_.load();
  s.ops_run_inline = run_inline_.load();
  const std::int64_t deleted = vars_deleted_.load();  // first: never more than created
  s.vars_live = vars_created_.load() - deleted;
  s.inflight_bytes = inflight_bytes_.load();
  s.inflight_bytes_peak = inflight_bytes_peak_.load();
  return s;
}

}  // namespace ndflow::detail
