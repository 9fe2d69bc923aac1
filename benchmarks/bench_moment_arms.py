"""Moment-arm throughput: hipsim's numba kernel against OpenSim's computeMomentArm, same poses.

A "muscle-pose" is all moment arms (and the length) of one muscle at one pose, for gait2392 (straight
muscles) and for the Lai-Uhlrich model (Millard muscles over wrap cylinders, OpenSim's tangent-point
placement). hipsim computes
every muscle at every pose; OpenSim is asked, per muscle, for the moment arm about each
coordinate the muscle crosses (the others are zero), which is the least work OpenSim can do
for the same answer. Both run on one core; hipsim is timed after JIT compilation.

    python benchmarks/bench_moment_arms.py            # table
    python benchmarks/bench_moment_arms.py --json     # one JSON object
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "opensim"


def random_poses(model, n: int, seed: int = 0) -> np.ndarray:
    """Poses over the model tests' ranges (hip flexion -20..70 deg, adduction -30..25, rotation -35..35,
    knee flexion 0..100, with the model's own knee sign), both legs."""
    rng = np.random.default_rng(seed)
    q = np.tile(model.default_q, (n, 1))
    for side in "rl":
        for c, lo, hi in (("hip_flexion", -20, 70), ("hip_adduction", -30, 25), ("hip_rotation", -35, 35)):
            q[:, model.coordinate_index(f"{c}_{side}")] = np.radians(rng.uniform(lo, hi, n))
        q[:, model.coordinate_index(f"knee_angle_{side}")] = (model.knee_flexion_sign(side)
                                                              * np.radians(rng.uniform(0, 100, n)))
    return q


def time_hipsim(model, qs: np.ndarray, batch: int, repeats: int = 5) -> float:
    """Best wall time (s) over ``repeats`` of computing all poses in calls of ``batch`` poses."""
    model.lengths_and_moment_arms(qs[:10])  # JIT compile or load from cache, outside the timing
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for i in range(0, qs.shape[0], batch):
            model.lengths_and_moment_arms(qs[i:i + batch])
        best = min(best, time.perf_counter() - t)
    return best


def time_opensim(model, qs: np.ndarray, osim_file: str = "gait2392_thelen2003muscle.osim") -> float | None:
    """Wall time (s) of OpenSim 4.6 computing the same muscle-poses, or None when unavailable.
    A coupled coordinate (the patella of Rajagopal et al. 2016) is set from its coupler."""
    try:
        import opensim
    except ImportError:
        return None
    path = REFERENCE / osim_file
    if not path.exists():
        return None
    opensim.Logger.setLevelString("off")  # its log goes to stdout, which --json keeps for the JSON alone
    om = opensim.Model(str(path))
    s = om.initSystem()
    cs = om.getCoordinateSet()
    coords = [cs.get(n) for n in model.coordinate_names]
    cons = [opensim.CoordinateCouplerConstraint.safeDownCast(om.getConstraintSet().get(i))
            for i in range(om.getConstraintSet().getSize())]
    couplers = [(cs.get(c.getIndependentCoordinateNames().get(0)), cs.get(c.getDependentCoordinateName()),
                 c.getFunction()) for c in cons if c is not None]
    muscles = [om.getMuscles().get(a) for a in model.muscle_aliases]
    crossed = [[coords[k] for k in np.flatnonzero(model.crossing[i])] for i in range(model.n_muscles)]
    t = time.perf_counter()
    for q in qs:
        for c, v in zip(coords, q, strict=True):
            c.setValue(s, float(v), False)
        for ind, dep, fn in couplers:
            dep.setValue(s, fn.calcValue(opensim.Vector(1, ind.getValue(s))), False)
        om.realizePosition(s)
        for mu, cl in zip(muscles, crossed, strict=True):
            mu.getLength(s)
            for c in cl:
                mu.computeMomentArm(s, c)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object of the figures")
    ap.add_argument("--poses", type=int, default=20000, help="poses for hipsim (default 20000)")
    ap.add_argument("--batch", type=int, default=1000, help="poses per call (default 1000)")
    ap.add_argument("--opensim-poses", type=int, default=20, help="poses for OpenSim (default 20)")
    args = ap.parse_args(argv)

    import numba
    numba.set_num_threads(1)  # per-core figure
    import hipsim
    model = hipsim.load_model("gait2392")  # by name: "default" may name another model
    qs = random_poses(model, args.poses)
    t_h = time_hipsim(model, qs, args.batch)
    t_all = time_hipsim(model, qs, args.poses, repeats=2)
    out = {
        "model": model.name, "muscles": model.n_muscles, "coordinates": model.n_coordinates,
        "threads": 1, "hipsim_poses": args.poses, "hipsim_batch": args.batch,
        "hipsim_muscle_poses_per_s": model.n_muscles * args.poses / t_h,
        "hipsim_muscle_poses_per_s_one_call": model.n_muscles * args.poses / t_all,
    }
    t_o = time_opensim(model, qs[: args.opensim_poses])
    if t_o is not None:
        out["opensim_poses"] = args.opensim_poses
        out["opensim_muscle_poses_per_s"] = model.n_muscles * args.opensim_poses / t_o
        out["speedup_vs_opensim"] = out["hipsim_muscle_poses_per_s"] / out["opensim_muscle_poses_per_s"]
    # The wrapped model: Lai-Uhlrich (80 Millard muscles over 44 wrap cylinders), same measure.
    lu = hipsim.load_model("lai_uhlrich2023")
    qs_lu = random_poses(lu, args.poses)
    t_lu = time_hipsim(lu, qs_lu, args.batch)
    out["lai_uhlrich2023_muscles"] = lu.n_muscles
    out["lai_uhlrich2023_muscle_poses_per_s"] = lu.n_muscles * args.poses / t_lu
    t_lo = time_opensim(lu, qs_lu[: args.opensim_poses], "RajagopalLaiUhlrich2023.osim")
    if t_lo is not None:
        out["lai_uhlrich2023_opensim_muscle_poses_per_s"] = lu.n_muscles * args.opensim_poses / t_lo
        out["lai_uhlrich2023_speedup_vs_opensim"] = (out["lai_uhlrich2023_muscle_poses_per_s"]
                                                     / out["lai_uhlrich2023_opensim_muscle_poses_per_s"])
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{'engine':<10} {'muscle-poses/s (1 core)':>24} {'ratio':>10}")
        print(f"{'hipsim':<10} {out['hipsim_muscle_poses_per_s']:>24,.0f} {'1':>10}   "
              f"({args.batch} poses a call)")
        print(f"{'hipsim':<10} {out['hipsim_muscle_poses_per_s_one_call']:>24,.0f} "
              f"{out['hipsim_muscle_poses_per_s_one_call'] / out['hipsim_muscle_poses_per_s']:>10.2f}   "
              f"(all {args.poses} poses in one call: {args.poses * 92 * 23 * 8 / 1e6:.0f} MB of output)")
        if t_o is not None:
            print(f"{'OpenSim':<10} {out['opensim_muscle_poses_per_s']:>24,.0f} "
                  f"{1 / out['speedup_vs_opensim']:>10.2e}")
            print(f"hipsim is {out['speedup_vs_opensim']:,.0f} times OpenSim 4.6 on the same poses")
        else:
            print("OpenSim not measured (opensim not installed or reference folder absent)")
        print(f"{'hipsim':<10} {out['lai_uhlrich2023_muscle_poses_per_s']:>24,.0f}   (lai_uhlrich2023: "
              f"{lu.n_muscles} muscles over wrap cylinders)")
        if t_lo is not None:
            print(f"{'OpenSim':<10} {out['lai_uhlrich2023_opensim_muscle_poses_per_s']:>24,.0f}   "
                  f"(lai_uhlrich2023; hipsim {out['lai_uhlrich2023_speedup_vs_opensim']:,.0f} times)")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
