"""Plots of a scenario (matplotlib, object API only: safe without a display).

* :func:`plot_activation` - activation of chosen fibres, baseline against scenario, over the
  gait cycle (or as bars for a held posture);
* :func:`plot_change_bars` - % change of a load metric per fibre group and side;
* :func:`plot_frontal` - frontal-plane skeleton with each fibre line coloured by its force;
* the body chart lives in :mod:`hipsim.report.bodychart`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.collections import LineCollection
from matplotlib import colormaps
from matplotlib.colors import Normalize

from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION, format_pct_change
from hipsim.anatomy import FIBRE_GROUPS, SHORT_LABELS
from hipsim.fileio import atomic_open
from hipsim.tasks.result import TaskResult

DEFAULT_FIBRES = ("gluteus_minimus_anterior", "gluteus_minimus_posterior", "gluteus_medius_middle",
                  "tensor_fasciae_latae")
#: Short labels for plots and tables (from :mod:`hipsim.anatomy`).
LABELS = SHORT_LABELS


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 130) -> Path:
    """Write a PNG atomically (see :func:`hipsim.fileio.atomic_open`)."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)


def plot_activation(baseline: TaskResult, scenario: TaskResult, fibres: Sequence[str] = DEFAULT_FIBRES,
                    side: str = "r", title: str = "") -> Figure:
    """Activation of ``fibres`` on ``side``: baseline (grey, dashed) against scenario (colour)."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    m = scenario.model
    colours = colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    if scenario.n_frames > 1:
        x_s = scenario.percent if scenario.percent is not None else scenario.time
        x_b = baseline.percent if baseline.percent is not None else baseline.time
        for k, f in enumerate(fibres):
            i = m.muscle_index(f"{f}_{side}")
            ax.plot(x_b, baseline.activations[:, i], "--", color=colours[k], alpha=0.6, lw=1.2)
            ax.plot(x_s, scenario.activations[:, i], "-", color=colours[k], lw=2, label=LABELS.get(f, f))
        ax.set_xlabel("% of gait cycle (right heel strike = 0)" if scenario.percent is not None else "time (s)")
        ax.plot([], [], "--", color="grey", label="baseline")
    else:
        x = np.arange(len(fibres))
        cols = [m.muscle_index(f"{f}_{side}") for f in fibres]
        ax.bar(x - 0.2, baseline.activations[0, cols], 0.4, color="0.7", label="baseline")
        ax.bar(x + 0.2, scenario.activations[0, cols], 0.4, color=[colours[k] for k in range(len(fibres))],
               label="scenario")
        ax.set_xticks(x, [LABELS.get(f, f) for f in fibres])
    ax.set_ylabel(f"activation ({'right' if side == 'r' else 'left'} side)")
    ax.set_ylim(0, max(0.05, 1.1 * float(max(baseline.activations.max(), scenario.activations.max()))))
    ax.legend(frameon=False, fontsize=8, ncol=2)
    ax.set_title(title or "Activation: scenario (solid) against baseline")
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
    x = np.arange(len(groups))
    col = f"{metric}_pct_change"
    top = 500.0  # bars are clipped to -100..top %
    for k, (side, colour) in enumerate((("r", "#c0392b"), ("l", "#2e86c1"))):
        vals, notes = [], []
        for g in groups:
            row = metrics[(metrics.muscle == g) & (metrics.side == side)]
            v = float(row[col].iloc[0]) if len(row) else 0.0
            negligible = bool(row[f"{metric}_negligible"].iloc[0]) if len(row) else False
            vals.append(0.0 if negligible else float(np.clip(v, -100.0, top)))
            notes.append(format_pct_change(v, negligible) if negligible or np.isinf(v) else "")
        xs = x + (k - 0.5) * 0.4
        bars = ax.bar(xs, vals, 0.4, color=colour, label="right" if side == "r" else "left")
        for b, note in zip(bars, notes, strict=True):
            b.set_gid(f"{side}:{note or 'pct'}")
            if note:
                ax.annotate(note, (b.get_x() + b.get_width() / 2, b.get_height()), textcoords="offset points",
                            xytext=(0, 2), ha="center", va="bottom", fontsize=7, rotation=90)
    ax.text(0.01, 0.01, f"negl.: change below {100 * NEGLIGIBLE_FRACTION:g} % of the muscle's full scale "
            "(F0 for a force; a convention); new: absent at baseline", transform=ax.transAxes, fontsize=7,
            color="0.35")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, [LABELS.get(g, g) for g in groups], rotation=20)
    ax.set_ylabel(f"% change vs baseline ({metric.replace('_', ' ')})")
    ax.set_title(title or f"Change in {metric.replace('_', ' ')} per fibre group")
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_frontal(result: TaskResult, frame: int = 0, muscles: Sequence[str] = FIBRE_GROUPS,
                 title: str = "", vmax: float | None = None, ax=None) -> Figure:
    """Frontal-plane view (from the front) of the skeleton's joint centres and the lines of the
    chosen muscles, each coloured by its force at ``frame``."""
    fig = ax.figure if ax is not None else Figure(figsize=(5, 7))
    ax = ax or fig.add_subplot()
    m = result.model
    q = result.q[frame:frame + 1]
    R, o, _, _ = m.body_poses(q)
    parent = m.compiled.body_parent
    names = m.body_names
    # Viewed from the front: the model's +z (right) is drawn on the viewer's left.
    seg = [[(-o[0, parent[b], 2], o[0, parent[b], 1]), (-o[0, b, 2], o[0, b, 1])]
           for b in range(1, len(names)) if parent[b] > 0]
    ax.add_collection(LineCollection(seg, colors="0.35", linewidths=3, zorder=1))
    ax.scatter(-o[0, 1:, 2], o[0, 1:, 1], s=18, color="0.2", zorder=2)
    lines, forces = [], []
    for base in muscles:
        for side in ("r", "l"):
            name = f"{base}_{side}"
            pts = m.path_points(q, name)
            lines.append(np.column_stack([-pts[:, 2], pts[:, 1]]))
            forces.append(result.muscle_forces[frame, m.muscle_index(name)])
    norm = Normalize(0, vmax or max(1.0, max(forces)))
    cmap = colormaps["inferno_r"]
    lc = LineCollection(lines, colors=cmap(norm(np.array(forces))), linewidths=2.2, zorder=3)
    ax.add_collection(lc)
    sm = fig.colorbar(lc, ax=ax, fraction=0.04, pad=0.02)
    lc.set_norm(norm)
    lc.set_cmap(cmap)
    lc.set_array(np.array(forces))
    sm.set_label("muscle force (N)")
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel("right  <-  (m)  ->  left")
    ax.set_ylabel("height (m)")
    ax.set_title(title or f"Frontal plane, frame {frame}")
    hcf = result.hip_contact_force_bw
    for pm in result.point_masses:  # carried loads, drawn where they hang
        b = names.index(pm.body)
        p = o[0, b] + R[0, b] @ np.asarray(pm.location)
        ax.scatter([-p[2]], [p[1]], s=40 + 8 * pm.mass_kg, marker="s", color="#7d3c98", zorder=4)
        ax.annotate(f"{pm.mass_kg:g} kg", (-p[2], p[1]), textcoords="offset points", xytext=(6, -4), fontsize=8)
    feas = result.feasibility  # a force the muscles cannot produce is labelled as such
    beyond = f"\nbeyond the muscles: reserves at {', '.join(feas.reserve_joints)}" if feas.beyond_muscles else ""
    ax.text(0.02, 0.02, f"hip contact: R {hcf['r'].iloc[frame]:.2f} BW, L {hcf['l'].iloc[frame]:.2f} BW{beyond}",
            transform=ax.transAxes, fontsize=8, color="#b03a2e" if beyond else "black")
    return fig
