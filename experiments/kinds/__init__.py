"""The design-kind registry of the experiments layer: one module per kind.

Each module defines ``KIND``, a :class:`DesignKind` that says what the kind's parameters need,
its further rules and how it makes its design points (the way SALib keeps one module per
method). ``smartspec.analysis.kinds`` holds the analysis of each kind under the same names.

    from smartspec.experiments.kinds import DESIGN_KINDS, design_kind

To add a kind, see "Adding a design kind" in docs/experiments.md.
"""

from __future__ import annotations

from . import comparison, grid, lhs, morris, sobol
from .base import DesignKind, DesignPoint, DesignPoints, DesignProblem

__all__ = [
    "DESIGN_KINDS",
    "DesignKind",
    "DesignPoint",
    "DesignPoints",
    "DesignProblem",
    "design_kind",
]

#: Every design kind by name, in the order the documentation lists them.
DESIGN_KINDS: dict[str, DesignKind] = {
    kind.name: kind for kind in (comparison.KIND, grid.KIND, lhs.KIND, sobol.KIND, morris.KIND)
}


def design_kind(name: str) -> DesignKind:
    """The design kind called ``name``; a ValueError lists the known kinds."""
    try:
        return DESIGN_KINDS[name]
    except KeyError:
        known = ", ".join(DESIGN_KINDS)
        raise ValueError(f"unknown design kind {name!r} (known: {known})") from None
