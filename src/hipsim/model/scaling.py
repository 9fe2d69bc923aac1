"""Scale a model to a subject's body mass and height.

Rules (uniform, documented, and explicit in every result through :class:`Subject`):

* Lengths (joint offsets, centres of mass, path points, joint translations that are functions
  of an angle, moving-point functions, wrap cylinders' centres, radii and lengths, the scale
  factor of a coordinate coupler whose dependent coordinate is a translation, optimal fibre and
  tendon slack lengths) scale by ``s = height / reference height``. Uniform scaling keeps every
  muscle's normalised fibre length at a given posture, so force-length behaviour is preserved.
  A subject's own per-segment scaling (OpenSim ScaleSets, scaled models) is in
  :mod:`hipsim.model.scaleset`.
* Masses scale by ``m = mass / reference mass``; inertias by ``m * s**2``.
* Maximum isometric forces scale by ``m ** (2/3)``: force follows physiological
  cross-sectional area, and under geometric similarity area grows as mass^(2/3)
  (Hill 1950, Sci Prog 38:209; used for muscle-strength scaling by e.g. Jaric 2002,
  Sports Med 32:615, who reviews the 2/3 exponent for strength against body mass).

Every model records the subject it represents (its height in the model file, its mass the sum of
its body masses), and scaling goes from that subject to the new one, so it composes and never
applies twice. The reference subject of gait2392 is 1.80 m and 75.16 kg (the generic OpenSim model;
its body masses sum to 75.16 kg; height as documented for gait2392 by OpenSim).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hipsim.params import Param, check_params
from hipsim.model.spec import (AnyPathPoint, Body, ConditionalPathPoint, Constant, Frame, Function, Linear, ModelSpec,
                               MovingPathPoint, Multiplier, PathPoint, Polynomial, SimmSpline, TransformAxis)

#: Height (m) of the generic gait2392 subject.
REFERENCE_HEIGHT_M = 1.80
#: Body mass (kg) of the generic gait2392 subject: the sum of its body masses.
REFERENCE_MASS_KG = 75.1646


def moment_scale(subject: "Subject") -> float:
    """Factor on a joint moment capacity for ``subject`` relative to the gait2392 subject: the
    strength rule (force by mass^(2/3)) times the length rule (lever by height)."""
    return force_scale(subject.mass_kg / REFERENCE_MASS_KG) * (subject.height_m / REFERENCE_HEIGHT_M)


def force_scale(mass_ratio: float) -> float:
    """Muscle force scale for a body mass ratio: mass^(2/3) (Hill 1950; Jaric 2002, module docstring)."""
    return float(mass_ratio) ** (2.0 / 3.0)

#: The subject's parameters (input limits: conventions spanning children to very large adults).
SUBJECT_PARAMS: dict[str, Param] = {
    "mass_kg": Param("float", "body mass", round(REFERENCE_MASS_KG, 2), "kg", 20.0, 250.0, required=True),
    "height_m": Param("float", "body height", REFERENCE_HEIGHT_M, "m", 1.0, 2.3, required=True),
}


@dataclass(frozen=True)
class Subject:
    """A person: body mass (kg) and height (m), both required, within :data:`SUBJECT_PARAMS`.

    Every model records the subject it represents (:attr:`hipsim.Model.subject`); give a task
    ``subject=None`` to keep the model as it is, or a Subject to scale the model to that person
    (from whoever it represents now, so scaling never applies twice)."""

    mass_kg: float
    height_m: float

    def __post_init__(self) -> None:
        check_params(SUBJECT_PARAMS, {"mass_kg": self.mass_kg, "height_m": self.height_m}, "subject")

    @classmethod
    def of_model(cls, mass_kg: float, height_m: float) -> "Subject":
        """The subject a model represents, recorded as it is (a test or animal model may lie
        outside the input limits, which guard what users ask for, not what a file holds)."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "mass_kg", float(mass_kg))
        object.__setattr__(obj, "height_m", float(height_m))
        return obj

    def same_as(self, other: "Subject", rel: float = 1e-9) -> bool:
        """True when both describe the same person to a relative tolerance ``rel``."""
        return (abs(self.mass_kg - other.mass_kg) <= rel * other.mass_kg
                and abs(self.height_m - other.height_m) <= rel * other.height_m)


def scale_function(f: Function, s: float) -> Function:
    """A function whose output is ``s`` times that of ``f`` (a constant's value, linear and
    polynomial coefficients, spline y values, a multiplier's scale): the same values OpenSim gets
    by wrapping ``f`` in a MultiplierFunction of scale ``s``."""
    if isinstance(f, Constant):
        return Constant(f.value * s)
    if isinstance(f, Linear):
        return Linear(f.slope * s, f.intercept * s)
    if isinstance(f, SimmSpline):
        return SimmSpline(f.x, tuple(v * s for v in f.y))
    if isinstance(f, Polynomial):
        return Polynomial(tuple(c * s for c in f.coefficients))
    if isinstance(f, Multiplier):
        return Multiplier(f.scale * s, f.inner)
    raise TypeError(f"unknown function record {type(f).__name__}")


_scale_fn = scale_function


def _v(v, s: float):
    return tuple(x * s for x in v)


def scale_spec(spec: ModelSpec, current: Subject, subject: Subject) -> ModelSpec:
    """The model description scaled from the person it represents now (``current``) to
    ``subject`` (rules in the module docstring). The result records ``subject``'s height, so
    scaling composes: scaling A to B and then to C equals scaling A to C."""
    s = subject.height_m / current.height_m
    m = subject.mass_kg / current.mass_kg
    fs = force_scale(m)
    bodies = tuple(Body(b.name, b.mass * m, _v(b.mass_center, s), _v(b.inertia, m * s * s)) for b in spec.bodies)
    joints = []
    for j in spec.joints:
        # Translations that are functions of an angle (the knee's splines) are anatomy and scale;
        # a translation whose coordinate is itself a distance (the pelvis in the room) does not.
        metric = {c.name for c in j.coordinates if c.motion == "translational"}
        axes = tuple(TransformAxis(a.axis, _scale_fn(a.function, s) if i >= 3 and a.coordinate not in metric
                                   else a.function, a.coordinate)
                     for i, a in enumerate(j.transform))
        joints.append(dataclasses.replace(
            j, parent_frame=Frame(_v(j.parent_frame.translation, s), j.parent_frame.orientation),
            child_frame=Frame(_v(j.child_frame.translation, s), j.child_frame.orientation), transform=axes))
    translational = {c.name: j for j in spec.joints for c in j.coordinates if c.motion == "translational"}
    # A coupler whose dependent coordinate is a distance scales its output (OpenSim's
    # CoordinateCouplerConstraint::scale); the joint axes that use that coordinate keep theirs.
    couplers = tuple(dataclasses.replace(c, scale_factor=c.scale_factor * s) if c.dependent in translational
                     and translational[c.dependent].parent != "ground" else c for c in spec.couplers)
    wraps = tuple(dataclasses.replace(w, translation=_v(w.translation, s), radius=w.radius * s, length=w.length * s)
                  for w in spec.wrap_objects)
    muscles = []
    for mu in spec.muscles:
        path: list[AnyPathPoint] = []
        for p in mu.path:
            if isinstance(p, PathPoint):
                path.append(PathPoint(p.body, _v(p.location, s)))
            elif isinstance(p, ConditionalPathPoint):
                path.append(dataclasses.replace(p, location=_v(p.location, s)))
            else:
                assert isinstance(p, MovingPathPoint)
                path.append(dataclasses.replace(p, x=_scale_fn(p.x, s), y=_scale_fn(p.y, s), z=_scale_fn(p.z, s)))
        muscles.append(dataclasses.replace(
            mu, path=tuple(path), max_isometric_force=mu.max_isometric_force * fs,
            optimal_fiber_length=mu.optimal_fiber_length * s, tendon_slack_length=mu.tendon_slack_length * s))
    note = (f"scaled from {current.mass_kg:g} kg, {current.height_m:g} m to {subject.mass_kg:g} kg, "
            f"{subject.height_m:g} m: lengths x{s:.4f}, masses x{m:.4f}, muscle forces x{fs:.4f} (mass^(2/3))")
    return dataclasses.replace(spec, bodies=bodies, joints=tuple(joints), muscles=tuple(muscles), couplers=couplers,
                               wrap_objects=wraps, notes=spec.notes + (note,), height_m=subject.height_m)
