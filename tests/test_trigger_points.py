"""Tests for hipsim.analysis.trigger_points: factor indices from fibre-load metrics.

Expected values come from what each index means (a ratio scenario/baseline of one
metric), worked out by hand for small tables, not from running the code.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipsim.analysis.trigger_points import (
    ACUTE_OVERLOAD_MULTIPLE,
    CAVEAT,
    CHART_GROUP_MUSCLES,
    FACTOR_INDICES,
    FACTOR_NAMES,
    FACTOR_ORDER,
    FIBRE_GROUPS,
    INDEX_CAP,
    METRIC_COLUMNS,
    NAMING_RULE,
    TIE_TOLERANCE,
    body_chart_change_pct,
    summarise_indices,
    trigger_point_indices,
)
from hipsim.errors import InputError

MUSCLES = ("gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior",
           "gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
           "tensor_fasciae_latae")

# A plausible baseline row (values only need to be valid and non-zero).
BASE = {
    "peak_activation": 0.40, "mean_activation": 0.15, "peak_force_n": 300.0,
    "mean_force_n": 90.0, "peak_stress_kpa": 120.0, "impulse_per_day_ns": 5.0e5,
    "sustained_bout_s": 40.0, "time_held_shortened_frac": 0.20, "time_held_stretched_frac": 0.10,
    "lengthening_work_j_per_day": 8.0e4, "compression_kpa_s": 0.0,
}


# What fibre_metrics adds beside the metrics: a walk (not held), the muscle (F0 1000 N, PCSA
# 20 cm2, optimal fibre length 6 cm), the exposure and the everyday peak force (the 300 N peaks
# of BASE are three times it).
CONTEXT = {"held": False, "max_isometric_force_n": 1000.0, "pcsa_m2": 0.002, "optimal_fiber_length_m": 0.06,
           "repetition_s": 1.0, "repetitions_per_day": 5000.0, "bout_s": 600.0, "everyday_peak_force_n": 100.0}


def table(changes: dict[tuple[str, str], dict[str, float]] | None = None,
          muscles=MUSCLES, context=None) -> pd.DataFrame:
    """Both sides of ``muscles``, scenario = baseline = BASE, then apply ``changes``
    ({(muscle, side): {column: value}}; a column may carry the _baseline suffix)."""
    rows = []
    for mu in muscles:
        for side in ("r", "l"):
            row = {"muscle": mu, "side": side}
            for c, v in {**BASE, **CONTEXT, **(context or {})}.items():
                row[c] = v
                row[c + "_baseline"] = v
            row.update((changes or {}).get((mu, side), {}))
            rows.append(row)
    return pd.DataFrame(rows)


def row(out: pd.DataFrame, muscle: str, side: str) -> pd.Series:
    sel = out[(out["muscle"] == muscle) & (out["side"] == side)]
    assert len(sel) == 1
    return sel.iloc[0]


# ----------------------------------------------------------------------- directions
def test_unchanged_scenario_gives_index_one_and_no_dominant_factor():
    out = trigger_point_indices(table())
    assert np.allclose(out[list(FACTOR_NAMES)].to_numpy(), 1.0)
    assert (out["dominant_factor"] == "none").all()
    assert list(out["muscle"]) == [m for m in MUSCLES for _ in (0, 1)]
    assert out.attrs["caveat"] == CAVEAT


def test_doubling_daily_impulse_doubles_repetitive_overload():
    key = ("gluteus_medius_middle", "l")
    doubled = 2 * BASE["impulse_per_day_ns"]
    out = trigger_point_indices(table({key: {"impulse_per_day_ns": doubled}}))
    r = row(out, *key)
    assert r["repetitive_overload"] == pytest.approx(2.0)
    # the other factors did not change
    for name in FACTOR_NAMES:
        if name != "repetitive_overload":
            assert r[name] == pytest.approx(1.0)
    assert r["dominant_factor"] == "repetitive_overload"


def test_halving_peak_force_halves_acute_overload_and_is_not_dominant():
    key = ("tensor_fasciae_latae", "r")
    out = trigger_point_indices(table({key: {"peak_force_n": 150.0}}))
    r = row(out, *key)
    assert r["acute_overload"] == pytest.approx(0.5)
    assert r["dominant_factor"] == "none"


def test_zero_compression_everywhere_gives_index_one():
    out = trigger_point_indices(table())
    assert (out["compression"] == 1.0).all()


def test_new_compression_is_capped_dominant_and_named_for_the_wallet():
    key = ("gluteus_minimus_posterior", "r")
    out = trigger_point_indices(table({key: {"compression_kpa_s": 3.6e5}}))
    r = row(out, *key)
    assert r["compression"] == INDEX_CAP
    assert r["dominant_factor"] == "compression"
    assert "wallet" in r["reading"]
    assert "absent at baseline" in r["reading"]
    assert r["reading"].startswith("posterior gluteus minimus, right:")
    # only that row changed
    others = out.drop(index=r.name)
    assert (others["compression"] == 1.0).all()


def test_compression_ratio_reading_gives_the_multiplier():
    key = ("gluteus_minimus_posterior", "r")
    out = trigger_point_indices(table({key: {"compression_kpa_s": 3200.0,
                                             "compression_kpa_s_baseline": 1000.0}}))
    r = row(out, *key)
    assert r["compression"] == pytest.approx(3.2)
    assert "compression exposure 3.2\u00d7 baseline" in r["reading"]
    assert "Travell & Simons 1992" in r["reading"]


def test_longer_or_heavier_sustained_contraction_gives_larger_index():
    out = trigger_point_indices(table({
        ("gluteus_minimus_anterior", "r"): {"sustained_bout_s": 400.0},
        ("gluteus_minimus_anterior", "l"): {"mean_force_n": 225.0},  # 2.5x the force held
    }))
    right = row(out, "gluteus_minimus_anterior", "r")["sustained_contraction"]
    left = row(out, "gluteus_minimus_anterior", "l")["sustained_contraction"]
    assert right > left > 1.0
    assert right == pytest.approx(10.0)


def test_sustained_position_counts_shortened_and_stretched_time_together():
    # baseline 0.20 + 0.10 = 0.30; scenario 0.50 + 0.10 = 0.60 -> 2.0
    key = ("gluteus_medius_anterior", "r")
    out = trigger_point_indices(table({key: {"time_held_shortened_frac": 0.50}}))
    assert row(out, *key)["sustained_position"] == pytest.approx(2.0)
    # moving time from shortened to stretched keeps the total, so no change
    out = trigger_point_indices(table({key: {"time_held_shortened_frac": 0.0,
                                             "time_held_stretched_frac": 0.30}}))
    assert row(out, *key)["sustained_position"] == pytest.approx(1.0)


def test_negligible_loads_count_as_zero_not_as_a_huge_ratio():
    # a muscle nearly unloaded in both (1e-3 N -> 1e-2 N; F0 1000 N): a change below 2 % of F0
    # is negligible, so no change
    key = ("gluteus_minimus_middle", "l")
    out = trigger_point_indices(table({key: {"peak_force_n": 1e-2, "peak_force_n_baseline": 1e-3}}))
    assert row(out, *key)["acute_overload"] == 1.0


def test_dominant_factor_is_the_largest_and_needs_ten_percent():
    key = ("gluteus_minimus_anterior", "l")
    out = trigger_point_indices(table({key: {"peak_force_n": 300.0 * 1.3,
                                             "sustained_bout_s": 40.0 * 1.8}}))
    assert row(out, *key)["dominant_factor"] == "sustained_contraction"
    out = trigger_point_indices(table({key: {"peak_force_n": 300.0 * 1.05}}))
    assert row(out, *key)["dominant_factor"] == "none"
    out = trigger_point_indices(table({key: {"peak_force_n": 300.0 * 1.25}}))
    assert row(out, *key)["dominant_factor"] == "acute_overload"


def test_lengthening_work_is_reported_but_not_a_dominant_factor():
    key = ("gluteus_medius_posterior", "r")
    out = trigger_point_indices(table({key: {"lengthening_work_j_per_day": 4.0e5}}))
    r = row(out, *key)
    assert r["lengthening_work_ratio"] == pytest.approx(5.0)
    assert r["dominant_factor"] == "none"


def test_examine_also_follows_the_literature_pairs():
    out = trigger_point_indices(table())
    post = row(out, "gluteus_minimus_posterior", "r")["examine_also"]
    ant = row(out, "gluteus_minimus_anterior", "r")["examine_also"]
    assert "piriformis" in post and "quadratus lumborum" in post
    for mu in ("tensor fasciae latae", "vastus lateralis", "peroneus longus"):
        assert mu in ant
    assert "piriformis" not in ant


def test_other_muscles_are_accepted_without_knowledge():
    out = trigger_point_indices(table(muscles=("piriformis",)))
    assert (out["examine_also"] == "").all()
    assert out["reading"].iloc[0].startswith("piriformis, right:")


def test_input_table_is_not_modified():
    t = table({("tensor_fasciae_latae", "l"): {"peak_force_n": 600.0}})
    before = t.copy(deep=True)
    trigger_point_indices(t)
    pd.testing.assert_frame_equal(t, before)


# ------------------------------------------------------------------------ knowledge
def test_knowledge_tables_are_immutable_and_cited():
    with pytest.raises(TypeError):
        FIBRE_GROUPS["gluteus_medius"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        FACTOR_INDICES["compression"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        FIBRE_GROUPS["gluteus_medius"].label = "x"  # type: ignore[misc]
    for k in FIBRE_GROUPS.values():
        for src in (k.referral_source, k.factors_source, k.examine_source, k.advice_source):
            assert src.strip()
    for f in FACTOR_INDICES.values():
        assert f.source and f.rationale and f.factor_class in {"activation", "perpetuating"}
        assert all(c in METRIC_COLUMNS for c in f.metrics)


def test_advice_includes_the_corrective_measures_of_the_literature():
    advice = " ".join(FIBRE_GROUPS["gluteus_minimus_posterior"].advice)
    for phrase in ("shift weight", "15-20 minutes", "pillow between the knees", "wallet"):
        assert phrase in advice


# ------------------------------------------------------------------------ summaries
def test_summary_lists_the_largest_change_first_and_ends_with_the_caveat_once():
    out = trigger_point_indices(table({
        ("gluteus_minimus_anterior", "r"): {"impulse_per_day_ns": 1.0e6},   # 2x
        ("gluteus_minimus_posterior", "l"): {"sustained_bout_s": 160.0},  # 4x
    }))
    lines = summarise_indices(out)
    assert lines[-1] == CAVEAT
    assert sum(CAVEAT in ln for ln in lines) == 1
    assert len(lines) == 3
    assert lines[0].startswith("posterior gluteus minimus, left:")
    assert lines[1].startswith("anterior gluteus minimus, right:")
    assert "Examine also:" in lines[0]


def test_summary_when_nothing_rose_and_line_limit():
    lines = summarise_indices(trigger_point_indices(table()))
    assert len(lines) == 2 and lines[-1] == CAVEAT and "No factor index rose" in lines[0]
    changes = {(m, "r"): {"peak_force_n": 600.0} for m in MUSCLES}
    lines = summarise_indices(trigger_point_indices(table(changes)), max_lines=2)
    assert len(lines) == 4 and "5 more" in lines[2] and lines[-1] == CAVEAT


def test_caveat_says_it_is_not_a_diagnosis():
    assert "not a diagnosis" in CAVEAT


# -------------------------------------------------------------------- body chart map
def test_body_chart_change_sums_gluteus_medius_parts():
    # parts at 5e5 each; one part of the right side goes to 2e6: (2e6 + 1e6) / 1.5e6 = 2
    out = body_chart_change_pct(table({("gluteus_medius_middle", "r"):
                                       {"impulse_per_day_ns": 2.0e6}}))
    assert out["gluteus_medius_r"] == pytest.approx(100.0)
    assert out["gluteus_medius_l"] is None  # no change: negligible
    assert not any(k.startswith("gluteus_minimus_middle") for k in out)


def test_body_chart_change_keys_are_accepted_by_the_chart():
    from hipsim.report.bodychart import BODY_CHART_KEYS
    out = body_chart_change_pct(table(), metric="peak_force_n")
    assert set(out) == set(BODY_CHART_KEYS)
    assert set(CHART_GROUP_MUSCLES) == {k[:-2] for k in BODY_CHART_KEYS}


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize("column", ["muscle", "side", "peak_force_n",
                                    "compression_kpa_s_baseline", "time_held_stretched_frac"])
def test_missing_column_is_named(column):
    with pytest.raises(InputError, match=column):
        trigger_point_indices(table().drop(columns=[column]))


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), "12", None, True])
def test_bad_value_is_rejected(value):
    t = table()
    t["impulse_per_day_ns_baseline"] = t["impulse_per_day_ns_baseline"].astype(object)
    t.at[3, "impulse_per_day_ns_baseline"] = value
    with pytest.raises(InputError, match="impulse_per_day_ns_baseline"):
        trigger_point_indices(t)


def test_fraction_above_one_is_rejected():
    with pytest.raises(InputError, match="peak_activation"):
        trigger_point_indices(table({("tensor_fasciae_latae", "r"): {"peak_activation": 1.2}}))


def test_shortened_plus_stretched_above_one_is_rejected():
    with pytest.raises(InputError, match="time_held_shortened_frac"):
        trigger_point_indices(table({("tensor_fasciae_latae", "r"):
                                     {"time_held_shortened_frac": 0.7, "time_held_stretched_frac": 0.5}}))


def test_bad_side_duplicate_row_empty_table_and_wrong_type():
    t = table()
    t.at[0, "side"] = "right"
    with pytest.raises(InputError, match="side"):
        trigger_point_indices(t)
    t["side"] = t["side"].astype(object)
    t.at[0, "side"] = ["r"]
    with pytest.raises(InputError, match="side"):
        trigger_point_indices(t)
    t = pd.concat([table(), table().iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="repeated"):
        trigger_point_indices(t)
    with pytest.raises(InputError, match="at least one row"):
        trigger_point_indices(table().iloc[:0])
    with pytest.raises(InputError, match="DataFrame"):
        trigger_point_indices({"muscle": ["x"]})  # type: ignore[arg-type]
    t = table()
    t.at[0, "muscle"] = ""
    with pytest.raises(InputError, match="muscle"):
        trigger_point_indices(t)


def test_summary_and_chart_map_reject_bad_input():
    with pytest.raises(InputError, match="dominant_factor"):
        summarise_indices(trigger_point_indices(table()).drop(columns=["dominant_factor"]))
    with pytest.raises(InputError, match="max_lines"):
        summarise_indices(trigger_point_indices(table()), max_lines=0)
    with pytest.raises(InputError, match="metric"):
        body_chart_change_pct(table(), metric="force")


# ------------------------------------------------------------------------ properties
# 0 or a normal float: keeps the power-of-two scaling below exact (no subnormals)
_metric_value = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e6))
_frac_value = st.floats(min_value=0.0, max_value=0.5, allow_nan=False)


@st.composite
def metric_tables(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    rows = []
    for i in range(n):
        r = {"muscle": MUSCLES[i % len(MUSCLES)], "side": "r" if i < len(MUSCLES) else "l",
             **CONTEXT, "held": draw(st.booleans())}
        for c in METRIC_COLUMNS:
            for suffix in ("", "_baseline"):
                if c in ("peak_activation", "mean_activation"):
                    v = draw(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
                elif c.endswith("_frac"):
                    v = draw(_frac_value)
                else:
                    v = draw(_metric_value)
                r[c + suffix] = v
        rows.append(r)
    return pd.DataFrame(rows)


_SETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(metric_tables())
def test_indices_are_finite_positive_and_bounded(t):
    out = trigger_point_indices(t)
    vals = out[list(FACTOR_NAMES) + ["lengthening_work_ratio"]].to_numpy(dtype=float)
    assert np.isfinite(vals).all()
    assert (vals >= 1.0 / INDEX_CAP).all() and (vals <= INDEX_CAP).all()
    assert set(out["dominant_factor"]) <= set(FACTOR_NAMES) | {"none"}


@_SETTINGS
@given(metric_tables(), st.integers(min_value=-8, max_value=8))
def test_indices_do_not_depend_on_units(t, power):
    # Scaling every metric (scenario and baseline alike) by 2**k changes the units, not
    # the ratios; powers of two keep the floats exact.
    k = 2.0 ** power
    scaled = t.copy()
    for c in METRIC_COLUMNS:
        if c in ("peak_activation", "mean_activation") or c.endswith("_frac"):
            continue  # bounded quantities; they drive sustained_position only
        if c in ("compression_kpa_s", "sustained_bout_s"):
            continue  # not a force unit: a fixed pressure (capillary pressure) floor; a time
        for suffix in ("", "_baseline"):
            scaled[c + suffix] = t[c + suffix] * k
    scaled["max_isometric_force_n"] = t["max_isometric_force_n"] * k  # the floors' scale, in the same units
    a = trigger_point_indices(t)
    b = trigger_point_indices(scaled)
    cols = [c for c in FACTOR_NAMES if c != "sustained_position"] + ["lengthening_work_ratio"]
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())


@_SETTINGS
@given(metric_tables())
def test_swapping_scenario_and_baseline_inverts_every_index(t):
    swapped = t.copy()
    for c in METRIC_COLUMNS:
        swapped[c], swapped[c + "_baseline"] = t[c + "_baseline"], t[c]
    a = trigger_point_indices(t)[list(FACTOR_NAMES)].to_numpy(dtype=float)
    b = trigger_point_indices(swapped)[list(FACTOR_NAMES)].to_numpy(dtype=float)
    np.testing.assert_allclose(a * b, 1.0, rtol=1e-12)


@_SETTINGS
@given(metric_tables(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_a_row_result(t, rnd):
    perm = list(range(len(t)))
    rnd.shuffle(perm)
    a = trigger_point_indices(t).set_index(["muscle", "side"]).sort_index()
    b = trigger_point_indices(t.iloc[perm]).set_index(["muscle", "side"]).sort_index()
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------- naming the factor that fits the task
HELD = {"held": True}


def test_a_held_posture_reads_a_tie_as_sustained_static_load():
    # heavier hold, same duration: peak force, daily impulse and sustained impulse all 2x
    key = ("gluteus_minimus_anterior", "r")
    out = trigger_point_indices(table({key: {"peak_force_n": 600.0, "impulse_per_day_ns": 1.0e6,
                                             "mean_force_n": 180.0}},
                                      context={**HELD, "everyday_peak_force_n": 400.0}))
    r = row(out, *key)
    assert r["acute_overload"] == r["repetitive_overload"] == r["sustained_contraction"] == pytest.approx(2.0)
    assert r["dominant_factor"] == "sustained_contraction"
    assert "static load" in r["reading"] and "held posture" in r["reading"]
    assert "overuse" not in r["reading"]
    assert "acute overload is not named" in r["reading"]  # 600 N is within 2x its 400 N walking peak


def test_a_walk_reads_a_tie_as_repetitive_load():
    # a fibre that never rests: daily impulse and sustained impulse rise alike
    key = ("gluteus_medius_middle", "l")
    out = trigger_point_indices(table({key: {"impulse_per_day_ns": 7.5e5, "mean_force_n": 135.0}},
                                      context={"everyday_peak_force_n": 300.0}))
    r = row(out, *key)
    assert r["repetitive_overload"] == pytest.approx(r["sustained_contraction"]) == pytest.approx(1.5)
    assert r["dominant_factor"] == "repetitive_overload"
    assert "a tie goes to the factor that fits a walk" in r["reading"]


def test_overuse_is_never_named_for_a_held_posture():
    key = ("tensor_fasciae_latae", "r")
    out = trigger_point_indices(table({key: {"impulse_per_day_ns": 2.0e6}}, context=HELD))  # more holds a day
    assert row(out, *key)["repetitive_overload"] == pytest.approx(4.0)
    assert row(out, *key)["dominant_factor"] == "none"


def test_acute_overload_only_beyond_twice_the_everyday_peak():
    key = ("gluteus_medius_anterior", "r")
    brief = {"peak_force_n": 900.0, "mean_force_n": 270.0, "sustained_bout_s": 20.0}  # 3x the force, half as long
    within = trigger_point_indices(table({key: brief}, context={**HELD, "everyday_peak_force_n": 500.0}))
    beyond = trigger_point_indices(table({key: brief}, context={**HELD, "everyday_peak_force_n": 400.0}))
    assert ACUTE_OVERLOAD_MULTIPLE == 2.0
    # 900 N is 1.8x a 500 N walking peak: the everyday range, so not acute overload
    assert row(within, *key)["dominant_factor"] == "sustained_contraction"
    assert not row(within, *key)["beyond_everyday"]
    # 900 N is 2.25x a 400 N walking peak, and the peak index (3) beats the sustained one (1.5)
    assert row(beyond, *key)["dominant_factor"] == "acute_overload"
    assert row(beyond, *key)["peak_vs_everyday"] == pytest.approx(2.25)
    assert "2.25\u00d7 its peak in a normal walk" in row(beyond, *key)["reading"]


def test_acute_overload_beyond_the_everyday_range_is_named_beside_a_tied_static_load():
    key = ("gluteus_minimus_posterior", "r")
    out = trigger_point_indices(table({key: {"peak_force_n": 600.0, "mean_force_n": 180.0}},
                                      context={**HELD, "everyday_peak_force_n": 250.0}))
    r = row(out, *key)
    assert r["dominant_factor"] == "sustained_contraction"  # the tie goes to the held posture's factor
    assert r["beyond_everyday"] and "acute overload, e.g. a fall, also fits" in r["reading"]


def test_the_naming_rule_is_stated():
    for words in ("held posture", "walk", "acute overload", "tie", f"{ACUTE_OVERLOAD_MULTIPLE:g}x"):
        assert words in NAMING_RULE
    assert FACTOR_ORDER["held"][0] == "sustained_contraction"
    assert FACTOR_ORDER["walk"][0] == "repetitive_overload"
    assert "repetitive_overload" not in FACTOR_ORDER["held"]
    assert TIE_TOLERANCE == 0.01


def test_context_columns_are_required_and_checked():
    with pytest.raises(InputError, match="held"):
        trigger_point_indices(table().drop(columns=["held"]))
    with pytest.raises(InputError, match="held"):
        trigger_point_indices(table(context={"held": "yes"}))
    with pytest.raises(InputError, match="everyday_peak_force_n"):
        trigger_point_indices(table(context={"everyday_peak_force_n": float("nan")}))
    with pytest.raises(InputError, match="max_isometric_force_n"):
        trigger_point_indices(table(context={"max_isometric_force_n": 0.0}))


_BAG_HOLD = """name = "bag_hold"
title = "A 10 kg bag held for 10 s on one leg"
description = "Standing on the right leg with a 10 kg bag in the left hand for 10 s."

[task]
type = "single_leg_stance"
side = "r"
hold_s = 10
holds_per_day = 50

[[modifiers]]
type = "carry"
mass_kg = 10
side = "l"
place = "hand"

[baseline]
"""


@pytest.fixture(scope="module")
def bag_hold(tmp_path_factory):
    from hipsim.scenarios import run_scenario
    path = tmp_path_factory.mktemp("scenario") / "bag_hold.toml"
    path.write_text(_BAG_HOLD, encoding="utf-8")
    return run_scenario(path)


def test_holding_a_bag_is_not_read_as_acute_overload_for_anterior_minimus(bag_hold):
    """Regression: holding a 10 kg bag for 10 s was read as "an activation factor named for acute
    overload, e.g. a fall" for anterior gluteus minimus. A held posture is a sustained, static load."""
    r = row(bag_hold.indices, "gluteus_minimus_anterior", "r")
    assert r["acute_overload"] > 1.5  # the load did rise a lot
    assert r["dominant_factor"] == "sustained_contraction"
    assert "held posture" in r["reading"] and "static load" in r["reading"]
    assert "named for acute overload" not in r["reading"]


@pytest.mark.parametrize("muscle", ["gluteus_minimus_middle", "gluteus_medius_middle"])
def test_holding_a_bag_breaks_the_tie_for_the_middle_parts_toward_static_load(bag_hold, muscle):
    """Regression: for the middle parts the acute and repetitive indices tie (a hold of the same
    length: both are the force ratio) and the tie fell to whichever float was larger, reading
    "overuse: walking too far or too fast" for a bag held still. Ties now go to the held posture's
    own factor."""
    r = row(bag_hold.indices, muscle, "r")
    assert r["acute_overload"] == pytest.approx(r["repetitive_overload"], rel=1e-9)  # the tie
    assert r["acute_overload"] > 1.5
    # a held posture's own factor wins the tie: sustained contraction, unless the held stretch
    # (sustained position, Lai-Uhlrich's middle parts beyond 1.1 optimal length) is larger still
    assert r["dominant_factor"] in ("sustained_contraction", "sustained_position")
    assert r[r["dominant_factor"]] >= r["acute_overload"]
    assert "overuse" not in r["reading"] and "walking too far" not in r["reading"]


@pytest.mark.slow
def test_a_walk_reads_as_repetitive_load():
    from hipsim.scenarios import run_scenario
    ind = run_scenario("walking_fast_far").indices
    abd = ind[ind.muscle.isin(MUSCLES) & (ind.dominant_factor != "none")]
    assert len(abd) >= 6
    assert set(abd.dominant_factor) <= {"repetitive_overload", "sustained_contraction"}
    assert (abd.dominant_factor == "repetitive_overload").sum() >= len(abd) - 1
