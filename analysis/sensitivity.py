"""Global sensitivity analysis of stored sweep results with SALib's analyzers.

The samples were drawn by SALib's samplers (``smartspec.experiments``); this module hands the
stored outcomes back to ``SALib.analyze.sobol`` and ``SALib.analyze.morris`` — the indices and
their bootstrap confidence intervals are SALib's, not re-implemented here.

For a stochastic model every design point may have several replications: the analysis uses
the replication mean per point, and :func:`replication_noise` says how much of the outcome's
variance is noise between replications (which the indices cannot attribute to parameters).

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181, 259-270.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161-174. Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective
screening design for sensitivity analysis of large models. Env. Modelling & Software 22.
Herman, J., Usher, W. (2017). SALib: an open-source Python library for sensitivity analysis.
Journal of Open Source Software 2(9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from smartspec.scenarios import SmartSpecError

__all__ = [
    "BOOTSTRAP_SEED",
    "MorrisResult",
    "SensitivityError",
    "SobolResult",
    "morris_indices",
    "point_means",
    "replication_noise",
    "sobol_convergence",
    "sobol_indices",
]


class SensitivityError(SmartSpecError):
    """Results that a sensitivity analysis cannot use (one line)."""


#: Seed of the bootstrap behind every confidence interval of the indices: the same folder
#: gives the same intervals in every process. It is recorded in the ``bootstrap_seed``
#: column of the index tables.
BOOTSTRAP_SEED = 0


@dataclass
class SobolResult:
    """First-order and total indices per parameter (with confidence half-widths), second-order
    indices per pair, and the replication-noise share of the outcome's variance."""

    outcome: str
    indices: pd.DataFrame
    second_order: pd.DataFrame | None
    noise_share: float
    samples: int
    bootstrap_seed: int = BOOTSTRAP_SEED


@dataclass
class MorrisResult:
    outcome: str
    indices: pd.DataFrame
    noise_share: float
    trajectories: int


def _design(provenance: dict[str, Any], kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    design = provenance.get("design") or {}
    problem = provenance.get("salib_problem")
    if design.get("design") != kind or not problem:
        raise SensitivityError(
            f"these results come from a {design.get('design', 'unknown')!r} design; "
            f"a {kind} analysis needs a {kind} sample"
        )
    return design, problem


def point_means(outcomes: pd.DataFrame, inputs: pd.DataFrame, outcome: str) -> np.ndarray:
    """Replication mean of ``outcome`` per design point, in design order.

    Raises if a point has no successful run: SALib's analyzers need the complete sample.
    """
    if outcome not in outcomes.columns:
        known = sorted(set(outcomes.columns) - set(inputs.columns) - {"seconds"})
        raise SensitivityError(f"no outcome {outcome!r} (outcomes: {', '.join(known)})")
    means = outcomes.groupby("point")[outcome].mean()
    points = np.sort(inputs["point"].unique())
    missing = np.setdiff1d(points, means.index.to_numpy())
    if len(missing):
        raise SensitivityError(
            f"{len(missing)} design points have no successful run (e.g. point {missing[0]}); "
            "the analysis needs the complete sample: resume or re-run the failed runs"
        )
    return means.loc[points].to_numpy(dtype=np.float64)


def replication_noise(outcomes: pd.DataFrame, outcome: str) -> float:
    """Share of the outcome's variance that lies between replications of the same point
    (mean within-point variance / total variance); NaN with one replication per point."""
    counts = outcomes.groupby("point")[outcome].count()
    if counts.max() < 2:
        return float("nan")
    within = outcomes.groupby("point")[outcome].var(ddof=1).mean()
    total = outcomes[outcome].var(ddof=1)
    return float(within / total) if total > 0 else 0.0


def sobol_indices(
    results,
    outcome: str,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
    samples: int | None = None,
) -> SobolResult:
    """Sobol indices of ``outcome`` from a Sobol sweep (``results`` from ``load_results``).

    ``samples`` analyses only the first ``samples`` base samples (a valid smaller Saltelli
    design), used by :func:`sobol_convergence`. ``seed`` (any integer, 0 included) seeds the
    bootstrap of the intervals; the tables record it in column ``bootstrap_seed``.
    """
    from SALib.analyze import sobol

    design, problem = _design(results.provenance, "sobol")
    second = bool(design.get("calc_second_order", True))
    dimensions = problem["num_vars"]
    block = 2 * dimensions + 2 if second else dimensions + 2
    y = point_means(results.outcomes, results.inputs, outcome)
    base = len(y) // block
    n = base if samples is None else min(samples, base)
    y = y[: n * block]
    analysis = sobol.analyze(
        problem,
        y,
        calc_second_order=second,
        num_resamples=num_resamples,
        conf_level=conf_level,
        # SALib seeds its bootstrap only when ``seed`` is truthy (0 means "unseeded"); a
        # generator is always used as given.
        seed=np.random.default_rng(seed),
    )
    indices = pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": analysis["S1"],
            "S1_conf": analysis["S1_conf"],
            "ST": analysis["ST"],
            "ST_conf": analysis["ST_conf"],
            "bootstrap_seed": seed,
        }
    ).sort_values("ST", ascending=False, ignore_index=True)
    pairs = None
    if second:
        names = problem["names"]
        rows = [
            {
                "parameter_1": names[i],
                "parameter_2": names[j],
                "S2": analysis["S2"][i, j],
                "S2_conf": analysis["S2_conf"][i, j],
            }
            for i in range(dimensions)
            for j in range(i + 1, dimensions)
        ]
        pairs = pd.DataFrame(rows).sort_values("S2", ascending=False, ignore_index=True)
    return SobolResult(
        outcome=outcome,
        indices=indices,
        second_order=pairs,
        noise_share=replication_noise(results.outcomes, outcome),
        samples=n,
        bootstrap_seed=seed,
    )


def sobol_convergence(results, outcome: str, seed: int = BOOTSTRAP_SEED) -> pd.DataFrame:
    """S1 and ST of every parameter at N/8, N/4, N/2 and N base samples: indices that still
    move between the last two sizes have not converged."""
    design, problem = _design(results.provenance, "sobol")
    total = int(design["N"])
    rows = []
    for n in sorted({max(2, total // 8), max(2, total // 4), max(2, total // 2), total}):
        result = sobol_indices(results, outcome, num_resamples=200, seed=seed, samples=n)
        for record in result.indices.itertuples():
            rows.append(
                {"samples": n, "parameter": record.parameter, "S1": record.S1, "ST": record.ST}
            )
    return pd.DataFrame(rows)


def morris_indices(
    results,
    outcome: str,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
) -> MorrisResult:
    """Morris elementary-effects statistics (mu*, its confidence half-width, sigma, mu) of
    ``outcome`` from a Morris sweep."""
    from SALib.analyze import morris

    design, problem = _design(results.provenance, "morris")
    y = point_means(results.outcomes, results.inputs, outcome)
    points = (
        results.inputs.drop_duplicates("point").sort_values("point")[problem["names"]]
    ).to_numpy(dtype=np.float64)
    analysis = morris.analyze(
        problem,
        points,
        y,
        num_resamples=num_resamples,
        conf_level=conf_level,
        num_levels=int(design.get("levels", 4)),
        seed=seed,
    )
    indices = pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu_star": analysis["mu_star"],
            "mu_star_conf": analysis["mu_star_conf"],
            "sigma": analysis["sigma"],
            "mu": analysis["mu"],
            "bootstrap_seed": seed,
        }
    ).sort_values("mu_star", ascending=False, ignore_index=True)
    return MorrisResult(
        outcome=outcome,
        indices=indices,
        noise_share=replication_noise(results.outcomes, outcome),
        trajectories=int(design["N"]),
    )
