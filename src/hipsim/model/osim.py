"""Import OpenSim 4 model files (``.osim``) into a :class:`~hipsim.model.spec.ModelSpec`.

Covers what the gait2392 family and the Rajagopal (2016) and Lai-Uhlrich (2023) models use:
bodies, CustomJoint / PinJoint / UniversalJoint / WeldJoint with PhysicalOffsetFrames,
coordinates, Constant / LinearFunction / SimmSpline / PolynomialFunction /
MultiplierFunction, CoordinateCouplerConstraints with one independent coordinate (as coupled
coordinates, :class:`~hipsim.model.spec.CoordinateCoupler`), fixed / conditional / moving path
points, Thelen2003Muscle and Millard2012EquilibriumMuscle parameters (a Millard muscle's curve
parameters are kept as read, :class:`~hipsim.model.spec.MillardProperties`), and WrapCylinder
wrap objects with each muscle's PathWrap references, as geometry: hipsim does not compute
wrapping yet, so such a model is read but does not compile unless its wrapped muscles are left
out (``read_osim(path, drop_wrapped_muscles=True)``). Anything else that changes the mechanics
and that hipsim cannot represent (another wrap object or constraint, a non-muscle force)
stops the import with a message naming it: nothing is dropped silently. Elements with no
effect on the mechanics computed here (markers, display geometry, contact geometry,
controllers, probes, CoordinateActuators that no controller drives) are listed in
``ModelSpec.notes``.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

from hipsim.errors import InputError, input_error
from hipsim.fileio import atomic_write_xml, read_xml
from hipsim.model.names import descriptive_name
from hipsim.model.spec import (GROUND, MAX_FUNCTION_DEPTH, Body, ConditionalPathPoint, Constant, Coordinate,
                               CoordinateCoupler, Frame, Function, Joint, Linear, MillardProperties, ModelSpec,
                               MovingPathPoint, Multiplier, Muscle, PathPoint, PathWrap, Polynomial, Properties,
                               SimmSpline, ThelenParameters, TransformAxis, WrapCylinder)

_MUSCLE_TAGS = ("Thelen2003Muscle", "Millard2012EquilibriumMuscle")
# Sets whose members do not act on the mechanics hipsim computes; they are noted, not imported.
_NOTED_SETS = {"MarkerSet": "marker", "ContactGeometrySet": "contact geometry",
               "ControllerSet": "controller", "ProbeSet": "probe"}


#: OpenSim joint element -> hipsim joint kind.
_JOINT_KINDS: dict[str, Literal["custom", "pin", "universal", "weld"]] = {
    "CustomJoint": "custom", "PinJoint": "pin", "UniversalJoint": "universal", "WeldJoint": "weld"}
#: Forces that act only when a controller drives them (noted, not imported, when no controller does).
_CONTROLLED_FORCES = ("CoordinateActuator",)
#: A Millard2012EquilibriumMuscle's curve elements -> MillardProperties field.
_MILLARD_CURVES = {"ActiveForceLengthCurve": "active_force_length", "ForceVelocityCurve": "force_velocity",
                   "FiberForceLengthCurve": "fiber_force_length", "TendonForceLengthCurve": "tendon_force_length"}
#: Muscle properties read into Muscle's own fields (not repeated in MillardProperties.muscle).
_COMMON_MUSCLE_PROPERTIES = {"max_isometric_force", "optimal_fiber_length", "tendon_slack_length",
                             "pennation_angle_at_optimal", "max_contraction_velocity"}
#: OpenSim quadrant spellings -> hipsim's (spec.WRAP_QUADRANTS).
_QUADRANTS = {"all": "all", "x": "+x", "+x": "+x", "-x": "-x", "y": "+y", "+y": "+y", "-y": "-y", "z": "+z",
              "+z": "+z", "-z": "-z"}


class _Reader:
    def __init__(self, path: Path) -> None:
        self.src = str(path)

    def err(self, key: str, value: object, allowed: str) -> InputError:
        return input_error(self.src, key, value, allowed)

    def text(self, el: ET.Element, tag: str, key: str) -> str:
        child = el.find(tag)
        if child is None or child.text is None or not child.text.strip():
            raise self.err(f"{key}.{tag}", None, f"the element <{tag}> is required")
        return child.text.strip()

    def floats(self, el: ET.Element, tag: str, key: str, n: int | None = None) -> tuple[float, ...]:
        raw = self.text(el, tag, key)
        try:
            vals = tuple(float(v) for v in raw.split())
        except ValueError:
            raise self.err(f"{key}.{tag}", raw, "numbers separated by spaces are required") from None
        if n is not None and len(vals) != n:
            raise self.err(f"{key}.{tag}", raw, f"{n} numbers are required")
        return vals

    def vec3(self, el: ET.Element, tag: str, key: str) -> tuple[float, float, float]:
        x, y, z = self.floats(el, tag, key, 3)
        return x, y, z

    def number(self, el: ET.Element, tag: str, key: str, default: float | None = None) -> float:
        if default is not None and el.find(tag) is None:
            return default
        return self.floats(el, tag, key, 1)[0]

    def flag(self, el: ET.Element, tag: str, default: bool = False) -> bool:
        child = el.find(tag)
        if child is None or child.text is None:
            return default
        return child.text.strip().lower() == "true"

    # ------------------------------------------------------------------ functions
    def function(self, el: ET.Element, key: str) -> Function:
        """Parse the single function element inside ``el``."""
        kids = [c for c in el if isinstance(c.tag, str)]
        if len(kids) != 1:
            raise self.err(key, [c.tag for c in kids], "exactly one function element is required")
        return self._function(kids[0], key)

    def _function(self, f: ET.Element, key: str) -> Function:
        if key.count(".function") > MAX_FUNCTION_DEPTH:
            raise self.err(key, f.tag, f"functions may nest at most {MAX_FUNCTION_DEPTH} MultiplierFunctions")
        if f.tag == "Constant":
            return Constant(self.number(f, "value", key))
        if f.tag == "LinearFunction":
            c = self.floats(f, "coefficients", key, 2)
            return Linear(c[0], c[1])
        if f.tag == "SimmSpline":
            return SimmSpline(self.floats(f, "x", key), self.floats(f, "y", key))
        if f.tag == "PolynomialFunction":
            return Polynomial(self.floats(f, "coefficients", key))
        if f.tag == "MultiplierFunction":
            inner = f.find("function")
            if inner is None:
                raise self.err(f"{key}.function", None, "a MultiplierFunction needs a <function>")
            return Multiplier(self.number(f, "scale", key), self.function(inner, f"{key}.function"))
        raise self.err(key, f.tag, "hipsim represents Constant, LinearFunction, SimmSpline, PolynomialFunction "
                                   "and MultiplierFunction; convert or remove this function")

    # ------------------------------------------------------------------ model parts
    def body_of(self, path: str, key: str, bodies: set[str]) -> str:
        """Map a socket path ('/bodyset/femur_r', '/ground', '../femur_r') to a body name."""
        name = path.strip().rstrip("/").split("/")[-1]
        if name in bodies or name == GROUND:
            return name
        raise self.err(key, path, "it must name a body of the model (frames nested in bodies are not "
                                  "supported)")

    def frames(self, joint: ET.Element, key: str, bodies: set[str]) -> dict[str, tuple[str, Frame]]:
        out: dict[str, tuple[str, Frame]] = {}
        holder = joint.find("frames")
        for fr in (holder if holder is not None else []):
            if fr.tag != "PhysicalOffsetFrame":
                raise self.err(f"{key}.frames", fr.tag, "only PhysicalOffsetFrame is supported")
            fkey = f"{key}.frame '{fr.get('name')}'"
            parent = self.body_of(self.text(fr, "socket_parent", fkey), f"{fkey}.socket_parent", bodies)
            out[fr.get("name", "")] = (parent, Frame(self.vec3(fr, "translation", fkey),
                                                     self.vec3(fr, "orientation", fkey)))
        return out

    def joint(self, el: ET.Element, bodies: set[str]) -> Joint:
        name = el.get("name", "")
        key = f"{el.tag} '{name}'"
        kind = _JOINT_KINDS.get(el.tag)
        if kind is None:
            raise self.err(key, el.tag, "hipsim represents CustomJoint, PinJoint, UniversalJoint and WeldJoint")
        frames = self.frames(el, key, bodies)

        def resolve(sock: str) -> tuple[str, Frame]:
            ref = self.text(el, sock, key)
            local = ref.strip().split("/")[-1]
            if local in frames:
                return frames[local]
            return self.body_of(ref, f"{key}.{sock}", bodies), Frame()

        parent, pframe = resolve("socket_parent_frame")
        child, cframe = resolve("socket_child_frame")

        coords = []
        holder = el.find("coordinates")
        for c in (holder if holder is not None else []):
            ck = f"{key}.coordinate '{c.get('name')}'"
            rng = self.floats(c, "range", ck, 2)
            coords.append(Coordinate(name=c.get("name", ""), default=self.number(c, "default_value", ck, 0.0),
                                     range=(rng[0], rng[1]), locked=self.flag(c, "locked")))

        transform: tuple[TransformAxis, ...] = ()
        if kind == "custom":
            st = el.find("SpatialTransform")
            if st is None:
                raise self.err(f"{key}.SpatialTransform", None, "a CustomJoint needs a SpatialTransform")
            axes = {ta.get("name"): ta for ta in st.findall("TransformAxis")}
            order = ("rotation1", "rotation2", "rotation3", "translation1", "translation2", "translation3")
            parsed = []
            translational: set[str] = set()
            rotational: set[str] = set()
            for i, axname in enumerate(order):
                ta = axes.get(axname)
                ak = f"{key}.{axname}"
                if ta is None:
                    raise self.err(ak, None, "a SpatialTransform needs all six TransformAxis elements")
                cnames = (ta.findtext("coordinates") or "").split()
                if len(cnames) > 1:
                    raise self.err(f"{ak}.coordinates", cnames, "an axis may depend on at most one coordinate")
                func = self.function_of_axis(ta, ak)
                parsed.append(TransformAxis(self.vec3(ta, "axis", ak), func, cnames[0] if cnames else None))
                if cnames:
                    (translational if i >= 3 else rotational).add(cnames[0])
            transform = tuple(parsed)
            coords = [Coordinate(c.name, c.default, c.range, c.locked,
                                 "translational" if c.name in translational - rotational else "rotational")
                      for c in coords]
        return Joint(name=name, kind=kind, parent=parent, child=child, parent_frame=pframe,
                     child_frame=cframe, coordinates=tuple(coords), transform=transform)

    def function_of_axis(self, ta: ET.Element, key: str) -> Function:
        kids = [c for c in ta if isinstance(c.tag, str) and c.tag not in ("coordinates", "axis")]
        if len(kids) != 1:
            raise self.err(key, [c.tag for c in kids], "exactly one function is required")
        return self._function(kids[0], key)

    def path_point(self, el: ET.Element, key: str, bodies: set[str], coords: set[str]):
        body = self.body_of(self.text(el, "socket_parent_frame", key), f"{key}.socket_parent_frame", bodies)

        def coord(tag: str) -> str:
            name = self.text(el, tag, key).split("/")[-1]
            if name not in coords:
                raise self.err(f"{key}.{tag}", name, "it must name a coordinate of the model")
            return name

        if el.tag == "PathPoint":
            return PathPoint(body, self.vec3(el, "location", key))
        if el.tag == "ConditionalPathPoint":
            rng = self.floats(el, "range", key, 2)
            return ConditionalPathPoint(body, self.vec3(el, "location", key), coord("socket_coordinate"),
                                        (rng[0], rng[1]))
        if el.tag == "MovingPathPoint":
            fx, fy, fz = (self.function(self._require(el, f"{a}_location", key), f"{key}.{a}_location")
                          for a in "xyz")
            return MovingPathPoint(body, fx, fy, fz, coord("socket_x_coordinate"), coord("socket_y_coordinate"),
                                   coord("socket_z_coordinate"))
        raise self.err(key, el.tag, "hipsim represents PathPoint, ConditionalPathPoint and MovingPathPoint")

    def _require(self, el: ET.Element, tag: str, key: str) -> ET.Element:
        child = el.find(tag)
        if child is None:
            raise self.err(f"{key}.{tag}", None, f"the element <{tag}> is required")
        return child

    def muscle(self, el: ET.Element, bodies: set[str], coords: set[str]) -> Muscle:
        name = el.get("name", "")
        key = f"{el.tag} '{name}'"
        gp = self._require(el, "GeometryPath", key)
        wraps = tuple(self.path_wrap(w, f"{key}.PathWrap '{w.get('name')}'")
                      for w in _children(gp, "PathWrapSet/objects"))
        pts = self._require(gp, "PathPointSet/objects", f"{key}.GeometryPath")
        path = tuple(self.path_point(p, f"{key}.path point '{p.get('name')}'", bodies, coords) for p in pts)
        if el.tag == "Thelen2003Muscle":
            th = ThelenParameters(
                k_shape_active=self.number(el, "KshapeActive", key, 0.5),
                k_shape_passive=self.number(el, "KshapePassive", key, 4.0),
                fmax_muscle_strain=self.number(el, "FmaxMuscleStrain", key, 0.6),
                fmax_tendon_strain=self.number(el, "FmaxTendonStrain", key, 0.033),
                af=self.number(el, "Af", key, 0.3), flen=self.number(el, "Flen", key, 1.8))
        else:  # Millard: its curve shapes are not Thelen's; hipsim uses Thelen's (noted on the model).
            th = ThelenParameters()
        millard = self.millard(el, key) if el.tag == "Millard2012EquilibriumMuscle" else None
        return Muscle(name=descriptive_name(name), alias=name, kind=el.tag,
                      max_isometric_force=self.number(el, "max_isometric_force", key),
                      optimal_fiber_length=self.number(el, "optimal_fiber_length", key),
                      tendon_slack_length=self.number(el, "tendon_slack_length", key),
                      pennation_angle=self.number(el, "pennation_angle_at_optimal", key, 0.0),
                      max_contraction_velocity=self.number(el, "max_contraction_velocity", key, 10.0),
                      path=path, thelen=th, wraps=wraps, millard=millard)

    def path_wrap(self, el: ET.Element, key: str) -> PathWrap:
        if el.tag != "PathWrap":
            raise self.err(key, el.tag, "a PathWrapSet holds PathWrap elements")
        obj = (el.findtext("wrap_object") or el.get("wrap_object") or "").strip()
        if not obj:
            raise self.err(f"{key}.wrap_object", None, "a PathWrap must name its wrap object")
        method = (el.findtext("method") or "hybrid").strip().lower()
        rng = self.floats(el, "range", key, 2) if el.find("range") is not None else (-1.0, -1.0)
        if not all(float(v).is_integer() for v in rng):
            raise self.err(f"{key}.range", list(rng), "a wrap range is two whole numbers (path point numbers)")
        return PathWrap(obj, method, (int(rng[0]), int(rng[1])))

    def properties(self, el: ET.Element, key: str, skip: set[str] | frozenset[str] = frozenset(),
                   finite_only: bool = False) -> Properties:
        """The scalar properties of ``el`` (children holding one number or true/false), in file order;
        with ``finite_only``, an infinite or NaN value (a control limit of Inf) is left out rather than
        refused by the description's checks."""
        out: list[tuple[str, float | bool]] = []
        for c in el:
            if not isinstance(c.tag, str) or c.tag in skip or len(c):
                continue
            raw = (c.text or "").strip()
            if raw.lower() in ("true", "false"):
                out.append((c.tag, raw.lower() == "true"))
                continue
            try:
                v = float(raw)
                if finite_only and not math.isfinite(v):
                    continue
                out.append((c.tag, v))
            except ValueError:
                continue  # not a scalar (a name, an empty element, a list): nothing to compile
        return tuple(out)

    def millard(self, el: ET.Element, key: str) -> MillardProperties:
        curves = {field: self.properties(c, f"{key}.{tag}") for tag, field in _MILLARD_CURVES.items()
                  for c in [el.find(tag)] if c is not None}
        return MillardProperties(**curves, muscle=self.properties(el, key, _COMMON_MUSCLE_PROPERTIES, True))

    def wrap_objects(self, holder: ET.Element, body: str) -> list[WrapCylinder]:
        out = []
        for w in _children(holder, "WrapObjectSet/objects"):
            key = f"{w.tag} '{w.get('name')}'"
            if w.tag != "WrapCylinder":
                raise self.err(key, w.tag, "hipsim represents WrapCylinder wrap objects only")
            quadrant = (w.findtext("quadrant") or "all").strip().lower()
            if quadrant not in _QUADRANTS:
                raise self.err(f"{key}.quadrant", quadrant, f"use one of {', '.join(_QUADRANTS)}")
            out.append(WrapCylinder(
                name=w.get("name", ""), body=body,
                translation=self.vec3(w, "translation", key) if w.find("translation") is not None else (0.0, 0.0, 0.0),
                xyz_body_rotation=(self.vec3(w, "xyz_body_rotation", key) if w.find("xyz_body_rotation") is not None
                                   else (0.0, 0.0, 0.0)),
                radius=self.number(w, "radius", key), length=self.number(w, "length", key),
                quadrant=_QUADRANTS[quadrant], active=self.flag(w, "active", True)))
        return out

    def coupler(self, el: ET.Element) -> CoordinateCoupler | None:
        """A CoordinateCouplerConstraint, or None (noted by the caller) when it is not enforced."""
        name = el.get("name", "")
        key = f"{el.tag} '{name}'"
        if not self.flag(el, "isEnforced", True):
            return None
        independent = (el.findtext("independent_coordinate_names") or "").split()
        if len(independent) != 1:
            raise self.err(f"{key}.independent_coordinate_names", independent,
                           "hipsim represents a coordinate coupler with exactly one independent coordinate")
        return CoordinateCoupler(name=name, dependent=self.text(el, "dependent_coordinate_name", key),
                                 independent=independent[0],
                                 function=self.function(self._require(el, "coupled_coordinates_function", key),
                                                        f"{key}.coupled_coordinates_function"),
                                 scale_factor=self.number(el, "scale_factor", key, 1.0))


def read_osim(path: str | Path, drop_wrapped_muscles: bool = False) -> ModelSpec:
    """Read an OpenSim 4 ``.osim`` file into a :class:`ModelSpec`.

    Raises :class:`~hipsim.errors.InputError` naming the file and element when the file
    holds something hipsim cannot represent faithfully. Wrap objects and muscles' wrap
    references are read as geometry; since hipsim does not compute wrapping yet, a model with
    a muscle that wraps over an active wrap object does not compile. ``drop_wrapped_muscles``
    leaves those muscles out (named in the model's ``notes``), for kinematics-only uses and for
    the muscles that do not wrap.
    """
    path = Path(path)
    r = _Reader(path)
    root = read_xml(path, "OpenSim model")
    model = root.find("Model")
    if model is None:
        raise r.err("OpenSimDocument", None, "the file must contain a <Model> element")
    raw_version = root.get("Version", "0") or "0"
    try:
        version = int(raw_version.strip())
    except ValueError:
        raise r.err("OpenSimDocument.Version", raw_version,
                    "the Version attribute must be a whole number such as 40000") from None
    if version < 30000:
        raise r.err("OpenSimDocument.Version", version, "hipsim reads OpenSim 4 files (Version >= 30000)")
    notes: list[str] = []

    # Wrap objects belong to bodies (or ground); one anywhere else cannot be placed.
    holders = [model.find("Ground")] + model.findall("BodySet/objects/Body")
    placed = {id(h.find("WrapObjectSet")) for h in holders if h is not None and h.find("WrapObjectSet") is not None}
    for wos in model.iter("WrapObjectSet"):
        objs = wos.find("objects")
        if id(wos) not in placed and objs is not None and len(objs):
            raise r.err(f"{objs[0].tag} '{objs[0].get('name')}'", objs[0].tag,
                        "hipsim reads wrap objects fixed in a body or in ground only")
    couplers = []
    for c in _children(model, "ConstraintSet/objects"):
        if c.tag != "CoordinateCouplerConstraint":
            raise r.err(f"{c.tag} '{c.get('name')}'", c.tag,
                        "hipsim represents CoordinateCouplerConstraint only among kinematic constraints")
        coupler = r.coupler(c)
        if coupler is None:
            notes.append(f"ignored the CoordinateCouplerConstraint {c.get('name')} of {path.name}: it is not enforced")
        else:
            couplers.append(coupler)
    for set_tag, what in _NOTED_SETS.items():
        objs = model.find(f"{set_tag}/objects")
        if objs is not None and len(objs):
            notes.append(f"ignored {len(objs)} {what} element(s) of {path.name}: no effect on muscle mechanics")

    bodies = []
    for b in model.findall("BodySet/objects/Body"):
        key = f"Body '{b.get('name')}'"
        bodies.append(Body(b.get("name", ""), r.number(b, "mass", key), r.vec3(b, "mass_center", key),
                           _inertia(r.floats(b, "inertia", key, 6))))
    bnames = {b.name for b in bodies}
    wraps = []
    for h in holders:
        if h is not None:
            wraps += r.wrap_objects(h, GROUND if h.tag == "Ground" else h.get("name", ""))
    joints = [r.joint(j, bnames) for j in _children(model, "JointSet/objects")]
    cnames = {c.name for j in joints for c in j.coordinates}
    muscles = []
    controlled: dict[str, int] = {}
    has_controllers = bool(_children(model, "ControllerSet/objects"))
    for f in _children(model, "ForceSet/objects"):
        if f.tag in _CONTROLLED_FORCES and not has_controllers:
            controlled[f.tag] = controlled.get(f.tag, 0) + 1
            continue
        if f.tag not in _MUSCLE_TAGS:
            raise r.err(f"{f.tag} '{f.get('name')}'", f.tag,
                        f"hipsim imports muscles of type {', '.join(_MUSCLE_TAGS)} only")
        muscles.append(r.muscle(f, bnames, cnames))
    # Millard muscles keep their own curves (Muscle.millard); any other type takes Thelen's.
    others = [m.alias for m in muscles if m.kind != "Thelen2003Muscle" and m.millard is None]
    if others:
        notes.append(f"{len(others)} muscle(s) of another type than Thelen2003Muscle ({', '.join(others)}): their "
                     "curves are approximated by Thelen (2003) curves; their own parameters are kept")
    for tag, n in controlled.items():
        notes.append(f"ignored {n} {tag} element(s) of {path.name}: no controller drives them, so they apply no "
                     "force")
    gravity = r.vec3(model, "gravity", "Model") if model.find("gravity") is not None else (0.0, -9.80665, 0.0)
    credits = (model.findtext("credits") or "").strip()
    spec = ModelSpec(name=model.get("name", path.stem), bodies=tuple(bodies), joints=tuple(joints),
                     muscles=tuple(muscles), gravity=gravity, credits=credits,
                     license=_license_from(credits), notes=tuple(notes), source=str(path),
                     couplers=tuple(couplers), wrap_objects=tuple(wraps))
    return spec.without_wrapped_muscles() if drop_wrapped_muscles else spec


def millard_element(muscle: Muscle) -> ET.Element:
    """A ``<Millard2012EquilibriumMuscle>`` element holding ``muscle``'s common properties (as the
    spec has them now: a weakened muscle's force is its reduced one) and the properties of
    ``muscle.millard`` as they were read, so that an XML reader of Millard muscles (such as
    :func:`hipsim.muscles.millard.millard_parameters_from_xml`) can build its parameters from a
    model description. The path is left out."""
    if muscle.millard is None:
        raise input_error("argument", "muscle", muscle.alias,
                          "a muscle read from a Millard2012EquilibriumMuscle (with Muscle.millard) is required")
    el = ET.Element("Millard2012EquilibriumMuscle", name=muscle.alias)

    def put(parent: ET.Element, tag: str, value: float | bool) -> None:
        ET.SubElement(parent, tag).text = ("true" if value else "false") if isinstance(value, bool) else repr(value)

    for tag, value in (("max_isometric_force", muscle.max_isometric_force),
                       ("optimal_fiber_length", muscle.optimal_fiber_length),
                       ("tendon_slack_length", muscle.tendon_slack_length),
                       ("pennation_angle_at_optimal", muscle.pennation_angle),
                       ("max_contraction_velocity", muscle.max_contraction_velocity)):
        put(el, tag, float(value))
    for tag, value in muscle.millard.muscle:
        put(el, tag, value)
    for ctag, group in _MILLARD_CURVES.items():
        props = getattr(muscle.millard, group)
        if props:  # an absent curve and an empty one both take OpenSim's defaults
            curve = ET.SubElement(el, ctag)
            for tag, value in props:
                put(curve, tag, value)
    return el


def _inertia(v: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    """Ixx, Iyy, Izz, Ixy, Ixz, Iyz from six numbers already checked to be six."""
    ixx, iyy, izz, ixy, ixz, iyz = v
    return ixx, iyy, izz, ixy, ixz, iyz


def _children(el: ET.Element, path: str) -> list[ET.Element]:
    found = el.find(path)
    return list(found) if found is not None else []


def _license_from(credits: str) -> str:
    if "CC" in credits and "BY" in credits:
        return "Creative Commons Attribution 3.0 (CC BY 3.0)" if "3.0" in credits else "Creative Commons BY"
    return ""


#: Name suffix of the CoordinateActuators hipsim exports (``hip_flexion_r_actuator``).
ACTUATOR_SUFFIX = "_actuator"


def write_coordinate_actuators(path: str | Path, coordinate_names: tuple[str, ...] | list[str],
                               suffix: str = ACTUATOR_SUFFIX) -> Path:
    """Write an OpenSim ForceSet file with one CoordinateActuator per coordinate, named
    ``<coordinate><suffix>``, optimal force 1 (so its force equals its generalised force, N m or N)
    and no control limits; appended to a model (AnalyzeTool's force set files), it carries what a
    forces file gives it. Written atomically. Returns the path."""
    path = Path(path)
    root = ET.Element("OpenSimDocument", Version="40000")
    force_set = ET.SubElement(root, "ForceSet", name=path.stem)
    objects = ET.SubElement(force_set, "objects")
    for c in coordinate_names:
        act = ET.SubElement(objects, "CoordinateActuator", name=f"{c}{suffix}")
        ET.SubElement(act, "coordinate").text = c
        ET.SubElement(act, "optimal_force").text = "1"
    ET.SubElement(force_set, "groups")
    return atomic_write_xml(path, root)
