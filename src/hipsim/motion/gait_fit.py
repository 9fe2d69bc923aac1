"""The kinematic fit of the built-in normative walking cycle (:mod:`hipsim.motion.normative_gait`):
the keypoint curves, the strut-model centre-of-mass path and the least-squares Fourier fit
(``_Fit``) with its numerical settings.

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
   heads, toe pad) goes below the floor, in stance or swing. A model that locks a foot joint
   (Rajagopal et al. 2016 lock subtalar and mtp) keeps it locked: with rigid toes the foot rolls
   over its toe pad after heel rise, and with a rigid subtalar joint the foot's roll follows the
   leg, since no joint could hold it level (demanding it, the fit traded the feet against the
   whole-body balance, and the centre of pressure left the foot by 7 cm). The knee's direction of
   flexion is read from the model; coordinates the fit does not move (arms, locked joints) keep
   their default values.
3. **One least-squares fit.** Every leg coordinate and the pelvis translations are truncated
   Fourier series (smooth and periodic, exact derivatives), found by Levenberg–Marquardt
   together with a constant pelvic tilt offset (a model's pelvis frame is not the clinical
   one) and the mean COM height. The fit keeps the planted feet, follows the COM path (position
   and acceleration), keeps whole-body angular momentum nearly constant about the horizontal
   axes (Herr & Popovic 2008: it stays small in walking) and otherwise stays as close as it
   can to the cited joint curves. Hip and knee motion is softly band-limited above the 8th
   harmonic (7 Hz at the reference cadence), as gait laboratories low-pass their kinematics at
   about 6 Hz: the switching foot constraints otherwise made the truncated series ring.
   Pelvic obliquity and rotation are cited; the trunk is held upright (plus the requested
   lean) and facing forward. Stance joint angles are therefore
   *results* (checked against cited norms in the tests), swing angles follow the citations.

Steps 4 and 5 (ground reactions and arm swing) are in :mod:`hipsim.motion.gait_ground`; the cited
data in :mod:`hipsim.motion.gait_keypoints`. The vertical law and the strut model use the model's
gravity along its vertical (-y, OpenSim's convention, which the cycle assumes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy import sparse
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

from hipsim._arrays import cross
from hipsim._threads import one_blas_thread
from hipsim.errors import input_error
from hipsim.model.scaling import REFERENCE_MASS_KG
from hipsim.motion.gait_ground import _Timing, sta_vertical
from hipsim.motion.gait_keypoints import (
    ANKLE_KEYPOINTS_DEG,
    COP_TIMING_STANCE,
    FOREFOOT_CONTACT_STANCE,
    GAIT2392_COORDINATES,
    HEEL_RISE_STANCE,
    HIP_ABDUCTION_PEAK_DEG,
    HIP_ADDUCTION_PEAK_DEG,
    HIP_FLEXION_KEYPOINTS_DEG,
    KNEE_FLEXION_KEYPOINTS_DEG,
    PELVIC_DROP_PEAK_PERCENT,
    PELVIC_OBLIQUITY_AMPLITUDE_DEG,
    PELVIC_ROTATION_AMPLITUDE_DEG,
    REFERENCE_STANCE_FRACTION,
    vertical_excursion_m,
)

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
# of whole-body angular momentum rate about a horizontal axis for a body of REFERENCE_MASS_KG
# (75.16 kg), in proportion to body mass for others (Herr & Popovic 2008 compare angular momenta
# normalised by body mass, as L / (M V H): the only mass-proportional rows are thus made
# per unit of mass, so two people who differ only in body mass are fitted the same walk); 0.1° of knee hyperextension
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
        # The fit weighs the bodies per kilogram of body mass (Model.mass_distribution), so that
        # people of one shape and any mass are fitted the same walk, bit for bit.
        self._kg_mass, self._kg_inertia = model.mass_distribution
        # Gravity along the cycle's vertical (-y): the model's own.
        self.g_up = -float(model.compiled.gravity[1])
        self.total_mass = self.mass + sum(p.mass_kg for p in self.pm)
        n = samples or GRID_SAMPLES
        self.p = np.arange(n) * 100.0 / n
        self.k = np.arange(1, (harmonics or FIT_HARMONICS) + 1)
        # Locked coordinates (the Rajagopal et al. 2016 subtalar and mtp joints) keep their values.
        locked = model.compiled.coord_locked
        legs = [f"{j}_{s}" for s in ("r", "l") for j in ("hip_flexion", "hip_adduction", "hip_rotation",
                                                         "knee_angle", "ankle_angle", "subtalar_angle",
                                                         "mtp_angle")]
        self.unknown = ["pelvis_tx", "pelvis_ty", "pelvis_tz"] + [n for n in legs if not locked[self.ci[n]]]
        self.rigid_subtalar = {s: bool(locked[self.ci[f"subtalar_angle_{s}"]]) for s in ("r", "l")}
        self.rigid_toes = {s: bool(locked[self.ci[f"mtp_angle_{s}"]]) for s in ("r", "l")}
        # +1 where the knee angle grows in flexion (Rajagopal), -1 where it falls (gait2392).
        self.knee_sign = {s: model.knee_flexion_sign(s) for s in ("r", "l")}
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
        rc = o[0] + np.einsum("bij,bj->bi", R[0], self.m.compiled.body_com)  # bodies' COMs, per-kg weights
        self.standing_com = float(self._kg_mass @ rc[:, 1] / self._kg_mass.sum() - o[0, self.bi["calcn_r"], 1])

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
                                    ("knee_angle", KNEE_FLEXION_KEYPOINTS_DEG, self.knee_sign[s]),
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
        amp = vertical_excursion_m(self.g_up) / 2.0
        y = mean_height - amp * np.cos(w * (p - low))
        k = 100.0 / self.t.stride_time
        ydd = amp * (w * k) ** 2 * np.cos(w * (p - low))
        return y, ydd

    def _fy_total(self, p: np.ndarray) -> np.ndarray:
        _, ydd = self._com_vertical(0.0, np.asarray(p, dtype=float))
        return self.g_up + ydd

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
        k = (self.g_up + ydd) / y
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
    def _constraint_rows(self, q: np.ndarray, cols: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Planted-foot residuals, their Jacobian with respect to the coordinates ``cols`` (those
        that move in the fit), and the grid frame of each row."""
        R, o, jw, jv = self.m.body_poses(q, cols)
        res, jac, frame = [], [], []
        ex, ey, ez = np.eye(3)

        def point_rows(b, local, target, sel, weight):
            if not sel.any():
                return
            f = np.flatnonzero(sel)
            P = o[f, b] + R[f, b] @ local
            r = P - target[f]
            arm = P - o[f, b]
            jp = jv[f, b] + cross(jw[f, b], arm[:, None, :])  # (nf, nc, 3)
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
            jac.append(weight * cross(jw[f, b], a[:, None, :])[:, :, comp])
            frame.append(f)

        for s in ("r", "l"):
            ph = self.phase[s]
            stance = ph <= 1.0
            c, t = self.bi[f"calcn_{s}"], self.bi[f"toes_{s}"]
            heel_on = stance & (ph <= HEEL_RISE_STANCE)
            fore_on = stance & (ph >= FOREFOOT_CONTACT_STANCE)
            mtp_target = self.heel_anchor[s] + self.flat[s] @ self.mtp_local[s]
            point_rows(c, np.zeros(3), self.heel_anchor[s], heel_on, _W_POSITION)
            if self.rigid_toes[s]:
                # Toes locked to the foot (Rajagopal et al. 2016): the metatarsal heads hold until
                # heel rise, then the foot rolls over the toe pad, which stays where it landed.
                pad_target = self.heel_anchor[s] + self.flat[s] @ self.toe_local[s]
                point_rows(c, self.mtp_local[s], mtp_target, fore_on & (ph <= HEEL_RISE_STANCE), _W_POSITION)
                point_rows(c, self.toe_local[s], pad_target, fore_on & (ph > HEEL_RISE_STANCE), _W_POSITION)
            else:
                point_rows(c, self.mtp_local[s], mtp_target, fore_on, _W_POSITION)
            # The foot turns only about the lateral axis: calcn x stays horizontal-forward
            # (no yaw: its z component 0) and its z axis stays level (no roll: y component 0).
            # A locked subtalar joint cannot hold the foot level in roll, so the foot rests on
            # the line through its planted points and its roll follows the leg.
            axis_row(c, self.flat[s].T @ ex, 2, stance, _W_ANGLE)
            if not self.rigid_subtalar[s]:
                axis_row(c, self.flat[s].T @ ez, 1, stance, _W_ANGLE)
            if not self.rigid_toes[s]:
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
                jp = jv[f, b] + cross(jw[f, b], arm[:, None, :])
                jac.append(-_W_FLOOR * expit(x)[:, None] * jp[:, :, 1])
                frame.append(f)
        # The knee does not hyperextend in normal gait (Perry 1992): a smooth one-sided penalty
        # keeps knee flexion above _KNEE_MIN_FLEXION_DEG.
        lim = math.radians(_KNEE_MIN_FLEXION_DEG)
        sc = math.radians(0.5)
        for s in ("r", "l"):
            j = self.ci[f"knee_angle_{s}"]
            ks = self.knee_sign[s]
            x = (lim - ks * q[:, j]) / sc
            res.append(_W_LIMIT * sc * np.logaddexp(0.0, x))
            jk = np.zeros((q.shape[0], len(cols)))
            jk[:, cols.index(j)] = -ks * _W_LIMIT / (1.0 + np.exp(-x))
            jac.append(jk)
            frame.append(np.arange(q.shape[0]))
        # Whole-body centre of mass on the strut-model path (x, z) and the cited vertical
        # excursion around a free mean height (y; its column is added by the caller).
        cm = self.m.compiled
        arm = np.einsum("fbij,bj->fbi", R, cm.body_com)
        com = np.einsum("b,fbi->fi", self._kg_mass, o + arm)
        jp = jv + cross(jw, arm[:, :, None, :])
        jcom = np.tensordot(self._kg_mass, jp, axes=(0, 1))
        total = float(self._kg_mass.sum())
        for pm in self.pm:
            b = self.bi[pm.body]
            a_pm = R[:, b] @ np.asarray(pm.location)
            com += pm.mass_kg / self.mass * (o[:, b] + a_pm)
            jcom += pm.mass_kg / self.mass * (jv[:, b] + cross(jw[:, b], a_pm[:, None, :]))
            total += pm.mass_kg / self.mass
        com /= total
        jcom /= total
        self._com_grid, self._jcom_grid = com, jcom
        # Centroidal angular momentum matrix A (frames, coordinates, 3) per kilogram of body mass:
        # L / M = A qdot about the COM.
        # (matrix products: the equivalent einsums took 90 % of this function's time)
        inertia = R @ self._kg_inertia[None] @ np.swapaxes(R, -1, -2)
        rel = o + arm - com[:, None, :]
        amat = np.matmul(jw, inertia).sum(axis=1)  # inertia is symmetric: sum_j I_ij w_cj
        amat += np.tensordot(self._kg_mass, cross(rel[:, :, None, :], jp), axes=(0, 1))
        for pm in self.pm:
            b = self.bi[pm.body]
            a_pm = R[:, b] @ np.asarray(pm.location)
            r_pm = o[:, b] + a_pm - com
            jp_pm = jv[:, b] + cross(jw[:, b], a_pm[:, None, :])
            amat += pm.mass_kg / self.mass * cross(r_pm[:, None, :], jp_pm)
        self._amat = amat
        f = np.arange(q.shape[0])
        for k in range(3):
            res.append(_W_COM * (com[:, k] - self.com_target[:, k]))
            jac.append(_W_COM * jcom[:, :, k])
            frame.append(f)
        return np.concatenate(res), np.concatenate(jac, axis=0), np.concatenate(frame)

    def solve(self, iterations: int = 8) -> None:
        """Levenberg–Marquardt for the Fourier coefficients, the pelvic tilt offset and the
        mean COM height; the strut path (which depends on that height) is recomputed once.
        Its dense algebra runs on one BLAS thread (see :func:`hipsim._threads.one_blas_thread`),
        so the fit is also the same whatever the machine's thread count."""
        with one_blas_thread():
            self._solve(iterations)

    def _solve(self, iterations: int) -> None:
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
        # The Jacobian columns the fit needs: its unknowns, the tilt, and the prescribed coordinates
        # that move (for the angular momentum); a full-body model's still arms are left out.
        cols = sorted(set(self.ui) | {tilt_i} | set(np.flatnonzero(np.any(qd_known != 0.0, axis=0)).tolist()))
        ui_c = [cols.index(i) for i in self.ui]
        tilt_c = cols.index(tilt_i)
        qd_known = qd_known[:, cols]
        w_l = _W_ANGULAR_MOMENTUM_RATE * REFERENCE_MASS_KG  # self._amat is per kg of body mass (see above)

        def evaluate(xx):
            c, tl, yb = unpack(xx)
            r, jq, fr = self._constraint_rows(self.poses(c, tl), cols)
            # the y COM rows are last: shift by the free mean height
            r[-ny:] -= _W_COM * (yb - self.com_mean_used)
            # COM acceleration rows: the total ground force is m (g + COM''), so the COM must
            # follow the strut path's acceleration closely, not only its position.
            ea = _W_COM_ACCELERATION * (d2 @ (self._com_grid - self.com_target))
            # Whole-body angular momentum about the COM stays small in walking (Herr & Popovic
            # 2008): its rate about the horizontal axes (which would move the CoP) is penalised.
            qd = qd_known.copy()
            qd[:, ui_c] = b1 @ c.T
            qd[:, cols.index(self.ci["pelvis_tx"])] += self.t.stride_length / 100.0 / self.slope_x * dp_dt
            ldot = d1 @ np.einsum("fci,fc->fi", self._amat, qd)
            el = w_l * ldot[:, [0, 2]]
            ra = np.concatenate([ea.T.ravel(), el.T.ravel()])
            cost = float(r @ r + ra @ ra + xx @ a_const @ xx - 2.0 * g_ref @ xx + c_ref)
            return (r, jq, fr, ra, self._jcom_grid.copy(), self._amat.copy()), cost

        def dense_rows(state):
            """The COM-acceleration and angular-momentum-rate rows of the Jacobian (each mixes frames)."""
            _, _, _, _, jc, am = state
            blocks = []
            # sum_f d[r, f] j[f, u] basis[f, b] as one matrix product (a three-operand einsum
            # loops over all four indices: 90 % of the fit's time before)
            for k in range(3):
                ja = d2 @ (jc[:, ui_c, k][:, :, None] * self.basis[:, None, :]).reshape(ny, nu * nb)
                jt = d2 @ jc[:, tilt_c, k]
                blocks.append(_W_COM_ACCELERATION * np.hstack([ja, jt[:, None], np.zeros((ny, 1))]))
            for k in (0, 2):  # L depends on q too; its q-derivative is left out (Gauss–Newton)
                jl = d1 @ (am[:, ui_c, k][:, :, None] * b1[:, None, :]).reshape(ny, nu * nb)
                blocks.append(w_l * np.hstack([jl, np.zeros((ny, 2))]))
            return np.vstack(blocks)

        def jacobian(state):
            """The whole Jacobian and residual vector (the definition normal_equations is checked against)."""
            r, jq, fr, ra, _, _ = state
            jx = np.einsum("ru,rb->rub", jq[:, ui_c], self.basis[fr]).reshape(r.size, nu * nb)
            jy = np.zeros(r.size)
            jy[-ny:] = -_W_COM
            jx = np.hstack([jx, jq[:, [tilt_c]], jy[:, None]])
            return np.vstack([jx, dense_rows(state)]), np.concatenate([r, ra])

        nu_nb = nu * nb
        bb = (self.basis[:, :, None] * self.basis[:, None, :]).reshape(ny, nb * nb)

        def normal_equations(state):
            """J^T J and J^T r without forming the planted-foot and COM rows of J: each is
            jq[row, unknowns] (x) basis[its frame] (a Kronecker product), so their share of J^T J is
            the sum over frames of G_f (x) b_f b_f^T, G_f the sum of the frame's jq outer products
            (the dense product took most of the fit's time)."""
            r, jq, fr, ra, _, _ = state
            a_u = jq[:, ui_c]
            t = jq[:, tilt_c]
            y = np.zeros(r.size)
            y[-ny:] = -_W_COM
            per_frame = sparse.csr_matrix((np.ones(r.size), (fr, np.arange(r.size))), shape=(ny, r.size))
            g_f = per_frame @ (a_u[:, :, None] * a_u[:, None, :]).reshape(r.size, nu * nu)
            a = np.empty((nx, nx))
            a[:nu_nb, :nu_nb] = (g_f.T @ bb).reshape(nu, nu, nb, nb).transpose(0, 2, 1, 3).reshape(nu_nb, nu_nb)
            for j, v in ((nu_nb, t), (nu_nb + 1, y)):
                a[:nu_nb, j] = a[j, :nu_nb] = ((per_frame @ (a_u * v[:, None])).T @ self.basis).ravel()
            a[nu_nb:, nu_nb:] = [[t @ t, t @ y], [y @ t, y @ y]]
            g = np.concatenate([((per_frame @ (a_u * r[:, None])).T @ self.basis).ravel(), [t @ r, y @ r]])
            dense = dense_rows(state)
            return a + dense.T @ dense, g + dense.T @ ra


        for _strut_pass in range(2):
            self.com_mean_used = float(x[-1])
            self.com_target = self._strut_path(self.com_mean_used)
            state, cost = evaluate(x)
            lam = 1e-3
            for _ in range(iterations):
                jtj, jtr = normal_equations(state)
                a = jtj + a_const
                g = jtr + a_const @ x - g_ref
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
        self._final = (state, jacobian, normal_equations)  # the tests check the normal equations on it
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
