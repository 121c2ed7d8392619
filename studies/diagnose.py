"""Bottleneck diagnosis: which systemic constraint binds a region's innovation system?

For each constraint a counterfactual *reform* relaxes it by a stated amount; every reform runs
with the same replication seeds as the unreformed baseline (common random numbers), so each
reform's effect is a paired difference with a confidence interval. Constraints are ranked by
that effect; the binding bottleneck is the one whose relaxation helps most, provided its
effect is clear (interval above zero).

    run_diagnosis -> summarise_diagnosis -> write_diagnosis   (one scenario)
    diagnose_scenarios                                        (one or the four archetypes)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.experiments import ExperimentSpec, RunSummary, load_results
from smartspec.experiments.targets import SmartSpecTarget
from smartspec.scenarios import ARCHETYPES, load_scenario

from .common import Execution, check_out_dir, paired_effects, run_study
from .defaults import DIAGNOSE_OUTCOMES, DIAGNOSE_REPLICATIONS, STUDY_SEED

__all__ = [
    "ALL_ARCHETYPES",
    "MAIN_OUTCOME",
    "REFORMS",
    "Reform",
    "binding",
    "diagnose_scenarios",
    "diagnosis_spec",
    "ranking",
    "reform_overrides",
    "run_diagnosis",
    "summarise_archetypes",
    "summarise_diagnosis",
    "write_archetypes",
    "write_diagnosis",
]

logger = logging.getLogger(__name__)

#: The scenario argument that diagnoses every bundled archetype.
ALL_ARCHETYPES = "archetypes"
#: Constraints are ranked by their effect on this outcome.
MAIN_OUTCOME = "mean_innovation_index"
#: Name of the unreformed baseline among the reform levels.
BASELINE = "none"


@dataclass(frozen=True)
class Reform:
    """A counterfactual that relaxes one constraint, in every region of the scenario.

    Attributes
    ----------
    constraint : str
        The constraint relaxed (the reform's name in result tables).
    description : str
        What the reform does, in plain words.
    field : str
        Region field, dotted below ``regions.N`` (several joined by ``+``), or a top-level
        dotted path when ``per_region`` is False.
    change : float
        Amount added (``mode="add"``) or factor applied (``mode="scale"``).
    mode : str
        ``"add"`` or ``"scale"``.
    cap : float, optional
        Upper limit of the relaxed value.
    per_region : bool, default True
        Whether the field belongs to each region.
    """

    constraint: str
    description: str
    field: str
    change: float
    mode: str
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
    Reform("finance", "S3 budget +50 %", "government.budget_share", 1.5, "scale"),
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


def reform_overrides(
    scenario_name: str, reform: Reform, fixed: Mapping[str, Any]
) -> dict[str, Any]:
    """The dotted overrides that apply ``reform`` to a scenario.

    Parameters
    ----------
    scenario_name : str
        Bundled scenario name or TOML path.
    reform : Reform
        The reform to apply.
    fixed : Mapping
        Overrides applied before the reform (the reform relaxes the overridden values).

    Returns
    -------
    dict
        Dotted path -> relaxed value, for every region the reform applies to.
    """
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


def diagnosis_spec(
    scenario: str,
    replications: int = DIAGNOSE_REPLICATIONS,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
) -> ExperimentSpec:
    """The diagnosis experiment: a grid over the reform (``none`` and one per constraint),
    every level with the same replication seeds."""
    names = [BASELINE, *(reform.constraint for reform in REFORMS)]
    return ExperimentSpec.model_validate(
        {
            "name": f"diagnose-{Path(scenario).stem}",
            "description": f"Bottleneck diagnosis of {scenario}: one reform per constraint",
            "model": {"scenario": scenario, "steps": steps, "set": dict(fixed or {})},
            "design": {"kind": "grid", "replications": replications, "seed": seed},
            "parameters": [{"name": "reform", "path": "reform", "levels": names}],
            "outcomes": DIAGNOSE_OUTCOMES,
        }
    )


def run_diagnosis(
    scenario: str,
    out_dir: Path,
    replications: int = DIAGNOSE_REPLICATIONS,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
    execution: Execution | None = None,
    resume: bool | None = None,
) -> RunSummary:
    """Run the unreformed scenario and every reform with paired seeds into ``out_dir``.

    Parameters
    ----------
    scenario : str
        Bundled scenario name or TOML path.
    out_dir : Path
        Results folder (a normal experiment folder).
    replications : int
        Seeds per reform.
    steps : int, optional
        Quarters per run (default: the scenario's).
    fixed : Mapping, optional
        Dotted overrides applied to every run, before the reforms.
    seed : int
        Master seed of the replication seeds.
    execution : Execution, optional
        Executor and progress (default: in this process).
    resume : bool, optional
        Continue runs already in ``out_dir`` (default: when it holds this experiment).

    Returns
    -------
    RunSummary
    """
    fixed = dict(fixed or {})
    spec = diagnosis_spec(scenario, replications, steps, fixed, seed)
    overrides: dict[str, Mapping[str, Any]] = {BASELINE: {}}
    for reform in REFORMS:
        overrides[reform.constraint] = reform_overrides(scenario, reform, fixed)
    # A reform changes several fields at once: the target applies its set of overrides.
    target = dataclasses.replace(
        SmartSpecTarget.from_spec(spec), paths={}, variants={"reform": overrides}
    )
    # Stored with the results as the experiment's definition (and compared on resume).
    text = "# smartspec diagnose (experiment as JSON)\n" + spec.model_dump_json(indent=2)
    if resume is None:
        resume = (Path(out_dir) / "design.parquet").exists()
    return run_study(spec, out_dir, text, execution, target=target, resume=resume)


def summarise_diagnosis(out_dir: Path) -> pd.DataFrame:
    """The reforms ranked by their paired effect, from a diagnosis folder.

    Returns
    -------
    pandas.DataFrame
        One row per reform and outcome: the paired difference against the unreformed
        baseline (``difference``, ``low``, ``high``, ``clear``...), the reform's description
        (``reform_applied``) and its ``rank`` by the effect on :data:`MAIN_OUTCOME`.
    """
    outcomes = load_results(out_dir, series=False).outcomes
    table = paired_effects(outcomes, BASELINE, by="reform")
    described = {reform.constraint: reform.description for reform in REFORMS}
    table.insert(1, "reform_applied", table["reform"].map(described))
    main = table[table["outcome"] == MAIN_OUTCOME].sort_values("difference", ascending=False)
    order = {name: rank for rank, name in enumerate(main["reform"], start=1)}
    table["rank"] = table["reform"].map(order)
    return table.sort_values(["rank", "outcome"]).reset_index(drop=True)


def ranking(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked effects on :data:`MAIN_OUTCOME` only, in the columns worth printing."""
    rows = table[table["outcome"] == MAIN_OUTCOME]
    return rows[["rank", "reform", "reform_applied", "difference", "low", "high", "clear"]]


def binding(table: pd.DataFrame, outcome: str = MAIN_OUTCOME) -> str | None:
    """The binding bottleneck: the constraint whose relaxation raises ``outcome`` most,
    if that gain is clear; None if no reform clearly helps."""
    rows = table[(table["outcome"] == outcome) & table["clear"] & (table["difference"] > 0)]
    if rows.empty:
        return None
    return str(rows.sort_values("difference", ascending=False)["reform"].iloc[0])


def write_diagnosis(table: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``diagnosis.csv`` (every reform and outcome) into ``out_dir``."""
    path = Path(out_dir) / "diagnosis.csv"
    table.to_csv(path, index=False)
    return path


def summarise_archetypes(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Effect of each reform on :data:`MAIN_OUTCOME` (rows) by scenario (columns)."""
    combined = pd.concat(
        [
            table[table["outcome"] == MAIN_OUTCOME].assign(scenario=name)
            for name, table in tables.items()
        ],
        ignore_index=True,
    )
    return combined.pivot(index="reform", columns="scenario", values="difference")[list(tables)]


def write_archetypes(comparison: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``comparison.csv`` (reform x scenario) into ``out_dir``."""
    path = Path(out_dir) / "comparison.csv"
    comparison.to_csv(path)
    return path


def diagnose_scenarios(
    scenario: str,
    out_dir: Path,
    replications: int = DIAGNOSE_REPLICATIONS,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = STUDY_SEED,
    execution: Execution | None = None,
) -> dict[str, pd.DataFrame]:
    """Diagnose one scenario, or every archetype when ``scenario`` is ``"archetypes"``.

    Every scenario is checked before anything runs. Each is run (resuming what ``out_dir``
    already holds), summarised and written (``diagnosis.csv``; with several scenarios one
    sub-folder each and ``comparison.csv`` in ``out_dir``).

    Returns
    -------
    dict
        Scenario name (file stem) -> its table from :func:`summarise_diagnosis`.

    Raises
    ------
    ScenarioError
        If a scenario or an override cannot be used.
    StoreError
        If ``out_dir`` cannot be a results folder.
    """
    scenarios = list(ARCHETYPES) if scenario == ALL_ARCHETYPES else [scenario]
    fixed = dict(fixed or {})
    for name in scenarios:
        load_scenario(name, overrides={**fixed, **({"steps": steps} if steps else {})})
    check_out_dir(out_dir)
    tables: dict[str, pd.DataFrame] = {}
    for name in scenarios:
        stem = Path(name).stem
        folder = Path(out_dir) / stem if len(scenarios) > 1 else Path(out_dir)
        run_diagnosis(name, folder, replications, steps, fixed, seed, execution)
        tables[stem] = summarise_diagnosis(folder)
        write_diagnosis(tables[stem], folder)
        logger.info("%s: binding bottleneck %s", stem, binding(tables[stem]))
    if len(tables) > 1:
        write_archetypes(summarise_archetypes(tables), out_dir)
    return tables
