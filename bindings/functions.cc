// Module-level functions: creation, random numbers, element-wise math, linear algebra,
// joins and reductions, under NumPy's names and keywords (plus MXNet's ctx= and
// PyTorch's device=). Default dtypes follow MXNet: float32 unless integers were given.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/vector.h>

#include "convert.h"
#include "module.h"
#include "ndflow/array.h"

namespace ndflow::python {
namespace {

using BinaryFn = Array (*)(const Array&, const Array&);
using ScalarRightFn = Array (*)(const Array&, Scalar);
using ScalarLeftFn = Array (*)(Scalar, const Array&);
using UnaryFn = Array (*)(const Array&);

// The dtype a Python scalar gives when no dtype is asked for: bool, int64 or float32.
DType scalar_dtype(Scalar s) {
  switch (s.kind()) {
    case Scalar::Kind::kBool:
      return kBool;
    case Scalar::Kind::kInt:
      return kInt64;
    case Scalar::Kind::kFloat:
      return kFloat32;
  }
  return kFloat32;
}

template <BinaryFn fn, ScalarRightFn fn_right, ScalarLeftFn fn_left>
void def_binary(nb::module_& m, const char* name) {
  m.def(name, [](const Array& a, const Array& b) { return fn(a, b); });
  m.def(name, [](const Array& a, Scalar b) { return fn_right(a, b); });
  m.def(name, [](Scalar a, const Array& b) { return fn_left(a, b); });
  m.def(name, [](nb::handle a, nb::handle b) {
    // Array-likes go to the device of the ndarray beside them; a Python scalar stays a
    // scalar, weakly typed (NEP 50), as it would next to an ndarray.
    const Device d = device_beside({a, b});
    if (is_python_scalar(b) && !is_python_scalar(a))
      return fn_right(to_array_like(a, d), nb::cast<Scalar>(b));
    if (is_python_scalar(a) && !is_python_scalar(b))
      return fn_left(nb::cast<Scalar>(a), to_array_like(b, d));
    return fn(to_array_like(a, d), to_array_like(b, d));
  });
}

template <UnaryFn fn>
void def_unary(nb::module_& m, const char* name) {
  m.def(name, [](const Array& a) { return fn(a); });
  m.def(
      name, [](nb::handle a) { return fn(to_array_like(a)); }, nb::arg("x").none());
}

// where(c, x, 0): a Python int or float beside an array goes to where() as a Scalar, whose
// dtype follows that array (NEP 50); a bool is an array operand.
bool is_where_scalar(nb::handle value) {
  return is_python_scalar(value) && !PyBool_Check(value.ptr());
}

std::vector<Array> to_array_list(nb::handle seq) {
  // A tuple of its own, not the caller's list: a push below may wait without the GIL, and
  // another thread may change that list meanwhile.
  PyObject* tuple = PySequence_Tuple(seq.ptr());
  if (!tuple) throw nb::python_error();
  const nb::tuple owned = nb::steal<nb::tuple>(tuple);
  std::vector<nb::handle> items(owned.begin(), owned.end());
  const Device device = device_beside(items);
  std::vector<Array> out;
  for (nb::handle item : items) out.push_back(to_array_like(item, device));
  return out;
}

Shape size_to_shape(nb::handle size) { return size.is_none() ? Shape() : to_shape(size); }

}  // namespace

void bind_functions(nb::module_& m) {
  // --- Creation ---
  m.def(
      "array",
      [](nb::handle obj, nb::handle dtype, nb::handle ctx, nb::handle device) {
        const Device d = to_device(ctx, device);
        const std::optional<DType> wanted =
            dtype.is_none() ? std::nullopt : std::optional(to_dtype(dtype, kFloat32));
        Array a = to_array_like(obj, d, wanted);  // a fresh copy, unless obj is an ndarray
        if (nb::isinstance<Array>(obj)) a = a.device() == d ? a.copy() : a.copy_to(d);
        return wanted && *wanted != a.dtype() ? a.astype(*wanted) : a;
      },
      nb::arg("object"), nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(),
      nb::arg("device") = nb::none());
  m.def(
      "asarray",
      [](nb::handle obj, nb::handle dtype, nb::handle ctx, nb::handle device) {
        const std::optional<DType> wanted =
            dtype.is_none() ? std::nullopt : std::optional(to_dtype(dtype, kFloat32));
        Array a = to_array_like(obj, to_device(ctx, device), wanted);
        if (!ctx.is_none() || !device.is_none()) {
          const Device d = to_device(ctx, device);
          if (a.device() != d) a = a.copy_to(d);
        }
        return wanted && *wanted != a.dtype() ? a.astype(*wanted) : a;
      },
      nb::arg("object"), nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(),
      nb::arg("device") = nb::none());
  using Fill = Array (*)(const Shape&, DType, Device);
  for (const auto& [name, fn] :
       {std::pair<const char*, Fill>{"empty", &empty}, {"zeros", &zeros}, {"ones", &ones}}) {
    m.def(
        name,
        [fn = fn](nb::handle shape, nb::handle dtype, nb::handle ctx, nb::handle device) {
          return fn(to_shape(shape), to_dtype(dtype, kFloat32), to_device(ctx, device));
        },
        nb::arg("shape"), nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(),
        nb::arg("device") = nb::none());
  }
  m.def(
      "full",
      [](nb::handle shape, Scalar value, nb::handle dtype, nb::handle ctx, nb::handle device) {
        return full(to_shape(shape), value, to_dtype(dtype, scalar_dtype(value)),
                    to_device(ctx, device));
      },
      nb::arg("shape"), nb::arg("fill_value"), nb::arg("dtype") = nb::none(),
      nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());
  m.def(
      "arange",
      [](Scalar start, std::optional<Scalar> stop, Scalar step, nb::handle dtype, nb::handle ctx,
         nb::handle device) {
        const bool floats = start.kind() == Scalar::Kind::kFloat ||
                            (stop && stop->kind() == Scalar::Kind::kFloat) ||
                            step.kind() == Scalar::Kind::kFloat;
        const double lo = stop ? start.as_double() : 0.0;
        const double hi = stop ? stop->as_double() : start.as_double();
        return arange(lo, hi, step.as_double(), to_dtype(dtype, floats ? kFloat32 : kInt64),
                      to_device(ctx, device));
      },
      nb::arg("start"), nb::arg("stop") = nb::none(), nb::arg("step") = 1,
      nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());
  m.def(
      "linspace",
      [](double start, double stop, std::int64_t num, bool endpoint, nb::handle dtype,
         nb::handle ctx, nb::handle device) {
        return linspace(start, stop, num, endpoint, to_dtype(dtype, kFloat32),
                        to_device(ctx, device));
      },
      nb::arg("start"), nb::arg("stop"), nb::arg("num") = 50, nb::arg("endpoint") = true,
      nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());
  m.def(
      "eye",
      [](std::int64_t n, std::optional<std::int64_t> cols, std::int64_t k, nb::handle dtype,
         nb::handle ctx, nb::handle device) {
        return eye(n, cols.value_or(-1), k, to_dtype(dtype, kFloat32), to_device(ctx, device));
      },
      nb::arg("N"), nb::arg("M") = nb::none(), nb::arg("k") = 0, nb::arg("dtype") = nb::none(),
      nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());

  // --- Random numbers (seeded: the same seed gives the same numbers on any schedule) ---
  m.def(
      "random_seed", [](std::uint64_t s) { random::seed(s); }, nb::arg("seed"));
  m.def(
      "random_uniform",
      [](double low, double high, nb::handle size, nb::handle dtype, nb::handle ctx,
         nb::handle device) {
        return random::uniform(low, high, size_to_shape(size), to_dtype(dtype, kFloat32),
                               to_device(ctx, device));
      },
      nb::arg("low") = 0.0, nb::arg("high") = 1.0, nb::arg("size") = nb::none(),
      nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());
  m.def(
      "random_normal",
      [](double loc, double scale, nb::handle size, nb::handle dtype, nb::handle ctx,
         nb::handle device) {
        return random::normal(loc, scale, size_to_shape(size), to_dtype(dtype, kFloat32),
                              to_device(ctx, device));
      },
      nb::arg("loc") = 0.0, nb::arg("scale") = 1.0, nb::arg("size") = nb::none(),
      nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());
  m.def(
      "random_randint",
      [](std::int64_t low, std::optional<std::int64_t> high, nb::handle size, nb::handle dtype,
         nb::handle ctx, nb::handle device) {
        const std::int64_t lo = high ? low : 0, hi = high ? *high : low;
        return random::randint(lo, hi, size_to_shape(size), to_dtype(dtype, kInt64),
                               to_device(ctx, device));
      },
      nb::arg("low"), nb::arg("high") = nb::none(), nb::arg("size") = nb::none(),
      nb::arg("dtype") = nb::none(), nb::arg("ctx") = nb::none(), nb::arg("device") = nb::none());

  // --- Element-wise ---
  def_binary<add, add, add>(m, "add");
  def_binary<subtract, subtract, subtract>(m, "subtract");
  def_binary<multiply, multiply, multiply>(m, "multiply");
  def_binary<divide, divide, divide>(m, "divide");
  def_binary<power, power, power>(m, "power");
  def_binary<maximum, maximum, maximum>(m, "maximum");
  def_binary<minimum, minimum, minimum>(m, "minimum");
  def_binary<equal, equal, equal>(m, "equal");
  def_binary<not_equal, not_equal, not_equal>(m, "not_equal");
  def_binary<less, less, less>(m, "less");
  def_binary<less_equal, less_equal, less_equal>(m, "less_equal");
  def_binary<greater, greater, greater>(m, "greater");
  def_binary<greater_equal, greater_equal, greater_equal>(m, "greater_equal");
  def_unary<negative>(m, "negative");
  def_unary<abs>(m, "abs");
  def_unary<exp>(m, "exp");
  def_unary<log>(m, "log");
  def_unary<sqrt>(m, "sqrt");
  def_unary<tanh>(m, "tanh");
  def_unary<sigmoid>(m, "sigmoid");
  def_unary<relu>(m, "relu");
  m.def(
      "where",
      [](nb::handle condition, nb::handle x, nb::handle y) {
        std::optional<Array> ax =
            nb::isinstance<Array>(x) ? std::optional(nb::cast<Array>(x)) : std::nullopt;
        std::optional<Array> ay =
            nb::isinstance<Array>(y) ? std::optional(nb::cast<Array>(y)) : std::nullopt;
        const Device d = device_beside({condition, x, y});
        // A scalar goes to the op as a value (on a GPU, a kernel argument rather than a 0-d
        // array); with two, x becomes the array beside y.
        if (ay && is_where_scalar(x))
          return where(to_array_like(condition, d), nb::cast<Scalar>(x), *ay);
        const Array a = ax ? *ax : to_array_like(x, d);
        if (is_where_scalar(y)) return where(to_array_like(condition, d), a, nb::cast<Scalar>(y));
        return where(to_array_like(condition, d), a, ay ? *ay : to_array_like(y, d));
      },
      nb::arg("condition"), nb::arg("x"), nb::arg("y"));

  // --- Linear algebra, joins, views ---
  m.def("matmul", [](nb::handle a, nb::handle b) {
    const Device d = device_beside({a, b});
    return matmul(to_array_like(a, d), to_array_like(b, d));
  });
  m.def("dot", [](nb::handle a, nb::handle b) {
    const Device d = device_beside({a, b});
    return dot(to_array_like(a, d), to_array_like(b, d));
  });
  m.def(
      "concatenate", [](nb::handle seq, int axis) { return concatenate(to_array_list(seq), axis); },
      nb::arg("seq"), nb::arg("axis") = 0);
  m.def(
      "stack", [](nb::handle seq, int axis) { return stack(to_array_list(seq), axis); },
      nb::arg("arrays"), nb::arg("axis") = 0);
  m.def(
      "transpose",
      [](nb::handle a, nb::handle axes) {
        const Array x = to_array_like(a);
        return axes.is_none() ? x.transpose() : x.transpose(to_axes(axes));
      },
      nb::arg("a"), nb::arg("axes") = nb::none());
  m.def(
      "reshape",
      [](nb::handle a, nb::handle shape) { return to_array_like(a).reshape(to_shape(shape)); },
      nb::arg("a"), nb::arg("newshape"));
  m.def(
      "copy", [](nb::handle a) { return to_array_like(a).copy(); }, nb::arg("a"));

  // --- Reductions ---
  for (const auto& [name, fn] : {std::pair<const char*, ReduceFn>{"sum", &sum},
                                 {"mean", &mean},
                                 {"max", &max},
                                 {"min", &min}}) {
    m.def(
        name,
        [fn = fn](nb::handle a, nb::handle axis, bool keepdims) {
          return reduce(fn, to_array_like(a), axis, keepdims);
        },
        nb::arg("a"), nb::arg("axis") = nb::none(), nb::arg("keepdims") = false);
  }
  for (const auto& [name, fn] :
       {std::pair<const char*, ArgReduceFn>{"argmax", &argmax}, {"argmin", &argmin}}) {
    m.def(
        name,
        [fn = fn, name = name](nb::handle a, nb::handle axis, bool keepdims) {
          return fn(to_array_like(a), to_single_axis(axis, name), keepdims);
        },
        nb::arg("a"), nb::arg("axis") = nb::none(), nb::arg("keepdims") = false);
  }
}

}  // namespace ndflow::python
