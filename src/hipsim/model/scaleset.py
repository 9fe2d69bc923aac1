"""A subject's own scaling: OpenSim ScaleSets and scaled models.

OpenSim's Scale tool scales each body by its own factors along its x, y and z axes (a
*ScaleSet*: ``<ScaleSet><objects><Scale><scales>sx sy sz</scales><segment>femur_r</segment>
<apply>true</apply></Scale>...``), computed from marker distances or given by hand.
:func:`apply_scale_set` scales a model description with such factors the way OpenSim 4.6's
``Model::scale`` does, and :func:`transfer_scaling` infers the factors from a subject's scaled
``.osim`` so that a lab's scaled (possibly muscle-less) model can be paired with a generic model's
muscles, such as Lai-Uhlrich's.

What scales, as in OpenSim 4.6 (each item by the factors of the body it is fixed in; a body without
factors, or whose factors do not apply, keeps its own):

* a body's centre of mass (``Body::scale``);
* a joint's frame offsets: the parent frame by the parent body's factors, the child frame by the
  child body's (``OffsetFrame::scale``);
* a custom joint's translation functions, by ``|axis| . factors`` of the parent body, except a
  ``LinearFunction`` of slope 1 and intercept 0, which is the degree of freedom itself
  (``SpatialTransform::scale``);
* path points and conditional path points, elementwise; moving path points' x, y and z
  functions by the x, y and z factors (``PathPoint::scale``, ``MovingPathPoint::scale``);
* a wrap cylinder's centre, elementwise; its radius by the mean length of its x and y axes
  after scaling and its length by that of its z axis (``WrapObject::scale``,
  ``WrapCylinder::scale``);
* the scale factor of a coordinate coupler whose dependent coordinate is a translation, by the
  (uniform) factor of that joint's parent body (``CoordinateCouplerConstraint::scale``);
* inertias (``Body::scaleInertialProperties``): exactly by the factor squared when a body's
  three factors are equal, else as a cylinder about the axis of the smallest moment; masses by
  the product of the factors unless the mass distribution is preserved; then, given a final
  mass, every mass and inertia by the one factor that brings the total to it;
* each muscle's optimal fibre length and tendon slack length by the ratio of its muscle-tendon
  length after to before scaling, both in the default pose (``Muscle::postScale``). Maximum
  isometric forces do not change (OpenSim does not scale them).
"""
from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hipsim.errors import InputError, input_error
from hipsim.model.scaling import scale_function
from hipsim.model.spec import (GROUND, AnyPathPoint, Body, ConditionalPathPoint, Frame, Function, Joint, Linear,
                               ModelSpec, MovingPathPoint, PathPoint, TransformAxis, WrapCylinder)

Vec3 = tuple[float, float, float]
#: Per-body scale factors (x, y, z), keyed by body name: the bodies whose scaling applies.
ScaleFactors = Mapping[str, Vec3]

#: Largest ScaleSet file read (bytes): a ScaleTool setup is some 50 kB.
MAX_SCALE_FILE_BYTES = 20_000_000
#: Accepted range of a scale factor: a lab's segment is not 20 times smaller or larger than the
#: generic one, so anything outside is a wrong file (OpenSim's reflections, negative factors,
#: are refused too).
SCALE_FACTOR_RANGE = (0.05, 20.0)


# --------------------------------------------------------------------------- reading

def read_scale_set(path: str | Path) -> dict[str, Vec3]:
    """The applied per-body factors of the ScaleSet in ``path``: a ScaleSet file or a ScaleTool
    setup (``*_scaleSetup.xml``) whose ModelScaler holds one. ``<Scale>`` entries with
    ``<apply>false</apply>`` are left out (OpenSim ignores them). A file without a ScaleSet, a
    factor that is not a positive number in :data:`SCALE_FACTOR_RANGE`, a missing segment name or
    a segment given twice is an :class:`~hipsim.errors.InputError`."""
    p = Path(path)
    src = str(p)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise input_error(src, "scale set", src, f"a readable ScaleSet file is required ({exc.strerror})") from None
    if size > MAX_SCALE_FILE_BYTES:
        raise input_error(src, "size", size, f"a ScaleSet file must be at most {MAX_SCALE_FILE_BYTES} bytes")
    try:
        root = ET.parse(p).getroot()
    except (ET.ParseError, UnicodeDecodeError, ValueError) as exc:
        raise input_error(src, "xml", str(exc).split("\n")[0], "a well-formed XML file is required") from None
    return parse_scale_set(root, src)


def parse_scale_set(root: ET.Element, source: str | None = None) -> dict[str, Vec3]:
    """The applied factors of the (first) ScaleSet in an XML tree (see :func:`read_scale_set`)."""
    sets = [root] if root.tag == "ScaleSet" else list(root.iter("ScaleSet"))
    if not sets:
        raise input_error(source, "ScaleSet", None,
                          "the file must hold a <ScaleSet> (a ScaleTool setup that scales by 'measurements' "
                          "only has none: give its scaled model to transfer_scaling instead)")
    if len(sets) > 1:
        raise input_error(source, "ScaleSet", len(sets), "the file must hold exactly one <ScaleSet>")
    factors: dict[str, Vec3] = {}
    seen: set[str] = set()
    scales = [el for el in sets[0].iter("Scale")]
    if not scales:
        raise input_error(source, "ScaleSet", 0,
                          "a ScaleSet needs at least one <Scale> entry (a ScaleTool setup that scales by "
                          "'measurements' only has none: give its scaled model to transfer_scaling instead)")
    for i, el in enumerate(scales):
        key = f"ScaleSet.Scale[{i}]"
        segment = (el.findtext("segment") or "").strip()
        if not segment or len(segment.split()) != 1:
            raise input_error(source, f"{key}.segment", segment, "each Scale must name one body in <segment>")
        key = f"ScaleSet.Scale '{segment}'"
        if segment in seen:
            raise input_error(source, f"{key}.segment", segment, "each body may be scaled by one Scale entry only")
        seen.add(segment)
        words = (el.findtext("scales") or "").split()
        if len(words) != 3:
            raise input_error(source, f"{key}.scales", " ".join(words), "three numbers (x y z factors) are required")
        values = []
        for w in words:
            try:
                v = float(w)
            except ValueError:
                raise input_error(source, f"{key}.scales", " ".join(words),
                                  "three numbers (x y z factors) are required") from None
            lo, hi = SCALE_FACTOR_RANGE
            if not (math.isfinite(v) and lo <= v <= hi):
                raise input_error(source, f"{key}.scales", " ".join(words),
                                  f"each factor must be a number from {lo:g} to {hi:g}")
            values.append(v)
        apply = (el.findtext("apply") or "true").strip().lower()
        if apply not in ("true", "false"):
            raise input_error(source, f"{key}.apply", apply, "use true or false")
        if apply == "true":
            factors[segment] = (values[0], values[1], values[2])
    return factors


def _check_factors(spec: ModelSpec, factors: ScaleFactors, source: str) -> dict[str, Vec3]:
    """The factors as floats, each naming a body of ``spec`` and each within range."""
    if not isinstance(factors, Mapping):
        raise input_error(source, "scale_set", type(factors).__name__,
                          "a mapping body name -> (x, y, z) factors or a ScaleSet file path is required")
    bodies = {b.name for b in spec.bodies}
    out: dict[str, Vec3] = {}
    lo, hi = SCALE_FACTOR_RANGE
    for name, f in factors.items():
        if name not in bodies:
            raise input_error(source, "segment", name, "each scaled segment must name a body of the model")
        try:
            v = tuple(float(x) for x in f)
        except (TypeError, ValueError):
            raise input_error(source, f"scales of '{name}'", f, "three numbers (x y z factors) are required") from None
        if len(v) != 3 or not all(math.isfinite(x) and lo <= x <= hi for x in v):
            raise input_error(source, f"scales of '{name}'", f,
                              f"three factors (x y z), each a number from {lo:g} to {hi:g}, are required")
        out[name] = (v[0], v[1], v[2])
    return out


# --------------------------------------------------------------------------- applying

def _mul(v, f: Vec3) -> Vec3:
    return (v[0] * f[0], v[1] * f[1], v[2] * f[2])


def _rotation_xyz(angles) -> np.ndarray:
    """Body-fixed X-Y-Z rotation matrix (columns: the rotated frame's axes)."""
    a, b, c = angles
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return rx @ ry @ rz


def _scale_wrap(w: WrapCylinder, f: Vec3) -> WrapCylinder:
    r = _rotation_xyz(w.xyz_body_rotation)
    lengths = [float(np.linalg.norm(r[:, i] * np.asarray(f))) for i in range(3)]
    return dataclasses.replace(w, translation=_mul(w.translation, f), radius=w.radius * 0.5 * (lengths[0] + lengths[1]),
                               length=w.length * lengths[2])


def _is_dof(fn: Function) -> bool:
    return isinstance(fn, Linear) and fn.slope == 1.0 and fn.intercept == 0.0


def _scale_joint(j: Joint, factors: dict[str, Vec3]) -> Joint:
    fp, fc = factors.get(j.parent), factors.get(j.child)
    parent_frame = Frame(_mul(j.parent_frame.translation, fp), j.parent_frame.orientation) if fp else j.parent_frame
    child_frame = Frame(_mul(j.child_frame.translation, fc), j.child_frame.orientation) if fc else j.child_frame
    transform = j.transform
    if fp and j.kind == "custom":
        axes = []
        for i, a in enumerate(j.transform):
            if i >= 3 and not _is_dof(a.function):
                norm = math.sqrt(sum(x * x for x in a.axis))
                k = sum(abs(x) / norm * s for x, s in zip(a.axis, fp, strict=True))
                a = TransformAxis(a.axis, scale_function(a.function, k), a.coordinate)
            axes.append(a)
        transform = tuple(axes)
    return dataclasses.replace(j, parent_frame=parent_frame, child_frame=child_frame, transform=transform)


def _inertia(inertia, mass: float, unscaled_mass: float, f: Vec3, scale_mass: bool, mass_factor: float):
    """OpenSim's Body::scaleInertialProperties on [Ixx, Iyy, Izz, Ixy, Ixz, Iyz]."""
    i = np.array([[inertia[0], inertia[3], inertia[4]], [inertia[3], inertia[1], inertia[5]],
                  [inertia[4], inertia[5], inertia[2]]], dtype=float)
    if mass <= np.finfo(float).eps:
        i *= 0.0
    elif _equal(f[0], f[1]) and _equal(f[1], f[2]):
        if scale_mass:
            i *= mass_factor
        i *= f[0] * f[0]
    else:
        d = (i[0, 0], i[1, 1], i[2, 2])
        axis = (0 if d[0] <= d[2] else 2) if d[0] <= d[1] else (1 if d[1] <= d[2] else 2)
        term = 2.0 * d[axis] / unscaled_mass
        radius = math.sqrt(term) if term >= 0.0 else 0.0
        oa = 1 if axis == 0 else 0
        term = 12.0 * (d[oa] - 0.25 * unscaled_mass * radius * radius) / unscaled_mass
        length = (math.sqrt(term) if term >= 0.0 else 0.0) * f[axis]
        others = [k for k in range(3) if k != axis]
        rad_sqr = radius * f[others[0]] * radius * f[others[1]]
        for k in range(3):
            i[k, k] = 0.5 * mass * rad_sqr if k == axis else mass * (length * length / 12.0 + 0.25 * rad_sqr)
        for a_, b_ in ((0, 1), (0, 2), (1, 2)):
            p = f[a_] * f[b_] * (mass_factor if scale_mass else 1.0)
            i[a_, b_] *= p
            i[b_, a_] *= p
    return (float(i[0, 0]), float(i[1, 1]), float(i[2, 2]), float(i[0, 1]), float(i[0, 2]), float(i[1, 2]))


def _equal(a: float, b: float) -> bool:
    # SimTK::isNumericallyEqual with its default tolerance (SignificantReal, relative to the larger).
    return abs(a - b) <= 1.4901161193847656e-08 ** 1.75 * max(abs(a), abs(b), 1.0)


def _default_lengths(spec: ModelSpec) -> np.ndarray:
    from hipsim.model.model import Model
    if not spec.muscles:
        return np.zeros(0)
    return np.asarray(Model(spec).muscle_lengths(), dtype=float)


def apply_scale_set(spec: ModelSpec, scale_set: ScaleFactors | str | Path, *, preserve_mass_distribution: bool = True,
                    mass_kg: float | None = None, height_m: float | None = None) -> ModelSpec:
    """``spec`` scaled by per-body factors, as OpenSim 4.6's ``Model::scale`` does (rules in the
    module docstring).

    ``scale_set`` is a mapping body name -> (x, y, z) factors or the path of a ScaleSet file or
    ScaleTool setup (:func:`read_scale_set`). ``preserve_mass_distribution`` (the Scale tool's
    ``preserve_mass_distribution``, default True) keeps each body's mass while its inertia follows
    its new shape; False scales each mass by the product of its factors. ``mass_kg`` (the Scale
    tool's subject mass), when given, then scales every mass and inertia by one factor so that
    they add up to it. ``height_m`` records the subject's standing height (None: unknown, and
    :attr:`hipsim.Model.height_m` estimates it from the hip height)."""
    source = "argument"
    if isinstance(scale_set, (str, Path)):
        source = str(scale_set)
        scale_set = read_scale_set(scale_set)
    factors = _check_factors(spec, scale_set, source)
    if mass_kg is not None and not (isinstance(mass_kg, (int, float)) and not isinstance(mass_kg, bool)
                                    and math.isfinite(mass_kg) and mass_kg > 0):
        raise input_error("argument", "mass_kg", mass_kg, "a positive body mass in kg (or None) is required")
    before = _default_lengths(spec)

    bodies = []
    for b in spec.bodies:
        f = factors.get(b.name)
        if f is None:
            bodies.append(b)
            continue
        mass_factor = abs(f[0] * f[1] * f[2])
        mass = b.mass * mass_factor if not preserve_mass_distribution else b.mass
        bodies.append(Body(b.name, mass, _mul(b.mass_center, f),
                           _inertia(b.inertia, mass, b.mass, f, not preserve_mass_distribution, mass_factor)))
    if mass_kg is not None:
        total = sum(b.mass for b in bodies)
        k = mass_kg / total
        bodies = [Body(b.name, b.mass * k, b.mass_center, tuple(x * k for x in b.inertia))  # type: ignore[arg-type]
                  for b in bodies]

    joints = tuple(_scale_joint(j, factors) for j in spec.joints)
    joint_of = {c.name: j for j in spec.joints for c in j.coordinates}
    couplers = []
    for c in spec.couplers:
        j = joint_of[c.dependent]
        dep = next(x for x in j.coordinates if x.name == c.dependent)
        f = factors.get(j.parent)
        if dep.motion == "translational" and f is not None:
            if f[0] != f[1] or f[0] != f[2]:
                raise input_error(source, f"scales of '{j.parent}'", list(f),
                                  f"coupler '{c.name}' moves a translation of joint '{j.name}', so its parent body "
                                  "must scale uniformly (as in OpenSim)")
            c = dataclasses.replace(c, scale_factor=c.scale_factor * f[0])
        couplers.append(c)
    wraps = tuple(_scale_wrap(w, factors[w.body]) if w.body in factors else w for w in spec.wrap_objects)
    muscles = []
    for mu in spec.muscles:
        path: list[AnyPathPoint] = []
        for p in mu.path:
            f = factors.get(p.body)
            if f is None:
                path.append(p)
            elif isinstance(p, PathPoint):
                path.append(PathPoint(p.body, _mul(p.location, f)))
            elif isinstance(p, ConditionalPathPoint):
                path.append(dataclasses.replace(p, location=_mul(p.location, f)))
            else:
                assert isinstance(p, MovingPathPoint)
                path.append(dataclasses.replace(p, x=scale_function(p.x, f[0]), y=scale_function(p.y, f[1]),
                                                z=scale_function(p.z, f[2])))
        muscles.append(dataclasses.replace(mu, path=tuple(path)))
    masses = "mass distribution preserved" if preserve_mass_distribution else "masses scaled by volume"
    note = (f"scaled by a ScaleSet of {len(factors)} bodies ({masses}"
            + (f", total mass {mass_kg:g} kg" if mass_kg is not None else "") + ") as OpenSim's Model::scale")
    scaled = dataclasses.replace(spec, bodies=tuple(bodies), joints=joints, couplers=tuple(couplers),
                                 wrap_objects=wraps, muscles=tuple(muscles), height_m=height_m,
                                 notes=spec.notes + (note,))
    if not spec.muscles:
        return scaled
    after = _default_lengths(scaled)
    ratio = np.where(before > 0.0, after / np.where(before > 0.0, before, 1.0), 1.0)
    muscles = [dataclasses.replace(mu, optimal_fiber_length=mu.optimal_fiber_length * float(r),
                                   tendon_slack_length=mu.tendon_slack_length * float(r))
               for mu, r in zip(scaled.muscles, ratio, strict=True)]
    return dataclasses.replace(scaled, muscles=tuple(muscles))


# --------------------------------------------------------------------------- transferring

#: Smallest component (m) of a body-fixed vector used to infer a factor along that axis: shorter
#: components carry the rounding of the file more than the subject's size (model files give
#: offsets to 0.01 mm or better).
MIN_COMPONENT_M = 0.001


def _body_vectors(spec: ModelSpec, with_mass_centre: bool) -> dict[str, dict[str, Vec3]]:
    """Per body, the vectors fixed in it that Model::scale multiplies by its factors: the child
    frame of its joint, the parent frames of its children's joints (and its mass centre)."""
    out: dict[str, dict[str, Vec3]] = {b.name: {} for b in spec.bodies}
    for j in spec.joints:
        if j.child in out:
            out[j.child][f"joint {j.name} child frame"] = j.child_frame.translation
        if j.parent in out:
            out[j.parent][f"joint {j.name} parent frame"] = j.parent_frame.translation
    if with_mass_centre:
        for b in spec.bodies:
            out[b.name]["mass centre"] = b.mass_center
    return out


def infer_scale_factors(generic: ModelSpec, scaled: ModelSpec) -> tuple[dict[str, Vec3], dict[str, float]]:
    """Per-body (x, y, z) factors that take ``generic`` to ``scaled`` (same body and joint names),
    and each body's largest misfit (m) of its joint frames after scaling by them.

    Along each axis of each body, the factor is the least-squares ratio
    ``sum(g * s) / sum(g * g)`` of the components along that axis of the vectors that OpenSim's
    Model::scale multiplies by that body's factors and that both models hold: the joint frame
    offsets in the body (the child frame of the joint that moves it, the parent frames of the joints
    of its children), components shorter than :data:`MIN_COMPONENT_M` in the generic model left
    out. An axis without one takes the body's mass centre instead; an axis without that either
    takes the mean of the body's other factors, and a body with none at all its parent's factors.
    Where the scaled model came from the same generic model by OpenSim's scaling, the factors are
    exact; where the two generic models differ in a joint (a different knee), that joint's offsets
    differ by the difference."""
    joints = {j.name: j for j in scaled.joints}
    sbodies = {b.name: b for b in scaled.bodies}
    g_vecs = _body_vectors(generic, True)
    s_vecs = _body_vectors(dataclasses.replace(scaled, joints=tuple(
        j for j in scaled.joints if j.name in {g.name for g in generic.joints})), True)
    parent = {j.child: j.parent for j in generic.joints}
    factors: dict[str, Vec3] = {}
    misfit: dict[str, float] = {}
    order = _tree_order(generic)
    for name in order:
        if name not in sbodies:
            continue
        gv, sv = g_vecs[name], s_vecs.get(name, {})
        common = [k for k in gv if k in sv and (k == "mass centre" or k.split()[1] in joints)]
        f: list[float | None] = []
        for axis in range(3):
            value = None
            centre = ["mass centre"] if "mass centre" in common else []
            for group in ([k for k in common if k != "mass centre"], centre):
                pairs = [(gv[k][axis], sv[k][axis]) for k in group if abs(gv[k][axis]) >= MIN_COMPONENT_M]
                if pairs:
                    value = sum(g * s for g, s in pairs) / sum(g * g for g, _ in pairs)
                    break
            f.append(value)
        known = [v for v in f if v is not None]
        if known:
            mean = sum(known) / len(known)
            fx = tuple(v if v is not None else mean for v in f)
        else:
            fx = factors.get(parent.get(name, GROUND), (1.0, 1.0, 1.0))
        factors[name] = (float(fx[0]), float(fx[1]), float(fx[2]))
        joint_keys = [k for k in common if k != "mass centre"]
        misfit[name] = max((float(np.linalg.norm(np.asarray(_mul(gv[k], factors[name])) - np.asarray(sv[k])))
                            for k in joint_keys), default=0.0)
    return factors, misfit


def _tree_order(spec: ModelSpec) -> list[str]:
    children: dict[str, list[str]] = {}
    for j in spec.joints:
        children.setdefault(j.parent, []).append(j.child)
    order, stack = [], [GROUND]
    while stack:
        b = stack.pop()
        if b != GROUND:
            order.append(b)
        stack.extend(reversed(children.get(b, [])))
    return order


#: What :func:`transfer_scaling` does with the joint frames (see there).
JOINT_FRAME_CHOICES = ("generic", "subject")


def transfer_scaling(generic_spec: ModelSpec, scaled_osim_path: str | Path, *,
                     reference: ModelSpec | str | Path | None = None, joints: str = "generic",
                     mass_kg: float | None = None, height_m: float | None = None,
                     preserve_mass_distribution: bool = True) -> ModelSpec:
    """``generic_spec`` (a muscled generic model, such as Lai-Uhlrich's) scaled to the subject of
    a scaled OpenSim model whose bodies and joints have the same names (such as a lab's scaled
    Rajagopal model without muscles): per-body factors are inferred (:func:`infer_scale_factors`)
    by comparing the scaled model with ``reference``, the generic model it was scaled from (a spec
    or an ``.osim``/``.toml`` path; None: ``generic_spec`` itself), and applied to
    ``generic_spec`` with :func:`apply_scale_set`, so muscle paths, wrap cylinders and fibre and
    tendon lengths follow the subject's segments.

    ``joints`` says where the joints go. ``"generic"`` (default): where the scaled generic model
    puts them, so a generic model whose joints differ from the reference's (Lai-Uhlrich's knee sits
    4 mm from Rajagopal's in the femur) keeps that difference, scaled. ``"subject"``: each joint that
    both models have, of the same kind and coordinates, takes the scaled model's parent and child
    frame offsets, so the joint centres are the subject's; the muscles' attachments stay where the
    scaled generic model has them in each body. Fibre and tendon lengths follow the final paths.

    ``mass_kg`` is the subject's mass; None takes the scaled model's total mass. Each body keeps
    the generic model's share of the total (with ``preserve_mass_distribution``). Assumed: the
    scaled model was made from ``reference`` by per-body scaling along body axes (as OpenSim's
    Scale tool does; marker placement and other edits are not scaling and bias the factors), and
    bodies of the same name are the same segment with the same frame. Bodies the scaled model lacks
    keep the generic size. The factors and the largest joint misfit are recorded in the notes."""
    from hipsim.model import load_spec
    from hipsim.model.osim import read_osim
    src = str(scaled_osim_path)
    if joints not in JOINT_FRAME_CHOICES:
        raise input_error("argument", "joints", joints, f"use one of {', '.join(JOINT_FRAME_CHOICES)}")
    scaled = read_osim(scaled_osim_path)
    ref = generic_spec if reference is None else reference if isinstance(reference, ModelSpec) else load_spec(reference)
    if not {b.name for b in ref.bodies} & {b.name for b in scaled.bodies} & {b.name for b in generic_spec.bodies}:
        raise input_error(src, "bodies", sorted(b.name for b in scaled.bodies)[:5],
                          "the scaled model must have bodies of the generic model's names")
    factors, misfit = infer_scale_factors(ref, scaled)
    factors = {k: v for k, v in factors.items() if k in {b.name for b in generic_spec.bodies}}
    if mass_kg is None:
        mass_kg = sum(b.mass for b in scaled.bodies)
    try:
        out = apply_scale_set(generic_spec, factors, preserve_mass_distribution=preserve_mass_distribution,
                              mass_kg=mass_kg, height_m=height_m)
    except InputError as exc:
        raise input_error(src, "inferred scale factors", str(exc), "the scaled model's segments must be plausible") \
            from None
    adopted: list[str] = []
    if joints == "subject":
        theirs = {j.name: j for j in scaled.joints}
        new = []
        for j in out.joints:
            s = theirs.get(j.name)
            if s is not None and (s.kind, s.parent, s.child) == (j.kind, j.parent, j.child) \
                    and [c.name for c in s.coordinates] == [c.name for c in j.coordinates]:
                j = dataclasses.replace(j, parent_frame=Frame(s.parent_frame.translation, j.parent_frame.orientation),
                                        child_frame=Frame(s.child_frame.translation, j.child_frame.orientation))
                adopted.append(j.name)
            new.append(j)
        # Fibre and tendon lengths: generic ones times the ratio of the final to the generic path.
        before = _default_lengths(generic_spec)
        out = dataclasses.replace(out, joints=tuple(new))
        after = _default_lengths(out)
        muscles = [dataclasses.replace(mu, optimal_fiber_length=g.optimal_fiber_length * float(a / b),
                                       tendon_slack_length=g.tendon_slack_length * float(a / b))
                   for mu, g, a, b in zip(out.muscles, generic_spec.muscles, after, before, strict=True)]
        out = dataclasses.replace(out, muscles=tuple(muscles))
    worst = max(misfit, key=lambda k: misfit[k]) if misfit else ""
    note = (f"scaled to the segments of {Path(src).name}: factors inferred per body and axis from joint frame "
            f"offsets (largest joint misfit {misfit.get(worst, 0.0) * 1000:.2g} mm, {worst})"
            + (f", the subject's joint frames adopted for {len(adopted)} joints" if adopted else "") + ": "
            + "; ".join(f"{k} {v[0]:.4f} {v[1]:.4f} {v[2]:.4f}" for k, v in factors.items()))
    return dataclasses.replace(out, notes=out.notes + (note,))
