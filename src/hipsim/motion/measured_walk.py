"""A built-in level-walking cycle made from measured adult gait, consistent with the model.

Source data: the mean cycles of nine healthy adults walking overground at a self-selected
preferred speed (C4: 1.15 ± 0.19 m/s, 112 steps/min, stance 61.1 %) and a self-selected fast speed
(C5: 1.63 ± 0.27 m/s, 135 steps/min, stance 59.3 %; means ± SD over subjects), Schreiber C,
Moissenet F (2019), Sci Data 6:111, CC BY 4.0 (read by :mod:`hipsim.motion.measured_gait`, which
states the processing). The cycle is built in five steps, none of which fits anything to a
target:

1. **Joint, pelvis and trunk angles** are the measured means (subjects averaged first), made
   left/right symmetric and smoothed as periodic Fourier series. Each leg's curve is the mean of
   the cycle's own leg and the other leg half a cycle later (both are measured, in the same
   mirrored convention); pelvic tilt and lumbar extension keep only their even harmonics (they
   repeat every step), pelvic obliquity and rotation and lumbar bending and rotation only their
   odd harmonics (they change sign from one step to the next). The odd/even split also removes
   the data set's static transverse offsets (the pelvis turned 2.2 ± 2.1 deg to one side whichever
   foot led; data README). :data:`N_HARMONICS` = 10 harmonics are kept: 9 Hz at the preferred
   cadence, a little above the 6 Hz low-pass the source curves already had (Winter 2009,
   Biomechanics and Motor Control of Human Movement, 4th ed., ch. 2). The left leg is the right
   leg half a cycle later. ``subtalar_angle`` and ``mtp_angle`` were not measured and stay 0 (so
   the rigid toes dip into the floor while the heel is up; the ground reactions do not depend on
   it, step 4).
2. **Speed.** The Fourier coefficients are interpolated linearly in speed between the C4 and C5
   means (at 1.154 and 1.633 m/s, the subjects' mean speeds). Beyond the measured speeds the
   nearest class's shape is held (not extrapolated): below 1.15 m/s the step length then stays
   that of the preferred-speed adults and the cadence falls in proportion to the speed (at
   0.5 m/s about 50 steps/min, where adults take about 80: Grieve 1968 as reported by Kuo 2001,
   J Biomech Eng 123:264, step length ∝ speed^0.42), so slow walks are long, slow strides, not
   short ones; above 1.63 m/s the cadence rises in proportion (at 2.0 m/s 162 steps/min).
   The stance fraction and the cycle time of the measured classes are interpolated the same way
   (61.1 % to 59.3 %; 1.07 to 0.90 s); the centre-of-mass path (step 3) keeps its measured size
   per cycle, so where the held shape is walked slower than measured its accelerations, and the
   ground reactions' departures from body weight, shrink as (measured cycle time / cycle time)^2
   (at 0.5 m/s the vertical force stays within 0.96-1.10 BW). Integrating the measured
   accelerations over the longer cycle instead gave 33 cm of foot slip at 0.5 m/s.
3. **Stride from planted feet.** With the angles fixed, each stance foot rolls on the floor
   without slipping: the material point of the sole under the centre of pressure is at rest
   (heel, calcn origin, until 7 % of stance, then moving to the metatarsal heads, the mtp joint
   lowered to the floor, at heel-off, 60.6 % of stance: the timing of Chiu, Wu & Chang 2013,
   Gait Posture 37:43), so the pelvis velocity is minus that point's velocity relative to the
   pelvis (forward kinematics and Jacobians of the model, all frames at once). In double support
   the two feet's implied motions are blended by the trailing foot's load share of Ren, Jones &
   Howard (2008, J Biomech 41:2750), exp(-(2t/T_ds)^3). The distance this carries the pelvis over
   one cycle is the stride length, a result of the model's geometry and the measured angles; the
   cadence is speed / stride length, so a larger subject takes longer strides at a lower cadence
   (dynamic similarity; Alexander & Jayes 1983).
   **Centre of mass from the measured ground reactions.** Differentiating that planted-feet
   pelvis path twice gave horizontal ground reactions of 0.3-0.7 BW (the rigid foot's heel and
   forefoot pivots and the double-support blend put kinks in the velocity; measured peaks are
   about 0.2 BW), so the planted path fixes only the stride length and the mean position. The
   whole-body centre of mass instead follows the mean measured ground reactions of the same
   adults (each foot's mean stance force, per subject then over subjects, interpolated in speed
   like the angles, placed on each foot's stance and summed; its cycle mean removed, as steady
   walking has no mean acceleration), integrated twice as a periodic series around the mean
   planted-feet position; the pelvis translations are that path minus the centre of mass's
   offset from the pelvis in each frame's posture. The feet therefore slip where the measured
   angles and forces disagree on this model; the slip is measured and reported
   (``parameters["foot_slip_m"]``: the longest horizontal path of a stance foot's rolling
   contact point over its stance; for the default model 9.0 cm at 1.325 m/s, 8.6 cm at and
   below 1.15 m/s, 10.6 cm at and above 1.63 m/s).
4. **Ground reactions** come from whole-body Newton–Euler as in
   :mod:`hipsim.motion.normative_gait` (whose function is reused), so the pelvis residuals
   vanish; carried loads (point masses) enter here. In double support the trailing foot carries
   its mean measured force (in body weights of the whole loaded body) and the leading foot the
   rest, instead of the Ren et al. (2008) decay: with the decay, the trailing force fell below a
   20 N force-plate threshold early (stance 57.4 % against the input 60.4 %) and the sagittal
   moments' RMS differences from Winter (2009) were 0.36 (hip), 0.29 (knee) and 0.36 (ankle)
   N m/kg, against 0.32, 0.28 and 0.28 with the measured split. The centres of pressure are
   shared as there (nominal heel-to-toe points corrected in proportion to load).
5. **Knobs** are transforms of the measured cycle. ``step_width_m``: both hips abduct (or
   adduct) by one constant angle, the width change over twice the hip-to-heel height, so that the
   heels land ``step_width_m`` apart (calcn origins, lateral distance; one linear correction,
   then the width is measured again). ``pelvic_drop_scale`` scales the pelvic obliquity curve;
   the femora and the trunk keep their measured orientation in ground (the hips' adduction and
   the lumbar bending take up the change), so the stance hip adducts more and the swing foot
   drops. ``trunk_lean_deg`` adds a constant lumbar bending toward the right.
   ``stance_asymmetry`` (right minus left stance fraction) warps each leg's own time so that its
   toe-off moves to the new stance fraction (piecewise linear in the leg's phase, then smoothed
   by the same Fourier truncation); heel strikes stay at 0 and 50 %.

Pelvis frame. The source models (Rajagopal et al. 2016-based) and gait2392 could place the
pelvis frame at different sagittal angles in the bone; the data's pelvis frames were aligned to
the generic Rajagopal model's ASIS-PSIS line (-5.9 deg in its pelvis frame). gait2392 as shipped
with OpenSim has no pelvis markers; the gait2392 subject01 model's ASIS-to-sacral line lies at
-1.2 deg, which would put gait2392's frame 4.7 deg more posterior, but its V.Sacral marker sits
on the sacrum, not on the PSIS, and was placed for that subject; that subject's own walk (IK with
gait2392) has a mean pelvic tilt of +5.6 deg against +3.1 deg for the measured adults, which
points 2.5 deg the other way. Neither is conclusive, so no offset is applied (0 deg; the
uncertainty is about ±5 deg of pelvic tilt, hip flexion and lumbar extension together).

Validation (``tests/test_measured_walk.py``; default model, 1.325 m/s; the keypoint cycle of
:mod:`hipsim.motion.normative_gait` in brackets). Against Winter (2009, appendix A, normal
cadence): RMS of the sagittal angles hip 3.9 (9.5), knee 3.2 (5.8), ankle 5.1 (5.6) deg; of the
moments hip 0.32 (0.34), knee 0.28 (0.155), ankle 0.28 (0.22) N m/kg; late-stance hip flexion
moment peak 1.05 (1.16) N m/kg; loading-response knee flexion 20.4 (28.8) deg. Hip abductor moment
peaks 0.81 and 1.08 (0.82, 0.72) N m/kg. Vertical ground reaction 1.14, 1.17, valley 0.70
(1.23, 1.20, 0.75) BW; stance by a 20 N threshold 61.4 (57.0) %. Hip contact force 3.8 and
6.1 BW at 1.3 m/s (4.0, 4.7), 3.4 and 5.5 BW at 1.1 m/s (3.6, 4.0). What falls short: from loading
response to terminal stance the centre of pressure lies 14-17 cm ahead of the heel (about 8-10 cm
further forward than the measured heel-to-toe progression puts it), so the ground reaction passes
ahead of the hip and knee in early stance and far behind the hip in terminal stance, where the
hip is also 7 deg more extended than in Winter's adults (-16.9 against -9.3 deg at 46 %); hence the
large sagittal hip moments and the late-stance hip contact peak. Most of the offset is the
whole-body angular momentum rate about the lateral axis, which moves the centre of pressure off
the line of the ground force through the centre of mass: 5-6 cm forward in loading response
(rate 0.06-0.08 BW m) and 10 cm back at 46 % (0.12 BW m), the latter 80 % from the other leg's
shank and foot decelerating in terminal swing (computed per segment from the model's motion).
Whole-body angular momentum stays small in walking (Herr & Popovic 2008, J Exp Biol 211:467);
why the measured segment motions do not cancel on gait2392's segments is not settled. Ruled
out: the measured 13 deg forward trunk lean (holding the trunk upright, as an experiment, moved
the centre of pressure back 3 cm and raised the late-stance flexion moment to 1.43 N m/kg) and
the fore-aft alignment of the path (a constant that moves the feet with the body).

Results are cached on content: a digest of the model's kinematic and inertial arrays, the knobs,
the frame count and the carried loads, never on object identity; a weaker or renamed copy of
the same body reuses the cycle.
"""
from __future__ import annotations

import copy
import functools
import math
from typing import Any, Sequence

import numpy as np
from scipy.interpolate import PchipInterpolator

from hipsim.errors import input_error
from hipsim.motion import measured_gait
from hipsim.motion.gait_ground import _ground_reactions, _Timing, sta_vertical
from hipsim.motion.gait_keypoints import COP_TIMING_STANCE, GAIT2392_COORDINATES
from hipsim.motion.normative_gait import NormativeGait, cycle_inputs

__all__ = ["measured_walk", "N_HARMONICS", "MEASURED_SPEEDS_M_S"]

#: Fourier harmonics kept per coordinate (module docstring, step 1).
N_HARMONICS = 10
# Samples per cycle of the internal grid (numerical, not physiology: 10 per kept harmonic; 200 changed
# no validated figure by more than 0.002).
_GRID = 100
_COARSE_GRID = 50

_LEG = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")
_EVEN = ("pelvis_tilt", "lumbar_extension")
_GRF = "stance_grf_bw"
_CYCLE = "cycle_s"
_ODD = ("pelvis_list", "pelvis_rotation", "lumbar_bending", "lumbar_rotation")


@functools.lru_cache(maxsize=None)
def _class_curves(condition: str) -> tuple[dict[str, np.ndarray], float, float]:
    """Symmetrised complex Fourier coefficients (k = 0..N_HARMONICS, radians) of one speed
    class's mean cycle, the class's mean speed and stance fraction (means over subjects)."""
    mc = measured_gait.mean_cycle(condition)
    k = np.arange(N_HARMONICS + 1)
    sign = (-1.0) ** k  # shifting a period-100 curve by 50 multiplies harmonic k by (-1)^k

    def coef(name: str) -> np.ndarray:
        x = np.radians(mc.mean[name].to_numpy(dtype=float))
        y = x[:100].copy()
        y[0] = 0.5 * (x[0] + x[100])  # 0 % and 100 % are the same instant of two cycles
        return np.fft.rfft(y)[:N_HARMONICS + 1] / 100.0

    out = {}
    for j in _LEG:
        out[j] = 0.5 * (coef(j) + sign * coef(f"contra_{j}"))
    for j in _EVEN:
        out[j] = 0.5 * coef(j) * (1.0 + sign)
    for j in _ODD:
        out[j] = 0.5 * coef(j) * (1.0 - sign)
    grf = measured_gait.load_stance_grf()
    grf = grf[grf["condition"] == condition]
    per_subject = grf.groupby(["subject", "percent_stance"])[["ap_bw", "vertical_bw", "ml_bw"]].mean()
    out[_GRF] = per_subject.groupby("percent_stance").mean().to_numpy()  # (51, 3): x, y, z of a right foot
    stats = mc.stats
    out[_CYCLE] = np.array(float(stats.loc["mean", "cycle_s"]))
    return out, float(stats.loc["mean", "speed_m_s"]), float(stats.loc["mean", "stance_fraction"])


#: Mean speeds (m/s) of the preferred (C4) and fast (C5) classes, over subjects.
MEASURED_SPEEDS_M_S = (1.1537, 1.6331)


def _curves_at_speed(speed: float) -> tuple[dict[str, np.ndarray], float, float]:
    """Coefficients and stance fraction at ``speed`` (linear between the classes, held beyond)."""
    c4, v4, s4 = _class_curves("C4")
    c5, v5, s5 = _class_curves("C5")
    a = min(max((speed - v4) / (v5 - v4), 0.0), 1.0)
    return {n: (1.0 - a) * c4[n] + a * c5[n] for n in c4}, (1.0 - a) * s4 + a * s5, a


def _eval_complex(c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Real periodic curve (period 100) from rfft-style coefficients c_0..c_K at percents p."""
    k = np.arange(c.size)
    e = np.exp(2j * math.pi * np.outer(p, k) / 100.0)
    w = np.full(c.size, 2.0)
    w[0] = 1.0
    return (e @ (w * c)).real


class _Series:
    """Real Fourier series (period 100 %) with a linear drift: values and percent-derivatives."""

    def __init__(self, samples: np.ndarray, drift: float = 0.0) -> None:
        n = samples.shape[0]
        self.c = np.fft.rfft(samples, axis=0)[:N_HARMONICS + 1] / n
        self.drift = drift  # per percent

    @classmethod
    def from_derivative(cls, deriv: np.ndarray, value0: float = 0.0) -> "_Series":
        """The series whose percent-derivative is ``deriv`` (grid samples); its mean drift is kept
        as a linear term, ``value0`` its value at 0 %."""
        n = deriv.shape[0]
        d = np.fft.rfft(deriv)[:N_HARMONICS + 1] / n
        s = cls.__new__(cls)
        k = np.arange(d.size)
        c = np.zeros_like(d)
        c[1:] = d[1:] / (2j * math.pi * k[1:] / 100.0)
        s.c, s.drift = c, float(d[0].real)
        s.c[0] = value0 - _eval_complex(c, np.zeros(1))[0]
        return s

    @classmethod
    def from_second_derivative(cls, deriv2: np.ndarray, drift: float = 0.0) -> "_Series":
        """The zero-mean periodic series whose second percent-derivative is ``deriv2`` (its mean
        dropped), plus ``drift`` per percent."""
        n = deriv2.shape[0]
        d = np.fft.rfft(deriv2)[:N_HARMONICS + 1] / n
        s = cls.__new__(cls)
        k = np.arange(d.size)
        c = np.zeros_like(d)
        c[1:] = d[1:] / -((2.0 * math.pi * k[1:] / 100.0) ** 2)
        s.c, s.drift = c, drift
        return s

    def __call__(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = np.arange(self.c.size)
        w = 2.0 * math.pi * k / 100.0
        e = np.exp(1j * np.outer(p, w))
        g = np.full(self.c.size, 2.0)
        g[0] = 1.0
        cc = g * self.c
        val = (e @ cc).real + self.drift * p
        d1 = (e @ (1j * w * cc)).real + self.drift
        d2 = (e @ (-(w ** 2) * cc)).real
        return val, d1, d2


def measured_walk(speed_m_s: float = 1.3, step_width_m: float = 0.10, pelvic_drop_scale: float = 1.0,
                  trunk_lean_deg: float = 0.0, stance_asymmetry: float = 0.0, n_frames: int = 101,
                  model=None, point_masses: Sequence = ()) -> NormativeGait:
    """One level-walking cycle from measured adult gait, built for ``model`` (module docstring).

    Args as :func:`hipsim.motion.normative_gait.normative_gait` (same limits):
        speed_m_s: walking speed, 0.5–2.0 m/s; the measured shapes cover 1.15–1.63 m/s.
        step_width_m: lateral distance between the heels (calcn origins), 0–0.4 m.
        pelvic_drop_scale: multiplies the measured pelvic obliquity (0–3).
        trunk_lean_deg: constant lumbar bending toward the right, −30–30°.
        stance_asymmetry: right minus left stance fraction, −0.18–0.18.
        n_frames: samples over 0–100 % (both ends included), 3–100000.
        model: a gait2392-family :class:`hipsim.Model` (default: the shipped gait2392).
        point_masses: carried loads (:class:`hipsim.PointMass`), in the ground reactions only.

    Returns a :class:`~hipsim.motion.normative_gait.NormativeGait`; ground reactions in body
    weights of ``model``. Cached on content (module docstring); each call returns its own copy.
    """
    model, key = cycle_inputs(model, point_masses, speed_m_s, step_width_m, pelvic_drop_scale, trunk_lean_deg,
                              stance_asymmetry, n_frames)
    missing = [n for n in GAIT2392_COORDINATES if n not in model.coordinate_names]
    missing += [b for b in ("pelvis", "torso", "femur_r", "calcn_r", "calcn_l", "toes_r", "toes_l")
                if b not in model.body_names]
    if missing:
        raise input_error("argument", "model", missing[0],
                          "the measured walk needs a gait2392-family model (its coordinates and pelvis, torso, "
                          "femur, calcn and toes bodies)")
    hit = _CACHE.get(key)
    if hit is None:
        hit = _Builder(model, list(point_masses), float(speed_m_s), float(step_width_m), float(pelvic_drop_scale),
                       math.radians(float(trunk_lean_deg)), float(stance_asymmetry)).build(int(n_frames))
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = hit
    return copy.deepcopy(hit)


_CACHE: dict = {}
_CACHE_SIZE = 64


class _Builder:
    """One measured walk for one model and knob setting (module docstring, steps 1-5)."""

    def __init__(self, model, point_masses, speed: float, width: float, drop: float, lean: float,
                 asymmetry: float) -> None:
        self.m = model
        self.pm = point_masses
        self.speed = speed
        self.width = width
        self.drop = drop
        self.lean = lean
        self.names = model.coordinate_names
        self.ci = {n: i for i, n in enumerate(self.names)}
        self.bi = {b: i for i, b in enumerate(model.body_names)}
        self.mass = float(model.mass)
        # Gravity from the model, along the -y axis the cycle treats as vertical (the measured
        # forces are in body weights, so they scale with it).
        self.g_up = float(-model.compiled.gravity[1])
        self.total_mass = self.mass + sum(p.mass_kg for p in point_masses)
        curves, stance0, self.speed_weight = _curves_at_speed(speed)
        self.curves = curves
        self.stance0 = stance0
        self.stance = {"r": stance0 + asymmetry / 2.0, "l": stance0 - asymmetry / 2.0}
        self.strike = {"r": 0.0, "l": 50.0}
        self.grid = np.arange(_GRID) * 100.0 / _GRID
        self._geometry()

    # ------------------------------------------------------------------ geometry
    def _geometry(self) -> None:
        m = self.m
        q0 = m.pose(None)
        R, o, jw, jv = m.body_poses(q0)
        pel = self.bi["pelvis"]
        self.slope = np.array([jv[0, pel, self.ci[n], k] for k, n in enumerate(("pelvis_tx", "pelvis_ty",
                                                                                   "pelvis_tz"))])
        self.mtp_floor, self.foot_mtp_x, self.foot_toe_x, self.fore_local = {}, {}, {}, {}
        for s in ("r", "l"):
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            rel = o[0, t] - o[0, c]
            self.mtp_floor[s] = float(rel[1])
            self.foot_mtp_x[s] = float(rel[0])
            self.foot_toe_x[s] = float((o[0, t] + R[0, t] @ m.compiled.body_com[t] - o[0, c])[0])
            # Metatarsal heads on the floor (the mtp joint lowered by its standing height), calcn frame.
            self.fore_local[s] = R[0, c].T @ (rel - np.array([0.0, rel[1], 0.0]))
        self.leg_length = float(o[0, self.bi["femur_r"], 1] - o[0, self.bi["calcn_r"], 1])

    # ------------------------------------------------------------------ step 1 and 5: angles
    def _warp(self, side: str, tau: np.ndarray) -> np.ndarray:
        """This leg's own phase (percent since its heel strike) mapped onto the measured cycle's
        phase, so that its toe-off falls at its own stance fraction."""
        s_new, s0 = 100.0 * self.stance[side], 100.0 * self.stance0
        return np.where(tau <= s_new, tau * s0 / s_new, s0 + (tau - s_new) * (100.0 - s0) / (100.0 - s_new))

    def _angles(self, adduction_offset: float) -> np.ndarray:
        """Grid coordinates (rotations only; translations 0) in model order."""
        p = self.grid
        q = np.tile(self.m.default_q, (p.size, 1))
        c = self.curves
        for s in ("r", "l"):
            tau = np.mod(p - self.strike[s], 100.0)
            warped = self._warp(s, tau)
            for j in _LEG:
                q[:, self.ci[f"{j}_{s}"]] = _eval_complex(c[j], warped)
            # The curves carry gait2392's knee sign (negative in flexion); a model whose knee angle
            # is positive in flexion (Rajagopal et al. 2016) takes them mirrored.
            q[:, self.ci[f"knee_angle_{s}"]] *= -self.m.knee_flexion_sign(s)
        for j in _EVEN + _ODD:
            q[:, self.ci[j]] = _eval_complex(c[j], p)
        extra_list = (self.drop - 1.0) * q[:, self.ci["pelvis_list"]]
        q[:, self.ci["pelvis_list"]] += extra_list
        # The femora and trunk keep their ground orientation (pelvis_list + = right side down;
        # left hip adduction axis mirrored) and both hips abduct by the step-width offset.
        q[:, self.ci["hip_adduction_r"]] += -extra_list - adduction_offset
        q[:, self.ci["hip_adduction_l"]] += extra_list - adduction_offset
        q[:, self.ci["lumbar_bending"]] += -extra_list + self.lean
        for s in ("r", "l"):
            q[:, self.ci[f"subtalar_angle_{s}"]] = 0.0
            q[:, self.ci[f"mtp_angle_{s}"]] = 0.0
        for n in ("pelvis_tx", "pelvis_ty", "pelvis_tz"):
            q[:, self.ci[n]] = 0.0
        return q

    def _timing(self, stride_time: float = 1.0, stride_length: float = 0.0) -> _Timing:
        return _Timing(stance=dict(self.stance), strike=dict(self.strike), stride_time=stride_time,
                       stride_length=stride_length)

    def _support_weights(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Each foot's share of the support (1 in its single support, Ren et al. 2008 in double)."""
        t = self._timing()
        w = {s: (t.stance_phase(s, p) <= 1.0).astype(float) for s in ("r", "l")}
        for lead in ("r", "l"):
            trail = "l" if lead == "r" else "r"
            ds = t.double_support(lead)
            tau = np.mod(p - t.strike[lead], 100.0)
            inside = (tau <= ds) & (w[trail] > 0) & (w[lead] > 0)
            f = sta_vertical(2.0 * tau / ds)
            w[trail] = np.where(inside, f, w[trail])
            w[lead] = np.where(inside, 1.0 - f, w[lead])
        return w

    # ------------------------------------------------------------------ step 3: planted feet
    def _kinematics(self, adduction_offset: float):
        """Angle series, pelvis translation series, contact data for one hip-abduction offset."""
        m, p = self.m, self.grid
        q = self._angles(adduction_offset)
        ang = {n: _Series(q[:, self.ci[n]]) for n in self.names if n not in ("pelvis_tx", "pelvis_ty", "pelvis_tz")}
        qs = np.tile(self.m.default_q, (p.size, 1))
        qd = np.zeros_like(qs)
        for n, ser in ang.items():
            qs[:, self.ci[n]], qd[:, self.ci[n]], _ = ser(p)
        for n in ("pelvis_tx", "pelvis_ty", "pelvis_tz"):
            qs[:, self.ci[n]] = 0.0
        R, o, jw, jv = m.body_poses(qs)
        w = self._support_weights(p)
        vel = np.zeros((p.size, 3))
        height = np.zeros(p.size)
        contact = {}
        timing = self._timing()
        for s in ("r", "l"):
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            heel_y = o[:, c, 1]
            fore_y = o[:, t, 1] - self.mtp_floor[s]
            use_heel = heel_y <= fore_y
            pos = np.where(use_heel[:, None], o[:, c], o[:, t] - np.array([0.0, self.mtp_floor[s], 0.0]))
            # The foot rolls: the material point under the centre of pressure is at rest.
            lam = np.interp(timing.stance_phase(s, p), (0.0, COP_TIMING_STANCE[1], COP_TIMING_STANCE[2]),
                            (0.0, 0.0, 1.0))
            arm = np.einsum("fij,fj->fi", R[:, c], lam[:, None] * self.fore_local[s][None, :])
            v = np.einsum("fci,fc->fi", jv[:, c], qd) + np.cross(np.einsum("fci,fc->fi", jw[:, c], qd), arm)
            vel -= w[s][:, None] * v
            height -= w[s] * pos[:, 1]
            contact[s] = (use_heel, pos, v, w[s] > 0)
        sx = _Series.from_derivative(vel[:, 0])
        sz = _Series.from_derivative(vel[:, 2] - vel[:, 2].mean())
        sy = _Series(height)
        return ang, (sx, sy, sz), contact, (R, o)

    def _foot_forces_bw(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """Each foot's mean measured stance force (n, 3) in ground axes, body weights, placed on
        its stance of this cycle (zero in swing)."""
        t = self._timing()
        grf = self.curves[_GRF]
        stance_pct = np.linspace(0.0, 100.0, grf.shape[0])
        out = {}
        for s in ("r", "l"):
            ph = t.stance_phase(s, p)
            f = np.column_stack([np.interp(100.0 * np.clip(ph, 0, 1), stance_pct, grf[:, k]) for k in range(3)])
            if s == "l":
                f[:, 2] *= -1.0  # mirrored back from the right-side convention
            out[s] = np.where((ph <= 1.0)[:, None], f, 0.0)
        return out

    def _measured_foot_force(self, side: str, p: np.ndarray) -> np.ndarray:
        """The trailing foot's force in double support (N): its measured share of body weight
        (carried loads included, which walk with the same accelerations)."""
        return self._foot_forces_bw(np.asarray(p, dtype=float))[side] * self.total_mass * self.g_up

    def _com_path(self, trans, stride_time: float, R: np.ndarray, o: np.ndarray):
        """Pelvis translations that carry the whole-body COM along the path the measured ground
        reactions give (mean stance GRF of each foot, summed over the cycle), around the mean
        position of the planted-feet solution."""
        from hipsim.dynamics.inverse import center_of_mass
        p = self.grid
        feet = self._foot_forces_bw(p)
        total = feet["r"] + feet["l"]
        acc = self.g_up * (total - total.mean(axis=0))  # steady walking: no mean acceleration
        # The measured accelerations belong to the measured cycle time; per percent of the cycle
        # the path keeps its measured size, so a held shape walked slower accelerates less.
        acc_pct = acc * (float(self.curves[_CYCLE]) / 100.0) ** 2
        com_rel = center_of_mass(self.m, R, o)[1]
        planted = np.column_stack([ser(p)[0] for ser in trans])
        out = []
        for k in range(3):
            drift = trans[k].drift if k == 0 else 0.0
            com = _Series.from_second_derivative(acc_pct[:, k], drift)
            path = com(p)[0]
            target_mean = float(np.mean(planted[:, k] - drift * p + com_rel[:, k]))
            shift = target_mean - float(np.mean(path - drift * p))
            out.append(_Series(path + shift - com_rel[:, k] - drift * p, drift=drift))
        return tuple(out)

    def _feet(self, trans, contact, o) -> tuple[dict[str, np.ndarray], float]:
        """Ground positions of each heel at its heel strike, and the largest contact-point slip."""
        p = self.grid
        P = np.column_stack([ser(p)[0] for ser in trans])
        dP = np.column_stack([ser(p)[1] for ser in trans])
        heel = {}
        slip = 0.0
        for s in ("r", "l"):
            i = int(np.argmin(np.abs(p - self.strike[s])))
            heel[s] = P[i] + o[i, self.bi[f"calcn_{s}"]]
            heel[s][1] = 0.0
            use_heel, pos, v, stance = contact[s]
            g = dP + v  # ground velocity (per percent) of the active contact point
            speed = np.hypot(g[:, 0], g[:, 2])
            slip = max(slip, float(np.sum(speed[stance]) * (p[1] - p[0])))
        return heel, slip

    def _chain(self, offset: float, samples: int):
        """Steps 1-3 on a grid of ``samples`` frames for one hip-abduction offset."""
        self.grid = np.arange(samples) * 100.0 / samples
        ang, trans, contact, (R, o) = self._kinematics(offset)
        stride_length = trans[0].drift * 100.0 * self.slope[0]
        if not stride_length > 0.0:
            raise input_error("argument", "model", self.m.name, "a model whose measured walk moves forward")
        stride_time = stride_length / self.speed
        trans = self._com_path(trans, stride_time, R, o)
        heel, slip = self._feet(trans, contact, o)
        return ang, trans, heel, slip, stride_length, stride_time

    # ------------------------------------------------------------------ the cycle
    def build(self, n_frames: int) -> NormativeGait:
        # The step width is measured on a coarse grid (it moves by well under a millimetre on
        # the fine one), the hips abducted by the angle that corrects it (the heels move out by
        # about leg length x angle each), then the cycle is built on the fine grid.
        offset = 0.0
        _, _, heel, _, _, _ = self._chain(offset, _COARSE_GRID)
        offset = (self.width - (heel["r"][2] - heel["l"][2])) / (2.0 * self.leg_length)
        ang, trans, heel, slip, stride_length, stride_time = self._chain(offset, _GRID)
        dp_dt = 100.0 / stride_time
        timing = self._timing(stride_time, stride_length)

        def evaluate(pp):
            pp = np.asarray(pp, dtype=float)
            q = np.tile(self.m.default_q, (pp.size, 1))
            qd = np.zeros_like(q)
            qdd = np.zeros_like(q)
            for n, ser in ang.items():
                j = self.ci[n]
                q[:, j], qd[:, j], qdd[:, j] = ser(pp)
            for k, n in enumerate(("pelvis_tx", "pelvis_ty", "pelvis_tz")):
                j = self.ci[n]
                v, d1, d2 = trans[k](pp)
                q[:, j], qd[:, j], qdd[:, j] = v / self.slope[k], d1 / self.slope[k], d2 / self.slope[k]
            return q, qd * dp_dt, qdd * dp_dt ** 2

        p = np.linspace(0.0, 100.0, n_frames)
        q, qd, qdd = evaluate(p)
        at_strikes = evaluate(np.array([self.strike["r"], self.strike["l"]]))
        ctx: Any = _Context(self, timing, heel)  # duck-types the keypoint builder for _ground_reactions
        grf, com, arms = _ground_reactions(ctx, p, q, qd, qdd, at_strikes,
                                           trailing_force=self._measured_foot_force)
        cadence = 120.0 / stride_time
        names = self.names  # the model's coordinates (gait2392's, or more: a full-body model's arms held still)
        return NormativeGait(
            percent=p, time=p / dp_dt,
            coordinates={n: q[:, self.ci[n]] for n in names},
            velocities={n: qd[:, self.ci[n]] for n in names},
            accelerations={n: qdd[:, self.ci[n]] for n in names},
            coordinate_names=names, grf=grf,
            speed_m_s=self.speed, cadence_steps_min=cadence, stride_time_s=stride_time,
            stride_length_m=stride_length, step_width_m=float(heel["r"][2] - heel["l"][2]),
            parameters=dict(speed_m_s=self.speed, step_width_m=self.width, pelvic_drop_scale=self.drop,
                            trunk_lean_deg=math.degrees(self.lean),
                            stance_asymmetry=self.stance["r"] - self.stance["l"], n_frames=float(n_frames),
                            pelvis_tilt_offset_rad=0.0, hip_abduction_offset_rad=float(offset),
                            foot_slip_m=slip, fast_class_weight=float(self.speed_weight)),
            com_m=com, heel_strike_m=heel, body_mass_kg=self.mass, total_mass_kg=self.total_mass,
            arm_swing_moment_bw_m=arms,
        )


class _Context:
    """What :func:`hipsim.motion.normative_gait._ground_reactions` reads from its builder."""

    def __init__(self, b: _Builder, timing: _Timing, heel: dict[str, np.ndarray]) -> None:
        self.m = b.m
        self.mass = b.mass
        self.pm = list(b.pm)
        self.bi = b.bi
        self.t = timing
        self._heel = heel
        self._b = b

    def heel_x(self, side: str, p: np.ndarray) -> np.ndarray:
        k = np.floor((np.asarray(p, dtype=float) - self.t.strike[side]) / 100.0)
        return self._heel[side][0] + k * self.t.stride_length

    def heel_z(self, side: str) -> float:
        return float(self._heel[side][2])

    def nominal_cop_x(self, side: str, p: np.ndarray) -> np.ndarray:
        """Ground x of the CoP on the heel-to-toe timing of Chiu, Wu & Chang (2013, Gait Posture
        37:43), as in the keypoint cycle."""
        b = self._b
        along = PchipInterpolator(COP_TIMING_STANCE, (0.0, 0.0, b.foot_mtp_x[side], b.foot_toe_x[side]))(
            np.clip(self.t.stance_phase(side, p), 0.0, 1.0))
        return self.heel_x(side, p) + along

    def _com(self, q: np.ndarray) -> np.ndarray:
        from hipsim.dynamics.inverse import center_of_mass
        R, o, _, _ = self.m.body_poses(q)
        return center_of_mass(self.m, R, o, self.pm)[1]

