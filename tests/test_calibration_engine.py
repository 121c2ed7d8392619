"""The calibration engine as a user meets it: bad files refused in one line with nothing
written, the run cap, resuming after SIGKILL to the same waves, screening, and the bundled quick
calibration end to end through the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from calibration_toy import observation, slow_toy, toy, toy_spec

from smartspec.cli import main
from smartspec.experiments.calibration import calibrate, load_calibration
from smartspec.experiments.calibration.engine import planned_runs
from smartspec.experiments.calibration.screening import (
    behavioural_parameters,
    candidate_priors,
    select_parameters,
)
from smartspec.experiments.calibration.spec import parse_calibration

TESTS = Path(__file__).resolve().parent

GOOD = """
name = "bad"
[model]
scenarios = ["emerging"]
steps = 8
[[parameters]]
path = "firm.innovation_rate"
range = [0.05, 0.3]
[[targets]]
name = "innovating"
statistic = "final"
indicator = "innovating_share"
observed = 0.2
source = "test"
"""


def _refused(tmp_path: Path, text: str, capsys, *options: str) -> str:
    path = tmp_path / "calibration.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", *options]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("smartspec: error:"), error
    assert not out.exists()
    return error


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('statistic = "final"', 'statistic = "nonsense"'), "unknown statistic 'nonsense'"),
        (('indicator = "innovating_share"', 'indicator = "nope"'), "unknown indicator 'nope'"),
        (("observed = 0.2", "observed = 0.2\nobservation_variance = -1"), "observation_variance"),
        (("observed = 0.2", "observed = 0.2\ndiscrepancy_variance = -0.1"), "discrepancy_variance"),
        (("range = [0.05, 0.3]", "range = [-0.5, 0.3]"), "parameters[0].range"),
        (('path = "firm.innovation_rate"', 'path = "firm.no_such_rate"'), "parameters[0].path"),
        (('path = "firm.innovation_rate"', 'path = "mix.shares.training"'), "mix shares"),
        (("range = [0.05, 0.3]", "range = [0.3, 0.05]"), "range low must be below high"),
        (('scenarios = ["emerging"]', 'scenarios = ["atlantis"]'), "model.scenarios[0]"),
    ],
)
def test_a_bad_calibration_file_is_one_line_and_writes_nothing(tmp_path, capsys, change, expected):
    old, new = change
    assert old in GOOD
    error = _refused(tmp_path, GOOD.replace(old, new), capsys)
    assert expected in error and "calibration.toml" in error


def test_zero_parameters_and_zero_targets_are_refused(tmp_path, capsys):
    start = GOOD.index("[[parameters]]")
    end = GOOD.index("[[targets]]")
    error = _refused(tmp_path, GOOD[:start] + GOOD[end:], capsys)
    assert "parameters" in error
    error = _refused(tmp_path, GOOD[: GOOD.index("[[targets]]")], capsys)
    assert "targets" in error


def test_a_run_budget_above_the_cap_is_refused_before_anything_runs(tmp_path, capsys):
    huge = GOOD + "[method]\nwaves = 20\npoints = 100000\n"
    error = _refused(tmp_path, huge, capsys)
    assert "above the cap of 1,000,000" in error and "--max-runs" in error
    error = _refused(tmp_path, GOOD, capsys, "--max-runs", "10")
    assert "above the cap of 10 " in error


def test_planned_runs_counts_screening_waves_and_final():
    spec, _, _ = load_calibration("calibrate_quick")
    method, screening = spec.method, spec.screening
    expected = (
        method.waves * method.points * method.replications
        + method.final_points * method.final_replications
        + screening.trajectories * (len(spec.parameters) + 1) * screening.replications
    )
    assert planned_runs(spec) == expected


def test_screening_keeps_the_active_parameters_up_to_the_limit():
    spec, _, _ = load_calibration("calibrate_quick")
    priors = spec.parameters
    scores = pd.DataFrame({"name": [p.label for p in priors], "score": [5.0, 0.2, 3.0, 1.0, 0.4]})
    result = select_parameters(priors, scores, keep=2, threshold=0.1)
    assert [p.label for p in result.selected] == ["firm.innovation_rate", "firm.competition"]
    assert {p.label for p in result.screened_out} == {
        "firm.entry_rate",
        "firm.learning_own",
        "firm.capital_buffer",
    }
    # Below a tenth of the largest score (0.5): dropped even when there is room.
    result = select_parameters(priors, scores, keep=5, threshold=0.1)
    assert [p.label for p in result.selected] == [
        "firm.innovation_rate",
        "firm.competition",
        "firm.learning_own",
    ]


def test_every_behavioural_coefficient_can_be_screened_inside_the_schema():
    found = behavioural_parameters("emerging")
    assert len(found) > 100
    spec, _, _ = load_calibration("calibrate_quick")
    raw = spec.model_dump(mode="json", exclude_none=True)
    raw["screening"]["behavioural"] = True
    priors = candidate_priors(parse_calibration(raw, "test"))
    assert len(priors) == len(set(found) | {p.path for p in spec.parameters})
    assert all(p.range[0] < p.range[1] for p in priors)
    from smartspec.scenarios import load_scenario

    for prior in priors:  # both ends are values the schema accepts (no 1.0000005 for a share)
        for end in prior.range:
            load_scenario("emerging", overrides={prior.path: round(end) if prior.integer else end})


#: Settings that make the toy run all three waves (no early stop).
THREE_WAVES = {"waves": 3, "variance_ratio": 1e-6, "min_shrinkage": 0.0}

_KILLED = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np
from calibration_toy import observation, slow_toy, toy, toy_spec
from smartspec.experiments.calibration import calibrate
spec = toy_spec(observation(np.random.default_rng(5)), seed=3, **{method!r})
calibrate(spec, {out!r}, "toy", function=slow_toy)
"""


def _wave_tables(folder: Path) -> list[object]:
    tables: list[object] = []
    for wave in sorted(folder.glob("wave-*")):
        tables.append(pd.read_parquet(wave / "points.parquet"))
        tables.append(pd.read_parquet(wave / "nroy_sample.parquet"))
        emulators = json.loads((wave / "emulators.json").read_text())
        # Everything but how long the fit took.
        tables.append(
            {
                name: {key: value for key, value in entry["model"].items() if key != "fit_seconds"}
                for name, entry in emulators.items()
            }
        )
    tables.append(pd.read_parquet(folder / "nroy.parquet"))
    return tables


@pytest.mark.slow
def test_resume_after_sigkill_gives_the_same_waves(tmp_path):
    spec = toy_spec(observation(np.random.default_rng(5)), seed=3, **THREE_WAVES)
    whole = tmp_path / "whole"
    calibrate(spec, whole, "toy", function=slow_toy)
    killed = tmp_path / "killed"
    script = _KILLED.format(tests=str(TESTS), out=str(killed), method=THREE_WAVES)
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    # Kill in the middle of wave 2, once some of its runs are committed.
    while time.monotonic() < deadline and not list(killed.glob("wave-02/runs/batch-*")):
        assert process.poll() is None, "the calibration ended before it could be killed"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "nroy.parquet").exists()
    calibrate(spec, killed, "toy", function=slow_toy, resume=True)
    for first, second in zip(_wave_tables(whole), _wave_tables(killed), strict=True):
        if isinstance(first, pd.DataFrame):
            pd.testing.assert_frame_equal(first, second)
        else:
            assert first == second


def test_resume_needs_the_same_file_and_a_new_run_an_empty_folder(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    out = tmp_path / "out"
    out.mkdir()
    (out / "calibration.toml").write_text(GOOD + "\n# edited\n")
    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 2
    assert "different calibration file" in capsys.readouterr().err
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    assert "already holds a calibration" in capsys.readouterr().err


@pytest.mark.slow
def test_the_quick_calibration_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["calibrate", "calibrate_quick", "--out", str(out), "--workers", "2"]) == 0
    printed = capsys.readouterr()
    assert "wave 1:" in printed.err and "wave 2:" in printed.err
    nroy = pd.read_parquet(out / "nroy.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["waves"]) == 2 and summary["screened_out"]
    assert nroy["accepted"].sum() == summary["final"]["accepted"] > 0
    fitted = [parameter["name"] for parameter in summary["parameters"]]
    assert set(fitted) <= set(nroy.columns)
    best = (out / "best.toml").read_text()
    assert all(f'"{name}"' in best for name in fitted)
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "Calibration by history matching" in html and "not a posterior" in html


def test_bundled_calibrations_load_and_are_not_experiments():
    from smartspec.experiments import bundled_experiments
    from smartspec.experiments.calibration import bundled_calibrations

    names = {path.stem for path in bundled_calibrations()}
    assert {"calibrate_quick", "calibrate_archetypes"} <= names
    assert not names & {path.stem for path in bundled_experiments()}
    for name in names:
        spec, _, _ = load_calibration(name)
        assert planned_runs(spec) < 1_000_000
    archetypes, _, _ = load_calibration("calibrate_archetypes")
    # EU facts apply to the region-weighted aggregate; the regional R&D range (T11) to the
    # emerging and leader archetypes.
    scopes = {target.name: target.scenario for target in archetypes.targets}
    assert {name for name, scope in scopes.items() if scope != "eu"} == {
        "berd_gdp_emerging",
        "berd_gdp_leader",
    }
    assert (scopes["berd_gdp_emerging"], scopes["berd_gdp_leader"]) == ("emerging", "leader")


def test_an_adopted_best_point_becomes_the_bundled_defaults(tmp_path, monkeypatch):
    """best.toml copied to scenarios/data/calibrated.toml sets every scenario's coefficients
    where its file does not; --set still wins; provenance records which calibration was
    adopted."""
    from smartspec.experiments.provenance import provenance
    from smartspec.scenarios import load_scenario, loader

    best = tmp_path / "calibrated.toml"
    best.write_text(
        "# Best point of calibration 'test'\n[set]\n"
        '"firm.innovation_rate" = 0.123\n"firm.entry_rate" = 0.031\n'
    )
    own = tmp_path / "own.toml"
    own.write_text('[[regions]]\nname = "Mine"\narchetype = "emerging"\n')
    own_rate = tmp_path / "own_rate.toml"
    own_rate.write_text(own.read_text() + "[firm]\ninnovation_rate = 0.2\n")
    monkeypatch.setattr(loader, "CALIBRATED_DEFAULTS", best)
    assert load_scenario("emerging").firm.innovation_rate == 0.123
    assert load_scenario("europe").firm.entry_rate == 0.031
    assert (
        load_scenario("emerging", overrides={"firm.innovation_rate": 0.2}).firm.innovation_rate
        == 0.2
    )
    assert load_scenario(own).firm.innovation_rate == 0.123
    assert load_scenario(own_rate).firm.innovation_rate == 0.2  # the file's own value wins
    record = provenance()["calibrated_defaults"]
    assert record["file"] == "calibrated.toml" and "calibration 'test'" in record["provenance"][0]
    best.write_text('[set]\n"firm.no_such_rate" = 1\n')
    with pytest.raises(ValueError, match="firm.no_such_rate"):
        load_scenario("emerging")


def test_screening_scores_effects_above_the_noise_only():
    """y = 3 a + noise: a scores, b (inert, but seen through noise that is not shared between
    replications) does not, and a very noisy target promotes nothing."""
    from SALib.sample import morris

    from smartspec.experiments.calibration.screening import screening_scores

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    inputs = morris.sample(problem, 10, num_levels=4, seed=1)
    rng = np.random.default_rng(2)
    signal = 3 * inputs[:, 0]
    outputs = {
        "clean": np.column_stack([signal + rng.normal(0, 0.05, len(inputs)) for _ in range(2)]),
        "noisy": np.column_stack([rng.normal(0, 5.0, len(inputs)) for _ in range(2)]),
    }
    spec, _, _ = load_calibration("calibrate_quick")
    targets = [
        spec.targets[0].model_copy(update={"name": "clean", "observation_variance": 0.01}),
        spec.targets[0].model_copy(update={"name": "noisy", "observation_variance": 0.01}),
    ]
    scores = screening_scores(["a", "b"], inputs, outputs, targets).set_index("name")
    assert scores.loc["a", "mu_star__clean"] == pytest.approx(3.0, rel=0.05)
    assert scores.loc["a", "score"] > 10 and scores.loc["b", "score"] == 0
    assert scores["noise__noisy"].iloc[0] > scores["noise__clean"].iloc[0]


def _broken(params: dict, rng: np.random.Generator) -> dict[str, float]:
    raise RuntimeError("model blew up")


def test_a_calibration_whose_runs_all_fail_stops_with_the_first_error(tmp_path):
    """Failures are data, but a wave with no result at all cannot cut anything: the
    calibration stops and names the error instead of reporting an unchanged space."""
    from smartspec.experiments.calibration import CalibrationError

    spec = toy_spec(observation(np.random.default_rng(1)), seed=0)
    with pytest.raises(CalibrationError, match=r"every run of the wave-01 failed .*model blew up"):
        calibrate(spec, tmp_path / "broken", "toy", function=_broken)
    assert not (tmp_path / "broken" / "nroy.parquet").exists()


def _with_pooled_statistic(params: dict, rng: np.random.Generator) -> dict[str, float]:
    """The toy plus ``y4``, a statistic that no point can compute (as a pooled fit with too
    few events per point), and ``y5``, one that only points with a < 0.62 can."""
    outputs = toy(params, rng)
    return {**outputs, "y4": float("nan"), "y5": outputs["y1"] if params["a"] < 0.62 else np.nan}


def test_a_target_no_point_can_compute_is_left_out_of_the_final_cut(tmp_path):
    """A target undefined at every re-run point says nothing about any point: it does not
    veto the whole set (the full calibration's T17 once did), and the summary names it. A
    target undefined at some points still rules those points out."""
    rng = np.random.default_rng(1)
    observed = observation(rng)
    spec = toy_spec({**observed, "y4": 0.5, "y5": observed["y1"]}, seed=0, waves=2)
    folder = tmp_path / "pooled"
    summary = calibrate(spec, folder, "toy", function=_with_pooled_statistic)
    table = pd.read_parquet(folder / "nroy.parquet")
    assert summary.accepted > 0
    assert json.loads((folder / "summary.json").read_text())["final"]["unmeasured"] == ["y4"]
    assert table["implausibility__y4"].isna().all()
    undefined = table["a"] >= 0.62
    assert np.isfinite(table.loc[~undefined, "max_implausibility"]).all()
    assert undefined.any() and not table.loc[undefined, "accepted"].any()
    assert np.isinf(table.loc[undefined, "implausibility__y5"]).all()
