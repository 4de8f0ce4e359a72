// A stream-aware caching allocator for one device's memory (docs/architecture.md, "GPU
// memory"). Asking a GPU driver for memory (cudaMalloc) is slow and cudaFree synchronises
// the whole device, so freed blocks are kept and handed out again. The allocator knows the
// device only through DeviceMemory, so every rule here is tested with a fake device.
//
// Thread safety: every member function of CachingAllocator may be called from any thread
// (pushing threads allocate, engine workers free); one mutex guards the whole state. None
// of them waits for a stream's work, with one exception: giving segments back
// (empty_cache(), and allocate() once the device or the limit refused) calls raw_free with
// the lock held, and on CUDA cudaFree waits for the device's queued work. That happens
// only when memory runs short or on request, and keeps the bookkeeping simple.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_size.h"  // byte_size_from_env, for the limit below

namespace ndflow::detail {

// Opaque handles for a device's streams and events (cudaStream_t / cudaEvent_t on CUDA).
// Value types, so the allocator can compare and order streams without knowing the backend.
struct Stream {
  std::uintptr_t handle = 0;
  constexpr auto operator<=>(const Stream&) const noexcept = default;
};
struct Event {
  std::uintptr_t handle = 0;
  constexpr bool operator==(const Event&) const noexcept = default;
};

// What the allocator needs from one device (a GPU; a fake in tests). The allocator calls
// these with its own lock held, one call at a time, so an implementation need not be
// thread-safe on its own account.
class DeviceMemory {
 public:
  virtual ~DeviceMemory() = default;
  // `bytes` of device memory, or nullptr when the device is out of memory (any other
  // failure throws).
  virtual void* raw_alloc(std::size_t bytes) = 0;
  virtual void raw_free(void* p) = 0;
  // An event that completes once the work enqueued on `s` so far has run.
  virtual Event record_event(Stream s) = 0;
  // Non-blocking: has `e` completed?
  virtual bool event_done(Event e) = 0;
  // Gives back an event from record_event (done or not); the allocator never uses it again.
  // Never throws (see StreamDevice::release_event).
  virtual void release_event(Event e) = 0;
  // What the device reports free, for error messages.
  virtual std::size_t free_bytes() = 0;
};

// Size rules (why each value: docs/architecture.md, "GPU memory").
inline constexpr std::size_t kBlockRoundBytes = 512;             // every size rounds up to this
inline constexpr std::size_t kSmallRequestMaxBytes = 1 << 20;    // <= this: a small request
inline constexpr std::size_t kSmallSegmentBytes = 2 << 20;       // small requests share these
inline constexpr std::size_t kLargeSegmentRoundBytes = 2 << 20;  // large segments round to this

// NDFLOW_GPU_MEMORY_LIMIT parsed with byte_size_from_env, or nullopt when it is unset or empty.
// Throws std::invalid_argument naming the variable when its value does not parse.
std::optional<std::size_t> memory_limit_from_env();

struct CachingAllocatorOptions {
  // How error messages name the device, e.g. Device::gpu(0).to_string().
  std::string device_name = "gpu(0)";
  // Reserved bytes (every segment held from the device) never exceed this.
  std::optional<std::size_t> memory_limit;
  // Called, without this allocator's lock, when the device refuses a segment even after
  // this allocator returned its own free segments: other allocators sharing the device's
  // memory (logical GPUs on one physical GPU) return theirs, and the segment is asked for
  // once more. May call this allocator's empty_cache(). Unset: nobody else shares it.
  std::function<void()> reclaim_shared_memory;
};

struct CachingAllocatorStats {
  std::size_t allocated_bytes = 0;           // in blocks handed out (rounded sizes)
  std::size_t reserved_bytes = 0;            // in segments held from the device
  std::size_t peak_allocated_bytes = 0;      // the most allocated_bytes has been
  std::uint64_t allocations = 0;             // successful allocate() calls
  std::uint64_t cache_hits = 0;              // allocations served without a raw alloc
  std::uint64_t raw_allocs = 0;              // successful DeviceMemory::raw_alloc calls
  std::uint64_t raw_frees = 0;               // DeviceMemory::raw_free calls that succeeded
  std::uint64_t blocks_awaiting_events = 0;  // freed, waiting for other streams' events
};

class CachingAllocator;

// One piece of device memory handed out by CachingAllocator. Users read data(), size() and
// stream(); the rest is the allocator's bookkeeping, kept in the block so that splitting,
// merging and reuse touch no other table.
class Block {
 public:
  void* data() const noexcept { return ptr_; }
  std::size_t size() const noexcept { return size_; }  // requested bytes rounded up
  Stream stream() const noexcept { return stream_; }   // the stream it was allocated on

 private:
  friend class CachingAllocator;
  enum class State : std::uint8_t { kFree, kAllocated, kAwaitingEvents };

  void* ptr_ = nullptr;
  std::size_t size_ = 0;
  Stream stream_;
  State state_ = State::kFree;
  bool in_small_pool_ = false;
  // Neighbours in the same segment, in address order (null at the segment's ends).
  Block* prev_ = nullptr;
  Block* next_ = nullptr;
  // Streams other than stream_ that used the block (record_stream), and at free the
  // events recorded on them that are still pending. Kept when the Block object is
  // recycled, so their capacity is reused.
  std::vector<Stream> other_streams_;
  std::vector<Event> pending_events_;
};

class CachingAllocator {
 public:
  CachingAllocator(DeviceMemory& device, CachingAllocatorOptions options);
  // Frees every segment. Blocks still allocated are a bug in the caller (asserted in debug
  // builds); their memory is freed anyway.
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least `bytes` (0 counts as 1) for work on `stream`. Throws
  // OutOfMemoryError when neither the cache nor the device (within the limit) has room,
  // even after empty_cache() and reclaim_shared_memory. Waits for the device only through
  // that empty_cache() (see the top of this file).
  Block* allocate(std::size_t bytes, Stream stream);

  // Returns `block` (null is ignored). It is reusable at once on its own stream, because
  // that stream runs later work after the work that used it. If record_stream named other
  // streams, an event is recorded on each and the block is reused only once all completed.
  void free(Block* block);

  // Notes that work on `stream` uses `block`, so free() must wait for that work too.
  void record_stream(Block* block, Stream stream);

  // Returns to the device every segment whose memory is all free (events included); polls
  // events without waiting, but raw_free may wait (cudaFree does). If raw_free throws,
  // so does this, and that segment (with any not reached yet) stays cached and free.
  void empty_cache();

  CachingAllocatorStats stats() const;

 private:
  // Free blocks ordered by (stream, size, address): the first block at or after
  // (stream, size, 0) is the best fit on that stream, found in O(log n). The set's nodes
  // come from pool_ (a pool resource under mutex_), so after warm-up neither an allocate
  // nor a free calls malloc. An intrusive size-bucketed list would avoid the nodes but not
  // give an exact best fit.
  struct FreeKey {
    Stream stream;
    std::size_t size;
    std::uintptr_t address;
  };
  struct FreeOrder {
    using is_transparent = void;
    static FreeKey key(const Block* b) noexcept;
    static FreeKey key(const FreeKey& k) noexcept { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const noexcept {
      const FreeKey x = key(a), y = key(b);
      if (x.stream != y.stream) return x.stream < y.stream;
      if (x.size != y.size) return x.size < y.size;
      return x.address < y.address;
    }
  };
  using FreePool = std::pmr::set<Block*, FreeOrder>;

  FreePool& pool_for(bool small) { return small ? small_free_ : large_free_; }
  Block* try_allocate(std::size_t size, Stream stream);
  bool limit_refuses(std::size_t segment_bytes) const noexcept;
  Block* take_best_fit(std::size_t size, Stream stream);
  Block* reserve_segment(std::size_t size, Stream stream, bool small_pool);
  Block* carve(Block* block, std::size_t size);
  void make_free(Block* block);
  void record_events_for_other_streams(Block* block);
  void poll_awaiting_events();
  bool events_completed(Block* block);
  std::size_t release_free_segments();
  void release_segment(Block* head);
  [[noreturn]] void throw_out_of_memory(std::size_t requested, std::size_t segment_bytes);
  Block* new_block();
  void recycle_block(Block* block);

  DeviceMemory& device_;
  const CachingAllocatorOptions options_;
  mutable std::mutex mutex_;
  std::pmr::unsynchronized_pool_resource pool_;  // declared before the sets that use it
  FreePool small_free_{&pool_};
  FreePool large_free_{&pool_};
  std::pmr::set<Block*> segments_{&pool_};  // each segment's first block
  std::vector<Block*> awaiting_events_;     // freed blocks whose events are pending
  std::vector<Block*> spare_blocks_;        // Block objects kept for reuse after a merge
  CachingAllocatorStats stats_;
};

}  // namespace ndflow::detail
