"""Universities: research strength per domain, graduates, technology transfer, spin-offs.

State is a struct of arrays (one row per university) held by :class:`Universities`; the Mesa
agent :class:`University` reads its row. Equations: docs/ODD.md §7.2.
"""

from __future__ import annotations

import numpy as np

from smartspec.scenarios.schema import Region, UniversityBehaviour

from .agents import University
from .base import EPSILON, QUARTERS_PER_YEAR, AgentKind
from .firm import Firms
from .population import RegionalActors
from .streams import verb
from .vector import choose_per_row

__all__ = ["Universities", "University"]

#: Graduates are set per 1,000 employees.
_PER_THOUSAND = 1000.0


class Universities(RegionalActors):
    """All universities as arrays.

    ``strength`` moves towards ``target`` (raised by research infrastructure), which
    depreciates towards ``base``, the strength at founding; ``transfer`` is the technology-
    transfer capacity.
    """

    params: UniversityBehaviour

    kind = AgentKind.UNIVERSITY
    #: The verbs of one step, in order (docs/ODD.md §3).
    VERBS = ("research", "graduate", "transfer_knowledge", "spin_off")
    fields = {
        "region": ((), np.int32),
        "strength": (("K",), np.float64),
        "target": (("K",), np.float64),
        "base": (("K",), np.float64),
        "transfer": ((), np.float64),
    }

    def found(self, region: int, spec: Region, specialised: np.ndarray) -> np.ndarray:
        """The universities of one region: strong across the board, stronger in the region's
        specialisations."""
        count = spec.universities
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng, params = self.rng, self.params
        sigma = params.strength_dispersion
        profile = rng.lognormal(-0.5 * sigma**2, sigma, size=(count, self.domains))
        profile[:, specialised] *= params.specialisation_bonus
        strength = spec.university_strength * profile
        spread = rng.lognormal(0.0, params.transfer_dispersion, count)
        return self.append(
            University,
            count,
            region=region,
            strength=strength,
            target=strength,
            base=strength,
            transfer=np.clip(spec.tech_transfer * spread, 0.0, 1.0),
        )

    def mean_strength(self) -> np.ndarray:
        """Mean research strength of each region's live universities over the domains (0 for
        a region without any)."""
        n, count = self.size, self.regions.count
        live = self.alive[:n]
        regions = self.region[:n][live]
        per_university = self.strength[:n][live].mean(axis=1)
        universities = np.bincount(regions, minlength=count)
        sums = np.bincount(regions, per_university, minlength=count)
        return np.divide(sums, universities, out=np.zeros(count), where=universities > 0)

    def strength_in(self, region: int) -> np.ndarray:
        """Summed research strength per domain of a region's universities."""
        return self.strength[self.in_region(region)].sum(axis=0)

    # --------------------------------------------------------------------- step
    def step(self, firms: Firms) -> None:
        """The university verbs of one quarter, in the order of :attr:`VERBS`."""
        if self.count == 0:
            return
        self.research()
        self.graduate()
        self.transfer_knowledge(firms)
        self.spin_off(firms)

    @verb
    def research(self) -> None:
        """Strength moves towards its funded target; the target (raised by research
        infrastructure) depreciates towards the university's base strength, so that
        infrastructure must be maintained."""
        n, params = self.size, self.params
        self.target[:n] += params.infrastructure_depreciation * (self.base[:n] - self.target[:n])
        self.strength[:n] += params.research_rate * (self.target[:n] - self.strength[:n])

    @verb
    def graduate(self) -> None:
        """Graduates join the region's pool of skilled workers; the flow scales with the
        region's labour market and the universities' mean strength, and grows by
        ``graduate_growth`` a year."""
        strength = self.mean_strength()
        # Tertiary education expands over time, burn-in included (the clock of the expansion
        # starts with the drawn state).
        years = self.model.elapsed / QUARTERS_PER_YEAR
        extra = (1.0 + self.params.graduate_growth) ** years - 1.0
        # The expansion's extra graduates fade as the tertiary share nears its ceiling.
        room = np.maximum(1.0 - self.regions.human_capital / self.params.tertiary_ceiling, 0.0)
        per_thousand = self.params.graduates_per_strength * (1.0 + extra * room) * strength
        # A region without universities has strength 0, so no graduates.
        graduates = per_thousand * self.regions.employment / _PER_THOUSAND
        self.regions.add_skilled(graduates)

    @verb
    def transfer_knowledge(self, firms: Firms) -> None:
        """Each university forms about links_per_quarter x transfer capacity links with (real)
        firms whose knowledge overlaps its strengths (firms drawn by links + 1), more as the
        region's economy grows (``market_scale``); the simulated firms get one per firm
        weight of them."""
        rng, n = self.rng, self.size
        live = np.flatnonzero(self.alive[:n])
        # A university's links are with real firms; the simulated ones get their share.
        regions = self.region[live]
        weight = self.regions.firm_weight[regions] / self.regions.market_scale[regions]
        links = rng.poisson(self.params.links_per_quarter * self.transfer[live] / weight)
        sources = np.repeat(live, links)
        if len(sources) == 0:
            return
        chosen = firms.directory.sample(self.region[sources], preferential=True)
        ok = chosen >= 0
        sources, chosen = sources[ok], chosen[ok]
        knowledge, strength = firms.knowledge[chosen], self.strength[sources]
        # Cosine similarity; each norm as np.linalg.norm computes it (the root of the summed
        # squares), without its argument handling.
        overlap = (knowledge * strength).sum(axis=1) / (
            np.sqrt((knowledge * knowledge).sum(axis=1))
            * np.sqrt((strength * strength).sum(axis=1))
            + EPSILON
        )
        acceptance = overlap * firms.absorptive[chosen] * self.params.link_acceptance
        accept = rng.random(len(sources)) < acceptance
        self.network.add(self.uid[sources[accept]], firms.uid[chosen[accept]])

    @verb
    def spin_off(self, firms: Firms) -> None:
        """Spin-offs in the university's strongest domains, inheriting part of its knowledge."""
        rng, n, params = self.rng, self.size, self.params
        live = np.flatnonzero(self.alive[:n])
        rate = params.spinoff_rate * self.transfer[live]
        rate *= self.strength[live].mean(axis=1)
        # Spin-offs are real firms: one simulated firm per firm weight of them, more as the
        # region's economy grows.
        regions = self.region[live]
        rate *= self.regions.market_scale[regions]
        rate /= self.regions.firm_weight[regions]
        counts = rng.poisson(rate)
        parents = np.repeat(live, counts)
        if len(parents) == 0:
            return
        cores = choose_per_row(rng, self.strength[parents] ** params.spinoff_focus)
        firms.enter(
            self.region[parents],
            cores,
            inherited=params.spinoff_inheritance * self.strength[parents],
            spinoff=True,
        )
        self.regions.record_university_spinoffs(self.region[parents])
