"""`hipsim run` writes the demo-standard frontal picture and report.html (summary, pictures,
fibre-group and trigger-point tables, caveat and disclaimer), and its pictures say what they show."""
from __future__ import annotations

import json
import re

import pytest


@pytest.mark.slow
def test_run_writes_report_html_and_the_new_pictures(tmp_path):
    from hipsim.cli import main
    assert main(["run", "bag_opposite_hand", "--out", str(tmp_path), "--quiet"]) == 0
    folder = tmp_path / "bag_opposite_hand"
    for name in ("frontal.png", "change.png", "activation.png", "body_chart.png", "report.html"):
        assert (folder / name).stat().st_size > 1000, name
    html = (folder / "report.html").read_text()
    summary = json.loads((folder / "summary.json").read_text())
    assert "does not diagnose" in html
    assert "impulse per day (N·s)" in html
    for name in ("frontal.png", "change.png", "activation.png", "body_chart.png"):
        assert f"src='{name}'" in html
    # The peak hip contact forces in the page are summary.json's (written independently).
    peaks = re.findall(r"<td>right</td><td>([0-9.]+)</td><td>([0-9.]+)</td>", html)
    assert peaks, "the hip contact table is missing"
    base, scen = map(float, peaks[0])
    assert base == pytest.approx(summary["baseline_hip_contact_force_bw"]["r"]["peak"], abs=0.006)
    assert scen == pytest.approx(summary["hip_contact_force_bw"]["r"]["peak"], abs=0.006)
    assert "Trigger-point load indices" in html


@pytest.mark.slow
def test_pictures_name_their_metric_unit_and_moment():
    import matplotlib
    matplotlib.use("Agg")
    import hipsim
    from hipsim.analysis.metrics import FIBRE_GROUPS
    from hipsim.report.plots import plot_activation, plot_frontal
    from hipsim.scenarios import run_scenario
    r = run_scenario("trendelenburg_stance")
    from hipsim.report.plots import plot_change_bars
    for metric, unit in (("impulse_per_day_ns", "N·s"), ("peak_force_n", "(N)"), ("compression_kpa_s", "kPa·s")):
        fig = plot_change_bars(r.metrics, metric, title="t")
        labels = fig.axes[0].get_ylabel() + fig.axes[0].get_title()
        assert unit in labels and " ns" not in labels and "force n" not in labels, labels
    # Activation: every tracked group, and a legend whose entries are the groups plus the two styles.
    fig = plot_activation(r.baseline, r.scenario)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == len(FIBRE_GROUPS)
    walk = hipsim.gait(n_frames=21)
    fig = plot_activation(walk, walk)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(legend) == len(FIBRE_GROUPS) + 2
    # A gait picture names its moment of the cycle.
    fig = plot_frontal(walk, 10, title="walk")
    texts = " ".join(t.get_text() for t in fig.texts)
    assert f"{walk.percent[10]:.0f} % of the gait cycle" in texts
