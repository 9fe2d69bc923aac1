"""A finished study's summary: Sobol indices (SALib) with confidence intervals, and its pictures.

``summary.json`` holds the sample count, how many samples were solved, and for a saltelli
design the first-order (``S1``) and total (``ST``) Sobol indices of each output with their 95 %
confidence half-widths (``S1_conf``, ``ST_conf``; SALib's bootstrap, 100 resamples, seeded by the
study's seed). Outputs: each fibre metric of ``outputs.sobol_metrics`` per fibre group on the
stance side, and the hip contact force (N) of that side. An output that did not vary, or whose
samples were not all solved, has no indices; the summary says why.

Pictures: ``sobol_indices.png`` (bars per output) and ``distributions.png`` (the spread of each
fibre group's peak force, scenario against baseline).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hipsim.anatomy import FIBRE_GROUPS, label
from hipsim.fileio import atomic_open, atomic_write_text
from hipsim.studies.schema import StudySpec

CONF_LEVEL = 0.95
RESAMPLES = 100


def _stance_sides(spec: StudySpec) -> tuple[str, ...]:
    if spec.task in ("single_leg_stance",):
        return (str(spec.scenario_data.get("task", {}).get("side", "r")),)
    return ("r", "l")


def outputs(spec: StudySpec, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-sample output vectors (in design order) by name, e.g. ``peak_force_n:gluteus_minimus_anterior_r``."""
    out: dict[str, np.ndarray] = {}
    n = spec.n_runs
    for side in _stance_sides(spec):
        rows = table[table.side == side]
        for metric in spec.outputs["sobol_metrics"]:
            for g in FIBRE_GROUPS:
                r = rows[rows.muscle == g].sort_values("sample")
                y = np.full(n, np.nan)
                y[r["sample"].to_numpy()] = r[metric].to_numpy(dtype=float)
                out[f"{metric}:{g}_{side}"] = y
        r = rows[rows.muscle == FIBRE_GROUPS[0]].sort_values("sample")
        y = np.full(n, np.nan)
        y[r["sample"].to_numpy()] = r["hip_contact_force_n"].to_numpy(dtype=float)
        out[f"hip_contact_force_n:{side}"] = y
    return out


def sobol(spec: StudySpec, table: pd.DataFrame) -> tuple[dict[str, Any], dict[str, str]]:
    """Sobol indices of every output (SALib.analyze.sobol), and why an output has none."""
    problem = spec.problem()
    result: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name, y in outputs(spec, table).items():
        if not np.isfinite(y).all():
            skipped[name] = f"{int((~np.isfinite(y)).sum())} of {y.size} samples have no result"
            continue
        if np.ptp(y) <= 1e-9 * max(1.0, float(np.abs(y).max())):
            skipped[name] = "the output did not vary"
            continue
        result[name] = {"parameters": spec.names, **sobol_indices(problem, y, spec.seed),
                        "variance": float(np.var(y)), "mean": float(np.mean(y))}
    return result, skipped


def sobol_indices(problem: dict[str, Any], y: np.ndarray, seed: int) -> dict[str, list[float]]:
    """First-order and total Sobol indices of outputs ``y`` of a saltelli design (SALib's
    estimators: Saltelli et al. 2010 for S1, Jansen 1999 for ST) with bootstrap confidence
    half-widths at :data:`CONF_LEVEL`."""
    from SALib.analyze import sobol as sobol_analyze  # type: ignore[import-untyped]
    si = sobol_analyze.analyze(problem, np.asarray(y, dtype=float), calc_second_order=False,
                               num_resamples=RESAMPLES, conf_level=CONF_LEVEL, seed=seed)
    return {k: [float(v) for v in si[k]] for k in ("S1", "S1_conf", "ST", "ST_conf")}


def summarise(spec: StudySpec, table: pd.DataFrame, folder: Path) -> dict[str, Any]:
    """Write summary.json and the pictures into ``folder``; return the summary."""
    status = table.drop_duplicates("sample")
    summary: dict[str, Any] = {
        "study": spec.name, "title": spec.title, "scenario": str(spec.scenario_path.name),
        "design": spec.design, "seed": spec.seed, "samples": spec.n_runs,
        "parameters": [{"key": p.key, "label": parameter_label(spec, p.key),
                        "distribution": p.distribution, "low": p.low, "high": p.high,
                        **({"mean": p.mean, "sd": p.sd} if p.distribution == "normal" else {}),
                        **({"source": p.source} if p.source else {})} for p in spec.parameters],
        "status": {k: int(v) for k, v in status["status"].value_counts().items()},
        "status_baseline": {k: int(v) for k, v in status["status_baseline"].value_counts().items()},
        "beyond_muscles": {"scenario": int(status["beyond_muscles"].sum()),
                           "baseline": int(status["beyond_muscles_baseline"].sum()),
                           "meaning": "samples whose reserve actuators carried part of a joint moment: the muscles "
                                      "cannot hold that posture, and its forces are not ones they can produce"},
        "rows": len(table),
    }
    if spec.design["type"] == "saltelli":
        idx, skipped = sobol(spec, table)
        summary["sobol"] = {"conf_level": CONF_LEVEL, "resamples": RESAMPLES, "indices": idx, "skipped": skipped}
    atomic_write_text(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    plot_distributions(spec, table, folder / "distributions.png")
    if summary.get("sobol", {}).get("indices"):
        plot_sobol(summary, folder / "sobol_indices.png")
    return summary


def parameter_label(spec: StudySpec, key: str) -> str:
    """A parameter in words for pictures: ``body mass (kg)``, ``carry mass (kg)``, ``gluteus medius strength``."""
    p = next(q for q in spec.parameters if q.key == key)
    t = p.target
    unit = f" ({p.rule.unit})" if p.rule.unit else ""
    words = t.name
    for suffix in ("_kg", "_deg", "_m", "_s", "_cm"):
        words = words.removesuffix(suffix)
    words = words.replace("_", " ")
    if t.kind == "subject":
        return f"body {words}{unit}"
    if t.kind == "modifier":
        mods = spec.scenario_data.get("baseline", {}).get("modifiers", []) if t.where.startswith("baseline") \
            else spec.scenario_data.get("modifiers", [])
        return f"{'baseline ' if t.where.startswith('baseline') else ''}{mods[t.index]['type']} {words}{unit}"
    if t.kind == "strength":
        return f"{words} strength"
    if t.kind == "max_isometric_force_n":
        return f"{words} F0 (N)"
    if t.kind == "attachment_offset_mm":
        return f"{words} {t.end} {'xyz'[t.axis]} (mm)"
    return f"{words}{unit}"


def _short(name: str) -> str:
    metric, _, what = name.partition(":")
    if metric == "hip_contact_force_n":
        return f"hip contact force ({what})"
    side = what[-1]
    return f"{label(what[:-2])} ({side}), {metric.replace('_', ' ')}"


def plot_sobol(summary: dict[str, Any], path: Path) -> None:
    """Bars of first-order and total indices with their confidence intervals, one panel per output."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    idx = summary["sobol"]["indices"]
    names = list(idx)
    cols = 2
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False, sharey=True)
    for ax, name in zip(axes.flat, names, strict=False):
        d = idx[name]
        x = np.arange(len(d["parameters"]))
        ax.bar(x - 0.2, d["S1"], 0.4, yerr=d["S1_conf"], label="first order S1", color="#4c72b0", capsize=3)
        ax.bar(x + 0.2, d["ST"], 0.4, yerr=d["ST_conf"], label="total ST", color="#dd8452", capsize=3)
        labels = {q["key"]: q["label"] for q in summary["parameters"]}
        ax.set_xticks(x, [labels[p] for p in d["parameters"]], fontsize=7, rotation=20)
        ax.set_title(_short(name), fontsize=9)
        ax.axhline(0, color="k", lw=0.5)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Sobol indices: {summary['title']} ({summary['samples']:,} samples, "
                 f"{int(100 * summary['sobol']['conf_level'])} % confidence intervals)", fontsize=10)
    fig.tight_layout()
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


def plot_distributions(spec: StudySpec, table: pd.DataFrame, path: Path) -> None:
    """Histograms of each fibre group's peak force on the stance side: scenario and baseline."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    side = _stance_sides(spec)[0]
    rows = table[(table.side == side) & (table.status == "ok") & (table.status_baseline == "ok")]
    fig, axes = plt.subplots(2, 4, figsize=(12, 5.2))
    panels = [*FIBRE_GROUPS, None]
    for ax, g in zip(axes.flat, panels, strict=True):
        if g is None:
            r = rows[rows.muscle == FIBRE_GROUPS[0]]
            s, b, title, unit = r.hip_contact_force_bw, r.hip_contact_force_bw_baseline, "hip contact force", "BW"
        else:
            r = rows[rows.muscle == g]
            s, b, title, unit = r.peak_force_n, r.peak_force_n_baseline, label(g), "N"
        bins = np.histogram_bin_edges(np.concatenate([s, b]), bins=40) if len(r) else 10
        ax.hist(b, bins=bins, alpha=0.6, label="baseline", color="#8c8c8c")
        ax.hist(s, bins=bins, alpha=0.6, label="scenario", color="#c44e52")
        ax.set_title(f"{title} ({side})", fontsize=9)
        ax.set_xlabel(f"peak force ({unit})" if g else f"peak ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{spec.title}: {rows['sample'].nunique():,} samples", fontsize=10)
    fig.tight_layout()
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
