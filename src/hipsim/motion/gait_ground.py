"""Ground reactions of a walking cycle from whole-body Newton–Euler, shared by the built-in normative
cycle (:mod:`hipsim.motion.normative_gait`) and the measured walk (:mod:`hipsim.motion.measured_walk`):
the stride timing (``_Timing``), the double-support transition (``sta_vertical``), the per-foot
split with centres of pressure and free moments (``_ground_reactions``, ``_cop``) and the per-foot
result (:class:`FootGRF`). The method, numbered as the steps in :mod:`hipsim.motion.normative_gait`:

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

Steps 1–3 (the centre-of-mass path, the planted feet and the fit that give ``q``, ``qd`` and ``qdd``)
are in :mod:`hipsim.motion.gait_fit`.

Gravity is the model's own (``model.compiled.gravity``): in its inverse dynamics, which give the
wrench, and in the unit of the results, a body weight = the model's mass times its gravity's
magnitude. :meth:`FootGRF.force_n` and :meth:`FootGRF.torque_n_m`, which know no model, convert with
standard gravity (``GRAVITY_M_S2``), the same for a model on Earth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hipsim.errors import input_error
from hipsim.motion.gait_keypoints import GRAVITY_M_S2

if TYPE_CHECKING:
    from hipsim.motion.gait_fit import _Fit

__all__ = ["FootGRF", "sta_vertical"]

# Centre of pressure reported only where the foot carries at least this share of body weight:
# a convention after force-plate practice, which thresholds at a few tens of newtons (0.02 BW
# is 15 N for the default 75 kg subject).
COP_MIN_LOAD_BW = 0.02

# Arm swing (Collins, Adamczyk & Kuo 2009, Proc R Soc B 276:3679-3688): with the arms held still
# the vertical ground reaction moment is 63 % larger than with normal arm swing, so with arm swing
# the feet carry 1/1.63 of the armless model's free moments and the arms the rest.
ARM_SWING_FREE_MOMENT_FACTOR = 1.0 / 1.63


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
        """Force in newtons for a body of ``body_mass_kg`` in standard gravity."""
        if not (body_mass_kg > 0 and math.isfinite(body_mass_kg)):
            raise input_error("argument", "body_mass_kg", body_mass_kg, "a positive mass in kg")
        return self.force_bw * body_mass_kg * GRAVITY_M_S2

    def torque_n_m(self, body_mass_kg: float) -> np.ndarray:
        """Free moment as a ground torque (n, 3) in N m for a body of ``body_mass_kg`` in standard gravity
        (only the vertical component is non-zero)."""
        if not (body_mass_kg > 0 and math.isfinite(body_mass_kg)):
            raise input_error("argument", "body_mass_kg", body_mass_kg, "a positive mass in kg")
        out = np.zeros((self.free_moment_bw_m.shape[0], 3))
        out[:, 1] = self.free_moment_bw_m * body_mass_kg * GRAVITY_M_S2
        return out

    @property
    def force_n_per_kg(self) -> np.ndarray:
        """Force per kilogram of body mass (N/kg) in standard gravity."""
        return self.force_bw * GRAVITY_M_S2


# Smooth transition assumption (Ren, Jones & Howard 2008, J Biomech 41:2750–2759): over a
# double support of duration T_ds that starts at the leading foot's heel strike, the
# trailing foot's ground reaction decays smoothly from its value at that heel strike, and
# the leading foot carries the rest. Decay exp(-u^3) with u = 2 t / T_ds (1 at heel strike,
# e^-8 at toe-off), applied to every force component, as in OpenSimRT's GRFMPrediction
# (Stanev et al., mitkof6/OpenSimRT), which implements Ren et al.'s transition; one function
# for all components keeps the trailing force's direction (Ren et al.'s separate
# antero-posterior form, combined with this vertical decay, tilts it past any friction cone
# near toe-off).
def sta_vertical(u: np.ndarray) -> np.ndarray:
    """Ren et al. (2008) trailing-foot fraction for vertical/medio-lateral force and moments.

    ``u`` = 2 × (time since the leading heel strike) / (double-support duration), 0..2.
    """
    return np.exp(-np.asarray(u, dtype=float) ** 3)


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


def whole_body_wrench(model, q: np.ndarray, qd: np.ndarray, qdd: np.ndarray,
                      point_masses: Sequence = ()) -> tuple[np.ndarray, np.ndarray]:
    """External force (n, 3) in N and moment about the ground origin (n, 3) in N m that the
    motion needs: the pelvis' six generalised forces of whole-body inverse dynamics without
    external loads, expressed as a wrench in ground."""
    from hipsim.dynamics.inverse import inverse_dynamics
    ci = [model.coordinate_index(n) for n in ("pelvis_tilt", "pelvis_list", "pelvis_rotation",
                                               "pelvis_tx", "pelvis_ty", "pelvis_tz")]
    tau = inverse_dynamics(model, q, qd, qdd, point_masses=point_masses)
    _, o, jw, jv = model.body_poses(q)
    pel = model.body_names.index("pelvis")
    a = np.concatenate([jv[:, pel][:, ci, :], jw[:, pel][:, ci, :]], axis=2)  # (n, 6, 6)
    w = np.linalg.solve(a, tau[:, ci][..., None])[..., 0]
    force, m_o = w[:, :3], w[:, 3:]
    return force, m_o + np.cross(o[:, pel], force)


def _ground_reactions(b: "_Fit", p, q, qd, qdd, at_strikes, trailing_force=None):
    """Per-foot ground reactions from whole-body Newton–Euler (see the module docstring).

    ``trailing_force(side, p)``, when given, is the trailing foot's force (n, 3) in N over double
    support instead of the Ren et al. (2008) decay of its heel-strike force (the measured walk
    passes its measured per-foot forces); the leading foot carries the rest either way."""
    m = b.m
    g_bw = b.mass * float(np.linalg.norm(m.compiled.gravity))  # one body weight (N), the results' unit
    force, mom = whole_body_wrench(m, q, qd, qdd, b.pm)
    R, o, _, _ = m.body_poses(q)
    q_hs, qd_hs, qdd_hs = at_strikes
    fx, mx = whole_body_wrench(m, q_hs, qd_hs, qdd_hs, b.pm)
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
