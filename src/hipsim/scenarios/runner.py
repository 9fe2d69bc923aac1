"""Run a scenario: build the baseline and the scenario tasks from the file, solve both,
compare their fibre loads, and map the changes onto trigger-point load indices.

Every modifier acts through the mechanics (a point mass, a posture, a strength factor, a
pressure), never through a table of effects.
"""
from __future__ import annotations

import dataclasses
import importlib.resources
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from hipsim.analysis.metrics import (PHYSIOLOGICAL_FIBRE_LENGTH, Exposure, compare, fibre_metrics,
                                     outside_physiological_length, saturated_in_both)
from hipsim.analysis.trigger_points import trigger_point_indices
from hipsim.errors import InputError, input_error
from hipsim.model import Model, load_model
from hipsim.model.scaling import Subject
from hipsim.scenarios.schema import GROUPS, Modifier, ScenarioSpec, read_scenario
from hipsim.tasks.exercise import exercise
from hipsim.tasks.gait import gait
from hipsim.tasks.posture import sitting, standing
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM, TaskResult
from hipsim.tasks.posture import STANDING_PARAMS, leg_length_obliquity
from hipsim.tasks.stance import PELVIC_OBLIQUITY, Load, single_leg_stance

#: The task's leg-length rule: the total of the leg-length and camber modifiers must meet it.
LEG_LENGTH = STANDING_PARAMS["leg_length_difference_m"]

Progress = Callable[[str], None]


@dataclass
class ScenarioResult:
    """Baseline and scenario task results, the metrics table and what was derived on the way."""

    spec: ScenarioSpec
    baseline: TaskResult
    scenario: TaskResult
    metrics: pd.DataFrame
    indices: pd.DataFrame
    derived: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names -> files (the repository's scenarios/ folder)."""
    root = importlib.resources.files("hipsim.shipped_scenarios")
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if str(p).endswith(".toml")}


def resolve(path_or_name: str | Path) -> Path:
    """A shipped scenario name (``wallet``) or a path to a scenario file."""
    if not isinstance(path_or_name, (str, Path)):
        raise input_error("argument", "scenario", path_or_name, "a scenario file path or a shipped scenario name")
    shipped = shipped_scenarios()
    if isinstance(path_or_name, str) and path_or_name in shipped:
        return shipped[path_or_name]
    p = Path(path_or_name)
    if p.suffix != ".toml":
        raise input_error(str(p), "scenario", str(path_or_name),
                          f"give a scenario file (.toml) or a shipped name ({', '.join(sorted(shipped))})")
    if not p.exists():
        raise input_error(str(p), "scenario", str(path_or_name), "the file does not exist")
    return p


# --------------------------------------------------------------------------- modifiers -> task inputs

def _weak_factors(model: Model, mod: Modifier) -> dict[str, float]:
    sides = ("r", "l") if mod.values["side"] == "both" else (mod.values["side"],)
    out: dict[str, float] = {}
    for name in mod.values["muscles"]:
        bases = GROUPS.get(name, (name,))
        for b in bases:
            if b[-2:] in ("_r", "_l") or b in model.muscle_aliases:
                out[model.muscle_names[model.muscle_index(b)]] = mod.values["strength"]
            else:
                for s in sides:
                    out[model.muscle_names[model.muscle_index(f"{b}_{s}")]] = mod.values["strength"]
    return out


@dataclass
class _Plan:
    kwargs: dict[str, Any]
    strength: dict[str, float]
    loads: list[Load]
    compression_kpa: dict[str, float]
    compensation: str
    notes: dict[str, Any]


def _limit_error(src: str, key: str, value: float, given: str, quantity: str, amount: str, limit: str,
                 fix: str) -> InputError:
    """A derived value beyond its task's limit, in the user's own keys: one sentence."""
    return InputError(f"{src}: {key} = {value:g}{given} gives {quantity} of {amount}, beyond the {limit} the task "
                      f"allows; {fix}.", source=src, key=key, value=value)


def _plan(model: Model, spec: ScenarioSpec, mods: tuple[Modifier, ...], task_values: dict[str, Any],
          where: str = "modifiers") -> _Plan:
    """Task inputs from the modifiers of one list (``where`` names it in messages).

    Rules of composition: carries add as loads; weakness modifiers may name different muscles
    (the same muscle at two strengths, or two different compensations, is refused); a
    leg-length difference and a camber add as signed functional leg-length differences (a
    short left leg and a low left foot add; opposite sides subtract); the schema allows one of
    each other type. Derived values (the wallet's obliquity, the total leg-length difference)
    are checked against the task's limits here, before any solving, naming the user's keys.
    """
    src = spec.source
    kw = dict(task_values)
    plan = _Plan(kw, {}, [], {}, "none", {})
    set_by: dict[str, tuple[int, float]] = {}  # muscle -> (modifier index, strength)
    compensation_by: int | None = None
    lengths: list[tuple[int, Modifier, float]] = []  # signed (left shorter > 0) leg-length differences, m
    for i, mod in enumerate(mods):
        v = mod.values
        at = f"{where}[{i}]"
        if mod.type == "carry":
            plan.loads.append(Load(v["place"], v["side"], v["mass_kg"]))
        elif mod.type == "weakness":
            for muscle, f in _weak_factors(model, mod).items():
                if muscle in set_by and set_by[muscle][1] != f:
                    j, g = set_by[muscle]
                    raise input_error(src, f"{at}.strength", f, f"{where}[{j}] already sets {muscle} to strength "
                                      f"{g:g}; give each muscle one strength")
                set_by[muscle] = (i, f)
            plan.strength.update(_weak_factors(model, mod))
            if v["compensation"] != "none":
                if compensation_by is not None and plan.compensation != v["compensation"]:
                    raise input_error(src, f"{at}.compensation", v["compensation"],
                                      f"{where}[{compensation_by}] already asks for compensation = "
                                      f"{plan.compensation!r}; give one compensation")
                plan.compensation, compensation_by = v["compensation"], i
        elif mod.type == "trendelenburg":
            if spec.task == "gait":
                kw["pelvic_drop_scale"] = v["drop_scale"]
            else:
                kw["pelvic_drop_deg"] = v["pelvic_drop_deg"]
                kw["trunk_lean_deg"] = v["trunk_lean_deg"]
        elif mod.type == "wallet":
            plan.notes["wallet"] = w = _wallet(model, spec, v, plan)
            lo, hi = PELVIC_OBLIQUITY.interval
            obl = w["pelvic_obliquity_deg"]
            if not lo <= obl <= hi:
                bound = hi if obl > 0 else -lo
                raise _limit_error(src, f"{at}.thickness_cm", v["thickness_cm"],
                                   f" with ischial_spacing_cm = {v['ischial_spacing_cm']:g}", "a pelvic obliquity",
                                   f"{abs(obl):.1f} degrees", f"{bound:g} degrees", "use a thinner wallet or a wider "
                                   "ischial_spacing_cm")
            kw["pelvic_obliquity_deg"] = obl
        elif mod.type == "crossed_legs":
            kw["crossed_top_side"] = v["top_side"]
        elif mod.type == "leg_length":
            d = v["difference_cm"] / 100.0
            lengths.append((i, mod, d if v["short_side"] == "l" else -d))
        elif mod.type == "camber":
            # Feet across a slope: the low foot stands lower by width * tan(camber) (a functional
            # leg-length difference).
            diff = v["stance_width_m"] * math.tan(math.radians(v["camber_deg"]))
            lengths.append((i, mod, diff if v["low_side"] == "l" else -diff))
            plan.notes["camber"] = {"functional_leg_length_difference_cm": 100 * diff}
        elif mod.type == "antalgic":
            sign = -1.0 if v["painful_side"] == "r" else 1.0
            kw["stance_asymmetry"] = sign * v["stance_reduction"]
    if lengths:
        total = sum(d for _, _, d in lengths)
        hi = LEG_LENGTH.interval[1]
        if abs(total) > hi:
            i, mod, d = lengths[-1]
            key, given = (("camber_deg", f" with stance_width_m = {mod.values['stance_width_m']:g}")
                          if mod.type == "camber" else ("difference_cm", ""))
            if len(lengths) > 1:
                j = lengths[0][0]
                given += f" and {where}[{j}] ({100 * abs(lengths[0][2]):.2f} cm)"
            raise _limit_error(src, f"{where}[{i}].{key}", mod.values[key], given,
                               "a functional leg-length difference", f"{100 * abs(total):.2f} cm",
                               f"{100 * hi:g} cm", f"use a smaller {key}")
        kw["leg_length_difference_m"] = abs(total)
        kw["short_side"] = "l" if total >= 0 else "r"
        # Standing adds the leg-length tilt to the task's own obliquity: the sum must meet its limit.
        given = kw.get("pelvic_obliquity_deg", 0.0)
        obl = given + math.degrees(leg_length_obliquity(model, abs(total), kw["short_side"]))
        lo, hi = PELVIC_OBLIQUITY.interval
        if not lo <= obl <= hi:
            i, mod, _ = lengths[-1]
            key = "camber_deg" if mod.type == "camber" else "difference_cm"
            raise _limit_error(src, f"{where}[{i}].{key}", mod.values[key],
                               f" with task.pelvic_obliquity_deg = {given:g}", "a pelvic obliquity",
                               f"{abs(obl):.1f} degrees", f"{hi if obl > 0 else -lo:g} degrees",
                               "use a smaller task.pelvic_obliquity_deg or leg-length difference")
        if len(lengths) > 1:
            plan.notes["functional_leg_length_difference_cm"] = {
                "total": 100 * abs(total), "short_side": kw["short_side"],
                "rule": "a leg-length difference and a camber add as signed functional leg-length differences"}
    return plan


def _wallet(model: Model, spec: ScenarioSpec, v: dict[str, Any], plan: _Plan) -> dict[str, Any]:
    """Pelvic obliquity and pressure from a wallet under one ischial tuberosity.

    Statics of the seated pelvis on two supports (the ischial tuberosities) a distance d
    apart, with the seated weight W centred between them: each side carries W/2, so linear
    soft-tissue and cushion compliance compress both sides alike and cancel; the wallet side
    is lifted by the wallet's thickness less its own compression, (W/2)/k_wallet. The
    obliquity is atan(lift / d). The load of that side then passes through the wallet's
    face, so the pressure over the wallet is (W/2)/A_wallet against (W/2)/A_buttock without
    it; that pressure acts on the posterior gluteal region of that side, where the posterior
    fibres of gluteus minimus lie under the pocket (Travell & Simons 1992, vol. 2, ch. 9: a wallet
    compresses posterior gluteus minimus TrPs).
    """
    mass = model.mass if "mass_kg" not in spec.subject else spec.subject["mass_kg"]
    g = float(np.linalg.norm(model.compiled.gravity))
    # Seated weight on the buttocks: pelvis and trunk of the model, scaled to the subject.
    share = sum(model.compiled.body_mass[model.body_names.index(b)] for b in ("pelvis", "torso")) / model.mass
    w_side = 0.5 * share * mass * g
    comp_m = min(w_side / (v["wallet_stiffness_n_per_mm"] * 1000.0), 0.9 * v["thickness_cm"] / 100.0)
    lift = v["thickness_cm"] / 100.0 - comp_m
    d = v["ischial_spacing_cm"] / 100.0
    obl = math.degrees(math.atan2(lift, d))
    side = v["side"]
    # Wallet under the right buttock raises the right side: the left is lower (positive obliquity).
    obliquity = obl if side == "r" else -obl
    p_wallet = w_side / (v["wallet_area_cm2"] * 1e-4) / 1000.0
    p_base = w_side / (v["buttock_contact_area_cm2"] * 1e-4) / 1000.0
    for base in ("gluteus_minimus_posterior", "gluteus_medius_posterior", "piriformis"):
        plan.compression_kpa[f"{base}_{side}"] = p_wallet
        other = "l" if side == "r" else "r"
        plan.compression_kpa.setdefault(f"{base}_{other}", p_base)
    return {"pelvic_obliquity_deg": obliquity, "lift_mm": 1000 * lift, "wallet_compression_mm": 1000 * comp_m,
            "seated_load_per_side_n": w_side, "pressure_over_wallet_kpa": p_wallet,
            "pressure_without_wallet_kpa": p_base}


def _baseline_compression(model: Model, spec: ScenarioSpec) -> dict[str, float]:
    """Seated pressure on both buttocks without a wallet (for a seated baseline)."""
    wallets = [m for m in spec.modifiers if m.type == "wallet"]
    if spec.task != "sitting" or not wallets:
        return {}
    tmp = _Plan({}, {}, [], {}, "none", {})
    v = dict(wallets[0].values)
    v["wallet_area_cm2"] = v["buttock_contact_area_cm2"]  # no wallet: the side's load spreads over the buttock
    _wallet(model, spec, v, tmp)
    return tmp.compression_kpa


# --------------------------------------------------------------------------- running tasks

#: Task values that say how much of the task a day holds (:func:`_exposure`), not how it is done:
#: the task itself never sees them.
EXPOSURE_KEYS = ("holds_per_day", "steps_per_day", "bout_s")


def _run_task(model: Model, subject: Subject | None, spec: ScenarioSpec, plan: _Plan) -> TaskResult:
    kw = {k: v for k, v in plan.kwargs.items() if k not in EXPOSURE_KEYS}
    if spec.task == "single_leg_stance":
        return single_leg_stance(model, subject=subject, loads=plan.loads, strength=plan.strength or None, **kw)
    if spec.task == "gait":
        # Walking finds its compensation frame by frame inside the task (hipsim.gait).
        return gait(model, subject=subject, loads=plan.loads, strength=plan.strength or None,
                    compensation=plan.compensation, **kw)
    if spec.task == "standing":
        return standing(model, subject=subject, loads=plan.loads, strength=plan.strength or None, **kw)
    if spec.task == "exercise":
        return exercise(model=model, subject=subject, strength=plan.strength or None, **kw)
    return sitting(model, subject=subject, strength=plan.strength or None, **kw)


def _abduction_reserve(res: TaskResult) -> float:
    side = res.parameters.get("side", "r")
    c = f"hip_adduction_{side}"
    if c not in res.reserve_coordinates:
        return 0.0
    return float(np.abs(res.reserves[:, res.reserve_coordinates.index(c)]).max())


def _compensate(model: Model, subject: Subject | None, spec: ScenarioSpec, plan: _Plan, first: TaskResult,
                derived: dict[str, Any]) -> TaskResult:
    """Single-leg stance with weak abductors: find the trunk lean (or pelvic drop) at which the
    abduction reserve falls to :data:`~hipsim.tasks.result.ABDUCTOR_SHORTFALL_NM`, by bisection
    over the input range of the lean or drop. Walking searches frame by frame inside
    :func:`hipsim.gait`; here its report is copied into ``derived``."""
    if spec.task == "gait":
        comp = first.parameters.get("compensation")
        derived["abduction_deficit_nm"] = (comp["abductor_shortfall_before_nm"] if comp
                                           else _abduction_reserve(first))
        if comp:
            key = "trunk_lean_deg" if comp["kind"] == "lean" else "pelvic_drop_deg"
            derived["compensation"] = {
                f"peak_{key}": round(comp["peak_deg"], 2),
                "abductor_shortfall_left_nm": round(comp["abductor_shortfall_left_nm"], 2),
                "frames_short": comp["frames_short"],
                f"{key}_by_percent": [round(x, 2) for x in comp[key]],
                "sign": "+ toward the right side; one value per percent of the cycle from right heel strike",
                **({"note": comp["note"]} if "note" in comp else {})}
        return first
    deficit = _abduction_reserve(first)
    derived["abduction_deficit_nm"] = deficit
    if plan.compensation == "none" or spec.task != "single_leg_stance" or deficit <= ABDUCTOR_SHORTFALL_NM:
        return first
    key, hi = ("trunk_lean_deg", 30.0) if plan.compensation == "lean" else ("pelvic_drop_deg", 25.0)
    lo = float(plan.kwargs.get(key, 0.0))

    def reserve_at(x: float) -> tuple[float, TaskResult]:
        p = dataclasses.replace(plan, kwargs={**plan.kwargs, key: x})
        r = _run_task(model, subject, spec, p)
        return _abduction_reserve(r), r

    limit = ""
    try:
        r_hi, res_hi = reserve_at(hi)
    except InputError:
        # The model's joint ranges cannot hold the body balanced at the input limit (Lai-Uhlrich's hip
        # adducts at most 30 degrees): search up to the largest angle it can stand in, to 0.1 degree.
        ok, bad = lo, hi
        res_hi = first
        while bad - ok > 0.1:
            mid = 0.5 * (ok + bad)
            try:
                res_hi = reserve_at(mid)[1]
                ok = mid
            except InputError:
                bad = mid
        hi, r_hi = ok, _abduction_reserve(res_hi)
        limit = " (the most the model's joint ranges allow balanced)"
    if r_hi > ABDUCTOR_SHORTFALL_NM:
        why = ("" if key != "pelvic_drop_deg" else
               "; a drop swings the trunk toward the unsupported side and lengthens the body-weight lever about "
               "the stance hip, while the adducted hip shortens the abductors' moment arms, so it enlarges the "
               f"shortfall ({deficit:.1f} N m at the start)")
        derived["compensation"] = {key: None,
                                   "note": f"even {hi:.3g} degrees{limit} leaves {r_hi:.1f} N m uncovered{why}"}
        return res_hi
    best = res_hi
    for _ in range(25):
        mid = 0.5 * (lo + hi)
        r_mid, res_mid = reserve_at(mid)
        if r_mid > ABDUCTOR_SHORTFALL_NM:
            lo = mid
        else:
            hi, best = mid, res_mid
        if hi - lo < 0.05:
            break
    derived["compensation"] = {key: round(hi, 2)}
    return best


def _exposure(spec: ScenarioSpec, values: dict[str, Any], res: TaskResult) -> Exposure:
    if spec.task == "gait":
        cycles = values["steps_per_day"] / 2.0
        return Exposure(cycles, float(res.time[-1] - res.time[0]), values["bout_s"])
    hold = values["hold_s"]
    return Exposure(values["holds_per_day"], hold, hold)


@dataclass
class PreparedScenario:
    """A scenario checked and planned, ready to solve: the file, its spec, the model, and the
    task inputs of the baseline and the scenario (every check that needs no solving done)."""

    path: Path
    spec: ScenarioSpec
    model: Model
    subject: Subject | None
    base_plan: _Plan
    plan: _Plan


def prepare_scenario(path_or_name: str | Path, model: str | Path | None = None) -> PreparedScenario:
    """Read, validate and plan a scenario without solving it: the file, its model, its muscle
    names, how its modifiers compose, and the derived limits (a wallet's obliquity, a total
    leg-length difference). Every input error a scenario can have before solving is raised here.
    ``model`` (a shipped name or a model file) replaces the file's ``model`` key."""
    path = resolve(path_or_name)
    override = None if model is None else str(model)
    # Parse once without the model to learn which model to load, then check muscle names.
    spec = read_scenario(path)
    if override is not None:
        spec = dataclasses.replace(spec, model=override)
    try:
        the_model = load_model(spec.model)
    except InputError as exc:
        if override is not None:
            raise  # the caller's model, not the file's: its own message says what is allowed
        raise input_error(str(path), "model", spec.model, str(exc)) from None

    def check_muscle(name: str) -> None:
        the_model.muscle_index(name if name[-2:] in ("_r", "_l") else f"{name}_r")

    spec = read_scenario(path, check_muscle)
    if override is not None:
        spec = dataclasses.replace(spec, model=override)
    # The subject keys not given are the model's own (the subject it records).
    own = the_model.subject
    subject = Subject(**{"mass_kg": own.mass_kg, "height_m": own.height_m, **spec.subject}) if spec.subject else None
    base_values = {**spec.task_values, **spec.baseline_task_values}
    base_plan = _plan(the_model, spec, spec.baseline_modifiers, base_values, "baseline.modifiers")
    base_plan.compression_kpa.update(_baseline_compression(the_model, spec))
    plan = _plan(the_model, spec, spec.modifiers, spec.task_values)
    return PreparedScenario(path, spec, the_model, subject, base_plan, plan)


def run_scenario(path_or_name: str | Path | PreparedScenario, progress: Progress | None = None) -> ScenarioResult:
    """Run a scenario file (or a shipped scenario by name, or a :class:`PreparedScenario`) against
    its baseline.

    Returns the baseline and scenario task results, a metrics table (one row per muscle part
    and side: scenario metrics, ``*_baseline`` and ``*_pct_change``), trigger-point load
    indices, derived quantities (a wallet's obliquity, a compensation) and warnings.
    """
    say = progress or (lambda msg: None)
    prep = path_or_name if isinstance(path_or_name, PreparedScenario) else prepare_scenario(path_or_name)
    spec, model, subject, base_plan, plan = prep.spec, prep.model, prep.subject, prep.base_plan, prep.plan
    derived: dict[str, Any] = {}
    say("solving the baseline")
    baseline = _run_task(model, subject, spec, base_plan)
    derived.update(plan.notes)
    say("solving the scenario")
    scen = _run_task(model, subject, spec, plan)
    if any(m.type == "weakness" for m in spec.modifiers):
        scen = _compensate(model, subject, spec, plan, scen, derived)
    say("computing fibre loads")
    m_scen = fibre_metrics(scen, _exposure(spec, plan.kwargs, scen), compression_kpa=plan.compression_kpa)
    m_base = fibre_metrics(baseline, _exposure(spec, base_plan.kwargs, baseline),
                           compression_kpa=base_plan.compression_kpa)
    metrics = compare(m_scen, m_base)
    indices = trigger_point_indices(metrics)
    # Each task's warnings name the run they come from.
    warnings = [f"baseline and scenario: {w}" if w in scen.warnings else f"baseline: {w}"
                for w in dict.fromkeys(baseline.warnings)]
    warnings += [f"scenario: {w}" for w in dict.fromkeys(scen.warnings) if w not in baseline.warnings]
    full = saturated_in_both(metrics)
    if full:
        names = ", ".join(f"{m.replace('_', ' ')} ({side})" for m, side in full)
        warnings.append(f"{names} reach full activation in both the baseline and the scenario, so their peak "
                        "force cannot change: compare their impulse and mean force instead")
    odd = outside_physiological_length(metrics)
    if odd:
        names = ", ".join(f"{m.replace('_', ' ')} ({side}) {v:.2f}" for m, side, v in odd)
        lo, hi = PHYSIOLOGICAL_FIBRE_LENGTH
        warnings.append(f"mean fibre length outside {lo}-{hi} of optimal, where sarcomeres develop little "
                        f"active force (Gordon, Huxley & Julian 1966): {names}; there the model's rigid tendon and "
                        "tendon slack length give fibre lengths that are not physiological: read these "
                        "fibres' length changes with caution")
    return ScenarioResult(spec=spec, baseline=baseline, scenario=scen, metrics=metrics, indices=indices,
                          derived=derived, warnings=warnings)

