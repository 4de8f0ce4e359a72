"""bench/gpu/compare.py, the driver of issue 5's GPU figures, on simulated GPUs: it runs
ndflow-bench-gpu (C++) and ndflow's dispatch from Python in a fresh process, and says plainly
when there is no GPU. PyTorch's side needs a CUDA GPU and runs only in scripts/gpu-check."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPARE = ROOT / "bench" / "gpu" / "compare.py"
BENCH = ROOT / "build" / "bench" / "ndflow-bench-gpu"

pytestmark = pytest.mark.skipif(
    not BENCH.exists(), reason="build/bench/ndflow-bench-gpu is not built (run scripts/build)")


def compare(simulated_gpus):
    env = dict(os.environ)
    env.pop("NDFLOW_SIMULATED_GPU_KERNELS", None)
    env.pop("NDFLOW_SIMULATED_GPUS", None)
    if simulated_gpus:
        env["NDFLOW_SIMULATED_GPUS"] = simulated_gpus
    done = subprocess.run([sys.executable, str(COMPARE), "--quick", "--reps", "1", "--json",
                           "--bin", str(BENCH)], capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_on_simulated_gpus_it_measures_ndflow_from_cpp_and_from_python():
    result = compare("2")
    assert result["ndflow"]["simulated"] is True
    assert result["ndflow"]["dispatch_async_us"] > 0
    assert result["ndflow_python"]["dispatch_async_us"] > 0
    assert "torch" not in result  # simulated GPUs time host threads: nothing to compare


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None,
                    reason="an NVIDIA driver is here: compare.py would run the real benchmark")
def test_without_a_gpu_it_says_why_and_succeeds():
    result = compare("")
    assert result["skipped"].startswith("no GPU: "), result
