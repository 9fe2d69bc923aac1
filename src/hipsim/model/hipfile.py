"""hipsim's own model file format: TOML, one table per body, joint and muscle.

Read with the standard library's ``tomllib`` (``tomli`` before Python 3.11) and written
with ``tomlkit`` (chosen over tomli-w because it keeps short vectors and small tables on
one line, which halves the file and keeps diffs to the changed numbers): both real TOML
implementations, so the file is plain text and floats round-trip exactly (load -> save -> load
gives an equal model and the same bytes). The schema, with every key and unit, is documented in the README ("Model file
format"). In short::

    format = "hipsim-model"      # required, identifies the file
    version = 1                  # schema version
    name, credits, license       # strings; credits/license carry the data's licence terms
    gravity = [x, y, z]          # m/s^2
    notes = ["..."]              # free text, e.g. what an import left out
    height_m = 1.80              # optional: standing height of the person the model represents (m)
    wrap_method = "opensim"      # optional: "opensim" (as OpenSim 4.6) or "geodesic" (shortest path)

    [[body]]   name, mass (kg), mass_center (m), inertia [Ixx,Iyy,Izz,Ixy,Ixz,Iyz] (kg m^2, about COM)
    [[wrap_object]] (optional) type = "cylinder", name, body, translation (m), xyz_body_rotation (rad),
               radius (m), length (m), quadrant (all|+x|-x|+y|-y|+z|-z), active
    [[joint]]  name, type (custom|pin|universal|weld), parent, child,
               parent_frame / child_frame {translation (m), orientation (rad, X-Y-Z body-fixed)},
               [[joint.coordinate]] name, motion (rotational|translational), default, range, locked
               [[joint.axis]] (custom: 6, rotation1-3 then translation1-3) axis, coordinate?, function
    [[muscle]] name, alias, type, max_isometric_force (N), optimal_fiber_length (m),
               tendon_slack_length (m), pennation_angle (rad), max_contraction_velocity (lopt/s),
               thelen {k_shape_active, k_shape_passive, fmax_muscle_strain, fmax_tendon_strain, af, flen},
               strength (optional, default 1: the fraction of normal strength max_isometric_force includes),
               wrap (optional) = [{object, method (hybrid|midpoint|axial), range [first, last]}],
               millard (optional) {active_force_length, force_velocity, fiber_force_length,
                   tendon_force_length, muscle = {property = number or boolean}},
               [[muscle.point]] type (fixed|conditional|moving), body, and
                   fixed: location; conditional: location, coordinate, range;
                   moving: x, y, z = {coordinate, function}
    [[coupler]] (optional) name, dependent, independent, scale_factor, function:
               dependent = scale_factor * function(independent)

A function is ``{type = "constant", value}``, ``{type = "linear", slope, intercept}``,
``{type = "simm_spline", x = [...], y = [...]}``, ``{type = "polynomial", coefficients = [...]}``
(highest order first) or ``{type = "multiplier", scale, function}``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit

from hipsim.errors import input_error
from hipsim.fileio import atomic_write_text, read_toml
from hipsim.model.spec import (MAX_FUNCTION_DEPTH, MILLARD_GROUPS, Body, ConditionalPathPoint, Constant, Coordinate,
                               CoordinateCoupler, Frame, Function, Joint, Linear, MillardProperties, ModelSpec,
                               MovingPathPoint, Multiplier, Muscle, PathPoint, PathWrap, Polynomial, SimmSpline,
                               ThelenParameters, TransformAxis, WrapCylinder)

FORMAT = "hipsim-model"
VERSION = 1


# --------------------------------------------------------------------------- reading

class _Table:
    """A TOML table with strict key checking: unknown keys and missing keys are errors."""

    def __init__(self, src: str, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise input_error(src, where, data, "a table is required here")
        self.src, self.where, self.data = src, where, data
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise input_error(self.src, self._key(key), None, "this key is required")
            return default
        v = self.data[key]
        if kind is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, kind) or (kind is float and isinstance(v, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise input_error(self.src, self._key(key), v, f"a {names} is required")
        return v

    def num(self, key: str, default: Any = ...) -> float:
        return self.get(key, float, default)

    def vec(self, key: str, n: int, default: Any = ...) -> tuple[float, ...]:
        v = self.get(key, list, default)
        if isinstance(v, tuple):
            return v
        if len(v) != n or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise input_error(self.src, self._key(key), v, f"a list of {n} numbers is required")
        return tuple(float(x) for x in v)

    def vec3(self, key: str, default: Any = ...) -> tuple[float, float, float]:
        x, y, z = self.vec(key, 3, default)
        return x, y, z

    def floats(self, key: str) -> tuple[float, ...]:
        v = self.get(key, list)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise input_error(self.src, self._key(key), v, "a list of numbers is required")
        return tuple(float(x) for x in v)

    def sub(self, key: str, default: Any = ...) -> "_Table":
        return _Table(self.src, self._key(key), self.get(key, dict, default))

    def items(self, key: str) -> list["_Table"]:
        v = self.get(key, list, [])
        return [_Table(self.src, f"{self._key(key)}[{i}]", x) for i, x in enumerate(v)]

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise input_error(self.src, self._key(extra[0]), self.data[extra[0]], "this key is not part of the schema")


def _function(t: _Table) -> Function:
    if t.where.count(".function") > MAX_FUNCTION_DEPTH:
        raise input_error(t.src, t.where, "nested multipliers",
                          f"functions may nest at most {MAX_FUNCTION_DEPTH} multipliers")
    kind = t.get("type", str)
    if kind == "constant":
        f: Function = Constant(t.num("value"))
    elif kind == "linear":
        f = Linear(t.num("slope"), t.num("intercept"))
    elif kind == "simm_spline":
        f = SimmSpline(t.floats("x"), t.floats("y"))
    elif kind == "polynomial":
        f = Polynomial(t.floats("coefficients"))
    elif kind == "multiplier":
        f = Multiplier(t.num("scale"), _function(t.sub("function")))
    else:
        raise input_error(t.src, f"{t.where}.type", kind, "use constant, linear, simm_spline, polynomial or multiplier")
    t.done()
    return f


def _frame(t: _Table) -> Frame:
    f = Frame(t.vec3("translation", (0.0, 0.0, 0.0)), t.vec3("orientation", (0.0, 0.0, 0.0)))
    t.done()
    return f


def _point(t: _Table):
    kind = t.get("type", str)
    body = t.get("body", str)
    if kind == "fixed":
        p: Any = PathPoint(body, t.vec3("location"))
    elif kind == "conditional":
        rng = t.vec("range", 2)
        p = ConditionalPathPoint(body, t.vec3("location"), t.get("coordinate", str), (rng[0], rng[1]))
    elif kind == "moving":
        parts = {}
        for ax in "xyz":
            s = t.sub(ax)
            parts[ax] = (s.get("coordinate", str), _function(s.sub("function")))
            s.done()
        p = MovingPathPoint(body, parts["x"][1], parts["y"][1], parts["z"][1], parts["x"][0], parts["y"][0],
                            parts["z"][0])
    else:
        raise input_error(t.src, f"{t.where}.type", kind, "use fixed, conditional or moving")
    t.done()
    return p


def _wrap_object(t: _Table) -> WrapCylinder:
    kind = t.get("type", str, "cylinder")
    if kind != "cylinder":
        raise input_error(t.src, f"{t.where}.type", kind, "use cylinder (the only wrap object hipsim reads)")
    w = WrapCylinder(t.get("name", str), t.get("body", str), t.vec3("translation"), t.vec3("xyz_body_rotation"),
                     t.num("radius"), t.num("length"), t.get("quadrant", str, "all"), t.get("active", bool, True))
    t.done()
    return w


def _path_wrap(t: _Table) -> PathWrap:
    rng = t.get("range", list, [-1, -1])
    if len(rng) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in rng):
        raise input_error(t.src, f"{t.where}.range", rng, "a list of 2 whole numbers is required")
    w = PathWrap(t.get("object", str), t.get("method", str, "hybrid"), (rng[0], rng[1]))
    t.done()
    return w


def _millard(t: _Table) -> MillardProperties:
    groups = {}
    for g in MILLARD_GROUPS:
        sub = t.sub(g, {})
        props: list[tuple[str, float | bool]] = []
        for k, v in sub.data.items():
            if isinstance(v, bool):
                props.append((k, v))
            elif isinstance(v, (int, float)):
                props.append((k, float(v)))
            else:
                raise input_error(t.src, f"{sub.where}.{k}", v, "a number or true/false is required")
        sub.used.update(sub.data)
        sub.done()
        groups[g] = tuple(props)
    t.done()
    return MillardProperties(**groups)


def spec_from_toml(data: dict, source: str) -> ModelSpec:
    """Build a :class:`ModelSpec` from parsed TOML ``data``; ``source`` names the file in messages."""
    top = _Table(source, "", data)
    fmt = top.get("format", str)
    if fmt != FORMAT:
        raise input_error(source, "format", fmt, f"a hipsim model file starts with format = \"{FORMAT}\"")
    ver = top.get("version", int)
    if ver != VERSION:
        raise input_error(source, "version", ver, f"this hipsim reads model file version {VERSION}")
    bodies = []
    for b in top.items("body"):
        ixx, iyy, izz, ixy, ixz, iyz = b.vec("inertia", 6)
        bodies.append(Body(b.get("name", str), b.num("mass"), b.vec3("mass_center"), (ixx, iyy, izz, ixy, ixz, iyz)))
        b.done()
    joints = []
    for j in top.items("joint"):
        coords = []
        for c in j.items("coordinate"):
            rng = c.vec("range", 2)
            coords.append(Coordinate(c.get("name", str), c.num("default"), (rng[0], rng[1]),
                                     c.get("locked", bool, False), c.get("motion", str, "rotational")))
            c.done()
        axes = []
        for a in j.items("axis"):
            axes.append(TransformAxis(a.vec3("axis"), _function(a.sub("function")), a.get("coordinate", str, None)))
            a.done()
        joints.append(Joint(j.get("name", str), j.get("type", str), j.get("parent", str), j.get("child", str),
                            _frame(j.sub("parent_frame", {})), _frame(j.sub("child_frame", {})),
                            tuple(coords), tuple(axes)))
        j.done()
    muscles = []
    for m in top.items("muscle"):
        th = m.sub("thelen", {})
        thelen = ThelenParameters(**{k: th.num(k, getattr(ThelenParameters(), k))
                                     for k in ThelenParameters.__dataclass_fields__})
        th.done()
        muscles.append(Muscle(
            name=m.get("name", str), alias=m.get("alias", str, None) or m.get("name", str),
            kind=m.get("type", str, "Thelen2003Muscle"),
            max_isometric_force=m.num("max_isometric_force"), optimal_fiber_length=m.num("optimal_fiber_length"),
            tendon_slack_length=m.num("tendon_slack_length"), pennation_angle=m.num("pennation_angle", 0.0),
            max_contraction_velocity=m.num("max_contraction_velocity", 10.0),
            path=tuple(_point(p) for p in m.items("point")), thelen=thelen, strength=m.num("strength", 1.0),
            wraps=tuple(_path_wrap(w) for w in m.items("wrap")),
            millard=_millard(m.sub("millard")) if "millard" in m.data else None))
        m.done()
    couplers = []
    for c in top.items("coupler"):
        couplers.append(CoordinateCoupler(c.get("name", str), c.get("dependent", str), c.get("independent", str),
                                          _function(c.sub("function")), c.num("scale_factor", 1.0)))
        c.done()
    spec = ModelSpec(name=top.get("name", str), bodies=tuple(bodies), joints=tuple(joints), muscles=tuple(muscles),
                     gravity=top.vec3("gravity", (0.0, -9.80665, 0.0)), credits=top.get("credits", str, ""),
                     license=top.get("license", str, ""), notes=tuple(top.get("notes", list, [])),
                     height_m=top.num("height_m", None), source=source, couplers=tuple(couplers),
                     wrap_objects=tuple(_wrap_object(w) for w in top.items("wrap_object")),
                     wrap_method=top.get("wrap_method", str, "opensim"))
    top.done()
    return spec


def read_model(path: str | Path) -> ModelSpec:
    """Read a hipsim TOML model file."""
    return spec_from_toml(read_toml(path, "model"), str(path))


# --------------------------------------------------------------------------- writing

def _inline(d: dict) -> Any:
    """A TOML inline table (one line) with the items of ``d``."""
    t = tomlkit.inline_table()
    t.update(d)
    return t


def _fn(f: Function) -> dict:
    if isinstance(f, Constant):
        return _inline({"type": "constant", "value": f.value})
    if isinstance(f, Linear):
        return _inline({"type": "linear", "slope": f.slope, "intercept": f.intercept})
    if isinstance(f, SimmSpline):
        return {"type": "simm_spline", "x": list(f.x), "y": list(f.y)}
    if isinstance(f, Polynomial):
        return _inline({"type": "polynomial", "coefficients": list(f.coefficients)})
    return {"type": "multiplier", "scale": f.scale, "function": _fn(f.inner)}


def _pt(p) -> dict:
    if isinstance(p, PathPoint):
        return {"type": "fixed", "body": p.body, "location": list(p.location)}
    if isinstance(p, ConditionalPathPoint):
        return {"type": "conditional", "body": p.body, "location": list(p.location), "coordinate": p.coordinate,
                "range": list(p.range)}
    return {"type": "moving", "body": p.body,
            **{ax: {"coordinate": getattr(p, f"{ax}_coordinate"), "function": _fn(getattr(p, ax))} for ax in "xyz"}}


def spec_to_toml(spec: ModelSpec) -> dict:
    """The TOML document (as a dict) for ``spec``."""
    doc: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "name": spec.name, "credits": spec.credits, "license": spec.license,
        "gravity": list(spec.gravity), "notes": list(spec.notes),
        **({"height_m": spec.height_m} if spec.height_m is not None else {}),
        **({"wrap_method": spec.wrap_method} if spec.wrap_method != "opensim" else {}),
        "body": [{"name": b.name, "mass": b.mass, "mass_center": list(b.mass_center), "inertia": list(b.inertia)}
                 for b in spec.bodies],
        **({"wrap_object": [{"type": "cylinder", "name": w.name, "body": w.body, "translation": list(w.translation),
                             "xyz_body_rotation": list(w.xyz_body_rotation), "radius": w.radius, "length": w.length,
                             "quadrant": w.quadrant, "active": w.active} for w in spec.wrap_objects]}
           if spec.wrap_objects else {}),
        "joint": [],
        "muscle": [],
        **({"coupler": [{"name": c.name, "dependent": c.dependent, "independent": c.independent,
                         "scale_factor": c.scale_factor, "function": _fn(c.function)} for c in spec.couplers]}
           if spec.couplers else {}),
    }
    for j in spec.joints:
        jd: dict[str, Any] = {"name": j.name, "type": j.kind, "parent": j.parent, "child": j.child,
                              "parent_frame": _inline({"translation": list(j.parent_frame.translation),
                                                       "orientation": list(j.parent_frame.orientation)}),
                              "child_frame": _inline({"translation": list(j.child_frame.translation),
                                                      "orientation": list(j.child_frame.orientation)}),
                              "coordinate": [{"name": c.name, "motion": c.motion, "default": c.default,
                                              "range": list(c.range), "locked": c.locked} for c in j.coordinates]}
        if j.transform:
            jd["axis"] = [{"axis": list(a.axis), **({"coordinate": a.coordinate} if a.coordinate else {}),
                           "function": _fn(a.function)} for a in j.transform]
        doc["joint"].append(jd)
    for m in spec.muscles:
        th = m.thelen
        doc["muscle"].append({
            "name": m.name, "alias": m.alias, "type": m.kind, "max_isometric_force": m.max_isometric_force,
            "optimal_fiber_length": m.optimal_fiber_length, "tendon_slack_length": m.tendon_slack_length,
            "pennation_angle": m.pennation_angle, "max_contraction_velocity": m.max_contraction_velocity,
            "thelen": _inline({k: getattr(th, k) for k in ThelenParameters.__dataclass_fields__}),
            **({"strength": m.strength} if m.strength != 1.0 else {}),
            **({"wrap": [_inline({"object": w.wrap_object, "method": w.method, "range": list(w.range)})
                         for w in m.wraps]} if m.wraps else {}),
            **({"millard": {g: _inline(dict(getattr(m.millard, g))) for g in MILLARD_GROUPS}}
               if m.millard is not None else {}),
            "point": [_pt(p) for p in m.path]})
    return doc


HEADER = ("# hipsim model file. Schema: README.md, section 'Model file format'.\n"
          "# SI units (kg, m, s, N); angles in radians.\n")


def write_model(spec: ModelSpec, path: str | Path) -> None:
    """Write ``spec`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    atomic_write_text(path, HEADER + "\n" + tomlkit.dumps(spec_to_toml(spec)))
