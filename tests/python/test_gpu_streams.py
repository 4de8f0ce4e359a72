"""GPU streams as Python users see them, on a simulated GPU (a subprocess with
NDFLOW_SIMULATED_GPUS=1): `to("cpu", non_blocking=True)` lands in pinned memory and returns
at once, and the profiler's trace shows when each GPU op's work ran on its stream."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json
    from ndflow import np, npx, profiler

    x = np.ones((64, 64), ctx=npx.gpu(0))
    profiler.start()
    y = np.dot(x, x)
    pinned = y.to("cpu", non_blocking=True)
    pageable = y.to("cpu")
    npx.waitall()
    profiler.stop()

    assert pinned.is_pinned() and not pageable.is_pinned()
    assert not y.is_pinned() and not x.copyto(npx.cpu()).is_pinned()
    assert (pinned.asnumpy() == 64).all() and (pageable.asnumpy() == 64).all()
    assert (pinned + 1).asnumpy()[0, 0] == 65  # an ordinary CPU array otherwise

    trace = json.loads(profiler.dumps())
    lanes = {e["pid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    ran = [(lanes[e["pid"]], e["name"]) for e in trace["traceEvents"]
           if e["ph"] == "X" and e.get("cat") == "stream"]
    assert ("gpu(0) compute", "matmul") in ran, ran  # dot of 2-d arrays
    assert ran.count(("gpu(0) copy-out", "copy_to")) == 2, ran
    print("ok")
""")


def test_pinned_copies_out_and_stream_spans_on_a_simulated_gpu(tmp_path):
    script = tmp_path / "streams.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, NDFLOW_SIMULATED_GPUS="1")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
