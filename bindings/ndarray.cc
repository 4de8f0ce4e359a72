// The ndarray class: ndflow::Array with NumPy's and MXNet's method and operator names.
// Operators take another ndarray, a Python scalar, or any array-like (copied in); for
// anything else they return NotImplemented so Python can try the other operand.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "convert.h"
#include "gil.h"
#include "module.h"
#include "ndflow/array.h"

namespace ndflow::python {
namespace {

using BinaryFn = Array (*)(const Array&, const Array&);
using ScalarRightFn = Array (*)(const Array&, Scalar);
using ScalarLeftFn = Array (*)(Scalar, const Array&);

nb::object not_implemented() { return nb::borrow(Py_NotImplemented); }

// Binds `name` (a + b) and, when given, `rname` (b + a) for one binary function.
template <BinaryFn fn, ScalarRightFn fn_right, ScalarLeftFn fn_left>
void bind_binary(nb::class_<Array>& cls, const char* name, const char* rname) {
  cls.def(
      name, [](const Array& a, const Array& b) { return fn(a, b); }, nb::is_operator());
  cls.def(
      name, [](const Array& a, Scalar b) { return fn_right(a, b); }, nb::is_operator());
  cls.def(
      name,
      [](const Array& a, nb::handle b) -> nb::object {
        std::optional<Array> other = try_array_like(b, a.device());
        return other ? nb::cast(fn(a, *other)) : not_implemented();
      },
      nb::is_operator());
  if (!rname) return;
  cls.def(
      rname, [](const Array& a, Scalar b) { return fn_left(b, a); }, nb::is_operator());
  cls.def(
      rname,
      [](const Array& a, nb::handle b) -> nb::object {
        std::optional<Array> other = try_array_like(b, a.device());
        return other ? nb::cast(fn(*other, a)) : not_implemented();
      },
      nb::is_operator());
}

// a += b: writes a's storage (ordered by the engine) and returns the same Python object.
template <Array& (Array::*op)(const Array&), Array& (Array::*op_scalar)(Scalar)>
void bind_inplace(nb::class_<Array>& cls, const char* name) {
  cls.def(
      name,
      [](nb::handle self, Scalar b) {
        (nb::cast<Array&>(self).*op_scalar)(b);
        return nb::borrow(self);
      },
      nb::is_operator());
  cls.def(
      name,
      [](nb::handle self, nb::handle b) -> nb::object {
        Array& a = nb::cast<Array&>(self);
        std::optional<Array> other = try_array_like(b, a.device());
        if (!other) return not_implemented();
        (a.*op)(*other);
        return nb::borrow(self);
      },
      nb::is_operator());
}

Array matmul_fn(const Array& a, const Array& b) { return matmul(a, b); }
Array no_scalar_right(const Array&, Scalar) {
  throw nb::type_error("ndflow: matmul: scalar operands are not allowed, use '*' instead");
}
Array no_scalar_left(Scalar, const Array&) { return no_scalar_right(Array(), Scalar()); }

nb::tuple shape_tuple(const Shape& shape) {
  nb::list dims;
  for (std::int64_t d : shape) dims.append(d);
  return nb::tuple(dims);
}

// The one element of a size-1 array as a Python number (blocks, GIL released).
nb::object item(const Array& a) {
  const DType dtype = a.dtype();
  if (dtype == kBool) return nb::bool_(wait_without_gil([&a] { return a.item<bool>(); }));
  if (is_floating(dtype)) return nb::float_(wait_without_gil([&a] { return a.item<double>(); }));
  return nb::int_(wait_without_gil([&a] { return a.item<std::int64_t>(); }));
}

Array reshape_args(const Array& a, nb::args args) {
  if (args.size() == 1) return a.reshape(to_shape(args[0]));
  return a.reshape(to_shape(args));
}

Array transpose_args(const Array& a, nb::args args) {
  if (args.size() == 0 || (args.size() == 1 && args[0].is_none())) return a.transpose();
  std::vector<int> axes =
      args.size() == 1 && !PyIndex_Check(args[0].ptr()) ? to_axes(args[0]) : to_axes(args);
  return a.transpose(axes);
}

}  // namespace

void bind_ndarray(nb::module_& m) {
  nb::class_<Array> cls(m, "ndarray",
                        "An n-d array whose operations return at once and run on ndflow's "
                        "engine. Blockers: wait_to_read, asnumpy, item, print, npx.waitall.");

  // --- Metadata (never blocks) ---
  cls.def_prop_ro("shape", [](const Array& a) { return shape_tuple(a.shape()); })
      .def_prop_ro("dtype", [](const Array& a) { return numpy_dtype(a.dtype()); })
      .def_prop_ro("ndim", &Array::ndim)
      .def_prop_ro("size", &Array::size)
      .def_prop_ro("itemsize", [](const Array& a) { return dtype_size(a.dtype()); })
      .def_prop_ro("nbytes", [](const Array& a) { return dtype_size(a.dtype()) * a.size(); })
      .def_prop_ro("ctx", &Array::device)
      .def_prop_ro("context", &Array::device)
      .def_prop_ro("device", &Array::device)
      .def_prop_ro("T", [](const Array& a) { return a.T(); })
      .def("__len__",
           [](const Array& a) {
             if (a.ndim() == 0) throw nb::type_error("len() of unsized object");
             return a.shape()[0];
           })
      .def("__hash__",
           [](nb::handle) -> Py_hash_t { throw nb::type_error("unhashable type: 'ndarray'"); });

  // --- Blockers (release the GIL while they wait; on the main thread Ctrl-C ends the wait) ---
  cls.def(
         "wait_to_read", [](const Array& a) { wait_without_gil([&a] { a.wait_to_read(); }); },
         "Blocks until every write pushed on this array is done; raises its failure.")
      .def("asnumpy", &to_numpy, "A NumPy copy (blocks).")
      .def(
          "__array__",
          [](const Array& a, nb::handle dtype, nb::handle copy) {
            if (copy.ptr() == Py_False)  // NumPy 2's protocol: say so rather than copy
              throw nb::value_error(
                  "ndflow: an ndarray cannot be viewed by NumPy without a copy here; "
                  "use numpy.from_dlpack(x) to share its memory");
            nb::object out = to_numpy(a);
            return dtype.is_none() ? out : out.attr("astype")(dtype);
          },
          nb::arg("dtype") = nb::none(), nb::arg("copy") = nb::none())
      .def("item", &item, "The one element as a Python number (blocks).")
      .def("tolist", [](const Array& a) { return to_numpy(a).attr("tolist")(); })
      .def("__bool__",
           [](const Array& a) {
             if (a.size() != 1)
               throw nb::value_error(
                   "The truth value of an array with more than one element is ambiguous");
             const int truth = PyObject_IsTrue(item(a).ptr());
             if (truth < 0) throw nb::python_error();
             return truth == 1;
           })
      .def("__float__", [](const Array& a) { return nb::cast<double>(nb::float_(item(a))); })
      .def("__int__", [](const Array& a) { return nb::int_(item(a)); })
      .def("__repr__",
           [](const Array& a) { return wait_without_gil([&a] { return a.to_string(); }); })
      .def("__str__", [](const Array& a) {
        return nb::str("{} @{}").format(nb::str(to_numpy(a)), a.device().to_string());
      });

  // --- Views and copies ---
  cls.def("reshape", &reshape_args)
      .def("transpose", &transpose_args)
      .def(
          "__getitem__", [](const Array& a, std::int64_t i) { return a[i]; },
          nb::arg("key").noconvert())
      .def(
          "__getitem__", [](const Array& a, nb::handle key) { return a.index(to_index(key)); },
          nb::arg("key").none())
      .def("__iter__",
           [](const Array& a) {
             if (a.ndim() == 0) throw nb::type_error("iteration over a 0-d array");
             nb::list rows;
             for (std::int64_t i = 0; i < a.shape()[0]; ++i) rows.append(nb::cast(a[i]));
             return nb::iter(rows);
           })
      .def(
          "astype",
          [](nb::handle self, nb::handle dtype, bool copy) -> nb::object {
            const Array& a = nb::cast<const Array&>(self);
            const DType target = to_dtype(dtype, a.dtype());
            if (!copy && target == a.dtype()) return nb::borrow(self);
            return nb::cast(a.astype(target));
          },
          nb::arg("dtype"), nb::arg("copy") = true)
      .def("copy", &Array::copy)
      .def("is_pinned", &Array::is_pinned)
      .def("copyto", [](const Array& a, nb::handle device) { return a.copy_to(to_device(device)); })
      .def("as_in_ctx",
           [](nb::handle self, nb::handle device) -> nb::object {
             const Array& a = nb::cast<const Array&>(self);
             const Device d = to_device(device);
             return d == a.device() ? nb::borrow(self) : nb::cast(a.copy_to(d));
           })
      .def(
          "to",
          [](nb::handle self, nb::handle device, bool non_blocking) -> nb::object {
            const Array& a = nb::cast<const Array&>(self);
            const Device d = to_device(device);
            if (d == a.device()) return nb::borrow(self);
            // PyTorch's non_blocking: return at once, and land a copy out of a GPU in pinned
            // memory so that the GPU's copy engine writes it while compute goes on.
            Array out = a.copy_to(d, non_blocking ? HostMemory::kPinned : HostMemory::kPageable);
            if (!non_blocking) wait_without_gil([&out] { out.wait_to_read(); });
            return nb::cast(out);
          },
          nb::arg("device"), nb::arg("non_blocking") = false);

  // --- Math methods ---
  cls.def("dot", [](const Array& a, nb::handle b) { return dot(a, to_array_like(b, a.device())); });
  for (const auto& [name, fn] : {std::pair<const char*, ReduceFn>{"sum", &sum},
                                 {"mean", &mean},
                                 {"max", &max},
                                 {"min", &min}}) {
    cls.def(
        name,
        [fn = fn](const Array& a, nb::handle axis, bool keepdims) {
          return reduce(fn, a, axis, keepdims);
        },
        nb::arg("axis") = nb::none(), nb::arg("keepdims") = false);
  }
  for (const auto& [name, fn] :
       {std::pair<const char*, ArgReduceFn>{"argmax", &argmax}, {"argmin", &argmin}}) {
    cls.def(
        name,
        [fn = fn, name = name](const Array& a, nb::handle axis, bool keepdims) {
          return fn(a, to_single_axis(axis, name), keepdims);
        },
        nb::arg("axis") = nb::none(), nb::arg("keepdims") = false);
  }

  // --- Operators ---
  bind_binary<add, add, add>(cls, "__add__", "__radd__");
  bind_binary<subtract, subtract, subtract>(cls, "__sub__", "__rsub__");
  bind_binary<multiply, multiply, multiply>(cls, "__mul__", "__rmul__");
  bind_binary<divide, divide, divide>(cls, "__truediv__", "__rtruediv__");
  bind_binary<power, power, power>(cls, "__pow__", "__rpow__");
  bind_binary<matmul_fn, no_scalar_right, no_scalar_left>(cls, "__matmul__", "__rmatmul__");
  // Python reflects comparisons itself (a < b becomes b > a).
  bind_binary<equal, equal, equal>(cls, "__eq__", nullptr);
  bind_binary<not_equal, not_equal, not_equal>(cls, "__ne__", nullptr);
  bind_binary<less, less, less>(cls, "__lt__", nullptr);
  bind_binary<less_equal, less_equal, less_equal>(cls, "__le__", nullptr);
  bind_binary<greater, greater, greater>(cls, "__gt__", nullptr);
  bind_binary<greater_equal, greater_equal, greater_equal>(cls, "__ge__", nullptr);
  bind_inplace < &Array::operator+=, &Array::operator+=>(cls, "__iadd__");
  bind_inplace < &Array::operator-=, &Array::operator-=>(cls, "__isub__");
  bind_inplace < &Array::operator*=, &Array::operator*=>(cls, "__imul__");
  bind_inplace < &Array::operator/=, &Array::operator/=>(cls, "__itruediv__");
  cls.def("__neg__", [](const Array& a) { return negative(a); })
      .def("__pos__", [](nb::handle self) { return nb::borrow(self); })
      .def("__abs__", [](const Array& a) { return abs(a); });

  // NumPy defers its own operators (numpy_array + ndarray) to ours when our priority is
  // higher, so mixed expressions stay asynchronous ndflow arrays.
  cls.attr("__array_priority__") = 1000;
}

}  // namespace ndflow::python
