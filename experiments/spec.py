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
    PolicyMix,
    ScenarioError,
    SmartSpecError,
    is_share_path,
    load_scenario,
    read_toml,
    validation_message,
)
from smartspec.scenarios.loader import mix_table, resolve_toml

from .kinds import DESIGN_KINDS, DesignProblem, design_kind

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
    path: str | None = Field(
        None,
        min_length=1,
        description="Dotted scenario path, e.g. regions.0.firms (required unless the "
        "experiment runs a custom --target, which receives the values by name).",
    )
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
    mixes: list[str] = Field(
        default_factory=list,
        description="comparison: bundled mix names or mix files (.toml, relative to this file).",
    )
    shares: Literal["as_given", "normalised"] = Field(
        "as_given",
        description="Varied budget shares (mix.shares.NAME): as_given = each sampled value is "
        "the share and the other instruments rescale proportionally (shares varied together "
        "must not sum above 1); normalised = the sampled values are weights and the varied "
        "instruments split their base-mix total in proportion (every draw on the simplex).",
    )
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
    outcomes: OutcomeSpec | None = Field(
        None,
        description="What the SmartSpec model records (required unless the experiment runs "
        "a custom --target, whose returned keys are the outcomes).",
    )

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


def load_experiment(
    name_or_path: str | Path, custom_target: bool = False
) -> tuple[ExperimentSpec, Path]:
    """Read and validate an experiment file (bundled name, with or without ``.toml``, or a
    path).

    Beyond the schema, every scenario path is checked against the scenario it applies to by
    loading the base scenario with the parameter at a representative value, so that a typo in
    ``regions.0.absorptive_capacity`` fails here and not after thousands of runs.

    With ``custom_target`` (``smartspec sweep --target``) the runs call the user's own
    function: parameter paths are free names, the outcomes are the keys it returns (the file
    has no ``[outcomes]``), and the design must sample values (not a comparison of
    scenarios and mixes).
    """
    path = _experiment_path(name_or_path)
    label = str(name_or_path)
    raw = _read(path, label)
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as error:
        field, problem = validation_message(error)
        raise ExperimentError(label, field, problem) from None
    if custom_target:
        _check_custom_target(spec, label)
        return spec, path
    if spec.outcomes is None:
        raise ExperimentError(
            label, "outcomes", "required field is missing (name the indicators to record)"
        )
    # Scenario and mix files are named relative to the experiment file.
    spec.model.scenario = _beside(spec.model.scenario, path)
    spec.design.scenarios = [_beside(scenario, path) for scenario in spec.design.scenarios]
    spec.design.mixes = [_beside(mix, path) for mix in spec.design.mixes]
    check_against_scenarios(spec, label)
    return spec, path


def _experiment_path(name_or_path: str | Path) -> Path:
    """A path, or a bundled experiment by name with or without ``.toml``."""
    path = resolve_toml(name_or_path, EXPERIMENT_DIR)
    bundled = EXPERIMENT_DIR / Path(name_or_path).name
    if not path.is_file() and len(Path(name_or_path).parts) == 1 and bundled.is_file():
        return bundled
    return path


def _check_custom_target(spec: ExperimentSpec, label: str) -> None:
    """What an experiment run by the user's own function must (not) say."""
    if spec.outcomes is not None:
        raise ExperimentError(
            label,
            "outcomes",
            "with --target the outcomes are the keys the function returns: remove [outcomes]",
        )
    if spec.design.kind == "comparison":
        raise ExperimentError(
            label,
            "design.kind",
            "a comparison runs SmartSpec scenarios and mixes; with --target use grid, lhs, "
            "sobol or morris",
        )
    _unique_names(spec, label)


def _unique_names(spec: ExperimentSpec, label: str) -> None:
    seen: dict[str, int] = {}
    for position, parameter in enumerate(spec.parameters):
        if parameter.name in seen:
            raise ExperimentError(
                label,
                f"parameters[{position}].name",
                f"duplicate name '{parameter.name}' (also parameters[{seen[parameter.name]}])",
            )
        seen[parameter.name] = position


def _beside(name_or_path: str, experiment: Path) -> str:
    if name_or_path.endswith(".toml") and not Path(name_or_path).is_absolute():
        return str((experiment.parent / name_or_path).resolve())
    return name_or_path


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


def _check_share_parameters(spec: ExperimentSpec, label: str) -> None:
    """Varied budget shares follow the mix rule (:mod:`smartspec.scenarios.shares`): shares
    given as they are must not be able to sum above 1 together; normalised ones are
    non-negative weights of at least two shares of one mix."""
    tables: dict[str, list[int]] = {}
    for position, parameter in enumerate(spec.parameters):
        if is_share_path(parameter.path):
            table = parameter.path.rsplit(".shares.", 1)[0]
            tables.setdefault(table, []).append(position)
    for table, positions in tables.items():
        names = ", ".join(spec.parameters[position].name for position in positions)
        first = f"parameters[{positions[0]}]"
        if spec.design.shares == "normalised":
            if len(positions) < 2:
                raise ExperimentError(
                    label,
                    "design.shares",
                    f"normalised needs at least two varied shares of {table} (only {names})",
                )
            for position in positions:
                low = min(_values_to_check(spec.parameters[position]))
                if low < 0:
                    raise ExperimentError(
                        label,
                        f"parameters[{position}].range",
                        f"a share weight must be >= 0 (can be {low:g})",
                    )
        elif len(positions) > 1:
            highest = sum(max(_values_to_check(spec.parameters[p])) for p in positions)
            if highest > 1.0 + 1e-9:
                raise ExperimentError(
                    label,
                    f"{first}.{'levels' if spec.parameters[positions[0]].levels else 'range'}",
                    f"the shares {names} of {table} can sum to {highest:.6g} > 1, an "
                    "infeasible mix: narrow their ranges, or set design.shares = "
                    '"normalised" to sample them on the simplex',
                )


def check_against_scenarios(spec: ExperimentSpec, label: str) -> None:
    """Check an experiment against the scenarios it runs (before anything runs): unique
    parameter names, known mixes, every parameter path and value accepted by each scenario,
    the outcome region present, every outcome a numeric indicator. Raises
    :class:`ExperimentError` naming ``label`` and the field."""
    _unique_names(spec, label)
    if spec.outcomes is None:
        raise ExperimentError(label, "outcomes", "required field is missing")
    for position, parameter in enumerate(spec.parameters):
        if parameter.path is None:
            raise ExperimentError(
                label, f"parameters[{position}].path", "required field is missing"
            )
    scenarios = spec.design.scenarios or [spec.model.scenario]
    for index, mix in enumerate(spec.design.mixes):
        try:
            PolicyMix.model_validate(mix_table(mix, label, f"design.mixes[{index}]"))
        except ScenarioError as error:
            raise ExperimentError(error.source, error.field, error.problem) from None
        except ValidationError as error:
            field, problem = validation_message(error)
            raise ExperimentError(
                label, f"design.mixes[{index}]", f"{mix}: {field}: {problem}"
            ) from None
    _check_share_parameters(spec, label)
    weights = {
        parameter.path
        for parameter in spec.parameters
        if spec.design.shares == "normalised" and is_share_path(parameter.path)
    }
    base_overrides = dict(spec.model.set)
    if spec.model.steps is not None:
        base_overrides["steps"] = spec.model.steps
    for index, scenario in enumerate(scenarios):
        field = f"design.scenarios[{index}]" if spec.design.scenarios else "model.scenario"
        try:
            loaded = load_scenario(scenario, overrides=base_overrides)
        except ScenarioError as error:
            problem = f"{error.field}: {error.problem}" if error.field else error.problem
            raise ExperimentError(label, field, f"{scenario}: {problem}") from None
        for position, parameter in enumerate(spec.parameters):
            if parameter.path in weights:
                continue  # weights, not shares: checked by _check_share_parameters
            for value in _values_to_check(parameter):
                try:
                    load_scenario(scenario, overrides={**base_overrides, parameter.path: value})
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
    from smartspec.model.indicators import is_indicator

    for group in ("final", "mean", "total", "series"):
        for index, column in enumerate(getattr(spec.outcomes, group)):
            if not is_indicator(column):
                raise ExperimentError(
                    label, f"outcomes.{group}[{index}]", f"unknown indicator '{column}'"
                )
