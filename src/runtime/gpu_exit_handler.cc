#include "runtime/gpu_exit_handler.h"

#include <atomic>
#include <cstdlib>

namespace ndflow::detail {
namespace {

std::atomic<void (*)()> g_handler{nullptr};

}  // namespace

void register_gpu_exit_handler(void (*handler)()) {
  g_handler.store(handler, std::memory_order_release);
  std::atexit(handler);
}

void keep_gpu_exit_handler_first(std::once_flag& library) noexcept {
  void (*const handler)() = g_handler.load(std::memory_order_acquire);
  if (!handler) return;  // no GPU list yet, or no GPUs: nothing pending can reach a library
  try {
    std::call_once(library, [handler] { std::atexit(handler); });
  } catch (...) {  // call_once reports a failure to lock; the handler stays registered once
  }
}

}  // namespace ndflow::detail
