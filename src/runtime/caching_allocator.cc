// The caching allocator's rules (docs/architecture.md, "GPU memory"). Invariants, which
// every function below keeps:
// - the blocks of a segment tile it exactly, linked by prev_/next_ in address order;
// - every block of a segment has the segment's stream and pool;
// - no two neighbours are both kFree (a freed block merges at once), so a segment whose
//   first block is kFree and has no next_ is entirely free;
// - a block is in a free pool if and only if it is kFree.
#include "runtime/caching_allocator.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "ndflow/error.h"

namespace ndflow::detail {
namespace {

// Larger requests cannot be rounded without overflowing; no device has that much anyway.
constexpr std::size_t kMaxRequestBytes = std::numeric_limits<std::size_t>::max() / 2;

std::size_t round_up(std::size_t n, std::size_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

bool is_small_request(std::size_t size) { return size <= kSmallRequestMaxBytes; }

std::size_t segment_bytes_for(std::size_t size) {
  return is_small_request(size) ? kSmallSegmentBytes : round_up(size, kLargeSegmentRoundBytes);
}

// A split is worth it only if a later request of the same pool could use the remainder:
// any remainder serves a small request, but a large request needs more than the small
// maximum. A smaller remainder stays in the block handed out (at most 1 MiB of slack).
bool worth_splitting(bool small_pool, std::size_t remainder) {
  return small_pool ? remainder >= kBlockRoundBytes : remainder > kSmallRequestMaxBytes;
}

// "5.00 MiB": readable at a glance.
std::string scaled_bytes(std::size_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %s", value, kUnits[unit]);
  return text;
}

// "5.00 MiB (5242880 bytes)": readable, and exact for whoever compares with other tools.
std::string format_bytes(std::size_t bytes) {
  if (bytes < 1024) return scaled_bytes(bytes);
  return scaled_bytes(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

}  // namespace

std::optional<std::size_t> memory_limit_from_env() {
  return byte_size_from_env("NDFLOW_GPU_MEMORY_LIMIT");
}

CachingAllocator::FreeKey CachingAllocator::FreeOrder::key(const Block* b) noexcept {
  return FreeKey{b->stream_, b->size_, reinterpret_cast<std::uintptr_t>(b->ptr_)};
}

CachingAllocator::CachingAllocator(DeviceMemory& device, CachingAllocatorOptions options)
    : device_(device), options_(std::move(options)) {}

CachingAllocator::~CachingAllocator() {
  // A destructor cannot report a failing device; the memory goes back with the context.
  auto ignoring_errors = [](auto&& device_call) {
    try {
      device_call();
    } catch (...) {
    }
  };
  for (Block* block : awaiting_events_)
    for (Event e : block->pending_events_) ignoring_errors([&] { device_.release_event(e); });
  for (Block* head : segments_) {
    ignoring_errors([&] { device_.raw_free(head->ptr_); });
    for (Block* b = head; b != nullptr;) {
      assert(b->state_ != Block::State::kAllocated && "a block outlived its allocator");
      Block* next = b->next_;
      delete b;
      b = next;
    }
  }
  for (Block* spare : spare_blocks_) delete spare;
}

Block* CachingAllocator::allocate(std::size_t bytes, Stream stream) {
  std::unique_lock lock(mutex_);
  if (bytes > kMaxRequestBytes) throw_out_of_memory(bytes, bytes);
  const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), kBlockRoundBytes);
  if (Block* block = try_allocate(size, stream)) return block;
  const std::size_t segment_bytes = segment_bytes_for(size);
  if (options_.reclaim_shared_memory && !limit_refuses(segment_bytes)) {
    // The device itself said no, and others share its memory. Unlocked while they give
    // theirs back: one of them may be out of memory too, and emptying this cache in turn.
    lock.unlock();
    options_.reclaim_shared_memory();
    lock.lock();
    if (Block* block = try_allocate(size, stream)) return block;
  }
  throw_out_of_memory(bytes, segment_bytes);
}

// allocate's attempt under the lock for `size` (rounded) bytes: the cache, then a new
// segment, then (when the device or the limit refuses) a new segment after returning every
// free segment. Null if all fail.
Block* CachingAllocator::try_allocate(std::size_t size, Stream stream) {
  if (!awaiting_events_.empty()) poll_awaiting_events();
  if (Block* cached = take_best_fit(size, stream)) {
    ++stats_.cache_hits;
    return carve(cached, size);
  }
  const std::size_t segment_bytes = segment_bytes_for(size);
  Block* segment = reserve_segment(segment_bytes, stream, is_small_request(size));
  if (segment == nullptr) {
    // Memory cached as whole free segments (of any stream) may be what the device or the
    // limit lacks: give it back and try once more.
    release_free_segments();
    segment = reserve_segment(segment_bytes, stream, is_small_request(size));
  }
  return segment == nullptr ? nullptr : carve(segment, size);
}

bool CachingAllocator::limit_refuses(std::size_t segment_bytes) const noexcept {
  const std::optional<std::size_t>& limit = options_.memory_limit;
  return limit && segment_bytes > *limit - stats_.reserved_bytes;
}

void CachingAllocator::free(Block* block) {
  if (block == nullptr) return;
  std::lock_guard lock(mutex_);
  assert(block->state_ == Block::State::kAllocated && "freed twice or not from this allocator");
  if (!block->other_streams_.empty()) {
    record_events_for_other_streams(block);
    stats_.allocated_bytes -= block->size_;
    block->state_ = Block::State::kAwaitingEvents;
    awaiting_events_.push_back(block);
    return;
  }
  stats_.allocated_bytes -= block->size_;
  make_free(block);
}

void CachingAllocator::record_stream(Block* block, Stream stream) {
  std::lock_guard lock(mutex_);
  assert(block->state_ == Block::State::kAllocated);
  // Work on the block's own stream is ordered before any later reuse already.
  if (stream == block->stream_) return;
  std::vector<Stream>& others = block->other_streams_;
  if (std::find(others.begin(), others.end(), stream) == others.end()) others.push_back(stream);
}

void CachingAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  poll_awaiting_events();
  release_free_segments();
}

CachingAllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  CachingAllocatorStats s = stats_;
  s.blocks_awaiting_events = awaiting_events_.size();
  return s;
}

Block* CachingAllocator::take_best_fit(std::size_t size, Stream stream) {
  FreePool& pool = pool_for(is_small_request(size));
  const auto it = pool.lower_bound(FreeKey{stream, size, 0});
  if (it == pool.end() || (*it)->stream_ != stream) return nullptr;
  Block* block = *it;
  pool.erase(it);
  return block;
}

Block* CachingAllocator::reserve_segment(std::size_t size, Stream stream, bool small_pool) {
  if (limit_refuses(size)) return nullptr;
  void* memory = device_.raw_alloc(size);
  if (memory == nullptr) return nullptr;
  ++stats_.raw_allocs;
  stats_.reserved_bytes += size;
  Block* head = new_block();
  head->ptr_ = memory;
  head->size_ = size;
  head->stream_ = stream;
  head->in_small_pool_ = small_pool;
  segments_.insert(head);
  return head;
}

// Hands out the front `size` bytes of `block` (a free block out of its pool, or a new
// segment), returning the rest to the pool when worth_splitting says so.
Block* CachingAllocator::carve(Block* block, std::size_t size) {
  const std::size_t remainder = block->size_ - size;
  if (worth_splitting(block->in_small_pool_, remainder)) {
    Block* rest = new_block();
    rest->ptr_ = static_cast<char*>(block->ptr_) + size;
    rest->size_ = remainder;
    rest->stream_ = block->stream_;
    rest->in_small_pool_ = block->in_small_pool_;
    rest->prev_ = block;
    rest->next_ = block->next_;
    if (rest->next_ != nullptr) rest->next_->prev_ = rest;
    block->next_ = rest;
    block->size_ = size;
    pool_for(rest->in_small_pool_).insert(rest);  // its neighbours are not free: no merge
  }
  block->state_ = Block::State::kAllocated;
  ++stats_.allocations;
  stats_.allocated_bytes += block->size_;
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  return block;
}

// Puts `block` in its pool, merged with whichever neighbours are free, so a segment freed
// piece by piece in any order ends up as one block again.
void CachingAllocator::make_free(Block* block) {
  FreePool& pool = pool_for(block->in_small_pool_);
  block->state_ = Block::State::kFree;
  if (Block* prev = block->prev_; prev != nullptr && prev->state_ == Block::State::kFree) {
    pool.erase(prev);  // before its size (part of its key) changes
    prev->size_ += block->size_;
    prev->next_ = block->next_;
    if (prev->next_ != nullptr) prev->next_->prev_ = prev;
    recycle_block(block);
    block = prev;
  }
  if (Block* next = block->next_; next != nullptr && next->state_ == Block::State::kFree) {
    pool.erase(next);
    block->size_ += next->size_;
    block->next_ = next->next_;
    if (block->next_ != nullptr) block->next_->prev_ = block;
    recycle_block(next);
  }
  pool.insert(block);
}

void CachingAllocator::record_events_for_other_streams(Block* block) {
  try {
    for (Stream s : block->other_streams_)
      block->pending_events_.push_back(device_.record_event(s));
  } catch (...) {
    // The block stays allocated (never reused while other streams may use it).
    for (Event e : block->pending_events_) device_.release_event(e);
    block->pending_events_.clear();
    throw;
  }
  block->other_streams_.clear();
}

// Called with the lock held on each allocate (and by empty_cache): freed blocks whose
// events have all completed become reusable. No thread waits on the device for this.
void CachingAllocator::poll_awaiting_events() {
  for (std::size_t i = 0; i < awaiting_events_.size();) {
    Block* block = awaiting_events_[i];
    if (!events_completed(block)) {
      ++i;
      continue;
    }
    awaiting_events_[i] = awaiting_events_.back();
    awaiting_events_.pop_back();
    make_free(block);
  }
}

// Releases the block's completed events; true when none is left pending.
bool CachingAllocator::events_completed(Block* block) {
  std::vector<Event>& events = block->pending_events_;
  while (!events.empty() && device_.event_done(events.back())) {
    device_.release_event(events.back());
    events.pop_back();
  }
  return events.empty();
}

std::size_t CachingAllocator::release_free_segments() {
  std::size_t released = 0;
  for (auto it = segments_.begin(); it != segments_.end();) {
    Block* head = *it;
    if (head->state_ != Block::State::kFree || head->next_ != nullptr) {
      ++it;
      continue;
    }
    released += head->size_;
    release_segment(head);
    it = segments_.erase(it);
  }
  return released;
}

// Returns one entirely free segment to the device. On CUDA, cudaFree waits for the
// device's pending work, which is what makes releasing a segment last used on another
// stream safe. The device goes first: if it fails, the segment stays cached and free, so
// the bookkeeping still matches what the device holds (and the destructor tries again).
void CachingAllocator::release_segment(Block* head) {
  device_.raw_free(head->ptr_);
  pool_for(head->in_small_pool_).erase(head);
  ++stats_.raw_frees;
  stats_.reserved_bytes -= head->size_;
  recycle_block(head);
}

void CachingAllocator::throw_out_of_memory(std::size_t requested, std::size_t segment_bytes) {
  std::string free_on_device;
  try {
    free_on_device = format_bytes(device_.free_bytes());
  } catch (const std::exception&) {
    free_on_device = "an unknown amount";  // the OOM is the error worth reporting
  }
  std::string message = "ndflow: out of memory on " + options_.device_name + ": cannot allocate " +
                        format_bytes(requested) + ", which needs a new " +
                        scaled_bytes(segment_bytes) + " segment. The device reports " +
                        free_on_device + " free; ndflow has " +
                        format_bytes(stats_.reserved_bytes) + " reserved, of which " +
                        format_bytes(stats_.allocated_bytes) + " is allocated to arrays";
  const std::optional<std::size_t>& limit = options_.memory_limit;
  const bool limit_refused = limit_refuses(segment_bytes);
  if (limit) {
    message += "; its memory limit (NDFLOW_GPU_MEMORY_LIMIT) is " + format_bytes(*limit);
    if (limit_refused) message += ", which this request would pass";
  }
  message +=
      ". To make room: free arrays you no longer need (let them go out of scope), lower the "
      "batch size";
  // Raising the limit helps only where the limit, not the device, said no.
  message += limit_refused ? ", or raise NDFLOW_GPU_MEMORY_LIMIT." : ".";
  throw OutOfMemoryError(message);
}

Block* CachingAllocator::new_block() {
  if (spare_blocks_.empty()) return new Block();
  Block* block = spare_blocks_.back();
  spare_blocks_.pop_back();
  return block;
}

// Keeps the Block object (and its vectors' capacity) for the next split.
void CachingAllocator::recycle_block(Block* block) {
  block->ptr_ = nullptr;
  block->size_ = 0;
  block->state_ = Block::State::kFree;
  block->prev_ = nullptr;
  block->next_ = nullptr;
  block->other_streams_.clear();
  block->pending_events_.clear();
  spare_blocks_.push_back(block);
}

}  // namespace ndflow::detail
