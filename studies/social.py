"""Social innovation: what citizens' place in the EDP (quadruple helix) and living labs change.

The bundled experiment ``experiments/social_innovation.toml`` crosses governance (triple vs
quadruple helix) with the mix (baseline vs living labs and procurement), with paired
replications; every combination ("cell") is compared with triple-helix baseline.

    social_spec -> run_social -> summarise_social -> write_social
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from smartspec.experiments import ExperimentSpec, RunSummary, load_experiment, load_results
from smartspec.experiments.spec import check_against_scenarios

from .common import Execution, check_out_dir, effect_table, paired_effects, run_study
from .defaults import (
    SOCIAL_EFFECTS_SHOWN,
    SOCIAL_EXPERIMENT,
    SOCIAL_REFERENCE,
    SOCIAL_REPLICATIONS,
)

__all__ = ["effect_tables", "run_social", "social_spec", "summarise_social", "write_social"]

logger = logging.getLogger(__name__)


def social_spec(
    scenario: str | None = None, replications: int = SOCIAL_REPLICATIONS
) -> tuple[ExperimentSpec, str]:
    """The bundled social-innovation experiment, on another scenario if one is named.

    Returns
    -------
    tuple of (ExperimentSpec, str)
        The experiment and its text as stored with the results: the bundled file plus a
        comment for each change, so that resuming with other settings is refused.

    Raises
    ------
    ExperimentError
        If ``scenario`` cannot be used.
    """
    spec, path = load_experiment(SOCIAL_EXPERIMENT)
    text = path.read_text(encoding="utf-8")
    if scenario:
        spec.model.scenario = scenario
        check_against_scenarios(spec, "social")
        text += f"\n# run on scenario {scenario}\n"
    spec.design.replications = replications
    text += f"# replications {replications}\n"
    return spec, text


def run_social(
    out_dir: Path,
    scenario: str | None = None,
    replications: int = SOCIAL_REPLICATIONS,
    execution: Execution | None = None,
    resume: bool | None = None,
) -> RunSummary:
    """Run the social-innovation factorial into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Results folder.
    scenario : str, optional
        Region scenario (default: the experiment's, emerging).
    replications : int
        Paired replications per cell.
    execution : Execution, optional
        Executor and progress (default: in this process).
    resume : bool, optional
        Continue an interrupted run (default: ``execution.resume``).

    Returns
    -------
    RunSummary
    """
    spec, text = social_spec(scenario, replications)
    check_out_dir(out_dir)
    return run_study(spec, out_dir, text, execution, resume=resume)


def summarise_social(out_dir: Path) -> pd.DataFrame:
    """Each cell's paired effect against :data:`~.defaults.SOCIAL_REFERENCE`, every outcome.

    Returns
    -------
    pandas.DataFrame
        One row per cell (``mix / governance``) and outcome; see
        :func:`~.common.paired_effects`.
    """
    outcomes = load_results(out_dir, series=False).outcomes
    outcomes["cell"] = outcomes["mix"] + " / " + outcomes["governance"]
    return paired_effects(outcomes, SOCIAL_REFERENCE, by="cell")


def effect_tables(effects: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The effects on social and on economic outcomes as text tables (cell x outcome)."""
    return {
        group: effect_table(effects, outcomes, "cell")
        for group, outcomes in SOCIAL_EFFECTS_SHOWN.items()
    }


def write_social(effects: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``social_effects.csv`` (every cell and outcome) into ``out_dir``."""
    path = Path(out_dir) / "social_effects.csv"
    effects.to_csv(path, index=False)
    logger.info("wrote %s", path)
    return path
