"""Indicators collected every step, per region (one tidy row per region and step).

Formulas are in docs/ODD.md §7.8. Everything here is vectorised over agents; clustering counts
triangles with a degree-ordered algorithm (cross-checked against networkx in the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from smartspec.scenarios.schema import INSTRUMENTS

from . import metrics
from .citizen import CITIZEN
from .firm import FIRM, Firms
from .instruments import OUTPUT_INDICATORS
from .university import UNIVERSITY
from .vector import FEW_GROUPS

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = [
    "INDEX_COMPONENTS",
    "MODEL_REPORTERS",
    "REGION_COLUMNS",
    "innovation_index",
    "region_indicators",
    "INDICATOR_GROUPS",
    "DOMAIN_COLUMNS",
]

#: Components of the composite innovation index and their reference values (the level that
#: scores 100, playing the role of the EU average in the Regional Innovation Scoreboard). The
#: EU average lies between the RIS "moderate" and "strong" groups, so each reference is the mean
#: of the bundled moderate and strong archetypes after one simulated year (seeds 1-2).
INDEX_COMPONENTS: dict[str, float] = {
    "rd_intensity": 0.0137,
    "innovating_share": 0.310,
    "human_capital": 0.271,
    "partnership_share": 0.456,
    "knowledge_per_firm": 0.360,
}
INDEX_CAP = 2.5
INDEX_POWER = 0.8

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
    "mean_degree",
    "largest_component_share",
    "university_industry_link_share",
    "citizen_link_share",
    "knowledge_flow_firm_firm",
    "knowledge_flow_university_firm",
    "knowledge_flow_own_rd",
    "knowledge_flow_spillover",
    "specialisations",
    "specialisation_entries",
    "specialisation_exits",
    "domain_entries",
    "density_specialisations",
    "density_priorities",
    "eci",
    "related_variety",
    "unrelated_variety",
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


#: S3 monitoring logic (Gianelle & Kleibrink 2015): context indicators describe the region as a
#: whole, output indicators what the instruments deliver, result indicators the change sought.
INDICATOR_GROUPS: dict[str, list[str]] = {
    "context": [
        "firms",
        "entries",
        "exits",
        "spinoffs",
        "employment",
        "human_capital",
        "absorptive_capacity",
        "institutional_quality",
        "links",
        "mean_degree",
        "network_density",
        "network_clustering",
        "largest_component_share",
        "eci",
        "related_variety",
        "unrelated_variety",
        "citizen_participation",
        "citizen_trust",
    ],
    "output": [
        "budget_committed",
        "budget_absorbed",
        "absorption_rate",
        *[f"committed_{name}" for name in INSTRUMENTS],
        *[f"absorbed_{name}" for name in INSTRUMENTS],
        *OUTPUT_INDICATORS.values(),
    ],
    "result": [
        "innovation_index",
        "rd_intensity",
        "innovations",
        "innovating_share",
        "knowledge_per_firm",
        "partnership_share",
        "university_industry_link_share",
        "citizen_link_share",
        "knowledge_flow_firm_firm",
        "knowledge_flow_university_firm",
        "knowledge_flow_own_rd",
        "knowledge_flow_spillover",
        "specialisations",
        "specialisation_entries",
        "specialisation_exits",
        "domain_entries",
        "density_specialisations",
        "density_priorities",
        "social_innovations",
        "social_innovations_total",
    ],
}

#: Columns of the region x domain table (``EcosystemModel.domains()``).
DOMAIN_COLUMNS = [
    "step",
    "region",
    "domain",
    "knowledge",
    "innovations",
    "employment",
    "rca",
    "specialised",
    "density",
    "priority",
    "complexity",
]


def innovation_index(values: dict[str, np.ndarray]) -> np.ndarray:
    """RIS-style composite: 100 x mean over components of min((value / reference)^p, cap).

    The power p = INDEX_POWER < 1 damps extreme ratios, as the RIS transforms skewed
    indicators before averaging; a component at its reference still scores 100.
    """
    ratios = [
        np.minimum((np.maximum(values[name], 0.0) / ref) ** INDEX_POWER, INDEX_CAP)
        for name, ref in INDEX_COMPONENTS.items()
    ]
    return 100.0 * np.mean(ratios, axis=0)


def region_indicators(model: EcosystemModel) -> list[dict[str, Any]]:
    """Compute every indicator for every region at the current step."""
    firms, regions, nodes = model.firms, model.regions, model.nodes
    count = model.n_regions
    n = firms.size

    degree = model.node_degree()
    # The per-firm sums of real values in one pass: a (firms x quantities) table summed by
    # region. Counts are whole numbers, exact in any order, so they are plain counts.
    quantities = firms.scratch("quantities", dtype=np.float64, width=4)
    quantities[:, 0] = firms.employees[:n]
    quantities[:, 1] = firms.revenue[:n]
    quantities[:, 2] = firms.rd_spend[:n]
    quantities[:, 3] = firms.absorptive[:n]
    knowledge = firms.knowledge[:n]
    sums, knowledge_sums = firms.per_region_rows(quantities, knowledge)
    stocks = _held_knowledge(firms, count)
    employment, revenue, rd, absorptive = sums.T
    live = firms.alive[:n]
    firm_count, recent, partnered, innovated = _count_by_region(
        firms,
        count,
        live,
        live & (model.steps - firms.last_innovation[:n] < 4),
        live & (degree[firms.uid[:n]] > 0),
        live & firms.innovated[:n],
    )
    safe_count = np.maximum(firm_count, 1.0)
    stocks = stocks.astype(np.float64)
    # The next step starts from these sums (agent state does not change in between).
    regions.remember_collected(firm_count, employment, stocks, knowledge_sums.astype(np.float64))
    # Technological specialisation: RCA of the region's recent innovations (running count,
    # ~2.5-year memory) against the fixed world portfolio, so that it is defined for a single
    # region too.
    innovation_counts = regions.innovations_by_domain.copy()
    rca = metrics.rca(innovation_counts, model.knowledge.world_share)
    specialised = rca >= 1.0
    previous = getattr(model, "_previous_specialised", specialised)
    model._previous_specialised = specialised

    # Relatedness, complexity and variety of the regions' portfolios (model/metrics.py).
    governments = model.governments
    priorities = governments.priorities[:count]
    held_matrix = specialised.astype(np.float64)
    region_density = metrics.relatedness_density(held_matrix, model.knowledge.proximity)
    density_specialised = _masked_mean(region_density, specialised)
    density_priorities = _masked_mean(region_density, priorities)
    if count >= 2:
        eci, pci = metrics.economic_complexity(held_matrix)
    else:
        eci, pci = np.full(count, np.nan), np.full(model.knowledge.size, np.nan)
    domains = model.knowledge.size
    core_employment = np.bincount(
        firms.region[:n][live] * domains + firms.core[:n][live],
        firms.employees[:n][live],
        minlength=count * domains,
    ).reshape(count, domains)
    related_variety, unrelated_variety = metrics.entropy_variety(
        core_employment, model.knowledge.family
    )
    model.regions.domain_snapshot = {
        "knowledge": stocks,
        "innovations": innovation_counts,
        "rca": rca,
        "specialised": specialised,
        "density": region_density,
        "priority": priorities.copy(),
        "employment": core_employment,
        "complexity": pci,
    }

    # Network: nodes are all live agents; a link counts for a region when both ends are in it.
    size = nodes.capacity
    alive_nodes = nodes.alive
    node_region = nodes.region
    clustering = model.network.local_clustering(size, degree)
    live_nodes = np.flatnonzero(alive_nodes)
    live_region = node_region[live_nodes]
    region_nodes = np.bincount(live_region, minlength=count).astype(np.float64)
    region_clustering = np.bincount(
        live_region, clustering[live_nodes], minlength=count
    ) / np.maximum(region_nodes, 1)
    u, v = model.network.u, model.network.v
    internal = node_region[u] == node_region[v]
    internal_links = np.bincount(node_region[u][internal], minlength=count).astype(np.float64)
    possible = region_nodes * (region_nodes - 1) / 2
    density = np.divide(internal_links, possible, out=np.zeros(count), where=possible > 0)
    links = np.bincount(node_region[u], minlength=count) + np.bincount(
        node_region[v][~internal], minlength=count
    )
    safe_links = np.maximum(links, 1)
    kind = nodes.kind
    kind_u, kind_v = kind[u], kind[v]

    def touching(mask: np.ndarray) -> np.ndarray:
        """Links with the property, counted for each region an end is in."""
        return np.bincount(node_region[u][mask], minlength=count) + np.bincount(
            node_region[v][mask & ~internal], minlength=count
        )

    university_industry = touching(
        ((kind_u == FIRM) & (kind_v == UNIVERSITY)) | ((kind_u == UNIVERSITY) & (kind_v == FIRM))
    )
    citizen_links = touching((kind_u == CITIZEN) | (kind_v == CITIZEN))
    giant_share = _largest_component_share(model, node_region, alive_nodes, region_nodes)
    region_degree_sum = np.bincount(live_region, degree[live_nodes], count)
    mean_degree = region_degree_sum / np.maximum(region_nodes, 1)

    citizens = model.citizens
    c_live = citizens.alive[: citizens.size]
    c_region = citizens.region[: citizens.size][c_live]
    c_count = np.maximum(np.bincount(c_region, minlength=count), 1)
    participation = (
        np.bincount(c_region, citizens.participation[: citizens.size][c_live], count) / c_count
    )
    trust = np.bincount(c_region, citizens.trust[: citizens.size][c_live], count) / c_count

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
        "mean_degree": mean_degree.tolist(),
        "largest_component_share": giant_share.tolist(),
        "university_industry_link_share": (university_industry / safe_links).tolist(),
        "citizen_link_share": (citizen_links / safe_links).tolist(),
        "knowledge_flow_firm_firm": regions.knowledge_flows["firm"].tolist(),
        "knowledge_flow_university_firm": regions.knowledge_flows["university"].tolist(),
        "knowledge_flow_own_rd": regions.knowledge_flows["own"].tolist(),
        "knowledge_flow_spillover": regions.knowledge_flows["spillover"].tolist(),
        "specialisations": specialised.sum(axis=1).tolist(),
        "specialisation_entries": (specialised & ~previous).sum(axis=1).tolist(),
        "specialisation_exits": (~specialised & previous).sum(axis=1).tolist(),
        "domain_entries": regions.domain_entries.tolist(),
        "density_specialisations": density_specialised.tolist(),
        "density_priorities": density_priorities.tolist(),
        "eci": eci.tolist(),
        "related_variety": related_variety.tolist(),
        "unrelated_variety": unrelated_variety.tolist(),
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


def _count_by_region(firms: Firms, count: int, *masks: np.ndarray) -> list[np.ndarray]:
    """Number of firms (slots ``[:size]``) in each region for which each mask is True."""
    if count == 1:
        return [np.array([np.count_nonzero(mask)], dtype=np.float64) for mask in masks]
    region = firms.region[: firms.size]
    return [np.bincount(region[mask], minlength=count).astype(np.float64) for mask in masks]


def _held_knowledge(firms: Firms, count: int) -> np.ndarray:
    """Knowledge of each region's live firms in the domains they are active in (regions x
    domains, float32 sums).

    Summed over the portfolio's entries rather than over a masked copy of the whole
    knowledge array. ``np.add.at`` adds each region-domain's terms one by one in firm order,
    in float32, the order in which the einsum of ``Firms.per_region_rows`` accumulates its
    sums over all firms (the zero terms of cells outside the portfolio change no sum), so
    both give the same numbers.
    """
    n, domains = firms.size, firms.domains
    if count > FEW_GROUPS:  # ``per_region_rows`` sums these in another order
        held = np.multiply(firms.knowledge[:n], firms.portfolio[:n], out=firms.scratch("work"))
        return firms.per_region_rows(held)[0]
    entries = firms.portfolio_entries()
    entry_firm = entries // domains
    cell = entries - entry_firm * domains
    if count > 1:
        cell += firms.region[entry_firm].astype(np.int64) * domains
    # Departed firms' entries add exact zeros, which is cheaper than filtering them out.
    values = firms.knowledge[:n].reshape(-1)[entries] * firms.alive[entry_firm]
    sums = np.zeros(count * domains, dtype=np.float32)
    np.add.at(sums, cell, values)
    return sums.reshape(count, domains)


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row means of ``values`` over the True entries of ``mask`` (NaN for an empty row)."""
    counts = mask.sum(axis=1)
    sums = np.where(mask, values, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(len(counts), np.nan), where=counts > 0)


def _largest_component_share(
    model: EcosystemModel, node_region: np.ndarray, alive: np.ndarray, region_nodes: np.ndarray
) -> np.ndarray:
    """Share of each region's agents in the largest connected component of the whole network."""
    # Components of the linked nodes only: an isolated agent is a component of one, so any
    # component with two live agents is larger, and among equal sizes the one with the
    # lowest node id wins either way (labels follow the lowest node id).
    nodes, labels = model.network.linked_components()
    live_member = alive[nodes]
    sizes = np.bincount(labels, live_member)
    if len(sizes) and sizes.max() >= 2:
        members = nodes[live_member & (labels == np.argmax(sizes))]
    else:  # no component with two live agents: label every node
        labels = model.network.components(len(alive))
        members = alive & (labels == np.argmax(np.bincount(labels[alive])))
    in_giant = np.bincount(node_region[members], minlength=len(region_nodes))
    return in_giant / np.maximum(region_nodes, 1.0)


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
