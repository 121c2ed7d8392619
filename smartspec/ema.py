"""EMA Workbench connector: a SmartSpec scenario as an ``ema_workbench`` model.

    from ema_workbench import perform_experiments
    from smartspec.ema import smartspec_model

    model = smartspec_model(
        "emerging",
        uncertainties={"regions.0.absorptive_capacity": (0.15, 0.35)},
        levers={"mix.shares.training": (0.0, 0.4)},
        outcomes={"final": ["innovation_index"], "series": ["rd_intensity"]},
        replications=3,
        steps=12,
    )
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=4)

Uncertainties and levers are scenario fields named by dotted path, as in ``--set`` and
experiment files. Three kinds of path need a word:

- ``mix`` is a bundled mix's name (a categorical lever over mixes).
- ``mix.shares.NAME`` sets one instrument's budget share; the shares not set are rescaled
  proportionally so that all still sum to 1 (:func:`smartspec.scenarios.set_mix_shares`,
  the rule of ``--set`` and experiment files).
  Shares set together must not sum to more than 1, and a share cannot take budget from
  instruments that all have share 0: such a point stops with one line naming the shares.
  A mix with later ``phases`` keeps them as they are; the shares set are its first phase's.
- ``seed`` is not a parameter: every experiment runs the same replication seeds (common
  random numbers), spawned from ``seed`` like an experiment file's.

Outcomes are indicators of the registry (:mod:`smartspec.model.indicators`), reduced as in an
experiment file (:class:`~smartspec.experiments.spec.OutcomeSpec`): ``final_X``, ``mean_X``
and ``total_X`` become :class:`ema_workbench.ScalarOutcome`, ``series`` indicators
:class:`ema_workbench.TimeSeriesOutcome` (one value per quarter). With ``replications > 1``
the model is an :class:`ema_workbench.ReplicatorModel` and each outcome is reduced over the
replications by ``replication_summary`` (the mean by default; series quarter by quarter).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from smartspec.experiments.designs import replication_seeds
from smartspec.experiments.spec import OutcomeSpec
from smartspec.experiments.targets import aggregate_regions, indicator_outcomes, summarise
from smartspec.scenarios import (
    Scenario,
    ScenarioError,
    SmartSpecError,
    load_scenario,
    validation_message,
)

if TYPE_CHECKING:  # ema_workbench is imported when a model is made, not with this module
    from ema_workbench import Model, ReplicatorModel
    from ema_workbench.em_framework.parameters import Parameter

__all__ = [
    "EmaError",
    "OutcomeSpec",
    "SmartSpecFunction",
    "aggregate_regions",
    "indicator_outcomes",
    "scenario_with",
    "smartspec_model",
    "summarise",
]


class EmaError(SmartSpecError):
    """A connector set-up that cannot run, with a one-line explanation."""


def _plain(value: Any) -> Any:
    # EMA samples NumPy scalars; the scenario schema and TOML overrides take Python values.
    return value.item() if isinstance(value, np.generic) else value


def scenario_with(
    scenario: str | Path, values: Mapping[str, Any], mix: str | None = None
) -> Scenario:
    """A scenario with values set by dotted path, mix shares rescaled to sum to 1.

    Parameters
    ----------
    scenario
        A bundled scenario name or a TOML path.
    values
        Dotted path -> value. ``mix`` names a bundled mix; ``mix.shares.NAME`` sets a share
        of the (resulting) mix and rescales the shares not set proportionally.
    mix
        A bundled mix replacing the scenario's (``values["mix"]`` wins).

    Raises
    ------
    ScenarioError
        One line naming the scenario, the field and the problem.
    """
    overrides: dict[str, Any] = {}
    for path, value in values.items():
        if path == "mix":
            mix = str(_plain(value))
        else:
            overrides[path] = _plain(value)
    # The loader applies mix.shares.NAME after the mix is chosen (set_mix_shares).
    return load_scenario(scenario, mix=mix, overrides=overrides)


def _mean_over_replications(values: Any) -> np.ndarray:
    """A series outcome's replications (one row each) reduced quarter by quarter."""
    return np.mean(np.asarray(values, dtype=np.float64), axis=0)


@dataclass(frozen=True)
class SmartSpecFunction:
    """The callable EMA runs for one experiment (and replication): keyword arguments are
    dotted scenario paths, plus ``seed``. Picklable, so it runs on EMA's process pools."""

    scenario: str
    outcomes: OutcomeSpec
    mix: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, seed: int = 0, **values: Any) -> dict[str, Any]:
        from smartspec.model import EcosystemModel

        spec = scenario_with(self.scenario, {**self.fixed, **values}, self.mix)
        model = EcosystemModel(spec, rng=int(seed))
        model.run_for(spec.steps)
        scalars, series = indicator_outcomes(model.indicators(), self.outcomes)
        result: dict[str, Any] = dict(scalars)
        for column in self.outcomes.series:
            result[column] = series[column].to_numpy(dtype=np.float64)  # type: ignore[index]
        return result


def _identifier(path: str) -> str:
    return re.sub(r"\W", "_", path).strip("_") or "parameter"


def _parameters(given: Iterable[Parameter] | Mapping[str, Any], what: str) -> list[Parameter]:
    """EMA parameters from ``{path: (low, high) | [levels]}`` or as given."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    if not isinstance(given, Mapping):
        return list(given)
    made = []
    for path, spec in given.items():
        name = _identifier(path)
        if isinstance(spec, tuple) and len(spec) == 2:
            low, high = (_plain(bound) for bound in spec)
            if not low < high:
                raise EmaError(what, path, f"low must be below high (got {spec!r})")
            if isinstance(low, int) and isinstance(high, int):
                made.append(IntegerParameter(name, low, high, variable_name=path))
            else:
                made.append(RealParameter(name, float(low), float(high), variable_name=path))
        elif isinstance(spec, list) and spec:
            made.append(CategoricalParameter(name, spec, variable_name=path))
        else:
            raise EmaError(
                what, path, f"give (low, high) for a range or [a, b, ...] for levels, not {spec!r}"
            )
    return made


def _values_of(parameter: Parameter) -> list[Any]:
    """The values a parameter can take that a check should try: its ends, or every level."""
    categories = getattr(parameter, "categories", None)
    if categories is not None:
        return [category.value for category in categories]
    return [parameter.lower_bound, parameter.upper_bound]


def _check(
    scenario: str, mix: str | None, fixed: Mapping[str, Any], parameters: list[Any], what: str
) -> None:
    """Every parameter's values accepted by the scenario, before anything runs."""
    for parameter in parameters:
        paths = parameter.variable_name
        if len(paths) != 1:
            raise EmaError(what, parameter.name, "one scenario path per parameter")
        if paths[0] == "seed":
            raise EmaError(what, parameter.name, "seed is set by the replications, not sampled")
        for value in _values_of(parameter):
            try:
                scenario_with(scenario, {**fixed, paths[0]: value}, mix)
            except ScenarioError as error:
                raise EmaError(
                    what, parameter.name, f"{paths[0]} = {value!r}: {error.problem}"
                ) from None


def _outcome_spec(outcomes: OutcomeSpec | Mapping[str, Any], scenario: Scenario) -> OutcomeSpec:
    from smartspec.model.indicators import is_indicator

    if not isinstance(outcomes, OutcomeSpec):
        try:
            outcomes = OutcomeSpec.model_validate(dict(outcomes))
        except ValidationError as error:
            field, problem = validation_message(error)
            raise EmaError("outcomes", field, problem) from None
    for group in ("final", "mean", "total", "series"):
        for index, column in enumerate(getattr(outcomes, group)):
            if not is_indicator(column):
                raise EmaError("outcomes", f"{group}[{index}]", f"unknown indicator '{column}'")
    names = [region.name for region in scenario.regions]
    if outcomes.region is not None and outcomes.region not in names:
        raise EmaError(
            "outcomes", "region", f"no region '{outcomes.region}' (regions: {', '.join(names)})"
        )
    return outcomes


def smartspec_model(
    scenario: str | Path = "emerging",
    uncertainties: Iterable[Parameter] | Mapping[str, Any] = (),
    levers: Iterable[Parameter] | Mapping[str, Any] = (),
    outcomes: OutcomeSpec | Mapping[str, Any] | None = None,
    *,
    mix: str | None = None,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    replications: int = 1,
    seed: int = 2026,
    replication_summary: Callable[..., Any] = np.mean,
    name: str = "smartspec",
) -> Model | ReplicatorModel:
    """An ``ema_workbench`` model that runs a SmartSpec scenario.

    Parameters
    ----------
    scenario
        Bundled scenario name or TOML path.
    uncertainties, levers
        EMA parameters whose ``variable_name`` is a dotted scenario path, or a mapping
        ``{path: (low, high)}`` (integers give an ``IntegerParameter``, else a
        ``RealParameter``) or ``{path: [level, ...]}`` (a ``CategoricalParameter``); the
        parameter's name is the path with ``_`` for ``.``.
    outcomes
        An :class:`~smartspec.experiments.spec.OutcomeSpec` or its fields as a mapping, e.g.
        ``{"final": ["innovation_index"], "series": ["rd_intensity"], "region": "Emerging"}``.
    mix
        A bundled mix replacing the scenario's.
    steps
        Horizon in quarters (default: the scenario's).
    fixed
        Dotted path -> value applied to every run.
    replications
        Seeds per experiment; more than 1 makes a ``ReplicatorModel``.
    seed
        Master seed of the replication seeds (``numpy.random.SeedSequence``).
    replication_summary
        Reduces a scalar outcome's replications (a series is averaged quarter by quarter).
    name
        The EMA model's name (a Python identifier).

    Returns
    -------
    ema_workbench.Model or ema_workbench.ReplicatorModel

    Raises
    ------
    EmaError
        One line naming the argument, the parameter or outcome and the problem: a path the
        scenario refuses at one of its values, an unknown indicator or region.
    """
    with warnings.catch_warnings():
        # importing ema_workbench warns that optional parallel back-ends are missing
        warnings.simplefilter("ignore")
        from ema_workbench import (
            Constant,
            Model,
            ReplicatorModel,
            ScalarOutcome,
            TimeSeriesOutcome,
        )

    if outcomes is None:
        raise EmaError("outcomes", "", "name at least one outcome (final, mean, total, series)")
    if replications < 1:
        raise EmaError("replications", "", f"must be at least 1 (got {replications})")
    fixed = {key: _plain(value) for key, value in (fixed or {}).items()}
    if steps is not None:
        fixed["steps"] = int(steps)
    label = str(scenario)
    try:
        base = scenario_with(label, fixed, mix)
    except ScenarioError as error:
        raise EmaError(label, error.field, error.problem) from None
    outcome_spec = _outcome_spec(outcomes, base)
    made_uncertainties = _parameters(uncertainties, "uncertainties")
    made_levers = _parameters(levers, "levers")
    _check(label, mix, fixed, made_uncertainties, "uncertainties")
    _check(label, mix, fixed, made_levers, "levers")

    function = SmartSpecFunction(scenario=label, outcomes=outcome_spec, mix=mix, fixed=fixed)
    seeds = replication_seeds(seed, replications)
    scalar_names = [
        f"{prefix}_{column}"
        for prefix in ("final", "mean", "total")
        for column in getattr(outcome_spec, prefix)
    ]
    if replications == 1:
        model: Model | ReplicatorModel = Model(name, function=function)
        model.constants = [Constant("seed", seeds[0])]
        model.outcomes = [ScalarOutcome(column) for column in scalar_names] + [
            TimeSeriesOutcome(column) for column in outcome_spec.series
        ]
    else:
        model = ReplicatorModel(name, function=function)
        model.replications = [{"seed": replica} for replica in seeds]
        model.outcomes = [
            ScalarOutcome(column, function=replication_summary) for column in scalar_names
        ] + [
            TimeSeriesOutcome(column, function=_mean_over_replications)
            for column in outcome_spec.series
        ]
    model.uncertainties = made_uncertainties
    model.levers = made_levers
    return model
