// Pushing array kernels onto the engine. Every op front-end validates its arguments,
// allocates its result, then calls one of these. A kernel may capture the Arrays it uses or
// only their data pointers: memory is valid until the op runs either way, since a Storage
// is freed by a delete_var op, which the engine orders after every op pushed on its Var.
// Capturing pointers spares the pushing thread and the worker two reference counts that
// both touch (see ScalarChunk).
#pragma once

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <vector>

#include "array/array_impl.h"
#include "ndflow/engine.h"
#include "ops/gpu_op.h"

namespace ndflow::detail {

// The Vars of a list of arrays, on the stack for the usual handful, for arrays on a GPU
// their storages' fences (gpu_op.h), and the host memory they hold (as a list of outputs,
// the op's weight: OpHints::output_bytes).
class VarsOf {
 public:
  VarsOf() = default;
  explicit VarsOf(std::initializer_list<const Array*> arrays) {
    if (arrays.size() > kInline) heap_.reserve(arrays.size());
    for (const Array* a : arrays) add(*a->impl());
  }
  explicit VarsOf(const std::vector<Array>& arrays) {
    if (arrays.size() > kInline) heap_.reserve(arrays.size());
    for (const Array& a : arrays) add(*a.impl());
  }
  VarList list() const {
    return heap_.empty() ? VarList(std::span<const Var>(inline_, n_)) : VarList(heap_);
  }
  const std::vector<GpuStorage*>& gpu_storages() const noexcept { return gpu_; }
  // The hints of an op writing these arrays: their host storages of kWeighedBytes or more
  // count against the engine's max_inflight_bytes until it is done.
  OpHints output_hints() const noexcept { return OpHints{.output_bytes = host_bytes_}; }

 private:
  static constexpr std::size_t kInline = 6;
  void add(const ArrayImpl& a) {
    if (GpuStorage* g = a.gpu())
      gpu_.push_back(g);
    else if (a.storage->bytes >= kWeighedBytes)
      host_bytes_ += static_cast<std::int64_t>(a.storage->bytes);
    const Var v = a.var();
    if (heap_.empty() && n_ < kInline) {
      inline_[n_++] = v;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_, inline_ + n_);
    heap_.push_back(v);
  }
  Var inline_[kInline];
  std::size_t n_ = 0;
  std::int64_t host_bytes_ = 0;
  std::vector<Var> heap_;
  std::vector<GpuStorage*> gpu_;  // empty (no allocation) for CPU arrays
};

// Pushes kernel() as an op on GPU `device` (gpu_op.h).
template <class Kernel>
void push_gpu_op(const char* name, const VarsOf& reads, const VarsOf& writes, Device device,
                 Kernel&& kernel, CudaLaunch cuda) {
  push_gpu_kernel(name, reads.list(), reads.gpu_storages(), writes.list(), writes.gpu_storages(),
                  device, HostKernel(std::forward<Kernel>(kernel)), std::move(cuda));
}

// The compute lane of a CPU device.
inline Lane compute_lane(Device) { return Lane::cpu_compute(); }

// Pushes kernel() reading `reads` and writing `writes` on their device's compute lane. On
// a GPU, kernel is the host kernel (run by simulated GPUs); `cuda` launches the op on a
// CUDA GPU's stream (see gpu_op.h), and an op without one is refused there at the call.
template <class Kernel>
void launch(const char* name, const VarsOf& reads, const VarsOf& writes, Device device,
            Kernel&& kernel, CudaLaunch cuda = {}) {
  if (!device.is_cpu()) {
    push_gpu_op(name, reads, writes, device, std::forward<Kernel>(kernel), std::move(cuda));
    return;
  }
  array_engine().push(std::forward<Kernel>(kernel), reads.list(), writes.list(),
                      compute_lane(device), 0, name, writes.output_hints());
}

// Below this many elements (or units of work) an op is not split across workers.
inline constexpr std::int64_t kParallelGrain = std::int64_t{1} << 17;

// Pushes chunk(begin, end) over [0, n) split across the compute lane's workers when n is
// large (at least `grain` units per piece), as one op otherwise. chunk must be copyable
// (each piece gets a copy).
//
// The pieces are ordered as one op would be: a barrier op writes the outputs (so it waits
// for their earlier readers and writers), the pieces *read* inputs and outputs (so they
// run together, after the barrier) while writing disjoint parts of the outputs, and a join
// op reads the inputs and writes the outputs (so later ops wait for every piece, and a
// failure of an input or of a piece fails the outputs). Pieces are long-running (OpHints):
// the workers run them, not a thread waiting for the result. The join goes first among
// ready ops: it is tiny, and behind it wait the op's consumers (a copy of the result, say),
// which would otherwise queue behind every later op's pieces.
inline constexpr int kJoinPriority = 1;

template <class Chunk>
void launch_parallel(const char* name, const VarsOf& reads, const VarsOf& writes, Device device,
                     std::int64_t n, Chunk chunk, std::int64_t grain = kParallelGrain,
                     CudaLaunch cuda = {}) {
  if (!device.is_cpu()) {  // a GPU runs the whole range as one kernel
    push_gpu_op(
        name, reads, writes, device, [chunk, n]() mutable { chunk(0, n); }, std::move(cuda));
    return;
  }
  Engine& engine = array_engine();
  const Lane lane = compute_lane(device);
  const int workers = engine.kind() == EngineKind::kNaive ? 1 : engine.lane_workers(lane);
  const std::int64_t pieces = std::min<std::int64_t>(
      workers, std::max<std::int64_t>(1, n / std::max<std::int64_t>(1, grain)));
  if (pieces <= 1) {
    engine.push([chunk, n]() mutable { chunk(0, n); }, reads.list(), writes.list(), lane, 0, name,
                writes.output_hints());
    return;
  }
  struct Shared {
    std::mutex mu;
    std::exception_ptr error;
  };
  auto shared = std::make_shared<Shared>();
  std::vector<Var> piece_reads(reads.list().begin(), reads.list().end());
  piece_reads.insert(piece_reads.end(), writes.list().begin(), writes.list().end());
  engine.push([] {}, {}, writes.list(), lane, 0, name);  // barrier
  for (std::int64_t p = 0; p < pieces; ++p) {
    const std::int64_t begin = n * p / pieces, end = n * (p + 1) / pieces;
    engine.push(
        [chunk, shared, begin, end]() mutable {
          try {
            chunk(begin, end);
          } catch (...) {
            std::lock_guard lock(shared->mu);
            if (!shared->error) shared->error = std::current_exception();
          }
        },
        piece_reads, {}, lane, 0, name, OpHints{.long_running = true});
  }
  engine.push(
      [shared] {
        if (shared->error) std::rethrow_exception(shared->error);
      },
      reads.list(), writes.list(), lane, kJoinPriority, name, writes.output_hints());  // join
}

}  // namespace ndflow::detail
