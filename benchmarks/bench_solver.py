"""Benchmark the static-optimisation solver against general solvers on identical problems.

Problem: the one-leg problem of the default model (gait2392): coordinates hip_flexion_r,
hip_adduction_r, hip_rotation_r, knee_angle_r, ankle_angle_r with every right-leg muscle
crossing them, p = 2, unit weights, reserves with R_opt = 1 N·m, Thelen physiology with a
rigid tendon. Frames follow a smooth synthetic gait-like cycle of poses and moments
(hip abduction moment up to ~1 N·m/kg), so that consecutive frames are close as in real
data. Each solver gets the same (moments, rhs) per frame; times are per core (one thread).

    python benchmarks/bench_solver.py            # table
    python benchmarks/bench_solver.py --json     # machine-readable
    python benchmarks/bench_solver.py --cold-start   # import + one solve, empty/filled cache

OpenSim 4.6 StaticOptimization is timed on ../shared/reference/opensim/subject01 (walk,
IK coordinates, no external loads, reserves on every coordinate) when ``import opensim``
works and the files exist; otherwise reported as null.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

COORDS = ["hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r",
          "ankle_angle_r"]
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "opensim"


def build_problem(n_frames: int):
    """(moments (F, n, m), rhs (F, m), muscle count) for the one-leg problem."""
    import hipsim
    from hipsim.muscles import rigid_tendon_state

    model = hipsim.load_model("default")
    sel = [model.coordinate_index(c) for c in COORDS]
    s = np.linspace(0.0, 1.0, n_frames, endpoint=False) * 2 * np.pi * max(1, n_frames // 200)
    q = np.tile(model.default_q, (n_frames, 1))
    q[:, sel[0]] = np.deg2rad(10 + 20 * np.cos(s))
    q[:, sel[1]] = np.deg2rad(2 + 5 * np.sin(s))
    q[:, sel[2]] = np.deg2rad(3 * np.sin(2 * s))
    q[:, sel[3]] = np.deg2rad(-30 + 28 * np.cos(s + 0.5))
    q[:, sel[4]] = np.deg2rad(5 * np.sin(s - 0.3))
    mass = float(getattr(model, "mass", 75.0))
    tau = mass * np.stack([0.5 * np.sin(s), -0.6 - 0.4 * np.sin(2 * s) ** 2, 0.1 * np.cos(s),
                           0.4 * np.sin(s + 1.0), -0.8 - 0.6 * np.sin(s)], axis=1)
    part = model.crossing[:, sel].any(axis=1)
    arms = np.asarray(model.moment_arms(q))[:, :, sel] * model.crossing[:, sel]
    th = model.thelen
    st = rigid_tendon_state(model.muscle_lengths(q), np.zeros((n_frames, model.n_muscles)),
                            model.max_isometric_forces, model.optimal_fiber_lengths,
                            model.tendon_slack_lengths, model.pennation_angles,
                            model.max_contraction_velocities, th.k_shape_active,
                            th.k_shape_passive, th.fmax_muscle_strain, th.af, th.flen)
    M = np.ascontiguousarray(arms[:, part, :] * st.active_force_per_activation[:, part, None])
    b = np.ascontiguousarray(tau - np.einsum("fij,fi->fj", arms, st.passive_force))
    return M, b, int(part.sum())


def _rate(fn, n_frames: int, min_time: float = 1.0) -> float:
    """Frames per second: best of repeated timings lasting at least ``min_time`` in total."""
    best = np.inf
    total = 0.0
    while total < min_time or best == np.inf:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        total += dt
    return n_frames / best


def bench_hipsim(M, b):
    from hipsim.optimize import solve_arrays
    n, m = M.shape[1:]
    w, c = np.ones(n), np.ones(m)
    solve_arrays(M[:8], b[:8], w, c, 2.0, threads=1)  # JIT warm-up outside the timing
    out = {}
    rate = _rate(lambda: out.update(solve_arrays(M, b, w, c, 2.0, threads=1)), len(b))
    return rate, out


def qp_matrices(n, m):
    G = np.diag(np.concatenate([2 * np.ones(n), 2 * np.ones(m)]))
    return G


def bench_quadprog(M, b):
    import quadprog
    F, n, m = M.shape
    G = qp_matrices(n, m)
    a0 = np.zeros(n + m)
    box = np.hstack([np.vstack([np.eye(n), np.zeros((m, n))]),
                     np.vstack([-np.eye(n), np.zeros((m, n))])])
    rhs_box = np.concatenate([np.zeros(n), -np.ones(n)])
    sols = np.zeros((F, n))

    def run():
        for f in range(F):
            C = np.hstack([np.vstack([M[f], np.eye(m)]), box])
            x = quadprog.solve_qp(G, a0, C, np.concatenate([b[f], rhs_box]), meq=m)[0]
            sols[f] = x[:n]
    return _rate(run, F), sols


def bench_proxsuite(M, b):
    import proxsuite
    F, n, m = M.shape
    H = qp_matrices(n, m)
    g = np.zeros(n + m)
    l_box = np.concatenate([np.zeros(n), np.full(m, -1e20)])
    u_box = np.concatenate([np.ones(n), np.full(m, 1e20)])
    sols = np.zeros((F, n))

    def run():
        qp = proxsuite.proxqp.dense.QP(n + m, m, 0, True)
        qp.settings.eps_abs = 1e-9
        qp.settings.eps_rel = 0.0
        qp.settings.initial_guess = proxsuite.proxqp.InitialGuess.WARM_START_WITH_PREVIOUS_RESULT
        for f in range(F):
            A = np.hstack([M[f].T, np.eye(m)])
            if f == 0:
                qp.init(H, g, A, b[f], None, None, None, l_box, u_box)
            else:
                qp.update(A=A, b=b[f])
            qp.solve()
            sols[f] = qp.results.x[:n]
    return _rate(run, F), sols


def bench_osqp(M, b):
    import osqp
    import scipy.sparse as sp
    F, n, m = M.shape
    P = sp.csc_matrix(qp_matrices(n, m))
    q = np.zeros(n + m)
    lo = np.concatenate([np.zeros(n)])
    hi = np.concatenate([np.ones(n)])
    sols = np.zeros((F, n))
    # Dense pattern so that the matrix values can be updated in place frame to frame.
    Abox = np.hstack([np.eye(n), np.zeros((n, m))])

    def A_of(f):
        return sp.csc_matrix(np.vstack([np.hstack([M[f].T + 1e-300, np.eye(m)]), Abox]))

    def run():
        solver = osqp.OSQP()
        A0 = A_of(0)
        solver.setup(P, q, A0, np.concatenate([b[0], lo]), np.concatenate([b[0], hi]),
                     eps_abs=1e-9, eps_rel=0.0, polishing=True, verbose=False,
                     warm_starting=True, max_iter=20000)
        for f in range(F):
            A = A_of(f)
            solver.update(Ax=A.data, l=np.concatenate([b[f], lo]),
                          u=np.concatenate([b[f], hi]))
            res = solver.solve()
            sols[f] = res.x[:n]
    return _rate(run, F, min_time=0.5), sols


def bench_slsqp(M, b):
    from scipy.optimize import minimize
    F, n, m = M.shape
    sols = np.zeros((F, n))

    def run():
        x0 = np.zeros(n)
        for f in range(F):
            Mf, bf = M[f], b[f]

            # The frame's M and b bound as defaults: each closure is used within its own iteration.
            def fun(a, Mf=Mf, bf=bf):
                r = bf - Mf.T @ a
                return a @ a + r @ r

            def jac(a, Mf=Mf, bf=bf):
                return 2 * a - 2 * Mf @ (bf - Mf.T @ a)

            sol = minimize(fun, x0, jac=jac, bounds=[(0, 1)] * n, method="SLSQP",
                           options={"ftol": 1e-12, "maxiter": 500})
            sols[f] = sol.x
            x0 = sol.x
    return _rate(run, F, min_time=0.5), sols


def bench_opensim(n_max_frames: int = 30):
    """OpenSim 4.6 StaticOptimization on subject01 walk: frames per second, or None."""
    model_file = REFERENCE / "subject01_simbody_adjusted.osim"
    motion_file = REFERENCE / "subject01_walk1_ik.mot"
    if not (model_file.exists() and motion_file.exists()):
        return None, "reference files absent"
    code = f"""
import time, opensim as osim, tempfile, os
osim.Logger.setLevelString('off')
model = osim.Model(r'{model_file}')
for c in model.getCoordinateSet():
    if c.get_locked() or c.getName().startswith('mtp') or c.getName().startswith('subtalar'):
        continue
    act = osim.CoordinateActuator(c.getName())
    act.setName('reserve_' + c.getName())
    act.setOptimalForce(1.0 if not c.getName().startswith('pelvis') else 1000.0)
    act.setMinControl(-1e6); act.setMaxControl(1e6)
    model.addForce(act)
model.finalizeConnections()
state = model.initSystem()
tool = osim.AnalyzeTool()
tool.setModel(model)
sto = osim.Storage(r'{motion_file}')
tool.setLowpassCutoffFrequency(6)
tool.setStatesFromMotion(state, sto, True)
t0 = sto.getFirstTime(); dt = sto.getLastTime() - t0
times = osim.ArrayDouble(); sto.getTimeColumn(times)
n = min({n_max_frames}, times.getSize())
t1 = times.get(n - 1)
tool.setInitialTime(t0); tool.setFinalTime(t1)
so = osim.StaticOptimization()
so.setUseModelForceSet(True)
so.setActivationExponent(2)
so.setModel(model); model.addAnalysis(so)
out = tempfile.mkdtemp()
tool.setResultsDir(out)
tool.setName('bench')
start = time.perf_counter()
tool.run()
el = time.perf_counter() - start
print(n, el)
"""
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=600)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]
    try:
        n, el = proc.stdout.strip().splitlines()[-1].split()
        return float(n) / float(el), f"{int(float(n))} frames"
    except Exception:
        return None, "unparsable output"


def cold_start():
    """Seconds for `import hipsim` + load + one solve in a fresh process, cache empty/filled."""
    code = ("import time; t=time.perf_counter(); import hipsim, numpy as np; "
            "from hipsim.optimize import static_optimization; "
            "m=hipsim.load_model('default'); "
            "c=['hip_flexion_r','hip_adduction_r','hip_rotation_r','knee_angle_r','ankle_angle_r']; "
            "r=static_optimization(m, m.default_q, np.array([0,-70.,0,0,0]), coordinates=c); "
            "assert r.status.converged.all(); print(time.perf_counter()-t)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold_start_s", "warm_start_s"):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                  text=True, timeout=900)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            out[label] = wall
            out[label[:-2] + "_in_process_s"] = float(proc.stdout.strip().splitlines()[-1])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--frames", type=int, default=20000, help="frames for hipsim")
    ap.add_argument("--ref-frames", type=int, default=1000,
                    help="frames for quadprog/proxsuite/OSQP (a subset of the same frames)")
    ap.add_argument("--slsqp-frames", type=int, default=100)
    ap.add_argument("--no-opensim", action="store_true")
    ap.add_argument("--cold-start", action="store_true", help="also time cold/warm start")
    args = ap.parse_args(argv)

    try:
        import hipsim  # noqa: F401
        M, b, n_mus = build_problem(args.frames)
    except Exception as exc:  # the model engine is a separate module
        print(f"cannot build the default-model problem: {exc}", file=sys.stderr)
        return 2
    result = {"problem": {"muscles": n_mus, "coordinates": len(COORDS),
                          "coordinate_names": COORDS, "exponent": 2,
                          "frames_hipsim": args.frames},
              "threads": 1}
    rate, out = bench_hipsim(M, b)
    result["hipsim_frames_per_s"] = rate
    result["hipsim_mean_iterations"] = float(out["iterations"].mean())
    result["hipsim_all_converged"] = bool(np.all(out["code"] == 0))
    result["hipsim_max_residual"] = float(out["max_residual"].max())

    k = min(args.ref_frames, args.frames)
    Mr, br = M[:k], b[:k]
    qp = {}
    ref_sols = None
    for name, fn in (("quadprog", bench_quadprog), ("proxsuite", bench_proxsuite),
                     ("osqp", bench_osqp)):
        try:
            r, sols = fn(Mr, br)
            qp[name] = r
            if name == "quadprog":
                ref_sols = sols
            else:
                qp[name + "_max_activation_diff_vs_quadprog"] = float(
                    np.abs(sols - ref_sols).max()) if ref_sols is not None else None
        except Exception as exc:  # not installed or failed
            qp[name] = None
            qp[name + "_error"] = str(exc)[:200]
    rates = {k2: v for k2, v in qp.items() if k2 in ("quadprog", "proxsuite", "osqp") and v}
    best = max(rates, key=rates.get)
    result["qp_frames_per_s"] = qp
    result["best_qp_name"] = best
    result["best_qp_frames_per_s"] = rates[best]
    result["max_activation_diff_vs_reference"] = float(
        np.abs(out["activations"][:k] - ref_sols).max())
    result["reference_name"] = "quadprog"
    ks = min(args.slsqp_frames, args.frames)
    rate_s, sols_s = bench_slsqp(M[:ks], b[:ks])
    result["slsqp_frames_per_s"] = rate_s
    result["slsqp_max_activation_diff_vs_reference"] = float(
        np.abs(sols_s - ref_sols[:ks]).max()) if ks <= k else None
    result["speedup_vs_best_qp"] = rate / rates[best]
    result["speedup_vs_slsqp"] = rate / rate_s
    if args.no_opensim:
        result["opensim_frames_per_s"] = None
        result["opensim_note"] = "skipped"
    else:
        try:
            import opensim  # noqa: F401
            r_os, note = bench_opensim()
        except Exception:
            r_os, note = None, "opensim not importable"
        result["opensim_frames_per_s"] = r_os
        result["opensim_note"] = note + ("; OpenSim's problem is the whole model (all muscles "
                                         "and coordinates), not the one-leg problem")
    if args.cold_start:
        result.update(cold_start())

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, val in result.items():
            print(f"{key:45s} {val}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
