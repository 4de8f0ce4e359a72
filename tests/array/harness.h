// The differential harness of the array tests: random inputs over awkward shapes (0-d,
// size-0, broadcasting, non-contiguous views) and references computed in double precision
// on the host. Each op's test declares the op once (its ndflow call and its reference) and
// runs it through these.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "array/array_impl.h"
#include "ndflow/array.h"

namespace ndflow_test {

using ndflow::Array;
using ndflow::DType;
using ndflow::Shape;

inline const std::vector<DType>& all_dtypes() {
  static const std::vector<DType> d = {ndflow::kBool,  ndflow::kUInt8,   ndflow::kInt32,
                                       ndflow::kInt64, ndflow::kFloat32, ndflow::kFloat64};
  return d;
}

// Shapes every op should handle: 0-d, size-0 dims, size-1 dims, a few ordinary ones.
inline const std::vector<Shape>& awkward_shapes() {
  static const std::vector<Shape> s = {Shape{},     Shape{0},       Shape{1},       Shape{7},
                                       Shape{3, 4}, Shape{2, 0, 3}, Shape{1, 5, 1}, Shape{2, 3, 4}};
  return s;
}

// A host copy of an array's values as double, row-major, with its shape.
struct Ref {
  Shape shape;
  std::vector<double> v;
};
inline Ref ref_of(const Array& a) { return {a.shape(), a.to_vector<double>()}; }

// A value suited to the dtype: small enough that sums and products stay exact-ish.
inline double random_value(std::mt19937_64& rng, DType dtype) {
  switch (dtype) {
    case ndflow::kBool:
      return static_cast<double>(rng() & 1);
    case ndflow::kUInt8:
      return static_cast<double>(rng() % 10);
    case ndflow::kInt32:
    case ndflow::kInt64:
      return static_cast<double>(static_cast<int>(rng() % 21) - 10);
    default:
      return std::uniform_real_distribution<double>(-2.0, 2.0)(rng);
  }
}

// A random array. With `strided`, a non-contiguous view: every other element of a buffer
// twice as long in the last dim (or a transposed buffer for 2-d), so kernels see strides.
inline Array random_array(std::mt19937_64& rng, const Shape& shape, DType dtype,
                          bool strided = false) {
  Shape base_shape = shape;
  if (strided && shape.ndim() > 0) base_shape[shape.ndim() - 1] *= 2;
  std::vector<double> values(static_cast<std::size_t>(base_shape.numel()));
  for (double& x : values) x = random_value(rng, dtype);
  Array base = ndflow::visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> typed(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) typed[i] = static_cast<T>(values[i]);
    if constexpr (std::is_same_v<T, bool>) {
      std::unique_ptr<bool[]> raw(new bool[typed.size() + 1]);
      for (std::size_t i = 0; i < typed.size(); ++i) raw[i] = typed[i];
      return ndflow::from_data(raw.get(), base_shape);
    } else {
      return ndflow::from_data(typed.data(), base_shape);
    }
  });
  if (!strided || shape.ndim() == 0) return base;
  Shape strides = base.strides();
  strides[shape.ndim() - 1] *= 2;
  return ndflow::detail::make_view(base, shape, strides, 0);
}

// NumPy's broadcast shape of two shapes, or false when they do not broadcast.
inline bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  const int n = std::max(a.ndim(), b.ndim());
  std::vector<std::int64_t> dims(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.ndim() ? 1 : a[i - (n - a.ndim())];
    const std::int64_t db = i < n - b.ndim() ? 1 : b[i - (n - b.ndim())];
    if (da != db && da != 1 && db != 1) return false;
    dims[static_cast<std::size_t>(i)] = da == 1 ? db : da;
  }
  *out = Shape(dims);
  return true;
}

// Index of the element of `from` (row-major) that broadcasts to flat index `i` of `to`.
inline std::size_t broadcast_index(const Shape& from, const Shape& to, std::int64_t i) {
  std::int64_t index = 0, stride = 1;
  for (int d = to.ndim() - 1; d >= 0; --d) {
    const std::int64_t coord = i % to[d];
    i /= to[d];
    const int fd = d - (to.ndim() - from.ndim());
    if (fd >= 0) {
      if (from[fd] != 1) index += coord * stride;
      stride *= from[fd];
    }
  }
  return static_cast<std::size_t>(index);
}

// The reference of a broadcasting element-wise op.
inline Ref ref_binary(const Ref& a, const Ref& b, const std::function<double(double, double)>& f) {
  Ref out;
  EXPECT_TRUE(broadcast_shapes(a.shape, b.shape, &out.shape));
  out.v.resize(static_cast<std::size_t>(out.shape.numel()));
  for (std::int64_t i = 0; i < out.shape.numel(); ++i)
    out.v[static_cast<std::size_t>(i)] =
        f(a.v[broadcast_index(a.shape, out.shape, i)], b.v[broadcast_index(b.shape, out.shape, i)]);
  return out;
}

// Shape and values equal within rtol/atol (NaNs equal NaNs); names the first mismatch.
inline ::testing::AssertionResult AllClose(const Array& got, const Ref& want, double rtol = 1e-6,
                                           double atol = 1e-6) {
  if (!(got.shape() == want.shape))
    return ::testing::AssertionFailure()
           << "shape " << got.shape().to_string() << ", expected " << want.shape.to_string();
  const std::vector<double> v = got.to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double a = v[i], b = want.v[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (std::isinf(a) && a == b) continue;
    if (!(std::fabs(a - b) <= atol + rtol * std::fabs(b)))
      return ::testing::AssertionFailure() << "element " << i << " is " << a << ", expected " << b
                                           << " (shape " << want.shape.to_string() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Tolerances for a result dtype: exact for integers, float32 rounding for float32.
inline double rtol_for(DType t) {
  return t == ndflow::kFloat32 ? 1e-5 : t == ndflow::kFloat64 ? 1e-12 : 0;
}

}  // namespace ndflow_test
