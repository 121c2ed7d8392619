"""Live-parameter check: every numeric scenario field moves some output beyond seed noise.

A parameter that the model reads but that changes nothing would let a sweep, a sensitivity
analysis or a calibration "fit" a number that does nothing. The check moves one parameter at a
time between the two ends of its range and asks whether any indicator of the registry changes
by more than seed noise.

Rule (docs/validation.md, "Live parameters"):

- **Fields.** Every numeric field of the scenario schema (:func:`numeric_fields`, walked from
  the schema, not listed by hand), except the non-behavioural ones of :data:`EXEMPT`, each
  with its reason.
- **Range.** The calibration's prior: the default x (1 +/- ``spread``), each end pulled inside
  the schema's range (:func:`smartspec.experiments.calibration.screening.default_prior`, the
  range the calibration screens over); integer fields get whole-number ends.
- **Runs.** The same seeds at both ends (common random numbers), in a scenario where the
  parameter applies (chosen by the caller).
- **Outputs.** Every numeric indicator of the registry (``EcosystemModel.indicators()``),
  per region, as its value in the last quarter and its mean over the run; with peer review,
  also each region's review scores per RIS3 step, averaged over the rounds.
- **Verdict.** For every output the paired differences between the ends over the seeds give
  t = mean / standard error. The parameter is live when the largest |t| exceeds
  :data:`STANDARD_ERRORS` (2) *and* the outputs as a family moved beyond noise. With hundreds
  of outputs some exceed 2 standard errors by chance alone, so two family statistics are
  compared with their sign-flip distributions (swapping a seed's two ends flips the sign of
  its differences; Westfall and Young 1993): the largest |t| (one output moves) and the sum
  over outputs of the squared mean difference in units of each output's spread over all runs
  (many outputs move a little). The smaller p-value, doubled (Bonferroni over the two), must
  be at most :data:`FAMILY_ALPHA`. The sign-flip tests are exact whatever the correlation
  between outputs and fail a parameter that only shifts the random stream (bit-for-bit
  differences do not count). With 8 seeds there are 256 sign patterns, so the smallest
  p-value is 2 x 2/256. With more seeds than all patterns can be enumerated for
  (2^seeds > :data:`SIGN_PATTERNS`), the p-values come from the observed pattern plus
  :data:`SIGN_PATTERNS` patterns drawn at random with a fixed seed, (1 + number of drawn
  patterns at least as extreme) / (1 + drawn): a Monte Carlo sign-flip test, still valid
  (a parameter that changes nothing gets p <= alpha with probability at most alpha) whatever
  the draw.
- **Primary output.** A parameter the family-wise verdict does not show live can be tested on
  one output declared in advance, the one its mechanism acts on directly
  (:func:`primary_verdict`): a single hypothesis, so |t| > :data:`STANDARD_ERRORS` and a
  sign-flip p-value at most :data:`FAMILY_ALPHA` suffice.

References
----------
Westfall, P. H., Young, S. S. (1993). Resampling-Based Multiple Testing. Wiley.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from smartspec.model import EcosystemModel
from smartspec.scenarios import load_scenario

from .calibration.screening import default_prior

__all__ = [
    "EXEMPT",
    "FAMILY_ALPHA",
    "SIGN_PATTERNS",
    "STANDARD_ERRORS",
    "Liveness",
    "exempt_reason",
    "numeric_fields",
    "paired_outputs",
    "paired_verdict",
    "primary_verdict",
    "range_ends",
    "run_outputs",
]

#: The largest output change must exceed this many standard errors of seed noise.
STANDARD_ERRORS = 2.0
#: Family-wise error rate of the sign-flip max-|t| test over all outputs of a parameter.
FAMILY_ALPHA = 0.05
#: Sign patterns drawn for the sign-flip tests when there are more than this many (2^seeds);
#: with fewer, all are used.
SIGN_PATTERNS = 4096
#: Seed of the draw of sign patterns: fixed, so that a verdict is reproducible.
_PATTERN_SEED = 1993
#: Columns of the indicator table that identify a row, not outputs.
_KEYS = ("step", "region")

#: Numeric scenario fields that are not behavioural, each with the reason (glob patterns of
#: dotted paths). Everything else the schema declares must be live.
EXEMPT: dict[str, str] = {
    "steps": "length of the output, not behaviour",
    "knowledge.seed": "seed of the input-data generator: a different draw, not a different "
    "behaviour",
    "regions.*.firms": "simulated firms: the speed/precision knob (intensive results must "
    "not depend on it; tests/test_scale.py)",
    "regions.*.position": "map coordinates (a pair, not a range); the distance effect is "
    "interregional.distance_decay's",
    "mix.*": "the policy mix under study (budget shares and phases), not a coefficient; the "
    "money each instrument gets shows in its committed and absorbed indicators",
    "region_mixes.*": "per-region policy mixes, as mix",
}


def exempt_reason(path: str) -> str | None:
    """Why ``path`` is exempt from the check (None when it must be live)."""
    for pattern, reason in EXEMPT.items():
        if fnmatch.fnmatchcase(path, pattern):
            return reason
    return None


def numeric_fields(scenario: str | BaseModel) -> dict[str, Any]:
    """Dotted path -> value of every numeric field of a scenario (integers and decimals, not
    booleans; pairs of numbers as tuples), walked from the schema: nested tables, tables
    keyed by instrument or governance, and lists of tables (``regions.0.``)."""
    loaded = load_scenario(scenario) if isinstance(scenario, str) else scenario
    found: dict[str, Any] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return
        if isinstance(value, int | float):
            found[path] = value
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                visit(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit(item, f"{path}.{getattr(key, 'value', key)}")
        elif isinstance(value, tuple) and all(isinstance(item, int | float) for item in value):
            found[path] = value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, f"{path}.{index}")

    visit(loaded, "")
    return found


def range_ends(
    scenario: str, path: str, default: float | int, spread: float
) -> tuple[float | int, float | int] | None:
    """The two ends of the calibration prior of ``path``: default x (1 +/- spread) inside
    the schema (whole numbers for integer fields); None when the schema leaves no room."""
    prior = default_prior(scenario, path, default, spread)
    if prior is None:
        return None
    low, high = prior.range
    if prior.integer:
        return int(low), int(high)
    return low, high


def run_outputs(model: Any, steps: int) -> pd.Series:
    """Run ``model`` for ``steps`` quarters; every numeric indicator per region as its last
    value (``end:``) and its mean over the run (``mean:``)."""
    model.run_for(steps)
    table = model.indicators()
    columns = [
        column
        for column in table.columns
        if column not in _KEYS and pd.api.types.is_numeric_dtype(table[column])
    ]
    by_region = table.groupby("region")[columns]
    end = by_region.last().stack()
    mean = by_region.mean().stack()
    end.index = [f"end:{column}:{region}" for region, column in end.index]
    mean.index = [f"mean:{column}:{region}" for region, column in mean.index]
    found = [end, mean]
    if model.peer_reviews:
        # The peer-review reports are output too: their scores per RIS3 step, averaged over
        # the rounds.
        reviews = pd.DataFrame(model.peer_reviews)
        scores = [column for column in reviews.columns if column.startswith("score: ")]
        review = reviews.groupby("region")[scores].mean().stack()
        review.index = [f"review:{column}:{region}" for region, column in review.index]
        found.append(review)
    return pd.concat(found).astype(float)


@dataclass(frozen=True)
class Liveness:
    """The verdict for one parameter: the output that moved most, its |t|, the sign-flip
    p-value of that largest |t| over all outputs, and whether the parameter is live."""

    output: str
    t: float
    p_value: float
    live: bool


def _abs_t(differences: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """|t| of each output (columns of ``differences``, seeds in rows) under each row of
    ``signs``; a difference with no spread is infinitely significant unless it is zero."""
    seeds = differences.shape[0]
    means = signs @ differences / seeds
    # Flipping signs leaves the sum of squares unchanged.
    squares = np.einsum("so,so->o", differences, differences)
    variance = np.maximum(squares - seeds * means**2, 0.0) / (seeds - 1)
    error = np.sqrt(variance / seeds)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(means) / error
    return np.where(means == 0.0, 0.0, np.where(error > 0.0, t, np.inf))


def _sign_patterns(seeds: int, patterns: int) -> np.ndarray:
    """Sign patterns (rows, a sign per seed), the observed one (all +1) first: all 2^seeds of
    them if there are at most ``patterns``, else the observed one and ``patterns`` drawn
    uniformly with replacement from a generator of fixed seed."""
    if 2**seeds <= patterns:
        return np.array(list(itertools.product((1.0, -1.0), repeat=seeds)))
    drawn = np.random.default_rng(_PATTERN_SEED).choice((1.0, -1.0), size=(patterns, seeds))
    return np.vstack([np.ones((1, seeds)), drawn])


def _shift_statistic(differences: np.ndarray, scale: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Sum over outputs of the squared mean difference in units of the output's spread, under
    each row of ``signs`` (a sign per seed)."""
    means = signs @ differences / differences.shape[0]
    return np.einsum("po,po->p", means / scale, means / scale)


def _usable(both: pd.DataFrame) -> pd.Index:
    """Outputs (columns of both ends' runs stacked) finite in every run and not equal in all:
    a missing or constant output says nothing about a move."""
    return both.columns[both.notna().all() & (both.std(ddof=1) > 0.0)]


def paired_verdict(
    high: pd.DataFrame, low: pd.DataFrame, patterns: int = SIGN_PATTERNS
) -> Liveness:
    """Is the move from ``low`` to ``high`` (outputs in columns, one row per seed, the same
    seeds in the same order) beyond seed noise? Outputs missing or not finite at either end
    in any seed are left out, and so are outputs equal in every run.

    Two family statistics, each against its sign-flip distribution (swapping a seed's two
    ends flips the sign of its differences and leaves each output's spread unchanged), so
    each p-value is exact for a parameter that changes nothing but the random stream, whatever
    the correlation between outputs: the largest |t| (powerful when one output moves) and the
    sum over outputs of (mean difference / s.d. of the output over all runs of both ends)^2
    (powerful when many move a little). The reported p-value is the smaller, doubled
    (Bonferroni over the two). Every sign pattern is used when there are at most
    ``patterns`` (2^seeds), else the observed one and ``patterns`` drawn at random: each
    p-value is then the Monte Carlo one, (1 + drawn patterns at least as extreme) / (1 + drawn),
    valid as well."""
    both = pd.concat([high, low]).replace([np.inf, -np.inf], np.nan)
    usable = _usable(both)
    if len(usable) == 0 or len(high) < 2:
        return Liveness("", 0.0, 1.0, False)
    values = (high[usable] - low[usable]).to_numpy()
    scale = both[usable].std(ddof=1).to_numpy()
    # Either way the observed pattern is one of the rows, so each p-value is at least
    # 1 / rows.
    signs = _sign_patterns(len(values), patterns)
    identity = np.ones((1, len(values)))
    t = _abs_t(values, identity)[0]
    best = int(np.argmax(t))
    largest = _abs_t(values, signs).max(axis=1)
    shift = _shift_statistic(values, scale, signs)
    observed_shift = _shift_statistic(values, scale, identity)[0]
    # A relative tolerance, so that rounding does not rank the observed sign pattern below
    # an equal one.
    p_largest = float(np.mean(largest >= t[best] * (1.0 - 1e-12)))
    p_shift = float(np.mean(shift >= observed_shift * (1.0 - 1e-12)))
    p_value = min(1.0, 2.0 * min(p_largest, p_shift))
    live = bool(t[best] > STANDARD_ERRORS and p_value <= FAMILY_ALPHA)
    return Liveness(str(usable[best]), float(t[best]), p_value, live)


def primary_verdict(
    high: pd.DataFrame, low: pd.DataFrame, output: str, patterns: int = SIGN_PATTERNS
) -> Liveness:
    """Is the move from ``low`` to ``high`` beyond seed noise in one output declared in
    advance, the one the parameter's mechanism acts on directly? A single hypothesis, so no
    family correction: live when |t| of the paired differences exceeds
    :data:`STANDARD_ERRORS` and its sign-flip p-value (all patterns, or the Monte Carlo one
    from ``patterns`` drawn, as :func:`paired_verdict`) is at most :data:`FAMILY_ALPHA`. An
    output missing or not finite in any run, or equal in every run, is not live."""
    both = pd.concat([high, low]).replace([np.inf, -np.inf], np.nan)
    if output not in _usable(both) or len(high) < 2:
        return Liveness(output, 0.0, 1.0, False)
    values = (high[output] - low[output]).to_numpy()[:, None]
    signs = _sign_patterns(len(values), patterns)
    t = float(_abs_t(values, np.ones((1, len(values))))[0, 0])
    flipped = _abs_t(values, signs)[:, 0]
    p_value = float(np.mean(flipped >= t * (1.0 - 1e-12)))
    live = bool(t > STANDARD_ERRORS and p_value <= FAMILY_ALPHA)
    return Liveness(output, t, p_value, live)


def paired_outputs(
    scenario: str,
    overrides: dict[str, Any],
    path: str,
    ends: tuple[float | int, float | int],
    seeds: list[int],
    steps: int,
    input_draws: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The outputs (:func:`run_outputs`, one row per seed) of ``scenario`` with
    ``overrides`` and ``path`` at each of its ``ends``, on the same ``seeds``, for ``steps``
    quarters. With ``input_draws`` each seed also draws its own synthetic input data
    (``knowledge.seed``), the same at both ends: for the input generator's fields, whose
    effect on one draw is that draw's."""
    at_end = []
    for value in ends:
        settings = {**overrides, path: value}
        rows = []
        for seed in seeds:
            drawn = {"knowledge.seed": seed} if input_draws else {}
            model = EcosystemModel(scenario, rng=seed, **settings, **drawn)
            rows.append(run_outputs(model, steps))
        at_end.append(pd.DataFrame(rows, index=list(seeds)))
    low, high = at_end
    return low.reindex(columns=high.columns), high
