"""Coordinate filtering and differentiation as OpenSim's InverseDynamicsTool does it,
plus gait-cycle helpers (crop, heel strikes from vertical GRF, 0–100 % normalisation).

OpenSim 4 ``InverseDynamicsTool::run`` (opensim-core, OpenSim/Tools/InverseDynamicsTool.cpp),
when ``lowpass_cutoff_frequency_for_coordinates`` is not negative:

1. ``Storage::pad(size/2)`` — every column, time included, is extended at both ends by
   ``size/2`` samples reflected *and negated* about the end sample
   (``Signal::Pad``: ``s = 2*x[0] - x[k]``), which keeps value and slope continuous;
2. ``Storage::lowpassIIR(fc)`` — resamples to the smallest time step if the steps are
   not uniform (``Storage::resample(dtmin, 5)``), then ``Signal::LowpassIIR``: a
   3rd-order Butterworth filter (bilinear transform with frequency pre-warping,
   ``wa = tan(pi*fc*T)``) run forward and then backward (zero phase, effective 6th
   order); the first three samples of each pass are copied, not filtered; a cut-off
   at or above half the sampling rate is lowered to 0.49 fs;
3. degrees are converted to radians (rotational coordinates only);
4. ``GCVSplineSet(5, storage)`` — one degree-5 GCVSpline per column with zero error
   variance, i.e. the interpolating *natural* quintic spline (third and fourth
   derivatives zero at both ends) through the padded, filtered samples; values,
   velocities and accelerations are that spline and its first two derivatives.

hipsim reproduces step 4 with ``scipy.interpolate.make_interp_spline(k=5)`` and the
natural end conditions, and steps 1–3 from the equations above (own code).

Agreement with OpenSim 4.6 (measured by tests/test_motion_opensim_crosscheck.py on
subject01_walk1_ik.mot, all 23 coordinates, 351 times over 0.5–4.0 s, radians and
metres): with a 6 Hz cut-off, max |Δ| 2.7e-15 in values, 7.7e-14 /s in velocities and
8.1e-12 /s² in accelerations (peaks there 1.26, 7.0 and 99); without filtering
2.7e-15, 2.0e-13 and 3.2e-11 — i.e. rounding only. Reproducing OpenSim's resampling
step (below) matters: skipping it leaves errors of ~4e-6 relative. An artefact OpenSim
has too: the odd reflection makes the filtered second derivative ~0 at the first and
last sample of the trial.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.interpolate import BSpline, CubicSpline, make_interp_spline

from hipsim.errors import input_error
from hipsim.motion.storage import StorageTable, convert_to_radians

__all__ = [
    "opensim_pad",
    "lowpass_iir_opensim",
    "resample_uniform",
    "CoordinateSplines",
    "CoordinateKinematics",
    "fit_coordinate_splines",
    "coordinate_kinematics",
    "crop",
    "GaitEvents",
    "detect_gait_events",
    "detect_heel_strikes",
    "normalize_to_cycle",
]



def _natural_quintic(t: np.ndarray, y: np.ndarray) -> BSpline:
    """Interpolating quintic with 3rd and 4th derivatives zero at both ends (GCVSPL's
    natural spline for m = 3, error variance 0)."""
    zero = np.zeros(y.shape[1:])
    bc = ([(3, zero), (4, zero)], [(3, zero), (4, zero)])
    return make_interp_spline(t, y, k=5, bc_type=bc, axis=0)


# A step counts as uniform if it departs from the mean by less than this (OpenSim uses
# SimTK::Eps on avgDt - dtmin; printed times carry ~8 digits, so allow for rounding).
_UNIFORM_RTOL = 1e-6


def opensim_pad(values: np.ndarray, n_pad: int) -> np.ndarray:
    """Pad along axis 0 by ``n_pad`` samples reflected and negated about each end.

    ``Signal::Pad`` in OpenSim: before the signal ``2*x[0] - x[n_pad..1]``, after it
    ``2*x[-1] - x[-2..-n_pad-1]``. Applied to time it continues a uniform grid.
    """
    x = np.asarray(values, dtype=float)
    n = x.shape[0]
    if n_pad == 0:
        return x.copy()
    if n_pad < 0 or n_pad > n - 1:
        raise input_error("argument", "n_pad", n_pad, f"a pad of 0 to {n - 1} samples")
    pre = 2.0 * x[0] - x[n_pad:0:-1]
    post = 2.0 * x[-1] - x[n - 2:n - 2 - n_pad:-1] if n_pad < n - 1 else 2.0 * x[-1] - x[n - 2::-1]
    return np.concatenate([pre, x, post], axis=0)


def _iir_coefficients(dt: float, cutoff_hz: float) -> tuple[np.ndarray, np.ndarray]:
    wa = math.tan(2.0 * math.pi * cutoff_hz * dt / 2.0)  # pre-warped analogue cut-off
    wa2, wa3 = wa * wa, wa * wa * wa
    den = (wa + 1.0) * (wa2 + wa + 1.0)
    a = np.array([wa3, 3 * wa3, 3 * wa3, wa3]) / den
    b = np.array([1.0, (3 * wa3 + 2 * wa2 - 2 * wa - 3) / den,
                  (3 * wa3 - 2 * wa2 - 2 * wa + 3) / den, (wa - 1) * (wa2 - wa + 1) / den])
    return a, b


def lowpass_iir_opensim(values: np.ndarray, dt: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 3rd-order Butterworth low-pass along axis 0, as ``Signal::LowpassIIR``.

    Reproduces OpenSim's start-up: each pass copies its first three input samples.
    A cut-off at or above half the sampling rate is lowered to 0.49 fs with a warning.
    """
    x = np.asarray(values, dtype=float)
    if not (dt > 0 and math.isfinite(dt)):
        raise input_error("argument", "dt", dt, "a positive sample interval in seconds")
    if not (cutoff_hz > 0 and math.isfinite(cutoff_hz)):
        raise input_error("argument", "cutoff_hz", cutoff_hz, "a positive frequency in Hz")
    if x.shape[0] < 4:
        raise input_error("argument", "samples", x.shape[0], "at least 4 samples to filter")
    fs = 1.0 / dt
    if cutoff_hz >= 0.5 * fs:
        warnings.warn(f"cut-off {cutoff_hz} Hz is not below half the sampling rate "
                      f"({fs} Hz); using 0.49*fs as OpenSim does", stacklevel=2)
        cutoff_hz = 0.49 * fs
    a, b = _iir_coefficients(dt, cutoff_hz)

    def one_pass(sig: np.ndarray) -> np.ndarray:
        out = sig.copy()  # samples 0..2 stay as they are
        for i in range(3, sig.shape[0]):
            out[i] = (a[0] * sig[i] + a[1] * sig[i - 1] + a[2] * sig[i - 2] + a[3] * sig[i - 3]
                      - b[1] * out[i - 1] - b[2] * out[i - 2] - b[3] * out[i - 3])
        return out

    return one_pass(one_pass(x)[::-1])[::-1].copy()


def _is_uniform(time: np.ndarray) -> bool:
    # OpenSim's test, absolute machine epsilon included: Storage::lowpassIIR resamples
    # when (mean step - smallest step) > SimTK::Eps. Times printed with 8 digits almost
    # always fail it, so OpenSim (and hipsim) resample onto the smallest step.
    if time.size < 3:
        return True
    step = np.diff(time)
    return bool((time[-1] - time[0]) / (time.size - 1) - step.min() <= np.finfo(float).eps)


def resample_uniform(time: np.ndarray, values: np.ndarray,
                     dt: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample onto ``t0 + k*dt`` (``dt`` defaults to the smallest step) up to the last
    time, through natural quintic splines, as ``Storage::resample(dt, 5)``."""
    t = np.asarray(time, dtype=float)
    y = np.asarray(values, dtype=float)
    step = float(np.diff(t).min()) if dt is None else float(dt)
    if not step > 0:
        raise input_error("argument", "dt", step, "a positive sample interval in seconds")
    n = int(math.floor((t[-1] - t[0]) / step * (1 + 1e-12))) + 1
    tn = t[0] + step * np.arange(n)
    return tn, _natural_quintic(t, y)(tn)


@dataclass(frozen=True)
class CoordinateSplines:
    """Natural quintic splines through (possibly padded and filtered) coordinate data.

    ``valid_span`` is the time range of the original data; the spline itself spans the
    padded range ``spline_span``. Units are those of the data given (radians/metres
    when built by :func:`fit_coordinate_splines` with ``to_radians=True``).
    """

    names: tuple[str, ...]
    spline: BSpline
    valid_span: tuple[float, float]
    spline_span: tuple[float, float]
    cutoff_hz: float | None

    def _check(self, t: np.ndarray) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        lo, hi = self.valid_span
        tol = 1e-9 * max(1.0, abs(hi))
        if t.size and (t.min() < lo - tol or t.max() > hi + tol):
            raise input_error("argument", "time", f"{t.min():g}-{t.max():g} s",
                              f"times within the data span {lo:g}-{hi:g} s")
        return t

    def values(self, t: np.ndarray) -> np.ndarray:
        """Values at times ``t``, shape ``(len(t), n_coordinates)``."""
        return self.spline(self._check(t))

    def velocities(self, t: np.ndarray) -> np.ndarray:
        """First time derivatives at ``t``."""
        return self.spline(self._check(t), 1)

    def accelerations(self, t: np.ndarray) -> np.ndarray:
        """Second time derivatives at ``t``."""
        return self.spline(self._check(t), 2)


@dataclass(frozen=True)
class CoordinateKinematics:
    """Coordinate values, velocities and accelerations on a time vector (SI units)."""

    time: np.ndarray
    names: tuple[str, ...]
    q: np.ndarray
    qdot: np.ndarray
    qddot: np.ndarray

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(value, velocity, acceleration) arrays of one coordinate."""
        if name not in self.names:
            raise input_error("argument", "coordinate", name,
                              "one of " + ", ".join(self.names[:8]) + (", ..." if len(self.names) > 8 else ""))
        j = self.names.index(name)
        return self.q[:, j], self.qdot[:, j], self.qddot[:, j]


def fit_coordinate_splines(storage: StorageTable, cutoff_hz: float | None = None,
                           to_radians: bool = True,
                           translational: Sequence[str] | None = None) -> CoordinateSplines:
    """Build OpenSim-InverseDynamicsTool-style splines of a coordinates table.

    ``cutoff_hz`` None or negative: no filtering (OpenSim's default of -1). Otherwise
    pad by half the row count, low-pass (see module docstring), then fit natural quintic
    splines. With ``to_radians`` a table in degrees is converted (rotations only; see
    :func:`hipsim.motion.storage.convert_to_radians`).
    """
    src = storage.source or "argument"
    if storage.n_rows < 6:
        raise input_error(src, "rows", storage.n_rows, "at least 6 samples for a quintic spline")
    if cutoff_hz is not None and not math.isfinite(cutoff_hz):
        raise input_error("argument", "cutoff_hz", cutoff_hz, "a finite frequency in Hz or None")
    if cutoff_hz is not None and cutoff_hz == 0:
        raise input_error("argument", "cutoff_hz", cutoff_hz,
                          "a positive frequency in Hz, or None/negative for no filtering")
    table = convert_to_radians(storage, translational) if to_radians else storage
    t, y = table.time, table.data
    used: float | None = None
    if cutoff_hz is not None and cutoff_hz > 0:
        n_pad = t.size // 2
        t, y = opensim_pad(t, n_pad), opensim_pad(y, n_pad)
        if not _is_uniform(t):
            t, y = resample_uniform(t, y)
        dt = float(np.diff(t).min())
        y = lowpass_iir_opensim(y, dt, cutoff_hz)
        used = float(cutoff_hz)
    spline = _natural_quintic(t, y)
    return CoordinateSplines(names=table.column_names, spline=spline,
                             valid_span=(float(table.time[0]), float(table.time[-1])),
                             spline_span=(float(t[0]), float(t[-1])), cutoff_hz=used)


def coordinate_kinematics(storage: StorageTable, cutoff_hz: float | None = None,
                          times: np.ndarray | None = None, to_radians: bool = True,
                          translational: Sequence[str] | None = None) -> CoordinateKinematics:
    """Values, velocities and accelerations of every column, OpenSim-style, at ``times``
    (default: the table's own times)."""
    splines = fit_coordinate_splines(storage, cutoff_hz, to_radians, translational)
    tq = storage.time if times is None else np.asarray(times, dtype=float).ravel()
    return CoordinateKinematics(time=np.array(tq), names=splines.names,
                                q=splines.values(tq), qdot=splines.velocities(tq),
                                qddot=splines.accelerations(tq))


# --------------------------------------------------------------------------- gait cycle

def crop(storage: StorageTable, start: float, end: float) -> StorageTable:
    """Rows with ``start <= time <= end`` (as ``Storage::crop``)."""
    src = storage.source or "argument"
    if not (math.isfinite(start) and math.isfinite(end) and start < end):
        raise input_error("argument", "crop interval", f"{start}-{end} s",
                          "start must be finite and before end")
    keep = (storage.time >= start) & (storage.time <= end)
    if not keep.any():
        raise input_error(src, "crop interval", f"{start:g}-{end:g} s",
                          f"it must overlap the data span {storage.time[0]:g}-{storage.time[-1]:g} s")
    return storage.replace(time=storage.time[keep], data=storage.data[keep])


@dataclass(frozen=True)
class GaitEvents:
    """Times (s) at which vertical GRF rises above (heel strike) or falls below (toe-off)
    the threshold; crossing times are linearly interpolated between samples."""

    heel_strikes: np.ndarray
    toe_offs: np.ndarray
    threshold_n: float


def detect_gait_events(time: np.ndarray, vertical_force: np.ndarray,
                       threshold_n: float = 20.0, min_phase_s: float = 0.05) -> GaitEvents:
    """Heel strikes and toe-offs from one foot's vertical GRF (N).

    The default 20 N sits a little above force-plate noise yet well below body weight
    (a project choice, not a published constant). Contact and swing phases shorter
    than ``min_phase_s`` are treated as noise and merged away.
    """
    t = np.asarray(time, dtype=float).ravel()
    f = np.asarray(vertical_force, dtype=float).ravel()
    if t.size != f.size or t.size < 2:
        raise input_error("argument", "vertical_force", f"{f.size} samples",
                          f"one sample per time ({t.size}), at least 2")
    if not (np.isfinite(f).all() and np.isfinite(t).all()) or (np.diff(t) <= 0).any():
        raise input_error("argument", "time/vertical_force", "non-finite or unordered",
                          "finite forces at increasing times")
    if not (threshold_n > 0 and math.isfinite(threshold_n)):
        raise input_error("argument", "threshold_n", threshold_n, "a positive force in N")
    above = f > threshold_n
    # Run-length segments of contact / no contact; merge short ones into neighbours.
    change = np.flatnonzero(np.diff(above.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [t.size]])
    states = [bool(above[s]) for s in bounds[:-1]]
    segs = [[int(s), int(e), st] for s, e, st in zip(bounds[:-1], bounds[1:], states, strict=True)]
    merged: list[list] = []
    for seg in segs:
        dur = t[min(seg[1], t.size - 1)] - t[seg[0]]
        interior = 0 < seg[0] and seg[1] < t.size
        if merged and interior and dur < min_phase_s:
            merged[-1][1] = seg[1]  # absorb a blip into the previous phase
            continue
        if merged and merged[-1][2] == seg[2]:
            merged[-1][1] = seg[1]
        else:
            merged.append(seg)

    def crossing(i: int) -> float:
        # Between samples i-1 and i the force crosses the threshold.
        f0, f1, t0, t1 = f[i - 1], f[i], t[i - 1], t[i]
        return float(t0 + (threshold_n - f0) * (t1 - t0) / (f1 - f0)) if f1 != f0 else float(t1)

    hs = [crossing(s) for s, _, st in merged[1:] if st and s > 0]
    to = [crossing(s) for s, _, st in merged[1:] if not st and s > 0]
    return GaitEvents(heel_strikes=np.array(hs), toe_offs=np.array(to), threshold_n=threshold_n)


def detect_heel_strikes(time: np.ndarray, vertical_force: np.ndarray,
                        threshold_n: float = 20.0) -> np.ndarray:
    """Heel-strike times (s): upward crossings of ``threshold_n`` by vertical GRF."""
    return detect_gait_events(time, vertical_force, threshold_n).heel_strikes


def normalize_to_cycle(time: np.ndarray, values: np.ndarray, start: float, end: float,
                       n_points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Resample ``values`` (axis 0 along ``time``) over [start, end] onto 0–100 % of the
    cycle at ``n_points`` evenly spaced points, through a natural cubic spline.

    Returns ``(percent, resampled)``.
    """
    t = np.asarray(time, dtype=float).ravel()
    y = np.asarray(values, dtype=float)
    if y.shape[0] != t.size or t.size < 2:
        raise input_error("argument", "values", f"{y.shape[0]} rows",
                          f"one row per time ({t.size}), at least 2")
    if not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise input_error("argument", "n_points", n_points, "a whole number of at least 2")
    if not (start < end):
        raise input_error("argument", "cycle", f"{start}-{end} s", "start must be before end")
    tol = 1e-9 * max(1.0, abs(t[-1]))
    if start < t[0] - tol or end > t[-1] + tol:
        raise input_error("argument", "cycle", f"{start:g}-{end:g} s",
                          f"a cycle within the data span {t[0]:g}-{t[-1]:g} s")
    percent = np.linspace(0.0, 100.0, int(n_points))
    tq = np.clip(start + (end - start) * percent / 100.0, t[0], t[-1])
    if t.size < 4:
        out = np.interp(tq, t, y) if y.ndim == 1 else np.column_stack(
            [np.interp(tq, t, y[:, j]) for j in range(y.shape[1])])
        return percent, out
    return percent, CubicSpline(t, y, axis=0, bc_type="natural")(tq)
