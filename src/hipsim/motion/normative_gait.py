"""A built-in normative level-walking cycle for the OpenSim gait2392 coordinates.

Everything is a smooth periodic function of the percentage of the gait cycle
(0–100 %, right heel strike at 0 %). Joint-angle curves are periodic cubic splines
through published keypoints (each cited next to its value below), so velocities and
accelerations are continuous. The left side is the right side shifted by half a cycle.

Ground reaction forces (per foot, in body weights, OpenSim ground axes: x forward,
y up, z to the right) combine a cited vertical profile with a simple, stated physics
model for the horizontal components: each leg pushes along the line from its centre of
pressure to the centre of mass (the compliant-leg/strut model of Geyer, Seyfarth &
Blickhan 2006, Proc R Soc B 273:2861–2867; whole-body angular momentum stays small in
walking, Herr & Popovic 2008, J Exp Biol 211:467–481). The lateral sway of the pelvis
follows from the same model (a linear inverted pendulum solved for its periodic
solution), so step width, sway and medio-lateral force agree with each other.

What is *not* modelled (stated so nobody mistakes it for data): joint-angle amplitudes
do not change with speed; pelvic tilt, hip rotation, subtalar, MTP and lumbar extension
are held at 0 (their published patterns are small or inconsistent across studies and
their offsets depend on the marker/model convention); the feet are not constrained to
stay on the floor by the joint angles; the cited vertical GRF profile and the cited
vertical pelvis excursion are not forced to agree with each other.

Sign conventions (OpenSim gait2392, read from gait2392_thelen2003muscle.osim):
ground_pelvis rotates about z (pelvis_tilt, + = posterior tilt), then x (pelvis_list,
+ = right side lower), then y (pelvis_rotation, + = right side forward);
hip_flexion +flexion, hip_adduction +adduction, knee_angle negative = flexion,
ankle_angle +dorsiflexion, lumbar_bending + = trunk bends toward the right.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from scipy.integrate import trapezoid
from scipy.interpolate import CubicSpline, PchipInterpolator

from hipsim.errors import input_error
from hipsim.motion.storage import StorageTable

__all__ = [
    "GAIT2392_COORDINATES",
    "FootGRF",
    "NormativeGait",
    "normative_gait",
    "cadence_for_speed",
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
ANKLE_KEYPOINTS_DEG = ((0, 0.0), (10, -10.0), (30, 5.0), (50, 10.0), (60, -15.0), (87, 0.0))

# Frontal and transverse plane (one harmonic each, peak timing and size cited):
# Pelvic obliquity ±4.5°: midpoint of DOMAIN.md's normative "±4–5°"; the drop is
# contralateral and happens in loading response (brainscape.com "Gait Kinematics":
# "contralateral pelvic drop occurs during loading response"), so the right side is
# highest (pelvis_list most negative) at the end of right loading response, 10 %.
PELVIC_OBLIQUITY_AMPLITUDE_DEG = 4.5
PELVIC_DROP_PEAK_PERCENT = 10.0
# Hip adduction: peak +7.5° (midpoint of DOMAIN.md "hip adduction peak about 5–10° in
# loading response") at 10 %, least −5° (brainscape.com "Gait Kinematics": "~5° of hip
# abduction, occurs in response to contralateral pelvic hike") half a cycle later.
HIP_ADDUCTION_PEAK_DEG = 7.5
HIP_ABDUCTION_PEAK_DEG = -5.0
# Pelvic rotation ±5° (Perry & Burnfield 2010: about 5° forward rotation on the side of
# the reference limb at initial contact, 10° total arc), largest at heel strike.
PELVIC_ROTATION_AMPLITUDE_DEG = 5.0
# Vertical pelvis excursion: the trunk rises and falls twice per cycle through about
# 46 mm (Perry 1992, as cited by Whittle 1997, Hum Mov Sci 16:347–355), lowest in
# double support (mid-points 5 % and 55 %) and highest in single support.
VERTICAL_EXCURSION_M = 0.046
# Standing pelvis height: gait2392_thelen2003muscle.osim default pelvis_ty (0.95 m).
PELVIS_HEIGHT_M = 0.95

# Vertical GRF per foot, body weights, against fraction of that foot's stance:
# peaks 1.15 BW (midpoint of DOMAIN.md "two peaks of about 1.1–1.2 body weights") near
# a quarter and three quarters of stance, valley 0.75 BW (midpoint of DOMAIN.md
# "mid-stance valley of about 0.7–0.8") at mid stance (Perry & Burnfield 2010: peaks in
# loading response and terminal stance, valley in mid stance; timing of ~25 % and
# ~75 % of stance as in Winter 2009, "Biomechanics and Motor Control of Human
# Movement", 4th ed., normal-walking GRF), zero at heel strike and toe-off.
VERTICAL_GRF_KEYPOINTS = ((0.0, 0.0), (0.25, 1.15), (0.5, 0.75), (0.75, 1.15), (1.0, 0.0))

# Centre of pressure along the foot (calcn frame, metres), against fraction of stance.
# Timing: Chiu, Wu & Chang 2013 (Gait Posture 37:43–48, "Gait speed and gender effects
# on center of pressure progression during normal walking"): initial contact 7.0 %,
# forefoot contact 4.8 %, foot flat 48.8 %, forefoot push-off 39.4 % of stance, so the
# CoP reaches the forefoot at 7.0 + 4.8 + 48.8 = 60.6 % of stance.
# Positions from gait2392_thelen2003muscle.osim: heel = calcn origin (0 m); metatarsal
# heads = mtp joint location in calcn (0.1788 m); toe pad = toes_r mass centre, 0.0346 m
# beyond the mtp joint (0.2134 m).
COP_HEEL_M = 0.0
COP_MTP_M = 0.1788
COP_TOE_M = 0.1788 + 0.0346
COP_KEYPOINTS = ((0.0, COP_HEEL_M), (0.07, COP_HEEL_M), (0.606, COP_MTP_M),
                 (1.0, COP_TOE_M))

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
# 10 cm").
REFERENCE_STEP_WIDTH_M = 0.10


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class FootGRF:
    """Ground reaction force on one foot over the cycle.

    ``force_bw``: shape (n, 3), ground axes (x forward, y up, z right), in body weights;
    exactly zero where ``stance`` is False. ``cop_calcn_m``: centre of pressure in that
    foot's calcn frame (x heel→toe, metres), zero in swing (the OpenSim GRF-file habit).
    """

    side: str
    force_bw: np.ndarray
    cop_calcn_m: np.ndarray
    stance: np.ndarray
    stance_fraction: float

    def force_n(self, body_mass_kg: float) -> np.ndarray:
        """Force in newtons for a body of ``body_mass_kg``."""
        if not (body_mass_kg > 0 and math.isfinite(body_mass_kg)):
            raise input_error("argument", "body_mass_kg", body_mass_kg, "a positive mass in kg")
        return self.force_bw * body_mass_kg * GRAVITY_M_S2

    @property
    def force_n_per_kg(self) -> np.ndarray:
        """Force per kilogram of body mass (N/kg)."""
        return self.force_bw * GRAVITY_M_S2


@dataclass(frozen=True)
class NormativeGait:
    """One normative walking cycle (SI units: radians, metres, seconds).

    ``coordinates``/``velocities``/``accelerations`` map every gait2392 coordinate name to
    an array over ``percent``; ``grf`` maps ``"r"``/``"l"`` to :class:`FootGRF`.
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


def _harmonic(p: np.ndarray, mean: float, amp: float, peak: float, order: int = 1
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mean + amp*cos(order*2π(p-peak)/100) and its first two derivatives in p."""
    w = order * 2.0 * math.pi / 100.0
    ph = w * (p - peak)
    return mean + amp * np.cos(ph), -amp * w * np.sin(ph), -amp * w * w * np.cos(ph)


def _foot_phase(p: np.ndarray, strike: float, stance: float) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of stance (0..1) and a stance mask for a foot striking at ``strike`` %."""
    since = np.mod(p - strike, 100.0)
    s = since / (stance * 100.0)
    mask = s <= 1.0
    # The final frame (100 %) is the next heel strike of the right foot: same state as 0 %.
    return np.where(mask, s, 0.0), mask


# --------------------------------------------------------------------------- main

def normative_gait(speed_m_s: float = REFERENCE_SPEED_M_S,
                   step_width_m: float = REFERENCE_STEP_WIDTH_M,
                   pelvic_drop_scale: float = 1.0,
                   trunk_lean_deg: float = 0.0,
                   stance_asymmetry: float = 0.0,
                   n_frames: int = 101) -> NormativeGait:
    """Build one normative level-walking cycle.

    Args:
        speed_m_s: walking speed, 0.5–2.0 m/s; cadence and stride length follow the
            step-length ∝ speed^0.42 law anchored at 110 steps/min at 1.3 m/s.
        step_width_m: lateral distance between the feet, 0–0.4 m (normative 0.10 m).
        pelvic_drop_scale: multiplies the pelvic-obliquity amplitude (0 = level pelvis,
            1 = normative ±4.5°, 2–3 = Trendelenburg-like); hip adduction follows the
            extra drop one-for-one (the thigh keeps its orientation to the ground).
        trunk_lean_deg: constant lumbar bending, −30–30°, positive toward the right.
        stance_asymmetry: right minus left stance fraction, −0.18–0.18 (antalgic gait:
            the painful side has the shorter stance); the mean stays 60 %.
        n_frames: number of samples over 0–100 % (both ends included), 3–100000.
    """
    _check_range("speed_m_s", speed_m_s, *SPEED_RANGE_M_S, "m/s")
    _check_range("step_width_m", step_width_m, 0.0, 0.4, "m")
    _check_range("pelvic_drop_scale", pelvic_drop_scale, 0.0, 3.0, "")
    _check_range("trunk_lean_deg", trunk_lean_deg, -30.0, 30.0, "degrees")
    _check_range("stance_asymmetry", stance_asymmetry, -0.18, 0.18, "")
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or not (
            3 <= n_frames <= 100_000):
        raise input_error("argument", "n_frames", n_frames, "a whole number from 3 to 100000")

    cadence = cadence_for_speed(float(speed_m_s))
    stride_time = 120.0 / cadence  # two steps per stride
    stride_length = speed_m_s * stride_time
    stance = {"r": REFERENCE_STANCE_FRACTION + stance_asymmetry / 2.0,
              "l": REFERENCE_STANCE_FRACTION - stance_asymmetry / 2.0}
    strike = {"r": 0.0, "l": 50.0}
    p = np.linspace(0.0, 100.0, int(n_frames))
    dp_dt = 100.0 / stride_time  # percent per second, for the chain rule

    q: dict[str, np.ndarray] = {}
    qd: dict[str, np.ndarray] = {}
    qdd: dict[str, np.ndarray] = {}

    def put(name: str, vals: tuple[np.ndarray, np.ndarray, np.ndarray], time_scale: bool = True
            ) -> None:
        v, d1, d2 = vals
        k = dp_dt if time_scale else 1.0
        q[name], qd[name], qdd[name] = v, d1 * k, d2 * k * k

    # Pelvis orientation.
    list_amp = math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG) * pelvic_drop_scale
    list0 = _harmonic(p, 0.0, -math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG),
                      PELVIC_DROP_PEAK_PERCENT)
    pelvis_list = _harmonic(p, 0.0, -list_amp, PELVIC_DROP_PEAK_PERCENT)
    put("pelvis_tilt", (np.zeros_like(p),) * 3)
    put("pelvis_list", pelvis_list)
    rot = _harmonic(p, 0.0, math.radians(PELVIC_ROTATION_AMPLITUDE_DEG), 0.0)
    put("pelvis_rotation", rot)

    # Legs.
    add_mean = math.radians((HIP_ADDUCTION_PEAK_DEG + HIP_ABDUCTION_PEAK_DEG) / 2.0)
    add_amp = math.radians((HIP_ADDUCTION_PEAK_DEG - HIP_ABDUCTION_PEAK_DEG) / 2.0)
    extra = pelvic_drop_scale - 1.0
    for side in ("r", "l"):
        shift = strike[side]
        hip = _periodic_curve(HIP_FLEXION_KEYPOINTS_DEG, stance[side])
        knee = _periodic_curve(KNEE_FLEXION_KEYPOINTS_DEG, stance[side])
        ankle = _periodic_curve(ANKLE_KEYPOINTS_DEG, stance[side])
        put(f"hip_flexion_{side}", hip(p, shift))
        kv = knee(p, shift)
        put(f"knee_angle_{side}", (-kv[0], -kv[1], -kv[2]))
        put(f"ankle_angle_{side}", ankle(p, shift))
        base = _harmonic(p, add_mean, add_amp, PELVIC_DROP_PEAK_PERCENT + shift)
        # Extra drop of the opposite side adducts the stance hip one-for-one: the right
        # hip gains -(list change), the left hip +(list change).
        sign = -1.0 if side == "r" else 1.0
        put(f"hip_adduction_{side}", tuple(b + sign * extra * l0 for b, l0 in zip(base, list0)))
        for name in (f"hip_rotation_{side}", f"subtalar_angle_{side}", f"mtp_angle_{side}"):
            put(name, (np.zeros_like(p),) * 3)

    # Trunk: held upright and facing forward (lumbar undoes pelvic list and rotation),
    # plus the requested lean.
    lean = math.radians(trunk_lean_deg)
    put("lumbar_extension", (np.zeros_like(p),) * 3)
    put("lumbar_bending", (lean - pelvis_list[0], -pelvis_list[1], -pelvis_list[2]))
    put("lumbar_rotation", (-rot[0], -rot[1], -rot[2]))

    # Pelvis translation: forward at constant speed, vertical second harmonic.
    put("pelvis_tx", (speed_m_s * p / dp_dt, np.full_like(p, speed_m_s), np.zeros_like(p)),
        time_scale=False)
    put("pelvis_ty", _harmonic(p, PELVIS_HEIGHT_M, -VERTICAL_EXCURSION_M / 2.0, 5.0, order=2))

    # Ground reaction forces.
    vert = PchipInterpolator(*zip(*VERTICAL_GRF_KEYPOINTS))
    cop = PchipInterpolator(*zip(*COP_KEYPOINTS))
    fy: dict[str, np.ndarray] = {}
    s_of: dict[str, np.ndarray] = {}
    mask_of: dict[str, np.ndarray] = {}
    for side in ("r", "l"):
        s, mask = _foot_phase(p, strike[side], stance[side])
        s_of[side], mask_of[side] = s, mask
        fy[side] = np.where(mask, vert(np.clip(s, 0, 1)), 0.0)

    tz, tz_d, tz_dd = _lateral_sway(p, stride_time, step_width_m, vert, stance, strike)
    put("pelvis_tz", (tz, tz_d, tz_dd), time_scale=False)

    grf: dict[str, FootGRF] = {}
    h = q["pelvis_ty"]
    for side in ("r", "l"):
        s, mask = s_of[side], mask_of[side]
        cop_x = np.where(mask, cop(np.clip(s, 0, 1)), 0.0)
        ap = fy[side] * _com_minus_cop(s, mask, stance[side] * stride_time, speed_m_s,
                                       vert, cop) / h
        z_foot = (step_width_m / 2.0) * (1.0 if side == "r" else -1.0)
        ml = fy[side] * (tz - z_foot) / h
        force = np.column_stack([np.where(mask, ap, 0.0), fy[side], np.where(mask, ml, 0.0)])
        cop_xyz = np.column_stack([cop_x, np.zeros_like(p), np.zeros_like(p)])
        grf[side] = FootGRF(side=side, force_bw=force, cop_calcn_m=cop_xyz, stance=mask,
                            stance_fraction=stance[side])

    names = GAIT2392_COORDINATES
    return NormativeGait(
        percent=p, time=p / dp_dt,
        coordinates={n: q[n] for n in names}, velocities={n: qd[n] for n in names},
        accelerations={n: qdd[n] for n in names}, coordinate_names=names, grf=grf,
        speed_m_s=float(speed_m_s), cadence_steps_min=cadence, stride_time_s=stride_time,
        stride_length_m=stride_length, step_width_m=float(step_width_m),
        parameters=dict(speed_m_s=float(speed_m_s), step_width_m=float(step_width_m),
                        pelvic_drop_scale=float(pelvic_drop_scale),
                        trunk_lean_deg=float(trunk_lean_deg),
                        stance_asymmetry=float(stance_asymmetry), n_frames=int(n_frames)),
    )


def _com_minus_cop(s: np.ndarray, mask: np.ndarray, stance_time: float, speed: float,
                   vert: PchipInterpolator, cop: PchipInterpolator) -> np.ndarray:
    """Forward distance from the CoP to the centre of mass during one foot's stance.

    The centre of mass moves at ``speed``; the CoP moves along the flat foot. The foot
    is placed so that this foot's braking and propulsive impulses cancel (steady speed,
    Newton's second law), i.e. the integral of Fy*(x_com - x_cop) over stance is zero
    (the small change of leg height over stance is neglected in this placement).
    """
    sg = np.linspace(0.0, 1.0, 2001)
    fg = vert(sg)
    rel = speed * stance_time * sg - cop(sg)
    offset = -float(trapezoid(fg * rel, sg) / trapezoid(fg, sg))
    out = speed * stance_time * s - cop(np.clip(s, 0.0, 1.0)) + offset
    return np.where(mask, out, 0.0)


def _lateral_sway(p_out: np.ndarray, stride_time: float, step_width: float,
                  vert: PchipInterpolator, stance: Mapping[str, float],
                  strike: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periodic lateral pelvis (centre-of-mass) position from the strut model.

    m z'' = sum_i Fy_i (z - z_i) / h with z_i = ±w/2: a linear periodic ODE, solved on a
    uniform grid with a periodic second-difference operator, then splined.
    """
    n = 400
    pg = np.arange(n) * 100.0 / n
    dt = stride_time / n
    total = np.zeros(n)
    moment = np.zeros(n)
    for side, zf in (("r", step_width / 2.0), ("l", -step_width / 2.0)):
        s, mask = _foot_phase(pg, strike[side], stance[side])
        f = np.where(mask, vert(np.clip(s, 0, 1)), 0.0)
        total += f
        moment += f * zf
    h = PELVIS_HEIGHT_M  # the ±23 mm vertical excursion changes this term by ~2 %
    k = GRAVITY_M_S2 / h  # force in BW -> acceleration g*F/BW
    lap = (np.roll(np.eye(n), 1, axis=1) - 2 * np.eye(n) + np.roll(np.eye(n), -1, axis=1)) / dt**2
    a = lap - np.diag(k * total)
    z = np.linalg.solve(a, -k * moment)
    spl = CubicSpline(np.append(pg, 100.0), np.append(z, z[0]), bc_type="periodic")
    k_t = 100.0 / stride_time
    pq = np.mod(p_out, 100.0)
    return spl(pq), spl(pq, 1) * k_t, spl(pq, 2) * k_t * k_t
