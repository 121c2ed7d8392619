"""Morris screening before history matching: which parameters move the targets at all.

History matching with Gaussian-process emulators works in about twenty dimensions at most; the
model has well over a hundred coefficients. The screening runs a Morris design (SALib, through
the experiments layer) over every candidate parameter, scores each by its largest scaled
elementary effect over the targets, and keeps the active ones. The others stay at their
defaults, and the report lists them.

Elementary effects are measured per unit of each parameter's prior range, in every
replication (a replication's seed is shared by all Morris points, so its effects are paired).
mu*_{p,t} is the mean absolute effect of the replications' mean; with two or more replications
the spread of effects between replications gives the noise floor, what mu* would be for a
parameter that does nothing. Score of parameter p: max over targets t of
max(0, mu*_{p,t} - 2 floor_t) / sqrt(Var_obs,t + Var_disc,t), the effect above the noise in units
of the target's tolerance, so that targets measured in different units compare and a noisy
target does not promote parameters on its noise alone. A parameter is kept when its score is
positive and at least ``threshold`` times the largest score, up to ``keep`` parameters,
largest first.

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161-174.
Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. Environmental Modelling & Software 22, 1509-1518.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from smartspec.scenarios import load_scenario
from smartspec.scenarios.base import group_of, unit_of

from ..store import write_bytes_atomically
from .folder import write_json
from .space import ParameterSpace, Stage, StageRunner
from .spec import CalibrationSpec, PriorSpec, TargetSpec
from .waves import wide_summary

__all__ = [
    "ScreeningResult",
    "behavioural_parameters",
    "candidate_priors",
    "default_prior",
    "elementary_effects",
    "screening_scores",
    "run_screening",
    "select_parameters",
]

#: Halvings toward the default before a prior's end falls back on the default itself.
PULL_STEPS = 20
#: A parameter counts as active for a target when its mu* exceeds this many noise floors.
NOISE_MARGIN = 2.0
#: Scenario tables whose numeric fields are behavioural coefficients (shared by archetypes);
#: region-structure fields (firms, capabilities, budget) are never screened or fitted here.
BEHAVIOURAL_TABLES = (
    "firm",
    "university",
    "citizens",
    "government",
    "dynamics",
    "interregional",
    "peer_review",
    "instruments",
)


def behavioural_parameters(
    scenario: str, tables: tuple[str, ...] = BEHAVIOURAL_TABLES
) -> dict[str, float | int]:
    """Dotted path -> value of every numeric behavioural coefficient of ``scenario`` (fields
    declared with a unit or group in the schema) in ``tables``, including per-instrument and
    per-governance tables."""
    loaded = load_scenario(scenario)
    found: dict[str, float | int] = {}

    def visit(model: BaseModel, prefix: str) -> None:
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            path = f"{prefix}{name}"
            if isinstance(value, dict) and group_of(field):
                for key, item in value.items():
                    key = getattr(key, "value", key)
                    if isinstance(item, BaseModel):
                        visit(item, f"{path}.{key}.")
                    elif type(item) in (int, float):
                        found[f"{path}.{key}"] = item
            elif isinstance(value, BaseModel):
                visit(value, f"{path}.")
            elif (unit_of(field) or group_of(field)) and type(value) in (int, float):
                found[path] = value

    for table in tables:
        visit(getattr(loaded, table), f"{table}.")
    return found


def _inside_schema(scenario: str, path: str, value: float) -> bool:
    try:
        load_scenario(scenario, overrides={path: value})
    except ValueError:
        return False
    return True


def default_prior(
    scenario: str, path: str, default: float | int, spread: float
) -> PriorSpec | None:
    """default x (1 +/- spread), each end pulled toward the default until the schema accepts
    it (the default itself at worst); integer fields get whole-number ends. None when the
    schema leaves no room on either side of the default."""
    integer = isinstance(default, int) and not isinstance(default, bool)
    if integer:
        step = max(1, round(spread * abs(default)))
        ends = [default - step, default + step]
    elif default == 0:
        ends = [0.0, spread]
    else:
        ends = sorted((default * (1 - spread), default * (1 + spread)))

    def pulled(end: float | int) -> float | int:
        for _ in range(PULL_STEPS):
            if _inside_schema(scenario, path, end):
                return end
            end = (end + default) / 2 if not integer else end + (1 if end < default else -1)
            if end == default:
                break
        return default

    low, high = pulled(ends[0]), pulled(ends[1])
    if not low < high:
        return None
    return PriorSpec(path=path, range=(float(low), float(high)), integer=integer)


def candidate_priors(spec: CalibrationSpec) -> list[PriorSpec]:
    """The parameters the screening considers: those listed, plus (with
    ``screening.behavioural``) every behavioural coefficient not listed, with a prior of its
    default x (1 +/- spread) inside the schema's range."""
    priors = list(spec.parameters)
    if not spec.screening.behavioural:
        return priors
    listed = {prior.path for prior in priors}
    fixed = set(spec.model.set)
    scenario = spec.model.scenarios[0]
    for path, default in behavioural_parameters(scenario).items():
        if path in listed or path in fixed or isinstance(default, bool):
            continue
        prior = default_prior(scenario, path, default, spec.screening.spread)
        if prior is not None:
            priors.append(prior)
    return priors


def elementary_effects(unit_inputs: np.ndarray, outputs: np.ndarray, dims: int) -> np.ndarray:
    """Morris elementary effects, (trajectories, dims, replications): the change of the
    output per unit of a parameter's prior range, for each one-parameter step of each
    trajectory (``unit_inputs`` in SALib's order: trajectories of dims + 1 points)."""
    steps = dims + 1
    trajectories = len(unit_inputs) // steps
    effects = np.full((trajectories, dims, outputs.shape[1]), np.nan)
    for trajectory in range(trajectories):
        rows = slice(trajectory * steps, (trajectory + 1) * steps)
        moves = np.diff(unit_inputs[rows], axis=0)
        changes = np.diff(outputs[rows], axis=0)
        moved = np.argmax(np.abs(moves), axis=1)
        delta = moves[np.arange(dims), moved]
        effects[trajectory, moved] = changes / delta[:, None]
    return effects


def screening_scores(
    names: list[str],
    unit_inputs: np.ndarray,
    outputs: dict[str, np.ndarray],
    targets: list[TargetSpec],
) -> pd.DataFrame:
    """Each parameter's Morris mu* per target above the noise, scaled by the target's
    tolerance; one row per parameter, columns ``mu_star__<t>``, ``noise__<t>`` and ``score``.

    ``outputs[t]`` is (points, replications): the target's value at every Morris point in
    each replication (the replications share their seed across points). mu* is the mean
    absolute elementary effect of the replications' mean. With two or more replications the
    noise floor is what mu* would be for a parameter that does nothing: sqrt(2/pi) times the
    standard deviation of a mean elementary effect, estimated from the spread of effects
    between replications. score = max_t max(0, mu* - 2 floor) / sqrt(Var_obs + Var_disc).
    """
    dims = len(names)
    table = pd.DataFrame({"name": names})
    scaled = []
    for target in targets:
        values = np.asarray(outputs[target.name], dtype=float)
        values = np.where(np.isfinite(values), values, np.nan)
        effects = elementary_effects(unit_inputs, values, dims)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mu_star = np.nanmean(np.abs(np.nanmean(effects, axis=2)), axis=0)
            replications = effects.shape[2]
            floor = 0.0
            if replications > 1:
                spread = np.nanmean(np.nanvar(effects, axis=2, ddof=1))
                floor = float(np.sqrt(2 / np.pi * spread / replications))
        floor = floor if np.isfinite(floor) else 0.0
        table[f"mu_star__{target.name}"] = mu_star
        table[f"noise__{target.name}"] = floor
        tolerance = np.sqrt(target.variance_observed + target.discrepancy_variance)
        above = np.maximum(np.nan_to_num(mu_star) - NOISE_MARGIN * floor, 0.0)
        scaled.append(above / tolerance if tolerance > 0 else above)
    table["score"] = np.max(np.vstack(scaled), axis=0) if scaled else 0.0
    return table


@dataclass
class ScreeningResult:
    """Which parameters history matching fits, and which stay at their defaults."""

    table: pd.DataFrame
    selected: list[PriorSpec]
    screened_out: list[PriorSpec]


def select_parameters(
    priors: list[PriorSpec], scores: pd.DataFrame, keep: int, threshold: float
) -> ScreeningResult:
    """Keep parameters scoring above zero (above the noise) and at least ``threshold`` x the
    largest score, at most ``keep``, largest first (ties in listed order)."""
    table = scores.copy()
    table.insert(1, "path", [prior.path for prior in priors])
    table.insert(2, "low", [prior.range[0] for prior in priors])
    table.insert(3, "high", [prior.range[1] for prior in priors])
    score = table["score"].fillna(0.0).to_numpy()
    order = np.argsort(-score, kind="stable")
    largest = score.max() if len(score) else 0.0
    chosen = [i for i in order if score[i] > 0 and score[i] >= threshold * largest][:keep]
    selected_mask = np.zeros(len(priors), dtype=bool)
    selected_mask[chosen] = True
    table["selected"] = selected_mask
    table = table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return ScreeningResult(
        table=table,
        selected=[priors[i] for i in sorted(chosen)],
        screened_out=[prior for i, prior in enumerate(priors) if not selected_mask[i]],
    )


def run_screening(
    spec: CalibrationSpec,
    out_dir: Path,
    candidates: list[PriorSpec],
    runner: StageRunner,
    say: Callable[[str], None],
) -> tuple[list[PriorSpec], list[PriorSpec]]:
    """Morris screening of the candidate parameters; keeps the active ones."""
    from SALib.sample import morris

    stored = out_dir / "screening.csv"
    if stored.exists():
        table = pd.read_csv(stored)
        chosen = set(table.loc[table["selected"], "name"])
        return (
            [prior for prior in candidates if prior.label in chosen],
            [prior for prior in candidates if prior.label not in chosen],
        )
    write_json(out_dir / "state.json", {"stage": "screening", "wave": 0})
    screening = spec.screening
    problem = {
        "num_vars": len(candidates),
        "names": [prior.label for prior in candidates],
        "bounds": [list(prior.range) for prior in candidates],
    }
    inputs = morris.sample(
        problem, screening.trajectories, num_levels=screening.levels, seed=spec.method.seed
    )
    unit = (inputs - np.array([p.range[0] for p in candidates])) / np.array(
        [p.range[1] - p.range[0] for p in candidates]
    )
    points = ParameterSpace(candidates).from_unit(unit)
    say(
        f"screening {len(candidates)} parameters: {len(points)} Morris points x "
        f"{len(spec.model.scenarios)} scenario(s) x {screening.replications} replications"
    )
    stage = Stage(out_dir / "screening", "screening", points, screening.replications, 0, True)
    outcomes = runner.run(stage, candidates)
    # One column per replication: each is a Morris design of its own (its seed is shared by
    # every point), so effects are paired within it and their spread across replications is
    # the noise.
    per_replication = [
        wide_summary(outcomes[outcomes["replication"] == r], spec.targets, len(points))
        for r in range(screening.replications)
    ]
    outputs = {
        t.name: np.column_stack([wide[f"mean__{t.name}"] for wide in per_replication])
        for t in spec.targets
    }
    scores = screening_scores(problem["names"], unit, outputs, list(spec.targets))
    result = select_parameters(candidates, scores, screening.keep, screening.threshold)
    write_bytes_atomically(stored, result.table.to_csv(index=False).encode())
    say(
        f"screening kept {len(result.selected)} of {len(candidates)} parameters; the others "
        "stay at their defaults"
    )
    return result.selected, result.screened_out
