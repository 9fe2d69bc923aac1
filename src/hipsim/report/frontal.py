"""The whole body from the front, as the demo draws it: the one frontal picture of hipsim.

:func:`frontal_geometry` turns one frame of a :class:`~hipsim.tasks.result.TaskResult` into
frontal-plane drawing coordinates (metres; the subject's right on the viewer's left): the
skeleton with trunk, head and arms, the stance leg and the lifted (or swinging) leg, the
pelvis outline, every fibre line of the tracked groups with its activation, the carried loads
where they are held, the whole-body centre of mass, the hip contact force and, for single-leg
stance, Pauwels' levers of body weight and abductors (:func:`hipsim.tasks.stance.lever_diagram`).
Both the static figure (:func:`draw_frontal_figure`, used by ``hipsim run`` and the gallery)
and the teaching site (:mod:`hipsim.teach`) draw from it, so the two show the same thing.

Fibres are coloured by activation on one fixed scale (:data:`ACTIVATION_NORM`), never rescaled
per picture. The outlines (pelvis, head, arms) are drawing aids; the lines are the model's.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrow, Polygon, Rectangle

from hipsim.anatomy import FIBRE_GROUPS, SHORT_LABELS
from hipsim.model.scaling import REFERENCE_HEIGHT_M
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM, TaskResult

__all__ = ["ACTIVATION_NORM", "ACTIVATION_CMAP", "FIBRE_COLOURS", "frontal_geometry", "draw_frontal_figure",
           "stance_side", "foot_loads_n", "abduction_shortfall_nm", "frame_label", "wallet_of", "picture_side"]

#: One fixed colour scale for activation (a resting fibre still shows as pale yellow).
ACTIVATION_NORM = Normalize(-0.15, 1.0)
ACTIVATION_CMAP = colormaps["YlOrRd"]
#: A colour per fibre group for its label and its bar outline (tab10, in display order).
FIBRE_COLOURS: dict[str, str] = {g: "#{:02x}{:02x}{:02x}".format(*(int(255 * c) for c in colormaps["tab10"](k)[:3]))
                                 for k, g in enumerate(FIBRE_GROUPS)}

# Schematic pelvis outline (pelvis frame, y up and z right, metres for gait2392 at 1.80 m), the
# same drawing aid as the demo's.
_PELVIS_HALF = np.array([(0.030, 0.030), (0.075, 0.075), (0.072, 0.110), (0.035, 0.130), (-0.015, 0.124),
                         (-0.040, 0.118), (-0.070, 0.116), (-0.100, 0.100), (-0.140, 0.070), (-0.135, 0.035),
                         (-0.105, 0.008)])


def _frontal(p: np.ndarray) -> np.ndarray:
    """Ground points (..., 3) -> (..., 2) seen from the front: the subject's right on the viewer's left."""
    p = np.asarray(p, dtype=float)
    return np.stack([-p[..., 2], p[..., 1]], axis=-1)


def foot_loads_n(result: TaskResult, frame: int = 0) -> dict[str, float]:
    """Vertical ground reaction (N) under each foot at ``frame`` (0 for a foot in the air), from the
    result's external loads on each side's foot bodies."""
    out = {"r": 0.0, "l": 0.0}
    for ld in result.external_loads:
        for sd in ("r", "l"):
            if ld.body in (f"calcn_{sd}", f"toes_{sd}", f"talus_{sd}"):
                out[sd] += float(max(0.0, ld.force[frame, 1]))
    return out


def stance_side(result: TaskResult, frame: int = 0) -> str:
    """The stance leg: single-leg stance's ``side``; otherwise the foot carrying the larger vertical
    ground reaction, or, without ground reactions, the side whose heel is lower."""
    side = result.parameters.get("side")
    if result.task == "single_leg_stance" and side in ("r", "l"):
        return str(side)
    loads = foot_loads_n(result, frame)
    if max(loads.values()) > 0.0:
        return "r" if loads["r"] >= loads["l"] else "l"
    m = result.model
    _, o, _, _ = m.body_poses(result.q[frame:frame + 1])
    yr = o[0, m.body_names.index("calcn_r"), 1]
    yl = o[0, m.body_names.index("calcn_l"), 1]
    return "r" if yr <= yl else "l"


def abduction_shortfall_nm(result: TaskResult, frame: int = 0, side: str | None = None) -> float:
    """Reserve torque (N m) on the stance hip's adduction axis at ``frame``: what the abductors could not supply."""
    side = side or stance_side(result, frame)
    c = f"hip_adduction_{side}"
    if c not in result.reserve_coordinates:
        return 0.0
    return float(abs(result.reserves[frame, result.reserve_coordinates.index(c)]))


def picture_side(result: TaskResult, wallet: tuple[str, float] | None = None) -> str:
    """The side a picture reports (bars, hip contact force): single-leg stance's stance leg, a
    wallet's side when seated on one, otherwise the right (``hipsim run`` draws the frame of the
    right hip's peak contact force)."""
    if result.task == "single_leg_stance" and result.parameters.get("side") in ("r", "l"):
        return str(result.parameters["side"])
    if result.task == "sitting" and wallet is not None:
        return wallet[0]
    return "r"


def wallet_of(spec: Any) -> tuple[str, float] | None:
    """(side, thickness in cm) of a scenario's wallet modifier, for drawing it; None without one."""
    for mod in getattr(spec, "modifiers", ()):
        if getattr(mod, "type", None) == "wallet":
            return (str(mod.values["side"]), float(mod.values["thickness_cm"]))
    return None


def frame_label(result: TaskResult, frame: int) -> str:
    """Which moment a picture shows: '% of the gait cycle' for a cycle, 'held posture' for one frame."""
    if result.percent is not None and result.n_frames > 1:
        return f"{float(result.percent[frame]):.0f} % of the gait cycle (right heel strike = 0 %)"
    if result.n_frames > 1:
        return f"t = {float(result.time[frame]):.2f} s"
    return "held posture"


def frontal_geometry(result: TaskResult, frame: int = 0, groups: Sequence[str] = FIBRE_GROUPS) -> dict[str, Any]:
    """Frontal-plane drawing coordinates of ``result`` at ``frame`` (metres, 2D, the subject's right on the left).

    Keys: ``trunk`` (pelvis centre, shoulders' midpoint, neck), ``shoulders`` (2 points),
    ``head`` (centre, radius), ``arms`` (per side: shoulder, hand), ``legs`` (per side: hip,
    trochanter, knee, ankle, heel, toes), ``stance`` and ``lifted`` (sides; ``lifted`` is None
    when both feet may be down), ``foot_clearance_m`` (per side: lowest foot point's height),
    ``pelvis`` (outline), ``fibres`` (``<group>_<side>`` -> points), ``activation`` (same keys),
    ``loads`` (list of (point, mass_kg, label)), ``com`` (whole body and loads), ``hcf`` (stance
    side: frontal components of the pelvis's force on the femoral head, N), ``levers`` (single-leg
    stance: hip centre, centre of mass above the hip, weight and abductor levers in m, the
    abductors' line of action) and ``floor`` (height of the ground, 0).
    """
    from hipsim.tasks.stance import Load, lever_diagram, point_masses_for

    m = result.model
    q = result.q[frame:frame + 1]
    R, o, _, _ = m.body_poses(q)
    R, o = R[0], o[0]
    b = {n: i for i, n in enumerate(m.body_names)}
    height = float(result.subject.height_m)
    s = height / REFERENCE_HEIGHT_M
    cm = m.compiled
    legs = {}
    clearance = {}
    for sd in ("r", "l"):
        lat = 1.0 if sd == "r" else -1.0
        fem = b[f"femur_{sd}"]
        troch = o[fem] + R[fem] @ (s * np.array([-0.02, -0.03, 0.06 * lat]))
        pts = [o[fem], troch, o[b[f"tibia_{sd}"]], o[b[f"talus_{sd}"]], o[b[f"calcn_{sd}"]], o[b[f"toes_{sd}"]]]
        legs[sd] = _frontal(np.array(pts))
        clearance[sd] = float(min(o[b[f"calcn_{sd}"], 1], o[b[f"toes_{sd}"], 1]))
    torso = b["torso"]
    neck = o[torso] + R[torso] @ (s * np.array([0.0, 0.45, 0.0]))
    half_sh = 0.259 * height / 2  # shoulder breadth, Winter (2009) Fig. 4.1
    sh = {sd: neck + R[torso] @ np.array([0.0, -0.03 * s, (1.0 if sd == "r" else -1.0) * half_sh]) for sd in ("r", "l")}
    hands = point_masses_for(m, result.subject, [Load("hand", "r", 1.0), Load("hand", "l", 1.0)])
    arms = {}
    for sd, pm in zip(("r", "l"), hands, strict=True):
        hb = b[pm.body]
        arms[sd] = _frontal(np.array([sh[sd], o[hb] + R[hb] @ np.asarray(pm.location)]))
    head_c = neck + R[torso] @ (s * np.array([0.0, 0.12, 0.0]))
    pel = b["pelvis"]
    half = _PELVIS_HALF * s
    outline_local = np.concatenate([
        np.column_stack([np.full(len(half), -0.07 * s), half[:, 0], half[:, 1]]),
        np.column_stack([np.full(len(half), -0.07 * s), half[::-1, 0], -half[::-1, 1]])])
    outline = o[pel] + outline_local @ R[pel].T
    names = [f"{g}_{sd}" for sd in ("r", "l") for g in groups]
    fibres = {n: _frontal(p) for n, p in m.paths(q, names).items()}
    act = {n: float(result.activations[frame, m.muscle_index(n)]) for n in names}
    masses = cm.body_mass[1:]
    pos = o[1:] + np.einsum("bij,bj->bi", R[1:], cm.body_com[1:])
    tot = float(masses.sum())
    mom = (masses[:, None] * pos).sum(axis=0)
    loads = []
    for pm in result.point_masses:
        p = o[b[pm.body]] + R[b[pm.body]] @ np.asarray(pm.location)
        tot += pm.mass_kg
        mom = mom + pm.mass_kg * p
        loads.append((_frontal(p), float(pm.mass_kg), str(pm.label or pm.body)))
    st = stance_side(result, frame)
    lifted = None
    if result.task == "single_leg_stance":
        lifted = "l" if st == "r" else "r"
    out: dict[str, Any] = dict(
        trunk=_frontal(np.array([o[pel], o[torso], neck])), shoulders=_frontal(np.array([sh["r"], sh["l"]])),
        head=(_frontal(head_c), 0.095 * s), arms=arms, legs=legs, stance=st, lifted=lifted,
        foot_clearance_m=clearance, pelvis=_frontal(outline), fibres=fibres, activation=act, loads=loads,
        com=_frontal(mom / tot), hcf=_frontal(result.hip_contact_force_ground[st][frame]), floor=0.0,
        hips={sd: _frontal(o[b[f"femur_{sd}"]]) for sd in ("r", "l")}, levers=None)
    if result.task == "single_leg_stance":
        ld = lever_diagram(result)
        hip2 = _frontal(ld.hip_center)
        org, ins = _frontal(ld.abductor_origin), _frontal(ld.abductor_insertion)
        d = org - ins
        d = d / max(float(np.linalg.norm(d)), 1e-9)
        # Foot of the perpendicular from the hip centre to the abductors' line of action.
        foot = ins + d * float(np.dot(hip2 - ins, d))
        out["levers"] = dict(hip=hip2, com_above=_frontal(ld.com_above), weight_lever_m=float(ld.weight_lever_m),
                             abductor_lever_m=float(ld.abductor_lever_m), weight_n=float(ld.weight_n),
                             abductor_origin=org, abductor_insertion=ins, abductor_foot=foot)
    return out


def _label_fibres(ax: Any, g: dict[str, Any], side: str, groups: Sequence[str], x_text: float, y_top: float,
                  y_bottom: float, fontsize: float = 7.5) -> None:
    """Name each fibre line of ``side`` in a column at ``x_text``, with a thin leader to its middle."""
    keys = [f"{grp}_{side}" for grp in groups]
    mids = {k: g["fibres"][k][len(g["fibres"][k]) // 2] if len(g["fibres"][k]) > 2 else g["fibres"][k].mean(axis=0)
            for k in keys}
    order = sorted(keys, key=lambda k: -mids[k][1])
    ys = np.linspace(y_top, y_bottom, len(order))
    for k, y in zip(order, ys, strict=True):
        grp = k.rsplit("_", 1)[0]
        ax.annotate(SHORT_LABELS.get(grp, grp), xy=tuple(mids[k]), xytext=(x_text, y), fontsize=fontsize,
                    color=FIBRE_COLOURS.get(grp, "k"), fontweight="bold", va="center",
                    ha="right" if x_text < mids[k][0] else "left",
                    arrowprops=dict(arrowstyle="-", color=FIBRE_COLOURS.get(grp, "0.3"), lw=0.6, alpha=0.8))


def _draw_body(ax: Any, g: dict[str, Any], fibre_lw: float, bone_lw: float, wallet: tuple[str, float] | None,
               seated: bool) -> None:
    lift = g["lifted"]
    for sd, pts in g["legs"].items():
        style = dict(color="0.35", lw=bone_lw, solid_capstyle="round", zorder=2)
        if sd == lift:
            style.update(color="0.6", ls=(0, (3, 1.5)))
        ax.plot(pts[:, 0], pts[:, 1], **style)
    ax.plot(g["trunk"][:, 0], g["trunk"][:, 1], color="0.35", lw=bone_lw, solid_capstyle="round", zorder=2)
    ax.plot(g["shoulders"][:, 0], g["shoulders"][:, 1], color="0.35", lw=bone_lw, solid_capstyle="round", zorder=2)
    for pts in g["arms"].values():
        ax.plot(pts[:, 0], pts[:, 1], color="0.55", lw=0.8 * bone_lw, solid_capstyle="round", zorder=2)
    c, r = g["head"]
    ax.add_patch(Circle(tuple(c), r, facecolor="white", edgecolor="0.35", lw=1.6, zorder=2))
    ax.add_patch(Polygon(g["pelvis"], closed=True, facecolor="#efe6d8", edgecolor="0.35", lw=1, zorder=1))
    lines = list(g["fibres"].values())
    acts = np.array(list(g["activation"].values()))
    ax.add_collection(LineCollection(lines, colors=ACTIVATION_CMAP(ACTIVATION_NORM(acts)), linewidths=fibre_lw,
                                     capstyle="round", zorder=4))
    if seated:
        hips = np.array(list(g["hips"].values()))
        seat_y = float(hips[:, 1].min()) - 0.11
        ax.add_patch(Rectangle((float(hips[:, 0].min()) - 0.25, seat_y - 0.05), float(np.ptp(hips[:, 0])) + 0.5,
                               0.05, facecolor="#d5c4a1", edgecolor="0.4", zorder=0))
        ax.text(float(hips[:, 0].max()) + 0.26, seat_y - 0.025, "seat", fontsize=7, va="center", color="0.3")
        if wallet is not None:
            wside, thick_cm = wallet
            x = float(g["hips"][wside][0])
            ax.add_patch(Rectangle((x - 0.05, seat_y), 0.10, max(thick_cm / 100.0, 0.008), facecolor="#6e2c00",
                                   edgecolor="k", zorder=3))
            ax.annotate(f"wallet {thick_cm:g} cm", (x, seat_y), xytext=(x, seat_y - 0.16), fontsize=7.5,
                        ha="center", color="#6e2c00", arrowprops=dict(arrowstyle="->", color="#6e2c00", lw=0.8))


def draw_frontal_figure(result: TaskResult, frame: int = 0, title: str = "", groups: Sequence[str] = FIBRE_GROUPS,
                        wallet: tuple[str, float] | None = None, fig: Figure | None = None,
                        box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
                        side: str | None = None) -> Figure:
    """The demo's whole-body figure, static: body from the front, the hips enlarged with every fibre
    line labelled and coloured by activation on one fixed scale, each fibre group's force against
    its maximum, the hip contact force, and the "pelvis would drop" state when the abductors fall short.

    ``fig`` and ``box`` (left, bottom, width, height as fractions of ``fig``): draw into part of a
    larger figure (the gallery). ``wallet``: (side, thickness in cm) of a wallet under a seated
    buttock, drawn on the seat. ``side``: the side whose bars and hip contact force are shown
    (default :func:`picture_side`).
    """
    g = frontal_geometry(result, frame, groups)
    m = result.model
    st = side or picture_side(result, wallet)
    fig = fig or Figure(figsize=(13.0, 6.4))
    bx, by, bw_, bh = box

    def place(x: float, y: float, w: float, h: float) -> Any:
        return fig.add_axes((bx + x * bw_, by + y * bh, w * bw_, h * bh))

    body = place(0.0, 0.07, 0.25, 0.83)
    hip = place(0.25, 0.22, 0.36, 0.66)
    bars = place(0.70, 0.40, 0.28, 0.50)
    text = place(0.63, 0.05, 0.37, 0.26)
    cax = place(0.31, 0.13, 0.24, 0.022)
    seated = result.task == "sitting"
    # Whole body.
    _draw_body(body, g, fibre_lw=1.4, bone_lw=2.6, wallet=wallet, seated=seated)
    # The floor: the ground (y = 0), or under the feet of a seated body (the sitting task places the
    # pelvis, not the feet).
    floor = min(float(p[:, 1].min()) for p in g["legs"].values()) - 0.01 if seated else 0.0
    body.axhline(floor, color="0.5", lw=1.2, zorder=0)
    bw = result.body_weight_n
    gnorm = float(np.linalg.norm(m.compiled.gravity))
    for xy, mass, label in g["loads"]:
        body.add_patch(Rectangle((xy[0] - 0.045, xy[1] - 0.09), 0.09, 0.09, facecolor="#7d3c98", edgecolor="k",
                                 lw=0.6, zorder=5))
        body.text(xy[0], xy[1] - 0.10, f"{mass:g} kg\n({label.replace('_r', ', right').replace('_l', ', left')})",
                  fontsize=7, color="#7d3c98", ha="center", va="top", zorder=5)
    com = g["com"]
    total = bw + gnorm * sum(ms for _, ms, _ in g["loads"])
    body.plot([com[0], com[0]], [floor, com[1]], ls="--", color="#2e86c1", lw=1.0, zorder=1)
    body.add_patch(FancyArrow(com[0], com[1] - 0.03, 0.0, -0.25 * total / bw, width=0.012, head_width=0.045,
                              head_length=0.05, length_includes_head=True, color="#2e86c1", zorder=6))
    body.text(com[0] + 0.04, com[1] + 0.08, f"weight\n{total / bw:.2f} BW", fontsize=7.5, color="#2e86c1")
    if g["lifted"] is not None:
        sd = g["lifted"]
        foot = g["legs"][sd][-2]
        body.annotate(f"lifted leg\nfoot {100 * g['foot_clearance_m'][sd]:.0f} cm\noff the floor", tuple(foot),
                      xytext=(foot[0] + (0.22 if foot[0] > 0 else -0.22), 0.35), fontsize=7, ha="center",
                      color="0.3", arrowprops=dict(arrowstyle="->", color="0.5", lw=0.7))
        sf = g["legs"][g["stance"]][-2]
        body.text(sf[0], -0.06, "stance foot", fontsize=7, ha="center", va="top", color="0.3")
    ys = [p[:, 1] for p in g["legs"].values()] + [g["trunk"][:, 1], np.array([g["head"][0][1] + g["head"][1]])]
    top = float(max(float(y.max()) for y in ys))
    body.set_xlim(-0.6, 0.6)
    body.set_ylim(floor - 0.2, top + 0.08)
    body.set_title("Whole body, from the front\n(the subject's right on your left)", fontsize=9)
    # Hips enlarged.
    _draw_body(hip, g, fibre_lw=4.0, bone_lw=4.0, wallet=None, seated=False)
    hips = np.array(list(g["hips"].values()))
    cx, cy = float(hips[:, 0].mean()), float(hips[:, 1].mean())
    hip.set_xlim(cx - 0.30, cx + 0.30)
    hip.set_ylim(cy - 0.22, cy + 0.20)
    for c in g["hips"].values():
        hip.add_patch(Circle(tuple(c), 0.022, facecolor="0.85", edgecolor="0.35", zorder=3))
    xl = hip.get_xlim()
    stance_x = g["hips"][st][0]
    left = stance_x < cx
    _label_fibres(hip, g, st, groups, x_text=xl[0] + 0.01 if left else xl[1] - 0.01, y_top=cy + 0.17,
                  y_bottom=cy - 0.05)
    head = g["hips"][st]
    f = _frontal(result.hip_contact_force_ground[st][frame]) / bw * 0.03
    hip.add_patch(FancyArrow(head[0] - f[0], head[1] - f[1], f[0], f[1], width=0.005, head_width=0.018,
                             head_length=0.02, length_includes_head=True, color="#2e86c1", zorder=7))
    lv = g["levers"]
    if lv is not None:
        h, ca = lv["hip"], lv["com_above"]
        y0 = h[1] + 0.14
        body.annotate("", xy=(ca[0], h[1]), xytext=(h[0], h[1]),
                      arrowprops=dict(arrowstyle="<->", color="#1e8449", lw=1.0))
        hip.plot([h[0], ca[0]], [y0, y0], color="#1e8449", lw=1.4, zorder=6)
        hip.plot([h[0], h[0]], [h[1], y0], color="#1e8449", lw=0.8, ls=":", zorder=6)
        xe = max(min(ca[0], xl[1] - 0.02), xl[0] + 0.02)
        hip.annotate("", xy=(xe, y0), xytext=(h[0], y0), arrowprops=dict(arrowstyle="->", color="#1e8449"))
        hip.text(0.5 * (h[0] + xe), y0 + 0.008, f"body-weight lever b = {100 * lv['weight_lever_m']:.1f} cm",
                 fontsize=7.5, color="#1e8449", ha="center", va="bottom")
        fpt = lv["abductor_foot"]
        hip.plot([h[0], fpt[0]], [h[1], fpt[1]], color="#7d3c98", lw=1.6, zorder=6)
        ins, org = lv["abductor_insertion"], lv["abductor_origin"]
        hip.plot([ins[0], org[0]], [ins[1], org[1]], color="#7d3c98", lw=0.8, ls="--", zorder=6)
        mid = (0.5 * (h[0] + fpt[0]), 0.5 * (h[1] + fpt[1]))
        hip.annotate(f"abductor lever a = {100 * lv['abductor_lever_m']:.1f} cm", mid,
                     xytext=(cx, cy - 0.19), fontsize=7.5, color="#7d3c98", ha="center", va="center",
                     arrowprops=dict(arrowstyle="-", color="#7d3c98", lw=0.6))
    hip.set_title("Pelvis and hips enlarged: every fibre line coloured by activation;\n"
                  f"blue arrow: force of the pelvis on the {'right' if st == 'r' else 'left'} femoral head",
                  fontsize=8.5)
    for ax in (body, hip):
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():
            sp.set_visible(False)
    from matplotlib.cm import ScalarMappable
    cb = fig.colorbar(ScalarMappable(ACTIVATION_NORM, ACTIVATION_CMAP), cax=cax, orientation="horizontal")
    cb.set_ticks([0, 0.25, 0.5, 0.75, 1.0])
    cb.set_label("activation, one fixed scale (0 = at rest, 1 = maximal effort)", fontsize=7.5)
    cb.ax.tick_params(labelsize=7)
    # Force bars against maximum.
    idx = [m.muscle_index(f"{grp}_{st}") for grp in groups]
    caps = m.max_isometric_forces[idx]
    forces = result.muscle_forces[frame, idx]
    acts = result.activations[frame, idx]
    y = np.arange(len(groups))[::-1]
    bars.barh(y, caps, 0.72, color="0.93", edgecolor="0.7", zorder=1)
    bars.barh(y, forces, 0.72, color=ACTIVATION_CMAP(ACTIVATION_NORM(acts)), edgecolor="0.4", lw=0.5, zorder=2)
    xmax = 1.25 * float(caps.max())
    for yi, fv, cv in zip(y, forces, caps, strict=True):
        bars.text(max(fv, cv) + 0.01 * xmax, yi, f"{fv:.0f} of {cv:.0f} N", va="center", fontsize=7.5)
    bars.set_xlim(0, xmax)
    bars.set_yticks(y, [SHORT_LABELS.get(grp, grp) for grp in groups], fontsize=8.5)
    for lab, grp in zip(bars.get_yticklabels(), groups, strict=True):
        lab.set_color(FIBRE_COLOURS.get(grp, "k"))
    bars.set_xlabel("force (N); pale bar = maximum isometric force", fontsize=8)
    bars.tick_params(axis="x", labelsize=7.5)
    bars.grid(axis="x", alpha=0.3)
    bars.set_title(f"Fibre forces, {'right' if st == 'r' else 'left'} "
                   f"({'stance' if result.task != 'sitting' else 'wallet' if wallet else 'seated'}) side", fontsize=9.5)
    # Read-outs.
    text.set_axis_off()
    hcf_n = float(np.linalg.norm(result.hip_contact_force_ground[st][frame]))
    feas = result.feasibility
    beyond = (f"\nbeyond the muscles: reserve actuators carry {feas.joints_text()};\nnot a force the muscles can "
              "produce" if feas.beyond_muscles else "")
    text.text(0.0, 0.98, f"{'Right' if st == 'r' else 'Left'} hip contact force: {hcf_n / bw:.2f} BW "
              f"({hcf_n:.0f} N){beyond}", fontsize=11.5 if not beyond else 9.5, fontweight="bold",
              color="#b03a2e" if beyond else "#1f618d", va="top")
    text.text(0.0, 0.60 if beyond else 0.80, f"BW = body weight ({bw:.0f} N; carried loads not included). "
              f"Shown: {frame_label(result, frame)}.", fontsize=7.5, va="top", color="0.3")
    short = abduction_shortfall_nm(result, frame, st)
    if short > ABDUCTOR_SHORTFALL_NM:
        text.text(0.0, 0.45, f"The abductors are short by {short:.0f} N m: the pelvis would drop\nunless the trunk "
                  "leans over the stance hip.", fontsize=8.5, va="top", color="#b03a2e", fontweight="bold")
    text.text(0.0, 0.02, "Computed mechanical loads for teaching; hipsim does not diagnose.", fontsize=7.5,
              style="italic", color="0.35", va="bottom")
    fig.text(bx + 0.01 * bw_, by + 0.985 * bh, title or "Frontal plane", fontsize=11, ha="left", va="top")
    return fig
