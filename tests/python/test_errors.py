"""Errors: each raises the documented Python type with a message that says what went wrong,
at the call, and the runtime keeps working afterwards."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

from ndflow import np, npx, profiler


def still_works():
    """A fresh computation after an error gives the right answer (nothing is wedged)."""
    x = np.arange(12).reshape(3, 4)
    y = (x * 2 + 1).sum(axis=1)
    onp.testing.assert_array_equal(y.asnumpy(), (onp.arange(12).reshape(3, 4) * 2 + 1).sum(axis=1))
    z = np.ones((8, 8)) @ np.ones((8, 8))
    assert z.sum().item() == 512.0
    npx.waitall()


@pytest.fixture(autouse=True)
def _works_after_each_test():
    yield
    still_works()


def shape_text(shape):
    """Regex matching a shape as NumPy "(2, 3)" or compactly "(2,3)"."""
    if len(shape) == 1:
        return r"\(%d, ?\)" % shape[0]
    return r"\(" + r", ?".join(str(d) for d in shape) + r"\)"


def mentions(message, *shapes):
    return all(re.search(shape_text(s), message) for s in shapes)


# ---------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [((2, 3), (4,)), ((3, 1), (2, 4)), ((2, 3, 4), (3, 3)), ((0,), (2,)), ((5,), (6,))],
)
@pytest.mark.parametrize("how", ["operator", "function", "inplace", "numpy_rhs", "compare"])
def test_broadcast_mismatch_is_value_error_naming_both_shapes(a, b, how):
    x, y = np.ones(a), np.ones(b)
    with pytest.raises(ValueError) as info:
        if how == "operator":
            x + y
        elif how == "function":
            np.multiply(x, y)
        elif how == "inplace":
            x -= y
        elif how == "numpy_rhs":
            x / onp.ones(b, dtype="float32")
        else:
            x < y
    message = str(info.value)
    assert mentions(message, a, b), message
    assert "broadcast" in message


def test_inplace_target_cannot_grow():
    x = np.ones(3)
    with pytest.raises(ValueError) as info:
        x += np.ones((2, 3))
    assert mentions(str(info.value), (2, 3), (3,))
    onp.testing.assert_array_equal(x.asnumpy(), onp.ones(3))  # untouched


def test_where_broadcast_mismatch():
    with pytest.raises(ValueError) as info:
        np.where(np.ones(2) > 0, np.ones(3), np.ones(3))
    assert mentions(str(info.value), (2,), (3,))


@pytest.mark.parametrize(
    "a, b", [((2, 3), (4, 2)), ((3,), (4,)), ((5, 2), (3,)), ((4,), (3, 2)), ((2, 2, 3), (4, 5))]
)
def test_matmul_inner_dimension_mismatch(a, b):
    x, y = np.ones(a), np.ones(b)
    for call in (lambda: x @ y, lambda: np.matmul(x, y), lambda: np.dot(x, y), lambda: x.dot(y)):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert mentions(message, a, b), message


def test_matmul_other_shape_errors():
    with pytest.raises(ValueError, match="batch"):
        np.ones((2, 3, 4)) @ np.ones((3, 4, 5))
    with pytest.raises(ValueError):
        np.matmul(np.array(2.0), np.ones((2, 2)))  # 0-d operand
    with pytest.raises(TypeError):
        np.ones((2, 2)) @ 2.0


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.reshape(4, 4),
        lambda x: x.reshape(-1, -1),
        lambda x: np.reshape(x, (5,)),
        lambda x: np.zeros((2, -1)),
        lambda x: np.zeros((1,) * 9),
        lambda x: np.concatenate([x, np.ones((2, 4))]),
        lambda x: np.concatenate([x, np.ones(6)]),
        lambda x: np.concatenate([]),
        lambda x: np.concatenate([np.array(1.0), np.array(2.0)]),
        lambda x: np.stack([x, np.ones((3, 2))]),
        lambda x: np.stack([]),
        lambda x: np.linspace(0, 1, -1),
        lambda x: np.eye(-1),
        lambda x: np.arange(0, 5, 0),
    ],
    ids=["reshape", "two_unknown", "np.reshape", "negative_dim", "too_many_dims", "concat",
         "concat_ndim", "concat_empty", "concat_0d", "stack", "stack_empty", "linspace",
         "eye", "arange_step0"],
)
def test_shape_errors_are_value_errors(call):
    x = np.ones((2, 3))
    with pytest.raises(ValueError) as info:
        call(x)
    assert str(info.value)  # a message, not an empty exception


# ---------------------------------------------------------------------------------------
# Axes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(axis=2),
        lambda x: np.sum(x, axis=-3),
        lambda x: x.mean(axis=(0, 5)),
        lambda x: np.max(x, axis=3),
        lambda x: x.min(axis=(0, 0)),  # repeated
        lambda x: x.argmax(axis=2),
        lambda x: np.argmin(x, axis=-3),
        lambda x: x.transpose(0, 2),
        lambda x: x.transpose(0, 0),
        lambda x: x.transpose(0),
        lambda x: np.transpose(x, (1, 2)),
        lambda x: np.concatenate([x, x], axis=2),
        lambda x: np.stack([x, x], axis=3),
        lambda x: np.stack([x, x], axis=-4),
        lambda x: np.array(1.0).sum(axis=0),
    ],
    ids=["sum", "sum_neg", "mean_tuple", "max", "min_repeated", "argmax", "argmin_neg",
         "transpose", "transpose_repeated", "transpose_count", "np.transpose", "concatenate",
         "stack", "stack_neg", "zero_d"],
)
def test_bad_axis_is_value_error(call):
    x = np.ones((2, 3))
    with pytest.raises(ValueError) as info:
        call(x)
    assert "axis" in str(info.value) or "axes" in str(info.value), str(info.value)


def test_bad_axis_message_names_axis_and_ndim():
    with pytest.raises(ValueError) as info:
        np.ones((2, 3)).sum(axis=5)
    message = str(info.value)
    assert "5" in message and "2" in message


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_reduction_method_with_tuple_axis_is_type_error(name):
    x = np.ones((2, 3))
    with pytest.raises(TypeError):
        getattr(x, name)(axis=(0, 1))


def test_arg_reduction_function_with_tuple_axis_is_type_error():
    with pytest.raises(TypeError):
        np.argmax(np.ones((2, 3)), axis=(0, 1))


# ---------------------------------------------------------------------------------------
# Indexing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, key",
    [((3,), 3), ((3,), -4), ((2, 3), (1, 3)), ((2, 3), (-3, 0)), ((2, 3), (0, -4)),
     ((0,), 0), ((2, 3), (slice(None), 5))],
    ids=repr,
)
def test_index_out_of_range_is_index_error(shape, key):
    x = np.ones(shape)
    with pytest.raises(IndexError) as info:
        x[key]
    message = str(info.value)
    assert "out of bounds" in message or "range" in message, message


@pytest.mark.parametrize(
    "shape, key",
    [((3,), (0, 0)), ((2, 3), (0, 0, 0)), ((), 0), ((2, 3), (0, ..., 0, 0))],
    ids=repr,
)
def test_too_many_indices_is_index_error(shape, key):
    x = np.ones(shape)
    with pytest.raises(IndexError) as info:
        x[key]
    assert "too many indices" in str(info.value)


@pytest.mark.parametrize(
    "key",
    [[0, 1], (0, [1]), [True, False], np.array([0, 1]), np.array([True, False]), 1.0, "a",
     (Ellipsis, Ellipsis)],
    ids=["list", "tuple_with_list", "bool_list", "ndarray", "bool_ndarray", "float", "str",
         "two_ellipses"],
)
def test_advanced_or_invalid_indexing_is_index_error(key):
    x = np.ones((2, 3))
    with pytest.raises(IndexError) as info:
        x[key]
    assert str(info.value)


@pytest.mark.parametrize("key", [onp.array([0, 1]), onp.array([1]), (0, onp.array([1, 2]))],
                         ids=["array", "one_element", "in_tuple"])
def test_numpy_integer_array_index_is_index_error(key):
    x = np.ones((2, 3))
    with pytest.raises(IndexError):
        x[key]


def test_zero_d_numpy_integer_index_is_an_integer():
    a = onp.arange(6).reshape(2, 3)
    x = np.array(a)
    onp.testing.assert_array_equal(x[onp.array(1)].asnumpy(), a[onp.array(1)])
    onp.testing.assert_array_equal(x[onp.int32(1), onp.int64(-1)].asnumpy(), a[1, -1])


def test_slice_step_zero_is_value_error():
    with pytest.raises(ValueError, match="step"):
        np.ones(4)[::0]


def test_item_assignment_is_not_supported():
    x = np.ones(3)
    with pytest.raises(TypeError):
        x[0] = 5


# ---------------------------------------------------------------------------------------
# Dtypes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "complex64", "complex128", "int8", "int16",
                                   "uint16", "uint64", onp.float16, onp.complex64, object])
def test_unsupported_dtype_is_type_error(dtype):
    with pytest.raises(TypeError) as info:
        np.zeros(3, dtype=dtype)
    message = str(info.value)
    assert "dtype" in message
    if dtype is not object:
        assert onp.dtype(dtype).name in message  # names the dtype it refused
    for call in (
        lambda: np.ones((2,), dtype=dtype),
        lambda: np.full((2,), 1, dtype=dtype),
        lambda: np.arange(3, dtype=dtype),
        lambda: np.array([1, 2], dtype=dtype),
        lambda: np.ones(2).astype(dtype),
        lambda: np.random.uniform(size=2, dtype=dtype),
    ):
        with pytest.raises(TypeError):
            call()


@pytest.mark.parametrize("dtype", ["float16", "complex64", "complex128", "int8", "uint64"])
def test_unsupported_numpy_data_is_type_error(dtype):
    a = onp.ones(3, dtype=dtype)
    for call in (lambda: np.array(a), lambda: np.asarray(a), lambda: np.ones(3) + a,
                 lambda: np.add(a, np.ones(3)), lambda: np.from_dlpack(a)):
        with pytest.raises(TypeError) as info:
            call()
        assert dtype in str(info.value)


def test_complex_python_values_are_type_errors():
    with pytest.raises(TypeError):
        np.array([1j, 2])
    with pytest.raises(TypeError):
        np.array(1j)


@pytest.mark.parametrize("bad", ["foo", "float128x", 3.5])
def test_unknown_dtype_names(bad):
    with pytest.raises(TypeError):
        np.zeros(2, dtype=bad)


def test_dtype_rule_errors_are_type_errors():
    b = np.array([True, False])
    with pytest.raises(TypeError, match="bool"):
        b - b
    with pytest.raises(TypeError, match="bool"):
        -b
    i = np.array([1, 2], dtype="int32")
    with pytest.raises(TypeError, match="cast"):
        i += 1.5
    with pytest.raises(TypeError, match="cast"):
        i /= 2
    onp.testing.assert_array_equal(i.asnumpy(), [1, 2])  # untouched
    with pytest.raises(TypeError):
        np.random.uniform(size=2, dtype="int32")
    with pytest.raises(TypeError):
        np.random.randint(0, 1000, size=2, dtype="uint8")  # the range does not fit


def test_integer_scalar_out_of_range_for_array_dtype():
    """NumPy 2 raises OverflowError; ndflow raises TypeError. Either names the problem."""
    u = np.array(onp.array([1, 2], dtype="uint8"))
    with pytest.raises((OverflowError, TypeError), match="300"):
        u + 300
    with pytest.raises((OverflowError, TypeError), match="-1"):
        u * -1
    i = np.array(onp.array([1], dtype="int32"))
    with pytest.raises((OverflowError, TypeError)):
        i + 2**40


@pytest.mark.parametrize(
    "call", [lambda: np.array(2**63), lambda: np.array([1]) + 2**70, lambda: np.add(np.ones(2), 2**64)],
    ids=["array", "operator", "function"],
)
def test_huge_python_int_is_overflow_or_type_error(call):
    with pytest.raises((OverflowError, TypeError, ValueError)):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x + "a",
        lambda x: x * None,
        lambda x: "a" - x,
        lambda x: np.add(x, "a"),
        lambda x: np.exp("a"),
        lambda x: np.add(x, object()),
        lambda x: np.zeros(2.5),
        lambda x: np.zeros((2, 1.0)),
        lambda x: x.reshape(2.0, 3),
        lambda x: hash(x),
        lambda x: len(np.array(1.0)),
        lambda x: iter(np.array(1.0)),
        lambda x: np.zeros(2, device=3),
    ],
    ids=["add_str", "mul_none", "rsub_str", "np.add_str", "exp_str", "object", "float_shape",
         "float_dim", "reshape_float", "hash", "len_0d", "iter_0d", "device_int"],
)
def test_wrong_argument_types_are_type_errors(call):
    x = np.ones((2, 3))
    with pytest.raises(TypeError):
        call(x)


# ---------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------


# What a machine without GPUs says (scripts/gpu-check runs this suite on a GPU too).
without_gpus = pytest.mark.skipif(npx.num_gpus() > 0, reason="this machine has GPUs")


@without_gpus
def test_no_gpu_here():
    assert npx.num_gpus() == 0


@without_gpus
@pytest.mark.parametrize(
    "call",
    [
        lambda: np.zeros(3, ctx=npx.gpu(0)),
        lambda: np.ones(3, device=npx.gpu()),
        lambda: np.zeros(3, device="gpu(0)"),
        lambda: np.zeros(3, device="cuda:0"),
        lambda: np.zeros(3, device="cuda"),
        lambda: np.array([1, 2], ctx=npx.gpu()),
        lambda: np.asarray(onp.ones(2), device="gpu(1)"),
        lambda: np.full((2,), 1.0, ctx=npx.gpu()),
        lambda: np.arange(3, ctx=npx.gpu()),
        lambda: np.eye(2, device="cuda:0"),
        lambda: np.random.uniform(size=2, ctx=npx.gpu()),
        lambda: np.random.randn(2, device="gpu(0)"),
        lambda: np.ones(2).copyto(npx.gpu()),
        lambda: np.ones(2).as_in_ctx(npx.gpu(1)),
        lambda: np.ones(2).to("cuda:0"),
        lambda: np.ones(2).to(npx.gpu(), non_blocking=True),
        lambda: np.zeros_like(np.ones(2), device=npx.gpu()),
    ],
)
def test_gpu_device_is_runtime_error(call):
    with pytest.raises(RuntimeError) as info:
        call()
    assert "gpu" in str(info.value)


@pytest.mark.parametrize("kernels", ["gpu", "CUDA", "host"])
def test_misspelt_simulated_gpu_kernels_leave_no_gpus_and_say_why(kernels):
    script = textwrap.dedent("""
        from ndflow import np, npx
        assert npx.num_gpus() == 0
        try:
            np.ones(2, ctx=npx.gpu(0))
        except RuntimeError as e:
            print(e)
    """)
    env = dict(os.environ, NDFLOW_SIMULATED_GPUS="2", NDFLOW_SIMULATED_GPU_KERNELS=kernels)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert f"NDFLOW_SIMULATED_GPU_KERNELS='{kernels}' is not 'cpu' or 'cuda'" in done.stdout


@pytest.mark.parametrize(
    "ctx, device",
    [(npx.cpu(0), npx.cpu(1)), ("cpu(0)", "cpu(2)"), (npx.cpu(), "gpu(0)"), ("gpu(0)", "gpu(1)")],
)
def test_ctx_and_device_disagreeing_is_value_error(ctx, device):
    for call in (
        lambda: np.zeros(2, ctx=ctx, device=device),
        lambda: np.array([1, 2], ctx=ctx, device=device),
        lambda: np.random.uniform(size=2, ctx=ctx, device=device),
        lambda: np.arange(3, ctx=ctx, device=device),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert "ctx" in str(info.value) and "device" in str(info.value)


@pytest.mark.parametrize("text", ["tpu", "cpu:x", "gpu(a)", "cuda:-1", "CPU", "cpux", "cpu()",
                                  "", "cpu(0", "gpu 0"])
def test_unknown_device_string_is_value_error(text):
    with pytest.raises(ValueError) as info:
        np.zeros(2, device=text)
    assert "device" in str(info.value)
    with pytest.raises(ValueError):
        np.ones(2).to(text)
    with pytest.raises(ValueError):
        np.ones(2).copyto(text)


def test_arrays_on_different_devices_do_not_mix():
    a = np.ones(3).copyto(npx.cpu(1))
    with pytest.raises(RuntimeError) as info:
        a + np.ones(3)
    assert "cpu(1)" in str(info.value) and repr(npx.current_device()) in str(info.value)


# ---------------------------------------------------------------------------------------
# Python conversions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2,), (2, 3), (1, 2)], ids=repr)
def test_bool_of_multi_element_array_is_value_error(shape):
    x = np.ones(shape)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(ValueError):
        if x:  # noqa: SIM108 -- the implicit bool() is the point
            pass
    with pytest.raises(ValueError):
        x < 2 and True


def test_bool_of_empty_array_is_value_error():
    with pytest.raises(ValueError):
        bool(np.zeros((0,)))


@pytest.mark.parametrize("shape", [(2,), (2, 3), (0,), (0, 1)], ids=repr)
def test_item_of_multi_element_array_is_value_error(shape):
    x = np.ones(shape)
    with pytest.raises(ValueError) as info:
        x.item()
    assert "item" in str(info.value) or "one element" in str(info.value)
    with pytest.raises(ValueError):
        float(x)
    with pytest.raises(ValueError):
        int(x)


def test_reductions_of_empty_without_identity():
    with pytest.raises(ValueError, match="zero-size|empty"):
        np.zeros((0, 3)).max()
    with pytest.raises(ValueError, match="zero-size|empty"):
        np.min(np.zeros((0,)))
    with pytest.raises(ValueError):
        np.zeros((0,)).argmax()
    with pytest.raises(ValueError):
        np.zeros((2, 0)).argmin(axis=1)


# ---------------------------------------------------------------------------------------
# Random and the profiler
# ---------------------------------------------------------------------------------------


def test_random_argument_errors():
    with pytest.raises(ValueError, match="low"):
        np.random.randint(5, 2, size=3)
    with pytest.raises(ValueError):
        np.random.randint(3, 3)
    with pytest.raises(ValueError):
        np.random.normal(0, -1, size=3)
    with pytest.raises(ValueError):
        np.random.uniform(size=(-1,))


def test_profiler_dump_to_a_bad_path_is_runtime_error(tmp_path):
    profiler.start()
    np.ones(3).sum().wait_to_read()
    profiler.stop()
    with pytest.raises(RuntimeError, match="cannot open"):
        profiler.dump(tmp_path / "no" / "such" / "dir" / "trace.json")


# ---------------------------------------------------------------------------------------
# Errors leave nothing pushed and nothing broken
# ---------------------------------------------------------------------------------------


def test_many_errors_in_a_row_then_correct_results():
    x = np.arange(6).reshape(2, 3)
    errors = 0
    for _ in range(200):
        for call in (lambda: x + np.ones(4), lambda: x[5], lambda: x.sum(axis=4),
                     lambda: np.zeros(2, dtype="float16"), lambda: np.ones(2, device="tpu"),
                     lambda: x @ np.ones((4, 4)), lambda: bool(x), lambda: x.item()):
            try:
                call()
            except (ValueError, IndexError, TypeError):
                errors += 1
    assert errors == 200 * 8
    onp.testing.assert_array_equal((x * 3).asnumpy(), onp.arange(6).reshape(2, 3) * 3)
    still_works()


def test_failed_inplace_leaves_array_usable():
    x = np.arange(4, dtype="int32")
    with pytest.raises(ValueError):
        x += np.ones(5, dtype="int32")
    with pytest.raises(TypeError):
        x *= 0.5
    x += 1
    onp.testing.assert_array_equal(x.asnumpy(), onp.arange(1, 5, dtype="int32"))


def test_error_inside_a_thread_does_not_break_other_threads():
    import threading

    results, failures = [], []

    def bad():
        try:
            np.ones(3) + np.ones(4)
        except ValueError as e:
            failures.append(e)

    def good():
        results.append((np.arange(100) * 2).sum().item())

    threads = [threading.Thread(target=bad if i % 2 else good) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(failures) == 4
    assert results == [9900] * 4
