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
* A joint axis driven by a coupled coordinate is a composed function of the independent
  coordinate (:mod:`hipsim.model.functions`), so the kernels see only independent coordinates
  and the chain rule is exact inside :func:`~hipsim.model.functions.feval`.

numba caches compiled kernels per source file and does not notice a change in a function it
inlines from another file (``feval``): a change to :mod:`hipsim.model.functions` must come with
a change to this file (and to every module whose cached kernels call these), or stale caches
will run the old code. The same holds for the wrapping kernels of :mod:`hipsim.model.wrapping`
that ``_muscles_at_pose`` calls: numba 0.68 keys a cached kernel on the hash of its own source
file only, so a change there must come with a change here.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import numba
import numpy as np
from numba import njit, prange

from hipsim.model.functions import CONSTANT, LINEAR, feval
from hipsim.model.wrapping import path_length_core, path_workspace_sizes

#: Below this many frames the batch kernels run on one thread: a 101-frame gait cycle takes
#: about 2 ms serially, less than starting a parallel region costs on a loaded 2-core machine
#: (measured 31 ms with 2 threads against 2.4 ms with 1 while other processes ran).
PARALLEL_MIN_FRAMES = 256


@contextlib.contextmanager
def threads_for(n_frames: int) -> Iterator[None]:
    """Run the enclosed kernel calls serially when the batch is small (see PARALLEL_MIN_FRAMES)."""
    if n_frames >= PARALLEL_MIN_FRAMES:
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(old)


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


@njit(cache=True, inline="always")
def _cross_add(s, ax, ay, az, bx, by, bz, out, i):
    """out[i] += s * (a x b)."""
    out[i, 0] += s * (ay * bz - az * by)
    out[i, 1] += s * (az * bx - ax * bz)
    out[i, 2] += s * (ax * by - ay * bx)


@njit(cache=True)
def body_kinematics(q, want_jac, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                    fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jv, sc, sv,
                    want_acc, qd, qdd, w, al, acc):
    """Pose of every body for one configuration ``q`` (nc,), and optionally its Jacobians and motion.

    Fills R (nb,3,3) and o (nb,3): body rotations and origins in ground. If ``want_jac``,
    also jw and jv (nb,nc,3): angular velocity and origin velocity per unit dq_k. Only the
    entries of coordinates that move a body (``anc_coord``) are written, so jw and jv must
    start zeroed once per buffer. If ``want_acc``, with speeds ``qd`` and accelerations
    ``qdd`` (nc,), also fills the angular velocity ``w``, angular acceleration ``al`` and origin
    acceleration ``acc`` (nb,3) of every body in ground, including the second derivatives
    of the joint functions (the gait2392 knee translations are splines of the knee angle).
    ``sc`` (5,3,3) and ``sv`` (3,6,3) are scratch. Unused outputs may be any float arrays.
    """
    nb = body_parent.shape[0]
    rfm = sc[0]
    rot = sc[1]
    tmp = sc[2]
    rgf = sc[3]
    rgm = sc[4]
    wloc = sv[0]   # per axis: angular velocity (F frame) per unit dq of its coordinate
    vloc = sv[1]   # per axis: translation velocity (F frame) per unit dq
    rel = sv[2]    # rows: relative angular velocity, angular acceleration, velocity, acceleration (F)
    for i in range(3):
        for j in range(3):
            R[0, i, j] = 1.0 if i == j else 0.0
        o[0, i] = 0.0
        if want_acc:
            w[0, i] = 0.0
            al[0, i] = 0.0
            acc[0, i] = 0.0
    for b in range(1, nb):
        p = body_parent[b]
        for i in range(4):
            for j in range(3):
                rel[i, j] = 0.0
        # Joint transform X_FM: rotations about body-fixed axes in order, then translations.
        for i in range(3):
            for j in range(3):
                rfm[i, j] = 1.0 if i == j else 0.0
        for a in range(3):
            c = ax_coord[b, a]
            x = q[c] if c >= 0 else 0.0
            fi = ax_fn[b, a]
            # Constant and linear functions (116 of 132 axes in lai_uhlrich2023) as feval computes them,
            # without its ten array arguments, whose reference counting cost more than the arithmetic.
            if fkind[fi] == CONSTANT:
                ang, dang, ddang = fa[fi], 0.0, 0.0
            elif fkind[fi] == LINEAR:
                ang, dang, ddang = fa[fi] * x + fb[fi], fa[fi], 0.0
            else:
                ang, dang, ddang = feval(fi, x, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            # This axis expressed in F is rfm (rotations so far) times its local direction.
            ux = rfm[0, 0] * ax_dir[b, a, 0] + rfm[0, 1] * ax_dir[b, a, 1] + rfm[0, 2] * ax_dir[b, a, 2]
            uy = rfm[1, 0] * ax_dir[b, a, 0] + rfm[1, 1] * ax_dir[b, a, 1] + rfm[1, 2] * ax_dir[b, a, 2]
            uz = rfm[2, 0] * ax_dir[b, a, 0] + rfm[2, 1] * ax_dir[b, a, 1] + rfm[2, 2] * ax_dir[b, a, 2]
            wloc[a, 0] = dang * ux
            wloc[a, 1] = dang * uy
            wloc[a, 2] = dang * uz
            if want_acc and c >= 0:
                th_d = dang * qd[c]
                th_dd = ddang * qd[c] * qd[c] + dang * qdd[c]
                # d/dt of a rotated axis: (angular velocity of the earlier rotations) x axis.
                _cross_add(th_d, rel[0, 0], rel[0, 1], rel[0, 2], ux, uy, uz, rel, 1)
                rel[1, 0] += th_dd * ux
                rel[1, 1] += th_dd * uy
                rel[1, 2] += th_dd * uz
                rel[0, 0] += th_d * ux
                rel[0, 1] += th_d * uy
                rel[0, 2] += th_d * uz
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
            fi = ax_fn[b, a]
            if fkind[fi] == CONSTANT:
                val, dval, ddval = fa[fi], 0.0, 0.0
            elif fkind[fi] == LINEAR:
                val, dval, ddval = fa[fi] * x + fb[fi], fa[fi], 0.0
            else:
                val, dval, ddval = feval(fi, x, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            pfm0 += val * ax_dir[b, a, 0]
            pfm1 += val * ax_dir[b, a, 1]
            pfm2 += val * ax_dir[b, a, 2]
            for i in range(3):
                vloc[a, i] = dval * ax_dir[b, a, i]
            if want_acc and c >= 0:
                for i in range(3):
                    rel[2, i] += dval * qd[c] * ax_dir[b, a, i]
                    rel[3, i] += (ddval * qd[c] * qd[c] + dval * qdd[c]) * ax_dir[b, a, i]
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
        r0 = rgf[0, 0] * pfm0 + rgf[0, 1] * pfm1 + rgf[0, 2] * pfm2   # M origin relative to F, ground
        r1 = rgf[1, 0] * pfm0 + rgf[1, 1] * pfm1 + rgf[1, 2] * pfm2
        r2 = rgf[2, 0] * pfm0 + rgf[2, 1] * pfm1 + rgf[2, 2] * pfm2
        om0 = of0 + r0
        om1 = of1 + r1
        om2 = of2 + r2
        o[b, 0] = om0 - (R[b, 0, 0] * p_bm[b, 0] + R[b, 0, 1] * p_bm[b, 1] + R[b, 0, 2] * p_bm[b, 2])
        o[b, 1] = om1 - (R[b, 1, 0] * p_bm[b, 0] + R[b, 1, 1] * p_bm[b, 1] + R[b, 1, 2] * p_bm[b, 2])
        o[b, 2] = om2 - (R[b, 2, 0] * p_bm[b, 0] + R[b, 2, 1] * p_bm[b, 1] + R[b, 2, 2] * p_bm[b, 2])
        e0 = o[b, 0] - om0
        e1 = o[b, 1] - om1
        e2 = o[b, 2] - om2
        if want_acc:
            _body_motion(b, p, rgf, rel, of0 - o[p, 0], of1 - o[p, 1], of2 - o[p, 2], r0, r1, r2, e0, e1, e2,
                         w, al, acc)
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
def _body_motion(b, p, rgf, rel, f0, f1, f2, r0, r1, r2, e0, e1, e2, w, al, acc):
    """Angular velocity, angular acceleration and origin acceleration of body b from its parent p.

    ``rel`` holds the joint's relative angular velocity, angular acceleration, linear velocity
    and acceleration in the parent offset frame F; f = F origin - parent origin, r = M origin -
    F origin, e = body origin - M origin (all in ground).
    """
    # Joint-relative motion in ground: angular velocity, angular acceleration, velocity, acceleration.
    v0 = rgf[0, 0] * rel[2, 0] + rgf[0, 1] * rel[2, 1] + rgf[0, 2] * rel[2, 2]
    v1 = rgf[1, 0] * rel[2, 0] + rgf[1, 1] * rel[2, 1] + rgf[1, 2] * rel[2, 2]
    v2 = rgf[2, 0] * rel[2, 0] + rgf[2, 1] * rel[2, 1] + rgf[2, 2] * rel[2, 2]
    wr = np.empty((4, 3))
    for i in range(4):
        for j in range(3):
            wr[i, j] = rgf[j, 0] * rel[i, 0] + rgf[j, 1] * rel[i, 1] + rgf[j, 2] * rel[i, 2]
    wp0 = w[p, 0]
    wp1 = w[p, 1]
    wp2 = w[p, 2]
    ap0 = al[p, 0]
    ap1 = al[p, 1]
    ap2 = al[p, 2]
    # Acceleration of the point M: rigid transport from the parent origin by x = f + r, plus
    # the joint's relative acceleration and the Coriolis term 2 w_p x v_rel.
    x0 = f0 + r0
    x1 = f1 + r1
    x2 = f2 + r2
    c0 = wp1 * x2 - wp2 * x1
    c1 = wp2 * x0 - wp0 * x2
    c2 = wp0 * x1 - wp1 * x0
    am0 = acc[p, 0] + wr[3, 0] + ap1 * x2 - ap2 * x1 + wp1 * c2 - wp2 * c1 + 2.0 * (wp1 * v2 - wp2 * v1)
    am1 = acc[p, 1] + wr[3, 1] + ap2 * x0 - ap0 * x2 + wp2 * c0 - wp0 * c2 + 2.0 * (wp2 * v0 - wp0 * v2)
    am2 = acc[p, 2] + wr[3, 2] + ap0 * x1 - ap1 * x0 + wp0 * c1 - wp1 * c0 + 2.0 * (wp0 * v1 - wp1 * v0)
    w[b, 0] = wp0 + wr[0, 0]
    w[b, 1] = wp1 + wr[0, 1]
    w[b, 2] = wp2 + wr[0, 2]
    al[b, 0] = ap0 + wr[1, 0] + wp1 * wr[0, 2] - wp2 * wr[0, 1]
    al[b, 1] = ap1 + wr[1, 1] + wp2 * wr[0, 0] - wp0 * wr[0, 2]
    al[b, 2] = ap2 + wr[1, 2] + wp0 * wr[0, 1] - wp1 * wr[0, 0]
    wb0 = w[b, 0]
    wb1 = w[b, 1]
    wb2 = w[b, 2]
    c0 = wb1 * e2 - wb2 * e1
    c1 = wb2 * e0 - wb0 * e2
    c2 = wb0 * e1 - wb1 * e0
    acc[b, 0] = am0 + al[b, 1] * e2 - al[b, 2] * e1 + wb1 * c2 - wb2 * c1
    acc[b, 1] = am1 + al[b, 2] * e0 - al[b, 0] * e2 + wb2 * c0 - wb0 * c2
    acc[b, 2] = am2 + al[b, 0] * e1 - al[b, 1] * e0 + wb0 * c1 - wb1 * c0


@njit(cache=True, inline="always")
def point_active(ip, q, pt_kind, pt_coord, pt_range):
    """Is path point ``ip`` part of the path at pose q? (A conditional point is not while its
    coordinate lies outside its range.)"""
    if pt_kind[ip] == 1:
        qc = q[pt_coord[ip, 0]]
        return pt_range[ip, 0] <= qc <= pt_range[ip, 1]
    return True


@njit(cache=True, inline="always")
def point_location(ip, q, pt_kind, pt_loc, pt_coord, pt_fn, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd):
    """Location of path point ``ip`` in its body at pose q, and for a moving point the derivatives of
    its x, y, z by their coordinates (zeros otherwise): six floats."""
    if pt_kind[ip] == 2:
        lx, dx, _ = feval(pt_fn[ip, 0], q[pt_coord[ip, 0]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
        ly, dy, _ = feval(pt_fn[ip, 1], q[pt_coord[ip, 1]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
        lz, dz, _ = feval(pt_fn[ip, 2], q[pt_coord[ip, 2]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
        return lx, ly, lz, dx, dy, dz
    return pt_loc[ip, 0], pt_loc[ip, 1], pt_loc[ip, 2], 0.0, 0.0, 0.0


@njit(cache=True, inline="always")
def to_ground(R, b, lx, ly, lz):
    """R[b] @ (lx, ly, lz): a body-fixed vector of body b expressed in ground."""
    return (R[b, 0, 0] * lx + R[b, 0, 1] * ly + R[b, 0, 2] * lz,
            R[b, 1, 0] * lx + R[b, 1, 1] * ly + R[b, 1, 2] * lz,
            R[b, 2, 0] * lx + R[b, 2, 1] * ly + R[b, 2, 2] * lz)


@njit(cache=True)
def _muscles_at_pose(q, R, o, jw, jv, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range, pt_fn,
                     mc_start, mc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                     wc_body, wc_rot, wc_trans, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                     pw_start, pw_cyl, pw_range, wrap_method,
                     lengths, arms, want_arms, gp, dp, pidx, pbody, dldq, wstatus, wafter, cR, co, cw, cv, wfw, wiw,
                     status_out):
    """Lengths (nm,) and, if ``want_arms``, moment arms (nm, nc) at one pose whose body kinematics
    are in R, o, jw, jv. ``gp`` (max points, 3) and ``dp`` (max points, max coords, 3) are scratch,
    as are ``pidx``, ``pbody`` (max points,), ``dldq`` (max coords,) and, for a muscle that wraps
    (the ``wc_*``/``pw_*`` arrays, :mod:`hipsim.model.wrapping`), ``wstatus``, ``wafter`` (max wraps,),
    its cylinders' poses ``cR`` (max wraps, 3, 3), ``co`` (max wraps, 3), ``cw``, ``cv`` (max wraps,
    max coords, 3) and ``wfw`` (float64), ``wiw`` (int64), the wrapping kernel's workspaces
    (``wrapping.path_workspace_sizes`` for the maximum points and wraps per muscle);
    ``status_out`` (nm, max wraps) receives each path wrap's OpenSim wrap action (NO_WRAP,
    INSIDE_RADIUS, WRAPPED, MANDATORY_WRAP; -1 where a muscle has fewer wraps)."""
    nm = pt_start.shape[0] - 1
    for m in range(nm):
        c0 = mc_start[m]
        ncm = mc_start[m + 1] - c0
        npts = 0
        for ip in range(pt_start[m], pt_start[m + 1]):
            kind = pt_kind[ip]
            # The body of point_active / point_location / to_ground, written out: calling them
            # here (inlined or not) passes arrays, whose reference counting made this loop 2.5
            # times slower (measured: 8.3 against 3.2 million muscle-poses per second).
            if kind == 1:
                qc = q[pt_coord[ip, 0]]
                if qc < pt_range[ip, 0] or qc > pt_range[ip, 1]:
                    continue
            dx = 0.0
            dy = 0.0
            dz = 0.0
            if kind == 2:
                lx, dx, _ = feval(pt_fn[ip, 0], q[pt_coord[ip, 0]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
                ly, dy, _ = feval(pt_fn[ip, 1], q[pt_coord[ip, 1]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
                lz, dz, _ = feval(pt_fn[ip, 2], q[pt_coord[ip, 2]], fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd)
            else:
                lx = pt_loc[ip, 0]
                ly = pt_loc[ip, 1]
                lz = pt_loc[ip, 2]
            b = pt_body[ip]
            pidx[npts] = ip - pt_start[m]
            pbody[npts] = b
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
        lo = pw_start[m]
        nw = pw_start[m + 1] - lo
        if nw > 0:
            # A wrapping muscle: OpenSim's path over its wrap cylinders (hipsim.model.wrapping). Its
            # cylinders' poses (wrapping.cylinder_in_ground, written out like the points above).
            for w in range(nw):
                c = pw_cyl[lo + w]
                b = wc_body[c]
                for i in range(3):
                    s = 0.0
                    for j in range(3):
                        cR[w, i, j] = (R[b, i, 0] * wc_rot[c, 0, j] + R[b, i, 1] * wc_rot[c, 1, j]
                                       + R[b, i, 2] * wc_rot[c, 2, j])
                        s += R[b, i, j] * wc_trans[c, j]
                    co[w, i] = o[b, i] + s
                if want_arms:
                    s0 = co[w, 0] - o[b, 0]
                    s1 = co[w, 1] - o[b, 1]
                    s2 = co[w, 2] - o[b, 2]
                    for t in range(ncm):
                        k = mc_coord[c0 + t]
                        w0 = jw[b, k, 0]
                        w1 = jw[b, k, 1]
                        w2 = jw[b, k, 2]
                        cw[w, t, 0] = w0
                        cw[w, t, 1] = w1
                        cw[w, t, 2] = w2
                        cv[w, t, 0] = jv[b, k, 0] + w1 * s2 - w2 * s1
                        cv[w, t, 1] = jv[b, k, 1] + w2 * s0 - w0 * s2
                        cv[w, t, 2] = jv[b, k, 2] + w0 * s1 - w1 * s0
            lengths[m] = path_length_core(
                npts, nw, ncm if want_arms else 0, gp, dp, pidx, pbody, pt_start[m + 1] - pt_start[m], want_arms,
                wrap_method, cR, co, cw, cv, pw_cyl, lo, wc_body, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                pw_range, dldq, wstatus, wafter, wfw, wiw)
            if want_arms:
                for t in range(ncm):
                    arms[m, mc_coord[c0 + t]] = -dldq[t]
            for w in range(status_out.shape[1]):
                status_out[m, w] = wstatus[w] if w < nw else -1
            continue
        for w in range(status_out.shape[1]):
            status_out[m, w] = -1
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
                           anc_start, anc_coord, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range, pt_fn,
                           mc_start, mc_coord,
                           fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                           wc_body, wc_rot, wc_trans, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                           pw_start, pw_cyl, pw_range, wrap_method):
    """Muscle-tendon lengths (nf, nm) and moment arms (nf, nm, nc) for poses ``qs`` (nf, nc).

    Frames are independent, so the result does not depend on the number of threads. When
    ``want_arms`` is False only lengths are computed and the moment-arm array is empty (0, nm, nc).
    Also returns each path wrap's wrap action (nf, nm, max wraps), as ``_muscles_at_pose``.
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
    maxw = 1
    for m in range(nm):
        maxw = max(maxw, pw_start[m + 1] - pw_start[m])
    lengths = np.empty((nf, nm))
    arms = np.empty((nf if want_arms else 0, nm, nc))  # every row is written in full below
    status = np.empty((nf, nm, maxw), dtype=np.int64)
    # The wrapping kernel's scratch, sized for the largest muscle (it allocates nothing per pose).
    nwf, nwi = path_workspace_sizes(maxp, maxw)
    # Frames split in fixed chunks so that scratch is allocated once per chunk, not per frame.
    chunk = 64
    nchunks = (nf + chunk - 1) // chunk
    for ch in prange(nchunks):
        R = np.empty((nb, 3, 3))
        o = np.empty((nb, 3))
        jw = np.zeros((nb, nc, 3))
        jv = np.zeros((nb, nc, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((3, 6, 3))
        gp = np.empty((maxp, 3))
        dp = np.empty((maxp, maxc, 3))
        dummy = np.zeros((nm, nc))
        pidx = np.empty(maxp, dtype=np.int64)
        pbody = np.empty(maxp, dtype=np.int64)
        dldq = np.zeros(maxc)
        wstatus = np.zeros(maxw, dtype=np.int64)
        wafter = np.zeros(maxw, dtype=np.int64)
        cR = np.empty((maxw, 3, 3))
        co = np.empty((maxw, 3))
        cw = np.empty((maxw, maxc, 3))
        cv = np.empty((maxw, maxc, 3))
        wfw = np.empty(nwf)
        wiw = np.empty(nwi, dtype=np.int64)
        for f in range(ch * chunk, min(nf, (ch + 1) * chunk)):
            body_kinematics(qs[f], want_arms, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord,
                            anc_start, anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jv, sc, sv,
                            False, qs[f], qs[f], R[0], R[0], R[0])
            arms_f = arms[f] if want_arms else dummy
            _muscles_at_pose(qs[f], R, o, jw, jv, pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range,
                             pt_fn, mc_start, mc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                             wc_body, wc_rot, wc_trans, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                             pw_start, pw_cyl, pw_range, wrap_method,
                             lengths[f], arms_f, want_arms, gp, dp, pidx, pbody, dldq,
                             wstatus, wafter, cR, co, cw, cv, wfw, wiw, status[f])
    return lengths, arms, status


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
        sv = np.zeros((3, 6, 3))
        body_kinematics(qs[f], True, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                        anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R[f], o[f], jw[f], jv[f], sc, sv,
                        False, qs[f], qs[f], o[f], o[f], o[f])
    return R, o, jw, jv


@njit(cache=True)
def pose_outputs(nf, nb, ns):
    """Output arrays of a batch of body poses with ``ns`` Jacobian columns: R (nf, nb, 3, 3),
    o (nf, nb, 3), jw and jv (nf, nb, ns, 3)."""
    return np.empty((nf, nb, 3, 3)), np.empty((nf, nb, 3)), np.empty((nf, nb, ns, 3)), np.empty((nf, nb, ns, 3))


@njit(cache=True, inline="always")
def store_columns(f, sw, sj, cols, jw, jv):
    """Copy the Jacobian columns ``cols`` of one pose (``sw``, ``sj``: (nb, nc, 3)) into frame ``f``
    of ``jw``, ``jv`` (nf, nb, len(cols), 3)."""
    for b in range(sw.shape[0]):
        for t in range(cols.shape[0]):
            c = cols[t]
            for i in range(3):
                jw[f, b, t, i] = sw[b, c, i]
                jv[f, b, t, i] = sj[b, c, i]


@njit(cache=True, parallel=True)
def body_poses_columns_batch(qs, cols, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                             anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd):
    """As :func:`body_poses_batch`, with the Jacobians of the coordinates ``cols`` only
    (nf, nb, len(cols), 3): a solver that moves a few coordinates need not carry every column."""
    nf, nc = qs.shape
    nb = body_parent.shape[0]
    R, o, jw, jv = pose_outputs(nf, nb, cols.shape[0])
    chunk = 64
    for ch in prange((nf + chunk - 1) // chunk):
        # Every frame writes the same entries (anc_coord), so the scratch is zeroed once per chunk.
        sw = np.zeros((nb, nc, 3))
        sj = np.zeros((nb, nc, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((3, 6, 3))
        for f in range(ch * chunk, min(nf, (ch + 1) * chunk)):
            body_kinematics(qs[f], True, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                            anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R[f], o[f], sw, sj, sc, sv,
                            False, qs[f], qs[f], o[f], o[f], o[f])
            store_columns(f, sw, sj, cols, jw, jv)
    return R, o, jw, jv
