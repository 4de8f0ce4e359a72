#include "ndflow/blocked_push.h"

#include <atomic>

#include "engine/engine_core.h"

namespace ndflow {

namespace {
std::atomic<BlockedPushHook> g_hook{nullptr};
}  // namespace

void BlockedPush::wait(WaitInterruption* interruption) { core_.wait_for_room(interruption); }

void set_blocked_push_hook(BlockedPushHook hook) noexcept {
  g_hook.store(hook, std::memory_order_release);
}

namespace detail {
BlockedPushHook blocked_push_hook() noexcept { return g_hook.load(std::memory_order_acquire); }
}  // namespace detail

}  // namespace ndflow
