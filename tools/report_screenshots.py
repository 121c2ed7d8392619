"""Take the report's screenshots (docs/img/report-*.png) in headless chromium at 1280 px.

    .venv/bin/python tools/report_screenshots.py [results/demo/report.html] [--out docs/img]

Opens a report written by ``make demo`` (or ``smartspec report``) and saves its setting and
conclusions, its first results figure and its sensitivity figure, each as the reader sees it
at 1280 x 800. Needs Debian's chromium (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  (the tests' chromium settings)

#: File name -> (CSS selector of the first element, of the last element) shown together.
PARTS = {
    "report-setting.png": ("section.setting", "div.conclusion >> nth=1"),
    "report-results.png": ("figure >> nth=0", "figure >> nth=0"),
    "report-sensitivity.png": (
        "h2:has-text('Which parameters matter') ~ figure >> nth=0",
        "h2:has-text('Which parameters matter') ~ figure >> nth=0",
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="results/demo/report.html")
    parser.add_argument("--out", default="docs/img")
    args = parser.parse_args()
    report, out = Path(args.report).resolve(), Path(args.out)
    if not report.is_file():
        print(f"{report}: no report (run make demo first)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(report.as_uri())
            for name, (first, last) in PARTS.items():
                top = page.locator(first).bounding_box()
                bottom = page.locator(last).bounding_box()
                clip = {
                    "x": 0,
                    "y": top["y"] - 16,
                    "width": 1280,
                    "height": bottom["y"] + bottom["height"] - top["y"] + 32,
                }
                page.screenshot(path=str(out / name), clip=clip, full_page=True)
                print(f"Wrote {out / name}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
