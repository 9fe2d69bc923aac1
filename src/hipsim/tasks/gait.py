"""Gait cycles: the built-in normative cycle and measured OpenSim trials.

Both end in :func:`hipsim.tasks.result.solve_task`: inverse dynamics with the ground
reaction forces applied to the feet (bottom-up where they are known), static
optimisation, hip contact forces.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from hipsim.dynamics.inverse import ExternalLoad
from hipsim.errors import input_error
from hipsim.model import Model, load_model, require_bodies
from hipsim.model.scaling import Subject
from hipsim.motion import (coordinate_kinematics, detect_heel_strikes, load_external_loads, normative_gait,
                           read_storage, require_columns)
from hipsim.motion.measured_walk import measured_walk
from hipsim.motion.normative_gait import GAIT_KNOBS, GRAVITY_M_S2
from hipsim.params import PASSIVE_JOINT_MOMENTS, Param, validated
from hipsim.tasks.result import TaskResult, solve_task
from hipsim.tasks.stance import Load, point_masses_for, subject_model


def _model_order(model: Model, names: Sequence[str], source: str) -> list[int]:
    missing = [n for n in model.coordinate_names if n not in names]
    if missing:
        raise input_error(source, "coordinates", missing[0],
                          f"the motion must give every model coordinate ({len(missing)} missing)")
    return [list(names).index(n) for n in model.coordinate_names]


#: Walking: every parameter :func:`gait` validates (the cycle's knobs, which built-in cycle, and the
#: passive moments).
GAIT_PARAMS: dict[str, Param] = {
    **GAIT_KNOBS,
    "cycle": Param("str", "built-in walking cycle: 'measured' (mean adult gait, Schreiber & Moissenet 2019) or "
                   "'keypoints' (cited keypoints, fitted)", "keypoints", choices=("measured", "keypoints")),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}


@validated(GAIT_PARAMS)
def gait(model: Model | str = "default", speed_m_s: float = 1.3, subject: Subject | None = None,
         step_width_m: float = 0.10, pelvic_drop_scale: float = 1.0, trunk_lean_deg: float = 0.0,
         stance_asymmetry: float = 0.0, loads: Sequence[Load] = (), strength: Mapping[str, float] | None = None,
         n_frames: int = 101, exponent: float | str = 2, passive_joint_moments: bool = True,
         cycle: str = "keypoints") -> TaskResult:
    """Normative level walking (one cycle from right heel strike), solved for fibre forces.

    Kinematics and ground reactions come from :func:`hipsim.motion.normative_gait` (``cycle``
    ``"keypoints"``: cited keypoints, stance feet planted) or
    :func:`hipsim.motion.measured_walk.measured_walk` (``"measured"``: mean measured adult gait),
    built for this (scaled) model with the carried ``loads`` on it; the ground reactions follow
    from whole-body Newton–Euler, so the pelvis needs no residual force or moment. Knobs as there.
    ``passive_joint_moments`` as in :func:`hipsim.single_leg_stance`.
    """
    m, subj = subject_model(model, subject)
    if strength:
        m = m.with_strength(strength)
    pms = point_masses_for(m, subj, loads)
    build = measured_walk if cycle == "measured" else normative_gait
    ng = build(speed_m_s=speed_m_s, step_width_m=step_width_m, pelvic_drop_scale=pelvic_drop_scale,
               trunk_lean_deg=trunk_lean_deg, stance_asymmetry=stance_asymmetry, n_frames=n_frames,
               model=m, point_masses=pms)
    q = np.column_stack([ng.coordinates[n] for n in m.coordinate_names])
    qd = np.column_stack([ng.velocities[n] for n in m.coordinate_names])
    qdd = np.column_stack([ng.accelerations[n] for n in m.coordinate_names])
    external = []
    for side in ("r", "l"):
        foot = ng.grf[side]
        force = foot.force_n(m.mass)
        # The force acts at the centre of pressure on the floor; the torque is the rest of the
        # foot's moment (the free moment about the vertical where the CoP is defined).
        point = foot.cop_ground_m
        torque = foot.moment_origin_bw_m * m.mass * GRAVITY_M_S2 - np.cross(point, force)
        external.append(ExternalLoad(f"calcn_{side}", force=force, point=point, torque=torque,
                                     label=f"ground reaction {side}"))
    # The swinging arms' reaction on the trunk about the vertical (normative_gait, step 5).
    arm = np.zeros((q.shape[0], 3))
    if ng.arm_swing_moment_bw_m is not None:
        arm[:, 1] = ng.arm_swing_moment_bw_m * m.mass * GRAVITY_M_S2
    external.append(ExternalLoad("torso", force=np.zeros_like(arm), point=np.zeros_like(arm), torque=arm,
                                 label="arm swing"))
    params = dict(speed_m_s=speed_m_s, step_width_m=step_width_m, pelvic_drop_scale=pelvic_drop_scale,
                  trunk_lean_deg=trunk_lean_deg, stance_asymmetry=stance_asymmetry,
                  cadence_steps_min=ng.cadence_steps_min, stride_time_s=ng.stride_time_s,
                  stance_fraction={s: ng.grf[s].stance_fraction for s in ("r", "l")},
                  loads=[vars(ld) for ld in loads], grf_n=_grf(external),
                  cop_m={s: ng.grf[s].cop_ground_m for s in ("r", "l")},
                  pelvis_tilt_offset_rad=ng.parameters.get("pelvis_tilt_offset_rad"), cycle=cycle)
    return solve_task("gait", m, subj, ng.time, q, qd, qdd, external=external, point_masses=pms,
                      percent=ng.percent, parameters=params, exponent=exponent,
                      passive_joint_moments=passive_joint_moments)


def _grf(external: Sequence[ExternalLoad]) -> dict[str, np.ndarray]:
    """Ground reaction force (n_frames, 3) in N per foot side, for reports."""
    return {e.body.split("_")[-1]: np.asarray(e.force) for e in external if e.body.startswith("calcn_")}


#: A measured trial's parameters (times are checked against the motion's span when it is read).
GAIT_FROM_OPENSIM_PARAMS: dict[str, Param] = {
    "start": Param("float", "start of the cycle (s); not given: the first right heel strike", None, "s",
                   nullable=True),
    "end": Param("float", "end of the cycle (s); not given: the next right heel strike", None, "s", nullable=True),
    "cutoff_hz": Param("float", "low-pass cut-off of the coordinates (Hz); none or negative: no filtering", 6.0,
                       "Hz", nullable=True),
    "n_points": Param("int", "frames the cycle is normalised to", 101, "", 3, 100_000),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}


@validated(GAIT_FROM_OPENSIM_PARAMS)
def gait_from_opensim(model_or_osim_path: Model | str | Path, coordinates_file: str | Path,
                      external_loads_xml: str | Path, start: float | None = None, end: float | None = None,
                      cutoff_hz: float | None = 6.0, n_points: int = 101, subject: Subject | None = None,
                      exponent: float | str = 2, passive_joint_moments: bool = True) -> TaskResult:
    """A measured walking trial: OpenSim coordinates (.mot/.sto) and ground reaction forces.

    The coordinates are low-pass filtered at ``cutoff_hz`` (OpenSim InverseDynamicsTool's
    filter: padded 3rd-order IIR, then quintic splines for velocities and accelerations;
    None for no filtering). With ``start`` and ``end`` None, the first full right gait cycle
    (heel strike to heel strike, 20 N threshold on the right vertical force) is used; given,
    both are times in seconds within the motion, ``start < end``. ``cutoff_hz`` None or
    negative: no filtering (OpenSim's -1). The cycle is normalised to ``n_points`` frames
    (0-100 %, 3 to 100000). The model is used as given (scale it to the subject first, e.g. with
    OpenSim's ScaleTool): ``subject`` is recorded in the result and scales only the passive
    joint moments, and body weights refer to the model's mass; None means the subject the model
    records (:attr:`hipsim.Model.subject`). ``passive_joint_moments`` as in :func:`hipsim.single_leg_stance`.

    Measured motions and forces rarely balance the model exactly: the result's ``residuals`` hold
    the pelvis residual force and moment per frame, and its ``warnings`` say when they exceed the
    residual-reduction guidelines of Hicks et al. 2015, J Biomech Eng 137:020905 (peak force above
    5 % of the peak ground reaction force, peak moment above 1 % of centre-of-mass height times
    it; :func:`hipsim.tasks.result.residual_warning`).
    """
    if (start is None) != (end is None):
        raise input_error("argument", "start/end", (start, end),
                          "give both, or neither to find the first right gait cycle")
    if start is not None and end is not None and not start < end:
        raise input_error("argument", "start/end", (start, end), "start must come before end")
    model = model_or_osim_path if isinstance(model_or_osim_path, Model) else load_model(model_or_osim_path)
    require_bodies(model, ("pelvis", "femur_r", "femur_l"), "a measured walk's hip contact forces")
    storage = read_storage(coordinates_file)
    require_columns(storage, model.coordinate_names, str(coordinates_file))
    loads = load_external_loads(external_loads_xml, bodies=model.body_names)
    if start is None or end is None:
        right = loads.for_body("calcn_r")
        if not right:
            raise input_error(str(external_loads_xml), "applied_to_body", "calcn_r",
                              "give start and end, or a right-foot force to find a gait cycle")
        lo, hi = storage.time[0], storage.time[-1]
        strikes = [t for t in detect_heel_strikes(loads.time, right[0].force[:, 1]) if lo <= t <= hi]
        if len(strikes) < 2:
            raise input_error(str(coordinates_file), "time", f"{lo:g}-{hi:g} s",
                              "the motion must hold a full right gait cycle (two heel strikes), or give start and end")
        start, end = strikes[0], strikes[1]
    if not (storage.time[0] <= start < end <= storage.time[-1]):
        raise input_error(str(coordinates_file), "start/end", (start, end),
                          "the cycle must lie within the motion's time span "
                          f"{storage.time[0]:g}-{storage.time[-1]:g} s")
    times = np.linspace(start, end, n_points)
    kin = coordinate_kinematics(storage, cutoff_hz=cutoff_hz, times=times)
    order = [kin.names.index(n) for n in model.coordinate_names]
    q, qd, qdd = (np.ascontiguousarray(a[:, order]) for a in (kin.q, kin.qdot, kin.qddot))
    data = load_external_loads(external_loads_xml, time=times, bodies=model.body_names)
    external = [ExternalLoad(f.body, f.force, f.point, f.torque, label=f.spec.name) for f in data.forces]
    for f in data.forces:
        if f.spec.force_expressed_in_body != "ground" or f.spec.point_expressed_in_body != "ground":
            raise input_error(str(external_loads_xml), f"ExternalForce '{f.spec.name}'",
                              f.spec.force_expressed_in_body,
                              "hipsim applies forces and points expressed in ground")
    notes = list(data.notes)
    if subject is None:
        subject = model.subject
        if model.spec.height_m is None:
            notes.append(f"subject height not given and not recorded in the model; {subject.height_m:.3f} m "
                         "estimated from its leg (hipsim.load_model(path, height_m=...) records it)")
    params = dict(coordinates_file=str(coordinates_file), external_loads_xml=str(external_loads_xml),
                  start=float(start), end=float(end), cutoff_hz=cutoff_hz, grf_n=_grf(external))
    return solve_task("gait_measured", model, subject, times, q, qd, qdd, external=external,
                      percent=np.linspace(0.0, 100.0, n_points), parameters=params, exponent=exponent,
                      warnings=notes, passive_joint_moments=passive_joint_moments)
