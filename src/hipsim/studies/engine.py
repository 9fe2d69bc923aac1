"""Run a study on Dask: chunks of samples, each one batched call, each written atomically.

* **Chunks.** The design (deterministic in the study's seed) is cut into chunks of
  ``design.chunk_size`` samples. A chunk is one task: a worker evaluates it in one batched call
  (:mod:`hipsim.studies.evaluate`) and returns its table; the client writes it to
  ``chunks/chunk_NNNNNN.parquet`` atomically (temporary file, then rename). The final table is the
  chunks in order, so it does not depend on which worker ran what, or when.
* **Resuming.** ``manifest.json`` records the study's digest (scenario, design, parameters, seed,
  chunking). Re-run with the same file, a finished chunk is read back, never recomputed; a
  different study in the same folder is refused.
* **Faults.** A worker that dies loses only the chunk it was computing: Dask reruns that task
  elsewhere (the local cluster's nanny also restarts the worker). Finished chunks are already on
  disk.
* **Workers.** The default is a local cluster of one single-threaded worker process per core.
  ``scheduler`` connects to any running Dask scheduler instead (a SLURM cluster started with
  dask-jobqueue, for instance). Each worker compiles or loads the numba kernels once, at start
  (:func:`warm_up_plugin`); the kernels are compiled with ``cache=True``, so all workers on a machine
  (or sharing ``NUMBA_CACHE_DIR``) load one compiled cache.
* **One core per chunk.** Dask's nanny starts workers with ``OPENBLAS_NUM_THREADS=1``; a chunk run
  in this process (``scheduler="synchronous"``, :func:`dry_run`) holds OpenBLAS to one thread too
  (:func:`one_blas_thread`), so it computes as a worker does, on one core. (The walking fit holds
  itself to one BLAS thread anyway: two made a whole walk 3.3 times slower on the 2-core
  development machine, 1.77 s against 0.53 s, and its muscle forces now come out the same, bit
  for bit, with one or two threads.)
"""
from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from hipsim._threads import one_blas_thread
from hipsim.errors import input_error
from hipsim.fileio import atomic_open, atomic_write_text
from hipsim.studies.schema import StudySpec, design_matrix, read_study

RESULTS = "results.parquet"
SUMMARY = "summary.json"
MANIFEST = "manifest.json"
CHUNKS = "chunks"
#: ``scheduler`` value that runs the chunks one after another in this process, without Dask.
SYNCHRONOUS = "synchronous"

Progress = Callable[[int, int], None]  # (samples done, samples total)


# --------------------------------------------------------------------------- worker side

_STATE: dict[tuple[str, str], Any] = {}


def _state(path: str, digest: str):
    """(spec, evaluator, design) of a study, built once per worker process."""
    key = (path, digest)
    if key not in _STATE:
        from hipsim.studies.evaluate import Evaluator
        spec = read_study(path)
        if spec.digest != digest:
            raise RuntimeError(f"{path} changed while the study was running (digest {spec.digest}, expected {digest})")
        _STATE.clear()
        _STATE[key] = (spec, Evaluator.build(spec), design_matrix(spec))
    return _STATE[key]


def chunk_task(path: str, digest: str, first: int, last: int, target: str | None = None) -> pd.DataFrame | int:
    """Evaluate design rows first..last-1 of the study at ``path`` (runs on a worker, one core:
    one numba thread, one OpenBLAS thread).

    With ``target`` the worker writes the chunk there itself (atomically) and returns its row
    count, so the table never travels through the scheduler; else the table is returned."""
    import numba
    from hipsim.studies.evaluate import evaluate_chunk
    numba.set_num_threads(1)
    spec, ev, design = _state(path, digest)
    with one_blas_thread():
        df = evaluate_chunk(spec, ev, design, first, last)
    if target is None:
        return df
    write_parquet(df, Path(target))
    return len(df)


def warm_up() -> float:
    """Compile or load the numba kernels a study uses (a two-sample stance on the default model;
    a model the batched stance does not take, one single-leg stance); seconds taken."""
    import numba
    import hipsim
    from hipsim.studies.batch import StanceInputs, batchable, stance_batch
    t = time.perf_counter()
    numba.set_num_threads(1)
    model = hipsim.load_model("default")
    if not batchable(model):  # its studies run scenario by scenario (hipsim.studies.evaluate)
        hipsim.single_leg_stance(model)
        return time.perf_counter() - t
    n = 2
    angles = {k: np.zeros(n) for k in ("pelvic_drop_deg", "trunk_lean_deg", "hip_flexion_deg", "hip_rotation_deg")}
    angles |= {"swing_hip_flexion_deg": np.full(n, 30.0), "swing_knee_flexion_deg": np.full(n, 60.0)}
    stance_batch(model, StanceInputs("r", np.full(n, model.mass), np.full(n, model.height_m), angles,
                                     np.full(n, 0.05), [("hand", "l", np.array([0.0, 5.0]))],
                                     np.ones((n, model.n_muscles))), threads=1)
    return time.perf_counter() - t


def warm_up_plugin() -> Any:
    """A Dask worker plugin that warms the kernels once when a worker starts (:func:`warm_up`)."""
    from distributed import WorkerPlugin

    class WarmUp(WorkerPlugin):
        name = "hipsim-warm-up"

        def setup(self, worker: Any) -> None:
            warm_up()

    return WarmUp()


# --------------------------------------------------------------------------- client side

@dataclass
class StudyRun:
    """What :func:`run_study` did: where, how many samples, how many chunks it computed now and how
    many it found finished, wall time."""

    folder: Path
    n_samples: int
    n_chunks: int
    computed: int
    resumed: int
    seconds: float
    workers: int
    summary: dict[str, Any] = field(default_factory=dict)
    compute_seconds: float = 0.0


def chunk_bounds(spec: StudySpec) -> list[tuple[int, int]]:
    n, size = spec.n_runs, spec.design["chunk_size"]
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _chunk_path(folder: Path, k: int) -> Path:
    return folder / CHUNKS / f"chunk_{k:06d}.parquet"


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet atomically (pyarrow)."""
    with atomic_open(path, "wb") as fh:
        df.to_parquet(fh, engine="pyarrow", index=False)


def _manifest(spec: StudySpec) -> dict[str, Any]:
    return {"study": spec.name, "digest": spec.digest, "source": spec.source, "samples": spec.n_runs,
            "chunk_size": spec.design["chunk_size"], "parameters": spec.names}


def _check_folder(folder: Path, spec: StudySpec) -> None:
    m = folder / MANIFEST
    if m.exists():
        try:
            old = json.loads(m.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("digest") != spec.digest:
            raise input_error(spec.source, "--out", str(folder), "this folder holds the results of a different study "
                              f"(digest {old.get('digest')}, this file {spec.digest}); use another --out folder or "
                              "remove it")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(m, json.dumps(_manifest(spec), indent=2) + "\n")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def make_client(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to ``scheduler`` if given, else to a new local cluster of ``workers``
    single-threaded processes (default: one per core), each warmed once (:func:`warm_up_plugin`)."""
    from distributed import Client, LocalCluster
    if scheduler:
        client = Client(scheduler)
    else:
        n = workers or default_workers()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=50)
        client = Client(cluster)
    client.register_plugin(warm_up_plugin())
    return client


def run_study(path: str | Path, out: str | Path = "out", scheduler: str | None = None, workers: int | None = None,
              progress: Progress | None = None, client: Any = None, max_chunks: int | None = None) -> StudyRun:
    """Run (or resume) the study at ``path``; results in ``out/<name>/``.

    ``client``: an existing Dask client to use (else one is made from ``scheduler``/``workers``
    and closed at the end); ``scheduler="synchronous"`` runs the chunks in this process, without
    Dask. ``max_chunks`` stops after that many newly computed chunks (for
    tests and probes). Returns a :class:`StudyRun`; the table is ``results.parquet`` and the
    indices ``summary.json`` once every chunk is done.
    """
    from distributed import as_completed
    spec = read_study(path)
    folder = Path(out) / spec.name
    _check_folder(folder, spec)
    bounds = chunk_bounds(spec)
    todo = [k for k in range(len(bounds)) if not _chunk_path(folder, k).exists()]
    done_samples = sum(b - a for k, (a, b) in enumerate(bounds) if k not in set(todo))
    say = progress or (lambda d, t: None)
    say(done_samples, spec.n_runs)
    t0 = time.perf_counter()
    own = client is None
    computed = 0
    n_workers = 0
    compute_seconds = 0.0
    if todo and scheduler == SYNCHRONOUS:
        # No cluster: chunk after chunk in this process (notebooks, debugging).
        for k in todo[:max_chunks] if max_chunks else todo:
            a, b = bounds[k]
            chunk_task(str(Path(path).resolve()), spec.digest, a, b, str(_chunk_path(folder, k)))
            computed += 1
            done_samples += b - a
            say(done_samples, spec.n_runs)
        n_workers = 1
    elif todo:
        if own:
            from hipsim.studies.evaluate import Evaluator
            Evaluator.build(spec)  # input errors (an offset on a task without them) before any worker starts
            client = make_client(scheduler, workers)
        try:
            n_workers = len(client.scheduler_info().get("workers", {}))
            ap = str(Path(path).resolve())
            t_submit = time.perf_counter()
            futures = {}
            for k in todo[:max_chunks] if max_chunks else todo:
                a, b = bounds[k]
                target = str(_chunk_path(folder, k).resolve())
                fut = client.submit(chunk_task, ap, spec.digest, a, b, target, key=f"hipsim-{spec.digest}-{k}",
                                    retries=3, pure=False)
                futures[fut] = k
            for fut in as_completed(list(futures)):
                k = futures[fut]
                fut.result()
                if not _chunk_path(folder, k).exists():
                    raise RuntimeError(f"a worker wrote chunk {k} where this machine cannot see it: --out must be on "
                                       "a file system the workers share")
                computed += 1
                done_samples += bounds[k][1] - bounds[k][0]
                say(done_samples, spec.n_runs)
                fut.release()
            compute_seconds = time.perf_counter() - t_submit
        finally:
            if own:
                cluster = getattr(client, "cluster", None)
                client.close()
                if cluster is not None:
                    cluster.close()
    seconds = time.perf_counter() - t0
    run = StudyRun(folder, spec.n_runs, len(bounds), computed, len(bounds) - len(todo), seconds, n_workers,
                   compute_seconds=compute_seconds)
    if all(_chunk_path(folder, k).exists() for k in range(len(bounds))):
        table = pd.concat([pd.read_parquet(_chunk_path(folder, k)) for k in range(len(bounds))], ignore_index=True)
        write_parquet(table, folder / RESULTS)
        from hipsim.studies.summary import summarise
        run.summary = summarise(spec, table, folder)
    return run


def read_results(path: str | Path) -> pd.DataFrame:
    """A study's tidy table: ``path`` is its results folder (``out/<name>``) or its
    ``results.parquet``. One row per sample, fibre group and side, with every input column."""
    p = Path(path)
    f = p / RESULTS if p.is_dir() else p
    if not f.is_file():
        raise input_error(str(p), "study results", str(p), f"a study results folder holding {RESULTS} or the file "
                          "itself (run `hipsim study FILE.toml` first)")
    return pd.read_parquet(f, engine="pyarrow")


@dataclass
class DryRun:
    samples: int
    chunks: int
    workers: int
    probe_samples: int
    probe_seconds: float
    estimated_seconds: float
    estimated_bytes: int


def dry_run(path: str | Path, workers: int | None = None, probe: int = 64) -> DryRun:
    """Sample count, an estimated time from a short timed probe (``probe`` samples of a stance study,
    :data:`_WALK_PROBE` of a walking one, one of other tasks; on this process, one core, after a
    warm-up), and the size of the results folder (chunk files and table), without running the study."""
    import numba
    from hipsim.studies.evaluate import Evaluator, evaluate_chunk
    spec = read_study(path)
    ev = Evaluator.build(spec)
    design = design_matrix(spec)
    # A scenario-by-scenario sample takes seconds; a walking sample takes milliseconds when it shares
    # its walks with others, and about a second when its body shape or walk inputs are new.
    n = min(probe if ev.fast else _WALK_PROBE if ev.walks else 1, spec.n_runs)
    # Off the stance path the timed samples follow the warm-up's: the warm-up's walks and baselines
    # are kept, and a timed sample reuses them only where the study's own samples would.
    a = 0 if ev.fast or spec.n_runs <= min(2, n) else min(2, n)
    n = min(n, spec.n_runs - a)
    numba.set_num_threads(1)
    with one_blas_thread():  # one core, as a worker computes
        evaluate_chunk(spec, ev, design, 0, min(2, n))  # warm-up: compile or load kernels, load the model
        t = time.perf_counter()
        df = evaluate_chunk(spec, ev, design, a, a + n)
        dt = time.perf_counter() - t
    w = workers or default_workers()
    rate = n / dt  # samples per second on one core
    # The folder holds every chunk's file and the whole table: each file carries its schema once,
    # the rest grows with the samples.
    fixed = _parquet_bytes(df.iloc[:0])
    per_sample = max(_parquet_bytes(df) - fixed, 0) / n
    chunks = len(chunk_bounds(spec))
    return DryRun(spec.n_runs, chunks, w, n, dt, spec.n_runs / rate / w,
                  int(fixed * (chunks + 1) + 2 * per_sample * spec.n_runs))


#: Walking samples timed by :func:`dry_run` (after two warm-up samples).
_WALK_PROBE = 8


def _parquet_bytes(df: "pd.DataFrame") -> int:
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.tell()
