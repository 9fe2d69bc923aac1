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
is an exact active-set solve, so the residual falls to rounding level.

Every frame is solved on its own, from the same cold start (the multipliers of the problem
without activation bounds, or the caller's ``lam0``), so a frame's result does not depend on
the other frames of the batch, on how the batch is split between threads, or on the thread
count: a frame solved alone and in a batch is bit-identical. (Warm starts from the previous
frame saved about one Newton step per frame, but made a frame's answer depend on its
neighbours to within the stopping tolerance.)

Guards and verification, after each frame:

* ``b_j`` smaller than :data:`TINY` times the frame's moment scale is treated as exactly 0
  (a 1e-209 N·m target beside 100 N·m ones): it changes no moment sum by more than 1e-14 of
  its rounding, and it keeps subnormal numbers out of the multipliers.
* :func:`verify` projects the activations onto the box, recomputes the reserves as
  R = b - M^T a (so the moment equations hold with the reported reserves to rounding) and the
  multipliers as lambda = 2 c R, and checks the bounds, the moment equations and the KKT
  conditions to stated tolerances. Only a frame that passes is reported converged.
* A p = 2 frame that fails goes to the primal active-set method
  (:func:`solve_active_set`), which terminates in finitely many steps; p != 2 frames go
  from the dual Newton (p < 2) to the SQP (:func:`solve_sqp`).

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
HANDOVER = 3  # internal: p < 2 dual Newton gives way to the SQP
NOT_VERIFIED = 4  # the method stopped, but its point fails :func:`verify`
STALLED = 5  # internal: the dual residual stopped falling (rounding floor reached)

#: Components of b below TINY times the frame's moment scale are treated as exactly zero.
TINY = 1e-30
#: Largest distance of the solver's last iterate outside the box [0, 1] accepted as rounding.
BOUND_TOL = 1e-12
#: KKT tolerance, relative to the gradient scale max_i max(|(M lambda)_i|, cost_i'(1)).
KKT_TOL = 1e-8
#: p != 2 frames with a relative KKT residual above this get the primal Newton polish even
#: when they pass: with p = 3 the small activations are so weakly determined that a KKT
#: residual of 5e-8 left them 1e-4 from the optimum (and dependent on the starting point).
POLISH_BELOW = 1e-12


@njit(cache=True, fastmath=False, error_model="numpy")
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


@njit(cache=True, fastmath=False, error_model="numpy")
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


@njit(cache=True, fastmath=False, error_model="numpy")
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
        s0 = H[j, j]
        s = s0
        for k in range(j):
            s -= H[j, k] * H[j, k]
        # Guard against cancellation when some D_i are huge (p > 2 near a = 0).
        ljj = math.sqrt(max(s, 1e-14 * s0))
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


@njit(cache=True, fastmath=False, error_model="numpy")
def _moment_scale(M, b):
    """Largest sum |b_j| + sum_i |M_ij| over the moment equations: the size below which a residual
    is rounding of the moments being summed."""
    scale = 0.0
    for j in range(M.shape[1]):
        s = abs(b[j])
        for i in range(M.shape[0]):
            s += abs(M[i, j])
        scale = max(scale, s)
    return scale


@njit(cache=True, fastmath=False, error_model="numpy")
def _max_residual(M, b, a, R):
    """Largest |b_j - R_j - sum_i M_ij a_i|: the moment equations' residual, recomputed explicitly."""
    rmax = 0.0
    for j in range(M.shape[1]):
        s = b[j] - R[j]
        for i in range(M.shape[0]):
            s -= M[i, j] * a[i]
        rmax = max(rmax, abs(s))
    return rmax


@njit(cache=True, fastmath=False, error_model="numpy")
def solve_active_set(M, b, q, lin, c, lam, a, R, tol, max_iter, work):
    """Primal active-set method for the quadratic case (cost q a^2 + lin a), in place.

    The safeguarded twin of the semismooth Newton step: with the reserves eliminated the
    problem is a strictly convex QP over the box [0, 1]^n. Each iteration solves the
    subspace problem with the working set of muscles held at their bounds (the same m x m
    system as a Newton step), then either moves towards that solution up to the first bound
    it meets (which joins the working set) or, if it is inside the box, releases the bound
    whose multiplier has the wrong sign (Nocedal & Wright 2006, Algorithm 16.3). The
    objective decreases monotonically and the method ends in finitely many steps; the last
    subspace solve is exact. ``a`` must hold a point of the box on entry.
    Uses work[0 : 3n + m(m+5)]. Returns (status, iterations, max |residual|).
    """
    n, m = M.shape
    deriv = work[:n]
    target = work[n:2 * n]
    fixed = work[2 * n:3 * n]  # 0 free, 1 held at 0, 2 held at 1
    o = 3 * n
    rhs = work[o:o + m]
    H = work[o + 5 * m:o + 5 * m + m * m].reshape((m, m))
    for i in range(n):
        if not a[i] > 0.0:  # also NaN: start from the bound
            a[i] = 0.0
            fixed[i] = 1.0
        elif a[i] >= 1.0:
            a[i] = 1.0
            fixed[i] = 2.0
        else:
            fixed[i] = 0.0
    status = MAX_ITERATIONS
    it = 0
    while it < max_iter:
        it += 1
        for j in range(m):
            rhs[j] = b[j]
        for i in range(n):
            if fixed[i] == 0.0:
                deriv[i] = 1.0 / (2.0 * q[i])
                for j in range(m):
                    rhs[j] += M[i, j] * lin[i] * deriv[i]
            else:
                deriv[i] = 0.0
                if fixed[i] == 2.0:
                    for j in range(m):
                        rhs[j] -= M[i, j]
        _newton_direction(M, c, deriv, rhs, H, lam)
        alpha = 1.0
        block = -1
        for i in range(n):
            if fixed[i] == 0.0:
                g = 0.0
                for j in range(m):
                    g += M[i, j] * lam[j]
                t = (g - lin[i]) / (2.0 * q[i])
                target[i] = t
                # a[i] is inside [0, 1] (held there below), so each ratio is finite and in
                # [0, 1): a free activation a hair below 0 once divided 0 by 0 here.
                if t < 0.0:
                    al = a[i] / (a[i] - t)
                    if al < alpha:
                        alpha = al
                        block = i
                elif t > 1.0:
                    al = (1.0 - a[i]) / (t - a[i])
                    if al < alpha:
                        alpha = al
                        block = i
        if block >= 0:
            for i in range(n):
                if fixed[i] == 0.0:
                    a[i] = min(max(a[i] + alpha * (target[i] - a[i]), 0.0), 1.0)
            if target[block] < 0.0:
                a[block] = 0.0
                fixed[block] = 1.0
            else:
                a[block] = 1.0
                fixed[block] = 2.0
            continue
        for i in range(n):
            if fixed[i] == 0.0:
                a[i] = target[i]
        # Multipliers of the held bounds: release the most wrongly signed one, if it is
        # wrong by more than rounding of the gradient (relative 1e-13: far below KKT_TOL).
        worst = 0.0
        gscale = 0.0
        release = -1
        for i in range(n):
            if fixed[i] != 0.0:
                g = 0.0
                for j in range(m):
                    g += M[i, j] * lam[j]
                if fixed[i] == 1.0:
                    v = g - lin[i]
                else:
                    v = 2.0 * q[i] + lin[i] - g
                if v > worst:
                    worst = v
                    release = i
            else:
                g = 2.0 * q[i] * target[i] + lin[i]
            gscale = max(gscale, abs(g), abs(2.0 * q[i] + lin[i]))
        if worst <= 1e-13 * gscale:
            release = -1
        if release < 0:
            status = CONVERGED
            break
        fixed[release] = 0.0
    for j in range(m):
        R[j] = lam[j] / (2.0 * c[j])
    return status, it, _max_residual(M, b, a, R)


@njit(cache=True, fastmath=False, error_model="numpy")
def solve_dual(M, b, q, lin, c, p, power, lam, a, R, tol, max_iter, work):
    """Dual semismooth Newton for one frame, in place (lam: warm start in, multipliers out).

    Cost q a^2 + lin a per muscle (``power`` false) or q a^p (``power`` true, 1 < p <= 2).
    Uses work[0 : 3n + m(m+5)]. Converged when max |residual| <= max(tol, 1e-12 scale),
    scale = max_j (|b_j| + sum_i |M_ij|), the rounding floor of the moment sums. Stops as
    STALLED when three full steps in a row do not halve the residual: the multipliers have
    reached their rounding floor (large multipliers of an ill-conditioned frame); the
    quadratic case then finishes with :func:`solve_active_set`. Returns (status, iterations,
    max |residual|).
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
    # The residual cannot be resolved below rounding of the moments being summed.
    scale = _moment_scale(M, b)
    tol = max(tol, 1e-12 * scale)
    dual, rmax = _evaluate(M, b, q, lin, c, p, power, lam, a, deriv, R, r)
    it = 0
    stall = 0
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
        if t < 1.0 and not power:
            # The active set predicted by the current point is far off (a long way to go,
            # many muscles switching): finish with the monotone primal active-set method
            # from the current activations, which terminates finitely.
            st2, it2, rmax2 = solve_active_set(M, b, q, lin, c, lam, a, R, tol,
                                               max_iter + 10 * n, work)
            return st2, it + it2, rmax2
        if t < 1.0 and it > 8:
            # p < 2 and still far after several steps: the caller hands over to the SQP,
            # whose subproblems use the active-set method (always converges).
            status = HANDOVER
            break
        for j in range(m):
            lam[j] = lam_t[j]
            R[j] = R_t[j]
            r[j] = r_t[j]
        for i in range(n):
            a[i] = a_t[i]
            deriv[i] = deriv_t[i]
        dual = dual_t
        stall = stall + 1 if (t == 1.0 and rmax_t > 0.5 * rmax) else 0
        rmax = rmax_t
        if stall >= 3 and rmax > tol:
            if not power:
                # Quadratic: the active-set method finishes exactly (as after a cut step).
                st2, it2, rmax2 = solve_active_set(M, b, q, lin, c, lam, a, R, tol,
                                                   max_iter + 10 * n, work)
                return st2, it + it2, rmax2
            status = STALLED
            break
    return status, it, rmax


@njit(cache=True, fastmath=False, error_model="numpy")
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


@njit(cache=True, fastmath=False, error_model="numpy")
def _bound_kkt(a, grad):
    """KKT violation of one activation on the box [0, 1] for the Lagrangian gradient ``grad``: at
    the lower bound the gradient must not be negative, at the upper bound not positive, inside zero."""
    if a <= 0.0:
        return -grad
    if a >= 1.0:
        return grad
    return abs(grad)


@njit(cache=True, fastmath=False, error_model="numpy")
def _kkt_violation(M, w, c, p, a, r):
    """Largest KKT violation of a (cost w a^p) with multipliers 2 c r, r the reserves."""
    n, m = M.shape
    viol = 0.0
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * 2.0 * c[j] * r[j]
        viol = max(viol, _bound_kkt(a[i], p * w[i] * a[i] ** (p - 1.0) - g))
    return viol


#: Smallest activation at which the SQP model takes the curvature of w a^p (p > 2), whose
#: true curvature vanishes at a = 0. Muscles below it converge linearly, but their share of
#: the objective gradient is below w p A_FLOOR^(p-1). For p < 2 the curvature grows as a
#: falls, and a floor this high made the model far too flat for muscles at 1e-6 (the SQP
#: crept at KKT 1e-6 for 1,000 steps): there the floor is 1e-12.
A_FLOOR = 1e-3


@njit(cache=True, fastmath=False, error_model="numpy")
def solve_sqp(M, b, w, c, p, lam, a, R, tol, max_iter, work):
    """p > 2: sequential quadratic programming on the primal, each step a p = 2 solve.

    With the reserves eliminated (R = b - M^T a) the problem is a smooth convex
    minimisation over the box [0, 1]^n. Each step minimises the second-order model of
    w a^p about the current a subject to the box (by :func:`solve_dual`); the curvature is
    taken at max(a, a_dual(g), A_FLOOR), a_dual being the activation the current
    multipliers ask for, so that a muscle about to switch on is not modelled as free of
    cost. An Armijo search on the true objective follows. The pure dual Newton is not used
    for p > 2 because the dual's curvature is unbounded where a muscle switches on.
    Converged when the KKT conditions hold to 1e-10 relative (reduced gradient zero inside
    the box, of the right sign on a bound).
    """
    n, m = M.shape
    power = p > 0.0   # runtime booleans: one specialisation per callee
    quadratic = p < 0.0
    o = 3 * n + m * (m + 5)
    q = work[o:o + n]
    lin = work[o + n:o + 2 * n]
    a_qp = work[o + 2 * n:o + 3 * n]
    a_t = work[o + 3 * n:o + 4 * n]
    r = work[o + 4 * n:o + 4 * n + m]
    lam_qp = work[o + 4 * n + m:o + 4 * n + 2 * m]
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * lam[j]
        a[i], _ = _activation(g, w[i], 0.0, p, power)
    f = _primal_objective(M, b, w, c, p, a, r)
    # Rounding floor of the reduced gradient: residual rounding (1e-12 scale) carried
    # through lambda = 2 c R and g = M lambda.
    scale = 0.0
    for j in range(m):
        sj = abs(b[j])
        for i in range(n):
            sj += abs(M[i, j])
        scale = max(scale, sj)
    gfloor = 0.0
    for i in range(n):
        si = 0.0
        for j in range(m):
            si += abs(M[i, j]) * 2.0 * c[j]
        gfloor = max(gfloor, si)
    gfloor *= 1e-12 * scale
    status = MAX_ITERATIONS
    it = 0
    last_move = 1.0
    stalled = False
    while True:
        for j in range(m):
            lam[j] = 2.0 * c[j] * r[j]
        # KKT check and the model for the next step.
        viol = 0.0
        gmax = 0.0
        for i in range(n):
            g = 0.0
            for j in range(m):
                g += M[i, j] * lam[j]
            gmax = max(gmax, abs(g), p * w[i])
            viol = max(viol, _bound_kkt(a[i], p * w[i] * a[i] ** (p - 1.0) - g))
            ad, _ = _activation(g, w[i], 0.0, p, power)
            aref = max(a[i], ad, A_FLOOR if p > 2.0 else 1e-12)
            h = p * (p - 1.0) * w[i] * aref ** (p - 2.0)
            q[i] = 0.5 * h
            lin[i] = p * w[i] * a[i] ** (p - 1.0) - h * a[i]
        # Also converged when the objective has stopped falling (a step gained less than
        # rounding) with the KKT conditions met to KKT_TOL: for p < 2 a muscle at a tiny
        # activation (1e-5) sits where w a^p is steep, and its activation can go on moving at
        # no gain (seen with p = 1.5, 27 muscles: KKT 4e-9 after 1,000 steps, never 1e-10).
        # The caller's check (verify) and primal_polish take it from there.
        if viol <= 1e-10 * gmax + gfloor or ((last_move <= 1e-15 or stalled) and viol <= KKT_TOL * gmax):
            status = CONVERGED
            break
        if it >= max_iter:
            break
        it += 1
        for i in range(n):
            a_qp[i] = a[i]
        for j in range(m):
            lam_qp[j] = lam[j]
        # Each subproblem to its rounding floor (tolerance 0): a subproblem solved only to the
        # moment tolerance leaves a gradient error of 2 c M tol, which the SQP cannot get under.
        st, _, _ = solve_dual(M, b, q, lin, c, 2.0, quadratic, lam_qp, a_qp, R, 0.0,
                              max_iter + 10 * n, work)
        # An inexact subproblem solution is still a usable direction when it descends.
        slope0 = 0.0
        for i in range(n):
            g = 0.0
            for j in range(m):
                g += M[i, j] * lam[j]
            slope0 += (p * w[i] * a[i] ** (p - 1.0) - g) * (a_qp[i] - a[i])
        if slope0 >= 0.0:
            # No descent left: optimal to rounding when the KKT violation is small.
            if viol <= KKT_TOL * gmax + gfloor:
                status = CONVERGED
            else:
                status = LINE_SEARCH_FAILED if st == CONVERGED else st
            break
        t = 1.0
        accepted = False
        for _ in range(60):
            for i in range(n):
                a_t[i] = a[i] + t * (a_qp[i] - a[i])
            f_t = _primal_objective(M, b, w, c, p, a_t, R)
            if f_t <= f + 1e-4 * t * slope0 + 1e-14 * (abs(f) + 1.0):
                accepted = True
                break
            # Where the objective changes by rounding only (tiny activations beside large
            # reserve costs), a step is still progress when it lowers the KKT violation.
            if abs(f_t - f) <= 1e-12 * (abs(f) + 1.0) and _kkt_violation(M, w, c, p, a_t, R) < viol:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            status = CONVERGED if viol <= KKT_TOL * gmax + gfloor else LINE_SEARCH_FAILED
            break
        last_move = 0.0
        for i in range(n):
            last_move = max(last_move, abs(a_t[i] - a[i]))
            a[i] = a_t[i]
        f_old = f
        f = _primal_objective(M, b, w, c, p, a, r)
        stalled = f_old - f <= 1e-15 * (abs(f) + 1.0)
    for j in range(m):
        R[j] = r[j]
        lam[j] = 2.0 * c[j] * r[j]
    # Equality residual recomputed explicitly (rounding only: R was eliminated).
    return status, it, _max_residual(M, b, a, R)


@njit(cache=True, fastmath=False, error_model="numpy")
def unbounded_start(M, b, w, lin, c, lam, work):
    """Multipliers of the quadratic problem (cost w a^2 + lin a) without activation bounds
    (a cold start).

    With every muscle free, a = (M lambda - lin) / (2 w) and the dual optimum solves
    (sum_i M_i M_i^T / (2 w_i) + diag(1/(2c))) lambda = b + sum_i M_i lin_i / (2 w_i).
    """
    n, m = M.shape
    deriv = work[:n]
    o = 3 * n
    rhs = work[o:o + m]
    H = work[o + 5 * m:o + 5 * m + m * m].reshape((m, m))
    for j in range(m):
        rhs[j] = b[j]
    for i in range(n):
        deriv[i] = 1.0 / (2.0 * w[i])
        if lin[i] != 0.0:
            for j in range(m):
                rhs[j] += M[i, j] * lin[i] * deriv[i]
    _newton_direction(M, c, deriv, rhs, H, lam)


@njit(cache=True, fastmath=False, error_model="numpy")
def _gradient(M, b, q, lin, c, p, power, a, R, G):
    """Reserves R = b - M^T a, reduced gradient G of the objective (R eliminated), objective
    value and KKT violation at a (cost q a^2 + lin a, or q a^p when ``power``)."""
    n, m = M.shape
    for j in range(m):
        R[j] = b[j]
    for i in range(n):
        if a[i] != 0.0:
            for j in range(m):
                R[j] -= M[i, j] * a[i]
    f = 0.0
    for j in range(m):
        f += c[j] * R[j] * R[j]
    viol = 0.0
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * 2.0 * c[j] * R[j]
        ai = a[i]
        if power:
            f += q[i] * ai ** p
            G[i] = p * q[i] * ai ** (p - 1.0) - g
        else:
            f += (q[i] * ai + lin[i]) * ai
            G[i] = 2.0 * q[i] * ai + lin[i] - g
        if ai <= 0.0:
            v = -G[i]
        elif ai >= 1.0:
            v = G[i]
        else:
            v = abs(G[i])
        viol = max(viol, v)
    return f, viol


@njit(cache=True, fastmath=False, error_model="numpy")
def primal_polish(M, b, q, lin, c, p, power, a, R, max_steps, work):
    """Newton steps on the primal (reserves eliminated) over the muscles strictly inside the
    box, the others held; in place on a (inside the box) and R.

    The dual methods compute a_i from the multipliers as (M lambda)_i / (2 q_i): where a
    muscle's curvature q_i is tiny beside that of the reserves (p > 2 near a = 0), rounding of
    lambda is multiplied by |M_i| / q_i and the gradient cannot be resolved. Here each step
    solves (diag(h) + 2 M_F C M_F^T) delta = -G for a correction delta, by the Woodbury
    identity through the same m x m system as a Newton step, so rounding is relative to the
    gradient G, which shrinks as the point converges. A step is kept when it lowers the
    objective, or leaves it equal to rounding and lowers the KKT violation. Uses
    work[0 : 6n + m(m+5)]. Returns the number of steps taken.
    """
    n, m = M.shape
    deriv = work[:n]
    G = work[n:2 * n]
    a_t = work[2 * n:3 * n]
    o = 3 * n
    rhs = work[o:o + m]
    y = work[o + m:o + 2 * m]
    R_t = work[o + 2 * m:o + 3 * m]
    H = work[o + 5 * m:o + 5 * m + m * m].reshape((m, m))
    G_t = work[o + 5 * m + m * m:o + 5 * m + m * m + n]
    held = work[o + 5 * m + m * m + n:o + 5 * m + m * m + 2 * n]
    step = work[o + 5 * m + m * m + 2 * n:o + 5 * m + m * m + 3 * n]
    f, viol = _gradient(M, b, q, lin, c, p, power, a, R, G)
    steps = 0
    while steps < max_steps and viol > 0.0:
        steps += 1
        any_free = False
        for i in range(n):
            deriv[i] = 0.0
            # Free: inside the box, or on a bound the gradient pulls it off (for p > 2 a
            # muscle at 0 with a tiny pull g has a* = (g / p w)^(1/(p-1)), far from 0).
            if 0.0 < a[i] < 1.0 or (a[i] <= 0.0 and G[i] < 0.0) or (a[i] >= 1.0 and G[i] > 0.0):
                if power:
                    # Curvature where the gradient asks the muscle to be, as in solve_sqp.
                    ad, _ = _activation(p * q[i] * a[i] ** (p - 1.0) - G[i], q[i], 0.0, p, True)
                    aref = max(a[i], ad)
                    h = p * (p - 1.0) * q[i] * aref ** (p - 2.0) if aref > 0.0 else 0.0
                else:
                    h = 2.0 * q[i]
                if h > 0.0 and h < math.inf:
                    deriv[i] = 1.0 / h
                    any_free = True
        if not any_free:
            break
        # Newton step of the free muscles; a muscle whose step leaves the box is sent to that
        # bound instead (step[i] = bound - a[i], held) and the others' step solved again with
        # its move, until every free step stays inside (a primal active-set Newton step).
        for i in range(n):
            held[i] = 0.0
            step[i] = 0.0
        for _ in range(n + 1):
            for j in range(m):
                u = 0.0
                for i in range(n):
                    if held[i] != 0.0:
                        u += M[i, j] * step[i]
                rhs[j] = 2.0 * c[j] * u  # moved held muscles change every gradient by M_i . 2 c u
            for i in range(n):
                if deriv[i] > 0.0:
                    gi = G[i]
                    for j in range(m):
                        gi += M[i, j] * rhs[j]
                    G_t[i] = gi  # effective gradient, kept for the step below
            for j in range(m):
                s = 0.0
                for i in range(n):
                    if deriv[i] > 0.0:
                        s += M[i, j] * G_t[i] * deriv[i]
                y[j] = s
            for j in range(m):
                rhs[j] = y[j]
            _newton_direction(M, c, deriv, rhs, H, y)
            leaves = False
            for i in range(n):
                if deriv[i] > 0.0:
                    my = 0.0
                    for j in range(m):
                        my += M[i, j] * y[j]
                    step[i] = -(G_t[i] - my) * deriv[i]
                    if a[i] + step[i] < 0.0 or a[i] + step[i] > 1.0:
                        held[i] = 1.0
                        step[i] = (0.0 if a[i] + step[i] < 0.0 else 1.0) - a[i]
                        deriv[i] = 0.0
                        leaves = True
            if not leaves:
                break
        t = 1.0
        accepted = False
        for _ in range(30):
            for i in range(n):
                a_t[i] = min(max(a[i] + t * step[i], 0.0), 1.0)
            f_t, viol_t = _gradient(M, b, q, lin, c, p, power, a_t, R_t, G_t)
            if f_t < f - 1e-15 * abs(f) or (abs(f_t - f) <= 1e-12 * (abs(f) + 1.0) and viol_t < viol):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        for i in range(n):
            a[i] = a_t[i]
            G[i] = G_t[i]
        for j in range(m):
            R[j] = R_t[j]
        f = f_t
        viol = viol_t
    return steps


@njit(cache=True, fastmath=False, error_model="numpy")
def guard_tiny(M, b, bz):
    """Copy b into bz with components below TINY times the moment scale set to exactly 0;
    return the moment scale max_j (|b_j| + sum_i |M_ij|)."""
    scale = _moment_scale(M, b)
    cut = TINY * scale
    for j in range(b.shape[0]):
        bz[j] = b[j] if abs(b[j]) >= cut else 0.0
    return scale


@njit(cache=True, fastmath=False, error_model="numpy")
def verify(M, b, q, lin, c, p, power, tol, scale, a, R, lam):
    """Check a frame's solution and make it self-consistent, in place.

    Projects ``a`` onto [0, 1]^n, sets the reserves R = b - M^T a and the multipliers
    lambda = 2 c R (stationarity in R), then checks

    * bounds: the last iterate lies within BOUND_TOL of the box (NaN counts as infinitely far);
    * moment equations: max_j |b_j - R_j - sum_i M_ij a_i| <= tol_eq = max(tol, 1e-12 scale),
      ``scale`` = max_j (|b_j| + sum_i |M_ij|) (from :func:`guard_tiny`; the recomputation's
      rounding: a check that every number is finite);
    * KKT: with d_i = cost_i'(a_i) - (M lambda)_i (cost q a^2 + lin a, or q a^p when
      ``power``), the violation |d_i| inside (0, 1), max(-d_i, 0) at 0 and max(d_i, 0) at 1 is
      at most KKT_TOL * gscale + gmap * tol_eq, where gscale = max_i max(|(M lambda)_i|,
      |cost_i'(1)|) and gmap = max_i sum_j 2 c_j |M_ij| carries a moment residual tol_eq
      into the gradient (the dual method stops at residual tol_eq).

    Returns (ok, bound violation, moment residual, KKT violation / gscale).
    """
    n, m = M.shape
    bviol = 0.0
    for i in range(n):
        ai = a[i]
        if ai != ai:
            bviol = math.inf
            a[i] = 0.0
        elif ai < 0.0:
            bviol = max(bviol, -ai)
            a[i] = 0.0
        elif ai > 1.0:
            bviol = max(bviol, ai - 1.0)
            a[i] = 1.0
    for j in range(m):
        R[j] = b[j]
    for i in range(n):
        ai = a[i]
        if ai != 0.0:
            for j in range(m):
                R[j] -= M[i, j] * ai
    eq = _max_residual(M, b, a, R)
    tol_eq = max(tol, 1e-12 * scale)
    for j in range(m):
        lam[j] = 2.0 * c[j] * R[j]
    viol = 0.0
    gscale = 0.0
    for i in range(n):
        g = 0.0
        for j in range(m):
            g += M[i, j] * lam[j]
        ai = a[i]
        if power:
            d = p * q[i] * ai ** (p - 1.0) - g
            d1 = p * q[i]
        else:
            d = 2.0 * q[i] * ai + lin[i] - g
            d1 = 2.0 * q[i] + lin[i]
        gscale = max(gscale, abs(g), abs(d1))
        if ai <= 0.0:
            v = -d
        elif ai >= 1.0:
            v = d
        else:
            v = abs(d)
        if not v <= viol:  # also NaN
            viol = v
    ok = bviol <= BOUND_TOL and eq <= tol_eq and viol <= KKT_TOL * gscale
    if bviol <= BOUND_TOL and eq <= tol_eq and not ok and viol == viol:
        # Only now the allowance for the moment tolerance (one more pass over M).
        gmap = 0.0
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += 2.0 * c[j] * abs(M[i, j])
            gmap = max(gmap, s)
        ok = viol <= KKT_TOL * gscale + gmap * tol_eq
    return ok, bviol, eq, viol / gscale if gscale > 0.0 else viol


@njit(cache=True, nogil=True)
def solve_range_dual(M, b, w, lin, c, first, last, tol, max_iter, warm, lam0,
                     a_out, R_out, lam_out, status_out, iter_out, resid_out, bound_out, kkt_out):
    """Solve frames first..last-1 of the p = 2 problem (cost w a^2 + lin a) independently.

    ``lin`` (n,) is the linear cost; static.py uses it to impose a minimum activation by a
    change of variables (zeros otherwise). Each frame starts from ``lam0[f]`` when ``warm``
    is true, else from the unbounded p = 2 solution (:func:`unbounded_start`): never from
    another frame, so the range split cannot change any result. Dual Newton
    (:func:`solve_dual`), then :func:`verify`; a frame that fails it is solved again by the
    primal active-set method from its projected point (up to ``max_iter + 3 n`` steps) and
    verified again. ``status_out`` is CONVERGED only for a verified frame.
    """
    n_frames, n, m = M.shape
    work = np.empty(8 * n + m * (m + 7))
    lam = np.empty(m)
    bz = np.empty(m)
    for f in range(first, last):
        scale = guard_tiny(M[f], b[f], bz)
        if warm:
            for j in range(m):
                lam[j] = lam0[f, j]
        else:
            unbounded_start(M[f], bz, w, lin, c, lam, work)
        a = a_out[f]
        R = R_out[f]
        st, it, _ = solve_dual(M[f], bz, w, lin, c, 2.0, False, lam, a, R, tol, max_iter, work)
        ok, bv, eq, kkt = verify(M[f], b[f], w, lin, c, 2.0, False, tol, scale, a, R, lam)
        if not ok:
            st, it2, _ = solve_active_set(M[f], bz, w, lin, c, lam, a, R, tol, max_iter + 3 * n, work)
            it += it2
            ok, bv, eq, kkt = verify(M[f], b[f], w, lin, c, 2.0, False, tol, scale, a, R, lam)
        if not ok:
            it += primal_polish(M[f], bz, w, lin, c, 2.0, False, a, R, max_iter, work)
            ok, bv2, eq, kkt = verify(M[f], b[f], w, lin, c, 2.0, False, tol, scale, a, R, lam)
            bv = max(bv, bv2)
        for j in range(m):
            lam_out[f, j] = lam[j]
        status_out[f] = CONVERGED if ok else (NOT_VERIFIED if st == CONVERGED or st == STALLED else st)
        iter_out[f] = it
        resid_out[f] = eq
        bound_out[f] = bv
        kkt_out[f] = kkt


@njit(cache=True, nogil=True)
def solve_range_sqp(M, b, w, c, p, first, last, tol, max_iter, warm, lam0,
                    a_out, R_out, lam_out, status_out, iter_out, resid_out, bound_out, kkt_out):
    """As :func:`solve_range_dual` for p != 2: frames by :func:`solve_sqp` (p > 2), or
    for 1.5 <= p < 2 by the dual Newton of :func:`solve_dual` with :func:`solve_sqp` taking
    over where its point fails :func:`verify`.

    A separate kernel so that the default criterion (p = 2) compiles only what it uses.
    """
    n_frames, n, m = M.shape
    work = np.empty(8 * n + m * (m + 7))
    lam = np.empty(m)
    bz = np.empty(m)
    lin = np.zeros(n)
    a_keep = np.empty(n)
    power = p > 0.0  # runtime boolean
    for f in range(first, last):
        scale = guard_tiny(M[f], b[f], bz)
        if warm:
            for j in range(m):
                lam[j] = lam0[f, j]
        else:
            unbounded_start(M[f], bz, w, lin, c, lam, work)
        a = a_out[f]
        R = R_out[f]
        it = 0
        ok = False
        st = HANDOVER
        bv = eq = kkt = 0.0
        if p < 2.0:
            st, it, _ = solve_dual(M[f], bz, w, lin, c, p, power, lam, a, R, tol, max_iter, work)
            ok, bv, eq, kkt = verify(M[f], b[f], w, lin, c, p, power, tol, scale, a, R, lam)
        if not ok:
            st, it2, _ = solve_sqp(M[f], bz, w, c, p, lam, a, R, tol, max_iter, work)
            it += it2
            ok, bv, eq, kkt = verify(M[f], b[f], w, lin, c, p, power, tol, scale, a, R, lam)
        if not ok or kkt > POLISH_BELOW:
            for i in range(n):
                a_keep[i] = a[i]
            it += primal_polish(M[f], bz, w, lin, c, p, power, a, R, max_iter, work)
            ok2, bv2, eq2, kkt2 = verify(M[f], b[f], w, lin, c, p, power, tol, scale, a, R, lam)
            if ok2 or not ok or kkt2 < kkt:
                ok, bv, eq, kkt = ok2, max(bv, bv2), eq2, kkt2
            else:  # the polish ended worse (it may trade KKT for objective): keep the checked point
                for i in range(n):
                    a[i] = a_keep[i]
                ok, bv, eq, kkt = verify(M[f], b[f], w, lin, c, p, power, tol, scale, a, R, lam)
        for j in range(m):
            lam_out[f, j] = lam[j]
        status_out[f] = CONVERGED if ok else (NOT_VERIFIED if st == CONVERGED or st == STALLED else st)
        iter_out[f] = it
        resid_out[f] = eq
        bound_out[f] = bv
        kkt_out[f] = kkt
