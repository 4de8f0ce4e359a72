// Creation from ranges: arange, linspace and eye against NumPy's definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"

namespace ndflow_test {
namespace {

// A double value stored in `t`, read back as double (the reference of a fill).
double stored_as(DType t, double v) {
  return ndflow::visit_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      return v != 0 ? 1.0 : 0.0;
    else
      return static_cast<double>(static_cast<T>(v));
  });
}

Ref ref_arange(double start, double stop, double step, DType t) {
  const double len = std::ceil((stop - start) / step);
  const std::int64_t n = len > 0 ? static_cast<std::int64_t>(len) : 0;
  Ref r{Shape{n}, {}};
  for (std::int64_t i = 0; i < n; ++i) r.v.push_back(stored_as(t, start + i * step));
  return r;
}

TEST(RangeCreationTest, ArangeMatchesNumPy) {
  struct Case {
    double start, stop, step;
    std::int64_t len;
  };
  const std::vector<Case> cases = {
      {0, 5, 1, 5},   {5, 0, -1, 5},  {0, 1, 0.1, 10}, {2, -1, -0.5, 6},
      {1, 2, 0.3, 4}, {5, 0, 1, 0},   {0, 0, 1, 0},    {0, 5, -1, 0},
      {-3, 3, 2, 3},  {0.5, 4, 1, 4}, {0, 1, 3, 1},    {-1, -10, -4, 3},
  };
  for (const Case& c : cases) {
    for (DType t : all_dtypes()) {
      Array a = ndflow::arange(c.start, c.stop, c.step, t);
      EXPECT_EQ(a.dtype(), t);
      ASSERT_EQ(a.shape(), Shape{c.len}) << c.start << " " << c.stop << " " << c.step;
      if (t == ndflow::kUInt8 && (c.start < 0 || c.stop < -1)) continue;  // negative to uint8
      EXPECT_TRUE(AllClose(a, ref_arange(c.start, c.stop, c.step, t), 0, 0))
          << c.start << " " << c.stop << " " << c.step << " " << ndflow::dtype_name(t);
    }
  }
  // The default dtype is float32 and the default step 1.
  Array d = ndflow::arange(0, 3);
  EXPECT_EQ(d.dtype(), ndflow::kFloat32);
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(ndflow::arange(-2.5, 1, 1, ndflow::kInt64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-2, -1, 0, 0}));  // -2.5, -1.5, -0.5, 0.5 truncated
}

TEST(RangeCreationTest, ArangeRejectsAZeroStepAtTheCall) {
  try {
    ndflow::arange(0, 5, 0);
    FAIL() << "a zero step should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("step"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ndflow::arange(0, INFINITY, 1), ndflow::ShapeError);
  EXPECT_THROW(ndflow::arange(0, NAN, 1), ndflow::ShapeError);
  EXPECT_THROW(ndflow::arange(0, 5, 1, ndflow::kFloat32, ndflow::Device::gpu(0)),
               ndflow::DeviceError);
}

TEST(RangeCreationTest, LargeArangeIsSplitAcrossWorkersAndExact) {
  const std::int64_t n = (std::int64_t{1} << 20) + 5;
  Array a = ndflow::arange(0, static_cast<double>(n), 1, ndflow::kFloat64);
  const std::vector<double> v = a.to_vector<double>();
  ASSERT_EQ(static_cast<std::int64_t>(v.size()), n);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(v[static_cast<std::size_t>(i)], i);
  Array b = ndflow::arange(10, -static_cast<double>(n), -1, ndflow::kInt32);
  const std::vector<std::int32_t> w = b.to_vector<std::int32_t>();
  ASSERT_EQ(static_cast<std::int64_t>(w.size()), n + 10);
  for (std::size_t i = 0; i < w.size(); ++i) ASSERT_EQ(w[i], 10 - static_cast<std::int32_t>(i));
}

TEST(RangeCreationTest, LinspaceMatchesNumPy) {
  EXPECT_EQ(ndflow::linspace(0, 1, 5, true, ndflow::kFloat64).to_vector<double>(),
            (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(ndflow::linspace(0, 1, 5, false, ndflow::kFloat64).to_vector<double>(),
            (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8}));
  EXPECT_EQ(ndflow::linspace(2, -2, 3, true, ndflow::kFloat32).to_vector<float>(),
            (std::vector<float>{2, 0, -2}));
  // The last sample is exactly stop, whatever the rounding of the steps.
  const std::vector<double> v =
      ndflow::linspace(0, 0.3, 7, true, ndflow::kFloat64).to_vector<double>();
  EXPECT_EQ(v.back(), 0.3);
  for (std::size_t i = 0; i + 1 < v.size(); ++i) EXPECT_EQ(v[i], i * (0.3 / 6));
  // num = 0 and num = 1, with and without the endpoint.
  Array e = ndflow::linspace(0, 1, 0);
  EXPECT_EQ(e.shape(), Shape{0});
  EXPECT_EQ(e.dtype(), ndflow::kFloat32);
  EXPECT_EQ(ndflow::linspace(3, 7, 1, true, ndflow::kFloat64).to_vector<double>(),
            (std::vector<double>{3}));
  EXPECT_EQ(ndflow::linspace(3, 7, 1, false, ndflow::kFloat64).to_vector<double>(),
            (std::vector<double>{3}));
  // Integer dtypes take the floor (NumPy >= 1.20).
  EXPECT_EQ(ndflow::linspace(-1, 1, 5, true, ndflow::kInt32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-1, -1, 0, 0, 1}));
  EXPECT_EQ(ndflow::linspace(0, 1, 3, true, ndflow::kBool).to_vector<int>(),
            (std::vector<int>{0, 1, 1}));
  // The default: 50 samples including the endpoint.
  Array d = ndflow::linspace(0, 49);
  EXPECT_EQ(d.shape(), Shape{50});
  EXPECT_EQ(d.to_vector<float>()[49], 49.0f);
  EXPECT_EQ(d.to_vector<float>()[7], 7.0f);
  try {
    ndflow::linspace(0, 1, -1);
    FAIL() << "a negative num should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("-1"), std::string::npos) << e.what();
  }
}

TEST(RangeCreationTest, LargeLinspaceIsSplitAcrossWorkersAndRight) {
  const std::int64_t n = (std::int64_t{1} << 20) + 1;
  const std::vector<double> v =
      ndflow::linspace(-1, 1, n, true, ndflow::kFloat64).to_vector<double>();
  const double step = 2.0 / static_cast<double>(n - 1);
  for (std::int64_t i = 0; i + 1 < n; ++i)
    ASSERT_EQ(v[static_cast<std::size_t>(i)], static_cast<double>(i) * step - 1) << i;
  EXPECT_EQ(v.back(), 1.0);
}

Ref ref_eye(std::int64_t n, std::int64_t m, std::int64_t k) {
  Ref r{Shape{n, m}, {}};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < m; ++j) r.v.push_back(j - i == k ? 1 : 0);
  return r;
}

TEST(RangeCreationTest, EyeWithOffsetsAndRectangles) {
  struct Case {
    std::int64_t n, m, k;
  };
  const std::vector<Case> cases = {{3, -1, 0}, {3, 4, 1}, {4, 3, -2}, {2, 2, 5}, {2, 2, -5},
                                   {0, -1, 0}, {0, 3, 0}, {3, 0, 0},  {1, 1, 0}, {5, 2, -4}};
  for (const Case& c : cases) {
    for (DType t : all_dtypes()) {
      Array e = ndflow::eye(c.n, c.m, c.k, t);
      EXPECT_EQ(e.dtype(), t);
      EXPECT_TRUE(AllClose(e, ref_eye(c.n, c.m < 0 ? c.n : c.m, c.k), 0, 0))
          << c.n << " " << c.m << " " << c.k;
    }
  }
  EXPECT_EQ(ndflow::eye(2).dtype(), ndflow::kFloat32);
  EXPECT_THROW(ndflow::eye(-1), ndflow::ShapeError);
  EXPECT_THROW(ndflow::eye(2, -3), ndflow::ShapeError);
}

TEST(RangeCreationTest, LargeEyeIsSplitAcrossWorkersAndRight) {
  const std::vector<std::uint8_t> v =
      ndflow::eye(1024, 1030, 3, ndflow::kUInt8).to_vector<std::uint8_t>();
  std::int64_t ones = 0;
  for (std::int64_t i = 0; i < 1024; ++i)
    for (std::int64_t j = 0; j < 1030; ++j) {
      const std::uint8_t x = v[static_cast<std::size_t>(i * 1030 + j)];
      ASSERT_EQ(x, j - i == 3 ? 1 : 0) << i << "," << j;
      ones += x;
    }
  EXPECT_EQ(ones, 1024);
}

}  // namespace
}  // namespace ndflow_test
