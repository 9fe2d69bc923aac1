"""Millard (2012) equilibrium-muscle curves, built and evaluated as OpenSim 4.6 builds them.

Sources
-------
* Millard M, Uchida T, Seth A, Delp SL (2013). Flexing computational muscle: modeling and
  simulation of musculotendon dynamics. *J Biomech Eng* 135(2):021005. The four curves
  (active force-length, force-velocity, passive fibre force-length, tendon force-length) are
  chains of C2-continuous quintic Bezier "corners" (their Sec. 2.1 and Appendix).
* OpenSim 4.6 ``SmoothSegmentedFunctionFactory`` (``createFiberActiveForceLengthCurve``,
  ``createFiberForceVelocityCurve``, ``createFiberForceLengthCurve``,
  ``createTendonForceLengthCurve``), ``SegmentedQuinticBezierToolkit``
  (``calcQuinticBezierCornerControlPoints``, ``calcU``, ``calcIndex``) and
  ``SmoothSegmentedFunction`` (linear extrapolation outside the curve's domain), by
  M. Millard. The facts (knot locations, slopes, curviness mapping c = 0.1 + 0.8 curviness,
  control-point rule) are reproduced here; the code is hipsim's own.
* OpenSim ``ActiveForceLengthCurve``, ``ForceVelocityCurve``, ``FiberForceLengthCurve`` and
  ``TendonForceLengthCurve``: property names (used here as field names) and defaults.
* OpenSim ``Millard2012EquilibriumMuscle::extendFinalizeFromProperties``: the muscle changes
  some curve parameters before use (:meth:`MillardParameters.in_use`).
* OpenSim ``MuscleFixedWidthPennationModel`` (constant-thickness parallelogram) and
  ``Millard2012EquilibriumMuscle`` rigid-tendon branches (``calcMuscleLengthInfo``,
  ``calcFiberVelocityInfo``, ``calcMuscleDynamicsInfo``,
  ``calcInextensibleTendonActiveFiberForce``): :func:`rigid_tendon_forces`.

Defaults (OpenSim 4.6 class defaults)
------------------------------------
* ActiveForceLengthCurve: min_norm_active_fiber_length 0.4441 (= 0.47 - 0.0259),
  transition_norm_fiber_length 0.73, max_norm_active_fiber_length 1.8123,
  shallow_ascending_slope 0.8616, minimum_value 0.1; the plateau is at 1.0 and the curviness
  is fixed at 1.0.
* ForceVelocityCurve: concentric_slope_at_vmax 0, concentric_slope_near_vmax 0.25,
  isometric_slope 5, eccentric_slope_at_vmax 0, eccentric_slope_near_vmax 0.15,
  max_eccentric_velocity_force_multiplier 1.4, concentric_curviness 0.6,
  eccentric_curviness 0.9.
* FiberForceLengthCurve: strain_at_zero_force 0, strain_at_one_norm_force 0.7; the optional
  stiffness_at_low_force, stiffness_at_one_norm_force and curviness are all set or all
  absent, and when absent OpenSim uses 0.2, 2 / (e1 - e0) and 0.75.
* TendonForceLengthCurve: strain_at_one_norm_force 0.049; the optional
  stiffness_at_one_norm_force, norm_force_at_toe_end and curviness default to
  1.375 / e0, 2/3 and 0.5.
* Millard2012EquilibriumMuscle: fiber_damping 0.1, minimum_activation 0.01,
  default_activation 0.05, maximum_pennation_angle acos(0.1) (84.26 deg); Muscle:
  max_isometric_force 1000 N, optimal_fiber_length 0.1 m, tendon_slack_length 0.2 m,
  pennation_angle_at_optimal 0, max_contraction_velocity 10 optimal lengths per second,
  ignore_tendon_compliance false.

Evaluation
----------
A curve is compiled to arrays (:class:`BezierCurve`: up to five segments of six x and six y
control points, plus the end points and end slopes). At x inside the domain the segment is
the first with x0 <= x < x5 (the last one at its right end); the Bezier parameter u solves
x(u) = x by safeguarded Newton iteration (bisection when a Newton step leaves the bracket)
to a residual below OpenSim's own tolerance (100 machine epsilons), so value and slope agree
with OpenSim's spline-seeded Newton solution to rounding. Outside the domain the curve is
continued by its end tangent, as ``SmoothSegmentedFunction`` does. All kernels are numba
``njit(cache=True)`` over flat float64 arrays.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple, Sequence

import numpy as np
from numba import njit

from hipsim.errors import InputError, input_error

#: Maximum number of quintic Bezier segments of one curve (the active force-length curve has 5).
MAX_SEGMENTS = 5
#: OpenSim ``SmoothSegmentedFunction`` UTOL: tolerance on |x(u) - x| of the Newton solve for u.
U_TOLERANCE = 2.220446049250313e-16 * 1e2
#: ``Millard2012EquilibriumMuscle`` MIN_NONZERO_DAMPING_COEFFICIENT: below it the damping is 0.
MIN_NONZERO_DAMPING_COEFFICIENT = 0.001
#: SimTK::Eps, SimTK::SignificantReal (Eps^(7/8)) and sqrt(Eps), as OpenSim uses them.
_EPS = 2.220446049250313e-16
_SIGNIFICANT_REAL = _EPS ** 0.875
_ROOT_EPS = math.sqrt(_EPS)


class CurveParameterError(ValueError):
    """A curve parameter outside the range OpenSim's curve factory accepts."""

    def __init__(self, parameter: str, value: float, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"{parameter} = {value!r} is not allowed; {allowed}")


# =========================================================================== parameters

@dataclass(frozen=True)
class ActiveForceLengthCurveParameters:
    """OpenSim ``ActiveForceLengthCurve`` properties (Millard et al. 2013, Fig. 2a).

    Normalised fibre lengths where the steep ascending limb starts (default 0.4441), where it
    turns into the shallow ascending limb (0.73), and where the descending limb ends
    (1.8123); the slope of the shallow ascending limb (0.8616) and the curve's floor (0.1).
    The plateau value 1 is reached at a normalised length of 1.
    """
    min_norm_active_fiber_length: float = 0.47 - 0.0259
    transition_norm_fiber_length: float = 0.73
    max_norm_active_fiber_length: float = 1.8123
    shallow_ascending_slope: float = 0.8616
    minimum_value: float = 0.1


@dataclass(frozen=True)
class ForceVelocityCurveParameters:
    """OpenSim ``ForceVelocityCurve`` properties (Millard et al. 2013, Fig. 2c).

    Slopes at and near the maximum shortening velocity (defaults 0 and 0.25), at isometric
    (5), at and near the maximum lengthening velocity (0 and 0.15), the force multiplier at
    the maximum lengthening velocity (1.4) and the curviness of the concentric (0.6) and
    eccentric (0.9) sides. Velocity is normalised by max_contraction_velocity * l_opt.
    """
    concentric_slope_at_vmax: float = 0.0
    concentric_slope_near_vmax: float = 0.25
    isometric_slope: float = 5.0
    eccentric_slope_at_vmax: float = 0.0
    eccentric_slope_near_vmax: float = 0.15
    max_eccentric_velocity_force_multiplier: float = 1.4
    concentric_curviness: float = 0.6
    eccentric_curviness: float = 0.9


@dataclass(frozen=True)
class FiberForceLengthCurveParameters:
    """OpenSim ``FiberForceLengthCurve`` properties (Millard et al. 2013, Fig. 2b).

    Fibre strain at zero force (default 0) and at one normalised force (0.7). The optional
    stiffness_at_low_force, stiffness_at_one_norm_force and curviness are all given or all
    ``None``; ``None`` means OpenSim's fitted values 0.2, 2 / (e1 - e0) and 0.75.
    """
    strain_at_zero_force: float = 0.0
    strain_at_one_norm_force: float = 0.7
    stiffness_at_low_force: float | None = None
    stiffness_at_one_norm_force: float | None = None
    curviness: float | None = None

    def values_in_use(self) -> tuple[float, float, float]:
        """(stiffness_at_low_force, stiffness_at_one_norm_force, curviness) as OpenSim uses them."""
        opt = (self.stiffness_at_low_force, self.stiffness_at_one_norm_force, self.curviness)
        if all(v is not None for v in opt):
            return float(opt[0]), float(opt[1]), float(opt[2])  # type: ignore[arg-type]
        if all(v is None for v in opt):
            return 0.2, 2.0 / (self.strain_at_one_norm_force - self.strain_at_zero_force), 0.75
        raise CurveParameterError("stiffness_at_low_force", opt[0],  # type: ignore[arg-type]
                                  "stiffness_at_low_force, stiffness_at_one_norm_force and curviness must "
                                  "all be given or all be absent")


@dataclass(frozen=True)
class TendonForceLengthCurveParameters:
    """OpenSim ``TendonForceLengthCurve`` properties (Millard et al. 2013, Fig. 2d).

    Tendon strain at one normalised force (default 0.049). The optional
    stiffness_at_one_norm_force, norm_force_at_toe_end and curviness are all given or all
    ``None``; ``None`` means OpenSim's fitted values 1.375 / e0, 2/3 and 0.5.
    """
    strain_at_one_norm_force: float = 0.049
    stiffness_at_one_norm_force: float | None = None
    norm_force_at_toe_end: float | None = None
    curviness: float | None = None

    def values_in_use(self) -> tuple[float, float, float]:
        """(stiffness_at_one_norm_force, norm_force_at_toe_end, curviness) as OpenSim uses them."""
        opt = (self.stiffness_at_one_norm_force, self.norm_force_at_toe_end, self.curviness)
        if all(v is not None for v in opt):
            return float(opt[0]), float(opt[1]), float(opt[2])  # type: ignore[arg-type]
        if all(v is None for v in opt):
            return 1.375 / self.strain_at_one_norm_force, 2.0 / 3.0, 0.5
        raise CurveParameterError("stiffness_at_one_norm_force", opt[0],  # type: ignore[arg-type]
                                  "stiffness_at_one_norm_force, norm_force_at_toe_end and curviness must "
                                  "all be given or all be absent")


@dataclass(frozen=True)
class MillardParameters:
    """One ``Millard2012EquilibriumMuscle``: its four curves and the settings static
    optimisation needs. Defaults are OpenSim 4.6's (see the module docstring)."""
    name: str = ""
    max_isometric_force: float = 1000.0
    optimal_fiber_length: float = 0.1
    tendon_slack_length: float = 0.2
    pennation_angle_at_optimal: float = 0.0
    max_contraction_velocity: float = 10.0
    maximum_pennation_angle: float = math.acos(0.1)
    ignore_tendon_compliance: bool = False
    fiber_damping: float = 0.1
    minimum_activation: float = 0.01
    default_activation: float = 0.05
    active_force_length: ActiveForceLengthCurveParameters = field(default_factory=ActiveForceLengthCurveParameters)
    force_velocity: ForceVelocityCurveParameters = field(default_factory=ForceVelocityCurveParameters)
    fiber_force_length: FiberForceLengthCurveParameters = field(default_factory=FiberForceLengthCurveParameters)
    tendon_force_length: TendonForceLengthCurveParameters = field(default_factory=TendonForceLengthCurveParameters)

    @property
    def uses_fiber_damping(self) -> bool:
        """OpenSim drops the damping (sets it to 0) below 0.001 (MIN_NONZERO_DAMPING_COEFFICIENT)."""
        return self.fiber_damping >= MIN_NONZERO_DAMPING_COEFFICIENT

    def in_use(self, ignore_tendon_compliance: bool | None = None) -> MillardParameters:
        """The parameters as ``Millard2012EquilibriumMuscle::extendFinalizeFromProperties`` leaves them.

        ``ignore_tendon_compliance`` overrides the muscle's own flag (static optimisation
        uses a rigid tendon: pass ``True``).

        * Damping below 0.001 becomes 0.
        * Damped fibre or rigid tendon: minimum_activation is clamped to [0, 1], the active
          force-length floor ``minimum_value`` becomes 0 and the force-velocity end slopes
          (``*_slope_at_vmax``) become 0 when positive.
        * Compliant tendon without damping (the classic Hill model): ``minimum_value`` is
          raised to 0.1 and each end slope to half its near-vmax slope when below them;
          minimum_activation below 0.01 is refused by OpenSim (ValueError here).
        """
        rigid = self.ignore_tendon_compliance if ignore_tendon_compliance is None else ignore_tendon_compliance
        damping = self.fiber_damping if self.uses_fiber_damping else 0.0
        fal, fv = self.active_force_length, self.force_velocity
        con, ecc = fv.concentric_slope_at_vmax, fv.eccentric_slope_at_vmax
        min_act = self.minimum_activation
        if not rigid and damping == 0.0:
            if min_act < 0.01:
                raise CurveParameterError("minimum_activation", min_act,
                                          "the classic Hill model with an elastic tendon needs >= 0.01")
            if fal.minimum_value < 0.1:
                fal = replace(fal, minimum_value=0.1)
            con = max(con, 0.5 * fv.concentric_slope_near_vmax)
            ecc = max(ecc, 0.5 * fv.eccentric_slope_near_vmax)
        else:
            min_act = min(max(min_act, 0.0), 1.0)
            if fal.minimum_value > 0.0:
                fal = replace(fal, minimum_value=0.0)
            con = min(con, 0.0)
            ecc = min(ecc, 0.0)
        fv = replace(fv, concentric_slope_at_vmax=con, eccentric_slope_at_vmax=ecc)
        return replace(self, ignore_tendon_compliance=rigid, fiber_damping=damping, minimum_activation=min_act,
                       active_force_length=fal, force_velocity=fv)


# =========================================================================== curve construction

class BezierCurve(NamedTuple):
    """A compiled smooth segmented curve.

    ``ctrl_x``/``ctrl_y``: (MAX_SEGMENTS, 6) control points (unused rows NaN);
    ``n_segments``; ``ends``: (x0, x1, y0, y1, dydx0, dydx1), the domain, the values and the
    slopes at its ends (the linear extrapolation outside it).
    """
    ctrl_x: np.ndarray
    ctrl_y: np.ndarray
    n_segments: int
    ends: np.ndarray


def scale_curviness(curviness: float) -> float:
    """OpenSim ``scaleCurviness``: the user's curviness in [0, 1] -> 0.1 + 0.8 curviness."""
    return 0.1 + 0.8 * curviness


def corner_control_points(x0: float, y0: float, dydx0: float, x1: float, y1: float, dydx1: float,
                          c: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Six control points of a quintic Bezier corner (``calcQuinticBezierCornerControlPoints``).

    The corner joins (x0, y0) with slope dydx0 to (x1, y1) with slope dydx1; (xC, yC) is the
    intersection of the two tangent lines (their midpoint when the slopes differ by less
    than sqrt(eps)). The inner points are doubled: P1 = P2 = P0 + c (C - P0) and
    P3 = P4 = P5 + c (C - P5), with c the scaled curviness. A corner whose tangent
    intersection is farther from either end than the ends are from each other would be
    S-shaped and is refused, as OpenSim refuses it.
    """
    if not (0.0 <= c <= 1.0):
        raise CurveParameterError("curviness", c, "the scaled curviness must be within [0, 1]")
    if abs(dydx0 - dydx1) > _ROOT_EPS:
        xc = (y1 - y0 - x1 * dydx1 + x0 * dydx0) / (dydx0 - dydx1)
    else:
        xc = (x1 + x0) / 2.0
    yc = (xc - x1) * dydx1 + y1
    a = (xc - x0) ** 2 + (yc - y0) ** 2
    b = (xc - x1) ** 2 + (yc - y1) ** 2
    d = (x1 - x0) ** 2 + (y1 - y0) ** 2
    if not (d > a and d > b):
        raise CurveParameterError("curve shape", float(xc),
                                  "the tangent lines of a Bezier corner must meet between its ends (a C-shaped "
                                  "corner)")
    x0m = x0 + c * (xc - x0)
    y0m = y0 + c * (yc - y0)
    x1m = x1 + c * (xc - x1)
    y1m = y1 + c * (yc - y1)
    return (x0, x0m, x0m, x1m, x1m, x1), (y0, y0m, y0m, y1m, y1m, y1)


def _compile(corners: Sequence[tuple[tuple[float, ...], tuple[float, ...]]], x0: float, x1: float, y0: float,
             y1: float, dydx0: float, dydx1: float) -> BezierCurve:
    cx = np.full((MAX_SEGMENTS, 6), np.nan)
    cy = np.full((MAX_SEGMENTS, 6), np.nan)
    for i, (px, py) in enumerate(corners):
        cx[i] = px
        cy[i] = py
    return BezierCurve(cx, cy, len(corners), np.array([x0, x1, y0, y1, dydx0, dydx1], dtype=np.float64))


def _check(ok: bool, parameter: str, value: float, allowed: str) -> None:
    if not ok:
        raise CurveParameterError(parameter, value, allowed)


def active_force_length_curve(p: ActiveForceLengthCurveParameters) -> BezierCurve:
    """Active force-length multiplier f_L(l~) (``createFiberActiveForceLengthCurve``).

    OpenSim calls the factory with x0 = min_norm_active_fiber_length,
    x1 = transition_norm_fiber_length, x2 = 1, x3 = max_norm_active_fiber_length,
    ylow = minimum_value, dydx = shallow_ascending_slope and curviness 1 (c = 0.9). Five
    corners: x0 -> x01 (steep ascending limb, midpoint slope 1.25 (y1 - y0)/(x1 - x0)),
    -> x1s (shallow ascending limb), -> x2 = 1 (plateau, value 1, slope 0), -> x23
    (descending limb, slope -1 / ((x3 - dx) - (x2 + dx)), dx = 0.05 x2), -> x3 (value ylow).
    Outside [x0, x3] the curve is constant at ylow.
    """
    x0, x1, x2, x3 = (p.min_norm_active_fiber_length, p.transition_norm_fiber_length, 1.0,
                      p.max_norm_active_fiber_length)
    ylow, dydx = p.minimum_value, p.shallow_ascending_slope
    _check(x0 >= 0, "min_norm_active_fiber_length", x0, "it must be >= 0")
    _check(x1 > x0 + _ROOT_EPS, "transition_norm_fiber_length", x1,
           "it must exceed min_norm_active_fiber_length")
    _check(x2 > x1 + _ROOT_EPS, "transition_norm_fiber_length", x1, "it must be below 1")
    _check(x3 > x2 + _ROOT_EPS, "max_norm_active_fiber_length", x3, "it must exceed 1")
    _check(ylow >= 0, "minimum_value", ylow, "it must be >= 0")
    upper = (1.0 - ylow) / (x2 - x1)
    _check(0 <= dydx < upper, "shallow_ascending_slope", dydx,
           f"it must be >= 0 and below (1 - minimum_value) / (1 - transition_norm_fiber_length) = {upper:g}")
    c = scale_curviness(1.0)
    x_delta = 0.05 * x2
    xs = x2 - x_delta
    y0, dydx0 = 0.0, 0.0
    y1 = 1.0 - dydx * (xs - x1)
    dydx01 = 1.25 * (y1 - y0) / (x1 - x0)
    x01 = x0 + 0.5 * (x1 - x0)
    y01 = y0 + 0.5 * (y1 - y0)
    x1s = x1 + 0.5 * (xs - x1)
    y1s = y1 + 0.5 * (1.0 - y1)
    dydx1s = dydx
    y2, dydx2 = 1.0, 0.0
    y3, dydx3 = 0.0, 0.0
    x23 = (x2 + x_delta) + 0.5 * (x3 - (x2 + x_delta))
    y23 = y2 + 0.5 * (y3 - y2)
    dydx23 = (y3 - y2) / ((x3 - x_delta) - (x2 + x_delta))
    corners = [corner_control_points(x0, ylow, dydx0, x01, y01, dydx01, c),
               corner_control_points(x01, y01, dydx01, x1s, y1s, dydx1s, c),
               corner_control_points(x1s, y1s, dydx1s, x2, y2, dydx2, c),
               corner_control_points(x2, y2, dydx2, x23, y23, dydx23, c),
               corner_control_points(x23, y23, dydx23, x3, ylow, dydx3, c)]
    return _compile(corners, x0, x3, ylow, ylow, 0.0, 0.0)


def force_velocity_curve(p: ForceVelocityCurveParameters) -> BezierCurve:
    """Force-velocity multiplier f_V(v~) (``createFiberForceVelocityCurve``).

    Four corners through (-1, 0), (-0.9, y_nearC), (0, 1), (0.9, y_nearE), (1, fmaxE) with
    the slopes concentric_slope_at_vmax, concentric_slope_near_vmax, isometric_slope,
    eccentric_slope_near_vmax, eccentric_slope_at_vmax; y_near = y_end + the mean of the two
    slopes times 0.1 towards the middle. f_V(0) = 1. Outside [-1, 1] the curve continues with
    the end slopes.
    """
    fmax_e = p.max_eccentric_velocity_force_multiplier
    dydx_c, dydx_near_c = p.concentric_slope_at_vmax, p.concentric_slope_near_vmax
    dydx_iso = p.isometric_slope
    dydx_e, dydx_near_e = p.eccentric_slope_at_vmax, p.eccentric_slope_near_vmax
    _check(fmax_e > 1.0, "max_eccentric_velocity_force_multiplier", fmax_e, "it must exceed 1")
    _check(0.0 <= dydx_c < 1.0, "concentric_slope_at_vmax", dydx_c, "it must be >= 0 and below 1")
    _check(dydx_c < dydx_near_c <= 1.0, "concentric_slope_near_vmax", dydx_near_c,
           "it must exceed concentric_slope_at_vmax and be at most 1")
    _check(dydx_iso > 1.0, "isometric_slope", dydx_iso, "it must exceed 1")
    _check(0.0 <= dydx_e < fmax_e - 1.0, "eccentric_slope_at_vmax", dydx_e,
           "it must be >= 0 and below max_eccentric_velocity_force_multiplier - 1")
    _check(dydx_e <= dydx_near_e < fmax_e - 1.0, "eccentric_slope_near_vmax", dydx_near_e,
           "it must be >= eccentric_slope_at_vmax and below max_eccentric_velocity_force_multiplier - 1")
    for name in ("concentric_curviness", "eccentric_curviness"):
        v = getattr(p, name)
        _check(0.0 <= v <= 1.0, name, v, "it must be within [0, 1]")
    c_c = scale_curviness(p.concentric_curviness)
    c_e = scale_curviness(p.eccentric_curviness)
    x_c, y_c = -1.0, 0.0
    x_near_c = -0.9
    y_near_c = y_c + 0.5 * dydx_near_c * (x_near_c - x_c) + 0.5 * dydx_c * (x_near_c - x_c)
    x_iso, y_iso = 0.0, 1.0
    x_e, y_e = 1.0, fmax_e
    x_near_e = 0.9
    y_near_e = y_e + 0.5 * dydx_near_e * (x_near_e - x_e) + 0.5 * dydx_e * (x_near_e - x_e)
    corners = [corner_control_points(x_c, y_c, dydx_c, x_near_c, y_near_c, dydx_near_c, c_c),
               corner_control_points(x_near_c, y_near_c, dydx_near_c, x_iso, y_iso, dydx_iso, c_c),
               corner_control_points(x_iso, y_iso, dydx_iso, x_near_e, y_near_e, dydx_near_e, c_e),
               corner_control_points(x_near_e, y_near_e, dydx_near_e, x_e, y_e, dydx_e, c_e)]
    return _compile(corners, x_c, x_e, y_c, y_e, dydx_c, dydx_e)


def fiber_force_length_curve(p: FiberForceLengthCurveParameters) -> BezierCurve:
    """Passive fibre force-length multiplier f_PE(l~) (``createFiberForceLengthCurve``).

    Two corners from (1 + e0, 0) with slope 0 through (x_low, y_low) with slope k_low to
    (1 + e1, 1) with slope k_iso, where x_low = 1 + e0 + min(0.1 / k_iso, 0.1 (e1 - e0)) and
    y_low = k_low (x_low - x_foot), x_foot halfway between 1 + e0 and x_low. f_PE = 0 below
    1 + e0 and continues with slope k_iso above 1 + e1; f_PE(1 + e1) = 1.
    """
    e0, e1 = p.strain_at_zero_force, p.strain_at_one_norm_force
    _check(e1 > e0, "strain_at_one_norm_force", e1, "it must exceed strain_at_zero_force")
    k_low, k_iso, curviness = p.values_in_use()
    _check(k_iso > 1.0 / (e1 - e0), "stiffness_at_one_norm_force", k_iso,
           f"it must exceed 1 / (strain_at_one_norm_force - strain_at_zero_force) = {1.0 / (e1 - e0):g}")
    _check(0.0 < k_low < 1.0 / (e1 - e0), "stiffness_at_low_force", k_low,
           f"it must be > 0 and below 1 / (strain_at_one_norm_force - strain_at_zero_force) = {1.0 / (e1 - e0):g}")
    _check(0.0 <= curviness <= 1.0, "curviness", curviness, "it must be within [0, 1]")
    c = scale_curviness(curviness)
    x_zero, y_zero = 1.0 + e0, 0.0
    x_iso, y_iso = 1.0 + e1, 1.0
    delta_x = min(0.1 * (1.0 / k_iso), 0.1 * (x_iso - x_zero))
    x_low = x_zero + delta_x
    x_foot = x_zero + 0.5 * (x_low - x_zero)
    y_low = 0.0 + k_low * (x_low - x_foot)
    corners = [corner_control_points(x_zero, y_zero, 0.0, x_low, y_low, k_low, c),
               corner_control_points(x_low, y_low, k_low, x_iso, y_iso, k_iso, c)]
    return _compile(corners, x_zero, x_iso, y_zero, y_iso, 0.0, k_iso)


def tendon_force_length_curve(p: TendonForceLengthCurveParameters) -> BezierCurve:
    """Tendon force-length multiplier f_SE(l~_T) (``createTendonForceLengthCurve``).

    Two corners from (1, 0) with slope 0 to the end of the toe region (x_toe, f_toe) with
    slope k_iso, x_toe = (f_toe - 1) / k_iso + 1 + e_iso; past x_toe the curve is the line of
    slope k_iso through (1 + e_iso, 1), so f_SE(1 + strain_at_one_norm_force) = 1. Below 1
    (slack) the force is 0.
    """
    e_iso = p.strain_at_one_norm_force
    _check(e_iso > 0.0, "strain_at_one_norm_force", e_iso, "it must be > 0")
    k_iso, f_toe, curviness = p.values_in_use()
    _check(0.0 < f_toe < 1.0, "norm_force_at_toe_end", f_toe, "it must be > 0 and < 1")
    _check(k_iso > 1.0 / e_iso, "stiffness_at_one_norm_force", k_iso,
           f"it must exceed 1 / strain_at_one_norm_force = {1.0 / e_iso:g}")
    _check(0.0 <= curviness <= 1.0, "curviness", curviness, "it must be within [0, 1]")
    c = scale_curviness(curviness)
    x0, y0, dydx0 = 1.0, 0.0, 0.0
    x_iso, y_iso = 1.0 + e_iso, 1.0
    y_toe = f_toe
    x_toe = (y_toe - 1.0) / k_iso + x_iso
    x_foot = 1.0 + (x_toe - 1.0) / 10.0
    y_foot = 0.0
    y_toe_mid = y_toe * 0.5
    x_toe_mid = (y_toe_mid - y_iso) / k_iso + x_iso
    dydx_toe_mid = (y_toe_mid - y_foot) / (x_toe_mid - x_foot)
    x_toe_ctrl = x_foot + 0.5 * (x_toe_mid - x_foot)
    y_toe_ctrl = y_foot + dydx_toe_mid * (x_toe_ctrl - x_foot)
    corners = [corner_control_points(x0, y0, dydx0, x_toe_ctrl, y_toe_ctrl, dydx_toe_mid, c),
               corner_control_points(x_toe_ctrl, y_toe_ctrl, dydx_toe_mid, x_toe, y_toe, k_iso, c)]
    return _compile(corners, x0, x_toe, y0, y_toe, dydx0, k_iso)


# =========================================================================== evaluation kernels

@njit(cache=True)
def _bezier(u: float, p: np.ndarray) -> float:
    """Quintic Bezier polynomial with control values p[0..5] at u (Bernstein form)."""
    v = 1.0 - u
    u2 = u * u
    v2 = v * v
    return (v2 * v2 * v * p[0] + 5.0 * v2 * v2 * u * p[1] + 10.0 * v2 * v * u2 * p[2]
            + 10.0 * v2 * u2 * u * p[3] + 5.0 * v * u2 * u2 * p[4] + u2 * u2 * u * p[5])


@njit(cache=True)
def _bezier_du(u: float, p: np.ndarray) -> float:
    """d/du of the quintic Bezier polynomial."""
    v = 1.0 - u
    u2 = u * u
    v2 = v * v
    return 5.0 * (v2 * v2 * (p[1] - p[0]) + 4.0 * v2 * v * u * (p[2] - p[1]) + 6.0 * v2 * u2 * (p[3] - p[2])
                  + 4.0 * v * u2 * u * (p[4] - p[3]) + u2 * u2 * (p[5] - p[4]))


@njit(cache=True)
def bezier_parameter(x: float, px: np.ndarray) -> float:
    """u in [0, 1] with x(u) = x for one segment whose x control points px rise monotonically.

    Newton's method from the linear guess, kept inside a shrinking bracket (a step that
    leaves it is replaced by bisection), until |x(u) - x| <= U_TOLERANCE (OpenSim's ``calcU``
    tolerance) or the bracket cannot shrink further.
    """
    x0 = px[0]
    x5 = px[5]
    if x <= x0:
        return 0.0
    if x >= x5:
        return 1.0
    lo = 0.0
    hi = 1.0
    u = (x - x0) / (x5 - x0)
    for _ in range(200):
        f = _bezier(u, px) - x
        if abs(f) <= U_TOLERANCE:
            return u
        if f > 0.0:
            hi = u
        else:
            lo = u
        if hi - lo <= 2.0 * _EPS:
            return u
        d = _bezier_du(u, px)
        un = u - f / d if d > 0.0 else -1.0
        if not (lo < un < hi):
            un = 0.5 * (lo + hi)
        u = un
    return u


@njit(cache=True)
def curve_value_derivative(ctrl_x: np.ndarray, ctrl_y: np.ndarray, n_segments: int, ends: np.ndarray,
                           x: float) -> tuple[float, float]:
    """(y, dy/dx) of one compiled curve at x, extrapolated linearly outside [x0, x1]."""
    if x < ends[0]:
        return ends[2] + ends[4] * (x - ends[0]), ends[4]
    if x > ends[1]:
        return ends[3] + ends[5] * (x - ends[1]), ends[5]
    if not (x == x):
        return np.nan, np.nan
    idx = n_segments - 1
    for i in range(n_segments):
        if ctrl_x[i, 0] <= x < ctrl_x[i, 5]:
            idx = i
            break
    px = ctrl_x[idx]
    py = ctrl_y[idx]
    u = bezier_parameter(x, px)
    return _bezier(u, py), _bezier_du(u, py) / _bezier_du(u, px)


@njit(cache=True)
def curve_values(ctrl_x: np.ndarray, ctrl_y: np.ndarray, n_segments: int, ends: np.ndarray,
                 x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and first derivative of one compiled curve at every element of the 1-D array x."""
    n = x.shape[0]
    y = np.empty(n)
    dy = np.empty(n)
    for i in range(n):
        y[i], dy[i] = curve_value_derivative(ctrl_x, ctrl_y, n_segments, ends, x[i])
    return y, dy


def evaluate(curve: BezierCurve, x: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """NumPy-facing wrapper: (value, dvalue/dx) of ``curve`` at ``x`` (any shape)."""
    xa = np.asarray(x, dtype=np.float64)
    y, dy = curve_values(curve.ctrl_x, curve.ctrl_y, curve.n_segments, curve.ends, np.ascontiguousarray(xa.ravel()))
    return y.reshape(xa.shape), dy.reshape(xa.shape)


# =========================================================================== rigid tendon

class CompiledMillard(NamedTuple):
    """A set of muscles compiled for :func:`rigid_tendon_forces`, index = muscle.

    Geometry (max_isometric_force, optimal_fiber_length, tendon_slack_length,
    pennation_angle_at_optimal, maximum_pennation_angle, max_contraction_velocity,
    min_norm_active_fiber_length) as (n,) arrays, and the in-use active force-length,
    force-velocity and passive fibre force-length curves stacked: ``*_x``/``*_y``
    (n, MAX_SEGMENTS, 6), ``*_n`` (n,), ``*_ends`` (n, 6).
    """
    names: tuple[str, ...]
    geometry: np.ndarray  # (n, 7) columns as in the docstring
    fal_x: np.ndarray
    fal_y: np.ndarray
    fal_n: np.ndarray
    fal_ends: np.ndarray
    fv_x: np.ndarray
    fv_y: np.ndarray
    fv_n: np.ndarray
    fv_ends: np.ndarray
    fpe_x: np.ndarray
    fpe_y: np.ndarray
    fpe_n: np.ndarray
    fpe_ends: np.ndarray


def compile_muscles(muscles: Sequence[MillardParameters], *, ignore_tendon_compliance: bool = True) -> CompiledMillard:
    """Compile muscles for :func:`rigid_tendon_forces`, with the curves OpenSim uses after
    :meth:`MillardParameters.in_use` (rigid tendon by default, as static optimisation)."""
    used = [m.in_use(ignore_tendon_compliance) for m in muscles]
    curves = {"fal": [active_force_length_curve(m.active_force_length) for m in used],
              "fv": [force_velocity_curve(m.force_velocity) for m in used],
              "fpe": [fiber_force_length_curve(m.fiber_force_length) for m in used]}
    geometry = np.array([[m.max_isometric_force, m.optimal_fiber_length, m.tendon_slack_length,
                          m.pennation_angle_at_optimal, m.maximum_pennation_angle, m.max_contraction_velocity,
                          m.active_force_length.min_norm_active_fiber_length] for m in used],
                        dtype=np.float64).reshape(len(used), 7)
    packed: dict[str, np.ndarray] = {}
    for key, cs in curves.items():
        packed[f"{key}_x"] = np.array([c.ctrl_x for c in cs]).reshape(len(cs), MAX_SEGMENTS, 6)
        packed[f"{key}_y"] = np.array([c.ctrl_y for c in cs]).reshape(len(cs), MAX_SEGMENTS, 6)
        packed[f"{key}_n"] = np.array([c.n_segments for c in cs], dtype=np.int64)
        packed[f"{key}_ends"] = np.array([c.ends for c in cs]).reshape(len(cs), 6)
    return CompiledMillard(names=tuple(m.name for m in used), geometry=geometry, **packed)


@njit(cache=True)
def _pennation_angle(length: float, alpha0: float, h: float, pen_min_length: float, max_angle: float) -> float:
    """``MuscleFixedWidthPennationModel::calcPennationAngle``: asin(h / l), at most max_angle."""
    if alpha0 > _EPS:
        if length > pen_min_length:
            s = h / length
            return math.asin(s) if s < math.sin(max_angle) else max_angle
        return max_angle
    return 0.0


@njit(cache=True)
def rigid_tendon_kernel(geometry: np.ndarray, fal_x: np.ndarray, fal_y: np.ndarray, fal_n: np.ndarray,
                        fal_ends: np.ndarray, fv_x: np.ndarray, fv_y: np.ndarray, fv_n: np.ndarray,
                        fv_ends: np.ndarray, fpe_x: np.ndarray, fpe_y: np.ndarray, fpe_n: np.ndarray,
                        fpe_ends: np.ndarray, mtu_length: np.ndarray, mtu_speed: np.ndarray,
                        pennation_from_normalized_length: bool, active: np.ndarray, passive: np.ndarray,
                        fiber_length: np.ndarray, pennation: np.ndarray, f_l: np.ndarray, f_pe: np.ndarray,
                        f_v: np.ndarray) -> None:
    """Fill (muscles, frames) arrays: active fibre force along the tendon per unit activation,
    passive elastic fibre force along the tendon, fibre length, pennation angle, and the three
    curves' values f_L and f_PE at the (clamped) normalised fibre length and f_V at the normalised
    fibre velocity.

    Rigid tendon of tendon_slack_length l_s; constant-thickness parallelogram of height
    h = l_opt sin(alpha_opt). Fibre length along the tendon l_AT = l_MT - l_s; fibre length
    l = sqrt(h^2 + l_AT^2), or the pennation model's minimum h / sin(alpha_max) (0.01 l_opt
    when alpha_max = 0) when l_AT is below its projection; the muscle clamps l to
    l_min = max(min_norm_active_fiber_length l_opt, that minimum), and at l <= l_min the
    fibre state is clamped and both forces are 0. Otherwise
    active = F0 f_L(l / l_opt) f_V(v~) cos(alpha) and passive = F0 f_PE(l / l_opt) cos(alpha),
    with v~ = v_MT cos(alpha) / (v_max l_opt) (0 for a zero speed, f_V(0) = 1).

    ``pennation_from_normalized_length`` reproduces OpenSim 4.6's
    ``calcActiveFiberForceAlongTendon`` (used by ``calcInextensibleTendonActiveFiberForce``,
    hence by StaticOptimization), which passes the *normalised* fibre length to
    ``calcPennationAngle``: the cosine in ``active`` then uses asin(h / (l / l_opt)).
    """
    nm, nf = mtu_length.shape
    for m in range(nm):
        f0 = geometry[m, 0]
        lopt = geometry[m, 1]
        lts = geometry[m, 2]
        alpha0 = geometry[m, 3]
        amax = geometry[m, 4]
        vmax = geometry[m, 5]
        h = lopt * math.sin(alpha0)
        if amax > _SIGNIFICANT_REAL:
            pen_min = h / math.sin(amax)
        else:
            pen_min = 0.01 * lopt
        pen_min_at = pen_min * math.cos(amax)
        lmin = max(_SIGNIFICANT_REAL, max(geometry[m, 6] * lopt, pen_min))
        for k in range(nf):
            lat = mtu_length[m, k] - lts
            if lat >= pen_min_at:
                lce = math.sqrt(h * h + lat * lat)
            else:
                lce = pen_min
            clamped = lce <= lmin
            if clamped:
                lce = lmin
            phi = _pennation_angle(lce, alpha0, h, pen_min, amax)
            cphi = math.cos(phi)
            lce_n = lce / lopt
            fal = curve_value_derivative(fal_x[m], fal_y[m], fal_n[m], fal_ends[m], lce_n)[0]
            fpe = curve_value_derivative(fpe_x[m], fpe_y[m], fpe_n[m], fpe_ends[m], lce_n)[0]
            v_n = mtu_speed[m, k] * cphi / (lopt * vmax)
            fv = curve_value_derivative(fv_x[m], fv_y[m], fv_n[m], fv_ends[m], v_n)[0]
            f_l[m, k] = fal
            f_pe[m, k] = fpe
            f_v[m, k] = fv
            if clamped:
                fiber_length[m, k] = lce
                pennation[m, k] = phi
                active[m, k] = 0.0
                passive[m, k] = 0.0
                continue
            if pennation_from_normalized_length:
                c_act = math.cos(_pennation_angle(lce_n, alpha0, h, pen_min, amax))
            else:
                c_act = cphi
            fiber_length[m, k] = lce
            pennation[m, k] = phi
            active[m, k] = f0 * fal * fv * c_act
            passive[m, k] = f0 * fpe * cphi


class RigidTendonForces(NamedTuple):
    """(muscles, frames) arrays from :func:`rigid_tendon_forces` (N, m, rad; the curves' values
    dimensionless)."""
    active: np.ndarray
    passive: np.ndarray
    fiber_length: np.ndarray
    pennation_angle: np.ndarray
    active_force_length: np.ndarray
    passive_force_length: np.ndarray
    force_velocity: np.ndarray


def rigid_tendon_forces(compiled: CompiledMillard, mtu_length: np.ndarray, mtu_speed: np.ndarray | None = None, *,
                        pennation_from_normalized_length: bool = False) -> RigidTendonForces:
    """Static-optimisation forces of Millard muscles with an inextensible tendon.

    ``mtu_length`` (and optional ``mtu_speed``, lengthening positive; default zero fibre
    velocity) are (muscles, frames).

    * ``active``: the fibre's active force along the tendon at activation 1,
      F0 f_L f_V cos(alpha). OpenSim's StaticOptimization multiplies it by the activation
      (``calcInextensibleTendonActiveFiberForce(s, 1.0)``). Activation 1 is inside
      ``clampActivation``'s [minimum_activation, 1], so minimum_activation does not change
      it; it bounds the activations only through ``min_control`` (which OpenSim requires to
      be >= minimum_activation). StaticOptimization evaluates f_V at the state's path
      lengthening speed (fibre velocity v_MT cos(alpha) with a rigid tendon): pass
      ``mtu_speed`` to reproduce that, or leave it out for f_V(0) = 1.
    * ``passive``: the elastic fibre force along the tendon F0 f_PE cos(alpha).
      StaticOptimization overrides each muscle's whole force by activation * active and so
      leaves it out. The damping force F0 beta v~ (0 at zero fibre velocity) is not included.

    With ``pennation_from_normalized_length`` the active force reproduces OpenSim 4.6's
    ``calcInextensibleTendonActiveFiberForce`` exactly, including its use of the normalised
    fibre length in the pennation angle (see :func:`rigid_tendon_kernel`); without it, it
    equals ``getActiveFiberForceAlongTendon`` of an equilibrated rigid-tendon muscle.
    """
    lengths = np.ascontiguousarray(np.asarray(mtu_length, dtype=np.float64))
    if lengths.ndim != 2 or lengths.shape[0] != compiled.geometry.shape[0]:
        raise ValueError(f"mtu_length must have shape (muscles={compiled.geometry.shape[0]}, frames); "
                         f"got {lengths.shape}")
    speeds = (np.zeros_like(lengths) if mtu_speed is None
              else np.ascontiguousarray(np.broadcast_to(np.asarray(mtu_speed, dtype=np.float64), lengths.shape)))
    out = [np.empty_like(lengths) for _ in range(7)]
    rigid_tendon_kernel(compiled.geometry, compiled.fal_x, compiled.fal_y, compiled.fal_n, compiled.fal_ends,
                        compiled.fv_x, compiled.fv_y, compiled.fv_n, compiled.fv_ends,
                        compiled.fpe_x, compiled.fpe_y, compiled.fpe_n, compiled.fpe_ends,
                        lengths, speeds, pennation_from_normalized_length, *out)
    return RigidTendonForces(*out)


# =========================================================================== XML

_CURVE_TAGS = ("ActiveForceLengthCurve", "ForceVelocityCurve", "FiberForceLengthCurve", "TendonForceLengthCurve")
_CURVE_CLASSES: dict[str, type] = {"ActiveForceLengthCurve": ActiveForceLengthCurveParameters,
                  "ForceVelocityCurve": ForceVelocityCurveParameters,
                  "FiberForceLengthCurve": FiberForceLengthCurveParameters,
                  "TendonForceLengthCurve": TendonForceLengthCurveParameters}
_CURVE_FIELDS = {"ActiveForceLengthCurve": "active_force_length", "ForceVelocityCurve": "force_velocity",
                 "FiberForceLengthCurve": "fiber_force_length", "TendonForceLengthCurve": "tendon_force_length"}
_CURVE_BUILDERS = {"ActiveForceLengthCurve": active_force_length_curve, "ForceVelocityCurve": force_velocity_curve,
                   "FiberForceLengthCurve": fiber_force_length_curve,
                   "TendonForceLengthCurve": tendon_force_length_curve}
_MUSCLE_NUMBERS = ("max_isometric_force", "optimal_fiber_length", "tendon_slack_length", "pennation_angle_at_optimal",
                   "max_contraction_velocity", "maximum_pennation_angle", "fiber_damping", "minimum_activation",
                   "default_activation")


def _number(el: ET.Element, tag: str, key: str, source: str | None) -> float | None:
    child = el.find(tag)
    if child is None:
        return None
    raw = (child.text or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise input_error(source, f"{key}.{tag}", raw, "a number is required") from None
    if not math.isfinite(value):
        raise input_error(source, f"{key}.{tag}", raw, "a finite number is required")
    return value


def _flag(el: ET.Element, tag: str, key: str, source: str | None) -> bool | None:
    child = el.find(tag)
    if child is None:
        return None
    raw = (child.text or "").strip()
    if raw.lower() not in ("true", "false"):
        raise input_error(source, f"{key}.{tag}", raw, "true or false is required")
    return raw.lower() == "true"


def millard_parameters_from_xml(element: ET.Element, *, source: str | None = None) -> MillardParameters:
    """Read a ``<Millard2012EquilibriumMuscle>`` element into :class:`MillardParameters`.

    Absent properties and absent curve elements take OpenSim's defaults. A value that is not
    a finite number (or a flag other than true/false), a muscle property outside OpenSim's
    range, or a curve OpenSim's factory would refuse raises :class:`~hipsim.errors.InputError`
    naming ``source`` (the file), the element path and the value.
    """
    if element.tag != "Millard2012EquilibriumMuscle":
        raise input_error(source, "element", element.tag, "a <Millard2012EquilibriumMuscle> element is required")
    name = element.get("name", "")
    key = f"Millard2012EquilibriumMuscle '{name}'"
    kwargs: dict[str, object] = {"name": name}
    for tag in _MUSCLE_NUMBERS:
        v = _number(element, tag, key, source)
        if v is not None:
            kwargs[tag] = v
    flag = _flag(element, "ignore_tendon_compliance", key, source)
    if flag is not None:
        kwargs["ignore_tendon_compliance"] = flag
    for ctag in _CURVE_TAGS:
        cel = element.find(ctag)
        if cel is None:
            continue
        ckey = f"{key}.{ctag}"
        cls = _CURVE_CLASSES[ctag]
        ckw = {}
        for f in fields(cls):
            v = _number(cel, f.name, ckey, source)
            if v is not None:
                ckw[f.name] = v
        kwargs[_CURVE_FIELDS[ctag]] = cls(**ckw)
    params = MillardParameters(**kwargs)  # type: ignore[arg-type]
    _validate(params, key, source)
    return params


def _validate(p: MillardParameters, key: str, source: str | None) -> None:
    """Refuse what OpenSim refuses when it builds the muscle (InputError naming the property)."""
    checks = (("max_isometric_force", p.max_isometric_force >= 0, "it must be >= 0"),
              ("optimal_fiber_length", p.optimal_fiber_length > 0, "it must be > 0"),
              ("tendon_slack_length", p.tendon_slack_length >= 0, "it must be >= 0"),
              ("pennation_angle_at_optimal", 0 <= p.pennation_angle_at_optimal < math.pi / 2 - _SIGNIFICANT_REAL,
               "it must be within [0, pi/2) radians"),
              ("maximum_pennation_angle", 0 <= p.maximum_pennation_angle <= math.pi / 2,
               "it must be within [0, pi/2] radians"),
              ("max_contraction_velocity", p.max_contraction_velocity > 0, "it must be > 0"),
              ("fiber_damping", p.fiber_damping >= 0, "it must be >= 0"),
              ("minimum_activation", 0 <= p.minimum_activation <= 1, "it must be within [0, 1]"))
    for tag, ok, allowed in checks:
        if not ok:
            raise input_error(source, f"{key}.{tag}", getattr(p, tag), allowed)
    for ctag in _CURVE_TAGS:
        try:
            _CURVE_BUILDERS[ctag](getattr(p, _CURVE_FIELDS[ctag]))  # type: ignore[operator]
        except CurveParameterError as e:
            raise input_error(source, f"{key}.{ctag}.{e.parameter}", e.value, e.allowed) from None
    try:
        p.in_use()
    except CurveParameterError as e:
        raise input_error(source, f"{key}.{e.parameter}", e.value, e.allowed) from None


__all__ = [
    "ActiveForceLengthCurveParameters", "BezierCurve", "CompiledMillard", "CurveParameterError",
    "FiberForceLengthCurveParameters", "ForceVelocityCurveParameters", "InputError", "MAX_SEGMENTS",
    "MillardParameters", "RigidTendonForces", "TendonForceLengthCurveParameters", "active_force_length_curve",
    "bezier_parameter", "compile_muscles", "corner_control_points", "curve_value_derivative", "curve_values",
    "evaluate", "fiber_force_length_curve", "force_velocity_curve", "millard_parameters_from_xml",
    "rigid_tendon_forces", "rigid_tendon_kernel", "scale_curviness", "tendon_force_length_curve",
]
