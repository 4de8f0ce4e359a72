// The engine behind ndflow::Engine: vars, ops, lanes, waits and errors.
// docs/architecture.md walks through the life of an op; this header is the map.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/block_pool.h"
#include "engine/lane.h"
#include "engine/op.h"
#include "engine/parking_word.h"
#include "engine/profiler.h"
#include "engine/var_state.h"
#include "ndflow/blocked_push.h"
#include "ndflow/engine.h"
#include "ndflow/wait_interruption.h"

namespace ndflow::detail {

// The hook set_blocked_push_hook installed, or null.
BlockedPushHook blocked_push_hook() noexcept;

class EngineCore {
 public:
  static constexpr int kMaxLanes = 64;

  explicit EngineCore(EngineOptions options);
  ~EngineCore();

  Var new_var();
  void delete_var(Var v);

  Op* begin_push();
  void commit_push(Op* op, const FnVTable* vt, VarList reads, VarList writes, Lane lane,
                   int priority, const char* name, OpHints hints = {});
  void abort_push(Op* op) noexcept;
  // Blocks until the count in flight has fallen to the low watermark (BlockedPush::wait).
  void wait_for_room(WaitInterruption* interruption);
  // Pushes the op that frees `v` (running vt's callable first, when there is one).
  void commit_delete_var(Op* op, const FnVTable* vt, Var v, std::int64_t frees_bytes = 0);

  void wait_to_read(Var v);
  void wait_to_write(Var v);
  void wait_all();

  Lane add_lane(LaneSpec spec);
  Lane find_lane(Device device, LaneKind kind, int index) const;
  std::optional<Lane> try_find_lane(Device device, LaneKind kind, int index) const noexcept;
  LaneExec& lane(Lane l) const;
  int num_lanes() const noexcept { return num_lanes_.load(std::memory_order_acquire); }

  EngineKind kind() const noexcept { return kind_.load(std::memory_order_acquire); }
  // Finishes every op, stops the workers; later pushes run inline (as in the naive engine).
  void shutdown();
  // Around fork() (engine/fork_handlers.h): finishes every op and stops the workers, holding
  // add_lane off; then starts them again, in the parent and in the child.
  void rest_for_fork() noexcept;
  void wake_after_fork() noexcept;
  EngineStats stats() const;
  Profiler& profiler() noexcept { return profiler_; }
  const Profiler& profiler() const noexcept { return profiler_; }

  // Runs a ready op on the calling thread (a lane worker, or -1 for a waiting thread).
  // A worker whose LaneSpec::on_worker_start threw passes that failure: the op fails
  // with it instead of running.
  void execute(Op* op, int worker, const std::exception_ptr& worker_failure = nullptr);
  // Called by a lane worker before it goes idle: see free_op().
  void publish_done() noexcept;
  // The deferred op's completion arrived (from any thread).
  void complete_deferred(Op* op, std::exception_ptr error) noexcept;

 private:
  void ready(Op* op);
  void finish(Op* op, std::exception_ptr error) noexcept;
  void release_vars(Op* op, const std::exception_ptr& error) noexcept;
  void free_op(Op* op) noexcept;
  void ops_done(std::int64_t count) noexcept;
  // Counts `bytes` against max_inflight_bytes until the op is done (finish() uncounts them,
  // waking blocked pushers when that made room).
  void weigh(Op* op, std::int64_t bytes) noexcept;
  void unweigh(std::int64_t bytes) noexcept;
  void append_accesses(Op* op, VarList reads, VarList writes);
  // A push found the bound reached: waits for room through the front end's hook, if one is
  // installed. False: the hook admits the push without waiting.
  bool run_blocked_push();
  void run_naive(Op* op, bool ready_now);
  // Until the writes pushed on s so far are done; rethrows s's failure.
  void wait_for_pushed_writes(VarState* s);
  void record_root_error(std::exception_ptr e);
  void forget_error(const std::exception_ptr& e);
  void wake_waiters() noexcept;
  Op* try_pop_helpable();
  void poll_deferred_completions() noexcept;

  // Blocks until done() holds, running helpable ready ops meanwhile, then spinning, then
  // parking. `waiter_count` is the counter finishers consult before waking parked waiters.
  // With an `interruption`, its check runs when due (and may end the wait by throwing).
  template <class Done>
  void wait_until(Done done, std::atomic<std::int32_t>& waiter_count,
                  WaitInterruption* interruption = nullptr);
  static void check_not_in_op(const char* what);
  // Until nothing is in flight and no completion thread is still inside finish() (for
  // shutdown and fork: running ready work meanwhile, rethrowing no failure).
  void finish_every_op();
  void stop_every_lane();  // joins every lane's workers

  EngineOptions options_;
  std::atomic<EngineKind> kind_;  // becomes kNaive at shutdown
  BlockPool& op_pool_;
  BlockPool& var_pool_;

  std::array<std::unique_ptr<LaneExec>, kMaxLanes> lanes_;
  std::atomic<int> num_lanes_{0};
  mutable std::mutex lanes_mu_;  // serialises add_lane; held from rest_for_fork to wake_after_fork
  bool resting_for_fork_ = false;

  alignas(64) std::atomic<std::int64_t> inflight_{0};
  // Statistics. Pushing threads write this line; the vars a worker deletes are counted
  // on a line of their own, so that a push never fetches a line a worker just wrote.
  alignas(64) std::atomic<std::int64_t> pushed_{0};
  std::atomic<std::int64_t> inflight_peak_{0};
  std::atomic<std::int64_t> run_inline_{0};
  std::atomic<std::int64_t> vars_created_{0};
  alignas(64) std::atomic<std::int64_t> vars_deleted_{0};
  alignas(64) std::atomic<std::int32_t> external_finishers_{0};  // threads in complete_deferred
  std::int64_t low_watermark_;  // blocked pushers are woken when inflight falls to this

  // Bytes held for work not done (weighed ops: OpHints::output_bytes, delete_var's
  // frees_bytes), and the bound on them. A line of their own: a loop of small ops, which
  // weigh nothing, then only ever reads it, and it stays in every core's cache.
  alignas(64) std::atomic<std::int64_t> inflight_bytes_{0};
  std::atomic<std::int64_t> inflight_bytes_peak_{0};
  std::int64_t max_inflight_bytes_;
  std::int64_t low_inflight_bytes_;  // blocked pushers wait for inflight_bytes_ to fall to this
  // With fewer ops than this in flight the byte bound holds none back: one per CPU worker.
  std::int64_t min_ops_for_byte_bound() const noexcept { return options_.cpu_workers; }
  // Both counts at or under their low watermarks (bytes only from the floor of ops up).
  bool room_for_push() const noexcept;

  // Parked waiters. One epoch word for all; each kind of waiter has its own count so a
  // finisher issues a wake-up only when someone can make progress.
  alignas(64) ParkingWord wait_epoch_;
  std::atomic<std::int32_t> all_waiters_{0};
  std::atomic<std::int32_t> push_waiters_{0};

  std::mutex errors_mu_;
  std::vector<std::exception_ptr> errors_;  // failures not yet rethrown by a wait
  std::atomic<bool> has_errors_{false};

  Profiler profiler_;
};

}  // namespace ndflow::detail
