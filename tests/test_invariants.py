"""Property-based invariants on random valid scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
from conftest import MAY_BE_NAN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartspec import EcosystemModel
from smartspec.model import CitizenGroup, Firm, Government, University
from smartspec.scenarios import INSTRUMENTS, Scenario
from smartspec.scenarios.schema import PolicyMix, Region

unit = st.floats(0.0, 1.0, allow_nan=False)
inner = st.floats(0.05, 0.95, allow_nan=False)


@st.composite
def mixes(draw) -> PolicyMix:
    weights = draw(
        st.lists(st.floats(0.0, 1.0), min_size=len(INSTRUMENTS), max_size=len(INSTRUMENTS))
    )
    weights = np.array(weights) + 1e-3
    shares = weights / weights.sum()
    shares[-1] = 1.0 - shares[:-1].sum()
    return PolicyMix(name="random", shares=dict(zip(INSTRUMENTS, shares.tolist(), strict=True)))


@st.composite
def regions(draw, index: int) -> dict:
    return {
        "name": f"R{index}",
        "firms": draw(st.integers(20, 250)),
        "universities": draw(st.integers(0, 3)),
        "citizen_groups": draw(st.integers(0, 12)),
        "absorptive_capacity": draw(inner),
        "knowledge_level": draw(st.floats(0.05, 5.0)),
        "rd_intensity": draw(st.floats(0.0, 0.1)),
        "human_capital": draw(unit),
        "university_strength": draw(st.floats(0.05, 5.0)),
        "tech_transfer": draw(unit),
        "citizen_participation": draw(unit),
        "citizen_trust": draw(unit),
        "specialisations": draw(st.integers(1, 8)),
        "concentration": draw(unit),
        "productivity": draw(st.floats(0.005, 0.1)),
        "mean_firm_size": draw(st.floats(1.0, 40.0)),
        "position": (draw(st.floats(0, 5)), draw(st.floats(0, 5))),
        "government": {
            "budget_share": draw(st.floats(0.0, 0.05)),
            "institutional_quality": draw(unit),
            "governance": draw(st.sampled_from(["top_down", "triple_helix", "quadruple_helix"])),
            "n_priorities": draw(st.integers(1, 10)),
            "revision_period": draw(st.integers(1, 16)),
        },
    }


@st.composite
def scenarios(draw) -> Scenario:
    count = draw(st.integers(1, 3))
    return Scenario(
        name="random",
        steps=8,
        knowledge={"domains": draw(st.integers(10, 40)), "families": draw(st.integers(1, 8))},
        regions=[Region(**draw(regions(i))) for i in range(count)],
        mix=draw(mixes()),
        interregional={"openness": draw(unit), "distance_decay": draw(st.floats(0.1, 10.0))},
        initial={"burn_in": draw(st.integers(0, 6))},
        firm={"population_growth": draw(st.floats(0.0, 0.1))},
    )


def check_invariants(model: EcosystemModel) -> None:
    firms = model.firms
    n = firms.size
    live = firms.alive[:n]
    for name in firms.fields:
        values = getattr(firms, name)[:n][live]
        if values.dtype.kind == "f":
            assert np.isfinite(values).all(), f"firm {name} not finite"
    assert (firms.knowledge[:n][live] >= 0).all()
    assert (firms.employees[:n][live] >= 1).all()
    assert ((firms.absorptive[:n][live] >= 0) & (firms.absorptive[:n][live] <= 1)).all()
    assert (firms.rd_spend[:n][live] >= 0).all()
    assert firms.portfolio[:n][live].any(axis=1).all(), "a firm lost every domain"
    assert firms.portfolio[:n][live][np.arange(live.sum()), firms.core[:n][live]].all()

    universities = model.universities
    strength = universities.strength[: universities.size]
    assert np.isfinite(strength).all() and (strength >= 0).all()
    citizens = model.citizens
    for name in ("participation", "trust"):
        values = getattr(citizens, name)[: citizens.size]
        assert ((values >= 0) & (values <= 1)).all(), name

    governments = model.governments
    regions = model.n_regions
    # Quarter t commits a quarter of the budget times the market's trend since quarter 0
    # (firm.population_growth; exactly 1 without growth).
    trend = model.regions.market_growth ** max(model.steps - 1, 0)
    quarter_budget = governments.budget[:regions] / 4.0 * trend
    committed = governments.committed[:regions]
    absorbed = governments.absorbed[:regions]
    assert (absorbed >= 0).all()
    assert (absorbed <= committed + 1e-12).all(), "absorbed more than committed"
    if model.steps > 0:
        committed_total = committed.sum(axis=1)
        assert np.allclose(committed_total, quarter_budget), "committed other than budget/4 x trend"
    assert (governments.pipeline[:regions] >= 0).all()
    assert ((governments.quality[:regions] >= 0) & (governments.quality[:regions] <= 1)).all()
    assert (model.regions.skilled >= 0).all()
    assert (model.regions.skilled <= model.regions.employment + 1e-9).all()

    by_type = model.agents_by_type
    assert len(by_type.get(Firm, [])) == firms.count
    assert len(by_type.get(University, [])) == universities.count
    assert len(by_type.get(CitizenGroup, [])) == citizens.count
    assert len(by_type[Government]) == regions
    assert len(model.agents) == model.nodes.alive.sum()
    assert model.nodes.alive[model.network.u].all() and model.nodes.alive[model.network.v].all()
    assert (model.network.u < model.network.v).all()
    assert len(np.unique(model.network.keys)) == len(model.network)
    assert sum(row["firms"] for row in model.latest) == firms.count


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_on_random_scenarios(scenario: Scenario, seed: int) -> None:
    model = EcosystemModel(scenario=scenario, rng=seed)
    check_invariants(model)
    for _ in range(scenario.steps):
        model.step()
        check_invariants(model)
    numeric = model.indicators().drop(columns=["region", "priorities", *MAY_BE_NAN])
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
