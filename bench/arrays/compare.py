#!/usr/bin/python3
"""ndflow's array benchmark next to NumPy, in one run.

Runs ndflow-bench-arrays --json, then times the same workloads with NumPy in this process
(at the sizes the binary reports, so --quick stays comparable), and prints both, their
ratios and the targets. Run with Debian's /usr/bin/python3 (python3-numpy, which uses the
multi-threaded OpenBLAS): NumPy's matmul uses every core, its other ops one.

  bench/arrays/compare.py [--quick] [--reps N] [--bin PATH] [--json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Where the build scripts and the README put the binary, most specific first.
CANDIDATES = ["build", "build-bench"]


def find_binary():
    for folder in CANDIDATES:
        path = os.path.join(ROOT, folder, "bench", "ndflow-bench-arrays")
        if os.access(path, os.X_OK):
            return path
    sys.exit("compare.py: ndflow-bench-arrays not found under %s; build it or pass --bin"
             % ", ".join(CANDIDATES))


def run_ndflow(binary, quick, reps):
    cmd = [binary, "--json"] + (["--quick"] if quick else []) + (["--reps", str(reps)] if reps else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("compare.py: %s failed (exit status %d): %s"
                 % (" ".join(cmd), proc.returncode, proc.stderr.strip()))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(fn, reps):
    """Median seconds of `reps` calls of fn after one warm-up call, as the binary does."""
    fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run_numpy(sizes, reps):
    # NumPy is imported only now, after ndflow's run. Importing it starts OpenBLAS's thread
    # pool in this process, and those threads busy-wait for a while: they would take cores
    # from the ndflow benchmark running beside them.
    import numpy as np

    rng = np.random.default_rng(0)

    def uniform(shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    n = sizes["matmul_n"]
    a, b = uniform((n, n)), uniform((n, n))
    matmul_ms = median_of(lambda: a @ b, reps) * 1e3

    x, y = uniform(sizes["add_n"]), uniform(sizes["add_n"])
    add_ms = median_of(lambda: x + y, reps) * 1e3
    out = np.empty_like(x)  # not a target: the add without a fresh result each time
    add_out_ms = median_of(lambda: np.add(x, y, out=out), reps) * 1e3

    ops = sizes["dispatch_ops"]
    ones = np.ones((1, 2), dtype=np.float32)

    def dispatch():
        for _ in range(ops):
            _ = ones + 1

    dispatch_ns = median_of(dispatch, reps) * 1e9 / ops

    count, k = sizes["small_matmul_count"], sizes["small_matmul_n"]
    small = uniform((k, k))

    def small_matmuls():
        for _ in range(count):
            _ = small @ small

    small_ms = median_of(small_matmuls, reps) * 1e3
    return {"matmul_ms": matmul_ms, "add_ms": add_ms, "add_out_ms": add_out_ms,
            "dispatch_ns": dispatch_ns, "small_matmul_ms": small_ms}


def blas_library():
    """The BLAS NumPy loaded (after a product), from this process's memory map."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line}
    except OSError:
        return "unknown"
    for prefix in ("libopenblas", "libblas"):  # not liblapack, which lives beside them
        for path in sorted(paths):
            if os.path.basename(path).startswith(prefix):
                return os.path.realpath(path)
    return "unknown"


def fmt(v):
    return "%.1f" % v if v < 1000 else "{:,.0f}".format(v)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 3 repetitions")
    parser.add_argument("--reps", type=int, default=0, help="timed repetitions (default 5)")
    parser.add_argument("--bin", help="path to ndflow-bench-arrays")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    binary = args.bin or find_binary()
    nd = run_ndflow(binary, args.quick, args.reps)
    npy = run_numpy(nd["sizes"], nd["reps"])
    import numpy as np  # only after ndflow's run: see run_numpy
    s = nd["sizes"]
    k = s["small_matmul_n"]

    speedup = nd["small_matmul_1w_ms"] / nd["small_matmul_2w_ms"]
    targets = [
        # (what, measured, target text, met)
        ("matmul: ndflow/NumPy time", nd["matmul1000_f32_ms"] / npy["matmul_ms"], "<= 1.0",
         nd["matmul1000_f32_ms"] <= npy["matmul_ms"]),
        ("add: ndflow's speed over NumPy's", npy["add_ms"] / nd["add1e7_f32_ms"], ">= 1.2",
         npy["add_ms"] >= 1.2 * nd["add1e7_f32_ms"]),
        ("dispatch async: ns per op", nd["dispatch_async_ns"], "<= 300",
         nd["dispatch_async_ns"] <= 300),
        ("small matmuls: 2 workers over 1", speedup, ">= 1.6", speedup >= 1.6),
    ]

    if args.json:
        print(json.dumps({"ndflow": nd, "numpy": npy, "numpy_version": np.__version__,
                          "blas": blas_library(),
                          "targets": {t[0]: {"measured": t[1], "target": t[2], "met": t[3]}
                                      for t in targets}}))
        return

    print("compare.py: %s (%s engine, %d CPU workers) and NumPy %s (%s), same run"
          % (os.path.relpath(binary, ROOT), nd["engine"], nd["cpu_workers"], np.__version__,
             blas_library()))
    print("medians of %d repetitions after a warm-up%s\n"
          % (nd["reps"], "; --quick sizes" if nd["quick"] else ""))
    rows = [
        ("matmul %dx%d f32" % (s["matmul_n"], s["matmul_n"]), "ms",
         nd["matmul1000_f32_ms"], npy["matmul_ms"]),
        ("add 2x %d f32" % s["add_n"], "ms", nd["add1e7_f32_ms"], npy["add_ms"]),
        ("  NumPy into out= (no target)", "ms", None, npy["add_out_ms"]),
        ("y = x + 1 on (1,2), async", "ns/op", nd["dispatch_async_ns"], npy["dispatch_ns"]),
        ("y = x + 1 on (1,2), sync", "ns/op", nd["dispatch_sync_ns"], npy["dispatch_ns"]),
        ("%d %dx%d matmuls, 1 worker" % (s["small_matmul_count"], k, k), "ms",
         nd["small_matmul_1w_ms"], npy["small_matmul_ms"]),
        ("%d %dx%d matmuls, 2 workers" % (s["small_matmul_count"], k, k), "ms",
         nd["small_matmul_2w_ms"], npy["small_matmul_ms"]),
    ]
    print("%-34s %-6s %10s %10s %13s" % ("workload", "unit", "ndflow", "NumPy", "ndflow/NumPy"))
    for what, unit, ours, theirs in rows:
        ratio = "%.2f" % (ours / theirs) if ours is not None else ""
        print("%-34s %-6s %10s %10s %13s"
              % (what, unit, fmt(ours) if ours is not None else "", fmt(theirs), ratio))
    print("\n%-34s %10s %8s  %s" % ("target", "measured", "target", "met"))
    for what, measured, target, met in targets:
        print("%-34s %10.2f %8s  %s" % (what, measured, target, "yes" if met else "NO"))


if __name__ == "__main__":
    main()
