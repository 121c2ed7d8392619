"""Unit tests of the government verbs (docs/ODD.md §7.3): the entrepreneurial discovery
process (EDP), budget commitment and absorption, and delivery after each instrument's delay.
What each instrument does when delivered is tested in test_instruments.py."""

from __future__ import annotations

import numpy as np
import pytest
from verb_helpers import (
    GOVERNANCE,
    capacity,
    check_determinism,
    make_model,
    output,
    record_calls,
    set_priorities,
    start_step,
)

from smartspec.model.government import Governments
from smartspec.scenarios import INSTRUMENTS
from smartspec.scenarios.schema import Governance


def test_government_verbs_run_in_the_order_of_VERBS(monkeypatch):
    model = make_model()
    start_step(model)
    governments = model.governments
    calls = record_calls(governments, Governments.VERBS, monkeypatch)
    governments.step(model.policy_targets)
    assert [verb for verb, _ in calls] == list(Governments.VERBS)
    # The verbs that reach agents get the policy targets.
    for verb, args in calls:
        expected = () if verb == "run_edp" else (model.policy_targets,)
        assert args == expected, verb


#: The government verbs that draw from the model's generator: the EDP's noise and the
#: instruments' draws of recipients.
STOCHASTIC = {"run_edp", "deliver_instruments"}


@pytest.mark.parametrize("verb", Governments.VERBS)
def test_verbs_are_deterministic_given_the_model_generator(verb):
    check_determinism("governments", verb, stochastic=verb in STOCHASTIC)


# ------------------------------------------------------------------------------- EDP
def test_edp_picks_n_priorities_when_due():
    model = make_model()
    governments = model.governments
    start_step(model)  # step 1: the first EDP round
    governments.run_edp()
    assert governments.priorities[0].sum() == governments.n_priorities[0] == 6
    assert governments.edp_rounds[0] == 1
    chosen = governments.priorities[0].copy()
    governments.priorities[0] = ~chosen
    model.steps = 2  # not due before step 1 + revision_period
    governments.run_edp()
    assert (governments.priorities[0] == ~chosen).all()
    assert governments.edp_rounds[0] == 1
    model.steps = 1 + int(governments.revision_period[0])
    governments.run_edp()
    assert governments.priorities[0].sum() == 6
    assert governments.edp_rounds[0] == 2


def test_initial_priorities_are_used_in_the_first_round():
    names = ["D03", "D05", "D20"]
    model = make_model({"regions.0.government.initial_priorities": names})
    start_step(model)
    model.governments.run_edp()
    chosen = np.flatnonzero(model.governments.priorities[0])
    assert [model.knowledge.names[d] for d in chosen] == names


def edp_priorities(model, governance: Governance, quality: float = 1.0) -> np.ndarray:
    governments = model.governments
    governments.governance[0] = GOVERNANCE.index(governance)
    governments.quality[0] = quality
    model.steps = 1
    governments.run_edp()
    return np.flatnonzero(governments.priorities[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_top_down_edp_follows_the_government_signal(seed):
    model = make_model(seed=seed)
    start_step(model)
    complexity = model.knowledge.complexity
    best = np.sort(complexity)[::-1][:6].mean()
    # Firm and university signals that have nothing to do with complexity.
    signals = np.random.default_rng(seed)
    lead = []
    for _ in range(10):
        model.regions.firm_knowledge[0] = signals.random(model.knowledge.size)
        model.regions.innovations_by_domain[0] = 0.0
        model.universities.strength[0] = signals.random(model.knowledge.size)
        top_down = complexity[edp_priorities(model, Governance.top_down)].mean()
        triple_helix = complexity[edp_priorities(model, Governance.triple_helix)].mean()
        # The top-down choice is close to the most complex domains.
        assert top_down > 0.8 * best
        lead.append(top_down - triple_helix)
    assert np.mean(lead) > 0.07


@pytest.mark.parametrize("seed", [1, 2])
def test_quadruple_helix_edp_listens_to_participating_citizens(seed):
    model = make_model(seed=seed)
    citizens, governments = model.citizens, model.governments
    groups = np.arange(citizens.size)
    start_step(model)
    # The domain ranked just below the priorities when citizens are not heard ...
    citizens.participation[groups] = 0.0
    without = set(edp_priorities(model, Governance.quadruple_helix).tolist())
    governments.n_priorities[0] += 1
    (runner_up,) = set(edp_priorities(model, Governance.quadruple_helix).tolist()) - without
    governments.n_priorities[0] -= 1
    # ... is all that citizens need.
    citizens.needs[groups] = 0.0
    citizens.needs[groups, runner_up] = 1.0
    assert runner_up not in edp_priorities(model, Governance.quadruple_helix)
    citizens.participation[groups] = 1.0
    assert runner_up in edp_priorities(model, Governance.quadruple_helix)
    # Other governance models give citizens no weight.
    for governance in (Governance.top_down, Governance.triple_helix):
        chosen = edp_priorities(model, governance)
        citizens.participation[groups] = 0.0
        assert (edp_priorities(model, governance) == chosen).all()
        citizens.participation[groups] = 1.0


@pytest.mark.parametrize("noise", [None, 0.0])
def test_edp_is_noisier_under_low_institutional_quality(noise):
    model = make_model({} if noise is None else {"government.edp_noise": noise})
    start_step(model)

    def distinct_choices(quality):
        return len(
            {tuple(edp_priorities(model, Governance.triple_helix, quality)) for _ in range(10)}
        )

    assert distinct_choices(1.0) == 1
    # The noise scales with edp_noise x (1 - quality): none at all without edp_noise.
    if model.spec.government.edp_noise > 0:
        assert distinct_choices(0.0) > 1
    else:
        assert distinct_choices(0.0) == 1


# ---------------------------------------------------------------------------- budget
@pytest.mark.parametrize(
    "overrides",
    [{}, {"government.absorption_floor": 0.5, "government.absorption_quality": 0.4}],
    ids=["defaults", "changed"],
)
def test_allocate_budget_commits_a_quarter_and_absorbs_by_quality_and_capacity(overrides):
    model = make_model(overrides)
    governments, targets = model.governments, model.policy_targets
    params = model.spec.government
    start_step(model)
    governments.run_edp()
    budget = governments.budget[0]
    governments.quality[0] = 0.3
    governments.allocate_budget(targets)
    committed, absorbed = governments.committed[0].copy(), governments.absorbed[0].copy()
    assert committed.sum() == pytest.approx(budget / 4)
    np.testing.assert_allclose(committed, governments.shares[0] * budget / 4)
    assert (absorbed <= committed + 1e-12).all() and (absorbed >= 0).all()
    efficiency = params.absorption_floor + params.absorption_quality * 0.3
    for index, name in enumerate(INSTRUMENTS):
        if committed[index] <= 0:
            continue
        units = committed[index] / model.spec.instruments[name].unit_cost
        expected = committed[index] * efficiency * min(1.0, capacity(model, name) / units)
        assert absorbed[index] == pytest.approx(expected), name

    governments.quality[0] = 0.9
    governments.allocate_budget(targets)
    ratio = (params.absorption_floor + params.absorption_quality * 0.9) / efficiency
    assert ratio > 1.0
    assert governments.absorbed[0].sum() == pytest.approx(ratio * absorbed.sum())
    np.testing.assert_allclose(governments.committed_total[0], 2 * committed)


def test_the_budget_grows_with_the_markets_trend_and_no_mix_changes_it():
    """With a growing business population (firm.population_growth) the money committed each
    quarter grows with the market's trend from its quarter-0 value, as a share of a growing
    economy would, and every compared mix commits the same; without growth it stays fixed."""
    from smartspec import EcosystemModel

    growth, quarters = 0.04, 12

    def committed(mix: str, population_growth: float) -> tuple[np.ndarray, float, float]:
        model = EcosystemModel(
            "emerging", rng=5, mix=mix, **{"firm.population_growth": population_growth}
        )
        model.run_for(quarters)
        # Row 0 is quarter 0's measurement, the burn-in's last quarter.
        series = model.indicators()["budget_committed"].to_numpy()[1:]
        return series, model.governments.budget[0], model.regions.market_growth

    series, budget, quarterly = committed("baseline", growth)
    assert quarterly == pytest.approx((1.0 + growth) ** 0.25)
    np.testing.assert_allclose(series, budget / 4 * quarterly ** np.arange(quarters), rtol=1e-9)
    other, other_budget, _ = committed("rd_grants_heavy", growth)
    assert other_budget == pytest.approx(budget, rel=1e-12)
    np.testing.assert_allclose(other, series, rtol=1e-12)
    fixed, fixed_budget, _ = committed("baseline", 0.0)
    np.testing.assert_allclose(fixed, np.full(quarters, fixed_budget / 4), rtol=1e-12)


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_instruments_take_effect_after_their_delay(name):
    model = make_model()
    governments, regions, targets = model.governments, model.regions, model.policy_targets
    delay = model.spec.instruments[name].delay
    governments.shares[0] = 0.0
    governments.shares[0, INSTRUMENTS.index(name)] = 1.0
    governments.quality[0] = 1.0
    governments.budget[0] = 25.0  # M€ per year: several units of even the dearest instrument
    set_priorities(model)
    start_step(model)
    regions.skilled[0] = 1e5  # enough founders for several supported start-ups
    governments.allocate_budget(targets)
    assert governments.absorbed[0].sum() > 0
    delivered = []
    for offset in range(delay + 2):
        if offset:
            start_step(model)
        governments.deliver_instruments(targets)
        delivered.append(output(model, name))
    assert all(value == 0 for value in delivered[:delay])
    assert delivered[delay] > 0
    assert delivered[delay + 1] == 0
