"""bench/gpu/compare.py, the driver of issue 5's GPU figures, on simulated GPUs: it runs
ndflow-bench-gpu (C++) and ndflow's dispatch from Python in a fresh process, and says plainly
when there is no GPU. PyTorch's side needs a CUDA GPU and runs only in scripts/gpu-check."""

import importlib.util
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
    assert result["ndflow"]["host_read_us"] > 0
    assert result["ndflow_python"]["host_read_us"] > 0
    assert "torch" not in result  # simulated GPUs time host threads: nothing to compare


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None,
                    reason="an NVIDIA driver is here: compare.py would run the real benchmark")
def test_without_a_gpu_it_says_why_and_succeeds():
    result = compare("")
    assert result["skipped"].startswith("no GPU: "), result


def load_compare():
    spec = importlib.util.spec_from_file_location("gpu_compare", COMPARE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What a GPU run's two sides report (ndflow-bench-gpu and ndflow from Python, PyTorch), with
# round figures; only their keys matter to the report.
ND_ON_A_GPU = {"device": "NVIDIA H100", "simulated": False, "n": 4000, "products": 50, "reps": 5,
               "matmul4000_f32_ms": 10.2, "sum_axis0_ms": 0.2, "sum_axis1_ms": 0.2,
               "run_ms": 500.0, "copy_ms": 300.0, "run_and_copy_ms": 520.0,
               "dispatch_async_us": 2.0, "dispatch_ops": 10000,
               "host_read_us": 20.0, "host_reads": 1000, "cpu_n": 1000, "cpu_products": 10,
               "cpu_ms": 100.0, "gpu_ms": 500.0, "cpu_and_gpu_ms": 505.0}
ND_PYTHON = {"dispatch_async_us": 4.0, "host_read_us": 30.0}
TORCH = {"device": "NVIDIA H100", "torch": "2.11.0", "matmul4000_f32_ms": 10.0,
         "sum_axis0_ms": 0.1, "sum_axis1_ms": 0.2, "run_ms": 500.0,
         "copy_ms": 300.0, "run_and_copy_ms": 510.0, "dispatch_async_us": 5.0,
         "host_read_us": 25.0}


def test_the_report_of_a_gpu_run_gives_every_figure_ratio_and_target(monkeypatch, capsys,
                                                                     tmp_path):
    """The report after PyTorch's run cannot be reached without a GPU: a slip in it would
    lose a GPU run's figures. Here both sides are stand-ins."""
    compare_py = load_compare()
    monkeypatch.setattr(compare_py, "run_ndflow", lambda *args: dict(ND_ON_A_GPU))
    sides = {"--ndflow-python-only": ND_PYTHON, "--torch-only": TORCH}
    monkeypatch.setattr(compare_py, "run_python_side", lambda which, nd: dict(sides[which]))
    out_file = tmp_path / "compare.json"
    monkeypatch.setattr(sys, "argv", ["compare.py", "--json-out", str(out_file)])
    compare_py.main()
    text = capsys.readouterr().out
    for row in ("matmul 4000x4000 f32 (ms)", "its sum over axis 0 (ms)",
                "y = x + 1, from Python (us/op)",
                "host read, from Python (us)", "CPU and GPU: together / sum"):
        assert row in text, text
    targets = json.loads(out_file.read_text())["targets"]
    assert targets["matmul: ndflow / torch.mm"]["measured"] == pytest.approx(1.02)
    assert targets["matmul: ndflow / torch.mm"]["met"] is True
    assert targets["dispatch: ndflow / torch per op, both from Python"]["measured"] == 0.8
    read = targets["host read: ndflow / torch per read, from Python (for comparison)"]
    assert read["measured"] == pytest.approx(1.2) and read["target"] == ""
    overlap = targets["overlap: ndflow, share of ideal"]
    assert overlap["measured"] == pytest.approx((800 / 520) / (800 / 500))
    assert overlap["met"] is True
