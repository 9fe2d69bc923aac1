"""Render the teaching thumbnails (docs/tutorials/index.md, README): one PNG per notebook in docs/teaching/.

Each notebook is executed (nbclient, headless); the first picture of its cell tagged
``thumbnail`` is scaled to 800 px wide and written as docs/teaching/<notebook>.png, kept
under 100 KB. Run from the repository root after changing a notebook or the mechanics:

    python notebooks/make_thumbnails.py
"""
from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 800
MAX_BYTES = 100_000


def thumbnail(path: Path) -> bytes:
    """Execute ``path`` and return its thumbnail picture as PNG bytes."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if "thumbnail" in cell.metadata.get("tags", []):
            for out in cell.outputs:
                data = out.get("data", {})
                if "image/png" in data:
                    return shrink(base64.b64decode(data["image/png"]))
    raise SystemExit(f"{path.name}: no picture in a cell tagged 'thumbnail'")


def shrink(png: bytes) -> bytes:
    """Scale to WIDTH px wide; use a 256-colour palette if that is what it takes to stay under MAX_BYTES."""
    im = Image.open(io.BytesIO(png)).convert("RGB")
    if im.width > WIDTH:
        im = im.resize((WIDTH, round(im.height * WIDTH / im.width)), Image.LANCZOS)
    for candidate in (im, im.quantize(256), im.quantize(128), im.quantize(64)):
        buf = io.BytesIO()
        candidate.save(buf, format="png", optimize=True)
        if buf.tell() <= MAX_BYTES:
            return buf.getvalue()
    return buf.getvalue()


def main(names: list[str]) -> None:
    out = ROOT / "docs" / "teaching"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if names and path.stem not in names:
            continue
        target = out / f"{path.stem}.png"
        target.write_bytes(thumbnail(path))
        print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
