"""Scenario files: TOML, validated key by key against a schema that documents itself.

A scenario names a task (single-leg stance, gait, standing, sitting), a subject, the
modifiers that make it what it is (a bag, a wallet, a weak gluteus medius...) and the
baseline it is compared against. Every key, unit and allowed range is in :data:`TASK_KEYS`,
:data:`SUBJECT_KEYS` and :data:`MODIFIER_KEYS`; the README's scenario section is printed from
them (``hipsim list --schema``). A bad file fails with one sentence naming the file, the key
and the value, and what is allowed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipsim.anatomy import MUSCLE_GROUPS
from hipsim.errors import input_error
from hipsim.fileio import read_toml
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import SIDE as SIDE_RULE
from hipsim.params import STRENGTH, Param, check_params
from hipsim.tasks.gait import GAIT_PARAMS
from hipsim.tasks.posture import SITTING_PARAMS, STANDING_PARAMS
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS


#: A schema key is a rulebook parameter (:class:`hipsim.params.Param`).
Key = Param

SIDE = SIDE_RULE.choices

# Exposure keys belong to scenarios (how often and how long a day), not to the mechanics. Their
# defaults describe one typical case to compare against (7000 steps a day, one hold a day...):
# illustrative assumptions, not measured values.
_HOLDS = Param("float", "how many such holds a day", 1.0, "per day", 0.0, 1000.0)
EXPOSURE_KEYS: dict[str, dict[str, Param]] = {
    "single_leg_stance": {"holds_per_day": _HOLDS},
    "gait": {
        "steps_per_day": Param("float", "steps a day (two steps per gait cycle)", 7000.0, "steps", 0.0, 60000.0),
        "bout_s": Param("float", "longest continuous walk", 600.0, "s", 1.0, 86400.0),
    },
    "standing": {"holds_per_day": _HOLDS},
    "sitting": {"holds_per_day": _HOLDS},
}

#: The ``[task]`` keys of each task type: the task's own rulebook (the very same objects that
#: :func:`hipsim.single_leg_stance` and the other tasks validate with) plus its exposure keys.
#: Task parameters that modifiers set (a leg-length difference, crossed legs) are not keys.
_MODIFIER_SET = {"leg_length_difference_m", "short_side", "crossed_top_side"}
TASK_PARAMS: dict[str, dict[str, Param]] = {
    "single_leg_stance": SINGLE_LEG_STANCE_PARAMS, "gait": GAIT_PARAMS, "standing": STANDING_PARAMS,
    "sitting": SITTING_PARAMS,
}
TASK_KEYS: dict[str, dict[str, Param]] = {
    task: {**{k: p for k, p in params.items() if k not in _MODIFIER_SET}, **EXPOSURE_KEYS[task]}
    for task, params in TASK_PARAMS.items()
}
#: ``[subject]``: the Subject's own rules; a key not given is the model's own (its recorded subject).
SUBJECT_KEYS: dict[str, Param] = {k: dataclasses.replace(p, required=False, nullable=True, default=None,
                                                         doc=f"{p.doc} (not given: the model's own)")
                                  for k, p in SUBJECT_PARAMS.items()}

#: Muscle groups a weakness modifier may name (named once, in :mod:`hipsim.anatomy`).
GROUPS = MUSCLE_GROUPS

_LEG_LENGTH = STANDING_PARAMS["leg_length_difference_m"]
MODIFIER_KEYS: dict[str, tuple[str, dict[str, Param], tuple[str, ...]]] = {
    # type: (what it does, keys, tasks it applies to)
    "carry": ("a load carried on one side", {
        "mass_kg": dataclasses.replace(LOAD_PARAMS["mass_kg"], required=True),
        "side": dataclasses.replace(LOAD_PARAMS["side"], required=True),
        "place": LOAD_PARAMS["place"],
    }, ("single_leg_stance", "gait", "standing")),
    "weakness": ("named muscles or groups at a fraction of their strength", {
        "muscles": Param("list[str]", "muscle names, aliases or groups (gluteus_medius, gluteus_minimus, "
                         "superior_gluteal_nerve); a name without _r/_l takes the side given by `side`",
                         required=True),
        "side": Param("str", "side for names given without a side", "r", choices=("r", "l", "both")),
        "strength": dataclasses.replace(STRENGTH, default=0.5, required=True),
        "compensation": Param("str", "single-leg stance only: what covers a shortfall of the abductors: a trunk "
                              "lean toward the stance side (compensated Trendelenburg), a pelvic drop "
                              "(uncompensated), or nothing (the deficit is reported)", "none",
                              choices=("none", "lean", "drop")),
    }, ("single_leg_stance", "gait", "standing", "sitting")),
    "trendelenburg": ("a pelvic drop on the unsupported side, with or without a trunk lean", {
        "pelvic_drop_deg": SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"].with_default(8.0, "single-leg stance: "
                                                                                   "pelvic drop"),
        "trunk_lean_deg": SINGLE_LEG_STANCE_PARAMS["trunk_lean_deg"].with_default(0.0, "single-leg stance: trunk "
                                                                                  "lean toward the stance side"),
        "drop_scale": GAIT_PARAMS["pelvic_drop_scale"].with_default(2.0, "gait: scale of the normal pelvic "
                                                                    "obliquity"),
    }, ("single_leg_stance", "gait")),
    "wallet": ("a wallet in a back pocket under one buttock while seated", {
        "thickness_cm": Param("float", "wallet thickness", 2.0, "cm", 0.2, 6.0, required=True),
        "side": dataclasses.replace(SIDE_RULE, doc="pocket side", required=True),
        "ischial_spacing_cm": Param("float", "distance between the ischial tuberosities (default assumed)", 12.0,
                                    "cm", 8.0, 18.0),
        "wallet_stiffness_n_per_mm": Param("float", "compressive stiffness of the wallet (default assumed)", 150.0,
                                           "N/mm", 10.0, 5000.0),
        "wallet_area_cm2": Param("float", "wallet face area (default assumed)", 100.0, "cm2", 20.0, 400.0),
        "buttock_contact_area_cm2": Param("float", "seat contact area of one buttock (default assumed)", 450.0,
                                          "cm2", 100.0, 1500.0),
    }, ("sitting",)),
    "crossed_legs": ("sitting with one thigh crossed over the other", {
        "top_side": dataclasses.replace(SIDE_RULE, doc="the crossed (upper) leg", required=True),
    }, ("sitting",)),
    "leg_length": ("a leg-length difference", {
        # The task's rule in centimetres, the unit a clinician measures in.
        "difference_cm": Param("float", "how much shorter one leg is", 1.0, "cm", 100 * _LEG_LENGTH.interval[0],
                               100 * _LEG_LENGTH.interval[1], required=True),
        "short_side": dataclasses.replace(STANDING_PARAMS["short_side"], required=True),
    }, ("standing",)),
    "camber": ("standing across a cambered road: a functional leg-length difference", {
        "camber_deg": Param("float", "road camber (cross slope)", 3.0, "deg", 0.0, 10.0, required=True),
        "low_side": dataclasses.replace(SIDE_RULE, doc="the foot on the lower, outer part of the road",
                                        required=True),
        "stance_width_m": Param("float", "distance between the feet across the slope", 0.25, "m", 0.05, 0.6),
    }, ("standing",)),
    "antalgic": ("a limp: shortened stance on the painful side", {
        "painful_side": dataclasses.replace(SIDE_RULE, doc="painful leg", required=True),
        "stance_reduction": Param("float", "how much shorter its stance is, fraction of the cycle", 0.04, "",
                                  0.0, 0.1),
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


def _table(src: str, where: str, data: Any, keys: dict[str, Param], fill_defaults: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise input_error(src, where, data, "it must be a table")
    out = check_params(keys, data, src, where)
    return out if fill_defaults else {k: v for k, v in out.items() if k in data}


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
        if t == "weakness" and vals["compensation"] != "none" and task != "single_leg_stance":
            raise input_error(src, f"{w}.compensation", vals["compensation"],
                              f"a compensation applies to single_leg_stance only; use \"none\" for {task}")
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
        for at, mod in zip(where, modifiers + base_mods, strict=True):
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
