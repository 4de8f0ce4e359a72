// Printing an array the way NumPy does, with its device: the blocker behind operator<<.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "array/array_impl.h"

namespace ndflow {
namespace {

// Arrays larger than this print only their first and last kEdge items along each axis.
constexpr std::int64_t kSummariseAbove = 1000;
constexpr std::int64_t kEdge = 3;

// Formats the shown elements alike, as NumPy does: integral floats as "1.", others with up
// to 8 significant digits, all right-aligned to the widest. Elements a summary leaves out
// (shown[i] == 0) stay empty and do not count: a large array formats only its edges.
std::vector<std::string> format_elements(const std::vector<double>& v, DType dtype,
                                         const std::vector<char>& shown) {
  std::vector<std::string> out(v.size());
  const bool floating = is_floating(dtype);
  bool all_integral = true;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (shown[i] && std::isfinite(v[i]) && v[i] != std::floor(v[i])) all_integral = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!shown[i]) continue;
    const double x = v[i];
    char buf[48];
    if (dtype == kBool) {
      out[i] = x != 0 ? "True" : "False";
      continue;
    }
    if (!floating) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
    } else if (std::isnan(x)) {
      std::snprintf(buf, sizeof buf, "nan");
    } else if (std::isinf(x)) {
      std::snprintf(buf, sizeof buf, x > 0 ? "inf" : "-inf");
    } else if (all_integral && std::fabs(x) < 1e16) {
      std::snprintf(buf, sizeof buf, "%.0f.", x);
    } else {
      std::snprintf(buf, sizeof buf, "%.8g", x);
    }
    out[i] = buf;
  }
  std::size_t width = 0;
  for (const auto& s : out) width = std::max(width, s.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    if (shown[i]) out[i].insert(0, width - out[i].size(), ' ');
  return out;
}

// Marks the flat indices a summary prints: the first and last kEdge along each long axis.
void mark_shown(const Shape& shape, int dim, std::int64_t base, bool summarise,
                std::vector<char>& shown) {
  if (dim == shape.ndim()) {
    shown[static_cast<std::size_t>(base)] = 1;
    return;
  }
  std::int64_t stride = 1;
  for (int d = dim + 1; d < shape.ndim(); ++d) stride *= shape[d];
  const std::int64_t n = shape[dim];
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * kEdge && i == kEdge) i = n - kEdge;
    mark_shown(shape, dim + 1, base + i * stride, summarise, shown);
  }
}

struct Printer {
  const Shape& shape;
  const std::vector<std::string>& text;
  bool summarise;
  std::ostringstream os;

  // Prints the sub-array at flat offset `base` (row-major) along dims [dim, ndim).
  void print(int dim, std::int64_t base, int indent) {
    if (dim == shape.ndim()) {
      os << text[static_cast<std::size_t>(base)];
      return;
    }
    std::int64_t stride = 1;
    for (int d = dim + 1; d < shape.ndim(); ++d) stride *= shape[d];
    os << "[";
    const std::int64_t n = shape[dim];
    for (std::int64_t i = 0; i < n; ++i) {
      if (summarise && n > 2 * kEdge && i == kEdge) {
        os << "...";
        i = n - kEdge - 1;
        separator(dim, indent);
        continue;
      }
      print(dim + 1, base + i * stride, indent + 1);
      if (i + 1 < n) separator(dim, indent);
    }
    os << "]";
  }
  void separator(int dim, int indent) {
    if (dim == shape.ndim() - 1) {
      os << ", ";
      return;
    }
    os << "," << std::string(static_cast<std::size_t>(shape.ndim() - dim - 1), '\n')
       << std::string(static_cast<std::size_t>(indent + 1), ' ');
  }
};

}  // namespace

std::string Array::to_string() const {
  const detail::ArrayImpl& a = detail::impl_of(*this, "to_string");
  const std::vector<double> values = to_vector<double>();  // blocks
  const bool summarise = a.shape.numel() > kSummariseAbove;
  std::vector<char> shown(values.size(), summarise ? 0 : 1);
  if (summarise) mark_shown(a.shape, 0, 0, true, shown);
  const std::vector<std::string> text = format_elements(values, a.dtype, shown);
  std::string body;
  if (a.shape.numel() == 0 && a.shape.ndim() > 0) {
    body = "[]";
  } else {
    Printer p{a.shape, text, summarise, {}};
    p.print(0, 0, static_cast<int>(std::string("array(").size()));
    body = p.os.str();
  }
  std::string s = "array(" + body;
  if (a.shape.numel() == 0) s += ", shape=" + a.shape.to_string();
  s += std::string(", dtype=") + dtype_name(a.dtype) + ", ctx=" + a.device().to_string() + ")";
  return s;
}

std::ostream& operator<<(std::ostream& os, const Array& a) { return os << a.to_string(); }

}  // namespace ndflow
