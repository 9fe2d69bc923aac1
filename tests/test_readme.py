"""The README and the documentation stay true: the test command of .ci/run, the example's output,
the README's length and links, the generated scenario tables, the gallery."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from hipsim.scenarios import shipped_scenarios
from hipsim.scenarios.docs import schema_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def _hooks():
    """tools/mkdocs_hooks.py, the MkDocs hooks that generate pages at build time."""
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "tools" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_fits_on_a_screen_and_its_links_exist():
    assert len(README.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_docs_scenario_tables_are_generated_from_the_code():
    """The reference page carries the marker, and the hook replaces it by schema_markdown() itself."""
    hooks = _hooks()
    page = (DOCS / "reference" / "scenario-files.md").read_text()
    assert hooks.SCHEMA_MARKER in page and "| key |" not in page
    assert hooks.render_markdown(hooks.SCHEMA_MARKER) == schema_markdown()


def test_docs_nav_lists_every_page_and_notebook():
    """Every Markdown page under docs/ and every notebook's generated tutorial page is in mkdocs.yml's nav."""
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")} | set(_hooks().tutorial_pages())
    assert pages, "no pages"
    for page in pages:
        assert f" {page}" in nav, page


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
    page = (DOCS / "scenario-gallery.md").read_text()
    block = page.split("<!-- gallery:start -->")[1].split("<!-- gallery:end -->")[0]
    for name in shipped_scenarios():
        assert f"(gallery/{name}.png)" in block, name
        assert f"`hipsim run {name}`" in block, name
        assert (DOCS / "gallery" / f"{name}.png").exists(), name
