// fill, unary, binary, copy_into and where (kernels.h): one grid-stride kernel each over the
// output's linear index (for_each_element), whose body is a functor templated on the compute
// type; the op and the operands' dtypes are switches that every thread takes the same way. The
// semantics are the CPU functors' (backends/cpu/ elementwise_kernels.h), which follow NumPy.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "backends/cuda/kernels.h"
#include "backends/cuda/kernels/common.cuh"
#include "ndflow/error.h"

namespace ndflow::cuda {
namespace impl {
namespace {

// --- math in the compute type -----------------------------------------------------------------
// float calls the float functions and double the double ones; an integer or bool compute type
// (which the callers do not pass for these ops) goes through double.

template <class C>
__host__ __device__ __forceinline__ C dev_exp(C x) {
  if constexpr (std::is_same_v<C, float>)
    return expf(x);
  else if constexpr (std::is_same_v<C, double>)
    return exp(x);
  else
    return static_cast<C>(exp(static_cast<double>(x)));
}
template <class C>
__host__ __device__ __forceinline__ C dev_log(C x) {
  if constexpr (std::is_same_v<C, float>)
    return logf(x);
  else if constexpr (std::is_same_v<C, double>)
    return log(x);
  else
    return static_cast<C>(log(static_cast<double>(x)));
}
template <class C>
__host__ __device__ __forceinline__ C dev_sqrt(C x) {
  if constexpr (std::is_same_v<C, float>)
    return sqrtf(x);
  else if constexpr (std::is_same_v<C, double>)
    return sqrt(x);
  else
    return static_cast<C>(sqrt(static_cast<double>(x)));
}
template <class C>
__host__ __device__ __forceinline__ C dev_tanh(C x) {
  if constexpr (std::is_same_v<C, float>)
    return tanhf(x);
  else if constexpr (std::is_same_v<C, double>)
    return tanh(x);
  else
    return static_cast<C>(tanh(static_cast<double>(x)));
}
template <class C>
__host__ __device__ __forceinline__ C dev_sigmoid(C x) {
  if constexpr (is_float_v<C>)
    return C(1) / (C(1) + dev_exp(-x));
  else
    return static_cast<C>(1.0 / (1.0 + exp(-static_cast<double>(x))));
}

// Integer power by squaring, wrapping like NumPy; a negative exponent gives what the exact
// result truncates to (1 for base 1, +-1 for base -1, else 0), as on the CPU.
template <class C>
__host__ __device__ C integer_power(C base, C exponent) {
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

template <class C>
__host__ __device__ __forceinline__ C apply_binary(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::kAdd:
      return add(a, b);
    case BinaryOp::kSubtract:
      if constexpr (is_bool_v<C>)
        return a != b;  // rejected at the call, as on the CPU
      else
        return static_cast<C>(static_cast<wrap_t<C>>(a) - static_cast<wrap_t<C>>(b));
    case BinaryOp::kMultiply:
      if constexpr (is_bool_v<C>)
        return a && b;
      else
        return static_cast<C>(static_cast<wrap_t<C>>(a) * static_cast<wrap_t<C>>(b));
    case BinaryOp::kDivide:
      if constexpr (is_float_v<C>)
        return a / b;  // x/0 gives inf or nan, as IEEE says
      else  // the caller passes a floating compute type; never divide integers by zero here
        return static_cast<C>(static_cast<double>(a) / static_cast<double>(b));
    case BinaryOp::kPower:
      if constexpr (std::is_same_v<C, float>)
        return powf(a, b);
      else if constexpr (std::is_same_v<C, double>)
        return pow(a, b);
      else if constexpr (is_bool_v<C>)
        return a || !b;  // rejected at the call, as on the CPU
      else
        return integer_power(a, b);
    case BinaryOp::kMaximum:  // NaN from either side propagates
      if constexpr (is_float_v<C>)
        return (a >= b || a != a) ? a : b;
      else
        return a >= b ? a : b;
    case BinaryOp::kMinimum:
      if constexpr (is_float_v<C>)
        return (a <= b || a != a) ? a : b;
      else
        return a <= b ? a : b;
    // Comparisons give 0 or 1 in C; the caller stores bool.
    case BinaryOp::kEqual:
      return static_cast<C>(a == b);
    case BinaryOp::kNotEqual:
      return static_cast<C>(a != b);
    case BinaryOp::kLess:
      return static_cast<C>(a < b);
    case BinaryOp::kLessEqual:
      return static_cast<C>(a <= b);
    case BinaryOp::kGreater:
      return static_cast<C>(a > b);
    case BinaryOp::kGreaterEqual:
      break;
  }
  return static_cast<C>(a >= b);
}

template <class C>
__host__ __device__ __forceinline__ C apply_unary(UnaryOp op, C x) {
  switch (op) {
    case UnaryOp::kIdentity:
      return x;
    case UnaryOp::kNegative:
      if constexpr (is_float_v<C>)
        return -x;
      else if constexpr (is_bool_v<C>)
        return x;  // rejected at the call, as on the CPU
      else
        return static_cast<C>(wrap_t<C>(0) - static_cast<wrap_t<C>>(x));  // wraps
    case UnaryOp::kAbs:
      if constexpr (std::is_same_v<C, float>)
        return fabsf(x);
      else if constexpr (std::is_same_v<C, double>)
        return fabs(x);
      else if constexpr (std::is_signed_v<C>)  // abs(INT_MIN) is INT_MIN, as in NumPy
        return x < 0 ? static_cast<C>(wrap_t<C>(0) - static_cast<wrap_t<C>>(x)) : x;
      else
        return x;
    case UnaryOp::kExp:
      return dev_exp(x);
    case UnaryOp::kLog:
      return dev_log(x);
    case UnaryOp::kSqrt:
      return dev_sqrt(x);
    case UnaryOp::kTanh:
      return dev_tanh(x);
    case UnaryOp::kSigmoid:
      return dev_sigmoid(x);
    case UnaryOp::kRelu:
      break;
  }
  if constexpr (is_bool_v<C> || std::is_unsigned_v<C>)
    return x;
  else
    return x < C(0) ? C(0) : x;  // NaN stays NaN
}

// --- what one thread does for output element i -----------------------------------------------
// Functors for for_each_element (common.cuh): the kernel's body, on the GPU or the host.

// U: an unsigned type of the element's size; the value's bytes are copied as they are.
template <class U>
struct FillElement {
  U* out;
  U value;
  __host__ __device__ void operator()(std::int64_t i) const { out[i] = value; }
};

template <class C>
struct UnaryElement {
  UnaryOp op;
  void* out;
  DType out_dtype;
  Operands<1> in;
  __host__ __device__ void operator()(std::int64_t i) const {
    std::int64_t off[1];
    operand_offsets(in, i, off);
    store_as<C>(out, out_dtype, i, apply_unary<C>(op, load_as<C>(in.data[0], in.dtype[0], off[0])));
  }
};

template <class C>
struct BinaryElement {
  BinaryOp op;
  void* out;
  DType out_dtype;
  Operands<2> in;
  __host__ __device__ void operator()(std::int64_t i) const {
    std::int64_t off[2];
    operand_offsets(in, i, off);
    const C a = load_as<C>(in.data[0], in.dtype[0], off[0]);
    const C b = load_as<C>(in.data[1], in.dtype[1], off[1]);
    store_as<C>(out, out_dtype, i, apply_binary<C>(op, a, b));
  }
};

// s: the scalar converted to C (on the host, at the launch) as the array's elements are.
template <class C>
struct BinaryScalarElement {
  BinaryOp op;
  void* out;
  DType out_dtype;
  Operands<1> in;
  C s;
  bool scalar_first;
  __host__ __device__ void operator()(std::int64_t i) const {
    std::int64_t off[1];
    operand_offsets(in, i, off);
    const C x = load_as<C>(in.data[0], in.dtype[0], off[0]);
    store_as<C>(out, out_dtype, i,
                scalar_first ? apply_binary<C>(op, s, x) : apply_binary<C>(op, x, s));
  }
};

// Operands: {cond, a, b}. Only the chosen one of a and b is read.
template <class T>
struct WhereElement {
  void* out;
  DType t;
  Operands<3> in;
  __host__ __device__ void operator()(std::int64_t i) const {
    std::int64_t off[3];
    operand_offsets(in, i, off);
    const T v = load_as<bool>(in.data[0], in.dtype[0], off[0])
                    ? load_as<T>(in.data[1], in.dtype[1], off[1])
                    : load_as<T>(in.data[2], in.dtype[2], off[2]);
    store_as<T>(out, t, i, v);
  }
};

// Operands: {cond, a}; s stands for the other operand of where. Only the chosen one is read.
template <class T>
struct WhereScalarElement {
  void* out;
  DType t;
  Operands<2> in;
  T s;
  bool scalar_when_true;
  __host__ __device__ void operator()(std::int64_t i) const {
    std::int64_t off[2];
    operand_offsets(in, i, off);
    const bool c = load_as<bool>(in.data[0], in.dtype[0], off[0]);
    const T v = c == scalar_when_true ? s : load_as<T>(in.data[1], in.dtype[1], off[1]);
    store_as<T>(out, t, i, v);
  }
};

// Operands: {out, in}, in the input's type C.
template <class C>
struct CopyIntoElement {
  Operands<2> ops;
  __host__ __device__ void operator()(std::int64_t i) const {
    void* out = const_cast<void*>(ops.data[0]);  // the written operand (see copy_into)
    std::int64_t off[2];
    operand_offsets(ops, i, off);
    store_as<C>(out, ops.dtype[0], off[0], load_as<C>(ops.data[1], ops.dtype[1], off[1]));
  }
};

template <class U>
void launch_fill(void* stream, void* out, std::int64_t n, const void* value) {
  U bits;
  std::memcpy(&bits, value, sizeof(U));
  for_each_element(stream, n, FillElement<U>{static_cast<U*>(out), bits},
                   "launch of the fill kernel");
}

// What every element-wise launcher does around its kernel: nothing for an empty shape;
// otherwise launch(C{}, in, n), with `in` the operands laid out for `shape` (make_operands)
// and C the compute type of `compute`.
template <int K, class Launch>
void over_elements(const OutShape& shape, const Operand* const (&ops)[K], DType compute,
                   Launch&& launch) {
  const std::int64_t n = shape.numel();
  if (n <= 0) return;
  const Operands<K> in = make_operands(shape, ops);
  visit_dtype(compute, [&](auto tag) { launch(tag, in, n); });
}

}  // namespace
}  // namespace impl

void fill(void* stream, void* out, DType t, std::int64_t n, const void* value) {
  switch (dtype_size(t)) {
    case 1:
      impl::launch_fill<std::uint8_t>(stream, out, n, value);
      return;
    case 4:
      impl::launch_fill<std::uint32_t>(stream, out, n, value);
      return;
    case 8:
      impl::launch_fill<std::uint64_t>(stream, out, n, value);
      return;
    default:
      throw DTypeError(std::string("ndflow: cuda::fill: dtype ") + dtype_name(t) +
                       " is not supported");
  }
}

void unary(void* stream, UnaryOp op, void* out, DType out_dtype, const Operand& a, DType compute,
           const OutShape& shape) {
  const Operand* ops[1] = {&a};
  impl::over_elements(shape, ops, compute, [&](auto tag, const auto& in, std::int64_t n) {
    impl::for_each_element(stream, n, impl::UnaryElement<decltype(tag)>{op, out, out_dtype, in},
                           "launch of the unary kernel");
  });
}

void binary(void* stream, BinaryOp op, void* out, DType out_dtype, const Operand& a,
            const Operand& b, DType compute, const OutShape& shape) {
  const Operand* ops[2] = {&a, &b};
  impl::over_elements(shape, ops, compute, [&](auto tag, const auto& in, std::int64_t n) {
    impl::for_each_element(stream, n, impl::BinaryElement<decltype(tag)>{op, out, out_dtype, in},
                           "launch of the binary kernel");
  });
}

void binary_scalar(void* stream, BinaryOp op, void* out, DType out_dtype, const Operand& a,
                   std::uint64_t scalar_bits, DType scalar_dtype, bool scalar_first, DType compute,
                   const OutShape& shape) {
  const Operand* ops[1] = {&a};
  impl::over_elements(shape, ops, compute, [&](auto tag, const auto& in, std::int64_t n) {
    using C = decltype(tag);
    const C s = impl::scalar_as<C>(scalar_bits, scalar_dtype);
    impl::for_each_element(stream, n,
                           impl::BinaryScalarElement<C>{op, out, out_dtype, in, s, scalar_first},
                           "launch of the binary-scalar kernel");
  });
}

void copy_into(void* stream, const Operand& out, const Operand& a, const OutShape& shape) {
  const Operand* ops[2] = {&out, &a};
  impl::over_elements(shape, ops, a.dtype, [&](auto tag, const auto& both, std::int64_t n) {
    impl::for_each_element(stream, n, impl::CopyIntoElement<decltype(tag)>{both},
                           "launch of the copy_into kernel");
  });
}

void where(void* stream, void* out, DType t, const Operand& cond, const Operand& a,
           const Operand& b, const OutShape& shape) {
  const Operand* ops[3] = {&cond, &a, &b};
  impl::over_elements(shape, ops, t, [&](auto tag, const auto& in, std::int64_t n) {
    impl::for_each_element(stream, n, impl::WhereElement<decltype(tag)>{out, t, in},
                           "launch of the where kernel");
  });
}

void where_scalar(void* stream, void* out, DType t, const Operand& cond, const Operand& a,
                  std::uint64_t scalar_bits, DType scalar_dtype, bool scalar_when_true,
                  const OutShape& shape) {
  const Operand* ops[2] = {&cond, &a};
  impl::over_elements(shape, ops, t, [&](auto tag, const auto& in, std::int64_t n) {
    using T = decltype(tag);
    const T s = impl::scalar_as<T>(scalar_bits, scalar_dtype);
    impl::for_each_element(stream, n, impl::WhereScalarElement<T>{out, t, in, s, scalar_when_true},
                           "launch of the where-scalar kernel");
  });
}

}  // namespace ndflow::cuda
