"""Implausibility of parameter points and the non-implausible (NROY) region of history matching.

A point x is implausible for a target when the emulator's expectation of the model's output
is too far from the observation, measured in standard deviations of every uncertainty that
separates the two (Vernon, Goldstein & Bower 2010, section 4.1)::

    I(x) = |z - E[f(x)]| / sqrt(Var_obs + Var_disc + Var_emulator(x) + Var_ensemble(x))

Var_ensemble is the variance of a single run, not of a mean of R runs, because the observed
world is one realisation of the stochastic process (Andrianakis et al. 2015, eq. 3). Targets
are combined by the maximum implausibility, or by the second largest when there are enough
targets for one bad emulator or odd observation not to cut on its own (Vernon et al. 2010,
section 4.2). Points are "not ruled out yet" (NROY) when this measure is at most the cut-off
(3, after Pukelsheim's three-sigma rule) under every wave so far.

References
----------
Andrianakis, I., Vernon, I. R., McCreesh, N., et al. (2015). Bayesian history matching of
complex infectious disease models using emulation. PLoS Computational Biology 11(1), e1003968.
Pukelsheim, F. (1994). The three sigma rule. The American Statistician 48(2), 88-91.
Vernon, I., Goldstein, M., Bower, R. G. (2010). Galaxy formation: a Bayesian uncertainty
analysis. Bayesian Analysis 5(4), 619-669.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .emulator import Emulator

__all__ = [
    "SECOND_MAXIMUM_FROM",
    "NroyRegion",
    "Wave",
    "cut_measure",
    "cut_measure_name",
    "implausibility",
]

#: With at least this many usable targets the cut uses the second-largest implausibility.
SECOND_MAXIMUM_FROM = 5
#: Candidates judged at once, which bounds the emulators' cross-covariance matrices.
CHUNK = 10_000


def implausibility(
    observed: np.ndarray,
    variance_observed: np.ndarray,
    variance_discrepancy: np.ndarray,
    emulator_mean: np.ndarray,
    emulator_variance: np.ndarray,
    run_variance: np.ndarray,
) -> np.ndarray:
    """Implausibility I = |z - E[f(x)]| / sqrt(Var_obs + Var_disc + Var_em(x) + Var_ens(x)).

    Parameters
    ----------
    observed, variance_observed, variance_discrepancy
        Per target (T,): z, Var_obs and Var_disc.
    emulator_mean, emulator_variance, run_variance
        Per point and target (m, T): E[f(x)], Var_emulator(x) and the variance of one run,
        Var_ensemble(x).

    Returns
    -------
    numpy.ndarray
        I broadcast to (m, T); 0 where numerator and denominator are both 0 and inf where
        only the denominator is.

    References
    ----------
    Vernon, Goldstein & Bower (2010), eq. 4.1; Andrianakis et al. (2015), eq. 3.
    """
    distance = np.abs(np.asarray(observed, dtype=float) - np.asarray(emulator_mean, dtype=float))
    variance = (
        np.asarray(variance_observed, dtype=float)
        + np.asarray(variance_discrepancy, dtype=float)
        + np.asarray(emulator_variance, dtype=float)
        + np.asarray(run_variance, dtype=float)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        measure = distance / np.sqrt(variance)
    # An exact match with no uncertainty at all is plausible, not undefined.
    return np.where(distance == 0, 0.0, measure)


def cut_measure(implausibilities: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """The implausibility that decides the cut, per point (m,).

    The largest I over usable targets when fewer than :data:`SECOND_MAXIMUM_FROM` are usable,
    else the second largest (Vernon et al. 2010, section 4.2); zeros when no target is usable,
    as nothing can then be ruled out. A NaN implausibility counts as 0: it is no evidence.
    """
    values = np.atleast_2d(np.asarray(implausibilities, dtype=float))
    usable = np.asarray(usable, dtype=bool)
    count = int(usable.sum())
    if count == 0:
        return np.zeros(len(values))
    kept = np.nan_to_num(values[:, usable], nan=0.0, posinf=np.inf)
    if count < SECOND_MAXIMUM_FROM:
        return kept.max(axis=1)
    return np.partition(kept, count - 2, axis=1)[:, count - 2]


def cut_measure_name(usable: int) -> str:
    """What :func:`cut_measure` takes with ``usable`` targets, in words."""
    if usable < SECOND_MAXIMUM_FROM:
        return "largest implausibility"
    return "second-largest implausibility"


@dataclass
class Wave:
    """One wave's emulators, per target (None when none was fitted), and which of them cut
    (``usable``, False for targets whose emulator failed validation)."""

    emulators: list[Emulator | None]
    usable: np.ndarray

    def fitted(self) -> np.ndarray:
        """Targets with an emulator in this wave."""
        return np.array([emulator is not None for emulator in self.emulators], dtype=bool)

    def cutting(self) -> np.ndarray:
        """Targets that cut in this wave: usable and with an emulator."""
        return self.fitted() & self.usable


class NroyRegion:
    """The non-implausible region after the waves so far.

    Parameters
    ----------
    observed, variance_observed, variance_discrepancy
        Per target (T,): z, Var_obs and Var_disc.
    cutoff
        Points with a cut measure above this are ruled out.
    waves
        Waves already run, oldest first (more are added with :meth:`add_wave`).
    """

    def __init__(
        self,
        observed: Sequence[float] | np.ndarray,
        variance_observed: Sequence[float] | np.ndarray,
        variance_discrepancy: Sequence[float] | np.ndarray,
        *,
        cutoff: float = 3.0,
        waves: Sequence[Wave] = (),
    ) -> None:
        self.observed = np.asarray(observed, dtype=float)
        self.variance_observed = np.asarray(variance_observed, dtype=float)
        self.variance_discrepancy = np.asarray(variance_discrepancy, dtype=float)
        shapes = {self.observed.shape, self.variance_observed.shape}
        if len(shapes | {self.variance_discrepancy.shape}) != 1 or self.observed.ndim != 1:
            raise ValueError("observed and both variances must be vectors of the same length")
        self.cutoff = float(cutoff)
        self.waves: list[Wave] = []
        for wave in waves:
            self.add_wave(wave.emulators, wave.usable)

    @property
    def targets(self) -> int:
        return len(self.observed)

    def add_wave(self, emulators: Sequence[Emulator | None], usable: Sequence[bool]) -> None:
        """Append a wave: one emulator (or None) per target and the usable mask (T,)."""
        usable_mask = np.asarray(usable, dtype=bool)
        if len(emulators) != self.targets or usable_mask.shape != (self.targets,):
            raise ValueError(
                f"a wave needs one emulator and one usable flag per target ({self.targets})"
            )
        self.waves.append(Wave(list(emulators), usable_mask))

    def _implausibility(self, x: np.ndarray, wave: Wave, targets: np.ndarray) -> np.ndarray:
        """(m, T) under ``wave`` for the chosen targets, NaN elsewhere."""
        shape = (len(x), self.targets)
        mean, variance, run_variance = np.full(shape, np.nan), np.zeros(shape), np.zeros(shape)
        for index in np.flatnonzero(targets):
            emulator = wave.emulators[index]
            mean[:, index], variance[:, index] = emulator.predict(x)
            run_variance[:, index] = emulator.run_variance(x)
        return implausibility(
            self.observed,
            self.variance_observed,
            self.variance_discrepancy,
            mean,
            variance,
            run_variance,
        )

    def _wave(self, wave: int) -> Wave:
        if not self.waves:
            raise ValueError("the region has no wave yet")
        return self.waves[wave]

    def implausibility(self, x: np.ndarray, *, wave: int = -1) -> np.ndarray:
        """Implausibility (m, T) of every target with an emulator under a wave (default the
        latest), usable or not; NaN for targets without one."""
        chosen = self._wave(wave)
        return self._implausibility(np.asarray(x, dtype=float), chosen, chosen.fitted())

    def measure(self, x: np.ndarray, *, wave: int = -1) -> np.ndarray:
        """Cut measure (m,) under a wave (default the latest): see :func:`cut_measure`."""
        chosen = self._wave(wave)
        cutting = chosen.cutting()
        values = self._implausibility(np.asarray(x, dtype=float), chosen, cutting)
        return cut_measure(values, cutting)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask (m,): points not ruled out by any wave so far.

        A point cut in an earlier wave stays cut, whatever later emulators say. Candidates
        are judged in chunks of :data:`CHUNK`, and each wave only judges the points every
        earlier wave kept, so millions of candidates fit in memory.
        """
        points = np.asarray(x, dtype=float)
        inside = np.ones(len(points), dtype=bool)
        for start in range(0, len(points), CHUNK):
            chunk = slice(start, start + CHUNK)
            kept = inside[chunk]
            for wave in range(len(self.waves)):
                alive = np.flatnonzero(kept)
                if alive.size == 0:
                    break
                kept[alive] = self.measure(points[chunk][alive], wave=wave) <= self.cutoff
        return inside

    def with_discrepancy_factor(self, factor: float) -> NroyRegion:
        """A copy with every Var_disc multiplied by ``factor`` (the same emulators), to show
        how the region depends on the discrepancy allowed."""
        region = copy.copy(self)
        region.variance_discrepancy = self.variance_discrepancy * float(factor)
        region.waves = list(self.waves)
        return region
