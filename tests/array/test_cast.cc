// Casts and copies: astype between every pair of dtypes, copy of views, copy_to.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

using ndflow::Device;

// The value `x` (exactly representable in S) converted from S to D as C++ would, except
// float -> uint8, which NumPy (and ndflow) does through int64 (C++ leaves negative
// values undefined there).
template <class S, class D>
double reference_cast(double x) {
  const S s = static_cast<S>(x);
  if constexpr (std::is_same_v<D, bool>) {
    return s != S{0} ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<S> && std::is_same_v<D, std::uint8_t>) {
    return static_cast<double>(static_cast<D>(static_cast<std::int64_t>(s)));
  } else {
    return static_cast<double>(static_cast<D>(s));
  }
}

TEST(CastTest, AstypeBetweenEveryPairOfDtypesMatchesStaticCast) {
  std::mt19937_64 rng(11);
  for (DType from : all_dtypes()) {
    for (DType to : all_dtypes()) {
      for (const Shape& s : awkward_shapes()) {
        for (bool strided : {false, true}) {
          Array a = random_array(rng, s, from, strided);
          const Ref in = ref_of(a);
          Array b = a.astype(to);
          ASSERT_EQ(b.dtype(), to);
          ASSERT_EQ(b.shape(), s);
          EXPECT_TRUE(b.is_contiguous());
          Ref want{s, {}};
          for (double x : in.v) {
            want.v.push_back(ndflow::visit_dtype(from, [&](auto stag) {
              return ndflow::visit_dtype(
                  to, [&](auto dtag) { return reference_cast<decltype(stag), decltype(dtag)>(x); });
            }));
          }
          EXPECT_TRUE(AllClose(b, want, 0, 0))
              << ndflow::dtype_name(from) << " -> " << ndflow::dtype_name(to) << " shape "
              << s.to_string() << (strided ? " strided" : "");
        }
      }
    }
  }
}

TEST(CastTest, FloatToIntTruncatesTowardZeroAndToBoolIsNonzero) {
  Array f = ndflow::from_vector(std::vector<double>{-2.7, -0.5, -0.0, 0.5, 2.7, 1e9}, {6});
  EXPECT_EQ(f.astype(ndflow::kInt32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-2, 0, 0, 0, 2, 1000000000}));
  EXPECT_EQ(f.astype(ndflow::kInt64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-2, 0, 0, 0, 2, 1000000000}));
  EXPECT_EQ(f.astype(ndflow::kBool).to_vector<int>(), (std::vector<int>{1, 1, 0, 1, 1, 1}));
  // Through int64, then modulo 256, as NumPy does on x86.
  Array g = ndflow::from_vector(std::vector<float>{300.7f, -1.5f, 255.9f}, {3});
  EXPECT_EQ(g.astype(ndflow::kUInt8).to_vector<int>(), (std::vector<int>{44, 255, 255}));
  // NaN is "nonzero"; to integers it gives the smallest value (no undefined behaviour).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Array n = ndflow::from_vector(std::vector<double>{nan, 1e300}, {2});
  EXPECT_EQ(n.astype(ndflow::kBool).to_vector<int>(), (std::vector<int>{1, 1}));
  EXPECT_EQ(n.astype(ndflow::kInt64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>(2, std::numeric_limits<std::int64_t>::min())));
  // Integer narrowing wraps.
  Array i =
      ndflow::from_vector(std::vector<std::int64_t>{-1, 256 + 7, (std::int64_t{1} << 32) + 5}, {3});
  EXPECT_EQ(i.astype(ndflow::kUInt8).to_vector<int>(), (std::vector<int>{255, 7, 5}));
  EXPECT_EQ(i.astype(ndflow::kInt32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-1, 263, 5}));
}

TEST(CastTest, AstypeToTheSameDtypeIsStillANewArray) {
  Array a = ndflow::from_vector(std::vector<float>{1, 2, 3}, {3});
  Array b = a.astype(ndflow::kFloat32);
  EXPECT_NE(a.impl()->storage, b.impl()->storage);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 2, 3}));
}

TEST(CastTest, CopyOfAStridedViewIsContiguousAndEqual) {
  std::mt19937_64 rng(3);
  for (DType t : all_dtypes()) {
    for (const Shape& s : awkward_shapes()) {
      Array a = random_array(rng, s, t, /*strided=*/true);
      Array c = a.copy();
      EXPECT_EQ(c.dtype(), t);
      EXPECT_EQ(c.shape(), s);
      EXPECT_TRUE(c.is_contiguous());
      EXPECT_EQ(c.offset(), 0);
      EXPECT_NE(c.impl()->storage, a.impl()->storage);
      EXPECT_TRUE(AllClose(c, ref_of(a), 0, 0)) << s.to_string();
    }
  }
  // A transposed (column-major) view.
  Array base = ndflow::from_vector(std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  Array t = ndflow::detail::make_view(base, {3, 2}, {1, 3}, 0);
  Array c = t.copy();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 4, 2, 5, 3, 6}));
  // A view with an offset and a negative-free step of 2 on the first axis.
  Array v = ndflow::detail::make_view(base, {1, 2}, {3, 2}, 3);
  EXPECT_EQ(v.copy().to_vector<std::int32_t>(), (std::vector<std::int32_t>{4, 6}));
}

TEST(CastTest, LargeCastsAreSplitAcrossWorkersAndStillRight) {
  const std::int64_t n = (std::int64_t{1} << 20) + 3;
  std::vector<double> host(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) host[static_cast<std::size_t>(i)] = (i % 1000) - 500.25;
  Array a = ndflow::from_vector(host, {n});
  const std::vector<std::int32_t> got = a.astype(ndflow::kInt32).to_vector<std::int32_t>();
  ASSERT_EQ(got.size(), host.size());
  for (std::size_t i = 0; i < host.size(); ++i)
    ASSERT_EQ(got[i], static_cast<std::int32_t>(host[i])) << i;
  // A strided large copy.
  Array view = ndflow::detail::make_view(a, {n / 2}, {2}, 1);
  const std::vector<double> c = view.copy().to_vector<double>();
  for (std::size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c[i], host[2 * i + 1]) << i;
}

TEST(CastTest, CopyToCpuCopiesAndToAGpuThrowsDeviceError) {
  Array a = ndflow::from_vector(std::vector<double>{1.5, 2.5}, {2});
  Array b = a.copy_to(Device::cpu());
  EXPECT_EQ(b.device(), Device::cpu());
  EXPECT_NE(b.impl()->storage, a.impl()->storage);
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{1.5, 2.5}));
  EXPECT_THROW(a.copy_to(Device::gpu(0)), ndflow::DeviceError);
  Array undefined;
  EXPECT_THROW(undefined.astype(ndflow::kInt32), std::invalid_argument);
  EXPECT_THROW(undefined.copy(), std::invalid_argument);
}

TEST(CastTest, CopyToRunsOnTheCopyLaneSoItOverlapsComputation) {
  ndflow::Engine& engine = ndflow::default_engine();
  ndflow::wait_all();
  engine.profiler_start();
  Array a = ndflow::full({4096}, 3.0);
  Array b = (a + 1).copy_to(Device::cpu());
  EXPECT_EQ(b.to_vector<double>(), std::vector<double>(4096, 4.0));  // ordered after the add
  ndflow::wait_all();
  engine.profiler_stop();
  int copies = 0;
  for (const ndflow::ProfileRecord& r : engine.profiler_records()) {
    if (r.name != "copy_to") continue;
    ++copies;
    EXPECT_EQ(r.lane.id, ndflow::Lane::cpu_copy().id) << engine.lane_name(r.lane);
  }
  EXPECT_EQ(copies, 1);
}

TEST(CastTest, UndefinedArraysAreRejected) {
  Array undefined;
  EXPECT_THROW(undefined.astype(ndflow::kInt32), std::invalid_argument);
  EXPECT_THROW(undefined.copy(), std::invalid_argument);
}

}  // namespace
}  // namespace ndflow_test
