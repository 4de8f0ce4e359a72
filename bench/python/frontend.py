"""The Python front end's workloads, for one backend per process (numpy, ndflow or mxnet).

    python bench/python/frontend.py --backend ndflow [--repeats 7] [--ops 10000]

Prints one JSON object: the backend's version and the median over the repeats of
  dispatch_async_us  10,000 `y = x + 1` on a (1,2) array, then one barrier, per op
  dispatch_sync_us   the same with `y.wait_to_read()` after each op, per op
  chapter_frontend_s the chapter's first listing (10 x normal(1000x1000) + dot), no barrier
  chapter_total_s    the same followed by waitall (numpy: the same as frontend)
MXNet must come from its own virtual environment (it needs numpy 1.23.5):
bench/python/compare.py runs each backend in the interpreter that has it.
"""

import argparse
import json
import statistics
import time


def load(backend):
    """(np module, barrier(), wait_to_read(y), version) for the backend."""
    if backend == "numpy":
        import numpy as np

        return np, lambda: None, lambda y: None, np.__version__
    if backend == "ndflow":
        import ndflow
        from ndflow import np, npx

        return np, npx.waitall, lambda y: y.wait_to_read(), ndflow.__version__
    if backend == "mxnet":
        import mxnet
        from mxnet import np, npx

        npx.set_np()
        return np, npx.waitall, lambda y: y.wait_to_read(), mxnet.__version__
    raise SystemExit(f"unknown backend {backend!r}: expected numpy, ndflow or mxnet")


def per_op_us(loop, ops, repeats):
    loop(ops // 10)  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        loop(ops)
        samples.append((time.perf_counter() - start) / ops * 1e6)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=["numpy", "ndflow", "mxnet"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--ops", type=int, default=10000)
    parser.add_argument("--size", type=int, default=1000, help="the chapter's matrix size")
    args = parser.parse_args()
    np, barrier, wait_to_read, version = load(args.backend)

    x = np.ones((1, 2))

    def run_async(n):
        for _ in range(n):
            y = x + 1
        barrier()

    def run_sync(n):
        for _ in range(n):
            y = x + 1
            wait_to_read(y)

    result = {
        "backend": args.backend,
        "version": version,
        "dispatch_async_us": per_op_us(run_async, args.ops, args.repeats),
        "dispatch_sync_us": per_op_us(run_sync, args.ops, args.repeats),
    }

    def chapter(with_barrier):
        start = time.perf_counter()
        for _ in range(10):
            a = np.random.normal(size=(args.size, args.size))
            b = np.dot(a, a)
        if with_barrier:
            barrier()
        elapsed = time.perf_counter() - start
        barrier()  # the front-end-only run must not leak work into the next sample
        return elapsed

    chapter(True)  # warm-up
    result["chapter_frontend_s"] = statistics.median(chapter(False) for _ in range(3))
    result["chapter_total_s"] = statistics.median(chapter(True) for _ in range(3))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
