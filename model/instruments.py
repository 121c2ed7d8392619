"""Policy instruments: how absorbed money becomes effects (docs/ODD.md §7.6).

Each instrument states its *capacity* — how many units its eligible applicants in a region can
take up in a quarter, which limits budget absorption — and its *delivery* — the effect of the
units whose delay has passed. Effects depend on the recipients' absorptive capacity and on the
government's institutional quality (targeting accuracy), so one mix works differently in
different regions. Outputs (firms supported, vouchers used, ...) are counted per region.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Protocol

import numpy as np

from smartspec.scenarios.schema import InstrumentParams

if TYPE_CHECKING:
    from .model import EcosystemModel

__all__ = ["INSTRUMENT_MECHANISMS", "Instrument", "OUTPUT_INDICATORS"]

#: The output indicator each instrument reports (counted units delivered).
OUTPUT_INDICATORS = {
    "rd_grants": "firms_supported",
    "innovation_vouchers": "vouchers_used",
    "collaborative_rd": "projects_funded",
    "cluster_support": "cluster_actions",
    "training": "trainees",
    "research_infrastructure": "infrastructure_units",
    "startup_support": "startups_supported",
    "public_procurement": "procurement_contracts",
    "living_labs": "living_labs_run",
    "capacity_building": "capacity_actions",
}


class Instrument(Protocol):
    def capacity(self, model: EcosystemModel, region: int) -> float: ...

    def deliver(
        self, model: EcosystemModel, region: int, units: float, params: InstrumentParams
    ) -> None: ...


def _whole(model: EcosystemModel, units: float) -> int:
    """Stochastic rounding, so that fractional units are delivered at the right average rate."""
    whole = int(units)
    return whole + int(model.rng.random() < units - whole)


def _pick(model: EcosystemModel, pool: np.ndarray, count: int, weights=None) -> np.ndarray:
    if len(pool) == 0 or count <= 0:
        return np.empty(0, dtype=np.int64)
    if weights is None:
        return pool[model.rng.integers(0, len(pool), count)]
    # Draws with replacement, probability proportional to weight: Generator.choice's own
    # inverse-CDF algorithm without its validation overhead.
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64) + 1e-12)
    draws = model.rng.random(count) * cumulative[-1]
    position = np.searchsorted(cumulative, draws, side="right")
    return pool[np.minimum(position, len(pool) - 1)]


@functools.cache
def _pairs(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) among ``count`` members (``np.triu_indices`` is slow to rebuild)."""
    return np.triu_indices(count, 1)


def _record(model: EcosystemModel, name: str, region: int, count: float) -> None:
    model.regions.outputs[OUTPUT_INDICATORS[name]][region] += count


def _priority(model: EcosystemModel, name: str) -> bool:
    """Whether instrument ``name`` is aimed at the priority domains in this scenario."""
    return model.spec.instruments[name].targeting == "priority"


def _targeted_firms(model: EcosystemModel, region: int, params: InstrumentParams) -> np.ndarray:
    return model.regions.eligible_firms(region, priority_only=params.targeting == "priority")


class RDGrants:
    """Grants added to a firm's R&D budget; competitive (weighted by knowledge x capacity).

    Only firms with absorptive capacity above 0.15 can write a fundable proposal. With
    priority targeting, poor administrations mis-target: a share 0.5 (1 - q) of grants goes to
    eligible firms outside the priorities. The grant's knowledge effect is scaled by the
    recipient's absorptive capacity in :meth:`Firms.invest_in_rd`. Output: distinct firms
    supported.
    """

    def _applicants(self, model: EcosystemModel, region: int, priority_only: bool) -> np.ndarray:
        pool = model.regions.eligible_firms(region, priority_only=priority_only)
        return pool[model.firms.absorptive[pool] > 0.15]

    def capacity(self, model: EcosystemModel, region: int) -> float:
        targeted = self._applicants(model, region, _priority(model, "rd_grants"))
        return 0.25 * len(targeted)

    def deliver(self, model, region, units, params) -> None:
        firms = model.firms
        count = _whole(model, units)
        targeted = self._applicants(model, region, params.targeting == "priority")
        leaked = 0
        outside = np.empty(0, dtype=np.int64)
        if params.targeting == "priority":
            everyone = self._applicants(model, region, False)
            # The applicants not in a priority domain (a mask, not a sorting set difference).
            outside = everyone[~model.regions.priority_member(firms)[everyone]]
            if len(outside):
                quality = model.governments.quality[region]
                leaked = model.rng.binomial(count, 0.5 * (1.0 - quality))
        merit = firms.knowledge_total()[targeted] * firms.absorptive[targeted]
        chosen = np.concatenate(
            [_pick(model, targeted, count - leaked, merit), _pick(model, outside, leaked)]
        )
        np.add.at(firms.grant, chosen, params.unit_cost * params.effect)
        _record(model, "rd_grants", region, len(np.unique(chosen)))


class InnovationVouchers:
    """Small firms buy knowledge services from a university: a link and a knowledge boost."""

    def capacity(self, model, region) -> float:
        firms = model.regions.eligible_firms(
            region, priority_only=_priority(model, "innovation_vouchers")
        )
        return 0.05 * int((model.firms.employees[firms] < 50).sum())

    def deliver(self, model, region, units, params) -> None:
        firms = model.firms
        pool = _targeted_firms(model, region, params)
        pool = pool[firms.employees[pool] < 50]
        chosen = np.unique(_pick(model, pool, _whole(model, units)))
        universities = model.regions.universities_in(region)
        if len(universities) and len(chosen):
            partners = _pick(model, universities, len(chosen))
            model.network.add(firms.uid[chosen], model.universities.uid[partners])
        cores = firms.core[chosen]
        firms.knowledge[chosen, cores] += 0.05 * params.effect * firms.absorptive[chosen]
        _record(model, "innovation_vouchers", region, len(chosen))


class CollaborativeRD:
    """Projects of three distinct firms active in one domain (a priority domain, or with
    horizontal targeting the core domain of a random firm) plus a university: all members are
    linked, and each firm gains knowledge in the project's domain. Where fewer than three
    firms are active in the domain, members come from the whole eligible pool."""

    def capacity(self, model, region) -> float:
        priority_only = _priority(model, "collaborative_rd")
        return len(model.regions.eligible_firms(region, priority_only=priority_only)) / 3.0

    def deliver(self, model, region, units, params) -> None:
        firms, rng = model.firms, model.rng
        projects = _whole(model, units)
        pool = _targeted_firms(model, region, params)
        if params.targeting == "priority":
            domains = np.flatnonzero(model.governments.priorities[region])
        else:
            domains = np.unique(firms.core[pool])
        if projects == 0 or len(domains) == 0 or len(pool) == 0:
            return
        universities = model.regions.universities_in(region)
        active_in: dict[int, np.ndarray] = {}
        left, right = [], []
        funded = 0
        for domain in rng.choice(domains, size=projects).tolist():
            if domain not in active_in:
                active_in[domain] = pool[firms.portfolio[pool, domain]]
            active = active_in[domain]
            candidates = active if len(active) >= 3 else pool
            members = rng.choice(candidates, size=min(3, len(candidates)), replace=False)
            ids = firms.uid[members]
            if len(universities):
                ids = np.append(ids, model.universities.uid[_pick(model, universities, 1)])
            # Every pair of members; all projects' links are added in one batch below.
            first, second = _pairs(len(ids))
            left.append(ids[first])
            right.append(ids[second])
            firms.knowledge[members, domain] += 0.15 * params.effect * firms.absorptive[members]
            funded += 1
        if funded:
            model.network.add(np.concatenate(left), np.concatenate(right))
        _record(model, "collaborative_rd", region, funded)


class _TargetedBoost:
    """A decaying per-firm boost bought per unit: ``per_unit`` x units, spread over the
    targeted firms (priority domains or all), raises the region's column of ``boost``."""

    name: str
    boost: str
    per_unit: float
    capacity_share: float

    def capacity(self, model, region) -> float:
        pool = model.regions.eligible_firms(region, _priority(model, self.name))
        return max(1.0, self.capacity_share * len(pool))

    def deliver(self, model, region, units, params) -> None:
        pool = _targeted_firms(model, region, params)
        column = 0 if params.targeting == "priority" else 1
        boost = getattr(model.regions, self.boost)
        boost[region, column] += params.effect * self.per_unit * units / max(1, len(pool))
        _record(model, self.name, region, units)


class ClusterSupport(_TargetedBoost):
    """Cluster management and matchmaking: the targeted firms (priority domains, or all) search
    for partners more often; the boost decays by 15 % a quarter."""

    name, boost, per_unit, capacity_share = "cluster_support", "cluster_boost", 10.0, 0.05


class Training:
    """Training places: each trainee joins the region's skilled workforce (region-wide:
    ``targeting`` has no effect)."""

    def capacity(self, model, region) -> float:
        return 0.005 * model.regions.employment[region]

    def deliver(self, model, region, units, params) -> None:
        added = np.zeros(model.n_regions)
        added[region] = units * params.effect
        model.regions.add_skilled(added)
        _record(model, "training", region, units)


class ResearchInfrastructure:
    """Raises the research-strength target of the region's universities in the targeted
    domains (the priorities, or all domains when horizontal)."""

    def capacity(self, model, region) -> float:
        return 2.0 * len(model.regions.universities_in(region))

    def deliver(self, model, region, units, params) -> None:
        universities = model.regions.universities_in(region)
        if len(universities) == 0:
            return
        if params.targeting == "priority":
            domains = np.flatnonzero(model.governments.priorities[region])
            gain = 0.05
        else:
            domains = np.arange(model.knowledge.size)
            gain = 0.02
        # Additive in money (each unit adds the same to the target): no compounding.
        rows = np.ix_(universities, domains)
        base = model.universities.base[rows]
        model.universities.target[rows] += params.effect * gain * units / len(universities) * base
        _record(model, "research_infrastructure", region, units)


class StartupSupport:
    """Supported start-ups in the targeted domains; founders need skilled people."""

    def capacity(self, model, region) -> float:
        return 0.002 * model.regions.skilled[region]

    def deliver(self, model, region, units, params) -> None:
        count = _whole(model, units)
        if count == 0:
            return
        if params.targeting == "priority":
            domains = np.flatnonzero(model.governments.priorities[region])
        else:
            domains = np.arange(model.knowledge.size)
        cores = model.rng.choice(domains, size=count)
        model.regions.new_firms(region, cores, extra_capital=params.unit_cost * params.effect)
        _record(model, "startup_support", region, count)


class PublicProcurement(_TargetedBoost):
    """Innovation procurement: demand pull that raises the innovation hazard of the targeted
    firms (active in the priority domains, or all); decays by 15 % a quarter."""

    name, boost, per_unit, capacity_share = "public_procurement", "procurement_pull", 5.0, 0.1


class LivingLabs:
    """Co-creation labs joining a citizen group, a university and a firm active in one of the
    group's needs: links between them, a social-innovation boost and a little trust."""

    def capacity(self, model, region) -> float:
        return 0.5 * len(model.regions.citizens_in(region))

    def deliver(self, model, region, units, params) -> None:
        citizens, firms = model.citizens, model.firms
        groups = model.regions.citizens_in(region)
        labs = _whole(model, units)
        if labs == 0 or len(groups) == 0:
            return
        chosen = _pick(model, groups, labs, citizens.participation[groups] + 0.05)
        needs = citizens.needs[chosen]
        if params.targeting == "priority":
            needs = needs * (0.2 + model.governments.priorities[region])
        domains = np.argmax(needs, axis=1)
        pool = model.regions.eligible_firms(region, priority_only=False)
        active_in: dict[int, np.ndarray] = {}
        groups_linked, partners = [], []
        for group, domain in zip(chosen.tolist(), domains.tolist(), strict=True):
            if domain not in active_in:
                active_in[domain] = pool[firms.portfolio[pool, domain]]
            active = active_in[domain]
            partner = _pick(model, active if len(active) else pool, 1)
            if len(partner):
                groups_linked.append(group)
                partners.append(partner[0])
        if partners:
            model.network.add(citizens.uid[groups_linked], firms.uid[partners])
        universities = model.regions.universities_in(region)
        if len(universities):
            model.network.add(
                citizens.uid[chosen],
                model.universities.uid[_pick(model, universities, len(chosen))],
            )
        np.add.at(citizens.lab_boost, chosen, 0.5 * params.effect)
        # Per lab, like the boost: a group drawn for several labs gains trust from each.
        np.add.at(citizens.trust, chosen, 0.01 * params.effect)
        np.minimum(citizens.trust, 1.0, out=citizens.trust)
        _record(model, "living_labs", region, labs)


class CapacityBuilding:
    """Administrative capacity and business advisory: institutional quality rises with
    diminishing returns, and firms' absorptive capacity gets a regional bonus (region-wide:
    ``targeting`` has no effect)."""

    def capacity(self, model, region) -> float:
        return 40.0

    def deliver(self, model, region, units, params) -> None:
        governments = model.governments
        step = params.effect * np.sqrt(units)
        governments.quality[region] += 0.004 * step * (1.0 - governments.quality[region])
        governments.quality[region] = min(governments.quality[region], 1.0)
        bonus = model.regions.capacity_bonus
        bonus[region] = min(0.3, bonus[region] + 0.002 * step)
        _record(model, "capacity_building", region, units)


INSTRUMENT_MECHANISMS: dict[str, Instrument] = {
    "rd_grants": RDGrants(),
    "innovation_vouchers": InnovationVouchers(),
    "collaborative_rd": CollaborativeRD(),
    "cluster_support": ClusterSupport(),
    "training": Training(),
    "research_infrastructure": ResearchInfrastructure(),
    "startup_support": StartupSupport(),
    "public_procurement": PublicProcurement(),
    "living_labs": LivingLabs(),
    "capacity_building": CapacityBuilding(),
}
