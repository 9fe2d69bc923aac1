"""Pelvis residuals: what a motion's ground reactions fail to balance, per frame, with a warning
beyond the residual-reduction guidelines of Hicks et al. 2015 (J Biomech Eng 137:020905)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import hipsim
from hipsim.dynamics.inverse import center_of_mass
from hipsim.motion import read_storage
from hipsim.motion.storage import write_storage
from hipsim.tasks.result import solve_task


def _warned(result) -> list[str]:
    return [w for w in result.warnings if "pelvis residuals" in w]


def _com_acceleration(model, q, qd, qdd, h=1e-3):
    """Whole-body centre-of-mass acceleration along the motion's path, by central differences of
    the centre of mass at q -/+ h qd + h^2/2 qdd (independent of the inverse dynamics)."""
    def com(qq):
        R, o, _, _ = model.body_poses(qq)
        return center_of_mass(model, R, o)[1]
    return (com(q + h * qd + 0.5 * h * h * qdd) - 2 * com(q) + com(q - h * qd + 0.5 * h * h * qdd)) / (h * h)


def _half_ground_reactions(result):
    """The same motion with every external force and torque halved: half the ground reaction is
    missing, so the pelvis must carry it."""
    ext = [dataclasses.replace(e, force=0.5 * np.asarray(e.force), torque=0.5 * np.asarray(e.torque))
           for e in result.external_loads]
    return solve_task(result.task, result.model, result.subject, result.time, result.q, result.qdot, result.qddot,
                      external=ext, point_masses=result.point_masses, percent=result.percent)


@pytest.mark.slow
def test_hipsims_own_walk_needs_no_residuals():
    """The built-in walk's ground reactions follow from whole-body Newton-Euler: no residual force
    or moment, and no residual warning."""
    r = hipsim.gait(n_frames=31)
    res = r.residuals
    assert res is not None and len(res) == r.n_frames
    assert res["force_n"].max() < 1e-6 * r.body_weight_n
    assert res["moment_nm"].max() < 1e-6 * r.body_weight_n
    assert not _warned(r)


@pytest.mark.slow
def test_a_walk_with_half_its_ground_reaction_warns_about_residuals():
    """Halve the built-in walk's ground reactions: the pelvis residual carries the missing half of
    the body's weight support (Newton's second law), and the result warns, citing the guideline."""
    r = _half_ground_reactions(hipsim.gait(n_frames=31))
    res = r.residuals
    grf = sum(np.asarray(e.force) for e in r.external_loads)
    # What the halved forces leave (the other half), frame by frame, to the differences' precision.
    np.testing.assert_allclose(res[["force_x_n", "force_y_n", "force_z_n"]].to_numpy(), _missing(r, grf), atol=0.05)
    assert res["force_n"].max() > 0.4 * r.body_weight_n
    warned = _warned(r)
    assert len(warned) == 1 and "Hicks et al. 2015" in warned[0]


def _missing(result, grf_halved):
    """Newton: residual force = m a_com - m g - sum of external forces."""
    m = result.model
    a = _com_acceleration(m, result.q, result.qdot, result.qddot)
    pm = sum(p.mass_kg for p in result.point_masses)
    if pm:  # carried masses move with their bodies; none in these tests
        raise NotImplementedError
    return m.mass * (a - np.asarray(m.compiled.gravity)) - grf_halved


def test_subject01_residual_force_obeys_newton(reference_dir):
    """The subject01 walk's pelvis residual force is what Newton's second law leaves of the
    measured ground reaction (m a_com - m g - GRF, from the centre of mass alone), within 1 N."""
    r = hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                 reference_dir / "subject01_walk1_ik.mot", reference_dir / "subject01_walk1_grf.xml")
    grf = sum(np.asarray(e.force) for e in r.external_loads)
    expected = _missing(r, grf)
    got = r.residuals[["force_x_n", "force_y_n", "force_z_n"]].to_numpy()
    assert np.abs(got - expected).max() < 1.0
    assert np.isfinite(r.residuals.to_numpy()).all() and len(r.residuals) == r.n_frames


def test_subject01_with_halved_ground_forces_warns(reference_dir, tmp_path):
    """The subject01 walk with its force-plate forces and torques halved (motion and ground forces
    that disagree): the residual force reaches at least a third of the peak measured ground
    reaction (half of it is missing), and the result warns with the guideline."""
    ref = hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                   reference_dir / "subject01_walk1_ik.mot",
                                   reference_dir / "subject01_walk1_grf.xml")
    table = read_storage(reference_dir / "subject01_walk1_grf.mot")
    scale = np.array([0.5 if ("force_v" in c or "torque" in c) else 1.0 for c in table.column_names])
    write_storage(tmp_path / "half_grf.mot", dataclasses.replace(table, data=table.data * scale, source=None))
    xml = (reference_dir / "subject01_walk1_grf.xml").read_text()
    (tmp_path / "half_grf.xml").write_text(xml.replace("subject01_walk1_grf.mot", "half_grf.mot"))
    r = hipsim.gait_from_opensim(reference_dir / "subject01_simbody_adjusted.osim",
                                 reference_dir / "subject01_walk1_ik.mot", tmp_path / "half_grf.xml",
                                 start=ref.parameters["start"], end=ref.parameters["end"])
    peak_grf = np.linalg.norm(sum(np.asarray(e.force) for e in ref.external_loads), axis=1).max()
    assert r.residuals["force_n"].max() > peak_grf / 3
    warned = _warned(r)
    assert len(warned) == 1 and "Hicks et al. 2015" in warned[0]


@pytest.mark.parametrize("task", [hipsim.single_leg_stance, hipsim.standing, hipsim.sitting])
def test_held_postures_are_balanced(task):
    """hipsim's postures balance their own loads: no residual warning."""
    r = task()
    assert r.residuals["force_n"].max() < 1e-6 * r.body_weight_n
    assert not _warned(r)
