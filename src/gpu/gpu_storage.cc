#include "gpu/gpu_storage.h"

namespace ndflow::detail {

GpuStorage* allocate_gpu_storage(GpuDevice& gpu, std::size_t bytes) {
  throw_if_gpus_forked_away(Device::gpu(gpu.index));
  Block* block = gpu.allocator->allocate(bytes, gpu.stream(LaneKind::kCompute));
  try {
    return new GpuStorage(&gpu, block);
  } catch (...) {
    gpu.allocator->free(block);
    throw;
  }
}

void release_gpu_storage(GpuStorage* storage) noexcept {
  // In a forked child this is the parent's memory, and even its events' release would
  // reach into the parent's runtime: it is left as it is (a small host object, leaked).
  if (gpus_forked_away()) return;
  GpuDevice& g = *storage->gpu;
  try {
    for (const Fence& f : storage->sync.pending_fences()) {
      if (f->device == g.device.get()) {
        // Reused on another stream only after this one's work passed an event.
        if (f->stream != storage->block->stream())
          g.allocator->record_stream(storage->block, f->stream);
        continue;
      }
      // Read by another GPU (a peer copy): the allocator's events live on this device's
      // streams, so make the block's own stream (whose later work may reuse it at once)
      // wait for that copy. No host wait: a release may run on any thread.
      g.device->stream_wait_event(storage->block->stream(), f->event);
    }
    g.allocator->free(storage->block);
  } catch (...) {
    // The device failed (a kernel fault poisons the context; at exit the runtime may be
    // unloading): ordering the reuse is impossible, so the block is never reused. The
    // failure itself surfaces at the next wait on that device's work.
  }
  delete storage;
}

}  // namespace ndflow::detail
