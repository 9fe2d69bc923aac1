"""Evaluate a chunk of a study's samples: one tidy table, a row per sample, fibre group and side.

Single-leg stance (the study's own fast path) runs every sample's scenario and baseline in one
batched pass (:func:`hipsim.studies.batch.stance_batch`), each distinct set of stance inputs once
(a Saltelli design repeats the baseline of each base sample in the row that varies only the
scenario's load). Walking without a compensation search takes the walking path
(:meth:`Evaluator._walks`): samples whose walks differ only in body mass and muscle strengths share
one solved walk (its kinematics and per-kilogram ground reactions are the same, so its inverse
dynamics scale with body mass; :func:`hipsim.motion.normative_gait` fits the walk per kilogram), put
in their own masses and strengths, and solve static optimisation for all their frames in one batch.
Other tasks (standing, sitting, exercises) and compensation searches run each sample as a
scenario, as :func:`hipsim.scenarios.runner.run_scenario` does: a Python loop, correct and much
slower. There the baseline is solved once per distinct set of baseline inputs (subject, task
values, baseline modifiers, strengths) and reused by every later sample that shares them (an exact
key: see :func:`_baseline_key`). Every path gives the rows each sample's own scenario file gives
(tests/test_studies.py, to 1e-9 relative).

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
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from hipsim.analysis.metrics import METRIC_COLUMNS, Exposure, change_floor, compare, fibre_metric_arrays, fibre_metrics
from hipsim.dynamics.inverse import ExternalLoad, joint_reaction
from hipsim.optimize.static import PosedProblem, pose_problem, solve_posed
from hipsim.analysis.trigger_points import FACTOR_INDICES, FACTOR_NAMES, _ratio, _static_load, trigger_point_indices
from hipsim.anatomy import FIBRE_GROUPS, MUSCLE_GROUPS
from hipsim.errors import input_error
from hipsim.model import Model, load_model
from hipsim.model.model import SPECIFIC_TENSION_PA
from hipsim.model.scaling import Subject, force_scale, moment_scale
from hipsim.model.spec import ConditionalPathPoint, PathPoint
from hipsim.scenarios.runner import (EXPOSURE_KEYS, PreparedScenario, _compensate, _exposure, _plan, _run_task,
                                     _weak_factors)
from hipsim.scenarios.schema import parse_scenario
from hipsim.studies.batch import ANGLES, STATUS_NOT_CONVERGED, STATUS_OK, StanceInputs, batchable, stance_batch_unique
from hipsim.studies.schema import Parameter, StudySpec
from hipsim.tasks.result import TaskResult, reserves_beyond

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
    #: Walking without a compensation search: every sample's walks come from shared solved walks
    #: (:meth:`_walks`).
    walks: bool = False
    #: Baselines solved so far on the slow path (a sample whose baseline inputs were seen reuses it).
    baselines_solved: int = 0
    #: Walks solved so far on the walking path (samples that differ only in body mass and muscle
    #: strengths share one).
    walks_solved: int = 0
    _baselines: dict[tuple, tuple[pd.DataFrame, "_Solved"]] = field(default_factory=dict, repr=False)
    _walk_cache: dict[tuple, "_Walk"] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, spec: StudySpec) -> "Evaluator":
        from hipsim.scenarios.runner import prepare_scenario
        prep = prepare_scenario(spec.scenario_path)
        comp = any(m.type == "weakness" and m.values["compensation"] != "none"
                   for m in prep.spec.modifiers + prep.spec.baseline_modifiers)
        fast = prep.spec.task == "single_leg_stance" and not comp and batchable(prep.model)
        walks = prep.spec.task == "gait" and not comp
        if not fast and any(p.target.kind == "attachment_offset_mm" for p in spec.parameters):
            p = next(p for p in spec.parameters if p.target.kind == "attachment_offset_mm")
            raise input_error(spec.source, "parameters.key", p.key, "attachment offsets apply to single-leg stance "
                              "studies without a compensation search")
        return cls(spec, prep.model, prep, fast, walks)

    def evaluate(self, samples: np.ndarray, first: int) -> pd.DataFrame:
        """Rows for samples ``first`` .. ``first + len(samples) - 1`` of the design."""
        if self.fast:
            table = self._fast(samples, first)
        elif self.walks:
            table = self._walks(samples, first)
        else:
            table = self._slow(samples, first)
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
        idx = _group_muscles(model)
        cases = {}
        for suffix, rows, ex in (("", slice(0, n), ex_s), ("_baseline", slice(n, 2 * n), ex_b)):
            hip = np.stack([np.linalg.norm(out.hip_contact[s][rows], axis=1) for s in SIDES], axis=1)  # (n, 2)
            cases[suffix] = _Case(out.status[rows], out.beyond_muscles[rows],
                                  _held_metrics(model, out, rows, idx, ex["hold_s"], ex["holds_per_day"]), hip,
                                  out.body_weight_n[rows])
        return _table(self.spec, samples, index, cases)

    # ------------------------------------------------------------------ walking: shared solved walks
    def _walks(self, samples: np.ndarray, first: int) -> pd.DataFrame:
        """Walking samples from shared solved walks. A sample's walk (scenario or baseline) is the
        shared walk of its group (same task values, modifiers and height: the same kinematics and
        ground reactions per kilogram) with its own body mass and muscle strengths put in: the
        inverse-dynamics moments and the muscle-free part of the hip reaction scale with body mass
        (every segment's mass and inertia and the ground reactions do; hipsim.model.scaling), the
        passive joint moments with :func:`~hipsim.model.scaling.moment_scale`, each muscle's
        maximum isometric force by mass^(2/3) times its strength; static optimisation is then solved
        for every sample's frames in one batch, and the muscle forces' part of the hip reaction
        follows each sample's own forces along the shared paths. With carried loads the body mass
        stays in the group (a load's share of the whole mass changes the walk's dynamics)."""
        n = samples.shape[0]
        model = self.model
        preps = [self._prepared(samples[i]) for i in range(n)]
        cases = {}
        for suffix in ("", "_baseline"):
            plans = [pr.plan if suffix == "" else pr.base_plan for pr in preps]
            groups: dict[tuple, list[int]] = {}
            for i, (pr, pl) in enumerate(zip(preps, plans, strict=True)):
                groups.setdefault(_walk_key(pr, pl), []).append(i)
            case = _Case.empty(n, len(FIBRE_GROUPS) * 2)
            for key, rows in groups.items():
                walk = self._walk(key, preps[rows[0]], plans[rows[0]])
                mass = np.array([(preps[i].subject or model.subject).mass_kg for i in rows])
                strength = np.ones((len(rows), model.n_muscles))
                for j, i in enumerate(rows):
                    for name, f in plans[i].strength.items():
                        strength[j, model.muscle_index(name)] = f
                exposure = [_exposure(preps[i].spec, plans[i].kwargs, walk.result) for i in rows]
                case.put(np.asarray(rows), walk.solve(model.subject.mass_kg, mass, strength, exposure))
            cases[suffix] = case
        return _table(self.spec, samples, first + np.arange(n), cases).drop(columns=["muscle_order", "side_order"])

    def _walk(self, key: tuple, prep: PreparedScenario, plan: Any) -> "_Walk":
        """The shared walk of ``key`` (solved at ``prep``'s subject with full strength), kept."""
        hit = self._walk_cache.get(key)
        if hit is None:
            full = dataclasses.replace(plan, strength={})
            subject = prep.subject or prep.model.subject
            if not plan.loads:
                # Solved at the model's own body mass whichever sample comes first, so that every
                # sample's numbers depend on the sample alone (a resumed study gives the same bits).
                subject = Subject(prep.model.subject.mass_kg, subject.height_m)
            res = _run_task(prep.model, subject, prep.spec, full)
            hit = _Walk.of(res, subject, plan.compression_kpa)
            self.walks_solved += 1
            if len(self._walk_cache) >= _WALKS_KEPT:
                self._walk_cache.pop(next(iter(self._walk_cache)))
            self._walk_cache[key] = hit
        return hit

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


#: Shared walks an evaluator keeps (oldest dropped first): a few MB each.
_WALKS_KEPT = 16
#: Samples whose walks are solved in one static-optimisation batch (bounds the memory of the
#: stacked problem: about 0.7 MB per sample on the default model).
_WALK_BLOCK = 32


def _group_muscles(model: Model) -> np.ndarray:
    """Model indices of the fibre groups' muscles in table order (group, then side r, l)."""
    return np.array([model.muscle_index(f"{g}_{s}") for g in FIBRE_GROUPS for s in SIDES], dtype=np.int64)


def _walk_key(prep: PreparedScenario, plan: Any) -> tuple:
    """What a walk's kinematics and per-kilogram dynamics are computed from: the task and its
    values, the height, the carried loads (and, with loads, the body mass), pressures and the
    compensation; not the body mass alone, the muscle strengths nor the exposure (steps per day,
    bout), which each sample puts in (see Evaluator._walks)."""
    subject = prep.subject or prep.model.subject
    mass = subject.mass_kg if plan.loads else None
    task = {k: v for k, v in plan.kwargs.items() if k not in EXPOSURE_KEYS}  # each sample's own exposure
    return (prep.spec.task, subject.height_m, mass, _frozen(task), _frozen(list(plan.loads)),
            _frozen(plan.compression_kpa), plan.compensation)


@dataclass
class _Case:
    """One case (scenario or baseline) of a set of samples: per sample ``status``,
    ``beyond_muscles``, peak hip contact force per side (``hip``, N, (n, 2)) and body weight (N),
    and the fibre metrics flattened to rows (sample, fibre group muscle)."""

    status: np.ndarray
    beyond: np.ndarray
    metrics: dict[str, np.ndarray]
    hip: np.ndarray
    body_weight_n: np.ndarray

    @classmethod
    def empty(cls, n: int, k: int) -> "_Case":
        cols = (*METRIC_COLUMNS, *CONTEXT)
        return cls(np.full(n, STATUS_OK, dtype=object), np.zeros(n, dtype=bool),
                   {c: np.full(n * k, np.nan) for c in cols}, np.full((n, 2), np.nan), np.full(n, np.nan))

    def put(self, rows: np.ndarray, part: "_Case") -> None:
        """Fill the samples ``rows`` from ``part`` (its samples in that order)."""
        k = self.metrics["peak_force_n"].size // self.status.size
        at = (rows[:, None] * k + np.arange(k)).reshape(-1)
        self.status[rows] = part.status
        self.beyond[rows] = part.beyond
        self.hip[rows] = part.hip
        self.body_weight_n[rows] = part.body_weight_n
        for c, v in part.metrics.items():
            self.metrics[c][at] = v


def _table(spec: StudySpec, samples: np.ndarray, index: np.ndarray, cases: dict[str, _Case]) -> pd.DataFrame:
    """The rows (sample, fibre group, side) of solved cases, with the trigger-point indices."""
    n = samples.shape[0]
    k = 2 * len(FIBRE_GROUPS)
    cols: dict[str, Any] = {"sample": np.repeat(index, k)}
    for j, p in enumerate(spec.parameters):
        cols[p.key] = np.repeat(samples[:, j], k)
    cols["muscle"] = np.tile(np.repeat(np.array(FIBRE_GROUPS, dtype=object), 2), n)
    cols["side"] = np.tile(np.array(SIDES * len(FIBRE_GROUPS), dtype=object), n)
    cols["muscle_order"] = np.tile(np.repeat(np.arange(len(FIBRE_GROUPS)), 2), n)
    cols["side_order"] = np.tile(np.arange(2), n * len(FIBRE_GROUPS))
    for suffix, case in cases.items():
        cols["status" + suffix] = np.repeat(case.status, k)
        cols["beyond_muscles" + suffix] = np.repeat(case.beyond, k)
        for c, v in case.metrics.items():
            cols[c + suffix] = v
        hip_rows = np.tile(case.hip, (1, len(FIBRE_GROUPS))).reshape(-1)
        cols["hip_contact_force_n" + suffix] = hip_rows
        cols["hip_contact_force_bw" + suffix] = hip_rows / np.repeat(case.body_weight_n, k)
    return _with_indices(pd.DataFrame(cols))


@dataclass(frozen=True)
class _Walk:
    """A walk solved once and shared by samples that differ from it only in body mass and muscle
    strengths (Evaluator._walks): the solved task at full strength, its subject, the static
    optimisation problem at its poses, the hip reaction with no muscle force per side, the fibre
    lengths and velocities, the exposure and the fibre groups' external pressures."""

    result: TaskResult
    subject: Any
    posed: PosedProblem
    sel: np.ndarray
    exponent: float | str
    hip_without_muscles: dict[str, np.ndarray]
    norm_length: np.ndarray
    fiber_velocity: np.ndarray
    compression_kpa: np.ndarray
    _hip_paths: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, res: TaskResult, subject: Any, compression: Mapping[str, float]) -> "_Walk":
        m = res.model
        sel = np.array([m.coordinate_index(c) for c in res.reserve_coordinates], dtype=np.int64)
        posed = pose_problem(m, res.q, res.qdot, sel, passive=False)  # as hipsim.tasks.result.solve_task poses it
        zero = np.zeros_like(res.muscle_forces)
        hip0 = {s: joint_reaction(m, f"femur_{s}", res.q, zero, res.qdot, res.qddot, external=res.external_loads,
                                  point_masses=res.point_masses) for s in SIDES}
        st = posed.state  # the muscle state of the walk's poses, computed once with its problem
        idx = _group_muscles(m)
        comp = np.array([float(compression.get(m.muscle_names[i], 0.0)) for i in idx])
        return cls(res, subject, posed, sel, _gait_exponent(res), hip0,
                   st.fiber_length / np.asarray(m.optimal_fiber_lengths), st.fiber_velocity, comp)

    def solve(self, model_mass_kg: float, mass_kg: np.ndarray, strength: np.ndarray,
              exposure: Sequence[Exposure]) -> _Case:
        """The case for samples of body masses ``mass_kg`` (n,), strengths (n, n_muscles) and
        exposures, the evaluator's model recording a subject of ``model_mass_kg`` (its forces scale
        from there); solved :data:`_WALK_BLOCK` samples at a time."""
        n = mass_kg.size
        k = mass_kg / self.subject.mass_kg
        # F0 of each sample's scaled, weakened model relative to the shared walk's (hipsim.model.scaling)
        own_f = force_scale(self.subject.mass_kg / model_mass_kg)
        scale = np.array([force_scale(x / model_mass_kg) / own_f for x in mass_kg])[:, None] * strength
        passive = np.zeros(n)
        if self.result.passive_moments is not None:
            own = moment_scale(self.subject)
            passive = np.array([moment_scale(Subject.of_model(x, self.subject.height_m)) / own for x in mass_kg])
        per_day = np.array([e.repetitions_per_day for e in exposure])
        bout = np.array([e.bout_s for e in exposure])
        out = _Case.empty(n, 2 * len(FIBRE_GROUPS))
        for a in range(0, n, _WALK_BLOCK):
            rows = np.arange(a, min(n, a + _WALK_BLOCK))
            out.put(rows, self._block(k[rows], scale[rows], passive[rows], per_day[rows], bout[rows]))
        return out

    def hip_paths(self, side: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The muscles crossing the ``side`` hip and, at every frame, the hip reaction each exerts per
        newton along its path ((n_frames, n_crossing, 3), ground): the reaction is linear in the
        muscle forces at given poses. Computed once per walk (one joint reaction over every crossing
        muscle's frames, about what 25 samples' reactions cost on the default model) and used for
        every sample whatever the group's size, so that a sample's numbers never depend on which
        others share its chunk; checked: the walk's own forces through it give the walk's own hip
        reaction to 1e-9, else None (and the reaction is computed over the samples' frames)."""
        if side not in self._hip_paths:
            res = self.result
            m = res.model
            hip = [m.coordinate_index(c) for c in m.coordinate_names if c.startswith("hip_") and c.endswith(f"_{side}")]
            cross = np.flatnonzero(np.asarray(m.crossing, dtype=bool)[:, hip].any(axis=1))
            nf, nc = res.q.shape[0], cross.size
            unit_forces = np.zeros((nc * nf, m.n_muscles))
            unit_forces[np.arange(nc * nf), np.repeat(cross, nf)] = 1.0
            jr = self._reaction(side, unit_forces, nc).reshape(nc, nf, 3)
            unit = (jr - self.hip_without_muscles[side][None]).transpose(1, 0, 2)
            own = self.hip_without_muscles[side] + np.einsum("fc,fck->fk", res.muscle_forces[:, cross], unit)
            want = res.hip_contact_force_ground[side]
            ok = np.allclose(own, want, rtol=1e-9, atol=1e-9 * float(np.abs(want).max()))
            self._hip_paths[side] = (cross, unit) if ok else None
        return self._hip_paths[side]

    def _reaction(self, side: str, forces: np.ndarray, times: int) -> np.ndarray:
        """The ``side`` hip reaction (ground, (times * n_frames, 3)) of the walk's motion and loads
        repeated ``times`` times, with muscle ``forces`` ((times * n_frames, n_muscles), N)."""
        res = self.result
        nf = res.q.shape[0]
        ext = [ExternalLoad(e.body, force=_tiled(e.force, nf, times), point=_tiled(e.point, nf, times),
                            torque=_tiled(e.torque, nf, times), label=e.label) for e in res.external_loads]
        q, qd, qdd = (np.tile(v, (times, 1)) for v in (res.q, res.qdot, res.qddot))
        return joint_reaction(res.model, f"femur_{side}", q, forces, qd, qdd, external=ext,
                              point_masses=res.point_masses)

    def _block(self, k: np.ndarray, scale: np.ndarray, passive: np.ndarray, per_day: np.ndarray,
               bout: np.ndarray, paths: bool = True) -> _Case:
        """Samples of body mass ``k`` times the walk's, maximum isometric forces ``scale`` (n,
        n_muscles) times its own, passive joint moments ``passive`` times its own, repeated
        ``per_day`` times a day in bouts of ``bout`` seconds; the hip reactions through
        :meth:`hip_paths` (``paths`` False, or paths that fail their check: one joint reaction over
        all the samples' frames)."""
        res = self.result
        m = res.model
        n, nf, ns = k.size, res.q.shape[0], self.sel.size
        tau = k[:, None, None] * res.generalized_forces[None]
        muscle_tau = tau
        if res.passive_moments is not None:
            muscle_tau = tau - passive[:, None, None] * res.passive_moments[None]
        posed = PosedProblem.stack([self.posed.with_force_scale(s) for s in scale])
        so = solve_posed(posed, muscle_tau[:, :, self.sel].reshape(-1, ns), np.ones(m.n_muscles), np.ones(ns),
                         self.exponent)
        converged = so.status.converged.reshape(n, nf).all(axis=1)
        beyond = np.asarray(reserves_beyond(so.reserves.reshape(n, nf, ns), tau[:, :, self.sel]).any(axis=(1, 2)))
        peak = np.empty((n, 2))
        for j, s in enumerate(SIDES):
            # the muscle-free part scales with body mass, the muscles' part is each sample's own
            known = self.hip_paths(s) if paths else None
            if known is not None:
                cross, unit = known
                f = so.muscle_forces.reshape(n, nf, -1)[:, :, cross]
                hip = k[:, None, None] * self.hip_without_muscles[s][None] + np.einsum("nfc,fck->nfk", f, unit)
            else:
                jr = self._reaction(s, so.muscle_forces, n).reshape(n, nf, 3)
                hip = jr + (k - 1.0)[:, None, None] * self.hip_without_muscles[s][None]
            peak[:, j] = np.linalg.norm(hip, axis=2).max(axis=1)
        idx = _group_muscles(m)
        f0 = np.asarray(m.max_isometric_forces)[None, idx] * scale[:, idx]  # (n, k)
        span = float(res.time[-1] - res.time[0])
        shape = (n, idx.size)

        def series(x: np.ndarray) -> np.ndarray:  # (n * nf, n_muscles) -> (n, fibre group muscles, nf)
            return x.reshape(n, nf, -1)[:, :, idx].transpose(0, 2, 1)
        met = fibre_metric_arrays(series(so.activations), series(so.muscle_forces), series(so.fiber_forces),
                                  self.norm_length[:, idx].T[None], self.fiber_velocity[:, idx].T[None], res.time,
                                  f0 / SPECIFIC_TENSION_PA, per_day[:, None], span, bout[:, None],
                                  self.compression_kpa[None, :], held=False)
        met.update({"max_isometric_force_n": f0, "pcsa_m2": f0 / SPECIFIC_TENSION_PA,
                    "optimal_fiber_length_m": np.asarray(m.optimal_fiber_lengths)[idx],
                    "repetition_s": np.full(shape, span),
                    "repetitions_per_day": np.broadcast_to(per_day[:, None], shape),
                    "bout_s": np.broadcast_to(bout[:, None], shape)})
        metrics = {c: np.asarray(np.broadcast_to(v, f0.shape), dtype=float).reshape(-1) for c, v in met.items()}
        for c, v in metrics.items():  # never hand on a NaN silently (as fibre_metrics)
            if not np.all(np.isfinite(v)):
                j = int(np.flatnonzero(~np.isfinite(v))[0])
                name = m.muscle_names[idx[j % idx.size]]
                raise FloatingPointError(f"metric {c} of {name} is not finite in a walking sample")
        status = np.where(converged, STATUS_OK, STATUS_NOT_CONVERGED).astype(object)
        return _Case(status, beyond, metrics, peak, k * res.body_weight_n)


def _tiled(v: np.ndarray, nf: int, times: int) -> np.ndarray:
    """A per-frame (nf, 3) array (or one row for all frames) repeated for ``times`` runs of the frames."""
    return np.tile(np.broadcast_to(v, (nf, 3)), (times, 1))


def _gait_exponent(res: TaskResult) -> float | str:
    """The static optimisation exponent a walk was solved with (hipsim.gait's default unless given)."""
    import inspect
    from hipsim.tasks.gait import gait
    return res.parameters.get("exponent", inspect.signature(gait).parameters["exponent"].default)


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
    pcsa = f0 / SPECIFIC_TENSION_PA
    h = hold[:, None] * np.ones_like(a)
    d = per_day[:, None] * np.ones_like(a)
    met = fibre_metric_arrays(a[..., None], f[..., None], ff[..., None], nl[..., None], np.zeros_like(nl[..., None]),
                              np.zeros(1), pcsa, d, h, h, 0.0, held=True)
    met.update({"max_isometric_force_n": f0, "pcsa_m2": pcsa,
                "optimal_fiber_length_m": np.broadcast_to(np.asarray(model.optimal_fiber_lengths)[idx] * 1.0, a.shape),
                "repetition_s": h, "repetitions_per_day": d, "bout_s": h})
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
