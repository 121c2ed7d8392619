"""Design points and seeds: every run of an experiment, whatever its design kind.

The kind (``design.kind``) makes the design points: comparison, full factorial grid, Latin
hypercube, Sobol or Morris, one module each in :mod:`smartspec.experiments.kinds` (the
samplers are SALib's, ``SALib.sample.latin``, ``.sobol``, ``.morris``, not hand-written).
Replication seeds come from ``numpy.random.SeedSequence(master).spawn(R)`` and are shared by
every design point (common random numbers), so that differences between points are paired.
A comparison can also draw its behavioural parameters from a finished calibration: replication
*r* then runs parameter set *r* at every point, as it runs seed *r*.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .kinds import DesignPoint, design_kind
from .kinds.base import salib_problem
from .spec import ExperimentSpec

if TYPE_CHECKING:
    from .calibration.draws import CalibratedSet

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
    memory does not grow with the number of runs.

    A run is identified by its (design point, replication); its ``run_id`` numbers it once
    and for all. ``segments`` are the replication counts the experiment has had, oldest
    first (default: just the current one): within a segment runs are numbered point-major
    (run id = first id of the segment + point x new replications + replication offset), and
    a later segment's runs come after every earlier run, so that adding replications to an
    experiment leaves every earlier run id, seed and value as it was.

    ``draws``, when given, holds one set of values per replication (dotted path -> value),
    added to the values of every point in that replication.
    """

    def __init__(
        self,
        points: list[DesignPoint],
        seeds: list[int],
        draws: list[dict[str, Any]] | None = None,
        segments: Sequence[int] | None = None,
    ) -> None:
        if draws is not None and len(draws) != len(seeds):
            raise ValueError(f"{len(draws)} parameter draws for {len(seeds)} replications")
        segments = list(segments or [len(seeds)])
        if segments[-1] != len(seeds) or any(
            later <= earlier for earlier, later in itertools.pairwise([0, *segments])
        ):
            raise ValueError(f"replication segments {segments} do not end at {len(seeds)}")
        self._points, self._seeds, self._draws = points, seeds, draws
        self.segments = segments
        # First run id of each segment, and the first replication it holds.
        self._first_ids = [0]
        self._first_reps = [0, *segments[:-1]]
        for start, end in zip(self._first_reps, segments, strict=True):
            self._first_ids.append(self._first_ids[-1] + len(points) * (end - start))

    def __len__(self) -> int:
        return len(self._points) * len(self._seeds)

    @property
    def replications(self) -> int:
        """Replications per design point."""
        return len(self._seeds)

    def key(self, run_id: int) -> tuple[int, int]:
        """The (design point, replication) of a run id."""
        segment = bisect.bisect_right(self._first_ids, run_id) - 1
        width = self.segments[segment] - self._first_reps[segment]
        point, offset = divmod(run_id - self._first_ids[segment], width)
        return point, self._first_reps[segment] + offset

    def run_id(self, point: int, replication: int) -> int:
        """The run id of a (design point, replication)."""
        segment = bisect.bisect_right(self.segments, replication)
        width = self.segments[segment] - self._first_reps[segment]
        offset = replication - self._first_reps[segment]
        return self._first_ids[segment] + point * width + offset

    def with_segments(self, segments: Sequence[int]) -> TaskSequence:
        """The same runs numbered as an experiment extended through ``segments``."""
        return TaskSequence(self._points, self._seeds, self._draws, segments)

    def _task(self, run_id: int) -> RunTask:
        point, replication = self.key(run_id)
        made = self._points[point]
        values = made.values
        if self._draws is not None:
            values = {**values, **self._draws[replication]}
        return RunTask(
            run_id=run_id,
            point=point,
            replication=replication,
            seed=self._seeds[replication],
            scenario=made.scenario,
            mix=made.mix,
            values=values,
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

    def table(self) -> pd.DataFrame:
        """One row per run (ids, seed, scenario, mix, values), made column by column from the
        points and seeds: no object per run is ever built."""
        count = len(self._points)
        # In run-id order: segment after segment, point-major within each (see ``key``).
        points_of, replications_of = [], []
        for first, end in zip(self._first_reps, self.segments, strict=True):
            width = end - first
            points_of.append(np.repeat(np.arange(count, dtype=np.int64), width))
            replications_of.append(first + np.tile(np.arange(width, dtype=np.int64), count))
        point = np.concatenate(points_of) if points_of else np.zeros(0, dtype=np.int64)
        replication = (
            np.concatenate(replications_of) if replications_of else np.zeros(0, dtype=np.int64)
        )
        points = pd.DataFrame(
            [
                {"scenario": made.scenario, "mix": made.mix or "", **made.values}
                for made in self._points
            ]
        )
        columns: dict[str, Any] = {
            "run_id": np.arange(len(self), dtype=np.int64),
            "point": point,
            "replication": replication,
            "seed": np.asarray(self._seeds, dtype=np.int64)[replication],
        }
        for name in points.columns:
            columns[name] = points[name].to_numpy()[point]
        if self._draws is not None:
            draws = pd.DataFrame(self._draws)
            for name in draws.columns:
                columns[name] = draws[name].to_numpy()[replication]
        return pd.DataFrame(columns)


@dataclass
class Design:
    """All runs of an experiment plus what the analysis of a sampled design needs.

    ``calibrated`` is what ``provenance.json`` records under ``"calibrated"`` when the runs
    draw their parameters from a calibration (:meth:`CalibratedSet.record`), else None.
    """

    tasks: Sequence[RunTask]
    points: pd.DataFrame
    problem: dict[str, Any] | None
    sampler: dict[str, Any]
    calibrated: dict[str, Any] | None = None

    @property
    def drawn_paths(self) -> list[str]:
        """The dotted paths whose values the runs draw from a calibration (none without)."""
        return list(self.calibrated["parameters"].values()) if self.calibrated else []

    def with_segments(self, segments: Sequence[int]) -> Design:
        """This design numbered as an experiment whose replications were added in
        ``segments`` (see :class:`TaskSequence`); the sampler record lists them."""
        if not isinstance(self.tasks, TaskSequence):
            raise TypeError("only a design of points x replication seeds can be extended")
        sampler = {**self.sampler}
        if len(segments) > 1:
            sampler["replication_segments"] = list(segments)
        return dataclasses.replace(self, tasks=self.tasks.with_segments(segments), sampler=sampler)

    def inputs(self) -> pd.DataFrame:
        """One row per run: ids, seed, scenario, mix and parameter values."""
        if isinstance(self.tasks, TaskSequence):
            return self.tasks.table()
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


def build_design(spec: ExperimentSpec, calibrated: CalibratedSet | None = None) -> Design:
    """Every run of the experiment, in a fixed order (run ids are positions in it).

    The design kind makes the points (:attr:`~.kinds.DesignKind.points`); every point then
    runs the same replication seeds. ``Design.sampler`` is what ``provenance.json`` records
    under ``"design"``: the kind's name (key ``design``), its sampler settings, the
    replications and their seeds.

    With ``calibrated`` (a comparison only), replication *r* also draws parameter set *r*
    from the calibration's accepted points (:meth:`CalibratedSet.draw`, from the design's
    master seed) and every point of that replication runs it: mixes stay paired by seed and
    by parameters, and each run's drawn values are columns of ``design.parquet`` (named by
    dotted path).

    Raises
    ------
    CalibrationError
        With ``calibrated``, for a design that is not a comparison, one that varies or fixes
        a drawn path itself, or a drawn point that a scenario of the experiment refuses.
    """
    design = spec.design
    kind = design_kind(design.kind)
    draws, record = None, None
    if calibrated is not None:
        calibrated.check_experiment(spec)
        drawn = calibrated.drawn_points(design.replications, design.seed)
        calibrated.check_scenarios(spec, drawn)
        draws = [calibrated.values_of(point) for point in drawn]
        record = calibrated.record(drawn)
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
        tasks=TaskSequence(made.points, seeds, draws),
        points=points,
        problem=made.problem,
        sampler=sampler,
        calibrated=record,
    )
