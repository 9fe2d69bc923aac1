"""Study files: a base scenario, parameters with distributions, a design, outputs.

A study runs one scenario many times with some of its inputs drawn from distributions.
Every parameter is a key of the scenario rulebook (``subject.mass_kg``, ``task.trunk_lean_deg``,
``modifiers[0].mass_kg``, ``baseline.modifiers[0].strength``) or a model quantity
(``strength.<muscle or group>``, ``max_isometric_force_n.<muscle>``,
``attachment_offset_mm.<muscle>.<origin|insertion>.<x|y|z>``). Each is validated against the
same :class:`hipsim.params.Param` that guards it in a scenario: a distribution whose support
leaves the rule's limits is refused before anything runs, in one sentence naming the file,
the key, the value and what is allowed.

Example (``studies/bag_sobol.toml``)::

    name = "bag_sobol"
    scenario = "bag_opposite_hand"       # a shipped scenario or a .toml path beside this file
    seed = 19

    [design]
    type = "saltelli"                    # grid, monte_carlo, latin_hypercube or saltelli
    samples = 4096                       # saltelli: base samples N, runs N * (parameters + 2)

    [[parameters]]
    key = "subject.mass_kg"
    distribution = "uniform"
    low = 55
    high = 110
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hipsim.analysis.metrics import METRIC_COLUMNS
from hipsim.anatomy import FIBRE_GROUPS, MUSCLE_GROUPS
from hipsim.errors import InputError, input_error
from hipsim.fileio import read_toml
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import STRENGTH, Param, check_params
from hipsim.scenarios.schema import MODIFIER_KEYS, MODIFIER_SETS_TASK_KEYS, TASK_KEYS, check_name, read_scenario

#: What ``design.type`` may be: the designs and the SALib sampler each uses.
DESIGNS: dict[str, str] = {
    "grid": "full factorial grid of `levels` points per parameter (quantiles of its distribution)",
    "monte_carlo": "independent random draws (numpy's PCG64 generator, `seed`)",
    "latin_hypercube": "Latin hypercube (SALib.sample.latin)",
    "saltelli": "Sobol sequence with Saltelli's cross-sampling for Sobol indices (SALib.sample.sobol); "
                "samples = N base samples, N (D + 2) runs for D parameters, N a power of 2",
}

#: ``[design]`` keys.
DESIGN_PARAMS: dict[str, Param] = {
    "type": Param("str", "the design", "monte_carlo", choices=tuple(DESIGNS), required=True),
    "samples": Param("int", "samples drawn (saltelli: base samples N)", 1024, "", 1, 10_000_000),
    "levels": Param("int", "grid: points per parameter", 5, "", 2, 1000),
    "chunk_size": Param("int", "samples per chunk: one batched call, one file, the unit of resuming", 1024, "",
                        1, 1_000_000),
}
#: The most runs a study may ask for (a grid grows as levels^D).
MAX_RUNS = 50_000_000

#: What a parameter's ``distribution`` may be, and the keys each needs.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),  # truncated at low/high, by default the rule's limits
}
#: ``[[parameters]]`` keys.
PARAMETER_PARAMS: dict[str, Param] = {
    "key": Param("str", "a scenario key (subject.*, task.*, modifiers[i].*, baseline.modifiers[i].*) or a model "
                 "quantity (strength.*, max_isometric_force_n.*, attachment_offset_mm.*)", "", required=True),
    "distribution": Param("str", "the distribution", "uniform", choices=tuple(DISTRIBUTIONS)),
    "low": Param("float", "uniform: lower end; normal: lower truncation (default: the key's lower limit)",
                 nullable=True),
    "high": Param("float", "uniform: upper end; normal: upper truncation (default: the key's upper limit)",
                  nullable=True),
    "mean": Param("float", "normal: mean", nullable=True),
    "sd": Param("float", "normal: standard deviation", nullable=True, lo=0.0),
    "source": Param("str", "where the distribution comes from (a citation)", "", ),
}
#: ``[outputs]`` keys.
OUTPUT_PARAMS: dict[str, Param] = {
    "sobol_metrics": Param("list[str]", "fibre metrics whose Sobol indices summary.json reports (with the hip "
                           "contact force)", ["peak_force_n"]),
}

#: Model quantities a parameter may name, with their rules (conventions, input limits).
MAX_ISOMETRIC_FORCE = Param("float", "a muscle's maximum isometric force in the model file, before scaling to "
                            "the subject", 1000.0, "N", 10.0, 10000.0)
ATTACHMENT_OFFSET = Param("float", "shift of a muscle's origin (first path point) or insertion (last path "
                          "point) in its body's frame", 0.0, "mm", -30.0, 30.0)

#: The version of the results table's layout, part of every study's digest: chunks written by an
#: older layout are never mixed into a resumed table.
TABLE_VERSION = 2

TOP_KEYS = ("name", "title", "description", "scenario", "seed", "design", "parameters", "outputs")

_MODIFIER_KEY = re.compile(r"(baseline\.)?modifiers\[(\d+)\]\.([a-z_]+)")


@dataclass(frozen=True)
class Target:
    """Where a parameter acts: ``kind`` is subject, task, modifier, strength, max_isometric_force_n or
    attachment_offset_mm; ``where`` the list of a modifier (``modifiers`` or ``baseline.modifiers``)."""

    kind: str
    name: str
    index: int = -1
    where: str = ""
    end: str = ""
    axis: int = -1


@dataclass(frozen=True)
class Parameter:
    key: str
    target: Target
    rule: Param
    distribution: str
    low: float
    high: float
    mean: float
    sd: float
    source: str = ""

    def salib(self) -> tuple[list[float], str]:
        """Bounds and distribution name as SALib's problem dict wants them."""
        if self.distribution == "uniform":
            return [self.low, self.high], "unif"
        return [self.low, self.high, self.mean, self.sd], "truncnorm"


@dataclass(frozen=True)
class StudySpec:
    """A validated study."""

    name: str
    title: str
    description: str
    scenario_path: Path
    scenario_data: dict
    task: str
    seed: int
    design: dict[str, Any]
    parameters: tuple[Parameter, ...]
    outputs: dict[str, Any]
    source: str
    digest: str

    @property
    def names(self) -> list[str]:
        return [p.key for p in self.parameters]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict."""
        bounds, dists = zip(*(p.salib() for p in self.parameters), strict=True)
        return {"num_vars": len(self.parameters), "names": self.names, "bounds": [list(b) for b in bounds],
                "dists": list(dists)}

    @property
    def n_runs(self) -> int:
        """How many samples (design rows) the study evaluates."""
        d, n = len(self.parameters), self.design["samples"]
        if self.design["type"] == "saltelli":
            return n * (d + 2)
        if self.design["type"] == "grid":
            return int(self.design["levels"]) ** d
        return int(n)


def _resolve_scenario(value: Any, src: str, folder: Path) -> Path:
    from hipsim.scenarios.runner import shipped_scenarios
    if not isinstance(value, str) or not value:
        raise input_error(src, "scenario", value, "name a shipped scenario or a scenario .toml file beside the study")
    shipped = shipped_scenarios()
    if value in shipped:
        return shipped[value]
    p = Path(value)
    p = p if p.is_absolute() else folder / p
    if p.suffix != ".toml" or not p.is_file():
        raise input_error(src, "scenario", value, f"name a shipped scenario ({', '.join(sorted(shipped))}) or an "
                          "existing scenario .toml file (relative to the study file)")
    return p


def _target(src: str, at: str, key: Any, data: dict, task: str, muscle_names: set[str]) -> tuple[Target, Param]:
    """The target and rule of a parameter key, or an InputError naming it."""
    if not isinstance(key, str):
        raise input_error(src, f"{at}.key", key, "it must be a string")
    numeric = ("float", "int")
    head, _, rest = key.partition(".")
    if head == "subject" and rest in SUBJECT_PARAMS:
        return Target("subject", rest), SUBJECT_PARAMS[rest]
    if head == "task":
        keys = TASK_KEYS[task]
        if rest in keys and keys[rest].kind in numeric:
            for mod in data.get("modifiers", []):
                if rest in MODIFIER_SETS_TASK_KEYS.get(mod.get("type"), {}).get(task, ()):
                    raise input_error(src, f"{at}.key", key, f"the scenario's {mod.get('type')} modifier sets {rest}; "
                                      "vary the modifier's own key instead")
            return Target("task", rest), keys[rest]
        allowed = ", ".join(f"task.{k}" for k, p in keys.items() if p.kind in numeric)
        raise input_error(src, f"{at}.key", key, f"a {task} task's numeric keys are {allowed}")
    m = _MODIFIER_KEY.fullmatch(key)
    if m:
        where = "baseline.modifiers" if m.group(1) else "modifiers"
        mods = data.get("baseline", {}).get("modifiers", []) if m.group(1) else data.get("modifiers", [])
        i = int(m.group(2))
        if i >= len(mods):
            raise input_error(src, f"{at}.key", key, f"the scenario's {where} list has {len(mods)} entries")
        mtype = mods[i].get("type")
        keys = MODIFIER_KEYS[mtype][1]
        if m.group(3) not in keys or keys[m.group(3)].kind not in numeric:
            allowed = ", ".join(k for k, p in keys.items() if p.kind in numeric)
            raise input_error(src, f"{at}.key", key, f"a {mtype} modifier's numeric keys are {allowed or 'none'}")
        return Target("modifier", m.group(3), i, where), keys[m.group(3)]
    if head == "strength":
        if rest in MUSCLE_GROUPS or rest in muscle_names or f"{rest}_r" in muscle_names:
            return Target("strength", rest), STRENGTH
        raise input_error(src, f"{at}.key", key, f"name a muscle (with or without _r/_l) or a group "
                          f"({', '.join(MUSCLE_GROUPS)}) after strength.")
    if head == "max_isometric_force_n":
        if rest in muscle_names or f"{rest}_r" in muscle_names:
            return Target("max_isometric_force_n", rest), MAX_ISOMETRIC_FORCE
        raise input_error(src, f"{at}.key", key, "name a muscle of the model (with or without _r/_l) after "
                          "max_isometric_force_n.")
    if head == "attachment_offset_mm":
        parts = rest.split(".")
        if (len(parts) == 3 and (parts[0] in muscle_names or f"{parts[0]}_r" in muscle_names)
                and parts[1] in ("origin", "insertion") and parts[2] in ("x", "y", "z")):
            return (Target("attachment_offset_mm", parts[0], end=parts[1], axis="xyz".index(parts[2])),
                    ATTACHMENT_OFFSET)
        raise input_error(src, f"{at}.key", key, "use attachment_offset_mm.<muscle>.<origin|insertion>.<x|y|z>")
    raise input_error(src, f"{at}.key", key, "use subject.mass_kg, subject.height_m, task.<key>, modifiers[i].<key>, "
                      "baseline.modifiers[i].<key>, strength.<muscle or group>, max_isometric_force_n.<muscle> or "
                      "attachment_offset_mm.<muscle>.<origin|insertion>.<x|y|z>")


def _parameter(src: str, at: str, raw: Any, data: dict, task: str, muscle_names: set[str]) -> Parameter:
    if not isinstance(raw, dict):
        raise input_error(src, at, raw, "each parameter is a table ([[parameters]])")
    vals = check_params(PARAMETER_PARAMS, raw, src, at)
    target, rule = _target(src, at, vals["key"], data, task, muscle_names)
    lo, hi = rule.interval
    dist = vals["distribution"]
    for k in DISTRIBUTIONS[dist]:
        if vals[k] is None:
            raise input_error(src, f"{at}.{k}", None,
                              f"a {dist} distribution needs {' and '.join(DISTRIBUTIONS[dist])}")
    low = vals["low"] if vals["low"] is not None else lo
    high = vals["high"] if vals["high"] is not None else hi
    allowed = f"{vals['key']} allows {rule.allowed()}"
    for k, v in (("low", low), ("high", high)):
        if not lo <= v <= hi:
            raise input_error(src, f"{at}.{k}", v,
                              f"the distribution must stay inside the rulebook's limits: {allowed}")
    if not low < high:
        raise input_error(src, f"{at}.high", high, f"it must be above low ({low:g})")
    if dist == "normal":
        if not low <= vals["mean"] <= high:
            raise input_error(src, f"{at}.mean", vals["mean"], f"a mean from {low:g} to {high:g} (the truncation "
                              f"bounds; {allowed})")
        if not vals["sd"] > 0:
            raise input_error(src, f"{at}.sd", vals["sd"], "a standard deviation above 0")
    if rule.kind == "int":
        raise input_error(src, f"{at}.key", vals["key"], "a whole-number key cannot take a continuous distribution")
    return Parameter(vals["key"], target, rule, dist, float(low), float(high),
                     float(vals["mean"] if vals["mean"] is not None else 0.0),
                     float(vals["sd"] if vals["sd"] is not None else 0.0), vals["source"])


def read_study(path: str | Path) -> StudySpec:
    """Read and validate a study file (see the module docstring); errors are InputErrors naming the
    file, the key and the value. (:func:`hipsim.read_study` reads a study's *results*.)"""
    from hipsim.model import load_model
    path = Path(path)
    src = str(path)
    if path.suffix != ".toml":
        raise input_error(src, "study", src, "give a study file (.toml)")
    data = read_toml(path, "study")
    for key in data:
        if key not in TOP_KEYS:
            raise input_error(src, key, data[key], f"unknown key; allowed: {', '.join(TOP_KEYS)}")
    name = check_name(data.get("name"), src)
    for key in ("title", "description"):
        if key in data and not isinstance(data[key], str):
            raise input_error(src, key, data[key], "it must be a string")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 32:
        raise input_error(src, "seed", seed, "a whole number from 0 to 4294967295")
    scen_path = _resolve_scenario(data.get("scenario"), src, path.parent)
    scen_data = read_toml(scen_path, "scenario")
    spec = read_scenario(scen_path)  # the scenario itself must be valid (its model path resolved)
    try:
        model = load_model(spec.model)
    except InputError as exc:
        raise input_error(str(scen_path), "model", spec.model, str(exc)) from None
    muscle_names = set(model.muscle_names) | set(model.muscle_aliases)
    if "design" not in data or not isinstance(data["design"], dict):
        raise input_error(src, "design", data.get("design"), "a study needs a [design] table with a type "
                          f"({', '.join(DESIGNS)})")
    design = check_params(DESIGN_PARAMS, data["design"], src, "design")
    raw = data.get("parameters")
    if not isinstance(raw, list) or not raw:
        raise input_error(src, "parameters", raw, "a study needs at least one [[parameters]] table")
    params = tuple(_parameter(src, f"parameters[{i}]", p, scen_data, spec.task, muscle_names)
                   for i, p in enumerate(raw))
    seen: dict[str, int] = {}
    for i, p in enumerate(params):
        if p.key in seen:
            raise input_error(src, f"parameters[{i}].key", p.key, f"parameters[{seen[p.key]}] already varies it")
        seen[p.key] = i
    outputs = check_params(OUTPUT_PARAMS, data.get("outputs", {}), src, "outputs") \
        if isinstance(data.get("outputs", {}), dict) else None
    if outputs is None:
        raise input_error(src, "outputs", data.get("outputs"), "it must be a table")
    for mname in outputs["sobol_metrics"]:
        if mname not in METRIC_COLUMNS:
            raise input_error(src, "outputs.sobol_metrics", mname, f"use metrics of {', '.join(METRIC_COLUMNS)}")
    if design["type"] == "saltelli":
        n = design["samples"]
        if n & (n - 1):
            raise input_error(src, "design.samples", n, "a power of 2 for a saltelli design (Sobol sequences balance "
                              "only at powers of 2), e.g. 1024, 2048 or 4096")
    s = StudySpec(name=name, title=data.get("title", name), description=data.get("description", ""),
                  scenario_path=scen_path, scenario_data=scen_data, task=spec.task, seed=int(seed), design=design,
                  parameters=params, outputs=outputs, source=src, digest="")
    if s.n_runs > MAX_RUNS:
        key = "design.levels" if design["type"] == "grid" else "design.samples"
        raise input_error(src, key, design["levels" if design["type"] == "grid" else "samples"],
                          f"the design would run {s.n_runs:,} samples; at most {MAX_RUNS:,}")
    return dataclasses.replace(s, digest=_digest(s))


def _digest(s: StudySpec) -> str:
    """What makes two runs the same study: the design, parameters, seed, chunking, the scenario and
    the table layout (:data:`TABLE_VERSION`)."""
    blob = json.dumps({"table": TABLE_VERSION, "scenario": s.scenario_data, "seed": s.seed, "design": s.design,
                       "parameters": [dataclasses.asdict(p) | {"rule": None} for p in s.parameters],
                       "outputs": s.outputs}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def design_matrix(spec: StudySpec) -> np.ndarray:
    """The study's samples (n_runs, n_parameters), deterministic in the seed. Distributions are
    applied by SALib (``SALib.util.scale_samples``: uniform, or normal truncated at low/high)."""
    from SALib.util import scale_samples  # type: ignore[import-untyped]
    problem = spec.problem()
    kind, d = spec.design["type"], len(spec.parameters)
    if kind == "saltelli":
        from SALib.sample import sobol  # type: ignore[import-untyped]
        return np.asarray(sobol.sample(problem, spec.design["samples"], calc_second_order=False, seed=spec.seed))
    if kind == "latin_hypercube":
        from SALib.sample import latin  # type: ignore[import-untyped]
        return np.asarray(latin.sample(problem, spec.design["samples"], seed=spec.seed))
    if kind == "monte_carlo":
        unit = np.random.default_rng(spec.seed).random((spec.design["samples"], d))
    else:
        k = spec.design["levels"]
        # Grid points at the quantiles (i + 1/2) / k: the middle of k equal-probability bins.
        axis = (np.arange(k) + 0.5) / k
        unit = np.stack(np.meshgrid(*([axis] * d), indexing="ij"), axis=-1).reshape(-1, d)
        if all(p.distribution == "uniform" for p in spec.parameters):
            # a uniform grid spans low..high end to end
            axis = np.linspace(0.0, 1.0, k)
            unit = np.stack(np.meshgrid(*([axis] * d), indexing="ij"), axis=-1).reshape(-1, d)
    return np.asarray(scale_samples(unit.copy(), problem))


__all__ = ["DESIGNS", "DESIGN_PARAMS", "DISTRIBUTIONS", "PARAMETER_PARAMS", "OUTPUT_PARAMS", "StudySpec",
           "Parameter", "Target", "read_study", "design_matrix", "FIBRE_GROUPS"]
