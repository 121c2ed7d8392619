"""Sobol studies: first-order and total indices (``SALib.analyze.sobol``) with the share of
replication noise and a convergence check, a parameter ranking for the report, and scenario
discovery on the same sample.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181, 259-270.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from smartspec.model.indicators import phrase_of

from .. import sensitivity
from ..wording import format_number, parameter_label
from .base import (
    AnalysisKind,
    Ranking,
    discovery_figures,
    discovery_tables,
    ranking_conclusion,
    ranking_html,
    ranking_report,
    scalar_outcomes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from smartspec.experiments import Results

__all__ = ["KIND", "figures", "ranking", "report", "tables"]


def tables(results: Results, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """``sobol`` (S1, ST and their intervals per outcome), ``noise`` (replication-noise
    share per outcome), ``sobol_convergence`` (first outcome) and the discovery tables."""
    frames, noise = [], []
    columns = scalar_outcomes(results)
    for column in columns:
        result = sensitivity.sobol_indices(results, column)
        frames.append(result.indices.assign(outcome=column))
        noise.append({"outcome": column, "replication_noise_share": result.noise_share})
    made = {"sobol": pd.concat(frames, ignore_index=True), "noise": pd.DataFrame(noise)}
    if columns:
        made["sobol_convergence"] = sensitivity.sobol_convergence(results, columns[0])
    return {**made, **discovery_tables(results)}


def figures(results: Results, baseline: str | None = None) -> dict[str, Figure]:
    """Sobol bars with intervals per outcome, then PRIM's trade-off and box."""
    from .. import figures as plots

    made: dict[str, Figure] = {}
    for column in scalar_outcomes(results):
        result = sensitivity.sobol_indices(results, column)
        made[f"sobol_{column}"] = plots.plot_sobol(result.indices, column)
    return {**made, **discovery_figures(results)}


def ranking(results: Results) -> Ranking:
    """The parameters ranked by their total index on the main outcome."""
    from .. import figures as plots
    from ..report import _main_outcome  # the report's choice of outcome; report imports kinds

    main = _main_outcome(scalar_outcomes(results))
    result = sensitivity.sobol_indices(results, main)
    table = result.indices
    lead = table.iloc[0]
    phrase = phrase_of(main)
    sentence = (
        f"{phrase[0].upper()}{phrase[1:]} depends most on "
        f"<b>{html.escape(parameter_label(lead['parameter']))}</b>, which accounts for "
        f"{lead['ST']:.0%} of its variance including interactions (Sobol total index, 95 % "
        f"interval ± {format_number(lead['ST_conf'], 2)})."
    )
    order = table.sort_values("ST", ascending=False)["parameter"].tolist()
    return ranking_html(
        results,
        "sobol",
        sentence,
        plots.plot_sobol(table, main),
        table,
        result.noise_share,
        {"S1": "first order", "S1_conf": "± (95 %)", "ST": "total", "ST_conf": "± (95 %) "},
        ranking_conclusion(results, order, "total Sobol indices", main),
        main,
    )


report = ranking_report(ranking)


KIND = AnalysisKind(name="sobol", tables=tables, figures=figures, report=report, ranking=ranking)
