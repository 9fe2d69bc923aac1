"""Hostile but fair input files: each is refused with exit code 2 (InputError in Python) and one
sentence naming the file and what is wrong, before any mechanics run.

Every file is generated in ``tmp_path`` from a table below: the case's name, how to build the
file, the exit code and the words the message must contain.
"""
from __future__ import annotations

import copy
import os
import threading
from pathlib import Path
from typing import Callable

import pytest
import tomlkit

from hipsim.cli import main
from hipsim.errors import InputError
from hipsim.fileio import read_toml

SCENARIO = 'name = "hostile"\n{model}[task]\ntype = "single_leg_stance"\n[baseline]\n'


def _scenario(tmp_path: Path, model: Path | None = None) -> Path:
    line = f'model = "{model.as_posix()}"\n' if model is not None else ""
    p = tmp_path / "s.toml"
    p.write_text(SCENARIO.format(model=line), encoding="utf-8")
    return p


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    return code, err


# --------------------------------------------------------------------------- scenario files

def _latin1(p: Path) -> None:
    p.write_bytes('name = "café"\n[task]\ntype = "standing"\n[baseline]\n'.encode("latin-1"))


def _binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 4)


def _deep_arrays(p: Path) -> None:
    p.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")


def _deep_tables(p: Path) -> None:
    p.write_text("a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n")


def _directory(p: Path) -> None:
    p.mkdir()


SCENARIO_FILES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("latin-1", _latin1, ["x.toml", "UTF-8 text"]),
    ("binary", _binary, ["x.toml", "UTF-8 text"]),
    ("100000-deep arrays", _deep_arrays, ["x.toml", "nest"]),
    ("100000-deep inline tables", _deep_tables, ["x.toml", "nest"]),
    ("a directory named x.toml", _directory, ["x.toml", "regular file", "directory"]),
]


@pytest.mark.parametrize("make, words", [c[1:] for c in SCENARIO_FILES], ids=[c[0] for c in SCENARIO_FILES])
def test_hostile_scenario_file_exits_2(tmp_path, capsys, make, words):
    """A scenario file that is not UTF-8 TOML text in a regular file: exit 2, one line naming it."""
    p = tmp_path / "x.toml"
    make(p)
    code, err = _run(["run", str(p), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_named_toml_is_refused_without_waiting(tmp_path):
    """A FIFO named x.toml is refused before it is opened for a blocking read (it would wait
    forever for a writer)."""
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)
    outcome: list[BaseException | object] = []

    def read() -> None:
        try:
            outcome.append(read_toml(fifo, "scenario"))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # release the blocked reader, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(10)
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], InputError)
    assert "x.toml" in str(outcome[0]) and "regular file" in str(outcome[0]) and "FIFO" in str(outcome[0])
