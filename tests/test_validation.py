"""Validation statistics and the stylised facts the model must reproduce (several seeds)."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartspec.analysis import targets, validation
from smartspec.cli import main
from smartspec.experiments import load_results, replication_seeds
from smartspec.scenarios import ARCHETYPES
from smartspec.studies import validate
from smartspec.studies.common import Execution


def test_logistic_fit_recovers_known_coefficients():
    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, 20_000)
    y = rng.random(len(x)) < 1 / (1 + np.exp(-(-1.0 + 1.5 * x)))
    a, b = validation.logistic_fit(x, y)
    assert a == pytest.approx(-1.0, abs=0.08)
    assert b == pytest.approx(1.5, abs=0.08)


@pytest.mark.parametrize("alpha", [0.8, 1.0, 1.5])
def test_power_law_tail_and_rank_size_recover_the_exponent(alpha):
    rng = np.random.default_rng(int(alpha * 10))
    sizes = (1 - rng.random(50_000)) ** (-1 / alpha)
    assert validation.power_law_tail(sizes) == pytest.approx(alpha, rel=0.08)
    assert validation.rank_size_slope(sizes) == pytest.approx(-alpha, rel=0.15)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    # Five seeds drawn from a master seed that nothing was tuned to.
    out = tmp_path_factory.mktemp("validation") / "runs"
    with Execution(workers=2) as execution:
        validate.run_validation(out, reps=5, seed=777, execution=execution)
    return validate.summarise_validation(out)


def measured(result, pattern: str) -> float:
    return next(check.simulated for check in result.checks if check.pattern == pattern)


@pytest.mark.slow
def test_principle_of_relatedness(result):
    # Five seeds give too few events for the magnitude verdict (tests/test_relatedness.py
    # checks the bands on more runs); the signs and the placebo already show.
    assert measured(result, "relatedness: entry") > 0  # entry rises with density
    assert measured(result, "relatedness: exit") < 0  # exit falls with density
    assert measured(result, "relatedness: entry, log RCA control") > 0


@pytest.mark.slow
def test_heavy_tailed_firm_sizes(result):
    assert -1.6 < measured(result, "firm sizes: rank-size") < -0.7
    assert 0.7 < measured(result, "firm sizes: tail exponent") < 1.6


@pytest.mark.slow
def test_clustered_network(result):
    assert measured(result, "network: clustering") > 10


@pytest.mark.slow
def test_heavy_tailed_degrees(result):
    assert measured(result, "network: heavy-tailed degrees") > 1.5


@pytest.mark.slow
def test_regional_innovation_paradox(result):
    assert measured(result, "innovation paradox: emerging vs strong") > 0
    assert measured(result, "innovation paradox: capacity first") > 0


SMALL = ["--reps", "2", "--firms", "250", "--steps", "24"]


@pytest.fixture(scope="module")
def small_validation(tmp_path_factory) -> tuple[Path, str]:
    """``smartspec validate`` on two processes: two seeds, small regions, 24 quarters; the
    folder and what it printed."""
    out = tmp_path_factory.mktemp("small") / "validation"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["validate", *SMALL, "--workers", "2", "--out", str(out)]) == 0
    return out, printed.getvalue()


@pytest.mark.slow
def test_validate_command_writes_the_report(small_validation):
    out, printed = small_validation
    names = {path.name for path in out.iterdir()}
    assert {
        "validation.csv",
        "report.md",
        "report.html",
        "relatedness.png",
        "firm_sizes.png",
        "paradox.png",
    } <= names
    table = pd.read_csv(out / "validation.csv")
    assert len(table) == 12 and table["anchor"].notna().all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3
    assert "relatedness: entry" in printed


@pytest.mark.slow
def test_validate_reports_every_published_target_with_a_verdict(small_validation):
    out, printed = small_validation
    table = pd.read_csv(out / "targets.csv")
    expected = len(targets.validation_targets()) + len(targets.QUALITATIVE)
    assert len(table) == expected and table["target"].is_unique
    assert set(table["verdict"]) <= {"yes", "partly", "NO"}
    assert set(table["use"]) == {"calibrated", "out-of-sample", "diagnostic"}
    assert set(table.loc[table["use"] == "diagnostic", "row"]) == {"T6", "T7", "T8", "T9"}
    assert set(table.loc[table["use"] == "out-of-sample", "row"]) == {"T9", "T13", "T18", "paradox"}
    assert "Published targets" in printed and "out-of-sample" in printed
    assert "## Published targets" in (out / "report.md").read_text(encoding="utf-8")
    assert "<h2>Published targets</h2>" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_validation_runs_are_an_experiment_with_the_layers_seeds(small_validation):
    results = load_results(small_validation[0])
    assert results.complete and results.manifest["state"] == "finished"
    assert len(results.inputs) == len(validate.CASES) * 2
    assert sorted(set(results.inputs["seed"])) == sorted(replication_seeds(2015, 2))
    # Every case runs with the same seeds, so grant and no-grant runs are paired.
    assert (results.inputs.groupby("replication")["seed"].nunique() == 1).all()
    relatedness = results.outcomes[results.outcomes["check"] == "relatedness"]
    assert sorted(set(relatedness["variant"])) == sorted(ARCHETYPES)
    # The per-run tables hold the domains of the relatedness runs only.
    assert set(results.series["run_id"]) == set(relatedness["run_id"])
    assert set(results.series["record"]) == {"domain", "firm"}


@pytest.mark.slow
def test_validation_resumes_without_running_again(small_validation, tmp_path, capsys):
    out = tmp_path / "validation"
    shutil.copytree(small_validation[0], out)
    before = (out / "validation.csv").read_text(encoding="utf-8")
    assert main(["validate", *SMALL, "--workers", "1", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    # Other settings are another experiment: refused, the folder is left as it was.
    assert main(["validate", *SMALL, "--seed", "3", "--out", str(out), "--resume"]) == 2
    error = capsys.readouterr().err
    assert "cannot resume" in error and "the experiment definition" in error
    assert main(["validate", *SMALL, "--workers", "1", "--out", str(out), "--resume"]) == 0
    assert "resuming: 20 of 20 runs already done" in capsys.readouterr().err
    assert (out / "validation.csv").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("event", "effect", "interval", "holds"),
    [
        ("entry", 0.30, (0.20, 0.40), True),
        ("entry", 0.12, (0.10, 0.14), False),  # right sign, less than half the size
        ("entry", 0.30, (-0.05, 0.60), False),  # in the band but not distinct from zero
        ("exit", -0.08, (-0.12, -0.04), True),
        ("exit", -0.35, (-0.40, -0.28), False),  # right sign, four times the size
        ("exit", 0.05, (0.01, 0.09), False),
    ],
)
def test_the_relatedness_verdict_checks_the_size_not_only_the_sign(event, effect, interval, holds):
    assert validation.relatedness_holds(event, effect, interval) is holds
