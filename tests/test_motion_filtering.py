"""Tests for hipsim.motion.filtering: OpenSim-style filtering, splines and gait-cycle helpers."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hipsim.errors import InputError
from hipsim.motion.filtering import (
    coordinate_kinematics,
    crop,
    detect_gait_events,
    detect_heel_strikes,
    fit_coordinate_splines,
    lowpass_iir_opensim,
    normalize_to_cycle,
    opensim_pad,
)
from hipsim.motion.storage import StorageTable, read_storage

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason="../shared/reference/opensim absent")


def _sine_amplitude(freq: float, fc: float, fs: float = 100.0) -> float:
    t = np.arange(0, 20.0, 1 / fs)
    y = lowpass_iir_opensim(np.sin(2 * np.pi * freq * t), 1 / fs, fc)
    mid = y[len(y) // 4: 3 * len(y) // 4]  # away from start-up transients
    return float(np.abs(mid).max())


def test_iir_gain_half_at_cutoff() -> None:
    """Butterworth: each pass is -3 dB (|H| = 1/sqrt 2) at the cut-off with pre-warping,
    so forward+backward gives 0.5 (Butterworth 1930; OpenSim Signal::LowpassIIR)."""
    assert _sine_amplitude(6.0, 6.0) == pytest.approx(0.5, abs=0.005)


def test_iir_passband_and_stopband() -> None:
    """3rd order twice: |H|^2 = 1/(1+(f/fc)^6) in warped frequency: ~1 at fc/6, <1 % at 3.3 fc."""
    assert _sine_amplitude(1.0, 6.0) == pytest.approx(1.0, abs=0.002)
    assert _sine_amplitude(20.0, 6.0) < 0.01


def test_iir_keeps_dc() -> None:
    """Unity DC gain: a constant passes unchanged."""
    y = lowpass_iir_opensim(np.full(50, 3.25), 0.01, 6.0)
    np.testing.assert_allclose(y, 3.25, rtol=1e-12)


def test_iir_coefficients_are_standard_butterworth() -> None:
    """OpenSim's hand-written coefficients equal scipy.signal.butter(3, fc, fs) (bilinear
    transform with pre-warping), an independent implementation."""
    from scipy.signal import butter

    from hipsim.motion.filtering import _iir_coefficients

    num, den = butter(3, 6.0, fs=100.0)
    a, b = _iir_coefficients(0.01, 6.0)
    np.testing.assert_allclose(a, num, rtol=1e-12)
    np.testing.assert_allclose(b, den, rtol=1e-12)


def test_iir_clamps_cutoff_above_nyquist() -> None:
    """A cut-off >= fs/2 is lowered to 0.49 fs with a warning, as in OpenSim."""
    with pytest.warns(UserWarning, match="0.49"):
        lowpass_iir_opensim(np.arange(10.0), 0.01, 60.0)


def test_pad_continues_straight_lines() -> None:
    """Reflect-and-negate padding (Signal::Pad) extends a straight line exactly."""
    x = 2.0 + 0.5 * np.arange(10.0)
    p = opensim_pad(x, 4)
    np.testing.assert_allclose(p, 2.0 + 0.5 * np.arange(-4.0, 14.0))


def test_spline_derivatives_of_a_sine() -> None:
    """Unfiltered natural quintic spline of sin(2 pi t) at 100 Hz: velocity 2 pi cos and
    acceleration -(2 pi)^2 sin in the interior (calculus), within 1e-4 relative."""
    t = np.arange(0, 2.0 + 1e-12, 0.01)
    table = StorageTable(time=t, column_names=("q",), data=np.sin(2 * np.pi * t)[:, None])
    s = fit_coordinate_splines(table, None, to_radians=False)
    ti = np.linspace(0.5, 1.5, 77)
    w = 2 * np.pi
    np.testing.assert_allclose(s.velocities(ti)[:, 0], w * np.cos(w * ti), atol=1e-4 * w)
    np.testing.assert_allclose(s.accelerations(ti)[:, 0], -w * w * np.sin(w * ti),
                               atol=1e-4 * w * w)


def test_filtered_kinematics_recover_slow_signal_from_noise() -> None:
    """A 1 Hz sine plus 25 Hz ripple filtered at 6 Hz: value and velocity of the sine come
    back within 1 % and 3 % of amplitude (filter theory, gain ~1 at fc/6)."""
    t = np.arange(0, 3.0 + 1e-12, 0.005)
    w = 2 * np.pi
    y = np.sin(w * t) + 0.05 * np.sin(2 * np.pi * 25 * t)
    table = StorageTable(time=t, column_names=("q",), data=y[:, None])
    kin = coordinate_kinematics(table, 6.0, times=np.linspace(0.5, 2.5, 50), to_radians=False)
    q, qd, _ = kin.column("q")
    np.testing.assert_allclose(q, np.sin(w * kin.time), atol=0.01)
    np.testing.assert_allclose(qd, w * np.cos(w * kin.time), atol=0.03 * w)


def test_degrees_are_converted_before_splines() -> None:
    """A table in degrees yields radians for angles and metres untouched for pelvis_tx."""
    t = np.linspace(0, 1, 11)
    table = StorageTable(time=t, column_names=("hip_flexion_r", "pelvis_tx"),
                         data=np.column_stack([np.full(11, 30.0), np.full(11, 0.5)]),
                         in_degrees=True)
    kin = coordinate_kinematics(table)
    np.testing.assert_allclose(kin.q[:, 0], math.radians(30.0))
    np.testing.assert_allclose(kin.q[:, 1], 0.5)


def test_spline_refuses_times_outside_data() -> None:
    """Evaluating beyond the data span (into the padding) is an InputError."""
    t = np.linspace(0, 1, 11)
    s = fit_coordinate_splines(StorageTable(time=t, column_names=("q",), data=t[:, None]), None,
                               to_radians=False)  # unfiltered: 10 Hz sampling is too coarse for 6 Hz
    with pytest.raises(InputError, match="data span 0-1 s"):
        s.values(np.array([1.2]))


def test_zero_cutoff_rejected() -> None:
    """cutoff_hz = 0 would zero the filter: refused (None/negative means no filtering)."""
    t = np.linspace(0, 1, 11)
    with pytest.raises(InputError, match="cutoff_hz"):
        fit_coordinate_splines(StorageTable(time=t, column_names=("q",), data=t[:, None]), 0.0)


def test_crop() -> None:
    """crop keeps rows with start <= t <= end and refuses a non-overlapping window."""
    t = np.linspace(0, 1, 11)
    table = StorageTable(time=t, column_names=("q",), data=t[:, None], source="x.mot")
    c = crop(table, 0.25, 0.55)
    np.testing.assert_allclose(c.time, [0.3, 0.4, 0.5])
    with pytest.raises(InputError, match="x.mot: crop interval"):
        crop(table, 2.0, 3.0)


def test_gait_events_on_synthetic_force() -> None:
    """Half-sine stance pulses of 800 N starting at 0.1 s and 1.2 s: the 20 N crossing is at
    start + asin(20/800)/pi * stance (trigonometry); a 10 ms spike in swing is ignored."""
    fs, stance = 1000.0, 0.65
    t = np.arange(0, 2.5, 1 / fs)
    f = np.zeros_like(t)
    for s0 in (0.1, 1.2):
        m = (t >= s0) & (t <= s0 + stance)
        f[m] = 800 * np.sin(np.pi * (t[m] - s0) / stance)
    f[(t > 0.95) & (t < 0.96)] = 50.0  # noise spike in swing
    ev = detect_gait_events(t, f, 20.0)
    offset = math.asin(20 / 800) / math.pi * stance
    np.testing.assert_allclose(ev.heel_strikes, [0.1 + offset, 1.2 + offset], atol=1e-4)
    np.testing.assert_allclose(ev.toe_offs, [0.1 + stance - offset, 1.2 + stance - offset],
                               atol=1e-4)


def test_normalize_to_cycle() -> None:
    """101 points 0..100 %; a straight line in time maps to a straight line in percent."""
    t = np.linspace(0, 2, 201)
    p, y = normalize_to_cycle(t, 3 * t, 0.5, 1.5)
    assert p.shape == (101,) and p[0] == 0 and p[-1] == 100
    np.testing.assert_allclose(y, 3 * (0.5 + p / 100), atol=1e-12)
    with pytest.raises(InputError, match="data span"):
        normalize_to_cycle(t, t, 1.5, 2.5)


@needs_ref
def test_reference_heel_strikes_alternate() -> None:
    """subject01_walk1_grf.mot: each detected heel strike has vertical GRF rising through
    20 N there (checked on the raw samples), and left strikes fall between right ones."""
    g = read_storage(REF / "subject01_walk1_grf.mot")
    fr, fl = g.column("ground_force_vy"), g.column("1_ground_force_vy")
    right = detect_heel_strikes(g.time, fr)
    left = detect_heel_strikes(g.time, fl)
    assert len(right) >= 2 and len(left) >= 1
    for hs in right:
        i = np.searchsorted(g.time, hs)
        assert fr[i - 1] <= 20.0 < fr[i]
    assert right[0] < left[0] < right[1]
    # Stride 1.0-1.4 s: the normative 105-115 steps/min (Perry & Burnfield 2010) is a 1.04-1.14 s stride; the upper
    # slack allows for this subject's slower walk (a sanity bound, not a norm).
    assert 1.0 < right[1] - right[0] < 1.4
