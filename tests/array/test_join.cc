// concatenate and stack: along every axis (negative too), mixed dtypes, strided inputs,
// size-0 pieces, a join large enough to be split, and the call-time errors.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"

namespace ndflow_test {
namespace {

// The host reference of concatenate along `axis` (already normalised).
Ref ref_concatenate(const std::vector<Ref>& in, int axis) {
  Shape shape = in[0].shape;
  shape[axis] = 0;
  for (const Ref& r : in) shape[axis] += r.shape[axis];
  Ref out{shape, std::vector<double>(static_cast<std::size_t>(shape.numel()))};
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    // Coordinates of i, then the input holding it along `axis`.
    std::vector<std::int64_t> c(static_cast<std::size_t>(shape.ndim()));
    std::int64_t rest = i;
    for (int d = shape.ndim() - 1; d >= 0; --d) {
      c[static_cast<std::size_t>(d)] = rest % shape[d];
      rest /= shape[d];
    }
    std::size_t k = 0;
    while (c[static_cast<std::size_t>(axis)] >= in[k].shape[axis]) {
      c[static_cast<std::size_t>(axis)] -= in[k].shape[axis];
      ++k;
    }
    std::int64_t f = 0;
    for (int d = 0; d < shape.ndim(); ++d) f = f * in[k].shape[d] + c[static_cast<std::size_t>(d)];
    out.v[static_cast<std::size_t>(i)] = in[k].v[static_cast<std::size_t>(f)];
  }
  return out;
}

// stack == concatenate of the inputs with a size-1 dim inserted at `axis`.
Ref ref_stack(std::vector<Ref> in, int axis) {
  for (Ref& r : in) {
    std::vector<std::int64_t> d = r.shape.to_vector();
    d.insert(d.begin() + axis, 1);
    r.shape = Shape(d);
  }
  return ref_concatenate(in, axis);
}

TEST(ConcatenateJoinTest, EveryAxisIncludingNegativeWithStridedInputs) {
  std::mt19937_64 rng(11);
  const Shape base{2, 3, 4};
  for (int axis = -3; axis < 3; ++axis) {
    const int ax = axis < 0 ? axis + 3 : axis;
    for (DType t : all_dtypes()) {
      std::vector<Array> arrays;
      std::vector<Ref> refs;
      for (std::int64_t size : {2, 1, 0, 3}) {
        Shape s = base;
        s[ax] = size;
        arrays.push_back(random_array(rng, s, t, /*strided=*/size != 1));
        refs.push_back(ref_of(arrays.back()));
      }
      // A transposed and a reversed input too.
      Shape s = base;
      s[ax] = 2;
      Array tr = random_array(rng, {s[2], s[1], s[0]}, t).transpose({2, 1, 0});
      arrays.push_back(tr);
      refs.push_back(ref_of(tr));
      Array rev = random_array(rng, s, t).slice(ax, std::nullopt, std::nullopt, -1);
      arrays.push_back(rev);
      refs.push_back(ref_of(rev));
      Array got = ndflow::concatenate(arrays, axis);
      EXPECT_EQ(got.dtype(), t);
      EXPECT_TRUE(got.is_contiguous());
      EXPECT_TRUE(AllClose(got, ref_concatenate(refs, ax), 0, 0))
          << "axis " << axis << " " << ndflow::dtype_name(t);
    }
  }
}

TEST(ConcatenateJoinTest, MixedDtypesPromote) {
  std::mt19937_64 rng(12);
  const std::vector<std::vector<DType>> groups = {
      {ndflow::kInt32, ndflow::kFloat32},
      {ndflow::kBool, ndflow::kUInt8},
      {ndflow::kBool, ndflow::kInt64, ndflow::kInt32},
      {ndflow::kUInt8, ndflow::kFloat32, ndflow::kFloat64},
      {ndflow::kBool, ndflow::kBool}};
  for (const auto& g : groups) {
    std::vector<Array> arrays;
    std::vector<Ref> refs;
    DType want = g[0];
    for (DType t : g) {
      arrays.push_back(random_array(rng, {3, 2}, t, true));
      refs.push_back(ref_of(arrays.back()));
      want = ndflow::promote_types(want, t);
    }
    Array got = ndflow::concatenate(arrays, 1);
    EXPECT_EQ(got.dtype(), want);
    EXPECT_TRUE(AllClose(got, ref_concatenate(refs, 1), 1e-6, 0)) << ndflow::dtype_name(want);
  }
}

TEST(ConcatenateJoinTest, OneArrayIsAContiguousCopyAndEmptyPiecesWork) {
  std::mt19937_64 rng(13);
  Array a = random_array(rng, {4, 3}, ndflow::kFloat64, true);
  Array c = ndflow::concatenate({a}, 0);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.impl()->storage, a.impl()->storage);
  EXPECT_EQ(c.to_vector<double>(), a.to_vector<double>());
  Array e = ndflow::concatenate({ndflow::zeros({0, 3}), ndflow::zeros({0, 3})}, 0);
  EXPECT_EQ(e.shape(), Shape({0, 3}));
  Array e2 = ndflow::concatenate({ndflow::zeros({2, 0}), ndflow::ones({2, 0})}, 0);
  EXPECT_EQ(e2.shape(), Shape({4, 0}));
}

TEST(ConcatenateJoinTest, LargeJoinIsSplitAndStillRight) {
  std::mt19937_64 rng(14);
  Array a = random_array(rng, {300, 1000}, ndflow::kFloat32, true);
  Array b = random_array(rng, {200, 1000}, ndflow::kInt32);
  Array c = ndflow::concatenate({a, b, a}, 0);
  EXPECT_EQ(c.dtype(), ndflow::kFloat64);
  EXPECT_TRUE(AllClose(c, ref_concatenate({ref_of(a), ref_of(b), ref_of(a)}, 0), 0, 0));
  Array d = ndflow::concatenate({a.T(), b.T()}, 1);  // (1000, 500), strided reads
  EXPECT_TRUE(AllClose(d, ref_concatenate({ref_of(a.T()), ref_of(b.T())}, 1), 0, 0));
}

TEST(ConcatenateJoinTest, ErrorsNameTheShapes) {
  EXPECT_THROW(ndflow::concatenate({}, 0), ndflow::ShapeError);
  try {
    ndflow::concatenate({ndflow::zeros({2, 3}), ndflow::zeros({2, 4})}, 0);
    FAIL() << "dim 1 differs";
  } catch (const ndflow::ShapeError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("(2,3)"), std::string::npos) << w;
    EXPECT_NE(w.find("(2,4)"), std::string::npos) << w;
  }
  try {
    ndflow::concatenate({ndflow::zeros({2, 3}), ndflow::zeros({3})}, 0);
    FAIL() << "ndim differs";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(3,)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ndflow::concatenate({ndflow::zeros({2}), ndflow::zeros({2})}, 1), ndflow::AxisError);
  EXPECT_THROW(ndflow::concatenate({ndflow::zeros({2}), ndflow::zeros({2})}, -2),
               ndflow::AxisError);
  EXPECT_THROW(ndflow::concatenate({ndflow::zeros({}), ndflow::zeros({})}, 0), ndflow::ShapeError);
  EXPECT_THROW(ndflow::concatenate({ndflow::zeros({2}), Array()}, 0), std::invalid_argument);
}

TEST(StackJoinTest, EveryAxisIncludingNdimAndNegative) {
  std::mt19937_64 rng(15);
  const Shape s{2, 3};
  for (int axis = -3; axis <= 2; ++axis) {
    const int ax = axis < 0 ? axis + 3 : axis;
    for (DType t : {ndflow::kFloat32, ndflow::kInt64, ndflow::kBool}) {
      std::vector<Array> arrays = {random_array(rng, s, t, true), random_array(rng, s, t),
                                   random_array(rng, {3, 2}, t).T()};
      std::vector<Ref> refs;
      for (const Array& a : arrays) refs.push_back(ref_of(a));
      Array got = ndflow::stack(arrays, axis);
      EXPECT_TRUE(AllClose(got, ref_stack(refs, ax), 0, 0)) << "axis " << axis;
    }
  }
  // 0-d inputs stack into a vector; mixed dtypes promote.
  Array v =
      ndflow::stack({ndflow::full({}, 1, ndflow::kInt32), ndflow::full({}, 2.5, ndflow::kFloat64)});
  EXPECT_EQ(v.dtype(), ndflow::kFloat64);
  EXPECT_EQ(v.to_vector<double>(), (std::vector<double>{1, 2.5}));
  EXPECT_EQ(ndflow::stack({ndflow::zeros({0, 2}), ndflow::zeros({0, 2})}, 1).shape(),
            Shape({0, 2, 2}));
}

TEST(StackJoinTest, ErrorsNameTheShapes) {
  EXPECT_THROW(ndflow::stack({}, 0), ndflow::ShapeError);
  try {
    ndflow::stack({ndflow::zeros({2, 3}), ndflow::zeros({3, 2})}, 0);
    FAIL() << "shapes differ";
  } catch (const ndflow::ShapeError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("(2,3)"), std::string::npos) << w;
    EXPECT_NE(w.find("(3,2)"), std::string::npos) << w;
  }
  EXPECT_THROW(ndflow::stack({ndflow::zeros({2}), ndflow::zeros({2})}, 2), ndflow::AxisError);
  EXPECT_THROW(ndflow::stack({ndflow::zeros({2}), ndflow::zeros({2})}, -3), ndflow::AxisError);
}

}  // namespace
}  // namespace ndflow_test
