"""Gait cycles: the built-in normative cycle and measured OpenSim trials.

Both end in :func:`hipsim.tasks.result.solve_task`: inverse dynamics with the ground
reaction forces applied to the feet (bottom-up where they are known), static
optimisation, hip contact forces.
"""
from __future__ import annotations

from pathlib import Path
import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from hipsim.dynamics.inverse import ExternalLoad
from hipsim.errors import input_error
from hipsim.model import Model, load_model, require_bodies
from hipsim.model.scaling import Subject
from hipsim.motion import (coordinate_kinematics, detect_heel_strikes, load_external_loads, normative_gait,
                           read_storage, require_columns)
from hipsim.motion.cycle_adjust import adjust_cycle
from hipsim.motion.measured_walk import measured_walk
from hipsim.motion.normative_gait import GAIT_KNOBS, NormativeGait
from hipsim.params import PASSIVE_JOINT_MOMENTS, Param, validated
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM, TaskResult, solve_task
from hipsim.tasks.stance import Load, point_masses_for, subject_model


def _model_order(model: Model, names: Sequence[str], source: str) -> list[int]:
    missing = [n for n in model.coordinate_names if n not in names]
    if missing:
        raise input_error(source, "coordinates", missing[0],
                          f"the motion must give every model coordinate ({len(missing)} missing)")
    return [list(names).index(n) for n in model.coordinate_names]


#: Walking: every parameter :func:`gait` validates (the cycle's knobs, which built-in cycle, the
#: compensation for weak abductors and the passive moments).
GAIT_PARAMS: dict[str, Param] = {
    **GAIT_KNOBS,
    "cycle": Param("str", "built-in walking cycle: 'measured' (mean adult gait, Schreiber & Moissenet 2019) or "
                   "'keypoints' (cited keypoints, fitted)", "keypoints", choices=("measured", "keypoints")),
    "compensation": Param("str", "for abductors too weak to hold the pelvis: in each stance frame the trunk lean "
                          "toward the stance side ('lean', compensated Trendelenburg) or the pelvic drop on the "
                          "swing side ('drop') that closes the abductors' shortfall; 'none' leaves it to the "
                          "reserves", "none", choices=("none", "lean", "drop")),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}

#: Largest compensation searched (degrees): the input limits of a trunk lean and a pelvic drop.
COMPENSATION_LIMIT_DEG = {"lean": 30.0, "drop": 25.0}
# Bisection stops when the bracket is narrower than this (degrees), as the stance search does.
_BISECTION_TOLERANCE_DEG = 0.05
# Rounds of (per-frame search, then smoothing): the smoothing rounds the found curve's corners and
# the lean's own accelerations load the hips, so frames left short after a round are searched
# again on top of the applied curve.
_COMPENSATION_ROUNDS = 6
#: Harmonics of the compensation curve: one lurch per stride, so the stride's first two
#: harmonics (up to 1.9 Hz at 1.07 s per stride). A modelling choice made on its consequence, not
#: on a target: the trunk's rotational inertia makes a fast lean load the stance abductors itself
#: (accelerating the trunk toward the stance side pushes the pelvis down on the swing side).
#: Measured on the default model, measured cycle, right abductors at 20 %: with 2 harmonics the
#: search leaves 1.5 N m in 2 frames (peak lean 15.6 deg); with 3 it needs 50 deg (beyond the 30 deg
#: limit), and with 4 or 6 it diverges (hundreds of N m of reserves after 6 rounds).
COMPENSATION_HARMONICS = 2


@validated(GAIT_PARAMS)
def gait(model: Model | str = "default", speed_m_s: float = 1.3, subject: Subject | None = None,
         step_width_m: float = 0.10, pelvic_drop_scale: float = 1.0, trunk_lean_deg: float = 0.0,
         stance_asymmetry: float = 0.0, loads: Sequence[Load] = (), strength: Mapping[str, float] | None = None,
         n_frames: int = 101, exponent: float | str = 2, passive_joint_moments: bool = True,
         cycle: str = "keypoints", compensation: str = "none") -> TaskResult:
    """Normative level walking (one cycle from right heel strike), solved for fibre forces.

    Kinematics and ground reactions come from :func:`hipsim.motion.normative_gait` (``cycle``
    ``"keypoints"``: cited keypoints, stance feet planted) or
    :func:`hipsim.motion.measured_walk.measured_walk` (``"measured"``: mean measured adult gait),
    built for this (scaled) model with the carried ``loads`` on it; the ground reactions follow
    from whole-body Newton–Euler, so the pelvis needs no residual force or moment. Knobs as there.
    ``passive_joint_moments`` as in :func:`hipsim.single_leg_stance`.

    ``compensation`` ``"lean"`` or ``"drop"``: where the abductors (weakened by ``strength``) leave
    a reserve above :data:`~hipsim.tasks.result.ABDUCTOR_SHORTFALL_NM` on a stance hip's adduction
    axis, each such frame gets the trunk lean toward that stance side (lumbar bending) or the
    pelvic drop on the swing side (pelvic obliquity, the stance foot held in place, femora and
    trunk keeping their orientation in ground) that brings it to that level, found by bisection
    over 0 to :data:`COMPENSATION_LIMIT_DEG` with the frame's motion otherwise unchanged. The
    per-frame angles are then smoothed into a periodic curve (:data:`COMPENSATION_HARMONICS`
    harmonics) applied with its own velocities and accelerations
    (:func:`hipsim.motion.cycle_adjust.adjust_cycle`, ground reactions updated), and frames still
    short are searched again on top of it (6 rounds). The
    result's ``parameters["compensation"]`` holds the curve over the cycle (degrees, + toward the
    right side), its peak and the abductor shortfall it leaves; a shortfall left is a warning.
    """
    m, subj = subject_model(model, subject)
    if strength:
        m = m.with_strength(strength)
    pms = point_masses_for(m, subj, loads)
    build = measured_walk if cycle == "measured" else normative_gait
    ng = build(speed_m_s=speed_m_s, step_width_m=step_width_m, pelvic_drop_scale=pelvic_drop_scale,
               trunk_lean_deg=trunk_lean_deg, stance_asymmetry=stance_asymmetry, n_frames=n_frames,
               model=m, point_masses=pms)
    params = dict(speed_m_s=speed_m_s, step_width_m=step_width_m, pelvic_drop_scale=pelvic_drop_scale,
                  trunk_lean_deg=trunk_lean_deg, stance_asymmetry=stance_asymmetry,
                  cadence_steps_min=ng.cadence_steps_min, stride_time_s=ng.stride_time_s,
                  stance_fraction={s: ng.grf[s].stance_fraction for s in ("r", "l")},
                  loads=[vars(ld) for ld in loads],
                  pelvis_tilt_offset_rad=ng.parameters.get("pelvis_tilt_offset_rad"), cycle=cycle)

    def solve(c: NormativeGait, extra: Mapping[str, Any] | None = None,
              warnings: Sequence[str] = ()) -> TaskResult:
        return _solve_cycle(m, subj, c, pms, {**params, **(extra or {})}, exponent, passive_joint_moments,
                            warnings)

    first = solve(ng)
    if compensation == "none":
        return first
    return _compensate(m, pms, ng, first, compensation, solve)


def _solve_cycle(m: Model, subj: Subject, ng: NormativeGait, pms: Sequence, params: Mapping[str, Any],
                 exponent: float | str, passive_joint_moments: bool, warnings: Sequence[str] = ()) -> TaskResult:
    """Inverse dynamics, static optimisation and hip contact forces for one built cycle."""
    q = np.column_stack([ng.coordinates[n] for n in m.coordinate_names])
    qd = np.column_stack([ng.velocities[n] for n in m.coordinate_names])
    qdd = np.column_stack([ng.accelerations[n] for n in m.coordinate_names])
    g = float(np.linalg.norm(m.compiled.gravity))
    external = []
    for side in ("r", "l"):
        foot = ng.grf[side]
        force = foot.force_bw * m.mass * g
        # The force acts at the centre of pressure on the floor; the torque is the rest of the
        # foot's moment (the free moment about the vertical where the CoP is defined).
        point = foot.cop_ground_m
        torque = foot.moment_origin_bw_m * m.mass * g - np.cross(point, force)
        external.append(ExternalLoad(f"calcn_{side}", force=force, point=point, torque=torque,
                                     label=f"ground reaction {side}"))
    # The swinging arms' reaction on the trunk about the vertical (normative_gait, step 5).
    arm = np.zeros((q.shape[0], 3))
    if ng.arm_swing_moment_bw_m is not None:
        arm[:, 1] = ng.arm_swing_moment_bw_m * m.mass * g
    external.append(ExternalLoad("torso", force=np.zeros_like(arm), point=np.zeros_like(arm), torque=arm,
                                 label="arm swing"))
    params = dict(params, grf_n=_grf(external), cop_m={s: ng.grf[s].cop_ground_m for s in ("r", "l")})
    return solve_task("gait", m, subj, ng.time, q, qd, qdd, external=external, point_masses=pms,
                      percent=ng.percent, parameters=params, exponent=exponent,
                      passive_joint_moments=passive_joint_moments, warnings=warnings)


def abductor_shortfall(res: TaskResult) -> dict[str, np.ndarray]:
    """Per side, the abduction moment (N m, >= 0) the hip's reserve actuator supplies in each
    frame: what the abductors fall short of (the reserve on ``hip_adduction_<side>`` when it
    pushes toward abduction, i.e. is negative; 0 where there is no such reserve)."""
    out = {}
    for s in ("r", "l"):
        c = f"hip_adduction_{s}"
        out[s] = (np.maximum(0.0, -res.reserves[:, res.reserve_coordinates.index(c)])
                  if c in res.reserve_coordinates else np.zeros(res.q.shape[0]))
    return out


def _compensate(m: Model, pms: Sequence, ng: NormativeGait, first: TaskResult, kind: str,
                solve: Callable[..., TaskResult]) -> TaskResult:
    """The per-frame lean or drop search of :func:`gait` (its docstring)."""
    n = ng.percent.size
    limit = COMPENSATION_LIMIT_DEG[kind]
    stance = {s: ng.grf[s].stance for s in ("r", "l")}

    def shortfall_and_side(res: TaskResult) -> tuple[np.ndarray, np.ndarray]:
        sf = abductor_shortfall(res)
        r = np.where(stance["r"], sf["r"], 0.0)
        lft = np.where(stance["l"], sf["l"], 0.0)
        return np.maximum(r, lft), np.where(r >= lft, 1.0, -1.0)

    def deltas(angle_deg: np.ndarray) -> dict[str, np.ndarray]:
        a = np.radians(angle_deg)  # signed: + toward the right side
        if kind == "lean":
            return {"lumbar_bending": a}
        # A drop of the swing side: with the right foot in stance the left side falls
        # (pelvis_list + lowers the right side); the femora and trunk keep their ground orientation.
        d_list = -a
        return {"pelvis_list": d_list, "hip_adduction_r": -d_list, "hip_adduction_l": d_list,
                "lumbar_bending": -d_list}

    def pins(angle_deg: np.ndarray) -> list[str] | None:
        if kind == "lean":
            return None
        return ["r" if a > 0 else "l" if a < 0 else "" for a in angle_deg]

    base = ng
    base_res = first
    curve = np.zeros(n)
    deficit0, _ = shortfall_and_side(first)
    # The round that leaves the smallest largest shortfall is kept (no compensation included).
    best = (float(deficit0.max()), curve, first)
    for _ in range(_COMPENSATION_ROUNDS):
        short, sign = shortfall_and_side(base_res)
        need = short > ABDUCTOR_SHORTFALL_NM
        if not need.any():
            break

        def short_at(extra_deg: np.ndarray, sign: np.ndarray = sign, base: NormativeGait = base) -> np.ndarray:
            signed = sign * extra_deg
            c = adjust_cycle(m, pms, base, deltas(signed), pins(signed), harmonics=None)
            s_new, _ = shortfall_and_side(solve(c))
            return s_new

        # A frame the largest angle cannot close keeps whichever of no change and the largest
        # angle leaves the smaller shortfall (a drop usually enlarges it: see the stance search).
        at_limit = short_at(np.where(need, limit, 0.0))
        closable = need & (at_limit <= ABDUCTOR_SHORTFALL_NM)
        stuck = need & ~closable
        need = closable
        lo = np.zeros(n)
        hi = np.where(closable, limit, np.where(stuck & (at_limit < short), limit, 0.0))
        lo = np.where(stuck, hi, lo)
        while np.max(hi - lo) > _BISECTION_TOLERANCE_DEG:
            mid = 0.5 * (lo + hi)
            ok = short_at(mid) <= ABDUCTOR_SHORTFALL_NM
            hi = np.where(need & ok, mid, hi)
            lo = np.where(need & ~ok, mid, lo)
        curve = np.clip(curve + sign * hi, -limit, limit)
        base = adjust_cycle(m, pms, ng, deltas(curve), pins(curve), harmonics=COMPENSATION_HARMONICS)
        base_res = solve(base)
        # the curve as applied (smoothed), for the next round and the report
        key = "lumbar_bending" if kind == "lean" else "pelvis_list"
        applied = np.degrees(base.coordinates[key] - ng.coordinates[key])
        curve = applied if kind == "lean" else -applied
        worst = float(shortfall_and_side(base_res)[0].max())
        if worst < best[0]:
            best = (worst, curve, base_res)
    _, curve, base_res = best
    left, _ = shortfall_and_side(base_res)
    name = "trunk_lean_deg" if kind == "lean" else "pelvic_drop_deg"
    report = {"kind": kind, name: np.round(curve, 4).tolist(), "peak_deg": float(np.max(np.abs(curve))),
              "abductor_shortfall_before_nm": float(deficit0.max()),
              "abductor_shortfall_left_nm": float(left.max()),
              "frames_short": int(np.count_nonzero(left > ABDUCTOR_SHORTFALL_NM)),
              "sign": "+ toward the right side (the stance side when the right hip is short)"}
    warnings = list(base_res.warnings)
    if not deficit0.max() > ABDUCTOR_SHORTFALL_NM:
        report["note"] = (f"no {kind} needed: at this strength the muscles hold the pelvis in every frame "
                          f"(largest abductor shortfall {deficit0.max():.1f} N m, within the "
                          f"{ABDUCTOR_SHORTFALL_NM:g} N m allowed)")
    elif not np.any(curve):
        report["note"] = (f"no {kind} within {limit:g} degrees lowers the abductors' largest shortfall "
                          f"({deficit0.max():.1f} N m)" + (
                              "; a drop swings the trunk toward the unsupported side and adducts the stance "
                              "hip, shortening the abductors' moment arms" if kind == "drop" else ""))
    if report["frames_short"]:
        warnings.append(f"the {kind} compensation leaves the abductors {left.max():.1f} N m short in "
                        f"{report['frames_short']} frames (searched up to {limit:g} degrees per frame)")
    return dataclasses.replace(base_res, parameters={**base_res.parameters, "compensation": report},
                               warnings=tuple(warnings))


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
