"""Inverse dynamics and joint reaction forces: a typed API over the numba kernels.

``inverse_dynamics`` returns the generalised forces that the actuators must supply for a
motion and its external loads, the quantity OpenSim's InverseDynamicsTool reports.
``joint_reaction`` returns the force that a parent body exerts on a child through their
joint once the muscle forces are known: for the hip, the hip contact force.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hipsim.dynamics import kernels
from hipsim.errors import input_error, is_real
from hipsim.model import Model
from hipsim.model.kernels import threads_for


@dataclass(frozen=True)
class PointMass:
    """A mass carried by a body (a bag, a child): ``location`` in the body frame (m), ``mass_kg``."""

    body: str
    location: tuple[float, float, float]
    mass_kg: float
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.body, str):
            raise input_error("point mass", "body", self.body, "a body name of the model")
        if np.shape(self.location) != (3,) or not all(is_real(v) for v in self.location):
            raise input_error("point mass", "location", self.location, "three finite numbers (m, body frame)")
        if not is_real(self.mass_kg) or self.mass_kg < 0:
            raise input_error("point mass", "mass_kg", self.mass_kg, "a mass >= 0 kg")


@dataclass(frozen=True)
class ExternalLoad:
    """A force applied to ``body``: force (N), point of application (m) and free torque (N m),
    each (n_frames, 3) in ground."""

    body: str
    force: np.ndarray
    point: np.ndarray
    torque: np.ndarray = field(default_factory=lambda: np.zeros((1, 3)))
    label: str = ""


def _frames(arr, nf: int, name: str) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 1:
        a = np.broadcast_to(a, (nf, a.shape[0]))
    if a.shape[0] == 1 and nf > 1:
        a = np.broadcast_to(a, (nf,) + a.shape[1:])
    if a.shape[0] != nf:
        raise input_error("argument", name, a.shape, f"expected {nf} frames")
    if not np.all(np.isfinite(a)):
        raise input_error("argument", name, "non-finite value", "all values must be finite")
    return np.ascontiguousarray(a)


def _body(model: Model, name: str, what: str) -> int:
    return model.body_index(name, key=f"{what}.body")


def _pack(model: Model, nf: int, external: Sequence[ExternalLoad], point_masses: Sequence[PointMass]):
    pm_body = np.array([_body(model, p.body, "point_mass") for p in point_masses], dtype=np.int64)
    pm_loc = np.array([p.location for p in point_masses], dtype=np.float64).reshape(-1, 3)
    pm_mass = np.array([p.mass_kg for p in point_masses], dtype=np.float64)  # checked by PointMass
    ex_body = np.array([_body(model, e.body, "external") for e in external], dtype=np.int64)
    ne = len(external)
    ex_force = np.zeros((nf, ne, 3))
    ex_point = np.zeros((nf, ne, 3))
    ex_torque = np.zeros((nf, ne, 3))
    for i, e in enumerate(external):
        ex_force[:, i] = _frames(e.force, nf, f"external[{i}].force")
        ex_point[:, i] = _frames(e.point, nf, f"external[{i}].point")
        ex_torque[:, i] = _frames(e.torque, nf, f"external[{i}].torque")
    return pm_body, pm_loc, pm_mass, ex_body, ex_force, ex_point, ex_torque


def _motion(model: Model, q, qdot, qddot):
    qs = model.pose(q)
    nf = qs.shape[0]
    qd = np.zeros_like(qs) if qdot is None else _frames(qdot, nf, "qdot")
    qdd = np.zeros_like(qs) if qddot is None else _frames(qddot, nf, "qddot")
    for name, a in (("qdot", qd), ("qddot", qdd)):
        if a.shape != qs.shape:
            raise input_error("argument", name, a.shape, f"it must match q's shape {qs.shape}")
    return qs, qd, qdd


def inverse_dynamics(model: Model, q, qdot=None, qddot=None, external: Sequence[ExternalLoad] = (),
                     point_masses: Sequence[PointMass] = (), return_com: bool = False):
    """Generalised forces (n_frames, n_coordinates): N m for rotations, N for translations.

    ``q``, ``qdot``, ``qddot``: (n_frames, n_coordinates) in ``model.coordinate_names`` order
    (q also accepts what :meth:`Model.pose` accepts); speeds and accelerations default to zero
    (a static posture). With ``return_com`` also the whole-body centre of mass (n_frames, 3),
    point masses included.
    """
    qs, qd, qdd = _motion(model, q, qdot, qddot)
    packed = _pack(model, qs.shape[0], external, point_masses)
    cm = model.compiled
    f = cm.fn
    with threads_for(qs.shape[0]):
        tau, com = kernels.inverse_dynamics_batch(
            qs, qd, qdd, *packed, cm.body_parent, cm.body_mass, cm.body_com, cm.body_inertia, cm.gravity,
            cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir, cm.ax_fn, cm.ax_coord, cm.anc_start, cm.anc_coord,
            f.kind, f.a, f.b, f.offset, f.count, f.kx, f.ky, f.kb, f.kc, f.kd)
    return (tau, com) if return_com else tau


def center_of_mass(model: Model, rotations: np.ndarray, origins: np.ndarray,
                   point_masses: Sequence[PointMass] = (), bodies: Sequence[int] | None = None
                   ) -> tuple[float, np.ndarray]:
    """Mass (kg) and centre of mass (n_frames, 3, ground) of ``bodies`` (all by default) plus
    ``point_masses``, from the body poses ``model.body_poses(q)`` returns (rotations, origins).

    For callers that already hold the poses (balance solvers, the gait fit): the same centre of
    mass as ``inverse_dynamics(..., return_com=True)`` without running the dynamics.
    """
    cm = model.compiled
    idx = np.arange(cm.body_mass.shape[0]) if bodies is None else np.asarray(list(bodies), dtype=np.int64)
    mass = cm.body_mass[idx]
    pos = origins[:, idx] + np.einsum("fbij,bj->fbi", rotations[:, idx], cm.body_com[idx])
    total = np.einsum("b,fbi->fi", mass, pos)
    m = float(mass.sum())
    for pm in point_masses:
        b = _body(model, pm.body, "point_mass")
        total += pm.mass_kg * (origins[:, b] + rotations[:, b] @ np.asarray(pm.location, dtype=np.float64))
        m += pm.mass_kg
    return m, total / m


def joint_reaction(model: Model, child_body: str, q, muscle_forces: np.ndarray, qdot=None, qddot=None,
                   external: Sequence[ExternalLoad] = (), point_masses: Sequence[PointMass] = ()) -> np.ndarray:
    """Force (n_frames, 3) in ground that the parent exerts on ``child_body`` through their joint.

    ``muscle_forces`` (n_frames, n_muscles) are tensions (N) along each muscle's path. For
    ``child_body="femur_r"`` this is the right hip contact force acting on the femoral head.
    """
    qs, qd, qdd = _motion(model, q, qdot, qddot)
    nf = qs.shape[0]
    child = _body(model, child_body, "joint")
    mf = _frames(muscle_forces, nf, "muscle_forces")
    if mf.shape != (nf, model.n_muscles):
        raise input_error("argument", "muscle_forces", mf.shape, f"expected ({nf}, {model.n_muscles})")
    pm_body, pm_loc, pm_mass, ex_body, ex_force, ex_point, _ = _pack(model, nf, external, point_masses)
    cm = model.compiled
    f = cm.fn
    nb = cm.body_parent.shape[0]
    mp_body = np.concatenate([np.arange(1, nb), pm_body]).astype(np.int64)
    mp_loc = np.ascontiguousarray(np.vstack([cm.body_com[1:], pm_loc]))
    mp_mass = np.concatenate([cm.body_mass[1:], pm_mass])
    with threads_for(nf):
        return kernels.joint_reaction_batch(
            qs, qd, qdd, child, mf, mp_body, mp_loc, mp_mass, ex_body, ex_force, ex_point,
            cm.body_parent, cm.gravity,
            cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir, cm.ax_fn, cm.ax_coord, cm.anc_start, cm.anc_coord,
            cm.pt_start, cm.pt_kind, cm.pt_body, cm.pt_loc, cm.pt_coord, cm.pt_range, cm.pt_fn,
            f.kind, f.a, f.b, f.offset, f.count, f.kx, f.ky, f.kb, f.kc, f.kd, *cm.wrap, cm.wrap_method)
