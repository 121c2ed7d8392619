"""A calibration's output folder, read for the report (``smartspec calibrate``'s layout:
:mod:`smartspec.experiments.calibration.engine`), finished or not.

Only reads: nothing here fits, cuts or simulates. The report section and its figures are in
:mod:`.calibration` and :mod:`.calibration_figures`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
from pydantic import ValidationError

from smartspec.experiments.calibration.spec import CalibrationError, CalibrationSpec
from smartspec.scenarios import read_toml, validation_message

__all__ = [
    "SECOND_LARGEST_FROM",
    "CalibrationResults",
    "constraint_table",
    "describe_default",
    "is_calibration_folder",
    "load_calibration_results",
    "parameter_unit",
    "schema_field",
]

#: From this many targets on, the cut uses the second-largest implausibility: one target may
#: miss without ruling a point out.
SECOND_LARGEST_FROM = 5
#: What a finished folder holds beyond the waves, and what each file tells.
FINAL_FILES = {
    "summary.json": "the overall summary (written when the calibration finishes)",
    "nroy.parquet": "the re-run by simulation of the points not ruled out (final stage)",
    "best.toml": "the best point",
    "discrepancy.csv": "how the result depends on the discrepancy allowances",
}
WAVE_FILES = ("summary.json", "points.parquet", "validation.parquet", "emulators.json")


@dataclass
class CalibrationResults:
    """Everything a calibration folder holds, as far as it got.

    ``waves`` has one dict per wave folder: ``wave`` (number), ``summary`` (dict), ``points``,
    ``validation``, ``nroy_sample`` (DataFrames or None) and ``emulators`` (dict).
    ``parameters`` are the fitted parameters (name, path, low, high, default), ``targets``
    the observed facts (name, observed, variance_observed, discrepancy_variance, source,
    scenario, ``variance_rule``: the observation variance came from the 10 % rule) and
    ``missing`` says, in words, what an unfinished folder does not hold yet.
    """

    folder: Path
    spec: CalibrationSpec
    summary: dict[str, Any]
    state: dict[str, Any]
    provenance: dict[str, Any]
    waves: list[dict[str, Any]]
    nroy: pd.DataFrame | None
    screening: pd.DataFrame | None
    discrepancy: pd.DataFrame | None
    parameters: list[dict[str, Any]]
    screened_out: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return not self.missing and self.state.get("stage", "finished") == "finished"

    @property
    def cutoff(self) -> float:
        return self.spec.method.cutoff

    @property
    def cut_column(self) -> str:
        """The column of nroy.parquet the cut reads."""
        second = len(self.targets) >= SECOND_LARGEST_FROM
        return "second_implausibility" if second else "max_implausibility"

    @property
    def accepted(self) -> pd.DataFrame | None:
        """The re-run points that pass the cut by simulation (None before the final stage)."""
        return None if self.nroy is None else self.nroy[self.nroy["accepted"].astype(bool)]

    @property
    def latest_sample(self) -> pd.DataFrame | None:
        """The NROY sample of the latest wave that wrote one (emulator-based)."""
        samples = [wave["nroy_sample"] for wave in self.waves if wave["nroy_sample"] is not None]
        return samples[-1] if samples else None


def is_calibration_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is a calibration's output folder (finished or not)."""
    path = Path(folder)
    has_progress = (path / "summary.json").is_file() or (path / "state.json").is_file()
    return (path / "calibration.toml").is_file() and has_progress


def _json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _parquet(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def load_calibration_results(folder: str | Path) -> CalibrationResults:
    """Read a calibration folder; files not written yet are None and listed in ``missing``.

    Raises
    ------
    FileNotFoundError
        ``folder`` is not a calibration folder (see :func:`is_calibration_folder`).
    CalibrationError
        Its ``calibration.toml`` does not validate (one line naming the field).
    """
    root = Path(folder)
    if not is_calibration_folder(root):
        raise FileNotFoundError(
            f"{root}: not a calibration folder (no calibration.toml with summary.json or "
            "state.json)"
        )
    source = root / "calibration.toml"
    try:
        spec = CalibrationSpec.model_validate(read_toml(source, str(source)))
    except ValidationError as error:
        raise CalibrationError(str(source), *validation_message(error)) from None
    summary = _json(root / "summary.json") or {}
    state = _json(root / "state.json") or {}
    missing = [
        f"{name}: {what}" for name, what in FINAL_FILES.items() if not (root / name).exists()
    ]
    waves = []
    for wave_dir in sorted(root.glob("wave-[0-9][0-9]")):
        wave = int(wave_dir.name[5:])
        absent = [name for name in WAVE_FILES if not (wave_dir / name).exists()]
        missing += [f"{wave_dir.name}/{name}: wave {wave} is not complete" for name in absent]
        recorded = next((w for w in summary.get("waves", []) if w.get("wave") == wave), {})
        waves.append(
            {
                "wave": wave,
                "summary": _json(wave_dir / "summary.json") or recorded,
                "points": _parquet(wave_dir / "points.parquet"),
                "validation": _parquet(wave_dir / "validation.parquet"),
                "emulators": _json(wave_dir / "emulators.json") or {},
                "nroy_sample": _parquet(wave_dir / "nroy_sample.parquet"),
            }
        )
    running = state.get("wave") if state.get("stage") == "wave" else None
    if running is not None and running not in [wave["wave"] for wave in waves]:
        missing.insert(0, f"wave-{running:02d}/: wave {running} has not finished")
    if not waves:
        missing.insert(0, "wave-01/: no history-matching wave has finished")
    screening = _csv(root / "screening.csv")
    if screening is None and (root / "screening").is_dir():
        missing.insert(0, "screening.csv: the Morris screening has not finished")
    parameters, screened_out = _parameters(spec, summary, screening)
    return CalibrationResults(
        folder=root,
        spec=spec,
        summary=summary,
        state=state,
        provenance=_json(root / "provenance.json") or {},
        waves=waves,
        nroy=_parquet(root / "nroy.parquet"),
        screening=screening,
        discrepancy=_csv(root / "discrepancy.csv"),
        parameters=parameters,
        screened_out=screened_out,
        targets=_targets(spec, summary),
        missing=missing,
    )


def _parameters(
    spec: CalibrationSpec, summary: dict[str, Any], screening: pd.DataFrame | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fitted and screened-out parameters: from summary.json, else what the calibration file
    and the screening say (defaults unknown until the calibration finishes)."""
    if "parameters" in summary:
        return summary["parameters"], summary.get("screened_out", [])
    given = [
        {"name": prior.label, "path": prior.path, "low": prior.range[0], "high": prior.range[1]}
        for prior in spec.parameters
    ]
    if screening is None:
        return given, []
    kept = set(screening.loc[screening["selected"].astype(bool), "name"])
    return [p for p in given if p["name"] in kept], [p for p in given if p["name"] not in kept]


def _targets(spec: CalibrationSpec, summary: dict[str, Any]) -> list[dict[str, Any]]:
    declared = {target.name: target for target in spec.targets}
    recorded = {target["name"]: target for target in summary.get("targets", [])}
    rows = []
    for name, target in declared.items():
        row = {
            "name": name,
            "statistic": target.statistic,
            "scenario": target.scenario or spec.scenarios[0],
            "observed": target.observed,
            "variance_observed": target.variance_observed,
            "discrepancy_variance": target.discrepancy_variance,
            "source": target.source,
        } | recorded.get(name, {})
        row["variance_rule"] = target.observation_variance is None
        row["unit"] = _target_unit(target.indicator, target.quarters)
        rows.append(row)
    return rows


def _target_unit(indicator: str | None, quarters: int | None) -> str:
    """A target's unit: its indicator's, unless the statistic is a change over quarters."""
    from smartspec.model import indicators

    if indicator is None or quarters is not None or not indicators.is_indicator(indicator):
        return "units of the observed value"
    return indicators.indicator(indicator).unit


def schema_field(path: str) -> Any:
    """The scenario schema's field (pydantic ``FieldInfo``) at a dotted path, or None when the
    path does not end in a declared field (list indices and dict keys are skipped)."""
    from pydantic import BaseModel

    from smartspec.scenarios import Scenario

    def models(annotation: Any) -> list[Any]:
        found = [annotation] if isinstance(annotation, type) else []
        return found + [m for argument in get_args(annotation) for m in models(argument)]

    model, found = Scenario, None
    for part in path.split("."):
        if part.isdigit() or model is None:  # list indices and dict keys
            continue
        found = model.model_fields.get(part)
        if found is None:
            return None
        model = next((m for m in models(found.annotation) if issubclass(m, BaseModel)), None)
    return found


def parameter_unit(path: str) -> str:
    """The unit the scenario schema declares for a dotted path ("" if none)."""
    from smartspec.scenarios.base import unit_of

    found = schema_field(path)
    return unit_of(found) if found is not None else ""


def constraint_table(results: CalibrationResults) -> pd.DataFrame:
    """Per fitted parameter: prior range, the range not ruled out (accepted re-run points, or
    the latest wave's NROY sample) and its share of the prior range, narrowest first."""
    accepted = results.accepted
    points = accepted if accepted is not None and len(accepted) else results.latest_sample
    rows = []
    for parameter in results.parameters:
        name, low, high = parameter["name"], parameter["low"], parameter["high"]
        values = points[name] if points is not None and name in points else pd.Series([])
        share = (values.max() - values.min()) / (high - low) if len(values) else np.nan
        rows.append(
            {
                "parameter": name,
                "path": parameter["path"],
                "prior low": low,
                "prior high": high,
                "NROY low": values.min() if len(values) else np.nan,
                "NROY high": values.max() if len(values) else np.nan,
                "share of prior range": share,
                "default": describe_default(parameter.get("default")),
            }
        )
    return pd.DataFrame(rows).sort_values("share of prior range", kind="stable")


def describe_default(default: Any) -> str:
    """A parameter's default in words: its value, or each scenario's when they differ."""
    if default is None:
        return "as in the scenario"
    if not isinstance(default, dict):
        return f"{default:g}" if isinstance(default, float) else str(default)
    values = {f"{v:g}" if isinstance(v, float) else str(v) for v in default.values()}
    if len(values) == 1:
        return values.pop()
    return ", ".join(
        f"{name} {f'{v:g}' if isinstance(v, float) else v}" for name, v in default.items()
    )
