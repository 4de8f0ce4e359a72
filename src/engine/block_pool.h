// Fixed-size blocks recycled through per-thread magazines, so pushing an op neither calls
// malloc nor takes a shared lock on the fast path. Ops are allocated by pushing threads
// and freed by workers; full magazines travel between them through a locked depot, one
// lock per kMagazineSize blocks.
//
// Pools live for the whole process (thread caches may outlive any engine). Under
// AddressSanitizer blocks come straight from operator new so that use-after-free and
// leaks of ops and vars are reported.
#pragma once

#include <cstddef>

namespace ndflow::detail {

class BlockPool {
 public:
  // Returns the process-wide pool for blocks of `size` bytes aligned to `align`.
  // At most a handful of distinct pools exist (one per block type).
  static BlockPool& get(std::size_t size, std::size_t align);

  void* allocate();
  void deallocate(void* block) noexcept;

  std::size_t block_size() const noexcept { return size_; }

 private:
  struct Impl;
  BlockPool(int id, std::size_t size, std::size_t align);
  void* allocate_from_depot();  // for a thread whose magazines are gone (see block_pool.cc)
  int id_;
  std::size_t size_;
  std::size_t align_;
  Impl* impl_;
  friend struct ThreadMagazines;
};

}  // namespace ndflow::detail
