// CPU kernels of the element-wise ops: the functors (one per op), the NumPy dtype rules as
// compile-time functions, and the run loops that StridedPlan drives.
//
// A run function handles one innermost run of the plan: count elements at p[k] with byte
// steps s[k]. It has a fast path for the contiguous case (every step equals the element
// size, a plain indexed loop that vectorises), fast paths for one broadcast scalar operand
// (step 0), and a strided fallback. Each input element is converted to the computation type
// C, the functor applies in C, and the result is converted to the output type O.
//
// The kernels are templates on (input types, output type, functor); the op front-ends
// (src/ops/elementwise.cc) build tables of them indexed by the operands' dtypes.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "array/array_impl.h"
#include "backends/cpu/strided_loop.h"
#include "ndflow/dtype.h"

namespace ndflow::detail::cpu {

// --- dtype rules at compile time ----------------------------------------------------------

// promote_types (src/array/dtype.cc) as a constexpr function, so kernels can be chosen at
// compile time; the tests check the two agree on every pair.
constexpr DType promote_dtype(DType a, DType b) noexcept {
  if (a == b) return a;
  if (a == kBool) return b;
  if (b == kBool) return a;
  const bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) return kFloat64;
  if (fa || fb) {
    const DType f = fa ? a : b, i = fa ? b : a;
    return (f == kFloat32 && i == kUInt8) ? kFloat32 : kFloat64;
  }
  return (a == kInt64 || b == kInt64) ? kInt64 : kInt32;
}

// NumPy's can_cast(from, to, casting="same_kind"): a cast within one kind or to a higher
// kind (bool < unsigned integer < signed integer < float). int64 -> int32, uint8 -> int32,
// int64 -> float32 and float64 -> float32 are allowed; int32 -> uint8, float -> integer
// and integer -> bool are not.
constexpr int dtype_kind(DType t) noexcept {
  return t == kBool ? 0 : t == kUInt8 ? 1 : is_integral(t) ? 2 : 3;
}
constexpr bool can_cast_same_kind(DType from, DType to) noexcept {
  return dtype_kind(from) <= dtype_kind(to);
}

template <DType D>
struct TypeOf;
template <>
struct TypeOf<kBool> {
  using type = bool;
};
template <>
struct TypeOf<kUInt8> {
  using type = std::uint8_t;
};
template <>
struct TypeOf<kInt32> {
  using type = std::int32_t;
};
template <>
struct TypeOf<kInt64> {
  using type = std::int64_t;
};
template <>
struct TypeOf<kFloat32> {
  using type = float;
};
template <>
struct TypeOf<kFloat64> {
  using type = double;
};
template <DType D>
using type_of_t = typename TypeOf<D>::type;

inline constexpr int kNumDTypes = 6;  // DType values are 0 .. kNumDTypes - 1

// The float type exp/log/sqrt/tanh/sigmoid compute in. NumPy gives float16 for bool, int8
// and uint8; ndflow has no float16, so bool and uint8 give float32. int32/int64 give
// float64, as in NumPy; float32 and float64 keep their type.
constexpr DType unary_float_dtype(DType t) noexcept {
  return t == kFloat64 || t == kInt32 || t == kInt64 ? kFloat64 : kFloat32;
}

// --- functors -----------------------------------------------------------------------------
// Integer arithmetic wraps modulo 2^bits as in NumPy (computed in the unsigned type, so
// there is no signed-overflow undefined behaviour).

template <class T, bool = std::is_integral_v<T> && !std::is_same_v<T, bool>>
struct Wrap {
  using type = T;
};
template <class T>
struct Wrap<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using wrap_t = typename Wrap<T>::type;

// How a binary op derives its computation and result dtypes from the promoted dtype.
enum class BinaryRule : std::uint8_t {
  kPromote,     // compute and return the promoted type
  kTrueDivide,  // compute and return the promoted float type (float64 for bool/integers)
  kCompare,     // compute in the promoted type, return bool
};

struct AddOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = true;  // logical or
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_same_v<C, bool>)
      return a || b;
    else
      return static_cast<C>(static_cast<wrap_t<C>>(a) + static_cast<wrap_t<C>>(b));
  }
};
struct SubtractOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = false;
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_same_v<C, bool>)
      return a != b;  // never called: rejected at the call
    else
      return static_cast<C>(static_cast<wrap_t<C>>(a) - static_cast<wrap_t<C>>(b));
  }
};
struct MultiplyOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = true;  // logical and
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_same_v<C, bool>)
      return a && b;
    else
      return static_cast<C>(static_cast<wrap_t<C>>(a) * static_cast<wrap_t<C>>(b));
  }
};
struct DivideOp {
  static constexpr BinaryRule kRule = BinaryRule::kTrueDivide;
  static constexpr bool kBoolOk = true;  // bool / bool is float64, like integers
  template <class C>
  static C apply(C a, C b) {
    return a / b;  // C is a float type: x/0 gives inf or nan, as IEEE says
  }
};

// Integer power by squaring, wrapping like NumPy. NumPy raises for a negative integer
// exponent; here the values are unknown at the call, so the kernel gives what the exact
// result truncates to: 1 for base 1, +-1 for base -1, and 0 otherwise (0 ** -n included).
template <class C>
C integer_power(C base, C exponent) {
  if constexpr (std::is_signed_v<C>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent & 1) ? C(-1) : C(1);
      return 0;
    }
  }
  using U = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, wrap_t<C>>;
  U result = 1, b = static_cast<U>(static_cast<wrap_t<C>>(base));
  auto e = static_cast<std::make_unsigned_t<C>>(exponent);
  while (e) {
    if (e & 1) result *= b;
    e >>= 1;
    if (e) b *= b;
  }
  return static_cast<C>(static_cast<wrap_t<C>>(result));
}
struct PowerOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = false;
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_floating_point_v<C>)
      return std::pow(a, b);
    else if constexpr (std::is_same_v<C, bool>)
      return a || !b;  // never called: rejected at the call
    else
      return integer_power(a, b);
  }
};
// maximum/minimum propagate NaN (either operand), like NumPy's.
struct MaximumOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = true;  // logical or
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_floating_point_v<C>)
      return (a >= b || a != a) ? a : b;
    else
      return a >= b ? a : b;
  }
};
struct MinimumOp {
  static constexpr BinaryRule kRule = BinaryRule::kPromote;
  static constexpr bool kBoolOk = true;  // logical and
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_floating_point_v<C>)
      return (a <= b || a != a) ? a : b;
    else
      return a <= b ? a : b;
  }
};
#define NDFLOW_COMPARISON_OP(Name, op)                        \
  struct Name {                                               \
    static constexpr BinaryRule kRule = BinaryRule::kCompare; \
    static constexpr bool kBoolOk = true;                     \
    template <class C>                                        \
    static bool apply(C a, C b) {                             \
      return a op b;                                          \
    }                                                         \
  };
NDFLOW_COMPARISON_OP(EqualOp, ==)
NDFLOW_COMPARISON_OP(NotEqualOp, !=)
NDFLOW_COMPARISON_OP(LessOp, <)
NDFLOW_COMPARISON_OP(LessEqualOp, <=)
NDFLOW_COMPARISON_OP(GreaterOp, >)
NDFLOW_COMPARISON_OP(GreaterEqualOp, >=)
#undef NDFLOW_COMPARISON_OP

// The computation and output dtypes of a binary op on dtypes a and b.
template <class F>
constexpr DType binary_compute_dtype(DType a, DType b) noexcept {
  const DType p = promote_dtype(a, b);
  return F::kRule == BinaryRule::kTrueDivide && !is_floating(p) ? kFloat64 : p;
}
template <class F>
constexpr DType binary_out_dtype(DType a, DType b) noexcept {
  return F::kRule == BinaryRule::kCompare ? kBool : binary_compute_dtype<F>(a, b);
}
template <class F>
constexpr bool binary_supported(DType a, DType b) noexcept {
  return F::kBoolOk || promote_dtype(a, b) != kBool;
}

// How a unary op derives its result dtype.
enum class UnaryRule : std::uint8_t {
  kSame,   // the input's dtype
  kFloat,  // unary_float_dtype
};

struct NegativeOp {
  static constexpr UnaryRule kRule = UnaryRule::kSame;
  static constexpr bool kBoolOk = false;
  template <class C>
  static C apply(C x) {
    if constexpr (std::is_floating_point_v<C>)
      return -x;
    else if constexpr (std::is_same_v<C, bool>)
      return x;  // never called: rejected at the call
    else
      return static_cast<C>(wrap_t<C>(0) - static_cast<wrap_t<C>>(x));  // wraps, like NumPy
  }
};
struct AbsOp {
  static constexpr UnaryRule kRule = UnaryRule::kSame;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    if constexpr (std::is_floating_point_v<C>)
      return std::fabs(x);
    else if constexpr (std::is_signed_v<C>)  // abs(INT_MIN) is INT_MIN, as in NumPy
      return x < 0 ? static_cast<C>(wrap_t<C>(0) - static_cast<wrap_t<C>>(x)) : x;
    else
      return x;
  }
};
// max(x, 0); NaN stays NaN.
struct ReluOp {
  static constexpr UnaryRule kRule = UnaryRule::kSame;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    if constexpr (std::is_same_v<C, bool> || std::is_unsigned_v<C>)
      return x;
    else
      return x < C(0) ? C(0) : x;
  }
};
struct ExpOp {
  static constexpr UnaryRule kRule = UnaryRule::kFloat;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return std::exp(x);
  }
};
struct LogOp {
  static constexpr UnaryRule kRule = UnaryRule::kFloat;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return std::log(x);
  }
};
struct SqrtOp {
  static constexpr UnaryRule kRule = UnaryRule::kFloat;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return std::sqrt(x);
  }
};
struct TanhOp {
  static constexpr UnaryRule kRule = UnaryRule::kFloat;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return std::tanh(x);
  }
};
struct SigmoidOp {
  static constexpr UnaryRule kRule = UnaryRule::kFloat;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return C(1) / (C(1) + std::exp(-x));
  }
};
// A plain conversion (used to bring where()'s operands to the result dtype).
struct IdentityOp {
  static constexpr UnaryRule kRule = UnaryRule::kSame;
  static constexpr bool kBoolOk = true;
  template <class C>
  static C apply(C x) {
    return x;
  }
};

template <class F>
constexpr DType unary_out_dtype(DType t) noexcept {
  return F::kRule == UnaryRule::kFloat ? unary_float_dtype(t) : t;
}

// --- run loops ------------------------------------------------------------------------------

template <int K>
using RunFn = void (*)(std::array<char*, K> p, std::array<std::int64_t, K> s, std::int64_t n);

// Reads an element as C. bool storage holds 0 or 1.
template <class C, class T>
inline C load(const char* p) {
  return static_cast<C>(*reinterpret_cast<const T*>(p));
}

// out[i] = O(F(C(a[i]), C(b[i]))). p/s: {out, a, b}.
template <class F, class A, class B, class C, class O>
void binary_run(std::array<char*, 3> p, std::array<std::int64_t, 3> s, std::int64_t n) {
  O* o = reinterpret_cast<O*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  const B* b = reinterpret_cast<const B*>(p[2]);
  if (s[0] == sizeof(O)) {
    if (s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (std::int64_t i = 0; i < n; ++i)
        o[i] = static_cast<O>(F::apply(static_cast<C>(a[i]), static_cast<C>(b[i])));
      return;
    }
    if (s[1] == sizeof(A) && s[2] == 0) {
      const C bv = static_cast<C>(*b);
      for (std::int64_t i = 0; i < n; ++i)
        o[i] = static_cast<O>(F::apply(static_cast<C>(a[i]), bv));
      return;
    }
    if (s[1] == 0 && s[2] == sizeof(B)) {
      const C av = static_cast<C>(*a);
      for (std::int64_t i = 0; i < n; ++i)
        o[i] = static_cast<O>(F::apply(av, static_cast<C>(b[i])));
      return;
    }
  }
  for (std::int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(p[0] + i * s[0]) =
        static_cast<O>(F::apply(load<C, A>(p[1] + i * s[1]), load<C, B>(p[2] + i * s[2])));
}

// out[i] = O(F(C(a[i]))) with C = O. p/s: {out, a}.
template <class F, class A, class O>
void unary_run(std::array<char*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
  O* o = reinterpret_cast<O*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  if (s[0] == sizeof(O) && s[1] == sizeof(A)) {
    for (std::int64_t i = 0; i < n; ++i) o[i] = F::apply(static_cast<O>(a[i]));
    return;
  }
  for (std::int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(p[0] + i * s[0]) = F::apply(load<O, A>(p[1] + i * s[1]));
}

// out[i] = cond[i] != 0 ? a[i] : b[i], a and b already of type T. p/s: {out, cond, a, b}.
template <class Cond, class T>
void where_run(std::array<char*, 4> p, std::array<std::int64_t, 4> s, std::int64_t n) {
  if (s[0] == sizeof(T) && s[1] == sizeof(Cond) && s[2] == sizeof(T) && s[3] == sizeof(T)) {
    T* o = reinterpret_cast<T*>(p[0]);
    const Cond* c = reinterpret_cast<const Cond*>(p[1]);
    const T* a = reinterpret_cast<const T*>(p[2]);
    const T* b = reinterpret_cast<const T*>(p[3]);
    for (std::int64_t i = 0; i < n; ++i) o[i] = c[i] != Cond(0) ? a[i] : b[i];
    return;
  }
  for (std::int64_t i = 0; i < n; ++i)
    *reinterpret_cast<T*>(p[0] + i * s[0]) =
        *reinterpret_cast<const Cond*>(p[1] + i * s[1]) != Cond(0)
            ? *reinterpret_cast<const T*>(p[2] + i * s[2])
            : *reinterpret_cast<const T*>(p[3] + i * s[3]);
}

// --- driving a run function over arrays -----------------------------------------------------

// The strides (in elements) of `in` broadcast to `out_shape`: 0 for new and size-1 dims.
inline Shape broadcast_strides(const ArrayImpl& in, const Shape& out_shape) {
  Shape s = out_shape;  // same ndim; every entry overwritten
  const int lead = out_shape.ndim() - in.shape.ndim();
  for (int d = 0; d < out_shape.ndim(); ++d) {
    const int id = d - lead;
    s[d] = id < 0 || in.shape[id] == 1 ? 0 : in.strides[id];
  }
  return s;
}

// Runs `run` over the elements [begin, end) (row-major in out's shape) of out and the
// inputs broadcast to it, walking a StridedPlan (which coalesces contiguous dims).
template <int K>
void run_elements(RunFn<K> run, const std::array<const ArrayImpl*, K>& ops, std::int64_t begin,
                  std::int64_t end) {
  if (begin >= end) return;
  const ArrayImpl& out = *ops[0];
  std::array<std::int64_t, K> size;
  std::array<char*, K> base;
  std::array<Shape, K> strides;
  std::array<const Shape*, K> stride_ptrs;
  for (int k = 0; k < K; ++k) {
    size[k] = static_cast<std::int64_t>(dtype_size(ops[k]->dtype));
    base[k] = ops[k]->data();
    strides[k] = k == 0 ? out.strides : broadcast_strides(*ops[k], out.shape);
    stride_ptrs[k] = &strides[k];
  }
  const StridedPlan<K> plan(out.shape, stride_ptrs, size);
  plan.for_each_run(base, begin, end, run);
}

}  // namespace ndflow::detail::cpu
