"""The SmartSpec dashboard: Mesa's SolaraViz around an ecosystem model, one model per session.

Served by ``smartspec dashboard`` (see :mod:`smartspec.dashboard.server`); Solara imports this
module once per server and renders :func:`Page` once per browser session, so everything a
session owns (settings, model) lives in component state, never at module level.
"""

from __future__ import annotations

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

INDICATORS_PAGE, STRUCTURE_PAGE, COMPARISON_PAGE = 0, 1, 2


def _figure_view(make_figure: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # Plain functions (not solara components): SolaraViz wraps them so they redraw after
    # every step.
    def view(model: Any) -> Any:
        return solara.FigureMatplotlib(make_figure(model), format="png")

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
    cells = "".join(
        f"<tr><td>{escape(row['indicator'])}</td><td>{row['A']:.3g}</td>"
        f"<td>{row['B']:.3g}</td><td>{row['B - A']:+.3g}</td></tr>"
        for row in views.comparison_rows(model)
    )
    html = (
        f"<p><b>Quarter {model.steps}</b>, same seed ({settings.seed}): "
        f"A = {escape(settings.mix_label())}, B = {escape(settings.compare_mix)}</p>"
        '<table class="smartspec-comparison" style="border-collapse: collapse">'
        "<tr><th>indicator</th><th>A</th><th>B</th><th>B &minus; A</th></tr>"
        f"{cells}</table>"
    )
    return solara.HTML(tag="div", unsafe_innerHTML=html)


COMPONENTS = [
    *[(_indicator_view(column), INDICATORS_PAGE) for column in views.KEY_INDICATORS],
    (_figure_view(views.network_figure), STRUCTURE_PAGE),
    (_figure_view(views.knowledge_space_figure), STRUCTURE_PAGE),
    (_figure_view(views.comparison_figure), COMPARISON_PAGE),
    (_comparison_table, COMPARISON_PAGE),
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
        solara.SliderFloat(
            label=f"S3 budget: {settings.budget:.0f} M€ per year",
            value=settings.budget,
            min=BUDGET_RANGE[0],
            max=BUDGET_RANGE[1],
            step=1.0,
            on_value=lambda value: apply(replace(settings, budget=float(value))),
        )
        solara.SliderFloat(
            label=f"Institutional quality: {settings.institutional_quality:.2f}",
            value=settings.institutional_quality,
            min=0.0,
            max=1.0,
            step=0.01,
            on_value=lambda value: apply(replace(settings, institutional_quality=float(value))),
        )
        solara.SliderFloat(
            label=f"Citizen participation: {settings.citizen_participation:.2f}",
            value=settings.citizen_participation,
            min=0.0,
            max=1.0,
            step=0.01,
            on_value=lambda value: apply(replace(settings, citizen_participation=float(value))),
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
    with solara.Card(f"Instrument shares of mix A: {settings.mix_label()}"):
        solara.Text("Moving one share rescales the others: the total stays 1.")
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

    SolaraViz(
        model,
        components=COMPONENTS,
        model_params={"settings": settings},
        name="SmartSpec: a regional innovation ecosystem",
        play_interval=150,
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
