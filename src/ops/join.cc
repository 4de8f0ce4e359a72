// Joining: concatenate and stack (NumPy semantics). The result is a fresh contiguous array;
// one kernel copies every input (any strides, any dtype) into its slot of the output,
// converting to the promoted dtype. The work is the inputs' elements one after the other,
// split across workers above kParallelGrain.
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "array/array_impl.h"
#include "backends/cpu/strided_loop.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {

using detail::impl_of;

namespace {

std::string shapes_of(const std::vector<Array>& arrays) {
  std::string s;
  for (std::size_t i = 0; i < arrays.size(); ++i)
    s += (i ? ", " : "") + arrays[i].shape().to_string();
  return s;
}

void check_inputs(const std::vector<Array>& arrays, const char* op) {
  if (arrays.empty())
    throw ShapeError(std::string("ndflow: ") + op + ": need at least one array to " + op);
  for (const Array& a : arrays) impl_of(a, op);
  for (std::size_t i = 1; i < arrays.size(); ++i)
    detail::check_same_device(op, {&arrays[0], &arrays[i]});
}

// One input's share of the copy: where its elements go and how to walk them.
struct Part {
  Array input;
  std::int64_t begin = 0;       // first index of this input in the flattened work
  std::int64_t out_offset = 0;  // in elements, of its slot in the output
  detail::StridedPlan<2> plan;  // operand 0: the output slot; operand 1: the input
};

}  // namespace

Array concatenate(const std::vector<Array>& arrays, int axis) {
  check_inputs(arrays, "concatenate");
  const Shape& first = arrays[0].shape();
  const int nd = first.ndim();
  if (nd == 0)
    throw ShapeError("ndflow: concatenate: zero-dimensional arrays cannot be concatenated");
  const int ax = detail::normalize_axis(axis, nd, "concatenate");
  Shape out_shape = first;
  out_shape[ax] = 0;
  DType dtype = arrays[0].dtype();
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    const Shape& s = arrays[i].shape();
    if (s.ndim() != nd)
      throw ShapeError(
          "ndflow: concatenate: all the input arrays must have the same number of "
          "dimensions, but the array at index 0 has " +
          std::to_string(nd) + " dimension(s) and the array at index " + std::to_string(i) +
          " has " + std::to_string(s.ndim()) + " dimension(s); shapes " + shapes_of(arrays));
    for (int d = 0; d < nd; ++d)
      if (d != ax && s[d] != first[d])
        throw ShapeError(
            "ndflow: concatenate: all the input array dimensions except for the "
            "concatenation axis must match exactly, but along dimension " +
            std::to_string(d) + ", the array at index 0 has size " + std::to_string(first[d]) +
            " and the array at index " + std::to_string(i) + " has size " + std::to_string(s[d]) +
            "; shapes " + shapes_of(arrays));
    out_shape[ax] += s[ax];
    dtype = promote_types(dtype, arrays[i].dtype());
  }

  Array out = detail::new_array(out_shape, dtype, arrays[0].device());
  const Shape out_strides = out.strides();
  const std::int64_t out_item = static_cast<std::int64_t>(dtype_size(dtype));
  auto parts = std::make_shared<std::vector<Part>>();
  parts->reserve(arrays.size());
  std::int64_t total = 0, slot = 0;
  for (const Array& a : arrays) {
    const detail::ArrayImpl& ai = *a.impl();
    parts->push_back(
        Part{a, total, slot * out_strides[ax],
             detail::StridedPlan<2>(ai.shape, {&out_strides, &ai.strides},
                                    {out_item, static_cast<std::int64_t>(dtype_size(ai.dtype))})});
    total += ai.shape.numel();
    slot += ai.shape[ax];
  }
  if (total == 0) {  // nothing to copy: an op only to order the result (and fail it)
    detail::launch(
        "concatenate", detail::VarsOf(arrays), detail::VarsOf{&out}, out.device(), [] {},
        [](void*) {});
    return out;
  }

  // On a CUDA GPU: one strided copy kernel per input into its slice of the result.
  detail::CudaLaunch cuda;
  if (detail::runs_cuda_kernels(out.device())) {
    std::vector<detail::CudaLaunch> copies;
    for (const Part& p : *parts) {
      const Array slice = detail::make_view(out, p.input.shape(), out_strides, p.out_offset);
      copies.push_back(detail::cuda_copy_into(*slice.impl(), *p.input.impl()));
    }
    cuda = detail::cuda_sequence(std::move(copies));
  }

  char* out_data = out.impl()->data();
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    detail::launch_parallel(
        "concatenate", detail::VarsOf(arrays), detail::VarsOf{&out}, out.device(), total,
        [parts, out, out_data](std::int64_t begin, std::int64_t end) {
          for (const Part& p : *parts) {
            const std::int64_t n = p.plan.numel();
            const std::int64_t b = std::max(begin, p.begin), e = std::min(end, p.begin + n);
            if (b >= e) continue;
            const detail::ArrayImpl& in = *p.input.impl();
            char* dst = out_data + p.out_offset * static_cast<std::int64_t>(sizeof(T));
            visit_dtype(in.dtype, [&](auto src_tag) {
              using S = decltype(src_tag);
              p.plan.for_each_run(
                  {dst, in.data()}, b - p.begin, e - p.begin,
                  [](std::array<char*, 2> ptr, std::array<std::int64_t, 2> step,
                     std::int64_t count) {
                    if constexpr (std::is_same_v<S, T>) {
                      if (step[0] == sizeof(T) && step[1] == sizeof(T)) {
                        std::memcpy(ptr[0], ptr[1], static_cast<std::size_t>(count) * sizeof(T));
                        return;
                      }
                    }
                    for (std::int64_t i = 0; i < count; ++i)
                      *reinterpret_cast<T*>(ptr[0] + i * step[0]) =
                          static_cast<T>(*reinterpret_cast<const S*>(ptr[1] + i * step[1]));
                  });
            });
          }
        },
        detail::kParallelGrain, std::move(cuda));
  });
  return out;
}

Array stack(const std::vector<Array>& arrays, int axis) {
  check_inputs(arrays, "stack");
  const Shape& first = arrays[0].shape();
  for (std::size_t i = 1; i < arrays.size(); ++i)
    if (!(arrays[i].shape() == first))
      throw ShapeError("ndflow: stack: all input arrays must have the same shape, got " +
                       shapes_of(arrays));
  const int nd = first.ndim();
  const int ax = detail::normalize_axis(axis, nd + 1, "stack");
  // Each input as a view with a size-1 dim inserted at `ax`, then concatenated along it.
  std::vector<Array> expanded;
  expanded.reserve(arrays.size());
  for (const Array& a : arrays) {
    std::vector<std::int64_t> shape = a.shape().to_vector(), strides = a.strides().to_vector();
    shape.insert(shape.begin() + ax, 1);
    strides.insert(strides.begin() + ax, 0);
    expanded.push_back(detail::make_view(a, Shape(shape), Shape(strides), a.offset()));
  }
  return concatenate(expanded, ax);
}

}  // namespace ndflow
