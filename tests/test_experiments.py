"""The experiments layer: designs and seeds, experiment-file validation, failures as data,
identical results on every executor (sequential, process pool, Dask LocalCluster, a real Dask
scheduler with worker processes), resume after SIGKILL and Ctrl-C, generic targets, and the
``sweep`` and ``compare`` commands end to end.

Runs are small (120-150 firms, 6-8 quarters) so that the whole file takes well under two
minutes; every subprocess is stopped in a ``finally`` block or fixture teardown.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import FAILING_X, RandomWalk, flaky

from smartspec.cli import main
from smartspec.experiments import (
    CallableTarget,
    ExperimentError,
    ExperimentSpec,
    MesaTarget,
    build_design,
    bundled_experiments,
    load_experiment,
    load_results,
    make_executor,
    replication_seeds,
    run_experiment,
)
from smartspec.experiments.examples import ADDITIVE_WEIGHTS, additive

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
SMALL_GRID = DATA / "experiment_small_grid.toml"
PYTHON = sys.executable
DASK = Path(sys.executable).parent / "dask"
#: Timing is measured, not simulated: it is the one column that may differ between executions.
TIMING = ["seconds"]


# ----------------------------------------------------------------------------------- helpers


def spec_of(**fields) -> ExperimentSpec:
    """An ExperimentSpec built in Python (no scenario checks), with a placeholder outcome."""
    fields.setdefault("name", "test")
    fields.setdefault("outcomes", {"final": ["innovation_index"]})
    return ExperimentSpec.model_validate(fields)


def uniform(name: str, low: float, high: float, **extra) -> dict:
    return {"name": name, "path": name, "range": [low, high], **extra}


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def outcomes_of(out: Path) -> pd.DataFrame:
    return load_results(out).outcomes.drop(columns=TIMING)


def assert_same_results(out: Path, reference: Path) -> None:
    """Outcomes (without timing) and series identical to the last bit."""
    got, expected = load_results(out), load_results(reference)
    pd.testing.assert_frame_equal(
        got.outcomes.drop(columns=TIMING), expected.outcomes.drop(columns=TIMING), check_exact=True
    )
    pd.testing.assert_frame_equal(got.series, expected.series, check_exact=True)
    pd.testing.assert_frame_equal(got.inputs, expected.inputs, check_exact=True)


def batch_files(out: Path, kind: str = "runs") -> list[Path]:
    folder = out / kind
    return sorted(folder.glob("batch-*.parquet")) if folder.is_dir() else []


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def error_line(err: str) -> str:
    """The one stderr line of a usage error (fails if there is more than one line)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("smartspec: error: "), lines[0]
    assert "Traceback" not in err
    return lines[0]


def smartspec_process(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "smartspec", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a subprocess we started (kill it if it does not go)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_batches(process: subprocess.Popen, out: Path, count: int, timeout: float = 60) -> int:
    """Poll ``out/runs`` until ``count`` batch files exist; returns how many there are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = len(batch_files(out))
        if found >= count:
            return found
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"sweep ended (code {process.returncode}) before {count} batches:\n{err}")
        time.sleep(0.005)
    pytest.fail(f"no {count} batch files in {out} after {timeout} s")


# ------------------------------------------------------------------------------------ designs


def test_comparison_design_is_scenarios_times_mixes_times_replications():
    spec = spec_of(
        design={
            "kind": "comparison",
            "scenarios": ["emerging", "moderate"],
            "mixes": ["baseline", "cluster_led", "capacity_first"],
            "replications": 4,
        }
    )
    design = build_design(spec)
    inputs = design.inputs()
    assert len(design.tasks) == len(inputs) == 2 * 3 * 4
    assert len(design.points) == 6
    assert inputs["run_id"].tolist() == list(range(24))
    counts = inputs.groupby(["scenario", "mix"]).size()
    assert len(counts) == 6 and set(counts) == {4}
    assert set(inputs["replication"]) == {0, 1, 2, 3}


def test_grid_design_is_the_full_factorial_times_replications():
    spec = spec_of(
        design={"kind": "grid", "replications": 3},
        parameters=[
            {"name": "budget", "path": "b", "levels": [5.0, 25.0, 60.0]},
            {"name": "priorities", "path": "p", "levels": [2, 8], "integer": True},
        ],
    )
    inputs = build_design(spec).inputs()
    assert len(inputs) == 3 * 2 * 3
    combinations = set(zip(inputs["budget"], inputs["priorities"], strict=True))
    assert combinations == {(b, p) for b in (5.0, 25.0, 60.0) for p in (2, 8)}
    assert inputs.groupby(["budget", "priorities"]).size().eq(3).all()
    assert inputs["priorities"].dtype == np.int64


SAMPLED = [
    # kind, extra design settings, runs per replication for D = 3 parameters
    ("lhs", {"samples": 10}, 10),
    ("sobol", {"samples": 8, "second_order": True}, 8 * (2 * 3 + 2)),
    ("sobol", {"samples": 8, "second_order": False}, 8 * (3 + 2)),
    ("morris", {"samples": 5, "levels": 4}, 5 * (3 + 1)),
]


@pytest.mark.parametrize(("kind", "settings", "per_replication"), SAMPLED)
def test_sampled_design_sizes_ranges_and_integers(kind, settings, per_replication):
    spec = spec_of(
        design={"kind": kind, "replications": 2, **settings},
        parameters=[
            uniform("budget", 5.0, 60.0),
            uniform("quality", 0.1, 0.7),
            uniform("firms", 100, 300, integer=True),
        ],
    )
    design = build_design(spec)
    inputs = design.inputs()
    assert len(design.tasks) == len(inputs) == 2 * per_replication
    assert len(design.points) == per_replication
    for name, low, high in (("budget", 5.0, 60.0), ("quality", 0.1, 0.7), ("firms", 100, 300)):
        assert inputs[name].between(low, high).all(), name
    assert inputs["firms"].dtype == np.int64
    assert all(type(task.values["firms"]) is int for task in design.tasks)
    assert all(type(task.values["budget"]) is float for task in design.tasks)
    assert design.problem["names"] == ["budget", "quality", "firms"]
    assert design.problem["num_vars"] == 3


def test_latin_hypercube_hits_every_stratum_once():
    samples = 12
    spec = spec_of(
        design={"kind": "lhs", "samples": samples, "seed": 5},
        parameters=[uniform("a", 0.0, 1.0), uniform("b", -3.0, 9.0)],
    )
    points = build_design(spec).points
    for name, low, high in (("a", 0.0, 1.0), ("b", -3.0, 9.0)):
        strata = np.floor((points[name] - low) / (high - low) * samples).astype(int)
        assert sorted(strata) == list(range(samples)), name


def test_morris_values_lie_on_the_level_grid():
    spec = spec_of(
        design={"kind": "morris", "samples": 6, "levels": 4},
        parameters=[uniform("a", 2.0, 8.0), uniform("b", 0.0, 0.3)],
    )
    points = build_design(spec).points
    for name, low, high in (("a", 2.0, 8.0), ("b", 0.0, 0.3)):
        grid = low + np.arange(4) / 3 * (high - low)
        distance = np.abs(points[name].to_numpy()[:, None] - grid[None, :]).min(axis=1)
        assert distance.max() < 1e-9, name


DESIGN_KINDS = {
    "comparison": {"design": {"kind": "comparison", "mixes": ["baseline", "cluster_led"]}},
    "grid": {
        "design": {"kind": "grid"},
        "parameters": [{"name": "a", "path": "a", "levels": [1.0, 2.0, 3.0]}],
    },
    "lhs": {"design": {"kind": "lhs", "samples": 5}, "parameters": [uniform("a", 0.0, 1.0)]},
    "sobol": {"design": {"kind": "sobol", "samples": 4}, "parameters": [uniform("a", 0.0, 1.0)]},
    "morris": {"design": {"kind": "morris", "samples": 3}, "parameters": [uniform("a", 0, 1)]},
}


@pytest.mark.parametrize("kind", sorted(DESIGN_KINDS))
def test_replication_seeds_are_common_random_numbers(kind):
    fields = DESIGN_KINDS[kind]
    spec = spec_of(**{**fields, "design": {**fields["design"], "replications": 5, "seed": 99}})
    inputs = build_design(spec).inputs()
    assert inputs["point"].nunique() >= 2
    by_replication = inputs.groupby("replication")["seed"]
    # the same seed at every design point for a replication ...
    assert by_replication.nunique().eq(1).all()
    seeds = by_replication.first().tolist()
    # ... distinct seeds across replications, spawned from the master seed
    assert len(set(seeds)) == 5
    assert seeds == replication_seeds(99, 5)
    assert all(0 <= seed < 2**63 for seed in seeds)
    # every point has every replication exactly once
    assert inputs.groupby("point")["replication"].apply(sorted).map(tuple).nunique() == 1


@pytest.mark.parametrize("kind", sorted(DESIGN_KINDS))
def test_same_master_seed_same_design_other_seed_other_design(kind):
    fields = DESIGN_KINDS[kind]

    def inputs(seed: int) -> pd.DataFrame:
        design = {**fields["design"], "replications": 3, "seed": seed}
        return build_design(spec_of(**{**fields, "design": design})).inputs()

    pd.testing.assert_frame_equal(inputs(7), inputs(7), check_exact=True)
    first, other = inputs(7), inputs(8)
    assert set(first["seed"]).isdisjoint(other["seed"])
    if kind in ("lhs", "sobol", "morris"):
        assert not np.array_equal(first["a"].to_numpy(), other["a"].to_numpy())


def test_seeds_are_recorded_per_run_and_are_the_seeds_used(tmp_path):
    """design.parquet holds each run's seed; the run's random draws come from that seed."""
    spec = spec_of(
        design={"kind": "lhs", "samples": 4, "replications": 3, "seed": 3},
        parameters=[uniform("x1", 0.0, 1.0), uniform("noise", 0.5, 1.0)],
    )
    out = tmp_path / "out"
    run_experiment(spec, out, "lhs", target=CallableTarget(additive))
    recorded = pd.read_parquet(out / "design.parquet")
    pd.testing.assert_frame_equal(recorded, build_design(spec).inputs(), check_exact=True)
    assert recorded.groupby("replication")["seed"].nunique().eq(1).all()
    results = load_results(out).outcomes
    for row in results.itertuples():
        noise = np.random.default_rng(row.seed).normal(0.0, row.noise)
        assert row.y == pytest.approx(ADDITIVE_WEIGHTS["x1"] * row.x1 + noise, abs=1e-12)


def test_bundled_experiments_load_and_have_the_documented_sizes():
    sizes = {}
    for path in bundled_experiments():
        spec, _ = load_experiment(path.stem)
        sizes[path.stem] = len(build_design(spec).tasks)
    assert sizes["emerging_mixes"] == 5 * 20
    assert sizes["sobol_emerging"] == 256 * (2 * 10 + 2) == 5632
    assert sizes["morris_screening"] == 20 * (24 + 1) == 500


# --------------------------------------------------------------------- bad experiment files

HEAD = """
name = "bad"

[model]
scenario = "emerging"
steps = 4
"""
LHS = """
[design]
kind = "lhs"
samples = 4
"""
BUDGET = """
[[parameters]]
name = "budget"
path = "regions.0.government.budget_share"
range = [0.0005, 0.01]
"""
OUTCOMES = """
[outcomes]
final = ["innovation_index"]
"""


def experiment(
    head: str = HEAD, design: str = LHS, parameters: str = BUDGET, outcomes: str = OUTCOMES
) -> str:
    return (
        textwrap.dedent(head)
        + textwrap.dedent(design)
        + textwrap.dedent(parameters)
        + (textwrap.dedent(outcomes))
    )


def without_range(kind: str, extra: str = "") -> str:
    design = f'[design]\nkind = "{kind}"\nsamples = 4\n{extra}'
    return experiment(design=design, parameters=BUDGET.replace("range = [0.0005, 0.01]\n", ""))


def parameter(path: str, values: str) -> str:
    return f'[[parameters]]\nname = "p"\npath = "{path}"\n{values}\n'


#: (id, file text or None for a missing file, fragments the one-line message must contain)
BAD_FILES = [
    ("unknown-top-level-key", experiment(head=HEAD + "colour = 1\n"), ["colour", "unknown field"]),
    (
        "unknown-model-key",
        experiment(head=HEAD.replace("steps = 4", "stepz = 4")),
        ["model.stepz", "unknown field"],
    ),
    (
        "unknown-design-key",
        experiment(design=LHS + "sampels = 8\n"),
        ["design.sampels", "unknown field"],
    ),
    (
        "unknown-parameter-key",
        experiment(parameters=BUDGET + "rnage = [1, 2]\n"),
        ["parameters[0].rnage", "unknown field"],
    ),
    (
        "unknown-outcomes-key",
        experiment(outcomes=OUTCOMES + 'finall = ["firms"]\n'),
        ["outcomes.finall", "unknown field"],
    ),
    (
        "unknown-design-kind",
        experiment(design='[design]\nkind = "factorial"\n'),
        ["design.kind", "factorial"],
    ),
    (
        "sobol-samples-not-power-of-two",
        experiment(design='[design]\nkind = "sobol"\nsamples = 12\n'),
        ["design", "power of 2", "12"],
    ),
    ("lhs-without-range", without_range("lhs"), ["parameters[0]", "budget", "lhs needs range"]),
    (
        "sobol-without-range",
        without_range("sobol"),
        ["parameters[0]", "budget", "sobol needs range"],
    ),
    (
        "morris-without-range",
        without_range("morris"),
        ["parameters[0]", "budget", "morris needs range"],
    ),
    (
        "grid-without-levels",
        experiment(design='[design]\nkind = "grid"\n'),
        ["parameters[0]", "budget", "grid needs levels"],
    ),
    (
        "range-low-above-high",
        experiment(parameters=BUDGET.replace("[0.0005, 0.01]", "[0.01, 0.0005]")),
        ["parameters[0]", "range low must be below high"],
    ),
    (
        "range-low-equals-high",
        experiment(parameters=BUDGET.replace("[0.0005, 0.01]", "[0.0005, 0.0005]")),
        ["parameters[0]", "range low must be below high"],
    ),
    (
        "duplicate-parameter-names",
        experiment(parameters=BUDGET + BUDGET.replace("government.budget_share", "firms")),
        ["parameters[1].name", "duplicate name"],
    ),
    (
        "no-outcomes",
        experiment(outcomes="[outcomes]\nwindow = 4\n"),
        ["outcomes", "at least one outcome"],
    ),
    ("outcomes-table-missing", experiment(outcomes=""), ["outcomes", "required field is missing"]),
    (
        "unknown-outcome-indicator",
        experiment(outcomes='[outcomes]\nfinal = ["innovation_idx"]\n'),
        ["outcomes.final[0]", "unknown indicator 'innovation_idx'"],
    ),
    (
        "unknown-series-indicator",
        experiment(outcomes='[outcomes]\nseries = ["firms", "patents"]\n'),
        ["outcomes.series[1]", "unknown indicator 'patents'"],
    ),
    (
        "parameter-path-not-a-scenario-field",
        experiment(parameters=parameter("regions.0.absorptive_capcity", "range = [0.1, 0.5]")),
        ["parameters[0].path", "regions.0.absorptive_capcity", "unknown field"],
    ),
    (
        "parameter-path-region-out-of-range",
        experiment(parameters=parameter("regions.3.firms", "range = [100, 200]")),
        ["parameters[0].path", "regions.3.firms", "no list item '3'"],
    ),
    (
        "parameter-value-invalid-for-field",
        experiment(parameters=parameter("regions.0.firms", "range = [-10, -5]")),
        ["parameters[0].path", "regions.0.firms"],
    ),
    (
        "unknown-mix-in-comparison",
        experiment(
            design='[design]\nkind = "comparison"\nmixes = ["baseline", "clusterled"]\n',
            parameters="",
        ),
        ["design.mixes[1]", "unknown mix 'clusterled'"],
    ),
    (
        "unknown-scenario-in-comparison",
        experiment(
            design='[design]\nkind = "comparison"\nscenarios = ["emerging", "atlantis"]\n',
            parameters="",
        ),
        ["design.scenarios[1]", "atlantis", "unknown scenario"],
    ),
    (
        "comparison-without-mixes-or-scenarios",
        experiment(design='[design]\nkind = "comparison"\n', parameters=""),
        ["design.mixes", "comparison needs"],
    ),
    (
        "outcomes-region-not-in-scenario",
        experiment(outcomes='[outcomes]\nregion = "Atlantis"\nfinal = ["firms"]\n'),
        ["outcomes.region", "no region 'Atlantis'", "Emerging"],
    ),
    (
        "replications-zero",
        experiment(design=LHS + "replications = 0\n"),
        ["design.replications", "greater than or equal to 1"],
    ),
    ("invalid-toml", experiment(head=HEAD.replace('"bad"', '"bad')), ["invalid TOML"]),
    ("missing-file", None, ["file not found"]),
]


@pytest.fixture(params=BAD_FILES, ids=[case[0] for case in BAD_FILES])
def bad_file(request, tmp_path) -> tuple[Path, list[str]]:
    _, text, fragments = request.param
    path = tmp_path / "bad_experiment.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return path, fragments


def test_bad_experiment_file_raises_one_line_naming_file_field_and_problem(bad_file):
    path, fragments = bad_file
    with pytest.raises(ExperimentError) as caught:
        load_experiment(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_bad_experiment_file_sweep_exits_2_with_one_line_and_writes_nothing(
    bad_file, tmp_path, capsys, monkeypatch
):
    path, fragments = bad_file
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    out = tmp_path / "results" / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    captured = capsys.readouterr()
    line = error_line(captured.err)
    assert str(path) in line
    for fragment in fragments:
        assert fragment in line
    assert captured.out == ""
    assert not out.exists() and not out.parent.exists()
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("case", ["unknown-parameter-key", "invalid-toml"])
@pytest.mark.slow
def test_bad_experiment_file_in_a_real_process(case, tmp_path):
    _, text, fragments = next(entry for entry in BAD_FILES if entry[0] == case)
    path = write(tmp_path / "bad.toml", text)
    done = smartspec_process("sweep", str(path), "--out", "out", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line = error_line(done.stderr)
    assert str(path) in line and all(fragment in line for fragment in fragments)
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_duplicate_parameter_error_names_the_duplicate(tmp_path):
    path = write(tmp_path / "dup.toml", experiment(parameters=BUDGET + BUDGET))
    with pytest.raises(ExperimentError) as caught:
        load_experiment(str(path))
    assert "budget" in str(caught.value)
    assert caught.value.field.startswith("parameters[1]")


@pytest.mark.parametrize(
    "values",
    ["range = [100, 200]", "levels = [100, -5]"],
    ids=["fractional-firms-from-range", "invalid-second-grid-level"],
)
def test_parameter_values_the_design_will_use_are_validated(values, tmp_path):
    design = LHS if values.startswith("range") else '[design]\nkind = "grid"\n'
    text = experiment(design=design, parameters=parameter("regions.0.firms", values))
    path = write(tmp_path / "firms.toml", text)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(str(path))
    assert "parameters[0]" in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--mix", "baseline", "--mix", "clusterled"], "unknown mix 'clusterled'"),
        (["--mix", "baseline"], "at least two mixes"),
        (["--mix", "baseline", "--mix", "cluster_led", "--set", "regions.0.firmz=5"], "firmz"),
    ],
    ids=["unknown-mix", "one-mix", "bad-set-path"],
)
def test_compare_bad_input_exits_2_with_one_line(arguments, fragment, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", "emerging", *arguments, "--reps", "2", "--out", str(out)])
    assert code == 2
    line = error_line(capsys.readouterr().err)
    assert fragment in line
    assert not out.exists()


# ------------------------------------------------------------------------ failures as data


def flaky_spec() -> ExperimentSpec:
    return spec_of(
        design={"kind": "grid", "replications": 2, "seed": 4},
        parameters=[{"name": "x", "path": "x", "levels": [1, 2, FAILING_X, 4, 5]}],
    )


@pytest.mark.parametrize("where", ["sequential", "process-pool"])
@pytest.mark.slow
def test_failing_runs_are_recorded_as_data_and_the_others_go_on(where, tmp_path, monkeypatch):
    spec = flaky_spec()
    out = tmp_path / where
    if where == "sequential":
        executor, capacity, close = make_executor(workers=1)
    else:
        # spawned workers import experiment_helpers by name: put tests/ on their path
        path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
        monkeypatch.setenv("PYTHONPATH", path)
        executor, capacity, close = make_executor(workers=2)
    try:
        summary = run_experiment(
            spec,
            out,
            "flaky",
            executor=executor,
            capacity=capacity,
            batch_size=3,
            target=CallableTarget(flaky),
        )
    finally:
        close()
    assert (summary.planned, summary.done, summary.failed) == (10, 10, 2)
    results = load_results(out)
    assert results.complete
    assert results.manifest["state"] == "finished"
    assert results.manifest["failed"] == 2 and results.manifest["done"] == 10

    failures = results.failures
    assert sorted(failures["run_id"]) == [4, 5]
    assert set(failures["x"]) == {FAILING_X}
    assert set(failures["error"]) == {f"ValueError: x={FAILING_X} is not allowed"}
    for text in failures["traceback"]:
        assert text.startswith("Traceback (most recent call last)")
        assert "experiment_helpers.py" in text and "raise ValueError" in text

    outcomes = results.outcomes
    assert sorted(outcomes["run_id"]) == [0, 1, 2, 3, 6, 7, 8, 9]  # runs after the failure too
    assert (outcomes["y"] == 10.0 * outcomes["x"]).all()
    assert not {"error", "traceback", "status"} & set(outcomes.columns)
    draws = [float(np.random.default_rng(seed).random()) for seed in outcomes["seed"]]
    assert outcomes["draw"].tolist() == draws
    assert sorted(results.series["run_id"].unique()) == sorted(outcomes["run_id"])
    assert (results.series.groupby("run_id").size() == 3).all()


def test_failures_do_not_depend_on_batching(tmp_path):
    frames = []
    for size in (1, 4, 10):
        run_experiment(
            flaky_spec(),
            tmp_path / str(size),
            "flaky",
            batch_size=size,
            target=CallableTarget(flaky),
        )
        frames.append(load_results(tmp_path / str(size)))
    for other in frames[1:]:
        pd.testing.assert_frame_equal(
            other.outcomes.drop(columns=TIMING),
            frames[0].outcomes.drop(columns=TIMING),
            check_exact=True,
        )
        pd.testing.assert_frame_equal(other.series, frames[0].series, check_exact=True)
        columns = ["run_id", "x", "error"]
        pd.testing.assert_frame_equal(
            other.failures[columns], frames[0].failures[columns], check_dtype=False
        )


def test_failures_table_dtypes_do_not_depend_on_batching(tmp_path):
    tables = []
    for size in (1, 10):
        out = tmp_path / str(size)
        run_experiment(flaky_spec(), out, "flaky", batch_size=size, target=CallableTarget(flaky))
        tables.append(load_results(out).failures.drop(columns=TIMING + ["traceback"]))
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


# ---------------------------------------------------------- identical results on every executor

EXECUTOR_EXPERIMENT = """
name = "executors"

[model]
scenario = "emerging"
steps = 8
set = { "regions.0.firms" = 150, "regions.0.citizen_groups" = 2 }

[design]
kind = "comparison"
mixes = ["baseline", "cluster_led"]
replications = 3
seed = 31

[outcomes]
final = ["innovation_index", "firms", "knowledge_per_firm"]
mean = ["innovating_share", "partnership_share"]
total = ["innovations"]
window = 4
series = ["innovation_index", "innovations", "network_density"]
"""


@pytest.fixture(scope="module")
def executor_experiment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("executors")
    path = write(folder / "executors.toml", EXECUTOR_EXPERIMENT)
    spec, _ = load_experiment(str(path))
    text = path.read_text(encoding="utf-8")
    reference = folder / "reference"
    summary = run_experiment(spec, reference, text, batch_size=6)
    assert (summary.done, summary.failed) == (6, 0)
    return spec, text, reference


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory):
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = []
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> None:
        log = open(folder / f"process-{len(processes)}.log", "w")
        logs.append(log)
        processes.append(
            subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        )

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        for _ in range(2):
            start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard")
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for process in reversed(processes):  # workers first, while the scheduler still runs
            stop(process, timeout=15)
        for log in logs:
            log.close()


EXECUTORS = [
    ("sequential", {"workers": 1}, 1),
    ("sequential", {"workers": 1}, None),
    ("process-pool", {"workers": 2}, 1),
    ("process-pool", {"workers": 2}, 4),
    ("dask-local-cluster", {"dask_local": 2}, 2),
    ("dask-scheduler", {}, 1),
    ("dask-scheduler", {}, 4),
]


@pytest.mark.parametrize(
    ("where", "options", "batch_size"),
    EXECUTORS,
    ids=[f"{where}-batch{size or 'auto'}" for where, _, size in EXECUTORS],
)
@pytest.mark.slow
def test_identical_results_on_every_executor(
    where, options, batch_size, executor_experiment, request, tmp_path
):
    spec, text, reference = executor_experiment
    if where == "dask-scheduler":
        options = {"scheduler": request.getfixturevalue("dask_scheduler")}
    executor, capacity, close = make_executor(**options)
    try:
        if where != "sequential":
            assert capacity == 2
        summary = run_experiment(
            spec,
            tmp_path / "out",
            text,
            executor=executor,
            capacity=capacity,
            batch_size=batch_size,
        )
    finally:
        close()
    assert (summary.planned, summary.done, summary.failed) == (6, 6, 0)
    if batch_size:
        assert len(batch_files(tmp_path / "out")) == -(-6 // batch_size)
    assert_same_results(tmp_path / "out", reference)
    results = load_results(tmp_path / "out")
    assert results.manifest["state"] == "finished"
    assert results.outcomes["run_id"].tolist() == list(range(6))
    assert sorted(results.outcomes["mix"].unique()) == ["baseline", "cluster_led"]
    steps = results.series.groupby("run_id")["step"].apply(list).tolist()
    assert steps == [list(range(9))] * 6
    assert list(results.series.columns) == [
        *results.inputs.columns,
        "step",
        "innovation_index",
        "innovations",
        "network_density",
    ]


def test_the_mixes_differ_but_replications_are_paired(executor_experiment):
    """Sanity check of the executor experiment: results are not trivially identical."""
    _, _, reference = executor_experiment
    outcomes = outcomes_of(reference)
    assert outcomes.groupby("replication")["seed"].nunique().eq(1).all()
    # Some outcome differs between the mixes (over 8 quarters of a small region not every
    # one does: the innovating share is the same under both at model version 7).
    columns = [name for name in outcomes.columns if name.startswith(("final_", "mean_", "total_"))]
    by_mix = outcomes.set_index(["replication", "mix"])[columns].unstack("mix")
    assert any(
        not np.array_equal(by_mix[(name, "baseline")], by_mix[(name, "cluster_led")])
        for name in columns
    )
    assert outcomes["final_innovation_index"].nunique() > 1


# ------------------------------------------------------------------- resume, SIGKILL, Ctrl-C

LONG_EXPERIMENT = """
name = "interruptible"

[model]
scenario = "emerging"
steps = 6
set = { "regions.0.firms" = 120, "regions.0.citizen_groups" = 2 }

[design]
kind = "lhs"
samples = 20
replications = 2
seed = 17

[[parameters]]
name = "budget"
path = "regions.0.government.budget_share"
range = [0.0005, 0.01]

[outcomes]
final = ["innovation_index", "firms"]
total = ["innovations"]
series = ["innovation_index", "innovations"]
"""
LONG_RUNS = 40


@pytest.fixture(scope="module")
def long_experiment(tmp_path_factory) -> tuple[Path, Path]:
    """The experiment file and an uninterrupted run of it (``smartspec sweep``, in-process)."""
    folder = tmp_path_factory.mktemp("interruptible")
    path = write(folder / "interruptible.toml", LONG_EXPERIMENT)
    reference = folder / "reference"
    assert main(["sweep", str(path), "--out", str(reference), "--workers", "1"]) == 0
    assert len(load_results(reference).outcomes) == LONG_RUNS
    return path, reference


def start_sweep(path: Path, out: Path, *extra: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "smartspec", "sweep", str(path), "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,  # its own process group, as in a terminal
    )


@pytest.mark.slow
def test_resume_after_sigkill_gives_the_uninterrupted_results(long_experiment, tmp_path, capsys):
    path, reference = long_experiment
    out = tmp_path / "out"
    process = start_sweep(path, out, "--workers", "1", "--batch-size", "1", cwd=tmp_path)
    try:
        wait_for_batches(process, out, 3)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    committed = len(batch_files(out))
    assert 3 <= committed < LONG_RUNS, "the sweep finished before it could be killed"
    assert manifest(out)["state"] == "running"

    # What is on disk is readable, and each committed run equals the reference run.
    partial = load_results(out)
    assert not partial.complete
    expected = outcomes_of(reference).set_index("run_id")
    got = partial.outcomes.drop(columns=TIMING).set_index("run_id")
    pd.testing.assert_frame_equal(got, expected.loc[got.index], check_exact=True)

    # Debris a kill can leave: a temporary file and a series batch whose runs never committed.
    (out / "runs" / ".tmp-leftover.parquet").write_bytes(b"partial")
    orphan = out / "series" / "batch-00000000-00000099.parquet"
    shutil.copy(batch_files(out, "series")[0], orphan)

    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert f"resuming: {committed} of {LONG_RUNS} runs already done" in captured.err
    assert f"{LONG_RUNS} of {LONG_RUNS} runs done (0 failed, {committed} from before)" in (
        captured.out
    )
    assert not orphan.exists() and not list((out / "runs").glob(".tmp-*"))

    assert_same_results(out, reference)
    results = load_results(out)
    assert results.complete
    assert results.outcomes["run_id"].is_unique
    assert results.outcomes["run_id"].tolist() == list(range(LONG_RUNS))
    assert not results.series.duplicated(["run_id", "step"]).any()
    state = manifest(out)
    assert state["state"] == "finished"
    assert (state["planned"], state["done"], state["failed"]) == (LONG_RUNS, LONG_RUNS, 0)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_printed_command_resumes(workers, long_experiment, tmp_path):
    path, reference = long_experiment
    out = tmp_path / "out"
    process = start_sweep(path, out, "--workers", workers, "--batch-size", "1", cwd=tmp_path)
    try:
        wait_for_batches(process, out, 2 if workers == "1" else 4)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
    assert process.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("smartspec: interrupted: "), last
    assert "--resume" in last and str(out) in last
    saved = int(re.search(r"interrupted: (\d+) of (\d+) runs", last).group(1))
    assert saved == len(batch_files(out)) < LONG_RUNS
    state = manifest(out)
    assert state["state"] == "interrupted" and state["done"] == saved

    command = shlex.split(last.split("continue with: ", 1)[1])
    assert command[:2] == ["smartspec", "sweep"] and command[-1] == "--resume"
    done = smartspec_process(*command[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"(0 failed, {saved} from before)" in done.stdout
    assert_same_results(out, reference)
    assert manifest(out)["state"] == "finished"
    assert load_results(out).outcomes["run_id"].is_unique


@pytest.fixture(scope="module")
def small_grid_sweep(tmp_path_factory) -> Path:
    """``smartspec sweep tests/data/experiment_small_grid.toml`` run in-process."""
    out = tmp_path_factory.mktemp("small_grid") / "out"
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--workers", "1"]) == 0
    return out


def test_resume_of_a_finished_experiment_runs_nothing_new(small_grid_sweep, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_grid_sweep, out)
    before = {path.name: path.stat().st_mtime_ns for path in batch_files(out)}
    code = main(["sweep", str(SMALL_GRID), "--out", str(out), "--resume", "--workers", "1"])
    assert code == 0
    assert "8 of 8 runs done (0 failed, 8 from before)" in capsys.readouterr().out
    assert {path.name: path.stat().st_mtime_ns for path in batch_files(out)} == before
    assert_same_results(out, small_grid_sweep)
    assert manifest(out)["state"] == "finished"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def other_experiment(tmp_path: Path) -> Path:
    text = SMALL_GRID.read_text(encoding="utf-8").replace("seed = 11", "seed = 12")
    return write(tmp_path / "other.toml", text)


def refusal(case: str, finished: Path, tmp_path: Path) -> tuple[list[str], Path, str]:
    """The arguments of a sweep that must be refused, the folder it names, the problem."""
    out = tmp_path / "out"
    if case == "new-into-existing":
        shutil.copytree(finished, out)
        return ["sweep", str(SMALL_GRID), "--out", str(out)], out, "already holds an experiment"
    if case == "resume-other-file":
        shutil.copytree(finished, out)
        arguments = ["sweep", str(other_experiment(tmp_path)), "--out", str(out), "--resume"]
        return arguments, out, "changed since it started: the experiment definition"
    return ["sweep", str(SMALL_GRID), "--out", str(out), "--resume"], out, "no experiment"


REFUSALS = ["new-into-existing", "resume-other-file", "resume-nothing"]


@pytest.mark.parametrize("case", REFUSALS)
def test_sweep_refuses_to_mix_experiments_and_changes_nothing(
    case, small_grid_sweep, tmp_path, capsys
):
    arguments, out, problem = refusal(case, small_grid_sweep, tmp_path)
    before = snapshot(out) if out.exists() else None
    assert main([*arguments, "--workers", "1"]) == 2
    captured = capsys.readouterr()
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("smartspec: error: ") and problem in last and str(out) in last
    assert "Traceback" not in captured.err and captured.out == ""
    if before is None:
        assert not out.exists()
    else:
        assert snapshot(out) == before


def test_sweep_out_that_is_a_file_exits_2_with_one_line(tmp_path, capsys):
    out = write(tmp_path / "out", "not a folder\n")
    assert main(["sweep", str(SMALL_GRID), "--out", str(out / "sub"), "--workers", "1"]) == 2
    line = error_line(capsys.readouterr().err)
    assert "--out" in line and "is not a folder" in line
    assert out.read_text() == "not a folder\n"


@pytest.mark.parametrize("case", REFUSALS)
def test_sweep_refusal_is_one_line(case, small_grid_sweep, tmp_path, capsys):
    arguments, _, problem = refusal(case, small_grid_sweep, tmp_path)
    assert main([*arguments, "--workers", "1"]) == 2
    assert problem in error_line(capsys.readouterr().err)


# ------------------------------------------------------------------------- generic targets


def test_mesa_target_runs_any_mesa_model_with_common_random_numbers(tmp_path):
    spec = spec_of(
        design={"kind": "grid", "replications": 3, "seed": 8},
        parameters=[{"name": "drift", "path": "drift", "levels": [0.0, 1.0]}],
    )
    target = MesaTarget(RandomWalk, steps=5, fixed={"n": 40})
    summary = run_experiment(spec, tmp_path / "out", "walk", target=target, batch_size=2)
    assert (summary.done, summary.failed) == (6, 0)
    results = load_results(tmp_path / "out")
    outcomes = results.outcomes
    assert {"final_mean_position", "final_spread"} <= set(outcomes.columns)
    assert set(results.series.columns) == {
        *results.inputs.columns,
        "step",
        "mean_position",
        "spread",
    }
    steps = results.series.groupby("run_id")["step"].apply(list).tolist()
    assert steps == [list(range(6))] * 6

    # each run is the model class run directly with the recorded seed
    for row in outcomes.itertuples():
        model = RandomWalk(n=40, drift=row.drift, rng=row.seed)
        for _ in range(5):
            model.step()
        assert row.final_mean_position == float(model.positions.mean())
        assert row.final_spread == float(model.positions.std())

    # common random numbers: same noise at both drifts, so the paired difference is 5 x 1.0
    paired = outcomes.pivot(index="replication", columns="drift", values="final_mean_position")
    np.testing.assert_allclose(paired[1.0] - paired[0.0], 5.0, rtol=0, atol=1e-9)
    assert paired[0.0].nunique() == 3


def test_callable_target_scalars_and_series(tmp_path):
    spec = spec_of(
        design={"kind": "lhs", "samples": 16, "replications": 2, "seed": 21},
        parameters=[uniform(name, 0.0, 1.0) for name in ADDITIVE_WEIGHTS],
    )
    summary = run_experiment(spec, tmp_path / "out", "additive", target=CallableTarget(additive))
    assert (summary.planned, summary.done, summary.failed) == (32, 32, 0)
    results = load_results(tmp_path / "out")
    outcomes = results.outcomes
    expected = sum(weight * outcomes[name] for name, weight in ADDITIVE_WEIGHTS.items())
    np.testing.assert_allclose(outcomes["y"], expected, rtol=0, atol=1e-12)
    series = results.series
    assert list(series.columns) == [*results.inputs.columns, "step", "trace"]
    assert (series.groupby("run_id").size() == 5).all()
    last = series.groupby("run_id")["trace"].last()
    np.testing.assert_allclose(last.to_numpy(), outcomes.set_index("run_id")["y"].to_numpy())
    assert (series.groupby("run_id")["trace"].first() == 0.0).all()


def test_sobol_design_in_run_order_recovers_the_analytical_indices(tmp_path):
    """Run ids follow SALib's sample order, so the stored outcomes feed SALib's analyzer."""
    from SALib.analyze import sobol

    spec = spec_of(
        design={"kind": "sobol", "samples": 256, "second_order": False, "seed": 2},
        parameters=[uniform(name, 0.0, 1.0) for name in ADDITIVE_WEIGHTS],
    )
    design = build_design(spec)
    run_experiment(spec, tmp_path / "out", "sobol", target=CallableTarget(additive), design=design)
    outcomes = load_results(tmp_path / "out", series=False).outcomes
    assert len(outcomes) == 256 * (4 + 2)
    indices = sobol.analyze(
        design.problem, outcomes["y"].to_numpy(), calc_second_order=False, seed=2
    )
    total = sum(weight**2 for weight in ADDITIVE_WEIGHTS.values())
    expected = [weight**2 / total for weight in ADDITIVE_WEIGHTS.values()]
    np.testing.assert_allclose(indices["S1"], expected, atol=0.06)
    np.testing.assert_allclose(indices["ST"], expected, atol=0.06)


# ------------------------------------------------------------------------- CLI end to end


def test_sweep_end_to_end_writes_the_documented_files(small_grid_sweep, capsys):
    out = small_grid_sweep
    for name in ("design.parquet", "provenance.json", "manifest.json", "experiment.toml"):
        assert (out / name).is_file(), name
    assert len(batch_files(out)) >= 1 and len(batch_files(out, "series")) >= 1
    assert not list(out.rglob(".tmp-*"))
    assert (out / "experiment.toml").read_text() == SMALL_GRID.read_text()

    spec, _ = load_experiment(str(SMALL_GRID))
    design = build_design(spec)
    recorded = pd.read_parquet(out / "design.parquet")
    pd.testing.assert_frame_equal(recorded, design.inputs(), check_exact=True)
    assert len(recorded) == 2 * 2 * 2

    record = json.loads((out / "provenance.json").read_text())
    assert {"experiment", "design", "versions", "git", "command_line", "started"} <= set(record)
    assert record["experiment"] == spec.model_dump(mode="json")
    assert record["design"]["replication_seeds"] == replication_seeds(11, 2)
    assert record["design"]["master_seed"] == 11
    assert record["command_line"] == [
        "smartspec",
        "sweep",
        str(SMALL_GRID),
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    assert {"python", "smartspec", "mesa", "numpy", "pandas"} <= set(record["versions"])
    assert {"revision", "dirty"} <= set(record["git"])
    assert datetime.fromisoformat(record["started"]).tzinfo is not None

    state = manifest(out)
    assert state["state"] == "finished"
    assert (state["planned"], state["done"], state["failed"]) == (8, 8, 0)
    assert "finished" in state

    results = load_results(out)
    assert results.complete and results.failures.empty
    expected_columns = {
        "final_innovation_index",
        "final_firms",
        "mean_innovating_share",
        "total_innovations",
    }
    assert expected_columns <= set(results.outcomes.columns)
    assert set(results.series.columns) == {
        *results.inputs.columns,
        "step",
        "innovation_index",
        "innovations",
    }
    assert len(results.series) == 8 * 7


def test_sweep_prints_a_summary_line(small_grid_sweep, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--workers", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(rf"8 of 8 runs done \(0 failed\) in [\d.]+ s\. Results: {out}", lines[0])
    assert "load_results" in lines[1]
    assert_same_results(out, small_grid_sweep)


def test_compare_prints_a_table_with_both_mixes(tmp_path, capsys):
    out = tmp_path / "compare"
    code = main(
        [
            "compare",
            "emerging",
            "--mix",
            "baseline",
            "--mix",
            "cluster_led",
            "--reps",
            "2",
            "--steps",
            "6",
            "--set",
            "regions.0.firms=120",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "4 of 4 runs done (0 failed)" in printed
    table = printed.strip().splitlines()[2:]
    header = table[0].split()
    assert header[-2:] == ["baseline", "cluster_led"]
    rows = {line.split()[0]: line for line in table[1:]}
    for outcome in ("final_innovation_index", "mean_innovating_share", "total_innovations"):
        assert outcome in rows and rows[outcome].count("±") == 2

    results = load_results(out)
    assert results.manifest["state"] == "finished"
    assert sorted(results.outcomes["mix"]) == ["baseline", "baseline", "cluster_led", "cluster_led"]
    assert results.outcomes.groupby("replication")["seed"].nunique().eq(1).all()
    # the printed means are the stored outcomes' means
    mean = results.outcomes.groupby("mix")["total_innovations"].mean()
    cells = rows["total_innovations"].split()[1:]
    assert float(cells[0]) == pytest.approx(mean["baseline"], rel=6e-3)
    assert float(cells[3]) == pytest.approx(mean["cluster_led"], rel=6e-3)
