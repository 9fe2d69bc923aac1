"""A built-in normative level-walking cycle for OpenSim gait2392-family models.

The cycle (0–100 %, right heel strike at 0 %) is kinematically and dynamically
consistent with the model it is built for:

1. **Centre of mass (COM) path.** Vertically, a smooth rise and fall twice per stride
   with the cited excursion, lowest in double support and highest in single support.
   Forward and sideways, the COM moves as a strut (inverted pendulum) over the centre of
   pressure (CoP) of the supporting feet: the leg force points from the CoP to the COM
   (Geyer, Seyfarth & Blickhan 2006; whole-body angular momentum stays small in walking,
   Herr & Popovic 2008). The feet are placed one step (speed / cadence) apart and one step
   width apart, and the CoP rolls from heel to toe with the cited timing. The periodic
   solution of that linear equation is the COM path, so braking, propulsion and sway agree
   with the foot placement.
2. **Pelvis orientation** follows cited obliquity and rotation; the trunk is held upright
   (plus the requested lean) and facing forward.
3. **Stance legs are solved, not prescribed.** Each stance foot is planted: it rotates
   about its heel (heel rocker), lies flat, then rotates about the metatarsal heads (forefoot
   rocker), with the cited timing. The six leg coordinates of each stance leg (hip three,
   knee, ankle, subtalar) are solved by inverse kinematics so the foot follows that pose
   exactly while the pelvis follows the COM path. Both feet in double support are thus on
   the floor at the same time. The swing legs follow cited keypoint curves; the hand-over
   between the swing curves and the planted foot happens within Perry's initial and
   terminal swing (the foot pose is blended, then solved).
4. **Two constants close the loop against the cited joint angles:** the pelvic tilt offset
   (gait2392's pelvis frame is not the clinical one) and the mean COM height are chosen so
   the solved stance-leg hip flexion and knee flexion match the cited keypoint curves in the
   least-squares sense. Everything else (hip flexion at heel strike and in terminal stance,
   hip adduction, knee flexion in loading response) is a *result* of the constraints and is
   checked against the cited norms in the tests.
5. **Ground reaction forces from Newton–Euler.** Inverse dynamics of the whole model without
   ground contact gives the six pelvis generalised forces that the ground must supply; the
   total ground wrench is solved from them, so the pelvis residuals vanish. In single support
   the stance foot carries it all. In double support the trailing foot's force and moment
   decay by the smooth transition functions of Ren, Jones & Howard (2008) and the leading
   foot carries the rest. Each foot's CoP follows from its moment (on the floor, y = 0) with
   a free moment about the vertical only.

Sign conventions (OpenSim gait2392): ground x forward, y up, z to the right. ground_pelvis
rotates about z (pelvis_tilt, + = posterior tilt), then x (pelvis_list, + = right side
lower), then y (pelvis_rotation, + = right side forward); hip_flexion + flexion,
hip_adduction + adduction, knee_angle negative = flexion, ankle_angle + dorsiflexion,
mtp_angle + = toes up, lumbar_bending + = trunk bends toward the right.

What is *not* modelled: joint-angle keypoints of the swing leg do not change with speed
(the stance leg adapts by inverse kinematics); the vertical COM excursion does not change
with speed; the feet point straight ahead (no toe-out); the COM falls twice per stride at
equal intervals also for asymmetric stance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from scipy.interpolate import CubicHermiteSpline, CubicSpline, PchipInterpolator
from scipy.spatial.transform import Rotation

from hipsim.errors import input_error
from hipsim.motion.storage import StorageTable

__all__ = [
    "GAIT2392_COORDINATES",
    "FootGRF",
    "NormativeGait",
    "normative_gait",
    "cadence_for_speed",
    "sta_vertical",
    "sta_anterior",
    "GRAVITY_M_S2",
]

GRAVITY_M_S2 = 9.80665  # standard gravity (CGPM 1901)

#: Coordinate names of OpenSim's gait2392 model, in its multibody order.
GAIT2392_COORDINATES: tuple[str, ...] = (
    "pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_tx", "pelvis_ty", "pelvis_tz",
    "hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r",
    "subtalar_angle_r", "mtp_angle_r",
    "hip_flexion_l", "hip_adduction_l", "hip_rotation_l", "knee_angle_l", "ankle_angle_l",
    "subtalar_angle_l", "mtp_angle_l",
    "lumbar_extension", "lumbar_bending", "lumbar_rotation",
)

# --------------------------------------------------------------------------- cited data
# Gait-cycle phases (Perry & Burnfield 2010, "Gait Analysis: Normal and Pathological
# Function", 2nd ed., ch. 2; Perry 1992 "Normal Gait", Atlas of Limb Prosthetics ch. 13):
# loading response 0–10 %, mid stance 10–30 %, terminal stance 30–50 %, pre-swing
# 50–60 %, initial swing 60–73 %, mid swing 73–87 %, terminal swing 87–100 %; stance
# about 60 % and swing 40 %, double support the first and last 10 %.
REFERENCE_STANCE_FRACTION = 0.60  # Perry 1992 / Perry & Burnfield 2010: stance ~60 %
# Initial swing (60–73 %) and terminal swing (87–100 %) are each 13/40 of swing (Perry):
# the swing curves hand over to the planted foot within these windows.
SWING_HANDOVER_FRACTION = 13.0 / 40.0

# Sagittal keypoints (percent of cycle, degrees), values at the END of each Perry phase.
# Hip flexion relative to the pelvis:
#   0 %: +30  DOMAIN.md normative figure "hip flexion about +30° at heel strike"
#             (podiapaedia.org "Angular kinematics of gait": 20–30° at heel contact)
#  10 %: +25  Perry (phase values as taught by Beckers & Deckers, "Ganganalyse":
#             loading response hip 25°)
#  30 %:   0  Beckers & Deckers / Perry: mid stance hip 0°
#  50 %: -10  podiapaedia.org: "extends to 10 degrees of extension at 50% of the
#             cycle"; inside DOMAIN.md's −10° to −15° near 50 %
#  60 %:   0  podiapaedia.org: "reaching neutral position at about toe off"
#  73 %: +15  Beckers & Deckers / Perry: initial swing hip 15° flexion
#  87 %: +30  podiapaedia.org: maximum flexion about 85 % of the cycle; Perry: peak
#             flexion reached in mid swing and held through terminal swing (value
#             taken equal to the heel-strike value above, no new number)
HIP_FLEXION_KEYPOINTS_DEG = ((0, 30.0), (10, 25.0), (30, 0.0), (50, -10.0), (60, 0.0),
                             (73, 15.0), (87, 30.0))
# Knee flexion (positive = flexed; the OpenSim knee_angle is its negative):
#   0 %:  5  Perry / Beckers & Deckers: initial contact knee 0–5° (upper value; Perry 5°)
#  10 %: 15  Beckers & Deckers: loading response knee 15° (podiapaedia 15–20°)
#  30 %:  0  Beckers & Deckers: mid stance knee 0°
#  50 %:  5  Beckers & Deckers: terminal stance knee 0–5° (upper value: flexion starts)
#  60 %: 40  Beckers & Deckers: pre-swing knee 40° (podiapaedia "about 40 degrees at
#            toe off")
#  73 %: 60  Beckers & Deckers / Perry: initial swing knee 60°
#  87 %: 25  Perry & Burnfield 2010: mid swing knee 25° (a teaching card quotes 30°:
#            brainscape.com "Gait Cycle (sagittal plane, knee)")
KNEE_FLEXION_KEYPOINTS_DEG = ((0, 5.0), (10, 15.0), (30, 0.0), (50, 5.0), (60, 40.0),
                              (73, 60.0), (87, 25.0))
# Ankle (+ dorsiflexion):
#   0 %:   0  Beckers & Deckers: initial contact ankle 0°
#  10 %: -10  Beckers & Deckers: loading response 10° plantarflexion
#  30 %:  +5  Beckers & Deckers: mid stance 5° dorsiflexion
#  50 %: +10  Beckers & Deckers: terminal stance 10° dorsiflexion
#  60 %: -15  Beckers & Deckers: pre-swing 15° plantarflexion
#  87 %:   0  Perry & Burnfield 2010: ankle neutral from mid swing (podiapaedia.org:
#             the ankle "rapidly dorsiflexes" after toe-off)
# In stance the ankle is solved (planted foot); these keypoints set the swing ankle and,
# through forward kinematics, the foot's pitch at heel strike, opposite heel strike and
# toe-off.
ANKLE_KEYPOINTS_DEG = ((0, 0.0), (10, -10.0), (30, 5.0), (50, 10.0), (60, -15.0), (87, 0.0))

# Frontal and transverse plane (one harmonic each, peak timing and size cited):
# Pelvic obliquity ±4.5°: midpoint of DOMAIN.md's normative "±4–5°"; the drop is
# contralateral and happens in loading response (brainscape.com "Gait Kinematics":
# "contralateral pelvic drop occurs during loading response"), so the right side is
# highest (pelvis_list most negative) at the end of right loading response, 10 %.
PELVIC_OBLIQUITY_AMPLITUDE_DEG = 4.5
PELVIC_DROP_PEAK_PERCENT = 10.0
# Swing-leg hip adduction: peak +7.5° (midpoint of DOMAIN.md "hip adduction peak about
# 5–10° in loading response") at 10 %, least −5° (brainscape.com "Gait Kinematics": "~5°
# of hip abduction, occurs in response to contralateral pelvic hike") half a cycle later.
# Only the swing leg uses this curve; the stance hip adduction is solved.
HIP_ADDUCTION_PEAK_DEG = 7.5
HIP_ABDUCTION_PEAK_DEG = -5.0
# Pelvic rotation ±5° (Perry & Burnfield 2010: about 5° forward rotation on the side of
# the reference limb at initial contact, 10° total arc), largest at heel strike.
PELVIC_ROTATION_AMPLITUDE_DEG = 5.0
# Vertical COM excursion: the trunk rises and falls twice per cycle through about 46 mm
# (Perry 1992, as cited by Whittle 1997, Hum Mov Sci 16:347–355), lowest in double support
# and highest in single support. Orendurff et al. (2004, J Rehabil Res Dev 41:829) report a
# vertical COM excursion of about 4–5 cm at 1.2–1.4 m/s (checked in the tests).
VERTICAL_EXCURSION_M = 0.046

# Centre of pressure along the foot, against fraction of stance (timing only; the
# positions come from the model's foot). Chiu, Wu & Chang 2013 (Gait Posture 37:43–48,
# "Gait speed and gender effects on center of pressure progression during normal
# walking"): initial contact 7.0 %, forefoot contact 4.8 %, foot flat 48.8 %, forefoot
# push-off 39.4 % of stance. So the forefoot touches down at 11.8 % and the heel rises
# (the CoP reaches the forefoot) at 60.6 % of stance.
FOREFOOT_CONTACT_STANCE = 0.070 + 0.048
HEEL_OFF_STANCE = 0.070 + 0.048 + 0.488
# CoP path used only to place the COM path (heel = calcn origin; metatarsal heads = mtp
# joint; toe pad = toes mass centre, all read from the model): heel until 7 % of stance,
# metatarsal heads at heel-off, toe pad at toe-off.
COP_TIMING_STANCE = (0.0, 0.070, HEEL_OFF_STANCE, 1.0)

# Smooth transition assumption (Ren, Jones & Howard 2008, J Biomech 41:2750–2759): over a
# double support of duration T_ds starting at the leading foot's heel strike, the trailing
# foot's ground reaction components decay from their values at that heel strike. With
# u = 2 t / T_ds: vertical and medio-lateral force and the moments by exp(-u^3); the
# antero-posterior force by k1 exp(-(u - 2/3)^2) - k2 u with k1 = exp(4/9) and
# k2 = k1 exp(-16/9) / 2 (both functions are 1 at heel strike, the second vanishes exactly
# at toe-off). Functional forms as implemented in OpenSimRT's GRFMPrediction (Stanev et al.,
# mitkof6/OpenSimRT), which follows Ren et al. and Karatsidis et al. (2017, Sensors 17:75).
STA_K1 = math.exp(4.0 / 9.0)
STA_K2 = STA_K1 * math.exp(-16.0 / 9.0) / 2.0

# Speed–cadence relation: preferred step length grows as speed^0.42 (Grieve 1968, as
# reported by Kuo 2001, J Biomech Eng 123:264–269), so cadence grows as speed^0.58.
# Anchor: 110 steps/min at 1.3 m/s, the midpoints of DOMAIN.md's normative "self-
# selected speed about 1.3 m/s" with "cadence about 105–115 steps/min".
STEP_LENGTH_SPEED_EXPONENT = 0.42
REFERENCE_SPEED_M_S = 1.3
REFERENCE_CADENCE_STEPS_MIN = 110.0
# Walking only: the walk-to-run transition is near 2.1 m/s ("Cadence (steps/min) as an
# indicator of the walk-to-run transition", Hum Mov Sci 2023;90:103117); the lower bound
# keeps the power law near the range it was fitted on.
SPEED_RANGE_M_S = (0.5, 2.0)
# Normative step width 10 cm (brainscape.com "Gait" card: "walking step width norm
# 10 cm"): the lateral distance between the two heels.
REFERENCE_STEP_WIDTH_M = 0.10

# Numerical settings (not physiology): the cycle is built on a uniform grid of this many
# samples, then interpolated with periodic cubic splines.
GRID_SAMPLES = 400
_IK_TOLERANCE = 1e-10  # metres / radians
_MAX_IK_ITERATIONS = 30


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class FootGRF:
    """Ground reaction on one foot over the cycle.

    ``force_bw``: shape (n, 3), ground axes (x forward, y up, z right), in body weights
    (of the model, carried loads excluded); exactly zero where ``stance`` is False.
    ``cop_ground_m``: centre of pressure on the floor (y = 0) in ground (m);
    ``cop_calcn_m``: the same point in that foot's calcn frame (x heel→toe); both zero in
    swing (the OpenSim GRF-file habit). ``free_moment_bw_m``: free moment about the
    vertical through the CoP, in body weights × metres.
    """

    side: str
    force_bw: np.ndarray
    cop_calcn_m: np.ndarray
    stance: np.ndarray
    stance_fraction: float
    cop_ground_m: np.ndarray
    free_moment_bw_m: np.ndarray

    def force_n(self, body_mass_kg: float) -> np.ndarray:
        """Force in newtons for a body of ``body_mass_kg``."""
        if not (body_mass_kg > 0 and math.isfinite(body_mass_kg)):
            raise input_error("argument", "body_mass_kg", body_mass_kg, "a positive mass in kg")
        return self.force_bw * body_mass_kg * GRAVITY_M_S2

    def torque_n_m(self, body_mass_kg: float) -> np.ndarray:
        """Free moment as a ground torque (n, 3) in N m (only the vertical component is non-zero)."""
        if not (body_mass_kg > 0 and math.isfinite(body_mass_kg)):
            raise input_error("argument", "body_mass_kg", body_mass_kg, "a positive mass in kg")
        out = np.zeros((self.free_moment_bw_m.shape[0], 3))
        out[:, 1] = self.free_moment_bw_m * body_mass_kg * GRAVITY_M_S2
        return out

    @property
    def force_n_per_kg(self) -> np.ndarray:
        """Force per kilogram of body mass (N/kg)."""
        return self.force_bw * GRAVITY_M_S2


@dataclass(frozen=True)
class NormativeGait:
    """One normative walking cycle (SI units: radians, metres, seconds).

    ``coordinates``/``velocities``/``accelerations`` map every gait2392 coordinate name to
    an array over ``percent``; ``grf`` maps ``"r"``/``"l"`` to :class:`FootGRF`;
    ``com_m`` is the whole-body centre of mass (carried loads included) in ground.
    ``heel_strike_m`` maps each side to the ground position of its heel (calcn origin) at
    the heel strike inside the cycle. ``body_mass_kg`` is the model's mass (the unit of
    "body weights"); ``total_mass_kg`` adds the carried loads.
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


# --------------------------------------------------------------------------- helpers

def cadence_for_speed(speed_m_s: float) -> float:
    """Cadence (steps/min) for a walking speed by the step-length power law above."""
    _check_range("speed_m_s", speed_m_s, *SPEED_RANGE_M_S, "m/s")
    return REFERENCE_CADENCE_STEPS_MIN * (speed_m_s / REFERENCE_SPEED_M_S) ** (
        1.0 - STEP_LENGTH_SPEED_EXPONENT)


def sta_vertical(u: np.ndarray) -> np.ndarray:
    """Ren et al. (2008) trailing-foot fraction for vertical/medio-lateral force and moments.

    ``u`` = 2 × (time since the leading heel strike) / (double-support duration), 0..2.
    """
    return np.exp(-np.asarray(u, dtype=float) ** 3)


def sta_anterior(u: np.ndarray) -> np.ndarray:
    """Ren et al. (2008) trailing-foot fraction for the antero-posterior force (1 at u = 0, 0 at u = 2)."""
    u = np.asarray(u, dtype=float)
    return STA_K1 * np.exp(-(u - 2.0 / 3.0) ** 2) - STA_K2 * u


def _check_range(name: str, value: float, lo: float, hi: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise input_error("argument", name, value, f"a number from {lo:g} to {hi:g} {unit}".rstrip())
    if not (math.isfinite(value) and lo <= value <= hi):
        raise input_error("argument", name, value, f"a number from {lo:g} to {hi:g} {unit}".rstrip())


def _warp(percent: float, stance: float) -> float:
    """Map a keypoint's percent from the reference 60 % stance onto ``stance``."""
    ref = REFERENCE_STANCE_FRACTION * 100.0
    if percent <= ref:
        return percent * stance * 100.0 / ref
    return stance * 100.0 + (percent - ref) * (1.0 - stance) * 100.0 / (100.0 - ref)


# Harmonics kept when smoothing the keypoint interpolant: enough to follow the knee's
# swing peak closely, few enough that the curve and its derivatives stay smooth.
N_HARMONICS = 10


@dataclass(frozen=True)
class _PeriodicCurve:
    """A truncated Fourier series in percent of cycle (period 100)."""

    mean: float
    cos: np.ndarray
    sin: np.ndarray

    def __call__(self, p: np.ndarray, shift: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = np.arange(1, self.cos.size + 1)
        w = 2.0 * math.pi * k / 100.0
        ph = np.outer(np.asarray(p, dtype=float) - shift, w)
        c, s = np.cos(ph), np.sin(ph)
        val = self.mean + c @ self.cos + s @ self.sin
        d1 = (-s * w) @ self.cos + (c * w) @ self.sin
        d2 = (-c * w * w) @ self.cos + (-s * w * w) @ self.sin
        return val, d1, d2


def _periodic_curve(keypoints: tuple[tuple[float, float], ...], stance: float) -> _PeriodicCurve:
    """Shape-preserving periodic interpolation of keypoints (degrees in, radians out).

    A periodic PCHIP through the (stance-warped) keypoints does not overshoot between
    them, unlike a periodic cubic spline (which put the knee 7° into hyperextension in
    terminal stance); its first ``N_HARMONICS`` Fourier terms then make it infinitely
    smooth. The result passes close to each keypoint (deviation checked in the tests).
    """
    x = np.array([_warp(pk, stance) for pk, _ in keypoints])
    y = np.radians(np.array([v for _, v in keypoints]))
    xx = np.concatenate([x - 100.0, x, x + 100.0])
    yy = np.concatenate([y, y, y])
    m = 1000
    grid = np.arange(m) * 100.0 / m
    samples = PchipInterpolator(xx, yy)(grid)
    coef = np.fft.rfft(samples) / m
    return _PeriodicCurve(mean=float(coef[0].real), cos=2.0 * coef[1:N_HARMONICS + 1].real,
                          sin=-2.0 * coef[1:N_HARMONICS + 1].imag)


def _harmonic(p: np.ndarray, mean: float, amp: float, peak: float, order: int = 1) -> np.ndarray:
    """mean + amp*cos(order*2π(p-peak)/100)."""
    return mean + amp * np.cos(order * 2.0 * math.pi / 100.0 * (np.asarray(p, dtype=float) - peak))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Quintic 0→1 step with zero first and second derivatives at both ends (C2 blends)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 - 15.0 * x + 6.0 * x * x)


def _rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) about a ground axis (0 = x, 1 = y, 2 = z)."""
    a = np.asarray(angle, dtype=float)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def _zxy_angles(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angles (a, b, c) with r = Rz(a) Rx(b) Ry(c): the gait2392 pelvis/lumbar order."""
    b = np.arcsin(np.clip(r[..., 2, 1], -1.0, 1.0))
    a = np.arctan2(-r[..., 0, 1], r[..., 1, 1])
    c = np.arctan2(-r[..., 2, 0], r[..., 2, 2])
    return a, b, c


# --------------------------------------------------------------------------- the builder

@dataclass
class _Timing:
    """Stride timing in percent of the cycle."""

    stance: dict[str, float]
    strike: dict[str, float]
    stride_time: float
    stride_length: float

    def toe_off(self, side: str) -> float:
        return self.strike[side] + 100.0 * self.stance[side]

    def stance_phase(self, side: str, p: np.ndarray) -> np.ndarray:
        """Fraction of the current stance (0..1 in stance, > 1 in swing)."""
        return np.mod(np.asarray(p, dtype=float) - self.strike[side], 100.0) / (100.0 * self.stance[side])

    def double_support(self, leading: str) -> float:
        """Duration (percent) of the double support that starts at ``leading``'s heel strike."""
        other = "l" if leading == "r" else "r"
        return np.mod(self.toe_off(other) - self.strike[leading], 100.0)


class _Builder:
    """Builds the consistent cycle for one model (see the module docstring)."""

    def __init__(self, model, point_masses, timing: _Timing, speed: float, step_width: float,
                 drop_scale: float, lean: float) -> None:
        self.m = model
        self.pm = list(point_masses)
        self.t = timing
        self.speed = speed
        self.width = step_width
        self.drop = drop_scale
        self.lean = lean
        self.names = model.coordinate_names
        self.ci = {n: i for i, n in enumerate(self.names)}
        self.bi = {b: i for i, b in enumerate(model.body_names)}
        missing = [n for n in GAIT2392_COORDINATES if n not in self.ci]
        missing += [b for b in ("pelvis", "torso", "calcn_r", "calcn_l", "toes_r", "toes_l")
                    if b not in self.bi]
        if missing:
            raise input_error("argument", "model", missing[0],
                              "the normative cycle needs a gait2392-family model (its coordinates and "
                              "pelvis, torso, calcn and toes bodies)")
        self.p = np.arange(GRID_SAMPLES) * 100.0 / GRID_SAMPLES
        self.mass = float(model.mass)
        self.total_mass = self.mass + sum(p.mass_kg for p in self.pm)
        rng = {co.name: co.range for j in model.spec.joints for co in j.coordinates}
        self.ranges = np.array([rng[n] for n in self.names], dtype=float)
        self.ik_error = 0.0
        self._last: dict[str, np.ndarray] = {}
        self._foot_geometry()
        self._reference_angles()

    # ------------------------------------------------------------------ geometry
    def _foot_geometry(self) -> None:
        """Foot contact points in the calcn frame and the flat-foot orientation.

        Heel contact: calcn origin. Forefoot pivot: the mtp joint centre. Toe pad: the toes
        mass centre. "Flat" is the calcn orientation of the model's default (standing) pose.
        """
        m = self.m
        q0 = m.pose(None)
        R, o, _, _ = m.body_poses(q0)
        self.flat = {}
        self.mtp_local = {}
        self.toe_local = {}
        for s in ("r", "l"):
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            self.flat[s] = R[0, c].copy()
            self.mtp_local[s] = R[0, c].T @ (o[0, t] - o[0, c])
            com_t = m.compiled.body_com[t]
            self.toe_local[s] = R[0, c].T @ (o[0, t] + R[0, t] @ com_t - o[0, c])
        # Foot length along the ground x axis when flat (heel to metatarsal heads, toe pad).
        self.foot_mtp_x = {s: float((self.flat[s] @ self.mtp_local[s])[0]) for s in ("r", "l")}
        self.foot_toe_x = {s: float((self.flat[s] @ self.toe_local[s])[0]) for s in ("r", "l")}

    # ------------------------------------------------------------------ reference angles
    def _reference_angles(self) -> None:
        """Cited keypoint curves on the grid: swing legs, pelvis orientation (radians)."""
        p, t = self.p, self.t
        self.list_ = _harmonic(p, 0.0, -math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG) * self.drop,
                               PELVIC_DROP_PEAK_PERCENT)
        self.rot = _harmonic(p, 0.0, math.radians(PELVIC_ROTATION_AMPLITUDE_DEG), 0.0)
        add_mean = math.radians((HIP_ADDUCTION_PEAK_DEG + HIP_ABDUCTION_PEAK_DEG) / 2.0)
        add_amp = math.radians((HIP_ADDUCTION_PEAK_DEG - HIP_ABDUCTION_PEAK_DEG) / 2.0)
        self.ref: dict[str, np.ndarray] = {}
        self.ref_curves: dict[str, tuple[_PeriodicCurve, float, float]] = {}
        for s in ("r", "l"):
            sh = t.strike[s]
            for joint, kp, sign in (("hip_flexion", HIP_FLEXION_KEYPOINTS_DEG, 1.0),
                                    ("knee_angle", KNEE_FLEXION_KEYPOINTS_DEG, -1.0),
                                    ("ankle_angle", ANKLE_KEYPOINTS_DEG, 1.0)):
                curve = _periodic_curve(kp, t.stance[s])
                self.ref_curves[f"{joint}_{s}"] = (curve, sh, sign)
                self.ref[f"{joint}_{s}"] = sign * curve(p, sh)[0]
            self.ref[f"hip_adduction_{s}"] = _harmonic(p, add_mean, add_amp, PELVIC_DROP_PEAK_PERCENT + sh)
            # The femur keeps its heading while the pelvis rotates (foot points ahead).
            self.ref[f"hip_rotation_{s}"] = -self.rot if s == "r" else self.rot.copy()
            self.ref[f"subtalar_angle_{s}"] = np.zeros_like(p)
            self.ref[f"mtp_angle_{s}"] = np.zeros_like(p)

    def _leg_ref(self, side: str, p: np.ndarray) -> np.ndarray:
        """Reference (keypoint) leg angles at arbitrary percents, columns in _leg_names order."""
        out = np.zeros((np.size(p), 6))
        for k, j in enumerate(("hip_flexion", "knee_angle", "ankle_angle")):
            curve, sh, sign = self.ref_curves[f"{j}_{side}"]
            out[:, (0, 3, 4)[k]] = sign * curve(np.atleast_1d(p), sh)[0]
        add_mean = math.radians((HIP_ADDUCTION_PEAK_DEG + HIP_ABDUCTION_PEAK_DEG) / 2.0)
        add_amp = math.radians((HIP_ADDUCTION_PEAK_DEG - HIP_ABDUCTION_PEAK_DEG) / 2.0)
        out[:, 1] = _harmonic(p, add_mean, add_amp, PELVIC_DROP_PEAK_PERCENT + self.t.strike[side])
        rot = _harmonic(p, 0.0, math.radians(PELVIC_ROTATION_AMPLITUDE_DEG), 0.0)
        out[:, 2] = -rot if side == "r" else rot
        return out

    @staticmethod
    def _leg_names(side: str) -> list[str]:
        return [f"hip_flexion_{side}", f"hip_adduction_{side}", f"hip_rotation_{side}",
                f"knee_angle_{side}", f"ankle_angle_{side}", f"subtalar_angle_{side}"]

    # ------------------------------------------------------------------ pelvis and trunk
    def _pelvis_rotation(self, tilt: float) -> np.ndarray:
        return _rot(2, np.full_like(self.p, tilt)) @ _rot(0, self.list_) @ _rot(1, self.rot)

    def _base_pose(self, tilt: float) -> np.ndarray:
        """Grid poses with the pelvis orientation, the reference legs and the upright trunk."""
        q = np.tile(self.m.default_q, (self.p.size, 1))
        q[:, self.ci["pelvis_tilt"]] = tilt
        q[:, self.ci["pelvis_list"]] = self.list_
        q[:, self.ci["pelvis_rotation"]] = self.rot
        for name, v in self.ref.items():
            q[:, self.ci[name]] = v
        # Trunk upright (plus lean) in ground: lumbar = pelvis^T * Rx(lean), in Z-X-Y order.
        rl = np.swapaxes(self._pelvis_rotation(tilt), -1, -2) @ _rot(0, np.full_like(self.p, self.lean))
        a, b, c = _zxy_angles(rl)
        q[:, self.ci["lumbar_extension"]] = a
        q[:, self.ci["lumbar_bending"]] = b
        q[:, self.ci["lumbar_rotation"]] = c
        return q

    # ------------------------------------------------------------------ centre of mass
    def _com(self, q: np.ndarray) -> np.ndarray:
        cm = self.m.compiled
        R, o, _, _ = self.m.body_poses(q)
        pos = o + np.einsum("fbij,bj->fbi", R, cm.body_com)
        tot = np.einsum("b,fbi->fi", cm.body_mass, pos)
        for pm in self.pm:
            b = self.bi[pm.body]
            tot += pm.mass_kg * (o[:, b] + R[:, b] @ np.asarray(pm.location))
        return tot / self.total_mass

    def _sta_split(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Fraction of the vertical COM force carried by each foot (Ren et al. 2008)."""
        t = self.t
        frac = {s: (t.stance_phase(s, p) <= 1.0).astype(float) for s in ("r", "l")}
        for lead in ("r", "l"):
            trail = "l" if lead == "r" else "r"
            ds = t.double_support(lead)
            tau = np.mod(p - t.strike[lead], 100.0)
            inside = tau < ds
            # Trailing fraction: its share at the heel strike (all of it) times the decay; the
            # total force changes too, so the fraction uses the COM force at heel strike.
            ftr = self._fy_total_at(t.strike[lead]) * sta_vertical(2.0 * tau / ds) / self._fy_total(p)
            frac[trail] = np.where(inside, ftr, frac[trail])
            frac[lead] = np.where(inside, 1.0 - ftr, frac[lead])
        return frac

    def _com_vertical(self, mean_height: float, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """COM height and its second time derivative: lowest mid double support, twice per stride."""
        low = self.t.double_support("r") / 2.0
        w = 4.0 * math.pi / 100.0
        amp = VERTICAL_EXCURSION_M / 2.0
        y = mean_height - amp * np.cos(w * (p - low))
        k = 100.0 / self.t.stride_time
        ydd = amp * (w * k) ** 2 * np.cos(w * (p - low))
        return y, ydd

    def _fy_total(self, p: np.ndarray) -> np.ndarray:
        _, ydd = self._com_vertical(0.0, np.asarray(p, dtype=float))
        return GRAVITY_M_S2 + ydd

    def _fy_total_at(self, p: float) -> float:
        return float(self._fy_total(np.array([p]))[0])

    def _cop_path(self) -> tuple[np.ndarray, np.ndarray]:
        """Combined CoP (x relative to the right heel strike, z) assumed for the strut model."""
        t, p = self.t, self.p
        frac = self._sta_split(p)
        x = np.zeros_like(p)
        z = np.zeros_like(p)
        for s in ("r", "l"):
            sf = t.stance_phase(s, p)
            on = sf <= 1.0
            along = PchipInterpolator(COP_TIMING_STANCE, (0.0, 0.0, self.foot_mtp_x[s], self.foot_toe_x[s]))(
                np.clip(sf, 0.0, 1.0))
            heel = self.heel_x(s, p)
            x += np.where(on, frac[s] * (heel + along), 0.0)
            z += np.where(on, frac[s] * self.heel_z(s), 0.0)
        return x, z

    def heel_x(self, side: str, p: np.ndarray) -> np.ndarray:
        """Ground x of this foot's heel during the stance containing ``p`` (right heel strike at x=0)."""
        k = np.floor((np.asarray(p, dtype=float) - self.t.strike[side]) / 100.0)
        first = 0.0 if side == "r" else self.t.stride_length / 2.0
        return first + k * self.t.stride_length

    def heel_z(self, side: str) -> float:
        return self.width / 2.0 if side == "r" else -self.width / 2.0

    def _strut_path(self, mean_height: float) -> np.ndarray:
        """COM path (grid, 3): vertical law plus the periodic strut (inverted pendulum) solution."""
        p = self.p
        n = p.size
        y, ydd = self._com_vertical(mean_height, p)
        k = (GRAVITY_M_S2 + ydd) / y
        dt = self.t.stride_time / n
        lap = (np.roll(np.eye(n), 1, axis=1) - 2.0 * np.eye(n) + np.roll(np.eye(n), -1, axis=1)) / dt ** 2
        a = lap - np.diag(k)
        cx, cz = self._cop_path()
        time = p / 100.0 * self.t.stride_time
        drift = self.speed * time
        # x = drift + xi with xi periodic: xi'' - k xi = k (drift - cop_x).
        xi = np.linalg.solve(a, k * (drift - cx))
        z = np.linalg.solve(a, -k * cz)
        return np.column_stack([drift + xi, y, z])

    # ------------------------------------------------------------------ foot targets
    def _foot_pitch_at(self, q: np.ndarray, side: str) -> np.ndarray:
        """Pitch (rad, + toes up) of the calcn relative to its flat orientation."""
        R, _, _, _ = self.m.body_poses(q)
        rel = R[:, self.bi[f"calcn_{side}"]] @ self.flat[side].T
        return np.arctan2(rel[:, 1, 0], rel[:, 0, 0])

    def _stance_targets(self, side: str, q_ref_events: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Planted-foot calcn pose targets over the whole grid (extended beyond stance).

        Returns calcn rotation (n, 3, 3), calcn origin (n, 3), pitch (n,) and the stance
        phase; rockers after Perry 1992 with Chiu et al. (2013) timing.
        """
        t, p = self.t, self.p
        ic, oic, to = self._event_pitches[side]
        sf = t.stance_phase(side, p)
        # Continue the stance phase smoothly past toe-off and before heel strike so the
        # hand-over windows have targets: unwrap the phase around the stance.
        swing = 1.0 - t.stance[side]
        s = np.where(sf > 1.0 + swing / (2.0 * t.stance[side]), sf - 1.0 / t.stance[side], sf)
        s_opp = np.mod(t.strike["l" if side == "r" else "r"] - t.strike[side], 100.0) / (100.0 * t.stance[side])
        ff, ho = FOREFOOT_CONTACT_STANCE, HEEL_OFF_STANCE
        pitch = np.zeros_like(s)
        rock = s < ff
        pitch[rock] = ic * (1.0 - _smoothstep(s[rock] / ff))
        rise = s > ho
        herm = CubicHermiteSpline([ho, s_opp, 1.0], [0.0, oic, to],
                                  [0.0, (to - 0.0) / (1.0 - ho), (to - oic) / (1.0 - s_opp)])
        pitch[rise] = herm(s[rise])  # beyond toe-off: the spline's cubic continuation
        # Before heel strike the target holds the heel-strike pose (s < 0 gives ic).
        heel = np.column_stack([self.heel_x(side, p + np.where(s < 0, 100.0, 0.0)),
                                np.zeros_like(p), np.full_like(p, self.heel_z(side))])
        flat = self.flat[side]
        rz = _rot(2, pitch)
        rot = rz @ flat
        mtp_flat = heel + (flat @ self.mtp_local[side])
        origin_heel = heel + np.einsum("fij,j->fi", rz, np.zeros(3))  # heel is the calcn origin
        origin_mtp = mtp_flat - np.einsum("fij,fj->fi", rot, np.broadcast_to(self.mtp_local[side], heel.shape))
        origin = np.where((s > 0.5)[:, None], origin_mtp, origin_heel)
        return rot, origin, pitch, s

    # ------------------------------------------------------------------ inverse kinematics
    def _solve_leg(self, q: np.ndarray, side: str, rot_t: np.ndarray, org_t: np.ndarray) -> np.ndarray:
        """Six leg coordinates so the calcn reaches the targets: Newton on all frames, then
        continuation from converged neighbours for any frame that did not converge."""
        q, err = self._newton(q, side, rot_t, org_t)
        bad = err > 1e-8
        if bad.any() and not bad.all():
            idx = [self.ci[n] for n in self._leg_names(side)]
            n = q.shape[0]
            for _ in range(n):
                good = np.flatnonzero(~bad)
                if good.size == n:
                    break
                # frames next to a converged one, seeded from it
                nxt = np.flatnonzero(bad & (~np.roll(bad, 1) | ~np.roll(bad, -1)))
                seed = q.copy()
                for f in nxt:
                    src = (f - 1) % n if not bad[(f - 1) % n] else (f + 1) % n
                    seed[f, idx] = q[src, idx]
                sol, e = self._newton(seed[nxt], side, rot_t[nxt], org_t[nxt])
                q[nxt] = sol
                bad[nxt] = False  # accept (a still-unreachable target stays as close as it gets)
                err[nxt] = e
        self.ik_error = max(self.ik_error, float(err.max()))
        return q

    def _newton(self, q: np.ndarray, side: str, rot_t: np.ndarray, org_t: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        idx = [self.ci[n] for n in self._leg_names(side)]
        c = self.bi[f"calcn_{side}"]
        lo, hi = _IK_BOUNDS[:, 0], _IK_BOUNDS[:, 1]
        q = q.copy()
        lam = 1e-9
        err_n = np.full(q.shape[0], np.inf)
        for _ in range(_MAX_IK_ITERATIONS):
            R, o, jw, jv = self.m.body_poses(q)
            ep = org_t - o[:, c]
            er = Rotation.from_matrix(rot_t @ np.swapaxes(R[:, c], -1, -2)).as_rotvec()
            err = np.concatenate([ep, er], axis=1)
            err_n = np.abs(err).max(axis=1)
            if err_n.max() < _IK_TOLERANCE:
                break
            jac = np.swapaxes(np.concatenate([jv[:, c][:, idx, :], jw[:, c][:, idx, :]], axis=2), 1, 2)
            jt = np.swapaxes(jac, 1, 2)
            step = np.linalg.solve(jt @ jac + lam * np.eye(6),
                                   np.einsum("fij,fj->fi", jt, err)[..., None])[..., 0]
            # Keep steps small (the joint functions are splines that extrapolate badly).
            big = np.abs(step).max(axis=1)
            step *= np.minimum(1.0, 0.2 / np.maximum(big, 1e-300))[:, None]
            q[:, idx] = np.clip(q[:, idx] + step, lo, hi)
        return q, err_n

    # ------------------------------------------------------------------ assembly
    def build(self, tilt: float, mean_height: float, fixed_point: int = 3) -> np.ndarray:
        """Grid poses for a pelvis tilt offset and mean COM height."""
        t, p = self.t, self.p
        q = self._base_pose(tilt)
        # Foot pitch at the events from the cited joint angles (forward kinematics).
        self._event_pitches = {}
        for s in ("r", "l"):
            other = "l" if s == "r" else "r"
            ev = np.array([t.strike[s], t.strike[other], t.toe_off(s)]) % 100.0
            qe = np.tile(self.m.default_q, (3, 1))
            qe[:, self.ci["pelvis_tilt"]] = tilt
            qe[:, self.ci["pelvis_list"]] = _harmonic(ev, 0.0, -math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG)
                                                      * self.drop, PELVIC_DROP_PEAK_PERCENT)
            qe[:, self.ci["pelvis_rotation"]] = _harmonic(ev, 0.0, math.radians(PELVIC_ROTATION_AMPLITUDE_DEG), 0.0)
            qe[:, [self.ci[n] for n in self._leg_names(s)]] = self._leg_ref(s, ev)
            self._event_pitches[s] = tuple(float(v) for v in self._foot_pitch_at(qe, s))
        com_target = self._strut_path(mean_height)
        offset = np.zeros((p.size, 3))
        pel = self.ci["pelvis_tx"]
        for it in range(fixed_point):
            q[:, pel:pel + 3] = com_target - offset
            for s in ("r", "l"):
                q = self._place_leg(q, s)
            offset = self._com(q) - q[:, pel:pel + 3]
        q[:, pel:pel + 3] = com_target - offset
        for s in ("r", "l"):
            q = self._place_leg(q, s)
        self.com_target = com_target
        return q

    def _place_leg(self, q: np.ndarray, side: str) -> np.ndarray:
        """Solve one leg: planted in stance, cited curves in swing, blended pose between."""
        t, p = self.t, self.p
        rot_st, org_st, pitch, s = self._stance_targets(side, None)
        # Swing target: the calcn pose that the reference angles give with the current pelvis.
        q_sw = q.copy()
        idx = [self.ci[n] for n in self._leg_names(side)]
        q_sw[:, idx] = np.column_stack([self.ref[n] for n in self._leg_names(side)])
        R, o, _, _ = self.m.body_poses(q_sw)
        c = self.bi[f"calcn_{side}"]
        rot_sw, org_sw = R[:, c], o[:, c]
        # Weight of the planted target: 1 in stance, blended over initial/terminal swing.
        swing = 1.0 - t.stance[side]
        win = SWING_HANDOVER_FRACTION * swing / t.stance[side]  # window in stance-phase units
        w = np.ones_like(s)
        after = s > 1.0
        w[after] = 1.0 - _smoothstep((s[after] - 1.0) / win)
        before = s < 0.0
        w[before] = _smoothstep((s[before] + win) / win)
        rots = Rotation.from_matrix(rot_sw)
        rel = (Rotation.from_matrix(rot_st) * rots.inv()).as_rotvec()
        rot_t = (Rotation.from_rotvec(rel * w[:, None]) * rots).as_matrix()
        org_t = org_sw + w[:, None] * (org_st - org_sw)
        q_init = q_sw
        if side in self._last:  # warm start from the previous solution
            q_init = q_sw.copy()
            q_init[:, idx] = self._last[side]
        q_new = self._solve_leg(q_init, side, rot_t, org_t)
        self._last[side] = q_new[:, idx].copy()
        # Toes stay flat on the floor while the heel is up (forefoot rocker), then relax in swing.
        mtp = np.where(pitch < 0.0, -pitch, 0.0) * w
        q_new[:, self.ci[f"mtp_angle_{side}"]] = mtp
        return q_new


def _spline(p: np.ndarray, v: np.ndarray, trend: float = 0.0) -> CubicSpline:
    """Periodic cubic spline over percent; ``trend`` is removed (units per percent) first."""
    pp = np.append(p, 100.0)
    vv = v - trend * p
    return CubicSpline(pp, np.append(vv, vv[0]), bc_type="periodic")


# --------------------------------------------------------------------------- main

def normative_gait(speed_m_s: float = REFERENCE_SPEED_M_S,
                   step_width_m: float = REFERENCE_STEP_WIDTH_M,
                   pelvic_drop_scale: float = 1.0,
                   trunk_lean_deg: float = 0.0,
                   stance_asymmetry: float = 0.0,
                   n_frames: int = 101,
                   model=None,
                   point_masses: Sequence = ()) -> NormativeGait:
    """Build one consistent normative level-walking cycle for ``model``.

    Args:
        speed_m_s: walking speed, 0.5–2.0 m/s; cadence and stride length follow the
            step-length ∝ speed^0.42 law anchored at 110 steps/min at 1.3 m/s.
        step_width_m: lateral distance between the heels, 0–0.4 m (normative 0.10 m).
        pelvic_drop_scale: multiplies the pelvic-obliquity amplitude (0 = level pelvis,
            1 = normative ±4.5°, 2–3 = Trendelenburg-like); the stance hip adduction follows
            from the planted foot.
        trunk_lean_deg: constant trunk bending, −30–30°, positive toward the right.
        stance_asymmetry: right minus left stance fraction, −0.18–0.18 (antalgic gait:
            the painful side has the shorter stance); the mean stays 60 %.
        n_frames: number of samples over 0–100 % (both ends included), 3–100000.
        model: a gait2392-family :class:`hipsim.Model` (default: the shipped gait2392).
        point_masses: carried loads (:class:`hipsim.PointMass`), included in the dynamics.
    """
    _check_range("speed_m_s", speed_m_s, *SPEED_RANGE_M_S, "m/s")
    _check_range("step_width_m", step_width_m, 0.0, 0.4, "m")
    _check_range("pelvic_drop_scale", pelvic_drop_scale, 0.0, 3.0, "")
    _check_range("trunk_lean_deg", trunk_lean_deg, -30.0, 30.0, "degrees")
    _check_range("stance_asymmetry", stance_asymmetry, -0.18, 0.18, "")
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or not (
            3 <= n_frames <= 100_000):
        raise input_error("argument", "n_frames", n_frames, "a whole number from 3 to 100000")
    from hipsim.dynamics.inverse import PointMass, inverse_dynamics
    from hipsim.model import Model, load_model
    if model is None:
        model = load_model("default")
    if not isinstance(model, Model):
        raise input_error("argument", "model", type(model).__name__, "a hipsim Model (hipsim.load_model)")
    for pm in point_masses:
        if not isinstance(pm, PointMass):
            raise input_error("argument", "point_masses", type(pm).__name__, "hipsim.PointMass items")

    cadence = cadence_for_speed(float(speed_m_s))
    stride_time = 120.0 / cadence  # two steps per stride
    stride_length = speed_m_s * stride_time
    timing = _Timing(stance={"r": REFERENCE_STANCE_FRACTION + stance_asymmetry / 2.0,
                             "l": REFERENCE_STANCE_FRACTION - stance_asymmetry / 2.0},
                     strike={"r": 0.0, "l": 50.0}, stride_time=stride_time, stride_length=stride_length)
    b = _Builder(model, point_masses, timing, float(speed_m_s), float(step_width_m),
                 float(pelvic_drop_scale), math.radians(trunk_lean_deg))
    tilt, height = _close_loop(b)
    qg = b.build(tilt, height)

    # Interpolate the grid with periodic splines and evaluate at the output frames.
    p = np.linspace(0.0, 100.0, int(n_frames))
    dp_dt = 100.0 / stride_time
    names = model.coordinate_names
    q = np.zeros((p.size, len(names)))
    qd = np.zeros_like(q)
    qdd = np.zeros_like(q)
    extra = np.array([timing.strike["r"], timing.strike["l"]])
    qx = np.zeros((2, len(names)))
    qdx = np.zeros_like(qx)
    qddx = np.zeros_like(qx)
    for j, name in enumerate(names):
        trend = stride_length / 100.0 if name == "pelvis_tx" else 0.0
        spl = _spline(b.p, qg[:, j], trend)
        for arr, d, pts in ((q, 0, p), (qd, 1, p), (qdd, 2, p), (qx, 0, extra), (qdx, 1, extra), (qddx, 2, extra)):
            arr[:, j] = spl(pts, d) * dp_dt ** d
        q[:, j] += trend * p
        qd[:, j] += trend * dp_dt
        qx[:, j] += trend * extra
        qdx[:, j] += trend * dp_dt

    grf, com = _ground_reactions(b, p, q, qd, qdd, (qx, qdx, qddx), inverse_dynamics)
    heel_strike = {s: np.array([b.heel_x(s, np.array([timing.strike[s]]))[0], 0.0, b.heel_z(s)])
                   for s in ("r", "l")}
    out_names = GAIT2392_COORDINATES
    return NormativeGait(
        percent=p, time=p / dp_dt,
        coordinates={n: q[:, b.ci[n]] for n in out_names},
        velocities={n: qd[:, b.ci[n]] for n in out_names},
        accelerations={n: qdd[:, b.ci[n]] for n in out_names},
        coordinate_names=out_names, grf=grf,
        speed_m_s=float(speed_m_s), cadence_steps_min=cadence, stride_time_s=stride_time,
        stride_length_m=stride_length, step_width_m=float(step_width_m),
        parameters=dict(speed_m_s=float(speed_m_s), step_width_m=float(step_width_m),
                        pelvic_drop_scale=float(pelvic_drop_scale),
                        trunk_lean_deg=float(trunk_lean_deg),
                        stance_asymmetry=float(stance_asymmetry), n_frames=int(n_frames),
                        pelvis_tilt_offset_rad=float(tilt), mean_com_height_m=float(height),
                        ik_max_error=float(b.ik_error)),
        com_m=com, heel_strike_m=heel_strike, body_mass_kg=b.mass, total_mass_kg=b.total_mass,
    )


def _close_loop(b: _Builder) -> tuple[float, float]:
    """Pelvic tilt offset and mean COM height whose solved stance hip and knee flexion best
    match the cited keypoint curves (least squares over both stances; Gauss–Newton)."""
    x = np.array([math.radians(-8.0), 0.90])

    def resid(v: np.ndarray) -> np.ndarray:
        q = b.build(float(v[0]), float(v[1]), fixed_point=2)
        out = []
        for s in ("r", "l"):
            st = b.t.stance_phase(s, b.p) <= 1.0
            out.append(q[st, b.ci[f"hip_flexion_{s}"]] - b.ref[f"hip_flexion_{s}"][st])
            out.append(q[st, b.ci[f"knee_angle_{s}"]] - b.ref[f"knee_angle_{s}"][st])
        return np.concatenate(out)

    steps = np.array([math.radians(0.5), 0.005])
    for _ in range(4):
        r0 = resid(x)
        jac = np.column_stack([(resid(x + np.eye(2)[k] * steps[k]) - r0) / steps[k] for k in range(2)])
        dx = np.linalg.lstsq(jac, -r0, rcond=None)[0]
        x = x + dx
        if abs(dx[0]) < 1e-4 and abs(dx[1]) < 1e-5:
            break
    return float(x[0]), float(x[1])


def _ground_reactions(b: _Builder, p, q, qd, qdd, at_strikes, inverse_dynamics):
    """Per-foot ground reactions from whole-body Newton–Euler (see the module docstring)."""
    m = b.m
    g_bw = b.mass * GRAVITY_M_S2
    ci_pel = [m.coordinate_index(n) for n in ("pelvis_tilt", "pelvis_list", "pelvis_rotation",
                                               "pelvis_tx", "pelvis_ty", "pelvis_tz")]

    def total_wrench(qq, qqd, qqdd):
        tau0 = inverse_dynamics(m, qq, qqd, qqdd, point_masses=b.pm)
        R, o, jw, jv = m.body_poses(qq)
        pel = b.bi["pelvis"]
        a = np.concatenate([jv[:, pel][:, ci_pel, :], jw[:, pel][:, ci_pel, :]], axis=2)  # (n, 6, 6)
        w = np.linalg.solve(np.swapaxes(a, 1, 2), tau0[:, ci_pel][..., None])[..., 0]
        force, m_o = w[:, :3], w[:, 3:]
        m_ground = m_o + np.cross(o[:, pel], force)  # moment about the ground origin
        return force, m_ground, R, o

    force, mom, R, o = total_wrench(q, qd, qdd)
    fx, mx, _, _ = total_wrench(*at_strikes)
    t = b.t
    n = p.size
    feet_f = {s: np.zeros((n, 3)) for s in ("r", "l")}
    feet_m = {s: np.zeros((n, 3)) for s in ("r", "l")}
    stance = {s: t.stance_phase(s, p) <= 1.0 + 1e-12 for s in ("r", "l")}
    for s in ("r", "l"):
        feet_f[s][stance[s]] = force[stance[s]]
        feet_m[s][stance[s]] = mom[stance[s]]
    for k, lead in enumerate(("r", "l")):
        trail = "l" if lead == "r" else "r"
        ds = t.double_support(lead)
        tau = np.mod(p - t.strike[lead], 100.0)
        inside = (tau < ds) & stance[trail] & stance[lead]
        u = 2.0 * tau / ds if ds > 0 else np.zeros_like(tau)
        fv, fa = sta_vertical(u), sta_anterior(u)
        f_hs, m_hs = fx[k], mx[k]
        cop_hs, tq_hs = _cop(f_hs[None], m_hs[None])
        f_tr = np.column_stack([fa * f_hs[0], fv * f_hs[1], fv * f_hs[2]])
        tq_tr = fv * tq_hs[0]
        m_tr = np.cross(np.broadcast_to(cop_hs[0], f_tr.shape), f_tr)
        m_tr[:, 1] += tq_tr
        feet_f[trail][inside] = f_tr[inside]
        feet_m[trail][inside] = m_tr[inside]
        feet_f[lead][inside] = force[inside] - f_tr[inside]
        feet_m[lead][inside] = mom[inside] - m_tr[inside]
    grf = {}
    for s in ("r", "l"):
        on = stance[s] & (feet_f[s][:, 1] > 0.0)
        cop = np.zeros((n, 3))
        tq = np.zeros(n)
        cc, tt = _cop(feet_f[s][on], feet_m[s][on])
        cop[on], tq[on] = cc, tt
        c = b.bi[f"calcn_{s}"]
        cop_calcn = np.where(on[:, None], np.einsum("fji,fj->fi", R[:, c], cop - o[:, c]), 0.0)
        f = np.where(stance[s][:, None], feet_f[s], 0.0)
        grf[s] = FootGRF(side=s, force_bw=f / g_bw, cop_calcn_m=cop_calcn, stance=stance[s],
                         stance_fraction=t.stance[s], cop_ground_m=cop, free_moment_bw_m=tq / g_bw)
    com = b._com(q)
    return grf, com


def _cop(force: np.ndarray, moment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point on the floor (y = 0) and free vertical moment equivalent to (force, moment about origin)."""
    fy = force[:, 1]
    px = moment[:, 2] / fy
    pz = -moment[:, 0] / fy
    cop = np.column_stack([px, np.zeros_like(px), pz])
    tq = moment[:, 1] - (pz * force[:, 0] - px * force[:, 2])
    return cop, tq
