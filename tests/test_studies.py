"""Studies (issue 19): the batched stance against hipsim.single_leg_stance, the Sobol estimator on
the Ishigami function, bad study files, resuming after SIGINT and surviving a killed worker."""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hipsim
from hipsim.anatomy import FIBRE_GROUPS
from hipsim.cli import main
from hipsim.studies.batch import ANGLES, StanceInputs, stance_batch, stance_pose_batch
from hipsim.tasks.stance import stance_pose

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["gait2392", "lai_uhlrich2023"])
def batch_model(request):
    """gait2392 (free subtalar joints) and the default model (locked subtalar joints: the stance
    balances with one unknown less, as hipsim.tasks.stance.balance_over_foot does)."""
    return hipsim.load_model(request.param)


# --------------------------------------------------------------------------- the batched stance

def test_batched_stance_equals_single_leg_stance(batch_model):
    """Random subjects (mass and height), bags, postures and weak gluteus medius: each sample of one
    batched call gives the forces, hip contact forces and pose of its own single_leg_stance."""
    m = batch_model
    rng = np.random.default_rng(7)
    n = 4
    mass, height = rng.uniform(48, 115, n), rng.uniform(1.52, 1.98, n)
    bag, drop, lean = rng.uniform(0, 18, n), rng.uniform(-4, 9, n), rng.uniform(-5, 10, n)
    weak = rng.uniform(0.3, 1.0, n)
    angles = {a: np.zeros(n) for a in ANGLES}
    angles |= {"pelvic_drop_deg": drop, "trunk_lean_deg": lean, "swing_hip_flexion_deg": np.full(n, 30.0),
               "swing_knee_flexion_deg": np.full(n, 60.0)}
    gmed = [f"gluteus_medius_{p}_r" for p in ("anterior", "middle", "posterior")]
    strength = np.ones((n, m.n_muscles))
    strength[:, [m.muscle_index(g) for g in gmed]] = weak[:, None]
    out = stance_batch(m, StanceInputs("r", mass, height, angles, np.full(n, 0.05), [("hand", "l", bag)], strength))
    assert list(out.status) == ["ok"] * n
    for i in range(n):
        r = hipsim.single_leg_stance(m, subject=hipsim.Subject(mass[i], height[i]), pelvic_drop_deg=drop[i],
                                     trunk_lean_deg=lean[i], loads=[hipsim.Load("hand", "l", bag[i])],
                                     strength={g: weak[i] for g in gmed})
        # The batch solves in the model's own geometry and scales. OpenSim's cylinder-wrap tangency
        # search (the gastrocnemii of the full-body model) is iterative, so a scaled model's lengths
        # are s times the reference's only to about 3e-7 (moment arms 6e-5); forces then differ by up
        # to 1.5e-4 of themselves and the hip contact force by 4e-5 (measured over these samples).
        tol = 1e-6 if not m.spec.wrap_objects else 1e-3
        np.testing.assert_allclose(out.forces[i], r.muscle_forces[0], rtol=tol, atol=1e-6)
        for s in ("r", "l"):
            np.testing.assert_allclose(out.hip_contact[s][i], r.hip_contact_force_ground[s][0],
                                       rtol=1e-8 if not m.spec.wrap_objects else 1e-4, atol=1e-6)
        assert out.extra["body_pitch_deg"][i] == pytest.approx(r.parameters["body_pitch_deg"], abs=1e-7)
        assert out.beyond_muscles[i] == r.beyond_muscles


def test_repeated_samples_are_solved_once_and_each_gets_its_row(batch_model, monkeypatch):
    """stance_batch_unique solves the distinct samples only (counted through stance_batch) and gives
    every sample, repeated or not, the result stance_batch gives it."""
    import hipsim.studies.batch as B
    m = batch_model
    rng = np.random.default_rng(3)
    n = 3
    angles = {a: np.zeros(n) for a in ANGLES} | {"pelvic_drop_deg": rng.uniform(-4, 8, n)}
    inp = StanceInputs("r", rng.uniform(50, 100, n), np.full(n, 1.75), angles, np.full(n, 0.05),
                       [("hand", "l", rng.uniform(0, 10, n))], np.ones((n, m.n_muscles)))
    rows = np.array([2, 0, 2, 1, 0, 2])
    rep = StanceInputs("r", inp.mass_kg[rows], inp.height_m[rows], {a: v[rows] for a, v in angles.items()},
                       inp.com_ahead_m[rows], [("hand", "l", inp.loads[0][2][rows])], inp.strength[rows])
    solved = []
    real = B.stance_batch
    monkeypatch.setattr(B, "stance_batch", lambda model, x, threads=None: solved.append(x.n) or real(model, x, threads))
    got = B.stance_batch_unique(m, rep)
    assert solved == [n]
    want = real(m, rep)
    for f in ("activations", "forces", "fiber_forces", "norm_fiber_length", "f0", "body_weight_n", "max_reserve_nm"):
        np.testing.assert_allclose(getattr(got, f), getattr(want, f), rtol=1e-12, atol=1e-12)
    for s in ("r", "l"):
        np.testing.assert_allclose(got.hip_contact[s], want.hip_contact[s], rtol=1e-12, atol=1e-9)
    assert list(got.status) == list(want.status)
    np.testing.assert_array_equal(got.beyond_muscles, want.beyond_muscles)
    np.testing.assert_allclose(got.extra["body_pitch_deg"], want.extra["body_pitch_deg"], rtol=1e-12, atol=1e-12)


def test_batched_stance_flags_a_posture_beyond_the_muscles(batch_model):
    """Abductors at 10 % of their strength cannot hold the pelvis: flagged as single_leg_stance flags it."""
    from hipsim.tasks.stance import ABDUCTORS
    m = batch_model
    weak = [m.muscle_index(f"{a}_r") for a in ABDUCTORS]
    strength = np.ones((2, m.n_muscles))
    strength[1, weak] = 0.1
    angles = {a: np.zeros(2) for a in ANGLES} | {"swing_hip_flexion_deg": np.full(2, 30.0),
                                                 "swing_knee_flexion_deg": np.full(2, 60.0)}
    out = stance_batch(m, StanceInputs("r", np.full(2, 75.0), np.full(2, 1.8), angles, np.full(2, 0.05), [],
                                       strength))
    r = hipsim.single_leg_stance(m, strength={f"{a}_r": 0.1 for a in ABDUCTORS})
    assert r.beyond_muscles and list(out.beyond_muscles) == [False, True]


def test_stance_pose_batch_equals_stance_pose(batch_model):
    vals = {"pelvic_drop_deg": 7.0, "trunk_lean_deg": -3.0, "hip_flexion_deg": 12.0, "hip_rotation_deg": -5.0,
            "swing_hip_flexion_deg": 40.0, "swing_knee_flexion_deg": 70.0}
    for side in ("r", "l"):
        batch = stance_pose_batch(batch_model, side, {k: np.array([v]) for k, v in vals.items()})
        np.testing.assert_array_equal(batch, stance_pose(batch_model, side, **vals))


def test_unbalanced_sample_is_marked_not_nan_silently(batch_model):
    """A posture that cannot balance within the joints' ranges gets a status, and no numbers."""
    m = batch_model
    angles = {a: np.zeros(2) for a in ANGLES} | {"hip_flexion_deg": np.array([0.0, 89.0]),
                                                 "hip_rotation_deg": np.array([0.0, 40.0])}
    out = stance_batch(m, StanceInputs("r", np.full(2, 75.0), np.full(2, 1.8), angles, np.array([0.05, 0.11]),
                                       [("hand", "l", np.array([0.0, 60.0]))], np.ones((2, m.n_muscles))))
    assert out.status[0] == "ok" and out.status[1] != "ok"
    assert np.isfinite(out.forces[0]).all() and np.isnan(out.forces[1]).all()


# --------------------------------------------------------------------------- the Sobol estimator

def test_sobol_estimator_on_ishigami():
    """Ishigami function, a = 7, b = 0.1 (Ishigami & Homma 1990; indices from Sobol' & Levitan 1999):
    S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437."""
    from SALib.sample import sobol as sobol_sample
    from hipsim.studies.summary import sobol_indices
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3,
               "dists": ["unif"] * 3}
    x = sobol_sample.sample(problem, 4096, calc_second_order=False, seed=3)
    y = np.sin(x[:, 0]) + 7.0 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    si = sobol_indices(problem, y, seed=3)
    np.testing.assert_allclose(si["S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(si["ST"], [0.5576, 0.4424, 0.2437], atol=0.03)
    assert all(0 < c < 0.1 for c in si["S1_conf"] + si["ST_conf"])


# --------------------------------------------------------------------------- bad study files

GOOD = """
name = "t"
scenario = "bag_opposite_hand"
seed = 1
[design]
type = "monte_carlo"
samples = 8
[[parameters]]
key = "subject.mass_kg"
low = 60
high = 90
"""


@pytest.mark.parametrize("change, key", [
    (("seed = 1", "seed = 1\ncolour = \"red\""), "colour"),                                  # unknown top key
    (("key = \"subject.mass_kg\"", "key = \"subject.shoe_size\""), "parameters[0].key"),      # unknown parameter
    (("high = 90", "high = 400"), "parameters[0].high"),                                    # beyond mass limits
    (("low = 60", "low = 60\nspread = 3"), "parameters[0].spread"),                         # unknown parameter key
    (("samples = 8", "samples = 0"), "design.samples"),                                     # no samples
    (("[[parameters]]\nkey = \"subject.mass_kg\"\nlow = 60\nhigh = 90", "parameters = []"), "parameters"),
    (("type = \"monte_carlo\"\nsamples = 8", "type = \"saltelli\"\nsamples = 10"), "design.samples"),
])
def test_bad_study_files_exit_2_with_one_sentence(tmp_path, capsys, change, key):
    text = GOOD.replace(*change)
    assert text != GOOD
    if key == "parameters":  # an empty list must come before the design table in TOML
        text = text.replace("parameters = []", "").replace("seed = 1", "seed = 1\nparameters = []")
    f = tmp_path / "bad.toml"
    f.write_text(text)
    code = main(["study", str(f), "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err
    assert str(f) in err and f"{key} = " in err


def test_good_study_file_dry_run(tmp_path, capsys):
    f = tmp_path / "good.toml"
    f.write_text(GOOD)
    assert main(["study", str(f), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "8 samples" in out and "estimated time" in out


@pytest.mark.slow
def test_dry_run_estimates_the_results_folder_size(tmp_path, client):
    """The dry run's output size against the parquet files a run writes (chunks and table): within
    a factor of 1.5 either way, on a study of several chunks."""
    from hipsim.studies.engine import dry_run, run_study
    f = _study(tmp_path, "size", 300, 100)
    est = dry_run(f).estimated_bytes
    run_study(f, tmp_path / "out", client=client)
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*.parquet"))
    assert written / 1.5 < est < written * 1.5, (est, written)


@pytest.mark.parametrize("design, runs", [
    ('type = "grid"\nlevels = 3', 9), ('type = "latin_hypercube"\nsamples = 10', 10),
    ('type = "saltelli"\nsamples = 8', 32), ('type = "monte_carlo"\nsamples = 5', 5)])
def test_designs_give_their_sample_counts_inside_the_ranges(tmp_path, design, runs):
    from hipsim.studies.schema import design_matrix, read_study
    f = tmp_path / "d.toml"
    f.write_text(GOOD.replace("type = \"monte_carlo\"\nsamples = 8", design) + OFFSET.replace(
        "attachment_offset_mm.gluteus_minimus_anterior.insertion.y", "task.trunk_lean_deg"))
    spec = read_study(f)
    x = design_matrix(spec)
    assert spec.n_runs == runs and x.shape == (runs, 2)
    assert (x[:, 0] >= 60).all() and (x[:, 0] <= 90).all() and (x[:, 1] >= -5).all() and (x[:, 1] <= 5).all()
    if "grid" in design:  # a uniform grid spans each range end to end
        assert sorted(set(x[:, 0])) == [60.0, 75.0, 90.0]
    np.testing.assert_array_equal(x, design_matrix(read_study(f)))  # the seed fixes the samples


def test_normal_distribution_stays_inside_the_rule(tmp_path):
    """A normal distribution is truncated at the key's limits: every sample is a valid input."""
    from hipsim.studies.schema import design_matrix, read_study
    f = tmp_path / "n.toml"
    f.write_text(GOOD.replace("low = 60\nhigh = 90", "distribution = \"normal\"\nmean = 240\nsd = 40"))
    x = design_matrix(read_study(f))
    assert x.shape == (8, 1) and (x <= 250).all() and (x >= 20).all()


# --------------------------------------------------------------------------- running on Dask

SMALL = """
name = "small"
scenario = "bag_opposite_hand"
seed = 5
[design]
type = "monte_carlo"
samples = {samples}
chunk_size = {chunk}
[[parameters]]
key = "subject.mass_kg"
low = 55
high = 100
[[parameters]]
key = "modifiers[0].mass_kg"
low = 0
high = 12
{extra}
"""
#: An attachment offset makes each sample its own geometry (a model per sample): slow enough chunks
#: to interrupt mid-study.
OFFSET = """[[parameters]]
key = "attachment_offset_mm.gluteus_minimus_anterior.insertion.y"
low = -5
high = 5
"""


def _study(tmp_path: Path, name: str, samples: int, chunk: int, extra: str = "") -> Path:
    f = tmp_path / f"{name}.toml"
    f.write_text(SMALL.format(samples=samples, chunk=chunk, extra=extra).replace('"small"', f'"{name}"'))
    return f


@pytest.fixture(scope="module")
def client():
    from hipsim.studies.engine import make_client
    c = make_client(workers=2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def _complete(table: pd.DataFrame, n: int) -> None:
    """Every sample once, with one row per fibre group and side."""
    counts = table.groupby("sample").size()
    assert list(counts.index) == list(range(n))
    assert (counts == 2 * len(FIBRE_GROUPS)).all()
    assert not table.duplicated(["sample", "muscle", "side"]).any()


@pytest.mark.slow
def test_killed_worker_loses_nothing(tmp_path, client):
    """SIGKILL one worker after the first chunk: the study completes with every sample once, equal
    to a run without the kill; a resumed run computes nothing."""
    from hipsim.studies.engine import run_study
    f = _study(tmp_path, "kill", 96, 8)
    ref = run_study(f, tmp_path / "ref", client=client)
    killed: list[int] = []

    def progress(done: int, total: int) -> None:
        if done > 0 and not killed:
            pids = client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    run = run_study(f, tmp_path / "kill", client=client, progress=progress)
    assert killed
    table = hipsim.read_study(run.folder)
    _complete(table, 96)
    pd.testing.assert_frame_equal(table, hipsim.read_study(ref.folder))
    again = run_study(f, tmp_path / "kill", client=client)
    assert again.computed == 0 and again.resumed == run.n_chunks


@pytest.mark.slow
def test_interrupted_study_resumes_to_the_same_table(tmp_path, client):
    """SIGINT to `hipsim study` after some chunks; the same command again finishes the study, and
    the table equals an uninterrupted run's."""
    from hipsim.studies.engine import run_study
    f = _study(tmp_path, "intr", 160, 4, OFFSET)
    ref = run_study(f, tmp_path / "ref", client=client)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "hipsim.cli", "study", str(f), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    chunks = out / "intr" / "chunks"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(chunks.glob("chunk_*.parquet"))) < 3 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the study finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    kept = len(list(chunks.glob("chunk_*.parquet")))
    assert 3 <= kept < 40 and not (out / "intr" / "results.parquet").exists()
    again = run_study(f, out, client=client)
    assert again.resumed == kept and again.computed == 40 - kept
    table = hipsim.read_study(out / "intr")
    _complete(table, 160)
    pd.testing.assert_frame_equal(table, hipsim.read_study(ref.folder))


@pytest.mark.slow
def test_scheduler_flag_runs_on_an_existing_cluster(tmp_path, client, capsys):
    """`--scheduler ADDRESS` sends the study to a running cluster (here the fixture's local one)."""
    f = _study(tmp_path, "remote", 24, 8)
    assert main(["study", str(f), "--out", str(tmp_path), "--scheduler", client.scheduler.address, "--quiet"]) == 0
    _complete(hipsim.read_study(tmp_path / "remote"), 24)
    assert len(client.scheduler_info()["workers"]) == 2  # the cluster is still there for others


def _direct_study(scenario: str, samples: int, extra: str = "") -> str:
    """A Monte Carlo study of ``scenario`` over body mass (55-100 kg) and the ``extra`` parameters."""
    return (f'name = "{Path(scenario).stem}_direct"\nscenario = "{scenario}"\nseed = 3\n'
            f'[design]\ntype = "monte_carlo"\nsamples = {samples}\n'
            f'[[parameters]]\nkey = "subject.mass_kg"\nlow = 55\nhigh = 100\n{extra}')


GAIT = _direct_study("trendelenburg_gait", 4, """[[parameters]]
key = "modifiers[0].drop_scale"
low = 1.5
high = 2.5
[[parameters]]
key = "strength.gluteus_medius"
low = 0.4
high = 1.0
[[parameters]]
key = "task.steps_per_day"
low = 3000
high = 12000
""")
STANDING = _direct_study("prolonged_standing", 3, """[[parameters]]
key = "task.hold_s"
low = 600
high = 1800
""")
BAG_WALK = _direct_study("shoulder_bag_walk", 3)


def _weakness(strength: float) -> str:
    return (f'type = "weakness"\nmuscles = ["gluteus_medius"]\nside = "both"\nstrength = {strength!r}\n'
            'compensation = "none"\n')


#: A scenario file beside its study: walking the measured adult cycle, with a larger pelvic drop.
MEASURED_SCENARIO = """name = "measured_drop"
title = "The measured walk with a larger pelvic drop"
description = "Walking the mean measured adult cycle with one and a half times its pelvic drop."
[task]
type = "gait"
cycle = "measured"
steps_per_day = 7000
[[modifiers]]
type = "trendelenburg"
drop_scale = 1.5
[baseline]
"""
MEASURED = _direct_study("measured_drop.toml", 3, """[[parameters]]
key = "strength.gluteus_medius"
low = 0.4
high = 1.0
""")


def _direct_text(scenario: Path, keys: list[str], x: np.ndarray) -> str:
    """Sample ``x`` of a study over ``keys`` written as the scenario file it stands for."""
    import re
    text = scenario.read_text()
    for key, v in zip(keys, (float(v) for v in x), strict=True):
        if key == "strength.gluteus_medius":
            # a model strength weakens the muscles of the scenario and of its baseline alike
            text = text.replace("[baseline]", f"[[modifiers]]\n{_weakness(v)}\n[baseline]\n"
                                f"[[baseline.modifiers]]\n{_weakness(v)}")
        elif key != "subject.mass_kg":
            name = key.split(".")[-1]
            text = re.sub(rf"(?m)^{name} = .*$", f"{name} = {v!r}", text, count=1)
    return text + f"\n[subject]\nmass_kg = {float(x[0])!r}\n"


@pytest.mark.slow
@pytest.mark.parametrize("study, design, walks, solved", [
    (GAIT, [[61.3, 2.2, 1.0, 7000.0], [61.3, 1.7, 0.5, 4000.0], [93.9, 2.2, 0.7, 11000.0],
            [75.0, 2.2, 0.45, 3000.0]], True, 3),
    (BAG_WALK, [[61.3], [93.9], [61.3]], True, 3),
    (MEASURED, [[61.3, 1.0], [93.9, 0.5], [75.0, 0.7]], True, 2),
    (STANDING, [[61.3, 1500.0], [61.3, 900.0], [93.9, 1500.0]], False, 2),
], ids=["walking", "walking_with_a_bag", "walking_measured", "standing"])
def test_study_rows_equal_each_samples_own_scenario(tmp_path, monkeypatch, study, design, walks, solved):
    """A study's rows against each sample's scenario file run directly (hipsim.run_scenario, the
    walking cycles fitted afresh): equal within 1e-9 relative.

    Walking: samples 0, 2 and 3 differ only in body mass, gluteus medius strength and steps per
    day, so they share one solved scenario walk with their own mass, strengths and exposure put in
    (hipsim.studies.evaluate's walking path); sample 1 has its own drop, and all four share the
    baseline walk: three walks solved. The measured adult cycle is shared alike (its kinematics and ground reactions per
    kilogram do not depend on body mass either): 2 walks. With a carried bag the body mass changes
    the walk (the bag's share of the whole mass), so only samples of equal mass share one: 2 scenario
    walks and 1 baseline walk (without the bag, mass is shared again). Standing runs each sample as
    a scenario; its baseline depends on the body mass only (the hold time is the scenario's), so
    sample 1 reuses sample 0's, bit for bit the direct run's."""
    import importlib

    import numba
    from hipsim.scenarios.runner import run_scenario
    from hipsim.studies.engine import one_blas_thread
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    from hipsim.studies.schema import read_study
    from hipsim.analysis.trigger_points import FACTOR_NAMES
    f = tmp_path / "study.toml"
    f.write_text(study)
    (tmp_path / "measured_drop.toml").write_text(MEASURED_SCENARIO)
    spec = read_study(f)
    design = np.array(design)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # a worker's threads, and both runs alike
    try:
        with one_blas_thread():
            ev = Evaluator.build(spec)
            assert not ev.fast and ev.walks == walks
            table = evaluate_chunk(spec, ev, design, 0, len(design))
            assert (ev.walks_solved if walks else ev.baselines_solved) == solved
            # the direct runs fit their walks anew (hipsim.motion exports a function of the module's name)
            ng = importlib.import_module("hipsim.motion.normative_gait")
            monkeypatch.setattr(ng, "_CACHE", {})
            monkeypatch.setattr(ng, "_FIT_CACHE", {})
            direct = []
            for i, x in enumerate(design):
                g = tmp_path / f"sample{i}.toml"
                g.write_text(_direct_text(spec.scenario_path, spec.names, x))
                direct.append(run_scenario(g))
    finally:
        numba.set_num_threads(threads)
    assert len(table) == len(design) * 2 * len(FIBRE_GROUPS)
    for i, res in enumerate(direct):
        assert res.spec.subject["mass_kg"] == design[i, 0]
        rows = table[table["sample"] == i].set_index(["muscle", "side"])
        met = res.metrics.set_index(["muscle", "side"]).loc[rows.index]
        ind = res.indices.set_index(["muscle", "side"]).loc[rows.index]
        numeric = [c for c in rows.columns if c in met.columns and c not in ("held",)
                   and pd.api.types.is_float_dtype(met[c])]
        assert len(numeric) > 40
        np.testing.assert_allclose(rows[numeric].to_numpy(float), met[numeric].to_numpy(float), rtol=1e-9, atol=0)
        np.testing.assert_allclose(rows[list(FACTOR_NAMES)].to_numpy(float), ind[list(FACTOR_NAMES)].to_numpy(float),
                                   rtol=1e-9, atol=0)
        for suffix, task in (("", res.scenario), ("_baseline", res.baseline)):
            peak = task.hip_contact_force_bw.max(axis=0)
            want = np.array([float(peak[s]) for _, s in rows.index])
            np.testing.assert_allclose(rows["hip_contact_force_bw" + suffix].to_numpy(float), want, rtol=1e-9, atol=0)
            np.testing.assert_allclose(rows["hip_contact_force_n" + suffix].to_numpy(float),
                                       want * task.body_weight_n, rtol=1e-9, atol=0)
            assert (rows["status" + suffix] == ("ok" if np.all(task.solver_converged) else "not_converged")).all()
            assert (rows["beyond_muscles" + suffix] == bool(task.beyond_muscles)).all()
        if i == 1 and not walks:  # its baseline is sample 0's, reused: bit for bit the direct run's own
            base = [c for c in numeric if c.endswith("_baseline")]
            np.testing.assert_array_equal(rows[base].to_numpy(float), met[base].to_numpy(float))
    # the varied inputs reach the task: the samples' daily loads differ
    daily = table.groupby("sample")["impulse_per_day_ns"].sum().to_numpy()
    assert len(set(daily)) == len({tuple(x) for x in design})


def test_read_study_has_every_input_column(tmp_path):
    """A tiny study run in-process (no cluster): the tidy table and summary.json."""
    from hipsim.studies.engine import RESULTS, write_parquet
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    from hipsim.studies.schema import design_matrix, read_study
    f = _study(tmp_path, "tiny", 3, 3)
    spec = read_study(f)
    df = evaluate_chunk(spec, Evaluator.build(spec), design_matrix(spec), 0, 3)
    write_parquet(df, tmp_path / RESULTS)
    table = hipsim.read_study(tmp_path)
    assert {"subject.mass_kg", "modifiers[0].mass_kg", "muscle", "side", "peak_force_n", "hip_contact_force_bw",
            "acute_overload"} <= set(table.columns)
    _complete(table, 3)
    heavy = table[(table.side == "r") & (table.muscle == "gluteus_medius_middle")]
    # more body mass and a heavier bag load the stance-side abductors more than the baseline
    assert (heavy.peak_force_n > heavy.peak_force_n_baseline).all()


def test_synchronous_run_resumes_and_refuses_another_study_in_its_folder(tmp_path):
    """Without Dask (scheduler "synchronous"): a run stopped after one chunk resumes to the full
    table; the same folder refuses a study with another seed (exit 2 from the command line)."""
    from hipsim.errors import InputError
    from hipsim.studies.engine import run_study
    f = _study(tmp_path, "sync", 6, 3)
    first = run_study(f, tmp_path, scheduler="synchronous", max_chunks=1)
    assert first.computed == 1 and not (first.folder / "results.parquet").exists()
    second = run_study(f, tmp_path, scheduler="synchronous")
    assert second.resumed == 1 and second.computed == 1
    _complete(hipsim.read_study(second.folder), 6)
    f.write_text(f.read_text().replace("seed = 5", "seed = 6"))
    with pytest.raises(InputError, match="different study"):
        run_study(f, tmp_path, scheduler="synchronous")
    assert main(["study", str(f), "--out", str(tmp_path), "--quiet"]) == 2


def test_shipped_studies_are_valid():
    from hipsim.studies.schema import read_study
    for f in sorted((ROOT / "studies").glob("*.toml")):
        spec = read_study(f)
        assert spec.n_runs >= 10_000, f


def test_readme_or_docs_show_the_commands():
    text = (ROOT / "README.md").read_text() + (ROOT / "docs" / "how-to" / "studies.md").read_text()
    assert "hipsim study studies/bag_sobol.toml" in text and "--scheduler" in text


_ = textwrap


def test_a_shared_walks_hip_paths_give_its_joint_reaction(tmp_path):
    """The hip reactions of a shared walk's samples through its muscles' unit paths (what a group
    of 16 or more samples uses, hipsim.studies.evaluate._Walk.hip_paths) equal the joint reaction
    computed over the samples' own frames, to 1e-9 relative; the rest of the rows is the same."""
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    from hipsim.studies.schema import read_study
    f = tmp_path / "walk.toml"
    f.write_text(_direct_study("trendelenburg_gait", 2))
    spec = read_study(f)
    ev = Evaluator.build(spec)
    evaluate_chunk(spec, ev, np.array([[70.0]]), 0, 1)
    walk = next(iter(ev._walk_cache.values()))
    rng = np.random.default_rng(3)
    k = np.array([0.8, 1.0, 1.4])
    scale = k[:, None] ** (2 / 3) * rng.uniform(0.4, 1.0, (3, ev.model.n_muscles))
    args = (k, scale, k ** (2 / 3), np.full(3, 3500.0), np.full(3, 600.0))
    through, direct = walk._block(*args, paths=True), walk._block(*args, paths=False)
    assert walk.hip_paths("r") is not None and walk.hip_paths("l") is not None
    np.testing.assert_allclose(through.hip, direct.hip, rtol=1e-9)
    assert not np.array_equal(through.hip[0], through.hip[2])  # the samples differ
    for c, v in direct.metrics.items():
        np.testing.assert_array_equal(through.metrics[c], v)


def test_a_walking_samples_rows_do_not_depend_on_the_samples_before_it(tmp_path):
    """A resumed or re-chunked walking study gives the same bits: a chunk evaluated after another
    (its walks shared with it, solved at another sample's turn) equals the same chunk evaluated by a
    fresh evaluator, alone and split in two."""
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    from hipsim.studies.schema import read_study
    f = tmp_path / "walk.toml"
    f.write_text(_direct_study("trendelenburg_gait", 2, """[[parameters]]
key = "strength.gluteus_minimus"
low = 0.4
high = 1.0
"""))
    spec = read_study(f)
    design = np.array([[58.0, 0.9], [97.0, 0.5], [71.0, 0.6], [83.0, 1.0], [64.0, 0.45]])
    first = Evaluator.build(spec)
    evaluate_chunk(spec, first, design, 0, 2)
    after = evaluate_chunk(spec, first, design, 2, 5)
    alone = evaluate_chunk(spec, Evaluator.build(spec), design, 2, 5)
    split_ev = Evaluator.build(spec)
    split = pd.concat([evaluate_chunk(spec, split_ev, design, 4, 5), evaluate_chunk(spec, split_ev, design, 2, 4)])
    split = split.sort_values("sample", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(after, alone, check_exact=True)
    pd.testing.assert_frame_equal(after.reset_index(drop=True), split, check_exact=True)
