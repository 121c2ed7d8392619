"""Tidy tables of a results folder for other tools (``smartspec export``).

One row per run (``runs``) and, optionally, one row per run and quarter (``series``); every
row carries its run's inputs: run id, design point, replication, seed, scenario, mix (each by
its own name) and the parameter values. Files are written under a temporary name and renamed
into place, so an interrupted export leaves no half-written table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from smartspec.experiments import load_results
from smartspec.experiments.store import StoreError

from .comparison import named_groups

__all__ = ["EXPORT_FORMATS", "export_results", "run_table", "series_table"]

#: Formats ``smartspec export --format`` writes.
EXPORT_FORMATS = ("csv", "parquet")


def run_table(folder: str | Path) -> pd.DataFrame:
    """One row per finished run, failed runs included (``status``, ``error``), sorted by run
    id: inputs first, then outcomes."""
    results = load_results(folder, series=False)
    ok = results.outcomes.assign(status="ok")
    failed = results.failures.drop(columns=["traceback"], errors="ignore")
    frames = [frame for frame in (ok, failed) if len(frame)]
    if not frames:
        return named_groups(results.inputs.iloc[0:0].assign(status=pd.Series(dtype=str)))
    table = pd.concat(frames, ignore_index=True).sort_values("run_id", kind="stable")
    first = [*results.inputs.columns, "status"]
    table = table[[*first, *(c for c in table.columns if c not in first)]]
    return named_groups(table.reset_index(drop=True))


def series_table(folder: str | Path) -> pd.DataFrame:
    """One row per run and quarter (``step``), with the run's inputs
    (:attr:`~smartspec.experiments.Results.series`)."""
    return named_groups(load_results(folder).series)


def _write(table: pd.DataFrame, path: Path, file_format: str) -> Path:
    staging = path.with_name(f".{path.name}.partial")
    try:
        if file_format == "csv":
            table.to_csv(staging, index=False)
        else:
            table.to_parquet(staging, index=False)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path


def export_results(
    folder: str | Path,
    out_dir: str | Path | None = None,
    file_format: Literal["csv", "parquet"] = "csv",
    series: bool = False,
) -> list[Path]:
    """Write ``runs.FORMAT`` (and with ``series`` also ``series.FORMAT``) of a results folder.

    Parameters
    ----------
    folder : str or Path
        A results folder of ``smartspec sweep`` or ``compare`` (finished or not).
    out_dir : str or Path, optional
        Where the tables go (default: ``FOLDER/export``).
    file_format : {"csv", "parquet"}
        File format of the tables.
    series : bool
        Also write the per-quarter table (needs series outcomes in the experiment).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    StoreError
        Not a results folder, an unknown format, or ``series`` for an experiment that
        recorded no series.
    """
    folder = Path(folder)
    if file_format not in EXPORT_FORMATS:
        raise StoreError("--format", "", f"must be one of {', '.join(EXPORT_FORMATS)}")
    if not (folder / "design.parquet").is_file():
        raise StoreError(str(folder), "", "not a results folder (no design.parquet)")
    runs = run_table(folder)
    per_quarter = series_table(folder) if series else None
    if per_quarter is not None and per_quarter.empty:
        raise StoreError(
            str(folder), "--series", "the experiment recorded no series (outcomes.series)"
        )
    out = Path(out_dir) if out_dir is not None else folder / "export"
    out.mkdir(parents=True, exist_ok=True)
    written = [_write(runs, out / f"runs.{file_format}", file_format)]
    if per_quarter is not None:
        written.append(_write(per_quarter, out / f"series.{file_format}", file_format))
    return written
