"""Morris elementary-effects screening (``SALib.sample.morris``), analysed by
``SALib.analyze.morris``: r = ``design.samples`` trajectories of D + 1 points on a grid of
``design.levels`` levels.

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161-174.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import DesignKind, DesignPoints, salib_points, salib_problem

if TYPE_CHECKING:
    from ..spec import ExperimentSpec

__all__ = ["KIND", "count", "points"]


def points(spec: ExperimentSpec) -> DesignPoints:
    """``design.samples`` trajectories on a ``design.levels``-level grid."""
    from SALib.sample import morris

    design = spec.design
    problem = salib_problem(spec.parameters)
    matrix = morris.sample(problem, design.samples, num_levels=design.levels, seed=design.seed)
    settings = {"sampler": "SALib.sample.morris", "N": design.samples, "levels": design.levels}
    return salib_points(spec, matrix, problem, settings)


def count(spec: ExperimentSpec) -> int:
    """r trajectories of D + 1 points."""
    return spec.design.samples * (len(spec.parameters) + 1)


KIND = DesignKind(
    name="morris",
    description="Morris elementary-effects screening (design.samples trajectories)",
    parameters="range",
    points=points,
    count=count,
)
