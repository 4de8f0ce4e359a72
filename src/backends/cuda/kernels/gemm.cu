// gemm (kernels.h): cuBLAS for float operands it can read in place, a plain kernel for the
// rest, and for everything on the host. cuBLAS is column-major; a row-major matrix with row
// stride ld is its transpose seen column-major with leading dimension ld. So row-major
// C = A * B is column-major C^T = B^T * A^T: the same call with the operands swapped and m
// and n exchanged. An operand stored column-major (a transposed view) is read with
// CUBLAS_OP_T instead.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <mutex>

#include "backends/cuda/kernels.h"
#include "backends/cuda/kernels/common.cuh"
#include "backends/gemm_layout.h"
#include "runtime/gpu_exit_handler.h"

namespace ndflow::cuda {
namespace impl {
namespace {

// The cuBLAS handle for `stream` (see PerStreamHandles); cublasSetStream before every call
// still binds it, as a new handle starts on the default stream.
cublasHandle_t blas_handle(cudaStream_t stream) {
  thread_local PerStreamHandles<cublasHandle_t> handles(
      [](cublasHandle_t h) { (void)cublasDestroy(h); });
  return handles.get(stream, [] {
    cublasHandle_t created = nullptr;
    NDFLOW_CUBLAS_CHECK(cublasCreate(&created));
    return created;
  });
}

// One thread per element of C: the sum over k in C's compute type, reading a and b through
// any strides and dtypes. For integer, bool and mixed-dtype products, which cuBLAS does not
// do, for layouts it cannot read, and on the host; k == 0 leaves the empty sum, zero.
template <class C>
struct PlainGemmElement {
  GemmArgs g;
  __host__ __device__ void operator()(std::int64_t i) const {
    const std::int64_t j = i % g.n, row = (i / g.n) % g.m, p = i / (g.m * g.n);
    const std::int64_t a0 = p * g.a.batch_stride + row * g.a.rs;
    const std::int64_t b0 = p * g.b.batch_stride + j * g.b.cs;
    C acc = C(0);
    for (std::int64_t k = 0; k < g.k; ++k) {
      const C x = load_as<C>(g.a.data, g.a.dtype, a0 + k * g.a.cs);
      const C y = load_as<C>(g.b.data, g.b.dtype, b0 + k * g.b.rs);
      if constexpr (is_bool_v<C>)
        acc = acc || (x && y);
      else if constexpr (is_float_v<C>)
        acc += x * y;
      else  // wraps, as NumPy's integers do
        acc = static_cast<C>(static_cast<wrap_t<C>>(acc) +
                             static_cast<wrap_t<C>>(x) * static_cast<wrap_t<C>>(y));
    }
    store_as<C>(g.c, g.t, p * g.batch_stride_c + row * g.ldc + j, acc);
  }
};

void plain_gemm(void* stream, const GemmArgs& g) {
  visit_dtype(g.t, [&](auto tag) {
    for_each_element(stream, g.batch * g.m * g.n, PlainGemmElement<decltype(tag)>{g},
                     "launch of the plain gemm kernel");
  });
}

// cuBLAS's view of one operand: transposed or not, and its leading dimension.
struct BlasOperand {
  cublasOperation_t op = CUBLAS_OP_N;
  std::int64_t ld = 0;
};

// Whether cuBLAS can run g: float operands of g's dtype that it reads in place.
bool cublas_can_run(const GemmArgs& g, BlasOperand* a, BlasOperand* b) {
  if ((g.t != kFloat32 && g.t != kFloat64) || g.a.dtype != g.t || g.b.dtype != g.t || g.k <= 0)
    return false;
  const detail::GemmLayout la = detail::gemm_layout(g.m, g.k, g.a.rs, g.a.cs);
  const detail::GemmLayout lb = detail::gemm_layout(g.k, g.n, g.b.rs, g.b.cs);
  if (!la.ok || !lb.ok || g.ldc < std::max<std::int64_t>(1, g.n)) return false;
  // cuBLAS documents no negative batch strides (x[::-1] @ y): the plain kernel takes them.
  if (g.batch > 1 && (g.a.batch_stride < 0 || g.b.batch_stride < 0 || g.batch_stride_c < 0))
    return false;
  *a = {la.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, la.ld};
  *b = {lb.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, lb.ld};
  return true;
}

// Whether g is one product whose sizes fit cuBLAS's 32-bit interface. Such a product goes
// through plain cublas<t>gemm, as torch.mm's does: cuBLAS picks kernels per entry point,
// and a batch of one through the 64-bit batched call need not get the same.
bool single_int32_product(const GemmArgs& g, const BlasOperand& a, const BlasOperand& b) {
  constexpr std::int64_t kMax = INT32_MAX;
  return g.batch == 1 && g.m <= kMax && g.n <= kMax && g.k <= kMax && a.ld <= kMax &&
         b.ld <= kMax && g.ldc <= kMax;
}

template <class T, class Single, class Batched>
void blas_gemm(cublasHandle_t h, const GemmArgs& g, const BlasOperand& a, const BlasOperand& b,
               Single single, Batched batched) {
  const T one = 1, zero = 0;
  const T* bp = static_cast<const T*>(g.b.data);
  const T* ap = static_cast<const T*>(g.a.data);
  T* cp = static_cast<T*>(g.c);
  // Column-major: (n x m) = op(B)^T-view (n x k) * op(A)^T-view (k x m): B first, then A.
  if (single_int32_product(g, a, b)) {
    NDFLOW_CUBLAS_CHECK(single(h, b.op, a.op, static_cast<int>(g.n), static_cast<int>(g.m),
                               static_cast<int>(g.k), &one, bp, static_cast<int>(b.ld), ap,
                               static_cast<int>(a.ld), &zero, cp, static_cast<int>(g.ldc)));
    return;
  }
  NDFLOW_CUBLAS_CHECK(batched(h, b.op, a.op, g.n, g.m, g.k, &one, bp, b.ld, g.b.batch_stride, ap,
                              a.ld, g.a.batch_stride, &zero, cp, g.ldc, g.batch_stride_c, g.batch));
}

}  // namespace
}  // namespace impl

void gemm(void* stream, const GemmArgs& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  impl::BlasOperand a, b;
  if (impl::on_host(stream) || !impl::cublas_can_run(g, &a, &b)) {
    impl::plain_gemm(stream, g);
    return;
  }
  const cudaStream_t s = impl::as_stream(stream);
  const cublasHandle_t h = impl::blas_handle(s);
  NDFLOW_CUBLAS_CHECK(cublasSetStream(h, s));
  NDFLOW_CUBLAS_CHECK(
      cublasSetMathMode(h, g.allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  if (g.t == kFloat32)
    impl::blas_gemm<float>(h, g, a, b, cublasSgemm, cublasSgemmStridedBatched_64);
  else
    impl::blas_gemm<double>(h, g, a, b, cublasDgemm, cublasDgemmStridedBatched_64);
  // By now cuBLAS (and cuBLASLt, which it calls for products) have started their runtimes.
  static std::once_flag cublas_started;
  detail::keep_gpu_exit_handler_first(cublas_started);
}

}  // namespace ndflow::cuda
