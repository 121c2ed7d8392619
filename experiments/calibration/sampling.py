"""Space-filling designs and samples of the non-implausible (NROY) region, on the unit cube.

Each wave's design is drawn from the NROY region left by the earlier waves. While that region
is a reasonable share of the box, uniform candidates are kept when the region contains them
(rejection sampling, Vernon et al. 2010, section 5). Once it is a tiny share, uniform draws
almost never land in it, and a random-walk Metropolis sampler with a uniform target on the
region takes over, started from points known to lie inside (Andrianakis et al. 2017 use such
a sampler for the same reason), with the proposal scaled by the 2.38^2/d rule (Gelman, Roberts
& Gilks 1996) and adapted during burn-in towards a 25 % acceptance rate (Haario, Saksman &
Tamminen 2001; Andrieu & Thoms 2008).

References
----------
Andrianakis, I., McCreesh, N., Vernon, I., et al. (2017). Efficient history matching of a high
dimensional individual-based HIV transmission model. SIAM/ASA Journal on Uncertainty
Quantification 5(1), 694-719.
Andrieu, C., Thoms, J. (2008). A tutorial on adaptive MCMC. Statistics and Computing 18(4),
343-373.
Gelman, A., Roberts, G. O., Gilks, W. R. (1996). Efficient Metropolis jumping rules. Bayesian
Statistics 5, 599-607.
Gonzalez, T. F. (1985). Clustering to minimize the maximum intercluster distance. Theoretical
Computer Science 38, 293-306.
Haario, H., Saksman, E., Tamminen, J. (2001). An adaptive Metropolis algorithm. Bernoulli
7(2), 223-242.
McKay, M. D., Beckman, R. J., Conover, W. J. (1979). A comparison of three methods for
selecting values of input variables in the analysis of output from a computer code.
Technometrics 21, 239-245.
Vernon, I., Goldstein, M., Bower, R. G. (2010). Galaxy formation: a Bayesian uncertainty
analysis. Bayesian Analysis 5(4), 619-669.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

__all__ = [
    "NroySample",
    "latin_hypercube",
    "maximin_subset",
    "sample_nroy",
    "volume_fraction",
]

#: A membership test of the NROY region: points (m, d) -> bool mask (m,).
Contains = Callable[[np.ndarray], np.ndarray]

#: Acceptance rate the proposal scale is adapted towards (0.234 is optimal for smooth
#: targets in many dimensions, a little more suits low dimensions).
TARGET_ACCEPTANCE = 0.25
#: Proposal standard deviation per input before adaptation, when too few known points give
#: a covariance; small, so that the first moves stay inside a small region.
INITIAL_STEP = 0.01
#: Burn-in steps: a fixed part plus a part per input.
BURN_IN_STEPS, BURN_IN_STEPS_PER_INPUT = 200, 50
#: The proposal's shape is re-estimated from the chains every this many burn-in steps.
SHAPE_EVERY = 50
#: Fewest steps between kept states of a chain; more in more dimensions.
MIN_THINNING = 5
#: Number of chains: about a quarter of the points wanted, within these bounds.
MIN_CHAINS, MAX_CHAINS = 4, 32
#: Uniform points judged at once in :func:`volume_fraction`.
VOLUME_BATCH = 50_000


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """A Latin hypercube sample (n, d) of the unit cube: each input's n strata of width 1/n
    hold one point each (McKay, Beckman & Conover 1979; scipy's ``qmc.LatinHypercube``)."""
    return qmc.LatinHypercube(d=d, rng=rng).random(n)


def maximin_subset(candidates: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` candidates that spread over the set: greedy farthest-point selection
    from a random first candidate, each next one the farthest from those chosen (Gonzalez
    1985), in O(n m) time for m candidates. All indices, shuffled, when n >= m."""
    points = np.asarray(candidates, dtype=float)
    count = len(points)
    if n >= count:
        return rng.permutation(count)
    chosen = np.empty(n, dtype=np.intp)
    if n == 0:
        return chosen
    chosen[0] = rng.integers(count)
    nearest = np.sum((points - points[chosen[0]]) ** 2, axis=1)
    for position in range(1, n):
        chosen[position] = int(np.argmax(nearest))
        distance = np.sum((points - points[chosen[position]]) ** 2, axis=1)
        np.minimum(nearest, distance, out=nearest)
    return chosen


@dataclass
class NroySample:
    """Points of the NROY region found by :func:`sample_nroy`.

    ``acceptance`` is the share of uniform candidates the region contained, ``evaluated`` how
    many points were judged in all (uniform candidates, known points and Metropolis
    proposals), ``method`` "rejection" or "mcmc", ``proposal_acceptance`` the Metropolis
    acceptance rate after burn-in (NaN without Metropolis).
    """

    points: np.ndarray
    acceptance: float
    evaluated: int
    method: str
    proposal_acceptance: float = math.nan

    @property
    def empty(self) -> bool:
        return len(self.points) == 0


def _judge(contains: Contains, points: np.ndarray) -> np.ndarray:
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(contains(points), dtype=bool)


def sample_nroy(
    contains: Contains,
    dims: int,
    wanted: int,
    rng: np.random.Generator,
    *,
    known: np.ndarray | None = None,
    max_candidates: int = 200_000,
    batch: int = 20_000,
    mcmc_below: float = 1e-3,
) -> NroySample:
    """Draw ``wanted`` points of the NROY region of the unit box [0, 1]^dims.

    Uniform candidates are drawn ``batch`` at a time and kept when ``contains`` accepts them,
    until ``wanted`` are kept or ``max_candidates`` were tried. After any batch where the
    acceptance rate so far is below ``mcmc_below``, or when the candidates run out short of
    ``wanted``, Metropolis chains supply the rest if some NROY points are known: the points
    kept so far and those of ``known`` (k, d) that the region still contains (e.g. the last
    wave's sample). The chains explore the connected parts of the region they start in, so
    starts are spread over the known points. Nothing accepted and nothing known gives an
    empty sample.

    Returns
    -------
    NroySample
        Uniform draws first, then Metropolis states in step order (chains interleaved).
    """
    known_points = np.zeros((0, dims)) if known is None else np.asarray(known, dtype=float)
    known_inside: np.ndarray | None = None  # judged only if the chains are needed
    kept: list[np.ndarray] = []
    found = tried = 0
    while found < wanted and tried < max_candidates:
        size = min(batch, max_candidates - tried)
        candidates = rng.random((size, dims))
        kept.append(candidates[_judge(contains, candidates)])
        found, tried = found + len(kept[-1]), tried + size
        if found < wanted and found < mcmc_below * tried:
            if known_inside is None:
                known_inside = known_points[_judge(contains, known_points.reshape(-1, dims))]
            if found or len(known_inside):
                break  # so rare that chains from these points do better
    accepted = np.concatenate(kept)[:wanted] if kept else np.zeros((0, dims))
    acceptance = found / tried if tried else math.nan
    if known_inside is None and found < wanted:
        known_inside = known_points[_judge(contains, known_points.reshape(-1, dims))]
    evaluated = tried + (0 if known_inside is None else len(known_points))
    seeds = accepted if known_inside is None else np.vstack([known_inside, accepted])
    if found >= wanted or len(seeds) == 0:
        return NroySample(accepted, acceptance, evaluated, "rejection")
    chained, proposals, rate = _metropolis(
        contains, seeds, wanted - len(accepted), rng, budget=max_candidates
    )
    points = np.vstack([accepted, chained])
    return NroySample(points, acceptance, evaluated + proposals, "mcmc", rate)


def _initial_shape(seeds: np.ndarray) -> np.ndarray:
    """Proposal covariance before adaptation: that of the known points when they are enough
    to estimate it, else a small isotropic one."""
    dims = seeds.shape[1]
    small = INITIAL_STEP**2 * np.eye(dims)
    if len(seeds) <= dims:
        return small
    return np.cov(seeds, rowvar=False) + 1e-6 * small


def _metropolis(
    contains: Contains, seeds: np.ndarray, wanted: int, rng: np.random.Generator, budget: int
) -> tuple[np.ndarray, int, float]:
    """Random-walk Metropolis with a uniform target on the region: a Gaussian proposal is
    accepted iff it lies in the box and the region. Returns the kept states (up to
    ``wanted``), the proposals judged and the acceptance rate after burn-in.

    Burn-in adapts the proposal (Robbins-Monro on its log scale towards
    :data:`TARGET_ACCEPTANCE`, its shape re-estimated from the chains' states); the proposal
    is then frozen, so that the kept states come from a proper Metropolis chain."""
    dims = seeds.shape[1]
    chains = int(np.clip(wanted // 4, MIN_CHAINS, MAX_CHAINS))
    if len(seeds) >= chains:
        starts = seeds[maximin_subset(seeds, chains, rng)]
    else:
        starts = seeds[rng.integers(len(seeds), size=chains)]
    position = starts.copy()
    shape = _initial_shape(seeds)
    log_scale = 0.0
    base = 2.38**2 / dims
    burn_in = BURN_IN_STEPS + BURN_IN_STEPS_PER_INPUT * dims
    thinning = max(MIN_THINNING, 2 * dims)
    history: list[np.ndarray] = []
    kept: list[np.ndarray] = []
    proposals = moves = sampled = 0
    step = 0
    while sum(len(states) for states in kept) < wanted and proposals < budget:
        factor = np.linalg.cholesky(base * math.exp(2 * log_scale) * shape)
        proposal = position + rng.standard_normal((chains, dims)) @ factor.T
        in_box = np.all((proposal >= 0) & (proposal <= 1), axis=1)
        accept = np.zeros(chains, dtype=bool)
        accept[in_box] = _judge(contains, proposal[in_box])
        proposals += int(in_box.sum())
        position[accept] = proposal[accept]
        step += 1
        if step <= burn_in:
            log_scale += (accept.mean() - TARGET_ACCEPTANCE) / math.sqrt(1 + step / 10)
            history.append(position.copy())
            if step % SHAPE_EVERY == 0:
                recent = np.concatenate(history[len(history) // 2 :])
                # The floor keeps the proposal alive while the chains have not moved yet.
                floor = (1e-3 * INITIAL_STEP) ** 2 * np.eye(dims)
                shape = np.cov(recent, rowvar=False) + floor
        else:
            moves, sampled = moves + int(accept.sum()), sampled + chains
            if (step - burn_in) % thinning == 0:
                kept.append(position.copy())
    states = np.concatenate(kept)[:wanted] if kept else np.zeros((0, dims))
    return states, proposals, moves / sampled if sampled else math.nan


def volume_fraction(
    contains: Contains, dims: int, samples: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Monte Carlo share of the unit box inside the region, and its standard error
    sqrt(p (1 - p) / samples), from ``samples`` uniform points."""
    inside = 0
    for start in range(0, samples, VOLUME_BATCH):
        size = min(VOLUME_BATCH, samples - start)
        inside += int(_judge(contains, rng.random((size, dims))).sum())
    share = inside / samples
    return share, math.sqrt(share * (1 - share) / samples)
