"""Durable, resumable results: a folder of Parquet batch files plus a manifest.

Layout of an experiment's output folder::

    experiment.toml      the experiment file as run (copied)
    provenance.json      design and sampler settings, seeds, versions, git, command, times
    design.parquet       every planned run: run_id, point, replication, seed, scenario, mix,
                         parameter values (written once, before any run)
    manifest.json        run status: planned, done, failed, batches, state
    runs/batch-*.parquet    one row per finished run: status, error, outcomes
    series/batch-*.parquet  time series of the same runs (step, run_id, columns)
    .smartspec.lock      the advisory lock of the process writing the folder (its PID)

Every file is written under a temporary name in its final folder and renamed into place
(``os.replace`` is atomic), and a batch's series file is renamed before its runs file: a
``runs`` batch file on disk is therefore complete and committed, whatever happened after it
(Ctrl-C, SIGKILL, power loss). Resuming re-reads which runs are committed, removes leftovers
and runs the rest.

One process writes a folder at a time: creating or resuming takes an exclusive advisory lock
(``flock``) on ``.smartspec.lock`` before looking at the folder, and keeps it until the run
ends; the kernel releases it when the process exits or dies. A second writer is refused with
one line naming the holder's PID. Resuming verifies every committed batch (readable, the run
ids the design plans, each run once, the series rows it recorded) and renames a damaged one
to ``*.damaged``, so that its runs are run again.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartspec.scenarios import SmartSpecError

__all__ = [
    "ResultStore",
    "StoreError",
    "lock_folder",
    "release_folder",
    "write_bytes_atomically",
    "write_parquet_atomically",
]

RUNS, SERIES = "runs", "series"
LOCK_NAME = ".smartspec.lock"
#: Parquet metadata key of a runs batch: how many series rows its runs wrote.
SERIES_ROWS_KEY = b"smartspec.series_rows"
#: Provenance key of the layout: 2 = fingerprinted, runs numbered by replication segments.
LAYOUT = 2
_BATCH_NAME = re.compile(r"^batch-(\d{8})-(\d{8})\.parquet$")

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


def write_parquet_atomically(
    path: Path, frame: pd.DataFrame, metadata: dict[bytes, bytes] | None = None
) -> None:
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
        if metadata:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        pq.write_table(table, temporary, use_dictionary=text)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Folders this process holds the lock of: resolved path -> (descriptor, holders).
_HELD: dict[Path, list[int]] = {}


def _holder_pid(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


def lock_folder(root: Path) -> None:
    """Take the exclusive write lock of a results folder (creating the folder), or refuse.

    The lock is an advisory ``flock`` on ``ROOT/.smartspec.lock``, which holds the holder's
    PID. Within one process it is re-entrant (count the calls; :func:`release_folder` as
    often). The kernel releases it when the process exits or dies.

    Raises
    ------
    StoreError
        When another process holds it, naming that process's PID.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise StoreError(str(root), "", "exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    key = root.resolve()
    if key in _HELD:
        _HELD[key][1] += 1
        return
    path = key / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(descriptor)
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        raise StoreError(
            str(root),
            "",
            f"in use by another SmartSpec process (PID {_holder_pid(path)}) that writes "
            "results here; wait for it to finish or stop it, or choose another --out",
        ) from None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
    _HELD[key] = [descriptor, 1]


def release_folder(root: Path) -> None:
    """Give back one hold of the folder's lock (see :func:`lock_folder`)."""
    key = Path(root).resolve()
    held = _HELD.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        del _HELD[key]
        os.close(held[0])  # closing the descriptor releases the flock


def _read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON file of a results folder, or one line saying it is missing or damaged."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(str(path), "", f"missing: the folder has no {what}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(
            str(path), "", f"damaged ({type(error).__name__}): cannot read the {what}"
        ) from None
    if not isinstance(value, dict):
        raise StoreError(str(path), "", f"damaged: the {what} is not a JSON object")
    return value


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


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
        """Start a new experiment folder; refuses a folder that already holds results.

        Takes the folder's lock first (see :func:`lock_folder`), so that two processes
        cannot both find the folder empty and both write; the caller releases it
        (:meth:`release`).
        """
        root = Path(root)
        lock_folder(root)
        try:
            if (root / "design.parquet").exists():
                raise StoreError(
                    f"{root} already holds an experiment: add --resume to continue it, or choose "
                    "another --out"
                )
            (root / RUNS).mkdir(exist_ok=True)
            (root / SERIES).mkdir(exist_ok=True)
            store = cls(root)
            write_bytes_atomically(root / "experiment.toml", experiment_text.encode("utf-8"))
            provenance = {
                **provenance,
                "experiment_sha256": _digest(experiment_text),
                "layout": LAYOUT,
            }
            write_bytes_atomically(
                root / "provenance.json", json.dumps(provenance, indent=2).encode()
            )
            write_parquet_atomically(root / "design.parquet", design)
            store.write_manifest(planned=len(design), state="running")
        except BaseException:
            release_folder(root)
            raise
        logger.debug("created results folder %s for %d runs", root, len(design))
        return store

    @classmethod
    def open_for_resume(cls, root: Path, fingerprint: dict[str, Any]) -> ResultStore:
        """Re-open an interrupted (or finished) experiment to continue or extend it.

        Takes the folder's lock, refuses a folder whose fingerprint differs from
        ``fingerprint`` (naming what changed) or that predates fingerprints, then repairs
        what an interruption can leave: temporary files, damaged batches (renamed to
        ``*.damaged``; their runs run again) and a damaged manifest (rebuilt).
        """
        from .fingerprint import describe_changes
        from .provenance import check_model_version

        root = Path(root)
        if not (root / "design.parquet").exists():
            raise StoreError(f"{root} holds no experiment to resume (no design.parquet)")
        lock_folder(root)
        try:
            store = cls(root)
            provenance = store.provenance()
            check_model_version(provenance, str(root), "the experiment to resume")
            stored = provenance.get("fingerprint")
            if not isinstance(stored, dict):
                raise StoreError(
                    str(root),
                    "",
                    "was written by a SmartSpec from before results folders recorded what "
                    "their runs depend on, so resuming could mix runs silently; its results "
                    "can still be read and analysed as they are: to continue the experiment, "
                    "run it again into a new --out",
                )
            changes = describe_changes(stored, fingerprint)
            if changes:
                raise StoreError(
                    str(root),
                    "",
                    "cannot resume, because what its runs depend on changed since it started: "
                    + "; ".join(changes)
                    + " (new runs would not be comparable with the stored ones: run it into a "
                    "new --out)",
                )
            store.design()  # readable, or one line
            store.clean_leftovers()
        except BaseException:
            release_folder(root)
            raise
        return store

    def release(self) -> None:
        """Give back this process's hold of the folder's lock."""
        release_folder(self.root)

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

    def verify_batches(self, planned: set[int]) -> list[str]:
        """Check every committed batch and quarantine the damaged ones.

        A batch is damaged when its runs file cannot be read, is not named like a batch,
        holds run ids outside its name's range or outside ``planned``, repeats a run of an
        earlier batch, or when its series file is missing, unreadable or shorter than the
        runs file recorded. A damaged batch's files are renamed to ``NAME.damaged`` and a
        warning line says so; its runs count as not done.

        Returns
        -------
        list of str
            One line per quarantined batch.
        """
        seen: set[int] = set()
        lines = []
        for path in self.batch_files(RUNS):
            problem = self._batch_problem(path, planned, seen)
            if problem is None:
                continue
            moved = [self._quarantine(path)]
            series = self.root / SERIES / path.name
            if series.exists():
                moved.append(self._quarantine(series))
            line = (
                f"{path}: damaged ({problem}); moved aside as {moved[0].name} and its runs "
                "will run again"
            )
            logger.warning("%s", line)
            lines.append(line)
        return lines

    def _batch_problem(self, path: Path, planned: set[int], seen: set[int]) -> str | None:
        name = _BATCH_NAME.match(path.name)
        if name is None:
            return "not a batch file name"
        try:
            table = pq.read_table(path)
        except Exception as error:  # noqa: BLE001 - any unreadable file is damaged
            return f"unreadable: {_first_line(error)}"
        if "run_id" not in table.column_names or "status" not in table.column_names:
            return "no run_id and status columns"
        if table.num_rows == 0:
            return "no runs"
        ids = table.column("run_id").to_pylist()
        low, high = int(name.group(1)), int(name.group(2))
        if any(not isinstance(i, int) or not low <= i <= high for i in ids):
            return f"run ids outside {low}-{high}"
        if not set(ids) <= planned:
            return "run ids this experiment does not plan"
        if len(set(ids)) != len(ids) or seen & set(ids):
            return "runs stored twice"
        recorded = (table.schema.metadata or {}).get(SERIES_ROWS_KEY)
        series = self.root / SERIES / path.name
        if recorded is not None and int(recorded) > 0 and not series.exists():
            return "its series file is missing"
        if series.exists():
            try:
                series_table = pq.read_table(series, columns=["run_id"])
            except Exception as error:  # noqa: BLE001
                return f"series unreadable: {_first_line(error)}"
            if recorded is not None and series_table.num_rows != int(recorded):
                return f"series has {series_table.num_rows} of {int(recorded)} rows"
            if not set(series_table.column("run_id").to_pylist()) <= set(ids):
                return "series of runs the batch does not hold"
        seen.update(ids)
        return None

    def _quarantine(self, path: Path) -> Path:
        target = path.with_name(path.name + ".damaged")
        number = 1
        while target.exists():
            number += 1
            target = path.with_name(f"{path.name}.damaged-{number}")
        os.replace(path, target)
        return target

    def design(self) -> pd.DataFrame:
        path = self.root / "design.parquet"
        try:
            return pd.read_parquet(path)
        except FileNotFoundError:
            raise StoreError(
                str(self.root), "", "not a results folder (no design.parquet)"
            ) from None
        except Exception as error:  # noqa: BLE001 - a damaged design is one line
            raise StoreError(
                str(path),
                "",
                f"damaged ({_first_line(error)}): the planned runs cannot be read; run the "
                "experiment again into a new --out",
            ) from None

    def provenance(self) -> dict[str, Any]:
        return _read_json(self.root / "provenance.json", "provenance record")

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

    def segments(self) -> list[int]:
        """The replication counts the experiment has had, oldest first (one entry unless
        replications were added): runs of replications added later are numbered after
        every earlier run, so that no earlier run's id changes."""
        record = self.provenance()
        segments = record.get("replication_segments")
        if segments:
            return [int(count) for count in segments]
        return [int((record.get("design") or {}).get("replications", 1))]

    # ------------------------------------------------------------------ writes
    def write_batch(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> Path:
        """Commit one batch: series first, then the runs file that marks it done."""
        first = min(row["run_id"] for row in rows)
        last = max(row["run_id"] for row in rows)
        name = f"batch-{first:08d}-{last:08d}.parquet"
        series_rows = 0 if series is None else len(series)
        if series_rows:
            write_parquet_atomically(self.root / SERIES / name, series)
        write_parquet_atomically(
            self.root / RUNS / name,
            pd.DataFrame(rows),
            metadata={SERIES_ROWS_KEY: str(series_rows).encode("ascii")},
        )
        return self.root / RUNS / name

    def extend(self, design: pd.DataFrame, updates: dict[str, Any]) -> None:
        """Record added replications: the whole new design (every earlier row unchanged),
        then the provenance ``updates``, then the planned count."""
        write_parquet_atomically(self.root / "design.parquet", design)
        record = {**self.provenance(), **updates}
        write_bytes_atomically(self.root / "provenance.json", json.dumps(record, indent=2).encode())
        self.write_manifest(planned=len(design))

    def write_manifest(self, **fields: Any) -> None:
        path = self.root / "manifest.json"
        try:
            current = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            # The manifest only summarises the batches; the next counts rebuild it.
            logger.warning("%s: damaged; writing it anew from the committed batches", path)
            current = {}
        if not isinstance(current, dict):
            current = {}
        current.update(fields)
        write_bytes_atomically(path, json.dumps(current, indent=2).encode())

    def manifest(self) -> dict[str, Any]:
        return _read_json(self.root / "manifest.json", "manifest (run status)")

    def remove(self) -> None:
        shutil.rmtree(self.root)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
