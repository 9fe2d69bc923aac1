"""Min/max muscle recruitment (Rasmussen, Damsgaard & Voigt 2001, J Biomech 34:409-415).

Per frame: minimise the largest weighted activation t = max_i w_i a_i subject to the moment
equations, with reserves. Solved as a linear program with scipy's HiGHS
(``scipy.optimize.linprog``), one frame at a time: this criterion is offered for comparison
and is not performance-critical.

LP variables [a (n), t, R+ (m), R- (m)], all >= 0, a <= 1::

    minimise  t + eps * sum_i a_i + kappa * sum_j (R+_j + R-_j) / R_opt_j
    s.t.      moments^T a + R+ - R- = rhs,   w_i a_i - t <= 0

Rasmussen et al. note that min/max alone leaves the sub-maximal muscles undetermined and
add a small linear term; ``eps`` = 1e-6 plays that role (the least total activation among
the min/max solutions). Reserves cost kappa = 1e3 per R_opt, so they are used only where the
muscles cannot produce the moments; they are always reported.
"""
from __future__ import annotations

import numpy as np

EPS_SUM = 1e-6
KAPPA_RESERVE = 1e3


def solve_minmax(moments: np.ndarray, rhs: np.ndarray, weights: np.ndarray,
                 reserve_optimal_force: np.ndarray) -> dict[str, np.ndarray]:
    """Min/max activations for every frame; same dict layout as ``solve_arrays``.

    ``multipliers`` are HiGHS's equality marginals (sensitivity of the LP objective to rhs).
    """
    from scipy.optimize import linprog

    n_frames, n, m = moments.shape
    acts = np.zeros((n_frames, n))
    res_out = np.zeros((n_frames, m))
    lam = np.zeros((n_frames, m))
    code = np.zeros(n_frames, dtype=np.int64)
    its = np.zeros(n_frames, dtype=np.int64)
    resid = np.zeros(n_frames)
    cost = np.concatenate([np.full(n, EPS_SUM), [1.0], KAPPA_RESERVE / reserve_optimal_force,
                           KAPPA_RESERVE / reserve_optimal_force])
    a_ub = np.hstack([np.diag(weights), -np.ones((n, 1)), np.zeros((n, 2 * m))])
    b_ub = np.zeros(n)
    bounds = [(0.0, 1.0)] * n + [(0.0, None)] * (1 + 2 * m)
    for f in range(n_frames):
        a_eq = np.hstack([moments[f].T, np.zeros((m, 1)), np.eye(m), -np.eye(m)])
        sol = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=rhs[f], bounds=bounds,
                      method="highs")
        if sol.x is None:  # pragma: no cover - reserves make every frame feasible
            code[f] = 1
            continue
        x = sol.x
        acts[f] = np.clip(x[:n], 0.0, 1.0)
        res_out[f] = rhs[f] - moments[f].T @ acts[f]
        lam[f] = getattr(getattr(sol, "eqlin", None), "marginals", np.zeros(m))
        code[f] = 0 if sol.status == 0 else 1
        its[f] = int(getattr(sol, "nit", 0))
        resid[f] = float(np.max(np.abs(moments[f].T @ acts[f] + res_out[f] - rhs[f]),
                                initial=0.0))
    return {"activations": acts, "reserves": res_out, "multipliers": lam, "code": code,
            "iterations": its, "max_residual": resid}
