// Walking K same-shaped strided operands in row-major order, one innermost run at a time.
// Every CPU kernel over views (element-wise, casts, copies, reductions' inputs) uses it.
//
// Dims are coalesced first: adjacent dims that are contiguous for every operand merge, so a
// contiguous array is walked as one run and the kernel's inner loop vectorises.
#pragma once

#include <array>
#include <cstdint>

#include "ndflow/shape.h"

namespace ndflow::detail {

template <int K>
struct StridedPlan {
  int ndim = 0;
  std::int64_t shape[Shape::kMaxDims];
  std::int64_t strides[K][Shape::kMaxDims];  // in bytes

  // strides[k] are operand k's strides in elements (0 where broadcast) over `shape`.
  StridedPlan(const Shape& full_shape, const std::array<const Shape*, K>& element_strides,
              const std::array<std::int64_t, K>& itemsize) {
    for (int d = 0; d < full_shape.ndim(); ++d) {
      if (full_shape[d] == 1) continue;  // size-1 dims do not move
      const bool merge = ndim > 0 && [&] {
        for (int k = 0; k < K; ++k)
          if (strides[k][ndim - 1] != (*element_strides[k])[d] * itemsize[k] * full_shape[d])
            return false;
        return true;
      }();
      if (merge) {
        shape[ndim - 1] *= full_shape[d];
        for (int k = 0; k < K; ++k) strides[k][ndim - 1] = (*element_strides[k])[d] * itemsize[k];
      } else {
        shape[ndim] = full_shape[d];
        for (int k = 0; k < K; ++k) strides[k][ndim] = (*element_strides[k])[d] * itemsize[k];
        ++ndim;
      }
    }
    if (ndim == 0) {  // 0-d, or all dims of size 1: a single element
      shape[0] = 1;
      for (int k = 0; k < K; ++k) strides[k][0] = itemsize[k];
      ndim = 1;
    }
    for (int d = 0; d < ndim; ++d)
      if (shape[d] == 0) empty = true;
  }
  bool empty = false;

  std::int64_t numel() const {
    if (empty) return 0;
    std::int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= shape[d];
    return n;
  }

  // Calls run(ptrs, inner_strides_in_bytes, count) for every innermost run covering the
  // elements [begin, end) in row-major order.
  template <class Run>
  void for_each_run(std::array<char*, K> base, std::int64_t begin, std::int64_t end,
                    Run&& run) const {
    if (empty || begin >= end) return;
    const int inner = ndim - 1;
    std::int64_t index[Shape::kMaxDims];
    std::int64_t rest = begin;
    for (int d = ndim - 1; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    std::array<char*, K> ptr;
    for (int k = 0; k < K; ++k) {
      ptr[k] = base[k];
      for (int d = 0; d < ndim; ++d) ptr[k] += index[d] * strides[k][d];
    }
    std::array<std::int64_t, K> step;
    for (int k = 0; k < K; ++k) step[k] = strides[k][inner];
    std::int64_t remaining = end - begin;
    while (remaining > 0) {
      const std::int64_t count = std::min(remaining, shape[inner] - index[inner]);
      run(ptr, step, count);
      remaining -= count;
      // Advance to the start of the next run: carry through the outer dims.
      for (int k = 0; k < K; ++k) ptr[k] += (count - 1) * strides[k][inner];
      index[inner] += count - 1;
      for (int d = inner; d >= 0; --d) {
        if (++index[d] < shape[d]) {
          for (int k = 0; k < K; ++k) ptr[k] += strides[k][d];
          break;
        }
        for (int k = 0; k < K; ++k) ptr[k] -= (shape[d] - 1) * strides[k][d];
        index[d] = 0;
      }
    }
  }
};

}  // namespace ndflow::detail
