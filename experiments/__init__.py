"""Experiments layer: replications, designs (SALib samplers), parallel and distributed
execution, durable resumable results.

    from smartspec.experiments import load_experiment, run_experiment, load_results
"""

from .designs import Design, RunTask, build_design, replication_seeds, salib_problem
from .results import Results, load_results
from .runner import (
    ExperimentInterrupted,
    RunSummary,
    SequentialExecutor,
    execute_batch,
    make_executor,
    run_experiment,
)
from .spec import ExperimentError, ExperimentSpec, bundled_experiments, load_experiment
from .store import ResultStore, StoreError
from .targets import CallableTarget, MesaTarget, SmartSpecTarget

__all__ = [
    "CallableTarget",
    "Design",
    "ExperimentError",
    "ExperimentInterrupted",
    "ExperimentSpec",
    "MesaTarget",
    "ResultStore",
    "Results",
    "RunSummary",
    "RunTask",
    "SequentialExecutor",
    "SmartSpecTarget",
    "StoreError",
    "build_design",
    "bundled_experiments",
    "execute_batch",
    "load_experiment",
    "load_results",
    "make_executor",
    "replication_seeds",
    "run_experiment",
    "salib_problem",
]
