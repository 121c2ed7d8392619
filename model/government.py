"""Regional governments: the S3 managing authority running the policy cycle.

One row per region (row r is region r) in :class:`Governments`; the Mesa agent
:class:`Government` reads its row. Equations: docs/ODD.md §7.3.
"""

from __future__ import annotations

from dataclasses import replace

import mesa
import numpy as np

from smartspec.scenarios.loader import bundled_mix
from smartspec.scenarios.schema import INSTRUMENTS, Governance, GovernmentBehaviour, Scenario

from .agents import Government
from .base import EPSILON, QUARTERS_PER_YEAR, TINY, AgentKind
from .citizen import CitizenGroups
from .instruments import INSTRUMENT_MECHANISMS, PolicyTargets, simulated_unit
from .knowledge import KnowledgeSpace
from .network import CollaborationNetwork
from .population import NodeRegistry, Population
from .region import RegionState
from .streams import verb
from .university import Universities

__all__ = ["GOVERNANCES", "Government", "Governments"]

#: Governance models in the order of their codes in ``Governments.governance``.
GOVERNANCES = list(Governance)


class Governments(Population):
    """One government per region, as arrays (row r = region r)."""

    kind = AgentKind.GOVERNMENT
    #: The verbs of one step, in order (docs/ODD.md §3).
    VERBS = ("run_edp", "allocate_budget", "deliver_instruments")
    fields = {
        "region": ((), np.int32),
        "budget": ((), np.float64),
        # The market's scale when the budget was fixed: the money then grows with the trend.
        "budget_scale": ((), np.float64),
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

    def __init__(
        self,
        model: mesa.Model,
        nodes: NodeRegistry,
        *,
        scenario: Scenario,
        knowledge: KnowledgeSpace,
        regions: RegionState,
        universities: Universities,
        citizens: CitizenGroups,
        network: CollaborationNetwork,
    ) -> None:
        self.instrument_params = scenario.instruments.in_order()
        self._instrument_targets: tuple[PolicyTargets, dict[str, PolicyTargets]] | None = None
        horizon = max(params.delay for params in self.instrument_params) + 1
        dims = {"I": len(INSTRUMENTS), "H": horizon}
        super().__init__(model, nodes, knowledge.size, dims=dims)
        self.scenario = scenario
        self.params: GovernmentBehaviour = scenario.government
        self.knowledge_space = knowledge
        self.regions = regions
        self.universities = universities
        self.citizens = citizens
        self.network = network
        # The mix in force during the burn-in (the same for every compared mix).
        burn_in_mix = bundled_mix(scenario.initial.burn_in_mix, field="initial.burn_in_mix")
        self.burn_in_shares = np.array(burn_in_mix.share_vector())
        self.burn_in_governance = burn_in_mix.governance
        self.burning_in = False
        self._run_governance = np.zeros(0, dtype=np.int64)

    def found_all(self) -> None:
        """One government per region, in region order."""
        for index, region in enumerate(self.scenario.regions):
            spec = region.government
            mix = self.scenario.mix_for(index)
            governance = mix.governance or spec.governance
            self.append(
                Government,
                1,
                region=index,
                budget=0.0,
                budget_scale=1.0,
                quality=spec.institutional_quality,
                governance=GOVERNANCES.index(Governance(governance)),
                n_priorities=spec.n_priorities,
                revision_period=spec.revision_period,
                shares=np.array(mix.share_vector()),
                edp_rounds=0,
            )

    def fix_budgets(self, gdp: np.ndarray) -> None:
        """Set each region's budget in M€ per year: its ``budget_share`` of ``gdp`` (M€ per
        quarter, one value per region). Called at the start and again at quarter 0, after
        the burn-in; afterwards the money grows only with the market's trend
        (``firm.population_growth``), so every compared mix spends the same."""
        shares = np.array([region.government.budget_share for region in self.scenario.regions])
        self.budget[: self.size] = shares * QUARTERS_PER_YEAR * gdp[: self.size]
        self.budget_scale[: self.size] = self.regions.market_scale[: self.size]

    def begin_burn_in(self) -> None:
        """Put every region under the burn-in mix's governance (or its own, if that mix sets
        none) until quarter 0: a mix's governance, like its shares, must not shape the state
        that every compared mix starts from, nor the GDP that fixes the budgets."""
        self._run_governance = self.governance[: self.size].copy()
        for index, region in enumerate(self.scenario.regions):
            governance = self.burn_in_governance or region.government.governance
            self.governance[index] = GOVERNANCES.index(Governance(governance))
        self.burning_in = True

    def start_quarter_zero(self) -> None:
        """After the burn-in: cumulative totals and EDP rounds count from quarter 0, and
        money in the pipeline keeps its due quarter on the clock that restarts at 0."""
        burn_in = self.scenario.initial.burn_in
        self.pipeline[: self.size] = np.roll(self.pipeline[: self.size], -burn_in, axis=2)
        self.committed_total[: self.size] = 0.0
        self.absorbed_total[: self.size] = 0.0
        self.edp_rounds[: self.size] = 0
        self.governance[: self.size] = self._run_governance
        self.burning_in = False

    def current_shares(self, region: int) -> np.ndarray:
        """Budget shares in force this quarter: the mix's shares, or those of its latest phase
        that has started (sequenced mixes, e.g. capacity building first); the burn-in mix's
        during the burn-in."""
        if self.burning_in:
            return self.burn_in_shares
        phases = self.scenario.mix_for(region).phases
        shares = self.shares[region]
        for phase in phases:
            if self.model.steps >= phase.start:
                shares = np.array(phase.share_vector())
        return shares

    # --------------------------------------------------------------------- step
    def step(self, targets: PolicyTargets) -> None:
        """The government verbs of one quarter, in the order of :attr:`VERBS`."""
        self.run_edp()
        self.allocate_budget(targets)
        self.deliver_instruments(targets)

    @verb
    def run_edp(self) -> None:
        """Select priority domains from weighted stakeholder signals (entrepreneurial discovery).

        score_d = w_F F_d + w_U U_d + w_C C_d + w_G G_d + noise, each signal scaled to [0, 1]:
        F = the firms' knowledge, recent innovations and the region's relatedness density
        around d, U = university strength, C = the citizens' needs weighted by participation,
        G = the government's own preference for complex ("high-tech") domains. The weights
        follow the governance model; the citizens' weight shrinks when few take part; the noise
        grows as institutional quality falls.
        """
        steps = self.model.steps
        due = (steps - 1) % self.revision_period[: self.size] == 0
        for region in np.flatnonzero(due):
            spec = self.scenario.regions[region].government
            if steps == 1 and spec.initial_priorities:
                names = self.knowledge_space.names
                chosen = [names.index(name) for name in spec.initial_priorities]
            else:
                chosen = self._discover(int(region))
            self.priorities[region] = False
            self.priorities[region, chosen] = True
            self.edp_rounds[region] += 1

    def _discover(self, region: int) -> np.ndarray:
        params, regions = self.params, self.regions

        def scaled(values: np.ndarray) -> np.ndarray:
            top = values.max()
            return values / top if top > 0 else values

        firm_signal = (
            scaled(regions.firm_knowledge[region])
            + params.edp_innovation_signal * scaled(regions.innovations_by_domain[region])
            + params.edp_relatedness_signal * self.model.region_density[region]
        )
        university_signal = scaled(self.universities.strength_in(region))
        citizen_signal, participation = self.citizens.signal(region)
        government_signal = self.knowledge_space.complexity
        governance = GOVERNANCES[self.governance[region]]
        weights = np.array(params.edp_weights[governance].vector())
        weights[2] *= min(1.0, participation / params.edp_full_participation)
        weights /= weights.sum()
        signals = np.stack(
            [scaled(firm_signal), university_signal, scaled(citizen_signal), government_signal]
        )
        score = weights @ signals
        # The noise scales with the scores' spread; a tiny floor keeps it defined when all equal.
        spread = score.std() + TINY
        noise_scale = params.edp_noise * (1.0 - self.quality[region]) * spread
        score = score + self.rng.normal(0.0, noise_scale, score.shape)
        return np.argsort(-score, kind="stable")[: self.n_priorities[region]]

    @verb
    def allocate_budget(self, targets: PolicyTargets) -> None:
        """Commit a quarter of the annual budget by the mix; absorb what capacity allows.

        absorbed_i = committed_i * (floor + slope q) * min(1, capacity_i / units_i): weak
        administrations lose money to slow procedures, and an instrument cannot spend more than
        its eligible applicants take up. Absorbed money enters the pipeline and takes effect
        after the instrument's delay; the rest is decommitted.
        """
        params = self.instrument_params
        step = self.model.steps
        horizon = self.pipeline.shape[2]
        for region in range(self.size):
            trend = self.regions.market_scale[region] / self.budget_scale[region]
            committed = self.current_shares(region) * self.budget[region] * trend
            committed /= QUARTERS_PER_YEAR
            efficiency = (
                self.params.absorption_floor + self.params.absorption_quality * self.quality[region]
            )
            absorbed = np.zeros(len(INSTRUMENTS))
            for index, name in enumerate(INSTRUMENTS):
                if committed[index] <= 0:
                    continue
                units = self.simulated_units(targets, region, index, committed[index])
                capacity = INSTRUMENT_MECHANISMS[name].capacity(targets, region, params[index])
                uptake = min(1.0, capacity / units) if units > EPSILON else 0.0
                absorbed[index] = committed[index] * efficiency * uptake
                due = (step + params[index].delay) % horizon
                self.pipeline[region, index, due] += absorbed[index]
            self.committed[region] = committed
            self.absorbed[region] = absorbed
            self.committed_total[region] += committed
            self.absorbed_total[region] += absorbed

    @verb
    def deliver_instruments(self, targets: PolicyTargets) -> None:
        """Money whose delay has passed takes effect through each instrument's mechanism.

        No mechanism reads the network, so the links they form are inserted in one batch.
        """
        slot = self.model.steps % self.pipeline.shape[2]
        reach = self._with_own_streams(targets)
        with self.network.batch():
            for region in range(self.size):
                for index, name in enumerate(INSTRUMENTS):
                    amount = self.pipeline[region, index, slot]
                    if amount <= 0:
                        continue
                    self.pipeline[region, index, slot] = 0.0
                    units = self.simulated_units(targets, region, index, amount)
                    INSTRUMENT_MECHANISMS[name].deliver(
                        reach[name], region, units, self.instrument_params[index]
                    )

    def _with_own_streams(self, targets: PolicyTargets) -> dict[str, PolicyTargets]:
        """``targets`` once per instrument, each with the instrument's own random stream, so
        that funding one instrument more does not change the draws of another."""
        cached = self._instrument_targets
        if cached is None or cached[0] is not targets:
            streams = self.model.streams
            reach = {
                name: replace(targets, rng=streams(f"instrument.{name}")) for name in INSTRUMENTS
            }
            self._instrument_targets = cached = (targets, reach)
        return cached[1]

    def simulated_units(
        self, targets: PolicyTargets, region: int, instrument: int, money: float
    ) -> float:
        """Units of ``instrument`` that ``money`` (M€ of the real region) buys, as the simulated
        agents receive them: divided by the firm weight for instruments that reach firms."""
        mechanism = INSTRUMENT_MECHANISMS[INSTRUMENTS[instrument]]
        unit_cost = self.instrument_params[instrument].unit_cost
        return money / unit_cost / simulated_unit(targets.regions, region, mechanism)
