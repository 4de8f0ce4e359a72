// The GPUs this process uses, and how the engine reaches them (docs/architecture.md, "GPU
// lanes and fences").
//
// Which GPUs: NDFLOW_SIMULATED_GPUS=N gives N simulated ones (backends/sim), whatever the
// machine has, running the CPU's kernels or, with NDFLOW_SIMULATED_GPU_KERNELS=cuda, the
// CUDA kernels' code on the host; otherwise every visible CUDA GPU, each split into
// NDFLOW_LOGICAL_GPUS logical ones (own streams and memory pool, shared silicon). The list
// is made once, on first use, and lives until the process ends.
//
// Lanes: each GPU has four streams, one per lane kind (compute, copy-in, copy-out,
// peer-copy). An engine that runs GPU ops gets four lanes per GPU, each fed by one worker
// thread bound to the GPU, feeding that stream. Engines share a GPU's streams.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "gpu/gpu_sync.h"
#include "ndflow/device.h"
#include "ndflow/engine.h"
#include "runtime/caching_allocator.h"
#include "runtime/stream_device.h"

namespace ndflow::detail {

inline constexpr int kGpuLaneKinds = 4;  // LaneKind's values, in order

struct GpuDevice {
  int index = 0;         // gpu(index)
  int memory_group = 0;  // GPUs with the same group share one memory (logical GPUs)
  std::unique_ptr<StreamDevice> device;
  std::unique_ptr<CachingAllocator> allocator;
  std::array<Stream, kGpuLaneKinds> streams{};  // by LaneKind
  std::string name;                             // "NVIDIA H100 ... (logical 2 of 2)"
  std::string label;                            // "gpu(1): " + name

  Stream stream(LaneKind kind) const { return streams[static_cast<int>(kind)]; }
};

// How many GPUs arrays can use (0 when none; never throws).
int gpu_count();
// Whether they are simulated (NDFLOW_SIMULATED_GPUS).
bool gpus_simulated();
// Whether their ops run the CPU's kernels (ndflow::gpus_run_cpu_kernels).
bool gpus_run_cpu_kernels();
// Why there are none, for messages ("" when there are some).
std::string gpu_absence_reason();
// The GPU behind `device` (a gpu(i)). Throws DeviceError naming what exists otherwise.
GpuDevice& gpu_device(Device device);

// Whether this process was forked from the one that started the GPUs. CUDA does not
// survive fork(), nor do simulated GPUs' threads: in such a child, every use of a GPU
// (a new array or op, a wait for GPU work, a lane's worker) throws DeviceError saying so,
// and the GPU memory of the parent's arrays is left alone. The CPU works as before.
bool gpus_forked_away() noexcept;
// Throws that DeviceError, naming `device` (a CPU device: "a GPU"), in such a child.
void throw_if_gpus_forked_away(Device device);

// Returns to the device every entirely free segment cached by `gpu` and by the GPUs that
// share its memory (NDFLOW_LOGICAL_GPUS). Out of memory outside the caches (a library's
// workspace, a stream-ordered scratch buffer) calls this before its one retry; a cache
// that runs out calls it through CachingAllocatorOptions::reclaim_shared_memory.
void release_cached_memory(const GpuDevice& gpu);

// The lane of `kind` on `device` in `engine`, registering the GPU's lanes on first use.
Lane gpu_lane(Engine& engine, Device device, LaneKind kind);

// On a GPU lane's worker: the GPU and the stream this worker feeds. Null elsewhere.
struct GpuWorker {
  GpuDevice* gpu = nullptr;
  Stream stream;
};
const GpuWorker& current_gpu_worker() noexcept;

// Completes `done` once `fence` has run (an event poller thread; DeviceError fails it).
// For ops whose result is only valid on the host after their stream ran: copies that
// read or write host memory.
void complete_when_done(Fence fence, AsyncCompletion done);

// Blocks until every GPU's streams have run what was enqueued so far (wait_all's second
// half; see wait_for_event for `interruption`). Throws DeviceError for a failed device.
// False when no GPU was ever asked for (then it waited for nothing).
bool synchronize_all_gpus(WaitInterruption* interruption = nullptr);

}  // namespace ndflow::detail
