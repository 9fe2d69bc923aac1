"""Numba kernels of the static-optimisation solver (dual semismooth Newton).

Problem per frame (activations a in [0, 1]^n, reserves R in R^m)::

    minimise   sum_i w_i a_i^p + sum_j c_j R_j^2
    subject to sum_i M_ij a_i + R_j = b_j            (j = 1..m)

``M_ij`` is the moment about coordinate j of muscle i at full activation (moment arm times
force per unit activation), ``b`` the generalized forces minus the passive muscle moments,
``c_j = w_R / R_opt^2`` the reserve cost. This is OpenSim's StaticOptimization (Anderson &
Pandy 2001) with p = 2 and reserve actuators of optimal force R_opt.

The problem is separable in a and R, so its Lagrangian dual in the m multipliers lambda is
smooth and strongly concave (the reserves add -lambda_j^2 / (4 c_j))::

    g_i = (M^T lambda)_i,  a_i(lambda) = clip((max(g_i, 0) / (p w_i))^(1/(p-1)), 0, 1),
    R_j(lambda) = lambda_j / (2 c_j),
    d(lambda) = b.lambda + sum_i (w_i a_i^p - g_i a_i) - sum_j lambda_j^2 / (4 c_j),
    grad d = b - M^T a - R   (the primal equality residual).

We maximise d with a (semismooth) Newton method: the generalized Hessian is
-(sum_i D_i M_i M_i^T + diag(1 / (2 c))), D_i = da_i/dg_i (0 on a bound), an m x m SPD
system solved by Cholesky, with an Armijo backtracking line search on d. For p = 2 the dual
is piecewise quadratic and the iteration ends once the active set is right: the last step
is an exact active-set solve, so the residual falls to rounding level. Each frame starts
from the previous frame's multipliers within a fixed-size chunk; chunks are independent and
run in parallel, so results do not depend on the number of threads.

Arrays are flat float64: ``M`` is (n_frames, n_muscles, m) (muscle-major, like moment arms),
``b`` (n_frames, m), ``w`` (n_muscles,), ``c`` (m,).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# Status codes written per frame.
CONVERGED = 0
MAX_ITERATIONS = 1
LINE_SEARCH_FAILED = 2


@njit(cache=True, fastmath=False)
def _activation(g: float, q: float, lin: float, p: float, power: bool):
    """Return (a, da/dg) minimising cost(a) - g a over a in [0, 1].

    cost(a) = q a^2 + lin a when ``power`` is false, q a^p (q = w) when it is true.
    """
    if not power:
        a = (g - lin) / (2.0 * q)
        if a <= 0.0:
            return 0.0, 0.0
        if a >= 1.0:
            return 1.0, 0.0
        return a, 1.0 / (2.0 * q)
    if g <= 0.0:
        return 0.0, 0.0
    a = (g / (p * q)) ** (1.0 / (p - 1.0))
    if a >= 1.0:
        return 1.0, 0.0
    return a, a / ((p - 1.0) * g)


@njit(cache=True, fastmath=False)
def _evaluate(M, b, q, lin, c, p, power, lam, a, deriv, R, r):
    """Fill a, deriv, R and the residual r for multipliers lam; return (dual value, max|r|)."""
    n, m = M.shape
    dual = 0.0
    for j in range(m):
        R[j] = lam[j] / (2.0 * c[j])
        r[j] = b[j] - R[j]
        dual += b[j] * lam[j] - lam[j] * lam[j] / (4.0 * c[j])
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * lam[j]
        ai, di = _activation(g, q[i], lin[i], p, power)
        a[i] = ai
        deriv[i] = di
        if ai > 0.0:
            if power:
                dual += q[i] * ai ** p - g * ai
            else:
                dual += (q[i] * ai + lin[i] - g) * ai
            for j in range(m):
                r[j] -= M[i, j] * ai
    rmax = 0.0
    for j in range(m):
        if abs(r[j]) > rmax:
            rmax = abs(r[j])
    return dual, rmax


@njit(cache=True, fastmath=False)
def _newton_direction(M, c, deriv, r, H, d):
    """Solve (sum_i D_i M_i M_i^T + diag(1/(2c))) d = r by Cholesky, in place in H."""
    n, m = M.shape
    for j in range(m):
        for k in range(m):
            H[j, k] = 0.0
        H[j, j] = 1.0 / (2.0 * c[j])
    for i in range(n):
        di = deriv[i]
        if di > 0.0:
            for j in range(m):
                s = di * M[i, j]
                for k in range(j + 1):
                    H[j, k] += s * M[i, k]
    # Cholesky H = L L^T (lower triangle), always SPD thanks to the reserve term.
    for j in range(m):
        s = H[j, j]
        for k in range(j):
            s -= H[j, k] * H[j, k]
        ljj = math.sqrt(s)
        H[j, j] = ljj
        for i in range(j + 1, m):
            s = H[i, j]
            for k in range(j):
                s -= H[i, k] * H[j, k]
            H[i, j] = s / ljj
    for j in range(m):
        s = r[j]
        for k in range(j):
            s -= H[j, k] * d[k]
        d[j] = s / H[j, j]
    for j in range(m - 1, -1, -1):
        s = d[j]
        for k in range(j + 1, m):
            s -= H[k, j] * d[k]
        d[j] = s / H[j, j]


@njit(cache=True, fastmath=False)
def solve_dual(M, b, q, lin, c, p, power, lam, a, R, tol, max_iter, work):
    """Dual semismooth Newton for one frame, in place (lam: warm start in, multipliers out).

    Cost q a^2 + lin a per muscle (``power`` false) or q a^p (``power`` true, 1 < p <= 2).
    Uses work[0 : 3n + m(m+5)]. Returns (status, iterations, max |residual|).
    """
    n, m = M.shape
    deriv = work[:n]
    a_t = work[n:2 * n]
    deriv_t = work[2 * n:3 * n]
    o = 3 * n
    r = work[o:o + m]
    d = work[o + m:o + 2 * m]
    lam_t = work[o + 2 * m:o + 3 * m]
    r_t = work[o + 3 * m:o + 4 * m]
    R_t = work[o + 4 * m:o + 5 * m]
    H = work[o + 5 * m:o + 5 * m + m * m].reshape((m, m))
    dual, rmax = _evaluate(M, b, q, lin, c, p, power, lam, a, deriv, R, r)
    it = 0
    status = MAX_ITERATIONS
    while True:
        if rmax <= tol:
            status = CONVERGED
            break
        if it >= max_iter:
            break
        it += 1
        _newton_direction(M, c, deriv, r, H, d)
        slope = 0.0
        for j in range(m):
            slope += r[j] * d[j]
        t = 1.0
        accepted = False
        for _ in range(60):
            for j in range(m):
                lam_t[j] = lam[j] + t * d[j]
            dual_t, rmax_t = _evaluate(M, b, q, lin, c, p, power, lam_t, a_t, deriv_t,
                                       R_t, r_t)
            # Armijo on the concave dual; the rounding allowance lets the final exact step
            # through when the dual is flat to machine precision.
            if dual_t >= dual + 1e-4 * t * slope - 1e-13 * (abs(dual) + 1.0) or rmax_t <= tol:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            status = LINE_SEARCH_FAILED
            break
        for j in range(m):
            lam[j] = lam_t[j]
            R[j] = R_t[j]
            r[j] = r_t[j]
        for i in range(n):
            a[i] = a_t[i]
            deriv[i] = deriv_t[i]
        dual = dual_t
        rmax = rmax_t
    return status, it, rmax


@njit(cache=True, fastmath=False)
def _primal_objective(M, b, w, c, p, a, r):
    """sum w a^p + sum c R^2 with the reserves R = b - M^T a (filled into r)."""
    n, m = M.shape
    for j in range(m):
        r[j] = b[j]
    f = 0.0
    for i in range(n):
        ai = a[i]
        if ai > 0.0:
            f += w[i] * ai ** p
            for j in range(m):
                r[j] -= M[i, j] * ai
    for j in range(m):
        f += c[j] * r[j] * r[j]
    return f


@njit(cache=True, fastmath=False)
def solve_sqp(M, b, w, c, p, lam, a, R, tol, max_iter, work):
    """p > 2: sequential quadratic programming on the primal, each step a p = 2 dual solve.

    With the reserves eliminated (R = b - M^T a) the problem is a smooth convex
    minimisation over the box [0, 1]^n. Each step minimises the second-order model of
    w a^p about the current a (curvature taken at max(a, a_dual(g)), the activation the
    current multipliers ask for, so that a muscle about to switch on is not modelled as
    free of cost) subject to the box, by :func:`solve_dual`, followed by an Armijo
    search on the true objective. The dual of w a^p has unbounded curvature where a muscle
    switches on when p > 2, which is why the pure dual Newton is not used here.
    """
    n, m = M.shape
    # Runtime booleans (not literals) so that numba compiles one specialisation per callee.
    power = p > 0.0
    quadratic = p < 0.0
    o = 3 * n + m * (m + 5)
    q = work[o:o + n]
    lin = work[o + n:o + 2 * n]
    a_qp = work[o + 2 * n:o + 3 * n]
    a_t = work[o + 3 * n:o + 4 * n]
    r = work[o + 4 * n:o + 4 * n + m]
    # Start from the activations the warm-start multipliers ask for.
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * lam[j]
        a[i], _ = _activation(g, w[i], 0.0, p, power)
    f = _primal_objective(M, b, w, c, p, a, r)
    for j in range(m):
        lam[j] = 2.0 * c[j] * r[j]
    status = MAX_ITERATIONS
    it = 0
    while it < max_iter:
        it += 1
        for i in range(n):
            g = 0.0
            for j in range(m):
                g += M[i, j] * lam[j]
            ad, _ = _activation(g, w[i], 0.0, p, power)
            aref = max(a[i], ad, 1e-9)
            h = p * (p - 1.0) * w[i] * aref ** (p - 2.0)
            q[i] = 0.5 * h
            lin[i] = p * w[i] * a[i] ** (p - 1.0) - h * a[i]
        st, _, _ = solve_dual(M, b, q, lin, c, 2.0, quadratic, lam, a_qp, R, tol * 1e-3,
                              max_iter, work)
        step = 0.0
        for i in range(n):
            step = max(step, abs(a_qp[i] - a[i]))
        if step <= 1e-12:
            status = CONVERGED
            break
        # Directional derivative of the true objective along a_qp - a.
        slope0 = 0.0
        for i in range(n):
            gi = 0.0
            for j in range(m):
                gi += M[i, j] * 2.0 * c[j] * r[j]
            slope0 += (p * w[i] * a[i] ** (p - 1.0) - gi) * (a_qp[i] - a[i])
        t = 1.0
        accepted = False
        for _ in range(60):
            for i in range(n):
                a_t[i] = a[i] + t * (a_qp[i] - a[i])
            f_t = _primal_objective(M, b, w, c, p, a_t, R)
            if f_t <= f + 1e-4 * t * slope0 + 1e-13 * (abs(f) + 1.0):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            status = LINE_SEARCH_FAILED
            break
        for i in range(n):
            a[i] = a_t[i]
        f = _primal_objective(M, b, w, c, p, a, r)
        for j in range(m):
            lam[j] = 2.0 * c[j] * r[j]
    f = _primal_objective(M, b, w, c, p, a, r)
    rmax = 0.0
    for j in range(m):
        R[j] = r[j]
        lam[j] = 2.0 * c[j] * r[j]
    # Recompute the equality residual explicitly (rounding only, R was eliminated).
    for j in range(m):
        s = b[j] - R[j]
        for i in range(n):
            s -= M[i, j] * a[i]
        rmax = max(rmax, abs(s))
    return status, it, rmax


@njit(cache=True, fastmath=False)
def unbounded_start(M, b, w, c, lam, work):
    """Multipliers of the p = 2 problem without activation bounds (a cold start).

    With every muscle free, a = M lambda / (2 w) and the dual optimum solves
    (sum_i M_i M_i^T / (2 w_i) + diag(1/(2c))) lambda = b.
    """
    n, m = M.shape
    deriv = work[:n]
    o = 3 * n
    H = work[o + 5 * m:o + 5 * m + m * m].reshape((m, m))
    for i in range(n):
        deriv[i] = 1.0 / (2.0 * w[i])
    _newton_direction(M, c, deriv, b, H, lam)


@njit(cache=True, nogil=True)
def solve_range_dual(M, b, w, c, p, chunk, first, last, tol, max_iter, warm, lam0,
                     a_out, R_out, lam_out, status_out, iter_out, resid_out):
    """Solve frames first..last-1 (1 < p <= 2) by :func:`solve_dual`, chunk by chunk.

    ``first`` is a multiple of ``chunk``. Within a chunk each frame is warm-started from the
    previous frame's multipliers; the first frame of a chunk starts from ``lam0[f]`` when
    ``warm`` is true, else from the unbounded p = 2 solution. Chunk boundaries depend only on
    ``chunk``, so splitting a batch into ranges across threads cannot change any result.
    """
    n_frames, n, m = M.shape
    work = np.empty(8 * n + m * (m + 6))
    lin = np.zeros(n)
    lam = np.empty(m)
    power = p != 2.0
    for f in range(first, last):
        if f % chunk == 0:
            if warm:
                for j in range(m):
                    lam[j] = lam0[f, j]
            else:
                unbounded_start(M[f], b[f], w, c, lam, work)
        st, it, res = solve_dual(M[f], b[f], w, lin, c, p, power, lam, a_out[f], R_out[f],
                                 tol, max_iter, work)
        for j in range(m):
            lam_out[f, j] = lam[j]
        status_out[f] = st
        iter_out[f] = it
        resid_out[f] = res


@njit(cache=True, nogil=True)
def solve_range_sqp(M, b, w, c, p, chunk, first, last, tol, max_iter, warm, lam0,
                    a_out, R_out, lam_out, status_out, iter_out, resid_out):
    """As :func:`solve_range_dual` for p > 2, each frame by :func:`solve_sqp`.

    A separate kernel so that the default criterion (p = 2) compiles only what it uses.
    """
    n_frames, n, m = M.shape
    work = np.empty(8 * n + m * (m + 6))
    lam = np.empty(m)
    for f in range(first, last):
        if f % chunk == 0:
            if warm:
                for j in range(m):
                    lam[j] = lam0[f, j]
            else:
                unbounded_start(M[f], b[f], w, c, lam, work)
        st, it, res = solve_sqp(M[f], b[f], w, c, p, lam, a_out[f], R_out[f], tol,
                                max_iter, work)
        for j in range(m):
            lam_out[f, j] = lam[j]
        status_out[f] = st
        iter_out[f] = it
        resid_out[f] = res
