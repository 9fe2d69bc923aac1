"""Render the README's scenario gallery: one picture per shipped scenario in docs/gallery/.

Run from the repository root after changing a scenario or the mechanics:

    python tools/make_gallery.py

Each picture puts the % change per fibre group (left) beside the frontal-plane view of the
scenario (right). Held postures and sitting show fibre length, the others peak force.
"""
from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from hipsim.report.plots import plot_change_bars, plot_frontal, save_figure
from hipsim.scenarios import run_scenario, shipped_scenarios


def render(name: str, out: Path) -> Path:
    r = run_scenario(name)
    fig = Figure(figsize=(11, 4.6))
    left = fig.add_axes([0.06, 0.2, 0.5, 0.68])
    right = fig.add_axes([0.62, 0.08, 0.3, 0.84])
    metric = "mean_norm_fiber_length" if r.spec.task in ("sitting", "standing") else "peak_force_n"
    plot_change_bars(r.metrics, metric, title=r.spec.title, ax=left)
    left.title.set_fontsize(10)
    frame = int(r.scenario.hip_contact_force_bw["r"].to_numpy().argmax())
    plot_frontal(r.scenario, frame, title="frontal plane" + (f", {r.scenario.percent[frame]:.0f} % of cycle"
                                                             if r.scenario.percent is not None else ""), ax=right)
    return save_figure(fig, out / f"{name}.png", dpi=80)


def main(names: list[str]) -> None:
    out = Path("docs/gallery")
    for name in names or sorted(shipped_scenarios()):
        print("wrote", render(name, out))


if __name__ == "__main__":
    main(sys.argv[1:])
