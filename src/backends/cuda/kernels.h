// The CUDA kernels the array layer launches on a GPU lane's stream. Declared without CUDA's
// headers (a stream is passed as void*, i.e. a cudaStream_t), so the ops' .cc files include
// this whatever compiles them; defined in kernels/*.cu only when the build has CUDA
// (NDFLOW_HAS_CUDA). Every function enqueues work on `stream` and returns at once; a failed
// launch throws DeviceError (NDFLOW_CUDA_CHECK), an unsupported dtype DTypeError.
//
// The calling thread must have the stream's device current (except for host_stream()): a
// GPU lane worker, which called StreamDevice::bind_thread. gemm, uniform and normal keep
// one cuBLAS handle or cuRAND generator per (thread, device, stream).
//
// Out of memory (a cuBLAS workspace or handle, a cuRAND generator, stream-ordered scratch)
// throws OutOfMemoryError, and the caller may then empty its caches and call the same
// function again with the same arguments: a function that allocates writes only its output,
// which none of its inputs overlaps, so work it enqueued before failing is simply redone.
//
// Dtype rules are decided by the caller (the same NumPy promotion as on the CPU): each
// function gets the dtype to compute in and the dtype to store, and converts on the fly.
#pragma once

#include <cstdint>

#include "ndflow/dtype.h"

namespace ndflow::cuda {

inline constexpr int kMaxDims = 8;

// A `stream` argument that runs the kernels' own code on the calling thread, over host
// memory, instead of launching it: element-wise functions run their per-element device
// code in a loop, reduce runs its blocks' folds and combining trees one after the other,
// uniform and normal use cuRAND's host generator (same Philox type, seed and offset), and
// gemm its plain kernel (cuBLAS has no host path). Simulated GPUs use it under
// NDFLOW_SIMULATED_GPU_KERNELS=cuda, so that CI checks these kernels' indexing, conversions
// and reduction order on machines without a GPU; their float functions (exp, tanh, pow) are
// then the host's, which may round differently from CUDA's. Never touches the CUDA runtime.
// (The address of a static: no CUDA stream handle can equal it.)
inline void* host_stream() noexcept {
  static char tag;
  return &tag;
}

// An operand seen in the output's shape: its first element and its strides in elements
// (0 along broadcast dimensions).
struct Operand {
  const void* data = nullptr;
  DType dtype = kFloat32;
  std::int64_t strides[kMaxDims] = {};
};

// The output's shape (the output itself is contiguous, row-major).
struct OutShape {
  int ndim = 0;
  std::int64_t dims[kMaxDims] = {};
  std::int64_t numel() const noexcept {
    std::int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= dims[i];
    return n;
  }
};

enum class BinaryOp : std::uint8_t {
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,  // true division: the caller passes a floating compute dtype
  kPower,
  kMaximum,
  kMinimum,
  kEqual,  // comparisons store bool
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
};

enum class UnaryOp : std::uint8_t {
  kIdentity,  // a copy with conversion (astype, contiguous copies of views)
  kNegative,
  kAbs,
  kExp,
  kLog,
  kSqrt,
  kTanh,
  kSigmoid,
  kRelu,
};

// out[i] = the element at `value` (one element of dtype t, read on the host at the call),
// for the n elements of a contiguous array.
void fill(void* stream, void* out, DType t, std::int64_t n, const void* value);

// out = op(a) over `shape`, computing in `compute` and storing `out_dtype`.
void unary(void* stream, UnaryOp op, void* out, DType out_dtype, const Operand& a, DType compute,
           const OutShape& shape);

// out = op(a, b) over `shape` (a and b broadcast through their strides).
void binary(void* stream, BinaryOp op, void* out, DType out_dtype, const Operand& a,
            const Operand& b, DType compute, const OutShape& shape);

// out = op(a, s), or op(s, a) when scalar_first, over `shape`: s is one value of dtype
// `scalar_dtype` whose bytes are `scalar_bits` (little-endian, in the low bytes), passed with
// the launch as a kernel parameter, so that `x + 1` needs no device memory and no fill
// kernel for its 1.
void binary_scalar(void* stream, BinaryOp op, void* out, DType out_dtype, const Operand& a,
                   std::uint64_t scalar_bits, DType scalar_dtype, bool scalar_first, DType compute,
                   const OutShape& shape);

// out = a converted to out's dtype, element by element over `shape`, where `out` is an
// operand too (its data is written): any strides, so that a copy fills part of an array
// (concatenate's slices of its result). `out` must not overlap `a`. Converts as store_as
// does from a's dtype, as astype does on the CPU.
void copy_into(void* stream, const Operand& out, const Operand& a, const OutShape& shape);

// out = where(cond, a, b) over `shape`; out has dtype `t` (a and b too, normally: another
// dtype is converted), cond any dtype (nonzero is true).
void where(void* stream, void* out, DType t, const Operand& cond, const Operand& a,
           const Operand& b, const OutShape& shape);

// out = where(cond, a, s), or where(cond, s, a) when scalar_when_true, over `shape`: s is
// passed as binary_scalar passes it (a kernel parameter, no device memory), converted to t.
void where_scalar(void* stream, void* out, DType t, const Operand& cond, const Operand& a,
                  std::uint64_t scalar_bits, DType scalar_dtype, bool scalar_when_true,
                  const OutShape& shape);

// Batched product c[p] (m x n, row stride ldc) = a[p] (m x k) * b[p] (k x n) for p < batch,
// each operand advancing by its batch stride (0 to reuse one of a or b; c's matrices must
// not overlap), computed in c's dtype t as the CPU does (integers wrap; bool is or-of-ands).
// Float operands of dtype t whose layout BLAS can read (backends/gemm_layout.h) go through
// cuBLAS, TF32 off unless allow_tf32; anything else (other dtypes, mixed dtypes, broadcast
// or negative strides) through a plain kernel that reads any strides. k == 0 stores zeros.
struct GemmMatrix {
  const void* data = nullptr;
  DType dtype = kFloat32;
  std::int64_t rs = 0, cs = 0;  // row and column strides, in elements
  std::int64_t batch_stride = 0;
};
struct GemmArgs {
  DType t = kFloat32;
  std::int64_t batch = 1, m = 0, n = 0, k = 0;
  GemmMatrix a, b;
  void* c = nullptr;
  std::int64_t ldc = 0, batch_stride_c = 0;
  bool allow_tf32 = false;
};
void gemm(void* stream, const GemmArgs& args);

// Reductions of a contiguous input of shape `in_shape` over the axes flagged in
// `reduce_mask` (bit i: axis i), into a contiguous output with those axes removed. `compute`
// is the accumulator's dtype for kSum (as on the CPU: float64 for floating inputs, int64,
// which wraps, for integers and bool), float64 for kMean (the sum divided by the reduced
// count in double, rounded once into the output, as on the CPU) and the input's dtype for
// the others. kArgMax and kArgMin store int64 indices into the reduced axes flattened
// row-major: the first extreme, or the first NaN. An empty reduced range stores 0 for kSum
// and NaN for kMean (the others are rejected at the call). A long reduction keeps its
// chunks' partials in `scratch`: reduce_scratch_bytes(compute, in_shape, reduce_mask) bytes
// (none, and scratch may be null, when that is 0) of memory on the stream's device (host
// memory for host_stream()), 16-byte aligned, which the caller keeps until the launch has
// run, so that it comes from the caller's allocator and counts against its limit.
enum class ReduceOp : std::uint8_t { kSum, kMean, kMax, kMin, kArgMax, kArgMin };
std::size_t reduce_scratch_bytes(DType compute, const OutShape& in_shape,
                                 std::uint32_t reduce_mask);
void reduce(void* stream, ReduceOp op, void* out, DType out_dtype, const void* in, DType in_dtype,
            DType compute, const OutShape& in_shape, std::uint32_t reduce_mask, void* scratch);

// cuRAND (Philox): n values of dtype t (kFloat32 or kFloat64) into contiguous `out`.
// The same (seed, offset, n) always gives the same numbers, whatever the stream or timing.
// `offset` is cuRAND's absolute offset into the seed's sequence, counted in cuRAND's raw
// draws, which are not one per value for every distribution and dtype: give ops meant to be
// independent different seeds, or offsets far apart. uniform gives [low, high), as the CPU
// does (cuRAND's own interval is (0, 1]). cuRAND makes normals in pairs, so normal of an
// odd n takes its last value from a pair made with a derived seed in `tail_pair`: 2 values
// of dtype t on the stream's device (host memory for host_stream()), which the caller keeps
// until the launch has run, so that it comes from the caller's allocator; it may be null
// when n is even.
void uniform(void* stream, void* out, DType t, std::int64_t n, std::uint64_t seed,
             std::uint64_t offset, double low, double high);
void normal(void* stream, void* out, DType t, std::int64_t n, std::uint64_t seed,
            std::uint64_t offset, double mean, double stddev, void* tail_pair);

}  // namespace ndflow::cuda
