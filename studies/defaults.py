"""Study defaults: master seeds, replications, outcome sets, the demo's mixes, output folders,
and the region archetypes with the RIS group thresholds the studies aim at.

The command line takes its option defaults from here, so a default is written once. The
archetypes and thresholds are defined in ``smartspec.scenarios.archetypes`` (the analysis
layer and the dashboard, below the studies, need them too) and shown here with the rest. Changing
a seed or an outcome set changes what a study's results folder holds: resuming a folder
started with other defaults is refused (the stored experiment differs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartspec.scenarios import ARCHETYPES, RIS_GROUPS, next_group_threshold

__all__ = [
    "ARCHETYPES",
    "RIS_GROUPS",
    "next_group_threshold",
    "COMPARE_OUTCOMES",
    "COMPARE_REPLICATIONS",
    "DEMO_MIXES",
    "DEMO_OUT",
    "DEMO_REPLICATIONS",
    "DEMO_SCENARIO",
    "DEMO_SCREENING",
    "DIAGNOSE_OUTCOMES",
    "DIAGNOSE_REPLICATIONS",
    "PEER_REVIEW_SEED",
    "RESULTS_DIR",
    "RUN_SEED",
    "SOCIAL_EFFECTS_SHOWN",
    "SOCIAL_EXPERIMENT",
    "SOCIAL_OUT",
    "SOCIAL_REFERENCE",
    "SOCIAL_REPLICATIONS",
    "STRATEGIES_OUT",
    "STRATEGY_FUTURES",
    "STRATEGY_OUTCOMES",
    "STRATEGY_SCENARIOS",
    "STUDY_SEED",
    "SUMMARY_PREFIXES",
    "VALIDATION_OUT",
    "VALIDATION_REPLICATIONS",
    "VALIDATION_SEED",
    "VALIDATION_STEPS",
    "compare_out",
    "diagnose_out",
    "peer_review_out",
    "run_out",
]

#: Where results go when no ``--out`` is given (relative to the working directory).
RESULTS_DIR = Path("results")

#: Master seed of compare, diagnose, strategies and social (numpy SeedSequence).
STUDY_SEED = 2026
#: Seed of a single ``smartspec run``.
RUN_SEED = 1
#: Master seed of the peer-review run.
PEER_REVIEW_SEED = 1
#: Master seed of the validation: nothing was tuned to it.
VALIDATION_SEED = 2015

COMPARE_REPLICATIONS = 10
DIAGNOSE_REPLICATIONS = 10
SOCIAL_REPLICATIONS = 20
#: 70 seeds: at least 300 specialisation entries and 300 exits pooled over the four archetypes.
VALIDATION_REPLICATIONS = 70
DEMO_REPLICATIONS = 10
#: Latin-hypercube futures per strategy.
STRATEGY_FUTURES = 30
#: Quarters per validation run (14 years).
VALIDATION_STEPS = 56

#: Scalar outcomes are named with these prefixes (see ``OutcomeSpec``); studies summarise all.
SUMMARY_PREFIXES = ("final_", "mean_", "total_")

#: The composite index's parts, recorded so that reports can say where index differences come
#: from (money counted directly or changed behaviour).
INDEX_PARTS = [
    "index_part_rd_intensity",
    "index_part_rd_grants",
    "index_part_innovating_share",
    "index_part_human_capital",
    "index_part_partnership_share",
]

#: What ``smartspec compare`` records per run.
COMPARE_OUTCOMES: dict[str, Any] = {
    "final": [
        "innovation_index",
        "knowledge_per_firm",
        "human_capital",
        "citizen_trust",
        *INDEX_PARTS,
    ],
    "mean": ["innovating_share", "rd_intensity", "partnership_share", "absorption_rate"],
    "total": ["innovations", "social_innovations"],
    "window": 8,
    "series": [
        "innovation_index",
        "innovations",
        "social_innovations_total",
        "network_density",
        "specialisations",
        "absorption_rate",
    ],
}

#: What the bottleneck diagnosis records per run.
DIAGNOSE_OUTCOMES: dict[str, Any] = {
    "mean": ["innovation_index", "innovating_share"],
    "total": ["innovations", "social_innovations"],
    "window": 8,
}

#: What the strategies study records per run.
STRATEGY_OUTCOMES: dict[str, Any] = {
    "mean": ["innovation_index", "innovating_share"],
    "total": ["social_innovations"],
    "window": 8,
}
#: The archetypes the strategies study runs when none is named.
STRATEGY_SCENARIOS = ("emerging", "moderate")

#: The bundled experiment behind ``smartspec social``, its reference cell, and the outcomes
#: whose effects it prints, by group.
SOCIAL_EXPERIMENT = "social_innovation"
SOCIAL_REFERENCE = "baseline / triple_helix"
SOCIAL_EFFECTS_SHOWN: dict[str, tuple[str, ...]] = {
    "social": ("total_social_innovations", "final_citizen_trust", "final_citizen_participation"),
    "economic": ("final_innovation_index", "total_innovations", "mean_innovating_share"),
}

#: The demo compares these bundled mixes in this scenario, then runs this bundled screening.
DEMO_SCENARIO = "emerging"
DEMO_MIXES = ("baseline", "rd_grants_heavy", "capacity_first", "cluster_led", "quadruple_helix")
DEMO_SCREENING = "demo_screening"

VALIDATION_OUT = RESULTS_DIR / "validation"
DEMO_OUT = RESULTS_DIR / "demo"
SOCIAL_OUT = RESULTS_DIR / SOCIAL_EXPERIMENT
STRATEGIES_OUT = RESULTS_DIR / "strategies"


def run_out(scenario: str, mix: str, seed: int) -> Path:
    """Default folder of ``smartspec run``."""
    return RESULTS_DIR / f"run-{scenario}-{mix}-seed{seed}"


def compare_out(scenario: str) -> Path:
    """Default folder of ``smartspec compare`` (the comparison experiment's name)."""
    return RESULTS_DIR / f"compare-{Path(scenario).stem}"


def diagnose_out(scenario: str) -> Path:
    """Default folder of ``smartspec diagnose`` (``scenario`` may be ``archetypes``)."""
    return RESULTS_DIR / f"diagnose-{Path(scenario).stem}"


def peer_review_out(scenario_name: str) -> Path:
    """Default folder of ``smartspec peer-review`` (by the scenario's own name)."""
    return RESULTS_DIR / f"peer-review-{scenario_name}"
