// The array core: creation, blockers, printing, storage lifetime and call-time errors.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

using ndflow::Device;

TEST(DTypeTest, PromotionFollowsNumPy) {
  using namespace ndflow;
  EXPECT_EQ(promote_types(kInt32, kFloat32), kFloat64);
  EXPECT_EQ(promote_types(kUInt8, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kUInt8, kInt32), kInt32);
  EXPECT_EQ(promote_types(kInt32, kInt64), kInt64);
  EXPECT_EQ(promote_types(kBool, kUInt8), kUInt8);
  EXPECT_EQ(promote_types(kFloat32, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kBool, kBool), kBool);
  for (DType a : all_dtypes())
    for (DType b : all_dtypes()) EXPECT_EQ(promote_types(a, b), promote_types(b, a));
  EXPECT_EQ(dtype_from_name("int64"), kInt64);
  EXPECT_THROW(dtype_from_name("complex64"), DTypeError);
}

TEST(ShapeTest, SpellsShapesLikeNumPy) {
  EXPECT_EQ(Shape({3, 4}).to_string(), "(3,4)");
  EXPECT_EQ(Shape({5}).to_string(), "(5,)");
  EXPECT_EQ(Shape().to_string(), "()");
  EXPECT_EQ(Shape().numel(), 1);
  EXPECT_EQ(Shape({2, 0}).numel(), 0);
  EXPECT_THROW(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ndflow::ShapeError);
}

TEST(CreationTest, FullZerosOnesHaveTheirValueAndDtype) {
  for (DType t : all_dtypes()) {
    for (const Shape& s : awkward_shapes()) {
      Array z = ndflow::zeros(s, t), o = ndflow::ones(s, t), f = ndflow::full(s, 3, t);
      EXPECT_EQ(z.dtype(), t);
      EXPECT_EQ(z.shape(), s);
      for (double x : z.to_vector<double>()) EXPECT_EQ(x, 0);
      for (double x : o.to_vector<double>()) EXPECT_EQ(x, 1);
      for (double x : f.to_vector<double>()) EXPECT_EQ(x, t == ndflow::kBool ? 1 : 3);
    }
  }
}

TEST(CreationTest, LargeFullIsSplitAcrossWorkersAndStillRight) {
  Array a = ndflow::full({1 << 20}, 2.5, ndflow::kFloat64);
  const std::vector<double> v = a.to_vector<double>();
  EXPECT_EQ(v.front(), 2.5);
  EXPECT_EQ(v.back(), 2.5);
  EXPECT_EQ(std::count(v.begin(), v.end(), 2.5), 1 << 20);
}

TEST(CreationTest, FromDataCopiesTheHostBuffer) {
  std::vector<int> host = {1, 2, 3, 4, 5, 6};
  Array a = ndflow::from_vector(host, {2, 3});
  host.assign(6, 0);  // the array has its own copy
  EXPECT_EQ(a.dtype(), ndflow::kInt32);
  EXPECT_EQ(a.to_vector<int>(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST(BlockerTest, ToVectorConvertsAndReadsNonContiguousViews) {
  std::mt19937_64 rng(7);
  Array a = random_array(rng, {3, 4}, ndflow::kInt32, /*strided=*/true);
  EXPECT_FALSE(a.is_contiguous());
  const std::vector<std::int64_t> v = a.to_vector<std::int64_t>();
  ASSERT_EQ(v.size(), 12u);
  const std::vector<float> f = a.to_vector<float>();
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(static_cast<float>(v[i]), f[i]);
}

TEST(BlockerTest, ItemNeedsExactlyOneElement) {
  EXPECT_EQ(ndflow::full({}, 4, ndflow::kInt64).item<int>(), 4);
  EXPECT_EQ(ndflow::full({1, 1}, 2.5, ndflow::kFloat32).item<double>(), 2.5);
  try {
    ndflow::zeros({2, 3}).item<float>();
    FAIL() << "item() on 6 elements should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2,3)"), std::string::npos) << e.what();
  }
}

TEST(PrintTest, LooksLikeNumPyWithTheDevice) {
  std::ostringstream os;
  os << ndflow::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(os.str(), "array([[1., 2.],\n       [3., 4.]], dtype=float32, ctx=cpu(0))");
  EXPECT_EQ(ndflow::from_vector(std::vector<double>{0.5, -1.25}, {2}).to_string(),
            "array([  0.5, -1.25], dtype=float64, ctx=cpu(0))");
  EXPECT_EQ(ndflow::full({}, 7, ndflow::kInt64).to_string(), "array(7, dtype=int64, ctx=cpu(0))");
  EXPECT_EQ(ndflow::zeros({2, 0}).to_string(), "array([], shape=(2,0), dtype=float32, ctx=cpu(0))");
  EXPECT_EQ(ndflow::ones({2}, ndflow::kBool).to_string(),
            "array([True, True], dtype=bool, ctx=cpu(0))");
  const std::string big = ndflow::zeros({2000}, ndflow::kInt32).to_string();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 200u);
  // A summary formats only what it shows, as NumPy does: the wide middle value is left out
  // and does not widen the columns.
  std::vector<std::int32_t> ramp(2000);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::int32_t>(i);
  ramp[1000] = 123456789;
  EXPECT_EQ(ndflow::from_vector(ramp, {2000}).to_string(),
            "array([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int32, ctx=cpu(0))");
}

TEST(ErrorTest, UndefinedArraysAndMissingDevicesAreRejectedAtTheCall) {
  Array undefined;
  EXPECT_THROW(undefined.shape(), std::invalid_argument);
  EXPECT_THROW(undefined.wait_to_read(), std::invalid_argument);
  try {
    ndflow::zeros({2}, ndflow::kFloat32, Device::gpu(0));
    FAIL() << "gpu(0) should not exist in this build";
  } catch (const ndflow::DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu(0)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ndflow::zeros({-1}), ndflow::ShapeError);
}

// x += y reads x: when the op that wrote x failed, the in-place op fails too and x keeps the
// failure, which the next wait raises (instead of the write clearing it).
TEST(ErrorTest, AnInPlaceOpKeepsItsTargetsEarlierFailure) {
  for (int with_scalar = 0; with_scalar < 2; ++with_scalar) {
    Array x = ndflow::zeros({4});
    ndflow::detail::array_engine().push(
        [](ndflow::OpContext&) { throw std::runtime_error("the producer of x failed"); }, {},
        {x.impl()->var()}, ndflow::Lane::cpu_compute(), 0, "failing_producer");
    if (with_scalar)
      x += 1;
    else
      x += ndflow::ones({4});
    try {
      x.wait_to_read();
      ADD_FAILURE() << "the failure was cleared by the in-place op";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("the producer of x failed"), std::string::npos);
    }
  }
}

TEST(StorageTest, StorageIsReleasedAfterItsLastUse) {
  ndflow::Engine& engine = ndflow::default_engine();
  ndflow::wait_all();
  const std::int64_t vars_before = engine.stats().vars_live;
  {
    Array a = ndflow::full({1000}, 1.0);
    Array b = a;  // handles share storage
    EXPECT_EQ(engine.stats().vars_live, vars_before + 1);
  }
  ndflow::wait_all();  // the release is an op: it runs after the fill
  EXPECT_EQ(engine.stats().vars_live, vars_before);
}

TEST(BlockerTest, CopyToHostWritesRowMajorBytesOfTheArraysDtype) {
  Array a = ndflow::from_vector(std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  std::vector<std::int32_t> out(6, -1);
  a.copy_to_host(out.data());
  EXPECT_EQ(out, (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}));
  a.T().copy_to_host(out.data());  // a strided view is gathered
  EXPECT_EQ(out, (std::vector<std::int32_t>{1, 4, 2, 5, 3, 6}));
  (a + 1).copy_to_host(out.data());  // waits for the op
  EXPECT_EQ(out, (std::vector<std::int32_t>{2, 3, 4, 5, 6, 7}));
}

TEST(ExternalMemoryTest, WrapsWithoutCopyingAndReleasesAfterTheLastUse) {
  std::vector<float> host = {1, 2, 3, 4, 5, 6};
  std::atomic<int> released{0};
  {
    // Every other element of the first row, then the second row: strides (3, 1) of a (2,3).
    Array a = ndflow::from_external(host.data(), {2, 3}, {3, 1}, ndflow::kFloat32, Device::cpu(),
                                    [&released] { released.fetch_add(1); });
    EXPECT_EQ(a.impl()->data(), reinterpret_cast<char*>(host.data()));  // no copy
    Array b = a * 2;
    a += 10;  // writes the caller's memory, ordered after the read above
    EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{2, 4, 6, 8, 10, 12}));
    a.wait_to_read();
    EXPECT_EQ(host[0], 11);
    Array col = ndflow::from_external(host.data() + 1, {2}, {3}, ndflow::kFloat32, Device::cpu(),
                                      [&released] { released.fetch_add(1); });
    EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{12, 15}));
    EXPECT_EQ(released.load(), 0);
  }
  ndflow::wait_all();
  EXPECT_EQ(released.load(), 2);
  EXPECT_THROW(ndflow::from_external(host.data(), {2}, {-1}, ndflow::kFloat32, Device::cpu(), {}),
               ndflow::ShapeError);
  EXPECT_THROW(ndflow::from_external(host.data(), {2}, {1}, ndflow::kFloat32, Device::gpu(0), {}),
               ndflow::DeviceError);
}

}  // namespace
}  // namespace ndflow_test
