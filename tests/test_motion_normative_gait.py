"""Tests for hipsim.motion.normative_gait: the built-in normative walking cycle.

Each test's docstring names the source of the range it checks. DOMAIN.md is the
project's summary of normative level walking (Perry & Burnfield 2010; Winter 2009;
Kadaba et al. 1989/1990).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hipsim.errors import InputError
from hipsim.motion.normative_gait import (
    ANKLE_KEYPOINTS_DEG,
    GAIT2392_COORDINATES,
    HIP_FLEXION_KEYPOINTS_DEG,
    KNEE_FLEXION_KEYPOINTS_DEG,
    cadence_for_speed,
    normative_gait,
)
from hipsim.motion.storage import read_storage, write_storage

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason="../shared/reference/opensim absent")


@pytest.fixture(scope="module")
def gait():
    return normative_gait(n_frames=1001)


def deg(x: np.ndarray) -> np.ndarray:
    return np.degrees(x)


def test_every_gait2392_coordinate_present(gait) -> None:
    """All 23 gait2392 coordinates (gait2392_thelen2003muscle.osim) are returned, finite."""
    assert gait.coordinate_names == GAIT2392_COORDINATES
    assert len(GAIT2392_COORDINATES) == 23
    for name in GAIT2392_COORDINATES:
        for table in (gait.coordinates, gait.velocities, gait.accelerations):
            assert table[name].shape == (1001,) and np.isfinite(table[name]).all()


def test_vertical_grf_two_peaks_and_valley(gait) -> None:
    """DOMAIN.md (Perry & Burnfield 2010; Winter 2009): two vertical GRF peaks of about
    1.1-1.2 BW and a mid-stance valley of about 0.7-0.8 BW; checked as 1.05-1.25 / 0.7-0.8."""
    f = gait.grf_r.force_bw[:, 1]
    stance_idx = np.flatnonzero(gait.grf_r.stance[:-1])
    mid = stance_idx[len(stance_idx) // 2]
    first, second = f[:mid].max(), f[mid:].max()
    valley = f[np.argmax(f[:mid]):mid + np.argmax(f[mid:])].min()
    assert 1.05 <= first <= 1.25 and 1.05 <= second <= 1.25
    assert 0.70 <= valley <= 0.80 and valley < first and valley < second


def test_stance_fraction(gait) -> None:
    """DOMAIN.md / Perry 1992: stance about 60-62 % of the cycle on each side."""
    for side in ("r", "l"):
        assert 0.60 <= gait.grf[side].stance[:-1].mean() <= 0.62


def test_double_support_and_no_flight(gait) -> None:
    """Perry 1992 (Atlas of Limb Prosthetics ch. 13): both feet load in two double-support
    periods of ~10 % each; walking never has both feet off the ground."""
    both = gait.grf_r.stance & gait.grf_l.stance
    assert 0.17 <= both[:-1].mean() <= 0.23
    assert (gait.grf_r.stance | gait.grf_l.stance).all()
    both_loaded = (gait.grf_r.force_bw[:, 1] > 0.05) & (gait.grf_l.force_bw[:, 1] > 0.05)
    assert both_loaded.any()


def test_grf_zero_in_swing(gait) -> None:
    """A foot in swing carries no force (all three components exactly zero)."""
    for side in ("r", "l"):
        g = gait.grf[side]
        assert not g.force_bw[~g.stance].any()
        assert (g.force_bw[g.stance, 1] >= 0).all()


def test_mean_vertical_grf_is_body_weight(gait) -> None:
    """Newton's second law over a periodic cycle: the mean of the summed vertical GRF
    equals body weight (mean vertical acceleration of the centre of mass is zero);
    within 3 % (the cited GRF keypoints are not normalised to force this)."""
    total = gait.grf_r.force_bw[:-1, 1] + gait.grf_l.force_bw[:-1, 1]
    assert total.mean() == pytest.approx(1.0, abs=0.03)


def test_mean_horizontal_grf_is_zero(gait) -> None:
    """Steady speed and no net sideways drift: summed AP and ML GRF average to ~0."""
    total = gait.grf_r.force_bw[:-1] + gait.grf_l.force_bw[:-1]
    assert abs(total[:, 0].mean()) < 0.005
    assert abs(total[:, 2].mean()) < 0.005


def test_horizontal_grf_directions_and_size(gait) -> None:
    """Braking (backward) force early in stance, propulsion late, medially directed ML
    force on each foot: the strut model of Geyer et al. 2006; peaks under 0.3 BW."""
    f = gait.grf_r.force_bw
    early = (gait.percent > 2) & (gait.percent < 20)
    late = (gait.percent > 40) & (gait.percent < 58)
    assert f[early, 0].min() < -0.1 and f[late, 0].max() > 0.1
    assert np.abs(f[:, 0]).max() < 0.3
    assert f[gait.grf_r.stance, 2].max() <= 0.0  # right foot pushes the body to the left
    assert gait.grf_l.force_bw[gait.grf_l.stance, 2].min() >= 0.0


def test_hip_flexion_keypoints(gait) -> None:
    """DOMAIN.md: hip flexion about +30° at heel strike and about -10° to -15° near 50 %."""
    hip = deg(gait.coordinates["hip_flexion_r"])
    assert hip[0] == pytest.approx(30.0, abs=2.0)
    i = np.argmin(hip)
    assert 40.0 <= gait.percent[i] <= 55.0
    assert -15.5 <= hip[i] <= -9.5


def test_curves_pass_through_cited_keypoints(gait) -> None:
    """Every cited sagittal keypoint (Perry & Burnfield 2010 phase values et al.) is
    reproduced within 0.5°."""
    for name, keypoints, sign in (("hip_flexion_r", HIP_FLEXION_KEYPOINTS_DEG, 1),
                                  ("knee_angle_r", KNEE_FLEXION_KEYPOINTS_DEG, -1),
                                  ("ankle_angle_r", ANKLE_KEYPOINTS_DEG, 1)):
        curve = sign * deg(gait.coordinates[name])
        for p, value in keypoints:
            assert curve[int(round(p * 10))] == pytest.approx(value, abs=0.5), (name, p)


def test_knee_does_not_hyperextend(gait) -> None:
    """Perry: the knee is near 0° at mid stance and never hyperextends in normal gait;
    the interpolant must not overshoot past -1°, and swing peak is ~60°."""
    knee_flex = -deg(gait.coordinates["knee_angle_r"])
    assert knee_flex.min() > -1.0
    assert 55.0 <= knee_flex.max() <= 65.0


def test_pelvic_obliquity_and_hip_adduction(gait) -> None:
    """DOMAIN.md: pelvic obliquity about ±4-5° and hip adduction peak 5-10° in loading
    response; the contralateral (left) side drops in right loading response, so with
    gait2392's x-axis list (+ = right side lower) pelvis_list is negative there."""
    lst = deg(gait.coordinates["pelvis_list"])
    assert 4.0 <= lst.max() <= 5.0 and -5.0 <= lst.min() <= -4.0
    lr = gait.percent <= 15
    assert lst[lr].min() < -3.0
    add = deg(gait.coordinates["hip_adduction_r"])
    assert 5.0 <= add[lr].max() <= 10.0


def test_left_is_right_shifted_half_cycle() -> None:
    """The left side is the right side half a cycle later (symmetric gait)."""
    g = normative_gait()  # 101 frames: 1 % apart
    for joint in ("hip_flexion", "hip_adduction", "knee_angle", "ankle_angle"):
        r, l = g.coordinates[f"{joint}_r"], g.coordinates[f"{joint}_l"]
        np.testing.assert_allclose(l[:50], r[50:100], atol=1e-12)
    np.testing.assert_allclose(g.grf_l.force_bw[50:100, 1], g.grf_r.force_bw[0:50, 1], atol=1e-12)


def test_velocities_and_accelerations_are_derivatives(gait) -> None:
    """Analytic derivatives agree with central finite differences of the values."""
    t = gait.time
    for name in ("hip_flexion_r", "knee_angle_l", "pelvis_list", "pelvis_ty", "pelvis_tz"):
        q, qd, qdd = gait.coordinates[name], gait.velocities[name], gait.accelerations[name]
        fd1 = np.gradient(q, t)[1:-1]
        fd2 = np.gradient(np.gradient(q, t), t)[2:-2]
        scale1, scale2 = np.abs(qd).max(), np.abs(qdd).max()
        assert np.abs(fd1 - qd[1:-1]).max() < 0.01 * scale1 + 1e-12, name
        assert np.abs(fd2 - qdd[2:-2]).max() < 0.03 * scale2 + 1e-12, name


def test_cadence_at_normal_speed() -> None:
    """DOMAIN.md: cadence about 105-115 steps/min at a self-selected ~1.3 m/s; stride
    about 1.44 m (brainscape.com 'Gait' card: stride 144 cm, 1.37 m/s) within 10 %."""
    g = normative_gait(speed_m_s=1.3)
    assert 105.0 <= g.cadence_steps_min <= 115.0
    assert g.stride_length_m == pytest.approx(1.44, rel=0.10)
    assert g.time[-1] == pytest.approx(g.stride_time_s)


def test_cadence_and_step_length_grow_with_speed() -> None:
    """Grieve 1968 / Kuo 2001: step length ∝ speed^0.42, so both cadence and stride
    length rise with speed; doubling speed multiplies step length by 2^0.42 ≈ 1.34."""
    slow, fast = normative_gait(speed_m_s=0.9), normative_gait(speed_m_s=1.8)
    assert fast.cadence_steps_min > slow.cadence_steps_min
    assert fast.stride_length_m / slow.stride_length_m == pytest.approx(2 ** 0.42, rel=1e-6)
    assert cadence_for_speed(1.8) == pytest.approx(fast.cadence_steps_min)


def test_knobs_change_what_they_should() -> None:
    """pelvic_drop_scale scales obliquity (and stance-hip adduction follows), trunk lean
    shifts lumbar bending, wider steps mean more sway and more medial force, and
    stance_asymmetry sets each side's stance."""
    base = normative_gait()
    drop = normative_gait(pelvic_drop_scale=2.0)
    assert deg(drop.coordinates["pelvis_list"]).min() == pytest.approx(-9.0, abs=1e-6)
    assert (deg(drop.coordinates["hip_adduction_r"]).max()
            == pytest.approx(deg(base.coordinates["hip_adduction_r"]).max() + 4.5, abs=1e-6))
    lean = normative_gait(trunk_lean_deg=10.0)
    assert deg(lean.coordinates["lumbar_bending"][:-1]).mean() == pytest.approx(10.0, abs=1e-6)
    wide = normative_gait(step_width_m=0.2)
    assert wide.coordinates["pelvis_tz"].max() > base.coordinates["pelvis_tz"].max()
    assert wide.grf_r.force_bw[:, 2].min() < base.grf_r.force_bw[:, 2].min()
    asym = normative_gait(stance_asymmetry=0.1, n_frames=2001)
    assert asym.grf_r.stance[:-1].mean() == pytest.approx(0.65, abs=0.002)
    assert asym.grf_l.stance[:-1].mean() == pytest.approx(0.55, abs=0.002)
    total = asym.grf_r.force_bw[:-1, 1] + asym.grf_l.force_bw[:-1, 1]
    assert total.mean() == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("kwargs, key", [
    ({"speed_m_s": 3.0}, "speed_m_s"),
    ({"speed_m_s": float("nan")}, "speed_m_s"),
    ({"step_width_m": -0.1}, "step_width_m"),
    ({"pelvic_drop_scale": 5}, "pelvic_drop_scale"),
    ({"trunk_lean_deg": 45}, "trunk_lean_deg"),
    ({"stance_asymmetry": 0.3}, "stance_asymmetry"),
    ({"n_frames": 2}, "n_frames"),
    ({"n_frames": 10.5}, "n_frames"),
    ({"speed_m_s": True}, "speed_m_s"),
])
def test_bad_knobs_raise_input_error(kwargs: dict, key: str) -> None:
    """Out-of-range or wrongly typed knobs raise InputError naming the argument."""
    with pytest.raises(InputError, match=rf"argument: {key} = "):
        normative_gait(**kwargs)


def test_cop_moves_heel_to_toe(gait) -> None:
    """Chiu et al. 2013: CoP progresses heel to forefoot over stance; gait2392 geometry:
    from the calcn origin to the toe pad 0.2134 m ahead, never backwards."""
    g = gait.grf_r
    x = g.cop_calcn_m[g.stance, 0]
    assert x[0] == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.diff(x[:np.argmax(x) + 1]) >= -1e-12)
    assert x.max() == pytest.approx(0.2134, abs=1e-3)
    assert not g.cop_calcn_m[~g.stance].any()


def test_force_units(gait) -> None:
    """Body weights convert to newtons with standard gravity (9.80665 m/s²)."""
    g = gait.grf_r
    np.testing.assert_allclose(g.force_n(70.0), g.force_bw * 70.0 * 9.80665)
    with pytest.raises(InputError):
        g.force_n(-1.0)


def test_storage_round_trip(tmp_path: Path) -> None:
    """The cycle written as an OpenSim .mot (degrees) reads back to the same radians."""
    g = normative_gait()
    path = write_storage(tmp_path / "normative.mot", g.to_storage())
    back = read_storage(path)
    assert back.in_degrees and back.column_names == GAIT2392_COORDINATES
    j = GAIT2392_COORDINATES.index("hip_flexion_r")
    np.testing.assert_allclose(np.radians(back.data[:, j]), g.coordinates["hip_flexion_r"])
    k = GAIT2392_COORDINATES.index("pelvis_ty")
    np.testing.assert_allclose(back.data[:, k], g.coordinates["pelvis_ty"])


@needs_ref
def test_sign_convention_matches_measured_trial() -> None:
    """Measured subject01 walking (opensim-models, gait2392 IK): in right loading
    response and mid stance the right pelvis is higher (pelvis_list < 0) and the right
    hip flexes most near heel strike; hipsim's normative cycle must agree in sign."""
    from hipsim.motion.filtering import coordinate_kinematics, detect_heel_strikes, \
        normalize_to_cycle

    grf = read_storage(REF / "subject01_walk1_grf.mot")
    kin = coordinate_kinematics(read_storage(REF / "subject01_walk1_ik.mot"), 6.0)
    hs = detect_heel_strikes(grf.time, grf.column("ground_force_vy"))
    pct, cyc = normalize_to_cycle(kin.time, kin.q, hs[0], hs[1])
    g = normative_gait()
    window = (pct >= 10) & (pct <= 30)
    j = kin.names.index("pelvis_list")
    assert cyc[window, j].mean() < 0 and g.coordinates["pelvis_list"][window].mean() < 0
    h = kin.names.index("hip_flexion_r")
    assert cyc[:10, h].mean() > cyc[40:60, h].mean()
    assert g.coordinates["hip_flexion_r"][:10].mean() > g.coordinates["hip_flexion_r"][40:60].mean()
    assert math.degrees(cyc[0, h]) > 10.0
