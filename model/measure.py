"""Measurement: the indicators of every region at the end of a step.

:func:`measure` only reads the model. It returns the indicator rows, the region x domain
arrays of this step, and what the next step reuses (the live firms' sums per region and the
specialisation matrix, for specialisation entries and exits), which the model keeps and hands
back explicitly. Everything is vectorised over agents; clustering counts triangles with a
degree-ordered algorithm (cross-checked against networkx in the tests). Formulas: docs/ODD.md
§7.8; the indicators themselves are defined in ``indicators.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from . import metrics
from .base import QUARTERS_PER_YEAR, AgentKind
from .cis import cis_shares
from .citizen import CitizenGroups
from .firm import Firms
from .government import Governments
from .indicators import INDICATORS, Measures, annual_inputs
from .knowledge import KnowledgeSpace
from .network import CollaborationNetwork
from .population import NodeRegistry
from .region import RegionState, RegionSums
from .university import Universities
from .vector import FEW_GROUPS, count_by_group

__all__ = ["Measured", "Measurement", "measure"]

#: Firm quantities summed per region in one pass (in this order).
_FIRM_SUMS = ("employees", "revenue", "rd_spend", "grant_spent", "absorptive")


class Measured(Protocol):
    """What measurement reads of the model."""

    steps: int
    knowledge: KnowledgeSpace
    nodes: NodeRegistry
    network: CollaborationNetwork
    regions: RegionState
    firms: Firms
    citizens: CitizenGroups
    governments: Governments
    universities: Universities


@dataclass(frozen=True)
class Measurement:
    """One step's measurement.

    ``rows``: one dict per region (``step``, ``region`` and every indicator); ``domains``:
    region x domain arrays for ``EcosystemModel.domains()``; ``sums``: the live firms' sums
    per region, valid for the next step while no agent changes (keyed by ``step`` and the
    number of firm rows); ``specialised``: this step's specialisation matrix.
    """

    step: int
    firm_rows: int
    rows: list[dict[str, Any]]
    domains: dict[str, np.ndarray]
    sums: RegionSums
    specialised: np.ndarray


def measure(model: Measured, previous_specialised: np.ndarray | None) -> Measurement:
    """Compute every indicator for every region at the current step.

    ``previous_specialised`` is the specialisation matrix of the previous measurement (None at
    the first one, when no domain has entered or left).
    """
    firms, regions, nodes = model.firms, model.regions, model.nodes
    count = regions.count
    n = firms.size

    degree = model.network.node_degree(nodes.capacity)
    # The per-firm sums of real values in one pass: a (firms x quantities) table summed by
    # region. Counts are whole numbers, exact in any order, so they are plain counts.
    quantities = firms.scratch("quantities", dtype=np.float64, width=len(_FIRM_SUMS))
    for column, name in enumerate(_FIRM_SUMS):
        quantities[:, column] = getattr(firms, name)[:n]
    knowledge = firms.knowledge[:n]
    sums, knowledge_sums = firms.per_region_rows(quantities, knowledge)
    # The portfolio's entries, listed and split once for both tables read from them.
    entries = firms.portfolio_entries()
    entry_firm = entries // firms.domains
    entry = _Entries(entries, entry_firm, entries - entry_firm * firms.domains)
    entry_alive = firms.alive[entry_firm]
    stocks = _held_knowledge(firms, count, entry, entry_alive)
    employment, revenue, rd, rd_grants, absorptive = sums.T
    live = firms.alive[:n]
    recent = model.steps - firms.last_innovation[:n] < QUARTERS_PER_YEAR
    firm_count, recent_innovators, partnered, innovators = count_by_group(
        firms.region[:n],
        count,
        live,
        live & recent,
        live & (degree[firms.uid[:n]] > 0),
        live & firms.innovated[:n],
    )
    stocks = stocks.astype(np.float64)
    active = _active_firms(firms, count, entry, entry_alive)
    carry = RegionSums(firm_count, employment, stocks, knowledge_sums.astype(np.float64), active)

    # Technological specialisation: RCA of the number of the region's firms active in each
    # domain (their portfolios) against the fixed world portfolio, so that a region enters or
    # leaves a specialisation as firms enter and leave domains, and it is defined for a single
    # region too. The running innovation count is reported beside it.
    innovation_counts = regions.innovations_by_domain.copy()
    rca = metrics.rca(active, model.knowledge.world_share)
    specialised = rca >= 1.0
    previous = specialised if previous_specialised is None else previous_specialised

    # Relatedness, complexity and variety of the regions' portfolios (model/metrics.py).
    governments = model.governments
    priorities = governments.priorities[:count]
    held_matrix = specialised.astype(np.float64)
    # metrics.relatedness_density with the knowledge space's fixed weights, not rebuilt.
    region_density = held_matrix @ model.knowledge.density_weights.T
    if count >= 2:
        eci, pci = metrics.economic_complexity(held_matrix)
    else:
        eci, pci = np.full(count, np.nan), np.full(model.knowledge.size, np.nan)
    domains = model.knowledge.size
    live_rows = np.flatnonzero(live)  # gathered by index, once, for the three arrays
    cells = firms.core[live_rows].astype(np.int64)
    if count > 1:  # one region: every cell is in row 0
        cells += firms.region[live_rows] * domains
    core_employment = np.bincount(
        cells, firms.employees[live_rows], minlength=count * domains
    ).reshape(count, domains)
    related_variety, unrelated_variety = metrics.entropy_variety(
        core_employment, model.knowledge.family
    )
    domain_arrays = {
        "knowledge": stocks,
        "innovations": innovation_counts,
        "rca": rca,
        "specialised": specialised,
        "density": region_density,
        "priority": priorities.copy(),
        "employment": core_employment,
        "complexity": pci,
    }
    network = _network_measures(model, degree, count)
    citizens = _citizen_means(model.citizens, count)
    names = model.knowledge.names
    measures = Measures(
        firm_count=firm_count,
        employment=employment,
        revenue=revenue,
        gdp=regions.gdp(revenue),
        value_added_share=regions.value_added_share,
        rd=rd,
        rd_grants=rd_grants,
        absorptive=absorptive,
        recent_innovators=recent_innovators,
        partnered=partnered,
        innovators=innovators,
        held_knowledge=stocks,
        specialised=specialised,
        previous_specialised=previous,
        density_specialisations=_masked_mean(region_density, specialised),
        density_priorities=_masked_mean(region_density, priorities),
        priority_innovations=_row_share(innovation_counts, priorities),
        research_strength=model.universities.mean_strength(),
        eci=eci,
        related_variety=related_variety,
        unrelated_variety=unrelated_variety,
        **network,
        human_capital=regions.human_capital,
        growth_kurtosis=regions.growth_kurtosis,
        institutional_quality=governments.quality[:count],
        citizen_participation=citizens[0],
        citizen_trust=citizens[1],
        citizen_participation_spread=citizens[2],
        committed=governments.committed[:count],
        absorbed=governments.absorbed[:count],
        committed_total=governments.committed_total[:count].sum(axis=1),
        absorbed_total=governments.absorbed_total[:count].sum(axis=1),
        priorities=[
            ";".join(names[d] for d in np.flatnonzero(governments.priorities[r]))
            for r in range(count)
        ],
        counters={
            "entries": regions.entries,
            "exits": regions.exits,
            "spinoffs": regions.spinoffs,
            "domain_entries": regions.domain_entries,
            "entry_density": regions.entry_density,
            "entry_complexity": regions.entry_complexity,
            "domain_exits": regions.domain_exits,
            "university_spinoffs": regions.university_spinoffs,
            "social_innovations": regions.social_innovations,
            "social_innovations_total": regions.social_innovations_total,
            "labs_in_priorities": regions.labs_in_priorities,
            **regions.outputs,
            **cis_shares(model.steps, firms, nodes, model.network, count),
        },
        knowledge_flows=regions.knowledge_flows,
        previous_components=list(regions.component_history),
    )
    # Whole columns first, converted to Python numbers once (not element by element).
    columns = {}
    for entry in INDICATORS:
        values = measures.value(entry.name)
        columns[entry.name] = values if isinstance(values, list) else values.tolist()
    regions.remember_components(annual_inputs(measures))
    step = model.steps
    rows = [
        {
            "step": step,
            "region": regions.names[r],
            **{column: column_values[r] for column, column_values in columns.items()},
        }
        for r in range(count)
    ]
    return Measurement(step, n, rows, domain_arrays, carry, specialised)


def _network_measures(model: Measured, degree: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """Network indicators per region: nodes are all live agents; a link counts for a region
    when one of its ends is in it (density: when both are)."""
    nodes, network = model.nodes, model.network
    alive_nodes = nodes.alive
    node_region = nodes.region
    live_nodes = np.flatnonzero(alive_nodes)
    live_region = node_region[live_nodes]
    region_nodes = np.bincount(live_region, minlength=count).astype(np.float64)
    # Unlinked agents add clustering 0 to their region's sum: only the linked ones are summed.
    linked, clustering = network.linked_clustering(degree)
    linked_live = alive_nodes[linked]
    region_clustering = np.bincount(
        node_region[linked[linked_live]], clustering[linked_live], minlength=count
    ) / np.maximum(region_nodes, 1)
    u, v = network.u, network.v
    internal = node_region[u] == node_region[v]
    internal_links = np.bincount(node_region[u][internal], minlength=count).astype(np.float64)
    possible = region_nodes * (region_nodes - 1) / 2
    density = np.divide(internal_links, possible, out=np.zeros(count), where=possible > 0)
    links = np.bincount(node_region[u], minlength=count) + np.bincount(
        node_region[v][~internal], minlength=count
    )
    kind_u, kind_v = nodes.kind[u], nodes.kind[v]

    def touching(mask: np.ndarray) -> np.ndarray:
        """Links with the property, counted for each region an end is in."""
        return np.bincount(node_region[u][mask], minlength=count) + np.bincount(
            node_region[v][mask & ~internal], minlength=count
        )

    firm, university, citizen = AgentKind.FIRM, AgentKind.UNIVERSITY, AgentKind.CITIZEN
    university_industry = touching(
        ((kind_u == firm) & (kind_v == university)) | ((kind_u == university) & (kind_v == firm))
    )
    citizen_links = touching((kind_u == citizen) | (kind_v == citizen))
    giant_share = _largest_component_share(network, node_region, alive_nodes, region_nodes)
    if count == 1:  # whole numbers: their sum is exact, as bincount's is
        region_degree_sum = np.array([degree[live_nodes].sum()], dtype=np.float64)
    else:
        region_degree_sum = np.bincount(live_region, degree[live_nodes], count)
    return {
        "network_density": density,
        "network_clustering": region_clustering,
        "links": links,
        "mean_degree": region_degree_sum / np.maximum(region_nodes, 1),
        "largest_component_share": giant_share,
        "university_industry_links": university_industry,
        "citizen_links": citizen_links,
    }


def _citizen_means(citizens: CitizenGroups, count: int) -> tuple[np.ndarray, ...]:
    """Mean participation and trust of each region's live groups (0 without groups), and
    the standard deviation of participation across them (0 with fewer than two)."""
    live = citizens.alive[: citizens.size]
    region = citizens.region[: citizens.size][live]
    groups = np.maximum(np.bincount(region, minlength=count), 1)
    taking_part = citizens.participation[: citizens.size][live]
    participation = np.bincount(region, taking_part, count) / groups
    trust = np.bincount(region, citizens.trust[: citizens.size][live], count) / groups
    squared_gaps = np.bincount(region, (taking_part - participation[region]) ** 2, count)
    return participation, trust, np.sqrt(squared_gaps / groups)


class _Entries(NamedTuple):
    """The portfolio's entries (flat cells) with their firm rows and domains."""

    cells: np.ndarray
    firm: np.ndarray
    domain: np.ndarray


def _region_cells(firms: Firms, count: int, entry: _Entries) -> np.ndarray:
    """Each entry's cell of a (regions x domains) table (its domain with one region)."""
    if count == 1:
        return entry.domain
    return entry.domain + firms.region[entry.firm].astype(np.int64) * firms.domains


def _held_knowledge(
    firms: Firms, count: int, entry: _Entries, entry_alive: np.ndarray
) -> np.ndarray:
    """Knowledge of each region's live firms in the domains they are active in (regions x
    domains, float32 sums), given the portfolio's entries and whether their firm is alive.

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
    # Departed firms' entries add exact zeros, which is cheaper than filtering them out.
    values = firms.knowledge[:n].reshape(-1)[entry.cells] * entry_alive
    sums = np.zeros(count * domains, dtype=np.float32)
    np.add.at(sums, _region_cells(firms, count, entry), values)
    return sums.reshape(count, domains)


def _active_firms(firms: Firms, count: int, entry: _Entries, entry_alive: np.ndarray) -> np.ndarray:
    """Number of each region's live firms with each domain in their portfolio (regions x
    domains), given the portfolio's entries and whether their firm is alive."""
    cells = _region_cells(firms, count, entry)
    domains = firms.domains
    return np.bincount(cells, entry_alive, minlength=count * domains).reshape(count, domains)


def _row_share(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of each row's sum of ``values`` in the True entries of ``mask`` (NaN for a row
    that sums to zero)."""
    totals = values.sum(axis=1)
    inside = np.where(mask, values, 0.0).sum(axis=1)
    return np.divide(inside, totals, out=np.full(len(totals), np.nan), where=totals > 0)


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row means of ``values`` over the True entries of ``mask`` (NaN for an empty row)."""
    counts = mask.sum(axis=1)
    sums = np.where(mask, values, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(len(counts), np.nan), where=counts > 0)


def _largest_component_share(
    network: CollaborationNetwork,
    node_region: np.ndarray,
    alive: np.ndarray,
    region_nodes: np.ndarray,
) -> np.ndarray:
    """Share of each region's agents in the largest connected component of the whole network."""
    # Components of the linked nodes only: an isolated agent is a component of one, so any
    # component with two live agents is larger, and among equal sizes the one with the
    # lowest node id wins either way (labels follow the lowest node id).
    nodes, labels = network.linked_components()
    live_member = alive[nodes]
    sizes = np.bincount(labels, live_member)
    if len(sizes) and sizes.max() >= 2:
        members = nodes[live_member & (labels == np.argmax(sizes))]
    else:  # no component with two live agents: label every node
        labels = network.components(len(alive))
        members = alive & (labels == np.argmax(np.bincount(labels[alive])))
    in_giant = np.bincount(node_region[members], minlength=len(region_nodes))
    return in_giant / np.maximum(region_nodes, 1.0)
