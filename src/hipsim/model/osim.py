"""Import OpenSim 4 model files (``.osim``) into a :class:`~hipsim.model.spec.ModelSpec`.

Covers what the gait2392 family uses: bodies, CustomJoint / PinJoint / WeldJoint with
PhysicalOffsetFrames, coordinates, Constant / LinearFunction / SimmSpline /
MultiplierFunction, fixed / conditional / moving path points, and Thelen2003Muscle and
Millard2012EquilibriumMuscle parameters. Anything that changes the mechanics and that
hipsim cannot represent (a wrap object, a constraint, a non-muscle force) stops the import
with a message naming it: nothing is dropped silently. Elements with no effect on the
mechanics computed here (markers, display geometry, contact geometry, controllers, probes)
are listed in ``ModelSpec.notes``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

from hipsim.errors import InputError, input_error
from hipsim.fileio import atomic_write_xml, read_xml
from hipsim.model.names import descriptive_name
from hipsim.model.spec import (GROUND, MAX_FUNCTION_DEPTH, Body, ConditionalPathPoint, Constant, Coordinate, Frame,
                               Function, Joint, Linear, ModelSpec, MovingPathPoint, Multiplier,
                               Muscle, PathPoint, SimmSpline, ThelenParameters, TransformAxis)

_MUSCLE_TAGS = ("Thelen2003Muscle", "Millard2012EquilibriumMuscle")
# Sets whose members do not act on the mechanics hipsim computes; they are noted, not imported.
_NOTED_SETS = {"MarkerSet": "marker", "ContactGeometrySet": "contact geometry",
               "ControllerSet": "controller", "ProbeSet": "probe"}


#: OpenSim joint element -> hipsim joint kind.
_JOINT_KINDS: dict[str, Literal["custom", "pin", "weld"]] = {"CustomJoint": "custom", "PinJoint": "pin",
                                                             "WeldJoint": "weld"}


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
        if f.tag == "MultiplierFunction":
            inner = f.find("function")
            if inner is None:
                raise self.err(f"{key}.function", None, "a MultiplierFunction needs a <function>")
            return Multiplier(self.number(f, "scale", key), self.function(inner, f"{key}.function"))
        raise self.err(key, f.tag, "hipsim represents Constant, LinearFunction, SimmSpline and "
                                   "MultiplierFunction; convert or remove this function")

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
            raise self.err(key, el.tag, "hipsim represents CustomJoint, PinJoint and WeldJoint")
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
        wraps = gp.find("PathWrapSet/objects")
        if wraps is not None and len(wraps):
            raise self.err(f"{key}.PathWrapSet", [w.get("wrap_object") or w.findtext("wrap_object") for w in wraps],
                           "hipsim does not represent muscle wrapping; use a model without wrap objects "
                           "(such as gait2392)")
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
        return Muscle(name=descriptive_name(name), alias=name, kind=el.tag,
                      max_isometric_force=self.number(el, "max_isometric_force", key),
                      optimal_fiber_length=self.number(el, "optimal_fiber_length", key),
                      tendon_slack_length=self.number(el, "tendon_slack_length", key),
                      pennation_angle=self.number(el, "pennation_angle_at_optimal", key, 0.0),
                      max_contraction_velocity=self.number(el, "max_contraction_velocity", key, 10.0),
                      path=path, thelen=th)


def read_osim(path: str | Path) -> ModelSpec:
    """Read an OpenSim 4 ``.osim`` file into a :class:`ModelSpec`.

    Raises :class:`~hipsim.errors.InputError` naming the file and element when the file
    holds something hipsim cannot represent faithfully.
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

    # Wrap objects anywhere (on ground or on bodies) change muscle paths: refuse them.
    for wos in model.iter("WrapObjectSet"):
        objs = wos.find("objects")
        if objs is not None and len(objs):
            first = objs[0]
            raise r.err(f"{first.tag} '{first.get('name')}'", first.tag,
                        "hipsim does not represent wrap objects; use a model without wrapping (such as gait2392)")
    cs = model.find("ConstraintSet/objects")
    if cs is not None and len(cs):
        raise r.err(f"{cs[0].tag} '{cs[0].get('name')}'", cs[0].tag, "hipsim does not represent kinematic constraints")
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
    joints = [r.joint(j, bnames) for j in _children(model, "JointSet/objects")]
    cnames = {c.name for j in joints for c in j.coordinates}
    muscles = []
    for f in _children(model, "ForceSet/objects"):
        if f.tag not in _MUSCLE_TAGS:
            raise r.err(f"{f.tag} '{f.get('name')}'", f.tag,
                        f"hipsim imports muscles of type {', '.join(_MUSCLE_TAGS)} only")
        if f.tag != "Thelen2003Muscle":
            notes.append(f"muscle {f.get('name')}: {f.tag} curves are approximated by Thelen (2003) curves")
        muscles.append(r.muscle(f, bnames, cnames))
    gravity = r.vec3(model, "gravity", "Model") if model.find("gravity") is not None else (0.0, -9.80665, 0.0)
    credits = (model.findtext("credits") or "").strip()
    return ModelSpec(name=model.get("name", path.stem), bodies=tuple(bodies), joints=tuple(joints),
                     muscles=tuple(muscles), gravity=gravity, credits=credits,
                     license=_license_from(credits), notes=tuple(notes), source=str(path))


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
