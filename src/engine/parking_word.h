// A word that threads sleep on until it changes: std::atomic's wait and notify_all, plus
// a wait with a timeout, which the standard's lacks. An interruptible wait sleeps only
// until its next check (include/ndflow/wait_interruption.h).
//
// On Linux both sides are futex calls on the word, so a timed sleeper is woken by the same
// notify as an untimed one. Elsewhere the timed wait polls.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>
#endif

namespace ndflow::detail {

class ParkingWord {
 public:
  std::uint32_t load() const noexcept { return word_.load(std::memory_order_seq_cst); }

  // Changes the word and wakes every thread sleeping on it.
  void bump_and_wake_all() noexcept {
    word_.fetch_add(1, std::memory_order_seq_cst);
#if defined(__linux__)
    futex(FUTEX_WAKE_PRIVATE, INT_MAX, nullptr);
#else
    word_.notify_all();
#endif
  }

  // Sleeps while the word is `seen`: until woken, or (rarely) for no reason.
  void wait(std::uint32_t seen) noexcept {
#if defined(__linux__)
    futex(FUTEX_WAIT_PRIVATE, seen, nullptr);
#else
    word_.wait(seen, std::memory_order_seq_cst);
#endif
  }

  // The same, but no later than `deadline` (give or take the timer's slack).
  template <class Clock, class Duration>
  void wait_until(std::uint32_t seen, std::chrono::time_point<Clock, Duration> deadline) noexcept {
    const auto left = deadline - Clock::now();
    if (left <= Duration::zero()) return;
#if defined(__linux__)
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                           static_cast<long>(ns % 1'000'000'000)};
    futex(FUTEX_WAIT_PRIVATE, seen, &timeout);  // a relative timeout on the monotonic clock
#else
    if (load() == seen)
      std::this_thread::sleep_for(std::min<decltype(left)>(left, std::chrono::milliseconds(1)));
#endif
  }

 private:
#if defined(__linux__)
  // The word is the atomic's only member, so its address is the futex's.
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
  void futex(int op, std::uint32_t value, const timespec* timeout) noexcept {
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word_), op, value, timeout, nullptr,
                  0);
  }
#endif

  std::atomic<std::uint32_t> word_{0};
};

}  // namespace ndflow::detail
