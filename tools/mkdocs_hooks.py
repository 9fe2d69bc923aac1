"""MkDocs hooks (``hooks:`` in mkdocs.yml): pages generated from the code and the notebooks at build time.

- ``<!-- hipsim:scenario-schema -->`` in a page becomes the scenario-file key tables, printed by
  :func:`hipsim.scenarios.docs.schema_markdown` from the schema in code (one source: the code).
- ``<!-- hipsim:cli-help -->`` becomes what ``hipsim --help`` prints.
- Each teaching notebook in ``notebooks/`` becomes a page ``tutorials/<notebook>.md`` with its text
  and code. Notebooks are committed without outputs and are never executed here, so the build is
  fast and works offline; the test suite runs them (tests/test_notebooks.py).
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCHEMA_MARKER = "<!-- hipsim:scenario-schema -->"
CLI_HELP_MARKER = "<!-- hipsim:cli-help -->"


def scenario_schema_markdown() -> str:
    """The scenario-file key tables, as the hook puts them into the page."""
    from hipsim.scenarios.docs import schema_markdown
    return schema_markdown()


def cli_help() -> str:
    """What ``hipsim --help`` prints, 100 columns wide."""
    import contextlib
    import io
    import os

    from hipsim.cli import main
    out = io.StringIO()
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(["--help"])
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return out.getvalue().rstrip("\n")


def render_markdown(markdown: str) -> str:
    """``markdown`` with the generated blocks filled in."""
    if SCHEMA_MARKER in markdown:
        markdown = markdown.replace(SCHEMA_MARKER, scenario_schema_markdown())
    if CLI_HELP_MARKER in markdown:
        markdown = markdown.replace(CLI_HELP_MARKER, "```text\n" + cli_help() + "\n```")
    return markdown


def notebook_markdown(path: Path) -> str:
    """A notebook's markdown cells as they are and its code cells as Python blocks (no outputs)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    parts = []
    for i, cell in enumerate(cells):
        source = "".join(cell["source"]).strip("\n")
        if not source:
            continue
        if cell["cell_type"] == "markdown":
            parts.append(source)
            if i == 0:  # under the title: where the page comes from and how to see the plots
                parts.append(
                    f'!!! note "A notebook"\n    This page is the text and code of `notebooks/{path.name}`, '
                    "without its outputs. To see the plots and numbers, run it: "
                    "`python -m pip install -e \".[notebooks]\"`, then `jupyter lab notebooks/`.")
        elif cell["cell_type"] == "code":
            parts.append(f"```python\n{source}\n```")
    return "\n\n".join(parts) + "\n"


def tutorial_pages() -> dict[str, str]:
    """``tutorials/<notebook>.md`` -> page text, for every notebook."""
    return {f"tutorials/{p.stem}.md": notebook_markdown(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))}


def on_files(files, config):
    from mkdocs.structure.files import File
    for uri, text in tutorial_pages().items():
        files.append(File.generated(config, uri, content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    return render_markdown(markdown)
