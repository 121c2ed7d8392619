"""Durable, resumable results: a folder of Parquet batch files plus a manifest.

Layout of an experiment's output folder::

    experiment.toml      the experiment file as run (copied)
    provenance.json      design and sampler settings, seeds, versions, git, command, times
    design.parquet       every planned run: run_id, point, replication, seed, scenario, mix,
                         parameter values (written once, before any run)
    manifest.json        run status: planned, done, failed, batches, state
    runs/batch-*.parquet    one row per finished run: status, error, outcomes
    series/batch-*.parquet  time series of the same runs (step, run_id, columns)

Every file is written under a temporary name in its final folder and renamed into place
(``os.replace`` is atomic), and a batch's series file is renamed before its runs file: a
``runs`` batch file on disk is therefore complete and committed, whatever happened after it
(Ctrl-C, SIGKILL, power loss). Resuming re-reads which runs are committed, removes leftovers
and runs the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartspec.scenarios import SmartSpecError

__all__ = ["ResultStore", "StoreError", "write_bytes_atomically", "write_parquet_atomically"]

RUNS, SERIES = "runs", "series"

logger = logging.getLogger(__name__)


class StoreError(SmartSpecError):
    """An output or results folder that cannot be used as asked (one line)."""


def _file_mode() -> int:
    """The mode ``open()`` gives a new file under the process's umask (``mkstemp`` would
    make every results file owner-only)."""
    try:  # Linux reports the umask without changing it (no window for other threads)
        status = Path("/proc/self/status").read_text()
        umask = int(status.split("Umask:", 1)[1].split()[0], 8)
    except (OSError, IndexError, ValueError):
        umask = os.umask(0)
        os.umask(umask)
    return 0o666 & ~umask


def write_bytes_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(handle, _file_mode())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_parquet_atomically(path: Path, frame: pd.DataFrame) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
    os.fchmod(handle, _file_mode())
    os.close(handle)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        # Dictionary-encode text columns only: for columns of distinct numbers the dictionary
        # is pure overhead, and its buffers would make peak memory grow with the design.
        text = [
            field.name
            for field in table.schema
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
        ]
        pq.write_table(table, temporary, use_dictionary=text)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ResultStore:
    """The output folder of one experiment."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ---------------------------------------------------------------- creation
    @classmethod
    def create(
        cls,
        root: Path,
        experiment_text: str,
        design: pd.DataFrame,
        provenance: dict[str, Any],
    ) -> ResultStore:
        """Start a new experiment folder; refuses a folder that already holds results."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root} exists and is not a folder")
        if (root / "design.parquet").exists():
            raise StoreError(
                f"{root} already holds an experiment: add --resume to continue it, or choose "
                "another --out"
            )
        root.mkdir(parents=True, exist_ok=True)
        (root / RUNS).mkdir(exist_ok=True)
        (root / SERIES).mkdir(exist_ok=True)
        store = cls(root)
        write_bytes_atomically(root / "experiment.toml", experiment_text.encode("utf-8"))
        provenance = {**provenance, "experiment_sha256": _digest(experiment_text)}
        write_bytes_atomically(root / "provenance.json", json.dumps(provenance, indent=2).encode())
        write_parquet_atomically(root / "design.parquet", design)
        store.write_manifest(planned=len(design), state="running")
        logger.debug("created results folder %s for %d runs", root, len(design))
        return store

    @classmethod
    def open_for_resume(cls, root: Path, experiment_text: str) -> ResultStore:
        """Re-open an interrupted experiment, checking it is the same experiment."""
        root = Path(root)
        if not (root / "design.parquet").exists():
            raise StoreError(f"{root} holds no experiment to resume (no design.parquet)")
        provenance = json.loads((root / "provenance.json").read_text())
        from .provenance import check_model_version

        check_model_version(provenance, str(root), "the experiment to resume")
        if provenance.get("experiment_sha256") != _digest(experiment_text):
            raise StoreError(
                f"{root} was started with a different experiment file; resume needs the same one"
            )
        store = cls(root)
        store.clean_leftovers()
        return store

    # ------------------------------------------------------------------ state
    def clean_leftovers(self) -> None:
        """Remove temporary files and series batches whose runs batch never committed."""
        removed = 0
        for folder in (self.root, self.root / RUNS, self.root / SERIES):
            for leftover in folder.glob(".tmp-*"):
                leftover.unlink(missing_ok=True)
                removed += 1
        committed = {path.name for path in (self.root / RUNS).glob("batch-*.parquet")}
        for path in (self.root / SERIES).glob("batch-*.parquet"):
            if path.name not in committed:
                path.unlink()
                removed += 1
        if removed:
            logger.debug("removed %d uncommitted files from %s", removed, self.root)

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    def provenance(self) -> dict[str, Any]:
        return json.loads((self.root / "provenance.json").read_text())

    def batch_files(self, kind: str = RUNS) -> list[Path]:
        return sorted((self.root / kind).glob("batch-*.parquet"))

    def done(self) -> tuple[set[int], int]:
        """Run ids committed so far, and how many of them failed."""
        done: set[int] = set()
        failed = 0
        for path in self.batch_files():
            table = pq.read_table(path, columns=["run_id", "status"])
            done.update(table.column("run_id").to_pylist())
            failed += sum(1 for status in table.column("status").to_pylist() if status != "ok")
        return done, failed

    # ------------------------------------------------------------------ writes
    def write_batch(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> Path:
        """Commit one batch: series first, then the runs file that marks it done."""
        first = min(row["run_id"] for row in rows)
        last = max(row["run_id"] for row in rows)
        name = f"batch-{first:08d}-{last:08d}.parquet"
        if series is not None and len(series):
            write_parquet_atomically(self.root / SERIES / name, series)
        write_parquet_atomically(self.root / RUNS / name, pd.DataFrame(rows))
        return self.root / RUNS / name

    def write_manifest(self, **fields: Any) -> None:
        path = self.root / "manifest.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update(fields)
        write_bytes_atomically(path, json.dumps(current, indent=2).encode())

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / "manifest.json").read_text())

    def remove(self) -> None:
        shutil.rmtree(self.root)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
