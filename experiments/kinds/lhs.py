"""Latin hypercube sample of the parameters' distributions (``SALib.sample.latin``).

References
----------
McKay, M. D., Beckman, R. J., Conover, W. J. (1979). A comparison of three methods for
selecting values of input variables in the analysis of output from a computer code.
Technometrics 21, 239-245.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import DesignKind, DesignPoints, salib_points, salib_problem

if TYPE_CHECKING:
    from ..spec import ExperimentSpec

__all__ = ["KIND", "count", "points"]


def points(spec: ExperimentSpec) -> DesignPoints:
    """``design.samples`` points, one per stratum of every parameter."""
    from SALib.sample import latin

    problem = salib_problem(spec.parameters)
    matrix = latin.sample(problem, spec.design.samples, seed=spec.design.seed)
    settings = {"sampler": "SALib.sample.latin", "N": spec.design.samples}
    return salib_points(spec, matrix, problem, settings)


def count(spec: ExperimentSpec) -> int:
    """``design.samples`` points."""
    return spec.design.samples


KIND = DesignKind(
    name="lhs",
    description="Latin hypercube sample of design.samples points",
    parameters="range",
    points=points,
    count=count,
)
