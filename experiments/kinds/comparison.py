"""Comparison: scenarios x policy mixes, crossed with the levels of any parameters.

Every point runs the same replication seeds (common random numbers), so the analysis compares
mixes (or scenarios) by paired differences. With parameters, each combination of their levels
is crossed with every scenario and mix (a factorial comparison, e.g. mixes x governance).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from .base import DesignKind, DesignPoint, DesignPoints, DesignProblem, point_values

if TYPE_CHECKING:
    from ..spec import ExperimentSpec

__all__ = ["KIND", "check", "count", "points"]


def check(spec: ExperimentSpec) -> None:
    """A comparison compares something: mixes, scenarios or both."""
    if not spec.design.mixes and not spec.design.scenarios:
        raise DesignProblem(
            "design.mixes", "a comparison needs design.mixes and/or design.scenarios"
        )


def points(spec: ExperimentSpec) -> DesignPoints:
    """Scenarios (default: the model's) x mixes (default: the scenario's own) x levels."""
    design = spec.design
    scenarios = design.scenarios or [spec.model.scenario]
    mixes: list[str | None] = list(design.mixes) or [None]
    levels = [parameter.levels or [] for parameter in spec.parameters]
    made = [
        DesignPoint(
            scenario=scenario,
            mix=mix,
            values=point_values(spec, combination),
        )
        for scenario, mix, *combination in itertools.product(scenarios, mixes, *levels)
    ]
    settings = {
        "scenarios": scenarios,
        "mixes": design.mixes,
        "levels": {parameter.name: parameter.levels for parameter in spec.parameters},
    }
    return DesignPoints(points=made, settings=settings)


def count(spec: ExperimentSpec) -> int:
    """Scenarios x mixes x the product of the parameters' level counts."""
    design = spec.design
    levels = math.prod(len(parameter.levels or []) for parameter in spec.parameters)
    return max(1, len(design.scenarios)) * max(1, len(design.mixes)) * levels


KIND = DesignKind(
    name="comparison",
    description="scenarios x mixes (x parameter levels), paired by replication seeds",
    parameters="levels",
    points=points,
    needs_parameters=False,
    check=check,
    count=count,
)
