// DType: the element types of an Array, their sizes and names, and NumPy's promotion rules.
// float16/bfloat16 can be added as two more enumerators with a storage type each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ndflow {

enum class DType : std::uint8_t { kBool, kUInt8, kInt32, kInt64, kFloat32, kFloat64 };

inline constexpr DType kBool = DType::kBool;
inline constexpr DType kUInt8 = DType::kUInt8;
inline constexpr DType kInt32 = DType::kInt32;
inline constexpr DType kInt64 = DType::kInt64;
inline constexpr DType kFloat32 = DType::kFloat32;
inline constexpr DType kFloat64 = DType::kFloat64;

std::size_t dtype_size(DType t) noexcept;
const char* dtype_name(DType t) noexcept;  // NumPy's spelling: "float32", "bool", ...
// Parses a NumPy name ("float32", "int64", "bool", ...); throws DTypeError otherwise.
DType dtype_from_name(const std::string& name);
constexpr bool is_floating(DType t) noexcept { return t == kFloat32 || t == kFloat64; }
constexpr bool is_integral(DType t) noexcept { return t == kUInt8 || t == kInt32 || t == kInt64; }

// NumPy's result type of a binary op on two arrays: promote_types(int32, float32) == float64.
DType promote_types(DType a, DType b) noexcept;

// The C++ type of each dtype, and back.
template <class T>
constexpr DType dtype_of() noexcept;
template <>
constexpr DType dtype_of<bool>() noexcept {
  return kBool;
}
template <>
constexpr DType dtype_of<std::uint8_t>() noexcept {
  return kUInt8;
}
template <>
constexpr DType dtype_of<std::int32_t>() noexcept {
  return kInt32;
}
template <>
constexpr DType dtype_of<std::int64_t>() noexcept {
  return kInt64;
}
template <>
constexpr DType dtype_of<float>() noexcept {
  return kFloat32;
}
template <>
constexpr DType dtype_of<double>() noexcept {
  return kFloat64;
}

// Calls f(T{}) with T the C++ type of `t`: the one switch every kernel dispatches through.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case kBool:
      return f(bool{});
    case kUInt8:
      return f(std::uint8_t{});
    case kInt32:
      return f(std::int32_t{});
    case kInt64:
      return f(std::int64_t{});
    case kFloat32:
      return f(float{});
    case kFloat64:
      break;
  }
  return f(double{});
}

}  // namespace ndflow
