"""What one calibration run executes: the SmartSpec model or a plain function, reduced to the
columns of the calibration's target statistics.

Both are experiments-layer targets (:class:`~smartspec.experiments.targets.Target`): picklable
objects called with a :class:`~smartspec.experiments.designs.RunTask` in worker processes,
returning the run's columns (:func:`.statistics.run_outputs`) and no time series. Every random
draw comes from the task's seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smartspec.model.base import QUARTERS_PER_YEAR
from smartspec.scenarios import ARCHETYPES

from ..designs import RunTask
from .spec import EU, TargetSpec
from .statistics import STATISTICS, RunData, run_outputs

if TYPE_CHECKING:
    from smartspec.model import EcosystemModel

__all__ = ["FunctionStatistics", "ModelStatistics", "applies_to", "firm_panel"]

logger = logging.getLogger(__name__)


def applies_to(target: TargetSpec, scenario: str) -> bool:
    """Whether a run of ``scenario`` computes ``target``: its own scenario, or any archetype
    for an ``"eu"`` target (or every run, for a target without a scenario)."""
    if target.scenario is None or target.scenario == scenario:
        return True
    return target.scenario == EU and scenario in ARCHETYPES


class _PanelRecorder:
    """Snapshots of the live firms, taken from the firm arrays (not agent by agent).

    A firm's founding step is known exactly from its Mesa ``unique_id``, which only grows:
    the firms founded in step s have ids above the largest firm id seen by step s - 1. The
    firm's ``age`` cannot tell it exactly, because firms founded by universities and
    instruments, before the firms' own step, have aged a quarter by the end of their first
    step while start-ups founded within it have not.
    """

    def __init__(self) -> None:
        self.largest_ids: list[int] = []
        self.snapshots: list[dict[str, np.ndarray]] = []

    def after_step(self, model: EcosystemModel) -> None:
        firms = model.firms
        largest = int(firms.uid[: firms.size].max(initial=0))
        # A compaction can drop the newest firm's row: the largest id so far still bounds it.
        self.largest_ids.append(max(largest, self.largest_ids[-1] if self.largest_ids else 0))

    def snapshot(self, model: EcosystemModel) -> None:
        firms, live = model.firms, model.firms.live()
        ids = firms.uid[: firms.size][live]
        self.snapshots.append(
            {
                "step": np.full(len(ids), model.steps, dtype=np.int64),
                "firm": ids.astype(np.int64),
                "region": firms.region[: firms.size][live].astype(np.int64),
                "employees": firms.employees[: firms.size][live].copy(),
                "revenue": firms.revenue[: firms.size][live].copy(),
                "age": firms.age[: firms.size][live].copy(),
                "born": np.searchsorted(np.asarray(self.largest_ids), ids, side="left"),
            }
        )

    def table(self) -> pd.DataFrame:
        columns = self.snapshots[0].keys()
        return pd.DataFrame(
            {name: np.concatenate([shot[name] for shot in self.snapshots]) for name in columns}
        )


def firm_panel(model: EcosystemModel, steps: int) -> pd.DataFrame:
    """Run a new ``model`` (at step 0) for ``steps`` quarters, one step at a time, and return
    the panel of its live firms at steps 0, 4, 8, ... and at the last step: ``step``,
    ``firm`` (unique_id), ``region`` (index), ``employees``, ``revenue``, ``age`` (quarters)
    and ``born`` (founding step, 0 for the initial firms)."""
    if model.steps != 0:
        raise ValueError(f"the firm panel starts at step 0; the model is at {model.steps}")
    recorder = _PanelRecorder()
    recorder.after_step(model)
    recorder.snapshot(model)
    for _ in range(steps):
        model.step()
        recorder.after_step(model)
        if model.steps % QUARTERS_PER_YEAR == 0:
            recorder.snapshot(model)
    if model.steps % QUARTERS_PER_YEAR != 0:
        recorder.snapshot(model)
    return recorder.table()


def _needs(targets: tuple[TargetSpec, ...]) -> frozenset[str]:
    return frozenset().union(*(STATISTICS[target.statistic].needs for target in targets))


@dataclass(frozen=True)
class ModelStatistics:
    """Runs :class:`~smartspec.model.EcosystemModel` for a calibration task and computes the
    target statistics that apply to the task's scenario (:func:`applies_to`).

    Parameters
    ----------
    targets
        The calibration's targets.
    paths
        Parameter name -> dotted scenario path of the task's values.
    fixed
        Dotted overrides applied to every run (``model.set`` of the calibration file).
    steps
        Horizon in quarters (default: the scenario's).
    """

    targets: tuple[TargetSpec, ...]
    paths: Mapping[str, str]
    fixed: Mapping[str, Any]
    steps: int | None

    def __call__(self, task: RunTask) -> tuple[dict[str, float], None]:
        from smartspec.model import EcosystemModel

        overrides = dict(self.fixed)
        if self.steps is not None:
            overrides["steps"] = self.steps
        overrides.update({self.paths[name]: value for name, value in task.values.items()})
        targets = tuple(target for target in self.targets if applies_to(target, task.scenario))
        if not targets:
            return {}, None  # a scenario no target reads: nothing to simulate
        needs = _needs(targets)
        # Runs in worker processes too, where nothing is configured and DEBUG goes nowhere.
        logger.debug("run %d: %s, seed %d", task.run_id, task.scenario, task.seed)
        model = EcosystemModel(task.scenario, rng=task.seed, mix=task.mix, **overrides)
        panel = None
        if "firm_panel" in needs:
            panel = firm_panel(model, model.spec.steps)
        else:
            model.run_for(model.spec.steps)
        data = RunData(
            indicators=model.indicators() if "indicators" in needs else None,
            domains=model.domains() if "domains" in needs else None,
            firm_panel=panel,
        )
        return run_outputs(data, targets), None


@dataclass(frozen=True)
class FunctionStatistics:
    """A plain function ``f(params: dict, rng: numpy.random.Generator) -> Mapping[str, float]``
    as a calibration run: the targets read its returned scalars (statistic ``output``).

    The generator is ``numpy.random.default_rng(task.seed)``. Every target applies to every
    run (a function has one world). The function must be importable by name (a module-level
    function) for runs in processes.
    """

    function: Callable[[dict[str, Any], np.random.Generator], Mapping[str, float]]
    targets: tuple[TargetSpec, ...]

    def __call__(self, task: RunTask) -> tuple[dict[str, float], None]:
        outputs = self.function(dict(task.values), np.random.default_rng(task.seed))
        return run_outputs(RunData(outputs=dict(outputs)), self.targets), None
