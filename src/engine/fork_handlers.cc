#include "engine/fork_handlers.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <vector>

#include "engine/engine_core.h"

namespace ndflow::detail {
namespace {

// Leaked: the handlers may run while static objects are being destroyed.
struct Registered {
  std::mutex mu;  // held from before a fork to after it, so no engine comes or goes meanwhile
  std::vector<EngineCore*> engines;
};
Registered& registered() {
  static auto* r = new Registered;
  return *r;
}

std::atomic<std::uint64_t> g_generation{0};

void before_fork() noexcept {
  Registered& r = registered();
  r.mu.lock();
  for (EngineCore* e : r.engines) e->rest_for_fork();
}

void after_fork_in_parent() noexcept {
  Registered& r = registered();
  for (EngineCore* e : r.engines) e->wake_after_fork();
  r.mu.unlock();
}

void after_fork_in_child() noexcept {
  // First, so that workers started below see the child's generation.
  g_generation.fetch_add(1, std::memory_order_seq_cst);
  Registered& r = registered();
  for (EngineCore* e : r.engines) e->wake_after_fork();
  r.mu.unlock();  // the child's copy, locked by this same thread before the fork
}

}  // namespace

void install_fork_handlers() {
  static const int installed =
      pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  if (installed != 0)
    throw std::system_error(installed, std::generic_category(), "ndflow: pthread_atfork");
}

void register_engine_for_fork(EngineCore* engine) {
  install_fork_handlers();
  Registered& r = registered();
  std::lock_guard lock(r.mu);
  r.engines.push_back(engine);
}

void unregister_engine_for_fork(EngineCore* engine) noexcept {
  Registered& r = registered();
  std::lock_guard lock(r.mu);
  r.engines.erase(std::remove(r.engines.begin(), r.engines.end(), engine), r.engines.end());
}

std::uint64_t fork_generation() noexcept { return g_generation.load(std::memory_order_relaxed); }

}  // namespace ndflow::detail
