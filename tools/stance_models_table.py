"""The docs' model comparison: hipsim's default single-leg stance with each shipped model.

Prints a Markdown table: the right hip contact force (BW) with passive joint moments (hipsim's
default) and posed as OpenSim's StaticOptimization poses it, the force's direction in the femur
frame, and the gluteus medius and minimus abduction moment arms in the standing pose. In-vivo
reference: 10 OrthoLoad patients in single-leg stance, 2.61 +- 0.29 BW (Bergmann et al. 2016,
PLoS ONE 11:e0155612). Run from the repository root:

    python tools/stance_models_table.py          # single-leg stance
    python tools/stance_models_table.py --walk   # the keypoint walk at 1.325 m/s

With ``--walk``: the right hip contact force peaks of the keypoint walk at Winter's (2009) normal
cadence, 1.325 m/s (largest value in 0-30 % and in 30-62 % of the cycle), and whether any frame
is beyond the muscles.
"""
from __future__ import annotations

import math
import sys

import numpy as np

import hipsim
from hipsim.tasks import solve_like_opensim

MODELS = ("gait2392", "rajagopal2016", "lai_uhlrich2023")
PARTS = ("gluteus_medius_anterior", "gluteus_medius_middle", "gluteus_medius_posterior",
         "gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior")


def row(name: str) -> dict:
    m = hipsim.load_model(name)
    stance = hipsim.single_leg_stance(m)
    bw = stance.body_weight_n
    f = stance.hip_contact_force_femur["r"][0]
    like = solve_like_opensim(hipsim.single_leg_stance(m, passive_joint_moments=False))
    arms = m.moment_arms(m.default_q)
    k = m.coordinate_index("hip_adduction_r")
    return {
        "model": name,
        "hcf": np.linalg.norm(stance.hip_contact_force_ground["r"][0]) / bw,
        "hcf_like_opensim": np.linalg.norm(like.hip_contact_force_ground["r"][0]) / bw,
        # femur frame: x anterior, y superior, z lateral (right femur); the force on the femoral head
        "frontal_deg": math.degrees(math.atan2(-f[2], -f[1])),
        "sagittal_deg": math.degrees(math.atan2(-f[0], -f[1])),
        "arms_cm": [-100.0 * arms[m.muscle_index(f"{p}_r"), k] for p in PARTS],
        "feasible": not stance.feasibility.beyond_muscles,
    }


def walk_row(name: str) -> str:
    r = hipsim.gait(hipsim.load_model(name), speed_m_s=1.325)
    p, h = r.percent, r.hip_contact_force_bw["r"].to_numpy()
    early, late = h[p <= 30].max(), h[(p > 30) & (p <= 62)].max()
    return f"| {name} | {early:.2f} | {late:.2f} | {'yes' if r.feasibility.beyond_muscles else 'no'} |"


def main() -> None:
    if "--walk" in sys.argv[1:]:
        print("| model | early stance peak (BW) | late stance peak (BW) | beyond the muscles |")
        print("|---|---|---|---|")
        for n in MODELS:
            print(walk_row(n))
        return
    rows = [row(n) for n in MODELS]
    print("| model | hip contact force (BW) | as OpenSim poses it (BW) | medial tilt, frontal (deg) | "
          "posterior tilt, sagittal (deg) | abduction moment arms GMed ant/mid/post, GMin ant/mid/post (cm) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        arms = ", ".join(f"{a:.1f}" for a in r["arms_cm"])
        print(f"| {r['model']} | {r['hcf']:.2f} | {r['hcf_like_opensim']:.2f} | {r['frontal_deg']:.1f} | "
              f"{r['sagittal_deg']:.1f} | {arms} |")


if __name__ == "__main__":
    main()
