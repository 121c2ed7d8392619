"""Universities: research strength per domain, graduates, technology transfer, spin-offs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .population import Population
from .vector import choose_per_row

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = ["University", "Universities", "UNIVERSITY"]

UNIVERSITY = 1


class University(mesa.Agent):
    """A university; its state is one row of :class:`Universities`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.universities.region[self._row])

    @property
    def strength(self) -> np.ndarray:
        return self.model.universities.strength[self._row].copy()

    @property
    def tech_transfer(self) -> float:
        return float(self.model.universities.transfer[self._row])


class Universities(Population):
    """All universities as arrays."""

    kind = UNIVERSITY
    fields = {
        "region": ((), np.int32),
        "strength": (("K",), np.float64),
        "target": (("K",), np.float64),
        "base": (("K",), np.float64),
        "transfer": ((), np.float64),
    }

    model: EcosystemModel

    def found(self, region: int, count: int, specialised: np.ndarray) -> np.ndarray:
        """Universities strong across the board, a little stronger in the region's domains."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng, spec = self.model.rng, self.model.spec.regions[region]
        profile = rng.lognormal(-0.18, 0.6, size=(count, self.domains))
        profile[:, specialised] *= 1.5
        strength = spec.university_strength * profile
        return self.append(
            University,
            count,
            region=region,
            strength=strength,
            target=strength,
            base=strength,
            transfer=np.clip(spec.tech_transfer * rng.lognormal(0.0, 0.2, count), 0.0, 1.0),
        )

    def step(self) -> None:
        """The university verbs, in order (docs/ODD.md §3)."""
        if self.count == 0:
            return
        self.research()
        self.graduate()
        self.transfer_knowledge()
        self.spin_off()

    def research(self) -> None:
        """Strength moves towards its funded target; the target (raised by research
        infrastructure) depreciates towards the university's base strength, so that
        infrastructure must be maintained."""
        n, params = self.size, self.model.spec.university
        self.target[:n] += params.infrastructure_depreciation * (self.base[:n] - self.target[:n])
        self.strength[:n] += params.research_rate * (self.target[:n] - self.strength[:n])

    def graduate(self) -> None:
        """Graduates join the region's pool of skilled workers; the flow scales with the
        region's labour market and the universities' mean strength."""
        model, n = self.model, self.size
        live = self.alive[:n]
        regions = self.region[:n][live]
        mean_strength = self.strength[:n][live].mean(axis=1)
        count = np.maximum(np.bincount(regions, minlength=model.n_regions), 1)
        strength = np.bincount(regions, mean_strength, minlength=model.n_regions) / count
        per_thousand = model.spec.university.graduates_per_strength * strength
        graduates = per_thousand * model.regions.employment / 1000.0
        graduates[np.bincount(regions, minlength=model.n_regions) == 0] = 0.0
        model.regions.add_skilled(graduates)

    def transfer_knowledge(self) -> None:
        """Each university forms about links_per_quarter x transfer capacity links with firms
        whose knowledge overlaps its strengths."""
        model, rng, n = self.model, self.model.rng, self.size
        live = np.flatnonzero(self.alive[:n])
        links = rng.poisson(model.spec.university.links_per_quarter * self.transfer[live])
        sources = np.repeat(live, links)
        if len(sources) == 0:
            return
        firms = model.sample_firms(self.region[sources], preferential=True)
        ok = firms >= 0
        sources, firms = sources[ok], firms[ok]
        knowledge = model.firms.knowledge[firms]
        overlap = (knowledge * self.strength[sources]).sum(axis=1) / (
            np.linalg.norm(knowledge, axis=1) * np.linalg.norm(self.strength[sources], axis=1)
            + 1e-12
        )
        accept = rng.random(len(sources)) < overlap * model.firms.absorptive[firms] * 2.0
        model.network.add(self.uid[sources[accept]], model.firms.uid[firms[accept]])

    def spin_off(self) -> None:
        """Spin-offs in the university's strongest domains, inheriting part of its knowledge."""
        model, rng, n = self.model, self.model.rng, self.size
        live = np.flatnonzero(self.alive[:n])
        rate = model.spec.university.spinoff_rate * self.transfer[live]
        rate *= self.strength[live].mean(axis=1)
        counts = rng.poisson(rate)
        parents = np.repeat(live, counts)
        if len(parents) == 0:
            return
        cores = choose_per_row(rng, self.strength[parents] ** 2)
        model.regions.new_firms(
            self.region[parents],
            cores,
            inherited=0.3 * self.strength[parents],
            spinoff=True,
        )
