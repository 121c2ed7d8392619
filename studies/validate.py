"""Pattern-oriented validation runs (``smartspec validate``) through the experiments layer.

The runs are one experiment: ten *cases* (each archetype as it is, for the relatedness, firm
size and network checks; and the R&D-grant programme against no budget in an emerging, a
strong and a capacity-built emerging region, for the regional innovation paradox), every case
with the same replication seeds (``replication_seeds``), so grant and no-grant runs are
paired. The results folder is an ordinary experiment folder: resumable, executor-independent,
loadable with ``load_results``. The statistics are :mod:`smartspec.analysis.validation`;
every published target (calibrated and held out) is evaluated by
:mod:`smartspec.analysis.targets` from the archetype runs, with the calibration's statistic
registry.

    run_validation -> summarise_validation -> write_validation
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.analysis.relatedness import placebo_density
from smartspec.analysis.targets import evaluate_targets, target_outputs, write_targets
from smartspec.analysis.validation import (
    PARADOX_BUDGET,
    ValidationResult,
    degree_statistics,
    evaluate,
    write_report,
)
from smartspec.experiments import ExperimentSpec, RunSummary, load_results, replication_seeds
from smartspec.experiments.calibration.simulate import firm_panel
from smartspec.experiments.calibration.statistics import RunData
from smartspec.experiments.designs import Design, RunTask
from smartspec.scenarios import ARCHETYPES

from .common import Execution, check_out_dir, run_study
from .defaults import VALIDATION_REPLICATIONS, VALIDATION_SEED, VALIDATION_STEPS

__all__ = [
    "CASES",
    "ValidationCase",
    "ValidationTarget",
    "run_validation",
    "target_table",
    "summarise_validation",
    "validation_design",
    "validation_spec",
    "verdict_table",
    "write_validation",
]

logger = logging.getLogger(__name__)

#: The archetype whose firm sizes and collaboration network are checked.
STRUCTURE_ARCHETYPE = "strong"
#: An emerging region whose absorptive capacity, human capital and institutional quality were
#: first raised to the strong region's level.
CAPACITY_BUILT = {
    "regions.0.absorptive_capacity": 0.52,
    "regions.0.human_capital": 0.33,
    "regions.0.government.institutional_quality": 0.7,
}
#: The paradox runs spend the whole budget on R&D grants.
GRANTS_ONLY = {"mix.shares": {"rd_grants": 1.0}, "mix.name": "rd_grants_only"}


@dataclass(frozen=True)
class ValidationCase:
    """One kind of validation run.

    Attributes
    ----------
    check : str
        ``relatedness`` (the archetype as it is) or ``paradox`` (grants against no budget).
    variant : str
        The archetype, or the paradox variant (``emerging``, ``strong``, ``emerging, capacity
        built``).
    scenario : str
        The bundled scenario it runs.
    grants : bool
        Whether the paradox's R&D-grant programme runs (False for relatedness runs).
    overrides : Mapping
        Dotted overrides of the case.
    keep_structure : bool
        Whether the run keeps firm sizes and network statistics.
    """

    check: str
    variant: str
    scenario: str
    grants: bool = False
    overrides: Mapping[str, Any] = field(default_factory=dict)
    keep_structure: bool = False

    @property
    def values(self) -> dict[str, Any]:
        """The case's design values (its columns in ``design.parquet``)."""
        return {"check": self.check, "variant": self.variant, "grants": self.grants}


def _cases() -> tuple[ValidationCase, ...]:
    cases = [
        ValidationCase("relatedness", name, name, keep_structure=name == STRUCTURE_ARCHETYPE)
        for name in ARCHETYPES
    ]
    for variant, scenario, extra in (
        ("emerging", "emerging", {}),
        ("strong", "strong", {}),
        ("emerging, capacity built", "emerging", CAPACITY_BUILT),
    ):
        for grants in (False, True):
            budget = {"regions.0.government.budget_share": PARADOX_BUDGET if grants else 0.0}
            overrides = {**extra, **budget, **GRANTS_ONLY}
            cases.append(ValidationCase("paradox", variant, scenario, grants, overrides))
    return tuple(cases)


#: Every case, in design order.
CASES: tuple[ValidationCase, ...] = _cases()


@dataclass(frozen=True)
class ValidationTarget:
    """One validation run: a case for ``steps`` quarters (module level, so it pickles).

    Returns the scalars the checks need (``total_innovations``, ``initial_firms``, and the
    network statistics when the case keeps the structure; for the archetype runs, also the
    ``target_*`` columns of every published target's statistic, from a firm panel taken along
    the run: :func:`smartspec.analysis.targets.target_outputs`) and, for relatedness runs, a
    per-run table: the domains table (``record == "domain"``) and, when the structure is
    kept, each live firm's employees at the last step (``record == "firm"``).
    """

    steps: int
    fixed: Mapping[str, Any] = field(default_factory=dict)
    cases: tuple[ValidationCase, ...] = CASES

    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]:
        from smartspec.model import EcosystemModel

        case = next(case for case in self.cases if case.values == task.values)
        model = EcosystemModel(
            task.scenario, rng=task.seed, mix=task.mix, **{**self.fixed, **case.overrides}
        )
        if case.check == "relatedness":
            # Snapshots of the firms along the way, for the published targets' statistics.
            panel = firm_panel(model, self.steps)
        else:
            model.run_for(self.steps)
        indicators = model.indicators()
        outcomes: dict[str, Any] = {
            # Step 0 records no innovations: the total is that of the simulated quarters.
            "total_innovations": float(indicators["innovations"].sum()),
            "initial_firms": float(sum(region.firms for region in model.spec.regions)),
        }
        if case.check != "relatedness":
            return outcomes, None
        all_domains = model.domains()
        outcomes.update(target_outputs(RunData(indicators, all_domains, panel), case.scenario))
        columns = ["step", "region", "domain", "rca", "density"]
        domains = all_domains[columns]
        # Density from a permuted proximity matrix, for the placebo (measurement only).
        placebo = placebo_density(
            domains, model.knowledge.proximity, list(model.knowledge.names), model.rng
        )
        tables = [domains.assign(placebo_density=placebo, record="domain")]
        if case.keep_structure:
            outcomes.update(degree_statistics(model))
            firms = model.firms
            live = firms.alive[: firms.size]
            employees = firms.employees[: firms.size][live]
            tables.append(
                pd.DataFrame({"step": model.steps, "employees": employees, "record": "firm"})
            )
        return outcomes, pd.concat(tables, ignore_index=True)


def validation_spec(
    reps: int = VALIDATION_REPLICATIONS,
    firms: int | None = None,
    steps: int = VALIDATION_STEPS,
    seed: int = VALIDATION_SEED,
    overrides: Mapping[str, Any] | None = None,
) -> ExperimentSpec:
    """The validation experiment as recorded with its results.

    Its design is :func:`validation_design` (the cases below the parameters' levels, not their
    full factorial); the parameters name the design columns.
    """
    levels = {
        "check": sorted({case.check for case in CASES}),
        "variant": list(dict.fromkeys(case.variant for case in CASES)),
        "grants": [False, True],
    }
    return ExperimentSpec.model_validate(
        {
            "name": "validation",
            "description": "Pattern-oriented validation: relatedness, firm sizes, network, "
            "regional innovation paradox",
            "model": {
                "scenario": CASES[0].scenario,
                "steps": steps,
                "set": {
                    **(overrides or {}),
                    **({} if firms is None else {"regions.*.firms": firms}),
                },
            },
            "design": {"kind": "grid", "replications": reps, "seed": seed},
            "parameters": [
                {"name": name, "path": name, "levels": values} for name, values in levels.items()
            ],
            "outcomes": {"total": ["innovations"]},
        }
    )


def validation_design(reps: int = VALIDATION_REPLICATIONS, seed: int = VALIDATION_SEED) -> Design:
    """Every case crossed with the replication seeds of the experiments layer.

    Returns
    -------
    Design
        ``len(CASES) * reps`` runs; run id = case x reps + replication.
    """
    seeds = replication_seeds(seed, reps)
    # A plain list of runs (a few hundred at most) keeps the design independent of how the
    # experiments layer stores the points of its own design kinds.
    tasks = [
        RunTask(
            run_id=point * reps + replication,
            point=point,
            replication=replication,
            seed=replication_seed,
            scenario=case.scenario,
            mix=None,
            values=case.values,
        )
        for point, case in enumerate(CASES)
        for replication, replication_seed in enumerate(seeds)
    ]
    frame = pd.DataFrame(
        [
            {"point": point, "scenario": case.scenario, "mix": "", **case.values}
            for point, case in enumerate(CASES)
        ]
    )
    sampler = {
        "design": "validation cases",
        "cases": [case.values for case in CASES],
        "replications": reps,
        "replication_seeds": seeds,
        "master_seed": seed,
    }
    return Design(tasks=tasks, points=frame, problem=None, sampler=sampler)


def run_validation(
    out_dir: Path,
    reps: int = VALIDATION_REPLICATIONS,
    firms: int | None = None,
    steps: int = VALIDATION_STEPS,
    seed: int = VALIDATION_SEED,
    execution: Execution | None = None,
    resume: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> RunSummary:
    """Run every validation case over ``reps`` seeds into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Results folder (the report is written next to the runs).
    reps : int
        Seeds per case.
    firms : int, optional
        Firms per region (default: each scenario's).
    steps : int
        Quarters per run.
    seed : int
        Master seed of the replication seeds.
    execution : Execution, optional
        Executor and progress (default: in this process).
    resume : bool, optional
        Continue an interrupted validation (default: ``execution.resume``).
    overrides : Mapping, optional
        Dotted scenario overrides of every run (an ablation, say).

    Returns
    -------
    RunSummary
    """
    check_out_dir(out_dir)
    spec = validation_spec(reps, firms, steps, seed, overrides)
    target = ValidationTarget(steps=steps, fixed=dict(spec.model.set))
    text = "# smartspec validate (experiment as JSON)\n" + spec.model_dump_json(indent=2)
    design = validation_design(reps, seed)
    return run_study(spec, out_dir, text, execution, target=target, design=design, resume=resume)


def summarise_validation(out_dir: Path) -> ValidationResult:
    """The checks, from a validation folder (its settings are read from the folder).

    Raises
    ------
    StoreError
        If runs failed or are missing: the checks need every run.
    """
    from smartspec.experiments import StoreError

    results = load_results(out_dir)
    if not results.complete or len(results.failures):
        raise StoreError(
            str(out_dir),
            "",
            f"{len(results.outcomes)} of {len(results.inputs)} validation runs finished "
            f"({len(results.failures)} failed); the checks need all of them",
        )
    experiment = results.provenance["experiment"]
    settings = {
        "reps": experiment["design"]["replications"],
        "firms": experiment["model"]["set"].get("regions.*.firms"),
        "steps": experiment["model"]["steps"],
        "seed": experiment["design"]["seed"],
    }
    result = evaluate(results.outcomes, results.series, settings)
    archetype_runs = results.outcomes[results.outcomes["check"] == "relatedness"]
    result.data["targets"] = evaluate_targets(archetype_runs, result.table())
    return result


def write_validation(result: ValidationResult, out_dir: Path) -> list[Path]:
    """Write validation.csv, targets.csv, the figures, report.md and report.html into
    ``out_dir``."""
    written = write_report(result, out_dir)
    written += write_targets(result.data["targets"], out_dir)
    logger.info("wrote the validation report to %s", out_dir)
    return written


def verdict_table(result: ValidationResult) -> pd.DataFrame:
    """Pattern, whether it holds (``yes``/``NO``), simulated value, interval and anchor."""
    full = result.table()
    table = full[["pattern", "simulated", "interval_low", "interval_high", "anchor"]].copy()
    table.insert(1, "holds", ["yes" if holds else "NO" for holds in full["holds"]])
    return table


def target_table(result: ValidationResult) -> pd.DataFrame:
    """Every published target: its row of targets.md, whether it was calibrated or is out of
    sample, the simulated value with its 90 % interval, the band and the verdict."""
    table = result.data["targets"]
    return table[
        ["row", "target", "use", "simulated", "interval_low", "interval_high", "band", "verdict"]
    ].copy()
