"""Scenario files: TOML, validated key by key against a schema that documents itself.

A scenario names a task (single-leg stance, gait, standing, sitting, an exercise), a subject, the
modifiers that make it what it is (a bag, a wallet, a weak gluteus medius...) and the
baseline it is compared against. Every key, unit and allowed range is in :data:`TASK_KEYS`,
:data:`SUBJECT_KEYS` and :data:`MODIFIER_KEYS`; the README's scenario section is printed from
them (``hipsim list --schema``). A bad file fails with one sentence naming the file, the key
and the value, and what is allowed.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipsim.anatomy import MUSCLE_GROUPS
from hipsim.errors import input_error
from hipsim.fileio import read_toml
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import SIDE as SIDE_RULE
from hipsim.params import STRENGTH, Param, check_params
from hipsim.tasks.exercise import EXERCISE_PARAMS, check_exercise_values
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
    "exercise": {"holds_per_day": _HOLDS.with_default(10.0, "how many such holds a day (repetitions)")},
}

#: The ``[task]`` keys of each task type: the task's own rulebook (the very same objects that
#: :func:`hipsim.single_leg_stance` and the other tasks validate with) plus its exposure keys.
#: Task parameters that modifiers set (a leg-length difference, crossed legs) are not keys.
_MODIFIER_SET = {"leg_length_difference_m", "short_side", "crossed_top_side", "compensation"}
TASK_PARAMS: dict[str, dict[str, Param]] = {
    "single_leg_stance": SINGLE_LEG_STANCE_PARAMS, "gait": GAIT_PARAMS, "standing": STANDING_PARAMS,
    "sitting": SITTING_PARAMS, "exercise": EXERCISE_PARAMS,
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
#: Tasks that can search a compensation for weak abductors.
COMPENSATING_TASKS = ("single_leg_stance", "gait")

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
        "compensation": dataclasses.replace(
            GAIT_PARAMS["compensation"],
            doc="single-leg stance and walking: a trunk lean toward the stance side found to cover a shortfall of "
                "the abductors (compensated Trendelenburg; in walking frame by frame), a pelvic drop tried up to "
                "25 degrees (uncompensated; in the model a drop enlarges the shortfall, which is reported), or "
                "nothing (the shortfall is reported)"),
    }, ("single_leg_stance", "gait", "standing", "sitting", "exercise")),
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

#: A scenario's ``name`` names its results folder under ``--out``, so it is an identifier: no
#: path separators, no dots, no leading dot (hipsim's temporary folders start with one).
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_RULE = ("a scenario name is 1 to 64 letters, digits, '_' or '-' (it names the scenario's results folder "
             "under --out)")

#: Modifiers that set one quantity of the body or the task: at most one of each type per list.
#: (Carries add as loads; weakness modifiers may name different muscles; a leg-length
#: difference and a camber add as functional leg-length differences.)
ONE_PER_SCENARIO = ("trendelenburg", "wallet", "crossed_legs", "leg_length", "camber", "antalgic")

#: How modifiers of one list compose (printed in the schema's documentation).
COMPOSITION_RULE = ("Carries add as loads. Weakness modifiers may name different muscles; one muscle at two "
                    "strengths, or two different compensations, is refused. A leg_length and a camber add as "
                    "signed functional leg-length differences (same side: they add; opposite sides: they "
                    "subtract), and the total must meet the standing task's limit. At most one each of "
                    f"{', '.join(ONE_PER_SCENARIO)}; a modifier and a [task] key that set the same quantity "
                    "are refused. Derived values (a wallet's pelvic obliquity, the total leg-length difference) "
                    "are checked against the task's limits before any solving.")

#: Task keys a modifier sets, per task: the task key and the modifier cannot both be given.
MODIFIER_SETS_TASK_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "trendelenburg": {"single_leg_stance": ("pelvic_drop_deg", "trunk_lean_deg"), "gait": ("pelvic_drop_scale",)},
    "wallet": {"sitting": ("pelvic_obliquity_deg",)},
    "antalgic": {"gait": ("stance_asymmetry",)},
}


def check_name(name: Any, source: str) -> str:
    """``name`` if it is an identifier (:data:`NAME_PATTERN`), else an InputError naming ``source``."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise input_error(source, "name", name, NAME_RULE)
    return name


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
    mods: list[Modifier] = []
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
        if t == "weakness" and vals["compensation"] != "none" and task not in COMPENSATING_TASKS:
            raise input_error(src, f"{w}.compensation", vals["compensation"],
                              f"a compensation applies to {' and '.join(COMPENSATING_TASKS)} only; use \"none\" "
                              f"for {task}")
        if t in ONE_PER_SCENARIO:
            first = next((j for j, m in enumerate(mods) if m.type == t), None)
            if first is not None:
                raise input_error(src, f"{w}.type", t, f"{where}[{first}] is already a {t} modifier and both set "
                                  f"the same quantity; give one {t} modifier")
        mods.append(Modifier(t, vals))
    return tuple(mods)


def _task_key_conflicts(src: str, where: str, mods: tuple[Modifier, ...], task: str,
                        given: dict[str, str]) -> None:
    """A modifier that sets a task key the file also gives (``given``: key -> where it is given)."""
    for i, m in enumerate(mods):
        for key in MODIFIER_SETS_TASK_KEYS.get(m.type, {}).get(task, ()):
            if key in given:
                raise input_error(src, f"{where}[{i}].type", m.type, f"a {m.type} modifier sets {key}, which "
                                  f"{given[key]} also gives; give one of the two")


def parse_scenario(data: dict, source: str, muscle_check=None) -> ScenarioSpec:
    """Validate parsed TOML ``data`` of a scenario file named ``source``.

    ``muscle_check(name) -> None`` raises for an unknown muscle (the model's names, aliases and
    :data:`GROUPS` are allowed).
    """
    src = source
    for key in data:
        if key not in TOP_KEYS:
            raise input_error(src, key, data[key], f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    name = check_name(data.get("name"), src)
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
    # The baseline inherits the scenario's [task]: a key required there (an exercise's name) is optional here.
    base_keys = {k: dataclasses.replace(p, required=False, nullable=True, default=None) if p.required else p
                 for k, p in TASK_KEYS[task].items()}
    base_task = _table(src, "baseline.task", base.get("task", {}), base_keys, fill_defaults=False)
    if task == "exercise":  # rules between an exercise's keys, before any solving
        check_exercise_values(task_values, src, "task")
        check_exercise_values({**task_values, **base_task}, src, "baseline.task")
    given = {k: f"task.{k}" for k in task_tbl if k != "type"}
    _task_key_conflicts(src, "modifiers", modifiers, task, given)
    _task_key_conflicts(src, "baseline.modifiers", base_mods, task, {**given, **{k: f"baseline.task.{k}"
                                                                                 for k in base_task}})
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
    """Read and validate a scenario file. A relative ``model`` path is relative to the file's folder."""
    spec = parse_scenario(read_toml(path, "scenario"), str(path), muscle_check)
    from hipsim.model import SHIPPED
    if spec.model not in SHIPPED and not Path(spec.model).is_absolute():
        spec = dataclasses.replace(spec, model=str(Path(path).parent / spec.model))
    return spec
