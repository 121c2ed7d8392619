"""One wave of history matching: emulate every target, validate, cut, sample what is left.

A wave's runs are reduced to one row per design point (the mean of its replications, the
variance of that mean and the variance of one run, per target). One Gaussian-process emulator
per target is fitted on the points not held out, validated on the held-out ones, and refitted
on all of them. Only validated emulators cut: a point stays non-implausible (NROY) while its cut
measure (the largest implausibility, the second largest with five or more usable targets) is
below the cut-off, under this wave and every earlier one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .emulator import Emulator, fit_and_validate
from .implausibility import NroyRegion
from .sampling import maximin_subset, sample_nroy, volume_fraction
from .space import ParameterSpace
from .spec import CalibrationSpec, TargetSpec
from .statistics import point_summary

__all__ = ["WaveFit", "fit_wave", "next_design", "wide_summary"]

#: A wave samples this many NROY candidates per design point of the next wave, from which
#: the next design is a maximin subset.
CANDIDATES_PER_POINT = 20
#: Fewest points with results an emulator is fitted on (besides one more than the inputs).
MIN_POINTS = 6


def wide_summary(outcomes: pd.DataFrame, targets: list[TargetSpec], points: int) -> pd.DataFrame:
    """One row per design point (0 .. points-1): ``mean__t``, ``var_mean__t``, ``var_run__t``
    and ``replications__t`` per target (NaN where a point has too few successful runs)."""
    wide = pd.DataFrame({"point": np.arange(points)})
    if not len(outcomes):
        for target in targets:
            for column in ("mean", "var_mean", "var_run", "replications"):
                wide[f"{column}__{target.name}"] = np.nan
        return wide
    long = point_summary(outcomes, targets)
    for target in targets:
        part = long[long["target"] == target.name].set_index("point")
        for column in ("mean", "var_mean", "var_run", "replications"):
            wide[f"{column}__{target.name}"] = wide["point"].map(part[column]).astype(float)
    return wide


@dataclass
class WaveFit:
    """What a wave leaves: emulators (None where none could be fitted), validation, cut."""

    emulators: list[Emulator | None]
    usable: np.ndarray
    reasons: list[str]
    checks: list[dict[str, Any]]
    validation: pd.DataFrame
    emulator_seconds: float
    region: NroyRegion | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fit_wave(
    spec: CalibrationSpec,
    space: ParameterSpace,
    unit_points: np.ndarray,
    wide: pd.DataFrame,
    holdout: np.ndarray,
    seed: int,
) -> WaveFit:
    """Fit and validate one emulator per target on a wave's point summaries."""
    started = time.perf_counter()
    emulators: list[Emulator | None] = []
    usable, reasons, checks, tables = [], [], [], []
    fewest = max(MIN_POINTS, space.dims + 2)
    for index, target in enumerate(spec.targets):
        means = wide[f"mean__{target.name}"].to_numpy(dtype=float)
        run_variances = wide[f"var_run__{target.name}"].to_numpy(dtype=float)
        replications = wide[f"replications__{target.name}"].to_numpy(dtype=float)
        finite = np.isfinite(means) & np.isfinite(run_variances)
        if finite.sum() < fewest:
            emulators.append(None)
            usable.append(False)
            reasons.append(f"only {int(finite.sum())} points with results (needs {fewest})")
            checks.append({})
            continue
        emulator, check = fit_and_validate(
            unit_points[finite],
            means[finite],
            run_variances[finite],
            replications[finite].astype(int),
            holdout[finite],
            seed=seed + index,
        )
        emulators.append(emulator)
        usable.append(bool(check.passed))
        reasons.append(check.reason)
        checks.append(check.to_dict())
        held = np.flatnonzero(finite & holdout)
        table = check.table(target.name)
        if len(table) == len(held):
            table["point"] = wide["point"].to_numpy()[held]
        tables.append(table)
    validation = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return WaveFit(
        emulators=emulators,
        usable=np.array(usable, dtype=bool),
        reasons=reasons,
        checks=checks,
        validation=validation,
        emulator_seconds=time.perf_counter() - started,
    )


def observed_arrays(targets: list[TargetSpec]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    observed = np.array([target.observed for target in targets], dtype=float)
    variance_observed = np.array([target.variance_observed for target in targets], dtype=float)
    discrepancy = np.array([target.discrepancy_variance for target in targets], dtype=float)
    return observed, variance_observed, discrepancy


def emulator_share(fit: WaveFit, targets: list[TargetSpec], sample: np.ndarray) -> dict[int, float]:
    """Median over ``sample`` of each usable emulator's variance as a share of the other
    variances in the implausibility's denominator."""
    shares: dict[int, float] = {}
    if not len(sample):
        return shares
    _, variance_observed, discrepancy = observed_arrays(targets)
    for index, emulator in enumerate(fit.emulators):
        if emulator is None or not fit.usable[index]:
            continue
        _, variance = emulator.predict(sample)
        others = variance_observed[index] + discrepancy[index] + emulator.run_variance(sample)
        shares[index] = float(np.median(variance / np.maximum(others, 1e-300)))
    return shares


def sample_space(
    region: NroyRegion,
    dims: int,
    wanted: int,
    rng: np.random.Generator,
    spec: CalibrationSpec,
    known: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Points of the NROY space after this wave, and how they were found."""
    sample = sample_nroy(
        region.contains,
        dims,
        wanted,
        rng,
        known=known,
        max_candidates=spec.method.candidates,
    )
    fraction, error = volume_fraction(region.contains, dims, spec.method.volume_samples, rng)
    return sample.points, {
        "sampler": sample.method,
        "acceptance": float(sample.acceptance),
        "evaluated": int(sample.evaluated),
        "nroy_fraction": float(fraction),
        "nroy_fraction_se": float(error),
    }


def next_design(candidates: np.ndarray, points: int, rng: np.random.Generator) -> np.ndarray:
    """A space-filling subset (maximin) of the NROY candidates, all of them if few."""
    if len(candidates) <= points:
        return candidates
    return candidates[maximin_subset(candidates, points, rng)]
