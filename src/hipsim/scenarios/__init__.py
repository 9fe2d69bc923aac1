"""Scenario files: what changes (a bag, a wallet, a weakness), against which baseline."""
from hipsim.scenarios.runner import ScenarioResult, run_scenario, shipped_scenarios
from hipsim.scenarios.schema import GROUPS, MODIFIER_KEYS, SUBJECT_KEYS, TASK_KEYS, ScenarioSpec, read_scenario

__all__ = ["ScenarioResult", "run_scenario", "shipped_scenarios", "ScenarioSpec", "read_scenario", "GROUPS",
           "MODIFIER_KEYS", "SUBJECT_KEYS", "TASK_KEYS"]
