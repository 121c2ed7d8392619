"""The key tables of a results folder, chosen by its design (``smartspec analyze``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy import stats

from smartspec.experiments import Results, load_results

from . import comparison, sensitivity

__all__ = ["LOWER_IS_BETTER", "analyze_results", "scalar_outcomes", "write_tables"]

#: Outcomes where less is better (everything else: more is better).
LOWER_IS_BETTER = ("exits",)


def scalar_outcomes(results: Results) -> list[str]:
    """Numeric outcome columns (not inputs, not bookkeeping), in stored order."""
    skip = set(results.inputs.columns) | {"seconds", "status", "error", "traceback"}
    return [
        column
        for column in results.outcomes.columns
        if column not in skip and pd.api.types.is_numeric_dtype(results.outcomes[column])
    ]


def _higher_is_better(outcome: str) -> bool:
    return (
        not outcome.removeprefix("final_")
        .removeprefix("mean_")
        .removeprefix("total_")
        .startswith(LOWER_IS_BETTER)
    )


def _comparison_tables(results: Results, baseline: str | None) -> dict[str, pd.DataFrame]:
    outcomes = results.outcomes
    columns = scalar_outcomes(results)
    by = "mix" if outcomes["mix"].nunique() > 1 else "scenario"
    groups = list(dict.fromkeys(outcomes[by]))
    baseline = baseline or ("baseline" if "baseline" in groups else groups[0])
    tables = {
        "summary": comparison.summarise_outcomes(outcomes, columns, by=by),
        "paired_differences": comparison.paired_differences(outcomes, columns, baseline, by=by),
    }
    rankings = []
    for column in columns:
        ranking = comparison.rank_groups(
            outcomes, column, by=by, higher_is_better=_higher_is_better(column)
        )
        rankings.append(ranking.assign(outcome=column))
    tables["ranking"] = pd.concat(rankings, ignore_index=True)
    criteria = {
        column: True
        for column in (
            "mean_innovation_index",
            "final_innovation_index",
            "total_social_innovations",
            "mean_absorption_rate",
        )
        if column in columns
    }
    if len(criteria) >= 2:
        tables["tradeoffs"] = comparison.tradeoffs(outcomes, criteria, by=by)
    return tables


def _sobol_tables(results: Results) -> dict[str, pd.DataFrame]:
    frames, noise = [], []
    columns = scalar_outcomes(results)
    for column in columns:
        result = sensitivity.sobol_indices(results, column)
        frames.append(result.indices.assign(outcome=column))
        noise.append({"outcome": column, "replication_noise_share": result.noise_share})
    tables = {"sobol": pd.concat(frames, ignore_index=True), "noise": pd.DataFrame(noise)}
    if columns:
        tables["sobol_convergence"] = sensitivity.sobol_convergence(results, columns[0])
    return tables


def _morris_tables(results: Results) -> dict[str, pd.DataFrame]:
    frames = [
        sensitivity.morris_indices(results, column).indices.assign(outcome=column)
        for column in scalar_outcomes(results)
    ]
    return {"morris": pd.concat(frames, ignore_index=True)}


def _sampled_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Grid and Latin-hypercube designs: outcome summaries and rank correlations."""
    outcomes = results.outcomes
    parameters = [parameter["name"] for parameter in results.provenance["experiment"]["parameters"]]
    rows = []
    for column in scalar_outcomes(results):
        for parameter in parameters:
            rho, p_value = stats.spearmanr(outcomes[parameter], outcomes[column])
            rows.append(
                {"outcome": column, "parameter": parameter, "spearman": rho, "p_value": p_value}
            )
    return {
        "summary": outcomes[scalar_outcomes(results)].describe().T.reset_index(names="outcome"),
        "correlations": pd.DataFrame(rows),
    }


def analyze_results(out_dir: str | Path, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """The tables that fit the folder's design: comparison (summary, paired differences,
    ranking, trade-offs), Sobol (indices, noise share, convergence), Morris (mu*, sigma) or
    grid/LHS (summaries, rank correlations)."""
    results = load_results(out_dir, series=False)
    if results.outcomes.empty:
        raise sensitivity.SensitivityError(f"{out_dir} holds no successful runs yet")
    kind = results.provenance.get("design", {}).get("design")
    if kind == "comparison":
        tables = _comparison_tables(results, baseline)
    elif kind == "sobol":
        tables = _sobol_tables(results)
    elif kind == "morris":
        tables = _morris_tables(results)
    else:
        tables = _sampled_tables(results)
    if len(results.failures):
        tables["failures"] = results.failures[["run_id", "error"]]
    return tables


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    return written
