#!/usr/bin/env python3
"""ndflow's GPU benchmark next to PyTorch, in one run (issue 5's figures).

Runs ndflow-bench-gpu --json, then the same workloads with PyTorch in a fresh process of
this script (same sizes), and prints both, the ratios and the targets:
- 4000x4000 float32 matmul: ndflow / torch.mm time <= 1.03;
- the sums of that matrix over axis 0 and over axis 1: for comparison, no target;
- the chapter's "Run on GPU1", "Copy to CPU", "Run on GPU1 and copy to CPU": the overlap
  (sum of the parts / together) >= 90% of the ideal (sum / max of the parts); PyTorch's with
  non_blocking=True beside it;
- 10,000 y = x + 1 on the GPU: ndflow's time per op <= PyTorch's, both pushed from Python
  (ndflow's C++ front end's figure, from ndflow-bench-gpu, is shown beside them);
- CPU and GPU in parallel: together / sum of the parts;
- reading a small GPU result on the host, 1,000 times y = x + 1 then y's values on the host
  (ndflow's asnumpy, PyTorch's .cpu().numpy()), both from Python: for comparison, no target.
PyTorch and the ndflow package must be importable by the interpreter running this script;
without ndflow the dispatch target compares ndflow's C++ figure and says so.

  bench/gpu/compare.py [--quick] [--reps N] [--bin PATH] [--json] [--json-out FILE]

--json prints one JSON object instead of the table; --json-out FILE prints the table and
writes that object to FILE as well (scripts/gpu-check keeps both from one run).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_ndflow(binary, quick, reps):
    cmd = [binary, "--json"] + (["--quick"] if quick else []) + (["--reps", str(reps)] if reps else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("compare.py: %s failed (%d): %s" % (" ".join(cmd), done.returncode, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_ms_of(fn, sync, reps):
    """The median wall time of fn() followed by sync() (the wait for its work), over `reps`
    runs after a warm-up: how both Python sides are timed."""
    fn()
    sync()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def torch_main(sizes):
    """PyTorch's side, in its own process; prints one JSON object."""
    import torch

    dev = torch.device("cuda:0")

    def median_ms(fn):
        return median_ms_of(fn, torch.cuda.synchronize, sizes["reps"])

    # As ndflow: TF32 off. PyTorch 2.9 and later name it fp32_precision and warn at the old
    # flag, which they are to drop.
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        matmul.fp32_precision = "ieee"
    else:
        matmul.allow_tf32 = False
    n, count = sizes["n"], sizes["products"]
    big = torch.rand((n, n), device=dev) * 2 - 1
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    out["matmul4000_f32_ms"] = median_ms(lambda: torch.mm(big, big))
    out["sum_axis0_ms"] = median_ms(lambda: big.sum(dim=0))
    out["sum_axis1_ms"] = median_ms(lambda: big.sum(dim=1))
    ys = []

    def run():
        ys[:] = [torch.mm(big, big) for _ in range(count)]

    out["run_ms"] = median_ms(run)
    out["copy_ms"] = median_ms(lambda: [y.to("cpu", non_blocking=True) for y in ys])
    out["run_and_copy_ms"] = median_ms(
        lambda: [torch.mm(big, big).to("cpu", non_blocking=True) for _ in range(count)])
    small = torch.ones((1, 2), device=dev)
    ops = sizes["dispatch_ops"]

    def dispatch():
        for _ in range(ops):
            small + 1

    out["dispatch_async_us"] = median_ms(dispatch) * 1e3 / ops
    reads = sizes["host_reads"]

    def host_reads():
        for _ in range(reads):
            (small + 1).cpu().numpy()

    out["host_read_us"] = median_ms(host_reads) * 1e3 / reads
    print(json.dumps(out))


def ndflow_python_main(sizes):
    """ndflow's dispatch from Python, in its own process, as PyTorch's is measured; prints
    one JSON object ({"skipped": why} when the package cannot be imported)."""
    try:
        from ndflow import np, npx
    except ImportError as e:
        print(json.dumps({"skipped": "the ndflow package is not importable: %s" % e}))
        return
    ops = sizes["dispatch_ops"]
    small = np.ones((1, 2), dtype="float32", device=npx.gpu(0))

    def dispatch():
        for _ in range(ops):
            small + 1

    reads = sizes["host_reads"]

    def host_reads():
        for _ in range(reads):
            (small + 1).asnumpy()

    ms = median_ms_of(dispatch, npx.waitall, sizes["reps"])
    read_ms = median_ms_of(host_reads, npx.waitall, sizes["reps"])
    print(json.dumps({"dispatch_async_us": ms * 1e3 / ops, "host_read_us": read_ms * 1e3 / reads}))


def run_python_side(which, nd):
    """Runs torch_main or ndflow_python_main in a fresh process of this interpreter."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), which, json.dumps(nd)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("compare.py: the %s run failed: %s" % (which, done.stderr.strip()))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    sides = {"--torch-only": torch_main, "--ndflow-python-only": ndflow_python_main}
    if len(sys.argv) > 2 and sys.argv[1] in sides:
        sides[sys.argv[1]](json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=0)
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bench", "ndflow-bench-gpu"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--json-out", metavar="FILE")
    args = parser.parse_args()

    def emit(result, text):
        if args.json_out:
            with open(args.json_out, "w") as f:
                f.write(json.dumps(result) + "\n")
        if args.json:
            print(json.dumps(result))
            return False
        if text:
            print(text)
        return True

    nd = run_ndflow(args.bin, args.quick, args.reps)
    if "skipped" in nd:
        emit(nd, "compare.py: skipped (%s)" % nd["skipped"])
        return
    nd_python = run_python_side("--ndflow-python-only", nd)
    if nd["simulated"]:  # no GPU for PyTorch: ndflow's figures only, which time host threads
        emit({"ndflow": nd, "ndflow_python": nd_python},
             "compare.py: simulated GPUs, PyTorch not run; ndflow: %s; ndflow from Python: %s"
             % (json.dumps(nd), json.dumps(nd_python)))
        return
    pt = run_python_side("--torch-only", nd)
    # The dispatch target compares like with like: both pushed from Python.
    if "skipped" in nd_python:
        dispatch_what, nd_dispatch = "dispatch: ndflow (C++) / torch (Python) per op", nd
    else:
        dispatch_what, nd_dispatch = "dispatch: ndflow / torch per op, both from Python", nd_python

    def overlap(r):
        return (r["run_ms"] + r["copy_ms"]) / r["run_and_copy_ms"]

    def ideal(r):
        return (r["run_ms"] + r["copy_ms"]) / max(r["run_ms"], r["copy_ms"])

    targets = {
        "matmul: ndflow / torch.mm": (nd["matmul4000_f32_ms"] / pt["matmul4000_f32_ms"], "<= 1.03",
                                      nd["matmul4000_f32_ms"] <= 1.03 * pt["matmul4000_f32_ms"]),
        "overlap: ndflow, share of ideal": (overlap(nd) / ideal(nd), ">= 0.90",
                                            overlap(nd) >= 0.9 * ideal(nd)),
        "overlap: torch, share of ideal (for comparison)": (overlap(pt) / ideal(pt), "", True),
        dispatch_what: (nd_dispatch["dispatch_async_us"] / pt["dispatch_async_us"], "<= 1.0",
                        nd_dispatch["dispatch_async_us"] <= pt["dispatch_async_us"]),
        "CPU and GPU: together / sum": (nd["cpu_and_gpu_ms"] / (nd["cpu_ms"] + nd["gpu_ms"]), "",
                                        True),
    }
    if "skipped" not in nd_python:
        targets["host read: ndflow / torch per read, from Python (for comparison)"] = (
            nd_python["host_read_us"] / pt["host_read_us"], "", True)
    result = {"ndflow": nd, "ndflow_python": nd_python, "torch": pt,
              "targets": {k: {"measured": v[0], "target": v[1], "met": v[2]}
                          for k, v in targets.items()}}
    if not emit(result, None):
        return
    print("compare.py: ndflow on %s%s; PyTorch %s on %s"
          % (nd["device"], " (simulated)" if nd["simulated"] else "", pt["torch"], pt["device"]))
    rows = [("matmul %dx%d f32 (ms)" % (nd["n"], nd["n"]), "matmul4000_f32_ms"),
            ("its sum over axis 0 (ms)", "sum_axis0_ms"),
            ("its sum over axis 1 (ms)", "sum_axis1_ms"),
            ("run %d products (ms)" % nd["products"], "run_ms"),
            ("copy them to the CPU (ms)", "copy_ms"),
            ("run and copy (ms)", "run_and_copy_ms"),
            ("y = x + 1, ndflow from C++ (us/op)", "dispatch_async_us"),
            ("host read, ndflow from C++ (us)", "host_read_us")]
    python_rows = [("y = x + 1, from Python (us/op)", "dispatch_async_us"),
                   ("host read, from Python (us)", "host_read_us")]

    def row(what, ours, theirs):
        print("%-34s %10.3f %10.3f %8.2f" % (what, ours, theirs, ours / theirs))

    print("%-34s %10s %10s %8s" % ("workload", "ndflow", "PyTorch", "ratio"))
    for what, key in rows:
        row(what, nd[key], pt[key])
    if "skipped" in nd_python:
        print("y = x + 1 from Python: ndflow not measured (%s)" % nd_python["skipped"])
    else:
        for what, key in python_rows:
            row(what, nd_python[key], pt[key])
    print("\n%-48s %9s %8s  %s" % ("target", "measured", "target", "met"))
    for what, (value, target, met) in targets.items():
        print("%-48s %9.3f %8s  %s" % (what, value, target, ("yes" if met else "NO") if target else ""))


if __name__ == "__main__":
    main()
