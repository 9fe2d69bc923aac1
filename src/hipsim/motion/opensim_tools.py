"""Run OpenSim's AnalyzeTool on the files hipsim exports (optional: needs ``pip install opensim``).

hipsim never needs OpenSim to run; these helpers are for checking its results in OpenSim, as the
cross-check tests and ``tools/opensim_stance_hcf.py`` do. The OpenSim module is passed in, so
importing this module does not import OpenSim.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["OpenSimSolution", "joint_reaction", "run_analyze_tool", "static_optimization_analysis",
           "static_optimization_reaction", "static_pose_reaction"]


def joint_reaction(osim: Any, forces_file: str | Path, joint: str = "hip_r", on_body: str = "child",
                   in_frame: str = "ground", name: str = "reaction") -> Any:
    """An OpenSim JointReaction analysis of ``joint`` that takes every actuator's force from
    ``forces_file`` (its documented use with StaticOptimization results, or hipsim's
    ``joint_reaction_forces.sto``). Its output columns are ``<joint>_on_<body>_in_<frame>_f{x,y,z}``."""
    reaction = osim.JointReaction()
    reaction.setName(name)
    reaction.setForcesFileName(str(forces_file))
    for setter, value in ((reaction.setJointNames, joint), (reaction.setOnBody, on_body),
                          (reaction.setInFrame, in_frame)):
        arr = osim.ArrayStr()
        arr.append(value)
        setter(arr)
    return reaction


def run_analyze_tool(osim: Any, name: str, model_file: str | Path, coordinates_file: str | Path,
                     external_loads_xml: str | Path, start: float, end: float, results_dir: str | Path,
                     analyses: Sequence[Any], force_set_files: Sequence[str | Path] = ()) -> Path:
    """Run OpenSim's AnalyzeTool with ``analyses`` on a coordinates file (no filtering) and external
    loads, appending ``force_set_files`` (such as hipsim's ``coordinate_actuators.xml``) to the
    model's forces. The tool runs from a setup file, as the GUI runs it, so that it turns the
    coordinates into states. Outputs are named ``<name>_<analysis name>_...`` in ``results_dir``;
    returns that folder."""
    results_dir = Path(results_dir)
    tool = osim.AnalyzeTool()
    tool.setName(name)
    tool.setModelFilename(str(model_file))
    if force_set_files:
        files = osim.ArrayStr()
        for f in force_set_files:
            files.append(str(f))
        tool.setForceSetFiles(files)
        tool.setReplaceForceSet(False)
    tool.setCoordinatesFileName(str(coordinates_file))
    tool.setExternalLoadsFileName(str(external_loads_xml))
    tool.setLowpassCutoffFrequency(-1.0)
    tool.setInitialTime(float(start))
    tool.setFinalTime(float(end))
    tool.setResultsDir(str(results_dir))
    for analysis in analyses:
        tool.getAnalysisSet().cloneAndAppend(analysis)
    setup = results_dir / f"{name}_setup.xml"
    tool.printToXML(str(setup))
    osim.AnalyzeTool(str(setup)).run()
    return results_dir


def static_optimization_analysis(osim: Any, start: float, end: float, exponent: float = 2.0,
                                 convergence: float = 1e-10, max_iterations: int = 5000) -> Any:
    """An OpenSim StaticOptimization analysis with muscle physiology on (OpenSim's default), the
    model's own force set and activation ``exponent``. ``convergence`` and ``max_iterations`` are
    tighter than OpenSim's defaults (1e-4, 100) so that the optimiser stops at the optimum, not
    near it. Its forces file is ``<tool name>_so_force.sto``."""
    so = osim.StaticOptimization()
    so.setName("so")
    so.setUseModelForceSet(True)
    so.setActivationExponent(float(exponent))
    so.setUseMusclePhysiology(True)
    so.setConvergenceCriterion(float(convergence))
    so.setMaxIterations(int(max_iterations))
    so.setStartTime(float(start))
    so.setEndTime(float(end))
    return so


@dataclass(frozen=True)
class OpenSimSolution:
    """OpenSim's StaticOptimization and JointReaction over a motion: ``time`` (n,), ``hip_force_n``
    (n, 3) the hip's force on the femur in ground, ``weight_n`` the model's weight, ``forces`` and
    ``activations`` per actuator name (muscles and any added ``<coordinate>_reserve``), arrays (n,)."""

    time: np.ndarray
    hip_force_n: np.ndarray
    weight_n: float
    forces: dict[str, np.ndarray]
    activations: dict[str, np.ndarray]


def static_optimization_reaction(osim: Any, model: Any, coordinates_file: str | Path,
                                 external_loads_xml: str | Path, start: float, end: float, work: str | Path,
                                 side: str = "r", convergence: float = 1e-10, max_iterations: int = 5000,
                                 reserve_prefixes: Sequence[str] = ("pelvis", "lumbar")) -> OpenSimSolution:
    """Solve a motion with OpenSim's own StaticOptimization (:func:`static_optimization_analysis`),
    then its JointReaction for joint ``hip_<side>`` on body ``femur_<side>`` (gait2392 and Rajagopal
    names) from those forces. ``model`` is an ``osim.Model`` and is changed: every unlocked coordinate
    whose name starts with one of ``reserve_prefixes`` and that has no actuator gets a
    CoordinateActuator ``<coordinate>_reserve`` of optimal force 1 (costly: the pelvis residuals, and
    gait2392's lumbar joints beside its back muscles). No filtering. Files go to ``work``. Raises
    ValueError when no coordinate matches the prefixes: OpenSim's optimiser would then fail without
    a word wherever the ground forces do not balance the motion exactly."""
    from hipsim.motion.storage import read_storage

    work = Path(work)
    state = model.initSystem()
    weight = model.getTotalMass(state) * -model.getGravity()[1]
    cs = model.getCoordinateSet()
    fs = model.getForceSet()
    actuated = {osim.CoordinateActuator.safeDownCast(fs.get(i)).get_coordinate()
                for i in range(fs.getSize()) if fs.get(i).getConcreteClassName() == "CoordinateActuator"}
    prefixes = tuple(reserve_prefixes)
    if not any(cs.get(i).getName().startswith(prefixes) for i in range(cs.getSize())):
        raise ValueError(f"the model has no coordinate starting with {', '.join(prefixes)}: name the pelvis "
                         "coordinates in reserve_prefixes")
    for i in range(cs.getSize()):
        n = cs.get(i).getName()
        if n.startswith(prefixes) and n not in actuated and not cs.get(i).get_locked():
            act = osim.CoordinateActuator(n)
            act.setName(f"{n}_reserve")
            act.setOptimalForce(1.0)
            act.setMinControl(-1e6)
            act.setMaxControl(1e6)
            model.addForce(act)
    model.finalizeConnections()
    actuators = {fs.get(i).getName() for i in range(fs.getSize())}
    model.printToXML(str(work / "model.osim"))
    # Two runs: the joint reaction reads the optimisation's forces file.
    analyses = (static_optimization_analysis(osim, start, end, convergence=convergence, max_iterations=max_iterations),
                joint_reaction(osim, work / "motion_so_force.sto", joint=f"hip_{side}"))
    for analysis in analyses:
        run_analyze_tool(osim, "motion", work / "model.osim", coordinates_file, external_loads_xml, start, end, work,
                         [analysis])
    loads = read_storage(work / "motion_reaction_ReactionLoads.sto")
    force = np.column_stack([loads.column(f"hip_{side}_on_femur_{side}_in_ground_f{a}") for a in "xyz"])
    out = []
    for stem in ("motion_so_force.sto", "motion_so_activation.sto"):
        table = read_storage(work / stem)
        # The forces file also lists the external forces; keep the actuators.
        out.append({n: np.asarray(table.data[:, i]) for i, n in enumerate(table.column_names) if n in actuators})
    return OpenSimSolution(time=np.asarray(loads.time), hip_force_n=force, weight_n=float(weight),
                           forces=out[0], activations=out[1])


#: Rows of the constant coordinates file: OpenSim's spline fit of the coordinates needs six or more.
_POSE_FRAMES = 11


def static_pose_reaction(osim: Any, model: Any, pose: Mapping[str, float], foot: str, work: str | Path,
                         side: str = "r", convergence: float = 1e-10, max_iterations: int = 5000,
                         reserve_prefixes: Sequence[str] = ("pelvis", "lumbar")) -> OpenSimSolution:
    """Hold ``model`` (an ``osim.Model``, not yet initialised) still at ``pose`` (coordinate name ->
    value in the model's units; others 0; locked ones untouched), stand it on ``foot`` (a body) with a
    vertical ground force equal to its weight under its centre of mass, and solve it with
    :func:`static_optimization_reaction` (which adds reserves to ``model`` for the coordinates named
    by ``reserve_prefixes``). A coordinate coupled to another (CoordinateCouplerConstraint) follows
    it. The result has one
    frame, the middle of the held motion (away from the splines' ends). Raises ValueError for a
    ``pose`` key that is not a coordinate of the model."""
    from hipsim.motion.external_loads import write_external_loads
    from hipsim.motion.storage import StorageTable, write_storage

    work = Path(work)
    state = model.initSystem()
    cs = model.getCoordinateSet()
    names = [cs.get(i).getName() for i in range(cs.getSize())]
    unknown = sorted(set(pose) - set(names))
    if unknown:
        raise ValueError(f"pose names coordinates the model does not have: {', '.join(unknown)}")
    for n in names:
        if not cs.get(n).get_locked():
            cs.get(n).setValue(state, float(pose.get(n, 0.0)), False)
    # A coupled coordinate follows its independent one (set here, so that assembling does not move
    # the independent one instead to meet the constraint).
    constraints = model.getConstraintSet()
    for i in range(constraints.getSize()):
        con = osim.CoordinateCouplerConstraint.safeDownCast(constraints.get(i))
        if con is not None and con.getDependentCoordinateName() not in pose:
            ind = cs.get(con.getIndependentCoordinateNames().get(0)).getValue(state)
            scale = float(con.getPropertyByName("scale_factor").toString())
            cs.get(con.getDependentCoordinateName()).setValue(
                state, scale * con.getFunction().calcValue(osim.Vector(1, ind)), False)
    model.assemble(state)
    model.realizePosition(state)
    values = {n: cs.get(n).getValue(state) for n in names}
    com = model.calcMassCenterPosition(state)
    weight = model.getTotalMass(state) * -model.getGravity()[1]
    t = np.linspace(0.0, 1.0, _POSE_FRAMES)
    angular = [cs.get(n).getMotionType() == osim.Coordinate.Rotational for n in names]
    row = [np.degrees(values[n]) if rot else values[n] for n, rot in zip(names, angular, strict=True)]
    write_storage(work / "q.mot", StorageTable(time=t, column_names=tuple(names), data=np.tile(row, (_POSE_FRAMES, 1)),
                                               in_degrees=True, name="pose"))
    ones = np.ones((_POSE_FRAMES, 1))
    write_external_loads(work / "grf.xml", t, [("grf", foot, ones * [0.0, weight, 0.0], ones * [com[0], 0.0, com[2]],
                                                ones * [0.0, 0.0, 0.0])])
    sol = static_optimization_reaction(osim, model, work / "q.mot", work / "grf.xml", 0.2, 0.8, work, side=side,
                                       convergence=convergence, max_iterations=max_iterations,
                                       reserve_prefixes=reserve_prefixes)
    k = len(sol.time) // 2
    return OpenSimSolution(time=sol.time[k:k + 1], hip_force_n=sol.hip_force_n[k:k + 1], weight_n=sol.weight_n,
                           forces={n: v[k:k + 1] for n, v in sol.forces.items()},
                           activations={n: v[k:k + 1] for n, v in sol.activations.items()})
