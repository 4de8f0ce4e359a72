// DLPack, both ways. Export (x.__dlpack__) hands out ndflow's memory after waiting for its
// pending ops, reads as well as writes: a CUDA GPU's array as CUDA memory of its physical
// device, a CPU or simulated GPU's array as host memory (where its bytes are). Since they
// are waited for on the host, any consumer stream may use it at once. The consumer names
// its stream (DLPack's `stream`), and may still have work queued there that uses the memory
// when it lets go of it: the memory is handed out again only after that work
// (use_on_foreign_stream). DLPack's `copy=True` exports a copy, and `dl_device=(1, 0)`
// (NumPy's device="cpu") a copy on the host of a CUDA GPU's array.
// Import (np.from_dlpack) wraps the producer's memory without copying when it is CPU memory
// with non-negative strides and a dtype ndflow has, and copies other host memory. CUDA
// memory is copied onto the ndflow GPU of the same physical device (its first logical one):
// the producer is asked to order its writes before CUDA's legacy default stream (DLPack's
// stream 1), and the copy waits for that stream on the device.
//
// An imported array keeps its producer alive. The last use of that memory may end on an
// engine worker, which must not take the GIL (a Python thread holding it may be waiting for
// that very worker), so the release only parks the producer's handle; a Python thread
// drops parked handles soon after, through Py_AddPendingCall, or at the next import. Once
// Python is exiting, handles still parked or released later are leaked on purpose.
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.h"
#include "gil.h"
#include "module.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/device.h"

namespace ndflow::python {
namespace {

using Imported = nb::ndarray<nb::device::cpu>;

struct Graveyard {
  std::mutex mutex;
  std::vector<Imported*> parked;
  std::atomic<bool> drain_scheduled{false};
  // False once Python is exiting: from then on parked handles are left alone (leaked),
  // since the interpreter that could drop them is going away.
  std::atomic<bool> python_alive{true};
};
Graveyard& graveyard() {
  static auto* g = new Graveyard();  // leaked: used by workers until the process ends
  return *g;
}

// With the GIL held: drops every parked producer handle.
int drain_parked(void* = nullptr) {
  Graveyard& g = graveyard();
  g.drain_scheduled.store(false);
  std::vector<Imported*> parked;
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    parked.swap(g.parked);
  }
  for (Imported* handle : parked) delete handle;
  return 0;
}

// From any thread, without the GIL.
void park(Imported* handle) {
  Graveyard& g = graveyard();
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    g.parked.push_back(handle);
  }
  if (g.python_alive.load() && !g.drain_scheduled.exchange(true))
    Py_AddPendingCall(&drain_parked, nullptr);
}

std::optional<DType> dtype_from_dlpack(nb::dlpack::dtype t) {
  if (t.lanes != 1) return std::nullopt;
  for (DType d : {kBool, kUInt8, kInt32, kInt64, kFloat32, kFloat64}) {
    if (dlpack_dtype(d) == t) return d;
  }
  return std::nullopt;
}

// DLPack's (device type, device id) for a's memory: CUDA memory of a CUDA GPU's physical
// device, or host memory (the CPU's, and a simulated GPU's).
std::pair<std::int32_t, std::int32_t> dlpack_device_of(const Array& a) {
  if (a.device().is_cpu()) return {nb::device::cpu::value, 0};
  const int ordinal = gpu_cuda_ordinal(a.device().index);
  if (ordinal < 0) return {nb::device::cpu::value, 0};
  return {nb::device::cuda::value, ordinal};
}

// The CUDA stream a DLPack consumer says it will use the memory on: DLPack's `stream`
// argument, where None (and -1, "do not synchronise") mean CUDA's legacy default stream, 1.
std::uintptr_t consumer_stream(const nb::dict& kwargs) {
  constexpr std::uintptr_t kLegacyDefaultStream = 1;
  if (!kwargs.contains("stream")) return kLegacyDefaultStream;
  const nb::handle stream = kwargs["stream"];
  if (stream.is_none()) return kLegacyDefaultStream;
  const auto value = nb::cast<std::intptr_t>(stream);
  if (value == -1) return kLegacyDefaultStream;
  if (value == 0)  // DLPack: ambiguous, so not allowed for CUDA
    throw nb::value_error(
        "ndarray.__dlpack__: stream 0 is ambiguous for CUDA memory; pass 1 "
        "for the legacy default stream, 2 for the per-thread one, or a stream");
  return static_cast<std::uintptr_t>(value);
}

// DLPack's `copy` (None: share; True: always a copy; False: never one) and `dl_device`
// (None or a (type, id) pair: the device whose memory the consumer wants). Returns the
// device to export a copy from, or nullopt to share the array's memory; raises BufferError
// for what cannot be done.
std::optional<Device> export_copy_target(const Array& a, const nb::dict& kwargs) {
  std::optional<bool> copy;
  if (kwargs.contains("copy") && !kwargs["copy"].is_none()) copy = nb::cast<bool>(kwargs["copy"]);
  const std::pair<std::int32_t, std::int32_t> own = dlpack_device_of(a);
  std::pair<std::int32_t, std::int32_t> wanted = own;
  if (kwargs.contains("dl_device") && !kwargs["dl_device"].is_none())
    wanted = nb::cast<std::pair<std::int32_t, std::int32_t>>(kwargs["dl_device"]);
  if (wanted == own) {
    if (copy == true) return a.device();
    return std::nullopt;
  }
  const std::pair<std::int32_t, std::int32_t> host{nb::device::cpu::value, 0};
  if (wanted == host && copy != false) return Device::cpu();
  const std::string why = wanted == host ? " without a copy, and copy=False forbids one"
                                         : "; only the host's, (1, 0), can be asked for";
  throw nb::buffer_error(("ndarray.__dlpack__: an array on " + a.device().to_string() +
                          " cannot be exported as memory of DLPack device (" +
                          std::to_string(wanted.first) + ", " + std::to_string(wanted.second) +
                          ")" + why)
                             .c_str());
}

// Exports `self`'s memory, shared. kwargs are __dlpack__'s, `copy` and `dl_device` already
// answered (nanobind refuses copy=True and any device but the memory's own).
nb::object export_shared(nb::handle self, const nb::dict& kwargs) {
  const Array& a = nb::cast<const Array&>(self);
  const auto [device_type, device_id] = dlpack_device_of(a);
  if (device_type == nb::device::cuda::value) use_on_foreign_stream(a, consumer_stream(kwargs));
  // The consumer may write the memory (NumPy's and PyTorch's views are writable), so every
  // pending op on it goes first, its reads too.
  wait_without_gil([&a] { a.wait_to_write(); });
  std::vector<std::size_t> dims(a.shape().begin(), a.shape().end());
  std::vector<std::int64_t> strides(a.strides().begin(), a.strides().end());
  // The exported view keeps `self`, and with it the storage, alive.
  nb::ndarray<nb::array_api> view(a.data_ptr(), dims.size(), dims.data(), self, strides.data(),
                                  dlpack_dtype(a.dtype()), device_type, device_id);
  return nb::cast(view).attr("__dlpack__")(**kwargs);
}

nb::object export_dlpack(nb::handle self, nb::kwargs kwargs) {
  const Array& a = nb::cast<const Array&>(self);
  const std::optional<Device> to = export_copy_target(a, kwargs);
  if (!to) return export_shared(self, kwargs);
  // A copy no one else holds, exported as it is.
  nb::object copied = nb::cast(*to == a.device() ? a.copy() : a.copy_to(*to));
  nb::dict rest;
  for (auto [key, value] : kwargs) {
    const std::string name = nb::cast<std::string>(key);
    if (name != "copy" && name != "dl_device") rest[key] = value;
  }
  return export_shared(copied, rest);
}

// obj's DLPack (device type, device id); type -1 when it does not say (no DLPack producer).
std::pair<std::int32_t, std::int32_t> dlpack_device_type_of(nb::handle obj) {
  if (!nb::hasattr(obj, "__dlpack_device__")) return {-1, 0};
  nb::tuple device = nb::cast<nb::tuple>(obj.attr("__dlpack_device__")());
  return {nb::cast<std::int32_t>(device[0]), nb::cast<std::int32_t>(device[1])};
}

// The ndflow GPU on CUDA device `ordinal` (the first logical one), or -1.
int gpu_on_cuda_device(int ordinal) {
  for (int i = 0; i < num_gpus(); ++i)
    if (gpu_cuda_ordinal(i) == ordinal) return i;
  return -1;
}

nb::object import_cuda_dlpack(nb::handle obj, int ordinal) {
  const int gpu = gpu_on_cuda_device(ordinal);
  if (gpu < 0) {
    const std::string why =
        num_gpus() > 0 ? "its GPUs are simulated or other devices" : gpu_absence_reason();
    throw nb::type_error(("ndflow.from_dlpack: x is in the memory of CUDA device " +
                          std::to_string(ordinal) + ", which ndflow does not use here (" + why +
                          "). Copy it to the host first (for a PyTorch tensor, x.cpu()).")
                             .c_str());
  }
  // Stream 1: the producer orders its pending writes before CUDA's legacy default stream.
  nb::object capsule = obj.attr("__dlpack__")(nb::arg("stream") = 1);
  nb::ndarray<nb::device::cuda> view;
  if (!nb::try_cast(capsule, view, /*convert=*/false))
    throw nb::type_error("ndflow.from_dlpack: x's __dlpack__ gave no CUDA tensor");
  const std::optional<DType> dtype = dtype_from_dlpack(view.dtype());
  if (!dtype || view.ndim() > static_cast<std::size_t>(Shape::kMaxDims))
    throw nb::type_error(
        "ndflow.from_dlpack: x has a dtype or a number of dimensions ndflow lacks");
  std::vector<std::int64_t> dims(view.ndim()), strides(view.ndim());
  for (std::size_t i = 0; i < view.ndim(); ++i) {
    dims[i] = static_cast<std::int64_t>(view.shape(i));
    strides[i] = view.stride(i);
  }
  const void* data = view.data();
  Array out = without_gil([&] {
    return copy_from_cuda_memory(data, Shape(dims), Shape(strides), *dtype, Device::gpu(gpu));
  });
  return nb::cast(std::move(out));
}

nb::object import_dlpack(nb::handle obj) {
  if (nb::isinstance<Array>(obj)) return nb::borrow(obj);
  drain_parked();
  // Device memory first, so that its producer is asked for it once, with a stream.
  if (const auto [type, id] = dlpack_device_type_of(obj); type == nb::device::cuda::value) {
    return import_cuda_dlpack(obj, id);
  } else if (type != -1 && type != nb::device::cpu::value) {
    throw nb::type_error(("ndflow.from_dlpack: x is in the memory of DLPack device type " +
                          std::to_string(type) +
                          ", which ndflow cannot read; copy it to the host first.")
                             .c_str());
  }
  Imported view;
  if (nb::try_cast(obj, view, /*convert=*/false) && view.device_type() == nb::device::cpu::value) {
    const std::optional<DType> dtype = dtype_from_dlpack(view.dtype());
    std::vector<std::int64_t> dims(view.ndim()), strides(view.ndim());
    bool negative = false;
    for (std::size_t i = 0; i < view.ndim(); ++i) {
      dims[i] = static_cast<std::int64_t>(view.shape(i));
      strides[i] = view.stride(i);
      negative = negative || strides[i] < 0;
    }
    if (dtype && !negative && view.ndim() <= static_cast<std::size_t>(Shape::kMaxDims)) {
      auto* keep = new Imported(view);
      return nb::cast(from_external(view.data(), Shape(dims), Shape(strides), *dtype, Device::cpu(),
                                    [keep] { park(keep); }));
    }
  }
  // Not zero-copy: negative strides, a read-only buffer, a dtype ndflow lacks.
  nb::module_ np = nb::module_::import_("numpy");
  nb::object host = nb::hasattr(obj, "__dlpack__") ? np.attr("from_dlpack")(obj) : nb::borrow(obj);
  return nb::cast(to_array_like(host));
}

}  // namespace

void bind_dlpack(nb::module_& m) {
  nb::handle cls = m.attr("ndarray");
  cls.attr("__dlpack__") =
      nb::cpp_function(&export_dlpack, nb::scope(cls), nb::name("__dlpack__"), nb::is_method());
  cls.attr("__dlpack_device__") = nb::cpp_function(
      [](const Array& a) {
        const auto [type, id] = dlpack_device_of(a);
        return nb::make_tuple(type, id);
      },
      nb::scope(cls), nb::name("__dlpack_device__"), nb::is_method());
  m.def("from_dlpack", &import_dlpack, nb::arg("x"),
        "An ndarray over x's memory (zero-copy for CPU memory ndflow can address). The "
        "memory stays shared and ops read it when they run, not when they are pushed: "
        "change x only after waiting for them (npx.waitall()).");
  m.def("_python_exiting", [] {
    graveyard().python_alive.store(false);
    drain_parked();
  });
}

}  // namespace ndflow::python
