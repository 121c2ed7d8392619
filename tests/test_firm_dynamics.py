"""Firm dynamics produce the stylised facts (docs/ODD.md §1.2, §7.1; ../shared targets T6-T9,
T15, T16): from equal starting sizes a stationary Zipf-like size distribution, growth rates
whose spread falls with size, the EU's rates of enterprise birth, death and 1-year survival, and
exit through exhausted capital. Seeds are fixed and were not used to choose any parameter."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest

from smartspec import EcosystemModel

#: Fixed seeds nothing was tuned to (the defaults were chosen on seeds 1 and 11-21, the capital
#: buffer of model version 4 on seeds 11-13; seeds 7101-7105 checked an earlier version).
ZIPF_RUNS = (("emerging", 7301), ("emerging", 7302), ("strong", 7303))
#: Runs that miss the stationary Zipf check at 1,000 firms (the population held there,
#: firm.population_growth 0, every other value the calibrated default), and how: known
#: shortfalls, reported in docs/validation.md. None at model versions 6 and 7; two at version
#: 8 (measured 2026-12-02; a third, 7301, misses by its span, _SHORT_TAILED). One run is one
#: draw of a 200-firm tail: the check's verdict is the pass rate over 27 runs
#: (test_runs_at_1000_firms_pass_the_zipf_check_as_often_as_an_exact_zipf_law).
_ZIPF_MISSES_AT_1000: dict[tuple[str, int], str] = {
    ("emerging", 7302): "alpha moves from 1.11 to 0.94",
    ("strong", 7303): "alpha moves from 0.86 to 1.03",
}
#: Runs that miss it with the default growing population (2 % a year since model version 7:
#: about 4,400 firms at quarter 300 and 7,000 at 400, tails of 900-1,500 firms), and how.
#: Two at version 7 (emerging 7302, a lognormal fitting better at quarter 400, R -2.72, p
#: 0.007; strong 7303, alpha from 1.06 to 0.86); none at version 8.
_ZIPF_MISSES: dict[tuple[str, int], str] = {}
#: Quarters at which the size distribution is compared (75 and 100 years).
EARLY, LATE = 300, 400
#: The tail is the largest fifth of the live firms.
TAIL_SHARE = 0.2


@dataclass
class Record:
    """What a run from equal sizes leaves: sizes at EARLY and LATE, births and deaths of every
    firm (by uid), yearly size pairs of surviving firms, and exits by route."""

    sizes: dict[int, np.ndarray] = field(default_factory=dict)
    born: dict[int, int] = field(default_factory=dict)
    died: dict[int, int] = field(default_factory=dict)
    pairs: list[np.ndarray] = field(default_factory=list)
    live_years: list[int] = field(default_factory=list)
    exits: dict[str, int] = field(default_factory=lambda: {"capital": 0, "losses": 0})
    #: The tail fit of ``sizes[step]`` (``_tail``), made once for the tests that read it.
    tails: dict[int, tuple] = field(default_factory=dict)

    def tail(self, step: int) -> tuple:
        if step not in self.tails:
            self.tails[step] = _tail(self.sizes[step])
        return self.tails[step]


def _run(archetype: str, seed: int, steps: int = LATE, growth: float | None = None) -> Record:
    """A run from equal sizes; ``growth`` sets firm.population_growth (None: the default)."""
    settings = {"initial.firm_sizes": "equal"}
    if growth is not None:
        settings["firm.population_growth"] = growth
    model = EcosystemModel(archetype, rng=seed, **settings)
    firms, record = model.firms, Record()
    exit_failed = firms.exit_failed

    def counted_exit(state):  # count the route of each exit, then exit as the model does
        n, live = state.n, firms.alive[: state.n]
        capital = live & (firms.capital[:n] < 0.0)
        losses = live & ~capital & (firms.loss_streak[:n] >= firms.params.exit_losses)
        record.exits["capital"] += int(capital.sum())
        record.exits["losses"] += int(losses.sum())
        exit_failed(state)

    firms.exit_failed = counted_exit

    def live_firms() -> dict[int, float]:
        live = firms.alive[: firms.size]
        return dict(
            zip(
                firms.uid[: firms.size][live].tolist(),
                firms.employees[: firms.size][live],
                strict=True,
            )
        )

    before = live_firms()
    year_ago = before
    for step in range(1, steps + 1):
        model.step()
        now = live_firms()
        record.born.update((uid, step) for uid in now.keys() - before.keys())
        record.died.update((uid, step) for uid in before.keys() - now.keys())
        if step % 4 == 0:
            if step > steps // 2:
                kept = [uid for uid in year_ago if uid in now]
                record.pairs.append(np.array([[year_ago[uid], now[uid]] for uid in kept]))
                record.live_years.append(len(now))
            year_ago = now
        if step in (EARLY, LATE):
            record.sizes[step] = np.array(list(now.values()))
        before = now
    return record


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, int], Record]:
    """The fixed runs at the defaults (a business population growing 2 % a year)."""
    return {run: _run(*run) for run in ZIPF_RUNS}


@pytest.fixture(scope="module")
def runs_at_1000() -> dict[tuple[str, int], Record]:
    """The fixed runs at 1,000 firms throughout: the population held at its start."""
    return {run: _run(*run, growth=0.0) for run in ZIPF_RUNS}


def _tail(sizes: np.ndarray):
    import powerlaw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(sizes, xmin=np.quantile(sizes, 1.0 - TAIL_SHARE), verbose=False)
        lognormal = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
        exponential = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
    decades = np.log10(sizes.max() / fit.xmin)
    return fit.power_law.alpha - 1.0, lognormal, exponential, decades


def _zipf_runs(misses: dict[tuple[str, int], str], runs: tuple = ZIPF_RUNS) -> list:
    """Zipf runs as test parameters, the known misses marked as strict expected failures."""
    return [
        pytest.param(
            run,
            id=f"{run[0]}-{run[1]}",
            marks=[pytest.mark.xfail(reason=misses[run], strict=True)] if run in misses else [],
        )
        for run in runs
    ]


def _zipf_misses(record: Record, span: bool = True) -> list[str]:
    """What a run misses of the Zipf check (empty: it passes). T15: the complementary CDF of
    the largest fifth falls as s^-alpha, alpha in 0.8-1.4, the same at quarters 300 and 400;
    with ``span``, over at least two decades of size at both."""
    misses, alphas = [], {}
    for step in record.sizes:
        alpha, (r_lognormal, p_lognormal), (r_exponential, p_exponential), decades = record.tail(
            step
        )
        alphas[step] = alpha
        if not 0.8 <= alpha <= 1.4:
            misses.append(f"alpha {alpha:.2f} at quarter {step}")
        # A thin (exponential) tail is rejected; a lognormal fits no significantly better than
        # the power law (with a few hundred points it cannot be told apart from one: the same
        # test on exact Pareto samples of this size gives R in about -1.7 to 0.2).
        if not (r_exponential > 0 and p_exponential < 0.05):
            misses.append(f"an exponential as good at quarter {step} (R {r_exponential:.2f})")
        if r_lognormal < 0 and p_lognormal < 0.05:
            misses.append(
                f"a lognormal fits better at quarter {step} (R {r_lognormal:.2f}, "
                f"p {p_lognormal:.3f})"
            )
        if span and decades < 2.0:
            misses.append(f"{decades:.2f} decades at quarter {step}")
    if abs(alphas[EARLY] - alphas[LATE]) > 0.15:
        misses.append(f"alpha moves from {alphas[EARLY]:.2f} to {alphas[LATE]:.2f}")
    return misses


def _check_stationary_zipf(record: Record) -> None:
    """T15 without the span (test_the_zipf_tail_spans_two_decades_of_size checks it)."""
    misses = _zipf_misses(record, span=False)
    assert not misses, misses


@pytest.mark.slow
@pytest.mark.parametrize("run", _zipf_runs(_ZIPF_MISSES_AT_1000))
def test_sizes_from_equal_starts_become_a_stationary_zipf_tail(runs_at_1000, run):
    """T15 from equal sizes at 1,000 firms, as the check is specified (docs/validation.md):
    the defaults with the business population held at its start."""
    _check_stationary_zipf(runs_at_1000[run])


@pytest.mark.slow
@pytest.mark.parametrize("run", _zipf_runs(_ZIPF_MISSES))
def test_sizes_from_equal_starts_in_a_growing_population(runs, run):
    """T15 from equal sizes at the defaults, whose population grows about 7 times over the
    400 quarters: larger tails, in which a lognormal's curvature can be told apart."""
    _check_stationary_zipf(runs[run])


#: 24 more runs from equal sizes, six per archetype, on seeds fixed before they first ran
#: (7311-7334, none used for any choice): how often a single run passes, since three runs
#: cannot tell a shortfall of the model from the sampling error of one run's tail. In a
#: stationary population of 1,000 (about 220 tail firms) alpha's s.e. is about 0.07, so
#: |alpha_300 - alpha_400| <= 0.15 alone fails about one run in seven when the tail is
#: stationary (test_the_stationarity_bound_fails_exact_zipf_...); with version 7's growing
#: population the tails hold 900-1,500 firms, the sampling error is half that, and what moves
#: alpha is the wandering of a run's largest firms (on tuning seeds 8801-8808, emerging,
#: alpha_300 - alpha_400 spread with a s.d. of about 0.09 around 0).
WIDER_ZIPF_RUNS = tuple(
    (archetype, 7311 + 6 * index + k)
    for index, archetype in enumerate(("emerging", "moderate", "strong", "leader"))
    for k in range(6)
)
#: The wider runs that miss, and how (model version 8, measured 2026-12-02; docs/validation.md):
#: tails that a lognormal fits significantly better at quarter 400 and alphas moving by more
#: than 0.15 between quarters 300 and 400. At version 7 six runs missed (emerging 7313,
#: moderate 7322, strong 7325 and 7326, leader 7332 and 7334), at version 6 six others, at
#: version 5 five, at version 4 five others. The same seeds at 1,000 firms (growth 0) make the
#: check's verdict (test_runs_at_1000_firms_pass_the_zipf_check_as_often_as_an_exact_zipf_law).
_WIDER_ZIPF_MISSES: dict[tuple[str, int], str] = {
    ("emerging", 7311): "a lognormal fits better at quarter 400 (R -2.65, p 0.008)",
    ("moderate", 7318): "a lognormal fits better at quarter 400 (R -2.20, p 0.03)",
    ("moderate", 7322): "a lognormal fits better at quarter 400 (R -2.67, p 0.008)",
    ("strong", 7323): "alpha moves from 0.90 to 1.06",
    ("strong", 7326): "alpha moves from 1.09 to 0.92",
}


def test_the_stationarity_bound_fails_exact_zipf_samples_of_this_size_one_time_in_seven():
    """What a miss of the 0.15 bound says: two independent samples of 1,000 sizes from one
    exact Zipf law (alpha 1), each fitted as the runs are (maximum likelihood over the largest
    fifth), differ by more than 0.15 in about 14 % of pairs: a stationary model whose tails at
    quarters 300 and 400 were independent draws of one law would miss the bound as often."""
    rng = np.random.default_rng(20261201)

    def fitted_alpha(sizes: np.ndarray) -> float:
        xmin = np.quantile(sizes, 1.0 - TAIL_SHARE)
        tail = sizes[sizes >= xmin]
        return len(tail) / np.log(tail / xmin).sum()

    # The same exponent as the runs' fit (powerlaw's, which also runs the likelihood-ratio
    # tests and would take minutes over thousands of samples).
    sample = rng.pareto(1.0, 1000) + 1.0
    assert fitted_alpha(sample) == pytest.approx(_tail(sample)[0])
    pairs = 2000
    apart = [
        abs(fitted_alpha(rng.pareto(1.0, 1000) + 1.0) - fitted_alpha(rng.pareto(1.0, 1000) + 1.0))
        for _ in range(pairs)
    ]
    missed = np.mean(np.array(apart) > 0.15)
    assert 0.11 <= missed <= 0.17, missed


@pytest.mark.slow
@pytest.mark.parametrize("run", _zipf_runs(_WIDER_ZIPF_MISSES, WIDER_ZIPF_RUNS))
def test_sizes_from_equal_starts_on_more_seeds(run):
    """T15 from equal sizes at the defaults on 24 more seeds: 19 pass, the misses listed."""
    _check_stationary_zipf(_run(*run))


def test_a_growing_population_grows_firms_and_employment_together():
    """firm.population_growth: the market's room and the labour force grow by it each year,
    so over 30 years the number of firms grows about as much, while employees per firm move
    as they do without growth (a balanced-growth path)."""
    from conftest import make_model

    growth, quarters = 0.03, 120
    factor = (1.0 + growth) ** (quarters / 4)

    def run(population_growth: float, seed: int):
        model = make_model({"firm.population_growth": population_growth}, seed=seed)
        firms, regions = model.firms, model.regions
        start_firms, start_labour = firms.count, regions.labour_force[0]
        start_size = regions.labour_force[0] / firms.count
        model.run_for(quarters)
        live = firms.alive[: firms.size]
        size = firms.employees[: firms.size][live].sum() / firms.count
        return (
            model,
            firms.count / start_firms,
            regions.labour_force[0] / start_labour,
            (size / start_size),
        )

    # Employees per firm after 30 years scatter by about +-20 % between seeds (one large firm's
    # fate moves a region of 200), so sizes are compared as means over six seeds.
    moved, without = [], []
    for seed in range(1, 7):
        model, firms_grew, labour_grew, size_moved = run(growth, seed)
        assert model.regions.market_room[0] == pytest.approx(
            model.regions.initial_firms[0] * factor
        )
        assert labour_grew == pytest.approx(factor)
        assert 0.85 * factor <= firms_grew <= 1.1 * factor, (firms_grew, factor)
        _, still, _, size_without = run(0.0, seed)
        assert 0.9 <= still <= 1.1, still
        moved.append(size_moved)
        without.append(size_without)
    assert np.mean(moved) == pytest.approx(np.mean(without), rel=0.15)


#: Runs whose largest fifth spans less than two decades of size (a known shortfall). None at
#: model versions 5-7 (emerging 7302's 1.76 decades at quarter 300 was version 4's); at
#: version 8 two at 1,000 firms (the growing population's tails span 2.3-3.5 decades).
_SHORT_TAILED: dict[tuple[str, int], str] = {
    ("emerging", 7301): "at 1,000 firms 1.98 decades at quarter 300 and 1.83 at 400",
    ("emerging", 7302): "at 1,000 firms 1.99 decades at quarter 400",
}


def test_the_two_decade_bound_fails_exact_zipf_samples_of_this_size_one_time_in_eight():
    """What a short tail says at 1,000 firms: the largest fifth of 1,000 sizes from one exact
    Zipf law (alpha 1) spans less than two decades (its largest size under 100 times the
    smallest) in about 13 % of samples, so a run checked at two quarters misses about one
    time in four even if its law is exactly Zipf's."""
    rng = np.random.default_rng(20261202)

    def decades(sizes: np.ndarray) -> float:
        return float(np.log10(sizes.max() / np.quantile(sizes, 1.0 - TAIL_SHARE)))

    sample = rng.pareto(1.0, 1000) + 1.0
    assert decades(sample) == pytest.approx(_tail(sample)[3])
    short = np.mean([decades(rng.pareto(1.0, 1000) + 1.0) < 2.0 for _ in range(4000)])
    assert 0.11 <= short <= 0.16, short


#: The share of pairs of samples from one exact Zipf law (1,000 sizes each, alpha 1, fitted
#: as the runs are) that pass the check's bounds: both exponents in the band, within 0.15 of
#: each other, both tails over two decades. The likelihood-ratio tests are left out (powerlaw's
#: fit is too slow for thousands of samples); they could only lower the share, so runs held to
#: it are held to at least an exact law's standard.
EXACT_ZIPF_PASS_RATE = 0.65
#: The one-sided level at which the runs' pass count may be below an exact law's.
PASS_RATE_LEVEL = 0.05


def test_an_exact_zipf_law_passes_the_check_two_times_in_three():
    """The pass rate the verdict below compares with, measured (4,000 pairs)."""
    rng = np.random.default_rng(20261203)

    def fit(sizes: np.ndarray) -> tuple[float, float]:
        xmin = np.quantile(sizes, 1.0 - TAIL_SHARE)
        tail = sizes[sizes >= xmin]
        return len(tail) / np.log(tail / xmin).sum(), float(np.log10(sizes.max() / xmin))

    def passes() -> bool:
        (early, early_span), (late, late_span) = (fit(rng.pareto(1.0, 1000) + 1.0) for _ in "ab")
        in_band = 0.8 <= early <= 1.4 and 0.8 <= late <= 1.4
        return in_band and abs(early - late) <= 0.15 and min(early_span, late_span) >= 2.0

    rate = np.mean([passes() for _ in range(4000)])
    assert abs(rate - EXACT_ZIPF_PASS_RATE) <= 0.025, rate


#: The wider runs at 1,000 firms that miss the check (span included), and how (model version
#: 8, measured 2026-12-02: 15 of the 27 runs pass, none of the three fixed ones; an exact law
#: would pass 17.6 on average; 19 at version 7, whose misses were emerging 7312-7315 by their
#: span, moderate 7322 by a moving alpha and strong 7324 and leader 7331 and 7333 by an alpha
#: of 0.78-0.79 at quarter 300). A record, so that a change of model says which runs it moved.
_WIDER_ZIPF_MISSES_AT_1000: dict[tuple[str, int], str] = {
    ("emerging", 7311): "1.92 decades at quarter 400",
    ("emerging", 7312): "1.97 decades at quarter 300",
    ("emerging", 7313): "1.90 decades at quarter 400",
    ("emerging", 7315): "alpha moves from 1.20 to 0.89",
    ("emerging", 7316): "1.94 decades at quarter 300",
    ("moderate", 7318): "alpha 0.78 at quarter 400, moving from 0.96",
    ("moderate", 7320): "alpha moves from 1.18 to 0.88",
    ("moderate", 7322): "1.95 decades at quarter 400",
    ("leader", 7330): "alpha moves from 0.82 to 1.11",
}


@pytest.mark.slow
def test_runs_at_1000_firms_pass_the_zipf_check_as_often_as_an_exact_zipf_law(runs_at_1000):
    """The Zipf check's verdict (docs/validation.md, "Firm sizes from equal starts"): over the
    27 fixed runs at 1,000 firms (the three and the 24 wider seeds), the number that pass the
    whole check is not significantly below what an exact Zipf law would pass (one-sided
    binomial test). Each run is one draw of a 200-firm tail, which an exact law passes two
    times in three, so a verdict asking every run to pass would reject an exact law in most
    sets of runs (all three fixed runs about one time in four)."""
    from scipy.stats import binom

    wider = {run: _run(*run, growth=0.0) for run in WIDER_ZIPF_RUNS}
    records = {**runs_at_1000, **wider}
    misses = {run: found for run, record in records.items() if (found := _zipf_misses(record))}
    passed = len(records) - len(misses)
    p_value = binom.cdf(passed, len(records), EXACT_ZIPF_PASS_RATE)
    assert p_value > PASS_RATE_LEVEL, (passed, len(records), p_value, misses)
    assert {run for run in misses if run in wider} == set(_WIDER_ZIPF_MISSES_AT_1000), misses


@pytest.mark.slow
@pytest.mark.parametrize("run", _zipf_runs(_SHORT_TAILED))
def test_the_zipf_tail_spans_two_decades_of_size(runs, runs_at_1000, run):
    """The power-law fit of the largest fifth runs over at least two decades of size, at
    1,000 firms and in the growing population."""
    for record in (runs_at_1000[run], runs[run]):
        for step in record.sizes:
            assert record.tail(step)[3] >= 2.0, step


def _growth_by_size(records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pairs = np.vstack([pair for record in records for pair in record.pairs])
    size, growth = pairs[:, 0], np.log(pairs[:, 1] / pairs[:, 0])
    return size, growth, pairs


@pytest.mark.slow
def test_growth_spread_falls_with_size_and_growth_rates_are_tent_shaped(runs):
    """T16: the s.d. of annual log growth falls as size^-beta, beta in 0.1-0.3 (firms of at
    least 2 employees, away from the floor), and growth rates have fat (Laplace-like) tails
    where the floor of one employee does not cut off the lower tail (classes of a median of 5
    employees or more)."""
    size, growth, _ = _growth_by_size(runs.values())
    away = size >= 2.0
    size, growth = size[away], growth[away]
    edges = np.quantile(size, np.linspace(0.0, 1.0, 7))
    classes = np.clip(np.searchsorted(edges, size, side="right") - 1, 0, 5)
    median = [np.median(size[classes == c]) for c in range(6)]
    spread = [growth[classes == c].std() for c in range(6)]
    beta = -np.polyfit(np.log(median), np.log(spread), 1)[0]
    assert 0.1 <= beta <= 0.3, (beta, median, spread)
    from scipy.stats import kurtosis

    fat = [kurtosis(growth[classes == c]) for c in range(6) if median[c] >= 5.0]
    assert len(fat) >= 2 and min(fat) > 0.5, fat


def _demography(record: Record, steps: int = LATE) -> tuple[float, float, float]:
    """Births and deaths over the second half, counted as Eurostat counts them (T6-T8; docs/
    calibration.md, "Counted as Eurostat counts"): each calendar year's over the firms active
    in it (alive when it begins, plus its births), pooled; and the share of the firms born in
    those years still alive when the next calendar year begins."""
    quarters = 4
    first = steps // 2 // quarters + 1  # the first year that begins after the midpoint
    years = range(first, steps // quarters)
    # live_years[k] counts the live firms at step steps // 2 + 4 (k + 1), when year first + k
    # begins.
    at_start = dict(zip(years, record.live_years, strict=False))

    def year_of(step: int) -> int:
        return (step - 1) // quarters

    born = [uid for uid, step in record.born.items() if year_of(step) in at_start]
    births = len(born)
    deaths = sum(year_of(step) in at_start for step in record.died.values())
    active = sum(at_start.values()) + births
    cohort = [uid for uid in born if quarters * (year_of(record.born[uid]) + 1) <= steps]
    alive = [
        record.died.get(uid, steps + 1) > quarters * (year_of(record.born[uid]) + 1)
        for uid in cohort
    ]
    return births / active, deaths / active, float(np.mean(alive))


#: Runs whose births, deaths or 1-year survival leave the EU's bands, and how (a known
#: shortfall, docs/validation.md).
_DEMOGRAPHY_MISSES: dict[tuple[str, int], str] = {}


@pytest.mark.slow
@pytest.mark.parametrize("run", _zipf_runs(_DEMOGRAPHY_MISSES))
def test_birth_death_and_survival_are_in_the_eu_bands(runs, run):
    """T6-T8 as Eurostat counts them: births about 10.5 % and deaths about 8.5 % of the
    enterprises active in a year (in a stationary population both are about the same rate;
    bands 8-12 % and 7-11 %), 1-year survival about 82 % (band 75-89 %). T9 (5-year survival
    44 %) is held out: reported, not tested."""
    births, deaths, survival = _demography(runs[run])
    assert 0.08 <= births <= 0.12, (run, births)
    assert 0.07 <= deaths <= 0.11, (run, deaths)
    assert 0.75 <= survival <= 0.89, (run, survival)


@pytest.mark.slow
def test_exhausted_capital_is_the_main_route_to_exit(runs):
    for run in ZIPF_RUNS:
        exits = runs[run].exits
        assert exits["capital"] >= 0.8 * (exits["capital"] + exits["losses"]), (run, exits)


def test_entry_is_capped_at_the_market_room_when_nearly_every_firm_fails():
    """Operating costs far above revenue (a corner of the calibration's screening) end nearly
    every firm each quarter; the crowding factor (room / firms) ** exponent would then found
    millions of firms at once (10.9 million in one quarter of a screening run). A quarter's
    expected independent entrants are capped at the market's room."""
    room = 200
    settings = {
        "regions.0.firms": room,
        "firm.wage_share": 1.455,
        "firm.entry_crowding": 3.75,
        "firm.capital_max": 0.25,
        "firm.capital_buffer": 0.3,
        "firm.exit_losses": 1,
        "firm.population_growth": 0.0,  # the room stays at 200 (the corner as first built)
        "initial.burn_in": 0,
    }
    model = EcosystemModel("emerging", rng=5008, **settings)
    for _ in range(16):
        model.step()
        assert model.firms.count <= 2 * room
    table = model.indicators()
    # Nearly every firm fails (without the cap a quarter would then expect about half a
    # million entrants), and the cap binds: the region refills to about its room.
    assert table["firms"].min() <= 0.05 * room  # 7 of 200 at model version 7, 5 before
    assert room / 2 < table["entries"].max() <= 2 * room
