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


# Memory imported by from_dlpack is handed back to its producer on a Python thread; once
# the interpreter exits, what is still in use is left to the process's end instead. (No
# waitall here: a daemon thread still pushing would keep it waiting forever.)
_atexit.register(_ndflow._python_exiting)
