"""Referred-pain body chart: where each fibre group's trigger points refer pain, shaded
by a scenario's change in computed load.

Three silhouettes (front, right side, back) are drawn from outline coordinates written
for hipsim (normalised body-height units: soles at 0, top of the head at 1); no outside
image or data is used. On them, each fibre group's referral zone is shaded with a
diverging colour map centred at 0 % (more load warm, less load cool). Overlapping zones
are alpha-blended, and each group's zone has its own edge line style so the groups stay
distinguishable where they overlap.

Referral zones follow the descriptions in Travell & Simons, *Myofascial Pain and
Dysfunction: The Trigger Point Manual*, vol. 2, *The Lower Extremities* (Williams &
Wilkins, 1992), and the project's domain brief (DOMAIN.md). (The 1999 edition by Simons,
Travell & Simons is the second edition of vol. 1, the upper half of the body; the hip
chapters are in vol. 2.)

* ``gluteus_minimus_anterior`` (ch. 9): lower lateral buttock, lateral thigh and knee,
  and the peroneal (lateral) leg down to the ankle.
* ``gluteus_minimus_posterior`` (ch. 9): lower medial buttock, back of the thigh and
  the calf ("pseudo-sciatica").
* ``gluteus_medius`` (ch. 8): along the posterior iliac crest, over the sacrum and the
  buttock, sometimes into the upper thigh.
* ``tensor_fasciae_latae`` (ch. 12): over the greater trochanter and down the
  anterolateral thigh toward the knee.

The manual describes anterior and posterior gluteus minimus patterns only; the middle
fibres have no separate zone, so ``gluteus_minimus_middle`` is not a chart key (pass its
change under the anterior or posterior key if that is what you mean). Gluteus medius is
one zone for all its parts.

The zones are schematic drawings of the described regions, not digitised figures; the
shading shows a change in computed mechanical load, never pain or a diagnosis.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon
from matplotlib.path import Path as MplPath

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

#: Fibre groups that have a referral zone on the chart, in legend order.
BODY_CHART_GROUPS: tuple[str, ...] = (
    "gluteus_minimus_anterior",
    "gluteus_minimus_posterior",
    "gluteus_medius",
    "tensor_fasciae_latae",
)
_SIDES = ("r", "l")
#: Every key :func:`draw_body_chart` accepts: ``<group>_<side>``.
BODY_CHART_KEYS: tuple[str, ...] = tuple(f"{g}_{s}" for g in BODY_CHART_GROUPS for s in _SIDES)

_VIEWS = ("front", "side", "back")
_VIEW_TITLES = {"front": "Front", "side": "Right side", "back": "Back"}


# ------------------------------------------------------------------------ outlines
def _catmull_rom(points: Sequence[tuple[float, float]], n: int = 12, *,
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


# Right half (x >= 0) of the front/back outline, from the crown down the outside of the
# body and back up the inside of the leg to the crotch. Proportions are those of an
# adult of eight head heights: chin at 0.87, shoulders about 0.82, hip joint about 0.52,
# knee about 0.28, fingertips about 0.39 (a drawing convention, not anthropometry data).
_FRONT_HALF = _runs(
    # head and neck
    [(0.0, 1.0), (0.028, 0.994), (0.045, 0.975), (0.051, 0.945), (0.049, 0.912),
     (0.042, 0.887), (0.031, 0.870), (0.024, 0.862), (0.024, 0.846)],
    # shoulder and outside of the arm to the hand
    [(0.024, 0.846), (0.052, 0.834), (0.088, 0.826), (0.113, 0.815), (0.127, 0.796),
     (0.132, 0.768), (0.134, 0.720), (0.138, 0.665), (0.143, 0.620), (0.149, 0.560),
     (0.154, 0.500), (0.160, 0.468), (0.162, 0.438), (0.157, 0.408), (0.146, 0.392)],
    # fingertips round to the inside of the wrist
    [(0.146, 0.392), (0.136, 0.398), (0.129, 0.418), (0.128, 0.452), (0.130, 0.492)],
    # inside of the arm up to the armpit
    [(0.130, 0.492), (0.124, 0.552), (0.117, 0.620), (0.111, 0.680), (0.105, 0.730),
     (0.098, 0.752)],
    # side of the trunk, hip and outside of the leg down to the foot
    [(0.098, 0.752), (0.093, 0.720), (0.086, 0.670), (0.079, 0.622), (0.081, 0.585),
     (0.092, 0.545), (0.100, 0.510), (0.099, 0.470), (0.093, 0.420), (0.084, 0.355),
     (0.074, 0.305), (0.071, 0.275), (0.074, 0.225), (0.068, 0.150), (0.058, 0.085),
     (0.053, 0.048), (0.058, 0.026), (0.068, 0.010), (0.071, 0.002)],
    # sole of the foot (front view: the foot is foreshortened)
    [(0.071, 0.002), (0.058, -0.002), (0.040, -0.002), (0.033, 0.004)],
    # inside of the leg up to the crotch
    [(0.033, 0.004), (0.030, 0.020), (0.032, 0.048), (0.030, 0.090), (0.025, 0.170),
     (0.022, 0.225), (0.024, 0.270), (0.022, 0.305), (0.017, 0.360), (0.011, 0.420),
     (0.005, 0.455), (0.0, 0.466)],
)


def _mirror_closed(half: np.ndarray) -> np.ndarray:
    """Close a right half-outline with its mirror image (x -> -x)."""
    left = half[::-1].copy()
    left[:, 0] *= -1.0
    return np.vstack([half, left[1:-1]])


_FRONT_OUTLINE = _mirror_closed(_FRONT_HALF)

# Right-side view, facing +x (anterior). Clockwise from the crown: face, chest, abdomen,
# front of the leg, foot, heel, calf, back of the thigh, buttock, back and occiput.
_SIDE_OUTLINE = _runs(
    [(0.0, 1.0), (0.030, 0.995), (0.050, 0.978), (0.058, 0.955), (0.060, 0.940)],
    [(0.060, 0.940), (0.068, 0.928), (0.061, 0.920), (0.062, 0.905), (0.058, 0.893),
     (0.056, 0.881)],
    [(0.056, 0.881), (0.040, 0.872), (0.030, 0.862)],
    [(0.030, 0.862), (0.032, 0.840), (0.045, 0.818), (0.060, 0.785), (0.063, 0.752),
     (0.053, 0.715), (0.050, 0.670), (0.057, 0.620), (0.058, 0.580), (0.050, 0.535),
     (0.043, 0.500), (0.047, 0.460), (0.045, 0.400), (0.036, 0.330), (0.034, 0.290),
     (0.027, 0.255), (0.022, 0.200), (0.015, 0.100), (0.014, 0.055)],
    [(0.014, 0.055), (0.032, 0.032), (0.060, 0.014), (0.082, 0.006), (0.082, 0.0)],
    [(0.082, 0.0), (-0.026, 0.0)],
    [(-0.026, 0.0), (-0.034, 0.014), (-0.026, 0.048), (-0.024, 0.100), (-0.036, 0.180),
     (-0.035, 0.230), (-0.027, 0.285), (-0.032, 0.335), (-0.045, 0.400), (-0.056, 0.455),
     (-0.067, 0.500), (-0.064, 0.550), (-0.046, 0.600), (-0.041, 0.640), (-0.047, 0.700),
     (-0.055, 0.760), (-0.049, 0.810), (-0.030, 0.845), (-0.029, 0.868)],
    [(-0.029, 0.868), (-0.043, 0.895), (-0.047, 0.940), (-0.032, 0.982), (0.0, 1.0)],
)

# Side view: the right arm, elbow slightly bent so the hand sits forward of the thigh
# and leaves the lateral hip and thigh (where the zones lie) in view.
_SIDE_ARM = _limb(
    [(-0.004, 0.812), (-0.006, 0.760), (-0.007, 0.700), (-0.006, 0.640), (0.020, 0.600),
     (0.052, 0.570), (0.080, 0.546), (0.100, 0.528)],
    [0.046, 0.042, 0.036, 0.033, 0.030, 0.027, 0.025, 0.026],
)

# Back-view surface marks: gluteal cleft and gluteal folds (right fold; mirrored).
_BACK_MARKS = (
    np.array([(0.0, 0.560), (0.0, 0.470)]),
    _catmull_rom([(0.006, 0.468), (0.030, 0.458), (0.060, 0.460), (0.080, 0.470)]),
    _catmull_rom([(-0.006, 0.468), (-0.030, 0.458), (-0.060, 0.460), (-0.080, 0.470)]),
)
_SIDE_MARKS = (
    # gluteal fold
    _catmull_rom([(-0.056, 0.455), (-0.040, 0.452), (-0.028, 0.458)]),
)


# ------------------------------------------------------------------- referral zones
@dataclass(frozen=True)
class ReferralZone:
    """One fibre group's referral zone.

    Attributes:
        group: fibre-group key (see :data:`BODY_CHART_GROUPS`).
        label: short label for the legend.
        regions: the body regions the source names for this group's referred pain.
        source: author, year and chapter of the description.
        polygons: per view (``"front"``, ``"side"``, ``"back"``), polygons for the
            **right** side in body coordinates with ``u`` = distance lateral of the midline
            (front/back views) or ``x`` = anterior (side view), ``y`` = height. They are
            drawn clipped to the silhouette, so edges that reach past the skin line are
            deliberate.
        linestyle: edge line style that identifies the group on the chart.
    """

    group: str
    label: str
    regions: str
    source: str
    polygons: Mapping[str, tuple[tuple[tuple[float, float], ...], ...]]
    linestyle: Any


def _poly(*pts: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    return tuple(pts)


_T_S_1992 = "Travell & Simons 1992, Trigger Point Manual vol. 2"

#: Referral zones per fibre group (immutable). Coordinates are schematic placements of
#: the regions named in ``regions``; no figure was digitised.
REFERRAL_ZONES: Mapping[str, ReferralZone] = MappingProxyType({
    "gluteus_minimus_anterior": ReferralZone(
        group="gluteus_minimus_anterior",
        label="Gluteus minimus, anterior",
        regions=("lower lateral buttock; lateral thigh and knee; peroneal (lateral) leg to "
                 "the ankle (rarely the dorsum of the foot, not drawn)"),
        source=f"{_T_S_1992}, ch. 9 (gluteus minimus); DOMAIN.md",
        polygons=MappingProxyType({
            # lateral border of thigh and leg as seen from the front
            "front": (_poly((0.072, 0.500), (0.108, 0.500), (0.101, 0.420), (0.092, 0.355),
                            (0.082, 0.305), (0.079, 0.275), (0.082, 0.225), (0.076, 0.150),
                            (0.066, 0.085), (0.061, 0.040), (0.048, 0.040), (0.052, 0.120),
                            (0.058, 0.220), (0.058, 0.290), (0.065, 0.360),
                            (0.072, 0.440)),),
            # lateral strip from the lower buttock to the lateral malleolus
            "side": (_poly((-0.050, 0.520), (-0.010, 0.525), (0.014, 0.490), (0.016, 0.400),
                           (0.014, 0.320), (0.010, 0.270), (0.006, 0.200), (0.004, 0.110),
                           (0.006, 0.050), (-0.018, 0.050), (-0.022, 0.110), (-0.026, 0.200),
                           (-0.020, 0.270), (-0.024, 0.320), (-0.030, 0.400),
                           (-0.052, 0.470)),),
            # lower lateral buttock and the lateral border of thigh and leg from behind
            "back": (_poly((0.052, 0.515), (0.108, 0.515), (0.101, 0.420), (0.092, 0.355),
                           (0.082, 0.305), (0.079, 0.275), (0.082, 0.225), (0.076, 0.150),
                           (0.066, 0.085), (0.061, 0.040), (0.050, 0.040), (0.054, 0.120),
                           (0.060, 0.220), (0.060, 0.290), (0.068, 0.360), (0.072, 0.440),
                           (0.062, 0.470)),),
        }),
        linestyle="-",
    ),
    "gluteus_minimus_posterior": ReferralZone(
        group="gluteus_minimus_posterior",
        label="Gluteus minimus, posterior",
        regions="lower medial buttock; back of the thigh; calf",
        source=f"{_T_S_1992}, ch. 9 (gluteus minimus); DOMAIN.md",
        polygons=MappingProxyType({
            "front": (),
            "side": (_poly((-0.075, 0.530), (-0.050, 0.525), (-0.035, 0.470), (-0.022, 0.400),
                           (-0.014, 0.330), (-0.010, 0.260), (-0.008, 0.190), (-0.010, 0.120),
                           (-0.036, 0.120), (-0.044, 0.180), (-0.043, 0.230),
                           (-0.035, 0.285), (-0.040, 0.335), (-0.053, 0.400),
                           (-0.064, 0.455)),),
            "back": (_poly((0.004, 0.525), (0.050, 0.525), (0.062, 0.470), (0.066, 0.400),
                           (0.060, 0.320), (0.058, 0.240), (0.056, 0.120), (0.030, 0.120),
                           (0.028, 0.240), (0.026, 0.320), (0.020, 0.400), (0.010, 0.460),
                           (0.004, 0.475)),),
        }),
        linestyle=(0, (4.0, 2.0)),
    ),
    "gluteus_medius": ReferralZone(
        group="gluteus_medius",
        label="Gluteus medius",
        regions=("along the posterior iliac crest; over the sacrum and the buttock; "
                 "sometimes the upper thigh"),
        source=f"{_T_S_1992}, ch. 8 (gluteus medius); DOMAIN.md",
        polygons=MappingProxyType({
            "front": (),
            "side": (_poly((-0.054, 0.612), (-0.030, 0.622), (0.004, 0.612), (0.012, 0.575),
                           (0.004, 0.520), (-0.008, 0.460), (-0.030, 0.430), (-0.064, 0.445),
                           (-0.073, 0.500), (-0.070, 0.550)),),
            "back": (_poly((0.000, 0.605), (0.030, 0.618), (0.060, 0.624), (0.084, 0.608),
                           (0.100, 0.578), (0.106, 0.530), (0.104, 0.470), (0.092, 0.430),
                           (0.070, 0.435), (0.058, 0.480), (0.036, 0.505), (0.012, 0.505),
                           (0.000, 0.510)),),
        }),
        linestyle=(0, (1.0, 1.6)),
    ),
    "tensor_fasciae_latae": ReferralZone(
        group="tensor_fasciae_latae",
        label="Tensor fasciae latae",
        regions="over the greater trochanter and down the anterolateral thigh toward the knee",
        source=f"{_T_S_1992}, ch. 12 (tensor fasciae latae); DOMAIN.md",
        polygons=MappingProxyType({
            "front": (_poly((0.050, 0.530), (0.104, 0.530), (0.101, 0.420), (0.090, 0.340),
                            (0.078, 0.305), (0.056, 0.305), (0.052, 0.360), (0.048, 0.440)),),
            "side": (_poly((-0.018, 0.545), (0.030, 0.540), (0.052, 0.480), (0.052, 0.400),
                           (0.042, 0.330), (0.032, 0.300), (0.008, 0.300), (0.004, 0.350),
                           (-0.004, 0.420), (-0.016, 0.480)),),
            "back": (),
        }),
        linestyle=(0, (5.0, 1.5, 1.0, 1.5)),
    ),
})


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
def _validate(change_pct: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(change_pct, Mapping):
        raise input_error("argument", "change_pct", type(change_pct).__name__,
                          "a mapping from '<group>_<side>' keys to % change values")
    allowed = ", ".join(BODY_CHART_KEYS)
    out: dict[str, float] = {}
    for key, value in change_pct.items():
        if key not in BODY_CHART_KEYS:
            hint = ""
            if isinstance(key, str) and key.startswith("gluteus_minimus_middle"):
                hint = (" (the manual gives no separate zone for the middle gluteus minimus "
                        "fibres)")
            raise input_error("argument", f"change_pct[{key!r}]", key,
                              f"keys are {allowed}{hint}")
        # real numbers only: a string such as "10" is a caller's mistake, not a value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise input_error("argument", f"change_pct[{key!r}]", value,
                              "values are finite numbers (% change vs baseline)")
        v = float(value)
        if not math.isfinite(v):
            raise input_error("argument", f"change_pct[{key!r}]", value,
                              "values are finite numbers (% change vs baseline)")
        out[key] = v
    return out


_NICE = (10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0)


def _auto_vmax(values: Sequence[float]) -> float:
    """Smallest 'nice' colour limit covering the largest |change|, at least 10 %."""
    m = max((abs(v) for v in values), default=0.0)
    for nice in _NICE:
        if m <= nice:
            return nice
    return float(10 ** math.ceil(math.log10(m)))


def _fmt_pct(v: float | None) -> str:
    if v is None:
        return "–"
    text = f"{v:+.0f} %" if abs(v) >= 100 else f"{v:+.1f} %"
    return text.replace("-", "\u2212")


# -------------------------------------------------------------------------- drawing
_BODY_FACE = "#d9d9d9"
_BODY_EDGE = "#4d4d4d"
_ZONE_ALPHA = 0.62
_CMAP = "RdBu_r"


def _draw_view(ax, view: str, values: Mapping[str, float], norm, cmap,
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
            rgba = cmap(norm(values[key]))
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


def draw_body_chart(change_pct: Mapping[str, float], *, title: str | None = None,
                    fig: Figure | None = None, vmax: float | None = None) -> Figure:
    """Draw the referred-pain body chart shaded by a scenario's change in fibre load.

    Args:
        change_pct: ``"<group>_<side>"`` -> % change in load versus baseline (positive =
            more load), e.g. ``{"gluteus_minimus_anterior_r": 35.0}``. Groups are
            :data:`BODY_CHART_GROUPS`, sides ``r``/``l``; the full list is
            :data:`BODY_CHART_KEYS`. Zones without a key are not shaded.
        title: optional figure title.
        fig: an empty :class:`matplotlib.figure.Figure` to draw into; a new 12 x 7.2 inch
            figure when omitted. No pyplot state is used, so this works on any backend.
        vmax: colour-scale limit in % (the scale runs from ``-vmax`` to ``+vmax``);
            chosen from the data when omitted (a round number, at least 10 %).

    Returns:
        The figure. Each shaded zone is a patch whose ``gid`` is ``"<key>/<view>"``
        (view ``front``, ``side`` or ``back``); the side view shows the right side.

    Raises:
        InputError: an unknown key, a value that is not a finite number, or a ``vmax``
            that is not a finite positive number.

    Zones after Travell & Simons (1992, vol. 2, chs 8, 9, 12); see the module docstring
    for the regions per group. The chart shows computed mechanical load, not pain.
    """
    values = _validate(change_pct)
    if vmax is None:
        vlim = _auto_vmax(list(values.values()))
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
        r = values.get(f"{group}_r")
        l_ = values.get(f"{group}_l")
        labels.append(f"{zone.label}\nR {_fmt_pct(r)}   L {_fmt_pct(l_)}")
    leg = lax.legend(handles, labels, loc="upper left", frameon=False, fontsize=9 * k,
                     handlelength=3.2, labelspacing=1.1, title="Referral zone (edge)",
                     title_fontsize=9.5 * k, alignment="left")
    leg.get_title().set_fontweight("bold")

    # Colour bar (horizontal) under the legend.
    cax = fig.add_subplot(gs[1, 3])
    pos = cax.get_position()
    cax.set_position([pos.x0 + 0.01, pos.y0 + pos.height * 0.55, pos.width * 0.85,
                      pos.height * 0.18])
    beyond = [v for v in values.values() if abs(v) > vlim]
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
             "Unshaded zones: no value given.", transform=nax.transAxes, ha="left",
             va="top", fontsize=8 * k, color="#404040", linespacing=1.4)

    if title:
        fig.suptitle(title, fontsize=13 * k, fontweight="bold", y=0.975)
    fig.text(0.5, 0.025, CHART_FOOTER, ha="center", va="center", fontsize=8.5 * k,
             color="#404040", style="italic", wrap=True)
    return fig


def save_body_chart(path: str | os.PathLike[str], change_pct: Mapping[str, float],
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
