"""Compile a :class:`ModelSpec` into immutable flat arrays for the numba kernels.

The compiled model plays the part of MuJoCo's mjModel or Pinocchio's Model: built once,
never changed, shared by every computation. Index 0 of the body arrays is ground; bodies
follow in topological order (each parent before its children), so one forward sweep
computes every body's pose.

Pin, universal and weld joints are expressed as custom joints (a pin is one rotation about z
with f(q) = q; a universal joint a rotation about x by its first coordinate, then about the new
y by its second; a weld has six constant-zero axes), so one kernel covers every joint kind.

Coupled coordinates (:class:`~hipsim.model.spec.CoordinateCoupler`) are not coordinates of the
compiled model: an axis or moving path point driven by a dependent coordinate is compiled as a
function of the independent one, ``f_axis(scale * f_coupler(q_independent))`` (a composed row
of the function table), so poses, Jacobians and moment arms with respect to the independent
coordinate include the dependent coordinate's contribution exactly (the chain rule), as
OpenSim reports them with the constraint enforced. The coordinate arrays and names list the
independent coordinates only, in file order.

Muscle paths wrap over the model's wrap cylinders with OpenSim's semantics
(:mod:`hipsim.model.wrapping`): ``wrap`` holds the cylinders and each muscle's path wraps.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hipsim.model.functions import FunctionTable, FunctionTableBuilder
from hipsim.model.wrapping import GEODESIC, OPENSIM, WrapArrays, wrap_arrays
from hipsim.model.spec import (GROUND, ConditionalPathPoint, Constant, CoordinateCoupler, Function, Linear,
                               ModelSpec, MovingPathPoint, PathPoint, TransformAxis)

FIXED, CONDITIONAL, MOVING = 0, 1, 2


def euler_xyz_body_fixed(angles: tuple[float, float, float]) -> np.ndarray:
    """Rotation matrix of X-Y-Z body-fixed Euler angles (OpenSim PhysicalOffsetFrame orientation)."""
    r = np.eye(3)
    for axis, ang in zip(np.eye(3), angles, strict=True):
        r = r @ axis_angle(axis, ang)
    return r


def axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix for a right-handed rotation of ``angle`` about unit ``axis`` (Rodrigues)."""
    x, y, z = axis
    c, s = np.cos(angle), np.sin(angle)
    t = 1.0 - c
    return np.array([[t * x * x + c, t * x * y - s * z, t * x * z + s * y],
                     [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
                     [t * x * z - s * y, t * y * z + s * x, t * z * z + c]])


class CompiledModel(NamedTuple):
    """Flat arrays describing a model. ``nb`` bodies include ground at index 0."""

    # bodies and joints (one joint per non-ground body)
    body_parent: np.ndarray     # (nb,) int64, -1 for ground
    body_mass: np.ndarray       # (nb,)
    body_com: np.ndarray        # (nb, 3)
    body_inertia: np.ndarray    # (nb, 3, 3) about the centre of mass, body frame
    r_pf: np.ndarray            # (nb, 3, 3) joint frame in parent
    p_pf: np.ndarray            # (nb, 3)
    r_bm: np.ndarray            # (nb, 3, 3) joint frame in child
    p_bm: np.ndarray            # (nb, 3)
    ax_dir: np.ndarray          # (nb, 6, 3) unit axes: rotation1-3, translation1-3
    ax_fn: np.ndarray           # (nb, 6) int64 function row
    ax_coord: np.ndarray        # (nb, 6) int64 coordinate index or -1
    # coordinates
    coord_default: np.ndarray   # (nc,)
    coord_range: np.ndarray     # (nc, 2)
    coord_locked: np.ndarray    # (nc,) bool
    coord_body: np.ndarray      # (nc,) int64 body whose joint owns the coordinate
    anc_start: np.ndarray       # (nb + 1,) int64 into anc_coord: coordinates that move each body
    anc_coord: np.ndarray       # int64, ancestors' coordinates first
    # muscle paths
    pt_start: np.ndarray        # (nm + 1,) int64 first point of each muscle
    pt_kind: np.ndarray         # (npt,) int64 FIXED / CONDITIONAL / MOVING
    pt_body: np.ndarray         # (npt,) int64
    pt_loc: np.ndarray          # (npt, 3) location of fixed / conditional points
    pt_coord: np.ndarray        # (npt, 3) int64 conditional: [coord, -1, -1]; moving: x/y/z coords
    pt_range: np.ndarray        # (npt, 2) conditional range
    pt_fn: np.ndarray           # (npt, 3) int64 moving: x/y/z functions
    mc_start: np.ndarray        # (nm + 1,) int64 into mc_coord: coordinates a muscle's length depends on
    mc_coord: np.ndarray        # int64
    # functions
    fn: FunctionTable
    gravity: np.ndarray         # (3,)
    wrap: WrapArrays            # wrap cylinders and each muscle's path wraps (hipsim.model.wrapping)
    wrap_method: int            # wrapping.OPENSIM or wrapping.GEODESIC


def _inertia(v: tuple[float, ...]) -> np.ndarray:
    ixx, iyy, izz, ixy, ixz, iyz = v
    return np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]], dtype=np.float64)


def _unit(v: tuple[float, float, float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def compile_spec(spec: ModelSpec) -> tuple[CompiledModel, list[str], list[str]]:
    """Compile ``spec``; return the arrays, the body names (ground first) and the coordinate names
    (the independent coordinates: a coupled coordinate is not one, see the module docstring).

    A muscle's path wraps over the model's wrap cylinders as OpenSim computes it
    (:mod:`hipsim.model.wrapping`).
    """
    joint_of = {j.child: j for j in spec.joints}
    # Topological order: repeatedly take bodies whose parent is already placed.
    order = [GROUND]
    remaining = [b.name for b in spec.bodies]
    while remaining:
        nxt = [b for b in remaining if joint_of[b].parent in order]
        order.extend(nxt)
        remaining = [b for b in remaining if b not in nxt]
    bidx = {n: i for i, n in enumerate(order)}
    bodies = {b.name: b for b in spec.bodies}
    coords = list(spec.independent_coordinates)  # file order, as OpenSim lists them
    cidx = {c.name: i for i, c in enumerate(coords)}
    coupler: dict[str, CoordinateCoupler] = {c.dependent: c for c in spec.couplers}
    nb, nc = len(order), len(coords)

    fb = FunctionTableBuilder()
    zero = fb.add(Constant(0.0))

    def driven(function: Function, coordinate: str) -> tuple[int, int]:
        """Function row and coordinate index of ``function`` of ``coordinate``, composed with the
        coupler when the coordinate is a dependent one."""
        c = coupler.get(coordinate)
        if c is None:
            return fb.add(function), cidx[coordinate]
        return fb.add_composed(function, c.function, c.scale_factor), cidx[c.independent]

    body_parent = np.full(nb, -1, dtype=np.int64)
    body_mass = np.zeros(nb)
    body_com = np.zeros((nb, 3))
    body_inertia = np.zeros((nb, 3, 3))
    r_pf = np.tile(np.eye(3), (nb, 1, 1))
    r_bm = np.tile(np.eye(3), (nb, 1, 1))
    p_pf = np.zeros((nb, 3))
    p_bm = np.zeros((nb, 3))
    ax_dir = np.tile(np.vstack([np.eye(3), np.eye(3)]), (nb, 1, 1))
    ax_fn = np.full((nb, 6), zero, dtype=np.int64)
    ax_coord = np.full((nb, 6), -1, dtype=np.int64)
    coord_body = np.zeros(nc, dtype=np.int64)
    for name in order[1:]:
        i = bidx[name]
        b = bodies[name]
        j = joint_of[name]
        body_parent[i] = bidx[j.parent]
        body_mass[i] = b.mass
        body_com[i] = b.mass_center
        body_inertia[i] = _inertia(b.inertia)
        r_pf[i] = euler_xyz_body_fixed(j.parent_frame.orientation)
        p_pf[i] = j.parent_frame.translation
        r_bm[i] = euler_xyz_body_fixed(j.child_frame.orientation)
        p_bm[i] = j.child_frame.translation
        for c in j.coordinates:
            if c.name in cidx:  # a dependent coordinate is not a coordinate of the compiled model
                coord_body[cidx[c.name]] = i
        axes: tuple[TransformAxis, ...] = j.transform
        if j.kind == "pin":
            axes = (TransformAxis((0.0, 0.0, 1.0), Linear(1.0, 0.0), j.coordinates[0].name),)
        elif j.kind == "universal":
            axes = (TransformAxis((1.0, 0.0, 0.0), Linear(1.0, 0.0), j.coordinates[0].name),
                    TransformAxis((0.0, 1.0, 0.0), Linear(1.0, 0.0), j.coordinates[1].name))
        for k, ax in enumerate(axes):
            ax_dir[i, k] = _unit(ax.axis)
            if ax.coordinate is None:
                ax_fn[i, k] = fb.add(ax.function)
            else:
                ax_fn[i, k], ax_coord[i, k] = driven(ax.function, ax.coordinate)

    # Coordinates each body's pose depends on (its joint's and its ancestors').
    anc: list[set[int]] = [set() for _ in range(nb)]
    anc_list: list[list[int]] = [[] for _ in range(nb)]
    for i in range(1, nb):
        own = [int(c) for c in dict.fromkeys(ax_coord[i]) if c >= 0]
        anc[i] = anc[body_parent[i]] | set(own)
        anc_list[i] = anc_list[body_parent[i]] + [c for c in own if c not in anc[body_parent[i]]]
    # The joints (by child body) between each body and ground, and each joint's own coordinates: a
    # coupled coordinate can drive several joints, so crossing is decided per joint (below).
    chain: list[set[int]] = [set() for _ in range(nb)]
    own_coords: list[set[int]] = [set() for _ in range(nb)]
    for i in range(1, nb):
        chain[i] = chain[body_parent[i]] | {i}
        own_coords[i] = {int(c) for c in ax_coord[i] if c >= 0}
    anc_start = np.cumsum([0] + [len(a) for a in anc_list]).astype(np.int64)
    anc_coord = np.array([c for a in anc_list for c in a], dtype=np.int64)

    pt_start = [0]
    mc_start = [0]
    mc_coord: list[int] = []
    kinds, pbody, ploc, pcoord, prange, pfn = [], [], [], [], [], []
    wobj = {w.name: w for w in spec.wrap_objects}
    for m in spec.muscles:
        chains = [chain[bidx[wobj[w.wrap_object].body]] for w in m.wraps if w.wrap_object in wobj]
        extra: set[int] = set()
        for p in m.path:
            kinds.append(FIXED if isinstance(p, PathPoint) else CONDITIONAL if isinstance(p, ConditionalPathPoint)
                         else MOVING)
            pbody.append(bidx[p.body])
            chains.append(chain[bidx[p.body]])
            if isinstance(p, MovingPathPoint):
                ploc.append((0.0, 0.0, 0.0))
                (fx, cx), (fy, cy), (fz, cz) = (driven(p.x, p.x_coordinate), driven(p.y, p.y_coordinate),
                                                driven(p.z, p.z_coordinate))
                pcoord.append((cx, cy, cz))
                extra.update((cx, cy, cz))
                prange.append((0.0, 0.0))
                pfn.append((fx, fy, fz))
            else:
                ploc.append(p.location)
                if isinstance(p, ConditionalPathPoint):
                    pcoord.append((cidx[p.coordinate], -1, -1))
                    prange.append(p.range)
                else:
                    pcoord.append((-1, -1, -1))
                    prange.append((0.0, 0.0))
                pfn.append((zero, zero, zero))
        # A coordinate changes the length only if it moves some path bodies relative to others: if it
        # drives a joint that lies between ground and some path bodies but not all of them.
        apart = chains[0].union(*chains[1:]) - chains[0].intersection(*chains[1:])
        spanned = set().union(*(own_coords[j] for j in apart))
        mc_coord.extend(sorted(spanned | extra))
        mc_start.append(len(mc_coord))
        pt_start.append(len(kinds))

    cm = CompiledModel(
        body_parent=body_parent, body_mass=body_mass, body_com=body_com, body_inertia=body_inertia,
        r_pf=r_pf, p_pf=p_pf, r_bm=r_bm, p_bm=p_bm, ax_dir=ax_dir, ax_fn=ax_fn, ax_coord=ax_coord,
        coord_default=np.array([c.default for c in coords], dtype=np.float64).reshape(nc),
        coord_range=np.array([c.range for c in coords], dtype=np.float64).reshape(nc, 2),
        coord_locked=np.array([c.locked for c in coords], dtype=bool).reshape(nc),
        coord_body=coord_body, anc_start=anc_start, anc_coord=anc_coord,
        pt_start=np.array(pt_start, dtype=np.int64), pt_kind=np.array(kinds, dtype=np.int64),
        pt_body=np.array(pbody, dtype=np.int64), pt_loc=np.array(ploc, dtype=np.float64).reshape(-1, 3),
        pt_coord=np.array(pcoord, dtype=np.int64).reshape(-1, 3),
        pt_range=np.array(prange, dtype=np.float64).reshape(-1, 2),
        pt_fn=np.array(pfn, dtype=np.int64).reshape(-1, 3),
        mc_start=np.array(mc_start, dtype=np.int64), mc_coord=np.array(mc_coord, dtype=np.int64),
        fn=fb.build(), gravity=np.asarray(spec.gravity, dtype=np.float64),
        wrap=wrap_arrays(spec.wrap_objects, [m.wraps for m in spec.muscles], bidx, spec.source,
                         [m.alias for m in spec.muscles]),
        wrap_method=OPENSIM if spec.wrap_method == "opensim" else GEODESIC)
    for arr in _arrays(cm):
        arr.setflags(write=False)
    return cm, order, [c.name for c in coords]


def _arrays(cm: CompiledModel):
    for v in cm:
        if isinstance(v, np.ndarray):
            yield v
        elif isinstance(v, tuple):
            yield from (a for a in v)
