// Reductions: sum, mean, max, min, argmax, argmin over any set of axes of any view.
//
// The input is viewed as (kept dims) x (reduced dims). Output element o owns the reduced
// sub-block at the offset of its kept coordinates, walked in row-major order with a
// StridedPlan. That walk is cut into fixed blocks of kBlock elements: each block gives a
// partial and the partials combine in block order. The block size does not depend on the
// engine, so a float sum rounds the same way whether it runs as one op, split across
// outputs, or split across blocks (the two-phase path for few outputs over many elements).
// Where the innermost kept axis is contiguous (a sum over axis 0 of a matrix), neighbouring
// outputs are walked together, a tile of them per reduced row (Tiling); each output still
// folds its elements in the same order, so its result is the same bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "array/array_impl.h"
#include "backends/cpu/extreme_scan.h"
#include "backends/cpu/strided_loop.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {
namespace detail {
namespace {

constexpr std::int64_t kBlock = std::int64_t{1} << 15;
// Outputs walked together where the innermost kept axis is contiguous: a 64-byte line of
// float32 per reduced row.
constexpr int kTile = 16;

using cpu::beats;
using cpu::is_nan;
using cpu::takes;

// --- The plan: which input elements feed which output element -----------------------------

struct ReducePlan {
  Shape out_shape;  // with keepdims applied
  std::int64_t outer = 1, inner = 1;
  int nkeep = 0;
  std::int64_t keep_shape[Shape::kMaxDims] = {};
  std::int64_t keep_strides[Shape::kMaxDims] = {};  // in elements of the input
  Shape red_shape, red_strides;
  bool zero_size_reduced_axis = false;

  // Input element offset (in elements, from the view's first element) of output o's block.
  std::int64_t base_of(std::int64_t o) const noexcept {
    std::int64_t off = 0;
    for (int d = nkeep - 1; d >= 0; --d) {
      off += (o % keep_shape[d]) * keep_strides[d];
      o /= keep_shape[d];
    }
    return off;
  }
};

std::string axes_string(const std::vector<int>& axes) {
  std::string s = "(";
  for (std::size_t i = 0; i < axes.size(); ++i) s += (i ? ", " : "") + std::to_string(axes[i]);
  return s + ")";
}

// Checks the axes (out of range or repeated: AxisError) and builds the plan. An empty list
// means every axis.
ReducePlan make_plan(const ArrayImpl& a, const std::vector<int>& axes, bool keepdims,
                     const char* op) {
  const int ndim = a.shape.ndim();
  bool reduced[Shape::kMaxDims] = {};
  if (axes.empty()) {
    for (int d = 0; d < ndim; ++d) reduced[d] = true;
  } else {
    for (int axis : axes) {
      if (ndim == 0)  // NumPy: a 0-d array has no axis at all, not even 0 or -1
        throw AxisError(std::string("ndflow: ") + op + ": axis " + std::to_string(axis) +
                        " is out of bounds for an array of dimension 0");
      const int d = normalize_axis(axis, ndim, op);
      if (reduced[d])
        throw AxisError(std::string("ndflow: ") + op + ": axis " + std::to_string(axis) +
                        " is repeated in axes " + axes_string(axes) + " (array of dimension " +
                        std::to_string(ndim) + ")");
      reduced[d] = true;
    }
  }
  ReducePlan p;
  for (int d = 0; d < ndim; ++d) {
    if (reduced[d]) {
      p.red_shape.push_back(a.shape[d]);
      p.red_strides.push_back(a.strides[d]);
      p.inner *= a.shape[d];
      if (a.shape[d] == 0) p.zero_size_reduced_axis = true;
      if (keepdims) p.out_shape.push_back(1);
    } else {
      p.keep_shape[p.nkeep] = a.shape[d];
      p.keep_strides[p.nkeep] = a.strides[d];
      ++p.nkeep;
      p.outer *= a.shape[d];
      p.out_shape.push_back(a.shape[d]);
    }
  }
  return p;
}

// --- Reducers -------------------------------------------------------------------------------
// A reducer R over input type T has: type Acc; Acc init(); void run(Acc&, const char* p,
// std::int64_t step_bytes, std::int64_t count, std::int64_t first_index); Acc combine(Acc
// earlier, Acc later); and store(void* out_element, const Acc&, std::int64_t inner).
// run_columns(Acc* acc, int width, p, step_bytes, count, first_index) folds `width` runs
// side by side, run w starting at p + w * sizeof(T), into acc[w] exactly as run(acc[w], ...)
// would (step_bytes is never sizeof(T) there: those runs are the columns of rows).

// Sums in double for floats (and for means), in wrapping uint64 for integers.
template <class T, class AccType, class Out, bool kMean>
struct SumReducer {
  using Acc = AccType;
  static Acc init() { return Acc{0}; }
  static void run(Acc& acc, const char* p, std::int64_t step, std::int64_t count, std::int64_t) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (step == static_cast<std::int64_t>(sizeof(T))) {
        // Four interleaved accumulators: deterministic for a given shape, and faster.
        const T* q = reinterpret_cast<const T*>(p);
        Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        std::int64_t i = 0;
        for (; i + 4 <= count; i += 4) {
          s0 += static_cast<Acc>(q[i]);
          s1 += static_cast<Acc>(q[i + 1]);
          s2 += static_cast<Acc>(q[i + 2]);
          s3 += static_cast<Acc>(q[i + 3]);
        }
        for (; i < count; ++i) s0 += static_cast<Acc>(q[i]);
        acc += (s0 + s1) + (s2 + s3);
        return;
      }
    }
    Acc s = 0;
    for (std::int64_t i = 0; i < count; ++i)
      s += static_cast<Acc>(*reinterpret_cast<const T*>(p + i * step));
    acc += s;
  }
  static void run_columns(Acc* acc, int width, const char* p, std::int64_t step, std::int64_t count,
                          std::int64_t) {
    Acc s[kTile] = {};
    for (std::int64_t i = 0; i < count; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * step);
      for (int w = 0; w < width; ++w) s[w] += static_cast<Acc>(row[w]);
    }
    for (int w = 0; w < width; ++w) acc[w] += s[w];
  }
  static Acc combine(Acc a, Acc b) { return a + b; }
  static void store(void* out, const Acc& acc, std::int64_t inner) {
    if constexpr (kMean) {
      const double m = inner == 0 ? std::numeric_limits<double>::quiet_NaN()
                                  : static_cast<double>(acc) / static_cast<double>(inner);
      *static_cast<Out*>(out) = static_cast<Out>(m);
    } else {
      *static_cast<Out*>(out) = static_cast<Out>(acc);
    }
  }
};

// max (kMax) or min, NaN-propagating; the reduced range is never empty (checked at the call).
template <class T, bool kMax>
struct ExtremeReducer {
  struct AccT {
    T v;
    bool any;
  };
  using Acc = AccT;
  static Acc init() { return {T{}, false}; }
  static void run(Acc& acc, const char* p, std::int64_t step, std::int64_t count, std::int64_t) {
    std::int64_t i = 0;
    if (!acc.any && count > 0) {
      acc = {*reinterpret_cast<const T*>(p), true};
      i = 1;
    }
    T best = acc.v;
    if (is_nan(best)) return;
    if (step == static_cast<std::int64_t>(sizeof(T))) {  // vectorised, same answer
      const T* q = reinterpret_cast<const T*>(p);
      const std::int64_t k = cpu::scan_extreme<T, kMax>(q + i, count - i, best);
      if (k >= 0) acc.v = q[i + k];
      return;
    }
    for (; i < count; ++i) {
      const T x = *reinterpret_cast<const T*>(p + i * step);
      if (is_nan(x)) {
        best = x;
        break;
      }
      if (beats<T, kMax>(x, best)) best = x;
    }
    acc.v = best;
  }
  // The columns share their history, so either all of acc has seen an element or none has.
  // A column's best stays put once it is NaN; the selects (no branches) let the compiler
  // vectorise the loop over the columns.
  static void run_columns(Acc* acc, int width, const char* p, std::int64_t step, std::int64_t count,
                          std::int64_t) {
    if (count == 0) return;
    std::int64_t i = 0;
    if (!acc[0].any) {
      const T* row = reinterpret_cast<const T*>(p);
      for (int w = 0; w < width; ++w) acc[w] = {row[w], true};
      i = 1;
    }
    T best[kTile];
    for (int w = 0; w < width; ++w) best[w] = acc[w].v;
    for (; i < count; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * step);
      for (int w = 0; w < width; ++w) {
        const T x = row[w], b = best[w];
        best[w] = takes<T, kMax>(x, b) ? x : b;
      }
    }
    for (int w = 0; w < width; ++w) acc[w].v = best[w];
  }
  static Acc combine(Acc a, Acc b) {
    if (!a.any) return b;
    if (!b.any) return a;
    return takes<T, kMax>(b.v, a.v) ? b : a;
  }
  static void store(void* out, const Acc& acc, std::int64_t) { *static_cast<T*>(out) = acc.v; }
};

// argmax (kMax) or argmin: the first extreme, or the first NaN.
template <class T, bool kMax>
struct ArgReducer {
  struct AccT {
    T v;
    std::int64_t index;  // -1: nothing seen yet
  };
  using Acc = AccT;
  static Acc init() { return {T{}, -1}; }
  static void run(Acc& acc, const char* p, std::int64_t step, std::int64_t count,
                  std::int64_t first) {
    std::int64_t i = 0;
    if (acc.index < 0 && count > 0) {
      acc = {*reinterpret_cast<const T*>(p), first};
      i = 1;
    }
    if (is_nan(acc.v)) return;
    if (step == static_cast<std::int64_t>(sizeof(T))) {  // vectorised, same answer
      const T* q = reinterpret_cast<const T*>(p);
      const std::int64_t k = cpu::scan_extreme<T, kMax>(q + i, count - i, acc.v);
      if (k >= 0) acc = {q[i + k], first + i + k};
      return;
    }
    T best = acc.v;
    std::int64_t at = acc.index;
    for (; i < count; ++i) {
      const T x = *reinterpret_cast<const T*>(p + i * step);
      if (is_nan(x)) {
        best = x;
        at = first + i;
        break;
      }
      if (beats<T, kMax>(x, best)) {
        best = x;
        at = first + i;
      }
    }
    acc = {best, at};
  }
  // As ExtremeReducer's: all of acc or none has seen an element; selects, no branches.
  static void run_columns(Acc* acc, int width, const char* p, std::int64_t step, std::int64_t count,
                          std::int64_t first) {
    if (count == 0) return;
    std::int64_t i = 0;
    if (acc[0].index < 0) {
      const T* row = reinterpret_cast<const T*>(p);
      for (int w = 0; w < width; ++w) acc[w] = {row[w], first};
      i = 1;
    }
    T best[kTile];
    std::int64_t at[kTile];
    for (int w = 0; w < width; ++w) {
      best[w] = acc[w].v;
      at[w] = acc[w].index;
    }
    for (; i < count; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * step);
      for (int w = 0; w < width; ++w) {
        const T x = row[w], b = best[w];
        const bool take = takes<T, kMax>(x, b);
        best[w] = take ? x : b;
        at[w] = take ? first + i : at[w];
      }
    }
    for (int w = 0; w < width; ++w) acc[w] = {best[w], at[w]};
  }
  static Acc combine(Acc a, Acc b) {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    return takes<T, kMax>(b.v, a.v) ? b : a;
  }
  static void store(void* out, const Acc& acc, std::int64_t) {
    *static_cast<std::int64_t*>(out) = acc.index;
  }
};

// --- Kernels ----------------------------------------------------------------------------------

// Outputs in tiles. Where the innermost kept axis is contiguous in the input and no reduced
// axis is (a sum over axis 0 of a matrix), a tile is up to kTile neighbouring outputs along
// that axis, whose elements lie side by side in each reduced row: walking the rows once for
// the whole tile reads along them, where one output at a time would read one element per
// cache line (and, for long rows, per page). Elsewhere a tile is one output.
struct Tiling {
  std::int64_t width = 1;    // outputs per tile (the last of a row may have fewer)
  std::int64_t row = 1;      // the innermost kept axis's size (1 for tiles of one output)
  std::int64_t per_row = 1;  // tiles per row
  std::int64_t tiles = 0;

  std::int64_t first_output(std::int64_t t) const {
    return (t / per_row) * row + (t % per_row) * width;
  }
  std::int64_t outputs(std::int64_t t) const {
    return std::min(width, row - (t % per_row) * width);
  }
};

Tiling tiling_for(const ReducePlan& p) {
  Tiling tiling;
  tiling.tiles = p.outer;
  if (p.nkeep == 0 || p.keep_strides[p.nkeep - 1] != 1 || p.keep_shape[p.nkeep - 1] < 2 ||
      p.inner < 2)
    return tiling;
  // A reduced axis of stride 1 (overlapping views) would make its runs contiguous, which
  // run() sums with four accumulators and run_columns does not.
  for (int d = 0; d < p.red_shape.ndim(); ++d)
    if (p.red_shape[d] > 1 && p.red_strides[d] == 1) return tiling;
  tiling.width = kTile;
  tiling.row = p.keep_shape[p.nkeep - 1];
  tiling.per_row = (tiling.row + kTile - 1) / kTile;
  tiling.tiles = p.outer / tiling.row * tiling.per_row;
  return tiling;
}

// The partials of outputs o, o + 1, ..., o + n - 1 (one output, or a tile) over block k of
// their reduced ranges, into part[0..n).
template <class R>
void block_partials(const ReducePlan& p, const StridedPlan<1>& red, const char* in,
                    std::int64_t itemsize, std::int64_t o, std::int64_t n, std::int64_t k,
                    typename R::Acc* part) {
  for (std::int64_t w = 0; w < n; ++w) part[w] = R::init();
  const std::int64_t begin = k * kBlock, end = std::min(p.inner, begin + kBlock);
  char* base = const_cast<char*>(in) + p.base_of(o) * itemsize;
  std::int64_t index = begin;
  red.for_each_run(
      {base}, begin, end,
      [&](std::array<char*, 1> ptr, std::array<std::int64_t, 1> step, std::int64_t count) {
        if (n == 1)
          R::run(part[0], ptr[0], step[0], count, index);
        else
          R::run_columns(part, static_cast<int>(n), ptr[0], step[0], count, index);
        index += count;
      });
}

// Calls f(unit) for the units whose first element (unit * weight) is in [b, e): a way to
// split `units` pieces of `weight` elements each across launch_parallel's element range.
template <class F>
void for_units(std::int64_t b, std::int64_t e, std::int64_t weight, F&& f) {
  const std::int64_t first = (b + weight - 1) / weight, last = (e + weight - 1) / weight;
  for (std::int64_t u = first; u < last; ++u) f(u);
}

// Pushes the reduction of `in` into the contiguous `out` (out_shape == plan.out_shape).
template <class R, class T>
void push_reduce(const char* name, const Array& in, const Array& out, const ReducePlan& plan) {
  using Acc = typename R::Acc;
  const std::int64_t outer = plan.outer, inner = plan.inner;
  if (outer == 0) return;
  const std::int64_t nblocks = inner == 0 ? 0 : (inner + kBlock - 1) / kBlock;
  const Device device = out.impl()->device();
  const std::int64_t itemsize = sizeof(T);
  const Tiling tiling = tiling_for(plan);
  auto shared = std::make_shared<const ReducePlan>(plan);
  auto red = std::make_shared<const StridedPlan<1>>(plan.red_shape,
                                                    std::array<const Shape*, 1>{&plan.red_strides},
                                                    std::array<std::int64_t, 1>{itemsize});
  const std::int64_t out_itemsize = static_cast<std::int64_t>(dtype_size(out.impl()->dtype));

  // A tile's outputs directly, each from its blocks in order (weight: the elements a tile
  // reads).
  auto direct = [in, out, shared, red, tiling, nblocks, inner, itemsize,
                 out_itemsize](std::int64_t t) {
    const char* src = in.impl()->data();
    const std::int64_t o = tiling.first_output(t), n = tiling.outputs(t);
    Acc acc[kTile], part[kTile];
    for (std::int64_t w = 0; w < n; ++w) acc[w] = R::init();
    for (std::int64_t k = 0; k < nblocks; ++k) {
      block_partials<R>(*shared, *red, src, itemsize, o, n, k, part);
      for (std::int64_t w = 0; w < n; ++w) acc[w] = k == 0 ? part[w] : R::combine(acc[w], part[w]);
    }
    for (std::int64_t w = 0; w < n; ++w)
      R::store(out.impl()->data() + (o + w) * out_itemsize, acc[w], inner);
  };

  if (nblocks <= 1 || outer >= 64) {
    const std::int64_t weight = std::max<std::int64_t>(inner, 1) * tiling.width;
    launch_parallel(
        name, VarsOf{&in}, VarsOf{&out}, device, tiling.tiles * weight,
        [direct, weight](std::int64_t b, std::int64_t e) { for_units(b, e, weight, direct); });
    return;
  }

  // Few outputs over many elements: the blocks' partials in parallel into a scratch array
  // (output o's block k at o * nblocks + k), then one op combines them in block order (the
  // same order as `direct`).
  const std::int64_t units = tiling.tiles * nblocks, weight = kBlock * tiling.width;
  Array scratch =
      new_array(Shape{outer * nblocks * static_cast<std::int64_t>(sizeof(Acc))}, kUInt8, device);
  launch_parallel(name, VarsOf{&in}, VarsOf{&scratch}, device, units * weight,
                  [in, scratch, shared, red, tiling, nblocks, itemsize, weight](std::int64_t b,
                                                                                std::int64_t e) {
                    const char* src = in.impl()->data();
                    Acc* parts = reinterpret_cast<Acc*>(scratch.impl()->data());
                    for_units(b, e, weight, [&](std::int64_t u) {
                      const std::int64_t t = u / nblocks, k = u % nblocks;
                      const std::int64_t o = tiling.first_output(t), n = tiling.outputs(t);
                      Acc part[kTile];
                      block_partials<R>(*shared, *red, src, itemsize, o, n, k, part);
                      for (std::int64_t w = 0; w < n; ++w) parts[(o + w) * nblocks + k] = part[w];
                    });
                  });
  launch(name, VarsOf{&scratch}, VarsOf{&out}, device,
         [scratch, out, outer, nblocks, inner, out_itemsize] {
           const Acc* parts = reinterpret_cast<const Acc*>(scratch.impl()->data());
           for (std::int64_t o = 0; o < outer; ++o) {
             Acc acc = parts[o * nblocks];
             for (std::int64_t k = 1; k < nblocks; ++k)
               acc = R::combine(acc, parts[o * nblocks + k]);
             R::store(out.impl()->data() + o * out_itemsize, acc, inner);
           }
         });
}

// --- CUDA GPUs ------------------------------------------------------------------------------

// The reduced axes as a bit mask (empty `axes`: all of them), already validated by make_plan.
std::uint32_t axes_mask(const std::vector<int>& axes, int ndim, const char* op) {
  if (axes.empty()) return ndim == 0 ? 0u : (std::uint32_t{1} << ndim) - 1;
  std::uint32_t mask = 0;
  for (int ax : axes) mask |= std::uint32_t{1} << normalize_axis(ax, ndim, op);
  return mask;
}

// One CUDA reduce op over `a` made contiguous, into `out` (the plan's shape). A long
// reduction's scratch is an array on the GPU, so it comes from the GPU's cache and counts
// against NDFLOW_GPU_MEMORY_LIMIT; the op writes it, so it lives until the op has run.
void push_cuda_reduce(const char* op, cuda::ReduceOp kind, const Array& a, const Array& out,
                      DType compute, std::uint32_t mask) {
  const Array src = a.is_contiguous() ? a : a.copy();
  const std::size_t bytes = cuda_reduce_scratch_bytes(*src.impl(), compute, mask);
  Array scratch;
  if (bytes > 0) scratch = new_array(Shape{static_cast<std::int64_t>(bytes)}, kUInt8, out.device());
  launch(
      op, VarsOf{&src}, bytes > 0 ? VarsOf{&out, &scratch} : VarsOf{&out}, out.device(), [] {},
      cuda_reduce(kind, *out.impl(), *src.impl(), compute, mask, scratch.impl().get()));
}

DType sum_dtype(DType t) { return is_floating(t) ? t : kInt64; }
DType mean_dtype(DType t) { return is_floating(t) ? t : kFloat64; }

Array sum_or_mean(const Array& a, const std::vector<int>& axes, bool keepdims, bool mean) {
  const char* op = mean ? "mean" : "sum";
  const ArrayImpl& ai = impl_of(a, op);
  const ReducePlan plan = make_plan(ai, axes, keepdims, op);
  const DType out_dtype = mean ? mean_dtype(ai.dtype) : sum_dtype(ai.dtype);
  Array out = new_array(plan.out_shape, out_dtype, ai.device());
  if (runs_cuda_kernels(ai.device())) {
    const DType acc = is_floating(ai.dtype) || mean ? kFloat64 : kInt64;
    push_cuda_reduce(op, mean ? cuda::ReduceOp::kMean : cuda::ReduceOp::kSum, a, out, acc,
                     axes_mask(axes, ai.shape.ndim(), op));
    return out;
  }
  visit_dtype(ai.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (mean) {
      if constexpr (std::is_same_v<T, float>)
        push_reduce<SumReducer<T, double, float, true>, T>(op, a, out, plan);
      else
        push_reduce<SumReducer<T, double, double, true>, T>(op, a, out, plan);
    } else {
      if constexpr (std::is_floating_point_v<T>)
        push_reduce<SumReducer<T, double, T, false>, T>(op, a, out, plan);
      else
        push_reduce<SumReducer<T, std::uint64_t, std::int64_t, false>, T>(op, a, out, plan);
    }
  });
  return out;
}

template <bool kMax>
Array extreme(const Array& a, const std::vector<int>& axes, bool keepdims) {
  const char* op = kMax ? "max" : "min";
  const ArrayImpl& ai = impl_of(a, op);
  const ReducePlan plan = make_plan(ai, axes, keepdims, op);
  if (plan.zero_size_reduced_axis)
    throw ShapeError(std::string("ndflow: ") + op + ": zero-size array to reduction operation " +
                     op + " which has no identity (shape " + ai.shape.to_string() + ")");
  Array out = new_array(plan.out_shape, ai.dtype, ai.device());
  if (runs_cuda_kernels(ai.device())) {
    push_cuda_reduce(op, kMax ? cuda::ReduceOp::kMax : cuda::ReduceOp::kMin, a, out, ai.dtype,
                     axes_mask(axes, ai.shape.ndim(), op));
    return out;
  }
  visit_dtype(ai.dtype, [&](auto tag) {
    using T = decltype(tag);
    push_reduce<ExtremeReducer<T, kMax>, T>(op, a, out, plan);
  });
  return out;
}

template <bool kMax>
Array arg_extreme(const Array& a, std::optional<int> axis, bool keepdims) {
  const char* op = kMax ? "argmax" : "argmin";
  const ArrayImpl& ai = impl_of(a, op);
  ReducePlan plan;
  if (axis) {
    plan = make_plan(ai, {*axis}, keepdims, op);
  } else {
    // The flattened array: every axis, in row-major order (so the index is the flat one).
    plan = make_plan(ai, {}, keepdims, op);
  }
  if (plan.zero_size_reduced_axis)
    throw ShapeError(std::string("ndflow: ") + op + ": attempt to get " + op +
                     " of an empty sequence (shape " + ai.shape.to_string() + ")");
  Array out = new_array(plan.out_shape, kInt64, ai.device());
  if (runs_cuda_kernels(ai.device())) {
    const std::vector<int> axes = axis ? std::vector<int>{*axis} : std::vector<int>{};
    push_cuda_reduce(op, kMax ? cuda::ReduceOp::kArgMax : cuda::ReduceOp::kArgMin, a, out, ai.dtype,
                     axes_mask(axes, ai.shape.ndim(), op));
    return out;
  }
  visit_dtype(ai.dtype, [&](auto tag) {
    using T = decltype(tag);
    push_reduce<ArgReducer<T, kMax>, T>(op, a, out, plan);
  });
  return out;
}

}  // namespace
}  // namespace detail

Array sum(const Array& a, const std::vector<int>& axes, bool keepdims) {
  return detail::sum_or_mean(a, axes, keepdims, /*mean=*/false);
}
Array mean(const Array& a, const std::vector<int>& axes, bool keepdims) {
  return detail::sum_or_mean(a, axes, keepdims, /*mean=*/true);
}
Array max(const Array& a, const std::vector<int>& axes, bool keepdims) {
  return detail::extreme<true>(a, axes, keepdims);
}
Array min(const Array& a, const std::vector<int>& axes, bool keepdims) {
  return detail::extreme<false>(a, axes, keepdims);
}
Array argmax(const Array& a, std::optional<int> axis, bool keepdims) {
  return detail::arg_extreme<true>(a, axis, keepdims);
}
Array argmin(const Array& a, std::optional<int> axis, bool keepdims) {
  return detail::arg_extreme<false>(a, axis, keepdims);
}

}  // namespace ndflow
