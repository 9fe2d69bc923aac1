"""Model.body_poses with selected Jacobian columns against the full Jacobians."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hipsim
from hipsim.errors import InputError


@pytest.fixture(scope="module")
def model():
    return hipsim.load_model("default")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 150), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_selected_columns_equal_the_full_jacobians(model, n, seed, data):
    """Any frames (across the kernel's 64-frame chunks) and any columns, in any order, repeated
    or not: the poses and the columns are those of the full call, bit for bit."""
    nc = model.n_coordinates
    cols = data.draw(st.lists(st.integers(0, nc - 1), min_size=1, max_size=nc))
    q = model.default_q + np.random.default_rng(seed).normal(0.0, 0.3, (n, nc))
    R, o, jw, jv = model.body_poses(q)
    Rs, os_, jws, jvs = model.body_poses(q, cols)
    np.testing.assert_array_equal(Rs, R)
    np.testing.assert_array_equal(os_, o)
    np.testing.assert_array_equal(jws, jw[:, :, cols])
    np.testing.assert_array_equal(jvs, jv[:, :, cols])


@pytest.mark.parametrize("cols", [[], [-1], [10_000], [[0, 1]]])
def test_bad_columns_are_refused_in_one_sentence(model, cols):
    with pytest.raises(InputError, match="columns"):
        model.body_poses(None, cols)
