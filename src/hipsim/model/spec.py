"""The model description: plain, immutable records of bodies, joints, coordinates and muscles.

This is the readable side of a model (what a model file says). :mod:`hipsim.model.compiled`
turns it into flat arrays for the numba kernels. Every record validates itself on
construction, so a description that exists is a description that can be compiled; the
error names the source file, the element and the value.

Units are SI (kg, m, s, N) and angles are radians, as in OpenSim model files.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Sequence, Union

import numpy as np

from hipsim.errors import input_error

Vec3 = tuple[float, float, float]


def _finite(source: str | None, key: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise input_error(source, key, value, "a number is required") from None
    if not math.isfinite(v):
        raise input_error(source, key, value, "a finite number is required")
    return v


def _positive(source: str | None, key: str, value: float) -> float:
    v = _finite(source, key, value)
    if v <= 0.0:
        raise input_error(source, key, value, "a value greater than zero is required")
    return v


def _vec(source: str | None, key: str, value: Sequence[float], n: int = 3) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != n:
        raise input_error(source, key, value, f"a list of {n} numbers is required")
    return tuple(_finite(source, f"{key}[{i}]", x) for i, x in enumerate(value))


def _point(source: str | None, key: str, value: Sequence[float]) -> tuple[float, ...]:
    """A 3-vector of coordinates of a point (m) within :data:`POINT_LIMIT_M`."""
    v = _vec(source, key, value)
    for i, x in enumerate(v):
        if abs(x) > POINT_LIMIT_M:
            raise input_error(source, f"{key}[{i}]", x,
                              f"coordinates of points must lie within {POINT_LIMIT_M:g} m of their body's "
                              "origin (check the unit: model files are in metres)")
    return v


def _check_inertia(source: str | None, key: str, value: Sequence[float]) -> None:
    """[Ixx, Iyy, Izz, Ixy, Ixz, Iyz] must be a physical inertia: its principal moments are not
    negative and each is at most the sum of the other two (the triangle inequality of rigid
    bodies), within a relative rounding tolerance."""
    ixx, iyy, izz, ixy, ixz, iyz = _vec(source, key, value, 6)
    matrix = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
    principal = np.linalg.eigvalsh(matrix)
    tol = 1e-9 * max(float(np.abs(principal).max()), 1e-300)
    if principal[0] < -tol:
        raise input_error(source, key, list(value),
                          f"an inertia must be positive semi-definite (principal moments {principal[0]:.3g}, "
                          f"{principal[1]:.3g}, {principal[2]:.3g} kg m^2 include a negative one)")
    if principal[2] > principal[0] + principal[1] + tol:
        raise input_error(source, key, list(value),
                          f"the principal moments ({principal[0]:.3g}, {principal[1]:.3g}, {principal[2]:.3g} "
                          "kg m^2) break the triangle inequality: the largest must not exceed the sum of the others")


def _function_metres(source: str | None, key: str, f: "Function") -> None:
    """The values a moving path point's function gives (m) lie within :data:`POINT_LIMIT_M`."""
    scale = 1.0
    while isinstance(f, Multiplier):
        scale *= f.scale
        f = f.inner
    values = (f.value,) if isinstance(f, Constant) else (f.intercept,) if isinstance(f, Linear) else \
        tuple(f.y) if isinstance(f, SimmSpline) else ()
    for v in values:
        if abs(scale * v) > POINT_LIMIT_M:
            raise input_error(source, key, scale * v,
                              f"coordinates of points must lie within {POINT_LIMIT_M:g} m of their body's "
                              "origin (check the unit: model files are in metres)")


# --------------------------------------------------------------------------- functions

@dataclass(frozen=True)
class Constant:
    """f(x) = value (OpenSim ``Constant``)."""

    value: float


@dataclass(frozen=True)
class Linear:
    """f(x) = slope * x + intercept (OpenSim ``LinearFunction``, coefficients [slope, intercept])."""

    slope: float
    intercept: float


@dataclass(frozen=True)
class SimmSpline:
    """Interpolating cubic spline through (x, y) with the end conditions of OpenSim's ``SimmSpline``.

    OpenSim's SimmSpline is the spline of Forsythe, Malcolm & Moler (1977, *Computer Methods
    for Mathematical Computations*, routine SPLINE): the third derivative at each end equals
    that of the cubic through the four end knots (two knots: a straight line; three: zero
    third derivative). Outside [x0, xn] it extrapolates linearly with the end slope.
    ``x`` must be strictly increasing.
    """

    x: tuple[float, ...]
    y: tuple[float, ...]


@dataclass(frozen=True)
class Multiplier:
    """f(x) = scale * inner(x) (OpenSim ``MultiplierFunction``, written by the Scale tool)."""

    scale: float
    inner: "Function"


Function = Union[Constant, Linear, SimmSpline, Multiplier]


def check_function(source: str | None, key: str, f: Function, _depth: int = 0) -> Function:
    """Validate a function record; return it unchanged or raise :class:`InputError`."""
    if _depth > MAX_FUNCTION_DEPTH:
        raise input_error(source, key, f"{_depth} nested multipliers",
                          f"functions may nest at most {MAX_FUNCTION_DEPTH} MultiplierFunctions")
    if isinstance(f, Constant):
        _finite(source, f"{key}.value", f.value)
    elif isinstance(f, Linear):
        _finite(source, f"{key}.slope", f.slope)
        _finite(source, f"{key}.intercept", f.intercept)
    elif isinstance(f, SimmSpline):
        if len(f.x) != len(f.y):
            raise input_error(source, f"{key}.y", len(f.y),
                              f"the spline needs as many y values as x values ({len(f.x)})")
        if len(f.x) < 2:
            raise input_error(source, f"{key}.x", list(f.x), "a spline needs at least 2 knots")
        xs = [_finite(source, f"{key}.x[{i}]", v) for i, v in enumerate(f.x)]
        for i, v in enumerate(f.y):
            _finite(source, f"{key}.y[{i}]", v)
        for i in range(1, len(xs)):
            if xs[i] <= xs[i - 1]:
                raise input_error(source, f"{key}.x[{i}]", xs[i],
                                  f"spline knots must be strictly increasing (previous knot {xs[i-1]!r})")
    elif isinstance(f, Multiplier):
        _finite(source, f"{key}.scale", f.scale)
        check_function(source, f"{key}.inner", f.inner, _depth + 1)
    else:
        raise input_error(source, key, type(f).__name__,
                          "a function must be constant, linear, simm_spline or multiplier")
    return f


# --------------------------------------------------------------------------- bodies, joints

@dataclass(frozen=True)
class Body:
    """A rigid body: mass (kg), centre of mass (m, body frame) and inertia about the centre of mass
    (kg m^2) as [Ixx, Iyy, Izz, Ixy, Ixz, Iyz] in the body frame, as OpenSim writes it."""

    name: str
    mass: float
    mass_center: Vec3
    inertia: tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class Frame:
    """A frame fixed in a body: translation (m) and orientation as X-Y-Z body-fixed Euler angles
    (rad), the convention of OpenSim's PhysicalOffsetFrame."""

    translation: Vec3 = (0.0, 0.0, 0.0)
    orientation: Vec3 = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Coordinate:
    """A generalised coordinate: default value, allowed range and locked flag.

    ``motion`` is ``"rotational"`` (radians) or ``"translational"`` (metres).
    """

    name: str
    default: float
    range: tuple[float, float]
    locked: bool = False
    motion: Literal["rotational", "translational"] = "rotational"


@dataclass(frozen=True)
class TransformAxis:
    """One of a CustomJoint's six axes: an axis in the joint's parent frame and a function of
    (at most) one coordinate giving the angle (rotation axes) or displacement (translation axes)."""

    axis: Vec3
    function: Function
    coordinate: str | None = None


@dataclass(frozen=True)
class Joint:
    """A joint connecting ``child`` to ``parent``.

    ``kind`` is ``"custom"`` (OpenSim CustomJoint: three rotations applied in order about
    body-fixed axes, then three translations along axes of the parent offset frame, each a
    function of a coordinate), ``"pin"`` (one rotation about the z axis of the joint frames)
    or ``"weld"`` (no motion). For a custom joint ``transform`` holds exactly six axes:
    rotation1-3 then translation1-3.
    """

    name: str
    kind: Literal["custom", "pin", "weld"]
    parent: str
    child: str
    parent_frame: Frame
    child_frame: Frame
    coordinates: tuple[Coordinate, ...] = ()
    transform: tuple[TransformAxis, ...] = ()


# --------------------------------------------------------------------------- muscles

@dataclass(frozen=True)
class PathPoint:
    """A fixed muscle path point: ``location`` (m) in ``body``."""

    body: str
    location: Vec3


@dataclass(frozen=True)
class ConditionalPathPoint:
    """A path point that is part of the path only while ``coordinate`` lies within ``range``
    (inclusive), as OpenSim's ConditionalPathPoint."""

    body: str
    location: Vec3
    coordinate: str
    range: tuple[float, float]


@dataclass(frozen=True)
class MovingPathPoint:
    """A path point whose x, y and z in ``body`` are functions of (possibly different)
    coordinates, as OpenSim's MovingPathPoint (used for the gait2392 quadriceps insertion)."""

    body: str
    x: Function
    y: Function
    z: Function
    x_coordinate: str
    y_coordinate: str
    z_coordinate: str


AnyPathPoint = Union[PathPoint, ConditionalPathPoint, MovingPathPoint]


@dataclass(frozen=True)
class ThelenParameters:
    """Shape parameters of the Thelen (2003) muscle model, as OpenSim's Thelen2003Muscle names them.

    The curves are Thelen's (2003, J Biomech Eng 125:70-77); the defaults are the values the
    gait2392_thelen2003muscle.osim file distributed with OpenSim sets on its muscles:
    KshapeActive 0.5, KshapePassive 4, FmaxMuscleStrain 0.6, FmaxTendonStrain 0.033,
    Af 0.3, Flen 1.8 (OpenSim 4's class defaults differ, see :mod:`hipsim.muscles.thelen`).
    """

    k_shape_active: float = 0.5
    k_shape_passive: float = 4.0
    fmax_muscle_strain: float = 0.6
    fmax_tendon_strain: float = 0.033
    af: float = 0.3
    flen: float = 1.8


@dataclass(frozen=True)
class Muscle:
    """A muscle-tendon unit: Hill-type parameters and its path.

    ``name`` is descriptive (``gluteus_minimus_anterior_r``) and ``alias`` the OpenSim name
    (``glut_min1_r``). Forces in N, lengths in m, pennation at optimal fibre length in rad,
    maximum contraction velocity in optimal fibre lengths per second.
    """

    name: str
    alias: str
    kind: str
    max_isometric_force: float
    optimal_fiber_length: float
    tendon_slack_length: float
    pennation_angle: float
    max_contraction_velocity: float
    path: tuple[AnyPathPoint, ...]
    thelen: ThelenParameters = field(default_factory=ThelenParameters)
    #: Fraction of the muscle's normal strength that ``max_isometric_force`` already includes
    #: (1 unless the model was weakened with :meth:`hipsim.Model.with_strength`), so that every
    #: result can say what strength each muscle ran at.
    strength: float = 1.0


# --------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class ModelSpec:
    """A complete model description. ``source`` names the file it came from (for messages).

    ``height_m`` is the standing height of the person the model represents (its subject; the
    mass is the sum of the body masses), or None where the file does not say (an OpenSim
    model): then :attr:`hipsim.Model.height_m` estimates it. Scaling records the new height.
    """

    name: str
    bodies: tuple[Body, ...]
    joints: tuple[Joint, ...]
    muscles: tuple[Muscle, ...]
    gravity: Vec3 = (0.0, -9.80665, 0.0)
    credits: str = ""
    license: str = ""
    notes: tuple[str, ...] = ()
    height_m: float | None = None
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def coordinates(self) -> tuple[Coordinate, ...]:
        """All coordinates in joint order."""
        return tuple(c for j in self.joints for c in j.coordinates)


GROUND = "ground"

#: Plausibility bound (m) on every coordinate of a point a model file places in a body frame:
#: centres of mass, joint frame origins and muscle path points. The largest such distance in a
#: human model is under 1 m (a body's frame to its far end), so 10 m only catches a wrong unit or
#: a corrupted number, such as 1e200, that would overflow the mechanics.
POINT_LIMIT_M = 10.0

#: Accepted magnitude of the gravity vector (m/s^2): wide enough for any planet a model might be
#: set on (Earth 9.81, the Moon 1.62), narrow enough that a zero or mistyped vector, which would
#: make body weight (the unit of every reported load) zero or absurd, is refused.
GRAVITY_RANGE_M_S2 = (0.1, 100.0)

#: Deepest nesting of MultiplierFunctions accepted (the Scale tool writes one level per scaling).
MAX_FUNCTION_DEPTH = 32


def validate(spec: ModelSpec) -> None:
    """Check a model description for consistency; raise :class:`InputError` naming the first problem.

    Checks: at least one body and a total mass above zero, unique names, positive
    masses/forces/lengths, finite numbers, physical inertias (positive semi-definite, triangle
    inequality), coordinates of points within :data:`POINT_LIMIT_M`, gravity within
    :data:`GRAVITY_RANGE_M_S2`, known body and coordinate references, a tree (each body the child
    of exactly one joint, reachable from ground), spline knots increasing, ranges ordered.
    """
    src = spec.source
    if not spec.bodies:
        raise input_error(src, "bodies", 0, "a model needs at least one body besides ground")
    names: set[str] = {GROUND}
    for b in spec.bodies:
        key = f"body '{b.name}'"
        if b.name in names:
            raise input_error(src, f"{key}.name", b.name, "body names must be unique and not 'ground'")
        names.add(b.name)
        if _finite(src, f"{key}.mass", b.mass) < 0.0:
            raise input_error(src, f"{key}.mass", b.mass, "a mass must not be negative")
        _point(src, f"{key}.mass_center", b.mass_center)
        _check_inertia(src, f"{key}.inertia", b.inertia)
    if not sum(b.mass for b in spec.bodies) > 0.0:
        raise input_error(src, "mass", 0.0, "the bodies' masses must add up to more than zero (body weight is the "
                          "unit of the results)")
    g = math.sqrt(sum(x * x for x in _vec(src, "gravity", spec.gravity)))
    lo, hi = GRAVITY_RANGE_M_S2
    if not lo <= g <= hi:
        raise input_error(src, "gravity", list(spec.gravity),
                          f"gravity must be non-zero, with a magnitude from {lo:g} to {hi:g} m/s^2 (Earth: 9.81)")
    if spec.height_m is not None:
        _positive(src, "height_m", spec.height_m)

    coords: set[str] = set()
    children: set[str] = set()
    for j in spec.joints:
        key = f"joint '{j.name}'"
        for role, body in (("parent", j.parent), ("child", j.child)):
            if body not in names:
                raise input_error(src, f"{key}.{role}", body, "it must name a body of the model or 'ground'")
        if j.child == GROUND or j.child in children:
            raise input_error(src, f"{key}.child", j.child,
                              "each body must be the child of exactly one joint (the model is a tree)")
        children.add(j.child)
        for fr_name, fr in (("parent_frame", j.parent_frame), ("child_frame", j.child_frame)):
            _point(src, f"{key}.{fr_name}.translation", fr.translation)
            _vec(src, f"{key}.{fr_name}.orientation", fr.orientation)
        own = set()
        for c in j.coordinates:
            ck = f"coordinate '{c.name}'"
            if c.name in coords:
                raise input_error(src, f"{ck}.name", c.name, "coordinate names must be unique")
            coords.add(c.name)
            own.add(c.name)
            lo, hi = (_finite(src, f"{ck}.range", v) for v in c.range)
            if lo > hi:
                raise input_error(src, f"{ck}.range", list(c.range), "the range must be [min, max] with min <= max")
            _finite(src, f"{ck}.default", c.default)
            if c.motion not in ("rotational", "translational"):
                raise input_error(src, f"{ck}.motion", c.motion, "use 'rotational' or 'translational'")
        if j.kind == "custom":
            if len(j.transform) != 6:
                raise input_error(src, f"{key}.transform", len(j.transform),
                                  "a custom joint needs exactly 6 transform axes (rotation1-3, translation1-3)")
            for i, ax in enumerate(j.transform):
                ak = f"{key}.transform[{i}]"
                a = _vec(src, f"{ak}.axis", ax.axis)
                if math.sqrt(sum(x * x for x in a)) < 1e-12:
                    raise input_error(src, f"{ak}.axis", list(ax.axis), "an axis must have non-zero length")
                check_function(src, f"{ak}.function", ax.function)
                if ax.coordinate is not None and ax.coordinate not in own:
                    raise input_error(src, f"{ak}.coordinate", ax.coordinate,
                                      f"it must name a coordinate of this joint ({sorted(own)})")
        elif j.kind == "pin":
            if len(j.coordinates) != 1:
                raise input_error(src, f"{key}.coordinates", len(j.coordinates),
                                  "a pin joint has exactly one coordinate")
        elif j.kind == "weld":
            if j.coordinates:
                raise input_error(src, f"{key}.coordinates", len(j.coordinates), "a weld joint has no coordinates")
        else:
            raise input_error(src, f"{key}.type", j.kind, "use 'custom', 'pin' or 'weld'")
    missing = [b.name for b in spec.bodies if b.name not in children]
    if missing:
        raise input_error(src, f"body '{missing[0]}'", missing[0], "every body must be the child of a joint")
    _check_tree(spec)

    seen: set[str] = set()
    for m in spec.muscles:
        key = f"muscle '{m.name}'"
        for n in {m.name, m.alias}:
            if n in seen:
                raise input_error(src, f"{key}.name", n, "muscle names and aliases must be unique")
            seen.add(n)
        _positive(src, f"{key}.max_isometric_force", m.max_isometric_force)
        _positive(src, f"{key}.optimal_fiber_length", m.optimal_fiber_length)
        _positive(src, f"{key}.tendon_slack_length", m.tendon_slack_length)
        _positive(src, f"{key}.max_contraction_velocity", m.max_contraction_velocity)
        _positive(src, f"{key}.strength", m.strength)
        pa = _finite(src, f"{key}.pennation_angle", m.pennation_angle)
        if not 0.0 <= pa < math.pi / 2:
            raise input_error(src, f"{key}.pennation_angle", pa, "it must lie in [0, pi/2) rad")
        t = m.thelen
        for fname in ("k_shape_active", "k_shape_passive", "fmax_muscle_strain", "fmax_tendon_strain", "af", "flen"):
            _positive(src, f"{key}.thelen.{fname}", getattr(t, fname))
        if len(m.path) < 2:
            raise input_error(src, f"{key}.path", len(m.path), "a muscle path needs at least 2 points")
        if isinstance(m.path[0], ConditionalPathPoint) or isinstance(m.path[-1], ConditionalPathPoint):
            raise input_error(src, f"{key}.path", "conditional end point",
                              "the first and last path points must be fixed or moving, not conditional")
        for i, p in enumerate(m.path):
            pk = f"{key}.path[{i}]"
            if p.body not in names:
                raise input_error(src, f"{pk}.body", p.body, "it must name a body of the model or 'ground'")
            if isinstance(p, (PathPoint, ConditionalPathPoint)):
                _point(src, f"{pk}.location", p.location)
            if isinstance(p, ConditionalPathPoint):
                if p.coordinate not in coords:
                    raise input_error(src, f"{pk}.coordinate", p.coordinate, "it must name a coordinate of the model")
                lo, hi = (_finite(src, f"{pk}.range", v) for v in p.range)
                if lo > hi:
                    raise input_error(src, f"{pk}.range", list(p.range), "the range must be [min, max] with min <= max")
            if isinstance(p, MovingPathPoint):
                for axis in "xyz":
                    c = getattr(p, f"{axis}_coordinate")
                    if c not in coords:
                        raise input_error(src, f"{pk}.{axis}.coordinate", c, "it must name a coordinate of the model")
                    check_function(src, f"{pk}.{axis}.function", getattr(p, axis))
                    _function_metres(src, f"{pk}.{axis}.function", getattr(p, axis))


def _check_tree(spec: ModelSpec) -> None:
    """Every body must reach ground through its joints (no cycles)."""
    parent = {j.child: j.parent for j in spec.joints}
    for b in spec.bodies:
        seen = {b.name}
        cur = b.name
        while cur != GROUND:
            cur = parent[cur]
            if cur in seen:
                raise input_error(spec.source, f"body '{b.name}'", b.name,
                                  "the joints form a loop; a model must be a tree rooted at ground")
            seen.add(cur)
