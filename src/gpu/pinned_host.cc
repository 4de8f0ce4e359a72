#include "gpu/pinned_host.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "common/byte_size.h"
#include "gpu/gpu_device.h"
#include "ndflow/error.h"

#if NDFLOW_HAS_CUDA
#include "backends/cuda/cuda_memory.h"
#endif

namespace ndflow::detail {
namespace {

constexpr std::size_t kSmallest = 512;
constexpr int kClasses = 46;  // 512 B .. 2^54 B
// Cached bytes past a quarter of the machine's memory are unpinned: pinned memory is taken
// from what the OS can page. (A fixed 2 GiB made a benchmark copying out 50 results of
// 64 MB pin and unpin most of them on every repetition.)
std::size_t cache_limit() {
  static const std::size_t limit = [] {
    return std::max(std::size_t{2} << 30, physical_memory_bytes() / 4);
  }();
  return limit;
}

int size_class(std::size_t bytes) {
  const std::size_t rounded = std::bit_ceil(bytes < kSmallest ? kSmallest : bytes);
  return std::countr_zero(rounded) - std::countr_zero(kSmallest);
}
std::size_t class_bytes(int c) { return kSmallest << c; }

// Pinned by CUDA when the GPUs are CUDA ones; ordinary memory for simulated GPUs.
bool use_cuda() {
#if NDFLOW_HAS_CUDA
  return gpu_count() > 0 && !gpus_simulated();
#else
  return false;
#endif
}
void* raw_alloc(std::size_t bytes) {
#if NDFLOW_HAS_CUDA
  if (use_cuda()) return cuda::alloc_pinned_host(bytes);
#endif
  return ::operator new(bytes, std::align_val_t(kSmallest), std::nothrow);
}
void raw_free(void* p) noexcept {
#if NDFLOW_HAS_CUDA
  if (use_cuda()) return cuda::free_pinned_host(p);
#endif
  ::operator delete(p, std::align_val_t(kSmallest));
}

// cudaHostAlloc and cudaFreeHost take milliseconds (and cudaFreeHost synchronises the
// device), so they run outside the cache's lock.
struct Cache {
  std::mutex mu;
  std::vector<void*> free[kClasses];
  PinnedStats stats;

  std::vector<void*> take_all() {  // called with mu held; the caller frees them unlocked
    std::vector<void*> all;
    for (auto& blocks : free) {
      all.insert(all.end(), blocks.begin(), blocks.end());
      blocks.clear();
    }
    stats.bytes_cached = 0;
    return all;
  }
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: arrays may be released during exit
  return *c;
}

}  // namespace

void* pinned_alloc(std::size_t bytes) {
  const int c = size_class(bytes);
  const std::size_t size = class_bytes(c);
  Cache& k = cache();
  {
    std::lock_guard lock(k.mu);
    if (!k.free[c].empty()) {
      void* p = k.free[c].back();
      k.free[c].pop_back();
      k.stats.bytes_cached -= size;
      k.stats.bytes_in_use += size;
      return p;
    }
  }
  void* p = raw_alloc(size);
  if (!p) {  // retry once with the cache given back
    std::vector<void*> cached;
    {
      std::lock_guard lock(k.mu);
      cached = k.take_all();
    }
    for (void* q : cached) raw_free(q);
    if (!cached.empty()) p = raw_alloc(size);
  }
  std::lock_guard lock(k.mu);
  if (!p)
    throw OutOfMemoryError("ndflow: out of pinned host memory: tried to pin " +
                           std::to_string(size) + " bytes (for " + std::to_string(bytes) +
                           " requested) with " + std::to_string(k.stats.bytes_in_use) +
                           " bytes pinned in use; copy to pageable memory instead "
                           "(HostMemory::kPageable, or non_blocking=False)");
  ++k.stats.raw_allocs;
  k.stats.bytes_in_use += size;
  return p;
}

void pinned_free(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  const int c = size_class(bytes);
  const std::size_t size = class_bytes(c);
  Cache& k = cache();
  {
    std::lock_guard lock(k.mu);
    k.stats.bytes_in_use -= size;
    if (k.stats.bytes_cached + size <= cache_limit()) {
      try {
        k.free[c].push_back(p);
        k.stats.bytes_cached += size;
        return;
      } catch (...) {  // no room to remember it: unpin it below
      }
    }
  }
  raw_free(p);
}

PinnedStats pinned_stats() {
  Cache& k = cache();
  std::lock_guard lock(k.mu);
  return k.stats;
}

}  // namespace ndflow::detail
