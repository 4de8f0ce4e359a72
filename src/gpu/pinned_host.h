// Page-locked ("pinned") host memory for the results of copies out of GPUs
// (copy_to(cpu(), HostMemory::kPinned)). A GPU's copy engine writes pinned memory directly,
// so such a copy runs on the copy-out stream like any GPU work, overlapping the compute
// stream, with no thread blocked on it; a copy into pageable memory makes the issuing
// worker wait while the driver stages it.
//
// Pinning is slow (the driver maps every page), so freed blocks are cached for reuse, by
// power-of-two size class as cpu_allocator does. Blocks come from CUDA for CUDA GPUs and
// from ordinary memory for simulated ones, which have no driver to pin with.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ndflow::detail {

// Throws OutOfMemoryError (after emptying the cache once) when no pinned memory is left.
void* pinned_alloc(std::size_t bytes);
void pinned_free(void* p, std::size_t bytes) noexcept;

struct PinnedStats {
  std::size_t bytes_in_use = 0;  // handed out, by size class
  std::size_t bytes_cached = 0;  // freed and kept for reuse
  std::uint64_t raw_allocs = 0;  // blocks pinned so far (a cache miss each)
};
PinnedStats pinned_stats();

}  // namespace ndflow::detail
