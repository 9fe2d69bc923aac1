"""One full gait cycle (101 frames, both legs) from kinematics to fibre forces, after JIT.

Times hipsim's pipeline on the built-in normative walk: inverse dynamics with the ground
reaction forces on the feet, static optimisation over hip, knee and ankle of both legs
(every muscle crossing them), and the hip contact force of both hips. The kinematics and
ground reaction forces are prepared once, outside the timing; so is the JIT compilation.

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

    import hipsim
    from hipsim.dynamics.inverse import inverse_dynamics, joint_reaction
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
    if args.json:
        print(json.dumps(out))
    else:
        print(f"one gait cycle: {out['frames']} frames, {out['muscles']} muscles, "
              f"{out['selected_coordinates']} coordinates solved")
        for k in ("gait_cycle_ms", "inverse_dynamics_ms", "static_optimization_ms", "hip_contact_ms",
                  "normative_kinematics_ms", "model_load_ms"):
            print(f"  {k:<26} {out[k]:9.2f}")
        print("gait_cycle_ms = inverse dynamics + static optimisation + both hip contact forces (kinematics given)")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
