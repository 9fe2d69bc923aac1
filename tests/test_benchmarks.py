"""The benchmark scripts keep their contract (docs: Validation and speed): each runs as a script and with
``--json`` prints one JSON object of its figures and nothing else on stdout. Small sizes, so
this checks the contract, not the speed (speed is never a timed test)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

# Each runs a benchmark script in a fresh process (imports, numba cache loads): seconds apiece.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("script, args, keys", [
    ("bench_gait.py", ["--repeats", "1"], {"gait_cycle_ms", "new_subject_cycle_ms", "gait_scenario_s"}),
    ("bench_solver.py", ["--frames", "200", "--ref-frames", "20", "--slsqp-frames", "2", "--no-opensim"],
     {"hipsim_frames_per_s", "speedup_vs_best_qp"}),
    ("bench_moment_arms.py", ["--poses", "200", "--batch", "100", "--opensim-poses", "2"],
     {"hipsim_muscle_poses_per_s"}),
    ("bench_demo.py", ["--rounds", "1"], {"update_ms", "meets_target"}),
    ("bench_solver_stress.py", ["--problems", "600"],
     {"problems", "non_converged", "worst_bound_violation", "worst_kkt_residual", "worst_activation_diff_vs_quadprog"}),
])
def test_json_output_is_one_object(script, args, keys):
    run = subprocess.run([sys.executable, str(BENCH / script), "--json", *args], capture_output=True, text=True,
                         timeout=600, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout)  # fails on any other line (a library's log) on stdout
    assert isinstance(figures, dict) and keys <= set(figures), sorted(figures)
