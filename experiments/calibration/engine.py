"""History matching, wave by wave, into a resumable output folder (``smartspec calibrate``).

Layout of a calibration's output folder (every table is Parquet, every file is written
atomically; parameter columns are named by the parameters' names, which default to their
dotted paths, and ``summary.json`` maps names to paths)::

    calibration.toml          the calibration file as run (compared on --resume)
    provenance.json           versions, git revision, command line, seeds, start time
    state.json                {"stage": "screening" | "wave" | "final" | "finished", "wave": k}
    screening/                experiments-layer folder of the Morris runs (if screening ran)
    screening.csv             name, path, low, high, score, selected, mu_star__<target>...
    wave-01/                  experiments-layer folder of wave 1's runs (design.parquet:
                              run_id, point, replication, seed, scenario, mix, parameters)
    wave-01/points.parquet    one row per design point: point, holdout (bool), parameters,
                              and per target mean__<t>, var_mean__<t>, var_run__<t>
    wave-01/validation.parquet  held-out points: target, point, simulated, predicted,
                              predicted_sd, standardised_error
    wave-01/emulators.json    per target: usable, reason, coverage, largest |error|, model
    wave-01/nroy_sample.parquet  points of the non-implausible space after this wave:
                              parameters and cut_measure
    wave-01/summary.json      wave, points, runs, failed_runs, nroy_fraction,
                              nroy_fraction_se, shrinkage, sampler, acceptance, usable,
                              emulator_share {target: ratio}, seconds, emulator_seconds
    final/                    experiments-layer folder re-running NROY points
    nroy.parquet              one row per re-run point: point, parameters, mean__<t>,
                              sd__<t>, implausibility__<t>, max_implausibility,
                              second_implausibility, accepted (bool)
    best.toml                 dotted overrides of the accepted point with the smallest
                              maximum implausibility, with the calibration's provenance
    discrepancy.csv           factor (0.5, 1, 2), nroy_fraction, accepted
    summary.json              name, scenarios, parameters [{name, path, low, high, integer,
                              default}], screened_out [{name, path, default}], targets
                              [{name, statistic, scenario, observed, variance_observed,
                              discrepancy_variance, source}], waves [wave summaries],
                              stopped (reason), final {points, accepted, unmeasured}, best {point,
                              max_implausibility, values {name: value}}, weighting
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..fingerprint import resolved_scenarios
from ..limits import check_run_budget
from ..provenance import check_model_version, provenance, utc_now
from ..store import StoreError, lock_folder, release_folder, write_bytes_atomically
from ..targets import Target
from .final import FINAL_TAG, finish
from .folder import read_json, with_defaults, write_json
from .implausibility import NroyRegion
from .screening import candidate_priors, run_screening
from .simulate import FunctionStatistics, ModelStatistics
from .space import ParameterSpace, Stage, StageRunner
from .spec import CalibrationError, CalibrationSpec, PriorSpec
from .waves import next_design, observed_arrays, read_wave, run_wave, stop_reason

__all__ = ["CalibrationSummary", "calibrate", "planned_runs", "prepare", "region_of"]

logger = logging.getLogger(__name__)


@dataclass
class CalibrationSummary:
    """How a calibration ended."""

    out_dir: Path
    waves: int
    stopped: str
    parameters: list[str]
    screened_out: list[str]
    nroy_fraction: float
    final_points: int
    accepted: int
    best: dict[str, Any]
    seconds: float


def planned_runs(spec: CalibrationSpec, screened: int | None = None) -> int:
    """The most runs a calibration can make: screening, every wave, the final re-run."""
    scenarios = len(spec.model.scenarios)
    method, screening = spec.method, spec.screening
    candidates = screened if screened is not None else len(candidate_priors(spec))
    total = method.waves * method.points * method.replications * scenarios
    total += method.final_points * method.final_replications * scenarios
    if _screens(spec, candidates):
        total += screening.trajectories * (candidates + 1) * screening.replications * scenarios
    return total


def _screens(spec: CalibrationSpec, candidates: int) -> bool:
    return spec.screening.enabled and candidates > spec.screening.keep


def calibration_fingerprint(
    spec: CalibrationSpec,
    function: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """What a calibration's runs depend on besides its file (see
    :mod:`smartspec.experiments.fingerprint`): versions, the resolved scenarios (the model's
    runs) or the user's function."""
    from ..fingerprint import source_fingerprint, target_identity

    scenarios = [] if function is not None else [(name, None) for name in spec.model.scenarios]
    return {
        **source_fingerprint(scenarios),
        "target": target_identity(function) if function is not None else "smartspec model",
    }


def _open_folder(
    out_dir: Path,
    text: str,
    resume: bool,
    label: str,
    fingerprint: dict[str, Any] | None = None,
) -> None:
    stored = out_dir / "calibration.toml"
    if resume:
        if not stored.exists():
            raise StoreError(str(out_dir), "", "holds no calibration to resume")
        record = out_dir / "provenance.json"
        if record.is_file():
            check_model_version(read_json(record), str(out_dir), "the calibration to resume")
        if stored.read_text(encoding="utf-8") != text:
            raise StoreError(
                str(out_dir), "", f"was started with a different calibration file than {label}"
            )
        if fingerprint is not None:
            from ..fingerprint import describe_changes

            before = read_json(record).get("fingerprint") if record.is_file() else None
            changes = (
                ["it predates recorded fingerprints"]
                if not isinstance(before, dict)
                else describe_changes(before, fingerprint)
            )
            if changes:
                raise StoreError(
                    str(out_dir),
                    "",
                    "cannot resume the calibration, because what its runs depend on changed "
                    "since it started: " + "; ".join(changes) + " (run it into a new --out)",
                )
        return
    if stored.exists():
        raise StoreError(
            str(out_dir), "", "already holds a calibration: add --resume, or choose another --out"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise StoreError(str(out_dir), "", "exists and is not a folder")


def prepare(
    spec: CalibrationSpec,
    out_dir: Path,
    text: str,
    *,
    resume: bool = False,
    max_runs: int | None = None,
    label: str = "calibration",
    own_function: bool = False,
) -> list[PriorSpec]:
    """Every check made before anything runs or is written: the run budget and the output
    folder. Returns the parameters the screening considers."""
    candidates = list(spec.parameters) if own_function else candidate_priors(spec)
    check_run_budget(planned_runs(spec, len(candidates)), max_runs, label, "method")
    _open_folder(Path(out_dir), text, resume, label)
    return candidates


def calibrate(
    spec: CalibrationSpec,
    out_dir: Path,
    text: str,
    *,
    function: Callable[[dict[str, Any], np.random.Generator], Mapping[str, Any]] | None = None,
    executor: Executor | None = None,
    capacity: int = 1,
    resume: bool = False,
    max_runs: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    report: Callable[[str], None] | None = None,
    command_line: list[str] | None = None,
    label: str = "calibration",
    batch_size: int | None = None,
) -> CalibrationSummary:
    """Run (or resume) a calibration into ``out_dir``.

    Parameters
    ----------
    spec, text
        The validated calibration and its file's text (stored; ``--resume`` needs the same).
    function
        A user's own simulator ``f(params, rng) -> {output: value}`` instead of the SmartSpec
        model (targets then use the ``output`` statistic; parameter paths are free names).
    executor, capacity
        Where runs execute and how many at once (see :func:`~smartspec.experiments.make_executor`).
    resume
        Continue an interrupted calibration: finished waves are read back, an unfinished one
        continues with its stored design.
    max_runs
        Cap on the planned runs (default :data:`~smartspec.experiments.limits.MAX_RUNS`),
        checked before anything runs or is written.
    progress, on_start
        Per-stage progress, as for :func:`~smartspec.experiments.run_experiment`.
    report
        Called with one line per stage and wave (what runs, what was cut).
    batch_size
        Runs per task (default: chosen by the runner).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    say = report or (lambda message: None)
    candidates = prepare(
        spec,
        out_dir,
        text,
        resume=resume,
        max_runs=max_runs,
        label=label,
        own_function=function is not None,
    )
    fingerprint = calibration_fingerprint(spec, function)
    # One writer at a time: the checks are made again under the folder's lock.
    lock_folder(out_dir)
    try:
        _open_folder(out_dir, text, resume, label, fingerprint)
        return _calibrate(
            spec,
            out_dir,
            text,
            function,
            executor,
            capacity,
            resume,
            progress,
            on_start,
            say,
            command_line,
            batch_size,
            candidates,
            fingerprint,
            started,
            label,
        )
    finally:
        release_folder(out_dir)


def _calibrate(
    spec: CalibrationSpec,
    out_dir: Path,
    text: str,
    function: Callable[[dict[str, Any], np.random.Generator], Mapping[str, Any]] | None,
    executor: Executor | None,
    capacity: int,
    resume: bool,
    progress: Callable[[int], None] | None,
    on_start: Callable[[int, int], None] | None,
    say: Callable[[str], None],
    command_line: list[str] | None,
    batch_size: int | None,
    candidates: list[PriorSpec],
    fingerprint: dict[str, Any],
    started: float,
    label: str,
) -> CalibrationSummary:
    if not resume:
        write_bytes_atomically(out_dir / "calibration.toml", text.encode("utf-8"))
        record = provenance(
            calibration=spec.model_dump(mode="json"),
            seeds={
                "master": spec.method.seed,
                "rule": "SeedSequence(master, spawn_key=(stage, point)): independent seeds per "
                "design point; stage 0 is the screening (shared seeds, for Morris), 1.. the "
                f"waves, {FINAL_TAG} the final re-run",
            },
            started=utc_now(),
            fingerprint=fingerprint,
            resolved_scenarios=resolved_scenarios(
                [] if function is not None else [(name, None) for name in spec.model.scenarios]
            ),
            **({"command_line": command_line} if command_line else {}),
        )
        write_json(out_dir / "provenance.json", record)
    fixed = dict(spec.model.set)

    def target_for(priors: list[PriorSpec]) -> Target:
        if function is not None:
            return FunctionStatistics(function, tuple(spec.targets))
        return ModelStatistics(
            targets=tuple(spec.targets),
            paths={prior.label: prior.path for prior in priors},
            fixed=fixed,
            steps=spec.model.steps,
        )

    def runner_for(priors: list[PriorSpec]) -> StageRunner:
        return StageRunner(
            spec,
            text,
            target_for(priors),
            executor,
            capacity,
            progress,
            on_start,
            command_line,
            batch_size,
        )

    # ---------------------------------------------------------------- screening
    fitted, screened_out = list(candidates), []
    if _screens(spec, len(candidates)):
        fitted, screened_out = run_screening(spec, out_dir, candidates, runner_for(candidates), say)
    space = ParameterSpace(fitted)
    if not space.dims:
        raise CalibrationError(
            label, "screening", "no parameter moved any target above the run-to-run noise"
        )

    # -------------------------------------------------------------------- waves
    observed, variance_observed, discrepancy = observed_arrays(spec.targets)
    region = NroyRegion(observed, variance_observed, discrepancy, cutoff=spec.method.cutoff)
    runner = runner_for(fitted)
    summaries: list[dict[str, Any]] = []
    candidates_unit: np.ndarray | None = None
    stopped = f"ran the most waves ({spec.method.waves})"
    for wave in range(1, spec.method.waves + 1):
        folder = out_dir / f"wave-{wave:02d}"
        write_json(out_dir / "state.json", {"stage": "wave", "wave": wave})
        rng = np.random.default_rng(np.random.SeedSequence(spec.method.seed, spawn_key=(wave,)))
        if wave == 1:
            from .sampling import latin_hypercube

            unit = latin_hypercube(spec.method.points, space.dims, rng)
        else:
            unit = next_design(candidates_unit, spec.method.points, rng)  # type: ignore[arg-type]
        stage = Stage(
            folder, f"wave-{wave:02d}", space.from_unit(unit), spec.method.replications, wave
        )
        previous = summaries[-1]["nroy_fraction"] if summaries else 1.0
        if (folder / "summary.json").exists():
            summary = read_wave(folder, region)
        else:
            say(
                f"wave {wave}: {len(stage.points)} points x {len(spec.model.scenarios)} "
                f"scenario(s) x {stage.replications} replications"
            )
            summary = run_wave(spec, space, runner, stage, region, rng, wave, previous)
        sample = pd.read_parquet(folder / "nroy_sample.parquet")
        candidates_unit = space.to_unit(sample) if len(sample) else np.empty((0, space.dims))
        summaries.append(summary)
        failed = (
            f", {summary['failed_runs']} of {summary['runs']} runs failed"
            if summary["failed_runs"]
            else ""
        )
        say(
            f"wave {wave}: NROY {summary['nroy_fraction']:.3g} of the prior box "
            f"({summary['sampler']}); usable emulators: "
            f"{', '.join(summary['usable']) or 'none'}{failed}"
        )
        reason = stop_reason(spec, summary, previous, wave)
        if reason:
            stopped = reason
            break

    # -------------------------------------------------------------------- final
    write_json(out_dir / "state.json", {"stage": "final", "wave": len(summaries)})
    final_rng = np.random.default_rng(
        np.random.SeedSequence(spec.method.seed, spawn_key=(FINAL_TAG,))
    )
    outcome = finish(
        spec,
        out_dir,
        space,
        region,
        candidates_unit if candidates_unit is not None else np.empty((0, space.dims)),
        runner,
        final_rng,
        say,
    )
    overall = {
        "name": spec.name,
        "description": spec.description,
        "scenarios": spec.model.scenarios,
        "parameters": with_defaults(space.describe(), spec, function is None),
        "screened_out": with_defaults(
            [{"name": p.label, "path": p.path} for p in screened_out], spec, function is None
        ),
        "targets": [
            {
                "name": t.name,
                "statistic": t.statistic,
                "scenario": t.scenario,
                "observed": t.observed,
                "variance_observed": t.variance_observed,
                "variance_rule": t.observation_variance is None,
                "discrepancy_variance": t.discrepancy_variance,
                "source": t.source,
            }
            for t in spec.targets
        ],
        "waves": summaries,
        "stopped": stopped,
        "final": {
            "points": outcome.points,
            "accepted": outcome.accepted,
            "unmeasured": outcome.unmeasured,
        },
        "best": outcome.best,
        "weighting": "uniform over the accepted re-run points (a set, not a posterior)",
        "cutoff": spec.method.cutoff,
        "finished": utc_now(),
    }
    write_json(out_dir / "summary.json", overall)
    write_json(out_dir / "state.json", {"stage": "finished", "wave": len(summaries)})
    return CalibrationSummary(
        out_dir=out_dir,
        waves=len(summaries),
        stopped=stopped,
        parameters=space.names,
        screened_out=[prior.label for prior in screened_out],
        nroy_fraction=float(summaries[-1]["nroy_fraction"]),
        final_points=outcome.points,
        accepted=outcome.accepted,
        best=outcome.best,
        seconds=time.perf_counter() - started,
    )


def region_of(out_dir: Path, spec: CalibrationSpec) -> NroyRegion:
    """The non-implausible region of a calibration folder, rebuilt from its finished waves'
    stored emulators (for checks of a point, reports and tests)."""
    observed, variance_observed, discrepancy = observed_arrays(spec.targets)
    region = NroyRegion(observed, variance_observed, discrepancy, cutoff=spec.method.cutoff)
    for folder in sorted(Path(out_dir).glob("wave-*")):
        if (folder / "summary.json").exists():
            read_wave(folder, region)
    return region
