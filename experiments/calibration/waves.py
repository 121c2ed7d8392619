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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..store import write_parquet_atomically
from .emulator import Emulator, fit_and_validate
from .folder import read_json, write_json
from .implausibility import NroyRegion
from .sampling import maximin_subset, sample_nroy, volume_fraction
from .space import ParameterSpace, Stage, StageRunner
from .spec import CalibrationSpec, TargetSpec
from .statistics import point_summary

__all__ = [
    "WaveFit",
    "fit_wave",
    "next_design",
    "read_wave",
    "run_wave",
    "stop_reason",
    "wide_summary",
]

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


def stop_reason(
    spec: CalibrationSpec, summary: dict[str, Any], previous: float, wave: int
) -> str | None:
    method = spec.method
    if summary["nroy_points"] == 0:
        return (
            f"wave {wave} left no non-implausible point: no parameter set matches every "
            "target within its uncertainties"
        )
    shares = summary["emulator_share"]
    if len(shares) == len(spec.targets) and all(s < method.variance_ratio for s in shares.values()):
        return (
            f"after wave {wave} every emulator's variance is below "
            f"{method.variance_ratio:.0%} of the other variances"
        )
    if wave >= 2 and summary["shrinkage"] < method.min_shrinkage:
        return (
            f"wave {wave} shrank the space by {summary['shrinkage']:.1%}, less than "
            f"{method.min_shrinkage:.0%}"
        )
    return None


def run_wave(
    spec: CalibrationSpec,
    space: ParameterSpace,
    runner: StageRunner,
    stage: Stage,
    region: NroyRegion,
    rng: np.random.Generator,
    wave: int,
    previous: float,
) -> dict[str, Any]:
    """Run a wave, fit and validate its emulators, cut, sample the NROY space; writes the
    wave's tables and, last, its summary.json (which marks the wave done)."""
    started = time.perf_counter()
    outcomes = runner.run(stage, space.priors)
    points = stage.points
    count = len(points)
    unit = space.to_unit(points)
    wide = wide_summary(outcomes, spec.targets, count)
    holdout = np.zeros(count, dtype=bool)
    held = max(3, round(spec.method.holdout * count))
    holdout[rng.choice(count, size=min(held, count // 2), replace=False)] = True
    fit = fit_wave(spec, space, unit, wide, holdout, seed=spec.method.seed + wave)
    region.add_wave(fit.emulators, fit.usable)
    known = unit[region.contains(unit)]
    sample, found = sample_space(
        region, space.dims, CANDIDATES_PER_POINT * spec.method.points, rng, spec, known
    )
    folder = stage.folder
    table = pd.concat(
        [wide[["point"]], pd.DataFrame({"holdout": holdout}), points, wide.drop(columns="point")],
        axis=1,
    )
    write_parquet_atomically(folder / "points.parquet", table)
    write_parquet_atomically(folder / "validation.parquet", fit.validation)
    emulators = {
        target.name: {
            "usable": bool(fit.usable[index]),
            "reason": fit.reasons[index],
            **fit.checks[index],
            "model": None if fit.emulators[index] is None else fit.emulators[index].to_dict(),
        }
        for index, target in enumerate(spec.targets)
    }
    write_json(folder / "emulators.json", emulators)
    natural = space.from_unit(sample) if len(sample) else pd.DataFrame(columns=space.names)
    natural["cut_measure"] = region.measure(sample) if len(sample) else []
    write_parquet_atomically(folder / "nroy_sample.parquet", natural)
    names = [target.name for target in spec.targets]
    shares = emulator_share(fit, spec.targets, sample)
    summary = {
        "wave": wave,
        "points": count,
        "runs": count * len(spec.model.scenarios) * stage.replications,
        "failed_runs": count * len(spec.model.scenarios) * stage.replications - len(outcomes),
        **found,
        "nroy_points": len(sample),
        "shrinkage": 1.0 - found["nroy_fraction"] / previous if previous > 0 else 0.0,
        "usable": [names[i] for i in np.flatnonzero(fit.usable)],
        "reasons": dict(zip(names, fit.reasons, strict=True)),
        "emulator_share": {names[i]: share for i, share in shares.items()},
        "emulator_seconds": fit.emulator_seconds,
        "seconds": time.perf_counter() - started,
    }
    write_json(folder / "summary.json", summary)
    return summary


def read_wave(folder: Path, region: NroyRegion) -> dict[str, Any]:
    """A finished wave read back on --resume: its summary, and its emulators added to the
    region exactly as fitted (no refit)."""
    from .emulator import Emulator

    stored = read_json(folder / "emulators.json")
    emulators = [
        None if entry["model"] is None else Emulator.from_dict(entry["model"])
        for entry in stored.values()
    ]
    usable = np.array([entry["usable"] for entry in stored.values()], dtype=bool)
    region.add_wave(emulators, usable)
    return read_json(folder / "summary.json")
