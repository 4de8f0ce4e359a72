"""python -m ndflow.demo: the chapters' experiments as a report with timelines.

The same program as the C++ `ndflow-demo` (the same code runs); see `--help`.
"""

import signal
import sys

from . import _ndflow


def main(argv=None):
    sys.stdout.flush()
    return _ndflow.demo_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    # The demo runs in C++ for up to minutes without returning to Python, whose SIGINT
    # handler only sets a flag that is read when it does. As a program, Ctrl-C should stop
    # it at once, as it stops ndflow-demo: the default action, which ends the process.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main())
