"""numba kernel of the batched stance: each sample stood balanced over its stance foot.

:func:`balance_batch` is the Gauss–Newton balance of :func:`hipsim.studies.batch._balance`, one
sample at a time inside the kernel (each converges on its own), on the body kinematics of
:func:`hipsim.model.kernels.body_kinematics`. numba keys a cached kernel on the hash of its own
source file only: a change to :mod:`hipsim.model.kernels` (or to what it inlines) must come with a
change to this file, or a stale cache will run the old code.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from hipsim.model.kernels import body_kinematics, pose_outputs, store_columns


@njit(cache=True)
def _solve_small(a, b, out):
    """Solve a x = b (n <= 5) by Gaussian elimination with partial pivoting into ``out``; False
    when a pivot is below 1e-300 of the matrix scale (singular)."""
    n = b.shape[0]
    m = np.empty((n, n + 1))
    scale = 0.0
    for i in range(n):
        for j in range(n):
            m[i, j] = a[i, j]
            scale = max(scale, abs(a[i, j]))
        m[i, n] = b[i]
    if not scale > 0.0:
        return False
    for c in range(n):
        p = c
        for r in range(c + 1, n):
            if abs(m[r, c]) > abs(m[p, c]):
                p = r
        if abs(m[p, c]) <= 1e-300 * scale or not np.isfinite(m[p, c]):
            return False
        if p != c:
            for j in range(n + 1):
                m[c, j], m[p, j] = m[p, j], m[c, j]
        for r in range(c + 1, n):
            f = m[r, c] / m[c, c]
            for j in range(c, n + 1):
                m[r, j] -= f * m[c, j]
    for i in range(n - 1, -1, -1):
        s = m[i, n]
        for j in range(i + 1, n):
            s -= m[i, j] * out[j]
        out[i] = s / m[i, i]
    return True


@njit(cache=True, inline="always")
def _add_mass(w, b, l0, l1, l2, Rf, of, sw, sj, ix, sign, dcom):
    """A mass ``w`` at (l0, l1, l2) in body ``b``: adds its pull on the centre of mass's derivatives
    by the unknowns (coordinates ``ix`` times ``sign``) to ``dcom`` and returns w times its ground
    position."""
    r0 = Rf[b, 0, 0] * l0 + Rf[b, 0, 1] * l1 + Rf[b, 0, 2] * l2
    r1 = Rf[b, 1, 0] * l0 + Rf[b, 1, 1] * l1 + Rf[b, 1, 2] * l2
    r2 = Rf[b, 2, 0] * l0 + Rf[b, 2, 1] * l1 + Rf[b, 2, 2] * l2
    for k in range(ix.shape[0]):
        c = ix[k]
        ws = w * sign[k]
        w0, w1, w2 = sw[b, c, 0], sw[b, c, 1], sw[b, c, 2]
        dcom[k, 0] += ws * (sj[b, c, 0] + w1 * r2 - w2 * r1)
        dcom[k, 1] += ws * (sj[b, c, 1] + w2 * r0 - w0 * r2)
        dcom[k, 2] += ws * (sj[b, c, 2] + w0 * r1 - w1 * r0)
    return w * (of[b, 0] + r0), w * (of[b, 1] + r1), w * (of[b, 2] + r2)


@njit(cache=True, parallel=True)
def balance_batch(q0, x0, ix, sign, cols, ahead, body_w, total_m, pm_body, pm_loc, pm_mass, talus, calcn, toes, up,
                  pitch_only, tol, max_iter,
                  body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                  fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, body_com):
    """Balance every sample (row of ``q0``, (n, nc)) over its stance foot.

    The unknowns x (n, nk) move the coordinates ``ix`` by ``sign`` x (the body's pitch lowers
    pelvis_tilt) from ``q0``, starting at ``x0``. Residuals: the whole-body centre of mass (bodies
    weighing ``body_w`` (n, nb) and point masses ``pm_mass`` (n_pm, n) at ``pm_loc`` (n_pm, n, 3)
    in bodies ``pm_body``; total ``total_m`` (n,)) ``ahead`` (n,) of the ankle (talus origin) along
    x; on the heel-to-metatarsal line (calcn to toes origins) in z; and the sole flat (the calcn's
    up axis at ``up``; its pitch component only when ``pitch_only``). Gauss–Newton until every
    residual is below ``tol`` (at most ``max_iter`` evaluations).

    Returns x (n, nk), converged (n,), and the body poses R (n, nb, 3, 3), o (n, nb, 3) and the
    Jacobian columns ``cols`` jw, jv (n, nb, len(cols), 3) at the last evaluation of each sample.
    """
    n, nc = q0.shape
    nb = body_parent.shape[0]
    nk = ix.shape[0]
    ns = cols.shape[0]
    npm = pm_body.shape[0]
    nres = 3 if pitch_only else 5
    x = x0.copy()
    done = np.zeros(n, dtype=np.bool_)
    R, o, jw, jv = pose_outputs(n, nb, ns)
    chunk = 32
    for ch in prange((n + chunk - 1) // chunk):
        q = np.empty(nc)
        sw = np.zeros((nb, nc, 3))  # every evaluation writes the same entries: zeroed once
        sj = np.zeros((nb, nc, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((3, 6, 3))
        Rf = np.empty((nb, 3, 3))
        of = np.empty((nb, 3))
        dcom = np.empty((nk, 3))
        res = np.empty(nres)
        jac = np.empty((nres, nk))
        jtj = np.empty((nk, nk))
        jtr = np.empty(nk)
        step = np.empty(nk)
        for f in range(ch * chunk, min(n, (ch + 1) * chunk)):
            for it in range(max_iter):
                for c in range(nc):
                    q[c] = q0[f, c]
                for k in range(nk):
                    q[ix[k]] += sign[k] * x[f, k]
                body_kinematics(q, True, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                                anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, Rf, of, sw, sj, sc, sv,
                                False, q, q, of, of, of)
                # centre of mass and its derivatives by the unknowns
                com0 = com2 = 0.0  # the balance needs the centre of mass's x and z only
                for k in range(nk):
                    for i in range(3):
                        dcom[k, i] = 0.0
                for b in range(nb):
                    w = body_w[f, b]
                    if w != 0.0:
                        c0, _, c2 = _add_mass(w, b, body_com[b, 0], body_com[b, 1], body_com[b, 2], Rf, of, sw, sj,
                                               ix, sign, dcom)
                        com0 += c0
                        com2 += c2
                for p in range(npm):
                    c0, _, c2 = _add_mass(pm_mass[p, f], pm_body[p], pm_loc[p, f, 0], pm_loc[p, f, 1],
                                           pm_loc[p, f, 2], Rf, of, sw, sj, ix, sign, dcom)
                    com0 += c0
                    com2 += c2
                mt = total_m[f]
                com0 /= mt
                com2 /= mt
                for k in range(nk):
                    for i in range(3):
                        dcom[k, i] /= mt
                # the heel-to-metatarsal line, where the centre of mass stands over it
                hx, hz = of[calcn, 0], of[calcn, 2]
                bx, bz = of[toes, 0], of[toes, 2]
                dx = bx - hx
                t = (com0 - hx) / dx
                res[0] = com0 - of[talus, 0] - ahead[f]
                res[1] = com2 - (hz + (bz - hz) * t)
                # the sole flat: the calcn's up axis (R^T e_y) where it stands in the default pose
                res[2] = Rf[calcn, 1, 0] - up[0]
                if not pitch_only:
                    res[3] = Rf[calcn, 1, 1] - up[1]
                    res[4] = Rf[calcn, 1, 2] - up[2]
                for k in range(nk):
                    c = ix[k]
                    s = sign[k]
                    dhx, dhz = s * sj[calcn, c, 0], s * sj[calcn, c, 2]
                    dbx, dbz = s * sj[toes, c, 0], s * sj[toes, c, 2]
                    dt = ((dcom[k, 0] - dhx) * dx - (com0 - hx) * (dbx - dhx)) / (dx * dx)
                    jac[0, k] = dcom[k, 0] - s * sj[talus, c, 0]
                    jac[1, k] = dcom[k, 2] - (dhz + (dbz - dhz) * t + (bz - hz) * dt)
                    # d(R^T e_y)/dq = -R^T (w x e_y), w x e_y = (-w2, 0, w0)
                    w0, w2 = s * sw[calcn, c, 0], s * sw[calcn, c, 2]
                    for j in range(nres - 2):
                        jac[2 + j, k] = -(Rf[calcn, 0, j] * -w2 + Rf[calcn, 2, j] * w0)
                big = 0.0
                for e in range(nres):
                    big = max(big, abs(res[e]))
                if big < tol:
                    done[f] = True
                    break
                if it == max_iter - 1 or not np.isfinite(big):
                    break
                for i in range(nk):
                    jtr[i] = 0.0
                    for e in range(nres):
                        jtr[i] += jac[e, i] * res[e]
                    for j in range(nk):
                        s2 = 0.0
                        for e in range(nres):
                            s2 += jac[e, i] * jac[e, j]
                        jtj[i, j] = s2
                if not _solve_small(jtj, jtr, step):
                    break
                for k in range(nk):
                    x[f, k] -= step[k]
            for b in range(nb):
                for i in range(3):
                    o[f, b, i] = of[b, i]
                    for j in range(3):
                        R[f, b, i, j] = Rf[b, i, j]
            store_columns(f, sw, sj, cols, jw, jv)
    return x, done, R, o, jw, jv
