"""Single-leg stance hip contact force from OpenSim's own StaticOptimization and JointReaction,
for the published models in ../shared/reference/opensim, beside hipsim's.

Why: hipsim's default single-leg stance gives 3.21 BW (3.45 without the passive joint moments),
above 2.0-3.0 BW (in vivo 2.61 ± 0.29 BW, Bergmann et al. 2016). This script asks whether
another published model, solved by OpenSim itself, would land in range. Every model gets
hipsim's stance posture (same joint angles; Rajagopal's knee sign flipped, its arms hanging), a
static ground force equal to its weight under its own centre of mass, and OpenSim 4.6's
StaticOptimization (squared activations, muscle physiology on, as OpenSim's default) with a
costly CoordinateActuator (optimal force 1) on every pelvis and lumbar coordinate that has no
actuator (the pelvis residuals, gait2392's lumbar joints; none at the subtalar and toe joints,
as in OpenSim's own examples); then the JointReaction analysis gives the right hip's force on
the femur (:func:`hipsim.motion.opensim_tools.static_pose_reaction`; OpenSim's optimiser runs to
a convergence criterion of 1e-10). hipsim's rows: its default (passive joint moments), without
them, and OpenSim's problem (every joint but the pelvis, every muscle at least 1 % active, as
OpenSim's Thelen2003Muscle requires).

Needs ``pip install opensim==4.6`` and the reference folder. Run from the repository root:

    python tools/opensim_stance_hcf.py [--reference ../shared/reference/opensim]

Prints a table (model, body weights, the largest muscle forces).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

MODELS = ("gait2392_thelen2003muscle", "Rajagopal2016", "RajagopalLaiUhlrich2023")


def opensim_stance_hcf(osim, model_path: Path, q_hipsim: dict[str, float], work: Path) -> tuple[float, list]:
    """Hip contact force (body weights) and the five largest muscle forces for one model, at
    hipsim's stance angles (Rajagopal's knee angle is positive in flexion, gait2392's negative)."""
    from hipsim.motion.opensim_tools import static_pose_reaction

    rajagopal = "Rajagopal" in model_path.name
    pose = {}
    for name, value in q_hipsim.items():
        pose[name] = -value if rajagopal and name.startswith("knee_angle") else value
    if rajagopal:  # its knee coordinates are named knee_angle_r; the patella follows by constraint
        pose.update({f"{n}_beta": v for n, v in pose.items() if n.startswith("knee_angle")})
    sol = static_pose_reaction(osim, osim.Model(str(model_path)), pose, "calcn_r", work)
    muscles = [(n, float(f[0])) for n, f in sol.forces.items() if not n.endswith("_reserve")]
    muscles.sort(key=lambda x: -abs(x[1]))
    return float(np.linalg.norm(sol.hip_force_n[0]) / sol.weight_n), muscles[:5]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=Path("../shared/reference/opensim"))
    args = parser.parse_args(argv)
    try:
        import opensim as osim
    except ImportError:
        print("opensim is not installed (pip install opensim==4.6)", file=sys.stderr)
        return 2
    import hipsim
    osim.Logger.setLevelString("error")
    from hipsim.tasks import solve_like_opensim
    ours = hipsim.single_leg_stance(passive_joint_moments=False)
    with_passive = hipsim.single_leg_stance()
    # OpenSim's problem: every joint's equation (lumbar, subtalar and toes too) and every
    # muscle at least 1 % active (its Thelen2003Muscle's minimum activation).
    like_opensim = solve_like_opensim(ours)
    q = dict(zip(ours.coordinate_names, ours.q[0], strict=True))
    print(f"{'model':28s} {'solver':42s} {'HCF (BW)':>8s}  largest muscle forces (N)")
    for solver, r in (("hipsim SO + passive joint moments", with_passive), ("hipsim SO", ours),
                      ("hipsim SO, all joints, activation >= 0.01", like_opensim)):
        print(f"{'gait2392 (hipsim default)':28s} {solver:42s} {r.hip_contact_force_bw['r'][0]:8.2f}")
    for name in MODELS:
        path = args.reference / f"{name}.osim"
        if not path.is_file():
            print(f"{name}: {path} is absent", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            hcf, top = opensim_stance_hcf(osim, path, q, Path(tmp))
        print(f"{name:28s} {'OpenSim 4.6 SO + JointReaction':42s} {hcf:8.2f}  "
              + ", ".join(f"{n} {f:.0f}" for n, f in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
