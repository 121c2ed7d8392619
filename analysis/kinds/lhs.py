"""Latin-hypercube samples: outcome summaries, rank correlations and scenario discovery
(which parameter ranges make the region catch up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .base import AnalysisKind, correlation_tables, discovery_figures, discovery_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from smartspec.experiments import Results

__all__ = ["KIND", "figures", "tables"]


def tables(results: Results, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """``summary``, ``correlations`` (Spearman) and the discovery tables."""
    return {**correlation_tables(results), **discovery_tables(results)}


def figures(results: Results, baseline: str | None = None) -> dict[str, Figure]:
    """PRIM's trade-off and box."""
    return discovery_figures(results)


KIND = AnalysisKind(name="lhs", tables=tables, figures=figures)
