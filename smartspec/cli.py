"""The ``smartspec`` command line (also ``python -m smartspec``).

Each command parses its options, calls one study or analysis function and prints what it
found. A problem with the user's input (any ``SmartSpecError``) prints one line
``smartspec: error: ...`` and exits with status 2, without a traceback and without writing
anything; a fault of the machine (``OSError``: a full disk, a read-only folder) prints one
line and exits with status 1, leaving only whole files behind.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.cli_parser import EXIT_USAGE, build_parser
from smartspec.experiments.runner import ExperimentInterrupted, RunSummary
from smartspec.experiments.store import StoreError
from smartspec.scenarios import SmartSpecError, bundled_mixes, bundled_scenarios, load_scenario
from smartspec.studies import defaults
from smartspec.studies.common import Execution, check_out_dir, claim_out_dir, fixed_overrides

__all__ = ["build_parser", "main"]

EXIT_INTERRUPTED = 130
#: Exit status of a fault of the environment (a full disk), not of the user's input.
EXIT_ENVIRONMENT = 1


def _cmd_scenarios(args: argparse.Namespace) -> int:
    print("Region scenarios (smartspec run NAME):")
    for entry in bundled_scenarios():
        print(f"  {entry.name:<18} {entry.description}")
    print("\nPolicy mixes (--mix NAME, or --mix a mix file my_mix.toml):")
    for entry in bundled_mixes():
        print(f"  {entry.name:<18} {entry.description}")
    print("\nBundled experiments (sweeps, comparisons, sensitivity): smartspec experiments")
    return 0


def _cmd_experiments(args: argparse.Namespace) -> int:
    from smartspec.experiments import bundled_experiments
    from smartspec.scenarios import read_toml

    print("Bundled experiments (smartspec sweep NAME):")
    for path in bundled_experiments():
        raw = read_toml(path, str(path))
        kind = raw.get("design", {}).get("kind", "?") if isinstance(raw, dict) else "?"
        print(f"  {path.stem:<22} {kind:<11} {raw.get('description', '')}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smartspec.model.footprint import check_fits_in_memory
    from smartspec.run import run_scenario, write_run

    overrides = fixed_overrides(args.set) | ({} if args.steps is None else {"steps": args.steps})
    _check_plot(args.plot)
    scenario = load_scenario(args.scenario, mix=args.mix, overrides=overrides)
    mix = scenario.mix.name
    out_dir = Path(args.out) if args.out else defaults.run_out(scenario.name, mix, args.seed)
    claim_out_dir(out_dir, overwrite=args.overwrite, remove=False)
    check_fits_in_memory(scenario, args.scenario)
    label = f"{scenario.name} / {mix} / seed {args.seed}"
    with tqdm(
        total=scenario.steps, desc=label, unit="quarter", disable=args.quiet, file=sys.stderr
    ) as bar:
        result = run_scenario(
            scenario, seed=args.seed, progress=bar.update, network=args.network is not None
        )
    written = write_run(
        result,
        out_dir,
        args.scenario,
        args.mix,
        args.command_line,
        plot=args.plot,
        network_format=args.network,
    )
    if not args.quiet:
        print(_text(result.summary()))
        print(f"\n{result.steps} quarters in {result.seconds:.1f} s. Wrote:")
        print("\n".join(f"  {path}" for path in written))
    return 0


def _check_plot(names: list[str] | None) -> None:
    """``run --plot``: registry names of numeric per-region indicators."""
    from smartspec.model.indicators import REGION_COLUMNS, is_indicator

    for name in names or []:
        if not (is_indicator(name) and name in REGION_COLUMNS):
            known = ", ".join(c for c in REGION_COLUMNS if is_indicator(c))
            raise SmartSpecError("--plot", name, f"unknown indicator (known: {known})")


def _cmd_validate(args: argparse.Namespace) -> int:
    from smartspec.studies import validate

    _warn_one_replication(args.reps)
    with _execution(args, "validation runs") as execution:
        validate.run_validation(
            Path(args.out),
            args.reps,
            args.firms,
            args.steps,
            args.seed,
            execution,
            overrides=fixed_overrides(args.set),
        )
    result = validate.summarise_validation(args.out)
    written = validate.write_validation(result, args.out)
    print(_text(validate.verdict_table(result)))
    print("\nPublished targets (../shared/targets.md):")
    print(_text(validate.target_table(result)))
    print("\nWrote:\n" + "\n".join(f"  {path}" for path in written))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from smartspec.experiments import import_target, load_experiment
    from smartspec.studies.common import run_study

    spec, path = load_experiment(
        args.experiment, custom_target=args.target is not None, max_runs=args.max_runs
    )
    if spec.design.kind == "comparison":
        _warn_one_replication(spec.design.replications, "design.replications")
    target = None
    if args.target is not None:
        if args.calibrated:
            raise SmartSpecError(
                "--calibrated", "", "draws SmartSpec parameters; not with --target"
            )
        target = import_target(args.target)
    if args.reps is not None:
        spec.design.replications = args.reps
    out_dir = Path(args.out) if args.out else defaults.RESULTS_DIR / spec.name
    claim_out_dir(out_dir, overwrite=args.overwrite, resume=args.resume)
    text = path.read_text(encoding="utf-8")
    if args.target is not None:
        # Stored with the results: a resume must name the same function.
        text += f"\n# run with: --target {args.target}\n"
    with _execution(args, spec.name) as execution:
        summary = run_study(
            spec, out_dir, text, execution, target=target, calibrated=args.calibrated
        )
    _print_summary(summary)
    if spec.design.kind == "comparison":
        from smartspec.studies import compare

        print(compare.summarise_compare(out_dir).to_string())
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from smartspec.experiments.calibration import calibrate, load_calibration
    from smartspec.experiments.calibration.engine import prepare

    spec, _, text = load_calibration(args.calibration)
    out_dir = Path(args.out) if args.out else defaults.RESULTS_DIR / spec.name
    check_out_dir(out_dir)
    # Refusals (run budget, folder) come before any worker process starts.
    prepare(spec, out_dir, text, resume=args.resume, max_runs=args.max_runs, label=args.calibration)
    with _execution(args, spec.name) as execution:
        executor, capacity = execution.executor()
        summary = calibrate(
            spec,
            out_dir,
            text,
            executor=executor,
            capacity=capacity,
            resume=args.resume,
            max_runs=args.max_runs,
            progress=execution.progress,
            on_start=execution.on_start,
            report=lambda line: print(f"smartspec: {line}", file=sys.stderr),
            command_line=args.command_line,
            label=args.calibration,
            batch_size=args.batch_size,
        )
    print(
        f"Calibrated {', '.join(summary.parameters)} in {summary.waves} wave(s) "
        f"({summary.stopped}); {summary.accepted} of {summary.final_points} re-run points "
        f"are not ruled out; best point: {out_dir / 'best.toml'}.\n"
        f"Report: smartspec report {out_dir}"
    )
    return 0


def _cmd_plausible(args: argparse.Namespace) -> int:
    from smartspec.experiments.calibration.final import calibrated_values, check_point

    values = calibrated_values(args.folder, point=args.point, best=args.best)
    values.update(fixed_overrides(args.set))
    check = check_point(args.folder, values, args.reps)
    table = check.table.set_index("target")
    print(f"Calibration {args.folder}, {check.runs} runs on seeds of their own.")
    if values:
        print("Parameter set: " + ", ".join(f"{path}={value:g}" for path, value in values.items()))
    else:
        print("Parameter set: the scenarios' defaults.")
    print(_text(table, index=True))
    verdict = "not ruled out" if check.accepted else "ruled out"
    print(f"{check.measure_name} {check.measure:.2f} against the cut {check.cutoff:g}: {verdict}.")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from smartspec.studies import compare

    out_dir = Path(args.out) if args.out else defaults.compare_out(args.scenario)
    mixes, fixed = args.mix or [], fixed_overrides(args.set)
    # Checked before --overwrite removes anything: a typo must not cost the old results.
    compare.comparison_spec(args.scenario, mixes, args.reps, args.steps, args.seed, fixed)
    claim_out_dir(out_dir, overwrite=args.overwrite, resume=args.resume)
    _warn_one_replication(args.reps)
    with _execution(args, out_dir.name) as execution:
        summary = compare.run_compare(
            args.scenario,
            mixes,
            out_dir,
            args.reps,
            args.steps,
            args.seed,
            fixed,
            execution,
            calibrated=args.calibrated,
        )
    _print_summary(summary)
    print(compare.summarise_compare(out_dir).to_string())
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from smartspec.analysis.analyze import analyze_results, write_figures, write_tables

    folder = Path(args.results)
    _require_results(folder)
    with _folder_errors(folder):
        tables = analyze_results(folder, baseline=args.baseline)
    for name, table in tables.items():
        print(f"\n== {name}")
        print(_text(table, digits=4))
    skipped = tables.get("discovery")
    if skipped is not None and "note" in skipped.columns:
        print(f"smartspec: scenario discovery skipped: {skipped['note'].iloc[0]}", file=sys.stderr)
    written = write_tables(tables, folder / "analysis")
    figures = write_figures(folder, folder / "analysis" / "figures", baseline=args.baseline)
    print(
        f"\nWrote {len(written)} tables to {folder / 'analysis'} and {len(figures)} figure "
        f"files (PNG and SVG) to {folder / 'analysis' / 'figures'}"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from smartspec.analysis.export import export_results

    written = export_results(args.results, args.out, file_format=args.format, series=args.series)
    print("Wrote:\n" + "\n".join(f"  {path}" for path in written))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from smartspec.analysis.calibration import is_calibration_folder
    from smartspec.analysis.report import write_report

    folder = Path(args.results)
    # A strategies folder holds one experiment per strategy, and robustness.csv on top; a
    # calibration folder holds its waves and summary.json or state.json.
    if not (folder / "robustness.csv").is_file() and not is_calibration_folder(folder):
        _require_results(folder)
    if args.sensitivity:
        _require_results(Path(args.sensitivity))
    if args.calibration and not is_calibration_folder(args.calibration):
        raise StoreError(
            args.calibration,
            "",
            "not a calibration folder (no calibration.toml with summary.json or state.json)",
        )
    with _folder_errors(folder):
        path = write_report(
            folder,
            out=args.out,
            sensitivity_dir=args.sensitivity,
            calibration_dir=args.calibration,
        )
    print(f"Wrote {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from smartspec.studies import compare, demo

    out = Path(args.out)
    check_out_dir(out)
    _warn_one_replication(args.reps)
    with _execution(args, "demo") as execution:
        _stage(1, demo.STAGES)
        _print_summary(demo.run_demo_comparison(out, args.reps, execution))
        print(compare.summarise_compare(demo.comparison_folder(out)).to_string())
        _stage(2, demo.STAGES)
        _print_summary(demo.run_demo_screening(out, execution))
    _stage(3, demo.STAGES)
    with _folder_errors(demo.comparison_folder(out)):
        print(f"Wrote {demo.write_demo_report(out)}")
    return 0


def _cmd_social(args: argparse.Namespace) -> int:
    from smartspec.studies import social

    out_dir = Path(args.out) if args.out else defaults.SOCIAL_OUT
    _warn_one_replication(args.reps)
    with _execution(args, defaults.SOCIAL_EXPERIMENT) as execution:
        _print_summary(social.run_social(out_dir, args.scenario, args.reps, execution))
    effects = social.summarise_social(out_dir)
    social.write_social(effects, out_dir)
    print(f"\nEffects against {defaults.SOCIAL_REFERENCE} (paired, 95 % interval; * = clear):")
    for group, table in social.effect_tables(effects).items():
        print(f"\n{group} outcomes\n{table.to_string()}")
    print(f"\nTables: {out_dir / 'social_effects.csv'}; report: smartspec report {out_dir}")
    return 0


def _cmd_strategies(args: argparse.Namespace) -> int:
    from smartspec.studies import strategies

    scenarios = args.scenario or list(defaults.STRATEGY_SCENARIOS)
    out = Path(args.out) if args.out else defaults.STRATEGIES_OUT
    fixed = fixed_overrides(args.set)
    with _execution(args, "strategies") as execution:
        summaries = strategies.compare_strategies(
            scenarios, out, args.futures, args.steps, fixed, args.seed, execution
        )
    for found in summaries:
        target = f"innovation index >= {found.target}"
        print(f"\n{found.scenario}: {found.futures} futures; target: {target}")
        print(_text(found.robustness))
        for box in found.failures:
            print(f"  {box.describe()}")
    print(f"\nResults: {out}")
    return 0


def _cmd_peer_review(args: argparse.Namespace) -> int:
    from smartspec.studies import peer_review

    chosen = {name: getattr(args, name) for name in ("selection", "peers", "period", "steps")}
    fixed = fixed_overrides(args.set)
    with _execution(args, "peer review") as execution:
        summary = peer_review.run_peer_review(
            args.scenario, args.out, **chosen, fixed=fixed, seed=args.seed, execution=execution
        )
    reviews = peer_review.summarise_peer_review(summary.out_dir)
    peer_review.write_peer_review(reviews, summary.out_dir)
    print(peer_review.render_reviews(reviews))
    print(f"All rounds: {summary.out_dir / 'reviews.csv'}")
    return 0


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from smartspec.studies import diagnose

    out = Path(args.out) if args.out else defaults.diagnose_out(args.scenario)
    fixed = fixed_overrides(args.set)
    _warn_one_replication(args.reps)
    with _execution(args, "diagnose") as execution:
        tables = diagnose.diagnose_scenarios(
            args.scenario, out, args.reps, args.steps, fixed, args.seed, execution
        )
    for name, table in tables.items():
        print(
            f"\n{name}: effect of relaxing each constraint on the innovation index "
            "(paired, 95 % interval)"
        )
        print(_text(diagnose.ranking(table)))
        binding = diagnose.binding(table) or "none clearly (no reform clearly helps)"
        print(f"binding bottleneck: {binding}")
    if len(tables) > 1:
        print("\nEffect on the innovation index by archetype (what binds where):")
        print(_text(diagnose.summarise_archetypes(tables), index=True))
    print(f"\nResults: {out}")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from smartspec.dashboard.server import serve

    try:
        serve(
            host=args.host,
            port=args.port,
            session_timeout=args.session_timeout,
            max_sessions=args.max_sessions,
        )
    except OSError as error:
        print(f"smartspec: error: dashboard: --port: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------------------- printing helpers
def _text(table: pd.DataFrame, digits: int = 3, index: bool = False) -> str:
    return table.to_string(index=index, float_format=lambda value: f"{value:.{digits}g}")


def _print_summary(summary: RunSummary) -> None:
    before = f", {summary.skipped} from before" if summary.skipped else ""
    print(
        f"{summary.done} of {summary.planned} runs done ({summary.failed} failed{before}) in "
        f"{summary.seconds:.1f} s. Results: {summary.out_dir}"
    )
    print(
        "Load them with: from smartspec.experiments import load_results; "
        f"load_results({str(summary.out_dir)!r})"
    )


def _stage(number: int, stages: Sequence[str]) -> None:
    print(f"{number}/{len(stages)}  {stages[number - 1]}", file=sys.stderr)


def _warn_one_replication(replications: int, option: str = "--reps") -> None:
    """One replication is allowed, but its results carry no intervals: say so up front."""
    if replications == 1:
        print(
            f"smartspec: warning: {option} 1: results show means without 95 % intervals "
            "(an interval needs at least 2 replications)",
            file=sys.stderr,
        )


def _require_results(folder: Path) -> None:
    if not (folder / "design.parquet").is_file():
        raise StoreError(str(folder), "", "not a results folder (no design.parquet)")


@contextmanager
def _folder_errors(folder: Path) -> Iterator[None]:
    """What an analysis cannot do with a results folder, as one line naming the folder."""
    try:
        yield
    except StoreError:
        raise  # names its file already
    except ValueError as error:  # SensitivityError, like every SmartSpecError, is a ValueError
        raise StoreError(str(folder), "", str(error)) from None


class _Progress:
    """A progress bar on stderr for each experiment a command runs. It appears when the
    experiment's folder was accepted (so that a refusal stays one line) and closes when the
    last run is in (so that what is printed next starts on its own line)."""

    def __init__(self, label: str) -> None:
        self.label, self.bar = label, None

    def start(self, done: int, planned: int) -> None:
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(total=planned, initial=done, desc=self.label, unit="run", file=sys.stderr)
        if done:
            self.bar.write(f"resuming: {done} of {planned} runs already done", file=sys.stderr)
        self.advance(0)

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)
            if self.bar.n >= self.bar.total:
                self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def _execution(args: argparse.Namespace, label: str) -> Iterator[Execution]:
    progress = _Progress(label)
    execution = Execution(
        # A command without --workers (peer-review: one run) runs in this process.
        workers=getattr(args, "workers", 1),
        dask_local=getattr(args, "dask_local", None),
        scheduler=getattr(args, "scheduler", None),
        resume=getattr(args, "resume", False),
        batch_size=getattr(args, "batch_size", None),
        progress=progress.advance,
        on_start=progress.start,
        command_line=args.command_line,
    )
    try:
        yield execution
    finally:
        progress.close()
        execution.close()


def _resume_command(args: argparse.Namespace, out_dir: Path) -> str:
    words = list(args.command_line)
    # Studies without --resume (diagnose, strategies, demo) resume their folders on their own.
    if hasattr(args, "resume"):
        words += [] if args.resume else ["--resume"]
        words += [] if "--out" in words else ["--out", str(out_dir)]
    return " ".join(words)


def _environment_problem(error: OSError, args: argparse.Namespace) -> str:
    """One line for a fault of the machine (a full disk, a read-only or vanished folder):
    where, what, and that what was finished is kept."""
    where = f"{error.filename}: " if error.filename else ""
    what = error.strerror or str(error) or type(error).__name__
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"disk full ({what})"
    kept = "files are written whole or not at all, so nothing half-written was left"
    if hasattr(args, "resume"):
        kept += "; finished runs are kept: free space, then continue with --resume"
    return f"{where}{what}; {kept}"


class _StderrHandler(logging.StreamHandler):
    """Logs to whatever ``sys.stderr`` is when a record is written."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(verbosity: int) -> None:
    logger = logging.getLogger("smartspec")
    logger.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)])
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


_HANDLERS = {
    "scenarios": _cmd_scenarios,
    "experiments": _cmd_experiments,
    "run": _cmd_run,
    "validate": _cmd_validate,
    "sweep": _cmd_sweep,
    "calibrate": _cmd_calibrate,
    "plausible": _cmd_plausible,
    "compare": _cmd_compare,
    "analyze": _cmd_analyze,
    "export": _cmd_export,
    "report": _cmd_report,
    "diagnose": _cmd_diagnose,
    "social": _cmd_social,
    "strategies": _cmd_strategies,
    "peer-review": _cmd_peer_review,
    "demo": _cmd_demo,
    "dashboard": _cmd_dashboard,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``smartspec`` command; returns its exit status (2: bad input, 1: a fault of
    the machine such as a full disk, 130: stopped)."""
    args = build_parser().parse_args(argv)
    args.command_line = ["smartspec", *(sys.argv[1:] if argv is None else argv)]
    _configure_logging(args.verbose)
    previous = _stop_on_sigterm()
    try:
        return _HANDLERS[args.command](args)
    except ExperimentInterrupted as stop:
        why = f" ({stop.reason})" if stop.reason else ""
        print(
            f"smartspec: interrupted{why}: {stop.done} of {stop.planned} runs are saved in "
            f"{stop.out_dir}; continue with: {_resume_command(args, stop.out_dir)}",
            file=sys.stderr,
        )
        return 128 + stop.signal_number if stop.signal_number else EXIT_INTERRUPTED
    except SmartSpecError as error:
        print(f"smartspec: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"smartspec: error: {_environment_problem(error, args)}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        print("smartspec: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> Any:
    """SIGTERM (``kill``, ``timeout``) stops a command like Ctrl-C: cleanly, workers reaped,
    an experiment left resumable (the runner handles both signals itself while it runs)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_number: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)
