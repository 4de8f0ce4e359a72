// reduce (kernels.h): one thread block per output element, or, for a few outputs with long
// reduced ranges, one per chunk of a range and a second kernel combining the chunks. Each
// thread folds the elements r = thread, thread + blockDim, ... of its block's range in order,
// then a shared-memory tree combines the threads' partials. The order depends only on the
// shape (which fixes the chunks and the block size), so a float sum rounds the same way
// every run. Semantics are the CPU's (ops/reduce.cc): sums wrap for integers; max and min
// propagate NaN; argmax and argmin give the first extreme, or the first NaN, as an index
// into the reduced axes flattened row-major. For host_stream(), reduce_on_host runs the same
// blocks, folds and trees one after the other.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/cuda/kernels.h"
#include "backends/cuda/kernels/common.cuh"
#include "ndflow/error.h"

namespace ndflow::cuda {
namespace impl {
namespace {

// The contiguous input seen as (kept dims) x (reduced dims), each list in axis order with
// neighbouring axes of the same list merged and size-1 axes dropped.
struct ReduceGeometry {
  int nkeep = 0, nred = 0;
  std::int64_t keep_dims[kMaxDims] = {}, keep_strides[kMaxDims] = {};
  std::int64_t red_dims[kMaxDims] = {}, red_strides[kMaxDims] = {};
  std::int64_t outer = 1, inner = 1;  // output elements; reduced elements per output
};

ReduceGeometry make_geometry(const OutShape& in, std::uint32_t mask) {
  if (in.ndim < 0 || in.ndim > kMaxDims || (in.ndim < 32 && (mask >> in.ndim) != 0))
    throw std::invalid_argument("ndflow: cuda::reduce: reduce_mask " + std::to_string(mask) +
                                " names axes an array of dimension " + std::to_string(in.ndim) +
                                " does not have");
  ReduceGeometry g;
  std::int64_t strides[kMaxDims] = {};
  std::int64_t s = 1;
  for (int d = in.ndim - 1; d >= 0; --d) {
    strides[d] = s;
    s *= in.dims[d];
  }
  int last = -1;  // the list the previous axis of size > 1 went to: 0 kept, 1 reduced
  for (int d = 0; d < in.ndim; ++d) {
    const bool reduced = ((mask >> d) & 1u) != 0;
    const std::int64_t size = in.dims[d];
    (reduced ? g.inner : g.outer) *= size;
    if (size == 1) continue;
    int& n = reduced ? g.nred : g.nkeep;
    std::int64_t* dims = reduced ? g.red_dims : g.keep_dims;
    std::int64_t* st = reduced ? g.red_strides : g.keep_strides;
    if (last == (reduced ? 1 : 0)) {  // follows an axis of the same list: one dimension
      dims[n - 1] *= size;
      st[n - 1] = strides[d];
    } else {
      dims[n] = size;
      st[n] = strides[d];
      ++n;
    }
    last = reduced ? 1 : 0;
  }
  return g;
}

// The offset of the i-th element (row-major) of dims/strides; i < the product of dims, so
// the outermost coordinate is what is left of i, without a division.
__host__ __device__ __forceinline__ std::int64_t offset_of(std::int64_t i, int ndim,
                                                           const std::int64_t* dims,
                                                           const std::int64_t* strides) {
  std::int64_t off = 0;
  for (int d = ndim - 1; d > 0; --d) {
    const std::int64_t q = i / dims[d];
    off += (i - q * dims[d]) * strides[d];
    i = q;
  }
  return ndim > 0 ? off + i * strides[0] : 0;
}

template <class C>
struct Acc {
  C v;
  std::int64_t index;  // of v in the reduced range; -1 while nothing is seen
};

__host__ __device__ __forceinline__ bool is_sum(ReduceOp op) {
  return op == ReduceOp::kSum || op == ReduceOp::kMean;
}

__host__ __device__ __forceinline__ bool is_max(ReduceOp op) {
  return op == ReduceOp::kMax || op == ReduceOp::kArgMax;
}

template <class C>
__host__ __device__ __forceinline__ bool better(ReduceOp op, C x, C best) {
  return is_max(op) ? x > best : x < best;
}

// Folds element x (at reduced index r) into acc; r grows from call to call.
template <class C>
__host__ __device__ __forceinline__ Acc<C> accumulate(ReduceOp op, Acc<C> acc, C x,
                                                      std::int64_t r) {
  if (is_sum(op)) return {add(acc.v, x), r};
  if (acc.index < 0) return {x, r};
  if (is_nan(acc.v)) return acc;  // the first NaN wins
  if (is_nan(x) || better(op, x, acc.v)) return {x, r};
  return acc;  // ties keep the first
}

// Combines two partials over disjoint, interleaved index sets: ties go to the lower index.
template <class C>
__host__ __device__ __forceinline__ Acc<C> combine(ReduceOp op, Acc<C> a, Acc<C> b) {
  if (is_sum(op)) return {add(a.v, b.v), 0};
  if (b.index < 0) return a;
  if (a.index < 0) return b;
  const bool a_nan = is_nan(a.v), b_nan = is_nan(b.v);
  if (a_nan || b_nan) {
    if (a_nan && b_nan) return a.index <= b.index ? a : b;
    return a_nan ? a : b;
  }
  if (better(op, b.v, a.v)) return b;
  if (better(op, a.v, b.v)) return a;
  return a.index <= b.index ? a : b;
}

// 16-byte aligned for every Acc<C>; declared once (not per template) as CUDA requires.
extern __shared__ __align__(16) unsigned char reduce_shared[];

// The block's threads' partials combined by a shared-memory tree (blockDim.x is a power of
// two), returned to every thread. The tree's shape depends on blockDim.x only.
template <class C>
__device__ Acc<C> block_combine(ReduceOp op, Acc<C> acc) {
  Acc<C>* part = reinterpret_cast<Acc<C>*>(reduce_shared);
  const unsigned t = threadIdx.x;
  part[t] = acc;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) part[t] = combine(op, part[t], part[t + half]);
    __syncthreads();
  }
  const Acc<C> total = part[0];
  __syncthreads();  // part[0] is read before the caller's next round overwrites it
  return total;
}

// Stores output o from the combined partial of its whole reduced range (`inner` elements).
template <class C>
__host__ __device__ void store_result(ReduceOp op, void* out, DType out_dtype, std::int64_t o,
                                      Acc<C> acc, std::int64_t inner) {
  if (op == ReduceOp::kArgMax || op == ReduceOp::kArgMin)
    store_as<std::int64_t>(out, out_dtype, o, acc.index);
  else if (op == ReduceOp::kMean)  // divided in double, rounded once, as on the CPU
    store_as<double>(
        out, out_dtype, o,
        inner == 0 ? nan("") : static_cast<double>(acc.v) / static_cast<double>(inner));
  else
    store_as<C>(out, out_dtype, o, acc.v);
}

// Thread t's partial of reduced elements [begin, end) of the output whose input starts at
// `base`: the elements r = begin + t, begin + t + threads, ..., folded in order.
template <class C>
__host__ __device__ Acc<C> fold_range(ReduceOp op, const void* in, DType in_dtype,
                                      const ReduceGeometry& g, std::int64_t base,
                                      std::int64_t begin, std::int64_t end, unsigned t,
                                      unsigned threads) {
  Acc<C> acc{C(0), -1};
  for (std::int64_t r = begin + t; r < end; r += threads)
    acc = accumulate(
        op, acc, load_as<C>(in, in_dtype, base + offset_of(r, g.nred, g.red_dims, g.red_strides)),
        r);
  return acc;
}

// Thread t's partial of output o's chunk partials: chunks t, t + threads, ..., in order.
template <class C>
__host__ __device__ Acc<C> fold_chunks(ReduceOp op, const Acc<C>* partials, std::int64_t o,
                                       std::int64_t chunks, unsigned t, unsigned threads) {
  Acc<C> acc{C(0), -1};
  for (std::int64_t c = t; c < chunks; c += threads)
    acc = combine(op, acc, partials[o * chunks + c]);
  return acc;
}

// Block j of the first kernel: output o's chunk c, reduced elements [begin, end).
struct ChunkOf {
  std::int64_t o, base, begin, end;
};
__host__ __device__ inline ChunkOf chunk_of(const ReduceGeometry& g, std::int64_t j,
                                            std::int64_t chunks, std::int64_t chunk) {
  const std::int64_t o = j / chunks, c = j - o * chunks;
  const std::int64_t begin = c * chunk;
  return {o, offset_of(o, g.nkeep, g.keep_dims, g.keep_strides), begin,
          begin + chunk < g.inner ? begin + chunk : g.inner};
}

// One block per (output o, chunk c) pair, the grid striding over them: the block folds
// chunk c's reduced elements, thread t taking every blockDim.x-th in order (fold_range).
// With one chunk per output the result goes to `out`; with more, the chunk's partial goes
// to partials[o * chunks + c] for combine_chunks_kernel.
template <class C>
__global__ void reduce_kernel(ReduceOp op, void* out, DType out_dtype, const void* in,
                              DType in_dtype, ReduceGeometry g, std::int64_t chunks,
                              std::int64_t chunk, Acc<C>* partials) {
  const unsigned t = threadIdx.x;
  for (std::int64_t j = blockIdx.x; j < g.outer * chunks; j += gridDim.x) {
    const ChunkOf r = chunk_of(g, j, chunks, chunk);
    const Acc<C> total = block_combine(
        op, fold_range<C>(op, in, in_dtype, g, r.base, r.begin, r.end, t, blockDim.x));
    if (t == 0) {
      if (partials)
        partials[j] = total;
      else
        store_result(op, out, out_dtype, r.o, total, g.inner);
    }
  }
}

// One block per output: combines its chunks' partials (fold_chunks, then the tree), and
// stores the result.
template <class C>
__global__ void combine_chunks_kernel(ReduceOp op, void* out, DType out_dtype,
                                      const Acc<C>* partials, std::int64_t outer,
                                      std::int64_t chunks, std::int64_t inner) {
  const unsigned t = threadIdx.x;
  for (std::int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const Acc<C> total = block_combine(op, fold_chunks<C>(op, partials, o, chunks, t, blockDim.x));
    if (t == 0) store_result(op, out, out_dtype, o, total, inner);
  }
}

// --- the same on the host (host_stream()) ---------------------------------------------------

// A block of `threads` threads on the host: each thread's partial (partial(t)), then
// block_combine's tree, level by level, in `part` (scratch the caller reuses across blocks).
template <class C, class Partial>
Acc<C> block_on_host(ReduceOp op, unsigned threads, std::vector<Acc<C>>& part, Partial&& partial) {
  part.resize(threads);
  for (unsigned t = 0; t < threads; ++t) part[t] = partial(t);
  for (unsigned half = threads / 2; half > 0; half /= 2)
    for (unsigned t = 0; t < half; ++t) part[t] = combine(op, part[t], part[t + half]);
  return part[0];
}

// reduce_kernel and combine_chunks_kernel's blocks, one after the other.
template <class C>
void reduce_on_host(ReduceOp op, void* out, DType out_dtype, const void* in, DType in_dtype,
                    const ReduceGeometry& g, std::int64_t chunks, std::int64_t chunk,
                    unsigned threads, unsigned combine_threads) {
  std::vector<Acc<C>> partials(chunks > 1 ? static_cast<std::size_t>(g.outer * chunks) : 0);
  std::vector<Acc<C>> part;  // the block's per-thread partials, reused by every block
  for (std::int64_t j = 0; j < g.outer * chunks; ++j) {
    const ChunkOf r = chunk_of(g, j, chunks, chunk);
    const Acc<C> total = block_on_host<C>(op, threads, part, [&](unsigned t) {
      return fold_range<C>(op, in, in_dtype, g, r.base, r.begin, r.end, t, threads);
    });
    if (chunks > 1)
      partials[static_cast<std::size_t>(j)] = total;
    else
      store_result(op, out, out_dtype, r.o, total, g.inner);
  }
  if (chunks == 1) return;
  for (std::int64_t o = 0; o < g.outer; ++o) {
    const Acc<C> total = block_on_host<C>(op, combine_threads, part, [&](unsigned t) {
      return fold_chunks<C>(op, partials.data(), o, chunks, t, combine_threads);
    });
    store_result(op, out, out_dtype, o, total, g.inner);
  }
}

// A power of two from 32 to kThreads, no wider than n elements need.
unsigned threads_for(std::int64_t n) {
  unsigned threads = 32;
  while (threads < static_cast<unsigned>(kThreads) && static_cast<std::int64_t>(threads) < n)
    threads *= 2;
  return threads;
}

// Few outputs with long reduced ranges (sum(x) of a large x) would leave most of the GPU
// idle at one block per output: each range is then cut into chunks of at least kChunk
// elements, at most kMaxChunks of them, one block each. The cut depends on the shape only,
// never on the device, so a float sum rounds the same way on every GPU and run.
constexpr std::int64_t kChunk = std::int64_t{1} << 16;
constexpr std::int64_t kMaxChunks = 1024;
constexpr std::int64_t kSplitBelowOutputs = 512;

std::int64_t chunks_for(const ReduceGeometry& g) {
  if (g.outer >= kSplitBelowOutputs || g.inner <= kChunk) return 1;
  return std::min((g.inner + kChunk - 1) / kChunk, kMaxChunks);
}

}  // namespace
}  // namespace impl

void reduce(void* stream, ReduceOp op, void* out, DType out_dtype, const void* in, DType in_dtype,
            DType compute, const OutShape& in_shape, std::uint32_t reduce_mask) {
  const impl::ReduceGeometry g = impl::make_geometry(in_shape, reduce_mask);
  if (g.outer <= 0) return;
  const std::int64_t chunks = impl::chunks_for(g);
  const std::int64_t chunk = (g.inner + chunks - 1) / chunks;
  const unsigned threads = impl::threads_for(chunk);
  const unsigned combine_threads = impl::threads_for(chunks);
  if (impl::on_host(stream)) {
    visit_dtype(compute, [&](auto tag) {
      impl::reduce_on_host<decltype(tag)>(op, out, out_dtype, in, in_dtype, g, chunks, chunk,
                                          threads, combine_threads);
    });
    return;
  }
  const cudaStream_t s = impl::as_stream(stream);
  const auto blocks = [](std::int64_t n) {
    return static_cast<unsigned>(std::min<std::int64_t>(n, 1 << 20));
  };
  visit_dtype(compute, [&](auto tag) {
    using C = decltype(tag);
    using Acc = impl::Acc<C>;
    if (chunks == 1) {
      impl::reduce_kernel<C><<<blocks(g.outer), threads, threads * sizeof(Acc), s>>>(
          op, out, out_dtype, in, in_dtype, g, 1, chunk, nullptr);
      NDFLOW_CUDA_CHECK_LAUNCH("reduce_kernel");
      return;
    }
    // The chunks' partials live in stream-ordered scratch, freed after the combining kernel.
    impl::with_stream_scratch(
        static_cast<std::size_t>(g.outer * chunks) * sizeof(Acc), s, [&](void* scratch) {
          Acc* partials = static_cast<Acc*>(scratch);
          impl::reduce_kernel<C><<<blocks(g.outer * chunks), threads, threads * sizeof(Acc), s>>>(
              op, out, out_dtype, in, in_dtype, g, chunks, chunk, partials);
          NDFLOW_CUDA_CHECK_LAUNCH("reduce_kernel");
          impl::combine_chunks_kernel<C>
              <<<blocks(g.outer), combine_threads, combine_threads * sizeof(Acc), s>>>(
                  op, out, out_dtype, partials, g.outer, chunks, g.inner);
          NDFLOW_CUDA_CHECK_LAUNCH("combine_chunks_kernel");
        });
  });
}

}  // namespace ndflow::cuda
