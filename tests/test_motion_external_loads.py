"""Tests for hipsim.motion.external_loads: ExternalLoads XML + ground-reaction data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hipsim.errors import InputError
from hipsim.motion.external_loads import load_external_loads, read_external_loads
from hipsim.motion.storage import StorageTable, write_storage

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason="../shared/reference/opensim absent")

XML = """<?xml version="1.0" encoding="UTF-8"?>
<OpenSimDocument Version="30000">
  <ExternalLoads name="loads">
    <objects>
      <ExternalForce name="right">
        <isDisabled>false</isDisabled>
        <applied_to_body>calcn_r</applied_to_body>
        <force_expressed_in_body>ground</force_expressed_in_body>
        <point_expressed_in_body>{point_frame}</point_expressed_in_body>
        <force_identifier>{force_id}</force_identifier>
        <point_identifier>r_p</point_identifier>
        <torque_identifier></torque_identifier>
      </ExternalForce>
      <ExternalForce name="off">
        <isDisabled>true</isDisabled>
        <applied_to_body>calcn_l</applied_to_body>
        <force_identifier>missing_v</force_identifier>
      </ExternalForce>
    </objects>
    <datafile>grf.mot</datafile>
    {extra}
  </ExternalLoads>
</OpenSimDocument>
"""


def _make(tmp_path: Path, force_id: str = "r_v", point_frame: str = "ground",
          extra: str = "") -> Path:
    t = np.linspace(0.0, 1.0, 11)
    # Linear in time: a natural cubic spline reproduces straight lines exactly.
    data = np.column_stack([10 * t, 700 + 100 * t, -5 * t, 0.1 + t, 0 * t, 0.02 * t])
    table = StorageTable(time=t, column_names=("r_vx", "r_vy", "r_vz", "r_px", "r_py", "r_pz"),
                         data=data, name="grf")
    write_storage(tmp_path / "grf.mot", table)
    xml = tmp_path / "loads.xml"
    xml.write_text(XML.format(force_id=force_id, point_frame=point_frame, extra=extra))
    return xml


def test_parses_forces_and_resamples(tmp_path: Path) -> None:
    """Columns follow OpenSim's prefix rule (r_v -> r_vx/r_vy/r_vz); values resample exactly
    for linear data; an empty torque identifier gives zero torque; a disabled force is
    skipped and reported."""
    xml = _make(tmp_path)
    tq = np.array([0.05, 0.5, 0.95])
    loads = load_external_loads(xml, tq)
    assert [f.body for f in loads.forces] == ["calcn_r"]
    f = loads.for_body("calcn_r")[0]
    assert f.force_columns == ("r_vx", "r_vy", "r_vz")
    np.testing.assert_allclose(f.force[:, 1], 700 + 100 * tq, rtol=1e-12)
    np.testing.assert_allclose(f.point[:, 0], 0.1 + tq, rtol=1e-12)
    assert f.force.shape == (3, 3) and not f.torque.any()
    assert f.spec.force_expressed_in_body == "ground"
    assert any("'off' is disabled" in n for n in loads.notes)


def test_identifier_absent_from_data_does_not_match(tmp_path: Path) -> None:
    """A force_identifier with no 3 matching columns: InputError saying 'does not match'."""
    xml = _make(tmp_path, force_id="l_v")
    with pytest.raises(InputError, match=r"force_identifier = 'l_v'.*does not match"):
        load_external_loads(xml, np.array([0.5]))


def test_time_span_not_covered(tmp_path: Path) -> None:
    """Requested times beyond the data file's 0-1 s span raise InputError naming both."""
    xml = _make(tmp_path)
    with pytest.raises(InputError, match=r"time span = '0-1 s'.*0.5-1.5 s"):
        load_external_loads(xml, np.array([0.5, 1.5]))


def test_kinematics_fields_are_reported(tmp_path: Path) -> None:
    """external_loads_model_kinematics_file and the load-kinematics cut-off are reported."""
    extra = ("<external_loads_model_kinematics_file>ik.mot</external_loads_model_kinematics_file>"
             "<lowpass_cutoff_frequency_for_load_kinematics>6</lowpass_cutoff_frequency_for_load_kinematics>")
    spec = read_external_loads(_make(tmp_path, point_frame="calcn_r", extra=extra))
    assert spec.model_kinematics_file == "ik.mot"
    assert spec.lowpass_cutoff_frequency_for_load_kinematics == 6.0
    notes = " ".join(spec.notes())
    assert "ik.mot" in notes and "matters for right" in notes and "6 Hz" in notes


def test_bad_xml(tmp_path: Path) -> None:
    """Malformed XML and a bad cut-off value are InputErrors naming the file."""
    bad = tmp_path / "bad.xml"
    bad.write_text("<ExternalLoads><objects>")
    with pytest.raises(InputError, match="bad.xml: XML"):
        read_external_loads(bad)
    extra = "<lowpass_cutoff_frequency_for_load_kinematics>six</lowpass_cutoff_frequency_for_load_kinematics>"
    with pytest.raises(InputError, match="'six'"):
        read_external_loads(_make(tmp_path, extra=extra))


@needs_ref
def test_reference_grf_xml() -> None:
    """subject01_walk1_grf.xml: right foot ground_force_* on calcn_r, left 1_ground_force_*
    on calcn_l (reference README); vertical force at t=0 is 745.466 N (file row 1)."""
    loads = load_external_loads(REF / "subject01_walk1_grf.xml", np.array([0.0, 0.5, 1.0]))
    right = loads.for_body("calcn_r")[0]
    left = loads.for_body("calcn_l")[0]
    assert right.force_columns == ("ground_force_vx", "ground_force_vy", "ground_force_vz")
    assert left.point_columns == ("1_ground_force_px", "1_ground_force_py", "1_ground_force_pz")
    assert right.force[0, 1] == pytest.approx(745.4661142)
    assert loads.spec.model_kinematics_file is None


@needs_ref
def test_reference_grf_cannot_cover_ik_span() -> None:
    """The GRF file spans 0-2.5 s and the IK file 0.5-4.0 s: 4.0 s is not covered."""
    with pytest.raises(InputError, match="time span"):
        load_external_loads(REF / "subject01_walk1_grf.xml", np.array([0.5, 4.0]))


def test_written_external_loads_read_back_exactly(tmp_path):
    """write_external_loads -> load_external_loads is the identity on the written times (values are
    written with round-trip precision; the reader's spline adds at most rounding), and bad input is
    refused with a sentence naming it."""
    from hipsim.errors import InputError
    from hipsim.motion.external_loads import write_external_loads
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 1.0, 7)
    f, p, tq = rng.normal(size=(3, 7, 3))
    xml, mot = write_external_loads(tmp_path / "loads.xml", t, [("right", "calcn_r", f, p, tq),
                                                                 ("arms", "torso", np.zeros((1, 3)), np.zeros((1, 3)), tq)])
    assert mot.name == "loads.mot" and mot.is_file()
    data = load_external_loads(xml, t)
    assert [(x.body, x.spec.name) for x in data.forces] == [("calcn_r", "right"), ("torso", "arms")]
    np.testing.assert_allclose(data.forces[0].force, f, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(data.forces[0].point, p, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(data.forces[1].torque, tq, rtol=1e-13, atol=1e-15)
    with pytest.raises(InputError, match="force name"):
        write_external_loads(tmp_path / "bad.xml", t, [("two words", "calcn_r", f, p, tq)])
    with pytest.raises(InputError, match="NaN"):
        write_external_loads(tmp_path / "bad.xml", t, [("right", "calcn_r", f * np.nan, p, tq)])
    with pytest.raises(InputError, match="extension"):
        write_external_loads(tmp_path / "bad.txt", t, [("right", "calcn_r", f, p, tq)])
