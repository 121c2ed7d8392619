"""Comparisons that carry a calibration's remaining parameter uncertainty (``--calibrated``).

A fake finished calibration (``summary.json`` and ``nroy.parquet``: three accepted points and
one rejected) stands in for ``smartspec calibrate``'s output, so these tests need no
calibration run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smartspec.cli import main
from smartspec.experiments import build_design, load_results
from smartspec.experiments.calibration import CalibrationError, load_calibrated
from smartspec.studies.compare import comparison_spec
from smartspec.studies.defaults import STUDY_SEED

PATHS = {"innovation_rate": "firm.innovation_rate", "learning_own": "firm.learning_own"}
#: Point id -> (innovation_rate, learning_own, accepted); the defaults are 0.15 and 0.15.
POINTS = {
    0: (0.30, 0.30, True),
    1: (0.45, 0.05, True),
    2: (4.00, 4.00, False),
    3: (0.08, 0.40, True),
}
ACCEPTED = {(rate, own) for rate, own, accepted in POINTS.values() if accepted}
SMALL = ["--reps", "3", "--steps", "8", "--set", "regions.0.firms=150", "--workers", "1"]
MIXES = ["--mix", "baseline", "--mix", "capacity_first"]
SENTENCE = (
    "Each replication drew its behavioural parameters from the 3 non-implausible parameter "
    "sets of calibration calibrate_fake (uniformly, not a posterior); every mix used the same "
    "draw and seed, so the intervals include parameter uncertainty."
)


def make_calibration(folder: Path, points: dict = POINTS, name: str = "calibrate_fake") -> Path:
    """A finished calibration folder as ``smartspec calibrate`` leaves it (the files read)."""
    folder.mkdir(parents=True)
    rows = [
        {
            "point": point,
            "innovation_rate": rate,
            "learning_own": own,
            "mean__innovating": 0.2,
            "implausibility__innovating": 1.0 if accepted else 5.0,
            "max_implausibility": 1.0 if accepted else 5.0,
            "accepted": accepted,
        }
        for point, (rate, own, accepted) in points.items()
    ]
    pd.DataFrame(rows).to_parquet(folder / "nroy.parquet", index=False)
    summary = {
        "name": name,
        "scenarios": ["emerging"],
        "parameters": [
            {"name": key, "path": path, "low": 0.0, "high": 5.0, "integer": False, "default": 0.15}
            for key, path in PATHS.items()
        ],
        "final": {"points": len(rows), "accepted": sum(row["accepted"] for row in rows)},
        "weighting": "uniform over re-run points",
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def compare(out: Path, *extra: str) -> int:
    return main(["compare", "emerging", *MIXES, *SMALL, "--out", str(out), *extra])


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("smartspec: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def calibration(tmp_path_factory) -> Path:
    return make_calibration(tmp_path_factory.mktemp("calibration") / "cal")


@pytest.fixture(scope="module")
def calibrated_compare(tmp_path_factory, calibration) -> Path:
    out = tmp_path_factory.mktemp("compare") / "calibrated"
    assert compare(out, "--calibrated", str(calibration)) == 0
    return out


# --------------------------------------------------------------------------- the set and draws


def test_draws_are_reproducible_and_only_accepted_points(calibration):
    calibrated = load_calibrated(calibration)
    assert calibrated.name == "calibrate_fake"
    assert calibrated.parameters == PATHS
    assert list(calibrated.points.index) == [0, 1, 3]
    assert len(calibrated.sha256) == 64
    draws = calibrated.draw(replications=10, seed=7)
    assert draws == calibrated.draw(replications=10, seed=7)
    assert all(set(draw) == set(PATHS.values()) for draw in draws)
    drawn = {(draw["firm.innovation_rate"], draw["firm.learning_own"]) for draw in draws}
    assert drawn == ACCEPTED
    # every accepted point before any repeats; more replications keep the earlier draws
    assert {tuple(draw.values()) for draw in draws[:3]} == ACCEPTED
    assert calibrated.draw(replications=4, seed=7) == draws[:4]
    seeds = [calibrated.drawn_points(3, seed) for seed in range(12)]
    assert len({tuple(order) for order in seeds}) > 1


def test_the_digest_identifies_the_set(tmp_path, calibration):
    changed = make_calibration(tmp_path / "other", {**POINTS, 0: (0.31, 0.30, True)})
    assert load_calibrated(changed).sha256 != load_calibrated(calibration).sha256


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda folder: shutil.rmtree(folder), "no such calibration folder"),
        (lambda folder: (folder / "nroy.parquet").unlink(), "nroy.parquet: missing"),
        (lambda folder: (folder / "summary.json").unlink(), "summary.json: missing"),
        (
            lambda folder: (folder / "state.json").write_text('{"stage": "wave", "wave": 2}'),
            "not finished (stage wave)",
        ),
        (
            lambda folder: (
                pd.read_parquet(folder / "nroy.parquet")
                .assign(accepted=False)
                .to_parquet(folder / "nroy.parquet")
            ),
            "no point was accepted",
        ),
        (
            lambda folder: (
                pd.read_parquet(folder / "nroy.parquet")
                .drop(columns="learning_own")
                .to_parquet(folder / "nroy.parquet")
            ),
            "no column 'learning_own'",
        ),
    ],
    ids=["no-folder", "no-nroy", "no-summary", "unfinished", "none-accepted", "no-column"],
)
def test_what_is_not_a_finished_calibration_is_one_line(tmp_path, damage, fragment):
    folder = make_calibration(tmp_path / "cal")
    damage(folder)
    with pytest.raises(CalibrationError) as caught:
        load_calibrated(folder)
    message = str(caught.value)
    assert fragment in message and str(folder) in message and "\n" not in message


def test_every_mix_of_a_replication_runs_the_same_draw(calibration):
    spec, _ = comparison_spec("emerging", ["baseline", "capacity_first", "cluster_led"], 3)
    design = build_design(spec, calibrated=load_calibrated(calibration))
    runs = design.inputs()
    assert len(runs) == 9
    by_replication = runs.groupby("replication")
    for column in (*PATHS.values(), "seed"):
        assert by_replication[column].nunique().eq(1).all()
    per_replication = by_replication[list(PATHS.values())].first()
    assert len(per_replication.drop_duplicates()) == 3
    assert design.calibrated["drawn_points"] == load_calibrated(calibration).drawn_points(
        3, spec.design.seed
    )


# ------------------------------------------------------------------- compare --calibrated, CLI


def test_compare_calibrated_stores_and_runs_the_drawn_values(
    calibrated_compare, calibration, tmp_path, capsys
):
    results = load_results(calibrated_compare)
    assert results.manifest["state"] == "finished" and len(results.outcomes) == 6
    expected = load_calibrated(calibration).draw(3, STUDY_SEED)
    for _, row in results.inputs.iterrows():
        assert {path: row[path] for path in PATHS.values()} == expected[row["replication"]]
    recorded = results.provenance["calibrated"]
    assert recorded["name"] == "calibrate_fake" and recorded["points"] == 3
    assert recorded["folder"] == str(calibration.resolve())
    assert recorded["sha256"] == load_calibrated(calibration).sha256
    assert recorded["weighting"] == "uniform over re-run points"
    assert recorded["sha256"] in (calibrated_compare / "experiment.toml").read_text()

    # Without the calibration the same seeds give other outcomes ...
    plain = tmp_path / "plain"
    assert compare(plain) == 0
    outcomes = ["run_id", "total_innovations", "mean_absorption_rate"]
    plain_outcomes = load_results(plain).outcomes[outcomes]
    assert not plain_outcomes.equals(results.outcomes[outcomes])
    # ... and replication 0 is exactly a plain run with its drawn values fixed by --set.
    first = expected[0]
    fixed = [f"--set={path}={value!r}" for path, value in first.items()]
    one = tmp_path / "one"
    code = main(
        ["compare", "emerging", *MIXES, *SMALL[2:], "--reps", "1", *fixed, "--out", str(one)]
    )
    assert code == 0
    rerun = load_results(one).outcomes.set_index("mix")[outcomes[1:]]
    calibrated_rep0 = results.outcomes[results.outcomes["replication"] == 0].set_index("mix")
    pd.testing.assert_frame_equal(rerun, calibrated_rep0[outcomes[1:]])


def test_the_report_says_how_the_parameters_were_drawn(calibrated_compare, capsys):
    assert main(["report", str(calibrated_compare)]) == 0
    text = (calibrated_compare / "report.html").read_text(encoding="utf-8")
    assert SENTENCE in text
    assert "calibrated parameters" in text and load_calibrated_sha(calibrated_compare) in text
    assert "they do not cover uncertainty in its parameters" not in text


def load_calibrated_sha(out: Path) -> str:
    return json.loads((out / "provenance.json").read_text())["calibrated"]["sha256"]


def test_resume_needs_the_same_calibrated_set(calibrated_compare, calibration, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(calibrated_compare, out)
    before = sorted(path.name for path in (out / "runs").iterdir())
    other = make_calibration(tmp_path / "other", {**POINTS, 0: (0.31, 0.30, True)})
    assert compare(out, "--calibrated", str(other), "--resume") == 2
    assert "resume needs the same set" in one_line_error(capsys.readouterr().err)
    assert compare(out, "--resume") == 2
    assert "--calibrated" in one_line_error(capsys.readouterr().err)
    assert sorted(path.name for path in (out / "runs").iterdir()) == before
    assert compare(out, "--calibrated", str(calibration), "--resume") == 0
    assert "6 of 6 runs done" in capsys.readouterr().out


def test_a_plain_comparison_is_not_resumed_with_a_calibrated_set(calibration, tmp_path, capsys):
    out = tmp_path / "plain"
    assert compare(out) == 0
    capsys.readouterr()
    assert compare(out, "--calibrated", str(calibration), "--resume") == 2
    assert "started without --calibrated" in one_line_error(capsys.readouterr().err)


# ----------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("what", ["missing", "unfinished"])
def test_bad_calibrated_folder_is_one_line_and_writes_nothing(tmp_path, capsys, what):
    folder = tmp_path / "nowhere"
    if what == "unfinished":
        make_calibration(folder)
        (folder / "nroy.parquet").unlink()
    out = tmp_path / "out"
    assert compare(out, "--calibrated", str(folder)) == 2
    assert str(folder) in one_line_error(capsys.readouterr().err)
    assert not out.exists()


def test_a_drawn_path_cannot_also_be_fixed(calibration, tmp_path, capsys):
    out = tmp_path / "out"
    code = compare(out, "--set", "firm.innovation_rate=0.2", "--calibrated", str(calibration))
    assert code == 2
    assert "model.set: firm.innovation_rate is drawn" in one_line_error(capsys.readouterr().err)
    assert not out.exists()


def test_sweep_calibrated_needs_a_comparison_design(calibration, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["sweep", "demo_screening", "--calibrated", str(calibration), "--out", str(out)])
    assert code == 2
    line = one_line_error(capsys.readouterr().err)
    assert "design.kind" in line and "comparison" in line
    assert not out.exists()


def test_sweep_calibrated_runs_a_comparison_file(calibration, tmp_path, capsys):
    experiment = tmp_path / "mixes.toml"
    experiment.write_text(
        'name = "mixes"\n[model]\nscenario = "emerging"\nsteps = 8\n'
        'set = { "regions.0.firms" = 150 }\n'
        '[design]\nkind = "comparison"\nmixes = ["baseline", "cluster_led"]\nreplications = 2\n'
        '[outcomes]\nfinal = ["innovation_index"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(
        ["sweep", str(experiment), "--calibrated", str(calibration), "--workers", "1"]
        + ["--out", str(out)]
    )
    assert code == 0
    results = load_results(out)
    assert results.provenance["calibrated"]["points"] == 3
    assert results.inputs.groupby("replication")["firm.learning_own"].nunique().eq(1).all()


def test_a_calibration_of_another_model_version_is_refused(tmp_path, capsys):
    from smartspec.model.version import MODEL_VERSION

    folder = make_calibration(tmp_path / "old")
    (folder / "provenance.json").write_text(json.dumps({"model_version": MODEL_VERSION - 1}))
    out = tmp_path / "compare"
    assert compare(out, "--calibrated", str(folder)) == 2
    assert "model version" in one_line_error(capsys.readouterr().err)
    assert not out.exists()
