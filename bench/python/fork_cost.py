"""What ndflow's fork handlers cost a fork: os.fork() in a process whose threaded engine is
idle (the handlers join its workers and start them again, in parent and child) against the
same process with NDFLOW_ENGINE=naive (no workers: the handlers do nothing), interleaved in
fresh processes over --rounds rounds.

    .venv/bin/python bench/python/fork_cost.py [--rounds 5] [--forks 100]

Each process times --forks forks (the child _exits at once) and reports the median; the
table gives the median over rounds and the ratio threaded / naive.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def child_process(forks):
    from ndflow import np  # the engine starts at the first op
    (np.ones(4) + 1).wait_to_read()
    times = []
    for _ in range(forks):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        times.append(time.perf_counter() - t0)
        os.waitpid(pid, 0)
    print(json.dumps({"fork_us": statistics.median(times) * 1e6}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--forks", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_process(args.forks)
    results = {"threaded": [], "naive": []}
    for _ in range(args.rounds):
        for kind in results:
            env = dict(os.environ, NDFLOW_ENGINE=kind)
            out = subprocess.run([sys.executable, __file__, "--child", "--forks", str(args.forks)],
                                 env=env, capture_output=True, text=True, check=True)
            results[kind].append(json.loads(out.stdout)["fork_us"])
    threaded = statistics.median(results["threaded"])
    naive = statistics.median(results["naive"])
    print(f"os.fork(), median of {args.rounds} rounds of {args.forks} forks")
    print(f"  threaded engine, idle: {threaded:8.0f} us")
    print(f"  naive engine:          {naive:8.0f} us")
    print(f"  ratio threaded / naive: {threaded / naive:.2f}")


if __name__ == "__main__":
    main()
