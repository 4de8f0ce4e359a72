// What a front end does when a push has to wait for room (EngineOptions::max_inflight and
// max_inflight_bytes).
//
// A push that finds either bound passed waits until both counts have fallen to their low
// watermarks, running ready ops itself meanwhile. A front end may install one process-wide
// hook that runs that wait for every engine. Around the wait it can let its own machinery
// go on: the Python bindings release the GIL there, so other Python threads run while a
// push waits. It may also decline to wait: Python does when Ctrl-C is pending, so that the
// KeyboardInterrupt comes at once rather than once the ops in flight have drained.
//
// A push made from inside an op never waits, and so never calls the hook.
#pragma once

namespace ndflow {

class WaitInterruption;

namespace detail {
class EngineCore;
}  // namespace detail

// The push that is waiting, as the hook sees it.
class BlockedPush {
 public:
  explicit BlockedPush(detail::EngineCore& core) noexcept : core_(core) {}

  // Blocks until the engine has room, running ready ops meanwhile. With an `interruption`,
  // its check runs about once per period, and an exception it throws ends the wait and
  // propagates from here (the hook must catch it).
  void wait(WaitInterruption* interruption = nullptr);

 private:
  detail::EngineCore& core_;
};

// Returns true once it has called push.wait(): the push then looks at the count again,
// and waits again if another thread took the room. Returns false to admit the push
// without waiting, over the bound by that one op. Must not throw: a push can come from a
// destructor (an array's storage is released by one).
using BlockedPushHook = bool (*)(BlockedPush& push) noexcept;

// Installs `hook` for every engine (null, the default, waits plainly). Meant to be called
// once, when a front end loads; pushes already waiting keep the hook they found.
void set_blocked_push_hook(BlockedPushHook hook) noexcept;

}  // namespace ndflow
