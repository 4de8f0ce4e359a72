"""The chapter demo (python -m ndflow.demo, the same code as ndflow-demo) in quick mode, and
python -m ndflow.info. The demo:
its JSON has every experiment, times and ratios, and each timeline is an SVG with one row
per lane the experiment used."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ndflow import npx

EXPERIMENTS = ["async_frontend", "waitall_vs_wait_to_read", "implicit_blockers",
               "dispatch_model", "cpu_workers_parallel", "gpu_parallel", "cpu_and_gpu",
               "compute_copy_overlap", "gpu_compute_copy_overlap"]
GPU_ONLY = ("gpu_parallel", "cpu_and_gpu", "gpu_compute_copy_overlap")
SVG = "{http://www.w3.org/2000/svg}"


def run_demo(out, env=None):
    done = subprocess.run([sys.executable, "-m", "ndflow.demo", "--quick", "--json", "--out",
                           str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_every_experiment_is_reported_with_times_and_ratios(demo):
    results, out = demo
    assert [e["id"] for e in results["experiments"]] == EXPERIMENTS
    assert results["quick"] is True and results["cpu_workers"] >= 1
    for e in results["experiments"]:
        if e["status"] == "skipped":
            assert e["reason"], e
            continue
        assert e["status"] == "ran"
        assert e["times"] and all(t > 0 for t in e["times"].values()), e
        assert e["ratio"]["name"] and e["ratio"]["value"] > 0, e
        assert e["reading"], e
    ran = {e["id"] for e in results["experiments"] if e["status"] == "ran"}
    assert {"async_frontend", "dispatch_model", "cpu_workers_parallel",
            "compute_copy_overlap"} <= ran
    model = next(e for e in results["experiments"] if e["id"] == "dispatch_model")["model"]
    assert set(model) == {"t1_us", "t2_us", "t3_us", "predicted_async_ms"}
    for gpu_only in GPU_ONLY:
        e = next(e for e in results["experiments"] if e["id"] == gpu_only)
        if results["gpus"] == 0:  # no GPU the arrays can use: skipped, saying why
            assert e["status"] == "skipped", e
            assert "no CUDA device visible" in e["reason"], e
            assert "NDFLOW_SIMULATED_GPUS" in e["reason"], e


def test_gpu_experiments_run_on_simulated_gpus_on_their_lanes(tmp_path):
    env = dict(os.environ, NDFLOW_SIMULATED_GPUS="2")
    results, _ = run_demo(tmp_path, env)
    assert results["gpus"] == 2
    by_id = {e["id"]: e for e in results["experiments"]}
    for gpu_only in GPU_ONLY:
        e = by_id[gpu_only]
        assert e["status"] == "ran", e
        assert all(t > 0 for t in e["times"].values()), e
        assert "simulated" in e["device"] and "simulated GPUs" in e["reading"], e
    assert {"gpu(0) compute", "gpu(1) compute"} <= set(by_id["gpu_parallel"]["lanes"])
    assert {"gpu(0) compute", "gpu(0) copy-out"} <= set(
        by_id["gpu_compute_copy_overlap"]["lanes"])


def test_each_timeline_is_svg_with_one_row_per_lane_used(demo):
    results, out = demo
    for e in results["experiments"]:
        if e["status"] != "ran":
            continue
        root = ET.parse(e["timeline"]).getroot()  # parses as XML
        assert root.tag == SVG + "svg"
        rows = [g.get("data-row") for g in root.iter(SVG + "g") if g.get("class") == "row"]
        assert rows == e["lanes"], e["id"]
        assert any(r.get("class") == "op" for r in root.iter(SVG + "rect")), e["id"]
        trace = json.loads(open(e["trace"]).read())
        assert trace["traceEvents"], e["id"]
    overlap = next(e for e in results["experiments"] if e["id"] == "compute_copy_overlap")
    assert overlap["lanes"] == ["cpu(0) compute", "cpu(0) copy-in"]


def test_bad_flags_get_a_clear_message_and_a_nonzero_exit():
    done = subprocess.run([sys.executable, "-m", "ndflow.demo", "--frobnicate"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown option '--frobnicate'" in done.stderr
    done = subprocess.run([sys.executable, "-m", "ndflow.demo", "--runs", "zero"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--runs" in done.stderr
    done = subprocess.run([sys.executable, "-m", "ndflow.demo", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "--quick" in done.stdout and "--out DIR" in done.stdout


def test_info_says_what_the_build_has_and_sees():
    done = subprocess.run([sys.executable, "-m", "ndflow.info", "--json"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert isinstance(info["cuda_compiled"], bool) and isinstance(info["gpus"], list)
    assert info["cpu_workers"] >= 1 and info["blas"]
    if not info["gpus"]:
        assert "no CUDA device visible" in info["gpu_absence_reason"]
    for gpu in info["gpus"]:
        assert gpu["name"] and gpu["total_bytes"] > 0
    # npx says the same about the build without a subprocess
    assert npx.cuda_compiled() is info["cuda_compiled"]
    if info["cuda_compiled"]:
        assert npx.cuda_version() == info["cuda_runtime_version"]
        assert re.fullmatch(r"\d+\.\d+", npx.cuda_version())
    else:
        assert npx.cuda_version() is None


def test_ctrl_c_stops_the_demo_at_once(tmp_path):
    # The full demo takes tens of seconds or more; SIGINT once it has started must end it
    # within a few seconds, as it ends the C++ ndflow-demo, not when its experiments are done.
    demo = subprocess.Popen([sys.executable, "-m", "ndflow.demo", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Its first progress line ("[1/9] ...") says the experiments have begun.
        started, _, _ = select.select([demo.stderr], [], [], 60)
        assert started and demo.stderr.readline().startswith(b"[1/"), "the demo did not start"
        assert demo.poll() is None, "the demo ended before it was interrupted"
        demo.send_signal(signal.SIGINT)
        returncode = demo.wait(timeout=10)
    finally:
        demo.kill()
        demo.communicate()
    assert returncode == -signal.SIGINT
