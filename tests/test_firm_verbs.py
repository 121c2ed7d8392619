"""Unit tests of the firm verbs (docs/ODD.md §7.1): R&D, learning, partner search,
innovation, diversification, production and growth, absorptive capacity, entry and exit.

Every verb after ``prepare`` takes the step's :class:`~smartspec.model.firm.FirmStep`;
``run_firm_verbs`` prepares it and runs the verbs that precede the one under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from verb_helpers import (
    agreeable,
    check_determinism,
    clear_network,
    clone_firm,
    degree,
    innovation_counts,
    live,
    make_model,
    new_slots,
    record_calls,
    run_firm_verbs,
    search_rounds,
    start_step,
)

from smartspec.model.base import ABSORPTIVE_MARGIN
from smartspec.model.firm import Firms, FirmStep


# ------------------------------------------------------------------------ verb order
def test_firm_verbs_run_in_the_order_of_VERBS(monkeypatch):
    model = make_model()
    start_step(model)
    firms = model.firms
    calls = record_calls(firms, Firms.VERBS, monkeypatch)
    firms.step()
    assert [verb for verb, _ in calls] == list(Firms.VERBS)
    # Every verb after prepare gets the one state prepare built, and nothing else.
    assert calls[0][1] == ()
    states = [args for _, args in calls[1:]]
    assert all(len(args) == 1 and isinstance(args[0], FirmStep) for args in states)
    assert len({id(args[0]) for args in states}) == 1


@pytest.mark.parametrize("verb", Firms.VERBS[1:])
def test_each_firm_verb_runs_alone_on_a_fresh_state(verb):
    # e.g. innovate(prepare()) without invest_in_rd or learn: the state's defaults (no R&D
    # effort, the knowledge held as of prepare) stand in for what earlier verbs would set.
    model = make_model({"firm.innovation_rate": 0.5, "firm.entry_rate": 0.05})
    firms = model.firms
    start_step(model)
    state = firms.prepare()
    assert state.n == firms.size and state.stock is None
    assert not state.effort.any() and not state.own_rd.any()
    held = firms.held_stock(state)
    getattr(firms, verb)(state)
    for name in ("knowledge", "absorptive", "employees", "capital", "revenue", "markup"):
        assert np.isfinite(getattr(firms, name)[: firms.size]).all(), name
    assert (firms.knowledge[: firms.size] >= 0).all()
    # A verb that reads the knowledge stock in a step without learning sees the knowledge
    # held as of prepare; learn sets the stock after learning.
    if verb == "learn":
        np.testing.assert_allclose(state.stock, firms.held_stock(state))
    elif state.stock is not None:
        np.testing.assert_allclose(state.stock, held)


#: The firm verbs that draw from the model's generator.
STOCHASTIC = {"seek_partners", "innovate", "diversify", "produce_and_grow", "spawn_startups"}


@pytest.mark.parametrize("verb", Firms.VERBS)
def test_verbs_are_deterministic_given_the_model_generator(verb):
    check_determinism("firms", verb, stochastic=verb in STOCHASTIC)


# ----------------------------------------------------------------------- prepare
def test_prepare_clears_innovation_flags_and_ages_firms():
    model = make_model()
    start_step(model)
    firms, slots = model.firms, live(model)
    firms.innovated[slots] = True
    firms.innovation_domain[slots] = 3
    age = firms.age[slots].copy()
    state = firms.prepare()
    assert not firms.innovated[slots].any()
    assert (firms.innovation_domain[slots] == -1).all()
    assert (firms.age[slots] == age + 1).all()
    # The state: the live rows and the portfolio as entries, with sizes and densities.
    assert state.n == firms.size
    assert (state.live == firms.alive[: firms.size]).all()
    layout = state.layout
    np.testing.assert_array_equal(layout.size, firms.portfolio[: state.n].sum(axis=1))
    np.testing.assert_array_equal(layout.entries, np.flatnonzero(firms.portfolio[: state.n]))
    density = firms.portfolio[: state.n] @ model.knowledge.density_rows32[:-1]
    np.testing.assert_allclose(layout.density, density, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ invest_in_rd
def _value_added(model, slots):
    regions = model.regions
    return model.firms.employees[slots] * regions.productivity[0] * regions.value_added_share[0]


@pytest.mark.parametrize("crowding_out", [None, 0.0])
def test_invest_in_rd_spends_grants_over_projects_with_crowding_out(crowding_out):
    overrides = {} if crowding_out is None else {"firm.grant_crowding_out": crowding_out}
    model = make_model(overrides)
    params = model.spec.firm
    firms, slots = model.firms, live(model)
    low, high = slots[:80], slots[80:160]
    clone_firm(model, low, high)
    firms.absorptive[low], firms.absorptive[high] = 0.1, 0.9
    firms.loss_streak[slots] = 0
    firms.grant[slots] = 0.0
    start_step(model)
    state = run_firm_verbs(model, "invest_in_rd")
    firms.invest_in_rd(state)
    own = firms.rd_intensity[slots] * _value_added(model, slots)
    np.testing.assert_allclose(firms.rd_spend[slots], own)
    np.testing.assert_allclose(state.own_rd[slots], own)
    # Effort is R&D over value added: the firm's own intensity.
    np.testing.assert_allclose(state.effort[slots], firms.rd_intensity[slots])

    grant = 1e-4  # small enough that crowding-out never reaches a firm's whole own R&D
    firms.grant[pair := np.concatenate([low, high])] = grant
    firms.invest_in_rd(state)
    spent = params.grant_spending_rate * grant
    # A share of the grant is spent this quarter and the rest is kept for later quarters ...
    np.testing.assert_allclose(firms.grant[pair], grant - spent)
    # ... and own R&D falls by crowding_out x (1 - a) x spent, never below zero.
    crowded = np.minimum(
        own[: len(pair)], params.grant_crowding_out * (1.0 - firms.absorptive[pair]) * spent
    )
    np.testing.assert_allclose(state.own_rd[pair], own[: len(pair)] - crowded)
    np.testing.assert_allclose(firms.rd_spend[pair], own[: len(pair)] - crowded + spent)
    if params.grant_crowding_out == 0.0:
        assert (crowded == 0).all()
    else:
        # The firm that absorbs less replaces more of its own spending.
        assert (crowded[: len(low)] > crowded[len(low) :]).all()


@pytest.mark.parametrize("cut", [None, 0.2])
def test_invest_in_rd_cuts_own_rd_after_a_loss(cut):
    model = make_model({} if cut is None else {"firm.rd_cut_after_loss": cut})
    start_step(model)
    firms, slots = model.firms, live(model)
    firms.grant[slots] = 0.0
    firms.loss_streak[slots] = 0
    losing = slots[::2]
    firms.loss_streak[losing] = 1
    state = run_firm_verbs(model, "invest_in_rd")
    firms.invest_in_rd(state)
    full = firms.rd_intensity[slots] * _value_added(model, slots)
    kept = model.spec.firm.rd_cut_after_loss
    assert cut is None or kept == cut
    expected = np.where(np.isin(slots, losing), kept * full, full)
    np.testing.assert_allclose(firms.rd_spend[slots], expected)


# ------------------------------------------------------------------------- learn
def test_learning_from_partners_and_universities_but_not_citizens():
    model = make_model()
    clear_network(model)
    firms, slots = model.firms, live(model)
    partnered, alone, citizen_linked = slots[:30], slots[30:60], slots[60:90]
    partners, university_linked = slots[90:120], slots[120:150]
    for group in (alone, citizen_linked, university_linked):
        clone_firm(model, partnered, group)
    firms.grant[slots] = 0.0
    core = firms.core[partnered]
    # Each partner knows 5 units more than its partner firm in that firm's core domain.
    firms.knowledge[partners, core] = firms.knowledge[partnered, core] + 5.0
    university = 0
    universities = model.universities
    model.network.add(firms.uid[partnered], firms.uid[partners])
    model.network.add(firms.uid[university_linked], universities.uid[[university] * 30])
    model.network.add(firms.uid[citizen_linked], model.citizens.uid[[0] * 30])
    start_step(model)
    state = run_firm_verbs(model, "learn")
    before = firms.knowledge.copy()
    firms.learn(state)
    gain = firms.knowledge - before

    params = model.spec.firm
    a = firms.absorptive[partnered]
    assert (gain[partnered, core] > gain[alone, core]).all()
    np.testing.assert_allclose(
        gain[partnered, core] - gain[alone, core],
        a * params.learning_partner * 5.0,
        rtol=1e-3,
    )
    # A partner university passes on tau_u times the gap to its strength.
    gap = np.maximum(0.0, universities.strength[university, core] - before[alone, core])
    transfer = universities.transfer[university]
    np.testing.assert_allclose(
        gain[university_linked, core] - gain[alone, core],
        a * params.learning_university * transfer * gap,
        rtol=1e-3,
        atol=1e-6,
    )
    # Links to citizen groups carry no knowledge.
    np.testing.assert_allclose(gain[citizen_linked], gain[alone], rtol=1e-6, atol=1e-7)
    # The step's stock is the knowledge in own domains after learning.
    np.testing.assert_allclose(state.stock, firms.held_stock(state))


def test_learning_is_synchronous():
    # A chain first - middle - expert: the middle firm learns from the expert, and the first
    # firm learns from the middle firm's knowledge as it was before this step's learning.
    model = make_model()
    clear_network(model)
    firms, slots = model.firms, live(model)
    # The middle firms come first in slot order, so that a sequential update would let the
    # first firms learn from their already updated knowledge.
    middle, expert, first = slots[:30], slots[30:60], slots[60:90]
    clone_firm(model, first, middle)
    clone_firm(model, first, expert)
    core = firms.core[first]
    firms.knowledge[middle, core] += 1.0
    firms.knowledge[expert, core] += 5.0
    firms.grant[slots] = 0.0
    model.network.add(firms.uid[first], firms.uid[middle])
    model.network.add(firms.uid[middle], firms.uid[expert])
    single = slots[90:120]  # twins of the first firms, linked to a twin of the middle firms
    twin_middle = slots[120:150]
    clone_firm(model, first, single)
    clone_firm(model, middle, twin_middle)
    model.network.add(firms.uid[single], firms.uid[twin_middle])
    start_step(model)
    state = run_firm_verbs(model, "learn")
    before = firms.knowledge.copy()
    firms.learn(state)
    assert (firms.knowledge[middle, core] > firms.knowledge[twin_middle, core]).all()
    np.testing.assert_allclose(
        firms.knowledge[first, core] - before[first, core],
        firms.knowledge[single, core] - before[single, core],
        rtol=1e-4,
    )


def test_learning_scales_with_absorptive_capacity():
    model = make_model()
    firms, slots = model.firms, live(model)
    clear_network(model)
    low, high = slots[:50], slots[50:100]
    clone_firm(model, low, high)
    firms.grant[slots] = 0.0  # grants would make effort depend on a_f as well
    firms.absorptive[low], firms.absorptive[high] = 0.2, 0.8
    start_step(model)
    state = run_firm_verbs(model, "learn")
    before = firms.knowledge.copy()
    firms.learn(state)
    decay = np.where(
        firms.portfolio[slots],
        1.0 - model.spec.firm.obsolescence,
        1.0 - model.spec.firm.expertise_decay,
    )
    inflow = firms.knowledge[slots] - before[slots] * decay
    inflow_low, inflow_high = inflow[:50], inflow[50:100]
    core = firms.core[low]
    assert (inflow_low[np.arange(50), core] > 0).all()
    np.testing.assert_allclose(inflow_high, 4.0 * inflow_low, rtol=1e-3, atol=1e-6)


def test_knowledge_decays_faster_out_of_use_and_never_becomes_negative():
    model = make_model()
    clear_network(model)
    firms, slots = model.firms, live(model)
    params = model.spec.firm
    group = slots[:40]
    core = firms.core[group]
    outside = (core + 15) % model.knowledge.size
    firms.portfolio[group] = False
    firms.portfolio[group, core] = True
    firms.rd_intensity[group] = 0.0  # no own R&D: no inflow in the core either
    firms.grant[group] = 0.0
    firms.knowledge[group] = 0.0
    firms.knowledge[group, core] = 50.0  # far above the regional mean: no spill-over
    firms.knowledge[group, outside] = 50.0
    start_step(model)
    state = run_firm_verbs(model, "learn")
    firms.learn(state)
    kept = firms.knowledge[group]
    np.testing.assert_allclose(kept[np.arange(40), core], 50.0 * (1 - params.obsolescence))
    np.testing.assert_allclose(kept[np.arange(40), outside], 50.0 * (1 - params.expertise_decay))
    assert params.expertise_decay > params.obsolescence
    assert (firms.knowledge[slots] >= 0).all()


# ----------------------------------------------------------------- seek_partners
def test_seek_partners_adds_valid_links():
    model = make_model({"firm.partner_search_rate": 1.0})
    clear_network(model)
    start_step(model)
    for _ in range(3):
        state = run_firm_verbs(model, "seek_partners")
        model.firms.seek_partners(state)
    network = model.network
    assert len(network) > 20
    assert (network.u != network.v).all()
    assert len(np.unique(network.keys)) == len(network)
    assert (model.nodes.kind[network.u] == 0).all() and (model.nodes.kind[network.v] == 0).all()


def test_firms_with_more_absorptive_capacity_search_more():
    # Search probability rate x (offset + a_f) (Firms.seek_partners docstring).
    model = make_model({"firm.partner_search_rate": 0.3}, firms=400)
    offset = model.spec.firm.search_absorptive_offset
    able, unable = 0.95, 0.02
    assert (offset + able) / (offset + unable) > 2.5  # 1.45 / 0.52 with the default offset
    clear_network(model)
    agreeable(model)
    firms, slots = model.firms, live(model)
    firms.absorptive[slots] = np.where(np.arange(len(slots)) % 2 == 0, able, unable)
    start_step(model)
    gained = search_rounds(model, 4)
    # Being chosen as a partner does not depend on a_f: the difference comes from searching.
    assert gained[::2].sum() > 1.25 * gained[1::2].sum()


def test_seek_partners_does_nothing_without_search():
    model = make_model({"firm.partner_search_rate": 0.0})
    clear_network(model)
    start_step(model)
    state = run_firm_verbs(model, "seek_partners")
    model.firms.seek_partners(state)
    assert len(model.network) == 0


def test_firms_at_max_partners_neither_search_nor_get_chosen():
    model = make_model({"firm.partner_search_rate": 1.0, "firm.max_partners": 2})
    clear_network(model)
    firms, slots = model.firms, live(model)
    full = slots[:100]
    model.network.add(firms.uid[full], np.repeat(model.universities.uid[0], 100))
    model.network.add(firms.uid[full], np.repeat(model.citizens.uid[0], 100))
    start_step(model)
    for _ in range(3):
        state = run_firm_verbs(model, "seek_partners")
        firms.seek_partners(state)
    assert (degree(model, full) == 2).all()
    assert degree(model, slots[100:]).sum() > 10


# ---------------------------------------------------------------------- innovate
def test_innovation_hazard_rises_with_knowledge_stock():
    model = make_model({"firm.partner_search_rate": 0.0})
    clear_network(model)
    firms, slots = model.firms, live(model)
    low, high = slots[:100], slots[100:200]
    clone_firm(model, low, high)
    firms.portfolio[slots] = False
    firms.portfolio[slots, firms.core[slots]] = True
    firms.knowledge[low, firms.core[low]] = 0.05
    firms.knowledge[high, firms.core[high]] = 5.0
    start_step(model)
    few, many = innovation_counts(model, [low, high], rounds=20)
    assert many > 2 * max(few, 10)


@pytest.mark.parametrize("elasticity", [None, 0.8])
def test_innovation_hazard_has_the_knowledge_elasticity(elasticity):
    # Twins with a hundred times the knowledge in their single domain have a hazard
    # 100 ** knowledge_elasticity times as high (the other factors are the same).
    overrides = {} if elasticity is None else {"firm.knowledge_elasticity": elasticity}
    model = make_model(overrides)
    clear_network(model)
    firms, slots = model.firms, live(model)
    low, high = slots[:100], slots[100:200]
    clone_firm(model, low, high)
    firms.portfolio[slots] = False
    firms.portfolio[slots, firms.core[slots]] = True
    firms.knowledge[low, firms.core[low]] = 0.05
    firms.knowledge[high, firms.core[high]] = 5.0
    start_step(model)
    state = firms.prepare()
    hazard = firms.innovation_hazard(state, firms.knowledge_stock(state))
    ratio = 100.0**model.spec.firm.knowledge_elasticity
    np.testing.assert_allclose(hazard[high] / hazard[low], ratio, rtol=1e-5)


def test_innovators_get_markup_and_record_the_innovation():
    model = make_model({"firm.innovation_rate": 5.0, "firm.partner_search_rate": 0.0})
    start_step(model)
    state = run_firm_verbs(model, "innovate")
    firms, slots = model.firms, live(model)
    markup, innovations = firms.markup.copy(), firms.innovations.copy()
    knowledge = firms.knowledge.copy()
    firms.innovate(state)
    winners = slots[firms.innovated[slots]]
    losers = slots[~firms.innovated[slots]]
    assert len(winners) > 0.5 * len(slots)
    step = model.steps
    params = model.spec.firm
    np.testing.assert_allclose(
        firms.markup[winners], markup[winners] + params.markup_per_innovation
    )
    assert (firms.innovations[winners] == innovations[winners] + 1).all()
    assert (firms.last_innovation[winners] == step).all()
    domains = firms.innovation_domain[winners]
    assert firms.portfolio[winners, domains].all()
    # Expertise grows where the firm innovated, by the fixed amount of learning by doing.
    np.testing.assert_allclose(
        firms.knowledge[winners, domains] - knowledge[winners, domains],
        params.learning_by_doing,
        rtol=1e-4,
    )
    assert (firms.markup[losers] == markup[losers]).all()
    assert (firms.last_innovation[losers] != step).all()
    assert (firms.innovation_domain[losers] == -1).all()


def test_innovation_lands_in_domains_in_proportion_to_knowledge():
    model = make_model({"firm.innovation_rate": 5.0, "firm.partner_search_rate": 0.0})
    firms, slots = model.firms, live(model)
    core = firms.core[slots]
    second = (core + 1) % model.knowledge.size
    firms.portfolio[slots] = False
    firms.portfolio[slots, core] = True
    firms.portfolio[slots, second] = True
    firms.knowledge[slots] = 0.0
    firms.knowledge[slots, core] = 4.5
    firms.knowledge[slots, second] = 0.5
    start_step(model)
    in_core = in_second = 0
    for _ in range(5):
        state = run_firm_verbs(model, "innovate")
        firms.innovate(state)
        winners = slots[firms.innovated[slots]]
        domain = firms.innovation_domain[winners]
        in_core += int((domain == firms.core[winners]).sum())
        in_second += int((domain == (firms.core[winners] + 1) % model.knowledge.size).sum())
    assert in_core + in_second > 500
    assert 0.8 < in_core / (in_core + in_second) < 0.97


# --------------------------------------------------------------------- diversify
def single_domain_firms(model, employees: float = 1000.0) -> np.ndarray:
    firms, slots = model.firms, live(model)
    firms.portfolio[slots] = False
    firms.portfolio[slots, firms.core[slots]] = True
    firms.employees[slots] = employees  # room for up to 10 domains
    firms.absorptive[slots] = 0.99
    firms.loss_streak[slots] = 0
    return slots


@pytest.mark.parametrize("share", [None, 0.6])
def test_diversification_enters_related_domains(share):
    overrides = {"firm.diversification_rate": 1.0}
    if share is not None:
        overrides["firm.entry_knowledge_share"] = share
    model = make_model(overrides, firms=400)
    slots = single_domain_firms(model)
    firms, proximity = model.firms, model.knowledge.proximity
    start_step(model)
    state = run_firm_verbs(model, "diversify")
    before = firms.portfolio[slots].copy()
    knowledge = firms.knowledge.copy()
    # The relatedness density each firm sees (to its own core and to the region's
    # specialisations, as of prepare).
    density = firms.diversification_density(state, slots)
    firms.diversify(state)
    entered = firms.portfolio[slots] & ~before
    rows, domains = np.nonzero(entered)
    assert len(rows) > 40
    assert model.regions.domain_entries[0] == len(rows)
    related_entered = density[rows, domains].mean()
    related_random = density[~before].mean()
    assert related_entered > 1.2 * related_random  # about 1.0 without relatedness
    # The firm's own core counts too: entered domains are closer to it than domains at random.
    others = ~np.eye(model.knowledge.size, dtype=bool)[firms.core[slots]]
    assert (
        proximity[firms.core[slots][rows], domains].mean()
        > proximity[firms.core[slots]][others].mean()
    )
    # An entered domain gains the share entry_knowledge_share of the core knowledge on top of
    # what the firm knew there before.
    entering = slots[rows]
    core_knowledge = firms.knowledge[entering, firms.core[entering]]
    expected = knowledge[entering, domains] + model.spec.firm.entry_knowledge_share * core_knowledge
    np.testing.assert_allclose(firms.knowledge[entering, domains], expected, rtol=1e-6)


def test_troubled_firms_diversify_more_often_and_more_radically():
    model = make_model({"firm.diversification_rate": 0.3}, firms=2000)
    slots = single_domain_firms(model)
    firms, proximity = model.firms, model.knowledge.proximity
    troubled, calm = slots[::2], slots[1::2]
    start_step(model)
    state = run_firm_verbs(model, "diversify")
    firms.loss_streak[troubled] = model.spec.firm.troubled_losses
    before = firms.portfolio.copy()
    firms.diversify(state)
    entered = firms.portfolio & ~before

    def entries(group):
        rows, domains = np.nonzero(entered[group])
        return len(rows), proximity[firms.core[group][rows], domains].mean()

    troubled_count, troubled_related = entries(troubled)
    calm_count, calm_related = entries(calm)
    assert troubled_count > 1.5 * calm_count
    assert troubled_related < calm_related


def test_diversification_respects_the_portfolio_size_limit():
    model = make_model({"firm.diversification_rate": 1.0})
    slots = single_domain_firms(model, employees=1.0)  # 1 employee: at most 2 domains
    firms = model.firms
    core = firms.core[slots]
    firms.portfolio[slots, (core + 1) % model.knowledge.size] = True
    firms.knowledge[slots, (core + 1) % model.knowledge.size] = firms.knowledge[slots, core]
    start_step(model)
    state = run_firm_verbs(model, "diversify")
    firms.diversify(state)
    assert (firms.portfolio[slots].sum(axis=1) <= 2).all()
    assert model.regions.domain_entries[0] == 0


def test_review_never_drops_the_core_and_counts_the_drops():
    model = make_model(
        {
            "firm.diversification_rate": 0.0,
            "firm.portfolio_review_rate": 1.0,
            "firm.unrelated_drop_rate": 1.0,
            "firm.review_relatedness": 0.0,  # every reviewed domain is dropped
        }
    )
    firms, slots = model.firms, live(model)
    size = model.knowledge.size
    core = firms.core[slots]
    others = [(core + 1) % size, (core + 2) % size]
    firms.portfolio[slots] = False
    for domains in (core, *others):
        firms.portfolio[slots, domains] = True
    firms.knowledge[slots] = 0.0
    firms.knowledge[slots, core] = 0.001  # the core is the weakest domain of all
    for domains in others:
        firms.knowledge[slots, domains] = 10.0
    dropped = 0
    for _ in range(16):
        start_step(model)
        state = run_firm_verbs(model, "diversify")
        before = firms.portfolio[slots].sum()
        firms.diversify(state)
        assert model.regions.domain_exits[0] == before - firms.portfolio[slots].sum()
        dropped += model.regions.domain_exits[0]
        assert firms.portfolio[slots, core].all()
    # Every other domain is dropped (unrelated, at rate 1), and each drop counted once.
    assert (firms.portfolio[slots].sum(axis=1) == 1).all()
    assert dropped == 2 * len(slots)
    # Knowledge in a dropped domain stays (and decays later).
    assert (firms.knowledge[slots, others[0]] > 0).all()


@pytest.mark.parametrize("exponent", [1.0, 3.0])
def test_review_drops_unrelated_domains_at_the_rate_of_its_formula(exponent, monkeypatch):
    # unrelated_drop_rate x (1 - review_relatedness x density) ** review_relatedness_exponent,
    # here 1 x (1 - 0.5) ** exponent, with every firm reviewing.
    model = make_model(
        {
            "firm.diversification_rate": 0.0,
            "firm.portfolio_review_rate": 1.0,
            "firm.unrelated_drop_rate": 1.0,
            "firm.review_relatedness_exponent": exponent,
        },
        firms=2000,
    )
    firms, slots = model.firms, live(model)
    other = (firms.core[slots] + 1) % model.knowledge.size
    firms.portfolio[slots] = False
    firms.portfolio[slots, firms.core[slots]] = True
    firms.portfolio[slots, other] = True
    firms.knowledge[slots, other] = firms.knowledge[slots, firms.core[slots]]
    start_step(model)
    state = run_firm_verbs(model, "diversify")
    monkeypatch.setattr(
        firms,
        "diversification_density",
        lambda state, rows: np.full((len(rows), firms.domains), 0.5),
    )
    firms.diversify(state)
    dropped = ~firms.portfolio[slots, other]
    expected = 0.5**exponent
    assert dropped.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / len(slots)))
    assert firms.portfolio[slots, firms.core[slots]].all()


# -------------------------------------------------------------- produce_and_grow
def test_profit_capital_payout_and_loss_streak():
    model = make_model({"firm.innovation_rate": 0.0, "firm.diversification_rate": 0.0})
    firms, slots = model.firms, live(model)
    params = model.spec.firm
    rich, research_heavy = slots[:40], slots[40:80]
    firms.capital[rich] = 100.0 + 10.0 * firms.employees[rich] * model.regions.productivity[0]
    firms.rd_intensity[research_heavy] = 1.5  # R&D over value added: half the revenue
    firms.grant[slots] = 0.0
    start_step(model)
    state = run_firm_verbs(model, "produce_and_grow")
    firms.loss_streak[slots] = 2
    capital = firms.capital[slots].copy()
    base = firms.employees[slots] * model.regions.productivity[0]
    own = firms.rd_spend[slots].copy()  # own R&D: no grants this quarter
    np.testing.assert_allclose(state.own_rd[slots], own)
    firms.produce_and_grow(state)

    revenue, profit = firms.revenue[slots], firms.profit[slots]
    np.testing.assert_allclose(profit, revenue - params.wage_share * base - own)
    after_profit = capital + profit
    payout = params.payout_rate * np.maximum(after_profit - params.capital_buffer * revenue, 0)
    np.testing.assert_allclose(firms.capital[slots], after_profit - payout)
    assert (payout[:40] > 1.0).all()  # capital far above the buffer is paid out
    streak = firms.loss_streak[slots]
    assert ((profit < 0) == (streak == 3)).all()
    assert ((profit >= 0) == (streak == 0)).all()
    assert (profit[40:80] < 0).all() and (profit >= 0).any()


def test_market_demand_moves_revenue_between_markets_not_the_total():
    model = make_model({"firm.domain_demand_noise": 0.1, "firm.domain_demand_persistence": 0.9})
    firms, slots = model.firms, live(model)
    start = firms.domain_demand.copy()
    # Drawn from the stationary distribution: s.d. noise / sqrt(1 - persistence^2).
    assert start.std() == pytest.approx(0.1 / np.sqrt(1 - 0.81), rel=0.35)
    factor = firms.move_demand(model.firms.per_region())
    moved = firms.domain_demand - 0.9 * start
    assert moved.std() == pytest.approx(0.1, rel=0.35)
    assert factor[slots].mean() == pytest.approx(1.0)
    # Firms in the same core market share its factor; a better market pays more.
    cores = firms.core[slots]
    exp_demand = np.exp(firms.domain_demand[0, cores])
    np.testing.assert_allclose(factor[slots] / exp_demand, factor[slots][0] / exp_demand[0])
    quiet = make_model({"firm.domain_demand_noise": 0.0})
    np.testing.assert_allclose(quiet.firms.move_demand(quiet.firms.per_region()), 1.0)


@pytest.mark.parametrize("premium", [0.0, 0.4])
def test_firms_in_domains_related_to_the_region_earn_more(premium):
    model = make_model({"firm.relatedness_premium": premium})
    model.run_for(2)  # a measurement of the region's specialisations and density
    firms, slots = model.firms, live(model)
    factor = firms.related_capabilities(firms.per_region())
    density = model.region_density[0, firms.core[slots]]
    if premium == 0.0:
        assert factor == 1.0
        return
    np.testing.assert_allclose(factor[slots], 1.0 + premium * (density - density.mean()), rtol=1e-9)
    assert factor[slots].mean() == pytest.approx(1.0)


@pytest.mark.parametrize("relatedness", [1.0, 0.0])
def test_wandering_entrants_choose_domains_by_relatedness_unless_ablated(relatedness):
    overrides = {
        "firm.entrant_related_move": 1.0,
        "firm.diversification_relatedness": relatedness,
        "firm.regional_relatedness_share": 0.0,
    }
    model = make_model(overrides, firms=400)
    model.run_for(1)
    firms, proximity = model.firms, model.knowledge.proximity
    copied = []

    def sample(regions):  # remember which firm's core each entrant copies
        local = sample.original(regions)
        copied.append(local)
        return local

    sample.original = firms.directory.sample
    firms.directory.sample = sample
    regions, cores = firms._entrant_cores(np.zeros(3000, dtype=np.int64))
    source = firms.core[copied[0]]
    assert (cores != source).all()  # every entrant wandered
    nearness = proximity[source, cores].mean()
    others = ~np.eye(model.knowledge.size, dtype=bool)[source]
    at_random = proximity[source][others].mean()
    if relatedness:
        assert nearness > 1.3 * at_random
    else:
        assert nearness == pytest.approx(at_random, rel=0.1)


def test_growth_selects_on_margin_before_rd():
    model = make_model(
        {
            "firm.innovation_rate": 0.0,
            "firm.diversification_rate": 0.0,
            "firm.growth_sensitivity": 1.0,
        }
    )
    firms, slots = model.firms, live(model)
    premium, research_heavy, plain = slots[:60], slots[60:120], slots[120:180]
    clone_firm(model, plain, premium)
    clone_firm(model, plain, research_heavy)
    firms.employees[slots] = 10.0
    firms.rd_intensity[research_heavy] = 0.3
    firms.loss_streak[slots] = 0
    start_step(model)
    state = run_firm_verbs(model, "produce_and_grow")
    firms.markup[premium] = 0.5
    firms.produce_and_grow(state)

    def growth(group):
        return np.log(firms.employees[group] / 10.0).mean()

    lead = growth(premium) - growth(plain)
    assert lead > 0.1
    # R&D is not charged to the margin that drives growth.
    assert abs(growth(research_heavy) - growth(plain)) < 0.25 * lead


def test_employment_never_falls_below_one():
    model = make_model(
        {
            "firm.innovation_rate": 0.0,
            "firm.growth_sensitivity": 1.0,
            "firm.labour_market_tightness": 0.0,
            # Small shocks (the default is a one-employee firm's, 0.25): the floor is tested.
            "firm.growth_noise": 0.05,
        }
    )
    firms, slots = model.firms, live(model)
    leaders, laggards = slots[:100], slots[100:]
    firms.employees[leaders] = 20.0
    firms.employees[laggards] = 1.0
    start_step(model)
    state = run_firm_verbs(model, "produce_and_grow")
    firms.markup[leaders] = 1.0  # the others fall far behind the regional mean margin
    firms.produce_and_grow(state)
    assert (firms.employees[slots] >= 1.0).all()
    # Most laggards are held at the floor; a lumpy growth shock lifts about one in ten.
    assert (firms.employees[laggards] == 1.0).mean() > 0.8


# ---------------------------------------------------- adapt_absorptive_capacity
@pytest.mark.parametrize("effect", [None, 0.3])
def test_absorptive_capacity_drifts_towards_its_target(effect):
    overrides = {} if effect is None else {"firm.absorptive_human_capital_effect": effect}
    model = make_model(overrides)
    firms, slots = model.firms, live(model)
    params = model.spec.firm
    start_step(model)
    state = run_firm_verbs(model, "adapt_absorptive_capacity")
    regions = model.regions
    regions.capacity_bonus[0] = 0.1
    regions.skilled[0] = 0.5 * regions.employment[0]  # human capital 0.5, up from 0.16
    absorptive = firms.absorptive[slots].copy()
    firms.adapt_absorptive_capacity(state)
    gain = 0.5 - regions.initial_human_capital[0]
    margin = ABSORPTIVE_MARGIN
    target = np.clip(
        firms.absorptive_base[slots] + params.absorptive_human_capital_effect * gain + 0.1,
        margin,
        1.0 - margin,
    )
    rate = params.absorptive_adjustment
    np.testing.assert_allclose(firms.absorptive[slots], absorptive + rate * (target - absorptive))
    assert (firms.absorptive[slots] > absorptive).mean() > 0.9


# ---------------------------------------------------------------- spawn_startups
def entrants(model, firm_count: float, rounds: int) -> int:
    """Firms founded over ``rounds`` calls of spawn_startups, with the region's firm count at
    the start of the step set to ``firm_count``."""
    start_step(model)
    state = run_firm_verbs(model, "spawn_startups")
    model.regions.firm_count[0] = firm_count
    for _ in range(rounds):
        model.firms.spawn_startups(state)
    return int(model.regions.entries[0])


def test_entry_rate_and_crowding():
    overrides = {"firm.entry_rate": 0.05, "firm.entry_crowding": 2.0, "firm.innovation_rate": 0.0}
    normal_model = make_model(overrides)
    initial = normal_model.regions.initial_firms[0]
    agents_before = len(normal_model.agents)
    normal = entrants(normal_model, initial, rounds=20)
    # Pois(entry_rate x N) per quarter: 20 x 0.05 x 200 = 200 expected.
    expected = 20 * normal_model.spec.firm.entry_rate * initial
    assert 0.7 * expected < normal < 1.3 * expected
    assert normal_model.firms.count == initial + normal
    assert len(normal_model.agents) == agents_before + normal
    # Twice as many firms as at the start: (1/2)^2 per incumbent, so half as many in all.
    crowded = entrants(make_model(overrides), 2 * initial, rounds=20)
    assert crowded < 0.75 * normal


def test_innovators_spin_out_startups_next_to_independent_entry():
    model = make_model({"firm.startup_rate": 1.0, "firm.entry_rate": 0.05})
    firms, slots = model.firms, live(model)
    start_step(model)
    state = run_firm_verbs(model, "spawn_startups")
    parents = slots[:20]
    firms.innovated[slots] = False
    firms.innovated[parents] = True
    domains = (firms.core[parents] + 3) % model.knowledge.size
    firms.innovation_domain[parents] = domains
    size = firms.size
    firms.spawn_startups(state)
    regions = model.regions
    assert regions.spinoffs[0] == 20
    assert regions.entries[0] > 20  # independent entrants as well, in the same quarter
    founded = new_slots(model, size)
    assert len(founded) == regions.entries[0]
    # Each spin-out's core is its parent's innovation domain.
    cores = np.bincount(firms.core[founded], minlength=model.knowledge.size)
    assert (cores >= np.bincount(domains, minlength=model.knowledge.size)).all()


# ------------------------------------------------------------------- exit_failed
def test_failed_firms_leave_and_their_links_go_at_step_end():
    model = make_model()
    firms, slots = model.firms, live(model)
    start_step(model)
    state = run_firm_verbs(model, "exit_failed")
    slots = slots[firms.alive[slots]]
    broke, losing, healthy = slots[:10], slots[10:20], slots[20:]
    firms.capital[healthy] = np.abs(firms.capital[healthy]) + 1.0
    firms.loss_streak[healthy] = 0
    firms.capital[broke] = -0.01
    firms.loss_streak[broke] = 0
    firms.loss_streak[losing] = model.spec.firm.exit_losses
    firms.capital[losing] = 1.0
    leaving = firms.uid[np.concatenate([broke, losing])].copy()
    staying = firms.uid[healthy].copy()
    model.network.add(leaving, firms.uid[healthy[:20]])
    count = firms.count
    firms.exit_failed(state)

    assert model.regions.exits[0] == 20
    assert firms.count == count - 20
    assert not model.nodes.alive[leaving].any()
    assert model.nodes.alive[staying].all()
    present = {agent.unique_id for agent in model.agents}
    assert present.isdisjoint(leaving.tolist())
    assert set(staying.tolist()) <= present
    model.network.drop_dead(model.nodes.alive)
    assert not np.isin(model.network.u, leaving).any()
    assert not np.isin(model.network.v, leaving).any()


def test_exit_ignores_firms_founded_this_step():
    model = make_model({"firm.entry_rate": 0.1})
    firms = model.firms
    start_step(model)
    state = run_firm_verbs(model, "spawn_startups")
    size = firms.size
    firms.spawn_startups(state)
    founded = new_slots(model, size)
    assert len(founded) > 0
    firms.capital[founded] = -1.0
    firms.exit_failed(state)
    assert firms.alive[founded].all()
