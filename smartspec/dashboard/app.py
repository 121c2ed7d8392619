"""The SmartSpec dashboard: Mesa's SolaraViz around an ecosystem model, one model per session.

Served by ``smartspec dashboard`` (see :mod:`smartspec.dashboard.server`); Solara imports this
module once per server and renders :func:`Page` once per browser session, so everything a
session owns (settings, model) lives in component state, never at module level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from html import escape
from typing import Any

import solara
from mesa.visualization import SolaraViz

from smartspec.dashboard import views
from smartspec.dashboard.settings import (
    ARCHETYPES,
    BUDGET_RANGE,
    GOVERNANCE_MODELS,
    SHARE_STEP,
    DashboardModel,
    DashboardSettings,
    mix_names,
)
from smartspec.scenarios import INSTRUMENTS, ScenarioError

__all__ = ["COMPONENTS", "Page"]

logger = logging.getLogger(__name__)
INDICATORS_PAGE, STRUCTURE_PAGE, COMPARISON_PAGE = 0, 1, 2
PAGE_GUIDE = (
    "Page 0: the key indicators over time. Page 1: the collaboration network (by actor type) "
    "and the region's specialisations on the knowledge space. Page 2: mix A against mix B, "
    "same seed."
)
#: Mesa's "Model Parameters" card stays empty (every setting is in our own cards, which keep
#: the instrument shares summing to 1), so empty cards are hidden; the table gets some air.
STYLE = """
.v-card:has(> .v-card__text > .v-sheet:empty) { display: none; }
table.smartspec-comparison { border-collapse: collapse; margin: 8px 0; }
table.smartspec-comparison th, table.smartspec-comparison td {
    padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right;
}
table.smartspec-comparison th:first-child, table.smartspec-comparison td:first-child {
    text-align: left;
}
"""


def _figure_view(make_figure: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # Plain functions (not solara components): SolaraViz wraps them so they redraw after
    # every step.
    def view(model: Any) -> Any:
        def draw() -> Any:
            try:
                with model.lock:
                    return make_figure(model)
            except Exception as error:  # noqa: BLE001 - a classroom sees a line, not a traceback
                logger.exception("could not draw %s", make_figure.__name__)
                return f"Could not draw this view: {error}"

        # Redraw only when the run moved on (or a new run started), not on every re-render.
        version = [id(model), model.completed_steps]
        figure = solara.use_memo(draw, version)
        if isinstance(figure, str):
            return solara.Error(figure)
        return solara.FigureMatplotlib(figure, dependencies=version, format="png")

    view.__name__ = f"view_{make_figure.__name__}"
    return view


def _indicator_view(column: str) -> Callable[[Any], Any]:
    def make_figure(model: Any) -> Any:
        return views.indicator_figure(model, column)

    make_figure.__name__ = column
    return _figure_view(make_figure)


def _comparison_table(model: Any) -> Any:
    # Plain HTML, not solara.Markdown: Markdown pulls KaTeX from a CDN.
    settings = model.settings
    rows = views.comparison_rows(model)  # reads the tables under the model's lock
    cells = "".join(
        f"<tr><td>{escape(row['indicator'])}</td><td>{row['A']:.3g}</td>"
        f"<td>{row['B']:.3g}</td><td>{row['B - A']:+.3g}</td></tr>"
        for row in rows
    )
    html = (
        f"<p><b>Quarter {model.steps}</b>, same seed ({settings.seed}): "
        f"A = {escape(settings.mix_label())}, B = {escape(settings.compare_mix)}</p>"
        '<table class="smartspec-comparison">'
        "<tr><th>indicator</th><th>A</th><th>B</th><th>B &minus; A</th></tr>"
        f"{cells}</table>"
        "<p>Both runs start from the same region and the same random draws: the differences "
        "come from how the budget is split, plus the chance events that split sets off. "
        "Change the seed to see how large chance alone is.</p>"
    )
    return solara.HTML(tag="div", unsafe_innerHTML=html)


COMPONENTS = [
    *[(_indicator_view(column), INDICATORS_PAGE) for column in views.KEY_INDICATORS],
    (_figure_view(views.network_figure), STRUCTURE_PAGE),
    (_figure_view(views.knowledge_space_figure), STRUCTURE_PAGE),
    (_figure_view(views.comparison_figure), COMPARISON_PAGE),
    (_comparison_table, COMPARISON_PAGE),
]


#: Numeric settings: field, label, unit, range and step. Steps of 0.01 keep the archetypes'
#: values (0.12, 0.85, ...) on the slider's grid, so a slider never snaps them on display.
NUMBER_SLIDERS = [
    ("budget_percent", "S3 budget", " % of GDP per year", *BUDGET_RANGE, 0.01),
    ("institutional_quality", "Institutional quality", "", 0.0, 1.0, 0.01),
    ("citizen_participation", "Citizen participation", "", 0.0, 1.0, 0.01),
]
GOVERNANCE_LABELS = {
    "top_down": "top-down",
    "triple_helix": "triple helix",
    "quadruple_helix": "quadruple helix",
}


def _label(name: str) -> str:
    return name.replace("_", " ")


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
                label=f"{label}: {value:.{0 if step >= 1 else 2}f}{unit}",
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
        solara.Text(PAGE_GUIDE)


@solara.component
def Page() -> None:
    """One browser session: its own settings and its own model."""
    settings = solara.use_reactive(DashboardSettings.for_archetype())
    first_model = solara.use_memo(lambda: DashboardModel(settings.value), [])
    model = solara.use_reactive(first_model)
    message = solara.use_reactive(None)

    def apply(candidate: DashboardSettings) -> None:
        # Only validated settings reach the session state: Mesa's Reset rebuilds the model
        # from them, so it can never meet an invalid combination.
        if candidate == settings.value:
            return  # a control repeating its value (e.g. a slider on release): keep the run
        try:
            new_model = DashboardModel(candidate)
        except (ScenarioError, ValueError) as error:
            message.set(str(error))
            return
        message.set(None)
        settings.set(candidate)
        model.set(new_model)

    solara.Style(STYLE)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params={"settings": settings},
        name="SmartSpec: a regional innovation ecosystem",
        play_interval=50,
    )
    _SettingsSidebar(settings.value, apply, message.value)


@solara.component
def _SettingsSidebar(
    settings: DashboardSettings, apply: Callable[[DashboardSettings], None], message: str | None
) -> None:
    # Solara orders sidebar content by component depth; one level below SolaraViz puts these
    # cards after Mesa's Step/Play/Reset controls.
    _NestedSettingsSidebar(settings, apply, message)


@solara.component
def _NestedSettingsSidebar(
    settings: DashboardSettings, apply: Callable[[DashboardSettings], None], message: str | None
) -> None:
    with solara.Sidebar():
        SettingsCard(settings, apply, message)
