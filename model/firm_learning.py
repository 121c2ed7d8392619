"""Firm verbs of knowledge: R&D, learning, partner search, innovation, diversification.

These verbs are methods of :class:`~smartspec.model.firm.Firms` (mixed in from here to keep
each file short); they act on all firms at once, over the population's arrays, and read and
write the step's declared state, :class:`FirmStep`. Equations: docs/ODD.md §7.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartspec.scenarios.schema import FirmBehaviour, Interregional

from .base import DENSITY_FLOOR, EPSILON, NEVER, QUARTERS_PER_YEAR, TINY, KnowledgeSources
from .knowledge import KnowledgeSpace
from .network import CollaborationNetwork
from .partnering import FirmDirectory, FirmLinks, draw_partner_candidates
from .portfolio import PortfolioLayout
from .region import RegionState
from .streams import verb
from .vector import choose_per_row, row_operation, serial_matmul

__all__ = ["FirmStep", "LearningVerbs"]

#: Scales s (1 - s) to peak at 1 where it peaks, at similarity s = 1/2 (complementary with some
#: overlap): a normalisation derived from the score's form, not a behavioural number.
_COMPLEMENT_SCALE = 1.0 / (0.5 * (1.0 - 0.5))


@dataclass
class FirmStep:
    """What the firm verbs of one step share, built by ``Firms.prepare``.

    ``n``: firm rows at the start of the step (firms founded later in the step are not
    checked by ``exit_failed``); ``live``: which of them are alive; ``layout``: the portfolio
    as entries, with each firm's portfolio size and relatedness density (as of ``prepare``);
    ``effort`` and ``own_rd``: R&D effort and own R&D spending (zero until ``invest_in_rd``);
    ``stock``: knowledge in own domains after learning (``None`` until ``learn``; read through
    ``Firms.knowledge_stock``).
    """

    n: int
    live: np.ndarray
    layout: PortfolioLayout
    effort: np.ndarray
    own_rd: np.ndarray
    stock: np.ndarray | None = field(default=None)


class LearningVerbs:
    """R&D, learning, partner search, innovation and diversification of :class:`Firms`."""

    # Arrays and collaborators of Firms used here (declared for readers and type checkers).
    rng: np.random.Generator
    model: object
    size: int
    domains: int
    params: FirmBehaviour
    interregional: Interregional
    knowledge_space: KnowledgeSpace
    regions: RegionState
    network: CollaborationNetwork
    universities: KnowledgeSources
    directory: FirmDirectory
    links: FirmLinks
    knowledge: np.ndarray
    portfolio: np.ndarray
    core: np.ndarray
    region: np.ndarray
    uid: np.ndarray
    alive: np.ndarray
    absorptive: np.ndarray
    employees: np.ndarray
    rd_intensity: np.ndarray
    grant: np.ndarray
    rd_spend: np.ndarray
    grant_spent: np.ndarray
    loss_streak: np.ndarray
    innovations: np.ndarray
    innovated: np.ndarray
    innovation_domain: np.ndarray
    last_innovation: np.ndarray
    markup: np.ndarray
    progressive: np.ndarray

    # Also used: scratch() (from Population), of_region(), degree(), targeted_boost() and
    # track_portfolio() (from Firms).

    @verb
    def invest_in_rd(self, state: FirmStep) -> None:
        """R&D spending = own intensity x value added (cut after a loss), less what grants
        crowd out, plus the part of the grants spent this quarter.

        A firm that cannot absorb a grant substitutes it for its own spending: it cuts own R&D
        by crowding_out x (1 - absorptive capacity) x grant, so R&D rises by less than the
        grant (regional innovation paradox; Oughton, Landabaso & Morgan 2002). Business R&D
        (BERD) counts what firms spend: their own money and the grants.
        """
        n, params = state.n, self.params
        value_added = self.employees[:n] * self.of_region(
            self.regions.productivity * self.regions.value_added_share
        )
        # R&D is discretionary: a firm that made a loss last quarter cuts it.
        cut = np.where(self.loss_streak[:n] > 0, params.rd_cut_after_loss, 1.0)
        planned = self.rd_intensity[:n] * value_added * cut
        # A grant funds a project over several quarters: the firm spends a share of what it
        # has not yet spent each quarter, so R&D does not jump in the quarter it is paid.
        grant = params.grant_spending_rate * self.grant[:n]
        crowded_out = params.grant_crowding_out * (1.0 - self.absorptive[:n]) * grant
        own = planned - np.minimum(planned, crowded_out)
        self.rd_spend[:n] = own + grant
        self.grant_spent[:n] = grant
        # Effort is R&D relative to the firm's value added (an intensity): knowledge is the
        # quality of a firm's capabilities, not a quantity that grows with its size. Scaling
        # it with size would let large firms out-learn, out-earn and out-grow everyone else,
        # breaking Gibrat's law of size-independent growth.
        state.effort = self.rd_spend[:n] / np.maximum(value_added, EPSILON)
        state.own_rd = own
        self.grant[:n] -= grant

    def held_stock(self, state: FirmStep) -> np.ndarray:
        """Each firm's knowledge summed over its own domains (the portfolio of ``prepare``)."""
        layout = state.layout
        held = self.knowledge[: state.n].reshape(-1)[layout.entries]
        return np.bincount(layout.entry_firm, held, minlength=state.n)

    def knowledge_stock(self, state: FirmStep) -> np.ndarray:
        """Knowledge in own domains after this step's learning (as of ``prepare`` if the
        step had no ``learn``)."""
        if state.stock is None:
            state.stock = self.held_stock(state)
        return state.stock

    @verb
    def learn(self, state: FirmStep) -> None:
        """Knowledge grows from own R&D, partners, universities and regional spill-overs.

        dk[f,d] = a_f * rel[f,d] * (own + lp*partner_gap + lu*university_gap + ls*regional_gap)
        where rel is 1 in the firm's domains and the relatedness density elsewhere; then
        knowledge depreciates (obsolescence in use, faster expertise decay out of use).
        """
        params, n, layout = self.params, state.n, state.layout
        knowledge = self.knowledge[:n]
        flat_knowledge = knowledge.reshape(-1)  # a view: rows [:n] are contiguous
        entries, entry_firm = layout.entries, layout.entry_firm
        # Computed as (a_f * ls) * rel * (regional_gap + (own + partner and university terms)
        # / ls): the dense gap needs no scaling of its own, and the per-firm factor and rel
        # multiply it in one pass as one weight array.
        spillover = params.learning_spillover
        scale = spillover if spillover > 0 else 1.0
        gain = self.scratch("gain")
        if spillover <= 0:
            gain.fill(0.0)
        elif self.regions.count == 1:
            regional_mean = self.regions.mean_knowledge.astype(np.float32)[0]
            row_operation(np.subtract, knowledge, regional_mean, gain, row_first=True)
        else:
            regional_mean = self.regions.mean_knowledge.astype(np.float32)
            np.take(regional_mean, self.region[:n], axis=0, out=gain, mode="clip")
            gain -= knowledge
        row_operation(np.maximum, gain, np.zeros(self.domains, dtype=np.float32), gain)

        partner_rows, partner_gain, university_rows, university_gain = self.links.learning_gains(
            knowledge,
            self.universities,
            params.learning_partner / scale,
            params.learning_university / scale,
        )
        gain[partner_rows] += partner_gain
        gain[university_rows] += university_gain
        own = params.learning_own * np.sqrt(state.effort) / np.maximum(layout.size, 1)
        own_entries = (own / scale).astype(np.float32)[entry_firm]
        gain.reshape(-1)[entries] += own_entries

        factor = (self.absorptive[:n] * scale * state.live).astype(np.float32)
        weights = np.multiply(layout.density, factor[:, None], out=self.scratch("weights"))
        entry_weights = factor[entry_firm]
        weights.reshape(-1)[entries] = entry_weights  # rel = 1 in the firm's domains
        gain *= weights
        self._record_flows(
            state,
            gain,
            weights,
            own_entries * entry_weights,
            (partner_rows, partner_gain),
            (university_rows, university_gain),
        )

        in_use = flat_knowledge[entries] * np.float32(1.0 - params.obsolescence)
        knowledge *= np.float32(1.0 - params.expertise_decay)
        flat_knowledge[entries] = in_use
        knowledge += gain
        state.stock = self.held_stock(state)

    def _record_flows(self, state, gain, weights, own_gain, partners, universities) -> None:
        """Knowledge learnt this step per region, by source: firm partners, universities,
        own R&D (``own_gain``, per portfolio entry) and regional spill-overs (the rest of the
        total gain)."""
        count, layout = self.regions.count, state.layout
        flows = {}
        for source, (rows, values) in (("firm", partners), ("university", universities)):
            per_firm = np.einsum("fd,fd->f", values, weights[rows])
            flows[source] = np.bincount(self.region[rows], per_firm, minlength=count)
        flows["own"] = np.bincount(self.region[layout.entry_firm], own_gain, count)
        if count == 1:
            total = np.array([float(gain.sum(dtype=np.float64))])
        else:
            total = np.bincount(self.region[: state.n], gain.sum(axis=1), count)
        flows["spillover"] = np.maximum(
            total - flows["firm"] - flows["university"] - flows["own"], 0.0
        )
        self.regions.knowledge_flows = flows

    @verb
    def seek_partners(self, state: FirmStep) -> None:
        """Some firms screen a few candidates and link with the best fitting one.

        A firm searches with probability rate x (offset + a_f) x (1 + cluster boost):
        absorptive capacity is also the capacity to find and judge partners (Cohen & Levinthal
        1990). Candidates come from the firm's own region or, with a probability that decays
        with distance, another region; drawn uniformly, by degree (preferential attachment) or
        among partners' partners (triadic closure). Conservative firms prefer similar knowledge
        (cosine similarity s), progressive firms complementary knowledge with some overlap
        (score 4 s (1 - s)).
        """
        params, rng, n = self.params, self.rng, state.n
        degree = self.degree()
        boost = self.targeted_boost(self.regions.cluster_boost)
        propensity = (
            params.partner_search_rate
            * (params.search_absorptive_offset + self.absorptive[:n])
            * (1.0 + boost)
        )
        wants = state.live & (degree < params.max_partners) & (rng.random(n) < propensity)
        seekers = np.flatnonzero(wants)
        if len(seekers) == 0:
            return
        candidates = draw_partner_candidates(
            rng,
            seekers,
            self.region[seekers],
            params.candidates,
            self.directory,
            self.links,
            self._reach(),
            self.interregional.openness,
            params.uniform_candidate_share,
            params.triadic_share,
        )
        valid = candidates >= 0
        safe = np.where(valid, candidates, seekers[:, None])
        mine = self.knowledge[seekers]
        # mode="clip" (indices are valid anyway): with the default mode NumPy buffers ``out``.
        theirs = np.take(
            self.knowledge,
            safe.ravel(),
            axis=0,
            out=self.links.buffers.get("theirs", safe.size, self.domains),
            mode="clip",
        ).reshape(*safe.shape, self.domains)
        mine_norm = np.sqrt(np.einsum("sk,sk->s", mine, mine))
        their_norm = np.sqrt(np.einsum("sck,sck->sc", theirs, theirs))
        similarity = np.einsum("sk,sck->sc", mine, theirs) / (
            mine_norm[:, None] * their_norm + EPSILON
        )
        score = np.where(
            self.progressive[seekers][:, None],
            _COMPLEMENT_SCALE * similarity * (1.0 - similarity),
            similarity,
        )
        score[~valid | (safe == seekers[:, None]) | (degree[safe] >= params.max_partners)] = -1.0
        best = np.argmax(score, axis=1)
        best_score = score[np.arange(len(seekers)), best]
        threshold = rng.random(len(seekers)) * params.acceptance_width + params.acceptance_low
        accept = best_score > threshold
        chosen = safe[np.arange(len(seekers)), best]
        self.network.add(self.uid[seekers[accept]], self.uid[chosen[accept]])

    def _reach(self) -> np.ndarray | None:
        """How easily a search reaches each other region (regions x regions, zero diagonal);
        None with a single region."""
        if self.regions.count == 1:
            return None
        reach = np.exp(-self.regions.distance / self.interregional.distance_decay)
        np.fill_diagonal(reach, 0.0)
        return reach

    def innovation_hazard(self, state: FirmStep, stock: np.ndarray) -> np.ndarray:
        """Innovation hazard per quarter of every firm (rows ``[:n]``), given each firm's
        knowledge stock S_f in its own domains.

        lambda_f = rate * (S_f / |P_f|)^ke * (1 + pe*ln(1+partners)) * (1 + ve*RV_f)
                   * (offset + a_f) * (1 + procurement pull), with S_f / |P_f| the firm's mean
        knowledge in its own domains (capability quality, independent of how many domains a
        large firm holds) and RV_f the mean proximity between its domains (related variety).
        """
        params, n = self.params, state.n
        partners = self.degree()
        size = state.layout.size
        related_variety = np.zeros(n)  # 0 for firms in one domain
        multi = np.flatnonzero(size > 1)
        held = self.portfolio[multi].astype(np.float32)
        proximity = self.knowledge_space.off_diagonal32
        pairs = np.einsum("ij,ij->i", serial_matmul(held, proximity), held)
        multi_size = size[multi]
        related_variety[multi] = pairs / (multi_size * (multi_size - 1.0))
        pull = self.targeted_boost(self.regions.procurement_pull)
        return (
            params.innovation_rate
            * (stock / np.maximum(size, 1.0)) ** params.knowledge_elasticity
            * (1.0 + params.partner_effect * np.log1p(partners))
            * (1.0 + params.variety_effect * related_variety)
            * (params.innovation_absorptive_offset + self.absorptive[:n])
            * (1.0 + pull)
        )

    @verb
    def innovate(self, state: FirmStep) -> None:
        """Each firm innovates with probability 1 - exp(-lambda_f) (see
        :meth:`innovation_hazard`); the innovation lands in one of its domains, drawn in
        proportion to its knowledge there, and raises its markup and that knowledge."""
        params, rng, n = self.params, self.rng, state.n
        portfolio = self.portfolio[:n]
        hazard = self.innovation_hazard(state, self.knowledge_stock(state))
        success = state.live & (rng.random(n) < -np.expm1(-hazard))
        winners = np.flatnonzero(success)
        if len(winners) == 0:
            return
        # A domain with no knowledge left can still be where an innovation lands.
        weights = np.where(portfolio[winners], self.knowledge[winners] + TINY, 0.0)
        domains = choose_per_row(rng, weights)
        self.innovated[winners] = True
        self.innovation_domain[winners] = domains
        self.innovations[winners] += 1
        self.last_innovation[winners] = self.model.steps
        self.markup[winners] += params.markup_per_innovation
        # Learning by doing: expertise grows with use, by a fixed amount (not compounding).
        self.knowledge[winners, domains] += np.float32(params.learning_by_doing)

    @verb
    def seed_innovation_history(self, state: FirmStep) -> None:
        """Give the initial firms a past: a firm innovated in the year before the start with
        probability 1 - exp(-4 lambda_f), and the regions' running innovation counts start at
        their expected level, so innovation indicators and RCA do not start at zero."""
        n, rng, layout = state.n, self.rng, state.layout
        hazard = self.innovation_hazard(state, self.held_stock(state))
        year = QUARTERS_PER_YEAR
        innovated = self.alive[:n] & (rng.random(n) < -np.expm1(-year * hazard))
        when = -rng.integers(0, year, n)
        self.last_innovation[:n] = np.where(innovated, when, NEVER)
        # The regions' running innovation counts start at their expected steady state: each
        # firm's hazard spread over its domains by its knowledge there.
        held = self.knowledge[:n].reshape(-1)[layout.entries]
        stock = np.bincount(layout.entry_firm, held, minlength=n)
        share = held / np.maximum(stock[layout.entry_firm], EPSILON)
        per_quarter = -np.expm1(-hazard) * self.alive[:n]  # P(innovation in a quarter)
        memory = self.regions.innovation_memory
        expected = per_quarter[layout.entry_firm] * share / (1.0 - memory)
        counts = self.regions.innovations_by_domain
        cells = self.region[:n][layout.entry_firm] * self.domains + layout.entry_domain
        counts += np.bincount(cells, expected, minlength=counts.size).reshape(counts.shape)

    def diversification_density(self, state: FirmStep, rows: np.ndarray) -> np.ndarray:
        """Relatedness density the firms ``rows`` see around each domain when they diversify
        or review: a mix of the density to their own portfolio and their region's (last
        measured) density, the local capabilities (skills, suppliers) they can draw on
        (rows x domains). Only the deciding firms' rows are built: a few per cent of firms
        decide in a quarter."""
        return self.related_density(state.layout.density[rows], self.region[rows])

    def related_density(self, own: np.ndarray, regions: np.ndarray) -> np.ndarray:
        """The density that guides a choice of domain: ``own`` (each chooser's density to its
        own portfolio) mixed with the density of its region, ``regions``, by
        ``firm.regional_relatedness_share``."""
        share = self.params.regional_relatedness_share
        return (1.0 - share) * own + share * self.model.region_density[regions]

    def domain_choice_weights(self, near: np.ndarray) -> np.ndarray:
        """Weights of candidate domains given their relatedness density as weighed by
        ``firm.diversification_relatedness`` (``near``): unrelated domains keep a small
        chance."""
        return (near + DENSITY_FLOOR) ** self.params.relatedness_exponent

    @verb
    def diversify(self, state: FirmStep) -> None:
        """Enter a new domain with a probability that rises with relatedness density; drop
        unrelated ones. Troubled firms (repeated losses) search more and, part of the time,
        radically (any domain, as SKIN's radical research)."""
        params, rng, n = self.params, self.rng, state.n
        live, size = state.live, state.layout.size
        troubled = self.loss_streak[:n] >= params.troubled_losses
        search = np.where(troubled, params.troubled_search_factor, 1.0)
        attempt = live & (rng.random(n) < params.diversification_rate * search)
        # Larger firms can run more domains: 1 + floor(log2(1 + employees)).
        limit = 1 + np.floor(np.log2(1.0 + self.employees[:n]))
        attempt &= size < limit
        movers = np.flatnonzero(attempt)
        entered_now = np.zeros(n, dtype=bool)
        if len(movers):
            near = params.diversification_relatedness * self.diversification_density(state, movers)
            outside = ~self.portfolio[movers]
            radical = troubled[movers] & (rng.random(len(movers)) < params.radical_share)
            weights = np.where(radical[:, None], 1.0, self.domain_choice_weights(near))
            domains = choose_per_row(rng, np.where(outside, weights, 0.0))
            chance = (
                (
                    params.entry_chance_base
                    + params.entry_chance_relatedness * near[np.arange(len(movers)), domains]
                )
                * (1.0 - params.entry_complexity_penalty * self.knowledge_space.complexity[domains])
                * self.absorptive[movers]
            )
            enter = rng.random(len(movers)) < chance
            firms, domains = movers[enter], domains[enter]
            self.portfolio[firms, domains] = True
            self.track_portfolio(added=firms * self.domains + domains)
            # Core expertise adds to what the firm knows of the domain from spill-overs or an
            # earlier spell in it (which expertise decay erodes while the domain is unused).
            core_stock = self.knowledge[firms, self.core[firms]]
            self.knowledge[firms, domains] += params.entry_knowledge_share * core_stock
            self.regions.record_entries(
                self.region[firms],
                state.layout.density[firms, domains],
                self.knowledge_space.complexity[domains],
            )
            entered_now[firms] = True

        # A diversified firm now and then reviews one non-core domain and drops it at random,
        # more often the less related it is. A firm that just entered a domain does not review
        # its portfolio in the same quarter.
        reviewing = np.flatnonzero(
            live & (size > 1) & ~entered_now & (rng.random(n) < params.portfolio_review_rate)
        )
        if len(reviewing):
            others = self.portfolio[reviewing].astype(np.float64)
            others[np.arange(len(reviewing)), self.core[reviewing]] = 0.0
            domains = choose_per_row(rng, others)
            density = self.diversification_density(state, reviewing)
            related = params.review_relatedness * density[np.arange(len(reviewing)), domains]
            drop_chance = (
                params.unrelated_drop_rate * (1.0 - related) ** params.review_relatedness_exponent
            )
            drop = rng.random(len(reviewing)) < drop_chance
            self.portfolio[reviewing[drop], domains[drop]] = False
            self.track_portfolio(dropped=reviewing[drop] * self.domains + domains[drop])
            self.regions.record_domain_exits(self.region[reviewing[drop]])
