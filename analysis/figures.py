"""Figures for comparisons, sensitivity analyses, networks and the knowledge space.

Every function returns a ``matplotlib.figure.Figure`` (no pyplot global state); save it as
PNG or SVG with ``figure.savefig(path)``, or embed it in HTML with :func:`svg`. Figures are
at most 10.5 in wide, so that the report (a column about 1,000 px wide) shows them at full
size: 9 pt, the smallest text, is then 12 px on screen. Titles and axes carry the indicator
registry's plain labels and units, never column names.
"""

from __future__ import annotations

import html
import io
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from smartspec.model.indicators import label_of, phrase_of

from .wording import zero_width

__all__ = [
    "ACTOR_COLOURS",
    "REPORT_STYLE",
    "knowledge_graph",
    "network_sample",
    "plot_bands",
    "plot_knowledge_space",
    "plot_mix_comparison",
    "plot_morris",
    "plot_network",
    "plot_paired_differences",
    "plot_sobol",
    "report_style",
    "svg",
]

ACTOR_COLOURS = {0: "#1f77b4", 1: "#d62728", 2: "#2ca02c", 3: "#ff7f0e"}
ACTOR_NAMES = {0: "firm", 1: "university", 2: "government", 3: "citizen group"}
LEVER_COLOUR, CONDITION_COLOUR = "#55a868", "#4c72b0"

#: Text sizes in points; the widest figure (10.5 in) fits the report's column, so 9 pt
#: shows as 12 px.
REPORT_STYLE = {
    "svg.fonttype": "none",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
}


@contextmanager
def report_style() -> Iterator[None]:
    """Matplotlib settings of every report figure (text sizes, SVG text kept as text)."""
    with matplotlib.rc_context(REPORT_STYLE):
        yield


def svg(figure: Figure, alt: str) -> str:
    """A ``<figure>`` holding the figure as inline SVG, its text searchable and selectable."""
    buffer = io.StringIO()
    with report_style():
        figure.savefig(buffer, format="svg")
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg") :]  # drop the XML prolog and doctype
    return f'<figure role="img" aria-label="{html.escape(alt)}">{markup}</figure>'


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _title(column: str, titles: dict[str, str] | None = None) -> str:
    """A panel title: the given title, else the registry's plain label of the column."""
    found = (titles or {}).get(column) or label_of(column)
    return found if found != column else column.replace("_", " ")


def _unit(column: str, difference: bool = False) -> str:
    from .wording import indicator_unit

    return indicator_unit(column, difference)


def _panels(count: int, columns: int, width: float, height: float) -> tuple[Figure, list]:
    columns = max(1, min(columns, count))
    rows = int(np.ceil(count / columns))
    figure = Figure(figsize=(width, height * rows + 0.6), layout="constrained")
    axes = list(np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel())
    for axis in axes[count:]:
        axis.set_visible(False)
    return figure, axes[:count]


def plot_bands(
    bands: dict[str, pd.DataFrame], titles: dict[str, str] | None = None, by: str = "mix"
) -> Figure:
    """One panel per indicator: mean over replications with its 95 % band, one line per
    group (``bands`` from :func:`comparison.series_bands`, keyed by column). Titles are the
    registry's labels unless ``titles`` names them; the y axis carries the unit."""
    with report_style():
        figure, axes = _panels(len(bands), 3, 10.5, 2.9)
        for axis, (column, frame) in zip(axes, bands.items(), strict=False):
            for group, rows_of_group in frame.groupby(by, sort=False):
                years = rows_of_group["step"] / 4.0
                line = axis.plot(years, rows_of_group[column], label=str(group), linewidth=1.6)[0]
                axis.fill_between(
                    years,
                    rows_of_group["low"],
                    rows_of_group["high"],
                    alpha=0.2,
                    color=line.get_color(),
                    linewidth=0,
                )
            axis.set_title(_wrap(_title(column, titles), 40))
            axis.set_xlabel("years")
            axis.set_ylabel(_wrap(_unit(column), 24))
            axis.grid(alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
    return figure


def _interval_known(low: float, high: float) -> bool:
    return bool(np.isfinite(low) and np.isfinite(high))


def plot_paired_differences(table: pd.DataFrame, baseline: str, by: str = "mix") -> Figure:
    """Forest plot: each group's paired difference from the baseline, per outcome, with its
    95 % interval; intervals crossing zero mean "cannot be told apart". A difference that
    was the same in every replication (an interval of zero width) is marked as such."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    with report_style():
        figure = Figure(
            figsize=(10, 0.6 + sum(1.0 + 0.36 * (table["outcome"] == o).sum() for o in outcomes)),
            layout="constrained",
        )
        axes = figure.subplots(len(outcomes), 1, squeeze=False).ravel()
        for axis, outcome in zip(axes, outcomes, strict=True):
            rows = table[table["outcome"] == outcome]
            positions = np.arange(len(rows))
            for position, record in zip(positions, rows.itertuples(), strict=True):
                colour = "#2ca02c" if record.clear else "#7f7f7f"
                if not _interval_known(record.low, record.high):
                    axis.plot(record.difference, position, "o", color=colour)
                    continue
                axis.errorbar(
                    record.difference,
                    position,
                    xerr=[[record.difference - record.low], [record.high - record.difference]],
                    fmt="o",
                    color=colour,
                    elinewidth=2,
                    capsize=3,
                )
                if zero_width(record.low, record.high):
                    axis.annotate(
                        "the same in every replication",
                        (record.difference, position),
                        xytext=(8, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=9,
                        color="#555555",
                    )
            axis.axvline(0.0, color="black", linewidth=0.8)
            axis.set_yticks(positions, rows[by])
            axis.set_ylim(-0.6, len(rows) - 0.4)
            axis.set_title(_wrap(_title(outcome), 90), loc="left")
            unit = _unit(outcome, difference=True)
            axis.set_xlabel(f"difference from {baseline}" + (f" ({unit})" if unit else ""))
            axis.grid(alpha=0.3, axis="x")
    return figure


def plot_mix_comparison(summary: pd.DataFrame, outcomes: list[str], by: str = "mix") -> Figure:
    """Bars of each group's mean with 95 % intervals, one panel per outcome (two columns),
    groups on the vertical axis so that every name reads horizontally."""
    groups = list(dict.fromkeys(summary[by]))
    with report_style():
        figure, axes = _panels(len(outcomes), 2, 10.5, 0.9 + 0.3 * len(groups))
        for axis, outcome in zip(axes, outcomes, strict=True):
            rows = summary[summary["outcome"] == outcome]
            positions = np.arange(len(rows))[::-1]
            axis.barh(positions, rows["mean"], color="#4c72b0", alpha=0.8)
            known = np.isfinite(rows["low"]) & np.isfinite(rows["high"])
            axis.errorbar(
                rows["mean"][known],
                positions[known.to_numpy()],
                xerr=[(rows["mean"] - rows["low"])[known], (rows["high"] - rows["mean"])[known]],
                fmt="none",
                ecolor="black",
                capsize=3,
            )
            axis.set_yticks(positions, rows[by])
            axis.set_title(_wrap(_title(outcome), 48))
            axis.set_xlabel(_unit(outcome))
            axis.grid(alpha=0.3, axis="x")
    return figure


def plot_sobol(indices: pd.DataFrame, outcome: str) -> Figure:
    """First-order and total Sobol indices with their bootstrap intervals, one row per
    parameter (largest total index at the top)."""
    from .wording import parameter_label

    ordered = indices.sort_values("ST", ascending=True)
    with report_style():
        figure = Figure(figsize=(10, 1.2 + 0.38 * len(ordered)), layout="constrained")
        axis = figure.subplots()
        positions = np.arange(len(ordered))
        height = 0.38
        axis.barh(
            positions + height / 2,
            ordered["S1"],
            height,
            xerr=ordered["S1_conf"],
            capsize=3,
            label="first order (alone)",
        )
        axis.barh(
            positions - height / 2,
            ordered["ST"],
            height,
            xerr=ordered["ST_conf"],
            capsize=3,
            label="total (with interactions)",
        )
        axis.set_yticks(positions, [parameter_label(p) for p in ordered["parameter"]])
        axis.set_xlabel("share of the outcome's variance")
        axis.set_title(_wrap(f"What drives {phrase_of(outcome)} (Sobol indices)", 90))
        axis.legend(loc="lower right")
        axis.grid(alpha=0.3, axis="x")
    return figure


def plot_morris(indices: pd.DataFrame, outcome: str, levers: set[str] | None = None) -> Figure:
    """Morris screening as two bar charts sharing one row per parameter, most influential at
    the top: mu* (how much the outcome moves, with its interval) and sigma (how much that
    depends on the other parameters). Every parameter is labelled; policy levers (names in
    ``levers``) are coloured apart from the region's conditions and model assumptions."""
    from .wording import parameter_label

    ordered = indices.sort_values("mu_star", ascending=True)
    levers = levers or set()
    colours = [
        LEVER_COLOUR if name in levers else CONDITION_COLOUR for name in ordered["parameter"]
    ]
    unit = _unit(outcome, difference=True)
    with report_style():
        figure = Figure(figsize=(10, 1.5 + 0.34 * len(ordered)), layout="constrained")
        left, right = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2])
        positions = np.arange(len(ordered))
        left.barh(positions, ordered["mu_star"], color=colours)
        left.errorbar(
            ordered["mu_star"],
            positions,
            xerr=ordered["mu_star_conf"],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        left.set_yticks(positions, [parameter_label(p) for p in ordered["parameter"]])
        left.set_xlabel("mu*: mean absolute effect" + (f" ({unit})" if unit else ""))
        left.set_title("How much the outcome moves")
        right.barh(positions, ordered["sigma"], color=colours, alpha=0.7)
        right.set_xlabel("sigma: spread of the effects" + (f" ({unit})" if unit else ""))
        right.set_title("How much that depends on the others")
        for axis in (left, right):
            axis.grid(alpha=0.3, axis="x")
        figure.suptitle(_wrap(f"Morris screening of {phrase_of(outcome)}", 100))
        figure.legend(
            [Patch(color=LEVER_COLOUR), Patch(color=CONDITION_COLOUR)],
            ["policy lever", "condition of the region or model assumption"],
            loc="outside lower center",
            ncols=2,
        )
    return figure


def network_sample(model, max_nodes: int = 600):
    """The collaboration network as a networkx graph, at most ``max_nodes`` nodes: every
    university, government and citizen group, then the best-connected firms; firms without a
    link are left out."""
    import networkx as nx  # noqa: F401 - to_networkx needs it

    nodes = np.flatnonzero(model.nodes.alive)
    degree = model.network.node_degree(model.nodes.capacity)
    if len(nodes) > max_nodes:
        # Universities, governments and citizen groups are few and always drawn; the
        # best-connected firms fill the rest.
        others = nodes[model.nodes.kind[nodes] != 0]
        firms = nodes[model.nodes.kind[nodes] == 0]
        room = max(max_nodes - len(others), 0)
        top_firms = firms[np.argsort(-degree[firms], kind="stable")[:room]]
        keep = np.sort(np.concatenate([others, top_firms]))
    else:
        keep = nodes
    graph = model.network.to_networkx(keep).subgraph(keep.tolist())
    return graph.subgraph(
        [node for node in graph if graph.degree(node) > 0 or model.nodes.kind[node] != 0]
    )


def plot_network(model, max_nodes: int = 600, seed: int = 0) -> Figure:
    """The collaboration network of a model, coloured by actor type (largest nodes first
    when it is too large to draw); the legend shows every actor type at one marker size."""
    import networkx as nx

    graph = network_sample(model, max_nodes)
    layout = nx.spring_layout(graph, seed=seed, k=0.15)
    with report_style():
        figure = Figure(figsize=(7.5, 6.5), layout="constrained")
        axis = figure.subplots()
        nx.draw_networkx_edges(graph, layout, ax=axis, alpha=0.15, width=0.5)
        handles, names = [], []
        for kind, colour in ACTOR_COLOURS.items():
            members = [node for node in graph if model.nodes.kind[node] == kind]
            if members:
                nx.draw_networkx_nodes(
                    graph,
                    layout,
                    nodelist=members,
                    node_color=colour,
                    ax=axis,
                    node_size=[12 + 4 * graph.degree(node) for node in members],
                )
                # A marker of its own: the drawn nodes' sizes would make the legend's
                # university a disc as large as the best-connected university.
                handles.append(Line2D([], [], marker="o", linestyle="", color=colour))
                names.append(ACTOR_NAMES[kind])
        figure.legend(handles, names, loc="outside lower center", ncols=len(names))
        axis.set_title("Who collaborates with whom (dot size: number of links)")
        axis.set_axis_off()
    return figure


def knowledge_graph(space):
    """The knowledge space as a networkx graph: one node per domain, an edge where two
    domains' proximity is at least 0.2 (weighted by it)."""
    import networkx as nx

    graph = nx.Graph()
    proximity = space.proximity
    for i in range(space.size):
        graph.add_node(i)
        for j in range(i + 1, space.size):
            if proximity[i, j] >= 0.2:
                graph.add_edge(i, j, weight=proximity[i, j])
    return graph


def plot_knowledge_space(model, region: int = 0, seed: int = 0) -> Figure:
    """The knowledge space (domains placed by relatedness), with the region's specialisations
    (RCA >= 1) filled and its priority domains ringed; every domain is named in 9 pt text."""
    import networkx as nx

    space = model.knowledge
    graph = knowledge_graph(space)
    layout = nx.spring_layout(graph, seed=seed, weight="weight")
    snapshot = model.domain_snapshot
    rca = snapshot["rca"][region]
    priority = snapshot["priority"][region]
    with report_style():
        figure = Figure(figsize=(8, 7), layout="constrained")
        axis = figure.subplots()
        nx.draw_networkx_edges(graph, layout, ax=axis, alpha=0.15)
        colours = ["#e8867f" if value >= 1 else "#d9d9d9" for value in rca]
        sizes = [420 + 160 * min(value, 3.0) for value in rca]
        nx.draw_networkx_nodes(graph, layout, node_color=colours, node_size=sizes, ax=axis)
        nx.draw_networkx_nodes(
            graph,
            layout,
            nodelist=[d for d in range(space.size) if priority[d]],
            node_color="none",
            edgecolors="black",
            linewidths=2.0,
            node_size=[sizes[d] + 160 for d in range(space.size) if priority[d]],
            ax=axis,
        )
        nx.draw_networkx_labels(
            graph, layout, labels=dict(enumerate(space.names)), font_size=9, ax=axis
        )
        figure.legend(
            [
                Line2D([], [], marker="o", linestyle="", color="#e8867f", markersize=10),
                Line2D([], [], marker="o", linestyle="", color="#d9d9d9", markersize=10),
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor="none",
                    markeredgecolor="black",
                    markeredgewidth=2,
                    markersize=12,
                ),
            ],
            ["specialised (RCA of 1 or more; larger: higher RCA)", "not specialised", "priority"],
            loc="outside lower center",
            ncols=3,
        )
        axis.set_title(
            f"{model.regions.names[region]}: specialisations and priorities on the map of "
            "related domains"
        )
        axis.set_axis_off()
    return figure
