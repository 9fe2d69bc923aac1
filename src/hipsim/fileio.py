"""Files: atomic writes and TOML reading with house-style errors. Used by every writer in hipsim."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any, Iterator

from hipsim.errors import input_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename, so a
    reader never sees a half-written file. The new file gets the mode of the file it replaces,
    or rw-r--r-- (mkstemp alone would make it private)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    perm = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding, newline = (None, None) if "b" in mode else ("utf-8", "")
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, perm)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return Path(path)


def atomic_write_xml(path: str | os.PathLike[str], root: ET.Element) -> Path:
    """Write an XML tree (indented, with the XML declaration OpenSim writes) atomically."""
    ET.indent(root)
    declaration = '<?xml version="1.0" encoding="UTF-8" ?>\n'
    return atomic_write_text(path, declaration + ET.tostring(root, encoding="unicode") + "\n")


def read_toml(path: str | os.PathLike[str], what: str) -> dict:
    """Parse a TOML file; a missing file or bad TOML is an InputError naming the file."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise input_error(str(p), "file", str(p), f"a readable {what} file is required ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise input_error(str(p), "file", str(p), f"valid TOML is required ({exc})") from None
