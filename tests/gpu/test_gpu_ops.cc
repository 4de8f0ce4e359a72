// Every op of the array layer on each GPU against the same op on the CPU: every dtype and
// dtype pair, array and scalar operands on either side, broadcasting, strided views, in
// place, and edge values (NaN, infinities, integer extremes that wrap, casts out of range).
// Where the GPUs run the CPU's kernels (simulated GPUs, by default), results must be the CPU's
// bit for bit; where they run the CUDA kernels (CUDA GPUs, and simulated ones under
// NDFLOW_SIMULATED_GPU_KERNELS=cuda, label gpusim-cuda), integers and bools must match exactly,
// floats within a per-dtype tolerance. An op the CPU refuses is refused on the GPU too, at the
// call, with the same message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "array/harness.h"
#include "gpu/two_gpu_test.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"
#include "ndflow/error.h"

namespace ndflow_test {
namespace {

using ndflow::Device;
using ndflow::Scalar;
using Inputs = std::vector<Array>;
using Op = std::function<Array(const Inputs&)>;

using GpuOpsTest = TwoGpuTest;

const std::vector<Device>& gpus() {
  static const std::vector<Device> d = {Device::gpu(0), Device::gpu(1)};
  return d;
}

// The largest difference allowed between a float result of the CUDA kernels and the CPU's,
// relative to 1 + |CPU's value|: CUDA's exp, pow, tanh and the order of its sums round
// differently.
double tolerance(DType t) {
  if (ndflow::gpus_run_cpu_kernels()) return 0;
  if (t == ndflow::kFloat32) return 2e-5;
  if (t == ndflow::kFloat64) return 1e-12;
  return 0;
}

// got (on a GPU) holds want's (the CPU's) dtype, shape and values; on failure, says which
// op and the first element that differs.
// Float values may differ by the tolerance relative to 1 + max(|want|, scale): a sum's
// rounding depends on its order, by as much as its largest term (`scale`) allows.
void expect_same(const Array& got, const Array& want, Device device, const std::string& what,
                 double scale = 0) {
  ASSERT_EQ(got.device(), device) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  if (!ndflow::is_floating(want.dtype())) {
    // As integers, so that int64 extremes compare exactly.
    const auto g = got.to_vector<std::int64_t>(), w = want.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < w.size(); ++i) ASSERT_EQ(g[i], w[i]) << what << ", element " << i;
    return;
  }
  const double tol = tolerance(want.dtype());
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i])) {
      ASSERT_TRUE(std::isnan(g[i])) << what << ", element " << i << ": " << g[i] << ", not NaN";
    } else if (tol == 0 || std::isinf(w[i])) {
      ASSERT_EQ(g[i], w[i]) << what << ", element " << i;
    } else {
      ASSERT_NEAR(g[i], w[i], tol * (1 + std::max(std::abs(w[i]), scale)))
          << what << ", element " << i;
    }
  }
}

// What an op gives on one device: its result, or the error it raises at the call.
struct Outcome {
  std::optional<Array> result;
  std::string error;
};
Outcome run_on(Device device, const std::function<Array(Device)>& make) {
  try {
    return {make(device), {}};
  } catch (const std::exception& e) {  // its type and message, which the GPU must repeat
    return {std::nullopt, std::string(typeid(e).name()) + ": " + e.what()};
  }
}

// make(device) on each GPU gives what make(cpu) gives, or refuses it with the same error
// (floats within the tolerance, with `scale` as in expect_same).
void expect_gpus_match_cpu(const std::function<Array(Device)>& make, const std::string& what,
                           double scale = 0) {
  const Outcome cpu = run_on(Device::cpu(), make);
  for (Device device : gpus()) {
    const std::string where = what + " on " + device.to_string();
    const Outcome gpu = run_on(device, make);
    if (!cpu.result) {
      EXPECT_FALSE(gpu.result) << where << ": the CPU refuses it (" << cpu.error
                               << "), the GPU did not";
      if (!gpu.result) {
        EXPECT_EQ(gpu.error, cpu.error) << where;
      }
      continue;
    }
    if (!gpu.result) {
      ADD_FAILURE() << where << ": the CPU runs it, the GPU refuses it: " << gpu.error;
      continue;
    }
    expect_same(*gpu.result, *cpu.result, device, where, scale);
    if (::testing::Test::HasFatalFailure()) return;  // one op's mismatch is enough to read
  }
}

// op(inputs) with the inputs (host arrays) copied to each GPU gives what it gives on the CPU.
void expect_gpus_match_cpu(const Inputs& inputs, const Op& op, const std::string& what,
                           double scale = 0) {
  expect_gpus_match_cpu(
      [&](Device device) {
        if (device.is_cpu()) return op(inputs);
        Inputs on_device;
        for (const Array& a : inputs) on_device.push_back(a.copy_to(device));
        return op(on_device);
      },
      what, scale);
}

// The largest finite |element| of a host array: how far a sum of its elements may round.
double largest_finite_magnitude(const Array& a) {
  double m = 0;
  for (double v : a.to_vector<double>())
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
  return m;
}

// A host array of `shape` and dtype t: the dtype's edge values first (NaN, infinities,
// signed zero and huge values for floats; the extremes, which wrap, for integers), then
// random ordinary values.
Array edge_array(DType t, const Shape& shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> edges;
  switch (t) {
    case ndflow::kBool:
      edges = {0, 1};
      break;
    case ndflow::kUInt8:
      edges = {0, 255, 1, 128};
      break;
    case ndflow::kInt32:
      edges = {-2147483648.0, 2147483647.0, 0, -1};
      break;
    case ndflow::kInt64:
      edges = {0, -1, 3, -7};  // the extremes are set below, as doubles cannot hold them
      break;
    default:
      edges = {std::nan(""), inf, -inf, -0.0, 1e30, -300.75};
  }
  const auto n = static_cast<std::size_t>(shape.numel());
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Edges at every third place, so that a broadcast row or column meets some of them.
    const std::size_t e = i / 3;
    values[i] = i % 3 == 0 && e < edges.size() ? edges[e] : random_value(rng, t);
  }
  if (t == ndflow::kInt64) {
    std::vector<std::int64_t> v(values.begin(), values.end());
    if (n > 4) v[1] = std::numeric_limits<std::int64_t>::min();
    if (n > 5) v[5] = std::numeric_limits<std::int64_t>::max();
    return ndflow::from_vector(v, shape);
  }
  return ndflow::from_vector(values, shape).astype(t);
}

std::string name_of(DType t) { return ndflow::dtype_name(t); }

// --- element-wise ---------------------------------------------------------------------------

struct BinaryFn {
  const char* name;
  Array (*arrays)(const Array&, const Array&);
  Array (*scalar_right)(const Array&, Scalar);
  Array (*scalar_left)(Scalar, const Array&);
};
#define NDFLOW_BINARY_FN(fn)                                                \
  BinaryFn {                                                                \
#fn, static_cast < Array (*)(const Array&, const Array&)>(&ndflow::fn), \
        static_cast < Array (*)(const Array&, Scalar)>(&ndflow::fn),        \
        static_cast < Array (*)(Scalar, const Array&)>(&ndflow::fn)         \
  }
const std::vector<BinaryFn>& binary_fns() {
  static const std::vector<BinaryFn> f = {
      NDFLOW_BINARY_FN(add),          NDFLOW_BINARY_FN(subtract),   NDFLOW_BINARY_FN(multiply),
      NDFLOW_BINARY_FN(divide),       NDFLOW_BINARY_FN(power),      NDFLOW_BINARY_FN(maximum),
      NDFLOW_BINARY_FN(minimum),      NDFLOW_BINARY_FN(equal),      NDFLOW_BINARY_FN(not_equal),
      NDFLOW_BINARY_FN(less),         NDFLOW_BINARY_FN(less_equal), NDFLOW_BINARY_FN(greater),
      NDFLOW_BINARY_FN(greater_equal)};
  return f;
}
#undef NDFLOW_BINARY_FN

TEST_F(GpuOpsTest, BinaryOpsOfEveryDtypePairMatchTheCpu) {
  for (const BinaryFn& f : binary_fns()) {
    for (DType a : all_dtypes()) {
      for (DType b : all_dtypes()) {
        const std::string what = std::string(f.name) + "(" + name_of(a) + ", " + name_of(b) + ")";
        const Inputs same = {edge_array(a, {3, 4}, 1), edge_array(b, {3, 4}, 2)};
        expect_gpus_match_cpu(
            same, [&](const Inputs& x) { return f.arrays(x[0], x[1]); }, what);
        // Broadcasting both ways, (3,1) with (4,), and a transposed (strided) operand.
        const Inputs spread = {edge_array(a, {3, 1}, 3), edge_array(b, {4}, 4)};
        expect_gpus_match_cpu(
            spread, [&](const Inputs& x) { return f.arrays(x[0], x[1]); }, what + " broadcast");
        const Inputs turned = {edge_array(a, {4, 3}, 5), edge_array(b, {3, 4}, 6)};
        expect_gpus_match_cpu(
            turned, [&](const Inputs& x) { return f.arrays(x[0].T(), x[1]); }, what + " of a.T");
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST_F(GpuOpsTest, BinaryOpsWithAScalarOnEitherSideMatchTheCpu) {
  const std::vector<std::pair<Scalar, std::string>> scalars = {{Scalar(3), "3"},
                                                               {Scalar(-2), "-2"},
                                                               {Scalar(2.5), "2.5"},
                                                               {Scalar(true), "True"},
                                                               {Scalar(300), "300"}};
  for (const BinaryFn& f : binary_fns()) {
    for (DType t : all_dtypes()) {
      const Inputs in = {edge_array(t, {3, 4}, 7)};
      for (const auto& [s, text] : scalars) {
        const std::string dt = name_of(t);
        expect_gpus_match_cpu(
            in, [&, s = s](const Inputs& x) { return f.scalar_right(x[0], s); },
            std::string(f.name) + "(" + dt + ", " + text + ")");
        expect_gpus_match_cpu(
            in, [&, s = s](const Inputs& x) { return f.scalar_left(s, x[0]); },
            std::string(f.name) + "(" + text + ", " + dt + ")");
        // A strided view as the array operand.
        expect_gpus_match_cpu(
            in, [&, s = s](const Inputs& x) { return f.scalar_right(x[0].slice(1, 0, 4, 2), s); },
            std::string(f.name) + "(" + dt + " view, " + text + ")");
        if (HasFatalFailure()) return;
      }
    }
  }
}

// a op= b writes a's memory: the result is a itself, so each run works on a fresh copy.
TEST_F(GpuOpsTest, InPlaceOpsMatchTheCpu) {
  using InPlace = std::function<void(Array&, const Array&)>;
  const std::vector<std::pair<const char*, InPlace>> ops = {
      {"+=", [](Array& a, const Array& b) { a += b; }},
      {"-=", [](Array& a, const Array& b) { a -= b; }},
      {"*=", [](Array& a, const Array& b) { a *= b; }},
      {"/=", [](Array& a, const Array& b) { a /= b; }}};
  using InPlaceScalar = std::function<void(Array&, Scalar)>;
  const std::vector<std::pair<const char*, InPlaceScalar>> scalar_ops = {
      {"+=", [](Array& a, Scalar s) { a += s; }},
      {"-=", [](Array& a, Scalar s) { a -= s; }},
      {"*=", [](Array& a, Scalar s) { a *= s; }},
      {"/=", [](Array& a, Scalar s) { a /= s; }}};
  for (DType a : all_dtypes()) {
    for (const auto& [name, op] : ops) {
      for (DType b : all_dtypes()) {
        const Inputs in = {edge_array(a, {3, 4}, 8), edge_array(b, {4}, 9)};
        const std::string what = name_of(a) + " " + name + " " + name_of(b);
        expect_gpus_match_cpu(
            in,
            [&](const Inputs& x) {
              Array target = x[0].copy();
              op(target, x[1]);
              return target;
            },
            what);
        // Through a strided view (every other column) of the target.
        expect_gpus_match_cpu(
            in,
            [&](const Inputs& x) {
              Array target = x[0].copy();
              Array view = target.slice(1, 1, 4, 2);
              op(view, x[1].slice(0, 0, 2));
              return target;
            },
            what + " through a view");
        if (HasFatalFailure()) return;
      }
    }
    for (const auto& [name, op] : scalar_ops) {
      for (Scalar s : {Scalar(2), Scalar(-1.5), Scalar(true)}) {
        const Inputs in = {edge_array(a, {3, 4}, 10)};
        expect_gpus_match_cpu(
            in,
            [&, s = s](const Inputs& x) {
              Array target = x[0].copy();
              op(target, s);
              return target;
            },
            name_of(a) + " " + name + " scalar " + std::to_string(s.as_double()));
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST_F(GpuOpsTest, UnaryOpsAndCastsOfEveryDtypeMatchTheCpu) {
  const std::vector<std::pair<const char*, Array (*)(const Array&)>> unary = {
      {"negative", &ndflow::negative}, {"abs", &ndflow::abs},   {"exp", &ndflow::exp},
      {"log", &ndflow::log},           {"sqrt", &ndflow::sqrt}, {"tanh", &ndflow::tanh},
      {"sigmoid", &ndflow::sigmoid},   {"relu", &ndflow::relu}};
  for (DType t : all_dtypes()) {
    const Inputs in = {edge_array(t, {4, 6}, 11)};
    for (const auto& [name, fn] : unary) {
      const std::string what = std::string(name) + "(" + name_of(t) + ")";
      expect_gpus_match_cpu(
          in, [fn = fn](const Inputs& x) { return fn(x[0]); }, what);
      expect_gpus_match_cpu(
          in, [fn = fn](const Inputs& x) { return fn(x[0].T()); }, what + " of a.T");
      if (HasFatalFailure()) return;
    }
    for (DType to : all_dtypes()) {
      const std::string what = name_of(t) + ".astype(" + name_of(to) + ")";
      expect_gpus_match_cpu(
          in, [to](const Inputs& x) { return x[0].astype(to); }, what);
      expect_gpus_match_cpu(
          in, [to](const Inputs& x) { return x[0].slice(0, 3, std::nullopt, -2).astype(to); },
          what + " of a reversed view");
      if (HasFatalFailure()) return;
    }
    expect_gpus_match_cpu(
        in, [](const Inputs& x) { return x[0].T().copy(); }, name_of(t) + " a.T.copy()");
  }
}

TEST_F(GpuOpsTest, WhereOfEveryDtypeMatchesTheCpu) {
  for (DType cond : all_dtypes()) {
    for (DType t : all_dtypes()) {
      const Inputs in = {edge_array(cond, {3, 4}, 12), edge_array(t, {3, 4}, 13),
                         edge_array(ndflow::kFloat32, {4}, 14)};
      const std::string what = "where(" + name_of(cond) + ", " + name_of(t) + ", ...)";
      expect_gpus_match_cpu(
          in, [](const Inputs& x) { return ndflow::where(x[0], x[1], x[1].T().T()); }, what);
      expect_gpus_match_cpu(
          in, [](const Inputs& x) { return ndflow::where(x[0], x[1], x[2]); },
          what + " promoted with float32, broadcast");
      if (HasFatalFailure()) return;
    }
  }
}

// where(c, x, s) and where(c, s, x): on GPUs running the CUDA kernels the scalar is a kernel
// argument (no 0-d array), with the dtype NEP 50 gives it next to x, as on the CPU.
TEST_F(GpuOpsTest, WhereWithAScalarOnEitherSideMatchesTheCpu) {
  const std::vector<std::pair<Scalar, std::string>> scalars = {{Scalar(0), "0"},
                                                               {Scalar(-2), "-2"},
                                                               {Scalar(2.5), "2.5"},
                                                               {Scalar(true), "True"},
                                                               {Scalar(300), "300"}};
  for (DType t : all_dtypes()) {
    const Inputs in = {edge_array(ndflow::kBool, {3, 4}, 15), edge_array(t, {3, 4}, 16),
                       edge_array(ndflow::kInt32, {4}, 17)};
    for (const auto& [s, text] : scalars) {
      const std::string dt = name_of(t);
      expect_gpus_match_cpu(
          in, [s = s](const Inputs& x) { return ndflow::where(x[0], x[1], s); },
          "where(c, " + dt + ", " + text + ")");
      expect_gpus_match_cpu(
          in, [s = s](const Inputs& x) { return ndflow::where(x[0], s, x[1]); },
          "where(c, " + text + ", " + dt + ")");
      // An int32 condition that broadcasts against the array; a strided view as the array.
      expect_gpus_match_cpu(
          in, [s = s](const Inputs& x) { return ndflow::where(x[2], s, x[1]); },
          "where(int32 (4,), " + text + ", " + dt + ")");
      expect_gpus_match_cpu(
          in,
          [s = s](const Inputs& x) {
            return ndflow::where(x[0].slice(1, 0, 4, 2), x[1].slice(1, 0, 4, 2), s);
          },
          "where(c view, " + dt + " view, " + text + ")");
      if (HasFatalFailure()) return;
    }
  }
}

// The scalar travels with the kernel: each of these is one op (one kernel), with no 0-d array
// filled on the GPU first. Simulated GPUs running the CPU's kernels take the 0-d path.
TEST_F(GpuOpsTest, AScalarOperandAddsNoOpOfItsOwn) {
  if (ndflow::gpus_run_cpu_kernels())
    GTEST_SKIP() << "these GPUs run the CPU's kernels, whose scalars are 0-d arrays";
  Array x = ones({2, 3}, ndflow::kFloat32, Device::gpu(0));
  const Array c = x > 0.5;
  ndflow::wait_all();
  // Each returns its result (x itself for x += 1), counted before it is dropped: dropping an
  // array pushes its variable's deletion, an op too.
  const std::vector<std::pair<const char*, std::function<Array()>>> ops = {
      {"x + 1", [&] { return x + 1; }},
      {"1 - x", [&] { return 1 - x; }},
      {"x += 1", [&] { return x += 1; }},
      {"where(c, x, 0)", [&] { return ndflow::where(c, x, Scalar(0)); }},
      {"where(c, 0, x)", [&] { return ndflow::where(c, Scalar(0), x); }}};
  for (const auto& [what, op] : ops) {
    const std::uint64_t before = ndflow::default_engine().stats().ops_pushed;
    const Array result = op();
    EXPECT_EQ(ndflow::default_engine().stats().ops_pushed - before, 1u) << what;
  }
  ndflow::wait_all();
}

TEST_F(GpuOpsTest, WhereWithAScalarRefusesShapesThatDoNotBroadcast) {
  const Array c = ones({3}, ndflow::kBool, Device::gpu(0));
  const Array x = ones({4}, ndflow::kFloat32, Device::gpu(0));
  for (const bool scalar_first : {false, true}) {
    try {
      (void)(scalar_first ? ndflow::where(c, Scalar(1), x) : ndflow::where(c, x, Scalar(1)));
      ADD_FAILURE() << "where of (3,) with (4,) did not throw";
    } catch (const ndflow::ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot broadcast (3,) with"), std::string::npos)
          << e.what();
    }
  }
}

// --- reductions -----------------------------------------------------------------------------

using Reduce = Array (*)(const Array&, const std::vector<int>&, bool);
const std::vector<std::pair<const char*, Reduce>> kReduce = {
    {"sum", &ndflow::sum}, {"mean", &ndflow::mean}, {"max", &ndflow::max}, {"min", &ndflow::min}};
using ArgReduce = Array (*)(const Array&, std::optional<int>, bool);
const std::vector<std::pair<const char*, ArgReduce>> kArgReduce = {{"argmax", &ndflow::argmax},
                                                                   {"argmin", &ndflow::argmin}};

TEST_F(GpuOpsTest, ReductionsOverEveryAxisMatchTheCpu) {
  const std::vector<std::vector<int>> axes = {{}, {0}, {1}, {2}, {0, 2}, {-1, 0, 1}};
  for (DType t : all_dtypes()) {
    // With NaN (which max, min, argmax and argmin propagate) and without.
    for (bool with_edges : {true, false}) {
      std::mt19937_64 rng(16);
      const Inputs in = {with_edges ? edge_array(t, {2, 3, 5}, 15)
                                    : random_array(rng, Shape{2, 3, 5}, t)};
      const std::string of = std::string("(") + name_of(t) + (with_edges ? " with edges" : "");
      for (const auto& [name, fn] : kReduce) {
        // A sum's order is the kernel's own: the int64 extremes' mean (in double) rounds
        // differently on the CPU and on a GPU by much more than the mean itself.
        const bool sums = std::string(name) == "sum" || std::string(name) == "mean";
        const double scale = sums ? largest_finite_magnitude(in[0]) : 0;
        for (const std::vector<int>& ax : axes) {
          for (bool keep : {false, true}) {
            std::string what = name + of + ", axes {";
            for (int a : ax) what += std::to_string(a) + ",";
            what += keep ? "}, keepdims)" : "})";
            expect_gpus_match_cpu(
                in, [fn = fn, ax, keep](const Inputs& x) { return fn(x[0], ax, keep); }, what,
                scale);
          }
        }
        // An empty input: sum gives 0, mean NaN, max and min refuse it.
        expect_gpus_match_cpu(
            in, [fn = fn](const Inputs& x) { return fn(x[0].slice(1, 0, 0), {1}, false); },
            std::string(name) + of + " over an empty axis)");
        if (HasFatalFailure()) return;
      }
      for (const auto& [name, fn] : kArgReduce) {
        for (std::optional<int> axis : {std::optional<int>{}, std::optional<int>{0},
                                        std::optional<int>{2}, std::optional<int>{-2}}) {
          const std::string what =
              name + of + ", axis " + (axis ? std::to_string(*axis) : std::string("None")) + ")";
          expect_gpus_match_cpu(
              in, [fn = fn, axis](const Inputs& x) { return fn(x[0], axis, false); }, what);
          expect_gpus_match_cpu(
              in, [fn = fn, axis](const Inputs& x) { return fn(x[0].T(), axis, true); },
              what + " of a.T, keepdims");
        }
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Few outputs with long reduced ranges, which a CUDA GPU cuts into chunks reduced by
// separate blocks and then combined: the same values, the same first extreme and first NaN.
TEST_F(GpuOpsTest, LongReductionsMatchTheCpu) {
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt32, ndflow::kUInt8}) {
    std::mt19937_64 rng(22);
    // 3 x 140001: ranges of 3 chunks, the last one short; and all 420003 elements as one.
    const Array plain = random_array(rng, {3, 140001}, t);
    Array nan_late = random_array(rng, {3, 140001}, t);
    if (ndflow::is_floating(t)) {  // a NaN deep in the second chunk of row 1
      nan_late = ndflow::where(
          ndflow::arange(0, 3 * 140001, 1, ndflow::kInt64).reshape({3, 140001}) == 140001 + 100000,
          ndflow::full({}, std::nan(""), t), nan_late);
    }
    for (const Array& data : {plain, nan_late}) {
      const Inputs in = {data};
      const std::string of = std::string("(") + name_of(t) + " 3x140001";
      for (const auto& [name, fn] : kReduce) {
        for (const std::vector<int>& ax : {std::vector<int>{1}, std::vector<int>{}}) {
          expect_gpus_match_cpu(
              in, [fn = fn, ax](const Inputs& x) { return fn(x[0], ax, false); },
              name + of + (ax.empty() ? ", all)" : ", axis 1)"));
          expect_gpus_match_cpu(
              in,
              [fn = fn, ax](const Inputs& x) {
                return fn(x[0].T(), ax.empty() ? ax : std::vector<int>{0}, false);
              },
              name + of + (ax.empty() ? ", all of a.T)" : ", axis 0 of a.T)"));
        }
      }
      for (const auto& [name, fn] : kArgReduce) {
        for (std::optional<int> axis : {std::optional<int>{}, std::optional<int>{1}})
          expect_gpus_match_cpu(
              in, [fn = fn, axis](const Inputs& x) { return fn(x[0], axis, false); },
              name + of + (axis ? ", axis 1)" : ", all)"));
      }
      if (HasFatalFailure()) return;
    }
  }
}

// Reductions that keep the input's innermost axis (a sum over axis 0 of a matrix), which a
// CUDA GPU reduces with neighbouring outputs in neighbouring threads: groups of outputs that
// end short or span kept axes, ranges cut into chunks, ties everywhere, a NaN deep in a column.
TEST_F(GpuOpsTest, ReductionsKeepingTheInnermostAxisMatchTheCpu) {
  struct Case {
    Shape shape;
    std::vector<int> axes;
  };
  const std::vector<Case> cases = {
      {{1000, 70}, {0}},    // 70 outputs: groups of 32, 32 and 6; ranges in chunks
      {{300, 5, 40}, {0}},  // two kept axes, merged into one of 200
      {{300, 5, 40}, {0, 1}}, {{300, 5, 40}, {1}},  // kept axes 0 and 2, apart
      {{2, 2000, 33}, {1}},  // a group of 32 outputs spanning both rows of 33
      {{20000, 3}, {0}},     // 3 outputs with long ranges, in many chunks
      {{7, 1}, {0}}};
  for (DType t : {ndflow::kFloat32, ndflow::kFloat64, ndflow::kInt32, ndflow::kUInt8}) {
    std::mt19937_64 rng(23);
    for (const Case& c : cases) {
      // Values 0 to 3, so that each column's extremes tie many times over.
      std::vector<double> values(static_cast<std::size_t>(c.shape.numel()));
      for (double& v : values) v = static_cast<double>(rng() % 4);
      if (ndflow::is_floating(t)) values[values.size() / 2 + 1] = std::nan("");
      const Inputs in = {ndflow::from_data(values.data(), c.shape).astype(t)};
      std::string of = std::string("(") + name_of(t) + " " + c.shape.to_string() + ", axes {";
      for (int a : c.axes) of += std::to_string(a) + ",";
      of += "})";
      for (const auto& [name, fn] : kReduce)
        expect_gpus_match_cpu(
            in, [fn = fn, axes = c.axes](const Inputs& x) { return fn(x[0], axes, false); },
            name + of, 3);
      if (c.axes.size() == 1) {
        for (const auto& [name, fn] : kArgReduce)
          expect_gpus_match_cpu(
              in, [fn = fn, axis = c.axes[0]](const Inputs& x) { return fn(x[0], axis, false); },
              name + of);
      }
      if (HasFatalFailure()) return;
    }
  }
}

// --- products, joins, creation ----------------------------------------------------------------

TEST_F(GpuOpsTest, DotAndJoinsMatchTheCpu) {
  for (DType t : all_dtypes()) {
    const Inputs in = {edge_array(t, {3, 4}, 17), edge_array(t, {4}, 18),
                       edge_array(ndflow::kInt32, {3, 4}, 19)};
    const std::string dt = name_of(t);
    // Ordinary values: products of the edge values give NaN or wrap, which shows nothing.
    std::mt19937_64 rng(20);
    const Inputs plain = {random_array(rng, {3, 4}, t), random_array(rng, {4}, t),
                          random_array(rng, {3, 4, 5}, t), random_array(rng, {5, 6}, t)};
    expect_gpus_match_cpu(
        plain, [](const Inputs& x) { return ndflow::dot(x[1], x[1]); },
        "dot of " + dt + " vectors");
    expect_gpus_match_cpu(
        plain, [](const Inputs& x) { return ndflow::dot(x[0], x[1]); },
        "dot of a " + dt + " matrix and vector");
    expect_gpus_match_cpu(
        plain,
        [](const Inputs& x) {
          return ndflow::matmul(x[2].slice(0, std::nullopt, std::nullopt, -1), x[3]);
        },
        "matmul of a reversed " + dt + " batch (a negative batch stride)");
    expect_gpus_match_cpu(
        in,
        [](const Inputs& x) {
          return ndflow::concatenate({x[0], x[0].T().T()}, 1);
        },
        "concatenate " + dt + " on axis 1");
    expect_gpus_match_cpu(
        in,
        [](const Inputs& x) {
          return ndflow::concatenate({x[0], x[2]}, 0);
        },
        "concatenate " + dt + " with int32");
    expect_gpus_match_cpu(
        in,
        [](const Inputs& x) {
          return ndflow::stack({x[0].T(), x[2].T()}, 1);
        },
        "stack views of " + dt + " and int32");
    expect_gpus_match_cpu(
        in,
        [](const Inputs& x) {
          return x[0].reshape({2, 6}).slice(1, 5, 0, -2) + x[0][1][2];
        },
        "a reversed slice of a reshape of " + dt + " plus a 0-d element");
    if (HasFatalFailure()) return;
  }
}

TEST_F(GpuOpsTest, CreationOnAGpuMatchesTheCpu) {
  for (DType t : all_dtypes()) {
    const std::string dt = name_of(t);
    expect_gpus_match_cpu([t](Device d) { return ndflow::zeros({3, 5}, t, d); }, "zeros " + dt);
    expect_gpus_match_cpu([t](Device d) { return ndflow::ones({7}, t, d); }, "ones " + dt);
    expect_gpus_match_cpu(
        [t](Device d) {
          return ndflow::full({2, 3}, 2.75, t, d);
        },
        "full(2.75) " + dt);
    expect_gpus_match_cpu([t](Device d) { return ndflow::full({4}, -1, t, d); }, "full(-1) " + dt);
    expect_gpus_match_cpu([t](Device d) { return ndflow::eye(4, 5, 1, t, d); }, "eye " + dt);
    expect_gpus_match_cpu([t](Device d) { return ndflow::arange(-3, 9, 1.5, t, d); },
                          "arange " + dt);
    expect_gpus_match_cpu([t](Device d) { return ndflow::linspace(0, 10, 7, true, t, d); },
                          "linspace " + dt);
    if (HasFatalFailure()) return;
  }
}

// TF32 is off unless asked for: by default a GPU's float32 products are as accurate as full
// float32 gives; set_float32_matmul_precision("high") lets a CUDA GPU use TF32 for the
// products called after it, and it does (with a 512-long inner dimension TF32's 10-bit
// mantissas lose about 1e-4 of the result's scale, full float32 about 1e-7).
TEST_F(GpuOpsTest, Float32MatmulIsFullPrecisionUnlessTf32IsAskedFor) {
  struct RestorePrecision {
    ~RestorePrecision() { ndflow::set_float32_matmul_precision("highest"); }
  } restore;
  ASSERT_EQ(ndflow::get_float32_matmul_precision(), "highest");
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<float> value(-1, 1);
  constexpr std::int64_t kN = 512;
  std::vector<float> av(kN * kN), bv(kN * kN);
  for (float& x : av) x = value(rng);
  for (float& x : bv) x = value(rng);
  const Array a = ndflow::from_vector(av, {kN, kN}), b = ndflow::from_vector(bv, {kN, kN});
  const std::vector<double> want =
      ndflow::matmul(a.astype(ndflow::kFloat64), b.astype(ndflow::kFloat64)).to_vector<double>();
  double scale = 0;
  for (double x : want) scale = std::max(scale, std::abs(x));
  // The largest error, relative to the largest entry.
  const auto error_of = [&](const Array& c) {
    const std::vector<double> got = c.to_vector<double>();
    double e = 0;
    for (std::size_t i = 0; i < got.size(); ++i) e = std::max(e, std::abs(got[i] - want[i]));
    return e / scale;
  };
  for (Device device : gpus()) {
    const Array ad = a.copy_to(device), bd = b.copy_to(device);
    const double full = error_of(ndflow::matmul(ad, bd));
    EXPECT_LT(full, 1e-5) << "float32 matmul on " << device.to_string()
                          << " lost precision with TF32 not asked for";
    ndflow::set_float32_matmul_precision("high");
    const double tf32 = error_of(ndflow::matmul(ad, bd));
    ndflow::set_float32_matmul_precision("highest");
    EXPECT_LT(tf32, 1e-2) << "on " << device.to_string();
    if (ndflow::gpus_simulated())
      EXPECT_EQ(tf32, full) << "a simulated GPU runs host kernels, which have no TF32";
    else
      EXPECT_GT(tf32, 4 * full) << "TF32 was allowed on " << device.to_string()
                                << " and cuBLAS did not use it (errors " << tf32 << " and " << full
                                << ")";
    std::printf(
        "float32 512x512 matmul on %s: largest relative error %.2e in full float32, "
        "%.2e with TF32 allowed\n",
        device.to_string().c_str(), full, tf32);
  }
}

// A GPU draws its own random numbers (cuRAND on CUDA GPUs), not the CPU's: they are checked
// for what users rely on instead: the same seed gives the same numbers, in range, with the
// asked-for mean and spread.
TEST_F(GpuOpsTest, RandomNumbersOnAGpuAreSeededReproducibleAndInRange) {
  constexpr std::int64_t kN = 100001;  // odd: normal's last value is made alone
  for (Device device : gpus()) {
    for (DType t : {ndflow::kFloat32, ndflow::kFloat64}) {
      const std::string what = name_of(t) + " on " + device.to_string();
      ndflow::random::seed(42);
      const auto u1 = ndflow::random::uniform(-1, 3, {kN}, t, device).to_vector<double>();
      const auto n1 = ndflow::random::normal(5, 2, {kN}, t, device).to_vector<double>();
      ndflow::random::seed(42);
      const auto u2 = ndflow::random::uniform(-1, 3, {kN}, t, device).to_vector<double>();
      const auto n2 = ndflow::random::normal(5, 2, {kN}, t, device).to_vector<double>();
      ASSERT_EQ(u1, u2) << "uniform " << what << ": the same seed gave other numbers";
      ASSERT_EQ(n1, n2) << "normal " << what << ": the same seed gave other numbers";
      double u_sum = 0, n_sum = 0, n_sq = 0;
      for (double v : u1) {
        ASSERT_TRUE(v >= -1 && v < 3) << "uniform " << what << " gave " << v;
        u_sum += v;
      }
      for (double v : n1) {
        ASSERT_TRUE(std::isfinite(v)) << "normal " << what << " gave " << v;
        n_sum += v;
        n_sq += (v - 5) * (v - 5);
      }
      // Means within 6 standard errors; the spread within 3%.
      EXPECT_NEAR(u_sum / kN, 1.0, 6 * (4 / std::sqrt(12.0)) / std::sqrt(double(kN))) << what;
      EXPECT_NEAR(n_sum / kN, 5.0, 6 * 2 / std::sqrt(double(kN))) << what;
      EXPECT_NEAR(std::sqrt(n_sq / kN), 2.0, 0.06) << what;
      ndflow::random::seed(43);
      EXPECT_NE(ndflow::random::uniform(-1, 3, {kN}, t, device).to_vector<double>(), u1)
          << "uniform " << what << ": another seed gave the same numbers";
      // randint is drawn on the host: the CPU's numbers exactly.
      ndflow::random::seed(7);
      const Array want = ndflow::random::randint(-5, 9, {1000}, ndflow::kInt32);
      ndflow::random::seed(7);
      expect_same(ndflow::random::randint(-5, 9, {1000}, ndflow::kInt32, device), want, device,
                  "randint " + what);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace ndflow_test
