"""Rehabilitation exercises: the mechanics of each held pose, its inputs, and the comparison.

Each exercise gets a property of its mechanics that the code does not compute the same way: the
supports balance the weight and the band (Newton's laws for the whole body, from the model's body
masses), more band force loads the muscles that resist it, the side-lying leg's load scales with the
leg's weight, and so on.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import hipsim
from hipsim.errors import InputError
from hipsim.model import Model
from hipsim.tasks.exercise import EXERCISES, GREEN_BAND_100_N

G = 9.80665
GLUTEAL_ABDUCTORS = [f"gluteus_{m}_{p}" for m in ("medius", "minimus") for p in ("anterior", "middle", "posterior")]


@pytest.fixture(scope="module")
def model():
    return hipsim.load_model("gait2392")


@pytest.fixture(scope="module")
def results(model):
    return {name: hipsim.exercise(name, model) for name in EXERCISES}


def _group_force(result, names, side=None):
    side = side or result.parameters["side"]
    m = result.model
    return float(sum(result.muscle_forces[0, m.muscle_index(f"{n}_{side}")] for n in names))


def _total_weight_n(result):
    return (result.model.mass + sum(p.mass_kg for p in result.point_masses)) * G


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_exercise_is_in_whole_body_equilibrium(results, name):
    """The supports, solved for each exercise, and the band balance gravity on the whole body: the
    external forces sum to the weight (body masses of the model plus ankle weights) and the pelvis's
    six residual generalised forces vanish (Newton-Euler for the floating base)."""
    r = results[name]
    total = np.sum([e.force[0] for e in r.external_loads], axis=0)
    w = _total_weight_n(r)
    np.testing.assert_allclose(total, [0.0, w, 0.0], atol=1e-6 * w)
    assert np.abs(r.generalized_forces[0, :6]).max() < 1e-6 * w
    assert r.solver_converged.all()
    assert r.task == "exercise" and r.parameters["exercise"] == name


@pytest.mark.parametrize("name", [n for n, e in EXERCISES.items() if e.band])
def test_more_band_force_loads_the_muscles_that_resist_it_more(model, name):
    """Monotonic in the band's force: the muscles whose moment resists the band on the moving hip (the
    abductors for abduction-extension, the internal rotators for internal rotation) pull harder as
    the band pulls harder, and the foot's horizontal reaction balances the band."""
    coord, sign = {"resisted_abduction_extension": ("hip_adduction", -1.0),
                   "standing_internal_rotation": ("hip_rotation", 1.0)}[name]
    totals = []
    for f in (0.0, 15.0, 30.0, 45.0):
        r = hipsim.exercise(name, model, resistance_n=f)
        arms = model.moment_arms(r.q[0])[:, model.coordinate_index(f"{coord}_r")]
        resisting = sign * arms > 0.0
        totals.append(float(r.muscle_forces[0, resisting].sum()))
        band = [e for e in r.external_loads if e.label == "band"][0]
        foot = [e for e in r.external_loads if e.body == "calcn_l"][0]
        assert np.linalg.norm(band.force[0]) == pytest.approx(f, abs=1e-9)
        np.testing.assert_allclose(foot.force[0, [0, 2]], -band.force[0, [0, 2]], atol=1e-9)
    assert all(b > a for a, b in zip(totals, totals[1:], strict=False)), totals


def test_band_default_is_a_green_theraband_and_only_band_exercises_take_a_force(model):
    r = hipsim.exercise("standing_internal_rotation", model)
    assert r.parameters["resistance_n"] == pytest.approx(4.6 * 0.45359237 * G)
    assert GREEN_BAND_100_N == pytest.approx(20.46, abs=0.01)
    with pytest.raises(InputError, match="resistance_n") as exc:
        hipsim.exercise("clamshell", model, resistance_n=10.0)
    assert str(exc.value).count("\n") == 0 and str(exc.value).endswith(".")


def _heavier_leg(model: Model, side: str, factor: float) -> Model:
    leg = {model.body_names[b] for b in model.subtree(f"femur_{side}")}
    bodies = tuple(dataclasses.replace(b, mass=b.mass * factor, inertia=tuple(v * factor for v in b.inertia))
                   if b.name in leg else b for b in model.spec.bodies)
    return Model(dataclasses.replace(model.spec, bodies=bodies))


def test_side_lying_abduction_load_scales_with_the_legs_weight(model):
    """Lying on the side only the top leg's weight loads its hip: its abduction moment equals the leg's
    weight times the horizontal distance of the leg's centre of mass from the hip centre (statics of
    one body, from the model's masses), and a leg 1.5 times as heavy needs 1.5 times the gluteal force
    (squared-activation optimum, passive joint moments off: the solution is linear in the moments)."""
    base = hipsim.exercise("side_lying_abduction", model, passive_joint_moments=False)
    R, o, _, _ = model.body_poses(base.q)
    leg = model.subtree("femur_r")
    mass = model.compiled.body_mass[leg]
    com = (o[0, leg] + np.einsum("bij,bj->bi", R[0, leg], model.compiled.body_com[leg]))
    leg_com = (mass[:, None] * com).sum(0) / mass.sum()
    hip = o[0, model.body_names.index("femur_r")]
    lever = math.hypot(leg_com[0] - hip[0], leg_com[2] - hip[2])
    # The hip flexion, adduction and rotation moments make up gravity's moment about the hip.
    tau = base.generalized_forces[0, [model.coordinate_index(c) for c in ("hip_flexion_r", "hip_adduction_r",
                                                                          "hip_rotation_r")]]
    assert abs(tau[1]) <= mass.sum() * G * lever * (1 + 1e-9)
    assert abs(tau[1]) > 0.9 * mass.sum() * G * lever  # the leg lies in the frontal plane: mostly abduction
    heavy = hipsim.exercise("side_lying_abduction", _heavier_leg(model, "r", 1.5), passive_joint_moments=False)
    f0 = _group_force(base, GLUTEAL_ABDUCTORS)
    f1 = _group_force(heavy, GLUTEAL_ABDUCTORS)
    assert f0 > 50.0
    assert f1 == pytest.approx(1.5 * f0, rel=1e-4)


def test_side_lying_ankle_weight_adds_its_own_weight_times_its_lever(model):
    """An ankle weight adds its weight times its horizontal distance from the hip to the top hip's
    abduction moment; the gluteal force grows with it."""
    taus, forces = [], []
    for kg in (0.0, 1.0, 2.0):
        r = hipsim.exercise("side_lying_abduction", model, ankle_weight_kg=kg)
        taus.append(r.generalized_force("hip_adduction_r")[0])
        forces.append(_group_force(r, GLUTEAL_ABDUCTORS))
        if kg:
            R, o, _, _ = model.body_poses(r.q)
            pm = r.point_masses[0]
            b = model.body_names.index(pm.body)
            at = o[0, b] + R[0, b] @ np.asarray(pm.location)
            hip = o[0, model.body_names.index("femur_r")]
            lever = math.hypot(at[0] - hip[0], at[2] - hip[2])
    step = taus[1] - taus[0]
    assert taus[2] - taus[1] == pytest.approx(step, rel=1e-9)
    assert abs(step) == pytest.approx(1.0 * G * lever, rel=0.02)
    assert forces[0] < forces[1] < forces[2]


def test_side_plank_supports_carry_the_body_weight_and_balance_it(model, results):
    """Two supports, forearm and foot: their vertical forces add up to the body weight and the whole
    body's centre of mass lies above the line joining them (else it would tip); it lies nearer the
    shoulder than the ankle, so the forearm carries more."""
    r = results["side_plank_abduction"]
    forces = {e.label: e for e in r.external_loads}
    arm = forces["floor under forearm r"]
    foot = forces["floor under foot r (outer edge)"]
    assert len(forces) == 2
    assert arm.force[0, 1] + foot.force[0, 1] == pytest.approx(model.mass * G, rel=1e-9)
    assert arm.force[0, 1] > foot.force[0, 1] > 0.0
    R, o, _, _ = model.body_poses(r.q)
    _, com = hipsim.dynamics.inverse.center_of_mass(model, R, o)
    a, b, c = arm.point[0], foot.point[0], com[0]
    line = (b - a) / np.linalg.norm(b - a)
    off = (c - a) - ((c - a) @ line) * line
    assert math.hypot(off[0], off[2]) < 1e-6
    # The lower hip holds the body up: its abductors work
    assert _group_force(r, GLUTEAL_ABDUCTORS) > 500.0


def test_clamshell_heel_carries_part_of_the_top_leg(model, results):
    """The lower foot under the top heel carries part of the top leg's weight, never more than all of it,
    and the top hip's external rotators work (the clam opens by external rotation about the hip-heel axis)."""
    r = results["clamshell"]
    heel = [e for e in r.external_loads if e.label == "lower foot under the top heel"][0]
    leg_weight = model.compiled.body_mass[model.subtree("femur_r")].sum() * G
    assert 0.0 < heel.force[0, 1] < leg_weight
    arms = model.moment_arms(r.q[0])[:, model.coordinate_index("hip_rotation_r")]
    external_rotators = arms < 0.0
    assert r.muscle_forces[0, external_rotators].sum() > 50.0
    assert r.parameters["targeted_joint_angles_deg"]["hip_adduction"] == pytest.approx(-30.0, abs=1e-6)


def test_single_leg_squat_pose_and_centre_of_pressure(model, results):
    """The stance knee stays at 60 degrees of flexion while the body balances; the floor's reaction acts
    5 cm in front of the ankle, between heel and toes; the quadriceps hold the bent knee."""
    r = results["single_leg_squat"]
    assert r.parameters["targeted_joint_angles_deg"]["knee_flexion"] == pytest.approx(60.0, abs=1e-9)
    grf = [e for e in r.external_loads if e.body == "calcn_r"][0]
    _, o, _, _ = model.body_poses(r.q)
    ankle = o[0, model.body_names.index("talus_r")]
    heel, toes = (o[0, model.body_names.index(f"{b}_r")] for b in ("calcn", "toes"))
    assert grf.point[0, 0] - ankle[0] == pytest.approx(0.05, abs=1e-6)
    assert heel[0] < grf.point[0, 0] < toes[0]
    assert _group_force(r, ["vastus_lateralis", "vastus_medialis", "vastus_intermedius"]) > 200.0


def test_higher_step_bends_the_stance_knee_more(model):
    """Lateral step-up: the hanging foot reaches the floor, the stance foot stands on the step; a higher
    step needs more knee flexion and a larger knee extension moment (the quadriceps' force itself
    saturates in gait2392 from about 15 cm: vastus lateralis reaches full activation)."""
    knees, moments = [], []
    for h in (0.10, 0.15, 0.20):
        r = hipsim.exercise("lateral_step_up", model, step_height_m=h)
        R, o, _, _ = model.body_poses(r.q)
        step = [e for e in r.external_loads if e.body == "calcn_r"][0]
        assert step.point[0, 1] == pytest.approx(h)
        assert o[0, model.body_names.index("calcn_l"), 1] < o[0, model.body_names.index("calcn_r"), 1] - 0.5 * h
        knees.append(r.parameters["targeted_joint_angles_deg"]["knee_flexion"])
        # extension moment: opposite in sign to the knee's flexion direction
        moments.append(-model.knee_flexion_sign("r") * r.generalized_force("knee_angle_r")[0])
    assert knees[0] < knees[1] < knees[2]
    assert 0.0 < moments[0] < moments[1] < moments[2]


def test_left_exercise_mirrors_the_right(model):
    for name in ("resisted_abduction_extension", "clamshell", "side_plank_abduction"):
        r = hipsim.exercise(name, model, side="r")
        left = hipsim.exercise(name, model, side="l")
        for g in GLUTEAL_ABDUCTORS + ["tensor_fasciae_latae", "piriformis"]:
            assert left.muscle_forces[0, model.muscle_index(f"{g}_l")] == pytest.approx(
                r.muscle_forces[0, model.muscle_index(f"{g}_r")], rel=1e-5, abs=1e-3), (name, g)


@pytest.mark.parametrize("kwargs, key", [
    ({"name": "plank"}, "name"), ({"name": 3}, "name"), ({"name": "clamshell", "side": "x"}, "side"),
    ({"name": "clamshell", "ankle_weight_kg": -1.0}, "ankle_weight_kg"),
    ({"name": "lateral_step_up", "step_height_m": 0.5}, "step_height_m"),
    ({"name": "resisted_abduction_extension", "resistance_n": math.nan}, "resistance_n"),
    ({"name": "clamshell", "model": 3}, "model"),
])
def test_bad_exercise_arguments_are_one_sentence(kwargs, key):
    with pytest.raises(InputError) as exc:
        hipsim.exercise(**kwargs)
    msg = str(exc.value)
    assert key in msg and msg.count("\n") == 0 and msg.endswith("."), msg


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_exercise_runs_on_the_full_body_model(name):
    """The exercises read body names, the knee's sign and locked joints from the model: the full-body
    Lai-Uhlrich model runs each, in equilibrium."""
    m = hipsim.load_model("lai_uhlrich2023")
    r = hipsim.exercise(name, m)
    w = _total_weight_n(r)
    np.testing.assert_allclose(np.sum([e.force[0] for e in r.external_loads], axis=0), [0.0, w, 0.0],
                               atol=1e-6 * w)
    assert np.abs(r.generalized_forces[0, :6]).max() < 1e-6 * w


# --------------------------------------------------------------------------- the comparison

@pytest.fixture(scope="module")
def comparison(model):
    return hipsim.compare_exercises(model=model)


def test_comparison_tabulates_each_exercises_own_result(comparison, model):
    """The table holds, per exercise and fibre group, the exercise's own solved force and activation of
    the targeted side; ranks put the exercise with the largest force first; every exercise is there."""
    from hipsim.analysis.exercises import COMPARED_GROUPS
    assert list(comparison.results) == list(EXERCISES)
    assert set(comparison.table.fibre_group) == set(COMPARED_GROUPS)
    assert "piriformis" in COMPARED_GROUPS and "tensor_fasciae_latae" in COMPARED_GROUPS
    alone = hipsim.exercise("side_lying_abduction", model)
    row = comparison.table[(comparison.table.exercise == "side_lying_abduction")
                           & (comparison.table.fibre_group == "gluteus_minimus_anterior")].iloc[0]
    i = model.muscle_index("gluteus_minimus_anterior_r")
    assert row.force_n == pytest.approx(alone.muscle_forces[0, i], rel=1e-9)
    assert row.activation == pytest.approx(alone.activations[0, i], rel=1e-9)
    forces = comparison.wide("force_n")
    for g, first in comparison.ranking.loc[1].items():
        assert forces.loc[first, g] == forces[g].max()


def test_selectivity_ratios_and_their_undefined_cases(comparison):
    """gluteus minimus against TFL and posterior against anterior gluteus minimus, from the forces; a zero
    denominator is infinite and both zero is NaN, and each such case is named in the notes."""
    f = comparison.wide("force_n")
    sel = comparison.selectivity
    for e in f.index:
        gmin = f.loc[e, ["gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior"]].sum()
        tfl = f.loc[e, "tensor_fasciae_latae"]
        if tfl > 1e-9:
            assert sel.loc[e, "gmin_to_tfl_force"] == pytest.approx(gmin / tfl)
    undefined = [(e, c) for e in sel.index for c in sel.columns if not math.isfinite(sel.loc[e, c])]
    for e, c in undefined:
        assert any(n.startswith(f"{e}: {c}") for n in comparison.notes)
    tops = comparison.top_groups(3)
    for e, groups in tops.items():
        assert len(groups) <= 3 and all(f.loc[e, g] > 0.0 for g in groups)
        assert all(f.loc[e, g] <= min(f.loc[e, x] for x in groups) for g in f.columns if g not in groups)


def test_compare_exercises_refuses_unknown_names():
    with pytest.raises(InputError, match="names"):
        hipsim.compare_exercises(names=["clamshell", "plank"])
    with pytest.raises(InputError, match="side"):
        hipsim.compare_exercises(side="both")


def test_emg_rank_correlations_are_computed_and_recorded(comparison, record_property):
    _check_and_record_emg(comparison, record_property)


@pytest.mark.slow
def test_emg_rank_correlations_of_the_full_body_model_are_recorded(record_property):
    _check_and_record_emg(hipsim.compare_exercises(model="lai_uhlrich2023"), record_property)


def _check_and_record_emg(comparison, record_property):
    """hipsim's activation ranking per segment beside published EMG (hipsim.analysis.exercises.EMG_VALUES,
    each value as read in its source). Spearman's rho is recorded, not asserted: mechanics and EMG measure
    different things, and the published values cover few of the modelled exercises. The test checks that
    every value is matched with hipsim's activation of the same segment and exercise, and that rho is
    computed exactly where three or more values exist."""
    from scipy.stats import spearmanr
    from hipsim.analysis.exercises import EMG_VALUES, emg_validation, tfl_selectivity_check
    values, corr = emg_validation(comparison)
    assert len(values) == len(EMG_VALUES)
    for _, v in values.iterrows():
        r = comparison.results[v.exercise]
        if v.segment != "gluteus_medius":
            side = "r" if v.limb == "targeted" else "l"
            assert v.hipsim_activation == r.activations[0, r.model.muscle_index(f"{v.segment}_{side}")]
    for _, c in corr.iterrows():
        if c.n >= 3:
            rows = values[(values.study == c.study) & (values.segment == c.segment) & (values.limb == "targeted")] \
                if "pooled" not in c.segment else None
            if rows is not None:
                assert c.spearman_rho == pytest.approx(spearmanr(rows.emg_pct_mvic, rows.hipsim_activation).statistic)
            assert -1.0 <= c.spearman_rho <= 1.0
        else:
            assert math.isnan(c.spearman_rho) and c.note
        key = f"spearman_{comparison.model_name}_{c.study}_{c.segment}".replace(" ", "_")
        record_property(key, None if math.isnan(c.spearman_rho) else round(float(c.spearman_rho), 3))
        record_property(f"order_{comparison.model_name}_{c.study}_{c.segment}".replace(" ", "_"),
                        c.pairs_in_emg_order)
        print(f"{c.study:32s} {c.segment:28s} n={c.n} rho={c.spearman_rho:.3f} in EMG order {c.pairs_in_emg_order}")
    sel = tfl_selectivity_check(comparison)
    record_property(f"selkowitz2013_{comparison.model_name}_clam_rank_by_gmed_to_tfl", sel["clamshell_rank"])
    print("clam's rank by gluteus medius / TFL activation:", sel["clamshell_rank"], "of", len(sel["order"]))


# --------------------------------------------------------------------------- scenario files and the command line

def _scenario_text(task: str, baseline: str = "[baseline]\n") -> str:
    return f'name = "ex"\n[task]\ntype = "exercise"\n{task}\n{baseline}'


def test_exercise_scenario_keys_are_the_exercises_rulebook():
    from hipsim.scenarios.schema import TASK_KEYS, parse_scenario
    from hipsim.tasks.exercise import EXERCISE_PARAMS
    for k, p in EXERCISE_PARAMS.items():
        assert TASK_KEYS["exercise"][k] is p
    spec = parse_scenario({"name": "ex", "task": {"type": "exercise", "name": "clamshell"},
                           "modifiers": [{"type": "weakness", "muscles": ["gluteus_medius"], "strength": 0.5}],
                           "baseline": {}}, "s.toml")
    assert spec.task_values["name"] == "clamshell" and spec.task_values["resistance_n"] is None
    for data, key in [({"type": "exercise"}, "task.name"), ({"type": "exercise", "name": "plank"}, "task.name"),
                      ({"type": "exercise", "name": "clamshell", "resistance_n": 10.0}, "task.resistance_n")]:
        with pytest.raises(InputError) as exc:
            parse_scenario({"name": "ex", "task": data, "baseline": {}}, "s.toml")
        assert str(exc.value).startswith("s.toml: ") and key in str(exc.value), str(exc.value)
    # a baseline inherits the exercise: its [baseline.task] may change the band alone
    spec = parse_scenario({"name": "ex", "task": {"type": "exercise", "name": "standing_internal_rotation",
                                                  "resistance_n": 40.0},
                           "baseline": {"task": {"resistance_n": 10.0}}}, "s.toml")
    assert spec.baseline_task_values == {"resistance_n": 10.0}


@pytest.mark.slow
def test_an_exercise_scenario_runs_against_its_baseline(tmp_path):
    path = tmp_path / "band.toml"
    path.write_text(_scenario_text('name = "resisted_abduction_extension"\nresistance_n = 40.0',
                                   "[baseline.task]\nresistance_n = 10.0\n"))
    res = hipsim.run_scenario(path)
    assert res.baseline.parameters["resistance_n"] == 10.0 and res.scenario.parameters["resistance_n"] == 40.0
    m = res.scenario.model
    i = m.muscle_index("gluteus_medius_middle_r")
    assert res.scenario.muscle_forces[0, i] > res.baseline.muscle_forces[0, i]


def test_cli_exercises_prints_the_table_and_writes_the_picture(tmp_path, capsys):
    from hipsim.cli import main
    out = tmp_path / "ex.png"
    code = main(["exercises", "--names", "side_lying_abduction,clamshell", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "side_lying_abduction" in text and "clamshell" in text and "GMin" in text
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv", [
    ["exercises", "--names", "plank", "--no-plot"], ["exercises", "--resistance-n", "lots", "--no-plot"],
    ["exercises", "--side", "both", "--no-plot"], ["exercises", "--out", "picture.jpg"],
    ["exercises", "--step-height-m", "0.9", "--no-plot"], ["exercises", "--names", "clamshell", "--resistance-n", "20",
                                                          "--no-plot"],
])
def test_cli_exercises_bad_input_exits_2_with_one_sentence(argv, capsys):
    from hipsim.cli import main
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hipsim: error: ") and err.count("\n") == 0 and err.endswith("."), err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- the gallery picture

def _gallery_tool():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "tools" / "exercise_gallery.py"
    spec = importlib.util.spec_from_file_location("exercise_gallery", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_exercise_picture_shows_what_the_code_computes():
    """docs/gallery/exercises.png (``hipsim exercises --out docs/gallery/exercises.png``, default model)
    prints the numbers stored beside it in exercises.json; recompute them and fail when the committed
    picture is stale (regenerate both: ``python tools/exercise_gallery.py``). Printed forces are whole
    newtons and activations whole percent: one unit of the last digit is rounding, more is a change."""
    import json
    tool = _gallery_tool()
    assert tool.PICTURE.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(tool.NUMBERS.read_text())
    cmp = hipsim.compare_exercises()
    now = tool.picture_numbers(cmp)
    stale = "docs/gallery/exercises.png is stale (python tools/exercise_gallery.py): "
    assert set(data) == set(now), stale + f"keys {sorted(set(data) ^ set(now))}"
    for key in ("command", "model", "side", "beyond_muscles"):
        assert data[key] == now[key], stale + f"{key}: picture {data[key]!r} != now {now[key]!r}"
    assert abs(data["colour_scale_max_n"] - now["colour_scale_max_n"]) <= 1, stale + "colour scale"
    bad = []
    for key in ("force_n", "activation_pct"):
        assert list(data[key]) == list(now[key]), stale + f"{key}: exercises {list(data[key])} != {list(now[key])}"
        for e, row in now[key].items():
            assert list(data[key][e]) == list(row), stale + f"{key}.{e}: fibre groups"
            bad += [f"{key}.{e}.{g}: picture {data[key][e][g]} != now {v}" for g, v in row.items()
                    if abs(data[key][e][g] - v) > 1]
    force = cmp.wide("force_n")
    for g, e in now["most_loading_by_force"].items():
        shown = data["most_loading_by_force"][g]
        # the same tallest bar, or two within rounding of each other
        if shown != e and abs(force.loc[shown, g] - force.loc[e, g]) > 1.0:
            bad.append(f"most_loading_by_force.{g}: picture {shown} != now {e}")
    assert not bad, stale + "; ".join(bad)


def test_gallery_page_shows_the_exercise_picture_outside_the_generated_block():
    """tools/make_gallery.py rewrites the block between the gallery markers; the exercise section lives
    after it, with its picture and the command that draws it."""
    from pathlib import Path
    page = (Path(__file__).resolve().parents[1] / "docs" / "scenario-gallery.md").read_text()
    tail = page.split("<!-- gallery:end -->")[1]
    assert "(gallery/exercises.png)" in tail and "`hipsim exercises --out docs/gallery/exercises.png`" in tail
    assert "(gallery/exercises.json)" in tail
