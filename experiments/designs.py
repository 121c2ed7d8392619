"""Design points and seeds: every run of an experiment, whatever its design kind.

The kind (``design.kind``) makes the design points: comparison, full factorial grid, Latin
hypercube, Sobol or Morris, one module each in :mod:`smartspec.experiments.kinds` (the
samplers are SALib's, ``SALib.sample.latin``, ``.sobol``, ``.morris``, not hand-written).
Replication seeds come from ``numpy.random.SeedSequence(master).spawn(R)`` and are shared by
every design point (common random numbers), so that differences between points are paired.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .kinds import DesignPoint, design_kind
from .kinds.base import salib_problem
from .spec import ExperimentSpec

__all__ = [
    "Design",
    "RunTask",
    "TaskSequence",
    "build_design",
    "replication_seeds",
    "salib_problem",
]

logger = logging.getLogger(__name__)


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

    def __init__(self, points: list[DesignPoint], seeds: list[int]) -> None:
        self._points, self._seeds = points, seeds

    def __len__(self) -> int:
        return len(self._points) * len(self._seeds)

    def _task(self, run_id: int) -> RunTask:
        point, replication = divmod(run_id, len(self._seeds))
        made = self._points[point]
        return RunTask(
            run_id=run_id,
            point=point,
            replication=replication,
            seed=self._seeds[replication],
            scenario=made.scenario,
            mix=made.mix,
            values=made.values,
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


def build_design(spec: ExperimentSpec) -> Design:
    """Every run of the experiment, in a fixed order (run ids are positions in it).

    The design kind makes the points (:attr:`~.kinds.DesignKind.points`); every point then
    runs the same replication seeds. ``Design.sampler`` is what ``provenance.json`` records
    under ``"design"``: the kind's name (key ``design``), its sampler settings, the
    replications and their seeds.
    """
    design = spec.design
    kind = design_kind(design.kind)
    made = kind.points(spec)
    seeds = replication_seeds(design.seed, design.replications)
    logger.debug("%s design: %d points x %d replications", kind.name, len(made.points), len(seeds))
    points = pd.DataFrame(
        [
            {"point": index, "scenario": point.scenario, "mix": point.mix or "", **point.values}
            for index, point in enumerate(made.points)
        ]
    )
    sampler = {
        "design": kind.name,
        **made.settings,
        "replications": design.replications,
        "replication_seeds": seeds,
        "master_seed": design.seed,
    }
    return Design(
        tasks=TaskSequence(made.points, seeds), points=points, problem=made.problem, sampler=sampler
    )
