// Shape: up to 8 dimensions stored inline (no allocation), also used for strides.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace ndflow {

class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;  // 0-d: one element
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  Shape(const std::vector<std::int64_t>& dims) : Shape(std::span<const std::int64_t>(dims)) {}

  int ndim() const noexcept { return ndim_; }
  std::int64_t operator[](int i) const noexcept { return dims_[i]; }
  std::int64_t& operator[](int i) noexcept { return dims_[i]; }
  const std::int64_t* begin() const noexcept { return dims_; }
  const std::int64_t* end() const noexcept { return dims_ + ndim_; }
  std::int64_t numel() const noexcept;  // product of the dims (1 for 0-d)
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }

  void push_back(std::int64_t d);  // throws ShapeError past kMaxDims
  bool operator==(const Shape& o) const noexcept;

  // NumPy's spelling without spaces, as in error messages: "(3,4)", "(5,)", "()".
  std::string to_string() const;

 private:
  std::int64_t dims_[kMaxDims] = {};
  int ndim_ = 0;
};

// Row-major strides (in elements) of a contiguous array of this shape.
Shape contiguous_strides(const Shape& shape);

}  // namespace ndflow
