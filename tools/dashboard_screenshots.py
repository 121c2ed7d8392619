"""Take the guided tour's screenshots (docs/img/dashboard-*.png) in headless chromium.

    .venv/bin/python tools/dashboard_screenshots.py [--out docs/img]

Starts ``smartspec dashboard`` on a free port, follows the steps of docs/dashboard.md and
saves one screenshot per step. Needs Debian's chromium (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_FLAGS, dashboard_server  # noqa: E402  (the tests' chromium settings)


def _step(page, times: int) -> None:
    for _ in range(times):
        shown = page.get_by_text(re.compile(r"^Time: ")).first.inner_text()
        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text(re.compile(r"^Time: "))).not_to_have_text(shown, timeout=20_000)


def _set_slider(page, label: str, target: float) -> None:
    """Click a slider's track near ``target`` (0-1), then step to it with the arrow keys."""
    control = page.locator(".v-input", has_text=label)
    track = control.locator(".v-slider").first
    box = track.bounding_box()
    track.click(position={"x": box["width"] * target, "y": box["height"] / 2})
    _settle(page)
    for _ in range(10):
        shown = float(re.search(r": ([0-9.]+)", control.locator("label").inner_text()).group(1))
        if abs(shown - target) < 0.005:
            break
        control.locator("[role=slider]").focus()
        page.keyboard.press("ArrowRight" if shown < target else "ArrowLeft")
        _settle(page)


def _settle(page) -> None:
    expect(page.get_by_text("Time: 0.0")).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1000)


def _choose(page, label: str, option: str) -> None:
    page.get_by_role("button", name=re.compile(f"^{re.escape(label)}")).click()
    menu = page.locator(".menuable__content__active [role=option]")
    menu.filter(has_text=re.compile(f"^{option}$")).click()
    _settle(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with dashboard_server() as server:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            page.goto(server["url"])
            expect(page.get_by_text("Time: 0.0")).to_be_visible(timeout=60_000)

            # 1. The emerging region under the baseline mix, twelve quarters in.
            _step(page, 12)
            page.screenshot(path=str(out / "dashboard-1-indicators.png"))

            # 2. Better institutions: the same region absorbs more of its budget.
            _set_slider(page, "Institutional quality", 0.7)
            _step(page, 12)
            page.screenshot(path=str(out / "dashboard-2-institutions.png"))

            # 3. Grants-heavy against capacity first (the default mix B), same seed.
            _set_slider(page, "Institutional quality", 0.3)
            _choose(page, "Policy mix (A)", "rd_grants_heavy")
            _step(page, 24)
            page.get_by_role("tab", name="Page 2").click()
            expect(page.locator("table.smartspec-comparison")).to_be_visible(timeout=20_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(out / "dashboard-3-compare.png"))

            # 4. Quadruple helix and citizens: the network and the knowledge space.
            page.get_by_role("button", name="quadruple helix").click()
            _settle(page)
            _set_slider(page, "Citizen participation", 0.5)
            _step(page, 16)
            page.get_by_role("tab", name="Page 1").click()
            page.wait_for_timeout(3000)
            page.screenshot(path=str(out / "dashboard-4-network.png"))
            browser.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
