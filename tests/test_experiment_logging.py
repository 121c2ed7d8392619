"""The experiments layer logs what it does (start, resume, each committed batch, each failed
run, the end or an interruption) through module loggers, and prints nothing by itself."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from experiment_helpers import FAILING_X, flaky

from smartspec.experiments import (
    CallableTarget,
    ExperimentInterrupted,
    ExperimentSpec,
    run_experiment,
)

LOGGER = "smartspec.experiments"


def flaky_spec() -> ExperimentSpec:
    return ExperimentSpec.model_validate(
        {
            "name": "flaky",
            "design": {"kind": "grid", "replications": 2, "seed": 4},
            "parameters": [{"name": "x", "path": "x", "levels": [1, 2, FAILING_X, 4, 5]}],
            "outcomes": {"final": ["y"]},
        }
    )


def records(caplog, level: int) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith(LOGGER) and record.levelno == level
    ]


def test_a_run_logs_start_batches_failures_and_end(caplog, tmp_path):
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        run_experiment(flaky_spec(), out, "flaky", batch_size=4, target=CallableTarget(flaky))
    start, end = (record.getMessage() for record in records(caplog, logging.INFO))
    assert "'flaky' started" in start and str(out) in start
    assert "10 runs planned, 0 already done" in start
    assert "'flaky' finished" in end and "10 of 10 runs done, 2 failed" in end
    warnings = [record.getMessage() for record in records(caplog, logging.WARNING)]
    assert warnings == [
        f"run {run_id} failed: ValueError: x={FAILING_X} is not allowed" for run_id in (4, 5)
    ]
    batches = [
        record.getMessage()
        for record in records(caplog, logging.DEBUG)
        if record.getMessage().startswith("committed")
    ]
    assert len(batches) == 3 and batches[-1].endswith("10 of 10 done")
    assert all(record.name == f"{LOGGER}.runner" for record in records(caplog, logging.INFO))


def test_an_interruption_and_the_resume_are_logged(caplog, tmp_path):
    out = tmp_path / "out"

    def press_ctrl_c(count: int) -> None:
        signal.raise_signal(signal.SIGINT)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        with pytest.raises(ExperimentInterrupted):
            run_experiment(
                flaky_spec(),
                out,
                "flaky",
                batch_size=2,
                target=CallableTarget(flaky),
                progress=press_ctrl_c,
            )
        interrupted = records(caplog, logging.INFO)[-1].getMessage()
        assert "'flaky' interrupted" in interrupted and str(out) in interrupted
        saved = int(re.search(r"after (\d+) of 10 runs", interrupted).group(1))
        assert 2 <= saved < 10
        caplog.clear()
        run_experiment(
            flaky_spec(), out, "flaky", resume=True, batch_size=2, target=CallableTarget(flaky)
        )
    resumed = records(caplog, logging.INFO)[0].getMessage()
    assert "'flaky' resumed" in resumed and f"10 runs planned, {saved} already done" in resumed


def test_nothing_is_printed_when_logging_is_not_configured(tmp_path):
    """Python's last-resort handler would print warnings; the library must not."""
    code = (
        "from experiment_helpers import flaky\n"
        "from smartspec.experiments import CallableTarget, ExperimentSpec, run_experiment\n"
        "spec = ExperimentSpec.model_validate({'name': 'f', 'design': {'kind': 'grid'},\n"
        "    'parameters': [{'name': 'x', 'path': 'x', 'levels': [3]}],\n"
        "    'outcomes': {'final': ['y']}})\n"
        f"summary = run_experiment(spec, {str(tmp_path / 'out')!r}, 'f',\n"
        "    target=CallableTarget(flaky))\n"
        "assert summary.failed == 1\n"
    )
    tests = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tests,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
