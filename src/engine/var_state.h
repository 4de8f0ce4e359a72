// The state behind a Var: a FIFO of accesses waiting for it, and what is running on it.
// Any number of consecutive reads run together; a write runs alone; grants follow push
// order. All fields but the atomics are guarded by `lock`.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include "engine/op.h"
#include "engine/spin_lock.h"

namespace ndflow::detail {

// One cache line per var: vars pushed to by one thread and released by another must not
// share lines with their neighbours.
struct alignas(64) VarState {
  SpinLock lock;
  bool writer_running = false;
  std::int32_t readers_running = 0;
  Access* head = nullptr;  // oldest waiting access
  Access* tail = nullptr;
  // Set by a write that failed or was skipped, cleared by a write that succeeded.
  std::exception_ptr error;
  // Writes appended / finished so far. Writes finish in push order, so a wait for "the last
  // write pushed before now" is a wait for writes_done to reach writes_pushed's value.
  std::atomic<std::uint64_t> writes_pushed{0};
  std::atomic<std::uint64_t> writes_done{0};
  std::atomic<std::int32_t> waiters{0};  // threads parked in wait_to_read on this var
};

// Appends `a` behind the var's earlier accesses. Returns true if it is granted at once.
// Caller holds v->lock.
bool append_access(VarState* v, Access* a) noexcept;

// Ends the granted access `a`. Returns the accesses this grants, chained through `next`
// (oldest first). Caller holds v->lock.
Access* release_access(VarState* v, Access* a) noexcept;

}  // namespace ndflow::detail
