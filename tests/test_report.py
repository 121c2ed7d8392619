"""The HTML report end to end, and rendered in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium

from smartspec.analysis.report import write_report
from smartspec.cli import main
from smartspec.experiments import CallableTarget, ExperimentSpec, run_experiment
from smartspec.experiments.examples import ADDITIVE_WEIGHTS, additive

SECTIONS = [
    "The question",
    "The region and the policy mixes",
    "Results with their uncertainty",
    "Where the index differences come from",
    "Which parameters matter (sensitivity ranking)",
    "Findings in plain words",
    "A look inside one simulation",
    "Where these results come from",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    code = main(
        [
            "compare",
            "emerging",
            "--mix",
            "baseline",
            "--mix",
            "capacity_first",
            "--reps",
            "3",
            "--steps",
            "8",
            "--set",
            "regions.0.firms=150",
            "--workers",
            "1",
            "--out",
            str(root / "compare"),
        ]
    )
    assert code == 0
    screening = ExperimentSpec.model_validate(
        {
            "name": "screening",
            "design": {"kind": "morris", "samples": 6, "seed": 3},
            "parameters": [
                {"name": name, "path": f"unused.{name}", "range": [0.0, 1.0]}
                for name in ADDITIVE_WEIGHTS
            ],
            "outcomes": {"final": ["y"]},
        }
    )
    run_experiment(screening, root / "screening", "screening", target=CallableTarget(additive))
    return write_report(root / "compare", sensitivity_dir=root / "screening")


@pytest.mark.slow
def test_report_has_every_section_and_embedded_figures(report):
    text = report.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == SECTIONS
    assert text.count('src="data:image/png;base64,') >= 6
    assert "capacity_first" in text and "95 % interval" in text
    assert "money counted directly" in text and "changed behaviour" in text
    assert 'class="finding"' in text and "Caveat" in text


@pytest.mark.slow
def test_tradeoff_finding_names_the_innovation_index(report):
    """compare records the index at the end (final_...), not over the last years (mean_...):
    the trade-off finding finds it through the indicator registry whatever the summary."""
    text = report.read_text(encoding="utf-8")
    finding = re.search(r"Trade-offs: (.*?)</p>", text, flags=re.DOTALL)
    assert finding, "no trade-off finding"
    assert "composite innovation index" in finding.group(1)
    assert "the number of" not in finding.group(1)


@pytest.mark.slow
def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<link" not in text


def test_report_command_rejects_a_non_results_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report, tmp_path):
    playwright = require_chromium()
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            headings = page.locator("h2").all_inner_texts()
            widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert headings == SECTIONS
    assert len(widths) >= 6 and all(width > 100 for width in widths)
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
