// What the kernels of kernels/*.cu share: loading and storing any dtype as a compute type,
// NumPy's integer wrapping, launch sizes, running a kernel on a stream or on the host, and
// the element indexing of the element-wise kernels. What a thread does is __host__
// __device__ code, which host_stream() (kernels.h) runs on the host. Device code converts on
// the fly (a switch on a dtype that is the same for every thread), so each kernel is a
// template over its compute type only: six instantiations, not one per dtype triple.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <type_traits>
#include <utility>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels.h"

// Checks the launch just made (a bad configuration, or an earlier kernel's fault).
#define NDFLOW_CUDA_CHECK_LAUNCH(kernel) \
  ::ndflow::cuda::check(cudaGetLastError(), "launch of " kernel, __FILE__, __LINE__)

namespace ndflow::cuda::impl {

inline cudaStream_t as_stream(void* s) noexcept { return static_cast<cudaStream_t>(s); }

// A library handle (a cuBLAS handle, a cuRAND generator) per (thread, device, stream), made
// on first use and destroyed when the thread ends. Each GPU lane has its own worker thread,
// so a handle is never used by two threads at once; and never for two streams either, as a
// thread that issues to several (the naive engine; logical GPUs sharing one device) would
// otherwise let work on both streams share the handle's workspace or generator state at
// the same time. Keep one as a thread_local.
template <class Handle>
class PerStreamHandles {
 public:
  using Destroy = void (*)(Handle);
  explicit PerStreamHandles(Destroy destroy) : destroy_(destroy) {}
  ~PerStreamHandles() {
    for (const auto& [key, handle] : handles_) {
      // At process exit the driver may be gone already; then there is nothing to free.
      if (cudaSetDevice(key.first) == cudaSuccess) destroy_(handle);
      (void)cudaGetLastError();
    }
  }
  PerStreamHandles(const PerStreamHandles&) = delete;
  PerStreamHandles& operator=(const PerStreamHandles&) = delete;

  // The handle for `stream` on the current device; create() makes it (throwing on failure)
  // the first time.
  template <class Create>
  Handle get(cudaStream_t stream, Create&& create) {
    int device = 0;
    NDFLOW_CUDA_CHECK(cudaGetDevice(&device));
    const std::pair<int, cudaStream_t> key{device, stream};
    if (const auto it = handles_.find(key); it != handles_.end()) return it->second;
    const Handle h = create();  // stored only once made: a failed create leaves no entry
    handles_.emplace(key, h);
    return h;
  }

 private:
  std::map<std::pair<int, cudaStream_t>, Handle> handles_;
  Destroy destroy_;
};

// --- launch sizes ---------------------------------------------------------------------------

inline constexpr int kThreads = 256;
// Grid-stride loops cover the rest; 64Ki blocks of 256 threads fill any GPU many times over.
inline constexpr std::int64_t kMaxBlocks = std::int64_t{1} << 16;

inline unsigned blocks_for(std::int64_t n) noexcept {
  return static_cast<unsigned>(std::min<std::int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
}

__device__ __forceinline__ std::int64_t first_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() {
  return static_cast<std::int64_t>(blockDim.x) * gridDim.x;
}

// --- where a kernel runs ----------------------------------------------------------------------

// Whether `stream` is kernels.h's host_stream(): run the kernel's code here, on host memory.
inline bool on_host(void* stream) noexcept { return stream == host_stream(); }

template <class F>
__global__ void elements_kernel(F f, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) f(i);
}

// Runs f(i) for every i in [0, n): a grid-stride kernel on `stream`, or a loop on the
// calling thread for host_stream(). f is a functor whose operator() is __host__ __device__,
// so the one body is what the GPU runs and what the host checks. `launch` names the launch
// in an error ("launch of the unary kernel"), which also gives the caller's file and line.
template <class F>
void for_each_element(void* stream, std::int64_t n, const F& f, const char* launch,
                      const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  if (n <= 0) return;
  if (on_host(stream)) {
    for (std::int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  elements_kernel<F><<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(f, n);
  check(cudaGetLastError(), launch, file, line);
}

// --- dtypes on the device -------------------------------------------------------------------

template <class C>
inline constexpr bool is_float_v = std::is_floating_point_v<C>;
template <class C>
inline constexpr bool is_bool_v = std::is_same_v<C, bool>;

// Element i of `data` (dtype t) as C. bool storage holds 0 or 1; any nonzero byte reads true.
template <class C>
__host__ __device__ __forceinline__ C load_as(const void* data, DType t, std::int64_t i) {
  switch (t) {
    case DType::kBool:
      return static_cast<C>(static_cast<const std::uint8_t*>(data)[i] != 0);
    case DType::kUInt8:
      return static_cast<C>(static_cast<const std::uint8_t*>(data)[i]);
    case DType::kInt32:
      return static_cast<C>(static_cast<const std::int32_t*>(data)[i]);
    case DType::kInt64:
      return static_cast<C>(static_cast<const std::int64_t*>(data)[i]);
    case DType::kFloat32:
      return static_cast<C>(static_cast<const float*>(data)[i]);
    case DType::kFloat64:
      break;
  }
  return static_cast<C>(static_cast<const double*>(data)[i]);
}

// Float to a signed integer type I as x86 converts (what the CPU layer and NumPy give):
// NaN and values out of I's range become I's lowest value. The GPU's own conversion
// saturates instead, and turns NaN into 0.
// (std::numeric_limits is host code to nvcc, hence the constants.)
template <class I, class C>
__host__ __device__ __forceinline__ I float_to_int_as_x86(C v) {
  static_assert(std::is_same_v<I, std::int32_t> || std::is_same_v<I, std::int64_t>);
  constexpr bool k64 = std::is_same_v<I, std::int64_t>;
  constexpr double kLimit = k64 ? 9223372036854775808.0 : 2147483648.0;  // 2^63, 2^31
  constexpr I kLowest = k64 ? I(INT64_MIN) : I(INT32_MIN);
  const double d = static_cast<double>(v);
  if (!(d >= -kLimit && d < kLimit)) return kLowest;
  return static_cast<I>(v);
}

// A scalar kernel argument (kernels.h's scalar_bits: the value of dtype t in the low bytes)
// as C, converted as an array's elements are: element 0 of a one-element array of dtype t.
template <class C>
C scalar_as(std::uint64_t bits, DType t) {
  return load_as<C>(&bits, t, 0);
}

// Stores v (of type C) as element i of `data` (dtype t), converting as static_cast does on
// the CPU (x86), float-to-integer overflow and NaN included.
template <class C>
__host__ __device__ __forceinline__ void store_as(void* data, DType t, std::int64_t i, C v) {
  switch (t) {
    case DType::kBool:
      static_cast<std::uint8_t*>(data)[i] = static_cast<bool>(v) ? 1 : 0;
      return;
    case DType::kUInt8:
      // Floats through int64, as the CPU does (-1.0 stores 255, like NumPy): the GPU's own
      // float-to-uint8 conversion clamps to [0, 255] instead.
      if constexpr (is_float_v<C>)
        static_cast<std::uint8_t*>(data)[i] =
            static_cast<std::uint8_t>(float_to_int_as_x86<std::int64_t>(v));
      else
        static_cast<std::uint8_t*>(data)[i] = static_cast<std::uint8_t>(v);
      return;
    case DType::kInt32:
      if constexpr (is_float_v<C>)
        static_cast<std::int32_t*>(data)[i] = float_to_int_as_x86<std::int32_t>(v);
      else
        static_cast<std::int32_t*>(data)[i] = static_cast<std::int32_t>(v);
      return;
    case DType::kInt64:
      if constexpr (is_float_v<C>)
        static_cast<std::int64_t*>(data)[i] = float_to_int_as_x86<std::int64_t>(v);
      else
        static_cast<std::int64_t*>(data)[i] = static_cast<std::int64_t>(v);
      return;
    case DType::kFloat32:
      static_cast<float*>(data)[i] = static_cast<float>(v);
      return;
    case DType::kFloat64:
      break;
  }
  static_cast<double*>(data)[i] = static_cast<double>(v);
}

template <class C>
__host__ __device__ __forceinline__ bool is_nan(C v) {
  if constexpr (is_float_v<C>)
    return v != v;
  else
    return false;
}

// Integer arithmetic wraps modulo 2^bits as in NumPy: computed in the unsigned type, so
// there is no signed-overflow undefined behaviour (backends/cpu/elementwise_kernels.h).
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

// a + b: logical or for bool, wrapping for integers (sums use it too).
template <class C>
__host__ __device__ __forceinline__ C add(C a, C b) {
  if constexpr (is_bool_v<C>)
    return a || b;
  else
    return static_cast<C>(static_cast<wrap_t<C>>(a) + static_cast<wrap_t<C>>(b));
}

// --- element indexing -----------------------------------------------------------------------

// How an operand's element offset follows from the output's linear index i.
enum class Layout : std::uint8_t {
  kLinear,   // contiguous with the output: offset i
  kScalar,   // one element broadcast everywhere: offset 0
  kStrided,  // anything else: from i's coordinates and the operand's strides
};

// K operands seen in the (contiguous) output's shape, after coalescing: size-1 dimensions
// dropped and neighbouring dimensions that every operand steps through as one merged.
template <int K>
struct Operands {
  int ndim = 0;
  bool any_strided = false;
  std::int64_t dims[kMaxDims] = {};
  const void* data[K] = {};
  DType dtype[K] = {};
  Layout layout[K] = {};
  std::int64_t strides[K][kMaxDims] = {};
};

// Host side: coalesces `shape` for `ops` and picks each operand's layout.
template <int K>
Operands<K> make_operands(const OutShape& shape, const Operand* const (&ops)[K]) {
  Operands<K> r;
  for (int d = 0; d < shape.ndim; ++d) {
    const std::int64_t size = shape.dims[d];
    if (size == 1) continue;
    bool merge = r.ndim > 0;
    for (int k = 0; k < K && merge; ++k)
      merge = r.strides[k][r.ndim - 1] == ops[k]->strides[d] * size;
    if (merge) {  // (outer, inner) with outer stride = inner stride * inner size: one dim
      r.dims[r.ndim - 1] *= size;
      for (int k = 0; k < K; ++k) r.strides[k][r.ndim - 1] = ops[k]->strides[d];
    } else {
      r.dims[r.ndim] = size;
      for (int k = 0; k < K; ++k) r.strides[k][r.ndim] = ops[k]->strides[d];
      ++r.ndim;
    }
  }
  for (int k = 0; k < K; ++k) {
    r.data[k] = ops[k]->data;
    r.dtype[k] = ops[k]->dtype;
    bool linear = true, scalar = true;
    std::int64_t contiguous = 1;
    for (int d = r.ndim - 1; d >= 0; --d) {
      linear = linear && r.strides[k][d] == contiguous;
      scalar = scalar && r.strides[k][d] == 0;
      contiguous *= r.dims[d];
    }
    r.layout[k] = linear ? Layout::kLinear : scalar ? Layout::kScalar : Layout::kStrided;
    r.any_strided = r.any_strided || r.layout[k] == Layout::kStrided;
  }
  return r;
}

// Device side: the element offset of each operand for output index i.
template <int K>
__host__ __device__ __forceinline__ void operand_offsets(const Operands<K>& ops, std::int64_t i,
                                                         std::int64_t (&off)[K]) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = ops.layout[k] == Layout::kLinear ? i : 0;
  if (!ops.any_strided) return;
  // The outermost coordinate is what is left of i: no division for it.
  std::int64_t rest = i;
  for (int d = ops.ndim - 1; d >= 0; --d) {
    const std::int64_t q = d > 0 ? rest / ops.dims[d] : 0;
    const std::int64_t c = rest - q * ops.dims[d];
    rest = q;
#pragma unroll
    for (int k = 0; k < K; ++k)
      if (ops.layout[k] == Layout::kStrided) off[k] += c * ops.strides[k][d];
  }
}

}  // namespace ndflow::cuda::impl
