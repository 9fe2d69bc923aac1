"""Optional cross-checks of hipsim.motion against the OpenSim 4 Python API.

Skipped unless ``import opensim`` works and ../shared/reference/opensim is present.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "opensim"
if not REF.is_dir():
    pytest.skip("../shared/reference/opensim absent", allow_module_level=True)
osim = pytest.importorskip("opensim")

from hipsim.motion.external_loads import load_external_loads  # noqa: E402
from hipsim.motion.filtering import fit_coordinate_splines  # noqa: E402
from hipsim.motion.storage import StorageTable, read_storage, write_storage  # noqa: E402

IK = REF / "subject01_walk1_ik.mot"
MODEL = REF / "gait2392_thelen2003muscle.osim"


@pytest.fixture(scope="module")
def model() -> "osim.Model":
    m = osim.Model(str(MODEL))
    m.initSystem()
    return m


def _opensim_splines(model: "osim.Model", cutoff: float | None) -> "osim.GCVSplineSet":
    s = osim.Storage(str(IK))
    if cutoff is not None:
        # The InverseDynamicsTool steps (InverseDynamicsTool.cpp, run()).
        s.pad(s.getSize() // 2)
        s.lowpassIIR(cutoff)
    model.getSimbodyEngine().convertDegreesToRadians(s)
    return osim.GCVSplineSet(5, s)


@pytest.mark.parametrize("cutoff, tol", [(6.0, (1e-12, 1e-10, 1e-8)), (None, (1e-12, 1e-10, 1e-8))])
def test_coordinate_splines_match_inverse_dynamics_tool(model: "osim.Model",
                                                        cutoff: float | None,
                                                        tol: tuple[float, float, float]) -> None:
    """Values, velocities, accelerations equal OpenSim 4's pad+lowpassIIR+GCVSplineSet(5)."""
    mine = fit_coordinate_splines(read_storage(IK), cutoff)
    theirs = _opensim_splines(model, cutoff)
    ev = np.linspace(0.5, 4.0, 351)
    got = [mine.values(ev), mine.velocities(ev), mine.accelerations(ev)]
    d1, d2 = osim.StdVectorInt([0]), osim.StdVectorInt([0, 0])
    for j, name in enumerate(mine.names):
        f = theirs.get(name)
        ref = np.array([[f.calcValue(osim.Vector(1, x)), f.calcDerivative(d1, osim.Vector(1, x)),
                         f.calcDerivative(d2, osim.Vector(1, x))] for x in ev])
        for k in range(3):
            assert np.abs(ref[:, k] - got[k][:, j]).max() < tol[k], (name, k)


def test_external_forces_match_opensim() -> None:
    """Force/point/torque equal OpenSim's ExternalForce get*AtTime on subject01 GRF."""
    m = osim.Model(str(MODEL))
    el = osim.ExternalLoads(str(REF / "subject01_walk1_grf.xml"), True)
    data = osim.Storage(str(REF / "subject01_walk1_grf.mot"))
    forces = []
    for k in range(el.getSize()):
        ef = el.get(k).clone()
        ef.setDataSource(data)
        m.addForce(ef)
        forces.append(ef)
    m.initSystem()
    tq = np.linspace(0.0, 2.5, 397)
    mine = load_external_loads(REF / "subject01_walk1_grf.xml", tq)
    for ef, f in zip(forces, mine.forces):
        for get, arr, tol in ((ef.getForceAtTime, f.force, 1e-9), (ef.getPointAtTime, f.point, 1e-12),
                              (ef.getTorqueAtTime, f.torque, 1e-11)):
            ref = np.array([[get(t).get(i) for i in range(3)] for t in tq])
            assert np.abs(ref - arr).max() < tol


def test_opensim_reads_written_file(tmp_path: Path) -> None:
    """OpenSim's Storage and STOFileAdapter read a file hipsim wrote, values intact."""
    t = np.linspace(0.0, 0.5, 26)
    table = StorageTable(time=t, column_names=("hip_flexion_r", "pelvis_tx"),
                         data=np.column_stack([np.sin(t), 0.1 * t]), in_degrees=False,
                         name="hipsim_test")
    path = write_storage(tmp_path / "w.sto", table)
    s = osim.Storage(str(path))
    assert s.getSize() == 26 and not s.isInDegrees()
    col = osim.ArrayDouble()
    s.getDataColumn("hip_flexion_r", col)
    np.testing.assert_allclose([col.get(i) for i in range(col.getSize())], np.sin(t), rtol=1e-15)
    tab = osim.TimeSeriesTable(str(path))
    assert tab.getNumRows() == 26
    assert list(tab.getColumnLabels()) == ["hip_flexion_r", "pelvis_tx"]
