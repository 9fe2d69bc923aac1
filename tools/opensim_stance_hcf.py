"""Single-leg stance hip contact force from OpenSim's own StaticOptimization and JointReaction,
for the published models in ../shared/reference/opensim, beside hipsim's.

Why: hipsim's default single-leg stance gives 3.21 BW (3.45 without the passive joint moments),
above issue 4's 2.0-3.0 BW. This script asks whether another published model, solved by
OpenSim itself, would land in range. Every model gets hipsim's stance posture (same joint
angles; Rajagopal's knee sign flipped, its arms hanging), a static ground force equal to its
weight under its own centre of mass, and OpenSim 4.6's StaticOptimization (squared activations,
muscle physiology on, as OpenSim's default) with a costly CoordinateActuator (optimal force 1)
on every coordinate that has no actuator (the pelvis residuals, gait2392's lumbar joints); then
the JointReaction analysis gives the right hip's force on the femur.

Needs ``pip install opensim==4.6`` and the reference folder. Run from the repository root:

    python tools/opensim_stance_hcf.py [--reference ../shared/reference/opensim]

Prints a table (model, body weights, the largest muscle forces).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

MODELS = ("gait2392_thelen2003muscle", "Rajagopal2016", "RajagopalLaiUhlrich2023")
FRAMES = 11  # OpenSim's spline fit of the coordinates needs at least six rows


def _stance_pose(osim, model, q_hipsim: dict[str, float], rajagopal: bool):
    """Set hipsim's stance angles on ``model``; returns the assembled state and coordinate values."""
    state = model.initSystem()
    cs = model.getCoordinateSet()
    names = [cs.get(i).getName() for i in range(cs.getSize())]
    for n in names:
        c = cs.get(n)
        if c.get_locked():
            continue
        base = n[:-5] if n.endswith("_beta") else n
        v = q_hipsim.get(base, 0.0)
        if rajagopal and base.startswith("knee_angle"):
            v = -v  # Rajagopal's knee angle is positive in flexion, gait2392's negative
        c.setValue(state, v, False)
    model.assemble(state)
    model.realizePosition(state)
    return state, names, {n: cs.get(n).getValue(state) for n in names}


def opensim_stance_hcf(osim, model_path: Path, q_hipsim: dict[str, float], work: Path) -> tuple[float, list]:
    """Hip contact force (body weights) and the largest forces for one model."""
    from hipsim.motion.external_loads import write_external_loads
    from hipsim.motion.opensim_tools import joint_reaction, run_analyze_tool
    from hipsim.motion.storage import StorageTable, read_storage, write_storage

    rajagopal = "Rajagopal" in model_path.name
    model = osim.Model(str(model_path))
    state, names, values = _stance_pose(osim, model, q_hipsim, rajagopal)
    com = model.calcMassCenterPosition(state)
    weight = model.getTotalMass(state) * 9.80665
    t = np.linspace(0.0, 1.0, FRAMES)
    rot = [not n.endswith(("_tx", "_ty", "_tz")) for n in names]
    row = [np.degrees(values[n]) if r else values[n] for n, r in zip(names, rot)]
    write_storage(work / "q.mot", StorageTable(time=t, column_names=tuple(names), data=np.tile(row, (FRAMES, 1)),
                                               in_degrees=True, name="stance"))
    write_external_loads(work / "grf.xml", t, [("grf", "calcn_r", np.tile([0.0, weight, 0.0], (FRAMES, 1)),
                                                np.tile([com[0], 0.0, com[2]], (FRAMES, 1)),
                                                np.zeros((FRAMES, 3)))])
    fs = model.getForceSet()
    actuated = {osim.CoordinateActuator.safeDownCast(fs.get(i)).get_coordinate()
                for i in range(fs.getSize()) if fs.get(i).getConcreteClassName() == "CoordinateActuator"}
    cs = model.getCoordinateSet()
    for n in names:
        if (n.startswith(("pelvis", "lumbar")) and n not in actuated and not cs.get(n).get_locked()):
            act = osim.CoordinateActuator(n)
            act.setName(f"{n}_reserve")
            act.setOptimalForce(1.0)
            act.setMinControl(-1e6)
            act.setMaxControl(1e6)
            model.addForce(act)
    model.finalizeConnections()
    model.printToXML(str(work / "model.osim"))
    so = osim.StaticOptimization()
    so.setName("so")
    so.setUseModelForceSet(True)
    so.setActivationExponent(2)
    so.setUseMusclePhysiology(True)
    so.setStartTime(0.2)
    so.setEndTime(0.8)
    # Two runs: the joint reaction needs the optimisation's forces file.
    for analysis in (so, joint_reaction(osim, work / "stance_so_force.sto")):
        run_analyze_tool(osim, "stance", work / "model.osim", work / "q.mot", work / "grf.xml", 0.2, 0.8, work,
                         [analysis])
    loads = read_storage(work / "stance_reaction_ReactionLoads.sto")
    force = np.column_stack([loads.column(f"hip_r_on_femur_r_in_ground_f{a}") for a in "xyz"])
    forces = read_storage(work / "stance_so_force.sto")
    muscles = [(n, float(forces.data[len(forces.time) // 2, i])) for i, n in enumerate(forces.column_names)
               if not n.endswith("_reserve") and "grf" not in n]
    muscles.sort(key=lambda x: -abs(x[1]))
    return float(np.linalg.norm(force, axis=1).mean() / weight), muscles[:5]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=Path("../shared/reference/opensim"))
    args = parser.parse_args(argv)
    try:
        import opensim as osim
    except ImportError:
        print("opensim is not installed (pip install opensim==4.6)", file=sys.stderr)
        return 2
    import hipsim
    osim.Logger.setLevelString("error")
    ours = hipsim.single_leg_stance(passive_joint_moments=False)
    with_passive = hipsim.single_leg_stance()
    q = dict(zip(ours.coordinate_names, ours.q[0]))
    print(f"{'model':28s} {'solver':34s} {'HCF (BW)':>8s}  largest muscle forces (N)")
    for label, r in (("gait2392 (hipsim default)", ours), ("gait2392 (hipsim default)", with_passive)):
        solver = "hipsim SO" + (" + passive joint moments" if r is with_passive else "")
        print(f"{label:28s} {solver:34s} {r.hip_contact_force_bw['r'][0]:8.2f}")
    for name in MODELS:
        path = args.reference / f"{name}.osim"
        if not path.is_file():
            print(f"{name}: {path} is absent", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            hcf, top = opensim_stance_hcf(osim, path, q, Path(tmp))
        print(f"{name:28s} {'OpenSim 4.6 SO + JointReaction':34s} {hcf:8.2f}  "
              + ", ".join(f"{n} {f:.0f}" for n, f in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
