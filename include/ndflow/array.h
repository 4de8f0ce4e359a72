// ndflow::Array: an n-d array whose operations return at once and run on the engine.
//
// An Array is a cheap handle (shared ownership) to a view: shape, strides, offset and dtype
// over a Storage, which owns the memory and the engine Var guarding it. Views share their
// base's Storage and Var, so the engine orders every op on any view of the same memory.
// Operations validate shapes, dtypes and devices at the call (throwing ndflow::ShapeError,
// AxisError, DTypeError or DeviceError, with nothing pushed), allocate the result, push
// the kernel and return. Only the blockers below wait: wait_to_read, to_vector, item,
// to_string / operator<<, and ndflow::wait_all(). An error inside a kernel surfaces at
// the next blocker on its result.
//
// Thread safety: Arrays may be created and used from several threads; one Array object is
// not to be assigned from one thread while another uses it (like std::shared_ptr).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ndflow/device.h"
#include "ndflow/dtype.h"
#include "ndflow/error.h"
#include "ndflow/shape.h"

namespace ndflow {

namespace detail {
struct ArrayImpl;
}

// A scalar operand: keeps whether it was written as an integer or a floating value, for
// NumPy's promotion rules (an int32 array + 1 stays int32; + 1.5 becomes float64).
class Scalar {
 public:
  Scalar() noexcept : Scalar(0) {}  // the integer 0
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) noexcept  // NOLINT(google-explicit-constructor): scalars convert implicitly
      : value_(static_cast<double>(v)),
        int_value_(std::is_floating_point_v<T> ? 0 : static_cast<std::int64_t>(v)),
        kind_(std::is_same_v<T, bool>       ? Kind::kBool
              : std::is_floating_point_v<T> ? Kind::kFloat
                                            : Kind::kInt) {}
  enum class Kind : std::uint8_t { kBool, kInt, kFloat };
  Kind kind() const noexcept { return kind_; }
  double as_double() const noexcept { return value_; }
  std::int64_t as_int() const noexcept {
    return kind_ == Kind::kFloat ? static_cast<std::int64_t>(value_) : int_value_;
  }

 private:
  double value_;
  std::int64_t int_value_;
  Kind kind_;
};

// One item of NumPy basic indexing (x[1, 2:5, ..., None]): an integer (drops its axis), a
// slice (Python's start:stop:step, clamped), an ellipsis (the axes not named) or a new axis.
struct IndexItem {
  enum class Kind : std::uint8_t { kInteger, kSlice, kEllipsis, kNewAxis };
  Kind kind = Kind::kEllipsis;
  std::int64_t index = 0;  // kInteger: negative counts from the end
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;

  static IndexItem integer(std::int64_t i) { return {Kind::kInteger, i, {}, {}, 1}; }
  static IndexItem slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                         std::int64_t step = 1) {
    return {Kind::kSlice, 0, start, stop, step};
  }
  static IndexItem ellipsis() { return {Kind::kEllipsis, 0, {}, {}, 1}; }
  static IndexItem new_axis() { return {Kind::kNewAxis, 0, {}, {}, 1}; }
};

// Where a copy to the host puts its result (Array::copy_to). Page-locked ("pinned") memory
// is written directly by a GPU's copy engine: a copy out of a GPU then runs wholly on the
// GPU's copy-out stream, overlapping its compute, with no thread blocked on it (PyTorch's
// to("cpu", non_blocking=True)). Pinned blocks are cached for reuse. Only copies out of a
// GPU look at it; other copies make pageable arrays.
enum class HostMemory : std::uint8_t { kPageable, kPinned };

class Array {
 public:
  Array() = default;  // undefined: every operation on it throws std::invalid_argument
  explicit Array(std::shared_ptr<detail::ArrayImpl> impl) noexcept : impl_(std::move(impl)) {}

  // --- Metadata (never blocks) ---------------------------------------------------------
  bool defined() const noexcept { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;  // in elements; 0 where a dim is broadcast
  std::int64_t offset() const;   // in elements, from the start of the storage
  DType dtype() const;
  Device device() const;
  int ndim() const { return shape().ndim(); }
  std::int64_t size() const { return shape().numel(); }
  bool is_contiguous() const;  // row-major, no gaps
  // The first element's address in the array's device memory. Does not wait: read it only
  // after wait_to_read(), and expect later ops on the array to change what it points to.
  void* data_ptr() const;

  // --- Blockers --------------------------------------------------------------------------
  void wait_to_read() const;  // until every write pushed on this array is done; rethrows
  // Until every op pushed on this array's memory is done, reads too; rethrows. What a
  // caller needs before it writes the memory outside ndflow (through data_ptr()).
  void wait_to_write() const;
  template <class T>
  std::vector<T> to_vector() const;  // row-major copy on the host, converted to T
  template <class T>
  T item() const;  // the one element of a size-1 array, converted to T
  // Copies the elements row-major, in this array's dtype, to `dest` (size() * itemsize bytes).
  void copy_to_host(void* dest) const;
  // NumPy-like text with shape, dtype and device, e.g. "array([1., 2.], dtype=float32, ctx=cpu(0))"
  std::string to_string() const;

  // --- Views (share storage and Var) and copies ------------------------------------------
  Array reshape(const Shape& shape) const;  // one dim may be -1; copies if not contiguous
  Array transpose() const;                  // reverses the axes
  Array transpose(const std::vector<int>& axes) const;
  Array T() const { return transpose(); }
  Array operator[](std::int64_t i) const;  // index the first axis (negative from the end)
  // Basic slicing of one axis, Python-style (start/stop clamp, negative from the end).
  Array slice(int axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
              std::int64_t step = 1) const;
  // NumPy's basic indexing: a view. Throws IndexError for too many indices or one out of range.
  Array index(const std::vector<IndexItem>& items) const;
  Array astype(DType dtype) const;  // always a new array
  Array copy() const;               // a contiguous copy with its own storage
  Array copy_to(Device device, HostMemory host_memory = HostMemory::kPageable) const;
  // Whether the array's memory is pinned host memory (see HostMemory).
  bool is_pinned() const;

  // --- In place (write this array's Var, ordered by the engine) --------------------------
  Array& operator+=(const Array& other);
  Array& operator-=(const Array& other);
  Array& operator*=(const Array& other);
  Array& operator/=(const Array& other);
  Array& operator+=(Scalar s);
  Array& operator-=(Scalar s);
  Array& operator*=(Scalar s);
  Array& operator/=(Scalar s);

  const std::shared_ptr<detail::ArrayImpl>& impl() const noexcept { return impl_; }

 private:
  std::shared_ptr<detail::ArrayImpl> impl_;
};

// Blocks to print (NumPy-like, with shape, dtype and device).
std::ostream& operator<<(std::ostream& os, const Array& a);

// Until every op pushed so far on the default engine is done; rethrows the first failure.
void wait_all();

// --- Creation ------------------------------------------------------------------------------
Array empty(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Array zeros(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Array ones(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Array full(const Shape& shape, Scalar value, DType dtype = kFloat32, Device device = Device::cpu());
// NumPy's arange: values start, start + step, ... below stop (above, for a negative step).
Array arange(double start, double stop, double step = 1, DType dtype = kFloat32,
             Device device = Device::cpu());
Array linspace(double start, double stop, std::int64_t num = 50, bool endpoint = true,
               DType dtype = kFloat32, Device device = Device::cpu());
Array eye(std::int64_t n, std::int64_t m = -1, std::int64_t k = 0, DType dtype = kFloat32,
          Device device = Device::cpu());
// A copy of host data (row-major), with the dtype of T.
template <class T>
Array from_data(const T* data, const Shape& shape, Device device = Device::cpu());
// Wraps memory the caller owns, without copying: `release` runs once the last handle is gone
// and every op pushed on the array (or its views) is done, on whichever thread gets there.
// Strides are in elements and must not be negative.
Array from_external(void* data, const Shape& shape, const Shape& strides, DType dtype,
                    Device device, std::function<void()> release);
// A copy on `device`, a CUDA GPU, of memory another CUDA library owns (DLPack imports):
// `shape` elements of `dtype` at `data`, strides in elements (any sign), on the physical
// GPU of `device`. The copy runs after the work queued so far on CUDA's legacy default
// stream, and has finished when this returns, so the memory may be released then. Throws
// DeviceError for a CPU or simulated GPU, or for data that is not memory of that GPU.
Array copy_from_cuda_memory(const void* data, const Shape& shape, const Shape& strides, DType dtype,
                            Device device);
// For DLPack exports: work another CUDA library queues on `cuda_stream` (a cudaStream_t; 1
// and 2 name CUDA's legacy and per-thread default streams, as DLPack does) may read or
// write a's memory. Once a's storage is released, that memory is handed out again only
// after the work queued on that stream by then has run (an event recorded on it), so the
// stream must outlive the storage. Does nothing for an array on the CPU or on a simulated
// GPU, whose memory is the host's.
void use_on_foreign_stream(const Array& a, std::uintptr_t cuda_stream);
template <class T>
Array from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu()) {
  return from_data(values.data(), shape, device);
}

namespace random {
// Seeds the generator: the same seed gives the same numbers whatever the scheduling and
// the number of workers (each random op draws from a counter-based stream keyed by the
// seed and its position in program order).
void seed(std::uint64_t s);
Array uniform(double low, double high, const Shape& shape, DType dtype = kFloat32,
              Device device = Device::cpu());
Array normal(double mean, double stddev, const Shape& shape, DType dtype = kFloat32,
             Device device = Device::cpu());
// Integers in [low, high).
Array randint(std::int64_t low, std::int64_t high, const Shape& shape, DType dtype = kInt64,
              Device device = Device::cpu());
}  // namespace random

// --- Element-wise (NumPy broadcasting and type promotion) -----------------------------------
// Each binary function also takes a scalar on either side (np.add(x, 1)): its dtype follows
// NEP 50 (see scalar_like), and no 0-d array is made for it on the common path.
#define NDFLOW_DECLARE_BINARY(fn)           \
  Array fn(const Array& a, const Array& b); \
  Array fn(const Array& a, Scalar b);       \
  Array fn(Scalar a, const Array& b);
NDFLOW_DECLARE_BINARY(add)
NDFLOW_DECLARE_BINARY(subtract)
NDFLOW_DECLARE_BINARY(multiply)
NDFLOW_DECLARE_BINARY(divide)  // true division: integers give float64
NDFLOW_DECLARE_BINARY(power)
NDFLOW_DECLARE_BINARY(maximum)
NDFLOW_DECLARE_BINARY(minimum)
NDFLOW_DECLARE_BINARY(equal)  // comparisons give bool arrays
NDFLOW_DECLARE_BINARY(not_equal)
NDFLOW_DECLARE_BINARY(less)
NDFLOW_DECLARE_BINARY(less_equal)
NDFLOW_DECLARE_BINARY(greater)
NDFLOW_DECLARE_BINARY(greater_equal)
#undef NDFLOW_DECLARE_BINARY
Array where(const Array& condition, const Array& a, const Array& b);
// With a scalar for one side: the scalar's dtype follows the array beside it (NEP 50, as in
// binary ops), so where(c, x, 0) keeps x's dtype.
Array where(const Array& condition, const Array& a, Scalar b);
Array where(const Array& condition, Scalar a, const Array& b);

Array negative(const Array& a);
Array abs(const Array& a);
Array exp(const Array& a);  // exp/log/sqrt/tanh/sigmoid of integers give float64
Array log(const Array& a);
Array sqrt(const Array& a);
Array tanh(const Array& a);
Array sigmoid(const Array& a);
Array relu(const Array& a);

// A scalar operand becomes a 0-d array of the dtype NumPy would give it next to `like`.
Array scalar_like(Scalar s, const Array& like);

Array operator+(const Array& a, const Array& b);
Array operator-(const Array& a, const Array& b);
Array operator*(const Array& a, const Array& b);
Array operator/(const Array& a, const Array& b);
Array operator-(const Array& a);
Array operator==(const Array& a, const Array& b);
Array operator!=(const Array& a, const Array& b);
Array operator<(const Array& a, const Array& b);
Array operator<=(const Array& a, const Array& b);
Array operator>(const Array& a, const Array& b);
Array operator>=(const Array& a, const Array& b);
#define NDFLOW_SCALAR_OPERATOR(op, fn)                                    \
  inline Array operator op(const Array& a, Scalar s) { return fn(a, s); } \
  inline Array operator op(Scalar s, const Array& a) { return fn(s, a); }
NDFLOW_SCALAR_OPERATOR(+, add)
NDFLOW_SCALAR_OPERATOR(-, subtract)
NDFLOW_SCALAR_OPERATOR(*, multiply)
NDFLOW_SCALAR_OPERATOR(/, divide)
NDFLOW_SCALAR_OPERATOR(==, equal)
NDFLOW_SCALAR_OPERATOR(!=, not_equal)
NDFLOW_SCALAR_OPERATOR(<, less)
NDFLOW_SCALAR_OPERATOR(<=, less_equal)
NDFLOW_SCALAR_OPERATOR(>, greater)
NDFLOW_SCALAR_OPERATOR(>=, greater_equal)
#undef NDFLOW_SCALAR_OPERATOR

// --- Linear algebra -------------------------------------------------------------------------
// NumPy's matmul: 1-d operands are promoted and the added dim removed; N-d operands are
// stacks of matrices with broadcast batch dims. float32 and float64 go through OpenBLAS.
Array matmul(const Array& a, const Array& b);
// NumPy's dot: 0-d scales; 1-d x 1-d is the inner product; else matmul for <= 2-d.
Array dot(const Array& a, const Array& b);

// How float32 products are computed on CUDA GPUs, PyTorch's names: "highest" (the default)
// in full float32; "high" lets cuBLAS use TF32 tensor cores (10-bit mantissas for the
// operands, float32 sums: faster, about 1e-3 relative error). Read when a matmul or dot is
// called, so it applies to the products called after it. The CPU always computes in full
// float32. Any other name throws ShapeError (ValueError in Python).
void set_float32_matmul_precision(const std::string& precision);
std::string get_float32_matmul_precision();

// --- Joining --------------------------------------------------------------------------------
Array concatenate(const std::vector<Array>& arrays, int axis = 0);
Array stack(const std::vector<Array>& arrays, int axis = 0);

// --- Reductions (axes may be negative; an empty list means every axis) ----------------------
Array sum(const Array& a, const std::vector<int>& axes = {}, bool keepdims = false);
Array mean(const Array& a, const std::vector<int>& axes = {}, bool keepdims = false);
Array max(const Array& a, const std::vector<int>& axes = {}, bool keepdims = false);
Array min(const Array& a, const std::vector<int>& axes = {}, bool keepdims = false);
// Index of the first extreme along `axis`, or in the flattened array when there is none.
Array argmax(const Array& a, std::optional<int> axis = std::nullopt, bool keepdims = false);
Array argmin(const Array& a, std::optional<int> axis = std::nullopt, bool keepdims = false);

}  // namespace ndflow
