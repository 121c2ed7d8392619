"""Bottleneck diagnosis: which systemic constraint binds a region's innovation system?

For each constraint a counterfactual *reform* relaxes it by a stated amount; every reform runs
with the same replication seeds as the unreformed baseline (common random numbers), so each
reform's effect is a paired difference with a confidence interval. Constraints are ranked by
that effect; the binding bottleneck is the one whose relaxation helps most, provided its
effect is clear (interval above zero).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.analysis import comparison
from smartspec.experiments import ExperimentSpec, load_results, run_experiment
from smartspec.experiments.targets import SmartSpecTarget
from smartspec.scenarios import load_scenario

__all__ = ["REFORMS", "Reform", "binding", "diagnose", "reform_overrides"]


@dataclass(frozen=True)
class Reform:
    """A counterfactual that relaxes one constraint, in every region of the scenario."""

    constraint: str
    description: str
    field: str  # region field (dotted below regions.N) or a top-level dotted path
    change: float
    mode: str  # "add" (capped at ``cap``) or "scale"
    cap: float | None = None
    per_region: bool = True


REFORMS: tuple[Reform, ...] = (
    Reform(
        "absorptive capacity",
        "firms' absorptive capacity +0.15",
        "absorptive_capacity",
        0.15,
        "add",
        0.95,
    ),
    Reform(
        "human capital",
        "share of tertiary-educated workers +0.10",
        "human_capital",
        0.10,
        "add",
        0.9,
    ),
    Reform(
        "network connectivity",
        "partner search twice as frequent",
        "firm.partner_search_rate",
        2.0,
        "scale",
        1.0,
        per_region=False,
    ),
    Reform(
        "institutional quality",
        "administrative capacity +0.20",
        "government.institutional_quality",
        0.20,
        "add",
        1.0,
    ),
    Reform("finance", "S3 budget +50 %", "government.budget", 1.5, "scale"),
    Reform(
        "citizen engagement",
        "citizen participation and trust +0.20",
        "citizen_participation+citizen_trust",
        0.20,
        "add",
        1.0,
    ),
    Reform(
        "relatedness of the knowledge base",
        "share of firms in related core domains +0.20",
        "concentration",
        0.20,
        "add",
        1.0,
    ),
)


def reform_overrides(scenario_name: str, reform: Reform, fixed: dict[str, Any]) -> dict[str, Any]:
    """The dotted overrides that apply ``reform`` to the scenario (after ``fixed``)."""
    scenario = load_scenario(scenario_name, overrides=fixed)
    raw = scenario.model_dump(mode="json")
    overrides: dict[str, Any] = {}

    def changed(value: float) -> float:
        result = value + reform.change if reform.mode == "add" else value * reform.change
        return min(result, reform.cap) if reform.cap is not None else result

    if not reform.per_region:
        section, name = reform.field.split(".")
        overrides[reform.field] = changed(raw[section][name])
        return overrides
    for index, region in enumerate(raw["regions"]):
        for field in reform.field.split("+"):
            node: Any = region
            for part in field.split(".")[:-1]:
                node = node[part]
            overrides[f"regions.{index}.{field}"] = changed(node[field.split(".")[-1]])
    return overrides


OUTCOMES = {
    "mean": ["innovation_index", "innovating_share"],
    "total": ["innovations", "social_innovations"],
    "window": 8,
}


def diagnose(
    scenario: str,
    out_dir: Path,
    replications: int = 10,
    steps: int | None = None,
    fixed: dict[str, Any] | None = None,
    seed: int = 2026,
    executor=None,
    capacity: int = 1,
    progress=None,
    resume: bool = False,
) -> pd.DataFrame:
    """Run the baseline and every reform with paired seeds; return the ranked effects.

    One row per constraint: the paired difference in each outcome against the baseline
    (``difference``, ``low``, ``high``), ranked by the effect on the mean innovation index.
    """
    fixed = dict(fixed or {})
    names = ["none", *(reform.constraint for reform in REFORMS)]
    spec = ExperimentSpec.model_validate(
        {
            "name": f"diagnose-{Path(scenario).stem}",
            "description": f"Bottleneck diagnosis of {scenario}: one reform per constraint",
            "model": {"scenario": scenario, "steps": steps, "set": fixed},
            "design": {"kind": "grid", "replications": replications, "seed": seed},
            "parameters": [{"name": "reform", "path": "reform", "levels": names}],
            "outcomes": OUTCOMES,
        }
    )
    overrides = {"none": {}}
    for reform in REFORMS:
        overrides[reform.constraint] = reform_overrides(scenario, reform, fixed)
    target = dataclasses.replace(
        SmartSpecTarget.from_spec(spec), paths={}, variants={"reform": overrides}
    )
    # Stored with the results as the experiment's definition (and compared on --resume).
    text = "# smartspec diagnose (experiment as JSON)\n" + spec.model_dump_json(indent=2)
    run_experiment(
        spec,
        out_dir,
        text,
        executor=executor,
        capacity=capacity,
        target=target,
        progress=progress,
        resume=resume,
    )
    outcomes = load_results(out_dir, series=False).outcomes
    columns = [c for c in outcomes.columns if c.startswith(("mean_", "total_"))]
    table = comparison.paired_differences(outcomes, columns, "none", by="reform")
    described = {reform.constraint: reform.description for reform in REFORMS}
    table.insert(1, "reform_applied", table["reform"].map(described))
    main = table[table["outcome"] == "mean_innovation_index"].sort_values(
        "difference", ascending=False
    )
    order = {name: rank for rank, name in enumerate(main["reform"], start=1)}
    table["rank"] = table["reform"].map(order)
    return table.sort_values(["rank", "outcome"]).reset_index(drop=True)


def binding(table: pd.DataFrame, outcome: str = "mean_innovation_index") -> str | None:
    """The binding bottleneck: the constraint whose relaxation raises ``outcome`` most,
    if that gain is clear; None if no reform clearly helps."""
    rows = table[(table["outcome"] == outcome) & table["clear"] & (table["difference"] > 0)]
    if rows.empty:
        return None
    return str(rows.sort_values("difference", ascending=False)["reform"].iloc[0])
