"""Hip abductor moment arms of the shipped models beside cadaver-based data.

Reference: Dostal W.F. & Andrews J.G. (1981), *A three-dimensional biomechanical model of hip
musculature*, J Biomech 14(11):803-812 (doi:10.1016/0021-9290(81)90036-1). Its Table 1 gives, for
27 hip muscles or muscle parts, one origin point on the pelvis and one insertion point on the femur
(cm); in the transcription pelvis and femur points share one frame, origin at the right hip centre,
so they place the hip in one position, the anatomical one (frame below).
hipsim did not read the paper itself: the coordinates below are those of Table 1 as transcribed in
``data/Dostal1981.m`` of the HipJointForceModel code of Fischer M.C.M. et al. (2021), *Effect of the
underlying cadaver data and patient-specific adaptation of the femur and pelvis on the prediction of
the hip joint force estimated using static models*, J Biomech, article 110526
(doi:10.1016/j.jbiomech.2021.110526; github.com/RWTHmediTEC/HipJointForceModel, commit
1116cefe55e88788f00e6d3243f0ba862ce2f57e): a secondary source. No moment arm table of
Dostal & Andrews was found, so the reference moment arms here are not published
values: they are the straight-line moment arms of those attachment points, computed by
:func:`straight_line_moment_arms` — the straight-line model Dostal, Soderberg & Andrews (1986, Phys
Ther 66:351-359) describe for the same data ("a three-dimensional, straight-line model of hip
musculature ... measurements made on a matched, dry bone specimen provided muscle attachment point
location data"; abstract). One specimen: the source gives no range or SD.

The frame, read from the transcription's landmarks: x anterior, y superior, z to the right
(lateral for the right hip). Both anterior superior iliac spines lie at (5.9, 8.3) cm in x, y and
both pubic tubercles at x = 5.9 / 5.7 cm, so the anterior pelvic plane is the frontal plane; the
midpoint of the femoral epicondyles, (-0.05, -42.3, 0.0) cm, lies below the hip centre, so the
femur's mechanical axis is vertical. The left hip centre is at (0.3, -0.4, -16.9) cm.

The comparison uses the models' ``hip_adduction``, ``hip_flexion`` and ``hip_rotation``
coordinates at 0 (the default pose), whose axes are the pelvis frame's x, z and y there (OpenSim's
axes for these models; ``tests/test_cadaver_moment_arms.py`` checks it). Signs: abduction,
flexion and internal rotation positive; a model's abduction moment arm is minus its moment arm
about ``hip_adduction`` (hipsim reports -dL/dq, and positive ``hip_adduction`` adducts).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hipsim.anatomy import FIBRE_GROUPS
from hipsim.errors import input_error
from hipsim.model import Model, load_model

#: Dostal & Andrews (1981, J Biomech 14:803, Table 1) origin and insertion (cm) of the hip
#: abductor parts, keyed by the part's name in the table, as transcribed by Fischer et al. (2021,
#: J Biomech, article 110526; HipJointForceModel ``data/Dostal1981.m``). Frame: right hip centre,
#: x anterior, y superior, z right; anatomical position. Values (origin; insertion):
#: gluteus medius anterior (2.7, 10.2, 6.2); (-1.8, -2.6, 7.3) -- middle (-0.2, 13.2, 1.8);
#: (-1.8, -2.6, 7.3) -- posterior (-4.8, 9.7, -1.5); (-1.8, -2.6, 7.3);
#: gluteus minimus anterior (2.9, 7.3, 4.1); (0.4, -2.7, 6.9) -- middle (-0.4, 8.8, 2.0);
#: (0.4, -2.7, 6.9) -- posterior (-2.6, 7.1, 0.0); (0.4, -2.7, 6.9);
#: tensor fasciae latae (4.5, 7.8, 5.6); (2.2, -43.6, 3.3); piriformis (-7.8, 5.5, -4.7);
#: (-0.1, -0.1, 5.5). The three parts of each gluteus share one insertion point in the table.
DOSTAL_ANDREWS_1981_CM: Mapping[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = \
    MappingProxyType({
        "gluteus medius anterior": ((2.7, 10.2, 6.2), (-1.8, -2.6, 7.3)),
        "gluteus medius middle": ((-0.2, 13.2, 1.8), (-1.8, -2.6, 7.3)),
        "gluteus medius posterior": ((-4.8, 9.7, -1.5), (-1.8, -2.6, 7.3)),
        "gluteus minimus anterior": ((2.9, 7.3, 4.1), (0.4, -2.7, 6.9)),
        "gluteus minimus middle": ((-0.4, 8.8, 2.0), (0.4, -2.7, 6.9)),
        "gluteus minimus posterior": ((-2.6, 7.1, 0.0), (0.4, -2.7, 6.9)),
        "tensor fasciae latae": ((4.5, 7.8, 5.6), (2.2, -43.6, 3.3)),
        "piriformis": ((-7.8, 5.5, -4.7), (-0.1, -0.1, 5.5)),
    })
#: Left hip centre (cm) in the same frame (Dostal & Andrews 1981, Table 1 landmarks, as
#: transcribed by Fischer et al. 2021): its distance from the right one, 16.9 cm, is the
#: specimen's hip-centre width.
DOSTAL_ANDREWS_1981_LEFT_HIP_CENTRE_CM = (0.3, -0.4, -16.9)
#: Table 1 gives coordinates to 0.1 cm, so each is known to +-0.05 cm (its rounding).
TABLE_ROUNDING_M = 0.0005

#: The source's part -> hipsim's descriptive muscle name (without side). Dostal & Andrews'
#: anterior/middle/posterior parts of gluteus medius and minimus and Delp et al. (1990)'s
#: compartments, which all three shipped models keep, carry the same labels; tensor fasciae latae
#: and piriformis are single lines in both.
SOURCE_TO_HIPSIM: Mapping[str, str] = MappingProxyType({
    "gluteus medius anterior": "gluteus_medius_anterior",
    "gluteus medius middle": "gluteus_medius_middle",
    "gluteus medius posterior": "gluteus_medius_posterior",
    "gluteus minimus anterior": "gluteus_minimus_anterior",
    "gluteus minimus middle": "gluteus_minimus_middle",
    "gluteus minimus posterior": "gluteus_minimus_posterior",
    "tensor fasciae latae": "tensor_fasciae_latae",
    "piriformis": "piriformis",
})

#: Axes of the comparison, positive direction first: the hipsim coordinate (without side) and the
#: sign that turns its moment arm into that direction's.
AXES: Mapping[str, tuple[str, float]] = MappingProxyType({
    "abduction": ("hip_adduction", -1.0),
    "flexion": ("hip_flexion", 1.0),
    "internal rotation": ("hip_rotation", 1.0),
})

#: The models the comparison covers by default.
SHIPPED_MODELS = ("gait2392", "rajagopal2016", "lai_uhlrich2023")
#: Parts the per-model summary averages over: hipsim's tracked fibre groups (gluteus medius and
#: minimus, three parts each, and tensor fasciae latae, the superior gluteal nerve's muscles).
#: Piriformis is in the table but not in this average.
SUMMARY_PARTS: tuple[str, ...] = tuple(p for p in FIBRE_GROUPS if p in SOURCE_TO_HIPSIM.values())


def straight_line_moment_arms(origin: ArrayLike, insertion: ArrayLike) -> np.ndarray:
    """Moment arms (abduction, flexion, internal rotation) of a straight muscle line about the
    right hip centre at the origin of Dostal & Andrews' frame (x anterior, y superior, z right).

    A unit tension pulls the femur at ``insertion`` toward ``origin``; its moment about the hip
    centre is ``insertion x u``. Its -x component abducts the right femur, +z flexes it and +y
    rotates it internally. Units follow the inputs.
    """
    o = np.asarray(origin, dtype=np.float64)
    i = np.asarray(insertion, dtype=np.float64)
    u = (o - i) / np.linalg.norm(o - i)
    m = np.cross(i, u)
    return np.array([-m[0], m[2], m[1]])


def _rounding_bound(origin: np.ndarray, insertion: np.ndarray) -> np.ndarray:
    """Largest change (m, per axis, to first order) of the straight-line moment arms when each of
    the six coordinates moves by its rounding, TABLE_ROUNDING_M."""
    x = np.concatenate([origin, insertion])
    h = 1e-7
    bound = np.zeros(3)
    for k in range(6):
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        d = (straight_line_moment_arms(xp[:3], xp[3:]) - straight_line_moment_arms(xm[:3], xm[3:])) / (2 * h)
        bound += np.abs(d) * TABLE_ROUNDING_M
    return bound


def source_moment_arms() -> pd.DataFrame:
    """The reference: one row per part and axis with ``muscle`` (hipsim's name without side),
    ``source_part`` (Dostal & Andrews' name), ``axis``, ``source_m`` (straight-line moment arm of
    Table 1's points, m) and ``rounding_m`` (how far it can move with Table 1's rounding)."""
    rows = []
    for part, (o_cm, i_cm) in DOSTAL_ANDREWS_1981_CM.items():
        o, i = np.asarray(o_cm) / 100.0, np.asarray(i_cm) / 100.0
        arms, bound = straight_line_moment_arms(o, i), _rounding_bound(o, i)
        for k, axis in enumerate(AXES):
            rows.append({"muscle": SOURCE_TO_HIPSIM[part], "source_part": part, "axis": axis,
                         "source_m": float(arms[k]), "rounding_m": float(bound[k])})
    return pd.DataFrame(rows)


def source_hip_width_m() -> float:
    """Distance (m) between the hip centres of Dostal & Andrews' specimen."""
    return float(np.linalg.norm(DOSTAL_ANDREWS_1981_LEFT_HIP_CENTRE_CM)) / 100.0


def model_hip_width_m(model: Model) -> float:
    """Distance (m) between the two femur origins (the hip centres) in the default pose."""
    _, origins, _, _ = model.body_poses(model.default_q)
    return float(np.linalg.norm(origins[0, model.body_index("femur_r")] - origins[0, model.body_index("femur_l")]))


def model_moment_arms(model: Model, side: str = "r") -> pd.DataFrame:
    """One model's moment arms (m) for the source's parts and axes in the default pose (every hip
    coordinate 0): columns ``muscle``, ``axis``, ``model_m``. ``side`` is ``"r"`` or ``"l"``;
    the left side uses the same signs (OpenSim's left hip coordinates mirror the right's)."""
    if side not in ("r", "l"):
        raise input_error("argument", "side", side, 'use "r" or "l"')
    arms = model.moment_arms(model.default_q)
    rows = []
    for muscle in SOURCE_TO_HIPSIM.values():
        i = model.muscle_index(f"{muscle}_{side}")
        for axis, (coord, sign) in AXES.items():
            rows.append({"muscle": muscle, "axis": axis,
                         "model_m": sign * float(arms[i, model.coordinate_index(f"{coord}_{side}")])})
    return pd.DataFrame(rows)


def _models(models: Sequence[str] | Mapping[str, Model]) -> dict[str, Model]:
    if isinstance(models, Mapping):
        return dict(models)
    return {name: load_model(name) for name in models}


def comparison(models: Sequence[str] | Mapping[str, Model] = SHIPPED_MODELS, side: str = "r") -> pd.DataFrame:
    """The reference beside each model: :func:`source_moment_arms`' columns, then for each model
    ``<name>_m`` (its moment arm) and ``<name>_diff_m`` (model minus source), all in metres.

    ``models``: shipped model names, or a mapping label -> :class:`~hipsim.model.Model`. The
    table's ``attrs["hip_width_m"]`` holds each model's hip-centre width and the source's.
    """
    loaded = _models(models)
    table = source_moment_arms()
    widths = {"source": source_hip_width_m()}
    for name, model in loaded.items():
        mine = model_moment_arms(model, side).rename(columns={"model_m": f"{name}_m"})
        table = table.merge(mine, on=["muscle", "axis"], how="left", validate="one_to_one")
        table[f"{name}_diff_m"] = table[f"{name}_m"] - table["source_m"]
        widths[name] = model_hip_width_m(model)
    table.attrs["hip_width_m"] = widths
    return table


def model_names(table: pd.DataFrame) -> list[str]:
    """The models a :func:`comparison` table holds, in its column order."""
    return [c[:-len("_diff_m")] for c in table.columns if c.endswith("_diff_m")]


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model, from a :func:`comparison` table (rows: models; lengths in m):

    - ``rms_abduction_m``: root-mean-square difference of the abduction moment arms over
      :data:`SUMMARY_PARTS` (gluteus medius and minimus, three parts each, and TFL);
    - ``mean_abduction_diff_m``: their mean difference (negative: the model's are shorter);
    - ``rms_abduction_width_scaled_m``: the same RMS with the source scaled by the ratio of the
      model's hip-centre width to the specimen's (a size correction, nothing fitted);
    - ``rms_all_m``: RMS over every part of the table and all three axes;
    - ``abduction_sign_agree``: parts (of all in the table) whose abduction sign matches;
    - ``sign_agree`` / ``sign_determined``: part-axis pairs whose sign matches, of those whose
      source sign survives Table 1's rounding (``abs(source_m) > rounding_m``).
    """
    widths = table.attrs.get("hip_width_m", {})
    abd = table[(table["axis"] == "abduction") & table["muscle"].isin(SUMMARY_PARTS)]
    determined = table[table["source_m"].abs() > table["rounding_m"]]
    rows = []
    for name in model_names(table):
        d = abd[f"{name}_diff_m"].to_numpy()
        row = {"model": name,
               "rms_abduction_m": float(np.sqrt(np.mean(d ** 2))),
               "mean_abduction_diff_m": float(np.mean(d))}
        if name in widths and "source" in widths:
            scaled = abd[f"{name}_m"].to_numpy() - abd["source_m"].to_numpy() * widths[name] / widths["source"]
            row["rms_abduction_width_scaled_m"] = float(np.sqrt(np.mean(scaled ** 2)))
        row["rms_all_m"] = float(np.sqrt(np.mean(table[f"{name}_diff_m"].to_numpy() ** 2)))
        all_abd = table[table["axis"] == "abduction"]
        row["abduction_sign_agree"] = int((np.sign(all_abd[f"{name}_m"]) == np.sign(all_abd["source_m"])).sum())
        row["sign_agree"] = int((np.sign(determined[f"{name}_m"]) == np.sign(determined["source_m"])).sum())
        row["sign_determined"] = len(determined)
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def closest_model(table: pd.DataFrame) -> str:
    """The model with the smallest ``rms_abduction_m`` in :func:`summary`."""
    return str(summary(table)["rms_abduction_m"].idxmin())


def markdown(table: pd.DataFrame) -> str:
    """The comparison and the per-model summary as Markdown tables, lengths in mm."""
    names = model_names(table)
    head = "| muscle part | axis | Dostal & Andrews 1981, straight line (mm, ± Table 1 rounding) | " + \
        " | ".join(f"{n} (mm) | {n} − source (mm)" for n in names) + " |"
    lines = [head, "|" + "---|" * (3 + 2 * len(names))]
    for _, r in table.iterrows():
        cells = [r["muscle"].replace("_", " "), r["axis"], f"{1000 * r['source_m']:.1f} ± {1000 * r['rounding_m']:.1f}"]
        for n in names:
            cells += [f"{1000 * r[f'{n}_m']:.1f}", f"{1000 * r[f'{n}_diff_m']:+.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    s = summary(table)
    widths = table.attrs.get("hip_width_m", {})
    lines += ["", "| model | hip-centre width (mm) | RMS abduction difference, GMed + GMin + TFL (mm) | "
              "mean abduction difference (mm) | RMS, source scaled by hip-centre width (mm) | "
              "RMS over all parts and axes (mm) | abduction sign agrees | "
              "signs agree, all axes, where the source sign survives rounding |",
              "|---|---|---|---|---|---|---|---|"]
    if "source" in widths:
        lines.append(f"| source specimen | {1000 * widths['source']:.1f} | | | | | | |")
    n_abd = int((table["axis"] == "abduction").sum())
    for name in s.index:
        r = s.loc[name]
        w = f"{1000 * widths[name]:.1f}" if name in widths else ""
        scaled = f"{1000 * r['rms_abduction_width_scaled_m']:.1f}" if "rms_abduction_width_scaled_m" in s else ""
        lines.append(f"| {name} | {w} | {1000 * r['rms_abduction_m']:.1f} | {1000 * r['mean_abduction_diff_m']:+.1f} | "
                     f"{scaled} | {1000 * r['rms_all_m']:.1f} | {int(r['abduction_sign_agree'])}/{n_abd} | "
                     f"{int(r['sign_agree'])}/{int(r['sign_determined'])} |")
    return "\n".join(lines)
