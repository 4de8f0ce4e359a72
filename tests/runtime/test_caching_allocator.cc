// The caching allocator against a fake device: what users rely on (reuse without new
// device allocations, split and merge, stream safety, the limit, the out-of-memory path
// and its message, NDFLOW_GPU_MEMORY_LIMIT, stats, many threads), with no GPU needed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ndflow/error.h"
#include "runtime/caching_allocator.h"

namespace {

using ndflow::OutOfMemoryError;
using ndflow::detail::Block;
using ndflow::detail::CachingAllocator;
using ndflow::detail::CachingAllocatorOptions;
using ndflow::detail::DeviceMemory;
using ndflow::detail::Event;
using ndflow::detail::memory_limit_from_env;
using ndflow::detail::parse_byte_size;
using ndflow::detail::Stream;

constexpr std::size_t KiB = std::size_t{1} << 10;
constexpr std::size_t MiB = std::size_t{1} << 20;

constexpr Stream kStreamA{1};
constexpr Stream kStreamB{2};
constexpr Stream kStreamC{3};

// A device with `capacity` bytes of made-up addresses (never dereferenced) and events the
// test completes by hand. Thread-safe, because tests complete events from other threads.
class FakeDevice : public DeviceMemory {
 public:
  explicit FakeDevice(std::size_t capacity = std::size_t{1} << 40) : capacity_(capacity) {}

  void* raw_alloc(std::size_t bytes) override {
    std::lock_guard lock(mutex_);
    if (refuse_allocs_ > 0 || live_bytes_ + bytes > capacity_) {
      if (refuse_allocs_ > 0) --refuse_allocs_;
      ++refused_allocs_;
      return nullptr;
    }
    const std::uintptr_t address = next_address_;
    next_address_ += bytes + 64 * MiB;  // a gap, so segments are never adjacent
    live_[address] = bytes;
    live_bytes_ += bytes;
    ++raw_allocs_;
    return reinterpret_cast<void*>(address);
  }

  void raw_free(void* p) override {
    std::lock_guard lock(mutex_);
    if (fail_frees_ > 0) {
      --fail_frees_;
      throw std::runtime_error("fake device: free failed");
    }
    const auto it = live_.find(reinterpret_cast<std::uintptr_t>(p));
    ASSERT_NE(it, live_.end()) << "raw_free of memory the device never gave out";
    live_bytes_ -= it->second;
    live_.erase(it);
  }

  Event record_event(Stream s) override {
    std::lock_guard lock(mutex_);
    const Event e{next_event_++};
    events_[e.handle] = EventState{s, false};
    ++events_recorded_;
    return e;
  }

  bool event_done(Event e) override {
    std::lock_guard lock(mutex_);
    return events_.at(e.handle).done;
  }

  void release_event(Event e) override {
    std::lock_guard lock(mutex_);
    EXPECT_EQ(events_.erase(e.handle), 1u) << "an event released twice or never recorded";
  }

  std::size_t free_bytes() override {
    std::lock_guard lock(mutex_);
    return capacity_ - live_bytes_;
  }

  // The work enqueued on `s` so far has run.
  void complete_events_on(Stream s) {
    std::lock_guard lock(mutex_);
    for (auto& [handle, state] : events_)
      if (state.stream == s) state.done = true;
  }
  void fail_next_frees(int n) {
    std::lock_guard lock(mutex_);
    fail_frees_ = n;
  }
  void refuse_next_allocs(int n) {
    std::lock_guard lock(mutex_);
    refuse_allocs_ = n;
  }
  std::size_t live_bytes() {
    std::lock_guard lock(mutex_);
    return live_bytes_;
  }
  std::size_t live_segments() {
    std::lock_guard lock(mutex_);
    return live_.size();
  }
  std::size_t live_events() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  int events_recorded() {
    std::lock_guard lock(mutex_);
    return events_recorded_;
  }
  int refused_allocs() {
    std::lock_guard lock(mutex_);
    return refused_allocs_;
  }

 private:
  struct EventState {
    Stream stream;
    bool done = false;
  };
  std::mutex mutex_;
  std::size_t capacity_;
  std::uintptr_t next_address_ = std::uintptr_t{1} << 32;
  std::map<std::uintptr_t, std::size_t> live_;
  std::size_t live_bytes_ = 0;
  std::map<std::uintptr_t, EventState> events_;
  std::uintptr_t next_event_ = 1;
  int events_recorded_ = 0;
  int raw_allocs_ = 0;
  int refuse_allocs_ = 0;
  int refused_allocs_ = 0;
  int fail_frees_ = 0;
};

CachingAllocatorOptions options(std::optional<std::size_t> limit = std::nullopt,
                                std::string name = "gpu(0)") {
  return CachingAllocatorOptions{std::move(name), limit};
}

std::uintptr_t address(const Block* b) { return reinterpret_cast<std::uintptr_t>(b->data()); }

// ---- sizes, reuse, split and merge ----

TEST(CachingAllocatorTest, RoundsSizesUpTo512Bytes) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* one = alloc.allocate(1, kStreamA);
  Block* zero = alloc.allocate(0, kStreamA);
  Block* odd = alloc.allocate(1000, kStreamA);
  EXPECT_EQ(one->size(), 512u);
  EXPECT_EQ(zero->size(), 512u);
  EXPECT_EQ(odd->size(), 1024u);
  EXPECT_EQ(one->stream(), kStreamA);
  EXPECT_EQ(alloc.stats().allocated_bytes, 2048u);
  for (Block* b : {one, zero, odd}) alloc.free(b);
}

TEST(CachingAllocatorTest, SmallRequestsShareOneTwoMiBSegment) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  std::vector<Block*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(alloc.allocate(512 * KiB, kStreamA));
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  EXPECT_EQ(alloc.stats().reserved_bytes, 2 * MiB);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(address(blocks[i]), address(blocks[i - 1]) + 512 * KiB);
  Block* fifth = alloc.allocate(512, kStreamA);  // the segment is full: a new one
  EXPECT_EQ(alloc.stats().raw_allocs, 2u);
  for (Block* b : blocks) alloc.free(b);
  alloc.free(fifth);
}

TEST(CachingAllocatorTest, LargeRequestsGetSegmentsRoundedTo2MiB) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* large = alloc.allocate(2 * MiB + 1, kStreamA);  // block 2 MiB + 512, segment 4 MiB
  EXPECT_EQ(large->size(), 2 * MiB + 512);
  EXPECT_EQ(alloc.stats().reserved_bytes, 4 * MiB);
  // The rest of the segment (just under 2 MiB) serves a later large request.
  Block* rest = alloc.allocate(1536 * KiB, kStreamA);
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  EXPECT_EQ(address(rest), address(large) + large->size());
  alloc.free(large);
  alloc.free(rest);
}

TEST(CachingAllocatorTest, ALargeRemainderTooSmallForALargeRequestIsNotSplitOff) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* block = alloc.allocate(3 * MiB, kStreamA);  // segment 4 MiB; 1 MiB left over
  EXPECT_EQ(block->size(), 4 * MiB);
  alloc.free(block);
}

TEST(CachingAllocatorTest, AFreedBlockIsReusedWithoutANewRawAlloc) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* first = alloc.allocate(4 * MiB, kStreamA);
  const std::uintptr_t where = address(first);
  alloc.free(first);
  Block* again = alloc.allocate(4 * MiB, kStreamA);
  EXPECT_EQ(address(again), where);
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  EXPECT_EQ(alloc.stats().cache_hits, 1u);
  EXPECT_EQ(device.events_recorded(), 0) << "same-stream reuse needs no event";
  alloc.free(again);
}

TEST(CachingAllocatorTest, BestFitTakesTheSmallestFreeBlockThatFits) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* a = alloc.allocate(64 * KiB, kStreamA);
  Block* keep1 = alloc.allocate(512, kStreamA);
  Block* b = alloc.allocate(16 * KiB, kStreamA);
  Block* keep2 = alloc.allocate(512, kStreamA);
  const std::uintptr_t b_address = address(b);
  alloc.free(a);
  alloc.free(b);
  Block* fit = alloc.allocate(10 * KiB, kStreamA);
  EXPECT_EQ(address(fit), b_address);
  for (Block* x : {keep1, keep2, fit}) alloc.free(x);
}

TEST(CachingAllocatorTest, FreedNeighboursMergeSoAFragmentedSegmentServesOneSpanningBlock) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* whole = alloc.allocate(8 * MiB, kStreamA);
  const std::uintptr_t base = address(whole);
  alloc.free(whole);
  // Split the cached segment into four 2 MiB blocks.
  Block* parts[4];
  for (Block*& p : parts) p = alloc.allocate(2 * MiB, kStreamA);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(address(parts[i]), base + i * 2 * MiB);
  // Free the middle ones first (they merge with each other), then the ends.
  alloc.free(parts[1]);
  alloc.free(parts[2]);
  Block* middle = alloc.allocate(4 * MiB, kStreamA);  // only fits because 1 and 2 merged
  EXPECT_EQ(address(middle), base + 2 * MiB);
  alloc.free(middle);
  alloc.free(parts[0]);
  alloc.free(parts[3]);
  Block* spanning = alloc.allocate(8 * MiB, kStreamA);
  EXPECT_EQ(address(spanning), base);
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  alloc.free(spanning);
}

TEST(CachingAllocatorTest, SmallBlocksMergeBackIntoTheirSegment) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* parts[4];
  for (Block*& p : parts) p = alloc.allocate(512 * KiB, kStreamA);
  const std::uintptr_t base = address(parts[0]);
  for (int i : {2, 1, 3, 0}) alloc.free(parts[i]);
  Block* a = alloc.allocate(1 * MiB, kStreamA);
  Block* b = alloc.allocate(1 * MiB, kStreamA);
  EXPECT_EQ(address(a), base);
  EXPECT_EQ(address(b), base + 1 * MiB);
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  alloc.free(a);
  alloc.free(b);
}

// ---- streams and events ----

TEST(CachingAllocatorTest, SameStreamReuseIsImmediate) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* a = alloc.allocate(1000, kStreamA);
  const std::uintptr_t where = address(a);
  alloc.free(a);
  Block* b = alloc.allocate(1000, kStreamA);
  EXPECT_EQ(address(b), where);
  EXPECT_EQ(device.events_recorded(), 0);
  alloc.free(b);
}

TEST(CachingAllocatorTest, AnotherStreamNeverGetsABlockFreedOnThisOne) {
  // Both ways round: the free pools are ordered by stream first.
  for (auto [freed_on, wanted_on] :
       {std::pair{kStreamA, kStreamB}, std::pair{kStreamB, kStreamA}}) {
    FakeDevice device;
    CachingAllocator alloc(device, options());
    Block* a = alloc.allocate(4 * MiB, freed_on);
    const std::uintptr_t where = address(a);
    alloc.free(a);
    Block* b = alloc.allocate(4 * MiB, wanted_on);
    EXPECT_NE(address(b), where);
    EXPECT_EQ(alloc.stats().raw_allocs, 2u);
    alloc.free(b);
  }
}

TEST(CachingAllocatorTest, ABlockUsedOnAnotherStreamWaitsForThatStreamsEvent) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* used = alloc.allocate(4 * MiB, kStreamA);
  const std::uintptr_t where = address(used);
  alloc.record_stream(used, kStreamB);
  alloc.free(used);
  EXPECT_EQ(device.events_recorded(), 1);
  EXPECT_EQ(alloc.stats().blocks_awaiting_events, 1u);

  Block* meanwhile = alloc.allocate(4 * MiB, kStreamA);  // stream B may still be using it
  EXPECT_NE(address(meanwhile), where);
  alloc.free(meanwhile);

  device.complete_events_on(kStreamB);
  Block* after = alloc.allocate(4 * MiB, kStreamA);
  EXPECT_EQ(address(after), where);  // best fit picks the lower address among equals
  EXPECT_EQ(alloc.stats().blocks_awaiting_events, 0u);
  EXPECT_EQ(device.live_events(), 0u) << "a completed event goes back to the device";
  alloc.free(after);
}

TEST(CachingAllocatorTest, EveryRecordedStreamMustCompleteBeforeReuse) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* used = alloc.allocate(4 * MiB, kStreamA);
  const std::uintptr_t where = address(used);
  alloc.record_stream(used, kStreamB);
  alloc.record_stream(used, kStreamC);
  alloc.record_stream(used, kStreamB);  // noted once
  alloc.record_stream(used, kStreamA);  // its own stream: no event needed
  alloc.free(used);
  EXPECT_EQ(device.events_recorded(), 2);

  device.complete_events_on(kStreamB);
  Block* early = alloc.allocate(4 * MiB, kStreamA);
  EXPECT_NE(address(early), where);
  device.complete_events_on(kStreamC);
  Block* after = alloc.allocate(4 * MiB, kStreamA);
  EXPECT_EQ(address(after), where);
  alloc.free(early);
  alloc.free(after);
}

TEST(CachingAllocatorTest, AFreedSmallBlockAwaitingEventsDoesNotMergeUntilTheyComplete) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* used = alloc.allocate(1 * MiB, kStreamA);
  Block* other = alloc.allocate(1 * MiB, kStreamA);
  alloc.record_stream(used, kStreamB);
  alloc.free(used);
  alloc.free(other);
  alloc.empty_cache();  // the segment is not all free yet: kept
  EXPECT_EQ(alloc.stats().reserved_bytes, 2 * MiB);
  EXPECT_EQ(alloc.stats().raw_frees, 0u);
  device.complete_events_on(kStreamB);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes, 0u);
  EXPECT_EQ(device.live_segments(), 0u);
}

// ---- the limit and running out of memory ----

TEST(CachingAllocatorTest, ReservedBytesNeverPassTheLimit) {
  FakeDevice device;
  CachingAllocator alloc(device, options(6 * MiB));
  Block* large = alloc.allocate(3 * MiB, kStreamA);    // a 4 MiB segment
  Block* small = alloc.allocate(100 * KiB, kStreamA);  // a 2 MiB segment: 6 MiB reserved
  EXPECT_EQ(alloc.stats().reserved_bytes, 6 * MiB);
  EXPECT_THROW(alloc.allocate(1 * MiB + 1, kStreamA), OutOfMemoryError);
  EXPECT_THROW(alloc.allocate(100 * KiB, kStreamB), OutOfMemoryError);
  EXPECT_EQ(alloc.stats().reserved_bytes, 6 * MiB);
  EXPECT_EQ(alloc.stats().raw_allocs, 2u) << "the limit refuses before asking the device";
  Block* fits = alloc.allocate(100 * KiB, kStreamA);  // the small segment still has room
  for (Block* b : {large, small, fits}) alloc.free(b);
}

TEST(CachingAllocatorTest, OutOfMemoryEmptiesTheCacheAndRetries) {
  FakeDevice device(6 * MiB);
  CachingAllocator alloc(device, options());
  Block* a = alloc.allocate(2 * MiB, kStreamA);
  Block* b = alloc.allocate(2 * MiB, kStreamB);
  alloc.free(a);
  alloc.free(b);
  EXPECT_EQ(alloc.stats().reserved_bytes, 4 * MiB);
  // 4 MiB more does not fit the device beside the cached 4 MiB: the cache goes back first.
  Block* big = alloc.allocate(4 * MiB, kStreamC);
  EXPECT_EQ(device.refused_allocs(), 1);
  EXPECT_EQ(alloc.stats().raw_frees, 2u);
  EXPECT_EQ(alloc.stats().reserved_bytes, 4 * MiB);
  alloc.free(big);
}

TEST(CachingAllocatorTest, TheLimitAlsoEmptiesTheCacheBeforeGivingUp) {
  FakeDevice device;
  CachingAllocator alloc(device, options(4 * MiB));
  Block* a = alloc.allocate(2 * MiB, kStreamA);
  Block* keep = alloc.allocate(512, kStreamB);  // a small segment stays in use
  alloc.free(a);
  Block* big = alloc.allocate(2 * MiB, kStreamB);  // needs stream A's cached segment gone
  EXPECT_EQ(alloc.stats().raw_frees, 1u);
  EXPECT_EQ(alloc.stats().reserved_bytes, 4 * MiB);
  alloc.free(big);
  alloc.free(keep);
}

TEST(CachingAllocatorTest, OutOfMemoryKeepsSegmentsInUseAndAwaitingEvents) {
  FakeDevice device(6 * MiB);
  CachingAllocator alloc(device, options());
  Block* in_use = alloc.allocate(2 * MiB, kStreamA);
  Block* awaiting = alloc.allocate(2 * MiB, kStreamA);
  alloc.record_stream(awaiting, kStreamB);
  alloc.free(awaiting);
  EXPECT_THROW(alloc.allocate(4 * MiB, kStreamA), OutOfMemoryError);
  EXPECT_EQ(device.refused_allocs(), 2) << "tried, emptied the cache, tried once more";
  EXPECT_EQ(alloc.stats().reserved_bytes, 4 * MiB);
  EXPECT_EQ(alloc.stats().raw_frees, 0u);
  alloc.free(in_use);
}

TEST(CachingAllocatorTest, TheOutOfMemoryMessageSaysWhatIsHeldAndWhatToDo) {
  FakeDevice device(64 * MiB);
  CachingAllocator alloc(device, options(16 * MiB, "gpu(3)"));
  Block* held = alloc.allocate(10 * MiB, kStreamA);
  try {
    alloc.allocate(8 * MiB, kStreamA);
    FAIL() << "8 MiB more must pass the 16 MiB limit";
  } catch (const ndflow::DeviceError& e) {  // OutOfMemoryError is a DeviceError
    EXPECT_NE(dynamic_cast<const OutOfMemoryError*>(&e), nullptr);
    const std::string message = e.what();
    for (const char* expected : {
             "gpu(3)",
             "8.00 MiB (8388608 bytes)",         // requested
             "54.00 MiB (56623104 bytes) free",  // the device's answer
             "10.00 MiB (10485760 bytes) reserved",
             "10.00 MiB (10485760 bytes) is allocated",
             "limit (NDFLOW_GPU_MEMORY_LIMIT) is 16.00 MiB",
             "free arrays",
             "batch size",
             "raise NDFLOW_GPU_MEMORY_LIMIT",
         })
      EXPECT_NE(message.find(expected), std::string::npos) << expected << "\n" << message;
  }
  alloc.free(held);
}

TEST(CachingAllocatorTest, WithoutALimitTheMessageDoesNotSuggestRaisingOne) {
  FakeDevice device(4 * MiB);
  CachingAllocator alloc(device, options());
  try {
    alloc.allocate(8 * MiB, kStreamA);
    FAIL() << "the device has 4 MiB";
  } catch (const OutOfMemoryError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("4.00 MiB (4194304 bytes) free"), std::string::npos) << message;
    EXPECT_EQ(message.find("limit"), std::string::npos) << message;
  }
}

TEST(CachingAllocatorTest, WhenTheDeviceRefusesBelowTheLimitRaisingItIsNotSuggested) {
  FakeDevice device(4 * MiB);
  CachingAllocator alloc(device, options(64 * MiB));
  try {
    alloc.allocate(8 * MiB, kStreamA);
    FAIL() << "the device has 4 MiB";
  } catch (const OutOfMemoryError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("limit (NDFLOW_GPU_MEMORY_LIMIT) is 64.00 MiB"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("would pass"), std::string::npos) << message;
    EXPECT_EQ(message.find("raise"), std::string::npos) << message;
  }
}

TEST(CachingAllocatorTest, AnAbsurdRequestIsOutOfMemoryNotAnOverflow) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  EXPECT_THROW(alloc.allocate(SIZE_MAX, kStreamA), OutOfMemoryError);
  EXPECT_THROW(alloc.allocate(SIZE_MAX - 100, kStreamA), OutOfMemoryError);
}

TEST(CachingAllocatorTest, ADeviceThatRefusesOnceSucceedsOnTheRetry) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  device.refuse_next_allocs(1);
  Block* b = alloc.allocate(1 * MiB, kStreamA);
  EXPECT_EQ(device.refused_allocs(), 1);
  alloc.free(b);
}

// ---- allocators sharing one device (logical GPUs) ----

// Two allocators over one device's memory, each asking both to empty their caches when the
// device refuses it (as gpu_device.cc wires logical GPUs of one physical GPU).
struct SharedDevice {
  explicit SharedDevice(std::size_t capacity, std::optional<std::size_t> limit = std::nullopt)
      : device(capacity) {
    for (int i = 0; i < 2; ++i) {
      CachingAllocatorOptions o = options(limit, "gpu(" + std::to_string(i) + ")");
      o.reclaim_shared_memory = [this] {
        ++reclaims;
        for (auto& a : allocators) a->empty_cache();
      };
      allocators[i] = std::make_unique<CachingAllocator>(device, std::move(o));
    }
  }
  CachingAllocator& operator[](int i) { return *allocators[i]; }

  FakeDevice device;
  std::unique_ptr<CachingAllocator> allocators[2];
  std::atomic<int> reclaims{0};
};

TEST(CachingAllocatorTest, WhenTheDeviceRefusesTheOthersSharingItEmptyTheirCachesFirst) {
  SharedDevice shared(6 * MiB);
  shared[0].free(shared[0].allocate(4 * MiB, kStreamA));  // cached by gpu(0)
  Block* b = shared[1].allocate(4 * MiB, kStreamB);
  EXPECT_EQ(shared.reclaims, 1);
  EXPECT_EQ(shared[0].stats().reserved_bytes, 0u) << "gpu(0) gave its cached segment back";
  EXPECT_EQ(shared[1].stats().reserved_bytes, 4 * MiB);
  shared[1].free(b);
}

TEST(CachingAllocatorTest, SharedMemoryIsNotReclaimedWhenTheCacheOrTheLimitDecides) {
  SharedDevice shared(64 * MiB, 4 * MiB);
  shared[0].free(shared[0].allocate(2 * MiB, kStreamA));
  shared[1].free(shared[1].allocate(2 * MiB, kStreamA));
  Block* hit = shared[1].allocate(2 * MiB, kStreamA);                     // from its own cache
  EXPECT_THROW(shared[1].allocate(4 * MiB, kStreamA), OutOfMemoryError);  // past its limit
  EXPECT_EQ(shared.reclaims, 0) << "others' caches cannot help within one's own limit";
  EXPECT_EQ(shared[0].stats().reserved_bytes, 2 * MiB);
  shared[1].free(hit);
}

TEST(CachingAllocatorTest, OutOfSharedMemoryAfterReclaimingIsStillAClearError) {
  SharedDevice shared(6 * MiB);
  Block* held = shared[0].allocate(4 * MiB, kStreamA);  // in use: cannot be reclaimed
  try {
    shared[1].allocate(4 * MiB, kStreamB);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory on gpu(1)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(shared.reclaims, 1) << "reclaimed once, then gave up";
  shared[0].free(held);
}

// Both allocators run out at once, each emptying the other's cache while the other may be
// doing the same to it: no deadlock, no overlap. An allocation may still fail when the
// other takes the memory back first; that is out of memory, not a bug. Run under TSan.
TEST(CachingAllocatorTest, AllocatorsReclaimingFromEachOtherAtOnceNeverDeadlock) {
  SharedDevice shared(6 * MiB);  // room for one allocator's largest segment and a bit
  std::atomic<int> out_of_memory{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      const Stream mine{static_cast<std::uintptr_t>(10 + t)};
      for (int i = 0; i < 400; ++i) {
        // Each allocator keeps a segment of up to 4 MiB cached, which the other's next
        // segment needs back.
        const std::size_t bytes = (2 + (i + t) % 3) * MiB;
        try {
          shared[t].free(shared[t].allocate(bytes, mine));
        } catch (const OutOfMemoryError&) {
          ++out_of_memory;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(shared.reclaims, 0);
  EXPECT_LT(out_of_memory, 800);
  for (int i = 0; i < 2; ++i) shared[i].empty_cache();
  EXPECT_EQ(shared.device.live_bytes(), 0u);
}

// ---- empty_cache, stats, destruction ----

TEST(CachingAllocatorTest, EmptyCacheReturnsOnlyEntirelyFreeSegments) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* free_later = alloc.allocate(4 * MiB, kStreamA);
  Block* small_in_use = alloc.allocate(512, kStreamA);
  Block* small_freed = alloc.allocate(512, kStreamA);  // same segment as small_in_use
  alloc.free(free_later);
  alloc.free(small_freed);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes, 2 * MiB);
  EXPECT_EQ(alloc.stats().raw_frees, 1u);
  EXPECT_EQ(device.live_bytes(), 2 * MiB);
  alloc.free(small_in_use);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes, 0u);
  EXPECT_EQ(device.live_bytes(), 0u);
}

TEST(CachingAllocatorTest, AFailedRawFreeKeepsTheSegmentCachedAndFree) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* block = alloc.allocate(8 * MiB, kStreamA);
  const std::uintptr_t where = address(block);
  alloc.free(block);
  device.fail_next_frees(1);
  EXPECT_THROW(alloc.empty_cache(), std::runtime_error);
  EXPECT_EQ(alloc.stats().reserved_bytes, 8 * MiB);
  EXPECT_EQ(alloc.stats().raw_frees, 0u);
  EXPECT_EQ(device.live_segments(), 1u);
  // Still in the cache: handed out again without asking the device, and given back later.
  block = alloc.allocate(8 * MiB, kStreamA);
  EXPECT_EQ(address(block), where);
  EXPECT_EQ(alloc.stats().raw_allocs, 1u);
  alloc.free(block);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().reserved_bytes, 0u);
  EXPECT_EQ(device.live_segments(), 0u);
}

TEST(CachingAllocatorTest, StatsCountAllocatedReservedPeakRawCallsAndHits) {
  FakeDevice device;
  CachingAllocator alloc(device, options());
  Block* a = alloc.allocate(1000, kStreamA);     // 1 KiB, new small segment
  Block* b = alloc.allocate(3 * MiB, kStreamA);  // 4 MiB block, new large segment
  alloc.free(a);
  Block* c = alloc.allocate(1000, kStreamA);  // cache hit
  auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes, 1 * KiB + 4 * MiB);
  EXPECT_EQ(s.peak_allocated_bytes, 1 * KiB + 4 * MiB);
  EXPECT_EQ(s.reserved_bytes, 6 * MiB);
  EXPECT_EQ(s.allocations, 3u);
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.raw_allocs, 2u);
  EXPECT_EQ(s.raw_frees, 0u);
  alloc.free(b);
  alloc.free(c);
  alloc.empty_cache();
  s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes, 0u);
  EXPECT_EQ(s.peak_allocated_bytes, 1 * KiB + 4 * MiB);
  EXPECT_EQ(s.reserved_bytes, 0u);
  EXPECT_EQ(s.raw_frees, 2u);
}

TEST(CachingAllocatorTest, DestructionReturnsEverySegmentAndEvent) {
  FakeDevice device;
  {
    CachingAllocator alloc(device, options());
    Block* a = alloc.allocate(1000, kStreamA);
    Block* b = alloc.allocate(5 * MiB, kStreamA);
    alloc.record_stream(b, kStreamB);
    alloc.free(a);
    alloc.free(b);  // still awaiting its event at destruction
    EXPECT_EQ(device.live_events(), 1u);
  }
  EXPECT_EQ(device.live_bytes(), 0u);
  EXPECT_EQ(device.live_events(), 0u);
}

TEST(CachingAllocatorDeathTest, DestroyingWithABlockStillAllocatedAssertsInDebugBuilds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  FakeDevice device;
  EXPECT_DEBUG_DEATH(
      {
        CachingAllocator alloc(device, options());
        alloc.allocate(1000, kStreamA);
      },
      "outlived its allocator");
}

// ---- NDFLOW_GPU_MEMORY_LIMIT ----

TEST(ByteSizeTest, ParsesPlainBytesAndBinarySuffixes) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("512K"), 512 * KiB);
  EXPECT_EQ(parse_byte_size("512KiB"), 512 * KiB);
  EXPECT_EQ(parse_byte_size("64M"), 64 * MiB);
  EXPECT_EQ(parse_byte_size("64mib"), 64 * MiB);
  EXPECT_EQ(parse_byte_size("2G"), 2048 * MiB);
  EXPECT_EQ(parse_byte_size("2GiB"), 2048 * MiB);
  EXPECT_EQ(parse_byte_size(" 3 GiB "), 3072 * MiB);
  EXPECT_EQ(parse_byte_size("1g"), 1024 * MiB);
}

TEST(ByteSizeTest, RejectsGarbageSayingWhatIsExpected) {
  for (const char* bad : {"", " ", "abc", "G", "12X", "12 KB", "-5", "+5", "1.5G", "0", "0G",
                          "99999999999999999999", "17179869184G", "8GiB extra"}) {
    try {
      parse_byte_size(bad);
      ADD_FAILURE() << "\"" << bad << "\" parsed";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(std::string("\"") + bad + "\""), std::string::npos) << message;
      EXPECT_NE(message.find("KiB, MiB or GiB"), std::string::npos) << message;
    }
  }
}

// Sets NDFLOW_GPU_MEMORY_LIMIT for one test and restores it after.
class ScopedLimitVariable {
 public:
  explicit ScopedLimitVariable(const char* value) {
    if (const char* old = std::getenv(kName)) old_ = old;
    if (value != nullptr)
      setenv(kName, value, 1);
    else
      unsetenv(kName);
  }
  ~ScopedLimitVariable() {
    if (old_)
      setenv(kName, old_->c_str(), 1);
    else
      unsetenv(kName);
  }

 private:
  static constexpr const char* kName = "NDFLOW_GPU_MEMORY_LIMIT";
  std::optional<std::string> old_;
};

TEST(ByteSizeTest, TheEnvironmentVariableIsOptionalAndParsed) {
  {
    ScopedLimitVariable unset(nullptr);
    EXPECT_EQ(memory_limit_from_env(), std::nullopt);
  }
  {
    ScopedLimitVariable empty("");
    EXPECT_EQ(memory_limit_from_env(), std::nullopt);
  }
  {
    ScopedLimitVariable set("6GiB");
    EXPECT_EQ(memory_limit_from_env(), 6 * 1024 * MiB);
  }
  ScopedLimitVariable garbage("lots");
  try {
    memory_limit_from_env();
    FAIL() << "\"lots\" parsed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("NDFLOW_GPU_MEMORY_LIMIT: invalid byte size \"lots\""),
              std::string::npos)
        << e.what();
  }
}

// ---- many threads ----

// Pushing threads allocate on their streams while "workers" free what others allocated,
// some of it after use on another stream whose events a third thread completes. Blocks
// handed out at the same time must never overlap. Run under TSan by scripts/test.
TEST(CachingAllocatorTest, ConcurrentAllocateFreeAndEventsNeverHandOutOverlappingBlocks) {
  FakeDevice device;
  CachingAllocator alloc(device, options(1024 * MiB));
  constexpr int kThreads = 4;
  constexpr int kIterations = 3000;

  std::mutex live_mutex;
  std::map<std::uintptr_t, std::size_t> live;  // address -> size of blocks handed out
  auto claim = [&](Block* b) {
    std::lock_guard lock(live_mutex);
    const auto next = live.lower_bound(address(b));
    if (next != live.end()) {
      ASSERT_LE(address(b) + b->size(), next->first) << "overlap";
    }
    if (next != live.begin()) {
      const auto prev = std::prev(next);
      ASSERT_LE(prev->first + prev->second, address(b)) << "overlap";
    }
    live[address(b)] = b->size();
  };
  auto release = [&](Block* b) {
    std::lock_guard lock(live_mutex);
    live.erase(address(b));
  };

  std::mutex handoff_mutex;
  std::vector<Block*> handoff;  // allocated by one thread, freed by another
  std::atomic<bool> done{false};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::uniform_int_distribution<std::size_t> small(1, 256 * KiB);
      std::uniform_int_distribution<std::size_t> large(1 * MiB + 1, 6 * MiB);
      const Stream mine{static_cast<std::uintptr_t>(10 + t)};
      std::vector<Block*> held;
      for (int i = 0; i < kIterations; ++i) {
        const std::size_t bytes = rng() % 8 == 0 ? large(rng) : small(rng);
        Block* b = alloc.allocate(bytes, mine);
        claim(b);
        if (rng() % 4 == 0) alloc.record_stream(b, Stream{static_cast<std::uintptr_t>(rng() % 3)});
        if (rng() % 3 == 0) {
          release(b);  // before it is freed: once freed, another thread may be given it
          std::lock_guard lock(handoff_mutex);
          handoff.push_back(b);
        } else {
          held.push_back(b);
        }
        if (held.size() > 8) {
          release(held.front());
          alloc.free(held.front());
          held.erase(held.begin());
        }
        std::vector<Block*> to_free;
        {
          std::lock_guard lock(handoff_mutex);
          if (handoff.size() > 4) to_free.swap(handoff);
        }
        for (Block* f : to_free) alloc.free(f);
      }
      for (Block* b : held) {
        release(b);
        alloc.free(b);
      }
    });
  }
  std::thread completer([&] {
    std::uint64_t round = 0;
    while (!done.load()) {
      device.complete_events_on(Stream{round++ % 3});
      std::this_thread::yield();
    }
  });
  for (std::thread& t : threads) t.join();
  for (Block* b : handoff) alloc.free(b);
  done = true;
  completer.join();

  for (std::uintptr_t s = 0; s < 3; ++s) device.complete_events_on(Stream{s});
  alloc.empty_cache();
  const auto s = alloc.stats();
  EXPECT_EQ(s.allocated_bytes, 0u);
  EXPECT_EQ(s.blocks_awaiting_events, 0u);
  EXPECT_EQ(s.reserved_bytes, 0u);
  EXPECT_EQ(device.live_bytes(), 0u);
  EXPECT_EQ(device.live_events(), 0u);
  EXPECT_EQ(s.allocations, static_cast<std::uint64_t>(kThreads) * kIterations);
  EXPECT_GT(s.cache_hits, 0u);
  EXPECT_GT(device.events_recorded(), 0);
}

}  // namespace
