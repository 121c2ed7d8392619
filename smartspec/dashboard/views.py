"""Figures the dashboard shows, as plain matplotlib (no pyplot state: sessions run in threads).

Each function takes a :class:`~smartspec.dashboard.settings.DashboardModel` and returns a
``Figure``; ``app.py`` wraps them as Mesa visualisation components.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from smartspec.analysis.figures import plot_knowledge_space, plot_network
from smartspec.analysis.plots import KEY_INDICATORS

__all__ = [
    "KEY_INDICATORS",
    "comparison_figure",
    "comparison_rows",
    "indicator_figure",
    "knowledge_space_figure",
    "network_figure",
]

#: Titles that fit the small panels of the comparison figure.
SHORT_TITLES = {
    "innovation_index": "Innovation index",
    "innovations": "Innovations per quarter",
    "specialisations": "Specialisations (RCA >= 1)",
    "network_density": "Network density",
    "social_innovations_total": "Social innovations (total)",
    "absorption_rate": "Budget absorption rate",
}
MAIN_COLOUR = "#1f77b4"
TWIN_COLOUR = "#ff7f0e"
#: Largest networks drawn node by node; bigger ones show their best-connected actors.
NETWORK_NODES = 250


def indicator_figure(model: Any, column: str) -> Figure:
    """One key indicator over time for the chosen mix."""
    frame = model.histories()[0]
    # Fixed margins instead of constrained layout: it halves the time to draw, and these
    # figures are redrawn after every step.
    figure = Figure(figsize=(5.2, 3.4), dpi=90)
    figure.subplots_adjust(left=0.15, right=0.97, top=0.9, bottom=0.14)
    axis = figure.subplots()
    axis.plot(frame["step"] / 4.0, frame[column], color=MAIN_COLOUR, linewidth=1.8)
    axis.set_title(KEY_INDICATORS[column], fontsize=10)
    axis.set_xlabel("years")
    axis.set_xlim(0, max(2.0, model.steps / 4.0))
    axis.grid(alpha=0.3)
    return figure


def comparison_figure(model: Any) -> Figure:
    """The six key indicators for both mixes, same seed, same axes."""
    main, twin = model.histories()
    figure = Figure(figsize=(7.5, 4.8), dpi=90)
    figure.subplots_adjust(left=0.08, right=0.99, top=0.87, bottom=0.09, wspace=0.38, hspace=0.5)
    axes = figure.subplots(2, 3).ravel()
    for axis, (column, title) in zip(axes, SHORT_TITLES.items(), strict=True):
        axis.plot(main["step"] / 4.0, main[column], color=MAIN_COLOUR, linewidth=1.8)
        axis.plot(twin["step"] / 4.0, twin[column], color=TWIN_COLOUR, linewidth=1.8, ls="--")
        axis.set_title(title, fontsize=9)
        axis.set_xlim(0, max(2.0, model.steps / 4.0))
        axis.set_xlabel("years", fontsize=8)
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
    figure.legend(
        [f"A: {model.settings.mix_label()}", f"B: {model.settings.compare_mix}"],
        loc="upper center",
        ncols=2,
        fontsize=9,
    )
    return figure


def comparison_rows(model: Any) -> list[dict[str, Any]]:
    """Latest values of the key indicators for both mixes and their difference (B - A)."""
    main, twin = (table.iloc[-1] for table in model.histories())
    return [
        {
            "indicator": title,
            "A": float(main[column]),
            "B": float(twin[column]),
            "B - A": float(twin[column] - main[column]),
        }
        for column, title in KEY_INDICATORS.items()
    ]


def network_figure(model: Any) -> Figure:
    """The collaboration network coloured by actor type."""
    return plot_network(model, max_nodes=NETWORK_NODES, seed=model.settings.seed)


def knowledge_space_figure(model: Any) -> Figure:
    """The region's specialisations and priorities on the knowledge space."""
    return plot_knowledge_space(model, region=0, seed=0)
