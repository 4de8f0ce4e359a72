// Element-wise ops: binary (broadcasting, NumPy type promotion), unary, where, scalar
// operands (NEP 50) and the in-place operators. Each front-end validates at the call
// (shapes, dtypes, devices), allocates its result, and pushes one kernel split across the
// compute lane's workers for large arrays (launch_parallel). The kernels are chosen from
// tables indexed by the operands' dtypes (backends/cpu/elementwise_kernels.h).
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "array/array_impl.h"
#include "backends/cpu/elementwise_kernels.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {
namespace detail {
namespace {

using cpu::RunFn;
using cpu::type_of_t;
constexpr int kN = cpu::kNumDTypes;

constexpr int idx(DType t) noexcept { return static_cast<int>(t); }

// --- kernel tables ------------------------------------------------------------------------

// The CUDA kernel's name for each op (backends/cuda/kernels.h). An op without one does not
// compile, rather than launching another op's kernel.
template <class F>
inline constexpr bool kNoCudaName = false;
template <class F>
constexpr cuda::BinaryOp cuda_binary_op() {
  using B = cuda::BinaryOp;
  if constexpr (std::is_same_v<F, cpu::AddOp>)
    return B::kAdd;
  else if constexpr (std::is_same_v<F, cpu::SubtractOp>)
    return B::kSubtract;
  else if constexpr (std::is_same_v<F, cpu::MultiplyOp>)
    return B::kMultiply;
  else if constexpr (std::is_same_v<F, cpu::DivideOp>)
    return B::kDivide;
  else if constexpr (std::is_same_v<F, cpu::PowerOp>)
    return B::kPower;
  else if constexpr (std::is_same_v<F, cpu::MaximumOp>)
    return B::kMaximum;
  else if constexpr (std::is_same_v<F, cpu::MinimumOp>)
    return B::kMinimum;
  else if constexpr (std::is_same_v<F, cpu::EqualOp>)
    return B::kEqual;
  else if constexpr (std::is_same_v<F, cpu::NotEqualOp>)
    return B::kNotEqual;
  else if constexpr (std::is_same_v<F, cpu::LessOp>)
    return B::kLess;
  else if constexpr (std::is_same_v<F, cpu::LessEqualOp>)
    return B::kLessEqual;
  else if constexpr (std::is_same_v<F, cpu::GreaterOp>)
    return B::kGreater;
  else if constexpr (std::is_same_v<F, cpu::GreaterEqualOp>)
    return B::kGreaterEqual;
  else
    static_assert(kNoCudaName<F>, "name this op's CUDA kernel here");
}
template <class F>
constexpr cuda::UnaryOp cuda_unary_op() {
  using U = cuda::UnaryOp;
  if constexpr (std::is_same_v<F, cpu::NegativeOp>)
    return U::kNegative;
  else if constexpr (std::is_same_v<F, cpu::AbsOp>)
    return U::kAbs;
  else if constexpr (std::is_same_v<F, cpu::ExpOp>)
    return U::kExp;
  else if constexpr (std::is_same_v<F, cpu::LogOp>)
    return U::kLog;
  else if constexpr (std::is_same_v<F, cpu::SqrtOp>)
    return U::kSqrt;
  else if constexpr (std::is_same_v<F, cpu::TanhOp>)
    return U::kTanh;
  else if constexpr (std::is_same_v<F, cpu::SigmoidOp>)
    return U::kSigmoid;
  else if constexpr (std::is_same_v<F, cpu::ReluOp>)
    return U::kRelu;
  else
    static_assert(kNoCudaName<F>, "name this op's CUDA kernel here");
}

struct BinaryKernel {
  RunFn<3> run = nullptr;  // null: the op does not support these dtypes
  DType out = kBool;
  DType compute = kBool;  // what the CUDA kernel computes in
  cuda::BinaryOp cuda = cuda::BinaryOp::kAdd;
};
using BinaryTable = std::array<BinaryKernel, kN * kN>;  // [a dtype][b dtype]

template <class F, int I>
constexpr BinaryKernel binary_entry() {
  constexpr DType a = static_cast<DType>(I / kN), b = static_cast<DType>(I % kN);
  if constexpr (!cpu::binary_supported<F>(a, b)) {
    return {};
  } else {
    constexpr DType c = cpu::binary_compute_dtype<F>(a, b), o = cpu::binary_out_dtype<F>(a, b);
    return {&cpu::binary_run<F, type_of_t<a>, type_of_t<b>, type_of_t<c>, type_of_t<o>>, o, c,
            cuda_binary_op<F>()};
  }
}
// In place: the result is stored into a's dtype; null unless same_kind allows the cast.
template <class F, int I>
constexpr BinaryKernel inplace_entry() {
  constexpr DType a = static_cast<DType>(I / kN), b = static_cast<DType>(I % kN);
  if constexpr (!cpu::binary_supported<F>(a, b) ||
                !cpu::can_cast_same_kind(cpu::binary_out_dtype<F>(a, b), a)) {
    return {};
  } else {
    constexpr DType c = cpu::binary_compute_dtype<F>(a, b);
    return {&cpu::binary_run<F, type_of_t<a>, type_of_t<b>, type_of_t<c>, type_of_t<a>>, a, c,
            cuda_binary_op<F>()};
  }
}
template <class F, std::size_t... I>
constexpr BinaryTable binary_table(std::index_sequence<I...>) {
  return {binary_entry<F, static_cast<int>(I)>()...};
}
template <class F, std::size_t... I>
constexpr BinaryTable inplace_table(std::index_sequence<I...>) {
  return {inplace_entry<F, static_cast<int>(I)>()...};
}
template <class F>
constexpr BinaryTable kBinary = binary_table<F>(std::make_index_sequence<kN * kN>{});
template <class F>
constexpr BinaryTable kInPlace = inplace_table<F>(std::make_index_sequence<kN * kN>{});

struct UnaryKernel {
  RunFn<2> run = nullptr;
  DType out = kBool;  // also what the CUDA kernel computes in
  cuda::UnaryOp cuda = cuda::UnaryOp::kIdentity;
};
using UnaryTable = std::array<UnaryKernel, kN>;  // [input dtype]

template <class F, int I>
constexpr UnaryKernel unary_entry() {
  constexpr DType a = static_cast<DType>(I);
  if constexpr (!F::kBoolOk && a == kBool) {
    return {};
  } else {
    constexpr DType o = cpu::unary_out_dtype<F>(a);
    return {&cpu::unary_run<F, type_of_t<a>, type_of_t<o>>, o, cuda_unary_op<F>()};
  }
}
template <class F, std::size_t... I>
constexpr UnaryTable unary_table(std::index_sequence<I...>) {
  return {unary_entry<F, static_cast<int>(I)>()...};
}
template <class F>
constexpr UnaryTable kUnary = unary_table<F>(std::make_index_sequence<kN>{});

// Conversions [from][to] (where() brings its operands to the result dtype with these).
template <std::size_t... I>
constexpr std::array<RunFn<2>, kN * kN> cast_table(std::index_sequence<I...>) {
  return {&cpu::unary_run<cpu::IdentityOp, type_of_t<static_cast<DType>(I / kN)>,
                          type_of_t<static_cast<DType>(I % kN)>>...};
}
constexpr std::array<RunFn<2>, kN* kN> kCast = cast_table(std::make_index_sequence<kN * kN>{});

// where() kernels [cond dtype][result dtype].
template <std::size_t... I>
constexpr std::array<RunFn<4>, kN * kN> where_table(std::index_sequence<I...>) {
  return {&cpu::where_run<type_of_t<static_cast<DType>(I / kN)>,
                          type_of_t<static_cast<DType>(I % kN)>>...};
}
constexpr std::array<RunFn<4>, kN* kN> kWhere = where_table(std::make_index_sequence<kN * kN>{});

// --- pushing --------------------------------------------------------------------------------

// The closure of one op: the arrays it touches (out first) by value, which keeps their
// storage alive, the run function, and what the common case needs, worked out at the push
// while the arrays' metadata is hot in this core's cache: the first elements' addresses
// and, when out is contiguous and every input is either contiguous in out's shape or a
// single element (x + 1), each operand's step (its element size, or 0 for a broadcast
// element). Then the worker runs the whole range as one run without reading the arrays'
// metadata (each line it would pull from the pushing core costs ~100 ns on a VM); other
// cases walk a StridedPlan (cpu::run_elements). For K = 3 it is 88 bytes: it fits the
// engine's inline op storage, so pushing it allocates nothing.
template <int K>
class ElementsChunk {
 public:
  ElementsChunk(RunFn<K> run, std::array<Array, K> arrays) : arrays_(std::move(arrays)), run_(run) {
    const ArrayImpl& out = *arrays_[0].impl();
    const std::int64_t n = out.shape.numel();
    bool simple = out.is_contiguous();
    std::uint64_t codes = 0;
    for (int k = 0; k < K; ++k) {
      const ArrayImpl& a = *arrays_[k].impl();
      data_[k] = a.data();
      const std::size_t size = dtype_size(a.dtype);
      std::uint64_t code = size == 1 ? 1 : size == 4 ? 2 : 3;  // kStep[code] == size
      if (k > 0 && !(a.shape == out.shape && a.is_contiguous())) {
        if (a.shape.numel() == 1)
          code = 0;  // broadcast: step 0
        else
          simple = false;
      }
      codes |= code << (2 * k);
    }
    packed_ = static_cast<std::uint64_t>(n) << kCountShift | (simple ? codes : kGeneral);
  }

  std::int64_t count() const { return static_cast<std::int64_t>(packed_ >> kCountShift); }

  void operator()(std::int64_t begin, std::int64_t end) const {
    if (begin >= end) return;
    if (packed_ & kGeneral) {
      std::array<const ArrayImpl*, K> impls;
      for (int k = 0; k < K; ++k) impls[k] = arrays_[k].impl().get();
      cpu::run_elements<K>(run_, impls, begin, end);
      return;
    }
    std::array<char*, K> p;
    std::array<std::int64_t, K> step;
    for (int k = 0; k < K; ++k) {
      step[k] = kStep[(packed_ >> (2 * k)) & 3];
      p[k] = data_[k] + begin * step[k];
    }
    run_(p, step, end - begin);
  }

 private:
  static constexpr std::int64_t kStep[4] = {0, 1, 4, 8};
  static constexpr int kCountShift = 16;
  static constexpr std::uint64_t kGeneral = std::uint64_t{1} << 15;
  static_assert(2 * K < 15);

  std::array<Array, K> arrays_;
  RunFn<K> run_;
  std::array<char*, K> data_;
  std::uint64_t packed_;  // count << kCountShift | (kGeneral, or 2 bits of step code each)
};
static_assert(sizeof(ElementsChunk<3>) <= kInlineFnBytes);

// Small ops (the common case) go straight to launch() with the chunk moved into the op:
// launch_parallel would copy it, and every copied Array is an atomic increment and
// decrement of a count that the worker touches too.
template <int K>
void push_elements(const char* name, RunFn<K> run, std::array<Array, K> arrays, const VarsOf& reads,
                   const VarsOf& writes, CudaLaunch cuda = {}) {
  const Device device = arrays[0].impl()->device();
  ElementsChunk<K> chunk(run, std::move(arrays));
  const std::int64_t n = chunk.count();
  if (n < 2 * kParallelGrain) {  // launch_parallel would push it as one op as well
    launch(
        name, reads, writes, device, [chunk = std::move(chunk)] { chunk(0, chunk.count()); },
        std::move(cuda));
    return;
  }
  launch_parallel(name, reads, writes, device, n, std::move(chunk), kParallelGrain,
                  std::move(cuda));
}

// --- validation -----------------------------------------------------------------------------

std::string op_prefix(const char* op) { return std::string("ndflow: ") + op + ": "; }

// NumPy's broadcast of two shapes; false when they do not broadcast.
bool broadcast(const Shape& a, const Shape& b, Shape* out) {
  if (a == b) {
    *out = a;
    return true;
  }
  const Shape& longer = a.ndim() >= b.ndim() ? a : b;
  const Shape& shorter = a.ndim() >= b.ndim() ? b : a;
  *out = longer;
  const int lead = longer.ndim() - shorter.ndim();
  for (int d = 0; d < shorter.ndim(); ++d) {
    const std::int64_t x = longer[d + lead], y = shorter[d];
    if (x == y || y == 1) continue;
    if (x != 1) return false;
    (*out)[d + lead] = y;
  }
  return true;
}

[[noreturn]] void throw_broadcast(const char* op, const Shape& a, const Shape& b) {
  throw ShapeError(op_prefix(op) + "cannot broadcast " + a.to_string() + " with " + b.to_string());
}

[[noreturn]] void throw_unsupported(const char* op, DType a, DType b) {
  throw DTypeError(op_prefix(op) + "boolean " + op + " is not supported (operands " +
                   dtype_name(a) + " and " + dtype_name(b) +
                   "); use logical ops or cast to an integer dtype");
}

void check_devices(const char* op, const Array& a, const ArrayImpl& ai, const Array& b,
                   const ArrayImpl& bi) {
  if (ai.device() != bi.device()) check_same_device(op, {&a, &b});
}

// --- front-ends -----------------------------------------------------------------------------

Array binary_op(const char* op, const BinaryTable& table, const Array& a, const Array& b) {
  const ArrayImpl& ai = impl_of(a, op);
  const ArrayImpl& bi = impl_of(b, op);
  check_devices(op, a, ai, b, bi);
  Shape shape;
  if (!broadcast(ai.shape, bi.shape, &shape)) throw_broadcast(op, ai.shape, bi.shape);
  const BinaryKernel& k = table[idx(ai.dtype) * kN + idx(bi.dtype)];
  if (!k.run) throw_unsupported(op, ai.dtype, bi.dtype);
  Array out = new_array(shape, k.out, ai.device());
  CudaLaunch cuda;
  if (runs_cuda_kernels(ai.device())) cuda = cuda_binary(k.cuda, *out.impl(), ai, bi, k.compute);
  push_elements<3>(op, k.run, {out, a, b}, VarsOf{&a, &b}, VarsOf{&out}, std::move(cuda));
  return out;
}

template <class F>
Array& inplace_op(const char* op, Array& self, const Array& other) {
  const ArrayImpl& si = impl_of(self, op);
  const ArrayImpl& oi = impl_of(other, op);
  check_devices(op, self, si, other, oi);
  const int i = idx(si.dtype) * kN + idx(oi.dtype);
  const BinaryKernel& k = kInPlace<F>[i];
  if (!k.run) {
    const BinaryKernel& plain = kBinary<F>[i];
    if (!plain.run) throw_unsupported(op, si.dtype, oi.dtype);
    throw DTypeError(op_prefix(op) + "cannot cast " + dtype_name(plain.out) + " to " +
                     dtype_name(si.dtype) + " in place (NumPy's same_kind rule); use " + op +
                     "() to get a new array");
  }
  Shape shape;
  if (!broadcast(si.shape, oi.shape, &shape) || !(shape == si.shape))
    throw ShapeError(op_prefix(op) + "cannot broadcast " + oi.shape.to_string() + " to the shape " +
                     si.shape.to_string() + " of the in-place target");
  // Another view of the same memory: read a copy, so that the writes cannot overtake the
  // reads of elements they overlap.
  const bool same_view = &si == &oi || (oi.shape == si.shape && oi.strides == si.strides &&
                                        oi.offset == si.offset && oi.dtype == si.dtype);
  Array src = oi.storage == si.storage && !same_view ? other.copy() : other;
  if (runs_cuda_kernels(si.device()) && !si.is_contiguous()) {
    // CUDA kernels write contiguous results: compute one, then copy it into the view through
    // its strides (converting to its dtype, which the check above allows).
    const Array result = binary_op(op, kBinary<F>, self, src);
    launch(
        op, VarsOf{&result, &self}, VarsOf{&self}, si.device(), [] {},
        cuda_copy_into(si, *result.impl()));
    return self;
  }
  CudaLaunch cuda;
  if (runs_cuda_kernels(si.device())) cuda = cuda_binary(k.cuda, si, si, *src.impl(), k.compute);
  // self is read too: an earlier failure of its producer must fail this op (and stay on
  // self), not be cleared by it.
  push_elements<3>(op, k.run, {self, self, src}, VarsOf{&src, &self}, VarsOf{&self},
                   std::move(cuda));
  return self;
}

Array unary_op(const char* op, const UnaryTable& table, const Array& a) {
  const ArrayImpl& ai = impl_of(a, op);
  const UnaryKernel& k = table[idx(ai.dtype)];
  if (!k.run)
    throw DTypeError(op_prefix(op) + "boolean " + op +
                     " is not supported; use logical ops or cast to an integer dtype");
  Array out = new_array(ai.shape, k.out, ai.device());
  CudaLaunch cuda;
  if (runs_cuda_kernels(ai.device())) cuda = cuda_unary(k.cuda, *out.impl(), ai, k.out);
  push_elements<2>(op, k.run, {out, a}, VarsOf{&a}, VarsOf{&out}, std::move(cuda));
  return out;
}

// `a` converted to dtype t (a new array), or `a` itself when it has that dtype.
Array cast_to(const Array& a, DType t) {
  const ArrayImpl& ai = *a.impl();
  if (ai.dtype == t) return a;
  Array out = new_array(ai.shape, t, ai.device());
  CudaLaunch cuda;
  if (runs_cuda_kernels(ai.device()))  // in a's dtype, as astype (cast.cc) does
    cuda = cuda_unary(cuda::UnaryOp::kIdentity, *out.impl(), ai, ai.dtype);
  push_elements<2>("where", kCast[idx(ai.dtype) * kN + idx(t)], {out, a}, VarsOf{&a}, VarsOf{&out},
                   std::move(cuda));
  return out;
}

// NEP 50: a Python scalar takes the array's dtype when it is of the same or a lower kind.
DType scalar_dtype(Scalar s, DType like) {
  switch (s.kind()) {
    case Scalar::Kind::kBool:
      return kBool;
    case Scalar::Kind::kFloat:
      return is_floating(like) ? like : kFloat64;
    case Scalar::Kind::kInt:
      break;
  }
  const DType t = like == kBool ? kInt64 : like;
  const std::int64_t v = s.as_int();
  const bool fits = t == kUInt8   ? v >= 0 && v <= std::numeric_limits<std::uint8_t>::max()
                    : t == kInt32 ? v >= std::numeric_limits<std::int32_t>::min() &&
                                        v <= std::numeric_limits<std::int32_t>::max()
                                  : true;
  if (!fits)
    throw DTypeError("ndflow: the integer scalar " + std::to_string(v) + " is out of bounds for " +
                     dtype_name(t) +
                     " (the dtype of the array it is used with); cast the array first");
  return t;
}

// The scalar's bytes in dtype t.
std::uint64_t scalar_bits(Scalar s, DType t) {
  std::uint64_t bits = 0;
  visit_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    const T v = s.kind() == Scalar::Kind::kFloat ? static_cast<T>(s.as_double())
                                                 : static_cast<T>(s.as_int());
    std::memcpy(&bits, &v, sizeof v);
  });
  return bits;
}

// `array op scalar` (or `scalar op array`) on a small contiguous array: the scalar lives in
// the op's closure and the kernel reads it with step 0, so the op needs no 0-d array (no
// allocation, no Var, no release op): this is the dispatch hot path (y = x + 1). The closure
// holds data pointers, not Arrays (see launch.h): the result's handle then lives and dies on
// the pushing thread, and its memory is recycled there, still in that core's cache.
class ScalarChunk {
 public:
  ScalarChunk(RunFn<3> run, const ArrayImpl& out, const ArrayImpl& a, std::uint64_t scalar,
              bool scalar_first)
      : out_(out.data()),
        a_(a.data()),
        numel_(out.shape.numel()),
        run_(run),
        scalar_(scalar),
        out_size_(static_cast<std::uint8_t>(dtype_size(out.dtype))),
        a_size_(static_cast<std::uint8_t>(dtype_size(a.dtype))),
        scalar_first_(scalar_first) {}
  void operator()() const {
    char* scalar = const_cast<char*>(reinterpret_cast<const char*>(&scalar_));
    std::array<char*, 3> p = {out_, a_, scalar};
    std::array<std::int64_t, 3> step = {out_size_, a_size_, 0};
    if (scalar_first_) {
      std::swap(p[1], p[2]);
      std::swap(step[1], step[2]);
    }
    run_(p, step, numel_);
  }

 private:
  char* out_;
  char* a_;
  std::int64_t numel_;
  RunFn<3> run_;
  std::uint64_t scalar_;  // the value, in the bytes of its dtype
  std::uint8_t out_size_, a_size_;
  bool scalar_first_;
};
static_assert(sizeof(ScalarChunk) <= kInlineFnBytes);

template <class F>
Array binary_scalar_op(const char* op, const Array& a, Scalar s, bool scalar_first) {
  const ArrayImpl& ai = impl_of(a, op);
  const DType sd = scalar_dtype(s, ai.dtype);
  const bool cuda = runs_cuda_kernels(ai.device());
  if (!cuda &&
      (!ai.is_contiguous() || ai.shape.numel() >= 2 * kParallelGrain || !ai.device().is_cpu())) {
    // Large or strided on the host: the general path (a 0-d operand costs nothing next to
    // the work). On a simulated GPU too: its kernels read operands from its memory.
    const Array sa = scalar_like(s, a);
    return scalar_first ? binary_op(op, kBinary<F>, sa, a) : binary_op(op, kBinary<F>, a, sa);
  }
  const BinaryKernel& k = scalar_first ? kBinary<F>[idx(sd) * kN + idx(ai.dtype)]
                                       : kBinary<F>[idx(ai.dtype) * kN + idx(sd)];
  if (!k.run)
    scalar_first ? throw_unsupported(op, sd, ai.dtype) : throw_unsupported(op, ai.dtype, sd);
  Array out = new_array(ai.shape, k.out, ai.device());
  if (cuda) {
    // The scalar is a kernel parameter: no 0-d array on the GPU, no fill kernel (the host
    // kernel is for simulated GPUs, which never take this path).
    launch(
        op, VarsOf{&a}, VarsOf{&out}, ai.device(), [] {},
        cuda_binary_scalar(k.cuda, *out.impl(), ai, scalar_bits(s, sd), sd, scalar_first,
                           k.compute));
    return out;
  }
  launch(
      op, VarsOf{&a}, VarsOf{&out}, ai.device(),
      [chunk = ScalarChunk(k.run, *out.impl(), ai, scalar_bits(s, sd), scalar_first)] { chunk(); });
  return out;
}

// self op= s. On a contiguous CUDA array the scalar is a kernel parameter, as in
// binary_scalar_op; elsewhere (and for the errors) it is a 0-d array: on the host that costs
// no op, and strided GPU targets go through inplace_op's copy.
template <class F>
Array& inplace_scalar_op(const char* op, Array& self, Scalar s) {
  const ArrayImpl& si = impl_of(self, op);
  if (runs_cuda_kernels(si.device()) && si.is_contiguous()) {
    const DType sd = scalar_dtype(s, si.dtype);
    const BinaryKernel& k = kInPlace<F>[idx(si.dtype) * kN + idx(sd)];
    if (k.run) {
      launch(
          op, VarsOf{&self}, VarsOf{&self}, si.device(), [] {},
          cuda_binary_scalar(k.cuda, si, si, scalar_bits(s, sd), sd, false, k.compute));
      return self;
    }
  }
  return inplace_op<F>(op, self, scalar_like(s, self));
}

}  // namespace
}  // namespace detail

using detail::impl_of;
namespace cpu = detail::cpu;

#define NDFLOW_BINARY(fn, Op)                                                    \
  Array fn(const Array& a, const Array& b) {                                     \
    return detail::binary_op(#fn, detail::kBinary<cpu::Op>, a, b);               \
  }                                                                              \
  Array fn(const Array& a, Scalar b) {                                           \
    return detail::binary_scalar_op<cpu::Op>(#fn, a, b, /*scalar_first=*/false); \
  }                                                                              \
  Array fn(Scalar a, const Array& b) {                                           \
    return detail::binary_scalar_op<cpu::Op>(#fn, b, a, /*scalar_first=*/true);  \
  }
NDFLOW_BINARY(add, AddOp)
NDFLOW_BINARY(subtract, SubtractOp)
NDFLOW_BINARY(multiply, MultiplyOp)
NDFLOW_BINARY(divide, DivideOp)
NDFLOW_BINARY(power, PowerOp)
NDFLOW_BINARY(maximum, MaximumOp)
NDFLOW_BINARY(minimum, MinimumOp)
NDFLOW_BINARY(equal, EqualOp)
NDFLOW_BINARY(not_equal, NotEqualOp)
NDFLOW_BINARY(less, LessOp)
NDFLOW_BINARY(less_equal, LessEqualOp)
NDFLOW_BINARY(greater, GreaterOp)
NDFLOW_BINARY(greater_equal, GreaterEqualOp)
#undef NDFLOW_BINARY

#define NDFLOW_UNARY(fn, Op) \
  Array fn(const Array& a) { return detail::unary_op(#fn, detail::kUnary<cpu::Op>, a); }
NDFLOW_UNARY(negative, NegativeOp)
NDFLOW_UNARY(abs, AbsOp)
NDFLOW_UNARY(exp, ExpOp)
NDFLOW_UNARY(log, LogOp)
NDFLOW_UNARY(sqrt, SqrtOp)
NDFLOW_UNARY(tanh, TanhOp)
NDFLOW_UNARY(sigmoid, SigmoidOp)
NDFLOW_UNARY(relu, ReluOp)
#undef NDFLOW_UNARY

namespace detail {
namespace {

// The shape of where(c, a, b)'s result; ShapeError naming all three when they do not
// broadcast (a scalar operand is shape ()).
Shape where_shape(const Shape& c, const Shape& a, const Shape& b) {
  Shape ab, shape;
  if (!broadcast(a, b, &ab) || !broadcast(c, ab, &shape))
    throw ShapeError("ndflow: where: cannot broadcast " + c.to_string() + " with " + a.to_string() +
                     " with " + b.to_string());
  return shape;
}

// where(condition, x, s), or where(condition, s, x) when scalar_when_true. Where the GPU runs
// the CUDA kernels the scalar is a kernel parameter, as in binary_scalar_op; elsewhere it is
// a 0-d array (on the host that costs no op; a simulated GPU's kernels read its memory).
Array where_scalar(const Array& condition, const Array& x, Scalar s, bool scalar_when_true) {
  const char* op = "where";
  const ArrayImpl& ci = impl_of(condition, op);
  const ArrayImpl& xi = impl_of(x, op);
  if (!runs_cuda_kernels(xi.device())) {
    const Array sa = scalar_like(s, x);
    return scalar_when_true ? ndflow::where(condition, sa, x) : ndflow::where(condition, x, sa);
  }
  if (ci.device() != xi.device()) check_same_device(op, {&condition, &x});
  const Shape shape = scalar_when_true ? where_shape(ci.shape, Shape{}, xi.shape)
                                       : where_shape(ci.shape, xi.shape, Shape{});
  const DType sd = scalar_dtype(s, xi.dtype);
  Array out = new_array(shape, promote_types(xi.dtype, sd), xi.device());
  launch(
      op, VarsOf{&condition, &x}, VarsOf{&out}, xi.device(), [] {},
      cuda_where_scalar(*out.impl(), ci, xi, scalar_bits(s, sd), sd, scalar_when_true));
  return out;
}

}  // namespace
}  // namespace detail

Array where(const Array& condition, const Array& a, const Array& b) {
  const char* op = "where";
  const detail::ArrayImpl& ci = impl_of(condition, op);
  const detail::ArrayImpl& ai = impl_of(a, op);
  const detail::ArrayImpl& bi = impl_of(b, op);
  if (ci.device() != ai.device() || ci.device() != bi.device())
    detail::check_same_device(op, {&condition, &a, &b});
  const Shape shape = detail::where_shape(ci.shape, ai.shape, bi.shape);
  const DType t = promote_types(ai.dtype, bi.dtype);
  const Array av = detail::cast_to(a, t), bv = detail::cast_to(b, t);
  Array out = detail::new_array(shape, t, ai.device());
  detail::CudaLaunch cuda;
  if (detail::runs_cuda_kernels(ai.device()))
    cuda = detail::cuda_where(*out.impl(), ci, *av.impl(), *bv.impl());
  detail::push_elements<4>(op, detail::kWhere[detail::idx(ci.dtype) * detail::kN + detail::idx(t)],
                           {out, condition, av, bv}, detail::VarsOf{&condition, &av, &bv},
                           detail::VarsOf{&out}, std::move(cuda));
  return out;
}

Array where(const Array& condition, const Array& a, Scalar b) {
  return detail::where_scalar(condition, a, b, /*scalar_when_true=*/false);
}

Array where(const Array& condition, Scalar a, const Array& b) {
  return detail::where_scalar(condition, b, a, /*scalar_when_true=*/true);
}

// A 0-d array of the dtype NEP 50 gives the scalar next to `like`.
Array scalar_like(Scalar s, const Array& like) {
  const detail::ArrayImpl& li = impl_of(like, "scalar_like");
  const DType t = detail::scalar_dtype(s, li.dtype);
  // A GPU's memory is written by its streams only (a reused block may still be read by
  // one): there, a fill op.
  if (!li.device().is_cpu()) return full(Shape{}, s, t, li.device());
  // Fresh host storage has no pending ops: write the one element now (no op to push).
  Array out = detail::new_array(Shape{}, t, li.device());
  char* data = out.impl()->data();
  visit_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    *reinterpret_cast<T*>(data) = s.kind() == Scalar::Kind::kFloat ? static_cast<T>(s.as_double())
                                                                   : static_cast<T>(s.as_int());
  });
  return out;
}

Array operator+(const Array& a, const Array& b) { return add(a, b); }
Array operator-(const Array& a, const Array& b) { return subtract(a, b); }
Array operator*(const Array& a, const Array& b) { return multiply(a, b); }
Array operator/(const Array& a, const Array& b) { return divide(a, b); }
Array operator-(const Array& a) { return negative(a); }
Array operator==(const Array& a, const Array& b) { return equal(a, b); }
Array operator!=(const Array& a, const Array& b) { return not_equal(a, b); }
Array operator<(const Array& a, const Array& b) { return less(a, b); }
Array operator<=(const Array& a, const Array& b) { return less_equal(a, b); }
Array operator>(const Array& a, const Array& b) { return greater(a, b); }
Array operator>=(const Array& a, const Array& b) { return greater_equal(a, b); }

Array& Array::operator+=(const Array& other) {
  return detail::inplace_op<cpu::AddOp>("add", *this, other);
}
Array& Array::operator-=(const Array& other) {
  return detail::inplace_op<cpu::SubtractOp>("subtract", *this, other);
}
Array& Array::operator*=(const Array& other) {
  return detail::inplace_op<cpu::MultiplyOp>("multiply", *this, other);
}
Array& Array::operator/=(const Array& other) {
  return detail::inplace_op<cpu::DivideOp>("divide", *this, other);
}
Array& Array::operator+=(Scalar s) {
  return detail::inplace_scalar_op<cpu::AddOp>("add", *this, s);
}
Array& Array::operator-=(Scalar s) {
  return detail::inplace_scalar_op<cpu::SubtractOp>("subtract", *this, s);
}
Array& Array::operator*=(Scalar s) {
  return detail::inplace_scalar_op<cpu::MultiplyOp>("multiply", *this, s);
}
Array& Array::operator/=(Scalar s) {
  return detail::inplace_scalar_op<cpu::DivideOp>("divide", *this, s);
}

}  // namespace ndflow
