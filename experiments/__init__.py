"""Experiments layer: replications, designs (SALib samplers), parallel and distributed
execution, durable resumable results.

    from smartspec.experiments import load_experiment, run_experiment, load_results

Names are imported on first use, so reading an experiment file does not load the model.

The modules log to loggers under ``smartspec.experiments`` (start, resume, end, each failed
run, each committed batch); the command line decides what is shown.
"""

from __future__ import annotations

import logging

from smartspec.lazy import lazy_exports

#: Public name -> submodule that defines it.
_EXPORTS = {
    "Design": "designs",
    "RunTask": "designs",
    "build_design": "designs",
    "replication_seeds": "designs",
    "salib_problem": "designs",
    "Results": "results",
    "load_results": "results",
    "ExperimentInterrupted": "runner",
    "RunSummary": "runner",
    "SequentialExecutor": "runner",
    "execute_batch": "runner",
    "make_executor": "runner",
    "run_experiment": "runner",
    "ExperimentError": "spec",
    "ExperimentSpec": "spec",
    "OutcomeSpec": "spec",
    "bundled_experiments": "spec",
    "load_experiment": "spec",
    "ResultStore": "store",
    "StoreError": "store",
    "CallableTarget": "targets",
    "MesaTarget": "targets",
    "SmartSpecTarget": "targets",
    "aggregate_regions": "targets",
    "indicator_outcomes": "targets",
    "summarise": "targets",
    "import_target": "targets",
}

__all__ = sorted(_EXPORTS)

# A library leaves handlers to the application; without this, Python's last-resort handler
# would print warnings (failed runs) to stderr before the command line configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
