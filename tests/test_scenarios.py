"""Every shipped scenario: the direction and rough size of its physical effect, the reason in the
test name. Sources in each docstring."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from hipsim.scenarios import run_scenario, shipped_scenarios


@functools.lru_cache(maxsize=None)
def run(name, model=None):
    from hipsim.scenarios.runner import prepare_scenario
    return run_scenario(prepare_scenario(name, model=model) if model else name)


def row(result, muscle, side, col):
    m = result.metrics
    return float(m[(m.muscle == muscle) & (m.side == side)][col].iloc[0])


def rel_change(result, muscle, side, col):
    """Relative change (%) of ``col`` from the raw values, for effects of a few per cent that the
    reports' negligible floor (2 % of the full scale) calls negligible."""
    return 100.0 * (row(result, muscle, side, col) / row(result, muscle, side, f"{col}_baseline") - 1.0)


def abductor_moment(res, side="r"):
    """Internal abduction moment of the stance hip (N m), positive when abducting."""
    return float((-res.generalized_force(f"hip_adduction_{side}")).max())


def glutei_force(res, side="r"):
    m = res.model
    return sum(res.muscle_forces[:, m.muscle_index(f"gluteus_{g}_{p}_{side}")].max()
               for g in ("medius", "minimus") for p in ("anterior", "middle", "posterior"))


def test_every_shipped_scenario_is_tested_here():
    tested = {n[len("test_"):].split("__")[0] for n in globals() if n.startswith("test_") and "__" in n}
    assert set(shipped_scenarios()) <= tested, set(shipped_scenarios()) - tested


def test_bag_opposite_hand__load_far_from_stance_hip_raises_abductor_load_and_hip_contact_force():
    """A load opposite the stance leg adds its weight at a long lever about the stance hip, on the
    body-weight side (Neumann & Cook 1985, Phys Ther 65:305: gluteus medius EMG rises steeply with
    contralateral load). 10 kg at about 0.2 m from the midline: the abductor moment rises by
    roughly 10 kg x 9.81 x 0.3 m = 30 N m, about half again."""
    r = run("bag_opposite_hand")
    base, scen = abductor_moment(r.baseline), abductor_moment(r.scenario)
    assert 1.3 * base < scen < 1.9 * base
    assert r.scenario.hip_contact_force_bw["r"].max() > r.baseline.hip_contact_force_bw["r"].max() + 0.5
    assert glutei_force(r.scenario) > 1.3 * glutei_force(r.baseline)


def test_bag_same_hand__load_beside_stance_hip_lowers_abductor_load_and_hip_contact_force():
    """A load on the stance side acts on the other side of the hip from the body weight and offsets
    part of its moment (Neumann & Cook 1985): abductor moment and hip contact force fall."""
    r = run("bag_same_hand")
    assert abductor_moment(r.scenario) < 0.85 * abductor_moment(r.baseline)
    assert r.scenario.hip_contact_force_bw["r"].max() < r.baseline.hip_contact_force_bw["r"].max()


def test_child_on_hip__child_on_far_hip_raises_stance_abductor_load_more_than_its_weight_alone():
    """A 12 kg child on the hip opposite the stance leg: its weight acts lateral to that hip, far
    from the stance hip; abductor moment and hip contact force rise (Travell & Simons 1992, ch. 9: carrying a child on
    the hip is a reported contributor)."""
    r = run("child_on_hip")
    assert abductor_moment(r.scenario) > 1.4 * abductor_moment(r.baseline)
    assert r.scenario.hip_contact_force_bw["r"].max() > r.baseline.hip_contact_force_bw["r"].max()


def test_weak_gluteus_medius__gluteus_minimus_and_tfl_take_over_what_medius_cannot_carry():
    """Medius at 50 %: the same abduction moment must be made; static optimisation gives the share
    to the other abductors, gluteus minimus first and TFL (Neumann 2010, ch. 12: abduction agonists)."""
    r = run("weak_gluteus_medius")
    for part in ("anterior", "middle", "posterior"):
        assert row(r, f"gluteus_minimus_{part}", "r", "peak_force_n_pct_change") > 50
    assert row(r, "tensor_fasciae_latae", "r", "peak_force_n_pct_change") > 30
    assert row(r, "gluteus_medius_middle", "r", "peak_force_n_pct_change") < 0
    assert abductor_moment(r.scenario) == pytest.approx(abductor_moment(r.baseline), rel=1e-9)


@pytest.mark.slow
def test_weak_abductors_compensated__trunk_lean_toward_stance_side_covers_the_abductor_deficit():
    """At 20 % strength the superior-gluteal-nerve group cannot hold the pelvis: a deficit shows in
    the reserve. Leaning the trunk over the stance hip shortens the body-weight lever until the
    weak muscles suffice (compensated Trendelenburg, Neumann 2010, ch. 12); the lean is found, between 5 and
    30 degrees, and the abductor demand at that lean is lower than upright."""
    r = run("weak_abductors_compensated", model="gait2392")  # sizes derived on gait2392; the default model's: the gallery
    assert r.derived["abduction_deficit_nm"] > 2.0
    lean = r.derived["compensation"]["trunk_lean_deg"]
    assert 5.0 < lean < 30.0
    assert abductor_moment(r.scenario) < 0.8 * abductor_moment(r.baseline)
    res = r.scenario.reserves[:, r.scenario.reserve_coordinates.index("hip_adduction_r")]
    assert np.abs(res).max() <= 0.5 + 1e-6


def test_trunk_lean__leaning_over_the_stance_hip_lowers_abductor_demand():
    """Compensated Trendelenburg: 10 degrees of lean shortens the body-weight lever (Pauwels 1976;
    Neumann 2010, Kinesiology of the Musculoskeletal System, ch. 12): abductor moment and hip
    contact force fall."""
    r = run("trunk_lean")
    assert abductor_moment(r.scenario) < 0.8 * abductor_moment(r.baseline)
    assert r.scenario.hip_contact_force_bw["r"].max() < r.baseline.hip_contact_force_bw["r"].max()


def test_trendelenburg_stance__pelvic_drop_adducts_the_stance_hip_and_stretches_its_abductors():
    """An 8 degree drop of the lifted side adducts the stance hip by 8 degrees beyond what the
    leg's own slant under the body changes (the pelvis turns about the stance hip): its abductor
    fibres lengthen (Trendelenburg sign; Neumann 2010, ch. 12)."""
    r = run("trendelenburg_stance")
    m = r.scenario.model

    def adduction_and_slant(res):
        R, o, _, _ = m.body_poses(res.q[:1])
        thigh = o[0, m.body_names.index("femur_r")] - o[0, m.body_names.index("tibia_r")]
        return (np.degrees(res.q[0, m.coordinate_index("hip_adduction_r")]),
                np.degrees(np.arctan2(thigh[2], thigh[1])))

    (add_s, slant_s), (add_b, slant_b) = adduction_and_slant(r.scenario), adduction_and_slant(r.baseline)
    assert (add_s - add_b) - (slant_s - slant_b) == pytest.approx(8.0, abs=0.05)
    for part in ("anterior", "middle", "posterior"):
        assert row(r, f"gluteus_medius_{part}", "r", "mean_norm_fiber_length_pct_change") > 2
        assert row(r, f"gluteus_minimus_{part}", "r", "mean_norm_fiber_length_pct_change") > 2


def test_wallet__obliquity_rotates_the_hips_and_lengthens_gluteus_minimus_on_the_wallet_side():
    """A 2 cm wallet under the right ischial tuberosity (12 cm apart) tilts the pelvis about
    atan(1.85/12) = 8.8 degrees. With the hips flexed to 90 degrees the thighs stay on the seat and
    the tilt becomes hip rotation: the right hip rotates externally, the left internally. At 90
    degrees of flexion both anterior and posterior gluteus minimus fibres are internal rotators
    (Delp et al. 1999, J Biomech 32:493: the posterior gluteal fibres' rotation arm changes sign
    with flexion), so on the wallet side both parts lengthen and on the other side both shorten.
    The wallet concentrates the seated load on its face: pressure on the posterior fibres of that
    side rises several-fold (Travell & Simons 1992: a wallet compresses posterior TrPs)."""
    r = run("wallet")
    w = r.derived["wallet"]
    assert 7.0 < w["pelvic_obliquity_deg"] < 10.0
    m = r.scenario.model
    rot_r = np.degrees(r.scenario.q[0, m.coordinate_index("hip_rotation_r")])
    assert rot_r == pytest.approx(-w["pelvic_obliquity_deg"], abs=0.5)
    for part in ("anterior", "posterior"):
        assert row(r, f"gluteus_minimus_{part}", "r", "mean_norm_fiber_length_pct_change") > 5
        assert row(r, f"gluteus_minimus_{part}", "l", "mean_norm_fiber_length_pct_change") < -5
    assert row(r, "gluteus_minimus_posterior", "r", "compression_kpa_s_pct_change") > 200
    assert row(r, "gluteus_minimus_posterior", "l", "compression_kpa_s_pct_change") == 0


def test_crossed_legs__crossed_hip_lengthens_its_posterior_abductors_and_tfl_for_the_whole_hold():
    """Knee over knee the top hip is adducted 20 degrees at 90 degrees of flexion. At that flexion the
    posterior gluteal fibres, piriformis and TFL still lie lateral to the joint and lengthen,
    while the anterior gluteal fibres have moved in front of it and act as adductors (Delp et al.
    1999, J Biomech 32:493, on the change of gluteal actions with flexion), so they shorten. The
    other side is unchanged. Travell & Simons 1992, ch. 9: sitting cross-legged for long periods is a contributor."""
    r = run("crossed_legs")
    for muscle in ("gluteus_medius_posterior", "gluteus_minimus_posterior", "piriformis", "tensor_fasciae_latae"):
        assert row(r, muscle, "r", "mean_norm_fiber_length_pct_change") > 2, muscle
        assert abs(row(r, muscle, "l", "mean_norm_fiber_length_pct_change")) < 1e-6
    assert row(r, "gluteus_minimus_anterior", "r", "mean_norm_fiber_length_pct_change") < 0


def test_leg_length__short_left_leg_tilts_the_pelvis_and_adducts_the_long_right_hip():
    """1.5 cm shorter left leg: the pelvis drops atan(1.5 / hip width) to the left (about 5 deg for
    a 16.7 cm hip width): the right (long) hip adducts and its abductors lengthen, the left abducts
    and its abductors shorten."""
    r = run("leg_length")
    assert 4.0 < r.scenario.parameters["pelvic_obliquity_deg"] < 6.5
    assert row(r, "gluteus_medius_middle", "r", "mean_norm_fiber_length_pct_change") > 1
    assert row(r, "gluteus_medius_middle", "l", "mean_norm_fiber_length_pct_change") < -1


def test_cambered_road__camber_is_a_functional_leg_length_difference_on_the_low_side():
    """Feet 25 cm apart across a 4 degree camber: the low foot stands 25 tan 4 = 1.75 cm lower, a
    functional leg-length difference, so the pelvis drops to the low side as with a
    short leg."""
    r = run("cambered_road")
    assert r.derived["camber"]["functional_leg_length_difference_cm"] == pytest.approx(1.748, abs=0.01)
    assert r.scenario.parameters["pelvic_obliquity_deg"] > 5.0
    assert row(r, "gluteus_medius_middle", "r", "mean_norm_fiber_length_pct_change") > 1


def test_prolonged_standing__no_weight_shift_multiplies_the_longest_sustained_activation():
    """Standing 30 minutes without shifting weight against shifting every 2 minutes: the same low
    load lasts 15 times longer without a pause (Travell & Simons 1992, ch. 9: prolonged standing without shifting
    weight perpetuates TrPs; Hägg 1991 on sustained low-level activity)."""
    r = run("prolonged_standing")
    m = r.metrics
    active = m[m.peak_activation > 0.005]
    assert len(active) > 0
    assert np.allclose(active.longest_sustained_s / active.longest_sustained_s_baseline, 15.0)
    assert np.allclose(m.peak_force_n, m.peak_force_n_baseline)
    ix = r.indices.set_index(["muscle", "side"]).loc[list(zip(active.muscle, active.side))]
    assert np.allclose(ix.sustained_contraction, 15.0) and (ix.dominant_factor == "sustained_contraction").all()


@pytest.mark.slow
def test_limping__shortened_painful_stance_shifts_load_to_the_other_hip():
    """Antalgic gait: the painful right leg's stance is shortened, the left carries more of the
    cycle; the left abductors' impulse per cycle rises relative to the right's (Travell & Simons 1992, ch. 9: limping
    for days is an activation factor)."""
    r = run("limping", model="gait2392")  # sizes derived on gait2392; the default model's: the gallery
    # Expected order of size: the stances change from 60 % to 58 % (right) and 62 % (left) of the
    # cycle, about -3 % and +3 % of loaded time; each left part must gain at least 2 %, and no
    # right part more than 1 %.
    for part in ("gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior",
                 "gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
                 "tensor_fasciae_latae"):
        assert rel_change(r, part, "l", "impulse_ns") >= 2.0, part
        assert rel_change(r, part, "r", "impulse_ns") <= 1.0, part


@pytest.mark.slow
def test_walking_fast_far__more_steps_raise_the_daily_abductor_impulse():
    """15,000 steps instead of 7,000 at 1.8 instead of 1.3 m/s (Travell & Simons 1992: walking too far or too fast
    is an activation factor). A day's impulse is the stride's times the strides a day, so it rises by
    the ratio of steps (15/7) times the change per stride; the faster stride is shorter but loaded
    harder (the peak hip abductor moment rises with speed, Lelas et al. 2003, Gait Posture 17:106), so
    every abductor part's peak force rises, and the daily impulse of all but anterior gluteus medius
    at least doubles (that part is near full activation already at 1.3 m/s, so it gains least)."""
    r = run("walking_fast_far", model="gait2392")  # sizes derived on gait2392; the default model's: the gallery
    for part in ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
                 "gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior",
                 "tensor_fasciae_latae"):
        day = 1 + rel_change(r, part, "r", "impulse_per_day_ns") / 100
        stride = 1 + rel_change(r, part, "r", "impulse_ns") / 100
        assert day == pytest.approx(15000 / 7000 * stride, rel=1e-9)
        assert rel_change(r, part, "r", "peak_force_n") > 0
        assert day > (1.5 if part == "gluteus_medius_anterior" else 2.0), part
    assert (-r.scenario.generalized_force("hip_adduction_r")).max() > (-r.baseline.generalized_force("hip_adduction_r")).max()


@pytest.mark.slow
def test_shoulder_bag_walk__bag_on_left_shoulder_loads_the_right_stance_hip_more():
    """A bag on the left shoulder is opposite the right stance leg and on the same side as the left
    one (Neumann & Cook 1985): the right abductor moment rises and the left one falls. Size from
    frontal-plane statics: the bag's weight times its lateral distance from each hip (in the
    neutral pose), per kg of body mass; walking adds dynamics and sway, so within 30 %."""
    r = run("shoulder_bag_walk", model="gait2392")  # sizes derived on gait2392; the default model's: the gallery
    m = r.scenario.model
    bag = r.scenario.point_masses[0]
    R, o, _, _ = m.body_poses(m.default_q)
    b = m.body_index(bag.body)
    z_bag = float((o[0, b] + R[0, b] @ np.asarray(bag.location))[2])
    g = 9.80665
    # the bag's distance to the medial side of each hip (z points right): the load's moment about
    # that hip, which the abductors must add to (medial) or are spared (lateral)
    for side, expected in (("r", bag.mass_kg * g * (o[0, m.body_index("femur_r"), 2] - z_bag)),
                           ("l", bag.mass_kg * g * (z_bag - o[0, m.body_index("femur_l"), 2]))):
        change = abductor_moment(r.scenario, side) - abductor_moment(r.baseline, side)
        assert change == pytest.approx(expected, rel=0.3), side
    assert abductor_moment(r.scenario, "r") > abductor_moment(r.baseline, "r")
    assert abductor_moment(r.scenario, "l") < abductor_moment(r.baseline, "l")


@pytest.mark.slow
def test_trendelenburg_gait__doubled_pelvic_drop_lengthens_stance_abductors():
    """Doubling the swing-side pelvic drop adducts each stance hip further (Neumann 2010, ch. 12: Trendelenburg
    gait): the gluteal abductors lie lateral to the hip, so their muscle-tendon units reach a longer
    peak length in stance, by at least 1 mm (their abduction moment arms are 3-5 cm, so 2 degrees
    more adduction lengthens them by 1-2 mm). Posterior gluteus medius and TFL, whose peak lengths
    change by less than 1 mm, are not asserted."""
    r = run("trendelenburg_gait")
    assert r.scenario.parameters["pelvic_drop_scale"] == 2.0
    m = r.scenario.model
    c = m.coordinate_index("hip_adduction_r")
    assert r.scenario.q[:, c].max() > r.baseline.q[:, c].max() + np.radians(1.0)
    stance = r.scenario.percent <= 60
    ls, lb = m.muscle_lengths(r.scenario.q)[stance], m.muscle_lengths(r.baseline.q)[stance]
    for part in ("gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior",
                 "gluteus_medius_anterior", "gluteus_medius_middle"):
        i = m.muscle_index(f"{part}_r")
        assert ls[:, i].max() > lb[:, i].max() + 0.001, part


@pytest.mark.slow
def test_trendelenburg_gait__walking_holds_no_position_so_the_immobility_factor_does_not_rise():
    """Travell & Simons (1992, vol. 2, ch. 9) name "prolonged immobility in one
    position" as a perpetuating factor. Walking moves every fibre each step, so a gait cycle holds
    no position: even where the doubled drop keeps fibres shortened for more of the cycle (that
    share stays in the metrics), the sustained-position index stays 1 and no reading names it."""
    r = run("trendelenburg_gait")
    m = r.metrics
    assert (m.time_shortened_frac > m.time_shortened_frac_baseline + 0.1).any()
    assert (m.time_held_shortened_frac == 0).all() and (m.time_held_stretched_frac == 0).all()
    assert np.allclose(r.indices.sustained_position, 1.0)
    assert not r.indices.dominant_factor.eq("sustained_position").any()
    assert not r.indices.reading.str.contains("immobility").any()


@pytest.mark.slow
def test_limping__longer_bursts_within_a_stride_are_not_sustained_contraction():
    """Travell & Simons (1992, vol. 2, ch. 9) name prolonged immobility and standing
    without shifting weight: contraction kept up without a break. A limp lengthens some fibres'
    bursts within each stride (longest run of activation), but they rest every stride, so the
    sustained-contraction index stays 1 and no reading names it."""
    r = run("limping")
    m = r.metrics
    assert (m.longest_sustained_s > 1.1 * m.longest_sustained_s_baseline).any()
    assert (m.sustained_bout_s == 0).all() and (m.sustained_bout_s_baseline == 0).all()
    assert np.allclose(r.indices.sustained_contraction, 1.0)
    assert not r.indices.dominant_factor.eq("sustained_contraction").any()


def test_trendelenburg_stance__a_held_drop_is_a_sustained_stretched_position():
    """The same factor in a held posture: the 8 degree drop of trendelenburg_stance, held, keeps
    the stance-side anterior gluteus minimus stretched (> 1.1 optimal length) for the whole hold
    where the level pelvis did not, so its sustained-position index rises and names the reading;
    every part stretched by the drop alone reads so. (On gait2392 the posterior part behaves alike;
    Lai-Uhlrich's posterior part and TFL are beyond 1.1 optimal length already with the pelvis level.)"""
    r = run("trendelenburg_stance")
    m, ix = r.metrics, r.indices
    assert row(r, "gluteus_minimus_anterior", "r", "time_held_stretched_frac") == 1.0
    assert row(r, "gluteus_minimus_anterior", "r", "time_held_stretched_frac_baseline") == 0.0
    newly = m[(m.side == "r") & (m.time_held_stretched_frac == 1.0) & (m.time_held_stretched_frac_baseline == 0.0)]
    assert "gluteus_minimus_anterior" in set(newly.muscle)
    for muscle in newly.muscle:
        x = ix[(ix.muscle == muscle) & (ix.side == "r")].iloc[0]
        assert x.sustained_position > 1.0 and x.dominant_factor == "sustained_position", muscle


@pytest.mark.slow
def test_fibre_lengths_outside_the_sarcomere_range_are_flagged():
    """Sarcomeres develop almost no active force below about 0.58 or above 1.66 of optimal length
    (Gordon, Huxley & Julian 1966, J Physiol 184:170). In sitting, gait2392's TFL with its rigid
    tendon computes to about a fifth of optimal length: the run says so, naming TFL. Normal
    walking keeps every tracked fibre group inside the range, and says nothing."""
    wallet = [w for w in run("wallet").warnings if "sarcomeres" in w]
    assert len(wallet) == 1 and "tensor fasciae latae" in wallet[0]
    assert not [w for w in run("trendelenburg_gait").warnings if "sarcomeres" in w]


def test_fibres_at_full_activation_in_both_runs_are_flagged():
    """Static optimisation bounds activation at 1: a fibre group at that bound in both runs cannot
    show a peak-force change, so the runner says so instead of letting "+0 %" read as no change.
    Only groups at the bound in both runs are flagged."""
    from hipsim.analysis.metrics import CONTEXT_COLUMNS, METRIC_COLUMNS, compare, saturated_in_both

    def table(acts):
        rows = [dict(muscle=m, side=s, **{c: 1.0 for c in METRIC_COLUMNS + CONTEXT_COLUMNS}) for (m, s) in acts]
        for row, a in zip(rows, acts.values()):
            row["peak_activation"] = a
        return pd.DataFrame(rows)

    scen = table({("gluteus_minimus_anterior", "r"): 1.0, ("gluteus_minimus_middle", "r"): 1.0,
                  ("gluteus_medius_anterior", "r"): 0.5, ("piriformis", "r"): 1.0})
    base = table({("gluteus_minimus_anterior", "r"): 0.995, ("gluteus_minimus_middle", "r"): 0.6,
                  ("gluteus_medius_anterior", "r"): 1.0, ("piriformis", "r"): 1.0})
    assert saturated_in_both(compare(scen, base)) == [("gluteus_minimus_anterior", "r")]
    assert not any("full activation" in w for w in run("bag_opposite_hand").warnings)


def test_passive_joint_moments_switch_reaches_both_runs(tmp_path):
    """A scenario's ``passive_joint_moments = false`` is the API's ``passive_joint_moments=False`` for the
    scenario and its baseline alike (OpenSim's all-muscle split), and ``"no"`` is refused."""
    import hipsim
    from hipsim.errors import InputError
    text = ('name = "pj"\n[task]\ntype = "single_leg_stance"\npassive_joint_moments = false\n'
            '[[modifiers]]\ntype = "carry"\nmass_kg = 10.0\nside = "l"\n[baseline]\n')
    path = tmp_path / "pj.toml"
    path.write_text(text)
    res = run_scenario(path)
    plain = hipsim.single_leg_stance(passive_joint_moments=False)
    assert res.baseline.passive_moments is None and res.scenario.passive_moments is None
    assert np.allclose(res.baseline.hip_contact_force_bw["r"], plain.hip_contact_force_bw["r"], rtol=1e-6)
    path.write_text(text.replace("false", '"no"'))
    with pytest.raises(InputError, match="passive_joint_moments"):
        run_scenario(path)


def test_a_drop_compensation_reports_that_no_drop_covers_the_shortfall_and_why(tmp_path):
    """With compensation = "drop", the runner tries drops up to 25 degrees; in the model a drop
    enlarges the abductors' shortfall, and the note says so rather than implying a drop was found."""
    path = tmp_path / "drop.toml"
    path.write_text('name = "drop"\n[task]\ntype = "single_leg_stance"\nside = "r"\n[[modifiers]]\n'
                    'type = "weakness"\nmuscles = ["superior_gluteal_nerve"]\nside = "r"\nstrength = 0.2\n'
                    'compensation = "drop"\n[baseline]\n')
    res = run_scenario(path)
    comp = res.derived["compensation"]
    assert comp["pelvic_drop_deg"] is None
    assert "enlarges the shortfall" in comp["note"]
    assert res.derived["abduction_deficit_nm"] > 1.0


def test_weak_abductors_gait__a_lean_over_the_stance_hip_lowers_its_abduction_moment_in_walking():
    """Compensated Trendelenburg gait: leaning the trunk over the stance hip moves the centre of
    mass toward it and shortens the body weight's lever, so the stance hip needs a smaller
    abduction moment (Neumann 2010, J Orthop Sports Phys Ther 40:82). With the right abductors at
    20 % the lean found frame by frame must lower the right hip's peak internal abduction moment
    in stance, leave no frame short, and lean toward the right (stance) side in mid-stance. On
    gait2392: with the default model's longer abductor moment arms and its other abductors at full
    strength, 20 % leaves no frame short, and the scenario says that no lean is needed (checked below)."""
    default = run("weak_abductors_gait").derived["compensation"]
    assert default["frames_short"] == 0 and default["peak_trunk_lean_deg"] == 0.0
    assert default["note"].startswith("no lean needed")
    r = run("weak_abductors_gait", model="gait2392")
    j = r.scenario.model.coordinate_index("hip_adduction_r")
    stance = slice(5, 55)  # right stance, away from the double-support transitions
    base = -r.baseline.generalized_forces[stance, j].min()
    scen = -r.scenario.generalized_forces[stance, j].min()
    assert scen < 0.8 * base, (scen, base)
    comp = r.derived["compensation"]
    assert comp["frames_short"] == 0
    assert min(comp["trunk_lean_deg_by_percent"][20:40]) > 3.0
