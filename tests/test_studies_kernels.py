"""The small linear solve inside the batched stance's balance kernel."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsim.studies.kernels import _solve_small


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-6, 1e6))
def test_small_solve_equals_lapack_on_well_conditioned_systems(n, seed, scale):
    """Any well-conditioned system of up to five unknowns (the balance has three to five), at any
    scale: the same solution as LAPACK's, to 1e-9 of its size."""
    rng = np.random.default_rng(seed)
    a = scale * (rng.normal(size=(n, n)) + n * np.eye(n))
    b = rng.normal(size=n)
    out = np.empty(n)
    assert _solve_small(a, b, out)
    want = np.linalg.solve(a, b)
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-9 * np.abs(want).max())


def test_small_solve_refuses_a_singular_system():
    out = np.empty(3)
    assert not _solve_small(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]), np.ones(3), out)
    assert not _solve_small(np.zeros((2, 2)), np.ones(2), np.empty(2))
