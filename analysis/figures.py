"""Figures for comparisons, sensitivity analyses, networks and the knowledge space.

Every function returns a ``matplotlib.figure.Figure`` (no pyplot global state); save it as
PNG or SVG with ``figure.savefig(path)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "ACTOR_COLOURS",
    "knowledge_graph",
    "network_sample",
    "plot_bands",
    "plot_knowledge_space",
    "plot_mix_comparison",
    "plot_morris",
    "plot_network",
    "plot_paired_differences",
    "plot_sobol",
]

ACTOR_COLOURS = {0: "#1f77b4", 1: "#d62728", 2: "#2ca02c", 3: "#ff7f0e"}
ACTOR_NAMES = {0: "firm", 1: "university", 2: "government", 3: "citizen group"}


def plot_bands(bands: dict[str, pd.DataFrame], titles: dict[str, str], by: str = "mix") -> Figure:
    """One panel per indicator: mean over replications with its 95 % band, one line per
    group (``bands`` from :func:`comparison.series_bands`, keyed by column)."""
    count = len(bands)
    columns = min(3, count)
    rows = int(np.ceil(count / columns))
    figure = Figure(figsize=(4.6 * columns, 3.4 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
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
        axis.set_title(titles.get(column, column), fontsize=10)
        axis.set_xlabel("years")
        axis.grid(alpha=0.3)
    for axis in axes[count:]:
        axis.set_visible(False)
    axes[0].legend(fontsize=8)
    return figure


def plot_paired_differences(table: pd.DataFrame, baseline: str, by: str = "mix") -> Figure:
    """Forest plot: each group's paired difference from the baseline, per outcome, with its
    95 % interval; intervals crossing zero mean "cannot be told apart"."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    figure = Figure(figsize=(9, 0.9 + 0.55 * len(table)), layout="constrained")
    axes = figure.subplots(len(outcomes), 1, squeeze=False).ravel()
    for axis, outcome in zip(axes, outcomes, strict=True):
        rows = table[table["outcome"] == outcome]
        positions = np.arange(len(rows))
        for position, record in zip(positions, rows.itertuples(), strict=True):
            colour = "#2ca02c" if record.clear else "#7f7f7f"
            axis.errorbar(
                record.difference,
                position,
                xerr=[[record.difference - record.low], [record.high - record.difference]],
                fmt="o",
                color=colour,
                elinewidth=2,
                capsize=3,
            )
        axis.axvline(0.0, color="black", linewidth=0.8)
        axis.set_yticks(positions, rows[by])
        axis.set_title(f"{outcome}: difference from {baseline}", fontsize=9, loc="left")
        axis.grid(alpha=0.3, axis="x")
    return figure


def plot_mix_comparison(summary: pd.DataFrame, outcomes: list[str], by: str = "mix") -> Figure:
    """Bars of each group's mean with 95 % intervals, one panel per outcome."""
    figure = Figure(figsize=(4.2 * len(outcomes), 3.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(outcomes))).ravel()
    for axis, outcome in zip(axes, outcomes, strict=True):
        rows = summary[summary["outcome"] == outcome]
        positions = np.arange(len(rows))
        axis.bar(positions, rows["mean"], color="#4c72b0", alpha=0.8)
        axis.errorbar(
            positions,
            rows["mean"],
            yerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        axis.set_xticks(positions, rows[by], rotation=30, ha="right", fontsize=8)
        axis.set_title(outcome, fontsize=9)
        axis.grid(alpha=0.3, axis="y")
    return figure


def plot_sobol(indices: pd.DataFrame, outcome: str) -> Figure:
    """First-order and total Sobol indices with their bootstrap intervals."""
    figure = Figure(figsize=(8, 3.8), layout="constrained")
    axis = figure.subplots()
    positions = np.arange(len(indices))
    width = 0.38
    axis.bar(
        positions - width / 2,
        indices["S1"],
        width,
        yerr=indices["S1_conf"],
        capsize=3,
        label="first order S1",
    )
    axis.bar(
        positions + width / 2,
        indices["ST"],
        width,
        yerr=indices["ST_conf"],
        capsize=3,
        label="total ST",
    )
    axis.set_xticks(positions, indices["parameter"], rotation=35, ha="right", fontsize=8)
    axis.set_ylabel("share of output variance")
    axis.set_title(f"Sobol indices: {outcome}")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3, axis="y")
    return figure


def plot_morris(indices: pd.DataFrame, outcome: str) -> Figure:
    """Morris mu* (with interval) against sigma: far right = influential, high = non-linear
    or interacting."""
    figure = Figure(figsize=(6.5, 4.6), layout="constrained")
    axis = figure.subplots()
    axis.errorbar(
        indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o", capsize=3
    )
    for record in indices.head(8).itertuples():
        axis.annotate(
            record.parameter,
            (record.mu_star, record.sigma),
            fontsize=8,
            xytext=(4, 3),
            textcoords="offset points",
        )
    axis.set_xlabel("mu* (mean absolute elementary effect)")
    axis.set_ylabel("sigma")
    axis.set_title(f"Morris screening: {outcome}")
    axis.grid(alpha=0.3)
    return figure


def network_sample(model, max_nodes: int = 600):
    """The collaboration network as a networkx graph, at most ``max_nodes`` nodes: every
    university, government and citizen group, then the best-connected firms; firms without a
    link are left out."""
    import networkx as nx  # noqa: F401 - to_networkx needs it

    nodes = np.flatnonzero(model.nodes.alive)
    degree = model.network.degree(model.nodes.capacity)
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
    when it is too large to draw)."""
    import networkx as nx

    graph = network_sample(model, max_nodes)
    layout = nx.spring_layout(graph, seed=seed, k=0.15)
    figure = Figure(figsize=(7, 6), layout="constrained")
    axis = figure.subplots()
    nx.draw_networkx_edges(graph, layout, ax=axis, alpha=0.15, width=0.5)
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
                label=ACTOR_NAMES[kind],
            )
    axis.legend(fontsize=8, loc="upper left")
    axis.set_title("Collaboration network (node size: links)")
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
    (RCA >= 1) filled and its priority domains ringed."""
    import networkx as nx

    space = model.knowledge
    graph = knowledge_graph(space)
    layout = nx.spring_layout(graph, seed=seed, weight="weight")
    snapshot = model.domain_snapshot
    rca = snapshot["rca"][region]
    priority = snapshot["priority"][region]
    figure = Figure(figsize=(7, 6), layout="constrained")
    axis = figure.subplots()
    nx.draw_networkx_edges(graph, layout, ax=axis, alpha=0.2)
    colours = ["#d62728" if value >= 1 else "#c7c7c7" for value in rca]
    sizes = [80 + 120 * min(value, 3.0) for value in rca]
    nx.draw_networkx_nodes(graph, layout, node_color=colours, node_size=sizes, ax=axis)
    nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=[d for d in range(space.size) if priority[d]],
        node_color="none",
        edgecolors="black",
        linewidths=2.0,
        node_size=[sizes[d] + 120 for d in range(space.size) if priority[d]],
        ax=axis,
    )
    nx.draw_networkx_labels(
        graph, layout, labels=dict(enumerate(space.names)), font_size=6, ax=axis
    )
    axis.set_title(
        f"{model.regions.names[region]}: specialisations (red, size = RCA) and priorities (ringed)",
        fontsize=9,
    )
    axis.set_axis_off()
    return figure
