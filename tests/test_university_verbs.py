"""Unit tests of the university verbs (docs/ODD.md §7.2): research, graduates, technology
transfer and spin-offs."""

from __future__ import annotations

import numpy as np
import pytest
from verb_helpers import (
    check_determinism,
    clear_network,
    degree,
    live,
    make_model,
    new_slots,
    record_calls,
    start_step,
)

from smartspec.model.university import Universities


def test_university_verbs_run_in_the_order_of_VERBS(monkeypatch):
    model = make_model()
    start_step(model)
    universities = model.universities
    calls = record_calls(universities, Universities.VERBS, monkeypatch)
    universities.step(model.firms)
    assert [verb for verb, _ in calls] == list(Universities.VERBS)
    # The verbs that reach firms get the firm population.
    for verb, args in calls:
        expected = (model.firms,) if verb in ("transfer_knowledge", "spin_off") else ()
        assert args == expected, verb


#: The university verbs that draw from the model's generator.
STOCHASTIC = {"transfer_knowledge", "spin_off"}


@pytest.mark.parametrize("verb", Universities.VERBS)
def test_verbs_are_deterministic_given_the_model_generator(verb):
    check_determinism("universities", verb, stochastic=verb in STOCHASTIC)


def test_research_moves_strength_towards_target():
    model = make_model({"regions.0.universities": 3})
    universities = model.universities
    start_step(model)
    strength = universities.strength[:3].copy()
    universities.target[0] = 2.0 * strength[0]
    universities.research()
    params = model.spec.university
    # The target first depreciates towards the base strength (the funded part, strength[0],
    # loses the share infrastructure_depreciation); the strength then closes the share
    # research_rate of its gap to the target.
    closed = (universities.strength[0] - strength[0]) / strength[0]
    expected = params.research_rate * (1.0 - params.infrastructure_depreciation)
    np.testing.assert_allclose(closed, expected, rtol=1e-9)
    np.testing.assert_allclose(universities.strength[1:3], strength[1:3])


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_graduates_scale_with_employment(scale):
    model = make_model({"regions.0.universities": 3})
    universities, regions = model.universities, model.regions
    start_step(model)
    regions.employment[0] *= scale
    skilled = regions.skilled[0]
    universities.graduate()
    mean_strength = universities.strength[:3].mean()
    per_strength = model.spec.university.graduates_per_strength
    expected = per_strength * mean_strength * regions.employment[0] / 1000.0
    assert expected > 0
    assert regions.skilled[0] - skilled == pytest.approx(expected)


def test_universities_link_with_firms_that_can_absorb():
    model = make_model({"regions.0.universities": 2, "university.links_per_quarter": 20.0})
    clear_network(model)
    firms, universities, slots = model.firms, model.universities, live(model)
    universities.transfer[:2] = 1.0
    rng = np.random.default_rng(0)
    able = rng.permutation(slots)[: len(slots) // 2]
    firms.absorptive[slots] = 0.02
    firms.absorptive[able] = 0.95
    start_step(model)
    for _ in range(10):
        universities.transfer_knowledge(firms)
    network = model.network
    kinds = {
        tuple(sorted(pair))
        for pair in zip(
            model.nodes.kind[network.u].tolist(), model.nodes.kind[network.v].tolist(), strict=True
        )
    }
    assert kinds == {(0, 1)}  # firm-university links only
    linked = degree(model, slots)
    with_able = linked[np.isin(slots, able)].sum()
    with_unable = linked[~np.isin(slots, able)].sum()
    assert with_able > 20
    assert with_able > 5 * with_unable


@pytest.mark.parametrize("inheritance", [None, 0.6])
def test_spin_offs_are_founded_in_the_strongest_domain(inheritance):
    overrides = {"university.spinoff_rate": 10.0}
    if inheritance is not None:
        overrides["university.spinoff_inheritance"] = inheritance
    model = make_model(overrides)
    universities, firms = model.universities, model.firms
    strong, weak_strength = 7, 0.1
    universities.strength[0] = weak_strength
    universities.strength[0, strong] = 30.0
    universities.transfer[0] = 1.0
    start_step(model)
    size = firms.size
    for _ in range(3):
        universities.spin_off(firms)
    founded = new_slots(model, size)
    assert len(founded) > 10
    assert model.regions.spinoffs[0] == len(founded)
    assert model.regions.university_spinoffs[0] == len(founded)
    assert (firms.core[founded] == strong).mean() > 0.9
    # They inherit the share spinoff_inheritance of the university's strength outside their
    # core.
    share = model.spec.university.spinoff_inheritance
    other = (strong + 1) % model.knowledge.size
    np.testing.assert_allclose(firms.knowledge[founded, other], share * weak_strength, rtol=1e-5)


def test_the_research_systems_reach_grows_with_the_market():
    """On a balanced-growth path (firm.population_growth) a university's link attempts and
    spin-offs scale with how far the market has grown (regions.market_scale): twice the room,
    about twice the links and spin-offs."""

    def counts(scale: float) -> tuple[int, int]:
        overrides = {"university.links_per_quarter": 20.0, "university.spinoff_rate": 10.0}
        # 800 firms: with 200, twice the attempts start to repeat pairs already linked.
        model = make_model({"regions.0.universities": 2, **overrides}, firms=800)
        clear_network(model)
        universities, firms = model.universities, model.firms
        universities.transfer[:2] = 1.0
        firms.absorptive[live(model)] = 0.95
        model.regions.market_room *= scale
        start_step(model)
        size = firms.size
        for _ in range(10):
            universities.transfer_knowledge(firms)
            universities.spin_off(firms)
        return len(model.network.u), len(new_slots(model, size))

    links, spinoffs = counts(1.0)
    more_links, more_spinoffs = counts(2.0)
    assert links > 50 and spinoffs > 50
    assert 1.6 < more_links / links < 2.4
    assert 1.6 < more_spinoffs / spinoffs < 2.4
