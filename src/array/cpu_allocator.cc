#include "array/cpu_allocator.h"

#include "engine/block_pool.h"

#include <bit>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

namespace ndflow::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr int kClasses = 48;  // 64 B .. 2^53 B
// Blocks above this are returned to the system at once rather than cached.
constexpr std::size_t kLargestCached = std::size_t{256} << 20;
// Cached bytes past this are returned to the system.
constexpr std::size_t kCacheLimit = std::size_t{1} << 30;

int size_class(std::size_t bytes) {
  const std::size_t rounded = std::bit_ceil(bytes < kAlign ? kAlign : bytes);
  return std::countr_zero(rounded) - std::countr_zero(kAlign);
}
std::size_t class_bytes(int c) { return kAlign << c; }

// The smallest classes (up to 1 KiB: scalars, small arrays, where dispatch cost matters)
// go through per-thread BlockPool magazines: allocated on the pushing thread and freed on a
// worker, they would otherwise meet on one lock for every array.
constexpr int kPooledClasses = 5;  // 64 B .. 1 KiB
BlockPool& small_pool(int c) {
  static BlockPool* pools[kPooledClasses] = {
      &BlockPool::get(class_bytes(0), kAlign), &BlockPool::get(class_bytes(1), kAlign),
      &BlockPool::get(class_bytes(2), kAlign), &BlockPool::get(class_bytes(3), kAlign),
      &BlockPool::get(class_bytes(4), kAlign)};
  return *pools[c];
}

struct Cache {
  std::mutex mu;
  std::vector<void*> free[kClasses];
  std::size_t cached_bytes = 0;
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: arrays may be released during exit
  return *c;
}

}  // namespace

void* cpu_alloc(std::size_t bytes) {
  const int c = size_class(bytes);
  if (c < kPooledClasses) return small_pool(c).allocate();
  const std::size_t size = class_bytes(c);
  if (size <= kLargestCached) {
    Cache& k = cache();
    std::lock_guard lock(k.mu);
    if (!k.free[c].empty()) {
      void* p = k.free[c].back();
      k.free[c].pop_back();
      k.cached_bytes -= size;
      return p;
    }
  }
  return ::operator new(size, std::align_val_t(kAlign));
}

void cpu_free(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  const int c = size_class(bytes);
  if (c < kPooledClasses) {
    small_pool(c).deallocate(p);
    return;
  }
  const std::size_t size = class_bytes(c);
  if (size <= kLargestCached) {
    Cache& k = cache();
    std::lock_guard lock(k.mu);
    if (k.cached_bytes + size <= kCacheLimit) {
      try {
        k.free[c].push_back(p);
        k.cached_bytes += size;
        return;
      } catch (...) {  // no room to remember it: give it back below
      }
    }
  }
  ::operator delete(p, std::align_val_t(kAlign));
}

}  // namespace ndflow::detail
