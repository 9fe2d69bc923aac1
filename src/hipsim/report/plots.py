"""Plots of a scenario (matplotlib, object API only: safe without a display).

* :func:`plot_activation` - activation of chosen fibres, baseline against scenario, over the
  gait cycle (or as bars for a held posture);
* :func:`plot_change_bars` - % change of a load metric per fibre group and side;
* :func:`plot_frontal` - the demo's whole-body figure (:mod:`hipsim.report.frontal`);
* the body chart lives in :mod:`hipsim.report.bodychart`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib import colormaps

from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION, format_pct_change
from hipsim.anatomy import FIBRE_GROUPS, SHORT_LABELS
from hipsim.fileio import atomic_open
from hipsim.tasks.result import TaskResult

#: Every tracked fibre group (:data:`hipsim.anatomy.FIBRE_GROUPS`): the activation plot's default.
DEFAULT_FIBRES: tuple[str, ...] = tuple(FIBRE_GROUPS)
#: Short labels for plots and tables (from :mod:`hipsim.anatomy`).
LABELS = SHORT_LABELS

#: What each load metric is, with its unit, for axis labels (SI; N·s is newton-seconds).
METRIC_LABELS: dict[str, str] = {
    "peak_activation": "peak activation (0-1)", "mean_activation": "mean activation (0-1)",
    "peak_force_n": "peak force (N)", "mean_force_n": "mean force (N)", "peak_stress_kpa": "peak stress (kPa)",
    "impulse_ns": "impulse per cycle or hold (N·s)", "impulse_per_day_ns": "impulse per day (N·s)",
    "longest_sustained_s": "longest sustained activation (s)", "sustained_bout_s": "sustained bout (s)",
    "mean_norm_fiber_length": "mean fibre length (x optimal length)",
    "time_shortened_frac": "time shortened (fraction)", "time_stretched_frac": "time stretched (fraction)",
    "time_held_shortened_frac": "time held shortened (fraction)",
    "time_held_stretched_frac": "time held stretched (fraction)", "lengthening_work_j": "lengthening work (J)",
    "lengthening_work_j_per_day": "lengthening work per day (J)", "compression_kpa_s": "compression (kPa·s)",
}


def metric_label(metric: str) -> str:
    """The metric's name and unit for an axis (``impulse per day (N·s)``)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 130) -> Path:
    """Write a PNG atomically (see :func:`hipsim.fileio.atomic_open`)."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)


def plot_activation(baseline: TaskResult, scenario: TaskResult, fibres: Sequence[str] = DEFAULT_FIBRES,
                    side: str = "r", title: str = "") -> Figure:
    """Activation of ``fibres`` (default: every tracked group) on ``side``: over the cycle, each group in
    its own colour, scenario solid and baseline dashed; for a held posture, grey bars for the baseline
    beside red bars for the scenario. The legend shows exactly those styles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from hipsim.report.frontal import FIBRE_COLOURS
    fig = Figure(figsize=(9, 4.8))
    ax = fig.add_subplot()
    m = scenario.model
    palette = colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    colours = [FIBRE_COLOURS.get(f, palette[k % 10]) for k, f in enumerate(fibres)]
    cols = [m.muscle_index(f"{f}_{side}") for f in fibres]
    if scenario.n_frames > 1:
        x_s = scenario.percent if scenario.percent is not None else scenario.time
        x_b = baseline.percent if baseline.percent is not None else baseline.time
        handles = []
        for k, (f, i) in enumerate(zip(fibres, cols, strict=True)):
            ax.plot(x_b, baseline.activations[:, i], "--", color=colours[k], alpha=0.7, lw=1.2)
            ax.plot(x_s, scenario.activations[:, i], "-", color=colours[k], lw=2)
            handles.append(Line2D([], [], color=colours[k], lw=2, label=LABELS.get(f, f)))
        handles += [Line2D([], [], color="0.3", lw=2, label="scenario (solid)"),
                    Line2D([], [], color="0.3", lw=1.2, ls="--", label="baseline (dashed)")]
        ax.set_xlabel("% of gait cycle (right heel strike = 0)" if scenario.percent is not None else "time (s)")
        ax.legend(handles=handles, frameon=False, fontsize=8, ncol=3)
        top = max(float(baseline.activations[:, cols].max()), float(scenario.activations[:, cols].max()))
    else:
        x = np.arange(len(fibres))
        ax.bar(x - 0.2, baseline.activations[0, cols], 0.4, color="0.7")
        ax.bar(x + 0.2, scenario.activations[0, cols], 0.4, color="#c0392b")
        ax.set_xticks(x, [LABELS.get(f, f) for f in fibres], rotation=20)
        ax.legend(handles=[Patch(color="0.7", label="baseline"), Patch(color="#c0392b", label="scenario")],
                  frameon=False, fontsize=8)
        top = max(float(baseline.activations[0, cols].max()), float(scenario.activations[0, cols].max()))
    ax.set_ylabel(f"activation, {'right' if side == 'r' else 'left'} side (0 = rest, 1 = maximal)")
    ax.set_ylim(0, max(0.05, 1.15 * top))
    ax.set_title(title or "Activation: scenario against baseline")
    ax.grid(alpha=0.3)
    return fig


def plot_change_bars(metrics, metric: str = "impulse_per_day_ns", groups: Sequence[str] = FIBRE_GROUPS,
                     title: str = "", ax=None) -> Figure:
    """% change of ``metric`` per fibre group, right and left side, from a
    :func:`~hipsim.analysis.metrics.compare` table (on ``ax`` if given, else on a new figure).

    The bars are the table's ``<metric>_pct_change``. A negligible change (below 2 % of the
    muscle's full scale, :func:`~hipsim.analysis.metrics.pct_change`) is a zero bar labelled
    "negl."; a load absent at baseline is drawn at the top of the scale and labelled "new".
    """
    fig = ax.figure if ax is not None else Figure(figsize=(8, 4.5))
    ax = ax or fig.add_subplot()
    from hipsim.analysis.metrics import change_floor
    x = np.arange(len(groups))
    col = f"{metric}_pct_change"
    top = 500.0  # bars are clipped to -100..top %
    table = metrics.reset_index(drop=True)
    floors = change_floor(table, metric)
    unit = metric_label(metric)
    for k, (side, colour) in enumerate((("r", "#c0392b"), ("l", "#2e86c1"))):
        vals, notes = [], []
        for g in groups:
            sel = ((table.muscle == g) & (table.side == side)).to_numpy()
            row = table[sel]
            v = float(row[col].iloc[0]) if len(row) else 0.0
            negligible = bool(row[f"{metric}_negligible"].iloc[0]) if len(row) else False
            vals.append(0.0 if negligible else float(np.clip(v, -100.0, top)))
            note = format_pct_change(v, negligible) if negligible or np.isinf(v) else ""
            if len(row) and not negligible and f"{metric}_baseline" in row:
                base, now = float(row[f"{metric}_baseline"].iloc[0]), float(row[metric].iloc[0])
                # A large % of a small load: say what it is in the metric's own unit.
                if abs(base) < 3 * float(floors[np.flatnonzero(sel)[0]]):
                    note = f"{base:.3g}->{now:.3g}"
            notes.append(note)
        xs = x + (k - 0.5) * 0.4
        bars = ax.bar(xs, vals, 0.4, color=colour, label="right" if side == "r" else "left")
        for b, note in zip(bars, notes, strict=True):
            b.set_gid(f"{side}:{note or 'pct'}")
            if note:
                ax.annotate(note, (b.get_x() + b.get_width() / 2, b.get_height()), textcoords="offset points",
                            xytext=(0, 2), ha="center", va="bottom", fontsize=7, rotation=90)
    ax.annotate(f"negl.: change below {100 * NEGLIGIBLE_FRACTION:g} % of the muscle's full scale (F0 for a force; "
                "a convention), drawn as no bar; new: absent at baseline; a change from a small load is labelled "
                "with its values (baseline->scenario)", (0.0, -0.28), xycoords="axes fraction", fontsize=7,
                color="0.35", va="top")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, [LABELS.get(g, g) for g in groups], rotation=20)
    ax.set_ylabel(f"% change vs baseline\n{unit}")
    ax.set_title(f"{title}\nmetric: {unit}" if title else f"Change in {unit} per fibre group")
    ax.legend(frameon=False, loc="best")
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_frontal(result: TaskResult, frame: int = 0, muscles: Sequence[str] = FIBRE_GROUPS,
                 title: str = "", wallet: tuple[str, float] | None = None, fig: Figure | None = None,
                 box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> Figure:
    """The whole body from the front at ``frame``, as the demo draws it
    (:func:`hipsim.report.frontal.draw_frontal_figure`): trunk, head and arms, the stance and the
    lifted leg, every fibre line labelled and coloured by activation on one fixed scale, loads where
    they are held, the levers of single-leg stance, each group's force against its maximum, the hip
    contact force, and the "pelvis would drop" state. A gait picture names its % of the cycle."""
    from hipsim.report.frontal import draw_frontal_figure, frame_label
    if result.n_frames > 1:
        title = f"{title or 'Frontal plane'}: {frame_label(result, frame)}"
    return draw_frontal_figure(result, frame, title=title, groups=muscles, wallet=wallet, fig=fig, box=box)
