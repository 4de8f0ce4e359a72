// Element-wise ops: every binary and unary op declared once (its ndflow call and a double
// reference) and checked differentially over all dtypes, awkward and broadcast shapes and
// strided views; NumPy's result dtypes, NEP 50 scalar operands, in-place forms, where,
// large arrays split across workers, and the errors raised at the call.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"

namespace ndflow_test {
namespace {

using ndflow::kBool;
using ndflow::kFloat32;
using ndflow::kFloat64;
using ndflow::kInt32;
using ndflow::kInt64;
using ndflow::kUInt8;
using ndflow::Scalar;

// A double value converted to dtype t the way a kernel stores it: integers wrap modulo
// 2^bits (NumPy's overflow), float32 rounds, bool is "nonzero".
double to_dtype(double v, DType t) {
  if (std::isnan(v) || std::isinf(v)) return v;
  switch (t) {
    case ndflow::kBool:
      return v != 0 ? 1 : 0;
    case ndflow::kUInt8:
      return static_cast<double>(static_cast<std::uint8_t>(static_cast<std::int64_t>(v)));
    case ndflow::kInt32:
      return static_cast<double>(
          static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::int64_t>(v))));
    case ndflow::kInt64:
      return v;
    case ndflow::kFloat32:
      return static_cast<double>(static_cast<float>(v));
    case ndflow::kFloat64:
      return v;
  }
  return v;
}

bool is_float(DType t) { return t == kFloat32 || t == kFloat64; }

// How an op's result dtype follows from its operands' (NumPy's rules).
enum class Rule { kPromote, kTrueDivide, kCompare };

DType expected_binary_dtype(Rule rule, DType a, DType b) {
  const DType p = ndflow::promote_types(a, b);
  switch (rule) {
    case Rule::kPromote:
      return p;
    case Rule::kTrueDivide:
      return is_float(p) ? p : kFloat64;
    case Rule::kCompare:
      return kBool;
  }
  return p;
}

// Integer power as the kernel defines it: a negative exponent gives the truncated exact
// result (1 for base 1, +-1 for base -1, 0 otherwise), where NumPy would raise.
double ref_power(double a, double b, bool integer) {
  if (integer && b < 0) return a == 1 ? 1 : a == -1 ? (std::fmod(b, 2) != 0 ? -1 : 1) : 0;
  return std::pow(a, b);
}

struct BinaryCase {
  const char* name;
  Array (*fn)(const Array&, const Array&);
  double (*ref)(double, double);
  Rule rule;
  bool bool_ok;  // false: two bools throw DTypeError
};

const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> c = {
      {"add", ndflow::add, [](double a, double b) { return a + b; }, Rule::kPromote, true},
      {"subtract", ndflow::subtract, [](double a, double b) { return a - b; }, Rule::kPromote,
       false},
      {"multiply", ndflow::multiply, [](double a, double b) { return a * b; }, Rule::kPromote,
       true},
      {"divide", ndflow::divide, [](double a, double b) { return a / b; }, Rule::kTrueDivide, true},
      // The integer flavour is chosen in check_binary (it depends on the dtype).
      {"power", ndflow::power, [](double a, double b) { return std::pow(a, b); }, Rule::kPromote,
       false},
      {"maximum", ndflow::maximum, [](double a, double b) { return std::max(a, b); },
       Rule::kPromote, true},
      {"minimum", ndflow::minimum, [](double a, double b) { return std::min(a, b); },
       Rule::kPromote, true},
      {"equal", ndflow::equal, [](double a, double b) { return double(a == b); }, Rule::kCompare,
       true},
      {"not_equal", ndflow::not_equal, [](double a, double b) { return double(a != b); },
       Rule::kCompare, true},
      {"less", ndflow::less, [](double a, double b) { return double(a < b); }, Rule::kCompare,
       true},
      {"less_equal", ndflow::less_equal, [](double a, double b) { return double(a <= b); },
       Rule::kCompare, true},
      {"greater", ndflow::greater, [](double a, double b) { return double(a > b); }, Rule::kCompare,
       true},
      {"greater_equal", ndflow::greater_equal, [](double a, double b) { return double(a >= b); },
       Rule::kCompare, true},
  };
  return c;
}

// Runs one binary case on a and b and checks the dtype, shape and values.
void check_binary(const BinaryCase& c, const Array& a, const Array& b) {
  SCOPED_TRACE(std::string(c.name) + " " + ndflow::dtype_name(a.dtype()) + a.shape().to_string() +
               " with " + ndflow::dtype_name(b.dtype()) + b.shape().to_string());
  const DType want = expected_binary_dtype(c.rule, a.dtype(), b.dtype());
  if (!c.bool_ok && ndflow::promote_types(a.dtype(), b.dtype()) == kBool) {
    EXPECT_THROW(c.fn(a, b), ndflow::DTypeError);
    return;
  }
  Array got = c.fn(a, b);
  ASSERT_EQ(got.dtype(), want);
  const bool integer = !is_float(ndflow::promote_types(a.dtype(), b.dtype()));
  Ref ref = ref_binary(ref_of(a), ref_of(b), [&](double x, double y) {
    return std::string(c.name) == "power" ? ref_power(x, y, integer) : c.ref(x, y);
  });
  for (double& v : ref.v) v = to_dtype(v, want);
  EXPECT_TRUE(AllClose(got, ref, rtol_for(want)));
}

TEST(ElementwiseBinaryTest, EveryOpMatchesTheReferenceOverDtypesAndAwkwardShapes) {
  std::mt19937_64 rng(1);
  for (const BinaryCase& c : binary_cases())
    for (DType ta : all_dtypes())
      for (DType tb : all_dtypes())
        for (const Shape& s : awkward_shapes())
          check_binary(c, random_array(rng, s, ta), random_array(rng, s, tb));
}

TEST(ElementwiseBinaryTest, BroadcastsLikeNumPy) {
  std::mt19937_64 rng(2);
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}},    {{}, {2, 2}},  {{2, 2}, {}}, {{1, 5, 1}, {2, 1, 3}},
      {{0}, {1}},       {{2, 0, 3}, {1, 3}}, {{4, 1}, {3}}, {{1}, {7}},   {{2, 1, 1, 3}, {5, 1}}};
  const std::vector<std::pair<DType, DType>> dtypes = {{kFloat32, kFloat32},
                                                       {kInt32, kFloat32},
                                                       {kUInt8, kInt64},
                                                       {kBool, kFloat64},
                                                       {kInt64, kInt64}};
  for (const BinaryCase& c : binary_cases())
    for (const auto& [ta, tb] : dtypes)
      for (const auto& [sa, sb] : pairs) {
        check_binary(c, random_array(rng, sa, ta), random_array(rng, sb, tb));
        check_binary(c, random_array(rng, sb, tb), random_array(rng, sa, ta));
      }
}

TEST(ElementwiseBinaryTest, ReadsNonContiguousViews) {
  std::mt19937_64 rng(3);
  for (const BinaryCase& c : binary_cases())
    for (DType t : all_dtypes())
      for (const Shape& s : {Shape{7}, Shape{3, 4}, Shape{2, 3, 4}}) {
        check_binary(c, random_array(rng, s, t, true), random_array(rng, s, kFloat32));
        check_binary(c, random_array(rng, s, kInt32), random_array(rng, s, t, true));
        check_binary(c, random_array(rng, s, t, true), random_array(rng, s, t, true));
      }
  // A transposed operand and a strided one broadcast against each other.
  Array t = random_array(rng, {4, 3}, kFloat32).T();  // (3,4), strides (1,3)
  for (const BinaryCase& c : binary_cases()) {
    check_binary(c, t, random_array(rng, {4}, kFloat64, true));
    check_binary(c, random_array(rng, {3, 1}, kInt64, true), t);
  }
}

TEST(ElementwiseDTypeTest, ResultDtypesFollowNumPy) {
  auto z = [](DType t) { return ndflow::zeros({2}, t); };
  // Written out from NumPy for a few pairs.
  EXPECT_EQ(ndflow::add(z(kInt32), z(kFloat32)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::add(z(kUInt8), z(kFloat32)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::add(z(kUInt8), z(kInt32)).dtype(), kInt32);
  EXPECT_EQ(ndflow::add(z(kInt32), z(kInt64)).dtype(), kInt64);
  EXPECT_EQ(ndflow::add(z(kBool), z(kBool)).dtype(), kBool);
  EXPECT_EQ(ndflow::multiply(z(kBool), z(kUInt8)).dtype(), kUInt8);
  EXPECT_EQ(ndflow::subtract(z(kFloat32), z(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::divide(z(kInt32), z(kInt32)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::divide(z(kUInt8), z(kUInt8)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::divide(z(kBool), z(kBool)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::divide(z(kFloat32), z(kFloat32)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::divide(z(kUInt8), z(kFloat32)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::power(z(kInt32), z(kUInt8)).dtype(), kInt32);
  EXPECT_EQ(ndflow::maximum(z(kFloat32), z(kInt64)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::less(z(kFloat32), z(kInt64)).dtype(), kBool);
  EXPECT_EQ(ndflow::where(z(kFloat32), z(kInt32), z(kFloat32)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::where(z(kBool), z(kUInt8), z(kBool)).dtype(), kUInt8);
  // Unary: float math on bool/uint8 gives float32 (NumPy: float16, which ndflow lacks).
  EXPECT_EQ(ndflow::exp(z(kInt32)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::log(z(kInt64)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::sqrt(z(kUInt8)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::tanh(z(kBool)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::sigmoid(z(kFloat32)).dtype(), kFloat32);
  EXPECT_EQ(ndflow::negative(z(kUInt8)).dtype(), kUInt8);
  EXPECT_EQ(ndflow::abs(z(kInt64)).dtype(), kInt64);
  EXPECT_EQ(ndflow::relu(z(kInt32)).dtype(), kInt32);
  EXPECT_EQ(ndflow::abs(z(kBool)).dtype(), kBool);
  // And every pair agrees with promote_types.
  for (DType a : all_dtypes())
    for (DType b : all_dtypes()) {
      EXPECT_EQ(ndflow::add(z(a), z(b)).dtype(), ndflow::promote_types(a, b));
      EXPECT_EQ(ndflow::equal(z(a), z(b)).dtype(), kBool);
    }
}

TEST(ElementwiseBinaryTest, IntegersWrapAndDivisionByZeroFollowsIEEE) {
  auto u8 = [](std::vector<std::uint8_t> v) {
    return ndflow::from_vector(v, {static_cast<std::int64_t>(v.size())});
  };
  EXPECT_EQ((u8({3, 250}) - u8({7, 10})).to_vector<int>(), (std::vector<int>{252, 240}));
  EXPECT_EQ((u8({200}) + u8({100})).to_vector<int>(), (std::vector<int>{44}));
  EXPECT_EQ(ndflow::negative(u8({1, 0})).to_vector<int>(), (std::vector<int>{255, 0}));
  Array big = ndflow::full({1}, std::numeric_limits<std::int32_t>::max(), kInt32);
  EXPECT_EQ((big + big).item<std::int64_t>(), -2);
  Array imin = ndflow::full({1}, std::numeric_limits<std::int32_t>::min(), kInt32);
  EXPECT_EQ(ndflow::abs(imin).item<std::int64_t>(), std::numeric_limits<std::int32_t>::min());
  const std::vector<double> q = ndflow::divide(ndflow::from_vector(std::vector<int>{1, -1, 0}, {3}),
                                               ndflow::zeros({3}, kInt32))
                                    .to_vector<double>();
  EXPECT_TRUE(std::isinf(q[0]) && q[0] > 0);
  EXPECT_TRUE(std::isinf(q[1]) && q[1] < 0);
  EXPECT_TRUE(std::isnan(q[2]));
  // Integer power: negative exponents give the truncated result instead of raising.
  Array base = ndflow::from_vector(std::vector<std::int64_t>{2, 1, -1, -1, 0, 3}, {6});
  Array ex = ndflow::from_vector(std::vector<std::int64_t>{-1, -5, -3, -2, -1, 4}, {6});
  EXPECT_EQ(ndflow::power(base, ex).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 1, -1, 1, 0, 81}));
  // maximum/minimum propagate NaN from either side.
  Array nan = ndflow::full({2}, std::nan(""), kFloat64);
  Array one = ndflow::ones({2}, kFloat64);
  for (const Array& r : {ndflow::maximum(nan, one), ndflow::maximum(one, nan),
                         ndflow::minimum(nan, one), ndflow::minimum(one, nan)})
    for (double v : r.to_vector<double>()) EXPECT_TRUE(std::isnan(v));
}

// --- unary ----------------------------------------------------------------------------------

struct UnaryCase {
  const char* name;
  Array (*fn)(const Array&);
  double (*ref)(double);
  bool float_result;  // exp/log/...: float32 for bool/uint8/float32, else float64
  bool bool_ok;
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> c = {
      {"negative", ndflow::negative, [](double x) { return -x; }, false, false},
      {"abs", ndflow::abs, [](double x) { return std::fabs(x); }, false, true},
      {"relu", ndflow::relu, [](double x) { return x < 0 ? 0.0 : x; }, false, true},
      {"exp", ndflow::exp, [](double x) { return std::exp(x); }, true, true},
      {"log", ndflow::log, [](double x) { return std::log(x); }, true, true},
      {"sqrt", ndflow::sqrt, [](double x) { return std::sqrt(x); }, true, true},
      {"tanh", ndflow::tanh, [](double x) { return std::tanh(x); }, true, true},
      {"sigmoid", ndflow::sigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }, true, true},
  };
  return c;
}

DType expected_unary_dtype(const UnaryCase& c, DType t) {
  if (!c.float_result) return t;
  return t == kFloat64 || t == kInt32 || t == kInt64 ? kFloat64 : kFloat32;
}

void check_unary(const UnaryCase& c, const Array& a) {
  SCOPED_TRACE(std::string(c.name) + " " + ndflow::dtype_name(a.dtype()) + a.shape().to_string());
  if (!c.bool_ok && a.dtype() == kBool) {
    EXPECT_THROW(c.fn(a), ndflow::DTypeError);
    return;
  }
  const DType want = expected_unary_dtype(c, a.dtype());
  Array got = c.fn(a);
  ASSERT_EQ(got.dtype(), want);
  Ref ref = ref_of(a);
  for (double& v : ref.v) v = to_dtype(c.ref(v), want);
  EXPECT_TRUE(AllClose(got, ref, rtol_for(want)));
}

TEST(ElementwiseUnaryTest, EveryOpMatchesTheReferenceOverDtypesShapesAndViews) {
  std::mt19937_64 rng(4);
  for (const UnaryCase& c : unary_cases())
    for (DType t : all_dtypes()) {
      for (const Shape& s : awkward_shapes()) {
        check_unary(c, random_array(rng, s, t));
        check_unary(c, random_array(rng, s, t, /*strided=*/true));
      }
      check_unary(c, random_array(rng, {3, 5}, t).T());
    }
  // Special values.
  const std::vector<double> v =
      ndflow::log(ndflow::from_vector(std::vector<double>{0, -1}, {2})).to_vector<double>();
  EXPECT_TRUE(std::isinf(v[0]) && v[0] < 0);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_TRUE(std::isnan(ndflow::relu(ndflow::full({}, std::nan(""), kFloat32)).item<double>()));
  EXPECT_EQ(ndflow::sigmoid(ndflow::full({}, -200.0, kFloat32)).item<double>(), 0.0);
  EXPECT_EQ(ndflow::sigmoid(ndflow::full({}, 200.0, kFloat32)).item<double>(), 1.0);
}

// --- where ----------------------------------------------------------------------------------

TEST(ElementwiseWhereTest, SelectsWithThreeWayBroadcastAndPromotion) {
  std::mt19937_64 rng(5);
  const std::vector<std::tuple<Shape, Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}, {3, 4}}, {{3, 1}, {1, 4}, {}}, {{}, {2, 3}, {3}},
      {{4}, {2, 1}, {1}},       {{0, 2}, {1, 2}, {}}, {{2, 3, 4}, {3, 1}, {4}}};
  for (DType tc : all_dtypes())
    for (DType ta : {kBool, kInt32, kFloat32, kFloat64})
      for (DType tb : {kUInt8, kInt64, kFloat32})
        for (const auto& [sc, sa, sb] : shapes)
          for (bool strided : {false, true}) {
            Array c = random_array(rng, sc, tc, strided);
            Array a = random_array(rng, sa, ta, strided);
            Array b = random_array(rng, sb, tb);
            SCOPED_TRACE(std::string(ndflow::dtype_name(tc)) + sc.to_string() + " " +
                         ndflow::dtype_name(ta) + sa.to_string() + " " + ndflow::dtype_name(tb) +
                         sb.to_string());
            Array got = ndflow::where(c, a, b);
            const DType want = ndflow::promote_types(ta, tb);
            ASSERT_EQ(got.dtype(), want);
            const Ref ab = ref_binary(ref_of(a), ref_of(b), [](double x, double) { return x; });
            const Ref ba = ref_binary(ref_of(a), ref_of(b), [](double, double y) { return y; });
            Ref ref = ref_binary(ref_of(c), ab, [](double x, double y) { return x != 0 ? y : 0; });
            const Ref alt =
                ref_binary(ref_of(c), ba, [](double x, double y) { return x != 0 ? 0 : y; });
            for (std::size_t i = 0; i < ref.v.size(); ++i)
              ref.v[i] = to_dtype(ref.v[i] + alt.v[i], want);
            EXPECT_TRUE(AllClose(got, ref, rtol_for(want)));
          }
  try {
    ndflow::where(ndflow::zeros({2}), ndflow::zeros({3}), ndflow::zeros({4}));
    FAIL() << "where should not broadcast (2,), (3,) and (4,)";
  } catch (const ndflow::ShapeError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("where"), std::string::npos) << m;
    EXPECT_NE(m.find("(2,)"), std::string::npos) << m;
    EXPECT_NE(m.find("(4,)"), std::string::npos) << m;
  }
  // A NaN condition is nonzero, hence true.
  EXPECT_EQ(ndflow::where(ndflow::full({}, std::nan(""), kFloat64), ndflow::ones({}, kInt32),
                          ndflow::zeros({}, kInt32))
                .item<int>(),
            1);
}

TEST(ElementwiseWhereTest, AScalarOnEitherSideTakesItsDtypeFromTheArray) {
  const Array c = ndflow::from_vector(std::vector<std::int32_t>{1, 0, 1}, {3});  // nonzero: true
  const Array u8 = ndflow::from_vector(std::vector<std::uint8_t>{1, 2, 3}, {3});
  const Array f32 = ndflow::from_vector(std::vector<float>{1.5f, 2.5f, 3.5f}, {3});
  // where(c, x, 0) keeps x's dtype (NEP 50), as x + 0 does.
  EXPECT_EQ(ndflow::where(c, u8, Scalar(0)).dtype(), kUInt8);
  EXPECT_EQ(ndflow::where(c, u8, Scalar(0)).to_vector<int>(), (std::vector<int>{1, 0, 3}));
  EXPECT_EQ(ndflow::where(c, Scalar(7), u8).to_vector<int>(), (std::vector<int>{7, 2, 7}));
  EXPECT_EQ(ndflow::where(c, f32, Scalar(0)).dtype(), kFloat32);
  // A float scalar next to an integer array makes the result float; a bool one keeps it.
  EXPECT_EQ(ndflow::where(c, u8, Scalar(0.5)).dtype(), kFloat64);
  EXPECT_EQ(ndflow::where(c, u8, Scalar(0.5)).to_vector<double>(),
            (std::vector<double>{1, 0.5, 3}));
  EXPECT_EQ(ndflow::where(c, u8, Scalar(true)).dtype(), kUInt8);
  EXPECT_THROW(ndflow::where(ndflow::zeros({2}), u8, Scalar(1)), ndflow::ShapeError);
  EXPECT_THROW(ndflow::where(ndflow::zeros({2}), Scalar(1), u8), ndflow::ShapeError);
}

// --- scalar operands (NEP 50) ---------------------------------------------------------------

TEST(ScalarOperandTest, DtypesFollowNEP50) {
  Array i32 = ndflow::from_vector(std::vector<std::int32_t>{1, -2, 3}, {3});
  Array f32 = ndflow::from_vector(std::vector<float>{0.5f, -1.5f}, {2});
  Array b = ndflow::from_vector(std::vector<std::uint8_t>{0, 1}, {2}).astype(kBool);
  Array u8 = ndflow::from_vector(std::vector<std::uint8_t>{0, 250}, {2});

  EXPECT_EQ((i32 + 1).dtype(), kInt32);
  EXPECT_EQ((i32 + 1).to_vector<int>(), (std::vector<int>{2, -1, 4}));
  EXPECT_EQ((i32 + 1.5).dtype(), kFloat64);
  EXPECT_EQ((i32 + 1.5).to_vector<double>(), (std::vector<double>{2.5, -0.5, 4.5}));
  EXPECT_EQ((f32 + 2).dtype(), kFloat32);
  EXPECT_EQ((f32 + 2.5).dtype(), kFloat32);
  EXPECT_EQ((f32 * 2).to_vector<float>(), (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ((b + 1).dtype(), kInt64);
  EXPECT_EQ((b + 1).to_vector<int>(), (std::vector<int>{1, 2}));
  EXPECT_EQ((b + true).dtype(), kBool);
  EXPECT_EQ((b * 1.5).dtype(), kFloat64);
  EXPECT_EQ((i32 + true).dtype(), kInt32);
  EXPECT_EQ((u8 + 5).dtype(), kUInt8);
  EXPECT_EQ((u8 + 5).to_vector<int>(), (std::vector<int>{5, 255}));
  EXPECT_EQ((u8 + 255).dtype(), kUInt8);
  EXPECT_THROW(u8 + 300, ndflow::DTypeError);
  EXPECT_THROW(u8 + (-1), ndflow::DTypeError);
  EXPECT_THROW(i32 + (std::int64_t{1} << 40), ndflow::DTypeError);
  EXPECT_EQ((i32 / 2).dtype(), kFloat64);
  EXPECT_EQ((i32 / 2).to_vector<double>(), (std::vector<double>{0.5, -1, 1.5}));
  EXPECT_EQ((1 - i32).to_vector<int>(), (std::vector<int>{0, 3, -2}));
  EXPECT_EQ((6 / f32).to_vector<float>(), (std::vector<float>{12.0f, -4.0f}));
  EXPECT_EQ((i32 > 0).dtype(), kBool);
  EXPECT_EQ((i32 > 0).to_vector<int>(), (std::vector<int>{1, 0, 1}));
  EXPECT_EQ((i32 == -2).to_vector<int>(), (std::vector<int>{0, 1, 0}));
  EXPECT_EQ((f32 <= 0.5).to_vector<int>(), (std::vector<int>{1, 1}));
  EXPECT_EQ((2 != i32).to_vector<int>(), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ((-i32).to_vector<int>(), (std::vector<int>{-1, 2, -3}));

  Array s = ndflow::scalar_like(7, f32);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.dtype(), kFloat32);
  EXPECT_EQ(s.device(), f32.device());
  EXPECT_EQ(s.item<double>(), 7.0);
  EXPECT_EQ(ndflow::scalar_like(1.25, i32).item<double>(), 1.25);
  EXPECT_EQ(ndflow::scalar_like(true, f32).dtype(), kBool);
  EXPECT_THROW(ndflow::scalar_like(1, Array()), std::invalid_argument);
}

// --- in place -------------------------------------------------------------------------------

TEST(InPlaceTest, WritesIntoTheArrayAndMatchesTheOutOfPlaceOp) {
  std::mt19937_64 rng(6);
  struct Case {
    Array& (*fn)(Array&, const Array&);
    Array (*plain)(const Array&, const Array&);
  };
  const std::vector<Case> cases = {
      {[](Array& a, const Array& b) -> Array& { return a += b; }, ndflow::add},
      {[](Array& a, const Array& b) -> Array& { return a -= b; }, ndflow::subtract},
      {[](Array& a, const Array& b) -> Array& { return a *= b; }, ndflow::multiply},
      {[](Array& a, const Array& b) -> Array& { return a /= b; }, ndflow::divide},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 4}, {}}, {{2, 3, 4}, {3, 1}}, {{}, {}}, {{0, 3}, {3}}};
  for (const Case& c : cases)
    for (DType ta : {kInt32, kInt64, kFloat32, kFloat64})
      for (DType tb : {kBool, kUInt8, kInt32, kFloat32, kFloat64})
        for (const auto& [sa, sb] : shapes)
          for (bool strided : {false, true}) {
            Array a = random_array(rng, sa, ta, strided);
            Array b = random_array(rng, sb, tb);
            const DType plain = c.plain(ndflow::zeros({}, ta), ndflow::zeros({}, tb)).dtype();
            const bool ok = (is_float(ta) || !is_float(plain));
            if (!ok) {
              EXPECT_THROW(c.fn(a, b), ndflow::DTypeError);
              continue;
            }
            Ref want = ref_of(c.plain(a, b));
            for (double& v : want.v) v = to_dtype(v, ta);
            const auto before = a.impl();
            Array& r = c.fn(a, b);
            EXPECT_EQ(&r, &a);
            EXPECT_EQ(a.impl(), before);  // the same array, written in place
            EXPECT_EQ(a.dtype(), ta);
            EXPECT_TRUE(AllClose(a, want, rtol_for(ta)));
          }
}

TEST(InPlaceTest, SelfStridedTargetAndOverlappingOperand) {
  // a += a
  Array a = ndflow::from_vector(std::vector<float>{1, 2, 3}, {3});
  a += a;
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{2, 4, 6}));
  a *= a;
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{4, 16, 36}));

  // A strided view as the target: only its elements change, seen through the base.
  std::vector<double> v(12);
  std::iota(v.begin(), v.end(), 0.0);
  Array base = ndflow::from_vector(v, {3, 4});
  Array cols = base.slice(1, 1, std::nullopt, 2);  // columns 1 and 3
  ASSERT_FALSE(cols.is_contiguous());
  cols += ndflow::from_vector(std::vector<double>{100, 200}, {2});
  EXPECT_EQ(base.to_vector<double>(),
            (std::vector<double>{0, 101, 2, 203, 4, 105, 6, 207, 8, 109, 10, 211}));
  Array t = base.T();
  t -= 1;
  EXPECT_EQ(base.to_vector<double>(),
            (std::vector<double>{-1, 100, 1, 202, 3, 104, 5, 206, 7, 108, 9, 210}));

  // An overlapping view of the same memory as the operand: read as if copied first.
  std::vector<std::int64_t> w(10);
  std::iota(w.begin(), w.end(), 0);
  Array x = ndflow::from_vector(w, {10});
  Array tail = x.slice(0, 1, std::nullopt);
  tail += x.slice(0, std::nullopt, -1);
  EXPECT_EQ(x.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 1, 3, 5, 7, 9, 11, 13, 15, 17}));
  Array y = ndflow::from_vector(w, {10});
  Array head = y.slice(0, std::nullopt, -1);
  head -= y.slice(0, 1, std::nullopt);
  EXPECT_EQ(y.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-1, -1, -1, -1, -1, -1, -1, -1, -1, 9}));
  Array m = ndflow::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  m += m.T();
  EXPECT_EQ(m.to_vector<double>(), (std::vector<double>{2, 5, 5, 8}));
}

TEST(InPlaceTest, IsOrderedAfterEarlierReadsAndBeforeLaterOnes) {
  Array a = ndflow::zeros({1000}, kInt64);
  std::vector<Array> snapshots;
  for (int i = 0; i < 20; ++i) {
    snapshots.push_back(a + 0);
    a += 1;
  }
  Array after = a * 2;
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(snapshots[static_cast<std::size_t>(i)].to_vector<int>()[999], i);
  EXPECT_EQ(after.to_vector<int>()[0], 40);
}

TEST(InPlaceTest, ScalarOperandsAndCastingRules) {
  Array i32 = ndflow::from_vector(std::vector<std::int32_t>{1, 2, 3}, {3});
  i32 += 2;
  i32 *= 3;
  i32 -= 1;
  EXPECT_EQ(i32.to_vector<int>(), (std::vector<int>{8, 11, 14}));
  EXPECT_EQ(i32.dtype(), kInt32);
  try {
    i32 += 1.5;
    FAIL() << "int32 += 1.5 should throw";
  } catch (const ndflow::DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot cast float64 to int32 in place"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(i32 /= 2, ndflow::DTypeError);
  EXPECT_THROW(i32 += ndflow::ones({3}, kFloat32), ndflow::DTypeError);
  i32 += ndflow::ones({3}, kInt64);  // same kind: int64 -> int32 is allowed
  EXPECT_EQ(i32.to_vector<int>(), (std::vector<int>{9, 12, 15}));

  Array u8 = ndflow::from_vector(std::vector<std::uint8_t>{1, 2}, {2});
  EXPECT_THROW(u8 += ndflow::ones({2}, kInt32), ndflow::DTypeError);  // int32 -> uint8
  EXPECT_THROW(u8 += 300, ndflow::DTypeError);
  u8 += ndflow::ones({2}, kBool);
  EXPECT_EQ(u8.to_vector<int>(), (std::vector<int>{2, 3}));

  Array f32 = ndflow::from_vector(std::vector<float>{1, 2}, {2});
  f32 += ndflow::full({2}, 0.25, kFloat64);  // float64 -> float32 is allowed
  f32 /= 2;
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_EQ(f32.to_vector<float>(), (std::vector<float>{0.625f, 1.125f}));
  f32 *= ndflow::full({2}, 2, kInt64);
  EXPECT_EQ(f32.to_vector<float>(), (std::vector<float>{1.25f, 2.25f}));

  Array b = ndflow::zeros({2}, kBool);
  EXPECT_THROW(b += 1, ndflow::DTypeError);
  EXPECT_THROW(b -= ndflow::ones({2}, kBool), ndflow::DTypeError);
  b += ndflow::from_vector(std::vector<std::uint8_t>{0, 1}, {2}).astype(kBool);
  EXPECT_EQ(b.to_vector<int>(), (std::vector<int>{0, 1}));

  // The operand must broadcast to the target's shape exactly.
  Array t = ndflow::zeros({3, 1});
  EXPECT_THROW(t += ndflow::ones({3, 4}), ndflow::ShapeError);
  EXPECT_THROW(t += ndflow::ones({2}), ndflow::ShapeError);
  Array undefined;
  EXPECT_THROW(undefined += 1, std::invalid_argument);
  EXPECT_THROW(t += undefined, std::invalid_argument);
}

// --- large arrays ---------------------------------------------------------------------------

TEST(ElementwiseLargeTest, LargeArraysAreSplitAcrossWorkersAndStillRight) {
  const std::int64_t n = (std::int64_t{1} << 21) + 7;
  std::vector<float> av(static_cast<std::size_t>(n)), bv(av.size());
  for (std::size_t i = 0; i < av.size(); ++i) {
    av[i] = static_cast<float>(i % 1000);
    bv[i] = static_cast<float>(i % 7) - 3;
  }
  Array a = ndflow::from_vector(av, {n});
  Array b = ndflow::from_vector(bv, {n});
  const std::vector<float> sum = (a + b).to_vector<float>();
  const std::vector<int> gt = (a > b).to_vector<int>();
  const std::vector<double> ex = ndflow::sqrt(a).to_vector<double>();
  for (std::size_t i = 0; i < av.size(); ++i) {
    ASSERT_EQ(sum[i], av[i] + bv[i]) << i;
    ASSERT_EQ(gt[i], av[i] > bv[i] ? 1 : 0) << i;
    ASSERT_NEAR(ex[i], std::sqrt(av[i]), 1e-5 * std::sqrt(av[i])) << i;
  }
  // Strided and broadcast, and in place.
  Array m = ndflow::from_vector(av, {n}).slice(0, std::nullopt, n - 7).reshape({1024, 2048}).T();
  Array row = ndflow::from_vector(std::vector<double>(1024, 0.5), {1024});
  const std::vector<double> r = (m * row).to_vector<double>();  // (2048,1024)
  for (std::int64_t i = 0; i < 2048; i += 97)
    for (std::int64_t j = 0; j < 1024; j += 31)
      ASSERT_EQ(r[static_cast<std::size_t>(i * 1024 + j)],
                0.5 * av[static_cast<std::size_t>(j * 2048 + i)]);
  a += b;
  a -= b;
  EXPECT_EQ(a.to_vector<float>(), av);
  Array w = ndflow::where(a > 500, a, b);
  const std::vector<float> wv = w.to_vector<float>();
  for (std::size_t i = 0; i < av.size(); i += 1001) ASSERT_EQ(wv[i], av[i] > 500 ? av[i] : bv[i]);
}

// --- errors ---------------------------------------------------------------------------------

TEST(ElementwiseErrorTest, FailuresAreRaisedAtTheCallWithUsefulMessages) {
  try {
    ndflow::add(ndflow::zeros({3, 4}), ndflow::zeros({5}));
    FAIL() << "(3,4) + (5,) should not broadcast";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("ndflow: add: cannot broadcast (3,4) with (5,)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ndflow::zeros({2, 3}) * ndflow::zeros({3, 2}), ndflow::ShapeError);
  EXPECT_THROW(ndflow::zeros({0}) + ndflow::zeros({2}), ndflow::ShapeError);
  try {
    ndflow::subtract(ndflow::ones({2}, kBool), ndflow::ones({2}, kBool));
    FAIL() << "bool - bool should throw";
  } catch (const ndflow::DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("subtract"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ndflow::power(ndflow::ones({2}, kBool), ndflow::ones({2}, kBool)),
               ndflow::DTypeError);
  EXPECT_THROW(-ndflow::ones({2}, kBool), ndflow::DTypeError);
  // bool with a non-bool operand is fine.
  EXPECT_EQ((ndflow::ones({2}, kBool) - ndflow::ones({2}, kUInt8)).dtype(), kUInt8);
  Array undefined;
  EXPECT_THROW(ndflow::add(undefined, ndflow::zeros({2})), std::invalid_argument);
  EXPECT_THROW(ndflow::exp(undefined), std::invalid_argument);
  EXPECT_THROW(ndflow::where(undefined, ndflow::zeros({2}), ndflow::zeros({2})),
               std::invalid_argument);
  // Different devices cannot be created in a build without a GPU backend.
}

}  // namespace
}  // namespace ndflow_test

namespace ndflow_test {
namespace {

// The scalar fast path (value kept in the op, no 0-d array) must agree with the general
// path (scalar_like + broadcasting) on either side, for small, strided and large arrays.
TEST(ScalarOperandTest, FastPathMatchesTheZeroDimPathOnEitherSide) {
  std::mt19937_64 rng(11);
  for (DType t : {ndflow::kInt32, ndflow::kFloat32, ndflow::kFloat64, ndflow::kUInt8}) {
    for (bool strided : {false, true}) {
      const Array a = random_array(rng, {5, 7}, t, strided);
      for (ndflow::Scalar s : {ndflow::Scalar(3), ndflow::Scalar(2.5)}) {
        const Array zero_d = ndflow::scalar_like(s, a);
        EXPECT_TRUE(AllClose(ndflow::subtract(a, s), ref_of(ndflow::subtract(a, zero_d)), 0, 0));
        EXPECT_TRUE(AllClose(ndflow::subtract(s, a), ref_of(ndflow::subtract(zero_d, a)), 0, 0));
        EXPECT_TRUE(AllClose(s / a, ref_of(ndflow::divide(zero_d, a)), 0, 0));
        EXPECT_TRUE(AllClose(a < s, ref_of(ndflow::less(a, zero_d)), 0, 0));
        EXPECT_EQ(ndflow::subtract(s, a).dtype(), ndflow::subtract(zero_d, a).dtype());
      }
    }
  }
  const Array big = ndflow::full({1 << 19}, 2, ndflow::kFloat32);  // split across workers
  const std::vector<float> v = (10 - big).to_vector<float>();
  EXPECT_EQ(std::count(v.begin(), v.end(), 8.0f), 1 << 19);
  EXPECT_THROW(ndflow::add(ndflow::zeros({2}, ndflow::kUInt8), 300), ndflow::DTypeError);
  EXPECT_THROW(ndflow::subtract(true, ndflow::zeros({2}, ndflow::kBool)), ndflow::DTypeError);
}

}  // namespace
}  // namespace ndflow_test
