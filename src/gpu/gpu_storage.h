// What a Storage on a GPU holds besides its pointer: the allocator's block and the fences
// that order its accesses across streams. Freed by the release that retires its Var.
#pragma once

#include "gpu/gpu_device.h"
#include "gpu/gpu_sync.h"

namespace ndflow::detail {

struct GpuStorage {
  GpuDevice* gpu;
  Block* block;
  GpuSync sync;

  GpuStorage(GpuDevice* g, Block* b)
      : gpu(g), block(b), sync(*g->device, g->stream(LaneKind::kCompute)) {}
};

// A new block of `bytes` on `gpu` for its compute stream. Throws OutOfMemoryError.
GpuStorage* allocate_gpu_storage(GpuDevice& gpu, std::size_t bytes);
// Returns the block to the allocator once every stream's pending work on it has run (the
// engine has already run every op on it: this is the release of its delete_var op).
void release_gpu_storage(GpuStorage* storage) noexcept;

}  // namespace ndflow::detail
