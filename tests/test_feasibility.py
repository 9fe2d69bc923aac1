"""Whether the muscles can perform a task: every TaskResult says so, the scenario runner's warnings
name their run, and the CLI and summary.json say "beyond the muscles" next to the hip contact force."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hipsim
from hipsim.tasks.result import (FULL_ACTIVATION, RESERVE_LIMIT_FRACTION, RESERVE_LIMIT_NM, RESERVE_SLACK_NM,
                                 assess_feasibility)

ABDUCTORS_R = [f"{m}_{p}_r" for m in ("gluteus_medius", "gluteus_minimus") for p in ("anterior", "middle", "posterior")]


def _assess(reserve: float, moment: float, activation: float = 0.5):
    """One frame, one coordinate, one muscle."""
    return assess_feasibility(np.array([[activation]]), np.array([[reserve]]), ("hip_adduction_r",),
                              np.array([[moment]]), ("gluteus_medius_middle_r",), np.array([0.0]))


@pytest.mark.parametrize("reserve, moment, beyond", [
    (RESERVE_LIMIT_NM * 1.25, 200.0, True),          # above the absolute limit, however large the moment
    (-RESERVE_LIMIT_NM * 1.25, -200.0, True),        # either sign
    (1.5, 1.5 / (2 * RESERVE_LIMIT_FRACTION), True),  # twice the allowed share of a small moment
    (1.5, 1.5 / (0.5 * RESERVE_LIMIT_FRACTION), False),  # half the allowed share, below the absolute limit
    (0.9 * RESERVE_SLACK_NM, 0.0, False),            # the guard near zero moment: solver slack is not a shortfall
    (0.0, 50.0, False),
])
def test_reserve_rule(reserve, moment, beyond):
    f = _assess(reserve, moment)
    assert f.beyond_muscles is beyond
    assert f.feasible is not beyond
    assert ("hip_adduction_r" in f.reserve_joints) is beyond
    assert f.summary().startswith("beyond the muscles" if beyond else "within the muscles")


def test_saturated_muscles_are_recorded_whatever_the_verdict():
    f = _assess(0.1, 40.0, activation=FULL_ACTIVATION)
    assert f.saturated_muscles == ("gluteus_medius_middle_r",)
    assert not f.beyond_muscles
    assert "gluteus_medius_middle_r" in f.summary()
    assert _assess(0.1, 40.0, activation=FULL_ACTIVATION - 0.01).saturated_muscles == ()


def test_weak_abductors_put_single_leg_stance_beyond_the_muscles():
    """The right abductors at 10 % strength cannot hold the pelvis on the right leg: the result says
    so, names the hip's abduction axis with its reserve and the abductors at full activation, and
    its warnings carry the verdict. The same stance at full strength is within the muscles."""
    weak = hipsim.single_leg_stance(side="r", strength={m: 0.1 for m in ABDUCTORS_R})
    f = weak.feasibility
    assert f.beyond_muscles and weak.beyond_muscles
    j = weak.reserve_coordinates.index("hip_adduction_r")
    assert f.reserve_joints["hip_adduction_r"] == pytest.approx(abs(weak.reserves[0, j]))
    assert f.reserve_joints["hip_adduction_r"] > RESERVE_LIMIT_NM
    assert {"gluteus_medius_anterior_r", "gluteus_medius_middle_r"} <= set(f.saturated_muscles)
    assert any(w.startswith("beyond the muscles") and "hip_adduction_r" in w for w in weak.warnings)
    d = f.to_dict()
    assert d["feasible"] is False and "hip_adduction_r" in d["beyond_the_muscles"]

    strong = hipsim.single_leg_stance(side="r")
    assert strong.feasibility.feasible
    assert strong.feasibility.reserve_joints == {}
    assert not any("beyond the muscles" in w for w in strong.warnings)


def test_frontal_plot_labels_a_hip_contact_force_beyond_the_muscles():
    """The picture that shows the hip contact force says when the muscles cannot produce it."""
    import matplotlib
    matplotlib.use("Agg")
    from hipsim.report.plots import plot_frontal

    def texts(result):
        fig = plot_frontal(result, 0)
        return [t.get_text() for ax in fig.axes for t in ax.texts if "hip contact" in t.get_text()]

    weak = texts(hipsim.single_leg_stance(side="r", strength={m: 0.1 for m in ABDUCTORS_R}))
    assert weak and "beyond the muscles" in weak[0] and "hip_adduction_r" in weak[0]
    strong = texts(hipsim.single_leg_stance(side="r"))
    assert strong and "beyond the muscles" not in strong[0]


WEAK_STANCE = """
name = "weak_stance"
[task]
type = "single_leg_stance"
side = "r"
[[modifiers]]
type = "weakness"
muscles = ["gluteus_medius", "gluteus_minimus"]
side = "r"
strength = 0.1
[baseline]
"""


@pytest.mark.slow
def test_scenario_warnings_name_the_run_they_come_from(tmp_path):
    """A scenario whose task is beyond the muscles while its baseline is not: the runner's warning
    says "scenario:", and every warning the tasks raised names its run."""
    path = tmp_path / "weak_stance.toml"
    path.write_text(WEAK_STANCE)
    r = hipsim.run_scenario(path)
    assert r.scenario.beyond_muscles and not r.baseline.beyond_muscles
    assert any(w.startswith("scenario: beyond the muscles") for w in r.warnings), r.warnings
    task_warnings = set(r.baseline.warnings) | set(r.scenario.warnings)
    for w in r.warnings:
        text = w.split(": ", 1)[1] if ": " in w else w
        if text in task_warnings:
            assert w.split(": ", 1)[0] in ("baseline", "scenario", "baseline and scenario"), w
    from hipsim.report.summary import summary
    s = summary(r)
    assert s["feasible"] is False
    assert s["baseline_feasibility"]["feasible"] is True
    assert "hip_adduction_r" in s["feasibility"]["beyond_the_muscles"]


BUCKET_WALK = """
name = "bucket_walk"
model = "gait2392"
title = "Walking at 1.5 m/s with a 15 kg bucket in the left hand, right gluteus medius at 60 %"
[task]
type = "gait"
speed_m_s = 1.5
[[modifiers]]
type = "carry"
mass_kg = 15
side = "l"
place = "hand"
[[modifiers]]
type = "weakness"
muscles = ["gluteus_medius"]
side = "r"
strength = 0.6
[baseline]
"""


@pytest.mark.slow
def test_bucket_walk_prints_beyond_the_muscles_with_the_joints(tmp_path):
    """A walk the muscles cannot perform (every right abductor at full activation, reserves at the
    right hip and both ankles) is labelled "beyond the muscles" with its joints next to the hip
    contact force in the terminal, and as a flag with the joints in summary.json."""
    path = tmp_path / "bucket.toml"
    path.write_text(BUCKET_WALK)
    script = Path(sys.executable).with_name("hipsim")
    out = subprocess.run([str(script), "run", str(path), "--out", str(tmp_path / "out"), "--no-plots"],
                         capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "400"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    hcf = next(i for i, ln in enumerate(lines) if ln.startswith("hip contact force"))
    assert "beyond the muscles" in lines[hcf]
    scenario_line = next(ln for ln in lines[hcf + 1:hcf + 3] if ln.strip().startswith("scenario:"))
    for joint in ("hip_adduction_r", "ankle_angle_r"):
        assert joint in scenario_line

    s = json.loads((tmp_path / "out" / "bucket_walk" / "summary.json").read_text())
    assert s["feasible"] is False
    feas = s["feasibility"]
    assert feas["feasible"] is False
    beyond = feas["beyond_the_muscles"]
    assert beyond["hip_adduction_r"]["peak_reserve_nm"] > 10 * RESERVE_LIMIT_NM
    assert beyond["ankle_angle_r"]["peak_reserve_nm"] > 10 * RESERVE_LIMIT_NM
    assert {f"gluteus_medius_{p}_r" for p in ("anterior", "middle", "posterior")} <= set(feas["saturated_muscles"])
    assert all(w.split(":")[0] in ("baseline", "scenario", "baseline and scenario")
               for w in s["warnings"] if "beyond the muscles" in w)


@pytest.mark.slow
def test_compare_says_when_a_scenario_is_beyond_the_muscles(tmp_path, capsys):
    """`hipsim compare` prints the hip contact forces of both scenarios, and says which one the
    muscles cannot produce."""
    from hipsim.cli import main
    path = tmp_path / "weak_stance.toml"
    path.write_text(WEAK_STANCE)
    assert main(["compare", str(path), "trendelenburg_stance"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "A (weak_stance): beyond the muscles" in out and "hip_adduction_r" in out
    assert "B (trendelenburg_stance): beyond" not in out
