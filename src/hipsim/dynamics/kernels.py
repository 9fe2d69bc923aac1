"""numba kernels: inverse dynamics and joint reaction forces.

Inverse dynamics uses Kane's form for a tree: the generalised force of coordinate k is the
sum over bodies of the partial velocities times the inertial-and-gravity forces,

    tau_k = sum_b [ v_k(com_b) . m_b (a_com_b - g) + w_k(b) . (I_b alpha_b + w_b x I_b w_b) ]
            - sum_e [ v_k(p_e) . F_e + w_k(b_e) . T_e ],

with v_k, w_k the columns of the body Jacobians (exact, from the model kernels) and the
body accelerations from one recursive pass that includes the second derivatives of the
joint functions. tau is what the actuators (muscles and reserves) must supply, the
quantity OpenSim's InverseDynamicsTool reports.

Point masses (a bag, a child) are attached to bodies and add m (a - g) at their location.
External forces (ground reaction forces) are given in ground with their point of
application in ground and a free torque.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from hipsim.model.kernels import body_kinematics, point_active, point_location, to_ground
from hipsim.model.wrapping import cylinder_in_ground, path_elements, path_length_core, path_workspace_sizes


@njit(cache=True)
def _point_accel(b, sx, sy, sz, acc, al, w):
    """Acceleration of the point o_b + s fixed in body b."""
    c0 = w[b, 1] * sz - w[b, 2] * sy
    c1 = w[b, 2] * sx - w[b, 0] * sz
    c2 = w[b, 0] * sy - w[b, 1] * sx
    a0 = acc[b, 0] + al[b, 1] * sz - al[b, 2] * sy + w[b, 1] * c2 - w[b, 2] * c1
    a1 = acc[b, 1] + al[b, 2] * sx - al[b, 0] * sz + w[b, 2] * c0 - w[b, 0] * c2
    a2 = acc[b, 2] + al[b, 0] * sy - al[b, 1] * sx + w[b, 0] * c1 - w[b, 1] * c0
    return a0, a1, a2


@njit(cache=True)
def _add_force(tau, b, px, py, pz, fx, fy, fz, tx, ty, tz, o, jw, jv, anc_start, anc_coord):
    """tau_k += v_k(p) . F + w_k(b) . T for a force F at ground point p on body b plus torque T."""
    rx = px - o[b, 0]
    ry = py - o[b, 1]
    rz = pz - o[b, 2]
    for t in range(anc_start[b], anc_start[b + 1]):
        k = anc_coord[t]
        w0 = jw[b, k, 0]
        w1 = jw[b, k, 1]
        w2 = jw[b, k, 2]
        v0 = jv[b, k, 0] + w1 * rz - w2 * ry
        v1 = jv[b, k, 1] + w2 * rx - w0 * rz
        v2 = jv[b, k, 2] + w0 * ry - w1 * rx
        tau[k] += v0 * fx + v1 * fy + v2 * fz + w0 * tx + w1 * ty + w2 * tz


@njit(cache=True, parallel=True)
def inverse_dynamics_batch(qs, qds, qdds, pm_body, pm_loc, pm_mass, ex_body, ex_force, ex_point, ex_torque,
                           body_parent, body_mass, body_com, body_inertia, gravity,
                           r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                           fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd):
    """Generalised forces (nf, nc) for motion qs, qds, qdds (nf, nc).

    pm_*: point masses (np,) body, (np,3) location in body, (np,) kg.
    ex_*: external loads (ne,) body, and per frame (nf,ne,3) force, point (ground) and torque.
    Also returns the whole-body centre of mass (nf,3) in ground.
    """
    nf, nc = qs.shape
    nb = body_parent.shape[0]
    tau = np.zeros((nf, nc))
    com = np.zeros((nf, 3))
    g0 = gravity[0]
    g1 = gravity[1]
    g2 = gravity[2]
    for f in prange(nf):
        R = np.empty((nb, 3, 3))
        o = np.empty((nb, 3))
        jw = np.zeros((nb, nc, 3))
        jv = np.zeros((nb, nc, 3))
        w = np.empty((nb, 3))
        al = np.empty((nb, 3))
        acc = np.empty((nb, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((3, 6, 3))
        body_kinematics(qs[f], True, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                        anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jv, sc, sv,
                        True, qds[f], qdds[f], w, al, acc)
        t = tau[f]
        mtot = 0.0
        iw = np.empty(3)
        ia = np.empty(3)
        for b in range(1, nb):
            m = body_mass[b]
            sx, sy, sz = to_ground(R, b, body_com[b, 0], body_com[b, 1], body_com[b, 2])
            a0, a1, a2 = _point_accel(b, sx, sy, sz, acc, al, w)
            mtot += m
            com[f, 0] += m * (o[b, 0] + sx)
            com[f, 1] += m * (o[b, 1] + sy)
            com[f, 2] += m * (o[b, 2] + sz)
            # Inertia about the COM in ground: R I R^T applied to w and alpha.
            for i in range(3):
                lw = R[b, 0, i] * w[b, 0] + R[b, 1, i] * w[b, 1] + R[b, 2, i] * w[b, 2]
                la = R[b, 0, i] * al[b, 0] + R[b, 1, i] * al[b, 1] + R[b, 2, i] * al[b, 2]
                iw[i] = lw
                ia[i] = la
            bw0 = body_inertia[b, 0, 0] * iw[0] + body_inertia[b, 0, 1] * iw[1] + body_inertia[b, 0, 2] * iw[2]
            bw1 = body_inertia[b, 1, 0] * iw[0] + body_inertia[b, 1, 1] * iw[1] + body_inertia[b, 1, 2] * iw[2]
            bw2 = body_inertia[b, 2, 0] * iw[0] + body_inertia[b, 2, 1] * iw[1] + body_inertia[b, 2, 2] * iw[2]
            ba0 = body_inertia[b, 0, 0] * ia[0] + body_inertia[b, 0, 1] * ia[1] + body_inertia[b, 0, 2] * ia[2]
            ba1 = body_inertia[b, 1, 0] * ia[0] + body_inertia[b, 1, 1] * ia[1] + body_inertia[b, 1, 2] * ia[2]
            ba2 = body_inertia[b, 2, 0] * ia[0] + body_inertia[b, 2, 1] * ia[1] + body_inertia[b, 2, 2] * ia[2]
            gw0 = R[b, 0, 0] * bw0 + R[b, 0, 1] * bw1 + R[b, 0, 2] * bw2
            gw1 = R[b, 1, 0] * bw0 + R[b, 1, 1] * bw1 + R[b, 1, 2] * bw2
            gw2 = R[b, 2, 0] * bw0 + R[b, 2, 1] * bw1 + R[b, 2, 2] * bw2
            mx = R[b, 0, 0] * ba0 + R[b, 0, 1] * ba1 + R[b, 0, 2] * ba2 + w[b, 1] * gw2 - w[b, 2] * gw1
            my = R[b, 1, 0] * ba0 + R[b, 1, 1] * ba1 + R[b, 1, 2] * ba2 + w[b, 2] * gw0 - w[b, 0] * gw2
            mz = R[b, 2, 0] * ba0 + R[b, 2, 1] * ba1 + R[b, 2, 2] * ba2 + w[b, 0] * gw1 - w[b, 1] * gw0
            _add_force(t, b, o[b, 0] + sx, o[b, 1] + sy, o[b, 2] + sz, m * (a0 - g0), m * (a1 - g1), m * (a2 - g2),
                       mx, my, mz, o, jw, jv, anc_start, anc_coord)
        for i in range(pm_body.shape[0]):
            b = pm_body[i]
            m = pm_mass[i]
            sx, sy, sz = to_ground(R, b, pm_loc[i, 0], pm_loc[i, 1], pm_loc[i, 2])
            a0, a1, a2 = _point_accel(b, sx, sy, sz, acc, al, w)
            mtot += m
            com[f, 0] += m * (o[b, 0] + sx)
            com[f, 1] += m * (o[b, 1] + sy)
            com[f, 2] += m * (o[b, 2] + sz)
            _add_force(t, b, o[b, 0] + sx, o[b, 1] + sy, o[b, 2] + sz, m * (a0 - g0), m * (a1 - g1), m * (a2 - g2),
                       0.0, 0.0, 0.0, o, jw, jv, anc_start, anc_coord)
        for e in range(ex_body.shape[0]):
            b = ex_body[e]
            _add_force(t, b, ex_point[f, e, 0], ex_point[f, e, 1], ex_point[f, e, 2],
                       -ex_force[f, e, 0], -ex_force[f, e, 1], -ex_force[f, e, 2],
                       -ex_torque[f, e, 0], -ex_torque[f, e, 1], -ex_torque[f, e, 2], o, jw, jv, anc_start, anc_coord)
        for i in range(3):
            com[f, i] /= mtot
    return tau, com


@njit(cache=True, parallel=True)
def joint_reaction_batch(qs, qds, qdds, child, muscle_force, mp_body, mp_loc, mp_mass, ex_body, ex_force, ex_point,
                         body_parent, gravity,
                         r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start, anc_coord,
                         pt_start, pt_kind, pt_body, pt_loc, pt_coord, pt_range, pt_fn,
                         fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd,
                         wc_body, wc_rot, wc_trans, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                         pw_start, pw_cyl, pw_range, wrap_method):
    """Force (nf,3, ground) that the parent exerts on body ``child`` through their joint.

    Newton's law for the subtree S rooted at ``child``: the joint force equals
    sum_S m (a_com - g) - external forces on S - muscle forces on S, where a muscle acts on S
    at each path segment that crosses between S and the rest of the body, pulling its point
    in S toward the point outside (muscle_force (nf, nm) in N, tension positive). A wrapping muscle
    (the ``wc_*``/``pw_*`` arrays, :mod:`hipsim.model.wrapping`) pulls along its wrapped path: its
    segments run between path points and the tangent points on its wrap cylinders, which belong to
    the cylinders' bodies. ``mp_*`` are the mass points: every body's centre of mass and the carried
    point masses (body, location, kg).
    """
    nf, nc = qs.shape
    nb = body_parent.shape[0]
    nm = pt_start.shape[0] - 1
    maxp = 1
    maxw = 1
    for m in range(nm):
        maxp = max(maxp, pt_start[m + 1] - pt_start[m])
        maxw = max(maxw, pw_start[m + 1] - pw_start[m])
    nwf, nwi = path_workspace_sizes(maxp, maxw)
    no_coords = np.zeros(0, dtype=np.int64)
    inside = np.zeros(nb, dtype=np.bool_)
    for b in range(1, nb):
        cur = b
        while cur > 0:
            if cur == child:
                inside[b] = True
                break
            cur = body_parent[cur]
    # A muscle whose points and wrap surfaces all lie on one side of the joint never crosses it.
    crosses = np.zeros(nm, dtype=np.bool_)
    for mu in range(nm):
        some_in = False
        some_out = False
        for ip in range(pt_start[mu], pt_start[mu + 1]):
            if inside[pt_body[ip]]:
                some_in = True
            else:
                some_out = True
        for k in range(pw_start[mu], pw_start[mu + 1]):
            if inside[wc_body[pw_cyl[k]]]:
                some_in = True
            else:
                some_out = True
        crosses[mu] = some_in and some_out
    out = np.zeros((nf, 3))
    g0 = gravity[0]
    g1 = gravity[1]
    g2 = gravity[2]
    for f in prange(nf):
        R = np.empty((nb, 3, 3))
        o = np.empty((nb, 3))
        jw = np.zeros((1, nc, 3))
        w = np.empty((nb, 3))
        al = np.empty((nb, 3))
        acc = np.empty((nb, 3))
        sc = np.empty((5, 3, 3))
        sv = np.zeros((3, 6, 3))
        body_kinematics(qs[f], False, body_parent, r_pf, p_pf, r_bm, p_bm, ax_dir, ax_fn, ax_coord, anc_start,
                        anc_coord, fkind, fa, fb, foff, fcnt, kx, ky, kb, kc, kd, R, o, jw, jw, sc, sv,
                        True, qds[f], qdds[f], w, al, acc)
        f0 = 0.0
        f1 = 0.0
        f2 = 0.0
        for i in range(mp_body.shape[0]):  # body centres of mass and carried point masses
            b = mp_body[i]
            if not inside[b]:
                continue
            m = mp_mass[i]
            sx, sy, sz = to_ground(R, b, mp_loc[i, 0], mp_loc[i, 1], mp_loc[i, 2])
            a0, a1, a2 = _point_accel(b, sx, sy, sz, acc, al, w)
            f0 += m * (a0 - g0)
            f1 += m * (a1 - g1)
            f2 += m * (a2 - g2)
        for e in range(ex_body.shape[0]):
            if inside[ex_body[e]]:
                f0 -= ex_force[f, e, 0]
                f1 -= ex_force[f, e, 1]
                f2 -= ex_force[f, e, 2]
        gp = np.empty((maxp, 3))
        dp = np.zeros((maxp, 1, 3))
        pidx = np.empty(maxp, dtype=np.int64)
        pbody = np.empty(maxp, dtype=np.int64)
        ex = np.empty((maxp + 2 * maxw, 4))
        cR = np.empty((maxw, 3, 3))
        co = np.empty((maxw, 3))
        cw = np.zeros((maxw, 1, 3))
        dl = np.zeros(1)
        wstatus = np.empty(maxw, dtype=np.int64)
        wafter = np.empty(maxw, dtype=np.int64)
        wfw = np.empty(nwf)
        wiw = np.empty(nwi, dtype=np.int64)
        for mu in range(nm):
            fm = muscle_force[f, mu]
            if fm == 0.0 or not crosses[mu]:
                continue
            # the path's active points in ground, then (for a wrapping muscle) its tangent points
            n = 0
            for ip in range(pt_start[mu], pt_start[mu + 1]):
                if not point_active(ip, qs[f], pt_kind, pt_coord, pt_range):
                    continue
                lx, ly, lz, _, _, _ = point_location(ip, qs[f], pt_kind, pt_loc, pt_coord, pt_fn, fkind, fa, fb,
                                                     foff, fcnt, kx, ky, kb, kc, kd)
                b = pt_body[ip]
                s0, s1, s2 = to_ground(R, b, lx, ly, lz)
                gp[n, 0] = o[b, 0] + s0
                gp[n, 1] = o[b, 1] + s1
                gp[n, 2] = o[b, 2] + s2
                pidx[n] = ip - pt_start[mu]
                pbody[n] = b
                n += 1
            lo = pw_start[mu]
            nw = pw_start[mu + 1] - lo
            if nw > 0:
                for k in range(nw):
                    c = pw_cyl[lo + k]
                    cylinder_in_ground(R, o, jw, jw, wc_body[c], wc_rot[c], wc_trans[c], no_coords, cR[k], co[k],
                                       cw[k], cw[k])
                path_length_core(n, nw, 0, gp, dp, pidx, pbody, pt_start[mu + 1] - pt_start[mu], False,
                                 wrap_method, cR, co, cw, cw, pw_cyl, lo, wc_body, wc_radius, wc_length, wc_axis,
                                 wc_sign, wc_active, pw_range, dl, wstatus, wafter, wfw, wiw)
                ne = path_elements(n, nw, wrap_method, gp, wfw, wiw, ex, wc_body, pbody, pw_cyl, lo)
            else:
                for e in range(n):
                    ex[e, 0] = gp[e, 0]
                    ex[e, 1] = gp[e, 1]
                    ex[e, 2] = gp[e, 2]
                    ex[e, 3] = pbody[e]
                ne = n
            for e in range(1, ne):
                pin = inside[int(ex[e - 1, 3])]
                nin = inside[int(ex[e, 3])]
                if nin == pin:
                    continue
                # Segment crosses the boundary: pull the inside end toward the outside end.
                dx = ex[e - 1, 0] - ex[e, 0]
                dy = ex[e - 1, 1] - ex[e, 1]
                dz = ex[e - 1, 2] - ex[e, 2]
                sgn = 1.0 if nin else -1.0
                ln = np.sqrt(dx * dx + dy * dy + dz * dz)
                if ln > 0.0:
                    f0 -= sgn * fm * dx / ln
                    f1 -= sgn * fm * dy / ln
                    f2 -= sgn * fm * dz / ln
        out[f, 0] = f0
        out[f, 1] = f1
        out[f, 2] = f2
    return out
