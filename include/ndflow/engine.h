// The ndflow dependency engine: asynchronous ops ordered by the state they touch.
//
// Vocabulary (docs/architecture.md defines each word once):
//   Var   a dependency tag for one piece of mutable state (one array's storage).
//   Op    a callable plus the Vars it reads and writes, the Lane it runs on, a priority
//         and a name. push() returns at once; the op runs when its accesses reach the
//         head of their Vars' queues (reads of a Var run together, a write runs alone,
//         all in push order per Var: RAW, WAR and WAW are honoured).
//   Lane  where an op runs: (device, kind, index), a ready queue fed to its own workers.
//         Two lanes never share a queue, so a copy never waits behind compute.
//   issued / done  an op is issued when its function returns and done when its results
//         are visible; they coincide unless the function calls OpContext::defer().
//
// Thread safety: every Engine member function may be called from any thread at once,
// except the constructor and destructor. Blocking behaviour is stated per function.
//
// fork(): a fork waits until every engine has nothing in flight; parent and child then
// compute on, each with workers of its own. Not from inside an op, nor while another thread
// pushes. A child of a process that started its GPUs cannot use them (DeviceError says so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ndflow/device.h"

namespace ndflow {

namespace detail {
struct VarState;
struct Op;
class EngineCore;
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Errors

// A wait was called from inside an op: it would block a worker on work that may need
// that very worker (MXNet deadlocks here). Raised in the op; the op then fails normally.
class DeadlockError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// ---------------------------------------------------------------------------------------
// Var

// A handle to a dependency tag. Cheap to copy; does not own the tag: Engine::delete_var
// releases it. A default-constructed Var is null and rejected by push().
class Var {
 public:
  Var() = default;
  explicit operator bool() const noexcept { return state_ != nullptr; }
  bool operator==(const Var&) const noexcept = default;
  detail::VarState* state() const noexcept { return state_; }

 private:
  friend class detail::EngineCore;
  explicit Var(detail::VarState* s) noexcept : state_(s) {}
  detail::VarState* state_ = nullptr;
};

// A borrowed list of Vars for one push() call: `{a, b}`, a vector, a span or one Var.
class VarList {
 public:
  VarList() = default;
// VarList borrows the list for the duration of the push() call, which is its whole life.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  VarList(std::initializer_list<Var> l) noexcept : data_(l.begin()), size_(l.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  VarList(std::span<const Var> s) noexcept : data_(s.data()), size_(s.size()) {}
  VarList(const std::vector<Var>& v) noexcept : data_(v.data()), size_(v.size()) {}
  VarList(const Var& v) noexcept : data_(&v), size_(1) {}
  const Var* begin() const noexcept { return data_; }
  const Var* end() const noexcept { return data_ + size_; }
  std::size_t size() const noexcept { return size_; }

 private:
  const Var* data_ = nullptr;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------
// Lanes

enum class LaneKind : std::uint8_t { kCompute, kCopyIn, kCopyOut, kPeerCopy };

// A handle to a lane registered with an engine. Every engine starts with two CPU lanes:
// compute (a pool of NDFLOW_CPU_WORKERS workers) and copy (its own worker).
struct Lane {
  std::uint16_t id = 0;
  static constexpr Lane cpu_compute() noexcept { return Lane{0}; }
  static constexpr Lane cpu_copy() noexcept { return Lane{1}; }
  constexpr bool operator==(const Lane&) const noexcept = default;
};

// What a backend asks for when it adds a lane (the CUDA backend adds, per GPU, compute
// streams and copy-in / copy-out / peer-copy lanes this way).
struct LaneSpec {
  Device device = Device::cpu();
  LaneKind kind = LaneKind::kCompute;
  int index = 0;    // several lanes of one kind on one device (e.g. two compute streams)
  int workers = 1;  // threads that run this lane's ops
  // May a thread blocked in a wait run this lane's ready ops itself? True for CPU lanes;
  // false where an op must run on the lane's own worker (a GPU stream's feeder thread).
  bool helpable = true;
  // Called once on each worker thread before it runs any op (e.g. to bind a GPU). If it
  // throws, every op that worker takes fails with that exception (rethrown at the wait).
  std::function<void(int worker)> on_worker_start;
  // For lanes whose deferred ops are completed by a poller (a GPU's copies to the host, done
  // when their stream's event is): completes those whose device work has finished. A thread
  // spinning in a wait calls it now and then, so a wait for a copy ends when the copy does,
  // not at the poller's next pass. It must be cheap when nothing is pending, safe to call
  // from any thread at once with the poller, and must not throw.
  std::function<void()> poll_completions;
};

// ---------------------------------------------------------------------------------------
// Two-level completion

// The right to finish a deferred op. Move-only. complete() or fail() may be called from
// any thread, once; afterwards the op is done and its dependents may run. Destroying a
// still-pending AsyncCompletion fails the op ("completion dropped"), so a lost handle
// surfaces as an error instead of a hang.
class AsyncCompletion {
 public:
  AsyncCompletion() = default;
  AsyncCompletion(AsyncCompletion&& o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
  AsyncCompletion& operator=(AsyncCompletion&& o) noexcept;
  AsyncCompletion(const AsyncCompletion&) = delete;
  AsyncCompletion& operator=(const AsyncCompletion&) = delete;
  ~AsyncCompletion();

  void complete() noexcept;                  // the op succeeded
  void fail(std::exception_ptr e) noexcept;  // the op failed with e
  bool pending() const noexcept { return op_ != nullptr; }

 private:
  friend class OpContext;
  explicit AsyncCompletion(detail::Op* op) noexcept : op_(op) {}
  void drop() noexcept;  // fails a still-pending op
  detail::Op* op_ = nullptr;
};

// Passed to an op's function when it takes one argument.
class OpContext {
 public:
  Lane lane() const noexcept;
  const char* name() const noexcept;
  // Index of the lane worker running the op, or -1 when a waiting thread runs it inline.
  int worker() const noexcept { return worker_; }
  // The op is not done when the function returns: it is done when the returned handle is
  // completed. Call at most once; ops that never call it are done on return.
  AsyncCompletion defer();

  // For ops whose work runs on a device stream after the op is done for the engine (GPU
  // ops): whether the profiler is recording, and a span of stream time to add to it.
  // `times` is called once, when the records are read (it may block until the stream has
  // run the work), and returns {start_ns, end_ns} on the steady clock, or nullopt when the
  // work never ran (a failed device).
  using StreamTimes = std::function<std::optional<std::pair<std::int64_t, std::int64_t>>()>;
  bool profiling() const noexcept;
  void add_stream_span(StreamTimes times);

 private:
  friend class detail::EngineCore;
  OpContext(detail::Op* op, int worker, detail::EngineCore* core) noexcept
      : op_(op), core_(core), worker_(worker) {}
  detail::Op* op_;
  detail::EngineCore* core_;
  int worker_;
  bool deferred_ = false;
};

// ---------------------------------------------------------------------------------------
// Type erasure for push(): an op's callable is stored inline in the op's pooled block when
// it fits (no allocation per op), on the heap otherwise.
namespace detail {

struct FnVTable {
  void (*invoke)(void* storage, OpContext& ctx);
  void (*destroy)(void* storage) noexcept;
  std::size_t size;  // bytes the callable takes in the op's storage (the op's accesses follow)
};
inline constexpr std::size_t kInlineFnBytes = 88;

template <class Fn>
void call_op(Fn& fn, OpContext& ctx) {
  if constexpr (std::is_invocable_v<Fn&, OpContext&>)
    fn(ctx);
  else
    fn();
}
template <class Fn>
inline constexpr FnVTable kInlineVTable{
    [](void* p, OpContext& c) { call_op(*static_cast<Fn*>(p), c); },
    [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); }, sizeof(Fn)};
template <class Fn>
inline constexpr FnVTable kHeapVTable{
    [](void* p, OpContext& c) { call_op(**static_cast<Fn**>(p), c); },
    [](void* p) noexcept { delete *static_cast<Fn**>(p); }, sizeof(Fn*)};

}  // namespace detail

// Optional facts about an op that help the engine place it.
struct OpHints {
  // The op takes long (say, a piece of a large op split across workers): a thread blocked
  // in a wait does not run it itself, leaving it to the lane's workers, so that a wait for
  // a small result never finds itself running an unrelated long piece first.
  bool long_running = false;
  // Host memory the op's outputs hold (0: none worth counting). Until the op is done it
  // counts against EngineOptions::max_inflight_bytes.
  std::int64_t output_bytes = 0;
};

// ---------------------------------------------------------------------------------------
// Engine

enum class EngineKind : std::uint8_t {
  kThreaded,  // the real engine
  kNaive,     // every op runs synchronously inside push(): the reference for testing
};

struct EngineOptions {
  EngineKind kind = EngineKind::kThreaded;
  int cpu_workers = 0;  // workers of the CPU compute lane; 0 means hardware threads
  int copy_workers = 1;
  std::int64_t max_inflight = 65536;  // push() blocks while this many ops are not done
  // push() also blocks while the memory held for work not yet done passes this many bytes:
  // the outputs of ops in flight (OpHints::output_bytes) and what the releases pushed and
  // not yet run will free (delete_var's frees_bytes). That is the memory a front end running
  // far ahead piles up. 0 means a quarter of the machine's physical memory.
  // While fewer ops than cpu_workers are in flight, this bound holds no push back: arrays
  // bigger than it still keep every worker busy.
  std::int64_t max_inflight_bytes = 0;
  // Whether a thread blocked in a wait (or in push, under backpressure) runs ready ops of
  // helpable lanes itself. True gives the lowest latency; false leaves all work to the
  // lane workers (e.g. to measure how the workers alone scale).
  bool waiters_run_ops = true;

  // Defaults overridden by NDFLOW_ENGINE (threaded|naive), NDFLOW_CPU_WORKERS,
  // NDFLOW_MAX_INFLIGHT and NDFLOW_MAX_INFLIGHT_BYTES (bytes, or with K/M/G as in "2G").
  // Throws std::invalid_argument naming a malformed variable.
  static EngineOptions from_env();
};

struct EngineStats {
  std::int64_t ops_pushed = 0;
  std::int64_t ops_done = 0;
  std::int64_t ops_inflight = 0;         // pushed and not yet done
  std::int64_t ops_inflight_peak = 0;    // high-water mark of ops_inflight
  std::int64_t ops_run_inline = 0;       // run by a waiting thread instead of a worker
  std::int64_t vars_live = 0;            // created and not yet released
  std::int64_t inflight_bytes = 0;       // held for work not done (max_inflight_bytes)
  std::int64_t inflight_bytes_peak = 0;  // high-water mark of inflight_bytes
};

// One finished op, as the profiler saw it. Times are ns on a steady clock.
struct ProfileRecord {
  std::string name;
  Lane lane;
  int worker = 0;  // lane worker index, -1 for a waiting thread
  std::int64_t push_ns = 0, start_ns = 0, end_ns = 0;
  // A span of device time (OpContext::add_stream_span): start..end is when the op's work
  // ran on its lane's stream, push_ns when the worker issued it. Such an op also has its
  // ordinary record, whose start..end is the issuing.
  bool on_stream = false;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = EngineOptions::from_env());
  // Finishes every pushed op (blocking until they are done), then stops the workers.
  // Errors still unobserved are dropped. Every Var must have been passed to delete_var
  // (as with any handle to owned state, a Var never deleted is leaked); none may be used
  // afterwards.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Finishes every pushed op (blocking), then stops the workers. Afterwards the engine
  // stays usable but runs each op inside push(), like the naive engine. Idempotent.
  void shutdown();

  // --- Vars ------------------------------------------------------------------------------
  Var new_var();
  // Releases the var after every op already pushed on it. Non-blocking. The handle must
  // not be used again.
  void delete_var(Var v);
  // The same, running on_release() first, once every op pushed on the var is done (for
  // example to free the memory the var guards). on_release runs even if the var failed;
  // it must not throw (an exception from it is dropped). `frees_bytes` is what it frees,
  // which counts against EngineOptions::max_inflight_bytes until it has run.
  template <class F>
  void delete_var(Var v, F&& on_release, std::int64_t frees_bytes = 0);

  // --- Ops -------------------------------------------------------------------------------
  // Enqueues fn and returns at once (blocks only while max_inflight ops are pending; a front
  // end can take part in that wait: ndflow/blocked_push.h).
  // fn is callable as fn() or fn(OpContext&); it runs when every var in `reads` has seen
  // its earlier writes done and every var in `writes` its earlier reads and writes done.
  // A var in both lists counts as written; duplicates are ignored. If fn throws, the vars
  // it writes fail with that exception; ops reading a failed var are skipped and pass the
  // failure on; waits on such vars rethrow it. `name` must outlive the op (a literal).
  // Throws std::invalid_argument (nothing pushed) for a null var or unknown lane.
  template <class F>
  void push(F&& fn, VarList reads, VarList writes, Lane lane = Lane::cpu_compute(),
            int priority = 0, const char* name = "op", OpHints hints = {});

  // --- Waits (blocking; raise DeadlockError when called from inside an op) --------------
  // A WaitInterruption on the calling thread (ndflow/wait_interruption.h) can end them early.
  // Until the last write pushed on v so far is done; rethrows that var's failure.
  void wait_to_read(Var v);
  // Until every op pushed on v so far is done, its reads as well as its writes: what a
  // caller needs before it changes v's state outside the engine. Rethrows v's failure
  // (and leaves it in place). Pushes one op that does nothing, so stats count it.
  void wait_to_write(Var v);
  // Until every op pushed so far is done; rethrows the first failure not yet rethrown by
  // a wait (and forgets the rest of them).
  void wait_all();

  // --- Lanes -----------------------------------------------------------------------------
  Lane add_lane(LaneSpec spec);  // for backends; up to 64 lanes
  Lane find_lane(Device device, LaneKind kind, int index = 0) const;  // throws if none
  std::optional<Lane> try_find_lane(Device device, LaneKind kind, int index = 0) const noexcept;
  std::string lane_name(Lane lane) const;  // "cpu(0) compute"
  int lane_workers(Lane lane) const;

  // --- Introspection and profiling --------------------------------------------------------
  EngineKind kind() const noexcept;
  EngineStats stats() const;
  void profiler_start();  // records every op that starts from now on
  void profiler_stop();
  std::vector<ProfileRecord> profiler_records() const;
  // Chrome Trace Event JSON (opens in Perfetto): one process per lane, one track per worker.
  std::string profiler_json() const;
  void profiler_dump(const std::string& path) const;  // throws std::runtime_error on I/O

 private:
  struct Slot {
    detail::Op* op;
    void* storage;  // detail::kInlineFnBytes, aligned to alignof(std::max_align_t)
  };
  // Takes an op block (may block: backpressure) and constructs fn in it, inline when it
  // fits; returns the block and fn's vtable.
  template <class F>
  std::pair<Slot, const detail::FnVTable*> emplace_op(F&& fn);
  Slot begin_push();
  void commit_delete_var(Slot s, const detail::FnVTable* vt, Var v, std::int64_t frees_bytes = 0);
  void commit_push(Slot s, const detail::FnVTable* vt, VarList reads, VarList writes, Lane lane,
                   int priority, const char* name, OpHints hints);
  void abort_push(Slot s) noexcept;

  std::unique_ptr<detail::EngineCore> core_;
};

template <class F>
std::pair<Engine::Slot, const detail::FnVTable*> Engine::emplace_op(F&& fn) {
  using Fn = std::decay_t<F>;
  constexpr bool kInline = sizeof(Fn) <= detail::kInlineFnBytes &&
                           alignof(Fn) <= alignof(std::max_align_t) &&
                           std::is_nothrow_move_constructible_v<Fn>;
  Slot s = begin_push();
  try {
    if constexpr (kInline)
      ::new (s.storage) Fn(std::forward<F>(fn));
    else
      ::new (s.storage) Fn*(new Fn(std::forward<F>(fn)));
  } catch (...) {
    abort_push(s);
    throw;
  }
  return {s, kInline ? &detail::kInlineVTable<Fn> : &detail::kHeapVTable<Fn>};
}

template <class F>
void Engine::push(F&& fn, VarList reads, VarList writes, Lane lane, int priority, const char* name,
                  OpHints hints) {
  static_assert(
      std::is_invocable_v<std::decay_t<F>&> || std::is_invocable_v<std::decay_t<F>&, OpContext&>,
      "an op is callable as fn() or fn(OpContext&)");
  auto [slot, vtable] = emplace_op(std::forward<F>(fn));
  commit_push(slot, vtable, reads, writes, lane, priority, name, hints);
}

template <class F>
void Engine::delete_var(Var v, F&& on_release, std::int64_t frees_bytes) {
  static_assert(std::is_invocable_v<std::decay_t<F>&>, "on_release is callable as fn()");
  auto [slot, vtable] = emplace_op(std::forward<F>(on_release));
  commit_delete_var(slot, vtable, v, frees_bytes);
}

// The process-wide engine, created on first use from EngineOptions::from_env(). At exit
// it is shut down (pending ops finish) but never destroyed, so arrays released by later
// static destructors still find it. Code that owns its own Engine need not use it.
Engine& default_engine();

}  // namespace ndflow
