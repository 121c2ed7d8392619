"""Scenario discovery on sweep results: which parameter ranges lead to an outcome of interest?

Scenario discovery (Bryant & Lempert 2010) turns a large set of simulated futures into a few
plain statements a policymaker can act on: *"when the budget is above X and absorptive capacity
above Y, the region catches up in 83 % of the futures"*. It labels each future as a case of
interest or not, then searches the space of uncertain parameters for a box (a conjunction of
parameter ranges) that holds most of the cases of interest (**coverage**) and few others
(**density**), using few parameters (**restricted dimensions**) so it stays interpretable.

The box is found with the Patient Rule Induction Method (PRIM; Friedman & Fisher 1999) as
implemented in the EMA Workbench (Kwakkel 2017), ``ema_workbench.analysis.prim``. PRIM peels
thin slices off the box, one parameter at a time, and so traces a *peeling trajectory* from the
whole space (coverage 1, low density) to small, dense boxes; :func:`discover` picks one box on
that trajectory. Feature scores (extra trees, ``ema_workbench.analysis.feature_scoring``) rank
all parameters by how much they explain the classification, a check on the box.

Typical use on an experiment folder::

    from smartspec.experiments import load_results
    from smartspec.analysis import discovery

    results = load_results("results/sobol_emerging")
    ranges = discovery.parameter_ranges(results.provenance)
    interest = discovery.catch_up(results.outcomes, "mean_innovation_index", 70.0)
    found = discovery.discover(results.outcomes, list(ranges), interest, ranges=ranges)
    for sentence in discovery.describe(found, "the emerging region catches up (index >= 70)"):
        print(sentence)
    discovery.plot_tradeoff(found).savefig("tradeoff.png")
    discovery.plot_box(found).savefig("box.png")

The EMA Workbench is imported on first use (it pulls in scikit-learn, statsmodels and seaborn,
which take a few seconds to load), with the two import-time warnings it emits about optional
extras it does not need here (ipyparallel, altair) silenced.

References
----------
Friedman, J. H., & Fisher, N. I. (1999). Bump hunting in high-dimensional data. *Statistics
and Computing*, 9(2), 123-143. https://doi.org/10.1023/A:1008894516817

Bryant, B. P., & Lempert, R. J. (2010). Thinking inside the box: A participatory,
computer-assisted approach to scenario discovery. *Technological Forecasting and Social
Change*, 77(1), 34-49. https://doi.org/10.1016/j.techfore.2009.08.002

Kwakkel, J. H. (2017). The Exploratory Modeling Workbench: An open source toolkit for
exploratory modeling, scenario discovery, and (multi-objective) robust decision making.
*Environmental Modelling & Software*, 96, 239-250. https://doi.org/10.1016/j.envsoft.2017.06.054
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

__all__ = [
    "MIN_REPLICATION_SHARE",
    "DiscoveryResult",
    "catch_up",
    "describe",
    "discover",
    "parameter_ranges",
    "plot_box",
    "plot_tradeoff",
]

#: A design point run with several replications counts as a case of interest when at least
#: this share of its replications is of interest (a majority vote; a tie counts as interest).
MIN_REPLICATION_SHARE = 0.5

#: Readable names for parameters: ``name -> label`` or ``name -> (label, unit)``.
Labels = Mapping[str, str | tuple[str, str]]


def _ema() -> tuple[ModuleType, ModuleType]:
    """Import EMA Workbench's PRIM and feature-scoring modules, without their import noise.

    ``import ema_workbench`` warns (``UserWarning``) that ipyparallel is missing and (an
    ``ImportWarning``, hidden by default) that altair is missing; neither extra is used here.
    Only these two messages are silenced, and only while importing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        warnings.filterwarnings(
            "ignore", message="altair based interactive", category=ImportWarning
        )
        from ema_workbench.analysis import feature_scoring, prim
    return prim, feature_scoring


@dataclass(frozen=True, eq=False)
class DiscoveryResult:
    """The box chosen on PRIM's peeling trajectory, with the trajectory and feature scores.

    Attributes
    ----------
    box : pandas.DataFrame
        One row per parameter (in the order given to :func:`discover`) with columns
        ``parameter``, ``low``, ``high`` (the box; an unrestricted side is reported as the end
        of the parameter range), ``restricted`` (either side restricted), ``low_restricted``,
        ``high_restricted``, ``range_low``, ``range_high`` (the full range the box is compared
        with) and ``qp_low``, ``qp_high`` (quasi-p values of each restricted limit, Bryant &
        Lempert 2010: the probability that removing the limit would leave a box at least as
        dense by chance; NaN for unrestricted sides).
    coverage : float
        Share of all cases of interest that lie inside the box.
    density : float
        Share of the futures inside the box that are cases of interest.
    mass : float
        Share of all futures that lie inside the box.
    res_dim : int
        Number of restricted parameters.
    trajectory : pandas.DataFrame
        The whole peeling (and pasting) trajectory, indexed by box number: ``coverage``,
        ``density``, ``mass``, ``res_dim``, ``n`` (futures in the box), ``n_interest`` (cases of
        interest in the box) and ``chosen``.
    feature_scores : pandas.Series
        Extra-trees feature scores (parameter -> score, summing to 1), highest first.
    chosen : int
        Index of the chosen box on the trajectory.
    threshold : float
        The density the chosen box was required to reach.
    threshold_met : bool
        Whether any box reached ``threshold`` (if not, the densest box was chosen).
    cases : pandas.DataFrame
        The data PRIM analysed, one row per future (per design point when replicated): the
        parameter columns, ``interest`` (bool), ``share`` (share of replications of interest)
        and ``replications``; indexed by ``point`` when replications were averaged.
    n_runs : int
        Rows of ``outcomes`` given to :func:`discover`.
    replicated : bool
        Whether replications were averaged per design point.
    prim_box : Any
        EMA Workbench's ``PrimBox`` (with the chosen box selected), for its own tools such as
        ``inspect`` or ``resample``.
    """

    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    res_dim: int
    trajectory: pd.DataFrame
    feature_scores: pd.Series
    chosen: int
    threshold: float
    threshold_met: bool
    cases: pd.DataFrame
    n_runs: int
    replicated: bool
    prim_box: Any = field(default=None, repr=False, compare=False)

    @property
    def parameters(self) -> list[str]:
        """Parameters analysed, in the order given."""
        return self.box["parameter"].tolist()

    @property
    def restricted(self) -> list[str]:
        """Parameters the box restricts, most influential (highest feature score) first."""
        names = self.box.loc[self.box["restricted"], "parameter"].tolist()
        return sorted(names, key=lambda name: -float(self.feature_scores.get(name, 0.0)))

    @property
    def n_futures(self) -> int:
        """Futures analysed (design points when replications were averaged, else runs)."""
        return len(self.cases)

    @property
    def n_interest(self) -> int:
        """Futures of interest."""
        return int(self.cases["interest"].sum())

    @property
    def base_rate(self) -> float:
        """Share of the futures that are of interest."""
        return self.n_interest / self.n_futures


def catch_up(outcomes: pd.DataFrame, column: str, threshold: float) -> np.ndarray:
    """Flag the runs whose outcome reaches a threshold ("cases of interest").

    For instance ``catch_up(outcomes, "mean_innovation_index", 70)`` marks the runs in which a
    less-developed region's innovation index reaches the level of the moderate group.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Sweep outcomes, e.g. ``Results.outcomes`` (columns ``final_X``, ``mean_X``,
        ``total_X``).
    column : str
        Outcome column to compare.
    threshold : float
        A run is of interest when ``outcomes[column] >= threshold``; a missing value (NaN) is
        not of interest.

    Returns
    -------
    numpy.ndarray
        Boolean array, one entry per row of ``outcomes``.

    Raises
    ------
    KeyError
        If ``column`` is not in ``outcomes``.

    References
    ----------
    Bryant, B. P., & Lempert, R. J. (2010). Thinking inside the box: A participatory,
    computer-assisted approach to scenario discovery. *Technological Forecasting and Social
    Change*, 77(1), 34-49.
    """
    if column not in outcomes.columns:
        known = [c for c in outcomes.columns if str(c).startswith(("final_", "mean_", "total_"))]
        raise KeyError(f"no outcome column {column!r}; outcome columns: {known}")
    values = pd.to_numeric(outcomes[column], errors="raise").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return values >= threshold


def parameter_ranges(provenance: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Full ranges of an experiment's varied parameters, read from its provenance record.

    Parameters
    ----------
    provenance : Mapping
        ``Results.provenance``; ``provenance["experiment"]["parameters"]`` lists the
        parameters with ``name``, ``range``, ``distribution`` and ``levels``.

    Returns
    -------
    dict
        ``name -> (low, high)`` for every parameter with a bounded range: a uniform or
        triangular ``range``, or numeric grid ``levels`` (their minimum and maximum).
        Parameters with unbounded distributions (normal, lognormal) or non-numeric levels are
        left out; :func:`discover` then compares their limits with the observed range.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for parameter in provenance.get("experiment", {}).get("parameters", []):
        name = parameter["name"]
        distribution = parameter.get("distribution", "uniform")
        if parameter.get("range") is not None and distribution in ("uniform", "triangular"):
            low, high = parameter["range"]
            ranges[name] = (float(low), float(high))
        elif parameter.get("levels"):
            try:
                levels = [float(level) for level in parameter["levels"]]
            except (TypeError, ValueError):
                continue
            ranges[name] = (min(levels), max(levels))
    return ranges


def _cases(
    outcomes: pd.DataFrame, parameters: list[str], interest: np.ndarray
) -> tuple[pd.DataFrame, bool]:
    """One row per future: replication means per design point when ``point`` repeats."""
    x = outcomes[parameters].astype(float).reset_index(drop=True)
    frame = x.assign(interest=interest.astype(float))
    replicated = "point" in outcomes.columns and outcomes["point"].duplicated().any()
    if replicated:
        frame["point"] = outcomes["point"].to_numpy()
        grouped = frame.groupby("point", sort=True)
        cases = grouped[parameters].mean()
        cases["share"] = grouped["interest"].mean()
        cases["replications"] = grouped.size()
        cases["interest"] = cases["share"] >= MIN_REPLICATION_SHARE
    else:
        cases = x.copy()
        cases["share"] = frame["interest"]
        cases["replications"] = 1
        cases["interest"] = frame["interest"] >= MIN_REPLICATION_SHARE
    return cases[[*parameters, "interest", "share", "replications"]], bool(replicated)


def _choose(trajectory: pd.DataFrame, threshold: float) -> tuple[int, bool]:
    """Highest coverage among boxes with density >= threshold (ties: denser, then fewer
    restricted dimensions, then earlier); if none is dense enough, the densest box."""
    dense = trajectory[trajectory["density"] >= threshold]
    if len(dense):
        order = dense.assign(_dims=-dense["res_dim"]).sort_values(
            ["coverage", "density", "_dims"], ascending=False, kind="stable"
        )
        return int(order.index[0]), True
    order = trajectory.sort_values(["density", "coverage"], ascending=False, kind="stable")
    return int(order.index[0]), False


def discover(
    outcomes: pd.DataFrame,
    parameters: list[str],
    interest: np.ndarray,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    mass_min: float = 0.05,
    random_state: int = 0,
) -> DiscoveryResult:
    """Find the parameter box that best separates the futures of interest (PRIM).

    Runs EMA Workbench's PRIM (Friedman & Fisher 1999; Kwakkel 2017) once on the parameter
    columns, then chooses, on the peeling trajectory, the box with the highest coverage among
    the boxes whose density is at least ``threshold`` (ties go to the denser box, then to the
    one with fewer restricted dimensions). If no box is that dense, the densest box is chosen
    and ``threshold_met`` is False. Feature scores come from EMA's extra-trees feature scoring
    on the same data.

    When ``outcomes`` has a ``point`` column in which some design point appears more than once
    (several replications, i.e. seeds, per point), the analysis is done per design point: its
    parameter values are averaged (they are equal across its replications) and the point is a
    case of interest when at least half of its replications are (share >=
    :data:`MIN_REPLICATION_SHARE`). Coverage, density and mass then count design points.
    Otherwise every row is one future.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Sweep outcomes (e.g. ``Results.outcomes``): the parameter columns and, optionally,
        ``point``. Failed runs are simply absent.
    parameters : list of str
        Numeric parameter columns to search (e.g. the names in
        ``provenance["experiment"]["parameters"]``). Integer and boolean columns are treated
        as continuous (converted to float).
    interest : numpy.ndarray
        Boolean (or 0/1) array, one entry per row of ``outcomes``, e.g. from :func:`catch_up`.
    threshold : float, default 0.8
        Minimum density of the chosen box, in (0, 1].
    peel_alpha : float, default 0.05
        Share of the remaining futures removed by each peel.
    ranges : Mapping, optional
        Full parameter ranges ``name -> (low, high)`` (see :func:`parameter_ranges`), used to
        report unrestricted sides and to normalise :func:`plot_box`; default: the observed
        minimum and maximum.
    mass_min : float, default 0.05
        Smallest share of futures a box may hold (PRIM stops peeling there).
    random_state : int, default 0
        Seed of the extra-trees feature scoring (PRIM itself is deterministic).

    Returns
    -------
    DiscoveryResult
        The chosen box, its statistics, the trajectory and the feature scores.

    Raises
    ------
    KeyError
        If a parameter is not a column of ``outcomes``.
    ValueError
        If ``interest`` does not match ``outcomes``, no (or every) future is of interest,
        a parameter is not numeric or is called ``scenario`` (EMA drops that column), or
        ``threshold`` is not in (0, 1].

    References
    ----------
    Friedman, J. H., & Fisher, N. I. (1999). Bump hunting in high-dimensional data.
    *Statistics and Computing*, 9(2), 123-143.

    Bryant, B. P., & Lempert, R. J. (2010). Thinking inside the box: A participatory,
    computer-assisted approach to scenario discovery. *Technological Forecasting and Social
    Change*, 77(1), 34-49.

    Kwakkel, J. H. (2017). The Exploratory Modeling Workbench: An open source toolkit for
    exploratory modeling, scenario discovery, and (multi-objective) robust decision making.
    *Environmental Modelling & Software*, 96, 239-250.
    """
    parameters = list(parameters)
    if not parameters:
        raise ValueError("name at least one parameter")
    if len(set(parameters)) != len(parameters):
        raise ValueError(f"duplicate parameters: {parameters}")
    missing = [name for name in parameters if name not in outcomes.columns]
    if missing:
        raise KeyError(f"parameters not in outcomes: {missing}")
    if "scenario" in parameters:
        raise ValueError("EMA Workbench ignores a column named 'scenario'; rename the parameter")
    for name in parameters:
        if not (
            pd.api.types.is_numeric_dtype(outcomes[name])
            or pd.api.types.is_bool_dtype(outcomes[name])
        ):
            raise ValueError(f"parameter {name!r} is not numeric ({outcomes[name].dtype})")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1] (got {threshold})")
    interest = np.asarray(interest)
    if interest.shape != (len(outcomes),):
        raise ValueError(
            f"interest has shape {interest.shape}; expected ({len(outcomes)},), one per row"
        )
    if interest.dtype != bool:
        if not np.isin(interest, (0, 1)).all():
            raise ValueError("interest must be boolean (or 0/1)")
        interest = interest.astype(bool)

    cases, replicated = _cases(outcomes, parameters, interest)
    y = cases["interest"].to_numpy(dtype=int)
    if y.sum() == 0:
        raise ValueError("no future is of interest: nothing to discover (lower the threshold?)")
    if y.sum() == len(y):
        raise ValueError("every future is of interest: nothing to discover")

    prim, feature_scoring = _ema()
    x = cases[parameters].reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        # EMA 3.0 calls DataFrame.drop(inplace=True), deprecated in pandas 3.
        warnings.filterwarnings(
            "ignore", message="The inplace keyword", category=DeprecationWarning
        )
        finder = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
        prim_box = finder.find_box()
    if prim_box is None:  # pragma: no cover - only when no data is left
        raise RuntimeError("PRIM found no box")

    trajectory = prim_box.peeling_trajectory.rename(columns={"k": "n_interest"})
    trajectory = trajectory.astype({"n": int, "n_interest": int, "res_dim": int})
    trajectory = trajectory.set_index("id").rename_axis("box")
    trajectory = trajectory[["coverage", "density", "mass", "res_dim", "n", "n_interest"]]
    chosen, met = _choose(trajectory, threshold)
    trajectory = trajectory.assign(chosen=trajectory.index == chosen)
    prim_box.select(chosen)

    box = _box_table(finder.box_init, prim_box.box_lims[chosen], prim_box.p_values[chosen], ranges)
    scores, _ = feature_scoring.get_ex_feature_scores(
        x,
        y,
        max_features=max(1, round(len(parameters) / 3)),
        random_state=random_state,
    )
    feature_scores = scores.iloc[:, 0].astype(float).rename("score").rename_axis("parameter")
    feature_scores = feature_scores.sort_values(ascending=False, kind="stable")

    row = trajectory.loc[chosen]
    return DiscoveryResult(
        box=box,
        coverage=float(row["coverage"]),
        density=float(row["density"]),
        mass=float(row["mass"]),
        res_dim=int(row["res_dim"]),
        trajectory=trajectory,
        feature_scores=feature_scores,
        chosen=chosen,
        threshold=float(threshold),
        threshold_met=met,
        cases=cases,
        n_runs=len(outcomes),
        replicated=replicated,
        prim_box=prim_box,
    )


def _box_table(
    box_init: pd.DataFrame,
    box_lim: pd.DataFrame,
    p_values: Mapping[str, list[float]],
    ranges: Mapping[str, tuple[float, float]] | None,
) -> pd.DataFrame:
    """Box limits per parameter; EMA's box frames have row 0 = lower, row 1 = upper limit."""
    ranges = ranges or {}
    rows = []
    for name in box_init.columns:
        init_low, init_high = (float(v) for v in box_init[name])
        lim_low, lim_high = (float(v) for v in box_lim[name])
        range_low, range_high = (float(v) for v in ranges.get(name, (init_low, init_high)))
        # EMA's own rule: a side is restricted when it differs from the all-data box.
        low_restricted = lim_low != init_low
        high_restricted = lim_high != init_high
        qp_low, qp_high = (
            (float(q) if q >= 0 else math.nan) for q in p_values.get(name, (-1.0, -1.0))
        )
        rows.append(
            {
                "parameter": name,
                "low": lim_low if low_restricted else range_low,
                "high": lim_high if high_restricted else range_high,
                "restricted": low_restricted or high_restricted,
                "low_restricted": low_restricted,
                "high_restricted": high_restricted,
                "range_low": range_low,
                "range_high": range_high,
                "qp_low": qp_low if low_restricted else math.nan,
                "qp_high": qp_high if high_restricted else math.nan,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- plain language


def _label(name: str, labels: Labels | None) -> tuple[str, str]:
    """(label, unit) of a parameter."""
    entry = (labels or {}).get(name, name)
    if isinstance(entry, tuple):
        label, unit = entry
        return str(label), str(unit)
    return str(entry), ""


def _number(value: float, digits: int = 2) -> str:
    """A short, readable number: two significant digits, thousands separated."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pair(low: float, high: float) -> tuple[str, str]:
    """Format two limits with enough digits to tell them apart."""
    for digits in (2, 3, 4, 6):
        a, b = _number(low, digits), _number(high, digits)
        if a != b:
            return a, b
    return a, b


def _percent(share: float) -> str:
    return f"{100.0 * share:.0f} %"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _condition(name: str, row: pd.Series, labels: Labels | None) -> str:
    """'budget between 38 and 60 M€/year', 'absorptive capacity above 0.31', ..."""
    label, unit = _label(name, labels)
    suffix = f" {unit}" if unit else ""
    low, high = _pair(row["low"], row["high"])
    if row["low_restricted"] and row["high_restricted"]:
        return f"{label} between {low} and {high}{suffix}"
    if row["low_restricted"]:
        return f"{label} above {low}{suffix}"
    return f"{label} below {high}{suffix}"


def describe(
    result: DiscoveryResult, outcome_label: str, labels: Labels | None = None
) -> list[str]:
    """Plain-language sentences about a discovered box, for a policymaker.

    Parameters
    ----------
    result : DiscoveryResult
        From :func:`discover`.
    outcome_label : str
        What a case of interest is, phrased to follow "In 34 % of the futures", e.g.
        ``"the emerging region catches up (index ≥ 70)"``.
    labels : Mapping, optional
        Readable names for parameters, ``name -> label`` or ``name -> (label, unit)``, e.g.
        ``{"budget": ("budget", "M€/year")}``; parameter names are used as given otherwise.

    Returns
    -------
    list of str
        The share of futures of interest; the box's conditions with coverage and density
        ("81 % of those futures have budget between 38 and 60 M€/year and absorptive capacity
        above 0.31 (density 0.83: when both hold, ... in 83 % of the futures)"); the box's
        mass; the parameters that do not matter for the box; the feature-score ranking; and,
        when relevant, how replications were counted and that the density threshold was not
        reached.

    References
    ----------
    Bryant, B. P., & Lempert, R. J. (2010). Thinking inside the box: A participatory,
    computer-assisted approach to scenario discovery. *Technological Forecasting and Social
    Change*, 77(1), 34-49.
    """
    sentences = [
        f"In {_percent(result.base_rate)} of the {result.n_futures:,} futures explored, "
        f"{outcome_label}."
    ]
    if result.replicated:
        counts = result.cases["replications"]
        runs = (
            f"{counts.min()}" if counts.min() == counts.max() else f"{counts.min()}-{counts.max()}"
        )
        sentences.append(
            f"Each future is one design point simulated with {runs} random seeds; it counts "
            f"when at least {_percent(MIN_REPLICATION_SHARE)} of its seeds do."
        )
    rows = result.box.set_index("parameter")
    restricted = result.restricted
    if not restricted:
        sentences.append(
            "No range of the parameters singles out these futures: they occur throughout the "
            "parameter space explored."
        )
    else:
        conditions = _join([_condition(name, rows.loc[name], labels) for name in restricted])
        holds = (
            "it holds"
            if len(restricted) == 1
            else ("both hold" if len(restricted) == 2 else "all hold")
        )
        sentences.append(
            f"{_percent(result.coverage)} of those futures have {conditions} "
            f"(density {result.density:.2f}: when {holds}, {outcome_label} in "
            f"{_percent(result.density)} of the futures)."
        )
        sentences.append(
            f"These conditions describe {_percent(result.mass)} of all the futures explored."
        )
        free = [name for name in result.parameters if name not in restricted]
        if free:
            names = _join([_label(name, labels)[0] for name in free])
            verb = "does" if len(free) == 1 else "do"
            sentences.append(
                f"Within the ranges explored, {names} {verb} not change this conclusion."
            )
    if not result.threshold_met:
        sentences.append(
            f"No combination of ranges reaches a density of {_percent(result.threshold)}; "
            "the densest one found is shown, so treat it as a tendency rather than a rule."
        )
    ranking = ", ".join(
        f"{_label(name, labels)[0]} ({score:.2f})" for name, score in result.feature_scores.items()
    )
    sentences.append(f"Parameters by influence on the outcome (feature scores): {ranking}.")
    return sentences


# ----------------------------------------------------------------------------- figures


def plot_tradeoff(result: DiscoveryResult, title: str = "") -> Figure:
    """Coverage against density along PRIM's peeling trajectory.

    Each point is one box, coloured by its number of restricted dimensions; the chosen box is
    ringed and the density threshold dashed (Bryant & Lempert 2010, fig. 3).

    Parameters
    ----------
    result : DiscoveryResult
        From :func:`discover`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    trajectory = result.trajectory
    figure = Figure(figsize=(6.8, 5.2), layout="constrained")
    axis = figure.add_subplot()
    top = max(int(trajectory["res_dim"].max()), 1)
    cmap = matplotlib.colormaps["viridis"].resampled(top + 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    axis.plot(trajectory["coverage"], trajectory["density"], color="0.8", linewidth=0.8, zorder=1)
    points = axis.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap=cmap,
        norm=norm,
        s=24,
        zorder=2,
    )
    axis.axhline(
        result.threshold,
        color="0.35",
        linestyle="--",
        linewidth=1,
        label=f"density threshold {result.threshold:.2f}",
    )
    axis.scatter(
        [result.coverage],
        [result.density],
        s=190,
        facecolors="none",
        edgecolors="crimson",
        linewidths=2,
        zorder=3,
        label=f"chosen box {result.chosen} (coverage {result.coverage:.2f}, "
        f"density {result.density:.2f})",
    )
    colorbar = figure.colorbar(points, ax=axis, ticks=np.arange(top + 1))
    colorbar.set_label("restricted dimensions")
    axis.set_xlim(0, 1.03)
    axis.set_ylim(0, 1.03)
    axis.set_xlabel("coverage (share of the futures of interest inside the box)")
    axis.set_ylabel("density (share of the box's futures of interest)")
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left", fontsize=8)
    axis.set_title(title or "PRIM peeling trajectory")
    return figure


def plot_box(result: DiscoveryResult, labels: Labels | None = None, title: str = "") -> Figure:
    """The chosen box, each limit shown as a position within its parameter's full range.

    One bar per parameter (restricted ones first, then by feature score): the grey band is the
    full range, the coloured bar the box; restricted limits are annotated with their values.

    Parameters
    ----------
    result : DiscoveryResult
        From :func:`discover`.
    labels : Mapping, optional
        Readable names, ``name -> label`` or ``name -> (label, unit)``.
    title : str, optional
        Figure title (default: the box's coverage, density and mass).

    Returns
    -------
    matplotlib.figure.Figure
    """
    box = result.box.assign(
        _score=result.box["parameter"].map(result.feature_scores).fillna(0.0)
    ).sort_values(["restricted", "_score"], ascending=False, kind="stable")
    span = (box["range_high"] - box["range_low"]).replace(0.0, 1.0)
    low = ((box["low"] - box["range_low"]) / span).clip(0, 1).to_numpy()
    high = ((box["high"] - box["range_low"]) / span).clip(0, 1).to_numpy()
    n = len(box)
    figure = Figure(figsize=(7.5, 1.6 + 0.45 * n), layout="constrained")
    axis = figure.add_subplot()
    ys = np.arange(n)[::-1]
    axis.barh(ys, np.ones(n), left=0, height=0.6, color="0.92", edgecolor="0.75")
    colours = ["tab:blue" if flag else "0.7" for flag in box["restricted"]]
    axis.barh(ys, high - low, left=low, height=0.6, color=colours)
    for y, lo, hi, (_, row) in zip(ys, low, high, box.iterrows(), strict=True):
        low_text, high_text = _pair(row["low"], row["high"])
        if row["low_restricted"]:
            axis.text(lo, y + 0.36, low_text, ha="center", va="bottom", fontsize=8)
        if row["high_restricted"]:
            axis.text(hi, y + 0.36, high_text, ha="center", va="bottom", fontsize=8)
        range_low, range_high = _pair(row["range_low"], row["range_high"])
        axis.text(1.02, y, f"[{range_low}, {range_high}]", va="center", fontsize=8, color="0.4")
    names = []
    for name in box["parameter"]:
        label, unit = _label(name, labels)
        names.append(f"{label} ({unit})" if unit else label)
    axis.set_yticks(ys, names)
    axis.set_ylim(-0.7, n - 0.2)
    axis.set_xlim(0, 1.22)
    axis.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    axis.set_xlabel("position within the parameter's range (0 = low end, 1 = high end)")
    axis.grid(axis="x", alpha=0.3)
    axis.set_title(
        title
        or f"Box {result.chosen}: coverage {result.coverage:.2f}, density {result.density:.2f}, "
        f"mass {result.mass:.2f}"
    )
    return figure
