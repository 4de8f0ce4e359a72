// Launchers for the CUDA kernels of backends/cuda/kernels.h, built at the push from the
// arrays' metadata (on the pushing thread) and run by the GPU lane's worker with its stream
// (gpu_op.h). Each returns an empty CudaLaunch when the build has no CUDA or when the
// kernel cannot take the arrays as they are (then a GPU running CUDA kernels refuses the op
// at the call, saying so; simulated GPUs running the CPU's kernels never use these).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "array/array_impl.h"
#include "backends/cuda/kernels.h"
#include "ops/gpu_op.h"

namespace ndflow::detail {

// Whether `device` runs the CUDA kernels: a CUDA GPU, or a simulated one under
// NDFLOW_SIMULATED_GPU_KERNELS=cuda (which runs them on the host). Only then are the
// launchers worth building.
bool runs_cuda_kernels(Device device);

// out (contiguous) = the value whose bytes (in out's dtype) are `bits`.
CudaLaunch cuda_fill(const ArrayImpl& out, std::uint64_t bits);
// out (contiguous) = op(a) computed in `compute`; a broadcasts to out's shape.
CudaLaunch cuda_unary(cuda::UnaryOp op, const ArrayImpl& out, const ArrayImpl& a, DType compute);
// out (contiguous) = op(a, b) computed in `compute`; a and b broadcast to out's shape.
CudaLaunch cuda_binary(cuda::BinaryOp op, const ArrayImpl& out, const ArrayImpl& a,
                       const ArrayImpl& b, DType compute);
// out (contiguous) = op(a, s), or op(s, a) when scalar_first, computed in `compute`: s is
// one value of dtype `scalar_dtype` whose bytes are `bits`, passed with the launch.
CudaLaunch cuda_binary_scalar(cuda::BinaryOp op, const ArrayImpl& out, const ArrayImpl& a,
                              std::uint64_t bits, DType scalar_dtype, bool scalar_first,
                              DType compute);
// out (any strides: a view into a larger array) = a, converted to out's dtype; out and a
// have one shape.
CudaLaunch cuda_copy_into(const ArrayImpl& out, const ArrayImpl& a);
// out (contiguous) = the elements at `src`, memory of another CUDA library on out's GPU,
// read through `strides` (out's shape, in elements, any sign) in src's dtype `src_dtype`,
// once the work queued on CUDA's legacy default stream has run (a DLPack producer's).
CudaLaunch cuda_copy_from_foreign(const ArrayImpl& out, const void* src, DType src_dtype,
                                  const Shape& strides);
// The CUDA device whose memory `p` is, or -1 (foreign_memory.h); -1 in a build without CUDA.
int cuda_device_of_pointer(const void* p);
// The launches one after the other on the same stream, as one op (empty if any is).
CudaLaunch cuda_sequence(std::vector<CudaLaunch> launches);
// out (contiguous) = where(cond, a, b).
CudaLaunch cuda_where(const ArrayImpl& out, const ArrayImpl& cond, const ArrayImpl& a,
                      const ArrayImpl& b);
// out (contiguous) = where(cond, a, s), or where(cond, s, a) when scalar_when_true; the
// scalar is the value of dtype scalar_dtype in the bytes `bits` (a kernel parameter).
CudaLaunch cuda_where_scalar(const ArrayImpl& out, const ArrayImpl& cond, const ArrayImpl& a,
                             std::uint64_t bits, DType scalar_dtype, bool scalar_when_true);
// gemm, for arrays the caller has checked (see linalg.cc).
CudaLaunch cuda_gemm(const cuda::GemmArgs& args);
// The bytes of scratch cuda_reduce needs for `in` (contiguous): 0 for none, and 0 in a
// build without CUDA.
std::size_t cuda_reduce_scratch_bytes(const ArrayImpl& in, DType compute, std::uint32_t mask);
// out (contiguous) = op over the axes in `mask` of `in` (contiguous), with `scratch` (an
// array on out's device of cuda_reduce_scratch_bytes bytes, which the op must write so that
// it lives until the op has run; null for none).
CudaLaunch cuda_reduce(cuda::ReduceOp op, const ArrayImpl& out, const ArrayImpl& in, DType compute,
                       std::uint32_t mask, const ArrayImpl* scratch);
// out (contiguous float) = uniform [a, b) or normal (mean a, stddev b) numbers. A normal
// draw of an odd count needs `tail_pair` (an array of 2 of out's dtype on out's device, which
// the op must write so that it lives until the op has run; null otherwise).
CudaLaunch cuda_random(bool normal, const ArrayImpl& out, std::uint64_t seed, std::uint64_t offset,
                       double a, double b, const ArrayImpl* tail_pair);

}  // namespace ndflow::detail
