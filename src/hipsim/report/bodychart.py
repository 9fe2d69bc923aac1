"""Referred-pain body chart: where each fibre group's trigger points refer pain, shaded
by a scenario's change in computed load.

Three silhouettes (front, right side, back) are drawn from outline coordinates written
for hipsim (normalised body-height units: soles at 0, top of the head at 1); no outside
image or data is used. On them, each fibre group's referral zone is shaded with a
diverging colour map centred at 0 % (more load warm, less load cool). Overlapping zones
are alpha-blended, and each group's zone has its own edge line style so the groups stay
distinguishable where they overlap.

The silhouettes, the zones and the regions each zone stands for are data in
``hipsim/anatomy.toml`` (read by :mod:`hipsim.anatomy`), after Travell & Simons, *Myofascial
Pain and Dysfunction: The Trigger Point Manual*, vol. 2, *The Lower Extremities* (Williams &
Wilkins, 1992): ch. 8 gluteus medius, ch. 9 gluteus minimus, ch. 12 tensor fasciae latae.
The manual describes anterior and posterior gluteus minimus patterns only; the middle
fibres have no separate zone, so ``gluteus_minimus_middle`` is not a chart key. Gluteus
medius is one zone for all its parts.

The zones are schematic drawings of the described regions, not digitised figures; the
shading shows a change in computed mechanical load, never pain or a diagnosis.
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon
from matplotlib.path import Path as MplPath

from hipsim.anatomy import BODY_CHART_GROUPS, CHART_OUTLINES, REFERRAL_ZONES, ReferralZone
from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION
from hipsim.errors import input_error, is_real
from hipsim.fileio import atomic_open

__all__ = [
    "BODY_CHART_GROUPS",
    "BODY_CHART_KEYS",
    "CHART_FOOTER",
    "COLORBAR_LABEL",
    "REFERRAL_ZONES",
    "ReferralZone",
    "draw_body_chart",
    "save_body_chart",
]

#: Footer printed under every chart.
CHART_FOOTER = ("Referral zones after Travell & Simons (1992, vol. 2 of the Trigger Point "
                "Manual). Shading shows a change in computed mechanical load, not pain or a "
                "diagnosis.")
#: Colour-bar label.
COLORBAR_LABEL = "% change in fibre load vs baseline"

_SIDES = ("r", "l")
#: Every key :func:`draw_body_chart` accepts: ``<group>_<side>``.
BODY_CHART_KEYS: tuple[str, ...] = tuple(f"{g}_{s}" for g in BODY_CHART_GROUPS for s in _SIDES)

_VIEWS = ("front", "side", "back")
_VIEW_TITLES = {"front": "Front", "side": "Right side", "back": "Back"}


# ------------------------------------------------------------------------ outlines
def _catmull_rom(points: Sequence[tuple[float, float]] | np.ndarray, n: int = 12, *,
                 closed: bool = False) -> np.ndarray:
    """Centripetal Catmull-Rom curve through ``points`` (passes every point).

    Centripetal parametrisation (alpha = 0.5) avoids the loops and cusps that the uniform
    form makes where control points are unevenly spaced. ``closed`` joins the last point
    back to the first smoothly.
    """
    p = np.asarray(points, dtype=float)
    if len(p) < 3:
        return p
    if closed:
        ext = np.vstack([p[-1:], p, p[:2]])
    else:
        ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0) ** 0.5, 1e-9)
        t2 = t1 + max(np.linalg.norm(p2 - p1) ** 0.5, 1e-9)
        t3 = t2 + max(np.linalg.norm(p3 - p2) ** 0.5, 1e-9)
        t = np.linspace(t1, t2, n, endpoint=False)[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    if not closed:
        out.append(p[-1:])
    return np.vstack(out)


def _limb(centre: Sequence[tuple[float, float]], widths: Sequence[float]) -> np.ndarray:
    """Closed outline of a limb from its centre line and its width at each centre point,
    with rounded ends."""
    c = np.asarray(centre, dtype=float)
    w = np.asarray(widths, dtype=float) / 2.0
    tang = np.gradient(c, axis=0)
    tang /= np.linalg.norm(tang, axis=1)[:, None]
    normal = np.column_stack([-tang[:, 1], tang[:, 0]])
    a = c + normal * w[:, None]
    b = c - normal * w[:, None]
    start_cap = c[0] - tang[0] * w[0] * 0.8
    end_cap = c[-1] + tang[-1] * w[-1] * 0.9
    ring = np.vstack([start_cap[None], a, end_cap[None], b[::-1]])
    return _catmull_rom(ring, closed=True)


def _runs(*runs: Sequence[tuple[float, float]]) -> np.ndarray:
    """Join smooth runs end to end; the joins are corners (armpit, crotch, fingertips)."""
    parts = [_catmull_rom(r) for r in runs]
    return np.vstack([parts[0]] + [q[1:] for q in parts[1:]])


# Silhouettes and zones are data (hipsim/anatomy.toml, read by hipsim.anatomy): control
# points here become smooth outlines.
_O = CHART_OUTLINES
_FRONT_HALF = _runs(*_O["front_half"])


def _mirror_closed(half: np.ndarray) -> np.ndarray:
    """Close a right half-outline with its mirror image (x -> -x)."""
    left = half[::-1].copy()
    left[:, 0] *= -1.0
    return np.vstack([half, left[1:-1]])


_FRONT_OUTLINE = _mirror_closed(_FRONT_HALF)
_SIDE_OUTLINE = _runs(*_O["side"])
_SIDE_ARM = _limb(_O["side_arm_centre"], _O["side_arm_width"])
# surface marks: gluteal cleft and folds (back view), gluteal fold (side view)
_BACK_MARKS = (np.array(_O["back_cleft"]),) + tuple(_catmull_rom(f) for f in _O["back_folds"])
_SIDE_MARKS = tuple(_catmull_rom(f) for f in _O["side_folds"])


def _zone_xy(poly: Sequence[tuple[float, float]], view: str, side: str) -> np.ndarray:
    """Place a right-side zone polygon on a view: mirror for the left side, and flip
    front-view x because the person's right is on the viewer's left."""
    xy = _catmull_rom(poly, n=8, closed=True)  # soft edges: zones are schematic
    if view == "front":
        sign = -1.0 if side == "r" else 1.0
    elif view == "back":
        sign = 1.0 if side == "r" else -1.0
    else:
        sign = 1.0
    xy = xy.copy()
    xy[:, 0] *= sign
    return xy


# ----------------------------------------------------------------------- validation
def _validate(change_pct: Mapping[str, float | None]) -> dict[str, float | None]:
    if not isinstance(change_pct, Mapping):
        raise input_error("argument", "change_pct", type(change_pct).__name__,
                          "a mapping from '<group>_<side>' keys to % change values")
    allowed = ", ".join(BODY_CHART_KEYS)
    out: dict[str, float | None] = {}
    for key, value in change_pct.items():
        if key not in BODY_CHART_KEYS:
            hint = ""
            if isinstance(key, str) and key.startswith("gluteus_minimus_middle"):
                hint = (" (the manual gives no separate zone for the middle gluteus minimus "
                        "fibres)")
            raise input_error("argument", f"change_pct[{key!r}]", key,
                              f"keys are {allowed}{hint}")
        if value is None:  # a negligible change (hipsim.analysis.metrics.pct_change)
            out[key] = None
            continue
        # real numbers only: a string such as "10" is a caller's mistake, not a value
        allowed = "values are finite numbers (% change vs baseline), +inf (new) or None (negligible)"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise input_error("argument", f"change_pct[{key!r}]", value, allowed)
        v = float(value)
        if not (math.isfinite(v) or v == math.inf):
            raise input_error("argument", f"change_pct[{key!r}]", value, allowed)
        out[key] = v
    return out


_MISSING = object()  # a zone without a value (not shaded), unlike None (a negligible change)
_NICE = (10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0)


def _auto_vmax(values: Sequence[float]) -> float:
    """Smallest 'nice' colour limit covering the largest |change|, at least 10 %."""
    m = max((abs(v) for v in values), default=0.0)
    for nice in _NICE:
        if m <= nice:
            return nice
    return float(10 ** math.ceil(math.log10(m)))


def _fmt_pct(v: float | None | object) -> str:
    if v is _MISSING:
        return "–"
    if v is None:
        return "negl."
    assert isinstance(v, float)
    if v == math.inf:
        return "new"
    text = f"{v:+.0f} %" if abs(v) >= 100 else f"{v:+.1f} %"
    return text.replace("-", "\u2212")


# -------------------------------------------------------------------------- drawing
_BODY_FACE = "#d9d9d9"
_BODY_EDGE = "#4d4d4d"
_ZONE_ALPHA = 0.62
_CMAP = "RdBu_r"


def _draw_view(ax, view: str, values: Mapping[str, float | None], norm, cmap,
               k: float) -> None:
    outline = _SIDE_OUTLINE if view == "side" else _FRONT_OUTLINE
    body = PathPatch(MplPath(outline, closed=True), facecolor=_BODY_FACE,
                     edgecolor="none", zorder=1)
    ax.add_patch(body)
    for group in BODY_CHART_GROUPS:
        zone = REFERRAL_ZONES[group]
        for side in (("r",) if view == "side" else _SIDES):
            key = f"{group}_{side}"
            if key not in values:
                continue
            v = values[key]
            rgba = cmap(norm(0.0 if v is None else v))  # negligible: neutral
            for poly in zone.polygons[view]:
                patch = Polygon(_zone_xy(poly, view, side), closed=True,
                                facecolor=(*rgba[:3], _ZONE_ALPHA),
                                edgecolor=(0.15, 0.15, 0.15, 0.9), linewidth=0.8,
                                linestyle=zone.linestyle, zorder=2)
                patch.set_gid(f"{key}/{view}")
                ax.add_patch(patch)
                patch.set_clip_path(body)
    # outline on top so zone edges never hide the skin line
    ax.add_patch(PathPatch(MplPath(outline, closed=True), facecolor="none",
                           edgecolor=_BODY_EDGE, linewidth=1.1, zorder=4))
    if view == "side":
        ax.add_patch(PathPatch(MplPath(_SIDE_ARM, closed=True), facecolor=_BODY_FACE,
                               edgecolor=_BODY_EDGE, linewidth=1.0, zorder=5))
        marks = _SIDE_MARKS
    elif view == "back":
        marks = _BACK_MARKS
    else:
        marks = ()
    for m in marks:
        ax.plot(m[:, 0], m[:, 1], color=_BODY_EDGE, linewidth=0.7, alpha=0.7, zorder=4)

    ax.set_xlim(-0.19, 0.19)
    ax.set_ylim(-0.04, 1.04)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(_VIEW_TITLES[view], fontsize=11 * k, pad=4)
    if view != "side":
        # person's right is on the viewer's left in the front view, right in the back view
        r_x, l_x = (-0.06, 0.06) if view == "front" else (0.06, -0.06)
        for x, lab in ((r_x, "R"), (l_x, "L")):
            ax.text(x, -0.035, lab, ha="center", va="center", fontsize=9 * k, color="#333333")


def draw_body_chart(change_pct: Mapping[str, float | None], *, title: str | None = None,
                    fig: Figure | None = None, vmax: float | None = None) -> Figure:
    """Draw the referred-pain body chart shaded by a scenario's change in fibre load.

    Args:
        change_pct: ``"<group>_<side>"`` -> % change in load versus baseline (positive =
            more load), e.g. ``{"gluteus_minimus_anterior_r": 35.0}``. Groups are
            :data:`BODY_CHART_GROUPS`, sides ``r``/``l``; the full list is
            :data:`BODY_CHART_KEYS`. Zones without a key are not shaded. ``None`` is a
            negligible change and ``math.inf`` a load absent at baseline, as
            :func:`hipsim.analysis.metrics.pct_change` reports them (drawn neutral and at
            the warm end, and named so in the legend).
        title: optional figure title.
        fig: an empty :class:`matplotlib.figure.Figure` to draw into; a new 12 x 7.2 inch
            figure when omitted. No pyplot state is used, so this works on any backend.
        vmax: colour-scale limit in % (the scale runs from ``-vmax`` to ``+vmax``);
            chosen from the data when omitted (a round number, at least 10 %).

    Returns:
        The figure. Each shaded zone is a patch whose ``gid`` is ``"<key>/<view>"``
        (view ``front``, ``side`` or ``back``); the side view shows the right side.

    Raises:
        InputError: an unknown key, a value that is not a finite number, +inf or None, or a ``vmax``
            that is not a finite positive number.

    Zones after Travell & Simons (1992, vol. 2, chs 8, 9, 12); see the module docstring
    for the regions per group. The chart shows computed mechanical load, not pain.
    """
    values = _validate(change_pct)
    if vmax is None:
        vlim = _auto_vmax([v for v in values.values() if v is not None and math.isfinite(v)])
    else:
        if not is_real(vmax) or vmax <= 0:
            raise input_error("argument", "vmax", vmax, "a finite number > 0")
        vlim = float(vmax)
    norm = mcolors.Normalize(vmin=-vlim, vmax=vlim, clip=True)
    cmap = colormaps[_CMAP]

    if fig is None:
        fig = Figure(figsize=(12.0, 7.2), dpi=100)
    # Text is laid out for a 12-inch-wide figure; scale it with the figure's width so a
    # smaller figure keeps the same layout.
    k = min(max(fig.get_figwidth() / 12.0, 0.55), 1.6)
    gs = fig.add_gridspec(
        nrows=3, ncols=4, width_ratios=[1.0, 1.0, 1.0, 1.05],
        height_ratios=[0.50, 0.20, 0.30],
        left=0.02, right=0.97, top=0.90 if title else 0.95, bottom=0.09,
        wspace=0.04, hspace=0.25)
    for i, view in enumerate(_VIEWS):
        ax = fig.add_subplot(gs[:, i])
        _draw_view(ax, view, values, norm, cmap, k)

    # Legend: line style identifies the group; the text gives the R / L values.
    lax = fig.add_subplot(gs[0, 3])
    lax.set_axis_off()
    handles, labels = [], []
    for group in BODY_CHART_GROUPS:
        zone = REFERRAL_ZONES[group]
        handles.append(Line2D([], [], color="#262626", linewidth=1.2,
                              linestyle=zone.linestyle))
        r = values.get(f"{group}_r", _MISSING)
        l_ = values.get(f"{group}_l", _MISSING)
        labels.append(f"{zone.label}\nR {_fmt_pct(r)}   L {_fmt_pct(l_)}")
    leg = lax.legend(handles, labels, loc="upper left", frameon=False, fontsize=9 * k,
                     handlelength=3.2, labelspacing=1.1, title="Referral zone (edge)",
                     title_fontsize=9.5 * k, alignment="left")
    leg.get_title().set_fontweight("bold")

    # Colour bar (horizontal) under the legend.
    cax = fig.add_subplot(gs[1, 3])
    pos = cax.get_position()
    cax.set_position((pos.x0 + 0.01, pos.y0 + pos.height * 0.55, pos.width * 0.85,
                      pos.height * 0.18))
    beyond = [v for v in values.values() if v is not None and abs(v) > vlim]
    extend = "neither"
    if any(v > vlim for v in beyond) and any(v < -vlim for v in beyond):
        extend = "both"
    elif any(v > vlim for v in beyond):
        extend = "max"
    elif beyond:
        extend = "min"
    sm = ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, cax=cax, orientation="horizontal", extend=extend)
    cb.set_label(COLORBAR_LABEL, fontsize=9 * k)
    cb.ax.tick_params(labelsize=8 * k)
    cax.text(0.0, 1.35, "less load", transform=cax.transAxes, ha="left", va="bottom",
             fontsize=8 * k, color="#2166ac")
    cax.text(1.0, 1.35, "more load", transform=cax.transAxes, ha="right", va="bottom",
             fontsize=8 * k, color="#b2182b")

    nax = fig.add_subplot(gs[2, 3])
    nax.set_axis_off()
    nax.text(0.0, 1.0, "Each zone is shaded by its group's change in load;\n"
             "overlaps blend. The side view shows the right side.\n"
             "Unshaded zones: no value given. negl.: a change below\n"
             f"{100 * NEGLIGIBLE_FRACTION:g} % of the muscles' full scale (a convention);\n"
             "new: a load absent at baseline.", transform=nax.transAxes, ha="left",
             va="top", fontsize=8 * k, color="#404040", linespacing=1.4)

    if title:
        fig.suptitle(title, fontsize=13 * k, fontweight="bold", y=0.975)
    fig.text(0.5, 0.025, CHART_FOOTER, ha="center", va="center", fontsize=8.5 * k,
             color="#404040", style="italic", wrap=True)
    return fig


def save_body_chart(path: str | os.PathLike[str], change_pct: Mapping[str, float | None],
                    **kw: Any) -> Path:
    """Draw the body chart and write it as a PNG, atomically.

    The image is written to a temporary file in the target directory and moved into
    place with :func:`os.replace`, so a reader never sees a half-written file.

    Args:
        path: target file; its suffix must be ``.png``; the directory must exist.
        change_pct: as for :func:`draw_body_chart`.
        **kw: ``title``, ``vmax`` or ``dpi`` (default 150); ``title``/``vmax`` go to
            :func:`draw_body_chart`. A new file gets mode 0644; a replaced file keeps
            its mode.

    Returns:
        The path written.

    Raises:
        InputError: a bad suffix, a missing directory, an unknown keyword, or any
            :func:`draw_body_chart` input error.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise input_error("argument", "path", str(path), "a file name ending in .png")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise input_error("argument", "path", str(path),
                          "a path in an existing directory")
    dpi = kw.pop("dpi", 150)
    if not is_real(dpi) or not 20 <= dpi <= 1200:
        raise input_error("argument", "dpi", dpi, "a number from 20 to 1200")
    unknown = set(kw) - {"title", "vmax"}
    if unknown:
        raise input_error("argument", "keyword", sorted(unknown)[0],
                          "title, vmax or dpi")
    fig = draw_body_chart(change_pct, **kw)
    with atomic_open(target, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return target


def chart_shapes() -> dict[str, Any]:
    """The chart's drawing as plain coordinates (normalised body height), for drawing it
    elsewhere (the teaching site's SVG): per view (``front``, ``side``, ``back``) the body
    outline, the marks, the side view's arm, and each zone's polygons under ``<group>_<side>``
    (the side view: right side only), exactly as :func:`draw_body_chart` places them."""
    out: dict[str, Any] = {}
    for view in _VIEWS:
        outline = _SIDE_OUTLINE if view == "side" else _FRONT_OUTLINE
        marks = _SIDE_MARKS if view == "side" else _BACK_MARKS if view == "back" else ()
        zones = {f"{g}_{side}": [_zone_xy(p, view, side).tolist() for p in REFERRAL_ZONES[g].polygons[view]]
                 for g in BODY_CHART_GROUPS for side in (("r",) if view == "side" else _SIDES)}
        out[view] = {"title": _VIEW_TITLES[view], "outline": outline.tolist(),
                     "marks": [np.asarray(m).tolist() for m in marks],
                     "arm": _SIDE_ARM.tolist() if view == "side" else None, "zones": zones}
    return out
