"""One result type for every task, and the pipeline that fills it.

Motion (q, qdot, qddot) and external loads -> inverse dynamics -> static optimisation ->
hip contact forces. :func:`solve_task` is that pipeline; the task builders
(:mod:`hipsim.tasks.stance`, :mod:`hipsim.tasks.gait`) only prepare motion and loads.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from hipsim.errors import input_error
from hipsim.fileio import atomic_write_text
from hipsim.dynamics.inverse import (ExternalLoad, PointMass, center_of_mass, inverse_dynamics,
                                     joint_reaction)
from hipsim.model import Model
from hipsim.model.osim import ACTUATOR_SUFFIX, write_coordinate_actuators
from hipsim.model.scaling import Subject, moment_scale
from hipsim.muscles.passive_joints import passive_joint_moments as passive_moments
from hipsim.optimize import static_optimization

SIDES = ("r", "l")
#: Activation at or above which a muscle counts as fully active (a convention: the solver bounds
#: activations by 1 and reaches the bound to within its tolerance).
FULL_ACTIVATION = 0.999
#: Reserve (N m) above which a task is beyond the muscles in any frame (a convention).
RESERVE_LIMIT_NM = 2.0
#: Fraction of a coordinate's net (inverse-dynamics) moment in the same frame above which a reserve
#: also marks the task beyond the muscles (a convention, the 5 % that Hicks et al. 2015, J Biomech
#: Eng 137:020905, accept for reserve actuators against the joint moment).
RESERVE_LIMIT_FRACTION = 0.05
#: Reserve (N m) below which the fraction rule does not apply: the guard near zero moment. With
#: the default reserve optimal force of 1 N m, 1 N m of reserve costs the solver as much as one
#: fully active muscle, so reserves below it are the criterion's trade-off, not a shortfall of
#: the muscles (a convention).
RESERVE_SLACK_NM = 1.0
#: Reserve (N m) on the stance hip's adduction axis above which the abductors are said to fall
#: short (a convention, half the warning level, so that a compensation closes the gap with margin).
ABDUCTOR_SHORTFALL_NM = 0.5

#: Residual-reduction guidelines of Hicks JL, Uchida TK, Seth A, Rajagopal A & Delp SL (2015) Is
#: my model good enough? Best practices for verification and validation of musculoskeletal models
#: and simulations of movement, *J Biomech Eng* 137:020905: the peak residual force should stay
#: below 5 % of the peak external (ground reaction) force ...
RESIDUAL_FORCE_FRACTION = 0.05
#: ... and the peak residual moment below 1 % of the centre-of-mass height times the peak external
#: force (same source).
RESIDUAL_MOMENT_FRACTION = 0.01


@dataclass(frozen=True)
class Feasibility:
    """Whether the muscles can perform a task, and where they cannot.

    A task is beyond the muscles when, in any frame, a reserve actuator carries more than
    :data:`RESERVE_LIMIT_NM`, or more than :data:`RESERVE_SLACK_NM` and more than
    :data:`RESERVE_LIMIT_FRACTION` of its coordinate's net moment in that frame. ``reserve_joints``
    maps each such coordinate to its peak reserve (N m), ``reserve_frames`` to the frame of that
    peak and ``reserve_share`` to the reserve's share of the net moment there. ``saturated_muscles``
    are the muscles at :data:`FULL_ACTIVATION` or above in any frame (model names), whether or not
    the task is beyond the muscles: a muscle at its bound is a sign of a limit, but the optimum may
    put one muscle at full activation while others crossing the joint still have force to spare,
    so saturation alone does not decide. ``where`` names each frame for people: "43 % of the
    cycle" or "t = 0.52 s" (a held posture has one frame).
    """

    beyond_muscles: bool
    reserve_joints: dict[str, float]
    reserve_frames: dict[str, int]
    reserve_share: dict[str, float]
    saturated_muscles: tuple[str, ...]
    where: dict[str, str]

    @property
    def feasible(self) -> bool:
        """True when the muscles can perform the task (the opposite of ``beyond_muscles``)."""
        return not self.beyond_muscles

    def joints_text(self) -> str:
        """The flagged coordinates with their peak reserves, e.g. ``hip_adduction_r 21.6 N m (at
        43 % of the cycle)``; empty when the muscles can perform the task."""
        return ", ".join(f"{c} {v:.1f} N m{f' ({self.where[c]})' if self.where.get(c) else ''}"
                         for c, v in sorted(self.reserve_joints.items(), key=lambda kv: -kv[1]))

    def summary(self) -> str:
        """One sentence: within or beyond the muscles, and why."""
        if self.beyond_muscles:
            text = (f"beyond the muscles: reserve actuators carry up to {self.joints_text()}, more than "
                    f"{RESERVE_LIMIT_NM:g} N m or {100 * RESERVE_LIMIT_FRACTION:g} % of the joint's moment")
            if self.saturated_muscles:
                text += f"; at full activation: {_names(self.saturated_muscles)}"
            return text + "; loads computed from this result are not ones the muscles can produce."
        text = (f"within the muscles: no reserve actuator carries more than {RESERVE_LIMIT_NM:g} N m or "
                f"{100 * RESERVE_LIMIT_FRACTION:g} % of its joint's moment")
        if self.saturated_muscles:
            text += f" (at full activation in some frames: {_names(self.saturated_muscles)})"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable form (for summary.json): ``feasible``, ``beyond_the_muscles`` (per
        flagged coordinate: peak reserve N m, frame, share of the net moment, where) and
        ``saturated_muscles``."""
        return {"feasible": self.feasible,
                "beyond_the_muscles": {c: {"peak_reserve_nm": v, "frame": self.reserve_frames[c],
                                           "share_of_joint_moment": self.reserve_share[c],
                                           "where": self.where.get(c, "")}
                                       for c, v in self.reserve_joints.items()},
                "saturated_muscles": list(self.saturated_muscles)}


def _names(muscles: Sequence[str], most: int = 8) -> str:
    shown = ", ".join(muscles[:most])
    return shown + (f" and {len(muscles) - most} more" if len(muscles) > most else "")


def _where(time: np.ndarray, percent: np.ndarray | None, frame: int) -> str:
    if percent is not None:
        return f"at {percent[frame]:.0f} % of the cycle"
    return "" if time.shape[0] == 1 else f"at t = {time[frame]:.2f} s"


def reserves_beyond(reserves: np.ndarray, net_moments: np.ndarray) -> np.ndarray:
    """Where a reserve carries more than the muscles' share allows (same shape as ``reserves``,
    any leading axes): above :data:`RESERVE_LIMIT_NM`, or above :data:`RESERVE_SLACK_NM` and
    :data:`RESERVE_LIMIT_FRACTION` of the joint's net moment (``net_moments``, the same shape)."""
    r = np.abs(reserves)
    tau = np.abs(net_moments)
    return (r > RESERVE_LIMIT_NM) | ((r > RESERVE_SLACK_NM) & (r > RESERVE_LIMIT_FRACTION * tau))


def assess_feasibility(activations: np.ndarray, reserves: np.ndarray, reserve_coordinates: Sequence[str],
                       net_moments: np.ndarray, muscle_names: Sequence[str], time: np.ndarray,
                       percent: np.ndarray | None = None) -> Feasibility:
    """The :class:`Feasibility` of a solution: ``activations`` (n_frames, n_muscles), ``reserves``
    and ``net_moments`` (n_frames, n_reserves) for ``reserve_coordinates`` (N m)."""
    joints: dict[str, float] = {}
    frames: dict[str, int] = {}
    share: dict[str, float] = {}
    where: dict[str, str] = {}
    beyond = reserves_beyond(reserves, net_moments)
    for j, c in enumerate(reserve_coordinates):
        r = np.abs(reserves[:, j])
        tau = np.abs(net_moments[:, j])
        over = beyond[:, j]
        if over.any():
            k = int(np.argmax(np.where(over, r, -1.0)))
            joints[c], frames[c] = float(r[k]), k
            share[c] = float(r[k] / tau[k]) if tau[k] > 0 else float("inf")
            where[c] = _where(time, percent, k)
    saturated = tuple(n for n, a in zip(muscle_names, activations.max(axis=0), strict=True) if a >= FULL_ACTIVATION)
    return Feasibility(bool(joints), joints, frames, share, saturated, where)


def _root_joint(model: Model):
    roots = [j for j in model.spec.joints if j.parent == "ground" and len(j.coordinates) == 6]
    return roots[0] if len(roots) == 1 else None


def pelvis_residuals(model: Model, q: np.ndarray, generalized_forces: np.ndarray) -> pd.DataFrame | None:
    """The residual force (N) and moment (N m) on the root body (the pelvis), per frame, in ground.

    The generalised forces of the six coordinates of the joint between ground and the pelvis
    are what the external loads and the motion leave unbalanced: a model, a motion and ground
    reactions that agree need none. They are converted to one force at the pelvis origin and one
    moment about it, in ground axes (through the Jacobian of the pelvis's origin and orientation
    with respect to those coordinates, :meth:`hipsim.Model.body_poses`), so that they compare
    with the guidelines of Hicks et al. 2015 (:data:`RESIDUAL_FORCE_FRACTION`,
    :data:`RESIDUAL_MOMENT_FRACTION`). Columns ``force_x_n`` .. ``force_z_n``, ``moment_x_nm`` ..
    ``moment_z_nm``, and the magnitudes ``force_n`` and ``moment_nm``. None when the model's root
    is not a six-coordinate joint.
    """
    joint = _root_joint(model)
    if joint is None:
        return None
    cols = [model.coordinate_index(c.name) for c in joint.coordinates]
    b = model.body_names.index(joint.child)
    q = np.asarray(q, dtype=float)
    _, _, jw, jv = model.body_poses(q, cols)
    jac = np.concatenate([jv[:, b], jw[:, b]], axis=2)  # frames x coordinate x (v, omega)
    fm = np.linalg.solve(jac, np.asarray(generalized_forces, dtype=float)[:, cols][..., None])[..., 0]
    names = ("force_x_n", "force_y_n", "force_z_n", "moment_x_nm", "moment_y_nm", "moment_z_nm")
    df = pd.DataFrame(fm, columns=list(names))
    df["force_n"] = np.linalg.norm(fm[:, :3], axis=1)
    df["moment_nm"] = np.linalg.norm(fm[:, 3:], axis=1)
    return df


def residual_limits(model: Model, q: np.ndarray, external: Sequence[ExternalLoad],
                    point_masses: Sequence[PointMass] = ()) -> tuple[float, float] | None:
    """The residual-reduction guidelines of Hicks et al. 2015 for a motion, (force N, moment N m):
    :data:`RESIDUAL_FORCE_FRACTION` of the peak external force, and :data:`RESIDUAL_MOMENT_FRACTION`
    of the centre-of-mass height times it; None without external loads to compare with. The
    external force is the sum of the external loads' forces (the ground reactions of a walk); the
    centre-of-mass height is its mean over the frames, along the vertical (against gravity)."""
    if not external:
        return None
    total = sum(np.asarray(e.force, dtype=float) for e in external)
    peak_ext = float(np.linalg.norm(total, axis=1).max())
    if peak_ext <= 0:
        return None
    R, o, _, _ = model.body_poses(q)
    _, com = center_of_mass(model, R, o, point_masses=point_masses)
    g = np.asarray(model.compiled.gravity, dtype=float)
    height = float(np.mean(com @ (-g / np.linalg.norm(g))))
    return RESIDUAL_FORCE_FRACTION * peak_ext, RESIDUAL_MOMENT_FRACTION * height * peak_ext


def residual_warning(model: Model, q: np.ndarray, residuals: pd.DataFrame | None,
                     external: Sequence[ExternalLoad], point_masses: Sequence[PointMass] = ()) -> str | None:
    """A warning when the pelvis residuals exceed :func:`residual_limits` (Hicks et al. 2015);
    None when they do not, or without external loads to compare with."""
    limits = residual_limits(model, q, external, point_masses) if residuals is not None else None
    if residuals is None or limits is None:
        return None
    f_lim, m_lim = limits
    f_peak, m_peak = float(residuals["force_n"].max()), float(residuals["moment_nm"].max())
    if f_peak <= f_lim and m_peak <= m_lim:
        return None
    return (f"pelvis residuals up to {f_peak:.0f} N and {m_peak:.0f} N m exceed the residual-reduction guidelines "
            f"(Hicks et al. 2015: force below {100 * RESIDUAL_FORCE_FRACTION:g} % of the peak ground reaction "
            f"force, {f_lim:.0f} N; moment below {100 * RESIDUAL_MOMENT_FRACTION:g} % of centre-of-mass height "
            f"times that force, {m_lim:.0f} N m): the motion and ground forces disagree with the model, so its "
            "joint moments and muscle forces carry that error (see 'residuals'; e.g. OpenSim's residual "
            "reduction adjusts them)")


@dataclass(frozen=True)
class TaskResult:
    """Everything a task computes, frame by frame (SI units; angles in radians).

    ``time`` (s) and, for cycles, ``percent`` of the cycle; ``q``, ``qdot``, ``qddot`` and
    ``generalized_forces`` (n_frames, n_coordinates) in ``coordinate_names`` order;
    ``activations`` and ``muscle_forces`` (N, along the tendon) (n_frames, n_muscles);
    ``reserves`` (n_frames, n_selected) for ``reserve_coordinates``; hip contact force on
    each femoral head (N) in ground, pelvis and femur frames; the subject; solver status.
    ``passive_moments`` (n_frames, n_coordinates, N m): the passive joint moments
    (:mod:`hipsim.muscles.passive_joints`) that carried part of ``generalized_forces`` before the
    muscles took the rest; None when the task ran without them.

    ``feasibility`` says whether the muscles can perform the task (:class:`Feasibility`; a
    result beyond the muscles also says so in ``warnings``), ``residuals`` what the external
    loads leave unbalanced at the pelvis (:func:`pelvis_residuals`).
    """

    task: str
    model: Model
    subject: Subject
    time: np.ndarray
    q: np.ndarray
    qdot: np.ndarray
    qddot: np.ndarray
    generalized_forces: np.ndarray
    activations: np.ndarray
    muscle_forces: np.ndarray
    fiber_forces: np.ndarray
    reserves: np.ndarray
    reserve_coordinates: tuple[str, ...]
    hip_contact_force_ground: dict[str, np.ndarray]
    hip_contact_force_pelvis: dict[str, np.ndarray]
    hip_contact_force_femur: dict[str, np.ndarray]
    solver_converged: np.ndarray
    solver_max_residual: np.ndarray
    percent: np.ndarray | None = None
    point_masses: tuple[PointMass, ...] = ()
    external_loads: tuple[ExternalLoad, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    passive_moments: np.ndarray | None = None

    @cached_property
    def feasibility(self) -> Feasibility:
        """Whether the muscles can perform the task (:class:`Feasibility`): reserves against
        :data:`RESERVE_LIMIT_NM` and :data:`RESERVE_LIMIT_FRACTION` of each joint's net moment,
        and the muscles at full activation."""
        net = np.column_stack([self.generalized_force(c) for c in self.reserve_coordinates]) \
            if self.reserve_coordinates else np.zeros((self.n_frames, 0))
        return assess_feasibility(self.activations, self.reserves, self.reserve_coordinates, net,
                                  self.muscle_names, self.time, self.percent)

    @property
    def beyond_muscles(self) -> bool:
        """True when the muscles cannot perform the task (``feasibility.beyond_muscles``)."""
        return self.feasibility.beyond_muscles

    @cached_property
    def residuals(self) -> pd.DataFrame | None:
        """Residual force (N) and moment (N m) on the pelvis per frame, in ground
        (:func:`pelvis_residuals`): what the external loads and the motion leave unbalanced. Zero
        for hipsim's own tasks, whose loads balance the motion by construction; for a measured
        motion, compared with Hicks et al. 2015's guidelines in ``warnings``."""
        return pelvis_residuals(self.model, self.q, self.generalized_forces)

    @property
    def coordinate_names(self) -> tuple[str, ...]:
        """The model's coordinate names: the columns of ``q``, ``qdot`` and ``generalized_forces``."""
        return self.model.coordinate_names

    @property
    def muscle_names(self) -> tuple[str, ...]:
        """The model's muscle names: the columns of ``activations`` and the force arrays."""
        return self.model.muscle_names

    @property
    def n_frames(self) -> int:
        """Number of frames (1 for a held posture)."""
        return self.time.shape[0]

    @property
    def body_weight_n(self) -> float:
        """Body weight (N) of the subject, loads excluded: the unit of forces 'in body weights'."""
        return self.model.mass * float(np.linalg.norm(self.model.compiled.gravity))

    @property
    def hip_contact_force_bw(self) -> pd.DataFrame:
        """Magnitude of the hip contact force in body weights, frames x {"r", "l"}."""
        return pd.DataFrame({s: np.linalg.norm(self.hip_contact_force_ground[s], axis=1) / self.body_weight_n
                             for s in SIDES})

    def generalized_force(self, name: str) -> np.ndarray:
        """One column of ``generalized_forces`` by coordinate name."""
        return self.generalized_forces[:, self.model.coordinate_index(name)]

    def muscle(self, name_or_alias: str) -> pd.DataFrame:
        """Activation and force of one muscle over the frames."""
        i = self.model.muscle_index(name_or_alias)
        return pd.DataFrame({"activation": self.activations[:, i], "force_n": self.muscle_forces[:, i]})

    # ------------------------------------------------------------------ exports
    def to_frame(self) -> pd.DataFrame:
        """A wide table, one row per frame: ``time_s`` (and ``percent_cycle``), coordinates,
        generalized forces, activations, muscle forces (``<muscle>_force_n``), reserves, non-zero
        passive joint moments (``<coordinate>_passive_moment``), and per side the hip contact
        force in the pelvis frame (``hip_contact_<s>_pelvis_<x|y|z>_n``) and its magnitude in body
        weights (``hip_contact_<s>_bw``)."""
        cols: dict[str, np.ndarray] = {"time_s": self.time}
        if self.percent is not None:
            cols["percent_cycle"] = self.percent
        for j, n in enumerate(self.coordinate_names):
            cols[n] = self.q[:, j]
        for j, n in enumerate(self.coordinate_names):
            cols[f"{n}_generalized_force"] = self.generalized_forces[:, j]
        for i, n in enumerate(self.muscle_names):
            cols[f"{n}_activation"] = self.activations[:, i]
        for i, n in enumerate(self.muscle_names):
            cols[f"{n}_force_n"] = self.muscle_forces[:, i]
        for j, n in enumerate(self.reserve_coordinates):
            cols[f"{n}_reserve"] = self.reserves[:, j]
        if self.passive_moments is not None:
            for j, n in enumerate(self.coordinate_names):
                if np.any(self.passive_moments[:, j]):
                    cols[f"{n}_passive_moment"] = self.passive_moments[:, j]
        bw = self.hip_contact_force_bw
        for s in SIDES:
            for k, ax in enumerate("xyz"):
                cols[f"hip_contact_{s}_pelvis_{ax}_n"] = self.hip_contact_force_pelvis[s][:, k]
            cols[f"hip_contact_{s}_bw"] = bw[s].to_numpy()
        return pd.DataFrame(cols)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_frame` as CSV, atomically."""
        path = Path(path)
        text = self.to_frame().to_csv(index=False)
        return atomic_write_text(path, text)

    def to_sto(self, folder: str | os.PathLike[str], prefix: str = "") -> list[Path]:
        """Write OpenSim storage files that open in OpenSim: coordinates (degrees, like an IK
        ``.mot``), generalized forces (like the InverseDynamicsTool output), activations and
        forces (like StaticOptimization's outputs), and the task's external loads (ground
        reactions, the arms' torque in walking) as an ExternalLoads ``.xml`` with its ``.mot``, so
        OpenSim's InverseDynamicsTool can be run on the same motion and loads (carried point
        masses are not part of an ``.osim`` model and are not exported).

        For OpenSim's JointReaction analysis it also writes ``joint_reaction_forces.sto``: every
        muscle's force and, for each coordinate, what the muscles leave of its generalised force
        (reserve, passive joint moment, joints without muscles), carried by the CoordinateActuators
        of ``coordinate_actuators.xml`` (add it to the model as a force set file). With them the
        analysis gives hipsim's hip contact forces (``tests/test_gait_opensim.py``)."""
        from hipsim.motion.storage import StorageTable, write_storage
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rot = np.array([not n.endswith(("_tx", "_ty", "_tz")) for n in self.coordinate_names])
        q_deg = np.where(rot, np.degrees(self.q), self.q)
        gf_names = tuple(f"{n}_force" if not r else f"{n}_moment"
                         for n, r in zip(self.coordinate_names, rot, strict=True))
        tables = {
            "coordinates.mot": StorageTable(time=self.time, column_names=self.coordinate_names, data=q_deg,
                                            in_degrees=True, name="hipsim coordinates"),
            "generalized_forces.sto": StorageTable(time=self.time, column_names=gf_names,
                                                   data=self.generalized_forces, in_degrees=False,
                                                   name="Inverse Dynamics Generalized Forces"),
            "activations.sto": StorageTable(time=self.time, column_names=self.muscle_aliases_and_reserves(),
                                            data=np.hstack([self.activations, self.reserves]), in_degrees=False,
                                            name="Static Optimization activations"),
            "forces.sto": StorageTable(time=self.time, column_names=self.muscle_aliases_and_reserves(),
                                       data=np.hstack([self.muscle_forces, self.reserves]), in_degrees=False,
                                       name="Static Optimization forces"),
        }
        muscle_tau = np.einsum("fm,fmc->fc", self.muscle_forces, self.model.moment_arms(self.q))
        tables["joint_reaction_forces.sto"] = StorageTable(
            time=self.time, column_names=self.model.muscle_aliases + tuple(f"{c}{ACTUATOR_SUFFIX}" for c in
                                                                           self.coordinate_names),
            data=np.hstack([self.muscle_forces, self.generalized_forces - muscle_tau]), in_degrees=False,
            name="Actuator forces for JointReaction")
        written = [write_storage(folder / f"{prefix}{name}", t) for name, t in tables.items()]
        written.append(write_coordinate_actuators(folder / f"{prefix}coordinate_actuators.xml", self.coordinate_names))
        if self.external_loads:
            from hipsim.motion.external_loads import write_external_loads
            used: set[str] = set()
            forces = []
            for e in self.external_loads:
                base = "_".join((e.label or e.body).split()) or e.body
                name, k = base, 1
                while name in used:
                    k += 1
                    name = f"{base}_{k}"
                used.add(name)
                forces.append((name, e.body, e.force, e.point, e.torque))
            written += list(write_external_loads(folder / f"{prefix}external_loads.xml", self.time, forces))
        return written

    def muscle_aliases_and_reserves(self) -> tuple[str, ...]:
        """Column names as OpenSim's StaticOptimization writes them: muscle names then reserves."""
        return self.model.muscle_aliases + tuple(f"{c}_reserve" for c in self.reserve_coordinates)


def _in_frame(model: Model, q: np.ndarray, body: str, vec: np.ndarray) -> np.ndarray:
    """Ground vectors (nf, 3) expressed in ``body``'s frame at poses q."""
    R, _, _, _ = model.body_poses(q)
    b = model.body_names.index(body)
    return np.einsum("fji,fj->fi", R[:, b], vec)


def solve_task(task: str, model: Model, subject: Subject, time: np.ndarray, q: np.ndarray, qdot: np.ndarray,
               qddot: np.ndarray, external: Sequence[ExternalLoad] = (), point_masses: Sequence[PointMass] = (),
               percent: np.ndarray | None = None, parameters: dict[str, Any] | None = None,
               coordinates: Sequence[str] | None = None, exponent: float | str = 2,
               reserve_optimal_force: float = 1.0, warnings: Sequence[str] = (),
               passive_joint_moments: bool = True, min_activation: float = 0.0,
               opensim_static_optimization: bool = False) -> TaskResult:
    """Run inverse dynamics, static optimisation and the hip contact forces for one motion.

    With ``passive_joint_moments`` the passive elastic moments of hip, knee and ankle (Riener &
    Edrich 1999, :mod:`hipsim.muscles.passive_joints`) carry their share of the inverse-dynamics
    moments and the muscles the rest; without them the muscles carry it all, as in OpenSim's
    StaticOptimization on gait2392 (which has no passive joint forces). ``coordinates``,
    ``exponent``, ``reserve_optimal_force`` and ``min_activation`` go to
    :func:`hipsim.optimize.static_optimization`; ``opensim_static_optimization`` poses its Millard
    muscles' force as OpenSim 4.6's StaticOptimization does (``opensim_millard_pennation``).
    """
    if not isinstance(passive_joint_moments, (bool, np.bool_)):
        raise input_error("argument", "passive_joint_moments", passive_joint_moments, "use True or False")
    tau = inverse_dynamics(model, q, qdot, qddot, external=external, point_masses=point_masses)
    passive = passive_moments(model, q, moment_scale(subject)) if passive_joint_moments else None
    # Passive fibre forces are left out, as OpenSim's StaticOptimization does: with a rigid
    # tendon, gait2392's quadriceps in swing-phase knee flexion give passive moments that no
    # activation can balance (reserves up to 186 N m on the subject01 walk with them on).
    muscle_tau = tau if passive is None else tau - passive
    so = static_optimization(model, q, muscle_tau, coordinates=coordinates, qdot=qdot, exponent=exponent,
                             reserve_optimal_force=reserve_optimal_force, passive=False,
                             min_activation=min_activation, opensim_millard_pennation=opensim_static_optimization)
    ground, pelvis, femur = {}, {}, {}
    for s in SIDES:
        f = joint_reaction(model, f"femur_{s}", q, so.muscle_forces, qdot, qddot, external=external,
                           point_masses=point_masses)
        ground[s] = f
        pelvis[s] = _in_frame(model, q, "pelvis", f)
        femur[s] = _in_frame(model, q, f"femur_{s}", f)
    warn = list(warnings)
    bad = ~so.status.converged
    if bad.any():
        warn.append(f"static optimisation did not converge in {int(bad.sum())} of {bad.size} frames")
    result = TaskResult(task=task, model=model, subject=subject, time=np.asarray(time, dtype=float), q=q, qdot=qdot,
                      qddot=qddot, generalized_forces=tau, activations=so.activations,
                      muscle_forces=so.muscle_forces, fiber_forces=so.fiber_forces, reserves=so.reserves,
                      reserve_coordinates=tuple(so.coordinate_names), hip_contact_force_ground=ground,
                      hip_contact_force_pelvis=pelvis, hip_contact_force_femur=femur,
                      solver_converged=so.status.converged, solver_max_residual=so.status.max_residual,
                      percent=percent, point_masses=tuple(point_masses), external_loads=tuple(external),
                      parameters={**(parameters or {}), "passive_joint_moments": bool(passive_joint_moments)},
                      warnings=tuple(warn), passive_moments=passive)
    feas = result.feasibility
    if feas.beyond_muscles:
        warn.append(feas.summary())
    note = residual_warning(model, q, result.residuals, external, point_masses)
    if note:
        warn.append(note)
    return dataclasses.replace(result, warnings=tuple(warn)) if len(warn) > len(result.warnings) else result


#: The minimum activation OpenSim's Thelen2003Muscle allows (its ``minimum_activation`` property
#: cannot be set below 0.01; StaticOptimization bounds each activation by it).
OPENSIM_MIN_ACTIVATION = 0.01


def solve_like_opensim(result: TaskResult) -> TaskResult:
    """The same motion and loads re-solved with the problem OpenSim 4.6's StaticOptimization poses
    (for Millard muscles with its pennation, see :func:`hipsim.optimize.static_optimization`): no
    passive fibre or joint forces, the moment equation of every
    coordinate but the pelvis's and the locked ones, every taking-part muscle at least :data:`OPENSIM_MIN_ACTIVATION`
    active. For comparing with OpenSim (tests/test_static_optimization_opensim.py), not as a
    better answer: the floor makes every muscle pull."""
    if not isinstance(result, TaskResult):
        raise input_error("argument", "result", type(result).__name__,
                          "a TaskResult (e.g. of single_leg_stance or gait)")
    # OpenSim holds a locked coordinate with a constraint, so its moment equation is not the muscles'.
    locked = result.model.compiled.coord_locked
    coords = [c for c in result.coordinate_names
              if not c.startswith("pelvis") and not locked[result.model.coordinate_index(c)]]
    params = {k: v for k, v in result.parameters.items() if k != "passive_joint_moments"}
    params["solved_like_opensim"] = True
    return solve_task(result.task, result.model, result.subject, result.time, result.q, result.qdot, result.qddot,
                      external=result.external_loads, point_masses=result.point_masses, percent=result.percent,
                      parameters=params, coordinates=coords, passive_joint_moments=False,
                      min_activation=OPENSIM_MIN_ACTIVATION, opensim_static_optimization=True)
