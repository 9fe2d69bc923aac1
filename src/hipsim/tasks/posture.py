"""Held postures on both legs or on a seat: standing and sitting.

Each body segment's support is explicit, so the joint moments follow from statics:

* Standing: the two feet share the weight by the lever rule about the centre of mass in the
  frontal plane (Winter 1995, Gait Posture 3:193, "Human balance and posture control during
  standing and walking", load/unload mechanism); the vertical forces act under the centre of
  mass, which the body's pitch about the ankles puts 5 cm in front of them (quiet standing).
* Sitting: the seat carries the pelvis and trunk under their centre of mass, each thigh
  under its own centre of mass; the floor carries each shank and foot under theirs. The
  hip muscles then hold almost no moment, as in relaxed sitting, and what changes with a
  posture (a wallet, crossed legs) is fibre length and external pressure.

A pelvic obliquity (leg-length difference, a camber, a wallet under one buttock) tilts the
pelvis in the frontal plane; the thighs or legs keep their place in the room, so the hip
angles follow from the new pelvis orientation (solved from the model's own kinematics).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from hipsim.dynamics.inverse import ExternalLoad, center_of_mass, inverse_dynamics
from hipsim.model import Model
from hipsim.model.scaling import Subject
from hipsim.tasks.result import TaskResult, solve_task
from hipsim.params import PASSIVE_JOINT_MOMENTS, SIDE, Param, validated
from hipsim.tasks.stance import (HOLD, PELVIC_OBLIQUITY, STANDING_COM_AHEAD_OF_ANKLE_M, Load, pitch_over_ankles,
                                 point_masses_for, subject_model)


def _com(model: Model, q: np.ndarray, bodies: Sequence[int]) -> tuple[float, np.ndarray]:
    """Mass and centre of mass (ground) of the given bodies at pose q (one frame)."""
    R, o, _, _ = model.body_poses(q)
    mass, pos = center_of_mass(model, R, o, bodies=bodies)
    return mass, pos[0]


def align_segment(model: Model, q: np.ndarray, body: str, target: np.ndarray, coords: Sequence[str]) -> np.ndarray:
    """Solve ``coords`` so that ``body`` has the ground orientation ``target`` (3x3), others fixed."""
    idx = [model.coordinate_index(c) for c in coords]
    b = model.body_names.index(body)

    def err(x):
        qq = q.copy()
        qq[0, idx] = x
        R, _, _, _ = model.body_poses(qq)
        return (R[0, b] - target).ravel()

    sol = least_squares(err, q[0, idx], xtol=1e-12, ftol=1e-12, gtol=1e-12)
    if np.abs(sol.fun).max() > 1e-6:  # pragma: no cover - reachable only with odd joint axes
        raise ArithmeticError(f"could not align {body}: residual {np.abs(sol.fun).max():.2g}")
    out = q.copy()
    out[0, idx] = sol.x
    return out


def tilt_pelvis_keeping_legs(model: Model, q: np.ndarray, obliquity_rad: float) -> np.ndarray:
    """Lower the left side of the pelvis by ``obliquity_rad`` (negative: the right side), keeping
    both thighs where they are in the room (hip angles re-solved)."""
    R0, _, _, _ = model.body_poses(q)
    out = q.copy()
    # gait2392: a positive pelvis_list lowers the right side.
    out[0, model.coordinate_index("pelvis_list")] += -obliquity_rad
    out[0, model.coordinate_index("lumbar_bending")] -= -obliquity_rad  # trunk stays upright
    for side in ("r", "l"):
        femur = model.body_names.index(f"femur_{side}")
        out = align_segment(model, out, f"femur_{side}", R0[0, femur],
                            [f"hip_flexion_{side}", f"hip_adduction_{side}", f"hip_rotation_{side}"])
    return out


def leg_length_obliquity(model: Model, difference_m: float, short_side: str) -> float:
    """Pelvic obliquity (rad) from a leg-length difference: atan(difference / distance between
    the hip centres); positive lowers the left side."""
    _, o, _, _ = model.body_poses(model.default_q)
    width = float(np.linalg.norm(o[0, model.body_names.index("femur_r")] - o[0, model.body_names.index("femur_l")]))
    ang = math.atan2(difference_m, width)
    return ang if short_side == "l" else -ang


#: Quiet standing: every parameter :func:`standing` validates (and the scenario schema's keys).
STANDING_PARAMS: dict[str, Param] = {
    "pelvic_obliquity_deg": PELVIC_OBLIQUITY,
    "leg_length_difference_m": Param("float", "how much shorter one leg is", 0.0, "m", 0.0, 0.05),
    "short_side": SIDE.with_default("l", "the shorter leg"),
    "hold_s": HOLD,
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}

#: Sitting: every parameter :func:`sitting` validates (and the scenario schema's keys).
SITTING_PARAMS: dict[str, Param] = {
    "hip_flexion_deg": Param("float", "hip flexion", 90.0, "deg", 60.0, 120.0),
    "knee_flexion_deg": Param("float", "knee flexion", 90.0, "deg", 0.0, 120.0),
    "pelvic_obliquity_deg": PELVIC_OBLIQUITY,
    "crossed_top_side": Param("str", "the thigh crossed over the other", None, choices=("r", "l"), nullable=True),
    "hold_s": HOLD.with_default(1800.0, "how long one sits without a break"),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}


@validated(STANDING_PARAMS)
def standing(model: Model | str = "default", subject: Subject | None = None, pelvic_obliquity_deg: float = 0.0,
             leg_length_difference_m: float = 0.0, short_side: str = "l", loads: Sequence[Load] = (),
             strength: Mapping[str, float] | None = None, hold_s: float = 60.0, exponent: float | str = 2,
             passive_joint_moments: bool = True) -> TaskResult:
    """Quiet standing on both feet, optionally with a leg-length difference (or an equivalent
    functional one, e.g. a camber) and carried loads. One frame, held ``hold_s`` seconds.

    ``pelvic_obliquity_deg`` > 0 lowers the left side; a leg-length difference adds
    atan(difference / hip width) toward ``short_side``. Both legs stay vertical, so the hip of
    the long leg adducts and the short one abducts. The whole body pitches about the ankles until
    its centre of mass is :data:`~hipsim.tasks.stance.STANDING_COM_AHEAD_OF_ANKLE_M` in front of
    them, where the calf muscles hold it. ``passive_joint_moments`` as in :func:`hipsim.single_leg_stance`.
    """
    m, subj = subject_model(model, subject)
    if strength:
        m = m.with_strength(strength)
    phi = math.radians(pelvic_obliquity_deg) + leg_length_obliquity(m, leg_length_difference_m, short_side)
    q = m.pose({"pelvis_list": -phi, "hip_adduction_r": phi, "hip_adduction_l": -phi, "lumbar_bending": phi})
    pms = point_masses_for(m, subj, loads)
    q, pitch = pitch_over_ankles(m, q, STANDING_COM_AHEAD_OF_ANKLE_M, pms)
    _, com = inverse_dynamics(m, q, point_masses=pms, return_com=True)
    total = m.mass + sum(p.mass_kg for p in pms)
    R, o, _, _ = m.body_poses(q)
    feet = {s: o[0, m.body_names.index(f"talus_{s}")] for s in ("r", "l")}
    zr, zl = feet["r"][2], feet["l"][2]
    share_r = float(np.clip((com[0, 2] - zl) / (zr - zl), 0.0, 1.0))  # lever rule in the frontal plane
    g = m.compiled.gravity
    external = [ExternalLoad(f"calcn_{s}", force=(-total * g * w)[None, :],
                             point=np.array([[com[0, 0], 0.0, feet[s][2]]]), torque=np.zeros((1, 3)),
                             label=f"ground reaction {s}")
                for s, w in (("r", share_r), ("l", 1.0 - share_r))]
    zeros = np.zeros_like(q)
    params = dict(pelvic_obliquity_deg=math.degrees(phi), hold_s=float(hold_s), weight_share_r=share_r,
                  com_ahead_of_ankle_m=STANDING_COM_AHEAD_OF_ANKLE_M, body_pitch_deg=math.degrees(pitch),
                  leg_length_difference_m=leg_length_difference_m, short_side=short_side,
                  loads=[vars(ld) for ld in loads])
    return solve_task("standing", m, subj, np.zeros(1), q, zeros, zeros, external=external, point_masses=pms,
                      parameters=params, exponent=exponent, passive_joint_moments=passive_joint_moments)


@validated(SITTING_PARAMS)
def sitting(model: Model | str = "default", subject: Subject | None = None, hip_flexion_deg: float = 90.0,
            knee_flexion_deg: float = 90.0, pelvic_obliquity_deg: float = 0.0, crossed_top_side: str | None = None,
            hold_s: float = 1800.0, strength: Mapping[str, float] | None = None, exponent: float | str = 2,
            passive_joint_moments: bool = True) -> TaskResult:
    """Sitting on a firm seat, thighs on the seat and feet on the floor. One frame held ``hold_s`` s.

    ``pelvic_obliquity_deg`` > 0 lowers the left side (a wallet under the right buttock raises
    the right); the thighs stay on the seat, so with the hips flexed about 90 degrees the
    obliquity turns mostly into hip rotation. ``crossed_top_side`` ('r' or 'l') crosses that
    thigh over the other (knee over knee: the top hip adducted 20 degrees with no added rotation;
    an assumed, typical posture, not a measured one). ``strength`` scales named muscles (names,
    aliases) before solving, as in the other tasks. ``passive_joint_moments`` as in
    :func:`hipsim.single_leg_stance`. Limits in :data:`SITTING_PARAMS`.
    """
    m, subj = subject_model(model, subject)
    if strength:
        m = m.with_strength(strength)
    hf, kf = math.radians(hip_flexion_deg), math.radians(knee_flexion_deg)
    pose = {f"hip_flexion_{s}": hf for s in "rl"}
    pose.update({f"knee_angle_{s}": m.knee_flexion_sign(s) * kf for s in "rl"})
    if crossed_top_side:
        s = crossed_top_side
        pose[f"hip_adduction_{s}"] = math.radians(20.0)
    q = m.pose(pose)
    if pelvic_obliquity_deg:
        q = tilt_pelvis_keeping_legs(m, q, math.radians(pelvic_obliquity_deg))
    g = m.compiled.gravity
    external = []
    # Each support carries the weight of the bodies above it, so that nothing hangs unsupported:
    # the floor a shank and foot (the tibia's subtree), the seat a thigh (the femur's subtree
    # without the shank: a full-body model's patella rides on it) and, under the buttocks, all the
    # rest (pelvis, trunk, head, arms).
    shank = {s: set(m.subtree(f"tibia_{s}")) for s in "rl"}
    thigh = {s: set(m.subtree(f"femur_{s}")) - shank[s] for s in "rl"}
    trunk = sorted(set(range(len(m.body_names))) - set().union(*shank.values(), *thigh.values()))
    for label, bodies, on in [("seat under the buttocks", trunk, "pelvis")] + [
            (f"seat under thigh {s}", sorted(thigh[s]), f"femur_{s}") for s in "rl"] + [
            (f"floor under foot {s}", sorted(shank[s]), f"calcn_{s}") for s in "rl"]:
        mass, pos = _com(m, q, bodies)
        external.append(ExternalLoad(on, force=(-mass * g)[None, :], point=pos[None, :], torque=np.zeros((1, 3)),
                                     label=label))
    zeros = np.zeros_like(q)
    params = dict(hip_flexion_deg=hip_flexion_deg, knee_flexion_deg=knee_flexion_deg,
                  pelvic_obliquity_deg=pelvic_obliquity_deg, crossed_top_side=crossed_top_side, hold_s=float(hold_s),
                  seat_load_n=float(np.linalg.norm(external[0].force)))
    return solve_task("sitting", m, subj, np.zeros(1), q, zeros, zeros, external=external, parameters=params,
                      exponent=exponent, passive_joint_moments=passive_joint_moments)
