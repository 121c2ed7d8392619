"""How fast the dashboard plays, measured in headless chromium.

Starts ``smartspec dashboard`` on a free port, opens it in Debian's chromium (Playwright's
Python API, never ``playwright install``) at 1280 x 800, and measures:

1. the time from requesting the page to the first indicator chart;
2. quarters per second while playing, on each of the three views (they draw different
   charts), with a render interval of 1 (every quarter drawn), the default model size and
   the dashboard's default pause between quarters (50 ms);
3. the same on the default view with a redraw every third quarter;
4. the time from a change of setting (the governance) to the new run on screen, the busy
   note gone (the mean of four changes).

    .venv/bin/python benchmarks/bench_dashboard.py [--seconds S]

Prints a table and, last, one JSON line with every figure. Target (issue 15): at least 5
quarters per second on the default view (Indicators) with every quarter drawn, on 2 cores.
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

from smartspec.dashboard.app import VIEW_NAMES  # noqa: E402

TARGET_QUARTERS_PER_SECOND = 5.0
LAST_MEASURED_QUARTER = 100
QUARTER = re.compile(r"^Quarter (\d+) of")


def _quarter(page) -> int:
    return int(QUARTER.match(page.get_by_text(QUARTER).first.inner_text()).group(1))


def _play_rate(page, seconds: float) -> float:
    # A fresh run each time, so that no case meets the end of the 120-quarter horizon.
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_text(QUARTER)).to_have_text(re.compile(r"^Quarter 0 of"), timeout=30_000)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=30_000)
    page.wait_for_timeout(1000)
    start_quarter = _quarter(page)
    page.get_by_role("button", name="▶ Play").click()
    started = time.perf_counter()
    # Until the time is up, or before the run reaches its 120-quarter end and Play stops.
    while time.perf_counter() - started < seconds:
        page.wait_for_timeout(250)
        # The quarter the browser shows: what the student has seen drawn.
        shown = _quarter(page)
        elapsed = time.perf_counter() - started
        if shown >= LAST_MEASURED_QUARTER:
            break
    page.get_by_role("button", name="❚❚ Pause").click()
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=30_000)
    return (shown - start_quarter) / elapsed


def _rebuild_time(page) -> float:
    times = []
    for governance in ("triple helix", "top-down", "quadruple helix", "top-down"):
        started = time.perf_counter()
        page.get_by_role("button", name=governance, exact=True).click()
        expect(page.locator(".v-btn--active", has_text=governance)).to_be_visible()
        expect(page.locator(".smartspec-busy")).to_have_count(0, timeout=30_000)
        expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=30_000)
        times.append(time.perf_counter() - started)
    return sum(times) / len(times)


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
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.perf_counter()
            page.goto(server["url"])
            expect(page.locator("svg.smartspec-chart").first).to_be_visible(timeout=60_000)
            result["first_chart_seconds"] = round(time.perf_counter() - started, 2)
            for index, name in enumerate(VIEW_NAMES):
                page.get_by_role("tab", name=name).click()
                page.wait_for_timeout(1500)
                result[f"view{index}_quarters_per_second"] = round(_play_rate(page, seconds), 2)
            page.get_by_role("tab", name=VIEW_NAMES[0]).click()
            redraw = page.locator(".v-input", has_text="Redraw every").locator("[role=slider]")
            redraw.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            expect(redraw).to_have_attribute("aria-valuenow", "3")
            result["view0_redraw_every_3_quarters_per_second"] = round(_play_rate(page, seconds), 2)
            result["rebuild_seconds"] = round(_rebuild_time(page), 2)
            browser.close()

    names = [f"{name}: quarters/s (every quarter drawn)" for name in VIEW_NAMES]
    print(f"{'measure':<60} {'value':>8}")
    print(f"{'first indicator chart after loading (s)':<60} {result['first_chart_seconds']:>8}")
    for index, name in enumerate(names):
        print(f"{name:<60} {result[f'view{index}_quarters_per_second']:>8}")
    print(
        f"{VIEW_NAMES[0] + ', redraw every 3rd quarter: quarters/s':<60} "
        f"{result['view0_redraw_every_3_quarters_per_second']:>8}"
    )
    print(
        f"{'a change of setting to the new run on screen (s)':<60} {result['rebuild_seconds']:>8}"
    )
    result["target_quarters_per_second"] = TARGET_QUARTERS_PER_SECOND
    result["target_met"] = result["view0_quarters_per_second"] >= TARGET_QUARTERS_PER_SECOND
    print(json.dumps(result))


if __name__ == "__main__":
    main()
