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
#include "array/random_program.h"
#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow_test {
namespace {

using ndflow::Engine;
using ndflow::EngineKind;
using ndflow::EngineOptions;

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
