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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartspec.experiments import ExperimentSpec, load_results, run_experiment
from smartspec.experiments.targets import SmartSpecTarget
from smartspec.scenarios import load_scenario

__all__ = ["STRATEGIES", "TARGETS", "Strategy", "robustness", "run_strategies", "uncertainties"]


@dataclass(frozen=True)
class Strategy:
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

#: What "success" means per archetype: reaching the next RIS group.
TARGETS = {"emerging": 70.0, "moderate": 100.0, "strong": 125.0}

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
    """The LHS parameters (name, path, range) for one archetype."""
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


OUTCOMES = {
    "mean": ["innovation_index", "innovating_share"],
    "total": ["social_innovations"],
    "window": 8,
}


def run_strategies(
    scenario: str,
    out_dir: Path,
    futures: int = 30,
    steps: int | None = None,
    fixed: dict[str, Any] | None = None,
    seed: int = 2026,
    executor=None,
    capacity: int = 1,
    progress=None,
) -> pd.DataFrame:
    """Run every strategy in the same futures; return one row per strategy and future."""
    fixed = dict(fixed or {})
    spec = ExperimentSpec.model_validate(
        {
            "name": f"strategies-{Path(scenario).stem}",
            "description": f"Strategy families for {scenario} under deep uncertainty",
            "model": {"scenario": scenario, "steps": steps, "set": fixed},
            "design": {"kind": "lhs", "samples": futures, "seed": seed},
            "parameters": uncertainties(scenario),
            "outcomes": OUTCOMES,
        }
    )
    base = SmartSpecTarget.from_spec(spec)
    frames = []
    done: dict[tuple, Path] = {}
    for strategy in STRATEGIES:
        key = (strategy.overrides, strategy.mix)
        folder = done.get(key)
        if folder is None:
            folder = out_dir / strategy.name.replace(" ", "_").replace("&", "and")
            text = (
                "# smartspec strategies (experiment as JSON)\n"
                + spec.model_dump_json()
                + f"\n# strategy {strategy.name}: {strategy.overrides} {strategy.mix}\n"
            )
            target = dataclasses.replace(
                base, fixed={**base.fixed, **dict(strategy.overrides)}, mix=strategy.mix
            )
            resume = (folder / "design.parquet").exists()
            run_experiment(
                spec,
                folder,
                text,
                executor=executor,
                capacity=capacity,
                target=target,
                progress=progress,
                resume=resume,
            )
            done[key] = folder
        outcomes = load_results(folder, series=False).outcomes
        frames.append(outcomes.assign(family=strategy.family, strategy=strategy.name))
    return pd.concat(frames, ignore_index=True)


def robustness(table: pd.DataFrame, outcome: str, target: float | None) -> pd.DataFrame:
    """Per strategy: mean outcome, mean and maximum regret against the best strategy of its
    family in each future, and the share of futures meeting ``target``."""
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
