"""Citizen groups: societal needs, participation in the EDP, trust, social innovation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from smartspec.scenarios.schema import Governance

from .population import Population

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = ["CitizenGroup", "CitizenGroups", "CITIZEN"]

CITIZEN = 3


class CitizenGroup(mesa.Agent):
    """A citizen or user group; its state is one row of :class:`CitizenGroups`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.citizens.region[self._row])

    @property
    def needs(self) -> np.ndarray:
        return self.model.citizens.needs[self._row].copy()

    @property
    def participation(self) -> float:
        return float(self.model.citizens.participation[self._row])

    @property
    def trust(self) -> float:
        return float(self.model.citizens.trust[self._row])

    @property
    def social_innovations(self) -> int:
        return int(self.model.citizens.social_innovations[self._row])


class CitizenGroups(Population):
    """All citizen groups as arrays."""

    kind = CITIZEN
    fields = {
        "region": ((), np.int32),
        "needs": (("K",), np.float64),
        "participation": ((), np.float64),
        "trust": ((), np.float64),
        "lab_boost": ((), np.float64),
        "social_innovations": ((), np.int64),
        "innovated": ((), bool),
    }

    model: EcosystemModel

    def found(self, region: int, count: int) -> np.ndarray:
        """Groups whose needs concentrate on a few societal-challenge domains of the region."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng, spec, k = self.model.rng, self.model.spec.regions[region], self.domains
        challenges = rng.choice(k, size=min(4, k), replace=False)
        focus = np.zeros((count, k))
        focus[:, challenges] = rng.dirichlet(np.ones(len(challenges)), size=count)
        needs = 0.7 * focus + 0.3 * rng.dirichlet(np.full(k, 0.5), size=count)
        return self.append(
            CitizenGroup,
            count,
            region=region,
            needs=needs,
            participation=np.clip(rng.normal(spec.citizen_participation, 0.05, count), 0, 1),
            trust=np.clip(rng.normal(spec.citizen_trust, 0.05, count), 0, 1),
        )

    def step(self) -> None:
        """The citizen-group verbs, in order (docs/ODD.md §3)."""
        if self.count == 0:
            return
        self.participate()
        self.co_create()
        self.update_trust()

    def participate(self) -> None:
        """Participation moves towards a target raised by trust, an open (quadruple-helix)
        EDP and running living labs."""
        model, n = self.model, self.size
        regions = self.region[:n]
        open_edp = model.governments.governance_of(regions) == list(Governance).index(
            Governance.quadruple_helix
        )
        target = np.clip(
            0.05 + 0.4 * self.trust[:n] + 0.2 * open_edp + 0.3 * np.minimum(self.lab_boost[:n], 1),
            0.0,
            1.0,
        )
        rate = model.spec.citizens.participation_adjustment
        self.participation[:n] += rate * (target - self.participation[:n])

    def co_create(self) -> None:
        """Social innovations (public-service innovation, living-lab outcomes) arise with a
        hazard rising with participation, links to other actors, living labs and trust."""
        model, rng, n = self.model, self.model.rng, self.size
        live = self.alive[:n]
        degree = model.node_degree()[self.uid[:n]]
        hazard = (
            model.spec.citizens.social_innovation_rate
            * (0.2 + self.participation[:n])
            * (1.0 + np.log1p(degree))
            * (1.0 + self.lab_boost[:n])
            * (0.5 + self.trust[:n])
        )
        success = live & (rng.random(n) < -np.expm1(-hazard))
        self.innovated[:n] = success
        self.social_innovations[:n] += success
        model.regions.social_innovations += np.bincount(
            self.region[:n][success], minlength=model.n_regions
        )
        self.lab_boost[:n] *= 0.9

    def update_trust(self) -> None:
        """Trust follows how well priorities meet the group's needs, government quality and
        the group's own success in co-creation."""
        model, n = self.model, self.size
        regions = self.region[:n]
        priorities = model.governments.priorities_of(regions)
        alignment = (self.needs[:n] * priorities).sum(axis=1)
        quality = model.governments.quality_of(regions)
        target = 0.15 + 0.35 * alignment + 0.35 * quality + 0.15 * self.innovated[:n]
        rate = model.spec.citizens.trust_adjustment
        self.trust[:n] += rate * (np.clip(target, 0, 1) - self.trust[:n])
