"""Evaluate a chunk of a study's samples: one tidy table, a row per sample, fibre group and side.

Single-leg stance (the study's own fast path) runs every sample's scenario and baseline in one
batched pass (:func:`hipsim.studies.batch.stance_batch`), each distinct set of stance inputs once
(a Saltelli design repeats the baseline of each base sample in the row that varies only the
scenario's load). Other tasks (gait, standing, sitting),
and a stance with a searched compensation, run each sample as a scenario, as
:func:`hipsim.scenarios.runner.run_scenario` does: a Python loop, correct and much slower. There
the baseline is solved once per distinct set of baseline inputs (subject, task values, baseline
modifiers, strengths) and reused by every later sample that shares them (an exact key: see
:func:`_baseline_key`). A walking sample of a new body shape spends most of its time fitting the
keypoint walk (:mod:`hipsim.motion.gait_fit`) for the scenario and for the baseline; the fit does
not depend on body mass, so samples that differ only in mass share it
(:func:`hipsim.motion.normative_gait`).

Columns: ``sample``; one column per parameter (named by its key); ``muscle`` (the fibre group),
``side``; ``status`` and ``status_baseline`` (``ok`` or why a sample has no result: its metrics
are then empty, never silently NaN in a solved row); ``beyond_muscles`` (and its baseline): reserve
actuators carried part of a joint moment, so the muscles cannot hold that posture and its forces
are not ones they can produce (hipsim.tasks.result.assess_feasibility's rule); the fibre metrics of
the scenario and (with ``_baseline``) of its baseline; ``hip_contact_force_n`` / ``_bw`` of that
side (peak over the task) and their baseline; the five trigger-point factor indices of
:mod:`hipsim.analysis.trigger_points` (scenario over baseline).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hipsim.analysis.metrics import (METRIC_COLUMNS, REST_ACTIVATION, SHORTENED, STRETCHED, change_floor, compare,
                                     fibre_metrics)
from hipsim.analysis.trigger_points import FACTOR_INDICES, FACTOR_NAMES, _ratio, _static_load, trigger_point_indices
from hipsim.anatomy import FIBRE_GROUPS, MUSCLE_GROUPS
from hipsim.errors import input_error
from hipsim.model import Model, load_model
from hipsim.model.spec import ConditionalPathPoint, PathPoint
from hipsim.scenarios.runner import PreparedScenario, _compensate, _exposure, _plan, _run_task, _weak_factors
from hipsim.scenarios.schema import parse_scenario
from hipsim.studies.batch import ANGLES, STATUS_OK, StanceInputs, batchable, stance_batch_unique
from hipsim.studies.schema import Parameter, StudySpec
from hipsim.tasks.result import TaskResult

SIDES = ("r", "l")
#: Context columns the negligible-change floors need (hipsim.analysis.metrics.change_floor).
CONTEXT = ("max_isometric_force_n", "pcsa_m2", "optimal_fiber_length_m", "repetition_s", "repetitions_per_day",
           "bout_s")
HIP = ("hip_contact_force_n", "hip_contact_force_bw")


def _muscles(model: Model, name: str) -> list[int]:
    """Indices of a muscle (with side: one; without: both sides) or a group (both sides)."""
    bases = MUSCLE_GROUPS.get(name, (name,))
    out: list[int] = []
    for b in bases:
        if b in model.muscle_names or b in model.muscle_aliases:
            out.append(model.muscle_index(b))
        else:
            out += [model.muscle_index(f"{b}_{s}") for s in SIDES]
    return out


def _offset_model(model: Model, offsets: dict[tuple[str, str, int], float]) -> Model:
    """The model with muscle origins (first path point) or insertions (last) moved, mm in the body frame."""
    muscles = list(model.spec.muscles)
    for (name, end, axis), mm in offsets.items():
        for i in _muscles(model, name):
            mu = muscles[i]
            k = 0 if end == "origin" else len(mu.path) - 1
            p = mu.path[k]
            if not isinstance(p, (PathPoint, ConditionalPathPoint)):
                raise input_error("study", f"attachment_offset_mm.{name}.{end}", mm,
                                  "a fixed path point to move (this muscle's end moves with a coordinate)")
            loc = [float(c) for c in p.location]
            loc[axis] += mm / 1000.0
            path = list(mu.path)
            path[k] = dataclasses.replace(p, location=(loc[0], loc[1], loc[2]))
            muscles[i] = dataclasses.replace(mu, path=tuple(path))
    return Model(dataclasses.replace(model.spec, muscles=tuple(muscles)))


@dataclass
class Evaluator:
    """A study made ready to evaluate chunks (built once per worker process)."""

    spec: StudySpec
    model: Model
    prep: PreparedScenario
    fast: bool
    #: Baselines solved so far on the slow path (a sample whose baseline inputs were seen reuses it).
    baselines_solved: int = 0
    _baselines: dict[tuple, tuple[pd.DataFrame, "_Solved"]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, spec: StudySpec) -> "Evaluator":
        from hipsim.scenarios.runner import prepare_scenario
        prep = prepare_scenario(spec.scenario_path)
        comp = any(m.type == "weakness" and m.values["compensation"] != "none"
                   for m in prep.spec.modifiers + prep.spec.baseline_modifiers)
        fast = prep.spec.task == "single_leg_stance" and not comp and batchable(prep.model)
        if not fast and any(p.target.kind == "attachment_offset_mm" for p in spec.parameters):
            p = next(p for p in spec.parameters if p.target.kind == "attachment_offset_mm")
            raise input_error(spec.source, "parameters.key", p.key, "attachment offsets apply to single-leg stance "
                              "studies without a compensation search")
        return cls(spec, prep.model, prep, fast)

    def evaluate(self, samples: np.ndarray, first: int) -> pd.DataFrame:
        """Rows for samples ``first`` .. ``first + len(samples) - 1`` of the design."""
        table = self._fast(samples, first) if self.fast else self._slow(samples, first)
        return table.reset_index(drop=True)

    # ------------------------------------------------------------------ fast path: batched stance
    def _case_inputs(self, samples: np.ndarray, baseline: bool) -> tuple[StanceInputs, dict[str, np.ndarray]]:
        n = samples.shape[0]
        model, prep = self.model, self.prep
        plan = prep.base_plan if baseline else prep.plan
        spec = prep.spec
        subj = prep.subject or model.subject
        kw = plan.kwargs
        angles = {a: np.full(n, float(kw[a])) for a in ANGLES}
        mass = np.full(n, subj.mass_kg)
        height = np.full(n, subj.height_m)
        ahead = np.full(n, float(kw["com_ahead_of_ankle_m"]))
        hold = np.full(n, float(kw["hold_s"]))
        per_day = np.full(n, float(kw["holds_per_day"]))
        loads = [(ld.place, ld.side, np.full(n, float(ld.mass_kg))) for ld in plan.loads]
        model_strength = np.ones((n, model.n_muscles))
        mod_strength = np.ones((n, model.n_muscles))
        for muscle, f in plan.strength.items():
            mod_strength[:, model.muscle_index(muscle)] = f
        mods = spec.baseline_modifiers if baseline else spec.modifiers
        where = "baseline.modifiers" if baseline else "modifiers"
        f0 = np.asarray(model.max_isometric_forces)
        for j, p in enumerate(self.spec.parameters):
            v = samples[:, j]
            t = p.target
            if t.kind == "subject":
                (mass if t.name == "mass_kg" else height)[:] = v
            elif t.kind == "task":
                if baseline and t.name in spec.baseline_task_values:
                    continue
                if t.name in angles:
                    angles[t.name] = v.copy()
                elif t.name == "com_ahead_of_ankle_m":
                    ahead[:] = v
                elif t.name == "hold_s":
                    hold[:] = v
                elif t.name == "holds_per_day":
                    per_day[:] = v
            elif t.kind == "modifier" and t.where == where:
                mod = mods[t.index]
                if mod.type == "carry":
                    k = sum(1 for m in mods[:t.index] if m.type == "carry")
                    loads[k] = (loads[k][0], loads[k][1], v.copy())
                elif mod.type == "weakness":
                    for muscle in _weak_factors(model, mod):
                        mod_strength[:, model.muscle_index(muscle)] = v
                elif mod.type == "trendelenburg" and t.name in angles:
                    angles[t.name] = v.copy()
            elif t.kind == "strength":
                for i in _muscles(model, t.name):
                    model_strength[:, i] *= v
            elif t.kind == "max_isometric_force_n":
                for i in _muscles(model, t.name):
                    model_strength[:, i] *= v / f0[i]
        inp = StanceInputs(str(kw["side"]), mass, height, angles, ahead, loads, model_strength * mod_strength,
                           bool(kw["passive_joint_moments"]))
        return inp, {"hold_s": hold, "holds_per_day": per_day}

    def _fast(self, samples: np.ndarray, first: int) -> pd.DataFrame:
        n = samples.shape[0]
        offs = [j for j, p in enumerate(self.spec.parameters) if p.target.kind == "attachment_offset_mm"]
        groups: dict[tuple, np.ndarray] = {(): np.arange(n)}
        if offs:
            members: dict[tuple, list[int]] = {}
            for i in range(n):
                members.setdefault(tuple(samples[i, offs]), []).append(i)
            groups = {k: np.asarray(v) for k, v in members.items()}
        parts = []
        for key, rows in groups.items():
            model = self.model
            if offs:
                model = _offset_model(self.model, {(self.spec.parameters[j].target.name,
                                                     self.spec.parameters[j].target.end,
                                                     self.spec.parameters[j].target.axis): float(v)
                                                    for j, v in zip(offs, key, strict=True)})
            parts.append(self._fast_group(model, samples[rows], first + rows))
        return pd.concat(parts).sort_values(["sample", "muscle_order", "side_order"]).drop(
            columns=["muscle_order", "side_order"])

    def _fast_group(self, model: Model, samples: np.ndarray, index: np.ndarray) -> pd.DataFrame:
        n = samples.shape[0]
        scen, ex_s = self._case_inputs(samples, baseline=False)
        base, ex_b = self._case_inputs(samples, baseline=True)
        out = stance_batch_unique(model, _stack(scen, base), threads=1)
        names = [f"{g}_{s}" for g in FIBRE_GROUPS for s in SIDES]
        idx = np.array([model.muscle_index(m) for m in names])
        k = len(names)
        cols: dict[str, Any] = {"sample": np.repeat(index, k)}
        for j, p in enumerate(self.spec.parameters):
            cols[p.key] = np.repeat(samples[:, j], k)
        cols["muscle"] = np.tile(np.repeat(np.array(FIBRE_GROUPS, dtype=object), 2), n)
        cols["side"] = np.tile(np.array(SIDES * len(FIBRE_GROUPS), dtype=object), n)
        cols["muscle_order"] = np.tile(np.repeat(np.arange(len(FIBRE_GROUPS)), 2), n)
        cols["side_order"] = np.tile(np.arange(2), n * len(FIBRE_GROUPS))
        for suffix, rows, ex in (("", slice(0, n), ex_s), ("_baseline", slice(n, 2 * n), ex_b)):
            cols["status" + suffix] = np.repeat(out.status[rows], k)
            cols["beyond_muscles" + suffix] = np.repeat(out.beyond_muscles[rows], k)
            met = _held_metrics(model, out, rows, idx, ex["hold_s"], ex["holds_per_day"])
            for c, v in met.items():
                cols[c + suffix] = v
            bw = out.body_weight_n[rows]
            hip = np.stack([np.linalg.norm(out.hip_contact[s][rows], axis=1) for s in SIDES], axis=1)  # (n, 2)
            hip_rows = np.tile(hip, (1, len(FIBRE_GROUPS))).reshape(-1)
            cols["hip_contact_force_n" + suffix] = hip_rows
            cols["hip_contact_force_bw" + suffix] = hip_rows / np.repeat(bw, k)
        df = pd.DataFrame(cols)
        return _with_indices(df)

    # ------------------------------------------------------------------ slow path: scenario by scenario
    def _slow(self, samples: np.ndarray, first: int) -> pd.DataFrame:
        frames = []
        for i in range(samples.shape[0]):
            metrics, indices, scen, base = self._run(self._prepared(samples[i]))
            met = metrics[metrics.muscle.isin(FIBRE_GROUPS)].copy()
            ind = indices.set_index(["muscle", "side"])
            at = pd.MultiIndex.from_arrays([met.muscle, met.side])
            for f in FACTOR_NAMES:
                met[f] = ind[f].reindex(at).to_numpy(dtype=float)
            for suffix, task in (("", scen), ("_baseline", base)):
                met["hip_contact_force_bw" + suffix] = [task.hip_contact_force_bw[s] for s in met.side]
                met["hip_contact_force_n" + suffix] = met["hip_contact_force_bw" + suffix] * task.body_weight_n
                met["status" + suffix] = "ok" if task.converged else "not_converged"
                met["beyond_muscles" + suffix] = task.beyond_muscles
            met.insert(0, "sample", first + i)
            for j, p in enumerate(self.spec.parameters):
                met.insert(1 + j, p.key, float(samples[i, j]))
            order = {g: k for k, g in enumerate(FIBRE_GROUPS)}
            met = met.sort_values(["muscle", "side"], key=lambda c: c.map(order) if c.name == "muscle"
                                  else c.map({"r": 0, "l": 1}))
            frames.append(met[_columns(self.spec)])
        return pd.concat(frames)

    def _run(self, prep: PreparedScenario) -> tuple[pd.DataFrame, pd.DataFrame, "_Solved", "_Solved"]:
        """The metrics table, the trigger-point indices and both tasks of
        :func:`hipsim.scenarios.runner.run_scenario` (the same calls, without its warnings and
        derived notes, which the table does not hold); the baseline comes from an earlier sample with
        the same baseline inputs when there is one."""
        spec, model, subject, plan, base_plan = prep.spec, prep.model, prep.subject, prep.plan, prep.base_plan
        key = _baseline_key(prep)
        hit = self._baselines.get(key)
        if hit is None:
            baseline = _run_task(model, subject, spec, base_plan)
            m_base = fibre_metrics(baseline, _exposure(spec, base_plan.kwargs, baseline),
                                   compression_kpa=base_plan.compression_kpa)
            hit = (m_base, _Solved.of(baseline))
            self.baselines_solved += 1
            if len(self._baselines) >= _BASELINES_KEPT:
                self._baselines.pop(next(iter(self._baselines)))
            self._baselines[key] = hit
        m_base, base = hit
        scen = _run_task(model, subject, spec, plan)
        if any(m.type == "weakness" for m in spec.modifiers):
            scen = _compensate(model, subject, spec, plan, scen, {})
        m_scen = fibre_metrics(scen, _exposure(spec, plan.kwargs, scen), compression_kpa=plan.compression_kpa)
        metrics = compare(m_scen, m_base)
        return metrics, trigger_point_indices(metrics), _Solved.of(scen), base

    def _prepared(self, x: np.ndarray) -> PreparedScenario:
        data = copy.deepcopy(self.spec.scenario_data)
        strength: dict[str, float] = {}
        model = self.model
        for j, p in enumerate(self.spec.parameters):
            v = float(x[j])
            t = p.target
            if t.kind == "subject":
                data.setdefault("subject", {})[t.name] = v
            elif t.kind == "task":
                data["task"][t.name] = v
            elif t.kind == "modifier":
                mods = data["baseline"]["modifiers"] if t.where == "baseline.modifiers" else data["modifiers"]
                mods[t.index][t.name] = v
            else:
                f0 = np.asarray(model.max_isometric_forces)
                for i in _muscles(model, t.name):
                    name = model.muscle_names[i]
                    strength[name] = strength.get(name, 1.0) * (v if t.kind == "strength" else v / f0[i])
        spec = parse_scenario(data, str(self.spec.scenario_path))
        if spec.subject:
            own = model.subject
            from hipsim.model.scaling import Subject
            subject = Subject(**{"mass_kg": own.mass_kg, "height_m": own.height_m, **spec.subject})
        else:
            subject = None
        values = {**spec.task_values, **spec.baseline_task_values}
        base_plan = _plan(model, spec, spec.baseline_modifiers, values, "baseline.modifiers")
        plan = _plan(model, spec, spec.modifiers, spec.task_values)
        for pl in (plan, base_plan):
            for name, f in strength.items():
                pl.strength[name] = pl.strength.get(name, 1.0) * f
        return PreparedScenario(self.prep.path, spec, model, subject, base_plan, plan)


#: Baselines an evaluator keeps (oldest dropped first): a study's distinct subjects in a chunk
#: rarely exceed it, and each entry is one small table.
_BASELINES_KEPT = 64


@dataclass(frozen=True)
class _Solved:
    """What the table takes from a solved task: peak hip contact force per side (body weights),
    body weight (N), whether every frame converged, and the reserve rule's verdict."""

    hip_contact_force_bw: dict[str, float]
    body_weight_n: float
    converged: bool
    beyond_muscles: bool

    @classmethod
    def of(cls, task: TaskResult) -> "_Solved":
        bw = task.hip_contact_force_bw.max(axis=0)
        return cls({s: float(bw[s]) for s in SIDES}, task.body_weight_n, bool(np.all(task.solver_converged)),
                   bool(task.beyond_muscles))


def _frozen(v: Any) -> Any:
    """A hashable, exact image of a plan value: dicts and sequences recursively, scalars with their
    type and ``repr`` (a float's repr round-trips exactly, and -0.0, 0 and 0.0 stay apart)."""
    if isinstance(v, dict):
        return tuple(sorted((str(k), _frozen(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_frozen(x) for x in v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return (type(v).__name__, _frozen(vars(v)))
    return (type(v).__name__, repr(v))


def _baseline_key(prep: PreparedScenario) -> tuple:
    """Everything the baseline task and its fibre metrics are computed from, beside the evaluator's
    own model: the subject, the task type, and the baseline plan (task values and exposure,
    strengths, carried loads, seated pressures, compensation). Two samples with equal keys make the
    same calls with equal arguments, so the reused baseline is the one they would compute."""
    pl = prep.base_plan
    subject = None if prep.subject is None else _frozen(vars(prep.subject))
    return (subject, prep.spec.task, _frozen(pl.kwargs), _frozen(pl.strength), _frozen(list(pl.loads)),
            _frozen(pl.compression_kpa), pl.compensation)


def _stack(a: StanceInputs, b: StanceInputs) -> StanceInputs:
    if a.side != b.side or a.passive_joint_moments != b.passive_joint_moments:
        raise input_error("study", "baseline", "task", "the baseline must stand on the same side as the scenario")
    cat = np.concatenate
    la = {(p, s): m for p, s, m in a.loads}
    lb = {(p, s): m for p, s, m in b.loads}
    n_a, n_b = a.n, b.n
    loads = [(p, s, cat([la.get((p, s), np.zeros(n_a)), lb.get((p, s), np.zeros(n_b))]))
             for p, s in dict.fromkeys(list(la) + list(lb))]
    return StanceInputs(a.side, cat([a.mass_kg, b.mass_kg]), cat([a.height_m, b.height_m]),
                        {k: cat([a.angles[k], b.angles[k]]) for k in ANGLES}, cat([a.com_ahead_m, b.com_ahead_m]),
                        loads, cat([a.strength, b.strength]), a.passive_joint_moments)


def _held_metrics(model: Model, out: Any, rows: slice, idx: np.ndarray, hold: np.ndarray,
                  per_day: np.ndarray) -> dict[str, np.ndarray]:
    """The fibre metrics of :func:`hipsim.analysis.metrics.fibre_metrics` for a held posture (one
    frame held ``hold`` seconds, ``per_day`` times a day), flattened to rows (sample, muscle)."""
    a = out.activations[rows][:, idx]
    f = out.forces[rows][:, idx]
    ff = out.fiber_forces[rows][:, idx]
    nl = out.norm_fiber_length[rows][:, idx]
    f0 = out.f0[rows][:, idx]
    from hipsim.model.model import SPECIFIC_TENSION_PA
    pcsa = f0 / SPECIFIC_TENSION_PA
    h = hold[:, None] * np.ones_like(a)
    d = per_day[:, None] * np.ones_like(a)
    active = a > REST_ACTIVATION
    short = (nl < SHORTENED).astype(float)
    stretch = (nl > STRETCHED).astype(float)
    sustained = np.where(active, h, 0.0)
    met = {
        "peak_activation": a, "mean_activation": a, "peak_force_n": f, "mean_force_n": f,
        "peak_stress_kpa": ff / pcsa / 1000.0, "impulse_ns": f * h, "impulse_per_day_ns": f * h * d,
        "longest_sustained_s": sustained, "sustained_bout_s": sustained, "mean_norm_fiber_length": nl,
        "time_shortened_frac": short, "time_stretched_frac": stretch, "time_held_shortened_frac": short,
        "time_held_stretched_frac": stretch, "lengthening_work_j": np.zeros_like(a),
        "lengthening_work_j_per_day": np.zeros_like(a), "compression_kpa_s": np.zeros_like(a),
        "max_isometric_force_n": f0, "pcsa_m2": pcsa,
        "optimal_fiber_length_m": np.broadcast_to(np.asarray(model.optimal_fiber_lengths)[idx] * 1.0, a.shape),
        "repetition_s": h, "repetitions_per_day": d, "bout_s": h,
    }
    bad = ~np.isfinite(a)
    for k in ("time_shortened_frac", "time_stretched_frac", "time_held_shortened_frac", "time_held_stretched_frac",
              "longest_sustained_s", "sustained_bout_s"):
        met[k] = np.where(bad, np.nan, met[k])
    return {k: np.asarray(v, dtype=float).reshape(-1) for k, v in met.items()}


def _with_indices(df: pd.DataFrame) -> pd.DataFrame:
    """Add the trigger-point factor indices (hipsim.analysis.trigger_points' definitions) where both
    the scenario and the baseline were solved; empty elsewhere."""
    ok = (df["status"] == STATUS_OK) & (df["status_baseline"] == STATUS_OK)
    m = df[ok].reset_index(drop=True)
    for name in FACTOR_NAMES:
        df[name] = np.nan
    if len(m):
        for name, f in FACTOR_INDICES.items():
            if name == "sustained_contraction":
                r, _ = _static_load(m)
            else:
                s = sum(m[c].to_numpy(dtype=float) for c in f.metrics)
                b = sum(m[c + "_baseline"].to_numpy(dtype=float) for c in f.metrics)
                floor = sum(change_floor(m, c) for c in f.metrics)
                r, _ = _ratio(np.asarray(s), np.asarray(b), np.asarray(floor))
            df.loc[ok.to_numpy(), name] = r
    return df


def _columns(spec: StudySpec) -> list[str]:
    cols = ["sample", *spec.names, "muscle", "side", "status", "beyond_muscles"]
    cols += list(METRIC_COLUMNS) + list(CONTEXT) + list(HIP)
    cols += ["status_baseline", "beyond_muscles_baseline"]
    cols += [c + "_baseline" for c in (*METRIC_COLUMNS, *CONTEXT, *HIP)]
    return cols + list(FACTOR_NAMES)


def _order(df: pd.DataFrame, spec: StudySpec) -> pd.DataFrame:
    return df[_columns(spec)]


def evaluate_chunk(spec: StudySpec, ev: Evaluator, design: np.ndarray, first: int, last: int) -> pd.DataFrame:
    """The table of design rows ``first`` .. ``last - 1`` (columns in the documented order)."""
    return _order(ev.evaluate(design[first:last], first), spec)


__all__ = ["Evaluator", "evaluate_chunk", "Parameter", "load_model"]
