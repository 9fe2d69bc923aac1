"""Precomputed grids for the teaching site: single-leg stance over the page's controls, and
walking cycles, all solved by hipsim itself (:func:`hipsim.single_leg_stance`, :func:`hipsim.gait`,
:func:`hipsim.scenarios.run_scenario`). The page interpolates between grid points; it solves nothing.

Stance grid axes (:data:`STANCE_AXES`): body mass, the bag (mass, and where it is carried:
opposite or same hand, shoulder or hip), gluteus medius strength, gluteus minimus strength,
pelvic drop and trunk lean. Strength changes no pose, so the drawing coordinates are kept
only at full strength. Every value is stored per body weight (forces as N per N of body
weight, the abductors' shortfall in N m per N), because those change little with body mass;
the page multiplies back by the body weight.
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
           "assemble_stance", "build_data", "GAIT_SCENARIOS"]

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
#: Strength, drop and lean use Keys' cubic convolution (exact for quadratics).
STANCE_AXES: tuple[Axis, ...] = (
    Axis("mass_kg", "body mass", "kg", (50.0, 120.0), 75.0, "cuberoot"),
    Axis("load_ratio", "bag mass / body mass", "", (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3), 0.0, "linear"),
    Axis("gmed_strength", "gluteus medius strength", "x normal", (0.2, 0.6, 1.0), 1.0, "cubic"),
    Axis("gmin_strength", "gluteus minimus strength", "x normal", (0.2, 0.6, 1.0), 1.0, "cubic"),
    Axis("pelvic_drop_deg", "pelvic drop (unsupported side lower)", "deg", (-10.0, 0.0, 10.0, 20.0), 0.0, "cubic"),
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
    ("pelvic_drop_deg", "pelvic drop (unsupported side lower)", "deg", -10.0, 20.0, 0.5, 0.0),
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


def solve_stance(k: StanceKnobs):
    """hipsim's single-leg stance (right leg) for the page's knobs: the one solve the grid and the tests share."""
    from hipsim.tasks.stance import Load, single_leg_stance
    place = {p[0]: p for p in PLACES}[k.place]
    loads = [Load(place[1], place[2], k.load_kg)] if k.load_kg > 0 else []
    strength = {}
    if k.gmed_strength != 1.0:
        strength.update({f"{g}_{SIDE}": k.gmed_strength for g in MUSCLE_GROUPS["gluteus_medius"]})
    if k.gmin_strength != 1.0:
        strength.update({f"{g}_{SIDE}": k.gmin_strength for g in MUSCLE_GROUPS["gluteus_minimus"]})
    return single_leg_stance(_model(round(float(k.mass_kg), 3)), side=SIDE, pelvic_drop_deg=k.pelvic_drop_deg,
                             trunk_lean_deg=k.trunk_lean_deg, loads=loads, strength=strength or None)


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
                beyond_muscles=bool(res.feasibility.beyond_muscles))


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
def _grid_chunk(args: tuple[float, str, float]) -> list[tuple[tuple[int, ...], dict[str, Any], Any]]:
    """All points of one (mass, place, bag ratio): values, and drawing coordinates at full strength."""
    mass, place, ratio = args
    load = round(ratio * mass, 9)
    out: list[tuple[tuple[int, ...], dict[str, Any], Any]] = []
    ax = {a.name: a for a in STANCE_AXES}
    for i_med, i_min, i_drop, i_lean in itertools.product(*(range(len(ax[n].values)) for n in (
            "gmed_strength", "gmin_strength", "pelvic_drop_deg", "trunk_lean_deg"))):
        k = StanceKnobs(mass, load, place, ax["gmed_strength"].values[i_med], ax["gmin_strength"].values[i_min],
                        ax["pelvic_drop_deg"].values[i_drop], ax["trunk_lean_deg"].values[i_lean])
        res = solve_stance(k)
        geo = None
        if k.gmed_strength == 1.0 and k.gmin_strength == 1.0 and mass == STANCE_AXES[0].values[0]:
            geo = geometry_vector(res)  # the pose depends on the bag ratio, not on the body mass
        out.append(((i_med, i_min, i_drop, i_lean), stance_values(res), geo))
    return out


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
    ``fields`` (per body weight). ``geometry``: per case of the first body mass (the pose depends
    on the bag ratio, not on the mass), for every (drop, lean), the drawing vector named by
    ``geometry_names``.
    """
    ax = {a.name: a for a in STANCE_AXES}
    fields = ["hcf_bw", "shortfall_m"] + [f"f:{g}_{sd}" for sd in (SIDE, OTHER) for g in FIBRE_GROUPS]
    inner = [len(ax[n].values) for n in ("gmed_strength", "gmin_strength", "pelvic_drop_deg", "trunk_lean_deg")]
    n_inner = int(np.prod(inner))
    blocks: list[Any] = []
    geoms: list[Any] = []
    caps: dict[float, dict[str, float]] = {}
    geometry_names: list[str] = []
    for (mass, _, _), rows in zip(cases, chunks, strict=True):
        vals = np.zeros((n_inner, len(fields)))
        gl: list[tuple[int, int, np.ndarray]] = []
        for idx, v, g in rows:
            flat = int(np.ravel_multi_index(idx, inner))
            bw = v["body_weight_n"]
            vals[flat] = [v["hip_contact_n"] / bw, v["shortfall_nm"] / bw] + [
                v["forces_n"][f[2:]] / bw for f in fields[2:]]
            if idx[0] == inner[0] - 1 and idx[1] == inner[1] - 1:
                caps.setdefault(mass, {k: c / bw for k, c in v["max_forces_n"].items()})
            if g is not None:
                geometry_names = g[0]
                gl.append((idx[2], idx[3], g[1]))
        gl.sort(key=lambda t: (t[0], t[1]))
        blocks.append(_round(vals))
        if gl:
            geoms.append([_round(t[2], 3) for t in gl])
    return dict(axes=[dict(name=a.name, label=a.label, unit=a.unit, values=list(a.values), default=a.default,
                           interp=a.interp) for a in STANCE_AXES],
                places=[dict(key=p[0], place=p[1], side=p[2], label=p[3]) for p in PLACES],
                cases=[[list(ax["mass_kg"].values).index(c[0]), c[1], list(ax["load_ratio"].values).index(c[2])]
                       for c in cases],
                controls=[dict(name=c[0], label=c[1], unit=c[2], min=c[3], max=c[4], step=c[5], default=c[6])
                          for c in CONTROLS],
                fields=fields, data=blocks, geometry_names=geometry_names, geometry=geoms,
                max_force_per_bw={f"{k:g}": v for k, v in caps.items()},
                points=len(cases) * n_inner)


# ------------------------------------------------------------------ walking
def _walk(name: str) -> dict[str, Any]:
    """One walking cycle for the page: fibre forces (N) per percent, hip contact (BW), and the frontal drawing."""
    from hipsim.report.frontal import stance_side
    if name == "normal":
        from hipsim.tasks.gait import gait
        res = gait()
        title = "Normal walking (hipsim's normative cycle, 1.3 m/s)"
        beyond = res.feasibility
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
        geo.append(_round(v, 4))
    hcf = res.hip_contact_force_bw
    return dict(key=name, title=title, percent=_round(res.percent if res.percent is not None else res.time, 4),
                forces_n=forces, max_forces_n=caps, hcf_bw={"r": _round(hcf["r"].to_numpy(), 4),
                                                            "l": _round(hcf["l"].to_numpy(), 4)},
                stance=[stance_side(res, f) for f in range(res.n_frames)],
                feet=[_feet(res, f) for f in range(res.n_frames)], geometry_names=names, geometry=geo,
                beyond_muscles=bool(beyond.beyond_muscles),
                beyond_text=(f"beyond the muscles: reserve actuators carry {beyond.joints_text()}"
                             if beyond.beyond_muscles else ""),
                body_weight_n=float(res.body_weight_n))


def _feet(res: Any, frame: int) -> str:
    """Which feet carry weight at ``frame``: "r", "l" or "both" (each above 5 % of body weight)."""
    from hipsim.report.frontal import foot_loads_n
    loads = foot_loads_n(res, frame)
    on = [sd for sd in ("r", "l") if loads[sd] > 0.05 * res.body_weight_n]
    return "both" if len(on) == 2 else on[0] if on else "none"


def build_data(walks: Sequence[str] = ("normal",) + GAIT_SCENARIOS, workers: int | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Solve everything the page shows: the stance grid and the walking cycles, on ``workers``
    processes (default: up to 2). Returns ``{"stance": ..., "walks": [...]}``."""
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    cases = stance_cases()
    # Spawned, not forked: a parent that has run numba's parallel (OpenMP) kernels cannot fork safely
    # (GNU OpenMP terminates the child: "fork() called from a process already using GNU OpenMP").
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        walk_futures = [pool.submit(_walk, n) for n in walks]  # the long jobs first
        chunk_futures = [pool.submit(_grid_chunk, c) for c in cases]
        chunks = []
        for k, cf in enumerate(chunk_futures):
            chunks.append(cf.result())
            if progress:
                progress(f"stance grid {k + 1}/{len(cases)}")
        walk_data = []
        for n, wf in zip(walks, walk_futures, strict=True):
            walk_data.append(wf.result())
            if progress:
                progress(f"walking: {n}")
    return {"stance": assemble_stance(cases, chunks), "walks": walk_data}
