"""Read and write OpenSim Storage files (``.sto`` / ``.mot``).

Two header styles exist and both are read:

* version 1 (``Storage`` in OpenSim 3 and 4)::

      Coordinates
      version=1
      nRows=211
      nColumns=24
      inDegrees=yes
      <free description lines>
      endheader
      time<TAB>pelvis_tilt<TAB>...

* the newer ``STOFileAdapter`` style (OpenSim 4): key=value lines such as
  ``inDegrees``, ``DataType=double``, ``version=3``, ``OpenSimVersion=4.x`` and no
  ``nRows``/``nColumns``.

Files are written in the version-1 style, which both OpenSim readers accept. Every
bad input raises :class:`hipsim.errors.InputError` with a one-sentence message naming the
file, the element and the value.
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from hipsim.errors import input_error
from hipsim.fileio import atomic_open, read_text

__all__ = [
    "StorageTable",
    "read_storage",
    "parse_storage_text",
    "write_storage",
    "require_columns",
    "convert_to_radians",
    "TRANSLATIONAL_SUFFIXES",
]

# Header keys that the writer produces itself from the table.
_COUNT_KEYS = {"nrows", "ncolumns", "datarows", "datacolumns"}
_WRITER_KEYS = _COUNT_KEYS | {"indegrees", "version"}
_ALLOWED_SUFFIXES = (".sto", ".mot")

#: Coordinate-name endings that mark translations (metres) in gait2392-style models;
#: every other coordinate in such a file is an angle.
TRANSLATIONAL_SUFFIXES: tuple[str, ...] = ("_tx", "_ty", "_tz")

#: Largest joint angle accepted in a coordinates table, in radians after unit conversion: two full
#: turns. No joint angle of a human model comes near it (the pelvis's heading in a turning trial may
#: exceed one turn), while a table in degrees read as radians (a knee at 60 degrees becomes 60 rad)
#: or a corrupted value is caught before it reaches the mechanics.
ANGLE_LIMIT_RAD = 4.0 * math.pi
#: Largest translation accepted in a coordinates table (m): far beyond any motion-capture volume,
#: so it only catches a wrong unit or a corrupted value.
TRANSLATION_LIMIT_M = 1000.0


@dataclass(frozen=True)
class StorageTable:
    """One OpenSim Storage table.

    Attributes:
        time: sample times in seconds, shape ``(n_rows,)``, strictly increasing.
        column_names: labels of the data columns (the time column excluded).
        data: values, shape ``(n_rows, n_columns)``; angles stay in the file's unit,
            see ``in_degrees``.
        in_degrees: the file's ``inDegrees`` flag (``False`` when absent).
        name: the table name (first header line of a version-1 file), may be empty.
        metadata: other header ``key=value`` pairs, as strings, in file order.
        description: free-text header lines (not ``key=value``).
        source: the file the table came from, or ``None``.
    """

    time: np.ndarray
    column_names: tuple[str, ...]
    data: np.ndarray
    in_degrees: bool = False
    name: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    description: tuple[str, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        src = self.source or "argument"
        time = np.asarray(self.time, dtype=float)
        data = np.asarray(self.data, dtype=float)
        names = tuple(str(n) for n in self.column_names)
        if time.ndim != 1:
            raise input_error(src, "time", f"shape {time.shape}", "time must be 1-D")
        if data.ndim == 1 and len(names) == 1:
            data = data.reshape(-1, 1)
        if data.ndim != 2 or data.shape != (time.size, len(names)):
            raise input_error(src, "data", f"shape {data.shape}",
                              f"data must have shape ({time.size}, {len(names)}): one row "
                              "per time and one column per name")
        _check_labels(src, names, line=None)
        _check_finite_and_monotonic(src, time, data, names, first_line=None)
        time.setflags(write=False)
        data.setflags(write=False)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "column_names", names)
        object.__setattr__(self, "metadata", dict(self.metadata))
        object.__setattr__(self, "description", tuple(self.description))

    @property
    def n_rows(self) -> int:
        """Number of time samples."""
        return int(self.time.size)

    def column(self, name: str) -> np.ndarray:
        """Return the data column called ``name`` (raises InputError if absent)."""
        require_columns(self, [name])
        return self.data[:, self.column_names.index(name)]

    def to_dataframe(self) -> pd.DataFrame:
        """Return a DataFrame with a ``time`` column followed by the data columns."""
        frame = pd.DataFrame(self.data, columns=list(self.column_names))
        frame.insert(0, "time", self.time)
        return frame

    def replace(self, **changes: object) -> "StorageTable":
        """Return a copy with the given fields changed (validated again)."""
        fields = dict(time=self.time, column_names=self.column_names, data=self.data,
                      in_degrees=self.in_degrees, name=self.name, metadata=self.metadata,
                      description=self.description, source=self.source)
        fields.update(changes)
        return StorageTable(**fields)  # type: ignore[arg-type]


def require_columns(storage: StorageTable, names: Iterable[str],
                    source: str | None = None) -> None:
    """Raise InputError naming the first of ``names`` that ``storage`` lacks."""
    src = source or storage.source or "argument"
    present = set(storage.column_names)
    for name in names:
        if name not in present:
            shown = ", ".join(storage.column_names[:8])
            more = ", ..." if len(storage.column_names) > 8 else ""
            raise input_error(src, "column", name,
                              f"the file's columns are {shown}{more}")


def convert_to_radians(storage: StorageTable,
                       translational: Sequence[str] | None = None) -> StorageTable:
    """Return ``storage`` with angles in radians (unchanged if ``in_degrees`` is False), after
    checking that every angle lies within :data:`ANGLE_LIMIT_RAD` and every translation within
    :data:`TRANSLATION_LIMIT_M` (an InputError names the file, column and row otherwise).

    Like OpenSim's ``SimbodyEngine::convertDegreesToRadians``, only rotational
    coordinates are converted. Without a model to ask, ``translational`` lists the
    columns to leave alone; by default every column whose name ends in ``_tx``, ``_ty``
    or ``_tz`` (the gait2392 convention). Meant for coordinate tables only: some GRF
    files (subject01_walk1_grf.mot) carry ``inDegrees=yes`` over force columns.
    """
    if translational is None:
        keep = {n for n in storage.column_names if n.endswith(TRANSLATIONAL_SUFFIXES)}
    else:
        keep = set(translational)
    table = storage
    if storage.in_degrees:
        factor = np.array([1.0 if n in keep else math.pi / 180.0 for n in storage.column_names])
        table = storage.replace(data=storage.data * factor, in_degrees=False)
    _check_coordinate_envelope(table, keep, storage.in_degrees)
    return table


def _check_coordinate_envelope(table: StorageTable, translational: set[str], was_degrees: bool) -> None:
    """Angles within :data:`ANGLE_LIMIT_RAD` and translations within :data:`TRANSLATION_LIMIT_M`;
    otherwise an InputError naming the file, the column, the row and the value as written."""
    src = table.source or "argument"
    for j, name in enumerate(table.column_names):
        col = table.data[:, j]
        limit = TRANSLATION_LIMIT_M if name in translational else ANGLE_LIMIT_RAD
        over = np.abs(col) > limit
        if not over.any():
            continue
        r = int(np.argmax(over))
        where = f"column '{name}', row {r + 1} (time {table.time[r]:g} s)"
        if name in translational:
            raise input_error(src, where, float(col[r]),
                              f"a translation must lie within {TRANSLATION_LIMIT_M:g} m (coordinates files are in "
                              "metres)")
        shown = math.degrees(col[r]) if was_degrees else float(col[r])
        hint = ("" if was_degrees else "; the header lacks inDegrees=yes, so the values are read as radians: if "
                "they are degrees, add the line inDegrees=yes before endheader")
        raise input_error(src, where, shown,
                          f"a joint angle must lie within {ANGLE_LIMIT_RAD:.4g} rad "
                          f"({math.degrees(ANGLE_LIMIT_RAD):g} degrees){hint}")


# --------------------------------------------------------------------------- reading

def read_storage(path: str | os.PathLike[str]) -> StorageTable:
    """Read an OpenSim ``.sto``/``.mot`` file (version-1 or STOFileAdapter header).

    Raises InputError for a missing file, a header without ``endheader``, a bad
    ``inDegrees``/``nRows``/``nColumns`` value, a row whose value count differs from the
    column labels, a non-numeric or NaN value, or times that do not increase.
    """
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise input_error(src, "file", src, "give the path of an existing .sto or .mot file")
    return parse_storage_text(read_text(p, "Storage (.sto/.mot)"), src)


def parse_storage_text(text: str, source: str = "<text>") -> StorageTable:
    """Parse the text of a Storage file; ``source`` names it in error messages."""
    lines = text.splitlines()
    end = None
    for i, line in enumerate(lines):
        if line.strip().lower() == "endheader":
            end = i
            break
    if end is None:
        raise input_error(source, "endheader", "missing",
                          "the header must end with a line reading 'endheader'")

    name, meta, description = _parse_header(lines[:end], source)
    in_degrees = _parse_in_degrees(meta, source)

    # Column labels: first non-blank line after endheader.
    i = end + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        raise input_error(source, "column labels", "missing",
                          "a line of column labels, starting with 'time', must follow 'endheader'")
    # Split on any whitespace, as OpenSim's classic Storage reader does (labels with
    # spaces would break that reader, so StorageTable refuses them anyway).
    labels = lines[i].split()
    label_lineno = i + 1
    if not labels or labels[0].lower() != "time":
        raise input_error(source, f"first column label (line {label_lineno})",
                          labels[0] if labels else "", "the first column must be 'time'")
    _check_labels(source, tuple(labels[1:]), line=label_lineno)

    n_cols = _header_int(meta, ("nColumns", "datacolumns"), source)
    if n_cols is not None and n_cols != len(labels):
        raise input_error(source, "nColumns", n_cols,
                          f"it must equal the {len(labels)} column labels on line {label_lineno}")

    first_data = i + 1
    body = [(k + 1, ln) for k, ln in enumerate(lines[first_data:], start=first_data)
            if ln.strip()]
    n_rows = _header_int(meta, ("nRows", "datarows"), source)
    if n_rows is not None and n_rows != len(body):
        raise input_error(source, "nRows", n_rows,
                          f"it must equal the {len(body)} data rows in the file")
    if not body:
        raise input_error(source, "data rows", 0, "a Storage file needs at least one data row")

    values = _parse_body(body, labels, source)
    time = values[:, 0]
    data = values[:, 1:]
    _check_finite_and_monotonic(source, time, data, tuple(labels[1:]),
                                first_line=[ln for ln, _ in body])
    return StorageTable(time=time, column_names=tuple(labels[1:]), data=data,
                        in_degrees=in_degrees, name=name, metadata=meta,
                        description=tuple(description), source=source)


def _parse_header(header: list[str], source: str) -> tuple[str, dict[str, str], list[str]]:
    name = ""
    meta: dict[str, str] = {}
    description: list[str] = []
    for k, raw in enumerate(header):
        line = raw.strip()
        if not line:
            continue
        if "=" in line:
            key, _, value = line.partition("=")
            meta[key.strip()] = value.strip()
        elif k == 0:
            name = line
        else:
            description.append(line)
    return name, meta, description


def _meta_get(meta: Mapping[str, str], keys: Sequence[str]) -> tuple[str, str] | None:
    lower = {k.lower(): k for k in meta}
    for key in keys:
        if key.lower() in lower:
            real = lower[key.lower()]
            return real, meta[real]
    return None


def _parse_in_degrees(meta: Mapping[str, str], source: str) -> bool:
    found = _meta_get(meta, ("inDegrees",))
    if found is None:
        return False
    key, value = found
    v = value.strip().lower()
    if v in ("yes", "true"):
        return True
    if v in ("no", "false"):
        return False
    raise input_error(source, key, value, "inDegrees must be 'yes' or 'no'")


def _header_int(meta: Mapping[str, str], keys: Sequence[str], source: str) -> int | None:
    found = _meta_get(meta, keys)
    if found is None:
        return None
    key, value = found
    try:
        n = int(value.strip())
    except ValueError:
        raise input_error(source, key, value, f"{key} must be a whole number") from None
    if n < 0:
        raise input_error(source, key, value, f"{key} must not be negative")
    return n


def _parse_body(body: list[tuple[int, str]], labels: list[str], source: str) -> np.ndarray:
    """Parse the data rows; a fast pandas pass, then a per-cell pass to name any fault."""
    n = len(labels)
    text = "\n".join(ln for _, ln in body)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=r"\s+", header=None, dtype=float,
                            engine="c", na_filter=False)
        values = frame.to_numpy(dtype=float)
        # A short row shows up as NaN here: leave it to the slow pass to name it.
        if values.shape == (len(body), n) and np.isfinite(values).all():
            return values
    except (ValueError, pd.errors.ParserError):
        pass
    # Slow path: find the first offending row or cell for the message.
    out = np.empty((len(body), n))
    for r, (lineno, line) in enumerate(body):
        fields = line.split()
        if len(fields) != n:
            raise input_error(source, f"line {lineno}", f"{len(fields)} values",
                              f"each row needs {n} values, one per column label")
        for c, cell in enumerate(fields):
            try:
                out[r, c] = float(cell)
            except ValueError:
                raise input_error(source, f"line {lineno}, column '{labels[c]}'", cell,
                                  "a decimal number") from None
    return out


def _check_labels(source: str, names: tuple[str, ...], line: int | None) -> None:
    where = f" (line {line})" if line is not None else ""
    seen: set[str] = set()
    for name in names:
        if not name or any(ch.isspace() for ch in name):
            raise input_error(source, f"column label{where}", name,
                              "labels must be non-empty and hold no spaces or tabs")
        if name in seen:
            raise input_error(source, f"column label{where}", name, "labels must be unique")
        if name.lower() == "time":
            raise input_error(source, f"column label{where}", name,
                              "'time' may only be the first column")
        seen.add(name)


def _check_finite_and_monotonic(source: str, time: np.ndarray, data: np.ndarray,
                                names: tuple[str, ...],
                                first_line: list[int] | None) -> None:
    def where(row: int) -> str:
        return f"line {first_line[row]}" if first_line is not None else f"row {row}"

    bad_t = ~np.isfinite(time)
    if bad_t.any():
        r = int(np.argmax(bad_t))
        raise input_error(source, f"{where(r)}, column 'time'", float(time[r]),
                          "a finite number")
    bad = ~np.isfinite(data)
    if bad.any():
        r, c = (int(x) for x in np.argwhere(bad)[0])
        raise input_error(source, f"{where(r)}, column '{names[c]}'", float(data[r, c]),
                          "a finite number (NaN and infinity are not data)")
    if time.size > 1:
        step = np.diff(time)
        if (step <= 0).any():
            r = int(np.argmax(step <= 0)) + 1
            raise input_error(source, f"{where(r)}, column 'time'", float(time[r]),
                              f"times must increase; the row before is at {time[r - 1]!r} s")


# --------------------------------------------------------------------------- writing

def write_storage(path: str | os.PathLike[str], table: StorageTable) -> Path:
    """Write ``table`` as a version-1 Storage file that OpenSim 4 reads.

    The file is written to a temporary file in the target directory and moved into
    place with ``os.replace``, so a reader never sees a half-written file. Values are
    written with Python's shortest round-trip float repr, so reading the file back
    gives the same numbers. Returns the path written.
    """
    p = Path(path)
    if p.suffix.lower() not in _ALLOWED_SUFFIXES:
        raise input_error(str(p), "file extension", p.suffix,
                          "a Storage file ends in .sto or .mot")
    if not p.parent.is_dir():
        raise input_error(str(p), "directory", str(p.parent), "the directory must exist")
    name = table.name or p.stem
    if "=" in name or "\n" in name or name.strip().lower() == "endheader":
        raise input_error(str(p), "name", name,
                          "a table name must not contain '=' or a line break or be 'endheader'")
    out = io.StringIO()
    out.write(f"{name}\n")
    out.write("version=1\n")
    out.write(f"nRows={table.n_rows}\n")
    out.write(f"nColumns={len(table.column_names) + 1}\n")
    out.write(f"inDegrees={'yes' if table.in_degrees else 'no'}\n")
    for key, value in table.metadata.items():
        if key.lower() in _WRITER_KEYS:
            continue
        _check_header_text(str(p), f"metadata key {key!r}", key, allow_equals=False)
        _check_header_text(str(p), f"metadata {key}", str(value), allow_equals=True)
        out.write(f"{key}={value}\n")
    for line in table.description:
        _check_header_text(str(p), "description line", line, allow_equals=False)
        out.write(f"{line}\n")
    out.write("endheader\n")
    frame = table.to_dataframe()
    # pandas writes floats with repr(): the shortest string that reads back exactly.
    frame.to_csv(out, sep="\t", index=False, lineterminator="\n")
    _atomic_write_text(p, out.getvalue())
    return p


def _check_header_text(source: str, key: str, text: str, allow_equals: bool) -> None:
    if "\n" in text or "\r" in text or text.strip().lower() == "endheader" or (
            not allow_equals and "=" in text):
        raise input_error(source, key, text,
                          "header text must be one line, not 'endheader'"
                          + ("" if allow_equals else ", and without '='"))


def _atomic_write_text(path: Path, text: str) -> None:
    with atomic_open(path, "w") as fh:
        fh.write(text)

