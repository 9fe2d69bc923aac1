"""Tests for hipsim.report.bodychart: the referred-pain body chart."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath

from hipsim.errors import InputError
from hipsim.report import bodychart
from hipsim.report.bodychart import (
    BODY_CHART_GROUPS,
    BODY_CHART_KEYS,
    CHART_FOOTER,
    COLORBAR_LABEL,
    REFERRAL_ZONES,
    draw_body_chart,
    save_body_chart,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def zone_patches(fig: Figure, key: str, view: str | None = None):
    def match(artist) -> bool:
        gid = artist.get_gid()
        if not gid:
            return False
        k, v = gid.split("/")
        return k == key and (view is None or v == view)
    return fig.findobj(match=match)


def texts(fig: Figure) -> str:
    from matplotlib.text import Text
    return "\n".join(t.get_text() for t in fig.findobj(match=Text))


# ----------------------------------------------------------------------- the figure
def test_figure_builds_with_views_colorbar_and_caveat():
    fig = draw_body_chart({"gluteus_minimus_anterior_r": 20.0}, title="Standing on the right leg")
    assert isinstance(fig, Figure)
    all_text = texts(fig)
    for label in ("Front", "Right side", "Back", COLORBAR_LABEL, "Standing on the right leg"):
        assert label in all_text
    assert CHART_FOOTER in all_text
    assert "not pain or a diagnosis" in CHART_FOOTER


def test_more_load_is_warmer_than_less_load():
    fig = draw_body_chart({"gluteus_minimus_anterior_r": 50.0,
                           "gluteus_minimus_anterior_l": -50.0})
    warm = zone_patches(fig, "gluteus_minimus_anterior_r", "back")[0].get_facecolor()
    cool = zone_patches(fig, "gluteus_minimus_anterior_l", "back")[0].get_facecolor()
    assert warm[0] > warm[2]          # red over blue
    assert cool[2] > cool[0]          # blue over red
    assert warm[0] > cool[0] and warm[2] < cool[2]


def test_zero_change_is_neutral_and_scale_saturates_at_vmax():
    fig = draw_body_chart({"tensor_fasciae_latae_r": 0.0, "tensor_fasciae_latae_l": 300.0,
                           "gluteus_medius_r": 100.0}, vmax=100.0)
    r, g, b, _ = zone_patches(fig, "tensor_fasciae_latae_r", "front")[0].get_facecolor()
    assert max(r, g, b) - min(r, g, b) < 0.05   # grey-white, no hue
    at_limit = zone_patches(fig, "gluteus_medius_r", "back")[0].get_facecolor()
    beyond = zone_patches(fig, "tensor_fasciae_latae_l", "front")[0].get_facecolor()
    np.testing.assert_allclose(at_limit, beyond)


def test_only_given_keys_are_shaded_and_side_view_shows_the_right_side():
    fig = draw_body_chart({"gluteus_minimus_posterior_r": 10.0,
                           "gluteus_minimus_posterior_l": 10.0})
    assert zone_patches(fig, "gluteus_minimus_posterior_r", "side")
    assert not zone_patches(fig, "gluteus_minimus_posterior_l", "side")
    assert zone_patches(fig, "gluteus_minimus_posterior_l", "back")
    assert not zone_patches(fig, "gluteus_medius_r")
    # posterior gluteus minimus refers to the back of the leg: nothing on the front view
    assert not zone_patches(fig, "gluteus_minimus_posterior_r", "front")


def test_all_keys_draw_and_zones_are_clipped_to_the_body():
    fig = draw_body_chart({k: 5.0 * i for i, k in enumerate(BODY_CHART_KEYS)})
    for key in BODY_CHART_KEYS:
        patches = zone_patches(fig, key)
        assert patches, key
        assert all(p.get_clip_path() is not None for p in patches)


def test_draws_into_a_given_figure_and_needs_no_pyplot(monkeypatch):
    # With pyplot made unimportable, drawing and saving must still work: the chart uses
    # matplotlib.figure.Figure only, no pyplot global state.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    fig = Figure(figsize=(8, 4.8))
    assert draw_body_chart({"gluteus_medius_l": -12.0}, fig=fig) is fig
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=30)
    assert buf.getvalue()[:8] == PNG_MAGIC


# ---------------------------------------------------------------- zones vs sources
def _inside_fraction(poly: np.ndarray, outline: np.ndarray) -> tuple[float, np.ndarray]:
    """Share of a zone polygon's area inside the silhouette, and the inside points."""
    zone = MplPath(poly)
    xs = np.linspace(poly[:, 0].min(), poly[:, 0].max(), 60)
    ys = np.linspace(poly[:, 1].min(), poly[:, 1].max(), 160)
    pts = np.array([(x, y) for x in xs for y in ys])
    in_zone = pts[zone.contains_points(pts)]
    in_body = MplPath(outline).contains_points(in_zone)
    return float(in_body.mean()), in_zone[in_body]


def _zone_points(group: str, view: str) -> np.ndarray:
    outline = bodychart._SIDE_OUTLINE if view == "side" else bodychart._FRONT_OUTLINE
    pts = []
    for poly in REFERRAL_ZONES[group].polygons[view]:
        frac, inside = _inside_fraction(bodychart._zone_xy(poly, view, "r"), outline)
        assert frac > 0.6, (group, view, frac)   # a zone lies mostly on the body
        pts.append(inside)
    return np.vstack(pts) if pts else np.empty((0, 2))


# Heights on the silhouette (body-height units): ankle ~0.05, calf ~0.12-0.25,
# knee ~0.28, greater trochanter / buttock ~0.45-0.52, iliac crest ~0.60.
def test_anterior_minimus_zone_runs_from_the_buttock_to_the_ankle():
    side = _zone_points("gluteus_minimus_anterior", "side")
    assert side[:, 1].min() < 0.07 and side[:, 1].max() > 0.48
    back = _zone_points("gluteus_minimus_anterior", "back")
    # lateral: on the back view the zone stays on the outer half of the right leg
    legs = back[back[:, 1] < 0.44]
    assert np.all(legs[:, 0] > 0.04)


def test_posterior_minimus_zone_covers_buttock_thigh_and_calf_not_the_foot():
    back = _zone_points("gluteus_minimus_posterior", "back")
    assert back[:, 1].max() > 0.48 and back[:, 1].min() < 0.2
    assert back[:, 1].min() > 0.08
    # medial buttock: the top of the zone reaches the midline region
    assert back[back[:, 1] > 0.48][:, 0].min() < 0.02


def test_gluteus_medius_zone_spans_crest_to_upper_thigh_only():
    back = _zone_points("gluteus_medius", "back")
    assert back[:, 1].max() > 0.59            # posterior iliac crest
    assert back[:, 1].min() > 0.38            # no lower than the upper thigh
    assert back[:, 0].min() < 0.01            # reaches the sacrum at the midline
    assert not REFERRAL_ZONES["gluteus_medius"].polygons["front"]


def test_tfl_zone_is_anterolateral_thigh_toward_the_knee():
    front = _zone_points("tensor_fasciae_latae", "front")
    assert front[:, 1].max() > 0.48 and 0.26 < front[:, 1].min() < 0.36
    side = _zone_points("tensor_fasciae_latae", "side")
    assert np.median(side[:, 0]) > 0.0        # anterior half in the side view
    assert not REFERRAL_ZONES["tensor_fasciae_latae"].polygons["back"]


def test_zone_table_covers_every_group_and_cites_the_manual():
    assert set(REFERRAL_ZONES) == set(BODY_CHART_GROUPS)
    for z in REFERRAL_ZONES.values():
        assert "Travell & Simons 1992" in z.source and z.regions
    with pytest.raises(TypeError):
        REFERRAL_ZONES["gluteus_medius"] = None  # type: ignore[index]


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize("key", ["gluteus_minimus_anterior", "gluteus_maximus_r",
                                 "gluteus_minimus_middle_r", "tensor_fasciae_latae_x", 3])
def test_unknown_key_raises(key):
    with pytest.raises(InputError, match="keys are"):
        draw_body_chart({key: 10.0})


@pytest.mark.parametrize("value", [float("nan"), -float("inf"), "10", True])
def test_bad_value_raises(value):
    with pytest.raises(InputError, match="gluteus_medius_r"):
        draw_body_chart({"gluteus_medius_r": value})


def test_negligible_and_new_are_drawn_and_named_in_the_legend():
    # None: a negligible change (neutral, "negl."); inf: a load absent at baseline ("new")
    fig = draw_body_chart({"gluteus_medius_r": None, "gluteus_medius_l": float("inf"),
                           "tensor_fasciae_latae_r": 40.0})
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    legend = " ".join(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
    assert "R negl." in legend and "L new" in legend
    assert "negl." in texts
    faces = {p.get_gid(): p.get_facecolor() for ax in fig.axes for p in ax.patches if p.get_gid()}
    neutral = faces["gluteus_medius_r/back"]
    assert abs(neutral[0] - neutral[2]) < 0.05  # RdBu centre: neither red nor blue
    warm = faces["gluteus_medius_l/back"]
    assert warm[0] > warm[2] + 0.2  # the warm end of RdBu_r


@pytest.mark.parametrize("vmax", [0.0, -5.0, float("nan"), float("inf"), "big"])
def test_bad_vmax_raises(vmax):
    with pytest.raises(InputError, match="vmax"):
        draw_body_chart({"gluteus_medius_r": 1.0}, vmax=vmax)


def test_not_a_mapping_raises():
    with pytest.raises(InputError, match="change_pct"):
        draw_body_chart([("gluteus_medius_r", 1.0)])  # type: ignore[arg-type]


# ------------------------------------------------------------------------- saving
def test_save_writes_a_png_atomically(tmp_path: Path):
    target = tmp_path / "chart.png"
    out = save_body_chart(target, {"gluteus_minimus_posterior_r": 220.0}, title="Wallet",
                          dpi=60)
    assert out == target
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]   # no temp left


def test_failed_save_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch):
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")

    def boom(self, *a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", boom)
    with pytest.raises(RuntimeError):
        save_body_chart(target, {"gluteus_medius_r": 1.0})
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]


def test_bad_input_writes_nothing(tmp_path: Path):
    with pytest.raises(InputError):
        save_body_chart(tmp_path / "c.png", {"nope_r": 1.0})
    with pytest.raises(InputError, match=".png"):
        save_body_chart(tmp_path / "c.pdf", {})
    with pytest.raises(InputError, match="directory"):
        save_body_chart(tmp_path / "missing" / "c.png", {})
    with pytest.raises(InputError, match="dpi"):
        save_body_chart(tmp_path / "c.png", {}, dpi=0)
    with pytest.raises(InputError, match="colour"):
        save_body_chart(tmp_path / "c.png", {}, colour="red")
    assert list(tmp_path.iterdir()) == []


def test_right_side_zones_sit_on_the_persons_right_in_each_view():
    # Front view: the person's right is on the viewer's left (x < 0); back view: x > 0.
    fig = draw_body_chart({"gluteus_minimus_anterior_r": 10.0,
                           "gluteus_minimus_anterior_l": 10.0})
    def mean_x(key, view):
        return float(np.mean(zone_patches(fig, key, view)[0].get_xy()[:, 0]))
    key_r, key_l = "gluteus_minimus_anterior_r", "gluteus_minimus_anterior_l"
    assert mean_x(key_r, "front") < 0 < mean_x(key_l, "front")
    assert mean_x(key_r, "back") > 0 > mean_x(key_l, "back")
