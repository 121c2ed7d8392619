"""Take the guided tour's screenshots (docs/img/dashboard-*.png) in headless chromium.

    .venv/bin/python tools/dashboard_screenshots.py [--out docs/img]

Starts ``smartspec dashboard`` on a free port, follows the steps of docs/dashboard.md at
1280 x 800 (``tests/dashboard_tour.py``, which also checks every figure the tour quotes) and
saves one screenshot per step. Needs Debian's chromium (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_FLAGS, dashboard_server  # noqa: E402  (the tests' chromium settings)
from dashboard_tour import VIEWPORT, follow_tour  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    if CHROMIUM is None:
        sys.exit("dashboard_screenshots: chromium is not installed (apt-get install chromium)")
    with dashboard_server() as server:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(server["url"])
            expect(page.locator("svg.smartspec-chart").first).to_be_visible(timeout=60_000)

            def shoot(name: str, full_page: bool) -> None:
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)

            follow_tour(page, shoot)
            browser.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
