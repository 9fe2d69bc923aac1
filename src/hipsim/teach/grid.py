"""Precomputed grids for the teaching site: single-leg stance over the page's controls, and
walking cycles, all solved by hipsim itself (:func:`hipsim.single_leg_stance`, :func:`hipsim.gait`,
:func:`hipsim.scenarios.run_scenario`). The page interpolates between grid points; it solves nothing.

Stance grid axes (:data:`STANCE_AXES`): body mass, the bag (mass, and where it is carried:
opposite or same hand, shoulder or hip), gluteus medius strength, gluteus minimus strength,
pelvic drop and trunk lean. Strength changes no pose, so the drawing coordinates are kept
only at full strength. Every value is stored per body weight (forces as N per N of body
weight, the abductors' shortfall in N m per N), because those change little with body mass;
the page multiplies back by the body weight. A weakened group's forces are stored divided by
its strength as well (:func:`stored_force`): static optimisation shares a moment among muscles
in proportion to their squared strength, so a weakened fibre's force falls about as strength
squared, which the page's cubic reproduces badly from three strengths where the force is small;
divided by strength it is nearly linear (at 0.3 of normal strength: 0.7 % off instead of 6.7 %).

The pelvic drop axis ends where the model can still stand balanced with every bag and trunk
lean on the page (:func:`drop_limits`): the full-body default model's hip adducts at most 30
degrees, and beyond some 17-25 degrees of drop, depending on the bag and the lean, hipsim finds
no balance over the stance foot and refuses the posture.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from hipsim.anatomy import FIBRE_GROUPS, MUSCLE_GROUPS
from hipsim.model.scaling import REFERENCE_HEIGHT_M, SUBJECT_PARAMS, Subject
from hipsim.params import STRENGTH
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS

__all__ = ["STANCE_AXES", "CONTROLS", "PLACES", "StanceKnobs", "solve_stance", "stance_values", "stance_cases",
           "assemble_stance", "build_data", "GAIT_SCENARIOS", "stored_force", "strength_factor", "activation_mask",
           "drop_limits", "limit_cases", "exercise_data"]

SIDE = "r"  # the stance leg of the site's single-leg stance
OTHER = "l"


@dataclass(frozen=True)
class Axis:
    name: str
    label: str
    unit: str
    values: tuple[float, ...]
    default: float
    interp: str  # "linear"; "cubic" (Keys' cubic convolution, exact for quadratics); "cuberoot":
    # linear in mass^(-1/3), the factor by which hipsim's scaling changes maximum force per body
    # weight (F0 grows as mass^(2/3)), so capacities and shortfalls per body weight are linear in it

    def check(self, rule: Any) -> None:
        lo, hi = rule.interval
        if not (lo <= min(self.values) and max(self.values) <= hi):
            raise ValueError(f"axis {self.name} leaves the input rule's range {lo}..{hi}")


#: The grid's axes. The bag enters as its mass over the body mass (``load_ratio``): per body weight,
#: hipsim's values then hardly change with body mass (the body-weight moment and the bag's both
#: scale with it); maximum forces grow as mass^(2/3), so per body weight they, and the abductors'
#: shortfall, are linear in mass^(-1/3), and two body masses carry the mass axis. Along the bag
#: ratio the forces bend where a muscle reaches its maximum, so that axis is linear and finer.
#: Strength, drop and lean use Keys' cubic convolution (exact for quadratics). Spacing, measured
#: on one-axis slices at random grid points of the default model (between-grid error of the
#: force against its own value where no fibre group reaches full activation or switches on or
#: off between the grid points used): gluteus medius strength needs steps of 0.2 (steps of 0.4:
#: up to 30 %; it is the main abductor, and the others' forces follow its strength as a
#: rational function), gluteus minimus strength 0.4 (0.7 %), pelvic drop 5 degrees (2.2 %;
#: 12.5-degree steps: 24 %), trunk lean 10 degrees (2.6 %), body mass two values (3.2 %), the
#: bag ratio 0.05 (1 %).
STANCE_AXES: tuple[Axis, ...] = (
    Axis("mass_kg", "body mass", "kg", (50.0, 120.0), 75.0, "cuberoot"),
    Axis("load_ratio", "bag mass / body mass", "", (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3), 0.0, "linear"),
    Axis("gmed_strength", "gluteus medius strength", "x normal", (0.2, 0.4, 0.6, 0.8, 1.0), 1.0, "cubic"),
    Axis("gmin_strength", "gluteus minimus strength", "x normal", (0.2, 0.6, 1.0), 1.0, "cubic"),
    Axis("pelvic_drop_deg", "pelvic drop (unsupported side lower)", "deg", (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0), 0.0,
         "cubic"),
    Axis("trunk_lean_deg", "trunk lean over the stance hip", "deg", (-10.0, 0.0, 10.0, 20.0, 30.0), 0.0, "cubic"),
)
for _ax, _rule in zip([a for a in STANCE_AXES if a.name != "load_ratio"],
                      (SUBJECT_PARAMS["mass_kg"], STRENGTH, STRENGTH, SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"],
                       SINGLE_LEG_STANCE_PARAMS["trunk_lean_deg"]), strict=True):
    _ax.check(_rule)

#: The page's controls: (name, label, unit, minimum, maximum, step, default). The bag slider's
#: top keeps every bag inside the grid's largest ratio at the lightest body mass.
CONTROLS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("mass_kg", "body mass", "kg", 50.0, 120.0, 0.5, 75.0),
    ("load_kg", "bag", "kg", 0.0, 15.0, 0.5, 0.0),
    ("gmed_strength", "gluteus medius strength", "x normal", 0.2, 1.0, 0.01, 1.0),
    ("gmin_strength", "gluteus minimus strength", "x normal", 0.2, 1.0, 0.01, 1.0),
    ("pelvic_drop_deg", "pelvic drop (unsupported side lower)", "deg", -10.0, 15.0, 0.5, 0.0),
    ("trunk_lean_deg", "trunk lean over the stance hip", "deg", -10.0, 30.0, 0.5, 0.0),
)
if CONTROLS[1][4] > STANCE_AXES[1].values[-1] * STANCE_AXES[0].values[0]:
    raise ValueError("the bag slider reaches past the grid's largest bag / body mass ratio")
LOAD_PARAMS["mass_kg"].check("load_kg", STANCE_AXES[1].values[-1] * STANCE_AXES[0].values[-1])

#: Where the bag is carried: (key, place, side of the body, label). Stance on the right leg.
PLACES: tuple[tuple[str, str, str, str], ...] = (
    ("opposite_hand", "hand", OTHER, "opposite hand"), ("same_hand", "hand", SIDE, "same hand"),
    ("opposite_shoulder", "shoulder", OTHER, "opposite shoulder"), ("same_shoulder", "shoulder", SIDE, "same shoulder"),
    ("opposite_hip", "hip", OTHER, "opposite hip"), ("same_hip", "hip", SIDE, "same hip"))

#: Shipped walking scenarios shown beside normal walking.
GAIT_SCENARIOS = ("shoulder_bag_walk", "trendelenburg_gait", "limping", "walking_fast_far", "weak_abductors_gait")

HEIGHT_M = REFERENCE_HEIGHT_M
_FIBRE_POINTS = 6  # each fibre line resampled to this many points along its length (drawing only)


@dataclass(frozen=True)
class StanceKnobs:
    mass_kg: float = 75.0
    load_kg: float = 0.0
    place: str = "opposite_hand"
    gmed_strength: float = 1.0
    gmin_strength: float = 1.0
    pelvic_drop_deg: float = 0.0
    trunk_lean_deg: float = 0.0


@lru_cache(maxsize=32)
def _model(mass_kg: float):
    from hipsim.model import load_model
    return load_model("default").scaled_to(Subject(mass_kg, HEIGHT_M))


def _strength(gmed: float, gmin: float) -> dict[str, float]:
    """The stance side's strength factors for the page's two strength controls (empty at full strength)."""
    out: dict[str, float] = {}
    if gmed != 1.0:
        out.update({f"{g}_{SIDE}": gmed for g in MUSCLE_GROUPS["gluteus_medius"]})
    if gmin != 1.0:
        out.update({f"{g}_{SIDE}": gmin for g in MUSCLE_GROUPS["gluteus_minimus"]})
    return out


@lru_cache(maxsize=64)
def _weakened(mass_kg: float, gmed: float, gmin: float):
    """The scaled model with the strengths applied, kept: :func:`hipsim.single_leg_stance` would
    apply ``strength`` to its model on every call, and rebuilding a full-body model's muscle curves
    took four fifths of each weakened solve. Same model, same numbers (``tests/test_teach_site.py``)."""
    m = _model(mass_kg)
    st = _strength(gmed, gmin)
    return m.with_strength(st) if st else m


def solve_stance(k: StanceKnobs):
    """hipsim's single-leg stance (right leg) for the page's knobs: the one solve the grid and the tests share."""
    from hipsim.tasks.stance import Load, single_leg_stance
    place = {p[0]: p for p in PLACES}[k.place]
    loads = [Load(place[1], place[2], k.load_kg)] if k.load_kg > 0 else []
    model = _weakened(round(float(k.mass_kg), 3), float(k.gmed_strength), float(k.gmin_strength))
    return single_leg_stance(model, side=SIDE, pelvic_drop_deg=k.pelvic_drop_deg,
                             trunk_lean_deg=k.trunk_lean_deg, loads=loads)


def strength_factor(group: str, gmed: float, gmin: float) -> float:
    """The strength factor a stance-side fibre group runs at (1 for groups no control weakens)."""
    if group in MUSCLE_GROUPS["gluteus_medius"]:
        return gmed
    if group in MUSCLE_GROUPS["gluteus_minimus"]:
        return gmin
    return 1.0


#: Activation at or above which a fibre group counts as at its maximum, and at or below which as off,
#: for the page's "rough" flag: where these differ between the grid points blended, static
#: optimisation's solution bends between them (FULL_ACTIVATION is hipsim's saturation rule).
OFF_ACTIVATION = 1e-6


def activation_mask(res) -> int:
    """Bit i: stance-side fibre group i (:data:`FIBRE_GROUPS` order) at full activation; bit 7 + i: off."""
    from hipsim.tasks.result import FULL_ACTIVATION
    m = res.model
    mask = 0
    for i, g in enumerate(FIBRE_GROUPS):
        a = float(res.activations[0, m.muscle_index(f"{g}_{SIDE}")])
        if a >= FULL_ACTIVATION:
            mask |= 1 << i
        if a <= OFF_ACTIVATION:
            mask |= 1 << (len(FIBRE_GROUPS) + i)
    return mask


def stance_values(res) -> dict[str, Any]:
    """The numbers the page shows for one stance solve (SI; forces and the hip contact force in N)."""
    from hipsim.report.frontal import abduction_shortfall_nm
    m = res.model
    forces = {f"{g}_{sd}": float(res.muscle_forces[0, m.muscle_index(f"{g}_{sd}")])
              for sd in (SIDE, OTHER) for g in FIBRE_GROUPS}
    caps = {f"{g}_{sd}": float(m.max_isometric_forces[m.muscle_index(f"{g}_{sd}")])
            for sd in (SIDE, OTHER) for g in FIBRE_GROUPS}
    return dict(body_weight_n=float(res.body_weight_n),
                hip_contact_n=float(np.linalg.norm(res.hip_contact_force_ground[SIDE][0])),
                forces_n=forces, max_forces_n=caps, shortfall_nm=abduction_shortfall_nm(res, 0, SIDE),
                beyond_muscles=bool(res.feasibility.beyond_muscles), mask=activation_mask(res))


def _resample(line: np.ndarray, n: int = _FIBRE_POINTS) -> np.ndarray:
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return np.repeat(line[:1], n, axis=0)
    t = np.linspace(0.0, s[-1], n)
    return np.column_stack([np.interp(t, s, line[:, 0]), np.interp(t, s, line[:, 1])])


def geometry_vector(res, frame: int = 0) -> tuple[list[str], np.ndarray]:
    """Drawing coordinates of one frame as (names, flat vector of metres): every point the page
    draws, from :func:`hipsim.report.frontal.frontal_geometry`, in a fixed order."""
    from hipsim.report.frontal import frontal_geometry
    g = frontal_geometry(res, frame)
    names: list[str] = []
    vals: list[np.ndarray] = []

    def put(name: str, pts: Any) -> None:
        a = np.asarray(pts, dtype=float).reshape(-1, 2)
        names.append(f"{name}:{len(a)}")
        vals.append(a.ravel())

    put("trunk", g["trunk"])
    put("shoulders", g["shoulders"])
    put("head", g["head"][0])
    for sd in ("r", "l"):
        put(f"arm_{sd}", g["arms"][sd])
        put(f"leg_{sd}", g["legs"][sd])
        put(f"hipc_{sd}", g["hips"][sd])
    put("pelvis", g["pelvis"])
    put("com", g["com"])
    put("hcf", g["hcf"] / res.body_weight_n)
    for k, line in g["fibres"].items():
        put(f"f:{k}", _resample(line))
    if g["loads"]:
        put("load", g["loads"][0][0])
    else:
        put("load", [np.nan, np.nan])
    lv = g["levers"]
    if lv is not None:
        put("lev_hip", lv["hip"])
        put("lev_com", lv["com_above"])
        put("lev_abd", [lv["abductor_insertion"], lv["abductor_origin"], lv["abductor_foot"]])
        put("lev_len", [lv["weight_lever_m"], lv["abductor_lever_m"]])
    return names, np.concatenate(vals)


# ------------------------------------------------------------------ stance grid
#: Fixed-point steps of the stored numbers (the page multiplies back): the hip contact force in
#: 0.001 body weights, the shortfall in micrometres (N m per N of body weight), forces in 1e-5 body
#: weights (0.007 N at 75 kg), drawing coordinates in millimetres. Integers keep ``data.js`` small.
HCF_STEP = 1e-3
SHORTFALL_STEP = 1e-6
FORCE_STEP = 1e-5
GEOMETRY_STEP = 1e-3
_INNER = ("gmed_strength", "gmin_strength", "pelvic_drop_deg", "trunk_lean_deg")


def stored_force(force_n: float, body_weight_n: float, strength: float) -> float:
    """A stance-side fibre group's force as the grid stores it: per body weight and per unit of its
    strength factor (see the module docstring); the page multiplies by both."""
    return force_n / body_weight_n / strength


def _grid_chunk(args: tuple[float, str, float]) -> list[tuple[tuple[int, ...], dict[str, Any], Any]]:
    """All points of one (mass, place, bag ratio): values, and drawing coordinates at full strength."""
    mass, place, ratio = args
    load = round(ratio * mass, 9)
    out: list[tuple[tuple[int, ...], dict[str, Any], Any]] = []
    ax = {a.name: a for a in STANCE_AXES}
    for idx in itertools.product(*(range(len(ax[n].values)) for n in _INNER)):
        k = StanceKnobs(mass, load, place, *(ax[n].values[i] for n, i in zip(_INNER, idx, strict=True)))
        res = solve_stance(k)
        geo = None
        if k.gmed_strength == 1.0 and k.gmin_strength == 1.0 and mass == STANCE_AXES[0].values[0]:
            geo = geometry_vector(res)  # the pose depends on the bag ratio, not on the body mass
        out.append((idx, stance_values(res), geo))
    return out


def _ints(a: Any, step: float) -> list[int | None]:
    """Values as integer multiples of ``step`` (None where not finite)."""
    return [None if not math.isfinite(v) else int(round(v / step)) for v in np.asarray(a, dtype=float).ravel()]


def _round(a: Any, sig: int = 4) -> list[float | None]:
    a = np.asarray(a, dtype=float)
    out: list[float | None] = []
    for v in a.ravel():
        if not math.isfinite(v):
            out.append(None)
        elif v == 0:
            out.append(0.0)
        else:
            out.append(float(f"{v:.{sig}g}"))
    return out


def stance_cases() -> list[tuple[float, str, float]]:
    """The grid's (mass, place, bag ratio) cases; ratio 0 is one case per mass (no bag, no place)."""
    ax = {a.name: a for a in STANCE_AXES}
    cases: list[tuple[float, str, float]] = []
    for mass in ax["mass_kg"].values:
        cases.append((mass, PLACES[0][0], 0.0))
        for place, *_ in PLACES:
            for ratio in ax["load_ratio"].values[1:]:
                cases.append((mass, place, ratio))
    return cases


def assemble_stance(cases: Sequence[tuple[float, str, float]], chunks: Sequence[Any]) -> dict[str, Any]:
    """The page's data block ``stance`` from the solved chunks (:func:`_grid_chunk` per case).

    Layout: ``cases`` lists (mass index, place, bag-ratio index) in the order of the data blocks; each
    block holds, for every (gmed, gmin, drop, lean) index in C order, the values named in
    ``fields`` as integer multiples of ``steps`` (per body weight; stance-side forces also per unit
    of strength, :func:`stored_force`; ``mask`` is :func:`activation_mask`, not interpolated).
    ``left``: per case, for every (drop, lean), the lifted side's forces (``left_fields``, in
    ``FORCE_STEP`` per body weight): they do not depend on the stance side's strength (checked
    here). ``geometry``: per case of the first body mass (the pose depends on the bag ratio, not
    on the mass), for every (drop, lean), the drawing vector named by ``geometry_names``, in
    ``GEOMETRY_STEP``.
    """
    ax = {a.name: a for a in STANCE_AXES}
    right = [f"f:{g}_{SIDE}" for g in FIBRE_GROUPS]
    left = [f"f:{g}_{OTHER}" for g in FIBRE_GROUPS]
    fields = ["hcf_bw", "shortfall_m"] + right + ["mask"]
    steps = [HCF_STEP, SHORTFALL_STEP] + [FORCE_STEP] * len(right) + [1]
    inner = [len(ax[n].values) for n in _INNER]
    n_inner = int(np.prod(inner))
    full = (inner[0] - 1, inner[1] - 1)  # both strength axes end at 1.0 (full strength)
    blocks: list[Any] = []
    lefts: list[Any] = []
    geoms: list[Any] = []
    caps: dict[float, dict[str, float]] = {}
    geometry_names: list[str] = []
    for (mass, place, ratio), rows in zip(cases, chunks, strict=True):
        vals = np.zeros((n_inner, len(fields)))
        lv = np.zeros((inner[2] * inner[3], len(left)))
        gl: list[tuple[int, int, np.ndarray]] = []
        by_pose: dict[tuple[int, int], list[np.ndarray]] = {}
        for idx, v, g in rows:
            flat = int(np.ravel_multi_index(idx, inner))
            bw = v["body_weight_n"]
            gmed, gmin = ax["gmed_strength"].values[idx[0]], ax["gmin_strength"].values[idx[1]]
            vals[flat] = ([v["hip_contact_n"] / bw, v["shortfall_nm"] / bw]
                          + [stored_force(v["forces_n"][f[2:]], bw, strength_factor(f[2:-2], gmed, gmin))
                             for f in right] + [v["mask"]])
            lf = np.array([v["forces_n"][f[2:]] / bw for f in left])
            by_pose.setdefault((idx[2], idx[3]), []).append(lf)
            if idx[:2] == full:
                caps.setdefault(mass, {k: c / bw for k, c in v["max_forces_n"].items()})
                lv[idx[2] * inner[3] + idx[3]] = lf
            if g is not None:
                geometry_names = g[0]
                gl.append((idx[2], idx[3], g[1]))
        spread = max(float(np.abs(np.array(x) - x[0]).max()) for x in by_pose.values())
        if spread > 1e-6:  # per body weight: 0.7 mN at 75 kg
            raise RuntimeError(f"the lifted side's forces change with the stance side's strength ({spread:.2g} BW; "
                               f"mass {mass} kg, {place}, bag ratio {ratio}): store them per strength")
        gl.sort(key=lambda t: (t[0], t[1]))
        blocks.append([int(round(vals[i, j] / steps[j])) for i in range(n_inner) for j in range(len(fields))])
        lefts.append(_ints(lv, FORCE_STEP))
        if gl:
            geoms.append([_ints(t[2], GEOMETRY_STEP) for t in gl])
    return dict(axes=[dict(name=a.name, label=a.label, unit=a.unit, values=list(a.values), default=a.default,
                           interp=a.interp) for a in STANCE_AXES],
                places=[dict(key=p[0], place=p[1], side=p[2], label=p[3]) for p in PLACES],
                cases=[[list(ax["mass_kg"].values).index(c[0]), c[1], list(ax["load_ratio"].values).index(c[2])]
                       for c in cases],
                controls=[dict(name=c[0], label=c[1], unit=c[2], min=c[3], max=c[4], step=c[5], default=c[6])
                          for c in CONTROLS],
                fields=fields, steps=steps, data=blocks, left_fields=left, left_step=FORCE_STEP, left=lefts,
                geometry_names=geometry_names, geometry_step=GEOMETRY_STEP, geometry=geoms,
                max_force_per_bw={f"{k:g}": v for k, v in caps.items()},
                points=len(cases) * n_inner)


# ------------------------------------------------------------------ where the pelvic drop ends
def _limit_chunk(args: tuple[str, float]) -> list[float]:
    """For one (place, bag ratio) at the first body mass, per trunk lean of the grid: the largest
    pelvic drop (deg) hipsim's single-leg stance stands in, bisected to 0.1 degree between the drop
    axis's end (which must stand) and the input rule's limit (returned when that stands too)."""
    from hipsim.errors import InputError
    place, ratio = args
    mass = STANCE_AXES[0].values[0]
    top = STANCE_AXES[4].values[-1]
    rule_max = SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"].interval[1]

    def stands(drop: float, lean: float) -> bool:
        try:
            solve_stance(StanceKnobs(mass, round(ratio * mass, 9), place, 1.0, 1.0, drop, lean))
        except InputError:
            return False
        return True

    out = []
    for lean in STANCE_AXES[5].values:
        if not stands(top, lean):
            raise ValueError(f"the pelvic drop axis ends at {top:g} deg, beyond what the model stands in "
                             f"({place}, bag ratio {ratio}, trunk lean {lean:g} deg)")
        if stands(rule_max, lean):
            out.append(float(rule_max))
            continue
        lo, hi = top, rule_max
        while hi - lo > 0.1:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if stands(mid, lean) else (lo, mid)
        out.append(round(lo, 2))
    return out


def drop_limits(limit_cases: Sequence[tuple[str, float]], chunks: Sequence[list[float]]) -> dict[str, Any]:
    """The page's ``drop_limit`` block: per (place, bag ratio) case, per trunk lean of the grid, the
    largest pelvic drop the model stands in (:func:`_limit_chunk`), the stance hip's adduction
    limit from the model, and the lowest limit with where it occurs."""
    from hipsim.model import load_model
    m = load_model("default")
    lo_add, hi_add = m.compiled.coord_range[m.coordinate_index(f"hip_adduction_{SIDE}")]
    ratios = list(STANCE_AXES[1].values)
    table = {f"{p}|{ratios.index(r)}": v for (p, r), v in zip(limit_cases, chunks, strict=True)}
    worst = min(((v, p, r, lean) for (p, r), row in zip(limit_cases, chunks, strict=True)
                 for v, lean in zip(row, STANCE_AXES[5].values, strict=True)), key=lambda t: t[0])
    return dict(table=table, rule_max=SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"].interval[1],
                hip_adduction_max_deg=round(math.degrees(float(hi_add)), 1), model=m.name,
                lowest=dict(drop_deg=worst[0], place=worst[1], ratio=worst[2], lean_deg=worst[3]))


def limit_cases() -> list[tuple[str, float]]:
    """(place, bag ratio) cases of the first body mass, as :func:`stance_cases` lists them."""
    first = STANCE_AXES[0].values[0]
    return [(p, r) for m, p, r in stance_cases() if m == first]


# ------------------------------------------------------------------ walking
def _walk(name: str) -> dict[str, Any]:
    """One walking cycle for the page: fibre forces (N) per percent, hip contact (BW), and the frontal drawing."""
    from hipsim.report.frontal import stance_side
    if name == "normal":
        from hipsim.tasks.gait import gait
        res = gait()
        title = f"Normal walking (hipsim's normative cycle, {res.parameters['speed_m_s']:.2g} m/s)"
    else:
        from hipsim.scenarios import run_scenario
        r = run_scenario(name)
        res = r.scenario
        title = r.spec.title
    beyond = res.feasibility
    m = res.model
    forces = {f"{g}_{sd}": _round(res.muscle_forces[:, m.muscle_index(f"{g}_{sd}")], 4)
              for sd in ("r", "l") for g in FIBRE_GROUPS}
    caps = {f"{g}_{sd}": float(m.max_isometric_forces[m.muscle_index(f"{g}_{sd}")])
            for sd in ("r", "l") for g in FIBRE_GROUPS}
    geo = []
    names: list[str] = []
    for f in range(res.n_frames):
        names, v = geometry_vector(res, f)
        geo.append(_ints(v, GEOMETRY_STEP))
    hcf = res.hip_contact_force_bw
    return dict(key=name, title=title, model=m.name,
                percent=_round(res.percent if res.percent is not None else res.time, 4),
                forces_n=forces, max_forces_n=caps, hcf_bw={"r": _round(hcf["r"].to_numpy(), 4),
                                                            "l": _round(hcf["l"].to_numpy(), 4)},
                stance=[stance_side(res, f) for f in range(res.n_frames)],
                feet=[_feet(res, f) for f in range(res.n_frames)], geometry_names=names,
                geometry_step=GEOMETRY_STEP, geometry=geo, beyond_muscles=bool(beyond.beyond_muscles),
                beyond_text=(f"beyond the muscles: reserve actuators carry {beyond.joints_text()}"
                             if beyond.beyond_muscles else ""),
                body_weight_n=float(res.body_weight_n))


def _feet(res: Any, frame: int) -> str:
    """Which feet carry weight at ``frame``: "r", "l" or "both" (each above 5 % of body weight)."""
    from hipsim.report.frontal import foot_loads_n
    loads = foot_loads_n(res, frame)
    on = [sd for sd in ("r", "l") if loads[sd] > 0.05 * res.body_weight_n]
    return "both" if len(on) == 2 else on[0] if on else "none"


# ------------------------------------------------------------------ exercises
def exercise_data() -> dict[str, Any]:
    """The exercise comparison on the default model (:func:`hipsim.compare_exercises`, defaults),
    as the page's static table: per exercise its title, whether it is beyond the muscles, and per
    fibre group (:data:`hipsim.analysis.exercises.COMPARED_GROUPS`) force (N) and activation; the
    selectivity ratios (None where undefined or infinite, with the comparison's notes)."""
    from hipsim.analysis.exercises import COMPARED_GROUPS, compare_exercises
    from hipsim.anatomy import SHORT_LABELS
    from hipsim.tasks.exercise import EXERCISES
    cmp = compare_exercises()
    force, act, sel = cmp.wide("force_n"), cmp.wide("activation"), cmp.selectivity
    rank = cmp.ranking
    rows = []
    for e in force.index:
        rows.append(dict(key=str(e), title=EXERCISES[str(e)].title, targeted=EXERCISES[str(e)].targeted,
                         beyond=bool(cmp.results[str(e)].beyond_muscles),
                         force_n=_round(force.loc[e].to_numpy(), 5), activation=_round(act.loc[e].to_numpy(), 5),
                         selectivity=[None if not math.isfinite(float(x)) else float(f"{float(x):.4g}")
                                      for x in sel.loc[e].to_numpy()]))
    return dict(model=cmp.model_name, side=cmp.side, groups=list(COMPARED_GROUPS),
                labels={g: SHORT_LABELS.get(g, g) for g in COMPARED_GROUPS}, rows=rows,
                selectivity_columns=list(sel.columns), most_loading={g: str(rank.loc[1, g]) for g in COMPARED_GROUPS},
                notes=list(cmp.notes),
                subject=dict(mass_kg=float(next(iter(cmp.results.values())).subject.mass_kg),
                             height_m=float(next(iter(cmp.results.values())).subject.height_m)))


def build_data(walks: Sequence[str] = ("normal",) + GAIT_SCENARIOS, workers: int | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Solve everything the page shows: the stance grid, where its pelvic drop ends, the walking
    cycles and the exercise comparison, on ``workers`` processes (default: up to 2). Returns
    ``{"stance": ..., "walks": [...], "exercises": ...}`` (``stance["drop_limit"]``: :func:`drop_limits`)."""
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    cases = stance_cases()
    lcases = limit_cases()
    # Spawned, not forked: a parent that has run numba's parallel (OpenMP) kernels cannot fork safely
    # (GNU OpenMP terminates the child: "fork() called from a process already using GNU OpenMP").
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        walk_futures = [pool.submit(_walk, n) for n in walks]  # the long jobs first
        ex_future = pool.submit(exercise_data)
        chunk_futures = [pool.submit(_grid_chunk, c) for c in cases]
        limit_futures = [pool.submit(_limit_chunk, c) for c in lcases]
        chunks = []
        for k, cf in enumerate(chunk_futures):
            chunks.append(cf.result())
            if progress:
                progress(f"stance grid {k + 1}/{len(cases)}")
        limits = [f.result() for f in limit_futures]
        walk_data = []
        for n, wf in zip(walks, walk_futures, strict=True):
            walk_data.append(wf.result())
            if progress:
                progress(f"walking: {n}")
        exercises = ex_future.result()
    stance = assemble_stance(cases, chunks)
    stance["drop_limit"] = drop_limits(lcases, limits)
    return {"stance": stance, "walks": walk_data, "exercises": exercises}
