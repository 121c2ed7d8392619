"""Strategies for less-developed regions under deep uncertainty.

Four strategy families are compared — concentrated versus spread priorities, related versus
unrelated diversification, capacity building first versus R&D grants first, triple versus
quadruple helix — each across the same Latin-hypercube sample of uncertain futures (the
region's absorptive capacity, human capital, R&D intensity and institutional quality, and how
firms learn and innovate), with the same seeds. Robustness: the regret of each strategy in
each future (how far it falls behind the best strategy there), and the share of futures in
which it meets a target; scenario discovery (PRIM) says in which futures a strategy fails.

References: Lempert, Popper & Bankes (2003), Shaping the Next One Hundred Years (RAND);
Kwakkel, Haasnoot & Walker (2016), Comparing robust decision-making and dynamic adaptive
policy pathways; Savage (1951) on minimax regret.

    run_strategies -> summarise_strategies -> write_strategies   (one archetype)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartspec.experiments import ExperimentSpec, load_results
from smartspec.experiments.targets import SmartSpecTarget
from smartspec.scenarios import ARCHETYPES, load_scenario, next_group_threshold

from .common import (
    Execution,
    FailureBox,
    check_out_dir,
    failure_box_table,
    failure_boxes,
    run_study,
)
from .defaults import STRATEGY_FUTURES, STRATEGY_OUTCOMES, STUDY_SEED

__all__ = [
    "OUTCOME",
    "STRATEGIES",
    "Strategy",
    "StrategySummary",
    "check_scenarios",
    "compare_strategies",
    "robustness",
    "run_strategies",
    "strategy_spec",
    "success_target",
    "summarise_strategies",
    "uncertainties",
    "write_strategies",
]

logger = logging.getLogger(__name__)

#: Strategies are compared, and fail or succeed, on this outcome.
OUTCOME = "mean_innovation_index"


@dataclass(frozen=True)
class Strategy:
    """One strategy: its family, name, and how it is set (dotted overrides and/or a mix).

    Attributes
    ----------
    family : str
        The family it is compared within (regret is measured against the family's best).
    name : str
        Its name in result tables.
    overrides : tuple of (str, object) pairs
        Dotted scenario overrides that set it.
    mix : str, optional
        A bundled (sequenced) mix that sets it.
    """

    family: str
    name: str
    overrides: tuple[tuple[str, Any], ...] = ()
    mix: str | None = None


STRATEGIES: tuple[Strategy, ...] = (
    Strategy("priorities", "concentrated priorities", (("regions.*.government.n_priorities", 3),)),
    Strategy("priorities", "spread priorities", (("regions.*.government.n_priorities", 10),)),
    Strategy(
        "diversification",
        "related diversification",
        (("regions.*.government.governance", "triple_helix"),),
    ),
    Strategy(
        "diversification",
        "unrelated diversification",
        (("regions.*.government.governance", "top_down"),),
    ),
    Strategy("sequencing", "capacity building first", (), "capacity_then_grants"),
    Strategy("sequencing", "R&D grants first", (), "grants_then_capacity"),
    Strategy("governance", "triple helix", (("regions.*.government.governance", "triple_helix"),)),
    Strategy(
        "governance", "quadruple helix", (("regions.*.government.governance", "quadruple_helix"),)
    ),
)

#: Uncertain factors: region fields vary by ±40 % around the archetype's value, behaviour
#: rates over fixed ranges.
REGION_FACTORS = (
    "absorptive_capacity",
    "human_capital",
    "rd_intensity",
    "government.institutional_quality",
)
BEHAVIOUR_RANGES = {"firm.innovation_rate": (0.08, 0.25), "firm.learning_own": (0.08, 0.25)}


def uncertainties(scenario: str) -> list[dict[str, Any]]:
    """The Latin-hypercube parameters of the futures for one archetype.

    Returns
    -------
    list of dict
        ``name``, ``path`` and ``range`` of each uncertain factor, as ``[[parameters]]``
        entries of an experiment.
    """
    region = load_scenario(scenario).regions[0].model_dump()
    parameters = []
    for field in REGION_FACTORS:
        node: Any = region
        for part in field.split("."):
            node = node[part]
        low, high = 0.6 * node, 1.4 * node
        high = min(high, 0.95) if field != "rd_intensity" else high
        parameters.append(
            {"name": field.split(".")[-1], "path": f"regions.0.{field}", "range": [low, high]}
        )
    for path, (low, high) in BEHAVIOUR_RANGES.items():
        parameters.append({"name": path.split(".")[-1], "path": path, "range": [low, high]})
    return parameters


def success_target(scenario: str) -> float | None:
    """The index a region must reach to succeed: the next RIS group's threshold for a bundled
    archetype; None for the leader and for scenarios that are not archetypes."""
    stem = Path(scenario).stem
    return next_group_threshold(stem) if stem in ARCHETYPES else None


def check_scenarios(
    scenarios: list[str], steps: int | None = None, fixed: Mapping[str, Any] | None = None
) -> None:
    """Load every scenario with the fixed overrides before anything runs.

    Raises
    ------
    ScenarioError
        Naming the scenario (or override), the field and the problem.
    """
    overrides = {**(fixed or {}), **({"steps": steps} if steps else {})}
    for scenario in scenarios:
        load_scenario(scenario, overrides=overrides)


def strategy_spec(
    scenario: str,
    futures: int = STRATEGY_FUTURES,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
) -> ExperimentSpec:
    """The futures every strategy runs in: a Latin hypercube over :func:`uncertainties`."""
    return ExperimentSpec.model_validate(
        {
            "name": f"strategies-{Path(scenario).stem}",
            "description": f"Strategy families for {scenario} under deep uncertainty",
            "model": {"scenario": scenario, "steps": steps, "set": dict(fixed or {})},
            "design": {"kind": "lhs", "samples": futures, "seed": seed},
            "parameters": uncertainties(scenario),
            "outcomes": STRATEGY_OUTCOMES,
        }
    )


def run_strategies(
    scenario: str,
    out_dir: Path,
    futures: int = STRATEGY_FUTURES,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
    execution: Execution | None = None,
) -> pd.DataFrame:
    """Run every strategy in the same futures with the same seeds.

    Strategies set the same way (e.g. related diversification and triple helix) share one
    set of runs. Each set is an experiment folder below ``out_dir``, resumed if it exists.

    Parameters
    ----------
    scenario : str
        Bundled archetype or TOML path.
    out_dir : Path
        Folder of this scenario's strategy folders.
    futures : int
        Latin-hypercube points.
    steps : int, optional
        Quarters per run (default: the scenario's).
    fixed : Mapping, optional
        Dotted overrides applied to every run (a strategy's own overrides come after).
    seed : int
        Master seed of the sample and the replication seeds.
    execution : Execution, optional
        Executor and progress (default: in this process).

    Returns
    -------
    pandas.DataFrame
        One row per strategy and future: the design columns, outcomes, ``family`` and
        ``strategy``.
    """
    spec = strategy_spec(scenario, futures, steps, fixed, seed)
    base = SmartSpecTarget.from_spec(spec)
    frames = []
    done: dict[tuple, Path] = {}
    for strategy in STRATEGIES:
        key = (strategy.overrides, strategy.mix)
        folder = done.get(key)
        if folder is None:
            folder = Path(out_dir) / strategy.name.replace(" ", "_").replace("&", "and")
            text = (
                "# smartspec strategies (experiment as JSON)\n"
                + spec.model_dump_json()
                + f"\n# strategy {strategy.name}: {strategy.overrides} {strategy.mix}\n"
            )
            target = dataclasses.replace(
                base, fixed={**base.fixed, **dict(strategy.overrides)}, mix=strategy.mix
            )
            resume = (folder / "design.parquet").exists()
            run_study(spec, folder, text, execution, target=target, resume=resume)
            done[key] = folder
        outcomes = load_results(folder, series=False).outcomes
        frames.append(outcomes.assign(family=strategy.family, strategy=strategy.name))
    return pd.concat(frames, ignore_index=True)


def robustness(table: pd.DataFrame, outcome: str, target: float | None) -> pd.DataFrame:
    """Per strategy: mean outcome, mean and maximum regret against the best strategy of its
    family in each future, and the share of futures meeting ``target``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per strategy and future (``family``, ``strategy``, ``point``, ``outcome``).
    outcome : str
        The column compared.
    target : float, optional
        Success threshold of ``outcome`` (None: the share is NaN).

    Returns
    -------
    pandas.DataFrame
        One row per strategy; ``most_robust_in_family`` marks minimax regret.
    """
    rows = []
    for family, members in table.groupby("family", sort=False):
        best = members.groupby("point")[outcome].max()
        for strategy, runs in members.groupby("strategy", sort=False):
            regret = best.loc[runs["point"]].to_numpy() - runs[outcome].to_numpy()
            rows.append(
                {
                    "family": family,
                    "strategy": strategy,
                    f"mean_{outcome}": float(runs[outcome].mean()),
                    "mean_regret": float(regret.mean()),
                    "max_regret": float(regret.max()),
                    "share_meeting_target": float((runs[outcome] >= target).mean())
                    if target is not None
                    else np.nan,
                }
            )
    result = pd.DataFrame(rows)
    result["most_robust_in_family"] = result.groupby("family")["max_regret"].transform(
        lambda values: values == values.min()
    )
    return result


@dataclass
class StrategySummary:
    """What the strategies study found for one scenario.

    Attributes
    ----------
    scenario : str
        Scenario name (file stem).
    futures : int
        Futures each strategy ran in.
    target : float or None
        The success threshold of :data:`OUTCOME` (see :func:`success_target`).
    robustness : pandas.DataFrame
        :func:`robustness` of every strategy.
    failures : list of FailureBox
        Per strategy, where it fails (empty without a target).
    """

    scenario: str
    futures: int
    target: float | None
    robustness: pd.DataFrame
    failures: list[FailureBox]


def summarise_strategies(table: pd.DataFrame, scenario: str) -> StrategySummary:
    """Regret, target shares and failure boxes from :func:`run_strategies`'s table.

    The failure boxes search the design's own uncertain factors (:func:`uncertainties`),
    over their full ranges.
    """
    target = success_target(scenario)
    failures: list[FailureBox] = []
    if target is not None:
        ranges = {p["name"]: tuple(p["range"]) for p in uncertainties(scenario)}
        failures = failure_boxes(table, "strategy", OUTCOME, target, ranges)
    return StrategySummary(
        scenario=Path(scenario).stem,
        futures=int(table["point"].nunique()),
        target=target,
        robustness=robustness(table, OUTCOME, target),
        failures=failures,
    )


def write_strategies(summary: StrategySummary, out_dir: Path) -> list[Path]:
    """Write ``robustness.csv`` and, if any strategy has a box, ``failure_boxes.csv``."""
    out_dir = Path(out_dir)
    written = [out_dir / "robustness.csv"]
    summary.robustness.to_csv(written[0], index=False)
    boxes = failure_box_table(summary.failures, "strategy")
    if len(boxes):
        written.append(out_dir / "failure_boxes.csv")
        boxes.to_csv(written[-1], index=False)
    return written


def compare_strategies(
    scenarios: list[str],
    out_dir: Path,
    futures: int = STRATEGY_FUTURES,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
    execution: Execution | None = None,
) -> list[StrategySummary]:
    """The whole study: check every scenario, then run, summarise and write each in its own
    folder ``out_dir/STEM`` (see :func:`run_strategies` for the parameters).

    Raises
    ------
    ScenarioError
        If a scenario or an override cannot be used (before anything runs).
    StoreError
        If ``out_dir`` cannot be a results folder.
    """
    check_scenarios(scenarios, steps, fixed)
    check_out_dir(out_dir)
    summaries = []
    for scenario in scenarios:
        folder = Path(out_dir) / Path(scenario).stem
        table = run_strategies(scenario, folder, futures, steps, fixed, seed, execution)
        summaries.append(summarise_strategies(table, scenario))
        write_strategies(summaries[-1], folder)
        logger.info("%s: strategies summarised in %s", scenario, folder)
    return summaries
