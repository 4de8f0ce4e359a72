// gemm (kernels.h) through cuBLAS. cuBLAS is column-major; a row-major matrix with row
// stride ld is its transpose seen column-major with leading dimension ld. So row-major
// C = A * B is column-major C^T = B^T * A^T: the same call with the operands swapped and
// m and n exchanged, and no transposes.
#include <cublas_v2.h>

#include <cstdint>
#include <string>

#include "backends/cuda/kernels.h"
#include "backends/cuda/kernels/common.cuh"
#include "ndflow/error.h"

namespace ndflow::cuda {
namespace impl {
namespace {

// The current device's cuBLAS handle (see PerDeviceHandles); cublasSetStream before every
// call points it at the caller's stream.
cublasHandle_t blas_handle() {
  thread_local PerDeviceHandles<cublasHandle_t> handles(
      [](cublasHandle_t h) { (void)cublasDestroy(h); });
  return handles.get([] {
    cublasHandle_t created = nullptr;
    NDFLOW_CUBLAS_CHECK(cublasCreate(&created));
    return created;
  });
}

// C = 0 for every batch when k == 0 (an empty sum), without asking cuBLAS about lda == 0.
template <class T>
__global__ void zero_kernel(T* c, std::int64_t batch, std::int64_t m, std::int64_t n,
                            std::int64_t ldc, std::int64_t batch_stride_c) {
  const std::int64_t total = batch * m * n;
  for (std::int64_t i = first_index(); i < total; i += grid_stride()) {
    const std::int64_t j = i % n, row = (i / n) % m, p = i / (m * n);
    c[p * batch_stride_c + row * ldc + j] = T(0);
  }
}

template <class T>
void zero(cudaStream_t stream, const GemmArgs& g) {
  zero_kernel<T><<<blocks_for(g.batch * g.m * g.n), kThreads, 0, stream>>>(
      static_cast<T*>(g.c), g.batch, g.m, g.n, g.ldc, g.batch_stride_c);
  NDFLOW_CUDA_CHECK_LAUNCH("zero_kernel");
}

}  // namespace
}  // namespace impl

void gemm(void* stream, const GemmArgs& g) {
  if (g.t != kFloat32 && g.t != kFloat64)
    throw DTypeError(std::string("ndflow: cuda::gemm: dtype ") + dtype_name(g.t) +
                     " is not supported; use float32 or float64");
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const cudaStream_t s = impl::as_stream(stream);
  if (g.k <= 0) {
    if (g.t == kFloat32)
      impl::zero<float>(s, g);
    else
      impl::zero<double>(s, g);
    return;
  }
  const cublasHandle_t h = impl::blas_handle();
  NDFLOW_CUBLAS_CHECK(cublasSetStream(h, s));
  NDFLOW_CUBLAS_CHECK(
      cublasSetMathMode(h, g.allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  // Column-major: (n x m) = (n x k) * (k x m), i.e. B^T then A^T.
  if (g.t == kFloat32) {
    const float one = 1.0f, zero = 0.0f;
    NDFLOW_CUBLAS_CHECK(cublasSgemmStridedBatched_64(
        h, CUBLAS_OP_N, CUBLAS_OP_N, g.n, g.m, g.k, &one, static_cast<const float*>(g.b), g.ldb,
        g.batch_stride_b, static_cast<const float*>(g.a), g.lda, g.batch_stride_a, &zero,
        static_cast<float*>(g.c), g.ldc, g.batch_stride_c, g.batch));
  } else {
    const double one = 1.0, zero = 0.0;
    NDFLOW_CUBLAS_CHECK(cublasDgemmStridedBatched_64(
        h, CUBLAS_OP_N, CUBLAS_OP_N, g.n, g.m, g.k, &one, static_cast<const double*>(g.b), g.ldb,
        g.batch_stride_b, static_cast<const double*>(g.a), g.lda, g.batch_stride_a, &zero,
        static_cast<double*>(g.c), g.ldc, g.batch_stride_c, g.batch));
  }
}

}  // namespace ndflow::cuda
