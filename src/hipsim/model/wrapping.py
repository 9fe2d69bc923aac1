"""Muscle paths wrapping over cylinders, with OpenSim 4.6's semantics, as numba kernels.

What is reproduced
------------------
OpenSim wraps a muscle's ``GeometryPath`` over the ``WrapCylinder`` objects named in its
``PathWrapSet`` (OpenSim/Simulation/Wrap/WrapCylinder.cpp ``wrapLine``, WrapObject.cpp
``wrapPathSegment``, GeometryPath.cpp ``applyWrapObjects``; the cylinder algorithm is
Peter Loan's from SIMM, in the family described by Garner & Pandy 2000, Comput Methods
Biomech Biomed Engin 3:1-30). The facts used here:

* The cylinder frame is placed on its body by ``xyz_body_rotation`` (body-fixed X-Y-Z
  Euler angles) and ``translation``; its axis is the frame's z axis and it is centred on
  z = 0 (``length`` long, ``radius`` wide).
* Path-level logic (``applyWrapObjects``): the wraps are applied in ``PathWrapSet`` order.
  ``range`` holds 1-based indices into the path-point set (a value < 1 means the first or
  the last point); the first and last *active* points inside it bound the candidate
  segments of the current path (which includes the tangent points already inserted by
  other wraps; a segment between the two tangent points of one other wrap is skipped).
  Every candidate segment is wrapped in turn: the first ``mandatoryWrap`` (the straight
  line really crosses the cylinder) is taken at once; otherwise the ``wrapped`` segment
  with the smallest length increase wins. Its two tangent points are inserted into the
  path (fixed to the cylinder's body). With two or more wraps the whole pass is repeated
  (up to 8 times) until the path length changes by less than 0.5 mm, and if after the
  first pass the first wrap did not wrap and the second had a point inside its cylinder,
  the order of the first two is swapped.
* Segment-level logic (``wrapLine``): a path point inside the infinite cylinder (closer
  than ``radius`` to the axis) gives ``insideRadius`` (no wrap). The closest points of the
  straight line and the axis decide whether the line "crosses" the cylinder (distance <
  radius, strictly between the end points). Without a quadrant, a segment that does not
  cross never wraps. With a quadrant (``+x``, ``-y``, ...; side s along axis a) the end
  points' signs decide: if either point is on the active side, it wraps only if the line
  crosses, or if the points lie on opposite sides and the line's closest point is off the
  active side; if neither is on the active side it wraps around the active side. The
  tangent points in the cross-section are chosen among the four candidates as OpenSim
  does (by the active side, or by the smallest angle between them without a quadrant), as
  are the "far side" and "long wrap" flags. If both tangent points (as OpenSim slides them
  along the axis through the plane of the end points and the "apex") lie beyond the
  cylinder's ``length``, there is no wrap: the length limits only where the tangent
  points may be, not the arc.
* The wrapped length is straight + helical arc + straight, the helix angle being the
  signed angle between the tangent points (``2 pi`` minus it for a long wrap).

Placing the tangent points along the axis: two methods
--------------------------------------------------------
The cross-section tangent points and the arc angle are always OpenSim's. Their axial
positions (and so the length) come from one of two methods:

* ``OPENSIM`` reproduces ``Muscle.getLength`` to rounding (measured <= 2e-15 m on small models
  and on RajagopalLaiUhlrich2023's wrapped muscles). OpenSim slides the tangent points to the
  plane through the end points and an "apex" on the surface; with a single wrap that is final
  (``singleWrap``: no tangency iteration), with two or more wraps it then iterates
  (``_make_spiral_path``/``_adjust_tangent_point``: restart until the straight parts meet the
  spiral, sampled every 2 mm, within 0.1 degree; at most 100 restarts; none for an arc shorter
  than 4 mm; each restart's target point, which OpenSim constructs with unit vectors, is
  computed here in closed form, equal to rounding). OpenSim also caches a tangent point's
  ground location at its first query for a state (``Point::getLocationInGround``) and does not
  refresh it when a later pass moves the point, and its convergence test, length-change
  comparison, final length and moment arm use that stale value; this is reproduced (it matters
  only when wraps interact on a segment). One rounding detail is not: where an end point lies
  exactly at z = 0 in the cylinder frame, OpenSim's test for keeping a slid tangent point
  depends on rounding noise in a computed axis point (see ``wrap_segment``); the intended
  axial test is used.
  The derivative in this mode holds the tangent points fixed on their cylinders, which is
  OpenSim's moment arm (its ``MomentArmSolver`` applies the path's point forces); it is not
  the derivative of this length (the plane placement is not the shortest path, so the
  tangent points' sliding changes the length at first order).
* ``GEODESIC`` places them exactly: for the given tangent points and arc angle the shortest
  path unrolls to a straight line, so the length is ``sqrt((h1 + r|theta| + h2)^2 + dz^2)``
  (h the tangent lengths in the cross-section, dz the axial distance of the end points). It
  is smooth, never longer than OpenSim's (same expression at other tangent heights), and its
  derivative is exact. It differs from OpenSim by the plane construction's error: 1e-9 m to
  1e-5 m where the path lies nearly across the axis, up to centimetres for steep helices.

Derivatives
-----------
In ``GEODESIC`` mode the derivative of a wrapped segment's length with respect to each end
point is analytic: in the axial direction the length is stationary in the tangent heights
(envelope argument), and in the cross-section the derivative of ``h + r|theta|`` is taken
through the tangent angles. When the tangent points are consistent with the arc direction
(the usual case) this is the unit vector from the tangent point to the end point; the
general formula also covers OpenSim's inconsistent combinations (a "long wrap" leaving from
the near tangent point). At path level the derivative per coordinate is the sum over
straight segments between different bodies of ``u . (dp_b - dp_a)``, tangent points moving
rigidly with their cylinder's body (arcs are rigid), plus for each wrap the correction
``(g - e) . dP_cyl`` between the exact end-point gradient g and the rigid-point one e (zero
in the consistent case). It is exact for a single wrap and for wraps that do not share a
segment; when two wraps share one, OpenSim's fixed-point iteration stops at 0.5 mm and the
length is not exactly stationary.

Switching between wrapping and not
----------------------------------
The switch semantics are OpenSim's, as above (no smoothing, no hysteresis; each pose is
decided on its own, as OpenSim does for cylinders since ``previousWrap`` is not used by
``WrapCylinder``). Without a quadrant the switch happens where the straight line becomes
tangent to the cylinder: the length is continuous there (the arc shrinks to zero) and so
is its derivative for a cylinder of unlimited length. Where the switch is caused by a
quadrant test or by the cylinder's length (tangent points leaving ``[-length/2,
length/2]``) the length jumps or its derivative jumps, exactly as in OpenSim. The kernels
return the status of each wrap so that callers can detect a switch between poses.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from hipsim.errors import input_error
from hipsim.model.spec import PathWrap, WrapCylinder

# OpenSim's WrapObject::WrapAction codes.
NO_WRAP, INSIDE_RADIUS, WRAPPED, MANDATORY_WRAP = 0, 1, 2, 3

#: Layout of the ``out`` array of :func:`wrap_segment`.
SEG_TOTAL, SEG_ARC, SEG_T1, SEG_T2, SEG_G1, SEG_G2, SEG_STRAIGHT = 0, 1, 2, 5, 8, 11, 14
SEG_OUT_SIZE = 15


_EPS = 2.220446049250313e-16      # SimTK::Eps (NormalizeOrZero threshold)
_ROUNDOFF = 2e-13                 # SimmMacros ROUNDOFF_ERROR (IntersectLines parallel test)
_LINE_EPS = 1e-5                  # WrapMath LINE_EPSILON (IntersectLineSegPlane)
_CONVERGED = 0.0005               # applyWrapObjects: stop when the length changes less (m)
_TANGENCY = 0.1 * math.pi / 180.0  # WrapCylinder TANGENCY_THRESHOLD
_MAX_ITERATIONS = 100             # WrapCylinder MAX_ITERATIONS
_SEGMENT = 0.002                  # WrapCylinder: spiral sampled every 2 mm

#: Tangent point placement along the axis (``method`` of :func:`wrap_segment`).
GEODESIC, OPENSIM_PLANE, OPENSIM_ITERATED = 0, 1, 2
#: ``method`` of :func:`wrapped_path_length`: OpenSim's placement, plane or iterated as OpenSim.
OPENSIM = 1


# ------------------------------------------------------------------------- geometry records
# The wrap objects and path wraps themselves are the model description's records
# (hipsim.model.spec.WrapCylinder and PathWrap, read from .osim files by hipsim.model.osim);
# this module turns them into arrays.

#: hipsim's quadrant spellings (spec.WRAP_QUADRANTS) -> (constrained axis, sign); -1, 0 for "all".
QUADRANT_AXIS_SIGN = {"all": (-1, 0), "+x": (0, 1), "-x": (0, -1), "+y": (1, 1), "-y": (1, -1),
                      "+z": (2, 1), "-z": (2, -1)}


def cylinder_rotation(c: WrapCylinder) -> np.ndarray:
    """Rotation of the cylinder frame in its body frame (OpenSim's X-Y-Z body-fixed
    ``xyz_body_rotation``; the columns are the cylinder's axes, its own z the cylinder axis)."""
    from hipsim.model.compiled import euler_xyz_body_fixed  # compiled imports this module
    return euler_xyz_body_fixed(c.xyz_body_rotation)


# ------------------------------------------------------------------------- segment kernel
@njit(cache=True, inline="always")
def _dsign(a):
    """OpenSim's DSIGN: +1 for a >= 0, else -1 (also for NaN)."""
    return 1 if a >= 0.0 else -1


@njit(cache=True, inline="always", error_model="numpy")
def _unit_or_zero(x, y, z):
    m = math.sqrt(x * x + y * y + z * z)
    if m >= _EPS:
        return x / m, y / m, z / m
    return 0.0, 0.0, 0.0


@njit(cache=True, inline="always", error_model="numpy")
def _plane_z(rx, ry, rz, nx, ny, nz, d):
    """Axial line through (rx, ry, rz +- 10) against the plane n.x + d = 0: (hit, z)."""
    az = rz - 10.0
    dot = 20.0 * nz
    if abs(dot) < _LINE_EPS:
        return False, rz
    t = (-d - nx * rx - ny * ry - nz * az) / dot
    if t < -_LINE_EPS or t > 1.0 + _LINE_EPS:
        return False, rz
    return True, az + t * 20.0


@njit(cache=True, inline="always")
def _spiral_point(x, y, z, ang, dz):
    c = math.cos(ang)
    s = math.sin(ang)
    return c * x - s * y, s * x + c * y, z + dz


@njit(cache=True, inline="always", error_model="numpy")
def _tangency_apart(prz, rwz):
    """OpenSim's test |acos(prz) - acos(rwz)| > TANGENCY_THRESHOLD, decided without the acos
    where bounds settle it.

    |acos(a) - acos(b)| = |a - b| / sqrt(1 - x^2) for some x between a and b (mean value
    theorem), so bounds on |x| bound the angle difference; where a bound is clear of the
    threshold by far more than the rounding of acos and of the bounds, it decides the test
    exactly as the two acos would, and they are skipped (they dominated the tangency loop). The
    bounds are compared squared (no sqrt or division): the margins, 1e-9 relative, dwarf the
    rounding of either form."""
    aa = abs(prz)
    ab = abs(rwz)
    if aa <= 1.0 and ab <= 1.0:
        d2 = (prz - rwz) * (prz - rwz)
        mn = min(aa, ab) if prz * rwz > 0.0 else 0.0
        hi = _TANGENCY * (1.0 + 1e-9) + 1e-12
        if d2 > hi * hi * ((1.0 - mn) * (1.0 + mn)):
            return True
        mx = max(aa, ab)
        den = (1.0 - mx) * (1.0 + mx)
        lo = _TANGENCY * (1.0 - 1e-9) - 1e-12
        if den > 0.0 and d2 < lo * lo * den:
            return False
    return abs(math.acos(prz) - math.acos(rwz)) > _TANGENCY


@njit(cache=True, inline="always", error_model="numpy")
def _adjust(pz, rz, wz, hpr, hrw, hpw, kpw):
    """OpenSim's WrapCylinder::_adjust_tangent_point: (adjusted, new z of the tangent point), for
    the tangent point r (height ``rz``) with its end point p (``pz``) and the spiral sample w
    (``wz``). ``hpr``, ``hrw``, ``hpw`` are the squared horizontal lengths of r - p, w - r and w - p,
    and ``kpw`` = (r - p).(w - p) / hpw over horizontal components: constant in the tangency loop
    while the samples hold.

    OpenSim moves r to 1.5 times the way to the point of the vertical through r closest to the
    line p -> w (IntersectLines). The two lines' common perpendicular is horizontal (it is normal
    to the vertical), so that point is at the height of the line's point p + s (w - p) whose
    horizontal offset from r is normal to the line's: s = ``kpw``, height pz + s (wz - pz). This
    is OpenSim's point in closed form; its construction through unit vectors and a determinant
    rounds differently (by about 1e-16 relative) but takes a square root and two divisions in
    sequence, which made this loop the dearest part of the wrapped model's moment arms.
    """
    dz = rz - pz
    m = math.sqrt(hpr + dz * dz)
    prz = dz / m if m >= _EPS else 0.0
    dz = wz - rz
    m = math.sqrt(hrw + dz * dz)
    rwz = dz / m if m >= _EPS else 0.0
    if not _tangency_apart(prz, rwz):
        return False, rz
    dz = wz - pz
    # OpenSim's degenerate cases: no vertical direction (|wz - pz| below SimTK::Eps), or the line
    # parallel to the vertical (squared sine of their angle at most ROUNDOFF_ERROR). There OpenSim
    # reads an unset point; hipsim leaves the tangent point.
    if abs(dz) < _EPS or hpw <= _ROUNDOFF * (hpw + dz * dz):
        return False, rz
    return True, rz + 1.5 * ((pz + kpw * dz) - rz)


@njit(cache=True, error_model="numpy")
def _spiral_adjust(x1, y1, z1, x2, y2, z2, t1x, t1y, zt1, t2x, t2y, zt2, r, theta, long_wrap):
    """OpenSim's _make_spiral_path tangency iteration (used when the path has several wraps):
    slide the tangent points along the axis until the straight parts meet the sampled spiral
    within 0.1 degree (at most 100 restarts). Returns the tangent points' z."""
    sense = -1.0 if long_wrap else 1.0
    rth2 = (r * theta) ** 2
    # The samples' cross-section positions depend only on the number of spiral segments, which
    # almost never changes between restarts (measured: 29 changes in 38,951 restarts on
    # RajagopalLaiUhlrich2023's gastrocnemii): their cos / sin and the horizontal parts of
    # _adjust's vectors are computed once per sampling, not once per restart.
    h1 = (t1x - x1) * (t1x - x1) + (t1y - y1) * (t1y - y1)
    h2 = (t2x - x2) * (t2x - x2) + (t2y - y2) * (t2y - y2)
    nseg_prev = -1
    t = wx = wy = vx = vy = hw1 = hp1 = hw2 = hp2 = k1 = k2 = 0.0
    for it in range(_MAX_ITERATIONS + 1):
        axial = zt2 - zt1
        nseg = int(math.sqrt(rth2 + axial * axial) / _SEGMENT)
        if nseg < 2 or it == _MAX_ITERATIONS:
            break
        # (t inside the branch: the next restart's samples then need not wait for this square root
        # and two divisions, the branch being predicted)
        if nseg != nseg_prev:
            t = 1.0 / nseg
            wx, wy, _ = _spiral_point(t1x, t1y, 0.0, sense * t * theta, 0.0)
            vx, vy, _ = _spiral_point(t1x, t1y, 0.0, sense * (1.0 - t) * theta, 0.0)
            hw1 = (wx - t1x) * (wx - t1x) + (wy - t1y) * (wy - t1y)
            hp1 = (wx - x1) * (wx - x1) + (wy - y1) * (wy - y1)
            k1 = ((t1x - x1) * (wx - x1) + (t1y - y1) * (wy - y1)) / hp1 if hp1 > 0.0 else 0.0
            hw2 = (vx - t2x) * (vx - t2x) + (vy - t2y) * (vy - t2y)
            hp2 = (vx - x2) * (vx - x2) + (vy - y2) * (vy - y2)
            k2 = ((t2x - x2) * (vx - x2) + (t2y - y2) * (vy - y2)) / hp2 if hp2 > 0.0 else 0.0
            nseg_prev = nseg
        adj1, zt1 = _adjust(z1, zt1, zt1 + t * axial, h1, hw1, hp1, k1)
        # OpenSim samples the second point after moving the first tangent point.
        adj2, zt2 = _adjust(z2, zt2, zt1 + (1.0 - t) * axial, h2, hw2, hp2, k2)
        if not (adj1 or adj2):
            break
    return zt1, zt2


@njit(cache=True, error_model="numpy")
def wrap_segment(p1, p2, radius, length, axis, sign, method, out):
    """Wrap the straight segment p1 -> p2 (both (3,), in the cylinder frame) over a cylinder.

    ``axis`` (0, 1, 2 or -1) and ``sign`` (+1, -1 or 0 for no quadrant) are the quadrant
    constraint. ``method`` places the tangent points along the axis: GEODESIC (exact shortest
    path for OpenSim's cross-section tangent points and arc angle; smooth, exact gradients),
    OPENSIM_PLANE (OpenSim's plane construction, as OpenSim does for a path with one wrap) or
    OPENSIM_ITERATED (plane construction then OpenSim's tangency iteration, as OpenSim does when
    the path has two or more wraps); with the last two the gradients are those with the
    tangent points held fixed (OpenSim's moment-arm semantics).

    Returns OpenSim's status: NO_WRAP (0), INSIDE_RADIUS (1), WRAPPED (2) or MANDATORY_WRAP (3).
    ``out`` (SEG_OUT_SIZE,) receives, for a wrap (status >= 2): the total length straight + arc
    + straight [SEG_TOTAL], the arc length [SEG_ARC], the tangent points T1, T2 in the cylinder
    frame [SEG_T1:+3, SEG_T2:+3], the gradients of the total length with respect to p1 and p2
    [SEG_G1:+3, SEG_G2:+3]; always the straight length [SEG_STRAIGHT].
    Without a wrap SEG_TOTAL is the straight length, the gradients are those of the straight
    line and the tangent points are p1, p2.
    """
    (code, out[SEG_TOTAL], out[SEG_ARC], out[SEG_T1], out[SEG_T1 + 1], out[SEG_T1 + 2], out[SEG_T2],
     out[SEG_T2 + 1], out[SEG_T2 + 2], out[SEG_G1], out[SEG_G1 + 1], out[SEG_G1 + 2], out[SEG_G2], out[SEG_G2 + 1],
     out[SEG_G2 + 2], out[SEG_STRAIGHT]) = _wrap_seg(p1[0], p1[1], p1[2], p2[0], p2[1], p2[2], radius, length, axis,
                                                     sign, method)
    return code


@njit(cache=True, error_model="numpy")
def _wrap_seg(x1, y1, z1, x2, y2, z2, radius, length, axis, sign, method):
    """:func:`wrap_segment` on scalars, for the path kernel (arrays passed to a kernel cost reference
    counting). Returns (status, total, arc, T1 (3), T2 (3), gradient at p1 (3), at p2 (3), straight)
    with the meanings of :func:`wrap_segment`'s ``out``."""
    dx, dy, dz = x2 - x1, y2 - y1, z2 - z1
    straight = math.sqrt(dx * dx + dy * dy + dz * dz)
    ux, uy, uz = _unit_or_zero(dx, dy, dz)
    r = radius
    r2 = r * r
    d1sq = x1 * x1 + y1 * y1
    d2sq = x2 * x2 + y2 * y2
    if d1sq < r2 or d2sq < r2:
        return (INSIDE_RADIUS, straight, 0.0, x1, y1, z1, x2, y2, z2, -ux, -uy, -uz, ux, uy, uz, straight)
    constrained = sign != 0
    # Closest points of the (infinite) segment line and the cylinder axis.
    hsq = dx * dx + dy * dy
    if hsq <= _ROUNDOFF * (dx * dx + dy * dy + dz * dz) or straight < _EPS:
        t12 = np.nan                       # parallel to the axis: OpenSim's NaN
    else:
        t12 = -(x1 * dx + y1 * dy) / hsq
    nx12, ny12 = x1 + t12 * dx, y1 + t12 * dy
    crosses = (nx12 * nx12 + ny12 * ny12) < r2 and t12 > 0.0 and t12 < 1.0
    code = WRAPPED
    if not constrained:
        if crosses:
            code = MANDATORY_WRAP
        else:
            return (NO_WRAP, straight, 0.0, x1, y1, z1, x2, y2, z2, -ux, -uy, -uz, ux, uy, uz, straight)
    # Candidate tangent points in the cross-section: a = +90 deg side, b = -90 deg side.
    d1 = math.sqrt(d1sq)
    d2 = math.sqrt(d2sq)
    v1x, v1y = x1 / d1, y1 / d1
    v2x, v2y = x2 / d2, y2 / d2
    c1 = r / d1                           # cos of the tangent angle seen from the axis
    c2 = r / d2
    s1 = math.sqrt(max(0.0, 1.0 - c1 * c1))
    s2 = math.sqrt(max(0.0, 1.0 - c2 * c2))
    # r1a = r (c1 v1 + s1 (z x v1)), r1b = r (c1 v1 - s1 (z x v1))
    r1ax, r1ay = r * (c1 * v1x - s1 * v1y), r * (c1 * v1y + s1 * v1x)
    r1bx, r1by = r * (c1 * v1x + s1 * v1y), r * (c1 * v1y - s1 * v1x)
    r2ax, r2ay = r * (c2 * v2x - s2 * v2y), r * (c2 * v2y + s2 * v2x)
    r2bx, r2by = r * (c2 * v2x + s2 * v2y), r * (c2 * v2y - s2 * v2x)
    far_side = False
    long_wrap = False
    if constrained:
        sp1 = _dsign(x1 if axis == 0 else (y1 if axis == 1 else z1))
        sp2 = _dsign(x2 if axis == 0 else (y2 if axis == 1 else z2))
        if sp1 == sign or sp2 == sign:
            if crosses:
                code = MANDATORY_WRAP
            else:
                nz12 = z1 + t12 * dz
                near = nx12 if axis == 0 else (ny12 if axis == 1 else nz12)
                if sp1 != sp2 and _dsign(near) != sign:
                    code = WRAPPED
                else:
                    return (NO_WRAP, straight, 0.0, x1, y1, z1, x2, y2, z2, -ux, -uy, -uz, ux, uy, uz, straight)
        alpha = math.acos((r1ax * r2bx + r1ay * r2by) / (math.sqrt(r1ax * r1ax + r1ay * r1ay)
                                                         * math.sqrt(r2bx * r2bx + r2by * r2by)))
        beta = math.acos((r1bx * r2ax + r1by * r2ay) / (math.sqrt(r1bx * r1bx + r1by * r1by)
                                                        * math.sqrt(r2ax * r2ax + r2ay * r2ay)))
        if axis == 0:
            a1, b1, a2, b2 = r1ax, r1bx, r2ax, r2bx
        elif axis == 1:
            a1, b1, a2, b2 = r1ay, r1by, r2ay, r2by
        else:
            a1, b1, a2, b2 = z1, z1, z2, z2
        on_a1 = _dsign(a1) == sign
        on_b1 = _dsign(b1) == sign
        on_a2 = _dsign(a2) == sign
        on_b2 = _dsign(b2) == sign
        # pick = 0: (r1b, r2a); pick = 1: (r1a, r2b)
        if on_a1 and on_b1:
            pick = 0 if on_a2 else 1
        elif on_a1:
            pick = 1
        elif on_b1:
            pick = 0
        elif on_a2:
            pick = 0
        elif on_b2:
            pick = 1
        else:
            pick = 1 if alpha > beta else 0
        if pick == 1:
            far_side = alpha > beta
        else:
            far_side = not (alpha > beta)
        if not (on_a1 or on_b1 or on_a2 or on_b2):
            far_side = True
        sel1 = 1 if pick == 1 else -1      # +1: tangent point a, -1: b
        sel2 = -sel1
    else:
        dot1 = (r1ax * r2ax + r1ay * r2ay) / r2
        dot2 = (r1ax * r2bx + r1ay * r2by) / r2
        dot3 = (r1bx * r2ax + r1by * r2ay) / r2
        dot4 = (r1bx * r2bx + r1by * r2by) / r2
        if dot1 > dot2 and dot1 > dot3 and dot1 > dot4:
            sel1, sel2 = 1, 1
        elif dot2 > dot3 and dot2 > dot4:
            sel1, sel2 = 1, -1
        elif dot3 > dot4:
            sel1, sel2 = -1, 1
        else:
            sel1, sel2 = -1, -1
    if sel1 == 1:
        t1x, t1y = r1ax, r1ay
    else:
        t1x, t1y = r1bx, r1by
    if sel2 == 1:
        t2x, t2y = r2ax, r2ay
    else:
        t2x, t2y = r2bx, r2by
    if constrained:
        # Long wrap: the tangent points' radial directions point against the muscle's pull.
        # (Both vectors are horizontal: the preliminary tangent points are at the end points' heights.)
        smx = (t1x - x1) + (t2x - x2)
        smy = (t1y - y1) + (t2y - y2)
        if (t1x + t2x) * smx + (t1y + t2y) * smy < 0.0:
            long_wrap = True
    # OpenSim's axial placement of the tangent points, used only for the length test:
    # the plane through p1, p2 and the "apex" on the cylinder surface.
    tm = d1 / (d1 + d2)
    mx, my, mz = x1 + tm * dx, y1 + tm * dy, z1 + tm * dz
    l1x, l1y, l1z = _unit_or_zero(x1, y1, z1 - mz)
    l2x, l2y, l2z = _unit_or_zero(x2, y2, z2 - mz)
    px, py, pz = l1y * l2z - l1z * l2y, l1z * l2x - l1x * l2z, l1x * l2y - l1y * l2x
    pm = math.sqrt(px * px + py * py + pz * pz)
    px, py, pz = _unit_or_zero(px / pm, py / pm, pz / pm)
    wx, wy, _ = _unit_or_zero(-py, px, 0.0)              # z x n (vert1); vert2 = -vert1
    ax1, ay1 = r * wx, r * wy
    dist1 = (mx - ax1) ** 2 + (my - ay1) ** 2
    dist2 = (mx + ax1) ** 2 + (my + ay1) ** 2
    if (dist1 < dist2) != far_side:
        apx, apy = ax1, ay1
    else:
        apx, apy = -ax1, -ay1
    apz = mz
    ax_, ay_, az_ = _unit_or_zero(x1 - apx, y1 - apy, z1 - apz)
    bx_, by_, bz_ = _unit_or_zero(x2 - apx, y2 - apy, z2 - apz)
    nx, ny, nz = ay_ * bz_ - az_ * by_, az_ * bx_ - ax_ * bz_, ax_ * by_ - ay_ * bx_
    nm = math.sqrt(nx * nx + ny * ny + nz * nz)
    nx, ny, nz = nx / nm, ny / nm, nz / nm
    dpl = -x1 * nx - y1 * ny - z1 * nz
    hit1, zp1 = _plane_z(t1x, t1y, z1, nx, ny, nz, dpl)
    hit2, zp2 = _plane_z(t2x, t2y, z2, nx, ny, nz, dpl)
    zt1 = z1
    zt2 = z2
    # A slid tangent point is kept if it is axially nearer the other end point than its own end
    # point is. (OpenSim measures this along the line through p11 "along" the point p22, i.e.
    # along +-z; only when p22 is exactly the origin does its code fall back to no sliding,
    # which rounding noise in p22 usually prevents. Here the axial test is always used.)
    if hit1 and (zp1 - z2) ** 2 < (z1 - z2) ** 2:
        zt1 = zp1
    if hit2 and (zp2 - z1) ** 2 < (z2 - z1) ** 2:
        zt2 = zp2
    half = 0.5 * length
    if (zt1 < -half or zt1 > half) and (zt2 < -half or zt2 > half):
        return (NO_WRAP, straight, 0.0, x1, y1, z1, x2, y2, z2, -ux, -uy, -uz, ux, uy, uz, straight)
    # Helix angle as OpenSim: signed angle from T1 to T2 about z, 2 pi minus it if long.
    theta = math.atan2(t1x * t2y - t1y * t2x, t1x * t2x + t1y * t2y)
    if long_wrap:
        theta = 2.0 * math.pi - theta
    ath = abs(theta)
    if method != GEODESIC:
        if method == OPENSIM_ITERATED:
            zt1, zt2 = _spiral_adjust(x1, y1, z1, x2, y2, z2, t1x, t1y, zt1, t2x, t2y, zt2, r, theta, long_wrap)
        arc = math.sqrt((r * theta) ** 2 + (zt2 - zt1) ** 2)
        e1x, e1y, e1z = x1 - t1x, y1 - t1y, z1 - zt1
        e2x, e2y, e2z = x2 - t2x, y2 - t2y, z2 - zt2
        l1 = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
        l2 = math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z)
        # OpenSim's moment-arm semantics: tangent points held fixed on the cylinder.
        g1x, g1y, g1z = _unit_or_zero(e1x, e1y, e1z)
        g2x, g2y, g2z = _unit_or_zero(e2x, e2y, e2z)
        return (code, l1 + arc + l2, arc, t1x, t1y, zt1, t2x, t2y, zt2, g1x, g1y, g1z, g2x, g2y, g2z, straight)
    # d|theta| / d(angle of T1) = -c, d|theta| / d(angle of T2) = +c
    c = 1.0 if theta >= 0.0 else -1.0
    if long_wrap:
        c = -c
    h1 = d1 * s1
    h2 = d2 * s2
    arc_h = r * ath
    s_tot = h1 + arc_h + h2
    dzz = z2 - z1
    total = math.sqrt(s_tot * s_tot + dzz * dzz)
    if s_tot > 0.0:
        zt1 = z1 + dzz * h1 / s_tot
        zt2 = z1 + dzz * (h1 + arc_h) / s_tot
        arc = arc_h * total / s_tot
    else:
        zt1 = z1
        zt2 = z2
        arc = abs(dzz)
    # Gradient of S = h1 + r|theta| + h2 in the cross-section (radial v, tangential w = z x v).
    if sel1 * c == 1:         # consistent: unit vector from T1 to p1, well conditioned
        gr1 = s1
    else:
        gr1 = (d1 * d1 + r2) / (d1 * h1) if h1 > 0.0 else np.inf
    gw1 = -c * c1
    if sel2 * c == -1:
        gr2 = s2
    else:
        gr2 = (d2 * d2 + r2) / (d2 * h2) if h2 > 0.0 else np.inf
    gw2 = c * c2
    if total > 0.0:
        k = s_tot / total
        return (code, total, arc, t1x, t1y, zt1, t2x, t2y, zt2, k * (gr1 * v1x - gw1 * v1y),
                k * (gr1 * v1y + gw1 * v1x), -dzz / total, k * (gr2 * v2x - gw2 * v2y), k * (gr2 * v2y + gw2 * v2x),
                dzz / total, straight)
    return (code, total, arc, t1x, t1y, zt1, t2x, t2y, zt2, -ux, -uy, -uz, ux, uy, uz, straight)


# ---------------------------------------------------------------------------- path kernel
@njit(cache=True)
def cylinder_in_ground(R, o, jw, jv, body, rot, trans, coords, Rc, oc, wc, vc):
    """Pose of a cylinder fixed to ``body`` in ground and its derivatives per coordinate.

    ``R, o, jw, jv`` are the body kinematics of :func:`hipsim.model.kernels.body_kinematics`
    (rotations (nb,3,3), origins (nb,3), angular and origin velocities per unit dq (nb,nc,3));
    ``rot`` (3,3) and ``trans`` (3,) place the cylinder frame in its body
    (:meth:`WrapCylinder.rotation_matrix`, ``translation``); ``coords`` (nk,) are the
    coordinates wanted. Fills ``Rc`` (3,3) = R[body] rot, ``oc`` (3,) = o[body] + R[body] trans,
    and for t < nk: ``wc[t]`` = jw[body, coords[t]] and ``vc[t]`` the velocity of the cylinder
    origin, jv + jw x (R[body] trans).
    """
    for i in range(3):
        s = 0.0
        for j in range(3):
            Rc[i, j] = R[body, i, 0] * rot[0, j] + R[body, i, 1] * rot[1, j] + R[body, i, 2] * rot[2, j]
            s += R[body, i, j] * trans[j]
        oc[i] = o[body, i] + s
    s0 = oc[0] - o[body, 0]
    s1 = oc[1] - o[body, 1]
    s2 = oc[2] - o[body, 2]
    for t in range(coords.shape[0]):
        k = coords[t]
        w0 = jw[body, k, 0]
        w1 = jw[body, k, 1]
        w2 = jw[body, k, 2]
        wc[t, 0] = w0
        wc[t, 1] = w1
        wc[t, 2] = w2
        vc[t, 0] = jv[body, k, 0] + w1 * s2 - w2 * s1
        vc[t, 1] = jv[body, k, 1] + w2 * s0 - w0 * s2
        vc[t, 2] = jv[body, k, 2] + w0 * s1 - w1 * s0


@njit(cache=True)
def path_workspace_sizes(n, nw):
    """Sizes (float64, int64) of the scratch :func:`wrapped_path_length_ws` needs for a path of ``n``
    active points and ``nw`` wraps (:func:`path_length_core` needs ``nw`` ints fewer)."""
    nwm = max(nw, 1)
    return 25 * nwm, 2 * (n + 2 * nw) + 7 * nwm


@njit(cache=True)
def wrapped_path_length(gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o, cyl_w, cyl_v, cbody,
                        radius, length, axis, sign, active, rng, dl, status, seg_after):
    """:func:`wrapped_path_length_ws` with its scratch allocated here (see it for the arguments)."""
    nfw, niw = path_workspace_sizes(gp.shape[0], radius.shape[0])
    return wrapped_path_length_ws(gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o, cyl_w, cyl_v,
                                  cbody, radius, length, axis, sign, active, rng, dl, status, seg_after,
                                  np.empty(nfw), np.empty(niw, dtype=np.int64))


@njit(cache=True)
def wrapped_path_length_ws(gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o, cyl_w, cyl_v, cbody,
                           radius, length, axis, sign, active, rng, dl, status, seg_after, fw, iw):
    """Length of one muscle's path with its cylinder wraps, and d length / d q_k (exact).

    Inputs (one muscle, one pose):

    * ``gp`` (n, 3): the path's *active* points in ground, in path order; ``dp`` (n, nk, 3):
      their derivatives per unit dq_k for the nk coordinates of interest (as in
      ``kernels._muscles_at_pose``); ``pidx`` (n,) int64: each active point's 0-based index in
      the muscle's full path-point set (which has ``n_all`` points; ranges refer to it);
      ``pbody`` (n,) int64: the body of each point (any consistent body numbering).
    * Per entry w of the muscle's ``PathWrapSet``, in file order (nw entries): ``cyl_R``
      (nw, 3, 3) rotation of the cylinder frame to ground, ``cyl_o`` (nw, 3) its origin,
      ``cyl_w`` / ``cyl_v`` (nw, nk, 3) its angular velocity and origin velocity per unit dq_k
      (see :func:`cylinder_in_ground`); ``cbody`` (nw,) int64 its body; ``radius``, ``length`` (nw,) float64; ``axis``,
      ``sign`` (nw,) int64 (quadrant, -1 / 0 for "all"); ``active`` (nw,) bool; ``rng``
      (nw, 2) int64, the file's 1-based ``range`` (-1 for first / last).

    ``method`` is GEODESIC (0: exact tangent heights, smooth, exact derivative) or OPENSIM
    (1: OpenSim's tangent heights, reproducing ``getLength`` to rounding; the derivative then
    holds the tangent points fixed on their cylinders, as OpenSim's moment arms do).

    Returns the length and, if ``want_deriv``, fills ``dl`` (nk,) with d length / d q_k (the
    moment arm is minus that). ``status`` (nw,) int64 receives each wrap's outcome: WRAPPED or
    MANDATORY_WRAP if its tangent points are in the final path, else the status OpenSim
    recorded for it (NO_WRAP, also when inactive or not evaluated, or INSIDE_RADIUS). ``seg_after``
    (nw,) int64 receives, for a wrap in the path, the index in ``gp`` of the active point
    just before its first tangent point following path points only (else -1): together with
    ``status`` it identifies the wrapping configuration, whose change between poses is a
    switch.

    ``fw`` (float64) and ``iw`` (int64) are scratch, at least :func:`path_workspace_sizes` long:
    this kernel allocates nothing.
    """
    n = gp.shape[0]
    nw = radius.shape[0]
    # The wraps' own arrays are indexed through an identity map, kept at the end of iw.
    imap = 2 * (n + 2 * nw) + 6 * max(nw, 1)
    for w in range(nw):
        iw[imap + w] = w
    return path_length_core(n, nw, dl.shape[0], gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o,
                            cyl_w, cyl_v, iw[imap:], 0, cbody, radius, length, axis, sign, active, rng, dl, status,
                            seg_after, fw, iw)


@njit(cache=True, inline="always")
def _element_point(k, r, gp, fw, f_tg):
    """Ground location of a path element: fixed point ``r`` (k < 0) or tangent point ``r`` of wrap ``k``."""
    if k < 0:
        return gp[r, 0], gp[r, 1], gp[r, 2]
    fo = f_tg + 6 * k + 3 * r
    return fw[fo], fw[fo + 1], fw[fo + 2]


@njit(cache=True, inline="always")
def _element_velocity(x0, x1, x2, k, r, t, dp, cyl_o, cyl_v, cyl_w):
    """d(location)/dq_t of a path element at (x0, x1, x2): the point's own derivative (k < 0) or the
    velocity of that point moving with wrap ``k``'s body, v + w x (x - o)."""
    if k < 0:
        return dp[r, t, 0], dp[r, t, 1], dp[r, t, 2]
    r0 = x0 - cyl_o[k, 0]
    r1 = x1 - cyl_o[k, 1]
    r2 = x2 - cyl_o[k, 2]
    w0 = cyl_w[k, t, 0]
    w1 = cyl_w[k, t, 1]
    w2 = cyl_w[k, t, 2]
    return (cyl_v[k, t, 0] + w1 * r2 - w2 * r1, cyl_v[k, t, 1] + w2 * r0 - w0 * r2,
            cyl_v[k, t, 2] + w0 * r1 - w1 * r0)


@njit(cache=True)
def path_length_core(n, nw, nk, gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o, cyl_w, cyl_v,
                     cmap, wlo, cbody, radius, length, axis, sign, active, rng, dl, status, seg_after, fw, iw):
    """:func:`wrapped_path_length_ws` for the first ``n`` rows of ``gp``, ``dp``, ``pidx``, ``pbody``, the
    first ``nk`` coordinates of ``dp``, ``cyl_w``, ``cyl_v``, ``dl`` and ``nw`` wraps, whose poses are the
    first ``nw`` rows of ``cyl_R``, ``cyl_o``, ``cyl_w``, ``cyl_v``: any array may be longer, so that the
    batch kernel passes its per-chunk scratch whole. Wrap w is cylinder ``c = cmap[wlo + w]`` of
    ``cbody``, ``radius``, ``length``, ``axis``, ``sign``, ``active`` and has range ``rng[wlo + w]``
    (a compiled model's ``wc_*`` arrays and its ``pw_cyl``, ``pw_range`` from ``pw_start[m]``).
    ``fw`` and ``iw`` are scratch of :func:`path_workspace_sizes`.

    Everything lives in scalars or at offsets of the flat scratch, and the segment kernel takes
    and returns scalars: array views and arrays passed to calls cost reference counting, which
    cost more than this kernel's arithmetic.
    """
    if n == 0:
        for w in range(nw):
            status[w] = NO_WRAP
            seg_after[w] = -1
        for t in range(nk):
            dl[t] = 0.0
        return 0.0
    if method == GEODESIC:
        seg_method = GEODESIC
    else:               # OpenSim iterates on the tangent points only when the path has 2+ wraps
        seg_method = OPENSIM_ITERATED if nw >= 2 else OPENSIM_PLANE
    m_max = n + 2 * nw
    nwm = max(nw, 1)
    # iw: the path's elements in order, kind (-1 path point, else the wrap of a tangent point) at
    # [0, m_max) and ref (row of gp, or 0 / 1 for a wrap's first / second tangent point) at
    # [m_max, 2 m_max); then per wrap its code, in-path flag, order, result and two stale flags.
    i_wc = 2 * m_max
    i_ip = i_wc + nwm
    i_or = i_ip + nwm
    i_rs = i_or + nwm
    i_sv = i_rs + nwm
    # fw, 6 per wrap (two points): tangent points in the cylinder frame, length gradients at the
    # segment's end points, OpenSim's cached ground locations, the tangent points in ground; the arcs.
    f_wg = 6 * nwm
    f_st = 12 * nwm
    f_tg = 18 * nwm
    f_ar = 24 * nwm
    for w in range(nwm):
        iw[i_wc + w] = 0
        iw[i_ip + w] = 0
        iw[i_or + w] = w
        iw[i_rs + w] = 0
        iw[i_sv + 2 * w] = 0
        iw[i_sv + 2 * w + 1] = 0
        fw[f_ar + w] = 0.0
        for a in range(6):
            fw[6 * w + a] = 0.0
            fw[f_wg + 6 * w + a] = 0.0
            fw[f_st + 6 * w + a] = 0.0
            fw[f_tg + 6 * w + a] = 0.0
    for j in range(n):
        iw[j] = -1
        iw[m_max + j] = j
    npath = n
    for w in range(nw):
        status[w] = -1
    use_stale = method != GEODESIC and nw >= 2
    max_iter = 1 if nw < 2 else 8
    last = np.inf
    abort = False
    for kk in range(max_iter):
        for i in range(nw):
            iw[i_rs + i] = NO_WRAP
            w = iw[i_or + i]
            if iw[i_ip + w]:
                npath = _remove_wrap_ws(w, iw, m_max, npath)
                iw[i_ip + w] = 0
            c = cmap[wlo + w]
            if not active[c]:
                continue
            ws = rng[wlo + w, 0] - 1 if rng[wlo + w, 0] >= 1 else 0
            we = rng[wlo + w, 1] - 1 if rng[wlo + w, 1] >= 1 else n_all - 1
            smp = -1
            emp = -1
            for j in range(n):
                if ws <= pidx[j] <= we:
                    if smp < 0:
                        smp = j
                    emp = j
            if smp < 0:            # no active point in the range: OpenSim stops wrapping here
                abort = True
                break
            start = -1
            end = -1
            for j in range(npath):
                if iw[j] < 0 and iw[m_max + j] == smp:
                    start = j
                if iw[j] < 0 and iw[m_max + j] == emp:
                    end = j
            best_pos = -1
            best_change = np.inf
            rad = radius[c]
            cl = length[c]
            cax = axis[c]
            csg = sign[c]
            for pt1 in range(start, end):
                pt2 = pt1 + 1
                ka = iw[pt1]
                kb = iw[pt2]
                if ka >= 0 and ka == kb:
                    continue
                ra = iw[m_max + pt1]
                rb = iw[m_max + pt2]
                xa0, xa1, xa2 = _element_point(ka, ra, gp, fw, f_tg)
                xb0, xb1, xb2 = _element_point(kb, rb, gp, fw, f_tg)
                d0 = xa0 - cyl_o[w, 0]
                d1 = xa1 - cyl_o[w, 1]
                d2 = xa2 - cyl_o[w, 2]
                pa0 = cyl_R[w, 0, 0] * d0 + cyl_R[w, 1, 0] * d1 + cyl_R[w, 2, 0] * d2
                pa1 = cyl_R[w, 0, 1] * d0 + cyl_R[w, 1, 1] * d1 + cyl_R[w, 2, 1] * d2
                pa2 = cyl_R[w, 0, 2] * d0 + cyl_R[w, 1, 2] * d1 + cyl_R[w, 2, 2] * d2
                d0 = xb0 - cyl_o[w, 0]
                d1 = xb1 - cyl_o[w, 1]
                d2 = xb2 - cyl_o[w, 2]
                pb0 = cyl_R[w, 0, 0] * d0 + cyl_R[w, 1, 0] * d1 + cyl_R[w, 2, 0] * d2
                pb1 = cyl_R[w, 0, 1] * d0 + cyl_R[w, 1, 1] * d1 + cyl_R[w, 2, 1] * d2
                pb2 = cyl_R[w, 0, 2] * d0 + cyl_R[w, 1, 2] * d1 + cyl_R[w, 2, 2] * d2
                (code, s_tot, s_arc, t1x, t1y, t1z, t2x, t2y, t2z, g1x, g1y, g1z, g2x, g2y, g2z,
                 s_str) = _wrap_seg(pa0, pa1, pa2, pb0, pb1, pb2, rad, cl, cax, csg, seg_method)
                iw[i_rs + i] = code
                take = code == MANDATORY_WRAP
                if code == WRAPPED:
                    change = s_tot - s_str
                    if use_stale and (ka >= 0 or kb >= 0):
                        # OpenSim's calcPathLengthChange, with its cached ground locations
                        if ka >= 0:
                            sv = i_sv + 2 * ka + ra
                            fo = f_st + 6 * ka + 3 * ra
                            if not iw[sv]:
                                fw[fo] = xa0
                                fw[fo + 1] = xa1
                                fw[fo + 2] = xa2
                                iw[sv] = 1
                            xa0, xa1, xa2 = fw[fo], fw[fo + 1], fw[fo + 2]
                        if kb >= 0:
                            sv = i_sv + 2 * kb + rb
                            fo = f_st + 6 * kb + 3 * rb
                            if not iw[sv]:
                                fw[fo] = xb0
                                fw[fo + 1] = xb1
                                fw[fo + 2] = xb2
                                iw[sv] = 1
                            xb0, xb1, xb2 = fw[fo], fw[fo + 1], fw[fo + 2]
                        change = s_arc - math.sqrt((xb0 - xa0) ** 2 + (xb1 - xa1) ** 2 + (xb2 - xa2) ** 2)
                        dd = 0.0
                        dd += (xa0 - (cyl_o[w, 0] + cyl_R[w, 0, 0] * t1x + cyl_R[w, 0, 1] * t1y
                                      + cyl_R[w, 0, 2] * t1z)) ** 2
                        dd += (xa1 - (cyl_o[w, 1] + cyl_R[w, 1, 0] * t1x + cyl_R[w, 1, 1] * t1y
                                      + cyl_R[w, 1, 2] * t1z)) ** 2
                        dd += (xa2 - (cyl_o[w, 2] + cyl_R[w, 2, 0] * t1x + cyl_R[w, 2, 1] * t1y
                                      + cyl_R[w, 2, 2] * t1z)) ** 2
                        change += math.sqrt(dd)
                        dd = 0.0
                        dd += (xb0 - (cyl_o[w, 0] + cyl_R[w, 0, 0] * t2x + cyl_R[w, 0, 1] * t2y
                                      + cyl_R[w, 0, 2] * t2z)) ** 2
                        dd += (xb1 - (cyl_o[w, 1] + cyl_R[w, 1, 0] * t2x + cyl_R[w, 1, 1] * t2y
                                      + cyl_R[w, 1, 2] * t2z)) ** 2
                        dd += (xb2 - (cyl_o[w, 2] + cyl_R[w, 2, 0] * t2x + cyl_R[w, 2, 1] * t2y
                                      + cyl_R[w, 2, 2] * t2z)) ** 2
                        change += math.sqrt(dd)
                    if change < best_change:
                        best_change = change
                        take = True
                if take:
                    best_pos = pt2
                    iw[i_wc + w] = code
                    fo = 6 * w
                    fw[fo], fw[fo + 1], fw[fo + 2], fw[fo + 3], fw[fo + 4], fw[fo + 5] = t1x, t1y, t1z, t2x, t2y, t2z
                    fo = f_wg + 6 * w
                    fw[fo], fw[fo + 1], fw[fo + 2], fw[fo + 3], fw[fo + 4], fw[fo + 5] = g1x, g1y, g1z, g2x, g2y, g2z
                    fw[f_ar + w] = s_arc
                    if code == MANDATORY_WRAP:
                        break
            if best_pos >= 0:
                for m in range(npath - 1, best_pos - 1, -1):
                    iw[m + 2] = iw[m]
                    iw[m_max + m + 2] = iw[m_max + m]
                iw[best_pos] = w
                iw[m_max + best_pos] = 0
                iw[best_pos + 1] = w
                iw[m_max + best_pos + 1] = 1
                npath += 2
                iw[i_ip + w] = 1
                for e in range(2):
                    fo = 6 * w + 3 * e
                    for j3 in range(3):
                        fw[f_tg + fo + j3] = (cyl_o[w, j3] + cyl_R[w, j3, 0] * fw[fo] + cyl_R[w, j3, 1] * fw[fo + 1]
                                              + cyl_R[w, j3, 2] * fw[fo + 2])
        if abort:
            break
        total = _path_total_ws(npath, m_max, gp, fw, iw, f_st, f_tg, f_ar, i_sv, use_stale)
        if abs(total - last) < _CONVERGED:
            break
        last = total
        if kk == 0 and nw > 1:
            if iw[i_rs] == NO_WRAP and iw[i_rs + 1] == INSIDE_RADIUS:
                iw[i_or] = 1
                iw[i_or + 1] = 0
                if iw[i_ip]:
                    npath = _remove_wrap_ws(0, iw, m_max, npath)
                    iw[i_ip] = 0
    total = _path_total_ws(npath, m_max, gp, fw, iw, f_st, f_tg, f_ar, i_sv, use_stale)
    for i in range(nw):
        status[iw[i_or + i]] = iw[i_rs + i]
    for w in range(nw):
        seg_after[w] = -1
        if iw[i_ip + w]:
            status[w] = iw[i_wc + w]
    last_pt = -1
    for e in range(npath):
        if iw[e] < 0:
            last_pt = iw[m_max + e]
        elif iw[m_max + e] == 0:
            seg_after[iw[e]] = last_pt
    if not want_deriv:
        return total
    for t in range(nk):
        dl[t] = 0.0
    # Straight segments, tangent points riding rigidly on their cylinders. (With OpenSim's
    # semantics the directions come from its cached ground locations, as in its moment arms.)
    ka = iw[0]
    ra = iw[m_max]
    xa0, xa1, xa2 = _element_point(ka, ra, gp, fw, f_tg)
    sa0, sa1, sa2 = xa0, xa1, xa2
    if ka >= 0 and use_stale:
        sv = i_sv + 2 * ka + ra
        fo = f_st + 6 * ka + 3 * ra
        if not iw[sv]:
            fw[fo], fw[fo + 1], fw[fo + 2] = xa0, xa1, xa2
            iw[sv] = 1
        sa0, sa1, sa2 = fw[fo], fw[fo + 1], fw[fo + 2]
    for e in range(1, npath):
        kb = iw[e]
        rb = iw[m_max + e]
        xb0, xb1, xb2 = _element_point(kb, rb, gp, fw, f_tg)
        sb0, sb1, sb2 = xb0, xb1, xb2
        if kb >= 0 and use_stale:
            sv = i_sv + 2 * kb + rb
            fo = f_st + 6 * kb + 3 * rb
            if not iw[sv]:
                fw[fo], fw[fo + 1], fw[fo + 2] = xb0, xb1, xb2
                iw[sv] = 1
            sb0, sb1, sb2 = fw[fo], fw[fo + 1], fw[fo + 2]
        ba = pbody[ra] if ka < 0 else cbody[cmap[wlo + ka]]
        bb = pbody[rb] if kb < 0 else cbody[cmap[wlo + kb]]
        if ba != bb:      # (a segment within one body, such as an arc, does not change length)
            u0 = sb0 - sa0
            u1 = sb1 - sa1
            u2 = sb2 - sa2
            sl = math.sqrt(u0 * u0 + u1 * u1 + u2 * u2)
            if sl > 0.0:
                u0 /= sl
                u1 /= sl
                u2 /= sl
                for t in range(nk):
                    va0, va1, va2 = _element_velocity(xa0, xa1, xa2, ka, ra, t, dp, cyl_o, cyl_v, cyl_w)
                    vb0, vb1, vb2 = _element_velocity(xb0, xb1, xb2, kb, rb, t, dp, cyl_o, cyl_v, cyl_w)
                    dl[t] += u0 * (vb0 - va0) + u1 * (vb1 - va1) + u2 * (vb2 - va2)
        xa0, xa1, xa2 = xb0, xb1, xb2
        sa0, sa1, sa2 = sb0, sb1, sb2
        ka = kb
        ra = rb
    # Sliding of the tangent points: (g - e) . d(neighbour in the cylinder frame), zero when the
    # tangent points are consistent with the arc direction (the envelope argument).
    for e in range(npath):
        w = iw[e]
        if w < 0 or iw[m_max + e] != 0:
            continue
        for side in range(2):
            nb_e = e - 1 if side == 0 else e + 2
            ka = iw[nb_e]
            ra = iw[m_max + nb_e]
            xa0, xa1, xa2 = _element_point(ka, ra, gp, fw, f_tg)
            d0 = xa0 - cyl_o[w, 0]
            d1 = xa1 - cyl_o[w, 1]
            d2 = xa2 - cyl_o[w, 2]
            fo = 6 * w + 3 * side
            q0 = (cyl_R[w, 0, 0] * d0 + cyl_R[w, 1, 0] * d1 + cyl_R[w, 2, 0] * d2) - fw[fo]
            q1 = (cyl_R[w, 0, 1] * d0 + cyl_R[w, 1, 1] * d1 + cyl_R[w, 2, 1] * d2) - fw[fo + 1]
            q2 = (cyl_R[w, 0, 2] * d0 + cyl_R[w, 1, 2] * d1 + cyl_R[w, 2, 2] * d2) - fw[fo + 2]
            ql = math.sqrt(q0 * q0 + q1 * q1 + q2 * q2)
            if ql <= 0.0:
                continue
            fo = f_wg + 6 * w + 3 * side
            c0 = fw[fo] - q0 / ql
            c1 = fw[fo + 1] - q1 / ql
            c2 = fw[fo + 2] - q2 / ql
            if abs(c0) + abs(c1) + abs(c2) < 1e-12:
                continue
            for t in range(nk):
                va0, va1, va2 = _element_velocity(xa0, xa1, xa2, ka, ra, t, dp, cyl_o, cyl_v, cyl_w)
                # relative velocity in the cylinder frame: R^T (v - v_c - w_c x (x - o_c))
                r0 = xa0 - cyl_o[w, 0]
                r1 = xa1 - cyl_o[w, 1]
                r2 = xa2 - cyl_o[w, 2]
                w0 = cyl_w[w, t, 0]
                w1 = cyl_w[w, t, 1]
                w2 = cyl_w[w, t, 2]
                vb0 = va0 - cyl_v[w, t, 0] - (w1 * r2 - w2 * r1)
                vb1 = va1 - cyl_v[w, t, 1] - (w2 * r0 - w0 * r2)
                vb2 = va2 - cyl_v[w, t, 2] - (w0 * r1 - w1 * r0)
                cv0 = cyl_R[w, 0, 0] * vb0 + cyl_R[w, 1, 0] * vb1 + cyl_R[w, 2, 0] * vb2
                cv1 = cyl_R[w, 0, 1] * vb0 + cyl_R[w, 1, 1] * vb1 + cyl_R[w, 2, 1] * vb2
                cv2 = cyl_R[w, 0, 2] * vb0 + cyl_R[w, 1, 2] * vb1 + cyl_R[w, 2, 2] * vb2
                dl[t] += c0 * cv0 + c1 * cv1 + c2 * cv2
    return total


@njit(cache=True)
def path_elements(n, nw, method, gp, fw, iw, ex, cbody, pbody, cmap, wlo):
    """After :func:`path_length_core` (same ``n``, ``nw``, ``method``, scratch ``fw``, ``iw``): the
    path's elements in order, path points and the tangent points of the wraps in the path, written
    to ``ex`` (at least n + 2 nw rows): ground location (columns 0-2) and body (column 3: the
    point's ``pbody``, or the wrap cylinder's body ``cbody[cmap[wlo + w]]``), at the locations the
    length was summed over (OpenSim's cached ones where it keeps them). Returns the count."""
    m_max = n + 2 * nw
    nwm = max(nw, 1)
    i_ip = 2 * m_max + nwm
    i_sv = i_ip + 3 * nwm
    f_st = 12 * nwm
    f_tg = 18 * nwm
    use_stale = method != GEODESIC and nw >= 2
    npath = n
    for w in range(nw):
        if iw[i_ip + w]:
            npath += 2
    for e in range(npath):
        kind = iw[e]
        ref = iw[m_max + e]
        if kind < 0:
            ex[e, 0] = gp[ref, 0]
            ex[e, 1] = gp[ref, 1]
            ex[e, 2] = gp[ref, 2]
            ex[e, 3] = pbody[ref]
        else:
            fo = (f_st if use_stale and iw[i_sv + 2 * kind + ref] else f_tg) + 6 * kind + 3 * ref
            ex[e, 0] = fw[fo]
            ex[e, 1] = fw[fo + 1]
            ex[e, 2] = fw[fo + 2]
            ex[e, 3] = cbody[cmap[wlo + kind]]
    return npath


@njit(cache=True)
def _remove_wrap_ws(w, iw, m_max, npath):
    """Take wrap w's two tangent points out of the path (kinds at iw[:m_max], refs after them)."""
    for j in range(npath):
        if iw[j] == w:
            for m in range(j, npath - 2):
                iw[m] = iw[m + 2]
                iw[m_max + m] = iw[m_max + m + 2]
            return npath - 2
    return npath


@njit(cache=True)
def _path_total_ws(npath, m_max, gp, fw, iw, f_st, f_tg, f_ar, i_sv, use_stale):
    """Length of the current path in :func:`path_length_core`'s scratch layout. With ``use_stale``
    a tangent point's location is OpenSim's cached one (``getLocationInGround`` keeps the value of
    its first query for a state, not refreshed when a later pass moves the point)."""
    total = 0.0
    xa0 = xa1 = xa2 = 0.0
    prev = -1
    for e in range(npath):
        kind = iw[e]
        ref = iw[m_max + e]
        if kind < 0:
            xb0, xb1, xb2 = gp[ref, 0], gp[ref, 1], gp[ref, 2]
        else:
            fo = f_st + 6 * kind + 3 * ref
            sv = i_sv + 2 * kind + ref
            if use_stale and iw[sv]:
                xb0, xb1, xb2 = fw[fo], fw[fo + 1], fw[fo + 2]
            else:
                ft = f_tg + 6 * kind + 3 * ref
                xb0, xb1, xb2 = fw[ft], fw[ft + 1], fw[ft + 2]
                if use_stale:
                    fw[fo], fw[fo + 1], fw[fo + 2] = xb0, xb1, xb2
                    iw[sv] = 1
        if e > 0:
            if kind >= 0 and kind == prev:
                total += fw[f_ar + kind]
            else:
                total += math.sqrt((xb0 - xa0) ** 2 + (xb1 - xa1) ** 2 + (xb2 - xa2) ** 2)
        xa0, xa1, xa2 = xb0, xb1, xb2
        prev = kind
    return total


# ------------------------------------------------------------------ flat arrays for a model
class WrapArrays(NamedTuple):
    """A model's wrap cylinders and its muscles' path wraps as flat arrays (compiled-model style).

    Cylinder c: ``wc_body`` (nc,) int64 body index, ``wc_rot`` (nc,3,3) and ``wc_trans`` (nc,3)
    its frame in the body, ``wc_radius``, ``wc_length`` (nc,), ``wc_axis``, ``wc_sign`` (nc,)
    int64 quadrant, ``wc_active`` (nc,) bool. Muscle m's path wraps are entries
    ``pw_start[m]:pw_start[m+1]`` of ``pw_cyl`` (int64 cylinder index) and ``pw_range`` (.., 2)
    int64 (the file's 1-based range, -1 for first / last).
    """

    wc_body: np.ndarray
    wc_rot: np.ndarray
    wc_trans: np.ndarray
    wc_radius: np.ndarray
    wc_length: np.ndarray
    wc_axis: np.ndarray
    wc_sign: np.ndarray
    wc_active: np.ndarray
    pw_start: np.ndarray
    pw_cyl: np.ndarray
    pw_range: np.ndarray


def wrap_arrays(cylinders: Sequence[WrapCylinder], path_wraps: Sequence[Sequence[PathWrap]],
                body_index: Mapping[str, int], source: str | None = None,
                muscle_names: Sequence[str] | None = None) -> WrapArrays:
    """Flatten ``cylinders`` and each muscle's ``path_wraps`` (in muscle order); ``body_index``
    maps body names to the compiled model's body indices. A path wrap naming no cylinder is
    refused."""
    cidx = {c.name: i for i, c in enumerate(cylinders)}
    for c in cylinders:
        if c.body not in body_index:
            raise input_error(source, f"{c.body}.WrapObjectSet.WrapCylinder '{c.name}'", c.body,
                              "a wrap object must belong to a body of the model")
    pw_start = [0]
    pw_cyl: list[int] = []
    pw_range: list[tuple[int, int]] = []
    for m, wraps in enumerate(path_wraps):
        for w in wraps:
            if w.wrap_object not in cidx:
                who = muscle_names[m] if muscle_names is not None else f"muscle {m}"
                raise input_error(source, f"{who}.PathWrapSet.wrap_object", w.wrap_object,
                                  "it must name a WrapCylinder of the model")
            pw_cyl.append(cidx[w.wrap_object])
            pw_range.append(w.range)
        pw_start.append(len(pw_cyl))
    n = len(cylinders)
    return WrapArrays(
        wc_body=np.array([body_index[c.body] for c in cylinders], dtype=np.int64).reshape(n),
        wc_rot=np.array([cylinder_rotation(c) for c in cylinders], dtype=np.float64).reshape(n, 3, 3),
        wc_trans=np.array([c.translation for c in cylinders], dtype=np.float64).reshape(n, 3),
        wc_radius=np.array([c.radius for c in cylinders], dtype=np.float64).reshape(n),
        wc_length=np.array([c.length for c in cylinders], dtype=np.float64).reshape(n),
        wc_axis=np.array([QUADRANT_AXIS_SIGN[c.quadrant][0] for c in cylinders], dtype=np.int64).reshape(n),
        wc_sign=np.array([QUADRANT_AXIS_SIGN[c.quadrant][1] for c in cylinders], dtype=np.int64).reshape(n),
        wc_active=np.array([c.active for c in cylinders], dtype=np.bool_).reshape(n),
        pw_start=np.array(pw_start, dtype=np.int64),
        pw_cyl=np.array(pw_cyl, dtype=np.int64),
        pw_range=np.array(pw_range, dtype=np.int64).reshape(len(pw_cyl), 2))


@njit(cache=True)
def muscle_wrapped_length(m, gp, dp, pidx, pbody, n_all, coords, R, o, jw, jv, want_deriv, method,
                          wc_body, wc_rot, wc_trans, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                          pw_start, pw_cyl, pw_range, dl, status, seg_after):
    """:func:`wrapped_path_length` for muscle ``m`` of a compiled model, from body kinematics.

    ``gp`` (n,3), ``dp`` (n,nk,3), ``pidx``, ``pbody`` (n,) and ``n_all`` describe the muscle's
    active points as in :func:`wrapped_path_length`; ``coords`` (nk,) are the coordinates of
    ``dp``'s second axis (``mc_coord[mc_start[m]:mc_start[m+1]]`` in kernels.py); ``R, o, jw, jv``
    are the body kinematics of ``kernels.body_kinematics``; the ``wc_*`` and ``pw_*`` arrays are a
    :class:`WrapArrays`. ``status`` and ``seg_after`` must hold at least the muscle's number of
    path wraps. Returns the length; fills ``dl`` (nk,) with d length / d q.

    This allocates its scratch; the batch kernel (``kernels.lengths_and_arms_batch``) does the
    same work with :func:`path_length_core` and scratch allocated once per chunk of poses.
    """
    lo = pw_start[m]
    nw = pw_start[m + 1] - lo
    nk = coords.shape[0]
    cyl_R = np.empty((nw, 3, 3))
    cyl_o = np.empty((nw, 3))
    cyl_w = np.zeros((nw, nk, 3))
    cyl_v = np.zeros((nw, nk, 3))
    for w in range(nw):
        c = pw_cyl[lo + w]
        cylinder_in_ground(R, o, jw, jv, wc_body[c], wc_rot[c], wc_trans[c], coords if want_deriv else coords[:0],
                           cyl_R[w], cyl_o[w], cyl_w[w], cyl_v[w])
    nfw, niw = path_workspace_sizes(gp.shape[0], nw)
    return path_length_core(gp.shape[0], nw, nk, gp, dp, pidx, pbody, n_all, want_deriv, method, cyl_R, cyl_o,
                            cyl_w, cyl_v, pw_cyl, lo, wc_body, wc_radius, wc_length, wc_axis, wc_sign, wc_active,
                            pw_range, dl, status, seg_after, np.empty(nfw), np.empty(niw, dtype=np.int64))
