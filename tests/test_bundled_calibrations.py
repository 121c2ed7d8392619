"""The calibrations committed in experiments/calibrated/ stay usable: each was made by this
model version (so ``compare --calibrated`` and ``report`` take it), holds accepted points for
schema fields, and the bundled defaults are not ruled out by it (coefficient by coefficient,
and by simulation against its final cut).

When a change of the model bumps MODEL_VERSION, these tests name the folders to re-run
(docs/calibration.md says how long each takes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartspec import load_scenario
from smartspec.analysis.calibration_results import load_calibration_results
from smartspec.experiments.calibration.draws import load_calibrated
from smartspec.experiments.calibration.final import check_point

CALIBRATED = Path(__file__).resolve().parents[1] / "experiments" / "calibrated"
FOLDERS = sorted(path for path in CALIBRATED.iterdir() if (path / "summary.json").is_file())


def test_there_are_bundled_calibrations():
    assert [folder.name for folder in FOLDERS], CALIBRATED


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_a_bundled_calibration_is_finished_and_of_this_model_version(folder):
    calibrated = load_calibrated(folder)  # refuses another model version
    results = load_calibration_results(folder)
    assert not results.missing, results.missing
    assert len(calibrated.points) > 0
    # Every fitted coefficient is a scenario field that an override can set.
    first = calibrated.values_of(int(calibrated.points.index[0]))
    for path, value in first.items():
        assert load_scenario("emerging", overrides={path: value})


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_the_bundled_defaults_lie_inside_the_accepted_ranges(folder):
    """The defaults the bundled scenarios run with are not ruled out coefficient by
    coefficient: each lies within the min-max of the calibration's accepted points (a
    necessary condition; docs/calibration.md says how each adopted value was chosen)."""
    calibrated = load_calibrated(folder)
    scenario = load_scenario("emerging")
    for name, path in calibrated.parameters.items():
        section, field = path.split(".")
        default = getattr(getattr(scenario, section), field)
        low, high = calibrated.points[name].min(), calibrated.points[name].max()
        assert low <= default <= high, (path, default, low, high)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_the_bundled_defaults_pass_the_calibrations_cut_by_simulation(folder):
    """The defaults every scenario runs with are not ruled out by a bundled calibration: run
    on seeds of their own, they pass its final cut as an accepted re-run point does."""
    check = check_point(folder)
    assert check.accepted, check.table.to_string()


def test_a_set_the_facts_rule_out_fails_the_check():
    """The check can fail: about four times the entry rate puts births and deaths far above
    T6-T7, two targets beyond the cut."""
    check = check_point(CALIBRATED / "archetypes_first", {"firm.entry_rate": 0.1})
    assert not check.accepted
    table = check.table.set_index("target")
    assert table.loc["birth_rate", "implausibility"] > check.cutoff
    assert table.loc["death_rate", "implausibility"] > check.cutoff


# ------------------------------------------------------------------ smartspec plausible


def test_plausible_prints_each_target_and_the_verdict(capsys):
    from smartspec.cli import main

    assert main(["plausible", str(CALIBRATED / "archetypes_first"), "--reps", "2"]) == 0
    out = capsys.readouterr().out
    assert "8 runs on seeds of their own" in out
    assert "Parameter set: the scenarios' defaults." in out
    for target in ("birth_rate", "death_rate", "innovating_enterprises"):
        assert target in out
    assert out.rstrip().endswith("against the cut 3: not ruled out.")


def test_plausible_runs_an_accepted_point_and_a_set_that_is_ruled_out(capsys):
    from smartspec.cli import main
    from smartspec.experiments.calibration.final import calibrated_values

    folder = CALIBRATED / "archetypes_first"
    point = int(load_calibrated(folder).points.index[0])
    assert main(["plausible", str(folder), "--point", str(point), "--reps", "2"]) == 0
    values = calibrated_values(folder, point=point)
    first = next(iter(values))
    assert f"Parameter set: {first}={values[first]:g}" in capsys.readouterr().out
    # --set applies over the point; four times the entry rate is ruled out (as above).
    argv = ["plausible", str(folder), "--best", "--set", "firm.entry_rate=0.1", "--reps", "2"]
    assert main(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith(": ruled out.")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--point", "100000"], "nroy.parquet: point 100000 is not an accepted point ("),
        (["--set", "firm.bogus=1"], "--set: firm.bogus: unknown field"),
        (["--set", "firm.competition=-2"], "--set: firm.competition: Input should be"),
        (["--reps", "1"], "--reps: 1: at least 2 replications per scenario"),
    ],
)
def test_plausible_refuses_bad_input_in_one_line(capsys, extra, message):
    from smartspec.cli import main

    assert main(["plausible", str(CALIBRATED / "archetypes_first"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_plausible_refuses_a_folder_that_is_no_calibration(capsys, tmp_path):
    from smartspec.cli import main

    assert main(["plausible", str(tmp_path / "nowhere")]) == 2
    assert "no such calibration folder" in capsys.readouterr().err
