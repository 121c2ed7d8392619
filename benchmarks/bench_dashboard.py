"""How fast the dashboard plays, measured in headless chromium.

Starts ``smartspec dashboard`` on a free port, opens it in Debian's chromium (Playwright's
Python API, never ``playwright install``), and measures:

1. the time from requesting the page to the first indicator plot;
2. quarters per second while playing, on each of the three pages (the pages draw different
   figures), with Mesa's default render interval of 1 (every quarter redrawn) and the
   dashboard's default play interval (50 ms pause between quarters);
3. the same on page 0 with a render interval of 3 (a redraw every third quarter; Mesa's
   slider moves in steps of 2).

    .venv/bin/python benchmarks/bench_dashboard.py [--seconds S]

Prints a table and, last, one JSON line with every figure. No target is set by an issue;
the figures say what a student will see on this machine.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_FLAGS, dashboard_server  # noqa: E402  (the tests' chromium settings)


def _quarter(page) -> float:
    return float(page.get_by_text(re.compile(r"^Time: ")).first.inner_text().split()[1])


def _play_rate(page, seconds: float) -> float:
    # A fresh run each time, so that no case meets the end of the 120-quarter horizon.
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_text("Time: 0.0")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    start_quarter = _quarter(page)
    page.get_by_role("button", name="▶").click()
    started = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    page.get_by_role("button", name="❚❚").click()
    elapsed = time.perf_counter() - started
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=30_000)
    page.wait_for_timeout(500)
    return (_quarter(page) - start_quarter) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="play time per case")
    seconds = parser.parse_args().seconds
    if CHROMIUM is None:
        sys.exit("bench_dashboard: chromium is not installed (apt-get install chromium)")
    result: dict[str, float] = {}
    with dashboard_server() as server:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            started = time.perf_counter()
            page.goto(server["url"])
            expect(page.locator("img").first).to_be_visible(timeout=60_000)
            result["first_plot_seconds"] = round(time.perf_counter() - started, 2)
            for index in range(3):
                page.get_by_role("tab", name=f"Page {index}").click()
                page.wait_for_timeout(1500)
                result[f"page{index}_quarters_per_second"] = round(_play_rate(page, seconds), 2)
            page.get_by_role("tab", name="Page 0").click()
            render = page.locator(".v-input", has_text="Render Interval").locator("[role=slider]")
            render.focus()
            page.keyboard.press("ArrowRight")  # Mesa's slider moves in steps of 2: 1 -> 3
            expect(render).to_have_attribute("aria-valuenow", "3")
            result["page0_render_interval_3_quarters_per_second"] = round(
                _play_rate(page, seconds), 2
            )
            browser.close()

    print(f"{'measure':<52} {'value':>8}")
    print(f"{'first indicator plot after loading (s)':<52} {result['first_plot_seconds']:>8}")
    names = {
        0: "page 0 (six indicators): quarters/s",
        1: "page 1 (network, knowledge space): quarters/s",
        2: "page 2 (two mixes): quarters/s",
    }
    for index, name in names.items():
        print(f"{name:<52} {result[f'page{index}_quarters_per_second']:>8}")
    print(
        f"{'page 0, render interval 3: quarters/s':<52} "
        f"{result['page0_render_interval_3_quarters_per_second']:>8}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
