#!/usr/bin/python3
"""ndflow's array benchmark next to NumPy, in one run.

Runs rounds of: ndflow-bench-arrays --json, then the same workloads with NumPy in a fresh
Python process (at the sizes the binary reports, so --quick stays comparable). Prints both,
the ratios and the targets: each figure is the median over rounds, each ratio the median of
the per-round ratios. Rounds pair the two sides in time: on this kind of VM both sides' 2-thread
products have slow spells (see bench/RESULTS.md), and one round alone can land either side
in one. Run with Debian's /usr/bin/python3 (python3-numpy, which uses the multi-threaded
OpenBLAS): NumPy's matmul uses every core, its other ops one.

  bench/arrays/compare.py [--quick] [--reps N] [--rounds R] [--bin PATH] [--json]
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
    """NumPy's medians, in a fresh process of this script (see numpy_main)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--numpy-only", json.dumps(sizes),
           "--reps", str(reps)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("compare.py: the NumPy run failed (exit status %d): %s"
                 % (proc.returncode, proc.stderr.strip()))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def numpy_main(sizes, reps):
    """Times NumPy and prints one JSON object. A process of its own: importing NumPy starts
    OpenBLAS's thread pool, whose threads busy-wait for a while and would take cores from
    the next round's ndflow benchmark."""
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

    m = uniform((sizes["sum_n"], sizes["sum_n"]))
    sum0_ms = median_of(lambda: m.sum(axis=0), reps) * 1e3
    sum1_ms = median_of(lambda: m.sum(axis=1), reps) * 1e3
    max_ms = median_of(lambda: m.max(), reps) * 1e3
    max1_ms = median_of(lambda: m.max(axis=1), reps) * 1e3

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
    print(json.dumps({"matmul_ms": matmul_ms, "add_ms": add_ms, "add_out_ms": add_out_ms,
                      "sum_axis0_ms": sum0_ms, "sum_axis1_ms": sum1_ms,
                      "max_ms": max_ms, "max_axis1_ms": max1_ms,
                      "dispatch_ns": dispatch_ns, "small_matmul_ms": small_ms,
                      "numpy_version": np.__version__, "blas": blas_library()}))


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


def median_round(rounds):
    """Each numeric key's median over the rounds (other keys from the first round)."""
    out = dict(rounds[0])
    for key, value in rounds[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in rounds)
    return out


# (what, measured(nd, npy), target text, met(measured)), judged per round.
TARGETS = [
    ("matmul: ndflow/NumPy time", lambda nd, npy: nd["matmul1000_f32_ms"] / npy["matmul_ms"],
     "<= 1.0", lambda v: v <= 1.0),
    ("add: ndflow's speed over NumPy's", lambda nd, npy: npy["add_ms"] / nd["add1e7_f32_ms"],
     ">= 1.2", lambda v: v >= 1.2),
    ("dispatch async: ns per op", lambda nd, npy: nd["dispatch_async_ns"], "<= 300",
     lambda v: v <= 300),
    ("small matmuls: 2 workers over 1",
     lambda nd, npy: nd["small_matmul_1w_ms"] / nd["small_matmul_2w_ms"], ">= 1.6",
     lambda v: v >= 1.6),
]


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--numpy-only":
        reps = int(sys.argv[sys.argv.index("--reps") + 1])
        numpy_main(json.loads(sys.argv[2]), reps)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 3 repetitions")
    parser.add_argument("--reps", type=int, default=0, help="timed repetitions (default 5)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="rounds of ndflow then NumPy (default 3, 1 with --quick)")
    parser.add_argument("--bin", help="path to ndflow-bench-arrays")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    if rounds < 1 or args.reps < 0:
        parser.error("--rounds and --reps must be positive")

    binary = args.bin or find_binary()
    pairs = []
    for _ in range(rounds):
        nd_round = run_ndflow(binary, args.quick, args.reps)
        pairs.append((nd_round, run_numpy(nd_round["sizes"], nd_round["reps"])))
    nd = median_round([p[0] for p in pairs])
    npy = median_round([p[1] for p in pairs])
    s = nd["sizes"]
    k = s["small_matmul_n"]
    targets = []
    for what, measure, target, met in TARGETS:
        per_round = [measure(*p) for p in pairs]
        value = statistics.median(per_round)
        targets.append((what, value, per_round, target, met(value)))

    if args.json:
        print(json.dumps({"ndflow": nd, "numpy": npy, "numpy_version": npy["numpy_version"],
                          "blas": npy["blas"], "rounds": rounds,
                          "per_round": [{"ndflow": a, "numpy": b} for a, b in pairs],
                          "targets": {t[0]: {"measured": t[1], "per_round": t[2],
                                             "target": t[3], "met": t[4]} for t in targets}}))
        return

    print("compare.py: %s (%s engine, %d CPU workers) and NumPy %s (%s)"
          % (os.path.relpath(binary, ROOT), nd["engine"], nd["cpu_workers"],
             npy["numpy_version"], npy["blas"]))
    print("%d round%s of ndflow then NumPy; medians of %d repetitions after a warm-up%s, "
          "then the median over rounds\n"
          % (rounds, "" if rounds == 1 else "s", nd["reps"],
             "; --quick sizes" if nd["quick"] else ""))
    square = "%dx%d f32" % (s["sum_n"], s["sum_n"])  # the reductions' input
    rows = [
        ("matmul %dx%d f32" % (s["matmul_n"], s["matmul_n"]), "ms",
         nd["matmul1000_f32_ms"], npy["matmul_ms"]),
        ("add 2x %d f32" % s["add_n"], "ms", nd["add1e7_f32_ms"], npy["add_ms"]),
        ("  NumPy into out= (no target)", "ms", None, npy["add_out_ms"]),
        ("sum over axis 0, " + square, "ms", nd["sum_axis0_f32_ms"], npy["sum_axis0_ms"]),
        ("sum over axis 1, " + square, "ms", nd["sum_axis1_f32_ms"], npy["sum_axis1_ms"]),
        ("max, " + square, "ms", nd["max_f32_ms"], npy["max_ms"]),
        ("max over axis 1, " + square, "ms", nd["max_axis1_f32_ms"], npy["max_axis1_ms"]),
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
    print("\n%-34s %10s %8s  %-4s %s" % ("target", "measured", "target", "met", "per round"))
    for what, measured, per_round, target, met in targets:
        print("%-34s %10.2f %8s  %-4s %s" % (what, measured, target, "yes" if met else "NO",
                                             " ".join("%.2f" % v for v in per_round)))


if __name__ == "__main__":
    main()
