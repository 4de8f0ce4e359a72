#include "ndflow/shape.h"

#include <string>

#include "ndflow/error.h"

namespace ndflow {
namespace {

[[noreturn]] void too_many_dims(std::size_t n) {
  throw ShapeError("ndflow: an array has at most " + std::to_string(Shape::kMaxDims) +
                   " dimensions, got " + std::to_string(n));
}

}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims)
    : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  if (dims.size() > kMaxDims) too_many_dims(dims.size());
  for (std::int64_t d : dims) dims_[ndim_++] = d;
}

std::int64_t Shape::numel() const noexcept {
  std::int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

void Shape::push_back(std::int64_t d) {
  if (ndim_ == kMaxDims) too_many_dims(kMaxDims + 1);
  dims_[ndim_++] = d;
}

bool Shape::operator==(const Shape& o) const noexcept {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (int i = 0; i < ndim_; ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
  }
  if (ndim_ == 1) s += ",";
  return s + ")";
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  std::int64_t stride = 1;
  for (int i = shape.ndim() - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

}  // namespace ndflow
