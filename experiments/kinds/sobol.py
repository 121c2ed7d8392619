"""Sobol variance-based sensitivity: Saltelli's extension of the Sobol sequence
(``SALib.sample.sobol``), analysed by ``SALib.analyze.sobol``.

N base samples give N (2D + 2) points with second-order indices, N (D + 2) without; N must be
a power of two for the Sobol sequence to keep its balance properties.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181, 259-270.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import DesignKind, DesignPoints, DesignProblem, salib_points, salib_problem

if TYPE_CHECKING:
    from ..spec import ExperimentSpec

__all__ = ["KIND", "check", "count", "points"]


def check(spec: ExperimentSpec) -> None:
    """N (``design.samples``) is a power of two."""
    samples = spec.design.samples
    if samples & (samples - 1):
        raise DesignProblem("design.samples", f"sobol samples must be a power of 2 (got {samples})")


def points(spec: ExperimentSpec) -> DesignPoints:
    """The Saltelli sample of N = ``design.samples`` base points."""
    from SALib.sample import sobol

    design = spec.design
    problem = salib_problem(spec.parameters)
    matrix = sobol.sample(
        problem, design.samples, calc_second_order=design.second_order, seed=design.seed
    )
    settings = {
        "sampler": "SALib.sample.sobol",
        "N": design.samples,
        "calc_second_order": design.second_order,
    }
    return salib_points(spec, matrix, problem, settings)


def count(spec: ExperimentSpec) -> int:
    """N (2D + 2) points with second-order indices, N (D + 2) without."""
    dimensions = len(spec.parameters)
    block = 2 * dimensions + 2 if spec.design.second_order else dimensions + 2
    return spec.design.samples * block


KIND = DesignKind(
    name="sobol",
    description="Saltelli/Sobol sequence for Sobol indices (design.samples = N, a power of 2)",
    parameters="range",
    points=points,
    check=check,
    count=count,
)
