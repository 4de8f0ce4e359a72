// Random array programs give bit-identical results on the naive engine (every op runs
// inside push, in program order) and on the threaded engine with 1 or 2 workers and a tight
// in-flight bound: the engine's ordering, not luck, makes the threaded results right.
//
// A program starts from a few deterministic arrays and applies random ops to random
// operands: element-wise (with broadcasting and scalars), in-place updates (also through
// views), views (slices, transposes, reshapes), reductions, small matmuls, casts and joins.
// Every array ever produced is read back at the end and compared bitwise.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "array/array_impl.h"
#include "array/harness.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

using ndflow::Engine;
using ndflow::EngineKind;
using ndflow::EngineOptions;

constexpr int kOpsPerProgram = 400;

// Deterministic starting values, so every engine sees the same inputs.
Array start_array(std::mt19937_64& rng, const Shape& shape, DType dtype) {
  return random_array(rng, shape, dtype);
}

// Runs one random program on the current array engine; returns every result's bytes.
std::vector<std::vector<double>> run_program(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Array> pool;
  // Same-shaped float arrays combine freely; a few other shapes exercise broadcasting.
  for (int i = 0; i < 4; ++i) pool.push_back(start_array(rng, {4, 6}, ndflow::kFloat32));
  pool.push_back(start_array(rng, {6}, ndflow::kFloat32));
  pool.push_back(start_array(rng, {4, 1}, ndflow::kFloat64));
  pool.push_back(start_array(rng, {4, 6}, ndflow::kInt32));

  auto pick = [&](auto&& accept) -> Array {
    for (int tries = 0; tries < 64; ++tries) {
      const Array& a = pool[rng() % pool.size()];
      if (accept(a)) return a;
    }
    return pool[0];
  };
  // Operands that broadcast with (4,6) to (4,6).
  auto fits_4x6 = [](const Array& a) {
    Shape out;
    return broadcast_shapes(Shape({4, 6}), a.shape(), &out) && out == Shape({4, 6});
  };
  auto is_4x6 = [](const Array& a) { return a.shape() == Shape({4, 6}); };
  auto is_float_4x6 = [](const Array& a) {
    return a.shape() == Shape({4, 6}) && ndflow::is_floating(a.dtype());
  };

  for (int step = 0; step < kOpsPerProgram; ++step) {
    Array out;
    switch (rng() % 12) {
      case 0:
        out = pick(is_4x6) + pick(fits_4x6);
        break;  // also (4,6) with (6,), (4,1)
      case 1:
        out = pick(is_4x6) * pick(is_4x6) - 0.5;
        break;
      case 2:
        out = ndflow::maximum(pick(is_4x6), pick(fits_4x6));
        break;
      case 3:
        out = ndflow::tanh(pick(is_float_4x6));
        break;
      case 4: {  // in place, on the array itself or through a view of it
        Array target = pick(is_float_4x6);
        if (rng() % 2) {
          Array row = target[static_cast<std::int64_t>(rng() % 4)];
          row += 1.25;
        } else {
          target *= pick(is_4x6).astype(target.dtype());
        }
        out = target;
        break;
      }
      case 5:
        out = pick(is_4x6).slice(1, 1, 5, 2);
        break;  // a strided view (4,2)
      case 6:
        out = pick(is_4x6).T().copy();
        break;
      case 7:
        out = ndflow::sum(pick(is_4x6), {static_cast<int>(rng() % 2)}, true);
        break;
      case 8:
        out = ndflow::matmul(pick(is_float_4x6), pick(is_float_4x6).T());
        break;
      case 9:
        out = ndflow::where(pick(is_4x6) > 0, pick(is_4x6), pick(fits_4x6));
        break;
      case 10:
        out = ndflow::concatenate({pick(is_4x6), pick(is_4x6)}, 0).reshape({4, 12}).slice(1, 0, 6);
        break;
      case 11:
        out = ndflow::mean(pick(is_4x6), {1}).reshape({4, 1});
        break;
    }
    pool.push_back(out);
    if (pool.size() > 24) pool.erase(pool.begin() + 7);  // keep the start arrays, drop old results
  }
  std::vector<std::vector<double>> values;
  for (const Array& a : pool) values.push_back(a.to_vector<double>());
  return values;
}

std::vector<std::vector<double>> run_on(const EngineOptions& options, std::uint64_t seed) {
  Engine engine(options);
  ndflow::detail::set_array_engine(&engine);
  std::vector<std::vector<double>> values = run_program(seed);
  engine.wait_all();  // every array of the program is gone: their releases are pending
  ndflow::detail::set_array_engine(nullptr);
  return values;
}

bool bitwise_equal(const std::vector<std::vector<double>>& a,
                   const std::vector<std::vector<double>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(double)) != 0)
      return false;
  return true;
}

TEST(EngineModeTest, RandomArrayProgramsMatchTheNaiveEngineBitForBit) {
  EngineOptions naive;
  naive.kind = EngineKind::kNaive;
  EngineOptions one_worker;
  one_worker.cpu_workers = 1;
  EngineOptions two_workers;
  two_workers.cpu_workers = 2;
  EngineOptions tight = two_workers;
  tight.max_inflight = 8;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto reference = run_on(naive, seed);
    EXPECT_TRUE(bitwise_equal(reference, run_on(one_worker, seed))) << "seed " << seed;
    EXPECT_TRUE(bitwise_equal(reference, run_on(two_workers, seed))) << "seed " << seed;
    EXPECT_TRUE(bitwise_equal(reference, run_on(tight, seed))) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ndflow_test
