"""What several studies share: how their runs are executed, output-folder checks, paired-effect
tables and PRIM failure boxes."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from smartspec.experiments.store import LOCK_NAME, StoreError, lock_folder, release_folder
from smartspec.scenarios import OptionError, ScenarioError, parse_override

from .defaults import SUMMARY_PREFIXES

if TYPE_CHECKING:
    from smartspec.analysis.discovery import DiscoveryResult
    from smartspec.experiments import ExperimentSpec, RunSummary
    from smartspec.experiments.designs import Design
    from smartspec.experiments.targets import Target

__all__ = [
    "Execution",
    "FailureBox",
    "check_out_dir",
    "claim_out_dir",
    "effect_table",
    "failure_box_table",
    "failure_boxes",
    "fixed_overrides",
    "paired_effects",
    "run_study",
    "summary_columns",
]

logger = logging.getLogger(__name__)


@dataclass
class Execution:
    """Where a study's runs execute and how their progress is reported.

    The executor (:func:`smartspec.experiments.make_executor`) is started on the first run and
    shared by every experiment of the study, so that a study refused before it runs anything
    starts no process pool or cluster. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: all cores; 1 = in this process).
    dask_local : int, optional
        Start a dask.distributed LocalCluster of this many worker processes.
    scheduler : str, optional
        Address of an existing dask scheduler.
    resume : bool, default False
        Continue interrupted experiments (studies that resume on their own ignore it).
    batch_size : int, optional
        Runs per task (default: chosen by the runner).
    progress : callable, optional
        ``progress(count)`` after each finished batch.
    on_start : callable, optional
        ``on_start(done, planned)`` once an experiment's output folder was accepted.
    command_line : list of str, optional
        Recorded in each experiment's provenance.
    """

    workers: int | None = None
    dask_local: int | None = None
    scheduler: str | None = None
    resume: bool = False
    batch_size: int | None = None
    progress: Callable[[int], None] | None = None
    on_start: Callable[[int, int], None] | None = None
    command_line: list[str] | None = None
    _opened: tuple[Executor, int, Callable[[], None]] | None = field(
        default=None, init=False, repr=False
    )

    def executor(self) -> tuple[Executor, int]:
        """The executor and how many runs it executes at once (started on first use)."""
        if self._opened is None:
            from smartspec.experiments import make_executor

            self._opened = make_executor(self.workers, self.dask_local, self.scheduler)
            logger.debug("started executor %s (capacity %d)", *self._opened[:2])
        return self._opened[0], self._opened[1]

    def close(self) -> None:
        """Shut the executor down, if it was started."""
        if self._opened is not None:
            _, _, close = self._opened
            self._opened = None
            close()

    def __enter__(self) -> Execution:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def run_study(
    spec: ExperimentSpec,
    out_dir: Path,
    experiment_text: str,
    execution: Execution | None = None,
    *,
    target: Target | None = None,
    design: Design | None = None,
    resume: bool | None = None,
    calibrated: str | Path | None = None,
) -> RunSummary:
    """Run one experiment of a study through :func:`smartspec.experiments.run_experiment`.

    Parameters
    ----------
    spec : ExperimentSpec
        The experiment (recorded in the folder's provenance).
    out_dir : Path
        Results folder.
    experiment_text : str
        The experiment's definition as stored with the results; resuming needs the same text.
    execution : Execution, optional
        Executor and progress (default: in this process, silent).
    target : Target, optional
        What one run executes (default: the SmartSpec model as ``spec`` says).
    design : Design, optional
        The runs (default: built from ``spec``).
    resume : bool, optional
        Overrides ``execution.resume``.
    calibrated : str or Path, optional
        A finished calibration's folder: each replication draws its parameter set from the
        calibration's accepted points, the same for every mix (a comparison only; replaces
        ``design``, which must then not be given).

    Returns
    -------
    RunSummary
        Planned, done, failed and skipped runs, and the time taken.

    Raises
    ------
    CalibrationError
        For a ``calibrated`` folder that is no finished calibration, or an experiment that
        cannot draw from it (checked before any executor starts or anything is written).
    """
    from smartspec.experiments import build_design, run_experiment

    if calibrated is not None:
        from smartspec.experiments.calibration import load_calibrated

        if design is not None:
            raise ValueError("give either a design or a calibrated folder to draw from")
        design = build_design(spec, calibrated=load_calibrated(calibrated))

    execution = execution or Execution(workers=1)
    resume = execution.resume if resume is None else resume
    executor, capacity = execution.executor()
    logger.info("%s %s into %s", "resuming" if resume else "running", spec.name, out_dir)
    summary = run_experiment(
        spec,
        Path(out_dir),
        experiment_text,
        executor=executor,
        capacity=capacity,
        resume=resume,
        batch_size=execution.batch_size,
        target=target,
        design=design,
        progress=execution.progress,
        on_start=execution.on_start,
        command_line=execution.command_line,
    )
    logger.info(
        "%s: %d of %d runs done (%d failed) in %.1f s",
        spec.name,
        summary.done,
        summary.planned,
        summary.failed,
        summary.seconds,
    )
    return summary


def check_out_dir(out_dir: Path, option: str = "--out") -> None:
    """Refuse an output folder that is, or lies inside, something other than a folder.

    Raises
    ------
    StoreError
        Naming ``option``, the folder and the file in the way.
    """
    out_dir = Path(out_dir)
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise StoreError(option, str(out_dir), f"{folder} exists and is not a folder")
            break


#: Files that mark a folder as SmartSpec output (a run's or an experiment's): only such a
#: folder is replaced by ``--overwrite``.
RESULT_MARKERS = ("run.json", "design.parquet", "manifest.json", "provenance.json")


def _holds_files(folder: Path) -> bool:
    """Whether ``folder`` holds a file other than a temporary one (a command stopped by a full
    disk may leave its empty folders behind, and must then be able to start again)."""
    if not folder.is_dir():
        return False
    return any(
        path.is_file() and not path.name.startswith(".tmp-") and path.name != LOCK_NAME
        for path in folder.rglob("*")
    )


def claim_out_dir(
    out_dir: Path,
    *,
    overwrite: bool = False,
    resume: bool = False,
    remove: bool = True,
    option: str = "--out",
) -> None:
    """Accept an output folder for a new result: missing or without files, or being resumed; a
    non-empty one only with ``overwrite``, and then only if it holds SmartSpec output. With
    ``remove`` its old results are removed now, so that nothing old mixes with the new (a
    single run, whose files replace their namesakes, passes False).

    Raises
    ------
    StoreError
        Naming ``option`` and the folder, and how to go on (``--overwrite``, ``--resume``).
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir, option)
    if resume and overwrite:
        raise OptionError("--overwrite", "", "give --resume or --overwrite, not both")
    if resume or not _holds_files(out_dir):
        return
    # A folder another process is writing is named as such (with its PID), and never removed.
    lock_folder(out_dir)
    release_folder(out_dir)
    if not overwrite:
        if (out_dir / "design.parquet").is_file():
            problem = "already holds an experiment: add --resume to continue it, --overwrite"
        else:
            problem = "is not empty: add --overwrite"
        raise StoreError(option, str(out_dir), f"{problem} to replace it, or choose another folder")
    if not any((out_dir / marker).is_file() for marker in RESULT_MARKERS):
        raise StoreError(
            option,
            str(out_dir),
            "holds files that are not SmartSpec results; --overwrite replaces only a results "
            "folder: choose an empty or new folder",
        )
    if remove:
        logger.info("--overwrite: removing the old results in %s", out_dir)
        shutil.rmtree(out_dir)


def fixed_overrides(items: Iterable[str] | None, option: str = "--set") -> dict[str, Any]:
    """``KEY=VALUE`` texts (``--set``) as a dotted-path dictionary.

    Raises
    ------
    OptionError
        Naming ``option`` and the text that is not ``dotted.key=value``.
    """
    try:
        return dict(parse_override(item) for item in items or [])
    except ScenarioError as error:
        raise OptionError(option, error.field, error.problem) from None


def summary_columns(outcomes: pd.DataFrame) -> list[str]:
    """The scalar outcome columns of a results table (final_, mean_ and total_ values)."""
    return [column for column in outcomes.columns if column.startswith(SUMMARY_PREFIXES)]


def paired_effects(outcomes: pd.DataFrame, reference: str, by: str) -> pd.DataFrame:
    """Every group's paired difference from ``reference`` in every scalar outcome.

    Groups share replication seeds (common random numbers), so each difference is paired by
    replication; see :func:`smartspec.analysis.comparison.paired_differences` for the columns
    (difference, low, high, p_value, pairs, clear).
    """
    from smartspec.analysis import comparison

    return comparison.paired_differences(outcomes, summary_columns(outcomes), reference, by=by)


def effect_table(effects: pd.DataFrame, outcomes: Iterable[str], by: str) -> pd.DataFrame:
    """Paired effects as text cells ``+d [low, high]`` (``*`` when clear), one row per group
    and one column per outcome; ``+d [no interval]`` with one replication."""
    rows = effects[effects["outcome"].isin(list(outcomes))].copy()
    rows["effect"] = [
        f"{d:+.3g} [no interval]"
        if pd.isna(lo) or pd.isna(hi)
        else f"{d:+.3g} [{lo:.3g}, {hi:.3g}]{' *' if clear else ''}"
        for d, lo, hi, clear in zip(
            rows["difference"], rows["low"], rows["high"], rows["clear"], strict=True
        )
    ]
    return rows.pivot(index=by, columns="outcome", values="effect")


@dataclass(frozen=True)
class FailureBox:
    """Where one group (e.g. a strategy) fails: the PRIM box of its failing futures."""

    group: str
    failing: int
    futures: int
    found: DiscoveryResult | None

    def describe(self) -> str:
        """One sentence: the box's parameter ranges, coverage and density."""
        if self.found is None:
            state = "fails in every future" if self.failing == self.futures else "never fails"
            return f"{self.group}: {state}"
        box = self.found.box[self.found.box["restricted"]]
        ranges = "; ".join(f"{r.parameter} {r.low:.3g}-{r.high:.3g}" for r in box.itertuples())
        return (
            f"{self.group} fails mostly where {ranges or '(no clear box)'} "
            f"(coverage {self.found.coverage:.0%}, density {self.found.density:.0%})"
        )


def failure_boxes(
    runs: pd.DataFrame,
    by: str,
    outcome: str,
    target: float,
    ranges: Mapping[str, tuple[float, float]],
    threshold: float = 0.7,
) -> list[FailureBox]:
    """Per group of ``runs``, the PRIM box of the futures in which ``outcome < target``.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run, with the design's parameter columns, ``by`` and ``outcome``.
    by : str
        Column naming the group (e.g. ``strategy``).
    outcome, target : str, float
        A run fails when its ``outcome`` is below ``target``.
    ranges : Mapping
        The design's parameters and their full ranges (name -> (low, high)): PRIM searches
        these and reports box sides against them.
    threshold : float, default 0.7
        Minimum density of the chosen box.

    Returns
    -------
    list of FailureBox
        One per group; ``found`` is None when the group fails in every future or in none.
    """
    from smartspec.analysis import discovery

    boxes = []
    for group, rows in runs.groupby(by, sort=False):
        fails = rows[outcome].to_numpy() < target
        found = None
        if fails.any() and not fails.all():
            found = discovery.discover(rows, list(ranges), fails, threshold, ranges=ranges)
        boxes.append(FailureBox(str(group), int(fails.sum()), len(fails), found))
    return boxes


def failure_box_table(boxes: Iterable[FailureBox], by: str) -> pd.DataFrame:
    """Every found box's parameter table, with the group in column ``by`` (empty if none)."""
    frames = [box.found.box.assign(**{by: box.group}) for box in boxes if box.found is not None]
    return pd.concat(frames) if frames else pd.DataFrame()
