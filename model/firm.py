"""Firms: knowledge (SKIN-like kene), R&D, learning, partnering, innovation, growth and exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from .population import Population
from .region import INNOVATION_MEMORY
from .vector import FEW_GROUPS, choose_per_row, serial_matmul, sum_rows

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = ["Firm", "Firms", "FIRM"]

FIRM = 0
NEVER = -10_000


class Firm(mesa.Agent):
    """A firm. Its state is one row of :class:`Firms`; these properties read that row.

    Behaviour runs vectorised for all firms at once in :meth:`Firms.step`, whose verbs are
    documented in docs/ODD.md §7.1.
    """

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    def _get(self, name: str) -> Any:
        return getattr(self.model.firms, name)[self._row]

    @property
    def region(self) -> int:
        return int(self._get("region"))

    @property
    def knowledge(self) -> np.ndarray:
        return self._get("knowledge").copy()

    @property
    def portfolio(self) -> list[str]:
        names = self.model.knowledge.names
        return [names[d] for d in np.flatnonzero(self._get("portfolio"))]

    @property
    def employees(self) -> float:
        return float(self._get("employees"))

    @property
    def capital(self) -> float:
        return float(self._get("capital"))

    @property
    def absorptive_capacity(self) -> float:
        return float(self._get("absorptive"))

    @property
    def rd_spend(self) -> float:
        return float(self._get("rd_spend"))

    @property
    def innovations(self) -> int:
        return int(self._get("innovations"))


class Firms(Population):
    """All firms of the model as arrays (one row per firm)."""

    kind = FIRM
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

    model: EcosystemModel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The portfolio entries of the last ``prepare`` and the cells set and cleared since
        # (see ``portfolio_entries``).
        self._entries_tracked: np.ndarray | None = None
        self._entries_changes: tuple[list, list] = ([], [])

    # ----------------------------------------------------------------- creation
    def found(
        self,
        region: int | np.ndarray,
        count: int,
        core: np.ndarray,
        knowledge_in_core: np.ndarray,
        employees: np.ndarray,
        inherited: np.ndarray | None = None,
    ) -> np.ndarray:
        """Create ``count`` firms with given regions (one, or one per firm), core domains and
        knowledge: a whole step's new firms are created in one call."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        model = self.model
        rng = model.rng
        regions = model.regions
        region = np.broadcast_to(np.asarray(region, dtype=np.int64), (count,))
        rows = np.arange(count)
        knowledge = np.zeros((count, self.domains), dtype=np.float32)
        if inherited is not None:
            knowledge += inherited
        knowledge[rows, core] = np.maximum(knowledge[rows, core], knowledge_in_core)
        portfolio = np.zeros((count, self.domains), dtype=bool)
        portfolio[rows, core] = True
        mean = np.clip(regions.absorptive_capacity[region], 0.02, 0.98)
        bonus = regions.capacity_bonus[region]
        absorptive = np.clip(rng.beta(4.0, 4.0 * (1.0 - mean) / mean, count) + bonus, 0.01, 0.99)
        productivity = regions.productivity[region]
        rd_intensity = regions.rd_intensity[region] * rng.lognormal(-0.125, 0.5, count)
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
            capital=employees * productivity * rng.uniform(1.0, 3.0, count),
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
            progressive=rng.random(count) < model.spec.firm.progressive_share,
        )
        self._track_entries(added=slots * self.domains + core)
        return slots

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        """The firm verbs, in order (docs/ODD.md §3)."""
        self.prepare()
        self.invest_in_rd()
        self.learn()
        self.seek_partners()
        self.innovate()
        self.diversify()
        self.produce_and_grow()
        self.adapt_absorptive_capacity()
        self.spawn_startups()
        self.exit_failed()

    def prepare(self) -> None:
        """Per-step quantities shared by several verbs (computed once, not per verb).

        The portfolio as a list of (firm, domain) entries (``entries``: flat indices into the
        (firms x domains) arrays, sorted by firm; ``entry_firm``, ``entry_domain``): firms hold
        few domains, so per-entry work is far cheaper than a pass over every domain. Then each
        firm's portfolio size and the relatedness density of every domain to its portfolio:
        the density operator's row of its first domain, plus the rows of any further ones
        (the matrix product portfolio @ operator, without multiplying zeros).
        """
        n, domains = self.size, self.domains
        self.n_live = n
        self.live_mask = self.alive[:n]
        entries = self.portfolio_entries()
        entry_firm = entries // domains
        entry_domain = entries - entry_firm * domains
        self.entries, self.entry_firm, self.entry_domain = entries, entry_firm, entry_domain
        self.portfolio_size = np.bincount(entry_firm, minlength=n)
        # rank = position of an entry among its firm's entries (0 for the first domain).
        first_entry = np.cumsum(self.portfolio_size) - self.portfolio_size
        rank = np.arange(len(entries)) - first_entry[entry_firm]
        first = rank == 0
        first_domain = np.full(n, domains, dtype=np.int64)  # row K of density_rows32 is zero
        first_domain[entry_firm[first]] = entry_domain[first]
        rows = self.model.knowledge.density_rows32
        density = np.take(rows, first_domain, axis=0, out=self.scratch("density"), mode="clip")
        # Further domains rank by rank: within a rank every firm appears once, so a plain
        # indexed add is exact (no np.add.at); there are only as many ranks as domains held.
        further = np.flatnonzero(~first)
        for level in range(1, int(rank.max(initial=0)) + 1):
            at = further[rank[further] == level]
            density[entry_firm[at]] += rows[entry_domain[at]]
        self.density = density
        self.innovated[:n] = False
        self.innovation_domain[:n] = -1
        self.age[:n] += 1

    def portfolio_entries(self) -> np.ndarray:
        """The portfolio's entries (flat indices of its True cells in rows ``[:size]``, sorted).

        The verbs that change portfolios (``diversify``, ``found``) report the cells they set
        and clear (:meth:`_track_entries`), which are applied here to the list of the last
        ``prepare``: that spares a scan of the whole portfolio. The list is used only after a
        check that it is exactly the portfolio's: strictly increasing, every listed cell True
        and as many cells True as listed. Anything else that edits the portfolio
        (initialisation, compaction, tests) therefore just makes it rescan.
        """
        n = self.size
        portfolio = self.portfolio[:n]
        tracked = self._entries_tracked
        added, dropped = self._entries_changes
        if tracked is not None and dropped:
            dropped = np.concatenate(dropped)
            at = np.minimum(np.searchsorted(tracked, dropped), max(len(tracked) - 1, 0))
            tracked = np.delete(tracked, at) if len(tracked) else tracked
        if tracked is not None and added:
            added = np.sort(np.concatenate(added))
            tracked = np.insert(tracked, np.searchsorted(tracked, added), added)
        if (
            tracked is not None
            and (len(tracked) == 0 or tracked[-1] < portfolio.size)
            and len(tracked) == np.count_nonzero(portfolio)
            and portfolio.reshape(-1)[tracked].all()
            and not np.any(tracked[1:] <= tracked[:-1])
        ):
            entries = tracked
        else:
            entries = np.flatnonzero(portfolio)
        self._entries_tracked = entries
        self._entries_changes = ([], [])
        return entries

    def _track_entries(
        self, added: np.ndarray | None = None, dropped: np.ndarray | None = None
    ) -> None:
        """Note portfolio cells set True (``added``) or False (``dropped``), as flat indices,
        for the next :meth:`portfolio_entries`."""
        changes = self._entries_changes
        if added is not None and len(added):
            changes[0].append(added)
        if dropped is not None and len(dropped):
            changes[1].append(dropped)

    def held_stock(self) -> np.ndarray:
        """Each firm's knowledge summed over its own domains (the portfolio of ``prepare``)."""
        held = self.knowledge[: self.size].reshape(-1)[self.entries]
        return np.bincount(self.entry_firm, held, minlength=self.size)

    def invest_in_rd(self) -> None:
        """R&D spending = own intensity x base revenue (halved after a loss) + grant money,
        used with additionality.

        Grants add knowledge-producing effort only in proportion to absorptive capacity: a firm
        that cannot absorb the grant substitutes it for its own spending (regional innovation
        paradox; Oughton, Landabaso & Morgan 2002).
        """
        n = self.size
        base = self.employees[:n] * self.of_region(self.model.regions.productivity)
        # R&D is discretionary: a firm that made a loss last quarter halves it.
        own = self.rd_intensity[:n] * base * np.where(self.loss_streak[:n] > 0, 0.5, 1.0)
        self.rd_spend[:n] = own + self.grant[:n]
        # Effort is R&D relative to the firm's base revenue (an intensity): knowledge is the
        # quality of a firm's capabilities, not a quantity that grows with its size. Scaling
        # it with size would let large firms out-learn, out-earn and out-grow everyone else,
        # breaking Gibrat's law of size-independent growth.
        self.effort = (own + self.grant[:n] * self.absorptive[:n]) / np.maximum(base, 1e-12)
        self.own_rd = own
        self.grant[:n] = 0.0

    def learn(self) -> None:
        """Knowledge grows from own R&D, partners, universities and regional spill-overs.

        dk[f,d] = a_f * rel[f,d] * (own + lp*partner_gap + lu*university_gap + ls*regional_gap)
        where rel is 1 in the firm's domains and the relatedness density elsewhere; then
        knowledge depreciates (obsolescence in use, faster expertise decay out of use).
        """
        model, params, n = self.model, self.model.spec.firm, self.size
        knowledge = self.knowledge[:n]
        flat_knowledge = knowledge.reshape(-1)  # a view: rows [:n] are contiguous
        entries, entry_firm = self.entries, self.entry_firm
        # Computed as (a_f * ls) * rel * (regional_gap + (own + partner and university terms)
        # / ls): the dense gap needs no scaling of its own, and the per-firm factor and rel
        # multiply it in one pass as one weight array.
        spillover = params.learning_spillover
        scale = spillover if spillover > 0 else 1.0
        gain = self.scratch("gain")
        if spillover <= 0:
            gain.fill(0.0)
        elif model.n_regions == 1:
            np.subtract(model.regions.mean_knowledge.astype(np.float32)[0], knowledge, out=gain)
        else:
            regional_mean = model.regions.mean_knowledge.astype(np.float32)
            np.take(regional_mean, self.region[:n], axis=0, out=gain, mode="clip")
            gain -= knowledge
        np.maximum(gain, 0.0, out=gain)

        partner_rows, partner_gain, university_rows, university_gain = model.knowledge_from_links(
            knowledge, params.learning_partner / scale, params.learning_university / scale
        )
        gain[partner_rows] += partner_gain
        gain[university_rows] += university_gain
        own = params.learning_own * np.sqrt(self.effort) / np.maximum(self.portfolio_size, 1)
        own_entries = (own / scale).astype(np.float32)[entry_firm]
        gain.reshape(-1)[entries] += own_entries

        factor = (self.absorptive[:n] * scale * self.live_mask).astype(np.float32)
        weights = np.multiply(self.density, factor[:, None], out=self.scratch("weights"))
        weights.reshape(-1)[entries] = factor[entry_firm]  # rel = 1 in the firm's domains
        gain *= weights
        self._record_flows(
            gain,
            weights,
            own_entries,
            (partner_rows, partner_gain),
            (university_rows, university_gain),
        )

        in_use = flat_knowledge[entries] * np.float32(1.0 - params.obsolescence)
        knowledge *= np.float32(1.0 - params.expertise_decay)
        flat_knowledge[entries] = in_use
        knowledge += gain
        self.stock = self.held_stock()

    def _record_flows(self, gain, weights, own_entries, partners, universities) -> None:
        """Knowledge learnt this step per region, by source: firm partners, universities,
        own R&D and regional spill-overs (the rest of the total gain)."""
        regions = self.model.regions
        n = self.size
        entry_weights = weights.reshape(-1)[self.entries]
        by_source = {
            "firm": partners,
            "university": universities,
        }
        flows = {}
        for source, (rows, values) in by_source.items():
            per_firm = np.einsum("fd,fd->f", values, weights[rows])
            flows[source] = np.bincount(self.region[rows], per_firm, minlength=self.model.n_regions)
        flows["own"] = np.bincount(
            self.region[self.entry_firm], own_entries * entry_weights, self.model.n_regions
        )
        if self.model.n_regions == 1:
            total = np.array([float(gain.sum(dtype=np.float64))])
        else:
            total = np.bincount(self.region[:n], gain.sum(axis=1), self.model.n_regions)
        flows["spillover"] = np.maximum(
            total - flows["firm"] - flows["university"] - flows["own"], 0.0
        )
        regions.knowledge_flows = flows

    def seek_partners(self) -> None:
        """Some firms screen a few candidates and link with the best fitting one.

        A firm searches with probability rate x (0.5 + a_f) x (1 + cluster boost): absorptive
        capacity is also the capacity to find and judge partners (Cohen & Levinthal 1990).
        Candidates come from the firm's own region or, with a probability that decays with
        distance, another region; drawn uniformly, by degree (preferential attachment) or among
        partners' partners (triadic closure). Conservative firms prefer similar knowledge
        (cosine similarity s), progressive firms complementary knowledge with some overlap
        (score 4 s (1 - s)).
        """
        model, params, rng, n = self.model, self.model.spec.firm, self.model.rng, self.size
        degree = model.firm_degree()
        boost = model.regions.targeted_boost(model.regions.cluster_boost, self)
        wants = (
            self.live_mask
            & (degree < params.max_partners)
            & (
                rng.random(n)
                < params.partner_search_rate * (0.5 + self.absorptive[:n]) * (1.0 + boost)
            )
        )
        seekers = np.flatnonzero(wants)
        if len(seekers) == 0:
            return
        candidates = model.draw_partner_candidates(seekers, params.candidates)
        valid = candidates >= 0
        safe = np.where(valid, candidates, seekers[:, None])
        mine = self.knowledge[seekers]
        # mode="clip" (indices are valid anyway): with the default mode NumPy buffers ``out``.
        theirs = np.take(
            self.knowledge,
            safe.ravel(),
            axis=0,
            out=model.buffer("theirs", safe.size, self.domains),
            mode="clip",
        ).reshape(*safe.shape, self.domains)
        mine_norm = np.sqrt(np.einsum("sk,sk->s", mine, mine))
        their_norm = np.sqrt(np.einsum("sck,sck->sc", theirs, theirs))
        similarity = np.einsum("sk,sck->sc", mine, theirs) / (
            mine_norm[:, None] * their_norm + 1e-12
        )
        score = np.where(
            self.progressive[seekers][:, None], 4.0 * similarity * (1.0 - similarity), similarity
        )
        score[~valid | (safe == seekers[:, None]) | (degree[safe] >= params.max_partners)] = -1.0
        best = np.argmax(score, axis=1)
        best_score = score[np.arange(len(seekers)), best]
        accept = best_score > rng.random(len(seekers)) * 0.6 + 0.2
        chosen = safe[np.arange(len(seekers)), best]
        model.network.add(self.uid[seekers[accept]], self.uid[chosen[accept]])

    def innovation_hazard(self, stock: np.ndarray) -> np.ndarray:
        """Innovation hazard per quarter of every firm (rows ``[:size]``, after ``prepare``),
        given each firm's knowledge stock S_f in its own domains.

        lambda_f = rate * (S_f / |P_f|)^ke * (1 + pe*ln(1+partners)) * (1 + ve*RV_f)
                   * (0.5 + a_f) * (1 + procurement pull), with S_f / |P_f| the firm's mean
        knowledge in its own domains (capability quality, independent of how many domains a
        large firm holds) and RV_f the mean proximity between its domains (related variety).
        """
        model, params, n = self.model, self.model.spec.firm, self.size
        partners = model.firm_degree()
        size = self.portfolio_size
        pair_relatedness = np.zeros(n)
        multi = np.flatnonzero(size > 1)
        held = self.portfolio[multi].astype(np.float32)
        pair_relatedness[multi] = np.einsum(
            "ij,ij->i", serial_matmul(held, model.knowledge.off_diagonal32), held
        )
        related_variety = np.divide(
            pair_relatedness, size * (size - 1.0), out=np.zeros(n), where=size > 1
        )
        pull = model.regions.targeted_boost(model.regions.procurement_pull, self)
        self.related_variety = related_variety
        return (
            params.innovation_rate
            * (stock / np.maximum(size, 1.0)) ** params.knowledge_elasticity
            * (1.0 + params.partner_effect * np.log1p(partners))
            * (1.0 + params.variety_effect * related_variety)
            * (0.5 + self.absorptive[:n])
            * (1.0 + pull)
        )

    def innovate(self) -> None:
        """Each firm innovates with probability 1 - exp(-lambda_f) (see
        :meth:`innovation_hazard`); the innovation lands in one of its domains, drawn in
        proportion to its knowledge there, and raises its markup and that knowledge."""
        model, params, rng, n = self.model, self.model.spec.firm, self.model.rng, self.size
        portfolio = self.portfolio[:n]
        hazard = self.innovation_hazard(self.stock)
        success = self.live_mask & (rng.random(n) < -np.expm1(-hazard))
        winners = np.flatnonzero(success)
        if len(winners) == 0:
            return
        weights = np.where(portfolio[winners], self.knowledge[winners] + 1e-9, 0.0)
        domains = choose_per_row(rng, weights)
        self.innovated[winners] = True
        self.innovation_domain[winners] = domains
        self.innovations[winners] += 1
        self.last_innovation[winners] = model.steps
        self.markup[winners] += params.markup_per_innovation
        # Learning by doing: expertise grows with use, by a fixed amount (not compounding).
        self.knowledge[winners, domains] += np.float32(params.learning_by_doing)

    def seed_innovation_history(self) -> None:
        """Give the initial firms a past: a firm innovated in the year before the start with
        probability 1 - exp(-4 lambda_f), and the regions' running innovation counts start at
        their expected level, so innovation indicators and RCA do not start at zero."""
        n = self.size
        hazard = self.innovation_hazard(self.held_stock())
        rng = self.model.rng
        innovated = self.alive[:n] & (rng.random(n) < -np.expm1(-4.0 * hazard))
        when = -rng.integers(0, 4, n)
        self.last_innovation[:n] = np.where(innovated, when, NEVER)
        # The regions' running innovation counts start at their expected steady state: each
        # firm's hazard spread over its domains by its knowledge there.
        held = self.knowledge[:n].reshape(-1)[self.entries]
        stock = np.bincount(self.entry_firm, held, minlength=n)
        share = held / np.maximum(stock[self.entry_firm], 1e-12)
        per_quarter = -np.expm1(-hazard) * self.alive[:n]  # P(innovation in a quarter)
        expected = per_quarter[self.entry_firm] * share / (1.0 - INNOVATION_MEMORY)
        counts = self.model.regions.innovations_by_domain
        flat = self.region[:n][self.entry_firm] * self.domains + (self.entries % self.domains)
        counts += np.bincount(flat, expected, minlength=counts.size).reshape(counts.shape)

    def diversify(self) -> None:
        """Enter a new domain with a probability that rises with relatedness density; drop
        unrelated ones. Firms with poor results search more and, half the time, radically
        (any domain, as SKIN's radical research)."""
        model, params, rng, n = self.model, self.model.spec.firm, self.model.rng, self.size
        troubled = self.loss_streak[:n] >= 2
        attempt = self.live_mask & (
            rng.random(n) < params.diversification_rate * np.where(troubled, 3.0, 1.0)
        )
        limit = 1 + np.floor(np.log2(1.0 + self.employees[:n]))
        attempt &= self.portfolio_size < limit
        movers = np.flatnonzero(attempt)
        entered_now = np.zeros(n, dtype=bool)
        if len(movers):
            density = self.density[movers]
            outside = ~self.portfolio[movers]
            radical = troubled[movers] & (rng.random(len(movers)) < 0.5)
            weights = np.where(
                radical[:, None], 1.0, (density + 1e-6) ** params.relatedness_exponent
            )
            domains = choose_per_row(rng, np.where(outside, weights, 0.0))
            chance = (
                (0.2 + 0.8 * density[np.arange(len(movers)), domains])
                * (1.0 - 0.5 * model.knowledge.complexity[domains])
                * self.absorptive[movers]
            )
            enter = rng.random(len(movers)) < chance
            firms, domains = movers[enter], domains[enter]
            self.portfolio[firms, domains] = True
            self._track_entries(added=firms * self.domains + domains)
            core_stock = self.knowledge[firms, self.core[firms]]
            self.knowledge[firms, domains] = np.maximum(
                self.knowledge[firms, domains], 0.2 * core_stock
            )
            model.regions.record_entries(self.region[firms], domains)
            entered_now[firms] = True

        # Once a year on average a diversified firm reviews one non-core domain and drops it
        # if its knowledge there is weak, or (more often the less related it is) at random.
        # A firm that just entered a domain does not review its portfolio in the same quarter.
        reviewing = np.flatnonzero(
            self.live_mask & (self.portfolio_size > 1) & ~entered_now & (rng.random(n) < 0.25)
        )
        if len(reviewing):
            others = self.portfolio[reviewing].astype(np.float64)
            others[np.arange(len(reviewing)), self.core[reviewing]] = 0.0
            domains = choose_per_row(rng, others)
            stock = self.knowledge[reviewing, domains]
            weak = stock < 0.05 * self.knowledge[reviewing].max(axis=1)
            unrelated = rng.random(len(reviewing)) < 0.12 * (1.0 - self.density[reviewing, domains])
            drop = weak | unrelated
            self.portfolio[reviewing[drop], domains[drop]] = False
            self._track_entries(dropped=reviewing[drop] * self.domains + domains[drop])

    def produce_and_grow(self) -> None:
        """Revenue, profit and capital; employment grows with profitability relative to the
        regional average (a Gibrat process with selection); markups erode."""
        model, params, rng, n = self.model, self.model.spec.firm, self.model.rng, self.size
        live = self.live_mask
        base = self.employees[:n] * self.of_region(model.regions.productivity)
        # The three normal draws of the verb (efficiency, revenue and growth shocks) in one
        # call: the same numbers as three consecutive draws of n, with less call overhead.
        noise = rng.standard_normal(3 * n)
        efficiency = self.efficiency[:n]
        efficiency *= params.efficiency_persistence
        efficiency += params.efficiency_noise * noise[:n]
        # Knowledge pays relative to the region's firms: competitors share the same market.
        log_stock = np.log1p(self.stock / np.maximum(self.portfolio_size, 1.0))
        firm_count = self.per_region()
        mean_log_stock = self.per_region(log_stock) / np.maximum(firm_count, 1)
        shock = -0.5 * params.revenue_noise**2 + params.revenue_noise * noise[n : 2 * n]
        # More firms share the same regional market: prices fall as the firm count rises
        # above its starting level, which raises exits when the region is crowded.
        regions = model.regions
        competition = (regions.initial_firms / np.maximum(regions.firm_count, 1.0)) ** (
            params.competition
        )
        revenue = (
            base
            * self.of_region(competition)
            * np.exp(efficiency + shock)
            * (1.0 + self.markup[:n])
            * (1.0 + params.knowledge_premium * (log_stock - self.of_region(mean_log_stock)))
        )
        profit = revenue - params.wage_share * base - self.own_rd
        self.revenue[:n] = np.where(live, revenue, 0.0)
        self.profit[:n] = np.where(live, profit, 0.0)
        capital = self.capital[:n]
        capital += self.profit[:n]
        # Owners take out what exceeds a buffer of a few quarters' revenue, so that capital is
        # a reserve that sustained losses can exhaust, not an ever-growing hoard.
        excess = capital - params.capital_buffer * self.revenue[:n]
        capital -= params.payout_rate * np.maximum(excess, 0.0)
        self.loss_streak[:n] = np.where(profit < 0, self.loss_streak[:n] + 1, 0)

        # Growth follows the operating margin before R&D: R&D is an investment, and charging it
        # here would make selection work against research-intensive firms.
        margin = (profit + self.own_rd) / np.maximum(revenue, 1e-12)
        employment = np.maximum(self.per_region(self.employees[:n]), 1e-12)
        # The benchmark is the typical firm (unweighted mean): weighting by employment would
        # let a few large firms set the bar and shrink everyone else to the size floor.
        mean_margin = self.per_region(margin) / np.maximum(firm_count, 1.0)
        tightness = np.log(employment / model.regions.initial_employment)
        growth = (
            params.growth_sensitivity * (margin - self.of_region(mean_margin))
            - params.labour_market_tightness * self.of_region(tightness)
            + (-0.5 * params.growth_noise**2 + params.growth_noise * noise[2 * n :])
        )
        self.employees[:n] = np.where(
            live, np.maximum(1.0, self.employees[:n] * np.exp(growth)), 0.0
        )
        self.markup[:n] *= 1.0 - params.markup_decay

    def adapt_absorptive_capacity(self) -> None:
        """Absorptive capacity drifts towards a target set by the firm's base capacity, the
        region's human capital relative to its start, and capacity-building support."""
        model, params, n = self.model, self.model.spec.firm, self.size
        target = np.clip(
            self.absorptive_base[:n]
            + 0.8 * self.of_region(model.regions.human_capital_gain())
            + self.of_region(model.regions.capacity_bonus),
            0.01,
            0.99,
        )
        self.absorptive[:n] += params.absorptive_adjustment * (target - self.absorptive[:n])

    def spawn_startups(self) -> None:
        """Innovating firms spin out start-ups and independent entrants appear in every
        region; both become rarer as the number of firms rises above its starting level
        (density-dependent entry, exponent ``firm.entry_crowding``)."""
        model, params, rng, n = self.model, self.model.spec.firm, self.model.rng, self.size
        regions = model.regions
        crowding = (regions.initial_firms / np.maximum(regions.firm_count, 1.0)) ** (
            params.entry_crowding
        )
        chance = np.minimum(params.startup_rate * crowding[self.region[:n]], 1.0)
        parents = np.flatnonzero(self.innovated[:n] & (rng.random(n) < chance))
        entrants = rng.poisson(params.entry_rate * regions.firm_count * crowding)
        spun_regions, spun_cores, inherited = regions.spinout_firms(parents)
        entrant_regions, entrant_cores = regions.entrant_cores(
            np.repeat(np.arange(model.n_regions), entrants)
        )
        # Spin-outs and entrants of every region are founded together (one Mesa creation).
        count = len(entrant_cores)
        regions.new_firms(
            np.concatenate([spun_regions, entrant_regions]),
            np.concatenate([spun_cores, entrant_cores]),
            inherited=np.concatenate([inherited, np.zeros((count, self.domains), np.float32)]),
            spinoff=np.arange(len(parents) + count) < len(parents),
        )

    def exit_failed(self) -> None:
        """Firms with exhausted capital or sustained losses leave the model."""
        n = self.n_live
        params = self.model.spec.firm
        failed = self.alive[:n] & (
            (self.capital[:n] < 0.0) | (self.loss_streak[:n] >= params.exit_losses)
        )
        leaving = np.flatnonzero(failed)
        self.model.regions.record_exits(self.region[leaving])
        self.remove(leaving)

    def on_compact(self, kept_slots: np.ndarray) -> None:
        self.model.regions.invalidate()
        self._entries_tracked = None  # rows moved: the next ``prepare`` rescans
        self._entries_changes = ([], [])

    # ------------------------------------------------------------------ helpers
    def of_region(self, values: np.ndarray) -> np.ndarray | np.floating:
        """A per-region quantity read for each firm (slots ``[:size]``); with a single region,
        the value itself, which broadcasts (no gather)."""
        if len(values) == 1:
            return values[0]
        return values[self.region[: self.size]]

    def knowledge_total(self) -> np.ndarray:
        """Each firm's knowledge summed over all domains."""
        return np.einsum("ij->i", self.knowledge[: self.size])

    def per_region(self, values: np.ndarray | None = None) -> np.ndarray:
        """Sum a per-firm quantity (default: 1, i.e. count) over the live firms of each
        region."""
        n = self.size
        live = self.alive[:n]
        if self.model.n_regions == 1:  # no grouping needed: a masked sum
            total = np.count_nonzero(live) if values is None else np.sum(values, where=live)
            return np.array([total], dtype=np.float64)
        if values is not None:
            values = values[live]
        return np.bincount(self.region[:n][live], values, minlength=self.model.n_regions)

    def per_region_rows(self, *values: np.ndarray) -> list[np.ndarray]:
        """Sum per-firm vectors (n x m each) over the live firms of each region (R x m each)."""
        n, regions = self.size, self.model.n_regions
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
