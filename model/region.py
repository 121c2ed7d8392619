"""Region-level state shared by the agent types: labour market, support boosts, counters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .instruments import OUTPUT_INDICATORS
from .vector import choose_per_row

if TYPE_CHECKING:
    from .firm import Firms
    from .model import EcosystemModel

__all__ = ["INNOVATION_MEMORY", "RegionState"]

#: Weight kept per quarter by the running count of innovations per region and domain (a mean
#: lag of about 2.5 years, like the multi-year patent windows of technological-specialisation
#: studies); RCA and the firms' signal in the EDP are based on it.
INNOVATION_MEMORY = 0.9


class RegionState:
    """Arrays over regions (index r) plus per-step caches of who is where.

    Holds what belongs to no single agent: productivity, the pool of skilled workers (human
    capital), the decaying boosts set by cluster support and procurement, the absorptive-
    capacity bonus from capacity building, and this step's counters (entries, exits, outputs).
    """

    def __init__(self, model: EcosystemModel) -> None:
        self.model = model
        specs = model.spec.regions
        count, domains = len(specs), model.knowledge.size
        self.names = [spec.name for spec in specs]
        self.productivity = np.array([spec.productivity for spec in specs])
        # Starting means of new firms' traits, per region (read when firms are founded).
        self.absorptive_capacity = np.array([spec.absorptive_capacity for spec in specs])
        self.rd_intensity = np.array([spec.rd_intensity for spec in specs])
        self.initial_human_capital = np.array([spec.human_capital for spec in specs])
        self.positions = np.array([spec.position for spec in specs], dtype=np.float64)
        self.skilled = np.zeros(count)
        self.employment = np.zeros(count)
        self.initial_employment = np.ones(count)
        self.initial_firms = np.array([spec.firms for spec in specs], dtype=np.float64)
        self.capacity_bonus = np.zeros(count)
        # Boosts per region: column 0 acts on firms in the priority domains, column 1 on all
        # firms (an instrument's ``targeting`` decides which one it raises).
        self.cluster_boost = np.zeros((count, 2))
        self.procurement_pull = np.zeros((count, 2))
        self.firm_count = np.zeros(count, dtype=np.int64)
        self.firm_knowledge = np.zeros((count, domains))
        self.innovations_by_domain = np.zeros((count, domains))
        self.social_innovations_total = np.zeros(count, dtype=np.int64)
        self.distance = np.linalg.norm(
            self.positions[:, None, :] - self.positions[None, :, :], axis=2
        )
        self._cache: dict = {}
        self._collected: tuple | None = None
        self.reset_counters()

    # ---------------------------------------------------------------- lifecycle
    def reset_counters(self) -> None:
        count = len(self.names)
        self.entries = np.zeros(count, dtype=np.int64)
        self.exits = np.zeros(count, dtype=np.int64)
        self.spinoffs = np.zeros(count, dtype=np.int64)
        self.domain_entries = np.zeros(count, dtype=np.int64)
        self.social_innovations = np.zeros(count, dtype=np.int64)
        self.outputs = {name: np.zeros(count) for name in OUTPUT_INDICATORS.values()}
        self.knowledge_flows = {
            source: np.zeros(count) for source in ("firm", "university", "own", "spillover")
        }

    def begin_step(self) -> None:
        """Refresh the regional aggregates the verbs read during the step.

        The firm counts, employment and knowledge sums are those the indicators took at the end
        of the previous step (see :meth:`remember_collected`): no agent state changes between
        collecting data and the next step, so they are reused instead of recomputed (code that
        edits agents by hand in between calls ``EcosystemModel.refresh()``).
        """
        self.reset_counters()
        self.invalidate()
        firms = self.model.firms
        collected, self._collected = self._collected, None
        if collected is not None and collected[0] == (self.model.steps - 1, firms.size):
            self.firm_count, self.employment, self.firm_knowledge, knowledge_sums = collected[1:]
        else:
            self.firm_count = firms.per_region(np.ones(firms.size))
            self.employment = firms.per_region(firms.employees[: firms.size])
            knowledge = firms.knowledge[: firms.size]
            held = np.multiply(knowledge, firms.portfolio[: firms.size], out=firms.scratch("work"))
            self.firm_knowledge, knowledge_sums = firms.per_region_rows(held, knowledge)
        self.mean_knowledge = knowledge_sums / np.maximum(self.firm_count, 1)[:, None]

    def forget_collected(self) -> None:
        """Drop the sums kept from the last collection (state was edited by hand)."""
        self._collected = None

    def remember_collected(
        self,
        firm_count: np.ndarray,
        employment: np.ndarray,
        firm_knowledge: np.ndarray,
        knowledge_sums: np.ndarray,
    ) -> None:
        """Keep the per-region sums over live firms taken by the indicators at this step's end
        (count, employment, knowledge in held domains, all knowledge) for the next
        :meth:`begin_step`."""
        key = (self.model.steps, self.model.firms.size)
        self._collected = (key, firm_count, employment, firm_knowledge, knowledge_sums)

    def end_step(self) -> None:
        """Boosts decay; skilled workers retire or leave; the pool cannot exceed employment."""
        firms = self.model.firms
        self.employment = firms.per_region(firms.employees[: firms.size])
        self.cluster_boost *= 0.85
        self.procurement_pull *= 0.85
        self.skilled *= 1.0 - self.model.spec.university.human_capital_attrition
        self.skilled = np.minimum(self.skilled, self.employment)
        self.social_innovations_total += self.social_innovations
        self.innovations_by_domain *= INNOVATION_MEMORY
        live = np.flatnonzero(firms.innovated[: firms.size] & firms.alive[: firms.size])
        np.add.at(
            self.innovations_by_domain,
            (firms.region[live], firms.innovation_domain[live]),
            1.0,
        )

    def invalidate(self) -> None:
        self._cache.clear()

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

    def human_capital_gain(self) -> np.ndarray:
        return self.human_capital - self.initial_human_capital

    def add_skilled(self, people: np.ndarray) -> None:
        self.skilled += people

    def _firm_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live firm slots sorted by region, with each region's start and count."""
        if "firm_index" not in self._cache:
            firms = self.model.firms
            live = np.flatnonzero(firms.alive[: firms.size])
            if len(self.names) == 1:
                order = live
            else:
                order = live[np.argsort(firms.region[live], kind="stable")]
            counts = np.bincount(firms.region[order], minlength=len(self.names))
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self._cache["firm_index"] = (order, starts, counts)
        return self._cache["firm_index"]

    def attachment_weights(self) -> np.ndarray:
        """Cumulative (links + 1) over the region-sorted firm index, for preferential
        attachment; taken once per step (links formed during the step count from the next)."""
        if "attachment" not in self._cache:
            order = self._firm_index()[0]
            weights = self.model.node_degree()[self.model.firms.uid[order]] + 1.0
            self._cache["attachment"] = np.cumsum(weights)
        return self._cache["attachment"]

    def targeted_boost(self, boost: np.ndarray, firms: Firms) -> np.ndarray:
        """Per-firm value of a (regions x 2) boost: the priority column for firms active in a
        priority domain, plus the all-firms column."""
        member = self.priority_member(firms)
        return firms.of_region(boost[:, 0]) * member + firms.of_region(boost[:, 1])

    def firms_in(self, region: int) -> np.ndarray:
        order, starts, counts = self._firm_index()
        return order[starts[region] : starts[region] + counts[region]]

    def priority_member(self, firms: Firms) -> np.ndarray:
        """Whether each firm is active in one of its region's priority domains (as of the
        start of the step's firm verbs)."""
        cached = self._cache.get("priority_member")
        if cached is None or len(cached) != firms.size:
            n = firms.size
            priorities = self.model.governments.priorities[: len(self.names)]
            portfolio, region = firms.portfolio[:n], firms.region[:n]
            member = np.zeros(n, dtype=bool)
            # A loop over the few priority domains (columns), not over firms.
            for domain in np.flatnonzero(priorities.any(axis=0)).tolist():
                if len(self.names) == 1:
                    member |= portfolio[:, domain]
                else:
                    member |= portfolio[:, domain] & priorities[region, domain]
            self._cache["priority_member"] = member
        return self._cache["priority_member"]

    def eligible_firms(self, region: int, priority_only: bool) -> np.ndarray:
        key = ("eligible", region, priority_only)
        if key not in self._cache:
            pool = self.firms_in(region)
            if priority_only:
                pool = pool[self.priority_member(self.model.firms)[pool]]
            self._cache[key] = pool
        return self._cache[key]

    def universities_in(self, region: int) -> np.ndarray:
        universities = self.model.universities
        live = universities.alive[: universities.size]
        return np.flatnonzero(live & (universities.region[: universities.size] == region))

    def citizens_in(self, region: int) -> np.ndarray:
        citizens = self.model.citizens
        live = citizens.alive[: citizens.size]
        return np.flatnonzero(live & (citizens.region[: citizens.size] == region))

    def university_strength(self, region: int) -> np.ndarray:
        rows = self.universities_in(region)
        return self.model.universities.strength[rows].sum(axis=0)

    def citizen_signal(self, region: int) -> tuple[np.ndarray, float]:
        """Needs weighted by participation, and the mean participation."""
        rows = self.citizens_in(region)
        if len(rows) == 0:
            return np.zeros(self.model.knowledge.size), 0.0
        citizens = self.model.citizens
        weights = citizens.participation[rows]
        return weights @ citizens.needs[rows], float(weights.mean())

    # ------------------------------------------------------------------ changes
    def record_entries(self, regions: np.ndarray, domains: np.ndarray) -> None:
        del domains
        self.domain_entries += np.bincount(regions, minlength=len(self.names))

    def record_exits(self, regions: np.ndarray) -> None:
        self.exits += np.bincount(regions, minlength=len(self.names))

    def new_firms(
        self,
        regions: int | np.ndarray,
        cores: np.ndarray,
        inherited: np.ndarray | None = None,
        spinoff: bool | np.ndarray = False,
        extra_capital: float = 0.0,
    ) -> np.ndarray:
        """Create firms, any number of regions at once (one Mesa creation per call): firm i
        in ``regions[i]`` (or all in one region) with core domain ``cores[i]``, inheriting
        ``inherited[i]`` (spin-outs; rows of zeros for other firms). ``spinoff`` marks which
        count as spin-offs. Returns the new slots."""
        model, rng = self.model, self.model.rng
        count = len(cores)
        if count == 0:
            return np.empty(0, dtype=np.int64)
        regions = np.broadcast_to(np.asarray(regions, dtype=np.int64), (count,))
        # Entrants know on average what the region's incumbents know in their domain.
        level = self.mean_knowledge[regions, cores] * rng.uniform(0.5, 1.5, count) + 0.05
        if inherited is not None:
            level = np.maximum(level, inherited[np.arange(count), cores])
        employees = 1.0 + rng.integers(0, 3, count)
        firms = model.firms
        slots = firms.found(regions, count, cores, level, employees, inherited)
        firms.capital[slots] += extra_capital
        self.entries += np.bincount(regions, minlength=len(self.names))
        spinoff = np.broadcast_to(spinoff, (count,))
        self.spinoffs += np.bincount(regions[spinoff], minlength=len(self.names))
        return slots

    def spinout_firms(self, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(regions, cores, inherited knowledge) of start-ups spun out of innovating firms:
        core = the parent's latest innovation, 30 % of the parent's knowledge."""
        firms = self.model.firms
        return (
            firms.region[parents].astype(np.int64),
            firms.innovation_domain[parents].astype(np.int64),
            0.3 * firms.knowledge[parents],
        )

    def entrant_cores(self, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(regions, cores) of independent entrants, one per entry of ``regions``: each copies
        the core domain of a random local firm, 30 % of them moving to a related domain.
        Entrants to regions without firms are dropped."""
        model, rng = self.model, self.model.rng
        local = model.sample_firms(regions)
        regions = np.asarray(regions, dtype=np.int64)[local >= 0]
        cores = model.firms.core[local[local >= 0]].astype(np.int64)
        wander = rng.random(len(cores)) < 0.3
        if wander.any():
            cores[wander] = choose_per_row(rng, model.knowledge.off_diagonal[cores[wander]])
        return regions, cores
