"""Load an experiment's results back: one call, pandas DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .store import RUNS, SERIES, ResultStore, StoreError

__all__ = ["Results", "load_results", "with_inputs"]


@dataclass
class Results:
    """Inputs (one row per planned run), outcomes (one row per finished run, inputs joined),
    time series (one row per run and step, inputs joined), failures, provenance and
    manifest."""

    inputs: pd.DataFrame
    outcomes: pd.DataFrame
    series: pd.DataFrame
    failures: pd.DataFrame
    provenance: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def complete(self) -> bool:
        return len(self.outcomes) + len(self.failures) == len(self.inputs)


def _read_batch(path: Path, key: tuple[str, ...]) -> pd.DataFrame:
    """One batch file, refused in one line when it is damaged or not a SmartSpec batch (a
    foreign file with the right name, another program's table)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # noqa: BLE001 - a damaged batch is one line
        lines = str(error).strip().splitlines()
        raise StoreError(
            str(path),
            "",
            f"damaged ({type(error).__name__}: {lines[0] if lines else ''}); resuming the "
            "experiment (--resume) moves it aside and runs its runs again",
        ) from None
    missing = [column for column in key if column not in frame.columns]
    if missing:
        raise StoreError(str(path), "", f"not a SmartSpec batch: no {', '.join(missing)} column")
    if len(frame) and not pd.api.types.is_integer_dtype(frame["run_id"]):
        raise StoreError(
            str(path), "run_id", f"holds {frame['run_id'].dtype} values, not run numbers"
        )
    return frame


def _read_all(files: list[Path], key: tuple[str, ...] = ("run_id",)) -> pd.DataFrame:
    frames = [_read_batch(path, key) for path in files]
    frames = [frame for frame in frames if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _check_unique(frame: pd.DataFrame, keys: list[str], folder: Path, what: str) -> None:
    """Refuse a folder that holds a run (or a run's step) twice: it was written by two
    processes at once, or copied into, and any summary of it would count runs twice."""
    twice = frame.duplicated(keys, keep=False)
    if twice.any():
        ids = sorted(set(frame.loc[twice, "run_id"].tolist()))
        shown = ", ".join(str(i) for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
        raise StoreError(
            str(folder),
            what,
            f"{len(ids)} runs are stored more than once (run ids {shown}); the folder was "
            "written by two processes at once or mixed by hand: run the experiment again into "
            "a new folder",
        )


def with_inputs(series: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """A per-step table with each run's inputs (point, replication, seed, scenario, mix and
    parameter values) after ``run_id``, so that no use needs a join; a series column of the
    same name as an input keeps the series' value."""
    joined = [c for c in inputs.columns if c == "run_id" or c not in series.columns]
    frame = inputs[joined].merge(series, on="run_id", how="right", sort=False)
    return frame[[*joined, *(c for c in series.columns if c != "run_id")]]


def load_results(out_dir: str | Path, series: bool = True) -> Results:
    """Read a (possibly unfinished) experiment folder; rows are sorted by design point and
    replication (run id order, unless replications were added), so the tables do not depend
    on how runs were batched or on which executor ran them.

    Raises
    ------
    StoreError
        One line naming the file for a folder that is not a results folder, a damaged file,
        or a run stored twice.

    ``Results.series`` carries each run's inputs like ``Results.outcomes``.
    """
    store = ResultStore(Path(out_dir))
    provenance = store.provenance()  # one line when missing or damaged
    manifest = store.manifest()
    inputs = store.design()
    record = provenance
    # Run ids number runs in the order they were planned, which for an experiment whose
    # replications were added later is not point-major: order by what identifies a run.
    if len(record.get("replication_segments") or []) > 1:
        inputs = inputs.sort_values(["point", "replication"], kind="stable")
        inputs = inputs.reset_index(drop=True)
    runs = _read_all(store.batch_files(RUNS), ("run_id", "status"))
    if len(runs):
        _check_unique(runs, ["run_id"], store.root, "runs")
        order = pd.Series(range(len(inputs)), index=inputs["run_id"])
        # Sorted by positions, not through a helper column: inserting a column into a frame
        # concatenated from many batches triggers pandas' fragmentation warning.
        planned = runs["run_id"].map(order).to_numpy(dtype=float)
        runs = runs.iloc[np.lexsort((runs["run_id"].to_numpy(), planned))]
        runs = runs.reset_index(drop=True)
        ok = runs[runs["status"] == "ok"].drop(columns=["status", "error"], errors="ignore")
        ok = ok.drop(columns=["traceback"], errors="ignore")
        failed = runs[runs["status"] != "ok"]
        # Columns that only one kind of row fills (outcomes, error texts) are dropped from the
        # other kind's table.
        if len(ok):
            ok = ok.dropna(axis=1, how="all")
        if len(failed):
            failed = failed.dropna(axis=1, how="all")
        # Text columns may be all-null in some batch files; one dtype whatever the batching.
        for column in ("error", "traceback"):
            if column in failed:
                failed = failed.assign(**{column: failed[column].astype(object)})
        outcomes = inputs.merge(ok, on="run_id", how="inner")
        failures = inputs.merge(
            failed[
                [
                    c
                    for c in failed.columns
                    if c in ("run_id", "status", "error", "traceback", "seconds")
                ]
            ],
            on="run_id",
            how="inner",
        )
    else:
        outcomes = inputs.iloc[0:0]
        failures = inputs.iloc[0:0]
    frame = _read_all(store.batch_files(SERIES), ("run_id", "step")) if series else pd.DataFrame()
    if len(frame):
        order = pd.Series(range(len(inputs)), index=inputs["run_id"])
        frame = frame.assign(_order=frame["run_id"].map(order))
        frame = frame.sort_values(["_order", "run_id", "step"], kind="stable")
        frame = frame.drop(columns="_order").reset_index(drop=True)
        frame = with_inputs(frame, inputs)
    return Results(
        inputs=inputs,
        outcomes=outcomes.reset_index(drop=True),
        series=frame,
        failures=failures.reset_index(drop=True),
        provenance=record,
        manifest=manifest,
    )
