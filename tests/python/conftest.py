"""Shared helpers for ndflow's Python tests.

Import the helpers with `from conftest import ...` (pytest puts this folder on sys.path).
Everything random here comes from a fixed seed, so a failure reproduces.
"""

import os

import numpy as onp
import pytest

from ndflow import np, npx

SEED = 20240611

# NDFLOW_TEST_DEVICE=gpu(0) runs each test inside `with npx.gpu(0):`, so that the arrays it
# makes without naming a device live there (scripts/test runs the suite so on simulated
# GPUs, running the CPU's kernels and the CUDA kernels' code).
TEST_DEVICE = os.environ.get("NDFLOW_TEST_DEVICE", "")


_memory_is_cuda = {}


def device_memory_is_cuda(device):
    """Whether arrays on `device` hold CUDA memory (a real GPU), which NumPy cannot read in
    place; a simulated GPU's memory is host memory."""
    if device not in _memory_is_cuda:
        with npx.device(device):
            _memory_is_cuda[device] = np.zeros(1).__dlpack_device__()[0] == 2  # kDLCUDA
    return _memory_is_cuda[device]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "host_memory: the test hands ndflow's memory to NumPy in place; where the "
        "test device's memory is CUDA memory it runs on the CPU instead")


@pytest.fixture(autouse=True)
def _on_test_device(request):
    if not TEST_DEVICE:
        yield
        return
    device = TEST_DEVICE
    if request.node.get_closest_marker("host_memory") and device_memory_is_cuda(device):
        device = "cpu(0)"
    with npx.device(device):
        yield

# ndflow's dtypes, under NumPy's names.
DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
NUMERIC = ["uint8", "int32", "int64", "float32", "float64"]
SIGNED = ["int32", "int64", "float32", "float64"]
INTS = ["uint8", "int32", "int64"]
FLOATS = ["float32", "float64"]

# Shapes with the corner cases first: 0-d, length 1, size 0 in several places.
_FIXED_SHAPES = [(), (1,), (7,), (0,), (2, 0), (0, 3), (3, 4), (1, 5, 1), (2, 3, 4), (2, 1, 3, 1)]


def _random_shapes(count, seed):
    rng = onp.random.default_rng(seed)
    shapes = []
    for _ in range(count):
        ndim = int(rng.integers(1, 5))
        shapes.append(tuple(int(d) for d in rng.integers(1, 5, size=ndim)))
    return shapes


SHAPES = _FIXED_SHAPES + _random_shapes(4, SEED)

# Pairs NumPy broadcasts: scalars, size-1 stretching on either side, size-0 dims, rank
# differences.
_FIXED_BROADCAST = [
    ((), ()),
    ((), (3,)),
    ((4,), ()),
    ((1,), (5,)),
    ((2, 3), (3,)),
    ((3, 1), (1, 4)),
    ((2, 1, 4), (3, 1)),
    ((1, 1, 1), (2, 3)),
    ((5, 1, 1), (4, 1)),
    ((0,), (1,)),
    ((0, 3), (1, 3)),
    ((2, 0, 1), (1, 5)),
    ((1,), (0,)),
    ((3, 4), (3, 4)),
]


def _random_broadcast_pairs(count, seed):
    rng = onp.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        ndim = int(rng.integers(1, 5))
        full = [int(d) for d in rng.integers(1, 5, size=ndim)]
        a = [1 if rng.random() < 0.3 else d for d in full]
        b = [1 if rng.random() < 0.3 else d for d in full]
        b = b[int(rng.integers(0, ndim + 1)):]  # drop leading dims of one side
        if rng.random() < 0.5:
            a, b = b, a
        pairs.append((tuple(a), tuple(b)))
    return pairs


BROADCAST_PAIRS = _FIXED_BROADCAST + _random_broadcast_pairs(6, SEED + 1)


def shape_id(shape):
    return "x".join(str(d) for d in shape) if shape else "scalar"


def pair_id(pair):
    return shape_id(pair[0]) + "-" + shape_id(pair[1])


# Per-dtype tolerances for assert_allclose. Integers and bools compare exactly.
TOLERANCES = {
    "float32": dict(rtol=2e-5, atol=1e-6),
    "float64": dict(rtol=1e-12, atol=1e-13),
}


def tol(dtype, loose=1.0):
    t = TOLERANCES.get(onp.dtype(dtype).name, dict(rtol=0, atol=0))
    return {k: v * loose for k, v in t.items()}


def rand_array(rng, shape, dtype, low=-5, high=5, nonzero=False, positive=False):
    """A random NumPy array of `shape` and `dtype` (values in [low, high))."""
    return onp.asarray(_rand(rng, shape, dtype, low, high, nonzero, positive), dtype=dtype)


def _rand(rng, shape, dtype, low, high, nonzero, positive):
    dtype = onp.dtype(dtype)
    if positive:
        low = max(low, 1)
        high = max(high, low + 1)
    if dtype == onp.bool_:
        return onp.array(rng.random(shape) < 0.5) if not (nonzero or positive) else onp.ones(shape, bool)
    if dtype == onp.uint8:
        low = max(low, 0)
    if dtype.kind in "iu":
        out = onp.array(rng.integers(low, high, size=shape), dtype=dtype)
        if nonzero:
            out[out == 0] = 1
        return out
    out = onp.array(rng.uniform(low, high, size=shape), dtype=dtype)
    if nonzero or positive:
        out[onp.abs(out) < 0.25] = 0.5
    return onp.asarray(out, dtype=dtype)


def to_nd(a):
    """The ndflow array of NumPy array `a`, with the same dtype.

    0-d arrays are built with np.full: np.array(0-d NumPy array) gives shape (1,), a bug that
    test_differential.py::test_array_of_zero_d_numpy_array_keeps_shape records.
    """
    a = onp.asarray(a)
    x = np.full((), a.item(), dtype=a.dtype) if a.ndim == 0 else np.array(a)
    assert x.shape == a.shape, (x.shape, a.shape)
    assert x.dtype == a.dtype, (x.dtype, a.dtype)
    return x


def numpy_input_ok(*arrays):
    """Whether NumPy arrays can be passed straight to ndflow here: not when one is 0-d (it
    comes in with shape (1,), see test_array_of_zero_d_numpy_array_keeps_shape)."""
    return all(onp.ndim(a) > 0 for a in arrays)


def assert_same(actual, expected, check_dtype=True, loose=1.0, **kwargs):
    """`actual` (an ndflow ndarray) equals NumPy's `expected` in shape, dtype and values."""
    assert isinstance(actual, np.ndarray), type(actual)
    expected = onp.asarray(expected)
    got = actual.asnumpy()
    assert isinstance(got, onp.ndarray)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert got.shape == expected.shape
    if check_dtype:
        assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
        assert got.dtype == expected.dtype
    tolerance = tol(expected.dtype if check_dtype else got.dtype, loose)
    tolerance.update(kwargs)
    if expected.dtype == onp.bool_ or got.dtype == onp.bool_:
        onp.testing.assert_array_equal(got, expected)
    else:
        onp.testing.assert_allclose(got, expected, equal_nan=True, **tolerance)


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed, fresh for every test."""
    return onp.random.default_rng(SEED)


@pytest.fixture(autouse=True)
def _barrier():
    """Every test starts and ends with no work in flight, so one test's failure shows in it."""
    npx.waitall()
    yield
    npx.waitall()
