"""Hostile but fair scenario input: where results go, how modifiers compose, derived limits, and
result sets that stay whole when a run is interrupted or the disk is full.

Every file is generated in tmp_path. Each bad case states its exit code and the words its one-line
message must contain; none may reach the mechanics.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from hipsim.cli import main


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
