#include "engine/block_pool.h"

#include <iterator>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define NDFLOW_POOL_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NDFLOW_POOL_BYPASS 1
#endif
#endif

namespace ndflow::detail {
namespace {

constexpr int kMaxPools = 16;
constexpr int kMagazineSize = 64;

// A stack of free blocks. An array, not a list threaded through the blocks: popping
// must not load from a block that may still sit in another core's cache.
struct Magazine {
  void* items[kMagazineSize];
  int count = 0;
  void push(void* p) noexcept { items[count++] = p; }
  void* pop() noexcept { return items[--count]; }
};

BlockPool* g_pools[kMaxPools];
int g_num_pools = 0;
std::mutex g_registry_mu;

}  // namespace

struct BlockPool::Impl {
  std::mutex mu;
  std::vector<Magazine> depot;  // full (or, from exiting threads, partial) magazines
  std::vector<void*> chunks;    // every chunk ever allocated: the pool owns them forever
};

// Each thread keeps two magazines per pool: `loaded` serves allocate/deallocate, `spare`
// is a full one kept back so that alternating alloc/free at a boundary does not bounce
// through the depot.
// Set when this thread's magazines have been destroyed. At exit C++ destroys the main
// thread's thread_locals *before* running atexit handlers, and the default engine's
// shutdown (an atexit handler) still allocates and frees blocks: from then on this thread
// goes through the locked depot, never through magazines it already handed over.
thread_local bool t_magazines_gone = false;

struct ThreadMagazines {
  Magazine loaded[kMaxPools];
  Magazine spare[kMaxPools];
  ~ThreadMagazines() {
    t_magazines_gone = true;
    int num_pools;
    {
      std::lock_guard lock(g_registry_mu);
      num_pools = g_num_pools;
    }
    for (int i = 0; i < num_pools; ++i) {
      BlockPool::Impl* impl = g_pools[i]->impl_;
      std::lock_guard lock(impl->mu);
      if (loaded[i].count) impl->depot.push_back(loaded[i]);
      if (spare[i].count) impl->depot.push_back(spare[i]);
      loaded[i].count = spare[i].count = 0;
    }
  }
};

namespace {
thread_local ThreadMagazines t_magazines;
}  // namespace

BlockPool::BlockPool(int id, std::size_t size, std::size_t align)
    : id_(id), size_((size + align - 1) / align * align), align_(align), impl_(new Impl) {}

BlockPool& BlockPool::get(std::size_t size, std::size_t align) {
  std::lock_guard lock(g_registry_mu);
  for (int i = 0; i < g_num_pools; ++i)
    if (g_pools[i]->size_ >= size && g_pools[i]->align_ == align &&
        g_pools[i]->size_ - size < align)
      return *g_pools[i];
  if (g_num_pools == kMaxPools) throw std::logic_error("ndflow: too many block pools");
  // Deliberately never destroyed: thread-local magazines return blocks at thread exit,
  // which may be after static destructors have run.
  g_pools[g_num_pools] = new BlockPool(g_num_pools, size, align);
  return *g_pools[g_num_pools++];
}

void* BlockPool::allocate_from_depot() {
  {
    std::lock_guard lock(impl_->mu);
    for (auto it = impl_->depot.rbegin(); it != impl_->depot.rend(); ++it) {
      if (it->count) {
        void* p = it->pop();
        if (it->count == 0) impl_->depot.erase(std::next(it).base());
        return p;
      }
    }
  }
  // An exiting thread asking for a fresh chunk: rare enough to take one block alone.
  return ::operator new(size_, std::align_val_t(align_));
}

void* BlockPool::allocate() {
#ifdef NDFLOW_POOL_BYPASS
  return ::operator new(size_, std::align_val_t(align_));
#else
  if (t_magazines_gone) return allocate_from_depot();
  Magazine& loaded = t_magazines.loaded[id_];
  if (loaded.count) return loaded.pop();
  Magazine& spare = t_magazines.spare[id_];
  if (spare.count) {
    std::swap(loaded, spare);
    return loaded.pop();
  }
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->depot.empty()) {
      loaded = impl_->depot.back();
      impl_->depot.pop_back();
      return loaded.pop();
    }
  }
  // Depot empty: carve a new chunk into one magazine.
  const std::size_t chunk_bytes = size_ * kMagazineSize;
  auto* chunk = static_cast<char*>(::operator new(chunk_bytes, std::align_val_t(align_)));
  {
    std::lock_guard lock(impl_->mu);
    impl_->chunks.push_back(chunk);
  }
  for (int i = 1; i < kMagazineSize; ++i) loaded.push(chunk + i * size_);
  return chunk;
#endif
}

void BlockPool::deallocate(void* block) noexcept {
#ifdef NDFLOW_POOL_BYPASS
  ::operator delete(block, std::align_val_t(align_));
#else
  if (t_magazines_gone) {
    Magazine one;
    one.push(block);
    std::lock_guard lock(impl_->mu);
    impl_->depot.push_back(one);
    return;
  }
  Magazine& loaded = t_magazines.loaded[id_];
  if (loaded.count == kMagazineSize) {
    Magazine& spare = t_magazines.spare[id_];
    if (spare.count) {
      std::lock_guard lock(impl_->mu);
      impl_->depot.push_back(spare);
    }
    spare = loaded;
    loaded = Magazine{};
  }
  loaded.push(block);
#endif
}

}  // namespace ndflow::detail
