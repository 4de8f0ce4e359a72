// ndflow::random: uniform, normal and randint from Philox4x32-10 (backends/cpu/philox.h).
//
// The process-wide state is {seed, next stream id}. Each random op takes the next stream id
// at the call, in program order, and element i of its result is a function of (seed, stream,
// i) only, so the numbers do not depend on the scheduling, the engine kind or how
// launch_parallel splits the array across workers.
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include "array/array_impl.h"
#include "backends/cpu/philox.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {
namespace random {
namespace {

// The seed of a program that never calls seed(): fixed, so programs are reproducible.
constexpr std::uint64_t kDefaultSeed = 0x6E64666C6F77ull;  // "ndflow"

struct State {
  std::mutex mu;
  std::uint64_t seed = kDefaultSeed;
  std::uint64_t next_stream = 0;
};
State& state() {
  static State s;
  return s;
}

struct Stream {
  std::uint64_t seed, id;
};
// Called after every check has passed and the result is allocated, so a call that throws
// does not advance the state.
Stream take_stream() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return {s.seed, s.next_stream++};
}

// uniform and normal make floating-point numbers only.
void check_floating(const char* op, DType dtype) {
  if (!is_floating(dtype))
    throw DTypeError(std::string("ndflow: random::") + op + ": dtype " + dtype_name(dtype) +
                     " is not supported; use float32 or float64");
}

}  // namespace

void seed(std::uint64_t s) {
  State& st = state();
  std::lock_guard lock(st.mu);
  st.seed = s;
  st.next_stream = 0;
}

// A CUDA GPU draws with cuRAND (not ndflow's Philox): one cuRAND seed per op, mixed from the
// seed and the op's stream id (splitmix64), so the same program gives the same numbers.
detail::CudaLaunch cuda_draw(bool normal, const Array& out, const Stream& st, double a, double b,
                             const Array& tail_pair = Array()) {
  if (!detail::runs_cuda_kernels(out.device())) return {};
  std::uint64_t z = st.seed + 0x9E3779B97F4A7C15ull * (st.id + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return detail::cuda_random(normal, *out.impl(), z ^ (z >> 31), 0, a, b, tail_pair.impl().get());
}

Array uniform(double low, double high, const Shape& shape, DType dtype, Device device) {
  check_floating("uniform", dtype);
  if (!std::isfinite(low) || !std::isfinite(high))
    throw ShapeError("ndflow: random::uniform: low and high must be finite, got " +
                     std::to_string(low) + " and " + std::to_string(high));
  Array out = detail::new_array(shape, dtype, device);
  const Stream st = take_stream();
  const std::int64_t n = out.size();
  if (n == 0) return out;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      detail::launch_parallel(
          "random_uniform", detail::VarsOf{}, detail::VarsOf{&out}, device, n,
          [out, st, low, high](std::int64_t b, std::int64_t e) {
            T* p = reinterpret_cast<T*>(out.impl()->data());
            const double width = high - low;
            // Rounding can carry low + width * u up to high: keep the interval half-open.
            const T top = low < high ? std::nextafter(static_cast<T>(high), static_cast<T>(low))
                                     : static_cast<T>(high);
            constexpr int kPerBlock = std::is_same_v<T, float> ? 4 : 2;
            for (std::int64_t i = b; i < e;) {
              const auto blk = static_cast<std::uint64_t>(i) / kPerBlock;
              const detail::philox::Counter w = detail::philox::block(st.seed, st.id, blk);
              for (std::int64_t j = i % kPerBlock; j < kPerBlock && i < e; ++j, ++i) {
                double u;
                if constexpr (std::is_same_v<T, float>)
                  u = detail::philox::to_unit_float(w[j]);
                else
                  u = detail::philox::to_unit_double(w[2 * j], w[2 * j + 1]);
                T v = static_cast<T>(low + width * u);
                if (low < high && v > top) v = top;
                p[i] = v;
              }
            }
          },
          detail::kParallelGrain, cuda_draw(false, out, st, low, high));
    }
  });
  return out;
}

Array normal(double mean, double stddev, const Shape& shape, DType dtype, Device device) {
  check_floating("normal", dtype);
  if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean))
    throw ShapeError(
        "ndflow: random::normal: stddev must be finite and >= 0 and mean finite, got "
        "mean " +
        std::to_string(mean) + " and stddev " + std::to_string(stddev));
  Array out = detail::new_array(shape, dtype, device);
  const std::int64_t n = out.size();
  // cuRAND makes normals in pairs: an odd count on a CUDA GPU takes its last value from a
  // pair drawn into an array of its own, from the GPU's cache and under its memory limit,
  // which the op writes so that it lives until the op has run.
  Array tail_pair;
  if (n % 2 == 1 && detail::runs_cuda_kernels(device))
    tail_pair = detail::new_array(Shape{2}, dtype, device);
  const Stream st = take_stream();
  if (n == 0) return out;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      detail::launch_parallel(
          "random_normal", detail::VarsOf{},
          tail_pair.impl() ? detail::VarsOf{&out, &tail_pair} : detail::VarsOf{&out}, device, n,
          [out, st, mean, stddev](std::int64_t b, std::int64_t e) {
            T* p = reinterpret_cast<T*>(out.impl()->data());
            for (std::int64_t i = b; i < e;) {
              const detail::philox::NormalPair z =
                  detail::philox::normal_pair(st.seed, st.id, static_cast<std::uint64_t>(i) / 2);
              if (i % 2 == 0) p[i++] = static_cast<T>(mean + stddev * z.z0);
              if (i < e) p[i++] = static_cast<T>(mean + stddev * z.z1);
            }
          },
          detail::kParallelGrain, cuda_draw(true, out, st, mean, stddev, tail_pair));
    }
  });
  return out;
}

Array randint(std::int64_t low, std::int64_t high, const Shape& shape, DType dtype, Device device) {
  // No CUDA kernel: drawn on the host (the same numbers as on the CPU), then copied.
  if (detail::runs_cuda_kernels(device))
    return randint(low, high, shape, dtype, Device::cpu()).copy_to(device);
  if (!is_integral(dtype))
    throw DTypeError(std::string("ndflow: random::randint: dtype ") + dtype_name(dtype) +
                     " is not supported; use uint8, int32 or int64");
  if (low >= high)
    throw ShapeError("ndflow: random::randint: low >= high (" + std::to_string(low) +
                     " >= " + std::to_string(high) + "); the interval [low, high) is empty");
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // high is exclusive: it may be one past the largest value.
      const bool fits = low >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                        (std::is_same_v<T, std::int64_t> ||
                         high - 1 <= static_cast<std::int64_t>(std::numeric_limits<T>::max()));
      if (!fits)
        throw DTypeError("ndflow: random::randint: [" + std::to_string(low) + ", " +
                         std::to_string(high) + ") does not fit dtype " + dtype_name(dtype));
    }
  });
  Array out = detail::new_array(shape, dtype, device);
  const Stream st = take_stream();
  const std::int64_t n = out.size();
  if (n == 0) return out;
  // high - low as unsigned: no overflow even for the whole int64 range.
  const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      detail::launch_parallel("random_randint", detail::VarsOf{}, detail::VarsOf{&out}, device, n,
                              [out, st, low, range](std::int64_t b, std::int64_t e) {
                                T* p = reinterpret_cast<T*>(out.impl()->data());
                                for (std::int64_t i = b; i < e;) {
                                  const detail::philox::Counter w = detail::philox::block(
                                      st.seed, st.id, static_cast<std::uint64_t>(i) / 2);
                                  for (std::int64_t j = i % 2; j < 2 && i < e; ++j, ++i) {
                                    const std::uint64_t r = detail::philox::below(
                                        detail::philox::to_u64(w[2 * j], w[2 * j + 1]), range);
                                    p[i] = static_cast<T>(static_cast<std::uint64_t>(low) + r);
                                  }
                                }
                              });
    }
  });
  return out;
}

}  // namespace random
}  // namespace ndflow
