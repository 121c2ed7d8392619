"""The options and help texts of the ``smartspec`` command line (handlers: :mod:`.cli`).

Each subcommand's name is stored as ``args.command``; defaults come from
:mod:`smartspec.studies.defaults`, so that the help says what actually runs.
"""

from __future__ import annotations

import argparse

from smartspec import __version__
from smartspec.model.version import MODEL_VERSION
from smartspec.scenarios import next_group_threshold
from smartspec.studies import defaults

__all__ = ["EXIT_USAGE", "build_parser"]

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    # One rule for 0 and negatives alike (--steps 0 and --steps -5 get the same message).
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _nonnegative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {value}")
    return value


def _execution_options(
    command: argparse.ArgumentParser,
    workers_help: str = "local worker processes (default: all cores; 1 = in this process)",
    resume_help: str = "continue an interrupted experiment in --out (no run lost or repeated)",
    batch_size: bool = True,
) -> None:
    """Where the runs execute (local processes, this process, Dask) and resuming."""
    where = command.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, help=workers_help)
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
    command.add_argument("--resume", action="store_true", help=resume_help)
    if batch_size:
        command.add_argument(
            "--batch-size", type=_positive_int, default=None, help="runs per task (default: auto)"
        )


def _calibrated_option(command: argparse.ArgumentParser, limits: str = "") -> None:
    """``--calibrated DIR``: carry a calibration's remaining parameter uncertainty into the
    comparison."""
    command.add_argument(
        "--calibrated",
        metavar="DIR",
        default=None,
        help="a finished smartspec calibrate folder: each replication draws a parameter set "
        "from the calibration's non-implausible set (the same draw and seed for every mix)"
        + limits,
    )


def _study_options(command: argparse.ArgumentParser, default_out: str) -> None:
    """Options shared by the built-in studies."""
    command.add_argument("--steps", type=_positive_int, default=None, help="quarters per run")
    command.add_argument(
        "--seed", type=_nonnegative_int, default=defaults.STUDY_SEED, help="master seed"
    )
    command.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="fixed scenario override (repeat)"
    )
    command.add_argument("--out", help=f"output folder (default {default_out})")
    command.add_argument(
        "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand, with its options and help."""
    parser = _Parser(
        prog="smartspec",
        description="Simulate regional innovation ecosystems under smart-specialisation "
        "(S3) policy mixes.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"smartspec {__version__} (model version {MODEL_VERSION})",
        help="print the version to cite (and the model version results record), then exit",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what runs and where results go to stderr (-v: INFO, -vv: DEBUG)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    results = defaults.RESULTS_DIR

    commands.add_parser("scenarios", help="list bundled region scenarios and mixes")
    commands.add_parser(
        "experiments",
        help="list bundled experiment files (run one with: smartspec sweep NAME)",
        description="List the bundled experiment files, one line each: name, design kind "
        "and description. Run one with 'smartspec sweep NAME'.",
    )

    run = commands.add_parser(
        "run",
        help="simulate one scenario and write its indicators",
        description="Simulate one scenario and write indicators.parquet and indicators.csv "
        "(one row per region and quarter), domains.parquet (one row per region, domain and "
        "quarter), key_indicators.png (the --plot indicators), run.json and, with --network, "
        "the final collaboration network into the output folder.",
    )
    run.add_argument(
        "scenario", help="bundled scenario name (see 'smartspec scenarios') or a TOML path"
    )
    run.add_argument(
        "--mix", help="bundled policy mix name or mix file (.toml) applied to every region"
    )
    run.add_argument(
        "--seed",
        type=_nonnegative_int,
        default=defaults.RUN_SEED,
        help=f"random seed (default {defaults.RUN_SEED})",
    )
    run.add_argument(
        "--steps", type=_positive_int, help="quarters to simulate (default: scenario's)"
    )
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a scenario field by dotted path, e.g. "
        "regions.0.government.budget_share=0.004 or regions.*.firms=2000 (repeatable)",
    )
    run.add_argument("--out", help=f"output folder (default {results}/run-SCENARIO-MIX-seedN)")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results in a non-empty --out folder (refused without it)",
    )
    run.add_argument(
        "--plot",
        nargs="+",
        metavar="INDICATOR",
        help="indicators of key_indicators.png, by registry name (default: innovation_index "
        "innovations specialisations network_density social_innovations_total "
        "absorption_rate)",
    )
    run.add_argument(
        "--network",
        choices=["graphml", "pajek"],
        help="also write the final collaboration network (network.graphml or network.net) "
        "with node attributes type, region, size, size_measure and domain",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    validate = commands.add_parser(
        "validate",
        help="check the model against stylised facts and write a report",
        description="Run the pattern-oriented validation (principle of relatedness, Zipf firm "
        "sizes, clustered heavy-tailed collaboration network, regional innovation paradox) "
        "over many seeds and write validation.csv, figures, report.md and report.html.",
    )
    validate.add_argument(
        "--reps",
        type=_positive_int,
        default=defaults.VALIDATION_REPLICATIONS,
        help=f"seeds per setting (default {defaults.VALIDATION_REPLICATIONS})",
    )
    validate.add_argument("--out", default=str(defaults.VALIDATION_OUT), help="output folder")
    validate.add_argument(
        "--firms", type=_positive_int, default=None, help="firms per region (default: scenario's)"
    )
    validate.add_argument(
        "--steps",
        type=_positive_int,
        default=defaults.VALIDATION_STEPS,
        help=f"quarters per run (default {defaults.VALIDATION_STEPS})",
    )
    validate.add_argument(
        "--seed", type=_nonnegative_int, default=defaults.VALIDATION_SEED, help="master seed"
    )
    validate.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="fixed scenario override of every run, e.g. firm.diversification_relatedness=0 "
        "for an ablation (repeatable)",
    )
    _execution_options(validate, "processes (default: all cores)", batch_size=False)

    sweep = commands.add_parser(
        "sweep",
        help="run an experiment file (designs, replications, sensitivity samples)",
        description="Run an experiment definition (TOML; a bundled name or a path) and stream "
        "its results to a Parquet dataset in --out: design.parquet, runs/ and series/ batch "
        "files, manifest.json and provenance.json. Safe to interrupt; continue with --resume. "
        "--resume --reps N adds replications to a finished experiment. A comparison design "
        "also prints the table compare prints.",
    )
    sweep.add_argument(
        "experiment",
        help="experiment TOML path or bundled name, with or without .toml (see "
        "'smartspec experiments')",
    )
    sweep.add_argument("--out", help=f"output folder (default {results}/EXPERIMENT-NAME)")
    sweep.add_argument(
        "--overwrite",
        action="store_true",
        help="remove the old results of a non-empty --out folder and start afresh "
        "(without it a non-empty folder is refused, unless --resume continues it)",
    )
    sweep.add_argument(
        "--max-runs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="refuse an experiment planning more runs than this (default 1,000,000)",
    )
    sweep.add_argument(
        "--reps",
        type=_positive_int,
        default=None,
        help="replications per design point (default: the file's design.replications); with "
        "--resume, more than the folder holds adds them, keeping every earlier run",
    )
    sweep.add_argument(
        "--target",
        metavar="MODULE:FUNCTION",
        help="run your own Python function instead of the SmartSpec model (runs your code): "
        "f(params: dict, rng: numpy.random.Generator) -> dict; parameter paths are free "
        "names and the outcomes are the keys it returns (the file has no [outcomes])",
    )
    _calibrated_option(sweep, " (comparison designs only)")
    _execution_options(sweep)

    calibrate = commands.add_parser(
        "calibrate",
        help="fit behavioural coefficients to observed facts (history matching)",
        description="Calibrate the model against the targets of a calibration file (TOML; a "
        "bundled name such as calibrate_quick, or a path): Morris screening of the "
        "parameters, then waves of history matching with Gaussian-process emulators, then a "
        "re-run of the non-implausible points. Writes nroy.parquet (the parameter sets not "
        "ruled out), best.toml, summary.json and every wave's runs and emulators to --out; "
        "`smartspec report OUT` presents them and `compare --calibrated OUT` carries the "
        "remaining uncertainty into what-ifs. Safe to interrupt; continue with --resume.",
    )
    calibrate.add_argument("calibration", help="calibration TOML path or bundled name")
    calibrate.add_argument("--out", help=f"output folder (default {results}/CALIBRATION-NAME)")
    calibrate.add_argument(
        "--max-runs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="refuse a calibration planning more runs than this (default 1,000,000)",
    )
    _execution_options(calibrate, resume_help="continue an interrupted calibration in --out")

    plausible = commands.add_parser(
        "plausible",
        help="is a parameter set ruled out by a finished calibration? (simulates it)",
        description="Simulate a finished calibration's scenarios with one parameter set and "
        "apply the calibration's final cut, as to a re-run point: prints each target's "
        "observed and simulated value and implausibility, and whether the set is ruled out. "
        "The set is the scenarios' own defaults, changed by --point or --best and then by "
        "--set. The runs use seeds of their own, not the calibration's (a 4-archetype "
        "calibration at 16 replications takes about a minute on one core).",
    )
    plausible.add_argument("folder", help="output folder of smartspec calibrate")
    chosen = plausible.add_mutually_exclusive_group()
    chosen.add_argument(
        "--point", type=_nonnegative_int, metavar="N", help="an accepted point of nroy.parquet"
    )
    chosen.add_argument("--best", action="store_true", help="the calibration's best point")
    plausible.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a parameter value by dotted path, e.g. firm.competition=0.3 (repeatable)",
    )
    plausible.add_argument(
        "--reps",
        type=_positive_int,
        default=None,
        help="replications per scenario, at least 2 (default: the calibration's "
        "final_replications)",
    )

    compare = commands.add_parser(
        "compare",
        help="compare policy mixes in one scenario over paired replications",
        description="Run every --mix in SCENARIO with the same --reps seeds (common random "
        "numbers) and print mean ± 95 % interval of key outcomes per mix; results are stored "
        "like a sweep's.",
    )
    compare.add_argument("scenario", help="bundled scenario name or TOML path")
    compare.add_argument(
        "--mix",
        action="append",
        metavar="NAME",
        help="a bundled mix name or a mix file (.toml) (repeat)",
    )
    compare.add_argument(
        "--reps",
        type=_positive_int,
        default=defaults.COMPARE_REPLICATIONS,
        help=f"replications (default {defaults.COMPARE_REPLICATIONS})",
    )
    compare.add_argument("--steps", type=_positive_int, default=None, help="quarters per run")
    compare.add_argument(
        "--seed", type=_nonnegative_int, default=defaults.STUDY_SEED, help="master seed"
    )
    compare.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="fixed scenario override (repeat)"
    )
    compare.add_argument("--out", help=f"output folder (default {results}/compare-SCENARIO)")
    compare.add_argument(
        "--overwrite",
        action="store_true",
        help="remove the old results of a non-empty --out folder and start afresh "
        "(without it a non-empty folder is refused, unless --resume continues it)",
    )
    _calibrated_option(compare)
    _execution_options(compare)

    analyze = commands.add_parser(
        "analyze",
        help="print the key tables of a results folder; write them as CSV, figures as PNG/SVG",
        description="Analyse a sweep or compare folder according to its design: comparison "
        "(means with 95 % intervals, paired differences against the baseline mix, ranking "
        "with ties, trade-offs), Sobol (S1, ST, S2 with bootstrap intervals, replication "
        "noise, convergence), Morris (mu*, sigma) or grid/LHS (rank correlations); LHS, grid "
        "and Sobol sweeps also get scenario discovery (PRIM: where does the region catch up, "
        f"index >= {next_group_threshold('emerging'):g}). Tables go to RESULTS/analysis/, "
        "figures (PNG, SVG) to RESULTS/analysis/figures/.",
    )
    analyze.add_argument("results", help="results folder of smartspec sweep or compare")
    analyze.add_argument("--baseline", help="mix the others are compared with (comparison)")

    export = commands.add_parser(
        "export",
        help="write a results folder as tidy tables (one row per run, per quarter)",
        description="Write RESULTS/export/runs.csv (or .parquet): one row per run with its "
        "inputs (run id, design point, replication, seed, scenario, mix, parameter values), "
        "its status and its outcomes. With --series also series.csv: one row per run and "
        "quarter with the same input columns.",
    )
    export.add_argument("results", help="results folder of smartspec sweep or compare")
    export.add_argument(
        "--format", choices=["csv", "parquet"], default="csv", help="file format (default csv)"
    )
    export.add_argument("--series", action="store_true", help="also one row per run and quarter")
    export.add_argument("--out", help="folder for the tables (default RESULTS/export)")

    report = commands.add_parser(
        "report",
        help="write one self-contained HTML report of a results or calibration folder",
        description="Write an HTML report (figures embedded as SVG with real text, no "
        "external assets): a setting box (region, firms, budget per year in euros, horizon, "
        "runs), what the results mean with evidence and caveats, the question, the region "
        "and mixes in plain words, results with uncertainty, the sensitivity ranking with its "
        "model size, ranges and policy levers (with --sensitivity), findings with caveats, "
        "the provenance of every folder used, and a glossary. "
        "On a smartspec calibrate folder (finished or not), the calibration report: what was "
        "fitted and screened out, the targets, each wave's shrinkage and emulator checks, the "
        "set of parameter values not ruled out, the best point and the discrepancy "
        "sensitivity.",
    )
    report.add_argument(
        "results",
        help="results folder of smartspec compare, sweep, social or diagnose, one region's "
        "folder of smartspec strategies, or a smartspec calibrate folder",
    )
    report.add_argument("--sensitivity", help="a Morris or Sobol sweep folder to rank parameters")
    report.add_argument(
        "--calibration",
        metavar="DIR",
        help="a smartspec calibrate folder whose section is added to the report (e.g. of a "
        "comparison run with --calibrated DIR)",
    )
    report.add_argument("--out", help="HTML file (default RESULTS/report.html)")

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
        "--reps",
        type=_positive_int,
        default=defaults.DIAGNOSE_REPLICATIONS,
        help=f"replications (default {defaults.DIAGNOSE_REPLICATIONS})",
    )
    _study_options(diagnose, f"{results}/diagnose-SCENARIO")

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
    social.add_argument(
        "--reps",
        type=_positive_int,
        default=defaults.SOCIAL_REPLICATIONS,
        help=f"replications (default {defaults.SOCIAL_REPLICATIONS})",
    )
    social.add_argument("--out", help=f"output folder (default {defaults.SOCIAL_OUT})")
    social.add_argument(
        "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
    )
    social.add_argument("--resume", action="store_true", help="continue an interrupted run")

    strategies = commands.add_parser(
        "strategies",
        help="compare strategy families for less-developed regions under deep uncertainty",
        description="Run the strategy families (concentrated vs spread priorities, related "
        "vs unrelated diversification, capacity building first vs R&D grants first, triple vs "
        "quadruple helix) in the same Latin-hypercube futures with the same seeds; print each "
        "strategy's mean outcome, mean and maximum regret, the share of futures reaching the "
        "next RIS group, and the PRIM box of futures where it fails.",
    )
    strategies.add_argument(
        "scenario",
        nargs="*",
        help=f"archetypes (default: {' '.join(defaults.STRATEGY_SCENARIOS)})",
    )
    strategies.add_argument(
        "--futures",
        type=_positive_int,
        default=defaults.STRATEGY_FUTURES,
        help=f"Latin-hypercube futures (default {defaults.STRATEGY_FUTURES})",
    )
    _study_options(strategies, str(defaults.STRATEGIES_OUT))

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
    peer.add_argument(
        "--seed", type=_nonnegative_int, default=defaults.PEER_REVIEW_SEED, help="random seed"
    )
    peer.add_argument("--steps", type=_positive_int, default=None, help="quarters to simulate")
    peer.add_argument("--set", action="append", metavar="KEY=VALUE", help="scenario override")
    peer.add_argument("--out", help=f"output folder (default {results}/peer-review-SCENARIO)")
    peer.add_argument("--resume", action="store_true", help="continue an interrupted run")

    demo = commands.add_parser(
        "demo",
        help="compare the bundled mixes, screen the parameters and write the report",
        description="The full story for a newcomer, in about two minutes on two cores: the "
        "five bundled policy mixes in the emerging region over paired replications, a Morris "
        "screening of which parameters matter, and the HTML report. Safe to interrupt and "
        "re-run (finished runs are kept).",
    )
    demo.add_argument("--out", default=str(defaults.DEMO_OUT), help="output folder")
    demo.add_argument(
        "--reps",
        type=_positive_int,
        default=defaults.DEMO_REPLICATIONS,
        help="replications per mix",
    )
    demo.add_argument("--workers", type=_positive_int, default=None, help="processes")

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the interactive dashboard (Mesa model, Solara page) in the browser",
        description="Serve the interactive dashboard: pick a region archetype and a policy mix, "
        "move the budget, instrument shares, institutional quality, citizen participation and "
        "governance, then Step or Play and watch the indicators, the collaboration network, the "
        "knowledge space and a second mix run with the same seed. Works offline (no CDN); each "
        "browser tab gets its own model. Listens on 127.0.0.1 only unless --host says otherwise. "
        "The address is printed once the page answers.",
    )
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    )
    dashboard.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    dashboard.add_argument(
        "--session-timeout",
        type=_positive_int,
        default=120,  # smartspec.dashboard.server.DEFAULT_SESSION_TIMEOUT (not imported: slow)
        metavar="SECONDS",
        help="free a session (its model) this long after its browser went away (default 120)",
    )
    dashboard.add_argument(
        "--max-sessions",
        type=_positive_int,
        default=40,  # smartspec.dashboard.server.DEFAULT_MAX_SESSIONS
        metavar="N",
        help="browser tabs served at once; more are turned away with a message (default 40)",
    )
    return parser
