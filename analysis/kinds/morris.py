"""Morris screening: mu*, its interval, sigma and mu per parameter
(``SALib.analyze.morris``), and a parameter ranking for the report.

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161-174. Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective
screening design for sensitivity analysis of large models. Env. Modelling & Software 22.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from smartspec.model.indicators import phrase_of

from .. import sensitivity
from ..wording import parameter_label
from .base import (
    AnalysisKind,
    Ranking,
    lever_names,
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
    """``morris``: the elementary-effects statistics of every outcome."""
    frames = [
        sensitivity.morris_indices(results, column).indices.assign(outcome=column)
        for column in scalar_outcomes(results)
    ]
    return {"morris": pd.concat(frames, ignore_index=True)}


def figures(results: Results, baseline: str | None = None) -> dict[str, Figure]:
    """mu* against sigma, per outcome."""
    from .. import figures as plots

    return {
        f"morris_{column}": plots.plot_morris(
            sensitivity.morris_indices(results, column).indices, column, lever_names(results)
        )
        for column in scalar_outcomes(results)
    }


def ranking(results: Results) -> Ranking:
    """The three parameters with the largest mu* on the main outcome."""
    from .. import figures as plots
    from ..report import _main_outcome  # the report's choice of outcome; report imports kinds

    main = _main_outcome(scalar_outcomes(results))
    result = sensitivity.morris_indices(results, main)
    table = result.indices
    top = table.head(3)["parameter"].tolist()
    sentence = (
        f"Of {len(table)} parameters screened, {phrase_of(main)} reacts most to "
        + ", ".join(f"<b>{html.escape(parameter_label(p))}</b>" for p in top)
        + " (Morris mu*: the mean size of the outcome's change when one parameter moves)."
    )
    order = table.sort_values("mu_star", ascending=False)["parameter"].tolist()
    return ranking_html(
        results,
        "morris",
        sentence,
        plots.plot_morris(table, main, levers=lever_names(results)),
        table,
        result.noise_share,
        {"mu_star": "mu*", "mu_star_conf": "mu* ± (95 %)", "sigma": "sigma"},
        ranking_conclusion(results, order, "mean effects (Morris mu*)", main),
        main,
    )


report = ranking_report(ranking)


KIND = AnalysisKind(name="morris", tables=tables, figures=figures, report=report, ranking=ranking)
