#include "ops/gpu_op.h"

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "backends/cuda/kernels.h"
#include "backends/cuda/nvtx.h"
#include "gpu/gpu_storage.h"
#include "ndflow/error.h"

namespace ndflow::detail {
namespace {

// The stream an op on `gpu` feeds: the lane worker's own; or, where a naive engine runs the
// op on the pushing thread, the GPU's stream for that lane kind, with the GPU current only
// while the op runs, so the user's own current device is left as it was.
class OpStream {
 public:
  OpStream(GpuDevice& gpu, LaneKind kind) {
    const GpuWorker& w = current_gpu_worker();
    if (w.gpu == &gpu) {
      stream_ = w.stream;
      return;
    }
    stream_ = gpu.stream(kind);
    previous_ = gpu.device->bind_thread();
    bound_ = gpu.device.get();
  }
  ~OpStream() {
    if (bound_) bound_->restore_thread(previous_);
  }
  OpStream(const OpStream&) = delete;
  OpStream& operator=(const OpStream&) = delete;

  Stream stream() const noexcept { return stream_; }

 private:
  Stream stream_;
  StreamDevice* bound_ = nullptr;  // set when this op made the GPU current
  int previous_ = -1;
};

// Two timed events around an op's work on a stream, for the profiler; each released when
// the span goes (a null handle: not recorded, as when the work failed to enqueue).
struct StreamSpan {
  StreamDevice* dev;
  Event start, end;
  StreamSpan(StreamDevice* d, Event s) : dev(d), start(s) {}
  ~StreamSpan() {
    for (Event e : {start, end})
      if (e.handle != 0) dev->release_event(e);
  }
  StreamSpan(const StreamSpan&) = delete;
  StreamSpan& operator=(const StreamSpan&) = delete;
};

// synchronize_stream for error paths, which already have an error to report.
void wait_for_stream_quietly(StreamDevice& dev, Stream stream) noexcept {
  try {
    synchronize_stream(dev, stream);
  } catch (const std::exception&) {
    // The device failed as well; the error being thrown says enough.
  }
}

// Records the end of the op's stream span for the profiler. Never fails the op, which would
// then finish while its work (a copy that reads host memory) may still run.
void end_stream_span(OpContext& ctx, StreamDevice& dev, Stream stream,
                     const std::shared_ptr<StreamSpan>& span) noexcept {
  try {
    span->end = dev.record_timed_event(stream);
    ctx.add_stream_span([span]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
      return std::pair{span->dev->event_time_ns(span->start), span->dev->event_time_ns(span->end)};
    });
  } catch (const std::exception&) {
    // The profile lacks this op's stream span; the op itself is fine.
  }
}

// The fence protocol of every GPU op, on `stream` of `dev`: wait for the fences of the
// storages it reads and writes, enqueue(), then record one event as their new fence.
// Null storages (host memory, for copies) take no part. While the profiler records, timed
// events around the work tell it when the stream ran it.
template <class Enqueue>
Fence run_ordered(OpContext& ctx, StreamDevice& dev, Stream stream,
                  const std::vector<GpuStorage*>& reads, const std::vector<GpuStorage*>& writes,
                  Enqueue&& enqueue) {
  for (GpuStorage* r : reads)
    if (r) r->sync.before(dev, stream, /*write=*/false);
  for (GpuStorage* x : writes)
    if (x) x->sync.before(dev, stream, /*write=*/true);
  std::shared_ptr<StreamSpan> span;
  if (ctx.profiling()) span = std::make_shared<StreamSpan>(&dev, dev.record_timed_event(stream));
  Fence fence;
  try {
    {
      const NvtxRange range(ctx.name());  // Nsight Systems shows the op by name
      enqueue();
    }
    // The span ends before the fence, so a consumer waiting on the fence starts after it.
    if (span) end_stream_span(ctx, dev, stream, span);
    fence = std::make_shared<FenceEvent>(&dev, stream, dev.record_event(stream));
  } catch (...) {
    // What was enqueued before the failure (the first launches of a sequence, or all of the
    // op's work when its fence could not be recorded) still runs: wait for it, so that the
    // memory it touches is not reused or freed under it.
    wait_for_stream_quietly(dev, stream);
    throw;
  }
  for (GpuStorage* r : reads)
    if (r) r->sync.after(fence, /*write=*/false);
  for (GpuStorage* x : writes)
    if (x) x->sync.after(fence, /*write=*/true);
  return fence;
}

// A launch that ran out of memory outside the caches (a cuBLAS workspace, a cuRAND
// generator) runs once more after every cache on the GPU's memory gave its free segments
// back. Running a launch again is safe (kernels.h).
void launch_retrying_out_of_memory(const GpuDevice& gpu, const CudaLaunch& cuda, void* stream) {
  try {
    cuda(stream);
    return;
  } catch (const OutOfMemoryError&) {
  }
  release_cached_memory(gpu);
  cuda(stream);
}

void run_kernel(OpContext& ctx, GpuDevice& gpu, const std::vector<GpuStorage*>& reads,
                const std::vector<GpuStorage*>& writes, const HostKernel& host,
                const CudaLaunch& cuda) {
  const OpStream op_stream(gpu, LaneKind::kCompute);
  const Stream stream = op_stream.stream();
  StreamDevice& dev = *gpu.device;
  run_ordered(ctx, dev, stream, reads, writes, [&] {
    if (!dev.simulated())
      launch_retrying_out_of_memory(gpu, cuda, reinterpret_cast<void*>(stream.handle));
    else if (!gpus_run_cpu_kernels())  // NDFLOW_SIMULATED_GPU_KERNELS=cuda: on the host
      dev.enqueue_host_work(stream, [cuda] { cuda(cuda::host_stream()); });
    else
      dev.enqueue_host_work(stream, host);
  });
}

}  // namespace

void push_gpu_kernel(const char* name, VarList reads, std::vector<GpuStorage*> read_gpu,
                     VarList writes, std::vector<GpuStorage*> write_gpu, Device device,
                     HostKernel host, CudaLaunch cuda) {
  GpuDevice& gpu = gpu_device(device);
  if (!cuda && !gpus_run_cpu_kernels())
    throw DeviceError(std::string("ndflow: ") + name +
                      " has no CUDA kernel yet (it runs on the CPU, and on simulated GPUs "
                      "running the CPU's kernels); copy the array to the CPU with "
                      "copy_to(cpu()) first");
  Engine& engine = array_engine();
  engine.push(
      [gpu = &gpu, rg = std::move(read_gpu), wg = std::move(write_gpu), host = std::move(host),
       cuda = std::move(cuda)](OpContext& ctx) { run_kernel(ctx, *gpu, rg, wg, host, cuda); },
      reads, writes, gpu_lane(engine, device, LaneKind::kCompute), 0, name);
}

void push_gpu_copy(const Array& src, const Array& out) {
  const ArrayImpl& s = *src.impl();
  const ArrayImpl& o = *out.impl();
  const std::size_t bytes = static_cast<std::size_t>(o.shape.numel()) * dtype_size(o.dtype);
  GpuStorage* sg = s.gpu();
  GpuStorage* og = o.gpu();
  // The lane: into a GPU from the host, copy-in; out of a GPU to the host, copy-out;
  // between GPUs, the receiving GPU's peer-copy lane.
  const LaneKind kind = !sg ? LaneKind::kCopyIn : !og ? LaneKind::kCopyOut : LaneKind::kPeerCopy;
  const Device lane_device = og ? o.device() : s.device();
  GpuDevice& gpu = gpu_device(lane_device);
  const bool touches_host = !sg || !og;
  Engine& engine = array_engine();
  engine.push(
      [&gpu, kind, src, out, sg, og, bytes, touches_host](OpContext& ctx) {
        const OpStream op_stream(gpu, kind);
        const Stream stream = op_stream.stream();
        StreamDevice& dev = *gpu.device;
        const Fence fence = run_ordered(ctx, dev, stream, {sg}, {og}, [&] {
          void* dst = out.impl()->data();
          const void* from = src.impl()->data();
          if (sg && og)
            dev.copy_from_peer_async(dst, from, *sg->gpu->device, bytes, stream);
          else
            dev.copy_async(dst, from, bytes, stream);
        });
        if (touches_host) complete_when_done(fence, ctx.defer());
      },
      VarList{s.var()}, VarList{o.var()}, gpu_lane(engine, lane_device, kind), 0, "copy_to");
}

}  // namespace ndflow::detail
