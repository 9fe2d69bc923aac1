"""The shipped modern models (Rajagopal et al. 2016; with Lai et al. 2017 and Uhlrich et al. 2022) in
hipsim's own tasks: names, conventions read from the model, locks honoured."""
from __future__ import annotations

import numpy as np
import pytest

import hipsim
from hipsim.anatomy import FIBRE_GROUPS

MODERN = ("rajagopal2016", "lai_uhlrich2023")


@pytest.fixture(scope="module", params=MODERN)
def modern(request):
    return hipsim.load_model(request.param)


def test_every_fibre_group_of_the_analysis_is_named_in_the_modern_models(modern):
    """The analysis and the body chart follow gluteus minimus and medius parts and TFL by their
    descriptive names; the Rajagopal muscles (glmin1-3, glmed1-3, tfl) carry them, with the
    OpenSim names as aliases."""
    for g in FIBRE_GROUPS:
        for side in "rl":
            i = modern.muscle_index(f"{g}_{side}")
            assert modern.muscle_aliases[i].endswith(f"_{side}")
    assert modern.muscle_index("glmin1_r") == modern.muscle_index("gluteus_minimus_anterior_r")
    assert modern.n_muscles == 80 and modern.millard_muscles.size == 80


def test_knee_sign_is_read_from_the_kinematics(modern):
    """gait2392's knee angle is negative in flexion, Rajagopal's positive: a task asking for a
    flexed knee must get one in either (its range says which way is flexion)."""
    gait2392 = hipsim.load_model("gait2392")
    assert gait2392.knee_flexion_sign("r") == -1.0 and modern.knee_flexion_sign("l") == 1.0
    stance = hipsim.single_leg_stance(modern, swing_knee_flexion_deg=60.0)
    k = modern.coordinate_index("knee_angle_l")
    lo, hi = modern.compiled.coord_range[k]
    assert lo <= stance.q[0, k] <= hi and np.degrees(stance.q[0, k]) == pytest.approx(60.0)


def test_a_locked_subtalar_joint_stays_locked_in_stance(modern):
    """Rajagopal et al. (2016) lock the subtalar and mtp joints; balancing over the foot must not
    move them (OpenSim would not), so the sole rolls with the leg instead."""
    stance = hipsim.single_leg_stance(modern)
    for c in ("subtalar_angle_r", "mtp_angle_r"):
        k = modern.coordinate_index(c)
        assert modern.compiled.coord_locked[k]
        assert stance.q[0, k] == modern.default_q[k]
    assert stance.feasibility.beyond_muscles is False


@pytest.mark.slow
def test_the_keypoint_walk_plants_a_full_body_models_feet(modern):
    """The keypoint walk on a model that locks subtalar and mtp (Rajagopal et al. 2016): the locked
    joints stay at their values, the knee flexes the model's way, and in single support the centre
    of pressure stays under the stance foot (calcn frame: from the heel to the toe pad forward,
    within 3 cm of the foot's long axis sideways). Regression: demanding a level, flexible foot of
    a rigid one put the centre of pressure 2-7 cm behind the heel and left ankle reserves of 60 N m."""
    r = hipsim.gait(modern)
    for c in ("subtalar_angle_r", "mtp_angle_r", "subtalar_angle_l", "mtp_angle_l"):
        k = modern.coordinate_index(c)
        assert np.all(r.q[:, k] == modern.default_q[k])
    flex = modern.knee_flexion_sign("r") * np.degrees(r.q[:, modern.coordinate_index("knee_angle_r")])
    assert 40.0 < flex.max() < 80.0 and flex.min() > -1.0  # Winter (2009): swing peak about 65 degrees
    ng = hipsim.motion.normative_gait(model=modern)
    q0 = modern.pose(None)
    R, o, _, _ = modern.body_poses(q0)
    c, t = modern.body_names.index("calcn_r"), modern.body_names.index("toes_r")
    pad = R[0, c].T @ (o[0, t] + R[0, t] @ modern.compiled.body_com[t] - o[0, c])
    single = ng.grf["r"].stance & ~ng.grf["l"].stance
    cop = ng.grf["r"].cop_calcn_m[single]
    assert cop[:, 0].min() > 0.0 and cop[:, 0].max() < pad[0] + 0.01
    assert np.abs(cop[:, 2]).max() < 0.03
    assert not r.feasibility.beyond_muscles


@pytest.mark.slow
def test_a_modern_model_walks_the_measured_cycle_within_its_muscles():
    """The measured walk on the Lai-Uhlrich model: every coordinate of the full-body model driven
    (arms held), the knee flexing the right way (stance knee flexion in loading response between
    5 and 30 degrees: Winter 2009 gives 21.7 at 14 % of the cycle), and no reserve needed."""
    m = hipsim.load_model("lai_uhlrich2023")
    r = hipsim.gait(m, cycle="measured")
    knee = np.degrees(r.q[:, m.coordinate_index("knee_angle_r")])
    assert 5.0 < knee[5:25].max() < 30.0
    assert not r.feasibility.beyond_muscles


@pytest.mark.parametrize("name,osim", [("rajagopal2016", "Rajagopal2016.osim"),
                                       ("lai_uhlrich2023", "RajagopalLaiUhlrich2023.osim")])
def test_the_shipped_files_are_the_published_models(reference_dir, name, osim):
    """models/<name>.toml (written by tools/build_modern_models.py) holds the published model:
    the same lengths, moment arms and body poses as reading the .osim, at 50 random poses."""
    shipped, published = hipsim.load_model(name), hipsim.load_model(reference_dir / osim)
    assert shipped.muscle_aliases == published.muscle_aliases
    q = np.tile(shipped.default_q, (50, 1)) + np.random.default_rng(3).normal(0.0, 0.2, (50, shipped.n_coordinates))
    for a, b in zip(shipped.lengths_and_moment_arms(q), published.lengths_and_moment_arms(q), strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(shipped.body_poses(q)[1], published.body_poses(q)[1])
    assert "Rajagopal" in shipped.spec.credits


@pytest.mark.slow
def test_the_cli_runs_a_scenario_with_another_model(tmp_path):
    """`hipsim run SCENARIO --model NAME` runs the scenario with that model (summary.json says so);
    an unknown model exits 2 with one sentence and no traceback."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    script = Path(sys.executable).with_name("hipsim")  # the installed console script
    run = [str(script), "run", "trunk_lean", "--no-plots", "--quiet", "--out", str(tmp_path)]
    done = subprocess.run(run + ["--model", "lai_uhlrich2023"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "trunk_lean" / "summary.json").read_text())["model"] == "lai_uhlrich2023"
    bad = subprocess.run(run + ["--model", "nosuch"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nosuch" in bad.stderr
