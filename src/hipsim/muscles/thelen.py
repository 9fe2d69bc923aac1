"""Thelen (2003) muscle curves with a rigid tendon, as OpenSim's Thelen2003Muscle evaluates them.

Sources
-------
* Thelen DG (2003). Adjustment of muscle mechanics model parameters to simulate dynamic
  contractions in older adults. *J Biomech Eng* 125:70-77 (eqs. 3-7).
* OpenSim 4 ``Thelen2003Muscle`` (M. Millard's implementation; functions ``calcfal``,
  ``calcfpe``, ``calcfse``, ``calcdlceN``), whose conventions are reproduced here from the
  equations, including the linear extrapolation of the force-velocity curve past
  ``fv_linear_extrap_threshold`` = 0.95 (OpenSim default) and the exact toe-region
  constants of the tendon curve.
* OpenSim ``MuscleFixedWidthPennationModel``: the fibre keeps a constant height
  ``h = l_opt sin(alpha_0)``, so ``l_f sin(alpha) = h``.
* OpenSim ``StaticOptimizationTarget::prepareToOptimize`` asks every muscle for
  ``calcInextensibleTendonActiveFiberForce(s, 1.0)``: the active fibre force along the
  tendon at full activation with a rigid tendon. The force-velocity multiplier is therefore
  evaluated at activation 1 (Thelen's velocity scale ``0.25 + 0.75 a`` equals 1), which keeps
  the muscle force linear in activation.

gait2392 values (the gait2392_thelen2003muscle.osim file distributed with OpenSim, which
sets them on every muscle): KshapeActive 0.5, KshapePassive 4, FmaxMuscleStrain 0.6,
FmaxTendonStrain 0.033, Af 0.3, Flen 1.8, max_contraction_velocity 10 optimal fibre lengths
per second. OpenSim 4's Thelen2003Muscle class defaults (0.45, 5.0, 0.6, 0.04, 0.25, 1.4)
differ; the model file's values win.

All functions are numba ``njit`` scalar kernels plus NumPy-facing wrappers. SI units.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

#: OpenSim Thelen2003Muscle default ``fv_linear_extrap_threshold``: beyond 0.95 * Flen * a * f_L
#: the eccentric force-velocity curve is continued by its tangent.
FV_LINEAR_EXTRAP_THRESHOLD = 0.95

#: Thelen (2003) tendon toe region: shape factor k_toe = 3 and normalised force at the end of
#: the toe F_toe = 0.33 (Thelen 2003, eq. 5; OpenSim Thelen2003Muscle::calcfse).
TENDON_K_TOE = 3.0
TENDON_F_TOE = 0.33


# --------------------------------------------------------------------------- scalar curves

@njit(cache=True, fastmath=False)
def active_force_length(norm_fiber_length: float, k_shape_active: float) -> float:
    """Active force-length multiplier f_L = exp(-(l~ - 1)^2 / gamma).

    Thelen (2003) eq. 4 with gamma = KshapeActive (gait2392: 0.5; OpenSim default 0.45).
    """
    x = norm_fiber_length - 1.0
    return math.exp(-x * x / k_shape_active)


@njit(cache=True, fastmath=False)
def passive_force_length(norm_fiber_length: float, k_shape_passive: float,
                         fmax_muscle_strain: float) -> float:
    """Passive fibre force multiplier f_PE (Thelen 2003 eq. 3, as OpenSim ``calcfpe``).

    f_PE = (exp(k_PE (l~ - 1) / eps0_M) - 1) / (exp(k_PE) - 1) for l~ > 1, else 0, with
    k_PE = KshapePassive (gait2392: 4) and eps0_M = FmaxMuscleStrain (gait2392: 0.6).
    """
    if norm_fiber_length <= 1.0:
        return 0.0
    return (math.exp(k_shape_passive * (norm_fiber_length - 1.0) / fmax_muscle_strain) - 1.0) \
        / (math.exp(k_shape_passive) - 1.0)


@njit(cache=True, fastmath=False)
def force_velocity(norm_fiber_velocity: float, af: float, flen: float) -> float:
    """Force-velocity multiplier f_V at full activation (Thelen 2003 eqs. 6-7 inverted).

    ``norm_fiber_velocity`` is v_f / (v_max l_opt), positive when lengthening. Thelen's
    relation, with the velocity scale (0.25 + 0.75 a) = 1 at a = 1 and f = f_V:

    * shortening (v <= 0): v = (f - 1) / (1 + f / A_f)  ->  f = (1 + v) / (1 - v / A_f);
      below v = -1 OpenSim continues the curve by its tangent at f = 0,
      v = -1 + f (1 + 1 / A_f), which would give a negative (pushing) force; a fibre
      shortening faster than v_max produces no force here (f = 0).
    * lengthening (v > 0): v = (f - 1)(F_len - 1) / ((2 + 2 / A_f)(F_len - f))
      -> f = (c F_len + F_len - 1) / (c + F_len - 1), c = (2 + 2/A_f) v, up to
      f0 = 0.95 F_len, then the tangent line of v(f) at f0 (OpenSim
      ``fv_linear_extrap_threshold``).

    A_f = Af (gait2392: 0.3), F_len = Flen (gait2392: 1.8).
    """
    v = norm_fiber_velocity
    if v <= 0.0:
        if v <= -1.0:
            return 0.0
        return (1.0 + v) / (1.0 - v / af)
    k = 2.0 + 2.0 / af
    f0 = FV_LINEAR_EXTRAP_THRESHOLD * flen
    # v at the threshold force f0, and dv/df there (derivative of v(f) = (f-1)/b(f),
    # b(f) = k (F_len - f) / (F_len - 1)).
    b0 = k * (flen - f0) / (flen - 1.0)
    v0 = (f0 - 1.0) / b0
    if v < v0:
        c = k * v
        return (c * flen + flen - 1.0) / (c + flen - 1.0)
    db = -k / (flen - 1.0)
    slope = 1.0 / b0 - (f0 - 1.0) / (b0 * b0) * db
    return f0 + (v - v0) / slope


@njit(cache=True, fastmath=False)
def tendon_force_strain(tendon_strain: float, fmax_tendon_strain: float) -> float:
    """Normalised tendon force f_SE (Thelen 2003 eq. 5, as OpenSim ``calcfse``).

    Exponential toe up to eps_toe then linear:
    f = F_toe / (exp(k_toe) - 1) (exp(k_toe eps / eps_toe) - 1) for 0 < eps <= eps_toe,
    f = k_lin (eps - eps_toe) + F_toe above, 0 when slack; k_toe = 3, F_toe = 0.33,
    eps_toe = 99 eps0 e^3 / (166 e^3 - 67) and k_lin = 0.67 / (eps0 - eps_toe) (OpenSim's
    exact forms of Thelen's rounded 0.609 eps0 and 1.712 / eps0), eps0 = FmaxTendonStrain
    (gait2392: 0.033). Not used by the rigid-tendon solver; provided for completeness.
    """
    e3 = math.exp(3.0)
    eps_toe = 99.0 * fmax_tendon_strain * e3 / (166.0 * e3 - 67.0)
    k_lin = 0.67 / (fmax_tendon_strain - eps_toe)
    if tendon_strain > eps_toe:
        return k_lin * (tendon_strain - eps_toe) + TENDON_F_TOE
    if tendon_strain > 0.0:
        return TENDON_F_TOE / (math.exp(TENDON_K_TOE) - 1.0) \
            * (math.exp(TENDON_K_TOE * tendon_strain / eps_toe) - 1.0)
    return 0.0


# --------------------------------------------------------------------------- rigid tendon

@njit(cache=True, fastmath=False)
def _rigid_tendon_muscle(l_mt: float, v_mt: float, f_max: float, l_opt: float, l_ts: float,
                         alpha0: float, v_max: float, k_act: float, k_pas: float,
                         e0_m: float, af: float, flen: float, out: np.ndarray) -> None:
    """Fill ``out`` with (F_active_per_activation, F_passive, cos_alpha, l_f, v_f, f_L, f_V, f_PE).

    Forces are along the tendon (what acts on the bones). Rigid tendon of length l_ts;
    constant-height pennation: l_f cos(alpha) = l_mt - l_ts, l_f sin(alpha) = l_opt sin(alpha0),
    hence v_f = v_mt cos(alpha) (OpenSim Thelen2003Muscle::initMuscleState with a rigid tendon).
    A path shorter than the tendon leaves a slack fibre (cos alpha = 0 along the tendon): no
    force.
    """
    h = l_opt * math.sin(alpha0)
    along = l_mt - l_ts
    if along <= 0.0:
        l_f = h
        cos_a = 0.0
    else:
        l_f = math.sqrt(h * h + along * along)
        cos_a = along / l_f
    v_f = v_mt * cos_a
    ln = l_f / l_opt
    vn = v_f / (v_max * l_opt)
    fl = active_force_length(ln, k_act)
    fv = force_velocity(vn, af, flen)
    fpe = passive_force_length(ln, k_pas, e0_m)
    out[0] = f_max * fl * fv * cos_a
    out[1] = f_max * fpe * cos_a
    out[2] = cos_a
    out[3] = l_f
    out[4] = v_f
    out[5] = fl
    out[6] = fv
    out[7] = fpe


@njit(cache=True, nogil=True)
def _rigid_tendon_batch(l_mt, v_mt, f_max, l_opt, l_ts, alpha0, v_max, k_act, k_pas, e0_m,
                        af, flen, out):
    # Serial on purpose: ~50 ns per muscle and frame, and a parallel kernel would cost
    # seconds of extra compilation on a cold start.
    n_frames, n_mus = l_mt.shape
    for f in range(n_frames):
        for i in range(n_mus):
            _rigid_tendon_muscle(l_mt[f, i], v_mt[f, i], f_max[i], l_opt[i], l_ts[i],
                                 alpha0[i], v_max[i], k_act[i], k_pas[i], e0_m[i], af[i],
                                 flen[i], out[f, i])


class RigidTendonState(NamedTuple):
    """Per-frame, per-muscle rigid-tendon Thelen quantities, arrays (n_frames, n_muscles).

    ``active_force_per_activation`` is F0 f_L f_V cos(alpha) (N along the tendon at a = 1),
    ``passive_force`` is F0 f_PE cos(alpha) (N along the tendon), fibre length (m) and
    velocity (m/s, positive lengthening), and the three normalised curve values.
    """

    active_force_per_activation: np.ndarray
    passive_force: np.ndarray
    cos_pennation: np.ndarray
    fiber_length: np.ndarray
    fiber_velocity: np.ndarray
    active_force_length: np.ndarray
    force_velocity: np.ndarray
    passive_force_length: np.ndarray


def rigid_tendon_state(muscle_tendon_lengths: np.ndarray, lengthening_velocities: np.ndarray,
                       max_isometric_forces: np.ndarray, optimal_fiber_lengths: np.ndarray,
                       tendon_slack_lengths: np.ndarray, pennation_angles: np.ndarray,
                       max_contraction_velocities: np.ndarray, k_shape_active: np.ndarray,
                       k_shape_passive: np.ndarray, fmax_muscle_strain: np.ndarray,
                       af: np.ndarray, flen: np.ndarray) -> RigidTendonState:
    """Evaluate the rigid-tendon Thelen (2003) muscle for many frames.

    ``muscle_tendon_lengths`` and ``lengthening_velocities`` are (n_frames, n_muscles) in m and
    m/s; the parameter arrays are (n_muscles,), ``max_contraction_velocities`` in optimal fibre
    lengths per second, ``pennation_angles`` in radians. See the module docstring for sources.
    """
    lmt = np.ascontiguousarray(np.atleast_2d(muscle_tendon_lengths), dtype=np.float64)
    vmt = np.ascontiguousarray(np.broadcast_to(lengthening_velocities, lmt.shape),
                               dtype=np.float64)
    params = [np.ascontiguousarray(np.broadcast_to(p, lmt.shape[1:]), dtype=np.float64)
              for p in (max_isometric_forces, optimal_fiber_lengths, tendon_slack_lengths,
                        pennation_angles, max_contraction_velocities, k_shape_active,
                        k_shape_passive, fmax_muscle_strain, af, flen)]
    out = np.empty(lmt.shape + (8,), dtype=np.float64)
    _rigid_tendon_batch(lmt, vmt, *params, out)
    return RigidTendonState(*(np.ascontiguousarray(out[..., k]) for k in range(8)))
