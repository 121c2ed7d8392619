"""Results carry the model version that made them, and commands refuse to combine or continue
results of different model versions (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartspec.cli import main
from smartspec.model.version import MODEL_VERSION

SMALL = ["--reps", "2", "--steps", "4", "--workers", "1", "--set", "regions.0.firms=80"]


def _compare(out: Path, *extra: str) -> int:
    mixes = ["--mix", "baseline", "--mix", "capacity_first"]
    return main(["compare", "emerging", *mixes, *SMALL, "--out", str(out), *extra])


def _stamp(folder: Path, version: int) -> None:
    path = folder / "provenance.json"
    record = json.loads(path.read_text())
    record["model_version"] = version
    path.write_text(json.dumps(record))


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("version") / "compare"
    assert _compare(out) == 0
    return out


def test_provenance_records_the_model_version(compared):
    assert json.loads((compared / "provenance.json").read_text())["model_version"] == MODEL_VERSION


def test_resuming_results_of_another_model_version_is_refused(compared, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(compared, old)
    _stamp(old, MODEL_VERSION - 1)
    capsys.readouterr()
    assert _compare(old, "--resume") == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert f"model version {MODEL_VERSION - 1}, this is model version {MODEL_VERSION}" in error


def test_a_report_does_not_combine_folders_of_different_models(compared, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(compared, old)
    _stamp(old, MODEL_VERSION - 1)
    capsys.readouterr()
    assert main(["report", str(compared), "--sensitivity", str(old)]) == 2
    error = capsys.readouterr().err.strip()
    assert "cannot combine results of different models" in error
    assert not (compared / "report.html").exists()


def test_a_folder_without_a_version_is_version_one():
    from smartspec.experiments.provenance import model_version_of

    assert model_version_of({}) == 1
    assert model_version_of({"model_version": MODEL_VERSION}) == MODEL_VERSION
