"""One self-contained HTML report a policymaker can read (``smartspec report``).

Everything is in the file: figures are embedded as base64 PNG, styles inline, no script and no
external asset, so it opens offline and can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from smartspec.experiments import Results, load_results
from smartspec.experiments.provenance import utc_now
from smartspec.scenarios import bundled_mixes, bundled_scenarios

from . import comparison, figures, sensitivity
from .analyze import scalar_outcomes

__all__ = ["write_report"]

MAIN_OUTCOMES = (
    "mean_innovation_index",
    "final_innovation_index",
    "total_innovations",
    "total_social_innovations",
    "mean_absorption_rate",
)
SERIES_TITLES = {
    "innovation_index": "Composite innovation index (EU reference = 100)",
    "innovations": "Innovations per quarter",
    "social_innovations_total": "Social innovations (cumulative)",
    "network_density": "Collaboration network density",
    "specialisations": "Domains with RCA >= 1",
    "absorption_rate": "Budget absorbed (cumulative share)",
}
PLAIN = {
    "mean_innovation_index": "the composite innovation index (last two years)",
    "final_innovation_index": "the composite innovation index at the end",
    "total_innovations": "the number of innovations",
    "total_social_innovations": "the number of social innovations",
    "mean_absorption_rate": "the share of the budget absorbed",
    "mean_innovating_share": "the share of innovating firms",
    "final_human_capital": "human capital at the end",
    "final_citizen_trust": "citizens' trust at the end",
}

STYLE = """
body{font-family:Georgia,serif;max-width:1050px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45}h1{font-size:1.8em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eef2f8}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}img{max-width:100%}
.finding{background:#f4f8f1;border-left:4px solid #2ca02c;padding:.6em 1em;margin:.6em 0}
.caveat{background:#fbf6ec;border-left:4px solid #e0a030;padding:.6em 1em;margin:.6em 0}
pre{background:#f5f5f5;padding:1em;overflow-x:auto;font-size:.8em}
"""


def _image(figure: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}g}", border=0)


def _plain(outcome: str) -> str:
    return PLAIN.get(outcome, outcome.replace("_", " "))


def _main_outcome(columns: list[str]) -> str:
    return next((column for column in MAIN_OUTCOMES if column in columns), columns[0])


def _describe_mixes(mixes: list[str]) -> str:
    known = {entry.name: entry for entry in bundled_mixes()}
    rows = []
    for mix in mixes:
        entry = known.get(mix)
        if entry is None:
            continue
        import tomllib

        shares = tomllib.loads(entry.path.read_text(encoding="utf-8")).get("shares", {})
        split = ", ".join(f"{name.replace('_', ' ')} {share:.0%}" for name, share in shares.items())
        rows.append(
            f"<li><b>{html.escape(mix)}</b>: {html.escape(entry.description)} "
            f"<small>({html.escape(split)})</small></li>"
        )
    return f"<ul>{''.join(rows)}</ul>" if rows else ""


def _scenario_text(name: str) -> str:
    known = {entry.name: entry.description for entry in bundled_scenarios()}
    stem = Path(name).stem
    description = known.get(stem, "a scenario file supplied by the user")
    return f"<b>{html.escape(stem)}</b>: {html.escape(description)}"


def _comparison_sections(results: Results) -> tuple[list[tuple[str, str]], list[str], Any]:
    outcomes = results.outcomes
    experiment = results.provenance["experiment"]
    by = "mix" if outcomes["mix"].nunique() > 1 else "scenario"
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

    question = (
        f"<p>How do the policy mixes {', '.join(f'<b>{html.escape(g)}</b>' for g in groups)} "
        f"compare for {_scenario_text(scenario)}? Each mix was simulated {replications} times "
        f"over {steps / 4:.0f} years. Every mix used the same {replications} random seeds, so "
        "each replication is a like-for-like comparison (common random numbers).</p>"
    )
    setting = f"<p>Region: {_scenario_text(scenario)}.</p>" + _describe_mixes(groups)

    summary = comparison.summarise_outcomes(outcomes, columns, by=by)
    differences = comparison.paired_differences(outcomes, columns, baseline, by=by)
    ranking = comparison.rank_groups(outcomes, main, by=by)
    shown = [column for column in MAIN_OUTCOMES if column in columns][:4] or columns[:3]

    parts = [
        _image(
            figures.plot_mix_comparison(summary, shown, by=by),
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
                    figures.plot_bands(bands, SERIES_TITLES, by=by),
                    "Indicators over time, mean and 95 % band per mix",
                )
            )
    parts.append(
        _image(
            figures.plot_paired_differences(
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
    criteria = {
        c: True
        for c in ("mean_innovation_index", "total_social_innovations", "mean_absorption_rate")
        if c in columns
    }
    if len(criteria) >= 2:
        trade = comparison.tradeoffs(outcomes, criteria, by=by)
        leaders = {c: trade.loc[trade[c].idxmax(), by] for c in criteria}
        findings.append(
            "Trade-offs: "
            + "; ".join(
                f"most {_plain(c)}: <b>{html.escape(str(g))}</b>" for c, g in leaders.items()
            )
            + ". Mixes that no other mix beats on all of these at once: "
            + ", ".join(html.escape(str(g)) for g in trade[trade["pareto_efficient"]][by])
            + "."
        )
    sections = [
        ("The question", question),
        ("The region and the policy mixes", setting),
        ("Results with their uncertainty", results_html),
    ]
    baseline_mix = str(outcomes.loc[outcomes[by] == baseline, "mix"].iloc[0]) or None
    return sections, findings, (scenario, baseline_mix, groups)


def _sensitivity_section(results: Results) -> tuple[str, list[str]]:
    kind = results.provenance["design"]["design"]
    columns = scalar_outcomes(results)
    main = _main_outcome(columns)
    if kind == "sobol":
        result = sensitivity.sobol_indices(results, main)
        table = result.indices
        figure = figures.plot_sobol(table, main)
        lead = table.iloc[0]
        sentence = (
            f"{_plain(main).capitalize()} depends most on <b>{html.escape(lead['parameter'])}"
            f"</b>, which accounts for {lead['ST']:.0%} of its variance including interactions "
            f"(Sobol total index, 95 % interval ± {lead['ST_conf']:.2f})."
        )
    else:
        result = sensitivity.morris_indices(results, main)
        table = result.indices
        figure = figures.plot_morris(table, main)
        top = table.head(3)["parameter"].tolist()
        sentence = (
            f"Of {len(table)} parameters screened, {_plain(main)} reacts most to "
            + ", ".join(f"<b>{html.escape(p)}</b>" for p in top)
            + " (Morris mu*, mean absolute effect of moving one parameter)."
        )
    noise = result.noise_share
    noise_text = (
        f" Replication noise is {noise:.0%} of the outcome's variance."
        if noise == noise
        else " With one replication per design point, model noise is part of what the indices "
        "cannot attribute."
    )
    body = (
        f"<p>{sentence}{noise_text}</p>"
        + _image(figure, f"{kind} sensitivity indices")
        + _table(table)
    )
    return body, [sentence]


def _diagnosis_section(results: Results) -> tuple[str, list[str]]:
    """The constraints ranked by the paired effect of relaxing each (smartspec diagnose)."""
    outcomes = results.outcomes
    table = comparison.paired_differences(
        outcomes, ["mean_innovation_index"], "none", by="reform"
    ).sort_values("difference", ascending=False)
    clear = table[table["clear"] & (table["difference"] > 0)]
    if len(clear):
        best = clear.iloc[0]
        sentence = (
            f"The binding bottleneck is <b>{html.escape(best['reform'])}</b>: relaxing it "
            f"raises the innovation index by {best['difference']:.3g} (95 % interval "
            f"{best['low']:.3g} to {best['high']:.3g}), more than any other reform."
        )
    else:
        sentence = "No single reform clearly raises the innovation index: add replications."
    body = (
        "<p>Each systemic constraint was relaxed in turn (see docs/studies.md for the "
        "amounts), with the same random seeds as the unreformed region; the chart shows each "
        f"reform's paired effect with its 95 % interval.</p><p>{sentence}</p>"
        + _image(
            figures.plot_paired_differences(table, "no reform", by="reform"),
            "Effect of relaxing each constraint",
        )
        + _table(table[["reform", "difference", "low", "high", "clear"]])
    )
    return body, [sentence]


def _strategies_report(folder: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Sections for a smartspec strategies folder (robustness.csv and per-strategy runs)."""
    table = pd.read_csv(folder / "robustness.csv")
    figure = Figure(figsize=(9, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.barh(table["strategy"], table["max_regret"], color="#c44e52")
    left.set_title("maximum regret (index points behind the best)", fontsize=9)
    right.barh(table["strategy"], table["share_meeting_target"], color="#55a868")
    right.set_title("share of futures reaching the next RIS group", fontsize=9)
    right.set_yticks([])
    robust = table[table["most_robust_in_family"]]
    sentences = [
        f"In the {html.escape(family)} family the most robust strategy (smallest worst-case "
        f"regret) is <b>{html.escape(group['strategy'].iloc[0])}</b>."
        for family, group in robust.groupby("family", sort=False)
    ]
    body = (
        "<p>Every strategy ran in the same sample of uncertain futures with the same seeds. "
        "Regret is how far a strategy falls behind the best strategy of its family in the same "
        "future.</p>" + _image(figure, "Regret and target shares per strategy") + _table(table)
    )
    return [("Strategies under deep uncertainty", body)], sentences


def _snapshot_section(scenario: str, mix: str | None) -> str:
    from smartspec.model import EcosystemModel

    model = EcosystemModel(scenario, rng=1, mix=mix if mix and mix != "" else None)
    model.run_for(model.spec.steps)
    return (
        "<p>One simulation of the region (seed 1) at the end of the horizon: who collaborates "
        "with whom, and where the region is specialised on the map of related domains.</p>"
        + _image(figures.plot_network(model), "Collaboration network by actor type")
        + _image(figures.plot_knowledge_space(model), "Specialisations on the knowledge space")
    )


def _provenance_section(results: Results, folder: Path) -> str:
    record = results.provenance
    versions = record.get("versions", {})
    git = record.get("git", {})
    manifest = results.manifest
    rows = [
        ("results folder", str(folder)),
        (
            "runs",
            f"{manifest.get('done')} of {manifest.get('planned')} "
            f"({manifest.get('failed', 0)} failed), state {manifest.get('state')}",
        ),
        ("started / finished", f"{record.get('started')} / {manifest.get('finished', '-')}"),
        ("command", " ".join(record.get("command_line", []))),
        ("git revision", f"{git.get('revision')} (uncommitted changes: {git.get('dirty')})"),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("report written", utc_now()),
    ]
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    text = (folder / "experiment.toml").read_text(encoding="utf-8")
    return f"<table>{table}</table><p>Experiment file:</p><pre>{html.escape(text)}</pre>"


def write_report(
    results_dir: str | Path,
    out: str | Path | None = None,
    sensitivity_dir: str | Path | None = None,
    snapshot: bool = True,
) -> Path:
    """Write the HTML report of a results folder (and, optionally, a sensitivity folder)."""
    folder = Path(results_dir)
    if (folder / "robustness.csv").exists() and not (folder / "design.parquet").exists():
        sections, findings = _strategies_report(folder)
        return _write_document(folder, out, "Strategies under deep uncertainty", sections, findings)
    results = load_results(folder)
    if results.outcomes.empty:
        raise sensitivity.SensitivityError(f"{folder} holds no successful runs")
    kind = results.provenance["design"]["design"]
    sections: list[tuple[str, str]] = []
    findings: list[str] = []
    scenario, mix = results.provenance["experiment"]["model"]["scenario"], None
    if results.provenance["experiment"]["name"].startswith("diagnose-"):
        body, sentences = _diagnosis_section(results)
        sections.append(("Which constraint binds (bottleneck diagnosis)", body))
        findings += sentences
    elif kind == "comparison":
        sections, findings, (scenario, mix, _) = _comparison_sections(results)
    elif kind in ("sobol", "morris"):
        body, sentences = _sensitivity_section(results)
        sections.append(("Sensitivity", body))
        findings += sentences
    screening = None
    if sensitivity_dir is not None:
        screening = load_results(Path(sensitivity_dir))
        body, sentences = _sensitivity_section(screening)
        sections.append(("Which parameters matter (sensitivity ranking)", body))
        findings += sentences
    if snapshot:
        extra = [("A look inside one simulation", _snapshot_section(scenario, mix))]
    else:
        extra = []
    extra.append(("Where these results come from", _provenance_section(results, folder)))
    title = (
        results.provenance["experiment"].get("description")
        or results.provenance["experiment"]["name"]
    )
    return _write_document(folder, out, title, sections, findings, extra)


CAVEATS = [
    "The regions are stylised archetypes of the Regional Innovation Scoreboard groups, "
    "not a calibrated model of a real region: read differences between mixes, not levels.",
    "Intervals show the model's own randomness over the replications run; they do not "
    "cover uncertainty in its parameters (see the sensitivity ranking) or in its structure.",
    "Findings hold for the horizon and budgets simulated; see docs/validation.md for what "
    "the model reproduces and where it falls short.",
]


def _write_document(
    folder: Path,
    out: str | Path | None,
    title: str,
    sections: list[tuple[str, str]],
    findings: list[str],
    extra: list[tuple[str, str]] | None = None,
) -> Path:
    findings_html = "".join(f'<p class="finding">{text}</p>' for text in findings) + "".join(
        f'<p class="caveat">Caveat: {html.escape(text)}</p>' for text in CAVEATS
    )
    sections = [*sections, ("Findings in plain words", findings_html), *(extra or [])]
    body = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections)
    document = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>SmartSpec report: {html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>SmartSpec report</h1><p><i>{html.escape(title)}</i></p>{body}</body></html>"
    )
    path = Path(out) if out else folder / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
