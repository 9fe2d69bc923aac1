"""``hipsim study STUDY.toml``: run, resume or cost a study (the command's parser and body)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hipsim.errors import input_error

EPILOG = """examples:
  hipsim study studies/bag_sobol.toml                         run on this machine (one worker per core)
  hipsim study studies/bag_sobol.toml --dry-run               sample count, estimated time and output size
  hipsim study studies/bag_sobol.toml --scheduler tcp://HOST:8786   run on a Dask cluster
Re-running an interrupted study resumes it: finished chunks are kept."""


def add_parser(sub: Any) -> None:
    st = sub.add_parser("study", help="run a study: a scenario over a design of samples, on Dask",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    st.add_argument("study", metavar="STUDY", help="study file (.toml); see docs: How-to, Studies")
    st.add_argument("--out", default="out", help="output folder; the study gets a subfolder (default: out)")
    st.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="address of a running Dask scheduler (default: a local cluster, one worker per core)")
    st.add_argument("--workers", type=int, default=None, help="local cluster: worker processes (default: cores)")
    st.add_argument("--dry-run", action="store_true",
                    help="print the sample count, an estimated time from a short timed probe and the output size")
    st.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _duration(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def cmd_study(args: Any) -> int:
    from hipsim.studies.schema import read_study
    if args.workers is not None and args.workers < 1:
        raise input_error("argument", "--workers", args.workers, "use 1 or more")
    spec = read_study(args.study)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise input_error("argument", "--out", args.out, f"{out} is a file, not a folder")
    if args.dry_run:
        from hipsim.studies.engine import dry_run
        d = dry_run(args.study, workers=args.workers)
        print(f"{spec.name}: {d.samples:,} samples in {d.chunks} chunks ({spec.design['type']} design, "
              f"{len(spec.parameters)} parameters)")
        print(f"probe: {d.probe_samples} samples in {d.probe_seconds:.2f} s on one core "
              f"({d.probe_samples / d.probe_seconds:,.0f} samples/s)")
        print(f"estimated time: {_duration(d.estimated_seconds)} on {d.workers} local workers (plus start-up); "
              f"results about {_size(d.estimated_bytes)} ({out / spec.name})")
        return 0
    from hipsim.studies.engine import run_study
    t0 = time.perf_counter()
    if args.quiet:
        run = run_study(args.study, out, scheduler=args.scheduler, workers=args.workers)
    else:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        class Rate(TextColumn):
            def __init__(self) -> None:
                super().__init__("")

            def render(self, task: Any) -> Any:  # samples per second of this run
                from rich.text import Text
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} samples/s" if speed else "… samples/s")

        console = Console(stderr=True)
        with Progress(TextColumn(f"{spec.name}"), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(),
                      TextColumn("left"), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task(spec.name, total=spec.n_runs)
            first: list[int] = []

            def progress(done: int, total: int) -> None:
                if not first:  # chunks found finished on disk are not this run's speed
                    first.append(done)
                    bar.update(task, completed=done)
                    bar.reset(task, total=total, completed=done)
                else:
                    bar.update(task, completed=done)

            try:
                run = run_study(args.study, out, scheduler=args.scheduler, workers=args.workers, progress=progress)
            except KeyboardInterrupt:
                done = len(list((out / spec.name / "chunks").glob("chunk_*.parquet")))
                print(f"hipsim: interrupted; {done} finished chunks are kept in {out / spec.name}; run the same "
                      "command again to resume", file=sys.stderr)
                return 130
    if not args.quiet:
        resumed = f", {run.resumed} chunks found finished" if run.resumed else ""
        print(f"{spec.name}: {run.n_samples:,} samples ({run.computed} chunks computed{resumed}) in "
              f"{time.perf_counter() - t0:.1f} s; results in {run.folder}")
        sob = run.summary.get("sobol", {})
        if sob.get("indices"):
            print(f"Sobol indices of {len(sob['indices'])} outputs in {run.folder / 'summary.json'}")
        bad = {k: v for k, v in run.summary.get("status", {}).items() if k != "ok"}
        if bad:
            print(f"samples without a result: {bad} (see the status column)")
    return 0
