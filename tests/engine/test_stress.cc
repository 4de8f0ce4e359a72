// Differential stress: the same random programs run on the threaded engine (in several
// configurations), on the naive engine, and directly in sequence in this file; final var
// states and per-op logs must match exactly.
//
// A program has NDFLOW_STRESS_OPS ops (default 100000) over 136 vars. Four threads push at
// once; thread t owns vars [32t, 32t + 32) and writes only those, and may also read the 8
// "constant" vars 128..135, written once before the threads start. Each op reads 0-3 vars
// and writes 1-2, folding what it reads into a hash with a non-commutative mix: any
// reordering of conflicting accesses changes some value. The op logs that hash (so a read
// that saw the wrong version is caught even if later writes mask it) and then updates each
// var it writes from its old value, the hash and its id. Ops pick random priorities and
// lanes, and some complete through defer(). Threads are independent by construction, so
// the sequential result does not depend on how their pushes interleave.
#include <algorithm>
#include <array>
#include <cstdint>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::AsyncCompletion;
using ndflow::Engine;
using ndflow::EngineKind;
using ndflow::Lane;
using ndflow::OpContext;
using ndflow::Var;

constexpr int kThreads = 4;
constexpr int kVarsPerThread = 32;
constexpr int kOwnedVars = kThreads * kVarsPerThread;  // 128
constexpr int kConstants = 8;
constexpr int kTotalVars = kOwnedVars + kConstants;

struct OpSpec {
  std::uint32_t id = 0;  // index into the per-op log
  std::uint8_t n_reads = 0;
  std::uint8_t n_writes = 0;
  std::array<std::uint16_t, 3> reads{};
  std::array<std::uint16_t, 2> writes{};
  std::int8_t priority = 0;
  bool on_copy_lane = false;
  bool deferred = false;
};

struct Program {
  std::uint64_t seed = 0;
  std::vector<std::vector<OpSpec>> per_thread;  // each thread's ops, in push order
  std::size_t num_ops = 0;
};

struct State {
  std::vector<std::uint64_t> vars;  // one slot per var, owned by the test
  std::vector<std::uint64_t> log;   // one slot per op
};

// Non-commutative: Mix(Mix(x, a), b) != Mix(Mix(x, b), a) in general.
inline std::uint64_t Mix(std::uint64_t x, std::uint64_t y, std::uint64_t id) {
  return x * 6364136223846793005ULL + (y ^ (id * 0x9E3779B97F4A7C15ULL)) + 1442695040888963407ULL;
}

std::uint64_t ConstantValue(std::uint64_t seed, int c) { return Mix(seed, c, 0xC0FFEE); }
std::uint64_t InitialValue(int var) { return 0x1000 + static_cast<std::uint64_t>(var); }

Program MakeProgram(std::uint64_t seed, std::int64_t num_ops) {
  Program p;
  p.seed = seed;
  p.per_thread.resize(kThreads);
  const std::int64_t per_thread = std::max<std::int64_t>(1, num_ops / kThreads);
  std::uint32_t next_id = 0;
  for (int t = 0; t < kThreads; ++t) {
    std::mt19937_64 rng(seed * 1000003 + t);
    auto own = [&] {
      return static_cast<std::uint16_t>(t * kVarsPerThread + rng() % kVarsPerThread);
    };
    for (std::int64_t k = 0; k < per_thread; ++k) {
      OpSpec op;
      op.id = next_id++;
      op.n_writes = static_cast<std::uint8_t>(1 + rng() % 2);
      op.writes[0] = own();
      // Mostly distinct writes; now and then a duplicate, which push() must ignore.
      op.writes[1] = rng() % 32 == 0 ? op.writes[0] : own();
      op.n_reads = static_cast<std::uint8_t>(rng() % 4);
      for (int r = 0; r < op.n_reads; ++r) {
        op.reads[r] = rng() % 3 == 0
                          ? static_cast<std::uint16_t>(kOwnedVars + rng() % kConstants)
                          : own();  // may coincide with a write: then it counts as written
      }
      op.priority = static_cast<std::int8_t>(static_cast<int>(rng() % 5) - 2);
      op.on_copy_lane = rng() % 4 == 0;
      op.deferred = rng() % 16 == 0;
      p.per_thread[t].push_back(op);
    }
  }
  p.num_ops = next_id;
  return p;
}

State InitialState(const Program& p) {
  State s;
  s.vars.resize(kTotalVars);
  for (int v = 0; v < kTotalVars; ++v) s.vars[v] = InitialValue(v);
  s.log.assign(p.num_ops, 0);
  return s;
}

// The whole effect of one op: identical in every evaluation.
inline void Apply(const OpSpec& op, std::uint64_t* vars, std::uint64_t* log) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ op.id;
  for (int r = 0; r < op.n_reads; ++r) h = Mix(h, vars[op.reads[r]], op.id);
  log[op.id] = h;
  for (int w = 0; w < op.n_writes; ++w) {
    std::uint64_t& x = vars[op.writes[w]];
    x = Mix(x, h, op.id + w);
  }
}

State RunSequentially(const Program& p) {
  State s = InitialState(p);
  for (int c = 0; c < kConstants; ++c) s.vars[kOwnedVars + c] = ConstantValue(p.seed, c);
  for (const std::vector<OpSpec>& ops : p.per_thread) {
    for (const OpSpec& op : ops) Apply(op, s.vars.data(), s.log.data());
  }
  return s;
}

State RunOnEngine(const Program& p, const ndflow::EngineOptions& options) {
  State s = InitialState(p);
  std::uint64_t* vars_data = s.vars.data();
  std::uint64_t* log_data = s.log.data();
  Engine e(options);
  std::vector<Var> vars(kTotalVars);
  for (Var& v : vars) v = e.new_var();
  // The constants are written by ops that the readers' pushes are ordered after (they
  // happen before the pusher threads start); nobody waits for them.
  for (int c = 0; c < kConstants; ++c) {
    const std::uint64_t value = ConstantValue(p.seed, c);
    std::uint64_t* slot = &vars_data[kOwnedVars + c];
    e.push([slot, value] { *slot = value; }, {}, {vars[kOwnedVars + c]}, Lane::cpu_compute(), 0,
           "stress_constant");
  }
  {
    std::vector<std::jthread> pushers;
    for (int t = 0; t < kThreads; ++t) {
      pushers.emplace_back([&, t] {
        for (const OpSpec& op : p.per_thread[t]) {
          Var reads[3];
          Var writes[2];
          for (int r = 0; r < op.n_reads; ++r) reads[r] = vars[op.reads[r]];
          for (int w = 0; w < op.n_writes; ++w) writes[w] = vars[op.writes[w]];
          const OpSpec* spec = &op;
          e.push(
              [spec, vars_data, log_data](OpContext& ctx) {
                if (spec->deferred) {
                  // Done only at complete(): the results must be visible by then.
                  AsyncCompletion done = ctx.defer();
                  Apply(*spec, vars_data, log_data);
                  done.complete();
                } else {
                  Apply(*spec, vars_data, log_data);
                }
              },
              std::span<const Var>(reads, op.n_reads), std::span<const Var>(writes, op.n_writes),
              op.on_copy_lane ? Lane::cpu_copy() : Lane::cpu_compute(), op.priority, "stress_op");
        }
      });
    }
  }  // joins the pushers
  e.wait_all();
  for (Var v : vars) e.delete_var(v);
  e.wait_all();
  EXPECT_EQ(e.stats().vars_live, 0);
  EXPECT_EQ(e.stats().ops_inflight, 0);
  EXPECT_LE(e.stats().ops_inflight_peak, options.max_inflight);
  return s;
}

// Reports the first difference only: a misordering usually changes thousands of values.
::testing::AssertionResult SameResults(const State& expected, const State& actual) {
  for (std::size_t v = 0; v < expected.vars.size(); ++v) {
    if (expected.vars[v] != actual.vars[v]) {
      return ::testing::AssertionFailure() << "var " << v << " ends as " << actual.vars[v]
                                           << ", sequential gives " << expected.vars[v];
    }
  }
  for (std::size_t i = 0; i < expected.log.size(); ++i) {
    if (expected.log[i] != actual.log[i]) {
      return ::testing::AssertionFailure()
             << "op " << i << " read different values (log " << actual.log[i] << ", sequential "
             << expected.log[i] << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

struct StressConfig {
  const char* name;
  EngineKind kind;
  int cpu_workers;
  std::int64_t max_inflight;
};

constexpr StressConfig kConfigs[] = {
    {"Threaded2Workers", EngineKind::kThreaded, 2, 65536},
    {"Threaded2WorkersMaxInflight64", EngineKind::kThreaded, 2, 64},
    {"Threaded1Worker", EngineKind::kThreaded, 1, 65536},
    {"Naive", EngineKind::kNaive, 2, 65536},
};

void PrintTo(const StressConfig& config, std::ostream* os) { *os << config.name; }

class StressTest : public EngineTest,
                   public ::testing::WithParamInterface<std::tuple<StressConfig, int>> {};

INSTANTIATE_TEST_SUITE_P(Configs, StressTest,
                         ::testing::Combine(::testing::ValuesIn(kConfigs), ::testing::Values(1, 2)),
                         [](const ::testing::TestParamInfo<std::tuple<StressConfig, int>>& info) {
                           return std::string(std::get<0>(info.param).name) + "_Seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST_P(StressTest, MatchesSequentialEvaluation) {
  const auto& [config, seed] = GetParam();
  const Program program = MakeProgram(static_cast<std::uint64_t>(seed), StressOps());
  const State expected = RunSequentially(program);
  ndflow::EngineOptions options;
  options.kind = config.kind;
  options.cpu_workers = config.cpu_workers;
  options.max_inflight = config.max_inflight;
  const State actual = RunOnEngine(program, options);
  EXPECT_TRUE(SameResults(expected, actual)) << config.name << ", seed " << seed;
}

// The three evaluations side by side, for the default configuration: the threaded engine
// against the naive one directly, not only through the sequential result.
class StressAgreementTest : public EngineTest {};

TEST_F(StressAgreementTest, ThreadedNaiveAndSequentialAgree) {
  const Program program = MakeProgram(/*seed=*/7, std::min<std::int64_t>(StressOps(), 20000));
  const State sequential = RunSequentially(program);
  const State naive = RunOnEngine(program, MakeOptions(EngineKind::kNaive, 2));
  const State threaded = RunOnEngine(program, MakeOptions(EngineKind::kThreaded, 2));
  EXPECT_TRUE(SameResults(sequential, naive)) << "naive vs sequential";
  EXPECT_TRUE(SameResults(naive, threaded)) << "threaded vs naive";
}

}  // namespace
}  // namespace ndflow_test
