"""The researcher's workflow (issue 16): own functions in sweeps (``--target``), sweepable mix
shares, mix files, tidy exports, listing the bundled experiments, and more from ``run``."""

from __future__ import annotations

import re
import shlex
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from smartspec.cli import main
from smartspec.dashboard import rebalance_shares
from smartspec.experiments import bundled_experiments, load_experiment, load_results
from smartspec.experiments.examples import ishigami_indices
from smartspec.model import EcosystemModel
from smartspec.scenarios import (
    INSTRUMENTS,
    ScenarioError,
    load_scenario,
    normalise_share_weights,
    set_mix_shares,
)

ROOT = Path(__file__).resolve().parent.parent
#: A region small and short enough for a run in a fraction of a second.
SMALL = ["--steps", "3", "--set", "regions.0.firms=100", "--set", "regions.0.citizen_groups=2"]
SMALL_SET = '{ "regions.0.firms" = 100, "regions.0.citizen_groups" = 2 }'
SKILLS_MIX = """\
name = "skills"
description = "Skills first: training and capacity building"
[shares]
training = 0.5
capacity_building = 0.3
rd_grants = 0.2
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def one_error_line(capsys, argv: list[str]) -> str:
    """Run the command, which must be refused with exit status 2 and one line on stderr."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------ 1. own functions (--target)
def _doc_blocks(heading: str) -> dict[str, list[str]]:
    """The fenced code blocks of one section of docs/experiments.md, by language."""
    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w*)\n(.*?)```", section, flags=re.DOTALL):
        blocks.setdefault(language, []).append(body)
    return blocks


def test_the_documented_ishigami_example_recovers_the_analytic_indices(
    tmp_path, monkeypatch, capsys
):
    """docs/experiments.md's worked example, block by block: the file, the commands and the
    Python that puts the analytic indices beside the estimates."""
    blocks = _doc_blocks("### Worked example: the Ishigami function through Sobol")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ishigami.toml", blocks["toml"][0])
    for line in blocks["bash"][0].strip().splitlines():
        words = shlex.split(line)
        assert words[0] == "smartspec"
        assert main(words[1:]) == 0, line
    namespace: dict = {}
    exec(blocks["python"][0], namespace)  # noqa: S102 - the documentation's own example
    table = namespace["table"]
    printed = capsys.readouterr().out
    assert "S1 analytic" in printed
    analytic = ishigami_indices()
    for index in ("S1", "ST"):
        for name, value in analytic[index].items():
            estimate, half_width = table.loc[name, index], table.loc[name, f"{index}_conf"]
            assert table.loc[name, f"{index} analytic"] == pytest.approx(value)
            assert abs(estimate - value) <= max(half_width, 0.02), (index, name)
    provenance = load_results(tmp_path / "results" / "ishigami").provenance
    assert provenance["command_line"][-4:-2] == ["--out", "results/ishigami"]


def test_a_target_from_the_working_folder_runs_in_worker_processes(tmp_path, monkeypatch):
    """A module beside the experiment, named on the command line, is imported by the spawned
    workers too; outcomes are the keys it returns, sequences become series."""
    write(
        tmp_path / "mymodel.py",
        """
        import numpy as np

        def growth(params, rng):
            path = params["rate"] * np.arange(4) + rng.normal(0, 0.01, 4)
            return {"level": float(params["start"] + path[-1]), "path": path}
        """,
    )
    write(
        tmp_path / "growth.toml",
        """
        name = "growth"
        [design]
        kind = "grid"
        replications = 2
        [[parameters]]
        name = "rate"
        levels = [0.5, 1.0]
        [[parameters]]
        name = "start"
        path = "free.name.not.a.scenario.field"
        levels = [10, 20]
        """,
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "mymodel", raising=False)
    argv = ["sweep", "growth.toml", "--target", "mymodel:growth", "--out", "out"]
    assert main([*argv, "--workers", "2"]) == 0
    results = load_results(tmp_path / "out")
    assert len(results.outcomes) == 8 and results.failures.empty
    expected = results.outcomes["start"] + 3 * results.outcomes["rate"]
    np.testing.assert_allclose(results.outcomes["level"], expected, atol=0.05)
    assert {"rate", "start", "replication", "seed", "step", "path"} <= set(results.series.columns)
    # The report says where the results come from and looks inside no SmartSpec region.
    assert main(["report", "out"]) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "a function supplied by the user" in page
    assert "A look inside one simulation" not in page and "Regional Innovation" not in page
    # The function is part of the experiment: resuming with another one is refused.
    assert main([*argv, "--resume"]) == 0
    assert main(["sweep", "growth.toml", "--out", "out", "--resume"]) == 2


@pytest.mark.parametrize(
    ("target", "toml", "problem"),
    [
        ("nocolon", "", "expected package.module:function"),
        ("no_such_module_xyz:f", "", "cannot import 'no_such_module_xyz'"),
        ("smartspec.experiments.examples:nothing", "", "has no function 'nothing'"),
        (
            "smartspec.experiments.examples:ishigami",
            '[outcomes]\nfinal = ["innovation_index"]\n',
            "outcomes: with --target the outcomes are the keys the function returns",
        ),
    ],
)
def test_a_target_that_cannot_be_used_is_one_line(tmp_path, capsys, target, toml, problem):
    path = write(
        tmp_path / "x.toml",
        'name = "x"\n[design]\nkind = "lhs"\nsamples = 2\n'
        '[[parameters]]\nname = "x1"\nrange = [0, 1]\n' + toml,
    )
    line = one_error_line(
        capsys, ["sweep", str(path), "--target", target, "--out", str(tmp_path / "o")]
    )
    assert problem in line
    assert not (tmp_path / "o").exists()


def test_without_a_target_outcomes_and_paths_are_still_required(tmp_path, capsys):
    path = write(
        tmp_path / "x.toml",
        'name = "x"\n[design]\nkind = "lhs"\nsamples = 2\n'
        '[[parameters]]\nname = "x1"\nrange = [0, 1]\n',
    )
    assert "outcomes: required field is missing" in one_error_line(capsys, ["sweep", str(path)])
    path.write_text(path.read_text() + '[outcomes]\nfinal = ["firms"]\n')
    assert "parameters[0].path: required" in one_error_line(capsys, ["sweep", str(path)])


# ------------------------------------------------------------------ 3. sweepable mix shares
BASE = {"rd_grants": 0.5, "training": 0.3, "living_labs": 0.2}


def test_setting_one_share_rescales_the_others_proportionally():
    shares = set_mix_shares(BASE, {"training": 0.6})
    assert list(shares) == list(INSTRUMENTS)
    assert shares["training"] == 0.6
    assert shares["rd_grants"] == pytest.approx(0.4 * 5 / 7)
    assert shares["living_labs"] == pytest.approx(0.4 * 2 / 7)
    assert shares["rd_grants"] / shares["living_labs"] == pytest.approx(2.5)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)


def test_several_shares_are_set_together_and_the_rest_fill_the_remainder():
    shares = set_mix_shares(BASE, {"training": 0.2, "capacity_building": 0.3})
    assert (shares["training"], shares["capacity_building"]) == (0.2, 0.3)
    assert shares["rd_grants"] == pytest.approx(0.5 * 5 / 7)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("shares", "values", "problem"),
    [
        (BASE, {"training": 0.7, "rd_grants": 0.5}, "infeasible mix: the set shares sum to 1.2"),
        (BASE, {"training": 1.2}, "must be in [0, 1]"),
        (BASE, {"trainin": 0.2}, "unknown instrument 'trainin'"),
        ({"rd_grants": 1.0}, {"rd_grants": 0.6}, "the other shares are all 0"),
        ({"rd_grants": 1.0}, {"rd_grants": 0.5, "training": 0.2}, "the other shares are all 0"),
    ],
)
def test_an_infeasible_share_change_is_refused(shares, values, problem):
    with pytest.raises(ScenarioError, match=re.escape(problem)):
        set_mix_shares(shares, values)


def test_the_dashboard_uses_the_same_rule_but_spreads_a_remainder_with_no_owner():
    assert rebalance_shares(BASE, "training", 0.6) == set_mix_shares(BASE, {"training": 0.6})
    spread = rebalance_shares({"rd_grants": 1.0}, "rd_grants", 0.1)
    assert spread["training"] == pytest.approx(0.9 / (len(INSTRUMENTS) - 1))


def test_normalised_weights_split_the_varied_instruments_base_total():
    shares = normalise_share_weights(BASE, {"rd_grants": 1.0, "training": 3.0})
    assert shares == pytest.approx({"rd_grants": 0.2, "training": 0.6})
    with pytest.raises(ScenarioError, match="every sampled weight is 0"):
        normalise_share_weights(BASE, {"rd_grants": 0.0, "training": 0.0})


def test_set_and_the_model_apply_the_rule(capsys):
    """``--set``, a model built with overrides (as calibration and EMA build it) and one
    revised from a loaded scenario all give the same mix."""
    loaded = load_scenario("emerging", overrides={"mix.shares.training": 0.4})
    base = load_scenario("emerging").mix.shares
    assert loaded.mix.shares == set_mix_shares(base, {"training": 0.4})
    assert EcosystemModel("emerging", rng=1, **{"mix.shares.training": 0.4}).spec.mix == loaded.mix
    revised = EcosystemModel(load_scenario("emerging"), rng=1, **{"mix.shares.training": 0.4})
    assert revised.spec.mix.shares == pytest.approx(loaded.mix.shares)
    phase = load_scenario(
        "emerging", mix="capacity_then_grants", overrides={"mix.phases.0.shares.training": 0.3}
    )
    assert phase.mix.phases[0].shares["training"] == 0.3
    line = one_error_line(
        capsys, ["run", "emerging", "--set", "mix.shares.training=0.8", "--set",
                 "mix.shares.rd_grants=0.5", "--out", "unused"],
    )  # fmt: skip
    assert "mix.shares: infeasible mix: the set shares sum to 1.3" in line


def _share_experiment(tmp_path: Path, shares: str, high: float = 1.0) -> Path:
    return write(
        tmp_path / "shares.toml",
        f"""
        name = "shares"
        [model]
        scenario = "emerging"
        steps = 2
        set = {SMALL_SET}
        [design]
        kind = "lhs"
        samples = 3
        {shares}
        [[parameters]]
        name = "grants"
        path = "mix.shares.rd_grants"
        range = [0.0, {high}]
        [[parameters]]
        name = "training"
        path = "mix.shares.training"
        range = [0.0, {high}]
        [outcomes]
        final = ["innovation_index"]
        """,
    )


def test_shares_that_could_sum_above_one_are_refused_before_anything_runs(tmp_path, capsys):
    path = _share_experiment(tmp_path, "")
    line = one_error_line(capsys, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert "can sum to 2 > 1, an infeasible mix" in line and 'shares = "normalised"' in line
    assert not (tmp_path / "o").exists()
    load_experiment(_share_experiment(tmp_path, "", high=0.5))  # at most 1: accepted


def test_shares_sampled_on_the_simplex_are_realised_and_recorded(tmp_path):
    path = _share_experiment(tmp_path, 'shares = "normalised"')
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    outcomes = load_results(tmp_path / "o").outcomes
    realised = outcomes.filter(like="realised.mix.shares.")
    assert set(realised.columns) == {f"realised.mix.shares.{name}" for name in INSTRUMENTS}
    np.testing.assert_allclose(realised.sum(axis=1), 1.0, atol=1e-9)
    base = load_scenario("emerging").mix.shares
    grants, training = (
        realised["realised.mix.shares.rd_grants"],
        realised["realised.mix.shares.training"],
    )
    np.testing.assert_allclose(grants + training, base["rd_grants"] + base["training"])
    np.testing.assert_allclose(grants / training, outcomes["grants"] / outcomes["training"])
    np.testing.assert_allclose(realised["realised.mix.shares.cluster_support"], 0.1)
    from smartspec.analysis.kinds.base import scalar_outcomes

    assert scalar_outcomes(load_results(tmp_path / "o")) == ["final_innovation_index"]


# ------------------------------------------------------------------ 4. mix files
def test_a_mix_file_works_wherever_a_mix_name_does(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "skills_mix.toml", SKILLS_MIX)
    assert main(["run", "emerging", "--mix", "skills_mix.toml", *SMALL, "--quiet"]) == 0
    assert (tmp_path / "results" / "run-emerging-skills-seed1" / "run.json").is_file()
    assert load_scenario("emerging", mix="skills_mix.toml").mix.name == "skills"
    argv = ["compare", "emerging", "--mix", "baseline", "--mix", "skills_mix.toml", "--reps", "2"]
    assert main([*argv, *SMALL, "--workers", "1", "--out", "cmp"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^mix\s+baseline\s+skills$", table, flags=re.MULTILINE), table
    line = one_error_line(capsys, ["run", "emerging", "--mix", "nothing_here.toml"])
    assert "--mix: mix: mix file not found: nothing_here.toml" in line
    write(tmp_path / "broken.toml", SKILLS_MIX.replace("0.2", "0.3"))
    for refused in (["run", "emerging", "--mix", "broken.toml"], [*argv, "--mix", "broken.toml"]):
        line = one_error_line(capsys, refused)
        assert line.endswith("broken.toml: shares: shares must sum to 1 (they sum to 1.1)")


def test_a_comparison_of_scenario_files_is_reported_by_their_names(tmp_path, capsys):
    """Experiment mixes and scenarios given as files (relative to the experiment file); the
    sweep prints compare's table, and the report presents scenarios with their own names
    and descriptions."""
    folder = tmp_path / "study"
    folder.mkdir()
    write(folder / "skills_mix.toml", SKILLS_MIX)
    for name, description in (("north", "A northern test region"), ("south", "A southern one")):
        write(
            folder / f"{name}.toml",
            f"""
            name = "{name}_region"
            description = "{description}"
            mix = "skills_mix.toml"
            [[regions]]
            archetype = "emerging"
            name = "{name.title()}"
            firms = 100
            citizen_groups = 2
            """,
        )
    write(
        folder / "regions.toml",
        """
        name = "two_regions"
        [model]
        steps = 3
        [design]
        kind = "comparison"
        scenarios = ["north.toml", "south.toml"]
        replications = 2
        [outcomes]
        final = ["innovation_index"]
        total = ["innovations"]
        """,
    )
    out = tmp_path / "out"
    assert main(["sweep", str(folder / "regions.toml"), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^scenario\s+north_region\s+south_region$", printed, flags=re.MULTILINE)
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    question = page.split("The question", 1)[1].split("Results with", 1)[0]
    assert "How do the scenarios <b>north_region</b>, <b>south_region</b>" in question
    assert "A northern test region" in question and "A southern one" in question
    assert "Skills first: training and capacity building" in question
    assert "policy mixes" not in question
    mixed = write(folder / "mixes.toml", (folder / "regions.toml").read_text())
    mixed.write_text(
        mixed.read_text().replace('scenarios = ["north.toml", "south.toml"]', "")
        .replace("[design]", '[design]\nmixes = ["baseline", "skills_mix.toml"]')
        .replace("[model]", '[model]\nscenario = "north.toml"')
    )  # fmt: skip
    spec, _ = load_experiment(mixed)
    assert spec.design.mixes[1] == str(folder / "skills_mix.toml")


# ------------------------------------------------------------------ 6. export
def test_export_writes_one_tidy_row_per_run_and_per_quarter(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "emerging", "--mix", "baseline", "--mix", "cluster_led", "--reps", "2"]
    assert main([*argv, *SMALL, "--workers", "1", "--out", str(out)]) == 0
    inputs = ["run_id", "point", "replication", "seed", "scenario", "mix"]
    for file_format, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        assert main(["export", str(out), "--format", file_format, "--series"]) == 0
        runs = read(out / "export" / f"runs.{file_format}")
        series = read(out / "export" / f"series.{file_format}")
        assert list(runs.columns[:7]) == [*inputs, "status"]
        assert len(runs) == 4 and set(runs["mix"]) == {"baseline", "cluster_led"}
        assert "final_innovation_index" in runs
        assert list(series.columns[:7]) == [*inputs, "step"]
        assert len(series) == 4 * 4 and series["seed"].nunique() == 2
    loaded = load_results(out).series
    assert list(loaded.columns) == list(series.columns)
    capsys.readouterr()
    line = one_error_line(capsys, ["export", str(tmp_path)])
    assert "not a results folder" in line


# ------------------------------------------------------------------ 7. listing
def test_experiments_lists_every_bundled_experiment_and_sweep_finds_it_by_file_name(capsys):
    assert main(["experiments"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in lines] == [path.stem for path in bundled_experiments()]
    assert "emerging_mixes" in lines[1] and "comparison" in lines[1]
    assert load_experiment("emerging_mixes.toml")[1] == load_experiment("emerging_mixes")[1]
    assert main(["scenarios"]) == 0
    assert "smartspec experiments" in capsys.readouterr().out


# ------------------------------------------------------------------ 11. more from run
def test_run_plots_the_chosen_indicators_and_writes_the_network(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "europe", "--steps", "2", "--set", "regions.*.firms=60"]
    assert main([*argv, "--plot", "gdp", "human_capital", "--network", "graphml",
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    assert (out / "key_indicators.png").stat().st_size > 1000
    graph = nx.read_graphml(out / "network.graphml")
    kinds = nx.get_node_attributes(graph, "type")
    assert set(kinds.values()) == {"firm", "university", "government", "citizen group"}
    regions = {"North", "Centre", "East", "South-East"}
    assert set(nx.get_node_attributes(graph, "region").values()) == regions
    assert all(value > 0 for value in nx.get_node_attributes(graph, "size").values())
    assert all(re.fullmatch(r"D\d+", domain) for domain in
               nx.get_node_attributes(graph, "domain").values() if domain)  # fmt: skip
    assert graph.number_of_edges() > 0
    assert main([*argv, "--network", "pajek", "--out", str(tmp_path / "p"), "--quiet"]) == 0
    pajek = nx.read_pajek(tmp_path / "p" / "network.net")
    assert pajek.number_of_nodes() > 0 and "region" in next(iter(pajek.nodes.values()))
    line = one_error_line(capsys, ["run", "emerging", "--plot", "gdp", "patents", "--out",
                                   str(tmp_path / "bad")])  # fmt: skip
    assert "--plot: patents: unknown indicator" in line
    assert not (tmp_path / "bad").exists()
