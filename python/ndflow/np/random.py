"""Random numbers (`np.random`). The same seed gives the same numbers whatever the
scheduling and the number of workers: each call draws from a counter-based stream keyed by
the seed and the call's place in program order."""

from .. import _ndflow

seed = _ndflow.random_seed
uniform = _ndflow.random_uniform
normal = _ndflow.random_normal
randint = _ndflow.random_randint


def rand(*size, dtype=None, ctx=None, device=None):
    """Uniform in [0, 1) of shape `size` (NumPy's rand(d0, d1, ...))."""
    return uniform(0.0, 1.0, size=size, dtype=dtype, ctx=ctx, device=device)


def randn(*size, dtype=None, ctx=None, device=None):
    """Standard normal of shape `size` (NumPy's randn(d0, d1, ...))."""
    return normal(0.0, 1.0, size=size, dtype=dtype, ctx=ctx, device=device)
