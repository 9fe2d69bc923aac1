"""Write the teaching site: ``index.html``, ``style.css``, ``app.js`` and ``data.js`` into one folder.

The page needs no server, no network and no Python: open ``index.html`` from disk. ``data.js``
holds hipsim's precomputed numbers (:func:`hipsim.teach.grid.build_data`) as one JavaScript
assignment, so the browser reads it from ``file://`` without fetching anything. Each file is
written atomically.
"""
from __future__ import annotations

import html
import json
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from hipsim.anatomy import BODY_CHART_GROUPS, CHART_GROUP_MUSCLES, FIBRE_GROUPS, REFERRAL_ZONES, SHORT_LABELS
from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION
from hipsim.fileio import atomic_write_text
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM

__all__ = ["build_site", "page_constants", "ASSETS"]

ASSETS = ("index.html", "style.css", "app.js")
_RAMP_POINTS = 11
#: Colour limit (%) of the page's body chart: changes beyond it take the end colour (the table gives the number).
CHART_VMAX = 100.0
#: Under the exercise comparison: what it compares, and why EMG rankings need not agree with it.
EXERCISE_CAVEAT = ("This compares the mechanical loads of one published model holding each pose; it does not "
                   "prescribe an exercise, and which one suits a person is a clinician's decision. Mechanics and "
                   "EMG measure different things: hipsim's activation is the share of a muscle's capacity that "
                   "static optimisation assigns to it to hold the pose's moments; normalised EMG is electrical "
                   "activity relative to a maximal test contraction, picked up where the electrode sits. Where the "
                   "published EMG ranks these exercises, the model's ranking may differ "
                   "(docs: Rehabilitation exercises, Checked against EMG).")


def _ramp(name: str) -> list[str]:
    from matplotlib import colormaps
    c = colormaps[name](np.linspace(0, 1, _RAMP_POINTS))[:, :3]
    return ["#%02x%02x%02x" % tuple(int(round(255 * v)) for v in row) for row in c]


def _dash(style: Any) -> str:
    if isinstance(style, tuple) and len(style) == 2 and style[1]:
        return " ".join(f"{2 * v:g}" for v in style[1])
    return "none"


def page_constants() -> dict[str, Any]:
    """Everything the page needs besides the solved numbers: names, colours, rules, texts."""
    from hipsim.analysis.trigger_points import CAVEAT
    from hipsim.report.bodychart import CHART_FOOTER, chart_shapes
    from hipsim.report.frontal import FIBRE_COLOURS
    from hipsim.report.exercises import DISCLAIMER as EXERCISE_DISCLAIMER
    from hipsim.report.summary import DISCLAIMER
    from hipsim.model import load_model
    m = load_model("default")
    spec = m.spec
    shapes = chart_shapes()
    for v in shapes.values():  # 1 mm of a 1.8 m body is plenty for a drawing
        v["outline"] = np.round(v["outline"], 4).tolist()
        v["marks"] = [np.round(x, 4).tolist() for x in v["marks"]]
        v["arm"] = None if v["arm"] is None else np.round(v["arm"], 4).tolist()
        v["zones"] = {k: [np.round(p, 4).tolist() for p in ps] for k, ps in v["zones"].items()}
    return dict(gravity=float(np.linalg.norm(m.compiled.gravity)), groups=list(FIBRE_GROUPS),
                short_labels={g: SHORT_LABELS[g] for g in FIBRE_GROUPS}, group_colours=dict(FIBRE_COLOURS),
                activation_ramp=_ramp("YlOrRd"), diverging_ramp=_ramp("RdBu_r"),
                shortfall_threshold_nm=ABDUCTOR_SHORTFALL_NM, negligible_fraction=NEGLIGIBLE_FRACTION,
                disclaimer=DISCLAIMER, caveat=CAVEAT, chart_footer=CHART_FOOTER,
                exercise_disclaimer=EXERCISE_DISCLAIMER, exercise_caveat=EXERCISE_CAVEAT,
                model_name=m.name, model_credits=spec.credits, model_license=spec.license,
                chart=dict(shapes=shapes, vmax=CHART_VMAX,
                           dash={g: _dash(REFERRAL_ZONES[g].linestyle) for g in BODY_CHART_GROUPS},
                           group_muscles={g: list(CHART_GROUP_MUSCLES[g]) for g in BODY_CHART_GROUPS},
                           labels={g: REFERRAL_ZONES[g].label for g in BODY_CHART_GROUPS}))


def build_site(out: str | Path, walks: Sequence[str] | None = None, workers: int | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Solve the grids and write the site into ``out``. Returns a report: files, sizes, grid points, seconds."""
    from hipsim.teach.grid import GAIT_SCENARIOS, build_data
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    walks = ("normal",) + GAIT_SCENARIOS if walks is None else tuple(walks)
    data = build_data(walks, workers=workers, progress=progress)
    const = page_constants()
    st = data["stance"]
    top_mass = st["axes"][0]["values"][-1]
    caps = st["max_force_per_bw"][f"{top_mass:g}"]
    st["bar_max_n"] = 1.05 * max(caps[f"{g}_r"] for g in FIBRE_GROUPS) * top_mass * const["gravity"]
    payload = {**const, **data}
    js = "window.HIPSIM = " + json.dumps(payload, separators=(",", ":"), allow_nan=False) + ";\n"
    files = [atomic_write_text(out / "data.js", js)]
    pkg = resources.files("hipsim.teach") / "assets"
    for name in ASSETS:
        text = (pkg / name).read_text(encoding="utf-8")
        if name == "index.html":
            for key in ("disclaimer", "caveat", "chart_footer", "exercise_disclaimer", "exercise_caveat", "model_name",
                        "model_credits", "model_license"):
                text = text.replace("{{" + key.upper() + "}}", html.escape(const[key]))
        files.append(atomic_write_text(out / name, text))
    sizes = {p.name: p.stat().st_size for p in files}
    return dict(files=[str(p) for p in files], bytes=sizes, total_bytes=sum(sizes.values()),
                stance_points=st["points"], walks=list(walks), seconds=time.perf_counter() - t0)
