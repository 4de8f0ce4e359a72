// How a BLAS library (OpenBLAS on the CPU, cuBLAS on a GPU) can read a rows x cols matrix
// with element strides (rs, cs) in place, if at all: row-major with leading dimension rs,
// or transposed (column-major) with leading dimension cs. Anything else (a broadcast
// stride 0, a negative stride, overlapping rows) must be packed first or computed by a plain
// loop. Shared by both backends so that they accept the same layouts.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ndflow::detail {

struct GemmLayout {
  bool ok = false;
  bool transposed = false;  // stored column-major: BLAS reads it with "transpose"
  std::int64_t ld = 0;      // the leading dimension BLAS gets
};

inline constexpr GemmLayout gemm_layout(std::int64_t rows, std::int64_t cols, std::int64_t rs,
                                        std::int64_t cs) {
  const std::int64_t need_row = std::max<std::int64_t>(1, cols);
  const std::int64_t need_col = std::max<std::int64_t>(1, rows);
  // A single row or column has no leading dimension to speak of: BLAS only asks that it
  // be at least the minimum.
  if ((cols == 1 || cs == 1) && (rows == 1 || rs >= need_row))
    return {true, false, rows == 1 ? need_row : rs};
  if ((rows == 1 || rs == 1) && (cols == 1 || cs >= need_col))
    return {true, true, cols == 1 ? need_col : cs};
  return {};
}

}  // namespace ndflow::detail
