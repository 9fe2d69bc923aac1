"""Which fibres each rehabilitation exercise loads: the comparison, and its check against EMG.

:func:`compare_exercises` solves the exercises of :data:`hipsim.EXERCISES` on one model and tabulates,
per fibre group (gluteus minimus and medius parts, tensor fasciae latae, piriformis), the force and the
activation in each, the ranking of the exercises per group, and two selectivity ratios clinicians
use: gluteus minimus against tensor fasciae latae, and posterior against anterior gluteus minimus.

:func:`emg_validation` puts hipsim's activations beside published EMG (:data:`EMG_VALUES`, each value
with its study) and computes Spearman's rank correlation where a study gives three or more of the
modelled exercises for one segment. Mechanics and EMG measure different things: a model's activation is
the optimiser's share of a muscle's capacity needed for a moment; normalised EMG is electrical activity
relative to a maximal test contraction, picked up where the electrode sits. The comparison is a check of
ranks, and neither ranks nor loads prescribe an exercise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from hipsim.anatomy import FIBRE_GROUPS, SHORT_LABELS
from hipsim.errors import input_error
from hipsim.model import Model
from hipsim.model.scaling import Subject
from hipsim.params import Param, validated
from hipsim.tasks.exercise import EXERCISE_PARAMS, EXERCISES, exercise
from hipsim.tasks.result import TaskResult

#: The fibre groups compared: hipsim's tracked abductor parts and piriformis (which pairs with
#: posterior gluteus minimus in the trigger-point literature).
COMPARED_GROUPS: tuple[str, ...] = FIBRE_GROUPS + ("piriformis",)
GMIN = tuple(g for g in FIBRE_GROUPS if g.startswith("gluteus_minimus"))
GMED = tuple(g for g in FIBRE_GROUPS if g.startswith("gluteus_medius"))
TFL = "tensor_fasciae_latae"

#: :func:`compare_exercises`'s parameters: the exercise rules it passes on, and the exercises to compare.
COMPARE_PARAMS: dict[str, Param] = {
    "names": Param("list[str]", "exercises to compare (default: all of hipsim.EXERCISES)", None, nullable=True),
    **{k: EXERCISE_PARAMS[k] for k in ("side", "resistance_n", "ankle_weight_kg", "step_height_m",
                                        "passive_joint_moments")},
}


@dataclass(frozen=True)
class ExerciseComparison:
    """The exercises solved on one model, and their fibre loads side by side.

    ``table``: one row per exercise and fibre group (:data:`COMPARED_GROUPS`) of the targeted side, with
    ``force_n``, ``activation``, and the exercise's rank for that group by force and by activation (1 =
    the most loading exercise). ``results`` holds each exercise's :class:`~hipsim.TaskResult`.
    ``notes`` says where a ratio is undefined or an exercise is beyond the muscles.
    """

    results: Mapping[str, TaskResult]
    table: pd.DataFrame
    side: str
    model_name: str
    notes: tuple[str, ...] = field(default=())

    def wide(self, quantity: str = "force_n") -> pd.DataFrame:
        """``force_n`` or ``activation`` as exercises x fibre groups."""
        if quantity not in ("force_n", "activation"):
            raise input_error("argument", "quantity", quantity, "use 'force_n' or 'activation'")
        return self.table.pivot(index="exercise", columns="fibre_group", values=quantity).loc[
            list(self.results), list(COMPARED_GROUPS)]

    @property
    def ranking(self) -> pd.DataFrame:
        """Per fibre group, the exercises from the most to the least loading by force (rows: rank 1, 2, ...)."""
        wide = self.wide("force_n")
        return pd.DataFrame({g: list(wide[g].sort_values(ascending=False, kind="stable").index)
                             for g in COMPARED_GROUPS}, index=pd.RangeIndex(1, len(wide) + 1, name="rank"))

    @property
    def selectivity(self) -> pd.DataFrame:
        """Per exercise: gluteus minimus (its three parts) against tensor fasciae latae, and posterior
        against anterior gluteus minimus, as ratios of force (sums) and of activation (means). A zero
        denominator gives infinity, both zero NaN (listed in ``notes``)."""
        f, a = self.wide("force_n"), self.wide("activation")
        return pd.DataFrame({
            "gmin_to_tfl_force": _ratio(f[list(GMIN)].sum(axis=1), f[TFL]),
            "gmin_to_tfl_activation": _ratio(a[list(GMIN)].mean(axis=1), a[TFL]),
            "gmin_posterior_to_anterior_force": _ratio(f["gluteus_minimus_posterior"], f["gluteus_minimus_anterior"]),
            "gmin_posterior_to_anterior_activation": _ratio(a["gluteus_minimus_posterior"],
                                                            a["gluteus_minimus_anterior"]),
        })

    def top_groups(self, n: int = 3, by: str = "force_n") -> dict[str, list[str]]:
        """Each exercise's ``n`` most loaded fibre groups by ``force_n`` or ``activation`` (groups without
        load left out, so the list may be shorter)."""
        wide = self.wide(by)
        out = {}
        for e in wide.index:
            row = wide.loc[e]
            out[e] = list(row[row > 0.0].sort_values(ascending=False, kind="stable").index[:n])
        return out

    @property
    def beyond_muscles(self) -> dict[str, bool]:
        """Per exercise: True when reserve actuators carry part of it (its loads are not the muscles' own)."""
        return {n: r.beyond_muscles for n, r in self.results.items()}


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    out = []
    for x, y in zip(num.to_numpy(), den.to_numpy(), strict=True):
        if y > 1e-9:
            out.append(float(x / y))
        else:
            out.append(math.inf if x > 1e-9 else math.nan)
    return pd.Series(out, index=num.index)


@validated(COMPARE_PARAMS)
def compare_exercises(names: Sequence[str] | None = None, model: Model | str | None = None, side: str = "r",
                      subject: Subject | None = None, resistance_n: float | None = None,
                      ankle_weight_kg: float = 0.0, step_height_m: float = 0.20,
                      exponent: float | str = 2, passive_joint_moments: bool = True) -> ExerciseComparison:
    """Solve ``names`` (default: every exercise of :data:`hipsim.EXERCISES`) on one model and compare the
    fibre loads of the targeted hip (``side``).

    ``resistance_n`` goes to the band exercises only (not given: each takes its default band); the
    other arguments are as in :func:`hipsim.exercise`. Returns an :class:`ExerciseComparison`: its
    ``table`` (per exercise and fibre group: force, activation and ranks), ``ranking``, ``selectivity``
    and the task results.
    """
    chosen = list(EXERCISES) if names is None else list(names)
    for n in chosen:
        if n not in EXERCISES:
            raise input_error("argument", "names", n, f"use exercises of hipsim.EXERCISES ({', '.join(EXERCISES)})")
    if len(set(chosen)) != len(chosen):
        raise input_error("argument", "names", chosen, "name each exercise once")
    if resistance_n is not None and not any(EXERCISES[n].band for n in chosen):
        raise input_error("argument", "resistance_n", resistance_n, "none of the chosen exercises has a band; "
                          f"include {' or '.join(n for n, e in EXERCISES.items() if e.band)}")
    if isinstance(model, (str, type(None))):
        from hipsim.model import load_model
        model = load_model("default" if model is None else model)
    results: dict[str, TaskResult] = {}
    for n in chosen:
        results[n] = exercise(n, model, side=side, subject=subject, ankle_weight_kg=ankle_weight_kg,
                              resistance_n=resistance_n if EXERCISES[n].band else None,
                              step_height_m=step_height_m, exponent=exponent,
                              passive_joint_moments=passive_joint_moments)
    rows = []
    for n, r in results.items():
        m = r.model
        for g in COMPARED_GROUPS:
            i = m.muscle_index(f"{g}_{side}")
            rows.append({"exercise": n, "fibre_group": g, "force_n": float(r.muscle_forces[0, i]),
                         "activation": float(r.activations[0, i])})
    table = pd.DataFrame(rows)
    for q in ("force_n", "activation"):
        table[f"{q.split('_')[0]}_rank"] = table.groupby("fibre_group")[q].rank(ascending=False,
                                                                                 method="min").astype(int)
    notes = [f"{n}: beyond the muscles ({r.feasibility.joints_text()}); its loads are capped at full activation"
             for n, r in results.items() if r.beyond_muscles]
    comp = ExerciseComparison(results=results, table=table, side=side, model_name=model.name, notes=())
    sel = comp.selectivity
    for col in sel.columns:
        for n, v in sel[col].items():
            if not math.isfinite(v):
                why = "undefined (both zero)" if math.isnan(v) else "infinite (zero denominator)"
                notes.append(f"{n}: {col} is {why}")
    return ExerciseComparison(results=results, table=table, side=side, model_name=model.name, notes=tuple(notes))


# --------------------------------------------------------------------------- published EMG

@dataclass(frozen=True)
class EMGValue:
    """One published EMG value: ``study`` (key of :data:`EMG_STUDIES`), the muscle ``segment`` as a
    hipsim fibre group (or ``gluteus_medius`` for a surface electrode over the whole muscle), the
    hipsim ``exercise`` it corresponds to, the value (% of maximal voluntary isometric contraction),
    the statistic (median or mean) and what the study called the exercise."""

    study: str
    segment: str
    exercise: str
    pct_mvic: float
    statistic: str
    as_named: str
    limb: str = "targeted"


#: The studies, cited in full; ``read_in`` says where the values were read.
EMG_STUDIES: Mapping[str, dict[str, str]] = {
    "moore2019_gmin": {
        "citation": "Moore D, Semciw AI, McClelland J, Wajswelner H, Pizzari T (2019) Rehabilitation exercises for "
                    "the gluteus minimus muscle segments: an electromyography study. J Sport Rehabil 28(6):544-551",
        "method": "fine-wire EMG, anterior and posterior segments, 10 healthy young adults, median %MVIC",
        "read_in": "the abstract (PubMed 29584533), which gives the values of 40 % MVIC or more only",
    },
    "moore2019_gmed": {
        "citation": "Moore D, Pizzari T, McClelland J, Semciw AI (2019) Rehabilitation exercises for the gluteus "
                    "medius muscle segments: an electromyography study. J Sport Rehabil 28(8), "
                    "doi:10.1123/jsr.2018-0340",
        "method": "fine-wire EMG, anterior, middle and posterior segments, 10 healthy young adults, median %MVIC",
        "read_in": "the abstract (PubMed 30747561), which gives the values of 40 % MVIC or more only (none for the "
                   "middle segment)",
    },
    "distefano2009": {
        "citation": "Distefano LJ, Blackburn JT, Marshall SW, Padua DA (2009) Gluteal muscle activation during "
                    "common therapeutic exercises. J Orthop Sports Phys Ther 39(7):532-540",
        "method": "surface EMG of gluteus medius, mean %MVIC",
        "read_in": "the abstract: side-lying hip abduction 81 +- 42, the two hip clams 40 +- 38 and 38 +- 29",
    },
    "boren2011": {
        "citation": "Boren K, Conrey C, Le Coguic J, Paprocki L, Voight M, Robinson TK (2011) Electromyographic "
                    "analysis of gluteus medius and gluteus maximus during rehabilitation exercises. Int J Sports "
                    "Phys Ther 6(3):206-223",
        "method": "surface EMG of gluteus medius, mean %MVIC",
        "read_in": "secondary reports of its results (baseballstrength.org: side plank with abduction 103.1 with the "
                   "measured leg at the bottom, 88.8 at the top; activeptblog 2013: clam 1, hips 45 degrees, 47)",
    },
    "selkowitz2013": {
        "citation": "Selkowitz DM, Beneck GJ, Powers CM (2013) Which exercises target the gluteal muscles while "
                    "minimizing activation of the tensor fascia lata? Electromyographic assessment using fine-wire "
                    "electrodes. J Orthop Sports Phys Ther 43(2):54-64",
        "method": "fine-wire EMG of gluteus medius, superior gluteus maximus and TFL; gluteal-to-TFL index",
        "read_in": "the abstract: the index ranged from 18 to 115 over 11 exercises and was highest for the clam",
    },
}

#: Published EMG values for the modelled exercises, as read (see :data:`EMG_STUDIES`).
EMG_VALUES: tuple[EMGValue, ...] = (
    EMGValue("moore2019_gmin", "gluteus_minimus_anterior", "resisted_abduction_extension", 51.0, "median",
             "resisted hip abduction-extension"),
    EMGValue("moore2019_gmin", "gluteus_minimus_posterior", "side_lying_abduction", 43.0, "median",
             "side-lie hip abduction"),
    EMGValue("moore2019_gmin", "gluteus_minimus_posterior", "resisted_abduction_extension", 43.0, "median",
             "resisted hip abduction-extension"),
    EMGValue("moore2019_gmin", "gluteus_minimus_posterior", "single_leg_squat", 40.0, "median", "single-leg squat"),
    EMGValue("moore2019_gmed", "gluteus_medius_anterior", "single_leg_squat", 48.0, "median", "single-leg squat"),
    EMGValue("moore2019_gmed", "gluteus_medius_anterior", "resisted_abduction_extension", 41.0, "median",
             "resisted hip abduction-extension"),
    EMGValue("moore2019_gmed", "gluteus_medius_posterior", "resisted_abduction_extension", 69.0, "median",
             "resisted hip abduction-extension"),
    EMGValue("moore2019_gmed", "gluteus_medius_posterior", "single_leg_squat", 48.0, "median", "single-leg squat"),
    EMGValue("moore2019_gmed", "gluteus_medius_posterior", "side_lying_abduction", 43.0, "median",
             "side-lie hip abduction"),
    EMGValue("distefano2009", "gluteus_medius", "side_lying_abduction", 81.0, "mean", "side-lying hip abduction"),
    EMGValue("distefano2009", "gluteus_medius", "clamshell", 40.0, "mean", "hip clam (the higher of the two clams)"),
    EMGValue("boren2011", "gluteus_medius", "side_plank_abduction", 103.1, "mean",
             "side plank abduction, measured leg at the bottom"),
    EMGValue("boren2011", "gluteus_medius", "side_plank_abduction", 88.8, "mean",
             "side plank abduction, measured leg on top", limb="top"),
    EMGValue("boren2011", "gluteus_medius", "clamshell", 47.0, "mean", "clam 1 (hips 45 degrees)"),
)


def _hipsim_activation(result: TaskResult, segment: str, side: str) -> float:
    """hipsim's activation for an EMG segment: the group's own, or for a surface electrode over the
    whole gluteus medius its three parts' mean weighted by maximum isometric force (a surface signal
    sums the fibres under it)."""
    m = result.model
    if segment == "gluteus_medius":
        idx = [m.muscle_index(f"{g}_{side}") for g in GMED]
        w = m.max_isometric_forces[idx]
        return float(np.sum(w * result.activations[0, idx]) / w.sum())
    return float(result.activations[0, m.muscle_index(f"{segment}_{side}")])


#: Fewest values for which :func:`emg_validation` reports Spearman's p-value: scipy's t approximation
#: gives p = 0 for a perfect rank order of three values, whose exact two-sided p is 1/3.
MIN_N_FOR_P = 5


def emg_validation(comparison: ExerciseComparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """hipsim's activations beside the published EMG values of :data:`EMG_VALUES`.

    Returns (``values``, ``correlations``). ``values``: one row per EMG value with hipsim's activation of
    the same segment in the same exercise (for ``limb = "top"``, the other hip). ``correlations``: per study
    and segment (each study pooled over its segments, and the fine-wire studies pooled together), the
    number of modelled exercises, Spearman's rho and its p-value (:func:`scipy.stats.spearmanr`), and how
    many pairs of values (untied in the EMG) hipsim orders as the EMG does; with fewer than three values
    rho is not computed, with fewer than :data:`MIN_N_FOR_P` no p-value (NaN, with the reason in
    ``note``). Only exercises in ``comparison`` take part.
    """
    from scipy.stats import spearmanr
    side = comparison.side
    other = "l" if side == "r" else "r"
    rows = []
    for v in EMG_VALUES:
        if v.exercise not in comparison.results:
            continue
        r = comparison.results[v.exercise]
        rows.append({"study": v.study, "segment": v.segment, "exercise": v.exercise, "limb": v.limb,
                     "emg_pct_mvic": v.pct_mvic, "statistic": v.statistic, "as_named": v.as_named,
                     "hipsim_activation": _hipsim_activation(r, v.segment, side if v.limb == "targeted" else other)})
    values = pd.DataFrame(rows)
    groups: list[tuple[str, str, pd.DataFrame]] = []
    if not values.empty:
        targeted = values[values.limb == "targeted"]
        for (study, seg), d in targeted.groupby(["study", "segment"], sort=False):
            groups.append((str(study), str(seg), d))
        for study, d in targeted.groupby("study", sort=False):
            if d.segment.nunique() > 1:
                groups.append((str(study), "all segments (pooled)", d))
        fine = [k for k, s in EMG_STUDIES.items() if s["method"].startswith("fine-wire")]
        d = targeted[targeted.study.isin(fine)]
        if d.study.nunique() > 1:
            groups.append((" + ".join(dict.fromkeys(d.study)), "all segments (pooled)", d))
    out = []
    for study, seg, d in groups:
        n = len(d)
        e, h = d.emg_pct_mvic.to_numpy(), d.hipsim_activation.to_numpy()
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if e[i] != e[j]]
        same = sum(1 for i, j in pairs if (e[i] - e[j]) * (h[i] - h[j]) > 0)
        if n >= 3 and d.emg_pct_mvic.nunique() > 1 and d.hipsim_activation.nunique() > 1:
            res = spearmanr(d.emg_pct_mvic, d.hipsim_activation)
            rho, p, note = float(res.statistic), float(res.pvalue), ""
            if n < MIN_N_FOR_P:
                p, note = math.nan, f"fewer than {MIN_N_FOR_P} values: no p-value (scipy's approximation fails)"
        else:
            rho, p = math.nan, math.nan
            note = "fewer than three modelled exercises: no rank correlation" if n < 3 else "no spread to rank"
        what = d.exercise if d.segment.nunique() == 1 else [f"{SHORT_LABELS.get(g, g)}: {x}"
                                                              for g, x in zip(d.segment, d.exercise, strict=True)]
        out.append({"study": study, "segment": seg, "n": n, "exercises": ", ".join(what),
                    "spearman_rho": rho, "p_value": p, "pairs_in_emg_order": f"{same} of {len(pairs)}",
                    "note": note})
    return values, pd.DataFrame(out)


def tfl_selectivity_check(comparison: ExerciseComparison) -> dict[str, Any]:
    """Selkowitz et al. (2013) found the clam's gluteal-to-TFL activation index the highest of 11
    exercises. hipsim's counterpart: each exercise's gluteus medius activation (force-weighted mean of its
    parts) over the TFL's, and the clam's rank among the modelled exercises (1 = most selective)."""
    side = comparison.side
    ratios = {}
    for n, r in comparison.results.items():
        gmed = _hipsim_activation(r, "gluteus_medius", side)
        tfl = float(r.activations[0, r.model.muscle_index(f"{TFL}_{side}")])
        ratios[n] = gmed / tfl if tfl > 1e-9 else (math.inf if gmed > 1e-9 else math.nan)
    order = sorted((k for k in ratios if not math.isnan(ratios[k])), key=lambda k: -ratios[k])
    return {"gmed_to_tfl_activation": ratios, "order": order,
            "clamshell_rank": order.index("clamshell") + 1 if "clamshell" in order else None,
            "source": EMG_STUDIES["selkowitz2013"]["citation"]}


def comparison_markdown(comparison: ExerciseComparison, quantity: str = "force_n") -> str:
    """The comparison as a Markdown table (exercises x fibre groups), for the documentation."""
    wide = comparison.wide(quantity)
    fmt = (lambda x: f"{x:.0f}") if quantity == "force_n" else (lambda x: f"{100 * x:.0f} %")
    head = "| exercise | " + " | ".join(SHORT_LABELS.get(g, g) for g in wide.columns) + " |"
    lines = [head, "|" + "---|" * (len(wide.columns) + 1)]
    for e, row in wide.iterrows():
        flag = " (beyond the muscles)" if comparison.results[str(e)].beyond_muscles else ""
        lines.append(f"| {e}{flag} | " + " | ".join(fmt(x) for x in row) + " |")
    return "\n".join(lines)


def describe(comparison: ExerciseComparison) -> dict[str, Any]:
    """A JSON-ready summary: model, side, the table, the ranking, the selectivity ratios and the notes."""
    sel = comparison.selectivity
    return {
        "model": comparison.model_name, "side": comparison.side,
        "force_n": comparison.wide("force_n").round(3).to_dict(orient="index"),
        "activation": comparison.wide("activation").round(5).to_dict(orient="index"),
        "ranking_by_force": comparison.ranking.to_dict(orient="list"),
        "selectivity": {e: {k: (None if not math.isfinite(v) else round(float(v), 4)) for k, v in row.items()}
                        for e, row in sel.iterrows()},
        "top3_by_force": comparison.top_groups(3, "force_n"),
        "top3_by_activation": comparison.top_groups(3, "activation"),
        "beyond_muscles": comparison.beyond_muscles,
        "notes": list(comparison.notes),
    }
