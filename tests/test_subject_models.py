"""The 9 measured adults' own scaled models (Schreiber & Moissenet 2019): they import, and hipsim's
inverse dynamics on their trials equals OpenSim 4.6's InverseDynamicsTool on the same files.

Source: Schreiber C, Moissenet F (2019), Sci Data 6:111 (CC BY 4.0), with the OpenSim scaling,
inverse kinematics and ExternalLoads of A. Fox (github.com/aaronsfox/zmp-opensim): per subject a
scaled Rajagopal-based model (muscles removed, walker knees whose adduction and rotation are
splines of the knee angle, patellae coupled to the knee, locked subtalar and mtp joints), one
trial at the preferred (C4) and one at the fast (C5) speed, each one step long (toe-off to
toe-off, 0.4-0.6 s at 100 Hz). Read in place from ../shared/reference/gait (skipped when absent).

Both sides use the whole motion and no coordinate filter (OpenSim's -1; hipsim's ``cutoff_hz=None``:
quintic splines through the samples, as OpenSim's tool does), so only the dynamics are compared.
Measured with ``python -m pytest tests/test_subject_models.py -s`` (it prints every trial's worst
coordinate): every coordinate of 15 of the 18 trials within 1 % of its peak, the pelvis residuals
included; three exceed it, up to 1.35 % (hip flexion during swing). The cause, pinned by the last
test: OpenSim's velocity-dependent (Coriolis) terms of the walker knee's CustomJoint, whose three
rotation axes all turn with the knee angle, differ from finite differences of OpenSim's own body
poses (the tibia's angular acceleration about z is half of what its rotation matrices give), and
hipsim's agree with them. With those two rotations made constant in both programs, every coordinate
of every trial agrees within 0.4 %.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import hipsim

#: ../shared/reference/gait relative to the repository root. Tests read it in place.
GAIT = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "gait"
SUBJECTS = ("2014001", "2014007", "2014014", "2014019", "2014025", "2014031", "2014048", "2015007", "2015035")
SPEEDS = ("C4", "C5")
#: Trials whose worst coordinate misses 1 % with OpenSim 4.6 (measured, no filter): hip flexion in
#: swing, from OpenSim's walker-knee velocity terms (see the last test).
OVER = {("2014007", "C5"): "1.35 % hip_flexion_r", ("2014014", "C4"): "1.14 % hip_flexion_r",
        ("2014025", "C4"): "1.003 % hip_flexion_l"}


@pytest.fixture(scope="session")
def gait_dir() -> Path:
    root = GAIT / "schreiber_moissenet2019"
    if not root.is_dir():
        pytest.skip(f"gait reference folder {root} is absent")
    return root


def _trial(root: Path, subject: str, speed: str) -> tuple[Path, Path, Path]:
    """(scaled model, IK motion, ExternalLoads XML) of one subject's trial at one speed."""
    model = next((root / subject / "scaling").glob("*.osim"))
    mot = next((root / subject / "ik").glob(f"{speed}_*/{speed}_*_ik.mot"))
    xml = root / subject / "dynamic" / f"{subject}_{mot.parent.name}_grf.xml"
    return model, mot, xml


def _rigid_knee(src: Path, dst: Path) -> Path:
    """The model with the walker knees' second and third rotations (adduction and rotation, splines
    of the knee angle) made constant zero: the knees become hinges."""
    def hinge(joint: re.Match) -> str:
        text = joint.group(0)
        for axis in ("rotation2", "rotation3"):
            text, n = re.subn(rf'(<TransformAxis name="{axis}">.*?)<SimmSpline name="function">.*?</SimmSpline>',
                              r'\1<Constant name="function"><value>0</value></Constant>', text, count=1, flags=re.S)
            assert n == 1, axis
        return text
    text, n = re.subn(r'<CustomJoint name="walker_knee_[rl]">.*?</CustomJoint>', hinge, src.read_text(), flags=re.S)
    assert n == 2
    dst.write_text(text)
    return dst


def _opensim_inverse_dynamics(opensim, model_path: Path, mot: Path, xml: Path, start: float, end: float, out: Path):
    """OpenSim's InverseDynamicsTool on the files, no coordinate filter; its generalised forces."""
    model = opensim.Model(str(model_path))
    model.initSystem()
    tool = opensim.InverseDynamicsTool()
    tool.setModel(model)
    tool.setCoordinatesFileName(str(mot))
    tool.setExternalLoadsFileName(str(xml))
    tool.setLowpassCutoffFrequency(-1.0)
    tool.setStartTime(start)
    tool.setEndTime(end)
    tool.setResultsDir(str(out))
    tool.setOutputGenForceFileName(f"{mot.stem}_id.sto")
    tool.run()
    return hipsim.motion.read_storage(out / f"{mot.stem}_id.sto")


def _worst(opensim, model_path: Path, mot: Path, xml: Path, out: Path) -> list[tuple[float, str, float, float]]:
    """hipsim's inverse dynamics against OpenSim's on the same files: per coordinate (difference
    as % of OpenSim's peak |generalised force|, name, max |difference|, peak), worst first."""
    from hipsim.dynamics.inverse import ExternalLoad, inverse_dynamics
    from hipsim.motion import coordinate_kinematics, load_external_loads, read_storage
    motion = read_storage(mot)
    ref = _opensim_inverse_dynamics(opensim, model_path, mot, xml, float(motion.time[0]), float(motion.time[-1]), out)
    assert ref.time[0] == pytest.approx(motion.time[0]) and ref.time[-1] == pytest.approx(motion.time[-1])
    m = hipsim.load_model(model_path)
    kin = coordinate_kinematics(motion, cutoff_hz=None, times=ref.time)
    order = [kin.names.index(n) for n in m.coordinate_names]
    loads = load_external_loads(xml, time=ref.time, bodies=m.body_names)
    assert {f.body for f in loads.forces} == {"calcn_r", "calcn_l"}
    ext = [ExternalLoad(f.body, f.force, f.point, f.torque) for f in loads.forces]
    tau = inverse_dynamics(m, kin.q[:, order], kin.qdot[:, order], kin.qddot[:, order], external=ext)
    rows = []
    for name in m.coordinate_names:  # every independent coordinate, the pelvis residuals included
        theirs = ref.column(f"{name}_force" if name in ("pelvis_tx", "pelvis_ty", "pelvis_tz") else f"{name}_moment")
        diff, peak = float(np.abs(tau[:, m.coordinate_index(name)] - theirs).max()), float(np.abs(theirs).max())
        rows.append((100.0 * diff / peak, name, diff, peak))
    return sorted(rows, reverse=True)


def test_every_subject_model_imports(opensim, gait_dir):
    """Each scaled model imports with its 22 bodies (plus ground) and OpenSim's 37 independent
    coordinates (the two patellofemoral coordinates are coupled to the knees); hipsim's coordinates
    are the IK motion's columns without those two."""
    for subject in SUBJECTS:
        model_path, mot, _ = _trial(gait_dir, subject, "C4")
        m = hipsim.load_model(model_path)
        osm = opensim.Model(str(model_path))
        state = osm.initSystem()
        coords = osm.getCoordinateSet()
        independent = [coords.get(i).getName() for i in range(coords.getSize()) if not coords.get(i).isDependent(state)]
        assert len(m.body_names) == osm.getBodySet().getSize() + 1 == 23, subject
        assert sorted(m.coordinate_names) == sorted(independent) and len(independent) == 37, subject
        columns = hipsim.motion.read_storage(mot).column_names
        assert sorted(m.coordinate_names) == sorted(c for c in columns if not c.endswith("_beta")), subject
        assert m.mass == pytest.approx(osm.getTotalMass(state), rel=1e-9), subject


@pytest.mark.parametrize("subject, speed", [
    pytest.param(s, c, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                               reason=f"{OVER[s, c]}: OpenSim's walker-knee velocity terms"))
    if (s, c) in OVER else (s, c) for s in SUBJECTS for c in SPEEDS])
def test_inverse_dynamics_matches_opensim_tool(opensim, gait_dir, tmp_path, subject, speed):
    """hipsim's generalised forces with the subject's own model, the trial's IK coordinates and its
    ExternalLoads equal OpenSim's InverseDynamicsTool on the same files, window and (no) filter
    within 1 % of each coordinate's peak, for every coordinate. Measured: 15 of 18 trials pass; the
    three in OVER miss by up to 0.35 points, all in hip flexion during swing (see the last test)."""
    rows = _worst(opensim, *_trial(gait_dir, subject, speed), tmp_path)
    print(f"\n{subject} {speed}: worst {rows[0][1]} {rows[0][0]:.3f} % ({rows[0][2]:.3g} of {rows[0][3]:.3g})")
    assert rows[0][0] <= 1.0, rows[:3]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_inverse_dynamics_matches_opensim_tool_with_hinge_knees(opensim, gait_dir, tmp_path, subject):
    """The same comparison with both programs given the model with the walker knees' adduction and
    rotation splines made constant (a copy in tmp_path): every coordinate of both trials within
    1 % of its peak (measured at most 0.39 %, the knees: OpenSim reports the patella's load on the
    coupled patellofemoral coordinate, hipsim on the knee). So the ground-load application, the
    pelvis residuals, the locked and coupled joints and the arms agree, and what misses 1 % with
    the original knees is the walker knee's velocity terms."""
    for speed in SPEEDS:
        model_path, mot, xml = _trial(gait_dir, subject, speed)
        rows = _worst(opensim, _rigid_knee(model_path, tmp_path / f"{subject}_hinge.osim"), mot, xml, tmp_path)
        print(f"\n{subject} {speed} hinge knees: worst {rows[0][1]} {rows[0][0]:.3f} %")
        assert rows[0][0] <= 1.0, (speed, rows[:3])


def test_walker_knee_velocity_terms_follow_the_models_own_poses(opensim, gait_dir):
    """Why three trials miss 1 %. Subject 2014007's fast trial at 0.44 s (mid swing), with only the
    right knee moving (the measured -7.1 rad/s, no acceleration, no gravity): the generalised forces
    are the inertial loads of the moving bodies. Computed by virtual work from finite differences of
    OpenSim's own body poses (accelerations by central differences in time, Jacobians in the
    coordinates), they equal hipsim's within 0.05 N m / N, while OpenSim's InverseDynamicsSolver
    differs by 0.7 N m at the hip and 0.3 N m at the knee; Simbody's angular acceleration of the tibia
    about ground z is half of what its rotation matrices give (0.75 against 1.50 rad/s^2)."""
    from hipsim.dynamics.inverse import inverse_dynamics
    from hipsim.motion import coordinate_kinematics, read_storage
    model_path, mot, _ = _trial(gait_dir, "2014007", "C5")
    m = hipsim.load_model(model_path)
    kin = coordinate_kinematics(read_storage(mot), cutoff_hz=None, times=np.array([0.44]))
    q0 = kin.q[0, [kin.names.index(n) for n in m.coordinate_names]]
    knee = m.coordinate_index("knee_angle_r")
    qd = np.zeros_like(q0)
    qd[knee] = kin.qdot[0, kin.names.index("knee_angle_r")]
    assert -8.0 < qd[knee] < -6.0
    ours = inverse_dynamics(m, q0[None], qd[None], np.zeros((1, q0.size)))[0] - \
        inverse_dynamics(m, q0[None], np.zeros((1, q0.size)), np.zeros((1, q0.size)))[0]

    osm = opensim.Model(str(model_path))
    osm.setGravity(opensim.Vec3(0.0, 0.0, 0.0))
    state = osm.initSystem()
    coords, bodies = osm.getCoordinateSet(), osm.getBodySet()

    def poses(q):
        for j, name in enumerate(m.coordinate_names):
            coords.get(name).setValue(state, float(q[j]), False)
        for side in "rl":  # the patellae follow the knees (the coupler is the identity)
            knee_q = float(q[m.coordinate_index(f"knee_angle_{side}")])
            coords.get(f"knee_angle_{side}_beta").setValue(state, knee_q, False)
        osm.realizePosition(state)
        out = []
        for i in range(bodies.getSize()):
            x = bodies.get(i).getTransformInGround(state)
            rot = np.array([[x.R().get(r, c) for c in range(3)] for r in range(3)])
            com = bodies.get(i).getMassCenter()
            origin = np.array([x.p().get(k) for k in range(3)])
            out.append((rot, origin + rot @ np.array([com.get(k) for k in range(3)])))
        return out

    def vee(s):
        return 0.5 * np.array([s[2, 1] - s[1, 2], s[0, 2] - s[2, 0], s[1, 0] - s[0, 1]])

    h = 1e-3
    path = {k: poses(q0 + qd * k * h) for k in (-2, -1, 0, 1, 2)}

    def omega(b, k):
        return vee((path[k + 1][b][0] - path[k - 1][b][0]) / (2 * h) @ path[k][b][0].T)

    def virtual_work(name):
        e = np.zeros_like(q0)
        e[m.coordinate_index(name)] = 1e-6
        plus, minus = poses(q0 + e), poses(q0 - e)
        total = 0.0
        for b in range(bodies.getSize()):
            body = bodies.get(b)
            mom, prod = body.getInertia().getMoments(), body.getInertia().getProducts()
            inertia = np.array([[mom.get(0), prod.get(0), prod.get(1)], [prod.get(0), mom.get(1), prod.get(2)],
                                [prod.get(1), prod.get(2), mom.get(2)]])
            rot = path[0][b][0]
            inertia = rot @ inertia @ rot.T
            acc = (path[1][b][1] - 2 * path[0][b][1] + path[-1][b][1]) / h ** 2
            w, alpha = omega(b, 0), (omega(b, 1) - omega(b, -1)) / (2 * h)
            dp = (plus[b][1] - minus[b][1]) / 2e-6
            dtheta = vee((plus[b][0] - minus[b][0]) / 2e-6 @ rot.T)
            total += body.getMass() * acc @ dp + (inertia @ alpha + np.cross(w, inertia @ w)) @ dtheta
        return total

    # OpenSim's own inverse dynamics of the same state.
    nu = state.getNU()
    speed_index = {}
    for i in range(coords.getSize()):
        state.setU(opensim.Vector(nu, 0.0))
        coords.get(i).setSpeedValue(state, 1.0)
        speed_index[coords.get(i).getName()] = next(k for k in range(nu) if state.getU().get(k) == 1.0)
    poses(q0)
    state.setU(opensim.Vector(nu, 0.0))
    for name in ("knee_angle_r", "knee_angle_r_beta"):
        coords.get(name).setSpeedValue(state, float(qd[knee]))
    osm.realizeVelocity(state)
    theirs = opensim.InverseDynamicsSolver(osm).solve(state, opensim.Vector(nu, 0.0))
    accelerations = opensim.VectorOfSpatialVec()
    osm.getMatterSubsystem().calcBodyAccelerationFromUDot(state, opensim.Vector(nu, 0.0), accelerations)
    simbody = accelerations.get(int(bodies.get("tibia_r").getMobilizedBodyIndex())).get(0)
    simbody = np.array([simbody.get(k) for k in range(3)])
    for name in ("hip_flexion_r", "knee_angle_r", "pelvis_tx", "pelvis_tilt"):
        truth = virtual_work(name)
        assert abs(ours[m.coordinate_index(name)] - truth) < 0.05, (name, ours[m.coordinate_index(name)], truth)
    assert abs(theirs.get(speed_index["hip_flexion_r"]) - virtual_work("hip_flexion_r")) > 0.5
    assert abs(theirs.get(speed_index["knee_angle_r"]) - virtual_work("knee_angle_r")) > 0.2

    # Simbody's tibia acceleration from the velocities alone, against its rotation matrices.
    tibia = [bodies.get(i).getName() for i in range(bodies.getSize())].index("tibia_r")
    from_poses = (omega(tibia, 1) - omega(tibia, -1)) / (2 * h)
    assert from_poses[2] == pytest.approx(2.0 * simbody[2], rel=0.01)
    assert from_poses[2] == pytest.approx(1.50, abs=0.02)
