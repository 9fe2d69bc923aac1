"""hipsim's static optimisation and hip contact force against OpenSim 4.6's own StaticOptimization
and JointReaction, on the same published model and pose (skipped without opensim or the folder)."""
from __future__ import annotations

import numpy as np

import hipsim
from hipsim.motion.opensim_tools import static_pose_reaction
from hipsim.tasks.result import solve_task


def test_stance_muscle_forces_and_hip_contact_force_match_opensim_static_optimization(opensim, reference_dir,
                                                                                      tmp_path):
    """The same problem solved by both: gait2392 (the published model hipsim's default is written
    from, Delp et al. 1990 / Anderson & Pandy), hipsim's default single-leg stance held still, a
    vertical ground force equal to the weight under the centre of mass, squared activations,
    Thelen (2003) force-length with a rigid tendon, no passive fibre or joint forces, the moment
    equation of every joint but the pelvis's, and every muscle at least 1 % active: OpenSim's
    Thelen2003Muscle cannot go below its minimum activation of 0.01 and StaticOptimization bounds
    each activation by it (hipsim's ``min_activation=0.01``). OpenSim's optimiser runs to a
    convergence criterion of 1e-10.

    Every one of the 92 muscle forces agrees within 1 % of the largest (the medial gastrocnemius,
    about 690 N), and the right hip contact force from OpenSim's JointReaction within 0.5 %."""
    osim = opensim
    osim.Logger.setLevelString("error")
    stance = hipsim.single_leg_stance(passive_joint_moments=False)
    ours = solve_task("single_leg_stance", stance.model, stance.subject, stance.time, stance.q, stance.qdot,
                      stance.qddot, external=stance.external_loads, passive_joint_moments=False,
                      coordinates=[c for c in stance.coordinate_names if not c.startswith("pelvis")],
                      min_activation=0.01)
    theirs = static_pose_reaction(osim, osim.Model(str(reference_dir / "gait2392_thelen2003muscle.osim")),
                                  dict(zip(stance.coordinate_names, stance.q[0])), "calcn_r", tmp_path)
    assert ours.solver_converged.all()
    forces = np.array([theirs.forces[a] for a in ours.model.muscle_aliases])
    largest = np.abs(forces).max()
    assert np.abs(ours.muscle_forces[0] - forces).max() <= 0.01 * largest
    hcf = np.linalg.norm(ours.hip_contact_force_ground["r"][0])
    assert abs(hcf - np.linalg.norm(theirs.hip_force_n)) <= 0.005 * np.linalg.norm(theirs.hip_force_n)
    # Both bodies weigh the same, so the forces compare as body weights too.
    assert abs(theirs.weight_n - stance.body_weight_n) <= 1e-6 * theirs.weight_n
