"""Static optimisation: the muscle activations that produce given joint moments.

Per frame, activations a_i in [0, 1] and one reserve R_j per selected coordinate solve::

    minimise   sum_i w_i a_i^p + sum_j (R_j / R_opt_j)^2
    subject to sum_i r_ij(q) F_i(a_i) + R_j = tau_j

with F_i(a) = a F0_i f_L f_V cos(alpha) + F0_i f_PE cos(alpha) (rigid tendon, Thelen 2003
curves: :mod:`hipsim.muscles.thelen`) or F_i(a) = a F0_i with ``physiology=False``.

Sources: Anderson FC & Pandy MG (2001) Static and dynamic optimization solutions for gait
are practically equivalent, *J Biomech* 34:153-161 (the static problem); OpenSim
``StaticOptimization`` (p = 2 by default, sum of activations to the power p, reserve
actuators with an optimal force, force per unit activation from
``calcInextensibleTendonActiveFiberForce(s, 1.0)``); Crowninshield RD & Brand RA (1981) A
physiologically based criterion of muscle force prediction in locomotion, *J Biomech*
14:793-801 (p = 3; with unit weights and physiology off, a^3 is their cubed stress up to a
constant because F0 is proportional to the cross-sectional area); Rasmussen J, Damsgaard M
& Voigt M (2001) Muscle recruitment by the min/max criterion, *J Biomech* 34:409-415.

Differences from OpenSim's StaticOptimization, on purpose: the passive fibre force is
applied (OpenSim overrides the whole muscle force with a F_opt, so passive force is
ignored; pass ``passive=False`` for that behaviour); the reserves cost (R/R_opt)^2 whatever
the exponent (OpenSim uses |R/R_opt|^p), which keeps every frame's dual smooth; the
force-velocity multiplier of a fibre shortening faster than v_max is 0, not OpenSim's
negative linear extrapolation; activations may reach 0 (OpenSim's Thelen2003Muscle holds them at
0.01 or more). ``passive=False, min_activation=0.01`` with every non-pelvis coordinate selected
poses OpenSim's problem and gives OpenSim's muscle forces (tests/test_static_optimization_opensim.py).
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from hipsim.errors import input_error, is_real, is_whole
from hipsim.optimize import _kernels

#: Coordinates selected by default: hip, knee and ankle of both legs (gait2392 names).
DEFAULT_COORDINATES: tuple[str, ...] = (
    "hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r",
    "hip_flexion_l", "hip_adduction_l", "hip_rotation_l", "knee_angle_l", "ankle_angle_l",
)

#: Frames per unit of parallel work. Every frame is solved on its own from the same cold
#: start, so neither this value nor the thread count changes any result.
CHUNK = 64

STATUS_MESSAGES = {
    _kernels.CONVERGED: "converged",
    _kernels.MAX_ITERATIONS: "iteration limit reached",
    _kernels.LINE_SEARCH_FAILED: "line search failed",
    _kernels.NOT_VERIFIED: "stopped at a point that fails the optimality check",
}


class SolverStatus(NamedTuple):
    """Per-frame solver report, arrays (n_frames,).

    ``converged`` is true only where the returned point passed the solver's check (bounds,
    moment equations and KKT conditions, below) and the moment residual recomputed from the
    returned forces is within tolerance. ``code`` is 0 when converged, 1 at the iteration
    limit, 2 when the line search failed, 4 when the method stopped at a point that fails the
    check. ``max_residual`` is the largest |sum_i r_ij F_i + R_j - tau_j| in N·m (SI moment
    units of the coordinate), recomputed from the returned forces and reserves.
    ``bound_violation`` is how far the solver's last iterate lay outside the activation
    bounds before it was projected onto them (the returned activations are always within
    them; converged needs <= 1e-12). ``kkt_residual`` is the largest violation of the KKT
    conditions, with multipliers 2 R / R_opt^2 implied by the returned reserves, relative to
    the size of the objective's gradient (converged needs <= 1e-8 plus the moment tolerance
    carried through the multipliers; see ``hipsim.optimize._kernels.verify``; for ``"minmax"``,
    solved by HiGHS, both are 0 and ``code`` is HiGHS's success). Where the
    muscles cannot produce the moments, the reserves carry the rest: that is the solution of
    the posed problem, and it is reported converged, with the reserves saying how much.
    """

    converged: np.ndarray
    iterations: np.ndarray
    max_residual: np.ndarray
    code: np.ndarray
    bound_violation: np.ndarray
    kkt_residual: np.ndarray


@dataclass(frozen=True)
class StaticOptimizationResult:
    """Solution of :func:`static_optimization`; arrays have n_frames rows.

    ``muscle_forces`` (= ``tendon_forces``, rigid tendon) is the force along the tendon that
    acts on the bones, N; ``fiber_forces`` the force in the fibres (divided by cos(alpha)).
    Muscles that cross none of the selected coordinates (``participating`` false) keep a = 0
    and only their passive force. ``reserves`` are the reserve generalized forces (N·m),
    ``multipliers`` the Lagrange multipliers of the moment equations (objective units per
    N·m), ``objective`` the per-frame criterion value including reserve costs (for ``"minmax"``:
    max_i w_i a_i only).
    """

    activations: np.ndarray
    muscle_forces: np.ndarray
    fiber_forces: np.ndarray
    tendon_forces: np.ndarray
    passive_forces: np.ndarray
    reserves: np.ndarray
    multipliers: np.ndarray
    objective: np.ndarray
    status: SolverStatus
    muscle_names: tuple[str, ...]
    coordinate_names: tuple[str, ...]
    participating: np.ndarray
    exponent: float | str


# --------------------------------------------------------------------------- array level

_EXECUTOR: ThreadPoolExecutor | None = None


def _thread_count() -> int:
    try:
        import numba
        return max(1, int(numba.get_num_threads()))
    except Exception:  # pragma: no cover - numba always present
        return max(1, os.cpu_count() or 1)


def solve_arrays(moments: np.ndarray, rhs: np.ndarray, weights: np.ndarray,
                 reserve_cost: np.ndarray, exponent: float = 2.0, *, chunk: int = CHUNK,
                 tolerance: float = 1e-9, max_iterations: int = 100,
                 initial_multipliers: np.ndarray | None = None,
                 threads: int | None = None, linear: np.ndarray | None = None,
                 min_activation: float = 0.0) -> dict[str, np.ndarray]:
    """Solve many frames of min sum w a^p + sum c R^2 s.t. moments^T a + R = rhs, a0 <= a <= 1.

    ``moments`` (n_frames, n_muscles, n_coords): moment about each coordinate at full
    activation, N·m; ``rhs`` (n_frames, n_coords); ``weights`` (n_muscles,) > 0;
    ``reserve_cost`` (n_coords,) > 0 (c = 1 / R_opt^2); ``exponent`` >= 1.5 (caller checks).
    Every frame is solved independently from the same cold start (or from
    ``initial_multipliers``, (n_coords,) or (n_frames, n_coords)); frames are spread over
    ``threads`` threads (default: numba's thread count) in groups of ``chunk``; a frame's
    result depends on neither. ``linear`` (n_muscles,) adds sum linear_i a_i to the cost and
    ``min_activation`` a0 (0 <= a0 < 1) raises the lower bound (exponent 2 only).
    Returns a dict of arrays: activations, reserves, multipliers, code, iterations,
    max_residual, bound_violation, kkt_residual (see :class:`SolverStatus`; the three
    residuals are those of the solver's own check, in the solver's variables).
    """
    M = np.ascontiguousarray(moments, dtype=np.float64)
    b = np.ascontiguousarray(rhs, dtype=np.float64)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    c = np.ascontiguousarray(reserve_cost, dtype=np.float64)
    n_frames, n, m = M.shape
    p = float(exponent)
    if linear is None:
        lin = np.zeros(n)
    else:
        lin = np.ascontiguousarray(_finite_array("linear", linear))
        if lin.shape != (n,):
            raise input_error("argument", "linear.shape", lin.shape, f"one value per muscle, shape ({n},), is required")
        if p != 2.0 and np.any(lin):
            raise input_error("argument", "linear", "non-zero", f"a linear cost term needs exponent 2 (got {p:g})")
    a0 = float(min_activation)
    if not 0.0 <= a0 < 1.0:
        raise input_error("argument", "min_activation", min_activation,
                          "a number from 0 up to (not including) 1 is required")
    if a0 > 0.0:
        if p != 2.0:
            raise input_error("argument", "min_activation", min_activation,
                              f"a minimum activation needs exponent 2 (got {p:g}); use 0 with other criteria")
        # a = a0 + s v with v in [0, 1], s = 1 - a0: the same equations in v, and
        # w a^2 + lin a = w s^2 v^2 + (2 w a0 + lin) s v + const, a box QP the kernels solve as
        # it is (a0 = 0 leaves the problem exactly as posed).
        s = 1.0 - a0
        b = np.ascontiguousarray(b - a0 * M.sum(axis=1))
        M = M * s
        lin = (2.0 * w * a0 + lin) * s
        w = w * s * s
    a = np.zeros((n_frames, n))
    R = np.zeros((n_frames, m))
    lam = np.zeros((n_frames, m))
    code = np.zeros(n_frames, dtype=np.int64)
    its = np.zeros(n_frames, dtype=np.int64)
    res = np.zeros(n_frames)
    bound = np.zeros(n_frames)
    kkt = np.zeros(n_frames)
    warm = initial_multipliers is not None
    lam0 = (np.ascontiguousarray(np.broadcast_to(initial_multipliers, (n_frames, m)), dtype=np.float64)
            if initial_multipliers is not None else np.zeros((1, m)))

    def run(first: int, last: int) -> None:
        if p == 2.0:
            _kernels.solve_range_dual(M, b, w, lin, c, first, last, tolerance, max_iterations, warm,
                                      lam0, a, R, lam, code, its, res, bound, kkt)
        else:
            _kernels.solve_range_sqp(M, b, w, c, p, first, last, tolerance, max_iterations, warm, lam0,
                                     a, R, lam, code, its, res, bound, kkt)

    chunk = max(1, int(chunk))
    n_chunks = (n_frames + chunk - 1) // chunk
    n_threads = min(threads or _thread_count(), n_chunks)
    if n_threads <= 1 or n_frames == 0:
        if n_frames:
            run(0, n_frames)
    else:
        # Contiguous groups of whole chunks; the kernels release the GIL (nogil=True).
        global _EXECUTOR
        if _EXECUTOR is None or _EXECUTOR._max_workers < n_threads:  # noqa: SLF001
            _EXECUTOR = ThreadPoolExecutor(max_workers=n_threads,
                                           thread_name_prefix="hipsim-so")
        bounds = np.linspace(0, n_chunks, n_threads + 1).round().astype(int) * chunk
        futures = [_EXECUTOR.submit(run, int(bounds[k]), int(min(bounds[k + 1], n_frames)))
                   for k in range(n_threads) if bounds[k] < n_frames]
        for fut in futures:
            fut.result()
    if a0 > 0.0:
        # Back to activations; the clip only absorbs rounding of a0 + s * 1.
        a = np.clip(a0 + (1.0 - a0) * a, a0, 1.0)
        bound *= 1.0 - a0
    return {"activations": a, "reserves": R, "multipliers": lam, "code": code,
            "iterations": its, "max_residual": res, "bound_violation": bound, "kkt_residual": kkt}


# --------------------------------------------------------------------------- validation

def _finite_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise input_error("argument", name, value, "an array of numbers is required") from None
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        idx = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
        raise input_error("argument", f"{name}[{', '.join(map(str, idx))}]", float(bad),
                          "finite numbers are required (no NaN or infinity)")
    return arr


def _frames(name: str, value: Any, width: int, what: str) -> np.ndarray:
    arr = _finite_array(name, value)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise input_error("argument", f"{name}.shape", tuple(np.shape(value)),
                          f"an array of shape (n_frames, {width}) or ({width},) is required "
                          f"({what})")
    return arr


#: Largest |q| accepted for a rotational coordinate (rad): two full turns either way, far
#: beyond any joint's motion, so that only a wrong unit or a corrupt value is refused.
MAX_ANGLE_RAD = 4.0 * math.pi
#: Largest |q| accepted for a translational coordinate (m).
MAX_TRANSLATION_M = 1000.0


def _coordinate_limits(model: Any, names: tuple[str, ...]) -> np.ndarray:
    """|q| limit of each coordinate: MAX_TRANSLATION_M for the model's translational
    coordinates, MAX_ANGLE_RAD for the others (a model without a spec: all rotational)."""
    limit = np.full(len(names), MAX_ANGLE_RAD)
    for joint in getattr(getattr(model, "spec", None), "joints", ()):
        for coord in getattr(joint, "coordinates", ()):
            if getattr(coord, "motion", "rotational") == "translational" and coord.name in names:
                limit[names.index(coord.name)] = MAX_TRANSLATION_M
    return limit


def _check_pose_envelope(model: Any, names: tuple[str, ...], qa: np.ndarray) -> None:
    limit = _coordinate_limits(model, names)
    out = np.abs(qa) > limit
    if out.any():
        f, k = (int(v) for v in np.argwhere(out)[0])
        unit = "m" if limit[k] == MAX_TRANSLATION_M else "rad"
        raise input_error("argument", f"q[{f}, {k}] ({names[k]})", float(qa[f, k]),
                          f"a value within ±{limit[k]:.4g} {unit} is required (radians for angles, "
                          "metres for translations)")


def _select_coordinates(model: Any, coordinates: Sequence[str] | None) -> list[int]:
    names = tuple(model.coordinate_names)
    if coordinates is None:
        chosen = [c for c in DEFAULT_COORDINATES if c in names]
        if not chosen:
            raise input_error("argument", "coordinates", None,
                              "the model has none of the default coordinates "
                              f"{', '.join(DEFAULT_COORDINATES)}; name them explicitly")
        return [names.index(c) for c in chosen]
    if isinstance(coordinates, str):
        coordinates = [coordinates]
    idx: list[int] = []
    for c in coordinates:
        if c not in names:
            raise input_error("argument", "coordinates", c,
                              f"a coordinate of the model is required ({', '.join(names)})")
        k = names.index(c)
        if k in idx:
            raise input_error("argument", "coordinates", c, "each coordinate may appear once")
        idx.append(k)
    if not idx:
        raise input_error("argument", "coordinates", list(coordinates),
                          "at least one coordinate is required")
    return idx


def _muscle_weights(model: Any, weights: Any, n_muscles: int) -> np.ndarray:
    if weights is None:
        return np.ones(n_muscles)
    if isinstance(weights, Mapping):
        out = np.ones(n_muscles)
        for key, val in weights.items():
            try:
                k = _muscle_index(model, key)
            except (KeyError, ValueError, IndexError):
                raise input_error("argument", "weights", key,
                                  "muscle names or aliases of the model are required") from None
            v = _finite_array(f"weights[{key!r}]", val)
            if v.ndim != 0:
                raise input_error("argument", f"weights[{key!r}]", val, "a number is required")
            out[k] = float(v)
    else:
        out = _finite_array("weights", weights)
        if out.shape != (n_muscles,):
            raise input_error("argument", "weights.shape", out.shape,
                              f"one weight per muscle of the model, shape ({n_muscles},), "
                              "or a mapping name -> weight is required")
        out = out.copy()
    if np.any(out <= 0.0):
        k = int(np.argmin(out))
        raise input_error("argument", f"weights[{model.muscle_names[k]!r}]", float(out[k]),
                          "weights must be greater than zero")
    return out


def _muscle_index(model: Any, key: str) -> int:
    if hasattr(model, "muscle_index"):
        return int(model.muscle_index(key))
    names = list(model.muscle_names)
    return names.index(key)


def volume_weights(model: Any) -> np.ndarray:
    """Per-muscle weights proportional to muscle volume, F0 * l_opt, scaled to mean 1.

    Volume = PCSA * l_opt and PCSA = F0 / sigma (one specific tension for all muscles), so
    F0 * l_opt is proportional to volume. Weighting a_i^p by volume is one of the criteria
    compared by Happee (1994) and used in OpenSim-based studies; it is offered here for
    comparison, not as a default.
    """
    v = np.asarray(model.max_isometric_forces, float) * np.asarray(model.optimal_fiber_lengths,
                                                                    float)
    return v / v.mean()


def _parse_exponent(exponent: Any) -> float | str:
    if isinstance(exponent, str):
        if exponent.lower() in ("minmax", "min/max", "min-max"):
            return "minmax"
        raise input_error("argument", "exponent", exponent,
                          "a number >= 1.5 or 'minmax' is required")
    try:
        p = float(exponent)
    except (TypeError, ValueError):
        raise input_error("argument", "exponent", exponent,
                          "a number >= 1.5 or 'minmax' is required") from None
    if not math.isfinite(p) or p < 1.5:
        raise input_error("argument", "exponent", exponent,
                          "a finite number >= 1.5 or 'minmax' is required")
    return p


# --------------------------------------------------------------------------- public API

def static_optimization(model: Any, q: Any, tau: Any, coordinates: Sequence[str] | None = None,
                        qdot: Any = None, exponent: float | str = 2, physiology: bool = True,
                        weights: Any = None, reserve_optimal_force: Any = 1.0, *,
                        passive: bool = True, min_activation: float = 0.0, tolerance: float = 1e-9,
                        max_iterations: int = 100,
                        threads: int | None = None,
                        opensim_millard_pennation: bool = False) -> StaticOptimizationResult:
    """Muscle activations and forces that produce the generalized forces ``tau``.

    Parameters
    ----------
    model
        A hipsim model (``hipsim.load_model``): names, muscle parameters, ``crossing``,
        ``muscle_lengths``, ``moment_arms`` and ``lengthening_velocities``.
    q, qdot
        Coordinates (rad or m) and their speeds, shape (n_frames, n_coordinates) or
        (n_coordinates,), in ``model.coordinate_names`` order; ``qdot`` None means at rest.
    tau
        Generalized forces to produce (N·m), OpenSim sign convention (what inverse dynamics
        reports), shape (n_frames, n_selected) in ``coordinates`` order or
        (n_frames, n_coordinates) in model order.
    coordinates
        Names of the coordinates whose moment equations are imposed; default hip, knee and
        ankle of both legs (:data:`DEFAULT_COORDINATES`). Every muscle crossing one of them
        takes part and is held to all of them (two-joint muscles included).
    exponent
        p in sum w_i a_i^p: 2 (OpenSim's default), 3 (Crowninshield & Brand 1981), any
        p >= 1.5; or ``"minmax"`` (Rasmussen et al. 2001, solved as a linear program).
    physiology
        True: F = a F0 f_L f_V cos(alpha) + passive with a rigid tendon, each muscle with its own
        curves (Thelen 2003, or Millard et al. 2013 for a model's Millard muscles:
        :meth:`hipsim.Model.rigid_tendon_state`); False: F = a F0.
    weights
        Per-muscle weights w_i > 0: None (all 1), an array in model muscle order, or a
        mapping name/alias -> weight (others 1). See :func:`volume_weights`.
    reserve_optimal_force
        R_opt (N·m), scalar or one per selected coordinate; a reserve costs (R/R_opt)^2, so
        the default 1 N·m makes 1 N·m of reserve as costly as one fully active muscle.
    passive
        Apply passive fibre forces (physiology only). False reproduces OpenSim, which
        ignores them.
    min_activation
        Lower bound of every taking-part muscle's activation, 0 <= value < 1 (exponent 2
        only). Default 0. OpenSim's StaticOptimization bounds each activation by the muscle's
        ``min_control``, which its Thelen2003Muscle holds at no less than its
        ``minimum_activation`` of 0.01, so every muscle of gait2392 is at least 1 % active
        there; 0.01 with ``passive=False`` and every non-pelvis coordinate selected reproduces
        OpenSim's solution.
    tolerance, max_iterations, threads
        Stopping tolerance of the Newton/SQP iterations (N·m; ``status.converged`` accepts
        moment residuals up to max(tolerance, 1e-6) N·m or their rounding, and needs the
        solver's check of bounds and KKT conditions: see :class:`SolverStatus`), iteration
        limit per frame and method (the dual Newton or the SQP; a fallback active-set method
        gets max_iterations + 3 n steps, a final primal Newton polish max_iterations), threads
        (default numba's thread count). Every frame is solved on its own: a frame gives the
        same bits alone or in a batch, with any thread count. None of the three applies to
        ``"minmax"``, which is solved as a linear program (HiGHS).
    opensim_millard_pennation
        For Millard muscles, take the pennation angle from the normalised fibre length as
        OpenSim 4.6's StaticOptimization does (its ``calcInextensibleTendonActiveFiberForce``),
        to pose OpenSim's own problem; False (default) uses the muscle's own pennation angle.

    Raises
    ------
    hipsim.errors.InputError
        NaN or infinite inputs, a coordinate beyond ±4π rad (±1000 m for a translation),
        unknown coordinate or muscle names, mismatched shapes, bad exponent, weights or
        reserve forces: raised before any solving; a pose at which the model's muscle forces
        are not finite: raised after the muscle geometry, before solving.

    Zero frames (q of shape (0, n_coordinates)) give a result with zero rows.
    """
    p = _parse_exponent(exponent)
    coord_names = tuple(model.coordinate_names)
    muscle_names = tuple(model.muscle_names)
    n_coords, n_mus = len(coord_names), len(muscle_names)
    sel = _select_coordinates(model, coordinates)
    qa = _frames("q", q, n_coords, "one value per model coordinate")
    _check_pose_envelope(model, coord_names, qa)
    n_frames = qa.shape[0]
    if qdot is None:
        qd = np.zeros_like(qa)
    else:
        qd = _frames("qdot", qdot, n_coords, "one value per model coordinate")
        if qd.shape != qa.shape:
            raise input_error("argument", "qdot.shape", qd.shape,
                              f"the shape of q, {qa.shape}, is required")
    ta = _finite_array("tau", tau)
    if ta.ndim == 1:
        ta = ta[None, :]
    if ta.ndim == 2 and ta.shape[0] == n_frames and ta.shape[1] == len(sel):
        pass
    elif ta.ndim == 2 and ta.shape[0] == n_frames and ta.shape[1] == n_coords:
        ta = ta[:, sel]
    else:
        raise input_error("argument", "tau.shape", tuple(np.shape(tau)),
                          f"shape ({n_frames}, {len(sel)}) for the selected coordinates or "
                          f"({n_frames}, {n_coords}) for all model coordinates is required")
    w_all = _muscle_weights(model, weights, n_mus)
    r_opt = _finite_array("reserve_optimal_force", reserve_optimal_force)
    if r_opt.ndim == 0:
        r_opt = np.full(len(sel), float(r_opt))
    if r_opt.shape != (len(sel),) or np.any(r_opt <= 0.0):
        raise input_error("argument", "reserve_optimal_force", reserve_optimal_force,
                          f"a number > 0 or {len(sel)} numbers > 0 (one per selected "
                          "coordinate) is required")
    if not (is_real(tolerance) and tolerance > 0):
        raise input_error("argument", "tolerance", tolerance, "a number > 0 is required")
    if not (is_whole(max_iterations) and max_iterations >= 1):
        raise input_error("argument", "max_iterations", max_iterations, "a whole number >= 1 is required")
    if threads is not None and not (is_whole(threads) and threads >= 1):
        raise input_error("argument", "threads", threads, "None or a whole number >= 1 is required")
    if not (is_real(min_activation) and 0.0 <= min_activation < 1.0):
        raise input_error("argument", "min_activation", min_activation,
                          "a number from 0 up to (not including) 1 is required")
    a0 = float(min_activation)
    if a0 > 0.0 and p != 2.0:
        raise input_error("argument", "min_activation", min_activation,
                          f"a minimum activation needs exponent 2 (got {p!r}); use 0 with other criteria")

    # ---- geometry and muscle state (model engine), then the compiled solver.
    posed = pose_problem(model, qa, qd, sel, physiology=physiology, passive=passive,
                         opensim_millard_pennation=opensim_millard_pennation)
    return solve_posed(posed, ta, w_all, r_opt, p, tolerance=tolerance, max_iterations=int(max_iterations),
                       threads=threads, min_activation=a0)


@dataclass(frozen=True)
class PosedProblem:
    """Static optimisation's problem at given poses, before any solving: the muscles' moment arms
    about the selected coordinates (``arms``, (n_frames, n_muscles, n_selected), zero where a muscle
    does not cross), the tendon force per unit activation (``f_act``), the passive force
    (``f_pas``) and the cosine of pennation (``cos_a``), each (n_frames, n_muscles), and which
    muscles take part. A model differing only in maximum isometric forces poses the same problem
    with ``f_act`` scaled per muscle (:meth:`with_force_scale`): the force-length-velocity curves
    are normalised by F0."""

    model: Any
    q: np.ndarray
    arms: np.ndarray
    f_act: np.ndarray
    f_pas: np.ndarray
    cos_a: np.ndarray
    participating: np.ndarray
    coordinate_names: tuple[str, ...]
    #: The rigid-tendon muscle state the forces came from (:meth:`hipsim.Model.rigid_tendon_state`;
    #: None without physiology or in a stacked problem): fibre lengths and velocities for metrics.
    state: Any = None

    def with_force_scale(self, scale: np.ndarray) -> "PosedProblem":
        """The problem with every frame's maximum isometric forces times ``scale``, one factor per
        muscle (n_muscles,) or per frame and muscle (n_frames, n_muscles)."""
        return dataclasses.replace(self, f_act=self.f_act * scale, f_pas=self.f_pas * scale)

    @staticmethod
    def stack(parts: Sequence["PosedProblem"]) -> "PosedProblem":
        """One problem with the frames of ``parts`` (same model and coordinates) one after another."""
        first = parts[0]
        def cat(k: str) -> np.ndarray:
            return np.concatenate([getattr(x, k) for x in parts])
        return dataclasses.replace(first, q=cat("q"), arms=cat("arms"), f_act=cat("f_act"), f_pas=cat("f_pas"),
                                   cos_a=cat("cos_a"), state=None)


def pose_problem(model: Any, qa: np.ndarray, qd: np.ndarray, sel: Sequence[int] | np.ndarray, physiology: bool = True,
                 passive: bool = True, opensim_millard_pennation: bool = False) -> PosedProblem:
    """The :class:`PosedProblem` of :func:`static_optimization` at poses ``qa`` moving at ``qd``
    (validated (n_frames, n_coordinates) arrays) for the coordinates ``sel`` (indices)."""
    n_frames = qa.shape[0]
    n_mus, n_coords = len(model.muscle_names), len(model.coordinate_names)
    crossing = np.asarray(model.crossing, dtype=bool)
    sel = list(sel)
    part = np.asarray(crossing[:, sel].any(axis=1))
    # One pass over the poses gives lengths and moment arms; dL/dt = -(arms . qdot).
    lmt_all, arms_all = model.lengths_and_moment_arms(qa)
    arms_all = np.asarray(arms_all, dtype=np.float64).reshape(n_frames, n_mus, n_coords)
    # Topology decides: a muscle has no moment about a coordinate it does not cross.
    arms = arms_all[:, :, sel] * crossing[:, sel]
    f0 = np.asarray(model.max_isometric_forces, dtype=np.float64)
    if physiology:
        lmt = np.asarray(lmt_all, dtype=np.float64).reshape(n_frames, n_mus)
        vmt = -np.einsum("fmc,fc->fm", arms_all, np.asarray(qd, dtype=np.float64).reshape(n_frames, n_coords))
        st = model.rigid_tendon_state(lmt, vmt, opensim_static_optimization=opensim_millard_pennation)
        f_act = st.active_force_per_activation
        f_pas = st.passive_force if passive else np.zeros_like(f_act)
        cos_a = st.cos_pennation
    else:
        st = None
        f_act = np.broadcast_to(f0, (n_frames, n_mus))
        f_pas = np.zeros((n_frames, n_mus))
        cos_a = np.ones((n_frames, n_mus))
    names = tuple(model.coordinate_names)
    return PosedProblem(model, qa, arms, f_act, f_pas, cos_a, part, tuple(names[k] for k in sel), st)


def solve_posed(posed: PosedProblem, ta: np.ndarray, w_all: np.ndarray, r_opt: np.ndarray, p: float | str, *,
                tolerance: float = 1e-9, max_iterations: int = 100, threads: int | None = None,
                min_activation: float = 0.0) -> StaticOptimizationResult:
    """Solve a :class:`PosedProblem` for the generalized forces ``ta`` (n_frames, n_selected):
    the solving half of :func:`static_optimization` (its arguments already checked there)."""
    model, qa = posed.model, posed.q
    arms, f_act, f_pas, cos_a, part = posed.arms, posed.f_act, posed.f_pas, posed.cos_a, posed.participating
    n_frames, n_mus = f_act.shape
    coord_names = tuple(model.coordinate_names)
    rhs = ta - np.einsum("fij,fi->fj", arms, f_pas)
    idx = np.flatnonzero(part)
    moments = arms[:, idx, :] * f_act[:, idx, None]
    finite = (np.isfinite(moments).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=1)
              & np.isfinite(f_pas).all(axis=1) & np.isfinite(cos_a).all(axis=1))
    if not finite.all():
        # Name the frame's coordinate farthest out relative to its envelope: the likely culprit.
        f = int(np.flatnonzero(~finite)[0])
        k = int(np.argmax(np.abs(qa[f]) / _coordinate_limits(model, coord_names)))
        raise input_error("argument", f"q[{f}, {k}] ({coord_names[k]})", float(qa[f, k]),
                          "a pose at which the model's muscles have finite lengths, moment arms and forces "
                          "is required (check the coordinate values and units)")
    w = w_all[idx]
    cost = 1.0 / r_opt ** 2

    if isinstance(p, str):  # "minmax"
        from hipsim.optimize.minmax import solve_minmax
        sol = solve_minmax(moments, rhs, w, r_opt)
    else:
        sol = solve_arrays(moments, rhs, w, cost, p, tolerance=tolerance, max_iterations=int(max_iterations),
                           threads=threads, min_activation=min_activation)

    acts = np.zeros((n_frames, n_mus))
    acts[:, idx] = sol["activations"]
    tendon = acts * f_act + f_pas
    with np.errstate(divide="ignore", invalid="ignore"):
        fiber = np.where(cos_a > 0.0, tendon / np.where(cos_a > 0.0, cos_a, 1.0), 0.0)
    R = sol["reserves"]
    if p == "minmax":
        objective = np.max(sol["activations"] * w, axis=1, initial=0.0)
    else:
        objective = (np.sum(w * sol["activations"] ** p, axis=1)
                     + np.sum(cost * R ** 2, axis=1))
    # Residual recomputed here from the returned forces, independent of the kernel's report;
    # accepted up to max(tolerance, 1e-6 N·m) or the rounding of the moments being summed.
    muscle_moments = np.einsum("fij,fi->fj", arms, tendon)
    resid = np.abs(muscle_moments + R - ta).max(axis=1, initial=0.0)
    rounding = 1e-12 * (np.abs(np.einsum("fij,fi->fj", np.abs(arms), np.abs(tendon)))
                        + np.abs(R) + np.abs(ta)).max(axis=1, initial=0.0)
    code = sol["code"]
    kkt = sol.get("kkt_residual", np.zeros(n_frames))
    bound = sol.get("bound_violation", np.zeros(n_frames))
    status = SolverStatus(converged=(code == 0) & (resid <= np.maximum(max(tolerance, 1e-6), rounding)),
                          iterations=sol["iterations"], max_residual=resid, code=code,
                          bound_violation=bound, kkt_residual=kkt)
    return StaticOptimizationResult(
        activations=acts, muscle_forces=tendon, fiber_forces=fiber, tendon_forces=tendon,
        passive_forces=f_pas, reserves=R, multipliers=sol["multipliers"],
        objective=objective, status=status, muscle_names=tuple(model.muscle_names),
        coordinate_names=posed.coordinate_names, participating=part, exponent=p)
