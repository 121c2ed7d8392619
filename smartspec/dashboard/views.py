"""What the dashboard's views draw, as SVG text (no pyplot state: sessions run in threads).

Each function takes a :class:`~smartspec.dashboard.settings.DashboardModel` and returns an
SVG string (or rows for a table); ``app.py`` places them on the page. Labels and units come
from the indicator registry.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

from smartspec.analysis.figures import (
    ACTOR_COLOURS,
    knowledge_graph,
    network_sample,
)
from smartspec.dashboard.charts import Series, format_value, line_chart
from smartspec.model import indicators as registry

__all__ = [
    "INTEGER_INDICATORS",
    "KEY_INDICATORS",
    "REFERENCE_NOTE",
    "comparison_chart",
    "comparison_rows",
    "indicator_chart",
    "knowledge_space_svg",
    "network_svg",
    "unit_of",
]

#: The six indicators of the first view: column -> plain label (from the indicator registry).
KEY_INDICATORS = {
    name: registry.indicator(name).label.replace(">=", "≥") for name in registry.KEY_INDICATORS
}
#: Indicators that count things: their axes get whole-number ticks.
INTEGER_INDICATORS = frozenset({"innovations", "specialisations", "social_innovations_total"})
#: What "EU reference = 100" means; the dashboard and its tour say it in these words.
REFERENCE_NOTE = (
    "Innovation index: 100 = the EU reference, the mean of the four region groups in the base "
    "year weighted by how many European regions each stands for (about the EU average)."
)
MAIN_COLOUR = "#1f77b4"
TWIN_COLOUR = "#e8710a"
PRIORITY_RING = "#111111"
SPECIALISED_COLOUR = "#d62728"
OTHER_DOMAIN_COLOUR = "#c7c7c7"
#: Largest networks drawn node by node; bigger ones show their best-connected actors.
NETWORK_NODES = 250
#: Horizon of the time axis before the run reaches it, in years.
MIN_YEARS = 2.0
LEGEND_NAMES = {1: "universities", 2: "government", 3: "citizen groups"}
NETWORK_WIDTH, NETWORK_HEIGHT = 460, 430


def unit_of(column: str) -> str:
    """The registry's unit of an indicator, as a chart's axis names it."""
    return registry.indicator(column).unit


def _years(model: Any) -> float:
    return max(MIN_YEARS, model.completed_steps / 4.0)


def _current(value: float, column: str) -> str:
    return f"now {format_value(value, column in INTEGER_INDICATORS)}"


def indicator_chart(model: Any, column: str) -> str:
    """One key indicator over time for the chosen mix (A)."""
    frame = model.histories()[0]
    values = frame[column].to_numpy(dtype=float)
    return line_chart(
        KEY_INDICATORS[column],
        unit_of(column),
        [Series(frame["step"].to_numpy() / 4.0, values, MAIN_COLOUR)],
        _years(model),
        integer=column in INTEGER_INDICATORS,
        current=_current(values[-1], column),
    )


def comparison_chart(model: Any, column: str) -> str:
    """One key indicator for both mixes, same seed, same axes (A solid, B dashed)."""
    main, twin = model.histories()
    last = f"A {format_value(main[column].iloc[-1], column in INTEGER_INDICATORS)}, "
    last += f"B {format_value(twin[column].iloc[-1], column in INTEGER_INDICATORS)}"
    return line_chart(
        KEY_INDICATORS[column],
        unit_of(column),
        [
            Series(main["step"].to_numpy() / 4.0, main[column].to_numpy(float), MAIN_COLOUR),
            Series(
                twin["step"].to_numpy() / 4.0,
                twin[column].to_numpy(float),
                TWIN_COLOUR,
                dashed=True,
            ),
        ],
        _years(model),
        integer=column in INTEGER_INDICATORS,
        current=last,
    )


def comparison_rows(model: Any) -> list[dict[str, Any]]:
    """Latest values of the key indicators for both mixes and their difference (B - A)."""
    main, twin = (table.iloc[-1] for table in model.histories())
    return [
        {
            "indicator": title,
            "unit": unit_of(column),
            "integer": column in INTEGER_INDICATORS,
            "A": float(main[column]),
            "B": float(twin[column]),
            "B - A": float(twin[column] - main[column]),
        }
        for column, title in KEY_INDICATORS.items()
    ]


def _scaled(layout: dict[int, Any], nodes: list[int], top: float) -> dict[int, tuple[float, float]]:
    """Layout positions mapped into the drawing, below ``top`` (room for title and legend)."""
    if not nodes:
        return {}
    points = np.array([layout[node] for node in nodes], dtype=float)
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 1e-12, high - low, 1.0)
    margin = 24.0
    width, height = NETWORK_WIDTH - 2 * margin, NETWORK_HEIGHT - top - margin
    scaled = (points - low) / span * [width, height] + [margin, top]
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, scaled, strict=True)}


def _svg_open(title: str, *subtitles: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {NETWORK_WIDTH} '
        f'{NETWORK_HEIGHT}" class="smartspec-chart" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="8" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        *(
            f'<text x="8" y="{38 + 16 * line}" fill="#444">{escape(text)}</text>'
            for line, text in enumerate(subtitles)
        ),
    ]


def network_svg(model: Any) -> str:
    """The collaboration network coloured by actor type (node size: links)."""
    import networkx as nx

    graph = network_sample(model, NETWORK_NODES)
    nodes = list(graph)
    # Each quarter starts from the last quarter's positions: the picture changes as the
    # network does instead of jumping, and a few iterations then suffice (3x faster).
    previous = model.drawing_cache.get("network_layout", {})
    start = {node: previous[node] for node in nodes if node in previous}
    if start:  # new actors start at random places
        layout = nx.spring_layout(graph, pos=start, seed=model.settings.seed, k=0.15, iterations=15)
    elif nodes:
        layout = nx.spring_layout(graph, seed=model.settings.seed, k=0.15)
    else:
        layout = {}
    model.drawing_cache["network_layout"] = layout
    where = _scaled(layout, nodes, top=92)
    parts = _svg_open(
        "Collaboration network",
        f"{graph.number_of_nodes()} actors, {graph.number_of_edges()} links; "
        "node size: number of partners",
    )
    kinds = model.nodes.kind
    alive = model.nodes.alive
    degree = model.network.node_degree(model.nodes.capacity)
    for index, kind in enumerate(ACTOR_COLOURS):
        x, y = 14 + 220 * (index % 2), 60 + 18 * (index // 2)
        members = alive & (kinds == kind)
        if kind == 0:
            label = f"firms: {int(members.sum()):,} in the region"
        else:
            # Links of the few non-firm actors (no two of them link with each other).
            links = int(degree[members].sum())
            label = f"{LEGEND_NAMES[kind]}: {links} link{'' if links == 1 else 's'}"
        parts.append(
            f'<circle cx="{x}" cy="{y - 4}" r="6" fill="{ACTOR_COLOURS[kind]}"/>'
            f'<text x="{x + 10}" y="{y}">{escape(label)}</text>'
        )
    path = " ".join(
        f"M{where[a][0]:.1f} {where[a][1]:.1f}L{where[b][0]:.1f} {where[b][1]:.1f}"
        for a, b in graph.edges()
    )
    if path:
        parts.append(f'<path d="{path}" stroke="#777" stroke-opacity="0.25" fill="none"/>')
    # Firms first, so that the few universities, governments and citizen groups stay visible.
    for node in sorted(nodes, key=lambda node: int(kinds[node])):
        x, y = where[node]
        radius = 2.5 + 1.2 * math.sqrt(graph.degree(node))
        colour = ACTOR_COLOURS[int(kinds[node])]
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" '
            'stroke="white" stroke-width="0.6"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _knowledge_layout(model: Any) -> dict[int, Any]:
    # The knowledge space does not change during a run: place it once per model.
    cache = model.drawing_cache
    if "knowledge_layout" not in cache:
        import networkx as nx

        graph = knowledge_graph(model.knowledge)
        cache["knowledge_layout"] = nx.spring_layout(graph, seed=0, weight="weight")
    return cache["knowledge_layout"]


def knowledge_space_svg(model: Any) -> str:
    """The technology domains placed by relatedness, with the region's specialisations
    (RCA >= 1, red, size = RCA) and its government's priorities (ringed)."""
    space = model.knowledge
    graph = knowledge_graph(space)
    layout = _knowledge_layout(model)
    nodes = list(range(space.size))
    where = _scaled(layout, nodes, top=90)
    snapshot = model.domain_snapshot
    rca, priority = snapshot["rca"][0], snapshot["priority"][0]
    parts = _svg_open(
        "Knowledge space (domains placed by relatedness)",
        f"red: the region is specialised (RCA ≥ 1), {int((rca >= 1).sum())} domains; size: RCA",
        f"ringed: the government's priorities, {int(priority.sum())} domains",
    )
    path = " ".join(
        f"M{where[a][0]:.1f} {where[a][1]:.1f}L{where[b][0]:.1f} {where[b][1]:.1f}"
        for a, b in graph.edges()
    )
    if path:
        parts.append(f'<path d="{path}" stroke="#888" stroke-opacity="0.3" fill="none"/>')
    for domain in nodes:
        x, y = where[domain]
        value = float(rca[domain])
        radius = 5 + 4 * min(value, 3.0)
        colour = SPECIALISED_COLOUR if value >= 1 else OTHER_DOMAIN_COLOUR
        ring = f' stroke="{PRIORITY_RING}" stroke-width="2.5"' if priority[domain] else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}"{ring}/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y - radius - 3:.1f}" text-anchor="middle" '
            f'fill="#222">{escape(space.names[domain])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
