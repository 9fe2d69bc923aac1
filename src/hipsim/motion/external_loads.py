"""OpenSim ExternalLoads (``.xml``) and the ground-reaction data file they point to.

An ExternalLoads file lists ``ExternalForce`` elements, each naming the body the force
acts on, the frames its force and point are expressed in, and column-name prefixes
(``force_identifier`` etc.) that pick three columns each out of a Storage data file
(``datafile``), e.g. ``ground_force_v`` -> ``ground_force_vx/vy/vz``.

Resampling follows OpenSim's ``ExternalForce``: with four or more samples it builds a
degree-3 ``GCVSpline`` with zero error variance, i.e. a natural interpolating cubic
spline (reproduced here with ``scipy.interpolate.CubicSpline(bc_type="natural")``);
with two or three samples a piecewise-linear function; with one, a constant.

Measured against OpenSim 4.6 (``ExternalForce.getForceAtTime`` etc. on
subject01_walk1_grf, 997 times over 0–2.5 s): force within 3.4e-13 N, point within
3.3e-16 m, torque within 3.6e-15 N·m (tests/test_motion_opensim_crosscheck.py).
"""
from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.interpolate import CubicSpline

from hipsim.errors import input_error
from hipsim.fileio import atomic_write_xml, read_xml
from hipsim.motion.storage import StorageTable, read_storage, write_storage

__all__ = [
    "ExternalForceSpec",
    "ExternalLoadsSpec",
    "ExternalForceSeries",
    "ExternalLoadsData",
    "read_external_loads",
    "load_external_loads",
    "resolve_external_loads",
    "write_external_loads",
]

# Slack on the time-coverage check: times in files are printed with ~8 digits.
_TIME_TOL = 1e-9

#: Plausibility bounds on the data an ExternalForce picks (per component): forces (N) and torques
#: (N m) up to 1e5, over a hundred body weights of a heavy adult; points (m) within 1 km. They
#: catch a wrong unit or a corrupted number, such as 1e300, before it reaches the mechanics.
LOAD_LIMITS = {"force_identifier": (1e5, "N"), "point_identifier": (1e3, "m"), "torque_identifier": (1e5, "N m")}


@dataclass(frozen=True)
class ExternalForceSpec:
    """One ``ExternalForce`` element as written in the XML (no data yet)."""

    name: str
    applied_to_body: str
    force_expressed_in_body: str
    point_expressed_in_body: str
    force_identifier: str
    point_identifier: str
    torque_identifier: str
    data_source_name: str
    enabled: bool = True


@dataclass(frozen=True)
class ExternalLoadsSpec:
    """An ExternalLoads file: its forces and file-level settings.

    ``model_kinematics_file`` and ``lowpass_cutoff_frequency_for_load_kinematics`` are
    the OpenSim 3 fields for the kinematics used to move points expressed in a body
    other than ground; hipsim reports them (see :meth:`notes`) but does not apply them.
    """

    name: str
    forces: tuple[ExternalForceSpec, ...]
    datafile: str | None
    model_kinematics_file: str | None
    lowpass_cutoff_frequency_for_load_kinematics: float | None
    source: str

    def notes(self) -> tuple[str, ...]:
        """Human-readable remarks about settings hipsim reads but does not act on."""
        out: list[str] = []
        needs_kin = [f.name for f in self.forces if f.enabled and (
            f.point_expressed_in_body != "ground" or f.force_expressed_in_body != "ground")]
        if self.model_kinematics_file:
            where = ("it matters for " + ", ".join(needs_kin)) if needs_kin else (
                "every force and point is expressed in ground, so it changes nothing")
            out.append(f"external_loads_model_kinematics_file = {self.model_kinematics_file!r} "
                       f"is reported, not applied; {where}")
        if self.lowpass_cutoff_frequency_for_load_kinematics is not None:
            fc = self.lowpass_cutoff_frequency_for_load_kinematics
            state = "off (negative)" if fc < 0 else f"{fc:g} Hz"
            out.append(f"lowpass_cutoff_frequency_for_load_kinematics = {state} is reported, "
                       "not applied; it filters only the load kinematics, not the forces")
        for f in self.forces:
            if not f.enabled:
                out.append(f"ExternalForce {f.name!r} is disabled and was skipped")
        return tuple(out)


@dataclass(frozen=True)
class ExternalForceSeries:
    """One external force resampled onto a time vector (SI units).

    ``force`` (N), ``point`` (m) and ``torque`` (N·m) have shape ``(n_frames, 3)`` and
    are expressed in the frames named by ``force_expressed_in_body`` (force and torque)
    and ``point_expressed_in_body`` (point). An empty identifier gives zeros (for the
    point: the body origin), as in OpenSim.
    """

    spec: ExternalForceSpec
    time: np.ndarray
    force: np.ndarray
    point: np.ndarray
    torque: np.ndarray
    force_columns: tuple[str, ...]
    point_columns: tuple[str, ...]
    torque_columns: tuple[str, ...]

    @property
    def body(self) -> str:
        """The body the force is applied to."""
        return self.spec.applied_to_body


@dataclass(frozen=True)
class ExternalLoadsData:
    """All enabled external forces of an ExternalLoads file on one time vector."""

    spec: ExternalLoadsSpec
    time: np.ndarray
    forces: tuple[ExternalForceSeries, ...]
    data_source: str
    notes: tuple[str, ...]

    def for_body(self, body: str) -> tuple[ExternalForceSeries, ...]:
        """Forces applied to ``body`` (empty if none)."""
        return tuple(f for f in self.forces if f.body == body)


# --------------------------------------------------------------------------- XML

def _text(elem: ET.Element, tag: str) -> str | None:
    child = elem.find(tag)
    if child is None or child.text is None:
        return None if child is None else ""
    return child.text.strip()


def _bool(src: str, key: str, text: str | None, default: bool) -> bool:
    if text is None or text == "":
        return default
    v = text.lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise input_error(src, key, text, "a boolean is 'true' or 'false'")


def read_external_loads(path: str | os.PathLike[str]) -> ExternalLoadsSpec:
    """Parse an OpenSim ExternalLoads ``.xml`` file (OpenSim 3 or 4 layout)."""
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise input_error(src, "file", src, "give the path of an existing ExternalLoads .xml file")
    root = read_xml(p, "ExternalLoads")
    loads = root if root.tag == "ExternalLoads" else root.find("ExternalLoads")
    if loads is None:
        raise input_error(src, "root element", root.tag,
                          "an ExternalLoads element must be the root or its child")
    forces: list[ExternalForceSpec] = []
    for k, ef in enumerate(loads.iter("ExternalForce")):
        fname = ef.get("name") or f"ExternalForce_{k + 1}"
        key = f"ExternalForce {fname!r}"
        body = _text(ef, "applied_to_body")
        if not body:
            raise input_error(src, f"{key} applied_to_body", body or "",
                              "name the body the force is applied to")
        if body == "ground":
            raise input_error(src, f"{key} applied_to_body", body,
                              "a force applied to ground does not act on the model; name the body of the model "
                              "it acts on (for a ground reaction, the foot: calcn_r or calcn_l)")
        # OpenSim 3 writes isDisabled, OpenSim 4 appliesForce.
        disabled = _bool(src, f"{key} isDisabled", _text(ef, "isDisabled"), False)
        applies = _bool(src, f"{key} appliesForce", _text(ef, "appliesForce"), True)
        forces.append(ExternalForceSpec(
            name=fname,
            applied_to_body=body,
            force_expressed_in_body=_text(ef, "force_expressed_in_body") or "ground",
            point_expressed_in_body=_text(ef, "point_expressed_in_body") or "ground",
            force_identifier=_text(ef, "force_identifier") or "",
            point_identifier=_text(ef, "point_identifier") or "",
            torque_identifier=_text(ef, "torque_identifier") or "",
            data_source_name=_text(ef, "data_source_name") or "",
            enabled=applies and not disabled,
        ))
    if not forces:
        raise input_error(src, "ExternalForce", 0, "the file must list at least one ExternalForce")
    lp_text = _text(loads, "lowpass_cutoff_frequency_for_load_kinematics")
    lowpass: float | None = None
    if lp_text:
        try:
            lowpass = float(lp_text)
        except ValueError:
            raise input_error(src, "lowpass_cutoff_frequency_for_load_kinematics", lp_text,
                              "a number in Hz (negative for no filtering)") from None
        if not math.isfinite(lowpass):
            raise input_error(src, "lowpass_cutoff_frequency_for_load_kinematics", lp_text,
                              "a finite number in Hz")
    return ExternalLoadsSpec(
        name=loads.get("name", ""),
        forces=tuple(forces),
        datafile=_text(loads, "datafile") or None,
        model_kinematics_file=_text(loads, "external_loads_model_kinematics_file") or None,
        lowpass_cutoff_frequency_for_load_kinematics=lowpass,
        source=src,
    )


# --------------------------------------------------------------------------- data

def load_external_loads(xml_path: str | os.PathLike[str],
                        time: np.ndarray | None = None,
                        data: StorageTable | str | os.PathLike[str] | None = None,
                        bodies: Sequence[str] | None = None,
                        ) -> ExternalLoadsData:
    """Read an ExternalLoads file and its data, resampled onto ``time`` (s).

    ``data`` overrides the XML's ``datafile``; a relative ``datafile`` is resolved
    against the XML file's folder, as OpenSim does. ``time`` defaults to the data
    file's own times. Given ``bodies`` (the model's body names), every enabled force must be
    applied to one of them; the error names the force and its ``applied_to_body``.
    """
    spec = read_external_loads(xml_path)
    if bodies is not None:
        known = [b for b in bodies if b != "ground"]
        for f in spec.forces:
            if f.enabled and f.applied_to_body not in known:
                raise input_error(spec.source, f"ExternalForce {f.name!r} applied_to_body", f.applied_to_body,
                                  f"name a body of the model ({', '.join(known)})")
    if data is None:
        if not spec.datafile:
            raise input_error(spec.source, "datafile", "", "name the ground-reaction .mot/.sto "
                              "file in <datafile> or pass it as data")
        dpath = Path(spec.datafile)
        if not dpath.is_absolute():
            dpath = Path(xml_path).parent / dpath
        table = read_storage(dpath)
    elif isinstance(data, StorageTable):
        table = data
    else:
        table = read_storage(data)
    return resolve_external_loads(spec, table, time)


def _columns_for(spec: ExternalLoadsSpec, force: ExternalForceSpec, what: str,
                 identifier: str, table: StorageTable) -> tuple[str, ...]:
    if not identifier:
        return ()
    # As OpenSim's Storage::getDataForIdentifier: the columns whose labels start with
    # the identifier; ExternalForce requires exactly three of them.
    cols = tuple(c for c in table.column_names if c.startswith(identifier))
    if len(cols) != 3:
        found = ", ".join(cols) if cols else "none"
        raise input_error(spec.source, f"ExternalForce {force.name!r} {what}", identifier,
                          f"it does not match the data file {table.source or 'data'}: "
                          f"exactly 3 columns must start with it, found {found}")
    return cols


def _resample(t: np.ndarray, y: np.ndarray, tq: np.ndarray) -> np.ndarray:
    if t.size == 1:
        return np.repeat(y[:1], tq.size, axis=0)
    if t.size < 4:
        return np.column_stack([np.interp(tq, t, y[:, j]) for j in range(y.shape[1])])
    return CubicSpline(t, y, axis=0, bc_type="natural")(tq)


def _check_load_limits(table: StorageTable, what: str, cols: tuple[str, ...], force: str) -> None:
    """The columns ``cols`` of ``table`` lie within :data:`LOAD_LIMITS` for ``what``; otherwise an
    InputError names the data file, the column, the row and the force that uses it."""
    if not cols:
        return
    limit, unit = LOAD_LIMITS[what]
    for c in cols:
        col = table.data[:, table.column_names.index(c)]
        over = np.abs(col) > limit
        if over.any():
            r = int(np.argmax(over))
            raise input_error(table.source or "data", f"column '{c}', row {r + 1} (time {table.time[r]:g} s)",
                              float(col[r]), f"ExternalForce {force!r} reads it as a {what.split('_')[0]} "
                              f"component, which must lie within {limit:g} {unit}")


def resolve_external_loads(spec: ExternalLoadsSpec, table: StorageTable,
                           time: np.ndarray | None = None) -> ExternalLoadsData:
    """Pick each enabled force's columns from ``table`` and resample them onto ``time``."""
    tq = table.time.copy() if time is None else np.asarray(time, dtype=float).ravel()
    data_src = table.source or "data"
    if tq.size == 0 or not np.isfinite(tq).all():
        raise input_error("argument", "time", f"{tq.size} values",
                          "a non-empty array of finite times in seconds")
    lo, hi = float(table.time[0]), float(table.time[-1])
    if tq.min() < lo - _TIME_TOL or tq.max() > hi + _TIME_TOL:
        raise input_error(data_src, "time span", f"{lo:g}-{hi:g} s",
                          f"it must cover the requested times {tq.min():g}-{tq.max():g} s")
    tq_clip = np.clip(tq, lo, hi)
    series: list[ExternalForceSeries] = []
    for f in spec.forces:
        if not f.enabled:
            continue
        fc = _columns_for(spec, f, "force_identifier", f.force_identifier, table)
        pc = _columns_for(spec, f, "point_identifier", f.point_identifier, table)
        tc = _columns_for(spec, f, "torque_identifier", f.torque_identifier, table)

        for what, cols in (("force_identifier", fc), ("point_identifier", pc), ("torque_identifier", tc)):
            _check_load_limits(table, what, cols, f.name)

        def pick(cols: tuple[str, ...]) -> np.ndarray:
            if not cols:
                return np.zeros((tq.size, 3))
            idx = [table.column_names.index(c) for c in cols]
            return _resample(table.time, table.data[:, idx], tq_clip)

        series.append(ExternalForceSeries(spec=f, time=tq, force=pick(fc), point=pick(pc),
                                          torque=pick(tc), force_columns=fc, point_columns=pc,
                                          torque_columns=tc))
    return ExternalLoadsData(spec=spec, time=tq, forces=tuple(series), data_source=data_src,
                             notes=spec.notes())


# --------------------------------------------------------------------------- writing

def write_external_loads(xml_path: str | os.PathLike[str], time: np.ndarray,
                         forces: Sequence[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]) -> tuple[Path, Path]:
    """Write an OpenSim 4 ExternalLoads ``.xml`` and its data ``.mot`` beside it (same stem).

    ``forces``: (name, body, force, point, torque) per external force, arrays (n_frames, 3) or
    (1, 3) in ground (N, m, N m); every force and point is expressed in ground. Column names follow
    OpenSim's habit: ``<name>_force_vx``..., ``<name>_force_px``..., ``<name>_torque_x``...
    OpenSim's InverseDynamicsTool reads the pair as it reads measured ground reactions; both files
    are written atomically. Returns the two paths (xml, mot).
    """
    xml_path = Path(xml_path)
    if xml_path.suffix.lower() != ".xml":
        raise input_error(str(xml_path), "file extension", xml_path.suffix, "an ExternalLoads file ends in .xml")
    t = np.asarray(time, dtype=float)
    names, cols = [], []
    for name, _, f, p, tq in forces:
        if not name or any(c in name for c in " \t\n="):
            raise input_error(str(xml_path), "force name", name, "a non-empty name without spaces or '='")
        for suffix, arr in (("_force_v", f), ("_force_p", p), ("_torque_", tq)):
            a = np.broadcast_to(np.asarray(arr, dtype=float), (t.size, 3))
            names += [f"{name}{suffix}{ax}" for ax in "xyz"]
            cols.append(a)
    data = np.hstack(cols) if cols else np.zeros((t.size, 0))
    if not np.all(np.isfinite(data)):
        raise input_error(str(xml_path), "external loads", "NaN or inf", "finite forces, points and torques")
    mot = xml_path.with_suffix(".mot")
    write_storage(mot, StorageTable(time=t, column_names=tuple(names), data=data, in_degrees=False,
                                    name=mot.stem))
    root = ET.Element("OpenSimDocument", Version="40000")
    loads = ET.SubElement(root, "ExternalLoads", name=xml_path.stem)
    objects = ET.SubElement(loads, "objects")
    for name, body, _, _, _ in forces:
        ef = ET.SubElement(objects, "ExternalForce", name=name)
        for tag, text in (("applied_to_body", body), ("force_expressed_in_body", "ground"),
                          ("point_expressed_in_body", "ground"), ("force_identifier", f"{name}_force_v"),
                          ("point_identifier", f"{name}_force_p"), ("torque_identifier", f"{name}_torque_"),
                          ("data_source_name", "Unassigned")):
            ET.SubElement(ef, tag).text = text
    ET.SubElement(loads, "groups")
    ET.SubElement(loads, "datafile").text = mot.name
    atomic_write_xml(xml_path, root)
    return xml_path, mot
