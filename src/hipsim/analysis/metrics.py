"""Fibre-load metrics per muscle part and side, from a task result.

Every metric is a mechanical quantity computed from the solved task, over one gait cycle
or one held posture, and scaled to a day by an explicit exposure (cycles or holds per day).
Thresholds below are conventions, stated with their sources, not validated cut-offs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hipsim.anatomy import ASSOCIATED, FIBRE_GROUPS
from hipsim.errors import input_error
from hipsim.model import Model
from hipsim.tasks.gait import gait
from hipsim.tasks.result import TaskResult

# The fibre groups hipsim follows and the muscles the trigger-point literature pairs with them
# (Travell & Simons 1992, vol. 2, ch. 8, 9, 12) are named once, in hipsim.anatomy.

#: Activation below which a muscle counts as at rest: 0.5 % of maximum, the "EMG gap" level of
#: Veiersted, Westgaard & Andersen (1993, Scand J Work Environ Health 19:284). Sustained
#: low-level activity without such gaps is what the Cinderella hypothesis (Hägg 1991) links
#: to overload of low-threshold motor units. hipsim applies the level to model activation,
#: not to EMG, and without the gaps' minimum duration: a convention.
REST_ACTIVATION = 0.005
#: Normalised fibre length bounds for "shortened" and "stretched": +-10 % of optimal fibre
#: length (a convention; the Thelen 2003 active force-length curve with gamma = 0.5 is within
#: 2 % of its peak there).
SHORTENED = 0.9
STRETCHED = 1.1

METRIC_COLUMNS = ("peak_activation", "mean_activation", "peak_force_n", "mean_force_n", "peak_stress_kpa",
                  "impulse_ns", "impulse_per_day_ns", "longest_sustained_s", "sustained_bout_s",
                  "mean_norm_fiber_length", "time_shortened_frac", "time_stretched_frac",
                  "time_held_shortened_frac", "time_held_stretched_frac", "lengthening_work_j",
                  "lengthening_work_j_per_day",
                  "compression_kpa_s")

#: Columns :func:`fibre_metrics` adds beside the metrics, describing the muscle and the task
#: rather than measuring a load: the scales of the negligible-change floor
#: (:func:`change_floor`) and what the trigger-point read-out needs to name a factor that fits
#: the task (whether it is a held posture, and the fibre's everyday peak force).
CONTEXT_COLUMNS = ("held", "max_isometric_force_n", "pcsa_m2", "optimal_fiber_length_m", "repetition_s",
                   "repetitions_per_day", "bout_s", "everyday_peak_force_n")

#: A change smaller than 2 % of a quantity's full scale is "negligible": reported as such, never
#: as a percentage. For a force the full scale is the muscle's maximum isometric force F0, so a
#: 4 N change in a 573 N muscle is negligible, not -100 %. A convention of hipsim's (not a
#: validated threshold), chosen well above the solver's round-off and below any change a
#: reader would act on. Every other metric uses the same 2 % of its own full scale, stated once
#: in :func:`change_floor`.
NEGLIGIBLE_FRACTION = 0.02


#: Capillary blood pressure at the arteriolar end in human skin, 32 mmHg (Landis 1930, Heart
#: 15:209): the scale of an external pressure on soft tissue, for :func:`change_floor`.
CAPILLARY_PRESSURE_KPA = 32 * 0.1333224


def _full_scale(ctx: Mapping[str, np.ndarray], metric: str) -> np.ndarray:
    """Full scale of ``metric`` per row, from the context columns (see :func:`change_floor`)."""
    f0 = ctx["max_isometric_force_n"]
    sigma_kpa = f0 / ctx["pcsa_m2"] / 1000.0  # maximum isometric stress
    t, n, bout = ctx["repetition_s"], ctx["repetitions_per_day"], ctx["bout_s"]
    one = np.ones_like(f0)
    scales = {
        "peak_activation": one, "mean_activation": one,
        "peak_force_n": f0, "mean_force_n": f0, "peak_stress_kpa": sigma_kpa,
        "impulse_ns": f0 * t, "impulse_per_day_ns": f0 * t * n,
        "longest_sustained_s": bout, "sustained_bout_s": bout,
        "mean_norm_fiber_length": one, "time_shortened_frac": one, "time_stretched_frac": one,
        "time_held_shortened_frac": one, "time_held_stretched_frac": one,
        "lengthening_work_j": f0 * ctx["optimal_fiber_length_m"],
        "lengthening_work_j_per_day": f0 * ctx["optimal_fiber_length_m"] * n,
        "compression_kpa_s": CAPILLARY_PRESSURE_KPA * t * n,
    }
    return scales[metric]


def change_floor(table: pd.DataFrame, metric: str) -> np.ndarray:
    """Per row, the smallest change of ``metric`` that is not negligible:
    :data:`NEGLIGIBLE_FRACTION` (2 %) of the metric's full scale.

    The full scale is built from the muscle's maximum isometric force F0 wherever a force
    enters, so every floor is "2 % of F0" carried through the metric's definition. An
    external pressure is not the muscle's force: its scale is the pressure at which it starts
    to close the skin's capillaries.

    =============================================  ======================================================
    metric                                         full scale
    =============================================  ======================================================
    forces                                         F0
    activations                                    1 (full activation)
    ``peak_stress_kpa``                            F0 / PCSA (maximum isometric stress)
    ``impulse_ns``, ``impulse_per_day_ns``         F0 x one repetition's duration (x per day)
    ``longest_sustained_s``, ``sustained_bout_s``  the longest uninterrupted bout
    ``mean_norm_fiber_length``                     optimal fibre length (1 in normalised units)
    time fractions                                 the whole task (1)
    lengthening work (per day)                     F0 x optimal fibre length (x per day)
    ``compression_kpa_s``                          :data:`CAPILLARY_PRESSURE_KPA` x exposure time per day
    =============================================  ======================================================

    ``table`` holds the :data:`CONTEXT_COLUMNS` of :func:`fibre_metrics`; in a
    :func:`compare` table the larger of the scenario's and the baseline's value is used, so
    the floor is the same whichever run is called the baseline.
    """
    if metric not in METRIC_COLUMNS:
        raise input_error("argument", "metric", metric, "one of " + ", ".join(METRIC_COLUMNS))
    ctx: dict[str, np.ndarray] = {}
    for c in CONTEXT_COLUMNS[1:-1]:
        if c not in table.columns:
            raise input_error("argument", "metrics column", c,
                              "present (the context columns of fibre_metrics: " + ", ".join(CONTEXT_COLUMNS) + ")")
        v = table[c].to_numpy(dtype=float)
        if c + "_baseline" in table.columns:
            v = np.maximum(v, table[c + "_baseline"].to_numpy(dtype=float))
        ctx[c] = v
    return NEGLIGIBLE_FRACTION * _full_scale(ctx, metric)


def pct_change(scenario: ArrayLike, baseline: ArrayLike, floor: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """% change from ``baseline`` to ``scenario``, and where it is negligible.

    The one % change of hipsim: the compare table, ``hipsim compare``, summary.json, the
    plots and the body chart all use it. With ``d = scenario - baseline``:

    * ``|d| < floor`` (or ``d == 0``): negligible; the % change is reported as 0 and the
      mask is True (a change of a few newtons is never turned into a percentage);
    * otherwise, a baseline below the floor (next to nothing): +inf, "new";
    * otherwise ``100 d / |baseline|``.

    ``floor`` is usually :func:`change_floor`. Arrays broadcast; the result holds no NaN.

    Raises:
        InputError: a value that is not finite, or a negative floor.
    """
    s, b, fl = np.broadcast_arrays(np.asarray(scenario, dtype=float), np.asarray(baseline, dtype=float),
                                   np.asarray(floor, dtype=float))
    for name, v in (("scenario", s), ("baseline", b), ("floor", fl)):
        bad = ~np.isfinite(v) | ((v < 0) if name == "floor" else False)
        if np.any(bad):
            raise input_error("argument", name, v[bad].flat[0],
                              "finite numbers" + (" >= 0" if name == "floor" else ""))
    d = s - b
    negligible = (np.abs(d) < fl) | (d == 0.0)
    new = ~negligible & ((np.abs(b) < fl) | (b == 0.0))
    ratio = np.divide(100.0 * d, np.abs(b), out=np.zeros_like(d), where=~(negligible | new))
    pct = np.where(negligible, 0.0, np.where(new, np.copysign(np.inf, d), ratio))
    return pct, negligible


def format_pct_change(pct: float, negligible: bool) -> str:
    """The text of one % change: ``+12%``, ``new`` (from a negligible baseline) or ``negl.``
    (below the :data:`NEGLIGIBLE_FRACTION` floor)."""
    if negligible:
        return "negl."
    if math.isinf(pct):
        return "new"
    return f"{pct:+.0f}%"


@dataclass(frozen=True)
class Exposure:
    """How much of the task a day holds.

    ``repetitions_per_day``: gait cycles (strides) per day, or holds per day for a posture.
    ``duration_s``: length of one repetition for a static posture (hold time); for a cycle the
    task's own time span is used. ``bout_s``: the longest uninterrupted bout (continuous
    walking, or one hold), the ceiling of sustained activity.
    """

    repetitions_per_day: float
    duration_s: float
    bout_s: float


@lru_cache(maxsize=8)
def everyday_peak_forces(model: Model) -> Mapping[str, float]:
    """Each muscle's peak force (N) in hipsim's built-in normal walk (:func:`hipsim.gait` with
    its defaults: level walking at 1.3 m/s) on ``model``, by full muscle name.

    This is the fibre's everyday range: walking is the commonest loading of the hip
    abductors in daily life, and the hip carries about as much in it as in the other frequent
    activities (stairs, standing on one leg; Bergmann et al. 2001, J Biomech 34:859). Solved
    once per model and kept.
    """
    r = gait(model)
    return MappingProxyType({n: float(r.muscle_forces[:, i].max()) for i, n in enumerate(model.muscle_names)})


def fibre_metrics(result: TaskResult, exposure: Exposure, muscles: Sequence[str] = FIBRE_GROUPS + ASSOCIATED,
                  compression_kpa: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Metrics per muscle part (``muscle``, without side) and ``side``; columns :data:`METRIC_COLUMNS`.

    Forces are along the tendon (N); stress is fibre force over PCSA (kPa); impulse is the
    force-time integral of one repetition and of a day; lengthening work is the positive
    work of fibre lengthening (eccentric) per repetition and per day; ``compression_kpa_s``
    is an external pressure on the muscle (``compression_kpa`` by full muscle name) times
    the time it acts in a day (keys are full muscle names such as ``gluteus_minimus_posterior_r``;
    others are not read). Raises FloatingPointError if any metric is not finite.

    ``longest_sustained_s`` is the longest run of activation above :data:`REST_ACTIVATION`:
    ``Exposure.bout_s`` (the uninterrupted hold, or walking bout) for an active fibre in a static
    posture or one that never rests in the cycle, else its longest burst within one stride.
    ``sustained_bout_s`` keeps only the first two: work without a single rest over the whole hold
    or bout; a fibre that rests every stride gets 0.

    Beside the metrics, the :data:`CONTEXT_COLUMNS` say what the task and the muscle were:
    ``held`` (a static posture), the muscle's F0, PCSA and optimal fibre length, the exposure
    (``repetition_s``, ``repetitions_per_day``, ``bout_s``) and ``everyday_peak_force_n``
    (:func:`everyday_peak_forces`).

    ``time_shortened_frac`` and ``time_stretched_frac`` are the shares of the task with the
    fibres below :data:`SHORTENED` or above :data:`STRETCHED` optimal length. The
    ``time_held_*`` pair counts only time *held* there: all of it in a static posture, none in
    a cycle, where the fibres change length every step. Walking through a shortened length is
    not the "prolonged immobility in one position" that the trigger-point literature names.
    """
    m = result.model
    static = result.n_frames == 1
    span = float(result.time[-1] - result.time[0]) if not static else exposure.duration_s
    lengths = m.muscle_lengths(result.q)
    vel = m.lengthening_velocities(result.q, result.qdot)
    state = m.rigid_tendon_state(lengths, vel)
    norm_len = state.fiber_length / m.optimal_fiber_lengths
    comp = dict(compression_kpa or {})
    everyday = everyday_peak_forces(m)
    names = [f"{base}_{side}" for base in muscles for side in ("r", "l")]
    idx = np.array([m.muscle_index(n) for n in names], dtype=np.int64)
    met = fibre_metric_arrays(result.activations[:, idx].T, result.muscle_forces[:, idx].T,
                              result.fiber_forces[:, idx].T, norm_len[:, idx].T, state.fiber_velocity[:, idx].T,
                              result.time, m.pcsa[idx], exposure.repetitions_per_day, span, exposure.bout_s,
                              np.array([float(comp.get(n, 0.0)) for n in names]), static)
    cols: dict[str, object] = {"muscle": [b for b in muscles for _ in ("r", "l")], "side": ["r", "l"] * len(muscles)}
    cols.update({k: met[k] for k in METRIC_COLUMNS})
    cols.update({"held": static, "max_isometric_force_n": np.asarray(m.max_isometric_forces, dtype=float)[idx],
                 "pcsa_m2": np.asarray(m.pcsa, dtype=float)[idx],
                 "optimal_fiber_length_m": np.asarray(m.optimal_fiber_lengths, dtype=float)[idx],
                 "repetition_s": span, "repetitions_per_day": float(exposure.repetitions_per_day),
                 "bout_s": float(exposure.bout_s), "everyday_peak_force_n": [everyday[n] for n in names]})
    df = pd.DataFrame(cols)
    bad = ~np.isfinite(df[list(METRIC_COLUMNS)].to_numpy())
    if bad.any():  # never hand on a NaN silently
        r, c = np.argwhere(bad)[0]
        raise FloatingPointError(f"metric {METRIC_COLUMNS[c]} of {df.muscle[r]}_{df.side[r]} is not finite")
    return df


def _longest_runs(above: np.ndarray) -> np.ndarray:
    """Per row of ``above`` (..., n) bool, the longest run of True, wrapping around (a cycle)."""
    n = above.shape[-1]
    rows = above.reshape(-1, n)
    # Start each row at a sample below the level so that runs do not wrap.
    k = np.argmin(rows, axis=1)
    rolled = np.take_along_axis(rows, (k[:, None] + np.arange(n)) % n, axis=1)
    best = np.zeros(rows.shape[0], dtype=np.int64)
    run = np.zeros(rows.shape[0], dtype=np.int64)
    for j in range(n):
        run = np.where(rolled[:, j], run + 1, 0)
        np.maximum(best, run, out=best)
    best[rows.all(axis=1)] = n
    return best.reshape(above.shape[:-1])


def fibre_metric_arrays(activation: np.ndarray, force: np.ndarray, fiber_force: np.ndarray, norm_length: np.ndarray,
                        fiber_velocity: np.ndarray, time: np.ndarray, pcsa_m2: ArrayLike,
                        repetitions_per_day: ArrayLike, repetition_s: ArrayLike, bout_s: ArrayLike,
                        compression_kpa: ArrayLike, held: bool) -> dict[str, np.ndarray]:
    """The :data:`METRIC_COLUMNS` of :func:`fibre_metrics` as arrays, for any number of muscles and
    runs at once: the time series are (..., n_frames) over ``time`` (s); ``pcsa_m2`` (m^2), the
    exposure (repetitions per day, one repetition's duration and the longest bout, s) and the
    external pressure (kPa) broadcast to the leading shape (...). ``held``: a static posture (one
    frame held for ``repetition_s``). Definitions as in :func:`fibre_metrics`; an activation that is
    not finite gives metrics that are not finite (the caller decides what that means)."""
    a, f, ff, nl = activation, force, fiber_force, norm_length
    lead = a.shape[:-1]
    span = np.broadcast_to(np.asarray(repetition_s, dtype=float), lead)
    per_day = np.broadcast_to(np.asarray(repetitions_per_day, dtype=float), lead)
    bout = np.broadcast_to(np.asarray(bout_s, dtype=float), lead)
    pcsa = np.broadcast_to(np.asarray(pcsa_m2, dtype=float), lead)
    if held:
        a0, f0, n0 = a[..., 0], f[..., 0], nl[..., 0]
        impulse = f0 * span
        work = np.zeros(lead)
        unbroken = a0 > REST_ACTIVATION  # active for the whole hold
        sustained = np.where(unbroken, bout, 0.0)
        peak_a, mean_a, peak_f, mean_f, mean_nl = a0, a0, f0, f0, n0
        short, stretch = (n0 < SHORTENED).astype(float), (n0 > STRETCHED).astype(float)
    else:
        t = np.asarray(time, dtype=float)
        impulse = np.trapezoid(f, t, axis=-1)
        work = np.trapezoid(np.maximum(ff * fiber_velocity, 0.0), t, axis=-1)
        n = a.shape[-1]
        dt = span / max(n - 1, 1)
        run = _longest_runs(a > REST_ACTIVATION)
        unbroken = run == n  # never at rest in the cycle: the whole bout
        sustained = np.where(unbroken, bout, run * dt)
        peak_a, mean_a = a.max(axis=-1), np.mean(a, axis=-1)
        peak_f, mean_f, mean_nl = f.max(axis=-1), np.mean(f, axis=-1), np.mean(nl, axis=-1)
        short, stretch = np.mean(nl < SHORTENED, axis=-1), np.mean(nl > STRETCHED, axis=-1)
    zero = np.zeros(lead)
    return {
        "peak_activation": peak_a, "mean_activation": mean_a, "peak_force_n": peak_f, "mean_force_n": mean_f,
        "peak_stress_kpa": ff.max(axis=-1) / pcsa / 1000.0,
        "impulse_ns": impulse, "impulse_per_day_ns": impulse * per_day,
        "longest_sustained_s": sustained, "sustained_bout_s": np.where(unbroken, bout, 0.0),
        "mean_norm_fiber_length": mean_nl,
        "time_shortened_frac": short, "time_stretched_frac": stretch,
        "time_held_shortened_frac": short if held else zero, "time_held_stretched_frac": stretch if held else zero,
        "lengthening_work_j": work, "lengthening_work_j_per_day": work * per_day,
        "compression_kpa_s": np.broadcast_to(np.asarray(compression_kpa, dtype=float), lead) * span * per_day,
    }



#: Activation at which static optimisation has a muscle at its upper bound (1): its force cannot
#: rise further, so a peak-force change there says nothing about the load asked of it.
SATURATED_ACTIVATION = 0.99


#: Normalised fibre lengths outside which sarcomeres develop (almost) no active force: thin and
#: thick filaments stop overlapping at 3.65 um and active tension reaches zero near 1.27 um, against
#: a plateau of 2.0-2.25 um (Gordon, Huxley & Julian 1966, J Physiol 184:170), i.e. about 0.58 and
#: 1.66 times the plateau's middle (2.2 um).
PHYSIOLOGICAL_FIBRE_LENGTH = (0.58, 1.66)


def outside_physiological_length(metrics: pd.DataFrame, muscles: Sequence[str] = FIBRE_GROUPS
                                 ) -> list[tuple[str, str, float]]:
    """(muscle, side, normalised length) of the given groups whose mean fibre length in the scenario
    or the baseline of a :func:`compare` table lies outside :data:`PHYSIOLOGICAL_FIBRE_LENGTH`
    (the one furthest out of the two is returned)."""
    lo, hi = PHYSIOLOGICAL_FIBRE_LENGTH
    out = []
    for _, r in metrics[metrics.muscle.isin(muscles)].iterrows():
        vals = (float(r.mean_norm_fiber_length), float(r.mean_norm_fiber_length_baseline))
        worst = max(vals, key=lambda v: max(lo - v, v - hi))
        if not lo <= worst <= hi:
            out.append((str(r.muscle), str(r.side), worst))
    return out


def saturated_in_both(metrics: pd.DataFrame, muscles: Sequence[str] = FIBRE_GROUPS) -> list[tuple[str, str]]:
    """(muscle, side) of the given groups whose peak activation reaches
    :data:`SATURATED_ACTIVATION` in both the scenario and the baseline of a :func:`compare` table."""
    hit = (metrics.muscle.isin(muscles) & (metrics.peak_activation >= SATURATED_ACTIVATION)
           & (metrics.peak_activation_baseline >= SATURATED_ACTIVATION))
    return list(zip(metrics.muscle[hit], metrics.side[hit], strict=True))


def compare(scenario: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Scenario metrics with ``<metric>_baseline``, ``<metric>_pct_change`` and
    ``<metric>_negligible`` columns (context columns get ``_baseline`` too).

    The % change is :func:`pct_change` with the floor of :func:`change_floor`: a change below
    2 % of the metric's full scale is negligible (``_negligible`` True, % change 0); a rise
    from a negligible baseline is +inf ("new"); never NaN.
    """
    merged = scenario.merge(baseline, on=["muscle", "side"], suffixes=("", "_baseline"))
    for col in METRIC_COLUMNS:
        pct, negligible = pct_change(merged[col].to_numpy(dtype=float),
                                     merged[f"{col}_baseline"].to_numpy(dtype=float), change_floor(merged, col))
        merged[f"{col}_pct_change"] = pct
        merged[f"{col}_negligible"] = negligible
    return merged
