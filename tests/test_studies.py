"""Bottleneck diagnosis: the reforms, the paired ranking, and the command."""

from __future__ import annotations

import pandas as pd
import pytest
from experiment_helpers import TINY_SCREENING

from smartspec.cli import main
from smartspec.scenarios import load_scenario
from smartspec.studies.diagnose import (
    REFORMS,
    binding,
    reform_overrides,
    run_diagnosis,
    summarise_diagnosis,
)

SMALL = {"regions.*.firms": 150, "regions.*.citizen_groups": 3}


def by_name(name: str):
    return next(reform for reform in REFORMS if reform.constraint == name)


def test_every_constraint_of_the_issue_has_a_reform():
    assert {reform.constraint for reform in REFORMS} == {
        "absorptive capacity",
        "human capital",
        "network connectivity",
        "institutional quality",
        "finance",
        "citizen engagement",
        "relatedness of the knowledge base",
    }


@pytest.mark.parametrize(
    ("constraint", "path", "expected"),
    [
        ("absorptive capacity", "regions.0.absorptive_capacity", 0.22 + 0.15),
        ("human capital", "regions.0.human_capital", 0.16 + 0.10),
        ("institutional quality", "regions.0.government.institutional_quality", 0.30 + 0.20),
        ("finance", "regions.0.government.budget_share", 0.003 * 1.5),
        ("citizen engagement", "regions.0.citizen_trust", 0.30 + 0.20),
        ("relatedness of the knowledge base", "regions.0.concentration", 0.3 + 0.2),
    ],
)
def test_reforms_relax_by_the_stated_amount(constraint, path, expected):
    overrides = reform_overrides("emerging", by_name(constraint), {})
    assert overrides[path] == pytest.approx(expected)
    # and the reformed scenario is valid
    load_scenario("emerging", overrides=overrides)


def test_global_reform_and_caps():
    search = reform_overrides("emerging", by_name("network connectivity"), {})
    assert search == {"firm.partner_search_rate": pytest.approx(0.16)}
    capped = reform_overrides(
        "leader",
        by_name("institutional quality"),
        {"regions.0.government.institutional_quality": 0.9},
    )
    assert capped["regions.0.government.institutional_quality"] == 1.0


def test_reforms_apply_to_every_region():
    overrides = reform_overrides("europe", by_name("finance"), {})
    assert len(overrides) == 4
    assert all(key.endswith("government.budget_share") for key in overrides)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    out = tmp_path_factory.mktemp("diagnose") / "emerging"
    run_diagnosis("emerging", out, replications=3, steps=8, fixed=SMALL)
    return summarise_diagnosis(out)


def test_diagnosis_ranks_every_constraint_against_the_paired_baseline(table):
    main_rows = table[table["outcome"] == "mean_innovation_index"]
    assert len(main_rows) == len(REFORMS)
    assert sorted(main_rows["rank"]) == list(range(1, len(REFORMS) + 1))
    assert (main_rows["pairs"] == 3).all()
    assert main_rows.sort_values("rank")["difference"].is_monotonic_decreasing
    assert (main_rows["low"] <= main_rows["difference"]).all()


def test_binding_bottleneck_is_a_clear_positive_effect():
    table = pd.DataFrame(
        {
            "reform": ["finance", "human capital", "absorptive capacity"],
            "outcome": ["mean_innovation_index"] * 3,
            "difference": [5.0, 8.0, 2.0],
            "clear": [True, False, True],
        }
    )
    assert binding(table) == "finance"  # human capital gains more but not clearly
    assert binding(table.assign(clear=False)) is None


@pytest.mark.slow
def test_diagnose_command_for_the_four_archetypes(tmp_path, capsys):
    code = main(
        [
            "diagnose",
            "archetypes",
            "--reps",
            "2",
            "--steps",
            "6",
            "--workers",
            "1",
            "--set",
            "regions.*.firms=120",
            "--out",
            str(tmp_path / "all"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "binding bottleneck" in printed and "what binds where" in printed
    comparison = pd.read_csv(tmp_path / "all" / "comparison.csv", index_col=0)
    assert list(comparison.columns) == ["emerging", "moderate", "strong", "leader"]
    assert len(comparison) == len(REFORMS)


def test_diagnose_rejects_a_bad_scenario(tmp_path, capsys):
    assert main(["diagnose", "nowhere", "--out", str(tmp_path / "x")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_social_innovation_study_shows_effects_and_tradeoffs(tmp_path, capsys):
    out = tmp_path / "social"
    assert main(["social", "--reps", "2", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "social outcomes" in printed and "economic outcomes" in printed
    effects = pd.read_csv(out / "social_effects.csv")
    cells = set(effects["cell"])
    assert cells == {
        "baseline / quadruple_helix",
        "social_innovation / triple_helix",
        "social_innovation / quadruple_helix",
    }
    assert {"total_social_innovations", "final_citizen_trust", "final_innovation_index"} <= set(
        effects["outcome"]
    )
    assert (effects["pairs"] == 2).all()


def test_quadruple_helix_raises_participation(tmp_path):
    """The mechanism behind the study: an open EDP raises citizens' participation target."""
    from smartspec import EcosystemModel

    def participation(governance: str) -> float:
        model = EcosystemModel(
            "emerging",
            rng=3,
            **{**SMALL, "steps": 12, "regions.0.government.governance": governance},
        )
        model.run_for(12)
        return model.indicators()["citizen_participation"].iloc[-1]

    assert participation("quadruple_helix") > participation("triple_helix") + 0.05


def test_sequenced_mix_switches_shares_at_its_phase():
    from smartspec import EcosystemModel

    model = EcosystemModel("emerging", rng=1, mix="capacity_then_grants", **SMALL)
    model.run_for(18)
    table = model.indicators().set_index("step")
    # A quarter's budget is a quarter of the yearly one times the market's trend then.
    quarters = table.loc[1:]
    budget = model.governments.budget[0] / 4 * model.regions.market_growth ** (quarters.index - 1)
    assert quarters["budget_committed"].to_numpy() == pytest.approx(budget)
    committed = ["committed_capacity_building", "committed_rd_grants"]
    shares = quarters[committed].div(quarters["budget_committed"], axis=0)
    assert shares.loc[16, "committed_capacity_building"] == pytest.approx(0.30)
    assert shares.loc[17, "committed_capacity_building"] == pytest.approx(0.05)
    assert shares.loc[17, "committed_rd_grants"] == pytest.approx(0.60)


@pytest.mark.parametrize(
    ("phases", "problem"),
    [
        ("[[mix.phases]]\nstart = 9\nshares = { rd_grants = 0.5 }\n", "sum to 1"),
        (
            "[[mix.phases]]\nstart = 9\nshares = { rd_grants = 1.0 }\n"
            "[[mix.phases]]\nstart = 5\nshares = { training = 1.0 }\n",
            "increasing order",
        ),
        ("[[mix.phases]]\nstart = 9\nshares = { teleport = 1.0 }\n", "unknown instrument"),
    ],
)
def test_bad_phases_are_one_line_errors(tmp_path, phases, problem):
    from smartspec.scenarios import ScenarioError

    path = tmp_path / "phased.toml"
    path.write_text(
        'name = "p"\n[mix]\nname = "m"\nshares = { rd_grants = 1.0 }\n' + phases,
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "mix.phases" in str(caught.value) and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_strategy_families_cover_the_issue():
    from smartspec.studies.strategies import STRATEGIES

    families = {}
    for strategy in STRATEGIES:
        families.setdefault(strategy.family, []).append(strategy.name)
    assert families == {
        "priorities": ["concentrated priorities", "spread priorities"],
        "diversification": ["related diversification", "unrelated diversification"],
        "sequencing": ["capacity building first", "R&D grants first"],
        "governance": ["triple helix", "quadruple helix"],
    }


def test_uncertainties_bracket_the_archetype():
    from smartspec.studies.strategies import uncertainties

    ranges = {p["name"]: p["range"] for p in uncertainties("emerging")}
    assert ranges["absorptive_capacity"] == pytest.approx([0.6 * 0.22, 1.4 * 0.22])
    assert ranges["institutional_quality"] == pytest.approx([0.18, 0.42])
    assert set(ranges) >= {"human_capital", "rd_intensity", "innovation_rate", "learning_own"}


def test_regret_and_target_share():
    from smartspec.studies.strategies import robustness

    table = pd.DataFrame(
        {
            "family": ["f"] * 4,
            "strategy": ["a", "a", "b", "b"],
            "point": [0, 1, 0, 1],
            "y": [10.0, 5.0, 8.0, 9.0],
        }
    )
    result = robustness(table, "y", target=8.5).set_index("strategy")
    assert result.loc["a", "max_regret"] == pytest.approx(4.0)  # future 1: 9 - 5
    assert result.loc["b", "max_regret"] == pytest.approx(2.0)  # future 0: 10 - 8
    assert result.loc["a", "share_meeting_target"] == 0.5
    assert result.loc["b", "most_robust_in_family"] and not result.loc["a", "most_robust_in_family"]


def test_strategies_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "strategies"
    code = main(
        [
            "strategies",
            "emerging",
            "--futures",
            "4",
            "--steps",
            "6",
            "--workers",
            "1",
            "--set",
            "regions.0.firms=120",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "max_regret" in printed and "R&D grants first" in printed
    table = pd.read_csv(out / "emerging" / "robustness.csv")
    assert len(table) == 8 and table["share_meeting_target"].between(0, 1).all()
    # strategies with identical settings share one set of runs
    folders = [p for p in (out / "emerging").iterdir() if p.is_dir()]
    assert len(folders) == 7


# ------------------------------------------------------------------------------ peer review


def test_ris3_scores_map_indicators_to_one_to_five():
    from smartspec.model.peer_review import RIS3_STEPS, score_strategy
    from smartspec.scenarios.schema import Governance, PeerReview

    row = {
        "density_specialisations": 0.5,
        "citizen_trust": 1.0,
        "density_priorities": 0.0,
        "absorption_rate": 0.25,
        "institutional_quality": 0.75,
        "citizen_participation": 0.5,
    }
    settings = PeerReview()
    scores = score_strategy(row, Governance.quadruple_helix, settings)
    assert set(scores) == set(RIS3_STEPS)
    assert scores["analysis of the regional context"] == pytest.approx(3.0)
    assert scores["shared vision"] == pytest.approx(5.0)
    assert scores["selection of priorities"] == pytest.approx(1.0)
    assert scores["governance"] == pytest.approx(5.0)
    top_down = score_strategy(row, Governance.top_down, settings)["governance"]
    assert top_down < scores["governance"]


@pytest.mark.parametrize(
    ("rule", "region", "expected"),
    [
        ("similar", 1, [0, 2]),  # indices 50, 60, 70, 150: closest to 60 are 50 and 70
        ("leader_laggard", 0, [2, 3]),  # a laggard is reviewed by the best performers
        ("leader_laggard", 3, [0, 1]),  # a leader by the laggards
    ],
)
def test_peer_selection_rules(rule, region, expected):
    import numpy as np

    from smartspec.model.peer_review import select_peers

    index = np.array([50.0, 60.0, 70.0, 150.0])
    assert select_peers(index, region, 2, rule, np.random.default_rng(0)) == expected


def test_random_peers_are_drawn_from_the_model_generator():
    import numpy as np

    from smartspec.model.peer_review import select_peers

    index = np.arange(6.0)
    first = select_peers(index, 0, 3, "random", np.random.default_rng(7))
    again = select_peers(index, 0, 3, "random", np.random.default_rng(7))
    assert first == again and 0 not in first and len(set(first)) == 3


def test_review_moves_the_mix_towards_better_peers_by_quality():
    import numpy as np

    from smartspec import EcosystemModel
    from smartspec.model.peer_review import hold_round

    model = EcosystemModel(
        "europe",
        rng=2,
        **{
            "regions.*.firms": 120,
            "peer_review.selection": "leader_laggard",
            "peer_review.learning_rate": 0.5,
        },
    )
    model.run_for(2)
    governments = model.governments
    governments.shares[3] = np.eye(10)[0]  # the laggard spends everything on R&D grants
    before = governments.shares[3].copy()
    reviews = hold_round(
        governments,
        model.latest,
        model.regions.names,
        model.spec.peer_review,
        model.rng,
        model.steps,
    )
    laggard = next(review for review in reviews if review["region"] == "South-East")
    assert laggard["learned_from"]
    step = 0.5 * governments.quality[3]
    peers = [model.regions.names.index(n) for n in laggard["learned_from"].split(";")]
    target = governments.shares[peers].mean(axis=0)
    expected = before + step * (target - before)
    np.testing.assert_allclose(governments.shares[3], expected / expected.sum())
    assert len(reviews) == 4


def test_peer_review_command_writes_each_regions_review(tmp_path, capsys):
    out = tmp_path / "pr"
    code = main(
        [
            "peer-review",
            "europe",
            "--steps",
            "8",
            "--period",
            "4",
            "--set",
            "regions.*.firms=120",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    reviews = pd.read_csv(out / "reviews.csv")
    assert set(reviews["step"]) == {4, 8} and len(reviews) == 8
    assert reviews["recommendations"].str.len().gt(0).all()
    text = (out / "reviews.md").read_text(encoding="utf-8")
    assert text.count("## ") == 4 and "Recommendations:" in text


def test_peer_review_needs_several_regions(tmp_path, capsys):
    assert main(["peer-review", "emerging", "--out", str(tmp_path / "x")]) == 2
    assert "two regions" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


PEER_REVIEW = ["peer-review", "europe", "--steps", "4", "--period", "4"]


def test_peer_review_is_a_resumable_one_run_experiment(tmp_path, capsys):
    from smartspec.experiments import load_results, replication_seeds

    out = tmp_path / "pr"
    arguments = [*PEER_REVIEW, "--seed", "5", "--set", "regions.*.firms=100", "--out", str(out)]
    assert main(arguments) == 0
    results = load_results(out)
    assert results.inputs["seed"].tolist() == replication_seeds(5, 1)
    assert results.outcomes["review_rounds"].tolist() == [1]
    indicators = pd.read_parquet(out / "indicators.parquet")
    assert len(indicators) == 4 * 5 and "reviewers" not in indicators.columns
    assert pd.api.types.is_integer_dtype(indicators["firms"])
    reviews = (out / "reviews.csv").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(arguments) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*arguments, "--resume"]) == 0
    assert "resuming: 1 of 1 runs already done" in capsys.readouterr().err
    assert (out / "reviews.csv").read_text(encoding="utf-8") == reviews


def test_peer_review_without_a_round_is_refused(tmp_path, capsys):
    out = tmp_path / "pr"
    assert main([*PEER_REVIEW, "--period", "5", "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("smartspec: error: --period: 5:") and "\n" not in line
    assert not out.exists()


def test_verbose_logs_what_runs_and_where_on_stderr(tmp_path, capsys):
    out = tmp_path / "pr"
    small = [*PEER_REVIEW, "--set", "regions.*.firms=100"]
    assert main([*small, "--out", str(out / "quiet")]) == 0
    assert "INFO" not in capsys.readouterr().err
    assert main(["-v", *small, "--out", str(out / "loud")]) == 0
    captured = capsys.readouterr()
    assert f"running peer-review-europe into {out / 'loud'}" in captured.err
    assert "INFO" not in captured.out


def test_interrupted_study_that_resumes_by_itself_says_how_to_continue(
    tmp_path, capsys, monkeypatch
):
    from smartspec.experiments import ExperimentInterrupted

    def interrupted(spec, out_dir, *args, **kwargs):
        raise ExperimentInterrupted(3, 9, out_dir)

    monkeypatch.setattr("smartspec.studies.diagnose.run_study", interrupted)
    arguments = ["diagnose", "emerging", "--steps", "2", "--out", str(tmp_path / "d")]
    assert main(arguments) == 130
    last = capsys.readouterr().err.strip().splitlines()[-1]
    # diagnose resumes its folder by itself: the same command continues it.
    assert last.endswith("continue with: smartspec " + " ".join(arguments))
    assert "3 of 9 runs are saved" in last


def test_bundled_peer_review_experiment_crosses_on_off_and_rules():
    from smartspec.experiments import build_design, load_experiment

    spec, _ = load_experiment("peer_review")
    design = build_design(spec)
    assert len(design.tasks) == 2 * 3 * 10
    assert set(design.points["peer_review"]) == {False, True}


@pytest.mark.slow
def test_reports_of_diagnosis_and_strategies(tmp_path):
    from smartspec.analysis.report import write_report

    assert (
        main(
            [
                "diagnose",
                "emerging",
                "--reps",
                "2",
                "--steps",
                "6",
                "--workers",
                "1",
                "--set",
                "regions.0.firms=120",
                "--out",
                str(tmp_path / "d"),
            ]
        )
        == 0
    )
    text = write_report(tmp_path / "d", snapshot=False).read_text(encoding="utf-8")
    assert "Which constraint binds (bottleneck diagnosis)" in text
    assert text.count("<svg") == 1 and "data:image/png" not in text and "finance" in text

    assert (
        main(
            [
                "strategies",
                "emerging",
                "--futures",
                "3",
                "--steps",
                "6",
                "--workers",
                "1",
                "--set",
                "regions.0.firms=120",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    assert main(["report", str(tmp_path / "s" / "emerging")]) == 0
    text = (tmp_path / "s" / "emerging" / "report.html").read_text(encoding="utf-8")
    assert "Strategies under deep uncertainty" in text and "most robust" in text


# ------------------------------------------------------------------------------------- demo

TINY_REGION = """
name = "tiny"
steps = 4
mix = "baseline"

[[regions]]
archetype = "emerging"
name = "Tiny"
firms = 120
citizen_groups = 3
"""


@pytest.mark.slow
def test_demo_compares_screens_reports_and_resumes(tmp_path, capsys, monkeypatch):
    from smartspec.studies import demo

    region = tmp_path / "tiny.toml"
    region.write_text(TINY_REGION, encoding="utf-8")
    screening = tmp_path / "tiny_screening.toml"
    screening.write_text(TINY_SCREENING.format(scenario=region.as_posix()), encoding="utf-8")
    monkeypatch.setattr(demo, "DEMO_SCENARIO", str(region))
    monkeypatch.setattr(demo, "DEMO_MIXES", ("baseline", "capacity_first"))
    monkeypatch.setattr(demo, "DEMO_SCREENING", str(screening))

    out = tmp_path / "demo"
    arguments = ["demo", "--reps", "2", "--workers", "1", "--out", str(out)]
    assert main(arguments) == 0
    captured = capsys.readouterr()
    assert [line[:4] for line in captured.err.splitlines() if line[1:2] == "/"] == [
        "1/3 ",
        "2/3 ",
        "3/3 ",
    ]
    assert "4 of 4 runs done (0 failed)" in captured.out  # two mixes, two replications
    assert "6 of 6 runs done (0 failed)" in captured.out  # Morris: r (D + 1) = 2 x 3
    assert f"Wrote {out / 'report.html'}" in captured.out
    assert "Which parameters matter" in (out / "report.html").read_text(encoding="utf-8")

    # Run again: both stages are resumed, nothing runs twice.
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "4 of 4 runs done (0 failed, 4 from before)" in printed
    assert "6 of 6 runs done (0 failed, 6 from before)" in printed


# ------------------------------------------------------------------------ errors of the studies


def test_study_errors_name_the_option_or_folder(tmp_path):
    from smartspec.experiments import StoreError
    from smartspec.scenarios import OptionError
    from smartspec.studies.common import check_out_dir, fixed_overrides
    from smartspec.studies.compare import comparison_spec

    with pytest.raises(OptionError) as caught:
        comparison_spec("emerging", ["baseline"])
    assert (caught.value.source, caught.value.problem) == (
        "--mix",
        "give at least two mixes to compare",
    )
    with pytest.raises(OptionError) as caught:
        fixed_overrides(["regions.0.firms"])
    assert caught.value.source == "--set" and caught.value.field == "regions.0.firms"
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        check_out_dir(blocker / "out")
    assert caught.value.source == "--out" and str(blocker) in caught.value.problem
