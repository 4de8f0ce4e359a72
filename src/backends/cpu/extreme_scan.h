// The extreme (max or min) of a contiguous run, NaN-propagating, found with vector selects
// but answered exactly as the sequential scan would: the same element, so the same bits (which
// of -0 and +0) and the same index.
//
// The sequential scan keeps `best` and takes an element x when x is NaN (then stops) or x is
// strictly better. Over a stretch of elements it therefore ends on the first NaN, or else on
// the first element equal to the stretch's extreme when that beats `best`. scan_extreme finds
// each stretch's extreme with selects over kLanes independent lanes (which the compiler
// vectorises, as no branch depends on the data), a NaN sticking in its lane, and reads the
// stretch again element by element only when it holds a NaN or beats `best`: for most data a
// few stretches, for a sorted run every one.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ndflow::detail::cpu {

template <class T>
constexpr bool is_nan(T v) noexcept {
  if constexpr (std::is_floating_point_v<T>)
    return v != v;
  else
    return false;
}

// Strictly better: larger for kMax, smaller otherwise, so a tie keeps the earlier element.
template <class T, bool kMax>
constexpr bool beats(T x, T best) noexcept {
  return kMax ? x > best : x < best;
}

// Whether a NaN-propagating scan holding `best` takes x in its place: never once best is
// NaN; then a NaN always; otherwise x when it is strictly better.
template <class T, bool kMax>
constexpr bool takes(T x, T best) noexcept {
  return !is_nan(best) && (is_nan(x) || beats<T, kMax>(x, best));
}

// The index of the first element of q[begin, end) equal to `v`, which one is: kLanes at a
// time (an OR of comparisons, vectorised), then one by one in the kLanes that hold it.
template <class T, int kLanes>
std::int64_t first_equal(const T* q, std::int64_t begin, std::int64_t end, T v) {
  std::int64_t j = begin;
  for (; j + kLanes <= end; j += kLanes) {
    int hit = 0;
    for (int w = 0; w < kLanes; ++w) hit |= q[j + w] == v;
    if (hit) break;
  }
  while (!(q[j] == v)) ++j;
  return j;
}

// The index in q[0, count) of the element a sequential scan starting from `best` (not NaN)
// ends on, or -1 when `best` stands. kMax: the largest; otherwise the smallest.
template <class T, bool kMax>
std::int64_t scan_extreme(const T* q, std::int64_t count, T best) {
  // 128 bytes of lanes: enough independent selects in flight to hide their latency.
  constexpr int kLanes = 128 / sizeof(T);
  // Short enough that a stretch read again is still in L1.
  constexpr std::int64_t kStretch = 64 * kLanes;
  std::int64_t found = -1;
  for (std::int64_t begin = 0; begin < count; begin += kStretch) {
    const std::int64_t end = begin + kStretch < count ? begin + kStretch : count;
    T top = q[begin];  // the stretch's extreme, NaN if it holds one
    std::int64_t i = begin + 1;
    if (end - begin >= 2 * kLanes) {
      T lane[kLanes];
      for (int w = 0; w < kLanes; ++w) lane[w] = q[begin + w];
      for (i = begin + kLanes; i + kLanes <= end; i += kLanes)
        for (int w = 0; w < kLanes; ++w) {
          const T x = q[i + w], l = lane[w];
          lane[w] = is_nan(x) || beats<T, kMax>(x, l) ? x : l;
        }
      top = lane[0];
      for (int w = 1; w < kLanes; ++w)
        if (takes<T, kMax>(lane[w], top)) top = lane[w];
    }
    for (; i < end; ++i)
      if (takes<T, kMax>(q[i], top)) top = q[i];
    if (is_nan(top)) {
      for (std::int64_t j = begin;; ++j)
        if (is_nan(q[j])) return j;
    }
    if (beats<T, kMax>(top, best)) {
      found = first_equal<T, kLanes>(q, begin, end, top);
      best = q[found];
    }
  }
  return found;
}

}  // namespace ndflow::detail::cpu
