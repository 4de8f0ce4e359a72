// What an Array handle points to: a view (shape, strides, offset, dtype) over a Storage
// that owns the memory and the engine Var guarding it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "ndflow/array.h"
#include "ndflow/engine.h"

namespace ndflow::detail {

struct GpuStorage;  // gpu/gpu_storage.h

// One allocation and its Var. When the last view goes, the memory is released by the op
// that deletes the Var, i.e. after every op pushed on it is done.
// Host storages of at least this many bytes count against the engine's bound on memory held
// for work not done (EngineOptions::max_inflight_bytes), as an op's output and as a pending
// release; smaller ones weigh nothing. The bound on ops in flight already bounds those, and
// leaving the engine's byte counter alone keeps a loop of small ops from bouncing its cache
// line between cores.
inline constexpr std::size_t kWeighedBytes = std::size_t{64} << 10;

struct Storage {
  void* data = nullptr;
  std::size_t bytes = 0;
  Device device;
  Var var;
  Engine* engine = nullptr;
  // Memory ndflow does not own (from_external): how to give it back instead of cpu_free.
  // A pointer, so that the common Storage stays small.
  std::function<void()>* external_release = nullptr;
  // Memory on a GPU: its block and fences (null on the CPU).
  GpuStorage* gpu = nullptr;
  // Host memory from the pinned cache (gpu/pinned_host.h) instead of cpu_alloc.
  bool pinned = false;

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
};

struct ArrayImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  std::int64_t offset = 0;
  DType dtype = kFloat32;

  ArrayImpl() = default;
  // Constructs every field at once: default-constructing, then assigning, would first
  // zero-fill both shapes (176 bytes), a measurable share of dispatching `y = x + 1`.
  ArrayImpl(std::shared_ptr<Storage> storage_, const Shape& shape_, const Shape& strides_,
            std::int64_t offset_, DType dtype_)
      : storage(std::move(storage_)),
        shape(shape_),
        strides(strides_),
        offset(offset_),
        dtype(dtype_) {}

  // The first element. Dereference only inside an op that holds the Var (or after a wait).
  char* data() const noexcept {
    return static_cast<char*>(storage->data) +
           offset * static_cast<std::int64_t>(dtype_size(dtype));
  }
  Var var() const noexcept { return storage->var; }
  GpuStorage* gpu() const noexcept { return storage->gpu; }
  Device device() const noexcept { return storage->device; }
  bool is_contiguous() const noexcept;
};

// The engine arrays run on: default_engine(), unless a test has set another.
Engine& array_engine();
// For tests: run arrays created from now on on `engine` (nullptr: back to the default).
// Arrays must not outlive the engine they were created on.
void set_array_engine(Engine* engine);

// A new contiguous array with fresh (uninitialised) storage. Throws DeviceError for a
// device this build cannot use. `host_memory` applies to arrays on the CPU.
Array new_array(const Shape& shape, DType dtype, Device device,
                HostMemory host_memory = HostMemory::kPageable);
// A view of `base`'s storage.
Array make_view(const Array& base, const Shape& shape, const Shape& strides, std::int64_t offset);

// The impl of a defined array; throws std::invalid_argument naming `op` otherwise.
const ArrayImpl& impl_of(const Array& a, const char* op);

// Throws DeviceError unless every array is on the same device as the first.
void check_same_device(const char* op, std::initializer_list<const Array*> arrays);

// Normalises a possibly negative axis; throws AxisError naming `op` when out of range.
int normalize_axis(int axis, int ndim, const char* op);

}  // namespace ndflow::detail
