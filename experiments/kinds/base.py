"""What a design kind declares, and the helpers the bundled kinds share.

A design kind is one :class:`DesignKind` value, defined in its own module of this package and
listed in :data:`smartspec.experiments.kinds.DESIGN_KINDS`. It says what every varying
parameter needs (``levels`` or a ``range``), which further rules an experiment of this kind
must follow (:attr:`DesignKind.check`) and how its design points are made
(:attr:`DesignKind.points`). The runner adds replications and seeds, which are the same for
every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from smartspec.scenarios.errors import FieldProblem

if TYPE_CHECKING:
    from ..spec import ExperimentSpec, ParameterSpec

__all__ = [
    "DesignKind",
    "DesignPoint",
    "DesignPoints",
    "DesignProblem",
    "no_extra_rules",
    "point_value",
    "point_values",
    "salib_points",
    "salib_problem",
]

_SALIB_DISTRIBUTIONS = {
    "uniform": "unif",
    "normal": "norm",
    "triangular": "triang",
    "lognormal": "lognorm",
}


class DesignProblem(FieldProblem):
    """An experiment that breaks a rule of its design kind: the field and a one-line problem.

    Raised by :attr:`DesignKind.check`; :func:`~smartspec.experiments.load_experiment` turns
    it into an :class:`~smartspec.experiments.ExperimentError` naming the file, this field
    and this problem.
    """


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """One design point: the scenario and mix it runs and its parameter values by name."""

    scenario: str
    mix: str | None
    values: dict[str, Any]


@dataclass
class DesignPoints:
    """What a kind's :attr:`DesignKind.points` returns.

    ``settings`` are recorded in ``provenance.json`` under ``"design"`` (the runner adds the
    kind's name under ``"design"`` and the replications and seeds); ``problem`` is SALib's
    problem dictionary for kinds whose analysis hands the sample back to SALib, else None.
    """

    points: list[DesignPoint]
    settings: dict[str, Any]
    problem: dict[str, Any] | None = None


def no_extra_rules(spec: ExperimentSpec) -> None:
    """The default :attr:`DesignKind.check`: nothing beyond what every kind checks."""


@dataclass(frozen=True)
class DesignKind:
    """A kind of design, as the experiments layer sees it.

    Attributes
    ----------
    name
        The value of ``design.kind`` in experiment files, recorded as ``design`` in
        ``provenance.json`` and read back by the analysis (``smartspec.analysis.kinds`` holds
        the kind of the same name).
    description
        One line for the documentation and the schema.
    parameters
        What every ``[[parameters]]`` entry must give: ``"levels"`` or ``"range"``.
    points
        ``points(spec) -> DesignPoints``: every design point, in a fixed order (the runner
        numbers points by their position), and the sampler settings.
    needs_parameters
        Whether the design needs at least one ``[[parameters]]`` entry.
    check
        ``check(spec) -> None``: the kind's further rules, raising :class:`DesignProblem`
        (called after the schema and the checks above, before anything is loaded or run).
    count
        ``count(spec) -> int``: how many points :attr:`points` would make, computed without
        making them, so that an oversized design is refused before it takes any memory
        (default: make the points and count them).
    """

    name: str
    description: str
    parameters: Literal["levels", "range"]
    points: Callable[[ExperimentSpec], DesignPoints]
    needs_parameters: bool = True
    check: Callable[[ExperimentSpec], None] = field(default=no_extra_rules)
    count: Callable[[ExperimentSpec], int] | None = None

    def point_count(self, spec: ExperimentSpec) -> int:
        """The number of design points of ``spec`` (see :attr:`count`)."""
        if self.count is not None:
            return self.count(spec)
        return len(self.points(spec).points)


def point_value(parameter: ParameterSpec, value: Any) -> Any:
    """A design value as stored and run: whole numbers for ``integer`` parameters, Python
    scalars rather than NumPy ones (so that values compare and serialise alike)."""
    if parameter.integer:
        return int(round(float(value)))
    if isinstance(value, np.generic):
        return value.item()
    return value


def point_values(spec: ExperimentSpec, row: Iterable[Any]) -> dict[str, Any]:
    """One design point's values by parameter name, from a row in parameter order."""
    return {
        parameter.name: point_value(parameter, value)
        for parameter, value in zip(spec.parameters, row, strict=True)
    }


def salib_problem(parameters: list[ParameterSpec]) -> dict[str, Any]:
    """SALib's problem dictionary for sampled designs (names, bounds, distributions)."""
    bounds = []
    for parameter in parameters:
        low, high = parameter.range  # type: ignore[misc]
        if parameter.distribution == "triangular":
            bounds.append([low, high, 0.5])
        else:
            bounds.append([low, high])
    return {
        "num_vars": len(parameters),
        "names": [parameter.name for parameter in parameters],
        "bounds": bounds,
        "dists": [_SALIB_DISTRIBUTIONS[parameter.distribution] for parameter in parameters],
    }


def salib_points(
    spec: ExperimentSpec,
    matrix: Iterable[Iterable[Any]],
    problem: dict[str, Any],
    settings: dict[str, Any],
) -> DesignPoints:
    """Design points of a SALib sample (one row per point, columns in parameter order), all
    in the model's scenario; ``settings`` gain the design's seed."""
    base = spec.model.scenario
    points = [
        DesignPoint(
            scenario=base,
            mix=None,
            values=point_values(spec, row),
        )
        for row in matrix
    ]
    return DesignPoints(
        points=points, settings={**settings, "seed": spec.design.seed}, problem=problem
    )
