"""The dashboard: the rules its controls follow, and the real thing in headless Chromium."""

from __future__ import annotations

import contextlib
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, dashboard_server, require_chromium

try:  # the browser steps need playwright; without it the browser tests skip
    from dashboard_tour import (
        QUARTER,
        VIEWPORT,
        follow_tour,
        press,
        quarter,
        settle,
        step,
        view,
    )
except ImportError:
    VIEWPORT = {"width": 1280, "height": 800}
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.cli import main
from smartspec.dashboard import DashboardModel, DashboardSettings, rebalance_shares, views
from smartspec.dashboard.app import REBUILD_DELAY_VARIABLE, VIEW_NAMES
from smartspec.dashboard.charts import format_value, nice_ticks
from smartspec.dashboard.settings import (
    ARCHETYPES,
    DASHBOARD_QUARTERS,
    build_scenario,
    mix_names,
)
from smartspec.scenarios import INSTRUMENTS, ScenarioError

# ------------------------------------------------------------------ the controls' rules

share_maps = st.lists(
    st.floats(0.0, 1.0, allow_nan=False), min_size=len(INSTRUMENTS), max_size=len(INSTRUMENTS)
).map(lambda values: dict(zip(INSTRUMENTS, values, strict=True)))


@settings(max_examples=200, deadline=None)
@given(shares=share_maps, instrument=st.sampled_from(INSTRUMENTS), value=st.floats(-0.5, 1.5))
def test_rebalanced_shares_always_sum_to_one(shares, instrument, value):
    result = rebalance_shares(shares, instrument, value)
    assert list(result) == list(INSTRUMENTS)
    assert math.isclose(sum(result.values()), 1.0, abs_tol=1e-9)
    assert all(share >= 0.0 for share in result.values())
    assert result[instrument] == pytest.approx(min(max(value, 0.0), 1.0))


def test_rebalancing_keeps_the_other_shares_proportions():
    shares = {"rd_grants": 0.5, "training": 0.3, "living_labs": 0.2}
    result = rebalance_shares(shares, "rd_grants", 0.8)
    assert result["training"] == pytest.approx(0.12)
    assert result["living_labs"] == pytest.approx(0.08)
    assert result["capacity_building"] == 0.0


def test_rebalancing_from_one_instrument_spreads_the_rest_equally():
    result = rebalance_shares({"rd_grants": 1.0}, "rd_grants", 0.1)
    others = [share for name, share in result.items() if name != "rd_grants"]
    assert others == pytest.approx([0.9 / (len(INSTRUMENTS) - 1)] * (len(INSTRUMENTS) - 1))


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_every_archetype_and_mix_builds_a_valid_scenario(archetype):
    for mix in mix_names():
        settings = DashboardSettings.for_archetype(archetype, mix)
        scenario = build_scenario(settings)
        assert scenario.steps == DASHBOARD_QUARTERS
        assert sum(scenario.mix.shares.values()) == pytest.approx(1.0)


def test_the_archetype_sets_budget_institutions_and_governance():
    emerging = DashboardSettings.for_archetype("emerging")
    leader = emerging.with_archetype("leader")
    assert (emerging.budget_percent, emerging.institutional_quality) == (0.3, 0.3)
    assert (leader.budget_percent, leader.institutional_quality) == (0.05, 0.85)
    assert leader.governance == "triple_helix" and leader.mix == emerging.mix


def test_the_controls_reach_the_scenario():
    settings = replace(
        DashboardSettings.for_archetype("moderate", "cluster_led"),
        budget_percent=0.8,
        institutional_quality=0.9,
        citizen_participation=0.6,
        governance="quadruple_helix",
    ).with_share("living_labs", 0.4)
    region = build_scenario(settings).regions[0]
    assert region.government.budget_share == pytest.approx(0.008)
    assert region.government.institutional_quality == 0.9
    assert region.citizen_participation == 0.6
    assert str(region.government.governance) == "quadruple_helix"
    assert build_scenario(settings).mix.shares["living_labs"] == pytest.approx(0.4)


def test_a_mix_brings_its_governance_but_the_control_has_the_last_word():
    settings = DashboardSettings.for_archetype("emerging", "quadruple_helix")
    assert settings.governance == "quadruple_helix"
    top_down = replace(settings, governance="top_down")
    model = DashboardModel(top_down)
    assert model.governments.governance[0] == 0  # top-down, not the mix's


def test_edited_shares_replace_a_sequenced_mix():
    sequenced = DashboardSettings.for_archetype("emerging", "capacity_then_grants")
    assert build_scenario(sequenced).mix.phases
    edited = sequenced.with_share("rd_grants", 0.5)
    assert edited.mix_label() == "capacity_then_grants (edited)"
    assert build_scenario(edited).mix.phases == []


def test_the_comparison_run_differs_only_in_the_mix():
    settings = replace(DashboardSettings.for_archetype(), mix="baseline", compare_mix="baseline")
    model = DashboardModel(settings)
    model.run_for(6)
    assert model.twin.steps == model.steps == 6
    assert model.indicators().equals(model.twin.indicators())
    other = DashboardModel(replace(settings, compare_mix="rd_grants_heavy"))
    other.run_for(6)
    start = other.indicators().iloc[0]
    assert start.equals(other.twin.indicators().iloc[0])  # same region at quarter 0
    assert not other.indicators().equals(other.twin.indicators())


@pytest.mark.parametrize(
    "extreme",
    [
        {"budget_percent": 0.0},
        {"budget_percent": 2.0},
        {"institutional_quality": 0.0, "citizen_participation": 0.0},
        {"institutional_quality": 1.0, "citizen_participation": 1.0},
    ],
)
def test_every_slider_position_runs(extreme):
    settings = replace(DashboardSettings.for_archetype(), **extreme).with_share("living_labs", 1.0)
    model = DashboardModel(settings)
    model.run_for(8)
    shown = model.histories()[0][list(views.KEY_INDICATORS)]
    assert shown.notna().all().all() and (shown >= 0).all().all()


def test_views_never_see_a_half_finished_step():
    model = DashboardModel()
    player = threading.Thread(target=model.run_for, args=(25,))
    player.start()
    while player.is_alive():
        with model.lock:
            main, twin = model.histories()
            assert len(main) == len(twin) == model.completed_steps + 1
    player.join()
    assert len(model.histories()[0]) == 26
    assert len(views.comparison_rows(model)) == len(views.KEY_INDICATORS)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seed": -1}, "seed"),
        ({"archetype": "atlantis"}, "archetype"),
        ({"budget_percent": -0.5}, "budget_share"),
        ({"institutional_quality": 1.5}, "institutional_quality"),
        ({"governance": "anarchy"}, "governance"),
    ],
)
def test_invalid_settings_give_one_line_naming_the_field(change, field):
    with pytest.raises(ScenarioError) as error:
        DashboardModel(replace(DashboardSettings.for_archetype(), **change))
    message = str(error.value)
    assert field in message and "\n" not in message


def test_the_command_line_defaults_are_the_servers():
    from smartspec.cli_parser import build_parser
    from smartspec.dashboard import server

    args = build_parser().parse_args(["dashboard"])
    assert args.session_timeout == server.DEFAULT_SESSION_TIMEOUT
    assert args.max_sessions == server.DEFAULT_MAX_SESSIONS
    assert (args.host, args.port) == (server.DEFAULT_HOST, server.DEFAULT_PORT)


def test_the_dashboard_command_reports_a_taken_port(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already in use" in err[0]


# ------------------------------------------------------------------ charts and views


def test_tick_values_are_round_and_whole_for_counts():
    assert nice_ticks(0, 10) == [0, 2.5, 5, 7.5, 10]
    assert nice_ticks(0.000302, 0.000381)[0] <= 0.000302
    assert nice_ticks(0.000302, 0.000381)[-1] >= 0.000381
    for high in (0.4, 1, 3, 7, 26, 130):
        ticks = nice_ticks(0, high, integer=True)
        assert all(float(tick).is_integer() for tick in ticks), ticks
        assert ticks[0] <= 0 and ticks[-1] >= high


@pytest.mark.parametrize(
    ("value", "integer", "shown"),
    [
        (3041.7, False, "3,042"),
        (0.50912, False, "0.509"),
        (12, True, "12"),
        (2.5e-5, False, "0.0000250"),
        (-1.66, False, "-1.66"),
        (float("nan"), False, "–"),
    ],
)
def test_numbers_are_formatted_for_people(value, integer, shown):
    assert format_value(value, integer) == shown
    assert "e+" not in format_value(value * 1e6, integer) and "e-" not in format_value(value)


def _svg_texts(svg: str) -> list[tuple[str, float]]:
    """(text, font size in the drawing's units) of every text of an SVG string."""
    root = ElementTree.fromstring(svg)
    default = float(root.get("font-size"))
    return [
        (element.text or "", float(element.get("font-size", default)))
        for element in root.iter("{http://www.w3.org/2000/svg}text")
    ]


def test_quarter_zero_shows_the_starting_values_with_units():
    model = DashboardModel()
    for column, title in views.KEY_INDICATORS.items():
        svg = views.indicator_chart(model, column)
        texts = [text for text, _ in _svg_texts(svg)]
        assert title in texts and views.unit_of(column) in texts
        assert "years since the start" in texts
        assert any(text.startswith("now ") for text in texts)
        assert svg.count("<circle") == 1  # the starting value, drawn as a dot
        if column in views.INTEGER_INDICATORS:
            ticks = [text for text in texts if re.fullmatch(r"-?[\d,.]+", text)]
            assert all("." not in tick for tick in ticks), (column, ticks)
    # "EU reference = 100" is explained in the same words on the page and in the tour.
    tour = " ".join((Path(__file__).parents[1] / "docs" / "dashboard.md").read_text().split())
    assert views.REFERENCE_NOTE.removeprefix("Innovation index: ") in tour


def test_every_view_is_valid_svg_with_readable_text():
    model = DashboardModel()
    model.run_for(6)
    drawings = [
        *(views.indicator_chart(model, column) for column in views.KEY_INDICATORS),
        *(views.comparison_chart(model, column) for column in views.KEY_INDICATORS),
        views.network_svg(model),
        views.knowledge_space_svg(model),
    ]
    for svg in drawings:
        sizes = [size for _, size in _svg_texts(svg)]
        # Drawn at about their display width, so 12 units are about 11-12 px on screen; the
        # browser test measures the real sizes.
        assert sizes and min(sizes) >= 12
    network = views.network_svg(model)
    assert "citizen groups:" in network and "universities:" in network


def test_a_view_that_cannot_draw_shows_one_line_not_a_traceback(caplog):
    from smartspec.dashboard import app

    def broken():
        raise RuntimeError("no data yet")

    shown = app._drawn(broken)
    assert "Could not draw this view: no data yet" in shown and "Traceback" not in shown
    assert "no data yet" in caplog.text and "Traceback" in caplog.text  # in the server's log


def test_the_first_screen_shows_named_views_quarter_0_and_a_prompt():
    import ipyvuetify
    import solara

    from smartspec.dashboard import app

    _, rendered = solara.render(app.Page(), handle_error=False)
    tabs = [tab.children for tab in rendered.find(ipyvuetify.Tab).widgets]
    assert tabs == [[name] for name in app.VIEW_NAMES]
    shown = [widget.unsafe_innerHTML for widget in rendered.find(solara.widgets.HTML).widgets]
    assert app.quarter_text(0) == "Quarter 0 of 120 (year 0)" and app.quarter_text(0) in shown
    assert any("Press ▶ Play or Step" in html for html in shown)
    assert sum(html.startswith("<svg") for html in shown) == len(views.KEY_INDICATORS)
    labels = [button.children for button in rendered.find(ipyvuetify.Btn).widgets]
    assert ["▶ Play"] in labels and ["Step"] in labels and ["Reset"] in labels
    sliders = [slider.label for slider in rendered.find(ipyvuetify.Slider).widgets]
    assert "Pause between quarters: 50 ms" in sliders and "Redraw every 1 quarter" in sliders
    assert not rendered.find(ipyvuetify.Checkbox).widgets  # no "Use Threads"


# ------------------------------------------------------------------ in a real browser

#: Rendered size (px) of every visible text on the page: SVG text scaled by its drawing, HTML
#: text by its computed style and any CSS transform (Vuetify shrinks floating labels).
TEXT_SIZES_JS = """
() => {
  const sizes = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  for (const text of document.querySelectorAll('svg.smartspec-chart text')) {
    if (!visible(text) || !text.textContent.trim()) continue;
    const m = text.getScreenCTM();
    const size = parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
    sizes.push([text.textContent.trim(), size]);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    if (!node.textContent.trim() || element.closest('svg') || !visible(element)) continue;
    if (getComputedStyle(element).visibility === 'hidden') continue;
    const scale = element.getBoundingClientRect().height / (element.offsetHeight || 1);
    const size = parseFloat(getComputedStyle(element).fontSize) * Math.min(1, scale);
    sizes.push([node.textContent.trim().slice(0, 40), size]);
  }
  return sizes;
}
"""


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses listening on ``port`` (from /proc/net/tcp; state 0A = LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if state == "0A" and int(local_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.fixture(scope="module")
def dashboard():
    with dashboard_server() as server:
        yield server
    # The server must never have tried to fetch an asset from outside (Solara logs such
    # attempts as "Could not load URL").
    assert "Could not load URL" not in server["stderr"], server["stderr"]
    assert "Traceback" not in server["stderr"], server["stderr"]


@contextlib.contextmanager
def _chromium_page(viewport=VIEWPORT):
    playwright = require_chromium()
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport=viewport)
            yield context, context.new_page()
        finally:
            browser.close()


def _check_readable(page, view_name: str) -> None:
    small = [(text, round(size, 1)) for text, size in page.evaluate(TEXT_SIZES_JS) if size < 10]
    assert not small, f"{view_name}: text under 10 px at 1280x800: {small[:10]}"
    overflow = page.evaluate("document.scrollingElement.scrollWidth")
    assert overflow <= VIEWPORT["width"], f"{view_name}: page {overflow} px wide"


@pytest.mark.browser
def test_dashboard_in_headless_chromium(dashboard, tmp_path):
    from playwright.sync_api import expect

    assert dashboard["url"] in dashboard["banner"]
    assert _listening_addresses(dashboard["port"]) == {"127.0.0.1"}

    with _chromium_page() as (context, page):
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(dashboard["url"])

        # The first screen: quarter 0, a prompt, six charts with their starting values.
        expect(page.get_by_text("Quarter 0 of 120 (year 0)")).to_be_visible(timeout=60_000)
        expect(page.get_by_text(re.compile(r"Press ▶ Play or Step"))).to_be_visible()
        charts = page.locator("svg.smartspec-chart")
        expect(charts).to_have_count(len(views.KEY_INDICATORS))
        for index in range(len(views.KEY_INDICATORS)):
            box = charts.nth(index).bounding_box()
            assert box["y"] + box["height"] <= VIEWPORT["height"], "a chart is below the fold"
            assert box["width"] >= 270
        body = page.locator("body").inner_text()
        for gone in ("Page 0", "Use Threads", "runs on Solara", "Model Parameters"):
            assert gone.lower() not in body.lower(), gone

        # Named views, each readable at 1280 x 800.
        for name in VIEW_NAMES:
            view(page, name)
            expect(page.locator("svg.smartspec-chart").first).to_be_visible()
            _check_readable(page, name)
        view(page, VIEW_NAMES[0])

        # Change controls: governance, then the budget and one share by keyboard.
        press(page, "quadruple helix")
        budget = page.locator(".v-input", has_text="S3 budget")
        expect(budget.locator("label")).to_have_text("S3 budget: 0.30 % of GDP per year")
        budget.locator("[role=slider]").focus()
        page.keyboard.press("ArrowRight")
        settle(page, budget.locator("label", has_text="S3 budget: 0.31 % of GDP per year"))
        share = page.locator(".v-input", has_text="rd grants").locator("[role=slider]")
        share.focus()
        page.keyboard.press("ArrowRight")
        settle(page, page.get_by_text(re.compile(r"^rd grants: 0\.31")))
        expect(page.get_by_text("Total: 1.00")).to_be_visible()
        expect(page.get_by_text(re.compile(r"baseline \(edited\)")).first).to_be_visible()
        first_chart = charts.first.inner_html()

        # Step the model and see the chart change.
        step(page, 3)
        expect(page.get_by_text("Quarter 3 of 120 (year 0.75)")).to_be_visible()
        assert charts.first.inner_html() != first_chart
        expect(page.get_by_text(re.compile(r"Press ▶ Play or Step"))).to_have_count(0)

        # Play, then pause.
        page.get_by_role("button", name="▶ Play").click()
        expect(page.get_by_text(QUARTER).first).to_have_text(
            re.compile(r"^Quarter ([5-9]|\d\d+) of"), timeout=30_000
        )
        page.get_by_role("button", name="❚❚ Pause").click()
        expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=20_000)

        # The side-by-side comparison of two mixes, six charts and a table.
        view(page, "Mix A vs mix B")
        expect(page.locator("table.smartspec-comparison")).to_be_visible(timeout=20_000)
        expect(page.locator(".smartspec-legend")).to_contain_text("A: baseline (edited)")
        expect(page.locator(".smartspec-legend")).to_contain_text("B: capacity_first")
        expect(page.locator("svg.smartspec-chart")).to_have_count(len(views.KEY_INDICATORS))
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot))

        # A second tab of the same browser has its own model, at quarter 0.
        other = context.new_page()
        other.goto(dashboard["url"])
        expect(other.get_by_text("Quarter 0 of 120")).to_be_visible(timeout=60_000)
        assert quarter(page) > 0

        # An invalid value is a message, never a traceback; the run is kept.
        kept = quarter(page)
        seed = page.get_by_label("Seed")
        seed.fill("-3")
        seed.press("Enter")
        expect(page.get_by_text(re.compile(r"seed: must be a whole number"))).to_be_visible(
            timeout=20_000
        )
        assert "Traceback" not in page.locator("body").inner_text()
        assert quarter(page) == kept

        # Reset returns to quarter 0 with the current settings.
        page.get_by_role("button", name="Reset").click()
        settle(page)
        expect(page.get_by_text(re.compile(r"^S3 budget: 0.31 % of GDP"))).to_be_visible()

        # At 800 px the controls stack above the charts, no menu to open.
        page.set_viewport_size({"width": 800, "height": 800})
        expect(page.get_by_role("button", name="Step")).to_be_in_viewport()
        controls = page.locator(".smartspec-controls").bounding_box()
        main_area = page.locator(".smartspec-main").bounding_box()
        assert main_area["y"] >= controls["y"] + controls["height"] - 1
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 800

    local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")
    assert all(url.startswith(local) for url in requests), [
        url for url in requests if not url.startswith(local)
    ]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


@pytest.mark.browser
def test_the_guided_tour_matches_the_app(dashboard):
    """docs/dashboard.md's five steps, followed in the app, every quoted figure checked."""
    with _chromium_page() as (_, page):
        page.goto(dashboard["url"])
        expect_visible = require_chromium().expect
        expect_visible(page.locator("svg.smartspec-chart").first).to_be_visible(timeout=60_000)
        follow_tour(page)


#: Sessions of the limited server: its session timeout (s) and maximum.
SESSION_TIMEOUT, MAX_SESSIONS = 2, 1


@pytest.fixture(scope="module")
def limited_dashboard():
    """A dashboard whose rebuilds take 3 s (the test hook), with one session at most, freed
    2 s after its browser went away."""
    options = ("--max-sessions", str(MAX_SESSIONS), "--session-timeout", str(SESSION_TIMEOUT))
    with dashboard_server(options=options, env={REBUILD_DELAY_VARIABLE: "3"}) as server:
        yield server
    assert "Traceback" not in server["stderr"], server["stderr"]


@pytest.mark.browser
def test_the_printed_address_answers_and_a_rebuild_shows_a_busy_state(limited_dashboard):
    """A browser opened the moment the address is printed gets the page. A change of
    setting greys the charts and disables Play/Step until the new run is built."""
    from playwright.sync_api import expect

    with _chromium_page() as (_, page):
        page.goto(limited_dashboard["url"])  # at once: the fixture yields on the banner
        expect(page.locator("svg.smartspec-chart").first).to_be_visible(timeout=60_000)
        step(page, 2)
        page.get_by_role("button", name="triple helix").click()
        busy = page.locator(".smartspec-busy")
        expect(busy).to_have_text(re.compile("Building a new run with your settings"))
        expect(page.locator(".smartspec-stale")).to_have_count(1)
        expect(page.get_by_role("button", name="Step")).to_be_disabled()
        expect(page.get_by_role("button", name="▶ Play")).to_be_disabled()
        assert quarter(page) == 2  # the old run stays on screen, greyed, meanwhile
        expect(busy).to_have_count(0, timeout=20_000)
        expect(page.locator(".smartspec-stale")).to_have_count(0)
        expect(page.get_by_text(QUARTER).first).to_have_text(re.compile(r"^Quarter 0 of"))
        expect(page.get_by_role("button", name="Step")).to_be_enabled()
        expect(page.locator(".v-btn--active", has_text="triple helix")).to_be_visible()


@pytest.mark.browser
def test_sessions_end_and_are_capped(limited_dashboard):
    """Sessions are capped, and a vanished browser's session is freed after the timeout."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    server, timeout = limited_dashboard, SESSION_TIMEOUT
    base = f"ws://127.0.0.1:{server['port']}/jupyter/api/kernels"

    connections = contextlib.ExitStack()

    def open_session():
        url = f"{base}/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"
        return connections.enter_context(connect(url))

    def refused(connection) -> bool:
        try:
            connection.recv(timeout=1.5)
        except TimeoutError:
            return False
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 1013, closed.rcvd
            assert f"maximum of {MAX_SESSIONS} session" in closed.rcvd.reason
            return True
        return False

    def accepted_within(seconds: float):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            connection = open_session()
            if not refused(connection):
                return connection
            time.sleep(0.5)
        raise AssertionError(f"no session freed within {seconds} s")

    with connections:
        # The previous test's browser is gone: its session is freed once the timeout has passed.
        first = accepted_within(timeout + 15)
        # Raw connects beyond the maximum create no session; new page loads are told why.
        for _ in range(3):
            assert refused(open_session())
        with pytest.raises(urllib.error.HTTPError) as page_load:
            urllib.request.urlopen(server["url"], timeout=10)
        assert page_load.value.code == 503
        assert f"maximum of {MAX_SESSIONS} session" in page_load.value.read().decode()
        # A client that dies without closing its connection: its session lingers for the
        # timeout (a reload would find it), then it is freed.
        first.socket.close()
        died = time.monotonic()
        assert refused(open_session())
        accepted_within(timeout + 15).close()
        assert time.monotonic() - died >= timeout
