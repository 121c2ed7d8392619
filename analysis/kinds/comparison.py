"""Comparisons of policy mixes (or scenarios): means with intervals, paired differences under
common random numbers, rankings that admit ties and trade-offs; their figures; and the
report's question, setting and results sections.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from .. import comparison
from .base import AnalysisKind, ReportPart, scalar_outcomes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from smartspec.experiments import Results

__all__ = [
    "INDEX_SOURCES",
    "KIND",
    "LOWER_IS_BETTER",
    "calibrated_sentence",
    "figures",
    "index_decomposition",
    "report",
    "tables",
]

#: The parts of the final composite index a comparison splits its differences into: column
#: suffix -> (plain label, whether it is money counted directly rather than changed behaviour).
INDEX_SOURCES: dict[str, tuple[str, bool]] = {
    "index_part_rd_grants": ("grant money counted as business R&D", True),
    "index_part_own_rd": ("firms' own R&D", False),
    "index_part_innovating_share": ("share of firms innovating", False),
    "index_part_human_capital": ("tertiary-educated workers", False),
    "index_part_partnership_share": ("firms with a collaboration partner", False),
}

#: Outcomes where less is better (everything else: more is better).
LOWER_IS_BETTER = ("exits",)


def _higher_is_better(outcome: str) -> bool:
    return (
        not outcome.removeprefix("final_")
        .removeprefix("mean_")
        .removeprefix("total_")
        .startswith(LOWER_IS_BETTER)
    )


def _groups_and_baseline(outcomes: pd.DataFrame, baseline: str | None) -> tuple[str, str]:
    """Compared by mix when mixes differ, else by scenario; the baseline defaults to the
    ``baseline`` mix if present, else the first group."""
    by = "mix" if outcomes["mix"].nunique() > 1 else "scenario"
    groups = list(dict.fromkeys(outcomes[by]))
    return by, baseline or ("baseline" if "baseline" in groups else groups[0])


def tables(results: Results, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """``summary``, ``paired_differences`` (from the baseline), ``ranking`` of every outcome
    and, with two or more of the economic, social and budget outcomes, ``tradeoffs``."""
    outcomes = comparison.named_groups(results.outcomes)
    columns = scalar_outcomes(results)
    by, baseline = _groups_and_baseline(outcomes, baseline)
    made = {
        "summary": comparison.summarise_outcomes(outcomes, columns, by=by),
        "paired_differences": comparison.paired_differences(outcomes, columns, baseline, by=by),
    }
    rankings = []
    for column in columns:
        ranking = comparison.rank_groups(
            outcomes, column, by=by, higher_is_better=_higher_is_better(column)
        )
        rankings.append(ranking.assign(outcome=column))
    made["ranking"] = pd.concat(rankings, ignore_index=True)
    criteria = comparison.tradeoff_criteria(columns)
    if criteria:
        made["tradeoffs"] = comparison.tradeoffs(outcomes, criteria, by=by)
    return made


def figures(results: Results, baseline: str | None = None) -> dict[str, Figure]:
    """Means with intervals and paired differences of the first four outcomes, and bands
    over time of every series."""
    from .. import figures as plots

    outcomes = comparison.named_groups(results.outcomes)
    columns = scalar_outcomes(results)
    by, base = _groups_and_baseline(outcomes, baseline)
    made: dict[str, Figure] = {
        "mix_comparison": plots.plot_mix_comparison(
            comparison.summarise_outcomes(outcomes, columns, by=by), columns[:4], by=by
        ),
        "paired_differences": plots.plot_paired_differences(
            comparison.paired_differences(outcomes, columns[:4], base, by=by), base, by=by
        ),
    }
    skip = {*results.inputs.columns, "step"}
    series = [c for c in results.series.columns if c not in skip]
    if series:
        bands = {
            c: comparison.series_bands(
                results.series, comparison.named_groups(results.inputs), c, by=by
            )
            for c in series
        }
        made["bands"] = plots.plot_bands(bands, {}, by=by)
    return made


def calibrated_sentence(provenance: dict) -> str | None:
    """How the runs drew their behavioural parameters from a calibration (plain text), or
    None when they did not (``provenance.json`` has no ``"calibrated"``)."""
    calibrated = provenance.get("calibrated")
    if not calibrated:
        return None
    return (
        f"Each replication drew its behavioural parameters from the {calibrated['points']} "
        f"non-implausible parameter sets of calibration {calibrated['name']} (uniformly, not a "
        "posterior); every mix used the same draw and seed, so the intervals include "
        "parameter uncertainty."
    )


def report(results: Results) -> ReportPart:
    """The question, the region and the mixes, and the results with their uncertainty; the
    snapshot shows the baseline mix. A factorial comparison (mixes x parameter levels) groups
    runs by each combination."""
    from .. import figures as plots
    from ..report import (  # the report's wording and layout; report imports kinds
        MAIN_OUTCOMES,
        SERIES_TITLES,
        _describe_mixes,
        _image,
        _main_outcome,
        _plain,
        _scenario_text,
        _table,
    )

    given = results.outcomes  # mixes and scenarios as run (names or file paths)
    mix_files = list(dict.fromkeys(given["mix"].astype(str)))
    scenario_files = list(dict.fromkeys(given["scenario"].astype(str)))
    outcomes = comparison.named_groups(given)
    results.inputs = comparison.named_groups(results.inputs)
    experiment = results.provenance["experiment"]
    by = "mix" if outcomes["mix"].nunique() > 1 else "scenario"
    compared = "policy mixes" if by == "mix" else "scenarios"
    factors = [p["name"] for p in experiment.get("parameters", []) if p["name"] in outcomes]
    if factors:
        # A factorial comparison: each combination of mix (or scenario) and levels is a group.
        def label(frame):
            parts = [frame[by].astype(str)] + [
                name + "=" + frame[name].astype(str) for name in factors
            ]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined + " / " + part
            return joined

        outcomes = outcomes.assign(group=label(outcomes))
        results.inputs = results.inputs.assign(group=label(results.inputs))
        by = "group"
    groups = list(dict.fromkeys(outcomes[by]))
    baseline = "baseline" if "baseline" in groups else groups[0]
    columns = scalar_outcomes(results)
    main = _main_outcome(columns)
    steps = experiment["model"].get("steps") or 56
    replications = experiment["design"]["replications"]
    scenario = experiment["model"]["scenario"]

    where = (
        f"for {_scenario_text(scenario_files[0])}"
        if len(scenario_files) == 1
        else "across the scenarios below"
    )
    if by == "scenario" and mix_files != [""]:
        where = f"under the mix {', '.join(html.escape(m) for m in outcomes['mix'].unique())}"
    elif by == "scenario":
        where = "each under its own policy mix"
    question = (
        f"<p>How do the {compared} {', '.join(f'<b>{html.escape(g)}</b>' for g in groups)} "
        f"compare {where}? Each was simulated {replications} times over {steps / 4:.0f} "
        f"years with the same {replications} random seeds, so each replication is a "
        "like-for-like comparison (common random numbers).</p>"
    )
    drawn = calibrated_sentence(results.provenance)
    if drawn is not None:
        question += f"<p>{html.escape(drawn)}</p>"
    setting = (
        "<ul>"
        + "".join(
            f"<li>{_scenario_text(name)}{_own_mix_text(name) if mix_files == [''] else ''}</li>"
            for name in scenario_files
        )
        + "</ul>"
        if by == "scenario"
        else f"<p>Region: {_scenario_text(scenario_files[0])}.</p>"
    ) + _describe_mixes(mix_files)

    summary = comparison.summarise_outcomes(outcomes, columns, by=by)
    differences = comparison.paired_differences(outcomes, columns, baseline, by=by)
    ranking = comparison.rank_groups(outcomes, main, by=by)
    shown = [column for column in MAIN_OUTCOMES if column in columns][:4] or columns[:3]

    parts = [
        _image(
            plots.plot_mix_comparison(summary, shown, by=by),
            "Mean of each mix with 95 % intervals",
        )
    ]
    if len(results.series):
        available = [c for c in SERIES_TITLES if c in results.series.columns]
        bands = {
            c: comparison.series_bands(results.series, results.inputs, c, by=by) for c in available
        }
        if bands:
            parts.append(
                _image(
                    plots.plot_bands(bands, SERIES_TITLES, by=by),
                    "Indicators over time, mean and 95 % band per mix",
                )
            )
    parts.append(
        _image(
            plots.plot_paired_differences(
                differences[differences["outcome"].isin(shown)], baseline, by=by
            ),
            f"Paired differences from {baseline} with 95 % intervals",
        )
    )
    table = summary[summary["outcome"].isin(shown)].copy()
    table["95 % interval"] = [
        f"{low:.3g} to {high:.3g}" for low, high in zip(table["low"], table["high"], strict=True)
    ]
    parts.append(_table(table[[by, "outcome", "mean", "95 % interval", "n"]]))
    results_html = (
        "<p>Bars and lines are means over replications; whiskers and bands are 95 % "
        "confidence intervals for that mean. Green differences are clear: their interval "
        "excludes zero.</p>" + "".join(parts)
    )

    findings = []
    for record in differences[differences["outcome"] == main].itertuples():
        group = getattr(record, by)
        if record.clear:
            verb = "raised" if record.difference > 0 else "lowered"
            findings.append(
                f"<b>{html.escape(group)}</b> {verb} {_plain(main)} by "
                f"{abs(record.difference):.3g} compared with {html.escape(baseline)} "
                f"(95 % interval {record.low:.3g} to {record.high:.3g})."
            )
        else:
            findings.append(
                f"<b>{html.escape(group)}</b> cannot be told apart from "
                f"{html.escape(baseline)} on {_plain(main)} (difference {record.difference:.3g}, "
                f"95 % interval {record.low:.3g} to {record.high:.3g})."
            )
    best = ranking[ranking["tier"] == 1][by].tolist()
    findings.append(
        f"Best on {_plain(main)}: {', '.join(f'<b>{html.escape(g)}</b>' for g in best)}"
        + (" (these cannot be told apart from each other)." if len(best) > 1 else ".")
    )
    criteria = comparison.tradeoff_criteria(columns)
    if criteria:
        trade = comparison.tradeoffs(outcomes, criteria, by=by)
        leaders = {c: trade.loc[trade[c].idxmax(), by] for c in criteria}
        findings.append(
            "Trade-offs: "
            + "; ".join(
                f"best on {_plain(c)}: <b>{html.escape(str(g))}</b>" for c, g in leaders.items()
            )
            + ". Mixes that no other mix beats on all of these at once: "
            + ", ".join(html.escape(str(g)) for g in trade[trade["pareto_efficient"]][by])
            + "."
        )
    sections = [
        ("The question", question),
        ("The region and the policy mixes" if by == "mix" else "The scenarios", setting),
        ("Results with their uncertainty", results_html),
    ]
    decomposition = index_decomposition(outcomes, baseline, by=by)
    if decomposition is not None:
        sections.append(
            ("Where the index differences come from", _decomposition_html(decomposition, by))
        )
        findings += _decomposition_findings(decomposition, by)
    first = outcomes.index[outcomes[by] == baseline][0]
    baseline_mix = str(given.loc[first, "mix"]) or None
    baseline_scenario = str(given.loc[first, "scenario"]) or scenario
    return ReportPart(
        sections=sections, findings=findings, snapshot=(baseline_scenario, baseline_mix)
    )


def _own_mix_text(scenario: str) -> str:
    """``; its mix NAME: DESCRIPTION`` of a scenario run with its own mix (HTML)."""
    from smartspec.scenarios import ScenarioError, load_scenario

    try:
        mix = load_scenario(scenario).mix
    except ScenarioError:
        return ""
    return f"; its mix <b>{html.escape(mix.name)}</b>: {html.escape(mix.description)}"


def index_decomposition(
    outcomes: pd.DataFrame, baseline: str, by: str = "mix"
) -> pd.DataFrame | None:
    """Each group's paired difference from ``baseline`` in the final composite index, split
    into the index points of its parts (:data:`INDEX_SOURCES`); None when the runs did not
    record the parts as ``final_`` outcomes.

    The index is linear in its parts, so the parts' differences add up to the index's. The
    business-R&D part is split into the grant money firms spent on R&D, which the index counts
    directly, and the firms' own R&D.
    """
    needed = ["final_innovation_index", "final_index_part_rd_intensity"] + [
        f"final_{name}" for name in INDEX_SOURCES if name != "index_part_own_rd"
    ]
    if any(column not in outcomes for column in needed):
        return None
    frame = outcomes.assign(
        final_index_part_own_rd=outcomes["final_index_part_rd_intensity"]
        - outcomes["final_index_part_rd_grants"]
    )
    columns = ["final_innovation_index", *(f"final_{name}" for name in INDEX_SOURCES)]
    return comparison.paired_differences(frame, columns, baseline, by=by)


def _decomposition_html(decomposition: pd.DataFrame, by: str) -> str:
    from ..report import _table

    rows = []
    for group, frame in decomposition.groupby(by, sort=False):
        for record in frame.itertuples():
            name = record.outcome.removeprefix("final_")
            label, direct = INDEX_SOURCES.get(name, ("composite index (total)", False))
            rows.append(
                {
                    by: group,
                    "index points from": label,
                    "kind": "total"
                    if name == "innovation_index"
                    else ("money counted directly" if direct else "changed behaviour"),
                    "difference": record.difference,
                    "95 % interval": f"{record.low:.2g} to {record.high:.2g}",
                }
            )
    return (
        "<p>The composite index is the sum of its parts, so each mix's difference from the "
        "baseline at the end splits exactly into the parts below. Grant money that firms "
        "spend on R&D counts in business R&D, as it does in the statistics the index copies: "
        "that part is the spending itself. The other parts are changed behaviour: firms' own "
        "R&D, innovation, skills and collaboration. Links that instruments create directly "
        "(collaborative projects, clusters, living labs) are part of the collaboration "
        "part.</p>" + _table(pd.DataFrame(rows), digits=2)
    )


def _decomposition_findings(decomposition: pd.DataFrame, by: str) -> list[str]:
    found = []
    for group, frame in decomposition.groupby(by, sort=False):
        parts = frame.set_index("outcome")["difference"]
        total = parts.get("final_innovation_index", 0.0)
        total_row = frame[frame["outcome"] == "final_innovation_index"].iloc[0]
        if not total_row["clear"]:
            continue
        direct = parts.get("final_index_part_rd_grants", 0.0)
        found.append(
            f"Of the {total:+.2g} index points of <b>{html.escape(str(group))}</b>, "
            f"{direct:+.2g} are grant money counted as R&D and {total - direct:+.2g} changed "
            "behaviour."
        )
    return found


KIND = AnalysisKind(name="comparison", tables=tables, figures=figures, report=report)
