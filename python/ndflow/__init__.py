"""ndflow: an asynchronous tensor runtime.

    from ndflow import np, npx

`np` is the MXNet-numpy style array API, `npx` holds devices and barriers, `d2l` the
helpers the book's chapters use, `profiler` the Chrome-trace profiler. Operations return
at once; the C++ engine runs them, in parallel where their data allow. Only blockers
wait: `x.wait_to_read()`, `npx.waitall()`, `x.asnumpy()`, `x.item()` and printing.
"""

import atexit as _atexit
import threading as _threading

from . import _ndflow
from . import np, npx, d2l, profiler

__version__ = "0.1.0"
__all__ = ["np", "npx", "d2l", "profiler"]


def _at_python_exit():
    # Memory imported by from_dlpack is handed back to its producer on a Python thread; once
    # the interpreter exits, what is still in use is left to the process's end instead. (No
    # waitall here: a daemon thread still pushing would keep it waiting forever.)
    _ndflow._python_exiting()
    # CPython stops daemon threads without unwinding them, so the arrays they hold are never
    # freed; nanobind would report each at exit as a leak in ndflow's bindings.
    if any(t.daemon and t.is_alive() for t in _threading.enumerate()):
        _ndflow._set_leak_warnings(False)


_atexit.register(_at_python_exit)
