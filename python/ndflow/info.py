"""python -m ndflow.info: what this build has and what it sees (the same program as the
C++ `ndflow-info`; see `--help`)."""

import sys

from . import _ndflow


def main(argv=None):
    sys.stdout.flush()
    return _ndflow.info_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
