"""The committed pictures show what the code computes today.

tools/make_gallery.py writes, beside each gallery picture (docs/gallery/<name>.png), the numbers
printed on it (docs/gallery/<name>.json), and the numbers of the interactive demo's thumbnail
(docs/teaching/5_interactive_demo.json). These tests recompute them with hipsim and fail when a
committed picture's numbers differ: regenerate with `python tools/make_gallery.py` (and
`python notebooks/make_thumbnails.py 5_interactive_demo` for the thumbnail).
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"
DEMO_JSON = ROOT / "docs" / "teaching" / "5_interactive_demo.json"
sys.path.insert(0, str(ROOT / "tools"))
import make_gallery  # noqa: E402

from hipsim.scenarios import shipped_scenarios  # noqa: E402
from hipsim.scenarios.schema import read_scenario  # noqa: E402

NAMES = sorted(shipped_scenarios())
#: Walking scenarios take 10-20 s each; the slow tier checks one of them (the others share its code path).
GAIT = {n for n in NAMES if read_scenario(shipped_scenarios()[n]).task == "gait"}
CHECKED = [n for n in NAMES if n not in GAIT] + sorted(GAIT)[:1]


def _close(a, b, path: str, bad: list[str]) -> None:
    if isinstance(a, dict):
        if set(a) != set(b):
            bad.append(f"{path}: keys {sorted(set(a) ^ set(b))}")
        for k in a:
            if k in b:
                _close(a[k], b[k], f"{path}.{k}", bad)
    elif isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
            bad.append(f"{path}: {a!r} != {b!r}")
        # Printed to 2 decimals (BW), whole newtons or 1 decimal (%): one unit of the last digit.
        elif abs(a - b) > max(0.011, 1e-3 * abs(b)):
            bad.append(f"{path}: picture {a} != now {b}")
    elif isinstance(a, int) and isinstance(b, int):
        if abs(a - b) > 1:
            bad.append(f"{path}: picture {a} != now {b}")
    elif a != b:
        bad.append(f"{path}: picture {a!r} != now {b!r}")


def test_every_picture_has_its_numbers():
    for n in NAMES:
        assert (GALLERY / f"{n}.png").exists(), n
        data = json.loads((GALLERY / f"{n}.json").read_text())
        assert data["scenario"] == n
    assert DEMO_JSON.exists()


def test_demo_thumbnail_numbers_match_the_notebook_and_the_demo():
    """The thumbnail is the first picture of the notebook's thumbnail cell: its knobs are the first
    of that cell's loop, and the demo computes today what the JSON (and the picture) say."""
    nb = json.loads((ROOT / "notebooks" / "5_interactive_demo.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "thumbnail" in c.get("metadata", {}).get("tags", []))
    src = "".join(cell["source"])
    loop = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.For))
    call = loop.iter.elts[0]
    first = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    data = json.loads(DEMO_JSON.read_text())
    assert data["knobs"] == first == make_gallery.DEMO_THUMBNAIL_KNOBS
    now = make_gallery.demo_numbers(first)
    bad: list[str] = []
    _close(data, json.loads(json.dumps(now)), "demo", bad)
    assert not bad, "docs/teaching/5_interactive_demo.png is stale (regenerate it): " + "; ".join(bad)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKED)
def test_gallery_picture_numbers_are_current(name):
    from hipsim.scenarios import run_scenario
    data = json.loads((GALLERY / f"{name}.json").read_text())
    now = json.loads(json.dumps(make_gallery.picture_numbers(run_scenario(name))))
    bad: list[str] = []
    _close(data, now, name, bad)
    assert not bad, f"docs/gallery/{name}.png is stale (python tools/make_gallery.py {name}): " + "; ".join(bad)
