"""Shared fixtures: the default model, gait2392 and the OpenSim reference folder (skipped when absent)."""
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
def gait2392():
    """gait2392 (Delp et al. 1990), for tests of its own names, counts, signs and unwrapped paths."""
    import hipsim
    return hipsim.load_model("gait2392")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"OpenSim reference folder {REFERENCE} is absent")
    return REFERENCE


@pytest.fixture(scope="session")
def opensim():
    return pytest.importorskip("opensim", reason="opensim (pip install opensim==4.6) is not installed")


#: Test modules that need OpenSim throughout (besides every test that takes the ``opensim`` fixture).
_OPENSIM_MODULES = {"test_motion_opensim_crosscheck"}
_NOTEBOOK_MODULES = {"test_notebooks"}


def pytest_collection_modifyitems(config, items):
    """Mark OpenSim cross-checks ``opensim`` and notebook runs ``notebooks``; both are also ``slow``,
    so ``python -m pytest -m "not slow"`` is the quick developer loop."""
    for item in items:
        module = getattr(getattr(item, "module", None), "__name__", "").rpartition(".")[2]
        if "opensim" in getattr(item, "fixturenames", ()) or module in _OPENSIM_MODULES:
            item.add_marker(pytest.mark.opensim)
        if module in _NOTEBOOK_MODULES:
            item.add_marker(pytest.mark.notebooks)
        if item.get_closest_marker("opensim") or item.get_closest_marker("notebooks"):
            item.add_marker(pytest.mark.slow)
