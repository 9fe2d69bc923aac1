"""Stress the static-optimisation solver with many random problems and check every answer.

Problems (``hipsim.optimize.solve_arrays``, the array level under ``static_optimization``)::

    minimise sum_i w_i a_i^p + sum_j c_j R_j^2   s.t.   M^T a + R = b,   a0 <= a <= 1

in batches that share a size (muscles n, coordinates m), an exponent p (2 or 3), an
activation floor a0 (0, or 0.01 / 0.05 with p = 2), weights and reserve costs, with moments
M of mixed sign (moment arms times forces) and targets b that are feasible (a load below the
muscles' capacity), beyond capacity (the reserves carry the rest) or random. A third of the
batches are "mixed": components of b and M replaced by values down to 1e-300 beside ordinary
ones; a sixth have exact zeros (whole coordinates without a target, muscles without moment
arms).

Each answer is checked here, independently of the solver's own check: the bounds, the moment
equations with the returned reserves, and the KKT conditions with multipliers 2 c R implied
by the returned reserves (relative to the gradient scale, as in the tests). Where p = 2 the
activations are compared with quadprog (Goldfarb-Idnani active set, the floor written as its
own bound).

    python benchmarks/bench_solver_stress.py                   # 100,000 problems, table
    python benchmarks/bench_solver_stress.py --json            # one JSON object
    python benchmarks/bench_solver_stress.py --problems 2000   # quick
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

#: (muscles, coordinates): a single muscle, small textbook problems, one leg of gait2392
#: (43 muscles, 5 coordinates), both legs (86, 10), and wide ones.
SIZES = ((1, 1), (3, 2), (8, 3), (20, 4), (43, 5), (60, 8), (86, 10))
BATCH = 250


def make_batch(rng: np.random.Generator, k: int, exponent: float | None = None):
    """One batch: dict with M (F, n, m), b (F, m), w, c, p, a0 and its labels."""
    n, m = SIZES[k % len(SIZES)]
    p = exponent if exponent is not None else (2.0 if rng.random() < 0.6 else 3.0)
    a0 = 0.0
    if p == 2.0 and rng.random() < 0.4:
        a0 = float(rng.choice([0.01, 0.05]))
    regime = ("feasible", "beyond", "random")[int(rng.integers(3))]
    magnitude = ("ordinary", "ordinary", "ordinary", "mixed", "mixed", "zeros")[int(rng.integers(6))]
    F = BATCH
    arms = rng.normal(0.0, 0.04, (F, n, m)) * (rng.random((F, n, m)) < 0.7)
    M = arms * rng.uniform(100.0, 3000.0, (F, n, 1))
    a_true = rng.random((F, n)) * (rng.random((F, n)) < 0.7)
    if regime == "feasible":
        b = rng.uniform(0.1, 0.9, (F, 1)) * np.einsum("fnm,fn->fm", M, a_true)
    elif regime == "beyond":
        b = rng.uniform(2.0, 10.0, (F, 1)) * np.einsum("fnm,fn->fm", M, a_true) + rng.normal(0, 50, (F, m))
    else:
        b = rng.normal(0.0, 1.0, (F, m)) * 10.0 ** rng.uniform(-1, 3, (F, 1))
    if magnitude == "mixed":
        tiny = np.sign(rng.normal(size=(F, m))) * 10.0 ** rng.uniform(-300, -20, (F, m))
        b = np.where(rng.random((F, m)) < 0.3, tiny, b)
        tiny_m = np.sign(rng.normal(size=(F, n, m))) * 10.0 ** rng.uniform(-300, -20, (F, n, m))
        M = np.where(rng.random((F, n, m)) < 0.1, tiny_m, M)
    elif magnitude == "zeros":
        b = np.where(rng.random((F, m)) < 0.4, 0.0, b)
        M = np.where(rng.random((F, n, 1)) < 0.2, 0.0, M)
        b[rng.random(F) < 0.1] = 0.0
    w = rng.uniform(0.3, 3.0, n)
    c = 1.0 / rng.uniform(0.5, 3.0, m) ** 2
    return {"M": np.ascontiguousarray(M), "b": np.ascontiguousarray(b), "w": w, "c": c, "p": p, "a0": a0,
            "n": n, "m": m, "regime": regime, "magnitude": magnitude}


def check(batch, out):
    """Independent checks per frame: (bound violation, relative moment residual, relative KKT)."""
    M, b, w, c, p, a0 = (batch[k] for k in ("M", "b", "w", "c", "p", "a0"))
    a, R = out["activations"], out["reserves"]
    bound = np.maximum(np.maximum(a0 - a, a - 1.0), 0.0).max(axis=1)
    bound[~np.isfinite(a).all(axis=1)] = np.inf
    moments = np.einsum("fnm,fn->fm", M, a)
    scale = (np.abs(b) + np.einsum("fnm->fm", np.abs(M))).max(axis=1)
    eq = np.abs(moments + R - b).max(axis=1) / np.maximum(scale, 1e-300)
    lam = 2.0 * c * R
    g = np.einsum("fnm,fm->fn", M, lam)
    grad = p * w * np.maximum(a, 0.0) ** (p - 1.0) - g
    gscale = np.maximum(np.abs(g).max(axis=1), (p * w).max())
    lo = a <= a0 + 1e-12
    hi = a >= 1.0 - 1e-12
    v = np.where(lo, np.maximum(-grad, 0.0), np.where(hi, np.maximum(grad, 0.0), np.abs(grad)))
    kkt = v.max(axis=1) / gscale
    # The solver stops at a moment residual of 1e-9 N·m, which moves the implied multipliers by
    # 2 c 1e-9: the KKT check allows that much gradient (kkt_allowed, relative).
    gmap = np.einsum("fnm,m->fn", np.abs(M), 2.0 * c).max(axis=1)
    kkt_allowed = 1e-8 + gmap * np.maximum(1e-9, 1e-12 * scale) / gscale
    return bound, eq, kkt, kkt_allowed


def quadprog_activations(batch):
    """quadprog's activations for every frame of a p = 2 batch (NaN rows where it fails)."""
    import quadprog
    M, b, w, c, a0 = (batch[k] for k in ("M", "b", "w", "c", "a0"))
    F, n, m = M.shape
    G = np.diag(np.concatenate([2 * w, 2 * c]))
    box = np.hstack([np.vstack([np.eye(n), np.zeros((m, n))]), np.vstack([-np.eye(n), np.zeros((m, n))])])
    rhs_box = np.concatenate([np.full(n, a0), -np.ones(n)])
    out = np.full((F, n), np.nan)
    for f in range(F):
        C = np.hstack([np.vstack([M[f], np.eye(m)]), box])
        try:
            out[f] = quadprog.solve_qp(G, np.zeros(n + m), C, np.concatenate([b[f], rhs_box]), meq=m)[0][:n]
        except ValueError:  # quadprog refuses some problems (rank or rounding): not compared
            pass
    return out


def run(problems: int, seed: int = 0, use_quadprog: bool = True, threads: int | None = None) -> dict:
    from hipsim.optimize import solve_arrays

    rng = np.random.default_rng(seed)
    stats = {"problems": 0, "non_converged": 0, "worst_bound_violation": 0.0,
             "worst_kkt_residual": 0.0, "worst_kkt_excess": 0.0, "worst_solver_kkt_residual": 0.0,
             "worst_moment_residual_relative": 0.0, "worst_activation_diff_vs_quadprog": 0.0,
             "quadprog_compared": 0, "quadprog_refused": 0, "verified_but_not_converged": 0,
             "converged_but_failing_check": 0}
    by: dict[str, list[float]] = {}
    t_solve = t_ref = 0.0
    k = 0
    t0 = time.perf_counter()
    while stats["problems"] < problems:
        batch = make_batch(rng, k)
        k += 1
        F = min(BATCH, problems - stats["problems"])
        if F < BATCH:
            batch["M"], batch["b"] = batch["M"][:F], batch["b"][:F]
        t1 = time.perf_counter()
        out = solve_arrays(batch["M"], batch["b"], batch["w"], batch["c"], batch["p"],
                           min_activation=batch["a0"], threads=threads)
        t_solve += time.perf_counter() - t1
        bound, eq, kkt, allowed = check(batch, out)
        ok = out["code"] == 0
        passes = (bound <= 1e-9) & (eq <= 1e-11) & (kkt <= allowed)
        stats["problems"] += F
        stats["non_converged"] += int((~ok).sum())
        stats["converged_but_failing_check"] += int((ok & ~passes).sum())
        stats["verified_but_not_converged"] += int((~ok & passes).sum())
        stats["worst_bound_violation"] = max(stats["worst_bound_violation"], float(bound.max()))
        stats["worst_kkt_residual"] = max(stats["worst_kkt_residual"], float(kkt.max()))
        stats["worst_kkt_excess"] = max(stats["worst_kkt_excess"], float((kkt / allowed).max()))
        stats["worst_solver_kkt_residual"] = max(stats["worst_solver_kkt_residual"],
                                                 float(out["kkt_residual"].max()))
        stats["worst_moment_residual_relative"] = max(stats["worst_moment_residual_relative"], float(eq.max()))
        label = f"p={batch['p']:g} floor={batch['a0']:g} {batch['regime']} {batch['magnitude']}"
        row = by.setdefault(label, [0, 0, 0.0])
        row[0] += F
        row[1] += int((~ok).sum())
        row[2] = max(row[2], float(kkt.max()))
        if use_quadprog and batch["p"] == 2.0:
            t1 = time.perf_counter()
            ref = quadprog_activations(batch)
            t_ref += time.perf_counter() - t1
            good = np.isfinite(ref).all(axis=1)
            stats["quadprog_compared"] += int(good.sum())
            stats["quadprog_refused"] += int((~good).sum())
            if good.any():
                diff = np.abs(out["activations"][good] - np.clip(ref[good], batch["a0"], 1.0)).max()
                stats["worst_activation_diff_vs_quadprog"] = max(stats["worst_activation_diff_vs_quadprog"],
                                                                 float(diff))
    stats["seconds"] = time.perf_counter() - t0
    stats["solver_seconds"] = t_solve
    stats["quadprog_seconds"] = t_ref
    stats["by_category"] = {key: {"problems": int(v[0]), "non_converged": int(v[1]), "worst_kkt_residual": v[2]}
                            for key, v in sorted(by.items())}
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--problems", type=int, default=100_000, help="number of random problems")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="solver threads (default numba's)")
    ap.add_argument("--no-quadprog", action="store_true", help="skip the quadprog comparison")
    args = ap.parse_args(argv)
    if args.problems < 1:
        print("--problems must be at least 1", file=sys.stderr)
        return 2
    use_qp = not args.no_quadprog
    if use_qp:
        try:
            import quadprog  # noqa: F401
        except ImportError:
            use_qp = False
    stats = run(args.problems, args.seed, use_qp, args.threads)
    stats["quadprog"] = use_qp
    stats["targets"] = {"non_converged": 0, "worst_bound_violation": 1e-9}
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain table
        for key, val in stats.items():
            if key != "by_category":
                print(f"{key:40s} {val}")
        for key, val in stats["by_category"].items():
            print(f"  {key:45s} {val['problems']:8d} {val['non_converged']:6d} {val['worst_kkt_residual']:9.2e}")
        return 0
    table = Table(title="Static-optimisation solver, random problems")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, val in stats.items():
        if key not in ("by_category", "targets"):
            table.add_row(key, f"{val:.3g}" if isinstance(val, float) else str(val))
    cats = Table(title="By category")
    cats.add_column("exponent, floor, load, magnitudes")
    cats.add_column("problems", justify="right")
    cats.add_column("non-converged", justify="right")
    cats.add_column("worst KKT", justify="right")
    for key, val in stats["by_category"].items():
        cats.add_row(key, str(val["problems"]), str(val["non_converged"]), f"{val['worst_kkt_residual']:.2e}")
    console = Console()
    console.print(table)
    console.print(cats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
