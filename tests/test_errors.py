"""Faults a hostile or unlucky user meets get one clear line, not a traceback (issue 14).

Loading (deep nesting, oversized proximity CSVs, a non-list ``regions``), a full disk during
run, sweep and report, targets whose outcomes change type, damaged results folders, oversized
designs and models, analysis that can do only part of its work, reproducible Sobol intervals,
NumPy seeds, a user's own Mesa DataCollector, the umask, and the messages of common mistakes.
"""

from __future__ import annotations

import errno
import functools
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from smartspec.cli import main
from smartspec.experiments import CallableTarget, ExperimentSpec, load_results, run_experiment
from smartspec.experiments.designs import replication_seeds
from smartspec.model import EcosystemModel
from smartspec.scenarios import ScenarioError, load_scenario

DATA = Path(__file__).parent / "data"
SMALL_GRID = DATA / "experiment_small_grid.toml"
#: The memory the refusal tests pretend the machine has, so that they refuse (and never run)
#: the same oversized models on a larger machine.
SIXTEEN_GB = 16 * 2**30
SMALL = ["--set", "regions.0.firms=80", "--set", "regions.0.citizen_groups=2", "--steps", "2"]


def refusal(capsys, arguments: list[str], status: int = 2) -> str:
    """Run the command line; it must exit with ``status`` and print exactly one line on
    stderr, which is returned."""
    assert main(arguments) == status
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("smartspec: error: ") or lines[0].startswith("smartspec ")
    return lines[0]


def quick_sweep(tmp_path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(SMALL_GRID), "--out", str(out), "--workers", "1", *extra])


# ------------------------------------------------------------------------------- loading
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_deeply_nested_toml_is_one_line_not_a_recursion_error(tmp_path, capsys, command):
    deep = tmp_path / "deep.toml"
    deep.write_text("name = 'x'\nvalue = " + "[" * 5000 + "]" * 5000 + "\n")
    line = refusal(capsys, [command, str(deep)])
    assert "deep.toml" in line and "nested too deeply" in line


def test_deep_value_in_set_is_one_line(capsys):
    line = refusal(capsys, ["run", "emerging", "--set", "x=" + "[" * 5000 + "]" * 5000])
    assert "--set" in line and "nested too deeply" in line


def test_proximity_csv_over_the_domain_limit_is_refused_from_its_header(tmp_path, capsys):
    names = [f"d{i}" for i in range(501)]
    big = tmp_path / "big.csv"
    big.write_text("," + ",".join(names) + "\n" + f"{names[0]}," + ",".join(["0.5"] * 501) + "\n")
    scenario = tmp_path / "big.toml"
    scenario.write_text('name = "big"\n[knowledge]\nmatrix_csv = "big.csv"\n[[regions]]\n')
    line = refusal(capsys, ["run", str(scenario)])
    assert "knowledge.matrix_csv" in line and "501 domains" in line and "500" in line


def _lines_then_failure(lines: list[str]):
    """The given CSV lines, then an error if the reader asks for more: proves that a file is
    refused without being read whole."""
    yield from lines
    raise AssertionError("read past the point where the size was known")


def test_oversized_csv_is_not_read_whole():
    from smartspec.scenarios.loader import _csv_rows

    header = "," + ",".join(f"d{i}" for i in range(5000)) + "\n"
    with pytest.raises(ScenarioError, match="5000 domains"):
        _csv_rows(_lines_then_failure([header]), Path("huge.csv"), "s.toml")
    small_header = ",a,b\n"
    rows = ["a,1,0\n", "b,0,1\n", "c,0,0\n"]
    with pytest.raises(ScenarioError, match="more rows than the header"):
        _csv_rows(_lines_then_failure([small_header, *rows]), Path("long.csv"), "s.toml")


def test_regions_that_is_not_a_list_is_one_line(tmp_path, capsys):
    line = refusal(capsys, ["run", "emerging", "--set", "regions=5"])
    assert "regions" in line and "valid list" in line
    file = tmp_path / "r.toml"
    file.write_text('name = "r"\nregions = 5\n')
    line = refusal(capsys, ["run", str(file)])
    assert "r.toml: regions" in line


# -------------------------------------------------------------------------- a full disk
def _full_disk_after(monkeypatch, calls: int) -> None:
    """Let ``calls`` Parquet writes through, then fill the disk: the next write leaves a
    partial file and raises ENOSPC, as a full file system does."""
    real = pq.write_table
    counter = itertools.count()

    def write_table(table, where, *args, **kwargs):
        if next(counter) < calls:
            return real(table, where, *args, **kwargs)
        if isinstance(where, str | Path):
            Path(where).write_bytes(b"PAR1 partial")
        else:
            where.write(b"PAR1 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", write_table)


def _leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.startswith((".tmp-", ".smartspec-"))]


def test_full_disk_during_a_sweep_exits_1_in_one_line_and_resumes(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sweep"
    _full_disk_after(monkeypatch, calls=3)  # design.parquet and the first batch's two files
    assert quick_sweep(tmp_path, out, "--batch-size", "1") == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if "smartspec:" in line]
    assert len(lines) == 1 and "disk full" in lines[0] and "--resume" in lines[0], lines
    assert not _leftovers(out)
    assert len(list((out / "runs").glob("batch-*.parquet"))) == 1
    monkeypatch.undo()
    assert quick_sweep(tmp_path, out, "--resume") == 0
    assert len(load_results(out).outcomes) == 8


def test_full_disk_during_run_and_report_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    _full_disk_after(monkeypatch, calls=0)
    line = refusal(capsys, ["run", "emerging", *SMALL, "--out", str(out), "--quiet"], status=1)
    assert "disk full" in line
    assert not out.exists() and not _leftovers(tmp_path)
    monkeypatch.undo()

    folder = tmp_path / "sweep"
    assert quick_sweep(tmp_path, folder) == 0
    capsys.readouterr()

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    line = refusal(capsys, ["report", str(folder)], status=1)
    assert "disk full" in line
    assert not (folder / "report.html").exists() and not _leftovers(folder)


# ------------------------------------------------------------------- runs and outputs
def changing_type(params, rng):
    """An outcome that is a number, except at one design point where it is text."""
    return {"y": "high" if params["x"] == 2 else int(params["x"])}


def test_a_run_whose_outcome_changes_type_fails_alone(tmp_path):
    spec = ExperimentSpec.model_validate(
        {
            "name": "types",
            "design": {"kind": "grid", "seed": 1},
            "parameters": [{"name": "x", "path": "unused.x", "levels": [1, 2, 3, 4]}],
            "outcomes": {"final": ["y"]},
        }
    )
    summary = run_experiment(
        spec, tmp_path / "types", "types", target=CallableTarget(changing_type), batch_size=4
    )
    assert (summary.done, summary.failed) == (4, 1)
    results = load_results(tmp_path / "types")
    assert sorted(results.outcomes["y"]) == [1, 3, 4]
    assert "outcome 'y' is str" in results.failures["error"].iloc[0]


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "sweep"
    assert main(["sweep", str(SMALL_GRID), "--out", str(out), "--workers", "1"]) == 0
    return out


@pytest.mark.parametrize("command", ["analyze", "report"])
@pytest.mark.parametrize("damage", ["no-provenance", "foreign-batch", "not-parquet"])
def test_damaged_results_folder_is_one_line(tmp_path, capsys, finished_sweep, command, damage):
    folder = tmp_path / "copy"
    shutil.copytree(finished_sweep, folder)
    first = sorted((folder / "runs").glob("batch-*.parquet"))[0]
    if damage == "no-provenance":
        (folder / "provenance.json").unlink()
        expected = "provenance.json: missing"
    elif damage == "foreign-batch":
        pd.DataFrame({"run_id": ["a", "b"], "score": [1.0, 2.0]}).to_parquet(first)
        expected = f"{first.name}: not a SmartSpec batch: no status column"
    else:
        first.write_text("not parquet")
        expected = f"{first.name}: damaged ("
    capsys.readouterr()
    line = refusal(capsys, [command, str(folder)])
    assert expected in line


def test_analyze_writes_every_table_when_discovery_has_nothing_to_find(tmp_path, capsys):
    """59 of 60 runs reach the goal: every design point is of interest, so discovery is
    skipped with one line and the rank correlations are still written."""
    spec = ExperimentSpec.model_validate(
        {
            "name": "nearly-all",
            "design": {"kind": "lhs", "samples": 20, "replications": 3, "seed": 4},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ("x1", "x2")
            ],
            "outcomes": {"mean": ["innovation_index"]},
        }
    )
    folder = tmp_path / "lhs"
    first_draws = [np.random.default_rng(seed).random() for seed in replication_seeds(4, 3)]
    target = CallableTarget(functools.partial(nearly_all_catch_up, below=min(first_draws)))
    run_experiment(spec, folder, "lhs", target=target)
    assert main(["analyze", str(folder)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    skipped = [line for line in err if "discovery skipped" in line]
    assert len(skipped) == 1 and "59 of 60 runs" in skipped[0]
    written = {path.name for path in (folder / "analysis").glob("*.csv")}
    assert {"summary.csv", "correlations.csv", "discovery.csv"} <= written


def nearly_all_catch_up(params, rng, below):
    """Every run reaches an index of 80 except one replication (the one whose first draw is
    ``below``) of the design point with the lowest x1."""
    low = params["x1"] < 0.05 and rng.random() <= below
    return {"mean_innovation_index": 40.0 if low else 80.0 + params["x2"]}


# ----------------------------------------------------------------------- oversized input
def test_oversized_designs_and_models_are_refused_with_small_memory(tmp_path):
    """A 10^6 x 10^5 LHS, a 30^8 grid and europe with 5 million firms a region are refused
    in one line each, and the refusing process stays small (peak RSS of the process)."""
    lhs = tmp_path / "lhs.toml"
    lhs.write_text(
        textwrap.dedent(
            """
            name = "huge-lhs"
            [design]
            kind = "lhs"
            samples = 1000000
            replications = 100000
            [[parameters]]
            name = "b"
            path = "regions.0.government.budget_share"
            range = [0.001, 0.01]
            [outcomes]
            final = ["innovation_index"]
            """
        )
    )
    levels = ", ".join(str(0.001 + i * 1e-4) for i in range(30))
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'name = "huge-grid"\n[design]\nkind = "grid"\n'
        + "".join(
            f'[[parameters]]\nname = "p{i}"\npath = "regions.0.government.budget_share"\n'
            f"levels = [{levels}]\n"
            for i in range(8)
        )
        + '[outcomes]\nfinal = ["innovation_index"]\n'
    )
    script = textwrap.dedent(
        f"""
        import resource, sys
        from smartspec.cli import main
        from smartspec.model import footprint
        footprint.machine_memory = lambda: {SIXTEEN_GB}
        codes = [
            main(["sweep", {str(lhs)!r}, "--out", {str(tmp_path / "a")!r}]),
            main(["sweep", {str(grid)!r}, "--out", {str(tmp_path / "b")!r}]),
            main(["run", "europe", "--set", "regions.*.firms=5000000", "--out",
                  {str(tmp_path / "c")!r}]),
        ]
        print(codes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    codes, peak_kb = done.stdout.strip().rsplit(" ", 1)
    assert codes == "[2, 2, 2]", done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert "100,000,000,000 runs" in lines[0] and "--max-runs" in lines[0]
    assert f"{30**8:,} runs" in lines[1] and "1,000,000" in lines[1]
    assert "20,000,000 firms" in lines[2] and "GB of memory" in lines[2]
    assert int(peak_kb) < 600_000  # the interpreter with its libraries, nothing more
    assert not any((tmp_path / name).exists() for name in "abc")


def test_max_runs_lowers_and_raises_the_cap(tmp_path, capsys):
    line = refusal(
        capsys, ["sweep", str(SMALL_GRID), "--out", str(tmp_path / "o"), "--max-runs", "7"]
    )
    assert "plans 8 runs, above the cap of 7" in line


def test_outcome_empty_by_definition_is_refused(tmp_path, capsys):
    experiment = tmp_path / "eci.toml"
    experiment.write_text(
        SMALL_GRID.read_text().replace('final = ["innovation_index", "firms"]', 'final = ["eci"]')
    )
    line = refusal(capsys, ["sweep", str(experiment), "--out", str(tmp_path / "o")])
    assert "outcomes.final[0]" in line and "one-region" in line and "at least 2" in line


# --------------------------------------------------------------------------- correctness
SOBOL_INTERVALS = """
import sys
from smartspec.analysis import sensitivity
from smartspec.experiments import load_results
result = sensitivity.sobol_indices(load_results(sys.argv[1]), "y")
print(result.indices.to_json())
"""


def test_sobol_intervals_are_identical_over_two_processes(tmp_path):
    from smartspec.experiments.examples import ADDITIVE_WEIGHTS, additive

    spec = ExperimentSpec.model_validate(
        {
            "name": "sobol",
            "design": {"kind": "sobol", "samples": 64, "seed": 3},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ADDITIVE_WEIGHTS
            ],
            "outcomes": {"final": ["y"]},
        }
    )
    run_experiment(spec, tmp_path / "sobol", "sobol", target=CallableTarget(additive))
    outputs = [
        subprocess.run(
            [sys.executable, "-c", SOBOL_INTERVALS, str(tmp_path / "sobol")],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for _ in range(2)
    ]
    assert outputs[0] == outputs[1]
    indices = pd.read_json(io.StringIO(outputs[0]))
    assert (indices["bootstrap_seed"] == 0).all() and indices["ST_conf"].notna().all()


def small_model(seed) -> EcosystemModel:
    overrides = {"regions.0.firms": 80, "regions.0.citizen_groups": 2, "steps": 3}
    return EcosystemModel(load_scenario("emerging", overrides=overrides), rng=seed)


def test_numpy_integer_seeds_are_accepted():
    plain = small_model(7)
    numpy_seed = small_model(np.int64(7))
    for model in (plain, numpy_seed):
        model.step()
    pd.testing.assert_frame_equal(plain.indicators(), numpy_seed.indicators())


def test_a_users_own_datacollector_does_not_break_the_model():
    import mesa

    model = small_model(1)
    model.step()
    model.datacollector = mesa.DataCollector(model_reporters={"quarter": lambda m: m.steps})
    model.step()
    model.step()
    assert list(model.datacollector.get_model_vars_dataframe()["quarter"]) == [2, 3]
    assert sorted(model.indicators()["step"].unique()) == [0, 1, 2, 3]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_results_files_respect_the_umask(tmp_path, umask):
    spec = ExperimentSpec.model_validate(
        {
            "name": "modes",
            "design": {"kind": "grid", "seed": 1},
            "parameters": [{"name": "x", "path": "unused.x", "levels": [1, 3]}],
            "outcomes": {"final": ["y"]},
        }
    )
    previous = os.umask(umask)
    try:
        run_experiment(spec, tmp_path / "m", "modes", target=CallableTarget(changing_type))
    finally:
        os.umask(previous)
    files = [path for path in (tmp_path / "m").rglob("*") if path.is_file()]
    assert {"design.parquet", "manifest.json", "provenance.json"} <= {p.name for p in files}
    assert {path.stat().st_mode & 0o777 for path in files} == {0o666 & ~umask}


# ------------------------------------------------------------------------------ messages
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["compare", "emergng"], "emergng: unknown scenario (did you mean 'emerging'?)"),
        (
            ["compare", "emerging", "--mix", "baselin"],
            "--mix: unknown mix 'baselin' (did you mean 'baseline'?)",
        ),
        (
            ["run", "emerging", "--mix", "capcity_first"],
            "error: --mix: unknown mix 'capcity_first' (did you mean 'capacity_first'?)",
        ),
        (
            ["run", "emerging", "--set", "regions.0.firmz=3"],
            "regions[0].firmz: unknown field (did you mean 'firms'?)",
        ),
        (
            ["compare", "emerging", "--mix", "baseline", "--mix", "baseline"],
            "--mix: 'baseline' is given twice",
        ),
        (["run", "emerging", "--steps", "0"], "argument --steps: must be >= 1, got 0"),
        (["run", "emerging", "--steps", "-5"], "argument --steps: must be >= 1, got -5"),
    ],
)
def test_common_mistakes_get_precise_messages(capsys, arguments, expected):
    try:
        status = main(arguments)
    except SystemExit as usage:  # argparse's own errors
        status = usage.code
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert "--mix: mix:" not in err


def test_unknown_experiment_field_and_outcome_offer_a_suggestion(tmp_path, capsys):
    experiment = tmp_path / "typo.toml"
    experiment.write_text(SMALL_GRID.read_text().replace("replications = 2", "replicatons = 2"))
    assert "design.replicatons: unknown field (did you mean 'replications'?)" in refusal(
        capsys, ["sweep", str(experiment)]
    )
    experiment.write_text(SMALL_GRID.read_text().replace('"firms"]', '"firm"]'))
    assert "unknown indicator 'firm' (did you mean 'firms'?)" in refusal(
        capsys, ["sweep", str(experiment)]
    )


def test_non_empty_output_folder_needs_overwrite_for_run_and_sweep(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "emerging", *SMALL, "--out", str(out), "--quiet"]) == 0
    first = (out / "run.json").read_bytes()
    line = refusal(capsys, ["run", "emerging", *SMALL, "--out", str(out), "--quiet"])
    assert "is not empty: add --overwrite" in line
    assert (out / "run.json").read_bytes() == first
    command = ["run", "emerging", *SMALL, "--seed", "2", "--out", str(out), "--quiet"]
    assert main([*command, "--overwrite"]) == 0
    assert json.loads((out / "run.json").read_text())["seed"] == 2

    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    line = refusal(capsys, ["sweep", str(SMALL_GRID), "--out", str(stranger), "--overwrite"])
    assert "not SmartSpec results" in line and (stranger / "notes.txt").exists()
    line = refusal(capsys, ["sweep", str(SMALL_GRID), "--out", str(out)])
    assert "is not empty" in line
    assert quick_sweep(tmp_path, out, "--overwrite") == 0
    assert not (out / "run.json").exists() and len(load_results(out).outcomes) == 8


def test_one_replication_is_allowed_with_a_warning_and_a_report_without_intervals(tmp_path, capsys):
    out = tmp_path / "compare"
    arguments = ["compare", "emerging", "--mix", "baseline", "--mix", "cluster_led"]
    assert main([*arguments, "--reps", "1", *SMALL, "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "warning: --reps 1" in captured.err and "without 95 % intervals" in captured.err
    assert "nan" not in captured.out.lower()
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "nan to nan" not in page and "fewer than two replications" in page


def test_calibration_refuses_a_model_too_large_for_the_machine(tmp_path, capsys, monkeypatch):
    from smartspec.experiments.calibration.spec import CALIBRATION_DIR
    from smartspec.model import footprint

    monkeypatch.setattr(footprint, "machine_memory", lambda: SIXTEEN_GB)

    text = (CALIBRATION_DIR / "calibrate_quick.toml").read_text()
    calibration = tmp_path / "big.toml"
    calibration.write_text(
        text.replace("steps = 40", 'steps = 40\nset = { "regions.0.firms" = 5000000 }')
    )
    line = refusal(capsys, ["calibrate", str(calibration), "--out", str(tmp_path / "o")])
    assert "model.scenarios[0]" in line and "GB of memory" in line
    assert not (tmp_path / "o").exists()


def test_calibration_field_typo_offers_a_suggestion(tmp_path, capsys):
    from smartspec.experiments.calibration.spec import CALIBRATION_DIR

    calibration = tmp_path / "typo.toml"
    text = (CALIBRATION_DIR / "calibrate_quick.toml").read_text()
    calibration.write_text(text.replace("steps = 40", "stpes = 40"))
    line = refusal(capsys, ["calibrate", str(calibration), "--out", str(tmp_path / "o")])
    assert "model.stpes: unknown field (did you mean 'steps'?)" in line


def test_study_effect_tables_show_no_interval_for_one_replication():
    from smartspec.studies.common import effect_table

    effects = pd.DataFrame(
        {
            "group": ["a", "b"],
            "outcome": ["y", "y"],
            "difference": [1.5, 2.0],
            "low": [np.nan, 1.0],
            "high": [np.nan, 3.0],
            "clear": [False, True],
        }
    )
    cells = effect_table(effects, ["y"], by="group")["y"]
    assert cells["a"] == "+1.5 [no interval]" and cells["b"] == "+2 [1, 3] *"


def test_compare_overwrite_checks_the_command_before_removing_anything(tmp_path, capsys):
    out = tmp_path / "compare"
    arguments = ["compare", "emerging", "--mix", "baseline", "--mix", "cluster_led", *SMALL]
    assert main([*arguments, "--reps", "2", "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    line = refusal(capsys, [*arguments, "--out", str(out)])
    assert "already holds an experiment: add --resume" in line and "--overwrite" in line
    line = refusal(capsys, [*arguments, "--mix", "baselin", "--out", str(out), "--overwrite"])
    assert "did you mean 'baseline'" in line
    assert len(load_results(out).outcomes) == 4
