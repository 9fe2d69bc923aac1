"""Print the exercise comparison and its EMG check as Markdown, and write the pictures, for
docs/explanation/exercises.md: ``python tools/exercise_tables.py [MODEL ...]`` (default: gait2392 and
lai_uhlrich2023). Pictures go to docs/explanation/exercises_<model>.png."""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import hipsim
from hipsim.analysis.exercises import comparison_markdown, emg_validation, tfl_selectivity_check
from hipsim.anatomy import SHORT_LABELS
from hipsim.report.exercises import save_exercise_figure

DOCS = Path(__file__).resolve().parents[1] / "docs" / "explanation"


def main(models: list[str]) -> None:
    for name in models:
        t0 = time.perf_counter()
        cmp = hipsim.compare_exercises(model=name)
        seconds = time.perf_counter() - t0
        print(f"\n## {name} ({seconds:.1f} s for the seven exercises)\n")
        print("Force (N):\n")
        print(comparison_markdown(cmp, "force_n"))
        print("\nActivation:\n")
        print(comparison_markdown(cmp, "activation"))
        print("\nTop three fibre groups (by force | by activation):\n")
        by_f, by_a = cmp.top_groups(3, "force_n"), cmp.top_groups(3, "activation")
        for e in cmp.results:
            lab = lambda gs: ", ".join(SHORT_LABELS.get(g, g) for g in gs)  # noqa: E731
            print(f"- {e}: {lab(by_f[e])} | {lab(by_a[e])}")
        print("\nSelectivity:\n")
        sel = cmp.selectivity
        print("| exercise | GMin/TFL force | GMin/TFL activation | GMin post/ant force | GMin post/ant activation |")
        print("|---|---|---|---|---|")
        for e, row in sel.iterrows():
            print(f"| {e} | " + " | ".join("n/a (0/0)" if math.isnan(v) else f"{v:.2f}" for v in row) + " |")
        values, corr = emg_validation(cmp)
        print("\nEMG beside hipsim's activation:\n")
        print("| study | segment | exercise | EMG %MVIC | hipsim activation |")
        print("|---|---|---|---|---|")
        for _, v in values.iterrows():
            seg = SHORT_LABELS.get(v.segment, v.segment) + (" (top leg)" if v.limb == "top" else "")
            print(f"| {v.study} | {seg} | {v.exercise} | {v.emg_pct_mvic:g} ({v.statistic}) | "
                  f"{100 * v.hipsim_activation:.0f} % |")
        print("\n| study | segment | n | Spearman rho | p | pairs in EMG order |")
        print("|---|---|---|---|---|---|")
        for _, c in corr.iterrows():
            rho = "-" if math.isnan(c.spearman_rho) else f"{c.spearman_rho:.2f}"
            p = "-" if math.isnan(c.p_value) else f"{c.p_value:.2f}"
            print(f"| {c.study} | {SHORT_LABELS.get(c.segment, c.segment)} | {c.n} | {rho} | {p} | "
                  f"{c.pairs_in_emg_order} |")
        sel_check = tfl_selectivity_check(cmp)
        print(f"\nclam's rank by gluteus medius / TFL activation: {sel_check['clamshell_rank']} of "
              f"{len(sel_check['order'])}")
        print("notes:", *cmp.notes, sep="\n- ")
        out = save_exercise_figure(cmp, DOCS / f"exercises_{name}.png")
        print(f"\nwrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["gait2392", "lai_uhlrich2023"])
