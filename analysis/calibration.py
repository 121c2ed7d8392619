"""The calibration section of the HTML report: what a ``smartspec calibrate`` folder found.

History matching rules out parameter values whose simulated output lies too far from the
observed facts, given the observation's uncertainty, an allowance for the model's own
discrepancy, the emulator's uncertainty and the run-to-run noise. What is left is a *set* of
parameter values not ruled out, not a probability distribution. This module presents a
calibration folder, finished or not, as tables, four figures (inline SVG with real text) and
sentences in plain words; reading the folder is :mod:`.calibration_results`, drawing the
figures :mod:`.calibration_figures`, and both are re-exported here.

    from smartspec.analysis.calibration import calibration_section, load_calibration_results
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from smartspec.experiments.calibration.spec import DEFAULT_RELATIVE_SD

from .calibration_figures import (
    plot_emulator_validation,
    plot_implausibility_pairs,
    plot_shrinkage,
    plot_targets,
    svg,
)
from .calibration_results import (
    SECOND_LARGEST_FROM,
    CalibrationResults,
    constraint_table,
    describe_default,
    is_calibration_folder,
    load_calibration_results,
    parameter_unit,
)

__all__ = [
    "CAVEATS",
    "CalibrationResults",
    "calibration_provenance",
    "calibration_section",
    "calibration_title",
    "constraint_table",
    "is_calibration_folder",
    "load_calibration_results",
    "plot_emulator_validation",
    "plot_implausibility_pairs",
    "plot_shrinkage",
    "plot_targets",
    "svg",
]

#: The caveats of a calibration report (in place of, or next to, the report's own).
CAVEATS = [
    "The final set is every parameter value not ruled out by the targets, not a probability "
    "distribution: no value in it is more likely than another.",
    "A calibration is only as good as its targets and discrepancy allowances; the regions "
    "stay stylised archetypes fitted to a few published facts.",
]


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, na_rep="–", float_format=lambda v: f"{v:.3g}")


def _names(items: list[str]) -> str:
    return ", ".join(f"<b>{html.escape(str(item))}</b>" for item in items)


def _method(results: CalibrationResults) -> str:
    return (
        "<p>History matching rules out parameter values whose simulated output is too far "
        "from the observed facts. For each target, the <i>implausibility</i> of parameter "
        "values x is I(x) = |z − E[f(x)]| / √(Var<sub>obs</sub> + Var<sub>disc</sub> + "
        "Var<sub>emulator</sub>(x) + Var<sub>ensemble</sub>(x)): the distance between the "
        "observed value z and the expected simulated value, in units of everything that could "
        "explain it — the observation's uncertainty, an allowance for what the model leaves "
        "out (discrepancy), the emulator's uncertainty and the run-to-run noise of the "
        "simulation. Values are <i>not ruled out yet</i> (NROY) while their largest "
        f"implausibility over the targets (the second largest with {SECOND_LARGEST_FROM} "
        f"targets or more) is below {results.cutoff:g}.</p><p>Each wave simulates a "
        "space-filling design inside the current NROY space, fits one Gaussian-process "
        "emulator per target, checks every emulator on held-out points (an emulator that "
        "fails is not used to cut in that wave) and cuts the space with the others. At the "
        "end, points of the remaining space are re-run by simulation: <i>accepted</i> points "
        "pass the cut by simulation, not by emulator alone.</p>"
    )


def _status(results: CalibrationResults) -> str:
    if results.finished:
        stopped = results.summary.get("stopped")
        return f"<p>The calibration finished{f': {html.escape(stopped)}' if stopped else ''}.</p>"
    items = "".join(f"<li>{html.escape(text)}</li>" for text in results.missing)
    return (
        '<div class="caveat"><p>This calibration has not finished (last recorded stage: '
        f"{html.escape(_stage(results.state))}): what follows is what the folder holds so "
        f"far. Not there yet:</p><ul>{items}</ul></div>"
    )


def _stage(state: dict[str, Any]) -> str:
    stage = state.get("stage")
    if stage == "wave":
        return f"wave {state.get('wave', '?')}"
    names = {"screening": "the screening", "final": "the final re-run"}
    return names.get(stage, stage or "unknown")


def _fitted(results: CalibrationResults) -> str:
    table = constraint_table(results)
    table.insert(2, "unit", [parameter_unit(path) or "–" for path in table["path"]])
    scores = {}
    if results.screening is not None:
        scores = dict(zip(results.screening["name"], results.screening["score"], strict=True))
        table["screening score"] = [scores.get(name, np.nan) for name in table["parameter"]]
    scenarios = _names(results.summary.get("scenarios", results.spec.scenarios))
    text = (
        f"<p>Scenarios: {scenarios}. The parameters fitted, with their uniform prior ranges "
        "and the range the values not ruled out still span (narrowest first):</p>"
    ) + _table(table)
    if results.screened_out:
        described = "; ".join(
            f"<b>{html.escape(p['name'])}</b> (default "
            f"{html.escape(describe_default(p.get('default')))}"
            f", screening score {scores.get(p['name'], float('nan')):.3g})"
            for p in results.screened_out
        )
        threshold = results.spec.screening.threshold
        text += (
            f'<p class="caveat">Screened out by the Morris screening (score: how far the '
            "parameter moves a target across its prior range beyond the run-to-run noise, in "
            "units of the target's tolerance; a score of zero, or below "
            f"{100 * threshold:g} % of the largest, is dropped) and left at their default "
            f"values in every run and in the final set: {described}.</p>"
        )
    elif results.screening is not None:
        text += "<p>The Morris screening kept every parameter.</p>"
    return text


def _targets_html(results: CalibrationResults) -> str:
    rule = f"({100 * DEFAULT_RELATIVE_SD:g} % of the value)²"
    rows = [
        {
            "target": t["name"],
            "scenario": Path(t["scenario"]).stem,
            "statistic": t["statistic"],
            "observed": t["observed"],
            "Var_obs": t["variance_observed"],
            "Var_obs from": rule if t["variance_rule"] else "given",
            "Var_disc": t["discrepancy_variance"],
            "± 3 √(Var_obs + Var_disc)": 3
            * np.sqrt(t["variance_observed"] + t["discrepancy_variance"]),
            "source": t["source"],
        }
        for t in results.targets
    ]
    ruled = [t["name"] for t in results.targets if t["variance_rule"]]
    note = (
        f"<p>Published without uncertainty, {_names(ruled)} got the observation variance "
        f"({100 * DEFAULT_RELATIVE_SD:g} % of the value)²: a standard deviation of a tenth of "
        "the observed value.</p>"
        if ruled
        else ""
    )
    return "<p>The observed facts the model was fitted to:</p>" + _table(pd.DataFrame(rows)) + note


def _waves(results: CalibrationResults) -> pd.DataFrame:
    rows = []
    for wave in results.waves:
        summary, emulators = wave["summary"], wave["emulators"]
        used = [name for name, info in emulators.items() if info.get("usable", True)]
        failed = [
            f"{name} ({info.get('reason') or 'failed validation'})"
            for name, info in emulators.items()
            if not info.get("usable", True)
        ]
        fraction, error = summary.get("nroy_fraction"), summary.get("nroy_fraction_se")
        share = "–" if fraction is None else f"{fraction:.3g} ± {error or 0:.2g}"
        rows.append(
            {
                "wave": wave["wave"],
                "points": summary.get("points"),
                "runs": summary.get("runs"),
                "failed runs": summary.get("failed_runs"),
                "NROY share of prior (± s.e.)": share,
                "shrinkage": summary.get("shrinkage"),
                "sampler": summary.get("sampler"),
                "acceptance": summary.get("acceptance"),
                "emulators used": ", ".join(used) or _listed(summary.get("usable", "–")),
                "not used (why)": "; ".join(failed) or "–",
            }
        )
    return pd.DataFrame(rows)


def _listed(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _figure(ready: bool, make: Callable[[], Figure], alt: str, absent: str) -> str:
    return svg(make(), alt) if ready else f"<p><i>No figure yet: {absent}.</i></p>"


def calibration_section(folder: str | Path | CalibrationResults) -> tuple[str, list[str]]:
    """The HTML body of a calibration folder's report section, and its findings in plain
    words (HTML sentences).

    Figures are inline SVG, tables HTML; an unfinished folder gets what it holds and a list
    of what is missing. Provenance is apart: :func:`calibration_provenance`.
    """
    results = _loaded(folder)
    has_validation = any(wave["validation"] is not None for wave in results.waves)
    has_points = results.nroy is not None or results.latest_sample is not None
    has_first = bool(results.waves) and results.waves[0]["points"] is not None
    waves = _waves(results)
    body = [
        _method(results),
        _status(results),
        "<h3>What was fitted</h3>",
        _fitted(results),
        "<h3>The targets</h3>",
        _targets_html(results),
        "<h3>Wave by wave</h3>",
        "<p>Shrinkage is the share of the previous wave's space ruled out by this wave; "
        "acceptance the share of candidates the sampler kept.</p>" + _table(waves),
        _figure(
            bool(len(waves)),
            lambda: plot_shrinkage(results),
            "Share of the prior box not ruled out after each wave",
            "no wave has finished",
        ),
        _figure(
            has_validation,
            lambda: plot_emulator_validation(results),
            "Emulator predictions against held-out simulations",
            "no wave has validated its emulators",
        ),
        "<h3>The final set</h3>",
        _final(results),
        _figure(
            has_points and bool(results.parameters),
            lambda: plot_implausibility_pairs(results),
            "Pairs plot of the parameter values not ruled out",
            "no NROY sample yet",
        ),
        _figure(
            has_first,
            lambda: plot_targets(results),
            "The targets against the simulated values",
            "no wave has finished",
        ),
        "<h3>The best point</h3>",
        _best(results),
        "<h3>How much the discrepancy allowances matter</h3>",
        _discrepancy(results),
        "<h3>How to use it</h3>",
        _use(results),
    ]
    return "".join(body), _findings(results)


def _final(results: CalibrationResults) -> str:
    final = results.summary.get("final", {})
    if results.nroy is None:
        text = "<p>The points not ruled out have not been re-run by simulation yet.</p>"
    else:
        accepted = int(results.nroy["accepted"].astype(bool).sum())
        text = (
            f"<p>{final.get('points', len(results.nroy))} points of the space not ruled out "
            f"were re-run by simulation; <b>{final.get('accepted', accepted)}</b> pass the cut "
            "by simulation (accepted).</p>"
        )
    unmeasured = final.get("unmeasured") or []
    if unmeasured:
        names = ", ".join(f"<code>{html.escape(name)}</code>" for name in unmeasured)
        text += (
            f'<p class="caveat">Left out of the cut: {names}. Its statistic could not be '
            "computed at any re-run point (for a pooled fit: too few events per point), so "
            "this calibration says nothing about it; check it where enough runs are pooled "
            "(<code>smartspec validate</code>).</p>"
        )
    return text + (
        '<p class="caveat">The final set is a <b>set</b>, not a posterior: it holds the '
        "parameter values the targets do not rule out, each as good as another. It is not a "
        "probability distribution, and parameter sets drawn from it are drawn uniformly over "
        "the accepted re-run points.</p>"
    )


def _best(results: CalibrationResults) -> str:
    best = results.summary.get("best")
    if not best:
        return "<p>No best point yet: it is chosen among the accepted re-run points.</p>"
    table = pd.DataFrame(
        {"parameter": list(best["values"]), "value": list(best["values"].values())}
    )
    path = results.folder / "best.toml"
    written = (
        f"<pre>{html.escape(path.read_text(encoding='utf-8'))}</pre>" if path.is_file() else ""
    )
    return (
        f"<p>Of the accepted points, point {best.get('point')} has the smallest maximum "
        f"implausibility ({best['max_implausibility']:.3g}). It is one good point, not the "
        "answer: every accepted point fits the targets within their uncertainties. Its "
        f"overrides are in <code>{html.escape(str(path))}</code>:</p>" + _table(table) + written
    )


def _discrepancy(results: CalibrationResults) -> str:
    if results.discrepancy is None:
        return "<p>The discrepancy sensitivity is computed at the end.</p>"
    table = results.discrepancy.rename(
        columns={
            "factor": "discrepancy variances ×",
            "nroy_fraction": "NROY share of prior",
            "accepted": f"accepted of {len(results.nroy)} re-run points"
            if results.nroy is not None
            else "accepted re-run points",
        }
    )
    return (
        "<p>The same cut with every discrepancy variance halved and doubled: if the result "
        "changes much, it rests on the allowances chosen rather than on the data.</p>"
        + _table(table)
    )


def _use(results: CalibrationResults) -> str:
    scenario = Path(results.spec.scenarios[0]).stem
    folder = html.escape(str(results.folder))
    return (
        "<p>To compare policy mixes with what the calibration leaves uncertain:</p>"
        f"<pre>smartspec compare {html.escape(scenario)} --mix ... --calibrated {folder}</pre>"
        "<p>runs every mix with parameter sets drawn uniformly from the accepted re-run "
        "points, so that the comparison carries the spread of values not ruled out; "
        f"<code>smartspec report RESULTS --calibration {folder}</code> adds this section to "
        "that comparison's report.</p>"
    )


def _findings(results: CalibrationResults) -> list[str]:
    sentences = []
    if not results.finished:
        sentences.append(
            "This calibration has not finished; its findings are provisional "
            f"({len(results.missing)} item(s) still missing)."
        )
    waves = [w["summary"] for w in results.waves if "nroy_fraction" in w["summary"]]
    if waves:
        sentences.append(
            f"After {len(waves)} wave(s), {100 * waves[-1]['nroy_fraction']:.3g} % of the prior "
            "parameter box is not ruled out by the targets."
        )
    for wave in results.waves:
        failed = [n for n, info in wave["emulators"].items() if not info.get("usable", True)]
        if failed:
            sentences.append(
                f"In wave {wave['wave']} the emulator of {_names(failed)} failed validation "
                "and did not cut."
            )
    accepted = results.accepted
    if accepted is not None:
        sentences.append(
            f"{len(accepted)} of {len(results.nroy)} re-run points reproduce every target "
            "within the cut-off by simulation."
            if len(accepted)
            else "No re-run point reproduces the targets within the cut-off: with these "
            "discrepancy allowances the model cannot match them together (see which target "
            "it misses in the targets figure)."
        )
    constrained = constraint_table(results).dropna(subset=["share of prior range"])
    if len(constrained):
        top = constrained.iloc[0]
        sentences.append(
            f"The targets constrain {_names([top['parameter']])} most: the values not ruled "
            f"out span {top['share of prior range']:.0%} of its prior range "
            f"({top['NROY low']:.3g} to {top['NROY high']:.3g})."
        )
    if results.screened_out:
        names = _names([p["name"] for p in results.screened_out])
        sentences.append(f"Screened out and left at their defaults: {names}.")
    if results.discrepancy is not None:
        by_factor = dict(
            zip(results.discrepancy["factor"], results.discrepancy["accepted"], strict=True)
        )
        if 0.5 in by_factor and 2 in by_factor:
            sentences.append(
                f"Halving the discrepancy allowances leaves {by_factor[0.5]} accepted "
                f"point(s); doubling them, {by_factor[2]}."
            )
    return sentences


def _loaded(source: str | Path | CalibrationResults) -> CalibrationResults:
    if isinstance(source, CalibrationResults):
        return source
    return load_calibration_results(source)


def calibration_title(source: str | Path | CalibrationResults) -> str:
    """The calibration's description, or its name."""
    spec = _loaded(source).spec
    return spec.description or spec.name


def calibration_provenance(source: str | Path | CalibrationResults) -> str:
    """Where a calibration comes from (HTML): folder, stage, command, git revision, versions,
    seeds, start time and the calibration file as run."""
    results = _loaded(source)
    record, state = results.provenance, results.state
    git = record.get("git", {})
    rows = [
        ("calibration folder", str(results.folder)),
        ("stage", f"{state.get('stage', '–')} (wave {state.get('wave', '–')})"),
        ("started", record.get("started", "–")),
        ("command", " ".join(record.get("command_line", []))),
        ("git revision", f"{git.get('revision')} (uncommitted changes: {git.get('dirty')})"),
        ("seeds", json.dumps(record["seeds"]) if "seeds" in record else "–"),
        ("versions", ", ".join(f"{k} {v}" for k, v in record.get("versions", {}).items())),
    ]
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    text = (results.folder / "calibration.toml").read_text(encoding="utf-8")
    return f"<table>{table}</table><p>Calibration file:</p><pre>{html.escape(text)}</pre>"
