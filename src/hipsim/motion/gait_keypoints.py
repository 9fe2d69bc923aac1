"""Cited data of the built-in normative walking cycle (:mod:`hipsim.motion.normative_gait`).

The joint keypoints, the pelvic motion, the vertical centre-of-mass excursion, the foot-contact and
centre-of-pressure timing, the speed–cadence law and the step width, each with its source next to
it; plus the gait2392 coordinate names and standard gravity. Angles follow the sign conventions in
:mod:`hipsim.motion.normative_gait`. The cited constants of the ground-reaction model (the Ren et
al. 2008 double-support transition and the arm-swing share of the free moment) sit with the code
that uses them, in :mod:`hipsim.motion.gait_ground`; the fit's numerical settings (not physiology)
in :mod:`hipsim.motion.gait_fit`.
"""
from __future__ import annotations

import math

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
# excursion is then kept at every speed (see "What is not modelled" in hipsim.motion.normative_gait).
# The fit takes g from the model (vertical_excursion_m, below REFERENCE_CADENCE_STEPS_MIN).
MID_STANCE_VALLEY_BW = 0.75

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

# Speed–cadence relation: preferred step length grows as speed^0.42 (Grieve 1968, as
# reported by Kuo 2001, J Biomech Eng 123:264–269), so cadence grows as speed^0.58.
# Anchor: 110 steps/min at 1.3 m/s, the midpoints of the normative (Perry & Burnfield 2010) "self-
# selected speed about 1.3 m/s" with "cadence about 105–115 steps/min".
STEP_LENGTH_SPEED_EXPONENT = 0.42
REFERENCE_SPEED_M_S = 1.3
REFERENCE_CADENCE_STEPS_MIN = 110.0


def vertical_excursion_m(gravity_m_s2: float = GRAVITY_M_S2) -> float:
    """Vertical COM excursion (m, peak to peak) that gives the ``MID_STANCE_VALLEY_BW`` force valley at
    ``REFERENCE_CADENCE_STEPS_MIN`` under gravity ``gravity_m_s2`` (37 mm for standard gravity; see
    ``MID_STANCE_VALLEY_BW``)."""
    return 2.0 * (1.0 - MID_STANCE_VALLEY_BW) * gravity_m_s2 / (
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
