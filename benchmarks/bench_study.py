"""Studies: batched samples per second per core, gait samples per second, and Dask's speed-up.

* ``stance_samples_per_s_per_core``: design rows of the shipped study ``studies/bag_sobol.toml``
  evaluated in one process on one numba thread, after a warm-up. One sample is everything a row
  of the table needs: the scenario (bag) and its baseline (no bag) single-leg stances, the fibre
  metrics and the trigger-point indices, in one batched call (hipsim.studies.batch).
* ``unbatched_stance_per_s``: the peer measured in the same run: hipsim.single_leg_stance called
  in a loop (one stance per call, so two calls make one sample); ``batched_speedup`` is the ratio
  of samples per second, batched against looped.
* ``gait_samples_per_s_per_core``: a gait study (the shipped trendelenburg_gait scenario over body
  mass) evaluated in one chunk of ``--gait-samples`` samples (hipsim.studies.evaluate's walking
  path): samples that differ only in body mass and muscle strengths share their solved walks
  (scenario and baseline), put in their own mass and strengths, and solve static optimisation
  for all their frames in one batch. Every timed sample has a body mass of its own;
  ``gait_walks_solved`` counts the shared walks solved while timing (0: the warm-up sample's
  two serve them all). ``gait_cpu_s_per_sample``: this process's CPU seconds per gait sample,
  all its threads counted (less sensitive to other processes' load).
* ``gait_refit_samples_per_s_per_core``: the same over body mass *and* height, so that every
  sample fits and solves its two walks anew (``gait_refit_walks_solved``, two per sample; the
  walking fits solved, ``gait_refit_fits_solved``): the cost of a walking sample of a new body
  shape.

The in-process figures (stance, unbatched, gait) run on one numba thread and one OpenBLAS thread
(hipsim.studies.engine.one_blas_thread), as each Dask worker does: per core, and not slowed by
BLAS threads fighting other processes for the same cores.
* ``speedup_2_workers``: the same study cut to ``--speedup-samples`` samples, run on a local Dask
  cluster of 2 single-threaded workers against 1, wall time from submission to the last chunk
  written (cluster start, warm-up, the final table and summary excluded; the fastest of
  ``--repeats`` runs, interleaved). ``worker_rss_mb``: the largest worker's resident memory after the run.
  ``load_average_*``: the machine's 1-minute load average before and after, since other
  processes sharing the cores slow every figure.

    python benchmarks/bench_study.py            # table
    python benchmarks/bench_study.py --json     # one JSON object
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "bag_sobol.toml"

GAIT_STUDY = """name = "gait_bench"
scenario = "trendelenburg_gait"
seed = 1
[design]
type = "monte_carlo"
samples = {n}
[[parameters]]
key = "subject.mass_kg"
low = 55
high = 100
"""
# the same with height varied too: every sample a new body shape
GAIT_REFIT_STUDY = GAIT_STUDY + """[[parameters]]
key = "subject.height_m"
low = 1.55
high = 1.95
"""


def _cut(text: str, base: int, chunk: int, name: str) -> str:
    """The study with ``base`` saltelli base samples and chunks of ``chunk`` samples."""
    import re
    text = re.sub(r"(?m)^samples = \d+.*$", f"samples = {base}", text)
    text = re.sub(r"(?m)^chunk_size = \d+.*$", f"chunk_size = {chunk}", text)
    return re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', text)


def _timed_studies(path: Path, out: Path, repeats: int) -> tuple[float, float, float, float, float]:
    """Compute times on local clusters of 1 and 2 workers, the fastest of ``repeats`` runs each, the
    runs interleaved (1, 2, 1, 2...) so that both meet the same background load; and the largest
    worker's resident memory (MB), and the workers' CPU seconds per run (the least of the repeats)."""
    import psutil
    from hipsim.studies.engine import make_client, run_study
    clients = {w: make_client(workers=w) for w in (1, 2)}
    best = {1: float("inf"), 2: float("inf")}
    cpu = {1: float("inf"), 2: float("inf")}

    def busy(c) -> float:  # CPU seconds the workers have used so far
        return sum(c.run(lambda: sum(psutil.Process().cpu_times()[:2])).values())
    try:
        for w, c in clients.items():
            c.wait_for_workers(w)
            c.run(lambda: None)  # every worker up and warmed
        for k in range(repeats):
            for w, c in clients.items():
                before = busy(c)
                best[w] = min(best[w], run_study(path, out / f"w{w}_{k}", client=c).compute_seconds)
                cpu[w] = min(cpu[w], busy(c) - before)
        rss = max(max(c.run(lambda: psutil.Process().memory_info().rss).values()) for c in clients.values()) / 1e6
    finally:
        for c in clients.values():
            cluster = c.cluster
            c.close()
            cluster.close()
    return best[1], best[2], rss, cpu[1], cpu[2]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object of the figures")
    ap.add_argument("--samples", type=int, default=4096, help="stance samples timed in one process")
    ap.add_argument("--loop", type=int, default=100, help="single_leg_stance calls timed (the unbatched peer)")
    ap.add_argument("--gait-samples", type=int, default=64, help="gait samples timed, one chunk (0 skips them)")
    ap.add_argument("--gait-refit-samples", type=int, default=2,
                    help="gait samples of new body shapes timed (0 skips them)")
    ap.add_argument("--speedup-samples", type=int, default=1024,
                    help="saltelli base samples of the Dask run (x 7 samples; 0 skips it)")
    ap.add_argument("--chunk", type=int, default=512, help="chunk size of the Dask run")
    ap.add_argument("--repeats", type=int, default=3, help="Dask runs per worker count; the fastest counts")
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")

    import numba
    from hipsim.studies.engine import one_blas_thread
    from hipsim.studies.schema import read_study

    numba.set_num_threads(1)
    with one_blas_thread():
        out = _in_process(args)
    with tempfile.TemporaryDirectory() as tmp:
        if args.speedup_samples:
            s = Path(tmp) / "speed.toml"
            s.write_text(_cut(STUDY.read_text(), args.speedup_samples, args.chunk, "speed"))
            sspec = read_study(s)
            out["speedup_study_samples"] = sspec.n_runs
            t1, t2, rss, c1, c2 = _timed_studies(s, Path(tmp), args.repeats)
            out["one_worker_s"] = t1
            out["two_workers_s"] = t2
            out["speedup_2_workers"] = t1 / t2
            out["one_worker_cpu_s"] = c1
            out["two_workers_cpu_s"] = c2
            out["worker_rss_mb"] = rss
    out["load_average_at_end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(out))
    else:
        print(f"studies on {out['cores']} cores")
        for k, v in out.items():
            if k != "cores":
                print(f"  {k:<32} {v:12.2f}" if isinstance(v, float) else f"  {k:<32} {v:12d}")
        print("one sample = scenario and baseline stances, fibre metrics and trigger-point indices")
    return out


def _in_process(args: argparse.Namespace) -> dict:
    """The figures timed in this process: batched stance, the unbatched loop, gait samples."""
    import hipsim
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    from hipsim.studies.schema import design_matrix, read_study
    out: dict = {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    out["load_average_at_start"] = os.getloadavg()[0]  # other processes on the machine share its cores
    spec = read_study(STUDY)
    ev = Evaluator.build(spec)
    design = design_matrix(spec)
    n = min(args.samples, spec.n_runs)
    evaluate_chunk(spec, ev, design, 0, 64)  # warm-up
    t = time.perf_counter()
    chunk = spec.design["chunk_size"]
    for a in range(0, n, chunk):
        evaluate_chunk(spec, ev, design, a, min(a + chunk, n))
    out["stance_samples"] = n
    out["stance_samples_per_s_per_core"] = n / (time.perf_counter() - t)

    model = hipsim.load_model("default")
    hipsim.single_leg_stance(model, loads=[hipsim.Load("hand", "l", 5.0)])
    t = time.perf_counter()
    for i in range(args.loop):
        hipsim.single_leg_stance(model, subject=hipsim.Subject(60.0 + 0.3 * i, 1.80), pelvic_drop_deg=0.05 * i,
                                 loads=[hipsim.Load("hand", "l", 0.1 * i)])
    out["unbatched_stance_per_s"] = args.loop / (time.perf_counter() - t)
    out["batched_speedup"] = out["stance_samples_per_s_per_core"] / (out["unbatched_stance_per_s"] / 2.0)

    # the walking fits solved so far (hipsim.motion exports a function of the module's name)
    fits = importlib.import_module("hipsim.motion.normative_gait")._FIT_CACHE
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, text, n in (("gait", GAIT_STUDY, args.gait_samples),
                                ("gait_refit", GAIT_REFIT_STUDY, args.gait_refit_samples)):
            if not n:
                continue
            g = Path(tmp) / f"{prefix}.toml"
            g.write_text(text.format(n=n + 1))
            gspec = read_study(g)
            gev = Evaluator.build(gspec)
            gdesign = design_matrix(gspec)
            evaluate_chunk(gspec, gev, gdesign, 0, 1)  # warm-up
            solved, fitted = gev.walks_solved, set(fits)
            t, cpu = time.perf_counter(), time.process_time()
            evaluate_chunk(gspec, gev, gdesign, 1, 1 + n)
            out[f"{prefix}_samples_per_s_per_core"] = n / (time.perf_counter() - t)
            out[f"{prefix}_cpu_s_per_sample"] = (time.process_time() - cpu) / n
            out[f"{prefix}_walks_solved"] = gev.walks_solved - solved
            out[f"{prefix}_fits_solved"] = len(set(fits) - fitted)
    return out

if __name__ == "__main__":
    main(sys.argv[1:])
