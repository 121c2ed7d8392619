"""The HTML report end to end, and rendered in a real headless Chromium."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium
from experiment_helpers import TINY_SCREENING

from smartspec.analysis.report import write_report
from smartspec.cli import main
from smartspec.experiments import load_experiment, run_experiment

SECTIONS = [
    "Setting",
    "What this means",
    "The question",
    "The region and the policy mixes",
    "Results with their uncertainty",
    "Where the index differences come from",
    "Which parameters matter (sensitivity ranking)",
    "Findings in plain words",
    "A look inside one simulation",
    "Where these results come from",
    "Where the sensitivity screening comes from",
    "Glossary",
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
    # The screening runs the model itself (one policy lever, one condition of the region).
    text = TINY_SCREENING.format(scenario="emerging")
    file = root / "screening.toml"
    file.write_text(text, encoding="utf-8")
    screening, _ = load_experiment(file)
    run_experiment(screening, root / "screening", text)
    return write_report(root / "compare", sensitivity_dir=root / "screening")


@pytest.mark.slow
def test_report_has_every_section_and_embedded_figures(report):
    text = report.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == SECTIONS
    assert text.count("<svg") >= 6 and "data:image/png" not in text
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


#: What the browser measures in the rendered report: every piece of text with its rendered
#: font size in CSS px (SVG text: its font size times the scale the figure is drawn at), its
#: box, and where it sits (heading, table cell, figure).
MEASURE = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const element = node.parentElement;
    if (!text || !element || element.closest('style, title, metadata, defs')) continue;
    let size = parseFloat(getComputedStyle(element).fontSize);
    const svg = element.closest('svg');
    let figure = -1, rotated = false;
    if (svg) {
      const m = element.getScreenCTM();
      size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
      rotated = Math.abs(m.b) > 1e-6;
      figure = Array.from(document.querySelectorAll('svg')).indexOf(svg);
    }
    const box = element.getBoundingClientRect();
    found.push({
      text, size, figure, rotated,
      box: [box.left, box.top + window.scrollY, box.right, box.bottom + window.scrollY],
      where: element.closest('h1, h2, h3') ? 'heading'
        : element.closest('td, th') ? 'table' : svg ? 'figure' : 'text',
    });
  }
  return found;
}"""

SMALLEST_TEXT_PX = 10
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _overlapping(texts: list[dict]) -> list[tuple[str, str]]:
    """Pairs of text boxes of one figure that overlap by more than a pixel each way."""
    found = []
    for first, second in itertools.combinations(texts, 2):
        a, b = first["box"], second["box"]
        if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1:
            found.append((first["text"], second["text"]))
    return found


@pytest.mark.browser
def test_report_reads_at_1280_px_in_headless_chromium(report, tmp_path):
    """Debian's chromium renders the report at 1280 px: every text, in the figures too, is at
    least 10 px; no figure text overlaps another; headings and figure text use words, not
    column names (mix names aside); tables have no exponents; the setting, the conclusions and
    the glossary are there; nothing is fetched."""
    playwright = require_chromium()
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            headings = page.locator("h2").all_inner_texts()
            texts = page.evaluate(MEASURE)
            figure_widths = page.eval_on_selector_all(
                "figure svg", "all => all.map(s => s.getBoundingClientRect().width)"
            )
            column = page.evaluate("document.body.getBoundingClientRect().width")
            setting = page.locator("section.setting").inner_text()
            glossary = page.locator("dl.glossary dt").all_inner_texts()
            conclusions = page.locator("div.conclusion").all_inner_texts()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert headings == SECTIONS
    assert all(url.startswith(("file:", "data:")) for url in requests), requests

    in_figures = [t for t in texts if t["where"] == "figure"]
    assert len(figure_widths) >= 6 and len(in_figures) > 200
    assert all(width <= column + 1 for width in figure_widths)
    small = [(t["text"], round(t["size"], 1)) for t in texts if t["size"] < SMALLEST_TEXT_PX]
    assert small == []
    upright = [t for t in in_figures if not t["rotated"]]
    assert min(t["box"][3] - t["box"][1] for t in upright) >= SMALLEST_TEXT_PX
    for figure in sorted({t["figure"] for t in in_figures}):
        assert _overlapping([t for t in in_figures if t["figure"] == figure]) == [], figure

    mixes = {"baseline", "capacity_first"}
    assert not [
        t["text"] for t in texts if t["where"] == "heading" and IDENTIFIER.search(t["text"])
    ]
    raw = {word for t in in_figures for word in IDENTIFIER.findall(t["text"])} - mixes
    assert raw == set()
    exponents = [t["text"] for t in texts if t["where"] in ("table", "figure")]
    assert not [text for text in exponents if re.search(r"\de[+-]\d", text)]

    for name in ("Region", "Firms", "Budget per year", "Horizon", "Runs", "Same total"):
        assert name in setting
    assert "€" in setting and "150 simulated firms" in setting
    for term in ("RIS", "EDP", "RCA", "Common random numbers", "Morris mu*", "Morris sigma"):
        assert any(term in entry for entry in glossary), term
    assert conclusions and all("Evidence:" in c and "Caveat:" in c for c in conclusions)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
