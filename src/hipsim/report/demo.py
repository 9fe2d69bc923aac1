"""Interactive single-leg-stance demo: sliders for body mass, a bag in one hand, gluteus
medius strength, pelvic drop and trunk lean, with the frontal-plane picture, the fibre
loads and the hip contact force redrawn after every change.

:class:`StanceDemo` holds a prepared model and one figure. :meth:`StanceDemo.update` solves
:func:`hipsim.single_leg_stance` for the knob values and updates the figure's artists in
place (no new axes, no autoscaling), so one update (solve and redraw) stays well under
100 ms; ``benchmarks/bench_demo.py`` measures it. :meth:`StanceDemo.show` gives ipywidgets
sliders in Jupyter, and a static matplotlib figure where there is no widget front end.

Everything shown is a computed mechanical load. hipsim never diagnoses: the figure says so.
"""
from __future__ import annotations

import dataclasses
import io
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrow, Polygon

from hipsim.anatomy import MUSCLE_GROUPS, SHORT_LABELS
from hipsim.errors import input_error
from hipsim.model import Model, load_model
from hipsim.model.scaling import REFERENCE_HEIGHT_M, SUBJECT_PARAMS, Subject
from hipsim.params import STRENGTH, Param
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM, TaskResult
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS, Load, single_leg_stance

__all__ = ["StanceDemo", "DemoReading", "DEMO_FIBRES", "SLIDERS", "CAVEAT_LINE", "fibre_paths", "draw_hip",
           "widgets_available"]

#: Fibre groups drawn and charted, stance side (gait2392 names without the side suffix).
DEMO_FIBRES: tuple[str, ...] = MUSCLE_GROUPS["superior_gluteal_nerve"]
_SHORT = SHORT_LABELS
_GMED = MUSCLE_GROUPS["gluteus_medius"]

#: Slider name -> (minimum, maximum, step, default, label). Angle limits lie inside the
#: ranges :func:`hipsim.single_leg_stance` accepts (pelvic drop -15..25, lean -30..30 deg).
#: The demo's knobs: the rulebook's own parameters (limits from the subject, the load, a
#: muscle's strength and single-leg stance), with the demo's starting values.
DEMO_PARAMS: dict[str, Param] = {
    "mass_kg": SUBJECT_PARAMS["mass_kg"].with_default(75.0),
    "load_kg": LOAD_PARAMS["mass_kg"].with_default(0.0, "bag in the hand"),
    "gmed_strength": STRENGTH.with_default(1.0, "gluteus medius strength of the stance side"),
    "pelvic_drop_deg": SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"],
    "trunk_lean_deg": SINGLE_LEG_STANCE_PARAMS["trunk_lean_deg"],
}
_SLIDER_STEPS = {"mass_kg": (1.0, "body mass (kg)"), "load_kg": (0.5, "bag in hand (kg)"),
                 "gmed_strength": (0.05, "GMed strength (x normal)"), "pelvic_drop_deg": (1.0, "pelvic drop (deg)"),
                 "trunk_lean_deg": (1.0, "trunk lean over stance hip (deg)")}
#: Slider (min, max, step, start, label) per knob, generated from :data:`DEMO_PARAMS`.
SLIDERS: dict[str, tuple[float, float, float, float, str]] = {
    k: (*p.interval, _SLIDER_STEPS[k][0], float(p.default), _SLIDER_STEPS[k][1]) for k, p in DEMO_PARAMS.items()}

CAVEAT_LINE = "Computed mechanical loads for teaching; not a diagnosis."



@dataclass(frozen=True)
class DemoReading:
    """What one demo update computed (SI units).

    ``hip_contact_n`` / ``hip_contact_bw``: magnitude of the stance hip's contact force (in
    newtons and in body weights, loads excluded from the unit); ``abductor_force_n``: sum of
    the forces of :data:`DEMO_FIBRES` on the stance side; ``fibre_forces_n`` and
    ``fibre_activations``: per fibre group; ``abduction_shortfall_nm``: the reserve torque the
    abductors could not supply (0 when they hold the pelvis); ``solve_ms`` and ``draw_ms``:
    time spent solving and updating the figure's artists (rendering, :meth:`StanceDemo.render`,
    not included).
    """

    knobs: dict[str, Any]
    hip_contact_n: float
    hip_contact_bw: float
    abductor_force_n: float
    fibre_forces_n: dict[str, float]
    fibre_activations: dict[str, float]
    abduction_shortfall_nm: float
    body_weight_n: float
    result: TaskResult = field(repr=False)
    solve_ms: float = 0.0
    draw_ms: float = 0.0

    @property
    def abductor_force_bw(self) -> float:
        """Abductor force in body weights."""
        return self.abductor_force_n / self.body_weight_n


@lru_cache(maxsize=16)
def _base_model(name: str) -> Model:
    return load_model(name)


@lru_cache(maxsize=128)
def _scaled_model(name: str, mass_kg: float, height_m: float) -> Model:
    """The model scaled to a subject; cached because scaling recompiles a Model (~10 ms) and the
    other sliders should not pay for it. Keys are rounded by the caller."""
    return _base_model(name).scaled_to(Subject(mass_kg, height_m))


def _frontal(p: np.ndarray) -> np.ndarray:
    """Ground points (..., 3) -> frontal-plane picture (..., 2) seen from the front: the
    subject's right (+z) is drawn on the viewer's left."""
    return np.stack([-p[..., 2], p[..., 1]], axis=-1)


# Schematic pelvis outline (pelvis frame, y up and z right, metres for gait2392 at 1.80 m):
# right half from the sacral promontory out along the iliac crest, round the anterior
# superior iliac spine, down over the acetabulum to the ischium and the pubic symphysis.
# A drawing aid only; it plays no part in the mechanics.
_PELVIS_HALF = np.array([(0.030, 0.030), (0.075, 0.075), (0.072, 0.110), (0.035, 0.130), (-0.015, 0.124),
                         (-0.040, 0.118), (-0.070, 0.116), (-0.100, 0.100), (-0.140, 0.070), (-0.135, 0.035),
                         (-0.105, 0.008)])


# Schematic side view of the right hemipelvis (pelvis frame x forward, y up; metres at 1.80 m):
# anterior superior iliac spine, iliac crest, posterior superior iliac spine, sciatic notch,
# ischial tuberosity, pubis, anterior inferior iliac spine. A drawing aid only.
_PELVIS_SIDE = np.array([(0.0, 0.0), (-0.03, 0.06), (-0.08, 0.08), (-0.15, 0.03), (-0.16, -0.03), (-0.12, -0.07),
                         (-0.12, -0.13), (-0.07, -0.12), (-0.02, -0.09), (0.0, -0.03)])


def fibre_paths(model: Model, q: Any = None, muscles: Any = None) -> dict[str, np.ndarray]:
    """Path points (ground frame, m) of each named muscle at one pose: name -> (n_points, 3).

    ``q`` as for :meth:`hipsim.Model.pose` (default pose if omitted); ``muscles`` are names or
    aliases (default: :data:`DEMO_FIBRES` of both sides). Conditional points that are
    inactive at the pose are left out, as in the length computation.
    """
    qs = model.pose(q)
    if qs.shape[0] != 1:
        raise input_error("argument", "q", qs.shape, "fibre_paths takes a single pose")
    names = list(muscles) if muscles is not None else [f"{g}_{s}" for s in ("r", "l") for g in DEMO_FIBRES]
    return {name: model.path_points(qs, name) for name in names}


def draw_hip(ax: Any, model: Model, q: Any = None, view: str = "front", side: str = "r",
             fibres: Any = DEMO_FIBRES, colours: Mapping[str, Any] | None = None, labels: bool = True) -> None:
    """Draw the pelvis (schematic outline), the femurs and each fibre line on ``ax``.

    ``view="front"``: frontal plane seen from the front (the subject's right on the viewer's
    left), both sides. ``view="side"``: the ``side`` hip seen from that side, front of the body
    to the right for the right side. ``colours``: fibre group -> colour (tab10 by default);
    ``labels`` names each line at its pelvic end. The outlines are drawing aids; the lines are
    the model's muscle paths at pose ``q``.
    """
    if view not in ("front", "side"):
        raise input_error("argument", "view", view, "use 'front' or 'side'")
    qs = model.pose(q)
    R, o, _, _ = model.body_poses(qs)
    R, o = R[0], o[0]
    names = model.body_names
    s = 1.0  # outlines in model units; gait2392 at its reference size
    sides = ("r", "l") if view == "front" else (side,)
    lat_sign = 1.0 if side == "r" else -1.0

    def proj(p: np.ndarray) -> np.ndarray:
        if view == "front":
            return _frontal(p)
        # Side view from the right: +x (forward) to the right; from the left: mirrored.
        return np.stack([lat_sign * p[..., 0], p[..., 1]], axis=-1)

    pel = names.index("pelvis")
    if view == "front":
        half = _PELVIS_HALF * s
        local = np.concatenate([np.column_stack([np.full(len(half), -0.07), half[:, 0], half[:, 1]]),
                                np.column_stack([np.full(len(half), -0.07), half[::-1, 0], -half[::-1, 1]])])
    else:
        local = np.column_stack([_PELVIS_SIDE[:, 0], _PELVIS_SIDE[:, 1], np.full(len(_PELVIS_SIDE), 0.09 * lat_sign)])
    ax.add_patch(Polygon(proj(o[pel] + local @ R[pel].T), closed=True, facecolor="#efe6d8", edgecolor="0.4",
                         lw=1, zorder=1))
    for sd in sides:
        fem, tib = names.index(f"femur_{sd}"), names.index(f"tibia_{sd}")
        lat = 1.0 if sd == "r" else -1.0
        troch = o[fem] + R[fem] @ np.array([-0.02, -0.03, 0.06 * lat])
        bone = proj(np.array([o[fem], troch, o[tib]]))
        ax.plot(bone[:, 0], bone[:, 1], color="0.4", lw=4, solid_capstyle="round", zorder=2)
        ax.add_patch(Circle(tuple(proj(o[fem])), 0.022, facecolor="0.85", edgecolor="0.4", zorder=3))
    cols = dict(colours or {})
    palette = colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    paths = fibre_paths(model, qs, [f"{g}_{sd}" for sd in sides for g in fibres])
    for k, g in enumerate(fibres):
        c = cols.get(g, palette[k % 10])
        for sd in sides:
            xy = proj(paths[f"{g}_{sd}"])
            ax.plot(xy[:, 0], xy[:, 1], color=c, lw=2.5, solid_capstyle="round", zorder=4,
                    label=_SHORT.get(g, g) if sd == sides[0] and labels else None)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_visible(False)


class StanceDemo:
    """Single-leg stance on ``side`` with live knobs, drawn in one figure.

    Args:
        model: a shipped model name or path (see :func:`hipsim.load_model`).
        side: stance leg, ``"r"`` or ``"l"``.
        height_m: the subject's height (fixed; the mass slider scales masses and strengths).
        figsize, dpi: of the figure (a :class:`matplotlib.figure.Figure`, no pyplot state).

    Knobs (:meth:`update`): ``mass_kg``, ``load_kg`` in the hand on ``load_side`` (``"r"``
    or ``"l"``; ``"opposite"``/``"same"`` relative to the stance leg also work),
    ``gmed_strength`` (fraction of normal force for all three gluteus medius parts of the
    stance side), ``pelvic_drop_deg`` (> 0 lowers the unsupported side) and
    ``trunk_lean_deg`` (> 0 over the stance hip).
    """

    def __init__(self, model: str = "default", side: str = "r", height_m: float = REFERENCE_HEIGHT_M,
                 figsize: tuple[float, float] = (11.0, 5.6), dpi: float = 80) -> None:
        if side not in ("r", "l"):
            raise input_error("argument", "side", side, "use 'r' or 'l'")
        SUBJECT_PARAMS["height_m"].check("height_m", height_m)
        self.model_name = model
        self.side = side
        self.other = "l" if side == "r" else "r"
        self.height_m = float(height_m)
        self.knobs: dict[str, Any] = {k: v[3] for k, v in SLIDERS.items()}
        self.knobs["load_side"] = self.other
        self.reading: DemoReading | None = None
        self._build_figure(figsize, dpi)
        self.update()

    # ------------------------------------------------------------------ knobs
    def _check(self, knobs: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(self.knobs)
        for k, v in knobs.items():
            if k == "load_side":
                v = {"opposite": self.other, "same": self.side}.get(v, v)
                if v not in ("r", "l"):
                    raise input_error("argument", "load_side", v, "use 'r', 'l', 'opposite' or 'same'")
                out[k] = v
                continue
            if k not in DEMO_PARAMS:
                raise input_error("argument", k, v, f"use one of {', '.join(list(DEMO_PARAMS) + ['load_side'])}")
            out[k] = DEMO_PARAMS[k].check(k, v)
        return out

    def model_for(self, mass_kg: float) -> Model:
        """The model scaled to ``mass_kg`` (rounded to 0.1 kg for the cache) at this demo's height."""
        return _scaled_model(self.model_name, round(float(mass_kg), 1), self.height_m)

    def solve(self, **knobs: Any) -> TaskResult:
        """Solve single-leg stance for the knob values (unnamed knobs keep their current value)."""
        k = self._check(knobs)
        s = self.side
        loads = [Load("hand", k["load_side"], k["load_kg"])] if k["load_kg"] > 0 else []
        strength = ({f"{g}_{s}": k["gmed_strength"] for g in _GMED} if k["gmed_strength"] != 1.0 else None)
        # The scaled model goes in as the model (subject=None keeps it as it is): its mass is
        # the subject's, so single_leg_stance does not rescale it on every call.
        return single_leg_stance(self.model_for(k["mass_kg"]), side=s, pelvic_drop_deg=k["pelvic_drop_deg"],
                                 trunk_lean_deg=k["trunk_lean_deg"], loads=loads, strength=strength)

    def update(self, mass_kg: float | None = None, load_kg: float | None = None, load_side: str | None = None,
               gmed_strength: float | None = None, pelvic_drop_deg: float | None = None,
               trunk_lean_deg: float | None = None) -> DemoReading:
        """Set the knobs given (others keep their values), solve, and update the figure.

        Returns the :class:`DemoReading`. The figure's artists are updated in place; call
        :meth:`render` (fast, blitted) or display or save the figure to see them. On an
        invalid knob, :class:`hipsim.InputError` is raised and nothing changes.
        """
        given = {k: v for k, v in dict(mass_kg=mass_kg, load_kg=load_kg, load_side=load_side,
                                        gmed_strength=gmed_strength, pelvic_drop_deg=pelvic_drop_deg,
                                        trunk_lean_deg=trunk_lean_deg).items() if v is not None}
        knobs = self._check(given)
        t0 = time.perf_counter()
        res = self.solve(**knobs)
        t1 = time.perf_counter()
        self.knobs = knobs
        reading = self._read(res, knobs, solve_ms=1e3 * (t1 - t0))
        self._draw(reading)
        reading = _with_draw_ms(reading, 1e3 * (time.perf_counter() - t1))
        self.reading = reading
        return reading

    def _read(self, res: TaskResult, knobs: dict[str, Any], solve_ms: float) -> DemoReading:
        s = self.side
        m = res.model
        idx = [m.muscle_index(f"{g}_{s}") for g in DEMO_FIBRES]
        forces = res.muscle_forces[0, idx]
        acts = res.activations[0, idx]
        c = f"hip_adduction_{s}"
        short = float(abs(res.reserves[0, res.reserve_coordinates.index(c)])) if c in res.reserve_coordinates else 0.0
        hcf = float(np.linalg.norm(res.hip_contact_force_ground[s][0]))
        return DemoReading(knobs=dict(knobs), hip_contact_n=hcf, hip_contact_bw=hcf / res.body_weight_n,
                           abductor_force_n=float(forces.sum()),
                           fibre_forces_n={g: float(f) for g, f in zip(DEMO_FIBRES, forces, strict=True)},
                           fibre_activations={g: float(a) for g, a in zip(DEMO_FIBRES, acts, strict=True)},
                           abduction_shortfall_nm=short, body_weight_n=res.body_weight_n, result=res,
                           solve_ms=solve_ms)

    # ------------------------------------------------------------------ figure
    def _build_figure(self, figsize: tuple[float, float], dpi: float) -> None:
        side = self.side
        fig = Figure(figsize=figsize, dpi=dpi)
        self.fig = fig
        body = fig.add_axes((0.0, 0.04, 0.22, 0.90))
        hip = fig.add_axes((0.22, 0.28, 0.33, 0.58))
        bars = fig.add_axes((0.66, 0.45, 0.31, 0.47))
        text = fig.add_axes((0.57, 0.05, 0.43, 0.30))
        cax = fig.add_axes((0.26, 0.20, 0.25, 0.025))
        self.body_ax, self.hip_ax, self.bar_ax, self.text_ax = body, hip, bars, text
        self._norm = Normalize(-0.15, 1.0)  # a resting fibre still shows as pale yellow
        self._cmap = colormaps["YlOrRd"]
        # Fixed limits: nothing autoscales on update; artists are kept and their data replaced.
        for ax, (xl, yl) in ((body, ((-0.55, 0.55), (-0.03, 1.82))), (hip, ((-0.24, 0.24), (0.60, 1.06)))):
            ax.set_xlim(*xl)
            ax.set_ylim(*yl)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for sp in ax.spines.values():
                sp.set_visible(False)
        body.axhline(0.0, color="0.6", lw=1)
        body.set_title("Whole body, from the front", fontsize=9)
        hip.set_title("Pelvis and hips from the front (the subject's right on your left):\n"
                      "abductor fibres coloured by activation; blue arrow: force of\n"
                      f"the pelvis on the {'right' if side == 'r' else 'left'} femoral head (frontal-plane part)",
                      fontsize=8.5)
        self._b: dict[str, Any] = {}
        self._h: dict[str, Any] = {}
        for ax, d, lw in ((body, self._b, 2.6), (hip, self._h, 4.0)):
            d["pelvis"] = Polygon(np.zeros((3, 2)), closed=True, facecolor="#efe6d8", edgecolor="0.35", lw=1,
                                  zorder=1)
            ax.add_patch(d["pelvis"])
            d["bones"] = LineCollection([], colors="0.35", linewidths=lw, capstyle="round", zorder=2)
            ax.add_collection(d["bones"])
        self._b["arms"] = LineCollection([], colors="0.55", linewidths=2.0, capstyle="round", zorder=2)
        body.add_collection(self._b["arms"])
        self._b["skull"] = Circle((0, 0), 0.095, facecolor="none", edgecolor="0.35", lw=1.8, zorder=2)
        body.add_patch(self._b["skull"])
        self._b["load"] = body.scatter([0], [0], s=0, marker="s", color="#7d3c98", zorder=5)
        self._b["load_txt"] = body.text(0, 0, "", fontsize=8, color="#7d3c98", ha="center", va="top", zorder=5)
        self._b["gravity"], = body.plot([], [], ls="--", color="#2e86c1", lw=1.0, zorder=1)
        self._b["com"] = body.scatter([0], [0], s=30, marker="o", facecolor="white", edgecolor="#2e86c1",
                                      zorder=6)
        self._b["w"] = FancyArrow(0, 0, 0, -0.1, width=0.012, head_width=0.045, head_length=0.05,
                                  length_includes_head=True, color="#2e86c1", zorder=6)
        body.add_patch(self._b["w"])
        self._b["w_txt"] = body.text(0, 0, "", fontsize=8, color="#2e86c1", zorder=6)
        self._h["heads"] = [Circle((0, 0), 0.022, facecolor="0.85", edgecolor="0.35", zorder=3) for _ in range(2)]
        for c in self._h["heads"]:
            hip.add_patch(c)
        self._h["muscles"] = LineCollection([], linewidths=4.5, cmap=self._cmap, norm=self._norm,
                                            capstyle="round", zorder=4)
        hip.add_collection(self._h["muscles"])
        self._h["j"] = FancyArrow(0, 0, 0, -0.1, width=0.006, head_width=0.02, head_length=0.022,
                                  length_includes_head=True, color="#2e86c1", zorder=7)
        hip.add_patch(self._h["j"])
        cb = fig.colorbar(self._h["muscles"], cax=cax, orientation="horizontal")
        cb.set_ticks([0, 0.25, 0.5, 0.75, 1.0])
        cb.set_label("activation (0 = at rest, 1 = maximal effort)", fontsize=8)
        cb.ax.tick_params(labelsize=7)

        # Fibre-load bars: a pale bar for each group's maximum isometric force, a coloured bar
        # for the force it carries now, coloured by activation like the lines.
        y = np.arange(len(DEMO_FIBRES))[::-1]
        self._cap_bars = bars.barh(y, np.zeros(len(y)), 0.72, color="0.93", edgecolor="0.7", zorder=1)
        self._force_bars = bars.barh(y, np.zeros(len(y)), 0.72, edgecolor="0.4", lw=0.5, zorder=2)
        self._bar_txt = [bars.text(0, yi, "", va="center", fontsize=8, zorder=3) for yi in y]
        bars.set_yticks(y, [_SHORT[g] for g in DEMO_FIBRES], fontsize=9)
        bars.set_xlabel("force (N); pale bar = maximum isometric force", fontsize=8)
        bars.tick_params(axis="x", labelsize=8)
        bars.grid(axis="x", alpha=0.3)
        bars.set_title(f"Abductor fibre forces, {'right' if self.side == 'r' else 'left'} (stance) hip", fontsize=10)
        # One fixed limit for every knob setting (no rescale, so the static layer never needs a
        # redraw): the largest full-strength capacity at the heaviest body mass, plus room for labels.
        heaviest = self.model_for(SLIDERS["mass_kg"][1])
        cap = max(heaviest.max_isometric_forces[heaviest.muscle_index(f"{g}_{self.side}")] for g in DEMO_FIBRES)
        self._bar_xmax = 250.0 * math.ceil(1.3 * float(cap) / 250.0)
        bars.set_xlim(0, self._bar_xmax)

        text.set_axis_off()
        text.text(0.0, 0.98, "Hip contact force:", fontsize=13, fontweight="bold", color="#1f618d", va="top")
        self._hcf_txt = text.text(0.49, 0.98, "", fontsize=13, fontweight="bold", color="#1f618d", va="top")
        text.text(0.0, 0.82, "stance hip; BW = body weight (the bag not included)", fontsize=8, va="top",
                  color="0.3")
        # Labels are static (drawn once); only the values beside them change.
        text.text(0.0, 0.64, "body mass\nbag in the hand\nGMed strength", fontsize=8.5, va="top", linespacing=1.4,
                  color="0.3")
        text.text(0.62, 0.64, "pelvic drop\ntrunk lean\nabductors pull", fontsize=8.5, va="top", linespacing=1.4,
                  color="0.3")
        self._info_txt = text.text(0.25, 0.64, "", fontsize=8.5, va="top", linespacing=1.4)
        self._info2_txt = text.text(0.83, 0.64, "", fontsize=8.5, va="top", linespacing=1.4)
        self._warn_txt = text.text(0.0, 0.0, "", fontsize=8.5, va="bottom", color="#b9770e", fontweight="bold")
        fig.text(0.57, 0.01, CAVEAT_LINE, fontsize=8, va="bottom", style="italic", color="0.35")

        # Blitting: everything that changes on an update is 'animated', so fig.canvas.draw()
        # renders only the static layer (axes, ticks, titles, colour bar), which is kept as a
        # pixel buffer; an update restores it and draws the changing artists on top. Saving or
        # displaying the figure (savefig) still draws every artist.
        self._dynamic = ([v for d in (self._b, self._h) for v in d.values() if not isinstance(v, list)]
                         + self._h["heads"] + list(self._cap_bars) + list(self._force_bars) + self._bar_txt
                         + [self._hcf_txt, self._info_txt, self._info2_txt, self._warn_txt])
        for a in self._dynamic:
            a.set_animated(True)
        FigureCanvasAgg(fig)
        self._background = None

    def _geometry(self, res: TaskResult) -> dict[str, Any]:
        """Frontal-plane coordinates of bones, muscle lines, arms, load and centre of mass."""
        m = res.model
        q = res.q[:1]
        R, o, _, _ = m.body_poses(q)
        R, o = R[0], o[0]
        names = m.body_names
        cm = m.compiled
        s = self.height_m / REFERENCE_HEIGHT_M
        b = {n: names.index(n) for n in names}
        segs, hip_segs = [], []
        for side in ("r", "l"):
            fem, tib, tal, cal, toe = (b[f"{k}_{side}"] for k in ("femur", "tibia", "talus", "calcn", "toes"))
            lat = 1.0 if side == "r" else -1.0
            # Femur drawn as neck (head to greater trochanter) then shaft (trochanter to knee).
            troch = o[fem] + R[fem] @ (s * np.array([-0.02, -0.03, 0.06 * lat]))
            leg = [[o[fem], troch], [troch, o[tib]], [o[tib], o[tal]], [o[tal], o[cal]], [o[cal], o[toe]]]
            segs += leg
            hip_segs += leg[:2]
        torso = b["torso"]
        neck = o[torso] + R[torso] @ (s * np.array([0.0, 0.45, 0.0]))
        segs += [[o[b["pelvis"]], o[torso]], [o[torso], neck]]
        half_sh = 0.259 * self.height_m / 2  # shoulder breadth, Winter (2009) Fig. 4.1
        sh = {lat: neck + R[torso] @ np.array([0.0, -0.03 * s, lat * half_sh]) for lat in (1.0, -1.0)}
        segs.append([sh[1.0], sh[-1.0]])
        # Arms hang from the shoulders to where hipsim hangs a bag in the hand.
        hands = self._hands(m)
        arms = [[sh[1.0], o[torso] + R[torso] @ hands["r"]], [sh[-1.0], o[torso] + R[torso] @ hands["l"]]]
        pel = b["pelvis"]
        half = _PELVIS_HALF * s
        outline_local = np.concatenate([
            np.column_stack([np.full(len(half), -0.07 * s), half[:, 0], half[:, 1]]),
            np.column_stack([np.full(len(half), -0.07 * s), half[::-1, 0], -half[::-1, 1]])])
        outline = o[pel] + outline_local @ R[pel].T
        # Muscle lines of the fibre groups, both sides.
        lines, acts = [], []
        fibre_names = [f"{g}_{side}" for side in ("r", "l") for g in DEMO_FIBRES]
        for name, pts in m.paths(q[:1], fibre_names).items():
            lines.append(_frontal(pts))
            acts.append(res.activations[0, m.muscle_index(name)])
        # Whole-body centre of mass (bodies and loads).
        masses = cm.body_mass[1:]
        pos = o[1:] + np.einsum("bij,bj->bi", R[1:], cm.body_com[1:])
        tot = float(masses.sum())
        mom = (masses[:, None] * pos).sum(axis=0)
        loads = []
        for pm in res.point_masses:
            p = o[b[pm.body]] + R[b[pm.body]] @ np.asarray(pm.location)
            tot += pm.mass_kg
            mom = mom + pm.mass_kg * p
            loads.append((p, pm.mass_kg))
        return dict(bones=_frontal(np.array(segs)), hip_bones=_frontal(np.array(hip_segs)),
                    arms=_frontal(np.array(arms)), pelvis=_frontal(outline),
                    hips={sd: _frontal(o[b[f"femur_{sd}"]]) for sd in ("r", "l")},
                    skull=_frontal(neck) + [0, 0.12 * s], lines=lines, acts=np.array(acts),
                    com=_frontal(mom / tot), loads=loads)

    def _hands(self, m: Model) -> dict[str, np.ndarray]:
        """Hand positions in the torso frame (where hipsim hangs a bag in the hand), per side."""
        key = (id(m), self.height_m)
        cache = getattr(self, "_hand_cache", None)
        if cache is None or cache[0] != key:
            from hipsim.tasks.stance import point_masses_for
            subj = Subject(round(m.mass, 6), self.height_m)
            pms = point_masses_for(m, subj, [Load("hand", "r", 1.0), Load("hand", "l", 1.0)])
            self._hand_cache = (key, {"r": np.asarray(pms[0].location), "l": np.asarray(pms[1].location)})
        return self._hand_cache[1]

    def _draw(self, rd: DemoReading) -> None:
        res = rd.result
        g = self._geometry(res)
        s = self.side
        B, H = self._b, self._h
        B["bones"].set_segments(g["bones"])
        B["arms"].set_segments(g["arms"])
        B["pelvis"].set_xy(g["pelvis"])
        B["skull"].center = tuple(g["skull"])
        H["bones"].set_segments(g["hip_bones"])
        H["pelvis"].set_xy(g["pelvis"])
        for c, sd in zip(H["heads"], ("r", "l"), strict=True):
            c.center = tuple(g["hips"][sd])
        H["muscles"].set_segments(g["lines"])
        H["muscles"].set_array(g["acts"])
        head = g["hips"][s]
        if g["loads"]:
            p, mass = g["loads"][0]
            xy = _frontal(p)
            B["load"].set_offsets([xy])
            B["load"].set_sizes([30 + 5 * mass])
            B["load_txt"].set_position((xy[0], xy[1] - 0.05))
            B["load_txt"].set_text(f"{mass:g} kg")
        else:
            B["load"].set_sizes([0])
            B["load_txt"].set_text("")
        com = g["com"]
        B["gravity"].set_data([com[0], com[0]], [0.0, com[1]])
        B["com"].set_offsets([com])
        total_w = rd.body_weight_n + float(np.linalg.norm(res.model.compiled.gravity)) * sum(
            pm.mass_kg for pm in res.point_masses)
        wl = 0.25 * total_w / rd.body_weight_n
        B["w"].set_data(x=com[0], y=com[1] - 0.03, dx=0.0, dy=-wl)
        B["w_txt"].set_position((com[0] + 0.04, com[1] + 0.10))
        B["w_txt"].set_text(f"weight\n{total_w / rd.body_weight_n:.2f} BW")
        # The force of the pelvis on the stance femoral head (frontal components), ending at the head.
        f = _frontal(res.hip_contact_force_ground[s][0]) / rd.body_weight_n * 0.03
        H["j"].set_data(x=head[0] - f[0], y=head[1] - f[1], dx=f[0], dy=f[1])

        # Bars.
        m = res.model
        idx = [m.muscle_index(f"{gname}_{s}") for gname in DEMO_FIBRES]
        caps = m.max_isometric_forces[idx]
        acts = np.array([rd.fibre_activations[gname] for gname in DEMO_FIBRES])
        forces = np.array([rd.fibre_forces_n[gname] for gname in DEMO_FIBRES])
        colours = self._cmap(self._norm(acts))
        for k in range(len(DEMO_FIBRES)):
            self._cap_bars[k].set_width(caps[k])
            self._force_bars[k].set_width(forces[k])
            self._force_bars[k].set_facecolor(colours[k])
            self._bar_txt[k].set_x(max(caps[k], forces[k]) + 0.01 * self._bar_xmax)
            self._bar_txt[k].set_text(f"{forces[k]:.0f} N")

        # Text panel.
        kn = rd.knobs
        bag = (f"{kn['load_kg']:g} kg, {'left' if kn['load_side'] == 'l' else 'right'} "
               f"({'opposite' if kn['load_side'] != s else 'same'} side)" if kn["load_kg"] > 0 else "none")
        self._hcf_txt.set_text(f"{rd.hip_contact_bw:.2f} BW ({rd.hip_contact_n:.0f} N)")
        self._info_txt.set_text(f"{kn['mass_kg']:g} kg\n{bag}\nx {kn['gmed_strength']:.2f}")
        self._info2_txt.set_text(f"{kn['pelvic_drop_deg']:+g} deg\n{kn['trunk_lean_deg']:+g} deg\n"
                                 f"{rd.abductor_force_bw:.2f} BW")
        if rd.abduction_shortfall_nm > ABDUCTOR_SHORTFALL_NM:
            self._warn_txt.set_text(f"Abductors short by {rd.abduction_shortfall_nm:.0f} N m: the pelvis\n"
                                    "would drop unless the trunk leans over the hip.")
        else:
            self._warn_txt.set_text("")

    # ------------------------------------------------------------------ rendering
    def render(self) -> None:
        """Render the current state into the figure's Agg canvas (pixels in
        ``fig.canvas.buffer_rgba()``): the cached static layer, then the changing artists.
        The static layer is redrawn in full only when it changed (first call, bar-axis rescale)."""
        canvas: FigureCanvasAgg = self.fig.canvas  # type: ignore[assignment]  # set in _build_figure
        if self._background is None or self._background_size != canvas.get_width_height():
            canvas.draw()  # static layer only: the changing artists are animated
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_size = canvas.get_width_height()
        else:
            canvas.restore_region(self._background)
        for a in self._dynamic:
            self.fig.draw_artist(a)

    def image_bytes(self, fmt: str = "png") -> bytes:
        """Render and encode the canvas as ``"png"`` or ``"jpeg"`` bytes.

        The widget uses JPEG (quality 90): about 2 ms to encode against about 20 ms for PNG
        at zlib level 1 (measured on this figure), which matters at slider speed."""
        from PIL import Image  # a matplotlib dependency

        self.render()
        w, h = self.fig.canvas.get_width_height()
        canvas: FigureCanvasAgg = self.fig.canvas  # type: ignore[assignment]  # set in _build_figure
        im = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        if fmt == "png":
            im.save(buf, format="png", compress_level=1)
        elif fmt == "jpeg":
            im.convert("RGB").save(buf, format="jpeg", quality=90)
        else:
            raise input_error("argument", "fmt", fmt, "use 'png' or 'jpeg'")
        return buf.getvalue()

    def png(self) -> bytes:
        """The current state as PNG bytes."""
        return self.image_bytes("png")

    # ------------------------------------------------------------------ front ends
    def static_figure(self, **knobs: Any) -> Figure:
        """Update with ``knobs`` (if any) and return the figure: the no-widget fallback.

        Displaying or saving it (``savefig``) draws every artist."""
        if knobs:
            self.update(**knobs)
        return self.fig

    def widget(self) -> Any:
        """An ipywidgets box: sliders, a side toggle and the figure as an image, updated on change."""
        import ipywidgets as w

        sliders = {}
        for key, (lo, hi, step, _, label) in SLIDERS.items():
            cls = w.IntSlider if float(step).is_integer() and float(lo).is_integer() else w.FloatSlider
            val = self.knobs[key]
            sliders[key] = cls(value=int(val) if cls is w.IntSlider else val, min=lo, max=hi, step=step,
                               description=label, continuous_update=True,
                               style={"description_width": "200px"}, layout=w.Layout(width="480px"))
        side_names = {"r": "right hand", "l": "left hand"}
        toggle = w.ToggleButtons(options=[(side_names[self.other] + " (opposite)", self.other),
                                          (side_names[self.side] + " (same side)", self.side)],
                                 value=self.knobs["load_side"], description="bag in the")
        image = w.Image(value=self.image_bytes("jpeg"), format="jpeg")
        status = w.HTML()

        def on_change(_change: Any = None) -> None:
            from html import escape

            from hipsim.errors import InputError
            knobs = {k: float(sl.value) for k, sl in sliders.items()}
            t0 = time.perf_counter()
            try:
                self.update(load_side=toggle.value, **knobs)
            except InputError as e:
                # A posture the model cannot stand in (its joint ranges): say so, keep the last picture.
                status.value = f"<small style='color:#b00'>not shown: {escape(str(e))}</small>"
                return
            image.value = self.image_bytes("jpeg")
            status.value = f"<small>update {1e3 * (time.perf_counter() - t0):.0f} ms</small>"

        for sl in sliders.values():
            sl.observe(on_change, names="value")
        toggle.observe(on_change, names="value")
        return w.VBox([w.HBox([w.VBox(list(sliders.values())[:3]), w.VBox(list(sliders.values())[3:] + [toggle])]),
                       image, status])

    def show(self, interactive: bool | None = None) -> Any:
        """Sliders in Jupyter (ipywidgets and a kernel front end present), else a static Figure.

        ``interactive=None`` decides from the environment; ``False`` forces the static figure.
        In a notebook, display the return value (make it the cell's last expression).
        """
        if interactive is None:
            interactive = widgets_available()
        if interactive:
            return self.widget()
        return self.static_figure()


def _with_draw_ms(rd: DemoReading, draw_ms: float) -> DemoReading:
    return dataclasses.replace(rd, draw_ms=draw_ms)


def widgets_available() -> bool:
    """True inside a Jupyter kernel (a widget front end can connect) with ipywidgets importable."""
    import importlib.util
    if importlib.util.find_spec("ipywidgets") is None or importlib.util.find_spec("IPython") is None:
        return False
    from IPython import get_ipython
    ip = get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"
