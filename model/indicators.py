"""Indicators collected every step, per region (one tidy row per region and step).

Formulas are in docs/ODD.md §7.8. Everything here is vectorised over agents; clustering counts
triangles with a degree-ordered algorithm (cross-checked against networkx in the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from smartspec.scenarios.schema import INSTRUMENTS

from .instruments import OUTPUT_INDICATORS

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = [
    "INDEX_COMPONENTS",
    "MODEL_REPORTERS",
    "REGION_COLUMNS",
    "innovation_index",
    "region_indicators",
    "revealed_comparative_advantage",
]

#: Components of the composite innovation index and their reference values (the level that
#: scores 100, playing the role of the EU average in the Regional Innovation Scoreboard). The
#: EU average lies between the RIS "moderate" and "strong" groups, so each reference is the mean
#: of the bundled moderate and strong archetypes after one simulated year (seeds 1-2).
INDEX_COMPONENTS: dict[str, float] = {
    "rd_intensity": 0.015,
    "innovating_share": 0.126,
    "human_capital": 0.277,
    "partnership_share": 0.41,
    "knowledge_per_firm": 1.10,
}
INDEX_CAP = 2.5

REGION_COLUMNS = [
    "step",
    "region",
    "firms",
    "entries",
    "exits",
    "spinoffs",
    "employment",
    "rd_intensity",
    "innovations",
    "innovating_share",
    "knowledge_per_firm",
    "partnership_share",
    "network_density",
    "network_clustering",
    "links",
    "specialisations",
    "specialisation_entries",
    "specialisation_exits",
    "domain_entries",
    "human_capital",
    "absorptive_capacity",
    "institutional_quality",
    "social_innovations",
    "social_innovations_total",
    "citizen_participation",
    "citizen_trust",
    "budget_committed",
    "budget_absorbed",
    "absorption_rate",
    *[f"committed_{name}" for name in INSTRUMENTS],
    *[f"absorbed_{name}" for name in INSTRUMENTS],
    *OUTPUT_INDICATORS.values(),
    "priorities",
    "innovation_index",
]


def revealed_comparative_advantage(stocks: np.ndarray, reference_share: np.ndarray) -> np.ndarray:
    """RCA[r, d] = (x_rd / sum_d x_rd) / reference_share_d.

    With several regions the usual reference is the pooled share sum_r x_rd / sum_rd x_rd;
    SmartSpec uses a fixed world portfolio (``KnowledgeSpace.world_share``) so that RCA is
    defined for one region and comparable across runs.
    """
    totals = stocks.sum(axis=1, keepdims=True)
    shares = np.divide(stocks, totals, out=np.zeros_like(stocks), where=totals > 0)
    return shares / reference_share


def innovation_index(values: dict[str, np.ndarray]) -> np.ndarray:
    """RIS-style composite: 100 x mean over components of min(value / reference, cap)."""
    ratios = [np.minimum(values[name] / ref, INDEX_CAP) for name, ref in INDEX_COMPONENTS.items()]
    return 100.0 * np.mean(ratios, axis=0)


def region_indicators(model: EcosystemModel) -> list[dict[str, Any]]:
    """Compute every indicator for every region at the current step."""
    firms, regions, nodes = model.firms, model.regions, model.nodes
    count = model.n_regions
    n = firms.size

    degree = model.node_degree()
    # All per-firm sums in one pass: a (firms x quantities) table summed by region.
    quantities = firms.scratch("quantities", dtype=np.float64, width=8)
    quantities[:, 0] = 1.0
    quantities[:, 1] = firms.employees[:n]
    quantities[:, 2] = firms.revenue[:n]
    quantities[:, 3] = firms.rd_spend[:n]
    np.less(model.steps - firms.last_innovation[:n], 4, out=quantities[:, 4])
    np.greater(degree[firms.uid[:n]], 0, out=quantities[:, 5])
    quantities[:, 6] = firms.absorptive[:n]
    quantities[:, 7] = firms.innovated[:n]
    knowledge = firms.knowledge[:n]
    held = np.multiply(knowledge, firms.portfolio[:n], out=firms.scratch("work"))
    sums, stocks, knowledge_sums = firms.per_region_rows(quantities, held, knowledge)
    firm_count, employment, revenue, rd, recent, partnered, absorptive, innovated = sums.T
    safe_count = np.maximum(firm_count, 1.0)
    stocks = stocks.astype(np.float64)
    # The next step starts from these sums (agent state does not change in between).
    regions.remember_collected(firm_count, employment, stocks, knowledge_sums.astype(np.float64))
    rca = revealed_comparative_advantage(stocks, model.knowledge.world_share)
    specialised = rca >= 1.0
    previous = getattr(model, "_previous_specialised", specialised)
    model._previous_specialised = specialised

    # Network: nodes are all live agents; a link counts for a region when both ends are in it.
    size = nodes.capacity
    alive_nodes = nodes.alive
    node_region = nodes.region
    clustering = model.network.local_clustering(size, degree)
    region_nodes = np.bincount(node_region[alive_nodes], minlength=count).astype(np.float64)
    region_clustering = np.bincount(
        node_region[alive_nodes], clustering[alive_nodes], minlength=count
    ) / np.maximum(region_nodes, 1)
    u, v = model.network.u, model.network.v
    internal = node_region[u] == node_region[v]
    internal_links = np.bincount(node_region[u][internal], minlength=count).astype(np.float64)
    possible = region_nodes * (region_nodes - 1) / 2
    density = np.divide(internal_links, possible, out=np.zeros(count), where=possible > 0)
    links = np.bincount(node_region[u], minlength=count) + np.bincount(
        node_region[v][~internal], minlength=count
    )

    citizens = model.citizens
    c_live = citizens.alive[: citizens.size]
    c_region = citizens.region[: citizens.size][c_live]
    c_count = np.maximum(np.bincount(c_region, minlength=count), 1)
    participation = (
        np.bincount(c_region, citizens.participation[: citizens.size][c_live], count) / c_count
    )
    trust = np.bincount(c_region, citizens.trust[: citizens.size][c_live], count) / c_count

    governments = model.governments
    committed = governments.committed[:count]
    absorbed = governments.absorbed[:count]
    committed_total = governments.committed_total[:count].sum(axis=1)
    absorbed_total = governments.absorbed_total[:count].sum(axis=1)

    values = {
        "rd_intensity": np.divide(rd, revenue, out=np.zeros(count), where=revenue > 0),
        "innovating_share": recent / safe_count,
        "human_capital": regions.human_capital,
        "partnership_share": partnered / safe_count,
        "knowledge_per_firm": stocks.sum(axis=1) / safe_count,
    }
    index = innovation_index(values)
    names = model.knowledge.names

    # Whole columns first, converted to Python numbers once (not element by element).
    columns: dict[str, list] = {
        "firms": firm_count.astype(np.int64).tolist(),
        "entries": regions.entries.tolist(),
        "exits": regions.exits.tolist(),
        "spinoffs": regions.spinoffs.tolist(),
        "employment": employment.tolist(),
        "rd_intensity": values["rd_intensity"].tolist(),
        "innovations": innovated.astype(np.int64).tolist(),
        "innovating_share": values["innovating_share"].tolist(),
        "knowledge_per_firm": values["knowledge_per_firm"].tolist(),
        "partnership_share": values["partnership_share"].tolist(),
        "network_density": density.tolist(),
        "network_clustering": region_clustering.tolist(),
        "links": links.tolist(),
        "specialisations": specialised.sum(axis=1).tolist(),
        "specialisation_entries": (specialised & ~previous).sum(axis=1).tolist(),
        "specialisation_exits": (~specialised & previous).sum(axis=1).tolist(),
        "domain_entries": regions.domain_entries.tolist(),
        "human_capital": regions.human_capital.tolist(),
        "absorptive_capacity": (absorptive / safe_count).tolist(),
        "institutional_quality": governments.quality[:count].tolist(),
        "social_innovations": regions.social_innovations.tolist(),
        "social_innovations_total": regions.social_innovations_total.tolist(),
        "citizen_participation": participation.tolist(),
        "citizen_trust": trust.tolist(),
        "budget_committed": committed.sum(axis=1).tolist(),
        "budget_absorbed": absorbed.sum(axis=1).tolist(),
        "absorption_rate": np.divide(
            absorbed_total, committed_total, out=np.zeros(count), where=committed_total > 0
        ).tolist(),
        "priorities": [
            ";".join(names[d] for d in np.flatnonzero(governments.priorities[r]))
            for r in range(count)
        ],
        "innovation_index": index.tolist(),
    }
    for i, name in enumerate(INSTRUMENTS):
        columns[f"committed_{name}"] = committed[:, i].tolist()
        columns[f"absorbed_{name}"] = absorbed[:, i].tolist()
    for output in OUTPUT_INDICATORS.values():
        columns[output] = regions.outputs[output].tolist()

    step = model.steps
    return [
        {
            "step": step,
            "region": regions.names[r],
            **{column: column_values[r] for column, column_values in columns.items()},
        }
        for r in range(count)
    ]


def _total(column: str):
    def reporter(model: EcosystemModel) -> float:
        return float(sum(row[column] for row in model.latest))

    reporter.__name__ = f"total_{column}"
    return reporter


def _employment_weighted(column: str):
    def reporter(model: EcosystemModel) -> float:
        # Plain Python: a handful of regions, where NumPy's per-call overhead dominates.
        total = sum(row["employment"] for row in model.latest)
        if total <= 0:
            return 0.0
        return sum(row["employment"] * row[column] for row in model.latest) / total

    reporter.__name__ = f"weighted_{column}"
    return reporter


#: Model-level reporters (all regions together) for Mesa's DataCollector and batch_run.
MODEL_REPORTERS = {
    "firms": _total("firms"),
    "employment": _total("employment"),
    "innovations": _total("innovations"),
    "social_innovations": _total("social_innovations"),
    "budget_absorbed": _total("budget_absorbed"),
    "innovation_index": _employment_weighted("innovation_index"),
    "rd_intensity": _employment_weighted("rd_intensity"),
    "network_density": _employment_weighted("network_density"),
}
