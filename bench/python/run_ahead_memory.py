"""What a front end running far ahead holds in memory: a loop y = (y @ a) * 2.0 pushed all
at once, in fresh processes with and without NDFLOW_MAX_INFLIGHT_BYTES, the bound on the
memory held for work in flight. Reports each run's peak RSS and time, and NumPy's
(synchronous, so it holds one step's arrays) as the peer.

    .venv/bin/python bench/python/run_ahead_memory.py [--n 1024] [--steps 300] [--bound 64M,1G]
"""

import argparse
import json
import os
import subprocess
import sys

CHILD = """
import json, resource, sys, time
import numpy as onp
n, steps, peer = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
a_np = (0.5 * onp.eye(n)).astype("float32")
if peer == "numpy":
    np, wait = onp, lambda: None
else:
    from ndflow import np, npx
    wait = npx.waitall
a = np.array(a_np)
y = a
t0 = time.perf_counter()
for _ in range(steps):
    y = (y @ a) * 2.0
wait()
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(n, steps, peer, bound=None):
    env = dict(os.environ)
    env.pop("NDFLOW_MAX_INFLIGHT_BYTES", None)
    if bound:
        env["NDFLOW_MAX_INFLIGHT_BYTES"] = bound
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(steps), peer], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--bound", default="64M",
                   help="NDFLOW_MAX_INFLIGHT_BYTES to run with; several, comma-separated")
    args = p.parse_args()
    mb = args.n * args.n * 4 / 2**20
    print(f"{args.steps} steps of y = (y @ a) * 2.0, {args.n}x{args.n} float32 ({mb:.0f} MB)")
    rows = [("ndflow, default bound", run(args.n, args.steps, "ndflow"))]
    rows += [(f"ndflow, NDFLOW_MAX_INFLIGHT_BYTES={bound}",
              run(args.n, args.steps, "ndflow", bound)) for bound in args.bound.split(",")]
    rows.append(("NumPy (synchronous)", run(args.n, args.steps, "numpy")))
    for name, r in rows:
        print(f"  {name:45s} peak RSS {r['peak_rss_mb']:7.0f} MB   {r['seconds']:6.2f} s")


if __name__ == "__main__":
    main()
