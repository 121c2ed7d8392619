"""The ``smartspec`` command: listing, running, the files a run writes, provenance, usage errors.

Most runs go through ``smartspec.cli.main`` in-process (fast); a few real processes prove the
``python -m smartspec`` and console-script entry points.
"""

from __future__ import annotations

import json
import platform
import re
import struct
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smartspec.run
from smartspec.cli import main
from smartspec.scenarios import bundled_mixes, bundled_scenarios, load_scenario

OUTPUT_FILES = [
    "domains.parquet",
    "indicators.csv",
    "indicators.parquet",
    "key_indicators.png",
    "run.json",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EUROPE_NAMES = ["North", "Centre", "East", "South-East"]


def smartspec_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smartspec", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def run_cli(out: Path, *args: str) -> Path:
    """``smartspec run ARGS --out OUT --quiet`` in-process; it must succeed."""
    code = main(["run", *args, "--out", str(out), "--quiet"])
    assert code == 0
    return out


def indicators(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "indicators.parquet")


def record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def emerging_run(tmp_path_factory) -> Path:
    """The reference run: emerging, 4 quarters, seed 3."""
    return run_cli(
        tmp_path_factory.mktemp("emerging") / "out", "emerging", "--steps", "4", "--seed", "3"
    )


@pytest.fixture(scope="module")
def europe_run(tmp_path_factory) -> Path:
    return run_cli(tmp_path_factory.mktemp("europe") / "out", "europe", "--steps", "4")


# --------------------------------------------------------------------------- listing and help


def test_scenarios_lists_every_bundled_scenario_and_mix(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    scenarios, _, mixes = out.partition("Policy mixes")
    mixes, _, pointer = mixes.partition("\nBundled experiments")
    assert "smartspec experiments" in pointer
    listed = {line.split()[0] for line in scenarios.splitlines()[1:] if line.strip()}
    assert listed == {entry.name for entry in bundled_scenarios()}
    assert {"emerging", "moderate", "strong", "leader", "europe"} <= listed
    listed_mixes = {line.split()[0] for line in mixes.splitlines()[1:] if line.strip()}
    assert listed_mixes == {entry.name for entry in bundled_mixes()}
    assert {"baseline", "rd_grants_heavy", "quadruple_helix"} <= listed_mixes
    for entry in [*bundled_scenarios(), *bundled_mixes()]:
        assert entry.description in out


def test_console_script_lists_scenarios(tmp_path):
    script = Path(sys.executable).with_name("smartspec")
    if not script.is_file():
        pytest.skip("console script not installed next to this interpreter")
    done = subprocess.run([str(script), "scenarios"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "emerging" in done.stdout and "rd_grants_heavy" in done.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--help"], ["scenarios", "run"], id="main-help"),
        pytest.param(
            ["run", "--help"], ["--mix", "--seed", "--steps", "--set", "--out"], id="run-help"
        ),
        pytest.param(["--version"], ["smartspec 0.1.0 (model version 8)"], id="version"),
    ],
)
def test_help_exits_0(capsys, argv, expected):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for word in expected:
        assert word in out


# --------------------------------------------------------------------------- what a run writes


def test_run_writes_exactly_the_output_files(emerging_run):
    assert sorted(path.name for path in emerging_run.iterdir()) == OUTPUT_FILES
    # Files are staged in a hidden folder next to the output and moved into place: none is left.
    assert [path.name for path in emerging_run.parent.iterdir()] == ["out"]


def test_indicator_rows_one_per_region_and_step(emerging_run):
    table = indicators(emerging_run)
    assert list(zip(table["region"], table["step"], strict=True)) == [
        ("Emerging", step) for step in range(5)
    ]


def test_parquet_and_csv_hold_the_same_table(emerging_run, europe_run):
    for out in (emerging_run, europe_run):
        parquet = indicators(out)
        csv = pd.read_csv(out / "indicators.csv")
        text_columns = [
            name for name in parquet.columns if not pd.api.types.is_numeric_dtype(parquet[name])
        ]
        csv[text_columns] = csv[text_columns].fillna("")  # "" is written as an empty CSV cell
        assert list(csv.columns) == list(parquet.columns)
        pd.testing.assert_frame_equal(
            csv, parquet, check_dtype=False, check_exact=False, rtol=1e-12
        )


def test_europe_gives_four_regions_by_five_steps(europe_run):
    table = indicators(europe_run)
    assert len(table) == 20
    assert set(table["region"]) == set(EUROPE_NAMES)
    assert not table.duplicated(["region", "step"]).any()
    for name in EUROPE_NAMES:
        assert sorted(table.loc[table["region"] == name, "step"]) == [0, 1, 2, 3, 4]
    assert len(pd.read_csv(europe_run / "indicators.csv")) == 20


def test_png_is_a_real_figure(emerging_run):
    data = (emerging_run / "key_indicators.png").read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 200
    assert len(data) > 10_000
    assert data[-8:-4] == b"IEND", "the file is complete"


def test_run_json_records_the_run(emerging_run):
    run = record(emerging_run)
    assert run["seed"] == 3
    assert run["steps"] == 4
    assert run["mix"] == "baseline"
    assert run["scenario_source"] == "emerging"
    expected = load_scenario("emerging", overrides=["steps=4"]).model_dump(mode="json")
    assert run["scenario"] == json.loads(json.dumps(expected)), "the full resolved scenario"
    assert run["scenario"]["regions"][0]["firms"] == 1000
    assert run["scenario"]["mix"]["shares"]["rd_grants"] == 0.30


def test_run_json_records_versions_and_git(emerging_run):
    run = record(emerging_run)
    versions = run["versions"]
    assert versions["python"] == platform.python_version()
    assert versions["mesa"] == metadata.version("mesa")
    assert versions["numpy"] == np.__version__
    assert set(run["git"]) >= {"revision", "dirty"}
    revision, dirty = run["git"]["revision"], run["git"]["dirty"]
    assert revision is None or re.fullmatch(r"[0-9a-f]{40}", revision)
    if revision is None:
        assert dirty is None
    else:
        assert isinstance(dirty, bool)


def test_run_json_records_command_line_and_times(emerging_run):
    run = record(emerging_run)
    assert isinstance(run["command_line"], list) and run["command_line"]
    assert all(isinstance(part, str) for part in run["command_line"])
    started = datetime.fromisoformat(run["started"])
    finished = datetime.fromisoformat(run["finished"])
    assert started.tzinfo is not None and finished.tzinfo is not None
    assert started <= finished
    assert run["runtime_seconds"] >= 0


def test_command_line_is_the_argv_given_to_main(emerging_run):
    assert record(emerging_run)["command_line"][1:] == [
        "run",
        "emerging",
        "--steps",
        "4",
        "--seed",
        "3",
        "--out",
        str(emerging_run),
        "--quiet",
    ]


def test_module_entry_point_reproduces_the_in_process_run(tmp_path, emerging_run):
    out = tmp_path / "out"
    args = ["run", "emerging", "--steps", "4", "--seed", "3", "--out", str(out), "--quiet"]
    done = smartspec_process(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(path.name for path in out.iterdir()) == OUTPUT_FILES
    run = record(out)
    assert run["command_line"][1:] == args
    assert (run["seed"], run["steps"]) == (3, 4)
    # Same seed in another process: the same indicators, bit for bit.
    pd.testing.assert_frame_equal(indicators(out), indicators(emerging_run), check_exact=True)


def test_mix_option_is_recorded(tmp_path):
    out = run_cli(tmp_path / "out", "moderate", "--steps", "2", "--mix", "rd_grants_heavy")
    run = record(out)
    assert run["mix"] == "rd_grants_heavy"
    assert run["scenario"]["mix"]["name"] == "rd_grants_heavy"
    assert run["scenario"]["mix"]["shares"]["rd_grants"] == 0.60


def test_set_option_reaches_the_run(tmp_path):
    out = run_cli(
        tmp_path / "out",
        "emerging",
        "--steps",
        "2",
        "--set",
        "regions.0.firms=300",
        "--set",
        "initial.burn_in=0",  # quarter 0 is then the drawn state
    )
    run = record(out)
    assert run["scenario"]["regions"][0]["firms"] == 300
    assert run["steps"] == 2
    table = indicators(out)
    assert table.loc[table["step"] == 0, "firms"].tolist() == [300]


def test_set_wildcard_reaches_every_region(tmp_path):
    out = run_cli(
        tmp_path / "out",
        "europe",
        "--steps",
        "1",
        "--set",
        "regions.*.government.budget_share=0.004",
    )
    regions = record(out)["scenario"]["regions"]
    assert [region["government"]["budget_share"] for region in regions] == [0.004] * 4


def test_same_seed_same_indicators_other_seed_differs(tmp_path, emerging_run):
    again = run_cli(tmp_path / "again", "emerging", "--steps", "4", "--seed", "3")
    pd.testing.assert_frame_equal(indicators(again), indicators(emerging_run), check_exact=True)
    other = run_cli(tmp_path / "other", "emerging", "--steps", "4", "--seed", "4")
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(indicators(other), indicators(emerging_run))


def test_summary_and_written_files_are_printed(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "emerging", "--steps", "2", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for name in OUTPUT_FILES:
        assert str(out / name) in captured.out
    assert "Emerging" in captured.out and "start" in captured.out and "end" in captured.out
    assert "Traceback" not in captured.err


def test_default_output_folder_is_under_results_in_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "emerging", "--steps", "1", "--seed", "5", "--quiet"]) == 0
    out = tmp_path / "results" / "run-emerging-baseline-seed5"
    assert sorted(path.name for path in out.iterdir()) == OUTPUT_FILES


# --------------------------------------------------------------------------- usage errors


def assert_one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert re.match(r"smartspec( run)?: error: ", lines[0]), lines[0]
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        pytest.param(["run", "emerging", "--steps", "0"], "--steps", id="steps-0"),
        pytest.param(["run", "emerging", "--steps", "many"], "--steps", id="steps-not-a-number"),
        pytest.param(["run", "emerging", "--seed", "-1"], "--seed", id="seed-negative"),
        pytest.param(["run", "emerging", "--seed", "1.5"], "--seed", id="seed-fraction"),
        pytest.param(["frobnicate"], "invalid choice", id="unknown-subcommand"),
        pytest.param([], "required", id="no-subcommand"),
        pytest.param(["run"], "scenario", id="run-without-scenario"),
        pytest.param(["run", "emerging", "--colour", "red"], "unrecognized", id="unknown-option"),
    ],
)
def test_usage_error_exits_2_with_one_line(tmp_path, capsys, argv, problem):
    out = tmp_path / "out"
    full = [*argv, "--out", str(out)] if argv[:1] == ["run"] and len(argv) > 1 else argv
    with pytest.raises(SystemExit) as exited:
        main(full)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert problem in assert_one_line_error(captured.err)
    assert captured.out == ""
    assert not out.exists()


def test_usage_error_in_a_real_process(tmp_path):
    done = smartspec_process(
        "run", "emerging", "--seed", "-1", "--out", str(tmp_path / "out"), cwd=tmp_path
    )
    assert done.returncode == 2
    assert "--seed" in assert_one_line_error(done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_out_path_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me\n", encoding="utf-8")
    assert main(["run", "emerging", "--steps", "2", "--out", str(target)]) == 2
    captured = capsys.readouterr()
    line = assert_one_line_error(captured.err)
    assert line.startswith("smartspec: error: --out") and str(target) in line
    assert "not a folder" in line
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken"], "no staging folder left"


def test_out_path_inside_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me\n", encoding="utf-8")
    assert main(["run", "emerging", "--steps", "2", "--out", str(target / "sub")]) == 2
    assert "--out" in assert_one_line_error(capsys.readouterr().err)


def test_interrupted_run_writes_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(smartspec.run, "run_scenario", interrupted)
    out = tmp_path / "results" / "out"
    assert main(["run", "emerging", "--steps", "2", "--out", str(out), "--quiet"]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_failure_while_writing_leaves_no_half_written_folder(tmp_path, monkeypatch):
    def broken_plot(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(smartspec.run, "plot_key_indicators", broken_plot)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        main(["run", "emerging", "--steps", "2", "--out", str(out), "--quiet"])
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "the staging folder is removed"
