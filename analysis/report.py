"""One self-contained HTML report a policymaker can read (``smartspec report``).

Everything is in the file: figures are inline SVG with their text kept as text (so it can be
searched, and its size measured), styles inline, no script and no external asset, so it opens
offline and can be mailed or archived as it is. Numbers, labels and the glossary come from
:mod:`smartspec.analysis.wording`.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from smartspec.experiments import Results, load_results
from smartspec.experiments.provenance import check_same_model, utc_now
from smartspec.model.indicators import phrase_of
from smartspec.scenarios import (
    ScenarioError,
    describe_mix,
    describe_scenario,
)
from smartspec.scenarios.loader import mix_table
from smartspec.scenarios.schema import synthetic_domain_names

from . import calibration, comparison, figures, sensitivity
from .kinds import ANALYSIS_KINDS, Ranking, analysis_kind
from .kinds.base import scalar_outcomes, simulates_the_model
from .plots import KEY_INDICATORS
from .wording import (
    Conclusion,
    conclusions_html,
    format_interval,
    format_number,
    glossary_html,
    html_table,
)

__all__ = ["write_report"]

MAIN_OUTCOMES = (
    "mean_innovation_index",
    "final_innovation_index",
    "total_innovations",
    "total_social_innovations",
    "mean_absorption_rate",
)
#: The series charted in a report: the registry's key indicators (titles from the registry,
#: units on the axes).
SERIES_TITLES = {name: "" for name in KEY_INDICATORS}
#: Replications whose region the "Setting" box builds to read the budget in euros.
SETTING_REPLICATIONS = 3

STYLE = """
body{font-family:Georgia,serif;max-width:1050px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45;font-size:17px}h1{font-size:1.8em}h2{border-bottom:2px solid #4c72b0;
padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f8}td.num{text-align:right;white-space:nowrap}
figure{margin:1em 0}img{max-width:100%}
figure svg{max-width:100%;height:auto}
.finding{background:#f4f8f1;border-left:4px solid #2ca02c;padding:.6em 1em;margin:.6em 0}
.caveat{background:#fbf6ec;border-left:4px solid #e0a030;padding:.6em 1em;margin:.6em 0}
.setting{background:#eef2f8;border:1px solid #b8c6de;padding:.2em 1.2em 1em;margin:1.5em 0}
.setting h2{border:none;margin-top:.6em}.setting dt{font-weight:bold;float:left;clear:left;
width:13em}.setting dd{margin-left:14em;margin-bottom:.3em}
.conclusion{border-left:4px solid #4c72b0;padding:.2em 1em;margin:1em 0;background:#f7f9fc}
.conclusion p{margin:.35em 0}.claim{font-weight:bold}.tag{font-style:italic}
dl.glossary dt{font-weight:bold;margin-top:.5em}dl.glossary dd{margin-left:1.5em}
pre{background:#f5f5f5;padding:1em;overflow-x:auto;font-size:.8em}
"""


def _image(figure: Figure, alt: str) -> str:
    return figures.svg(figure, alt)


def _table(frame: pd.DataFrame, digits: int = 3, headers: dict[str, str] | None = None) -> str:
    return html_table(frame, digits, headers)


def _plain(outcome: str) -> str:
    """An outcome column in words, from the indicator registry."""
    return phrase_of(outcome)


def _main_outcome(columns: list[str]) -> str:
    return next((column for column in MAIN_OUTCOMES if column in columns), columns[0])


def _describe_mixes(mixes: list[str]) -> str:
    """Each mix (bundled name or mix file) by its own name and description, with its shares."""
    rows = []
    for mix in mixes:
        if not mix:
            continue
        try:
            table = mix_table(mix)
        except ScenarioError:
            continue
        name, description = describe_mix(mix)
        shares = table.get("shares", {})
        split = ", ".join(f"{name.replace('_', ' ')} {share:.0%}" for name, share in shares.items())
        rows.append(
            f"<li><b>{html.escape(name)}</b>: {html.escape(description)} "
            f"<small>({html.escape(split)})</small></li>"
        )
    return f"<ul>{''.join(rows)}</ul>" if rows else ""


def _scenario_text(name: str) -> str:
    """A scenario (bundled name or file) by its own name and description."""
    own, description = describe_scenario(name)
    description = description or "a scenario file supplied by the user"
    return f"<b>{html.escape(own)}</b>: {html.escape(description)}"


def _diagnosis_section(results: Results) -> tuple[str, list[str], list[Conclusion]]:
    """The constraints ranked by the paired effect of relaxing each (smartspec diagnose)."""
    outcomes = results.outcomes
    table = comparison.paired_differences(
        outcomes, ["mean_innovation_index"], "none", by="reform"
    ).sort_values("difference", ascending=False)
    clear = table[table["clear"] & (table["difference"] > 0)]
    caveat = (
        "Each reform relaxes its constraint by the amount docs/studies.md gives; a larger or "
        "smaller reform can rank differently. The interval covers chance only."
    )
    if len(clear):
        best = clear.iloc[0]
        interval = format_interval(best["low"], best["high"])
        sentence = (
            f"The binding bottleneck is <b>{html.escape(best['reform'])}</b>: relaxing it "
            f"raises the innovation index by {format_number(best['difference'])} (95 % "
            f"interval {interval}), more than any other reform."
        )
        conclusion = Conclusion(
            claim=f"Relaxing <b>{html.escape(best['reform'])}</b> helps the region most.",
            evidence=f"+{format_number(best['difference'])} index points (95 % interval "
            f"{interval}) against the unreformed region, paired replication by replication.",
            caveat=caveat,
        )
    else:
        sentence = "No single reform clearly raises the innovation index: add replications."
        conclusion = Conclusion(
            claim="Nothing can be concluded about which constraint binds.",
            evidence="No reform's paired effect on the index has an interval above zero.",
            caveat=caveat + " More replications narrow the intervals.",
        )
    shown = table.assign(
        interval=[
            format_interval(lo, hi) for lo, hi in zip(table["low"], table["high"], strict=True)
        ]
    )
    body = (
        "<p>Each systemic constraint was relaxed in turn (see docs/studies.md for the "
        "amounts), with the same random seeds as the unreformed region; the chart shows each "
        f"reform's paired effect with its 95 % interval.</p><p>{sentence}</p>"
        + _image(
            figures.plot_paired_differences(table, "no reform", by="reform"),
            "Effect of relaxing each constraint",
        )
        + _table(
            shown[["reform", "difference", "interval", "clear"]],
            headers={
                "reform": "Reform",
                "difference": "Index points against no reform",
                "interval": "95 % interval",
                "clear": "Clear",
            },
        )
    )
    return body, [sentence], [conclusion]


def _strategies_report(folder: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Sections for a smartspec strategies folder (robustness.csv and per-strategy runs)."""
    table = pd.read_csv(folder / "robustness.csv")
    with figures.report_style():
        figure = Figure(figsize=(10, 1.4 + 0.35 * len(table)), layout="constrained")
        left, right = figure.subplots(1, 2, sharey=True)
        left.barh(table["strategy"], table["max_regret"], color="#c44e52")
        left.set_title("Largest regret over the futures")
        left.set_xlabel("index points behind the best strategy")
        right.barh(table["strategy"], table["share_meeting_target"], color="#55a868")
        right.set_title("Futures reaching the next RIS group")
        right.set_xlabel("share of futures")
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


def _model_overrides(results: Results) -> dict:
    """The fixed overrides every run of an experiment applied (its ``set`` and ``steps``)."""
    model = results.provenance["experiment"]["model"]
    overrides = dict(model.get("set") or {})
    if model.get("steps") is not None:
        overrides["steps"] = model["steps"]
    return overrides


def _snapshot_section(scenario: str, mix: str | None, overrides: dict | None = None) -> str:
    from smartspec.model import EcosystemModel

    model = EcosystemModel(
        scenario, rng=1, mix=mix if mix and mix != "" else None, **(overrides or {})
    )
    model.run_for(model.spec.steps)
    names = model.knowledge.names
    domains = (
        f"the scenario's {len(names)} domains"
        if names != tuple(synthetic_domain_names(len(names)))
        else f"{len(names)} synthetic domains, numbered {names[0]} to {names[-1]}"
    )
    return (
        "<p>One simulation of the region (seed 1) at the end of the horizon: who collaborates "
        "with whom, and where the region is specialised on the map of related domains "
        f"({domains}).</p>"
        + _image(figures.plot_network(model), "Collaboration network by actor type")
        + _image(figures.plot_knowledge_space(model), "Specialisations on the knowledge space")
    )


def _euros(millions: float) -> str:
    """An amount in M€ in words, to three significant figures: "€639,000", "€223 million"."""
    euros = float(f"{millions * 1e6:.3g}")
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(euros) >= size:
            return f"€{format_number(euros / size)} {word}"
    return f"€{euros:,.0f}"


def _setting_section(results: Results) -> str:
    """The "Setting" box: region, firms simulated and represented, the budget a year in
    euros, horizon, replications and whether every mix spends the same total, read from
    the region built as the runs built it (up to :data:`SETTING_REPLICATIONS` seeds)."""
    from smartspec.model import EcosystemModel

    experiment, design = results.provenance["experiment"], results.provenance["design"]
    replications = design.get("replications") or experiment["design"]["replications"]
    runs = len(results.outcomes)
    rows = [
        (
            "Runs",
            f"{format_number(runs)} simulations, {format_number(replications)} "
            f"replication{'s' if replications != 1 else ''} of each setting",
        )
    ]
    if not simulates_the_model(results):
        rows.append(("Model", "a function given as the experiment's target, not a region"))
        return _definition_box(rows)
    scenarios = design.get("scenarios") or [experiment["model"]["scenario"]]
    mixes = design.get("mixes") or [None]
    overrides = _model_overrides(results)
    seeds = (design.get("replication_seeds") or [1])[:SETTING_REPLICATIONS]
    models = [EcosystemModel(scenarios[0], rng=seed, mix=mixes[0], **overrides) for seed in seeds]
    spec = models[0].spec
    regions = len(spec.regions)
    simulated = sum(region.firms for region in spec.regions)
    represented = sum(region.represented_firms or region.firms for region in spec.regions)
    budgets = [float(model.governments.budget[:regions].sum()) for model in models]
    gdps = [4 * sum(row["gdp"] for row in model.latest) for model in models]
    shares = sorted({region.government.budget_share for region in spec.regions})
    years = spec.steps / 4
    region_text = _scenario_text(scenarios[0]) + (
        f" (and {len(scenarios) - 1} other scenarios)" if len(scenarios) > 1 else ""
    )
    spread = (
        f", from {_euros(min(budgets))} to {_euros(max(budgets))} in the first "
        f"{len(budgets)} replications"
        if max(budgets) > min(budgets)
        else ""
    )
    varied = [p["name"] for p in experiment.get("parameters", []) if "budget" in p["path"]]
    rows += [
        ("Region", region_text),
        (
            "Firms",
            f"{format_number(simulated)} simulated firms standing for "
            f"{format_number(represented)} real enterprises"
            + (f" in {regions} regions" if regions > 1 else ""),
        ),
        (
            "Budget per year",
            f"about {_euros(float(np.mean(budgets)))} a year ("
            + " / ".join(f"{share:.2%}" for share in shares)
            + f" of a GDP of about {_euros(float(np.mean(gdps)))} a year){spread}; fixed in "
            "euros at the start of the horizon"
            + (f"; varied by this experiment ({', '.join(varied)})" if varied else ""),
        ),
        (
            "Horizon",
            f"{spec.steps} quarters ({format_number(years)} years), after a burn-in of "
            f"{spec.initial.burn_in} quarters under the "
            f"{html.escape(spec.initial.burn_in_mix)} mix that every run shares",
        ),
    ]
    if len([mix for mix in mixes if mix]) > 1:
        same = [
            float(
                EcosystemModel(scenarios[0], rng=seeds[0], mix=mix, **overrides)
                .governments.budget[:regions]
                .sum()
            )
            for mix in mixes[1:]
        ]
        differing = [
            html.escape(str(mix))
            for mix, value in zip(mixes[1:], same, strict=True)
            if not math.isclose(value, budgets[0], rel_tol=1e-9)
        ]
        if not differing:
            text = (
                f"yes: every mix commits the same {_euros(budgets[0])} a year in a replication "
                f"(checked for the first), about {_euros(budgets[0] * years)} over the "
                "horizon; the mixes differ only in how they split it over instruments"
            )
        else:
            low, high = min(budgets[0], *same), max(budgets[0], *same)
            text = (
                f"not exactly: in the first replication the mixes commit {_euros(low)} to "
                f"{_euros(high)} a year ({(high - low) / low:.1%} apart). Budgets are fixed in "
                "euros from the region's GDP after the burn-in, and "
                + ", ".join(differing)
                + f" left that GDP different from {html.escape(str(mixes[0]))}'s; the other "
                "mixes spend the same total and differ only in how they split it"
            )
        rows.append(("Same total", text))
    return _definition_box(rows)


def _definition_box(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def _provenance_section(results: Results, folder: Path, what: str = "") -> str:
    """Where one results folder comes from: folder, runs, times, command, git revision,
    versions and the experiment file as run."""
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
    calibrated = record.get("calibrated")
    if calibrated:
        rows.insert(
            -2,
            (
                "calibrated parameters",
                f"calibration {calibrated['name']}: one of its {calibrated['points']} "
                f"non-implausible sets per replication ({calibrated['weighting']}), from "
                f"{calibrated['folder']} (sha256 {calibrated['sha256']})",
            ),
        )
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    text = (folder / "experiment.toml").read_text(encoding="utf-8")
    lead = f"<p>{html.escape(what)}</p>" if what else ""
    return f"{lead}<table>{table}</table><p>Experiment file:</p><pre>{html.escape(text)}</pre>"


def _ranking(results: Results, folder: str | Path) -> Ranking:
    kind = results.provenance["design"]["design"]
    ranking = analysis_kind(kind).ranking
    if ranking is None:
        rankers = " or ".join(name for name, known in ANALYSIS_KINDS.items() if known.ranking)
        raise sensitivity.SensitivityError(
            f"{folder}: a {kind} design does not rank parameters (use a {rankers} folder)"
        )
    return ranking(results)


def _calibration_report(
    folder: Path, out: str | Path | None, sensitivity_dir: str | Path | None
) -> Path:
    """The report of a calibration folder: its section, findings and provenance."""
    results = calibration.load_calibration_results(folder)
    body, findings = calibration.calibration_section(results)
    sections = [("Calibration by history matching", body)]
    if sensitivity_dir is not None:
        screening = load_results(Path(sensitivity_dir))
        check_same_model(
            {str(folder): results.provenance, str(sensitivity_dir): screening.provenance}
        )
        ranked = _ranking(screening, sensitivity_dir)
        sections.append(("Which parameters matter (sensitivity ranking)", ranked.body))
        findings += ranked.findings
    extra = [("Where the calibration comes from", calibration.calibration_provenance(results))]
    title = calibration.calibration_title(results)
    return _write_document(folder, out, title, sections, findings, extra, calibration.CAVEATS)


def write_report(
    results_dir: str | Path,
    out: str | Path | None = None,
    sensitivity_dir: str | Path | None = None,
    snapshot: bool = True,
    calibration_dir: str | Path | None = None,
) -> Path:
    """Write the HTML report of a results folder (and, optionally, a sensitivity folder).

    A calibration folder (``smartspec calibrate``) gets the calibration report;
    ``calibration_dir`` appends a calibration's section to the report of another folder,
    e.g. a comparison run with ``--calibrated``.
    """
    folder = Path(results_dir)
    if calibration.is_calibration_folder(folder):
        if calibration_dir is not None:
            raise sensitivity.SensitivityError(
                "this is a calibration folder: its report is the calibration's own "
                "(--calibration adds a calibration to the report of another folder)"
            )
        return _calibration_report(folder, out, sensitivity_dir)
    if (folder / "robustness.csv").exists() and not (folder / "design.parquet").exists():
        sections, findings = _strategies_report(folder)
        return _write_document(folder, out, "Strategies under deep uncertainty", sections, findings)
    results = load_results(folder)
    if results.outcomes.empty:
        raise sensitivity.SensitivityError(f"{folder} holds no successful runs")
    # Everything the report combines is read first, so that folders of different model
    # versions are refused before any analysis runs.
    combined = {str(folder): results.provenance}
    screening = calibrated = None
    if sensitivity_dir is not None:
        screening = load_results(Path(sensitivity_dir))
        combined[str(sensitivity_dir)] = screening.provenance
    if calibration_dir is not None:
        calibrated = calibration.load_calibration_results(calibration_dir)
        combined[str(calibration_dir)] = calibrated.provenance
    check_same_model(combined)
    kind = results.provenance["design"]["design"]
    sections: list[tuple[str, str]] = []
    findings: list[str] = []
    conclusions: list[Conclusion] = []
    scenario, mix = results.provenance["experiment"]["model"]["scenario"], None
    if results.provenance["experiment"]["name"].startswith("diagnose-"):
        body, sentences, conclusions = _diagnosis_section(results)
        sections.append(("Which constraint binds (bottleneck diagnosis)", body))
        findings += sentences
    else:
        part = analysis_kind(kind).report(results)
        sections, findings = list(part.sections), list(part.findings)
        conclusions = list(part.conclusions)
        if part.snapshot is not None:
            scenario, mix = part.snapshot
    if sensitivity_dir is not None:
        ranked = _ranking(screening, sensitivity_dir)
        sections.append(
            (
                "Which parameters matter (sensitivity ranking)",
                _outcome_note(results, ranked.outcome) + ranked.body,
            )
        )
        findings += ranked.findings
        conclusions += ranked.conclusions
    caveats = CALIBRATED_CAVEATS if results.provenance.get("calibrated") else CAVEATS
    # An experiment that ran the user's own function (sweep --target) records no outcomes
    # spec: no SmartSpec region to look inside, and the model's caveats do not apply.
    own_function = results.provenance["experiment"].get("outcomes", {}) is None
    if own_function:
        snapshot, caveats = False, OWN_FUNCTION_CAVEATS
    if calibrated is not None:
        body, sentences = calibration.calibration_section(calibrated)
        sections.append(("Calibration by history matching", body))
        findings += sentences
        caveats = [*caveats, *calibration.CAVEATS]
    if not conclusions:
        conclusions = [
            Conclusion(
                claim="Nothing can be concluded from this report alone.",
                evidence=f"A {html.escape(str(kind))} design has no conclusions of its own in "
                "the report; its tables and figures come from <code>smartspec analyze</code>.",
                caveat="Read the findings below as descriptions of these runs only.",
            )
        ]
    if snapshot:
        snapshot_html = _snapshot_section(scenario, mix, _model_overrides(results))
        extra = [("A look inside one simulation", snapshot_html)]
    else:
        extra = []
    extra.append(("Where these results come from", _provenance_section(results, folder)))
    if screening is not None:
        extra.append(
            (
                "Where the sensitivity screening comes from",
                _provenance_section(screening, Path(sensitivity_dir)),
            )
        )
    if calibrated is not None:
        provenance = calibration.calibration_provenance(calibrated)
        extra.append(("Where the calibration comes from", provenance))
    title = (
        results.provenance["experiment"].get("description")
        or results.provenance["experiment"]["name"]
    )
    return _write_document(
        folder,
        out,
        title,
        sections,
        findings,
        extra,
        caveats,
        setting=_setting_section(results),
        conclusions=conclusions,
        model_terms=not own_function,
    )


def _outcome_note(results: Results, ranked_outcome: str) -> str:
    """A sentence when the screening measured another outcome than the report's results."""
    columns = scalar_outcomes(results)
    if not columns or not ranked_outcome:
        return ""
    main = _main_outcome(columns)
    if main == ranked_outcome:
        return ""
    return (
        f"<p><b>Note:</b> the screening measures {_plain(ranked_outcome)}, while the results "
        f"above read {_plain(main)}. It tells which parameters move the index, not how large "
        "the mixes' effects are.</p>"
    )


CAVEATS = [
    "The regions are stylised archetypes of the Regional Innovation Scoreboard groups, "
    "not a calibrated model of a real region: read differences between mixes, not levels.",
    "Intervals show the model's own randomness over the replications run; they do not "
    "cover uncertainty in its parameters (see the sensitivity ranking) or in its structure.",
    "Findings hold for the horizon and budgets simulated; see docs/validation.md for what "
    "the model reproduces and where it falls short.",
]
#: For results of the user's own function (``smartspec sweep --target``).
OWN_FUNCTION_CAVEATS = [
    "These results come from a function supplied by the user (smartspec sweep --target), "
    "not from the SmartSpec model; see the command under 'Where these results come from'.",
    "Sensitivity indices are estimates from a finite sample: read them with their intervals.",
]
#: With parameters drawn from a calibration the intervals do cover some parameter uncertainty.
CALIBRATED_CAVEATS = [
    "The regions are stylised archetypes of the Regional Innovation Scoreboard groups whose "
    "behavioural parameters were matched to observed facts, not a model of one real region: "
    "read differences between mixes, not levels.",
    "Intervals show the model's own randomness and its behavioural parameters over the "
    "calibration's non-implausible set; they do not cover parameters left at their defaults "
    "or uncertainty in the model's structure.",
    *CAVEATS[2:],
]


def _write_document(
    folder: Path,
    out: str | Path | None,
    title: str,
    sections: list[tuple[str, str]],
    findings: list[str],
    extra: list[tuple[str, str]] | None = None,
    caveats: list[str] = CAVEATS,
    setting: str = "",
    conclusions: list[Conclusion] | None = None,
    model_terms: bool = True,
) -> Path:
    """The document: the "Setting" box and "What this means" first (when given), then the
    sections, the findings with their caveats, ``extra`` (snapshot, provenance) and the
    glossary."""
    findings_html = "".join(f'<p class="finding">{text}</p>' for text in findings) + "".join(
        f'<p class="caveat">Caveat: {html.escape(text)}</p>' for text in caveats
    )
    lead = []
    if conclusions:
        lead.append(("What this means", conclusions_html(conclusions)))
    sections = [
        *lead,
        *sections,
        ("Findings in plain words", findings_html),
        *(extra or []),
        ("Glossary", glossary_html(model_terms)),
    ]
    body = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections)
    box = f'<section class="setting"><h2>Setting</h2>{setting}</section>' if setting else ""
    document = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>SmartSpec report: {html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>SmartSpec report</h1><p><i>{html.escape(title)}</i></p>{box}{body}"
        "</body></html>"
    )
    path = Path(out) if out else folder / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
