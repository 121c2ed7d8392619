"""The end of a calibration: re-run non-implausible points by simulation and keep those that
pass the cut without any emulator.

Emulators decide where to look; the final set is decided by the model itself. Points are a
uniform random subset of the last wave's NROY sample, each re-run with ``final_replications`` seeds,
and a point is accepted when its simulated implausibility passes the same cut, with the
variance of the simulated mean in place of the emulator's variance:

    I_t = |z_t - mean_t| / sqrt(Var_obs,t + Var_disc,t + s_t^2 / R + s_t^2)

A target whose statistic no re-run point can compute (undefined at every point, such as a
pooled fit that needs more events than a point's runs give) says nothing about any point: it
is left out of the cut and listed as ``unmeasured`` in the summary. A target undefined at only
some points rules those points out.

The accepted points are a set, not a probability distribution: what-ifs draw from them
uniformly (``--calibrated``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..provenance import provenance, utc_now
from ..store import write_bytes_atomically, write_parquet_atomically
from .folder import read_json, write_json
from .implausibility import NroyRegion, cut_measure, cut_measure_name
from .sampling import volume_fraction
from .space import ParameterSpace, Stage, StageRunner, plain_value
from .spec import CalibrationError, CalibrationSpec
from .waves import observed_arrays, wide_summary

__all__ = [
    "CHECK_TAG",
    "FINAL_TAG",
    "FinalOutcome",
    "PointCheck",
    "calibrated_values",
    "check_point",
    "finish",
    "measured_targets",
    "simulated_implausibility",
]

#: Spawn-key tag of the final re-run's seeds (waves use their number, the screening 0).
FINAL_TAG = 10_000
#: Spawn-key tag of :func:`check_point`'s seeds: apart from every stage's, so a checked point
#: does not reuse the runs of the calibration it is checked against.
CHECK_TAG = 20_000
#: Discrepancy variances are scaled by these factors to show how the result depends on them.
DISCREPANCY_FACTORS = (0.5, 1.0, 2.0)
#: Without any NROY point, the least implausible of this many uniform draws per final point
#: are re-run, so that the report shows the nearest the model came.
FALLBACK_DRAWS = 50


@dataclass
class FinalOutcome:
    points: int
    accepted: int
    best: dict[str, Any]
    unmeasured: list[str]


def simulated_implausibility(
    spec: CalibrationSpec, wide: pd.DataFrame, discrepancy_factor: float = 1.0
) -> np.ndarray:
    """(points, targets) implausibility of re-run points from their simulated means; a
    target without results counts as infinitely implausible."""
    observed, variance_observed, discrepancy = observed_arrays(spec.targets)
    means = np.column_stack([wide[f"mean__{t.name}"] for t in spec.targets]).astype(float)
    var_mean = np.column_stack([wide[f"var_mean__{t.name}"] for t in spec.targets]).astype(float)
    var_run = np.column_stack([wide[f"var_run__{t.name}"] for t in spec.targets]).astype(float)
    denominator = variance_observed + discrepancy * discrepancy_factor + var_mean + var_run
    values = np.abs(observed - means) / np.sqrt(np.maximum(denominator, 1e-300))
    return np.where(np.isfinite(values), values, np.inf)


def measured_targets(spec: CalibrationSpec, wide: pd.DataFrame) -> np.ndarray:
    """Which targets (bool per target) have a simulated mean at one re-run point or more."""
    means = np.column_stack([wide[f"mean__{t.name}"] for t in spec.targets]).astype(float)
    return np.isfinite(means).any(axis=0)


def _measures(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(values, axis=1)[:, ::-1]
    second = ordered[:, 1] if values.shape[1] > 1 else ordered[:, 0]
    return ordered[:, 0], second


def finish(
    spec: CalibrationSpec,
    out_dir: Path,
    space: ParameterSpace,
    region: NroyRegion,
    candidates: np.ndarray,
    runner: StageRunner,
    rng: np.random.Generator,
    say: Callable[[str], None],
) -> FinalOutcome:
    """Re-run NROY points; write nroy.parquet, best.toml and discrepancy.csv."""
    stored = out_dir / "nroy.parquet"
    if stored.exists() and (out_dir / "best.json").exists():
        table = pd.read_parquet(stored)
        best = read_json(out_dir / "best.json")
        unmeasured = [
            t.name for t in spec.targets if table[f"implausibility__{t.name}"].isna().all()
        ]
        return FinalOutcome(len(table), int(table["accepted"].sum()), best, unmeasured)
    wanted = spec.method.final_points
    if len(candidates):
        # A uniform subset, not a maximin one: the re-run points stand for the set that
        # what-ifs draw from uniformly, and maximin would crowd them on its boundary.
        chosen = rng.choice(len(candidates), size=min(wanted, len(candidates)), replace=False)
        unit = candidates[np.sort(chosen)]
    else:
        draws = rng.random((wanted * FALLBACK_DRAWS, space.dims))
        unit = draws[np.argsort(region.measure(draws), kind="stable")[:wanted]]
        say("no point is left non-implausible: re-running the least implausible ones")
    stage = Stage(
        out_dir / "final", "final", space.from_unit(unit), spec.method.final_replications, FINAL_TAG
    )
    say(
        f"final: re-running {len(stage.points)} points x {len(spec.model.scenarios)} "
        f"scenario(s) x {stage.replications} replications"
    )
    outcomes = runner.run(stage, space.priors)
    points = stage.points
    wide = wide_summary(outcomes, spec.targets, len(points))
    values = simulated_implausibility(spec, wide)
    usable = measured_targets(spec, wide)
    if not usable.any():
        raise CalibrationError(
            spec.name, "final", "no target could be computed at any re-run point"
        )
    values[:, ~usable] = np.nan
    measure = cut_measure(values, usable)
    largest, second = _measures(values[:, usable])
    accepted = measure < spec.method.cutoff
    unmeasured = [t.name for t, kept in zip(spec.targets, usable, strict=True) if not kept]
    if unmeasured:
        say(f"final: left out of the cut, undefined at every re-run point: {', '.join(unmeasured)}")
    table = pd.concat([wide[["point"]], points], axis=1)
    for index, target in enumerate(spec.targets):
        table[f"mean__{target.name}"] = wide[f"mean__{target.name}"]
        table[f"sd__{target.name}"] = np.sqrt(wide[f"var_run__{target.name}"])
        table[f"implausibility__{target.name}"] = values[:, index]
    table["max_implausibility"] = largest
    table["second_implausibility"] = second
    table["accepted"] = accepted
    best = _best(table, space)
    _write_discrepancy(spec, out_dir, region, wide, usable, space.dims, rng)
    _write_best_toml(spec, out_dir, space, best, int(accepted.sum()), len(table))
    write_json(out_dir / "best.json", best)
    write_parquet_atomically(stored, table)
    say(f"final: {int(accepted.sum())} of {len(table)} re-run points pass the cut by simulation")
    return FinalOutcome(len(table), int(accepted.sum()), best, unmeasured)


def _best(table: pd.DataFrame, space: ParameterSpace) -> dict[str, Any]:
    pool = table[table["accepted"]] if table["accepted"].any() else table
    row = pool.loc[pool["max_implausibility"].idxmin()]
    return {
        "point": int(row["point"]),
        "max_implausibility": float(row["max_implausibility"]),
        "accepted": bool(row["accepted"]),
        "values": {name: plain_value(row[name]) for name in space.names},
        "paths": {prior.label: prior.path for prior in space.priors},
    }


def _write_discrepancy(
    spec: CalibrationSpec,
    out_dir: Path,
    region: NroyRegion,
    wide: pd.DataFrame,
    usable: np.ndarray,
    dims: int,
    rng: np.random.Generator,
) -> None:
    rows = []
    for factor in DISCREPANCY_FACTORS:
        scaled = region.with_discrepancy_factor(factor)
        fraction, error = volume_fraction(scaled.contains, dims, spec.method.volume_samples, rng)
        values = simulated_implausibility(spec, wide, factor)
        accepted = int((cut_measure(values, usable) < spec.method.cutoff).sum())
        rows.append(
            {
                "factor": factor,
                "nroy_fraction": fraction,
                "nroy_fraction_se": error,
                "accepted": accepted,
                "points": len(wide),
            }
        )
    text = pd.DataFrame(rows).to_csv(index=False)
    write_bytes_atomically(out_dir / "discrepancy.csv", text.encode())


def _write_best_toml(
    spec: CalibrationSpec,
    out_dir: Path,
    space: ParameterSpace,
    best: dict[str, Any],
    accepted: int,
    points: int,
) -> None:
    text = (out_dir / "calibration.toml").read_text(encoding="utf-8")
    record = provenance()
    status = (
        f"{accepted} accepted of {points} re-run"
        if best["accepted"]
        else (f"NOT accepted: none of {points} re-run points passed the cut")
    )
    lines = [
        f"# Best point of calibration '{spec.name}': the re-run point with the smallest maximum",
        f"# implausibility ({best['max_implausibility']:.3g}; {status}).",
        f"# calibration.toml sha256 {hashlib.sha256(text.encode()).hexdigest()}",
        f"# smartspec {record['versions']['smartspec']}, git {record['git']['revision']},"
        f" written {utc_now()}",
        "# Use: paste [set] into an experiment's [model] table, or pass each as --set PATH=VALUE.",
        "[set]",
    ]
    for prior in space.priors:
        value = best["values"][prior.label]
        lines.append(f'"{prior.path}" = {value!r}')
    write_bytes_atomically(out_dir / "best.toml", ("\n".join(lines) + "\n").encode())


@dataclass
class PointCheck:
    """One parameter set simulated against a finished calibration's targets.

    ``table`` has one row per target: ``observed``, ``simulated`` (the mean over the runs, or
    the region-weighted aggregate for "eu" targets) and ``implausibility`` (NaN for a target
    the calibration's final cut left out as unmeasured; infinite for any other target that
    could not be computed here);
    ``measure`` is the value the cut compares with ``cutoff``.
    """

    table: pd.DataFrame
    measure: float
    cutoff: float
    runs: int = 0

    @property
    def accepted(self) -> bool:
        """Whether the set passes the calibration's final cut by simulation."""
        return bool(self.measure < self.cutoff)

    @property
    def measure_name(self) -> str:
        """What ``measure`` is (:func:`~.implausibility.cut_measure_name`)."""
        return cut_measure_name(int(self.table["implausibility"].notna().sum()))


def calibrated_values(
    folder: str | Path, point: int | None = None, best: bool = False
) -> dict[str, Any]:
    """The fitted parameters' values (dotted path -> value) of accepted point ``point`` of a
    finished calibration's ``nroy.parquet``, or of its best point (``best``); empty when
    neither is asked for.

    Raises
    ------
    CalibrationError
        Not a finished calibration of this model version, or ``point`` is not an accepted
        point (the message names the accepted ones).
    """
    from .draws import load_calibrated

    calibrated = load_calibrated(folder)
    if best:
        record = read_json(Path(folder) / "best.json")
        return {calibrated.parameters[name]: value for name, value in record["values"].items()}
    if point is None:
        return {}
    if point not in calibrated.points.index:
        accepted = calibrated.points.index.tolist()
        shown = ", ".join(str(number) for number in accepted[:12])
        more = f" and {len(accepted) - 12} more" if len(accepted) > 12 else ""
        raise CalibrationError(
            str(folder), "nroy.parquet", f"point {point} is not an accepted point ({shown}{more})"
        )
    return calibrated.values_of(point)


def check_point(
    folder: str | Path,
    overrides: Mapping[str, Any] | None = None,
    replications: int | None = None,
) -> PointCheck:
    """Simulate the calibrated scenarios with ``overrides`` (dotted path -> value; none: the
    scenarios' own defaults) and apply the calibration's final cut, as to a re-run point.

    This is how one asks whether a parameter set, such as the adopted defaults, is ruled out
    by a calibration: the runs use their own seeds (:data:`CHECK_TAG`), ``replications`` per
    scenario (default the calibration's ``final_replications``), in this process.

    Raises
    ------
    CalibrationError
        ``folder`` is not a finished calibration.
    ModelVersionError
        The calibration was made by another model version.
    OptionError
        An override that is not a scenario field, or a value its field does not take, or
        fewer than 2 replications.
    """
    from smartspec.scenarios import OptionError, ScenarioError, load_scenario

    from .draws import load_calibrated
    from .simulate import ModelStatistics
    from .spec import load_calibration

    if replications is not None and replications < 2:
        # The cut divides by the spread of the runs' statistics, which one run cannot give.
        raise OptionError("--reps", "", f"{replications}: at least 2 replications per scenario")
    folder = Path(folder)
    load_calibrated(folder)  # a finished calibration of this model version
    spec = load_calibration(folder / "calibration.toml")[0]
    values = {path: plain_value(value) for path, value in (overrides or {}).items()}
    for scenario in spec.model.scenarios:
        # A wrong path or value is named before anything runs.
        try:
            load_scenario(scenario, overrides={**spec.model.set, **values})
        except ScenarioError as error:
            raise OptionError("--set", error.field, error.problem) from None
    statistics = ModelStatistics(
        targets=tuple(spec.targets),
        paths={path: path for path in values},
        fixed=dict(spec.model.set),
        steps=spec.model.steps,
    )
    stage = Stage(
        folder,
        "check",
        pd.DataFrame([values]),
        replications or spec.method.final_replications,
        CHECK_TAG,
    )
    rows = [
        {
            "point": 0,
            "scenario": task.scenario,
            "replication": task.replication,
            **statistics(task)[0],
        }
        for task in stage.tasks(spec.model.scenarios, spec.method.seed)
    ]
    wide = wide_summary(pd.DataFrame(rows), spec.targets, 1)
    implausibility = simulated_implausibility(spec, wide)
    # The targets the calibration itself could not measure are left out, as its final cut
    # left them out; any other target undefined here rules the set out.
    summary = read_json(folder / "summary.json") if (folder / "summary.json").is_file() else {}
    unmeasured = set((summary.get("final") or {}).get("unmeasured") or [])
    usable = np.array([target.name not in unmeasured for target in spec.targets], dtype=bool)
    implausibility[:, ~usable] = np.nan
    table = pd.DataFrame(
        {
            "target": [target.name for target in spec.targets],
            "observed": [target.observed for target in spec.targets],
            "simulated": [wide[f"mean__{target.name}"].iloc[0] for target in spec.targets],
            "implausibility": implausibility[0],
        }
    )
    measure = float(cut_measure(implausibility, usable)[0]) if usable.any() else np.inf
    return PointCheck(table=table, measure=measure, cutoff=spec.method.cutoff, runs=len(rows))
