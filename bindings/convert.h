// Conversions between Python objects and ndflow's C++ types. The binding holds no logic of
// its own: everything here turns a Python value into the C++ value the core expects (or
// back), and says clearly what it could not convert.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "ndflow/array.h"

namespace ndflow::python {

namespace nb = nanobind;

// The dtype named by a NumPy-style spelling: "float32", numpy.float32, numpy.dtype('f4').
// None gives `fallback`. Raises TypeError for a dtype ndflow does not have.
DType to_dtype(nb::handle obj, DType fallback);
// numpy.dtype(name) for the Python side (cached).
nb::object numpy_dtype(DType dtype);
// The DLPack spelling of a dtype (for NumPy arrays and DLPack exports and imports).
nb::dlpack::dtype dlpack_dtype(DType dtype);

// A shape from an int or a sequence of ints.
Shape to_shape(nb::handle obj);
// A list of axes from None (every axis), an int or a sequence of ints.
std::vector<int> to_axes(nb::handle obj);

// The device of new arrays whose call names none: the innermost `with device:` block's on
// this thread (MXNet's `with mx.gpu(0):`), cpu(0) outside any.
Device current_device();
// `with device:` entering and leaving: blocks nest, per thread.
void enter_device_scope(Device device);
void exit_device_scope();

// A device from a Device, None (current_device()) or a string: "cpu", "cpu(0)", "gpu(1)",
// "cuda:1".
Device to_device(nb::handle obj);
// ctx= and device= name the same thing (MXNet's and PyTorch's spelling); one may be given.
Device to_device(nb::handle ctx, nb::handle device);

// An ndflow array from an array-like: an ndflow array (returned as is), a Python scalar, a
// NumPy array or scalar, a (nested) list, or anything numpy.asarray takes. Data is copied,
// converted to `dtype` when one is given. Otherwise Python floats become float32 (as in
// MXNet and PyTorch), Python ints int64, and NumPy data keeps its dtype. nullopt when `obj`
// is not array-like (for NotImplemented in operators); OverflowError for an int too large.
std::optional<Array> try_array_like(nb::handle obj, Device device = current_device(),
                                    std::optional<DType> dtype = std::nullopt);
// The same, raising TypeError when `obj` is not array-like.
Array to_array_like(nb::handle obj, Device device = current_device(),
                    std::optional<DType> dtype = std::nullopt);

// A Python bool, int (within int64) or float: NumPy treats these as weakly typed scalars.
bool is_python_scalar(nb::handle obj);
// The device of the first ndflow array among `objs`, else current_device(): where
// array-likes beside it are copied to.
Device device_beside(std::initializer_list<nb::handle> objs);
Device device_beside(const std::vector<nb::handle>& objs);

// A reduction's axes: None (every axis), an int or a sequence. axis=() reduces nothing,
// as in NumPy, which the C++ API (where {} means every axis) spells as a size-1 axis.
using ReduceFn = Array (*)(const Array&, const std::vector<int>&, bool);
using ArgReduceFn = Array (*)(const Array&, std::optional<int>, bool);  // argmax, argmin
Array reduce(ReduceFn fn, const Array& a, nb::handle axis, bool keepdims);
// argmax/argmin's axis: None or an int (TypeError otherwise).
std::optional<int> to_single_axis(nb::handle axis, const char* op);

// A NumPy array holding a copy of `a` (waits for it, with the GIL released).
nb::object to_numpy(const Array& a);

// NumPy basic indexing: an int, slice, Ellipsis, None, or a tuple of them.
std::vector<IndexItem> to_index(nb::handle key);

}  // namespace ndflow::python

// Python bool, int and float convert to ndflow::Scalar, keeping which kind they were so that
// NumPy's promotion rules apply (an int32 array + 1 stays int32). Anything else (a NumPy
// scalar, say) is left to the array-like overloads.
namespace nanobind::detail {
template <>
struct type_caster<ndflow::Scalar> {
  NB_TYPE_CASTER(ndflow::Scalar, const_name("int | float | bool"))

  bool from_python(handle src, uint8_t, cleanup_list*) noexcept {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) {
      value = ndflow::Scalar(o == Py_True);
      return true;
    }
    if (PyLong_Check(o)) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return false;
      }
      value = ndflow::Scalar(static_cast<std::int64_t>(v));
      return true;
    }
    if (PyFloat_CheckExact(o)) {  // not numpy.float64: a typed scalar, taken as an array
      value = ndflow::Scalar(PyFloat_AS_DOUBLE(o));
      return true;
    }
    return false;
  }
  static handle from_cpp(const ndflow::Scalar& s, rv_policy, cleanup_list*) noexcept {
    return s.kind() == ndflow::Scalar::Kind::kFloat ? PyFloat_FromDouble(s.as_double())
                                                    : PyLong_FromLongLong(s.as_int());
  }
};
}  // namespace nanobind::detail
