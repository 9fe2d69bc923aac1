"""Render the gallery's exercise comparison: docs/gallery/exercises.png and the numbers it shows,
docs/gallery/exercises.json. Run from the repository root after changing the exercises, the
mechanics or the default model:

    python tools/exercise_gallery.py

The picture is the one ``hipsim exercises --out docs/gallery/exercises.png`` writes (the same
comparison, default model and arguments, drawn by the same function). tests/test_exercises.py
recomputes the JSON numbers and fails when the committed picture no longer shows what the code
computes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hipsim.analysis.exercises import COMPARED_GROUPS, ExerciseComparison

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "gallery" / "exercises.png"
NUMBERS = ROOT / "docs" / "gallery" / "exercises.json"
COMMAND = "hipsim exercises --out docs/gallery/exercises.png"


def picture_numbers(comparison: ExerciseComparison) -> dict[str, Any]:
    """What the picture shows (hipsim.report.exercises.exercise_figure): the model and hip in its title,
    the force colour scale (0 to the largest force), each bar's force (N) and activation (%), the hatched
    (beyond the muscles) exercises, and the tallest force bar per fibre group."""
    force = comparison.wide("force_n")
    act = comparison.wide("activation")
    rank = comparison.ranking
    return {
        "command": COMMAND,
        "model": comparison.model_name,
        "side": comparison.side,
        "colour_scale_max_n": round(float(force.to_numpy().max())),
        "force_n": {e: {g: round(float(force.loc[e, g])) for g in COMPARED_GROUPS} for e in force.index},
        "activation_pct": {e: {g: round(100.0 * float(act.loc[e, g])) for g in COMPARED_GROUPS} for e in act.index},
        "beyond_muscles": dict(comparison.beyond_muscles),
        "most_loading_by_force": {g: str(rank.loc[1, g]) for g in COMPARED_GROUPS},
    }


def main() -> None:
    import hipsim
    from hipsim.fileio import atomic_write_text
    from hipsim.report.exercises import save_exercise_figure
    cmp = hipsim.compare_exercises()
    print("wrote", save_exercise_figure(cmp, PICTURE).relative_to(ROOT))
    atomic_write_text(NUMBERS, json.dumps(picture_numbers(cmp), indent=1) + "\n")
    print("wrote", NUMBERS.relative_to(ROOT))


if __name__ == "__main__":
    main()
