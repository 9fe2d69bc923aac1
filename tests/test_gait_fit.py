"""The walking fit's normal equations, formed without its Kronecker-structured rows, against the
dense Jacobian they stand for."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import hipsim
from hipsim.motion import gait_fit


@pytest.mark.parametrize("name", ["default", "gait2392"])
def test_normal_equations_equal_the_dense_jacobian(name, monkeypatch):
    """J^T J and J^T r at the fit's final state (both models: a full-body one with locked joints and
    still arms, and gait2392) equal those of the whole Jacobian, to 1e-10 of their largest entry."""
    ng = importlib.import_module("hipsim.motion.normative_gait")
    monkeypatch.setattr(ng, "_CACHE", {})
    monkeypatch.setattr(ng, "_FIT_CACHE", {})
    fits = []
    solve = gait_fit._Fit.solve
    monkeypatch.setattr(gait_fit._Fit, "solve", lambda self, *a, **k: (fits.append(self), solve(self, *a, **k))[1])
    ng.normative_gait(model=hipsim.load_model(name), n_frames=11)
    state, jacobian, normal_equations = fits[0]._final
    j, r = jacobian(state)
    a, g = normal_equations(state)
    assert a.shape == (j.shape[1], j.shape[1]) and j.shape[0] > 3 * j.shape[1]
    np.testing.assert_allclose(a, j.T @ j, rtol=0, atol=1e-10 * np.abs(a).max())
    np.testing.assert_allclose(g, j.T @ r, rtol=0, atol=1e-10 * np.abs(g).max())
