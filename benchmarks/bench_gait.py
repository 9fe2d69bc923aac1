"""One full gait cycle (101 frames, both legs) from kinematics to fibre forces, after JIT.

Times hipsim's pipeline on the built-in normative walk: inverse dynamics with the ground
reaction forces on the feet, static optimisation over hip, knee and ankle of both legs
(every muscle crossing them), and the hip contact force of both hips. The kinematics and
ground reaction forces are prepared once, outside the timing; so is the JIT compilation.

``new_shape_keypoint_cycle_ms``: the built-in keypoint walk (hipsim.motion.normative_gait) for a
model of a height not seen before, so its kinematics are fitted anew; ``new_mass_keypoint_cycle_ms``:
the same for a new body mass at a height already fitted (the fit does not depend on mass and is
reused; the ground reactions are computed anew).

Also times the measured-gait cycle (hipsim.motion.measured_walk): ``new_subject_cycle_ms`` is one
cycle for a newly scaled model (a subject not seen before, so no cache hit; JIT warm), and
``gait_scenario_s`` one gait scenario, baseline and scenario, through run_scenario (the shipped
shoulder_bag_walk with ``cycle = "measured"``; JIT warm, cycle cache cleared before each run).

    python benchmarks/bench_gait.py            # table
    python benchmarks/bench_gait.py --json     # one JSON object
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def best_ms(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000.0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object of the figures")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args(argv)

    import tempfile
    from pathlib import Path

    import hipsim
    from hipsim.dynamics.inverse import inverse_dynamics, joint_reaction
    from hipsim.motion import measured_walk as mw
    from hipsim.scenarios.runner import resolve, run_scenario
    from hipsim.optimize import static_optimization
    from hipsim.tasks.result import solve_task

    t0 = time.perf_counter()
    model = hipsim.load_model("default")
    load_ms = (time.perf_counter() - t0) * 1000.0
    r = hipsim.gait(model)  # compiles (or loads from cache) every kernel on the way
    ext, pms = r.external_loads, r.point_masses

    def cycle():
        return solve_task("gait", model, r.subject, r.time, r.q, r.qdot, r.qddot, external=ext, point_masses=pms,
                          percent=r.percent)

    tau = inverse_dynamics(model, r.q, r.qdot, r.qddot, external=ext)
    so = static_optimization(model, r.q, tau, qdot=r.qdot, passive=False)
    out = {
        "frames": int(r.n_frames),
        "muscles": int(model.n_muscles),
        "selected_coordinates": len(r.reserve_coordinates),
        "gait_cycle_ms": best_ms(cycle, args.repeats),
        "inverse_dynamics_ms": best_ms(lambda: inverse_dynamics(model, r.q, r.qdot, r.qddot, external=ext),
                                       args.repeats),
        "static_optimization_ms": best_ms(lambda: static_optimization(model, r.q, tau, qdot=r.qdot, passive=False),
                                          args.repeats),
        "hip_contact_ms": best_ms(lambda: [joint_reaction(model, f"femur_{s}", r.q, so.muscle_forces, r.qdot,
                                                          r.qddot, external=ext) for s in "rl"], args.repeats),
        "normative_kinematics_ms": best_ms(lambda: hipsim.motion.normative_gait(), args.repeats),
        "model_load_ms": load_ms,
    }
    # Models scaled beforehand (scaling is not part of the cycle): new heights, then new masses.
    h0 = model.subject.height_m
    shapes = iter([model.scaled_to(hipsim.Subject(70.0, 1.60 + 0.005 * i)) for i in range(args.repeats)])
    out["new_shape_keypoint_cycle_ms"] = best_ms(lambda: hipsim.motion.normative_gait(model=next(shapes)),
                                                 args.repeats)
    masses = iter([model.scaled_to(hipsim.Subject(56.0 + 0.9 * i, h0)) for i in range(args.repeats)])
    out["new_mass_keypoint_cycle_ms"] = best_ms(lambda: hipsim.motion.normative_gait(model=next(masses)),
                                                args.repeats)
    mw.measured_walk(model=model)  # warm
    # Models scaled beforehand (scaling is not part of the cycle), each a subject not seen before.
    scaled = iter([model.scaled_to(hipsim.Subject(55.0 + 0.7 * i, 1.55 + 0.004 * i)) for i in range(args.repeats)])
    out["new_subject_cycle_ms"] = best_ms(lambda: mw.measured_walk(model=next(scaled)), args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        src = resolve("shoulder_bag_walk").read_text(encoding="utf-8")
        path = Path(tmp) / "shoulder_bag_walk_measured.toml"
        if 'type = "gait"\n' not in src:
            raise SystemExit("shoulder_bag_walk is no longer a gait scenario")
        path.write_text(src.replace('type = "gait"\n', 'type = "gait"\ncycle = "measured"\n', 1), encoding="utf-8")
        run_scenario(path)  # warm

        def scenario():
            mw._CACHE.clear()
            return run_scenario(path)
        out["gait_scenario_s"] = best_ms(scenario, min(args.repeats, 3)) / 1000.0
    if args.json:
        print(json.dumps(out))
    else:
        print(f"one gait cycle: {out['frames']} frames, {out['muscles']} muscles, "
              f"{out['selected_coordinates']} coordinates solved")
        for k in ("gait_cycle_ms", "inverse_dynamics_ms", "static_optimization_ms", "hip_contact_ms",
                  "normative_kinematics_ms", "new_shape_keypoint_cycle_ms", "new_mass_keypoint_cycle_ms",
                  "model_load_ms", "new_subject_cycle_ms"):
            print(f"  {k:<26} {out[k]:9.2f}")
        print(f"  {'gait_scenario_s':<26} {out['gait_scenario_s']:9.3f}")
        print("gait_cycle_ms = inverse dynamics + static optimisation + both hip contact forces (kinematics given)")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
