// matmul and dot: differential against double-precision references computed on the host,
// over 1-d promotion, broadcast batches, size-0 dims, every dtype, transposed and sliced
// (strided, negative-stride) inputs, products large enough to be split across workers,
// and the call-time errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "array/harness.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

// NumPy's matmul on host references (double), with integer wrapping left out: the test
// values keep sums small, except uint8 which is reduced modulo 256.
Ref ref_matmul(const Ref& a, const Ref& b, DType dtype) {
  const bool a1 = a.shape.ndim() == 1, b1 = b.shape.ndim() == 1;
  const int an = a.shape.ndim(), bn = b.shape.ndim();
  const std::int64_t M = a1 ? 1 : a.shape[an - 2], K = a.shape[an - 1];
  const std::int64_t N = b1 ? 1 : b.shape[bn - 1];
  const Shape a_batch(std::vector<std::int64_t>(a.shape.begin(), a.shape.end() - std::min(an, 2)));
  const Shape b_batch(std::vector<std::int64_t>(b.shape.begin(), b.shape.end() - std::min(bn, 2)));
  Shape batch;
  EXPECT_TRUE(broadcast_shapes(a_batch, b_batch, &batch));
  std::vector<std::int64_t> dims = batch.to_vector();
  if (!a1) dims.push_back(M);
  if (!b1) dims.push_back(N);
  Ref out{Shape(dims), {}};
  out.v.resize(static_cast<std::size_t>(out.shape.numel()));
  for (std::int64_t bi = 0; bi < batch.numel(); ++bi) {
    const std::size_t ao = broadcast_index(a_batch, batch, bi) * static_cast<std::size_t>(M * K);
    const std::size_t bo = broadcast_index(b_batch, batch, bi) * static_cast<std::size_t>(K * N);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (std::int64_t k = 0; k < K; ++k)
          s += a.v[ao + static_cast<std::size_t>(i * K + k)] *
               b.v[bo + static_cast<std::size_t>(k * N + j)];
        if (dtype == ndflow::kBool) s = s != 0;
        if (dtype == ndflow::kUInt8) s = std::fmod(s, 256.0);
        out.v[static_cast<std::size_t>((bi * M + i) * N + j)] = s;
      }
  }
  return out;
}

// NumPy's dot for N-d operands: sum over a's last axis and b's second-to-last.
Ref ref_dot_nd(const Ref& a, const Ref& b) {
  const int an = a.shape.ndim(), bn = b.shape.ndim();
  const std::int64_t K = a.shape[an - 1], N = b.shape[bn - 1];
  const std::int64_t P = a.shape.numel() / std::max<std::int64_t>(K, 1);
  std::int64_t Q = 1;
  for (int d = 0; d < bn - 2; ++d) Q *= b.shape[d];
  std::vector<std::int64_t> dims(a.shape.begin(), a.shape.end() - 1);
  dims.insert(dims.end(), b.shape.begin(), b.shape.end() - 2);
  dims.push_back(N);
  Ref out{Shape(dims), std::vector<double>(static_cast<std::size_t>(P * Q * N))};
  for (std::int64_t p = 0; p < P; ++p)
    for (std::int64_t q = 0; q < Q; ++q)
      for (std::int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (std::int64_t k = 0; k < K; ++k)
          s += a.v[static_cast<std::size_t>(p * K + k)] *
               b.v[static_cast<std::size_t>((q * K + k) * N + n)];
        out.v[static_cast<std::size_t>((p * Q + q) * N + n)] = s;
      }
  return out;
}

double atol_for(DType t, std::int64_t k) {
  return t == ndflow::kFloat32   ? 1e-5 * static_cast<double>(k + 1)
         : t == ndflow::kFloat64 ? 1e-12 * static_cast<double>(k + 1)
                                 : 0;
}

struct Case {
  Shape a, b;
};

const std::vector<Case>& matmul_cases() {
  static const std::vector<Case> c = {
      {{2, 3}, {3, 4}},          {{3}, {3}},       {{3}, {3, 4}},    {{2, 3}, {3}},
      {{2, 1, 3, 4}, {5, 4, 2}}, {{0, 3}, {3, 4}}, {{2, 0}, {0, 4}}, {{2, 3}, {3, 0}},
      {{4}, {2, 4, 3}},          {{2, 3, 4}, {4}}, {{1, 1}, {1, 1}}, {{3, 1, 5}, {1, 5, 2}},
      {{0, 2, 3}, {3, 2}},       {{7, 9}, {9, 5}},
  };
  return c;
}

TEST(MatmulTest, MatchesNumPyOverShapesAndDtypes) {
  std::mt19937_64 rng(1);
  for (DType t : all_dtypes())
    for (const Case& c : matmul_cases())
      for (bool strided : {false, true}) {
        Array a = random_array(rng, c.a, t, strided), b = random_array(rng, c.b, t, strided);
        Array got = ndflow::matmul(a, b);
        EXPECT_EQ(got.dtype(), t);
        const std::int64_t K = c.a[c.a.ndim() - 1];
        EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), t), rtol_for(t), atol_for(t, K)))
            << ndflow::dtype_name(t) << " " << c.a.to_string() << " @ " << c.b.to_string()
            << (strided ? " strided" : "");
      }
}

TEST(MatmulTest, MixedDtypesPromote) {
  std::mt19937_64 rng(2);
  const std::vector<std::pair<DType, DType>> pairs = {
      {ndflow::kInt32, ndflow::kFloat32}, {ndflow::kBool, ndflow::kInt32},
      {ndflow::kUInt8, ndflow::kInt64},   {ndflow::kFloat32, ndflow::kFloat64},
      {ndflow::kInt64, ndflow::kFloat64}, {ndflow::kBool, ndflow::kFloat32}};
  for (auto [ta, tb] : pairs) {
    Array a = random_array(rng, {3, 5}, ta), b = random_array(rng, {5, 2}, tb, true);
    const DType t = ndflow::promote_types(ta, tb);
    Array got = ndflow::matmul(a, b);
    EXPECT_EQ(got.dtype(), t);
    EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), t), rtol_for(t), atol_for(t, 5)))
        << ndflow::dtype_name(ta) << " @ " << ndflow::dtype_name(tb);
  }
}

TEST(MatmulTest, TransposedSlicedAndNegativeStrideInputs) {
  std::mt19937_64 rng(3);
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt64, ndflow::kBool}) {
    Array base_a = random_array(rng, {6, 5}, t), base_b = random_array(rng, {6, 8}, t);
    const std::vector<std::pair<Array, Array>> inputs = {
        {base_a.T(), base_b},                                           // (5,6) transposed @ (6,8)
        {base_a.T(), base_b.slice(1, 1, 7)},                            // column slice
        {base_a.T(), base_b.slice(1, std::nullopt, std::nullopt, -1)},  // reversed columns
        {base_a.T().slice(0, std::nullopt, std::nullopt, 2), base_b.slice(1, 0, 8, 3)},
        {base_b.T(), base_a},                                           // (8,6) @ (6,5)
        {base_b.T(), base_a.slice(0, std::nullopt, std::nullopt, -1)},  // reversed rows
        {base_a.slice(0, 1, 4), base_b.slice(0, 1, 6)},                 // (3,5) @ (5,8), ld 8
        {base_b.T().slice(1, 0, 5), base_a.T().slice(1, 1, 6)},         // both transposed
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto& [a, b] = inputs[i];
      const std::int64_t K = a.shape()[a.ndim() - 1];
      EXPECT_TRUE(AllClose(ndflow::matmul(a, b), ref_matmul(ref_of(a), ref_of(b), t), rtol_for(t),
                           atol_for(t, K)))
          << ndflow::dtype_name(t) << " case " << i;
    }
    // Strided 1-d operands: a column of a matrix, and a reversed vector.
    Array col = base_a.T()[1];  // (6,), stride 5
    EXPECT_TRUE(AllClose(ndflow::matmul(col, base_b), ref_matmul(ref_of(col), ref_of(base_b), t),
                         rtol_for(t), atol_for(t, 6)));
    Array rev = col.slice(0, std::nullopt, std::nullopt, -1);
    EXPECT_TRUE(AllClose(ndflow::matmul(base_a.T(), rev),
                         ref_matmul(ref_of(base_a.T()), ref_of(rev), t), rtol_for(t),
                         atol_for(t, 6)));
    EXPECT_TRUE(AllClose(ndflow::matmul(rev, col), ref_matmul(ref_of(rev), ref_of(col), t),
                         rtol_for(t), atol_for(t, 6)));
  }
}

TEST(MatmulTest, BroadcastBatchDimsAndStridedBatches) {
  std::mt19937_64 rng(4);
  for (DType t : {ndflow::kFloat64, ndflow::kInt32}) {
    Array a = random_array(rng, {2, 1, 3, 4}, t);
    Array b = random_array(rng, {5, 4, 2}, t, true);
    Array got = ndflow::matmul(a, b);
    EXPECT_EQ(got.shape(), Shape({2, 5, 3, 2}));
    EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), t), rtol_for(t), atol_for(t, 4)));
    // A batch of transposed matrices, with the batch axis reversed.
    Array c = random_array(rng, {3, 4, 6}, t)
                  .transpose({0, 2, 1})
                  .slice(0, std::nullopt, std::nullopt, -1);
    Array d = random_array(rng, {4, 5}, t);
    EXPECT_TRUE(AllClose(ndflow::matmul(c, d), ref_matmul(ref_of(c), ref_of(d), t), rtol_for(t),
                         atol_for(t, 4)));
  }
}

// Runs f and returns how many ops it pushed on the array engine.
template <class F>
std::int64_t ops_pushed_by(F&& f) {
  ndflow::Engine& engine = ndflow::detail::array_engine();
  ndflow::wait_all();
  const std::int64_t before = engine.stats().ops_pushed;
  f();
  return engine.stats().ops_pushed - before;
}

bool engine_can_split() {
  ndflow::Engine& engine = ndflow::detail::array_engine();
  return engine.kind() != ndflow::EngineKind::kNaive &&
         engine.lane_workers(ndflow::Lane::cpu_compute()) >= 2;
}

TEST(MatmulTest, LargeProductIsSplitAcrossWorkersAndMatchesDoubleReference) {
  std::mt19937_64 rng(5);
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
    Array a = random_array(rng, {600, 600}, t), b = random_array(rng, {600, 600}, t);
    Array got;
    const std::int64_t pushed = ops_pushed_by([&] { got = ndflow::matmul(a, b); });
    if (engine_can_split()) {
      EXPECT_GT(pushed, 1) << "a 600^3 product should be split";
    }
    EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), t),
                         t == ndflow::kFloat32 ? 1e-4 : 1e-10,
                         t == ndflow::kFloat32 ? 1e-3 : 1e-10))
        << ndflow::dtype_name(t);
  }
  // Transposed and sliced (packed) operands, split into panels.
  Array a = random_array(rng, {700, 600}, ndflow::kFloat64).T().slice(0, 0, 550);   // (550,700)
  Array b = random_array(rng, {700, 1200}, ndflow::kFloat64).slice(1, 0, 1200, 2);  // (700,600)
  EXPECT_TRUE(AllClose(ndflow::matmul(a, b), ref_matmul(ref_of(a), ref_of(b), ndflow::kFloat64),
                       1e-10, 1e-10));
}

TEST(MatmulTest, LargeBatchIsSplitOverTheBatch) {
  std::mt19937_64 rng(6);
  for (DType t : {ndflow::kFloat32, ndflow::kInt64}) {
    Array a = random_array(rng, {16, 64, 96}, t), b = random_array(rng, {96, 64}, t);
    Array got;
    const std::int64_t pushed = ops_pushed_by([&] { got = ndflow::matmul(a, b); });
    if (engine_can_split()) {
      EXPECT_GT(pushed, 1);
    }
    EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), t), t == ndflow::kFloat32 ? 1e-4 : 0,
                         t == ndflow::kFloat32 ? 1e-3 : 0))
        << ndflow::dtype_name(t);
  }
}

// The TF32 switch: PyTorch's names, 'highest' by default, a clear error for any other name,
// and no effect on the CPU, which always computes float32 products in full float32.
TEST(MatmulTest, Float32PrecisionSettingIsCheckedAndLeavesTheCpuExact) {
  ASSERT_EQ(ndflow::get_float32_matmul_precision(), "highest");
  std::mt19937_64 rng(9);
  const Array a = random_array(rng, {64, 80}, ndflow::kFloat32);
  const Array b = random_array(rng, {80, 48}, ndflow::kFloat32);
  const std::vector<float> full = ndflow::matmul(a, b).to_vector<float>();
  ndflow::set_float32_matmul_precision("high");
  EXPECT_EQ(ndflow::get_float32_matmul_precision(), "high");
  EXPECT_EQ(ndflow::matmul(a, b).to_vector<float>(), full);
  try {
    ndflow::set_float32_matmul_precision("medium");
    ADD_FAILURE() << "'medium' (bfloat16) was accepted";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown precision 'medium'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(ndflow::get_float32_matmul_precision(), "high") << "a refused name changed it";
  ndflow::set_float32_matmul_precision("highest");
  EXPECT_EQ(ndflow::get_float32_matmul_precision(), "highest");
}

TEST(MatmulTest, SmallProductsAreOneOpEach) {
  std::mt19937_64 rng(7);
  Array a = random_array(rng, {16, 16}, ndflow::kFloat32),
        b = random_array(rng, {16, 16}, ndflow::kFloat32);
  Array got;
  EXPECT_EQ(ops_pushed_by([&] { got = ndflow::matmul(a, b); }), 1);
  EXPECT_TRUE(AllClose(got, ref_matmul(ref_of(a), ref_of(b), ndflow::kFloat32), 1e-5, 1e-4));
}

TEST(MatmulTest, IndependentProductsRunSideBySideAndAreRight) {
  // Each product is one op (below the split), so several run at once on different workers,
  // each calling BLAS from its own thread.
  std::mt19937_64 rng(16);
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
    std::vector<Array> as, bs, cs;
    for (int i = 0; i < 8; ++i) {
      as.push_back(random_array(rng, {120, 110}, t));
      bs.push_back(random_array(rng, {110, 130}, t, i % 2 == 1));
    }
    for (int i = 0; i < 8; ++i) cs.push_back(ndflow::matmul(as[i], bs[i]));
    for (int i = 0; i < 8; ++i)
      EXPECT_TRUE(AllClose(cs[i], ref_matmul(ref_of(as[i]), ref_of(bs[i]), t),
                           t == ndflow::kFloat32 ? 1e-4 : 1e-10,
                           t == ndflow::kFloat32 ? 1e-3 : 1e-10))
          << ndflow::dtype_name(t) << " product " << i;
  }
}

TEST(MatmulTest, IntegerProductsWrapLikeNumPy) {
  Array a = ndflow::from_vector(std::vector<std::int32_t>{1 << 20, 1 << 20}, {1, 2});
  Array b = ndflow::from_vector(std::vector<std::int32_t>{1 << 11, 1 << 11}, {2, 1});
  EXPECT_EQ(ndflow::matmul(a, b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0}));
  Array c = ndflow::from_vector(std::vector<std::uint8_t>{200, 100}, {2});
  EXPECT_EQ(ndflow::matmul(c, c).item<int>(), (200 * 200 + 100 * 100) % 256);
}

TEST(MatmulTest, ErrorsAreRaisedAtTheCallWithBothShapes) {
  try {
    ndflow::matmul(ndflow::zeros({2, 3}), ndflow::zeros({4, 5}));
    FAIL() << "mismatched inner dims should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("matmul: inner dimensions do not match: (2,3) @ (4,5)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ndflow::matmul(ndflow::zeros({3}), ndflow::zeros({4})), ndflow::ShapeError);
  EXPECT_THROW(ndflow::matmul(ndflow::zeros({}), ndflow::zeros({3})), ndflow::ShapeError);
  EXPECT_THROW(ndflow::matmul(ndflow::zeros({3, 3}), ndflow::zeros({})), ndflow::ShapeError);
  try {
    ndflow::matmul(ndflow::zeros({2, 3, 4}), ndflow::zeros({3, 4, 5}));
    FAIL() << "batch dims 2 and 3 do not broadcast";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2,3,4) @ (3,4,5)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ndflow::matmul(Array(), ndflow::zeros({3})), std::invalid_argument);
}

TEST(DotTest, ScalarsScale) {
  std::mt19937_64 rng(8);
  for (DType t : all_dtypes()) {
    Array s = random_array(rng, {}, t), x = random_array(rng, {2, 3}, t, true);
    const Ref rs = ref_of(s), rx = ref_of(x);
    const auto mul = [t](double p, double q) {
      const double v = p * q;
      return t == ndflow::kBool ? static_cast<double>(v != 0) : v;
    };
    EXPECT_TRUE(AllClose(ndflow::dot(s, x), ref_binary(rs, rx, mul), rtol_for(t), 1e-6));
    EXPECT_TRUE(AllClose(ndflow::dot(x, s), ref_binary(rx, rs, mul), rtol_for(t), 1e-6));
    EXPECT_TRUE(AllClose(ndflow::dot(s, s), ref_binary(rs, rs, mul), rtol_for(t), 1e-6));
  }
  Array i = ndflow::full({}, 3, ndflow::kInt32);
  Array f = ndflow::from_vector(std::vector<float>{1.5f, -2.f}, {2});
  Array got = ndflow::dot(i, f);
  EXPECT_EQ(got.dtype(), ndflow::kFloat64);
  EXPECT_EQ(got.to_vector<double>(), (std::vector<double>{4.5, -6}));
  EXPECT_EQ(ndflow::dot(i, ndflow::zeros({0, 2})).shape(), Shape({0, 2}));
}

TEST(DotTest, VectorsAndMatricesFollowMatmul) {
  std::mt19937_64 rng(9);
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt64, ndflow::kBool}) {
    for (const Case& c : std::vector<Case>{{{5}, {5}},
                                           {{3, 5}, {5, 2}},
                                           {{5}, {5, 2}},
                                           {{3, 5}, {5}},
                                           {{2, 3, 5}, {5}},
                                           {{5}, {2, 5, 3}},
                                           {{0}, {0}}}) {
      Array a = random_array(rng, c.a, t, true), b = random_array(rng, c.b, t);
      EXPECT_TRUE(AllClose(ndflow::dot(a, b), ref_matmul(ref_of(a), ref_of(b), t), rtol_for(t),
                           atol_for(t, 5)))
          << ndflow::dtype_name(t) << " " << c.a.to_string() << " . " << c.b.to_string();
    }
  }
  // The inner product of two vectors is 0-d.
  Array v = ndflow::from_vector(std::vector<double>{1, 2, 3}, {3});
  Array inner = ndflow::dot(v, v);
  EXPECT_EQ(inner.ndim(), 0);
  EXPECT_EQ(inner.item<double>(), 14);
}

TEST(DotTest, NdOperandsSumOverLastAndSecondToLastAxes) {
  std::mt19937_64 rng(10);
  for (DType t : {ndflow::kFloat64, ndflow::kInt32}) {
    for (const Case& c : std::vector<Case>{{{2, 3, 4}, {5, 4, 6}},
                                           {{2, 3, 4}, {4, 6}},
                                           {{3, 4}, {2, 4, 5}},
                                           {{2, 0, 4}, {3, 4, 2}},
                                           {{2, 3, 4}, {3, 2, 4, 2}}}) {
      for (bool strided : {false, true}) {
        Array a = random_array(rng, c.a, t, strided), b = random_array(rng, c.b, t, strided);
        Array got = ndflow::dot(a, b);
        EXPECT_TRUE(AllClose(got, ref_dot_nd(ref_of(a), ref_of(b)), rtol_for(t), atol_for(t, 4)))
            << c.a.to_string() << " . " << c.b.to_string() << (strided ? " strided" : "");
      }
    }
  }
  // A transposed (non-mergeable) left operand is copied first.
  Array a = random_array(rng, {4, 3, 2}, ndflow::kFloat64).transpose({2, 1, 0});  // (2,3,4)
  Array b = random_array(rng, {2, 4, 3}, ndflow::kFloat64);
  EXPECT_TRUE(AllClose(ndflow::dot(a, b), ref_dot_nd(ref_of(a), ref_of(b)), 1e-12, 1e-12));
}

TEST(DotTest, MisalignedShapesThrowNamingThem) {
  try {
    ndflow::dot(ndflow::zeros({2, 3}), ndflow::zeros({4, 5}));
    FAIL() << "should throw";
  } catch (const ndflow::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2,3) and (4,5) not aligned"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ndflow::dot(ndflow::zeros({2, 3, 4}), ndflow::zeros({5, 3, 2})), ndflow::ShapeError);
  EXPECT_THROW(ndflow::dot(ndflow::zeros({3}), ndflow::zeros({4})), ndflow::ShapeError);
}

}  // namespace
}  // namespace ndflow_test
