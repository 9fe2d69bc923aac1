"""Change a built walking cycle's posture frame by frame and keep it dynamically consistent.

A compensation for weak hip abductors (a trunk lean over the stance hip, or a pelvic drop on the
swing side) changes a few coordinates of a built cycle (:class:`~hipsim.motion.normative_gait.
NormativeGait`, from the keypoint or the measured walk). :func:`adjust_cycle` applies such
per-frame changes and updates what depends on them:

* **Time derivatives.** The change is a periodic curve over the cycle. It is low-passed to
  ``harmonics`` harmonics (a truncated Fourier series on the cycle's uniform grid) and its
  velocity and acceleration are the series' exact derivatives, so inverse dynamics sees the
  lean's own inertia. With ``harmonics=None`` the change is quasi-static: positions move, the
  cycle's velocities and accelerations stay (used while searching frame by frame).
* **Planted feet.** A pelvic drop rotates the pelvis; with ``pin`` the pelvis translations are
  moved in each frame so that the named side's foot (the calcn origin) stays where it was. (A
  drop's matching hip adduction keeps the femur's orientation in ground only approximately: with
  the hip flexed, the adduction axis is not the pelvis' list axis; at a 6 deg drop the stance hip
  centre would otherwise carry the foot up to 1.1 cm over the floor.) A trunk lean moves only the
  trunk and needs no pin.
* **Ground reactions.** Whole-body Newton–Euler gives the external wrench the new motion needs;
  its change from the old motion's wrench is shared between the feet in proportion to each foot's
  vertical load (in single support the stance foot takes all of it), so each foot's centre of
  pressure moves under the shifted mass and the pelvis needs no residual force or moment.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from hipsim.errors import input_error
from hipsim.motion.gait_ground import whole_body_wrench

__all__ = ["adjust_cycle", "whole_body_wrench", "periodic_series"]

_TRANSLATIONS = ("pelvis_tx", "pelvis_ty", "pelvis_tz")


def periodic_series(x: np.ndarray, period_s: float, harmonics: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, first and second time derivative of ``x`` low-passed to ``harmonics`` harmonics.

    ``x`` is sampled on a uniform grid over one period with the last sample repeating the first
    (0 % and 100 % of a cycle); the derivatives are those of the truncated Fourier series."""
    x = np.asarray(x, dtype=float)
    n = x.size - 1
    if n < 2:
        raise input_error("argument", "x", x.size, "at least 3 samples over the period")
    c = np.fft.rfft(x[:n])
    k = np.arange(c.size)
    c[k > harmonics] = 0.0
    w = 2.0j * np.pi * k / period_s
    out = []
    for d in (c, c * w, c * w * w):
        v = np.fft.irfft(d, n)
        out.append(np.append(v, v[0]))
    return out[0], out[1], out[2]


def adjust_cycle(model, point_masses: Sequence, cycle, deltas: Mapping[str, np.ndarray],
                 pin: Sequence[str] | None = None, harmonics: int | None = 10):
    """The cycle with ``deltas`` (radians per frame, by coordinate name) added to its coordinates.

    ``cycle`` is a :class:`~hipsim.motion.normative_gait.NormativeGait` built for ``model`` and
    ``point_masses``; ``pin`` gives per frame the side ("r", "l" or "") whose foot is held in
    place; ``harmonics`` as in the module docstring (None: quasi-static). Returns a new cycle
    (the input is not changed); its ``parameters`` record the largest change per coordinate.
    """
    from hipsim.dynamics.inverse import center_of_mass
    from hipsim.motion.gait_ground import COP_MIN_LOAD_BW, FootGRF, _cop

    names = list(cycle.coordinate_names)
    n = cycle.percent.size
    if n < 3 or not np.allclose(cycle.percent, np.linspace(0.0, 100.0, n)):
        raise input_error("argument", "cycle.percent", f"{n} frames",
                          "a cycle on a uniform 0-100 % grid of at least 3 frames")
    period = float(cycle.stride_time_s)
    q0 = np.column_stack([cycle.coordinates[c] for c in model.coordinate_names])
    qd0 = np.column_stack([cycle.velocities[c] for c in model.coordinate_names])
    qdd0 = np.column_stack([cycle.accelerations[c] for c in model.coordinate_names])
    q, qd, qdd = q0.copy(), qd0.copy(), qdd0.copy()

    def add(j: int, dx: np.ndarray) -> None:
        if harmonics is None:
            q[:, j] += dx
            return
        v, d1, d2 = periodic_series(dx, period, harmonics)
        q[:, j] += v
        qd[:, j] += d1
        qdd[:, j] += d2

    for name, dx in deltas.items():
        dx = np.asarray(dx, dtype=float)
        if dx.shape != (n,) or not np.all(np.isfinite(dx)):
            raise input_error("argument", f"deltas[{name!r}]", dx.shape, f"{n} finite values")
        add(model.coordinate_index(name), dx)
    if pin is not None:
        # Hold the pinned foot: translate the pelvis by minus the foot's displacement.
        _, o0, _, _ = model.body_poses(q0)
        _, o1, _, jv = model.body_poses(q)
        pel = model.body_names.index("pelvis")
        ti = [model.coordinate_index(t) for t in _TRANSLATIONS]
        a = jv[0, pel][ti, :]  # (3 coordinates, 3 axes): origin velocity per unit translation
        shift = np.zeros((n, 3))
        for s in ("r", "l"):
            on = np.asarray([p == s for p in pin])
            b = model.body_names.index(f"calcn_{s}")
            shift[on] = (o0[on, b] - o1[on, b])
        dtrans = np.linalg.solve(a.T, shift.T).T
        for k, j in enumerate(ti):
            add(j, dtrans[:, k])

    f0, m0 = whole_body_wrench(model, q0, qd0, qdd0, point_masses)
    f1, m1 = whole_body_wrench(model, q, qd, qdd, point_masses)
    mass = float(cycle.body_mass_kg)
    g_bw = mass * float(np.linalg.norm(model.compiled.gravity))
    fy = {s: cycle.grf[s].force_bw[:, 1] for s in ("r", "l")}
    total = fy["r"] + fy["l"]
    R, o, _, _ = model.body_poses(q)
    grf = {}
    for s in ("r", "l"):
        old = cycle.grf[s]
        share = np.divide(fy[s], total, out=np.zeros(n), where=total > 0)[:, None]
        force = old.force_bw + share * (f1 - f0) / g_bw
        moment = old.moment_origin_bw_m + share * (m1 - m0) / g_bw
        force = np.where(old.stance[:, None], force, 0.0)
        moment = np.where(old.stance[:, None], moment, 0.0)
        on = old.stance & (force[:, 1] > COP_MIN_LOAD_BW)
        c = model.body_names.index(f"calcn_{s}")
        cop = np.where(old.stance[:, None], o[:, c] * np.array([1.0, 0.0, 1.0]), 0.0)
        free = np.zeros(n)
        cc, tt = _cop(force[on], moment[on])
        cop[on], free[on] = cc, tt
        cop_calcn = np.where(on[:, None], np.einsum("fji,fj->fi", R[:, c], cop - o[:, c]), 0.0)
        grf[s] = FootGRF(side=s, force_bw=force, cop_calcn_m=cop_calcn, stance=old.stance,
                         stance_fraction=old.stance_fraction, cop_ground_m=cop, free_moment_bw_m=free,
                         moment_origin_bw_m=moment)
    com = center_of_mass(model, R, o, list(point_masses))[1]
    params = dict(cycle.parameters)
    for name in deltas:
        params[f"adjusted_{name}_max_rad"] = float(np.max(np.abs(q[:, model.coordinate_index(name)]
                                                                   - q0[:, model.coordinate_index(name)])))
    idx = {c: model.coordinate_index(c) for c in names}
    return dataclasses.replace(
        cycle, coordinates={c: q[:, idx[c]] for c in names}, velocities={c: qd[:, idx[c]] for c in names},
        accelerations={c: qdd[:, idx[c]] for c in names}, grf=grf, com_m=com, parameters=params)
