"""The relatedness estimator (smartspec.analysis.relatedness) on data with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartspec.analysis import relatedness


def _series(rca: list[float], domain: str = "a", run: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": run,
            "region": "R",
            "domain": domain,
            "step": np.arange(len(rca)),
            "rca": rca,
            "density": 0.3,
        }
    )


def test_an_entry_counts_only_when_the_new_state_lasts_four_quarters():
    lasting = [0.5] * 4 + [1.2] * 8  # crosses by step 4 and stays
    brief = [0.5] * 4 + [1.2, 1.2, 0.8, 0.8] + [0.8] * 4  # crosses, falls back in a quarter
    leaving = [1.5] * 4 + [0.7] * 8
    domains = pd.concat(
        [_series(lasting, "a"), _series(brief, "b"), _series(leaving, "c")], ignore_index=True
    )
    panel = relatedness.event_panel(domains).set_index(["domain", "step"])
    assert panel.loc[("a", 0), "entry"] and not panel.loc[("a", 0), "exit"]
    assert not panel.loc[("b", 0), "entry"]
    assert panel.loc[("c", 0), "exit"] and panel.loc[("c", 0), "specialised"]
    # Only periods whose whole window (4 + 4 quarters) lies inside the run are kept.
    assert set(panel.index.get_level_values("step")) == {0, 4}


def _synthetic_panel(slope: float, seed: int, runs: int = 40) -> pd.DataFrame:
    """Event probabilities = run-period effect + domain effect + slope x density, with
    density correlated with both effects (so a pooled regression would be biased)."""
    rng = np.random.default_rng(seed)
    domains, periods = 30, 12
    run, period, domain = (
        a.reshape(-1)
        for a in np.meshgrid(np.arange(runs), np.arange(periods), np.arange(domains), indexing="ij")
    )
    cell_effect = rng.uniform(0.0, 0.05, (runs, periods))[run, period]
    domain_effect = rng.uniform(0.0, 0.05, domains)[domain]
    density = np.clip(
        0.2 + 2.0 * cell_effect + 2.0 * domain_effect + rng.normal(0, 0.1, len(run)), 0, 1
    )
    probability = cell_effect + domain_effect + slope * density
    event = rng.random(len(run)) < probability
    return pd.DataFrame(
        {
            "run": run,
            "region": "R",
            "domain": domain,
            "period": period,
            "specialised": False,
            "density": density,
            "rca": np.exp(rng.normal(-1, 0.5, len(run))),
            "entry": event,
            "exit": False,
        }
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_estimator_recovers_a_known_slope_through_fixed_effects(seed):
    panel = _synthetic_panel(0.1, seed)
    effect = relatedness.estimate(panel, "entry")
    assert effect.coefficient == pytest.approx(0.1, abs=3 * effect.std_error)
    assert 0.0 < effect.std_error < 0.03
    # The relative effects are the slope scaled by the base rate.
    assert effect.per_tenth == pytest.approx(0.1 * effect.coefficient / effect.base_rate)
    assert effect.per_tenth_of_mean == pytest.approx(effect.per_tenth * effect.mean_density)
    low, high = effect.interval_tenth_of_mean
    assert low < effect.per_tenth_of_mean < high
    controlled = relatedness.estimate(panel, "entry", control_rca=True)
    assert controlled.controls == ("log_rca",)
    assert controlled.coefficient == pytest.approx(0.1, abs=3 * controlled.std_error)


def test_no_effect_gives_an_interval_around_zero():
    effect = relatedness.estimate(_synthetic_panel(0.0, 3), "entry")
    low, high = effect.interval_tenth_of_mean
    assert low < 0.0 < high


def test_within_removes_two_crossed_groupings():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 7, 500), rng.integers(0, 5, 500)
    values = rng.normal(size=7)[a] + rng.normal(size=5)[b]
    assert np.abs(relatedness.within(values, [a, b])).max() < 1e-8


def test_placebo_density_is_the_density_of_a_permuted_matrix():
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d"]
    proximity = rng.uniform(0, 1, (4, 4))
    proximity = (proximity + proximity.T) / 2
    domains = pd.DataFrame({"step": 0, "region": "R", "domain": names, "rca": [2.0, 0.1, 0.1, 3.0]})
    placebo = relatedness.placebo_density(domains, proximity, names, np.random.default_rng(1))
    order = np.random.default_rng(1).permutation(4)
    permuted = proximity[np.ix_(order, order)].copy()
    np.fill_diagonal(permuted, 0.0)
    held = np.array([1.0, 0.0, 0.0, 1.0])
    assert placebo == pytest.approx(permuted @ held / permuted.sum(axis=1))


# ----------------------------------------------------------------- the model, on fixed seeds
#: Seeds per archetype, from a master seed nothing was tuned to.
#: 30 seeds x 4 archetypes give the source's sample of at least 300 entries and 300 exits.
#: The mechanisms' defaults were chosen on master seed 555, never on this one.
SEEDS = 30
MASTER_SEED = 777
ABLATIONS = {
    "baseline": {},
    "diversification": {"firm.diversification_relatedness": 0.0},
    # Relatedness in the decisions that end a specialisation: which domains a firm's review
    # drops, and how well firms survive in domains unrelated to the region.
    "exit": {"firm.review_relatedness": 0.0, "firm.relatedness_premium": 0.0},
}


def _run(task: tuple[str, int, dict]) -> pd.DataFrame:
    from smartspec.model import EcosystemModel

    archetype, seed, overrides = task
    model = EcosystemModel(archetype, rng=seed, **overrides)
    model.run_for(56)
    domains = model.domains()[["step", "region", "domain", "rca", "density"]]
    placebo = relatedness.placebo_density(
        domains, model.knowledge.proximity, list(model.knowledge.names), model.rng
    )
    return domains.assign(run=f"{archetype}-{seed}", placebo=placebo)


def _density_gap(domains: pd.DataFrame) -> pd.Series:
    """Per quarter, the mean relatedness density around the regions' specialisations minus
    that around their other domains (pooled over runs): how coherent the portfolios are."""
    specialised = domains["rca"] >= 1.0
    by_step = domains.groupby([domains["step"], specialised])["density"].mean().unstack()
    return by_step[True] - by_step[False]


def _panels(start: dict) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.Series]]:
    """Event panels, their placebo and the density gap of the four archetypes over the fixed
    seeds, for the baseline and each ablation, every run with the overrides ``start``."""
    from concurrent.futures import ProcessPoolExecutor

    from smartspec.experiments import replication_seeds
    from smartspec.scenarios import ARCHETYPES

    seeds = replication_seeds(MASTER_SEED, SEEDS)
    out = {}
    with ProcessPoolExecutor(2) as pool:
        for name, overrides in ABLATIONS.items():
            setting = {**start, **overrides}
            tasks = [(archetype, seed, setting) for archetype in ARCHETYPES for seed in seeds]
            domains = pd.concat(pool.map(_run, tasks), ignore_index=True)
            out[name] = (
                relatedness.event_panel(domains),
                relatedness.event_panel(domains, density="placebo"),
                _density_gap(domains),
            )
    return out


@pytest.fixture(scope="module")
def panels() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.Series]]:
    """The panels of the default start (related starting domains, a shortcut to the
    coherent economy the dynamics keep)."""
    return _panels({})


#: A start whose domains ignore relatedness: specialisations, the other firms' cores and
#: large firms' second domains drawn uniformly, so that every relatedness effect the panel
#: shows is made by the dynamics (as the equal-size start of test_firm_dynamics.py does for
#: the size distribution).
UNRELATED_START = {"initial.domain_layout": "unrelated"}


@pytest.fixture(scope="module")
def unrelated_start_panels() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.Series]]:
    return _panels(UNRELATED_START)


@pytest.mark.slow
def test_the_panel_has_the_sources_sample_of_events(panels):
    panel = panels["baseline"][0]
    assert panel["entry"].sum() >= 300 and panel["exit"].sum() >= 300


@pytest.mark.slow
def test_entry_effect_is_in_its_band_and_survives_the_rca_control(panels):
    panel = panels["baseline"][0]
    entry = relatedness.estimate(panel, "entry")
    assert 0.15 <= entry.per_tenth_of_mean <= 0.60
    assert entry.interval_tenth_of_mean[0] > 0
    controlled = relatedness.estimate(panel, "entry", control_rca=True)
    assert controlled.interval_tenth_of_mean[0] > 0


@pytest.mark.slow
def test_exit_falls_with_density(panels):
    exit_ = relatedness.estimate(panels["baseline"][0], "exit")
    assert exit_.interval_tenth_of_mean[1] < 0


@pytest.mark.slow
def test_exit_effect_is_in_its_band(panels):
    exit_ = relatedness.estimate(panels["baseline"][0], "exit")
    assert -0.30 <= exit_.per_tenth_of_mean <= -0.02


@pytest.mark.slow
def test_placebo_density_finds_no_effect(panels):
    placebo = panels["baseline"][1]
    for event in ("entry", "exit"):
        low, high = relatedness.estimate(placebo, event).interval_tenth_of_mean
        assert low <= 0.0 <= high


def _controlled_entry(panels, name: str) -> float:
    """The entry effect per +10 % of mean density, with the log RCA control, of one setting."""
    return relatedness.estimate(panels[name][0], "entry", control_rca=True).per_tenth_of_mean


@pytest.mark.slow
def test_entry_effect_beyond_rca_falls_without_relatedness_in_diversification(panels):
    assert _controlled_entry(panels, "diversification") <= 0.75 * _controlled_entry(
        panels, "baseline"
    )


@pytest.mark.slow
def test_entry_effect_beyond_rca_halves_without_relatedness_in_diversification(panels):
    assert _controlled_entry(panels, "diversification") <= 0.5 * _controlled_entry(
        panels, "baseline"
    )


@pytest.mark.slow
def test_entry_effect_halves_without_relatedness_in_diversification(panels):
    def effect(name: str) -> float:
        return relatedness.estimate(panels[name][0], "entry").per_tenth_of_mean

    assert effect("diversification") <= 0.5 * effect("baseline")


@pytest.mark.slow
def test_exit_effect_halves_without_relatedness_in_exit_decisions(panels):
    """Without relatedness in the domain review and in survival, the exit effect (negative)
    loses at least half its size."""

    def effect(name: str) -> float:
        return relatedness.estimate(panels[name][0], "exit").per_tenth_of_mean

    assert effect("exit") >= 0.5 * effect("baseline")


# ------------------------------------------------- the same facts, made by the dynamics alone
def test_an_unrelated_start_holds_no_relatedness_pattern():
    """With initial.domain_layout = "unrelated" the starting specialisations are no denser
    than the other domains; with the default related layout they are clearly denser."""
    from smartspec.model import EcosystemModel

    def gap(layout: str) -> float:
        gaps = []
        for seed in range(1, 11):
            model = EcosystemModel(
                "emerging", rng=seed, **{"initial.burn_in": 0, "initial.domain_layout": layout}
            )
            gaps.append(_density_gap(model.domains()).iloc[0])
        return float(np.mean(gaps))

    unrelated = gap("unrelated")
    assert abs(unrelated) < 0.05
    # 0.15 at model version 6; 0.096 at version 7, which puts a third of the firms in the
    # cluster instead of half or more; 0.083 at version 8.
    assert gap("related") > unrelated + 0.08
    # More specialisations than domains: every domain, in either layout.
    for layout in ("related", "unrelated"):
        overrides = {"regions.0.specialisations": 500, "initial.domain_layout": layout}
        model = EcosystemModel("emerging", rng=1, **{"initial.burn_in": 0, **overrides})
        assert (model.domains()["rca"] > 0).sum() > 1


@pytest.mark.slow
@pytest.mark.xfail(
    reason="model version 8: the gap grows from 0.039 to 0.078 over 56 quarters, +0.039 "
    "(version 7: +0.044, version 6: +0.10); docs/validation.md, 'From an unrelated start'",
    strict=True,
)
def test_from_an_unrelated_start_the_dynamics_make_portfolios_coherent(unrelated_start_panels):
    """Specialisations become denser than the other domains over the run (0.13 at the last
    quarter on tuning seeds at model version 6, 0.15 with the related start)."""
    gap = unrelated_start_panels["baseline"][2]
    assert gap.iloc[-1] > 0.05
    assert gap.iloc[-1] > gap.iloc[0] + 0.05


@pytest.mark.slow
def test_from_an_unrelated_start_the_dynamics_make_both_effects(unrelated_start_panels):
    """Entry rises and exit falls with density, beyond closeness to RCA = 1, and the exit
    effect lies in its band. The entry effect is asked to be clearly positive, not inside
    its band: on the tuning seeds it is +16.7 %, at the band's lower edge (+15 %)."""
    panel = unrelated_start_panels["baseline"][0]
    assert panel["entry"].sum() >= 300 and panel["exit"].sum() >= 300
    assert relatedness.estimate(panel, "entry").interval_tenth_of_mean[0] > 0
    assert relatedness.estimate(panel, "entry", control_rca=True).interval_tenth_of_mean[0] > 0
    exit_ = relatedness.estimate(panel, "exit")
    assert -0.30 <= exit_.per_tenth_of_mean <= -0.02
    assert exit_.interval_tenth_of_mean[1] < 0


@pytest.mark.slow
def test_from_an_unrelated_start_each_ablation_removes_most_of_its_effect(
    unrelated_start_panels,
):
    """Without an inherited pattern the mechanisms make the effects: each ablation removes
    at least half of its own (on tuning seeds about 70 % of the entry effect and nearly all
    of the exit effect)."""

    def effect(name: str, event: str) -> float:
        return relatedness.estimate(unrelated_start_panels[name][0], event).per_tenth_of_mean

    assert effect("diversification", "entry") <= 0.5 * effect("baseline", "entry")
    assert effect("exit", "exit") >= 0.5 * effect("baseline", "exit")
