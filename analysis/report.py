"""One self-contained HTML report a policymaker can read (``smartspec report``).

Everything is in the file: figures are embedded as base64 PNG (inline SVG with real text in
the calibration section), styles inline, no script and no external asset, so it opens offline
and can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from smartspec.experiments import Results, load_results
from smartspec.experiments.provenance import check_same_model, utc_now
from smartspec.model.indicators import phrase_of
from smartspec.scenarios import ScenarioError, describe_mix, describe_scenario
from smartspec.scenarios.loader import mix_table

from . import calibration, comparison, figures, sensitivity
from .kinds import ANALYSIS_KINDS, Ranking, analysis_kind
from .plots import KEY_INDICATORS

__all__ = ["write_report"]

MAIN_OUTCOMES = (
    "mean_innovation_index",
    "final_innovation_index",
    "total_innovations",
    "total_social_innovations",
    "mean_absorption_rate",
)
#: The series charted in a report and their titles: the registry's key indicators.
SERIES_TITLES = KEY_INDICATORS

STYLE = """
body{font-family:Georgia,serif;max-width:1050px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45}h1{font-size:1.8em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eef2f8}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}img{max-width:100%}
figure svg{max-width:100%;height:auto}
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
    return f"<table>{table}</table><p>Experiment file:</p><pre>{html.escape(text)}</pre>"


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
    scenario, mix = results.provenance["experiment"]["model"]["scenario"], None
    if results.provenance["experiment"]["name"].startswith("diagnose-"):
        body, sentences = _diagnosis_section(results)
        sections.append(("Which constraint binds (bottleneck diagnosis)", body))
        findings += sentences
    else:
        part = analysis_kind(kind).report(results)
        sections, findings = list(part.sections), list(part.findings)
        if part.snapshot is not None:
            scenario, mix = part.snapshot
    if sensitivity_dir is not None:
        ranked = _ranking(screening, sensitivity_dir)
        sections.append(("Which parameters matter (sensitivity ranking)", ranked.body))
        findings += ranked.findings
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
    if snapshot:
        extra = [("A look inside one simulation", _snapshot_section(scenario, mix))]
    else:
        extra = []
    extra.append(("Where these results come from", _provenance_section(results, folder)))
    if calibrated is not None:
        provenance = calibration.calibration_provenance(calibrated)
        extra.append(("Where the calibration comes from", provenance))
    title = (
        results.provenance["experiment"].get("description")
        or results.provenance["experiment"]["name"]
    )
    return _write_document(folder, out, title, sections, findings, extra, caveats)


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
) -> Path:
    findings_html = "".join(f'<p class="finding">{text}</p>' for text in findings) + "".join(
        f'<p class="caveat">Caveat: {html.escape(text)}</p>' for text in caveats
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
