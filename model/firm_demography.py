"""Firm demography: founding, entry (start-ups, spin-outs) and exit.

Every firm of the model is created by :meth:`FirmDemography.found`, called by
:meth:`~FirmDemography.populate` (the initial firms) and :meth:`~FirmDemography.enter` (new
firms during the run, from all routes: start-ups, spin-outs, university spin-offs, supported
start-ups). These are methods of :class:`~smartspec.model.firm.Firms`, mixed in from here to
keep each file short. Equations: docs/ODD.md §5 and §7.1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from smartspec.scenarios.schema import FirmBehaviour, Initialisation, Region

from .agents import Firm
from .base import ABSORPTIVE_MARGIN, NEVER
from .firm_learning import FirmStep
from .knowledge import KnowledgeSpace
from .partnering import FirmDirectory
from .region import RegionState
from .streams import verb
from .vector import choose_per_row

__all__ = ["FirmDemography"]


class FirmDemography:
    """Founding, entry and exit of :class:`Firms`."""

    # Arrays and collaborators of Firms used here (declared for readers and type checkers);
    # also used: append() and remove() (from Population), track_portfolio() (from Firms).
    rng: np.random.Generator
    model: Any
    # Also used (from LearningVerbs): related_density() and domain_choice_weights().
    size: int
    domains: int
    params: FirmBehaviour
    knowledge_space: KnowledgeSpace
    regions: RegionState
    directory: FirmDirectory
    knowledge: np.ndarray
    portfolio: np.ndarray
    core: np.ndarray
    region: np.ndarray
    alive: np.ndarray
    capital: np.ndarray
    loss_streak: np.ndarray
    innovated: np.ndarray
    innovation_domain: np.ndarray

    # ----------------------------------------------------------------- creation
    def populate(
        self, region: int, spec: Region, specialised: np.ndarray, initial: Initialisation
    ) -> np.ndarray:
        """Found the initial firms of one region; returns their employees.

        Core domains: a share ``spec.concentration`` in the specialisations, the others over
        all domains, more often near the specialisations (a regional economy is coherent, not
        a random draw of activities; uniformly with ``initial.domain_layout = "unrelated"``,
        as are the second domains). Sizes are Pareto (Zipf-like, Axtell 2001) with the
        region's mean, or all equal to it (``initial.firm_sizes = "equal"``); larger firms also
        hold a second, related domain.
        """
        rng, space, count = self.rng, self.knowledge_space, spec.firms
        related = initial.domain_layout == "related"
        if related:
            nearness = space.proximity[specialised].mean(axis=0) + initial.core_nearness_floor
        else:
            nearness = np.ones(space.size)
        concentrated = rng.random(count) < spec.concentration
        cores = np.where(
            concentrated,
            rng.choice(specialised, size=count),
            rng.choice(space.size, size=count, p=nearness / nearness.sum()),
        )
        # A region of R real firms has its largest near the 1/R quantile of the size
        # distribution: bounding the draw there keeps an exponent near 1 from now and then
        # drawing one firm larger than all the others together. The minimum keeps the mean.
        alpha = initial.firm_size_exponent
        floor = 1.0 / (spec.represented_firms or count)
        bounded = (1.0 - floor) / (1.0 - floor ** ((alpha - 1.0) / alpha))
        minimum = spec.mean_firm_size * (alpha - 1.0) / alpha * bounded
        quantile = rng.uniform(floor, 1.0, count)
        employees = np.maximum(1.0, np.round(minimum * quantile ** (-1 / alpha)))
        if initial.firm_sizes == "equal":
            # The same draws are made, so that only the sizes differ from a Pareto start.
            employees = np.full(count, max(1.0, float(np.round(spec.mean_firm_size))))
        sigma = initial.knowledge_dispersion
        level = spec.knowledge_level * rng.lognormal(-0.5 * sigma**2, sigma, count)
        # Established firms hold the reserve that owners keep (capital_buffer quarters of revenue).
        reserve = np.full(count, self.params.capital_buffer)
        slots = self.found(region, count, cores, level, employees, reserve=reserve)
        diversified = employees >= initial.diversified_size
        large = slots[diversified]
        if len(large):
            if related:
                nearness = space.off_diagonal[self.core[large]] ** initial.second_domain_focus
            else:
                nearness = 1.0 - np.eye(space.size)[self.core[large]]
            second = choose_per_row(rng, nearness)
            self.portfolio[large, second] = True
            self.knowledge[large, second] = initial.second_domain_knowledge * level[diversified]
        return employees

    def found(
        self,
        region: int | np.ndarray,
        count: int,
        core: np.ndarray,
        knowledge_in_core: np.ndarray,
        employees: np.ndarray,
        inherited: np.ndarray | None = None,
        reserve: np.ndarray | None = None,
    ) -> np.ndarray:
        """Create ``count`` firm rows with given regions (one, or one per firm), core domains,
        knowledge and size; every firm of the model is created here. Capital is ``reserve``
        quarters of revenue, or start-up capital drawn between ``firm.capital_min`` and
        ``firm.capital_max``. Returns the slots."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng, params, regions = self.rng, self.params, self.regions
        region = np.broadcast_to(np.asarray(region, dtype=np.int64), (count,))
        rows = np.arange(count)
        knowledge = np.zeros((count, self.domains), dtype=np.float32)
        if inherited is not None:
            knowledge += inherited
        knowledge[rows, core] = np.maximum(knowledge[rows, core], knowledge_in_core)
        portfolio = np.zeros((count, self.domains), dtype=bool)
        portfolio[rows, core] = True
        margin = ABSORPTIVE_MARGIN
        mean = np.clip(regions.absorptive_capacity[region], 2 * margin, 1.0 - 2 * margin)
        bonus = regions.capacity_bonus[region]
        concentration = params.absorptive_concentration
        drawn = rng.beta(concentration, concentration * (1.0 - mean) / mean, count)
        absorptive = np.clip(drawn + bonus, margin, 1.0 - margin)
        productivity = regions.productivity[region]
        sigma = params.rd_intensity_dispersion
        rd_intensity = regions.rd_intensity[region] * rng.lognormal(-0.5 * sigma**2, sigma, count)
        if reserve is None:
            reserve = rng.uniform(params.capital_min, params.capital_max, count)
        slots = self.append(
            Firm,
            count,
            region=region,
            knowledge=knowledge,
            portfolio=portfolio,
            core=core,
            absorptive=absorptive,
            absorptive_base=absorptive - bonus,
            employees=employees,
            capital=employees * productivity * reserve,
            efficiency=0.0,
            rd_intensity=rd_intensity,
            revenue=employees * productivity,
            rd_spend=rd_intensity * employees * productivity,
            markup=0.0,
            loss_streak=0,
            innovations=0,
            last_innovation=NEVER,
            innovated=False,
            innovation_domain=-1,
            age=0,
            progressive=rng.random(count) < params.progressive_share,
        )
        self.track_portfolio(added=slots * self.domains + core)
        return slots

    def enter(
        self,
        regions: int | np.ndarray,
        cores: np.ndarray,
        inherited: np.ndarray | None = None,
        spinoff: bool | np.ndarray = False,
        extra_capital: float = 0.0,
    ) -> np.ndarray:
        """New firms during the run (start-ups, spin-outs, university spin-offs, supported
        start-ups): firm i in ``regions[i]`` (or all in one region) with core ``cores[i]``,
        inheriting ``inherited[i]`` (rows of zeros for independent entrants). Entrants know
        about what the region's firms active in their domain know in it; a spin-out adds what
        it inherits in its core to that. Returns the new slots."""
        params, rng = self.params, self.rng
        count = len(cores)
        if count == 0:
            return np.empty(0, dtype=np.int64)
        regions = np.broadcast_to(np.asarray(regions, dtype=np.int64), (count,))
        spread = params.entrant_knowledge_spread
        share = rng.uniform(1.0 - spread, 1.0 + spread, count)
        known = self.regions.incumbent_knowledge[regions, cores]
        level = known * share + params.entrant_knowledge_floor
        if inherited is not None:
            level = level + inherited[np.arange(count), cores]
        employees = 1.0 + rng.integers(0, params.entrant_max_employees, count)
        slots = self.found(regions, count, cores, level, employees, inherited)
        self.capital[slots] += extra_capital
        self.regions.record_foundings(regions, np.broadcast_to(spinoff, (count,)))
        return slots

    # --------------------------------------------------------------- entry and exit
    @verb
    def spawn_startups(self, state: FirmStep) -> None:
        """Innovating firms spin out start-ups and independent entrants appear in every
        region; both become rarer as the number of firms rises above its starting level
        (density-dependent entry, exponent ``firm.entry_crowding``)."""
        params, rng, n, regions = self.params, self.rng, state.n, self.regions
        crowding = regions.crowding(params.entry_crowding)
        chance = np.minimum(params.startup_rate * crowding[self.region[:n]], 1.0)
        parents = np.flatnonzero(self.innovated[:n] & (rng.random(n) < chance))
        # At most the market's room a quarter: where nearly every firm has failed, (room /
        # firms) ** exponent would otherwise found millions of firms at once.
        expected = params.entry_rate * regions.firm_count * crowding
        entrants = rng.poisson(np.minimum(expected, regions.market_room))
        # Spin-outs start in the parent's latest innovation with part of its knowledge.
        spun_regions = self.region[parents].astype(np.int64)
        spun_cores = self.innovation_domain[parents].astype(np.int64)
        inherited = params.spinout_inheritance * self.knowledge[parents]
        entrant_regions, entrant_cores = self._entrant_cores(
            np.repeat(np.arange(regions.count), entrants)
        )
        # Spin-outs and entrants of every region are founded together (one Mesa creation).
        count = len(entrant_cores)
        self.enter(
            np.concatenate([spun_regions, entrant_regions]),
            np.concatenate([spun_cores, entrant_cores]),
            inherited=np.concatenate([inherited, np.zeros((count, self.domains), np.float32)]),
            spinoff=np.arange(len(parents) + count) < len(parents),
        )

    def _entrant_cores(self, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(regions, cores) of independent entrants, one per entry of ``regions``: each copies
        the core domain of a random local firm, or (a share ``firm.entrant_related_move``)
        chooses one by relatedness as ``diversify`` does, so that the diversification ablation
        reaches new firms too (regions diversify through new establishments; Neffke et al.
        2011). Entrants to regions without firms are dropped."""
        rng, params = self.rng, self.params
        local = self.directory.sample(regions)
        regions = np.asarray(regions, dtype=np.int64)[local >= 0]
        cores = self.core[local[local >= 0]].astype(np.int64)
        wander = np.flatnonzero(rng.random(len(cores)) < params.entrant_related_move)
        if len(wander):
            # A wandering entrant picks its domain as a diversifying firm whose portfolio is
            # the copied core would: by relatedness density to that core and to the region.
            density = self.related_density(
                self.knowledge_space.density_rows32[cores[wander]], regions[wander]
            )
            weights = self.domain_choice_weights(params.diversification_relatedness * density)
            weights[np.arange(len(wander)), cores[wander]] = 0.0
            cores[wander] = choose_per_row(rng, weights)
        return regions, cores

    @verb
    def exit_failed(self, state: FirmStep) -> None:
        """Firms with exhausted capital or sustained losses leave the model (firms founded
        during this step are not checked)."""
        n = state.n
        failed = self.alive[:n] & (
            (self.capital[:n] < 0.0) | (self.loss_streak[:n] >= self.params.exit_losses)
        )
        leaving = np.flatnonzero(failed)
        self.regions.record_exits(self.region[leaving])
        self.remove(leaving)
