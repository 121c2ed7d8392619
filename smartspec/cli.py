"""The ``smartspec`` command line (also ``python -m smartspec``).

Errors in user input print one line (file, field, problem) and exit with status 2, without a
traceback and without writing anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from smartspec import __version__
from smartspec.scenarios import ScenarioError, bundled_mixes, bundled_scenarios, load_scenario

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _cmd_scenarios(args: argparse.Namespace) -> int:
    print("Region scenarios (smartspec run NAME):")
    for entry in bundled_scenarios():
        print(f"  {entry.name:<18} {entry.description}")
    print("\nPolicy mixes (--mix NAME):")
    for entry in bundled_mixes():
        print(f"  {entry.name:<18} {entry.description}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smartspec.run import run_scenario, write_run

    overrides = list(args.set or [])
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    scenario = load_scenario(args.scenario, mix=args.mix, overrides=overrides)
    out_dir = (
        Path(args.out) if args.out else _default_out(scenario.name, scenario.mix.name, args.seed)
    )
    _check_out_dir(out_dir)

    label = f"{scenario.name} / {scenario.mix.name} / seed {args.seed}"
    with tqdm(
        total=scenario.steps, desc=label, unit="quarter", disable=args.quiet, file=sys.stderr
    ) as bar:
        result = run_scenario(scenario, seed=args.seed, progress=bar.update)
    written = write_run(
        result, out_dir, source=args.scenario, mix=args.mix, command_line=args.command_line
    )

    if not args.quiet:
        summary = result.summary()
        print(summary.to_string(index=False, float_format=lambda value: f"{value:.3g}"))
        print(f"\n{result.steps} quarters in {result.seconds:.1f} s. Wrote:")
        for path in written:
            print(f"  {path}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from smartspec.analysis.validation import run_validation, task_count, write_report

    out_dir = Path(args.out)
    _check_out_dir(out_dir)
    total = task_count(args.reps)
    with (
        ProcessPoolExecutor(
            max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")
        ) as executor,
        tqdm(total=total, desc="validation runs", unit="run", file=sys.stderr) as bar,
    ):
        result = run_validation(
            reps=args.reps,
            firms=args.firms,
            steps=args.steps,
            seed=args.seed,
            executor=executor,
            progress=bar.update,
        )
    written = write_report(result, out_dir)
    table = result.table()[["pattern", "simulated", "interval_low", "interval_high", "anchor"]]
    table.insert(1, "holds", ["yes" if holds else "NO" for holds in result.table()["holds"]])
    print(table.to_string(index=False, float_format=lambda value: f"{value:.3g}"))
    print("\nWrote:")
    for path in written:
        print(f"  {path}")
    return 0


def _check_out_dir(out_dir: Path) -> None:
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ScenarioError("--out", str(out_dir), f"{folder} exists and is not a folder")
            break


def _default_out(scenario: str, mix: str, seed: int) -> Path:
    return Path("results") / f"run-{scenario}-{mix}-seed{seed}"


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _nonnegative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smartspec",
        description="Simulate regional innovation ecosystems under smart-specialisation "
        "(S3) policy mixes.",
    )
    parser.add_argument("--version", action="version", version=f"smartspec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    listing = commands.add_parser("scenarios", help="list bundled region scenarios and mixes")
    listing.set_defaults(handler=_cmd_scenarios)

    run = commands.add_parser(
        "run",
        help="simulate one scenario and write its indicators",
        description="Simulate one scenario and write indicators.parquet and indicators.csv "
        "(one row per region and quarter), domains.parquet (one row per region, domain and "
        "quarter), key_indicators.png and run.json into the output folder.",
    )
    run.add_argument(
        "scenario", help="bundled scenario name (see 'smartspec scenarios') or a TOML path"
    )
    run.add_argument("--mix", help="bundled policy mix applied to every region")
    run.add_argument("--seed", type=_nonnegative_int, default=1, help="random seed (default 1)")
    run.add_argument(
        "--steps", type=_positive_int, help="quarters to simulate (default: scenario's)"
    )
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a scenario field by dotted path, e.g. regions.0.government.budget=40 "
        "or regions.*.firms=2000 (repeatable)",
    )
    run.add_argument("--out", help="output folder (default results/run-SCENARIO-MIX-seedN)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    run.set_defaults(handler=_cmd_run)

    validate = commands.add_parser(
        "validate",
        help="check the model against stylised facts and write a report",
        description="Run the pattern-oriented validation (principle of relatedness, Zipf firm "
        "sizes, clustered heavy-tailed collaboration network, regional innovation paradox) "
        "over many seeds and write validation.csv, figures, report.md and report.html.",
    )
    validate.add_argument(
        "--reps", type=_positive_int, default=10, help="seeds per setting (default 10)"
    )
    validate.add_argument("--out", default="results/validation", help="output folder")
    validate.add_argument(
        "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
    )
    validate.add_argument(
        "--firms", type=_positive_int, default=None, help="firms per region (default: scenario's)"
    )
    validate.add_argument(
        "--steps", type=_positive_int, default=56, help="quarters per run (default 56)"
    )
    validate.add_argument("--seed", type=_nonnegative_int, default=2015, help="master seed")
    validate.set_defaults(handler=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["smartspec", *(sys.argv[1:] if argv is None else argv)]
    try:
        return args.handler(args)
    except ScenarioError as error:
        print(f"smartspec: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("smartspec: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
