"""Regional governments: the S3 managing authority running the policy cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from smartspec.scenarios.schema import INSTRUMENTS, Governance

from .instruments import INSTRUMENT_MECHANISMS
from .population import Population

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = ["Government", "Governments", "GOVERNMENT", "EDP_WEIGHTS"]

GOVERNMENT = 2
GOVERNANCES = list(Governance)

#: Weight of each actor type's signal in the EDP: firms, universities, citizens, government.
EDP_WEIGHTS: dict[Governance, tuple[float, float, float, float]] = {
    Governance.top_down: (0.25, 0.15, 0.0, 0.60),
    Governance.triple_helix: (0.45, 0.35, 0.0, 0.20),
    Governance.quadruple_helix: (0.35, 0.25, 0.25, 0.15),
}


class Government(mesa.Agent):
    """A region's S3 managing authority; its state is one row of :class:`Governments`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.governments.region[self._row])

    @property
    def institutional_quality(self) -> float:
        return float(self.model.governments.quality[self._row])

    @property
    def priorities(self) -> list[str]:
        names = self.model.knowledge.names
        return [names[d] for d in np.flatnonzero(self.model.governments.priorities[self._row])]

    @property
    def governance(self) -> str:
        return GOVERNANCES[int(self.model.governments.governance[self._row])].value


class Governments(Population):
    """One government per region, as arrays (row r = region r)."""

    kind = GOVERNMENT
    fields = {
        "region": ((), np.int32),
        "budget": ((), np.float64),
        "quality": ((), np.float64),
        "governance": ((), np.int8),
        "n_priorities": ((), np.int32),
        "revision_period": ((), np.int32),
        "priorities": (("K",), bool),
        "shares": (("I",), np.float64),
        "committed": (("I",), np.float64),
        "absorbed": (("I",), np.float64),
        "committed_total": (("I",), np.float64),
        "absorbed_total": (("I",), np.float64),
        "pipeline": (("I", "H"), np.float64),
        "edp_rounds": ((), np.int32),
    }

    model: EcosystemModel

    def found_all(self) -> None:
        """One government per region, in region order."""
        model = self.model
        for index, region in enumerate(model.spec.regions):
            spec = region.government
            mix = model.spec.mix_for(index)
            governance = mix.governance or spec.governance
            self.append(
                Government,
                1,
                region=index,
                budget=spec.budget,
                quality=spec.institutional_quality,
                governance=GOVERNANCES.index(Governance(governance)),
                n_priorities=spec.n_priorities,
                revision_period=spec.revision_period,
                shares=np.array(mix.share_vector()),
                edp_rounds=0,
            )

    # Row r is region r: governments never leave the model, so slots equal region indices.
    def priorities_of(self, regions: np.ndarray) -> np.ndarray:
        return self.priorities[regions]

    def quality_of(self, regions: np.ndarray) -> np.ndarray:
        return self.quality[regions]

    def governance_of(self, regions: np.ndarray) -> np.ndarray:
        return self.governance[regions]

    def current_shares(self, region: int) -> np.ndarray:
        """Budget shares in force this quarter: the mix's shares, or those of its latest phase
        that has started (sequenced mixes, e.g. capacity building first)."""
        phases = self.model.spec.mix_for(region).phases
        shares = self.shares[region]
        for phase in phases:
            if self.model.steps >= phase.start:
                shares = np.array(phase.share_vector())
        return shares

    def step(self) -> None:
        """The government verbs, in order (docs/ODD.md §3)."""
        self.run_edp()
        self.allocate_budget()
        self.deliver_instruments()

    def run_edp(self) -> None:
        """Select priority domains from weighted stakeholder signals (entrepreneurial discovery).

        score_d = w_F F_d + w_U U_d + w_C C_d + w_G G_d + noise, each signal scaled to [0, 1]:
        F = the firms' knowledge and recent innovations in d, U = university strength, C = the
        citizens' needs weighted by participation, G = the government's own preference for
        complex ("high-tech") domains. The weights follow the governance model; the citizens'
        weight shrinks when few take part; the noise grows as institutional quality falls.
        """
        model, rng = self.model, self.model.rng
        due = (model.steps - 1) % self.revision_period[: self.size] == 0
        for region in np.flatnonzero(due):
            spec = model.spec.regions[region].government
            if model.steps == 1 and spec.initial_priorities:
                chosen = [model.knowledge.names.index(name) for name in spec.initial_priorities]
            else:
                chosen = self._discover(int(region), rng)
            self.priorities[region] = False
            self.priorities[region, chosen] = True
            self.edp_rounds[region] += 1

    def _discover(self, region: int, rng: np.random.Generator) -> np.ndarray:
        model = self.model

        def scaled(values: np.ndarray) -> np.ndarray:
            top = values.max()
            return values / top if top > 0 else values

        firm_signal = scaled(model.regions.firm_knowledge[region]) + 0.5 * scaled(
            model.regions.innovations_by_domain[region]
        )
        university_signal = scaled(model.regions.university_strength(region))
        citizen_signal, participation = model.regions.citizen_signal(region)
        government_signal = model.knowledge.complexity
        weights = np.array(EDP_WEIGHTS[GOVERNANCES[self.governance[region]]])
        weights[2] *= min(1.0, participation / 0.3)
        weights /= weights.sum()
        signals = np.stack(
            [scaled(firm_signal), university_signal, scaled(citizen_signal), government_signal]
        )
        score = weights @ signals
        noise_scale = 0.6 * (1.0 - self.quality[region]) * (score.std() + 1e-9)
        score = score + rng.normal(0.0, noise_scale, score.shape)
        return np.argsort(-score, kind="stable")[: self.n_priorities[region]]

    def allocate_budget(self) -> None:
        """Commit a quarter of the annual budget by the mix; absorb what capacity allows.

        absorbed_i = committed_i * (0.25 + 0.75 q) * min(1, capacity_i / units_i): weak
        administrations lose money to slow procedures, and an instrument cannot spend more than
        its eligible applicants take up. Absorbed money enters the pipeline and takes effect
        after the instrument's delay; the rest is decommitted.
        """
        model = self.model
        params = model.instrument_params
        step = model.steps
        horizon = self.pipeline.shape[2]
        for region in range(self.size):
            committed = self.current_shares(region) * self.budget[region] / 4.0
            efficiency = 0.25 + 0.75 * self.quality[region]
            absorbed = np.zeros(len(INSTRUMENTS))
            for index, name in enumerate(INSTRUMENTS):
                if committed[index] <= 0:
                    continue
                units = committed[index] / params[index].unit_cost
                capacity = INSTRUMENT_MECHANISMS[name].capacity(model, region)
                uptake = min(1.0, capacity / units) if units > 1e-12 else 0.0
                absorbed[index] = committed[index] * efficiency * uptake
                due = (step + params[index].delay) % horizon
                self.pipeline[region, index, due] += absorbed[index]
            self.committed[region] = committed
            self.absorbed[region] = absorbed
            self.committed_total[region] += committed
            self.absorbed_total[region] += absorbed

    def deliver_instruments(self) -> None:
        """Money whose delay has passed takes effect through each instrument's mechanism.

        No mechanism reads the network, so the links they form are inserted in one batch.
        """
        model = self.model
        slot = model.steps % self.pipeline.shape[2]
        with model.network.batch():
            for region in range(self.size):
                for index, name in enumerate(INSTRUMENTS):
                    amount = self.pipeline[region, index, slot]
                    if amount <= 0:
                        continue
                    self.pipeline[region, index, slot] = 0.0
                    units = amount / model.instrument_params[index].unit_cost
                    INSTRUMENT_MECHANISMS[name].deliver(
                        model, region, units, model.instrument_params[index]
                    )
