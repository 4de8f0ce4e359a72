// fork() and the engine. A child process has only the thread that called fork(): an
// engine's workers, and any op they were running, would be missing there, and the child's
// first wait would hang. So, as MXNet's engine did, every live threaded engine is brought
// to rest around a fork (pthread_atfork): before it, its pushed ops run to the end and its
// workers stop; after it, parent and child each start workers again. A child then computes
// as its parent did. What cannot survive a fork (a GPU runtime) checks fork_generation().
#pragma once

#include <cstdint>

namespace ndflow::detail {

class EngineCore;

// Idempotent: installs the process's fork handlers (on an engine's or a GPU's first use).
void install_fork_handlers();

// An engine is brought to rest around forks from its construction to its destruction.
void register_engine_for_fork(EngineCore* engine);
void unregister_engine_for_fork(EngineCore* engine) noexcept;

// How many forks separate this process from the one that installed the handlers: 0 there,
// 1 in its children, and so on. State made before a fork compares its generation to this.
std::uint64_t fork_generation() noexcept;

}  // namespace ndflow::detail
