"""DLPack with GPU arrays: a GPU array is handed out where its bytes are (CUDA memory of its
physical GPU; host memory on a simulated GPU) once its pending writes are done, and CUDA
memory of other frameworks is refused on import with a message that says what to do."""

import os
import subprocess
import sys
import textwrap

import pytest

from ndflow import np

SIMULATED = textwrap.dedent("""
    import numpy as onp
    from ndflow import np, npx

    x = np.ones((64, 64), ctx=npx.gpu(0))
    y = np.dot(x, x) + 1  # still pending when exported
    assert y.__dlpack_device__() == (1, 0), y.__dlpack_device__()
    n = onp.from_dlpack(y)
    assert n.shape == (64, 64) and (n == 65).all(), n
    print("ok")
""")

CUDA = textwrap.dedent("""
    from ndflow import np, npx

    if npx.num_gpus() == 0:
        print("skip: no CUDA device visible")
        raise SystemExit(0)
    try:
        import torch
    except ImportError:
        print("skip: PyTorch is not installed")
        raise SystemExit(0)
    x = np.ones((256, 256), ctx=npx.gpu(0))
    y = np.dot(x, x) + 1
    assert y.__dlpack_device__()[0] == 2, y.__dlpack_device__()  # kDLCUDA
    t = torch.from_dlpack(y)
    assert t.is_cuda and t.device.index == y.__dlpack_device__()[1], t.device
    assert bool((t == 257).all()), t
    print("ok")
""")


def run_script(tmp_path, text, env):
    script = tmp_path / "dlpack.py"
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_simulated_gpu_array_is_exported_as_host_memory_after_its_writes(tmp_path):
    env = dict(os.environ, NDFLOW_SIMULATED_GPUS="1")
    assert run_script(tmp_path, SIMULATED, env) == "ok"


def test_a_cuda_gpu_array_is_exported_as_cuda_memory_to_pytorch(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NDFLOW_SIMULATED_GPUS"}
    out = run_script(tmp_path, CUDA, env)
    if out.startswith("skip:"):
        pytest.skip(out[len("skip: "):])
    assert out == "ok"


def test_importing_device_memory_is_refused_saying_what_to_do():
    class CudaBuffer:
        def __dlpack_device__(self):
            return (2, 0)

        def __dlpack__(self, **kwargs):
            raise AssertionError("ndflow must not ask for device memory it cannot import")

    with pytest.raises(TypeError, match=r"device memory \(DLPack device type 2\).*x\.cpu\(\)"):
        np.from_dlpack(CudaBuffer())
