"""Thread control for the BLAS libraries numpy and scipy bundle (not part of the public API)."""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Iterator

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    """The process's thread pools, found once (threadpoolctl's search takes ~0.7 ms a call)."""
    import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so that it is held too)
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS on one thread; the thread counts are restored after it.

    The walking fit's dense solves are a few hundred unknowns: on this project's 2-core machine
    OpenBLAS's own threads made a whole walk 3x slower (1.77 s against 0.53 s, lai_uhlrich2023),
    and a study's Dask workers run one core each."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
