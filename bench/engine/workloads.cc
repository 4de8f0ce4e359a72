#include "bench/engine/workloads.h"

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace ndflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

double NsPerOp(Clock::time_point start, std::int64_t ops) {
  const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
  return elapsed.count() / static_cast<double>(ops);
}

// The W4 kernel. Not inlined, so the timed loop and the ops run the very same code and the
// compiler cannot fold repeated calls together.
[[gnu::noinline]] void AddOne(const float* x, float* y, int len) {
  for (int i = 0; i < len; ++i) y[i] = x[i] + 1.0f;
}

// Fills x with 0, 1, 2, ... and y with zeros.
void InitBuffers(std::vector<float>& x, std::vector<float>& y) {
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  y.assign(y.size(), 0.0f);
}

void CheckAddOne(const std::vector<float>& x, const std::vector<float>& y) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (y[i] != x[i] + 1.0f) throw std::runtime_error("W4 computed a wrong y");
  }
}

}  // namespace

double RunIndependent(Engine& engine, std::int64_t ops) {
  const Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < ops; ++i) engine.push([] {}, {}, {});
  engine.wait_all();
  return NsPerOp(start, ops);
}

double RunSerialChain(Engine& engine, std::int64_t ops) {
  const Var var = engine.new_var();
  const Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < ops; ++i) engine.push([] {}, {}, var);
  engine.wait_all();
  const double ns = NsPerOp(start, ops);
  engine.delete_var(var);
  return ns;
}

double RunRoundRobin(Engine& engine, std::int64_t ops, int vars) {
  std::vector<Var> var(vars);
  for (Var& v : var) v = engine.new_var();
  const Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < ops; ++i) engine.push([] {}, {}, var[i % vars]);
  engine.wait_all();
  const double ns = NsPerOp(start, ops);
  for (const Var& v : var) engine.delete_var(v);
  return ns;
}

double RunAddOne(Engine& engine, std::int64_t ops, int len, bool sync) {
  std::vector<float> x(len), y(len);
  InitBuffers(x, y);
  const float* xs = x.data();
  float* ys = y.data();
  const Var x_var = engine.new_var();
  const Var y_var = engine.new_var();
  const Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < ops; ++i) {
    engine.push([xs, ys, len] { AddOne(xs, ys, len); }, x_var, y_var);
    if (sync) engine.wait_to_read(y_var);
  }
  engine.wait_all();  // a no-op after the sync variant's last wait_to_read
  const double ns = NsPerOp(start, ops);
  engine.delete_var(x_var);
  engine.delete_var(y_var);
  CheckAddOne(x, y);
  return ns;
}

double RunKernelOnly(std::int64_t calls, int len) {
  std::vector<float> x(len), y(len);
  InitBuffers(x, y);
  const Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < calls; ++i) AddOne(x.data(), y.data(), len);
  const double ns = NsPerOp(start, calls);
  CheckAddOne(x, y);
  return ns;
}

}  // namespace ndflow::bench
