"""Experiment definition files (TOML): what to run, what varies, which design, what to record.

An experiment file names a base scenario, the fields that vary (dotted scenario paths with
ranges, distributions or levels), the design, the replications, the horizon, the outcomes and
the master seed. It is validated like a scenario: every problem is one line naming the file,
the field and the problem (:class:`ExperimentError`), before anything is run or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from smartspec.scenarios import (
    Scenario,
    ScenarioError,
    SmartSpecError,
    bundled_mixes,
    did_you_mean,
    load_scenario,
    read_toml,
    validation_message,
)
from smartspec.scenarios.loader import resolve_toml

from .kinds import DESIGN_KINDS, DesignProblem, design_kind
from .limits import check_run_budget

__all__ = [
    "DesignSpec",
    "ExperimentError",
    "ExperimentSpec",
    "ModelSpec",
    "OutcomeSpec",
    "ParameterSpec",
    "bundled_experiments",
    "check_against_scenarios",
    "load_experiment",
    "planned_runs",
]

EXPERIMENT_DIR = Path(__file__).resolve().parent


class ExperimentError(SmartSpecError):
    """An experiment file that cannot be used, with a one-line explanation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ModelSpec(_Strict):
    """The simulation every run starts from."""

    scenario: str = Field("emerging", description="Bundled scenario name or TOML path.")
    steps: int | None = Field(None, ge=1, le=10_000, description="Horizon (quarters).")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed dotted overrides applied to every run."
    )


class ParameterSpec(_Strict):
    """One varying scenario field."""

    name: str = Field(min_length=1, description="Short name used in result tables.")
    path: str = Field(min_length=1, description="Dotted scenario path, e.g. regions.0.firms.")
    range: tuple[float, float] | None = Field(
        None, description="[low, high] for uniform, or [mean, s.d.] for normal."
    )
    distribution: Literal["uniform", "normal", "triangular", "lognormal"] = Field(
        "uniform", description="Sampling distribution for designs that sample a range."
    )
    levels: list[Any] | None = Field(None, description="Values for a grid design.")
    integer: bool = Field(False, description="Round sampled values to whole numbers.")

    @model_validator(mode="after")
    def _range_ordered(self) -> ParameterSpec:
        if self.range is not None and self.distribution in ("uniform", "triangular"):
            if not self.range[0] < self.range[1]:
                raise ValueError(f"range low must be below high (got {list(self.range)})")
        if self.range is not None and self.distribution in ("normal", "lognormal"):
            if self.range[1] <= 0:
                raise ValueError("the spread (second value of range) must be positive")
        return self


class DesignSpec(_Strict):
    """How design points are chosen and replicated."""

    kind: str = Field(
        description="; ".join(f"{kind.name}: {kind.description}" for kind in DESIGN_KINDS.values())
    )
    replications: int = Field(1, ge=1, le=100_000, description="Seeds per design point.")
    seed: int = Field(2026, ge=0, description="Master seed (numpy SeedSequence).")
    scenarios: list[str] = Field(
        default_factory=list, description="comparison: scenarios (default: the model's)."
    )
    mixes: list[str] = Field(default_factory=list, description="comparison: bundled mixes.")
    samples: int = Field(
        64, ge=1, le=1_000_000, description="lhs: points; sobol: N (power of 2); morris: r."
    )
    second_order: bool = Field(True, description="sobol: also sample second-order indices.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels.")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in DESIGN_KINDS:
            raise ValueError(f"must be one of: {', '.join(DESIGN_KINDS)}")
        return kind


class OutcomeSpec(_Strict):
    """What is recorded per run (scalars) and, optionally, over time (series)."""

    region: str | None = Field(
        None,
        description="Region whose indicators are recorded (default: all regions "
        "together, employment-weighted like the model reporters).",
    )
    final: list[str] = Field(default_factory=list, description="Value at the last step.")
    mean: list[str] = Field(default_factory=list, description="Mean over the last window.")
    total: list[str] = Field(default_factory=list, description="Sum over all steps.")
    window: int = Field(8, ge=1, le=10_000, description="Steps in the mean window.")
    series: list[str] = Field(default_factory=list, description="Recorded every step.")

    @model_validator(mode="after")
    def _something(self) -> OutcomeSpec:
        if not (self.final or self.mean or self.total or self.series):
            raise ValueError("name at least one outcome (final, mean, total or series)")
        return self


class ExperimentSpec(_Strict):
    """A complete experiment definition."""

    name: str = Field(min_length=1)
    description: str = ""
    model: ModelSpec = Field(default_factory=ModelSpec)
    design: DesignSpec
    parameters: list[ParameterSpec] = Field(default_factory=list)
    outcomes: OutcomeSpec

    @model_validator(mode="after")
    def _parameters_fit_design(self) -> ExperimentSpec:
        kind = design_kind(self.design.kind)
        if kind.needs_parameters and not self.parameters:
            raise DesignProblem(
                "parameters", f"a {kind.name} design needs at least one [[parameters]] entry"
            )
        for index, parameter in enumerate(self.parameters):
            given = parameter.levels if kind.parameters == "levels" else parameter.range
            if not given:
                raise DesignProblem(
                    f"parameters[{index}].{kind.parameters}",
                    f"{kind.name} needs {kind.parameters} (parameter '{parameter.name}')",
                )
        kind.check(self)
        return self


def _read(path: Path, label: str) -> dict[str, Any]:
    try:
        return read_toml(path, label)
    except ScenarioError as error:
        raise ExperimentError(error.source, error.field, error.problem) from None


def bundled_experiments() -> list[Path]:
    """Bundled experiment files; ``calibrate_*.toml`` beside them are calibration files."""
    return sorted(
        path for path in EXPERIMENT_DIR.glob("*.toml") if not path.name.startswith("calibrate_")
    )


def planned_runs(spec: ExperimentSpec) -> int:
    """How many runs the experiment plans (design points x replications), computed without
    making the design."""
    return design_kind(spec.design.kind).point_count(spec) * spec.design.replications


def load_experiment(
    name_or_path: str | Path, max_runs: int | None = None
) -> tuple[ExperimentSpec, Path]:
    """Read and validate an experiment file (bundled name or path).

    Beyond the schema, the planned run count is checked against ``max_runs`` (default
    :data:`~smartspec.experiments.limits.MAX_RUNS`) before any design is made, and every
    scenario path is checked against the scenario it applies to by loading the base scenario
    with the parameter at a representative value, so that a typo in
    ``regions.0.absorptive_capacity`` fails here and not after thousands of runs; a scenario
    whose model would not fit in memory is refused here too.
    """
    path = resolve_toml(name_or_path, EXPERIMENT_DIR)
    label = str(name_or_path)
    raw = _read(path, label)
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as error:
        field, problem = validation_message(error, ExperimentSpec)
        raise ExperimentError(label, field, problem) from None
    check_run_budget(planned_runs(spec), max_runs, label, "design")
    scenario = spec.model.scenario
    if scenario.endswith(".toml") and not Path(scenario).is_absolute():
        spec.model.scenario = str((path.parent / scenario).resolve())
    check_against_scenarios(spec, label)
    return spec, path


def _values_to_check(parameter: ParameterSpec) -> list[Any]:
    """Values the design can produce: every grid level; for a range its ends and an inner
    point (fractional unless ``integer``, which catches whole-number fields)."""
    if parameter.levels:
        return list(parameter.levels)
    low, high = parameter.range  # type: ignore[misc]
    if parameter.distribution == "normal":
        values = [low, low - 2 * high, low + 2 * high]
    elif parameter.distribution == "lognormal":
        values = [float(np.exp(low)), float(np.exp(low + 2 * high))]
    else:
        values = [low, high, low + 0.381966 * (high - low)]  # golden section: rarely whole
    return [round(value) for value in values] if parameter.integer else values


def check_against_scenarios(spec: ExperimentSpec, label: str) -> None:
    """Check an experiment against the scenarios it runs (before anything runs): unique
    parameter names, known mixes, every parameter path and value accepted by each scenario,
    the outcome region present, every outcome a numeric indicator. Raises
    :class:`ExperimentError` naming ``label`` and the field."""
    seen: dict[str, int] = {}
    for position, parameter in enumerate(spec.parameters):
        if parameter.name in seen:
            raise ExperimentError(
                label,
                f"parameters[{position}].name",
                f"duplicate name '{parameter.name}' (also parameters[{seen[parameter.name]}])",
            )
        seen[parameter.name] = position
    from smartspec.model.footprint import ModelTooLargeError, check_fits_in_memory

    def fits(scenario: Scenario, label: str, field: str) -> None:
        try:
            check_fits_in_memory(scenario, label)
        except ModelTooLargeError as error:
            raise ExperimentError(label, field, error.problem) from None

    scenarios = spec.design.scenarios or [spec.model.scenario]
    known_mixes = {entry.name for entry in bundled_mixes()}
    for index, mix in enumerate(spec.design.mixes):
        if mix not in known_mixes:
            raise ExperimentError(
                label,
                f"design.mixes[{index}]",
                f"unknown mix '{mix}' (bundled: {', '.join(sorted(known_mixes))})",
            )
    base_overrides = dict(spec.model.set)
    if spec.model.steps is not None:
        base_overrides["steps"] = spec.model.steps
    single_region = ""
    for index, scenario in enumerate(scenarios):
        field = f"design.scenarios[{index}]" if spec.design.scenarios else "model.scenario"
        try:
            loaded = load_scenario(scenario, overrides=base_overrides)
        except ScenarioError as error:
            problem = f"{error.field}: {error.problem}" if error.field else error.problem
            raise ExperimentError(label, field, f"{scenario}: {problem}") from None
        fits(loaded, label, field)
        if len(loaded.regions) == 1:
            single_region = single_region or str(scenario)
        for position, parameter in enumerate(spec.parameters):
            for value in _values_to_check(parameter):
                try:
                    varied = load_scenario(
                        scenario, overrides={**base_overrides, parameter.path: value}
                    )
                    fits(varied, label, f"parameters[{position}]")
                except ScenarioError as error:
                    field = "path" if value == _values_to_check(parameter)[0] else "range"
                    if parameter.levels:
                        field = "levels"
                    hint = ""
                    if not parameter.integer and "integer" in error.problem:
                        hint = " (add integer = true)"
                    raise ExperimentError(
                        label,
                        f"parameters[{position}].{field}",
                        f"{parameter.path} = {value!r}: {error.problem}{hint}",
                    ) from None
        if spec.outcomes.region is not None:
            names = [region.name for region in loaded.regions]
            if spec.outcomes.region not in names:
                raise ExperimentError(
                    label,
                    "outcomes.region",
                    f"no region '{spec.outcomes.region}' in {scenario} (regions: "
                    f"{', '.join(names)})",
                )
    from smartspec.model.indicators import INDICATORS, is_indicator
    from smartspec.model.metrics import MULTI_REGION_INDICATORS

    numeric = [entry.name for entry in INDICATORS if is_indicator(entry.name)]
    for group in ("final", "mean", "total", "series"):
        for index, column in enumerate(getattr(spec.outcomes, group)):
            if not is_indicator(column):
                raise ExperimentError(
                    label,
                    f"outcomes.{group}[{index}]",
                    f"unknown indicator '{column}'{did_you_mean(column, numeric)}",
                )
            if column in MULTI_REGION_INDICATORS and single_region:
                raise ExperimentError(
                    label,
                    f"outcomes.{group}[{index}]",
                    f"'{column}' is empty in the one-region scenario {single_region}: "
                    f"{MULTI_REGION_INDICATORS[column]} regions",
                )
