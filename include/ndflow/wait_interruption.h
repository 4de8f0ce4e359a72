// Interruptible waits: how a front end lets its user break out of a long wait (Ctrl-C in
// Python; the bindings use it for every blocker).
//
// While a WaitInterruption is alive on a thread, each wait of that thread that blocks
// calls `check` about once per `period`: Engine::wait_to_read, wait_to_write and wait_all,
// and behind Array's waits and blockers also the host waits for GPU work. An exception
// thrown by `check` ends the wait and propagates from it. Nothing is cancelled: the awaited
// ops run on, their results stay valid, and a later wait finds them done. A wait that ends
// within the first period never calls `check`. Scopes nest; the innermost one applies.
//
// Not interrupted: an op that a waiting thread runs itself (the check comes once it
// returns), and a push blocked by backpressure, which never looks at the thread's scope: a
// front end decides about those through ndflow/blocked_push.h.
#pragma once

#include <chrono>
#include <functional>

namespace ndflow {

class WaitInterruption {
 public:
  using Clock = std::chrono::steady_clock;

  // `period` must be positive; `check` may throw, and is called only on this thread.
  WaitInterruption(std::function<void()> check, Clock::duration period);
  ~WaitInterruption();
  WaitInterruption(const WaitInterruption&) = delete;
  WaitInterruption& operator=(const WaitInterruption&) = delete;

  // The calling thread's innermost scope, or null.
  static WaitInterruption* current() noexcept;

  // For code that blocks: calls `check` when its time has come (then next one period
  // later), rethrowing what it throws. Cheap otherwise: one clock read.
  void check_if_due();
  // When check_if_due will next call `check`: how long a blocked thread may sleep.
  Clock::time_point due() const noexcept { return due_; }

 private:
  std::function<void()> check_;
  Clock::duration period_;
  Clock::time_point due_;
  WaitInterruption* outer_;
};

}  // namespace ndflow
