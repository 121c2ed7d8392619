"""Results folders under faults: two writers, edits between runs, lost workers, SIGTERM,
damaged files, and experiments extended with more replications (issue 14 items 1-5, issue
16 item 5).

Fast targets (``experiment_helpers``) stand in for the model where the fault, not the model,
is under test; every subprocess is stopped in a ``finally`` block.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import KILLING_X, flaky, self_killing, slow
from test_experiments import LONG_EXPERIMENT

from smartspec.cli import main
from smartspec.experiments import (
    CallableTarget,
    ExperimentSpec,
    StoreError,
    load_results,
    make_executor,
    run_experiment,
)
from smartspec.experiments.fingerprint import (
    describe_changes,
    resolved_scenario_digest,
    target_identity,
)
from smartspec.experiments.runner import WORKER_DIED, ProcessPool

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PYTHON = sys.executable
SMALL_GRID = TESTS / "data" / "experiment_small_grid.toml"
TIMING = ["seconds"]


def spec_of(levels=(1, 2, 4, 5), replications: int = 2, **design) -> ExperimentSpec:
    return ExperimentSpec.model_validate(
        {
            "name": "faults",
            "outcomes": {"final": ["innovation_index"]},
            "design": {"kind": "grid", "replications": replications, "seed": 4, **design},
            "parameters": [{"name": "x", "path": "x", "levels": list(levels)}],
        }
    )


def quick(out: Path, spec: ExperimentSpec | None = None, resume: bool = False, **kwargs):
    """The fast, deterministic experiment of most tests, in this process."""
    return run_experiment(
        spec or spec_of(),
        out,
        "faults",
        target=kwargs.pop("target", CallableTarget(flaky)),
        batch_size=kwargs.pop("batch_size", 2),
        resume=resume,
        **kwargs,
    )


def outcomes(out: Path) -> pd.DataFrame:
    return load_results(out).outcomes.drop(columns=TIMING)


def error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("smartspec: error: ") and "Traceback" not in err
    return lines[0]


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture
def worker_path(monkeypatch):
    """Spawned workers import experiment_helpers by name: put tests/ on their path."""
    path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    quick(out)
    return out


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory) -> Path:
    """``smartspec sweep`` of the small grid (8 model runs), in this process."""
    out = tmp_path_factory.mktemp("small_grid") / "out"
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--workers", "1"]) == 0
    return out


def python_process(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(REPO)])}
    return subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"not within {timeout} s: {what}")


# ------------------------------------------------------------------------------ two writers

HOLD_LOCK = """
import sys, time
from smartspec.experiments.store import lock_folder
lock_folder(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_writer_is_refused_naming_the_holders_pid(small_grid, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_grid, out)
    fresh = tmp_path / "fresh"
    holders = [python_process(HOLD_LOCK, str(folder)) for folder in (out, fresh)]
    try:
        for holder in holders:
            assert holder.stdout.readline().strip() == "locked"
        before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        for arguments in (
            ["sweep", str(SMALL_GRID), "--out", str(out), "--resume"],
            ["sweep", str(SMALL_GRID), "--out", str(fresh)],
        ):
            assert main([*arguments, "--workers", "1"]) == 2
            line = error_line(capsys.readouterr().err)
            holder = holders[0] if arguments[3] == str(out) else holders[1]
            assert f"in use by another SmartSpec process (PID {holder.pid})" in line
        assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
        assert not (fresh / "design.parquet").exists()
    finally:
        for holder in holders:
            holder.kill()
            finish(holder)
    # The lock dies with its holder: the folder is usable again.
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--resume", "--workers", "1"]) == 0


RACE = """
import sys, time
from pathlib import Path
from experiment_helpers import flaky
from smartspec.experiments import CallableTarget, ExperimentSpec, StoreError, run_experiment

spec = ExperimentSpec.model_validate({
    "name": "faults", "outcomes": {"final": ["innovation_index"]},
    "design": {"kind": "grid", "replications": 3, "seed": 4},
    "parameters": [{"name": "x", "path": "x", "levels": [1, 2, 4, 5]}],
})
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
try:
    run_experiment(spec, Path(sys.argv[1]), "race", target=CallableTarget(flaky), batch_size=1,
                   resume="--resume" in sys.argv)
except StoreError as error:
    print(f"refused: {error}")
    sys.exit(2)
print("ran")
"""


@pytest.mark.parametrize("resume", [False, True])
def test_two_writers_started_together_one_runs_and_nothing_is_stored_twice(resume, tmp_path):
    out, go = tmp_path / "out", tmp_path / "go"
    if resume:
        quick(out, spec_of(replications=3), batch_size=1)
        for batch in sorted((out / "runs").glob("batch-*.parquet"))[4:]:
            batch.unlink()
    extra = ["--resume"] if resume else []
    processes = [python_process(RACE, str(out), str(go), *extra) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        go.touch()
        results = [finish(process) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    codes = sorted(process.returncode for process in processes)
    assert codes == [0, 2], results
    refused = next(out for out, _ in results if out.startswith("refused"))
    assert "in use by another SmartSpec process" in refused or "already holds" in refused
    loaded = load_results(out)
    assert loaded.complete and loaded.outcomes["run_id"].is_unique
    assert len(loaded.outcomes) == 12


def test_load_results_refuses_runs_stored_twice(reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    first = sorted((out / "runs").glob("batch-*.parquet"))[0]
    shutil.copy(first, first.with_name("batch-00000000-00000005.parquet"))
    with pytest.raises(StoreError, match=r"2 runs are stored more than once \(run ids 0, 1\)"):
        load_results(out)


# ---------------------------------------------------------------------------- fingerprint

EDITABLE = """
name = "editable"

[model]
scenario = "region.toml"
steps = 3
set = {{ "regions.0.firms" = 60, "regions.0.citizen_groups" = 2 }}

[design]
kind = "grid"
replications = {reps}
seed = 5

[[parameters]]
name = "budget"
path = "regions.0.government.budget_share"
levels = [0.001, 0.004]

[outcomes]
final = ["innovation_index"]
"""


@pytest.fixture
def editable(tmp_path) -> tuple[Path, Path]:
    """An experiment on a scenario file of the user's (a copy of emerging.toml), run once."""
    shutil.copy(REPO / "scenarios" / "emerging.toml", tmp_path / "region.toml")
    path = tmp_path / "editable.toml"
    path.write_text(EDITABLE.format(reps=1), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    return path, out


def test_resume_after_editing_the_scenario_is_refused_naming_it(editable, capsys):
    path, out = editable
    capsys.readouterr()
    record = json.loads((out / "provenance.json").read_text())
    scenario = str(path.parent / "region.toml")
    label = f"scenario {scenario}"
    assert record["fingerprint"]["scenarios"][label] == resolved_scenario_digest(scenario)
    assert record["resolved_scenarios"][label]["scenario"]["regions"][0]["firms"] > 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    region = path.parent / "region.toml"
    text = region.read_text(encoding="utf-8")
    edited = text.replace("absorptive_capacity = 0.22", "absorptive_capacity = 0.25", 1)
    assert edited != text
    region.write_text(edited, encoding="utf-8")
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]) == 2
    line = error_line(capsys.readouterr().err)
    assert f"{label} changed" in line and str(out) in line
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before

    region.write_text(text, encoding="utf-8")  # undone: the same experiment again
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]) == 0


def test_the_fingerprint_covers_proximity_csvs_versions_and_targets(tmp_path):
    from test_scenarios import GOOD_CSV, csv_scenario

    path = csv_scenario(tmp_path, GOOD_CSV)
    before = resolved_scenario_digest(str(path))
    rows = [line.split(",") for line in GOOD_CSV.strip().splitlines()]
    rows[2][3], rows[3][2] = "0.25", "0.25"  # one proximity, in both mirrored cells
    (tmp_path / "m.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    assert resolved_scenario_digest(str(path)) != before

    assert target_identity(CallableTarget(flaky)) == target_identity(CallableTarget(flaky))
    assert target_identity(CallableTarget(flaky)) != target_identity(CallableTarget(slow))

    stored = {"smartspec": "0.1", "git_revision": "abc", "model_version": 3, "scenarios": {}}
    current = {**stored, "git_revision": "def", "model_version": 4}
    changes = describe_changes(stored, current)
    assert changes == [
        "the git revision of the code (abc -> def)",
        "the model version (3 -> 4)",
    ]


def test_an_old_folder_is_read_but_resuming_it_is_refused_in_one_line(small_grid, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_grid, out)
    record = json.loads((out / "provenance.json").read_text())
    for key in ("fingerprint", "resolved_scenarios", "layout"):
        record.pop(key)
    (out / "provenance.json").write_text(json.dumps(record))
    assert len(load_results(out).outcomes) == 8
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--resume", "--workers", "1"]) == 2
    line = error_line(capsys.readouterr().err)
    assert "can still be read and analysed" in line and "run it again into a new --out" in line


# --------------------------------------------------------------------------- lost workers


def test_a_killed_worker_is_replaced_and_its_batch_retried(worker_path, reference, tmp_path):
    executor, capacity, close = make_executor(workers=2)
    assert isinstance(executor, ProcessPool)
    killed: list[int] = []

    def kill_one_worker() -> None:
        wait_until(lambda: executor._pool._processes, 30, "workers started")  # noqa: SLF001
        time.sleep(0.5)  # inside a batch
        pid = next(iter(executor._pool._processes))  # noqa: SLF001
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    import threading

    killer = threading.Thread(target=kill_one_worker)
    spec = spec_of(levels=(1, 2, 4, 5), replications=2)
    try:
        killer.start()
        summary = quick(
            tmp_path / "out",
            spec,
            target=CallableTarget(slow),
            executor=executor,
            capacity=capacity,
            batch_size=2,
        )
    finally:
        killer.join()
        close()
    assert killed
    assert (summary.done, summary.failed) == (8, 0)
    results = load_results(tmp_path / "out")
    assert results.complete and results.outcomes["run_id"].tolist() == list(range(8))
    np.testing.assert_array_equal(results.outcomes["y"], 10.0 * results.outcomes["x"])
    draws = [float(np.random.default_rng(seed).random()) for seed in results.outcomes["seed"]]
    assert results.outcomes["draw"].tolist() == draws
    assert results.manifest["state"] == "finished"


def assert_worker_died_recorded(out: Path, replications: int = 2) -> None:
    results = load_results(out)
    assert results.complete and results.manifest["state"] == "finished"
    failures = results.failures
    assert set(failures["x"]) == {KILLING_X} and len(failures) == replications
    assert set(failures["error"]) == {WORKER_DIED}
    assert len(results.outcomes) == 4 * replications
    assert KILLING_X not in set(results.outcomes["x"])
    assert (results.outcomes["y"] == 10.0 * results.outcomes["x"]).all()


def killing_spec(replications: int = 2) -> ExperimentSpec:
    return spec_of(levels=(1, 2, KILLING_X, 4, 5), replications=replications)


@pytest.mark.parametrize(
    "executor_kind", ["process-pool", pytest.param("dask-local", marks=pytest.mark.slow)]
)
def test_a_run_that_kills_its_worker_is_a_failed_run_and_the_sweep_goes_on(
    executor_kind, worker_path, tmp_path, caplog
):
    pool = executor_kind == "process-pool"
    executor, capacity, close = make_executor(**({"workers": 2} if pool else {"dask_local": 2}))
    try:
        with caplog.at_level(logging.WARNING, logger="smartspec.experiments"):
            summary = quick(
                tmp_path / "out",
                killing_spec(replications=1),
                target=CallableTarget(self_killing),
                executor=executor,
                capacity=capacity,
                batch_size=3,
            )
    finally:
        close()
    assert (summary.planned, summary.done, summary.failed) == (5, 5, 1)
    assert_worker_died_recorded(tmp_path / "out", replications=1)
    assert "retrying each on its own" in caplog.text
    assert ("starting the process pool again" in caplog.text) == pool


# ------------------------------------------------------------------ SIGTERM, parent death

SLEEPY = """
import sys
from pathlib import Path
from experiment_helpers import slow
from smartspec.experiments import CallableTarget, ExperimentSpec, make_executor, run_experiment

spec = ExperimentSpec.model_validate({
    "name": "sleepy", "outcomes": {"final": ["innovation_index"]},
    "design": {"kind": "grid", "replications": 1, "seed": 4},
    "parameters": [{"name": "x", "path": "x", "levels": [1, 2, 3, 4]},
                   {"name": "sleep", "path": "sleep", "levels": [60.0]}],
})
executor, capacity, close = make_executor(workers=2)
print("started", flush=True)
run_experiment(spec, Path(sys.argv[1]), "sleepy", target=CallableTarget(slow),
               executor=executor, capacity=capacity, batch_size=1)
"""


def test_workers_die_with_their_parent(tmp_path):
    process = python_process(SLEEPY, str(tmp_path / "out"))
    try:
        assert process.stdout.readline().strip() == "started"
        wait_until(lambda: len(children_of(process.pid)) >= 3, 30, "two workers running")
        time.sleep(1.0)  # the workers are inside their minute-long runs
        workers = children_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        wait_until(lambda: not any(alive(pid) for pid in workers), 10, "workers gone")
    finally:
        if process.poll() is None:
            process.kill()
        finish(process)


# The interruptible experiment of test_experiments.py, smaller: 12 runs.
SIGTERM_EXPERIMENT = LONG_EXPERIMENT.replace("samples = 20", "samples = 12").replace(
    "replications = 2", "replications = 1"
)


@pytest.mark.slow
def test_sigterm_stops_like_ctrl_c_and_reaps_the_workers(tmp_path):
    path = tmp_path / "terminated.toml"
    path.write_text(SIGTERM_EXPERIMENT, encoding="utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [PYTHON, "-m", "smartspec", "sweep", str(path), "--out", str(out), "--workers", "2"]
        + ["--batch-size", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        wait_until(lambda: len(list((out / "runs").glob("batch-*"))) >= 2, 120, "two batches")
        workers = children_of(process.pid)
        os.kill(process.pid, signal.SIGTERM)  # `kill PID`, `timeout`: the parent only
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 128 + signal.SIGTERM, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("smartspec: interrupted: ") and "--resume" in last
    wait_until(lambda: not any(alive(pid) for pid in workers), 10, "workers reaped")
    state = manifest(out)
    assert state["state"] == "interrupted" and "--resume" in state["resume"]
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]) == 0
    assert load_results(out).complete


# -------------------------------------------------------------------------- damaged files


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage(out: Path, case: str) -> Path:
    """Damage a finished folder; returns the file that a resume must move aside."""
    runs = sorted((out / "runs").glob("batch-*.parquet"))
    series = out / "series" / runs[1].name
    if case == "truncated-runs":
        _truncate(runs[1])
        return runs[1]
    if case == "empty-runs":
        runs[1].write_bytes(b"")
        return runs[1]
    if case == "stray-batch":
        stray = out / "runs" / "batch-00000090-00000091.parquet"
        shutil.copy(runs[1], stray)
        return stray
    if case == "foreign-name":
        stray = out / "runs" / "batch-copy.parquet"
        stray.write_text("notes")
        return stray
    if case == "twice":
        twice = out / "runs" / "batch-00000002-00000004.parquet"
        shutil.copy(runs[1], twice)
        shutil.copy(series, out / "series" / twice.name)
        return twice
    if case == "truncated-series":
        _truncate(series)
        return runs[1]
    if case == "missing-series":
        series.unlink()
        return runs[1]
    raise AssertionError(case)


DAMAGES = [
    "truncated-runs",
    "empty-runs",
    "stray-batch",
    "foreign-name",
    "twice",
    "truncated-series",
    "missing-series",
]


@pytest.mark.parametrize("case", DAMAGES)
def test_resume_quarantines_a_damaged_batch_and_reruns_its_runs(case, reference, tmp_path, caplog):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    moved = damage(out, case)
    (out / "series" / ".tmp-leftover.parquet").write_bytes(b"partial")
    with caplog.at_level(logging.WARNING, logger="smartspec.experiments"):
        summary = quick(out, resume=True)
    lines = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(lines) == 1 and str(moved) in lines[0] and "will run again" in lines[0]
    assert moved.with_name(moved.name + ".damaged").exists()
    assert not list(out.rglob(".tmp-*"))
    assert summary.done == summary.planned == 8
    pd.testing.assert_frame_equal(outcomes(out), outcomes(reference), check_exact=True)
    pd.testing.assert_frame_equal(
        load_results(out).series, load_results(reference).series, check_exact=True
    )
    assert manifest(out)["state"] == "finished"


def test_a_damaged_manifest_is_rebuilt_on_resume_and_named_on_load(reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / "manifest.json").write_text('{"planned": 8, "do')
    with pytest.raises(StoreError, match=r"manifest.json: damaged \(JSONDecodeError\)"):
        load_results(out)
    quick(out, resume=True)
    assert manifest(out)["state"] == "finished" and manifest(out)["done"] == 8


@pytest.mark.parametrize("name", ["provenance.json", "design.parquet"])
def test_a_damaged_provenance_or_design_is_one_line(name, small_grid, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_grid, out)
    _truncate(out / name)
    for arguments in (
        ["sweep", str(SMALL_GRID), "--out", str(out), "--resume", "--workers", "1"],
        ["analyze", str(out)],
    ):
        assert main(arguments) == 2
        line = error_line(capsys.readouterr().err)
        assert f"{out / name}: damaged" in line


def test_a_damaged_batch_is_named_when_loading(reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    moved = damage(out, "truncated-runs")
    with pytest.raises(StoreError, match="damaged .*--resume"):
        load_results(out)
    assert moved.exists()


# --------------------------------------------------------------------- more replications


def test_adding_replications_keeps_every_run_and_matches_a_fresh_experiment(tmp_path):
    extended, fresh = tmp_path / "extended", tmp_path / "fresh"
    quick(extended, spec_of(replications=2))
    before = load_results(extended)
    summary = quick(extended, spec_of(replications=5), resume=True)
    assert (summary.planned, summary.skipped, summary.done) == (20, 8, 20)
    quick(fresh, spec_of(replications=5))

    after = load_results(extended)
    # earlier runs keep their ids, seeds and values; new ones are numbered after them
    kept = after.inputs.set_index("run_id").loc[before.inputs["run_id"]].reset_index()
    pd.testing.assert_frame_equal(kept[before.inputs.columns], before.inputs, check_like=True)
    assert sorted(after.inputs["run_id"]) == list(range(20))
    # the same runs as an experiment started with five replications (common random numbers)
    key = ["point", "replication"]
    got = after.outcomes.drop(columns=["run_id", *TIMING]).sort_values(key)
    expected = outcomes(fresh).drop(columns="run_id").sort_values(key)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True
    )
    record = after.provenance
    assert record["replication_segments"] == [2, 5]
    assert record["design"]["replications"] == 5
    assert [(e["from_replications"], e["to_replications"]) for e in record["extensions"]] == [
        (2, 5)
    ]
    with pytest.raises(StoreError, match="already has 5 replications"):
        quick(extended, spec_of(replications=3), resume=True)


def test_sweep_and_compare_resume_with_more_reps(small_grid, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_grid, out)
    sweep = ["sweep", str(SMALL_GRID), "--out", str(out), "--resume", "--workers", "1"]
    assert main([*sweep, "--reps", "3"]) == 0
    assert "12 of 12 runs done (0 failed, 8 from before)" in capsys.readouterr().out
    results = load_results(out)
    assert results.complete and sorted(results.outcomes["replication"].unique()) == [0, 1, 2]
    original = load_results(small_grid).outcomes.drop(columns=TIMING)
    kept = results.outcomes.drop(columns=TIMING).set_index("run_id").loc[original["run_id"]]
    pd.testing.assert_frame_equal(kept.reset_index()[original.columns], original, check_exact=True)

    compare = tmp_path / "compare"
    base = ["compare", "emerging", "--mix", "baseline", "--mix", "capacity_first"]
    base += ["--steps", "2", "--set", "regions.0.firms=60", "--out", str(compare)]
    assert main([*base, "--reps", "1", "--workers", "1"]) == 0
    assert main([*base, "--reps", "2", "--resume", "--workers", "1"]) == 0
    assert "4 of 4 runs done (0 failed, 2 from before)" in capsys.readouterr().out
    assert load_results(compare).provenance["replication_segments"] == [1, 2]


def test_calibrate_resume_refuses_another_function_or_revision(tmp_path):
    from calibration_toy import observation, slow_toy, toy, toy_spec

    from smartspec.experiments.calibration import calibrate
    from smartspec.experiments.calibration.engine import calibration_fingerprint
    from smartspec.model.version import MODEL_VERSION

    spec = toy_spec(observation(np.random.default_rng(1)), seed=0)
    out = tmp_path / "out"
    out.mkdir()
    (out / "calibration.toml").write_text("toy")
    record = {"model_version": MODEL_VERSION, "fingerprint": calibration_fingerprint(spec, toy)}
    (out / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(StoreError, match="changed since it started: what a run executes"):
        calibrate(spec, out, "toy", function=slow_toy, resume=True)
    record["fingerprint"]["git_revision"] = "0123abc"
    (out / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(StoreError, match=r"the git revision of the code \(0123abc -> "):
        calibrate(spec, out, "toy", function=toy, resume=True)
