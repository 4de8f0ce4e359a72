// An op as the engine holds it: one pooled block with the callable stored inline, its
// accesses, and the countdown that makes it ready. See docs/architecture.md, "Life of an op".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "ndflow/engine.h"

namespace ndflow::detail {

struct VarState;
class EngineCore;
struct NaiveTicket;

enum AccessMode : std::uint8_t { kRead = 1, kWrite = 2, kReadWrite = kRead | kWrite };

// One op's claim on one Var. While waiting it is linked into the Var's FIFO; once granted
// the `next` field is reused to chain grants handed back by a release.
struct Access {
  Op* op;
  VarState* var;
  Access* next;
  std::uint8_t mode;
};

enum OpFlags : std::uint8_t {
  kDeleteVarOp = 1,  // no callable: frees its (single, written) var when it runs
};

// Two parties may finish a deferred op: the runner when the function returns, and the
// AsyncCompletion. Each sets its bit; whoever sets the second one finishes the op.
enum AsyncBits : std::uint8_t { kFnReturned = 1, kCompletionSignalled = 2 };

inline constexpr int kInlineAccesses = 4;

struct Op {
  std::atomic<std::int32_t> pending;  // ungranted accesses, +1 while push is appending
  std::int32_t priority;
  std::uint16_t lane;
  std::uint16_t num_accesses;
  std::uint8_t flags;
  std::atomic<std::uint8_t> async_bits;
  std::int16_t worker;  // who ran it, for the profiler
  Op* next_ready;       // link in a lane's FIFO
  EngineCore* engine;
  const char* name;
  const detail::FnVTable* vtable;  // null for a delete-var op
  Access* accesses;                // inline_accesses or a heap array
  std::int64_t push_ns;            // profiler stamps (0 when not profiling)
  std::int64_t start_ns;
  std::exception_ptr fn_error;     // deferred ops: what the function threw
  std::exception_ptr async_error;  // deferred ops: what fail() reported
  NaiveTicket* ticket;             // naive engine only: the pushing thread's hand-off
  Access inline_accesses[kInlineAccesses];
  alignas(std::max_align_t) unsigned char storage[detail::kInlineFnBytes];
};

}  // namespace ndflow::detail
