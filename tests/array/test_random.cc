// ndflow::random: Philox4x32-10 known answers, values equal to the generator evaluated on the
// host, reproducibility under seeds, engine kinds and worker counts, statistics, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "array/harness.h"
#include "backends/cpu/philox.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

namespace philox = ndflow::detail::philox;

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

TEST(RandomTest, PhiloxMatchesThePublishedKnownAnswers) {
  // The known-answer vectors of Random123 for philox4x32 with 10 rounds.
  EXPECT_EQ(philox::philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (philox::Counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox::philox4x32_10({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (philox::Counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                                  {0xa4093822, 0x299f31d0}),
            (philox::Counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// What uniform(low, high) must hold at element i of stream `stream`.
template <class T>
T host_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t i, double low, double high) {
  const double u = std::is_same_v<T, float> ? philox::uniform_float(seed, stream, i)
                                            : philox::uniform_double(seed, stream, i);
  T v = static_cast<T>(low + (high - low) * u);
  const T top = std::nextafter(static_cast<T>(high), static_cast<T>(low));
  return v > top ? top : v;
}

TEST(RandomTest, ValuesEqualThePhiloxStreamsEvaluatedOnTheHost) {
  const std::uint64_t seed = 0x1234567890abcdefull;
  ndflow::random::seed(seed);
  // Large enough to be split across workers; odd sizes so pieces end mid-block.
  const std::int64_t n = (std::int64_t{1} << 19) + 3;
  Array u32 = ndflow::random::uniform(-1, 3, {n}, ndflow::kFloat32);   // stream 0
  Array u64 = ndflow::random::uniform(2, 2.5, {n}, ndflow::kFloat64);  // stream 1
  Array nrm = ndflow::random::normal(1, 2, {n}, ndflow::kFloat64);     // stream 2
  Array n32 = ndflow::random::normal(-1, 0.5, {7}, ndflow::kFloat32);  // stream 3
  Array ri = ndflow::random::randint(-5, 1000, {n}, ndflow::kInt64);   // stream 4
  Array rb = ndflow::random::randint(0, 256, {9}, ndflow::kUInt8);     // stream 5
  const std::vector<float> a = u32.to_vector<float>();
  const std::vector<double> b = u64.to_vector<double>();
  const std::vector<double> c = nrm.to_vector<double>();
  const std::vector<float> d = n32.to_vector<float>();
  const std::vector<std::int64_t> e = ri.to_vector<std::int64_t>();
  const std::vector<std::uint8_t> f = rb.to_vector<std::uint8_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::uint64_t>(i);
    const auto s = static_cast<std::size_t>(i);
    ASSERT_EQ(a[s], host_uniform<float>(seed, 0, k, -1, 3)) << i;
    ASSERT_EQ(b[s], host_uniform<double>(seed, 1, k, 2, 2.5)) << i;
    ASSERT_EQ(c[s], 1 + 2 * philox::standard_normal(seed, 2, k)) << i;
    ASSERT_EQ(e[s], -5 + static_cast<std::int64_t>(philox::below(philox::bits64(seed, 4, k), 1005)))
        << i;
  }
  for (std::size_t i = 0; i < d.size(); ++i)
    EXPECT_EQ(d[i], static_cast<float>(-1 + 0.5 * philox::standard_normal(seed, 3, i))) << i;
  for (std::size_t i = 0; i < f.size(); ++i)
    EXPECT_EQ(f[i], philox::below(philox::bits64(seed, 5, i), 256)) << i;
}

TEST(RandomTest, TheSameSeedGivesTheSameNumbersAndOthersDiffer) {
  auto draw = [](std::uint64_t s) {
    ndflow::random::seed(s);
    Array a = ndflow::random::uniform(0, 1, {1000}, ndflow::kFloat32);
    Array b = ndflow::random::normal(0, 1, {1001}, ndflow::kFloat64);
    Array c = ndflow::random::randint(0, 100, {1000}, ndflow::kInt32);
    return std::make_tuple(a.to_vector<float>(), b.to_vector<double>(),
                           c.to_vector<std::int32_t>());
  };
  const auto x = draw(5), y = draw(5), z = draw(6);
  EXPECT_TRUE(bitwise_equal(std::get<0>(x), std::get<0>(y)));
  EXPECT_TRUE(bitwise_equal(std::get<1>(x), std::get<1>(y)));
  EXPECT_TRUE(bitwise_equal(std::get<2>(x), std::get<2>(y)));
  EXPECT_FALSE(bitwise_equal(std::get<0>(x), std::get<0>(z)));
  EXPECT_FALSE(bitwise_equal(std::get<1>(x), std::get<1>(z)));
  EXPECT_FALSE(bitwise_equal(std::get<2>(x), std::get<2>(z)));
  // Successive calls draw from different streams.
  ndflow::random::seed(5);
  const std::vector<float> p = ndflow::random::uniform(0, 1, {1000}).to_vector<float>();
  const std::vector<float> q = ndflow::random::uniform(0, 1, {1000}).to_vector<float>();
  EXPECT_FALSE(bitwise_equal(p, q));
  EXPECT_TRUE(bitwise_equal(p, std::get<0>(x)));
}

TEST(RandomTest, NumbersDoNotDependOnTheEngineKindOrWorkerCount) {
  struct Draw {
    std::vector<float> u;
    std::vector<double> n;
    std::vector<std::int32_t> r;
  };
  auto run = [](ndflow::EngineKind kind, int workers) {
    ndflow::EngineOptions options;
    options.kind = kind;
    options.cpu_workers = workers;
    ndflow::Engine engine(options);
    ndflow::detail::set_array_engine(&engine);
    Draw d;
    {
      ndflow::random::seed(99);
      const std::int64_t n = (std::int64_t{1} << 19) + 7;  // split into pieces when threaded
      Array u = ndflow::random::uniform(-2, 2, {n}, ndflow::kFloat32);
      Array nr = ndflow::random::normal(0, 1, {n}, ndflow::kFloat64);
      Array r = ndflow::random::randint(-1000, 1000, {n}, ndflow::kInt32);
      d = {u.to_vector<float>(), nr.to_vector<double>(), r.to_vector<std::int32_t>()};
      ndflow::wait_all();
    }  // the arrays go before their engine
    ndflow::detail::set_array_engine(nullptr);
    return d;
  };
  const Draw naive = run(ndflow::EngineKind::kNaive, 1);
  const Draw one = run(ndflow::EngineKind::kThreaded, 1);
  const Draw two = run(ndflow::EngineKind::kThreaded, 2);
  const Draw three = run(ndflow::EngineKind::kThreaded, 3);
  for (const Draw* d : {&one, &two, &three}) {
    EXPECT_TRUE(bitwise_equal(naive.u, d->u));
    EXPECT_TRUE(bitwise_equal(naive.n, d->n));
    EXPECT_TRUE(bitwise_equal(naive.r, d->r));
  }
}

TEST(RandomTest, UniformAndNormalHaveTheirMomentsAndRange) {
  ndflow::random::seed(2024);
  const std::int64_t n = 100000;
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
    Array u = ndflow::random::uniform(-1, 3, {n}, t);
    EXPECT_EQ(u.dtype(), t);
    EXPECT_EQ(u.shape(), Shape{n});
    double sum = 0, sq = 0, lo = 1e9, hi = -1e9;
    for (double x : u.to_vector<double>()) {
      sum += x;
      sq += x * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    EXPECT_GE(lo, -1);
    EXPECT_LT(hi, 3);
    EXPECT_NEAR(mean, 1, 0.03);  // sd of the mean: 4/sqrt(12)/sqrt(n) ~ 0.004
    EXPECT_NEAR(var, 16.0 / 12, 0.03);

    Array g = ndflow::random::normal(1, 2, {n}, t);
    sum = sq = 0;
    double third = 0;
    for (double x : g.to_vector<double>()) {
      ASSERT_TRUE(std::isfinite(x));
      sum += x;
      sq += x * x;
    }
    const double gm = sum / n, gv = sq / n - gm * gm;
    for (double x : g.to_vector<double>()) third += std::pow((x - gm) / std::sqrt(gv), 3);
    EXPECT_NEAR(gm, 1, 0.04);         // sd 2/sqrt(n) ~ 0.0063
    EXPECT_NEAR(gv, 4, 0.12);         // sd 4*sqrt(2/n) ~ 0.018
    EXPECT_NEAR(third / n, 0, 0.05);  // symmetric
  }
  // A degenerate interval and a zero stddev.
  for (double x : ndflow::random::uniform(2, 2, {10}, ndflow::kFloat64).to_vector<double>())
    EXPECT_EQ(x, 2);
  for (double x : ndflow::random::normal(3, 0, {10}, ndflow::kFloat32).to_vector<double>())
    EXPECT_EQ(x, 3);
  // The float32 interval stays half-open even where rounding would reach high.
  for (float x : ndflow::random::uniform(0, 1e-30, {100000}, ndflow::kFloat32).to_vector<float>())
    ASSERT_LT(x, 1e-30f);
}

TEST(RandomTest, RandintStaysInRangeAndHitsEveryValue) {
  ndflow::random::seed(1);
  for (DType t : {ndflow::kUInt8, ndflow::kInt32, ndflow::kInt64}) {
    const std::int64_t low = t == ndflow::kUInt8 ? 3 : -3;
    Array r = ndflow::random::randint(low, low + 7, {20000}, t);
    EXPECT_EQ(r.dtype(), t);
    std::vector<int> counts(7);
    for (std::int64_t x : r.to_vector<std::int64_t>()) {
      ASSERT_GE(x, low);
      ASSERT_LT(x, low + 7);
      ++counts[static_cast<std::size_t>(x - low)];
    }
    for (int c : counts) EXPECT_NEAR(c, 20000 / 7.0, 300);  // sd ~ 49
  }
  EXPECT_EQ(ndflow::random::randint(0, 10, {2, 3}).dtype(), ndflow::kInt64);
  // Whole ranges of a dtype.
  std::set<int> bytes;
  for (int x : ndflow::random::randint(0, 256, {20000}, ndflow::kUInt8).to_vector<int>())
    bytes.insert(x);
  EXPECT_EQ(bytes.size(), 256u);
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::int64_t> wide =
      ndflow::random::randint(lo, hi, {1000}).to_vector<std::int64_t>();
  int negative = 0;
  for (std::int64_t x : wide) negative += x < 0;
  EXPECT_NEAR(negative, 500, 100);
  const std::vector<std::int32_t> i32 =
      ndflow::random::randint(std::numeric_limits<std::int32_t>::min(),
                              std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1, {1000},
                              ndflow::kInt32)
          .to_vector<std::int32_t>();
  EXPECT_GT(std::set<std::int32_t>(i32.begin(), i32.end()).size(), 990u);
}

TEST(RandomTest, BadArgumentsAreRejectedAtTheCallWithoutDrawing) {
  using ndflow::DTypeError;
  using ndflow::ShapeError;
  ndflow::random::seed(77);
  EXPECT_THROW(ndflow::random::uniform(0, 1, {3}, ndflow::kInt32), DTypeError);
  EXPECT_THROW(ndflow::random::normal(0, 1, {3}, ndflow::kBool), DTypeError);
  EXPECT_THROW(ndflow::random::normal(0, -1, {3}), ShapeError);
  EXPECT_THROW(ndflow::random::randint(0, 5, {3}, ndflow::kFloat32), DTypeError);
  EXPECT_THROW(ndflow::random::randint(0, 5, {3}, ndflow::kBool), DTypeError);
  EXPECT_THROW(ndflow::random::randint(0, 300, {3}, ndflow::kUInt8), DTypeError);
  EXPECT_THROW(ndflow::random::randint(-1, 3, {3}, ndflow::kUInt8), DTypeError);
  EXPECT_THROW(ndflow::random::uniform(0, 1, {-1}), ShapeError);
  EXPECT_THROW(ndflow::random::uniform(0, 1, {2}, ndflow::kFloat32, ndflow::Device::gpu(0)),
               ndflow::DeviceError);
  try {
    ndflow::random::randint(5, 5, {3});
    FAIL() << "an empty interval should throw";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("low >= high"), std::string::npos) << e.what();
  }
  // None of the failed calls took a stream: the next op draws stream 0.
  const std::vector<double> v =
      ndflow::random::uniform(0, 1, {5}, ndflow::kFloat64).to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i)
    EXPECT_EQ(v[i], host_uniform<double>(77, 0, i, 0, 1)) << i;
  // Empty shapes are fine (and draw a stream).
  EXPECT_EQ(ndflow::random::normal(0, 1, {0, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(ndflow::random::uniform(0, 1, {}).shape(), Shape{});
}

}  // namespace
}  // namespace ndflow_test
