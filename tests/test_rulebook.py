"""The rulebook (hipsim.params): every public parameter declared once and checked before any work.

The table walk feeds each declared parameter of each public entry point values just outside its
limits, of the wrong type, NaN and infinity, and expects the one-sentence InputError naming the
key. The identity tests check that the scenario schema, the tasks and the demo share the very
same rule objects, so that a limit cannot drift between them again.
"""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hipsim
from hipsim.errors import InputError
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import Param, check_params
from hipsim.scenarios.schema import MODIFIER_KEYS, SUBJECT_KEYS, TASK_KEYS, parse_scenario
from hipsim.tasks.exercise import EXERCISE_PARAMS
from hipsim.tasks.gait import GAIT_FROM_OPENSIM_PARAMS, GAIT_PARAMS
from hipsim.tasks.posture import SITTING_PARAMS, STANDING_PARAMS
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS

# Public task entry points and the arguments they take that are not scalar parameters (models,
# people, loads, maps of strengths, the criterion, sampling): everything else must be declared.
TASKS = {
    hipsim.single_leg_stance: (SINGLE_LEG_STANCE_PARAMS, {"model", "subject", "loads", "strength", "exponent"}),
    hipsim.standing: (STANDING_PARAMS, {"model", "subject", "loads", "strength", "exponent"}),
    hipsim.sitting: (SITTING_PARAMS, {"model", "subject", "strength", "exponent"}),
    hipsim.gait: (GAIT_PARAMS, {"model", "subject", "loads", "strength", "exponent", "n_frames"}),
    hipsim.gait_from_opensim: (GAIT_FROM_OPENSIM_PARAMS, {"model_or_osim_path", "coordinates_file",
                                                          "external_loads_xml", "subject", "exponent"}),
    hipsim.exercise: (EXERCISE_PARAMS, {"model", "subject", "strength", "exponent"}),
}
ENTRY_ARGS = {hipsim.gait_from_opensim: ("no-such-model.toml", "no.mot", "no.xml")}
# Entry points called by keyword (the parameter under test replaces its own entry).
ENTRY_KWARGS = {hipsim.exercise: {"name": "clamshell", "model": "no-such-model.toml"}}


def bad_values(p: Param) -> list:
    """Values the rule must refuse: just outside each limit, wrong types, NaN and infinities."""
    out: list = [object(), [1, 2]]
    if p.kind in ("float", "int"):
        out += ["1", True, math.nan, math.inf, -math.inf]
        lo, hi = p.interval
        if math.isfinite(lo):
            out.append(lo - max(1e-6, 1e-6 * abs(lo)))
        if math.isfinite(hi):
            out.append(hi + max(1e-6, 1e-6 * abs(hi)))
        if p.kind == "int":
            out.append(1.5)
    elif p.kind == "str":
        out += [1.0, True, "no-such-choice" if p.choices else None]
    elif p.kind == "bool":
        out += [1, 0.0, "true", math.nan]
    else:
        out += [[], "gluteus_medius", [1.0]]
    if not p.nullable:
        out.append(None)
    return [v for v in out if not (v is None and p.nullable)]


def _one_sentence(msg: str, key: str) -> None:
    assert key in msg, msg
    assert msg.count("\n") == 0 and msg.endswith("."), msg


def _entry_cases():
    for fn, (table, _) in TASKS.items():
        for key, p in table.items():
            for v in bad_values(p):
                yield pytest.param(fn, key, v, id=f"{fn.__name__}-{key}-{v!r}"[:90])


@pytest.mark.parametrize("fn, key, value", list(_entry_cases()))
def test_every_task_parameter_is_refused_outside_its_rule(fn, key, value):
    # The model argument is a string that names no model: if validation ran after any work, the
    # model look-up would fail first with another message.
    with pytest.raises(InputError) as exc:
        if fn in ENTRY_KWARGS:
            fn(**{**ENTRY_KWARGS[fn], key: value})
        else:
            fn(*ENTRY_ARGS.get(fn, ("no-such-model.toml",)), **{key: value})
    _one_sentence(str(exc.value), key)


@pytest.mark.parametrize("fn", list(TASKS), ids=lambda f: f.__name__)
def test_every_scalar_argument_of_a_task_is_in_its_rulebook(fn):
    table, other = TASKS[fn]
    assert fn.params is table
    params = set(inspect.signature(fn).parameters)
    assert params - other == set(table), "a new scalar argument must be declared in the task's rulebook"


@pytest.mark.parametrize("key", list(SUBJECT_PARAMS))
def test_subject_refuses_values_outside_its_rule(key):
    good = {"mass_kg": 70.0, "height_m": 1.7}
    for v in bad_values(SUBJECT_PARAMS[key]):
        with pytest.raises(InputError) as exc:
            hipsim.Subject(**{**good, key: v})
        _one_sentence(str(exc.value), key)


@pytest.mark.parametrize("key", list(LOAD_PARAMS))
def test_load_refuses_values_outside_its_rule(key):
    good = {"place": "hand", "side": "l", "mass_kg": 5.0}
    for v in bad_values(LOAD_PARAMS[key]):
        with pytest.raises(InputError) as exc:
            hipsim.Load(**{**good, key: v})
        _one_sentence(str(exc.value), key)


def _scenario(task: str, modifiers: list[dict] | None = None, task_values: dict | None = None) -> dict:
    return {"name": "t", "task": {"type": task, **(task_values or {})}, "modifiers": modifiers or [],
            "baseline": {}}


def _modifier_cases():
    for t, (_, keys, tasks) in MODIFIER_KEYS.items():
        required = {k: (["gluteus_medius"] if p.kind == "list[str]" else p.default)
                    for k, p in keys.items() if p.required}
        for key, p in keys.items():
            for v in bad_values(p):
                if v is None or type(v) is object:
                    continue  # not expressible in TOML
                yield pytest.param(t, tasks[0], required, key, v, id=f"{t}-{key}-{v!r}"[:80])


@pytest.mark.parametrize("mtype, task, required, key, value", list(_modifier_cases()))
def test_every_modifier_key_is_refused_outside_its_rule(mtype, task, required, key, value):
    data = _scenario(task, [{"type": mtype, **required, key: value}])
    with pytest.raises(InputError) as exc:
        parse_scenario(data, "s.toml")
    msg = str(exc.value)
    assert msg.startswith("s.toml: ") and f"modifiers[0].{key}" in msg, msg


@pytest.mark.parametrize("task", list(TASK_KEYS))
def test_every_task_key_in_a_scenario_file_is_refused_outside_its_rule(task):
    for key, p in TASK_KEYS[task].items():
        for v in bad_values(p):
            if v is None or type(v) is object:
                continue
            with pytest.raises(InputError) as exc:
                parse_scenario(_scenario(task, task_values={key: v}), "s.toml")
            assert f"task.{key}" in str(exc.value)


def test_schema_and_api_share_the_same_rule_objects():
    """One table: the scenario schema's task keys are the tasks' own rule objects."""
    pairs = [(TASK_KEYS["single_leg_stance"], SINGLE_LEG_STANCE_PARAMS), (TASK_KEYS["gait"], GAIT_PARAMS),
             (TASK_KEYS["standing"], STANDING_PARAMS), (TASK_KEYS["sitting"], SITTING_PARAMS)]
    for keys, table in pairs:
        shared = set(keys) & set(table)
        assert shared, table
        for k in shared:
            assert keys[k] is table[k], k
    # The pelvic obliquity is one rule in standing, sitting and both scenario tables.
    assert STANDING_PARAMS["pelvic_obliquity_deg"] is SITTING_PARAMS["pelvic_obliquity_deg"]
    assert TASK_KEYS["standing"]["pelvic_obliquity_deg"] is STANDING_PARAMS["pelvic_obliquity_deg"]
    # Subjects: the file's keys are the Subject's rules (optional in a file).
    for k, p in SUBJECT_KEYS.items():
        assert p.interval == SUBJECT_PARAMS[k].interval and p.kind == SUBJECT_PARAMS[k].kind
    # The carried load's mass in a file is the Load's rule.
    assert MODIFIER_KEYS["carry"][1]["mass_kg"].interval == LOAD_PARAMS["mass_kg"].interval


def test_demo_sliders_come_from_the_rulebook():
    from hipsim.report.demo import DEMO_PARAMS, SLIDERS
    assert DEMO_PARAMS["pelvic_drop_deg"] is SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"]
    assert DEMO_PARAMS["trunk_lean_deg"] is SINGLE_LEG_STANCE_PARAMS["trunk_lean_deg"]
    assert DEMO_PARAMS["mass_kg"].interval == SUBJECT_PARAMS["mass_kg"].interval
    assert DEMO_PARAMS["load_kg"].interval == LOAD_PARAMS["mass_kg"].interval
    for k, (lo, hi, _step, start, _label) in SLIDERS.items():
        assert (lo, hi) == DEMO_PARAMS[k].interval and DEMO_PARAMS[k].accepts(start)


def test_demo_refuses_knobs_outside_the_rulebook():
    from hipsim.report.demo import DEMO_PARAMS, StanceDemo
    demo = StanceDemo()
    before = dict(demo.knobs)
    for key, p in DEMO_PARAMS.items():
        for v in bad_values(p):
            with pytest.raises(InputError) as exc:
                demo.update(**{key: v}) if v is not None else demo._check({key: v})
            _one_sentence(str(exc.value), key)
    assert demo.knobs == before  # nothing changed


def test_pelvic_obliquity_limits_agree_between_api_and_files():
    """Regression: the API took -15..25 degrees and scenario files -15..15. Now one symmetric rule:
    a value the API accepts, a file accepts, and the reverse."""
    p = STANDING_PARAMS["pelvic_obliquity_deg"]
    lo, hi = p.interval
    assert lo == -hi
    for v in (lo, -20.0, 20.0, hi):
        spec = parse_scenario(_scenario("standing", task_values={"pelvic_obliquity_deg": v}), "s.toml")
        assert spec.task_values["pelvic_obliquity_deg"] == v
    with pytest.raises(InputError):
        parse_scenario(_scenario("standing", task_values={"pelvic_obliquity_deg": hi + 1}), "s.toml")


def test_a_compensation_on_a_task_that_cannot_honour_it_is_refused():
    # standing and sitting hold a posture the task fixes; single-leg stance and walking search one
    for task in ("standing", "sitting"):
        data = _scenario(task, [{"type": "weakness", "muscles": ["gluteus_medius"], "strength": 0.5,
                                 "compensation": "lean"}])
        with pytest.raises(InputError, match=r"modifiers\[0\]\.compensation"):
            parse_scenario(data, "s.toml")


# --------------------------------------------------------------------------- property tests


@given(lo=st.floats(-1e6, 1e6), width=st.floats(0, 1e6), x=st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**7, 10**7), st.booleans(), st.text(max_size=3)))
def test_interval_rule_accepts_exactly_finite_numbers_inside(lo, width, x):
    p = Param("float", "x", lo, "m", lo, lo + width)
    inside = (not isinstance(x, (bool, str)) and math.isfinite(x) and lo <= x <= lo + width)
    assert p.accepts(x) == inside
    if inside:
        assert p.check("x", x) == float(x)
    else:
        with pytest.raises(InputError, match=r"argument: x = .* is not allowed; use a number from"):
            p.check("x", x)


@given(values=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(-2, 2), max_size=3))
def test_check_params_fills_defaults_and_refuses_unknown_keys(values):
    table = {"a": Param("float", "a", 0.5, "", -1, 1), "b": Param("float", "b", 0.0, "", -1, 1)}
    if "c" in values or any(not -1 <= v <= 1 for k, v in values.items() if k in table):
        with pytest.raises(InputError):
            check_params(table, values)
    else:
        out = check_params(table, values)
        assert out == {**{"a": 0.5, "b": 0.0}, **values}


def test_a_default_that_breaks_its_own_rule_is_caught_when_declared():
    with pytest.raises(ValueError):
        Param("float", "x", 5.0, "", 0.0, 1.0)


# --------------------------------------------------------------------------- the subject in the model


def test_scaling_a_model_already_scaled_to_the_subject_changes_nothing():
    """Regression: a model scaled to a subject, given to a task with that same subject, had its
    lengths scaled a second time (a path point went 0.0628 -> 0.0559 m)."""
    from hipsim.tasks.stance import subject_model
    subj = hipsim.Subject(60.0, 1.60)
    once = hipsim.load_model().scaled_to(subj)
    again, recorded = subject_model(once, subj)
    assert recorded.same_as(subj)
    np.testing.assert_array_equal(again.muscle_lengths(), once.muscle_lengths())
    np.testing.assert_array_equal(again.max_isometric_forces, once.max_isometric_forces)


@given(m1=st.floats(40, 120), h1=st.floats(1.4, 2.0), m2=st.floats(40, 120), h2=st.floats(1.4, 2.0))
def test_scaling_composes(m1, h1, m2, h2):
    """Scaling to A and then to B equals scaling to B directly (lengths, masses, forces)."""
    base = hipsim.load_model()
    via = base.scaled_to(hipsim.Subject(m1, h1)).scaled_to(hipsim.Subject(m2, h2))
    direct = base.scaled_to(hipsim.Subject(m2, h2))
    assert via.height_m == pytest.approx(h2, rel=1e-12) and via.mass == pytest.approx(m2, rel=1e-12)
    np.testing.assert_allclose(via.muscle_lengths(), direct.muscle_lengths(), rtol=1e-12)
    np.testing.assert_allclose(via.max_isometric_forces, direct.max_isometric_forces, rtol=1e-12)
    np.testing.assert_allclose(via.compiled.body_mass, direct.compiled.body_mass, rtol=1e-12)


def test_a_saved_scaled_model_keeps_its_subject(tmp_path):
    subj = hipsim.Subject(64.0, 1.65)
    m = hipsim.load_model().scaled_to(subj).with_strength({"gluteus_medius_middle_r": 0.5})
    m.save(tmp_path / "s.toml")
    back = hipsim.load_model(tmp_path / "s.toml")
    assert back.subject.same_as(subj)
    assert back.strength[back.muscle_index("gluteus_medius_middle_r")] == 0.5


def test_an_opensim_model_without_a_height_gets_one_recorded_or_estimated(tmp_path):
    m = hipsim.load_model("gait2392")
    # A model file that does not say its height (as an OpenSim file) is estimated from its leg,
    # in proportion to gait2392: the same geometry gives the same 1.80 m.
    import dataclasses
    from hipsim.model.hipfile import write_model
    write_model(dataclasses.replace(m.spec, height_m=None), tmp_path / "no_height.toml")
    est = hipsim.load_model(tmp_path / "no_height.toml")
    assert est.height_m == pytest.approx(1.80, rel=1e-12)
    given_h = hipsim.load_model(tmp_path / "no_height.toml", height_m=1.7)
    assert given_h.height_m == 1.7
    np.testing.assert_array_equal(given_h.muscle_lengths(), est.muscle_lengths())  # recorded, not scaled
    with pytest.raises(InputError, match="height_m"):
        hipsim.load_model("gait2392", height_m=1.7)  # its file records 1.80 m


def test_demo_records_its_subject_and_hangs_the_bag_at_its_hand():
    """Regression: StanceDemo(height_m=1.60) recorded a 1.80 m subject and hung the bag where a
    1.80 m person's hand is (4.86 BW against 4.77 BW through the task API)."""
    from hipsim.report.demo import StanceDemo
    demo = StanceDemo(height_m=1.60)
    res = demo.solve(mass_kg=60.0, load_kg=10.0, load_side="opposite")
    assert res.subject.height_m == pytest.approx(1.60)
    api = hipsim.single_leg_stance(subject=hipsim.Subject(60.0, 1.60), loads=[hipsim.Load("hand", "l", 10.0)])
    assert res.hip_contact_force_bw["r"].max() == pytest.approx(api.hip_contact_force_bw["r"].max(), rel=1e-9)
    assert res.point_masses[0].location == pytest.approx(api.point_masses[0].location, abs=1e-12)


@pytest.mark.slow
def test_weakness_while_sitting_is_honoured(tmp_path):
    """Regression: a weakness modifier on a sitting task was listed as applied but never reached
    sitting(): gluteus medius at 5 % strength ran at its full 573 N capacity."""
    path = tmp_path / "weak_sit.toml"
    path.write_text('name = "weak_sit"\n[task]\ntype = "sitting"\n[[modifiers]]\ntype = "weakness"\n'
                    'muscles = ["gluteus_medius"]\nside = "r"\nstrength = 0.05\n[baseline]\n')
    res = hipsim.run_scenario(path)
    base, scen = res.baseline.model, res.scenario.model
    i = scen.muscle_index("gluteus_medius_middle_r")
    assert scen.max_isometric_forces[i] == pytest.approx(0.05 * base.max_isometric_forces[i], rel=1e-12)
    assert scen.strength[i] == 0.05 and base.strength[i] == 1.0


def test_summary_records_the_strength_each_muscle_ran_at(tmp_path):
    """Every result records the strength each muscle ran at: the weakened muscles in the
    scenario, none in the baseline (summary.json's ``strength`` and ``baseline_strength``)."""
    from hipsim.report.summary import summary
    path = tmp_path / "weak_sit.toml"
    path.write_text('name = "weak_sit"\n[task]\ntype = "sitting"\n[[modifiers]]\ntype = "weakness"\n'
                    'muscles = ["gluteus_minimus_anterior"]\nside = "both"\nstrength = 0.3\n[baseline]\n')
    s = summary(hipsim.run_scenario(path))
    assert s["strength"] == {"gluteus_minimus_anterior_r": 0.3, "gluteus_minimus_anterior_l": 0.3}
    assert s["baseline_strength"] == {}


@pytest.mark.slow
def test_walking_cycle_cache_is_keyed_on_content_not_identity():
    """A weakened copy of a model and the same model rebuilt from its file share one cycle: the
    cache keys on the skeleton's content (the keypoint cycle took 6-16 s per model object)."""
    import dataclasses
    from hipsim.model import Model
    base = hipsim.load_model()
    weak = base.with_strength({"gluteus_medius_middle_r": 0.5})
    rebuilt = Model(dataclasses.replace(base.spec))
    assert weak.skeleton_digest == base.skeleton_digest == rebuilt.skeleton_digest
    assert base.scaled_to(hipsim.Subject(60.0, 1.6)).skeleton_digest != base.skeleton_digest
    # a locked joint moves differently (the fit holds it): another skeleton
    joints = tuple(dataclasses.replace(j, coordinates=tuple(dataclasses.replace(c, locked=True)
                                                            if c.name == "arm_flex_r" else c for c in j.coordinates))
                   for j in base.spec.joints)
    locked = Model(dataclasses.replace(base.spec, joints=joints))
    assert locked.compiled.coord_locked[locked.coordinate_index("arm_flex_r")]
    assert locked.skeleton_digest != base.skeleton_digest and locked.shape_digest != base.shape_digest
    from hipsim.motion.normative_gait import _CACHE, normative_gait
    normative_gait(model=base, n_frames=11)
    n = len(_CACHE)
    normative_gait(model=weak, n_frames=11)
    normative_gait(model=rebuilt, n_frames=11)
    assert len(_CACHE) == n


def test_walking_fit_does_not_depend_on_body_mass(monkeypatch):
    """Two people who differ only in body mass are fitted the same walk, bit for bit, each fitted
    afresh (the fit weighs the bodies per kilogram of body mass; weighed per N m instead, the 55 and
    100 kg walks below differed by up to 0.008 rad or m), so the fit is shared between them; another
    height is another shape."""
    import importlib
    ng = importlib.import_module("hipsim.motion.normative_gait")
    base = hipsim.load_model()
    h = base.subject.height_m
    light, heavy = base.scaled_to(hipsim.Subject(55.0, h)), base.scaled_to(hipsim.Subject(100.0, h))
    assert light.shape_digest == heavy.shape_digest != base.scaled_to(hipsim.Subject(55.0, 1.6)).shape_digest
    assert light.skeleton_digest != heavy.skeleton_digest
    walks = []
    for m in (light, heavy):
        monkeypatch.setattr(ng, "_CACHE", {})
        monkeypatch.setattr(ng, "_FIT_CACHE", {})
        walks.append(ng.normative_gait(model=m, n_frames=51))
    for name in walks[0].coordinate_names:
        np.testing.assert_array_equal(walks[0].coordinates[name], walks[1].coordinates[name])
    # the ground reactions are in body weights, so they agree too, while the masses differ
    assert walks[0].body_mass_kg < walks[1].body_mass_kg
    ng.normative_gait(model=light, n_frames=51)
    n = len(ng._FIT_CACHE)
    ng.normative_gait(model=heavy, n_frames=51)
    assert len(ng._FIT_CACHE) == n == 1


def test_summary_names_a_non_finite_load_and_says_how_it_writes_it(tmp_path):
    """summary.json states how it writes what JSON cannot hold, and an infinite hip contact force
    is a warning, not a silent null."""
    import dataclasses
    from hipsim.report.summary import summary
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\n[task]\ntype = "sitting"\n[baseline]\n')
    result = hipsim.run_scenario(path)
    s = summary(result)
    assert "null" in s["json_conventions"] and not any("not a finite number" in w for w in s["warnings"])
    bad = dict(result.scenario.hip_contact_force_ground)
    bad["r"] = bad["r"].copy()
    bad["r"][0, 0] = np.inf
    broken = dataclasses.replace(result, scenario=dataclasses.replace(result.scenario, hip_contact_force_ground=bad))
    s = summary(broken)
    assert any(w.startswith("scenario: the right hip contact force is not a finite number") for w in s["warnings"])
