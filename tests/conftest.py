"""Shared fixtures: the default model and the OpenSim reference folder (skipped when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/reference/opensim relative to the repository root. Tests read it in place.
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "opensim"


@pytest.fixture(scope="session")
def default_model():
    import hipsim
    return hipsim.load_model("default")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"OpenSim reference folder {REFERENCE} is absent")
    return REFERENCE


@pytest.fixture(scope="session")
def opensim():
    return pytest.importorskip("opensim", reason="opensim (pip install opensim==4.6) is not installed")
