"""A built-in normative level-walking cycle for OpenSim gait2392-family models.

The cycle (0–100 %, right heel strike at 0 %) is kinematically and dynamically
consistent with the model it is built for:

1. **Centre of mass (COM) path.** Vertically, a smooth rise and fall twice per stride
   with the excursion that gives the cited mid-stance force valley, lowest in double support and
   highest in single support, around a mean height that the fit chooses. Forward and sideways, the COM moves as a strut
   (inverted pendulum) over the centre of pressure (CoP) of the supporting feet: each leg's
   force points from its CoP to the COM (Geyer, Seyfarth & Blickhan 2006); the feet are
   placed one step (speed / cadence) and one step width apart and the CoP rolls from heel to
   toe with the cited timing. The periodic solution of that linear equation is the COM path,
   so braking, propulsion and sway agree with the foot placement.
2. **Planted feet.** In stance each foot stays on the floor: its heel (calcn origin) is fixed
   until heel rise (Perry: 31 % of the cycle), its metatarsal heads (mtp joint) from forefoot
   contact (Chiu et al. 2013) to toe-off, so it is flat between them; it neither twists nor
   rolls, and the toes lie flat while the heel is up. No part of either foot (heel, metatarsal
   heads, toe pad) goes below the floor, in stance or swing.
3. **One least-squares fit.** Every leg coordinate and the pelvis translations are truncated
   Fourier series (smooth and periodic, exact derivatives), found by Levenberg–Marquardt
   together with a constant pelvic tilt offset (gait2392's pelvis frame is not the clinical
   one) and the mean COM height. The fit keeps the planted feet, follows the COM path (position
   and acceleration), keeps whole-body angular momentum nearly constant about the horizontal
   axes (Herr & Popovic 2008: it stays small in walking) and otherwise stays as close as it
   can to the cited joint curves. Hip and knee motion is softly band-limited above the 8th
   harmonic (7 Hz at the reference cadence), as gait laboratories low-pass their kinematics at
   about 6 Hz: the switching foot constraints otherwise made the truncated series ring.
   Pelvic obliquity and rotation are cited; the trunk is held upright (plus the requested
   lean) and facing forward. Stance joint angles are therefore
   *results* (checked against cited norms in the tests), swing angles follow the citations.
4. **Ground reactions from Newton–Euler.** Inverse dynamics of the whole model without ground
   contact gives the six pelvis generalised forces that the ground must supply; the total
   ground wrench is solved from them, so the pelvis residuals vanish. In single support the
   stance foot carries it all and its CoP follows from the moment (on the floor, y = 0, with
   a free moment about the vertical only). In double support the trailing foot's force decays
   by the smooth transition assumption of Ren, Jones & Howard (2008) and the leading foot
   carries the rest; the two CoPs start from nominal points (the trailing one where it was at
   the heel strike, as Ren et al.; the leading one on the cited heel-to-toe timing) and share
   the moment balance's correction in proportion to their loads.
5. **Arm swing.** gait2392's arms are fixed to the trunk, so the ground alone would have to supply
   the vertical moment that turns the legs, through the stance foot and hip. Walking with the arms
   held still raises that vertical ground moment by 63 % (Collins, Adamczyk & Kuo 2009, Proc R Soc
   B 276:3679-3688). So each foot's free moment is scaled to 1/1.63 of the armless one, and the
   rest acts on the torso about the vertical as the swinging arms' reaction
   (``arm_swing_moment_bw_m``); the whole-body wrench, and so the pelvis residuals, are unchanged.

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
from scipy.interpolate import PchipInterpolator
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

from hipsim.params import Param, check_params
from hipsim.errors import input_error, is_whole
from hipsim.motion.storage import StorageTable

__all__ = [
    "GAIT2392_COORDINATES",
    "FootGRF",
    "NormativeGait",
    "normative_gait",
    "cadence_for_speed",
    "sta_vertical",
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
#   0 %: +30  normative figure "hip flexion about +30° at heel strike" (Winter 2009; Kadaba et al. 1990)
#             (podiapaedia.org "Angular kinematics of gait": 20–30° at heel contact)
#  10 %: +25  Perry (phase values as taught by Beckers & Deckers, "Ganganalyse":
#             loading response hip 25°)
#  30 %:   0  Beckers & Deckers / Perry: mid stance hip 0°
#  50 %: -10  podiapaedia.org: "extends to 10 degrees of extension at 50% of the
#             cycle"; inside the normative −10° to −15° near 50 %; Lee et al. (2005, Arch
#             Phys Med Rehabil 86:1851) measured peak hip extension 11 ± 6° in young
#             adults at comfortable speed (Kerrigan et al. 2001, ibid. 82:26: 20.4 ± 4.0°)
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
# In stance the planted foot decides; the fit stays as close to these curves as it allows.
ANKLE_KEYPOINTS_DEG = ((0, 0.0), (10, -10.0), (30, 5.0), (50, 10.0), (60, -15.0), (87, 0.0))

# Frontal and transverse plane (one harmonic each, peak timing and size cited):
# Pelvic obliquity ±4.5°: midpoint of the normative "±4–5°" (Perry & Burnfield 2010); the drop is
# contralateral and happens in loading response (brainscape.com "Gait Kinematics":
# "contralateral pelvic drop occurs during loading response"), so the right side is
# highest (pelvis_list most negative) at the end of right loading response, 10 %.
PELVIC_OBLIQUITY_AMPLITUDE_DEG = 4.5
PELVIC_DROP_PEAK_PERCENT = 10.0
# Swing-leg hip adduction: peak +7.5° (midpoint of the normative "hip adduction peak about
# 5–10° in loading response") at 10 %, least −5° (brainscape.com "Gait Kinematics": "~5°
# of hip abduction, occurs in response to contralateral pelvic hike") half a cycle later.
# The stance hip adduction follows the planted foot; the fit stays close to this curve.
HIP_ADDUCTION_PEAK_DEG = 7.5
HIP_ABDUCTION_PEAK_DEG = -5.0
# Pelvic rotation ±5° (Perry & Burnfield 2010: about 5° forward rotation on the side of
# the reference limb at initial contact, 10° total arc), largest at heel strike.
PELVIC_ROTATION_AMPLITUDE_DEG = 5.0
# Vertical COM excursion. The COM rises and falls twice per cycle, lowest in double support
# and highest in single support, as a sinusoid at twice the stride frequency; the total vertical
# ground force is then m (g + y''), so the excursion fixes the single-support force valley. The
# excursion is taken from the force figure: at the reference cadence (110 steps/min) the valley
# is MID_STANCE_VALLEY_BW = 0.75 body weights, the midpoint of the normative "mid-stance
# valley of about 0.7-0.8" (Perry & Burnfield 2010; Winter 2009), which gives
# 2 (1 - 0.75) g / (2 pi 110/60 s^-1)^2 = 37 mm. The often-quoted 46 mm (Perry 1992, as cited by
# Whittle 1997, Hum Mov Sci 16:347-355) is not used: trunk-marker excursions significantly exceed
# the COM's own, force-platform excursion at speeds above 0.8 m/s (Gard, Miff & Kuo 2004, Hum Mov
# Sci 22:597-610), and 46 mm here gave a 0.69 BW valley and 1.31 BW in double support. The
# excursion is then kept at every speed (see "What is not modelled").
MID_STANCE_VALLEY_BW = 0.75  # VERTICAL_EXCURSION_M follows REFERENCE_CADENCE_STEPS_MIN below

# Centre of pressure along the foot, against fraction of stance (timing only; the
# positions come from the model's foot). Chiu, Wu & Chang 2013 (Gait Posture 37:43–48,
# "Gait speed and gender effects on center of pressure progression during normal
# walking"): initial contact 7.0 %, forefoot contact 4.8 %, foot flat 48.8 %, forefoot
# push-off 39.4 % of stance. So the forefoot touches down at 11.8 % and the heel rises
# (the CoP reaches the forefoot) at 60.6 % of stance.
FOREFOOT_CONTACT_STANCE = 0.070 + 0.048
HEEL_OFF_STANCE = 0.070 + 0.048 + 0.488
# Heel rise starts terminal stance at 31 % of the cycle (Perry 1992; Perry & Burnfield
# 2010: terminal stance 31–50 %, "heel rise"), i.e. at 31/60 of stance.
HEEL_RISE_STANCE = 31.0 / 60.0
# CoP path used only to place the COM path (heel = calcn origin; metatarsal heads = mtp
# joint; toe pad = toes mass centre, all read from the model): heel until 7 % of stance,
# metatarsal heads at heel-off, toe pad at toe-off.
COP_TIMING_STANCE = (0.0, 0.070, HEEL_OFF_STANCE, 1.0)

# Smooth transition assumption (Ren, Jones & Howard 2008, J Biomech 41:2750–2759): over a
# double support of duration T_ds that starts at the leading foot's heel strike, the
# trailing foot's ground reaction decays smoothly from its value at that heel strike, and
# the leading foot carries the rest. Decay exp(-u^3) with u = 2 t / T_ds (1 at heel strike,
# e^-8 at toe-off), applied to every force component, as in OpenSimRT's GRFMPrediction
# (Stanev et al., mitkof6/OpenSimRT), which implements Ren et al.'s transition; one function
# for all components keeps the trailing force's direction (Ren et al.'s separate
# antero-posterior form, combined with this vertical decay, tilts it past any friction cone
# near toe-off).

# Arm swing (Collins, Adamczyk & Kuo 2009, Proc R Soc B 276:3679-3688): with the arms held still
# the vertical ground reaction moment is 63 % larger than with normal arm swing, so with arm swing
# the feet carry 1/1.63 of the armless model's free moments and the arms the rest.
ARM_SWING_FREE_MOMENT_FACTOR = 1.0 / 1.63

# Speed–cadence relation: preferred step length grows as speed^0.42 (Grieve 1968, as
# reported by Kuo 2001, J Biomech Eng 123:264–269), so cadence grows as speed^0.58.
# Anchor: 110 steps/min at 1.3 m/s, the midpoints of the normative (Perry & Burnfield 2010) "self-
# selected speed about 1.3 m/s" with "cadence about 105–115 steps/min".
STEP_LENGTH_SPEED_EXPONENT = 0.42
REFERENCE_SPEED_M_S = 1.3
REFERENCE_CADENCE_STEPS_MIN = 110.0
VERTICAL_EXCURSION_M = 2.0 * (1.0 - MID_STANCE_VALLEY_BW) * GRAVITY_M_S2 / (
    2.0 * math.pi * REFERENCE_CADENCE_STEPS_MIN / 60.0) ** 2
# Walking only: the walk-to-run transition is near 2.1 m/s ("Cadence (steps/min) as an
# indicator of the walk-to-run transition", Hum Mov Sci 2023;90:103117); the lower bound
# keeps the power law near the range it was fitted on.
SPEED_RANGE_M_S = (0.5, 2.0)
# Normative step width 10 cm (brainscape.com "Gait" card: "walking step width norm
# 10 cm"): the lateral distance between the two heels. Murray, Drought & Kory (1964, JBJS
# 46A:335) and Murray, Kory & Sepic (1970, Arch Phys Med Rehabil 51:637) measured a walking
# base of 8.1 cm in men and 7.1 cm in women (as tabulated by D. Thompson's gait pages, OU Health
# Sciences Center), so the default sits 2-3 cm wider; the
# ``step_width_m`` knob takes either.
REFERENCE_STEP_WIDTH_M = 0.10
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

# Centre of pressure reported only where the foot carries at least this share of body weight:
# a convention after force-plate practice, which thresholds at a few tens of newtons (0.02 BW
# is 15 N for the default 75 kg subject).
COP_MIN_LOAD_BW = 0.02

# The cycle is fitted as truncated Fourier series (FIT_HARMONICS harmonics per coordinate)
# on a grid of GRID_SAMPLES frames; velocities and accelerations are the series' exact
# derivatives. Numerical settings, not physiology.
GRID_SAMPLES = 150
FIT_HARMONICS = 15
# Least-squares weights, per row and frame. The following each cost one unit: a 0.05 mm slide
# of a planted contact point (0.1 mm before the hip and knee band limit below; with the band
# limit that let the feet slide 6 % past the tests' slide bounds); a 1° tilt or twist of a
# planted foot; a 5° departure from a cited joint curve; a departure that accelerates at
# 20 rad/s² (and, more gently, a joint acceleration of 100 rad/s²); a pelvis acceleration of
# 1 m/s²; a 0.5 mm or 0.05 m/s² miss of the strut-model COM position or acceleration; 2.5 N m
# of whole-body angular momentum rate about a horizontal axis; 0.1° of knee hyperextension
# beyond the limit below (stiff enough that the knee stays flexed: at 0.2° the swing knee
# reached full extension before heel strike); a foot point 0.05 mm below the floor.
_W_POSITION = 1.0 / 0.00005
_W_ANGLE = 1.0 / math.radians(1.0)
_W_REFERENCE = 1.0 / math.radians(5.0)
_W_ACC_ROTATION = 1.0 / 20.0
_W_ACC_ABSOLUTE = 1.0 / 100.0
_W_ACC_TRANSLATION = 1.0 / 1.0
_W_COM = 1.0 / 0.0005
_W_COM_ACCELERATION = 1.0 / 0.05
_W_ANGULAR_MOMENTUM_RATE = 1.0 / 2.5
_W_LIMIT = 1.0 / math.radians(0.1)
_W_FLOOR = 1.0 / 0.00005
# Hip and knee motion is band-limited softly: a harmonic of order k costs
# _W_HIGH_HARMONICS * (k / _BAND_HARMONIC)^_BAND_ORDER per radian of amplitude, so one unit is
# 0.02° at the 8th harmonic, 0.2° at the 6th, 5° at the 4th and 0.003° at the 10th. Without it
# the planted-foot rows, which switch on and off at heel strike, heel rise and toe-off, excited
# the top harmonics of the series: hip and knee accelerations rang with an 8 % period
# (±50-130 rad/s² at the knee), and with them the hip moments (late-stance flexion moment
# 1.40 N m/kg, 1.12 without) and the hip contact force. The 8th harmonic is 7.3 Hz at the
# reference cadence, just above the 6 Hz low-pass commonly applied to gait kinematics (Winter
# 2009, "Biomechanics and Motor Control of Human Movement", 4th ed., ch. 2). The ankle, subtalar
# and toe joints are left free: the cited ankle motion after toe-off is fast, and with the
# same band the swing ankle missed the cited 0° at 87 % by 10°. The penalty is on the motion,
# not on its departure from the cited curves, whose keypoint kinks would then be kept.
_BAND_LIMITED = ("hip_", "knee_")
_W_HIGH_HARMONICS = 3000.0
_BAND_HARMONIC = 8.0
_BAND_ORDER = 8.0
_SWING_REFERENCE_FACTOR = 3.0
# The knee does not hyperextend in stance (Perry 1992: it extends to about 0–5° of flexion):
# at least 2° of flexion (the margin keeps the fit off the straight-knee singularity).
_KNEE_MIN_FLEXION_DEG = 2.0
# Levenberg–Marquardt stops when an accepted step lowers the cost by less than this fraction.
_FIT_TOLERANCE = 1e-5


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class FootGRF:
    """Ground reaction on one foot over the cycle.

    ``force_bw``: shape (n, 3), ground axes (x forward, y up, z right), in body weights
    (of the model, carried loads excluded); exactly zero where ``stance`` is False.
    ``cop_ground_m``: centre of pressure on the floor (y = 0) in ground (m);
    ``cop_calcn_m``: the same point in that foot's calcn frame (x heel→toe); both zero in
    swing (the OpenSim GRF-file habit). In stance frames where the foot carries less than
    ``COP_MIN_LOAD_BW``, ``cop_ground_m`` is the heel (calcn origin) on the floor and
    ``cop_calcn_m`` is zero. ``free_moment_bw_m``: free moment about the
    vertical through the CoP, in body weights × metres, after the swinging arms' share (module
    docstring, step 5). ``moment_origin_bw_m``: the foot's
    whole moment about the ground origin (n, 3), body weights × metres: with ``force_bw`` it is
    the exact wrench, defined also where the force is too small for a meaningful CoP.
    """

    side: str
    force_bw: np.ndarray
    cop_calcn_m: np.ndarray
    stance: np.ndarray
    stance_fraction: float
    cop_ground_m: np.ndarray
    free_moment_bw_m: np.ndarray
    moment_origin_bw_m: np.ndarray

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


# --------------------------------------------------------------------------- helpers

def cadence_for_speed(speed_m_s: float) -> float:
    """Cadence (steps/min) for a walking speed by the step-length power law above."""
    GAIT_KNOBS["speed_m_s"].check("speed_m_s", speed_m_s)
    return REFERENCE_CADENCE_STEPS_MIN * (speed_m_s / REFERENCE_SPEED_M_S) ** (
        1.0 - STEP_LENGTH_SPEED_EXPONENT)


def sta_vertical(u: np.ndarray) -> np.ndarray:
    """Ren et al. (2008) trailing-foot fraction for vertical/medio-lateral force and moments.

    ``u`` = 2 × (time since the leading heel strike) / (double-support duration), 0..2.
    """
    return np.exp(-np.asarray(u, dtype=float) ** 3)


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


class _Fit:
    """The consistent cycle for one model, as band-limited Fourier series (see the module
    docstring): planted stance feet, cited joint curves, whole-body least squares."""

    def __init__(self, model, point_masses, timing: _Timing, speed: float, step_width: float,
                 drop_scale: float, lean: float, samples: int = 0, harmonics: int = 0) -> None:
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
        self.mass = float(model.mass)
        self.total_mass = self.mass + sum(p.mass_kg for p in self.pm)
        n = samples or GRID_SAMPLES
        self.p = np.arange(n) * 100.0 / n
        self.k = np.arange(1, (harmonics or FIT_HARMONICS) + 1)
        self.unknown = ["pelvis_tx", "pelvis_ty", "pelvis_tz"] + [
            f"{j}_{s}" for s in ("r", "l") for j in ("hip_flexion", "hip_adduction", "hip_rotation",
                                                     "knee_angle", "ankle_angle", "subtalar_angle",
                                                     "mtp_angle")]
        self.ui = [self.ci[n] for n in self.unknown]
        self._geometry()
        self._reference()

    # ------------------------------------------------------------------ set-up
    def _geometry(self) -> None:
        """Contact points: heel = calcn origin, metatarsal heads = mtp joint centre; "flat" is
        the calcn (and toes) orientation of the model's default standing pose."""
        q0 = self.m.pose(None)
        R, o, _, _ = self.m.body_poses(q0)
        self.flat, self.toes_flat, self.mtp_local, self.toe_local = {}, {}, {}, {}
        for s in ("r", "l"):
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            self.flat[s] = R[0, c].copy()
            self.toes_flat[s] = R[0, t].copy()
            self.mtp_local[s] = R[0, c].T @ (o[0, t] - o[0, c])
            self.toe_local[s] = R[0, c].T @ (o[0, t] + R[0, t] @ self.m.compiled.body_com[t] - o[0, c])
        # Use the model's own slopes of the pelvis translations (1 in gait2392 and in models
        # scaled by hipsim, whose translation coordinates stay in metres).
        _, _, _, jv0 = self.m.body_poses(q0)
        pel = self.bi["pelvis"]
        self.slope_x = float(jv0[0, pel, self.ci["pelvis_tx"], 0])
        self.slope_y = float(jv0[0, pel, self.ci["pelvis_ty"], 1])
        self.ty_floor = float(q0[0, self.ci["pelvis_ty"]] - o[0, self.bi["calcn_r"], 1] / self.slope_y)
        self.foot_mtp_x = {s: float((self.flat[s] @ self.mtp_local[s])[0]) for s in ("r", "l")}
        # Standing heights above the floor (heel = calcn origin on the floor) of the metatarsal
        # heads and the toe pad: the floor for a swinging foot.
        self.mtp_floor = {s: float((self.flat[s] @ self.mtp_local[s])[1]) for s in ("r", "l")}
        self.toe_pad_floor = {s: float((self.flat[s] @ self.toe_local[s])[1]) for s in ("r", "l")}
        self.foot_toe_x = {s: float((self.flat[s] @ self.toe_local[s])[0]) for s in ("r", "l")}
        q0 = self.m.pose(None)
        self.standing_com = float(self._com(q0)[0, 1] - o[0, self.bi["calcn_r"], 1])

    def _reference(self) -> None:
        """Cited curves on the grid (radians); pelvis orientation; foot anchors."""
        p, t = self.p, self.t
        self.list_ = _harmonic(p, 0.0, -math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG) * self.drop,
                               PELVIC_DROP_PEAK_PERCENT)
        self.rot = _harmonic(p, 0.0, math.radians(PELVIC_ROTATION_AMPLITUDE_DEG), 0.0)
        add_mean = math.radians((HIP_ADDUCTION_PEAK_DEG + HIP_ABDUCTION_PEAK_DEG) / 2.0)
        add_amp = math.radians((HIP_ADDUCTION_PEAK_DEG - HIP_ABDUCTION_PEAK_DEG) / 2.0)
        self.ref: dict[str, np.ndarray] = {}
        for s in ("r", "l"):
            sh = t.strike[s]
            for joint, kp, sign in (("hip_flexion", HIP_FLEXION_KEYPOINTS_DEG, 1.0),
                                    ("knee_angle", KNEE_FLEXION_KEYPOINTS_DEG, -1.0),
                                    ("ankle_angle", ANKLE_KEYPOINTS_DEG, 1.0)):
                self.ref[f"{joint}_{s}"] = sign * _periodic_curve(kp, t.stance[s])(p, sh)[0]
            self.ref[f"hip_adduction_{s}"] = _harmonic(p, add_mean, add_amp, PELVIC_DROP_PEAK_PERCENT + sh)
            # The femur keeps its heading while the pelvis rotates (the foot points ahead).
            self.ref[f"hip_rotation_{s}"] = -self.rot if s == "r" else self.rot.copy()
            self.ref[f"subtalar_angle_{s}"] = np.zeros_like(p)
            self.ref[f"mtp_angle_{s}"] = np.zeros_like(p)
        # Basis (percent): [1, cos(w_k p), sin(w_k p)] and its derivatives.
        w = 2.0 * math.pi * self.k / 100.0
        ph = np.outer(p, w)
        self.w = w
        self.basis = np.hstack([np.ones((p.size, 1)), np.cos(ph), np.sin(ph)])
        # Stance phases and anchors
        self.phase = {s: t.stance_phase(s, p) for s in ("r", "l")}
        self.heel_anchor = {}
        for s in ("r", "l"):
            kk = np.floor((p - t.strike[s]) / 100.0)
            first = 0.0 if s == "r" else t.stride_length / 2.0
            z = self.width / 2.0 if s == "r" else -self.width / 2.0
            self.heel_anchor[s] = np.column_stack([first + kk * t.stride_length, np.zeros_like(p),
                                                   np.full_like(p, z)])

    def heel_anchor_at(self, side: str, percent: float) -> np.ndarray:
        """Ground position of ``side``'s heel during the stance that contains ``percent``."""
        k = math.floor((percent - self.t.strike[side]) / 100.0)
        if side == "r":
            return np.array([k * self.t.stride_length, 0.0, self.width / 2.0])
        return np.array([self.t.stride_length / 2.0 + k * self.t.stride_length, 0.0, -self.width / 2.0])

    # ------------------------------------------------------------------ poses
    def pelvis_rotation(self, tilt: float, lst: np.ndarray, rot: np.ndarray) -> np.ndarray:
        return _rot(2, np.full_like(lst, tilt)) @ _rot(0, lst) @ _rot(1, rot)

    def lumbar(self, tilt: float, lst: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, ...]:
        """Lumbar angles that hold the trunk upright in ground (plus the lean), exactly."""
        rl = np.swapaxes(self.pelvis_rotation(tilt, lst, rot), -1, -2) @ _rot(0, np.full_like(lst, self.lean))
        return _zxy_angles(rl)

    def poses(self, coef: np.ndarray, tilt: float) -> np.ndarray:
        """Grid poses (n, n_coordinates) for coefficients (n_unknown, n_basis) and a tilt."""
        q = np.tile(self.m.default_q, (self.p.size, 1))
        q[:, self.ui] = self.basis @ coef.T
        q[:, self.ci["pelvis_tx"]] += self.t.stride_length / 100.0 / self.slope_x * self.p
        q[:, self.ci["pelvis_tilt"]] = tilt
        q[:, self.ci["pelvis_list"]] = self.list_
        q[:, self.ci["pelvis_rotation"]] = self.rot
        a, b, c = self.lumbar(tilt, self.list_, self.rot)
        q[:, self.ci["lumbar_extension"]] = a
        q[:, self.ci["lumbar_bending"]] = b
        q[:, self.ci["lumbar_rotation"]] = c
        return q

    def _com(self, q: np.ndarray) -> np.ndarray:
        from hipsim.dynamics.inverse import center_of_mass
        R, o, _, _ = self.m.body_poses(q)
        return center_of_mass(self.m, R, o, self.pm)[1]

    # ------------------------------------------------------------------ centre-of-mass path
    def _sta_split(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Fraction of the vertical COM force carried by each foot (Ren et al. 2008)."""
        t = self.t
        frac = {s: (t.stance_phase(s, p) <= 1.0).astype(float) for s in ("r", "l")}
        for lead in ("r", "l"):
            trail = "l" if lead == "r" else "r"
            ds = t.double_support(lead)
            tau = np.mod(p - t.strike[lead], 100.0)
            inside = tau <= ds
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
            on = t.stance_phase(s, p) <= 1.0
            x += np.where(on, frac[s] * self.nominal_cop_x(s, p), 0.0)
            z += np.where(on, frac[s] * self.heel_z(s), 0.0)
        return x, z

    def nominal_cop_x(self, side: str, p: np.ndarray) -> np.ndarray:
        """Ground x of this foot's CoP on the cited heel-to-toe timing (Chiu et al. 2013):
        heel (calcn origin), then metatarsal heads at heel-off, toe pad at toe-off."""
        along = PchipInterpolator(COP_TIMING_STANCE, (0.0, 0.0, self.foot_mtp_x[side], self.foot_toe_x[side]))(
            np.clip(self.t.stance_phase(side, p), 0.0, 1.0))
        return self.heel_x(side, p) + along

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

    # ------------------------------------------------------------------ least squares
    def _constraint_rows(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Planted-foot residuals, their Jacobian with respect to all coordinates, and the
        grid frame of each row."""
        R, o, jw, jv = self.m.body_poses(q)
        res, jac, frame = [], [], []
        ex, ey, ez = np.eye(3)

        def point_rows(b, local, target, sel, weight):
            if not sel.any():
                return
            f = np.flatnonzero(sel)
            P = o[f, b] + R[f, b] @ local
            r = P - target[f]
            arm = P - o[f, b]
            jp = jv[f, b] + np.cross(jw[f, b], arm[:, None, :])  # (nf, nc, 3)
            for k in range(3):
                res.append(weight * r[:, k])
                jac.append(weight * jp[:, :, k])
                frame.append(f)

        def axis_row(b, local_axis, comp, sel, weight):
            if not sel.any():
                return
            f = np.flatnonzero(sel)
            a = R[f, b] @ local_axis
            res.append(weight * a[:, comp])
            jac.append(weight * np.cross(jw[f, b], a[:, None, :])[:, :, comp])
            frame.append(f)

        for s in ("r", "l"):
            ph = self.phase[s]
            stance = ph <= 1.0
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            heel_on = stance & (ph <= HEEL_RISE_STANCE)
            fore_on = stance & (ph >= FOREFOOT_CONTACT_STANCE)
            mtp_target = self.heel_anchor[s] + self.flat[s] @ self.mtp_local[s]
            point_rows(c, np.zeros(3), self.heel_anchor[s], heel_on, _W_POSITION)
            point_rows(c, self.mtp_local[s], mtp_target, fore_on, _W_POSITION)
            # The foot turns only about the lateral axis: calcn x stays horizontal-forward
            # (no yaw: its z component 0) and its z axis stays level (no roll: y component 0).
            axis_row(c, self.flat[s].T @ ex, 2, stance, _W_ANGLE)
            axis_row(c, self.flat[s].T @ ez, 1, stance, _W_ANGLE)
            # Toes flat on the floor while the heel is up (forefoot rocker).
            axis_row(t, self.toes_flat[s].T @ ex, 1, stance & (ph > HEEL_RISE_STANCE), _W_ANGLE)
        # The feet stay above the floor: heel, metatarsal heads and toe pad no lower than where
        # they stand, in swing and (for the toes, which no anchor holds before heel rise) in
        # stance. A smooth one-sided penalty; without it the swinging heel and metatarsal heads
        # dipped 6-7 mm and the toe pad 23 mm below the floor.
        sc_floor = 0.00025
        f = np.arange(q.shape[0])
        for s in ("r", "l"):
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            for b, local, floor in ((c, np.zeros(3), 0.0), (t, np.zeros(3), self.mtp_floor[s]),
                                    (t, self.m.compiled.body_com[t], self.toe_pad_floor[s])):
                arm = R[f, b] @ local
                x = (floor - (o[f, b, 1] + arm[:, 1])) / sc_floor
                res.append(_W_FLOOR * sc_floor * np.logaddexp(0.0, x))
                jp = jv[f, b] + np.cross(jw[f, b], arm[:, None, :])
                jac.append(-_W_FLOOR * expit(x)[:, None] * jp[:, :, 1])
                frame.append(f)
        # The knee does not hyperextend in normal gait (Perry 1992): a smooth one-sided penalty
        # keeps knee flexion above _KNEE_MIN_FLEXION_DEG.
        lim = -math.radians(_KNEE_MIN_FLEXION_DEG)
        sc = math.radians(0.5)
        for s in ("r", "l"):
            j = self.ci[f"knee_angle_{s}"]
            x = (q[:, j] - lim) / sc
            res.append(_W_LIMIT * sc * np.logaddexp(0.0, x))
            jk = np.zeros((q.shape[0], q.shape[1]))
            jk[:, j] = _W_LIMIT / (1.0 + np.exp(-x))
            jac.append(jk)
            frame.append(np.arange(q.shape[0]))
        # Whole-body centre of mass on the strut-model path (x, z) and the cited vertical
        # excursion around a free mean height (y; its column is added by the caller).
        cm = self.m.compiled
        arm = np.einsum("fbij,bj->fbi", R, cm.body_com)
        com = np.einsum("b,fbi->fi", cm.body_mass, o + arm)
        jcom = np.einsum("b,fbci->fci", cm.body_mass, jv + np.cross(jw, arm[:, :, None, :]))
        for pm in self.pm:
            b = self.bi[pm.body]
            a_pm = R[:, b] @ np.asarray(pm.location)
            com += pm.mass_kg * (o[:, b] + a_pm)
            jcom += pm.mass_kg * (jv[:, b] + np.cross(jw[:, b], a_pm[:, None, :]))
        com /= self.total_mass
        jcom /= self.total_mass
        self._com_grid, self._jcom_grid = com, jcom
        # Centroidal angular momentum matrix A (frames, coordinates, 3): L = A qdot about the COM.
        inertia = np.einsum("fbij,bjk,fblk->fbil", R, cm.body_inertia, R)
        rel = o + arm - com[:, None, :]
        jp = jv + np.cross(jw, arm[:, :, None, :])
        amat = np.einsum("fbij,fbcj->fci", inertia, jw)
        amat += np.einsum("b,fbci->fci", cm.body_mass, np.cross(rel[:, :, None, :], jp))
        for pm in self.pm:
            b = self.bi[pm.body]
            a_pm = R[:, b] @ np.asarray(pm.location)
            r_pm = o[:, b] + a_pm - com
            jp_pm = jv[:, b] + np.cross(jw[:, b], a_pm[:, None, :])
            amat += pm.mass_kg * np.cross(r_pm[:, None, :], jp_pm)
        self._amat = amat
        f = np.arange(q.shape[0])
        for k in range(3):
            res.append(_W_COM * (com[:, k] - self.com_target[:, k]))
            jac.append(_W_COM * jcom[:, :, k])
            frame.append(f)
        return np.concatenate(res), np.concatenate(jac, axis=0), np.concatenate(frame)

    def solve(self, iterations: int = 8) -> None:
        """Levenberg–Marquardt for the Fourier coefficients, the pelvic tilt offset and the
        mean COM height; the strut path (which depends on that height) is recomputed once."""
        nb = self.basis.shape[1]
        nu = len(self.unknown)
        nx = nu * nb + 2
        # Initial guess: cited curves; pelvis at standing height, behind the right heel.
        coef = np.zeros((nu, nb))
        pinv = np.linalg.pinv(self.basis)
        ref_mat = np.zeros((nu, self.p.size))
        for i, name in enumerate(self.unknown):
            if name in self.ref:
                ref_mat[i] = self.ref[name]
                coef[i] = pinv @ ref_mat[i]
        coef[self.unknown.index("pelvis_ty"), 0] = self.ty_floor - 0.02 / self.slope_y
        coef[self.unknown.index("pelvis_tx"), 0] = -0.15 * self.t.stride_length / self.slope_x
        x = np.concatenate([coef.ravel(), [math.radians(-8.0), self.standing_com - 0.02]])
        # Constant parts of the normal equations: cited-curve rows and smoothness rows.
        reg_w = np.array([0.0 if n.startswith("pelvis") else _W_REFERENCE for n in self.unknown])
        dp_dt = 100.0 / self.t.stride_time
        wk2 = np.concatenate([[0.0], (self.w * dp_dt) ** 2, (self.w * dp_dt) ** 2])  # time accel. gain
        kb = np.concatenate([[0.0], self.k, self.k]) / _BAND_HARMONIC
        band = kb ** _BAND_ORDER  # 1 at the band edge, steep above it
        a_const = np.zeros((nx, nx))
        g_ref = np.zeros(nx)
        c_ref = 0.0
        for i, name in enumerate(self.unknown):
            sl = slice(i * nb, (i + 1) * nb)
            ref_coef = pinv @ ref_mat[i]
            # Smoothness: the departure from the cited curve (for the pelvis translations the
            # motion itself) is penalised by its acceleration (Parseval: sum over frames).
            w_acc = _W_ACC_TRANSLATION if name.startswith("pelvis") else _W_ACC_ROTATION
            smooth = (0.5 * self.p.size) * (w_acc * wk2) ** 2
            if not name.startswith("pelvis"):
                # and every joint's own acceleration, more gently
                smooth_abs = (0.5 * self.p.size) * (_W_ACC_ABSOLUTE * wk2) ** 2
                a_const[sl, sl] += np.diag(smooth_abs)
            if name.startswith(_BAND_LIMITED):
                # Hip and knee: harmonics above the band are penalised steeply (see
                # _W_HIGH_HARMONICS), on the motion itself.
                a_const[sl, sl] += np.diag((0.5 * self.p.size) * (_W_HIGH_HARMONICS * band) ** 2)
            # Cited-curve weight per frame: the toes follow the floor in stance (their cited 0°
            # is a swing value), elsewhere every frame counts alike.
            wf = np.full(self.p.size, reg_w[i] ** 2)
            if not name.startswith("pelvis"):
                # in swing nothing else holds the leg, so the cited curves count more there
                wf[self.phase[name[-1]] > 1.0] *= _SWING_REFERENCE_FACTOR ** 2
            if name.startswith("mtp_angle"):
                wf[self.phase[name[-1]] <= 1.0] = 0.0
            bw = self.basis * wf[:, None]
            a_const[sl, sl] += self.basis.T @ bw + np.diag(smooth)
            g_ref[sl] = bw.T @ ref_mat[i] + smooth * ref_coef
            c_ref += float(wf @ ref_mat[i] ** 2) + float(smooth @ ref_coef ** 2)
        tilt_i = self.ci["pelvis_tilt"]

        def unpack(xx):
            return xx[:-2].reshape(nu, nb), float(xx[-2]), float(xx[-1])

        # Spectral time derivatives on the grid, band-limited to the basis.
        d2 = self.basis @ np.diag(-wk2) @ pinv
        kk = self.w * dp_dt
        nk = kk.size
        dcoef = np.zeros((nb, nb))
        dcoef[1 + np.arange(nk), 1 + nk + np.arange(nk)] = kk       # cos coef of f' from sin coef
        dcoef[1 + nk + np.arange(nk), 1 + np.arange(nk)] = -kk      # sin coef of f' from cos coef
        d1 = self.basis @ dcoef @ pinv
        b1 = self.basis @ dcoef  # basis of the time derivative
        ny = self.p.size
        # Velocities of the coordinates that are not unknowns (pelvis orientation, lumbar).
        qd_known = self.evaluate_known_velocities()

        def evaluate(xx):
            c, tl, yb = unpack(xx)
            r, jq, fr = self._constraint_rows(self.poses(c, tl))
            # the y COM rows are last: shift by the free mean height
            r[-ny:] -= _W_COM * (yb - self.com_mean_used)
            # COM acceleration rows: the total ground force is m (g + COM''), so the COM must
            # follow the strut path's acceleration closely, not only its position.
            ea = _W_COM_ACCELERATION * (d2 @ (self._com_grid - self.com_target))
            # Whole-body angular momentum about the COM stays small in walking (Herr & Popovic
            # 2008): its rate about the horizontal axes (which would move the CoP) is penalised.
            qd = qd_known.copy()
            qd[:, self.ui] = b1 @ c.T
            qd[:, self.ci["pelvis_tx"]] += self.t.stride_length / 100.0 / self.slope_x * dp_dt
            ldot = d1 @ np.einsum("fci,fc->fi", self._amat, qd)
            el = _W_ANGULAR_MOMENTUM_RATE * ldot[:, [0, 2]]
            ra = np.concatenate([ea.T.ravel(), el.T.ravel()])
            cost = float(r @ r + ra @ ra + xx @ a_const @ xx - 2.0 * g_ref @ xx + c_ref)
            return (r, jq, fr, ra, self._jcom_grid.copy(), self._amat.copy()), cost

        def jacobian(state):
            r, jq, fr, ra, jc, am = state
            jx = np.einsum("ru,rb->rub", jq[:, self.ui], self.basis[fr]).reshape(r.size, nu * nb)
            jy = np.zeros(r.size)
            jy[-ny:] = -_W_COM
            jx = np.hstack([jx, jq[:, [tilt_i]], jy[:, None]])
            blocks = []
            for k in range(3):
                ja = np.einsum("rf,fu,fb->rub", d2, jc[:, self.ui, k], self.basis).reshape(ny, nu * nb)
                jt = d2 @ jc[:, tilt_i, k]
                blocks.append(_W_COM_ACCELERATION * np.hstack([ja, jt[:, None], np.zeros((ny, 1))]))
            for k in (0, 2):  # L depends on q too; its q-derivative is left out (Gauss–Newton)
                jl = np.einsum("rf,fu,fb->rub", d1, am[:, self.ui, k], b1).reshape(ny, nu * nb)
                blocks.append(_W_ANGULAR_MOMENTUM_RATE * np.hstack([jl, np.zeros((ny, 2))]))
            return np.vstack([jx] + blocks), np.concatenate([r, ra])

        for _strut_pass in range(2):
            self.com_mean_used = float(x[-1])
            self.com_target = self._strut_path(self.com_mean_used)
            state, cost = evaluate(x)
            lam = 1e-3
            for _ in range(iterations):
                jx, rr = jacobian(state)
                a = jx.T @ jx + a_const
                g = jx.T @ rr + a_const @ x - g_ref
                accepted = False
                while lam < 1e8:
                    step = cho_solve(cho_factor(a + lam * np.diag(np.diag(a) + 1e-12)), -g)
                    state_new, cost_new = evaluate(x + step)
                    if cost_new < cost:
                        lam = max(lam / 3.0, 1e-9)
                        accepted = True
                        break
                    lam *= 10.0
                if not accepted:
                    break
                improvement = (cost - cost_new) / max(cost, 1e-300)
                x, state, cost = x + step, state_new, cost_new
                if improvement < _FIT_TOLERANCE:
                    break
        r = state[0]
        self.coef, self.tilt, self.com_mean = unpack(x)
        self.cost = cost
        self.residuals = r

    # ------------------------------------------------------------------ evaluation
    def evaluate_known_velocities(self) -> np.ndarray:
        """Grid velocities of the prescribed coordinates (pelvis orientation, lumbar); the
        unknown coordinates' columns are zero (the tilt is taken as constant here)."""
        saved = getattr(self, "coef", None), getattr(self, "tilt", None)
        self.coef = np.zeros((len(self.unknown), self.basis.shape[1]))
        self.tilt = math.radians(-8.0) if saved[1] is None else saved[1]
        _, qd, _ = self.evaluate(self.p)
        self.coef, self.tilt = saved
        qd[:, self.ui] = 0.0
        qd[:, self.ci["pelvis_tx"]] = 0.0
        return qd

    def evaluate(self, percent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coordinates and their first two time derivatives at arbitrary percents."""
        p = np.asarray(percent, dtype=float)
        w = self.w
        ph = np.outer(p, w)
        c, s = np.cos(ph), np.sin(ph)
        b0 = np.hstack([np.ones((p.size, 1)), c, s])
        b1 = np.hstack([np.zeros((p.size, 1)), -s * w, c * w])
        b2 = np.hstack([np.zeros((p.size, 1)), -c * w * w, -s * w * w])
        dp_dt = 100.0 / self.t.stride_time
        nc = len(self.names)
        q = np.tile(self.m.default_q, (p.size, 1))
        qd = np.zeros((p.size, nc))
        qdd = np.zeros((p.size, nc))
        q[:, self.ui] = b0 @ self.coef.T
        qd[:, self.ui] = (b1 @ self.coef.T) * dp_dt
        qdd[:, self.ui] = (b2 @ self.coef.T) * dp_dt ** 2
        tx = self.ci["pelvis_tx"]
        q[:, tx] += self.t.stride_length / 100.0 / self.slope_x * p
        qd[:, tx] += self.t.stride_length / 100.0 / self.slope_x * dp_dt
        # Pelvis orientation: cited harmonics (exact derivatives).
        amp_l = -math.radians(PELVIC_OBLIQUITY_AMPLITUDE_DEG) * self.drop
        amp_r = math.radians(PELVIC_ROTATION_AMPLITUDE_DEG)
        w1 = 2.0 * math.pi / 100.0
        for name, amp, peak in (("pelvis_list", amp_l, PELVIC_DROP_PEAK_PERCENT), ("pelvis_rotation", amp_r, 0.0)):
            j = self.ci[name]
            q[:, j] = amp * np.cos(w1 * (p - peak))
            qd[:, j] = -amp * w1 * np.sin(w1 * (p - peak)) * dp_dt
            qdd[:, j] = -amp * w1 * w1 * np.cos(w1 * (p - peak)) * dp_dt ** 2
        q[:, self.ci["pelvis_tilt"]] = self.tilt
        # Lumbar: exact values; derivatives by central differences of the exact map (the map is
        # smooth, the step small).
        h = 1e-3
        vals = []
        for dp in (-h, 0.0, h):
            lst = amp_l * np.cos(w1 * (p + dp - PELVIC_DROP_PEAK_PERCENT))
            rot = amp_r * np.cos(w1 * (p + dp))
            vals.append(np.column_stack(self.lumbar(self.tilt, lst, rot)))
        lj = [self.ci[n] for n in ("lumbar_extension", "lumbar_bending", "lumbar_rotation")]
        q[:, lj] = vals[1]
        qd[:, lj] = (vals[2] - vals[0]) / (2.0 * h) * dp_dt
        qdd[:, lj] = (vals[2] - 2.0 * vals[1] + vals[0]) / h ** 2 * dp_dt ** 2
        return q, qd, qdd


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
    from hipsim.dynamics.inverse import inverse_dynamics
    from hipsim.model import load_model
    # Dynamic similarity (Alexander & Jayes 1983; Kuo 2001): step length over leg length is a
    # function of the Froude number v^2/(g L), so Grieve's step ∝ speed^0.42 becomes
    # step ∝ speed^0.42 L^0.79; anchored at the shipped gait2392 (110 steps/min at 1.3 m/s).
    leg_ratio = _leg_length(model) / _leg_length(load_model("default"))
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
    fit.solve()
    fit.pm = list(point_masses)
    fit.total_mass = fit.mass + sum(pm.mass_kg for pm in fit.pm)
    p = np.linspace(0.0, 100.0, int(n_frames))
    q, qd, qdd = fit.evaluate(p)
    at_strikes = fit.evaluate(np.array([timing.strike["r"], timing.strike["l"]]))
    grf, com, arms = _ground_reactions(fit, p, q, qd, qdd, at_strikes, inverse_dynamics)
    dp_dt = 100.0 / stride_time
    heel_strike = {s: fit.heel_anchor[s][int(np.argmin(np.abs(fit.p - timing.strike[s])))].copy()
                   for s in ("r", "l")}
    out_names = GAIT2392_COORDINATES
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


def _ground_reactions(b: "_Fit", p, q, qd, qdd, at_strikes, inverse_dynamics, trailing_force=None):
    """Per-foot ground reactions from whole-body Newton–Euler (see the module docstring).

    ``trailing_force(side, p)``, when given, is the trailing foot's force (n, 3) in N over double
    support instead of the Ren et al. (2008) decay of its heel-strike force (the measured walk
    passes its measured per-foot forces); the leading foot carries the rest either way."""
    m = b.m
    g_bw = b.mass * GRAVITY_M_S2
    ci_pel = [m.coordinate_index(n) for n in ("pelvis_tilt", "pelvis_list", "pelvis_rotation",
                                               "pelvis_tx", "pelvis_ty", "pelvis_tz")]

    def total_wrench(qq, qqd, qqdd):
        tau0 = inverse_dynamics(m, qq, qqd, qqdd, point_masses=b.pm)
        R, o, jw, jv = m.body_poses(qq)
        pel = b.bi["pelvis"]
        a = np.concatenate([jv[:, pel][:, ci_pel, :], jw[:, pel][:, ci_pel, :]], axis=2)  # (n, 6, 6)
        w = np.linalg.solve(a, tau0[:, ci_pel][..., None])[..., 0]
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
        # Both feet down within half a cycle of this heel strike: this double support. (Testing
        # tau <= ds instead disagreed with the stance test's tolerance at a toe-off that falls
        # on a frame, where both feet then carried the whole body.)
        inside = (tau < 50.0) & stance[trail] & stance[lead]
        u = 2.0 * tau / ds if ds > 0 else np.zeros_like(tau)
        fv = fa = sta_vertical(u)
        f_hs, m_hs = fx[k], mx[k]
        cop_hs, tq_hs = _cop(f_hs[None], m_hs[None])
        f_tr = np.column_stack([fa * f_hs[0], fv * f_hs[1], fv * f_hs[2]])
        if trailing_force is not None:
            f_tr = trailing_force(trail, p)
            fv = f_tr[:, 1] / f_hs[1]
        tq_tr = fv * tq_hs[0]
        # Ren et al. apply the transition to the trailing foot's moments too: about the point
        # where its CoP was at the heel strike, so that CoP stays put (a stride on in a later
        # cycle) while its load decays.
        cycles = np.floor((p - t.strike[lead]) / 100.0)
        cop_tr = cop_hs[0][None, :] + np.outer(cycles, [t.stride_length, 0.0, 0.0])
        f_ld = force - f_tr
        # The leading foot's nominal CoP follows the cited heel-to-toe timing.
        cop_ld = np.column_stack([b.nominal_cop_x(lead, p), np.zeros(n), np.full(n, b.heel_z(lead))])
        # Both CoPs then share what the whole-body moment balance asks beyond those nominal
        # points, each shifted in proportion to its vertical load (the least-squares split):
        # a lightly loaded foot, whose CoP the moment fixes poorly, stays near its nominal point,
        # and at either end of double support the loaded foot's CoP is the single-support one.
        fy_tr, fy_ld = f_tr[:, 1], f_ld[:, 1]
        den = np.maximum(fy_tr ** 2 + fy_ld ** 2, 1e-300)
        ex = (mom[:, 2] - fy_tr * cop_tr[:, 0] - fy_ld * cop_ld[:, 0]) / den
        ez = (-mom[:, 0] - fy_tr * cop_tr[:, 2] - fy_ld * cop_ld[:, 2]) / den
        shift = np.column_stack([ex, np.zeros(n), ez])
        cop_tr = cop_tr + shift * fy_tr[:, None]
        cop_ld = cop_ld + shift * fy_ld[:, None]
        m_tr = np.cross(cop_tr, f_tr)
        m_tr[:, 1] += tq_tr
        m_ld = np.cross(cop_ld, f_ld)
        # the rest of the vertical moment is the leading foot's free moment
        m_ld[:, 1] += mom[:, 1] - m_tr[:, 1] - m_ld[:, 1]
        feet_f[trail][inside] = f_tr[inside]
        feet_m[trail][inside] = m_tr[inside]
        feet_f[lead][inside] = f_ld[inside]
        feet_m[lead][inside] = m_ld[inside]
    grf = {}
    arms = np.zeros(n)
    for s in ("r", "l"):
        # The CoP is reported where the foot carries at least COP_MIN_LOAD_BW (force-plate
        # practice: a threshold of about 20 N); below it, the heel point on the floor.
        on = stance[s] & (feet_f[s][:, 1] > COP_MIN_LOAD_BW * g_bw)
        c = b.bi[f"calcn_{s}"]
        cop = np.where(stance[s][:, None], o[:, c] * np.array([1.0, 0.0, 1.0]), 0.0)
        tq = np.zeros(n)
        cc, tt = _cop(feet_f[s][on], feet_m[s][on])
        cop[on], tq[on] = cc, ARM_SWING_FREE_MOMENT_FACTOR * tt
        # the arms' share of the free moment moves from the foot to the torso
        arms[on] += tt - tq[on]
        feet_m[s][on, 1] -= tt - tq[on]
        cop_calcn = np.where(on[:, None], np.einsum("fji,fj->fi", R[:, c], cop - o[:, c]), 0.0)
        f = np.where(stance[s][:, None], feet_f[s], 0.0)
        mo = np.where(stance[s][:, None], feet_m[s], 0.0)
        grf[s] = FootGRF(side=s, force_bw=f / g_bw, cop_calcn_m=cop_calcn, stance=stance[s],
                         stance_fraction=t.stance[s], cop_ground_m=cop, free_moment_bw_m=tq / g_bw,
                         moment_origin_bw_m=mo / g_bw)
    com = b._com(q)
    return grf, com, arms / g_bw


def _cop(force: np.ndarray, moment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point on the floor (y = 0) and free vertical moment equivalent to (force, moment about origin)."""
    fy = force[:, 1]
    px = moment[:, 2] / fy
    pz = -moment[:, 0] / fy
    cop = np.column_stack([px, np.zeros_like(px), pz])
    tq = moment[:, 1] - (pz * force[:, 0] - px * force[:, 2])
    return cop, tq
