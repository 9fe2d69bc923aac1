"""Thelen (2003) curves as OpenSim's Thelen2003Muscle evaluates them, checked against the
paper's equations written out independently here, their defining anchor values, and (where
the OpenSim Python API is installed) OpenSim 4 itself."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsim.muscles import (
    active_force_length,
    force_velocity,
    passive_force_length,
    rigid_tendon_state,
    tendon_force_strain,
)

# gait2392 Thelen parameters (Delp et al. 1990 as distributed with OpenSim).
K_ACT, K_PAS, E0_M, E0_T, AF, FLEN = 0.5, 4.0, 0.6, 0.033, 0.3, 1.8

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "opensim"


def thelen_velocity(f: float, af: float = AF, flen: float = FLEN, a: float = 1.0) -> float:
    """Thelen (2003) eqs. 6-7, forward: normalised fibre velocity for f_V = f (no
    extrapolation), written from the paper: v = (0.25 + 0.75 a)(F - a f_L) / b."""
    afl = a * 1.0
    F = f * afl
    if F <= afl:
        b = afl + F / af
    else:
        b = (2.0 + 2.0 / af) * (afl * flen - F) / (flen - 1.0)
    return (0.25 + 0.75 * a) * (F - afl) / b


def test_active_force_length_anchors():
    assert active_force_length(1.0, K_ACT) == 1.0
    # f_L = exp(-1) one "width" sqrt(gamma) from optimum, on both sides.
    for s in (-1.0, 1.0):
        assert math.isclose(active_force_length(1.0 + s * math.sqrt(K_ACT), K_ACT), math.exp(-1))


def test_passive_force_length_anchors():
    assert passive_force_length(1.0, K_PAS, E0_M) == 0.0
    assert passive_force_length(0.7, K_PAS, E0_M) == 0.0
    # By definition f_PE = 1 at strain FmaxMuscleStrain (Thelen 2003 eq. 3).
    assert math.isclose(passive_force_length(1.0 + E0_M, K_PAS, E0_M), 1.0)


def test_tendon_force_strain_anchors():
    assert tendon_force_strain(0.0, E0_T) == 0.0
    assert tendon_force_strain(-0.01, E0_T) == 0.0
    # f_SE = 1 at FmaxTendonStrain; toe ends at ~0.609 eps0 with force 0.33 (Thelen 2003).
    assert math.isclose(tendon_force_strain(E0_T, E0_T), 1.0, rel_tol=1e-12)
    e3 = math.exp(3.0)
    eps_toe = 99 * E0_T * e3 / (166 * e3 - 67)
    assert math.isclose(eps_toe / E0_T, 0.609, abs_tol=5e-4)
    assert math.isclose(tendon_force_strain(eps_toe, E0_T), 0.33, rel_tol=1e-12)
    lo, hi = tendon_force_strain(eps_toe - 1e-9, E0_T), tendon_force_strain(eps_toe + 1e-9, E0_T)
    assert abs(hi - lo) < 1e-6


def test_force_velocity_anchors():
    assert force_velocity(0.0, AF, FLEN) == 1.0
    assert force_velocity(-1.0, AF, FLEN) == 0.0
    assert force_velocity(-3.0, AF, FLEN) == 0.0
    # Lengthening tends to Flen; the curve is increasing and continuous at the threshold.
    vs = np.linspace(-1.0, 3.0, 4001)
    fv = np.array([force_velocity(v, AF, FLEN) for v in vs])
    assert np.all(np.diff(fv) > 0)
    assert np.max(np.abs(np.diff(fv))) < 0.01


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.001, max_value=0.95 * FLEN - 1e-6))
def test_force_velocity_inverts_thelen_equations(f):
    """f_V(v(f)) = f for Thelen's forward relation, concentric and eccentric."""
    v = thelen_velocity(f)
    assert math.isclose(force_velocity(v, AF, FLEN), f, rel_tol=1e-9, abs_tol=1e-12)


def test_force_velocity_linear_extrapolation_is_tangent():
    """Beyond 0.95 Flen OpenSim continues v(f) along its tangent: check the slope."""
    f0 = 0.95 * FLEN
    v0 = thelen_velocity(f0)
    h = 1e-6
    dv_df = (thelen_velocity(f0) - thelen_velocity(f0 - h)) / h
    for dv in (0.1, 1.0, 5.0):
        expected = f0 + dv / dv_df
        assert math.isclose(force_velocity(v0 + dv, AF, FLEN), expected, rel_tol=1e-5)


def _params(n):
    rng = np.random.default_rng(3)
    return dict(
        max_isometric_forces=rng.uniform(100, 3000, n),
        optimal_fiber_lengths=rng.uniform(0.03, 0.3, n),
        tendon_slack_lengths=rng.uniform(0.02, 0.4, n),
        pennation_angles=rng.uniform(0.0, 0.4, n),
        max_contraction_velocities=np.full(n, 10.0),
        k_shape_active=np.full(n, K_ACT), k_shape_passive=np.full(n, K_PAS),
        fmax_muscle_strain=np.full(n, E0_M), af=np.full(n, AF), flen=np.full(n, FLEN))


def test_rigid_tendon_geometry_and_forces():
    n = 20
    p = _params(n)
    rng = np.random.default_rng(4)
    lmt = p["tendon_slack_lengths"] + p["optimal_fiber_lengths"] * rng.uniform(0.5, 1.6, (5, n))
    vmt = rng.uniform(-0.5, 0.5, (5, n))
    s = rigid_tendon_state(lmt, vmt, **p)
    h = p["optimal_fiber_lengths"] * np.sin(p["pennation_angles"])
    sin_a = np.sqrt(1 - s.cos_pennation ** 2)
    # Constant-height pennation and a rigid tendon (OpenSim MuscleFixedWidthPennationModel).
    np.testing.assert_allclose(s.fiber_length * s.cos_pennation, lmt - p["tendon_slack_lengths"],
                               rtol=1e-12)
    np.testing.assert_allclose(s.fiber_length * sin_a, np.broadcast_to(h, lmt.shape), atol=1e-12)
    # Fibre velocity = d l_f / dt by finite differences along the path velocity.
    dt = 1e-7
    s2 = rigid_tendon_state(lmt + vmt * dt, vmt, **p)
    np.testing.assert_allclose(s.fiber_velocity, (s2.fiber_length - s.fiber_length) / dt,
                               rtol=1e-5, atol=1e-9)
    # Forces along the tendon from the curves, evaluated independently.
    l_n = s.fiber_length / p["optimal_fiber_lengths"]
    fl = np.exp(-(l_n - 1) ** 2 / K_ACT)
    fpe = np.where(l_n > 1, (np.exp(K_PAS * (l_n - 1) / E0_M) - 1) / (np.exp(K_PAS) - 1), 0.0)
    v_n = s.fiber_velocity / (10.0 * p["optimal_fiber_lengths"])
    fv = np.vectorize(lambda v: force_velocity(v, AF, FLEN))(v_n)
    f0 = p["max_isometric_forces"]
    np.testing.assert_allclose(s.active_force_per_activation, f0 * fl * fv * s.cos_pennation,
                               rtol=1e-12)
    np.testing.assert_allclose(s.passive_force, f0 * fpe * s.cos_pennation, rtol=1e-12,
                               atol=1e-9)


def test_slack_path_produces_no_force():
    p = _params(3)
    lmt = p["tendon_slack_lengths"] - 0.01
    s = rigid_tendon_state(lmt[None], np.zeros((1, 3)), **p)
    assert np.all(s.active_force_per_activation == 0) and np.all(s.passive_force == 0)
    assert np.all(np.isfinite(s.fiber_length))


@pytest.mark.opensim
@pytest.mark.skipif(not (REFERENCE / "gait2392_thelen2003muscle.osim").exists(),
                    reason="OpenSim reference model not present")
def test_curves_match_opensim_thelen2003muscle():
    """OpenSim 4 Thelen2003Muscle multipliers at set fibre lengths, same muscle parameters."""
    osim = pytest.importorskip("opensim")
    model = osim.Model(str(REFERENCE / "gait2392_thelen2003muscle.osim"))
    state = model.initSystem()
    names = ["glut_med1_r", "glut_min1_r", "tfl_r", "vas_lat_r", "soleus_r"]
    checked = 0
    for name in names:
        mus = osim.Thelen2003Muscle.safeDownCast(model.getMuscles().get(name))
        k_act, k_pas = mus.get_KshapeActive(), mus.get_KshapePassive()
        e0 = mus.get_FmaxMuscleStrain()
        l_opt = mus.getOptimalFiberLength()
        for ln in (0.6, 0.9, 1.0, 1.15, 1.4):
            mus.setFiberLength(state, ln * l_opt)
            model.realizeVelocity(state)
            fl_os = mus.getActiveForceLengthMultiplier(state)
            fpe_os = mus.getPassiveForceMultiplier(state)
            assert math.isclose(active_force_length(ln, k_act), fl_os, rel_tol=1e-9, abs_tol=1e-12)
            assert math.isclose(passive_force_length(ln, k_pas, e0), fpe_os, rel_tol=1e-9,
                                abs_tol=1e-12)
            checked += 1
    assert checked == 25
