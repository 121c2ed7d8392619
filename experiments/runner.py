"""Run an experiment on any executor, streaming results to a durable store.

Runs are grouped in batches (so per-task overhead stays small for short runs), submitted to a
``concurrent.futures.Executor`` — sequential, local processes, a Dask cluster, or any executor
passed in — with a bounded number in flight (so memory does not grow with the number of
runs), and each finished batch is committed to the :class:`~.store.ResultStore` at once.
A run that raises is recorded as failed, with its exception and traceback, and the others go
on. Ctrl-C stops cleanly: finished batches are kept and the message says how to resume.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import numbers
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartspec.scenarios import SmartSpecError

from .calibration.draws import check_same_calibrated, stamp_experiment_text
from .designs import Design, RunTask, build_design
from .provenance import provenance, utc_now
from .spec import ExperimentSpec
from .store import ResultStore
from .targets import SmartSpecTarget, Target

__all__ = [
    "ExperimentInterrupted",
    "RunSummary",
    "SequentialExecutor",
    "execute_batch",
    "make_executor",
    "run_experiment",
]

logger = logging.getLogger(__name__)


class ExperimentInterrupted(SmartSpecError):
    """Raised after a clean stop on Ctrl-C; finished batches are on disk."""

    def __init__(self, done: int, planned: int, out_dir: Path) -> None:
        super().__init__(str(out_dir), "", f"interrupted after {done} of {planned} runs")
        self.done, self.planned, self.out_dir = done, planned, out_dir


@dataclass
class RunSummary:
    planned: int
    done: int
    failed: int
    skipped: int
    seconds: float
    out_dir: Path


class SequentialExecutor(Executor):
    """Runs each task at submission, in this process (for debugging and small experiments)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the caller via the future
            if isinstance(error, KeyboardInterrupt):
                raise
            future.set_exception(error)
        return future


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; only the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_executor(
    workers: int | None = None,
    dask_local: int | None = None,
    scheduler: str | None = None,
) -> tuple[Executor, int, Callable[[], None]]:
    """An executor, how many tasks it runs at once, and how to close it.

    ``scheduler``: an existing dask.distributed scheduler (``tcp://host:port``);
    ``dask_local``: a LocalCluster of that many single-threaded worker processes;
    ``workers=1``: in this process; otherwise a process pool (default: all cores).
    """
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler, timeout="20s")
            cluster = None
        else:
            cluster = LocalCluster(
                n_workers=dask_local,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        capacity = max(1, sum(client.nthreads().values()))

        def close() -> None:
            client.close()
            if cluster is not None:
                cluster.close()

        # pure=False: identical argument tuples must still run (and never be deduplicated).
        return client.get_executor(pure=False), capacity, close
    count = workers or os.cpu_count() or 1
    if count == 1:
        executor = SequentialExecutor()
        return executor, 1, executor.shutdown
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_sigint,
    )
    return pool, count, lambda: pool.shutdown(wait=True, cancel_futures=True)


def _check_outcomes(outcomes: dict[str, Any]) -> None:
    """Scalar outcomes are numbers (or missing): a run returning text, say, in place of a
    number fails on its own instead of making its whole batch unstorable."""
    for name, value in outcomes.items():
        if value is not None and not isinstance(value, numbers.Real | np.bool_):
            raise TypeError(
                f"outcome {name!r} is {type(value).__name__} {value!r:.40}, not a number"
            )


def execute_batch(target: Target, tasks: Sequence[RunTask]) -> tuple[list[dict], pd.DataFrame]:
    """Run tasks one after another; a failure is recorded, not raised."""
    rows: list[dict[str, Any]] = []
    frames: list[pd.DataFrame] = []
    for task in tasks:
        start = time.perf_counter()
        row: dict[str, Any] = {"run_id": task.run_id, "status": "ok", "error": None}
        try:
            outcomes, series = target(task)
            _check_outcomes(outcomes)
            row.update(outcomes)
            if series is not None:
                frames.append(series.assign(run_id=task.run_id))
        except Exception as error:  # noqa: BLE001 - any model error becomes data
            row.update(
                status="failed",
                error=f"{type(error).__name__}: {error}",
                traceback=traceback.format_exc(),
            )
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
    series_frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(series_frame):
        columns = [
            "run_id",
            "step",
            *(c for c in series_frame.columns if c not in ("run_id", "step")),
        ]
        series_frame = series_frame[columns]
    return rows, series_frame


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else "(no message)"


def _batches(tasks: Iterator[RunTask], size: int) -> Iterator[list[RunTask]]:
    while batch := list(itertools.islice(tasks, size)):
        yield batch


def auto_batch_size(remaining: int, capacity: int) -> int:
    """About eight batches per worker, at most 50 runs each: overhead stays small for short
    runs and the progress bar still moves."""
    return max(1, min(50, math.ceil(remaining / (capacity * 8))))


def run_experiment(
    spec: ExperimentSpec,
    out_dir: Path,
    experiment_text: str,
    *,
    executor: Executor | None = None,
    capacity: int = 1,
    resume: bool = False,
    batch_size: int | None = None,
    target: Target | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    command_line: list[str] | None = None,
    design: Design | None = None,
) -> RunSummary:
    """Run (or resume) an experiment into ``out_dir``.

    ``executor`` runs the batches (default: in this process); ``capacity`` is how many tasks
    it runs at once, which sets the batch size and how many batches are kept in flight.
    ``on_start(done, planned)`` is called once the runs already committed are known.
    A design whose runs draw parameters from a calibration (``design.calibrated``) records the
    set in provenance and in the stored experiment text, so a resume with another set, or
    without it, is refused.
    """
    started = time.perf_counter()
    design = design or build_design(spec)
    target = target or SmartSpecTarget.from_spec(spec, drawn=design.drawn_paths)
    out_dir = Path(out_dir)
    if design.calibrated is not None:
        experiment_text = stamp_experiment_text(experiment_text, design.calibrated)
    if resume:
        check_same_calibrated(out_dir, design.calibrated)
        store = ResultStore.open_for_resume(out_dir, experiment_text)
    else:
        record = provenance(
            experiment=spec.model_dump(mode="json"),
            design=design.sampler,
            salib_problem=design.problem,
            started=utc_now(),
            **({"command_line": command_line} if command_line else {}),
            **({"calibrated": design.calibrated} if design.calibrated else {}),
        )
        store = ResultStore.create(out_dir, experiment_text, design.inputs(), record)
    done_ids, failed = store.done()
    remaining = (task for task in design.tasks if task.run_id not in done_ids)
    done = len(done_ids)
    planned = len(design.tasks)
    logger.info(
        "experiment %r %s in %s: %d runs planned, %d already done (%d failed)",
        spec.name,
        "resumed" if resume else "started",
        out_dir,
        planned,
        done,
        failed,
    )
    if on_start:
        on_start(done, planned)
    store.write_manifest(
        planned=planned, done=done, failed=failed, state="running", updated=utc_now()
    )
    own_executor = executor is None
    executor = executor or SequentialExecutor()
    size = batch_size or auto_batch_size(planned - done, capacity)
    batches = _batches(remaining, size)
    in_flight: set[Future] = set()
    # Ctrl-C only sets a flag that the loop checks between batches: a KeyboardInterrupt
    # raised at an arbitrary point could land between committing a batch and counting it.
    stop = threading.Event()
    previous_handler = None
    if threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        for batch in batches:
            in_flight.add(executor.submit(execute_batch, target, batch))
            if len(in_flight) >= 2 * capacity or stop.is_set():
                break
        while in_flight and not stop.is_set():
            finished, in_flight = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in finished:
                rows, series = future.result()
                path = store.write_batch(rows, series)
                done += len(rows)
                failures = [row for row in rows if row["status"] != "ok"]
                failed += len(failures)
                for row in failures:
                    logger.warning("run %d failed: %s", row["run_id"], _first_line(row["error"]))
                logger.debug(
                    "committed %s: %d runs (%d failed), %d of %d done",
                    path.name,
                    len(rows),
                    len(failures),
                    done,
                    planned,
                )
                store.write_manifest(done=done, failed=failed, updated=utc_now())
                if progress:
                    progress(len(rows))
                next_batch = None if stop.is_set() else next(batches, None)
                if next_batch is not None:
                    in_flight.add(executor.submit(execute_batch, target, next_batch))
        if stop.is_set():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        store.write_manifest(done=done, failed=failed, state="interrupted", updated=utc_now())
        logger.info(
            "experiment %r interrupted in %s after %d of %d runs; finished batches are kept",
            spec.name,
            out_dir,
            done,
            planned,
        )
        raise ExperimentInterrupted(done, planned, out_dir) from None
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
        if own_executor:
            executor.shutdown()
    store.write_manifest(
        done=done, failed=failed, state="finished", finished=utc_now(), updated=utc_now()
    )
    summary = RunSummary(
        planned=planned,
        done=done,
        failed=failed,
        skipped=len(done_ids),
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
    )
    logger.info(
        "experiment %r finished in %s: %d of %d runs done, %d failed, %.1f s",
        spec.name,
        out_dir,
        done,
        planned,
        failed,
        summary.seconds,
    )
    return summary
