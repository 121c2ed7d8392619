"""Pooled target statistics: sufficient statistics per run, one value from all replications.

Some targets need more events than one run has (a few dozen newborn firms, a handful of
specialisation entries): each run contributes counts and sums (``compute``), and ``pool``
turns the contributions of all replications of a design point into the statistic. Binned
contributions use fixed classes, so that every run gives the same keys. Each docstring gives
the exact definition and the mapping to the published target; :mod:`.statistics` registers
these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from smartspec.model.base import QUARTERS_PER_YEAR

from ..targets import aggregate_regions

if TYPE_CHECKING:
    from .spec import TargetSpec
    from .statistics import RunData

__all__ = [
    "entry_events",
    "exit_events",
    "growth_moments",
    "logistic_on_classes",
    "pool_growth_slope",
    "pool_relatedness_effect",
    "pool_survival",
    "survival_counts",
]

#: Size classes of the growth statistic: log2(employees) floored, the last class open-ended.
GROWTH_BINS = 14
#: Fewest firm-years in a size class for its growth spread to enter the fit.
GROWTH_MIN_COUNT = 10
#: Smallest firm (employees at the start of the year) whose growth enters the statistic. T16's
#: source studies publicly traded firms, all far above the model's floor of one employee; at
#: and just above the floor a firm cannot shrink much, which narrows the spread of the
#: smallest classes and flattens the slope (the moderate archetype's default runs, 4 seeds x
#: 8 years: beta 0.035 over all firms, 0.16 from 2 employees, 0.19 from 10).
GROWTH_MIN_EMPLOYEES = 10
#: Relatedness-density classes (of equal width on [0, 1]) of the entry and exit statistics.
DENSITY_BINS = 20
#: The relatedness effect is that of a rise of this share of the mean density (T17's "10 %").
DENSITY_RISE = 0.1

#: Fewest events (and non-events) a logistic relatedness effect is estimated from: ten per
#: coefficient of the fit (Peduzzi et al. 1996, J Clin Epidemiol 49:1373). With 5, a
#: calibration design point's handful of specialisation exits gave relative effects of +68,000 %
#: that swamped the Morris screening of calibrate_archetypes (docs/calibration.md).
MIN_EVENTS = 20


def _class_sums(classes: np.ndarray, bins: int, **values: np.ndarray) -> dict[str, float]:
    """Per class, the sum of each of ``values``: keys ``<name>_<class, 2 digits>``."""
    result = {}
    for key, weights in values.items():
        totals = np.bincount(classes, weights=weights, minlength=bins)
        result.update({f"{key}_{k:02d}": float(totals[k]) for k in range(bins)})
    return result


def _class_totals(contributions: list[dict[str, float]], bins: int, *keys: str) -> np.ndarray:
    """Sums over contributions of :func:`_class_sums` keys: one row per key."""
    names = [f"{key}_{k:02d}" for key in keys for k in range(bins)]
    table = np.array([[part[name] for name in names] for part in contributions])
    return table.sum(axis=0).reshape(len(keys), bins)


def survival_counts(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Firms founded during the run still alive ``quarters`` later (default 4), pooled.

    A cohort is the firms founded in one quarter s >= 1 such that s + quarters is a snapshot
    step of the panel: survivors are the panel's firms at that step founded at s (``born``;
    ``step - age`` when the panel has no ``born``), births the ``entries`` of step s, which
    also counts the firms that died before the snapshot. Per run: ``survivors`` and
    ``births`` summed over cohorts; pooled: their ratio over all replications (one run's
    cohorts hold a few dozen firms). Mapping to T8 (Eurostat about 82 % one-year survival of
    newborn enterprises): the model's newborn firms, one year (4 quarters) after founding.
    """
    quarters, panel = target.quarters or QUARTERS_PER_YEAR, data.firm_panel
    births = aggregate_regions(data.indicators, ["entries"]).set_index("step")["entries"]
    born = panel["born"] if "born" in panel else panel["step"] - panel["age"]
    survivors = total = 0.0
    for step in np.unique(panel["step"]):
        cohort = step - quarters
        if cohort >= 1 and cohort in births.index:
            survivors += float(np.count_nonzero((panel["step"] == step) & (born == cohort)))
            total += float(births[cohort])
    return {"survivors": survivors, "births": total}


def calendar_survival_counts(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Firms founded in a calendar year still active ``quarters`` / 4 years later, counted as
    Eurostat counts survival (T8, T9), pooled as :func:`survival_counts`.

    The Eurostat-OECD Manual on Business Demography Statistics (2007): an enterprise born in
    year y has survived to year y + n if it is active, with turnover or employment, in any
    part of year y + n. In the model a firm alive when year y + n begins produces in its first
    quarter, so the survivors of the cohort of year y (founded in quarters 4y + 1 ... 4y + 4)
    are the panel's firms at step 4(y + n) founded in those quarters; its births are the
    ``entries`` of those quarters. A firm founded in the last quarter of year y thus needs to
    outlive that quarter only, one founded in its first quarter three more: half a year less
    on average than :func:`survival_counts`' full ``quarters``. ``quarters`` (default 4)
    must be whole years; cohorts whose year y + n starts after the run ends are left out.
    """
    quarters = target.quarters or QUARTERS_PER_YEAR
    if quarters % QUARTERS_PER_YEAR:
        raise ValueError(f"target '{target.name}': calendar survival needs whole years")
    years, panel = quarters // QUARTERS_PER_YEAR, data.firm_panel
    births = aggregate_regions(data.indicators, ["entries"]).set_index("step")["entries"]
    born = panel["born"] if "born" in panel else panel["step"] - panel["age"]
    cohort_year = (born - 1) // QUARTERS_PER_YEAR
    survivors = total = 0.0
    for step in np.unique(panel["step"]):
        year = step // QUARTERS_PER_YEAR - years
        if step % QUARTERS_PER_YEAR or year < 0:
            continue
        quarters_of_year = range(QUARTERS_PER_YEAR * year + 1, QUARTERS_PER_YEAR * (year + 1) + 1)
        at_step = (panel["step"] == step) & (born >= 1) & (cohort_year == year)
        survivors += float(np.count_nonzero(at_step))
        total += float(births.reindex(quarters_of_year).fillna(0).sum())
    return {"survivors": survivors, "births": total}


def pool_survival(contributions: list[dict[str, float]]) -> float:
    """Survivors over births, all replications together."""
    births = sum(part["births"] for part in contributions)
    return sum(part["survivors"] for part in contributions) / births if births > 0 else np.nan


def growth_moments(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Sufficient statistics of annual log growth by size class, pooled: beta in
    sd(g) ~ size^-beta.

    Per run: every firm alive at two consecutive yearly snapshots (steps t and t + 4, t a
    multiple of 4) with employees s_t >= :data:`GROWTH_MIN_EMPLOYEES` and s_t+4 > 0 gives
    g = log(s_t+4 / s_t) in size class floor(log2 s_t) (the last of 14 open-ended); per class
    the count, the sums of g, g^2 and log s_t. Pooled: the spread of g and mean log size per
    class with at least 10 firm-years, then beta = minus the slope of log sd on mean log size,
    weighted by count - 1 (the inverse variance of a log sd); NaN with fewer than 3 such
    classes. Mapping to T16 (beta about 0.2, employees, Stanley et al. 1996, publicly traded
    US manufacturing firms): yearly growth of employees of the model's firms of 10 or more
    employees, away from the floor of one employee that truncates shrinking.
    """
    panel = data.firm_panel
    yearly = panel[panel["step"] % QUARTERS_PER_YEAR == 0][["step", "firm", "employees"]]
    later = yearly.assign(step=yearly["step"] - QUARTERS_PER_YEAR)
    pairs = yearly.merge(later, on=["step", "firm"], suffixes=("", "_later"))
    pairs = pairs[(pairs["employees"] >= GROWTH_MIN_EMPLOYEES) & (pairs["employees_later"] > 0)]
    size = np.log(pairs["employees"].to_numpy(np.float64))
    growth = np.log(pairs["employees_later"].to_numpy(np.float64)) - size
    size_class = np.clip(np.floor(size / np.log(2)), 0, GROWTH_BINS - 1).astype(np.int64)
    moments = {"count": np.ones_like(size), "growth": growth, "growth_sq": growth**2}
    return _class_sums(size_class, GROWTH_BINS, **moments, log_size=size)


def pool_growth_slope(contributions: list[dict[str, float]]) -> float:
    """beta from the pooled size classes (see :func:`growth_moments`)."""
    sums = _class_totals(contributions, GROWTH_BINS, "count", "growth", "growth_sq", "log_size")
    count, growth, growth_sq, log_size = sums[:, sums[0] >= GROWTH_MIN_COUNT]
    if len(count) < 3:
        return np.nan
    variance = (growth_sq - growth**2 / count) / (count - 1)
    if not (variance > 0).all():
        return np.nan
    slope = np.polyfit(log_size / count, 0.5 * np.log(variance), 1, w=np.sqrt(count - 1))[0]
    return float(-slope)


def _specialisation_events(data: RunData, entry: bool) -> dict[str, float]:
    yearly = data.domains[data.domains["step"] % QUARTERS_PER_YEAR == 0]
    yearly = yearly[["step", "region", "domain", "specialised", "density"]]
    later = yearly.assign(step=yearly["step"] - QUARTERS_PER_YEAR).drop(columns="density")
    pairs = yearly.merge(later, on=["step", "region", "domain"], suffixes=("", "_later"))
    before = pairs["specialised"].astype(bool).to_numpy()
    after = pairs["specialised_later"].astype(bool).to_numpy()
    at_risk = ~before if entry else before
    event = (after if entry else ~after)[at_risk].astype(np.float64)
    density = pairs["density"].to_numpy(np.float64)[at_risk]
    density_class = np.clip((density * DENSITY_BINS).astype(np.int64), 0, DENSITY_BINS - 1)
    return _class_sums(
        density_class, DENSITY_BINS, count=np.ones_like(density), events=event, density=density
    )


def entry_events(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Relatedness and specialisation entry (T17: +30 % for +10 % density), pooled.

    Per run, from the domains table at yearly steps: every region-domain pair not
    specialised (RCA < 1) at year t, and whether it is specialised at t + 1 year; per class
    of relatedness density at t (20 equal classes on [0, 1]) the count of pairs, of entries
    and the sum of density. Pooled: a binomial logistic fit of entry on density (IRLS on the
    classes, each at its mean density), reported as p(1.1 m) / p(m) - 1 at the mean density
    m of the pairs at risk: the "10 % rise" is a relative rise of the mean density, as in
    ``analysis.validation`` (``relative_change(a, b, m, 0.1 m)``), which fits the same
    logistic model on the unbinned pairs. Mapping: Boschma, Balland & Kogler (2015) use 366
    US cities with three-way fixed effects; the model pools the run's region-domain pairs
    without fixed effects, so the figure is an order of magnitude, as T17 says.
    """
    return _specialisation_events(data, entry=True)


def exit_events(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Relatedness and specialisation exit (T17: -8 % for +10 % density), pooled: as
    ``relatedness_entry_effect`` for the pairs specialised at year t (RCA >= 1) and whether
    they lost it by t + 1 year."""
    return _specialisation_events(data, entry=False)


def logistic_on_classes(
    x: np.ndarray, trials: np.ndarray, events: np.ndarray, iterations: int = 50
) -> tuple[float, float]:
    """Binomial logistic regression of ``events`` out of ``trials`` at ``x`` by Newton's
    method (IRLS): (intercept, slope); NaN with fewer than MIN_EVENTS events or non-events,
    or when the fit does not converge (classes that separate them)."""
    keep = trials > 0
    x, trials, events = x[keep], trials[keep], events[keep]
    share = events.sum() / max(trials.sum(), 1.0)
    # A handful of events makes the slope a matter of which few pairs moved (and near
    # separation sends it to infinity): no estimate rather than a wild one.
    if len(x) < 2 or min(events.sum(), (trials - events).sum()) < MIN_EVENTS:
        return np.nan, np.nan
    design = np.column_stack([np.ones_like(x), x])
    coefficients = np.array([np.log(share / (1 - share)), 0.0])
    for _ in range(iterations):
        probability = expit(design @ coefficients)
        weight = trials * probability * (1 - probability)
        information = (design * weight[:, None]).T @ design
        score = design.T @ (events - trials * probability)
        step = np.linalg.lstsq(information, score, rcond=None)[0]
        coefficients = coefficients + step
        if np.abs(step).max() < 1e-10:
            return float(coefficients[0]), float(coefficients[1])
    return np.nan, np.nan


def pool_relatedness_effect(contributions: list[dict[str, float]]) -> float:
    """p(1.1 m) / p(m) - 1 from the pooled density classes (see :func:`entry_events`)."""
    count, events, density = _class_totals(
        contributions, DENSITY_BINS, "count", "events", "density"
    )
    if count.sum() == 0:
        return np.nan
    class_density = np.divide(density, count, out=np.zeros_like(density), where=count > 0)
    intercept, slope = logistic_on_classes(class_density, count, events)
    mean = density.sum() / count.sum()
    raised = expit(intercept + slope * (1 + DENSITY_RISE) * mean)
    return float(raised / expit(intercept + slope * mean) - 1)
