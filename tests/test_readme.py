"""The README stays true: schema tables, the test command of .ci/run, the example's output, the gallery."""
from __future__ import annotations

import re
from pathlib import Path

from hipsim.scenarios import shipped_scenarios
from hipsim.scenarios.docs import schema_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_schema_tables_match_the_code():
    block = README.split("<!-- schema:start -->\n")[1].split("\n<!-- schema:end -->")[0]
    assert block == schema_markdown(), "regenerate with: python -c 'from hipsim.scenarios.docs import " \
                                       "schema_markdown; print(schema_markdown())'"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in README
    assert re.search(r"^python -m pytest$", ci, re.M)
    assert 'pip install -e ".[test]"' in README and 'pip install -e ".[test]"' in ci


def test_five_line_example_prints_what_the_readme_shows():
    """The README's moment-arm example: the printed numbers are the ones in the README."""
    import hipsim
    model = hipsim.load_model()
    table = model.moment_arm_table(muscles=["gluteus_minimus_anterior_r", "gluteus_minimus_posterior_r"],
                                   coordinates=["hip_flexion_r", "hip_adduction_r", "hip_rotation_r"])
    shown = (1000 * table).round(1)
    for muscle, row in shown.iterrows():
        line = next(ln for ln in README.splitlines() if ln.startswith(muscle) and "-" in ln)
        assert [float(x) for x in line.split()[1:]] == list(row.values)


def test_gallery_has_every_scenario_with_a_picture():
    block = README.split("<!-- gallery:start -->")[1].split("<!-- gallery:end -->")[0]
    for name in shipped_scenarios():
        assert f"docs/gallery/{name}.png" in block, name
        assert (ROOT / "docs" / "gallery" / f"{name}.png").exists(), name
