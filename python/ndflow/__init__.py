"""ndflow: an asynchronous tensor runtime.

    from ndflow import np, npx

`np` is the MXNet-numpy style array API, `npx` holds devices and barriers, `d2l` the
helpers the book's chapters use, `profiler` the Chrome-trace profiler. Operations return
at once; the C++ engine runs them, in parallel where their data allow. Only blockers
wait: `x.wait_to_read()`, `npx.waitall()`, `x.asnumpy()`, `x.item()` and printing.
"""

import atexit as _atexit

from . import _ndflow
from . import np, npx, d2l, profiler

__version__ = "0.1.0"
__all__ = ["np", "npx", "d2l", "profiler"]


def _finish_at_exit():
    # Let work in flight finish while Python is still whole, so that arrays imported by
    # from_dlpack hand their memory back to its producers before the interpreter goes.
    try:
        _ndflow.waitall()
    except Exception:  # an unobserved failure: the program is exiting anyway
        pass
    _ndflow._drain_parked()


_atexit.register(_finish_at_exit)
