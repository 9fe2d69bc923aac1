"""Coupled coordinates, universal joints, polynomial functions and the wrap / Millard records of the
model description, checked without OpenSim: exact derivatives against finite differences and
closed forms, and the refusals (one sentence each). The OpenSim cross-checks on the Rajagopal
models are in test_model_opensim.py."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hipsim
from hipsim.model.compiled import axis_angle, euler_xyz_body_fixed
from hipsim.model.functions import FunctionTableBuilder, feval
from hipsim.model.hipfile import read_model, write_model
from hipsim.model.model import Model
from hipsim.model.osim import read_osim
from hipsim.model.spec import (Body, Constant, CoordinateCoupler, Coordinate, Frame, Joint, Linear,
                               MillardProperties, ModelSpec, Multiplier, Muscle, PathPoint, PathWrap, Polynomial,
                               SimmSpline, TransformAxis, WrapCylinder)

finite = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def _table(*functions):
    fb = FunctionTableBuilder()
    rows = [fb.add(f) for f in functions]
    return rows, fb.build()


# --------------------------------------------------------------------------- PolynomialFunction

@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=7), finite, st.floats(-2.0, 2.0, allow_nan=False))
def test_polynomial_value_and_derivatives_are_exact(coefs, x, scale):
    """Highest order first, as OpenSim's PolynomialFunction; a Multiplier scales it."""
    (i, j), t = _table(Polynomial(tuple(coefs)), Multiplier(scale, Polynomial(tuple(coefs))))
    p = np.poly1d(coefs)
    v, d, dd = feval(i, x, *t)
    scale_tol = 1e-12 * (1.0 + sum(abs(c) for c in coefs) * 3.0 ** len(coefs))
    assert v == pytest.approx(p(x), abs=scale_tol)
    assert d == pytest.approx(p.deriv(1)(x), abs=scale_tol * len(coefs))
    assert dd == pytest.approx(p.deriv(2)(x) if len(coefs) > 2 else 0.0, abs=scale_tol * len(coefs) ** 2)
    vs, ds, dds = feval(j, x, *t)
    assert (vs, ds, dds) == pytest.approx((scale * v, scale * d, scale * dd), abs=scale_tol * len(coefs) ** 2)


def test_polynomial_matches_finite_differences_of_itself():
    (i,), t = _table(Polynomial((0.010832, -0.025218, -0.032848, 0.0791, -1.47e-08)))  # Lai-Uhlrich knee
    for x in np.linspace(-0.2, 2.5, 12):
        h = 1e-5
        v, d, dd = feval(i, x, *t)
        vp, dp, _ = feval(i, x + h, *t)
        vm, dm, _ = feval(i, x - h, *t)
        assert d == pytest.approx((vp - vm) / (2 * h), abs=1e-9)
        assert dd == pytest.approx((dp - dm) / (2 * h), abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=5), st.lists(finite, min_size=1, max_size=4), finite,
       st.floats(-2.0, 2.0, allow_nan=False))
def test_composed_function_follows_the_chain_rule(outer, inner, x, scale):
    """outer(scale * inner(x)): what a joint axis driven by a coupled coordinate evaluates."""
    fb = FunctionTableBuilder()
    row = fb.add_composed(Polynomial(tuple(outer)), Polynomial(tuple(inner)), scale)
    t = fb.build()
    po, pi = np.poly1d(outer), np.poly1d(inner)
    u, du, ddu = scale * pi(x), scale * pi.deriv(1)(x), scale * (pi.deriv(2)(x) if len(inner) > 2 else 0.0)
    want = (po(u), po.deriv(1)(u) * du,
            (po.deriv(2)(u) if len(outer) > 2 else 0.0) * du * du + po.deriv(1)(u) * ddu)
    got = feval(row, x, *t)
    big = 1.0 + max(abs(w) for w in want)
    assert got == pytest.approx(want, abs=1e-9 * big, rel=1e-9)


def test_composed_spline_of_linear_is_exact():
    spline = SimmSpline((0.0, 0.5, 1.0, 1.5, 2.1), (0.05, 0.04, 0.02, -0.01, -0.02))
    fb = FunctionTableBuilder()
    plain = fb.add(spline)
    comp = fb.add_composed(spline, Linear(1.0, 0.0))
    half = fb.add_composed(spline, Linear(2.0, 0.1), 0.5)   # 0.5 * (2 x + 0.1) = x + 0.05
    t = fb.build()
    for x in np.linspace(-0.3, 2.4, 19):
        assert feval(comp, x, *t) == pytest.approx(feval(plain, x, *t), abs=1e-15)
        assert feval(half, x, *t) == pytest.approx(feval(plain, x + 0.05, *t), abs=1e-15)


# --------------------------------------------------------------------------- small models

def _coord(name, lo=-3.0, hi=3.0, default=0.0):
    return Coordinate(name, default, (lo, hi))


def _body(name):
    return Body(name, 1.0, (0.0, -0.1, 0.0), (0.01, 0.01, 0.01, 0.0, 0.0, 0.0))


PATELLA_AXES = (
    TransformAxis((0.0, 0.0, 1.0), SimmSpline((0.0, 0.5, 1.0, 1.5, 2.1), (0.0, -0.3, -0.7, -1.1, -1.6)), "beta"),
    TransformAxis((0.0, 1.0, 0.0), Constant(0.0)),
    TransformAxis((1.0, 0.0, 0.0), Polynomial((0.01, -0.03, 0.02)), "beta"),
    TransformAxis((1.0, 0.0, 0.0), Polynomial((0.002, -0.01, 0.05)), "beta"),
    TransformAxis((0.0, 1.0, 0.0), SimmSpline((0.0, 0.7, 1.4, 2.1), (-0.01, -0.03, -0.04, -0.03)), "beta"),
    TransformAxis((0.0, 0.0, 1.0), Constant(0.003)),
)


PF_FUNCTION = Polynomial((0.05, 0.8, 0.02))


def knee_spec(coupled: bool = True, scale: float = 0.9, function=PF_FUNCTION, muscles: bool = True) -> ModelSpec:
    """ground -(pin hip)- thigh -(universal knee: flexion, varus)- shank; thigh -(custom)- patella
    driven by 'beta', coupled to knee flexion when ``coupled``; muscles over the knee to the patella."""
    joints = (
        Joint("hip", "pin", "ground", "thigh", Frame((0.0, 0.9, 0.0), (0.1, 0.0, 0.2)), Frame(), (_coord("hip"),)),
        Joint("knee", "universal", "thigh", "shank", Frame((0.01, -0.4, 0.0), (0.0, 0.3, -0.1)),
              Frame((0.0, 0.02, 0.0), (0.05, 0.0, 0.0)), (_coord("flex"), _coord("varus"))),
        Joint("pf", "custom", "thigh", "patella", Frame((-0.008, -0.41, -0.003), (0.0, 0.0, 0.0)), Frame(),
              (_coord("beta", -99999.9, 99999.9),), PATELLA_AXES),
    )
    ms = ()
    if muscles:
        ms = (Muscle("quad", "quad", "Thelen2003Muscle", 1000.0, 0.1, 0.2, 0.0, 10.0,
                     (PathPoint("ground", (0.03, 0.8, 0.02)), PathPoint("thigh", (0.04, -0.2, 0.0)),
                      PathPoint("patella", (0.01, 0.03, 0.0)))),
              Muscle("ham", "ham", "Thelen2003Muscle", 1000.0, 0.1, 0.2, 0.0, 10.0,
                     (PathPoint("ground", (-0.05, 0.85, 0.0)), PathPoint("shank", (-0.03, -0.05, 0.01)))))
    couplers = (CoordinateCoupler("pf_con", "beta", "flex", function, scale),) if coupled else ()
    return ModelSpec("knee", tuple(_body(b) for b in ("thigh", "shank", "patella")), joints, ms,
                     couplers=couplers)


def test_coupled_coordinate_is_not_a_degree_of_freedom():
    m = Model(knee_spec())
    assert m.coordinate_names == ("hip", "flex", "varus")
    assert Model(knee_spec(coupled=False)).coordinate_names == ("hip", "flex", "varus", "beta")
    with pytest.raises(hipsim.InputError, match="beta"):
        m.pose({"beta": 0.3})


def test_coupled_poses_equal_the_uncoupled_model_at_the_coupled_value():
    coupled, free = Model(knee_spec()), Model(knee_spec(coupled=False))
    rng = np.random.default_rng(5)
    q = rng.uniform(-0.5, 2.0, (40, 3))
    beta = 0.9 * np.polyval((0.05, 0.8, 0.02), q[:, 1])
    Rc, oc, _, _ = coupled.body_poses(q)
    Rf, of, _, _ = free.body_poses(np.column_stack([q, beta]))
    assert np.abs(Rc - Rf).max() < 1e-14 and np.abs(oc - of).max() < 1e-14
    assert np.abs(coupled.muscle_lengths(q) - free.muscle_lengths(np.column_stack([q, beta]))).max() < 1e-14


@settings(max_examples=25, deadline=None)
@given(st.floats(-0.3, 2.0), st.floats(-0.5, 0.5), st.floats(-0.4, 0.4), st.floats(-1.5, 1.5))
def test_coupled_moment_arms_follow_the_chain_rule(flex, hip, varus, scale):
    """r_flex(coupled) = r_flex + scale f'(flex) r_beta of the uncoupled model (OpenSim's coupling
    vector), and equals -dL/dflex by central differences."""
    fn = Polynomial((0.05, 0.8, 0.02))
    coupled, free = Model(knee_spec(scale=scale, function=fn)), Model(knee_spec(coupled=False))
    q = np.array([hip, flex, varus])
    beta = scale * np.polyval(fn.coefficients, flex)
    dbeta = scale * np.polyval(np.polyder(fn.coefficients), flex)
    arms = coupled.moment_arms(q)
    arms_free = free.moment_arms(np.append(q, beta))
    assert arms[:, 1] == pytest.approx(arms_free[:, 1] + dbeta * arms_free[:, 3], abs=1e-14)
    assert arms[:, [0, 2]] == pytest.approx(arms_free[:, [0, 2]], abs=1e-14)
    h = 1e-6
    lp = coupled.muscle_lengths(q + [0.0, h, 0.0])
    lm = coupled.muscle_lengths(q - [0.0, h, 0.0])
    assert arms[:, 1] == pytest.approx(-(lp - lm) / (2 * h), abs=1e-8)
    if abs(scale) > 0.05:  # the patella muscle's arm about knee flexion comes through the coupler only
        assert abs(arms[0, 1]) > 1e-4


def test_coupled_jacobians_match_finite_differences():
    m = Model(knee_spec())
    q = np.array([0.2, 1.1, 0.1])
    R, o, jw, jv = m.body_poses(q)
    p = m.body_names.index("patella")
    h = 1e-6
    Rp, op, _, _ = m.body_poses(q + [0.0, h, 0.0])
    Rm, om_, _, _ = m.body_poses(q - [0.0, h, 0.0])
    assert jv[0, p, 1] == pytest.approx((op[0, p] - om_[0, p]) / (2 * h), abs=1e-8)
    dR = (Rp[0, p] - Rm[0, p]) / (2 * h)
    w = dR @ R[0, p].T  # skew matrix of the angular velocity
    assert jw[0, p, 1] == pytest.approx([w[2, 1], w[0, 2], w[1, 0]], abs=1e-8)


def test_coupled_accelerations_include_the_coupler_curvature():
    """The kernels' angular acceleration of the patella, with the chain rule's second derivative,
    matches finite differences of its angular velocity along a motion."""
    from hipsim.model import kernels
    m = Model(knee_spec())
    cm, f = m.compiled, m.compiled.fn
    nb, nc = len(m.body_names), m.n_coordinates

    def motion(q, qd, qdd):
        R, o = np.empty((nb, 3, 3)), np.empty((nb, 3))
        w, al, acc = np.zeros((nb, 3)), np.zeros((nb, 3)), np.zeros((nb, 3))
        kernels.body_kinematics(q, True, cm.body_parent, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir, cm.ax_fn,
                                cm.ax_coord, cm.anc_start, cm.anc_coord, f.kind, f.a, f.b, f.offset, f.count, f.kx,
                                f.ky, f.kb, f.kc, f.kd, R, o, np.zeros((nb, nc, 3)), np.zeros((nb, nc, 3)),
                                np.empty((5, 3, 3)), np.zeros((3, 6, 3)), True, qd, qdd, w, al, acc)
        return w, al, acc, o

    q0, qd, qdd = np.array([0.1, 0.9, 0.05]), np.array([0.3, 2.0, -0.4]), np.array([0.5, -1.0, 0.2])
    h = 1e-6
    w0, al0, acc0, _ = motion(q0, qd, qdd)
    wp, _, _, _ = motion(q0 + h * qd + 0.5 * h * h * qdd, qd + h * qdd, qdd)
    wm, _, _, _ = motion(q0 - h * qd + 0.5 * h * h * qdd, qd - h * qdd, qdd)
    p = m.body_names.index("patella")
    assert al0[p] == pytest.approx((wp[p] - wm[p]) / (2 * h), abs=1e-6)


def test_static_generalised_forces_of_a_coupled_model_are_the_gravity_gradient():
    """Inverse dynamics (static) gives dV/dq of the potential energy, the patella's weight acting on
    knee flexion through the coupler (also guards against stale compiled kernels)."""
    from hipsim.dynamics.inverse import inverse_dynamics
    m = Model(knee_spec(muscles=False))
    cm = m.compiled

    def potential(q):
        R, o, _, _ = m.body_poses(q)
        com = o[0] + np.einsum("bij,bj->bi", R[0], cm.body_com)
        return -float((cm.body_mass * (com @ cm.gravity)).sum())

    q = np.array([0.3, 1.2, -0.2])
    tau = inverse_dynamics(m, q[None])[0]
    h = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        assert tau[k] == pytest.approx((potential(q + e) - potential(q - e)) / (2 * h), abs=1e-6)


# --------------------------------------------------------------------------- UniversalJoint

@settings(max_examples=30, deadline=None)
@given(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_universal_joint_rotates_about_x_then_the_new_y(flex, varus):
    """OpenSim's UniversalJoint (Simbody MobilizedBody::Universal): R_FM = Rx(q1) Ry(q2), so the
    child's ground rotation is R_parent R_PF Rx Ry R_BM^T, and its origin sits at the joint centre."""
    m = Model(knee_spec(muscles=False))
    q = np.array([0.3, flex, varus])
    R, o, jw, _ = m.body_poses(q)
    t, s = m.body_names.index("thigh"), m.body_names.index("shank")
    spec = knee_spec(muscles=False)
    knee = spec.joints[1]
    r_pf = euler_xyz_body_fixed(knee.parent_frame.orientation)
    r_bm = euler_xyz_body_fixed(knee.child_frame.orientation)
    want = R[0, t] @ r_pf @ axis_angle(np.array([1.0, 0, 0]), flex) @ axis_angle(np.array([0, 1.0, 0]), varus) @ r_bm.T
    assert R[0, s] == pytest.approx(want, abs=1e-14)
    centre = o[0, t] + R[0, t] @ np.array(knee.parent_frame.translation)
    assert o[0, s] + R[0, s] @ np.array(knee.child_frame.translation) == pytest.approx(centre, abs=1e-14)
    # The first coordinate turns about the parent offset frame's x axis, the second about the turned y.
    gx = R[0, t] @ r_pf @ np.array([1.0, 0, 0])
    gy = R[0, t] @ r_pf @ axis_angle(np.array([1.0, 0, 0]), flex) @ np.array([0, 1.0, 0])
    assert jw[0, s, 1] - jw[0, t, 1] == pytest.approx(gx, abs=1e-14)
    assert jw[0, s, 2] == pytest.approx(gy, abs=1e-14)


def test_universal_joint_needs_two_coordinates():
    spec = knee_spec(muscles=False)
    knee = dataclasses.replace(spec.joints[1], coordinates=(_coord("flex"),))
    with pytest.raises(hipsim.InputError, match="universal joint has exactly two coordinates"):
        dataclasses.replace(spec, joints=(spec.joints[0], knee, spec.joints[2]))


# --------------------------------------------------------------------------- refusals

def test_chained_couplers_are_refused():
    spec = knee_spec()
    extra = CoordinateCoupler("chain", "varus", "beta", Linear(1.0, 0.0))
    with pytest.raises(hipsim.InputError, match="couplers cannot chain") as err:
        dataclasses.replace(spec, couplers=spec.couplers + (extra,))
    assert "\n" not in str(err.value)


def test_a_coordinate_coupled_twice_or_to_itself_is_refused():
    spec = knee_spec()
    with pytest.raises(hipsim.InputError, match="already coupled"):
        dataclasses.replace(spec, couplers=spec.couplers + (CoordinateCoupler("again", "beta", "hip",
                                                                              Linear(1.0, 0.0)),))
    with pytest.raises(hipsim.InputError, match="coupled to itself"):
        dataclasses.replace(spec, couplers=(CoordinateCoupler("self", "beta", "beta", Linear(1.0, 0.0)),))
    with pytest.raises(hipsim.InputError, match="one coordinate of the model"):
        dataclasses.replace(spec, couplers=(CoordinateCoupler("x", "beta", "nope", Linear(1.0, 0.0)),))


def test_conditional_point_on_a_coupled_coordinate_is_refused():
    from hipsim.model.spec import ConditionalPathPoint
    spec = knee_spec()
    m = spec.muscles[0]
    path = (m.path[0], ConditionalPathPoint("thigh", (0.0, -0.3, 0.0), "beta", (0.0, 1.0)), m.path[2])
    with pytest.raises(hipsim.InputError, match="cannot depend on a coupled"):
        dataclasses.replace(spec, muscles=(dataclasses.replace(m, path=path), spec.muscles[1]))


def _wrapped_spec(active: bool = True) -> ModelSpec:
    spec = knee_spec()
    cyl = WrapCylinder("condyles", "thigh", (0.0, -0.4, 0.0), (0.0, 0.0, 0.0), 0.03, 0.1, "-x", active)
    quad = dataclasses.replace(spec.muscles[0], wraps=(PathWrap("condyles", "hybrid", (-1, -1)),))
    return dataclasses.replace(spec, wrap_objects=(cyl,), muscles=(quad, spec.muscles[1]))


def test_a_wrapped_muscle_is_never_shorter_than_its_straight_path_and_an_inactive_wrap_changes_nothing():
    """A path over a cylinder is the straight path where the line misses it and longer where it
    wraps; a wrap over an inactive object leaves the path straight, as OpenSim computes it. Dropping
    the wrapped muscles (for kinematics-only uses) names them in the notes."""
    wrapped, straight = Model(_wrapped_spec()), Model(_wrapped_spec(active=False))
    q = np.tile(wrapped.default_q, (41, 1))
    q[:, wrapped.coordinate_index("flex")] = np.linspace(-1.2, 1.2, 41)
    lw, ls = wrapped.muscle_lengths(q), straight.muscle_lengths(q)
    assert np.all(lw[:, 0] >= ls[:, 0] - 1e-15)
    assert np.any(lw[:, 0] > ls[:, 0] + 1e-4)  # it does wrap over part of the range
    assert np.allclose(lw[:, 1], ls[:, 1], atol=0)  # the muscle without a wrap is untouched
    status = wrapped.wrap_status(q)
    assert set(np.unique(status[:, 0, 0])) <= {0, 1, 2, 3} and (status[:, 1, 0] == -1).all()
    kept = _wrapped_spec().without_wrapped_muscles()
    assert [m.alias for m in Model(kept).spec.muscles] == ["ham"]
    assert "quad" in kept.notes[-1]


def test_wrap_records_are_validated():
    spec = _wrapped_spec()
    with pytest.raises(hipsim.InputError, match="wrap object of the model"):
        dataclasses.replace(spec, muscles=(dataclasses.replace(spec.muscles[0], wraps=(PathWrap("nope"),)),
                                           spec.muscles[1]))
    with pytest.raises(hipsim.InputError, match="radius"):
        dataclasses.replace(spec, wrap_objects=(dataclasses.replace(spec.wrap_objects[0], radius=0.0),))
    with pytest.raises(hipsim.InputError, match="quadrant"):
        dataclasses.replace(spec, wrap_objects=(dataclasses.replace(spec.wrap_objects[0], quadrant="x+"),))
    with pytest.raises(hipsim.InputError, match="wrap range"):
        dataclasses.replace(spec, muscles=(dataclasses.replace(spec.muscles[0],
                                                               wraps=(PathWrap("condyles", "hybrid", (3, 2)),)),
                                           spec.muscles[1]))
    with pytest.raises(hipsim.InputError, match="method"):
        dataclasses.replace(spec, muscles=(dataclasses.replace(spec.muscles[0],
                                                               wraps=(PathWrap("condyles", "spiral"),)),
                                           spec.muscles[1]))


def test_new_records_round_trip_through_the_toml_format(tmp_path):
    spec = _wrapped_spec()
    millard = MillardProperties(active_force_length=(("min_norm_active_fiber_length", 0.47),),
                                muscle=(("ignore_tendon_compliance", True), ("fiber_damping", 0.1)))
    spec = dataclasses.replace(spec, muscles=(dataclasses.replace(spec.muscles[0], kind="Millard2012EquilibriumMuscle",
                                                                  millard=millard), spec.muscles[1]))
    write_model(spec, tmp_path / "a.toml")
    back = read_model(tmp_path / "a.toml")
    assert back == spec
    write_model(back, tmp_path / "b.toml")
    assert (tmp_path / "a.toml").read_bytes() == (tmp_path / "b.toml").read_bytes()
    assert back.muscles[0].millard.as_dict()["muscle"]["ignore_tendon_compliance"] is True


# --------------------------------------------------------------------------- the .osim reader

def _osim(constraint: str = "", joint_extra: str = "", forces: str = "", wraps: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="40000">
<Model name="tiny">
<gravity>0 -9.80665 0</gravity>
<BodySet><objects>
<Body name="thigh"><mass>5</mass><mass_center>0 -0.2 0</mass_center><inertia>0.1 0.01 0.1 0 0 0</inertia>
<WrapObjectSet><objects>{wraps}</objects></WrapObjectSet></Body>
<Body name="hand"><mass>0.5</mass><mass_center>0 -0.05 0</mass_center>
<inertia>0.001 0.001 0.001 0 0 0</inertia></Body>
<Body name="patella"><mass>0.1</mass><mass_center>0 0 0</mass_center>
<inertia>0.0001 0.0001 0.0001 0 0 0</inertia></Body>
</objects></BodySet>
<JointSet><objects>
<PinJoint name="hip"><socket_parent_frame>/ground</socket_parent_frame><socket_child_frame>thigh</socket_child_frame>
<coordinates><Coordinate name="knee"><default_value>0</default_value><range>0 2</range>
</Coordinate>{joint_extra}</coordinates>
</PinJoint>
<UniversalJoint name="wrist"><socket_parent_frame>thigh_offset</socket_parent_frame>
<socket_child_frame>hand</socket_child_frame>
<coordinates><Coordinate name="wflex"><range>-1 1</range></Coordinate><Coordinate name="wdev">
<range>-1 1</range></Coordinate></coordinates>
<frames><PhysicalOffsetFrame name="thigh_offset"><socket_parent>/bodyset/thigh</socket_parent>
<translation>0 -0.4 0</translation><orientation>0.1 0 0</orientation></PhysicalOffsetFrame></frames>
</UniversalJoint>
<CustomJoint name="pf"><socket_parent_frame>/bodyset/thigh</socket_parent_frame>
<socket_child_frame>patella</socket_child_frame>
<coordinates><Coordinate name="beta"><range>-99999 99999</range></Coordinate></coordinates>
<SpatialTransform>
<TransformAxis name="rotation1"><coordinates>beta</coordinates><axis>0 0 1</axis>
<PolynomialFunction name="function"><coefficients>0.01 -0.5 0</coefficients></PolynomialFunction></TransformAxis>
<TransformAxis name="rotation2"><coordinates></coordinates><axis>0 1 0</axis><Constant><value>0</value>
</Constant></TransformAxis>
<TransformAxis name="rotation3"><coordinates></coordinates><axis>1 0 0</axis><Constant><value>0</value>
</Constant></TransformAxis>
<TransformAxis name="translation1"><coordinates>beta</coordinates><axis>1 0 0</axis>
<PolynomialFunction name="function"><coefficients>0.001 0.05</coefficients></PolynomialFunction></TransformAxis>
<TransformAxis name="translation2"><coordinates></coordinates><axis>0 1 0</axis><Constant><value>-0.4</value>
</Constant></TransformAxis>
<TransformAxis name="translation3"><coordinates></coordinates><axis>0 0 1</axis><Constant><value>0</value>
</Constant></TransformAxis>
</SpatialTransform></CustomJoint>
</objects></JointSet>
<ConstraintSet><objects>{constraint}</objects></ConstraintSet>
<ForceSet><objects>{forces}</objects></ForceSet>
</Model></OpenSimDocument>
"""


COUPLER = """<CoordinateCouplerConstraint name="pf_con"><isEnforced>true</isEnforced>
<coupled_coordinates_function><LinearFunction><coefficients>1 0</coefficients></LinearFunction>
</coupled_coordinates_function>
<independent_coordinate_names>{ind}</independent_coordinate_names>
<dependent_coordinate_name>beta</dependent_coordinate_name><scale_factor>{scale}</scale_factor>
</CoordinateCouplerConstraint>"""

MILLARD = """<Millard2012EquilibriumMuscle name="vas">
<GeometryPath><PathPointSet><objects>
<PathPoint name="p1"><socket_parent_frame>/bodyset/thigh</socket_parent_frame>
<location>0.03 -0.1 0</location></PathPoint>
<PathPoint name="p2"><socket_parent_frame>/bodyset/patella</socket_parent_frame>
<location>0.01 0.02 0</location></PathPoint>
</objects></PathPointSet>
<PathWrapSet><objects>{wrap}</objects></PathWrapSet></GeometryPath>
<max_isometric_force>1000</max_isometric_force><optimal_fiber_length>0.1</optimal_fiber_length>
<tendon_slack_length>0.15</tendon_slack_length><pennation_angle_at_optimal>0.05</pennation_angle_at_optimal>
<ignore_tendon_compliance>true</ignore_tendon_compliance><fiber_damping>0.1</fiber_damping>
<max_control>Inf</max_control>
<ActiveForceLengthCurve name="c"><min_norm_active_fiber_length>0.47</min_norm_active_fiber_length>
</ActiveForceLengthCurve>
<TendonForceLengthCurve name="t"></TendonForceLengthCurve>
</Millard2012EquilibriumMuscle>
<CoordinateActuator name="knee_reserve"><coordinate>knee</coordinate><optimal_force>1</optimal_force>
</CoordinateActuator>"""

CYLINDER = """<WrapCylinder name="cyl"><active>true</active><xyz_body_rotation>0 1.5708 0</xyz_body_rotation>
<translation>0 -0.38 0</translation><quadrant>y</quadrant><radius>0.025</radius><length>0.1</length></WrapCylinder>"""


def _write(tmp_path, text):
    path = tmp_path / "tiny.osim"
    path.write_text(text)
    return path


def test_osim_reader_reads_couplers_universal_joints_polynomials_millard_and_wraps(tmp_path):
    path = _write(tmp_path, _osim(COUPLER.format(ind="knee", scale="0.5"),
                                  forces=MILLARD.format(wrap="<PathWrap name='w'><wrap_object>cyl</wrap_object>"
                                                        "<method>hybrid</method><range>-1 -1</range></PathWrap>"),
                                  wraps=CYLINDER))
    spec = read_osim(path)
    assert spec.couplers == (CoordinateCoupler("pf_con", "beta", "knee", Linear(1.0, 0.0), 0.5),)
    assert spec.joints[1].kind == "universal" and [c.name for c in spec.joints[1].coordinates] == ["wflex", "wdev"]
    assert spec.joints[2].transform[0].function == Polynomial((0.01, -0.5, 0.0))
    assert spec.wrap_objects == (WrapCylinder("cyl", "thigh", (0.0, -0.38, 0.0), (0.0, 1.5708, 0.0), 0.025, 0.1,
                                              "+y", True),)
    vas = spec.muscles[0]
    assert vas.kind == "Millard2012EquilibriumMuscle" and vas.wraps == (PathWrap("cyl", "hybrid", (-1, -1)),)
    assert (vas.max_isometric_force, vas.optimal_fiber_length, vas.tendon_slack_length, vas.pennation_angle,
            vas.max_contraction_velocity) == (1000.0, 0.1, 0.15, 0.05, 10.0)
    assert vas.millard.as_dict() == {"active_force_length": {"min_norm_active_fiber_length": 0.47},
                                     "force_velocity": {}, "fiber_force_length": {}, "tendon_force_length": {},
                                     "muscle": {"ignore_tendon_compliance": True, "fiber_damping": 0.1}}
    assert any("CoordinateActuator" in n for n in spec.notes)
    assert hipsim.load_model(path).n_muscles == 1  # the wrapped muscle compiles (hipsim.model.wrapping)
    m = Model(read_osim(path, drop_wrapped_muscles=True))
    assert m.n_muscles == 0 and m.coordinate_names == ("knee", "wflex", "wdev")
    assert any("vas" in n for n in m.spec.notes)


def test_osim_coupled_knee_drives_the_patella(tmp_path):
    path = _write(tmp_path, _osim(COUPLER.format(ind="knee", scale="0.5"), forces=MILLARD.format(wrap="")))
    m = hipsim.load_model(path)
    free = hipsim.load_model(_write(tmp_path, _osim(forces=MILLARD.format(wrap=""))))
    q = np.array([0.8, 0.0, 0.0])
    arms = m.moment_arms(q)
    arms_free = free.moment_arms(np.append(q, 0.4))
    k, b = free.coordinate_index("knee"), free.coordinate_index("beta")
    assert arms[0, 0] == pytest.approx(arms_free[0, k] + 0.5 * arms_free[0, b], abs=1e-15)
    assert m.muscle_lengths(q)[0] == pytest.approx(free.muscle_lengths(np.append(q, 0.4))[0], abs=1e-15)


@pytest.mark.parametrize("ind, match", [("knee wflex", "exactly one independent coordinate"),
                                        ("", "exactly one independent coordinate"),
                                        ("nope", "one coordinate of the model")])
def test_osim_coupler_refusals(tmp_path, ind, match):
    path = _write(tmp_path, _osim(COUPLER.format(ind=ind, scale="1")))
    with pytest.raises(hipsim.InputError, match=match) as err:
        read_osim(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_osim_chained_couplers_are_refused(tmp_path):
    chain = COUPLER.format(ind="knee", scale="1") + COUPLER.format(ind="beta", scale="1").replace(
        "pf_con", "chain").replace("<dependent_coordinate_name>beta", "<dependent_coordinate_name>wflex")
    with pytest.raises(hipsim.InputError, match="couplers cannot chain"):
        read_osim(_write(tmp_path, _osim(chain)))


def test_osim_unenforced_coupler_leaves_the_coordinate_free(tmp_path):
    text = _osim(COUPLER.format(ind="knee", scale="1").replace("<isEnforced>true", "<isEnforced>false"))
    spec = read_osim(_write(tmp_path, text))
    assert spec.couplers == () and any("not enforced" in n for n in spec.notes)
    assert "beta" in Model(spec).coordinate_names


def test_osim_other_constraints_and_wrap_objects_are_refused(tmp_path):
    other = "<PointConstraint name='pc'></PointConstraint>"
    with pytest.raises(hipsim.InputError, match="CoordinateCouplerConstraint only"):
        read_osim(_write(tmp_path, _osim(other)))
    sphere = "<WrapSphere name='s'><radius>0.1</radius></WrapSphere>"
    with pytest.raises(hipsim.InputError, match="WrapCylinder wrap objects only"):
        read_osim(_write(tmp_path, _osim(wraps=sphere)))


def test_gait2392_is_unchanged(gait2392):
    """gait2392 has no couplers, wraps or Millard records; its coordinates are all free."""
    spec = gait2392.spec
    assert spec.couplers == () and spec.wrap_objects == ()
    assert all(m.wraps == () and m.millard is None for m in spec.muscles)
    assert gait2392.coordinate_names == tuple(c.name for c in spec.coordinates)
    assert len(gait2392.coordinate_names) == 23 and math.isclose(gait2392.mass, spec_mass(spec))


def spec_mass(spec):
    return sum(b.mass for b in spec.bodies)


def test_millard_records_rebuild_the_muscle_element(reference_dir):
    """The Millard properties kept in the description give the Millard module the parameters it reads
    from the original element (millard_element bridges the two)."""
    import xml.etree.ElementTree as ET

    from hipsim.model.osim import millard_element
    from hipsim.muscles.millard import millard_parameters_from_xml
    for name in ("Rajagopal2016.osim", "RajagopalLaiUhlrich2023.osim"):
        path = reference_dir / name
        spec = read_osim(path)
        forces = ET.parse(path).getroot().find("Model/ForceSet/objects")
        elements = {e.get("name"): e for e in forces.iter("Millard2012EquilibriumMuscle")}
        assert len(spec.muscles) == len(elements) == 80
        for m in spec.muscles:
            assert m.kind == "Millard2012EquilibriumMuscle" and m.millard is not None
            assert millard_parameters_from_xml(millard_element(m)) == millard_parameters_from_xml(elements[m.alias])
        assert sum(bool(m.wraps) for m in spec.muscles) == 42
        assert {w.body for w in spec.wrap_objects} >= {"pelvis", "femur_r", "femur_l"}


def test_lai_uhlrich_round_trips_through_the_toml_format(reference_dir, tmp_path):
    """Couplers, universal joints, polynomials, wrap geometry and Millard records of a real model
    survive save -> load -> save unchanged (equal description, same bytes)."""
    spec = read_osim(reference_dir / "RajagopalLaiUhlrich2023.osim")
    write_model(spec, tmp_path / "a.toml")
    back = read_model(tmp_path / "a.toml")
    assert back == spec
    write_model(back, tmp_path / "b.toml")
    assert (tmp_path / "a.toml").read_bytes() == (tmp_path / "b.toml").read_bytes()
    kept = back.without_wrapped_muscles()
    assert Model(kept).skeleton_digest == Model(spec.without_wrapped_muscles()).skeleton_digest
