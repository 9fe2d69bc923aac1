"""The hipsim command line: outputs, exit codes, and one clear line per class of bad scenario file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hipsim
from hipsim.cli import main
from hipsim.scenarios import shipped_scenarios

GOOD = """
name = "t"
[task]
type = "single_leg_stance"
side = "r"
[[modifiers]]
type = "carry"
mass_kg = 5
side = "l"
[baseline]
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.slow
def test_every_shipped_scenario_runs_and_writes_its_outputs(tmp_path, capsys):
    """Every shipped scenario runs from the CLI and writes summary.json, fibres.csv, OpenSim
    .sto files and PNG plots."""
    names = sorted(shipped_scenarios())
    assert len(names) >= 10
    assert main(["run", *names, "--out", str(tmp_path), "--quiet"]) == 0
    for n in names:
        d = tmp_path / n
        s = json.loads((d / "summary.json").read_text())
        for key in ("scenario", "task", "subject", "hip_contact_force_bw", "muscles", "reserves", "warnings"):
            assert key in s, (n, key)
        assert set(s["subject"]) >= {"mass_kg", "height_m"}
        assert set(s["hip_contact_force_bw"]["r"]) == {"peak", "mean"}
        g = s["muscles"]["gluteus_minimus_anterior_r"]
        for key in ("peak_activation", "mean_activation", "peak_force_n", "impulse_ns", "pct_change_vs_baseline"):
            assert key in g
        assert "does not diagnose" in s["disclaimer"]
        fib = pd.read_csv(d / "fibres.csv")
        assert {"case", "frame", "muscle", "side", "activation", "force_n"} <= set(fib.columns)
        assert set(fib.case) == {"baseline", "scenario"}
        for f in ("activation.png", "change.png", "frontal.png", "body_chart.png", "scenario_forces.sto",
                  "scenario_coordinates.mot", "baseline_generalized_forces.sto"):
            assert (d / f).stat().st_size > 0, (n, f)


@pytest.mark.slow
def test_console_script_runs_a_shipped_scenario_by_name(tmp_path):
    """The installed console script: `hipsim run wallet` exits 0 and prints the one-screen summary
    with the caveat. The script is the one installed beside this Python (pyproject's
    [project.scripts]), so the entry point itself is exercised, not only the module."""
    script = Path(sys.executable).with_name("hipsim")
    assert script.exists(), f"no console script beside {sys.executable}: install the project (pip install -e .)"
    out = subprocess.run([str(script), "run", "wallet", "--out", str(tmp_path), "--no-plots"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "does not diagnose" in " ".join(out.stdout.split())
    assert (tmp_path / "wallet" / "summary.json").exists()


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "hipsim run wallet" in capsys.readouterr().out


def test_list_commands(capsys):
    assert main(["list"]) == 0
    assert "wallet" in capsys.readouterr().out
    assert main(["list", "muscles"]) == 0
    out = capsys.readouterr().out  # the default model's muscles: descriptive names and OpenSim aliases
    m = hipsim.load_model()
    assert all(n in out for n in ("gluteus_minimus_anterior_r", m.muscle_aliases[m.muscle_index("gluteus_minimus_anterior_r")]))
    assert main(["list", "modifiers"]) == 0
    assert "wallet" in capsys.readouterr().out


# One case per class of malformed scenario file: unknown key, wrong type, unknown
# muscle, negative mass, an angle outside its physiological range, a missing baseline.
BAD = {
    "unknown key": (GOOD.replace('side = "r"\n[[mod', 'side = "r"\nwobble = 3\n[[mod'), "task.wobble", "3"),
    "wrong type": (GOOD.replace("mass_kg = 5", 'mass_kg = "five"'), "modifiers[0].mass_kg", "five"),
    "unknown muscle": (GOOD.replace('type = "carry"\nmass_kg = 5\nside = "l"',
                                    'type = "weakness"\nmuscles = ["gluteus_maximum"]\nstrength = 0.5'),
                       "modifiers[0].muscles", "gluteus_maximum"),
    "negative mass": (GOOD.replace("[baseline]", "[subject]\nmass_kg = -70\n[baseline]"), "subject.mass_kg", "-70"),
    "angle out of range": (GOOD.replace('side = "r"\n[[mod', 'side = "r"\npelvic_drop_deg = 60\n[[mod'),
                           "task.pelvic_drop_deg", "60"),
    "missing baseline": (GOOD.replace("[baseline]", ""), "baseline", "None"),
    "not toml": ("name = [", "file", "s.toml"),
    "unknown modifier": (GOOD.replace('type = "carry"', 'type = "jump"'), "modifiers[0].type", "jump"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_scenario_gives_one_line_and_exit_code_2(tmp_path, capsys, case):
    text, key, value = BAD[case]
    path = write(tmp_path, text)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert str(path) in lines[0] and key in lines[0] and value in lines[0], lines[0]
    assert "Traceback" not in err


def test_unknown_scenario_name_is_exit_2(capsys):
    assert main(["run", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err


@pytest.mark.parametrize("argv, named", [
    (["run", "trunk_lean", "--out", "{file}"], "is a file, not a folder"),
    (["run", "trunk_lean", "--out", "{file}/sub"], "cannot create the folder"),
    (["plot", "trunk_lean", "--kind", "change", "--out", "{file}/x.png"], "is a file, not a folder"),
    (["plot", "trunk_lean", "--kind", "change", "--out", "{dir}/x.jpg"], "a .png file name is required"),
])
def test_unusable_output_path_is_exit_2_before_any_work(monkeypatch, capsys, tmp_path, argv, named):
    """An --out that names a file, or a folder under a file, or a plot that is not a PNG, is the
    user's input: one line, exit 2, and nothing is solved first (no internal error after the run)."""
    import hipsim.scenarios.runner as runner
    monkeypatch.setattr(runner, "_run_task", lambda *a, **k: pytest.fail("solved before checking --out"))
    (tmp_path / "afile").write_text("not a folder")
    argv = [a.format(file=tmp_path / "afile", dir=tmp_path) for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and named in err and "--out" in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_internal_error_is_exit_1(monkeypatch, capsys, tmp_path):
    import hipsim.scenarios.runner as runner

    def boom(*a, **k):
        raise RuntimeError("kaboom")
    monkeypatch.setattr(runner, "_run_task", boom)
    code = main(["run", "trunk_lean", "--out", str(tmp_path), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "kaboom" in err and "Traceback" not in err


@pytest.mark.slow
def test_plot_chosen_fibres_and_gait_frame(tmp_path, capsys):
    """`hipsim plot`: activation of chosen fibres, and the frontal plane at a chosen % of the cycle;
    an unknown fibre name is bad input (exit 2)."""
    out = tmp_path / "a.png"
    assert main(["plot", "trunk_lean", "--kind", "activation", "--fibres", "tensor_fasciae_latae,piriformis",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    out2 = tmp_path / "f.png"
    assert main(["plot", "trendelenburg_gait", "--kind", "frontal", "--percent", "20", "--out", str(out2)]) == 0
    assert out2.stat().st_size > 0
    assert main(["plot", "trunk_lean", "--kind", "activation", "--fibres", "gluteus_maximum"]) == 2
    assert "gluteus_maximum" in capsys.readouterr().err


def _hipsim(*args: str, **kw) -> subprocess.CompletedProcess:
    """The installed console script, with a wide terminal so that rich does not wrap lines."""
    import os
    script = Path(sys.executable).with_name("hipsim")
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "400"}, **kw)


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly_with_exit_0(tmp_path):
    """`hipsim run ... | head -1`: the reader closes the pipe after one line; hipsim stops without
    a word on stderr and with exit status 0 (pipefail reports hipsim's status)."""
    script = Path(sys.executable).with_name("hipsim")
    cmd = (f"set -o pipefail; '{script}' run trendelenburg_stance --out '{tmp_path}' --no-plots 2>'{tmp_path}/err' "
           "| head -1")
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, (tmp_path / "err").read_text()
    assert len(out.stdout.splitlines()) == 1
    assert (tmp_path / "err").read_text() == ""


def test_bare_list_lists_what_help_says(capsys):
    """`hipsim list` prints a section for every kind the help's example line names, each with
    every entry of the code's table for it."""
    import re
    from hipsim.analysis.metrics import METRIC_COLUMNS
    from hipsim.cli import LISTS
    from hipsim.model import SHIPPED
    from hipsim.scenarios import MODIFIER_KEYS, TASK_KEYS
    with pytest.raises(SystemExit):
        main(["--help"])
    line = next(ln.strip() for ln in capsys.readouterr().out.splitlines() if re.match(r"\s*hipsim list\s{2,}", ln))
    said = [k for k in LISTS if re.search(rf"\b{k}\b", line.split(None, 2)[2])]
    entries = {"scenarios": sorted(shipped_scenarios()), "tasks": list(TASK_KEYS), "modifiers": list(MODIFIER_KEYS),
               "metrics": list(METRIC_COLUMNS), "models": list(SHIPPED)}
    assert set(said) == set(entries), line
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    sections = {}
    for ln in out.splitlines():
        if ln and not ln.startswith(" "):
            current = ln.split()[0]
            sections[current] = []
        elif ln.strip():
            sections[current].append(ln.split()[0])
    for kind in said:
        assert kind in sections, kind
        assert set(sections[kind]) == set(entries[kind]), kind


@pytest.mark.slow
def test_run_output_has_a_legend_one_disclaimer_and_mass_to_a_tenth(tmp_path):
    """Two scenarios in one run: the run table's every column is explained in a legend (once), the
    disclaimer and the trigger-point caveat are printed once, and the subject's mass to 0.1 kg."""
    import re
    from hipsim.analysis.trigger_points import CAVEAT
    from hipsim.report.summary import DISCLAIMER
    out = _hipsim("run", "trendelenburg_stance", "trunk_lean", "--out", str(tmp_path), "--no-plots")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(ln for ln in lines if ln.startswith("fibres"))
    columns = re.split(r"\s{2,}", header.strip())
    assert len(columns) >= 8
    legend = [ln.strip() for ln in lines if ln.startswith("  ")]
    for col in columns:
        assert sum(ln.startswith(col + "  ") for ln in legend) == 1, col
    text = " ".join(out.stdout.split())
    assert text.count(" ".join(DISCLAIMER.split())) == 1
    assert text.count(" ".join(CAVEAT.split())) == 1
    masses = re.findall(r"([\d.]+) kg, [\d.]+ m\)", out.stdout)
    assert len(masses) == 2 and all(re.fullmatch(r"\d+\.\d", m) for m in masses), masses


def test_compare_explains_its_symbols(capsys):
    """`hipsim compare` prints "negl." for negligible changes and says what it means."""
    from hipsim.cli import main
    assert main(["compare", "trendelenburg_stance", "trendelenburg_stance"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "negl." in out and '"negl.": a change below 2 %' in out
