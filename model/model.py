"""The SmartSpec ecosystem model: a Mesa model of one or more regional innovation systems.

It builds the agent populations from a scenario and schedules their verbs; it holds no
behaviour of its own. Imports point one way: this module → the populations (``firm``,
``university``, ``government``, ``citizen``, ``instruments``, ``peer_review``) and
measurement (``measure``) → the kernels (``vector``, ``network``, ``metrics``, ``knowledge``,
``population``, ``portfolio``, ``partnering``, ``region``) → the scenario schema.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from smartspec.scenarios import Scenario, load_scenario, revise_scenario

from .base import NEVER
from .citizen import CitizenGroup, CitizenGroups
from .firm import Firm, Firms
from .footprint import check_fits_in_memory
from .government import Government, Governments
from .indicators import (
    DOMAIN_COLUMNS,
    MODEL_REPORTER_INDICATORS,
    OUTPUT_INDICATORS,
    REGION_COLUMNS,
    indicator,
)
from .instruments import PolicyTargets
from .knowledge import KnowledgeSpace
from .measure import Measurement, measure
from .network import CollaborationNetwork
from .peer_review import hold_round
from .population import NodeRegistry
from .region import RegionState
from .streams import Streams
from .university import Universities, University

__all__ = ["AGENT_TYPES", "MODEL_REPORTERS", "EcosystemModel"]

#: Firm rows allocated at the start, per initial firm (entrants fill them before regrowth).
_FIRM_ROWS_PER_FIRM = 2


class EcosystemModel(mesa.Model):
    """Firms, universities, governments and citizen groups in one or more regions.

    Parameters
    ----------
    scenario
        A validated :class:`~smartspec.scenarios.Scenario`, a bundled scenario name or a TOML
        path. Default: the bundled ``emerging`` region.
    rng
        Seed or generator; every random draw of the model comes from a named child of
        ``self.rng`` (``self.streams``: one per verb, founding, instrument and turnover).
    mix
        Name of a bundled policy mix replacing the scenario's (convenient for ``batch_run``).
    **overrides
        Dotted scenario fields, e.g. ``EcosystemModel("emerging", rng=1, steps=20)`` or
        ``**{"regions.0.firms": 500}``; with ``mesa.batch_run`` pass them as parameters.

    Notes
    -----
    One step is a quarter. Agent state lives in NumPy arrays (``self.firms``,
    ``self.universities``, ``self.governments``, ``self.citizens``) behind the Mesa agents, and
    every verb runs vectorised over a whole agent type. ``self.datacollector`` records the
    model-level reporters and a ``"regions"`` table with one row per region and step; the
    same rows are returned by :meth:`indicators`.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: Any = None,
        mix: str | None = None,
        **overrides: Any,
    ) -> None:
        if scenario is None or isinstance(scenario, str | Path):
            scenario = load_scenario(scenario or "emerging", mix=mix, overrides=overrides)
        elif mix is not None or overrides:
            scenario = revise_scenario(scenario, mix, overrides)
        check_fits_in_memory(scenario, scenario.name)
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
            # Mesa accepts Python ints only; EMA Workbench and NumPy code pass np.int64 seeds.
            rng = int(rng)
        super().__init__(rng=rng)
        #: Named child generators of ``self.rng``: each verb, founding, instrument and the
        #: network turnover draws from its own (model/streams.py).
        self.streams = Streams.from_generator(self.rng)
        # Mesa's Model owns ``self.scenario`` (a Mesa Scenario holding the seed); ours is ``spec``.
        self.spec: Scenario = scenario
        self.knowledge = KnowledgeSpace.from_spec(scenario.knowledge)
        self.n_regions = len(scenario.regions)
        domains = self.knowledge.size

        self.nodes = NodeRegistry()
        self.network = CollaborationNetwork()
        self.regions = RegionState(scenario, domains, list(OUTPUT_INDICATORS.values()))
        self.universities = Universities(
            self,
            self.nodes,
            domains=domains,
            regions=self.regions,
            network=self.network,
            params=scenario.university,
        )
        self.citizens = CitizenGroups(
            self,
            self.nodes,
            domains=domains,
            regions=self.regions,
            network=self.network,
            params=scenario.citizens,
        )
        self.governments = Governments(
            self,
            self.nodes,
            scenario=scenario,
            knowledge=self.knowledge,
            regions=self.regions,
            universities=self.universities,
            citizens=self.citizens,
            network=self.network,
        )
        self.firms = Firms(
            self,
            self.nodes,
            knowledge=self.knowledge,
            regions=self.regions,
            network=self.network,
            universities=self.universities,
            policy=self.governments,
            params=scenario.firm,
            interregional=scenario.interregional,
            capacity=sum(region.firms for region in scenario.regions) * _FIRM_ROWS_PER_FIRM,
        )
        self.policy_targets = PolicyTargets(
            firms=self.firms,
            universities=self.universities,
            citizens=self.citizens,
            regions=self.regions,
            network=self.network,
            policy=self.governments,
            rng=self.streams("instruments"),
        )
        self.latest: list[dict[str, Any]] = []
        self.peer_reviews: list[dict[str, Any]] = []
        self._measurement: Measurement | None = None
        self._sums_valid = False
        self._domain_history: list[tuple[int, dict[str, np.ndarray]]] = []
        #: Quarters simulated since the drawn state, burn-in included (never reset).
        self.elapsed = 0
        self._create_agents()
        self._burn_in()
        # The region rows behind indicators() are the model's own, so that a user who replaces
        # self.datacollector with a collector of their own (the usual Mesa pattern) keeps
        # both their collector and the model's results working.
        self._region_table: dict[str, list[Any]] = {column: [] for column in REGION_COLUMNS}
        self.datacollector = mesa.DataCollector(
            model_reporters=MODEL_REPORTERS, tables={"regions": REGION_COLUMNS}
        )
        self._collect()

    # ------------------------------------------------------------ initialisation
    def _create_agents(self) -> None:
        """Found every region's firms, universities and citizen groups, then the governments;
        run the network warm-up and give the firms an innovation history (docs/ODD.md §5)."""
        rng, initial = self.streams("specialisations"), self.spec.initial
        for index, spec in enumerate(self.spec.regions):
            if spec.specialised_domains:
                names = self.knowledge.names
                specialised = np.array([names.index(domain) for domain in spec.specialised_domains])
            elif initial.domain_layout == "unrelated":
                # At most every domain, as related_cluster takes at most all of them.
                count = min(spec.specialisations, self.knowledge.size)
                specialised = np.sort(rng.choice(self.knowledge.size, count, replace=False))
            else:
                seed_domain = int(rng.integers(self.knowledge.size))
                specialised = self.knowledge.related_cluster(seed_domain, spec.specialisations)
            employees = self.firms.populate(index, spec, specialised, initial)
            self.universities.found(index, spec, specialised)
            self.citizens.found(index, spec)
            self.regions.skilled[index] = spec.human_capital * employees.sum()
            self.regions.initial_employment[index] = employees.sum()
        self.governments.found_all()
        self.begin_step()
        # Warm-up: partner search, university outreach and link dissolution run (nothing
        # else does) until the network is close to its steady state, so that indicators do
        # not open with a build-up of links that no policy caused.
        for _ in range(initial.warmup_rounds):
            self.firms.seek_partners(self.firms.prepare())
            self.universities.transfer_knowledge(self.firms)
            self.network.dissolve(self.streams("network"), self.spec.firm.link_decay)
        self.firms.seed_innovation_history(self.firms.prepare())
        self.firms.age[: self.firms.size] = 0

    def _burn_in(self) -> None:
        """Run ``initial.burn_in`` quarters under the burn-in mix before quarter 0, so the run
        starts from the state the dynamics reach rather than the drawn one (docs/ODD.md §5).
        The budgets are then fixed in euros from the GDP of the last burn-in quarter, the
        clock restarts at 0 and cumulative counts start afresh."""
        firms = self.firms
        base_revenue = firms.per_region(firms.employees[: firms.size]) * self.regions.productivity
        self.governments.fix_budgets(self.regions.gdp(base_revenue))
        burn_in = self.spec.initial.burn_in
        if burn_in == 0:
            return
        self.governments.begin_burn_in()
        for _ in range(burn_in):
            self._advance(record=False)
        gdp = np.array([row["gdp"] for row in self.latest])
        self.governments.fix_budgets(gdp)
        self.governments.start_quarter_zero()
        last = firms.last_innovation[: firms.size]
        last[last != NEVER] -= self.steps
        self.regions.social_innovations_total[:] = 0
        self.peer_reviews.clear()
        self._domain_history.clear()
        self.steps = 0
        self.running = True

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        """One quarter: policy, research, firms, citizens, then network turnover and data.

        ``running`` turns False at the scenario's horizon (``steps``), so that Mesa's
        ``batch_run`` and visualisation stop there; ``step`` and ``run_for`` still advance.
        """
        self._advance(record=True)

    def _advance(self, record: bool) -> None:
        """The quarter of :meth:`step`; ``record=False`` during the burn-in, which measures
        (the verbs read the measured sums) but records nothing."""
        if not record:
            self.steps += 1  # Mesa's step wrapper does this for step()
        self.elapsed += 1
        self.begin_step()
        self.governments.step(self.policy_targets)
        settings = self.spec.peer_review
        # No review rounds in the burn-in: they would move the compared mixes' own shares
        # before quarter 0, while the burn-in mix is in force.
        if record and settings.enabled and self.n_regions > 1 and self.steps % settings.period == 0:
            rng = self.streams("peer review")
            reviews = hold_round(
                self.governments, self.latest, self.regions.names, settings, rng, self.steps
            )
            self.peer_reviews.extend(reviews)
        self.universities.step(self.firms)
        self.firms.step()
        self.citizens.step(self.governments)
        employment = self.firms.per_region(self.firms.employees[: self.firms.size])
        self.regions.end_step(employment, *self.firms.innovations_this_step(), grow_market=record)
        self.network.dissolve(self.streams("network"), self.spec.firm.link_decay)
        self.network.drop_dead(self.nodes.alive)
        self._collect(record)
        self.running = self.steps < self.spec.steps

    def begin_step(self) -> None:
        """What :meth:`step` does first: zero the step's counters and set the regional sums
        the verbs read: those of the last measurement when no agent changed since (the usual
        case), otherwise (after :meth:`refresh`) recomputed from the agents. Call it, after
        ``refresh()``, to run single verbs by hand on state set up for a test."""
        last = self._measurement
        reuse = (
            self._sums_valid
            and last is not None
            and (last.step, last.firm_rows) == (self.steps - 1, self.firms.size)
        )
        self._sums_valid = False
        self.regions.begin_step(last.sums if reuse else self.firms.regional_sums())
        self.firms.directory.invalidate()

    def _collect(self, record: bool = True) -> None:
        previous = self._measurement.specialised if self._measurement is not None else None
        self._measurement = measure(self, previous)
        self._sums_valid = True
        self.latest = self._measurement.rows
        if not record:
            return
        mesa_table = "regions" in getattr(self.datacollector, "tables", {})
        for row in self.latest:
            for column, values in self._region_table.items():
                values.append(row[column])
            if mesa_table:
                self.datacollector.add_table_row("regions", row)
        self.datacollector.collect(self)
        self._domain_history.append((self.steps, self._measurement.domains))

    # ------------------------------------------------------------------ results
    def refresh(self) -> None:
        """Call after editing agent state by hand between steps (a shock, a what-if): the
        next step then recomputes the regional aggregates instead of reusing those taken by
        the last data collection."""
        self._sums_valid = False

    @property
    def region_density(self) -> np.ndarray:
        """Relatedness density of each region's specialisations around each domain (regions x
        domains) as of the last measurement, recorded or not; zeros before the first one."""
        if self._measurement is None:
            return np.zeros((self.n_regions, self.knowledge.size))
        return self._measurement.domains["density"]

    @property
    def domain_snapshot(self) -> dict[str, np.ndarray]:
        """The region x domain arrays of the last measurement (see :meth:`domains`)."""
        return self._domain_history[-1][1]

    def indicators(self) -> pd.DataFrame:
        """Tidy indicator table: one row per region and step (step 0 = initial state)."""
        return pd.DataFrame(self._region_table)

    def domains(self) -> pd.DataFrame:
        """Tidy region x domain table: one row per region, domain and step, with the
        knowledge stock, running innovation count, employment (firms' core domains), RCA,
        specialisation (RCA >= 1), relatedness density, priority flag and domain complexity
        (PCI, several regions only).
        Kept as arrays during the run and built here, not row by row."""
        names = np.array(self.knowledge.names)
        regions = np.array(self.regions.names)
        count, domains = self.n_regions, self.knowledge.size
        frames = []
        for step, snapshot in self._domain_history:
            frame = {
                "step": np.full(count * domains, step),
                "region": np.repeat(regions, domains),
                "domain": np.tile(names, count),
            }
            for column in DOMAIN_COLUMNS:
                if column in frame:
                    continue
                values = np.asarray(snapshot[column])
                if values.ndim == 1:
                    values = np.tile(values, count)
                frame[column] = values.reshape(-1)
            frames.append(pd.DataFrame(frame))
        return pd.concat(frames, ignore_index=True)


def _reporter(name: str) -> Callable[[EcosystemModel], float]:
    """A model-level reporter: the indicator over all regions, summed or weighted by
    employment as the registry says."""
    if indicator(name).across_regions == "sum":

        def reporter(model: EcosystemModel) -> float:
            return float(sum(row[name] for row in model.latest))

    else:

        def reporter(model: EcosystemModel) -> float:
            # Plain Python: a handful of regions, where NumPy's per-call overhead dominates.
            total = sum(row["employment"] for row in model.latest)
            if total <= 0:
                return 0.0
            return sum(row["employment"] * row[name] for row in model.latest) / total

    reporter.__name__ = f"all_regions_{name}"
    return reporter


#: Model-level reporters (all regions together) for Mesa's DataCollector and batch_run.
MODEL_REPORTERS = {name: _reporter(name) for name in MODEL_REPORTER_INDICATORS}

#: Agent classes, for ``model.agents_by_type[Firm]`` and friends.
AGENT_TYPES = (Firm, University, Government, CitizenGroup)
