"""Analyses on results with known structure, run through the experiments layer."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from smartspec.analysis import comparison, sensitivity
from smartspec.experiments import (
    CallableTarget,
    ExperimentSpec,
    load_results,
    run_experiment,
)
from smartspec.experiments.examples import ADDITIVE_WEIGHTS, additive


def additive_spec(kind: str, samples: int, **design) -> ExperimentSpec:
    return ExperimentSpec.model_validate(
        {
            "name": f"additive-{kind}",
            "design": {"kind": kind, "samples": samples, "seed": 11, **design},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ADDITIVE_WEIGHTS
            ],
            "outcomes": {"final": ["y"]},
        }
    )


def run_additive(tmp_path, spec: ExperimentSpec):
    run_experiment(spec, tmp_path / spec.name, spec.name, target=CallableTarget(additive))
    results = load_results(tmp_path / spec.name)
    results.provenance["results_dir"] = str(tmp_path / spec.name)
    return results


@pytest.fixture(scope="module")
def sobol_results(tmp_path_factory):
    return run_additive(tmp_path_factory.mktemp("sobol"), additive_spec("sobol", 1024))


def test_sobol_recovers_the_known_indices_of_an_additive_function(sobol_results):
    result = sensitivity.sobol_indices(sobol_results, "y", seed=1)
    total = sum(weight**2 for weight in ADDITIVE_WEIGHTS.values())
    indices = result.indices.set_index("parameter")
    for name, weight in ADDITIVE_WEIGHTS.items():
        expected = weight**2 / total
        assert indices.loc[name, "S1"] == pytest.approx(expected, abs=0.04), name
        assert indices.loc[name, "ST"] == pytest.approx(expected, abs=0.04), name
        assert indices.loc[name, "ST_conf"] < 0.1
    assert (result.second_order["S2"].abs() < 0.06).all()  # no interactions
    assert list(indices.index[:3]) == ["x1", "x2", "x3"]
    assert np.isnan(result.noise_share)  # one replication: noise cannot be estimated


def test_sobol_convergence_table(sobol_results):
    table = sensitivity.sobol_convergence(sobol_results, "y")
    assert sorted(table["samples"].unique()) == [128, 256, 512, 1024]
    last = table[table["samples"] == 1024].set_index("parameter")["S1"]
    assert last["x1"] > last["x2"] > last["x3"]


def test_morris_ranks_by_elementary_effects(tmp_path):
    results = run_additive(tmp_path, additive_spec("morris", 30, levels=4))
    mu_star = sensitivity.morris_indices(results, "y", seed=1).indices.set_index("parameter")
    for name, weight in ADDITIVE_WEIGHTS.items():
        assert mu_star.loc[name, "mu_star"] == pytest.approx(weight, abs=1e-9)
        assert mu_star.loc[name, "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_wrong_design_and_missing_outcome_are_clear(sobol_results, tmp_path):
    with pytest.raises(sensitivity.SensitivityError, match="morris"):
        sensitivity.morris_indices(sobol_results, "y")
    with pytest.raises(sensitivity.SensitivityError, match="no outcome"):
        sensitivity.sobol_indices(sobol_results, "z")


def test_replication_noise_share():
    rng = np.random.default_rng(3)
    points = np.repeat(np.arange(200), 5)
    signal = rng.normal(0, 1, 200)[points]
    noise = rng.normal(0, 1, len(points))
    frame = pd.DataFrame({"point": points, "y": signal + noise})
    assert sensitivity.replication_noise(frame, "y") == pytest.approx(0.5, abs=0.06)


@pytest.fixture
def paired() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    common = rng.normal(10, 2, 30)  # what every mix shares in replication k (CRN)
    rows = []
    for mix, shift, own in (("base", 0.0, 0.05), ("better", 0.5, 0.05), ("same", 0.0, 0.05)):
        values = common + shift + rng.normal(0, own, 30)
        rows += [{"mix": mix, "replication": k, "y": v} for k, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_paired_differences_use_common_random_numbers(paired):
    table = comparison.paired_differences(paired, ["y"], baseline="base").set_index("mix")
    assert table.loc["better", "difference"] == pytest.approx(0.5, abs=0.05)
    assert table.loc["better", "clear"] and table.loc["better", "low"] > 0.4
    assert not table.loc["same", "clear"]
    # Unpaired, the between-replication spread (s.d. 2) would hide a 0.5 difference.
    summary = comparison.summarise_outcomes(paired, ["y"]).set_index("mix")
    assert summary.loc["better", "low"] < summary.loc["base", "high"]


def test_ranking_admits_ties(paired):
    ranking = comparison.rank_groups(paired, "y").set_index("mix")
    assert ranking.loc["better", "rank"] == 1 and ranking.loc["better", "tier"] == 1
    assert ranking.loc["base", "tier"] == ranking.loc["same", "tier"] == 2
    assert "same" in ranking.loc["base", "cannot_be_told_apart_from"]


def test_tradeoffs_mark_pareto_efficient_groups():
    frame = pd.DataFrame(
        {
            "mix": ["a", "b", "c"],
            "economic": [1.0, 2.0, 0.5],
            "social": [2.0, 1.0, 0.5],
        }
    )
    table = comparison.tradeoffs(frame, {"economic": True, "social": True}).set_index("mix")
    assert table.loc["a", "pareto_efficient"] and table.loc["b", "pareto_efficient"]
    assert not table.loc["c", "pareto_efficient"]


def test_series_bands():
    series = pd.DataFrame({"run_id": [0, 0, 1, 1], "step": [0, 1, 0, 1], "y": [1.0, 2.0, 3.0, 4.0]})
    inputs = pd.DataFrame({"run_id": [0, 1], "mix": ["m", "m"]})
    bands = comparison.series_bands(series, inputs, "y")
    assert bands["y"].tolist() == [2.0, 3.0]
    assert (bands["low"] < bands["y"]).all() and (bands["high"] > bands["y"]).all()


def test_analyze_command_on_a_sobol_folder(sobol_results, tmp_path, capsys):
    from smartspec.analysis.analyze import analyze_results
    from smartspec.cli import main

    folder = tmp_path / "copy"
    shutil.copytree(sobol_results_dir(sobol_results), folder)
    assert main(["analyze", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "== sobol" in printed and "x1" in printed
    table = pd.read_csv(folder / "analysis" / "sobol.csv")
    assert set(table["parameter"]) == set(ADDITIVE_WEIGHTS)
    assert {"sobol", "noise", "sobol_convergence"} <= set(analyze_results(folder))


def test_analyze_rejects_a_folder_without_results(tmp_path, capsys):
    from smartspec.cli import main

    assert main(["analyze", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "not a results folder" in error[0]


def sobol_results_dir(results) -> str:
    return results.provenance["results_dir"]


@pytest.mark.slow
def test_analyze_finds_where_a_region_catches_up(tmp_path):
    from smartspec.analysis.analyze import analyze_results, write_figures
    from smartspec.experiments.examples import catching_up

    spec = ExperimentSpec.model_validate(
        {
            "name": "catching-up",
            "design": {"kind": "lhs", "samples": 400, "seed": 9},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ("x1", "x2", "x3")
            ],
            "outcomes": {"mean": ["innovation_index"]},
        }
    )
    folder = tmp_path / "lhs"
    run_experiment(spec, folder, "lhs", target=CallableTarget(catching_up))
    tables = analyze_results(folder)
    box = tables["discovery_box"].set_index("parameter")
    assert box.loc["x1", "restricted"] and box.loc["x1", "low"] == pytest.approx(0.5, abs=0.05)
    assert box.loc["x2", "restricted"] and box.loc["x2", "low"] == pytest.approx(0.6, abs=0.05)
    assert not box.loc["x3", "restricted"]
    assert tables["feature_scores"]["parameter"].iloc[-1] == "x3"
    assert any("x1" in sentence for sentence in tables["discovery"]["finding"])
    written = write_figures(folder, tmp_path / "figures")
    assert {path.name for path in written} >= {"prim_box.png", "prim_box.svg"}
