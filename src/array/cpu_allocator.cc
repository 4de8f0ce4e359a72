#include "array/cpu_allocator.h"

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
