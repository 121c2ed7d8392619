"""smartspec.ema: a SmartSpec scenario as an EMA Workbench model, and the mix-share rule."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from smartspec.ema import EmaError, OutcomeSpec, scenario_with, smartspec_model
from smartspec.scenarios import INSTRUMENTS, ScenarioError, load_scenario, set_mix_shares

ROOT = Path(__file__).resolve().parent.parent

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from ema_workbench import (
        CategoricalParameter,
        Model,
        MultiprocessingEvaluator,
        RealParameter,
        ReplicatorModel,
        Sample,
        SequentialEvaluator,
        perform_experiments,
    )

#: Small and quick: 120 simulated firms, a short burn-in and horizon.
FAST = {"regions.0.firms": 120, "initial.burn_in": 2}


# ---------------------------------------------------------------- the mix-share rule
def test_setting_one_share_rescales_the_others_proportionally():
    shares = {"rd_grants": 0.5, "training": 0.25, "living_labs": 0.25}
    result = set_mix_shares(shares, {"rd_grants": 0.8})
    assert list(result) == list(INSTRUMENTS)
    assert sum(result.values()) == pytest.approx(1.0)
    assert result["rd_grants"] == 0.8
    assert result["training"] == pytest.approx(0.1)
    assert result["living_labs"] == pytest.approx(0.1)
    assert result["cluster_support"] == 0.0


def test_shares_set_together_keep_the_rest_in_proportion():
    shares = {"rd_grants": 0.4, "training": 0.3, "living_labs": 0.2, "cluster_support": 0.1}
    result = set_mix_shares(shares, {"rd_grants": 0.1, "training": 0.5})
    assert sum(result.values()) == pytest.approx(1.0)
    assert result["living_labs"] / result["cluster_support"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("shares", "set_shares", "message"),
    [
        ({"rd_grants": 1.0}, {"training": 0.6, "living_labs": 0.6}, "> 1"),
        ({"rd_grants": 1.0}, {"rd_grants": 0.5}, "the other shares are all 0"),
        ({"rd_grants": 1.0}, {"training": 1.5}, "must be in [0, 1]"),
        ({"rd_grants": 1.0}, {"teleportation": 0.1}, "unknown instrument"),
    ],
)
def test_infeasible_shares_are_refused_in_one_line(shares, set_shares, message):
    with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
        set_mix_shares(shares, set_shares)
    assert "\n" not in str(caught.value)


def test_a_share_path_sets_the_share_and_rescales_the_mix():
    base = load_scenario("emerging").mix.share_vector()
    spec = scenario_with("emerging", {"mix.shares.training": 0.3})
    shares = spec.mix.shares
    assert shares["training"] == pytest.approx(0.3)
    assert sum(shares.values()) == pytest.approx(1.0)
    training = INSTRUMENTS.index("training")
    scale = 0.7 / (1.0 - base[training])
    for index, name in enumerate(INSTRUMENTS):
        if name != "training":
            assert shares.get(name, 0.0) == pytest.approx(base[index] * scale)


def test_a_share_path_applies_to_the_mix_chosen_with_it():
    spec = scenario_with("emerging", {"mix": "capacity_first", "mix.shares.training": 0.2})
    assert spec.mix.name == "capacity_first"
    assert spec.mix.shares["training"] == pytest.approx(0.2)


def test_an_infeasible_share_names_the_scenario_and_the_share():
    with pytest.raises(
        ScenarioError, match=r"^emerging \(bundled\): mix\.shares: infeasible mix.*> 1"
    ):
        scenario_with("emerging", {"mix.shares.training": 0.7, "mix.shares.rd_grants": 0.6})


# ---------------------------------------------------------------- building the model
def test_mappings_become_ema_parameters_named_by_path():
    model = smartspec_model(
        "emerging",
        uncertainties={
            "regions.0.absorptive_capacity": (0.1, 0.3),
            "regions.0.universities": (1, 3),
        },
        levers={"mix": ["baseline", "capacity_first"]},
        outcomes={"final": ["innovation_index"]},
    )
    assert isinstance(model, Model)
    kinds = {parameter.name: type(parameter).__name__ for parameter in model.uncertainties}
    assert kinds == {
        "regions_0_absorptive_capacity": "RealParameter",
        "regions_0_universities": "IntegerParameter",
    }
    assert model.uncertainties["regions_0_universities"].variable_name == ["regions.0.universities"]
    assert isinstance(model.levers["mix"], CategoricalParameter)
    assert [outcome.name for outcome in model.outcomes] == ["final_innovation_index"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"uncertainties": {"regions.0.absorptiv_capacity": (0.1, 0.3)}},
            "uncertainties: regions_0_absorptiv_capacity: regions.0.absorptiv_capacity = 0.1:",
        ),
        (
            {"uncertainties": {"regions.0.absorptive_capacity": (0.5, 1.5)}},
            "regions.0.absorptive_capacity = 1.5",
        ),
        ({"levers": {"mix": ["baseline", "no_such_mix"]}}, "unknown mix"),
        ({"outcomes": {"final": ["innovation_indx"]}}, "outcomes: final[0]: unknown indicator"),
        ({"outcomes": {"final": ["gdp"], "region": "Atlantis"}}, "no region 'Atlantis'"),
        ({"outcomes": {}}, "name at least one outcome"),
        ({"levers": {"mix.shares.training": (0.3, 0.1)}}, "low must be below high"),
    ],
)
def test_a_bad_set_up_stops_before_running_with_one_line(kwargs, message):
    arguments = {"outcomes": {"final": ["innovation_index"]}, **kwargs}
    with pytest.raises(EmaError, match=re.escape(message)) as caught:
        smartspec_model("emerging", **arguments)
    assert "\n" not in str(caught.value)


def test_the_projects_helpers_are_public():
    import smartspec.ema as ema
    import smartspec.experiments as experiments

    for name in ("summarise", "aggregate_regions", "OutcomeSpec"):
        assert name in ema.__all__ and name in experiments.__all__
        assert getattr(ema, name) is getattr(experiments, name)
    assert OutcomeSpec is experiments.OutcomeSpec


def test_numpy_integer_seeds_and_values_run():
    model = smartspec_model(
        "emerging",
        outcomes={"final": ["innovation_index", "firms"]},
        steps=2,
        fixed=FAST,
    )
    first = model.function(seed=np.int64(7), **{"regions.0.universities": np.int64(2)})
    again = model.function(seed=7, **{"regions.0.universities": 2})
    assert first == again
    assert np.isfinite(first["final_innovation_index"])


# ---------------------------------------------------------------- perform_experiments
def _small_model():
    return smartspec_model(
        "emerging",
        uncertainties=[
            RealParameter("capacity", 0.12, 0.35, variable_name="regions.0.absorptive_capacity")
        ],
        levers={"mix.shares.training": (0.05, 0.3)},
        outcomes={
            "final": ["innovation_index"],
            "total": ["committed_training"],
            "series": ["rd_intensity"],
        },
        steps=3,
        fixed=FAST,
        replications=2,
    )


def _samples():
    scenarios = [Sample(capacity=0.15), Sample(capacity=0.3)]
    policies = [Sample(mix_shares_training=0.05), Sample(mix_shares_training=0.3)]
    return scenarios, policies


@pytest.mark.slow
def test_perform_experiments_gives_the_same_results_sequentially_and_on_processes():
    model = _small_model()
    assert isinstance(model, ReplicatorModel)
    scenarios, policies = _samples()
    with SequentialEvaluator(model) as evaluator:
        sequential = perform_experiments(
            model, scenarios=scenarios, policies=policies, evaluator=evaluator
        )
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        parallel = perform_experiments(
            model, scenarios=scenarios, policies=policies, evaluator=evaluator
        )
    experiments, outcomes = sequential
    assert len(experiments) == 4
    assert set(outcomes) == {"final_innovation_index", "total_committed_training", "rd_intensity"}
    assert outcomes["final_innovation_index"].shape == (4,)
    assert outcomes["rd_intensity"].shape == (4, 4)  # steps 0..3, mean of the replications
    assert np.all(np.isfinite(outcomes["final_innovation_index"]))
    # The lever reached the model: six times the share commits more to training.
    committed = dict(
        zip(
            zip(experiments["capacity"], experiments["mix_shares_training"], strict=True),
            outcomes["total_committed_training"],
            strict=True,
        )
    )
    assert committed[(0.15, 0.3)] > 3 * committed[(0.15, 0.05)] > 0
    order = ["capacity", "mix_shares_training"]
    parallel_experiments, parallel_outcomes = parallel
    keys = [tuple(row) for row in experiments[order].to_numpy()]
    parallel_keys = [tuple(row) for row in parallel_experiments[order].to_numpy()]
    position = [parallel_keys.index(key) for key in keys]
    for name, values in outcomes.items():
        np.testing.assert_array_equal(values, parallel_outcomes[name][position])


@pytest.mark.slow
def test_the_documented_example_runs_as_written_and_ends_in_prim(capsys):
    text = (ROOT / "docs" / "ema.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    example = next(block for block in blocks if "prim.Prim" in block)
    namespace: dict = {"__name__": "__doc_example__"}
    exec(compile(example, "docs/ema.md", "exec"), namespace)  # noqa: S102 - our own doc
    printed = capsys.readouterr().out
    assert "24 experiments; (24, 9) R&D series" in printed
    box = namespace["box"]
    assert 0.0 < box.coverage <= 1.0
    assert box.density >= np.mean(namespace["lagging"])
    # What the page says the box is: low absorptive capacity, institutions unrestricted.
    limits = box.box_lim  # the chosen box (PrimBox.box_lim)
    x = namespace["x"]
    capacity, institutions = x.columns
    assert limits.loc[1, capacity] < 0.3 < x[capacity].max()
    assert limits.loc[0, institutions] == x[institutions].min()
    assert limits.loc[1, institutions] == x[institutions].max()
