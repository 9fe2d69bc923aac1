"""Trigger-point factor indices: a transparent mapping from computed fibre loads onto the
factors that the trigger-point literature names.

There is no validated quantitative model that turns muscle force into myofascial trigger
points (TrPs). What hipsim can do is compute mechanical loads on each fibre group and
say, factor by factor, how much a scenario changes the load that stands for a factor the
literature names (Travell & Simons 1992, vol. 2). Every index here is a
plain ratio of one scenario metric to the same metric at baseline, so a reader can check
it by hand. It is a teaching and reasoning aid, never a diagnosis: every output carries
:data:`CAVEAT`.

Index definitions (one metric per factor; ``s`` = scenario value, ``b`` = baseline):

================================  =================================  ===================
index                             metric                             literature factor
================================  =================================  ===================
``acute_overload``                ``peak_force_n``                   activation: acute
                                                                     overload (a fall)
``repetitive_overload``           ``impulse_per_day_ns``             activation: overuse
                                                                     (walking too far or
                                                                     fast, running,
                                                                     court sports)
``sustained_contraction``         ``mean_force_n`` x                 perpetuating:
                                  ``sustained_bout_s``
                                                                     prolonged immobility,
                                                                     standing without
                                                                     shifting weight (a
                                                                     sustained, static
                                                                     load)
``sustained_position``            ``time_held_shortened_frac +       perpetuating:
                                  time_held_stretched_frac``         prolonged immobility
                                                                     in one position
                                                                     (sitting cross-legged)
``compression``                   ``compression_kpa_s``              perpetuating: sitting
                                                                     on a wallet
================================  =================================  ===================

``index = s / b = 1 + (% change) / 100``, the % change being hipsim's one
:func:`hipsim.analysis.metrics.pct_change`, with its conventions (chosen for hipsim, not
validated):

* a change below 2 % of the metric's full scale (F0 for a force, F0 times the exposure
  for an impulse; :func:`hipsim.analysis.metrics.change_floor`) is negligible: index 1, so
  a few newtons never masquerade as a large change;
* a load rising from below that floor (a wallet that was not there) is "new" and one
  falling below it is gone: the index is clipped to ``[1 / INDEX_CAP, INDEX_CAP]`` =
  ``[0.01, 100]``, large or small but finite.

The two perpetuating indices of immobility count only what is held over the whole hold or
walking bout (see :func:`hipsim.analysis.metrics.fibre_metrics`): ``sustained_contraction``
the static load, force held times time held without a single rest (the ratio of the mean
forces times the ratio of the unbroken bouts, each change judged against its own floor: a
low force held fifteen times as long is fifteen times the static load, a few newtons more
is none), ``sustained_position`` time *held* shortened or stretched. A
gait cycle holds no position, and a fibre that rests every stride holds no contraction, so
for two such cycles they are ``0 / 0`` = 1. The within-stride burst (``longest_sustained_s``)
and the shares of a cycle spent shortened or stretched are reported as metrics but drive no
index.

An index of 1 means no change, 2 means doubled, 0.5 halved. Because each is a ratio of
like with like, indices of different factors can be compared as relative changes.

Which factor a reading names (``dominant_factor``) depends on the task as well as on the
indices, because the literature names each factor for a kind of task (:data:`NAMING_RULE`):

1. **The task's kind.** A held posture (``held`` True: single-leg stance, standing,
   sitting) loads the fibres statically, so its load reads as sustained (static) load; a
   walk loads them once per stride, so its load reads as repetitive load (overuse). Overuse
   is named for walking, running and court sports (Travell & Simons 1992, vol. 2, ch. 9), so
   ``repetitive_overload`` is not named for a held posture.
2. **Acute overload only beyond the everyday range.** ``acute_overload`` is named only
   when the scenario's peak force exceeds :data:`ACUTE_OVERLOAD_MULTIPLE` (2) times the
   fibre's everyday peak: its peak force in hipsim's built-in normal walk
   (:func:`hipsim.analysis.metrics.everyday_peak_forces`; at least 2 % of F0). Real
   stumbling loads the hip about twice as much as any other activity measured (Bergmann,
   Graichen & Rohlmann 2004, Langenbecks Arch Surg 389:53), so a fibre below twice its
   walking peak carries a load that everyday activities also reach.
3. **The largest index that rose.** Among the factors left, the one with the largest
   index, provided it rose by at least :data:`CHANGE_THRESHOLD` (10 %, a convention);
   otherwise ``"none"``.
4. **Ties.** Indices within :data:`TIE_TOLERANCE` (1 %, a convention: the model's numbers
   are not that precise) of the largest count as tied, and a tie goes to the factor that
   comes first in :data:`FACTOR_ORDER` for the task's kind, which puts the task's own load
   first: sustained contraction for a held posture, repetitive overload for a walk. (In a
   hold the peak-force, daily-impulse and sustained indices are the same ratio whenever
   the hold time is unchanged, so this rule decides them.) A factor that fits as well but
   lost the tie, and acute overload beyond the everyday range, are named in the reading.

Eccentric work (``lengthening_work_j_per_day``) is reported as the extra ratio
``lengthening_work_ratio`` for context; the TrP factor lists (Travell & Simons 1992) name no
eccentric mechanism, so it does not enter ``dominant_factor``. ``peak_activation``,
``mean_activation``, ``mean_force_n`` and ``peak_stress_kpa`` belong to the metrics
contract and are validated but drive no index (for one muscle, peak stress / peak stress
at baseline equals the peak-force ratio).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd

from hipsim.analysis.metrics import CONTEXT_COLUMNS as _METRIC_CONTEXT
from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION, change_floor, pct_change
from hipsim.anatomy import CHART_GROUP_MUSCLES as _CHART_GROUP_MUSCLES
from hipsim.anatomy import KNOWLEDGE, KNOWLEDGE_GROUP, FibreGroupKnowledge, label
from hipsim.errors import input_error, is_whole

__all__ = [
    "ACUTE_OVERLOAD_MULTIPLE",
    "CAVEAT",
    "CONTEXT_COLUMNS",
    "FACTOR_ORDER",
    "NAMING_RULE",
    "TIE_TOLERANCE",
    "CHANGE_THRESHOLD",
    "CHART_GROUP_MUSCLES",
    "FACTOR_INDICES",
    "FACTOR_NAMES",
    "FIBRE_GROUPS",
    "INDEX_CAP",
    "METRIC_COLUMNS",
    "FactorIndex",
    "FibreGroupKnowledge",
    "body_chart_change_pct",
    "trigger_point_indices",
    "summarise_indices",
]

#: Printed with every trigger-point output (tables, summaries, reports).
CAVEAT = ("These indices map computed mechanical loads onto trigger-point factors named in "
          "the literature (Travell & Simons 1992). They are a teaching and reasoning aid, "
          "not a validated model of trigger points and not a diagnosis; examination by a "
          "qualified clinician is needed to identify trigger points.")

#: Indices are clipped to [1 / INDEX_CAP, INDEX_CAP].
INDEX_CAP = 100.0
#: A factor is "dominant" only if its index is at least 1 + CHANGE_THRESHOLD.
CHANGE_THRESHOLD = 0.10
#: Acute overload is named only for a peak force above this multiple of the fibre's everyday
#: peak (its peak in the built-in normal walk). Real stumbling loads the hip about twice as much
#: as any other activity measured with instrumented implants (Bergmann, Graichen & Rohlmann
#: 2004, Langenbecks Arch Surg 389:53): the multiple that separates an acute overload from the
#: everyday range. Applied to one fibre's force rather than the joint's, a convention.
ACUTE_OVERLOAD_MULTIPLE = 2.0
#: Indices within this fraction of the largest count as tied (a convention).
TIE_TOLERANCE = 0.01
#: The factors a reading may name for each kind of task, in the order that breaks ties: the
#: task's own load first (a held posture: sustained contraction; a walk: repetitive overload).
#: Acute overload last, and only beyond :data:`ACUTE_OVERLOAD_MULTIPLE`.
FACTOR_ORDER: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "held": ("sustained_contraction", "sustained_position", "compression", "acute_overload"),
    "walk": ("repetitive_overload", "sustained_contraction", "sustained_position", "compression",
             "acute_overload"),
})
#: The naming rule in words, for reports and documentation.
NAMING_RULE = ("How a factor is named: a held posture's load reads as sustained (static) load and a walk's "
               "as repetitive load (overuse); acute overload only for a peak force beyond "
               f"{ACUTE_OVERLOAD_MULTIPLE:g}x the fibre's peak in a normal walk (real stumbling loads the hip "
               "about twice as much as any other activity; Bergmann et al. 2004); the largest index that "
               f"rose by {100 * CHANGE_THRESHOLD:.0f} % or more, indices within {100 * TIE_TOLERANCE:g} % counting "
               "as tied, a tie going to the factor that fits the task.")

_BASELINE = "_baseline"

#: Context columns the read-out needs besides the metrics, as
#: :func:`hipsim.analysis.metrics.fibre_metrics` gives them: whether the task is a held
#: posture, the muscle and exposure scales of the negligible-change floor, and the fibre's
#: everyday peak force.
CONTEXT_COLUMNS: tuple[str, ...] = _METRIC_CONTEXT
_POSITIVE = frozenset({"max_isometric_force_n", "pcsa_m2", "optimal_fiber_length_m"})

#: Metric columns of the input contract (each also needed with the ``_baseline`` suffix).
METRIC_COLUMNS: tuple[str, ...] = (
    "peak_activation",
    "mean_activation",
    "peak_force_n",
    "mean_force_n",
    "peak_stress_kpa",
    "impulse_per_day_ns",
    "sustained_bout_s",
    "time_held_shortened_frac",
    "time_held_stretched_frac",
    "lengthening_work_j_per_day",
    "compression_kpa_s",
)
# Columns that are fractions of 0..1 (activation, share of time).
_FRACTION_COLUMNS = frozenset({"peak_activation", "mean_activation", "time_held_shortened_frac",
                               "time_held_stretched_frac"})

_TS1992 = "Travell & Simons 1992"
_TS_VOL2 = "Travell & Simons 1992, Trigger Point Manual vol. 2"


# -------------------------------------------------------------------- factor indices
@dataclass(frozen=True)
class FactorIndex:
    """Definition of one factor index.

    Attributes:
        name: output column.
        metrics: input metric columns summed to form the scenario (and, with the
            ``_baseline`` suffix, the baseline) quantity.
        phrase: what the metric is, in words, for readings.
        factor_class: ``"activation"`` or ``"perpetuating"`` (the literature's classes).
        literature: the factor(s) as the literature names them.
        rationale: why this metric stands for that factor.
        source: where the factor is named.
    """

    name: str
    metrics: tuple[str, ...]
    phrase: str
    factor_class: str
    literature: str
    rationale: str
    source: str


#: The five factor indices, in output order (immutable).
FACTOR_INDICES: Mapping[str, FactorIndex] = MappingProxyType({
    "acute_overload": FactorIndex(
        name="acute_overload",
        metrics=("peak_force_n",),
        phrase="peak force",
        factor_class="activation",
        literature="acute overload, e.g. a fall",
        rationale=("an acute overload is one brief, high load: the largest force the fibres "
                   "carry in the task measures it"),
        source=f"{_TS_VOL2}, ch. 9",
    ),
    "repetitive_overload": FactorIndex(
        name="repetitive_overload",
        metrics=("impulse_per_day_ns",),
        phrase="daily force-time impulse",
        factor_class="activation",
        literature=("overuse: walking too far or too fast, running and court sports"),
        rationale=("overuse is load accumulated over many cycles; the force-time integral "
                   "per day grows with both the load per step and the number of steps"),
        source=f"{_TS_VOL2}, ch. 9",
    ),
    "sustained_contraction": FactorIndex(
        name="sustained_contraction",
        metrics=("mean_force_n", "sustained_bout_s"),
        phrase="force held without rest (force x time)",
        factor_class="perpetuating",
        literature=("prolonged immobility and prolonged standing without shifting weight "
                    "(a sustained, static load)"),
        rationale=("both keep the same fibres working without a break; the force held times "
                   "the time held without a single rest over a hold or walking bout measures "
                   "that static load (a fibre that rests every stride gets none)"),
        source=f"{_TS_VOL2}, ch. 9",
    ),
    "sustained_position": FactorIndex(
        name="sustained_position",
        metrics=("time_held_shortened_frac", "time_held_stretched_frac"),
        phrase="time held shortened or stretched",
        factor_class="perpetuating",
        literature=("prolonged immobility in one position (a driver's right leg on the "
                    "accelerator; sitting cross-legged for long periods is also reported)"),
        rationale=("a held posture keeps the fibres at one length; the share of time held "
                   "shortened (< 0.9 optimal length) or stretched (> 1.1) measures that "
                   "(a walking cycle holds none)"),
        source=f"{_TS_VOL2}, ch. 9",
    ),
    "compression": FactorIndex(
        name="compression",
        metrics=("compression_kpa_s",),
        phrase="compression exposure",
        factor_class="perpetuating",
        literature="sitting on a wallet in a back pocket",
        rationale=("the wallet presses on the posterior fibres; external pressure times "
                   "time on the fibres measures that exposure"),
        source=f"{_TS_VOL2}, ch. 9",
    ),
})
#: Output columns of the five factor indices, in order.
FACTOR_NAMES: tuple[str, ...] = tuple(FACTOR_INDICES)


# ------------------------------------------------------------------ knowledge tables
#: Knowledge per fibre group (immutable), from :mod:`hipsim.anatomy` (Travell & Simons 1992,
#: vol. 2, ch. 8, 9, 12). Gluteus medius parts share one entry.
FIBRE_GROUPS: Mapping[str, FibreGroupKnowledge] = KNOWLEDGE

#: Body-chart zone group -> the contract's muscles whose loads it sums (from
#: :mod:`hipsim.anatomy`). Middle gluteus minimus has no zone of its own.
CHART_GROUP_MUSCLES: Mapping[str, tuple[str, ...]] = _CHART_GROUP_MUSCLES

_SIDE_WORD = MappingProxyType({"r": "right", "l": "left"})


# ------------------------------------------------------------------------ validation
def _validate_metrics(metrics: Any) -> pd.DataFrame:
    """Check the metrics contract; return a clean copy with float metric columns."""
    if not isinstance(metrics, pd.DataFrame):
        raise input_error("argument", "metrics", type(metrics).__name__,
                          "a pandas DataFrame with one row per (muscle, side)")
    needed = ["muscle", "side"] + [c for m in METRIC_COLUMNS for c in (m, m + _BASELINE)]
    for col in needed:
        if col not in metrics.columns:
            raise input_error("argument", "metrics column", col,
                              "present; the table needs muscle, side and "
                              + ", ".join(METRIC_COLUMNS)
                              + " each with and without the suffix _baseline")
    if len(metrics) == 0:
        raise input_error("argument", "metrics", "an empty table", "at least one row")
    out = metrics.reset_index(drop=True).copy()
    for i, (muscle, side) in enumerate(zip(out["muscle"], out["side"], strict=True)):
        if not isinstance(muscle, str) or not muscle.strip():
            raise input_error("argument", f"metrics row {i} muscle", muscle,
                              "a non-empty muscle name such as gluteus_minimus_anterior")
        if not isinstance(side, str) or side not in _SIDE_WORD:
            raise input_error("argument", f"metrics row {i} ({muscle}) side", side,
                              "'r' or 'l'")
    dup = out.duplicated(subset=["muscle", "side"], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise input_error("argument", f"metrics row {i}",
                          f"{out.at[i, 'muscle']}/{out.at[i, 'side']}",
                          "one row per (muscle, side); this pair is repeated")
    names = [f"{mu}_{sd}" for mu, sd in zip(out["muscle"], out["side"], strict=True)]
    for col in needed[2:]:
        base = col[: -len(_BASELINE)] if col.endswith(_BASELINE) else col
        upper = 1.0 if base in _FRACTION_COLUMNS else math.inf
        raw = out[col]
        if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
            # object column: find the first entry that is not a real number
            for i, v in enumerate(raw):
                if (isinstance(v, (bool, np.bool_))
                        or not isinstance(v, (int, float, np.integer, np.floating))):
                    raise input_error("argument", f"metrics row {i} ({names[i]}) {col}", v,
                                      "a finite number >= 0")
        values = raw.to_numpy(dtype=float)
        bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0.0) & (values <= upper)))
        if bad.size:
            i = int(bad[0])
            allowed = "a fraction from 0 to 1" if upper == 1.0 else "a finite number >= 0"
            raise input_error("argument", f"metrics row {i} ({names[i]}) {col}",
                              raw.iloc[i], allowed)
        out[col] = values
    for col in CONTEXT_COLUMNS:
        if col not in out.columns:
            raise input_error("argument", "metrics column", col,
                              "present; the read-out needs " + ", ".join(CONTEXT_COLUMNS)
                              + " (the context columns of hipsim.analysis.metrics.fibre_metrics)")
    for i, v in enumerate(out["held"]):
        if not isinstance(v, (bool, np.bool_)):
            raise input_error("argument", f"metrics row {i} ({names[i]}) held", v,
                              "True (a held posture) or False (a walk)")
    for col in CONTEXT_COLUMNS:
        if col == "held":
            continue
        raw = out[col]
        values = (raw.to_numpy(dtype=float) if pd.api.types.is_numeric_dtype(raw)
                  and not pd.api.types.is_bool_dtype(raw) else None)
        low = 0.0 if col not in _POSITIVE else np.nextafter(0.0, 1.0)
        bad = (np.arange(len(raw)) if values is None
               else np.flatnonzero(~(np.isfinite(values) & (values >= low))))
        if bad.size:
            i = int(bad[0])
            raise input_error("argument", f"metrics row {i} ({names[i]}) {col}", raw.iloc[i],
                              "a finite number " + ("> 0" if col in _POSITIVE else ">= 0"))
        out[col] = values
    out["held"] = out["held"].astype(bool)
    for suffix in ("", _BASELINE):
        total = out["time_held_shortened_frac" + suffix] + out["time_held_stretched_frac" + suffix]
        bad = np.flatnonzero(total.to_numpy() > 1.0 + 1e-9)
        if bad.size:
            i = int(bad[0])
            raise input_error(
                "argument",
                f"metrics row {i} ({out.at[i, 'muscle']}_{out.at[i, 'side']}) "
                f"time_held_shortened_frac{suffix} + time_held_stretched_frac{suffix}",
                float(total.iloc[i]), "at most 1 (the two states exclude each other)")
    return out


# ---------------------------------------------------------------------- computation
def _ratio(s: np.ndarray, b: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clipped ratio s/b = 1 + pct_change/100 (negligible: 1; new: INDEX_CAP; gone: 1/INDEX_CAP).

    Returns the ratio and a mask of rows where the quantity is present in the scenario
    but negligible at baseline.
    """
    pct, negligible = pct_change(s, b, floor)
    new = np.isinf(pct)
    gone = ~negligible & (s < floor)  # fell to a negligible load: the mirror of "new"
    r = np.where(negligible, 1.0, np.where(new, INDEX_CAP, np.where(gone, 0.0, 1.0 + np.where(new, 0.0, pct) / 100.0)))
    return np.clip(r, 1.0 / INDEX_CAP, INDEX_CAP), new


def _static_load(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sustained-contraction index: (force held ratio) x (time held without rest ratio), each
    with its own negligible floor (2 % of F0; 2 % of the bout), clipped like every index."""
    held_s = m["sustained_bout_s"].to_numpy(dtype=float)
    held_b = m["sustained_bout_s" + _BASELINE].to_numpy(dtype=float)
    force_s = np.where(held_s > 0.0, m["mean_force_n"].to_numpy(dtype=float), 0.0)
    force_b = np.where(held_b > 0.0, m["mean_force_n" + _BASELINE].to_numpy(dtype=float), 0.0)
    r_force, new_force = _ratio(force_s, force_b, change_floor(m, "mean_force_n"))
    r_time, new_time = _ratio(held_s, held_b, change_floor(m, "sustained_bout_s"))
    return np.clip(r_force * r_time, 1.0 / INDEX_CAP, INDEX_CAP), new_force | new_time


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _times(r: float) -> str:
    return f"{r:.1f}\u00d7" if r >= 2.0 else f"{r:.2f}\u00d7"


_KIND_WORD = MappingProxyType({"held": "a held posture", "walk": "a walk"})


def _amount(name: str, idx: Mapping[str, float], new: Mapping[str, bool]) -> str:
    f = FACTOR_INDICES[name]
    if new[name]:
        return f"{f.phrase} present, absent at baseline"
    return f"{f.phrase} {_times(idx[name])} baseline"


def _reading(muscle: str, side: str, kind: str, idx: Mapping[str, float], new: Mapping[str, bool],
             dominant: str, tied: list[str], peak_n: float, everyday_n: float, beyond: bool) -> str:
    head = f"{label(muscle)}, {_SIDE_WORD[side]}"
    vs_walk = (f"peak force {peak_n:.0f} N is {peak_n / everyday_n:.2f}\u00d7 its peak in a normal walk "
               f"({everyday_n:.0f} N)")
    # mention acute overload's absence only where its index would have been named before
    acute_rose = (idx["acute_overload"] >= 1.0 + CHANGE_THRESHOLD - 1e-12
                  and idx["acute_overload"] >= max(idx.values()) * (1.0 - TIE_TOLERANCE))
    if dominant == "none":
        if all(abs(idx[n] - 1.0) < 5e-3 for n in FACTOR_NAMES):
            return f"{head}: no factor index changed from baseline."
        top = max(FACTOR_NAMES, key=lambda n: idx[n])
        text = (f"{head}: no factor that fits {_KIND_WORD[kind]} rose by {_pct(CHANGE_THRESHOLD)} or more "
                f"over baseline (largest index: {FACTOR_INDICES[top].phrase} {_times(idx[top])}).")
        if acute_rose and peak_n > everyday_n:
            text += (f" Its {vs_walk}, within the {ACUTE_OVERLOAD_MULTIPLE:g}\u00d7 taken as acute "
                     "overload.")
        return text
    f = FACTOR_INDICES[dominant]
    text = (f"{head}: {_amount(dominant, idx, new)} in {_KIND_WORD[kind]} \u2014 "
            f"{'an' if f.factor_class == 'activation' else 'a'} {f.factor_class} factor named for "
            f"{f.literature} ({_TS1992}).")
    if dominant == "acute_overload":
        return text + f" Its {vs_walk}, beyond the {ACUTE_OVERLOAD_MULTIPLE:g}\u00d7 taken as acute overload."
    for other in tied:
        if other != "acute_overload":
            text += (f" {_amount(other, idx, new).capitalize()} as well (a tie goes to the factor that fits "
                     f"{_KIND_WORD[kind]}).")
    if beyond:
        text += (f" Its {vs_walk}, beyond the {ACUTE_OVERLOAD_MULTIPLE:g}\u00d7 taken as acute overload: "
                 f"{FACTOR_INDICES['acute_overload'].literature}, also fits.")
    elif acute_rose and peak_n > everyday_n:  # above the walking peak, but not by the multiple
        text += (f" Its {vs_walk}, within the {ACUTE_OVERLOAD_MULTIPLE:g}\u00d7 taken as acute overload, "
                 "so acute overload is not named.")
    return text


def _name_factor(kind: str, idx: Mapping[str, float], beyond: bool) -> tuple[str, list[str]]:
    """The dominant factor by the module's naming rule, and the other factors tied with it."""
    order = [f for f in FACTOR_ORDER[kind] if f != "acute_overload" or beyond]
    risen = [f for f in order if idx[f] >= 1.0 + CHANGE_THRESHOLD - 1e-12]
    if not risen:
        return "none", []
    top = max(idx[f] for f in risen)
    tied = [f for f in risen if idx[f] >= top * (1.0 - TIE_TOLERANCE)]
    return tied[0], tied[1:]  # tied keeps FACTOR_ORDER: the first fits the task best


def trigger_point_indices(metrics: pd.DataFrame) -> pd.DataFrame:
    """Map fibre-load metrics onto the trigger-point factors, one row per (muscle, side).

    Args:
        metrics: one row per (``muscle``, ``side``) with ``side`` in ``{"r", "l"}`` and the
            columns of :data:`METRIC_COLUMNS` for the scenario plus the same columns with
            the suffix ``_baseline``. Values are finite and >= 0; activations and time
            fractions lie in 0..1 and ``time_held_shortened_frac + time_held_stretched_frac <= 1``.
            It also needs the :data:`CONTEXT_COLUMNS` (``held``, a bool; the muscle and
            exposure scales, > 0 or >= 0), as :func:`hipsim.analysis.metrics.fibre_metrics`
            gives them. Muscles outside the hip-abductor groups are accepted (their knowledge
            columns stay empty).

    Returns:
        A new DataFrame, rows in input order, with columns ``muscle``, ``side``, the five
        factor indices of :data:`FACTOR_NAMES` (dimensionless ratios scenario/baseline,
        1 = unchanged; see the module docstring for each formula and its conventions),
        ``lengthening_work_ratio`` (context only), ``peak_vs_everyday`` (peak force over the
        everyday peak), ``beyond_everyday`` (above :data:`ACUTE_OVERLOAD_MULTIPLE` times it),
        ``dominant_factor`` (a factor name or ``"none"``, by the naming rule of the module
        docstring), ``reading`` (plain-language sentences) and ``examine_also``
        (associated muscles, ``"; "``-separated). ``DataFrame.attrs["caveat"]`` holds
        :data:`CAVEAT`.

    Raises:
        InputError: not a DataFrame, an empty table, a missing column (named), a bad
            side, a repeated (muscle, side), or a value that is negative, NaN, infinite,
            not a number, or a fraction above 1.

    This is a mechanical surrogate for teaching and reasoning, never a diagnosis.
    """
    m = _validate_metrics(metrics)
    n = len(m)
    indices: dict[str, np.ndarray] = {}
    new_masks: dict[str, np.ndarray] = {}
    for name, f in FACTOR_INDICES.items():
        if name == "sustained_contraction":
            indices[name], new_masks[name] = _static_load(m)
            continue
        s = np.zeros(n)
        b = np.zeros(n)
        floor = np.zeros(n)
        for col in f.metrics:
            s += m[col].to_numpy(dtype=float)
            b += m[col + _BASELINE].to_numpy(dtype=float)
            floor += change_floor(m, col)
        indices[name], new_masks[name] = _ratio(s, b, floor)
    ecc, _ = _ratio(m["lengthening_work_j_per_day"].to_numpy(dtype=float),
                    m["lengthening_work_j_per_day" + _BASELINE].to_numpy(dtype=float),
                    change_floor(m, "lengthening_work_j_per_day"))

    # the everyday range: the peak in the built-in normal walk, at least the negligible 2 % of F0
    everyday = np.maximum(m["everyday_peak_force_n"].to_numpy(dtype=float),
                          NEGLIGIBLE_FRACTION * m["max_isometric_force_n"].to_numpy(dtype=float))
    peak = m["peak_force_n"].to_numpy(dtype=float)
    beyond_everyday = (peak > ACUTE_OVERLOAD_MULTIPLE * everyday) & (everyday > 0.0)
    dominant: list[str] = []
    readings: list[str] = []
    examine: list[str] = []
    for i in range(n):
        idx = {k: float(v[i]) for k, v in indices.items()}
        new = {k: bool(v[i]) for k, v in new_masks.items()}
        kind = "held" if bool(m.at[i, "held"]) else "walk"
        dom, tied = _name_factor(kind, idx, bool(beyond_everyday[i]))
        muscle, side = str(m.at[i, "muscle"]), str(m.at[i, "side"])
        dominant.append(dom)
        readings.append(_reading(muscle, side, kind, idx, new, dom, tied, float(peak[i]),
                                 float(everyday[i]), bool(beyond_everyday[i])))
        group = KNOWLEDGE_GROUP.get(muscle)
        examine.append("; ".join(mu for mu, _ in FIBRE_GROUPS[group].examine_also)
                       if group else "")

    out = pd.DataFrame({"muscle": m["muscle"].astype(str), "side": m["side"].astype(str)})
    for name in FACTOR_NAMES:
        out[name] = indices[name]
    out["lengthening_work_ratio"] = ecc
    out["peak_vs_everyday"] = np.where(everyday > 0.0, peak / np.where(everyday > 0.0, everyday, 1.0), 0.0)
    out["beyond_everyday"] = beyond_everyday
    out["dominant_factor"] = dominant
    out["reading"] = readings
    out["examine_also"] = examine
    out.attrs["caveat"] = CAVEAT
    return out


_OUTPUT_COLUMNS = ("muscle", "side", *FACTOR_NAMES, "dominant_factor", "reading")


def summarise_indices(df: pd.DataFrame, *, max_lines: int = 5) -> list[str]:
    """A few human-readable lines from :func:`trigger_point_indices`' table.

    Rows whose dominant factor rose by at least :data:`CHANGE_THRESHOLD` are listed,
    largest index first, at most ``max_lines`` of them, each with the muscles to examine
    as well; if none rose, one line says so. The last line is :data:`CAVEAT`, once.

    Raises:
        InputError: ``df`` is not such a table (missing column) or ``max_lines < 1``.
    """
    if not isinstance(df, pd.DataFrame):
        raise input_error("argument", "df", type(df).__name__,
                          "the DataFrame returned by trigger_point_indices")
    for col in _OUTPUT_COLUMNS:
        if col not in df.columns:
            raise input_error("argument", "df column", col,
                              "present (pass the table returned by trigger_point_indices)")
    if not is_whole(max_lines) or max_lines < 1:
        raise input_error("argument", "max_lines", max_lines, "an integer >= 1")
    rows = df[df["dominant_factor"] != "none"]
    lines: list[str] = []
    if len(rows):
        top = np.array([float(r[r["dominant_factor"]]) for _, r in rows.iterrows()])
        order = np.argsort(-top, kind="stable")[:max_lines]
        for j in order:
            r = rows.iloc[int(j)]
            text = str(r["reading"])
            also = str(r["examine_also"]) if "examine_also" in rows.columns else ""
            if also:
                text += f" Examine also: {also}."
            lines.append(text)
        if len(rows) > max_lines:
            lines.append(f"({len(rows) - max_lines} more fibre groups with a raised factor "
                         "index are in the table.)")
    else:
        lines.append(f"No factor index rose by {_pct(CHANGE_THRESHOLD)} or more over "
                     "baseline for any fibre group.")
    lines.append(CAVEAT)
    return lines


def body_chart_change_pct(metrics: pd.DataFrame,
                          metric: str = "impulse_per_day_ns") -> dict[str, float | None]:
    """% change of one load metric per body-chart zone, ready for
    :func:`hipsim.report.bodychart.draw_body_chart`.

    For each zone group of :data:`CHART_GROUP_MUSCLES` and side present in ``metrics`` (a
    :func:`hipsim.analysis.metrics.compare` table), scenario and baseline values of ``metric``
    and their negligible-change floors are summed over the group's muscles (gluteus medius:
    its three parts), and the % change is :func:`hipsim.analysis.metrics.pct_change`, the same
    as the compare table's: ``None`` where the change is negligible (below 2 % of the
    muscles' full scale), ``math.inf`` for a load absent at baseline. For a zone of one
    muscle the value is that muscle's ``<metric>_pct_change``. Middle gluteus minimus has no
    zone and is not used.

    Raises:
        InputError: as :func:`trigger_point_indices`, ``metric`` not in
            :data:`METRIC_COLUMNS`, or a context column of the compare table missing.
    """
    if metric not in METRIC_COLUMNS:
        raise input_error("argument", "metric", metric,
                          "one of " + ", ".join(METRIC_COLUMNS))
    m = _validate_metrics(metrics)
    floor = change_floor(metrics.reset_index(drop=True), metric)
    keys: list[str] = []
    s_list: list[float] = []
    b_list: list[float] = []
    f_list: list[float] = []
    for group, muscles in CHART_GROUP_MUSCLES.items():
        for side in ("r", "l"):
            sel = (m["muscle"].isin(muscles) & (m["side"] == side)).to_numpy()
            if not sel.any():
                continue
            keys.append(f"{group}_{side}")
            s_list.append(float(m.loc[sel, metric].sum()))
            b_list.append(float(m.loc[sel, metric + _BASELINE].sum()))
            f_list.append(float(floor[sel].sum()))
    if not keys:
        return {}
    pct, negligible = pct_change(s_list, b_list, f_list)
    return {k: None if n else float(v) for k, v, n in zip(keys, pct, negligible, strict=True)}
