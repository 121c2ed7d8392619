"""Shared test set-up: the one-region model factory.

``tests/`` is not a package; pytest puts it on ``sys.path``, so modules can also import the
plain helpers (``from conftest import REGION, make_model``), e.g. to build models inside
``pytest.mark.parametrize`` arguments or hypothesis strategies, where fixtures are unavailable.
"""

from __future__ import annotations

import pytest

from smartspec import EcosystemModel, load_scenario

#: Indicators documented as NaN where undefined (docs/ODD.md §7.8): a single region's
#: complexity, densities without specialisations or priorities, growth kurtosis without
#: firms of 2+ employees or without spread, the share of living labs in a quarter without labs.
MAY_BE_NAN = [
    "eci",
    "density_specialisations",
    "density_priorities",
    "growth_kurtosis",
    "living_lab_priority_share",
    "entry_relatedness",
    "entry_complexity",
]

#: A small region with the values of the ``emerging`` archetype (at the time of writing), fixed
#: here so that recalibrating the archetype does not change what the tests check.
REGION = {
    "regions.0.firms": 200,
    # One simulated firm per real one: verb tests count what the mechanisms do to the firms
    # simulated (tests/test_scale.py covers firms that stand for several).
    "regions.0.represented_firms": 200,
    "regions.0.universities": 1,
    "regions.0.citizen_groups": 8,
    "regions.0.absorptive_capacity": 0.22,
    "regions.0.knowledge_level": 0.6,
    "regions.0.rd_intensity": 0.004,
    "regions.0.human_capital": 0.16,
    "regions.0.university_strength": 0.5,
    "regions.0.tech_transfer": 0.15,
    "regions.0.citizen_participation": 0.12,
    "regions.0.citizen_trust": 0.3,
    "regions.0.specialisations": 4,
    "regions.0.concentration": 0.5,
    "regions.0.productivity": 0.018,
    "regions.0.mean_firm_size": 9,
    # The schema allows at most 5 % of GDP: enough units for every instrument to act.
    "regions.0.government.budget_share": 0.05,
    # Verb tests start from the drawn state.
    "initial.burn_in": 0,
    "regions.0.government.institutional_quality": 0.3,
    "regions.0.government.governance": "top_down",
    "regions.0.government.n_priorities": 6,
    "regions.0.government.revision_period": 16,
}


def make_model(
    overrides: dict | None = None,
    *,
    seed: int = 1,
    firms: int = 200,
    targeting: dict[str, str] | None = None,
) -> EcosystemModel:
    """A one-region model (:data:`REGION`, then ``overrides``); ``targeting`` sets
    instruments' targeting (``{"rd_grants": "horizontal"}``)."""
    settings = {
        **REGION,
        "regions.0.firms": firms,
        "regions.0.represented_firms": firms,
        **(overrides or {}),
    }
    for name, value in (targeting or {}).items():
        settings[f"instruments.{name}.targeting"] = value
    return EcosystemModel(load_scenario("emerging", overrides=settings), rng=seed)


# The fixture has its own Python name so that the plain function above stays importable as
# ``make_model``; tests request it by the name ``make_model``.
@pytest.fixture(name="make_model")
def make_model_fixture():
    """The :func:`make_model` factory: ``def test_x(make_model): model = make_model(seed=2)``."""
    return make_model


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--offline",
        action="store_true",
        help="also run the checks marked offline (too long for CI; make test-offline)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Checks marked ``offline`` take many CPU-minutes: skipped unless ``--offline``."""
    if config.getoption("--offline"):
        return
    skip = pytest.mark.skip(reason="offline check: run with make test-offline")
    for item in items:
        if "offline" in item.keywords:
            item.add_marker(skip)
