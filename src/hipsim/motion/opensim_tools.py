"""Run OpenSim's AnalyzeTool on the files hipsim exports (optional: needs ``pip install opensim``).

hipsim never needs OpenSim to run; these helpers are for checking its results in OpenSim, as the
cross-check tests and ``tools/opensim_stance_hcf.py`` do. The OpenSim module is passed in, so
importing this module does not import OpenSim.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

__all__ = ["joint_reaction", "run_analyze_tool"]


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
