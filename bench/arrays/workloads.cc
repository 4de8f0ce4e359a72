#include "bench/arrays/workloads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "ndflow/array.h"

namespace ndflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double NsPerOpSince(Clock::time_point start, std::int64_t ops) {
  const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
  return elapsed.count() / static_cast<double>(ops);
}

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("wrong result: " + what);
}

// Checks a few entries of c = a @ b (all n x n, row-major) against a double-precision
// dot product on the host, within float32 rounding of a sum of n products.
void CheckProduct(const Array& a, const Array& b, const Array& c, std::int64_t n,
                  const char* what) {
  const std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>(),
                           cv = c.to_vector<float>();
  for (const std::int64_t i : {std::int64_t{0}, n / 2, n - 1}) {
    for (const std::int64_t j : {std::int64_t{0}, n - 1}) {
      double ref = 0, scale = 0;
      for (std::int64_t k = 0; k < n; ++k) {
        ref += static_cast<double>(av[i * n + k]) * bv[k * n + j];
        scale += std::fabs(static_cast<double>(av[i * n + k]) * bv[k * n + j]);
      }
      Check(std::fabs(cv[i * n + j] - ref) <= 1e-5 * static_cast<double>(n) * (scale + 1),
            std::string(what) + ": element (" + std::to_string(i) + ", " + std::to_string(j) +
                ") is " + std::to_string(cv[i * n + j]) + ", not " + std::to_string(ref));
    }
  }
}

// Runs `make` (which pushes an op and returns its result) once to warm up, then `reps`
// timed times, each from the push to the result's wait_to_read; the previous result's
// memory goes back before the clock starts. The last result is left in `last`.
template <class Make>
std::vector<double> TimedResultsMs(int reps, Make&& make, Array& last) {
  std::vector<double> ms;
  for (int r = -1; r < reps; ++r) {  // r == -1: the warm-up
    last = Array();
    wait_all();
    const Clock::time_point start = Clock::now();
    last = make();
    last.wait_to_read();
    if (r >= 0) ms.push_back(MsSince(start));
  }
  return ms;
}

}  // namespace

std::vector<double> MatmulMs(std::int64_t n, int reps) {
  const Array a = random::uniform(-1, 1, {n, n});
  const Array b = random::uniform(-1, 1, {n, n});
  Array c;
  const std::vector<double> ms = TimedResultsMs(
      reps, [&] { return matmul(a, b); }, c);
  CheckProduct(a, b, c, n, "matmul");
  return ms;
}

std::vector<double> SumMs(std::int64_t n, int axis, int reps) {
  const Array a = random::uniform(-1, 1, {n, n});
  Array s;
  const std::vector<double> ms = TimedResultsMs(
      reps, [&] { return sum(a, {axis}); }, s);
  // The first and last sums against the host's, in double (ndflow sums float32 in double).
  const std::vector<float> av = a.to_vector<float>(), sv = s.to_vector<float>();
  for (const std::int64_t i : {std::int64_t{0}, n - 1}) {
    double ref = 0;
    for (std::int64_t k = 0; k < n; ++k) ref += av[axis == 0 ? k * n + i : i * n + k];
    Check(std::fabs(sv[i] - ref) <= 1e-6 * static_cast<double>(n),
          "sum over axis " + std::to_string(axis) + ": element " + std::to_string(i) + " is " +
              std::to_string(sv[i]) + ", not " + std::to_string(ref));
  }
  return ms;
}

std::vector<double> MaxMs(std::int64_t n, int axis, int reps) {
  const Array a = random::uniform(-1, 1, {n, n});
  Array m;
  const std::vector<double> ms = TimedResultsMs(
      reps, [&] { return axis < 0 ? max(a) : max(a, {axis}); }, m);
  // The first and last results against the host's.
  const std::vector<float> av = a.to_vector<float>(), mv = m.to_vector<float>();
  const std::int64_t run = axis < 0 ? n * n : n;  // the elements each result is the max of
  for (const std::size_t i : {std::size_t{0}, mv.size() - 1}) {
    const auto begin = av.begin() + static_cast<std::ptrdiff_t>(i) * run;
    const float ref = *std::max_element(begin, begin + run);
    Check(mv[i] == ref, "max: element " + std::to_string(i) + " is " + std::to_string(mv[i]) +
                            ", not " + std::to_string(ref));
  }
  return ms;
}

std::vector<double> AddMs(std::int64_t n, int reps) {
  const Array x = random::uniform(-1, 1, {n});
  const Array y = random::uniform(-1, 1, {n});
  Array z;
  const std::vector<double> ms = TimedResultsMs(
      reps, [&] { return x + y; }, z);
  const std::vector<float> xv = x.to_vector<float>(), yv = y.to_vector<float>(),
                           zv = z.to_vector<float>();
  for (std::size_t i = 0; i < zv.size(); ++i) Check(zv[i] == xv[i] + yv[i], "add");
  return ms;
}

std::vector<double> DispatchNs(std::int64_t ops, bool sync, int reps) {
  const Array x = ones({1, 2});
  wait_all();
  std::vector<double> ns;
  Array y;
  for (int r = -1; r < reps; ++r) {
    const Clock::time_point start = Clock::now();
    for (std::int64_t i = 0; i < ops; ++i) {
      y = x + 1;
      if (sync) y.wait_to_read();
    }
    wait_all();  // a no-op after the sync variant's last wait_to_read
    if (r >= 0) ns.push_back(NsPerOpSince(start, ops));
  }
  Check(y.to_vector<float>() == std::vector<float>{2, 2}, "x + 1");
  return ns;
}

std::vector<double> SmallMatmulMs(std::int64_t count, std::int64_t n, int reps) {
  const Array x = random::uniform(-1, 1, {n, n});
  wait_all();
  std::vector<double> ms;
  std::vector<Array> ys;
  for (int r = -1; r < reps; ++r) {
    ys.assign(count, Array());  // free the previous run's results before the clock starts
    wait_all();
    const Clock::time_point start = Clock::now();
    for (std::int64_t i = 0; i < count; ++i) ys[i] = matmul(x, x);
    wait_all();
    if (r >= 0) ms.push_back(MsSince(start));
  }
  // Every product is of the same operands, so all must match the first bit for bit.
  CheckProduct(x, x, ys.front(), n, "small matmul");
  const std::vector<float> first = ys.front().to_vector<float>();
  for (const Array& y : ys) Check(y.to_vector<float>() == first, "small matmul: products differ");
  return ms;
}

}  // namespace ndflow::bench
