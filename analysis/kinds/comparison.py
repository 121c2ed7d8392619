"""Comparisons of policy mixes (or scenarios): means with intervals, paired differences under
common random numbers, rankings that admit ties and trade-offs; their figures; and the
report's question, setting and results sections.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from smartspec.model.indicators import phrase_of

from .. import comparison
from ..wording import (
    Conclusion,
    format_interval,
    format_number,
    indicator_label,
    indicator_unit,
    zero_width,
)
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
    shown_differences = differences[differences["outcome"].isin(shown)]
    parts.append(
        _image(
            plots.plot_paired_differences(shown_differences, baseline, by=by),
            f"Paired differences from {baseline} with 95 % intervals",
        )
    )
    table = summary[summary["outcome"].isin(shown)].copy()
    table["outcome"] = [indicator_label(c, unit=True) for c in table["outcome"]]
    table["95 % interval"] = [
        format_interval(low, high) for low, high in zip(table["low"], table["high"], strict=True)
    ]
    parts.append(
        _table(
            table[[by, "outcome", "mean", "95 % interval", "n"]],
            headers={
                by: by.capitalize(),
                "outcome": "Indicator",
                "mean": "Mean",
                "n": "Replications",
            },
        )
    )
    results_html = (
        "<p>Bars and lines are means over replications; whiskers and bands are 95 % "
        "confidence intervals for that mean. Green differences are clear: their interval "
        "excludes zero.</p>" + _zero_width_note(summary, shown_differences, by) + "".join(parts)
    )

    findings = []
    for record in differences[differences["outcome"] == main].itertuples():
        group = getattr(record, by)
        interval = format_interval(record.low, record.high)
        if record.clear:
            verb = "raised" if record.difference > 0 else "lowered"
            findings.append(
                f"<b>{html.escape(group)}</b> {verb} {_plain(main)} by "
                f"{format_number(abs(record.difference))} compared with "
                f"{html.escape(baseline)} (95 % interval {interval})."
            )
        else:
            findings.append(
                f"<b>{html.escape(group)}</b> cannot be told apart from "
                f"{html.escape(baseline)} on {_plain(main)} (difference "
                f"{format_number(record.difference)}, 95 % interval {interval})."
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
    conclusions = _conclusions(differences, summary, main, baseline, by, replications, steps)
    conclusions += _decomposition_conclusions(decomposition, by)
    conclusions += _tradeoff_conclusions(differences, summary, main, baseline, by, columns)
    first = outcomes.index[outcomes[by] == baseline][0]
    baseline_mix = str(given.loc[first, "mix"]) or None
    baseline_scenario = str(given.loc[first, "scenario"]) or scenario
    return ReportPart(
        sections=sections,
        findings=findings,
        snapshot=(baseline_scenario, baseline_mix),
        conclusions=conclusions,
    )


def _zero_width_note(summary: pd.DataFrame, differences: pd.DataFrame, by: str) -> str:
    """A sentence for the intervals of zero width shown (empty when there are none)."""

    def flat(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[[zero_width(lo, hi) for lo, hi in frame[["low", "high"]].to_numpy()]]

    same, paired = flat(summary), flat(differences)
    if not len(same) and not len(paired):
        return ""
    named = [
        f"{html.escape(str(getattr(r, by)))} on {phrase_of(r.outcome)}" for r in same.itertuples()
    ] + [
        f"{html.escape(str(getattr(r, by)))} against the baseline on {phrase_of(r.outcome)}"
        for r in paired.itertuples()
    ]
    return (
        "<p>Some intervals have zero width (shown as a value 'in every replication', a dot "
        f"without whiskers): {'; '.join(named)}. The value, or the difference, was exactly "
        "the same in every replication: chance did not move it in these runs, typically "
        "because the mixes compared give the instrument that drives it the same share. It is "
        "a measured absence of spread, not a missing interval.</p>"
    )


def _unit_text(outcome: str) -> str:
    unit = indicator_unit(outcome, difference=True)
    return f" {html.escape(unit)}" if unit else ""


def _conclusions(
    differences: pd.DataFrame,
    summary: pd.DataFrame,
    main: str,
    baseline: str,
    by: str,
    replications: int,
    steps: int,
) -> list[Conclusion]:
    """What the comparison means on the main outcome: each mix that clearly differs from the
    baseline, then the mixes about which nothing can be concluded."""
    rows = differences[differences["outcome"] == main]
    phrase, unit = phrase_of(main), _unit_text(main)
    region_caveat = (
        "The region is a stylised archetype, not a real one: read the direction and rough "
        "size of the difference, not the level. The interval covers chance only, not "
        "uncertain parameters (see the sensitivity ranking)."
    )
    if not len(rows):
        return []
    if not (np.isfinite(rows["low"]) & np.isfinite(rows["high"])).any():
        return [
            Conclusion(
                claim=f"Nothing can be concluded about which mix is better on {phrase}.",
                evidence=f"Each mix ran {replications} time{'s' if replications != 1 else ''}: "
                "without a second replication there is no interval, so a difference between "
                "mixes cannot be told apart from chance.",
                caveat="Run at least two replications (the demo runs ten) to compare mixes.",
            )
        ]
    found = []
    for record in rows[rows["clear"]].itertuples():
        group = html.escape(str(getattr(record, by)))
        verb = "raises" if record.difference > 0 else "lowers"
        found.append(
            Conclusion(
                claim=f"Choosing <b>{group}</b> instead of {html.escape(baseline)} {verb} "
                f"{phrase}, with the same budget.",
                evidence=f"{format_number(record.difference)}{unit} after {steps / 4:g} years "
                f"(95 % interval {format_interval(record.low, record.high)}), measured pair by "
                f"pair over {replications} replications with common random numbers.",
                caveat=region_caveat,
            )
        )
    unclear = rows[~rows["clear"]]
    if len(unclear):
        names = ", ".join(f"<b>{html.escape(str(g))}</b>" for g in unclear[by])
        widest = float(np.nanmax(np.abs(unclear[["low", "high"]].to_numpy())))
        claim = (
            f"Nothing can be concluded about which mix is best on {phrase}: no mix differs "
            f"clearly from {html.escape(baseline)}."
            if len(unclear) == len(rows)
            else f"Nothing can be concluded about {names} against {html.escape(baseline)} "
            f"on {phrase}."
        )
        found.append(
            Conclusion(
                claim=claim,
                evidence="Their differences from "
                f"{html.escape(baseline)}: "
                + "; ".join(
                    f"{html.escape(str(getattr(r, by)))} {format_number(r.difference)} "
                    f"({format_interval(r.low, r.high)})"
                    for r in unclear.itertuples()
                )
                + ". Every interval contains zero.",
                caveat="This is not evidence that the mixes do the same: differences up to "
                f"about {format_number(widest)}{unit} either way fit these "
                f"{replications} replications. More replications narrow the intervals.",
            )
        )
    return found


def _decomposition_conclusions(decomposition: pd.DataFrame | None, by: str) -> list[Conclusion]:
    """For each mix that clearly moves the index: is it the grant money or changed
    behaviour?"""
    if decomposition is None:
        return []
    found = []
    for group, frame in decomposition.groupby(by, sort=False):
        parts = frame.set_index("outcome")
        total = parts.loc["final_innovation_index"]
        if not total["clear"]:
            continue
        direct = parts.loc["final_index_part_rd_grants"]
        behaviour = total["difference"] - direct["difference"]
        money_only = abs(direct["difference"]) >= abs(behaviour)
        found.append(
            Conclusion(
                claim=f"The index gain of <b>{html.escape(str(group))}</b> is mostly "
                + (
                    "the grant money itself, counted as business R&D."
                    if money_only
                    else "changed behaviour (firms' own R&D, innovation, skills or "
                    "collaboration), not the grant money counted directly."
                ),
                evidence=f"Of {format_number(total['difference'])} index points, "
                f"{format_number(direct['difference'])} are grant money counted as R&D and "
                f"{format_number(behaviour)} changed behaviour (see 'Where the index "
                "differences come from').",
                caveat="Money counted directly lasts only while it is spent; changed "
                "behaviour is what a strategy aims for. The split is exact for the index, "
                "whose parts add up, but each part has its own uncertainty.",
            )
        )
    return found


def _tradeoff_conclusions(
    differences: pd.DataFrame,
    summary: pd.DataFrame,
    main: str,
    baseline: str,
    by: str,
    columns: list[str],
) -> list[Conclusion]:
    """Another outcome of the trade-off that a mix clearly leads on (e.g. social
    innovations), as a conclusion of its own."""
    found = []
    for column in comparison.tradeoff_criteria(columns):
        if column == main or column.endswith("absorption_rate"):
            continue
        means = summary[summary["outcome"] == column].set_index(by)["mean"]
        leader = means.idxmax()
        if leader == baseline:
            continue
        record = differences[(differences["outcome"] == column) & (differences[by] == leader)]
        if not len(record) or not bool(record["clear"].iloc[0]):
            continue
        record = record.iloc[0]
        found.append(
            Conclusion(
                claim=f"<b>{html.escape(str(leader))}</b> does best on {phrase_of(column)}.",
                evidence=f"{format_number(record['difference'])}{_unit_text(column)} more than "
                f"{html.escape(baseline)} (95 % interval "
                f"{format_interval(record['low'], record['high'])}); mean "
                f"{format_number(means[leader])} against {format_number(means[baseline])}.",
                caveat="Outcomes are weighed here one at a time; the trade-off finding below "
                "says which mixes no other mix beats on all of them at once.",
            )
        )
    return found


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
                    "95 % interval": format_interval(record.low, record.high, 2),
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


def _signed(value: float) -> str:
    text = format_number(value, 2)
    return text if text.startswith("-") or text == "0" else f"+{text}"


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
            f"Of the {_signed(total)} index points of <b>{html.escape(str(group))}</b>, "
            f"{_signed(direct)} are grant money counted as R&D and {_signed(total - direct)} "
            "changed behaviour."
        )
    return found


KIND = AnalysisKind(name="comparison", tables=tables, figures=figures, report=report)
