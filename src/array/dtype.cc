#include "ndflow/dtype.h"

#include "ndflow/error.h"

namespace ndflow {

std::size_t dtype_size(DType t) noexcept {
  switch (t) {
    case kBool:
    case kUInt8:
      return 1;
    case kInt32:
    case kFloat32:
      return 4;
    case kInt64:
    case kFloat64:
      return 8;
  }
  return 8;
}

const char* dtype_name(DType t) noexcept {
  switch (t) {
    case kBool:
      return "bool";
    case kUInt8:
      return "uint8";
    case kInt32:
      return "int32";
    case kInt64:
      return "int64";
    case kFloat32:
      return "float32";
    case kFloat64:
      return "float64";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  for (DType t : {kBool, kUInt8, kInt32, kInt64, kFloat32, kFloat64})
    if (name == dtype_name(t)) return t;
  throw DTypeError("ndflow: unknown dtype '" + name +
                   "': expected one of bool, uint8, int32, int64, float32, float64");
}

DType promote_types(DType a, DType b) noexcept {
  if (a == b) return a;
  if (a == kBool) return b;
  if (b == kBool) return a;
  const bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) return kFloat64;  // float32 with float64
  if (fa || fb) {
    // A float with an integer: float32 holds uint8 exactly, but not int32 or int64.
    const DType f = fa ? a : b, i = fa ? b : a;
    return (f == kFloat32 && i == kUInt8) ? kFloat32 : kFloat64;
  }
  // Two different integers: uint8 with int32 -> int32, anything with int64 -> int64.
  return (a == kInt64 || b == kInt64) ? kInt64 : kInt32;
}

}  // namespace ndflow
