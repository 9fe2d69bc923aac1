"""Scenario reports: summary.json, the long fibre table, OpenSim files, plots, and a one-screen table.

Every file is written atomically. Every report carries the caveat: hipsim computes
mechanical loads and does not diagnose.
"""
from __future__ import annotations

import errno
import json
import math
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hipsim.analysis.metrics import ASSOCIATED, FIBRE_GROUPS, NEGLIGIBLE_FRACTION
from hipsim.scenarios.runner import ScenarioResult
from hipsim.errors import InputError
from hipsim.fileio import atomic_write_text
from hipsim.tasks.result import TaskResult

DISCLAIMER = ("hipsim computes mechanical loads (forces, lengths, activations, pressures) from a published "
              "musculoskeletal model. It does not diagnose, and no validated model turns these loads into "
              "trigger points: the trigger-point indices are a mechanical surrogate for teaching and reasoning.")

SUMMARY_METRICS = ("peak_activation", "mean_activation", "peak_force_n", "mean_force_n", "peak_stress_kpa",
                   "impulse_ns", "impulse_per_day_ns", "longest_sustained_s", "sustained_bout_s",
                   "mean_norm_fiber_length", "time_shortened_frac", "time_stretched_frac", "time_held_shortened_frac",
                   "time_held_stretched_frac", "lengthening_work_j_per_day", "compression_kpa_s")


#: How summary.json writes what JSON cannot hold.
JSON_CONVENTIONS = ("SI units as the keys name them; numbers rounded to 6 significant digits; a non-finite number "
                    "(an infinite or undefined load) is written as null and named in 'warnings'; a % change that "
                    "is negligible is null and listed under 'negligible_vs_baseline', one that rose from a "
                    "negligible baseline is null and listed under 'new_vs_baseline'")


def _num(x: Any) -> Any:
    """JSON-safe number: floats rounded to 6 significant digits; infinities as None."""
    if isinstance(x, (np.floating, float)):
        x = float(x)
        if not math.isfinite(x):
            return None
        return float(f"{x:.6g}")
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.ndarray):
        return [_num(v) for v in x.tolist()]
    if isinstance(x, dict):
        return {k: _num(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_num(v) for v in x]
    return x


#: The run table's columns and what each means (printed as its legend).
RUN_TABLE_COLUMNS: dict[str, str] = {
    "fibres": "fibre group: one part of a muscle (GMin gluteus minimus, GMed gluteus medius, TFL tensor "
              "fasciae latae; ant/mid/post its anterior, middle, posterior part)",
    "side": "r right, l left",
    "peak act": "peak activation in the scenario, 0 (silent) to 1 (fully active)",
    "peak F (N)": "peak force along the tendon in the scenario, newtons",
    "dF": "change of the peak force against the baseline, %",
    "d impulse/day": "change of the daily force-time impulse (force integrated over a hold or gait cycle, times "
                     "the holds or cycles per day, N s/day) against the baseline, %",
    "fibre L/Lopt": "mean fibre length in the scenario over its optimal length (1 = the top of the "
                    "force-length curve; no unit)",
    "dL": "change of that mean fibre length against the baseline, %",
}
#: What the change columns print besides a percentage.
RUN_TABLE_SYMBOLS = ('"new": the baseline had (next to) none of it; "negl.": a change below '
                     f"{100 * NEGLIGIBLE_FRACTION:g} % of the muscle's full scale (F0 for a force), too small to "
                     "state as a percentage")


def _feasibility(res: TaskResult) -> dict[str, Any]:
    return res.feasibility.to_dict()


def _non_finite_loads(res: TaskResult, base: TaskResult) -> list[str]:
    """Warnings for hip contact forces that are not finite numbers (written as null)."""
    return [f"{case}: the {'right' if s == 'r' else 'left'} hip contact force is not a finite number in some "
            "frames (written as null): the model or its loads are outside what the mechanics can handle"
            for case, r in (("baseline", base), ("scenario", res)) for s in ("r", "l")
            if not np.all(np.isfinite(r.hip_contact_force_ground[s]))]


def _strength(res: TaskResult) -> dict[str, float]:
    m = res.model
    return {n: float(s) for n, s in zip(m.muscle_names, m.strength, strict=True) if s != 1.0}


def _hcf(res: TaskResult) -> dict[str, dict[str, float]]:
    bw = res.hip_contact_force_bw
    return {s: {"peak": float(bw[s].max()), "mean": float(bw[s].mean())} for s in ("r", "l")}


def summary(result: ScenarioResult) -> dict[str, Any]:
    """The content of summary.json."""
    spec = result.spec
    res, base = result.scenario, result.baseline
    muscles: dict[str, Any] = {}
    for _, row in result.metrics.iterrows():
        name = f"{row.muscle}_{row.side}"
        entry = {k: row[k] for k in SUMMARY_METRICS}
        entry["baseline"] = {k: row[f"{k}_baseline"] for k in SUMMARY_METRICS}
        # hipsim.analysis.metrics.pct_change: null where the change is negligible (listed below)
        entry["pct_change_vs_baseline"] = {k: None if row[f"{k}_negligible"] else row[f"{k}_pct_change"]
                                           for k in SUMMARY_METRICS}
        entry["negligible_vs_baseline"] = [k for k in SUMMARY_METRICS if row[f"{k}_negligible"]]
        # A rise from a negligible baseline has no finite percentage: say so by name.
        entry["new_vs_baseline"] = [k for k in SUMMARY_METRICS
                                    if not row[f"{k}_negligible"] and np.isposinf(row[f"{k}_pct_change"])]
        muscles[name] = entry
    reserves = {c: {"peak_abs_nm": float(np.abs(res.reserves[:, j]).max()),
                    "baseline_peak_abs_nm": float(np.abs(base.reserves[:, j]).max())}
                for j, c in enumerate(res.reserve_coordinates)}
    out: dict[str, Any] = {
        "scenario": spec.name,
        "title": spec.title,
        "task": spec.task,
        "source": spec.source,
        "subject": {"mass_kg": res.subject.mass_kg, "height_m": res.subject.height_m},
        "model": res.model.name,
        "modifiers": [{"type": m.type, **m.values} for m in spec.modifiers],
        "baseline_modifiers": [{"type": m.type, **m.values} for m in spec.baseline_modifiers],
        # The strength each muscle ran at (fraction of normal), where it is not 1.
        "strength": _strength(res),
        "baseline_strength": _strength(base),
        "hip_contact_force_bw": _hcf(res),
        "baseline_hip_contact_force_bw": _hcf(base),
        # Whether the muscles can produce those forces (hipsim.tasks.result.Feasibility).
        "feasible": res.feasibility.feasible and base.feasibility.feasible,
        "feasibility": _feasibility(res),
        "baseline_feasibility": _feasibility(base),
        "muscles": muscles,
        "reserves": reserves,
        "derived": result.derived,
        "warnings": list(result.warnings) + _non_finite_loads(res, base),
        "disclaimer": DISCLAIMER,
    }
    idx = result.indices
    keep = [c for c in idx.columns if c not in ("muscle", "side")]
    out["trigger_point_load_indices"] = {f"{r.muscle}_{r.side}": {c: r[c] for c in keep}
                                        for _, r in idx.iterrows()}
    from hipsim.analysis.trigger_points import NAMING_RULE
    out["trigger_point_naming_rule"] = NAMING_RULE
    out["json_conventions"] = JSON_CONVENTIONS
    return _num(out)


def fibre_table(result: ScenarioResult) -> pd.DataFrame:
    """Long table: one row per case x frame x muscle part x side."""
    frames = []
    for case, res in (("baseline", result.baseline), ("scenario", result.scenario)):
        m = res.model
        lengths = m.muscle_lengths(res.q)
        for base in FIBRE_GROUPS + ASSOCIATED:
            for side in ("r", "l"):
                i = m.muscle_index(f"{base}_{side}")
                lf = np.sqrt(np.maximum(lengths[:, i] - m.tendon_slack_lengths[i], 0.0) ** 2
                             + (m.optimal_fiber_lengths[i] * np.sin(m.pennation_angles[i])) ** 2)
                frames.append(pd.DataFrame({
                    "case": case, "frame": np.arange(res.n_frames), "time_s": res.time,
                    "percent_cycle": res.percent if res.percent is not None else np.nan,
                    "muscle": base, "side": side, "activation": res.activations[:, i],
                    "force_n": res.muscle_forces[:, i], "norm_fiber_length": lf / m.optimal_fiber_lengths[i]}))
    return pd.concat(frames, ignore_index=True)


#: errno values that mean the user's target cannot take the results (full disk, quota, no permission,
#: read-only file system): an input error naming the path, not an internal error.
_UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def _sweep_stale(target: Path) -> None:
    """Clean up after a run killed while writing ``target``: remove its temporary folders, and put
    back a previous set that was renamed away but not replaced (the target is then missing)."""
    parent = target.parent
    olds = sorted(parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not target.exists():
        os.replace(olds.pop(), target)
    for stale in [*parent.glob(f".{target.name}.tmp-*"), *olds]:
        shutil.rmtree(stale, ignore_errors=True)


def write_outputs(result: ScenarioResult, out_dir: str | Path, plots: bool = True) -> list[Path]:
    """Write summary.json, fibres.csv, OpenSim .sto files and PNG plots into ``out_dir`` as one set.

    The files are written into a temporary folder beside ``out_dir`` (``.NAME.tmp-XXXX``), which
    then replaces ``out_dir`` by renames (the old set is renamed away, the new one in, the old one
    deleted), so an interrupted run leaves either the old complete set or the new complete set,
    never a mix. Leftovers of a killed run are cleaned up by the next one. A full disk or an
    unwritable target is an :class:`~hipsim.errors.InputError` naming the path; the old set stays.
    """
    target = Path(out_dir)
    tmp: Path | None = None
    old: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target)
        tmp = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
        tmp.mkdir()
        names = [p.name for p in _write_files(result, tmp, plots)]
        if target.exists():
            old = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
            os.replace(target, old)
        os.replace(tmp, target)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and not target.exists():
                os.replace(old, target)  # interrupted between the two renames: the old set goes back
            old = None
        if isinstance(exc, OSError) and exc.errno in _UNWRITABLE:
            raise InputError(f"{target}: hipsim could not write the results ({exc.strerror}: "
                             f"{exc.filename or target}); nothing of this scenario was written and any "
                             "previous results there are unchanged; free some space or choose another --out.",
                             source=str(target), key="--out", value=str(target)) from None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return [target / n for n in names]


def _write_files(result: ScenarioResult, out: Path, plots: bool) -> list[Path]:
    """Write every file of a scenario's set into the folder ``out``."""
    from hipsim.report.plots import plot_activation, plot_change_bars, plot_frontal, save_figure
    written = [atomic_write_text(out / "summary.json", json.dumps(summary(result), indent=2) + "\n"),
               atomic_write_text(out / "fibres.csv", fibre_table(result).to_csv(index=False))]
    written += result.scenario.to_sto(out, prefix="scenario_")
    written += result.baseline.to_sto(out, prefix="baseline_")
    if plots:
        spec = result.spec
        side = result.scenario.parameters.get("side", "r")
        written.append(save_figure(plot_activation(result.baseline, result.scenario, side=side,
                                                   title=f"{spec.title}: activation"), out / "activation.png"))
        metric = "impulse_per_day_ns" if spec.task != "sitting" else "mean_norm_fiber_length"
        written.append(save_figure(plot_change_bars(result.metrics, metric, title=spec.title), out / "change.png"))
        frame = int(np.argmax(result.scenario.hip_contact_force_bw["r"].to_numpy()))
        written.append(save_figure(plot_frontal(result.scenario, frame, title=spec.title), out / "frontal.png"))
        from hipsim.analysis.trigger_points import body_chart_change_pct
        from hipsim.report.bodychart import save_body_chart
        chart_metric = "impulse_per_day_ns" if spec.task != "sitting" else "compression_kpa_s"
        written.append(save_body_chart(out / "body_chart.png", body_chart_change_pct(result.metrics, chart_metric),
                                       title=f"{spec.title} ({chart_metric.replace('_', ' ')})"))
    return written


def print_legend(console=None) -> None:
    """The run table's legend: one line per column (:data:`RUN_TABLE_COLUMNS`)."""
    from rich.console import Console
    console = console or Console()
    width = max(len(c) for c in RUN_TABLE_COLUMNS)
    console.print("[dim]columns:[/dim]")
    for col, text in RUN_TABLE_COLUMNS.items():
        console.print(f"[dim]  {col:<{width}}  {text}[/dim]", highlight=False)
    console.print(f"[dim]  {RUN_TABLE_SYMBOLS}[/dim]", highlight=False)


def print_caveats(console=None) -> None:
    """How a trigger-point factor is named, the trigger-point caveat and the disclaimer (once per command)."""
    from rich.console import Console
    from hipsim.analysis.trigger_points import CAVEAT, NAMING_RULE
    console = console or Console()
    console.print(f"[dim]{NAMING_RULE}[/dim]")
    console.print(f"[dim]{CAVEAT}[/dim]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def print_summary(result: ScenarioResult, console=None, *, legend: bool = True, caveats: bool = True) -> None:
    """One screen: hip contact forces and whether the muscles can produce them, the fibre groups'
    changes, derived values, warnings; with ``legend`` the table's legend, with ``caveats`` the
    trigger-point caveat and the disclaimer (a command printing several scenarios prints those once)."""
    from rich.console import Console
    from rich.table import Table
    from hipsim.analysis.trigger_points import CAVEAT
    console = console or Console()
    spec = result.spec
    s = summary(result)
    console.print(f"[bold]{spec.title}[/bold]  ({spec.name}: {spec.task}, "
                  f"{s['subject']['mass_kg']:.1f} kg, {s['subject']['height_m']:.2f} m)")
    h, hb = s["hip_contact_force_bw"], s["baseline_hip_contact_force_bw"]
    beyond = [(case, res.feasibility) for case, res in (("baseline", result.baseline), ("scenario", result.scenario))
              if res.feasibility.beyond_muscles]
    verdict = ""
    if beyond:
        verdict = (f" [bold red]beyond the muscles[/bold red] ({' and '.join(c for c, _ in beyond)}): not forces "
                   "the muscles can produce")
    console.print(f"hip contact force, peak (BW): right {hb['r']['peak']:.2f} -> {h['r']['peak']:.2f}, "
                  f"left {hb['l']['peak']:.2f} -> {h['l']['peak']:.2f}{verdict}", highlight=False)
    for case, f in beyond:
        console.print(f"  {case}: reserve actuators carry {f.joints_text()}", highlight=False)
    from hipsim.report.plots import LABELS
    t = Table(box=None, pad_edge=False)
    for col in RUN_TABLE_COLUMNS:
        t.add_column(col, justify="right" if col not in ("fibres", "side") else "left", no_wrap=True)
    m = result.metrics
    for _, r in m[m.muscle.isin(FIBRE_GROUPS)].iterrows():
        t.add_row(LABELS.get(r.muscle, r.muscle), r.side, f"{r.peak_activation:.2f}", f"{r.peak_force_n:.0f}",
                  _pct(r.peak_force_n_pct_change, r.peak_force_n_negligible),
                  _pct(r.impulse_per_day_ns_pct_change, r.impulse_per_day_ns_negligible),
                  f"{r.mean_norm_fiber_length:.2f}",
                  _pct(r.mean_norm_fiber_length_pct_change, r.mean_norm_fiber_length_negligible))
    console.print(t)
    if legend:
        print_legend(console)
    for k, v in result.derived.items():
        console.print(f"{k}: {_num(_brief(v))}")
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    from hipsim.analysis.trigger_points import summarise_indices
    for line in summarise_indices(result.indices, max_lines=3):
        if line != CAVEAT:
            console.print(line)
    if caveats:
        print_caveats(console)


def _brief(v: Any) -> Any:
    """A derived value for the terminal: a curve (a list of more than 8 numbers) is named, not
    printed; summary.json keeps it."""
    if isinstance(v, dict):
        return {k: _brief(x) for k, x in v.items()}
    if isinstance(v, list) and len(v) > 8:
        return f"{len(v)} values in summary.json"
    return v


def _pct(v: float, negligible: bool) -> str:
    from hipsim.analysis.metrics import format_pct_change
    return format_pct_change(v, negligible)
