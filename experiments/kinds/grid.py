"""Grid: the full factorial of every parameter's levels, in the model's scenario."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from .base import DesignKind, DesignPoint, DesignPoints, point_values

if TYPE_CHECKING:
    from ..spec import ExperimentSpec

__all__ = ["KIND", "count", "points"]


def points(spec: ExperimentSpec) -> DesignPoints:
    """Every combination of levels, the last parameter varying fastest."""
    made = [
        DesignPoint(
            scenario=spec.model.scenario,
            mix=None,
            values=point_values(spec, combination),
        )
        for combination in itertools.product(*(p.levels or [] for p in spec.parameters))
    ]
    settings = {"levels": {parameter.name: parameter.levels for parameter in spec.parameters}}
    return DesignPoints(points=made, settings=settings)


def count(spec: ExperimentSpec) -> int:
    """The product of the parameters' level counts."""
    return math.prod(len(parameter.levels or []) for parameter in spec.parameters)


KIND = DesignKind(
    name="grid",
    description="full factorial of the parameters' levels",
    parameters="levels",
    points=points,
    count=count,
)
