"""The registry of target statistics: how one calibration target turns runs into one number.

A :class:`Statistic` reads what a run leaves (:class:`RunData`) and the target's arguments
(:class:`~.spec.TargetSpec`). Run-level statistics give one value per run; *pooled*
statistics give sufficient statistics per run (counts and sums) that ``pool`` combines over
all replications of a point, for measures one run has too few events for. :func:`run_outputs`
flattens a run's values into columns and :func:`point_summary` turns the runs of each design
point into the mean and variances history matching needs.

Each statistic's docstring (the pooled ones are in :mod:`.pooled`) gives its exact definition
and how it maps to its row of the published targets (../shared/targets.md): population,
window and denominator. One step is a quarter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartspec.model.base import QUARTERS_PER_YEAR
from smartspec.model.indicators import is_indicator
from smartspec.scenarios import ARCHETYPES, RIS_GROUPS

from ..targets import aggregate_regions
from . import pooled
from .spec import EU, TargetSpec

__all__ = [
    "ARCHETYPE_WEIGHTS",
    "STATISTICS",
    "RunData",
    "Statistic",
    "archetype_weights",
    "check_target",
    "point_summary",
    "run_outputs",
]

#: The optional arguments of a target, which each statistic reads or must not be given.
ARGUMENTS = ("indicator", "quarters", "window", "output", "tail")
#: Separates a target's name from the key of a pooled statistic's contribution in run columns.
SEPARATOR = "__"


@dataclass
class RunData:
    """What one run leaves for the statistics (a part is None when no statistic needs it).

    ``firm_panel`` has one row per live firm at steps 0, 4, 8, ... and at the last step:
    ``step``, ``firm`` (unique_id), ``region``, ``employees``, ``revenue``, ``age`` and, when
    recorded, ``born`` (the step the firm was founded, 0 for the initial firms).
    """

    indicators: pd.DataFrame | None = None
    domains: pd.DataFrame | None = None
    firm_panel: pd.DataFrame | None = None
    outputs: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Statistic:
    """A named target statistic: arguments it requires and reads, run data it needs, and its
    per-run computation (``{"value": v}``, or a pooled statistic's contributions)."""

    name: str
    description: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    needs: frozenset[str]
    compute: Callable[[RunData, TargetSpec], dict[str, float]]
    pool: Callable[[list[dict[str, float]]], float] | None = None


# ----------------------------------------------------------------------- run-level
def _per_step(data: RunData, columns: list[str]) -> pd.DataFrame:
    """All regions together per step, as the experiments layer aggregates them."""
    return aggregate_regions(data.indicators, columns).sort_values("step", ignore_index=True)


def _series(data: RunData, target: TargetSpec) -> np.ndarray:
    return _per_step(data, [target.indicator])[target.indicator].to_numpy(dtype=np.float64)


def final_value(data: RunData, target: TargetSpec) -> dict[str, float]:
    """The indicator at the last step (regions aggregated as the indicator registry says).
    For levels and shares observed at one date, e.g. T12's innovating share."""
    return {"value": float(_series(data, target)[-1])}


def window_mean(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Mean of the indicator over the last ``window`` steps (default a year, 4 quarters);
    NaN if the run is shorter. For yearly figures of a quarterly indicator (T10's R&D)."""
    series, window = _series(data, target), target.window or QUARTERS_PER_YEAR
    return {"value": float(series[-window:].mean()) if len(series) >= window else np.nan}


def change(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Indicator at the last step minus its value ``quarters`` steps earlier (default the
    whole run, from step 0); NaN if the run is shorter. T3: +8.5 index points over 8 years
    is ``quarters = 32`` on ``innovation_index`` with ``scenario = "eu"``."""
    series = _series(data, target)
    quarters = target.quarters or len(series) - 1
    value = series[-1] - series[-1 - quarters] if quarters < len(series) else np.nan
    return {"value": float(value)}


def improved(data: RunData, target: TargetSpec) -> dict[str, float]:
    """1 if the indicator rose over the last ``quarters`` steps (default the whole run), else
    0; NaN if the run is shorter. Averaged over runs (and over archetypes with their region
    weights, ``scenario = "eu"``) it is the share of regions that improved. T4: 211 of 239
    regions (88 %) raised their RIS index over 2016-2023 is ``quarters = 32`` on
    ``innovation_index``. One run is one region, so the variance of one run is p (1 - p),
    larger than that of a share over 239 regions: the target constrains only loosely."""
    value = change(data, target)["value"]
    return {"value": float(value > 0) if np.isfinite(value) else np.nan}


def _yearly_rate(data: RunData, target: TargetSpec, events: str) -> dict[str, float]:
    table = _per_step(data, ["firms", events])
    table = table[table["step"] >= (1 if target.window else QUARTERS_PER_YEAR + 1)]
    if target.window is not None:
        table = table.iloc[-target.window :] if len(table) >= target.window else table.iloc[:0]
    stock = table["firms"].mean()
    if len(table) == 0 or not stock > 0:
        return {"value": np.nan}
    return {"value": float(table[events].sum() / stock * QUARTERS_PER_YEAR / len(table))}


def birth_rate(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Yearly birth rate: firms founded in the window (the ``entries`` indicator, which
    already counts spin-offs, so they are not added again) / mean number of live firms at the
    ends of the window's quarters x 4 / window length.

    Window: the last ``window`` quarters; by default every quarter after the first year, so
    that the opening transient is left out (NaN if nothing is left). Mapping to T6 (Eurostat
    10.5 % a year): Eurostat divides a year's births by the enterprises active at any time in
    that year, all sizes; the model divides by its mean stock of firms, all of them, which is a
    little smaller than "active at any time", so for the same flows its rate is a little higher
    (:func:`birth_rate_active` counts as Eurostat does).
    """
    return _yearly_rate(data, target, "entries")


def death_rate(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Yearly death rate: firm exits in the window (``exits``: capital exhausted or sustained
    losses) / mean number of live firms x 4 / window length; window as ``birth_rate``.
    Mapping to T7 (Eurostat 8.5 % a year) as for births: all the model's firms."""
    return _yearly_rate(data, target, "exits")


def _calendar_rate(data: RunData, target: TargetSpec, events: str) -> dict[str, float]:
    """Σ events / Σ active enterprises over calendar years y (quarters 4y + 1 ... 4y + 4):
    every year after the first, or the years inside the last ``window`` quarters. Active in
    year y: the firms alive when it starts (the ``firms`` of step 4y) and those founded in it
    (its ``entries``), whether or not they are still alive at its end."""
    columns = list(dict.fromkeys(["firms", "entries", events]))  # births are both
    table = _per_step(data, columns).set_index("step")
    last_year = int(table.index.max()) // QUARTERS_PER_YEAR - 1
    first_year = 1 if target.window is None else last_year + 1 - target.window // QUARTERS_PER_YEAR
    occurred = active = 0.0
    for year in range(max(first_year, 0), last_year + 1):
        quarters = list(range(QUARTERS_PER_YEAR * year + 1, QUARTERS_PER_YEAR * (year + 1) + 1))
        active += table.at[QUARTERS_PER_YEAR * year, "firms"] + table.loc[quarters, "entries"].sum()
        occurred += table.loc[quarters, events].sum()
    return {"value": float(occurred / active) if active > 0 else np.nan}


def birth_rate_active(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Yearly birth rate counted as Eurostat counts it (T6): a calendar year's births over
    the enterprises active in that year, those alive when it starts plus those founded in it
    (Eurostat-OECD Manual on Business Demography Statistics, 2007: an active enterprise had
    turnover or employment at any time in the year). Years as :func:`_calendar_rate`."""
    return _calendar_rate(data, target, "entries")


def death_rate_active(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Yearly death rate counted as Eurostat counts it (T7): a calendar year's exits over the
    enterprises active in that year, as :func:`birth_rate_active`."""
    return _calendar_rate(data, target, "exits")


def size_tail_exponent(data: RunData, target: TargetSpec) -> dict[str, float]:
    """Hill / Clauset maximum-likelihood exponent alpha of P(size > s) ~ s^-alpha.

    Sizes are the employees of the firms alive at the last step; the tail is the largest
    ``k = round(tail x n)`` of them (``tail`` default 0.2) above the (k+1)-th largest, x_min:
    alpha = k / sum log(s_i / x_min). NaN with fewer than 2 firms in the tail or all equal.
    (``analysis.validation.power_law_tail`` counts x_min itself in the tail, one firm more.)
    Mapping to T15 (Axtell 2001, alpha = 1.06 over all US firms with employees): the model's
    firms of the run, all regions together.
    """
    panel = data.firm_panel
    sizes = panel.loc[panel["step"] == panel["step"].max(), "employees"].to_numpy(np.float64)
    sizes = np.sort(sizes[sizes > 0])[::-1]
    tail = int(round((target.tail or 0.2) * len(sizes)))
    if tail < 2 or tail >= len(sizes):
        return {"value": np.nan}
    spread = np.log(sizes[:tail] / sizes[tail]).sum()
    return {"value": float(tail / spread) if spread > 0 else np.nan}


def output_value(data: RunData, target: TargetSpec) -> dict[str, float]:
    """``outputs[output]`` of a custom callable target (a user's own simulator). A key the
    function did not return is an error, so that a misspelt name fails the run loudly."""
    if target.output not in data.outputs:
        known = ", ".join(sorted(data.outputs))
        raise KeyError(f"target '{target.name}': output '{target.output}' not returned ({known})")
    return {"value": float(data.outputs[target.output])}


# ----------------------------------------------------------------------- registry
def _entry(
    name: str,
    description: str,
    needs: set[str],
    compute: Callable[[RunData, TargetSpec], dict[str, float]],
    pool: Callable[[list[dict[str, float]]], float] | None = None,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> Statistic:
    return Statistic(name, description, required, optional, frozenset(needs), compute, pool)


# fmt: off
#: Every statistic by name; each computation's docstring (here or in :mod:`.pooled`) gives its
#: exact definition and how it maps to its row of the published targets.
STATISTICS: dict[str, Statistic] = {statistic.name: statistic for statistic in (
    _entry("final", "indicator at the last step", {"indicators"}, final_value,
           required=("indicator",)),
    _entry("mean", "indicator's mean over the last `window` quarters (default 4)",
           {"indicators"}, window_mean, required=("indicator",), optional=("window",)),
    _entry("change", "indicator at the end minus `quarters` earlier (default: the start)",
           {"indicators"}, change, required=("indicator",), optional=("quarters",)),
    _entry("improved", "1 if the indicator rose over `quarters` (default the run), else 0",
           {"indicators"}, improved, required=("indicator",), optional=("quarters",)),
    _entry("birth_rate", "yearly firm births / mean live firms (default after the first year)",
           {"indicators"}, birth_rate, optional=("window",)),
    _entry("death_rate", "yearly firm exits / mean live firms (default after the first year)",
           {"indicators"}, death_rate, optional=("window",)),
    _entry("survival", "share of firms founded in the run alive `quarters` (4) later, pooled",
           {"firm_panel", "indicators"}, pooled.survival_counts, pooled.pool_survival,
           optional=("quarters",)),
    _entry("birth_rate_active", "a calendar year's births / firms active in it (Eurostat)",
           {"indicators"}, birth_rate_active, optional=("window",)),
    _entry("death_rate_active", "a calendar year's exits / firms active in it (Eurostat)",
           {"indicators"}, death_rate_active, optional=("window",)),
    _entry("survival_calendar",
           "share of a calendar year's births active `quarters` / 4 years on (Eurostat), pooled",
           {"firm_panel", "indicators"}, pooled.calendar_survival_counts, pooled.pool_survival,
           optional=("quarters",)),
    _entry("size_tail_exponent", "Hill exponent of final firm sizes over the top `tail` share",
           {"firm_panel"}, size_tail_exponent, optional=("tail",)),
    _entry("growth_size_slope", "beta in sd(annual log growth) ~ size^-beta, pooled",
           {"firm_panel"}, pooled.growth_moments, pooled.pool_growth_slope),
    _entry("relatedness_entry_effect", "relative change of specialisation entry for +10 % "
           "relatedness density, pooled", {"domains"}, pooled.entry_events,
           pooled.pool_relatedness_effect),
    _entry("relatedness_exit_effect", "relative change of specialisation exit for +10 % "
           "relatedness density, pooled", {"domains"}, pooled.exit_events,
           pooled.pool_relatedness_effect),
    _entry("output", "a custom callable target's returned scalar `output`", {"outputs"},
           output_value, required=("output",)),
)}
# fmt: on


# ----------------------------------------------------------------------- checks
def check_target(target: TargetSpec) -> tuple[str, str] | None:
    """The first problem of a target's statistic and arguments as (field, problem), or None."""
    statistic = STATISTICS.get(target.statistic)
    if statistic is None:
        known = ", ".join(STATISTICS)
        return "statistic", f"unknown statistic '{target.statistic}' (known: {known})"
    for argument in statistic.required:
        if getattr(target, argument) is None:
            return argument, f"statistic '{statistic.name}' needs {argument}"
    for argument in ARGUMENTS:
        read = argument in statistic.required or argument in statistic.optional
        if getattr(target, argument) is not None and not read:
            return argument, f"statistic '{statistic.name}' does not use {argument}"
    if target.indicator is not None and not is_indicator(target.indicator):
        if is_indicator(target.indicator, numeric=False):
            return "indicator", f"indicator '{target.indicator}' is not numeric"
        return "indicator", f"unknown indicator '{target.indicator}'"
    return None


# ----------------------------------------------------------------------- runs and points
#: Share of the EU's regions each archetype stands for (T1: RIS 2023 groups of 239 regions).
ARCHETYPE_WEIGHTS: dict[str, float] = {
    group.archetype: group.regions / sum(g.regions for g in RIS_GROUPS) for group in RIS_GROUPS
}


def archetype_weights(scenarios: Iterable[str]) -> dict[str, float]:
    """Weights of the given archetypes by the regions each stands for, summing to one over
    them (T1); a name that is not an archetype is a ValueError."""
    names = list(dict.fromkeys(scenarios))
    outside = [name for name in names if name not in ARCHETYPE_WEIGHTS]
    if outside:
        raise ValueError(f"{outside[0]} is not an archetype ({', '.join(ARCHETYPES)})")
    total = sum(ARCHETYPE_WEIGHTS[name] for name in names)
    return {name: ARCHETYPE_WEIGHTS[name] / total for name in names}


def run_outputs(data: RunData, targets: Sequence[TargetSpec]) -> dict[str, float]:
    """One run's columns: ``<target>`` for a run-level statistic, ``<target>__<key>`` for
    each contribution of a pooled one. A value the run cannot give is NaN; a target whose
    statistic needs run data that ``data`` lacks is a ValueError (a set-up mistake)."""
    columns: dict[str, float] = {}
    for target in targets:
        statistic = STATISTICS[target.statistic]
        missing = sorted(part for part in statistic.needs if getattr(data, part) is None)
        if missing:
            raise ValueError(
                f"target '{target.name}': statistic '{statistic.name}' needs the run's "
                f"{', '.join(missing)}, which this kind of run does not give"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            values = statistic.compute(data, target)
        if statistic.pool is None:
            columns[target.name] = values["value"]
        else:
            columns.update({f"{target.name}{SEPARATOR}{k}": v for k, v in values.items()})
    return columns


def _summary(replications: pd.DataFrame, target: TargetSpec) -> tuple[float, float, float, int]:
    """(mean, var_mean, var_run, usable replications) of one target at one point."""
    statistic = STATISTICS[target.statistic]
    if statistic.pool is None:
        column = replications.get(target.name, pd.Series(dtype=np.float64))
        values = column.to_numpy(np.float64)
        values = values[np.isfinite(values)]
        if len(values) < 2:
            # One run still gives a value (a screening runs one seed per point); only its
            # variances are unknown.
            mean = float(values[0]) if len(values) else np.nan
            return mean, np.nan, np.nan, len(values)
        var_run = float(values.var(ddof=1))
        return float(values.mean()), var_run / len(values), var_run, len(values)
    prefix = f"{target.name}{SEPARATOR}"
    keys = [column for column in replications.columns if column.startswith(prefix)]
    table = replications[keys].to_numpy(np.float64)
    table = table[np.isfinite(table).all(axis=1)]
    count = len(table) if keys else 0
    parts = [dict(zip((key[len(prefix) :] for key in keys), row, strict=True)) for row in table]
    if count < 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = float(statistic.pool(parts)) if count else np.nan
        return mean, np.nan, np.nan, count
    parts = [dict(zip((key[len(prefix) :] for key in keys), row, strict=True)) for row in table]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = statistic.pool(parts)
        left_out = np.array([statistic.pool(parts[:i] + parts[i + 1 :]) for i in range(count)])
    # Jackknife over replications; one run of the observed world has count x that variance.
    if not np.isfinite(left_out).all():
        return float(value), np.nan, np.nan, count
    var_mean = (count - 1) / count * float(((left_out - left_out.mean()) ** 2).sum())
    return float(value), var_mean, count * var_mean, count


def point_summary(
    runs: pd.DataFrame,
    targets: Sequence[TargetSpec],
    scenario_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each design point's mean and variances of every target, from its replications.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per successful run: ``point``, ``scenario`` (the task's scenario string),
        ``replication`` and the :func:`run_outputs` columns.
    targets : sequence of TargetSpec
        A target with scenario X reads the runs whose scenario string is X; one with
        scenario ``"eu"`` reads every archetype's runs.
    scenario_of : mapping, optional
        Archetype name of a run's scenario string, for strings that are not themselves a
        bundled archetype name (e.g. a resolved path); default the string itself.

    Returns
    -------
    pandas.DataFrame
        One row per point and target: ``point``, ``target``, ``mean``, ``var_mean`` (variance
        of the mean), ``var_run`` (variance of one run: what one observed world would show)
        and ``replications`` (usable ones). Run-level statistics: the mean and sample variance
        (ddof 1) of the runs, var_mean = var_run / R. Pooled statistics: the value pooled over
        all R runs, var_mean by jackknife (leaving one replication out), var_run = R var_mean.
        An ``"eu"`` target combines the archetypes' values with the region weights w
        (:func:`archetype_weights`): mean = sum w mean_a, each variance = sum w^2 var_a, and
        ``replications`` is the smallest count among them. With one usable replication the
        mean is that run's value and the variances are NaN; with none, all are NaN (in any
        archetype for ``"eu"``).
    """
    archetype = runs["scenario"].map(lambda name: (scenario_of or {}).get(name, name))
    points = np.unique(runs["point"])
    rows = []
    for target in targets:
        if target.scenario == EU:
            present = [name for name in ARCHETYPES if (archetype == name).any()]
            groups = {name: runs[archetype == name] for name in present}
            weights = archetype_weights(present)
        elif target.scenario is None:
            groups, weights = {"all": runs}, {"all": 1.0}
        else:
            groups = {target.scenario: runs[runs["scenario"] == target.scenario]}
            weights = {target.scenario: 1.0}
        by_point = {name: dict(list(group.groupby("point"))) for name, group in groups.items()}
        for point in points:
            mean = var_mean = var_run = 0.0 if weights else np.nan
            replications = None
            for name, weight in weights.items():
                rows_here = by_point[name].get(point, runs.iloc[:0])
                part_mean, part_var_mean, part_var_run, count = _summary(rows_here, target)
                mean += weight * part_mean
                var_mean += weight**2 * part_var_mean
                var_run += weight**2 * part_var_run
                replications = count if replications is None else min(replications, count)
            rows.append((point, target.name, mean, var_mean, var_run, replications or 0))
    columns = ["point", "target", "mean", "var_mean", "var_run", "replications"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["point"], kind="stable", ignore_index=True)
