"""Compare policy mixes in one scenario over paired replications (``smartspec compare``).

Every mix runs with the same replication seeds (common random numbers); the results folder
is an ordinary experiment folder, so ``smartspec analyze`` and ``smartspec report`` work on it.

    comparison_spec -> run_compare -> summarise_compare
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from smartspec.analysis.comparison import named_groups
from smartspec.experiments import ExperimentError, ExperimentSpec, RunSummary, load_results
from smartspec.experiments.spec import check_against_scenarios
from smartspec.scenarios import OptionError, validation_message

from .common import Execution, check_out_dir, run_study, summary_columns
from .defaults import COMPARE_OUTCOMES, COMPARE_REPLICATIONS, STUDY_SEED

__all__ = ["comparison_spec", "mean_interval_table", "run_compare", "summarise_compare"]

logger = logging.getLogger(__name__)

#: Label of the in-memory experiment in error messages.
SOURCE = "compare"


def comparison_spec(
    scenario: str,
    mixes: Sequence[str],
    replications: int = COMPARE_REPLICATIONS,
    steps: int | None = None,
    seed: int = STUDY_SEED,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[ExperimentSpec, str]:
    """The comparison experiment and its text as stored with the results (TOML).

    Parameters
    ----------
    scenario : str
        Bundled scenario name or TOML path.
    mixes : sequence of str
        Bundled mix names or mix files (``.toml``), at least two.
    replications : int
        Paired replications per mix.
    steps : int, optional
        Quarters per run (default: the scenario's).
    seed : int
        Master seed of the replication seeds.
    fixed : Mapping, optional
        Dotted overrides applied to every run.

    Returns
    -------
    tuple of (ExperimentSpec, str)

    Raises
    ------
    OptionError
        With fewer than two mixes.
    ExperimentError
        If a mix, the scenario or an override cannot be used.
    """
    if len(mixes) < 2:
        raise OptionError("--mix", "", "give at least two mixes to compare")
    # Files by absolute path: workers and a later --resume may start elsewhere.
    mixes = [str(Path(mix).resolve()) if mix.endswith(".toml") else mix for mix in mixes]
    model: dict[str, Any] = {"scenario": scenario, "set": dict(fixed or {})}
    if steps:
        model["steps"] = steps
    raw = {
        "name": f"compare-{Path(scenario).stem}",
        "description": f"{', '.join(Path(mix).stem for mix in mixes)} in {scenario}, "
        f"{replications} paired replications",
        "model": model,
        "design": {
            "kind": "comparison",
            "mixes": list(mixes),
            "replications": replications,
            "seed": seed,
        },
        "outcomes": COMPARE_OUTCOMES,
    }
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as error:
        raise ExperimentError(SOURCE, *validation_message(error)) from None
    check_against_scenarios(spec, SOURCE)
    return spec, _toml_text(raw)


def _toml_text(raw: dict[str, Any]) -> str:
    """The in-memory experiment as TOML (JSON strings and lists are valid TOML values)."""
    lines = [f"name = {json.dumps(raw['name'])}", f"description = {json.dumps(raw['description'])}"]
    for table in ("model", "design", "outcomes"):
        lines.append(f"\n[{table}]")
        for key, value in raw[table].items():
            if isinstance(value, dict):
                inline = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inline} }}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def run_compare(
    scenario: str,
    mixes: Sequence[str],
    out_dir: Path,
    replications: int = COMPARE_REPLICATIONS,
    steps: int | None = None,
    seed: int = STUDY_SEED,
    fixed: Mapping[str, Any] | None = None,
    execution: Execution | None = None,
    resume: bool | None = None,
    calibrated: str | Path | None = None,
) -> RunSummary:
    """Check the comparison, then run it into ``out_dir`` (see :func:`comparison_spec`).

    Parameters
    ----------
    out_dir : Path
        Results folder.
    execution : Execution, optional
        Executor and progress (default: in this process).
    resume : bool, optional
        Continue an interrupted comparison (default: ``execution.resume``).
    calibrated : str or Path, optional
        A finished calibration's folder: replication *r* of every mix runs parameter set *r*
        drawn from its non-implausible points (see :func:`~.common.run_study`), so the
        intervals include parameter uncertainty.

    Returns
    -------
    RunSummary
    """
    spec, text = comparison_spec(scenario, mixes, replications, steps, seed, fixed)
    check_out_dir(out_dir)
    logger.info(
        "comparing %s in %s, %d paired replications%s",
        ", ".join(mixes),
        scenario,
        replications,
        f", parameters drawn from {calibrated}" if calibrated else "",
    )
    return run_study(spec, out_dir, text, execution, resume=resume, calibrated=calibrated)


def mean_interval_table(outcomes: pd.DataFrame, by: str = "mix") -> pd.DataFrame:
    """Mean ± 1.96 standard errors of every scalar outcome per group, as text cells.

    Returns
    -------
    pandas.DataFrame
        One row per outcome, one column per group (in order of appearance).
    """
    columns = summary_columns(outcomes)
    outcomes = named_groups(outcomes)
    summary = outcomes.groupby(by, sort=False)[columns].agg(["mean", "sem"])
    cells = {
        column: [
            f"{mean:.3g} ± {1.96 * sem:.2g}"
            for mean, sem in zip(summary[(column, "mean")], summary[(column, "sem")], strict=True)
        ]
        for column in columns
    }
    return pd.DataFrame(cells, index=summary.index).T


def summarise_compare(out_dir: Path) -> pd.DataFrame:
    """:func:`mean_interval_table` of a comparison folder: per mix, or per scenario when the
    mixes do not differ (a comparison of scenario files), each called by its own name."""
    outcomes = load_results(out_dir, series=False).outcomes
    by = "mix" if outcomes["mix"].nunique() > 1 or not len(outcomes) else "scenario"
    return mean_interval_table(outcomes, by=by)
