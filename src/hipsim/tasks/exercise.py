"""Rehabilitation exercises held as static poses: their supports, gravity and resistance.

Each exercise is one held pose (the hardest point of a slow repetition) with explicit supports:

* Standing on one foot (resisted hip abduction-extension, standing resisted internal rotation,
  single-leg squat, lateral step-up): the foot carries everything. Its reaction is fixed by the
  whole body's equilibrium (force, centre of pressure on the sole, free moment about the vertical),
  band forces included; the body pitches about the ankle and the stance hip adducts until that
  centre of pressure lies :data:`~hipsim.tasks.stance.STANDING_COM_AHEAD_OF_ANKLE_M` in front of
  the ankle on the foot's long axis (the balance of :func:`hipsim.single_leg_stance`, here with
  the band's force in the equilibrium).
* Lying on the side (side-lying abduction, clamshell): the whole body is rolled a quarter turn
  about the room's fore-aft axis, so gravity acts along the body's lateral axis. Every segment that
  rests on the floor (trunk, arms, the lower leg) is carried under its own centre of mass; the
  pelvis carries itself and the upper leg. Where several supports share a load (pelvis, trunk and
  lower leg), this split is the stated assumption: it leaves the resting segments' joints without
  moment, so what the muscles hold is the upper leg's weight (and an ankle weight).
* Side plank: the body, rolled onto its side and straight, rests on the lower forearm (the elbow
  under the shoulder) and the outer edge of the lower foot. With two vertical supports the split is
  determinate (lever rule along the line joining them); the body rolls about that line until its
  centre of mass lies above it (balance).

The joint moments then come from inverse dynamics, the muscle forces from the same static
optimisation and the hip contact force from the same joint reaction as every other task
(:func:`hipsim.tasks.result.solve_task`). The poses are those of the cited descriptions; where a
description gives no angle, the angle is hipsim's stated assumption (:data:`EXERCISES` says which).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import brentq, least_squares

from hipsim.dynamics.inverse import ExternalLoad, PointMass, center_of_mass
from hipsim.errors import input_error
from hipsim.model import Model
from hipsim.model.scaling import Subject
from hipsim.params import PASSIVE_JOINT_MOMENTS, SIDE, Param, validated
from hipsim.tasks.posture import align_segment
from hipsim.tasks.result import TaskResult, solve_task
from hipsim.tasks.stance import HOLD, STANDING_COM_AHEAD_OF_ANKLE_M, subject_model

# --------------------------------------------------------------------------- anthropometry
#: Segment proportions of body height H from Drillis & Contini (1966) as reproduced by Winter (2009,
#: *Biomechanics and Motor Control of Human Movement*, 4th ed., Fig. 4.1): upper arm (shoulder to
#: elbow) 0.186 H, shoulder height 0.818 H, shoulder (bi-acromial) breadth 0.259 H, hip breadth
#: 0.191 H, foot breadth 0.055 H.
UPPER_ARM = 0.186
SHOULDER_HEIGHT = 0.818
SHOULDER_BREADTH = 0.259
HIP_BREADTH = 0.191
FOOT_BREADTH = 0.055

#: Force of a green Thera-Band at 100 % elongation, 4.6 lbf = 20.5 N, from the manufacturer's
#: force-elongation chart (Hygenic Corporation, Thera-Band; as published by Medwest: green 4.6 lbf at
#: 100 %, 6.7 lbf at 200 %). Uchida et al. (2016, J Phys Ther Sci 28:1266) measured lower tensions
#: than the chart for several colours; the default is a typical band, not a measured one.
GREEN_BAND_100_N = 4.6 * 4.4482216152605


@dataclass(frozen=True)
class ExerciseInfo:
    """One exercise: what it is, how hipsim holds it, and where the description comes from.

    ``pose`` lists the joint angles (degrees) and their source or the word "assumed";
    ``supports`` and ``resistance`` say what carries the body and what resists the movement;
    ``targeted`` says which hip the results report as ``side``; ``sources`` are the citations.
    """

    name: str
    title: str
    description: str
    pose: str
    supports: str
    resistance: str
    targeted: str
    sources: tuple[str, ...]
    band: bool = False
    view: str = "front"


_MOORE_GMIN = ("Moore D, Semciw AI, McClelland J, Wajswelner H, Pizzari T (2019) Rehabilitation exercises for the "
               "gluteus minimus muscle segments: an electromyography study. J Sport Rehabil 28(6):544-551")
_MOORE_GMED = ("Moore D, Pizzari T, McClelland J, Semciw AI (2019) Rehabilitation exercises for the gluteus medius "
               "muscle segments: an electromyography study. J Sport Rehabil 28(8) (doi:10.1123/jsr.2018-0340)")
_KHUU = ("Khuu A, Foch E, Lewis CL (2016) Not all single leg squats are equal: a biomechanical comparison of three "
         "variations. Int J Sports Phys Ther 11(2):201-211")
_BOREN = ("Boren K, Conrey C, Le Coguic J, Paprocki L, Voight M, Robinson TK (2011) Electromyographic analysis of "
          "gluteus medius and gluteus maximus during rehabilitation exercises. Int J Sports Phys Ther 6(3):206-223")
_TOTAL_CONTROL = ("Women's Health Foundation (2013) Total Control, Human Kinetics: 'The clam (sidelying hip external "
                  "rotation)': hips stacked and flexed 45 degrees, knees flexed 90 degrees")
_FITPRO_CLAM = ("Fit-Pro, 'Functionally fit: side-lying bridge clam': raise the top knee so that the hip is in 30 "
                "degrees of abduction, heels in contact")
_BAND_IR = ("'Hip internal rotation strengthening with a therapy band' (patient exercise instructions, Milford "
            "Spinal Decompression): standing, knee lifted to 90 degrees, thigh parallel to the floor, hip rotated "
            "inward against the band")
_EXERBAND = ("Prepak ExerBand manual, 'Standing hip abduction' (for gluteus medius and minimus): band anchored at "
             "ankle level, exercise leg away from the anchor")
_SIDE_PLANK = ("Side plank with hip abduction as described with Boren et al. (2011): supporting elbow under the "
               "shoulder, legs aligned one on top of the other, the top leg lifted (baseballstrength.org)")
_WINTER = ("Winter DA (2009) Biomechanics and Motor Control of Human Movement, 4th ed., Wiley, Fig. 4.1 (after "
           "Drillis & Contini 1966): segment proportions of body height")

#: The exercises hipsim holds, by name, with their descriptions and sources (immutable).
EXERCISES: Mapping[str, ExerciseInfo] = MappingProxyType({e.name: e for e in (
    ExerciseInfo(
        "resisted_abduction_extension", "Standing resisted hip abduction-extension (band at the ankle)",
        "Standing on the other leg, the exercised leg held abducted and extended (a diagonal) against a band "
        "looped round its ankle.",
        "exercised hip 20 deg abduction, 10 deg extension, neutral rotation, knee straight (assumed: the "
        "descriptions name the diagonal, not its angles); stance leg straight, pelvis level, trunk upright",
        "the stance foot carries everything; the body pitches about the ankle and the stance hip adducts until "
        "the centre of pressure is 5 cm in front of the ankle",
        "a band of resistance_n newtons at the ankle, horizontal at ankle height, anchored along the exercised "
        "ankle's path from neutral standing (it resists abduction and extension together)",
        "the moving leg", (_MOORE_GMIN, _MOORE_GMED, _EXERBAND), band=True),
    ExerciseInfo(
        "lateral_step_up", "Lateral step-up (pelvis level)",
        "Standing sideways to a step with the exercised foot on it, the instant the other foot leaves the floor: "
        "the stance knee bent by as much as the step's height needs, the pelvis level.",
        "stance knee flexion solved so that the hanging foot just reaches the floor from a step of step_height_m "
        "(20 cm by default, the low end of the usual 20-30 cm); the stance thigh and shank equally inclined "
        "(hip flexion = ankle dorsiflexion = half the knee flexion) before balancing; other leg straight and "
        "hanging; pelvis level, trunk upright (rule, not measured angles)",
        "the stance foot on the step carries everything (balanced as in single-leg stance)",
        "body weight only", "the stance leg on the step", (_MOORE_GMED,)),
    ExerciseInfo(
        "side_plank_abduction", "Side plank with hip abduction",
        "Lying on the side, the body straight and lifted on the lower forearm and the outer edge of the lower "
        "foot, the top leg held abducted.",
        "body straight (hips and knees neutral), top hip 30 deg abduction (assumed); the body's incline follows "
        "from the upper-arm length (0.186 H) and half the foot breadth (0.055 H / 2), Winter (2009)",
        "the lower forearm (under the shoulder) and the lower foot's outer edge, vertical forces by the lever rule "
        "along the line joining them; the body rolls about that line until its centre of mass is above it",
        "body weight; ankle_weight_kg at the top ankle", "the lower, weight-bearing hip",
        (_BOREN, _SIDE_PLANK, _WINTER)),
    ExerciseInfo(
        "single_leg_squat", "Single-leg squat (60 deg knee flexion)",
        "Standing on the exercised leg, squatting to 60 degrees of knee flexion with the pelvis level, the "
        "other knee bent and its foot beside the stance leg.",
        "stance knee 60 deg flexion (the analysis point of Khuu et al. 2016), stance hip flexion = ankle "
        "dorsiflexion = 30 deg before balancing (thigh and shank equally inclined: rule); other leg hip neutral, "
        "knee 90 deg ('SLS-middle' of Khuu et al. 2016); pelvis level, trunk upright on the pelvis",
        "the stance foot carries everything (balanced as in single-leg stance)",
        "body weight only", "the stance leg", (_KHUU, _MOORE_GMIN, _MOORE_GMED), view="side"),
    ExerciseInfo(
        "standing_internal_rotation", "Standing resisted hip internal rotation (band at knee height)",
        "Standing on the other leg, the exercised hip and knee flexed 90 degrees, holding the hip in neutral "
        "rotation against a band at the ankle that pulls the foot toward the midline (internal rotation moves "
        "the foot outward).",
        "exercised hip 90 deg flexion, knee 90 deg, neutral rotation and adduction (the cited description); "
        "stance leg straight, pelvis level",
        "the stance foot carries everything (balanced as in single-leg stance)",
        "a band of resistance_n newtons at the ankle, horizontal (the ankle then hangs at standing knee height, "
        "where the band is anchored), pulling toward the midline", "the moving leg", (_BAND_IR,), band=True,
        view="side"),
    ExerciseInfo(
        "side_lying_abduction", "Side-lying hip abduction",
        "Lying on the other side, legs straight, the top leg held abducted.",
        "top hip 30 deg abduction, neutral flexion and rotation, knees straight (assumed); the lower leg "
        "straight on the floor",
        "the floor under the trunk, arms and lower leg (each under its own centre of mass) and under the "
        "pelvis, which carries the top leg",
        "the leg's own weight (gravity along the body's lateral axis); ankle_weight_kg at the top ankle",
        "the top, moving leg", (_MOORE_GMIN, _MOORE_GMED)),
    ExerciseInfo(
        "clamshell", "Clamshell (side-lying hip external rotation, heels together)",
        "Lying on the other side with hips flexed 45 and knees 90 degrees, the top knee lifted, heels together.",
        "hips 45 deg flexion and knees 90 deg (Total Control; Boren et al. 2011's clam 1); the top leg turned "
        "about the line from its hip to its heel until the hip is at 30 deg abduction (Fit-Pro), so the heel "
        "stays put",
        "the floor under the trunk, arms and lower leg (each under its own centre of mass) and under the pelvis; "
        "the lower foot under the top heel, with the vertical force that leaves the top hip the least moment",
        "the top leg's own weight; ankle_weight_kg at the top ankle", "the top, moving leg",
        (_TOTAL_CONTROL, _BOREN, _FITPRO_CLAM)),
)})

BAND_EXERCISES: tuple[str, ...] = tuple(n for n, e in EXERCISES.items() if e.band)

#: An exercise's parameters: every one :func:`exercise` validates (and the scenario schema's keys for
#: ``type = "exercise"``). Input limits are conventions.
EXERCISE_PARAMS: dict[str, Param] = {
    "name": Param("str", "the exercise (hipsim.EXERCISES)", None, choices=tuple(EXERCISES), required=True),
    "side": SIDE.with_default("r", "the targeted hip: the moving leg, or the weight-bearing one in the squat, "
                              "the step-up and the side plank"),
    "resistance_n": Param("float", f"band force, for {' and '.join(BAND_EXERCISES)} only (not given: a green "
                          "Thera-Band at 100 % elongation, 20.5 N)", None, "N", 0.0, 300.0, nullable=True),
    "ankle_weight_kg": Param("float", "a weight strapped at the ankle of the leg that is off the ground", 0.0, "kg",
                             0.0, 10.0),
    "step_height_m": Param("float", "lateral step-up: height of the step", 0.20, "m", 0.10, 0.35),
    "hold_s": HOLD.with_default(5.0, "how long the pose is held"),
    "passive_joint_moments": PASSIVE_JOINT_MOMENTS,
}


def check_exercise_values(values: Mapping[str, Any], source: str = "argument", where: str = "") -> None:
    """The rule between keys: a band force only for an exercise with a band. ``values`` are already
    checked one by one (:data:`EXERCISE_PARAMS`); ``where`` prefixes the key in the message."""
    name, force = values.get("name"), values.get("resistance_n")
    if force is not None and isinstance(name, str) and name in EXERCISES and not EXERCISES[name].band:
        key = f"{where}.resistance_n" if where else "resistance_n"
        raise input_error(source, key, force, f"{name} has no band; give resistance_n for "
                          f"{' or '.join(BAND_EXERCISES)} only")


# --------------------------------------------------------------------------- geometry helpers

def _other(side: str) -> str:
    return "l" if side == "r" else "r"


def _lat(side: str) -> float:
    """+1 where the side lies toward +z (the right in OpenSim's ground frame)."""
    return 1.0 if side == "r" else -1.0


def _rot_x(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_axis(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about the unit ``axis`` by ``angle`` (Rodrigues)."""
    a = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)


def _bi(model: Model, name: str) -> int:
    return model.body_names.index(name)


def _pose(model: Model, degrees: Mapping[str, float]) -> np.ndarray:
    """A pose from joint angles in degrees; ``knee_flexion_<s>`` is converted with the model's own
    knee sign (:meth:`hipsim.Model.knee_flexion_sign`), every other key is a coordinate name."""
    q: dict[str, float] = {}
    for k, v in degrees.items():
        if k.startswith("knee_flexion_"):
            s = k[-1]
            q[f"knee_angle_{s}"] = model.knee_flexion_sign(s) * math.radians(v)
        else:
            q[k] = math.radians(v)
    return model.pose(q)


def _rigid(model: Model, q: np.ndarray, rot: np.ndarray, about: np.ndarray) -> np.ndarray:
    """The whole body turned rigidly by ``rot`` about the ground point ``about`` (joint angles kept):
    the root's orientation solved by :func:`hipsim.tasks.posture.align_segment`, its translation set."""
    R, o, _, _ = model.body_poses(q)
    p = _bi(model, "pelvis")
    target = rot @ R[0, p]
    out = align_segment(model, q, "pelvis", target, ["pelvis_tilt", "pelvis_list", "pelvis_rotation"])
    return _translate(model, out, about + rot @ (o[0, p] - about) - model.body_poses(out)[1][0, p])


def _translate(model: Model, q: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Move the whole body by ``shift`` (ground, m) through the root's translation coordinates."""
    idx = [model.coordinate_index(c) for c in ("pelvis_tx", "pelvis_ty", "pelvis_tz")]
    _, _, _, jv = model.body_poses(q)
    jac = jv[0, _bi(model, "pelvis")][idx]  # rows: coordinates, columns: ground x, y, z
    out = q.copy()
    out[0, idx] += np.linalg.solve(jac.T, np.asarray(shift, dtype=float))
    return out


def _sole(model: Model, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The floor point under the heel and the floor's normal, in the foot (calcn) frame, from the
    model's standing pose (the default pose stands on the plane y = 0)."""
    R, o, _, _ = model.body_poses(model.default_q)
    c = _bi(model, f"calcn_{side}")
    point = R[0, c].T @ (np.array([o[0, c, 0], 0.0, o[0, c, 2]]) - o[0, c])
    return point, R[0, c].T @ np.array([0.0, 1.0, 0.0])


def _local(model: Model, q: np.ndarray, body: str, ground_point: np.ndarray) -> np.ndarray:
    R, o, _, _ = model.body_poses(q)
    b = _bi(model, body)
    return R[0, b].T @ (np.asarray(ground_point, dtype=float) - o[0, b])


def _ground(model: Model, R: np.ndarray, o: np.ndarray, body: str, local: np.ndarray) -> np.ndarray:
    b = _bi(model, body)
    return o[0, b] + R[0, b] @ local


def _ankle_weight(model: Model, side: str, mass_kg: float) -> list[PointMass]:
    """An ankle weight: a point mass on the shank at the ankle joint centre."""
    if mass_kg <= 0.0:
        return []
    loc = _local(model, model.default_q, f"tibia_{side}",
                 model.body_poses(model.default_q)[1][0, _bi(model, f"talus_{side}")])
    return [PointMass(f"tibia_{side}", (float(loc[0]), float(loc[1]), float(loc[2])), float(mass_kg),
                      f"ankle weight {side}")]


@dataclass(frozen=True)
class _Band:
    """A band pulling on ``body`` at ``local`` (body frame) along the ground direction ``direction``."""

    body: str
    local: np.ndarray
    direction: np.ndarray
    force_n: float

    def load(self, model: Model, q: np.ndarray) -> ExternalLoad:
        R, o, _, _ = model.body_poses(q)
        point = _ground(model, R, o, self.body, self.local)
        return ExternalLoad(self.body, force=(self.force_n * self.direction)[None, :], point=point[None, :],
                            torque=np.zeros((1, 3)), label="band")


# --------------------------------------------------------------------------- standing on one foot

def _foot_reaction(model: Model, q: np.ndarray, point_masses: Sequence[PointMass], bands: Sequence[_Band],
                   floor_y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one supporting foot's reaction from the whole body's equilibrium: force (ground, N), centre
    of pressure on the plane y = ``floor_y`` and the free moment about the vertical (N m)."""
    R, o, _, _ = model.body_poses(q)
    mass, com = center_of_mass(model, R, o, point_masses)
    g = model.compiled.gravity
    force = mass * g
    moment = np.cross(com[0], mass * g)
    for b in bands:
        f = b.force_n * b.direction
        force = force + f
        moment = moment + np.cross(_ground(model, R, o, b.body, b.local), f)
    # Moments about the centre of pressure p = (px, h, pz): the horizontal components vanish.
    h = floor_y
    px = (moment[2] + h * force[0]) / force[1]
    pz = (h * force[2] - moment[0]) / force[1]
    p = np.array([px, h, pz])
    torque = np.cross(p, force) - moment  # what the floor adds: only its vertical component is left
    return -force, p, torque


def _stand_on_foot(model: Model, q: np.ndarray, side: str, floor_y: float, point_masses: Sequence[PointMass],
                   bands: Sequence[_Band], extra: tuple[Callable[[np.ndarray, np.ndarray], np.ndarray],
                                                        Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
                                                        np.ndarray] | None = None
                   ) -> tuple[np.ndarray, dict[str, Any], ExternalLoad]:
    """Balance a pose on the foot of ``side`` standing on the plane y = ``floor_y``.

    The whole body pitches (pelvis tilt) while the ankle and subtalar joints keep the sole flat (the
    ankle strategy) and the stance hip adducts until the foot's centre of pressure, from the whole body's
    equilibrium with every band force, lies :data:`STANDING_COM_AHEAD_OF_ANKLE_M` in front of the
    ankle on the foot's long axis; the subtalar joint keeps the sole flat where the model lets it
    move (the unknowns of :func:`hipsim.tasks.stance.balance_over_foot`, whose target is the centre of
    mass instead). ``extra`` = (apply, residual, start)
    adds unknowns (applied to the pose) and their residuals (from the rotations, origins and pose).
    Returns the pose, what was solved (degrees) and the foot's reaction.
    """
    ix = [model.coordinate_index(c) for c in ("pelvis_tilt", f"hip_adduction_{side}", f"ankle_angle_{side}",
                                                f"subtalar_angle_{side}")]
    locked = bool(model.compiled.coord_locked[ix[3]])
    if locked:
        ix = ix[:3]
    n_base = len(ix)
    sole_local, up_local = _sole(model, side)
    talus, calcn, toes = (_bi(model, f"{b}_{side}") for b in ("talus", "calcn", "toes"))
    apply_extra, extra_residual, extra_start = extra if extra is not None else (None, None, np.zeros(0))

    def pose(x: np.ndarray) -> np.ndarray:
        qq = q.copy()
        qq[0, ix[0]] -= x[0]                    # forward pitch of the whole body
        qq[0, ix[1:]] += x[1:n_base]            # stance hip adduction, ankle, subtalar
        if apply_extra is not None:
            qq = apply_extra(qq, x[n_base:])
        R, o, _, _ = model.body_poses(qq)
        sole_y = (o[0, calcn] + R[0, calcn] @ sole_local)[1]
        return _translate(model, qq, np.array([0.0, floor_y - sole_y, 0.0]))

    def residual(x: np.ndarray) -> np.ndarray:
        qq = pose(x)
        R, o, _, _ = model.body_poses(qq)
        _, p, _ = _foot_reaction(model, qq, point_masses, bands, floor_y)
        heel, ball = o[0, calcn], o[0, toes]
        axis_z = heel[2] + (ball[2] - heel[2]) * (p[0] - heel[0]) / (ball[0] - heel[0])
        flat = R[0, calcn].T @ np.array([0.0, 1.0, 0.0]) - up_local
        if locked:
            flat = flat[:1]
        out = [np.array([p[0] - o[0, talus, 0] - STANDING_COM_AHEAD_OF_ANKLE_M, p[2] - axis_z]), flat]
        if extra_residual is not None:
            out.append(extra_residual(R, o, qq))
        return np.concatenate(out)

    n = n_base + extra_start.size
    x0 = np.concatenate([np.zeros(n_base), extra_start])
    bound = np.full(n, math.radians(45.0))
    sol = least_squares(residual, x0, bounds=(x0 - bound, x0 + bound), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    if np.abs(sol.fun).max() > 1e-7:
        raise ValueError("no balance over the stance foot")
    qq = pose(sol.x)
    force, p, torque = _foot_reaction(model, qq, point_masses, bands, floor_y)
    grf = ExternalLoad(f"calcn_{side}", force=force[None, :], point=p[None, :], torque=torque[None, :],
                       label=f"floor under foot {side}" if floor_y == 0.0 else f"step under foot {side}")
    info: dict[str, Any] = {"body_pitch_deg": math.degrees(sol.x[0]), "stance_hip_shift_deg": math.degrees(sol.x[1])}
    return qq, info, grf


# --------------------------------------------------------------------------- lying on the side

def _lie_on_side(model: Model, q: np.ndarray, down: str, roll_from_side_deg: float = 0.0) -> np.ndarray:
    """Roll the whole body onto its ``down`` side about the room's fore-aft axis (a quarter turn less
    ``roll_from_side_deg``, which lifts the head end), about the pelvis origin."""
    angle = _lat(down) * math.radians(90.0 - roll_from_side_deg)
    R, o, _, _ = model.body_poses(q)
    return _rigid(model, q, _rot_x(angle), o[0, _bi(model, "pelvis")])


def _rest_on_floor(model: Model, q: np.ndarray, bodies: Sequence[int], label: str,
                   on: str | None = None, extra: Sequence[tuple[np.ndarray, float]] = ()) -> ExternalLoad:
    """The floor's vertical force carrying ``bodies`` (and ``extra`` (point, mass) pairs) under their
    common centre of mass, applied to ``on`` (default the first body)."""
    R, o, _, _ = model.body_poses(q)
    mass, com = center_of_mass(model, R, o, bodies=bodies)
    total, moment = mass, mass * com[0]
    for point, m in extra:
        total += m
        moment = moment + m * np.asarray(point)
    centre = moment / total
    g = model.compiled.gravity
    body = on if on is not None else model.body_names[bodies[0]]
    return ExternalLoad(body, force=(-total * g)[None, :], point=np.array([[centre[0], 0.0, centre[2]]]),
                        torque=np.zeros((1, 3)), label=label)


def _lying_supports(model: Model, q: np.ndarray, down: str, top: str, point_masses: Sequence[PointMass],
                    heel_force_n: float = 0.0, heel_point: np.ndarray | None = None) -> list[ExternalLoad]:
    """Supports of a body lying on its ``down`` side with the ``top`` leg free: every body of the
    lower leg, and of the trunk with its head and arms, rests on the floor under its own centre of
    mass; the pelvis carries itself, the top leg and the top leg's point masses, less what the lower
    foot takes under the top heel (``heel_force_n`` at ``heel_point``)."""
    R, o, _, _ = model.body_poses(q)
    g = float(np.linalg.norm(model.compiled.gravity))
    loads = []
    for b in model.subtree(f"femur_{down}") + model.subtree("torso"):
        if model.compiled.body_mass[b] > 0.0:
            loads.append(_rest_on_floor(model, q, [b], f"floor under {model.body_names[b]}"))
    top_leg = set(model.subtree(f"femur_{top}"))
    carried = [_bi(model, "pelvis")] + sorted(top_leg)
    extra = []
    for pm in point_masses:
        if _bi(model, pm.body) in top_leg:
            extra.append((_ground(model, R, o, pm.body, np.asarray(pm.location)), pm.mass_kg))
    if heel_force_n > 0.0 and heel_point is not None:
        extra.append((heel_point, -heel_force_n / g))
    loads.append(_rest_on_floor(model, q, carried, "floor under the pelvis (carrying the top leg)", on="pelvis",
                                extra=extra))
    return loads


def _leg_moment_about_hip(model: Model, q: np.ndarray, side: str, point_masses: Sequence[PointMass]) -> np.ndarray:
    """Moment (ground, N m) of gravity on the leg of ``side`` (and its point masses) about its hip centre."""
    R, o, _, _ = model.body_poses(q)
    leg = model.subtree(f"femur_{side}")
    mass, com = center_of_mass(model, R, o, bodies=leg)
    hip = o[0, _bi(model, f"femur_{side}")]
    g = model.compiled.gravity
    m = np.cross(com[0] - hip, mass * g)
    legset = set(leg)
    for pm in point_masses:
        if _bi(model, pm.body) in legset:
            m = m + np.cross(_ground(model, R, o, pm.body, np.asarray(pm.location)) - hip, pm.mass_kg * g)
    return m


# --------------------------------------------------------------------------- the exercises

@dataclass
class _Built:
    q: np.ndarray
    external: list[ExternalLoad]
    point_masses: list[PointMass]
    info: dict[str, Any]


def _band_direction_along_path(model: Model, q_neutral: np.ndarray, q_held: np.ndarray, side: str) -> np.ndarray:
    """The horizontal unit vector from the exercised ankle in the held pose back toward where it is in
    neutral standing: a band anchored on that line resists the movement directly."""
    talus = _bi(model, f"talus_{side}")
    a0 = model.body_poses(q_neutral)[1][0, talus]
    a1 = model.body_poses(q_held)[1][0, talus]
    d = a0 - a1
    d[1] = 0.0
    return d / np.linalg.norm(d)


def _standing_band(model: Model, side: str, resistance_n: float, ankle_weight_kg: float, held: Mapping[str, float],
                   direction: Callable[[np.ndarray], np.ndarray]) -> _Built:
    """Standing on the other leg with the exercised leg held at ``held`` against a band at its ankle."""
    other = _other(side)
    q_held = _pose(model, held)
    talus = _bi(model, f"talus_{side}")
    ankle_local = _local(model, q_held, f"tibia_{side}", model.body_poses(q_held)[1][0, talus])
    band = _Band(f"tibia_{side}", ankle_local, direction(q_held), resistance_n)
    pms = _ankle_weight(model, side, ankle_weight_kg)
    q, info, grf = _stand_on_foot(model, q_held, other, 0.0, pms, [band])
    info["band_direction"] = [float(v) for v in band.direction]
    return _Built(q, [grf, band.load(model, q)], pms, info)


def _resisted_abduction_extension(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    held = {f"hip_adduction_{side}": -20.0, f"hip_flexion_{side}": -10.0}
    q0 = model.pose(None)
    return _standing_band(model, side, p["resistance_n"], p["ankle_weight_kg"], held,
                          lambda qh: _band_direction_along_path(model, q0, qh, side))


def _standing_internal_rotation(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    held = {f"hip_flexion_{side}": 90.0, f"knee_flexion_{side}": 90.0}
    # Internal rotation carries the foot outward, so the band pulls it toward the midline (horizontal).
    medial = np.array([0.0, 0.0, -_lat(side)])
    return _standing_band(model, side, p["resistance_n"], p["ankle_weight_kg"], held, lambda qh: medial)


def _single_leg_squat(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    other = _other(side)
    q = _pose(model, {f"knee_flexion_{side}": 60.0, f"hip_flexion_{side}": 30.0, f"ankle_angle_{side}": 30.0,
                      f"knee_flexion_{other}": 90.0})
    pms = _ankle_weight(model, other, p["ankle_weight_kg"])
    q, info, grf = _stand_on_foot(model, q, side, 0.0, pms, [])
    return _Built(q, [grf], pms, info)


def _lateral_step_up(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    other = _other(side)
    h = float(p["step_height_m"])
    sign = model.knee_flexion_sign(side)
    knee, hip, ankle = (model.coordinate_index(c) for c in (f"knee_angle_{side}", f"hip_flexion_{side}",
                                                             f"ankle_angle_{side}"))
    sole_local, _ = _sole(model, other)
    calcn_o = _bi(model, f"calcn_{other}")

    def apply(qq: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = qq.copy()
        out[0, knee] = sign * x[0]
        out[0, hip] += 0.5 * x[0]
        out[0, ankle] += 0.5 * x[0]
        return out

    def foot_on_floor(R: np.ndarray, o: np.ndarray, qq: np.ndarray) -> np.ndarray:
        return np.array([(o[0, calcn_o] + R[0, calcn_o] @ sole_local)[1]])

    pms = _ankle_weight(model, other, p["ankle_weight_kg"])
    q, info, grf = _stand_on_foot(model, model.pose(None), side, h, pms, [],
                                  extra=(apply, foot_on_floor, np.array([math.radians(60.0)])))
    info["stance_knee_flexion_deg"] = math.degrees(sign * q[0, knee])
    return _Built(q, [grf], pms, info)


def _side_lying_abduction(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    down = _other(side)
    q = _pose(model, {f"hip_adduction_{side}": -30.0})
    q = _lie_on_side(model, q, down)
    q = _place_hip_on_floor(model, q, down)
    pms = _ankle_weight(model, side, p["ankle_weight_kg"])
    return _Built(q, _lying_supports(model, q, down, side, pms), pms, {})


def _place_hip_on_floor(model: Model, q: np.ndarray, down: str) -> np.ndarray:
    """Lower the lying body until its lower hip centre is half a hip breadth (Winter 2009) above the floor."""
    o = model.body_poses(q)[1][0, _bi(model, f"femur_{down}")]
    return _translate(model, q, np.array([0.0, 0.5 * HIP_BREADTH * model.height_m - o[1], 0.0]))


def _clamshell(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    down = _other(side)
    start = _pose(model, {f"hip_flexion_{s}": 45.0 for s in "rl"} | {f"knee_flexion_{s}": 90.0 for s in "rl"})
    femur, calcn = f"femur_{side}", f"calcn_{side}"
    R0, o0, _, _ = model.body_poses(start)
    hip, heel = o0[0, _bi(model, femur)], o0[0, _bi(model, calcn)]
    axis = heel - hip
    hip_coords = [f"hip_flexion_{side}", f"hip_adduction_{side}", f"hip_rotation_{side}"]
    add = model.coordinate_index(f"hip_adduction_{side}")
    def opened(phi: float, sign: float = 1.0) -> np.ndarray:
        target = _rot_axis(axis, sign * phi) @ R0[0, _bi(model, femur)]
        return align_segment(model, start, femur, target, hip_coords)

    # The turn that abducts (lifts the knee): its sense about the axis differs between the sides.
    sign = 1.0 if opened(math.radians(10.0))[0, add] < start[0, add] else -1.0

    def abduction_gap(phi: float) -> float:
        return float(-opened(phi, sign)[0, add] - math.radians(30.0))

    phi = brentq(abduction_gap, 0.0, math.radians(89.0), xtol=1e-12)
    q = opened(phi, sign)
    q = _lie_on_side(model, q, down)
    q = _place_hip_on_floor(model, q, down)
    pms = _ankle_weight(model, side, p["ankle_weight_kg"])
    # The lower foot under the top heel: the vertical force there that leaves the top hip the least
    # moment (the moment about the hip-heel axis cannot be relieved; it is the clam's work).
    R, o, _, _ = model.body_poses(q)
    heel_pt = o[0, _bi(model, calcn)]
    hip_pt = o[0, _bi(model, femur)]
    m0 = _leg_moment_about_hip(model, q, side, pms)
    v = np.cross(heel_pt - hip_pt, np.array([0.0, 1.0, 0.0]))
    n = max(0.0, -float(m0 @ v) / float(v @ v))
    loads = _lying_supports(model, q, down, side, pms, heel_force_n=n, heel_point=heel_pt)
    if n > 0.0:
        loads.append(ExternalLoad(calcn, force=np.array([[0.0, n, 0.0]]), point=heel_pt[None, :],
                                  torque=np.zeros((1, 3)), label="lower foot under the top heel"))
    return _Built(q, loads, pms, {"clam_turn_deg": math.degrees(phi), "heel_support_n": n})


def _side_plank_abduction(model: Model, side: str, p: Mapping[str, Any]) -> _Built:
    down, top = side, _other(side)
    H = model.height_m
    q0 = _pose(model, {f"hip_adduction_{top}": -30.0})
    # The shoulder: the arm segment's origin where the model has one, else Winter's proportions on the trunk.
    R0, o0, _, _ = model.body_poses(q0)
    if f"humerus_{down}" in model.body_names:
        shoulder_ground = o0[0, _bi(model, f"humerus_{down}")]
    else:
        torso = _bi(model, "torso")
        com = o0[0, torso] + R0[0, torso] @ model.compiled.body_com[torso]
        shoulder_ground = np.array([com[0], SHOULDER_HEIGHT * H, _lat(down) * 0.5 * SHOULDER_BREADTH * H])
    shoulder_local = _local(model, q0, "torso", shoulder_ground)
    talus = f"talus_{down}"
    ankle_local = np.zeros(3)  # the ankle joint centre: the talus origin

    def heights(qq: np.ndarray) -> tuple[float, float]:
        R, o, _, _ = model.body_poses(qq)
        return (float(_ground(model, R, o, "torso", shoulder_local)[1]),
                float(_ground(model, R, o, talus, ankle_local)[1]))

    want_sh, want_an = UPPER_ARM * H, 0.5 * FOOT_BREADTH * H

    def incline_gap(beta: float) -> float:
        sh, an = heights(_lie_on_side(model, q0, down, math.degrees(beta)))
        return (sh - an) - (want_sh - want_an)

    beta = brentq(incline_gap, 0.0, math.radians(45.0), xtol=1e-12)
    q = _lie_on_side(model, q0, down, math.degrees(beta))
    q = _translate(model, q, np.array([0.0, want_an - heights(q)[1], 0.0]))
    R, o, _, _ = model.body_poses(q)
    elbow = _ground(model, R, o, "torso", shoulder_local) * np.array([1.0, 0.0, 1.0])
    foot = _ground(model, R, o, talus, ankle_local) * np.array([1.0, 0.0, 1.0])
    pms = _ankle_weight(model, top, p["ankle_weight_kg"])
    axis = foot - elbow
    normal = np.cross(axis, np.array([0.0, 1.0, 0.0]))
    normal /= np.linalg.norm(normal)

    def rolled(psi: float) -> np.ndarray:
        return _rigid(model, q, _rot_axis(axis, psi), elbow)

    def off_line(psi: float) -> float:
        Rr, orr, _, _ = model.body_poses(rolled(psi))
        _, com = center_of_mass(model, Rr, orr, pms)
        return float((com[0] - elbow) @ normal)

    psi = brentq(off_line, -math.radians(30.0), math.radians(30.0), xtol=1e-12)
    q = rolled(psi)
    R, o, _, _ = model.body_poses(q)
    mass, com = center_of_mass(model, R, o, pms)
    w = float(mass * np.linalg.norm(model.compiled.gravity))
    along = axis / np.linalg.norm(axis)
    t_c = float((com[0] - elbow) @ along)
    t_f = float((foot - elbow) @ along)
    share_foot = t_c / t_f
    if not 0.0 <= share_foot <= 1.0:  # pragma: no cover - the centre of mass lies between elbow and foot
        raise ValueError("the side plank's centre of mass is not between its supports")
    up = np.array([[0.0, 1.0, 0.0]])
    loads = [ExternalLoad("torso", force=(1.0 - share_foot) * w * up, point=elbow[None, :], torque=np.zeros((1, 3)),
                          label=f"floor under forearm {down}"),
             ExternalLoad(f"calcn_{down}", force=share_foot * w * up, point=foot[None, :], torque=np.zeros((1, 3)),
                          label=f"floor under foot {down} (outer edge)")]
    info = {"incline_deg": math.degrees(beta), "roll_about_supports_deg": math.degrees(psi),
            "forearm_share": 1.0 - share_foot}
    return _Built(q, loads, pms, info)


_BUILDERS: dict[str, Callable[[Model, str, Mapping[str, Any]], _Built]] = {
    "resisted_abduction_extension": _resisted_abduction_extension,
    "lateral_step_up": _lateral_step_up,
    "side_plank_abduction": _side_plank_abduction,
    "single_leg_squat": _single_leg_squat,
    "standing_internal_rotation": _standing_internal_rotation,
    "side_lying_abduction": _side_lying_abduction,
    "clamshell": _clamshell,
}


@validated(EXERCISE_PARAMS)
def exercise(name: str, model: Model | str | None = None, side: str = "r", subject: Subject | None = None,
             resistance_n: float | None = None, ankle_weight_kg: float = 0.0, step_height_m: float = 0.20,
             strength: Mapping[str, float] | None = None, exponent: float | str = 2, hold_s: float = 5.0,
             passive_joint_moments: bool = True) -> TaskResult:
    """A rehabilitation exercise held as a static pose, solved for muscle forces and hip contact.

    ``name`` is one of :data:`EXERCISES` (each entry gives the pose, the supports, the resistance and
    their sources); ``side`` is the targeted hip (the moving leg, or the weight-bearing one in the
    single-leg squat, the lateral step-up and the side plank). ``resistance_n`` is the band force of the
    band exercises (not given: :data:`GREEN_BAND_100_N`); ``ankle_weight_kg`` straps a weight at the
    ankle of the leg that is off the ground; ``step_height_m`` is the lateral step-up's step.
    ``model`` (None: the default model), ``subject``, ``strength``, ``exponent`` and
    ``passive_joint_moments`` are as in :func:`hipsim.single_leg_stance`; ``hold_s`` is recorded for
    the load-duration metrics. Limits in :data:`EXERCISE_PARAMS`, checked before any work.

    The result has one frame; ``parameters`` records the exercise, what was solved for the pose
    (pitch, incline, roll, knee flexion) and each support's force (``supports_n``).
    """
    info = EXERCISES[name]
    check_exercise_values({"name": name, "resistance_n": resistance_n})
    m, subj = subject_model("default" if model is None else model, subject)
    if strength:
        m = m.with_strength(strength)
    p = {"resistance_n": GREEN_BAND_100_N if resistance_n is None else float(resistance_n),
         "ankle_weight_kg": float(ankle_weight_kg), "step_height_m": float(step_height_m)}
    try:
        built = _BUILDERS[name](m, side, p)
    except ValueError:
        raise input_error("argument", "name", name, "with these loads the body cannot be balanced over its "
                          "supports within the joints' ranges; reduce the band force or the ankle weight") from None
    zeros = np.zeros_like(built.q)
    held = {c: math.degrees(built.q[0, m.coordinate_index(f"{c}_{side}")])
            for c in ("hip_flexion", "hip_adduction", "hip_rotation")}
    knee = built.q[0, m.coordinate_index(f"knee_angle_{side}")]
    held["knee_flexion"] = m.knee_flexion_sign(side) * math.degrees(knee)
    params: dict[str, Any] = dict(exercise=name, side=side, hold_s=float(hold_s), ankle_weight_kg=p["ankle_weight_kg"],
                                  **({"resistance_n": p["resistance_n"]} if info.band else {}),
                                  **({"step_height_m": p["step_height_m"]} if name == "lateral_step_up" else {}),
                                  **built.info, targeted_joint_angles_deg=held,
                                  supports_n={e.label: float(np.linalg.norm(e.force[0])) for e in built.external})
    return solve_task("exercise", m, subj, np.zeros(1), built.q, zeros, zeros, external=built.external,
                      point_masses=built.point_masses, parameters=params, exponent=exponent,
                      passive_joint_moments=passive_joint_moments)
