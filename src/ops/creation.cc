// Creation from ranges: arange, linspace, eye. Each checks its arguments at the call,
// allocates the result and pushes a fill kernel (split across workers when large).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "array/array_impl.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {
namespace {

// A double converted to T without undefined behaviour: C++'s conversion (truncation toward
// zero for integers) where the value fits; NaN and out-of-range values give T's smallest
// value (x86's NumPy result) and wrap modulo 256 for uint8; bool is "nonzero".
template <class T>
T from_double(double x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x != 0;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(x);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return static_cast<T>(static_cast<std::uint64_t>(from_double<std::int64_t>(x)));
  } else {
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    if (!(x > lo - 1.0 && x < -lo)) return std::numeric_limits<T>::min();
    return static_cast<T>(x);
  }
}

std::string num(double v) {
  std::string s = std::to_string(v);
  return s;
}

// Largest element count a creation op accepts (the allocation would fail long before).
constexpr double kMaxElements = 9.0e15;

}  // namespace

// arange, linspace and eye have no CUDA kernel: a GPU running the CUDA kernels gets them
// made on the host and copied (simulated GPUs running the CPU's kernels run them there).
Array arange(double start, double stop, double step, DType dtype, Device device) {
  if (detail::runs_cuda_kernels(device))
    return arange(start, stop, step, dtype, Device::cpu()).copy_to(device);
  if (step == 0) throw ShapeError("ndflow: arange: step must not be zero");
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    throw ShapeError("ndflow: arange: start, stop and step must be finite, got " + num(start) +
                     ", " + num(stop) + ", " + num(step));
  const double len = std::ceil((stop - start) / step);
  if (!(len < kMaxElements))
    throw ShapeError("ndflow: arange: too many elements (" + num(len) + ")");
  const std::int64_t n = len > 0 ? static_cast<std::int64_t>(len) : 0;
  Array out = detail::new_array(Shape{n}, dtype, device);
  if (n == 0) return out;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::launch_parallel("arange", detail::VarsOf{}, detail::VarsOf{&out}, device, n,
                            [out, start, step](std::int64_t b, std::int64_t e) {
                              T* p = reinterpret_cast<T*>(out.impl()->data());
                              for (std::int64_t i = b; i < e; ++i)
                                p[i] = from_double<T>(start + static_cast<double>(i) * step);
                            });
  });
  return out;
}

Array linspace(double start, double stop, std::int64_t num_, bool endpoint, DType dtype,
               Device device) {
  if (detail::runs_cuda_kernels(device))
    return linspace(start, stop, num_, endpoint, dtype, Device::cpu()).copy_to(device);
  if (num_ < 0)
    throw ShapeError("ndflow: linspace: number of samples, " + std::to_string(num_) +
                     ", must be non-negative");
  Array out = detail::new_array(Shape{num_}, dtype, device);
  if (num_ == 0) return out;
  // NumPy's recipe: i * step + start with step = (stop - start) / div, or i / div * delta
  // when the step underflows to zero; the last sample is exactly stop with the endpoint;
  // integer dtypes take the floor.
  const std::int64_t div = endpoint ? num_ - 1 : num_;
  const double delta = stop - start;
  const double step = div > 0 ? delta / static_cast<double>(div) : 0.0;
  const bool step_zero = div > 0 && step == 0;
  const std::int64_t last = num_ - 1;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::launch_parallel("linspace", detail::VarsOf{}, detail::VarsOf{&out}, device, num_,
                            [out, start, stop, delta, step, step_zero, div, last, endpoint](
                                std::int64_t b, std::int64_t e) {
                              T* p = reinterpret_cast<T*>(out.impl()->data());
                              for (std::int64_t i = b; i < e; ++i) {
                                const double x = static_cast<double>(i);
                                double v = div <= 0 ? x * delta + start
                                           : step_zero
                                               ? x / static_cast<double>(div) * delta + start
                                               : x * step + start;
                                if (endpoint && i == last && last > 0) v = stop;
                                if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
                                  v = std::floor(v);
                                p[i] = from_double<T>(v);
                              }
                            });
  });
  return out;
}

Array eye(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype, Device device) {
  if (detail::runs_cuda_kernels(device)) return eye(n, m, k, dtype, Device::cpu()).copy_to(device);
  if (m == -1) m = n;
  if (n < 0 || m < 0)
    throw ShapeError("ndflow: eye: negative dimension (n=" + std::to_string(n) +
                     ", m=" + std::to_string(m) + ")");
  Array out = detail::new_array(Shape{n, m}, dtype, device);
  const std::int64_t total = n * m;
  if (total == 0) return out;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::launch_parallel("eye", detail::VarsOf{}, detail::VarsOf{&out}, device, total,
                            [out, m, k](std::int64_t b, std::int64_t e) {
                              T* p = reinterpret_cast<T*>(out.impl()->data());
                              std::int64_t r = b / m, c = b % m;
                              for (std::int64_t i = b; i < e; ++i) {
                                p[i] = static_cast<T>(c - r == k ? 1 : 0);
                                if (++c == m) {
                                  c = 0;
                                  ++r;
                                }
                              }
                            });
  });
  return out;
}

}  // namespace ndflow
