"""Calibration files (TOML): what to fit, to which observed facts, and how.

A calibration file names the scenarios (one or several archetypes), the parameters to fit
(dotted scenario paths, each with a prior range inside the schema's range), the targets (a
named summary statistic of model output, its observed value, observation variance,
model-discrepancy variance and source) and the settings of the screening and of history
matching. It is validated like an experiment file: every problem is one line naming the file,
the field and the problem (:class:`CalibrationError`), before anything is run or written.

Example::

    name = "calibrate_quick"
    [model]
    scenarios = ["emerging"]
    steps = 24
    [[parameters]]
    path = "firm.innovation_rate"
    range = [0.05, 0.3]
    [[targets]]
    name = "innovating"
    statistic = "final"
    indicator = "innovating_share"
    observed = 0.2
    discrepancy_variance = 0.0004
    source = "CIS 2022, emerging regions at about a third of the leaders' share"
    [method]
    waves = 2
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartspec.scenarios import (
    ARCHETYPES,
    Scenario,
    ScenarioError,
    SmartSpecError,
    load_scenario,
    read_toml,
    validation_message,
)
from smartspec.scenarios.errors import FieldProblem
from smartspec.scenarios.loader import resolve_toml

__all__ = [
    "EU",
    "CalibrationError",
    "CalibrationModel",
    "CalibrationSpec",
    "MethodSpec",
    "PriorSpec",
    "ScreeningSpec",
    "TargetSpec",
    "bundled_calibrations",
    "load_calibration",
    "observation_variance_rule",
]

CALIBRATION_DIR = Path(__file__).resolve().parent.parent
#: Bundled calibration files are experiment-folder files whose name starts with this.
CALIBRATION_PREFIX = "calibrate_"
#: ``scenario`` of a target that applies to the region-weighted aggregate of the archetypes.
EU = "eu"
#: Relative standard deviation assumed for an observation published without uncertainty.
DEFAULT_RELATIVE_SD = 0.1
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CalibrationError(SmartSpecError):
    """A calibration file that cannot be used, with a one-line explanation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def observation_variance_rule(observed: float) -> float:
    """The observation variance of a target published without uncertainty:
    (10 % of the value)², and 0.01² for a value of zero."""
    spread = DEFAULT_RELATIVE_SD * abs(observed) or DEFAULT_RELATIVE_SD**2
    return spread**2


class CalibrationModel(_Strict):
    """The simulations every run starts from."""

    scenarios: list[str] = Field(
        default_factory=lambda: ["emerging"],
        min_length=1,
        description="Bundled scenario names or TOML paths; behavioural coefficients are "
        "shared by all of them, region-structure fields stay each scenario's own.",
    )
    steps: int | None = Field(None, ge=1, le=10_000, description="Horizon (quarters).")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed dotted overrides applied to every run."
    )


class PriorSpec(_Strict):
    """One parameter to fit: a dotted scenario path and its prior range (uniform)."""

    path: str = Field(min_length=1, description="Dotted scenario path, e.g. firm.innovation_rate.")
    name: str | None = Field(None, description="Short name in tables (default: the path).")
    range: tuple[float, float] = Field(description="[low, high] of the uniform prior.")
    integer: bool = Field(False, description="Round values to whole numbers.")

    @model_validator(mode="after")
    def _ordered(self) -> PriorSpec:
        if self.path == "mix" or self.path.startswith("mix.") or ".mix." in self.path:
            raise ValueError(
                "mix shares cannot be calibrated until mix-share sweeps exist (shares must sum "
                "to 1); they stay fixed"
            )
        if not self.range[0] < self.range[1]:
            raise ValueError(f"range low must be below high (got {list(self.range)})")
        if self.name is None:
            self.name = self.path
        return self

    @property
    def label(self) -> str:
        return self.name or self.path


class TargetSpec(_Strict):
    """One observed fact: a named statistic of model output and what was observed."""

    name: str = Field(min_length=1, description="Identifier of the target in tables.")
    statistic: str = Field(description="Statistic from the registry (see STATISTICS).")
    indicator: str | None = Field(None, description="Indicator the statistic reads.")
    quarters: int | None = Field(None, ge=1, description="Quarters a change or a survival spans.")
    window: int | None = Field(None, ge=1, description="Last quarters a mean or rate covers.")
    output: str | None = Field(None, description="Output key of a custom (callable) target.")
    tail: float | None = Field(None, gt=0, lt=1, description="Share of largest firms in a tail.")
    observed: float = Field(description="The observed value z.")
    observation_variance: float | None = Field(
        None, ge=0, description="Var_obs; default (10 % of the value)^2."
    )
    discrepancy_variance: float = Field(0.0, ge=0, description="Var_disc, the model's allowance.")
    source: str = Field(min_length=1, description="Where the observed value was published.")
    scenario: str | None = Field(
        None,
        description="Scenario the target applies to, or 'eu' for the aggregate of archetypes "
        "weighted by the regions each stands for (default: the only scenario).",
    )

    @model_validator(mode="after")
    def _identifier(self) -> TargetSpec:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"name '{self.name}' must be letters, digits and _ only")
        return self

    @property
    def variance_observed(self) -> float:
        if self.observation_variance is not None:
            return self.observation_variance
        return observation_variance_rule(self.observed)


class ScreeningSpec(_Strict):
    """Morris screening that picks the active parameters before history matching."""

    enabled: bool = Field(True, description="Screen when more parameters than keep are given.")
    trajectories: int = Field(10, ge=2, le=1_000, description="Morris trajectories r.")
    levels: int = Field(4, ge=2, le=100, description="Morris grid levels.")
    keep: int = Field(20, ge=1, le=50, description="At most this many parameters are fitted.")
    threshold: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Drop parameters whose scaled mu* is below this share of the largest.",
    )
    replications: int = Field(
        2, ge=1, le=100, description="Seeds per Morris point (2 or more measure the noise)."
    )
    behavioural: bool = Field(
        False,
        description="Also screen every behavioural coefficient not listed, with a prior of "
        "its default x (1 +/- spread) inside the schema's range.",
    )
    spread: float = Field(0.5, gt=0, lt=1, description="Relative half-width of those priors.")


class MethodSpec(_Strict):
    """History-matching settings."""

    waves: int = Field(4, ge=1, le=20, description="Most waves run.")
    points: int = Field(60, ge=8, le=100_000, description="Design points per wave.")
    replications: int = Field(2, ge=2, le=1_000, description="Seeds per design point (R).")
    holdout: float = Field(
        0.2, gt=0, lt=0.5, description="Share of a wave's points held out to validate."
    )
    cutoff: float = Field(3.0, gt=0, description="Implausibility cut-off.")
    seed: int = Field(2026, ge=0, description="Master seed of designs and replications.")
    candidates: int = Field(
        200_000, ge=1_000, le=50_000_000, description="Most candidates tried per wave."
    )
    min_shrinkage: float = Field(
        0.1, ge=0, lt=1, description="Stop when a wave shrinks NROY by less than this."
    )
    variance_ratio: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="Stop when emulator variance is below this share of the others.",
    )
    final_points: int = Field(30, ge=1, le=100_000, description="NROY points re-run at the end.")
    final_replications: int = Field(4, ge=2, le=1_000, description="Seeds per re-run point.")
    volume_samples: int = Field(
        20_000, ge=1_000, le=10_000_000, description="Uniform draws measuring the NROY volume."
    )


class CalibrationSpec(_Strict):
    """A complete calibration definition."""

    name: str = Field(min_length=1)
    description: str = ""
    model: CalibrationModel = Field(default_factory=CalibrationModel)
    parameters: list[PriorSpec] = Field(min_length=1)
    targets: list[TargetSpec] = Field(min_length=1)
    screening: ScreeningSpec = Field(default_factory=ScreeningSpec)
    method: MethodSpec = Field(default_factory=MethodSpec)

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationSpec:
        _unique([prior.label for prior in self.parameters], "parameters", "name")
        _unique([target.name for target in self.targets], "targets", "name")
        several = len(self.model.scenarios) > 1
        for index, target in enumerate(self.targets):
            if target.scenario is None:
                if several:
                    raise FieldProblem(
                        f"targets[{index}].scenario",
                        "name the scenario it applies to, or 'eu', when several are calibrated",
                    )
                target.scenario = self.model.scenarios[0]
            elif target.scenario != EU and target.scenario not in self.model.scenarios:
                raise FieldProblem(
                    f"targets[{index}].scenario",
                    f"'{target.scenario}' is not one of model.scenarios or '{EU}'",
                )
            if target.scenario == EU:
                outside = [name for name in self.model.scenarios if name not in ARCHETYPES]
                if outside:
                    raise FieldProblem(
                        f"targets[{index}].scenario",
                        f"an '{EU}' target weights archetypes by their regions; "
                        f"{outside[0]} is not an archetype ({', '.join(ARCHETYPES)})",
                    )
        return self

    @property
    def scenarios(self) -> list[str]:
        return self.model.scenarios


def _unique(names: list[str], table: str, key: str) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            raise FieldProblem(
                f"{table}[{index}].{key}", f"duplicate '{name}' (also {table}[{seen[name]}])"
            )
        seen[name] = index


def bundled_calibrations() -> list[Path]:
    """Bundled calibration files (``experiments/calibrate_*.toml``)."""
    return sorted(CALIBRATION_DIR.glob(f"{CALIBRATION_PREFIX}*.toml"))


def parse_calibration(raw: dict[str, Any], label: str) -> CalibrationSpec:
    """Validate a calibration table (schema, statistics and their arguments), without
    loading any scenario; raises :class:`CalibrationError`."""
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as error:
        field, problem = validation_message(error, CalibrationSpec)
        raise CalibrationError(label, field, problem) from None
    from .statistics import check_target

    for index, target in enumerate(spec.targets):
        problem = check_target(target)
        if problem is not None:
            field, text = problem
            raise CalibrationError(label, f"targets[{index}].{field}", text)
    return spec


def load_calibration(name_or_path: str | Path) -> tuple[CalibrationSpec, Path, str]:
    """Read and validate a calibration file (bundled name or path).

    Beyond the schema, every parameter's prior range is checked against each scenario (both
    ends must be values the schema accepts), fixed overrides must load, and every target must
    name a known statistic with the arguments it needs. Returns the spec, the file's path and
    its text (stored with the results and compared on ``--resume``).
    """
    path = resolve_toml(name_or_path, CALIBRATION_DIR)
    label = str(name_or_path)
    try:
        raw = read_toml(path, label)
    except ScenarioError as error:
        raise CalibrationError(error.source, error.field, error.problem) from None
    spec = parse_calibration(raw, label)
    for index, scenario in enumerate(spec.model.scenarios):
        if scenario.endswith(".toml") and not Path(scenario).is_absolute():
            spec.model.scenarios[index] = str((path.parent / scenario).resolve())
    for target in spec.targets:
        if target.scenario is not None and target.scenario.endswith(".toml"):
            if not Path(target.scenario).is_absolute():
                target.scenario = str((path.parent / target.scenario).resolve())
    check_against_scenarios(spec, label)
    return spec, path, path.read_text(encoding="utf-8")


def check_against_scenarios(spec: CalibrationSpec, label: str) -> None:
    """Every scenario loads with the fixed overrides and both ends of every prior range, and
    its model fits in memory (:func:`~smartspec.model.footprint.check_fits_in_memory`);
    raises :class:`CalibrationError` naming ``label`` and the field."""
    from smartspec.model.footprint import ModelTooLargeError, check_fits_in_memory

    def fits(loaded: Scenario, field: str) -> None:
        try:
            check_fits_in_memory(loaded, label)
        except ModelTooLargeError as error:
            raise CalibrationError(label, field, error.problem) from None

    fixed = dict(spec.model.set)
    if spec.model.steps is not None:
        fixed["steps"] = spec.model.steps
    for index, scenario in enumerate(spec.model.scenarios):
        try:
            loaded = load_scenario(scenario, overrides=fixed)
        except ScenarioError as error:
            problem = f"{error.field}: {error.problem}" if error.field else error.problem
            raise CalibrationError(
                label, f"model.scenarios[{index}]", f"{scenario}: {problem}"
            ) from None
        fits(loaded, f"model.scenarios[{index}]")
        for position, prior in enumerate(spec.parameters):
            for value in prior.range:
                value = round(value) if prior.integer else value
                try:
                    varied = load_scenario(scenario, overrides={**fixed, prior.path: value})
                except ScenarioError as error:
                    where = "path" if error.problem.startswith("unknown field") else "range"
                    raise CalibrationError(
                        label,
                        f"parameters[{position}].{where}",
                        f"{prior.path} = {value!r}: {error.problem}",
                    ) from None
                fits(varied, f"parameters[{position}].range")
