"""Scenario files: TOML, validated key by key against a schema that documents itself.

A scenario names a task (single-leg stance, gait, standing, sitting), a subject, the
modifiers that make it what it is (a bag, a wallet, a weak gluteus medius...) and the
baseline it is compared against. Every key, unit and allowed range is in :data:`TASK_KEYS`,
:data:`SUBJECT_KEYS` and :data:`MODIFIER_KEYS`; the README's scenario section is printed from
them (``hipsim list --schema``). A bad file fails with one sentence naming the file, the key
and the value, and what is allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipsim.errors import input_error, is_real
from hipsim.fileio import read_toml
from hipsim.motion.normative_gait import KNOB_RANGES


@dataclass(frozen=True)
class Key:
    """One allowed key: its type, unit, range or choices, default and meaning."""

    kind: str                       # "float", "int", "str", "bool", "list[str]"
    doc: str
    default: Any = None
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.lo is not None:
            return f"a number from {self.lo:g} to {self.hi:g}" + (f" {self.unit}" if self.unit else "")
        return {"float": "a number", "int": "a whole number", "str": "a string", "bool": "true or false",
                "list[str]": "a list of strings"}[self.kind]


SIDE = ("r", "l")

# Defaults and ranges below are conventions unless a key's text cites a source: a default
# describes one typical case to compare against (exposures such as 7000 steps a day or a 30 s
# hold, an 8 degree drop, a 3 degree camber, the wallet's stiffness and areas are illustrative
# assumptions, not measured values), and a range is an input limit that keeps each model
# within the domain it was built for.

SUBJECT_KEYS: dict[str, Key] = {
    "mass_kg": Key("float", "body mass", 75.16, "kg", 20, 250),
    "height_m": Key("float", "body height", 1.80, "m", 1.0, 2.3),
}

_HOLD = Key("float", "how long the posture is held without a break", 60.0, "s", 1, 86400)
_PASSIVE = Key("bool", "passive elastic moments of hip, knee and ankle (Riener & Edrich 1999) carry their share "
               "before the muscles; false leaves the whole moment to the muscles, as OpenSim's "
               "StaticOptimization on gait2392 does", True)
_HOLDS = Key("float", "how many such holds a day", 1.0, "per day", 0, 1000)
TASK_KEYS: dict[str, dict[str, Key]] = {
    "single_leg_stance": {
        "side": Key("str", "stance leg", "r", choices=SIDE),
        "pelvic_drop_deg": Key("float", "drop of the unsupported side of the pelvis (Trendelenburg)", 0.0, "deg", -15, 25),
        "trunk_lean_deg": Key("float", "trunk lean toward the stance side, from vertical", 0.0, "deg", -30, 30),
        "hip_flexion_deg": Key("float", "stance hip flexion", 0.0, "deg", -20, 90),
        "hip_rotation_deg": Key("float", "stance hip internal rotation", 0.0, "deg", -40, 40),
        "swing_hip_flexion_deg": Key("float", "lifted leg: hip flexion", 30.0, "deg", -20, 90),
        "swing_knee_flexion_deg": Key("float", "lifted leg: knee flexion", 60.0, "deg", 0, 120),
        "com_ahead_of_ankle_m": Key("float", "whole-body centre of mass in front of the stance ankle (quiet "
                                    "standing: about 5 cm)", 0.05, "m", -0.04, 0.12),
        "hold_s": Key("float", "how long the stance is held", 30.0, "s", 1, 86400),
        "holds_per_day": _HOLDS,
        "passive_joint_moments": _PASSIVE,
    },
    "gait": {
        "speed_m_s": Key("float", "walking speed", 1.3, "m/s", *KNOB_RANGES["speed_m_s"]),
        "step_width_m": Key("float", "step width", 0.10, "m", *KNOB_RANGES["step_width_m"]),
        "pelvic_drop_scale": Key("float", "scale of the normal pelvic obliquity (Trendelenburg gait > 1)", 1.0, "",
                                 *KNOB_RANGES["pelvic_drop_scale"]),
        "trunk_lean_deg": Key("float", "constant trunk lean to the right (negative: left)", 0.0, "deg",
                              *KNOB_RANGES["trunk_lean_deg"]),
        "stance_asymmetry": Key("float", "stance-time difference right minus left, fraction of the cycle "
                                "(antalgic gait: negative shortens the right stance)", 0.0, "",
                                *KNOB_RANGES["stance_asymmetry"]),
        "steps_per_day": Key("float", "steps a day (two steps per gait cycle)", 7000.0, "steps", 0, 60000),
        "bout_s": Key("float", "longest continuous walk", 600.0, "s", 1, 86400),
        "passive_joint_moments": _PASSIVE,
    },
    "standing": {
        "pelvic_obliquity_deg": Key("float", "pelvic obliquity, left side lower", 0.0, "deg", -15, 15),
        "hold_s": _HOLD,
        "holds_per_day": _HOLDS,
        "passive_joint_moments": _PASSIVE,
    },
    "sitting": {
        "hip_flexion_deg": Key("float", "hip flexion", 90.0, "deg", 60, 120),
        "knee_flexion_deg": Key("float", "knee flexion", 90.0, "deg", 0, 120),
        "hold_s": Key("float", "how long one sits without a break", 1800.0, "s", 1, 86400),
        "holds_per_day": _HOLDS,
        "passive_joint_moments": _PASSIVE,
    },
}

#: Muscle groups a weakness modifier may name.
GROUPS: dict[str, tuple[str, ...]] = {
    "gluteus_medius": ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior"),
    "gluteus_minimus": ("gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior"),
    # Superior gluteal nerve: gluteus medius, gluteus minimus and TFL (DOMAIN.md; Gray's Anatomy).
    "superior_gluteal_nerve": ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
                               "gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior",
                               "tensor_fasciae_latae"),
}

MODIFIER_KEYS: dict[str, tuple[str, dict[str, Key], tuple[str, ...]]] = {
    # type: (what it does, keys, tasks it applies to)
    "carry": ("a load carried on one side", {
        "mass_kg": Key("float", "mass carried", 10.0, "kg", 0, 60, required=True),
        "side": Key("str", "side of the body it is carried on", "l", choices=SIDE, required=True),
        "place": Key("str", "where: in the hand at the side, on a shoulder strap, or on the hip (child, bag)",
                     "hand", choices=("hand", "shoulder", "hip")),
    }, ("single_leg_stance", "gait", "standing")),
    "weakness": ("named muscles or groups at a fraction of their strength", {
        "muscles": Key("list[str]", "muscle names, aliases or groups (gluteus_medius, gluteus_minimus, "
                       "superior_gluteal_nerve); a name without _r/_l means both sides", required=True),
        "side": Key("str", "side for names given without a side", "r", choices=("r", "l", "both")),
        "strength": Key("float", "fraction of normal maximum force", 0.5, "", 0.05, 1.0, required=True),
        "compensation": Key("str", "single-leg stance: what covers a shortfall of the abductors: a trunk lean "
                            "toward the stance side (compensated Trendelenburg), a pelvic drop (uncompensated), "
                            "or nothing (the deficit is reported)", "none", choices=("none", "lean", "drop")),
    }, ("single_leg_stance", "gait", "standing", "sitting")),
    "trendelenburg": ("a pelvic drop on the unsupported side, with or without a trunk lean", {
        "pelvic_drop_deg": Key("float", "single-leg stance: pelvic drop", 8.0, "deg", 0, 25),
        "trunk_lean_deg": Key("float", "single-leg stance: trunk lean toward the stance side", 0.0, "deg", -30, 30),
        "drop_scale": Key("float", "gait: scale of the normal pelvic obliquity", 2.0, "", 0, 3),
    }, ("single_leg_stance", "gait")),
    "wallet": ("a wallet in a back pocket under one buttock while seated", {
        "thickness_cm": Key("float", "wallet thickness", 2.0, "cm", 0.2, 6.0, required=True),
        "side": Key("str", "pocket side", "r", choices=SIDE, required=True),
        "ischial_spacing_cm": Key("float", "distance between the ischial tuberosities (default assumed)", 12.0,
                                  "cm", 8, 18),
        "wallet_stiffness_n_per_mm": Key("float", "compressive stiffness of the wallet (default assumed)", 150.0,
                                         "N/mm", 10, 5000),
        "wallet_area_cm2": Key("float", "wallet face area (default assumed)", 100.0, "cm2", 20, 400),
        "buttock_contact_area_cm2": Key("float", "seat contact area of one buttock (default assumed)", 450.0,
                                        "cm2", 100, 1500),
    }, ("sitting",)),
    "crossed_legs": ("sitting with one thigh crossed over the other", {
        "top_side": Key("str", "the crossed (upper) leg", "r", choices=SIDE, required=True),
    }, ("sitting",)),
    "leg_length": ("a leg-length difference", {
        "difference_cm": Key("float", "how much shorter one leg is", 1.0, "cm", 0, 5, required=True),
        "short_side": Key("str", "the shorter leg", "l", choices=SIDE, required=True),
    }, ("standing",)),
    "camber": ("standing across a cambered road: a functional leg-length difference", {
        "camber_deg": Key("float", "road camber (cross slope)", 3.0, "deg", 0, 10, required=True),
        "low_side": Key("str", "the foot on the lower, outer part of the road", "l", choices=SIDE, required=True),
        "stance_width_m": Key("float", "distance between the feet across the slope", 0.25, "m", 0.05, 0.6),
    }, ("standing",)),
    "antalgic": ("a limp: shortened stance on the painful side", {
        "painful_side": Key("str", "painful leg", "r", choices=SIDE, required=True),
        "stance_reduction": Key("float", "how much shorter its stance is, fraction of the cycle", 0.04, "", 0, 0.1),
    }, ("gait",)),
}

TOP_KEYS = {"name", "title", "description", "model", "subject", "task", "modifiers", "baseline"}


@dataclass(frozen=True)
class Modifier:
    type: str
    values: dict[str, Any]


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario."""

    name: str
    title: str
    description: str
    model: str
    subject: dict[str, float]
    task: str
    task_values: dict[str, Any]
    modifiers: tuple[Modifier, ...]
    baseline_modifiers: tuple[Modifier, ...]
    baseline_task_values: dict[str, Any]
    source: str = field(default="", compare=False)


def _value(src: str, where: str, key: str, k: Key, v: Any) -> Any:
    full = f"{where}.{key}" if where else key
    if k.kind == "float":
        if not is_real(v) or (k.lo is not None and not k.lo <= v <= k.hi):
            raise input_error(src, full, v, f"it must be {k.allowed()}")
        return float(v)
    if k.kind == "str":
        if not isinstance(v, str) or (k.choices and v not in k.choices):
            raise input_error(src, full, v, f"it must be {k.allowed()}")
        return v
    if k.kind == "bool":
        if not isinstance(v, bool):
            raise input_error(src, full, v, "it must be true or false")
        return v
    if k.kind == "list[str]":
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise input_error(src, full, v, "it must be a non-empty list of strings")
        return list(v)
    raise AssertionError(k.kind)  # pragma: no cover


def _table(src: str, where: str, data: Any, keys: dict[str, Key], fill_defaults: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise input_error(src, where, data, "it must be a table")
    out: dict[str, Any] = {}
    for key, v in data.items():
        if key not in keys:
            raise input_error(src, f"{where}.{key}", v, f"unknown key; allowed: {', '.join(keys)}")
        out[key] = _value(src, where, key, keys[key], v)
    for key, k in keys.items():
        if key not in out:
            if k.required:
                raise input_error(src, f"{where}.{key}", None, f"this key is required ({k.doc})")
            if fill_defaults:
                out[key] = k.default
    return out


def _modifiers(src: str, where: str, data: Any, task: str) -> tuple[Modifier, ...]:
    if not isinstance(data, list):
        raise input_error(src, where, data, "it must be a list of tables ([[modifiers]])")
    mods = []
    for i, d in enumerate(data):
        w = f"{where}[{i}]"
        if not isinstance(d, dict) or "type" not in d:
            raise input_error(src, f"{w}.type", None, f"each modifier needs a type: {', '.join(MODIFIER_KEYS)}")
        t = d["type"]
        if t not in MODIFIER_KEYS:
            raise input_error(src, f"{w}.type", t, f"use one of {', '.join(MODIFIER_KEYS)}")
        _, keys, tasks = MODIFIER_KEYS[t]
        if task not in tasks:
            raise input_error(src, f"{w}.type", t, f"this modifier applies to the tasks {', '.join(tasks)}, not {task}")
        vals = _table(src, w, {k: v for k, v in d.items() if k != "type"}, keys, fill_defaults=True)
        mods.append(Modifier(t, vals))
    return tuple(mods)


def parse_scenario(data: dict, source: str, muscle_check=None) -> ScenarioSpec:
    """Validate parsed TOML ``data`` of a scenario file named ``source``.

    ``muscle_check(name) -> None`` raises for an unknown muscle (the model's names, aliases and
    :data:`GROUPS` are allowed).
    """
    src = source
    for key in data:
        if key not in TOP_KEYS:
            raise input_error(src, key, data[key], f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise input_error(src, "name", name, "a scenario needs a name (a string)")
    for key in ("title", "description", "model"):
        if key in data and not isinstance(data[key], str):
            raise input_error(src, key, data[key], "it must be a string")
    subject = _table(src, "subject", data.get("subject", {}), SUBJECT_KEYS, fill_defaults=False)
    task_tbl = data.get("task")
    if not isinstance(task_tbl, dict) or "type" not in task_tbl:
        raise input_error(src, "task.type", None, f"a scenario needs [task] with type = one of {', '.join(TASK_KEYS)}")
    task = task_tbl["type"]
    if task not in TASK_KEYS:
        raise input_error(src, "task.type", task, f"use one of {', '.join(TASK_KEYS)}")
    task_values = _table(src, "task", {k: v for k, v in task_tbl.items() if k != "type"}, TASK_KEYS[task], True)
    modifiers = _modifiers(src, "modifiers", data.get("modifiers", []), task)
    if "baseline" not in data:
        raise input_error(src, "baseline", None, "a scenario needs a [baseline] table (empty means the same task "
                          "without modifiers)")
    base = data["baseline"]
    if not isinstance(base, dict):
        raise input_error(src, "baseline", base, "it must be a table")
    for key in base:
        if key not in ("modifiers", "task"):
            raise input_error(src, f"baseline.{key}", base[key], "allowed keys: modifiers, task")
    base_mods = _modifiers(src, "baseline.modifiers", base.get("modifiers", []), task)
    base_task = _table(src, "baseline.task", base.get("task", {}), TASK_KEYS[task], fill_defaults=False)
    if muscle_check is not None:
        where = [f"modifiers[{i}]" for i in range(len(modifiers))] + \
            [f"baseline.modifiers[{i}]" for i in range(len(base_mods))]
        for at, mod in zip(where, modifiers + base_mods):
            if mod.type == "weakness":
                for mname in mod.values["muscles"]:
                    if mname in GROUPS:
                        continue
                    try:
                        muscle_check(mname)
                    except Exception:
                        raise input_error(src, f"{at}.muscles", mname,
                                          f"use a muscle name or alias of the model, or a group "
                                          f"({', '.join(GROUPS)})") from None
    return ScenarioSpec(name=name, title=data.get("title", name), description=data.get("description", ""),
                        model=data.get("model", "default"), subject=subject, task=task, task_values=task_values,
                        modifiers=modifiers, baseline_modifiers=base_mods, baseline_task_values=base_task,
                        source=src)


def read_scenario(path: str | Path, muscle_check=None) -> ScenarioSpec:
    """Read and validate a scenario file."""
    return parse_scenario(read_toml(path, "scenario"), str(path), muscle_check)
