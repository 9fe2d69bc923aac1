"""Static optimisation on frames of the default model (gait2392): quadprog reference, KKT,
two-joint muscles held to both joints, and a model too weak for the task."""
from __future__ import annotations

import numpy as np
import pytest

import hipsim
from hipsim.muscles import rigid_tendon_state
from hipsim.optimize import static_optimization

from test_static_optimization import kkt_violation, quadprog_reference

RIGHT_LEG = ["hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r",
             "ankle_angle_r"]


@pytest.fixture(scope="module")
def model():
    # gait2392: the tests name its muscles and count its free coordinates.
    return hipsim.load_model("gait2392")


def stance_frames(model, n=12):
    """Single-leg-stance-like poses and moments (OpenSim generalized-force sign): hip
    abduction moment 0.95 N·m/kg (negative about hip_adduction_r), some hip extension,
    knee extension and ankle plantarflexion moments, varied over the frames."""
    q = np.tile(model.default_q, (n, 1))
    s = np.linspace(0, 1, n)
    q[:, model.coordinate_index("hip_flexion_r")] = np.deg2rad(20 - 30 * s)
    q[:, model.coordinate_index("hip_adduction_r")] = np.deg2rad(-2 + 8 * s)
    q[:, model.coordinate_index("knee_angle_r")] = np.deg2rad(-15 + 10 * s)
    q[:, model.coordinate_index("ankle_angle_r")] = np.deg2rad(-5 + 12 * s)
    mass = float(getattr(model, "mass", 75.0))
    tau = np.zeros((n, 5))
    tau[:, 0] = mass * (0.4 - 0.8 * s)
    tau[:, 1] = -0.95 * mass * (0.8 + 0.2 * np.sin(np.pi * s))
    tau[:, 2] = mass * 0.1 * np.cos(np.pi * s)
    tau[:, 3] = mass * 0.3 * (1 - s)
    tau[:, 4] = -mass * 1.2 * s
    return q, tau


def reference_problem(model, q, tau, coords):
    """QP data built here from the model's arrays, independently of the API's plumbing."""
    sel = [model.coordinate_index(c) for c in coords]
    arms = np.asarray(model.moment_arms(q))[:, :, sel] * model.crossing[:, sel]
    th = model.thelen
    st = rigid_tendon_state(model.muscle_lengths(q), np.zeros((len(q), model.n_muscles)),
                            model.max_isometric_forces, model.optimal_fiber_lengths,
                            model.tendon_slack_lengths, model.pennation_angles,
                            model.max_contraction_velocities, th.k_shape_active,
                            th.k_shape_passive, th.fmax_muscle_strain, th.af, th.flen)
    part = model.crossing[:, sel].any(axis=1)
    M = arms[:, part, :] * st.active_force_per_activation[:, part, None]
    b = tau - np.einsum("fij,fi->fj", arms, st.passive_force)
    return M, b, part


def test_default_model_frames_match_quadprog_and_kkt(model):
    q, tau = stance_frames(model)
    res = static_optimization(model, q, tau, coordinates=RIGHT_LEG)
    assert np.all(res.status.converged)
    assert res.status.max_residual.max() <= 1e-6
    M, b, part = reference_problem(model, q, tau, RIGHT_LEG)
    assert part.sum() == 43  # gait2392's right-leg muscles crossing hip, knee or ankle
    n = part.sum()
    for f in range(len(q)):
        a_ref, R_ref = quadprog_reference(M[f], b[f], np.ones(n), np.ones(5))
        a = res.activations[f, part]
        np.testing.assert_allclose(a, a_ref, atol=1e-5)
        f_obj = np.sum(a ** 2) + np.sum(res.reserves[f] ** 2)
        f_ref = np.sum(a_ref ** 2) + np.sum(R_ref ** 2)
        assert abs(f_obj - f_ref) <= 1e-6 * f_ref
        kkt, resid = kkt_violation(M[f], b[f], np.ones(n), np.ones(5), 2.0, a, res.reserves[f])
        assert kkt <= 1e-7 and resid <= 1e-6
    # Abductors carry the stance: gluteus medius and minimus are active.
    glut = [model.muscle_index(k) for k in ("glut_med2_r", "glut_min1_r")]
    assert np.all(res.activations[:, glut] > 0.05)


def test_both_legs_two_joint_muscles_held_to_both_joints(model):
    q, tau5 = stance_frames(model, 4)
    tau = np.zeros((4, model.n_coordinates))
    for k, c in enumerate(RIGHT_LEG):
        tau[:, model.coordinate_index(c)] = tau5[:, k]
    tau[:, model.coordinate_index("knee_angle_l")] = -5.0
    res = static_optimization(model, q, tau)  # default: hip, knee, ankle of both legs
    assert len(res.coordinate_names) == 10
    sel = [model.coordinate_index(c) for c in res.coordinate_names]
    arms = np.asarray(model.moment_arms(q))[:, :, sel] * model.crossing[:, sel]
    moments = np.einsum("fij,fi->fj", arms, res.muscle_forces) + res.reserves
    np.testing.assert_allclose(moments, tau[:, sel], atol=1e-6)
    rf = model.muscle_index("rect_fem_r")
    assert res.participating[rf]
    assert model.crossing[rf, model.coordinate_index("hip_flexion_r")]
    assert model.crossing[rf, model.coordinate_index("knee_angle_r")]


def test_weak_gluteus_medius_reserves_carry_exactly_the_deficit(model):
    weak = model.with_strength({"glut_med1_r": 0.05, "glut_med2_r": 0.05,
                                "glut_med3_r": 0.05})
    q, tau = stance_frames(model, 6)
    tau[:, 1] *= 1.3  # beyond the remaining abductors' capacity
    res = static_optimization(weak, q, tau, coordinates=RIGHT_LEG)
    for arr in (res.activations, res.muscle_forces, res.reserves):
        assert np.all(np.isfinite(arr))
    assert res.activations.min() >= 0 and res.activations.max() <= 1
    assert np.all(res.status.converged)
    sel = [weak.coordinate_index(c) for c in RIGHT_LEG]
    arms = np.asarray(weak.moment_arms(q))[:, :, sel] * weak.crossing[:, sel]
    muscle_moment = np.einsum("fij,fi->fj", arms, res.muscle_forces)
    np.testing.assert_allclose(res.reserves, tau - muscle_moment, atol=1e-6)
    # The abduction deficit is real and carried by the reserve (negative like tau).
    assert np.all(res.reserves[:, 1] < 0.0) and res.reserves[:, 1].min() < -5.0
    gmed = [weak.muscle_index(k) for k in ("glut_med1_r", "glut_med2_r", "glut_med3_r")]
    big = res.reserves[:, 1] < -1.0  # where the deficit is large the weak muscles saturate
    assert big.sum() >= 4
    assert np.all(res.activations[np.ix_(big, gmed)] > 0.99)


def test_a_posed_problem_with_scaled_forces_is_the_weakened_models_problem(model):
    """Scaling a posed problem's maximum isometric forces (PosedProblem.with_force_scale, what a
    study's walking path does per sample) solves as the weakened model itself does in
    static_optimization, and stacked problems solve as each one alone."""
    from hipsim.optimize.static import PosedProblem, _select_coordinates, pose_problem, solve_posed
    q, tau = stance_frames(model, 6)
    rng = np.random.default_rng(7)
    scale = rng.uniform(0.3, 1.6, (2, model.n_muscles))
    sel = _select_coordinates(model, RIGHT_LEG)
    posed = pose_problem(model, q, np.zeros_like(q), sel, passive=False)
    stacked = PosedProblem.stack([posed.with_force_scale(s) for s in scale])
    both = solve_posed(stacked, np.vstack([tau, tau]), np.ones(model.n_muscles), np.ones(len(sel)), 2.0)
    for k, s in enumerate(scale):
        weak = model.with_strength({n: float(f) for n, f in zip(model.muscle_names, s, strict=True)})
        want = static_optimization(weak, q, tau, coordinates=RIGHT_LEG, passive=False)
        rows = slice(6 * k, 6 * (k + 1))
        assert want.status.converged.all() and both.status.converged[rows].all()
        np.testing.assert_allclose(both.muscle_forces[rows], want.muscle_forces, rtol=1e-7, atol=1e-6)
        np.testing.assert_allclose(both.activations[rows], want.activations, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(both.reserves[rows], want.reserves, rtol=1e-7, atol=1e-9)
