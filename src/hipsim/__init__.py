"""hipsim: the muscles that hold the pelvis level.

Data flows one way through the package:

    model (description -> compiled arrays)        hipsim.model
    -> posture / motion                           hipsim.motion
    -> joint moments (inverse dynamics)           hipsim.dynamics
    -> muscle forces (static optimisation)        hipsim.muscles, hipsim.optimize
    -> tasks (stance, gait, standing, sitting,    hipsim.tasks
       rehabilitation exercises)
    -> fibre-load analysis                        hipsim.analysis
    -> scenarios, report, plots, CLI              hipsim.scenarios, hipsim.report, hipsim.cli
    -> studies (designs, Dask, Parquet)           hipsim.studies

hipsim computes mechanical loads. It does not diagnose anything.

The public names below are imported on first use, so ``import hipsim`` stays quick.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "InputError": "hipsim.errors",
    "Model": "hipsim.model", "load_model": "hipsim.model",
    "Subject": "hipsim.model.scaling",
    "static_optimization": "hipsim.optimize",
    "inverse_dynamics": "hipsim.dynamics.inverse", "joint_reaction": "hipsim.dynamics.inverse",
    "ExternalLoad": "hipsim.dynamics.inverse", "PointMass": "hipsim.dynamics.inverse",
    "Load": "hipsim.tasks", "TaskResult": "hipsim.tasks", "gait": "hipsim.tasks",
    "gait_from_opensim": "hipsim.tasks", "lever_diagram": "hipsim.tasks", "single_leg_stance": "hipsim.tasks",
    "standing": "hipsim.tasks.posture", "sitting": "hipsim.tasks.posture",
    "exercise": "hipsim.tasks.exercise", "EXERCISES": "hipsim.tasks.exercise",
    "compare_exercises": "hipsim.analysis.exercises",
    "run_scenario": "hipsim.scenarios",
    "read_study": "hipsim.studies",
}
_SUBMODULES = {"model", "motion", "dynamics", "muscles", "optimize", "tasks", "analysis", "scenarios", "report",
               "errors", "cli", "studies"}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"hipsim.{name}")
    raise AttributeError(f"module 'hipsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)


if TYPE_CHECKING:  # for type checkers and IDEs
    from hipsim.dynamics.inverse import ExternalLoad, PointMass, inverse_dynamics, joint_reaction
    from hipsim.errors import InputError
    from hipsim.model import Model, load_model
    from hipsim.analysis.exercises import compare_exercises
    from hipsim.model.scaling import Subject
    from hipsim.optimize import static_optimization
    from hipsim.scenarios import run_scenario
    from hipsim.studies import read_study
    from hipsim.tasks import Load, TaskResult, gait, gait_from_opensim, lever_diagram, single_leg_stance
    from hipsim.tasks.exercise import EXERCISES, exercise
    from hipsim.tasks.posture import sitting, standing
