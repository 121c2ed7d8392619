"""What a design kind's analysis declares, and the pieces the bundled kinds share.

An analysis kind is one :class:`AnalysisKind` value, defined in its own module of this package
and listed in :data:`smartspec.analysis.kinds.ANALYSIS_KINDS` under the name of the design kind
it analyses (``smartspec.experiments.kinds``). It gives the tables of ``smartspec analyze``,
its figures and what the HTML report shows.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from smartspec.experiments import Results
from smartspec.model.indicators import is_indicator, phrase_of
from smartspec.scenarios import next_group_threshold

from ..wording import (
    Conclusion,
    format_number,
    is_policy_lever,
    parameter_description,
    parameter_label,
    parameter_unit,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CATCH_UP_INDEX",
    "AnalysisKind",
    "Ranking",
    "ReportPart",
    "correlation_tables",
    "lever_names",
    "parameter_table",
    "ranking_conclusion",
    "screening_setting",
    "simulates_the_model",
    "discovery_figures",
    "discovery_tables",
    "no_report",
    "parameter_names",
    "ranking_html",
    "ranking_report",
    "scalar_outcomes",
]

#: "Catching up": an emerging region's composite index reaching the moderate RIS group.
CATCH_UP_INDEX = next_group_threshold("emerging")


@dataclass
class ReportPart:
    """What the HTML report shows for a results folder of one kind.

    ``sections`` are (heading, HTML body) pairs, placed before "Findings in plain words";
    ``findings`` are sentences (HTML) for that section; ``conclusions`` are what the reader
    should take away, each with its evidence and caveat ("What this means"); ``snapshot`` is
    the scenario and mix of "A look inside one simulation" (None: the experiment's scenario
    and its own mix).
    """

    sections: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    snapshot: tuple[str, str | None] | None = None
    conclusions: list[Conclusion] = field(default_factory=list)


@dataclass
class Ranking:
    """Which parameters matter, for the report: an HTML body, its sentences (HTML) and its
    conclusions with evidence and caveat."""

    body: str
    findings: list[str]
    conclusions: list[Conclusion] = field(default_factory=list)
    outcome: str = ""


def no_report(results: Results) -> ReportPart:
    """The default :attr:`AnalysisKind.report`: no section of the kind's own."""
    return ReportPart()


def ranking_report(ranking: Callable[[Results], Ranking]) -> Callable[[Results], ReportPart]:
    """The :attr:`AnalysisKind.report` of a kind that ranks parameters: one "Sensitivity"
    section holding ``ranking``'s body, findings and conclusions."""

    def report(results: Results) -> ReportPart:
        """A "Sensitivity" section: the ranking."""
        ranked = ranking(results)
        return ReportPart(
            sections=[("Sensitivity", ranked.body)],
            findings=ranked.findings,
            conclusions=ranked.conclusions,
        )

    return report


@dataclass(frozen=True)
class AnalysisKind:
    """A kind of design, as the analysis layer sees it.

    Attributes
    ----------
    name
        The design kind's name (``design`` in ``provenance.json``).
    tables
        ``tables(results, baseline) -> {name: DataFrame}``: what ``smartspec analyze`` prints
        and writes as ``RESULTS/analysis/<name>.csv``. ``results`` are loaded without time
        series; ``baseline`` is the ``--baseline`` option (None when not given).
    figures
        ``figures(results, baseline) -> {name: Figure}``: written as PNG and SVG to
        ``RESULTS/analysis/figures/``; ``results`` include the time series.
    report
        ``report(results) -> ReportPart``: the kind's sections of the HTML report.
    ranking
        ``ranking(results) -> Ranking`` for kinds that rank parameters by influence (the
        folder given to ``smartspec report --sensitivity``); None for the others.
    """

    name: str
    tables: Callable[[Results, str | None], dict[str, pd.DataFrame]]
    figures: Callable[[Results, str | None], dict[str, Figure]]
    report: Callable[[Results], ReportPart] = field(default=no_report)
    ranking: Callable[[Results], Ranking] | None = None


def scalar_outcomes(results: Results) -> list[str]:
    """Numeric outcome columns (not inputs, not bookkeeping), in stored order."""
    skip = set(results.inputs.columns) | {"seconds", "status", "error", "traceback"}
    return [
        column
        for column in results.outcomes.columns
        if column not in skip
        and not column.startswith("realised.")  # the mix a run realised is an input
        and pd.api.types.is_numeric_dtype(results.outcomes[column])
    ]


def parameter_names(results: Results) -> list[str]:
    """The experiment's varying parameters, in file order."""
    return [parameter["name"] for parameter in results.provenance["experiment"]["parameters"]]


def _catch_up_outcome(results: Results) -> str | None:
    return next(
        (c for c in ("mean_innovation_index", "final_innovation_index") if c in results.outcomes),
        None,
    )


def discovery_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Scenario discovery on a sampled design: which parameter ranges make the region catch
    up (index >= 70, the moderate group)? PRIM box, peeling trajectory, feature scores."""
    from .. import discovery

    column = _catch_up_outcome(results)
    parameters = parameter_names(results)
    if column is None or not parameters:
        return {}
    interest = discovery.catch_up(results.outcomes, column, CATCH_UP_INDEX)
    if interest.all() or not interest.any():
        share = "every" if interest.all() else "no"
        note = f"{share} run reaches {column} >= {CATCH_UP_INDEX:g}: nothing to discover"
        return {"discovery": pd.DataFrame({"note": [note]})}
    try:
        found = discovery.discover(
            results.outcomes,
            parameters,
            interest,
            ranges=discovery.parameter_ranges(results.provenance),
        )
    except ValueError as error:
        # Design points count as futures of interest by their replications' share, so a
        # sweep where some runs miss the goal can still have no (or only) such points; the
        # other tables stand without discovery.
        reached = f"{int(interest.sum())} of {len(interest)} runs reach {column} >= "
        note = f"{reached}{CATCH_UP_INDEX:g}, but {error}"
        return {"discovery": pd.DataFrame({"note": [note]})}
    sentences = discovery.describe(found, f"{column} >= {CATCH_UP_INDEX:g}")
    return {
        "discovery_box": found.box,
        "discovery_trajectory": found.trajectory.reset_index(),
        "feature_scores": pd.DataFrame(
            {"parameter": found.feature_scores.index, "score": found.feature_scores.to_numpy()}
        ),
        "discovery": pd.DataFrame({"finding": sentences}),
    }


def discovery_figures(results: Results) -> dict[str, Figure]:
    """PRIM's trade-off (coverage against density) and its box, when a box was found."""
    from .. import discovery

    if "discovery_box" not in discovery_tables(results):
        return {}
    column = _catch_up_outcome(results)
    found = discovery.discover(
        results.outcomes,
        parameter_names(results),
        discovery.catch_up(results.outcomes, column, CATCH_UP_INDEX),
        ranges=discovery.parameter_ranges(results.provenance),
    )
    return {"prim_tradeoff": discovery.plot_tradeoff(found), "prim_box": discovery.plot_box(found)}


def correlation_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Outcome summaries and Spearman rank correlations of every outcome with every
    parameter (designs without an analysis of their own sample)."""
    from scipy import stats

    outcomes = results.outcomes
    rows = []
    for column in scalar_outcomes(results):
        for parameter in parameter_names(results):
            rho, p_value = stats.spearmanr(outcomes[parameter], outcomes[column])
            rows.append(
                {"outcome": column, "parameter": parameter, "spearman": rho, "p_value": p_value}
            )
    return {
        "summary": outcomes[scalar_outcomes(results)].describe().T.reset_index(names="outcome"),
        "correlations": pd.DataFrame(rows),
    }


def simulates_the_model(results: Results) -> bool:
    """Whether the runs simulated SmartSpec's model (their outcomes are its indicators), as
    opposed to a plain function given as the experiment's target."""
    return any(is_indicator(column.split("_", 1)[-1]) for column in scalar_outcomes(results))


def screening_setting(results: Results) -> str:
    """What a sensitivity experiment simulated, in words (HTML): region, model size,
    horizon, runs and outcome window."""
    from ..report import _scenario_text  # the report's wording; report imports this package

    experiment = results.provenance["experiment"]
    replications = experiment["design"].get("replications", 1)
    runs = (
        f"{format_number(len(results.outcomes))} runs with {format_number(replications)} "
        f"replication{'s' if replications != 1 else ''} per design point"
    )
    if not simulates_the_model(results):
        return f"This screening evaluated a function given as the experiment's target: {runs}."
    model = experiment["model"]
    fixed = model.get("set") or {}
    size = [
        f"{format_number(value)} {path.split('.')[-1].replace('_', ' ')}"
        for path, value in fixed.items()
        if path.split(".")[-1] in ("firms", "universities", "citizen_groups")
    ]
    steps = model.get("steps")
    horizon = (
        f"over {steps} quarters ({format_number(steps / 4)} years)"
        if steps
        else "over the scenario's own horizon"
    )
    window = experiment.get("outcomes", {}).get("window")
    return (
        f"This screening ran simulations of its own: {_scenario_text(model['scenario'])}, "
        + (f"made smaller ({html.escape(', '.join(size))}), " if size else "")
        + f"{horizon}, {runs}."
        + (
            f" Outcomes named 'mean of the last quarters' average the last {window} quarters."
            if window
            else ""
        )
    )


def parameter_table(results: Results, indices: pd.DataFrame, columns: dict[str, str]) -> str:
    """The screened parameters in words: what each is, its range and unit, whether it is a
    policy lever, and the indices named by ``columns`` (index column -> header)."""
    from ..report import _table  # the report's own helpers; report imports this package

    by_name = {p["name"]: p for p in results.provenance["experiment"]["parameters"]}
    rows = []
    for record in indices.to_dict("records"):
        spec = by_name.get(record["parameter"], {})
        path = spec.get("path", "")
        low, high = (spec.get("range") or (float("nan"), float("nan")))[:2]
        rows.append(
            {
                "Parameter": parameter_label(record["parameter"]),
                "What it is": parameter_description(path) or path,
                "Range": f"{format_number(low)} to {format_number(high)}",
                "Unit": parameter_unit(path) or "-",
                "Policy lever": "yes" if is_policy_lever(path) else "no",
                **{header: record[column] for column, header in columns.items()},
            }
        )
    return _table(pd.DataFrame(rows))


def lever_names(results: Results) -> set[str]:
    """The names of the screened parameters that are policy levers."""
    return {
        p["name"]
        for p in results.provenance["experiment"]["parameters"]
        if is_policy_lever(p["path"])
    }


def ranking_conclusion(results: Results, order: list[str], measure: str, main: str) -> Conclusion:
    """What a parameter ranking means for a policymaker: whether the levers or the region's
    conditions move the outcome most. ``order`` lists parameters most influential first."""
    levers = lever_names(results)
    names = [f"<b>{html.escape(parameter_label(name))}</b>" for name in order[:3]]
    evidence = f"The largest {measure}: {', '.join(names)}." + "".join(
        f" The policy lever <b>{html.escape(parameter_label(name))}</b> ranks "
        f"{order.index(name) + 1} of {len(order)}."
        for name in order
        if name in levers
    )
    caveat = (
        "The screening varies each parameter over the range in its table, chosen by the "
        "experiment; wider or narrower ranges change the ranking. It ranks how strongly "
        "each parameter moves the outcome, not in which direction, and its runs are "
        "smaller and shorter than the comparison's."
    )
    if not levers:
        claim = (
            f"The screening shows what moves {phrase_of(main)}; none of the parameters it "
            "varied is a policy lever, so it says how much the region's conditions and the "
            "model's assumptions matter, not what policy to choose."
        )
    elif order[0] in levers:
        claim = (
            f"Of the parameters screened, the policy lever "
            f"{html.escape(parameter_label(order[0]))} moves {phrase_of(main)} most."
        )
    else:
        claim = (
            f"Within the ranges screened, {phrase_of(main)} moves more with the region's "
            "conditions and the model's assumptions than with the policy levers: what the "
            "region is matters more than how its S3 budget is set."
        )
    return Conclusion(claim=claim, evidence=evidence, caveat=caveat)


def ranking_html(
    results: Results,
    kind: str,
    sentence: str,
    figure: Figure,
    table: pd.DataFrame,
    noise_share: float,
    columns: dict[str, str],
    conclusion: Conclusion,
    main: str,
) -> Ranking:
    """A parameter ranking in the report: what the screening simulated and measured, the
    sentence, the replication-noise share, the chart and the table of parameters with their
    ranges, whether each is a policy lever, and the indices ``columns`` names."""
    from ..report import _image  # the report's own helpers; report imports this package

    noise_text = (
        f" Replication noise is {noise_share:.0%} of the outcome's variance."
        if noise_share == noise_share
        else " With one replication per design point, model noise is part of what the indices "
        "cannot attribute."
    )
    body = (
        f"<p>{screening_setting(results)} Its outcome is {phrase_of(main)}.</p>"
        f"<p>{sentence}{noise_text}</p>"
        + _image(figure, f"{kind} sensitivity indices")
        + "<p>The parameters screened, the ranges they were varied over and whether the "
        "region's S3 authority sets them itself (a policy lever) or they describe the region "
        "or the model's assumptions:</p>" + parameter_table(results, table, columns)
    )
    return Ranking(body=body, findings=[sentence], conclusions=[conclusion], outcome=main)
