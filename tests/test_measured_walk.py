"""The built-in walk made from measured adult gait (hipsim.motion.measured_walk) against published
figures, its construction's physics, its knobs and its cache.

Validation is at 1.325 m/s (Winter's normal cadence) for the default model. The walk's angles are
the mean curves of Schreiber & Moissenet (2019, Sci Data 6:111) and its centre of mass follows
their mean ground reactions, so the Winter (2009) angle and force comparisons check adults of
another laboratory, while the moments, the hip abductor moment and the hip contact force are
results of the model's dynamics and static optimisation. Where a limit is missed the test is a
strict xfail naming the measured value; nothing was tuned toward a limit.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hipsim
from hipsim.errors import InputError
from hipsim.motion import measured_walk as mw
from hipsim.motion.measured_gait import mean_cycle

GAIT = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "gait"
WINTER = GAIT / "winter2009" / "Winter_normal.csv"
SPEED = 1.325  # Winter (2009) normal cadence
#: The figures in this file are gait2392's (the default model's walk: tests/test_default_walk.py).
GAIT2392 = hipsim.load_model("gait2392")


@pytest.fixture(scope="module")
def walk():
    """hipsim.gait with the measured cycle, gait2392, 1.325 m/s, 101 frames."""
    return hipsim.gait(GAIT2392, speed_m_s=SPEED, cycle="measured")


@pytest.fixture(scope="module")
def winter() -> pd.DataFrame:
    if not WINTER.is_file():
        pytest.skip(f"{WINTER} is absent")
    raw = pd.read_csv(WINTER, skiprows=6, header=None)
    w = raw.iloc[:, [1, 4, 5, 6, 9, 10, 11]].apply(pd.to_numeric, errors="coerce").dropna()
    w.columns = ["percent", "hip", "knee", "ankle", "hip_moment", "knee_moment", "ankle_moment"]
    return w


def _sagittal(r) -> dict[str, np.ndarray]:
    """Right hip, knee, ankle angles (deg) and moments (N m/kg) in Winter's conventions: hip and
    knee positive in flexion, ankle in dorsiflexion; moments positive extensor (hip, knee) and
    plantarflexor (ankle)."""
    ci = r.model.coordinate_index
    mass = r.model.mass
    flex = r.model.knee_flexion_sign("r")  # gait2392's knee angle is negative in flexion, Rajagopal's positive
    return {"hip": np.degrees(r.q[:, ci("hip_flexion_r")]),
            "knee": flex * np.degrees(r.q[:, ci("knee_angle_r")]),
            "ankle": np.degrees(r.q[:, ci("ankle_angle_r")]),
            "hip_moment": -np.asarray(r.generalized_force("hip_flexion_r")) / mass,
            "knee_moment": -flex * np.asarray(r.generalized_force("knee_angle_r")) / mass,
            "ankle_moment": -np.asarray(r.generalized_force("ankle_angle_r")) / mass}


def _rms_vs_winter(r, w, key) -> float:
    ours = np.interp(w["percent"].to_numpy(), r.percent, _sagittal(r)[key])
    return float(np.sqrt(np.mean((ours - w[key].to_numpy()) ** 2)))


def _two_stance_peaks(y: np.ndarray, percent: np.ndarray) -> tuple[float, float, float]:
    """Largest value in 0-30 % and in 30-62 % of the cycle, and the smallest between them."""
    i1 = int(np.argmax(np.where(percent <= 30, y, -np.inf)))
    i2 = int(np.argmax(np.where((percent > 30) & (percent <= 62), y, -np.inf)))
    return float(y[i1]), float(y[i2]), float(y[i1:i2 + 1].min())


# --------------------------------------------------------------------------- sagittal, Winter 2009

@pytest.mark.parametrize("joint", ["hip", "knee", pytest.param("ankle", marks=pytest.mark.xfail(strict=True, reason=(
    "measured 5.08 deg: the measured adults plantarflex 11 deg less than Winter's just after toe-off "
    "(-8.6 against -19.8 deg at 66 %) and dorsiflex 5 deg more in mid swing; their mean peak "
    "plantarflexion is -12.5 deg at the fast and -9.5 deg at the preferred speed")))])
def test_sagittal_angles_within_5_deg_rms_of_winter(walk, winter, joint) -> None:
    """Winter DA (2009), Biomechanics and Motor Control of Human Movement, 4th ed., appendix A:
    adults at normal cadence (1.325 m/s). RMS difference over the cycle at most 5 deg. Measured:
    hip 3.90, knee 3.17, ankle 5.08 deg (keypoint cycle 9.5, 5.8, 5.6)."""
    assert _rms_vs_winter(walk, winter, joint) <= 5.0


@pytest.mark.xfail(strict=True, reason=(
    "measured RMS 0.32 (hip), 0.28 (knee), 0.28 (ankle) N m/kg (keypoint cycle 0.34, 0.155, 0.22): "
    "in single support the ground reaction passes further ahead of the hip and knee than in Winter's "
    "adults (hip extensor moment 0.80 N m/kg at 12 %, Winter 0.24; knee -0.05 against +0.59; centre "
    "of pressure 15 cm ahead of the heel from 15 to 40 %), and the late-swing hip moments are twice "
    "Winter's (0.59 against 0.24 N m/kg at 92 %) at this model's cadence of 119 steps/min (Winter "
    "105). Most of the single-support offset is the whole-body angular momentum rate about the "
    "lateral axis (centre of pressure 5-6 cm ahead of the force line through the centre of mass in "
    "loading response, 10 cm behind it at 46 %, mostly from the other leg's shank and foot); not "
    "the measured 13 deg forward trunk lean (holding the trunk upright, as an experiment, left the "
    "RMS at 0.38, 0.27, 0.29)"))
def test_sagittal_moments_within_0_15_rms_of_winter(walk, winter) -> None:
    """Winter (2009), appendix A: sagittal hip, knee and ankle moments at normal cadence, RMS
    difference at most 0.15 N m/kg each."""
    for key in ("hip_moment", "knee_moment", "ankle_moment"):
        assert _rms_vs_winter(walk, winter, key) <= 0.15, key


@pytest.mark.xfail(strict=True, reason=(
    "measured 1.05 N m/kg at 46 % (keypoint cycle 1.16): the whole-body angular momentum rate "
    "(0.12 BW m, 80 % from the other leg's shank and foot decelerating in terminal swing) puts the "
    "centre of pressure 10 cm behind the force line through the centre of mass, 18 cm behind the "
    "hip, which is 7 deg more extended than Winter's (-16.9 against -9.3 deg); holding the measured "
    "13 deg forward trunk lean upright, as an experiment, raised it to 1.43"))
def test_late_stance_hip_flexion_moment_peak(walk) -> None:
    """Internal hip flexion moment peak in late stance (30-65 % of the cycle) 0.2-0.8 N m/kg
    (Winter 2009, appendix A: 0.40 N m/kg at opposite heel strike)."""
    flexion = -_sagittal(walk)["hip_moment"]
    peak = float(flexion[(walk.percent >= 30) & (walk.percent <= 65)].max())
    assert 0.2 <= peak <= 0.8


def test_loading_response_knee_flexion_peak(walk) -> None:
    """Stance knee flexion peak in loading response 12-25 deg (Winter 2009, appendix A: 21.7 deg at
    14 % of the cycle). Measured 20.4 deg."""
    knee = _sagittal(walk)["knee"]
    assert 12.0 <= float(knee[walk.percent <= 30].max()) <= 25.0


# --------------------------------------------------------------------------- frontal plane

def test_hip_abductor_moment_two_stance_peaks(walk) -> None:
    """Internal hip abduction moment with two stance peaks of 0.6-1.1 N m/kg and a lower value
    between them (Winter 2009; Kadaba et al. 1990, J Orthop Res 8:383). Measured 0.81 and 1.08."""
    ab = -np.asarray(walk.generalized_force("hip_adduction_r")) / walk.model.mass
    first, second, dip = _two_stance_peaks(ab, walk.percent)
    assert 0.6 <= first <= 1.1 and 0.6 <= second <= 1.1
    assert dip < min(first, second)


@pytest.mark.parametrize("name, column", [("pelvis_list", "pelvis_list"), ("hip_adduction_r", "hip_adduction")])
def test_pelvic_obliquity_and_hip_adduction_within_two_sd(walk, name, column) -> None:
    """Pelvic obliquity and hip adduction within the measured adults' mean ± 2 SD over subjects
    (Schreiber & Moissenet 2019, both speeds) at every percent of the cycle. The walk is built from
    these means, so this checks what the construction adds: the left/right symmetrisation, the
    Fourier smoothing, the speed interpolation and the hip abduction that sets the step width
    (measured largest departure: 0.83 SD for obliquity, 0.25 SD for adduction; keypoint cycle 2.7
    and 2.8 SD)."""
    mc = mean_cycle(None)
    ours = np.interp(np.arange(101), walk.percent, np.degrees(walk.q[:, walk.model.coordinate_index(name)]))
    z = np.abs(ours - mc.mean[column].to_numpy()) / mc.sd[column].to_numpy()
    assert z.max() <= 2.0


# --------------------------------------------------------------------------- ground reaction

def test_vertical_grf_two_peaks_and_valley(walk) -> None:
    """Vertical ground reaction of one foot: two peaks of 1.05-1.25 BW and a mid-stance valley of
    0.65-0.85 BW (Winter 2009; Perry & Burnfield 2010). The centre of mass follows the measured
    adults' mean ground reactions (an input); this checks that the Newton-Euler reactions of the
    model, with its own segment motion, carry them through to the foot. Measured 1.14, 1.17, 0.70."""
    fy = walk.parameters["grf_n"]["r"][:, 1] / walk.body_weight_n
    first, second, valley = _two_stance_peaks(fy, walk.percent)
    assert 1.05 <= first <= 1.25 and 1.05 <= second <= 1.25
    assert 0.65 <= valley <= 0.85


def test_stance_by_a_20_n_threshold(walk) -> None:
    """Stance 58-64 % of the cycle by a 20 N force-plate threshold (Perry & Burnfield 2010: about
    60 %; the measured adults 61.1 % at preferred and 59.3 % at fast speed). Crossings interpolated
    between frames. Measured 61.4 %."""
    fy = walk.parameters["grf_n"]["r"][:, 1]
    p = walk.percent
    above = fy > 20.0
    down = int(np.flatnonzero(above[:-1] & ~above[1:])[0])
    up = int(np.flatnonzero(~above[:-1] & above[1:])[-1])
    t_off = p[down] + (fy[down] - 20.0) / (fy[down] - fy[down + 1]) * (p[down + 1] - p[down])
    t_on = p[up] + (20.0 - fy[up]) / (fy[up + 1] - fy[up]) * (p[up + 1] - p[up])
    stance = np.mod(t_off - t_on, 100.0)
    assert 58.0 <= stance <= 64.0


# --------------------------------------------------------------------------- hip contact force

@pytest.mark.xfail(strict=True, reason=(
    "measured 3.83 BW at 14 % and 6.11 BW at 46 % (1.3 m/s), 3.42 and 5.50 BW at 1.1 m/s: double-"
    "peaked, but the late-stance peak is 60 % above the first (keypoint cycle 4.7 BW at 1.3 m/s); "
    "it follows the late-stance hip flexion moment (1.05 N m/kg, see that test), which static "
    "optimisation meets with iliopsoas (1.6 kN) and rectus femoris (0.9 kN) at 46 %"))
@pytest.mark.parametrize("speed, limit", [(1.1, 3.0), (1.3, 3.5)])
def test_hip_contact_force_double_peaked_and_in_vivo(speed, limit) -> None:
    """Hip contact force double-peaked in stance, the late-stance peak at most 10 % above the
    loading-response peak, and its maximum at most 3.0 BW at 1.1 m/s and 3.5 BW at 1.3 m/s
    (Bergmann et al. 2016, PLoS ONE 11:e0155612: 2.47 ± 0.20 BW in level walking, 10 patients,
    loading-response peak the larger)."""
    r = hipsim.gait(GAIT2392, speed_m_s=speed, cycle="measured")
    hcf = r.hip_contact_force_bw["r"].to_numpy()
    first, second, dip = _two_stance_peaks(hcf, r.percent)
    assert dip < min(first, second)
    assert second <= 1.1 * first
    assert hcf.max() <= limit


# --------------------------------------------------------------------------- physics

def test_pelvis_residuals_vanish(walk) -> None:
    """Whole-body Newton-Euler: the ground wrench is solved from the six pelvis generalised forces,
    so with it applied the pelvis residuals are rounding only (1e-6 N or N m)."""
    assert np.abs(walk.generalized_forces[:, :6]).max() < 1e-6


def test_grf_sum_is_mass_times_com_acceleration() -> None:
    """Newton's second law, checked independently of the construction: the summed ground force
    equals mass × (g + COM acceleration), the COM from the model's segment positions,
    differentiated numerically (5 % of body weight for the finite differences)."""
    g = mw.measured_walk(SPEED, n_frames=2001, model=GAIT2392)
    dt = g.time[1] - g.time[0]
    acc = np.gradient(np.gradient(g.com_m, dt, axis=0), dt, axis=0)[5:-5]
    total = (g.grf_r.force_bw + g.grf_l.force_bw)[5:-5] * 9.80665 * g.body_mass_kg
    expected = g.total_mass_kg * (acc + np.array([0.0, 9.80665, 0.0]))
    assert np.abs(total - expected).max() < 0.05 * 9.80665 * g.body_mass_kg


def test_velocities_and_accelerations_are_derivatives() -> None:
    """The reported velocities and accelerations are the time derivatives of the coordinates
    (central differences on a fine grid, 1 % of each coordinate's derivative range)."""
    g = mw.measured_walk(SPEED, n_frames=4001, model=GAIT2392)
    dt = g.time[1] - g.time[0]
    for n in ("hip_flexion_r", "knee_angle_l", "pelvis_tx", "pelvis_ty", "pelvis_list", "lumbar_bending"):
        q, qd, qdd = g.coordinates[n], g.velocities[n], g.accelerations[n]
        num = np.gradient(q, dt)[2:-2]
        assert np.abs(num - qd[2:-2]).max() <= 0.01 * np.ptp(qd), n
        num2 = np.gradient(qd, dt)[2:-2]
        assert np.abs(num2 - qdd[2:-2]).max() <= 0.01 * np.ptp(qdd), n


def test_left_is_right_half_a_cycle_later() -> None:
    """Symmetric walking: each left-leg coordinate is the right one half a cycle later, and the
    pelvic obliquity changes sign over half a cycle (gait2392: left hip axes mirrored)."""
    g = mw.measured_walk(SPEED, n_frames=201, model=GAIT2392)
    for j in ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle"):
        r, left = g.coordinates[f"{j}_r"], g.coordinates[f"{j}_l"]
        np.testing.assert_allclose(left[100:], r[:101], atol=1e-9)
    lst = g.coordinates["pelvis_list"]
    np.testing.assert_allclose(lst[100:], -lst[:101], atol=1e-9)


def test_foot_slip_is_reported_and_bounded() -> None:
    """The stance feet roll on the floor only as far as the measured angles and forces agree on
    this model: the reported slip (largest horizontal path of a rolling contact point over a
    stance) is finite and below 15 cm, a tenth of a stride, at every speed the knob allows
    (measured 8.6-10.6 cm; integrating the measured accelerations over a slow cycle's longer time
    gave 33 cm at 0.5 m/s)."""
    for speed in (0.5, SPEED, 2.0):
        g = mw.measured_walk(speed, model=GAIT2392)
        assert 0.0 <= g.parameters["foot_slip_m"] < 0.15, speed


# --------------------------------------------------------------------------- knobs

def test_cadence_rises_with_speed_and_stride_with_subject_size() -> None:
    """Dynamic similarity (Alexander & Jayes 1983): faster walking at a higher cadence; a taller
    subject takes longer strides at the same speed."""
    slow, fast = mw.measured_walk(1.1, model=GAIT2392), mw.measured_walk(1.6, model=GAIT2392)
    assert fast.cadence_steps_min > slow.cadence_steps_min
    small = GAIT2392.scaled_to(hipsim.Subject(60.0, 1.60))
    assert mw.measured_walk(1.3, model=small).stride_length_m < mw.measured_walk(1.3, model=GAIT2392).stride_length_m


@pytest.mark.parametrize("width", [0.05, 0.10, 0.20])
def test_step_width_is_what_was_asked(width) -> None:
    """The heels (calcn origins) land ``step_width_m`` apart, within 5 mm (one linear correction)."""
    assert abs(mw.measured_walk(SPEED, step_width_m=width, model=GAIT2392).step_width_m - width) < 0.005


def test_pelvic_drop_trunk_lean_and_asymmetry_change_what_they_should() -> None:
    """pelvic_drop_scale 2 doubles the obliquity and adds it to the stance hip's adduction;
    trunk_lean_deg adds a constant lumbar bending; stance_asymmetry lengthens the right stance."""
    base = mw.measured_walk(SPEED, model=GAIT2392)
    drop = mw.measured_walk(SPEED, pelvic_drop_scale=2.0, model=GAIT2392)
    np.testing.assert_allclose(drop.coordinates["pelvis_list"], 2.0 * base.coordinates["pelvis_list"], atol=1e-9)
    assert drop.coordinates["hip_adduction_r"][:30].max() > base.coordinates["hip_adduction_r"][:30].max()
    lean = mw.measured_walk(SPEED, trunk_lean_deg=10.0, model=GAIT2392)
    np.testing.assert_allclose(lean.coordinates["lumbar_bending"] - base.coordinates["lumbar_bending"],
                               np.radians(10.0), atol=1e-3)
    asym = mw.measured_walk(SPEED, stance_asymmetry=0.06, model=GAIT2392)
    stance = {s: np.mean(asym.grf[s].force_bw[:, 1] > 0) for s in "rl"}
    assert stance["r"] - stance["l"] == pytest.approx(0.06, abs=0.025)


def test_carried_load_reaches_the_ground() -> None:
    """A carried load's weight reaches the feet: the cycle-mean vertical ground force rises by the
    load's weight (in body weights of the model)."""
    base = mw.measured_walk(SPEED, model=GAIT2392)
    bag = mw.measured_walk(SPEED, point_masses=[hipsim.PointMass("torso", (0.0, 0.3, 0.2), 10.0)], model=GAIT2392)
    mean = [float(np.mean((g.grf_r.force_bw + g.grf_l.force_bw)[:-1, 1])) for g in (base, bag)]
    assert mean[1] - mean[0] == pytest.approx(10.0 / base.body_mass_kg, rel=0.02)


def test_bad_input_raises_input_error() -> None:
    """Knobs are checked at the boundary with the same rulebook as the keypoint cycle."""
    with pytest.raises(InputError):
        mw.measured_walk(speed_m_s=3.0, model=GAIT2392)
    with pytest.raises(InputError):
        hipsim.gait(GAIT2392, cycle="treadmill")


# --------------------------------------------------------------------------- cache and speed

def test_cache_is_keyed_on_content_not_identity() -> None:
    """A weakened copy of the same body (another object, same bones and masses) reuses the cycle;
    a scaled model gets its own; the result equals a fresh build."""
    model = GAIT2392
    mw._CACHE.clear()
    a = mw.measured_walk(SPEED, model=model)
    weak = model.with_strength({"gluteus_medius_anterior_r": 0.5})
    b = mw.measured_walk(SPEED, model=weak)
    assert len(mw._CACHE) == 1
    np.testing.assert_array_equal(a.coordinate_matrix(), b.coordinate_matrix())
    mw.measured_walk(SPEED, model=model.scaled_to(hipsim.Subject(60.0, 1.6)))
    assert len(mw._CACHE) == 2
    b.coordinates["hip_flexion_r"][:] = 0.0  # a caller's edit does not reach the cache
    assert mw.measured_walk(SPEED, model=model).coordinates["hip_flexion_r"].any()


def test_new_subject_is_fast() -> None:
    """A cycle for a newly scaled model after warm-up; a loose 0.5 s bound so that a loaded test
    machine does not fail it (benchmarks/bench_gait.py measures it: new_subject_cycle_ms)."""
    model = GAIT2392
    mw.measured_walk(SPEED, model=model)
    new = model.scaled_to(hipsim.Subject(81.3, 1.77))
    t = time.perf_counter()
    mw.measured_walk(SPEED, model=new)
    assert time.perf_counter() - t < 0.5
