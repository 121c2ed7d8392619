"""How simulated firms stand for real ones (docs/ODD.md §2): the number of firms simulated
sets the precision, not the region's size, so intensive results do not depend on it."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from smartspec import EcosystemModel, load_scenario

#: Fixed seeds nothing was tuned to, and how many at each size: the issue's design, for the
#: point test (docs/validation.md, "Scale").
SEEDS = {250: 16, 1000: 8, 4000: 8}
FIRST_SEED = 100
#: Seeds per size for the interval test: the final index has a seed s.d. of about 6 at every
#: size (region-level noise), so a 95 % interval within +/-2 points needs, under invariance,
#: (2 + 2.58) x sqrt(2 x 36 / n) <= 2 for 99 % power: n >= 377. Fixed by that calculation
#: before the test first ran; the point test's seeds are the first of these.
INTERVAL_SEEDS = 400
SIZES = (250, 1000, 4000)


def _final_index_of(task: tuple[int, int]) -> float:
    firms, seed = task
    model = EcosystemModel("emerging", rng=seed, mix="baseline", **{"regions.0.firms": firms})
    model.run_for(model.spec.steps)
    return float(model.indicators()["innovation_index"].iloc[-1])


#: (smaller size, bound): the mean final index at that size and at 4,000 firms differ by at
#: most this many points.
BOUNDS = ((250, 3.0), (1000, 2.0))


@pytest.fixture(scope="module")
def final_index() -> dict[int, np.ndarray]:
    """The final index of INTERVAL_SEEDS runs per size (seeds from FIRST_SEED), in parallel
    on the machine's cores (about 3.5 minutes on 2)."""
    tasks = [(firms, FIRST_SEED + k) for firms in SIZES for k in range(INTERVAL_SEEDS)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
        values = np.array(list(pool.map(_final_index_of, tasks, chunksize=8)))
    return dict(zip(SIZES, values.reshape(len(SIZES), INTERVAL_SEEDS), strict=True))


def _difference(index: dict[int, np.ndarray], small: int) -> tuple[float, float]:
    """Mean final index at ``small`` firms minus at 4,000, and its standard error."""
    difference = index[small].mean() - index[4000].mean()
    error = np.sqrt(
        index[small].var(ddof=1) / len(index[small]) + index[4000].var(ddof=1) / len(index[4000])
    )
    return float(difference), float(error)


@pytest.mark.slow
def test_the_index_does_not_depend_on_the_number_of_simulated_firms(final_index):
    """The issue's design: 16 seeds at 250 firms and 8 at 1,000 and 4,000. With a seed s.d.
    of about 6 its difference has a standard error of about 2.6 points, so it can only show
    that no difference is detectable (the 95 % interval contains zero); whether the difference
    lies within the bounds is the next test's, on INTERVAL_SEEDS seeds. (Until model version
    5 this test also bounded the design's point estimate, which fails by chance about one run
    in four with no size effect at all: at version 5 it gave 3.13 against 3 at 250 firms.)"""
    index = {firms: final_index[firms][:seeds] for firms, seeds in SEEDS.items()}
    for small, _ in BOUNDS:
        difference, error = _difference(index, small)
        assert difference - 2.0 * error <= 0.0 <= difference + 2.0 * error, (small, difference)


@pytest.mark.slow
def test_the_interval_of_the_difference_lies_within_the_bounds(final_index):
    """The issue's stricter reading: the whole 95 % interval of the difference lies within
    the bound. With the issue's 16 / 8 / 8 seeds the intervals are about +/-6 points (seed
    s.d. about 6), so this reading is tested on INTERVAL_SEEDS seeds per size."""
    for small, bound in BOUNDS:
        difference, error = _difference(final_index, small)
        print(f"{small} vs 4000 firms: {difference:+.2f} +- {2.0 * error:.2f} points")
        assert abs(difference) + 2.0 * error <= bound, (small, difference, error)


def test_a_simulated_firm_stands_for_represented_over_simulated_real_ones():
    assert load_scenario("emerging").regions[0].represented_firms == 1000
    own = load_scenario("emerging", overrides={"regions.0.represented_firms": None})
    assert own.regions[0].represented_firms is None  # default: one real firm per simulated
    model = EcosystemModel("emerging", rng=1, **{"regions.0.firms": 200})
    assert model.regions.firm_weight[0] == pytest.approx(5.0)
    model = EcosystemModel("emerging", rng=1, **{"regions.0.represented_firms": None})
    assert model.regions.firm_weight[0] == pytest.approx(1.0)


def test_policy_money_is_the_real_regions_and_outputs_count_real_units():
    """The same budget buys the same real grants whatever the number simulated: a fifth as many
    simulated firms get them when each stands for five, and the output counts real grants."""
    from smartspec.model.indicators import OUTPUT_INDICATORS
    from smartspec.model.instruments import INSTRUMENT_MECHANISMS

    column = OUTPUT_INDICATORS["rd_grants"]
    supported = {}
    for firms in (200, 1000):
        total = 0.0
        for seed in (3, 4, 5):
            model = EcosystemModel(
                "emerging",
                rng=seed,
                mix="rd_grants_heavy",
                **{"regions.0.firms": firms, "regions.0.government.budget_share": 0.02},
            )
            model.run_for(12)
            table = model.indicators()
            total += table[column].sum()
            budget = model.governments.budget[0]  # M€ per year, fixed at quarter 0
            # Quarter 12 commits a quarter of it times the market's trend then: eleven
            # quarters of firm.population_growth (the twelfth grows the room after it).
            trend = model.regions.market_scale[0] / model.regions.market_growth
            committed = table["budget_committed"].iloc[-1]
            assert committed == pytest.approx(budget / 4 * trend, rel=1e-9)
        supported[firms] = total
    assert supported[200] == pytest.approx(supported[1000], rel=0.3)
    assert INSTRUMENT_MECHANISMS["rd_grants"].reaches_firms
    assert not INSTRUMENT_MECHANISMS["research_infrastructure"].reaches_firms


def test_firms_can_start_equal_to_test_whether_dynamics_make_the_size_distribution():
    pareto = EcosystemModel("emerging", rng=4, **{"initial.burn_in": 0})
    equal = EcosystemModel(
        "emerging", rng=4, **{"initial.firm_sizes": "equal", "initial.burn_in": 0}
    )
    sizes = equal.firms.employees[: equal.firms.size]
    assert np.ptp(sizes) == 0 and sizes[0] == round(equal.spec.regions[0].mean_firm_size)
    assert np.ptp(pareto.firms.employees[: pareto.firms.size]) > 100
    # Only the sizes differ: the same draws are made, so the firms' domains are the same.
    assert np.array_equal(
        pareto.firms.core[: pareto.firms.size], equal.firms.core[: equal.firms.size]
    )
