"""The design-kind registry of the analysis layer: one module per kind.

Each module defines ``KIND``, an :class:`AnalysisKind` with the kind's tables, figures and
report sections, under the name of the design kind it analyses
(``smartspec.experiments.kinds.DESIGN_KINDS`` has the same names).

    from smartspec.analysis.kinds import ANALYSIS_KINDS, analysis_kind

To add a kind, see "Adding a design kind" in docs/experiments.md.
"""

from __future__ import annotations

from ..sensitivity import SensitivityError
from . import comparison, grid, lhs, morris, sobol
from .base import AnalysisKind, Ranking, ReportPart

__all__ = ["ANALYSIS_KINDS", "AnalysisKind", "Ranking", "ReportPart", "analysis_kind"]

#: Every design kind's analysis by name, in the order of the experiments layer's registry.
ANALYSIS_KINDS: dict[str, AnalysisKind] = {
    kind.name: kind for kind in (comparison.KIND, grid.KIND, lhs.KIND, sobol.KIND, morris.KIND)
}


def analysis_kind(name: str | None) -> AnalysisKind:
    """The analysis of the design kind ``name`` (``provenance["design"]["design"]`` of a
    results folder); a :class:`~smartspec.analysis.sensitivity.SensitivityError` names the
    known kinds."""
    try:
        return ANALYSIS_KINDS[name]  # type: ignore[index]
    except KeyError:
        known = ", ".join(ANALYSIS_KINDS)
        raise SensitivityError(
            f"results of an unknown design kind {name!r} (known: {known})"
        ) from None
