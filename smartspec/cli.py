"""The ``smartspec`` command line (also ``python -m smartspec``).

Errors in user input print one line (file, field, problem) and exit with status 2, without a
traceback and without writing anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from smartspec import __version__
from smartspec.experiments.spec import ExperimentError
from smartspec.experiments.store import StoreError
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


def _executor_from_args(args: argparse.Namespace):
    from smartspec.experiments import make_executor

    return make_executor(
        workers=args.workers,
        dask_local=getattr(args, "dask_local", None),
        scheduler=getattr(args, "scheduler", None),
    )


def _run_experiment_cli(spec, path_text: str, out_dir: Path, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smartspec.experiments import ExperimentInterrupted, run_experiment

    bar = None

    def started(done: int, planned: int) -> None:
        # The bar appears only once the output folder was accepted, so a refusal stays one line.
        nonlocal bar
        bar = tqdm(total=planned, initial=done, desc=spec.name, unit="run", file=sys.stderr)
        if done:
            bar.write(f"resuming: {done} of {planned} runs already done", file=sys.stderr)

    def advance(count: int) -> None:
        if bar is not None:
            bar.update(count)

    executor, capacity, close = _executor_from_args(args)
    try:
        summary = run_experiment(
            spec,
            out_dir,
            path_text,
            executor=executor,
            capacity=capacity,
            resume=args.resume,
            batch_size=args.batch_size,
            progress=advance,
            on_start=started,
            command_line=args.command_line,
        )
    except ExperimentInterrupted as stop:
        if bar is not None:
            bar.close()
        resume = " ".join([*args.command_line, *([] if args.resume else ["--resume"])])
        if "--out" not in args.command_line:
            resume += f" --out {out_dir}"
        print(
            f"smartspec: interrupted: {stop.done} of {stop.planned} runs are saved in "
            f"{out_dir}; continue with: {resume}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.close()
        close()
    print(
        f"{summary.done} of {summary.planned} runs done ({summary.failed} failed"
        f"{', ' + str(summary.skipped) + ' from before' if summary.skipped else ''}) in "
        f"{summary.seconds:.1f} s. Results: {out_dir}"
    )
    print(
        "Load them with: from smartspec.experiments import load_results; "
        f"load_results({str(out_dir)!r})"
    )
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from smartspec.experiments import load_experiment

    spec, path = load_experiment(args.experiment)
    out_dir = Path(args.out) if args.out else Path("results") / spec.name
    _check_out_dir(out_dir)
    text = path.read_text(encoding="utf-8")
    return _run_experiment_cli(spec, text, out_dir, args)


def _cmd_compare(args: argparse.Namespace) -> int:
    from smartspec.experiments import ExperimentSpec, load_results
    from smartspec.experiments.spec import _check_against_scenarios

    mixes = args.mix or []
    if len(mixes) < 2:
        raise ScenarioError("--mix", "", "give at least two mixes to compare")
    model: dict = {"scenario": args.scenario, "set": dict(_overrides(args.set))}
    if args.steps:
        model["steps"] = args.steps
    raw = {
        "name": f"compare-{Path(args.scenario).stem}",
        "description": f"{', '.join(mixes)} in {args.scenario}, {args.reps} paired replications",
        "model": model,
        "design": {
            "kind": "comparison",
            "mixes": mixes,
            "replications": args.reps,
            "seed": args.seed,
        },
        "outcomes": COMPARE_OUTCOMES,
    }
    spec = ExperimentSpec.model_validate(raw)
    _check_against_scenarios(spec, "compare")
    out_dir = Path(args.out) if args.out else Path("results") / spec.name
    _check_out_dir(out_dir)
    code = _run_experiment_cli(spec, _toml_text(raw), out_dir, args)
    if code == 0:
        results = load_results(out_dir, series=False)
        columns = [
            c for c in results.outcomes.columns if c.startswith(("final_", "mean_", "total_"))
        ]
        summary = results.outcomes.groupby("mix", sort=False)[columns].agg(["mean", "sem"])
        table = pd_format(summary, columns)
        print(table.to_string())
    return code


COMPARE_OUTCOMES = {
    "final": ["innovation_index", "knowledge_per_firm", "human_capital", "citizen_trust"],
    "mean": ["innovating_share", "rd_intensity", "partnership_share", "absorption_rate"],
    "total": ["innovations", "social_innovations"],
    "window": 8,
    "series": [
        "innovation_index",
        "innovations",
        "social_innovations_total",
        "network_density",
        "specialisations",
        "absorption_rate",
    ],
}


def pd_format(summary, columns: list[str]):
    """mean ± 1.96 s.e. per mix, as text cells."""
    import pandas as pd

    cells = {
        column: [
            f"{mean:.3g} ± {1.96 * sem:.2g}"
            for mean, sem in zip(summary[(column, "mean")], summary[(column, "sem")], strict=True)
        ]
        for column in columns
    }
    return pd.DataFrame(cells, index=summary.index).T


def _overrides(items: list[str] | None) -> list[tuple[str, object]]:
    from smartspec.scenarios import parse_override

    return [parse_override(item) for item in items or []]


def _toml_text(raw: dict) -> str:
    """The in-memory experiment of ``compare`` as TOML, stored with its results."""
    import json

    lines = [f"name = {json.dumps(raw['name'])}", f"description = {json.dumps(raw['description'])}"]
    for table in ("model", "design", "outcomes"):
        lines.append(f"\n[{table}]")
        for key, value in raw[table].items():
            if isinstance(value, dict):
                inline = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inline} }}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _cmd_analyze(args: argparse.Namespace) -> int:
    from smartspec.analysis.analyze import analyze_results, write_figures, write_tables
    from smartspec.analysis.sensitivity import SensitivityError

    folder = Path(args.results)
    if not (folder / "design.parquet").is_file():
        raise ScenarioError(str(folder), "", "not a results folder (no design.parquet)")
    try:
        tables = analyze_results(folder, baseline=args.baseline)
    except (SensitivityError, ValueError) as error:
        raise ScenarioError(str(folder), "", str(error)) from None
    for name, table in tables.items():
        print(f"\n== {name}")
        print(table.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    written = write_tables(tables, folder / "analysis")
    figures = write_figures(folder, folder / "analysis" / "figures", baseline=args.baseline)
    print(
        f"\nWrote {len(written)} tables to {folder / 'analysis'} and {len(figures)} figure "
        f"files (PNG and SVG) to {folder / 'analysis' / 'figures'}"
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from smartspec.analysis.report import write_report
    from smartspec.analysis.sensitivity import SensitivityError

    folder = Path(args.results)
    for candidate in (folder, *([Path(args.sensitivity)] if args.sensitivity else [])):
        strategies = candidate is folder and (candidate / "robustness.csv").is_file()
        if not (candidate / "design.parquet").is_file() and not strategies:
            raise ScenarioError(str(candidate), "", "not a results folder (no design.parquet)")
    try:
        path = write_report(folder, out=args.out, sensitivity_dir=args.sensitivity)
    except (SensitivityError, ValueError) as error:
        raise ScenarioError(str(folder), "", str(error)) from None
    print(f"Wrote {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """The newcomer's tour: compare the bundled mixes in the emerging region, screen the
    parameters, and write the report."""
    out = Path(args.out)
    _check_out_dir(out)
    steps = ["--workers", str(args.workers)] if args.workers else []
    print("1/3  Comparing the five bundled policy mixes in the emerging region", file=sys.stderr)
    code = main(
        [
            "compare",
            "emerging",
            *[f"--mix={mix}" for mix in DEMO_MIXES],
            "--reps",
            str(args.reps),
            "--out",
            str(out / "compare"),
            *steps,
            *(["--resume"] if (out / "compare" / "design.parquet").exists() else []),
        ]
    )
    if code:
        return code
    print("2/3  Screening which parameters matter (Morris)", file=sys.stderr)
    code = main(
        [
            "sweep",
            "demo_screening",
            "--out",
            str(out / "screening"),
            *steps,
            *(["--resume"] if (out / "screening" / "design.parquet").exists() else []),
        ]
    )
    if code:
        return code
    print("3/3  Writing the report", file=sys.stderr)
    return main(
        [
            "report",
            str(out / "compare"),
            "--sensitivity",
            str(out / "screening"),
            "--out",
            str(out / "report.html"),
        ]
    )


DEMO_MIXES = ("baseline", "rd_grants_heavy", "capacity_first", "cluster_led", "quadruple_helix")


def _cmd_social(args: argparse.Namespace) -> int:
    from smartspec.analysis import comparison
    from smartspec.experiments import load_experiment, load_results
    from smartspec.experiments.spec import _check_against_scenarios

    spec, path = load_experiment("social_innovation")
    text = path.read_text(encoding="utf-8")
    if args.scenario:
        spec.model.scenario = args.scenario
        _check_against_scenarios(spec, "social")
        text += f"\n# run on scenario {args.scenario}\n"
    spec.design.replications = args.reps
    text += f"# replications {args.reps}\n"
    out_dir = Path(args.out) if args.out else Path("results") / "social_innovation"
    _check_out_dir(out_dir)
    args.batch_size = None
    code = _run_experiment_cli(spec, text, out_dir, args)
    if code:
        return code
    outcomes = load_results(out_dir, series=False).outcomes
    outcomes["cell"] = outcomes["mix"] + " / " + outcomes["governance"]
    reference = "baseline / triple_helix"
    columns = [c for c in outcomes.columns if c.startswith(("final_", "mean_", "total_"))]
    effects = comparison.paired_differences(outcomes, columns, reference, by="cell")
    effects.to_csv(out_dir / "social_effects.csv", index=False)
    social = ["total_social_innovations", "final_citizen_trust", "final_citizen_participation"]
    economic = ["final_innovation_index", "total_innovations", "mean_innovating_share"]
    print(f"\nEffects against {reference} (paired, 95 % interval; * = clear):")
    for group, names in (("social", social), ("economic", economic)):
        rows = effects[effects["outcome"].isin(names)].copy()
        rows["effect"] = [
            f"{d:+.3g} [{lo:.3g}, {hi:.3g}]{' *' if clear else ''}"
            for d, lo, hi, clear in zip(
                rows["difference"], rows["low"], rows["high"], rows["clear"], strict=True
            )
        ]
        print(f"\n{group} outcomes")
        print(rows.pivot(index="cell", columns="outcome", values="effect").to_string())
    print(f"\nTables: {out_dir / 'social_effects.csv'}; report: smartspec report {out_dir}")
    return 0


def _cmd_strategies(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smartspec.analysis import discovery
    from smartspec.strategies import STRATEGIES, TARGETS, robustness, run_strategies

    scenarios = args.scenario or ["emerging", "moderate"]
    for scenario in scenarios:
        load_scenario(scenario)
    base = Path(args.out) if args.out else Path("results") / "strategies"
    _check_out_dir(base)
    executor, capacity, close = _executor_from_args(args)
    fixed = dict(_overrides(args.set))
    unique = len({(s.overrides, s.mix) for s in STRATEGIES})
    try:
        for scenario in scenarios:
            stem = Path(scenario).stem
            with tqdm(
                total=unique * args.futures, desc=f"strategies {stem}", unit="run", file=sys.stderr
            ) as bar:
                table = run_strategies(
                    scenario,
                    base / stem,
                    futures=args.futures,
                    steps=args.steps,
                    fixed=fixed,
                    seed=args.seed,
                    executor=executor,
                    capacity=capacity,
                    progress=bar.update,
                )
            target = TARGETS.get(stem)
            summary = robustness(table, "mean_innovation_index", target)
            summary.to_csv(base / stem / "robustness.csv", index=False)
            print(f"\n{stem}: {args.futures} futures; target: innovation index >= {target}")
            print(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
            if target is None:
                continue
            parameters = [
                c
                for c in table.columns
                if c
                in {
                    "absorptive_capacity",
                    "human_capital",
                    "rd_intensity",
                    "institutional_quality",
                    "innovation_rate",
                    "learning_own",
                }
            ]
            boxes = []
            for strategy, runs in table.groupby("strategy", sort=False):
                fails = runs["mean_innovation_index"].to_numpy() < target
                if fails.all() or not fails.any():
                    state = "fails in every future" if fails.all() else "never fails"
                    print(f"  {strategy}: {state}")
                    continue
                found = discovery.discover(runs, parameters, fails, threshold=0.7)
                box = found.box[found.box["restricted"]]
                text = "; ".join(
                    f"{r.parameter} {r.low:.3g}-{r.high:.3g}" for r in box.itertuples()
                )
                print(
                    f"  {strategy} fails mostly where {text or '(no clear box)'} "
                    f"(coverage {found.coverage:.0%}, density {found.density:.0%})"
                )
                boxes.append(found.box.assign(strategy=strategy))
            if boxes:
                pd.concat(boxes).to_csv(base / stem / "failure_boxes.csv", index=False)
    finally:
        close()
    print(f"\nResults: {base}")
    return 0


def _cmd_peer_review(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from smartspec.model import EcosystemModel

    overrides = [*(args.set or []), "peer_review.enabled=true"]
    for name in ("selection", "peers", "period"):
        value = getattr(args, name)
        if value is not None:
            overrides.append(
                f"peer_review.{name}={value!r}"
                if name == "selection"
                else f"peer_review.{name}={value}"
            )
    if args.steps:
        overrides.append(f"steps={args.steps}")
    scenario = load_scenario(args.scenario, overrides=[o.replace("'", '"') for o in overrides])
    if len(scenario.regions) < 2:
        raise ScenarioError(args.scenario, "regions", "peer review needs two regions or more")
    out = Path(args.out) if args.out else Path("results") / f"peer-review-{scenario.name}"
    _check_out_dir(out)
    model = EcosystemModel(scenario=scenario, rng=args.seed)
    with tqdm(total=scenario.steps, desc="peer review", unit="quarter", file=sys.stderr) as bar:
        for _ in range(scenario.steps):
            model.step()
            bar.update(1)
    reviews = pd.DataFrame(model.peer_reviews)
    out.mkdir(parents=True, exist_ok=True)
    reviews.to_csv(out / "reviews.csv", index=False)
    model.indicators().to_parquet(out / "indicators.parquet", index=False)
    latest = reviews[reviews["step"] == reviews["step"].max()]
    lines = [
        f"# Peer review of S3 strategies: {scenario.name} (round of quarter "
        f"{int(latest['step'].iloc[0])})",
        "",
    ]
    for record in latest.to_dict("records"):
        lines += [
            f"## {record['region']} (index {record['innovation_index']:.1f}), reviewed by "
            f"{record['reviewers'].replace(';', ', ')}",
            "",
        ]
        lines += [
            f"- {key.removeprefix('score: ')}: {value:.1f} / 5"
            for key, value in record.items()
            if key.startswith("score: ")
        ]
        lines += [
            "",
            f"Strengths: {record['strengths']}.",
            f"Weaknesses: {record['weaknesses']}.",
            f"Recommendations: {record['recommendations']}.",
            "",
        ]
    (out / "reviews.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"All rounds: {out / 'reviews.csv'}")
    return 0


ARCHETYPES = ("emerging", "moderate", "strong", "leader")


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smartspec.diagnose import REFORMS, binding, diagnose

    scenarios = list(ARCHETYPES) if args.scenario == "archetypes" else [args.scenario]
    fixed = dict(_overrides(args.set))
    for scenario in scenarios:
        load_scenario(
            scenario, overrides={**fixed, **({"steps": args.steps} if args.steps else {})}
        )
    base = Path(args.out) if args.out else Path("results") / f"diagnose-{Path(args.scenario).stem}"
    _check_out_dir(base)
    executor, capacity, close = _executor_from_args(args)
    rows = []
    try:
        for scenario in scenarios:
            out = base / Path(scenario).stem if len(scenarios) > 1 else base
            planned = (len(REFORMS) + 1) * args.reps
            with tqdm(
                total=planned, desc=f"diagnose {Path(scenario).stem}", unit="run", file=sys.stderr
            ) as bar:
                table = diagnose(
                    scenario,
                    out,
                    replications=args.reps,
                    steps=args.steps,
                    fixed=fixed,
                    seed=args.seed,
                    executor=executor,
                    capacity=capacity,
                    progress=bar.update,
                    resume=(out / "design.parquet").exists(),
                )
            table.to_csv(out / "diagnosis.csv", index=False)
            main_rows = table[table["outcome"] == "mean_innovation_index"]
            print(
                f"\n{Path(scenario).stem}: effect of relaxing each constraint on the "
                "innovation index (paired, 95 % interval)"
            )
            shown = main_rows[
                ["rank", "reform", "reform_applied", "difference", "low", "high", "clear"]
            ]
            print(shown.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
            bottleneck = binding(table)
            print(f"binding bottleneck: {bottleneck or 'none clearly (no reform clearly helps)'}")
            rows.append(main_rows.assign(scenario=Path(scenario).stem))
    finally:
        close()
    if len(scenarios) > 1:
        combined = pd.concat(rows, ignore_index=True)
        pivot = combined.pivot(index="reform", columns="scenario", values="difference")[
            [Path(s).stem for s in scenarios]
        ]
        pivot.to_csv(base / "comparison.csv")
        print("\nEffect on the innovation index by archetype (what binds where):")
        print(pivot.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"\nResults: {base}")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from smartspec.dashboard.server import serve

    try:
        serve(host=args.host, port=args.port)
    except OSError as error:
        print(f"smartspec: error: dashboard: --port: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    return 0


def _port(text: str) -> int:
    value = _nonnegative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {value}")
    return value


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

    def execution_options(command: argparse.ArgumentParser) -> None:
        where = command.add_mutually_exclusive_group()
        where.add_argument(
            "--workers",
            type=_positive_int,
            default=None,
            help="local worker processes (default: all cores; 1 = in this process)",
        )
        where.add_argument(
            "--dask-local",
            type=_positive_int,
            default=None,
            metavar="N",
            help="start a dask.distributed LocalCluster of N worker processes",
        )
        where.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDR",
            help="use an existing dask scheduler, e.g. tcp://10.0.0.5:8786",
        )
        command.add_argument(
            "--resume",
            action="store_true",
            help="continue an interrupted experiment in --out (no run lost or repeated)",
        )
        command.add_argument(
            "--batch-size", type=_positive_int, default=None, help="runs per task (default: auto)"
        )

    sweep = commands.add_parser(
        "sweep",
        help="run an experiment file (designs, replications, sensitivity samples)",
        description="Run an experiment definition (TOML; a bundled name or a path) and stream "
        "its results to a Parquet dataset in --out: design.parquet, runs/ and series/ batch "
        "files, manifest.json and provenance.json. Safe to interrupt; continue with --resume.",
    )
    sweep.add_argument("experiment", help="experiment TOML path or bundled name")
    sweep.add_argument("--out", help="output folder (default results/EXPERIMENT-NAME)")
    execution_options(sweep)
    sweep.set_defaults(handler=_cmd_sweep)

    compare = commands.add_parser(
        "compare",
        help="compare policy mixes in one scenario over paired replications",
        description="Run every --mix in SCENARIO with the same --reps seeds (common random "
        "numbers) and print mean ± 95 % interval of key outcomes per mix; results are stored "
        "like a sweep's.",
    )
    compare.add_argument("scenario", help="bundled scenario name or TOML path")
    compare.add_argument("--mix", action="append", metavar="NAME", help="a bundled mix (repeat)")
    compare.add_argument("--reps", type=_positive_int, default=10, help="replications (default 10)")
    compare.add_argument("--steps", type=_positive_int, default=None, help="quarters per run")
    compare.add_argument("--seed", type=_nonnegative_int, default=2026, help="master seed")
    compare.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="fixed scenario override (repeat)"
    )
    compare.add_argument("--out", help="output folder (default results/compare-SCENARIO)")
    execution_options(compare)
    compare.set_defaults(handler=_cmd_compare)

    analyze = commands.add_parser(
        "analyze",
        help="print the key tables of a results folder; write them as CSV, figures as PNG/SVG",
        description="Analyse a sweep or compare folder according to its design: comparison "
        "(means with 95 % intervals, paired differences against the baseline mix, ranking "
        "with ties, trade-offs), Sobol (S1, ST, S2 with bootstrap intervals, replication "
        "noise, convergence), Morris (mu*, sigma) or grid/LHS (rank correlations); LHS, grid "
        "and Sobol sweeps also get scenario discovery (PRIM: where does the region catch up, "
        "index >= 70). Tables go to RESULTS/analysis/, figures (PNG, SVG) to "
        "RESULTS/analysis/figures/.",
    )
    analyze.add_argument("results", help="results folder of smartspec sweep or compare")
    analyze.add_argument("--baseline", help="mix the others are compared with (comparison)")
    analyze.set_defaults(handler=_cmd_analyze)

    report = commands.add_parser(
        "report",
        help="write one self-contained HTML report of a results folder",
        description="Write an HTML report (figures embedded, no external assets): the "
        "question, the region and mixes in plain words, results with uncertainty, the "
        "sensitivity ranking (with --sensitivity), findings with caveats, and provenance.",
    )
    report.add_argument(
        "results",
        help="results folder of smartspec compare, sweep, social or diagnose, or one region's "
        "folder of smartspec strategies",
    )
    report.add_argument("--sensitivity", help="a Morris or Sobol sweep folder to rank parameters")
    report.add_argument("--out", help="HTML file (default RESULTS/report.html)")
    report.set_defaults(handler=_cmd_report)

    def study_options(command: argparse.ArgumentParser, default_out: str) -> None:
        """Options shared by the built-in studies."""
        command.add_argument("--steps", type=_positive_int, default=None, help="quarters per run")
        command.add_argument("--seed", type=_nonnegative_int, default=2026, help="master seed")
        command.add_argument(
            "--set", action="append", metavar="KEY=VALUE", help="fixed scenario override (repeat)"
        )
        command.add_argument("--out", help=f"output folder (default {default_out})")
        command.add_argument(
            "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
        )

    diagnose = commands.add_parser(
        "diagnose",
        help="find the binding bottleneck: relax each systemic constraint in turn",
        description="Run the scenario as it is and with one reform per systemic constraint "
        "(absorptive capacity, human capital, network connectivity, institutional quality, "
        "finance, citizen engagement, relatedness of the knowledge base), all with the same "
        "replication seeds; rank the constraints by the paired effect on the innovation index "
        "with 95 % intervals and name the binding one. SCENARIO 'archetypes' runs the four "
        "bundled archetypes and prints what binds where.",
    )
    diagnose.add_argument("scenario", help="bundled name, TOML path, or 'archetypes'")
    diagnose.add_argument(
        "--reps", type=_positive_int, default=10, help="replications (default 10)"
    )
    study_options(diagnose, "results/diagnose-SCENARIO")
    diagnose.set_defaults(handler=_cmd_diagnose)

    social = commands.add_parser(
        "social",
        help="measure what citizens' role (quadruple helix, living labs) changes",
        description="Run the bundled social-innovation study: governance (triple vs "
        "quadruple helix) x mix (baseline vs living labs and procurement) with paired "
        "replications, and print each combination's effect on social outcomes (social "
        "innovations, trust, participation) and economic ones (innovation index, "
        "innovations) against triple-helix baseline, with 95 % intervals.",
    )
    social.add_argument("scenario", nargs="?", help="region scenario (default: emerging)")
    social.add_argument("--reps", type=_positive_int, default=20, help="replications (default 20)")
    social.add_argument("--out", help="output folder (default results/social_innovation)")
    social.add_argument(
        "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
    )
    social.add_argument("--resume", action="store_true", help="continue an interrupted run")
    social.set_defaults(handler=_cmd_social)

    strategies = commands.add_parser(
        "strategies",
        help="compare strategy families for less-developed regions under deep uncertainty",
        description="Run the strategy families (concentrated vs spread priorities, related "
        "vs unrelated diversification, capacity building first vs R&D grants first, triple vs "
        "quadruple helix) in the same Latin-hypercube futures with the same seeds; print each "
        "strategy's mean outcome, mean and maximum regret, the share of futures reaching the "
        "next RIS group, and the PRIM box of futures where it fails.",
    )
    strategies.add_argument("scenario", nargs="*", help="archetypes (default: emerging moderate)")
    strategies.add_argument(
        "--futures", type=_positive_int, default=30, help="Latin-hypercube futures (default 30)"
    )
    study_options(strategies, "results/strategies")
    strategies.set_defaults(handler=_cmd_strategies)

    peer = commands.add_parser(
        "peer-review",
        help="simulate peer-review rounds between regions and write each region's review",
        description="Run a multi-region scenario with peer review: every PERIOD quarters each "
        "region is reviewed by PEERS others (similar, random, or leader-laggard pairs), scored "
        "on the six RIS3 Guide steps from its indicators, and moves its mix towards better "
        "peers as far as its institutional quality allows. Writes reviews.csv (every round), "
        "reviews.md (scores, strengths, weaknesses, recommendations) and indicators.parquet.",
    )
    peer.add_argument("scenario", help="a multi-region scenario (e.g. europe)")
    peer.add_argument("--selection", choices=["similar", "random", "leader_laggard"])
    peer.add_argument("--peers", type=_positive_int, help="reviewers per region")
    peer.add_argument("--period", type=_positive_int, help="quarters between rounds")
    peer.add_argument("--seed", type=_nonnegative_int, default=1, help="random seed")
    peer.add_argument("--steps", type=_positive_int, default=None, help="quarters to simulate")
    peer.add_argument("--set", action="append", metavar="KEY=VALUE", help="scenario override")
    peer.add_argument("--out", help="output folder (default results/peer-review-SCENARIO)")
    peer.set_defaults(handler=_cmd_peer_review)

    demo = commands.add_parser(
        "demo",
        help="compare the bundled mixes, screen the parameters and write the report",
        description="The full story for a newcomer, in about two minutes on two cores: the "
        "five bundled policy mixes in the emerging region over paired replications, a Morris "
        "screening of which parameters matter, and the HTML report. Safe to interrupt and "
        "re-run (finished runs are kept).",
    )
    demo.add_argument("--out", default="results/demo", help="output folder")
    demo.add_argument("--reps", type=_positive_int, default=10, help="replications per mix")
    demo.add_argument("--workers", type=_positive_int, default=None, help="processes")
    demo.set_defaults(handler=_cmd_demo)

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the interactive dashboard (Mesa SolaraViz) in the browser",
        description="Serve the interactive dashboard: pick a region archetype and a policy mix, "
        "move the budget, instrument shares, institutional quality, citizen participation and "
        "governance, then Step or Play and watch the indicators, the collaboration network, the "
        "knowledge space and a second mix run with the same seed. Works offline (no CDN); each "
        "browser tab gets its own model. Listens on 127.0.0.1 only unless --host says otherwise.",
    )
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    )
    dashboard.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    dashboard.set_defaults(handler=_cmd_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["smartspec", *(sys.argv[1:] if argv is None else argv)]
    try:
        return args.handler(args)
    except (ScenarioError, ExperimentError, StoreError) as error:
        print(f"smartspec: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("smartspec: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
