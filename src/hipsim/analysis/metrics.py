"""Fibre-load metrics per muscle part and side, from a task result.

Every metric is a mechanical quantity computed from the solved task, over one gait cycle
or one held posture, and scaled to a day by an explicit exposure (cycles or holds per day).
Thresholds below are conventions, stated with their sources, not validated cut-offs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from hipsim.anatomy import ASSOCIATED, FIBRE_GROUPS
from hipsim.muscles.thelen import rigid_tendon_state
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


def _runs_above(x: np.ndarray, level: float, cyclic: bool) -> int:
    """Longest run of consecutive samples with x > level (wrapping around for a cycle)."""
    above = x > level
    if above.all():
        return above.size
    if cyclic:
        k = int(np.argmin(above))  # start at a sample below the level so runs do not wrap
        above = np.roll(above, -k)
    best = run = 0
    for a in above:
        run = run + 1 if a else 0
        best = max(best, run)
    return best


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

    ``time_shortened_frac`` and ``time_stretched_frac`` are the shares of the task with the
    fibres below :data:`SHORTENED` or above :data:`STRETCHED` optimal length. The
    ``time_held_*`` pair counts only time *held* there: all of it in a static posture, none in
    a cycle, where the fibres change length every step. Walking through a shortened length is
    not the "prolonged immobility in one position" that the trigger-point literature names.
    """
    m = result.model
    static = result.n_frames == 1
    t = result.time if not static else np.array([0.0, exposure.duration_s])
    span = float(t[-1] - t[0]) if not static else exposure.duration_s
    lengths = m.muscle_lengths(result.q)
    vel = m.lengthening_velocities(result.q, result.qdot)
    th = m.thelen
    state = rigid_tendon_state(lengths, vel, m.max_isometric_forces, m.optimal_fiber_lengths, m.tendon_slack_lengths,
                               m.pennation_angles, m.max_contraction_velocities, th.k_shape_active,
                               th.k_shape_passive, th.fmax_muscle_strain, th.af, th.flen)
    norm_len = state.fiber_length / m.optimal_fiber_lengths
    rows = []
    comp = dict(compression_kpa or {})
    for base in muscles:
        for side in ("r", "l"):
            name = f"{base}_{side}"
            i = m.muscle_index(name)
            a = result.activations[:, i]
            f = result.muscle_forces[:, i]
            ff = result.fiber_forces[:, i]
            nl = norm_len[:, i]
            if static:
                a2, f2, nl2 = np.repeat(a, 2), np.repeat(f, 2), np.repeat(nl, 2)
                impulse = float(f[0]) * span
                work = 0.0
                unbroken = bool(a[0] > REST_ACTIVATION)  # active for the whole hold
                sustained = exposure.bout_s if unbroken else 0.0
            else:
                a2, f2, nl2 = a, f, nl
                impulse = float(np.trapezoid(f, t))
                power = np.maximum(ff * state.fiber_velocity[:, i], 0.0)
                work = float(np.trapezoid(power, t))
                dt = span / max(len(t) - 1, 1)
                run = _runs_above(a, REST_ACTIVATION, cyclic=True)
                unbroken = run == len(a)  # never at rest in the cycle: the whole bout
                sustained = exposure.bout_s if unbroken else run * dt
            pcsa = m.pcsa[i]
            short, stretch = float(np.mean(nl2 < SHORTENED)), float(np.mean(nl2 > STRETCHED))
            rows.append({
                "muscle": base, "side": side,
                "peak_activation": float(a2.max()), "mean_activation": float(np.mean(a2)),
                "peak_force_n": float(f2.max()), "mean_force_n": float(np.mean(f2)),
                "peak_stress_kpa": float(ff.max() / pcsa / 1000.0),
                "impulse_ns": impulse, "impulse_per_day_ns": impulse * exposure.repetitions_per_day,
                "longest_sustained_s": float(sustained),
                "sustained_bout_s": float(exposure.bout_s) if unbroken else 0.0,
                "mean_norm_fiber_length": float(np.mean(nl2)),
                "time_shortened_frac": short, "time_stretched_frac": stretch,
                "time_held_shortened_frac": short if static else 0.0,
                "time_held_stretched_frac": stretch if static else 0.0,
                "lengthening_work_j": work, "lengthening_work_j_per_day": work * exposure.repetitions_per_day,
                "compression_kpa_s": float(comp.get(name, 0.0)) * span * exposure.repetitions_per_day,
            })
    df = pd.DataFrame(rows)
    bad = ~np.isfinite(df[list(METRIC_COLUMNS)].to_numpy())
    if bad.any():  # never hand on a NaN silently
        r, c = np.argwhere(bad)[0]
        raise FloatingPointError(f"metric {METRIC_COLUMNS[c]} of {df.muscle[r]}_{df.side[r]} is not finite")
    return df


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
    return list(zip(metrics.muscle[hit], metrics.side[hit]))


def compare(scenario: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Scenario metrics with ``<metric>_baseline`` and ``<metric>_pct_change`` columns.

    The % change is 100 (s - b) / b; where the baseline is zero it is +inf for a rise, 0 for
    no change (reported as such, never NaN).
    """
    merged = scenario.merge(baseline, on=["muscle", "side"], suffixes=("", "_baseline"))
    for col in METRIC_COLUMNS:
        # Solver round-off (1e-17 N) is no load: below 1e-9 counts as zero for the comparison.
        s = np.where(np.abs(merged[col].to_numpy()) < 1e-9, 0.0, merged[col].to_numpy())
        b = np.where(np.abs(merged[f"{col}_baseline"].to_numpy()) < 1e-9, 0.0, merged[f"{col}_baseline"].to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(b != 0, 100.0 * (s - b) / np.abs(b), np.where(s == b, 0.0, math.inf * np.sign(s - b)))
        merged[f"{col}_pct_change"] = pct
    return merged
