"""Scenario comparison with honest uncertainty: means and intervals, paired differences under
common random numbers, rankings that admit ties, and trade-offs between outcomes.

Every mix of a comparison runs with the same replication seeds, so replication *k* of two
mixes shares its random numbers: their difference is a paired difference, whose interval is
much narrower than the difference of two independent means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from smartspec.model.indicators import outcome_column
from smartspec.scenarios import describe_mix, describe_scenario

__all__ = [
    "TRADEOFF_INDICATORS",
    "group_names",
    "named_groups",
    "paired_differences",
    "rank_groups",
    "series_bands",
    "summarise_outcomes",
    "tradeoff_criteria",
    "tradeoffs",
]

#: What a policy mix trades off: economic results, social results, and money actually spent.
TRADEOFF_INDICATORS = ("innovation_index", "social_innovations", "absorption_rate")


def tradeoff_criteria(columns: list[str]) -> dict[str, bool]:
    """The outcome columns to weigh against each other, one per indicator of
    :data:`TRADEOFF_INDICATORS` whatever its summary (mean, final or total), each to be
    maximised; empty when fewer than two are present."""
    found = [outcome_column(columns, name) for name in TRADEOFF_INDICATORS]
    criteria = {column: True for column in found if column is not None}
    return criteria if len(criteria) >= 2 else {}


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * stats.sem(values)
    return mean, mean - half, mean + half


def summarise_outcomes(
    outcomes: pd.DataFrame,
    columns: list[str],
    by: str = "mix",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t-interval across replications of each outcome, per group (tidy)."""
    rows = []
    for group, frame in outcomes.groupby(by, sort=False):
        for column in columns:
            mean, low, high = _interval(frame[column].to_numpy(), confidence)
            rows.append(
                {
                    by: group,
                    "outcome": column,
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "sd": float(frame[column].std(ddof=1)),
                    "n": int(frame[column].notna().sum()),
                }
            )
    return pd.DataFrame(rows)


def series_bands(
    series: pd.DataFrame,
    inputs: pd.DataFrame,
    column: str,
    by: str = "mix",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t-interval of a time series per group and step (for confidence bands)."""
    frame = series.drop(columns=[by], errors="ignore").merge(inputs[["run_id", by]], on="run_id")
    grouped = frame.groupby([by, "step"], sort=False)[column]
    result = grouped.agg(["mean", "std", "count"]).reset_index()
    dof = np.maximum(result["count"] - 1, 1)
    half = stats.t.ppf(0.5 + confidence / 2, dof) * result["std"] / np.sqrt(result["count"])
    result["low"] = result["mean"] - half.where(result["count"] > 1)
    result["high"] = result["mean"] + half.where(result["count"] > 1)
    return result.rename(columns={"mean": column})


def paired_differences(
    outcomes: pd.DataFrame,
    columns: list[str],
    baseline: str,
    by: str = "mix",
    pair_on: str = "replication",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each group minus ``baseline``, paired by replication (common random numbers).

    Returns per group and outcome: mean difference, its t-interval, the paired t-test p-value
    and whether the interval excludes zero.
    """
    if baseline not in set(outcomes[by]):
        raise ValueError(f"baseline {baseline!r} is not among the {by} values")
    base = outcomes[outcomes[by] == baseline].set_index(pair_on)
    rows = []
    for group, frame in outcomes.groupby(by, sort=False):
        if group == baseline:
            continue
        other = frame.set_index(pair_on)
        common = base.index.intersection(other.index)
        for column in columns:
            differences = (other.loc[common, column] - base.loc[common, column]).to_numpy()
            mean, low, high = _interval(differences, confidence)
            if len(differences) > 1 and np.std(differences) > 0:
                p_value = float(stats.ttest_1samp(differences, 0.0).pvalue)
            else:
                p_value = float("nan")
            rows.append(
                {
                    by: group,
                    "outcome": column,
                    "difference": mean,
                    "low": low,
                    "high": high,
                    "p_value": p_value,
                    "pairs": len(differences),
                    "clear": bool(np.isfinite(low) and (low > 0 or high < 0)),
                }
            )
    return pd.DataFrame(rows)


def rank_groups(
    outcomes: pd.DataFrame,
    column: str,
    by: str = "mix",
    higher_is_better: bool = True,
    pair_on: str = "replication",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rank groups by their mean and say which ones cannot be told apart.

    Two groups are indistinguishable when the paired-difference interval between them
    contains zero. ``tier`` numbers the groups so that a group shares a tier with the best
    group it cannot be told apart from (1 = as good as the best that the data can show).
    """
    means = outcomes.groupby(by, sort=False)[column].mean()
    order = means.sort_values(ascending=not higher_is_better).index.tolist()
    indistinct: dict[str, list[str]] = {group: [] for group in order}
    for first in order:
        others = paired_differences(
            outcomes[outcomes[by].isin(order)], [column], first, by, pair_on, confidence
        )
        for record in others.itertuples():
            if not record.clear:
                indistinct[first].append(getattr(record, by))
    tiers: dict[str, int] = {}
    tier = 0
    for group in order:
        ties = [tiers[other] for other in indistinct[group] if other in tiers]
        if ties:
            tiers[group] = min(ties)
        else:
            tier += 1
            tiers[group] = tier
    return pd.DataFrame(
        {
            by: order,
            "mean": [float(means[group]) for group in order],
            "rank": range(1, len(order) + 1),
            "tier": [tiers[group] for group in order],
            "cannot_be_told_apart_from": [", ".join(indistinct[group]) for group in order],
        }
    )


def tradeoffs(
    outcomes: pd.DataFrame,
    criteria: dict[str, bool],
    by: str = "mix",
) -> pd.DataFrame:
    """Mean of each criterion per group and whether the group is Pareto-efficient (no other
    group is at least as good on every criterion and better on one). ``criteria`` maps a
    column to True when higher is better."""
    means = outcomes.groupby(by, sort=False)[list(criteria)].mean()
    signed = means * np.array([1.0 if better else -1.0 for better in criteria.values()])
    efficient = []
    for group, row in signed.iterrows():
        others = signed.drop(index=group)
        dominated = ((others >= row).all(axis=1) & (others > row).any(axis=1)).any()
        efficient.append(not dominated)
    result = means.reset_index()
    result["pareto_efficient"] = efficient
    return result


def group_names(values: list[str], column: str) -> dict[str, str]:
    """Each mix (``column = "mix"``) or scenario value of a results table -> its own name.

    Bundled names stay; mix and scenario files are called by the ``name`` they declare
    (their file name if they declare none). Two files declaring the same name keep their
    paths, so that groups never merge.
    """
    describe = describe_mix if column == "mix" else describe_scenario
    names = {value: (describe(value)[0] if value else value) for value in dict.fromkeys(values)}
    taken: dict[str, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    return {value: name if taken[name] == 1 else value for value, name in names.items()}


def named_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """A results table whose ``mix`` and ``scenario`` columns hold their own names
    (:func:`group_names`) instead of file paths."""
    renamed = {
        column: frame[column].map(group_names(frame[column].astype(str).tolist(), column))
        for column in ("mix", "scenario")
        if column in frame
    }
    return frame.assign(**renamed) if renamed else frame
