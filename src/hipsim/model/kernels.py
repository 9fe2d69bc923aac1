"""numba kernels: body kinematics, muscle-tendon lengths and exact moment arms.

Everything here takes flat arrays (from :class:`~hipsim.model.compiled.CompiledModel`) and
returns arrays. Derivatives are exact (forward-mode through the joint functions and the
kinematic tree), never finite differences:

* Each body's pose in ground (R, o) and, for every coordinate k, the angular velocity
  ``jw[b, k]`` and the velocity of the body origin ``jv[b, k]`` per unit dq_k.
* A path point s fixed in body b moves by ``jw[b,k] x (R s) + jv[b,k]`` per unit dq_k,
  plus ``R ds/dq_k`` for a moving point.
* The muscle-tendon length is the sum of the straight segments between active points;
  its derivative is the sum of ``u . (dp_next - dp_prev)`` over segments, u the unit
  segment direction. The moment arm is minus that derivative (OpenSim's convention).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from hipsim.model.functions import feval


@njit(cache=True, inline="always")
def _rot(ax, ay, az, ang, out):
    c = np.cos(ang)
    s = np.sin(ang)
    t = 1.0 - c
    out[0, 0] = t * ax * ax + c
    out[0, 1] = t * ax * ay - s * az
    out[0, 2] = t * ax * az + s * ay
    out[1, 0] = t * ax * ay + s * az
    out[1, 1] = t * ay * ay + c
    out[1, 2] = t * ay * az - s * ax
    out[2, 0] = t * ax * az - s * ay
    out[2, 1] = t * ay * az + s * ax
    out[2, 2] = t * az * az + c


@njit(cache=True)
def body_kinematics(q, want_jac, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                    fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jv, sc, sv):
    """Fill R (nb,3,3), o (nb,3) and, if ``want_jac``, jw and jv (nb,nc,3) for one pose ``q`` (nc,).

    Only the entries of coordinates that move a body (``anc_coord``) are written, so jw and jv
    must start zeroed once per buffer. ``sc`` (5,3,3) and ``sv`` (2,6,3) are scratch.
    """
    nb = body_parent.shape[0]
    rfm = sc[0]
    rot = sc[1]
    tmp = sc[2]
    rgf = sc[3]
    rgm = sc[4]
    wloc = sv[0]   # per axis: angular velocity (F frame) per unit dq of its coordinate
    vloc = sv[1]
    for i in range(3):
        for j in range(3):
            R[0, i, j] = 1.0 if i == j else 0.0
        o[0, i] = 0.0
    for b in range(1, nb):
        p = body_parent[b]
        # Joint transform X_FM: rotations about body-fixed axes in order, then translations.
        for i in range(3):
            for j in range(3):
                rfm[i, j] = 1.0 if i == j else 0.0
        for a in range(3):
            c = ax_coord[b, a]
            x = q[c] if c >= 0 else 0.0
            ang, dang = feval(ax_fn[b, a], x, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            # This axis expressed in F is rfm (rotations so far) times its local direction.
            for i in range(3):
                wloc[a, i] = dang * (rfm[i, 0] * ax_dir[b, a, 0] + rfm[i, 1] * ax_dir[b, a, 1]
                                     + rfm[i, 2] * ax_dir[b, a, 2])
            if ang != 0.0:
                _rot(ax_dir[b, a, 0], ax_dir[b, a, 1], ax_dir[b, a, 2], ang, rot)
                for i in range(3):
                    for j in range(3):
                        tmp[i, j] = rfm[i, 0] * rot[0, j] + rfm[i, 1] * rot[1, j] + rfm[i, 2] * rot[2, j]
                for i in range(3):
                    for j in range(3):
                        rfm[i, j] = tmp[i, j]
        pfm0 = 0.0
        pfm1 = 0.0
        pfm2 = 0.0
        for a in range(3, 6):
            c = ax_coord[b, a]
            x = q[c] if c >= 0 else 0.0
            val, dval = feval(ax_fn[b, a], x, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            pfm0 += val * ax_dir[b, a, 0]
            pfm1 += val * ax_dir[b, a, 1]
            pfm2 += val * ax_dir[b, a, 2]
            for i in range(3):
                vloc[a, i] = dval * ax_dir[b, a, i]
        # Ground pose of F, M and the body.
        for i in range(3):
            for j in range(3):
                rgf[i, j] = R[p, i, 0] * r_pf[b, 0, j] + R[p, i, 1] * r_pf[b, 1, j] + R[p, i, 2] * r_pf[b, 2, j]
        for i in range(3):
            for j in range(3):
                rgm[i, j] = rgf[i, 0] * rfm[0, j] + rgf[i, 1] * rfm[1, j] + rgf[i, 2] * rfm[2, j]
        for i in range(3):
            for j in range(3):
                # R_GB = R_GM R_BM^T
                R[b, i, j] = rgm[i, 0] * r_bm[b, j, 0] + rgm[i, 1] * r_bm[b, j, 1] + rgm[i, 2] * r_bm[b, j, 2]
        of0 = o[p, 0] + R[p, 0, 0] * p_pf[b, 0] + R[p, 0, 1] * p_pf[b, 1] + R[p, 0, 2] * p_pf[b, 2]
        of1 = o[p, 1] + R[p, 1, 0] * p_pf[b, 0] + R[p, 1, 1] * p_pf[b, 1] + R[p, 1, 2] * p_pf[b, 2]
        of2 = o[p, 2] + R[p, 2, 0] * p_pf[b, 0] + R[p, 2, 1] * p_pf[b, 1] + R[p, 2, 2] * p_pf[b, 2]
        om0 = of0 + rgf[0, 0] * pfm0 + rgf[0, 1] * pfm1 + rgf[0, 2] * pfm2
        om1 = of1 + rgf[1, 0] * pfm0 + rgf[1, 1] * pfm1 + rgf[1, 2] * pfm2
        om2 = of2 + rgf[2, 0] * pfm0 + rgf[2, 1] * pfm1 + rgf[2, 2] * pfm2
        o[b, 0] = om0 - (R[b, 0, 0] * p_bm[b, 0] + R[b, 0, 1] * p_bm[b, 1] + R[b, 0, 2] * p_bm[b, 2])
        o[b, 1] = om1 - (R[b, 1, 0] * p_bm[b, 0] + R[b, 1, 1] * p_bm[b, 1] + R[b, 1, 2] * p_bm[b, 2])
        o[b, 2] = om2 - (R[b, 2, 0] * p_bm[b, 0] + R[b, 2, 1] * p_bm[b, 1] + R[b, 2, 2] * p_bm[b, 2])
        if not want_jac:
            continue
        d0 = o[b, 0] - o[p, 0]
        d1 = o[b, 1] - o[p, 1]
        d2 = o[b, 2] - o[p, 2]
        # Coordinates that move the parent: rigid-body transport of its origin velocity.
        n_inherit = anc_start[p + 1] - anc_start[p]
        for t in range(anc_start[b], anc_start[b + 1]):
            k = anc_coord[t]
            if t - anc_start[b] < n_inherit:
                w0 = jw[p, k, 0]
                w1 = jw[p, k, 1]
                w2 = jw[p, k, 2]
                jw[b, k, 0] = w0
                jw[b, k, 1] = w1
                jw[b, k, 2] = w2
                jv[b, k, 0] = jv[p, k, 0] + w1 * d2 - w2 * d1
                jv[b, k, 1] = jv[p, k, 1] + w2 * d0 - w0 * d2
                jv[b, k, 2] = jv[p, k, 2] + w0 * d1 - w1 * d0
            else:
                for i in range(3):
                    jw[b, k, i] = 0.0
                    jv[b, k, i] = 0.0
        e0 = o[b, 0] - om0
        e1 = o[b, 1] - om1
        e2 = o[b, 2] - om2
        for a in range(6):
            k = ax_coord[b, a]
            if k < 0:
                continue
            if a < 3:
                w0 = rgf[0, 0] * wloc[a, 0] + rgf[0, 1] * wloc[a, 1] + rgf[0, 2] * wloc[a, 2]
                w1 = rgf[1, 0] * wloc[a, 0] + rgf[1, 1] * wloc[a, 1] + rgf[1, 2] * wloc[a, 2]
                w2 = rgf[2, 0] * wloc[a, 0] + rgf[2, 1] * wloc[a, 1] + rgf[2, 2] * wloc[a, 2]
                jw[b, k, 0] += w0
                jw[b, k, 1] += w1
                jw[b, k, 2] += w2
                jv[b, k, 0] += w1 * e2 - w2 * e1
                jv[b, k, 1] += w2 * e0 - w0 * e2
                jv[b, k, 2] += w0 * e1 - w1 * e0
            else:
                for i in range(3):
                    jv[b, k, i] += rgf[i, 0] * vloc[a, 0] + rgf[i, 1] * vloc[a, 1] + rgf[i, 2] * vloc[a, 2]


@njit(cache=True)
def _muscles_at_pose(q, R, o, jw, jv, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range, pt_fn,
                     mc_start, mc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                     lengths, arms, want_arms, gp, dp):
    """Lengths (nm,) and, if ``want_arms``, moment arms (nm, nc) at one pose whose body kinematics
    are in R, o, jw, jv. ``gp`` (max points, 3) and ``dp`` (max points, max coords, 3) are scratch."""
    nm = pt_start.shape[0] - 1
    for m in range(nm):
        c0 = mc_start[m]
        ncm = mc_start[m + 1] - c0
        npts = 0
        for ip in range(pt_start[m], pt_start[m + 1]):
            kind = pt_kind[ip]
            if kind == 1:
                qc = q[pt_coord[ip, 0]]
                if qc < pt_range[ip, 0] or qc > pt_range[ip, 1]:
                    continue
            dx = 0.0  # moving point: derivative of each location component by its coordinate
            dy = 0.0
            dz = 0.0
            if kind == 2:
                lx, dx = feval(pt_fn[ip, 0], q[pt_coord[ip, 0]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
                ly, dy = feval(pt_fn[ip, 1], q[pt_coord[ip, 1]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
                lz, dz = feval(pt_fn[ip, 2], q[pt_coord[ip, 2]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            else:
                lx = pt_loc[ip, 0]
                ly = pt_loc[ip, 1]
                lz = pt_loc[ip, 2]
            b = pt_body[ip]
            s0 = R[b, 0, 0] * lx + R[b, 0, 1] * ly + R[b, 0, 2] * lz
            s1 = R[b, 1, 0] * lx + R[b, 1, 1] * ly + R[b, 1, 2] * lz
            s2 = R[b, 2, 0] * lx + R[b, 2, 1] * ly + R[b, 2, 2] * lz
            gp[npts, 0] = o[b, 0] + s0
            gp[npts, 1] = o[b, 1] + s1
            gp[npts, 2] = o[b, 2] + s2
            if want_arms:
                for t in range(ncm):
                    k = mc_coord[c0 + t]
                    w0 = jw[b, k, 0]
                    w1 = jw[b, k, 1]
                    w2 = jw[b, k, 2]
                    dp[npts, t, 0] = jv[b, k, 0] + w1 * s2 - w2 * s1
                    dp[npts, t, 1] = jv[b, k, 1] + w2 * s0 - w0 * s2
                    dp[npts, t, 2] = jv[b, k, 2] + w0 * s1 - w1 * s0
                    if kind == 2:
                        for a in range(3):
                            if pt_coord[ip, a] == k:
                                d = dx if a == 0 else (dy if a == 1 else dz)
                                dp[npts, t, 0] += R[b, 0, a] * d
                                dp[npts, t, 1] += R[b, 1, a] * d
                                dp[npts, t, 2] += R[b, 2, a] * d
            npts += 1
        total = 0.0
        if want_arms:
            for k in range(arms.shape[1]):
                arms[m, k] = 0.0
        for i in range(npts - 1):
            u0 = gp[i + 1, 0] - gp[i, 0]
            u1 = gp[i + 1, 1] - gp[i, 1]
            u2 = gp[i + 1, 2] - gp[i, 2]
            seg = np.sqrt(u0 * u0 + u1 * u1 + u2 * u2)
            total += seg
            if want_arms and seg > 0.0:
                u0 /= seg
                u1 /= seg
                u2 /= seg
                for t in range(ncm):
                    dl = (u0 * (dp[i + 1, t, 0] - dp[i, t, 0]) + u1 * (dp[i + 1, t, 1] - dp[i, t, 1])
                          + u2 * (dp[i + 1, t, 2] - dp[i, t, 2]))
                    arms[m, mc_coord[c0 + t]] -= dl
        lengths[m] = total


@njit(cache=True, parallel=True)
def lengths_and_arms_batch(qs, want_arms, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord,
                           anc_start, anc_coord, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range, pt_fn, mc_start, mc_coord,
                           fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd):
    """Muscle-tendon lengths (nf, nm) and moment arms (nf, nm, nc) for poses ``qs`` (nf, nc).

    Frames are independent, so the result does not depend on the number of threads. When
    ``want_arms`` is False only lengths are computed and the moment-arm array is empty (0, nm, nc).
    """
    nf, nc = qs.shape
    nb = body_parent.shape[0]
    nm = pt_start.shape[0] - 1
    maxp = 1
    for m in range(nm):
        maxp = max(maxp, pt_start[m + 1] - pt_start[m])
    maxc = 1
    for m in range(nm):
        maxc = max(maxc, mc_start[m + 1] - mc_start[m])
    lengths = np.empty((nf, nm))
    arms = np.empty((nf if want_arms else 0, nm, nc))  # every row is written in full below
    # Frames split in fixed chunks so that scratch is allocated once per chunk, not per frame.
    chunk = 64
    nchunks = (nf + chunk - 1) // chunk
    for ch in prange(nchunks):
        R = np.empty((nb, 3, 3))
        o = np.empty((nb, 3))
        jw = np.zeros((nb, nc, 3))
        jv = np.zeros((nb, nc, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((2, 6, 3))
        gp = np.empty((maxp, 3))
        dp = np.empty((maxp, maxc, 3))
        dummy = np.zeros((nm, nc))
        for f in range(ch * chunk, min(nf, (ch + 1) * chunk)):
            body_kinematics(qs[f], want_arms, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord,
                            anc_start, anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jv, sc, sv)
            _muscles_at_pose(qs[f], R, o, jw, jv, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range,
                             pt_fn, mc_start, mc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                             lengths[f], arms[f] if want_arms else dummy, want_arms, gp, dp)
    return lengths, arms


@njit(cache=True, parallel=True)
def body_poses_batch(qs, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                     fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd):
    """Body rotations (nf, nb, 3, 3), origins (nf, nb, 3) and Jacobians jw, jv (nf, nb, nc, 3)."""
    nf, nc = qs.shape
    nb = body_parent.shape[0]
    R = np.empty((nf, nb, 3, 3))
    o = np.empty((nf, nb, 3))
    jw = np.zeros((nf, nb, nc, 3))
    jv = np.zeros((nf, nb, nc, 3))
    for f in prange(nf):
        sc = np.empty((5, 3, 3))
        sv = np.zeros((2, 6, 3))
        body_kinematics(qs[f], True, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                        anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R[f], o[f], jw[f], jv[f], sc, sv)
    return R, o, jw, jv
