"""One update of the interactive single-leg-stance demo after a slider change: solve and redraw.

An update is :meth:`hipsim.report.demo.StanceDemo.update` (solve single-leg stance for the
new knob values, update the figure's artists) followed by :meth:`StanceDemo.render`, which
renders the figure into its Agg canvas: the static layer (axes, ticks, titles, colour bar)
is kept as pixels and redrawn in full (``fig.canvas.draw()``) only when it changes, and the
changing artists are drawn over it (blitting). After a warm-up (JIT, model loading,
scaled-model cache for the masses visited), each slider is moved through a sweep of values,
one update per value, and every update is timed.

Also reported, outside the target: the update as the widget sees it (``widget_ms``: update,
render and JPEG encoding for the image widget), a change to a mass not yet cached (the model
is rescaled), and a full redraw of every artist without blitting (``full_draw_ms``).

Target: one update at most 100 ms, fast enough for a slider to feel live.

    python benchmarks/bench_demo.py            # table
    python benchmarks/bench_demo.py --json     # one JSON object
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")

TARGET_MS = 100.0


def sweeps() -> dict[str, list[dict]]:
    """Knob changes to time, per slider: each entry is the keyword set of one update."""
    from hipsim.report.demo import SLIDERS

    out: dict[str, list[dict]] = {}
    for key, (lo, hi, step, default, _) in SLIDERS.items():
        vals = [lo + (hi - lo) * k / 9 for k in range(10)]
        out[key] = [{key: round(v / step) * step} for v in vals] + [{key: default}]
    out["load_side"] = [{"load_kg": 10.0, "load_side": s} for s in ("l", "r", "l", "r", "l", "r")] + [
        {"load_kg": 0.0, "load_side": "l"}]
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object of the figures")
    ap.add_argument("--rounds", type=int, default=3, help="times each sweep is repeated")
    args = ap.parse_args(argv)

    from hipsim.report.demo import StanceDemo

    t0 = time.perf_counter()
    demo = StanceDemo()
    demo.render()
    first_s = time.perf_counter() - t0
    plan = sweeps()
    # Warm-up: one pass over every sweep (fills the scaled-model cache for the masses used,
    # so the timed mass sweep measures a cached model; the cold scaling cost is reported apart).
    from hipsim.errors import InputError
    refused: set[tuple] = set()
    for changes in plan.values():
        for kw in changes:
            try:
                demo.update(**kw)
            except InputError:  # a posture the model cannot stand in: the widget says so, nothing to time
                refused.add(tuple(sorted(kw.items())))
                continue
            demo.render()
    cold = []
    for mass in (41.0, 57.0, 83.0, 139.0):  # masses not visited: scaling not cached yet
        t = time.perf_counter()
        demo.update(mass_kg=mass)
        demo.render()
        cold.append(1e3 * (time.perf_counter() - t))
    demo.update(mass_kg=75.0)

    rows = {}
    all_ms: list[float] = []
    all_cpu: list[float] = []
    for name, changes in plan.items():
        ms, solve, draw = [], [], []
        for _ in range(args.rounds):
            for kw in changes:
                if tuple(sorted(kw.items())) in refused:
                    continue
                t, c = time.perf_counter(), time.process_time()
                rd = demo.update(**kw)
                demo.render()
                ms.append(1e3 * (time.perf_counter() - t))
                all_cpu.append(1e3 * (time.process_time() - c))
                solve.append(rd.solve_ms)
                draw.append(ms[-1] - rd.solve_ms)
        all_ms += ms
        rows[name] = {"median_ms": statistics.median(ms), "max_ms": max(ms),
                      "solve_median_ms": statistics.median(solve), "redraw_median_ms": statistics.median(draw),
                      "n": len(ms)}
    widget = []
    for k in range(20):
        t = time.perf_counter()
        demo.update(load_kg=float(k % 7))
        demo.image_bytes("jpeg")  # renders, then encodes: what the slider callback does
        widget.append(1e3 * (time.perf_counter() - t))
    full = []
    for a in demo._dynamic:
        a.set_animated(False)
    for _ in range(5):
        t = time.perf_counter()
        demo.fig.canvas.draw()
        full.append(1e3 * (time.perf_counter() - t))
    for a in demo._dynamic:
        a.set_animated(True)

    out = {
        "update_ms": statistics.median(all_ms),
        "update_ms_max": max(all_ms),
        "update_ms_p95": sorted(all_ms)[int(0.95 * (len(all_ms) - 1))],
        "n_updates": len(all_ms),
        # slider positions the demo's model cannot stand balanced in (refused with one sentence)
        "refused_positions": sorted(str(dict(k)) for k in refused),
        # CPU time of this process per update: the work itself, without waiting for a CPU on a
        # shared machine (wall time above is what a user sees).
        "update_cpu_ms": statistics.median(all_cpu),
        "update_cpu_ms_max": max(all_cpu),
        "target_ms": TARGET_MS,
        "meets_target": max(all_ms) <= TARGET_MS,
        "cold_mass_update_ms": statistics.median(cold),
        "widget_ms": statistics.median(widget),
        "widget_ms_max": max(widget),
        "full_draw_ms": statistics.median(full),
        "first_build_s": first_s,
        "per_slider": rows,
        "figure_px": [int(demo.fig.get_figwidth() * demo.fig.dpi), int(demo.fig.get_figheight() * demo.fig.dpi)],
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
    }
    if args.json:
        print(json.dumps(out))
        return out
    width, height = out["figure_px"]
    print(f"StanceDemo update (solve + render to the Agg canvas, blitted, {width}x{height} px), "
          f"{args.rounds} rounds per sweep, after warm-up")
    print(f"{'slider changed':<18}{'n':>5}{'median ms':>11}{'max ms':>9}{'solve ms':>10}{'redraw ms':>11}")
    for name, r in rows.items():
        print(f"{name:<18}{r['n']:>5}{r['median_ms']:>11.1f}{r['max_ms']:>9.1f}{r['solve_median_ms']:>10.1f}"
              f"{r['redraw_median_ms']:>11.1f}")
    print(f"{'all':<18}{out['n_updates']:>5}{out['update_ms']:>11.1f}{out['update_ms_max']:>9.1f}")
    print(f"target: at most {TARGET_MS:.0f} ms per update -> {'met' if out['meets_target'] else 'NOT met'}"
          f" (p95 {out['update_ms_p95']:.1f} ms)")
    print(f"CPU time per update (this process): median {out['update_cpu_ms']:.1f} ms, "
          f"max {out['update_cpu_ms_max']:.1f} ms")
    print(f"mass change to an uncached mass (model rescaled): median {out['cold_mass_update_ms']:.1f} ms")
    print(f"widget update (update, render, JPEG for the image widget): median {out['widget_ms']:.1f} ms, "
          f"max {out['widget_ms_max']:.1f} ms")
    print(f"full redraw of every artist, no blitting (fig.canvas.draw): median {out['full_draw_ms']:.1f} ms")
    print(f"first build (JIT/cache load, model, figure): {first_s:.2f} s")
    print(f"machine: {out['cpu_count']} CPUs, 1-min load average {out['load_average_1min']:.2f} at the end")
    return out


if __name__ == "__main__":
    main()
