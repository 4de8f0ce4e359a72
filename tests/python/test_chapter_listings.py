"""The chapters' MXNet listings (examples/python/*.py) run on ndflow, at small sizes.

Each file is the chapter's code with only its imports changed; the test shrinks the sizes
by text substitution (each substitution must apply) and runs it in a fresh interpreter.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from ndflow import npx

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"

# file -> (chapter text, small text) substitutions, and the Benchmark lines it must print
LISTINGS = {
    "async_computation.py": (
        [("(1000, 1000)", "(64, 64)"), ("range(10000)", "range(300)")],
        ["numpy", "mxnet.np", "Done", "waitall", "wait_to_read", "numpy conversion",
         "scalar conversion", "synchronous", "asynchronous"],
    ),
    "auto_parallelism.py": (
        [("(4000, 4000)", "(96, 96)"), ("range(50)", "range(6)")],
        ["GPU1 time", "GPU2 time", "GPU1 & GPU2", "Run on GPU1", "Copy to CPU",
         "Run on GPU1 and copy to CPU"],
    ),
}


def shrink(source, substitutions):
    for chapter, small in substitutions:
        assert chapter in source, f"the listing no longer contains {chapter!r}"
        source = source.replace(chapter, small)
    return source


# Without NDFLOW_SIMULATED_GPUS, d2l.try_all_gpus() gives the CPU twice (no GPU here); with
# it, the listings put their arrays on gpu(0) and gpu(1), through the GPU lanes and copies;
# with NDFLOW_SIMULATED_GPU_KERNELS=cuda too, those GPUs run the CUDA kernels' code on the
# host, so every op the listings use must have a CUDA kernel, as on a real GPU.
@pytest.mark.parametrize("gpus,kernels", [("", ""), ("2", ""), ("2", "cuda")],
                         ids=["cpu", "simulated-gpus", "simulated-gpus-cuda-kernels"])
@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_listing_runs_with_only_its_imports_changed(name, gpus, kernels, tmp_path):
    if kernels == "cuda" and not npx.cuda_compiled():
        pytest.skip("this build has no CUDA, so no CUDA kernels to run on simulated GPUs")
    substitutions, benchmarks = LISTINGS[name]
    source = (EXAMPLES / name).read_text()
    assert "mxnet" not in "\n".join(
        line for line in source.splitlines() if line.startswith(("import", "from"))
    ), "imports must be ndflow's"
    script = tmp_path / name
    script.write_text(shrink(source, substitutions))
    env = dict(os.environ)
    env.pop("NDFLOW_SIMULATED_GPUS", None)
    env.pop("NDFLOW_SIMULATED_GPU_KERNELS", None)
    if gpus:
        env["NDFLOW_SIMULATED_GPUS"] = gpus
    if kernels:
        env["NDFLOW_SIMULATED_GPU_KERNELS"] = kernels
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    printed = re.findall(r"^(.*): (\d+\.\d{4}) sec$", done.stdout, flags=re.M)
    assert [label for label, _ in printed] == benchmarks, done.stdout
    assert all(float(seconds) >= 0 for _, seconds in printed)
