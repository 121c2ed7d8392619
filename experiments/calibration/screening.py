"""Morris screening before history matching: which parameters move the targets at all.

History matching with Gaussian-process emulators works in about twenty dimensions at most; the
model has well over a hundred coefficients. The screening runs a Morris design (SALib, through
the experiments layer) over every candidate parameter, scores each by its largest scaled
elementary effect over the targets, and keeps the active ones. The others stay at their
defaults, and the report lists them.

Score of parameter p: max over targets t of mu*_{p,t} / sqrt(Var_obs,t + Var_disc,t), the mean
absolute elementary effect in units of the target's tolerance, so that targets measured in
different units compare. A parameter is kept when its score is at least ``threshold`` times the
largest score, up to ``keep`` parameters, largest first.

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161-174.
Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. Environmental Modelling & Software 22, 1509-1518.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    "screening_scores",
    "run_screening",
    "select_parameters",
]

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


def _default_prior(scenario: str, path: str, default: float | int, spread: float) -> PriorSpec:
    """default x (1 +/- spread), each end pulled toward the default until the schema accepts
    it; integer fields get whole-number ends at least one apart."""
    if isinstance(default, int) and not isinstance(default, bool):
        low, high = (
            max(default - max(1, round(spread * default)), 0),
            default + max(1, round(spread * default)),
        )
    elif default == 0:
        low, high = 0.0, spread
    else:
        low, high = sorted((default * (1 - spread), default * (1 + spread)))
    for _ in range(20):
        if _inside_schema(scenario, path, low):
            break
        low = (low + default) / 2
    for _ in range(20):
        if _inside_schema(scenario, path, high):
            break
        high = (high + default) / 2
    if not low < high:
        low, high = (default, default + spread) if default == 0 else (default * 0.9, default)
    return PriorSpec(path=path, range=(float(low), float(high)), integer=isinstance(default, int))


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
        priors.append(_default_prior(scenario, path, default, spec.screening.spread))
    return priors


def screening_scores(
    problem: dict[str, Any],
    inputs: np.ndarray,
    point_means: pd.DataFrame,
    targets: list[TargetSpec],
    seed: int,
    levels: int,
) -> pd.DataFrame:
    """Morris mu* of every parameter for every target (SALib.analyze.morris), scaled by the
    target's tolerance; one row per parameter, columns ``mu_star__<target>`` and ``score``.

    ``point_means`` has one row per design point (in design order) and one column per target;
    a point whose runs failed is filled with its target's mean so that its trajectory still
    counts (the count of such points is in the screening table).
    """
    from SALib.analyze import morris

    scores = pd.DataFrame({"name": problem["names"]})
    scaled = []
    for target in targets:
        values = point_means[target.name].to_numpy(dtype=float)
        finite = np.isfinite(values)
        if not finite.any():
            scores[f"mu_star__{target.name}"] = np.nan
            continue
        values = np.where(finite, values, np.nanmean(values))
        result = morris.analyze(
            problem, inputs, values, num_levels=levels, print_to_console=False, seed=seed
        )
        mu_star = np.asarray(result["mu_star"], dtype=float)
        scores[f"mu_star__{target.name}"] = mu_star
        tolerance = np.sqrt(target.variance_observed + target.discrepancy_variance)
        scaled.append(mu_star / tolerance if tolerance > 0 else mu_star)
    scores["score"] = np.nanmax(np.vstack(scaled), axis=0) if scaled else np.nan
    return scores


@dataclass
class ScreeningResult:
    """Which parameters history matching fits, and which stay at their defaults."""

    table: pd.DataFrame
    selected: list[PriorSpec]
    screened_out: list[PriorSpec]


def select_parameters(
    priors: list[PriorSpec], scores: pd.DataFrame, keep: int, threshold: float
) -> ScreeningResult:
    """Keep parameters scoring at least ``threshold`` x the largest score, at most ``keep``,
    largest first (ties in listed order)."""
    table = scores.copy()
    table.insert(1, "path", [prior.path for prior in priors])
    table.insert(2, "low", [prior.range[0] for prior in priors])
    table.insert(3, "high", [prior.range[1] for prior in priors])
    score = table["score"].fillna(0.0).to_numpy()
    order = np.argsort(-score, kind="stable")
    largest = score.max() if len(score) else 0.0
    chosen = [i for i in order if largest > 0 and score[i] >= threshold * largest][:keep]
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
    points = ParameterSpace(candidates).from_unit(
        (inputs - np.array([p.range[0] for p in candidates]))
        / np.array([p.range[1] - p.range[0] for p in candidates])
    )
    say(
        f"screening {len(candidates)} parameters: {len(points)} Morris points x "
        f"{len(spec.model.scenarios)} scenario(s) x {screening.replications} replications"
    )
    stage = Stage(out_dir / "screening", "screening", points, screening.replications, 0, True)
    outcomes = runner.run(stage, candidates)
    wide = wide_summary(outcomes, spec.targets, len(points))
    means = pd.DataFrame({t.name: wide[f"mean__{t.name}"] for t in spec.targets})
    scores = screening_scores(
        problem, inputs, means, list(spec.targets), spec.method.seed, screening.levels
    )
    result = select_parameters(candidates, scores, screening.keep, screening.threshold)
    write_bytes_atomically(stored, result.table.to_csv(index=False).encode())
    say(
        f"screening kept {len(result.selected)} of {len(candidates)} parameters; the others "
        "stay at their defaults"
    )
    return result.selected, result.screened_out
