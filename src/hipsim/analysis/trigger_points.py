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
``sustained_contraction``         ``sustained_bout_s``               perpetuating:
                                                                     prolonged immobility,
                                                                     standing without
                                                                     shifting weight
``sustained_position``            ``time_held_shortened_frac +       perpetuating:
                                  time_held_stretched_frac``         prolonged immobility
                                                                     in one position
                                                                     (sitting cross-legged)
``compression``                   ``compression_kpa_s``              perpetuating: sitting
                                                                     on a wallet
================================  =================================  ===================

``index = s / b``, with three conventions (chosen for hipsim, not validated):

* a value at or below :data:`NOISE_FRACTION` (0.1 %) of the largest value of that metric
  anywhere in the table (scenario or baseline) counts as zero, so the ratio of two
  numerically negligible loads does not masquerade as a large change;
* ``0 / 0`` (no load in either) is ``1.0`` (no change);
* the ratio is clipped to ``[1 / INDEX_CAP, INDEX_CAP]`` = ``[0.01, 100]``, so a load
  absent at baseline (a wallet that was not there) gives a large but finite index.

The two perpetuating indices of immobility count only what is held over the whole hold or
walking bout (see :func:`hipsim.analysis.metrics.fibre_metrics`): ``sustained_contraction``
work without a single rest, ``sustained_position`` time *held* shortened or stretched. A
gait cycle holds no position, and a fibre that rests every stride holds no contraction, so
for two such cycles they are ``0 / 0`` = 1. The within-stride burst (``longest_sustained_s``)
and the shares of a cycle spent shortened or stretched are reported as metrics but drive no
index.

An index of 1 means no change, 2 means doubled, 0.5 halved. Because each is a ratio of
like with like, indices of different factors can be compared as relative changes, which
is what ``dominant_factor`` does: the factor with the largest index, provided it rose by
at least :data:`CHANGE_THRESHOLD` (10 %, a convention); otherwise ``"none"``.

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

from hipsim.anatomy import CHART_GROUP_MUSCLES as _CHART_GROUP_MUSCLES
from hipsim.anatomy import KNOWLEDGE, KNOWLEDGE_GROUP, FibreGroupKnowledge, label
from hipsim.errors import input_error, is_whole

__all__ = [
    "CAVEAT",
    "CHANGE_THRESHOLD",
    "CHART_GROUP_MUSCLES",
    "FACTOR_INDICES",
    "FACTOR_NAMES",
    "FIBRE_GROUPS",
    "INDEX_CAP",
    "METRIC_COLUMNS",
    "NOISE_FRACTION",
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

#: Values at or below this fraction of a metric's largest value in the table count as 0.
NOISE_FRACTION = 1e-3
#: Indices are clipped to [1 / INDEX_CAP, INDEX_CAP].
INDEX_CAP = 100.0
#: A factor is "dominant" only if its index is at least 1 + CHANGE_THRESHOLD.
CHANGE_THRESHOLD = 0.10

_BASELINE = "_baseline"

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
        metrics=("sustained_bout_s",),
        phrase="activation sustained without rest",
        factor_class="perpetuating",
        literature=("prolonged immobility and prolonged standing without shifting weight"),
        rationale=("both keep the same fibres working without a break; the time worked "
                   "without a single rest over a hold or walking bout measures that (a fibre "
                   "that rests every stride gets none)"),
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
    for i, (muscle, side) in enumerate(zip(out["muscle"], out["side"])):
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
    names = [f"{mu}_{sd}" for mu, sd in zip(out["muscle"], out["side"])]
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
def _ratio(s: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clipped ratio s/b with the module's noise and 0/0 conventions.

    Returns the ratio and a mask of rows where the quantity is present in the scenario
    but absent (at or below the noise floor) at baseline.
    """
    floor = NOISE_FRACTION * float(max(np.max(s), np.max(b), 0.0))
    s_eff = np.where(s > floor, s, 0.0)
    b_eff = np.where(b > floor, b, 0.0)
    new = (b_eff == 0.0) & (s_eff > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(b_eff > 0.0, s_eff / np.where(b_eff > 0.0, b_eff, 1.0),
                     np.where(s_eff > 0.0, INDEX_CAP, 1.0))
    return np.clip(r, 1.0 / INDEX_CAP, INDEX_CAP), new


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _times(r: float) -> str:
    return f"{r:.1f}\u00d7" if r >= 2.0 else f"{r:.2f}\u00d7"


def _reading(muscle: str, side: str, idx: Mapping[str, float], new: Mapping[str, bool],
             dominant: str) -> str:
    head = f"{label(muscle)}, {_SIDE_WORD[side]}"
    if dominant == "none":
        if all(abs(idx[n] - 1.0) < 5e-3 for n in FACTOR_NAMES):
            return f"{head}: no factor index changed from baseline."
        top = max(FACTOR_NAMES, key=lambda n: idx[n])
        return (f"{head}: no factor index rose by {_pct(CHANGE_THRESHOLD)} or more over "
                f"baseline (largest: {FACTOR_INDICES[top].phrase} {_times(idx[top])}).")
    f = FACTOR_INDICES[dominant]
    if new[dominant]:
        amount = f"{f.phrase} present, absent at baseline"
    else:
        amount = f"{f.phrase} {_times(idx[dominant])} baseline"
    return (f"{head}: {amount} \u2014 {'an' if f.factor_class == 'activation' else 'a'} "
            f"{f.factor_class} factor named for {f.literature} ({_TS1992}).")


def trigger_point_indices(metrics: pd.DataFrame) -> pd.DataFrame:
    """Map fibre-load metrics onto the trigger-point factors, one row per (muscle, side).

    Args:
        metrics: one row per (``muscle``, ``side``) with ``side`` in ``{"r", "l"}`` and the
            columns of :data:`METRIC_COLUMNS` for the scenario plus the same columns with
            the suffix ``_baseline``. Values are finite and >= 0; activations and time
            fractions lie in 0..1 and ``time_held_shortened_frac + time_held_stretched_frac <= 1``.
            Muscles outside the hip-abductor groups are accepted (their knowledge
            columns stay empty).

    Returns:
        A new DataFrame, rows in input order, with columns ``muscle``, ``side``, the five
        factor indices of :data:`FACTOR_NAMES` (dimensionless ratios scenario/baseline,
        1 = unchanged; see the module docstring for each formula and its conventions),
        ``lengthening_work_ratio`` (context only), ``dominant_factor`` (a factor name or
        ``"none"``), ``reading`` (one plain-language sentence) and ``examine_also``
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
        s = np.zeros(n)
        b = np.zeros(n)
        for col in f.metrics:
            s += m[col].to_numpy(dtype=float)
            b += m[col + _BASELINE].to_numpy(dtype=float)
        indices[name], new_masks[name] = _ratio(s, b)
    ecc, _ = _ratio(m["lengthening_work_j_per_day"].to_numpy(dtype=float),
                    m["lengthening_work_j_per_day" + _BASELINE].to_numpy(dtype=float))

    dominant: list[str] = []
    readings: list[str] = []
    examine: list[str] = []
    for i in range(n):
        idx = {k: float(v[i]) for k, v in indices.items()}
        new = {k: bool(v[i]) for k, v in new_masks.items()}
        # ties go to the earlier factor in FACTOR_NAMES (max keeps the first maximum)
        top = max(FACTOR_NAMES, key=lambda k: idx[k])
        dom = top if idx[top] >= 1.0 + CHANGE_THRESHOLD - 1e-12 else "none"
        muscle, side = str(m.at[i, "muscle"]), str(m.at[i, "side"])
        dominant.append(dom)
        readings.append(_reading(muscle, side, idx, new, dom))
        group = KNOWLEDGE_GROUP.get(muscle)
        examine.append("; ".join(mu for mu, _ in FIBRE_GROUPS[group].examine_also)
                       if group else "")

    out = pd.DataFrame({"muscle": m["muscle"].astype(str), "side": m["side"].astype(str)})
    for name in FACTOR_NAMES:
        out[name] = indices[name]
    out["lengthening_work_ratio"] = ecc
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
                          metric: str = "impulse_per_day_ns") -> dict[str, float]:
    """% change of one load metric per body-chart zone, ready for
    :func:`hipsim.report.bodychart.draw_body_chart`.

    For each zone group of :data:`CHART_GROUP_MUSCLES` and side present in ``metrics``,
    scenario and baseline values of ``metric`` are summed over the group's muscles
    (gluteus medius: its three parts) and turned into ``100 * (index - 1)`` with the same
    ratio conventions as the factor indices (noise floor, 0/0 = no change, clip to
    [0.01, 100]). Middle gluteus minimus has no zone and is not used.

    Raises:
        InputError: as :func:`trigger_point_indices`, or ``metric`` not in
            :data:`METRIC_COLUMNS`.
    """
    if metric not in METRIC_COLUMNS:
        raise input_error("argument", "metric", metric,
                          "one of " + ", ".join(METRIC_COLUMNS))
    m = _validate_metrics(metrics)
    keys: list[str] = []
    s_list: list[float] = []
    b_list: list[float] = []
    for group, muscles in CHART_GROUP_MUSCLES.items():
        for side in ("r", "l"):
            sel = m[m["muscle"].isin(muscles) & (m["side"] == side)]
            if len(sel) == 0:
                continue
            keys.append(f"{group}_{side}")
            s_list.append(float(sel[metric].sum()))
            b_list.append(float(sel[metric + _BASELINE].sum()))
    if not keys:
        return {}
    r, _ = _ratio(np.array(s_list), np.array(b_list))
    return {k: float(100.0 * (v - 1.0)) for k, v in zip(keys, r)}
