"""DLPack with GPU arrays: a GPU array is handed out where its bytes are (CUDA memory of its
physical GPU; host memory on a simulated GPU) once its pending writes are done; other
frameworks' CUDA memory is copied onto the ndflow GPU of its device, and refused, saying
what to do, where ndflow has no such GPU."""

import os
import subprocess
import sys
import textwrap

import pytest

from ndflow import np, npx

SIMULATED = textwrap.dedent("""
    import numpy as onp
    from ndflow import np, npx

    x = np.ones((64, 64), ctx=npx.gpu(0))
    y = np.dot(x, x) + 1  # still pending when exported
    assert y.__dlpack_device__() == (1, 0), y.__dlpack_device__()
    n = onp.from_dlpack(y)
    assert n.shape == (64, 64) and (n == 65).all(), n

    class CudaBuffer:
        def __dlpack_device__(self):
            return (2, 0)

    try:
        np.from_dlpack(CudaBuffer())
        raise AssertionError("simulated GPUs imported CUDA memory")
    except TypeError as e:
        assert "its GPUs are simulated" in str(e) and "x.cpu()" in str(e), e
    print("ok")
""")

# The start of a script that needs a CUDA GPU and PyTorch: it prints why it skips otherwise.
WITH_PYTORCH_ON_A_GPU = textwrap.dedent("""
    from ndflow import np, npx

    if npx.num_gpus() == 0:
        print("skip: no CUDA device visible")
        raise SystemExit(0)
    try:
        import torch
    except ImportError:
        print("skip: PyTorch is not installed")
        raise SystemExit(0)
""")

CUDA = WITH_PYTORCH_ON_A_GPU + textwrap.dedent("""
    import numpy as onp
    x = np.ones((256, 256), ctx=npx.gpu(0))
    y = np.dot(x, x) + 1
    assert y.__dlpack_device__()[0] == 2, y.__dlpack_device__()  # kDLCUDA
    t = torch.from_dlpack(y)
    assert t.is_cuda and t.device.index == y.__dlpack_device__()[1], t.device
    assert bool((t == 257).all()), t
    # Asked for copies: on the host (NumPy's device="cpu"), on the GPU (copy=True).
    assert (onp.from_dlpack(y, device="cpu") == 257).all()
    try:
        y.__dlpack__(dl_device=(1, 0), copy=False)
        raise AssertionError("CUDA memory went out as host memory")
    except BufferError as e:
        assert "copy=False forbids one" in str(e), e
    private = torch.from_dlpack(y.__dlpack__(copy=True))
    private += 1
    assert bool((private == 258).all()) and float(y.sum()) == 257 * 256 * 256

    # PyTorch into ndflow: written on PyTorch's stream just before, read through strides.
    src = torch.arange(12, device="cuda", dtype=torch.int64).reshape(3, 4) * 3
    for view in (src, src.T, src[::2, 1::2]):
        got = np.from_dlpack(view)
        assert got.ctx == npx.gpu(0) and got.dtype == onp.int64, (got.ctx, got.dtype)
        assert (got.asnumpy() == view.cpu().numpy()).all(), (got, view)
    big = torch.rand(2048, 2048, device="cuda") + 1  # pending while imported
    want = float(big.double().sum())
    assert abs(float(np.from_dlpack(big).sum()) - want) < 1e-5 * want
    print("ok")
""")

# PyTorch lets go of ndflow's memory (the DLPack deleter) while work that reads it is still
# queued on its stream: ndflow must not hand that memory out again before the work has run.
# One process per stream, so that x's block is the only free one of its size.
CONSUMER_STILL_READING = WITH_PYTORCH_ON_A_GPU + textwrap.dedent("""
    import sys
    shape = (1024, 1024)
    stream = torch.cuda.Stream() if sys.argv[1] == "side" else torch.cuda.current_stream()
    with torch.cuda.stream(stream):
        x = np.full(shape, 3.0, ctx=npx.gpu(0))
        t = torch.from_dlpack(x)  # says which stream it uses x's memory on
        torch.cuda._sleep(500_000_000)  # some 0.3 s of GPU time before the read
        copy = t.clone()
        del t, x
        npx.waitall()  # x's storage is released by now
        reused = np.full(shape, 7.0, ctx=npx.gpu(0))  # x's block, if the cache gave it out
        reused.wait_to_read()
        stream.synchronize()
        assert bool((copy == 3).all()), "ndflow reused memory PyTorch was still reading"
        assert float(reused.sum()) == 7.0 * 1024 * 1024
    print("ok")
""")


def run_script(tmp_path, text, env, *args):
    script = tmp_path / "dlpack.py"
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_simulated_gpu_array_is_exported_as_host_memory_after_its_writes(tmp_path):
    env = dict(os.environ, NDFLOW_SIMULATED_GPUS="1")
    assert run_script(tmp_path, SIMULATED, env) == "ok"


def test_cuda_arrays_go_to_pytorch_and_come_back_through_dlpack(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NDFLOW_SIMULATED_GPUS"}
    out = run_script(tmp_path, CUDA, env)
    if out.startswith("skip:"):
        pytest.skip(out[len("skip: "):])
    assert out == "ok"


@pytest.mark.parametrize("stream", ["default", "side"])
def test_memory_a_consumer_still_reads_on_its_stream_is_not_handed_out_again(tmp_path, stream):
    env = {k: v for k, v in os.environ.items() if k != "NDFLOW_SIMULATED_GPUS"}
    out = run_script(tmp_path, CONSUMER_STILL_READING, env, stream)
    if out.startswith("skip:"):
        pytest.skip(out[len("skip: "):])
    assert out == "ok"


class DeviceBuffer:
    def __init__(self, device_type):
        self.device_type = device_type

    def __dlpack_device__(self):
        return (self.device_type, 0)

    def __dlpack__(self, **kwargs):
        raise AssertionError("ndflow must not ask for device memory it cannot import")


@pytest.mark.skipif(npx.num_gpus() > 0, reason="this process has GPUs")
def test_importing_cuda_memory_without_a_gpu_is_refused_saying_what_to_do():
    refused = r"memory of CUDA device 0, which ndflow does not use.*x\.cpu\(\)"
    with pytest.raises(TypeError, match=refused):
        np.from_dlpack(DeviceBuffer(2))


def test_importing_other_device_memory_is_refused_saying_what_to_do():
    with pytest.raises(TypeError, match=r"DLPack device type 14, which ndflow cannot read"):
        np.from_dlpack(DeviceBuffer(14))
