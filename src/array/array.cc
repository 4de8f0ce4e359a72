// The Array handle: metadata, views, blockers and the basic creation functions.
#include <atomic>
#include <cstring>
#include <string>
#include <type_traits>

#include "array/array_impl.h"
#include "array/cpu_allocator.h"
#include "array/pool_allocator.h"
#include "backends/cpu/strided_loop.h"
#include "gpu/gpu_storage.h"
#include "gpu/pinned_host.h"
#include "ndflow/wait_interruption.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {
namespace detail {

Storage::~Storage() {
  if (!engine) return;
  // The memory stays valid until every op already pushed on the var is done.
  if (external_release) {
    engine->delete_var(var, [release = external_release] {
      std::unique_ptr<std::function<void()>> owned(release);
      if (*owned) (*owned)();
    });
    return;
  }
  if (gpu) {
    engine->delete_var(var, [g = gpu] { release_gpu_storage(g); });
    return;
  }
  // Host memory awaiting release counts against the engine's max_inflight_bytes.
  const std::int64_t weight = bytes >= kWeighedBytes ? static_cast<std::int64_t>(bytes) : 0;
  if (pinned) {
    engine->delete_var(
        var, [data = data, bytes = bytes] { pinned_free(data, bytes); }, weight);
    return;
  }
  engine->delete_var(
      var, [data = data, bytes = bytes] { cpu_free(data, bytes); }, weight);
}

bool ArrayImpl::is_contiguous() const noexcept {
  std::int64_t expected = 1;
  for (int i = shape.ndim() - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (shape[i] == 0) return true;
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

namespace {
std::atomic<Engine*> g_array_engine{nullptr};
}  // namespace

Engine& array_engine() {
  Engine* e = g_array_engine.load(std::memory_order_acquire);
  return e ? *e : default_engine();
}
void set_array_engine(Engine* engine) { g_array_engine.store(engine, std::memory_order_release); }

Array new_array(const Shape& shape, DType dtype, Device device, HostMemory host_memory) {
  GpuDevice* gpu = device.is_cpu() ? nullptr : &gpu_device(device);  // throws if none
  for (std::int64_t d : shape)
    if (d < 0) throw ShapeError("ndflow: negative dimension in shape " + shape.to_string());
  auto storage = std::allocate_shared<Storage>(PoolAllocator<Storage>());
  storage->bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  if (gpu) {
    storage->gpu = allocate_gpu_storage(*gpu, storage->bytes);
    storage->data = storage->gpu->block->data();
  } else if (host_memory == HostMemory::kPinned) {
    storage->data = pinned_alloc(storage->bytes);
    storage->pinned = true;
  } else {
    storage->data = cpu_alloc(storage->bytes);
  }
  storage->device = device;
  storage->engine = &array_engine();
  storage->var = storage->engine->new_var();
  return Array(std::allocate_shared<ArrayImpl>(PoolAllocator<ArrayImpl>(), std::move(storage),
                                               shape, contiguous_strides(shape), 0, dtype));
}

Array make_view(const Array& base, const Shape& shape, const Shape& strides, std::int64_t offset) {
  return Array(std::allocate_shared<ArrayImpl>(PoolAllocator<ArrayImpl>(), base.impl()->storage,
                                               shape, strides, offset, base.impl()->dtype));
}

const ArrayImpl& impl_of(const Array& a, const char* op) {
  if (!a.defined())
    throw std::invalid_argument(std::string("ndflow: ") + op +
                                ": the array is undefined "
                                "(default-constructed)");
  return *a.impl();
}

void check_same_device(const char* op, std::initializer_list<const Array*> arrays) {
  const Device first = impl_of(**arrays.begin(), op).device();
  for (const Array* a : arrays) {
    const Device d = impl_of(*a, op).device();
    if (d != first)
      throw DeviceError(std::string("ndflow: ") + op + ": arrays are on different devices (" +
                        first.to_string() + " and " + d.to_string() +
                        "); copy one with copy_to() first");
  }
}

int normalize_axis(int axis, int ndim, const char* op) {
  if (axis < -ndim || axis >= ndim)
    throw AxisError(std::string("ndflow: ") + op + ": axis " + std::to_string(axis) +
                    " is out of bounds for an array of dimension " + std::to_string(ndim));
  return axis < 0 ? axis + ndim : axis;
}

}  // namespace detail

using detail::impl_of;

const Shape& Array::shape() const { return impl_of(*this, "shape").shape; }
const Shape& Array::strides() const { return impl_of(*this, "strides").strides; }
std::int64_t Array::offset() const { return impl_of(*this, "offset").offset; }
DType Array::dtype() const { return impl_of(*this, "dtype").dtype; }
Device Array::device() const { return impl_of(*this, "device").device(); }
bool Array::is_contiguous() const { return impl_of(*this, "is_contiguous").is_contiguous(); }
void* Array::data_ptr() const { return impl_of(*this, "data_ptr").data(); }
bool Array::is_pinned() const { return impl_of(*this, "is_pinned").storage->pinned; }

void Array::wait_to_read() const {
  const detail::ArrayImpl& a = impl_of(*this, "wait_to_read");
  detail::array_engine().wait_to_read(a.var());
  // On a GPU the engine's part ends when the last write was enqueued; then its stream.
  if (detail::GpuStorage* g = a.gpu()) g->sync.wait_for_last_write(WaitInterruption::current());
}

void Array::wait_to_write() const {
  const detail::ArrayImpl& a = impl_of(*this, "wait_to_write");
  detail::array_engine().wait_to_write(a.var());
  if (detail::GpuStorage* g = a.gpu()) g->sync.wait_for_every_access(WaitInterruption::current());
}

void use_on_foreign_stream(const Array& a, std::uintptr_t cuda_stream) {
  const detail::ArrayImpl& impl = impl_of(a, "use_on_foreign_stream");
  detail::GpuStorage* g = impl.gpu();
  if (g == nullptr || gpu_cuda_ordinal(impl.device().index) < 0) return;
  // The allocator records an event on every stream named here when the block is freed.
  g->gpu->allocator->record_stream(g->block, detail::Stream{cuda_stream});
}

void wait_all() {
  detail::array_engine().wait_all();
  // What the GPUs' work held (a simulated kernel's closure may hold the last handle to an
  // array) is released by the time their streams are done; wait for those releases too.
  if (detail::synchronize_all_gpus(WaitInterruption::current())) detail::array_engine().wait_all();
}

namespace {

// Copies `a`'s elements row-major to `dest`, converted to T. The caller has waited.
template <class T>
void gather_as(const detail::ArrayImpl& a, char* dest) {
  visit_dtype(a.dtype, [&](auto tag) {
    using S = decltype(tag);
    const Shape out_strides = contiguous_strides(a.shape);
    detail::StridedPlan<2> plan(a.shape, {&out_strides, &a.strides}, {sizeof(T), sizeof(S)});
    plan.for_each_run({dest, a.data()}, 0, plan.numel(),
                      [](std::array<char*, 2> p, std::array<std::int64_t, 2> step, std::int64_t n) {
                        for (std::int64_t i = 0; i < n; ++i)
                          *reinterpret_cast<T*>(p[0] + i * step[0]) =
                              static_cast<T>(*reinterpret_cast<const S*>(p[1] + i * step[1]));
                      });
  });
}

}  // namespace

template <class T>
std::vector<T> Array::to_vector() const {
  const detail::ArrayImpl& a = impl_of(*this, "to_vector");
  if (!a.device().is_cpu()) return copy_to(Device::cpu()).to_vector<T>();
  wait_to_read();
  const std::size_t n = static_cast<std::size_t>(a.shape.numel());
  // Gather straight into the result; std::vector<bool> has no data(), so bool goes
  // through a plain buffer.
  std::vector<T> out;
  if constexpr (std::is_same_v<T, bool>) {
    std::unique_ptr<bool[]> bools(new bool[n > 0 ? n : 1]);
    gather_as<bool>(a, reinterpret_cast<char*>(bools.get()));
    out.assign(bools.get(), bools.get() + n);
  } else {
    out.resize(n);
    gather_as<T>(a, reinterpret_cast<char*>(out.data()));
  }
  return out;
}

void Array::copy_to_host(void* dest) const {
  const detail::ArrayImpl& a = impl_of(*this, "copy_to_host");
  if (!a.device().is_cpu()) return copy_to(Device::cpu()).copy_to_host(dest);
  wait_to_read();
  if (a.shape.numel() == 0) return;
  if (a.is_contiguous()) {
    std::memcpy(dest, a.data(), static_cast<std::size_t>(a.shape.numel()) * dtype_size(a.dtype));
    return;
  }
  visit_dtype(a.dtype, [&](auto tag) { gather_as<decltype(tag)>(a, static_cast<char*>(dest)); });
}

template <class T>
T Array::item() const {
  const detail::ArrayImpl& a = impl_of(*this, "item");
  if (a.shape.numel() != 1)
    throw ShapeError("ndflow: item() needs an array of exactly one element, got shape " +
                     a.shape.to_string());
  return to_vector<T>()[0];
}

#define NDFLOW_INSTANTIATE_BLOCKERS(T)                 \
  template std::vector<T> Array::to_vector<T>() const; \
  template T Array::item<T>() const;
NDFLOW_INSTANTIATE_BLOCKERS(bool)
NDFLOW_INSTANTIATE_BLOCKERS(std::uint8_t)
NDFLOW_INSTANTIATE_BLOCKERS(std::int32_t)
NDFLOW_INSTANTIATE_BLOCKERS(std::int64_t)
NDFLOW_INSTANTIATE_BLOCKERS(float)
NDFLOW_INSTANTIATE_BLOCKERS(double)
#undef NDFLOW_INSTANTIATE_BLOCKERS

// --- Creation -------------------------------------------------------------------------------

Array empty(const Shape& shape, DType dtype, Device device) {
  return detail::new_array(shape, dtype, device);
}

Array full(const Shape& shape, Scalar value, DType dtype, Device device) {
  Array out = detail::new_array(shape, dtype, device);
  char* data = out.impl()->data();
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T v = value.kind() == Scalar::Kind::kFloat ? static_cast<T>(value.as_double())
                                                     : static_cast<T>(value.as_int());
    detail::CudaLaunch cuda;
    if (detail::runs_cuda_kernels(device)) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &v, sizeof v);
      cuda = detail::cuda_fill(*out.impl(), bits);
    }
    detail::launch_parallel(
        "full", detail::VarsOf{}, detail::VarsOf{&out}, device, out.size(),
        [out, data, v](std::int64_t b, std::int64_t e) {
          T* p = reinterpret_cast<T*>(data);
          std::fill(p + b, p + e, v);
        },
        detail::kParallelGrain, std::move(cuda));
  });
  return out;
}

Array zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0, dtype, device);
}
Array ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1, dtype, device); }

template <class T>
Array from_data(const T* data, const Shape& shape, Device device) {
  // A GPU's memory is written by its streams only: stage on the host, then copy.
  if (!device.is_cpu()) return from_data(data, shape, Device::cpu()).copy_to(device);
  Array out = detail::new_array(shape, dtype_of<T>(), device);
  // Fresh storage has no pending ops: copy now, since `data` need not outlive the call.
  if (out.size() > 0) std::memcpy(out.impl()->data(), data, out.size() * sizeof(T));
  return out;
}
template Array from_data<bool>(const bool*, const Shape&, Device);
template Array from_data<std::uint8_t>(const std::uint8_t*, const Shape&, Device);
template Array from_data<std::int32_t>(const std::int32_t*, const Shape&, Device);
template Array from_data<std::int64_t>(const std::int64_t*, const Shape&, Device);
template Array from_data<float>(const float*, const Shape&, Device);
template Array from_data<double>(const double*, const Shape&, Device);

Array from_external(void* data, const Shape& shape, const Shape& strides, DType dtype,
                    Device device, std::function<void()> release) {
  if (!device.is_cpu())
    throw DeviceError("ndflow: from_external: " + device.to_string() +
                      " memory is not supported by this build");
  if (strides.ndim() != shape.ndim())
    throw ShapeError("ndflow: from_external: strides " + strides.to_string() +
                     " do not match shape " + shape.to_string());
  std::int64_t last = 0;  // the highest element offset, for the storage's byte count
  for (int i = 0; i < shape.ndim(); ++i) {
    if (shape[i] < 0)
      throw ShapeError("ndflow: from_external: negative dimension in shape " + shape.to_string());
    if (strides[i] < 0)
      throw ShapeError("ndflow: from_external: negative strides " + strides.to_string() +
                       " are not supported; copy the data instead");
    if (shape[i] > 0) last += (shape[i] - 1) * strides[i];
  }
  auto storage = std::allocate_shared<detail::Storage>(detail::PoolAllocator<detail::Storage>());
  storage->data = data;
  storage->bytes = shape.numel() == 0 ? 0 : static_cast<std::size_t>(last + 1) * dtype_size(dtype);
  storage->device = device;
  storage->engine = &detail::array_engine();
  storage->var = storage->engine->new_var();
  storage->external_release = new std::function<void()>(std::move(release));
  auto impl = std::allocate_shared<detail::ArrayImpl>(detail::PoolAllocator<detail::ArrayImpl>());
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  return Array(std::move(impl));
}

}  // namespace ndflow
