"""Millard2012 muscle curves (hipsim.muscles.millard) against published properties and OpenSim 4.6."""
from __future__ import annotations

import math
from dataclasses import replace
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hipsim.errors import InputError
from hipsim.muscles import millard as M

BUILDERS = {"fal": M.active_force_length_curve, "fv": M.force_velocity_curve, "fpe": M.fiber_force_length_curve,
            "fse": M.tendon_force_length_curve}
DEFAULTS = {"fal": M.ActiveForceLengthCurveParameters(), "fv": M.ForceVelocityCurveParameters(),
            "fpe": M.FiberForceLengthCurveParameters(), "fse": M.TendonForceLengthCurveParameters()}
# Calibrated passive curve (Lai-Uhlrich addbrev_r) and a rigid-tendon (in-use) active curve.
FPE_CALIBRATED = M.FiberForceLengthCurveParameters(-0.1844453874929782, 0.50595953637679147, 0.2, 2.8968507188359185,
                                                   0.75)
FAL_IN_USE = M.ActiveForceLengthCurveParameters(0.25, 0.77, 1.9, 0.75, 0.0)


def _value(curve: M.BezierCurve, x: float) -> tuple[float, float]:
    y, dy = M.evaluate(curve, np.array([x]))
    return float(y[0]), float(dy[0])


def _muscle_xml(body: str, name: str = "m") -> ET.Element:
    return ET.fromstring(f'<Millard2012EquilibriumMuscle name="{name}">{body}</Millard2012EquilibriumMuscle>')


# =========================================================================== published properties

@pytest.mark.parametrize("fal", [DEFAULTS["fal"], FAL_IN_USE])
def test_active_force_length_plateau_is_one_at_optimal_length(fal):
    y, dy = _value(M.active_force_length_curve(fal), 1.0)
    assert y == pytest.approx(1.0, abs=1e-14)
    assert dy == pytest.approx(0.0, abs=1e-12)
    # Outside the domain: the floor minimum_value, flat.
    for x in (fal.min_norm_active_fiber_length - 0.2, fal.max_norm_active_fiber_length + 0.3):
        assert _value(M.active_force_length_curve(fal), x) == pytest.approx((fal.minimum_value, 0.0), abs=1e-15)


def test_force_velocity_is_one_at_zero_velocity_and_reaches_its_ends():
    fv = DEFAULTS["fv"]
    curve = M.force_velocity_curve(fv)
    y, dy = _value(curve, 0.0)
    assert y == pytest.approx(1.0, abs=1e-15)
    assert dy == pytest.approx(fv.isometric_slope, rel=1e-12)
    assert _value(curve, -1.0)[0] == pytest.approx(0.0, abs=1e-15)
    assert _value(curve, 1.0)[0] == pytest.approx(fv.max_eccentric_velocity_force_multiplier, abs=1e-15)


@pytest.mark.parametrize("fpe", [DEFAULTS["fpe"], FPE_CALIBRATED])
def test_passive_fiber_curve_is_one_at_strain_at_one_norm_force(fpe):
    curve = M.fiber_force_length_curve(fpe)
    k_iso = fpe.values_in_use()[1]
    assert _value(curve, 1.0 + fpe.strain_at_one_norm_force) == pytest.approx((1.0, k_iso), rel=1e-12)
    assert _value(curve, 1.0 + fpe.strain_at_zero_force) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert _value(curve, 1.0 + fpe.strain_at_zero_force - 0.1) == (0.0, 0.0)
    # Linear continuation with the stiffness at one normalised force.
    x = 1.0 + fpe.strain_at_one_norm_force + 0.2
    assert _value(curve, x) == pytest.approx((1.0 + 0.2 * k_iso, k_iso), rel=1e-12)


def test_tendon_curve_is_one_at_strain_at_one_norm_force():
    fse = DEFAULTS["fse"]
    curve = M.tendon_force_length_curve(fse)
    k_iso = fse.values_in_use()[0]
    assert k_iso == pytest.approx(1.375 / 0.049)
    assert _value(curve, 1.049) == pytest.approx((1.0, k_iso), rel=1e-12)
    assert _value(curve, 1.0) == pytest.approx((0.0, 0.0), abs=1e-15)
    assert _value(curve, 0.95) == (0.0, 0.0)
    # The toe ends at norm_force_at_toe_end = 2/3.
    x_toe = curve.ends[1]
    assert _value(curve, x_toe)[0] == pytest.approx(2.0 / 3.0, rel=1e-12)


def test_documented_defaults():
    assert DEFAULTS["fal"].min_norm_active_fiber_length == pytest.approx(0.4441)
    assert DEFAULTS["fpe"].values_in_use() == pytest.approx((0.2, 2.0 / 0.7, 0.75))
    assert DEFAULTS["fse"].values_in_use() == pytest.approx((1.375 / 0.049, 2.0 / 3.0, 0.5))
    p = M.MillardParameters()
    assert (p.fiber_damping, p.minimum_activation, p.maximum_pennation_angle) == (0.1, 0.01, math.acos(0.1))
    assert M.scale_curviness(0.0) == 0.1 and M.scale_curviness(1.0) == pytest.approx(0.9)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_segments_join_with_continuous_value_and_slope(kind):
    params = FPE_CALIBRATED if kind == "fpe" else DEFAULTS[kind]
    curve = BUILDERS[kind](params)
    cx, cy, n = curve.ctrl_x, curve.ctrl_y, curve.n_segments
    assert curve.ends[0] == cx[0, 0] and curve.ends[1] == cx[n - 1, 5]
    for i in range(n - 1):
        assert cx[i, 5] == cx[i + 1, 0] and cy[i, 5] == cy[i + 1, 0]
        left = (cy[i, 5] - cy[i, 4]) / (cx[i, 5] - cx[i, 4])
        right = (cy[i + 1, 1] - cy[i + 1, 0]) / (cx[i + 1, 1] - cx[i + 1, 0])
        assert left == pytest.approx(right, rel=1e-9, abs=1e-12)
        xj = cx[i, 5]
        (ya, da), (yb, db) = _value(curve, xj - 1e-9), _value(curve, xj + 1e-9)
        assert ya == pytest.approx(yb, abs=1e-7)
        assert da == pytest.approx(db, rel=1e-5, abs=1e-6)
    # Domain ends: the extrapolation continues value and slope.
    for x_end, y_end, s_end, sign in ((curve.ends[0], curve.ends[2], curve.ends[4], -1),
                                      (curve.ends[1], curve.ends[3], curve.ends[5], 1)):
        y_in, d_in = _value(curve, x_end - sign * 1e-10)
        assert y_in == pytest.approx(y_end, abs=1e-8)
        assert d_in == pytest.approx(s_end, abs=1e-5)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_monotonicity(kind):
    params = FPE_CALIBRATED if kind == "fpe" else DEFAULTS[kind]
    curve = BUILDERS[kind](params)
    lo, hi = curve.ends[0], curve.ends[1]
    x = np.linspace(lo - 0.1, hi + 0.1, 2001)
    y, dy = M.evaluate(curve, x)
    if kind == "fal":
        up, down = x <= 1.0, x >= 1.0
        assert np.all(np.diff(y[up]) >= -1e-15) and np.all(dy[up] >= -1e-12)
        assert np.all(np.diff(y[down]) <= 1e-15) and np.all(dy[down] <= 1e-12)
        assert np.all(y <= 1.0 + 1e-15)
    else:
        assert np.all(np.diff(y) >= -1e-15) and np.all(dy >= -1e-12)
    assert np.all(y >= -1e-15)


def test_bezier_parameter_inverts_x_of_u():
    curve = M.active_force_length_curve(DEFAULTS["fal"])
    rng = np.random.default_rng(1)
    for s in range(curve.n_segments):
        px = curve.ctrl_x[s]
        for x in rng.uniform(px[0], px[5], 50):
            u = M.bezier_parameter(x, px)
            assert 0.0 <= u <= 1.0
            v = 1.0 - u
            xu = (v ** 5 * px[0] + 5 * v ** 4 * u * px[1] + 10 * v ** 3 * u ** 2 * px[2] + 10 * v ** 2 * u ** 3 * px[3]
                  + 5 * v * u ** 4 * px[4] + u ** 5 * px[5])
            assert abs(xu - x) <= 1e-13


def test_nan_input_gives_nan():
    y, dy = M.evaluate(M.force_velocity_curve(DEFAULTS["fv"]), np.array([np.nan]))
    assert np.isnan(y[0]) and np.isnan(dy[0])


# =========================================================================== property-based

def _fd_check(curve: M.BezierCurve, xs: list[float]) -> None:
    # The step resolves the tightest corner (the first inner control point's distance from its end).
    n = curve.n_segments
    feature = float(min(np.min(curve.ctrl_x[:n, 1] - curve.ctrl_x[:n, 0]),
                        np.min(curve.ctrl_x[:n, 5] - curve.ctrl_x[:n, 4])))
    h = min(1e-6, max(1e-8, 1e-4 * feature))
    for x in xs:
        y, dy = _value(curve, x)
        yp, _ = _value(curve, x + h)
        ym, _ = _value(curve, x - h)
        assert dy == pytest.approx((yp - ym) / (2 * h), rel=1e-4, abs=1e-4)
        assert math.isfinite(y)


def _build_or_reject(builder, params):
    try:
        return builder(params)
    except M.CurveParameterError:
        assume(False)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_unit = st.floats(0.0, 1.0)


@_SETTINGS
@given(x0=st.floats(0.0, 0.6), dx1=st.floats(0.05, 0.35), x3=st.floats(1.2, 2.5), ylow=st.floats(0.0, 0.3),
       slope=_unit, xs=st.lists(st.floats(-0.5, 3.0), min_size=3, max_size=3))
def test_fal_derivative_matches_finite_difference(x0, dx1, x3, ylow, slope, xs):
    x1 = min(x0 + dx1, 0.95)
    assume(x1 > x0 + 0.02)
    p = M.ActiveForceLengthCurveParameters(x0, x1, x3, 0.9 * slope * (1 - ylow) / (1 - x1), ylow)
    _fd_check(_build_or_reject(M.active_force_length_curve, p), xs)


@_SETTINGS
@given(fmax=st.floats(1.2, 2.0), c_at=st.floats(0.0, 0.2), c_near=_unit, iso=st.floats(3.0, 10.0),
       e_at=_unit, e_near=_unit, cc=_unit, ce=_unit, xs=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_fv_derivative_matches_finite_difference(fmax, c_at, c_near, iso, e_at, e_near, cc, ce, xs):
    near_c = c_at + 0.01 + c_near * (1.0 - c_at - 0.01)
    e_at_v = 0.5 * e_at * (fmax - 1.0)
    e_near_v = e_at_v + e_near * 0.9 * (fmax - 1.0 - e_at_v)
    p = M.ForceVelocityCurveParameters(c_at, near_c, iso, e_at_v, e_near_v, fmax, cc, ce)
    _fd_check(_build_or_reject(M.force_velocity_curve, p), xs)


@_SETTINGS
@given(e0=st.floats(-0.2, 0.2), de=st.floats(0.2, 1.0), k_iso=st.floats(1.1, 5.0), k_low=st.floats(0.05, 0.95),
       c=_unit, xs=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_fpe_derivative_matches_finite_difference(e0, de, k_iso, k_low, c, xs):
    p = M.FiberForceLengthCurveParameters(e0, e0 + de, k_low / de, k_iso / de, c)
    curve = _build_or_reject(M.fiber_force_length_curve, p)
    _fd_check(curve, [0.7 + e0 + x * (de + 0.5) for x in xs])


@_SETTINGS
@given(e=st.floats(0.01, 0.1), k_iso=st.floats(1.1, 3.0), f_toe=st.floats(0.1, 0.9), c=_unit,
       xs=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_fse_derivative_matches_finite_difference(e, k_iso, f_toe, c, xs):
    p = M.TendonForceLengthCurveParameters(e, k_iso / e, f_toe, c)
    curve = _build_or_reject(M.tendon_force_length_curve, p)
    _fd_check(curve, [0.98 + x * (e + 0.05) for x in xs])


# =========================================================================== in-use parameters and rigid tendon

def test_in_use_follows_opensims_finalize_rules():
    fal = M.ActiveForceLengthCurveParameters(minimum_value=0.05)
    fv = M.ForceVelocityCurveParameters(concentric_slope_at_vmax=0.1, eccentric_slope_at_vmax=0.02)
    p = M.MillardParameters(active_force_length=fal, force_velocity=fv)
    damped = p.in_use()
    assert damped.active_force_length.minimum_value == 0.0
    assert damped.force_velocity.concentric_slope_at_vmax == 0.0
    assert damped.force_velocity.eccentric_slope_at_vmax == 0.0
    hill = replace(p, fiber_damping=0.0005).in_use()
    assert hill.fiber_damping == 0.0
    assert hill.active_force_length.minimum_value == 0.1
    assert hill.force_velocity.concentric_slope_at_vmax == 0.125
    assert hill.force_velocity.eccentric_slope_at_vmax == 0.075
    rigid = replace(p, fiber_damping=0.0).in_use(ignore_tendon_compliance=True)
    assert rigid.active_force_length.minimum_value == 0.0 and rigid.ignore_tendon_compliance
    with pytest.raises(ValueError):
        replace(p, fiber_damping=0.0, minimum_activation=0.001).in_use()


def test_rigid_tendon_forces_by_hand():
    plain = M.MillardParameters(name="plain", max_isometric_force=500.0, optimal_fiber_length=0.1,
                                tendon_slack_length=0.2, active_force_length=FAL_IN_USE,
                                fiber_force_length=FPE_CALIBRATED)
    alpha0 = 0.3
    pennate = replace(plain, name="pennate", pennation_angle_at_optimal=alpha0)
    compiled = M.compile_muscles([plain, pennate])
    lengths = np.array([[0.3, 0.36, 0.21], [0.3, 0.36, 0.21]])
    out = M.rigid_tendon_forces(compiled, lengths)
    fal = M.active_force_length_curve(plain.in_use(True).active_force_length)
    fpe = M.fiber_force_length_curve(FPE_CALIBRATED)
    h = 0.1 * math.sin(alpha0)
    for k, lmt in enumerate(lengths[0]):
        lat = lmt - 0.2
        for m, (lce, cos_a) in enumerate(((lat, 1.0), (math.hypot(h, lat), lat / math.hypot(h, lat)))):
            if lce <= 0.25 * 0.1 + 1e-12 or (m == 1 and lce <= h / math.sin(math.acos(0.1))):
                assert out.active[m, k] == 0.0 and out.passive[m, k] == 0.0
                continue
            assert out.fiber_length[m, k] == pytest.approx(lce, rel=1e-14)
            assert math.cos(out.pennation_angle[m, k]) == pytest.approx(cos_a, rel=1e-12)
            assert out.active[m, k] == pytest.approx(500.0 * _value(fal, lce / 0.1)[0] * cos_a, rel=1e-12)
            assert out.passive[m, k] == pytest.approx(500.0 * _value(fpe, lce / 0.1)[0] * cos_a, rel=1e-12)
    assert out.active[0, 0] == pytest.approx(500.0)  # l_f = l_opt, no pennation
    # Lengthening raises the active force (f_V > 1), shortening lowers it.
    fast = M.rigid_tendon_forces(compiled, lengths, np.full_like(lengths, 0.3))
    slow = M.rigid_tendon_forces(compiled, lengths, np.full_like(lengths, -0.3))
    assert np.all(fast.active[:, :2] > out.active[:, :2]) and np.all(slow.active[:, :2] < out.active[:, :2])
    with pytest.raises(ValueError):
        M.rigid_tendon_forces(compiled, lengths[0])


# =========================================================================== XML

def test_xml_missing_curves_take_defaults_and_values_are_read():
    p = M.millard_parameters_from_xml(_muscle_xml(
        "<max_isometric_force>625.8</max_isometric_force><optimal_fiber_length>0.1031</optimal_fiber_length>"
        "<ignore_tendon_compliance>true</ignore_tendon_compliance><fiber_damping>0</fiber_damping>"
        "<FiberForceLengthCurve name='x'><strain_at_zero_force>-0.18</strain_at_zero_force>"
        "<strain_at_one_norm_force>0.5</strain_at_one_norm_force><stiffness_at_low_force>0.2</stiffness_at_low_force>"
        "<stiffness_at_one_norm_force>2.9</stiffness_at_one_norm_force><curviness>0.75</curviness>"
        "</FiberForceLengthCurve><TendonForceLengthCurve name='t'/>"))
    assert (p.name, p.max_isometric_force, p.optimal_fiber_length, p.tendon_slack_length) == ("m", 625.8, 0.1031, 0.2)
    assert p.ignore_tendon_compliance and p.fiber_damping == 0.0
    assert p.active_force_length == M.ActiveForceLengthCurveParameters()
    assert p.force_velocity == M.ForceVelocityCurveParameters()
    assert p.tendon_force_length == M.TendonForceLengthCurveParameters()
    assert p.fiber_force_length == M.FiberForceLengthCurveParameters(-0.18, 0.5, 0.2, 2.9, 0.75)


@pytest.mark.parametrize("body, key, value", [
    ("<optimal_fiber_length>abc</optimal_fiber_length>", "optimal_fiber_length", "abc"),
    ("<optimal_fiber_length>nan</optimal_fiber_length>", "optimal_fiber_length", "nan"),
    ("<optimal_fiber_length></optimal_fiber_length>", "optimal_fiber_length", ""),
    ("<optimal_fiber_length>-0.1</optimal_fiber_length>", "optimal_fiber_length", -0.1),
    ("<tendon_slack_length>0.1 0.2</tendon_slack_length>", "tendon_slack_length", "0.1 0.2"),
    ("<pennation_angle_at_optimal>1.6</pennation_angle_at_optimal>", "pennation_angle_at_optimal", 1.6),
    ("<ignore_tendon_compliance>yes</ignore_tendon_compliance>", "ignore_tendon_compliance", "yes"),
    ("<ActiveForceLengthCurve><minimum_value>inf</minimum_value></ActiveForceLengthCurve>",
     "ActiveForceLengthCurve.minimum_value", "inf"),
    ("<ActiveForceLengthCurve><transition_norm_fiber_length>1.2</transition_norm_fiber_length>"
     "</ActiveForceLengthCurve>", "ActiveForceLengthCurve.transition_norm_fiber_length", 1.2),
    ("<ForceVelocityCurve><max_eccentric_velocity_force_multiplier>0.9</max_eccentric_velocity_force_multiplier>"
     "</ForceVelocityCurve>", "ForceVelocityCurve.max_eccentric_velocity_force_multiplier", 0.9),
    ("<FiberForceLengthCurve><curviness>0.5</curviness></FiberForceLengthCurve>",
     "FiberForceLengthCurve.stiffness_at_low_force", None),
    ("<FiberForceLengthCurve><strain_at_one_norm_force>-0.1</strain_at_one_norm_force></FiberForceLengthCurve>",
     "FiberForceLengthCurve.strain_at_one_norm_force", -0.1),
    ("<TendonForceLengthCurve><strain_at_one_norm_force>0</strain_at_one_norm_force></TendonForceLengthCurve>",
     "TendonForceLengthCurve.strain_at_one_norm_force", 0.0),
    ("<fiber_damping>0</fiber_damping><minimum_activation>0.001</minimum_activation>", "minimum_activation", 0.001),
])
def test_xml_refuses_malformed_parameters(body, key, value):
    with pytest.raises(InputError) as info:
        M.millard_parameters_from_xml(_muscle_xml(body, "glmed1_r"), source="model.osim")
    err = info.value
    assert err.source == "model.osim"
    assert err.key == f"Millard2012EquilibriumMuscle 'glmed1_r'.{key}"
    assert err.value == value
    assert str(err).startswith("model.osim: Millard2012EquilibriumMuscle 'glmed1_r'.")
    assert "is not allowed;" in str(err)


def test_xml_refuses_other_elements():
    with pytest.raises(InputError):
        M.millard_parameters_from_xml(ET.fromstring("<Thelen2003Muscle name='a'/>"))


# =========================================================================== OpenSim cross-checks

def _reference_muscles(reference_dir, filename):
    root = ET.parse(reference_dir / filename).getroot()
    els = root.findall("./Model/ForceSet/objects/Millard2012EquilibriumMuscle")
    assert len(els) == 80
    return [M.millard_parameters_from_xml(el, source=filename) for el in els]


def _opensim_curves(opensim, p: M.MillardParameters):
    a, v, f, t = p.active_force_length, p.force_velocity, p.fiber_force_length, p.tendon_force_length
    fal = opensim.ActiveForceLengthCurve(a.min_norm_active_fiber_length, a.transition_norm_fiber_length,
                                         a.max_norm_active_fiber_length, a.shallow_ascending_slope, a.minimum_value)
    fv = opensim.ForceVelocityCurve(v.concentric_slope_at_vmax, v.concentric_slope_near_vmax, v.isometric_slope,
                                    v.eccentric_slope_at_vmax, v.eccentric_slope_near_vmax,
                                    v.max_eccentric_velocity_force_multiplier, v.concentric_curviness,
                                    v.eccentric_curviness)
    if f.curviness is None:
        fpe = opensim.FiberForceLengthCurve()
        fpe.setCurveStrains(f.strain_at_zero_force, f.strain_at_one_norm_force)
    else:
        fpe = opensim.FiberForceLengthCurve(f.strain_at_zero_force, f.strain_at_one_norm_force,
                                            f.stiffness_at_low_force, f.stiffness_at_one_norm_force, f.curviness)
    if t.curviness is None:
        fse = opensim.TendonForceLengthCurve(t.strain_at_one_norm_force)
    else:
        fse = opensim.TendonForceLengthCurve(t.strain_at_one_norm_force, t.stiffness_at_one_norm_force,
                                             t.norm_force_at_toe_end, t.curviness)
    return {"fal": fal, "fv": fv, "fpe": fpe, "fse": fse}


def _sample_points(curve: M.BezierCurve, n: int = 300) -> np.ndarray:
    lo, hi = curve.ends[0], curve.ends[1]
    span = hi - lo
    joins = [curve.ctrl_x[i, 5] for i in range(curve.n_segments - 1)]
    pts = np.concatenate([np.linspace(lo - 0.3 * span, hi + 0.3 * span, n), [lo, hi], joins,
                          np.nextafter(np.array([lo, hi] + joins), np.inf)])
    return pts


@pytest.mark.parametrize("filename", ["Rajagopal2016.osim", "RajagopalLaiUhlrich2023.osim"])
def test_every_curve_matches_opensim(opensim, reference_dir, filename):
    worst = {k: [0.0, 0.0] for k in BUILDERS}
    for p in _reference_muscles(reference_dir, filename):
        ours = {"fal": p.active_force_length, "fv": p.force_velocity, "fpe": p.fiber_force_length,
                "fse": p.tendon_force_length}
        theirs = _opensim_curves(opensim, p)
        for kind in BUILDERS:
            curve = BUILDERS[kind](ours[kind])
            x = _sample_points(curve)
            y, dy = M.evaluate(curve, x)
            yo = np.array([theirs[kind].calcValue(float(v)) for v in x])
            dyo = np.array([theirs[kind].calcDerivative(float(v), 1) for v in x])
            worst[kind][0] = max(worst[kind][0], float(np.max(np.abs(y - yo))))
            worst[kind][1] = max(worst[kind][1], float(np.max(np.abs(dy - dyo))))
    print(filename, "max |value|, |derivative| difference:", worst)
    for kind, (dv, dd) in worst.items():
        assert dv <= 1e-9, (kind, dv)
        assert dd <= 1e-9, (kind, dd)


#: Hip abductors (the project's subject) and a spread of other Lai-Uhlrich muscles.
_CHECK_MUSCLES = ("glmed1_r", "glmed3_r", "glmin1_r", "tfl_r", "glmax1_r", "bflh_r", "semimem_r", "recfem_r",
                  "vaslat_r", "soleus_r", "gasmed_r", "addlong_r")
_LEG_COORDINATES = ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r")


def test_rigid_tendon_forces_match_opensim(opensim, reference_dir):
    filename = "RajagopalLaiUhlrich2023.osim"
    root = ET.parse(reference_dir / filename).getroot()
    by_name = {el.get("name"): el for el in root.findall("./Model/ForceSet/objects/Millard2012EquilibriumMuscle")}
    params = [M.millard_parameters_from_xml(by_name[n], source=filename) for n in _CHECK_MUSCLES]
    compiled = M.compile_muscles(params)

    model = opensim.Model(str(reference_dir / filename))
    for n in _CHECK_MUSCLES:
        opensim.Millard2012EquilibriumMuscle.safeDownCast(model.getMuscles().get(n)).set_ignore_tendon_compliance(True)
    state = model.initSystem()
    muscles = [opensim.Millard2012EquilibriumMuscle.safeDownCast(model.getMuscles().get(n)) for n in _CHECK_MUSCLES]
    coords = [model.getCoordinateSet().get(c) for c in _LEG_COORDINATES]
    rng = np.random.default_rng(2023)
    n_poses = 16  # the second half moves: coordinate speeds up to 3 rad/s
    lengths = np.empty((len(muscles), n_poses))
    speeds = np.empty_like(lengths)
    ref = {k: np.empty_like(lengths) for k in ("active", "passive", "elastic", "so", "lce")}
    for k in range(n_poses):
        for c in coords:
            c.setValue(state, float(rng.uniform(c.getRangeMin(), c.getRangeMax())), False)
            c.setSpeedValue(state, float(rng.uniform(-3.0, 3.0)) if k >= n_poses // 2 else 0.0)
        model.assemble(state)
        for mu in muscles:
            mu.setActivation(state, 1.0)
        model.equilibrateMuscles(state)
        model.realizeDynamics(state)
        for m, mu in enumerate(muscles):
            lengths[m, k] = mu.getLength(state)
            speeds[m, k] = mu.getLengtheningSpeed(state)
            ref["active"][m, k] = mu.getActiveFiberForceAlongTendon(state)
            ref["passive"][m, k] = mu.getPassiveFiberForceAlongTendon(state)
            ref["elastic"][m, k] = mu.getPassiveFiberElasticForceAlongTendon(state)
            ref["lce"][m, k] = mu.getFiberLength(state)
            ref["so"][m, k] = mu.calcInextensibleTendonActiveFiberForce(state, 1.0)
    assert np.all(speeds[:, : n_poses // 2] == 0.0) and np.all(speeds[:, n_poses // 2:] != 0.0)
    ours = M.rigid_tendon_forces(compiled, lengths, speeds)
    so = M.rigid_tendon_forces(compiled, lengths, speeds, pennation_from_normalized_length=True)
    still = M.rigid_tendon_forces(compiled, lengths[:, : n_poses // 2])
    f0 = compiled.geometry[:, :1]

    def rel(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), f0 * 1e-3)))

    print("rigid tendon, max relative difference: active", rel(ours.active, ref["active"]),
          "elastic", rel(ours.passive, ref["elastic"]), "StaticOptimization's", rel(so.active, ref["so"]),
          "; passive > 0 in", int(np.sum(ref["elastic"] > 0)), "of", ref["elastic"].size)
    np.testing.assert_allclose(ours.fiber_length, ref["lce"], rtol=1e-12)
    np.testing.assert_allclose(ours.active, ref["active"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.passive, ref["elastic"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(so.active, ref["so"], rtol=1e-6, atol=1e-9)
    # At zero velocity the damping force is 0: the whole passive force is the elastic one.
    np.testing.assert_allclose(still.passive, ref["passive"][:, : n_poses // 2], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(still.active, ours.active[:, : n_poses // 2])
    # OpenSim's StaticOptimization force differs from the muscle's own by its pennation cosine.
    assert np.max(np.abs(so.active - ours.active) / np.maximum(ours.active, 1.0)) > 1e-3
    assert np.sum(ref["elastic"] > 0) >= 5  # the poses stretch some muscles into their passive range


def test_default_curves_match_opensim(opensim):
    theirs = {"fal": opensim.ActiveForceLengthCurve(), "fv": opensim.ForceVelocityCurve(),
              "fpe": opensim.FiberForceLengthCurve(), "fse": opensim.TendonForceLengthCurve()}
    for kind, builder in BUILDERS.items():
        curve = builder(DEFAULTS[kind])
        x = _sample_points(curve)
        y, dy = M.evaluate(curve, x)
        assert np.max(np.abs(y - [theirs[kind].calcValue(float(v)) for v in x])) <= 1e-9
        assert np.max(np.abs(dy - [theirs[kind].calcDerivative(float(v), 1) for v in x])) <= 1e-9


@pytest.mark.parametrize("damping, rigid", [(0.0, False), (0.1, False), (0.0, True), (0.0005, False)])
def test_in_use_matches_opensims_finalize(opensim, damping, rigid):
    fal = M.ActiveForceLengthCurveParameters(minimum_value=0.05)
    fv = M.ForceVelocityCurveParameters(concentric_slope_at_vmax=0.1, eccentric_slope_at_vmax=0.02)
    ours = M.MillardParameters(fiber_damping=damping, ignore_tendon_compliance=rigid, active_force_length=fal,
                               force_velocity=fv).in_use()
    mu = opensim.Millard2012EquilibriumMuscle("m", 1000.0, 0.1, 0.2, 0.1)
    mu.setFiberDamping(damping)
    mu.set_ignore_tendon_compliance(rigid)
    mu.upd_ActiveForceLengthCurve().setMinValue(0.05)
    mu.upd_ForceVelocityCurve().setCurveShape(0.1, 0.25, 5.0, 0.02, 0.15, 1.4)
    mu.finalizeFromProperties()
    theirs = mu.getForceVelocityCurve()
    assert ours.fiber_damping == mu.getFiberDamping()
    assert ours.minimum_activation == mu.getMinimumActivation()
    assert ours.active_force_length.minimum_value == mu.getActiveForceLengthCurve().getMinValue()
    assert ours.force_velocity.concentric_slope_at_vmax == theirs.getConcentricSlopeAtVmax()
    assert ours.force_velocity.eccentric_slope_at_vmax == theirs.getEccentricSlopeAtVmax()


def test_model_compiles_millard_curves_once_per_muscle_shape():
    """A weakened and a heavier copy of a model reuse its compiled Millard curves with their own
    maximum isometric forces: every array equals a compile from the copy's own muscle elements."""
    import hipsim
    from hipsim.model import model as model_module
    from hipsim.model.osim import millard_element
    base = hipsim.load_model("lai_uhlrich2023")
    copies = (base.with_strength({"gluteus_medius_middle_r": 0.5}),
              base.scaled_to(hipsim.Subject(100.0, base.subject.height_m)))
    model_module._MILLARD_CACHE.clear()  # the first copy fills it, the second reuses it
    for m in copies:
        got = m._millard_compiled
        own = M.compile_muscles([M.millard_parameters_from_xml(millard_element(m.spec.muscles[i]))
                                 for i in m.millard_muscles])
        for a, b in zip(got, own, strict=True):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b
        assert not np.array_equal(got.geometry[:, 0], base._millard_compiled.geometry[:, 0])
    assert len(model_module._MILLARD_CACHE) == 1
