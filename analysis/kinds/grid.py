"""Full factorial grids: analysed like a Latin hypercube (summaries, rank correlations,
scenario discovery over the grid's levels)."""

from __future__ import annotations

from . import lhs
from .base import AnalysisKind

__all__ = ["KIND"]

KIND = AnalysisKind(name="grid", tables=lhs.tables, figures=lhs.figures)
