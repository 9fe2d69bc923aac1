"""The ``hipsim`` command line.

Exit codes: 0 success, 2 bad input (one line naming the file, key and value; no traceback),
1 internal error.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from hipsim.errors import InputError, input_error

#: What ``hipsim list`` lists; its help text and its choices are made from this table.
LISTS: dict[str, str] = {
    "scenarios": "the shipped scenarios, with their task and title",
    "tasks": "the tasks a scenario file can run, with their parameters",
    "modifiers": "the modifiers a scenario file can apply, with their parameters",
    "metrics": "the fibre-load metrics, for hipsim compare --metric",
    "models": "the shipped models, for a scenario file's model key",
    "muscles": "muscle names and their OpenSim aliases",
    "schema": "the scenario file schema as Markdown",
}


#: What a bare ``hipsim list`` prints, in this order (the help says so from this tuple).
OVERVIEW = ("scenarios", "tasks", "modifiers", "metrics", "models")


EPILOG = """examples:
  hipsim list                              {overview}
  hipsim list muscles                      muscle names and their OpenSim aliases
  hipsim run wallet                        run a shipped scenario, write results to out/wallet/
  hipsim run bag_opposite_hand bag_same_hand --out results
  hipsim run my_scenario.toml              run your own scenario file (see README, 'Scenario files')
  hipsim compare bag_opposite_hand bag_same_hand
  hipsim plot weak_gluteus_medius --kind frontal --out gmed.png
  hipsim study studies/bag_sobol.toml      a sensitivity study on Dask (--scheduler ADDRESS: on a cluster)
  hipsim exercises --out exercises.png     which fibres each rehabilitation exercise loads

hipsim computes mechanical loads; it does not diagnose."""
EPILOG = EPILOG.format(overview=" and ".join(", ".join(OVERVIEW).rsplit(", ", 1)))


def _or(words) -> str:
    words = list(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _console():
    """A rich Console whose closed pipe raises BrokenPipeError, for :func:`main` to end quietly
    (rich's own handler exits with status 1)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipeConsole()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hipsim", description="Simulate the muscles that hold the pelvis level: "
                                "fibre loads of gluteus minimus, medius and TFL in stance, gait and sitting.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("run", help="run scenarios against their baselines and write results",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="shipped scenario name or .toml file")
    r.add_argument("--out", default="out", help="output folder; each scenario gets a subfolder (default: out)")
    r.add_argument("--model", default=None, metavar="MODEL",
                   help="run with this model instead of each scenario's own: a shipped name (gait2392, "
                        "rajagopal2016, lai_uhlrich2023) or a model file (.toml, .osim)")
    r.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")
    c = sub.add_parser("compare", help="compare the loads of scenario A against scenario B")
    c.add_argument("a", metavar="A")
    c.add_argument("b", metavar="B")
    c.add_argument("--metric", default="peak_force_n", help="metric to compare (default peak_force_n)")
    c.add_argument("--model", default=None, metavar="MODEL",
                   help="run both with this model instead of each scenario's own (as hipsim run --model)")
    ls = sub.add_parser("list", help=f"list {_or(LISTS)}")
    ls.add_argument("what", nargs="?", default=None, choices=tuple(LISTS),
                    help="; ".join(f"{k}: {v}" for k, v in LISTS.items())
                         + f" (default: all of {', '.join(OVERVIEW)}, in short)")
    pl = sub.add_parser("plot", help="draw one plot of a scenario")
    pl.add_argument("scenario", metavar="SCENARIO")
    pl.add_argument("--kind", default="bodychart", choices=("activation", "change", "frontal", "bodychart"))
    pl.add_argument("--out", default=None, help="PNG file (default: SCENARIO_KIND.png)")
    pl.add_argument("--fibres", default=None,
                    help="activation plot: comma-separated fibre groups, e.g. gluteus_minimus_anterior,"
                         "tensor_fasciae_latae (default: GMin ant/post, GMed mid, TFL)")
    pl.add_argument("--side", default="r", choices=("r", "l"), help="activation plot: side (default r)")
    pl.add_argument("--percent", type=float, default=None,
                    help="frontal plot of a gait: %% of the cycle to draw (default: peak right hip contact)")
    te = sub.add_parser("teach", help="build the teaching site (static HTML that opens from disk, offline)")
    tsub = te.add_subparsers(dest="teach_command", metavar="ACTION", required=True)
    tb = tsub.add_parser("build", help="solve the site's grids and write OUT/index.html and its files")
    tb.add_argument("out", metavar="OUT", help="folder to write the site into")
    tb.add_argument("--walks", default=None, help="comma-separated walking cycles to include: normal and shipped "
                    "gait scenarios (default: normal and every shipped gait scenario)")
    tb.add_argument("--workers", type=int, default=None, help="processes to solve on (default: up to 2)")
    ex = sub.add_parser("exercises", help="compare the fibre loads of the rehabilitation exercises (table and "
                        "picture)")
    ex.add_argument("--names", default=None, metavar="NAMES",
                    help="comma-separated exercises (default: all; hipsim.EXERCISES)")
    ex.add_argument("--model", default=None, metavar="MODEL", help="a shipped model name or a model file "
                    "(default: the default model)")
    ex.add_argument("--side", default="r", metavar="SIDE", help="the targeted hip, r or l (default r)")
    ex.add_argument("--resistance-n", default=None, metavar="N",
                    help="band force of the band exercises (default: a green Thera-Band at 100 %% elongation)")
    ex.add_argument("--ankle-weight-kg", default="0", metavar="KG", help="ankle weight on the leg off the ground")
    ex.add_argument("--step-height-m", default="0.2", metavar="M", help="lateral step-up: step height (m)")
    ex.add_argument("--out", default="exercises.png", help="PNG file for the picture (default: exercises.png)")
    ex.add_argument("--no-plot", action="store_true", help="print the table only")
    from hipsim.studies.cli import add_parser as add_study_parser
    add_study_parser(sub)
    return p


def _version() -> str:
    from hipsim import __version__
    return f"hipsim {__version__}"


def _run_with_progress(name, quiet: bool):
    """Run one scenario (a name, a file or a prepared scenario); a status line shows progress on
    runs longer than a moment."""
    from hipsim.scenarios.runner import PreparedScenario, run_scenario
    label = name.spec.name if isinstance(name, PreparedScenario) else name
    if quiet:
        return run_scenario(name)
    from rich.console import Console
    console = Console(stderr=True)
    with console.status(f"{label}: loading", spinner="dots") as status:
        return run_scenario(name, progress=lambda msg: status.update(f"{label}: {msg}"))


def _writable_folder(option: str, value: str, folder: Path) -> None:
    """Fail before any work when ``folder`` cannot hold the results (a file, no permission)."""
    def refuse(why: str) -> InputError:
        return input_error("argument", option, value, why)
    if folder.exists() and not folder.is_dir():
        raise refuse(f"{folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise refuse(f"hipsim cannot create the folder {folder} ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"hipsim may not write into {folder}")


def _prepare_all(names: Sequence[str], model: str | None = None) -> list:
    """Check and plan every scenario before solving any (with ``model`` instead of each one's own,
    when given); two scenarios with one name (one results folder) are refused, naming both files."""
    from hipsim.scenarios.runner import PreparedScenario, prepare_scenario
    preps = [prepare_scenario(n, model=model) for n in names]
    seen: dict[str, PreparedScenario] = {}
    for p in preps:
        first = seen.setdefault(p.spec.name, p)
        if first is not p:
            raise input_error(str(p.path), "name", p.spec.name, f"{first.path} has the same name, and both "
                              "would write the same results folder; give each scenario of one run its own name")
    return preps


def cmd_run(args) -> int:
    from hipsim.report.summary import print_caveats, print_summary, write_outputs
    from hipsim.scenarios.runner import resolve
    for p in args.scenarios:
        resolve(p)  # fail fast on a bad name before any work
    _writable_folder("--out", args.out, Path(args.out))
    preps = _prepare_all(args.scenarios, getattr(args, "model", None))
    console = _console()
    done: list[str] = []
    for k, (name, prep) in enumerate(zip(args.scenarios, preps, strict=True)):
        t0 = time.perf_counter()
        # A scenario's name is an identifier (the schema's rule), so its folder lies in --out.
        folder = Path(args.out) / prep.spec.name
        try:
            result = _run_with_progress(prep, args.quiet)
            written = write_outputs(result, folder, plots=not args.no_plots)
            from hipsim.report.html import write_run_extras
            written += [p for p in write_run_extras(result, folder, plots=not args.no_plots) if p not in written]
        except InputError as exc:
            earlier = f" ({', '.join(done)} were written)" if done else ""
            raise InputError(f"scenario {name} ({prep.path}) failed and nothing of it was written{earlier}: {exc}",
                             source=exc.source, key=exc.key, value=exc.value) from None
        done.append(prep.spec.name)
        if not args.quiet:
            # The legend with the first table, the caveats once at the end.
            print_summary(result, console, legend=k == 0, caveats=False)
            console.print(f"wrote {len(written)} files to {folder} ({time.perf_counter() - t0:.1f} s)\n",
                          highlight=False)
    if not args.quiet:
        print_caveats(console)
    return 0


def cmd_compare(args) -> int:
    from rich.table import Table
    from hipsim.analysis.metrics import FIBRE_GROUPS, METRIC_COLUMNS, compare, fibre_metrics, format_pct_change
    from hipsim.scenarios.runner import _exposure
    from hipsim.scenarios.runner import prepare_scenario
    a, b = ((_run_with_progress(prepare_scenario(x, model=args.model) if args.model else x, False))
            for x in (args.a, args.b))
    ma = fibre_metrics(a.scenario, _exposure(a.spec, a.spec.task_values, a.scenario))
    mb = fibre_metrics(b.scenario, _exposure(b.spec, b.spec.task_values, b.scenario))
    if args.metric not in METRIC_COLUMNS:
        raise InputError(f"argument: --metric = {args.metric!r} is not allowed; use one of "
                         f"{', '.join(METRIC_COLUMNS)}.")
    cmp = compare(ma, mb)
    t = Table(title=f"{args.metric}: {a.spec.name} (A) against {b.spec.name} (B)", box=None)
    for col in ("fibre group", "side", "A", "B", "A vs B"):
        t.add_column(col)
    for _, r in cmp[cmp.muscle.isin(FIBRE_GROUPS)].iterrows():
        pct = format_pct_change(r[f"{args.metric}_pct_change"], r[f"{args.metric}_negligible"])
        t.add_row(r.muscle.replace("_", " "), r.side, f"{r[args.metric]:.4g}", f"{r[args.metric + '_baseline']:.4g}",
                  pct)
    console = _console()
    console.print(t)
    from hipsim.report.summary import RUN_TABLE_SYMBOLS
    console.print(f"[dim]A vs B: % change of A against B; {RUN_TABLE_SYMBOLS}[/dim]", highlight=False)
    for s in ("r", "l"):
        console.print(f"hip contact peak {s}: A {a.scenario.hip_contact_force_bw[s].max():.2f} BW, "
                      f"B {b.scenario.hip_contact_force_bw[s].max():.2f} BW")
    for label, r in (("A", a), ("B", b)):
        if r.scenario.beyond_muscles:
            console.print(f"{label} ({r.spec.name}): [bold red]beyond the muscles[/bold red]: reserve actuators carry "
                          f"{r.scenario.feasibility.joints_text()}; its hip contact force is not one the muscles "
                          "can produce", highlight=False)
    from hipsim.report.summary import DISCLAIMER
    console.print(f"[dim]{DISCLAIMER}[/dim]")
    return 0


def _list(what: str, brief: bool = False) -> None:
    """Print one list of :data:`LISTS` (``brief``: one line per entry, for the overview)."""
    from hipsim.scenarios import MODIFIER_KEYS, TASK_KEYS, shipped_scenarios
    from hipsim.scenarios.schema import read_scenario
    pad = "  " if brief else ""
    if what == "scenarios":
        for name, path in sorted(shipped_scenarios().items()):
            spec = read_scenario(path)
            print(f"{pad}{name:<28} {spec.task:<18} {spec.title}")
    elif what == "muscles":
        import hipsim
        m = hipsim.load_model()
        for n, a in zip(m.muscle_names, m.muscle_aliases, strict=True):
            print(f"{n:<36} {a}")
    elif what == "modifiers":
        for t, (doc, keys, tasks) in MODIFIER_KEYS.items():
            print(f"{pad}{t:<14} {doc} (tasks: {', '.join(tasks)})")
            if not brief:
                for k, key in keys.items():
                    print(f"    {k:<26} {key.allowed():<34} {key.doc}")
    elif what == "tasks":
        for t, keys in TASK_KEYS.items():
            if brief:
                print(f"{pad}{t:<18} {', '.join(keys)}")
                continue
            print(t)
            for k, key in keys.items():
                print(f"    {k:<26} {key.allowed():<34} default {key.default!r}; {key.doc}")
    elif what == "metrics":
        from hipsim.analysis.metrics import METRIC_COLUMNS
        for metric in METRIC_COLUMNS:
            print(f"{pad}{metric}")
    elif what == "models":
        from hipsim.model import SHIPPED
        for name, file in SHIPPED.items():
            print(f"{pad}{name:<14} {file}")
    else:
        from hipsim.scenarios.docs import schema_markdown
        print(schema_markdown())


def cmd_list(args) -> int:
    if args.what is not None:
        _list(args.what)
        return 0
    for k, what in enumerate(OVERVIEW):
        print(f"{'' if k == 0 else chr(10)}{what} ({LISTS[what]}; hipsim list {what}):")
        _list(what, brief=True)
    return 0


def cmd_plot(args) -> int:
    import numpy as np
    from hipsim.report import plots
    from hipsim.report.plots import save_figure
    if args.out is not None:
        if Path(args.out).suffix.lower() != ".png" or Path(args.out).is_dir():
            raise input_error("argument", "--out", args.out, "a .png file name is required")
        _writable_folder("--out", args.out, Path(args.out).resolve().parent)
    result = _run_with_progress(args.scenario, False)
    out = Path(args.out or f"{result.spec.name}_{args.kind}.png")
    if args.kind == "activation":
        fibres = tuple(f.strip() for f in args.fibres.split(",")) if args.fibres else plots.DEFAULT_FIBRES
        for f in fibres:
            result.scenario.model.muscle_index(f"{f}_{args.side}")  # an unknown name is exit 2
        save_figure(plots.plot_activation(result.baseline, result.scenario, fibres=fibres, side=args.side,
                                          title=result.spec.title), out)
    elif args.kind == "change":
        save_figure(plots.plot_change_bars(result.metrics, title=result.spec.title), out)
    elif args.kind == "frontal":
        res = result.scenario
        if args.percent is not None and res.percent is not None:
            if not 0 <= args.percent <= 100:
                raise InputError(f"argument: --percent = {args.percent!r} is not allowed; use 0 to 100.")
            frame = int(np.argmin(np.abs(res.percent - args.percent)))
        else:
            frame = int(np.argmax(res.hip_contact_force_bw["r"].to_numpy()))
        save_figure(plots.plot_frontal(res, frame, title=result.spec.title), out)
    else:
        from hipsim.analysis.trigger_points import body_chart_change_pct
        from hipsim.report.bodychart import save_body_chart
        save_body_chart(out, body_chart_change_pct(result.metrics), title=result.spec.title)
    print(f"wrote {out}")
    return 0


def cmd_teach(args) -> int:
    from hipsim.teach.grid import GAIT_SCENARIOS
    from hipsim.teach.site import build_site
    walks = None
    if args.walks is not None:
        walks = [w.strip() for w in args.walks.split(",") if w.strip()]
        allowed = ("normal",) + GAIT_SCENARIOS
        for w in walks:
            if w not in allowed:
                raise input_error("argument", "--walks", w, f"use {_or(allowed)}")
    if args.workers is not None and args.workers < 1:
        raise input_error("argument", "--workers", args.workers, "use 1 or more")
    _writable_folder("OUT", args.out, Path(args.out))
    rep = build_site(args.out, walks=walks, workers=args.workers)
    print(f"wrote {Path(args.out) / 'index.html'} ({rep['total_bytes'] / 1e6:.2f} MB, {rep['stance_points']} stance "
          f"solves, {len(rep['walks'])} walking cycles, {rep['seconds']:.0f} s); open it in a browser, no server "
          "needed")
    return 0


def _number(option: str, text: str) -> float:
    """A command-line number, or an InputError naming the option (one sentence, exit 2)."""
    try:
        return float(text)
    except ValueError:
        raise input_error("argument", option, text, "give a number") from None


def cmd_exercises(args) -> int:
    from rich.table import Table
    from hipsim.analysis.exercises import COMPARED_GROUPS, compare_exercises
    from hipsim.anatomy import SHORT_LABELS
    out = None
    if not args.no_plot:
        out = Path(args.out)
        if out.suffix.lower() != ".png" or out.is_dir():
            raise input_error("argument", "--out", args.out, "a .png file name is required")
        _writable_folder("--out", args.out, out.resolve().parent)
    names = None if args.names is None else [n.strip() for n in args.names.split(",") if n.strip()]
    cmp = compare_exercises(names=names, model=args.model, side=args.side,
                            resistance_n=None if args.resistance_n is None else _number("--resistance-n",
                                                                                        args.resistance_n),
                            ankle_weight_kg=_number("--ankle-weight-kg", args.ankle_weight_kg),
                            step_height_m=_number("--step-height-m", args.step_height_m))
    console = _console()
    side = "right" if cmp.side == "r" else "left"
    for quantity, title, fmt in (("force_n", f"Fibre force (N), {side} hip ({cmp.model_name})", "{:.0f}"),
                                 ("activation", f"Activation (%), {side} hip", "{:.0%}")):
        wide = cmp.wide(quantity)
        t = Table(title=title, box=None)
        t.add_column("exercise", no_wrap=True)
        for g in COMPARED_GROUPS:
            label = SHORT_LABELS.get(g, g)
            label = label.replace(" ", "\n") if " " in label or len(label) < 7 else f"{label[:5]}-\n{label[5:]}"
            t.add_column(label, justify="right")
        for e in wide.index:
            flag = " [red]*[/red]" if cmp.results[e].beyond_muscles else ""
            t.add_row(f"{e}{flag}", *(fmt.format(wide.loc[e, g]) for g in COMPARED_GROUPS))
        console.print(t)
    if any(cmp.beyond_muscles.values()):
        console.print("[red]*[/red] beyond the muscles: reserve actuators carry part of the moments, and the "
                      "fibre loads are capped at full activation", highlight=False)
    rank = cmp.ranking
    console.print("most loading exercise per fibre group (by force): " + "; ".join(
        f"{SHORT_LABELS.get(g, g)}: {rank.loc[1, g]}" for g in COMPARED_GROUPS), highlight=False)
    s = Table(title="Selectivity (ratios of force sums and of mean activations)", box=None)
    for col in ("exercise", "GMin/TFL\nforce", "GMin/TFL\nactivation", "GMin post/ant\nforce",
                "GMin post/ant\nactivation"):
        s.add_column(col, justify="left" if col == "exercise" else "right", no_wrap=col == "exercise")
    for e, row in cmp.selectivity.iterrows():
        s.add_row(str(e), *(f"{v:.2f}" for v in row))
    console.print(s)
    for note in cmp.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    if out is not None:
        from hipsim.report.exercises import save_exercise_figure
        save_exercise_figure(cmp, out)
        console.print(f"wrote {out}", highlight=False)
    from hipsim.report.exercises import DISCLAIMER
    console.print(f"[dim]Mechanical loads, not EMG. {DISCLAIMER}[/dim]")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hipsim`` console script; returns the exit code."""
    try:
        try:
            code = _main(argv)
        except SystemExit:  # argparse's --help, --version and usage errors
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader (e.g. `head -1`) has what it wants and closed the pipe: end quietly with
        # success. Point stdout at devnull so that the interpreter's last flush cannot fail again
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _cmd_study(args) -> int:
    from hipsim.studies.cli import cmd_study
    return cmd_study(args)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        return {"run": cmd_run, "compare": cmd_compare, "list": cmd_list, "plot": cmd_plot,
                "teach": cmd_teach, "study": _cmd_study, "exercises": cmd_exercises}[args.command](args)
    except InputError as exc:
        print(f"hipsim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # for main, not the internal-error handler below
    except KeyboardInterrupt:
        print("hipsim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: say so in one line, keep the traceback on request
        if os.environ.get("HIPSIM_DEBUG"):
            raise
        print(f"hipsim: internal error: {type(exc).__name__}: {exc} (set HIPSIM_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
