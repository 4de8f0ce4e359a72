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
// the `next` field is reused to chain grants handed back by a release. 24 bytes: the mode
// rides in the low bits of the op pointer (ops are 64-byte aligned), so that the accesses of
// a typical op share cache lines with its header and callable (see Op).
struct Access {
  VarState* var;
  Access* next;

  static Access make(Op* op, VarState* var, std::uint8_t mode) noexcept {
    return Access{var, nullptr, reinterpret_cast<std::uintptr_t>(op) | mode};
  }
  Op* op() const noexcept { return reinterpret_cast<Op*>(op_and_mode & ~kModeMask); }
  std::uint8_t mode() const noexcept { return static_cast<std::uint8_t>(op_and_mode & kModeMask); }
  void add_mode(std::uint8_t mode) noexcept { op_and_mode |= mode; }

  static constexpr std::uintptr_t kModeMask = 3;
  std::uintptr_t op_and_mode;
};
static_assert(sizeof(Access) == 24);

enum OpFlags : std::uint8_t {
  kDeleteVarOp = 1,    // no callable: frees its (single, written) var when it runs
  kProfiled = 2,       // start_ns was stamped: record the op when it finishes
  kDeferredOp = 4,     // its function called OpContext::defer(): deferred errors are live
  kPushStamped = 8,    // push_ns is valid
  kHasTicket = 16,     // naive engine: `ticket` is valid
  kHeapAccesses = 32,  // accesses live in heap_accesses
  kLongRunning = 64,   // OpHints::long_running: waiting threads leave it to the workers
  kWeighed = 128,      // weight_bytes counts against max_inflight_bytes until the op is done
};

// Two parties may finish a deferred op: the runner when the function returns, and the
// AsyncCompletion. Each sets its bit; whoever sets the second one finishes the op.
enum AsyncBits : std::uint8_t { kFnReturned = 1, kCompletionSignalled = 2 };

// Accesses that fit in an op's block next to the largest inline callable.
inline constexpr int kInlineAccesses = 4;

// Layout: an op crosses cores (pushed on one, run and freed on another), and on a VM each
// cache line that crosses costs ~100 ns. So the header comes first, then the body: the
// callable, and right behind it (not at a fixed offset) the accesses. `y = x + 1`, with a
// 48-byte callable and two accesses, then fits in two lines. What the fast path never
// touches (profiler stamps, deferred-completion state, a heap access array) comes last and
// is written only when used.
struct alignas(64) Op {
  // -- hot: written at push, read by the runner
  std::atomic<std::int32_t> pending;  // ungranted accesses, +1 while push is appending
  std::int32_t priority;
  std::uint16_t lane;
  std::uint16_t num_accesses;
  std::uint8_t flags;
  std::atomic<std::uint8_t> async_bits;
  std::uint8_t access_offset;      // where the inline accesses start in body
  const detail::FnVTable* vtable;  // null for a delete-var op without a release callable
  const char* name;
  static constexpr std::size_t kBodyBytes = kInlineFnBytes + kInlineAccesses * sizeof(Access);
  alignas(16) unsigned char body[kBodyBytes];  // the callable, then the inline accesses
  // -- cold
  Access* heap_accesses;  // valid when flags & kHeapAccesses (more than fit in body)
  EngineCore* engine;     // set by OpContext::defer(), for the AsyncCompletion
  std::int64_t push_ns;   // profiler stamps, valid when flags & kProfiled
  std::int64_t start_ns;
  std::int16_t worker;        // who ran it, valid when flags & kProfiled
  NaiveTicket* ticket;        // naive engine only: the pushing thread's hand-off
  std::int64_t weight_bytes;  // valid when flags & kWeighed
  // Deferred ops only (flags & kDeferredOp): constructed in place when defer() is called.
  union {
    std::exception_ptr fn_error;  // what the function threw
  };
  union {
    std::exception_ptr async_error;  // what AsyncCompletion::fail() reported
  };

  Op() {}  // fields are initialised by EngineCore::begin_push, on purpose only the hot ones
  ~Op() {}

  void* storage() noexcept { return body; }
  Access* accesses() noexcept {
    return (flags & kHeapAccesses) ? heap_accesses
                                   : reinterpret_cast<Access*>(body + access_offset);
  }
};
static_assert(offsetof(Op, body) == 32, "the header is half a cache line");

}  // namespace ndflow::detail
