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
from hipsim.errors import InputError
from hipsim.model import Model, load_model

__version__ = "0.1.0"

__all__ = ["InputError", "Model", "load_model", "__version__"]
