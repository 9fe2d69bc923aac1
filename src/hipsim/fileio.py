"""Files: atomic writes and TOML reading with house-style errors. Used by every writer in hipsim."""
from __future__ import annotations

import contextlib
import os
import stat
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


def open_regular(path: str | os.PathLike[str], what: str) -> IO[bytes]:
    """Open ``path`` for reading in binary mode, refusing anything that is not a regular file.

    The file is opened without blocking and checked with ``fstat`` on the open descriptor, so a
    FIFO (which would wait forever for a writer), a device or a directory is refused before a
    byte is read, with no window between the check and the read. Errors are InputErrors naming
    the file.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise input_error(str(p), "file", str(p), f"a readable {what} file is required ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                    else "a device or socket")
            raise input_error(str(p), "file", str(p), f"a {what} file must be a regular file, not {kind}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], what: str) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`)."""
    with open_regular(path, what) as fh:
        return fh.read()


def read_text(path: str | os.PathLike[str], what: str) -> str:
    """The text of a regular UTF-8 file (a byte-order mark is dropped); other bytes are an
    InputError naming the file and saying it must be UTF-8 text."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise input_error(str(path), "file", str(path),
                          f"a {what} file must be UTF-8 text (byte {exc.start} is not)") from None


def read_toml(path: str | os.PathLike[str], what: str) -> dict:
    """Parse a TOML file; a missing file, anything but a regular file, text that is not UTF-8,
    bad TOML or nesting deeper than the parser can follow is an InputError naming the file."""
    p = Path(path)
    text = read_text(p, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise input_error(str(p), "file", str(p), f"valid TOML is required ({exc})") from None
    except RecursionError:
        raise input_error(str(p), "file", str(p),
                          f"a {what} file must not nest arrays or tables this deeply") from None


def read_xml(path: str | os.PathLike[str], what: str) -> ET.Element:
    """Parse an XML file (a regular file; its encoding as the XML declaration says, UTF-8 by
    default) and return the root element; errors are InputErrors naming the file. Entity
    expansion attacks are refused by the expat parser (its amplification limit)."""
    p = Path(path)
    data = read_bytes(p, what)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        if not _declares_encoding(data):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise input_error(str(p), "file", str(p),
                                  f"a {what} file must be UTF-8 text or declare its encoding in the XML declaration "
                                  f"(byte {bad.start} is not UTF-8)") from None
        raise input_error(str(p), "XML", str(exc), f"a {what} file must be well-formed XML") from None
    except RecursionError:
        raise input_error(str(p), "file", str(p), f"a {what} file must not nest elements this deeply") from None


def _declares_encoding(data: bytes) -> bool:
    """Whether an XML document's declaration names an encoding other than UTF-8."""
    head = data[:200].lstrip(b"\xef\xbb\xbf")
    if not head.startswith(b"<?xml"):
        return False
    decl = head.split(b"?>", 1)[0].lower()
    return b"encoding" in decl and b"utf-8" not in decl and b"utf8" not in decl
