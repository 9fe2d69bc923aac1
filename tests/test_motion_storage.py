"""Tests for hipsim.motion.storage: OpenSim .sto/.mot reading and writing."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipsim.errors import InputError
from hipsim.motion.storage import (
    StorageTable,
    convert_to_radians,
    parse_storage_text,
    read_storage,
    require_columns,
    write_storage,
)

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason="../shared/reference/opensim absent")

V1 = """Coordinates
version=1
nRows=3
nColumns=3
inDegrees=yes
Units are S.I. units
endheader
time\tknee_angle_r\tpelvis_tx
0.0\t-5.0\t0.10
0.01\t-6.0\t0.11
0.02\t-7.5\t0.12
"""


# ----------------------------------------------------------------- hand-made files

def test_reads_version1_header() -> None:
    """OpenSim Storage version-1 header: name line, nRows, nColumns, inDegrees, endheader."""
    t = parse_storage_text(V1, "v1.mot")
    assert t.name == "Coordinates"
    assert t.in_degrees is True
    assert t.column_names == ("knee_angle_r", "pelvis_tx")
    assert t.description == ("Units are S.I. units",)
    np.testing.assert_array_equal(t.time, [0.0, 0.01, 0.02])
    np.testing.assert_array_equal(t.column("knee_angle_r"), [-5.0, -6.0, -7.5])


def test_reads_sto_file_adapter_header() -> None:
    """OpenSim 4 STOFileAdapter header (DataType, version=3, no nRows/nColumns)."""
    text = ("inDegrees=no\nDataType=double\nversion=3\nOpenSimVersion=4.6\nendheader\n"
            "time\ta\tb\n0\t1.5\t1.5\n0.1\t2.5\t2.5\n")
    t = parse_storage_text(text, "new.sto")
    assert t.in_degrees is False
    assert t.name == ""
    assert t.metadata["DataType"] == "double"
    np.testing.assert_array_equal(t.data, [[1.5, 1.5], [2.5, 2.5]])


def test_space_separated_crlf_and_blank_lines() -> None:
    """Whitespace variants: spaces instead of tabs, CRLF line ends, blank lines."""
    text = V1.replace("\t", "   ").replace("\n", "\r\n").replace("endheader\r\n",
                                                                   "endheader\r\n\r\n")
    t = parse_storage_text(text, "crlf.mot")
    assert t.column_names == ("knee_angle_r", "pelvis_tx")
    np.testing.assert_array_equal(t.column("pelvis_tx"), [0.10, 0.11, 0.12])


def test_convert_to_radians_leaves_translations() -> None:
    """Only rotational columns convert (as SimbodyEngine::convertDegreesToRadians)."""
    t = convert_to_radians(parse_storage_text(V1, "v1.mot"))
    assert t.in_degrees is False
    assert t.column("knee_angle_r")[0] == pytest.approx(math.radians(-5.0))
    assert t.column("pelvis_tx")[0] == pytest.approx(0.10)


def test_write_is_atomic_and_leaves_no_temp(tmp_path: Path) -> None:
    """The writer replaces the target in one step and leaves no temporary file."""
    t = parse_storage_text(V1, "v1.mot")
    target = tmp_path / "out.mot"
    target.write_text("old content")
    write_storage(target, t)
    assert read_storage(target).n_rows == 3
    assert [p.name for p in tmp_path.iterdir()] == ["out.mot"]


# ----------------------------------------------------------------- bad input: one test per error

@pytest.mark.parametrize("text, element, value", [
    pytest.param(V1.replace("endheader\n", ""), "endheader", "missing", id="missing-endheader"),
    pytest.param(V1.replace("0.01\t-6.0\t0.11", "0.01\t-6.0"), "line 10", "2 values",
                 id="column-count"),
    pytest.param(V1.replace("-6.0", "abc"), "column 'knee_angle_r'", "abc", id="non-numeric"),
    pytest.param(V1.replace("-6.0", "NaN"), "column 'knee_angle_r'", "nan", id="nan"),
    pytest.param(V1.replace("0.02\t", "0.01\t"), "column 'time'", "0.01", id="time-repeats"),
    pytest.param(V1.replace("0.02\t", "0.005\t"), "column 'time'", "0.005",
                 id="time-decreases"),
    pytest.param(V1.replace("inDegrees=yes", "inDegrees=maybe"), "inDegrees", "maybe",
                 id="bad-indegrees"),
    pytest.param(V1.replace("nColumns=3", "nColumns=4"), "nColumns", "4", id="ncolumns"),
    pytest.param(V1.replace("nRows=3", "nRows=5"), "nRows", "5", id="nrows"),
    pytest.param(V1.replace("nRows=3", "nRows=three"), "nRows", "three", id="nrows-text"),
    pytest.param(V1.replace("time\t", "t\t"), "first column label", "t", id="no-time-column"),
    pytest.param(V1.replace("pelvis_tx", "knee_angle_r"), "column label", "knee_angle_r",
                 id="duplicate-label"),
    pytest.param(V1.split("time\t")[0], "column labels", "missing", id="no-labels"),
    pytest.param(V1.replace("nRows=3", "nRows=0").split("0.0\t")[0], "data rows", "0",
                 id="no-rows"),
])
def test_bad_input_names_file_element_value(text: str, element: str, value: str) -> None:
    """Each malformed file raises InputError naming the file, the element and the value."""
    with pytest.raises(InputError) as info:
        parse_storage_text(text, "bad.mot")
    msg = str(info.value)
    assert msg.startswith("bad.mot: ")
    assert element in msg
    assert value in msg
    assert msg.endswith(".") and ". " not in msg  # one sentence


def test_missing_file() -> None:
    """A path that does not exist is an InputError naming it, not a FileNotFoundError."""
    with pytest.raises(InputError, match="nope.sto"):
        read_storage("/nonexistent/nope.sto")


def test_require_columns_names_missing_column() -> None:
    """require_columns names the first missing column and the source."""
    t = parse_storage_text(V1, "v1.mot")
    require_columns(t, ["knee_angle_r"])
    with pytest.raises(InputError, match=r"trial\.mot: column = 'hip_flexion_r'"):
        require_columns(t, ["knee_angle_r", "hip_flexion_r"], source="trial.mot")


def test_write_rejects_bad_extension(tmp_path: Path) -> None:
    """Only .sto and .mot are written: OpenSim picks its reader by extension."""
    with pytest.raises(InputError, match="extension"):
        write_storage(tmp_path / "x.csv", parse_storage_text(V1, "v1.mot"))


def test_table_rejects_shape_mismatch() -> None:
    """A table whose data shape disagrees with time and names is refused."""
    with pytest.raises(InputError, match="shape"):
        StorageTable(time=np.arange(3.0), column_names=("a", "b"), data=np.zeros((3, 3)))


# ----------------------------------------------------------------- property tests

labels_st = st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
                     .filter(lambda s: s.lower() != "time"),
                     min_size=1, max_size=6, unique=True)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def tables(draw: st.DrawFn) -> StorageTable:
    names = draw(labels_st)
    n = draw(st.integers(1, 12))
    steps = draw(st.lists(st.floats(1e-6, 10.0), min_size=n, max_size=n))
    t0 = draw(st.floats(-100, 100))
    time = t0 + np.cumsum(steps)
    data = np.array(draw(st.lists(st.lists(finite, min_size=len(names), max_size=len(names)),
                                  min_size=n, max_size=n)), dtype=float).reshape(n, len(names))
    return StorageTable(time=time, column_names=tuple(names), data=data,
                        in_degrees=draw(st.booleans()), name="table")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_round_trip_write_read(tmp_path: Path, table: StorageTable) -> None:
    """Property: write then read gives back exactly the same times, labels, data, flag."""
    back = read_storage(write_storage(tmp_path / "rt.sto", table))
    assert back.column_names == table.column_names
    assert back.in_degrees == table.in_degrees
    np.testing.assert_array_equal(back.time, table.time)
    np.testing.assert_array_equal(back.data, table.data)


@settings(max_examples=60, deadline=None)
@given(table=tables(), sep=st.sampled_from(["\t", " ", "  \t ", "\t\t"]),
       newline=st.sampled_from(["\n", "\r\n"]), trailing=st.sampled_from(["", "\t\t", "  "]))
def test_whitespace_variants_parse_alike(table: StorageTable, sep: str, newline: str,
                                         trailing: str) -> None:
    """Property: any mix of tabs/spaces, CRLF and trailing blanks parses to the same table."""
    head = [table.name, "version=1", f"nRows={table.n_rows}",
            f"nColumns={len(table.column_names) + 1}",
            f"inDegrees={'yes' if table.in_degrees else 'no'}", "endheader",
            sep.join(("time",) + table.column_names)]
    rows = [sep.join(repr(float(v)) for v in (t, *row))
            for t, row in zip(table.time, table.data)]
    text = newline.join(line + trailing for line in head + rows) + newline
    back = parse_storage_text(text, "ws.mot")
    assert back.in_degrees == table.in_degrees
    np.testing.assert_array_equal(back.data, table.data)
    np.testing.assert_array_equal(back.time, table.time)


@settings(max_examples=40, deadline=None)
@given(table=tables(), flag=st.sampled_from(["yes", "no", "Yes", "NO", "true", "false"]))
def test_degrees_flag(table: StorageTable, flag: str) -> None:
    """Property: inDegrees yes/no (any case) sets in_degrees; absent means False."""
    body = "\n".join(["endheader", "\t".join(("time",) + table.column_names)] +
                     ["\t".join(repr(float(v)) for v in (t, *row))
                      for t, row in zip(table.time, table.data)]) + "\n"
    assert parse_storage_text(f"inDegrees={flag}\n" + body).in_degrees == (
        flag.lower() in ("yes", "true"))
    assert parse_storage_text(body).in_degrees is False


@settings(max_examples=40, deadline=None)
@given(table=tables(), data=st.data())
def test_any_bad_cell_is_reported_with_its_line(table: StorageTable,
                                                data: st.DataObject) -> None:
    """Property: a non-numeric cell anywhere is reported with its line and column."""
    r = data.draw(st.integers(0, table.n_rows - 1))
    c = data.draw(st.integers(0, len(table.column_names) - 1))
    rows = [["%r" % float(v) for v in (t, *row)] for t, row in zip(table.time, table.data)]
    rows[r][c + 1] = "x1"
    text = "\n".join(["endheader", "\t".join(("time",) + table.column_names)] +
                     ["\t".join(row) for row in rows]) + "\n"
    with pytest.raises(InputError) as info:
        parse_storage_text(text, "cell.sto")
    assert f"line {r + 3}, column '{table.column_names[c]}' = 'x1'" in str(info.value)


# ----------------------------------------------------------------- shared reference files

@needs_ref
def test_reference_ik_file() -> None:
    """subject01_walk1_ik.mot (opensim-models): 211 rows, 23 coordinates, degrees, 0.5–4.0 s."""
    t = read_storage(REF / "subject01_walk1_ik.mot")
    assert t.in_degrees
    assert t.data.shape == (211, 23)
    assert t.time[0] == pytest.approx(0.5) and t.time[-1] == pytest.approx(4.0)
    # Value copied by eye from line 12 of the file (first data row).
    assert t.column("hip_flexion_r")[0] == pytest.approx(19.18693645)


@needs_ref
def test_reference_grf_file_with_trailing_tabs() -> None:
    """subject01_walk1_grf.mot has tab-padded header lines; 1501 rows x 18 force columns."""
    t = read_storage(REF / "subject01_walk1_grf.mot")
    assert t.name == "subject01_walk1_grf.mot"
    assert t.data.shape == (1501, 18)
    assert t.column("ground_force_vy")[0] == pytest.approx(745.4661142)


@needs_ref
def test_reference_round_trip(tmp_path: Path) -> None:
    """Writing the reference IK file and reading it back loses nothing."""
    t = read_storage(REF / "subject01_walk1_ik.mot")
    back = read_storage(write_storage(tmp_path / "ik.mot", t))
    np.testing.assert_array_equal(back.data, t.data)
    assert back.description == t.description
