"""Studies: one scenario run many times over a design (grid, Monte Carlo, Latin hypercube, Saltelli),
in batched chunks on Dask, resumable, with a tidy Parquet table and Sobol indices.

``hipsim study FILE.toml`` runs one; :func:`read_study` loads its table. The names below are
imported on first use, so the command line starts quickly.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "read_study": ("hipsim.studies.engine", "read_results"),   # hipsim.read_study: a study's results table
    "run_study": ("hipsim.studies.engine", "run_study"),
    "dry_run": ("hipsim.studies.engine", "dry_run"),
    "read_study_file": ("hipsim.studies.schema", "read_study"),  # a study *file*, validated
    "design_matrix": ("hipsim.studies.schema", "design_matrix"),
    "StudySpec": ("hipsim.studies.schema", "StudySpec"),
}

__all__ = ["StudySpec", "design_matrix", "dry_run", "read_study", "read_study_file", "run_study"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hipsim.studies' has no attribute {name!r}")


if TYPE_CHECKING:
    from hipsim.studies.engine import dry_run, run_study
    from hipsim.studies.engine import read_results as read_study
    from hipsim.studies.schema import StudySpec, design_matrix
    from hipsim.studies.schema import read_study as read_study_file
