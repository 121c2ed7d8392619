"""The dashboard: the rules its controls follow, and the real thing in headless Chromium."""

from __future__ import annotations

import math
import re
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, dashboard_server, require_chromium
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.cli import main
from smartspec.dashboard import DashboardModel, DashboardSettings, rebalance_shares, views
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


def test_mesa_reset_rebuilds_the_model_from_the_session_settings():
    """SolaraViz's Reset calls the model class with the fixed ``settings`` parameter (the
    session's reactive settings); its parameter checks must accept the model."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

    class Reactive:
        value = replace(DashboardSettings.for_archetype("strong"), seed=7)

    model = DashboardModel()
    _check_model_params(model, {"settings": Reactive})
    kwargs = _build_model_init_kwargs(
        model,
        {"settings": Reactive},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    rebuilt = type(model)(**kwargs)
    assert rebuilt.settings == Reactive.value
    assert rebuilt.spec.name == "strong"


def test_the_dashboard_command_reports_a_taken_port(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already in use" in err[0]


# ------------------------------------------------------------------ in a real browser


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


def _time_shown(page) -> str:
    return page.get_by_text(re.compile(r"^Time: ")).first.inner_text()


@pytest.mark.browser
def test_dashboard_in_headless_chromium(dashboard, tmp_path):
    playwright = require_chromium()
    from playwright.sync_api import expect

    assert dashboard["url"] in dashboard["banner"]
    assert _listening_addresses(dashboard["port"]) == {"127.0.0.1"}

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1000})
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(dashboard["url"])
            expect(page.get_by_text("Region and policy")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Time: 0.0")).to_be_visible(timeout=20_000)
            first_plot = page.locator("img").first
            expect(first_plot).to_be_visible(timeout=20_000)

            # Change controls: governance, then the budget and one share by keyboard.
            page.get_by_role("button", name="quadruple helix").click()
            budget = page.get_by_text(re.compile(r"^S3 budget: 0.30 % of GDP"))
            expect(budget).to_be_visible()
            slider = page.locator(".v-slider").nth(2).locator("[role=slider]")
            slider.focus()
            page.keyboard.press("ArrowRight")
            expect(page.get_by_text(re.compile(r"^S3 budget: 0.31 % of GDP"))).to_be_visible(
                timeout=20_000
            )
            share = page.locator(".v-slider").nth(5).locator("[role=slider]")  # rd grants
            share.focus()
            page.keyboard.press("ArrowRight")
            expect(page.get_by_text(re.compile(r"^rd grants: 0\.31"))).to_be_visible(timeout=20_000)
            expect(page.get_by_text("Total: 1.00")).to_be_visible()
            expect(page.get_by_text(re.compile(r"baseline \(edited\)")).first).to_be_visible()
            before = first_plot.get_attribute("src")

            # Step the model and see the plot change.
            for expected in ("1.0", "2.0", "3.0"):
                page.get_by_role("button", name="Step").click()
                expect(page.get_by_text(f"Time: {expected}")).to_be_visible(timeout=20_000)
            expect(first_plot).not_to_have_attribute("src", before or "", timeout=20_000)

            # Play, then pause.
            page.get_by_role("button", name="▶").click()
            expect(page.get_by_text(re.compile(r"^Time: ([5-9]|\d\d)\.0"))).to_be_visible(
                timeout=30_000
            )
            page.get_by_role("button", name="❚❚").click()
            expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=20_000)

            # The side-by-side comparison of two mixes.
            page.get_by_role("tab", name="Page 2").click()
            expect(page.locator("table.smartspec-comparison")).to_be_visible(timeout=20_000)
            expect(
                page.get_by_text(re.compile(r"A = baseline \(edited\), B = capacity_first"))
            ).to_be_visible()
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot))

            # A second tab of the same browser has its own model, at quarter 0.
            other = context.new_page()
            other.goto(dashboard["url"])
            expect(other.get_by_text("Time: 0.0")).to_be_visible(timeout=60_000)
            assert _time_shown(page) != "Time: 0.0"

            # An invalid value is a message, never a traceback.
            seed = page.get_by_label("Seed")
            seed.fill("-3")
            seed.press("Enter")
            expect(page.get_by_text(re.compile(r"seed: must be a whole number"))).to_be_visible(
                timeout=20_000
            )
            assert "Traceback" not in page.locator("body").inner_text()

            # Reset returns to quarter 0 with the current settings.
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("Time: 0.0")).to_be_visible(timeout=20_000)
            expect(page.get_by_text(re.compile(r"^S3 budget: 0.31 % of GDP"))).to_be_visible()
        finally:
            browser.close()

    local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")
    assert all(url.startswith(local) for url in requests), [
        url for url in requests if not url.startswith(local)
    ]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_the_comparison_panels_cover_the_key_indicators():
    assert list(views.SHORT_TITLES) == list(views.KEY_INDICATORS)


def test_a_view_that_cannot_draw_shows_one_line_not_a_traceback(caplog):
    import ipyvuetify
    import ipywidgets
    import solara

    from smartspec.dashboard import app

    model = DashboardModel()

    def broken(model):
        raise RuntimeError("no data yet")

    failing, working = app._figure_view(broken), app._figure_view(views.knowledge_space_figure)

    @solara.component
    def Host():
        with solara.Column() as main:
            failing(model)
            working(model)
        return main

    _, rendered = solara.render(Host(), handle_error=False)
    alerts = rendered.find(ipyvuetify.Alert).widgets
    assert [alert.children for alert in alerts] == [["Could not draw this view: no data yet"]]
    assert len(rendered.find(ipywidgets.Image).widgets) == 1
    assert "no data yet" in caplog.text  # the traceback goes to the server's log
