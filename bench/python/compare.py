"""Runs bench/python/frontend.py for ndflow, NumPy and MXNet 1.9.1 in the same run and prints
the ratios. Each backend runs in its own process, the three interleaved over --rounds
rounds; each figure is the median over rounds of the per-process medians.

    .venv/bin/python bench/python/compare.py [--rounds 3] [--mxnet-python PATH]

ndflow and NumPy come from the interpreter running this script; MXNet from
.venv-mxnet/bin/python (made by bench/python/setup-mxnet), skipped with a note when absent.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "bench" / "python" / "frontend.py"
KEYS = ["dispatch_async_us", "dispatch_sync_us", "chapter_frontend_s", "chapter_total_s"]


def run(python, backend, extra):
    out = subprocess.run([python, str(FRONTEND), "--backend", backend, *extra],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mxnet-python", default=str(ROOT / ".venv-mxnet" / "bin" / "python"))
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    parser.add_argument("extra", nargs="*", help="passed to frontend.py (e.g. --ops 1000)")
    args = parser.parse_args()

    pythons = {"ndflow": sys.executable, "numpy": sys.executable}
    notes = []
    if pathlib.Path(args.mxnet_python).exists():
        pythons["mxnet"] = args.mxnet_python
    else:
        notes.append("MXNet not measured: run bench/python/setup-mxnet first")
    samples = {b: [] for b in pythons}
    for _ in range(args.rounds):
        for backend, python in pythons.items():
            samples[backend].append(run(python, backend, args.extra))
    medians = {
        b: {"version": s[0]["version"], **{k: statistics.median(r[k] for r in s) for k in KEYS}}
        for b, s in samples.items()
    }
    if args.json:
        print(json.dumps(medians))
        return

    print(f"{'':24}" + "".join(f"{b + ' ' + m['version']:>18}" for b, m in medians.items()))
    for key in KEYS:
        print(f"{key:24}" + "".join(f"{m[key]:18.4g}" for m in medians.values()))
    nd, np_ = medians["ndflow"], medians["numpy"]
    print()
    print(f"dispatch async: ndflow / NumPy per-op time = "
          f"{nd['dispatch_async_us'] / np_['dispatch_async_us']:.2f} (target <= 1.5)")
    print(f"chapter listing: NumPy / ndflow front end = "
          f"{np_['chapter_frontend_s'] / nd['chapter_frontend_s']:.0f}x; "
          f"NumPy / ndflow with waitall = {np_['chapter_total_s'] / nd['chapter_total_s']:.2f}x")
    if "mxnet" in medians:
        mx = medians["mxnet"]
        print(f"dispatch vs MXNet {mx['version']}: async {mx['dispatch_async_us'] / nd['dispatch_async_us']:.0f}x "
              f"faster, sync {mx['dispatch_sync_us'] / nd['dispatch_sync_us']:.0f}x faster")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
