"""Single-leg stance: a held posture on one leg, with optional carried loads.

The stance foot carries the whole weight (body and loads): a vertical ground reaction force
through the point under the whole-body centre of mass, so the pelvis needs no residual
force or moment (static equilibrium of the whole body). Inverse dynamics gives the joint
moments, static optimisation the muscle forces, and the joint reaction the hip contact
force. The frontal-plane lever diagram (:func:`lever_diagram`) reads the same 3D model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, least_squares

from hipsim.anatomy import MUSCLE_GROUPS
from hipsim.dynamics.inverse import ExternalLoad, PointMass, center_of_mass, inverse_dynamics
from hipsim.errors import input_error
from hipsim.model import Model, load_model, require_bodies
from hipsim.model.scaling import Subject
from hipsim.params import PASSIVE_JOINT_MOMENTS, SIDE, Param, check_params, validated
from hipsim.tasks.result import TaskResult, solve_task

#: Where a carried load sits, as fractions of body height H from the anthropometric
#: proportions of Drillis & Contini (1966) as reproduced by Winter (2009, *Biomechanics and
#: Motor Control of Human Movement*, 4th ed., Fig. 4.1): shoulder height 0.818 H, wrist
#: height 0.485 H, greater-trochanter height 0.530 H, shoulder breadth 0.259 H, hip breadth
#: 0.191 H. Lateral offsets beyond those breadths are hipsim's assumptions, stated here:
#: a bag in the hand hangs 5 cm lateral to the shoulder line (arm held just clear of the
#: thigh); a shoulder strap sits at 80 % of half shoulder breadth (on the trapezius, medial
#: to the acromion); a child or bag on the hip sits with its centre of mass 10 cm lateral to
#: the hip breadth, at iliac-crest height (about 0.60 H).
LOAD_PLACES: dict[str, tuple[str, float, float]] = {
    # place: (body, height as fraction of H, lateral offset as fraction of H plus metres)
    "hand": ("torso", 0.485, 0.259 / 2),
    "shoulder": ("torso", 0.818, 0.8 * 0.259 / 2),
    "hip": ("pelvis", 0.60, 0.191 / 2),
}
_EXTRA_LATERAL_M = {"hand": 0.05, "shoulder": 0.0, "hip": 0.10}
#: Greater-trochanter height (Winter 2009, Fig. 4.1), used to place the hip centre.
TROCHANTER_HEIGHT = 0.530
#: Where the whole-body centre of mass stands over the foot: in quiet standing the centre of
#: pressure, and with it the line of gravity, lies about 5 cm in front of the ankle joint
#: (Levine, Richards & Whittle, *Whittle's Gait Analysis*, 5th ed., 2012, ch. 4), so the calf
#: muscles, not tibialis anterior, hold the ankle. Value: 0.05 m.
STANDING_COM_AHEAD_OF_ANKLE_M = 0.05
#: Bodies every task places, loads or reports on (gait2392 names): the pelvis and trunk, and
#: on each side the thigh, shank and the three foot segments.
TASK_BODIES: tuple[str, ...] = ("pelvis", "torso") + tuple(
    f"{b}_{s}" for s in ("r", "l") for b in ("femur", "tibia", "talus", "calcn", "toes"))


#: A carried load's parameters (input limits are conventions).
LOAD_PARAMS: dict[str, Param] = {
    "place": Param("str", "where: in the hand at the side, on a shoulder strap, or on the hip (child, bag)", "hand",
                   choices=tuple(LOAD_PLACES)),
    "side": SIDE.with_default("l", "side of the body it is carried on"),
    "mass_kg": Param("float", "mass carried", 10.0, "kg", 0.0, 60.0),
}


@dataclass(frozen=True)
class Load:
    """A carried load: ``mass_kg`` held at ``place`` ('hand', 'shoulder' or 'hip') on ``side``
    (rules in :data:`LOAD_PARAMS`)."""

    place: str
    side: str
    mass_kg: float

    def __post_init__(self) -> None:
        check_params(LOAD_PARAMS, {"place": self.place, "side": self.side, "mass_kg": self.mass_kg}, "load")


def subject_model(model: Model | str = "default", subject: Subject | None = None) -> tuple[Model, Subject]:
    """The model scaled to ``subject``, or as it is with the subject it records (``subject=None``).

    Scaling starts from the subject the model records, so a model already scaled to ``subject``
    is returned unchanged."""
    if not isinstance(model, (str, Path, Model)):
        raise input_error("argument", "model", type(model).__name__,
                          "a Model, a shipped model name or a model file path")
    if subject is not None and not isinstance(subject, Subject):
        raise input_error("argument", "subject", subject, "a hipsim.Subject(mass_kg, height_m) or None")
    m = model if isinstance(model, Model) else load_model(model)
    require_bodies(m, TASK_BODIES, "hipsim's tasks (single-leg stance, standing, sitting, walking)")
    if subject is None:
        return m, m.subject
    # The subject as given (the scaled model's body masses sum to it up to rounding).
    return m.scaled_to(subject), subject


def point_masses_for(model: Model, subject: Subject, loads: Sequence[Load]) -> list[PointMass]:
    """Point masses in body frames for carried loads, placed by :data:`LOAD_PLACES` at the neutral pose."""
    if isinstance(loads, (Load, str)) or not isinstance(loads, Sequence):
        raise input_error("argument", "loads", loads, "a sequence of hipsim.Load(place, side, mass_kg)")
    for ld in loads:
        if not isinstance(ld, Load):
            raise input_error("argument", "loads", ld, "each load a hipsim.Load(place, side, mass_kg)")
    if not loads:
        return []
    R, o, _, _ = model.body_poses(model.default_q)
    pelvis = model.body_names.index("pelvis")
    hip_r = model.body_names.index("femur_r")
    # Ground height of a fraction of H, measured from the hip centre placed at trochanter height.
    hip_y = o[0, hip_r, 1]
    out = []
    for ld in loads:
        body, frac_h, frac_lat = LOAD_PLACES[ld.place]
        y = hip_y + (frac_h - TROCHANTER_HEIGHT) * subject.height_m
        z = (frac_lat * subject.height_m + _EXTRA_LATERAL_M[ld.place]) * (1 if ld.side == "r" else -1)
        x = o[0, pelvis, 0]
        b = model.body_names.index(body)
        local = R[0, b].T @ (np.array([x, y, z]) - o[0, b])
        out.append(PointMass(body, (float(local[0]), float(local[1]), float(local[2])), float(ld.mass_kg),
                             f"{ld.place}_{ld.side}"))
    return out


def stance_pose(model: Model, side: str, pelvic_drop_deg: ArrayLike, trunk_lean_deg: ArrayLike,
                hip_flexion_deg: ArrayLike, hip_rotation_deg: ArrayLike, swing_hip_flexion_deg: ArrayLike,
                swing_knee_flexion_deg: ArrayLike) -> np.ndarray:
    """Coordinates for single-leg stance on ``side``.

    ``pelvic_drop_deg`` > 0 lowers the unsupported side (Trendelenburg); both femurs stay
    vertical in the frontal plane, so the stance hip adducts by the drop. ``trunk_lean_deg``
    > 0 leans the trunk toward the stance side, measured from vertical (compensated
    Trendelenburg). In gait2392 a positive pelvis_list or lumbar_bending lowers or leans
    toward the right, and hip_adduction_l turns about -x, hence the signs below. The angles may
    be arrays of one length (many samples at once: :func:`hipsim.studies.batch.stance_pose_batch`).
    """
    sign = 1.0 if side == "r" else -1.0
    other = "l" if side == "r" else "r"
    drop = np.radians(pelvic_drop_deg)
    lean = np.radians(trunk_lean_deg)
    pelvis_list = -sign * drop
    q: Any = {
        "pelvis_list": pelvis_list,
        f"hip_adduction_{side}": drop,
        f"hip_adduction_{other}": -drop,
        "lumbar_bending": sign * lean - pelvis_list,
        f"hip_flexion_{side}": np.radians(hip_flexion_deg),
        f"hip_rotation_{side}": np.radians(hip_rotation_deg),
        f"hip_flexion_{other}": np.radians(swing_hip_flexion_deg),
        f"knee_angle_{other}": model.knee_flexion_sign(other) * np.radians(swing_knee_flexion_deg),
    }
    return model.pose(q)


def balance_over_foot(model: Model, q: np.ndarray, side: str, ahead_m: float,
                      point_masses: Sequence[PointMass] = ()) -> tuple[np.ndarray, float, float]:
    """Stand the whole-body centre of mass (loads included) over the stance foot.

    Mediolaterally the centre of mass must be over the foot, or the ground reaction would act
    outside it: with the pelvis level and the stance femur vertical it lies near the midline,
    about 8 cm medial to the foot. So the stance hip adducts (the leg slants in, the body shifts
    over the foot, as in any single-leg stance) until the centre of mass is over the foot's long
    axis (heel to metatarsal heads). Sagittally the whole body pitches forward about the ankle
    (pelvis tilt; the ankle strategy of quiet standing) until the centre of mass is ``ahead_m``
    in front of the ankle joint centre; a flexed stance hip therefore bends the trunk forward
    over the leg. The stance ankle and subtalar joints keep the sole flat on the floor; where the
    model locks the subtalar joint (Rajagopal et al. 2016), it stays at its value, the ankle keeps
    the sole level fore and aft and the sole rolls with the leg, as OpenSim poses such a model.
    Every other joint angle is kept. Returns the pose, the forward pitch and the added stance-hip
    adduction (rad). Raises ValueError when no such balance lies within the joints' ranges.
    """
    ix = [model.coordinate_index(c) for c in ("pelvis_tilt", f"hip_adduction_{side}", f"ankle_angle_{side}",
                                                f"subtalar_angle_{side}")]
    subtalar_locked = bool(model.compiled.coord_locked[ix[3]])
    if subtalar_locked:
        ix = ix[:3]
    talus = model.body_names.index(f"talus_{side}")
    calcn = model.body_names.index(f"calcn_{side}")
    toes = model.body_names.index(f"toes_{side}")
    r0, _, _, _ = model.body_poses(model.default_q)
    up_in_foot = r0[0, calcn].T @ np.array([0.0, 1.0, 0.0])  # the floor normal in the standing foot

    def pose(x: np.ndarray) -> np.ndarray:
        qq = q.copy()
        qq[0, ix[0]] -= x[0]
        qq[0, ix[1:]] += x[1:]
        return qq

    def residual(x: np.ndarray) -> np.ndarray:
        r, o, _, _ = model.body_poses(pose(x))
        _, com = center_of_mass(model, r, o, point_masses)
        heel, ball = o[0, calcn], o[0, toes]
        axis_z = heel[2] + (ball[2] - heel[2]) * (com[0, 0] - heel[0]) / (ball[0] - heel[0])
        flat = r[0, calcn].T @ np.array([0.0, 1.0, 0.0]) - up_in_foot
        if subtalar_locked:
            flat = flat[:1]  # the floor normal's heel-to-toe component: the sole's pitch only
        return np.concatenate([[com[0, 0] - o[0, talus, 0] - ahead_m, com[0, 2] - axis_z], flat])

    # Start with the stance thigh vertical and keep the solution within 35 degrees of pitch of it
    # and every joint inside the model's range: unbounded, the solver found far-off, unphysical
    # balances (the body pitched 150 degrees). The unknowns are offsets from that start, because
    # scipy's trust region starts at the size of the initial guess (it stalled at 1e-76 rad).
    rng = model.compiled.coord_range[ix[1:]]
    x0 = np.array([float(q[0, model.coordinate_index(f"hip_flexion_{side}")])] + [0.0] * (len(ix) - 1))
    lo = np.concatenate([[-math.radians(35.0)], rng[:, 0] - q[0, ix[1:]]])
    hi = np.concatenate([[math.radians(35.0)], rng[:, 1] - q[0, ix[1:]]])
    sol = least_squares(lambda y: residual(x0 + y), np.clip(np.zeros(len(ix)), lo + 1e-9, hi - 1e-9),
                        bounds=(lo, hi), xtol=1e-15, ftol=1e-15, gtol=1e-15)
    sol.x = x0 + sol.x
    if np.abs(sol.fun).max() > 1e-8:
        raise ValueError("no balance over the stance foot within the joints' ranges")
    return pose(sol.x), float(sol.x[0]), float(sol.x[1])


def pitch_over_ankles(model: Model, q: np.ndarray, ahead_m: float,
                      point_masses: Sequence[PointMass] = ()) -> tuple[np.ndarray, float]:
    """Quiet standing on both feet: pitch the whole body about the ankles (pelvis tilt forward,
    both ankles dorsiflexed by the same angle; the ankle strategy) until the centre of mass is
    ``ahead_m`` in front of the mid-point of the ankle centres. Returns the pose and the pitch
    (rad). gait2392's ankle axes are oblique, so each sole tilts by a few tenths of a degree
    (0.5 degrees in the default standing pose, pitched 4.4 degrees)."""
    tilt = model.coordinate_index("pelvis_tilt")
    ankles = [model.coordinate_index(f"ankle_angle_{s}") for s in ("r", "l")]
    tali = [model.body_names.index(f"talus_{s}") for s in ("r", "l")]

    def pose(pitch: float) -> np.ndarray:
        qq = q.copy()
        qq[0, tilt] -= pitch
        qq[0, ankles] += pitch
        return qq

    def gap(pitch: float) -> float:
        r, o, _, _ = model.body_poses(pose(pitch))
        _, com = center_of_mass(model, r, o, point_masses)
        return float(com[0, 0] - o[0, tali, 0].mean()) - ahead_m

    # about 1.5 cm of travel per degree: +-20 degrees brackets any point over the feet
    pitch = brentq(gap, -math.radians(20.0), math.radians(20.0), xtol=1e-12)
    return pose(pitch), float(pitch)


def _foot_span(model: Model, side: str) -> tuple[float, float]:
    """Heel (calcn origin) and metatarsal heads (mtp joint) along x from the ankle, standing (m)."""
    _, o, _, _ = model.body_poses(model.default_q)
    ankle = o[0, model.body_names.index(f"talus_{side}"), 0]
    return (float(o[0, model.body_names.index(f"calcn_{side}"), 0] - ankle),
            float(o[0, model.body_names.index(f"toes_{side}"), 0] - ankle))


#: Posture angles shared by the tasks (input limits: the domain the model's posture solutions are
#: built for, conventions, not measured ranges of motion; symmetric where the anatomy is).
PELVIC_OBLIQUITY = Param("float", "pelvic obliquity, left side lower", 0.0, "deg", -25.0, 25.0)
TRUNK_LEAN = Param("float", "trunk lean toward the stance side, from vertical", 0.0, "deg", -30.0, 30.0)
HOLD = Param("float", "how long the posture is held without a break", 60.0, "s", 1.0, 86400.0)

#: Single-leg stance: every parameter :func:`single_leg_stance` validates (and the scenario
#: schema's ``[task]`` keys for ``type = "single_leg_stance"``).
SINGLE_LEG_STANCE_PARAMS: dict[str, Param] = {
    "side": SIDE.with_default("r", "stance leg"),
    "pelvic_drop_deg": Param("float", "drop of the unsupported side of the pelvis (Trendelenburg)", 0.0, "deg",
                             -15.0, 25.0),
    "trunk_lean_deg": TRUNK_LEAN,
    "hip_flexion_deg": Param("float", "stance hip flexion", 0.0, "deg", -20.0, 90.0),
    "hip_rotation_deg": Param("float", "stance hip internal rotation", 0.0, "deg", -40.0, 40.0),
    "swing_hip_flexion_deg": Param("float", "lifted leg: hip flexion", 30.0, "deg", -20.0, 90.0),
    "swing_knee_flexion_deg": Param("float", "lifted leg: knee flexion", 60.0, "deg", 0.0, 120.0),
    "com_ahead_of_ankle_m": Param("float", "whole-body centre of mass in front of the stance ankle (quiet "
                                  "standing: about 5 cm, Levine, Richards & Whittle 2012); it must also lie "
                                  "between the heel and the metatarsal heads of the model",
                                  STANDING_COM_AHEAD_OF_ANKLE_M, "m", -0.04, 0.12),
    "hold_s": HOLD.with_default(30.0, "how long the stance is held"),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}


@validated(SINGLE_LEG_STANCE_PARAMS)
def single_leg_stance(model: Model | str = "default", side: str = "r", subject: Subject | None = None,
                      pelvic_drop_deg: float = 0.0, trunk_lean_deg: float = 0.0, loads: Sequence[Load] = (),
                      hip_flexion_deg: float = 0.0, hip_rotation_deg: float = 0.0,
                      swing_hip_flexion_deg: float = 30.0, swing_knee_flexion_deg: float = 60.0,
                      com_ahead_of_ankle_m: float = STANDING_COM_AHEAD_OF_ANKLE_M,
                      strength: Mapping[str, float] | None = None, exponent: float | str = 2,
                      hold_s: float = 30.0, passive_joint_moments: bool = True) -> TaskResult:
    """Static single-leg stance on ``side`` ('r' or 'l'), solved for muscle forces and hip contact.

    Posture (degrees; input limits in :data:`SINGLE_LEG_STANCE_PARAMS`, checked before any work):
    ``pelvic_drop_deg`` > 0 lowers the unsupported side of the pelvis (Trendelenburg);
    ``trunk_lean_deg`` > 0 leans the trunk toward the stance side; ``hip_flexion_deg`` and
    ``hip_rotation_deg`` (> 0 internal) are the stance hip's; ``swing_hip_flexion_deg`` and
    ``swing_knee_flexion_deg`` lift the other leg.

    The swing leg is lifted with ``swing_hip_flexion_deg`` and ``swing_knee_flexion_deg``
    (defaults 30 and 60 degrees: foot clear of the floor). The whole body pitches about the
    stance ankle until its centre of mass stands ``com_ahead_of_ankle_m`` in front of the
    ankle (default :data:`STANDING_COM_AHEAD_OF_ANKLE_M`, cited there; it must lie between the
    heel and the metatarsal heads), and the stance hip adducts until the centre of mass is over
    the foot (see :func:`balance_over_foot`). ``strength`` scales named
    muscles (names, aliases) before solving. ``hold_s`` is how long the posture is held (s),
    recorded for load-duration metrics. The result has one frame.

    ``passive_joint_moments`` (default True): the passive elastic moments of hip, knee and
    ankle (Riener & Edrich 1999, :mod:`hipsim.muscles.passive_joints`) carry their share before
    the muscles; False leaves it all to the muscles, as OpenSim's StaticOptimization on gait2392
    does.
    """
    angles = {k: float(v) for k, v in dict(
        pelvic_drop_deg=pelvic_drop_deg, trunk_lean_deg=trunk_lean_deg, hip_flexion_deg=hip_flexion_deg,
        hip_rotation_deg=hip_rotation_deg, swing_hip_flexion_deg=swing_hip_flexion_deg,
        swing_knee_flexion_deg=swing_knee_flexion_deg).items()}
    m, subj = subject_model(model, subject)
    if strength:
        m = m.with_strength(strength)
    heel, mtp = _foot_span(m, side)
    a = com_ahead_of_ankle_m
    if not heel < a < mtp:
        raise input_error("argument", "com_ahead_of_ankle_m", a,
                          f"use a distance between the heel ({heel:.3f} m) and the metatarsal heads ({mtp:.3f} m)")
    pms = point_masses_for(m, subj, loads)
    try:
        q, pitch, shift = balance_over_foot(m, stance_pose(m, side, **angles), side, float(a), pms)
    except ValueError:
        given = ", ".join(f"{k}={v:g}" for k, v in angles.items() if v) or "neutral"
        raise input_error("argument", "posture", given,
                          "with these angles and loads the body cannot stand balanced over the stance foot "
                          "within the joints' ranges; reduce the pelvic drop, the stance hip flexion or rotation, "
                          "or the load") from None
    zeros = np.zeros_like(q)
    # The stance foot carries everything: a vertical force under the whole-body centre of mass.
    _, com = inverse_dynamics(m, q, point_masses=pms, return_com=True)
    total = m.mass + sum(p.mass_kg for p in pms)
    g = m.compiled.gravity
    grf = ExternalLoad(f"calcn_{side}", force=(-total * g)[None, :], point=np.array([[com[0, 0], 0.0, com[0, 2]]]),
                       torque=np.zeros((1, 3)), label="ground reaction")
    params = dict(side=side, hold_s=float(hold_s), loads=[vars(ld) for ld in loads], **angles,
                  com_ahead_of_ankle_m=float(a), body_pitch_deg=math.degrees(pitch),
                  stance_hip_shift_deg=math.degrees(shift))
    return solve_task("single_leg_stance", m, subj, np.zeros(1), q, zeros, zeros, external=[grf], point_masses=pms,
                      parameters=params, exponent=exponent, passive_joint_moments=passive_joint_moments)


# --------------------------------------------------------------------------- lever diagram

#: The hip abductors on the lever diagram: the superior gluteal nerve's muscles (hipsim.anatomy).
ABDUCTORS = MUSCLE_GROUPS["superior_gluteal_nerve"]


@dataclass(frozen=True)
class LeverDiagram:
    """Frontal-plane levers of single-leg stance about the stance hip (Pauwels 1935/1976).

    ``weight_n``: weight of everything above the stance hip (all but the stance leg, plus
    loads); ``weight_lever_m``: its horizontal distance from the hip centre;
    ``abductor_lever_m``: the abductors' frontal-plane lever (force-capacity-weighted mean
    abduction moment arm of gluteus medius, minimus and TFL); ``abductor_angle_rad``: the
    abductors' line of action from vertical in the frontal plane.
    """

    side: str
    weight_n: float
    weight_lever_m: float
    abductor_lever_m: float
    abductor_angle_rad: float
    hip_center: np.ndarray
    com_above: np.ndarray
    abductor_origin: np.ndarray
    abductor_insertion: np.ndarray

    @property
    def lever_ratio(self) -> float:
        """Body-weight lever over abductor lever (Pauwels: about 3)."""
        return self.weight_lever_m / self.abductor_lever_m

    def pauwels(self) -> tuple[float, float]:
        """Closed form (Pauwels 1976, *Biomechanics of the Normal and Diseased Hip*): abductor force
        F = W b / a, and joint force J = |W + F| with F along the abductor line at angle theta from
        vertical: J = sqrt((W + F cos theta)^2 + (F sin theta)^2). Returns (F, J) in N."""
        f = self.weight_n * self.weight_lever_m / self.abductor_lever_m
        th = self.abductor_angle_rad
        return f, math.hypot(self.weight_n + f * math.cos(th), f * math.sin(th))

    def solve_planar(self) -> tuple[float, float]:
        """The same free body solved as a planar static equilibrium (3 equations: two forces and the
        moment about the hip; unknowns abductor force and the two joint-force components). Returns
        (abductor force, joint force magnitude) in N."""
        th = self.abductor_angle_rad
        # Abductor pulls down and medially-to-laterally toward its insertion: unit vector in the
        # (lateral, up) plane; weight acts down at the weight lever on the medial side.
        u = np.array([math.sin(th), -math.cos(th)])
        a, b, w = self.abductor_lever_m, self.weight_lever_m, self.weight_n
        # Unknowns [F, Jx, Jy]; forces on the pelvis-and-above free body.
        A = np.array([[u[0], 1.0, 0.0],
                      [u[1], 0.0, 1.0],
                      [a, 0.0, 0.0]])
        rhs = np.array([0.0, w, w * b])
        f, jx, jy = np.linalg.solve(A, rhs)
        return float(f), float(math.hypot(jx, jy))


def lever_diagram(result_or_model: TaskResult | Model, side: str = "r", q: np.ndarray | None = None,
                  point_masses: Sequence[PointMass] = ()) -> LeverDiagram:
    """Frontal-plane lever diagram of single-leg stance on ``side``, from the 3D model at pose ``q``.

    Given a TaskResult, its first frame, carried point masses and stance side are used, and
    ``side``, ``q`` and ``point_masses`` are ignored."""
    if not isinstance(result_or_model, (TaskResult, Model)):
        raise input_error("argument", "result_or_model", type(result_or_model).__name__,
                          "a TaskResult (e.g. of single_leg_stance) or a Model")
    if side not in ("r", "l"):
        raise input_error("argument", "side", side, "use 'r' or 'l'")
    if isinstance(result_or_model, TaskResult):
        model = result_or_model.model
        q = result_or_model.q[:1]
        point_masses = result_or_model.point_masses
        side = result_or_model.parameters.get("side", side)
    else:
        model = result_or_model
        q = model.pose(q)
    R, o, _, _ = model.body_poses(q)
    femur = model.body_names.index(f"femur_{side}")
    hip = o[0, femur]
    below = set(model.subtree(f"femur_{side}"))  # the stance leg: everything but it stands on the hip
    mass = 0.0
    mom = np.zeros(3)
    cm = model.compiled
    for b in range(1, len(model.body_names)):
        if b in below:
            continue
        p = o[0, b] + R[0, b] @ cm.body_com[b]
        mass += cm.body_mass[b]
        mom += cm.body_mass[b] * p
    for pm in point_masses:
        b = model.body_index(pm.body)
        mass += pm.mass_kg
        mom += pm.mass_kg * (o[0, b] + R[0, b] @ np.asarray(pm.location))
    com = mom / mass
    g = float(np.linalg.norm(cm.gravity))
    # Abductor lever: capacity-weighted abduction moment arm; line of action from the
    # capacity-weighted origin (pelvis points) to insertion (femur points), frontal plane.
    arms = model.moment_arms(q)[0]
    c = model.coordinate_index(f"hip_adduction_{side}")
    idx = [model.muscle_index(f"{n}_{side}") for n in ABDUCTORS]
    f0 = model.max_isometric_forces[idx]
    lever = float(np.sum(f0 * -arms[idx, c]) / f0.sum())
    origin, insertion = _abductor_line(model, q, idx, f0)
    lat = 1.0 if side == "r" else -1.0
    d = origin - insertion  # pull on the femur points toward the origin
    angle = math.atan2(abs(d[2]), abs(d[1]))
    return LeverDiagram(side=side, weight_n=mass * g, weight_lever_m=float(lat * (hip[2] - com[2])),
                        abductor_lever_m=lever, abductor_angle_rad=angle, hip_center=hip, com_above=com,
                        abductor_origin=origin, abductor_insertion=insertion)


def _abductor_line(model: Model, q: np.ndarray, idx: Sequence[int], weights: np.ndarray):
    """Weighted mean first (origin) and last (insertion) path points of the given muscles, in ground."""
    ends = [model.path_points(q[:1], model.muscle_names[i]) for i in idx]
    w = weights / weights.sum()
    origin = sum(wi * e[0] for wi, e in zip(w, ends, strict=True))
    insertion = sum(wi * e[-1] for wi, e in zip(w, ends, strict=True))
    return np.asarray(origin), np.asarray(insertion)
