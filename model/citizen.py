"""Citizen groups: societal needs, participation in the EDP, trust, social innovation.

State is a struct of arrays (one row per group) held by :class:`CitizenGroups`; the Mesa agent
:class:`CitizenGroup` reads its row. Equations: docs/ODD.md §7.4.
"""

from __future__ import annotations

import numpy as np

from smartspec.scenarios.schema import CitizenBehaviour, Governance, Region

from .agents import CitizenGroup
from .base import EPSILON, AgentKind, Policy
from .population import RegionalActors
from .streams import verb

__all__ = ["CitizenGroup", "CitizenGroups"]

_OPEN_EDP = list(Governance).index(Governance.quadruple_helix)


class CitizenGroups(RegionalActors):
    """All citizen groups as arrays."""

    params: CitizenBehaviour

    kind = AgentKind.CITIZEN
    #: The verbs of one step, in order (docs/ODD.md §3).
    VERBS = ("participate", "co_create", "update_trust")
    fields = {
        "region": ((), np.int32),
        "needs": (("K",), np.float64),
        "participation": ((), np.float64),
        "trust": ((), np.float64),
        "lab_boost": ((), np.float64),
        "social_innovations": ((), np.int64),
        "innovated": ((), bool),
    }

    def found(self, region: int, spec: Region) -> np.ndarray:
        """The groups of one region: needs concentrate on a few societal-challenge domains."""
        count = spec.citizen_groups
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng, params, k = self.rng, self.params, self.domains
        challenges = rng.choice(k, size=min(params.challenges, k), replace=False)
        focus = np.zeros((count, k))
        focus[:, challenges] = rng.dirichlet(np.ones(len(challenges)), size=count)
        background = rng.dirichlet(np.full(k, params.needs_spread), size=count)
        needs = params.needs_focus * focus + params.needs_background * background
        spread = params.initial_dispersion
        return self.append(
            CitizenGroup,
            count,
            region=region,
            needs=needs,
            participation=np.clip(rng.normal(spec.citizen_participation, spread, count), 0, 1),
            trust=np.clip(rng.normal(spec.citizen_trust, spread, count), 0, 1),
        )

    def signal(self, region: int) -> tuple[np.ndarray, float]:
        """A region's needs weighted by participation, and its mean participation (the
        citizens' voice in the EDP)."""
        rows = self.in_region(region)
        if len(rows) == 0:
            return np.zeros(self.domains), 0.0
        weights = self.participation[rows]
        return weights @ self.needs[rows], float(weights.mean())

    # --------------------------------------------------------------------- step
    def step(self, policy: Policy) -> None:
        """The citizen-group verbs of one quarter, in the order of :attr:`VERBS`."""
        if self.count == 0:
            return
        self.participate(policy)
        self.co_create()
        self.update_trust(policy)

    @verb
    def participate(self, policy: Policy) -> None:
        """Participation moves towards a target raised by trust, an open (quadruple-helix)
        EDP and running living labs."""
        params, n = self.params, self.size
        open_edp = policy.governance[self.region[:n]] == _OPEN_EDP
        target = np.clip(
            params.participation_base
            + params.participation_trust * self.trust[:n]
            + params.participation_open_edp * open_edp
            + params.participation_labs * np.minimum(self.lab_boost[:n], 1),
            0.0,
            1.0,
        )
        rate = params.participation_adjustment
        self.participation[:n] += rate * (target - self.participation[:n])

    @verb
    def co_create(self) -> None:
        """Social innovations (public-service innovation, living-lab outcomes) arise with a
        hazard rising with participation, links to other actors, living labs and trust."""
        params, rng, n = self.params, self.rng, self.size
        live = self.alive[:n]
        degree = self.network.node_degree(self.nodes.capacity)[self.uid[:n]]
        hazard = (
            params.social_innovation_rate
            * (params.participation_offset + self.participation[:n])
            * (1.0 + params.network_effect * np.log1p(degree))
            * (1.0 + params.lab_effect * self.lab_boost[:n])
            * (params.trust_offset + self.trust[:n])
        )
        success = live & (rng.random(n) < -np.expm1(-hazard))
        self.innovated[:n] = success
        self.social_innovations[:n] += success
        self.regions.social_innovations += np.bincount(
            self.region[:n][success], minlength=self.regions.count
        )
        self.lab_boost[:n] *= params.lab_persistence

    @verb
    def update_trust(self, policy: Policy) -> None:
        """Trust follows how well priorities meet the group's needs, government quality and
        the group's own success in co-creation."""
        params, n = self.params, self.size
        regions = self.region[:n]
        # A group judges priorities by its pressing needs: each need weighs by its salience
        # (its square), so a group with a few acute needs looks at those, one with even needs
        # at all of them.
        salience = self.needs[:n] ** 2
        met = (salience * policy.priorities[regions]).sum(axis=1)
        alignment = met / np.maximum(salience.sum(axis=1), EPSILON)
        quality = policy.quality[regions]
        target = (
            params.trust_base
            + params.trust_alignment * alignment
            + params.trust_quality * quality
            + params.trust_success * self.innovated[:n]
        )
        rate = params.trust_adjustment
        self.trust[:n] += rate * (np.clip(target, 0, 1) - self.trust[:n])
