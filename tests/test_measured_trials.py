"""hipsim's measured-walk pipeline end to end on every trial of Schreiber & Moissenet (2019).

Source: Schreiber C, Moissenet F (2019), Sci Data 6:111 (9 healthy adults, preferred and fast
speed; CC BY 4.0), with the OpenSim inverse kinematics and ExternalLoads of A. Fox
(github.com/aaronsfox/zmp-opensim), read from ../shared/reference/gait (skipped when absent).
The table these runs print is in docs/explanation/shortfalls.md (tools/measured_trials_table.py).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "reference" / "gait" / "schreiber_moissenet2019"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not DATA.is_dir(), reason="../shared/reference/gait is not present")]


@pytest.fixture(scope="module")
def table():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import measured_trials_table
    finally:
        sys.path.pop(0)
    return measured_trials_table


def test_every_trial_runs_and_reports_residuals_against_the_guideline(table):
    """All 18 trials (9 adults x 2 speeds) run on gait2392 scaled to each subject; each
    reports finite pelvis residuals and hip contact forces, and warns exactly when a residual
    exceeds Hicks et al. (2015)'s guideline (5 % of peak ground force; 1 % of centre-of-mass
    height times it)."""
    results = table.run_all(DATA)
    assert len(results) == 18
    assert {(r.subject, r.condition) for r in results} == {(s, c) for s in {r.subject for r in results}
                                                           for c in ("C4", "C5")}
    for r in results:
        values = [r.residual_force_n, r.residual_moment_nm, *r.hip_contact_bw.values()]
        assert all(math.isfinite(v) and v > 0 for v in values), r
        over = r.residual_force_n > r.residual_force_limit_n or r.residual_moment_nm > r.residual_moment_limit_nm
        assert r.warned == over, r
    assert "| 2014001 | C4 |" in table.markdown(results)
