"""Region-level state: what belongs to a region and to no single agent.

Productivity, the pool of skilled workers (human capital), the decaying boosts bought by
cluster support and innovation procurement, the absorptive-capacity bonus of capacity
building, the running innovation count per domain, and this step's counters (entries, exits,
outputs, knowledge flows). The agent populations read and write these arrays; this module
reads no population itself: the model hands it the sums it needs (:class:`RegionSums`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smartspec.scenarios.schema import Region, Scenario

from .base import QUARTERS_PER_YEAR

__all__ = ["KNOWLEDGE_SOURCES", "RegionState", "RegionSums"]

#: Sources of the knowledge firms learn, recorded per region and step (docs/ODD.md §7.1).
KNOWLEDGE_SOURCES = ("firm", "university", "own", "spillover")


@dataclass(frozen=True)
class RegionSums:
    """Per-region sums over live firms that the verbs read during a step.

    ``firm_count`` and ``employment`` per region; ``firm_knowledge``: knowledge in the domains
    firms are active in, ``knowledge_sums``: all knowledge and ``active_firms``: the number of
    firms active in each domain (regions x domains).
    """

    firm_count: np.ndarray
    employment: np.ndarray
    firm_knowledge: np.ndarray
    knowledge_sums: np.ndarray
    active_firms: np.ndarray


class RegionState:
    """Arrays over regions (index r), set up from the scenario's ``[[regions]]``.

    Parameters
    ----------
    scenario
        The validated scenario (regions, instruments' boost persistence, dynamics).
    domains
        Number of knowledge domains K.
    outputs
        Names of the instruments' output counters (one per instrument).
    """

    def __init__(self, scenario: Scenario, domains: int, outputs: Sequence[str]) -> None:
        specs: list[Region] = scenario.regions
        count = len(specs)
        self.count = count
        self.names = [spec.name for spec in specs]
        self.productivity = np.array([spec.productivity for spec in specs])
        self.value_added_share = np.array([spec.value_added_share for spec in specs])
        # Starting means of new firms' traits, per region (read when firms are founded).
        self.absorptive_capacity = np.array([spec.absorptive_capacity for spec in specs])
        self.rd_intensity = np.array([spec.rd_intensity for spec in specs])
        self.initial_human_capital = np.array([spec.human_capital for spec in specs])
        self.positions = np.array([spec.position for spec in specs], dtype=np.float64)
        self.skilled = np.zeros(count)
        self.employment = np.zeros(count)
        self.initial_employment = np.ones(count)
        self.initial_firms = np.array([spec.firms for spec in specs], dtype=np.float64)
        # The number of firms the regional market makes room for: the reference of
        # density-dependent entry and competition, rising with the business population.
        self.market_room = self.initial_firms.copy()
        self.market_growth = (1.0 + scenario.firm.population_growth) ** (1.0 / QUARTERS_PER_YEAR)
        # How many real enterprises each simulated firm stands for (fixed at the start).
        self.firm_weight = np.array(
            [(spec.represented_firms or spec.firms) / spec.firms for spec in specs]
        )
        self.capacity_bonus = np.zeros(count)
        # Boosts per region: column 0 acts on firms in the priority domains, column 1 on all
        # firms (an instrument's ``targeting`` decides which one it raises).
        self.cluster_boost = np.zeros((count, 2))
        self.procurement_pull = np.zeros((count, 2))
        self.cluster_persistence = scenario.instruments.cluster_support.persistence
        self.procurement_persistence = scenario.instruments.public_procurement.persistence
        self.innovation_memory = scenario.dynamics.innovation_memory
        self.skilled_attrition = scenario.university.human_capital_attrition
        self.firm_count = np.zeros(count, dtype=np.int64)
        self.firm_knowledge = np.zeros((count, domains))
        self.mean_knowledge = np.zeros((count, domains))
        self.incumbent_knowledge = np.zeros((count, domains))
        self.innovations_by_domain = np.zeros((count, domains))
        self.social_innovations_total = np.zeros(count, dtype=np.int64)
        self.distance = np.linalg.norm(
            self.positions[:, None, :] - self.positions[None, :, :], axis=2
        )
        self._outputs = tuple(outputs)
        # The index components of the last three quarters (annual index values, §7.8).
        self.component_history: list[np.ndarray] = []
        self.reset_counters()

    # ---------------------------------------------------------------- lifecycle
    def reset_counters(self) -> None:
        """Zero this step's counters."""
        count = self.count
        self.entries = np.zeros(count, dtype=np.int64)
        self.exits = np.zeros(count, dtype=np.int64)
        self.spinoffs = np.zeros(count, dtype=np.int64)
        self.domain_entries = np.zeros(count, dtype=np.int64)
        self.entry_density = np.zeros(count)
        self.entry_complexity = np.zeros(count)
        self.domain_exits = np.zeros(count, dtype=np.int64)
        self.university_spinoffs = np.zeros(count, dtype=np.int64)
        self.social_innovations = np.zeros(count, dtype=np.int64)
        self.labs_in_priorities = np.zeros(count, dtype=np.int64)
        self.outputs = {name: np.zeros(count) for name in self._outputs}
        self.knowledge_flows = {source: np.zeros(count) for source in KNOWLEDGE_SOURCES}
        self.growth_kurtosis = np.full(count, np.nan)

    def begin_step(self, sums: RegionSums) -> None:
        """Start a step: zero the counters and take the live firms' sums the verbs read."""
        self.reset_counters()
        self.firm_count = sums.firm_count
        self.employment = sums.employment
        self.firm_knowledge = sums.firm_knowledge
        self.mean_knowledge = sums.knowledge_sums / np.maximum(self.firm_count, 1)[:, None]
        # What an entrant starts from: the mean over the firms active in the domain, not
        # over all firms (most of which are not, and would dilute it about tenfold).
        self.incumbent_knowledge = sums.firm_knowledge / np.maximum(sums.active_firms, 1)

    def end_step(
        self,
        employment: np.ndarray,
        innovation_regions: np.ndarray,
        innovation_domains: np.ndarray,
        grow_market: bool = True,
    ) -> None:
        """End a step: the market's room for firms grows (from quarter 0 only:
        ``grow_market`` is False in the burn-in, which should settle the state at the
        starting room, not inflate it); boosts decay;
        skilled workers retire or leave and cannot exceed ``employment``; this step's
        innovations (one entry per innovating firm) join the decaying running count per
        region and domain."""
        self.employment = employment
        if grow_market:
            self.market_room *= self.market_growth
        self.cluster_boost *= self.cluster_persistence
        self.procurement_pull *= self.procurement_persistence
        self.skilled *= 1.0 - self.skilled_attrition
        self.skilled = np.minimum(self.skilled, self.employment)
        self.social_innovations_total += self.social_innovations
        self.innovations_by_domain *= self.innovation_memory
        np.add.at(self.innovations_by_domain, (innovation_regions, innovation_domains), 1.0)

    # ------------------------------------------------------------------ queries
    @property
    def human_capital(self) -> np.ndarray:
        """Share of skilled (tertiary-educated) workers in employment."""
        return np.divide(
            self.skilled,
            self.employment,
            out=np.zeros_like(self.skilled),
            where=self.employment > 0,
        )

    @property
    def market_scale(self) -> np.ndarray:
        """How far each region's economy has grown since the start (market room / initial
        firms; 1 without ``firm.population_growth``): the research system's reach grows
        with it on the balanced-growth path."""
        return self.market_room / self.initial_firms

    @property
    def labour_force(self) -> np.ndarray:
        """The employment the labour market pulls towards: the starting employment, growing
        with the market (a balanced-growth path keeps employees per firm stationary)."""
        return self.initial_employment * self.market_scale

    def gdp(self, revenue: np.ndarray) -> np.ndarray:
        """GDP per region (M€ per quarter) from the simulated firms' revenue per region: the
        value added of the real firms they stand for."""
        return self.value_added_share * revenue * self.firm_weight

    def human_capital_gain(self) -> np.ndarray:
        """Human capital above (or below) each region's starting share."""
        return self.human_capital - self.initial_human_capital

    def crowding(self, exponent: float) -> np.ndarray:
        """(market room / firms now) ** exponent per region: how much more (or less) room
        the regional market leaves than the firms fill. The room starts at the initial number
        of firms and grows by ``firm.population_growth`` a year from quarter 0."""
        return (self.market_room / np.maximum(self.firm_count, 1.0)) ** exponent

    # ------------------------------------------------------------------ changes
    def remember_components(self, components: np.ndarray) -> None:
        """Keep this quarter's index components (regions x components) for the next three."""
        kept = QUARTERS_PER_YEAR - 1
        self.component_history = [*self.component_history, components][-kept:]

    def add_skilled(self, people: np.ndarray) -> None:
        self.skilled += people

    def record_entries(
        self, regions: np.ndarray, density: np.ndarray, complexity: np.ndarray
    ) -> None:
        """Count firms entering a new domain (one entry of ``regions`` per firm) and add up
        the relatedness density of the domain each entered to its portfolio (``density``)
        and that domain's complexity (``complexity``)."""
        self.domain_entries += np.bincount(regions, minlength=self.count)
        self.entry_density += np.bincount(regions, density, minlength=self.count)
        self.entry_complexity += np.bincount(regions, complexity, minlength=self.count)

    def record_domain_exits(self, regions: np.ndarray) -> None:
        """Count firms dropping a domain from their portfolio (one entry of ``regions`` per
        firm)."""
        self.domain_exits += np.bincount(regions, minlength=self.count)

    def record_university_spinoffs(self, regions: np.ndarray) -> None:
        """Count spin-offs founded by universities (one entry of ``regions`` per firm; they
        are also counted by :meth:`record_foundings`)."""
        self.university_spinoffs += np.bincount(regions, minlength=self.count)

    def record_exits(self, regions: np.ndarray) -> None:
        self.exits += np.bincount(regions, minlength=self.count)

    def record_foundings(self, regions: np.ndarray, spinoff: np.ndarray) -> None:
        """Count new firms per region, and which of them are spin-offs."""
        self.entries += np.bincount(regions, minlength=self.count)
        self.spinoffs += np.bincount(regions[spinoff], minlength=self.count)
