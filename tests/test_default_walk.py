"""The default walk (hipsim.gait with its defaults: the keypoint cycle on the default model,
Lai-Uhlrich 2023, 1.3 m/s) against published figures. The cycle's construction is specified on
gait2392 in tests/test_gait_normative.py and tests/test_motion_normative_gait.py; here the same
published limits are checked on the model users get. Where a limit is missed the test is a strict
xfail naming the measured value; nothing was tuned toward a limit."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

import hipsim


@pytest.fixture(scope="module")
def walk():
    return hipsim.gait(n_frames=101)


def _stance_peaks(y: np.ndarray, percent: np.ndarray) -> tuple[float, float, float]:
    """Largest value in 0-30 % and in 30-60 % of the cycle, and the smallest between them."""
    first, second = (percent >= 0) & (percent <= 30), (percent > 30) & (percent <= 60)
    i1 = np.flatnonzero(first)[np.argmax(y[first])]
    i2 = np.flatnonzero(second)[np.argmax(y[second])]
    return float(y[i1]), float(y[i2]), float(y[i1:i2 + 1].min())


def test_the_default_walk_is_the_keypoint_cycle_on_the_default_model(walk) -> None:
    assert walk.model is hipsim.load_model() and walk.parameters["cycle"] == "keypoints"
    assert walk.model.name == hipsim.load_model("lai_uhlrich2023").name


def test_abductor_moment_two_stance_peaks(walk) -> None:
    """Internal hip abductor moment: two stance peaks of 0.6-1.2 N m/kg with a lower value between
    (Winter 2009, Biomechanics and Motor Control of Human Movement, 4th ed.; Kadaba et al. 1990,
    J Orthop Res 8:383). Measured 0.73 and 0.66 N m/kg, 0.45 between."""
    ab = -walk.generalized_force("hip_adduction_r") / walk.model.mass
    first, second, dip = _stance_peaks(ab, walk.percent)
    assert 0.6 <= first <= 1.2 and 0.6 <= second <= 1.2
    assert dip < min(first, second) - 0.1


def test_vertical_grf_two_peaks_and_valley(walk) -> None:
    """Vertical ground reaction: two peaks of 1.05-1.25 BW and a mid-stance valley of 0.6-0.85 BW
    (Perry & Burnfield 2010, Gait Analysis, 2nd ed.; Winter 2009). Measured 1.22, 1.20 and 0.755."""
    fy = walk.parameters["grf_n"]["r"][:, 1] / walk.body_weight_n
    first, second, valley = _stance_peaks(fy, walk.percent)
    assert 1.05 <= first <= 1.25 and 1.05 <= second <= 1.25
    assert 0.6 <= valley <= 0.85


def test_within_the_muscles_and_balanced(walk) -> None:
    """The whole-body dynamics leave no pelvis residual, and the muscles carry every joint moment
    (the reserves stay under the feasibility threshold): the full-body model's locked foot joints
    and held arms do not break the cycle."""
    assert np.abs(walk.generalized_forces[:, :6]).max() < 1e-8
    assert not walk.feasibility.beyond_muscles


@pytest.mark.xfail(strict=True, reason=(
    "measured peaks 3.50 BW at 8 % and 4.75 BW at 48 %, and a third peak at 32 %: lower than gait2392's "
    "4.0 in loading response (longer abductor moment arms), higher than its 4.7 late in stance, where the "
    "trailing leg's hip flexion moment (1.05 N m/kg against Winter's 0.2-0.8) calls up iliopsoas in every "
    "model (docs/explanation/shortfalls.md)"))
def test_hip_contact_force_double_peaked_in_vivo_range(walk) -> None:
    """Hip contact force double-peaked in stance, its maximum 2.0-3.5 BW (in vivo 2.38 BW at about
    4 km/h: Bergmann et al. 2001, J Biomech 34:859)."""
    stance = walk.percent <= 62
    hcf = walk.hip_contact_force_bw["r"].to_numpy()
    peaks, _ = find_peaks(hcf[stance], prominence=0.1)
    assert len(peaks) == 2
    assert 2.0 <= hcf.max() <= 3.5
