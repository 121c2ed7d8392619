"""What a design kind's analysis declares, and the pieces the bundled kinds share.

An analysis kind is one :class:`AnalysisKind` value, defined in its own module of this package
and listed in :data:`smartspec.analysis.kinds.ANALYSIS_KINDS` under the name of the design kind
it analyses (``smartspec.experiments.kinds``). It gives the tables of ``smartspec analyze``,
its figures and what the HTML report shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from smartspec.experiments import Results
from smartspec.scenarios import next_group_threshold

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CATCH_UP_INDEX",
    "AnalysisKind",
    "Ranking",
    "ReportPart",
    "correlation_tables",
    "discovery_figures",
    "discovery_tables",
    "no_report",
    "parameter_names",
    "ranking_html",
    "scalar_outcomes",
]

#: "Catching up": an emerging region's composite index reaching the moderate RIS group.
CATCH_UP_INDEX = next_group_threshold("emerging")


@dataclass
class ReportPart:
    """What the HTML report shows for a results folder of one kind.

    ``sections`` are (heading, HTML body) pairs, placed before "Findings in plain words";
    ``findings`` are sentences (HTML) for that section; ``snapshot`` is the scenario and mix
    of "A look inside one simulation" (None: the experiment's scenario and its own mix).
    """

    sections: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    snapshot: tuple[str, str | None] | None = None


@dataclass
class Ranking:
    """Which parameters matter, for the report: an HTML body and its sentences (HTML)."""

    body: str
    findings: list[str]


def no_report(results: Results) -> ReportPart:
    """The default :attr:`AnalysisKind.report`: no section of the kind's own."""
    return ReportPart()


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
    found = discovery.discover(
        results.outcomes,
        parameters,
        interest,
        ranges=discovery.parameter_ranges(results.provenance),
    )
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


def ranking_html(
    kind: str, sentence: str, figure: Figure, table: pd.DataFrame, noise_share: float
) -> Ranking:
    """A parameter ranking in the report: the sentence, the replication-noise share, the
    chart and the table of indices."""
    from ..report import _image, _table  # the report's own helpers; report imports this package

    noise_text = (
        f" Replication noise is {noise_share:.0%} of the outcome's variance."
        if noise_share == noise_share
        else " With one replication per design point, model noise is part of what the indices "
        "cannot attribute."
    )
    body = (
        f"<p>{sentence}{noise_text}</p>"
        + _image(figure, f"{kind} sensitivity indices")
        + _table(table)
    )
    return Ranking(body=body, findings=[sentence])
