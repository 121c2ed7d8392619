"""The principle of relatedness, estimated as Boschma, Balland & Kogler (2015) do.

A region *enters* a domain when its RCA there rises from below 1 to at least 1 and stays there
for ``persist`` quarters; it *exits* in the reverse case. The probability of each event over
the next ``horizon`` quarters is regressed on the region's relatedness density around the
domain at t in a linear probability model with region-run x period and domain fixed effects
(optionally controlling for log RCA at t); standard errors are clustered by run.

    panel = event_panel(domains)                   # one row per region, domain and period
    effect = estimate(panel, "entry")               # RelatednessEffect
    effect.per_tenth_of_mean, effect.interval_tenth_of_mean

The fixed effects are removed by alternating demeaning (the within transformation of two
crossed groupings, iterated to convergence), on NumPy only. :func:`placebo_density` recomputes
the density of a run with a permuted proximity matrix, for a placebo that should find nothing.

References
----------
Boschma, R., Balland, P.-A., Kogler, D. F. (2015). Relatedness and technological change in
cities: the rise and fall of technological knowledge in US metropolitan areas from 1981 to
2010. Industrial and Corporate Change 24(1), 223-250.
Cameron, A. C., Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
Journal of Human Resources 50(2), 317-372.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartspec.model import metrics

__all__ = [
    "RelatednessEffect",
    "estimate",
    "event_panel",
    "placebo_density",
    "within",
]

#: Quarters between the period starts of the panel (a year, as the source's yearly data).
HORIZON = 4
#: Quarters a new state must last for a crossing to count as an entry or exit.
PERSIST = 4
#: Lower bound of RCA before taking its log (regions with no activity in a domain).
RCA_FLOOR = 1e-3
#: Two-sided normal quantile of a 95 % interval.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class RelatednessEffect:
    """The density effect on one event.

    Attributes
    ----------
    event : str
        ``entry`` or ``exit``.
    coefficient, std_error : float
        Slope of the event probability on relatedness density (per unit density) and its
        cluster-robust standard error.
    base_rate : float
        Mean event probability of the observations at risk.
    mean_density : float
        Mean density of the observations at risk.
    per_tenth_of_mean, interval_tenth_of_mean : float, tuple
        Relative change of the probability for +10 % of the mean density (the source's
        reading), with its 95 % interval.
    per_tenth, interval_tenth : float, tuple
        Relative change of the probability for +0.1 density (absolute), with its interval.
    events, observations, clusters : int
        Events, observations at risk and runs (clusters).
    controls : tuple of str
        Control variables besides the fixed effects.
    """

    event: str
    coefficient: float
    std_error: float
    base_rate: float
    mean_density: float
    per_tenth_of_mean: float
    interval_tenth_of_mean: tuple[float, float]
    per_tenth: float
    interval_tenth: tuple[float, float]
    events: int
    observations: int
    clusters: int
    controls: tuple[str, ...] = ()


def event_panel(
    domains: pd.DataFrame,
    horizon: int = HORIZON,
    persist: int = PERSIST,
    density: str = "density",
) -> pd.DataFrame:
    """Entry and exit events of region x domain specialisations, one row per period.

    Parameters
    ----------
    domains : pandas.DataFrame
        Quarterly region x domain rows: ``run``, ``region``, ``domain``, ``step``, ``rca`` and
        the density column (every step of a run present, as the model's ``domains()`` table).
    horizon : int
        Quarters between period starts; an event is a crossing by ``t + horizon``.
    persist : int
        Quarters from ``t + horizon`` on that the new state must last.
    density : str
        The density column to carry (``density``, or a placebo density).

    Returns
    -------
    pandas.DataFrame
        ``run``, ``region``, ``domain``, ``step`` (the period start t), ``period``, ``rca``
        and ``density`` at t, ``specialised`` (RCA >= 1 at t), ``entry`` and ``exit``.
        Periods whose window runs past the last step are left out.
    """
    keys = ["run", "region", "domain"]
    frame = domains[[*keys, "step", "rca", density]].sort_values([*keys, "step"])
    rca = frame.groupby(keys, sort=False, observed=True)["rca"]
    ahead = [rca.shift(-(horizon + lag)) for lag in range(persist)]
    valid = ahead[-1].notna() & (frame["step"] % horizon == 0)
    above = np.logical_and.reduce([(values >= 1.0).to_numpy() for values in ahead])
    below = np.logical_and.reduce([(values < 1.0).to_numpy() for values in ahead])
    specialised = (frame["rca"] >= 1.0).to_numpy()
    panel = pd.DataFrame(
        {
            **{key: frame[key].to_numpy() for key in keys},
            "step": frame["step"].to_numpy(),
            "period": frame["step"].to_numpy() // horizon,
            "rca": frame["rca"].to_numpy(dtype=np.float64),
            "density": frame[density].to_numpy(dtype=np.float64),
            "specialised": specialised,
            "entry": ~specialised & above,
            "exit": specialised & below,
        }
    )
    return panel[valid.to_numpy()].reset_index(drop=True)


def within(
    values: np.ndarray, groups: list[np.ndarray], tolerance: float = 1e-10, max_sweeps: int = 500
) -> np.ndarray:
    """Remove crossed fixed effects by alternating demeaning.

    Parameters
    ----------
    values : numpy.ndarray
        (n,) or (n, k) variables to transform.
    groups : list of numpy.ndarray
        Integer codes (0..G-1) of each grouping, length n.
    tolerance : float
        Stop when a sweep changes no value by more than this (relative to the scale).
    max_sweeps : int
        Upper bound on sweeps.

    Returns
    -------
    numpy.ndarray
        The residual of ``values`` after projecting out every grouping's dummies.
    """
    out = np.array(values, dtype=np.float64, copy=True)
    flat = out.reshape(len(out), -1)
    counts = [np.bincount(codes) for codes in groups]
    scale = max(float(np.abs(flat).max()), 1.0) if flat.size else 1.0
    for _ in range(max_sweeps):
        change = 0.0
        for codes, count in zip(groups, counts, strict=True):
            for column in range(flat.shape[1]):
                means = np.bincount(codes, flat[:, column], minlength=len(count)) / np.maximum(
                    count, 1
                )
                step = means[codes]
                flat[:, column] -= step
                change = max(change, float(np.abs(step).max()))
        if change <= tolerance * scale:
            break
    return out


def estimate(
    panel: pd.DataFrame,
    event: str,
    control_rca: bool = False,
    density: str = "density",
) -> RelatednessEffect:
    """Linear probability model of an event on relatedness density, with fixed effects.

    Parameters
    ----------
    panel : pandas.DataFrame
        Rows of :func:`event_panel` (pooled over runs; ``run`` identifies the clusters).
    event : str
        ``entry`` (rows not specialised at t) or ``exit`` (rows specialised at t).
    control_rca : bool
        Whether log RCA at t enters as a control.
    density : str
        The density column.

    Returns
    -------
    RelatednessEffect
        The slope, its run-clustered standard error and the relative effects.
    """
    if event not in ("entry", "exit"):
        raise ValueError(f"event must be 'entry' or 'exit', not {event!r}")
    at_risk = panel[panel["specialised"] == (event == "exit")]
    y = at_risk[event].to_numpy(dtype=np.float64)
    columns = [at_risk[density].to_numpy(dtype=np.float64)]
    controls: tuple[str, ...] = ()
    if control_rca:
        columns.append(np.log(np.maximum(at_risk["rca"].to_numpy(dtype=np.float64), RCA_FLOOR)))
        controls = ("log_rca",)
    x = np.column_stack(columns)
    run_codes = pd.factorize(at_risk["run"])[0]
    cell = pd.factorize(
        at_risk["run"].astype(str)
        + "|"
        + at_risk["region"].astype(str)
        + "|"
        + at_risk["period"].astype(str)
    )[0]
    domain = pd.factorize(at_risk["domain"])[0]
    demeaned = within(np.column_stack([y, x]), [cell, domain])
    y_tilde, x_tilde = demeaned[:, 0], demeaned[:, 1:]
    xtx_inv = np.linalg.pinv(x_tilde.T @ x_tilde)
    beta = xtx_inv @ x_tilde.T @ y_tilde
    residual = y_tilde - x_tilde @ beta
    clusters = int(run_codes.max()) + 1 if len(run_codes) else 0
    scores = np.zeros((clusters, x_tilde.shape[1]))
    np.add.at(scores, run_codes, x_tilde * residual[:, None])
    meat = scores.T @ scores
    n, k = x_tilde.shape
    absorbed = int(cell.max()) + int(domain.max()) + 1 if n else 0
    correction = clusters / max(clusters - 1, 1) * (n - 1) / max(n - k - absorbed, 1)
    covariance = correction * xtx_inv @ meat @ xtx_inv
    slope, error = float(beta[0]), float(np.sqrt(max(covariance[0, 0], 0.0)))
    base = float(y.mean()) if n else float("nan")
    mean_density = float(columns[0].mean()) if n else float("nan")

    def relative(step: float) -> tuple[float, tuple[float, float]]:
        scale = step / base if base > 0 else float("nan")
        low, high = (slope - Z95 * error) * scale, (slope + Z95 * error) * scale
        return slope * scale, (float(low), float(high))

    tenth_of_mean, interval_mean = relative(0.1 * mean_density)
    tenth, interval_tenth = relative(0.1)
    return RelatednessEffect(
        event=event,
        coefficient=slope,
        std_error=error,
        base_rate=base,
        mean_density=mean_density,
        per_tenth_of_mean=tenth_of_mean,
        interval_tenth_of_mean=interval_mean,
        per_tenth=tenth,
        interval_tenth=interval_tenth,
        events=int(y.sum()),
        observations=int(n),
        clusters=clusters,
        controls=controls,
    )


def placebo_density(
    domains: pd.DataFrame, proximity: np.ndarray, names: list[str], rng: np.random.Generator
) -> np.ndarray:
    """Relatedness density of one run recomputed with a randomly permuted proximity matrix.

    Parameters
    ----------
    domains : pandas.DataFrame
        One run's quarterly rows (``step``, ``region``, ``domain``, ``rca``).
    proximity : numpy.ndarray
        The run's K x K proximity matrix, in the order of ``names``.
    names : list of str
        Domain names in matrix order.
    rng : numpy.random.Generator
        Draws the permutation of domains (one per run).

    Returns
    -------
    numpy.ndarray
        The placebo density of each row of ``domains``, in its row order.
    """
    order = rng.permutation(len(names))
    permuted = np.asarray(proximity)[np.ix_(order, order)]
    position = {name: index for index, name in enumerate(names)}
    column = domains["domain"].map(position).to_numpy()
    keys = domains[["step", "region"]].astype(str).agg("|".join, axis=1)
    cell = pd.factorize(keys)[0]
    held = np.zeros((int(cell.max()) + 1, len(names)))
    held[cell, column] = domains["rca"].to_numpy() >= 1.0
    dense = metrics.relatedness_density(held, permuted)
    return dense[cell, column]
