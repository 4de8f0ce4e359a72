"""The array API, under NumPy's names (MXNet's `mxnet.np`).

Everything returns at once with an `ndarray` whose value the engine computes; see
`ndflow.npx` for barriers. Default dtype: float32, as in MXNet (int64 for integer input).
"""

import numpy as _numpy

from .. import _ndflow
from . import random

ndarray = _ndflow.ndarray

# dtypes: NumPy's, so that `x.dtype == np.float32` reads as in NumPy.
bool_ = _numpy.bool_
uint8 = _numpy.uint8
int32 = _numpy.int32
int64 = _numpy.int64
float32 = _numpy.float32
float64 = _numpy.float64
dtype = _numpy.dtype
pi = _numpy.pi
e = _numpy.e
inf = _numpy.inf
nan = _numpy.nan
newaxis = None

# Creation
array = _ndflow.array
asarray = _ndflow.asarray
empty = _ndflow.empty
zeros = _ndflow.zeros
ones = _ndflow.ones
full = _ndflow.full
arange = _ndflow.arange
linspace = _ndflow.linspace
eye = _ndflow.eye
from_dlpack = _ndflow.from_dlpack


def _as_like(a, dtype, ctx, device):
    """(shape, dtype, device) of a new array like `a`, unless dtype or ctx/device say else."""
    a = asarray(a)
    where = device if device is not None else ctx if ctx is not None else a.device
    return a.shape, a.dtype if dtype is None else dtype, where


def _like(fill):
    def make(a, dtype=None, ctx=None, device=None):
        shape, dtype, where = _as_like(a, dtype, ctx, device)
        return fill(shape, dtype=dtype, device=where)

    return make


empty_like = _like(empty)
zeros_like = _like(zeros)
ones_like = _like(ones)


def full_like(a, fill_value, dtype=None, ctx=None, device=None):
    shape, dtype, where = _as_like(a, dtype, ctx, device)
    return full(shape, fill_value, dtype=dtype, device=where)


# Element-wise
add = _ndflow.add
subtract = _ndflow.subtract
multiply = _ndflow.multiply
divide = true_divide = _ndflow.divide
power = _ndflow.power
maximum = _ndflow.maximum
minimum = _ndflow.minimum
equal = _ndflow.equal
not_equal = _ndflow.not_equal
less = _ndflow.less
less_equal = _ndflow.less_equal
greater = _ndflow.greater
greater_equal = _ndflow.greater_equal
negative = _ndflow.negative
abs = absolute = _ndflow.abs
exp = _ndflow.exp
log = _ndflow.log
sqrt = _ndflow.sqrt
tanh = _ndflow.tanh
where = _ndflow.where

# Linear algebra, joins, views
matmul = _ndflow.matmul
dot = _ndflow.dot
concatenate = _ndflow.concatenate
stack = _ndflow.stack
transpose = _ndflow.transpose
reshape = _ndflow.reshape
copy = _ndflow.copy

# Reductions
sum = _ndflow.sum
mean = _ndflow.mean
max = amax = _ndflow.max
min = amin = _ndflow.min
argmax = _ndflow.argmax
argmin = _ndflow.argmin
