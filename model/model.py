"""The SmartSpec ecosystem model: a Mesa model of one or more regional innovation systems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from smartspec.scenarios import Scenario, load_scenario, revise_scenario
from smartspec.scenarios.schema import INSTRUMENTS

from .citizen import CitizenGroup, CitizenGroups
from .firm import FIRM, Firm, Firms
from .government import Government, Governments
from .indicators import DOMAIN_COLUMNS, MODEL_REPORTERS, REGION_COLUMNS, region_indicators
from .knowledge import KnowledgeSpace
from .network import CollaborationNetwork
from .peer_review import hold_round
from .population import NodeRegistry
from .region import RegionState
from .university import UNIVERSITY, Universities, University
from .vector import choose_per_row, sum_runs

__all__ = ["EcosystemModel"]


class EcosystemModel(mesa.Model):
    """Firms, universities, governments and citizen groups in one or more regions.

    Parameters
    ----------
    scenario
        A validated :class:`~smartspec.scenarios.Scenario`, a bundled scenario name or a TOML
        path. Default: the bundled ``emerging`` region.
    rng
        Seed or generator; every random draw of the model goes through ``self.rng``.
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

    #: Rounds of network formation before the first quarter (see ``_create_agents``).
    WARMUP_ROUNDS = 40

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
        super().__init__(rng=rng)
        # Mesa's Model owns ``self.scenario`` (a Mesa Scenario holding the seed); ours is ``spec``.
        self.spec: Scenario = scenario
        self.knowledge = KnowledgeSpace.from_spec(scenario.knowledge)
        self.n_regions = len(scenario.regions)
        self.instrument_params = [scenario.instruments[name] for name in INSTRUMENTS]
        horizon = max(params.delay for params in self.instrument_params) + 1

        self.nodes = NodeRegistry()
        self.network = CollaborationNetwork()
        domains = self.knowledge.size
        self.firms = Firms(self, domains, capacity=sum(r.firms for r in scenario.regions) * 2)
        self.universities = Universities(self, domains)
        self.governments = Governments(self, domains, dims={"I": len(INSTRUMENTS), "H": horizon})
        self.citizens = CitizenGroups(self, domains)
        self.regions = RegionState(self)

        self._degree_cache: tuple[tuple[int, int], np.ndarray] | None = None
        self._links_cache: tuple[tuple[int, int, int], dict[str, np.ndarray]] | None = None
        self._buffers: dict[str, np.ndarray] = {}
        self._create_agents()
        self.datacollector = mesa.DataCollector(
            model_reporters=MODEL_REPORTERS, tables={"regions": REGION_COLUMNS}
        )
        self.latest: list[dict[str, Any]] = []
        self._domain_history: list[tuple[int, dict[str, np.ndarray]]] = []
        self.peer_reviews: list[dict[str, Any]] = []
        self._collect()

    # ------------------------------------------------------------ initialisation
    def _create_agents(self) -> None:
        rng = self.rng
        for index, spec in enumerate(self.spec.regions):
            if spec.specialised_domains:
                specialised = np.array(
                    [self.knowledge.names.index(d) for d in spec.specialised_domains]
                )
            else:
                seed_domain = int(rng.integers(self.knowledge.size))
                specialised = self.knowledge.related_cluster(seed_domain, spec.specialisations)
            # The other firms spread over all domains, more often near the specialisations:
            # a regional economy is coherent, not a random draw of activities.
            nearness = self.knowledge.proximity[specialised].mean(axis=0) + 0.1
            concentrated = rng.random(spec.firms) < spec.concentration
            cores = np.where(
                concentrated,
                rng.choice(specialised, size=spec.firms),
                rng.choice(self.knowledge.size, size=spec.firms, p=nearness / nearness.sum()),
            )
            # Pareto (Zipf-like) sizes with the scenario's mean (Axtell 2001).
            alpha = 1.3
            minimum = spec.mean_firm_size * (alpha - 1.0) / alpha
            employees = np.round(minimum * rng.random(spec.firms) ** (-1 / alpha))
            employees = np.maximum(1.0, employees)
            level = spec.knowledge_level * rng.lognormal(-0.125, 0.5, spec.firms)
            slots = self.firms.found(index, spec.firms, cores, level, employees)
            large = slots[employees >= 20]
            if len(large):
                second = self._related_domains(self.firms.core[large])
                self.firms.portfolio[large, second] = True
                self.firms.knowledge[large, second] = 0.5 * level[employees >= 20]
            self.universities.found(index, spec.universities, specialised)
            self.citizens.found(index, spec.citizen_groups)
            self.regions.skilled[index] = spec.human_capital * employees.sum()
            self.regions.initial_employment[index] = employees.sum()
        self.governments.found_all()
        self.regions.begin_step()
        # Warm-up: partner search, university outreach and link dissolution run (nothing
        # else does) until the network is close to its steady state, so that indicators do
        # not open with a build-up of links that no policy caused.
        for _ in range(self.WARMUP_ROUNDS):
            self.firms.prepare()
            self.firms.seek_partners()
            self.universities.transfer_knowledge()
            self.network.dissolve(self.rng, self.spec.firm.link_decay)
        self.firms.prepare()
        self.firms.seed_innovation_history()
        self.firms.age[: self.firms.size] = 0

    def _related_domains(self, cores: np.ndarray) -> np.ndarray:
        return choose_per_row(self.rng, self.knowledge.off_diagonal[cores] ** 2)

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        """One quarter: policy, research, firms, citizens, then network turnover and data.

        ``running`` turns False at the scenario's horizon (``steps``), so that Mesa's
        ``batch_run`` and visualisation stop there; ``step`` and ``run_for`` still advance.
        """
        self.regions.begin_step()
        self.governments.step()
        settings = self.spec.peer_review
        if settings.enabled and self.n_regions > 1 and self.steps % settings.period == 0:
            hold_round(self)
        self.universities.step()
        self.firms.step()
        self.citizens.step()
        self.regions.end_step()
        self.network.dissolve(self.rng, self.spec.firm.link_decay)
        self.network.drop_dead(self.nodes.alive)
        self._collect()
        self.running = self.steps < self.spec.steps

    def _collect(self) -> None:
        self.latest = region_indicators(self)
        for row in self.latest:
            self.datacollector.add_table_row("regions", row)
        self.datacollector.collect(self)
        self._domain_history.append((self.steps, self.regions.domain_snapshot))

    # ------------------------------------------------------------------ results
    def refresh(self) -> None:
        """Call after editing agent state by hand between steps (a shock, a what-if): the
        next step then recomputes the regional aggregates instead of reusing those taken by
        the last data collection."""
        self.regions.forget_collected()

    def indicators(self) -> pd.DataFrame:
        """Tidy indicator table: one row per region and step (step 0 = initial state)."""
        return self.datacollector.get_table_dataframe("regions")

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
            for column in DOMAIN_COLUMNS[3:]:
                values = np.asarray(snapshot[column])
                if values.ndim == 1:
                    values = np.tile(values, count)
                frame[column] = values.reshape(-1)
            frames.append(pd.DataFrame(frame))
        return pd.concat(frames, ignore_index=True)

    # --------------------------------------------------------- network helpers
    def node_degree(self) -> np.ndarray:
        """Links per node id (all partner types), cached until the network changes."""
        key = (self.network.version, self.nodes.capacity)
        if self._degree_cache is None or self._degree_cache[0] != key:
            self._degree_cache = (key, self.network.degree(self.nodes.capacity))
        return self._degree_cache[1]

    def firm_degree(self) -> np.ndarray:
        firms = self.firms
        return self.node_degree()[firms.uid[: firms.size]] * firms.alive[: firms.size]

    def firm_links(self) -> dict[str, np.ndarray]:
        """The links of firms as slot pairs, cached until the network or any slot changes.

        ``partner_source`` / ``partner_target``: firm-firm links in both directions, sorted by
        source slot, with ``partner_count`` (firm partners per firm slot) and ``partner_start``
        (position of each slot's first partner); ``university_firm`` / ``university``: the
        firm and university slots of firm-university links.
        """
        key = (self.network.version, self.nodes.epoch, self.firms.size)
        if self._links_cache is None or self._links_cache[0] != key:
            source, target = self.network.directed()
            kind, slot = self.nodes.kind, self.nodes.slot
            from_firm = kind[source] == FIRM
            target_kind = kind[target]
            firm_pairs = from_firm & (target_kind == FIRM)
            university_pairs = from_firm & (target_kind == UNIVERSITY)
            partner_source = slot[source[firm_pairs]]
            partner_target = slot[target[firm_pairs]]
            if np.any(partner_source[1:] < partner_source[:-1]):
                order = np.argsort(partner_source, kind="stable")
                partner_source, partner_target = partner_source[order], partner_target[order]
            partner_count = np.bincount(partner_source, minlength=self.firms.size)
            links = {
                "partner_source": partner_source,
                "partner_target": partner_target,
                "partner_count": partner_count,
                "partner_start": np.cumsum(partner_count) - partner_count,
                "university_firm": slot[source[university_pairs]],
                "university": slot[target[university_pairs]],
            }
            self._links_cache = (key, links)
        return self._links_cache[1]

    def buffer(self, name: str, rows: int, width: int, dtype: type = np.float32) -> np.ndarray:
        """A reusable (rows x width) work array for per-link passes (see ``Population.scratch``
        for why); grows by doubling."""
        buffer = self._buffers.get(name)
        unfit = buffer is None or buffer.shape[1] != width or buffer.dtype != dtype
        if unfit or len(buffer) < rows:
            capacity = max(rows, 2 * len(buffer) if buffer is not None else 1024)
            buffer = np.empty((capacity, width), dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:rows]

    def knowledge_from_links(
        self, knowledge: np.ndarray, partner_weight: float, university_weight: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Weighted knowledge gaps of firms towards their firm partners and partner universities.

        gain[f] = partner_weight * sum_{firm partners p} max(k_p - k_f, 0)
                  + university_weight * sum_{universities u} transfer_u * max(s_u - k_f, 0)

        Returns ``(partner_rows, partner_gains, university_rows, university_gains)``: the firm
        slots with such links and their gains (one row per slot), so that no (firms x domains)
        array of zeros is built. Both kinds of link go through one gap buffer.
        """
        links = self.firm_links()
        me, partner = links["partner_source"], links["partner_target"]
        my_university, university = links["university_firm"], links["university"]
        firm_pairs, width = len(me), knowledge.shape[1]
        gap = self.buffer("link_gap", firm_pairs + len(university), width)
        partner_gap, university_gap = gap[:firm_pairs], gap[firm_pairs:]
        # mode="clip" (indices are valid anyway): with the default mode NumPy buffers ``out``.
        np.take(knowledge, partner, axis=0, out=partner_gap, mode="clip")
        own = self.buffer("own", firm_pairs, width)
        partner_gap -= np.take(knowledge, me, axis=0, out=own, mode="clip")
        university_gap[:] = self.universities.strength[university]
        university_gap -= knowledge[my_university]
        np.maximum(gap, 0.0, out=gap)
        partner_gap *= np.float32(partner_weight)
        weight = university_weight * self.universities.transfer[university]
        university_gap *= weight.astype(np.float32)[:, None]
        return (*sum_runs(me, partner_gap), *sum_runs(my_university, university_gap))

    def sample_firms(self, regions: np.ndarray, preferential: bool = False) -> np.ndarray:
        """One live firm per entry of ``regions`` (uniformly, or by degree + 1); -1 if none."""
        order, starts, counts = self.regions._firm_index()
        regions = np.asarray(regions, dtype=np.int64)
        draws = self.rng.random(len(regions))
        result = np.full(len(regions), -1, dtype=np.int64)
        has = counts[regions] > 0
        if not preferential:
            offset = np.floor(draws * counts[regions]).astype(np.int64)
            result[has] = order[(starts[regions] + offset)[has]]
            return result
        cumulative = self.regions.attachment_weights()
        edges = np.concatenate([[0.0], cumulative])
        before = edges[starts]
        total = edges[starts + counts] - before
        target = before[regions] + draws * total[regions]
        # Binary searches for sorted targets walk the same path: much faster than random order.
        by_target = np.argsort(target)
        position = np.empty(len(target), dtype=np.int64)
        position[by_target] = np.searchsorted(cumulative, target[by_target], side="right")
        position = np.minimum(position, np.maximum(starts[regions] + counts[regions] - 1, 0))
        result[has] = order[position[has]]
        return result

    def draw_partner_candidates(self, seekers: np.ndarray, per_seeker: int) -> np.ndarray:
        """Candidate partner firms (seekers x per_seeker slots, -1 where none)."""
        rng, params, firms = self.rng, self.spec.firm, self.firms
        shape = (len(seekers), per_seeker)
        home = np.repeat(firms.region[seekers], per_seeker)
        destination = home.copy()
        if self.n_regions > 1:
            settings = self.spec.interregional
            reach = np.exp(-self.regions.distance / settings.distance_decay)
            np.fill_diagonal(reach, 0.0)
            abroad = settings.openness * reach.sum(axis=1) / (self.n_regions - 1)
            going = rng.random(len(home)) < abroad[home]
            if going.any():
                destination[going] = choose_per_row(rng, reach[home[going]])
        kind = rng.random(len(home))
        candidates = np.empty(len(home), dtype=np.int64)
        uniform = kind < 0.5
        candidates[uniform] = self.sample_firms(destination[uniform], preferential=False)
        candidates[~uniform] = self.sample_firms(destination[~uniform], preferential=True)
        # Triadic closure: a random partner of a random firm partner.
        links = self.firm_links()
        dst = links["partner_target"]
        firm_links, start = links["partner_count"], links["partner_start"]
        seeker_rows = np.repeat(seekers, per_seeker)
        closing = (kind >= 1.0 - params.triadic_share) & (firm_links[seeker_rows] > 0)
        if closing.any():
            rows = seeker_rows[closing]
            first = dst[start[rows] + (rng.random(len(rows)) * firm_links[rows]).astype(np.int64)]
            second = dst[
                start[first] + (rng.random(len(first)) * firm_links[first]).astype(np.int64)
            ]
            candidates[closing] = second
        return candidates.reshape(shape)


# Agent classes re-exported for ``model.agents_by_type[Firm]`` and friends.
AGENT_TYPES = (Firm, University, Government, CitizenGroup)
