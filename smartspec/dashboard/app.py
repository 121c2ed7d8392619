"""The SmartSpec dashboard page: a Solara page around a Mesa model, one model per session.

Served by ``smartspec dashboard`` (see :mod:`smartspec.dashboard.server`); Solara imports this
module once per server and renders :func:`Page` once per browser session, so everything a
session owns (settings, model, play state) lives in component state, never at module level.

The page is our own rather than Mesa's SolaraViz: SolaraViz names its views "Page 0/1/2",
hides its controls behind a menu on narrow screens, shows sliders without their values and
offers a "Use Threads" switch that means nothing to a student. Its Step/Play/Reset logic is
small and is reproduced here, with a busy state while a new run is built.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from html import escape
from typing import Any

import solara

from smartspec.dashboard import views
from smartspec.dashboard.charts import format_value
from smartspec.dashboard.settings import (
    ARCHETYPES,
    BUDGET_RANGE,
    DASHBOARD_QUARTERS,
    GOVERNANCE_MODELS,
    SHARE_STEP,
    DashboardModel,
    DashboardSettings,
    mix_names,
)
from smartspec.scenarios import INSTRUMENTS, ScenarioError

__all__ = [
    "REBUILD_DELAY_VARIABLE",
    "VIEW_NAMES",
    "ComparisonView",
    "IndicatorsView",
    "Page",
    "RunCard",
    "SettingsCard",
    "StructureView",
    "quarter_text",
]

logger = logging.getLogger(__name__)

#: The three views, as their tabs name them.
VIEW_NAMES = ("Indicators", "Network and knowledge space", "Mix A vs mix B")
VIEW_GUIDE = (
    "Indicators: the six key indicators of mix A over time. Network and knowledge space: who "
    "works with whom, and where the region is specialised. Mix A vs mix B: the same region "
    "and seed under two mixes, side by side."
)
#: Test hook: seconds every rebuild of the run waits first, so a browser test can see the
#: busy state without racing it. Never set in normal use.
REBUILD_DELAY_VARIABLE = "SMARTSPEC_DASHBOARD_REBUILD_DELAY"
#: Default pause between played quarters, milliseconds.
PLAY_INTERVAL_MS = 50
PROMPT = "Quarter 0: the region as it starts. Press ▶ Play or Step to run it quarter by quarter."
BUSY_TEXT = "Building a new run with your settings…"

STYLE = """
.smartspec-layout { display: grid; grid-template-columns: 340px minmax(0, 1fr); gap: 14px;
    padding: 10px 14px; align-items: start; }
@media (max-width: 900px) { .smartspec-layout { grid-template-columns: minmax(0, 1fr); } }
.smartspec-controls .v-card { margin-bottom: 10px; }
/* Slider labels on their own line, so that the track keeps the card's full width. */
.smartspec-controls .v-slider__slot, .smartspec-controls .v-input__slot { flex-wrap: wrap; }
.smartspec-controls .v-input__slot > .v-label { width: 100%; margin-bottom: -4px; }
.smartspec-controls .v-btn-toggle { flex-wrap: wrap; }
.smartspec-title { font-size: 20px; font-weight: 600; margin: 2px 0 4px 0; }
.smartspec-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
    gap: 8px 12px; }
.smartspec-pair { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr));
    gap: 12px; }
.smartspec-chart { width: 100%; height: auto; display: block; }
.smartspec-note { font-size: 13px; color: #444; margin: 6px 0; }
.smartspec-prompt { font-size: 15px; background: #e8f1fb; border-left: 4px solid #1f77b4;
    padding: 8px 12px; margin: 6px 0; }
.smartspec-busy { font-size: 15px; background: #fff4e0; border-left: 4px solid #e8710a;
    padding: 8px 12px; margin: 6px 0; }
.smartspec-stale { opacity: 0.35; pointer-events: none; }
.smartspec-quarter { font-size: 15px; margin: 6px 0; }
.smartspec-legend { font-size: 14px; margin: 4px 0; }
table.smartspec-comparison { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
table.smartspec-comparison th, table.smartspec-comparison td {
    padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right;
}
table.smartspec-comparison th:first-child, table.smartspec-comparison td:first-child {
    text-align: left;
}
"""

#: Numeric settings: field, label, unit, range and step. Steps of 0.01 keep the archetypes'
#: values (0.12, 0.85, ...) on the slider's grid, so a slider never snaps them on display.
NUMBER_SLIDERS = [
    ("budget_percent", "S3 budget", " % of GDP per year", *BUDGET_RANGE, 0.01),
    ("institutional_quality", "Institutional quality", " (0–1)", 0.0, 1.0, 0.01),
    ("citizen_participation", "Citizen participation", " (0–1)", 0.0, 1.0, 0.01),
]
GOVERNANCE_LABELS = {
    "top_down": "top-down",
    "triple_helix": "triple helix",
    "quadruple_helix": "quadruple helix",
}


def _label(name: str) -> str:
    return name.replace("_", " ")


def quarter_text(quarter: int) -> str:
    """The clock as the page shows it: quarters, and the years they make."""
    return f"Quarter {quarter} of {DASHBOARD_QUARTERS} (year {quarter / 4:g})"


def _svg(markup: str) -> Any:
    return solara.HTML(tag="div", unsafe_innerHTML=markup)


def _drawn(draw: Callable[[], str]) -> str:
    try:
        return draw()
    except Exception as error:  # noqa: BLE001 - a classroom sees a line, not a traceback
        logger.exception("could not draw a view")
        return f'<p class="smartspec-note">Could not draw this view: {escape(str(error))}</p>'


@solara.component
def IndicatorsView(model: DashboardModel, quarter: int) -> None:
    """The six key indicators of mix A over time."""

    def draw() -> list[str]:
        with model.lock:
            return [
                _drawn(lambda c=c: views.indicator_chart(model, c)) for c in views.KEY_INDICATORS
            ]

    charts = solara.use_memo(draw, [id(model), quarter])
    with solara.Div(classes=["smartspec-grid"]):
        for chart in charts:
            _svg(chart)
    solara.HTML(tag="p", unsafe_innerHTML=escape(views.REFERENCE_NOTE), classes=["smartspec-note"])


@solara.component
def StructureView(model: DashboardModel, quarter: int) -> None:
    """The collaboration network and the knowledge space."""

    def draw() -> list[str]:
        with model.lock:
            return [
                _drawn(lambda: views.network_svg(model)),
                _drawn(lambda: views.knowledge_space_svg(model)),
            ]

    charts = solara.use_memo(draw, [id(model), quarter])
    with solara.Div(classes=["smartspec-pair"]):
        for chart in charts:
            _svg(chart)


def _comparison_table(model: DashboardModel) -> str:
    # Plain HTML, not solara.Markdown: Markdown pulls KaTeX from a CDN.
    rows = views.comparison_rows(model)  # reads the tables under the model's lock
    cells = "".join(
        f"<tr><td>{escape(row['indicator'])}</td><td>{escape(row['unit'])}</td>"
        f"<td>{format_value(row['A'], row['integer'])}</td>"
        f"<td>{format_value(row['B'], row['integer'])}</td>"
        f"<td>{'+' if row['B - A'] > 0 else ''}{format_value(row['B - A'], row['integer'])}</td>"
        "</tr>"
        for row in rows
    )
    return (
        '<table class="smartspec-comparison">'
        "<tr><th>indicator</th><th>unit</th><th>A</th><th>B</th><th>B &minus; A</th></tr>"
        f"{cells}</table>"
    )


@solara.component
def ComparisonView(model: DashboardModel, quarter: int) -> None:
    """Mix A against mix B, same region, same seed."""
    settings = model.settings

    def draw() -> tuple[list[str], str]:
        with model.lock:
            charts = [
                _drawn(lambda c=c: views.comparison_chart(model, c)) for c in views.KEY_INDICATORS
            ]
            return charts, _drawn(lambda: _comparison_table(model))

    charts, table = solara.use_memo(draw, [id(model), quarter])
    solara.HTML(
        tag="p",
        classes=["smartspec-legend"],
        unsafe_innerHTML=(
            f'<span style="color:{views.MAIN_COLOUR}">━━ A: {escape(settings.mix_label())}</span>'
            f' &nbsp; <span style="color:{views.TWIN_COLOUR}">╍╍ B: '
            f"{escape(settings.compare_mix)}</span> &nbsp; (same region, same seed "
            f"{settings.seed}; quarter {quarter})"
        ),
    )
    with solara.Div(classes=["smartspec-grid"]):
        for chart in charts:
            _svg(chart)
    _svg(table)
    solara.HTML(
        tag="p",
        classes=["smartspec-note"],
        unsafe_innerHTML=(
            "Both runs start from the same region and the same random draws: the differences "
            "come from how the budget is split, plus the chance events that split sets off. "
            "Change the seed to see how large chance alone is. " + escape(views.REFERENCE_NOTE)
        ),
    )


@solara.component
def RunCard(
    quarter: int,
    running: bool,
    playing: solara.Reactive[bool],
    busy: bool,
    play_interval: solara.Reactive[int],
    render_interval: solara.Reactive[int],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
) -> None:
    """Reset, Play/Pause and Step, the clock, and how fast Play goes."""
    with solara.Card("Run"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=on_reset, disabled=busy)
            solara.Button(
                "❚❚ Pause" if playing.value else "▶ Play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=busy or not running,
            )
            solara.Button(
                "Step",
                color="primary",
                on_click=on_step,
                disabled=busy or playing.value or not running,
            )
        solara.HTML(
            tag="div", unsafe_innerHTML=quarter_text(quarter), classes=["smartspec-quarter"]
        )
        if not running:
            solara.Text(f"The run has reached its end ({DASHBOARD_QUARTERS} quarters): Reset.")
        solara.SliderInt(
            label=f"Pause between quarters: {play_interval.value} ms",
            value=play_interval.value,
            on_value=play_interval.set,
            min=0,
            max=500,
            step=10,
        )
        shown = render_interval.value
        solara.SliderInt(
            label=f"Redraw every {shown} quarter{'s' if shown > 1 else ''}",
            value=shown,
            on_value=render_interval.set,
            min=1,
            max=8,
            step=1,
        )


@solara.component
def SettingsCard(
    settings: DashboardSettings, apply: Callable[[DashboardSettings], None], message: str | None
) -> None:
    """The region, the policy mix and the seed. Every change starts a new run at quarter 0."""
    with solara.Card("Region and policy"):
        solara.Select(
            label="Region archetype",
            value=settings.archetype,
            values=list(ARCHETYPES),
            on_value=lambda value: apply(settings.with_archetype(value)),
        )
        solara.Select(
            label="Policy mix (A)",
            value=settings.mix,
            values=mix_names(),
            on_value=lambda value: apply(settings.with_mix(value)),
        )
        for name, label, unit, low, high, step in NUMBER_SLIDERS:
            value = getattr(settings, name)
            solara.SliderFloat(
                label=f"{label}: {value:.2f}{unit}",
                value=value,
                min=low,
                max=high,
                step=step,
                on_value=lambda new, name=name: apply(replace(settings, **{name: float(new)})),
            )
        solara.Text("Governance of the entrepreneurial discovery process")
        with solara.ToggleButtonsSingle(
            value=settings.governance,
            on_value=lambda value: apply(replace(settings, governance=str(value))),
            dense=True,
        ):
            for governance in GOVERNANCE_MODELS:
                solara.Button(GOVERNANCE_LABELS[governance], value=governance)
        solara.Select(
            label="Compare with mix (B)",
            value=settings.compare_mix,
            values=mix_names(),
            on_value=lambda value: apply(replace(settings, compare_mix=value)),
        )
        solara.InputInt(
            label="Seed",
            value=settings.seed,
            on_value=lambda value: apply(replace(settings, seed=value)),
        )
        if message:
            solara.Error(message)
        else:
            solara.Text("Changing a setting starts a new run at quarter 0.")
    with solara.Card("Instrument shares (mix A)"):
        solara.Text(
            f"Mix A: {settings.mix_label()}. Moving one share rescales the others: "
            "the total stays 1."
        )
        for instrument in INSTRUMENTS:
            solara.SliderFloat(
                label=f"{_label(instrument)}: {settings.shares.get(instrument, 0.0):.2f}",
                value=round(settings.shares.get(instrument, 0.0), 2),
                min=0.0,
                max=1.0,
                step=SHARE_STEP,
                on_value=lambda value, name=instrument: apply(settings.with_share(name, value)),
            )
        solara.Text(f"Total: {sum(settings.shares.values()):.2f}")
    with solara.Card("Views"):
        solara.Text(VIEW_GUIDE)


def _rebuild_delay() -> float:
    try:
        return max(0.0, float(os.environ.get(REBUILD_DELAY_VARIABLE, "0") or 0))
    except ValueError:
        return 0.0


@solara.component
def Page() -> None:
    """One browser session: its own settings, model and play state."""
    settings = solara.use_reactive(DashboardSettings.for_archetype())
    first_model = solara.use_memo(lambda: DashboardModel(settings.value), [])
    model = solara.use_reactive(first_model)
    quarter = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    # The settings of the run being built, with a token so that Reset (same settings) and a
    # newer change (superseding a build in progress) are told apart.
    request = solara.use_reactive(None)
    message = solara.use_reactive(None)
    view = solara.use_reactive(0)

    def apply(candidate: DashboardSettings, force: bool = False) -> None:
        shown = request.value[0] if request.value else settings.value
        if candidate == shown and not force:
            return  # a control repeating its value (e.g. a slider on release): keep the run
        playing.set(False)
        request.set((candidate, object()))

    def rebuild() -> None:
        wanted = request.value
        if wanted is None:
            return
        delay = _rebuild_delay()
        if delay:
            time.sleep(delay)
        try:
            new_model = DashboardModel(wanted[0])
        except (ScenarioError, ValueError) as error:
            # Only validated settings become the session's: the current run is kept.
            if request.value is wanted:
                message.set(str(error))
                request.set(None)
            return
        if request.value is not wanted:
            return  # a newer change superseded this one while it was built
        message.set(None)
        settings.set(wanted[0])
        model.set(new_model)
        quarter.set(0)
        request.set(None)

    solara.lab.use_task(rebuild, dependencies=[request.value], prefer_threaded=True)

    def play() -> None:
        current = model.value
        while playing.value and model.value is current and current.running:
            time.sleep(play_interval.value / 1000)
            for _ in range(render_interval.value):
                if not (playing.value and current.running):
                    break
                current.step()
            if model.value is not current:
                return
            quarter.set(current.completed_steps)
        if not current.running:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, model.value], prefer_threaded=True)

    def step() -> None:
        current = model.value
        if current.running:
            current.step()
        quarter.set(current.completed_steps)

    busy = request.value is not None
    current = model.value
    shown_settings = request.value[0] if busy else settings.value

    solara.Style(STYLE)
    with solara.Div(classes=["smartspec-layout"]):
        with solara.Div(classes=["smartspec-controls"]):
            RunCard(
                quarter.value,
                current.running,
                playing,
                busy,
                play_interval,
                render_interval,
                step,
                lambda: apply(settings.value, force=True),
            )
            SettingsCard(shown_settings, apply, message.value)
        with solara.Div(classes=["smartspec-main"]):
            solara.HTML(
                tag="div",
                unsafe_innerHTML="SmartSpec: a regional innovation ecosystem",
                classes=["smartspec-title"],
            )
            if busy:
                with solara.Div(classes=["smartspec-busy"]):
                    solara.ProgressLinear(True)
                    solara.Text(BUSY_TEXT)
            elif quarter.value == 0:
                solara.HTML(
                    tag="div", unsafe_innerHTML=escape(PROMPT), classes=["smartspec-prompt"]
                )
            with solara.v.Tabs(v_model=view.value, on_v_model=view.set):
                for name in VIEW_NAMES:
                    solara.v.Tab(children=[name])
            with solara.Div(classes=["smartspec-stale"] if busy else []):
                shown_view = [IndicatorsView, StructureView, ComparisonView][view.value]
                shown_view(current, quarter.value)
