"""hipsim: the muscles that hold the pelvis level.

Data flows one way through the package:

    model (description -> compiled arrays)        hipsim.model
    -> posture / motion                           hipsim.motion
    -> joint moments (inverse dynamics)           hipsim.dynamics
    -> muscle forces (static optimisation)        hipsim.muscles, hipsim.optimize
    -> fibre-load analysis                        hipsim.analysis
    -> report, plots, CLI                         hipsim.report, hipsim.cli

hipsim computes mechanical loads. It does not diagnose anything.
"""
from hipsim.dynamics.inverse import ExternalLoad, PointMass, inverse_dynamics, joint_reaction
from hipsim.errors import InputError
from hipsim.model import Model, load_model
from hipsim.model.scaling import Subject
from hipsim.optimize import static_optimization
from hipsim.tasks import Load, TaskResult, gait, gait_from_opensim, lever_diagram, single_leg_stance

__version__ = "0.1.0"

__all__ = ["InputError", "Model", "load_model", "Subject", "static_optimization", "inverse_dynamics",
           "joint_reaction", "ExternalLoad", "PointMass", "Load", "TaskResult", "single_leg_stance", "gait",
           "gait_from_opensim", "lever_diagram", "__version__"]
