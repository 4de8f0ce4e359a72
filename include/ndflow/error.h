// The errors ndflow raises at the call, before anything is pushed. Each message says what
// was wrong and what was expected. The Python binding maps them to ValueError (ShapeError,
// AxisError), IndexError (IndexError), TypeError (DTypeError) and RuntimeError (DeviceError,
// OutOfMemoryError).
#pragma once

#include <stdexcept>

namespace ndflow {

// Shapes that do not fit: broadcasting, matmul inner dimensions, reshape sizes, indices.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// An axis out of range for the array's number of dimensions (or repeated).
class AxisError : public ShapeError {
 public:
  using ShapeError::ShapeError;
};

// An index out of range for its axis (Python: IndexError).
class IndexError : public ShapeError {
 public:
  using ShapeError::ShapeError;
};

// A dtype the op does not support, or a value that does not fit it.
class DTypeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Arrays on different devices, or a device that does not exist.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device has no room for a request, even after ndflow returned its cached memory. The
// message names the device, the request, what the device reports free, what ndflow holds
// and its limit, and what to do about it.
class OutOfMemoryError : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

}  // namespace ndflow
