"""Model engine: exact moment arms, anatomy, spline, API shapes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import hipsim
from hipsim.model.functions import FunctionTableBuilder, feval
from hipsim.model.spec import SimmSpline


def _poses(model, n, seed):
    rng = np.random.default_rng(seed)
    lo = np.radians([-20, -30, -35, -100, -25])
    hi = np.radians([70, 25, 35, 0, 25])
    q = np.tile(model.default_q, (n, 1))
    for side in "rl":
        for c, a, b in zip(("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle"), lo, hi):
            q[:, model.coordinate_index(f"{c}_{side}")] = rng.uniform(a, b, n)
    for c in ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "lumbar_extension", "lumbar_bending"):
        q[:, model.coordinate_index(c)] = rng.uniform(-0.3, 0.3, n)
    return q


def test_moment_arms_equal_finite_difference_of_length(gait2392):
    """Every moment arm equals -dL/dq by a central difference of the length (<= 1e-6 m),
    for every muscle and coordinate at 60 random poses. Poses where a conditional path point
    switches within the step are excluded (the length has a kink there)."""
    m = gait2392
    qs = _poses(m, 60, seed=11)
    _, arms = m.lengths_and_moment_arms(qs)
    h = 1e-6
    worst = 0.0
    for k in range(m.n_coordinates):
        qp, qm = qs.copy(), qs.copy()
        qp[:, k] += h
        qm[:, k] -= h
        fd = -(m.muscle_lengths(qp) - m.muscle_lengths(qm)) / (2 * h)
        cm = m.compiled
        cond = cm.pt_kind == 1
        near = np.zeros(qs.shape[0], dtype=bool)
        for ip in np.flatnonzero(cond & (cm.pt_coord[:, 0] == k)):
            for edge in cm.pt_range[ip]:
                near |= np.abs(qs[:, k] - edge) < 2 * h
        worst = max(worst, np.abs(fd[~near] - arms[~near, :, k]).max())
    assert worst <= 1e-6, worst


def test_gluteal_parts_abduct_in_neutral_stance(default_model):
    """Every part of gluteus minimus and gluteus medius abducts the hip in neutral stance: a
    negative moment arm about hip_adduction (OpenSim sign). Anatomy: both muscles run from the
    outer ilium to the greater trochanter, above and lateral to the hip centre (Gray's Anatomy;
    Travell & Simons 1992, Trigger Point Manual vol. 2, ch. 9)."""
    m = default_model
    arms = m.moment_arms(m.default_q)
    for side in "rl":
        c = m.coordinate_index(f"hip_adduction_{side}")
        for part in ("anterior", "middle", "posterior"):
            for mus in ("gluteus_minimus", "gluteus_medius"):
                r = arms[m.muscle_index(f"{mus}_{part}_{side}"), c]
                assert r < -0.01, (mus, part, side, r)


@pytest.mark.parametrize("name", ["gait2392", "rajagopal2016", "lai_uhlrich2023"])
def test_gluteus_minimus_anterior_rotates_internally_posterior_externally(name):
    """Anterior fibres of gluteus minimus rotate the thigh medially (internal rotation, positive
    hip_rotation in these models), posterior fibres laterally (negative) (Travell & Simons 1992, ch. 9;
    Beck et al. 2000, J Bone Joint Surg Br 82:358)."""
    m = hipsim.load_model(name)
    arms = m.moment_arms(m.default_q)
    for side in "rl":
        c = m.coordinate_index(f"hip_rotation_{side}")
        assert arms[m.muscle_index(f"gluteus_minimus_anterior_{side}"), c] > 0.005
        assert arms[m.muscle_index(f"gluteus_minimus_posterior_{side}"), c] < -0.002


def test_anterior_gluteus_minimus_rotation_arm_grows_with_hip_flexion(default_model):
    """The anterior fibres' internal-rotation action is strongest with the hip flexed
    (Travell & Simons 1992; Delp et al. 1999, J Biomech 32:493 for gluteal rotation arms)."""
    m = default_model
    c = m.coordinate_index("hip_rotation_r")
    qs = m.pose({"hip_flexion_r": np.radians([0.0, 60.0])})
    arms = m.moment_arms(qs)[:, m.muscle_index("gluteus_minimus_anterior_r"), c]
    assert arms[1] > arms[0] > 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.05, 2.0), min_size=4, max_size=12), st.tuples(*[st.floats(-3, 3)] * 4),
       st.floats(0.0, 1.0))
def test_simm_spline_reproduces_cubics_exactly(steps, coef, where):
    """The Forsythe-Malcolm-Moler end conditions match the third derivative of the cubic through
    the four end knots, so data from any cubic polynomial is reproduced exactly (FMM 1977, sec. 4.4)."""
    x = np.cumsum(steps)
    p = np.polynomial.Polynomial(coef)
    fb = FunctionTableBuilder()
    fb.add(SimmSpline(tuple(x), tuple(p(x))))
    t = fb.build()
    xv = x[0] + where * (x[-1] - x[0])
    v, d, _ = feval(0, xv, *t)
    scale = 1 + abs(p(xv)) + np.abs(p.coef).sum() * (1 + abs(xv)) ** 3
    assert abs(v - p(xv)) <= 1e-9 * scale
    assert abs(d - p.deriv()(xv)) <= 1e-7 * scale


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 2.0), st.floats(-5, 5)), min_size=2, max_size=10))
def test_simm_spline_interpolates_knots_and_extrapolates_linearly(pts):
    x = np.cumsum([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    fb = FunctionTableBuilder()
    fb.add(SimmSpline(tuple(x), tuple(y)))
    t = fb.build()
    for xi, yi in zip(x, y):
        assert feval(0, xi, *t)[0] == pytest.approx(yi, abs=1e-9)
    v0, d0, _ = feval(0, x[0], *t)
    v, d, _ = feval(0, x[0] - 1.0, *t)
    assert d == d0 and v == pytest.approx(v0 - d0, abs=1e-9)


def test_api_shapes_and_names(gait2392):
    m = gait2392
    assert m.n_muscles == 92 and m.n_coordinates == 23
    assert m.muscle_index("glut_min1_r") == m.muscle_index("gluteus_minimus_anterior_r")
    assert m.muscle_index("tfl_l") == m.muscle_index("tensor_fasciae_latae_l")
    assert m.muscle_lengths(m.default_q).shape == (92,)
    assert m.moment_arms(np.tile(m.default_q, (3, 1))).shape == (3, 92, 23)
    named = m.moment_arms({"hip_flexion_r": 0.3})
    explicit = m.default_q.copy()
    explicit[m.coordinate_index("hip_flexion_r")] = 0.3
    np.testing.assert_array_equal(named, m.moment_arms(explicit))
    assert m.moment_arms({"hip_flexion_r": [0.1, 0.2]}).shape == (2, 92, 23)
    for arr in (m.max_isometric_forces, m.optimal_fiber_lengths, m.tendon_slack_lengths, m.pennation_angles):
        assert arr.shape == (92,) and np.all(arr >= 0)
    assert m.max_isometric_forces[m.muscle_index("glut_min1_r")] == 270.0  # Delp et al. 1990 via gait2392
    assert m.mass == pytest.approx(75.16, abs=0.01)  # gait2392 generic subject


def test_lengthening_velocity_is_length_derivative_along_a_motion(gait2392):
    """dL/dt along q(t) equals -(moment arms).qdot (chain rule), checked by differencing L(q(t))."""
    m = gait2392
    q0 = _poses(m, 1, seed=5)[0]
    qd = np.random.default_rng(6).normal(size=m.n_coordinates) * 0.5
    h = 1e-6
    fd = (m.muscle_lengths(q0 + h * qd) - m.muscle_lengths(q0 - h * qd)) / (2 * h)
    np.testing.assert_allclose(m.lengthening_velocities(q0, qd), fd, atol=1e-7)


def test_with_strength_scales_named_muscles_only(gait2392):
    weak = gait2392.with_strength({"gluteus_medius_middle_r": 0.5, "glut_med1_r": 0.05})
    f0 = gait2392.max_isometric_forces
    f1 = weak.max_isometric_forces
    i, j = gait2392.muscle_index("glut_med2_r"), gait2392.muscle_index("glut_med1_r")
    assert f1[i] == 0.5 * f0[i] and f1[j] == pytest.approx(0.05 * f0[j])
    mask = np.ones(92, bool)
    mask[[i, j]] = False
    np.testing.assert_array_equal(f1[mask], f0[mask])


@pytest.mark.parametrize("bad, fragment", [
    ({"hip_flexion_x": 0.1}, "hip_flexion_x"),
    ({"hip_flexion_r": float("nan")}, "hip_flexion_r"),
])
def test_bad_pose_names_the_coordinate(default_model, bad, fragment):
    with pytest.raises(hipsim.InputError, match=fragment):
        default_model.moment_arms(bad)


def test_bad_pose_shape(default_model):
    with pytest.raises(hipsim.InputError, match="coordinate_names order"):
        default_model.moment_arms(np.zeros(5))


def test_unknown_muscle_is_a_clear_error(default_model):
    with pytest.raises(hipsim.InputError, match="glut_mini_r"):
        default_model.muscle_index("glut_mini_r")


@pytest.mark.parametrize("call, key", [
    (lambda m: m.subtree("thigh_r"), "body"),
    (lambda m: m.body_index("thigh_r"), "body"),
    (lambda m: hipsim.load_model(3), "model"),
    (lambda m: m.lengthening_velocities(np.zeros((2, m.n_coordinates)), np.zeros((3, m.n_coordinates))), "qdot"),
    (lambda m: hipsim.PointMass("pelvis", (0.0, 0.1), 3.0), "location"),
    (lambda m: hipsim.PointMass("pelvis", (0.0, 0.1, 0.0), -3.0), "mass_kg"),
])
def test_wrong_names_and_shapes_are_named(default_model, call, key):
    """A user's wrong body name, model argument, speed shape or point mass is named in one sentence
    (hipsim.InputError), not a ValueError or TypeError from inside numpy."""
    with pytest.raises(hipsim.InputError, match=key):
        call(default_model)
