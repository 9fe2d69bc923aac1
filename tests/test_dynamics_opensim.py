"""Inverse dynamics against OpenSim 4.6 (skipped without opensim or the reference folder)."""
from __future__ import annotations

import numpy as np

from hipsim.dynamics.inverse import inverse_dynamics


def opensim_inverse_dynamics(osim, path, coord_names, qs, qds, qdds):
    """OpenSim's InverseDynamicsSolver with every force disabled: tau = M qdd + C - G."""
    om = osim.Model(str(path))
    for i in range(om.getForceSet().getSize()):
        om.getForceSet().get(i).set_appliesForce(False)
    s = om.initSystem()
    coords = [om.getCoordinateSet().get(n) for n in coord_names]
    # Simbody's mobility order need not be the coordinate order: find it from the state.
    for k, c in enumerate(coords):
        c.setSpeedValue(s, k + 1.0)
    u = s.getU()
    order = [int(round(u.get(i))) - 1 for i in range(len(coords))]
    solver = osim.InverseDynamicsSolver(om)
    out = np.zeros_like(qs)
    for f in range(qs.shape[0]):
        for k, c in enumerate(coords):
            c.setValue(s, float(qs[f, k]), False)
            c.setSpeedValue(s, float(qds[f, k]))
        om.realizeVelocity(s)
        udot = osim.Vector(len(coords), 0.0)
        for i, k in enumerate(order):
            udot.set(i, float(qdds[f, k]))
        r = solver.solve(s, udot)
        for i, k in enumerate(order):
            out[f, k] = r.get(i)
    return out


def test_inverse_dynamics_matches_opensim_at_random_states(opensim, reference_dir, gait2392):
    """hipsim's Kane/recursive inverse dynamics equals OpenSim's InverseDynamicsSolver on gait2392
    at 20 random states (poses, speeds, accelerations) for every coordinate, within 1e-8 of the
    largest generalised force. Exercises gravity, Coriolis and centripetal terms, and the knee's
    spline-driven translations (their second derivatives)."""
    m = gait2392
    rng = np.random.default_rng(7)
    n = 20
    qs = np.tile(m.default_q, (n, 1)) + rng.normal(0, 0.3, (n, m.n_coordinates))
    qd = rng.normal(0, 2.0, qs.shape)
    qdd = rng.normal(0, 5.0, qs.shape)
    ref = opensim_inverse_dynamics(opensim, reference_dir / "gait2392_thelen2003muscle.osim", m.coordinate_names,
                                   qs, qd, qdd)
    tau = inverse_dynamics(m, qs, qd, qdd)
    assert np.abs(tau - ref).max() <= 1e-8 * np.abs(ref).max()
