"""The design-kind registry: the experiments and analysis halves name the same kinds, every
kind is documented, unknown kinds are refused with the list of known ones, a kind's rules name
the field they concern, and a kind added the documented way runs and is analysed end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from smartspec.analysis.analyze import analyze_results, write_figures
from smartspec.analysis.kinds import ANALYSIS_KINDS, AnalysisKind, ReportPart, analysis_kind
from smartspec.analysis.report import write_report
from smartspec.analysis.sensitivity import SensitivityError
from smartspec.experiments import (
    CallableTarget,
    ExperimentError,
    ExperimentSpec,
    build_design,
    load_experiment,
    run_experiment,
)
from smartspec.experiments.examples import additive
from smartspec.experiments.kinds import (
    DESIGN_KINDS,
    DesignKind,
    DesignPoint,
    DesignPoints,
    DesignProblem,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_both_registries_name_the_same_kinds_in_the_same_order():
    assert list(DESIGN_KINDS) == list(ANALYSIS_KINDS)
    for name in DESIGN_KINDS:
        assert DESIGN_KINDS[name].name == ANALYSIS_KINDS[name].name == name


def test_every_kind_declares_itself_and_is_documented():
    table = (DOCS / "experiments.md").read_text(encoding="utf-8")
    analysis = (DOCS / "analysis.md").read_text(encoding="utf-8")
    for name, kind in DESIGN_KINDS.items():
        assert kind.parameters in ("levels", "range"), name
        assert kind.description and "\n" not in kind.description, name
        assert re.search(rf"^\| `{name}` \|", table, flags=re.MULTILINE), name
        assert re.search(rf"^\| [^|]*\b{name}\b[^|]*\|", analysis, flags=re.MULTILINE), name


def test_unknown_kind_is_refused_with_the_known_kinds():
    with pytest.raises(ValidationError) as caught:
        ExperimentSpec.model_validate(
            {"name": "x", "design": {"kind": "factorial"}, "outcomes": {"final": ["y"]}}
        )
    assert all(name in str(caught.value) for name in DESIGN_KINDS)
    with pytest.raises(SensitivityError) as caught:
        analysis_kind("factorial")
    assert "factorial" in str(caught.value)
    assert all(name in str(caught.value) for name in ANALYSIS_KINDS)


@pytest.mark.parametrize(
    ("design", "parameter", "field"),
    [
        ('kind = "sobol"\nsamples = 12', "range = [5.0, 60.0]", "design.samples"),
        ('kind = "lhs"', "", "parameters[0].range"),
        ('kind = "grid"', "range = [0.0005, 0.01]", "parameters[0].levels"),
        ('kind = "lhs"', None, "parameters"),
        ('kind = "comparison"', None, "design.mixes"),
    ],
)
def test_a_kind_rule_names_its_field(design, parameter, field, tmp_path):
    text = f'name = "bad"\n[design]\n{design}\n'
    if parameter is not None:
        path_line = 'path = "regions.0.government.budget_share"'
        text += f'[[parameters]]\nname = "budget"\n{path_line}\n{parameter}\n'
    text += '[outcomes]\nfinal = ["innovation_index"]\n'
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentError) as caught:
        load_experiment(str(path))
    assert caught.value.field == field
    assert str(caught.value) == f"{path}: {field}: {caught.value.problem}"


# ------------------------------------------------------------- a kind added the documented way


def centre_points(spec: ExperimentSpec) -> DesignPoints:
    """One point: every parameter at the middle of its range."""
    values = {p.name: (p.range[0] + p.range[1]) / 2 for p in spec.parameters}
    point = DesignPoint(scenario=spec.model.scenario, mix=None, values=values)
    return DesignPoints(points=[point], settings={"where": "centre"})


def centre_check(spec: ExperimentSpec) -> None:
    if spec.design.replications < 2:
        raise DesignProblem("design.replications", "centre needs two replications or more")


CENTRE = DesignKind(
    name="centre",
    description="every parameter at the middle of its range",
    parameters="range",
    points=centre_points,
    check=centre_check,
)
CENTRE_ANALYSIS = AnalysisKind(
    name="centre",
    tables=lambda results, baseline: {"spread": results.outcomes[["y"]].describe()},
    figures=lambda results, baseline: {},
    report=lambda results: ReportPart(
        sections=[("At the centre", "<p>one point</p>")], findings=["It is the centre."]
    ),
)


@pytest.fixture
def centre(monkeypatch):
    monkeypatch.setitem(DESIGN_KINDS, "centre", CENTRE)
    monkeypatch.setitem(ANALYSIS_KINDS, "centre", CENTRE_ANALYSIS)


def centre_spec(replications: int) -> ExperimentSpec:
    return ExperimentSpec.model_validate(
        {
            "name": "centre",
            "design": {"kind": "centre", "replications": replications},
            "parameters": [{"name": "x1", "path": "unused.x1", "range": [0.0, 1.0]}],
            "outcomes": {"final": ["y"]},
        }
    )


def test_a_registered_kind_is_validated_run_and_analysed(centre, tmp_path):
    with pytest.raises(ValidationError, match="design.replications: centre needs two"):
        centre_spec(1)
    spec = centre_spec(3)
    assert build_design(spec).points["x1"].tolist() == [0.5]
    out = tmp_path / "centre"
    run_experiment(spec, out, "centre", target=CallableTarget(additive))
    design = json.loads((out / "provenance.json").read_text())["design"]
    assert design["design"] == "centre" and design["where"] == "centre"
    assert design["replications"] == 3 and len(design["replication_seeds"]) == 3
    tables = analyze_results(out)
    assert list(tables) == ["spread"]
    assert tables["spread"].loc["mean", "y"] == pytest.approx(4.0 * 0.5)
    assert write_figures(out, tmp_path / "figures") == []
    text = write_report(out, snapshot=False).read_text(encoding="utf-8")
    assert "<h2>At the centre</h2>" in text and "It is the centre." in text


def test_report_refuses_a_sensitivity_folder_that_ranks_nothing(centre, tmp_path):
    run_experiment(centre_spec(2), tmp_path / "a", "centre", target=CallableTarget(additive))
    with pytest.raises(SensitivityError, match="does not rank parameters.*sobol or morris"):
        write_report(tmp_path / "a", sensitivity_dir=tmp_path / "a", snapshot=False)


def test_analysis_refuses_results_of_an_unknown_kind(centre, tmp_path, monkeypatch):
    run_experiment(centre_spec(2), tmp_path / "a", "centre", target=CallableTarget(additive))
    monkeypatch.delitem(ANALYSIS_KINDS, "centre")
    with pytest.raises(SensitivityError, match="unknown design kind 'centre'"):
        analyze_results(tmp_path / "a")
