"""Scale a model to a subject's body mass and height.

Rules (uniform, documented, and explicit in every result through :class:`Subject`):

* Lengths (joint offsets, centres of mass, path points, joint translations that are functions
  of an angle, moving-point functions, optimal fibre and tendon slack lengths) scale by
  ``s = height / reference height``. Uniform scaling keeps every muscle's normalised fibre
  length at a given posture, so force-length behaviour is preserved.
* Masses scale by ``m = mass / reference mass``; inertias by ``m * s**2``.
* Maximum isometric forces scale by ``m ** (2/3)``: force follows physiological
  cross-sectional area, and under geometric similarity area grows as mass^(2/3)
  (Hill 1950, Sci Prog 38:209; used for muscle-strength scaling by e.g. Jaric 2002,
  Sports Med 32:615, who reviews the 2/3 exponent for strength against body mass).

The reference subject of gait2392 is 1.80 m and 75.16 kg (the generic OpenSim model;
its body masses sum to 75.16 kg; height as documented for gait2392 by OpenSim).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from hipsim.errors import input_error
from hipsim.model.spec import (Body, ConditionalPathPoint, Constant, Frame, Function, Linear, ModelSpec,
                               MovingPathPoint, Multiplier, PathPoint, SimmSpline, TransformAxis)

#: Height (m) of the generic gait2392 subject.
REFERENCE_HEIGHT_M = 1.80
#: Body mass (kg) of the generic gait2392 subject: the sum of its body masses.
REFERENCE_MASS_KG = 75.1646


def moment_scale(subject: "Subject") -> float:
    """Factor on a joint moment capacity for ``subject`` relative to the gait2392 subject: the
    strength rule (force by mass^(2/3)) times the length rule (lever by height)."""
    return (subject.mass_kg / REFERENCE_MASS_KG) ** (2.0 / 3.0) * (subject.height_m / REFERENCE_HEIGHT_M)

MASS_RANGE_KG = (20.0, 250.0)
HEIGHT_RANGE_M = (1.0, 2.3)


@dataclass(frozen=True)
class Subject:
    """A person: body mass (kg, 20-250) and height (m, 1.0-2.3), both required. Give a task
    ``subject=None`` to keep the model as it is."""

    mass_kg: float
    height_m: float

    def __post_init__(self) -> None:
        for key, v, (lo, hi), unit in (("mass_kg", self.mass_kg, MASS_RANGE_KG, "kg"),
                                       ("height_m", self.height_m, HEIGHT_RANGE_M, "m")):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or not lo <= v <= hi:
                raise input_error("subject", key, v, f"use a value from {lo:g} to {hi:g} {unit}")


def _scale_fn(f: Function, s: float) -> Function:
    """A function whose output is ``s`` times that of ``f`` (spline y values, linear coefficients)."""
    if isinstance(f, Constant):
        return Constant(f.value * s)
    if isinstance(f, Linear):
        return Linear(f.slope * s, f.intercept * s)
    if isinstance(f, SimmSpline):
        return SimmSpline(f.x, tuple(v * s for v in f.y))
    assert isinstance(f, Multiplier)
    return Multiplier(f.scale * s, f.inner)


def _v(v, s: float):
    return tuple(x * s for x in v)


def scale_spec(spec: ModelSpec, reference_mass_kg: float, subject: Subject) -> ModelSpec:
    """The model description scaled from its reference subject to ``subject`` (rules in the module docstring)."""
    s = subject.height_m / REFERENCE_HEIGHT_M
    m = subject.mass_kg / reference_mass_kg
    fs = m ** (2.0 / 3.0)
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
    muscles = []
    for mu in spec.muscles:
        path = []
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
    note = (f"scaled to {subject.mass_kg:g} kg, {subject.height_m:g} m: lengths x{s:.4f}, masses x{m:.4f}, "
            f"muscle forces x{fs:.4f} (mass^(2/3))")
    return dataclasses.replace(spec, bodies=bodies, joints=tuple(joints), muscles=tuple(muscles),
                               notes=spec.notes + (note,))
