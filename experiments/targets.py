"""What one run executes: the SmartSpec model, any Mesa model class, or a plain callable.

A target is a picklable object called with a :class:`RunTask`; it returns the run's scalar
outcomes (a dict) and, optionally, its time series (a DataFrame with a ``step`` column). Every
random draw comes from the task's seed, so a run gives the same result on any executor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from smartspec.model.indicators import indicator
from smartspec.scenarios import load_scenario, normalise_share_weights, split_share_overrides
from smartspec.scenarios.shares import mix_table_at

from .designs import RunTask
from .spec import ExperimentError, ExperimentSpec, OutcomeSpec

__all__ = [
    "CallableTarget",
    "MesaTarget",
    "SmartSpecTarget",
    "Target",
    "aggregate_regions",
    "import_target",
    "indicator_outcomes",
    "summarise",
]


class Target(Protocol):
    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]: ...


def aggregate_regions(indicators: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """All regions together per step, as the indicator registry says: sums for counts and
    money, employment-weighted means for shares, rates and levels. A mean leaves out the
    regions where the indicator is undefined (NaN: no entries, labs or priorities there this
    quarter), so that one such region does not blank the whole; NaN when all are."""
    if indicators["region"].nunique() == 1:
        return indicators[["step", *columns]].reset_index(drop=True)
    rows = {}
    weights = indicators["employment"].to_numpy()
    steps = indicators["step"].to_numpy()
    order = np.unique(steps)
    rows["step"] = order
    for column in columns:
        values = indicators[column].to_numpy(dtype=np.float64)
        if indicator(column).across_regions == "sum":
            rows[column] = np.array([values[steps == s].sum() for s in order])
        else:
            rows[column] = np.array(
                [_defined_mean(values[steps == s], weights[steps == s]) for s in order]
            )
    return pd.DataFrame(rows)


def _defined_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean of the finite ``values`` (unweighted if their weights sum to 0; NaN if
    none is finite)."""
    defined = np.isfinite(values)
    if not defined.any():
        return np.nan
    values, weights = values[defined], weights[defined]
    return float(np.average(values, weights=weights) if weights.sum() > 0 else values.mean())


def summarise(series: pd.DataFrame, outcomes: OutcomeSpec) -> dict[str, float]:
    """Scalar outcomes from a per-step table: final_X, mean_X (last window), total_X."""
    result: dict[str, float] = {}
    for column in outcomes.final:
        result[f"final_{column}"] = float(series[column].iloc[-1])
    for column in outcomes.mean:
        result[f"mean_{column}"] = float(series[column].iloc[-outcomes.window :].mean())
    for column in outcomes.total:
        result[f"total_{column}"] = float(series[column].iloc[1:].sum())
    return result


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmartSpecTarget:
    """Runs :class:`~smartspec.model.EcosystemModel` with the task's scenario, mix, parameter
    values (by dotted path) and seed.

    ``paths`` maps each value's name to its dotted path; values drawn from a calibration are
    named by their path and map to themselves.

    ``mix``, when set, replaces the task's mix. ``variants`` maps a parameter name to named
    sets of overrides: its value in a task picks the set applied (e.g. ``reform`` ->
    {"finance": {...}}), for studies whose levels change several fields at once.

    Budget shares (``mix.shares.NAME``) follow the mix rule of
    :mod:`smartspec.scenarios.shares`; with ``share_weights`` (``design.shares =
    "normalised"``) their values are weights, normalised onto the simplex first. The shares a
    run realised are recorded as outcomes ``realised.mix.shares.NAME``.
    """

    fixed: Mapping[str, Any]
    paths: Mapping[str, str]
    steps: int | None
    outcomes: OutcomeSpec
    mix: str | None = None
    variants: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    share_weights: bool = False

    @classmethod
    def from_spec(cls, spec: ExperimentSpec, drawn: Iterable[str] = ()) -> SmartSpecTarget:
        """The target an experiment file describes; ``drawn`` are the dotted paths of
        values drawn from a calibration (:attr:`~.designs.Design.drawn_paths`)."""
        if spec.outcomes is None:
            raise ExperimentError(
                spec.name, "outcomes", "required to run the SmartSpec model (or use a target)"
            )
        paths = {parameter.name: parameter.path for parameter in spec.parameters}
        return cls(
            fixed=dict(spec.model.set),
            paths={**paths, **{path: path for path in drawn}},
            steps=spec.model.steps,
            outcomes=spec.outcomes,
            share_weights=spec.design.shares == "normalised",
        )

    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]:
        from smartspec.model import EcosystemModel

        overrides = dict(self.fixed)
        if self.steps is not None:
            overrides["steps"] = self.steps
        for name, value in task.values.items():
            if name in self.variants:
                overrides.update(self.variants[name][value])
            else:
                overrides[self.paths[name]] = value
        mix = self.mix if self.mix is not None else task.mix
        # Runs in worker processes too, where nothing is configured and DEBUG goes nowhere.
        logger.debug(
            "run %d: %s, mix %s, seed %d, %d overrides",
            task.run_id,
            task.scenario,
            mix,
            task.seed,
            len(overrides),
        )
        share_tables, others = split_share_overrides(overrides)
        if self.share_weights and share_tables:
            overrides = {**others, **_normalised_shares(task.scenario, mix, others, share_tables)}
        model = EcosystemModel(task.scenario, rng=task.seed, mix=mix, **overrides)
        model.run_for(model.spec.steps)
        scalars, series = indicator_outcomes(model.indicators(), self.outcomes)
        return {**scalars, **_realised_shares(model.spec, share_tables)}, series


def indicator_outcomes(
    indicators: pd.DataFrame, outcomes: OutcomeSpec
) -> tuple[dict[str, float], pd.DataFrame | None]:
    """A run's outcomes from its indicator table (``EcosystemModel.indicators()``).

    Parameters
    ----------
    indicators
        One row per region and step.
    outcomes
        Which indicators, how reduced, and for which region (default: all regions together,
        :func:`aggregate_regions`).

    Returns
    -------
    tuple
        The scalars (:func:`summarise`: ``final_X``, ``mean_X``, ``total_X``) and the series
        (a ``step`` column and one per ``outcomes.series`` indicator; None without series).
    """
    columns = sorted(set(outcomes.final + outcomes.mean + outcomes.total + outcomes.series))
    if outcomes.region is not None:
        per_step = indicators[indicators["region"] == outcomes.region][["step", *columns]]
        per_step = per_step.reset_index(drop=True)
    else:
        per_step = aggregate_regions(indicators, columns)
    series = per_step[["step", *outcomes.series]] if outcomes.series else None
    return summarise(per_step, outcomes), series


def _normalised_shares(
    scenario: str, mix: str | None, others: Mapping[str, Any], weights: Mapping[str, Any]
) -> dict[str, float]:
    """Share weights turned into shares of the base mix's simplex (one table each)."""
    base = load_scenario(scenario, mix=mix, overrides=others).model_dump(mode="json")
    shares: dict[str, float] = {}
    for table, given in weights.items():
        shares_now = mix_table_at(base, table, scenario)["shares"]
        made = normalise_share_weights(shares_now, given, field=f"{table}.shares")
        shares.update({f"{table}.shares.{name}": value for name, value in made.items()})
    return shares


def _realised_shares(spec: Any, tables: Mapping[str, Any]) -> dict[str, float]:
    """Every share of each mix table the run changed, as the run used it."""
    realised: dict[str, float] = {}
    raw = {"mix": spec.mix.model_dump(mode="json")} if tables else {}
    for table in tables:
        shares = mix_table_at(raw, table, spec.name)["shares"]
        realised.update(
            {f"realised.{table}.shares.{name}": float(share) for name, share in shares.items()}
        )
    return realised


@dataclass(frozen=True)
class CallableTarget:
    """A plain function ``f(params: dict, rng: numpy.random.Generator) -> dict``.

    Scalar values become outcomes; sequence values become time series (one row per index).
    The function must be importable by name (a module-level function) to run in processes.
    """

    function: Callable[[dict[str, Any], np.random.Generator], Mapping[str, Any]]

    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]:
        raw = self.function(dict(task.values), np.random.default_rng(task.seed))
        scalars: dict[str, Any] = {}
        sequences: dict[str, Any] = {}
        for key, value in raw.items():
            if np.ndim(value) == 0:
                scalars[key] = value.item() if isinstance(value, np.generic) else value
            else:
                sequences[key] = np.asarray(value)
        series = None
        if sequences:
            length = max(len(values) for values in sequences.values())
            series = pd.DataFrame({"step": np.arange(length), **sequences})
        return scalars, series


@dataclass(frozen=True)
class MesaTarget:
    """Any Mesa model class: ``model_class(**fixed, **values, rng=seed)`` run for ``steps``;
    outcomes are the final values of its DataCollector's model reporters (and their series)."""

    model_class: type
    steps: int
    fixed: Mapping[str, Any] = field(default_factory=dict)
    series: bool = True

    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]:
        model = self.model_class(**self.fixed, **task.values, rng=task.seed)
        for _ in range(self.steps):
            if not getattr(model, "running", True):
                break
            model.step()
        frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        scalars = {
            f"final_{column}": float(frame[column].iloc[-1])
            for column in frame.columns
            if np.issubdtype(frame[column].dtype, np.number)
        }
        series = None
        if self.series:
            numeric = frame.select_dtypes("number")
            series = numeric.assign(step=np.arange(len(numeric)))
        return scalars, series


def import_target(reference: str) -> CallableTarget:
    """The user's own function named ``package.module:function``, as a run target.

    This is the one place where SmartSpec runs code the user names, and only on request
    (``smartspec sweep FILE --target ...``): an experiment file never names code itself. The
    module is imported from the current folder or the installed packages; worker processes
    import it by the same name.

    Raises
    ------
    ExperimentError
        A reference not of the form ``module:function``, a module that cannot be imported,
        or a name that is missing or not callable.
    """
    import importlib
    import os
    import sys

    module_name, sep, function_name = reference.partition(":")
    if not sep or not module_name or not function_name.isidentifier():
        raise ExperimentError(
            "--target", "", f"expected package.module:function, got {reference!r}"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # spawned workers inherit sys.path
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any import failure is the user's to fix
        raise ExperimentError(
            "--target", "", f"cannot import {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ExperimentError("--target", "", f"{module_name!r} has no function {function_name!r}")
    return CallableTarget(function)
