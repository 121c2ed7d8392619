"""The parameter space a calibration searches, and the runs of one of its stages.

History matching works in the unit cube: every fitted parameter's prior range maps to [0, 1],
so that emulators' length scales and the NROY volume mean the same for every parameter. The
runs of a stage (the screening, a wave, the final re-run) go through the experiments layer like
any experiment: one folder each, resumable, failures recorded as data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..designs import Design, RunTask
from ..results import load_results
from ..runner import ExperimentInterrupted, run_experiment
from ..spec import DesignSpec, ExperimentSpec, ModelSpec, OutcomeSpec, ParameterSpec
from ..targets import Target
from .spec import CalibrationError, CalibrationSpec, PriorSpec

__all__ = ["ParameterSpace", "Stage", "StageRunner", "plain_value", "point_seeds"]


class ParameterSpace:
    """The fitted parameters' prior box and the map to and from the unit cube."""

    def __init__(self, priors: Sequence[PriorSpec]) -> None:
        self.priors = list(priors)
        self.names = [prior.label for prior in self.priors]
        self.low = np.array([prior.range[0] for prior in self.priors], dtype=float)
        self.high = np.array([prior.range[1] for prior in self.priors], dtype=float)

    @property
    def dims(self) -> int:
        return len(self.priors)

    def to_unit(self, values: pd.DataFrame) -> np.ndarray:
        natural = values[self.names].to_numpy(dtype=float)
        return (natural - self.low) / (self.high - self.low)

    def from_unit(self, unit: np.ndarray) -> pd.DataFrame:
        natural = self.low + np.asarray(unit, dtype=float) * (self.high - self.low)
        # Rounding (SALib's Morris grid is float32) must not step past a range's end, which
        # the schema may forbid (a share of 1.0000005).
        natural = np.clip(natural, self.low, self.high)
        frame = pd.DataFrame(natural, columns=self.names)
        for prior in self.priors:
            if prior.integer:
                frame[prior.label] = frame[prior.label].round().astype(int)
        return frame

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "name": prior.label,
                "path": prior.path,
                "low": prior.range[0],
                "high": prior.range[1],
                "integer": prior.integer,
            }
            for prior in self.priors
        ]


def point_seeds(master: int, stage: int, point: int, replications: int) -> list[int]:
    """Independent 63-bit seeds for one design point of one stage (no common random numbers:
    the points' noise must be independent for the emulators' nugget to mean what it says)."""
    sequence = np.random.SeedSequence(master, spawn_key=(stage, point))
    state = sequence.generate_state(replications, dtype=np.uint64)
    return [int(value >> np.uint64(1)) for value in state]


@dataclass
class Stage:
    """One stage's runs: its folder, label, points (natural values) and replications."""

    folder: Path
    label: str
    points: pd.DataFrame
    replications: int
    tag: int
    shared_seeds: bool = False

    def tasks(self, scenarios: Sequence[str], master: int) -> list[RunTask]:
        """Every run, numbered point-major: run id = (point x scenarios + scenario) x R + r."""
        tasks: list[RunTask] = []
        shared = point_seeds(master, self.tag, 0, self.replications)
        records = self.points.to_dict("records")
        for point, values in enumerate(records):
            seeds = (
                shared
                if self.shared_seeds
                else point_seeds(master, self.tag, point, self.replications)
            )
            values = {key: plain_value(value) for key, value in values.items()}
            for scenario in scenarios:
                for replication, seed in enumerate(seeds):
                    tasks.append(
                        RunTask(
                            run_id=len(tasks),
                            point=point,
                            replication=replication,
                            seed=seed,
                            scenario=scenario,
                            mix=None,
                            values=values,
                        )
                    )
        return tasks


def plain_value(value: Any) -> Any:
    """A Python scalar for a NumPy one (so values compare, serialise and print alike)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class StageRunner:
    """Runs a calibration's stages through :func:`~smartspec.experiments.run_experiment`."""

    spec: CalibrationSpec
    text: str
    target: Target
    executor: Executor | None
    capacity: int
    progress: Callable[[int], None] | None = None
    on_start: Callable[[int, int], None] | None = None
    command_line: list[str] | None = None
    batch_size: int | None = None

    def experiment(self, stage: Stage, priors: Sequence[PriorSpec]) -> ExperimentSpec:
        """The stage as an experiment (recorded in its folder's provenance)."""
        model = self.spec.model
        return ExperimentSpec(
            name=f"{self.spec.name}-{stage.label}",
            description=f"calibration {self.spec.name}: {stage.label}",
            model=ModelSpec(scenario=model.scenarios[0], steps=model.steps, set=dict(model.set)),
            design=DesignSpec(
                kind="lhs",
                replications=stage.replications,
                seed=self.spec.method.seed,
                samples=max(1, len(stage.points)),
            ),
            parameters=[
                ParameterSpec(name=prior.label, path=prior.path, range=prior.range)
                for prior in priors
            ],
            outcomes=OutcomeSpec(final=["innovation_index"]),
        )

    def run(self, stage: Stage, priors: Sequence[PriorSpec]) -> pd.DataFrame:
        """Run (or finish) a stage; returns one row per successful run (inputs and outputs)."""
        folder = stage.folder
        resume = (folder / "design.parquet").exists()
        if resume:
            stored = load_results(folder, series=False).inputs
            names = [prior.label for prior in priors]
            first = stored.drop_duplicates("point").sort_values("point")
            stage.points = first[names].reset_index(drop=True)
        tasks = stage.tasks(self.spec.model.scenarios, self.spec.method.seed)
        frame = pd.DataFrame(
            [
                {"point": index, **values}
                for index, values in enumerate(stage.points.to_dict("records"))
            ]
        )
        design = Design(
            tasks=tasks,
            points=frame,
            problem=None,
            sampler={
                "design": "calibration",
                "stage": stage.label,
                "points": len(stage.points),
                "replications": stage.replications,
                "seeds": "independent per point" if not stage.shared_seeds else "shared",
                "master_seed": self.spec.method.seed,
            },
        )
        try:
            self._run(stage, priors, design, resume)
        except ExperimentInterrupted as stop:
            # The command resumes the calibration's folder, not the stage's.
            raise ExperimentInterrupted(
                stop.done, stop.planned, folder.parent, stop.signal_number, stop.reason
            ) from None
        results = load_results(folder, series=False)
        if results.outcomes.empty and len(results.failures):
            # Nothing to emulate or cut: going on would only report an unchanged space.
            first = str(results.failures["error"].iloc[0]).splitlines()[0]
            raise CalibrationError(
                str(folder),
                "runs",
                f"every run of the {stage.label} failed (first error: {first}); the runs and "
                "their tracebacks are in this folder",
            )
        return results.outcomes

    def _run(self, stage: Stage, priors: Sequence[PriorSpec], design: Design, resume: bool) -> None:
        run_experiment(
            self.experiment(stage, priors),
            stage.folder,
            f"{self.text}\n# calibration stage: {stage.label}\n",
            executor=self.executor,
            capacity=self.capacity,
            resume=resume,
            target=self.target,
            design=design,
            progress=self.progress,
            on_start=self.on_start,
            command_line=self.command_line,
            batch_size=self.batch_size,
        )
