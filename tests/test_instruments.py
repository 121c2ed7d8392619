"""Unit tests of every policy instrument's mechanism (docs/ODD.md §7.6): what delivered units
do to firms, universities, citizen groups and the region, under priority and horizontal
targeting. Units are delivered directly (``INSTRUMENT_MECHANISMS[name].deliver``), without
budget or delay; those are tested in test_government_verbs.py."""

from __future__ import annotations

import numpy as np
import pytest
from verb_helpers import (
    agreeable,
    clear_network,
    deliver,
    innovation_counts,
    live,
    make_model,
    members,
    neighbours,
    new_slots,
    output,
    priority_model,
    search_rounds,
    set_priorities,
    start_step,
)


# ----------------------------------------------------------------------- R&D grants
@pytest.mark.parametrize("minimum", [None, 0.3])
def test_rd_grants_go_competitively_to_priority_firms(minimum):
    overrides = {"regions.0.government.institutional_quality": 1.0}
    if minimum is not None:
        overrides["instruments.rd_grants.min_absorptive_capacity"] = minimum
    model = priority_model(overrides)
    params = model.spec.instruments["rd_grants"]
    threshold = params.min_absorptive_capacity
    firms, slots = model.firms, live(model)
    # Some priority firms are below the threshold: it decides who can apply.
    assert (firms.absorptive[slots[members(model, slots)]] <= threshold).any()
    deliver(model, "rd_grants", 1000)
    grant = firms.grant[slots]
    recipients = slots[grant > 0]
    assert grant.sum() == pytest.approx(1000 * params.unit_cost * params.effect)
    assert output(model, "rd_grants") == len(recipients)
    assert members(model, recipients).all()
    assert (firms.absorptive[recipients] > threshold).all()
    # A competitive call: applicants with more knowledge x capacity win more often. Drawn in
    # proportion to merit m, winners have a mean merit of E[m^2] / E[m], above the
    # applicants' mean E[m] by the factor 1 + cv^2; at least half of that advantage shows.
    applicants = members(model, slots) & (firms.absorptive[slots] > threshold)
    merit = firms.knowledge[slots].sum(axis=1) * firms.absorptive[slots]
    mean = merit[applicants].mean()
    advantage = np.mean(merit[applicants] ** 2) / mean**2 - 1.0
    assert np.average(merit, weights=grant) > (1.0 + 0.5 * advantage) * mean


@pytest.mark.parametrize("misallocation", [None, 0.2])
def test_rd_grants_leak_outside_priorities_under_weak_institutions(misallocation):
    overrides = {"regions.0.government.institutional_quality": 0.0}
    if misallocation is not None:
        overrides["instruments.rd_grants.misallocation"] = misallocation
    model = priority_model(overrides)
    firms, slots = model.firms, live(model)
    deliver(model, "rd_grants", 300)
    grant = firms.grant[slots]
    leaked = grant[~members(model, slots)].sum() / grant.sum()
    # Bin(n, misallocation x (1 - q)) of the grants, q = 0 here.
    expected = model.spec.instruments["rd_grants"].misallocation
    assert expected - 0.15 < leaked < expected + 0.15


def test_horizontal_rd_grants_reach_firms_outside_priorities():
    model = priority_model(
        {"regions.0.government.institutional_quality": 1.0},
        targeting={"rd_grants": "horizontal"},
    )
    firms, slots = model.firms, live(model)
    deliver(model, "rd_grants", 200)
    recipients = slots[firms.grant[slots] > 0]
    assert (~members(model, recipients)).sum() > 10


# ----------------------------------------------------------------- innovation vouchers
@pytest.mark.parametrize(
    ("targeting", "max_employees"), [("horizontal", None), ("priority", None), ("horizontal", 5.0)]
)
def test_innovation_vouchers_link_small_firms_to_a_university(targeting, max_employees):
    overrides = {}
    if max_employees is not None:
        overrides["instruments.innovation_vouchers.max_employees"] = max_employees
    model = priority_model(overrides, targeting={"innovation_vouchers": targeting})
    params = model.spec.instruments["innovation_vouchers"]
    firms, slots = model.firms, live(model)
    clear_network(model)
    firms.employees[slots[::3]] = 2 * params.max_employees  # a third too large to be eligible
    knowledge = firms.knowledge.copy()
    deliver(model, "innovation_vouchers", 60)
    boosted = firms.knowledge[slots] > knowledge[slots]
    rows, domains = np.nonzero(boosted)
    served = slots[rows]
    assert len(served) > 20
    assert len(np.unique(served)) == len(served) == output(model, "innovation_vouchers")
    assert (domains == firms.core[served]).all()
    np.testing.assert_allclose(
        firms.knowledge[served, domains] - knowledge[served, domains],
        params.knowledge_gain * params.effect * firms.absorptive[served],
        rtol=1e-3,
        atol=1e-6,
    )
    assert (firms.employees[served] < params.max_employees).all()
    university = int(model.universities.uid[0])
    assert all(university in neighbours(model, uid) for uid in firms.uid[served].tolist())
    assert len(model.network) == len(served)
    outside = (~members(model, served)).sum()
    if targeting == "priority":
        assert outside == 0
    else:
        assert outside > 5


# --------------------------------------------------------------------- collaborative R&D
@pytest.mark.parametrize(
    ("targeting", "size"), [("priority", None), ("horizontal", None), ("priority", 4)]
)
def test_collaborative_rd_links_project_members_and_adds_knowledge(targeting, size):
    overrides = {} if size is None else {"instruments.collaborative_rd.firms_per_project": size}
    model = priority_model(overrides, targeting={"collaborative_rd": targeting})
    params = model.spec.instruments["collaborative_rd"]
    firms, slots = model.firms, live(model)
    clear_network(model)
    knowledge = firms.knowledge.copy()
    deliver(model, "collaborative_rd", 12)
    assert output(model, "collaborative_rd") == 12
    rows, domains = np.nonzero(firms.knowledge[slots] > knowledge[slots])
    participants = slots[rows]
    assert len(np.unique(participants)) > 12
    increment = firms.knowledge[participants, domains] - knowledge[participants, domains]
    per_project = params.knowledge_gain * params.effect * firms.absorptive[participants]
    ratio = increment / per_project
    np.testing.assert_allclose(ratio, np.round(ratio), rtol=1e-3)  # one gain per project
    university = int(model.universities.uid[0])
    for uid in firms.uid[participants].tolist():
        partners = neighbours(model, uid)
        assert university in partners
        # The fellow firms of its project and the university.
        assert len(partners) >= params.firms_per_project
    if targeting == "priority":
        assert model.governments.priorities[0, domains].all()
        assert members(model, participants).all()
    else:
        assert (~members(model, participants)).sum() > 3


# ----------------------------------------------------------------------- cluster support
@pytest.mark.parametrize("targeting", ["priority", "horizontal"])
def test_cluster_support_raises_partner_search_of_targeted_firms(targeting):
    def links_gained(supported: bool) -> tuple[float, float]:
        """Links gained by priority members and by other firms, with or without support
        (the same seed: without support the model is the control)."""
        model = make_model(
            {"firm.partner_search_rate": 0.1, "firm.max_partners": 50},
            firms=600,
            targeting={"cluster_support": targeting},
        )
        set_priorities(model)
        clear_network(model)
        agreeable(model)
        start_step(model)
        member = members(model, live(model))
        if supported:
            params = model.spec.instruments["cluster_support"]
            pool = member.sum() if targeting == "priority" else len(member)
            # A boost of 6 per targeted firm: search 7 times as likely.
            units = 6.0 * pool / (params.effect * params.boost_per_unit)
            deliver(model, "cluster_support", units)
            assert output(model, "cluster_support") == pytest.approx(units)
            column = 0 if targeting == "priority" else 1
            assert model.regions.cluster_boost[0, column] == pytest.approx(6.0)
        gained = search_rounds(model, 6)
        return gained[member].sum(), gained[~member].sum()

    members_supported, others_supported = links_gained(True)
    members_control, others_control = links_gained(False)
    members_ratio = members_supported / members_control
    others_ratio = others_supported / others_control
    if targeting == "priority":
        # Others gain links only as the chosen partners of the searching members.
        assert members_ratio > 2.5
        assert members_ratio > 1.5 * others_ratio
    else:
        assert others_ratio > 3.0
        assert members_ratio < 1.5 * others_ratio


@pytest.mark.parametrize("persistence", [None, 0.5])
def test_boosts_decay_each_quarter_by_their_persistence(persistence):
    overrides = {}
    if persistence is not None:
        overrides["instruments.cluster_support.persistence"] = persistence
        overrides["instruments.public_procurement.persistence"] = 1.0 - persistence / 2
    model = priority_model(overrides)
    instruments, regions = model.spec.instruments, model.regions
    deliver(model, "cluster_support", 10.0)
    deliver(model, "public_procurement", 10.0)
    cluster, pull = regions.cluster_boost.copy(), regions.procurement_pull.copy()
    assert cluster[0, 0] > 0 and pull[0, 0] > 0
    for quarter in range(1, 4):
        nobody = np.empty(0, dtype=np.int64)
        regions.end_step(regions.employment.copy(), nobody, nobody)
        kept = instruments["cluster_support"].persistence ** quarter
        np.testing.assert_allclose(regions.cluster_boost, cluster * kept)
        kept = instruments["public_procurement"].persistence ** quarter
        np.testing.assert_allclose(regions.procurement_pull, pull * kept)


# ------------------------------------------------------------------------------ training
def test_training_adds_skilled_workers():
    model = priority_model()
    effect = model.spec.instruments["training"].effect
    skilled = model.regions.skilled[0]
    deliver(model, "training", 37.5)
    assert model.regions.skilled[0] == pytest.approx(skilled + 37.5 * effect)
    assert output(model, "training") == pytest.approx(37.5)


# --------------------------------------------------------------- research infrastructure
@pytest.mark.parametrize("targeting", ["priority", "horizontal"])
def test_research_infrastructure_raises_university_targets(targeting):
    model = priority_model(
        {"regions.0.universities": 2}, targeting={"research_infrastructure": targeting}
    )
    params = model.spec.instruments["research_infrastructure"]
    universities = model.universities
    priorities = model.governments.priorities[0]
    target, strength = universities.target[:2].copy(), universities.strength[:2].copy()
    deliver(model, "research_infrastructure", 4.0)
    assert output(model, "research_infrastructure") == pytest.approx(4.0)
    factor = universities.target[:2] / target
    # Each unit raises the target of the targeted domains by the gain (a share of base
    # strength), spread over the region's two universities.
    if targeting == "priority":
        raised = 1 + params.effect * params.priority_gain * 4 / 2
        np.testing.assert_allclose(factor[:, priorities], raised)
        np.testing.assert_allclose(factor[:, ~priorities], 1.0)
    else:
        np.testing.assert_allclose(factor, 1 + params.effect * params.horizontal_gain * 4 / 2)
    # Strength follows through research.
    universities.research()
    raised = factor > 1
    assert (universities.strength[:2][raised] > strength[raised]).all()
    np.testing.assert_allclose(universities.strength[:2][~raised], strength[~raised])


# ----------------------------------------------------------------------- start-up support
@pytest.mark.parametrize("targeting", ["priority", "horizontal"])
def test_startup_support_founds_firms_in_targeted_domains(targeting):
    model = priority_model(targeting={"startup_support": targeting})
    params = model.spec.instruments["startup_support"]
    firms = model.firms
    size, count = firms.size, firms.count
    deliver(model, "startup_support", 40)
    founded = new_slots(model, size)
    assert len(founded) == firms.count - count == 40 == output(model, "startup_support")
    assert model.regions.entries[0] == 40
    assert (firms.capital[founded] > params.unit_cost * params.effect).all()
    in_priorities = model.governments.priorities[0, firms.core[founded]]
    if targeting == "priority":
        assert in_priorities.all()
    else:
        assert (~in_priorities).sum() > 10


# -------------------------------------------------------------------- public procurement
def test_public_procurement_pulls_innovation_of_priority_firms():
    overrides = {"firm.innovation_rate": 0.2, "firm.partner_search_rate": 0.0}
    model = priority_model(overrides)
    params = model.spec.instruments["public_procurement"]
    slots = live(model)
    member = members(model, slots)
    inside, outside = slots[member], slots[~member]
    assert len(inside) > 30 and len(outside) > 30
    before = innovation_counts(model, [inside, outside], rounds=15)
    # A pull of 4 per priority firm: hazard x 5.
    units = 4.0 * len(inside) / (params.effect * params.boost_per_unit)
    deliver(model, "public_procurement", units)
    assert output(model, "public_procurement") == pytest.approx(units)
    assert model.regions.procurement_pull[0, 0] == pytest.approx(4.0)
    after = innovation_counts(model, [inside, outside], rounds=15)
    assert after[0] > 2.0 * before[0]
    assert 0.6 * before[1] < after[1] < 1.5 * before[1]


# --------------------------------------------------------------------------- living labs
@pytest.mark.parametrize("targeting", ["priority", "horizontal"])
def test_living_labs_link_citizens_firms_and_university(targeting):
    model = priority_model(targeting={"living_labs": targeting})
    params = model.spec.instruments["living_labs"]
    citizens, firms = model.citizens, model.firms
    clear_network(model)
    groups = np.arange(citizens.size)
    priorities = np.flatnonzero(model.governments.priorities[0])
    held = firms.portfolio[live(model)].sum(axis=0)
    # The most widely held domain that is not a priority.
    plain = next(d for d in np.argsort(-held, kind="stable").tolist() if d not in priorities)
    needs = np.full(model.knowledge.size, 0.2 / (model.knowledge.size - 2))
    needs[plain], needs[priorities[0]] = 0.5, 0.3
    # Priority targeting weighs needs in the priorities up: the priority domain wins.
    weight = params.non_priority_weight
    assert needs[plain] * weight < needs[priorities[0]] * (1 + weight)
    citizens.needs[groups] = needs
    citizens.participation[groups] = 0.0
    citizens.participation[0] = 1.0
    boost, trust = citizens.lab_boost[groups].copy(), citizens.trust[groups].copy()
    deliver(model, "living_labs", 40)

    assert output(model, "living_labs") == 40
    # Every lab works on the priority domain under priority targeting, none under horizontal.
    in_priorities = model.regions.labs_in_priorities[0]
    assert in_priorities == (40 if targeting == "priority" else 0)
    added = citizens.lab_boost[groups] - boost
    assert added.sum() == pytest.approx(40 * params.lab_boost * params.effect)
    # Groups are drawn in proportion to participation + selection_floor.
    assert added.argmax() == 0
    labs = groups[added > 0]
    assert (citizens.trust[labs] > trust[labs]).all()
    assert (citizens.trust[groups][added == 0] == trust[added == 0]).all()
    lab_domain = priorities[0] if targeting == "priority" else plain
    university = int(model.universities.uid[0])
    for uid in citizens.uid[labs].tolist():
        linked = neighbours(model, uid)
        assert university in linked
        partners = [model.nodes.slot[node] for node in linked if model.nodes.kind[node] == 0]
        assert partners and firms.portfolio[partners, lab_domain].all()


@pytest.mark.parametrize("floor", [None, 1.0])
def test_living_labs_raise_trust_per_lab(floor):
    # A group drawn for k labs gains trust_gain x effect from each, like its lab boost.
    overrides = {} if floor is None else {"instruments.living_labs.selection_floor": floor}
    model = priority_model(overrides)
    params = model.spec.instruments["living_labs"]
    citizens = model.citizens
    groups = np.arange(citizens.size)
    citizens.participation[groups] = 0.0
    citizens.participation[0] = 1.0
    citizens.trust[groups] = 0.3
    boost = citizens.lab_boost[groups].copy()
    deliver(model, "living_labs", 100)
    labs = np.round((citizens.lab_boost[groups] - boost) / (params.lab_boost * params.effect))
    assert labs.sum() == 100
    # Groups are drawn in proportion to participation + selection_floor: group 0 with weight
    # 1 + floor, the others with weight floor (3/4 of the labs for group 0 by default).
    share = (1 + params.selection_floor) / (1 + len(groups) * params.selection_floor)
    assert abs(labs[0] / 100 - share) < 0.2
    gain = params.trust_gain * params.effect
    np.testing.assert_allclose(citizens.trust[groups], np.minimum(1.0, 0.3 + gain * labs))


# --------------------------------------------------------------------- capacity building
CAPACITY = {
    "instruments.capacity_building.quality_gain": 0.01,
    "instruments.capacity_building.absorptive_bonus": 0.005,
    "instruments.capacity_building.max_absorptive_bonus": 0.25,
}


@pytest.mark.parametrize("overrides", [{}, CAPACITY], ids=["defaults", "changed"])
def test_capacity_building_raises_quality_and_absorptive_bonus(overrides):
    model = priority_model(overrides)
    params = model.spec.instruments["capacity_building"]
    governments, regions = model.governments, model.regions
    quality = governments.quality[0]
    deliver(model, "capacity_building", 16.0)
    step = params.effect * np.sqrt(16.0)  # diminishing returns: sqrt(units)
    expected = quality + params.quality_gain * step * (1 - quality)
    assert governments.quality[0] == pytest.approx(expected)
    assert regions.capacity_bonus[0] == pytest.approx(params.absorptive_bonus * step)
    assert output(model, "capacity_building") == pytest.approx(16.0)
    cap = params.max_absorptive_bonus
    regions.capacity_bonus[0] = cap - 0.01
    deliver(model, "capacity_building", 100.0)
    assert regions.capacity_bonus[0] == pytest.approx(cap)  # capped
    # The bonus lifts the absorptive capacity of new firms (region mean 0.22 without it).
    firms, size = model.firms, model.firms.size
    deliver(model, "startup_support", 50)
    founded = new_slots(model, size)
    assert firms.absorptive[founded].mean() > regions.absorptive_capacity[0] + 0.5 * cap
