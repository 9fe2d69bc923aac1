"""``report.html``: one scenario on one page for a clinician: what was simulated, the hip contact
force and whether the muscles can produce it, the pictures ``hipsim run`` drew, the fibre-group
table and the trigger-point table, the caveat and the disclaimer. Plain HTML, no script; the
pictures are the PNG files beside it. Written atomically.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from hipsim.fileio import atomic_write_text

__all__ = ["report_html", "write_report_html", "write_run_extras", "PICTURES"]

#: The pictures of a run, in page order, with what each shows.
PICTURES = (
    ("frontal.png", "The body from the front at the moment of the highest right hip contact force: fibre lines "
                    "coloured by activation on one fixed scale, each group's force against its maximum."),
    ("change.png", "Change of each fibre group's load against the baseline (right and left)."),
    ("activation.png", "Activation of every tracked fibre group, scenario against baseline."),
    ("body_chart.png", "Where the trigger points of these fibres refer pain, shaded by the change in load."),
)


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(rows: list[list[Any]], head: list[str]) -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def report_html(result: Any, folder: str | Path | None = None) -> str:
    """The page for a :class:`~hipsim.scenarios.runner.ScenarioResult` (pictures that exist in ``folder``)."""
    from hipsim.analysis.metrics import FIBRE_GROUPS, format_pct_change
    from hipsim.analysis.trigger_points import CAVEAT, summarise_indices
    from hipsim.anatomy import SHORT_LABELS
    from hipsim.report.summary import DISCLAIMER, summary
    spec = result.spec
    s = summary(result)
    h, hb = s["hip_contact_force_bw"], s["baseline_hip_contact_force_bw"]
    parts = [f"<h1>{_e(spec.title)}</h1>",
             f"<p class='disc'>{_e(DISCLAIMER)}</p>",
             f"<p>{_e(getattr(spec, 'description', ''))}</p>",
             f"<p>Scenario <code>{_e(spec.name)}</code>, task {_e(spec.task)}; subject "
             f"{s['subject']['mass_kg']:.1f} kg, {s['subject']['height_m']:.2f} m.</p>",
             "<h2>Hip contact force (peak, body weights)</h2>",
             _table([["right", f"{hb['r']['peak']:.2f}", f"{h['r']['peak']:.2f}"],
                     ["left", f"{hb['l']['peak']:.2f}", f"{h['l']['peak']:.2f}"]], ["hip", "baseline", "scenario"])]
    for case, res in (("baseline", result.baseline), ("scenario", result.scenario)):
        if res.feasibility.beyond_muscles:
            parts.append(f"<p class='beyond'>Beyond the muscles ({case}): reserve actuators carry "
                         f"{_e(res.feasibility.joints_text())}. These are not forces the muscles can produce.</p>")
    folder = Path(folder) if folder is not None else None
    for name, what in PICTURES:
        if folder is None or (folder / name).exists():
            parts.append(f"<figure><img src='{name}' alt='{_e(what)}'><figcaption>{_e(what)}</figcaption></figure>")
    m = result.metrics
    rows = []
    for _, r in m[m.muscle.isin(FIBRE_GROUPS)].iterrows():
        rows.append([SHORT_LABELS.get(r.muscle, r.muscle), "right" if r.side == "r" else "left",
                     f"{r.peak_activation:.2f}", f"{r.peak_force_n:.0f}",
                     format_pct_change(r.peak_force_n_pct_change, r.peak_force_n_negligible),
                     f"{r.impulse_per_day_ns:.0f}",
                     format_pct_change(r.impulse_per_day_ns_pct_change, r.impulse_per_day_ns_negligible)])
    parts += ["<h2>Fibre groups</h2>",
              _table(rows, ["fibre group", "side", "peak activation", "peak force (N)", "change vs baseline",
                            "impulse per day (N·s)", "change vs baseline"]),
              "<p class='small'>negl.: a change below 2 % of the muscle's maximum isometric force (or the metric's "
              "full scale); new: a load absent at baseline.</p>"]
    ind = result.indices
    if ind is not None and len(ind):
        want = ("muscle", "side", "acute_overload", "repetitive_overload", "sustained_contraction",
                "sustained_position", "compression", "dominant_factor", "reading", "examine_also")
        cols = [c for c in want if c in ind.columns] or list(ind.columns)
        trows = [[(f"{v:.3g}" if isinstance(v, float) else v) for v in r] for r in ind[cols].itertuples(index=False)]
        parts += ["<h2>Trigger-point load indices</h2>",
                  "<p class='small'>Each index is the scenario's load against the baseline's (1 = unchanged) for "
                  "one trigger-point factor named in the literature; the reading names the dominant one.</p>",
                  _table(trows, [c.replace("_", " ") for c in cols])]
    lines = [ln for ln in summarise_indices(result.indices, max_lines=6) if ln != CAVEAT]
    if lines:
        parts.append("<ul>" + "".join(f"<li>{_e(ln)}</li>" for ln in lines) + "</ul>")
    if result.warnings:
        parts += ["<h2>Warnings</h2>", "<ul>" + "".join(f"<li>{_e(w)}</li>" for w in result.warnings) + "</ul>"]
    parts += [f"<p class='small'>{_e(CAVEAT)}</p>", f"<p class='disc'>{_e(DISCLAIMER)}</p>"]
    style = ("body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:1100px;margin:0 auto;padding:0 16px;"
             "color:#222}table{border-collapse:collapse;font-size:.9em}td,th{padding:3px 8px;border-bottom:1px solid "
             "#ddd;text-align:left}img{max-width:100%}figcaption,.small{font-size:.85em;color:#555}"
             ".disc{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px}.beyond{color:#b03a2e;"
             "font-weight:bold}")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(spec.title)}: hipsim report"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def write_report_html(result: Any, folder: str | Path) -> Path:
    """Write ``folder/report.html`` atomically and return its path."""
    return atomic_write_text(Path(folder) / "report.html", report_html(result, folder))


def write_run_extras(result: Any, folder: str | Path, plots: bool = True) -> list[Path]:
    """What ``hipsim run`` adds to a scenario's result set: a seated scenario's frontal picture
    redrawn with its wallet on the seat (when there is one), and ``report.html``."""
    from hipsim.report.frontal import wallet_of
    folder = Path(folder)
    out = []
    wallet = wallet_of(result.spec)
    if plots and wallet is not None and (folder / "frontal.png").exists():
        import numpy as np
        from hipsim.report.plots import plot_frontal, save_figure
        frame = int(np.argmax(result.scenario.hip_contact_force_bw["r"].to_numpy()))
        out.append(save_figure(plot_frontal(result.scenario, frame, title=result.spec.title, wallet=wallet),
                               folder / "frontal.png"))
    out.append(write_report_html(result, folder))
    return out
