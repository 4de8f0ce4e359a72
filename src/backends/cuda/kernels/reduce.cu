// reduce (kernels.h): a thread block reduces up to 32 neighbouring outputs, one per thread
// column (x), the threads of a column (y) sharing its reduced range; where the input's
// innermost axis is reduced, a block has one column, so that a warp reads neighbouring
// elements either way (plan_for). Few outputs with long reduced ranges are cut into chunks,
// one block's column each, and a second kernel combines the chunks. Each thread folds the
// elements r = y, y + blockDim.y, ... of its column's range in order, then a shared-memory
// tree combines the column's partials. The order depends only on the shape (which fixes the
// plan), so a float sum rounds the same way every run. Semantics are the CPU's
// (ops/reduce.cc): sums wrap for integers; max and min propagate NaN; argmax and argmin give
// the first extreme, or the first NaN, as an index into the reduced axes flattened
// row-major. For host_stream(), reduce_on_host runs the same columns, folds and trees one
// after the other.
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

// How reduce cuts its work, decided from the shape alone (plan_for), so that a float sum
// rounds the same way on every GPU and in every run. A block has tx x ty threads: the tx
// along x take tx neighbouring outputs (a group), the ty along y share each output's range,
// or a chunk of it when the range is cut into `chunks` chunks of `chunk` elements (the last
// one shorter). The first kernel has groups x chunks blocks' worth of work.
struct ReducePlan {
  unsigned tx = 1, ty = 32;
  std::int64_t groups = 0;  // ceil(outer / tx)
  std::int64_t chunks = 1, chunk = 0;
  unsigned combine_threads = 32;  // per output, combining its chunks' partials
};

// 16-byte aligned for every Acc<C>; declared once (not per template) as CUDA requires.
extern __shared__ __align__(16) unsigned char reduce_shared[];

// Each column (threadIdx.x) of the block combines its threads' partials by a shared-memory
// tree over threadIdx.y (blockDim.y is a power of two); every thread gets its column's
// total. The tree's shape depends on blockDim.y only.
template <class C>
__device__ Acc<C> block_combine(ReduceOp op, Acc<C> acc) {
  Acc<C>* part = reinterpret_cast<Acc<C>*>(reduce_shared);
  const unsigned x = threadIdx.x, y = threadIdx.y, width = blockDim.x;
  part[y * width + x] = acc;
  __syncthreads();
  for (unsigned half = blockDim.y / 2; half > 0; half /= 2) {
    if (y < half)
      part[y * width + x] = combine(op, part[y * width + x], part[(y + half) * width + x]);
    __syncthreads();
  }
  const Acc<C> total = part[x];
  __syncthreads();  // part[x] is read before the caller's next round overwrites it
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

// The work of column x of the first kernel's block j: output o (o >= outer in a last,
// partial group), its chunk c, which covers reduced elements [begin, end).
struct ChunkOf {
  std::int64_t o, c, base, begin, end;
};
__host__ __device__ inline ChunkOf chunk_of(const ReduceGeometry& g, const ReducePlan& p,
                                            std::int64_t j, unsigned x) {
  const std::int64_t group = j / p.chunks, c = j - group * p.chunks;
  const std::int64_t o = group * p.tx + x, begin = c * p.chunk;
  return {o, c, o < g.outer ? offset_of(o, g.nkeep, g.keep_dims, g.keep_strides) : 0, begin,
          begin + p.chunk < g.inner ? begin + p.chunk : g.inner};
}

// Block j (the grid striding over groups x chunks) reduces chunk c of its group's outputs:
// column x takes output o, its threads folding every blockDim.y-th element in order
// (fold_range), then the column's tree. With one chunk per output the result goes to `out`;
// with more, the chunk's partial goes to partials[o * chunks + c] for combine_chunks_kernel.
template <class C>
__global__ void reduce_kernel(ReduceOp op, void* out, DType out_dtype, const void* in,
                              DType in_dtype, ReduceGeometry g, ReducePlan p, Acc<C>* partials) {
  for (std::int64_t j = blockIdx.x; j < p.groups * p.chunks; j += gridDim.x) {
    const ChunkOf r = chunk_of(g, p, j, threadIdx.x);
    const bool live = r.o < g.outer;
    Acc<C> acc{C(0), -1};
    if (live)
      acc = fold_range<C>(op, in, in_dtype, g, r.base, r.begin, r.end, threadIdx.y, blockDim.y);
    const Acc<C> total = block_combine(op, acc);  // every thread, for the tree's barriers
    if (threadIdx.y == 0 && live) {
      if (partials)
        partials[r.o * p.chunks + r.c] = total;
      else
        store_result(op, out, out_dtype, r.o, total, g.inner);
    }
  }
}

// One block (1 x combine_threads) per output: combines its chunks' partials (fold_chunks,
// then the tree), and stores the result.
template <class C>
__global__ void combine_chunks_kernel(ReduceOp op, void* out, DType out_dtype,
                                      const Acc<C>* partials, std::int64_t outer,
                                      std::int64_t chunks, std::int64_t inner) {
  const unsigned t = threadIdx.y;
  for (std::int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const Acc<C> total = block_combine(op, fold_chunks<C>(op, partials, o, chunks, t, blockDim.y));
    if (t == 0) store_result(op, out, out_dtype, o, total, inner);
  }
}

// --- the same on the host (host_stream()) ---------------------------------------------------

// One column of a block on the host: each of its `threads` threads' partial (partial(t)),
// then block_combine's tree, level by level, in `part` (scratch the caller reuses).
template <class C, class Partial>
Acc<C> block_on_host(ReduceOp op, unsigned threads, std::vector<Acc<C>>& part, Partial&& partial) {
  part.resize(threads);
  for (unsigned t = 0; t < threads; ++t) part[t] = partial(t);
  for (unsigned half = threads / 2; half > 0; half /= 2)
    for (unsigned t = 0; t < half; ++t) part[t] = combine(op, part[t], part[t + half]);
  return part[0];
}

// reduce_kernel's and combine_chunks_kernel's blocks and columns, one after the other.
template <class C>
void reduce_on_host(ReduceOp op, void* out, DType out_dtype, const void* in, DType in_dtype,
                    const ReduceGeometry& g, const ReducePlan& p, Acc<C>* partials) {
  std::vector<Acc<C>> part;  // a column's per-thread partials, reused by every column
  for (std::int64_t j = 0; j < p.groups * p.chunks; ++j) {
    for (unsigned x = 0; x < p.tx; ++x) {
      const ChunkOf r = chunk_of(g, p, j, x);
      if (r.o >= g.outer) continue;
      const Acc<C> total = block_on_host<C>(op, p.ty, part, [&](unsigned t) {
        return fold_range<C>(op, in, in_dtype, g, r.base, r.begin, r.end, t, p.ty);
      });
      if (p.chunks > 1)
        partials[r.o * p.chunks + r.c] = total;
      else
        store_result(op, out, out_dtype, r.o, total, g.inner);
    }
  }
  if (p.chunks == 1) return;
  for (std::int64_t o = 0; o < g.outer; ++o) {
    const Acc<C> total = block_on_host<C>(op, p.combine_threads, part, [&](unsigned t) {
      return fold_chunks<C>(op, partials, o, p.chunks, t, p.combine_threads);
    });
    store_result(op, out, out_dtype, o, total, g.inner);
  }
}

// --- the plan -------------------------------------------------------------------------------

// The smallest power of two >= n, but no more than cap (a power of two).
unsigned power_of_two_for(std::int64_t n, unsigned cap) {
  unsigned v = 1;
  while (v < cap && static_cast<std::int64_t>(v) < n) v *= 2;
  return v;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Rows: where the input's innermost axis is reduced (or all of them are), one output per
// block (tx = 1) and its threads on neighbouring elements. Few outputs with long ranges
// (sum(x) of a large x) would leave most of the GPU idle, so each range is then cut into
// chunks of at least kChunk elements, at most kMaxChunks of them.
constexpr std::int64_t kChunk = std::int64_t{1} << 16;
constexpr std::int64_t kMaxChunks = 1024;
constexpr std::int64_t kSplitBelowOutputs = 512;
// Columns: where the innermost axis is kept (sum over axis 0 of a matrix), one output per
// thread column, so that a warp's 32 threads read neighbouring elements of one row instead
// of 32 elements a row apart. The innermost kept axis's neighbouring outputs share a block,
// up to 32 of them. Fewer groups than kColumnBlocks have their ranges cut into chunks, for
// about kColumnBlocks blocks, each thread still folding at least kColumnFolds elements.
constexpr std::int64_t kColumnBlocks = 1024;
constexpr std::int64_t kColumnFolds = 16;

ReducePlan plan_for(const ReduceGeometry& g) {
  ReducePlan p;
  const bool columns = g.nkeep > 0 && g.keep_strides[g.nkeep - 1] == 1;
  if (columns) {
    p.tx = power_of_two_for(g.keep_dims[g.nkeep - 1], 32);
    p.groups = ceil_div(g.outer, p.tx);
    const std::int64_t most_threads = kThreads / p.tx;
    if (p.groups < kColumnBlocks)
      p.chunks = std::max<std::int64_t>(
          1, std::min({ceil_div(kColumnBlocks, p.groups),
                       ceil_div(g.inner, kColumnFolds * most_threads), kMaxChunks}));
  } else {
    p.groups = g.outer;
    if (g.outer < kSplitBelowOutputs && g.inner > kChunk)
      p.chunks = std::min(ceil_div(g.inner, kChunk), kMaxChunks);
  }
  p.chunk = ceil_div(g.inner, p.chunks);
  p.ty = power_of_two_for(p.chunk, kThreads / p.tx);
  if (!columns) p.ty = std::max(p.ty, 32u);  // a row takes at least a whole warp
  p.combine_threads = std::max(power_of_two_for(p.chunks, kThreads), 32u);
  return p;
}

}  // namespace
}  // namespace impl

std::size_t reduce_scratch_bytes(DType compute, const OutShape& in_shape,
                                 std::uint32_t reduce_mask) {
  const impl::ReduceGeometry g = impl::make_geometry(in_shape, reduce_mask);
  if (g.outer <= 0) return 0;
  const impl::ReducePlan p = impl::plan_for(g);
  if (p.chunks == 1) return 0;
  return visit_dtype(compute, [&](auto tag) {
    return static_cast<std::size_t>(g.outer * p.chunks) * sizeof(impl::Acc<decltype(tag)>);
  });
}

void reduce(void* stream, ReduceOp op, void* out, DType out_dtype, const void* in, DType in_dtype,
            DType compute, const OutShape& in_shape, std::uint32_t reduce_mask, void* scratch) {
  const impl::ReduceGeometry g = impl::make_geometry(in_shape, reduce_mask);
  if (g.outer <= 0) return;
  const impl::ReducePlan p = impl::plan_for(g);
  if (p.chunks > 1 && scratch == nullptr)
    throw std::invalid_argument(
        "ndflow: cuda::reduce: this reduction needs reduce_scratch_bytes() of scratch, and "
        "none was given");
  if (impl::on_host(stream)) {
    visit_dtype(compute, [&](auto tag) {
      using C = decltype(tag);
      impl::reduce_on_host<C>(op, out, out_dtype, in, in_dtype, g, p,
                              static_cast<impl::Acc<C>*>(scratch));
    });
    return;
  }
  const cudaStream_t s = impl::as_stream(stream);
  const auto blocks = [](std::int64_t n) {
    return static_cast<unsigned>(std::min<std::int64_t>(n, 1 << 20));
  };
  const dim3 block(p.tx, p.ty), combine_block(1, p.combine_threads);
  visit_dtype(compute, [&](auto tag) {
    using C = decltype(tag);
    using Acc = impl::Acc<C>;
    const std::size_t shared = std::size_t{p.tx} * p.ty * sizeof(Acc);
    // One chunk per output: the results go straight to `out`, and there is nothing to combine.
    Acc* partials = p.chunks > 1 ? static_cast<Acc*>(scratch) : nullptr;
    impl::reduce_kernel<C><<<blocks(p.groups * p.chunks), block, shared, s>>>(
        op, out, out_dtype, in, in_dtype, g, p, partials);
    NDFLOW_CUDA_CHECK_LAUNCH("reduce_kernel");
    if (partials == nullptr) return;
    impl::combine_chunks_kernel<C>
        <<<blocks(g.outer), combine_block, p.combine_threads * sizeof(Acc), s>>>(
            op, out, out_dtype, partials, g.outer, p.chunks, g.inner);
    NDFLOW_CUDA_CHECK_LAUNCH("combine_chunks_kernel");
  });
}

}  // namespace ndflow::cuda
