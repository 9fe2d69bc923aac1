"""A built-in normative level-walking cycle for OpenSim gait2392-family models: the public API
(:func:`normative_gait`, :class:`NormativeGait`, :data:`GAIT_KNOBS`, :func:`cadence_for_speed`),
the validation of a cycle's inputs and its cache.

The cycle (0–100 %, right heel strike at 0 %) is kinematically and dynamically consistent with
the model it is built for. It is built in five steps:

1. **Centre of mass (COM) path**: a cited vertical rise and fall, and a strut (inverted pendulum)
   over the centres of pressure of the planted feet forward and sideways;
2. **planted feet**: in stance each foot stays on the floor, heel then metatarsal heads;
3. **one least-squares fit** of every leg coordinate and the pelvis translations as Fourier
   series to the planted feet, the COM path and the cited joint curves;
4. **ground reactions from Newton–Euler**: the whole-body wrench the ground must supply, split
   between the feet (Ren, Jones & Howard 2008 in double support), so the pelvis residuals vanish;
5. **arm swing**: gait2392's arms are fixed to the trunk, so each foot's free moment is 1/1.63 of
   the armless one (Collins, Adamczyk & Kuo 2009) and the rest acts on the torso as the swinging
   arms' reaction (``arm_swing_moment_bw_m``).

Steps 1–3 are described in full in :mod:`hipsim.motion.gait_fit`, steps 4–5 in
:mod:`hipsim.motion.gait_ground` (shared with the measured walk); the cited data with their
sources are in :mod:`hipsim.motion.gait_keypoints`.

Sign conventions (OpenSim gait2392): ground x forward, y up, z to the right. ground_pelvis
rotates about z (pelvis_tilt, + = posterior tilt), then x (pelvis_list, + = right side
lower), then y (pelvis_rotation, + = right side forward); hip_flexion + flexion,
hip_adduction + adduction, knee_angle negative = flexion, ankle_angle + dorsiflexion,
mtp_angle + = toes up, lumbar_bending + = trunk bends toward the right. Pelvis translations
are in the model's coordinate units (metres for OpenSim's models).

What is *not* modelled: swing-phase joint keypoints and the vertical COM excursion do not
change with speed (step length and cadence do, and the stance leg adapts); the feet point
straight ahead (no toe-out); the COM falls twice per stride at equal intervals also for
asymmetric stance; there are no arms, so the trunk cannot cancel the legs' angular momentum
about the horizontal axes (about the vertical their effect is represented, step 5).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from hipsim.errors import input_error, is_whole
from hipsim.motion.gait_fit import _Fit
from hipsim.motion.gait_ground import FootGRF, _ground_reactions, _Timing, sta_vertical
from hipsim.motion.gait_keypoints import (
    GAIT2392_COORDINATES,
    GRAVITY_M_S2,
    REFERENCE_CADENCE_STEPS_MIN,
    REFERENCE_SPEED_M_S,
    REFERENCE_STANCE_FRACTION,
    REFERENCE_STEP_WIDTH_M,
    SPEED_RANGE_M_S,
    STEP_LENGTH_SPEED_EXPONENT,
)
# Re-exported: the measured walk, the gait task and the tests import these from here.
from hipsim.motion.gait_keypoints import (
    COP_TIMING_STANCE as COP_TIMING_STANCE,
    FOREFOOT_CONTACT_STANCE as FOREFOOT_CONTACT_STANCE,
    HEEL_RISE_STANCE as HEEL_RISE_STANCE,
)
from hipsim.motion.storage import StorageTable
from hipsim.params import Param, check_params

__all__ = [
    "GAIT2392_COORDINATES",
    "FootGRF",
    "NormativeGait",
    "normative_gait",
    "cadence_for_speed",
    "sta_vertical",
    "GRAVITY_M_S2",
]

#: The walking cycle's knobs with their input limits (conventions: the domain the cycle is built
#: for). :func:`hipsim.gait` and the scenario schema use these same objects.
GAIT_KNOBS: dict[str, Param] = {
    "speed_m_s": Param("float", "walking speed", REFERENCE_SPEED_M_S, "m/s", *SPEED_RANGE_M_S),
    "step_width_m": Param("float", "step width", REFERENCE_STEP_WIDTH_M, "m", 0.0, 0.4),
    "pelvic_drop_scale": Param("float", "scale of the normal pelvic obliquity (Trendelenburg gait > 1)", 1.0, "",
                               0.0, 3.0),
    "trunk_lean_deg": Param("float", "constant trunk lean to the right (negative: left)", 0.0, "deg", -30.0, 30.0),
    "stance_asymmetry": Param("float", "stance-time difference right minus left, fraction of the cycle (antalgic "
                              "gait: negative shortens the right stance)", 0.0, "", -0.18, 0.18),
}


@dataclass(frozen=True)
class NormativeGait:
    """One normative walking cycle (SI units: radians, metres, seconds).

    ``coordinates``/``velocities``/``accelerations`` map every gait2392 coordinate name to
    an array over ``percent``; ``grf`` maps ``"r"``/``"l"`` to :class:`FootGRF`;
    ``com_m`` is the whole-body centre of mass (carried loads included) in ground.
    ``heel_strike_m`` maps each side to the ground position of its heel (calcn origin) at
    the heel strike inside the cycle. ``body_mass_kg`` is the model's mass (the unit of
    "body weights"); ``total_mass_kg`` adds the carried loads. ``arm_swing_moment_bw_m`` is the
    vertical torque (body weights × metres, + about ground y) that the unmodelled swinging arms
    exert on the torso (module docstring, step 5); apply it with the feet's loads.
    """

    percent: np.ndarray
    time: np.ndarray
    coordinates: Mapping[str, np.ndarray]
    velocities: Mapping[str, np.ndarray]
    accelerations: Mapping[str, np.ndarray]
    coordinate_names: tuple[str, ...]
    grf: Mapping[str, FootGRF]
    speed_m_s: float
    cadence_steps_min: float
    stride_time_s: float
    stride_length_m: float
    step_width_m: float
    parameters: Mapping[str, float] = field(default_factory=dict)
    com_m: np.ndarray | None = None
    heel_strike_m: Mapping[str, np.ndarray] = field(default_factory=dict)
    body_mass_kg: float = float("nan")
    total_mass_kg: float = float("nan")
    arm_swing_moment_bw_m: np.ndarray | None = None

    @property
    def grf_r(self) -> FootGRF:
        """Right-foot ground reaction force."""
        return self.grf["r"]

    @property
    def grf_l(self) -> FootGRF:
        """Left-foot ground reaction force."""
        return self.grf["l"]

    def coordinate_matrix(self) -> np.ndarray:
        """Coordinates as an (n_frames, 23) array in ``coordinate_names`` order."""
        return np.column_stack([self.coordinates[n] for n in self.coordinate_names])

    def to_storage(self, in_degrees: bool = True) -> StorageTable:
        """The coordinates as a Storage table (rotations in degrees by default, like an
        OpenSim IK ``.mot``); write it with :func:`hipsim.motion.storage.write_storage`."""
        data = self.coordinate_matrix().copy()
        if in_degrees:
            for j, name in enumerate(self.coordinate_names):
                if not name.endswith(("_tx", "_ty", "_tz")):
                    data[:, j] = np.degrees(data[:, j])
        return StorageTable(time=self.time, column_names=self.coordinate_names, data=data,
                            in_degrees=in_degrees, name="hipsim_normative_gait",
                            description=("Normative level walking generated by hipsim",))


def cadence_for_speed(speed_m_s: float) -> float:
    """Cadence (steps/min) for a walking speed by the step-length power law (Grieve 1968; the
    constants and their sources in :mod:`hipsim.motion.gait_keypoints`)."""
    GAIT_KNOBS["speed_m_s"].check("speed_m_s", speed_m_s)
    return REFERENCE_CADENCE_STEPS_MIN * (speed_m_s / REFERENCE_SPEED_M_S) ** (
        1.0 - STEP_LENGTH_SPEED_EXPONENT)


def normative_gait(speed_m_s: float = REFERENCE_SPEED_M_S,
                   step_width_m: float = REFERENCE_STEP_WIDTH_M,
                   pelvic_drop_scale: float = 1.0,
                   trunk_lean_deg: float = 0.0,
                   stance_asymmetry: float = 0.0,
                   n_frames: int = 101,
                   model=None,
                   point_masses: Sequence = ()) -> NormativeGait:
    """Build one consistent normative level-walking cycle for ``model`` (see the module docstring).

    Args:
        speed_m_s: walking speed, 0.5–2.0 m/s. Step length grows as speed^0.42 (Grieve 1968)
            and, by dynamic similarity, as leg length^0.79; anchored at 110 steps/min at
            1.3 m/s for the shipped gait2392.
        step_width_m: lateral distance between the heels, 0–0.4 m (normative 0.10 m).
        pelvic_drop_scale: multiplies the pelvic-obliquity amplitude (0 = level pelvis,
            1 = normative ±4.5°, 2–3 = Trendelenburg-like); the stance hip adduction follows
            from the planted foot.
        trunk_lean_deg: constant trunk bending, −30–30°, positive toward the right.
        stance_asymmetry: right minus left stance fraction, −0.18–0.18 (antalgic gait:
            the painful side has the shorter stance); the mean stays 60 %.
        n_frames: number of samples over 0–100 % (both ends included), 3–100000.
        model: a gait2392-family :class:`hipsim.Model` (default: the shipped gait2392).
        point_masses: carried loads (:class:`hipsim.PointMass`): part of the dynamics (the ground
            reactions carry their weight and inertia), not of the kinematic fit, which is the
            unloaded normative motion.

    Ground reactions are in body weights of ``model`` (carried loads excluded). Results are
    cached on the model's content (:attr:`hipsim.Model.skeleton_digest`) and arguments; each call
    returns its own copy.
    """
    model, key = cycle_inputs(model, point_masses, speed_m_s, step_width_m, pelvic_drop_scale, trunk_lean_deg,
                              stance_asymmetry, n_frames)
    hit = _CACHE.get(key)
    if hit is not None:
        return copy.deepcopy(hit[1])
    result = _build(model, point_masses, float(speed_m_s), float(step_width_m), float(pelvic_drop_scale),
                    float(trunk_lean_deg), float(stance_asymmetry), int(n_frames))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (model, result)
    return copy.deepcopy(result)


_CACHE: dict = {}
_CACHE_SIZE = 16
_FIT_CACHE: dict = {}  # the solved fits, by model shape and the knobs (see _build)


def cycle_inputs(model, point_masses: Sequence, speed_m_s: float, step_width_m: float, pelvic_drop_scale: float,
                 trunk_lean_deg: float, stance_asymmetry: float, n_frames: int) -> tuple[Any, tuple]:
    """Validate a built-in walking cycle's inputs (the knobs by :data:`GAIT_KNOBS`) before any work;
    return the model (the shipped default for None) and the cycle's cache key. The key holds the
    model's content (:attr:`hipsim.Model.skeleton_digest`), not the object: a weakened or reloaded
    copy of the same skeleton reuses the cycle."""
    check_params(GAIT_KNOBS, dict(speed_m_s=speed_m_s, step_width_m=step_width_m,
                                  pelvic_drop_scale=pelvic_drop_scale, trunk_lean_deg=trunk_lean_deg,
                                  stance_asymmetry=stance_asymmetry))
    if not is_whole(n_frames) or not 3 <= n_frames <= 100_000:
        raise input_error("argument", "n_frames", n_frames, "a whole number from 3 to 100000")
    from hipsim.dynamics.inverse import PointMass
    from hipsim.model import Model, load_model
    if model is None:
        model = load_model("default")
    if not isinstance(model, Model):
        raise input_error("argument", "model", type(model).__name__, "a hipsim Model (hipsim.load_model)")
    if isinstance(point_masses, (PointMass, str)) or not isinstance(point_masses, Sequence):
        raise input_error("argument", "point_masses", point_masses, "a sequence of hipsim.PointMass")
    for pm in point_masses:
        if not isinstance(pm, PointMass):
            raise input_error("argument", "point_masses", type(pm).__name__, "hipsim.PointMass items")
    key = (model.skeleton_digest, float(speed_m_s), float(step_width_m), float(pelvic_drop_scale),
           float(trunk_lean_deg), float(stance_asymmetry), int(n_frames),
           tuple((pm.body, tuple(float(v) for v in pm.location), float(pm.mass_kg)) for pm in point_masses))
    return model, key


def _build(model, point_masses, speed_m_s: float, step_width_m: float, pelvic_drop_scale: float,
           trunk_lean_deg: float, stance_asymmetry: float, n_frames: int) -> NormativeGait:
    from hipsim.model import load_model
    # Dynamic similarity (Alexander & Jayes 1983; Kuo 2001): step length over leg length is a
    # function of the Froude number v^2/(g L), so Grieve's step ∝ speed^0.42 becomes
    # step ∝ speed^0.42 L^0.79; anchored at the shipped gait2392 (110 steps/min at 1.3 m/s).
    leg_ratio = _leg_length(model) / _leg_length(load_model("gait2392"))
    cadence = cadence_for_speed(float(speed_m_s)) / leg_ratio ** (1.0 - STEP_LENGTH_SPEED_EXPONENT / 2.0)
    stride_time = 120.0 / cadence  # two steps per stride
    stride_length = speed_m_s * stride_time
    timing = _Timing(stance={"r": REFERENCE_STANCE_FRACTION + stance_asymmetry / 2.0,
                             "l": REFERENCE_STANCE_FRACTION - stance_asymmetry / 2.0},
                     strike={"r": 0.0, "l": 50.0}, stride_time=stride_time, stride_length=stride_length)
    # The kinematics are fitted without the carried loads: a bag does not change the cited
    # normative motion, and refitting with it moved joint angles by up to 23 degrees and left
    # knee reserves of 74 N m (a 6 kg hand bag). The loads enter the ground reactions below,
    # through the whole-body dynamics, so their weight and inertia reach the feet and joints.
    fit = _Fit(model, (), timing, float(speed_m_s), float(step_width_m),
               float(pelvic_drop_scale), math.radians(trunk_lean_deg))
    # The fitted kinematics do not depend on body mass (hipsim.motion.gait_fit weighs its one
    # mass-proportional row per unit of mass), so people who differ only in mass share one fit.
    fit_key = (model.shape_digest, float(speed_m_s), float(step_width_m), float(pelvic_drop_scale),
               float(trunk_lean_deg), float(stance_asymmetry))
    solved = _FIT_CACHE.get(fit_key)
    if solved is None:
        fit.solve()
        solved = (fit.coef.copy(), fit.tilt, fit.com_mean, fit.cost, fit.residuals.copy())
        if len(_FIT_CACHE) >= _CACHE_SIZE:
            _FIT_CACHE.pop(next(iter(_FIT_CACHE)))
        _FIT_CACHE[fit_key] = solved
    coef, tilt, com_mean, cost, residuals = solved
    fit.coef, fit.tilt, fit.com_mean, fit.cost, fit.residuals = coef.copy(), tilt, com_mean, cost, residuals.copy()
    fit.pm = list(point_masses)
    fit.total_mass = fit.mass + sum(pm.mass_kg for pm in fit.pm)
    p = np.linspace(0.0, 100.0, int(n_frames))
    q, qd, qdd = fit.evaluate(p)
    at_strikes = fit.evaluate(np.array([timing.strike["r"], timing.strike["l"]]))
    grf, com, arms = _ground_reactions(fit, p, q, qd, qdd, at_strikes)
    dp_dt = 100.0 / stride_time
    heel_strike = {s: fit.heel_anchor[s][int(np.argmin(np.abs(fit.p - timing.strike[s])))].copy()
                   for s in ("r", "l")}
    # Every coordinate of the model: a full-body model's arms and locked joints keep their values.
    out_names = tuple(model.coordinate_names)
    ci = fit.ci
    return NormativeGait(
        percent=p, time=p / dp_dt,
        coordinates={n: q[:, ci[n]] for n in out_names},
        velocities={n: qd[:, ci[n]] for n in out_names},
        accelerations={n: qdd[:, ci[n]] for n in out_names},
        coordinate_names=out_names, grf=grf,
        speed_m_s=float(speed_m_s), cadence_steps_min=cadence, stride_time_s=stride_time,
        stride_length_m=stride_length, step_width_m=float(step_width_m),
        parameters=dict(speed_m_s=float(speed_m_s), step_width_m=float(step_width_m),
                        pelvic_drop_scale=float(pelvic_drop_scale),
                        trunk_lean_deg=float(trunk_lean_deg),
                        stance_asymmetry=float(stance_asymmetry), n_frames=int(n_frames),
                        pelvis_tilt_offset_rad=float(fit.tilt)),
        com_m=com, heel_strike_m=heel_strike, body_mass_kg=fit.mass, total_mass_kg=fit.total_mass,
        arm_swing_moment_bw_m=arms,
    )


def _leg_length(model) -> float:
    """Height of the right hip joint centre above the calcn origin in the default pose (m)."""
    q0 = model.pose(None)
    _, o, _, _ = model.body_poses(q0)
    names = model.body_names
    if "femur_r" not in names or "calcn_r" not in names:
        raise input_error("argument", "model", "femur_r/calcn_r",
                          "the normative cycle needs a gait2392-family model")
    return float(o[0, names.index("femur_r"), 1] - o[0, names.index("calcn_r"), 1])

