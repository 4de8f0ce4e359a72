// Reductions: sum, mean, max, min, argmax, argmin against host references in double, over
// awkward shapes, every dtype, every axis combination of 3-d inputs, keepdims, negative
// axes, strided views, NaNs, large inputs split across workers, and call-time errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

enum class Kind { kSum, kMean, kMax, kMin, kArgMax, kArgMin };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kSum:
      return "sum";
    case Kind::kMean:
      return "mean";
    case Kind::kMax:
      return "max";
    case Kind::kMin:
      return "min";
    case Kind::kArgMax:
      return "argmax";
    case Kind::kArgMin:
      return "argmin";
  }
  return "?";
}

DType result_dtype(Kind k, DType in) {
  switch (k) {
    case Kind::kSum:
      return ndflow::is_floating(in) ? in : ndflow::kInt64;
    case Kind::kMean:
      return ndflow::is_floating(in) ? in : ndflow::kFloat64;
    case Kind::kMax:
    case Kind::kMin:
      return in;
    default:
      return ndflow::kInt64;
  }
}

// The host reference: `reduced[d]` marks the reduced dims. For argmax/argmin the result is
// the row-major index within the reduced dims (the flat index when every dim is reduced).
Ref ref_reduce(const Ref& in, const std::vector<bool>& reduced, bool keepdims, Kind kind) {
  const Shape& s = in.shape;
  Ref out;
  for (int d = 0; d < s.ndim(); ++d) {
    if (!reduced[static_cast<std::size_t>(d)])
      out.shape.push_back(s[d]);
    else if (keepdims)
      out.shape.push_back(1);
  }
  const auto n_out = static_cast<std::size_t>(out.shape.numel());
  std::vector<double> acc(n_out, 0), best(n_out, 0);
  std::vector<std::int64_t> count(n_out, 0), at(n_out, -1);
  for (std::int64_t i = 0; i < s.numel(); ++i) {
    // Coordinates of i; the output index from the kept ones, the inner index from the rest.
    std::int64_t rest = i, o = 0, o_mul = 1, k = 0, k_mul = 1;
    for (int d = s.ndim() - 1; d >= 0; --d) {
      const std::int64_t c = rest % s[d];
      rest /= s[d];
      if (reduced[static_cast<std::size_t>(d)]) {
        k += c * k_mul;
        k_mul *= s[d];
      } else {
        o += c * o_mul;
        o_mul *= s[d];
      }
    }
    const auto oi = static_cast<std::size_t>(o);
    const double x = in.v[static_cast<std::size_t>(i)];
    acc[oi] += x;
    const bool first = count[oi]++ == 0;
    const bool is_max = kind == Kind::kMax || kind == Kind::kArgMax;
    if (first ||
        (!std::isnan(best[oi]) && (std::isnan(x) || (is_max ? x > best[oi] : x < best[oi])))) {
      // Elements arrive in row-major order, which for each output is its inner order.
      best[oi] = x;
      at[oi] = k;
    }
  }
  for (std::size_t o = 0; o < n_out; ++o) {
    switch (kind) {
      case Kind::kSum:
        out.v.push_back(acc[o]);
        break;
      case Kind::kMean:
        out.v.push_back(count[o] ? acc[o] / static_cast<double>(count[o])
                                 : std::numeric_limits<double>::quiet_NaN());
        break;
      case Kind::kMax:
      case Kind::kMin:
        out.v.push_back(best[o]);
        break;
      default:
        out.v.push_back(static_cast<double>(at[o]));
    }
  }
  return out;
}

Array call(Kind kind, const Array& a, const std::vector<int>& axes, bool keepdims) {
  switch (kind) {
    case Kind::kSum:
      return ndflow::sum(a, axes, keepdims);
    case Kind::kMean:
      return ndflow::mean(a, axes, keepdims);
    case Kind::kMax:
      return ndflow::max(a, axes, keepdims);
    case Kind::kMin:
      return ndflow::min(a, axes, keepdims);
    case Kind::kArgMax:
      return ndflow::argmax(a, axes.empty() ? std::nullopt : std::optional<int>(axes[0]), keepdims);
    case Kind::kArgMin:
      return ndflow::argmin(a, axes.empty() ? std::nullopt : std::optional<int>(axes[0]), keepdims);
  }
  return {};
}

// Whether the reduction has a zero-size reduced axis (max/min/argmax/argmin then throw).
bool empty_reduction(const Shape& s, const std::vector<bool>& reduced) {
  for (int d = 0; d < s.ndim(); ++d)
    if (reduced[static_cast<std::size_t>(d)] && s[d] == 0) return true;
  return false;
}

// Runs one reduction and checks dtype, shape, values (or the error for empty extremes).
void check(Kind kind, const Array& a, const std::vector<int>& axes, bool keepdims) {
  const Shape& s = a.shape();
  std::vector<bool> reduced(static_cast<std::size_t>(s.ndim()), axes.empty());
  for (int ax : axes) reduced[static_cast<std::size_t>(ax < 0 ? ax + s.ndim() : ax)] = true;
  std::string what = std::string(kind_name(kind)) + " of " + ndflow::dtype_name(a.dtype()) + " " +
                     s.to_string() + (a.is_contiguous() ? "" : " strided") + " axes (";
  for (int ax : axes) what += std::to_string(ax) + ",";
  what += keepdims ? ") keepdims" : ")";
  SCOPED_TRACE(what);
  const bool extreme = kind != Kind::kSum && kind != Kind::kMean;
  if (extreme && empty_reduction(s, reduced)) {
    EXPECT_THROW(call(kind, a, axes, keepdims), ndflow::ShapeError);
    return;
  }
  Array r = call(kind, a, axes, keepdims);
  const DType t = result_dtype(kind, a.dtype());
  EXPECT_EQ(r.dtype(), t);
  const Ref want = ref_reduce(ref_of(a), reduced, keepdims, kind);
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_TRUE(AllClose(r, want, 10 * rtol_for(t), t == ndflow::kFloat32 ? 1e-5 : 1e-12));
}

const std::vector<Kind>& all_kinds() {
  static const std::vector<Kind> k = {Kind::kSum, Kind::kMean,   Kind::kMax,
                                      Kind::kMin, Kind::kArgMax, Kind::kArgMin};
  return k;
}

TEST(ReduceTest, EveryDtypeAndAwkwardShapeOverAllAxesAndEachAxis) {
  std::mt19937_64 rng(1);
  for (DType t : all_dtypes()) {
    for (const Shape& s : awkward_shapes()) {
      for (bool strided : {false, true}) {
        Array a = random_array(rng, s, t, strided);
        for (Kind kind : all_kinds()) {
          for (bool keepdims : {false, true}) {
            check(kind, a, {}, keepdims);
            for (int d = 0; d < s.ndim(); ++d) {
              check(kind, a, {d}, keepdims);
              check(kind, a, {d - s.ndim()}, keepdims);
            }
          }
        }
      }
    }
  }
}

TEST(ReduceTest, EveryAxisCombinationOfA3dInput) {
  std::mt19937_64 rng(2);
  const std::vector<std::vector<int>> combos = {{},       {0},       {1},          {2},    {0, 1},
                                                {0, 2},   {1, 2},    {0, 1, 2},    {2, 0}, {-1, 0},
                                                {-3, -2}, {2, 1, 0}, {-1, -2, -3}, {1, -1}};
  for (DType t : all_dtypes()) {
    for (bool strided : {false, true}) {
      Array a = random_array(rng, {2, 3, 4}, t, strided);
      for (Kind kind : {Kind::kSum, Kind::kMean, Kind::kMax, Kind::kMin})
        for (const auto& axes : combos)
          for (bool keepdims : {false, true}) check(kind, a, axes, keepdims);
    }
  }
  // A transposed view (no contiguous dim at all).
  Array base = random_array(rng, {4, 3, 2}, ndflow::kFloat64);
  Array t = ndflow::detail::make_view(base, {2, 3, 4}, {1, 2, 6}, 0);
  for (Kind kind : all_kinds())
    for (const auto& axes : combos) {
      if ((kind == Kind::kArgMax || kind == Kind::kArgMin) && axes.size() > 1) continue;
      for (bool keepdims : {false, true}) check(kind, t, axes, keepdims);
    }
}

TEST(ReduceTest, ResultShapesAndDtypesFollowNumPy) {
  Array a = ndflow::ones({2, 3, 4}, ndflow::kInt32);
  EXPECT_EQ(ndflow::sum(a).shape(), Shape{});
  EXPECT_EQ(ndflow::sum(a).dtype(), ndflow::kInt64);
  EXPECT_EQ(ndflow::sum(a).item<std::int64_t>(), 24);
  EXPECT_EQ(ndflow::sum(a, {}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(ndflow::sum(a, {1}).shape(), (Shape{2, 4}));
  EXPECT_EQ(ndflow::sum(a, {-1, 0}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(ndflow::mean(a, {0}).dtype(), ndflow::kFloat64);
  EXPECT_EQ(ndflow::mean(ndflow::ones({3}, ndflow::kFloat32)).dtype(), ndflow::kFloat32);
  EXPECT_EQ(ndflow::sum(ndflow::ones({3}, ndflow::kBool)).dtype(), ndflow::kInt64);
  EXPECT_EQ(ndflow::sum(ndflow::ones({3}, ndflow::kBool)).item<int>(), 3);
  EXPECT_EQ(ndflow::sum(ndflow::ones({3}, ndflow::kUInt8)).dtype(), ndflow::kInt64);
  EXPECT_EQ(ndflow::max(ndflow::ones({3}, ndflow::kUInt8)).dtype(), ndflow::kUInt8);
  EXPECT_EQ(ndflow::max(ndflow::ones({3}, ndflow::kBool)).dtype(), ndflow::kBool);
  EXPECT_EQ(ndflow::argmax(a).shape(), Shape{});
  EXPECT_EQ(ndflow::argmax(a, std::nullopt, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(ndflow::argmin(a, 1, true).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(ndflow::argmin(a, -1).shape(), (Shape{2, 3}));
  EXPECT_EQ(ndflow::argmin(a, -1).dtype(), ndflow::kInt64);
  // 0-d inputs reduce over no axis.
  Array z = ndflow::full({}, 5, ndflow::kFloat64);
  EXPECT_EQ(ndflow::sum(z).item<double>(), 5);
  EXPECT_EQ(ndflow::max(z, {}, true).shape(), Shape{});
  EXPECT_EQ(ndflow::argmax(z).item<std::int64_t>(), 0);
  // Size-0: sum is 0, mean is NaN, an empty output of a max is fine.
  EXPECT_EQ(ndflow::sum(ndflow::zeros({0}, ndflow::kInt32)).item<std::int64_t>(), 0);
  EXPECT_TRUE(std::isnan(ndflow::mean(ndflow::zeros({0}, ndflow::kInt32)).item<double>()));
  EXPECT_TRUE(std::isnan(ndflow::mean(ndflow::zeros({0, 3}, ndflow::kFloat32)).item<double>()));
  EXPECT_EQ(ndflow::mean(ndflow::zeros({3, 0}), {1}).to_vector<double>().size(), 3u);
  EXPECT_EQ(ndflow::max(ndflow::zeros({0, 3}), {1}).shape(), Shape{0});
  EXPECT_EQ(ndflow::argmax(ndflow::zeros({0, 3}), 1).shape(), Shape{0});
}

TEST(ReduceTest, IntegerSumsAreExactAndWrapLikeInt64) {
  Array big = ndflow::from_vector(
      std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(), 1}, {2});
  EXPECT_EQ(ndflow::sum(big).item<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  Array u = ndflow::full({1000}, 255, ndflow::kUInt8);
  EXPECT_EQ(ndflow::sum(u).item<std::int64_t>(), 255000);
  Array i = ndflow::full({3}, -2000000000, ndflow::kInt32);
  EXPECT_EQ(ndflow::sum(i).item<std::int64_t>(), -6000000000);
}

TEST(ReduceTest, NaNsPropagateAndArgmaxFindsTheFirstNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
    Array a = ndflow::from_vector(std::vector<double>{1, nan, 3, nan, -1}, {5}).astype(t);
    EXPECT_TRUE(std::isnan(ndflow::max(a).item<double>()));
    EXPECT_TRUE(std::isnan(ndflow::min(a).item<double>()));
    EXPECT_TRUE(std::isnan(ndflow::sum(a).item<double>()));
    EXPECT_TRUE(std::isnan(ndflow::mean(a).item<double>()));
    EXPECT_EQ(ndflow::argmax(a).item<std::int64_t>(), 1);
    EXPECT_EQ(ndflow::argmin(a).item<std::int64_t>(), 1);
    // Along an axis: only the rows holding a NaN.
    Array m =
        ndflow::from_vector(std::vector<double>{1, 5, 2, 4, nan, 9, 0, 0, 0}, {3, 3}).astype(t);
    const std::vector<double> mx = ndflow::max(m, {1}).to_vector<double>();
    EXPECT_EQ(mx[0], 5);
    EXPECT_TRUE(std::isnan(mx[1]));
    EXPECT_EQ(mx[2], 0);
    EXPECT_EQ(ndflow::argmax(m, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 1, 0}));
    EXPECT_EQ(ndflow::argmin(m, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 2}));
    // A NaN at the very start stays.
    Array s = ndflow::from_vector(std::vector<double>{nan, 7, -7}, {3}).astype(t);
    EXPECT_TRUE(std::isnan(ndflow::max(s).item<double>()));
    EXPECT_EQ(ndflow::argmin(s).item<std::int64_t>(), 0);
  }
}

TEST(ReduceTest, ArgExtremesReturnTheFirstOccurrence) {
  Array a = ndflow::from_vector(std::vector<std::int32_t>{3, 1, 3, 1, 2}, {5});
  EXPECT_EQ(ndflow::argmax(a).item<std::int64_t>(), 0);
  EXPECT_EQ(ndflow::argmin(a).item<std::int64_t>(), 1);
  Array b = ndflow::from_vector(std::vector<std::uint8_t>{0, 0, 1, 1, 1, 0}, {2, 3});
  EXPECT_EQ(ndflow::argmax(b).item<std::int64_t>(), 2);
  EXPECT_EQ(ndflow::argmax(b, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 1, 0}));
  EXPECT_EQ(ndflow::argmin(b, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 2}));
}

TEST(ReduceTest, BadAxesAndEmptyExtremesThrowAtTheCall) {
  Array a = ndflow::zeros({2, 3, 4});
  try {
    ndflow::sum(a, {3});
    FAIL() << "axis 3 of a 3-d array should throw";
  } catch (const ndflow::AxisError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("axis 3"), std::string::npos) << m;
    EXPECT_NE(m.find("dimension 3"), std::string::npos) << m;
  }
  EXPECT_THROW(ndflow::mean(a, {-4}), ndflow::AxisError);
  EXPECT_THROW(ndflow::max(a, {0, 0}), ndflow::AxisError);
  EXPECT_THROW(ndflow::min(a, {1, -2}), ndflow::AxisError);
  EXPECT_THROW(ndflow::argmax(a, 5), ndflow::AxisError);
  EXPECT_THROW(ndflow::argmin(a, -4), ndflow::AxisError);
  EXPECT_THROW(ndflow::sum(ndflow::zeros({}), {0}), ndflow::AxisError);
  EXPECT_THROW(ndflow::argmax(ndflow::zeros({}), -1), ndflow::AxisError);
  try {
    ndflow::max(ndflow::zeros({0}));
    FAIL() << "max of an empty array should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "zero-size array to reduction operation max which has no identity"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ndflow::min(ndflow::zeros({3, 0}), {1}), ndflow::ShapeError);
  EXPECT_THROW(ndflow::max(ndflow::zeros({0, 0}), {1}), ndflow::ShapeError);
  try {
    ndflow::argmax(ndflow::zeros({2, 0}));
    FAIL() << "argmax of an empty array should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("attempt to get argmax of an empty sequence"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ndflow::argmin(ndflow::zeros({2, 0}), 1), ndflow::ShapeError);
  Array undefined;
  EXPECT_THROW(ndflow::sum(undefined), std::invalid_argument);
}

// Large inputs: split across outputs, or across fixed blocks of one output (two phases).
TEST(ReduceTest, LargeReductionsAreSplitAndRight) {
  std::mt19937_64 rng(5);
  // Few outputs over many elements (the block path), in every kind.
  for (const Shape& s : {Shape{(1 << 20) + 11}, Shape{3, 300007}}) {
    Array a = random_array(rng, s, ndflow::kFloat32);
    const std::vector<int> axes = s.ndim() == 1 ? std::vector<int>{} : std::vector<int>{1};
    for (Kind kind : all_kinds()) check(kind, a, axes, false);
  }
  // Extremes planted in the last block.
  std::vector<double> host(700000, 0.5);
  host[654321] = 9;
  host[654322] = 9;
  host[600000] = -9;
  Array h = ndflow::from_vector(host, {700000});
  EXPECT_EQ(ndflow::argmax(h).item<std::int64_t>(), 654321);
  EXPECT_EQ(ndflow::argmin(h).item<std::int64_t>(), 600000);
  EXPECT_EQ(ndflow::max(h).item<double>(), 9);
  // Many outputs (the split-by-output path), over a strided input.
  Array b = random_array(rng, {300007, 3}, ndflow::kFloat64, /*strided=*/true);
  for (Kind kind : all_kinds()) {
    check(kind, b, {0}, false);
    check(kind, b, {1}, true);
  }
  Array c = random_array(rng, {(1 << 19) + 1}, ndflow::kInt32, /*strided=*/true);
  for (Kind kind : all_kinds()) check(kind, c, {}, false);
}

// Where the innermost kept axis is contiguous (a sum over axis 0 of a matrix), neighbouring
// outputs are reduced together, a row of them at a time. Each output must come out as it
// does reduced alone (its column sliced out, so one output at a time), bit for bit: sums
// round the same way, extremes and their indices are the same, NaNs propagate. Shapes cover
// tiles cut short, many blocks by output and by block (the two-phase path), reduced axes
// that make several runs per block, and a transposed view.
TEST(ReduceTest, NeighbouringOutputsReducedTogetherEqualEachReducedAlone) {
  struct Case {
    Shape shape;
    std::vector<int> axes;
    bool transposed;  // reduce the transpose of an array of `shape`
  };
  const std::vector<Case> cases = {
      {{1000, 37}, {0}, false},          // tiles of 16, 16 and 5
      {{40000, 70}, {0}, false},         // two blocks per output, 70 outputs
      {{70000, 5}, {0}, false},          // three blocks per output, 5 outputs: the block path
      {{20, 8, 30, 24}, {0, 2}, false},  // kept axes 1 and 3: a run per index of axis 0
      {{50, 3000}, {1}, true},           // a.T over axis 1: kept axis 0 has stride 1
  };
  std::mt19937_64 rng(9);
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt32}) {
    for (const Case& c : cases) {
      // Values 0 to 3 with ties everywhere (floats also get fractions), a NaN in one column.
      std::vector<double> v(static_cast<std::size_t>(c.shape.numel()));
      for (double& x : v)
        x = static_cast<double>(rng() % 4) +
            (ndflow::is_floating(t) ? 0.37 * static_cast<double>(rng() % 3) : 0);
      if (ndflow::is_floating(t)) v[v.size() / 2 + 3] = std::nan("");
      Array base = ndflow::from_vector(v, c.shape).astype(t);
      const Array a = c.transposed ? base.T() : base;
      const int last = a.shape().ndim() - 1;
      const int kept = c.transposed ? 0 : last;  // the innermost kept axis
      SCOPED_TRACE(std::string(ndflow::dtype_name(t)) + " " + a.shape().to_string());
      for (Kind kind : all_kinds()) {
        if ((kind == Kind::kArgMax || kind == Kind::kArgMin) && c.axes.size() != 1) continue;
        check(kind, a, c.axes, false);  // against the host's reference
        const std::vector<double> together = call(kind, a, c.axes, true).to_vector<double>();
        const std::int64_t n = a.shape()[kept];
        ASSERT_EQ(static_cast<std::int64_t>(together.size()) % n, 0);
        for (std::int64_t j = 0; j < n; ++j) {
          const std::vector<double> alone =
              call(kind, a.slice(kept, j, j + 1), c.axes, true).to_vector<double>();
          // Output (i, j) of `together` (j its position on the kept axis) is alone's output i.
          for (std::size_t i = 0; i < alone.size(); ++i) {
            const std::size_t at =
                c.transposed ? static_cast<std::size_t>(j) * alone.size() + i
                             : i * static_cast<std::size_t>(n) + static_cast<std::size_t>(j);
            ASSERT_EQ(std::memcmp(&together[at], &alone[i], sizeof(double)), 0)
                << kind_name(kind) << ", output " << at << ": " << together[at] << " together, "
                << alone[i] << " alone";
          }
        }
      }
    }
  }
}

// max, min, argmax and argmin over a contiguous run take a vectorised scan; a strided run the
// element-by-element loop. Both must end on the same element: the same index, and the same
// bits (which of -0 and +0, which NaN), over data whose extreme moves in every stretch
// (sorted), stays put, ties, hides among signed zeros, or is a NaN.
TEST(ReduceTest, ContiguousExtremesEqualTheirStridedTwinsBitForBit) {
  const std::vector<std::int64_t> lengths = {1, 2, 31, 33, 64, 65, 257, 2047, 2049, 4100, 70001};
  enum class Data { kTies, kAscending, kDescending, kSignedZeros, kOneNaN, kTwoNaNs };
  std::mt19937_64 rng(10);
  for (DType t :
       {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt32, ndflow::kUInt8, ndflow::kInt64}) {
    for (std::int64_t n : lengths) {
      for (Data d : {Data::kTies, Data::kAscending, Data::kDescending, Data::kSignedZeros,
                     Data::kOneNaN, Data::kTwoNaNs}) {
        const bool floating = ndflow::is_floating(t);
        if (!floating && (d == Data::kSignedZeros || d == Data::kOneNaN || d == Data::kTwoNaNs))
          continue;
        // Every other element of a 2n array holds the data: the strided twin of `run`.
        std::vector<double> v(static_cast<std::size_t>(2 * n), 0.0);
        for (std::int64_t i = 0; i < n; ++i) {
          double x = static_cast<double>(rng() % 4) + (floating ? 0.25 * (rng() % 3) : 0);
          if (d == Data::kAscending) x = static_cast<double>(i % 250);
          if (d == Data::kDescending) x = static_cast<double>((n - i) % 250);
          if (d == Data::kSignedZeros) x = rng() % 2 ? 0.0 : -0.0;
          v[static_cast<std::size_t>(2 * i)] = x;
        }
        const double nan = std::nan("");
        if (d == Data::kOneNaN || d == Data::kTwoNaNs)
          v[static_cast<std::size_t>(2 * static_cast<std::int64_t>(rng() % n))] = nan;
        if (d == Data::kTwoNaNs) v[static_cast<std::size_t>(2 * (n - 1))] = -nan;
        const Array strided = ndflow::from_vector(v, Shape{2 * n}).astype(t).slice(0, 0, {}, 2);
        const Array run = strided.copy();
        ASSERT_TRUE(n == 1 || !strided.is_contiguous());
        ASSERT_TRUE(run.is_contiguous());
        SCOPED_TRACE(std::string(ndflow::dtype_name(t)) + " n=" + std::to_string(n) + " data " +
                     std::to_string(static_cast<int>(d)));
        for (Kind kind : {Kind::kMax, Kind::kMin, Kind::kArgMax, Kind::kArgMin}) {
          const double scanned = call(kind, run, {}, false).to_vector<double>()[0];
          const double walked = call(kind, strided, {}, false).to_vector<double>()[0];
          ASSERT_EQ(std::memcmp(&scanned, &walked, sizeof(double)), 0)
              << kind_name(kind) << ": " << scanned << " scanned, " << walked << " walked";
        }
      }
    }
  }
}

// Float sums round the same way whatever the engine and number of workers, and whichever
// path (by output or by block) computes them.
TEST(ReduceTest, FloatSumsDoNotDependOnTheEngineOrWorkerCount) {
  std::mt19937_64 rng(8);
  const std::int64_t n = (std::int64_t{1} << 20) + 17;
  std::vector<float> host(static_cast<std::size_t>(n));
  for (float& x : host) x = std::uniform_real_distribution<float>(-1, 1)(rng);
  auto run = [&](ndflow::EngineKind kind, int workers) {
    ndflow::EngineOptions options;
    options.kind = kind;
    options.cpu_workers = workers;
    ndflow::Engine engine(options);
    ndflow::detail::set_array_engine(&engine);
    std::vector<double> out;
    {
      Array a = ndflow::from_vector(host, {n});
      out.push_back(ndflow::sum(a).item<double>());
      out.push_back(ndflow::mean(a).item<double>());
      Array two = ndflow::from_vector(host, {1, n}).astype(ndflow::kFloat64);
      out.push_back(ndflow::sum(two, {1}).item<double>());
      // 64 overlapping rows of 40000 (two blocks each): the split-by-output path.
      Array rows = ndflow::detail::make_view(a, {64, 40000}, {1, 1}, 0);
      for (double x : ndflow::sum(rows, {1}).to_vector<double>()) out.push_back(x);
      // Row 5 alone: one output, so the two-phase block path.
      out.push_back(ndflow::sum(ndflow::detail::make_view(a, {40000}, {1}, 5)).item<double>());
      ndflow::wait_all();
    }
    ndflow::detail::set_array_engine(nullptr);
    return out;
  };
  const std::vector<double> naive = run(ndflow::EngineKind::kNaive, 1);
  for (int workers : {1, 2, 3}) {
    const std::vector<double> got = run(ndflow::EngineKind::kThreaded, workers);
    ASSERT_EQ(got.size(), naive.size());
    EXPECT_EQ(std::memcmp(got.data(), naive.data(), got.size() * sizeof(double)), 0) << workers;
  }
  // The row summed alone equals the same row summed as one of many outputs.
  EXPECT_EQ(naive[3 + 5], naive.back());
  double ref = 0;
  for (float x : host) ref += x;
  EXPECT_NEAR(naive[0], ref, 1e-3);
}

}  // namespace
}  // namespace ndflow_test
