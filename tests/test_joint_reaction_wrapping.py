"""The hip contact force against OpenSim's wrapped muscle paths.

A muscle pulls on the femur along its path where the path leaves the thigh. For a wrapping muscle
that is the segment from the last tangent point on its wrap surface, not the straight line between
its path points: with the full-body model's wrap cylinders (Rajagopal et al. 2016; Lai et al. 2017)
the straight segments turned iliopsoas's pull, wrapped over the pelvic brim, by 10-15 degrees at the
default walk's late-stance peak (108 N and 128 N at its 603 N and 495 N), and gluteus maximus's by
up to 16.1 degrees, before the joint reaction followed the wrapped paths."""
from __future__ import annotations

import numpy as np

import hipsim
from hipsim.dynamics.inverse import joint_reaction

#: Hip-crossing muscles of the right leg with a wrap surface in lai_uhlrich2023.
WRAPPED_HIP = ("psoas_r", "iliacus_r", "gluteus_maximus_superior_r", "gluteus_maximus_middle_r",
               "gluteus_maximus_inferior_r", "adductor_longus_r", "adductor_brevis_r", "adductor_magnus_proximal_r")


def _opensim_pull(om, state, alias: str, inside: set[str]) -> np.ndarray:
    """Unit pull of a muscle on the subtree ``inside`` (bodies) where its current (wrapped) path
    crosses into it: from the point inside toward the point outside."""
    cur = om.getMuscles().get(alias).getGeometryPath().getCurrentPath(state)
    pts = []
    for j in range(cur.getSize()):
        pp = cur.get(j)
        loc = pp.getLocationInGround(state)
        pts.append((pp.getParentFrame().findBaseFrame().getName(), np.array([loc.get(i) for i in range(3)])))
    for (b0, p0), (b1, p1) in zip(pts, pts[1:]):
        if (b0 in inside) != (b1 in inside):
            d = p0 - p1 if b1 in inside else p1 - p0
            return d / np.linalg.norm(d)
    raise AssertionError(f"{alias}: the path does not cross into the thigh")


def test_wrapped_hip_muscles_pull_along_their_wrapped_paths(opensim, reference_dir):
    """At frames across the default walk, each wrapped hip muscle's pull on the right thigh (its
    share of joint_reaction at unit tension) is OpenSim's, to 0.01 degrees."""
    m = hipsim.load_model("default")
    g = hipsim.gait(m)
    om = opensim.Model(str(reference_dir / "RajagopalLaiUhlrich2023.osim"))
    state = om.initSystem()
    coords = om.getCoordinateSet()
    inside = {m.body_names[b] for b in m.subtree("femur_r")}
    worst = (0.0, "")
    for i in np.linspace(0, g.n_frames - 1, 9).astype(int):
        q = g.q[i]
        for k, name in enumerate(m.coordinate_names):
            c = coords.get(name)
            if not c.getLocked(state):
                c.setValue(state, float(q[k]), False)
        om.assemble(state)
        om.realizePosition(state)
        zero = np.zeros((1, m.n_muscles))
        rest = joint_reaction(m, "femur_r", q[None], zero)[0]
        for mu in WRAPPED_HIP:
            unit = zero.copy()
            unit[0, m.muscle_index(mu)] = 1.0
            # the joint force balances the muscle's pull on the thigh: minus its share
            ours = -(joint_reaction(m, "femur_r", q[None], unit)[0] - rest)
            theirs = _opensim_pull(om, state, m.muscle_aliases[m.muscle_index(mu)], inside)
            angle = float(np.degrees(np.arccos(np.clip(ours @ theirs / np.linalg.norm(ours), -1.0, 1.0))))
            worst = max(worst, (angle, f"{mu} at {g.percent[i]:.0f} %"))
    assert worst[0] < 0.01, f"largest turn {worst[0]:.2f} degrees ({worst[1]})"
