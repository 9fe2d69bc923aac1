"""Hostile but fair scenario input: where results go, how modifiers compose, derived limits, and
result sets that stay whole when a run is interrupted or the disk is full.

Every file is generated in tmp_path. Each bad case states its exit code and the words its one-line
message must contain; none may reach the mechanics.
"""
from __future__ import annotations

import errno
import math
import os
import shutil
from pathlib import Path

import pytest

import hipsim.scenarios.runner as runner
from hipsim.cli import main
from hipsim.model import shipped_model_path
from hipsim.scenarios.runner import prepare_scenario

STANCE = """
name = {name}
[task]
type = "single_leg_stance"
{task}
{mods}
[baseline]
"""
STANDING = STANCE.replace("single_leg_stance", "standing")
SITTING = STANCE.replace("single_leg_stance", "sitting")
GAIT = STANCE.replace("single_leg_stance", "gait")


def mod(type_: str, **kv) -> str:
    lines = [f'type = "{type_}"'] + [f"{k} = {v!r}".replace("'", '"') for k, v in kv.items()]
    return "[[modifiers]]\n" + "\n".join(lines) + "\n"


def scen(template: str, *mods: str, name: str = '"t"', task: str = "") -> str:
    return template.format(name=name, task=task, mods="".join(mods))


WALLET_R = mod("wallet", thickness_cm=2.0, side="r")
TREND = mod("trendelenburg", pelvic_drop_deg=8.0)

# case: (file text, words the message must contain)
BAD: dict[str, tuple[str, tuple[str, ...]]] = {
    # output confinement: the name is an identifier
    "absolute name": (scen(STANCE, name='"/tmp/x"'), ("name", "/tmp/x", "letters, digits")),
    "parent name": (scen(STANCE, name='"../up"'), ("name", "../up", "letters, digits")),
    "dot name": (scen(STANCE, name='"."'), ("name", "'.'", "letters, digits")),
    "slash name": (scen(STANCE, name='"a/b"'), ("name", "a/b", "letters, digits")),
    "NUL in name": (scen(STANCE, name='"a\\u0000b"'), ("name", "letters, digits")),
    "300-character name": (scen(STANCE, name=f'"{"n" * 300}"'), ("name", "1 to 64")),
    "65-character name": (scen(STANCE, name=f'"{"n" * 65}"'), ("name", "1 to 64")),
    "empty name": (scen(STANCE, name='""'), ("name", "1 to 64")),
    "number as name": (scen(STANCE, name="3"), ("name", "3", "letters, digits")),
    "hidden name": (scen(STANCE, name='".hidden"'), ("name", ".hidden")),
    # modifiers that set the same quantity twice
    "two wallets": (scen(SITTING, WALLET_R, mod("wallet", thickness_cm=3.0, side="l")),
                    ("modifiers[1]", "modifiers[0]", "wallet")),
    "two trendelenburg": (scen(STANCE, TREND, mod("trendelenburg", pelvic_drop_deg=4.0)),
                          ("modifiers[1]", "modifiers[0]", "trendelenburg")),
    "two antalgic": (scen(GAIT, mod("antalgic", painful_side="r"), mod("antalgic", painful_side="l")),
                     ("modifiers[1]", "modifiers[0]", "antalgic")),
    "two crossed_legs": (scen(SITTING, mod("crossed_legs", top_side="r"), mod("crossed_legs", top_side="l")),
                         ("modifiers[1]", "modifiers[0]", "crossed_legs")),
    "two leg lengths": (scen(STANDING, mod("leg_length", difference_cm=1.0, short_side="l"),
                             mod("leg_length", difference_cm=2.0, short_side="l")),
                        ("modifiers[1]", "modifiers[0]", "leg_length")),
    "two cambers": (scen(STANDING, mod("camber", camber_deg=2.0, low_side="l"),
                         mod("camber", camber_deg=3.0, low_side="l")), ("modifiers[1]", "modifiers[0]", "camber")),
    "baseline: two wallets": (scen(SITTING).replace("[baseline]", "[baseline]\n" + (WALLET_R + WALLET_R).replace(
        "[[modifiers]]", "[[baseline.modifiers]]")), ("baseline.modifiers[1]", "baseline.modifiers[0]", "wallet")),
    "one muscle, two strengths": (scen(STANCE, mod("weakness", muscles=["gluteus_medius"], strength=0.5),
                                       mod("weakness", muscles=["gluteus_medius"], strength=0.3)),
                                  ("modifiers[1]", "modifiers[0]", "gluteus_medius", "0.3", "0.5")),
    "group and muscle, two strengths": (scen(STANCE, mod("weakness", muscles=["superior_gluteal_nerve"],
                                                         strength=0.5),
                                             mod("weakness", muscles=["gluteus_minimus"], strength=0.3)),
                                        ("modifiers[1]", "modifiers[0]", "gluteus_minimus", "strength")),
    "two compensations": (scen(STANCE, mod("weakness", muscles=["gluteus_medius"], strength=0.5,
                                           compensation="lean"),
                               mod("weakness", muscles=["gluteus_minimus"], strength=0.5, compensation="drop")),
                          ("modifiers[1]", "modifiers[0]", "compensation", "drop", "lean")),
    "task key and modifier": (scen(STANCE, TREND, task="pelvic_drop_deg = 4"),
                              ("modifiers[0]", "task.pelvic_drop_deg", "trendelenburg")),
    "wallet and task obliquity": (scen(SITTING, WALLET_R, task="pelvic_obliquity_deg = 5"),
                                  ("modifiers[0]", "task.pelvic_obliquity_deg", "wallet")),
    # derived limits, in the user's keys
    "6 cm wallet, 8 cm spacing, right": (scen(SITTING, mod("wallet", thickness_cm=6.0, side="r",
                                                           ischial_spacing_cm=8.0)),
                                         ("modifiers[0].thickness_cm = 6", "ischial_spacing_cm = 8",
                                          "pelvic obliquity", "25 degrees")),
    "6 cm wallet, 8 cm spacing, left": (scen(SITTING, mod("wallet", thickness_cm=6.0, side="l",
                                                          ischial_spacing_cm=8.0)),
                                        ("modifiers[0].thickness_cm = 6", "ischial_spacing_cm = 8",
                                         "pelvic obliquity", "25 degrees")),
    "10 degree camber, 0.3 m stance": (scen(STANDING, mod("camber", camber_deg=10.0, low_side="l",
                                                          stance_width_m=0.3)),
                                       ("modifiers[0].camber_deg = 10", "stance_width_m = 0.3", "5.29 cm", "5 cm")),
    "leg length and camber beyond 5 cm": (scen(STANDING, mod("leg_length", difference_cm=3.0, short_side="r"),
                                               mod("camber", camber_deg=10.0, low_side="r", stance_width_m=0.15)),
                                          ("modifiers[1].camber_deg", "modifiers[0]", "5.64 cm", "5 cm")),
    "leg length and task obliquity beyond 25 degrees": (scen(STANDING, mod("leg_length", difference_cm=5.0,
                                                                          short_side="l"),
                                                            task="pelvic_obliquity_deg = 20"),
                                                       ("modifiers[0].difference_cm = 5",
                                                        "task.pelvic_obliquity_deg = 20", "25 degrees")),
}


@pytest.fixture
def no_solving(monkeypatch):
    monkeypatch.setattr(runner, "_run_task", lambda *a, **k: pytest.fail("a bad scenario reached the mechanics"))


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenario_is_one_line_exit_2_before_any_solving(tmp_path, capsys, no_solving, case):
    text, words = BAD[case]
    path = tmp_path / "s.toml"
    path.write_text(text)
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet", "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in (str(path), *words):
        assert w in lines[0], (w, lines[0])
    assert list(out.iterdir()) == []  # nothing written anywhere under --out
    assert not (Path("/tmp/x") / "summary.json").exists() or case != "absolute name"


@pytest.mark.parametrize("name", ["a", "A-b_9", "n" * 64, "wallet-2"])
def test_identifier_names_are_accepted(tmp_path, name):
    path = tmp_path / "s.toml"
    path.write_text(scen(STANCE, name=f'"{name}"'))
    assert prepare_scenario(path).spec.name == name


def _kw(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return prepare_scenario(path).plan.kwargs


@pytest.mark.parametrize("short, low, expect_sign", [("l", "l", 1), ("r", "r", -1), ("l", "r", 0)])
def test_leg_length_and_camber_add_as_functional_leg_length_differences(tmp_path, short, low, expect_sign):
    """A 1 cm short leg and a 4 degree camber under 25 cm feet (25 tan 4 = 1.748 cm): on the same side
    they add, on opposite sides they subtract (the camber then lowers the long leg's foot)."""
    kw = _kw(scen(STANDING, mod("leg_length", difference_cm=1.0, short_side=short),
                  mod("camber", camber_deg=4.0, low_side=low, stance_width_m=0.25)), tmp_path)
    camber = 0.25 * math.tan(math.radians(4.0))
    total = 0.01 + camber if short == low else camber - 0.01
    assert kw["leg_length_difference_m"] == pytest.approx(abs(total), rel=1e-9)
    assert kw["short_side"] == (short if expect_sign else low)


def test_weakness_of_one_muscle_at_one_strength_twice_is_accepted(tmp_path):
    kw_path = tmp_path / "s.toml"
    kw_path.write_text(scen(STANCE, mod("weakness", muscles=["superior_gluteal_nerve"], strength=0.4),
                            mod("weakness", muscles=["gluteus_medius"], strength=0.4)))
    prep = prepare_scenario(kw_path)
    assert prep.plan.strength and set(prep.plan.strength.values()) == {0.4}


@pytest.mark.parametrize("thickness", [0.5, 2.0, 4.0])
def test_wallet_obliquity_is_symmetric(tmp_path, thickness):
    """The same wallet in the left pocket tilts the pelvis as far as in the right, the other way
    (the 4 cm left wallet was refused against an asymmetric limit)."""
    r = _kw(scen(SITTING, mod("wallet", thickness_cm=thickness, side="r")), tmp_path)["pelvic_obliquity_deg"]
    left = _kw(scen(SITTING, mod("wallet", thickness_cm=thickness, side="l")), tmp_path)["pelvic_obliquity_deg"]
    assert r > 0 and left == pytest.approx(-r, rel=1e-12)


def test_relative_model_path_resolves_against_the_scenario_folder(tmp_path, monkeypatch):
    sub = tmp_path / "study"
    sub.mkdir()
    shutil.copyfile(shipped_model_path("default"), sub / "my_model.toml")
    path = sub / "s.toml"
    path.write_text('model = "my_model.toml"\n' + scen(STANCE))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    prep = prepare_scenario(path)
    assert Path(prep.spec.model) == sub / "my_model.toml"


def test_duplicate_names_in_one_run_are_refused_naming_both_files(tmp_path, capsys, no_solving):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(scen(STANCE, name='"same"'))
    b.write_text(scen(STANCE, mod("carry", mass_kg=5.0, side="l"), name='"same"'))
    out = tmp_path / "out"
    code = main(["run", str(a), str(b), "--out", str(out), "--quiet", "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2 and str(a) in err and str(b) in err and "same" in err, err
    assert list(out.iterdir()) == []


def test_a_bad_third_scenario_stops_the_run_before_any_solving(tmp_path, capsys, no_solving):
    """`hipsim run a b c` with c bad: the message names c, and nothing of a, b or c is written."""
    files = []
    for n in ("a", "b", "c"):
        p = tmp_path / f"{n}.toml"
        p.write_text(scen(STANDING, mod("camber", camber_deg=10.0 if n == "c" else 2.0, low_side="l",
                                        stance_width_m=0.3), name=f'"{n}"'))
        files.append(str(p))
    out = tmp_path / "out"
    code = main(["run", *files, "--out", str(out), "--quiet", "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2 and files[2] in err and files[0] not in err, err
    assert list(out.iterdir()) == []


def test_a_scenario_failing_while_solving_is_named_and_nothing_of_it_is_written(tmp_path, capsys, monkeypatch):
    from hipsim.errors import InputError
    files = []
    for n in ("a", "b"):
        p = tmp_path / f"{n}.toml"
        p.write_text(scen(STANCE, name=f'"{n}"'))
        files.append(str(p))
    import hipsim.cli as cli

    def fake_run(prep, quiet):
        raise InputError("argument: something = 1 is not allowed; a test.")
    monkeypatch.setattr(cli, "_run_with_progress", fake_run)
    out = tmp_path / "out"
    code = main(["run", *files, "--out", str(out), "--quiet", "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2 and files[0] in err and "nothing of it was written" in err, err
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- atomic result sets

@pytest.fixture(scope="module")
def result():
    from hipsim.scenarios import run_scenario
    return run_scenario("trunk_lean")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def old_set(tmp_path, result):
    """A complete earlier result set under out/trunk_lean, with a marker only the old set has."""
    from hipsim.report.summary import write_outputs
    target = tmp_path / "out" / "trunk_lean"
    write_outputs(result, target, plots=False)
    for f in target.iterdir():  # the old set differs from any new one, file by file
        f.write_bytes(b"old " + f.read_bytes())
    (target / "old_marker.txt").write_text("old")
    return target, _snapshot(target)


def _run_cli(tmp_path, monkeypatch, result) -> int:
    import hipsim.cli as cli
    monkeypatch.setattr(cli, "_run_with_progress", lambda prep, quiet: result)
    return main(["run", "trunk_lean", "--out", str(tmp_path / "out"), "--quiet", "--no-plots"])


def _fail_on_second_write(monkeypatch, exc: BaseException):
    import hipsim.report.summary as summary
    real = summary.atomic_write_text
    calls = []

    def writer(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise exc
        return real(path, text)
    monkeypatch.setattr(summary, "atomic_write_text", writer)
    return calls


@pytest.mark.parametrize("err, words", [
    (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "fibres.csv"), ("No space left",)),
    (PermissionError(errno.EACCES, os.strerror(errno.EACCES), "fibres.csv"), ("Permission denied",)),
    (OSError(errno.EROFS, os.strerror(errno.EROFS), "fibres.csv"), ("Read-only",)),
])
def test_unwritable_target_midway_is_exit_2_naming_the_path_and_keeps_the_old_set(tmp_path, monkeypatch, capsys,
                                                                                  result, old_set, err, words):
    target, before = old_set
    calls = _fail_on_second_write(monkeypatch, err)
    code = _run_cli(tmp_path, monkeypatch, result)
    msg = capsys.readouterr().err
    assert len(calls) == 2  # the failure came midway through the set
    assert code == 2 and str(target) in msg and "Traceback" not in msg, msg
    assert all(w in msg for w in words), msg
    assert len([ln for ln in msg.splitlines() if ln.strip()]) == 1
    assert _snapshot(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["trunk_lean"]  # no temporary folder left


def test_interrupt_midway_keeps_the_old_set(tmp_path, monkeypatch, capsys, result, old_set):
    target, before = old_set
    _fail_on_second_write(monkeypatch, KeyboardInterrupt())
    assert _run_cli(tmp_path, monkeypatch, result) == 130
    assert _snapshot(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["trunk_lean"]


def test_interrupt_between_the_renames_puts_the_old_set_back(tmp_path, monkeypatch, result, old_set):
    import hipsim.report.summary as summary
    target, before = old_set
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if Path(dst) == target and ".tmp-" in Path(src).name:  # the new set's rename, the old set renamed away
            raise KeyboardInterrupt
        return real(src, dst)
    monkeypatch.setattr(summary.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        summary.write_outputs(result, target, plots=False)
    monkeypatch.setattr(summary.os, "replace", real)
    assert _snapshot(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["trunk_lean"]


def test_a_complete_new_set_replaces_the_old_one(tmp_path, result, old_set):
    from hipsim.report.summary import write_outputs
    target, before = old_set
    written = write_outputs(result, target, plots=False)
    now = _snapshot(target)
    assert "old_marker.txt" not in now and set(now) == {p.name for p in written}
    assert sorted(p.name for p in target.parent.iterdir()) == ["trunk_lean"]


def test_stale_temporary_folders_of_a_killed_run_are_removed(tmp_path, result, old_set):
    from hipsim.report.summary import write_outputs
    target, _ = old_set
    for stale in (".trunk_lean.tmp-dead0001", ".trunk_lean.old-dead0002"):
        (target.parent / stale).mkdir()
        (target.parent / stale / "summary.json").write_text("{}")
    (target.parent / ".other.tmp-keep").mkdir()  # another scenario's folder: not ours to touch
    write_outputs(result, target, plots=False)
    assert sorted(p.name for p in target.parent.iterdir()) == [".other.tmp-keep", "trunk_lean"]


def test_a_set_renamed_away_by_a_killed_run_is_put_back(tmp_path, result, old_set):
    """Killed between the two renames: the old set sits in .NAME.old-*, the target is missing; the
    next run puts it back before writing (and then replaces it whole)."""
    from hipsim.report.summary import _sweep_stale
    target, before = old_set
    os.replace(target, target.parent / ".trunk_lean.old-dead0003")
    _sweep_stale(target)
    assert _snapshot(target) == before
