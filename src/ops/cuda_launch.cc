#include "ops/cuda_launch.h"

#include "backends/cuda/foreign_memory.h"
#include "gpu/gpu_device.h"

namespace ndflow::detail {
namespace {

#if NDFLOW_HAS_CUDA
cuda::OutShape out_shape_of(const Shape& s) {
  cuda::OutShape o;
  o.ndim = s.ndim();
  for (int i = 0; i < s.ndim(); ++i) o.dims[i] = s[i];
  return o;
}

// `a` as seen in the output's shape: its dims align to the right; a missing or size-1 dim
// that the output has larger reads with stride 0 (NumPy broadcasting).
cuda::Operand operand_of(const ArrayImpl& a, const Shape& out) {
  cuda::Operand op;
  op.data = a.data();
  op.dtype = a.dtype;
  const int lead = out.ndim() - a.shape.ndim();
  for (int d = 0; d < out.ndim(); ++d) {
    const int ad = d - lead;
    op.strides[d] = ad < 0 || a.shape[ad] == 1 ? 0 : a.strides[ad];
  }
  return op;
}
#endif

}  // namespace

bool runs_cuda_kernels(Device device) { return !device.is_cpu() && !gpus_run_cpu_kernels(); }

CudaLaunch cuda_sequence(std::vector<CudaLaunch> launches) {
  for (const CudaLaunch& l : launches)
    if (!l) return {};
  return [launches = std::move(launches)](void* s) {
    for (const CudaLaunch& l : launches) l(s);
  };
}

#if NDFLOW_HAS_CUDA

CudaLaunch cuda_fill(const ArrayImpl& out, std::uint64_t bits) {
  if (!out.is_contiguous()) return {};
  return [data = out.data(), t = out.dtype, n = out.shape.numel(), bits](void* s) {
    cuda::fill(s, data, t, n, &bits);  // the value is read here, on the host, at the launch
  };
}

CudaLaunch cuda_unary(cuda::UnaryOp op, const ArrayImpl& out, const ArrayImpl& a, DType compute) {
  if (!out.is_contiguous()) return {};
  return [op, data = out.data(), t = out.dtype, in = operand_of(a, out.shape), compute,
          shape = out_shape_of(out.shape)](void* s) {
    cuda::unary(s, op, data, t, in, compute, shape);
  };
}

CudaLaunch cuda_binary(cuda::BinaryOp op, const ArrayImpl& out, const ArrayImpl& a,
                       const ArrayImpl& b, DType compute) {
  if (!out.is_contiguous()) return {};
  return [op, data = out.data(), t = out.dtype, x = operand_of(a, out.shape),
          y = operand_of(b, out.shape), compute, shape = out_shape_of(out.shape)](void* s) {
    cuda::binary(s, op, data, t, x, y, compute, shape);
  };
}

CudaLaunch cuda_binary_scalar(cuda::BinaryOp op, const ArrayImpl& out, const ArrayImpl& a,
                              std::uint64_t bits, DType scalar_dtype, bool scalar_first,
                              DType compute) {
  if (!out.is_contiguous()) return {};
  return [op, data = out.data(), t = out.dtype, x = operand_of(a, out.shape), bits, scalar_dtype,
          scalar_first, compute, shape = out_shape_of(out.shape)](void* s) {
    cuda::binary_scalar(s, op, data, t, x, bits, scalar_dtype, scalar_first, compute, shape);
  };
}

CudaLaunch cuda_copy_into(const ArrayImpl& out, const ArrayImpl& a) {
  return [to = operand_of(out, out.shape), from = operand_of(a, out.shape),
          shape = out_shape_of(out.shape)](void* s) { cuda::copy_into(s, to, from, shape); };
}

CudaLaunch cuda_copy_from_foreign(const ArrayImpl& out, const void* src, DType src_dtype,
                                  const Shape& strides) {
  cuda::Operand from;
  from.data = src;
  from.dtype = src_dtype;
  for (int d = 0; d < strides.ndim(); ++d) from.strides[d] = strides[d];
  return [to = operand_of(out, out.shape), from, shape = out_shape_of(out.shape)](void* s) {
    cuda::wait_for_legacy_default_stream(s);
    cuda::copy_into(s, to, from, shape);
  };
}

int cuda_device_of_pointer(const void* p) { return cuda::device_of_pointer(p); }

CudaLaunch cuda_where(const ArrayImpl& out, const ArrayImpl& cond, const ArrayImpl& a,
                      const ArrayImpl& b) {
  if (!out.is_contiguous()) return {};
  return [data = out.data(), t = out.dtype, c = operand_of(cond, out.shape),
          x = operand_of(a, out.shape), y = operand_of(b, out.shape),
          shape = out_shape_of(out.shape)](void* s) { cuda::where(s, data, t, c, x, y, shape); };
}

CudaLaunch cuda_where_scalar(const ArrayImpl& out, const ArrayImpl& cond, const ArrayImpl& a,
                             std::uint64_t bits, DType scalar_dtype, bool scalar_when_true) {
  if (!out.is_contiguous()) return {};
  return [data = out.data(), t = out.dtype, c = operand_of(cond, out.shape),
          x = operand_of(a, out.shape), bits, scalar_dtype, scalar_when_true,
          shape = out_shape_of(out.shape)](void* s) {
    cuda::where_scalar(s, data, t, c, x, bits, scalar_dtype, scalar_when_true, shape);
  };
}

CudaLaunch cuda_gemm(const cuda::GemmArgs& args) {
  return [args](void* s) { cuda::gemm(s, args); };
}

std::size_t cuda_reduce_scratch_bytes(const ArrayImpl& in, DType compute, std::uint32_t mask) {
  return cuda::reduce_scratch_bytes(compute, out_shape_of(in.shape), mask);
}

CudaLaunch cuda_reduce(cuda::ReduceOp op, const ArrayImpl& out, const ArrayImpl& in, DType compute,
                       std::uint32_t mask, const ArrayImpl* scratch) {
  if (!out.is_contiguous() || !in.is_contiguous()) return {};
  return [op, data = out.data(), t = out.dtype, src = in.data(), in_t = in.dtype, compute,
          shape = out_shape_of(in.shape), mask, tmp = scratch ? scratch->data() : nullptr](
             void* s) { cuda::reduce(s, op, data, t, src, in_t, compute, shape, mask, tmp); };
}

CudaLaunch cuda_random(bool normal, const ArrayImpl& out, std::uint64_t seed, std::uint64_t offset,
                       double a, double b, const ArrayImpl* tail_pair) {
  if (!out.is_contiguous() || !is_floating(out.dtype)) return {};
  return [normal, data = out.data(), t = out.dtype, n = out.shape.numel(), seed, offset, a, b,
          pair = tail_pair ? tail_pair->data() : nullptr](void* s) {
    if (normal)
      cuda::normal(s, data, t, n, seed, offset, a, b, pair);
    else
      cuda::uniform(s, data, t, n, seed, offset, a, b);
  };
}

#else  // no CUDA in this build: nothing to launch

CudaLaunch cuda_copy_into(const ArrayImpl&, const ArrayImpl&) { return {}; }
CudaLaunch cuda_copy_from_foreign(const ArrayImpl&, const void*, DType, const Shape&) { return {}; }
int cuda_device_of_pointer(const void*) { return -1; }

CudaLaunch cuda_fill(const ArrayImpl&, std::uint64_t) { return {}; }
CudaLaunch cuda_unary(cuda::UnaryOp, const ArrayImpl&, const ArrayImpl&, DType) { return {}; }
CudaLaunch cuda_binary(cuda::BinaryOp, const ArrayImpl&, const ArrayImpl&, const ArrayImpl&,
                       DType) {
  return {};
}
CudaLaunch cuda_where(const ArrayImpl&, const ArrayImpl&, const ArrayImpl&, const ArrayImpl&) {
  return {};
}
CudaLaunch cuda_binary_scalar(cuda::BinaryOp, const ArrayImpl&, const ArrayImpl&, std::uint64_t,
                              DType, bool, DType) {
  return {};
}
CudaLaunch cuda_where_scalar(const ArrayImpl&, const ArrayImpl&, const ArrayImpl&, std::uint64_t,
                             DType, bool) {
  return {};
}
CudaLaunch cuda_gemm(const cuda::GemmArgs&) { return {}; }
std::size_t cuda_reduce_scratch_bytes(const ArrayImpl&, DType, std::uint32_t) { return 0; }
CudaLaunch cuda_reduce(cuda::ReduceOp, const ArrayImpl&, const ArrayImpl&, DType, std::uint32_t,
                       const ArrayImpl*) {
  return {};
}
CudaLaunch cuda_random(bool, const ArrayImpl&, std::uint64_t, std::uint64_t, double, double,
                       const ArrayImpl*) {
  return {};
}

#endif

}  // namespace ndflow::detail
