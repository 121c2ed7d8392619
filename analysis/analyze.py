"""The key tables of a results folder, chosen by its design (``smartspec analyze``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy import stats

from smartspec.experiments import Results, load_results

from . import comparison, sensitivity

__all__ = [
    "CATCH_UP_INDEX",
    "LOWER_IS_BETTER",
    "analyze_results",
    "scalar_outcomes",
    "write_figures",
    "write_tables",
]

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


#: "Catching up": an emerging region's composite index reaching the moderate RIS group.
CATCH_UP_INDEX = 70.0


def _discovery_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Scenario discovery on a sampled design: which parameter ranges make the region catch
    up (index >= 70, the moderate group)? PRIM box, peeling trajectory, feature scores."""
    from . import discovery

    column = next(
        (c for c in ("mean_innovation_index", "final_innovation_index") if c in results.outcomes),
        None,
    )
    parameters = [p["name"] for p in results.provenance["experiment"]["parameters"]]
    if column is None or not parameters:
        return {}
    interest = discovery.catch_up(results.outcomes, column, CATCH_UP_INDEX)
    if interest.all() or not interest.any():
        share = "every" if interest.all() else "no"
        note = f"{share} run reaches {column} >= {CATCH_UP_INDEX:g}: nothing to discover"
        return {"discovery": pd.DataFrame({"note": [note]})}
    found = discovery.discover(
        results.outcomes,
        parameters,
        interest,
        ranges=discovery.parameter_ranges(results.provenance),
    )
    sentences = discovery.describe(found, f"{column} >= {CATCH_UP_INDEX:g}")
    return {
        "discovery_box": found.box,
        "discovery_trajectory": found.trajectory.reset_index(),
        "feature_scores": pd.DataFrame(
            {"parameter": found.feature_scores.index, "score": found.feature_scores.to_numpy()}
        ),
        "discovery": pd.DataFrame({"finding": sentences}),
    }


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
        tables = {**_sobol_tables(results), **_discovery_tables(results)}
    elif kind == "morris":
        tables = _morris_tables(results)
    else:
        tables = {**_sampled_tables(results), **_discovery_tables(results)}
    if len(results.failures):
        tables["failures"] = results.failures[["run_id", "error"]]
    return tables


def write_figures(out_dir: str | Path, folder: Path, baseline: str | None = None) -> list[Path]:
    """The design's figures as PNG and SVG: comparison (bands, paired differences, mix
    comparison), Sobol or Morris charts, PRIM trade-off and box (sampled designs)."""
    from . import discovery, figures

    results = load_results(out_dir)
    kind = results.provenance.get("design", {}).get("design")
    columns = scalar_outcomes(results)
    made: dict[str, object] = {}
    if kind == "comparison":
        outcomes = results.outcomes
        by = "mix" if outcomes["mix"].nunique() > 1 else "scenario"
        groups = list(dict.fromkeys(outcomes[by]))
        base = baseline or ("baseline" if "baseline" in groups else groups[0])
        made["mix_comparison"] = figures.plot_mix_comparison(
            comparison.summarise_outcomes(outcomes, columns, by=by), columns[:4], by=by
        )
        made["paired_differences"] = figures.plot_paired_differences(
            comparison.paired_differences(outcomes, columns[:4], base, by=by), base, by=by
        )
        series = [c for c in results.series.columns if c not in ("run_id", "step")]
        if series:
            bands = {
                c: comparison.series_bands(results.series, results.inputs, c, by=by) for c in series
            }
            made["bands"] = figures.plot_bands(bands, {}, by=by)
    elif kind == "sobol":
        for column in columns:
            result = sensitivity.sobol_indices(results, column)
            made[f"sobol_{column}"] = figures.plot_sobol(result.indices, column)
    elif kind == "morris":
        for column in columns:
            result = sensitivity.morris_indices(results, column)
            made[f"morris_{column}"] = figures.plot_morris(result.indices, column)
    if kind in ("lhs", "grid", "sobol"):
        tables = _discovery_tables(results)
        if "discovery_box" in tables:
            parameters = [p["name"] for p in results.provenance["experiment"]["parameters"]]
            column = next(
                c
                for c in ("mean_innovation_index", "final_innovation_index")
                if c in results.outcomes
            )
            found = discovery.discover(
                results.outcomes,
                parameters,
                discovery.catch_up(results.outcomes, column, CATCH_UP_INDEX),
                ranges=discovery.parameter_ranges(results.provenance),
            )
            made["prim_tradeoff"] = discovery.plot_tradeoff(found)
            made["prim_box"] = discovery.plot_box(found)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in made.items():
        for suffix in ("png", "svg"):
            path = folder / f"{name}.{suffix}"
            figure.savefig(path, dpi=110)
            written.append(path)
    return written


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    return written
