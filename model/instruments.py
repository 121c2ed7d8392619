"""Policy instruments: how absorbed money becomes effects (docs/ODD.md §7.6).

Each instrument states its *capacity* — how many units its eligible applicants in a region can
take up in a quarter, which limits budget absorption — and its *delivery* — the effect of the
units whose delay has passed. Effects depend on the recipients' absorptive capacity and on the
government's institutional quality (targeting accuracy), so one mix works differently in
different regions. Outputs (firms supported, vouchers used, ...) are counted per region under
the names the indicator registry gives them. Every coefficient is a field of the instrument's
``[instruments.NAME]`` table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from smartspec.scenarios.instruments import (
    CapacityBuildingParams,
    CollaborativeRDParams,
    InnovationVouchersParams,
    InstrumentParams,
    LivingLabsParams,
    RDGrantsParams,
    ResearchInfrastructureParams,
    StartupSupportParams,
    TargetedBoostParams,
    TrainingParams,
)

from .base import EPSILON, Policy
from .citizen import CitizenGroups
from .firm import Firms
from .indicators import OUTPUT_INDICATORS
from .network import CollaborationNetwork
from .region import RegionState
from .university import Universities

__all__ = ["INSTRUMENT_MECHANISMS", "Instrument", "PolicyTargets", "simulated_unit"]


@dataclass(frozen=True)
class PolicyTargets:
    """Everything instruments reach: the agent populations, region state, the network, the
    governments' policy state and the model's generator."""

    firms: Firms
    universities: Universities
    citizens: CitizenGroups
    regions: RegionState
    network: CollaborationNetwork
    policy: Policy
    rng: np.random.Generator


class Instrument(Protocol):
    #: Whether the instrument's units go to firms (grants, vouchers, trainees, ...): bought
    #: with the real region's money, they are spread over the firms simulated, one simulated
    #: unit per ``firm_weight`` real ones; units for universities, citizens or the
    #: administration are not scaled.
    reaches_firms: bool

    def capacity(self, targets: PolicyTargets, region: int, params: InstrumentParams) -> float: ...

    def deliver(
        self, targets: PolicyTargets, region: int, units: float, params: InstrumentParams
    ) -> None: ...


def _whole(rng: np.random.Generator, units: float) -> int:
    """Stochastic rounding, so that fractional units are delivered at the right average rate."""
    whole = int(units)
    return whole + int(rng.random() < units - whole)


def _pick(rng: np.random.Generator, pool: np.ndarray, count: int, weights=None) -> np.ndarray:
    if len(pool) == 0 or count <= 0:
        return np.empty(0, dtype=np.int64)
    if weights is None:
        return pool[rng.integers(0, len(pool), count)]
    # Draws with replacement, probability proportional to weight: Generator.choice's own
    # inverse-CDF algorithm without its validation overhead.
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64) + EPSILON)
    draws = rng.random(count) * cumulative[-1]
    position = np.searchsorted(cumulative, draws, side="right")
    return pool[np.minimum(position, len(pool) - 1)]


@functools.cache
def _pairs(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) among ``count`` members (``np.triu_indices`` is slow to rebuild)."""
    return np.triu_indices(count, 1)


def _record(targets: PolicyTargets, name: str, region: int, count: float) -> None:
    """Count an output in the real region's units (simulated units x firm weight)."""
    weight = simulated_unit(targets.regions, region, INSTRUMENT_MECHANISMS[name])
    targets.regions.outputs[OUTPUT_INDICATORS[name]][region] += count * weight


def simulated_unit(regions: RegionState, region: int, mechanism: Instrument) -> float:
    """Real units one simulated unit stands for: the firm weight for instruments that reach
    firms, one otherwise."""
    return float(regions.firm_weight[region]) if mechanism.reaches_firms else 1.0


def _targeted_firms(targets: PolicyTargets, region: int, params: InstrumentParams) -> np.ndarray:
    return targets.firms.directory.eligible(region, priority_only=params.targeting == "priority")


def _domains(targets: PolicyTargets, region: int, params: InstrumentParams) -> np.ndarray:
    """The priority domains with priority targeting, every domain otherwise."""
    if params.targeting == "priority":
        return np.flatnonzero(targets.policy.priorities[region])
    return np.arange(targets.firms.domains)


class RDGrants:
    """Grants added to a firm's R&D budget; competitive (weighted by knowledge x capacity).

    Only firms above a minimum absorptive capacity can write a fundable proposal. With
    priority targeting, poor administrations mis-target: a share misallocation x (1 - q) of
    grants goes to eligible firms outside the priorities. The grant's knowledge effect is
    scaled by the recipient's absorptive capacity in ``Firms.invest_in_rd``. Output: distinct
    firms supported.
    """

    reaches_firms = True

    def _applicants(
        self, targets: PolicyTargets, region: int, priority_only: bool, params: RDGrantsParams
    ) -> np.ndarray:
        directory = targets.firms.directory
        return directory.capable(region, priority_only, params.min_absorptive_capacity)

    def capacity(self, targets, region, params: RDGrantsParams) -> float:
        applicants = self._applicants(targets, region, params.targeting == "priority", params)
        return params.grants_per_applicant * len(applicants)

    def deliver(self, targets, region, units, params: RDGrantsParams) -> None:
        firms, rng = targets.firms, targets.rng
        count = _whole(rng, units)
        applicants = self._applicants(targets, region, params.targeting == "priority", params)
        leaked = 0
        outside = np.empty(0, dtype=np.int64)
        if params.targeting == "priority":
            everyone = self._applicants(targets, region, False, params)
            # The applicants not in a priority domain (a mask, not a sorting set difference).
            outside = everyone[~firms.directory.priority_member()[everyone]]
            if len(outside):
                quality = targets.policy.quality[region]
                leaked = rng.binomial(count, params.misallocation * (1.0 - quality))
        merit = firms.knowledge_total(applicants) * firms.absorptive[applicants]
        chosen = np.concatenate(
            [_pick(rng, applicants, count - leaked, merit), _pick(rng, outside, leaked)]
        )
        np.add.at(firms.grant, chosen, params.unit_cost * params.effect)
        _record(targets, "rd_grants", region, len(np.unique(chosen)))


class InnovationVouchers:
    """Small firms buy knowledge services from a university: a link and a knowledge boost."""

    reaches_firms = True

    def capacity(self, targets, region, params: InnovationVouchersParams) -> float:
        firms = _targeted_firms(targets, region, params)
        small = int((targets.firms.employees[firms] < params.max_employees).sum())
        return params.vouchers_per_firm * small

    def deliver(self, targets, region, units, params: InnovationVouchersParams) -> None:
        firms, rng = targets.firms, targets.rng
        pool = _targeted_firms(targets, region, params)
        pool = pool[firms.employees[pool] < params.max_employees]
        chosen = np.unique(_pick(rng, pool, _whole(rng, units)))
        universities = targets.universities.in_region(region)
        if len(universities) and len(chosen):
            partners = _pick(rng, universities, len(chosen))
            targets.network.add(firms.uid[chosen], targets.universities.uid[partners])
        cores = firms.core[chosen]
        gain = params.knowledge_gain * params.effect
        firms.knowledge[chosen, cores] += gain * firms.absorptive[chosen]
        _record(targets, "innovation_vouchers", region, len(chosen))


class CollaborativeRD:
    """Projects of distinct firms active in one domain (a priority domain, or with horizontal
    targeting one of the eligible firms' distinct core domains, drawn uniformly) plus a
    university: all members are linked,
    and each firm gains knowledge in the project's domain. Where too few firms are active in
    the domain, members come from the whole eligible pool."""

    reaches_firms = True

    def capacity(self, targets, region, params: CollaborativeRDParams) -> float:
        return len(_targeted_firms(targets, region, params)) / params.firms_per_project

    def deliver(self, targets, region, units, params: CollaborativeRDParams) -> None:
        firms, rng = targets.firms, targets.rng
        projects = _whole(rng, units)
        pool = _targeted_firms(targets, region, params)
        if params.targeting == "priority":
            domains = np.flatnonzero(targets.policy.priorities[region])
        else:
            domains = np.unique(firms.core[pool])
        if projects == 0 or len(domains) == 0 or len(pool) == 0:
            return
        size = params.firms_per_project
        universities = targets.universities.in_region(region)
        active_in: dict[int, np.ndarray] = {}
        left, right = [], []
        funded = 0
        for domain in rng.choice(domains, size=projects).tolist():
            if domain not in active_in:
                active_in[domain] = pool[firms.portfolio[pool, domain]]
            active = active_in[domain]
            candidates = active if len(active) >= size else pool
            members = rng.choice(candidates, size=min(size, len(candidates)), replace=False)
            ids = firms.uid[members]
            if len(universities):
                ids = np.append(ids, targets.universities.uid[_pick(rng, universities, 1)])
            # Every pair of members; all projects' links are added in one batch below.
            first, second = _pairs(len(ids))
            left.append(ids[first])
            right.append(ids[second])
            gain = params.knowledge_gain * params.effect
            firms.knowledge[members, domain] += gain * firms.absorptive[members]
            funded += 1
        if funded:
            targets.network.add(np.concatenate(left), np.concatenate(right))
        _record(targets, "collaborative_rd", region, funded)


class _TargetedBoost:
    """A decaying per-firm boost bought per unit: ``boost_per_unit`` x units, spread over the
    targeted firms (priority domains or all), raises the region's column of the boost."""

    reaches_firms = True

    name: str
    boost: str

    def capacity(self, targets, region, params: TargetedBoostParams) -> float:
        pool = _targeted_firms(targets, region, params)
        return max(1.0, params.uptake_share * len(pool))

    def deliver(self, targets, region, units, params: TargetedBoostParams) -> None:
        pool = _targeted_firms(targets, region, params)
        column = 0 if params.targeting == "priority" else 1
        boost = getattr(targets.regions, self.boost)
        boost[region, column] += params.effect * params.boost_per_unit * units / max(1, len(pool))
        _record(targets, self.name, region, units)


class ClusterSupport(_TargetedBoost):
    """Cluster management and matchmaking: the targeted firms (priority domains, or all)
    search for partners more often; the boost decays each quarter."""

    name, boost = "cluster_support", "cluster_boost"


class Training:
    """Training places: each trainee joins the region's skilled workforce (region-wide:
    ``targeting`` has no effect)."""

    reaches_firms = True

    def capacity(self, targets, region, params: TrainingParams) -> float:
        return params.places_per_employee * targets.regions.employment[region]

    def deliver(self, targets, region, units, params: TrainingParams) -> None:
        added = np.zeros(targets.regions.count)
        added[region] = units * params.effect
        targets.regions.add_skilled(added)
        _record(targets, "training", region, units)


class ResearchInfrastructure:
    """Raises the research-strength target of the region's universities in the targeted
    domains (the priorities, or all domains when horizontal)."""

    reaches_firms = False

    def capacity(self, targets, region, params: ResearchInfrastructureParams) -> float:
        return params.units_per_university * len(targets.universities.in_region(region))

    def deliver(self, targets, region, units, params: ResearchInfrastructureParams) -> None:
        universities = targets.universities
        rows = universities.in_region(region)
        if len(rows) == 0:
            return
        domains = _domains(targets, region, params)
        priority = params.targeting == "priority"
        gain = params.priority_gain if priority else params.horizontal_gain
        # Additive in money (each unit adds the same to the target): no compounding.
        cells = np.ix_(rows, domains)
        base = universities.base[cells]
        universities.target[cells] += params.effect * gain * units / len(rows) * base
        _record(targets, "research_infrastructure", region, units)


class StartupSupport:
    """Supported start-ups in the targeted domains; founders need skilled people."""

    reaches_firms = True

    def capacity(self, targets, region, params: StartupSupportParams) -> float:
        return params.founders_per_skilled * targets.regions.skilled[region]

    def deliver(self, targets, region, units, params: StartupSupportParams) -> None:
        count = _whole(targets.rng, units)
        if count == 0:
            return
        cores = targets.rng.choice(_domains(targets, region, params), size=count)
        targets.firms.enter(region, cores, extra_capital=params.unit_cost * params.effect)
        _record(targets, "startup_support", region, count)


class PublicProcurement(_TargetedBoost):
    """Innovation procurement: demand pull that raises the innovation hazard of the targeted
    firms (active in the priority domains, or all); decays each quarter."""

    name, boost = "public_procurement", "procurement_pull"


class LivingLabs:
    """Co-creation labs joining a citizen group, a university and a firm active in one of the
    group's needs: links between them, a social-innovation boost and a little trust."""

    reaches_firms = False

    def capacity(self, targets, region, params: LivingLabsParams) -> float:
        return params.labs_per_group * len(targets.citizens.in_region(region))

    def deliver(self, targets, region, units, params: LivingLabsParams) -> None:
        citizens, firms, rng = targets.citizens, targets.firms, targets.rng
        groups = citizens.in_region(region)
        labs = _whole(rng, units)
        if labs == 0 or len(groups) == 0:
            return
        weights = citizens.participation[groups] + params.selection_floor
        chosen = _pick(rng, groups, labs, weights)
        needs = citizens.needs[chosen]
        if params.targeting == "priority":
            needs = needs * (params.non_priority_weight + targets.policy.priorities[region])
        domains = np.argmax(needs, axis=1)
        targets.regions.labs_in_priorities[region] += np.count_nonzero(
            targets.policy.priorities[region][domains]
        )
        pool = firms.directory.eligible(region, priority_only=False)
        active_in: dict[int, np.ndarray] = {}
        groups_linked, partners = [], []
        # Each lab works with one real firm, which simulated firms stand in for: one per lab
        # at weight 1 (no draw), else on average 1 / firm weight of them, so that labs link
        # the same share of firms whatever the number simulated.
        weight = float(targets.regions.firm_weight[region])
        per_lab = np.ones(len(chosen), dtype=np.int64)
        if weight != 1.0:
            share = 1.0 / weight
            per_lab = np.floor(share).astype(np.int64) + (
                rng.random(len(chosen)) < share - np.floor(share)
            )
        for group, domain, count in zip(chosen.tolist(), domains.tolist(), per_lab, strict=True):
            if count == 0:
                continue
            if domain not in active_in:
                active_in[domain] = pool[firms.portfolio[pool, domain]]
            active = active_in[domain]
            drawn = _pick(rng, active if len(active) else pool, int(count))
            groups_linked.extend([group] * len(drawn))
            partners.extend(drawn.tolist())
        if partners:
            targets.network.add(citizens.uid[groups_linked], firms.uid[partners])
        universities = targets.universities.in_region(region)
        if len(universities):
            targets.network.add(
                citizens.uid[chosen],
                targets.universities.uid[_pick(rng, universities, len(chosen))],
            )
        np.add.at(citizens.lab_boost, chosen, params.lab_boost * params.effect)
        # Per lab, like the boost: a group drawn for several labs gains trust from each.
        np.add.at(citizens.trust, chosen, params.trust_gain * params.effect)
        np.minimum(citizens.trust, 1.0, out=citizens.trust)
        _record(targets, "living_labs", region, labs)


class CapacityBuilding:
    """Administrative capacity and business advisory: institutional quality rises with
    diminishing returns, and firms' absorptive capacity gets a regional bonus (region-wide:
    ``targeting`` has no effect)."""

    reaches_firms = False

    def capacity(self, targets, region, params: CapacityBuildingParams) -> float:
        return params.max_units

    def deliver(self, targets, region, units, params: CapacityBuildingParams) -> None:
        quality = targets.policy.quality
        step = params.effect * np.sqrt(units)
        quality[region] += params.quality_gain * step * (1.0 - quality[region])
        quality[region] = min(quality[region], 1.0)
        bonus = targets.regions.capacity_bonus
        bonus[region] = min(
            params.max_absorptive_bonus, bonus[region] + params.absorptive_bonus * step
        )
        _record(targets, "capacity_building", region, units)


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
