"""Pictures of the exercise comparison: each held pose with its fibre lines coloured by force, and bars.

:func:`draw_exercise_pose` draws one exercise as the model holds it (joint centres joined, the floor
and the step, the supports' forces as blue arrows, a band as a green arrow) with every compared fibre
line of the targeted hip coloured by its force on one scale shared by all panels.
:func:`exercise_figure` puts the seven poses beside bars of force and activation per fibre group.
Matplotlib's object API only: safe without a display.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from hipsim.analysis.exercises import COMPARED_GROUPS, ExerciseComparison
from hipsim.anatomy import SHORT_LABELS
from hipsim.report.plots import save_figure
from hipsim.tasks.exercise import EXERCISES
from hipsim.tasks.result import TaskResult

#: Force colour scale (YlOrRd, as the other pictures' activation scale), 0 to the largest force shown.
FORCE_CMAP = colormaps["YlOrRd"]
#: The exercises' bar colours (tab10, in the order of :data:`hipsim.EXERCISES`).
EXERCISE_COLOURS = {n: colormaps["tab10"](k) for k, n in enumerate(EXERCISES)}
DISCLAIMER = ("Computed mechanical loads of a published model, for teaching and reasoning: hipsim does not "
              "diagnose, and a load is not a prescription.")


def _project(points: np.ndarray, view: str) -> np.ndarray:
    """Ground points (..., 3) -> drawing plane: 'front' looks from the front (the subject's right on the
    viewer's left), 'side' from the subject's right (forward to the right)."""
    p = np.asarray(points, dtype=float)
    if view == "side":
        return np.stack([p[..., 0], p[..., 1]], axis=-1)
    return np.stack([-p[..., 2], p[..., 1]], axis=-1)


def draw_exercise_pose(ax: Axes, result: TaskResult, norm: Normalize, view: str | None = None,
                       title: str | None = None) -> None:
    """One exercise as held: skeleton, supports, band, and the targeted hip's fibre lines by force."""
    m = result.model
    name = result.parameters.get("exercise", "")
    side = result.parameters.get("side", "r")
    view = view or (EXERCISES[name].view if name in EXERCISES else "front")
    q = result.q[:1]
    R, o, _, _ = m.body_poses(q)
    parent = m.compiled.body_parent
    H = m.height_m
    for b in range(2, len(m.body_names)):
        seg = _project(np.stack([o[0, parent[b]], o[0, b]]), view)
        ax.plot(seg[:, 0], seg[:, 1], color="0.35", lw=2.2, solid_capstyle="round", zorder=2)
    torso = m.body_names.index("torso")
    neck = o[0, torso] + R[0, torso] @ np.array([0.0, 0.36 * H, 0.0])
    head = o[0, torso] + R[0, torso] @ np.array([0.0, 0.42 * H, 0.0])
    seg = _project(np.stack([o[0, torso], neck]), view)
    ax.plot(seg[:, 0], seg[:, 1], color="0.35", lw=2.2, zorder=2)
    c = _project(head, view)
    ax.add_patch(Circle((float(c[0]), float(c[1])), 0.06 * H, fill=False, ec="0.35", lw=1.5, zorder=2))
    muscles = [f"{g}_{side}" for g in COMPARED_GROUPS]
    paths = m.paths(q, muscles)
    forces = {g: float(result.muscle_forces[0, m.muscle_index(f"{g}_{side}")]) for g in COMPARED_GROUPS}
    for g, mu in zip(COMPARED_GROUPS, muscles, strict=True):
        p = _project(paths[mu], view)
        ax.plot(p[:, 0], p[:, 1], color=FORCE_CMAP(norm(forces[g])), lw=3.2, solid_capstyle="round", zorder=3)
    pts = _project(np.vstack([o[0, 1:], head[None, :]]), view)
    lo, hi = float(pts[:, 0].min()) - 0.25, float(pts[:, 0].max()) + 0.25
    ax.plot([lo, hi], [0.0, 0.0], color="0.5", lw=1.0, zorder=1)
    step = result.parameters.get("step_height_m")
    if step:
        foot = _project(o[0, m.body_names.index(f"calcn_{side}")], view)
        ax.add_patch(Rectangle((float(foot[0]) - 0.15, 0.0), 0.30, float(step), fc="0.9", ec="0.6", zorder=1))
    bw = m.mass * float(np.linalg.norm(m.compiled.gravity))
    for e in result.external_loads:
        f = np.asarray(e.force[0])
        start = _project(np.asarray(e.point[0]) - 0.35 * H * f / bw / 1.8, view)
        d = _project(np.asarray(e.point[0]), view) - start
        colour = "tab:green" if e.label == "band" else "tab:blue"
        if e.label == "band":  # a band's pull drawn from where it acts, at a fixed length
            start = _project(np.asarray(e.point[0]), view)
            d = _project(np.asarray(e.point[0]) + 0.25 * f / max(float(np.linalg.norm(f)), 1e-9), view) - start
        if np.hypot(*d) > 1e-3:
            ax.arrow(float(start[0]), float(start[1]), float(d[0]), float(d[1]), color=colour, width=0.006,
                     head_width=0.03, length_includes_head=True, zorder=4)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.12, max(float(pts[:, 1].max()) + 0.08 * H, 0.5))
    ax.set_aspect("equal")
    ax.set_axis_off()
    flag = "\nbeyond the muscles" if result.beyond_muscles else ""
    label = title if title is not None else (EXERCISES[name].title if name in EXERCISES else name)
    ax.set_title(f"{label}{flag}", fontsize=8, color="darkred" if flag else "black")


def exercise_figure(comparison: ExerciseComparison) -> Figure:
    """The comparison's picture: every pose (fibre lines coloured by force, one scale) above bars of each
    fibre group's force and activation per exercise."""
    names = list(comparison.results)
    forces = comparison.wide("force_n")
    acts = comparison.wide("activation")
    vmax = max(float(forces.to_numpy().max()), 1.0)
    norm = Normalize(0.0, vmax)
    ncol = 4
    nrow = (len(names) + ncol - 1) // ncol
    fig = Figure(figsize=(16, 4.6 * nrow + 8.0))
    gs = fig.add_gridspec(nrow + 2, ncol, height_ratios=[4.6] * nrow + [3.6, 3.6], hspace=0.45, wspace=0.05)
    for k, n in enumerate(names):
        draw_exercise_pose(fig.add_subplot(gs[k // ncol, k % ncol]), comparison.results[n], norm)
    if len(names) < nrow * ncol:
        cax = fig.add_subplot(gs[nrow - 1, ncol - 1])
        cax.set_axis_off()
        sm = colormaps["YlOrRd"]
        from matplotlib.cm import ScalarMappable
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=sm), ax=cax, orientation="horizontal", fraction=0.3)
        bar.set_label(f"fibre force (N), {comparison.side} side; blue: supports, green: band", fontsize=8)
    x = np.arange(len(COMPARED_GROUPS))
    width = 0.8 / len(names)
    for row, (table, ylabel) in enumerate(((forces, "force (N)"), (100.0 * acts, "activation (%)"))):
        ax = fig.add_subplot(gs[nrow + row, :])
        for k, n in enumerate(names):
            ax.bar(x + (k - (len(names) - 1) / 2) * width, table.loc[n].to_numpy(), width,
                   color=EXERCISE_COLOURS.get(n, "0.5"), label=n.replace("_", " "),
                   hatch="//" if comparison.results[n].beyond_muscles else None, edgecolor="white")
        ax.set_xticks(x, [SHORT_LABELS.get(g, g) for g in COMPARED_GROUPS])
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="0.9")
        if row == 0:
            ax.legend(ncol=len(names), fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.08), frameon=False)
            ax.set_title(f"Fibre loads of the {'right' if comparison.side == 'r' else 'left'} hip per exercise "
                         f"({comparison.model_name}; hatched: beyond the muscles, reserves carry part)", fontsize=10,
                         pad=28)
    fig.text(0.01, 0.005, DISCLAIMER, fontsize=8, style="italic", color="0.35")
    return fig


def save_exercise_figure(comparison: ExerciseComparison, path: str | os.PathLike[str]) -> Path:
    """Write :func:`exercise_figure` as a PNG, atomically."""
    return save_figure(exercise_figure(comparison), path, dpi=110)
