"""Tasks: a posture held or a motion performed, solved from joint moments to hip contact force."""
from hipsim.tasks.gait import gait, gait_from_opensim
from hipsim.tasks.result import TaskResult, solve_like_opensim, solve_task
from hipsim.tasks.stance import Load, LeverDiagram, lever_diagram, single_leg_stance

__all__ = ["gait", "gait_from_opensim", "TaskResult", "solve_like_opensim", "solve_task", "Load", "LeverDiagram",
           "lever_diagram", "single_leg_stance"]
