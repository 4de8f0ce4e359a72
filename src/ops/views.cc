// Views: reshape, transpose, indexing and slicing. Each returns an Array over the same
// Storage (and so the same Var) as its base, with its own shape, strides and offset; the
// engine therefore orders a write through any view against every other view. Only a
// reshape that no strides can express copies.
#include <string>
#include <vector>

#include "array/array_impl.h"

namespace ndflow {

using detail::impl_of;

namespace {

// NumPy's _attempt_nocopy_reshape: the strides that let `new_shape` view the same elements
// as (shape, strides) in row-major order, or false when a copy is needed. Sizes match.
bool nocopy_strides(const Shape& shape, const Shape& strides, const Shape& new_shape,
                    Shape* new_strides) {
  std::int64_t old_dims[Shape::kMaxDims], old_strides[Shape::kMaxDims];
  int old_nd = 0;
  for (int i = 0; i < shape.ndim(); ++i) {
    if (shape[i] == 1) continue;  // size-1 dims do not constrain anything
    old_dims[old_nd] = shape[i];
    old_strides[old_nd] = strides[i];
    ++old_nd;
  }
  *new_strides = new_shape;  // same ndim; every entry is overwritten
  const int new_nd = new_shape.ndim();
  int oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < new_nd && oi < old_nd) {
    std::int64_t np = new_shape[ni], op = old_dims[oi];
    while (np != op) {
      if (np < op)
        np *= new_shape[nj++];
      else
        op *= old_dims[oj++];
    }
    // The old dims [oi, oj) must be contiguous among themselves to merge.
    for (int ok = oi; ok < oj - 1; ++ok)
      if (old_strides[ok] != old_dims[ok + 1] * old_strides[ok + 1]) return false;
    (*new_strides)[nj - 1] = old_strides[oj - 1];
    for (int nk = nj - 1; nk > ni; --nk)
      (*new_strides)[nk - 1] = (*new_strides)[nk] * new_shape[nk];
    ni = nj++;
    oi = oj++;
  }
  // Trailing size-1 dims: any stride works; use the last one (NumPy does the same).
  const std::int64_t last = ni >= 1 ? (*new_strides)[ni - 1] : 1;
  for (int nk = ni; nk < new_nd; ++nk) (*new_strides)[nk] = last;
  return true;
}

}  // namespace

Array Array::reshape(const Shape& shape) const {
  const detail::ArrayImpl& a = impl_of(*this, "reshape");
  const std::int64_t size = a.shape.numel();
  Shape target = shape;
  int unknown = -1;
  std::int64_t known = 1;
  for (int i = 0; i < target.ndim(); ++i) {
    if (target[i] == -1) {
      if (unknown >= 0) throw ShapeError("ndflow: reshape: can only specify one unknown dimension");
      unknown = i;
    } else if (target[i] < 0) {
      throw ShapeError("ndflow: reshape: negative dimension in shape " + shape.to_string());
    } else {
      known *= target[i];
    }
  }
  const auto mismatch = [&] {
    return ShapeError("ndflow: reshape: cannot reshape array of size " + std::to_string(size) +
                      " into shape " + shape.to_string());
  };
  if (unknown >= 0) {
    if (known == 0 || size % known != 0) throw mismatch();
    target[unknown] = size / known;
  } else if (known != size) {
    throw mismatch();
  }

  if (size == 0) return detail::make_view(*this, target, contiguous_strides(target), a.offset);
  if (a.is_contiguous())
    return detail::make_view(*this, target, contiguous_strides(target), a.offset);
  Shape strides;
  if (nocopy_strides(a.shape, a.strides, target, &strides))
    return detail::make_view(*this, target, strides, a.offset);
  return copy().reshape(target);
}

Array Array::transpose() const {
  const int n = impl_of(*this, "transpose").shape.ndim();
  std::vector<int> axes(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) axes[static_cast<std::size_t>(i)] = n - 1 - i;
  return transpose(axes);
}

Array Array::transpose(const std::vector<int>& axes) const {
  const detail::ArrayImpl& a = impl_of(*this, "transpose");
  const int n = a.shape.ndim();
  if (static_cast<int>(axes.size()) != n)
    throw AxisError("ndflow: transpose: axes don't match array: got " +
                    std::to_string(axes.size()) + " axes for an array of dimension " +
                    std::to_string(n));
  Shape shape = a.shape, strides = a.strides;
  bool seen[Shape::kMaxDims] = {};
  for (int i = 0; i < n; ++i) {
    const int ax = detail::normalize_axis(axes[static_cast<std::size_t>(i)], n, "transpose");
    if (seen[ax])
      throw AxisError("ndflow: transpose: repeated axis " +
                      std::to_string(axes[static_cast<std::size_t>(i)]) + " in transpose");
    seen[ax] = true;
    shape[i] = a.shape[ax];
    strides[i] = a.strides[ax];
  }
  return detail::make_view(*this, shape, strides, a.offset);
}

namespace {

// Python's PySlice_AdjustIndices for an axis of length `len`: the first index and the count.
struct SliceBounds {
  std::int64_t first = 0, count = 0;
};
SliceBounds adjust_slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                         std::int64_t step, std::int64_t len) {
  std::int64_t lo, hi;
  if (step > 0) {
    const auto clamp = [len](std::int64_t v) {
      if (v < 0) v += len;
      return v < 0 ? 0 : v > len ? len : v;
    };
    lo = start ? clamp(*start) : 0;
    hi = stop ? clamp(*stop) : len;
  } else {
    const auto clamp = [len](std::int64_t v) {
      if (v < 0) v += len;
      return v < 0 ? -1 : v >= len ? len - 1 : v;
    };
    lo = start ? clamp(*start) : len - 1;
    hi = stop ? clamp(*stop) : -1;
  }
  std::int64_t count = 0;
  if (step > 0 && hi > lo) count = (hi - lo - 1) / step + 1;
  if (step < 0 && lo > hi) count = (lo - hi - 1) / (-step) + 1;
  return {lo, count};
}

}  // namespace

Array Array::index(const std::vector<IndexItem>& items) const {
  using Kind = IndexItem::Kind;
  const detail::ArrayImpl& a = impl_of(*this, "index");
  const int ndim = a.shape.ndim();
  int named = 0, ellipses = 0;  // items that consume an axis, and '...'s
  for (const IndexItem& item : items) {
    if (item.kind == Kind::kInteger || item.kind == Kind::kSlice) ++named;
    if (item.kind == Kind::kEllipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("ndflow: an index can only have a single ellipsis ('...')");
  if (named > ndim)
    throw IndexError("ndflow: too many indices for array: array is " + std::to_string(ndim) +
                     "-dimensional, but " + std::to_string(named) + " were indexed");
  std::vector<std::int64_t> shape, strides;
  std::int64_t offset = a.offset;
  int axis = 0;
  for (const IndexItem& item : items) {
    switch (item.kind) {
      case Kind::kInteger: {
        const std::int64_t n = a.shape[axis];
        std::int64_t i = item.index;
        if (i < -n || i >= n)
          throw IndexError("ndflow: index " + std::to_string(i) + " is out of bounds for axis " +
                           std::to_string(axis) + " with size " + std::to_string(n));
        if (i < 0) i += n;
        offset += i * a.strides[axis++];
        break;
      }
      case Kind::kSlice: {
        if (item.step == 0) throw ShapeError("ndflow: slice step cannot be zero");
        const SliceBounds b = adjust_slice(item.start, item.stop, item.step, a.shape[axis]);
        shape.push_back(b.count);
        strides.push_back(a.strides[axis] * item.step);
        if (b.count > 0) offset += b.first * a.strides[axis];
        ++axis;
        break;
      }
      case Kind::kEllipsis:
        for (int k = 0; k < ndim - named; ++k, ++axis) {
          shape.push_back(a.shape[axis]);
          strides.push_back(a.strides[axis]);
        }
        break;
      case Kind::kNewAxis:
        shape.push_back(1);
        strides.push_back(0);
        break;
    }
  }
  for (; axis < ndim; ++axis) {  // axes not named keep their full extent
    shape.push_back(a.shape[axis]);
    strides.push_back(a.strides[axis]);
  }
  if (static_cast<int>(shape.size()) > Shape::kMaxDims)
    throw IndexError("ndflow: indexing gives " + std::to_string(shape.size()) +
                     " dimensions; at most " + std::to_string(Shape::kMaxDims) + " are supported");
  return detail::make_view(*this, Shape(shape), Shape(strides), offset);
}

Array Array::operator[](std::int64_t i) const { return index({IndexItem::integer(i)}); }

Array Array::slice(int axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                   std::int64_t step) const {
  const int ndim = impl_of(*this, "slice").shape.ndim();
  if (ndim == 0)
    throw IndexError("ndflow: slice: too many indices for array: array is 0-dimensional");
  const int ax = detail::normalize_axis(axis, ndim, "slice");
  std::vector<IndexItem> items(static_cast<std::size_t>(ax), IndexItem::slice({}, {}));
  items.push_back(IndexItem::slice(start, stop, step));
  return index(items);
}

}  // namespace ndflow
