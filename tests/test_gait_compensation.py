"""Weak abductors while walking: the per-frame lean or drop search and the cycle adjustment it uses."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import hipsim
from hipsim.anatomy import MUSCLE_GROUPS
from hipsim.errors import InputError
from hipsim.motion.cycle_adjust import adjust_cycle, periodic_series, whole_body_wrench
from hipsim.motion.measured_walk import measured_walk
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM, pelvis_residuals

gait_module = importlib.import_module("hipsim.tasks.gait")


@pytest.fixture(scope="module")
def model():
    return hipsim.load_model("gait2392")  # its abductors fall short at the strengths tested


@pytest.fixture(scope="module")
def cycle(model):
    return measured_walk(model=model)


def _weak_right(strength: float) -> dict[str, float]:
    return {f"{n}_r": strength for n in MUSCLE_GROUPS["superior_gluteal_nerve"]}


def test_periodic_series_differentiates_a_sine_exactly():
    p = np.linspace(0.0, 1.0, 101)
    x = 0.3 * np.sin(2 * np.pi * 2 * p) + 0.1
    v, d1, d2 = periodic_series(x, 1.0, 2)
    assert np.allclose(v, x, atol=1e-12)
    assert np.allclose(d1, 0.3 * 2 * np.pi * 2 * np.cos(2 * np.pi * 2 * p), atol=1e-9)
    assert np.allclose(d2, -0.3 * (2 * np.pi * 2) ** 2 * np.sin(2 * np.pi * 2 * p), atol=1e-7)
    # harmonics above the cut are removed
    v1, _, _ = periodic_series(x, 1.0, 1)
    assert np.allclose(v1, 0.1, atol=1e-12)


def test_zero_change_leaves_the_cycle_as_it_was(model, cycle):
    same = adjust_cycle(model, (), cycle, {"lumbar_bending": np.zeros(cycle.percent.size)})
    for n in cycle.coordinate_names:
        assert np.allclose(same.coordinates[n], cycle.coordinates[n], atol=1e-12)
        assert np.allclose(same.accelerations[n], cycle.accelerations[n], atol=1e-9)
    for s in ("r", "l"):
        assert np.allclose(same.grf[s].force_bw, cycle.grf[s].force_bw, atol=1e-12)
        assert np.allclose(same.grf[s].moment_origin_bw_m, cycle.grf[s].moment_origin_bw_m, atol=1e-12)


@pytest.mark.parametrize("harmonics", [None, 2])
def test_adjusted_ground_reactions_balance_the_new_motion(model, cycle, harmonics):
    """Whole-body Newton–Euler: after a lean the feet's loads must again carry the whole motion,
    so the pelvis needs no residual force or moment (the ground reactions were updated, not kept)."""
    n = cycle.percent.size
    lean = np.radians(12.0) * np.clip(np.sin(2 * np.pi * cycle.percent / 100.0), 0, None)
    adj = adjust_cycle(model, (), cycle, {"lumbar_bending": lean}, harmonics=harmonics)
    res = gait_module._solve_cycle(model, model.subject, adj, (), {}, 2, True)
    resid = pelvis_residuals(model, res.q, res.generalized_forces)
    assert resid["force_n"].max() < 1e-4 * model.mass * 9.81
    assert resid["moment_nm"].max() < 1e-4 * model.mass * 9.81
    # and the change moved the centre of pressure: the lean shifts mass toward the right foot
    on = cycle.grf["r"].stance & (cycle.grf["l"].force_bw[:, 1] == 0)
    shift = adj.grf["r"].cop_ground_m[on, 2] - cycle.grf["r"].cop_ground_m[on, 2]
    assert shift.mean() > 0.005
    assert n == adj.percent.size


def test_a_pinned_drop_keeps_the_stance_foot_in_place(model, cycle):
    n = cycle.percent.size
    drop = np.radians(6.0) * np.ones(n)
    adj = adjust_cycle(model, (), cycle, {"pelvis_list": -drop, "hip_adduction_r": drop, "hip_adduction_l": -drop,
                                          "lumbar_bending": drop}, pin=["r"] * n, harmonics=None)
    q0 = np.column_stack([cycle.coordinates[c] for c in model.coordinate_names])
    q1 = np.column_stack([adj.coordinates[c] for c in model.coordinate_names])
    _, o0, _, _ = model.body_poses(q0)
    _, o1, _, _ = model.body_poses(q1)
    femur = model.body_names.index("femur_r")
    calcn = model.body_names.index("calcn_r")
    assert np.abs(o1[:, calcn] - o0[:, calcn]).max() < 1e-12
    # the hip centre moves by the femur's small change of orientation only (1.1 cm at most here)
    assert np.abs(o1[:, femur] - o0[:, femur]).max() < 0.015
    assert not np.allclose(q1[:, model.coordinate_index("pelvis_tz")], q0[:, model.coordinate_index("pelvis_tz")])


def test_whole_body_wrench_of_standing_still_is_body_weight(model):
    q = np.atleast_2d(model.pose(None))
    z = np.zeros_like(q)
    f, _ = whole_body_wrench(model, q, z, z)
    assert f[0, 1] == pytest.approx(model.mass * np.linalg.norm(model.compiled.gravity), rel=1e-9)
    assert abs(f[0, 0]) < 1e-9 and abs(f[0, 2]) < 1e-9


def test_adjust_cycle_refuses_a_delta_of_the_wrong_length(model, cycle):
    with pytest.raises(InputError, match="finite values"):
        adjust_cycle(model, (), cycle, {"lumbar_bending": np.zeros(3)})


@pytest.mark.slow
def test_a_lean_closes_a_weak_abductors_shortfall_in_walking(model):
    """Compensated Trendelenburg gait: with the right superior-gluteal-nerve group at 20 % the
    uncompensated walk needs reserves on the right hip's abduction axis; the lean found frame by
    frame leans toward the right in right mid-stance and leaves no frame short."""
    weak = _weak_right(0.2)
    res = hipsim.gait(model, strength=weak, compensation="lean")
    comp = res.parameters["compensation"]
    assert comp["abductor_shortfall_before_nm"] > 5.0
    assert comp["frames_short"] == 0
    assert comp["abductor_shortfall_left_nm"] <= ABDUCTOR_SHORTFALL_NM
    lean = np.asarray(comp["trunk_lean_deg"])
    assert lean[30] > 5.0  # right mid-stance: toward the right (stance) side
    assert 0.0 < comp["peak_deg"] <= gait_module.COMPENSATION_LIMIT_DEG["lean"]
    lumbar = res.q[:, model.coordinate_index("lumbar_bending")]
    plain = hipsim.gait(model, strength=weak)
    assert np.allclose(np.degrees(lumbar - plain.q[:, model.coordinate_index("lumbar_bending")]), lean, atol=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lean", "drop"])
def test_a_compensation_never_leaves_a_larger_shortfall_than_none(model, kind):
    res = hipsim.gait(model, strength=_weak_right(0.5), compensation=kind, cycle="measured")
    comp = res.parameters["compensation"]
    assert comp["abductor_shortfall_left_nm"] <= comp["abductor_shortfall_before_nm"] + 1e-9
    if comp["frames_short"]:
        assert any("short" in w for w in res.warnings)


def test_a_compensation_is_a_weakness_key_for_walking_not_a_task_key(tmp_path):
    from hipsim.scenarios.schema import TASK_KEYS, read_scenario
    assert "compensation" not in TASK_KEYS["gait"]
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\ntitle = "t"\n[task]\ntype = "gait"\n[[modifiers]]\ntype = "weakness"\n'
                 'muscles = ["gluteus_medius"]\nstrength = 0.3\ncompensation = "lean"\n[baseline]\n')
    assert read_scenario(f).modifiers[0].values["compensation"] == "lean"
    f.write_text(f.read_text().replace('type = "gait"', 'type = "standing"'))
    with pytest.raises(InputError, match="compensation"):
        read_scenario(f)


@pytest.mark.slow
def test_the_shipped_weak_abductor_gait_scenario_reports_its_lean():
    from hipsim.scenarios.runner import prepare_scenario, run_scenario
    r = run_scenario(prepare_scenario("weak_abductors_gait", model="gait2392"))
    comp = r.derived["compensation"]
    assert comp["peak_trunk_lean_deg"] > 5.0
    assert len(comp["trunk_lean_deg_by_percent"]) == r.scenario.q.shape[0]
    assert comp["frames_short"] == 0
