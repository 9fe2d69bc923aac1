"""The shipped models' hip abductor moment arms beside Dostal & Andrews (1981, J Biomech 14:803).

The reference is the straight-line moment arms of Dostal & Andrews' Table 1 attachment points (as
transcribed by Fischer et al. 2021, J Biomech, article 110526; see hipsim.analysis.cadaver). The source
is one specimen and reports no range or SD, so no test here bounds a model's value by one: the
differences are recorded (printed and as junit properties), and what is checked is what can be
said without a bound: the sign of every abductor part's abduction moment arm, the axis conventions
that make the comparison valid, and the reference's own computation.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import hipsim
from hipsim.analysis import cadaver

MODELS = cadaver.SHIPPED_MODELS


@pytest.fixture(scope="module")
def table():
    return cadaver.comparison()


def test_comparison_recorded(table, record_property):
    """Every part and axis has a finite value for every model; the table and the per-model summary
    are printed and recorded. Nothing is asserted about their size (no range in the source)."""
    print()
    print(cadaver.markdown(table))
    assert len(table) == len(cadaver.DOSTAL_ANDREWS_1981_CM) * len(cadaver.AXES)
    for name in MODELS:
        assert np.all(np.isfinite(table[f"{name}_m"])), name
        for _, r in table.iterrows():
            record_property(f"{name}:{r['muscle']}:{r['axis']}_mm", round(1000 * r[f"{name}_m"], 2))
    for name, r in cadaver.summary(table).iterrows():
        for col, v in r.items():
            record_property(f"{name}:{col}", round(1000 * v, 2) if str(col).endswith("_m") else int(v))
    for _, r in table.iterrows():
        record_property(f"source:{r['muscle']}:{r['axis']}_mm", round(1000 * r["source_m"], 2))


@pytest.mark.parametrize("side", ["r", "l"])
@pytest.mark.parametrize("name", MODELS)
def test_every_abductor_part_abducts_as_the_source_says(name, side):
    """Each part the source lists (gluteus medius and minimus, three parts each, TFL, piriformis)
    has an abduction moment arm of the source's sign in the anatomical position, on both sides."""
    source = cadaver.source_moment_arms()
    source = source[source["axis"] == "abduction"].set_index("muscle")["source_m"]
    mine = cadaver.model_moment_arms(hipsim.load_model(name), side)
    mine = mine[mine["axis"] == "abduction"].set_index("muscle")["model_m"]
    wrong = {m: (round(1000 * mine[m], 1), round(1000 * source[m], 1))
             for m in source.index if np.sign(mine[m]) != np.sign(source[m]) or mine[m] == 0}
    assert not wrong, f"{name} {side}: (model mm, source mm) {wrong}"


@pytest.mark.parametrize("name", MODELS)
def test_model_hip_axes_are_the_source_frame_axes(name):
    """The comparison is valid only if, in the default pose, the models' hip coordinates turn the
    femur about the pelvis frame's axes in the directions hipsim.analysis.cadaver assumes: right
    hip adduction about +x (anterior), flexion about +z, rotation about +y; the left hip mirrored
    (adduction -x, flexion +z, rotation -y), so its positive directions are adduction, flexion and
    internal rotation too."""
    m = hipsim.load_model(name)
    rot, _, jw, _ = m.body_poses(m.default_q)
    pelvis = rot[0, m.body_index("pelvis")]
    expected = {"r": {"hip_adduction": (1, 0, 0), "hip_flexion": (0, 0, 1), "hip_rotation": (0, 1, 0)},
                "l": {"hip_adduction": (-1, 0, 0), "hip_flexion": (0, 0, 1), "hip_rotation": (0, -1, 0)}}
    for side, axes in expected.items():
        femur = m.body_index(f"femur_{side}")
        for coord, axis in axes.items():
            w = pelvis.T @ jw[0, femur, m.coordinate_index(f"{coord}_{side}")]
            np.testing.assert_allclose(w, axis, atol=1e-12, err_msg=f"{name} {coord}_{side}")


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_straight_line_moment_arms_are_minus_the_length_derivative():
    """The reference's moment arms equal -dL/dangle of the straight line when the right femur (the
    insertion) turns about the hip centre: abduction about -x, flexion about +z, internal rotation
    about +y (the right hip's directions in Dostal & Andrews' frame, x anterior, y up, z right).
    Checks the cross product's sign and component order independently of it (central difference)."""
    axes = {"abduction": np.array([-1.0, 0, 0]), "flexion": np.array([0, 0, 1.0]),
            "internal rotation": np.array([0, 1.0, 0])}
    h = 1e-6
    for part, (o_cm, i_cm) in cadaver.DOSTAL_ANDREWS_1981_CM.items():
        o, i = np.asarray(o_cm) / 100, np.asarray(i_cm) / 100
        arms = dict(zip(cadaver.AXES, cadaver.straight_line_moment_arms(o, i), strict=True))
        for axis_name, axis in axes.items():
            lp = np.linalg.norm(o - _rotation(axis, h) @ i)
            lm = np.linalg.norm(o - _rotation(axis, -h) @ i)
            assert -(lp - lm) / (2 * h) == pytest.approx(arms[axis_name], abs=1e-9), (part, axis_name)


def test_rounding_bound_covers_every_rounding_corner():
    """Moving each of a part's six Table 1 coordinates by +-0.05 cm (their rounding) never moves a
    reference moment arm by more than the stated first-order bound (plus 1e-5 m for second order),
    and the bound is not loose: some corner reaches 90 % of it."""
    src = cadaver.source_moment_arms().set_index(["source_part", "axis"])
    r = cadaver.TABLE_ROUNDING_M
    for part, (o_cm, i_cm) in cadaver.DOSTAL_ANDREWS_1981_CM.items():
        x = np.concatenate([o_cm, i_cm]) / 100
        base = cadaver.straight_line_moment_arms(x[:3], x[3:])
        worst = np.zeros(3)
        for signs in itertools.product((-1, 1), repeat=6):
            y = x + r * np.asarray(signs)
            worst = np.maximum(worst, np.abs(cadaver.straight_line_moment_arms(y[:3], y[3:]) - base))
        bound = np.array([src.loc[(part, a), "rounding_m"] for a in cadaver.AXES])
        assert np.all(worst <= bound + 1e-5), (part, worst, bound)
        assert np.all(worst >= 0.9 * bound), (part, worst, bound)


def test_docs_page_shows_the_current_table(table):
    """docs/explanation/moment-arms.md shows every row cadaver.markdown prints now (regenerate it
    with python tools/cadaver_moment_arms_table.py when a model or the reference changes)."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "explanation" / "moment-arms.md").read_text(encoding="utf-8")
    lines = set(page.splitlines())
    stale = [row for row in cadaver.markdown(table).splitlines() if row.startswith("|") and row not in lines]
    assert not stale, "docs/explanation/moment-arms.md is stale: " + "; ".join(stale[:3])
