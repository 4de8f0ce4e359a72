"""The engine's profiler: every op from start() to stop(), dumped as a Chrome trace
(open it in chrome://tracing or Perfetto: one process per lane, one track per worker, and
for a GPU lane one more, "stream", showing when the GPU ran each op's work)."""

from . import _ndflow


def start():
    """Records every op that starts from now on."""
    _ndflow.profiler_start()


def stop():
    _ndflow.profiler_stop()


def dumps():
    """The recorded ops as Chrome Trace Event JSON text."""
    return _ndflow.profiler_json()


def dump(path="ndflow-profile.json"):
    """Writes the recorded ops to `path` as Chrome Trace Event JSON; returns the path."""
    _ndflow.profiler_dump(str(path))
    return str(path)
