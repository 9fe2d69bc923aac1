"""The shared subject01 walk end to end, and its inverse dynamics against OpenSim's
InverseDynamicsTool on the same files and filter (skipped without opensim or the folder)."""
from __future__ import annotations

import numpy as np
import pytest

import hipsim

HIP = [f"hip_{c}_{s}" for s in "rl" for c in ("flexion", "adduction", "rotation")]


def _opensim_inverse_dynamics(opensim, model_path, coordinates, external_loads, cutoff_hz, start, end, out):
    """Run OpenSim's InverseDynamicsTool (muscles excluded) and read its generalised forces."""
    model = opensim.Model(str(model_path))
    model.initSystem()
    tool = opensim.InverseDynamicsTool()
    tool.setModel(model)
    tool.setCoordinatesFileName(str(coordinates))
    tool.setExternalLoadsFileName(str(external_loads))
    tool.setLowpassCutoffFrequency(cutoff_hz)
    tool.setStartTime(start)
    tool.setEndTime(end)
    tool.setResultsDir(str(out))
    tool.setOutputGenForceFileName("id.sto")
    excluded = opensim.ArrayStr()
    excluded.append("Muscles")
    tool.setExcludedForces(excluded)
    tool.run()
    return hipsim.motion.read_storage(out / "id.sto")


def test_subject01_walk_runs_end_to_end(reference_dir):
    """The measured walk (coordinates, GRF, ExternalLoads XML) runs from kinematics to muscle
    forces and hip contact force for the first full right gait cycle, with no reserve above
    5 N m (the muscles of the scaled gait2392 can carry the measured moments)."""
    r = hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                 reference_dir / "subject01_walk1_ik.mot", reference_dir / "subject01_walk1_grf.xml")
    assert r.n_frames == 101 and r.percent[-1] == 100.0
    assert np.all(r.solver_converged)
    assert np.abs(r.reserves).max() < 5.0
    hcf = r.hip_contact_force_bw["r"].to_numpy()
    assert np.all(np.isfinite(hcf)) and hcf.max() > 1.5


def test_subject01_hip_moments_match_opensim_inverse_dynamics_tool(opensim, reference_dir, tmp_path):
    """Hip generalised forces of the shared subject01 walk agree with OpenSim 4.6's
    InverseDynamicsTool on the same files with the same 6 Hz coordinate filter, within 2 % of
    each coordinate's peak."""
    model_path = reference_dir / "subject01_simbody_adjusted.osim"
    ref = _opensim_inverse_dynamics(opensim, model_path, reference_dir / "subject01_walk1_ik.mot",
                                    reference_dir / "subject01_walk1_grf.xml", 6.0, 0.6, 1.8, tmp_path)

    from hipsim.dynamics.inverse import ExternalLoad, inverse_dynamics
    from hipsim.motion import coordinate_kinematics, load_external_loads, read_storage
    m = hipsim.load_model(model_path)
    kin = coordinate_kinematics(read_storage(reference_dir / "subject01_walk1_ik.mot"), cutoff_hz=6.0, times=ref.time)
    order = [kin.names.index(n) for n in m.coordinate_names]
    loads = load_external_loads(reference_dir / "subject01_walk1_grf.xml", time=ref.time)
    ext = [ExternalLoad(f.body, f.force, f.point, f.torque) for f in loads.forces]
    tau = inverse_dynamics(m, kin.q[:, order], kin.qdot[:, order], kin.qddot[:, order], external=ext)
    for name in HIP:
        r = ref.column(f"{name}_moment")
        h = tau[:, m.coordinate_index(name)]
        assert np.abs(h - r).max() <= 0.02 * np.abs(r).max(), name


def test_subject01_hip_contact_force_is_double_peaked_in_the_in_vivo_range(reference_dir):
    """The measured subject01 walk, from kinematics and ground forces to muscle forces: the right hip
    contact force has two stance peaks (loading response and terminal stance) and a maximum between
    2.0 and 3.5 body weights (in vivo 2.38 BW at about 4 km/h, Bergmann et al. 2001, J Biomech
    34:859; Bergmann et al. 2016: 2.17-2.82 BW in ten patients)."""
    r = hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                 reference_dir / "subject01_walk1_ik.mot", reference_dir / "subject01_walk1_grf.xml")
    hcf = r.hip_contact_force_bw["r"].to_numpy()
    assert 2.0 <= hcf.max() <= 3.5
    first, second = hcf[:30].max(), hcf[30:60].max()
    valley = hcf[int(np.argmax(hcf[:30])):30 + int(np.argmax(hcf[30:60]))].min()
    assert first > 1.5 and second > 1.5 and valley < min(first, second) - 0.2


def test_built_in_walk_exports_open_in_opensim_and_give_the_same_hip_moments(opensim, reference_dir, tmp_path):
    """``TaskResult.to_sto`` writes the built-in walk's coordinates and external loads (both feet's ground
    reactions and the arms' torque on the torso) as OpenSim files. OpenSim 4.6's InverseDynamicsTool,
    run on them with gait2392 (the model the walk is solved on) and no filter, gives the
    hip and lumbar generalised forces hipsim computed with the cycle's exact derivatives, within 0.5 %
    of each coordinate's peak away from the ends (OpenSim differentiates the exported angles with
    splines, whose natural end conditions are wrong for a periodic cycle), and OpenSim finds no
    pelvis residual: below 1 N and 1 N m, so the exported ground reactions balance the motion."""
    walk = hipsim.gait(hipsim.load_model("gait2392"), n_frames=401)
    walk.to_sto(tmp_path)
    ref = _opensim_inverse_dynamics(opensim, reference_dir / "gait2392_thelen2003muscle.osim",
                                    tmp_path / "coordinates.mot", tmp_path / "external_loads.xml", -1.0,
                                    float(walk.time[0]), float(walk.time[-1]), tmp_path)
    inner = (ref.time > walk.time[-1] * 0.05) & (ref.time < walk.time[-1] * 0.95)
    for name in HIP + ["lumbar_rotation", "lumbar_bending"]:
        ours = np.interp(ref.time, walk.time, walk.generalized_force(name))
        theirs = ref.column(f"{name}_moment")
        peak = np.abs(ours).max()
        assert np.abs(ours - theirs)[inner].max() <= 0.005 * peak, name
    for name in ("pelvis_tilt", "pelvis_list", "pelvis_rotation"):
        assert np.abs(ref.column(f"{name}_moment")[inner]).max() < 1.0, name
    for name in ("pelvis_tx", "pelvis_ty", "pelvis_tz"):
        assert np.abs(ref.column(f"{name}_force")[inner]).max() < 1.0, name


def test_built_in_walk_hip_contact_force_matches_opensim_joint_reaction(opensim, reference_dir, tmp_path):
    """hipsim's hip contact force is the force the pelvis exerts on the femur through the hip joint,
    given the motion, the external loads and the muscle forces. OpenSim 4.6's JointReaction analysis
    computes the same from a forces file (its documented use with StaticOptimization results). Run on
    what ``to_sto`` exports for the built-in walk (coordinates, ground reactions, and the forces file
    with every muscle's force plus the CoordinateActuators that carry the rest of each generalised
    force: reserves, passive joint moments, the unmuscled lumbar joints), with gait2392 and the
    exported actuators added as a force set file, it gives the right hip's force on the femur in
    ground within 0.001 body weights in every frame. So the model's surplus over in-vivo contact
    forces is not in the hip-contact computation."""
    from hipsim.motion.opensim_tools import joint_reaction, run_analyze_tool
    from hipsim.motion.storage import read_storage
    walk = hipsim.gait(hipsim.load_model("gait2392"), n_frames=101)
    walk.to_sto(tmp_path)
    run_analyze_tool(opensim, "walk", reference_dir / "gait2392_thelen2003muscle.osim", tmp_path / "coordinates.mot",
                     tmp_path / "external_loads.xml", walk.time[0], walk.time[-1], tmp_path,
                     [joint_reaction(opensim, tmp_path / "joint_reaction_forces.sto")],
                     force_set_files=[tmp_path / "coordinate_actuators.xml"])
    ref = read_storage(tmp_path / "walk_reaction_ReactionLoads.sto")
    theirs = np.column_stack([ref.column(f"hip_r_on_femur_r_in_ground_f{a}") for a in "xyz"])
    ours = np.column_stack([np.interp(ref.time, walk.time, walk.hip_contact_force_ground["r"][:, k])
                            for k in range(3)])
    assert len(ref.time) == walk.n_frames
    assert np.linalg.norm(theirs - ours, axis=1).max() < 1e-3 * walk.body_weight_n


@pytest.mark.parametrize("kw, message", [
    (dict(start=1.5, end=1.0), "start must come before end"),
    (dict(start="1.0", end=2.0), "start = '1.0'"),
    (dict(start=1.0, end=float("nan")), "end = nan"),
    (dict(start=True, end=2.0), "start = True"),
    (dict(n_points=1), "n_points = 1"),
    (dict(n_points=50.5), "n_points = 50.5"),
    (dict(start=1.0), "give both, or neither"),
    (dict(cutoff_hz="6"), "cutoff_hz = '6'"),
])
def test_measured_gait_arguments_are_checked_before_any_file_is_read(kw, message, tmp_path):
    """Bad input: a wrong cycle window or frame count is named in one sentence
    (files that do not exist show that nothing was read first)."""
    with pytest.raises(hipsim.InputError, match=message):
        hipsim.gait_from_opensim(tmp_path / "no.osim", tmp_path / "no.mot", tmp_path / "no.xml", **kw)


def test_measured_gait_cycle_outside_the_data_names_the_file_and_its_span(reference_dir):
    """Bad input: a cycle outside the motion names the coordinates file and the span
    it holds (subject01_walk1_ik.mot covers 0.5-4 s)."""
    with pytest.raises(hipsim.InputError, match=r"subject01_walk1_ik\.mot: start/end.*0\.5-4 s"):
        hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                 reference_dir / "subject01_walk1_ik.mot", reference_dir / "subject01_walk1_grf.xml",
                                 start=0.1, end=1.0)
