// Views: reshape, transpose, indexing and slicing, against host index math; views share
// their base's storage, and only a reshape no strides can express copies.
#include <gtest/gtest.h>

#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"

namespace ndflow_test {
namespace {

// 0, 1, 2, ... as float64, in `shape`.
Array iota(const Shape& shape) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  std::iota(v.begin(), v.end(), 0.0);
  return ndflow::from_vector(v, shape);
}

bool shares_storage(const Array& a, const Array& b) {
  return a.impl()->storage == b.impl()->storage;
}

// The row-major flat index of `coords` in `shape`.
std::int64_t flat(const Shape& shape, const std::vector<std::int64_t>& coords) {
  std::int64_t f = 0;
  for (int d = 0; d < shape.ndim(); ++d) f = f * shape[d] + coords[static_cast<std::size_t>(d)];
  return f;
}

TEST(ReshapeTest, InfersOneUnknownDimAndSharesStorage) {
  Array a = iota({12});
  for (const auto& [target, want] : std::vector<std::pair<Shape, Shape>>{{{-1, 4}, {3, 4}},
                                                                         {{2, -1, 3}, {2, 2, 3}},
                                                                         {{12, -1}, {12, 1}},
                                                                         {{-1}, {12}},
                                                                         {{1, 12}, {1, 12}}}) {
    Array r = a.reshape(target);
    EXPECT_EQ(r.shape(), want);
    EXPECT_TRUE(r.is_contiguous());
    EXPECT_TRUE(shares_storage(a, r));
    EXPECT_EQ(r.to_vector<double>(), a.to_vector<double>());
  }
  EXPECT_EQ(iota({}).reshape({1, 1}).shape(), Shape({1, 1}));
  EXPECT_EQ(iota({1, 1}).reshape({}).shape(), Shape());
  EXPECT_EQ(iota({2, 0}).reshape({0, 5}).shape(), Shape({0, 5}));
  EXPECT_EQ(iota({2, 0}).reshape({-1, 2}).shape(), Shape({0, 2}));
}

TEST(ReshapeTest, NonContiguousViewIsCopiedOnlyWhenNeeded) {
  Array a = iota({3, 4});
  Array t = a.T();  // (4,3), strides (1,4): no reshape to (12,) can view it
  Array flat_t = t.reshape({12});
  EXPECT_FALSE(shares_storage(a, flat_t));
  EXPECT_EQ(flat_t.to_vector<double>(),
            (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(t.reshape({2, 6}).to_vector<double>(),
            (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // Every other row of a (4,6): splitting the last dim still views the same storage.
  Array b = iota({4, 6});
  Array rows = b.slice(0, std::nullopt, std::nullopt, 2);  // (2,6), strides (12,1)
  Array split = rows.reshape({2, 2, 3});
  EXPECT_TRUE(shares_storage(b, split));
  EXPECT_EQ(split.to_vector<double>(),
            (std::vector<double>{0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17}));
  // Merging the rows needs a copy.
  Array merged = rows.reshape({12});
  EXPECT_FALSE(shares_storage(b, merged));
  EXPECT_EQ(merged.to_vector<double>(), split.to_vector<double>());
  // Size-1 dims are free.
  Array col = b.slice(1, 2, 3);  // (4,1), strides (6,1)
  Array col_r = col.reshape({1, 4});
  EXPECT_TRUE(shares_storage(b, col_r));
  EXPECT_EQ(col_r.to_vector<double>(), (std::vector<double>{2, 8, 14, 20}));
}

TEST(ReshapeTest, MismatchedSizesThrow) {
  Array a = iota({12});
  try {
    a.reshape({5});
    FAIL() << "12 elements do not fit (5,)";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reshape array of size 12 into shape (5,)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(a.reshape({-1, -1}), ndflow::ShapeError);
  EXPECT_THROW(a.reshape({-1, 5}), ndflow::ShapeError);
  EXPECT_THROW(a.reshape({-2, -6}), ndflow::ShapeError);
  EXPECT_THROW(iota({0}).reshape({-1, 0}), ndflow::ShapeError);
}

TEST(TransposeViewTest, PermutesShapeAndStridesWithoutCopying) {
  Array a = iota({2, 3, 4});
  const std::vector<double> v = a.to_vector<double>();
  for (const std::vector<int>& axes : std::vector<std::vector<int>>{
           {0, 1, 2}, {1, 0, 2}, {2, 1, 0}, {-1, 0, 1}, {1, 2, 0}, {0, -1, -2}}) {
    Array t = a.transpose(axes);
    EXPECT_TRUE(shares_storage(a, t));
    int ax[3];
    for (int i = 0; i < 3; ++i)
      ax[i] = axes[static_cast<std::size_t>(i)] < 0 ? axes[static_cast<std::size_t>(i)] + 3
                                                    : axes[static_cast<std::size_t>(i)];
    ASSERT_EQ(t.shape(), Shape({a.shape()[ax[0]], a.shape()[ax[1]], a.shape()[ax[2]]}));
    const std::vector<double> got = t.to_vector<double>();
    std::size_t n = 0;
    for (std::int64_t i = 0; i < t.shape()[0]; ++i)
      for (std::int64_t j = 0; j < t.shape()[1]; ++j)
        for (std::int64_t k = 0; k < t.shape()[2]; ++k) {
          std::vector<std::int64_t> c(3);
          c[static_cast<std::size_t>(ax[0])] = i;
          c[static_cast<std::size_t>(ax[1])] = j;
          c[static_cast<std::size_t>(ax[2])] = k;
          EXPECT_EQ(got[n++], v[static_cast<std::size_t>(flat(a.shape(), c))]);
        }
  }
  EXPECT_EQ(a.T().shape(), Shape({4, 3, 2}));
  EXPECT_EQ(a.T().T().to_vector<double>(), v);
  EXPECT_EQ(iota({}).T().shape(), Shape());
  EXPECT_EQ(iota({5}).T().shape(), Shape({5}));
}

TEST(TransposeViewTest, AxesMustBeAPermutation) {
  Array a = iota({2, 3, 4});
  EXPECT_THROW(a.transpose({0, 1}), ndflow::AxisError);
  EXPECT_THROW(a.transpose({0, 1, 1}), ndflow::AxisError);
  EXPECT_THROW(a.transpose({0, 1, 3}), ndflow::AxisError);
  EXPECT_THROW(a.transpose({0, -1, 2}), ndflow::AxisError);
  EXPECT_THROW(a.transpose({0, 1, 2, 3}), ndflow::AxisError);
}

TEST(IndexViewTest, IndexesTheFirstAxisFromEitherEnd) {
  Array a = iota({3, 4, 2});
  const std::vector<double> v = a.to_vector<double>();
  for (std::int64_t i = -3; i < 3; ++i) {
    Array row = a[i];
    EXPECT_TRUE(shares_storage(a, row));
    ASSERT_EQ(row.shape(), Shape({4, 2}));
    const std::int64_t r = i < 0 ? i + 3 : i;
    const std::vector<double> got = row.to_vector<double>();
    for (std::size_t k = 0; k < 8; ++k) EXPECT_EQ(got[k], v[static_cast<std::size_t>(r * 8) + k]);
  }
  EXPECT_EQ(a[1][2][1].item<double>(), v[static_cast<std::size_t>(flat(a.shape(), {1, 2, 1}))]);
  EXPECT_EQ(a[-1][-1][-1].item<double>(), 23);
  EXPECT_EQ(a[2][3][0].ndim(), 0);
  // Through a transposed view: a.T()[1] is a[:, :, 1] transposed.
  Array t1 = a.T()[1];  // (4,3)
  ASSERT_EQ(t1.shape(), Shape({4, 3}));
  const std::vector<double> got = t1.to_vector<double>();
  for (std::int64_t j = 0; j < 4; ++j)
    for (std::int64_t i = 0; i < 3; ++i)
      EXPECT_EQ(got[static_cast<std::size_t>(j * 3 + i)],
                v[static_cast<std::size_t>(flat(a.shape(), {i, j, 1}))]);
}

TEST(IndexViewTest, OutOfRangeAndZeroDimensionalThrowIndexError) {
  Array a = iota({3});
  try {
    a[5];
    FAIL() << "index 5 of 3";
  } catch (const ndflow::IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("index 5 is out of bounds for axis 0 with size 3"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(a[3], ndflow::IndexError);
  EXPECT_THROW(a[-4], ndflow::IndexError);
  try {
    a[0][0];
    FAIL() << "a 0-d array has no axis to index";
  } catch (const ndflow::IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("too many indices"), std::string::npos) << e.what();
  }
  EXPECT_THROW(iota({0, 2})[0], ndflow::IndexError);
}

TEST(IndexViewTest, BasicIndexingMatchesNumPy) {
  using ndflow::IndexItem;
  Array a = iota({2, 3, 4});  // a[i, j, k] == 12 i + 4 j + k
  // a[1, ::-1, None, 1:3]: shape (3, 1, 2)
  Array v = a.index({IndexItem::integer(1), IndexItem::slice({}, {}, -1), IndexItem::new_axis(),
                     IndexItem::slice(1, 3)});
  ASSERT_EQ(v.shape(), Shape({3, 1, 2}));
  EXPECT_TRUE(shares_storage(a, v));
  EXPECT_EQ(v.to_vector<double>(), (std::vector<double>{21, 22, 17, 18, 13, 14}));
  // a[..., -1]: shape (2, 3)
  Array last = a.index({IndexItem::ellipsis(), IndexItem::integer(-1)});
  ASSERT_EQ(last.shape(), Shape({2, 3}));
  EXPECT_EQ(last.to_vector<double>(), (std::vector<double>{3, 7, 11, 15, 19, 23}));
  // a[0, ..., None]: (3, 4, 1); a[None]: (1, 2, 3, 4); a[()]: a itself
  EXPECT_EQ(a.index({IndexItem::integer(0), IndexItem::ellipsis(), IndexItem::new_axis()}).shape(),
            Shape({3, 4, 1}));
  EXPECT_EQ(a.index({IndexItem::new_axis()}).shape(), Shape({1, 2, 3, 4}));
  EXPECT_EQ(a.index({}).to_vector<double>(), a.to_vector<double>());
  // Errors name what was wrong.
  try {
    a.index({IndexItem::integer(0), IndexItem::integer(0), IndexItem::integer(0),
             IndexItem::integer(0)});
    FAIL() << "four indices into a 3-d array";
  } catch (const ndflow::IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("array is 3-dimensional, but 4 were indexed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(a.index({IndexItem::ellipsis(), IndexItem::ellipsis()}), ndflow::IndexError);
  EXPECT_THROW(a.index({IndexItem::slice({}, {}), IndexItem::integer(3)}), ndflow::IndexError);
  EXPECT_THROW(a.index({IndexItem::slice({}, {}, 0)}), ndflow::ShapeError);
}

struct SliceCase {
  std::optional<std::int64_t> start, stop;
  std::int64_t step;
  std::vector<std::int64_t> want;  // Python's list(range(7))[start:stop:step]
};

TEST(SliceViewTest, FollowsPythonSliceSemantics) {
  const std::vector<SliceCase> cases = {
      {std::nullopt, std::nullopt, 1, {0, 1, 2, 3, 4, 5, 6}},
      {std::nullopt, std::nullopt, -1, {6, 5, 4, 3, 2, 1, 0}},
      {2, std::nullopt, 1, {2, 3, 4, 5, 6}},
      {std::nullopt, 3, 1, {0, 1, 2}},
      {-3, std::nullopt, 1, {4, 5, 6}},
      {std::nullopt, -2, 1, {0, 1, 2, 3, 4}},
      {1, 6, 2, {1, 3, 5}},
      {6, 1, -2, {6, 4, 2}},
      {-1, -8, -1, {6, 5, 4, 3, 2, 1, 0}},
      {-10, 10, 1, {0, 1, 2, 3, 4, 5, 6}},
      {10, -10, -1, {6, 5, 4, 3, 2, 1, 0}},
      {std::nullopt, std::nullopt, 3, {0, 3, 6}},
      {std::nullopt, std::nullopt, -3, {6, 3, 0}},
      {5, 2, 1, {}},
      {2, 5, -1, {}},
      {0, 0, 1, {}},
      {-100, 2, 1, {0, 1}},
      {3, std::nullopt, -1, {3, 2, 1, 0}},
      {std::nullopt, 3, -1, {6, 5, 4}},
      {8, std::nullopt, -2, {6, 4, 2, 0}},
      {-8, std::nullopt, 2, {0, 2, 4, 6}},
      {1, -1, 4, {1, 5}},
  };
  Array a = iota({7});
  Array m = iota({3, 7});  // the same along axis 1 (and -1), per row
  for (const SliceCase& c : cases) {
    const std::string what = "[" + (c.start ? std::to_string(*c.start) : "") + ":" +
                             (c.stop ? std::to_string(*c.stop) : "") + ":" +
                             std::to_string(c.step) + "]";
    Array s = a.slice(0, c.start, c.stop, c.step);
    EXPECT_TRUE(shares_storage(a, s));
    std::vector<double> want(c.want.begin(), c.want.end());
    EXPECT_EQ(s.to_vector<double>(), want) << what;
    if (c.want.size() > 1) {
      EXPECT_EQ(s.strides()[0], c.step) << what;
    }
    for (int axis : {1, -1}) {
      Array ms = m.slice(axis, c.start, c.stop, c.step);
      ASSERT_EQ(ms.shape(), Shape({3, static_cast<std::int64_t>(c.want.size())})) << what;
      std::vector<double> mwant;
      for (std::int64_t r = 0; r < 3; ++r)
        for (std::int64_t j : c.want) mwant.push_back(static_cast<double>(r * 7 + j));
      EXPECT_EQ(ms.to_vector<double>(), mwant) << what << " axis " << axis;
    }
  }
}

TEST(SliceViewTest, ComposesWithOtherViewsAndMatchesHostIndexMath) {
  Array a = iota({4, 5, 6});
  const std::vector<double> v = a.to_vector<double>();
  // a[::-2, 1:4, ::-1] then transposed, then rows reversed again.
  Array s = a.slice(0, std::nullopt, std::nullopt, -2)
                .slice(1, 1, 4)
                .slice(2, std::nullopt, std::nullopt, -1);
  ASSERT_EQ(s.shape(), Shape({2, 3, 6}));
  const std::vector<double> got = s.to_vector<double>();
  std::size_t n = 0;
  for (std::int64_t i : {3, 1})
    for (std::int64_t j : {1, 2, 3})
      for (std::int64_t k = 5; k >= 0; --k)
        EXPECT_EQ(got[n++], v[static_cast<std::size_t>(flat(a.shape(), {i, j, k}))]);
  Array t = s.transpose({2, 0, 1}).slice(0, 1, std::nullopt, 2);  // (3,2,3)
  ASSERT_EQ(t.shape(), Shape({3, 2, 3}));
  const std::vector<double> tgot = t.to_vector<double>();
  n = 0;
  for (std::int64_t k : {4, 2, 0})
    for (std::int64_t i : {3, 1})
      for (std::int64_t j : {1, 2, 3})
        EXPECT_EQ(tgot[n++], v[static_cast<std::size_t>(flat(a.shape(), {i, j, k}))]);
  // Slices of a size-0 axis, and indexing a slice.
  EXPECT_EQ(iota({0, 3}).slice(0, 1, 5).shape(), Shape({0, 3}));
  EXPECT_EQ(s[1][2][0].item<double>(), v[static_cast<std::size_t>(flat(a.shape(), {1, 3, 5}))]);
}

TEST(SliceViewTest, BadStepAndAxisThrow) {
  Array a = iota({3, 4});
  EXPECT_THROW(a.slice(0, 0, 2, 0), ndflow::ShapeError);
  EXPECT_THROW(a.slice(2, 0, 1), ndflow::AxisError);
  EXPECT_THROW(a.slice(-3, 0, 1), ndflow::AxisError);
  EXPECT_THROW(iota({}).slice(0, 0, 1), ndflow::IndexError);
}

TEST(WriteThroughViewTest, InPlaceOpOnAViewIsSeenByTheBase) {
  Array base = iota({3, 4});
  Array col = base.slice(1, 1, std::nullopt, 2);  // columns 1 and 3
  col += ndflow::full({3, 2}, 100.0, ndflow::kFloat64);
  Array rev = base[2].slice(0, std::nullopt, std::nullopt, -1);
  rev *= 2.0;  // row 2, through a negative-stride view
  EXPECT_EQ(base.to_vector<double>(),
            (std::vector<double>{0, 101, 2, 103, 4, 105, 6, 107, 16, 218, 20, 222}));
}

}  // namespace
}  // namespace ndflow_test
