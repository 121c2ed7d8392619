"""Provenance recorded with every result: the SmartSpec version, package versions, git revision,
command line, timestamps."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from smartspec.scenarios import SmartSpecError

__all__ = [
    "ModelVersionError",
    "calibrated_defaults_record",
    "check_model_version",
    "check_same_model",
    "model_version_of",
    "git_revision",
    "package_versions",
    "provenance",
    "utc_now",
]


class ModelVersionError(SmartSpecError):
    """Results of different model versions asked to be combined or continued."""


_PACKAGES = ("smartspec", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "networkx")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision(path: Path | None = None) -> dict[str, Any]:
    """The commit and dirty flag of the source tree the package runs from (if it is a clone)."""
    where = path or Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(where), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    revision = git("rev-parse", "HEAD")
    if revision is None:
        return {"revision": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"revision": revision, "dirty": bool(status)}


def calibrated_defaults_record() -> dict[str, Any] | None:
    """Which calibration's best point the bundled scenarios use as defaults (file, sha256,
    its provenance comments), or None when no calibration was adopted."""
    from smartspec.scenarios.loader import CALIBRATED_DEFAULTS

    if not CALIBRATED_DEFAULTS.is_file():
        return None
    data = CALIBRATED_DEFAULTS.read_bytes()
    comments = [
        line.lstrip("# ").rstrip()
        for line in data.decode("utf-8").splitlines()
        if line.startswith("#")
    ]
    return {
        "file": CALIBRATED_DEFAULTS.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "provenance": comments,
    }


def model_version_of(record: dict[str, Any]) -> int:
    """The model version a provenance record was written by (1 when it records none)."""
    from smartspec.model.version import UNVERSIONED

    return int(record.get("model_version", UNVERSIONED))


def check_model_version(record: dict[str, Any], source: str, what: str) -> None:
    """Refuse a folder made by another model version than this one, naming both."""
    from smartspec.model.version import MODEL_VERSION

    found = model_version_of(record)
    if found != MODEL_VERSION:
        raise ModelVersionError(
            source,
            "",
            f"{what} was made by model version {found}, this is model version {MODEL_VERSION}; "
            "results of different model versions cannot be combined (re-run it)",
        )


def check_same_model(records: dict[str, dict[str, Any]]) -> None:
    """Refuse to combine folders (label -> provenance) of different model versions."""
    versions = {label: model_version_of(record) for label, record in records.items()}
    if len(set(versions.values())) > 1:
        described = ", ".join(f"{label}: model version {v}" for label, v in versions.items())
        raise ModelVersionError(
            next(iter(records)), "", f"cannot combine results of different models ({described})"
        )


def provenance(**extra: Any) -> dict[str, Any]:
    """Everything needed to say where a result came from."""
    from smartspec import __version__
    from smartspec.model.version import MODEL_VERSION

    return {
        # The release to cite (CITATION.cff, `smartspec --version`); versions.smartspec is the
        # installed distribution's metadata, which an uninstalled checkout lacks.
        "smartspec_version": __version__,
        "model_version": MODEL_VERSION,
        "versions": package_versions(),
        "git": git_revision(),
        "calibrated_defaults": calibrated_defaults_record(),
        "command_line": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "platform": platform.platform(),
        **extra,
    }
