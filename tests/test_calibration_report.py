"""The calibration report: reading a calibration folder, its four figures, the HTML section and
``smartspec report`` on it, on a synthetic folder (``calibration_fixture``: nothing simulated).
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from calibration_fixture import FITTED, SCREENED_OUT, make_calibration_folder
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from smartspec.analysis import calibration
from smartspec.analysis.report import write_report
from smartspec.cli import main
from smartspec.experiments import CallableTarget, ExperimentSpec, run_experiment
from smartspec.experiments.examples import ADDITIVE_WEIGHTS, additive

#: The reports are read in a column about 1000 px wide; SVG shows 1 pt as 4/3 px.
COLUMN_PX = 1000
SMALLEST_TEXT_PX = 10
FIGURES = {
    "shrinkage": calibration.plot_shrinkage,
    "validation": calibration.plot_emulator_validation,
    "pairs": calibration.plot_implausibility_pairs,
    "targets": calibration.plot_targets,
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    return make_calibration_folder(tmp_path_factory.mktemp("calibration") / "done")


@pytest.fixture(scope="module")
def unfinished(tmp_path_factory) -> Path:
    return make_calibration_folder(tmp_path_factory.mktemp("calibration") / "part", False)


@pytest.fixture(scope="module")
def section(finished) -> tuple[str, list[str]]:
    return calibration.calibration_section(finished)


def visible_texts(figure: Figure) -> list[Text]:
    """The texts a reader sees: visible, not empty, in visible axes, and (tick labels) inside
    their axis's view."""
    FigureCanvasAgg(figure).draw()
    shown = []
    for text in figure.findobj(Text):
        axes = text.axes
        if not text.get_visible() or not text.get_text().strip():
            continue
        if axes is not None and not axes.get_visible():
            continue
        shown.append(text)
    drawn_ticks = {
        id(label)
        for axes in figure.axes
        for axis in (axes.xaxis, axes.yaxis)
        for tick in axis._update_ticks()  # the ticks the last draw showed
        for label in (tick.label1, tick.label2)
    }
    tick_labels = {
        id(tick.label1)
        for axes in figure.axes
        for axis in (axes.xaxis, axes.yaxis)
        for tick in [*axis.majorTicks, *axis.minorTicks]
    }
    return [text for text in shown if id(text) not in tick_labels or id(text) in drawn_ticks]


# ------------------------------------------------------------------------------------- loading


def test_loads_every_stage_of_a_finished_folder(finished):
    results = calibration.load_calibration_results(finished)
    assert results.finished and results.missing == []
    assert [wave["wave"] for wave in results.waves] == [1, 2]
    for wave in results.waves:
        for table in ("points", "validation", "nroy_sample"):
            assert len(wave[table]) > 0, table
        assert set(wave["emulators"]) == {"innovating", "partnership", "index"}
    assert [p["name"] for p in results.parameters] == FITTED
    assert [p["name"] for p in results.screened_out] == [SCREENED_OUT]
    assert len(results.screening) == 4 and list(results.discrepancy["factor"]) == [0.5, 1, 2]
    assert results.accepted is not None and 0 < len(results.accepted) < len(results.nroy)
    rules = {target["name"]: target["variance_rule"] for target in results.targets}
    assert rules == {"innovating": False, "partnership": True, "index": False}
    assert results.provenance["git"]["revision"] == "abc123"


def test_an_unfinished_folder_loads_and_says_what_is_missing(unfinished):
    results = calibration.load_calibration_results(unfinished)
    assert not results.finished
    assert [wave["wave"] for wave in results.waves] == [1]
    assert results.nroy is None and results.discrepancy is None and results.summary == {}
    missing = " ".join(results.missing)
    for name in ("wave-02/", "summary.json", "nroy.parquet", "best.toml", "discrepancy.csv"):
        assert name in missing
    # Without summary.json, the fitted parameters come from the file and the screening.
    assert [p["name"] for p in results.parameters] == FITTED
    assert [p["name"] for p in results.screened_out] == [SCREENED_OUT]


def test_a_folder_without_a_calibration_file_is_not_a_calibration(tmp_path):
    (tmp_path / "state.json").write_text("{}", encoding="utf-8")
    assert not calibration.is_calibration_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a calibration folder"):
        calibration.load_calibration_results(tmp_path)


def test_constraint_table_ranks_the_narrowest_range_first(finished):
    table = calibration.constraint_table(calibration.load_calibration_results(finished))
    shares = table["share of prior range"].tolist()
    assert shares == sorted(shares) and all(0 < share <= 1 for share in shares)


# ------------------------------------------------------------------------------------- figures


@pytest.mark.parametrize("name", list(FIGURES))
@pytest.mark.parametrize("folder", ["finished", "unfinished"])
def test_figure_renders_readable_svg_without_overlapping_text(name, folder, request):
    results = calibration.load_calibration_results(request.getfixturevalue(folder))
    figure = FIGURES[name](results)
    markup = calibration.svg(figure, name)
    assert markup.startswith("<figure") and "<svg" in markup and "<text" in markup
    width_px = figure.get_figwidth() * 96
    scale = min(1.0, COLUMN_PX / width_px)
    texts = visible_texts(figure)
    assert texts
    for text in texts:
        assert text.get_fontsize() * 4 / 3 * scale >= SMALLEST_TEXT_PX, text.get_text()
    renderer = figure.canvas.get_renderer()
    boxes = [
        (text.get_text(), text.get_window_extent(renderer).shrunk(0.95, 0.9)) for text in texts
    ]
    overlapping = [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.overlaps(box_b)
    ]
    assert overlapping == []
    clipped = [text for text, box in boxes if not figure.bbox.contains(box.x0, box.y0)]
    clipped += [text for text, box in boxes if not figure.bbox.contains(box.x1, box.y1)]
    assert clipped == []


def test_validation_marks_the_emulator_that_failed(finished):
    results = calibration.load_calibration_results(finished)
    titles = [axis.get_title() for axis in calibration.plot_emulator_validation(results).axes]
    assert any("partnership" in title and "NOT used" in title for title in titles)
    first = calibration.plot_emulator_validation(results, wave=1).axes
    assert not any("NOT used" in axis.get_title() for axis in first)


def test_axis_labels_carry_units(finished):
    results = calibration.load_calibration_results(finished)
    pairs = calibration.plot_implausibility_pairs(results)
    labels = " ".join(axis.get_xlabel() for axis in pairs.axes)
    assert "(events per quarter)" in labels and "(elasticity)" in labels
    targets = calibration.plot_targets(results)
    assert "(share of firms)" in targets.axes[0].get_ylabel()


# ------------------------------------------------------------------------------------- section


def test_section_names_what_was_screened_out_and_left_at_defaults(section):
    body, findings = section
    assert SCREENED_OUT in body and "left at their default values" in body
    assert any(SCREENED_OUT in sentence for sentence in findings)


def test_section_says_the_final_set_is_a_set_not_a_posterior(section):
    body, _ = section
    plain = re.sub(r"<[^>]+>", "", body)
    assert "not a posterior" in plain
    assert "uniformly over the accepted re-run points" in plain
    assert "is a posterior" not in plain.replace("not a posterior", "")


def test_section_has_the_tables_figures_best_point_and_how_to_use(section, finished):
    body, findings = section
    assert body.count("<svg") == 4
    assert "discrepancy variances ×" in body and "accepted of 30 re-run points" in body
    assert "smallest maximum implausibility" in body and "best.toml" in body
    assert "(10 % of the value)²" in body
    assert f"--calibrated {finished}" in body
    assert "NOT used" not in body or "partnership (2 of 5 held-out" in body
    assert any("Halving the discrepancy" in sentence for sentence in findings)


def test_unfinished_section_lists_what_is_missing(unfinished):
    body, findings = calibration.calibration_section(unfinished)
    assert "has not finished" in body and "nroy.parquet" in body
    assert "No best point yet" in body
    assert findings[0].startswith("This calibration has not finished")


def test_a_calibration_that_accepts_nothing_says_so(finished, tmp_path):
    folder = tmp_path / "nothing"
    shutil.copytree(finished, folder)
    nroy = pd.read_parquet(folder / "nroy.parquet").assign(accepted=False)
    nroy.to_parquet(folder / "nroy.parquet")
    body, findings = calibration.calibration_section(folder)
    assert body.count("<svg") == 4
    assert any(sentence.startswith("No re-run point reproduces") for sentence in findings)


def test_a_wave_that_leaves_nothing_is_drawn_below_the_detection_bound(finished, tmp_path):
    import json
    import warnings

    folder = tmp_path / "empty"
    shutil.copytree(finished, folder)
    summary_path = sorted(folder.glob("wave-*"))[-1] / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary.update(nroy_fraction=0.0, nroy_fraction_se=0.0)
    summary_path.write_text(json.dumps(summary))
    results = calibration.load_calibration_results(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = calibration.plot_shrinkage(results)
    FigureCanvasAgg(figure).draw()
    labels = [text.get_text() for text in figure.axes[0].texts]
    assert any(label.startswith("< ") for label in labels)


# ------------------------------------------------------------------------------ report command


def test_report_command_writes_the_calibration_report(finished, capsys):
    assert main(["report", str(finished)]) == 0
    path = finished / "report.html"
    assert f"Wrote {path}" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == [
        "Calibration by history matching",
        "Findings in plain words",
        "Where the calibration comes from",
        "Glossary",
    ]
    assert "<script" not in text and not re.search(r'(src|href)="(https?:)?//', text)
    assert "calibrate_fixture" in text and "abc123" in text


def test_report_command_on_an_unfinished_folder(unfinished, tmp_path):
    out = tmp_path / "partial.html"
    assert main(["report", str(unfinished), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "has not finished" in text and "wave-02/" in text


def test_report_command_on_a_folder_that_is_not_a_calibration(tmp_path, capsys):
    (tmp_path / "calibration.toml").write_text('name = "x"\n', encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "not a results folder" in error[0]


def test_calibration_option_rejects_a_folder_that_is_not_a_calibration(finished, tmp_path, capsys):
    assert main(["report", str(finished), "--calibration", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "not a calibration folder" in error[0]


def test_calibration_section_appended_to_another_report(finished, tmp_path):
    spec = ExperimentSpec.model_validate(
        {
            "name": "screening",
            "design": {"kind": "morris", "samples": 4, "seed": 3},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ADDITIVE_WEIGHTS
            ],
            "outcomes": {"final": ["y"]},
        }
    )
    folder = tmp_path / "screening"
    run_experiment(spec, folder, "screening", target=CallableTarget(additive))
    path = write_report(folder, snapshot=False, calibration_dir=finished)
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert "Calibration by history matching" in headings
    assert "Where the calibration comes from" in headings
    assert "not a posterior" in text and text.count("<svg") == 4 + 1  # and the screening's


def test_report_help_mentions_calibration(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["report", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--calibration" in out and "calibrate folder" in out
