// Conversions between Python objects and ndflow's C++ types (see convert.h).
#include "convert.h"

#include "gil.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

namespace ndflow::python {
namespace {

nb::module_ numpy() { return nb::module_::import_("numpy"); }

std::string python_type_name(nb::handle obj) { return nb::type_name(obj.type()).c_str(); }

[[noreturn]] void raise_type_error(const std::string& message) {
  throw nb::type_error(("ndflow: " + message).c_str());
}

// "gpu(1)" -> 1; "cuda:2" -> 2; "cpu" -> 0. -1 when the text after the kind is malformed.
int parse_index(const std::string& rest) {
  std::string digits = rest;
  if (digits.empty()) return 0;
  if (digits.front() == ':')
    digits = digits.substr(1);
  else if (digits.front() == '(' && digits.back() == ')')
    digits = digits.substr(1, digits.size() - 2);
  else
    return -1;
  if (digits.empty() || digits.size() > 4 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoi(digits);
}

}  // namespace

DType to_dtype(nb::handle obj, DType fallback) {
  if (obj.is_none()) return fallback;
  std::string name;
  if (nb::isinstance<nb::str>(obj)) {
    name = nb::cast<std::string>(obj);
    if (name == "float") name = "float64";  // NumPy's spellings of Python's types
    if (name == "int") name = "int64";
  } else {
    try {
      name = nb::cast<std::string>(numpy().attr("dtype")(obj).attr("name"));
    } catch (const nb::python_error&) {
      raise_type_error("cannot interpret " + python_type_name(obj) + " as a dtype");
    }
  }
  return dtype_from_name(name);  // DTypeError (TypeError) for one ndflow lacks
}

nb::dlpack::dtype dlpack_dtype(DType dtype) {
  return visit_dtype(dtype, [](auto tag) { return nb::dtype<decltype(tag)>(); });
}

nb::object numpy_dtype(DType dtype) {
  // Leaked on purpose: Python objects must not be released after the interpreter is gone.
  static auto* cache = new std::array<PyObject*, 6>{};
  PyObject*& slot = (*cache)[static_cast<std::size_t>(dtype)];
  if (!slot) slot = numpy().attr("dtype")(dtype_name(dtype)).release().ptr();
  return nb::borrow(slot);
}

Shape to_shape(nb::handle obj) {
  if (PyIndex_Check(obj.ptr()) && !PyBool_Check(obj.ptr()))
    return Shape({nb::cast<std::int64_t>(obj)});
  if (!PySequence_Check(obj.ptr()) || nb::isinstance<nb::str>(obj))
    raise_type_error("a shape is an int or a tuple of ints, got " + python_type_name(obj));
  std::vector<std::int64_t> dims;
  for (nb::handle d : obj) {
    if (!PyIndex_Check(d.ptr()) || PyBool_Check(d.ptr()))
      raise_type_error("a shape is an int or a tuple of ints, got an element of type " +
                       python_type_name(d));
    dims.push_back(nb::cast<std::int64_t>(d));
  }
  if (dims.size() > static_cast<std::size_t>(Shape::kMaxDims))
    throw ShapeError("ndflow: shapes have at most " + std::to_string(Shape::kMaxDims) +
                     " dimensions, got " + std::to_string(dims.size()));
  return Shape(dims);
}

std::vector<int> to_axes(nb::handle obj) {
  if (obj.is_none()) return {};
  if (PyIndex_Check(obj.ptr())) return {nb::cast<int>(obj)};
  std::vector<int> axes;
  for (nb::handle a : obj) axes.push_back(nb::cast<int>(a));
  return axes;
}

namespace {
thread_local std::vector<Device> t_device_scopes;  // innermost last
}  // namespace

Device current_device() { return t_device_scopes.empty() ? Device::cpu() : t_device_scopes.back(); }
void enter_device_scope(Device device) { t_device_scopes.push_back(device); }
void exit_device_scope() {
  if (!t_device_scopes.empty()) t_device_scopes.pop_back();
}

Device to_device(nb::handle obj) {
  if (obj.is_none()) return current_device();
  if (nb::isinstance<Device>(obj)) return nb::cast<Device>(obj);
  if (nb::isinstance<nb::str>(obj)) {
    const std::string text = nb::cast<std::string>(obj);
    for (const auto& [prefix, type] : {std::pair<const char*, DeviceType>{"cpu", DeviceType::kCPU},
                                       {"gpu", DeviceType::kGPU},
                                       {"cuda", DeviceType::kGPU}}) {
      const std::string p = prefix;
      if (text.compare(0, p.size(), p) != 0) continue;
      const int index = parse_index(text.substr(p.size()));
      if (index >= 0) return type == DeviceType::kCPU ? Device::cpu(index) : Device::gpu(index);
    }
    throw nb::value_error(
        ("ndflow: unknown device '" + text + "': expected 'cpu', 'cpu(0)', 'gpu(1)' or 'cuda:1'")
            .c_str());
  }
  raise_type_error("a device is npx.cpu(i), npx.gpu(i) or a string such as 'cuda:0', got " +
                   python_type_name(obj));
}

Device to_device(nb::handle ctx, nb::handle device) {
  if (!ctx.is_none() && !device.is_none()) {
    const Device a = to_device(ctx), b = to_device(device);
    if (a != b)
      throw nb::value_error(("ndflow: ctx=" + a.to_string() + " and device=" + b.to_string() +
                             " disagree; give one of them")
                                .c_str());
    return a;
  }
  return to_device(ctx.is_none() ? device : ctx);
}

namespace {

// A Python int as int64; OverflowError beyond.
std::int64_t python_int(nb::handle obj) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
  if (overflow != 0) {
    PyErr_Format(PyExc_OverflowError, "ndflow: Python int %R is out of bounds for int64",
                 obj.ptr());
    throw nb::python_error();
  }
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  return v;
}

}  // namespace

bool is_python_scalar(nb::handle obj) {
  PyObject* o = obj.ptr();
  if (PyBool_Check(o) || PyFloat_CheckExact(o)) return true;
  if (!PyLong_Check(o)) return false;
  int overflow = 0;
  PyLong_AsLongLongAndOverflow(o, &overflow);
  return overflow == 0;
}

namespace {
template <class Handles>
Device first_array_device(const Handles& objs) {
  for (nb::handle obj : objs)
    if (nb::isinstance<Array>(obj)) return nb::cast<const Array&>(obj).device();
  return current_device();
}
}  // namespace

Device device_beside(std::initializer_list<nb::handle> objs) { return first_array_device(objs); }
Device device_beside(const std::vector<nb::handle>& objs) { return first_array_device(objs); }

Array reduce(ReduceFn fn, const Array& a, nb::handle axis, bool keepdims) {
  if (PyTuple_Check(axis.ptr()) && PyTuple_GET_SIZE(axis.ptr()) == 0) {
    // Reduce a new trailing size-1 axis: the same values, shape and dtype rules.
    std::vector<std::int64_t> dims(a.shape().begin(), a.shape().end());
    dims.push_back(1);
    return fn(a.reshape(Shape(dims)), {-1}, false);
  }
  return fn(a, to_axes(axis), keepdims);
}

std::optional<int> to_single_axis(nb::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  if (!PyIndex_Check(axis.ptr()) || PyBool_Check(axis.ptr()))
    raise_type_error(std::string(op) + ": axis must be an int or None, got " +
                     python_type_name(axis));
  return nb::cast<int>(axis);
}

std::optional<Array> try_array_like(nb::handle obj, Device device, std::optional<DType> dtype) {
  if (nb::isinstance<Array>(obj)) return nb::cast<Array>(obj);
  PyObject* o = obj.ptr();
  if (PyBool_Check(o)) return full({}, o == Py_True, dtype.value_or(kBool), device);
  if (PyLong_Check(o)) return full({}, python_int(obj), dtype.value_or(kInt64), device);
  if (PyFloat_CheckExact(o))
    return full({}, PyFloat_AS_DOUBLE(o), dtype.value_or(kFloat32), device);
  if (obj.is_none() || nb::isinstance<nb::str>(obj) || nb::isinstance<nb::bytes>(obj))
    return std::nullopt;

  nb::module_ np = numpy();
  const bool from_numpy =
      nb::isinstance(obj, np.attr("ndarray")) || nb::isinstance(obj, np.attr("generic"));
  nb::object host;
  try {
    host = np.attr("asarray")(obj);  // 0-d arrays and scalars stay 0-d
  } catch (const nb::python_error&) {
    return std::nullopt;  // numpy cannot make an array of it either
  }
  const std::string kind = nb::cast<std::string>(host.attr("dtype").attr("kind"));
  if (kind == "O" || kind == "U" || kind == "S" || kind == "V") return std::nullopt;
  if (dtype) {
    host = host.attr("astype")(dtype_name(*dtype));
  } else if (!from_numpy && kind == "f" && !nb::hasattr(obj, "dtype")) {
    // Lists of Python floats become float32, the default of MXNet and PyTorch; NumPy data
    // and objects with a dtype of their own keep it.
    host = host.attr("astype")("float32");
  }
  if (!nb::cast<bool>(host.attr("flags").attr("c_contiguous"))) host = host.attr("copy")("C");
  const DType host_dtype = to_dtype(host.attr("dtype"), kFloat32);
  nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu> view;
  if (!nb::try_cast(host, view, /*convert=*/false))  // contiguous already: nothing to convert
    raise_type_error("cannot read the data of " + python_type_name(obj));
  std::vector<std::int64_t> dims(view.ndim());
  for (std::size_t i = 0; i < view.ndim(); ++i) dims[i] = static_cast<std::int64_t>(view.shape(i));
  return visit_dtype(host_dtype, [&](auto tag) {
    using T = decltype(tag);
    return from_data<T>(static_cast<const T*>(view.data()), Shape(dims), device);
  });
}

Array to_array_like(nb::handle obj, Device device, std::optional<DType> dtype) {
  std::optional<Array> a = try_array_like(obj, device, dtype);
  if (!a)
    raise_type_error("expected an array-like (ndarray, NumPy array, list or number), got " +
                     python_type_name(obj));
  return *a;
}

nb::object to_numpy(const Array& a) {
  const std::size_t bytes = static_cast<std::size_t>(a.size()) * dtype_size(a.dtype());
  std::unique_ptr<char[]> buffer(new char[bytes > 0 ? bytes : 1]);
  wait_without_gil([&] { a.copy_to_host(buffer.get()); });  // the wait and the copy need no Python
  const Shape& shape = a.shape();
  std::vector<std::size_t> dims(shape.begin(), shape.end());
  char* data = buffer.release();
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<char*>(p); });
  nb::ndarray<nb::numpy> out(data, dims.size(), dims.data(), owner, nullptr,
                             dlpack_dtype(a.dtype()));
  return nb::cast(out);
}

std::vector<IndexItem> to_index(nb::handle key) {
  std::vector<IndexItem> items;
  const auto add = [&items](nb::handle k) {
    PyObject* o = k.ptr();
    // Integers, NumPy integer scalars and 0-d arrays; not arrays of indices (advanced
    // indexing), though NumPy arrays have __index__ too.
    const bool array_of_indices = nb::hasattr(k, "ndim") && nb::cast<int>(k.attr("ndim")) > 0;
    if (PyIndex_Check(o) && !PyBool_Check(o) && !array_of_indices) {
      const Py_ssize_t i = PyNumber_AsSsize_t(o, PyExc_IndexError);
      if (i == -1 && PyErr_Occurred()) throw nb::python_error();
      items.push_back(IndexItem::integer(i));
    } else if (PySlice_Check(o)) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw nb::python_error();
      // Unpack turns None into extreme values, which the clamping maps to the right ends.
      items.push_back(IndexItem::slice(start, stop, step));
    } else if (o == Py_Ellipsis) {
      items.push_back(IndexItem::ellipsis());
    } else if (o == Py_None) {
      items.push_back(IndexItem::new_axis());
    } else {
      throw nb::index_error(("ndflow: only integers, slices (':'), ellipsis ('...') and None are "
                             "valid indices (basic indexing); got " +
                             python_type_name(k))
                                .c_str());
    }
  };
  if (PyTuple_Check(key.ptr()))
    for (nb::handle k : nb::borrow<nb::tuple>(key)) add(k);
  else
    add(key);
  return items;
}

}  // namespace ndflow::python
