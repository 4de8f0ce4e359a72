// Linear algebra: matmul and dot with NumPy's semantics.
//
// Every product becomes one batched GEMM job: `batch` products C_i = A_i @ B_i of an
// M x K by a K x N matrix, each operand given by a base pointer, per-batch offsets and a
// row and column stride (any strides, any dtype). float32 and float64 go through OpenBLAS,
// held at one thread per call (blas_init); operands that BLAS cannot take as they are
// (another dtype, neither row-major with unit inner stride nor transposed, negative or zero
// strides) are packed into contiguous temporaries inside the kernel. Integer and bool
// products use a plain loop in the result dtype (wrapping like NumPy; bool is the logical
// or of ands).
//
// Threading (docs/threading.md): the work is the batch * M output rows; a job is pushed as
// one op unless it has enough multiply-adds to give each compute worker at least
// kMatmulGrain of them, in which case launch_parallel splits the rows (over the batch and
// into row panels) into one piece per worker.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "array/array_impl.h"
#include "backends/cpu/blas.h"
#include "backends/cpu/strided_loop.h"
#include "backends/gemm_layout.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {

using detail::impl_of;

namespace {

// The least multiply-adds a piece of a split product gets.
constexpr std::int64_t kMatmulGrain = std::int64_t{1} << 21;

struct MatOperand {
  const char* base = nullptr;  // first element of the array (its offset applied)
  DType dtype = kFloat32;
  std::int64_t rs = 0, cs = 0;        // row and column strides, in elements
  std::vector<std::int64_t> offsets;  // per batch entry, in elements from base
};

struct GemmJob {
  std::int64_t batch = 0, M = 0, N = 0, K = 0;
  MatOperand a, b;
  char* c = nullptr;  // result dtype, unit column stride
  std::int64_t c_rs = 0;
  std::vector<std::int64_t> c_offsets;
  DType dtype = kFloat32;
  Array keep_a, keep_b, keep_c;  // keep the storage alive until the kernel has run
};

// The type integer arithmetic runs in so that it wraps like NumPy's (defined in C++):
// unsigned for the integers, the type itself for bool and the floats.
template <class T>
using Wrap = typename std::conditional_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                         std::make_unsigned<T>, std::type_identity<T>>::type;

// A temporary of n elements (std::vector<bool> has no data()).
template <class T>
struct Buffer {
  std::unique_ptr<T[]> p;
  T* alloc(std::int64_t n) {
    p.reset(new T[static_cast<std::size_t>(std::max<std::int64_t>(n, 1))]);
    return p.get();
  }
};

template <class T>
T load_as(const char* p, DType t) {
  return visit_dtype(t, [p](auto tag) {
    using S = decltype(tag);
    return static_cast<T>(*reinterpret_cast<const S*>(p));
  });
}

// Copies rows x cols of `m` (entry bi, rows from r0) into a row-major T buffer.
template <class T>
void pack(const MatOperand& m, std::int64_t bi, std::int64_t r0, std::int64_t rows,
          std::int64_t cols, T* dst) {
  visit_dtype(m.dtype, [&](auto tag) {
    using S = decltype(tag);
    const S* src =
        reinterpret_cast<const S*>(m.base) + m.offsets[static_cast<std::size_t>(bi)] + r0 * m.rs;
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        dst[i * cols + j] = static_cast<T>(src[i * m.rs + j * m.cs]);
  });
}

// How BLAS reads a rows x cols matrix in place (backends/gemm_layout.h), in CBLAS's terms.
struct BlasLayout {
  bool ok = false;
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  std::int64_t ld = 0;
};
BlasLayout blas_layout(std::int64_t rows, std::int64_t cols, std::int64_t rs, std::int64_t cs) {
  const detail::GemmLayout l = detail::gemm_layout(rows, cols, rs, cs);
  return {l.ok, l.transposed ? CblasTrans : CblasNoTrans, l.ld};
}

template <class T>
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::int64_t m, std::int64_t n, std::int64_t k,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T* c, std::int64_t ldc) {
  const auto i = [](std::int64_t v) { return static_cast<blasint>(v); };
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), 1.0f, a, i(lda), b, i(ldb), 0.0f, c,
                i(ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), 1.0, a, i(lda), b, i(ldb), 0.0, c, i(ldc));
}

// Rows [r0, r1) of product bi, for a floating result: BLAS.
template <class T>
void panel_blas(const GemmJob& job, std::int64_t bi, std::int64_t r0, std::int64_t r1) {
  const std::int64_t rows = r1 - r0, N = job.N, K = job.K;
  T* c = reinterpret_cast<T*>(job.c) + job.c_offsets[static_cast<std::size_t>(bi)] + r0 * job.c_rs;
  Buffer<T> a_buf, b_buf;
  const T* a;
  const T* b;
  BlasLayout la =
      job.a.dtype == job.dtype ? blas_layout(rows, K, job.a.rs, job.a.cs) : BlasLayout{};
  if (la.ok) {
    a = reinterpret_cast<const T*>(job.a.base) + job.a.offsets[static_cast<std::size_t>(bi)] +
        r0 * job.a.rs;
  } else {
    T* buf = a_buf.alloc(rows * K);
    pack(job.a, bi, r0, rows, K, buf);
    a = buf;
    la = {true, CblasNoTrans, K};
  }
  BlasLayout lb = job.b.dtype == job.dtype ? blas_layout(K, N, job.b.rs, job.b.cs) : BlasLayout{};
  if (lb.ok) {
    b = reinterpret_cast<const T*>(job.b.base) + job.b.offsets[static_cast<std::size_t>(bi)];
  } else {
    T* buf = b_buf.alloc(K * N);
    pack(job.b, bi, 0, K, N, buf);
    b = buf;
    lb = {true, CblasNoTrans, N};
  }
  gemm<T>(la.trans, lb.trans, rows, N, K, a, la.ld, b, lb.ld, c, rows == 1 ? N : job.c_rs);
}

// Rows [r0, r1) of product bi, for an integer or bool result: a plain i-k-j loop.
template <class T>
void panel_loop(const GemmJob& job, std::int64_t bi, std::int64_t r0, std::int64_t r1) {
  using U = Wrap<T>;
  const std::int64_t rows = r1 - r0, N = job.N, K = job.K;
  T* c = reinterpret_cast<T*>(job.c) + job.c_offsets[static_cast<std::size_t>(bi)] + r0 * job.c_rs;
  Buffer<T> a_buf, b_buf;
  const T* a;
  const T* b;
  std::int64_t a_rs = job.a.rs, a_cs = job.a.cs, b_rs = job.b.rs, b_cs = job.b.cs;
  if (job.a.dtype == job.dtype) {
    a = reinterpret_cast<const T*>(job.a.base) + job.a.offsets[static_cast<std::size_t>(bi)] +
        r0 * a_rs;
  } else {
    T* buf = a_buf.alloc(rows * K);
    pack(job.a, bi, r0, rows, K, buf);
    a = buf;
    a_rs = K;
    a_cs = 1;
  }
  if (job.b.dtype == job.dtype && job.b.cs == 1) {
    b = reinterpret_cast<const T*>(job.b.base) + job.b.offsets[static_cast<std::size_t>(bi)];
  } else {  // the inner loop walks B's rows: make them contiguous
    T* buf = b_buf.alloc(K * N);
    pack(job.b, bi, 0, K, N, buf);
    b = buf;
    b_rs = N;
    b_cs = 1;
  }
  (void)b_cs;
  for (std::int64_t i = 0; i < rows; ++i) {
    T* ci = c + i * job.c_rs;
    std::fill(ci, ci + N, T{});
    for (std::int64_t k = 0; k < K; ++k) {
      const T aik = a[i * a_rs + k * a_cs];
      if (aik == T{}) continue;
      const T* bk = b + k * b_rs;
      if constexpr (std::is_same_v<T, bool>) {
        for (std::int64_t j = 0; j < N; ++j) ci[j] = ci[j] || bk[j];
      } else {
        const U ua = static_cast<U>(aik);
        for (std::int64_t j = 0; j < N; ++j)
          ci[j] =
              static_cast<T>(static_cast<U>(static_cast<U>(ci[j]) + ua * static_cast<U>(bk[j])));
      }
    }
  }
}

// Whether the batch entries' offsets are evenly spaced (stride 0 for a broadcast operand),
// and that spacing.
bool evenly_spaced(const std::vector<std::int64_t>& offsets, std::int64_t* stride) {
  *stride = offsets.size() > 1 ? offsets[1] - offsets[0] : 0;
  for (std::size_t i = 0; i < offsets.size(); ++i)
    if (offsets[i] != static_cast<std::int64_t>(i) * *stride) return false;
  return true;
}

// set_float32_matmul_precision's choice: whether float32 products may use TF32.
std::atomic<bool> g_allow_tf32{false};

// The job on a CUDA GPU: one batched cuda::gemm when the batch entries are evenly spaced in
// every operand, else one gemm per entry (a broadcast over two or more batch dims). gemm
// itself takes any dtypes and strides (cuBLAS where it can, a plain kernel otherwise).
detail::CudaLaunch cuda_gemm_of(const GemmJob& job) {
  if (!detail::runs_cuda_kernels(job.keep_c.device())) return {};
  const auto matrix = [](const MatOperand& m) {
    cuda::GemmMatrix g;
    g.data = m.base;
    g.dtype = m.dtype;
    g.rs = m.rs;
    g.cs = m.cs;
    return g;
  };
  cuda::GemmArgs g;
  g.t = job.dtype;
  g.batch = job.batch;
  g.m = job.M;
  g.n = job.N;
  g.k = job.K;
  g.a = matrix(job.a);
  g.b = matrix(job.b);
  g.c = job.c;
  g.ldc = job.c_rs;
  g.allow_tf32 = job.dtype == kFloat32 && g_allow_tf32.load(std::memory_order_relaxed);
  if (evenly_spaced(job.a.offsets, &g.a.batch_stride) &&
      evenly_spaced(job.b.offsets, &g.b.batch_stride) &&
      evenly_spaced(job.c_offsets, &g.batch_stride_c))
    return detail::cuda_gemm(g);
  std::vector<detail::CudaLaunch> entries;
  entries.reserve(static_cast<std::size_t>(job.batch));
  const auto bytes = [](DType t, std::int64_t elements) {
    return elements * static_cast<std::int64_t>(dtype_size(t));
  };
  for (std::size_t p = 0; p < static_cast<std::size_t>(job.batch); ++p) {
    cuda::GemmArgs one = g;
    one.batch = 1;
    one.a.data = job.a.base + bytes(job.a.dtype, job.a.offsets[p]);
    one.b.data = job.b.base + bytes(job.b.dtype, job.b.offsets[p]);
    one.c = job.c + bytes(job.dtype, job.c_offsets[p]);
    entries.push_back(detail::cuda_gemm(one));
  }
  return detail::cuda_sequence(std::move(entries));
}

// Pushes the job: one op, or row pieces across the workers when it is large.
void launch_gemm(const char* name, std::shared_ptr<GemmJob> job) {
  const std::int64_t rows = job->batch * job->M;
  const Array& a = job->keep_a;
  const Array& b = job->keep_b;
  const Array& c = job->keep_c;
  if (rows == 0 || job->N == 0) {  // an empty result: an op only to order it (and fail it)
    detail::launch(
        name, detail::VarsOf{&a, &b}, detail::VarsOf{&c}, c.device(), [] {}, [](void*) {});
    return;
  }
  if (is_floating(job->dtype)) detail::blas_init();  // OpenBLAS at one thread, before any call
  const std::int64_t per_row = std::max<std::int64_t>(1, job->N * job->K);
  const std::int64_t grain = (kMatmulGrain + per_row - 1) / per_row;
  visit_dtype(job->dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::launch_parallel(
        name, detail::VarsOf{&a, &b}, detail::VarsOf{&c}, c.device(), rows,
        [job](std::int64_t begin, std::int64_t end) {
          const std::int64_t M = job->M;
          for (std::int64_t r = begin; r < end;) {
            const std::int64_t bi = r / M, r0 = r % M;
            const std::int64_t r1 = std::min(M, r0 + (end - r));
            if (job->K == 0) {  // an empty sum: zeros
              for (std::int64_t i = r0; i < r1; ++i) {
                T* ci = reinterpret_cast<T*>(job->c) +
                        job->c_offsets[static_cast<std::size_t>(bi)] + i * job->c_rs;
                std::fill(ci, ci + job->N, T{});
              }
            } else if constexpr (std::is_floating_point_v<T>) {
              panel_blas<T>(*job, bi, r0, r1);
            } else {
              panel_loop<T>(*job, bi, r0, r1);
            }
            r += r1 - r0;
          }
        },
        grain, cuda_gemm_of(*job));
  });
}

// Per-entry offsets (in elements) of an operand whose batch dims `shape` (strides
// `strides`) broadcast to `out`, in row-major order of `out`.
std::vector<std::int64_t> batch_offsets(const Shape& out, const std::vector<std::int64_t>& shape,
                                        const std::vector<std::int64_t>& strides) {
  const std::int64_t n = out.numel();
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(n));
  const int lead = out.ndim() - static_cast<int>(shape.size());
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rest = i, off = 0;
    for (int d = out.ndim() - 1; d >= 0; --d) {
      const std::int64_t coord = rest % out[d];
      rest /= out[d];
      const int od = d - lead;
      if (od >= 0 && shape[static_cast<std::size_t>(od)] != 1)
        off += coord * strides[static_cast<std::size_t>(od)];
    }
    offsets[static_cast<std::size_t>(i)] = off;
  }
  return offsets;
}

MatOperand operand_of(const Array& x, std::int64_t rs, std::int64_t cs) {
  MatOperand m;
  m.base = x.impl()->data();
  m.dtype = x.dtype();
  m.rs = rs;
  m.cs = cs;
  return m;
}

// result[i] = a[i] * b[i] where one of them is 0-d (dot's scaling case).
Array scale(const Array& a, const Array& b) {
  if (detail::runs_cuda_kernels(a.device())) return multiply(a, b);  // the element-wise kernel
  const bool a_scalar = a.ndim() == 0;
  const Array& s = a_scalar ? a : b;  // the 0-d one
  const Array& x = a_scalar ? b : a;
  const DType dtype = promote_types(a.dtype(), b.dtype());
  Array out = detail::new_array(x.shape(), dtype, x.device());
  if (out.size() == 0) {
    detail::launch("dot", detail::VarsOf{&a, &b}, detail::VarsOf{&out}, out.device(), [] {});
    return out;
  }
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    using U = Wrap<T>;
    const detail::ArrayImpl& xi = *x.impl();
    const Shape out_strides = out.strides();
    const detail::StridedPlan<2> plan(
        xi.shape, {&out_strides, &xi.strides},
        {static_cast<std::int64_t>(sizeof(T)), static_cast<std::int64_t>(dtype_size(xi.dtype))});
    detail::launch_parallel(
        "dot", detail::VarsOf{&a, &b}, detail::VarsOf{&out}, out.device(), out.size(),
        [s, x, out, plan](std::int64_t begin, std::int64_t end) {
          const T sv = load_as<T>(s.impl()->data(), s.dtype());
          visit_dtype(x.dtype(), [&](auto src_tag) {
            using S = decltype(src_tag);
            plan.for_each_run(
                {out.impl()->data(), x.impl()->data()}, begin, end,
                [sv](std::array<char*, 2> p, std::array<std::int64_t, 2> step, std::int64_t n) {
                  for (std::int64_t i = 0; i < n; ++i) {
                    const T v = static_cast<T>(*reinterpret_cast<const S*>(p[1] + i * step[1]));
                    T& o = *reinterpret_cast<T*>(p[0] + i * step[0]);
                    if constexpr (std::is_same_v<T, bool>)
                      o = v && sv;
                    else
                      o = static_cast<T>(static_cast<U>(v) * static_cast<U>(sv));
                  }
                });
          });
        });
  });
  return out;
}

// NumPy's dot for a >= 2-d and b > 2-d (or a > 2-d and b 2-d): the sum over a's last axis
// and b's second-to-last, result a.shape[:-1] + b.shape[:-2] + b.shape[-1:].
Array dot_nd(const Array& a, const Array& b) {
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const std::int64_t K = as[as.ndim() - 1];
  if (K != bs[bs.ndim() - 2])
    throw ShapeError("ndflow: dot: shapes " + as.to_string() + " and " + bs.to_string() +
                     " not aligned: " + std::to_string(K) + " (dim " +
                     std::to_string(as.ndim() - 1) + ") != " + std::to_string(bs[bs.ndim() - 2]) +
                     " (dim " + std::to_string(bs.ndim() - 2) + ")");
  std::vector<std::int64_t> out_dims(as.begin(), as.end() - 1);
  out_dims.insert(out_dims.end(), bs.begin(), bs.end() - 2);
  out_dims.push_back(bs[bs.ndim() - 1]);
  const Shape out_shape(out_dims);  // throws ShapeError past kMaxDims
  std::int64_t Pa = 1;
  for (int d = 0; d + 1 < as.ndim(); ++d) Pa *= as[d];
  const Array a2 = a.reshape({Pa, K});  // a view when the strides allow, else a copy
  const std::vector<std::int64_t> b_batch(bs.begin(), bs.end() - 2);
  const std::vector<std::int64_t> b_batch_strides(b.strides().begin(), b.strides().end() - 2);
  const Shape batch_shape(b_batch);

  auto job = std::make_shared<GemmJob>();
  job->dtype = promote_types(a.dtype(), b.dtype());
  job->keep_c = detail::new_array(out_shape, job->dtype, a.device());
  job->batch = batch_shape.numel();
  job->M = Pa;
  job->K = K;
  job->N = bs[bs.ndim() - 1];
  job->a = operand_of(a2, a2.strides()[0], a2.strides()[1]);
  job->a.offsets.assign(static_cast<std::size_t>(job->batch), 0);
  job->b = operand_of(b, b.strides()[bs.ndim() - 2], b.strides()[bs.ndim() - 1]);
  job->b.offsets = batch_offsets(batch_shape, b_batch, b_batch_strides);
  job->c = job->keep_c.impl()->data();
  job->c_rs = job->batch * job->N;
  job->c_offsets.resize(static_cast<std::size_t>(job->batch));
  for (std::int64_t i = 0; i < job->batch; ++i)
    job->c_offsets[static_cast<std::size_t>(i)] = i * job->N;
  job->keep_a = a2;
  job->keep_b = b;
  Array out = job->keep_c;
  launch_gemm("dot", std::move(job));
  return out;
}

}  // namespace

Array matmul(const Array& a, const Array& b) {
  const detail::ArrayImpl& ai = impl_of(a, "matmul");
  const detail::ArrayImpl& bi = impl_of(b, "matmul");
  detail::check_same_device("matmul", {&a, &b});
  const Shape& as = ai.shape;
  const Shape& bs = bi.shape;
  if (as.ndim() == 0 || bs.ndim() == 0)
    throw ShapeError("ndflow: matmul: operands must be at least 1-d, got shapes " + as.to_string() +
                     " @ " + bs.to_string() + " (use multiply for scalars)");
  const int an = as.ndim(), bn = bs.ndim();
  // The matrix dims and strides, 1-d operands promoted: (K,) -> (1,K) for a, (K,1) for b.
  const std::int64_t M = an == 1 ? 1 : as[an - 2];
  const std::int64_t Ka = as[an - 1];
  const std::int64_t a_rs = an == 1 ? 0 : ai.strides[an - 2], a_cs = ai.strides[an - 1];
  const std::int64_t Kb = bn == 1 ? bs[0] : bs[bn - 2];
  const std::int64_t N = bn == 1 ? 1 : bs[bn - 1];
  const std::int64_t b_rs = bn == 1 ? bi.strides[0] : bi.strides[bn - 2];
  const std::int64_t b_cs = bn == 1 ? 0 : bi.strides[bn - 1];
  if (Ka != Kb)
    throw ShapeError("ndflow: matmul: inner dimensions do not match: " + as.to_string() + " @ " +
                     bs.to_string() + " (" + std::to_string(Ka) + " != " + std::to_string(Kb) +
                     ")");
  const std::vector<std::int64_t> a_batch(as.begin(), as.end() - std::min(an, 2));
  const std::vector<std::int64_t> b_batch(bs.begin(), bs.end() - std::min(bn, 2));
  const std::vector<std::int64_t> a_bstr(ai.strides.begin(), ai.strides.end() - std::min(an, 2));
  const std::vector<std::int64_t> b_bstr(bi.strides.begin(), bi.strides.end() - std::min(bn, 2));
  // Broadcast the batch dims.
  const std::size_t nb = std::max(a_batch.size(), b_batch.size());
  std::vector<std::int64_t> batch(nb);
  for (std::size_t i = 0; i < nb; ++i) {
    const std::size_t ia = i + a_batch.size(), ib = i + b_batch.size();
    const std::int64_t da = ia >= nb ? a_batch[ia - nb] : 1;
    const std::int64_t db = ib >= nb ? b_batch[ib - nb] : 1;
    if (da != db && da != 1 && db != 1)
      throw ShapeError("ndflow: matmul: batch dimensions do not broadcast: " + as.to_string() +
                       " @ " + bs.to_string());
    batch[i] = da == 1 ? db : da;
  }
  std::vector<std::int64_t> out_dims = batch;
  if (an > 1) out_dims.push_back(M);
  if (bn > 1) out_dims.push_back(N);
  const Shape out_shape(out_dims);
  const Shape batch_shape(batch);

  auto job = std::make_shared<GemmJob>();
  job->dtype = promote_types(ai.dtype, bi.dtype);
  job->keep_c = detail::new_array(out_shape, job->dtype, ai.device());
  job->batch = batch_shape.numel();
  job->M = M;
  job->N = N;
  job->K = Ka;
  job->a = operand_of(a, a_rs, a_cs);
  job->a.offsets = batch_offsets(batch_shape, a_batch, a_bstr);
  job->b = operand_of(b, b_rs, b_cs);
  job->b.offsets = batch_offsets(batch_shape, b_batch, b_bstr);
  job->c = job->keep_c.impl()->data();
  job->c_rs = N;
  job->c_offsets.resize(static_cast<std::size_t>(job->batch));
  for (std::int64_t i = 0; i < job->batch; ++i)
    job->c_offsets[static_cast<std::size_t>(i)] = i * M * N;
  job->keep_a = a;
  job->keep_b = b;
  Array out = job->keep_c;
  launch_gemm("matmul", std::move(job));
  return out;
}

Array dot(const Array& a, const Array& b) {
  const detail::ArrayImpl& ai = impl_of(a, "dot");
  const detail::ArrayImpl& bi = impl_of(b, "dot");
  detail::check_same_device("dot", {&a, &b});
  const int an = ai.shape.ndim(), bn = bi.shape.ndim();
  if (an == 0 || bn == 0) return scale(a, b);
  // 1-d or 2-d operands, N-d x 1-d and 1-d x N-d agree with matmul.
  if ((an <= 2 && bn <= 2) || bn == 1 || an == 1) {
    const std::int64_t Ka = ai.shape[an - 1], Kb = bn == 1 ? bi.shape[0] : bi.shape[bn - 2];
    if (Ka != Kb)
      throw ShapeError("ndflow: dot: shapes " + ai.shape.to_string() + " and " +
                       bi.shape.to_string() + " not aligned: " + std::to_string(Ka) + " (dim " +
                       std::to_string(an - 1) + ") != " + std::to_string(Kb) + " (dim " +
                       std::to_string(bn == 1 ? 0 : bn - 2) + ")");
    return matmul(a, b);
  }
  return dot_nd(a, b);
}

void set_float32_matmul_precision(const std::string& precision) {
  if (precision != "highest" && precision != "high")
    throw ShapeError("ndflow: set_float32_matmul_precision: unknown precision '" + precision +
                     "'; expected 'highest' (full float32) or 'high' (TF32 allowed)");
  g_allow_tf32.store(precision == "high", std::memory_order_relaxed);
}

std::string get_float32_matmul_precision() {
  return g_allow_tf32.load(std::memory_order_relaxed) ? "high" : "highest";
}

}  // namespace ndflow
