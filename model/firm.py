"""Firms: knowledge (SKIN-like kene), R&D, learning, partnering, innovation, growth and exit.

Firm state is a struct of arrays, one row ("slot") per firm, held by :class:`Firms`; the
Mesa agent :class:`~smartspec.model.agents.Firm` only reads its row. That is why the model is
fast: each verb runs once per step over whole arrays instead of once per agent. The verbs of
knowledge (R&D, learning, partner search, innovation, diversification) are in
``firm_learning.py``, founding, entry and exit in ``firm_demography.py``; production and
growth are here. docs/ODD.md §7.1 gives the equations.
"""

from __future__ import annotations

import mesa
import numpy as np

from smartspec.scenarios.schema import FirmBehaviour, Interregional

from .agents import Firm
from .base import ABSORPTIVE_MARGIN, EPSILON, TINY, AgentKind, KnowledgeSources, Policy
from .firm_demography import FirmDemography
from .firm_learning import FirmStep, LearningVerbs
from .knowledge import KnowledgeSpace
from .metrics import excess_kurtosis
from .network import CollaborationNetwork
from .partnering import FirmDirectory, FirmLinks
from .population import NodeRegistry, Population
from .portfolio import PortfolioDensity, PortfolioEntries
from .region import RegionState, RegionSums
from .streams import verb
from .vector import FEW_GROUPS, sum_rows

__all__ = ["Firm", "FirmStep", "Firms"]

#: Scale of a Laplace distribution with unit variance (the employment-growth shocks).
_UNIT_LAPLACE = np.sqrt(0.5)


class Firms(LearningVerbs, FirmDemography, Population):
    """All firms of the model as arrays (one row per firm).

    Parameters
    ----------
    model
        The Mesa model (registers the agents, keeps the clock and the generator).
    nodes
        The node registry shared by all agent types.
    knowledge
        The knowledge space.
    regions
        Region-level state.
    network
        The collaboration network.
    universities
        The universities' strength and transfer capacity, which firms learn from.
    policy
        The governments' priorities (for instruments and boosts aimed at priority domains).
    params, interregional
        The scenario's ``[firm]`` and ``[interregional]`` tables.
    capacity
        Rows to allocate at first.
    """

    kind = AgentKind.FIRM
    #: The verbs of one step, in order (docs/ODD.md §3); ``prepare`` returns the
    #: :class:`FirmStep` the others share.
    VERBS = (
        "prepare",
        "invest_in_rd",
        "learn",
        "seek_partners",
        "innovate",
        "diversify",
        "produce_and_grow",
        "adapt_absorptive_capacity",
        "spawn_startups",
        "exit_failed",
    )
    fields = {
        "region": ((), np.int32),
        # float32 halves memory traffic of the (firms x domains) passes that dominate a step
        "knowledge": (("K",), np.float32),
        "portfolio": (("K",), bool),
        "core": ((), np.int32),
        "absorptive": ((), np.float64),
        "absorptive_base": ((), np.float64),
        "employees": ((), np.float64),
        "capital": ((), np.float64),
        "efficiency": ((), np.float64),
        "rd_intensity": ((), np.float64),
        "rd_spend": ((), np.float64),
        "grant_spent": ((), np.float64),
        "grant": ((), np.float64),
        "markup": ((), np.float64),
        "revenue": ((), np.float64),
        "profit": ((), np.float64),
        "loss_streak": ((), np.int32),
        "innovations": ((), np.int64),
        "last_innovation": ((), np.int64),
        "innovated": ((), bool),
        "innovation_domain": ((), np.int32),
        "age": ((), np.int64),
        "progressive": ((), bool),
    }

    def __init__(
        self,
        model: mesa.Model,
        nodes: NodeRegistry,
        *,
        knowledge: KnowledgeSpace,
        regions: RegionState,
        network: CollaborationNetwork,
        universities: KnowledgeSources,
        policy: Policy,
        params: FirmBehaviour,
        interregional: Interregional,
        capacity: int,
    ) -> None:
        super().__init__(model, nodes, knowledge.size, capacity=capacity)
        self.knowledge_space = knowledge
        self.regions = regions
        self.network = network
        self.universities = universities
        self.params = params
        self.interregional = interregional
        self.directory = FirmDirectory(
            self, regions.count, network, nodes, policy, model.streams("FirmDirectory")
        )
        self.links = FirmLinks(self, network, nodes)
        self.entries = PortfolioEntries()
        self.density = PortfolioDensity()
        # Each region x domain market's log demand, drawn from its stationary distribution so
        # that the run does not start with every market at its mean.
        self.domain_demand = self.rng.normal(
            0.0, self._demand_spread(), (regions.count, knowledge.size)
        )

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        """The firm verbs of one quarter, in the order of :attr:`VERBS`."""
        state = self.prepare()
        for name in self.VERBS[1:]:
            getattr(self, name)(state)

    @verb
    def prepare(self) -> FirmStep:
        """The step's shared state: the portfolio as entries, with each firm's portfolio size
        and the relatedness density of every domain to its portfolio; innovation flags are
        cleared and firms age by a quarter."""
        n = self.size
        entries = self.portfolio_entries()
        layout = self.density.layout(
            entries, self.entries.scans, n, self.knowledge_space.density_rows32
        )
        self.innovated[:n] = False
        self.innovation_domain[:n] = -1
        self.age[:n] += 1
        return FirmStep(
            n=n, live=self.alive[:n], layout=layout, effort=np.zeros(n), own_rd=np.zeros(n)
        )

    def portfolio_entries(self) -> np.ndarray:
        """The portfolio's True cells in rows ``[:size]`` as sorted flat indices."""
        return self.entries.current(self.portfolio[: self.size])

    def track_portfolio(
        self, added: np.ndarray | None = None, dropped: np.ndarray | None = None
    ) -> None:
        """Report portfolio cells set (``added``) or cleared (``dropped``), as flat indices."""
        self.entries.track(added, dropped)
        for cells in (added, dropped):
            if cells is not None:
                self.density.note(cells // self.domains)

    @verb
    def produce_and_grow(self, state: FirmStep) -> None:
        """Revenue, profit and capital; employment grows with profitability relative to the
        regional average, plus a tent-shaped shock whose spread falls with size and a slight
        negative drift (a Kesten process above the one-employee floor); markups erode."""
        params, rng, n, live = self.params, self.rng, state.n, state.live
        regions = self.regions
        employees = self.employees[:n]
        base = employees * self.of_region(regions.productivity)
        # A firm of e employees is a bundle of partly independent activities: every shock's
        # spread falls as e ** -elasticity (Stanley et al. 1996; Amaral et al. 1997).
        spread = np.maximum(employees, 1.0) ** -params.noise_size_elasticity
        # The normal draws of the verb (efficiency and revenue shocks) in one call: the same
        # numbers as consecutive draws of n each, with less call overhead.
        noise = rng.standard_normal(2 * n)
        efficiency = self.efficiency[:n]
        efficiency *= params.efficiency_persistence
        efficiency += params.efficiency_noise * spread * noise[:n]
        # Knowledge pays relative to the region's firms: competitors share the same market.
        # Revenue has a constant elasticity to knowledge relative to the region's typical firm
        # (its geometric mean), as output has to R&D capital (Hall, Mairesse & Mohnen 2010).
        size = state.layout.size
        log_stock = np.log(self.knowledge_stock(state) / np.maximum(size, 1.0) + TINY)
        firm_count = self.per_region()
        mean_log_stock = self.region_mean(log_stock, firm_count)
        revenue_noise = params.revenue_noise * spread
        shock = -0.5 * revenue_noise**2 + revenue_noise * noise[n:]
        # More firms share the same regional market: prices fall as the firm count rises
        # above its starting level, which raises exits when the region is crowded.
        competition = regions.crowding(params.competition)
        revenue = (
            base
            * self.move_demand(firm_count)
            * self.of_region(competition)
            * np.exp(efficiency + shock)
            * (1.0 + self.markup[:n])
            * np.exp(params.knowledge_premium * (log_stock - self.of_region(mean_log_stock)))
            * self.related_capabilities(firm_count)
        )
        profit = revenue - params.wage_share * base - state.own_rd
        self.revenue[:n] = np.where(live, revenue, 0.0)
        self.profit[:n] = np.where(live, profit, 0.0)
        capital = self.capital[:n]
        capital += self.profit[:n]
        # Owners take out what exceeds a buffer of a few quarters' revenue, so that capital is
        # a reserve that sustained losses can exhaust, not an ever-growing hoard.
        excess = capital - params.capital_buffer * self.revenue[:n]
        capital -= params.payout_rate * np.maximum(excess, 0.0)
        # One more quarter of losses, or back to none (in place: a mask times the count).
        streak = self.loss_streak[:n]
        streak += 1
        streak *= profit < 0

        # Growth follows the operating margin before R&D: R&D is an investment, and charging it
        # here would make selection work against research-intensive firms.
        margin = (profit + state.own_rd) / np.maximum(revenue, EPSILON)
        employment = np.maximum(self.per_region(employees), EPSILON)
        # The benchmark is the typical firm (unweighted mean): weighting by employment would
        # let a few large firms set the bar and shrink everyone else to the size floor.
        mean_margin = self.region_mean(margin, firm_count)
        tightness = np.log(employment / regions.labour_force)
        # Log-size shocks come in lumps: with probability firm.growth_shock_rate a quarter, a
        # Laplace jump of variance growth_noise^2 / rate (so tent-shaped yearly growth rates).
        # Their drift is -(1/2 + firm.growth_drift) times their variance: 1/2 keeps the
        # expected size, the rest is a slight pull down that, against the floor of one
        # employee, makes the size distribution Zipf-like.
        growth_noise = params.growth_noise * spread
        rate = params.growth_shock_rate
        jumps = (rng.random(n) < rate) * rng.laplace(0.0, _UNIT_LAPLACE / np.sqrt(rate), n)
        growth = (
            params.growth_sensitivity * (margin - self.of_region(mean_margin))
            - params.labour_market_tightness * self.of_region(tightness)
            - (0.5 + params.growth_drift) * growth_noise**2
            + growth_noise * jumps
        )
        grown = np.where(live, np.maximum(1.0, employees * np.exp(growth)), 0.0)
        # The tent shape of growth rates (T16), over the firms away from the one-employee
        # floor, where a firm cannot shrink and its growth rate is cut off.
        measured = np.flatnonzero(live & (employees >= 2.0))
        regions.growth_kurtosis = excess_kurtosis(
            np.log(grown[measured] / employees[measured]),
            self.region[measured] if regions.count > 1 else None,
            regions.count,
        )
        self.employees[:n] = grown
        self.markup[:n] *= 1.0 - params.markup_decay

    def related_capabilities(self, firm_count: np.ndarray) -> np.ndarray | float:
        """Revenue factor of each firm from the region's capabilities related to its core:
        1 + premium x (relatedness density around its core - the mean over the region's
        firms). Related industries nearby supply skills and inputs (Neffke & Henning 2013),
        so firms in domains unrelated to what the region does earn less and fail more."""
        premium = self.params.relatedness_premium
        if premium == 0:
            return 1.0
        density = self.of_region_core(self.model.region_density)
        return 1.0 + premium * (density - self.of_region(self.region_mean(density, firm_count)))

    def _demand_spread(self) -> float:
        """Stationary s.d. of a market's log demand (an AR(1) process)."""
        persistence = self.params.domain_demand_persistence
        return self.params.domain_demand_noise / np.sqrt(1.0 - persistence**2)

    def move_demand(self, firm_count: np.ndarray) -> np.ndarray:
        """Advance every region x domain market's log demand by a quarter and return each
        firm's revenue factor: exp(demand of its core market) over its mean across the
        region's firms. Demand moves between a region's markets, not the region's total, so
        the shocks reallocate activity without making the whole economy boom or slump."""
        params = self.params
        demand = self.domain_demand
        demand *= params.domain_demand_persistence
        if params.domain_demand_noise > 0:
            demand += params.domain_demand_noise * self.rng.standard_normal(demand.shape)
        factor = np.exp(self.of_region_core(demand))
        return factor / self.of_region(self.region_mean(factor, firm_count))

    @verb
    def adapt_absorptive_capacity(self, state: FirmStep) -> None:
        """Absorptive capacity drifts towards a target set by the firm's base capacity, the
        region's human capital relative to its start, and capacity-building support."""
        params, n, regions = self.params, state.n, self.regions
        margin = ABSORPTIVE_MARGIN
        target = np.clip(
            self.absorptive_base[:n]
            + params.absorptive_human_capital_effect * self.of_region(regions.human_capital_gain())
            + self.of_region(regions.capacity_bonus),
            margin,
            1.0 - margin,
        )
        self.absorptive[:n] += params.absorptive_adjustment * (target - self.absorptive[:n])

    def on_compact(self, kept_slots: np.ndarray) -> None:
        self.directory.invalidate()
        self.entries.forget()
        self.density.forget()

    # ------------------------------------------------------------------ helpers
    def degree(self) -> np.ndarray:
        """Links of every firm row (0 for departed firms)."""
        degree = self.network.node_degree(self.nodes.capacity)
        return degree[self.uid[: self.size]] * self.alive[: self.size]

    def targeted_boost(self, boost: np.ndarray) -> np.ndarray:
        """Per-firm value of a (regions x 2) boost: the priority column for firms active in a
        priority domain, plus the all-firms column."""
        member = self.directory.priority_member()
        return self.of_region(boost[:, 0]) * member + self.of_region(boost[:, 1])

    def of_region(self, values: np.ndarray) -> np.ndarray | np.floating:
        """A per-region quantity read for each firm (slots ``[:size]``); with a single region,
        the value itself, which broadcasts (no gather)."""
        if len(values) == 1:
            return values[0]
        return values[self.region[: self.size]]

    def of_region_core(self, values: np.ndarray) -> np.ndarray:
        """A (regions x domains) quantity read for each firm (slots ``[:size]``) at its region
        and core domain; with a single region, a gather from the one row."""
        n = self.size
        if len(values) == 1:
            return values[0][self.core[:n]]
        return values[self.region[:n], self.core[:n]]

    def knowledge_total(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Each firm's knowledge summed over all domains (of the firms ``rows`` only, if
        given: the same sums, each row summed alike)."""
        knowledge = self.knowledge[: self.size]
        return np.einsum("ij->i", knowledge if rows is None else knowledge[rows])

    def per_region(self, values: np.ndarray | None = None) -> np.ndarray:
        """Sum a per-firm quantity (default: 1, i.e. count) over the live firms of each
        region."""
        n, count = self.size, self.regions.count
        live = self.alive[:n]
        if count == 1:  # no grouping needed: a masked sum (np.sum's own ufunc call)
            total = np.count_nonzero(live) if values is None else np.add.reduce(values, where=live)
            return np.array([total], dtype=np.float64)
        if values is not None:
            values = values[live]
        return np.bincount(self.region[:n][live], values, minlength=count)

    def region_mean(self, values: np.ndarray, firm_count: np.ndarray) -> np.ndarray:
        """Mean of a per-firm quantity over the live firms of each region, given their count
        (``per_region()``): the typical firm a firm is compared with."""
        return self.per_region(values) / np.maximum(firm_count, 1.0)

    def per_region_rows(self, *values: np.ndarray) -> list[np.ndarray]:
        """Sum per-firm vectors (n x m each) over the live firms of each region (R x m each)."""
        n, regions = self.size, self.regions.count
        if regions > FEW_GROUPS:
            region = np.where(self.alive[:n], self.region[:n], regions)
            return [sum_rows(region, array, regions + 1)[:-1] for array in values]
        # Few regions: one (R x n) indicator matrix of live firms, shared by the products
        # (einsum rather than BLAS, which would start its threads; see ``serial_matmul``).
        members = (self.region[:n] == np.arange(regions)[:, None]) & self.alive[:n]
        as_type: dict = {}
        sums = []
        for array in values:
            if array.dtype not in as_type:
                as_type[array.dtype] = members.astype(array.dtype)
            sums.append(np.einsum("rf,fm->rm", as_type[array.dtype], array))
        return sums

    def regional_sums(self) -> RegionSums:
        """Count, employment, knowledge sums and firms active per domain of the live firms of
        each region."""
        n = self.size
        firm_count = self.per_region(np.ones(n))
        employment = self.per_region(self.employees[:n])
        knowledge = self.knowledge[:n]
        held = np.multiply(knowledge, self.portfolio[:n], out=self.scratch("work"))
        active = self.portfolio[:n].astype(np.float64)
        firm_knowledge, knowledge_sums, active_firms = self.per_region_rows(held, knowledge, active)
        return RegionSums(firm_count, employment, firm_knowledge, knowledge_sums, active_firms)

    def innovations_this_step(self) -> tuple[np.ndarray, np.ndarray]:
        """Region and domain of each live firm that innovated this step."""
        live = np.flatnonzero(self.innovated[: self.size] & self.alive[: self.size])
        return self.region[live], self.innovation_domain[live]
