"""Indicators collected every step, per region (one tidy row per region and step).

Formulas are in docs/ODD.md §7.8. Everything here is vectorised over agents; the network
measures use sparse matrix products (cross-checked against networkx in the tests).
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
#: scores 100, playing the role of the EU average in the Regional Innovation Scoreboard).
INDEX_COMPONENTS: dict[str, float] = {
    "rd_intensity": 0.02,
    "innovating_share": 0.30,
    "human_capital": 0.30,
    "partnership_share": 0.60,
    "knowledge_per_firm": 1.4,
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
    quantities = np.column_stack(
        [
            np.ones(n),
            firms.employees[:n],
            firms.revenue[:n],
            firms.rd_spend[:n],
            (model.steps - firms.last_innovation[:n]) < 4,
            degree[firms.uid[:n]] > 0,
            firms.absorptive[:n],
            firms.innovated[:n],
        ]
    )
    sums = firms.per_region_rows(quantities)
    firm_count, employment, revenue, rd, recent, partnered, absorptive, innovated = sums.T
    safe_count = np.maximum(firm_count, 1.0)

    held = np.multiply(firms.knowledge[:n], firms.portfolio[:n], out=firms.scratch("work"))
    stocks = firms.per_region_rows(held).astype(np.float64)
    rca = revealed_comparative_advantage(stocks, model.knowledge.world_share)
    specialised = rca >= 1.0
    previous = getattr(model, "_previous_specialised", specialised)
    model._previous_specialised = specialised

    # Network: nodes are all live agents; a link counts for a region when both ends are in it.
    size = nodes.capacity
    alive_nodes = nodes.alive
    node_region = nodes.region
    clustering = model.network.local_clustering(size)
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

    rows = []
    for r in range(count):
        row: dict[str, Any] = {
            "step": model.steps,
            "region": regions.names[r],
            "firms": int(firm_count[r]),
            "entries": int(regions.entries[r]),
            "exits": int(regions.exits[r]),
            "spinoffs": int(regions.spinoffs[r]),
            "employment": float(employment[r]),
            "rd_intensity": float(values["rd_intensity"][r]),
            "innovations": int(innovated[r]),
            "innovating_share": float(values["innovating_share"][r]),
            "knowledge_per_firm": float(values["knowledge_per_firm"][r]),
            "partnership_share": float(values["partnership_share"][r]),
            "network_density": float(density[r]),
            "network_clustering": float(region_clustering[r]),
            "links": int(links[r]),
            "specialisations": int(specialised[r].sum()),
            "specialisation_entries": int((specialised[r] & ~previous[r]).sum()),
            "specialisation_exits": int((~specialised[r] & previous[r]).sum()),
            "domain_entries": int(regions.domain_entries[r]),
            "human_capital": float(regions.human_capital[r]),
            "absorptive_capacity": float(absorptive[r] / safe_count[r]),
            "institutional_quality": float(governments.quality[r]),
            "social_innovations": int(regions.social_innovations[r]),
            "social_innovations_total": int(regions.social_innovations_total[r]),
            "citizen_participation": float(participation[r]),
            "citizen_trust": float(trust[r]),
            "budget_committed": float(committed[r].sum()),
            "budget_absorbed": float(absorbed[r].sum()),
            "absorption_rate": float(absorbed_total[r] / committed_total[r])
            if committed_total[r] > 0
            else 0.0,
            "priorities": ";".join(names[d] for d in np.flatnonzero(governments.priorities[r])),
            "innovation_index": float(index[r]),
        }
        for i, name in enumerate(INSTRUMENTS):
            row[f"committed_{name}"] = float(committed[r, i])
            row[f"absorbed_{name}"] = float(absorbed[r, i])
        for output in OUTPUT_INDICATORS.values():
            row[output] = float(regions.outputs[output][r])
        rows.append(row)
    return rows


def _total(column: str):
    def reporter(model: EcosystemModel) -> float:
        return float(sum(row[column] for row in model.latest))

    reporter.__name__ = f"total_{column}"
    return reporter


def _employment_weighted(column: str):
    def reporter(model: EcosystemModel) -> float:
        weights = np.array([row["employment"] for row in model.latest])
        values = np.array([row[column] for row in model.latest])
        return float(np.average(values, weights=weights)) if weights.sum() > 0 else 0.0

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
