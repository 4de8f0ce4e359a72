// Casts and copies: astype, copy, copy_to. Each allocates a fresh contiguous result and
// pushes one strided copy kernel (split across workers for large arrays).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "array/array_impl.h"
#include "backends/cpu/strided_loop.h"
#include "ops/cuda_launch.h"
#include "ops/gpu_op.h"
#include "ops/launch.h"

namespace ndflow {
namespace detail {
namespace {

// One element converted from S to D with NumPy's (x86) semantics and no undefined
// behaviour: floats to integers truncate toward zero; NaN and out-of-range values give
// the smallest value of a signed type (what x86's cvtt* instructions give NumPy), and
// wrap modulo 256 through int64 for uint8; anything to bool is "nonzero" (NaN is true).
template <class D, class S>
inline D convert(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S{0};
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    if constexpr (std::is_same_v<D, std::uint8_t>) {
      return static_cast<D>(static_cast<std::uint64_t>(convert<std::int64_t>(v)));
    } else {
      // Both bounds are exact powers of two in double: [-2^(b-1), 2^(b-1)).
      constexpr double lo = static_cast<double>(std::numeric_limits<D>::min());
      constexpr double hi = -lo;
      const double x = static_cast<double>(v);
      if (!(x > lo - 1.0 && x < hi)) return std::numeric_limits<D>::min();
      return static_cast<D>(x);
    }
  } else {
    return static_cast<D>(v);  // integer narrowing wraps (C++20); float narrowing rounds
  }
}

// Pushes a kernel writing `src` converted to out's dtype into the contiguous `out`: split
// across the compute lane's workers, or as one op on the CPU copy lane (copy_to: a copy
// between devices is communication, which the chapters overlap with computation).
void push_convert(const char* name, const Array& src, const Array& out, bool on_copy_lane = false) {
  const ArrayImpl& s = *src.impl();
  const ArrayImpl& o = *out.impl();
  const std::int64_t n = o.shape.numel();
  if (n == 0) return;
  visit_dtype(o.dtype, [&](auto dtag) {
    using D = decltype(dtag);
    visit_dtype(s.dtype, [&](auto stag) {
      using S = decltype(stag);
      const Shape out_strides = contiguous_strides(s.shape);
      const StridedPlan<2> plan(s.shape, {&out_strides, &s.strides}, {sizeof(D), sizeof(S)});
      auto kernel = [src, out, plan](std::int64_t b, std::int64_t e) {
        char* dst = out.impl()->data();
        char* from = src.impl()->data();
        plan.for_each_run(
            {dst, from}, b, e,
            [](std::array<char*, 2> p, std::array<std::int64_t, 2> step, std::int64_t count) {
              if constexpr (std::is_same_v<D, S>) {
                if (step[1] == static_cast<std::int64_t>(sizeof(S))) {
                  std::memcpy(p[0], p[1], static_cast<std::size_t>(count) * sizeof(S));
                  return;
                }
              }
              D* d = reinterpret_cast<D*>(p[0]);
              const char* q = p[1];
              const std::int64_t st = step[1];
              for (std::int64_t i = 0; i < count; ++i)
                d[i] = convert<D>(*reinterpret_cast<const S*>(q + i * st));
            });
      };
      if (on_copy_lane) {
        const VarsOf writes{&out};
        array_engine().push([kernel, n] { kernel(0, n); }, VarsOf{&src}.list(), writes.list(),
                            Lane::cpu_copy(), 0, name, writes.output_hints());
        return;
      }
      CudaLaunch cuda;
      // Computed in the source's dtype: loading is exact, and store_as converts to the
      // target as the CPU does (float to integer included, which a load in the target's
      // dtype would do with the GPU's saturating conversion).
      if (runs_cuda_kernels(o.device())) cuda = cuda_unary(cuda::UnaryOp::kIdentity, o, s, s.dtype);
      launch_parallel(name, VarsOf{&src}, VarsOf{&out}, o.device(), n, kernel, kParallelGrain,
                      std::move(cuda));
    });
  });
}

}  // namespace
}  // namespace detail

Array Array::astype(DType dtype) const {
  const detail::ArrayImpl& a = detail::impl_of(*this, "astype");
  Array out = detail::new_array(a.shape, dtype, a.device());
  detail::push_convert("astype", *this, out);
  return out;
}

Array Array::copy() const {
  const detail::ArrayImpl& a = detail::impl_of(*this, "copy");
  Array out = detail::new_array(a.shape, a.dtype, a.device());
  detail::push_convert("copy", *this, out);
  return out;
}

Array Array::copy_to(Device device, HostMemory host_memory) const {
  const detail::ArrayImpl& a = detail::impl_of(*this, "copy_to");
  // new_array throws DeviceError for a device this process cannot use.
  const bool out_of_gpu = !a.device().is_cpu() && device.is_cpu();
  Array out =
      detail::new_array(a.shape, a.dtype, device, out_of_gpu ? host_memory : HostMemory::kPageable);
  if (device.is_cpu() && a.device().is_cpu()) {
    detail::push_convert("copy_to", *this, out, /*on_copy_lane=*/true);
    return out;
  }
  // To or from a GPU: one contiguous block moves (a view is made contiguous first, on its
  // own device), on the copy lanes of the GPU side.
  if (a.shape.numel() == 0) return out;
  const Array src = a.is_contiguous() ? *this : copy();
  detail::push_gpu_copy(src, out);
  return out;
}

}  // namespace ndflow
