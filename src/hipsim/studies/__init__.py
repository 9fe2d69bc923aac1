"""Studies: one scenario run many times over a design (grid, Monte Carlo, Latin hypercube, Saltelli),
in batched chunks on Dask, resumable, with a tidy Parquet table and Sobol indices.

``hipsim study FILE.toml`` runs one; :func:`read_study` loads its table.
"""
from hipsim.studies.engine import dry_run, read_results, run_study
from hipsim.studies.schema import StudySpec, design_matrix
from hipsim.studies.schema import read_study as read_study_file

#: :func:`hipsim.read_study`: a study's results as a pandas table.
read_study = read_results

__all__ = ["read_study", "read_study_file", "run_study", "dry_run", "design_matrix", "StudySpec"]
