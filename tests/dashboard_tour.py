"""The guided tour of docs/dashboard.md, followed in a browser step by step.

Used by ``tests/test_dashboard.py`` (which checks every figure the tour quotes against what
the page shows) and by ``tools/dashboard_screenshots.py`` (which saves one screenshot per
step for the tour and the README). Each step's title is a heading of docs/dashboard.md, and
each figure checked here is quoted in that step's text, so the tour and the app cannot drift
apart unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

TOUR = Path(__file__).resolve().parents[1] / "docs" / "dashboard.md"
QUARTER = re.compile(r"^Quarter (\d+) of")
#: Viewport of the tour's screenshots and of the readability checks.
VIEWPORT = {"width": 1280, "height": 800}


def tour_steps() -> dict[str, str]:
    """The tour's steps in docs/dashboard.md: heading -> text."""
    text = TOUR.read_text(encoding="utf-8")
    parts = re.split(r"^### (\d\. .+)$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def quarter(page: Page) -> int:
    return int(QUARTER.match(page.get_by_text(QUARTER).first.inner_text()).group(1))


def settle(page: Page, changed: Locator | None = None) -> None:
    """Wait for the run a change started: ``changed`` (the control showing its new value,
    drawn in the same update as the busy note) visible, then no busy note, quarter 0 and the
    controls enabled again."""
    if changed is not None:
        expect(changed).to_be_visible(timeout=20_000)
    expect(page.locator(".smartspec-busy")).to_have_count(0, timeout=30_000)
    expect(page.get_by_text(QUARTER).first).to_have_text(QUARTER_ZERO, timeout=30_000)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=30_000)


QUARTER_ZERO = re.compile(r"^Quarter 0 of")


def step(page: Page, times: int) -> None:
    for _ in range(times):
        before = quarter(page)
        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text(QUARTER).first).to_have_text(
            re.compile(rf"^Quarter {before + 1} of"), timeout=20_000
        )


def _slider_value(control: Locator) -> float:
    return float(re.search(r": ([0-9.]+)", control.locator("label").inner_text()).group(1))


def set_slider(page: Page, label: str, target: float) -> None:
    """Click a slider's track near ``target`` (0-1), then step to it with the arrow keys."""
    control = page.locator(".v-input", has_text=label)
    track = control.locator(".v-slider").first
    box = track.bounding_box()
    before = control.locator("label").inner_text()
    track.click(position={"x": box["width"] * target, "y": box["height"] / 2})
    settle(page, control.locator("label").filter(has_not_text=before))
    for _ in range(12):
        shown = _slider_value(control)
        if abs(shown - target) < 0.005:
            return
        control.locator("[role=slider]").focus()
        page.keyboard.press("ArrowRight" if shown < target else "ArrowLeft")
        wanted = f"{shown + (0.01 if shown < target else -0.01):.2f}"
        settle(page, control.locator("label", has_text=f": {wanted}"))
    raise AssertionError(f"could not set {label} to {target}")


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("button", name=re.compile(f"^{re.escape(label)}")).click()
    menu = page.locator(".menuable__content__active [role=option]")
    menu.filter(has_text=re.compile(f"^{option}$")).click()
    selected = page.locator(".v-input", has_text=label).locator(".v-select__selection")
    settle(page, selected.filter(has_text=re.compile(f"^{option}$")))


def press(page: Page, button: str) -> None:
    """Press a toggle button (the governance) and wait for the new run."""
    page.get_by_role("button", name=button).click()
    settle(page, page.locator(".v-btn--active", has_text=button))


def view(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    page.wait_for_timeout(500)


def shown_now(page: Page, chart: str) -> float:
    """The latest value a chart of the Indicators view shows ("now 59.2")."""
    text = page.locator(f'svg.smartspec-chart[aria-label="{chart}"] text', has_text="now ")
    return float(text.first.text_content().removeprefix("now ").replace(",", ""))


def table_row(page: Page, indicator: str) -> dict[str, float]:
    """A row of the Mix A vs mix B table: A, B and B - A."""
    cells = page.locator("table.smartspec-comparison tr", has_text=indicator).first
    values = [cell.inner_text() for cell in cells.locator("td").all()]
    return dict(
        zip(("A", "B", "B - A"), (float(v.replace(",", "")) for v in values[2:]), strict=True)
    )


def _quoted(step_text: str, figure: str) -> None:
    assert figure in " ".join(step_text.split()), (
        f"the tour no longer quotes {figure!r}: update this check"
    )


def _claim(step_text: str, quoted: str, shown: float, expected: float, within: float) -> None:
    """The tour quotes ``quoted``, and the page shows ``expected`` (within ``within``)."""
    _quoted(step_text, quoted)
    assert abs(shown - expected) <= within, f"the tour says {quoted!r}; the page shows {shown}"


def follow_tour(page: Page, shoot: Callable[[str, bool], None] | None = None) -> None:
    """Follow docs/dashboard.md's five steps on a fresh page at quarter 0, checking what
    each step says against the page; ``shoot(name, full_page)`` saves a screenshot."""
    steps = tour_steps()
    titles = list(steps)
    assert len(titles) == 5, titles

    # 1. The emerging region under the baseline mix, twelve quarters in.
    text = steps[titles[0]]
    _claim(text, "starts near 57.8", shown_now(page, "Composite innovation index"), 57.8, 0.05)
    step(page, 12)
    index = shown_now(page, "Composite innovation index")
    _claim(text, "about 64.9 at quarter 12 with seed 1", index, 64.9, 0.05)
    absorbed = shown_now(page, "Budget absorption rate (cumulative)")
    _claim(text, "(0.487)", absorbed, 0.487, 0.0005)
    if shoot:
        shoot("dashboard-1-indicators", False)

    # 2. Better institutions: the same region absorbs more of its budget.
    text = steps[titles[1]]
    set_slider(page, "Institutional quality", 0.7)
    step(page, 12)
    absorbed = shown_now(page, "Budget absorption rate (cumulative)")
    _claim(text, "to about 0.78", absorbed, 0.78, 0.005)
    if shoot:
        shoot("dashboard-2-institutions", False)

    # 3. Grants-heavy against capacity first (the default mix B), same seed.
    text = steps[titles[2]]
    set_slider(page, "Institutional quality", 0.3)
    choose(page, "Policy mix (A)", "rd_grants_heavy")
    step(page, 24)
    view(page, "Mix A vs mix B")
    legend = page.locator(".smartspec-legend")
    expect(legend).to_contain_text("A: rd_grants_heavy")
    expect(legend).to_contain_text("B: capacity_first")
    difference = table_row(page, "Composite innovation index")["B - A"]
    _claim(text, "B − A is +5.5)", difference, 5.5, 0.05)
    if shoot:
        shoot("dashboard-3-compare", True)

    # 4. Back to the baseline mix; quadruple helix and citizens; the network.
    text = steps[titles[3]]
    choose(page, "Policy mix (A)", "baseline")
    press(page, "quadruple helix")
    set_slider(page, "Citizen participation", 0.5)
    step(page, 16)
    view(page, "Network and knowledge space")
    network = page.locator('svg.smartspec-chart[aria-label="Collaboration network"]')
    expect(network).to_be_visible()
    _quoted(text, "3 links between them")
    expect(network.get_by_text("citizen groups: 3 links")).to_be_visible()
    _quoted(text, "the government none")
    expect(network.get_by_text("government: 0 links")).to_be_visible()
    _quoted(text, "the universities (red) have 16")
    expect(network.get_by_text("universities: 16 links")).to_be_visible()
    if shoot:
        shoot("dashboard-4-network", False)
    view(page, "Indicators")
    _claim(text, "8 social innovations", shown_now(page, "Social innovations (cumulative)"), 8, 0)

    # 5. Specialisation follows relatedness: the knowledge space names its specialisations.
    text = steps[titles[4]]
    view(page, "Network and knowledge space")
    space = page.locator('svg.smartspec-chart[aria-label^="Knowledge space"]')
    _quoted(text, "specialised in 10 domains")
    expect(space.get_by_text(re.compile(r"specialised \(RCA ≥ 1\), 10 domains"))).to_be_visible()
