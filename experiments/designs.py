"""Design points and seeds: comparison, full factorial grid, Latin hypercube, Sobol, Morris.

Samplers are SALib's (``SALib.sample.latin``, ``.sobol``, ``.morris``), not hand-written.
Replication seeds come from ``numpy.random.SeedSequence(master).spawn(R)`` and are shared by
every design point (common random numbers), so that differences between points are paired.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .spec import ExperimentSpec, ParameterSpec

__all__ = [
    "Design",
    "RunTask",
    "TaskSequence",
    "build_design",
    "replication_seeds",
    "salib_problem",
]

_SALIB_DISTRIBUTIONS = {
    "uniform": "unif",
    "normal": "norm",
    "triangular": "triang",
    "lognormal": "lognorm",
}


@dataclass(frozen=True)
class RunTask:
    """One simulation: a design point, a replication and its seed."""

    run_id: int
    point: int
    replication: int
    seed: int
    scenario: str
    mix: str | None
    values: dict[str, Any] = field(default_factory=dict)


class TaskSequence(Sequence[RunTask]):
    """The runs of a design, made on demand from its points and replication seeds, so that
    memory does not grow with the number of runs (run id = point x replications + rep)."""

    def __init__(self, points: list[dict[str, Any]], seeds: list[int]) -> None:
        self._points, self._seeds = points, seeds

    def __len__(self) -> int:
        return len(self._points) * len(self._seeds)

    def _task(self, run_id: int) -> RunTask:
        point, replication = divmod(run_id, len(self._seeds))
        row = self._points[point]
        return RunTask(
            run_id=run_id,
            point=point,
            replication=replication,
            seed=self._seeds[replication],
            scenario=row["scenario"],
            mix=row["mix"],
            values=row["values"],
        )

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._task(run_id) for run_id in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._task(index)

    def __iter__(self) -> Iterator[RunTask]:
        return (self._task(run_id) for run_id in range(len(self)))


@dataclass
class Design:
    """All runs of an experiment plus what the analysis of a sampled design needs."""

    tasks: Sequence[RunTask]
    points: pd.DataFrame
    problem: dict[str, Any] | None
    sampler: dict[str, Any]

    def inputs(self) -> pd.DataFrame:
        """One row per run: ids, seed, scenario, mix and parameter values."""
        rows = [
            {
                "run_id": task.run_id,
                "point": task.point,
                "replication": task.replication,
                "seed": task.seed,
                "scenario": task.scenario,
                "mix": task.mix or "",
                **task.values,
            }
            for task in self.tasks
        ]
        return pd.DataFrame(rows)


def replication_seeds(master: int, replications: int) -> list[int]:
    """One 63-bit seed per replication, spawned from the master SeedSequence."""
    children = np.random.SeedSequence(master).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def salib_problem(parameters: list[ParameterSpec]) -> dict[str, Any]:
    """SALib's problem dictionary for sampled designs."""
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


def _sample(spec: ExperimentSpec) -> tuple[np.ndarray, dict[str, Any], dict[str, Any]]:
    from SALib.sample import latin, morris, sobol

    design = spec.design
    problem = salib_problem(spec.parameters)
    if design.kind == "lhs":
        matrix = latin.sample(problem, design.samples, seed=design.seed)
        settings = {"sampler": "SALib.sample.latin", "N": design.samples}
    elif design.kind == "sobol":
        matrix = sobol.sample(
            problem, design.samples, calc_second_order=design.second_order, seed=design.seed
        )
        settings = {
            "sampler": "SALib.sample.sobol",
            "N": design.samples,
            "calc_second_order": design.second_order,
        }
    else:
        matrix = morris.sample(problem, design.samples, num_levels=design.levels, seed=design.seed)
        settings = {"sampler": "SALib.sample.morris", "N": design.samples, "levels": design.levels}
    settings["seed"] = design.seed
    return matrix, problem, settings


def _value(parameter: ParameterSpec, value: Any) -> Any:
    if parameter.integer:
        return int(round(float(value)))
    if isinstance(value, np.generic):
        return value.item()
    return value


def build_design(spec: ExperimentSpec) -> Design:
    """Every run of the experiment, in a fixed order (run ids are positions in it)."""
    design = spec.design
    base = spec.model.scenario
    point_rows: list[dict[str, Any]] = []
    problem = None
    if design.kind == "comparison":
        # Scenarios x mixes, crossed with the levels of any parameters (a factorial
        # comparison, e.g. mixes x governance models).
        scenarios = design.scenarios or [base]
        mixes: list[str | None] = list(design.mixes) or [None]
        names = [parameter.name for parameter in spec.parameters]
        levels = [parameter.levels or [] for parameter in spec.parameters]
        for scenario, mix, *combination in itertools.product(scenarios, mixes, *levels):
            values = {
                name: _value(parameter, value)
                for name, parameter, value in zip(names, spec.parameters, combination, strict=True)
            }
            point_rows.append({"scenario": scenario, "mix": mix, "values": values})
        sampler = {
            "design": "comparison",
            "scenarios": scenarios,
            "mixes": design.mixes,
            "levels": {parameter.name: parameter.levels for parameter in spec.parameters},
        }
    elif design.kind == "grid":
        names = [parameter.name for parameter in spec.parameters]
        for combination in itertools.product(*(p.levels for p in spec.parameters)):
            values = {
                name: _value(parameter, value)
                for name, parameter, value in zip(names, spec.parameters, combination, strict=True)
            }
            point_rows.append({"scenario": base, "mix": None, "values": values})
        sampler = {"design": "grid", "levels": {p.name: p.levels for p in spec.parameters}}
    else:
        matrix, problem, sampler = _sample(spec)
        sampler["design"] = design.kind
        for row in matrix:
            values = {
                parameter.name: _value(parameter, value)
                for parameter, value in zip(spec.parameters, row, strict=True)
            }
            point_rows.append({"scenario": base, "mix": None, "values": values})

    seeds = replication_seeds(design.seed, design.replications)
    tasks = TaskSequence(point_rows, seeds)
    points = pd.DataFrame(
        [
            {"point": index, "scenario": row["scenario"], "mix": row["mix"] or "", **row["values"]}
            for index, row in enumerate(point_rows)
        ]
    )
    sampler["replications"] = design.replications
    sampler["replication_seeds"] = seeds
    sampler["master_seed"] = design.seed
    return Design(tasks=tasks, points=points, problem=problem, sampler=sampler)
