"""One % change for the compare table, hipsim compare, summary.json, the plots and the body chart,
with a floor: a change below 2 % of the muscle's full scale (F0 for a force) is negligible."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsim.analysis.metrics import (METRIC_COLUMNS, NEGLIGIBLE_FRACTION, change_floor, compare, fibre_metrics,
                                     format_pct_change, pct_change)
from hipsim.analysis.trigger_points import CHART_GROUP_MUSCLES, body_chart_change_pct
from hipsim.errors import InputError
from hipsim.scenarios import run_scenario


@functools.lru_cache(maxsize=None)
def run(name, model=None):
    from hipsim.scenarios.runner import prepare_scenario
    return run_scenario(prepare_scenario(name, model=model) if model else name)


# ----------------------------------------------------------------------------- the function
def test_worked_examples():
    # floor 10: 100 -> 130 is +30 %; 100 -> 95 is negligible; 4 -> 0 is negligible;
    # 2 -> 50 rises from a negligible baseline: new; 0 -> 0 no change
    pct, neg = pct_change([130.0, 95.0, 0.0, 50.0, 0.0], [100.0, 100.0, 4.0, 2.0, 0.0], 10.0)
    assert pct[0] == pytest.approx(30.0) and not neg[0]
    assert list(neg[1:3]) == [True, True] and pct[1] == 0.0 and pct[2] == 0.0
    assert pct[3] == math.inf and not neg[3]
    assert neg[4] and pct[4] == 0.0
    texts = [format_pct_change(p, n) for p, n in zip(pct, neg, strict=True)]
    assert texts == ["+30%", "negl.", "negl.", "new", "negl."]


def test_zero_floor_still_never_gives_nan():
    pct, neg = pct_change([0.0, 1.0], [0.0, 0.0], 0.0)
    assert neg[0] and pct[1] == math.inf and not np.isnan(pct).any()


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_input_is_refused(bad):
    with pytest.raises(InputError):
        pct_change([bad], [1.0], 0.1)
    with pytest.raises(InputError, match="floor"):
        pct_change([1.0], [1.0], -1.0)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e4), st.floats(0, 1e4), st.floats(1e-3, 1e3))
def test_negligible_exactly_when_the_change_is_below_the_floor(s, b, floor):
    pct, neg = pct_change(s, b, floor)
    assert bool(neg) == (abs(s - b) < floor or s == b)
    assert not np.isnan(pct)
    if not neg and b >= floor:
        assert pct == pytest.approx(100.0 * (s - b) / b)


def test_force_floor_is_two_percent_of_f0():
    m = run("trendelenburg_stance").metrics
    f0 = np.maximum(m.max_isometric_force_n, m.max_isometric_force_n_baseline).to_numpy()
    np.testing.assert_allclose(change_floor(m, "peak_force_n"), NEGLIGIBLE_FRACTION * f0)
    assert NEGLIGIBLE_FRACTION == 0.02


def test_every_metric_has_a_floor_and_the_compare_table_a_flag():
    m = run("trendelenburg_stance").metrics
    for col in METRIC_COLUMNS:
        fl = change_floor(m, col)
        assert np.all(np.isfinite(fl)) and np.all(fl > 0), col
        assert m[f"{col}_negligible"].dtype == bool
        assert not m[f"{col}_pct_change"].isna().any()


# -------------------------------------------------------------- regression: one % change
def test_compare_and_body_chart_give_the_same_change_for_the_same_scenario():
    """Regression: the body chart and the compare table computed % change in two ways (a
    table-wide 0.1 % noise floor and a clip to -99 %..+9900 % against a 1e-9 floor); now both are
    pct_change with the 2 %-of-F0 floor."""
    r = run("trendelenburg_stance")
    # the compare table as `hipsim compare` builds it, from fresh metrics of the two runs
    from hipsim.scenarios.runner import _exposure
    ms = fibre_metrics(r.scenario, _exposure(r.spec, r.spec.task_values, r.scenario))
    mb = fibre_metrics(r.baseline, _exposure(r.spec, {**r.spec.task_values, **r.spec.baseline_task_values},
                                             r.baseline))
    table = compare(ms, mb)
    for metric in ("impulse_per_day_ns", "peak_force_n"):
        chart = body_chart_change_pct(r.metrics, metric)
        for group, muscles in CHART_GROUP_MUSCLES.items():
            for side in ("r", "l"):
                sel = table[table.muscle.isin(muscles) & (table.side == side)]
                if len(muscles) == 1:
                    row = sel.iloc[0]
                    expected = None if row[f"{metric}_negligible"] else float(row[f"{metric}_pct_change"])
                else:  # gluteus medius: one zone, the sum of its parts
                    pct, neg = pct_change(sel[metric].sum(), sel[f"{metric}_baseline"].sum(),
                                          change_floor(sel, metric).sum())
                    expected = None if neg else float(pct)
                got = chart[f"{group}_{side}"]
                if expected is None:
                    assert got is None, (metric, group, side, got)
                else:
                    assert got == pytest.approx(expected), (metric, group, side)
    # posterior gluteus minimus, left: 5.5 N -> 4.6 N of a 323 N muscle is negligible in both
    row = table[(table.muscle == "gluteus_minimus_posterior") & (table.side == "l")].iloc[0]
    assert abs(row.peak_force_n - row.peak_force_n_baseline) < 0.02 * 323.0
    assert row.peak_force_n_negligible and body_chart_change_pct(r.metrics, "peak_force_n")[
        "gluteus_minimus_posterior_l"] is None


def test_trendelenburg_stance_four_newtons_to_zero_is_negligible_not_minus_100_percent():
    """Regression: middle gluteus medius of the lifted (left) side carries about 4 N at baseline
    and none with the pelvis dropped; that was reported as -100 %, the largest bar of the run."""
    r = run("trendelenburg_stance", model="gait2392")  # the model in which the case arose
    m = r.metrics
    row = m[(m.muscle == "gluteus_medius_middle") & (m.side == "l")].iloc[0]
    assert 0.0 < row.peak_force_n_baseline < 10.0 and row.peak_force_n < 1.0  # the case described
    assert row.peak_force_n_negligible
    assert row.peak_force_n_pct_change != pytest.approx(-100.0)
    for metric in ("peak_force_n", "impulse_per_day_ns"):
        assert row[f"{metric}_negligible"]

    # the plot: a labelled zero bar, not the largest one
    from hipsim.report.plots import plot_change_bars
    fig = plot_change_bars(m, "peak_force_n")
    bars = [p for p in fig.axes[0].patches if p.get_gid()]
    heights = {(p.get_gid(), round(p.get_x(), 3)): p.get_height() for p in bars}
    negl = [p for p in bars if p.get_gid() == "l:negl."]
    assert negl and all(p.get_height() == 0.0 for p in negl)
    largest = max(bars, key=lambda p: abs(p.get_height()))
    assert largest.get_gid() != "l:negl." and abs(largest.get_height()) < 100.0, heights
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "negl." in texts

    # summary.json: null and listed as negligible
    from hipsim.report.summary import summary
    entry = summary(r)["muscles"]["gluteus_medius_middle_l"]
    assert entry["pct_change_vs_baseline"]["peak_force_n"] is None
    assert "peak_force_n" in entry["negligible_vs_baseline"]


def test_hipsim_compare_prints_a_negligible_change_as_such(capsys, monkeypatch):
    """Regression: `hipsim compare` printed 3.7 N against 0 N as -100 %; it uses pct_change too."""
    from hipsim.cli import main
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["compare", "trendelenburg_stance", "bag_opposite_hand", "--metric", "peak_force_n",
                 "--model", "gait2392"]) == 0
    out = capsys.readouterr().out
    rows = [ln.split() for ln in out.splitlines() if ln.strip().startswith("gluteus medius middle")]
    left = next(r for r in rows if r[3] == "l")
    assert float(left[4]) == 0.0 and 0.0 < float(left[5]) < 10.0  # A 0 N, B a few newtons
    assert left[-1] == "negl."
    assert "-100%" not in out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=1, max_size=12), min_size=1, max_size=6).filter(
    lambda rows: len({len(r) for r in rows}) == 1))
def test_longest_cyclic_run_counts_like_walking_round_the_cycle(rows):
    """hipsim.analysis.metrics._longest_runs (vectorised over muscles and samples) against walking
    twice round each cycle and counting: a run may wrap from the last frame to the first, and
    never exceeds the cycle."""
    from hipsim.analysis.metrics import _longest_runs
    got = _longest_runs(np.array(rows, dtype=bool))
    for r, g in zip(rows, got, strict=True):
        best = run = 0
        for a in r + r:
            run = run + 1 if a else 0
            best = max(best, run)
        assert g == min(best, len(r))
