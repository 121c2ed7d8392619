"""Run an experiment on any executor, streaming results to a durable store.

Runs are grouped in batches (so per-task overhead stays small for short runs), submitted to a
``concurrent.futures.Executor`` — sequential, local processes, a Dask cluster, or any executor
passed in — with a bounded number in flight (so memory does not grow with the number of
runs), and each finished batch is committed to the :class:`~.store.ResultStore` at once.
A run that raises is recorded as failed, with its exception and traceback, and the others go
on. Ctrl-C and SIGTERM stop cleanly: finished batches are kept, the workers are stopped and
the message says how to resume.

A worker process that dies (a crash, ``os._exit`` or a kill in user code, or a kill from
outside) loses the batches it ran. The process pool is started again and each run of a lost
batch is retried once as its own task; a run that is lost again on its own is recorded as a
failed run ("worker died") and the experiment goes on. Under Dask the scheduler gives up on
a task after one lost worker (``allowed-failures``) and the same retry applies.
"""

from __future__ import annotations

import collections
import ctypes
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
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartspec.scenarios import SmartSpecError

from .calibration.draws import check_same_calibrated, stamp_experiment_text
from .designs import Design, RunTask, TaskSequence, build_design
from .fingerprint import design_scenarios, resolved_scenarios, run_fingerprint
from .provenance import provenance, utc_now
from .spec import ExperimentSpec
from .store import ResultStore, StoreError
from .targets import SmartSpecTarget, Target

__all__ = [
    "WORKER_DIED",
    "ExperimentInterrupted",
    "ProcessPool",
    "RunSummary",
    "SequentialExecutor",
    "execute_batch",
    "make_executor",
    "run_experiment",
]

logger = logging.getLogger(__name__)

#: The error recorded for a run whose worker process died on it twice.
WORKER_DIED = (
    "worker died: the process running this run ended abruptly, in its batch and again on its "
    "own (a crash, os._exit or a kill); the experiment went on without it"
)


class ExperimentInterrupted(SmartSpecError):
    """Raised after a clean stop (Ctrl-C, SIGTERM, a pool that cannot be restarted); the
    finished batches are on disk and ``--resume`` continues. ``signal_number`` is the signal
    that stopped it (None when something else did), ``reason`` says what, if not a signal."""

    def __init__(
        self,
        done: int,
        planned: int,
        out_dir: Path,
        signal_number: int | None = signal.SIGINT,
        reason: str = "",
    ) -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(str(out_dir), "", f"interrupted after {done} of {planned} runs{why}")
        self.done, self.planned, self.out_dir = done, planned, out_dir
        self.signal_number, self.reason = signal_number, reason


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


_PR_SET_PDEATHSIG = 1


def _worker_setup(parent: int) -> None:
    """Run in each pool worker: leave Ctrl-C to the parent, and die with it."""
    # Ctrl-C reaches the whole process group; only the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        # Not Linux: a thread watches for the parent to go away instead.
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class ProcessPool(Executor):
    """A pool of local worker processes that can be started again after a worker died.

    Workers ignore Ctrl-C (the parent stops the experiment) and exit when the parent dies
    (``PR_SET_PDEATHSIG`` on Linux, a watching thread elsewhere).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.generation = 0
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_setup,
            initargs=(os.getpid(),),
        )

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def rebuild(self) -> None:
        """Stop the current (broken) pool and start a new one."""
        self.terminate()
        self._pool = self._start()
        self.generation += 1

    def terminate(self) -> None:
        """Stop the workers now, abandoning what they run (after an interruption)."""
        # The executor keeps its processes private; killing them is the only way to stop a
        # run in progress, and shutdown() then reaps them.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def make_executor(
    workers: int | None = None,
    dask_local: int | None = None,
    scheduler: str | None = None,
) -> tuple[Executor, int, Callable[[], None]]:
    """An executor, how many tasks it runs at once, and how to close it.

    ``scheduler``: an existing dask.distributed scheduler (``tcp://host:port``);
    ``dask_local``: a LocalCluster of that many single-threaded worker processes, whose
    scheduler gives up on a task after one lost worker (the runner then retries its runs
    one by one); ``workers=1``: in this process; otherwise a :class:`ProcessPool` (default:
    all cores).
    """
    if scheduler or dask_local:
        import dask
        from distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler, timeout="20s")
            cluster = None
        else:
            # Without this a task that kills its worker is retried on three more workers
            # before the scheduler gives up; the runner's own retry finds the culprit.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
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
    pool = ProcessPool(count)
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


def _worker_lost(error: BaseException | None) -> bool:
    """A task that failed because its worker process died (pool or Dask), not by itself."""
    if error is None:
        return False
    return isinstance(error, BrokenExecutor) or type(error).__name__ == "KilledWorker"


def resume_command(command_line: Sequence[str] | None, out_dir: Path) -> str | None:
    """The command that continues an experiment (its command line with ``--resume``)."""
    if not command_line:
        return None
    words = list(command_line)
    words += [] if "--resume" in words else ["--resume"]
    words += [] if "--out" in words else ["--out", str(out_dir)]
    return " ".join(words)


@dataclass
class _Entry:
    """What a future in flight runs: a batch, one run retried after a lost batch, or one run
    retried alone after it was lost again with others."""

    kind: str  # "batch", "retry" or "solo"
    tasks: list[RunTask]
    generation: int
    sent: bool = True


class _Scheduler:
    """Keeps batches in flight and turns lost workers into retries and failed runs."""

    def __init__(
        self,
        executor: Executor,
        target: Target,
        batches: Iterator[list[RunTask]],
        capacity: int,
        commit: Callable[[list[dict], pd.DataFrame | None], None],
        stop: threading.Event,
    ) -> None:
        self.executor, self.target, self.batches = executor, target, batches
        self.capacity, self.commit, self.stop = capacity, commit, stop
        self.in_flight: dict[Future, _Entry] = {}
        self.retries: collections.deque[RunTask] = collections.deque()
        self.solos: collections.deque[RunTask] = collections.deque()
        self.requeued: collections.deque[list[RunTask]] = collections.deque()
        self.exhausted = False

    @property
    def generation(self) -> int:
        return getattr(self.executor, "generation", 0)

    def _submit(self, kind: str, tasks: list[RunTask]) -> None:
        try:
            future = self.executor.submit(execute_batch, self.target, tasks)
            sent = True
        except BrokenExecutor as error:
            if not hasattr(self.executor, "rebuild"):
                raise
            # The pool broke before this task reached it: nothing of it ran, so it is queued
            # again as it was once the pool is started again (see _route).
            future = Future()
            future.set_exception(error)
            sent = False
        self.in_flight[future] = _Entry(kind, tasks, self.generation, sent)

    def refill(self) -> None:
        """Submit what may run now: lone retries first (nothing else in flight), then
        retries (no batches beside them), then batches up to twice the capacity."""
        if self.stop.is_set():
            return
        if self.solos:
            if not self.in_flight:
                self._submit("solo", [self.solos.popleft()])
            return
        if self.retries or any(entry.kind != "batch" for entry in self.in_flight.values()):
            while self.retries and len(self.in_flight) < self.capacity:
                self._submit("retry", [self.retries.popleft()])
            return
        while self.requeued and len(self.in_flight) < 2 * self.capacity:
            self._submit("batch", self.requeued.popleft())
        while not self.exhausted and len(self.in_flight) < 2 * self.capacity:
            batch = next(self.batches, None)
            if batch is None:
                self.exhausted = True
                break
            self._submit("batch", batch)
            if self.stop.is_set():
                break

    @property
    def busy(self) -> bool:
        return bool(
            self.in_flight or self.retries or self.solos or self.requeued or not self.exhausted
        )

    def step(self) -> None:
        """Wait briefly for finished tasks and handle them."""
        finished, _ = wait(list(self.in_flight), timeout=0.25, return_when=FIRST_COMPLETED)
        lost: list[_Entry] = []
        for future in finished:
            self._handle(future, lost)
        if lost and hasattr(self.executor, "rebuild"):
            broken = {entry.generation for entry in lost}
            if self.generation in broken:
                logger.warning("a worker process died; starting the process pool again")
                self.executor.rebuild()
            # Every other task of the broken pool is lost with it.
            stale = [f for f, e in self.in_flight.items() if e.generation in broken]
            wait(stale)
            for future in stale:
                self._handle(future, lost)
        self._route(lost, pool=hasattr(self.executor, "rebuild"))

    def _handle(self, future: Future, lost: list[_Entry]) -> None:
        entry = self.in_flight.pop(future)
        if future.cancelled():
            lost.append(entry)
            return
        error = future.exception()
        if _worker_lost(error):
            lost.append(entry)
            return
        if error is not None:
            raise error
        rows, series = future.result()
        self.commit(rows, series)

    def _route(self, lost: list[_Entry], pool: bool) -> None:
        unsent = [entry for entry in lost if not entry.sent]
        for entry in unsent:
            if entry.kind == "batch":
                self.requeued.append(entry.tasks)
            else:
                (self.retries if entry.kind == "retry" else self.solos).extendleft(entry.tasks)
        lost = [entry for entry in lost if entry.sent]
        alone = sum(1 for entry in lost if entry.kind == "retry") == 1 and pool
        for entry in lost:
            if entry.kind == "batch":
                self.retries.extend(entry.tasks)
                logger.warning(
                    "a worker died running runs %s; retrying each on its own",
                    _id_range(entry.tasks),
                )
            elif entry.kind == "retry" and not alone:
                self.solos.extend(entry.tasks)
            else:
                for task in entry.tasks:
                    logger.warning("run %d: %s", task.run_id, WORKER_DIED)
                    self.commit(
                        [
                            {
                                "run_id": task.run_id,
                                "status": "failed",
                                "error": WORKER_DIED,
                                "traceback": None,
                                "seconds": float("nan"),
                            }
                        ],
                        None,
                    )

    def cancel(self) -> None:
        for future in self.in_flight:
            future.cancel()
        if hasattr(self.executor, "terminate"):
            self.executor.terminate()


def _id_range(tasks: Sequence[RunTask]) -> str:
    ids = [task.run_id for task in tasks]
    return f"{min(ids)}-{max(ids)}" if len(ids) > 1 else str(ids[0])


def _match_replications(
    store: ResultStore,
    design: Design,
    spec: ExperimentSpec,
    command_line: list[str] | None,
) -> Design:
    """The design numbered as the stored experiment's runs, extended by the replications
    asked for beyond the stored ones (recorded in the folder); refuses fewer."""
    stored = store.design()
    if not isinstance(design.tasks, TaskSequence):
        if len(stored) != len(design.tasks):
            raise StoreError(
                str(store.root),
                "",
                f"holds {len(stored)} planned runs but this study plans {len(design.tasks)}; "
                "run it into a new --out",
            )
        return design
    segments = store.segments()
    wanted = design.tasks.replications
    have = segments[-1]
    if wanted < have:
        raise StoreError(
            str(store.root),
            "--reps",
            f"the experiment already has {have} replications; resuming can only add to them "
            f"(give --reps {have}, or more to add replications)",
        )
    if wanted == have:
        design = design.with_segments(segments)
        if len(stored) != len(design.tasks):
            raise StoreError(
                str(store.root),
                "design.parquet",
                f"holds {len(stored)} planned runs, not the {len(design.tasks)} its provenance "
                "records; run the experiment again into a new --out",
            )
        return design
    segments = [*segments, wanted]
    design = design.with_segments(segments)
    inputs = design.inputs()
    earlier = inputs.iloc[: len(stored)].reset_index(drop=True)
    if list(earlier.columns) != list(stored.columns) or not earlier.equals(
        stored.reset_index(drop=True)
    ):
        raise StoreError(
            str(store.root),
            "--reps",
            "cannot add replications: the runs already stored would get other seeds or "
            "values; run the experiment with more replications into a new --out",
        )
    record = store.provenance()
    extensions = [
        *record.get("extensions", []),
        {
            "from_replications": have,
            "to_replications": wanted,
            "added_runs": len(inputs) - len(stored),
            "at": utc_now(),
            **({"command_line": command_line} if command_line else {}),
        },
    ]
    updates: dict[str, Any] = {
        "design": design.sampler,
        "experiment": spec.model_dump(mode="json"),
        "replication_segments": segments,
        "extensions": extensions,
    }
    if design.calibrated is not None:
        updates["calibrated"] = design.calibrated
    store.extend(inputs, updates)
    logger.info(
        "experiment %r in %s: replications %d -> %d (%d runs added)",
        spec.name,
        store.root,
        have,
        wanted,
        len(inputs) - len(stored),
    )
    return design


def _install_stop_handlers(stop: threading.Event, caught: list[int]) -> dict[int, Any]:
    """Ctrl-C and SIGTERM only set a flag that the loop checks between batches: an exception
    raised at an arbitrary point could land between committing a batch and counting it."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(number: int, _frame: Any) -> None:
        caught.append(number)
        stop.set()

    return {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}


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
    """Run (or resume, or extend) an experiment into ``out_dir``.

    ``executor`` runs the batches (default: in this process); ``capacity`` is how many tasks
    it runs at once, which sets the batch size and how many batches are kept in flight.
    ``on_start(done, planned)`` is called once the runs already committed are known.

    The folder is locked while this runs (a second writer is refused). Resuming refuses a
    folder whose fingerprint (:func:`~.fingerprint.run_fingerprint`: scenarios, mix files,
    proximity CSVs, versions, calibrated set, target) changed, verifies the committed
    batches and runs what is missing; a design with more replications than the folder
    holds adds them (earlier runs keep their ids and seeds). A design whose runs draw
    parameters from a calibration (``design.calibrated``) records the set in provenance and
    in the stored experiment text, so a resume with another set, or without it, is refused.
    """
    started = time.perf_counter()
    design = design or build_design(spec)
    target = target or SmartSpecTarget.from_spec(spec, drawn=design.drawn_paths)
    out_dir = Path(out_dir)
    if design.calibrated is not None:
        experiment_text = stamp_experiment_text(experiment_text, design.calibrated)
    fingerprint = run_fingerprint(spec, design, target)
    if resume:
        check_same_calibrated(out_dir, design.calibrated)
        store = ResultStore.open_for_resume(out_dir, fingerprint)
    else:
        record = provenance(
            experiment=spec.model_dump(mode="json"),
            design=design.sampler,
            salib_problem=design.problem,
            started=utc_now(),
            fingerprint=fingerprint,
            resolved_scenarios=resolved_scenarios(design_scenarios(spec, design)),
            **({"command_line": command_line} if command_line else {}),
            **({"calibrated": design.calibrated} if design.calibrated else {}),
        )
        store = ResultStore.create(out_dir, experiment_text, design.inputs(), record)
    try:
        if resume:
            design = _match_replications(store, design, spec, command_line)
            store.verify_batches(set(range(len(design.tasks))))
        return _run(
            spec,
            store,
            design,
            target,
            executor,
            capacity,
            batch_size,
            resume,
            progress,
            on_start,
            command_line,
            started,
        )
    finally:
        store.release()


def _run(
    spec: ExperimentSpec,
    store: ResultStore,
    design: Design,
    target: Target,
    executor: Executor | None,
    capacity: int,
    batch_size: int | None,
    resume: bool,
    progress: Callable[[int], None] | None,
    on_start: Callable[[int, int], None] | None,
    command_line: list[str] | None,
    started: float,
) -> RunSummary:
    out_dir = store.root
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
    counts = {"done": done, "failed": failed}

    def commit(rows: list[dict], series: pd.DataFrame | None) -> None:
        path = store.write_batch(rows, series)
        counts["done"] += len(rows)
        failures = [row for row in rows if row["status"] != "ok"]
        counts["failed"] += len(failures)
        for row in failures:
            if row["error"] != WORKER_DIED:
                logger.warning("run %d failed: %s", row["run_id"], _first_line(row["error"]))
        logger.debug(
            "committed %s: %d runs (%d failed), %d of %d done",
            path.name,
            len(rows),
            len(failures),
            counts["done"],
            planned,
        )
        store.write_manifest(done=counts["done"], failed=counts["failed"], updated=utc_now())
        if progress:
            progress(len(rows))

    stop = threading.Event()
    caught: list[int] = []
    previous = _install_stop_handlers(stop, caught)
    scheduler = _Scheduler(executor, target, _batches(remaining, size), capacity, commit, stop)
    reason = ""
    try:
        try:
            scheduler.refill()
            while scheduler.busy and not stop.is_set():
                scheduler.step()
                scheduler.refill()
        except BrokenExecutor:
            # An executor that cannot be started again (one passed in): stop, resumable.
            reason = "a worker process died and the executor cannot be restarted"
            stop.set()
        if stop.is_set():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        scheduler.cancel()
        _stopped(store, counts, command_line)
        logger.info(
            "experiment %r interrupted in %s after %d of %d runs; finished batches are kept",
            spec.name,
            out_dir,
            counts["done"],
            planned,
        )
        number = caught[0] if caught else (None if reason else signal.SIGINT)
        raise ExperimentInterrupted(counts["done"], planned, out_dir, number, reason) from None
    except BaseException:
        scheduler.cancel()
        _stopped(store, counts, command_line)
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if own_executor:
            executor.shutdown()
    store.write_manifest(
        done=counts["done"],
        failed=counts["failed"],
        state="finished",
        finished=utc_now(),
        updated=utc_now(),
        resume=None,
    )
    summary = RunSummary(
        planned=planned,
        done=counts["done"],
        failed=counts["failed"],
        skipped=len(done_ids),
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
    )
    logger.info(
        "experiment %r finished in %s: %d of %d runs done, %d failed, %.1f s",
        spec.name,
        out_dir,
        summary.done,
        planned,
        summary.failed,
        summary.seconds,
    )
    return summary


def _stopped(store: ResultStore, counts: dict[str, int], command_line: list[str] | None) -> None:
    """Mark the folder interrupted, with the command that continues it (best effort: the
    disk may be what stopped the run)."""
    try:
        store.write_manifest(
            done=counts["done"],
            failed=counts["failed"],
            state="interrupted",
            updated=utc_now(),
            resume=resume_command(command_line, store.root),
        )
    except OSError as error:
        logger.warning("%s: could not mark the experiment interrupted: %s", store.root, error)
