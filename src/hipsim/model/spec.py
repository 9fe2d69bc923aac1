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
        tuple(f.y) if isinstance(f, SimmSpline) else (f.coefficients[-1],) if isinstance(f, Polynomial) else ()
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
class Polynomial:
    """f(x) = c[0] x^(n-1) + c[1] x^(n-2) + ... + c[n-1] (OpenSim ``PolynomialFunction``:
    coefficients from the highest order to the constant term; at least one)."""

    coefficients: tuple[float, ...]


@dataclass(frozen=True)
class Multiplier:
    """f(x) = scale * inner(x) (OpenSim ``MultiplierFunction``, written by the Scale tool)."""

    scale: float
    inner: "Function"


Function = Union[Constant, Linear, SimmSpline, Polynomial, Multiplier]


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
    elif isinstance(f, Polynomial):
        if not 1 <= len(f.coefficients) <= MAX_POLYNOMIAL_COEFFICIENTS:
            raise input_error(source, f"{key}.coefficients", len(f.coefficients),
                              f"a polynomial needs 1 to {MAX_POLYNOMIAL_COEFFICIENTS} coefficients")
        for i, v in enumerate(f.coefficients):
            _finite(source, f"{key}.coefficients[{i}]", v)
    elif isinstance(f, Multiplier):
        _finite(source, f"{key}.scale", f.scale)
        check_function(source, f"{key}.inner", f.inner, _depth + 1)
    else:
        raise input_error(source, key, type(f).__name__,
                          "a function must be constant, linear, simm_spline, polynomial or multiplier")
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
    function of a coordinate), ``"pin"`` (one rotation about the z axis of the joint frames),
    ``"universal"`` (OpenSim UniversalJoint: a rotation by the first coordinate about the x axis
    of the joint frames, then by the second about the new y axis) or ``"weld"`` (no motion).
    For a custom joint ``transform`` holds exactly six axes: rotation1-3 then translation1-3.
    """

    name: str
    kind: Literal["custom", "pin", "universal", "weld"]
    parent: str
    child: str
    parent_frame: Frame
    child_frame: Frame
    coordinates: tuple[Coordinate, ...] = ()
    transform: tuple[TransformAxis, ...] = ()


@dataclass(frozen=True)
class CoordinateCoupler:
    """A coupled coordinate (OpenSim CoordinateCouplerConstraint, enforced): the coordinate
    ``dependent`` equals ``scale_factor * function(independent)`` at every pose.

    The dependent coordinate is not a degree of freedom of the compiled model: it is absent
    from :attr:`hipsim.Model.coordinate_names` and poses, every joint axis or moving path point
    that uses it becomes a function of ``independent``, and derivatives (Jacobians, moment arms)
    with respect to ``independent`` include its contribution by the chain rule, as OpenSim's
    ``computeMomentArm`` does with the constraint enforced. One independent coordinate only,
    and it must not itself be dependent (no chains).
    """

    name: str
    dependent: str
    independent: str
    function: Function
    scale_factor: float = 1.0


# --------------------------------------------------------------------------- wrapping (geometry only)

#: Quadrants a wrap object may be restricted to (OpenSim's ``quadrant``; ``all``: no restriction).
WRAP_QUADRANTS = ("all", "+x", "-x", "+y", "-y", "+z", "-z")
#: Wrapping methods of OpenSim's PathWrap.
WRAP_METHODS = ("hybrid", "midpoint", "axial")
#: How hipsim computes a wrapped path (:attr:`ModelSpec.wrap_method`).
WRAP_PATH_METHODS = ("opensim", "geodesic")


@dataclass(frozen=True)
class WrapCylinder:
    """A wrap cylinder fixed in ``body`` (OpenSim WrapCylinder): centre ``translation`` (m) and
    orientation ``xyz_body_rotation`` (rad, X-Y-Z body-fixed) in the body frame, its axis the
    local z axis; ``radius`` and ``length`` (m); ``quadrant`` restricts the side a path may wrap
    over (one of :data:`WRAP_QUADRANTS`); an inactive object is ignored by every path.
    Paths wrap over it as :mod:`hipsim.model.wrapping` computes them."""

    name: str
    body: str
    translation: Vec3
    xyz_body_rotation: Vec3
    radius: float
    length: float
    quadrant: str = "all"
    active: bool = True


@dataclass(frozen=True)
class PathWrap:
    """One wrap reference of a muscle path (OpenSim PathWrap): the wrap object's name, the
    method (one of :data:`WRAP_METHODS`) and ``range``, the first and last path point (1-based,
    as OpenSim numbers them) the wrap applies between; (-1, -1) is the whole path."""

    wrap_object: str
    method: str = "hybrid"
    range: tuple[int, int] = (-1, -1)


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


#: A curve's or muscle's scalar properties as the model file names them: (name, value) pairs in
#: file order (booleans stay booleans).
Properties = tuple[tuple[str, Union[float, bool]], ...]


@dataclass(frozen=True)
class MillardProperties:
    """The parameters of an OpenSim Millard2012EquilibriumMuscle beyond the common ones, as read
    from the model file and not yet compiled: each curve's properties (``ActiveForceLengthCurve``,
    ``ForceVelocityCurve``, ``FiberForceLengthCurve``, ``TendonForceLengthCurve``; a property the
    file leaves out is absent and takes OpenSim's default) and the muscle's other scalar
    properties (``fiber_damping``, ``ignore_tendon_compliance``, ``default_activation`` ...).
    :meth:`as_dict` gives them as plain dictionaries."""

    active_force_length: Properties = ()
    force_velocity: Properties = ()
    fiber_force_length: Properties = ()
    tendon_force_length: Properties = ()
    muscle: Properties = ()

    def as_dict(self) -> dict[str, dict[str, float | bool]]:
        """``{"active_force_length": {...}, ..., "muscle": {...}}``."""
        return {f: dict(getattr(self, f)) for f in MILLARD_GROUPS}


#: The groups of :class:`MillardProperties`, in order.
MILLARD_GROUPS = ("active_force_length", "force_velocity", "fiber_force_length", "tendon_force_length", "muscle")


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
    #: The muscle's wrap references in path order (geometry only: wrapping is not computed yet,
    #: so a model with a wrap over an active wrap object does not compile).
    wraps: tuple[PathWrap, ...] = ()
    #: A Millard2012EquilibriumMuscle's own parameters as read from its file (None otherwise).
    millard: MillardProperties | None = None
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
    #: Coupled coordinates (:class:`CoordinateCoupler`).
    couplers: tuple[CoordinateCoupler, ...] = ()
    #: Wrap objects fixed in bodies (see :class:`WrapCylinder`).
    wrap_objects: tuple[WrapCylinder, ...] = ()
    #: How a wrapped path is computed (:data:`WRAP_PATH_METHODS`, :mod:`hipsim.model.wrapping`):
    #: ``"opensim"`` places the tangent points as OpenSim 4.6 does, so lengths and moment arms equal
    #: OpenSim's (its moment arm is not the derivative of its length where those points are not on
    #: the shortest path); ``"geodesic"`` takes the shortest path over the cylinder, whose moment
    #: arms are exactly minus the derivative of its length.
    wrap_method: str = "opensim"

    def __post_init__(self) -> None:
        validate(self)

    @property
    def coordinates(self) -> tuple[Coordinate, ...]:
        """All coordinates in joint order, coupled (dependent) ones included."""
        return tuple(c for j in self.joints for c in j.coordinates)

    @property
    def independent_coordinates(self) -> tuple[Coordinate, ...]:
        """The coordinates that are degrees of freedom (not the dependent coordinate of a
        :class:`CoordinateCoupler`), in joint order: those of the compiled model."""
        dependent = {c.dependent for c in self.couplers}
        return tuple(c for c in self.coordinates if c.name not in dependent)

    def active_wraps(self, muscle: "Muscle") -> tuple[PathWrap, ...]:
        """``muscle``'s wrap references over wrap objects that are active."""
        active = {w.name for w in self.wrap_objects if w.active}
        return tuple(w for w in muscle.wraps if w.wrap_object in active)

    def without_wrapped_muscles(self) -> "ModelSpec":
        """This model without the muscles that wrap over an active wrap object (recorded in
        ``notes``): their straight-line paths without the wraps would be wrong."""
        import dataclasses
        dropped = [m.alias for m in self.muscles if self.active_wraps(m)]
        if not dropped:
            return self
        note = (f"left out {len(dropped)} muscle(s) that wrap over wrap objects, since hipsim does not compute "
                f"wrapping yet: {', '.join(dropped)}")
        return dataclasses.replace(self, muscles=tuple(m for m in self.muscles if not self.active_wraps(m)),
                                   notes=self.notes + (note,), source=self.source)


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

#: Most coefficients accepted in a polynomial (the Lai-Uhlrich knee uses 5).
MAX_POLYNOMIAL_COEFFICIENTS = 32


def validate(spec: ModelSpec) -> None:
    """Check a model description for consistency; raise :class:`InputError` naming the first problem.

    Checks: at least one body and a total mass above zero, unique names, positive
    masses/forces/lengths, finite numbers, physical inertias (positive semi-definite, triangle
    inequality), coordinates of points within :data:`POINT_LIMIT_M`, gravity within
    :data:`GRAVITY_RANGE_M_S2`, known body and coordinate references, a tree (each body the child
    of exactly one joint, reachable from ground), spline knots increasing, ranges ordered,
    couplers with one independent coordinate that is not itself coupled, wrap objects of known
    bodies with positive sizes and muscle wrap references to known wrap objects.
    """
    src = spec.source
    if spec.wrap_method not in WRAP_PATH_METHODS:
        raise input_error(src, "wrap_method", spec.wrap_method, f"use one of {', '.join(WRAP_PATH_METHODS)}")
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
        elif j.kind == "universal":
            if len(j.coordinates) != 2:
                raise input_error(src, f"{key}.coordinates", len(j.coordinates),
                                  "a universal joint has exactly two coordinates (about x, then about the new y)")
        elif j.kind == "weld":
            if j.coordinates:
                raise input_error(src, f"{key}.coordinates", len(j.coordinates), "a weld joint has no coordinates")
        else:
            raise input_error(src, f"{key}.type", j.kind, "use 'custom', 'pin', 'universal' or 'weld'")
        if j.kind != "custom" and j.transform:
            raise input_error(src, f"{key}.transform", len(j.transform), "only a custom joint has transform axes")
    missing = [b.name for b in spec.bodies if b.name not in children]
    if missing:
        raise input_error(src, f"body '{missing[0]}'", missing[0], "every body must be the child of a joint")
    _check_tree(spec)
    dependent = _check_couplers(spec, coords)
    wrap_names = _check_wrap_objects(spec, names)

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
        for i, w in enumerate(m.wraps):
            wk = f"{key}.wraps[{i}]"
            if w.wrap_object not in wrap_names:
                raise input_error(src, f"{wk}.wrap_object", w.wrap_object, "it must name a wrap object of the model")
            if w.method not in WRAP_METHODS:
                raise input_error(src, f"{wk}.method", w.method, f"use one of {', '.join(WRAP_METHODS)}")
            ok = len(w.range) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                           and (v == -1 or 1 <= v <= len(m.path)) for v in w.range)
            if not ok or (min(w.range) > 0 and w.range[0] > w.range[1]):
                raise input_error(src, f"{wk}.range", list(w.range),
                                  f"a wrap range is two whole numbers: first and last path point (1 to {len(m.path)}),"
                                  " -1 for the path's end")
        if m.millard is not None:
            for group in MILLARD_GROUPS:
                for pname, pvalue in getattr(m.millard, group):
                    if not isinstance(pvalue, bool):
                        _finite(src, f"{key}.millard.{group}.{pname}", pvalue)
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
                if p.coordinate in dependent:
                    raise input_error(src, f"{pk}.coordinate", p.coordinate,
                                      "a conditional path point cannot depend on a coupled (dependent) coordinate")
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


def _check_couplers(spec: ModelSpec, coords: set[str]) -> set[str]:
    """Each coupler's coordinates exist, it couples one coordinate to one other that is not itself
    coupled (no chains) and no coordinate is coupled twice. Returns the dependent coordinates."""
    src = spec.source
    dependent: dict[str, str] = {}
    names: set[str] = set()
    for c in spec.couplers:
        key = f"coupler '{c.name}'"
        if c.name in names:
            raise input_error(src, f"{key}.name", c.name, "coupler names must be unique")
        names.add(c.name)
        for role in ("dependent", "independent"):
            v = getattr(c, role)
            if not isinstance(v, str) or v not in coords:
                raise input_error(src, f"{key}.{role}", v, "it must name one coordinate of the model")
        if c.dependent == c.independent:
            raise input_error(src, f"{key}.dependent", c.dependent, "a coordinate cannot be coupled to itself")
        if c.dependent in dependent:
            raise input_error(src, f"{key}.dependent", c.dependent,
                              f"the coordinate is already coupled by '{dependent[c.dependent]}'")
        dependent[c.dependent] = c.name
        _finite(src, f"{key}.scale_factor", c.scale_factor)
        check_function(src, f"{key}.function", c.function)
    for c in spec.couplers:
        if c.independent in dependent:
            raise input_error(src, f"coupler '{c.name}'.independent", c.independent,
                              f"couplers cannot chain: its independent coordinate is coupled by "
                              f"'{dependent[c.independent]}'")
    return set(dependent)


def _check_wrap_objects(spec: ModelSpec, bodies: set[str]) -> set[str]:
    """Wrap objects: unique names, known bodies, positive sizes, known quadrants. Returns the names."""
    src = spec.source
    names: set[str] = set()
    for w in spec.wrap_objects:
        key = f"wrap object '{w.name}'"
        if w.name in names:
            raise input_error(src, f"{key}.name", w.name, "wrap object names must be unique")
        names.add(w.name)
        if w.body not in bodies:
            raise input_error(src, f"{key}.body", w.body, "it must name a body of the model or 'ground'")
        _point(src, f"{key}.translation", w.translation)
        _vec(src, f"{key}.xyz_body_rotation", w.xyz_body_rotation)
        for dim in ("radius", "length"):
            v = _positive(src, f"{key}.{dim}", getattr(w, dim))
            if v > POINT_LIMIT_M:
                raise input_error(src, f"{key}.{dim}", v, f"it must be at most {POINT_LIMIT_M:g} m (check the unit)")
        if w.quadrant not in WRAP_QUADRANTS:
            raise input_error(src, f"{key}.quadrant", w.quadrant, f"use one of {', '.join(WRAP_QUADRANTS)}")
        if not isinstance(w.active, bool):
            raise input_error(src, f"{key}.active", w.active, "true or false is required")
    return names


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
