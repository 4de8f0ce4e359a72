"""python -m ndflow.demo: the chapters' experiments as a report with timelines.

The same program as the C++ `ndflow-demo` (the same code runs); see `--help`.
"""

import sys

from . import _ndflow


def main(argv=None):
    sys.stdout.flush()
    return _ndflow.demo_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
