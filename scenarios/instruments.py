"""Policy instruments: the parameters every instrument shares and those of its mechanism.

Each instrument has a table ``[instruments.NAME]``. Four fields are common to all (unit cost,
delay, targeting, effect multiplier); the others are the coefficients of the instrument's own
mechanism (docs/ODD.md §7.6). A scenario overrides single fields; the rest keep the defaults
listed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from .base import Share, StrictTable, parameter

__all__ = [
    "INSTRUMENTS",
    "CapacityBuildingParams",
    "ClusterSupportParams",
    "CollaborativeRDParams",
    "InnovationVouchersParams",
    "InstrumentParams",
    "Instruments",
    "LivingLabsParams",
    "PublicProcurementParams",
    "RDGrantsParams",
    "ResearchInfrastructureParams",
    "StartupSupportParams",
    "TargetedBoostParams",
    "TrainingParams",
    "default_instruments",
]

#: The policy instruments the model implements, in a fixed order (array columns follow it).
INSTRUMENTS: tuple[str, ...] = (
    "rd_grants",
    "innovation_vouchers",
    "collaborative_rd",
    "cluster_support",
    "training",
    "research_infrastructure",
    "startup_support",
    "public_procurement",
    "living_labs",
    "capacity_building",
)


class InstrumentParams(StrictTable):
    """How one policy instrument turns money into effects (see docs/ODD.md §7.6)."""

    unit_cost: float = Field(
        gt=0.0,
        description="Cost of one unit (grant, voucher, project, ...).",
        json_schema_extra={"unit": "M€", "group": "common"},
    )
    delay: int = Field(
        ge=0,
        le=40,
        description="Quarters between absorption and effect.",
        json_schema_extra={"unit": "quarters", "group": "common"},
    )
    targeting: Literal["priority", "horizontal"] = Field(
        description="'priority': aimed at the S3 priority domains; 'horizontal': open to all "
        "(training and capacity_building act region-wide either way).",
        json_schema_extra={"unit": "", "group": "common"},
    )
    effect: float = Field(
        ge=0.0,
        le=10.0,
        description="Strength multiplier of the effect.",
        json_schema_extra={"unit": "x", "group": "common"},
    )


class RDGrantsParams(InstrumentParams):
    """R&D grants: competitive grants added to firms' R&D budgets."""

    min_absorptive_capacity: Share = parameter(
        0.15,
        "Only firms with absorptive capacity above this can write a fundable proposal.",
        unit="share",
        group="mechanism",
    )
    grants_per_applicant: float = parameter(
        0.25,
        "Grants the eligible applicants can take up per quarter, per applicant.",
        unit="grants per firm per quarter",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )
    misallocation: Share = parameter(
        0.5,
        "With priority targeting, this share times (1 - institutional quality) of grants "
        "goes to eligible firms outside the priorities.",
        unit="share",
        group="mechanism",
    )


class InnovationVouchersParams(InstrumentParams):
    """Innovation vouchers: small firms buy knowledge services from a university."""

    vouchers_per_firm: float = parameter(
        0.05,
        "Vouchers the eligible small firms can take up per quarter, per firm.",
        unit="vouchers per firm per quarter",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )
    max_employees: float = parameter(
        50.0,
        "Firms below this size are eligible.",
        unit="employees",
        group="mechanism",
        gt=0.0,
        le=1e6,
    )
    knowledge_gain: float = parameter(
        0.05,
        "Core knowledge gained per voucher, times effect and the firm's absorptive capacity.",
        unit="knowledge",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )


class CollaborativeRDParams(InstrumentParams):
    """Collaborative R&D: projects of several firms and a university in one domain."""

    firms_per_project: int = parameter(
        3,
        "Firms in one project (the eligible pool can fund pool / firms projects a quarter).",
        unit="firms",
        group="mechanism",
        ge=1,
        le=100,
    )
    knowledge_gain: float = parameter(
        0.15,
        "Knowledge gained in the project's domain, times effect and absorptive capacity.",
        unit="knowledge",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )


class TargetedBoostParams(InstrumentParams):
    """An instrument bought as a decaying boost for the targeted firms of a region."""

    boost_per_unit: float = parameter(
        10.0,
        "Boost added per unit, spread over the targeted firms.",
        unit="boost per unit",
        group="mechanism",
        ge=0.0,
        le=1e6,
    )
    uptake_share: Share = parameter(
        0.05,
        "Units the targeted firms can take up per quarter, per firm.",
        unit="units per firm per quarter",
        group="mechanism",
    )
    persistence: Share = parameter(
        0.85,
        "Share of the boost kept per quarter.",
        unit="per quarter",
        group="mechanism",
    )


class ClusterSupportParams(TargetedBoostParams):
    """Cluster management and matchmaking: the targeted firms search for partners more often."""


class PublicProcurementParams(TargetedBoostParams):
    """Innovation procurement: demand pull raising the targeted firms' innovation hazard."""

    boost_per_unit: float = parameter(
        5.0,
        "Pull added per unit, spread over the targeted firms.",
        unit="boost per unit",
        group="mechanism",
        ge=0.0,
        le=1e6,
    )
    uptake_share: Share = parameter(
        0.1,
        "Contracts the targeted firms can take up per quarter, per firm.",
        unit="units per firm per quarter",
        group="mechanism",
    )


class TrainingParams(InstrumentParams):
    """Training places that add skilled workers (region-wide)."""

    places_per_employee: float = parameter(
        0.005,
        "Training places the region can fill per quarter, per employee.",
        unit="places per employee per quarter",
        group="mechanism",
        ge=0.0,
        le=1.0,
    )


class ResearchInfrastructureParams(InstrumentParams):
    """Research infrastructure raising universities' strength targets."""

    units_per_university: float = parameter(
        2.0,
        "Units the region's universities can take up per quarter, per university.",
        unit="units per university per quarter",
        group="mechanism",
        ge=0.0,
        le=1e6,
    )
    priority_gain: float = parameter(
        0.05,
        "Rise of the strength target per unit and university in each priority domain, as a "
        "share of base strength (priority targeting).",
        unit="share of base strength",
        group="mechanism",
        ge=0.0,
        le=10.0,
    )
    horizontal_gain: float = parameter(
        0.02,
        "The same in every domain (horizontal targeting).",
        unit="share of base strength",
        group="mechanism",
        ge=0.0,
        le=10.0,
    )


class StartupSupportParams(InstrumentParams):
    """Supported start-ups in the targeted domains."""

    founders_per_skilled: float = parameter(
        0.002,
        "Supported start-ups the region can found per quarter, per skilled worker.",
        unit="start-ups per skilled worker per quarter",
        group="mechanism",
        ge=0.0,
        le=1.0,
    )


class LivingLabsParams(InstrumentParams):
    """Living labs joining citizen groups, a university and firms."""

    labs_per_group: float = parameter(
        0.5,
        "Labs the region can run per quarter, per citizen group.",
        unit="labs per group per quarter",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )
    selection_floor: float = parameter(
        0.05,
        "Groups are drawn for labs in proportion to participation plus this floor.",
        unit="share",
        group="mechanism",
        ge=0.0,
        le=10.0,
    )
    non_priority_weight: float = parameter(
        0.2,
        "With priority targeting, a lab works on the group's most pressing need after "
        "weighting needs by 1 + this in priority domains and this elsewhere.",
        unit="weight",
        group="mechanism",
        ge=0.0,
        le=10.0,
    )
    lab_boost: float = parameter(
        0.5,
        "Living-lab boost per lab, times effect.",
        unit="boost",
        group="mechanism",
        ge=0.0,
        le=100.0,
    )
    trust_gain: Share = parameter(
        0.01,
        "Trust a group gains per lab, times effect.",
        unit="share",
        group="mechanism",
    )


class CapacityBuildingParams(InstrumentParams):
    """Administrative capacity and business advisory (region-wide)."""

    max_units: float = parameter(
        40.0,
        "Units the administration can take up per quarter.",
        unit="units per quarter",
        group="mechanism",
        ge=0.0,
        le=1e6,
    )
    quality_gain: float = parameter(
        0.004,
        "Institutional quality gained per sqrt(units) x effect, times (1 - quality).",
        unit="share",
        group="mechanism",
        ge=0.0,
        le=1.0,
    )
    absorptive_bonus: float = parameter(
        0.002,
        "Regional absorptive-capacity bonus per sqrt(units) x effect.",
        unit="share",
        group="mechanism",
        ge=0.0,
        le=1.0,
    )
    max_absorptive_bonus: Share = parameter(
        0.3,
        "Cap of the regional absorptive-capacity bonus.",
        unit="share",
        group="mechanism",
    )


def _defaults(cls: type[InstrumentParams], unit_cost: float, delay: int, targeting: str):
    def make() -> InstrumentParams:
        return cls(unit_cost=unit_cost, delay=delay, targeting=targeting, effect=1.0)

    return Field(default_factory=make, description=cls.__doc__)


class Instruments(StrictTable):
    """Parameters of every instrument (a scenario overrides single fields)."""

    rd_grants: RDGrantsParams = _defaults(RDGrantsParams, 0.2, 2, "priority")
    innovation_vouchers: InnovationVouchersParams = _defaults(
        InnovationVouchersParams, 0.01, 1, "horizontal"
    )
    collaborative_rd: CollaborativeRDParams = _defaults(CollaborativeRDParams, 0.6, 4, "priority")
    cluster_support: ClusterSupportParams = _defaults(ClusterSupportParams, 0.1, 2, "priority")
    training: TrainingParams = _defaults(TrainingParams, 0.02, 4, "horizontal")
    research_infrastructure: ResearchInfrastructureParams = _defaults(
        ResearchInfrastructureParams, 1.0, 8, "priority"
    )
    startup_support: StartupSupportParams = _defaults(StartupSupportParams, 0.15, 2, "priority")
    public_procurement: PublicProcurementParams = _defaults(
        PublicProcurementParams, 0.3, 3, "priority"
    )
    living_labs: LivingLabsParams = _defaults(LivingLabsParams, 0.1, 2, "priority")
    capacity_building: CapacityBuildingParams = _defaults(
        CapacityBuildingParams, 0.25, 4, "horizontal"
    )

    def __getitem__(self, name: str) -> InstrumentParams:
        if name not in INSTRUMENTS:
            raise KeyError(name)
        return getattr(self, name)

    def items(self) -> Iterator[tuple[str, InstrumentParams]]:
        return ((name, getattr(self, name)) for name in INSTRUMENTS)

    def in_order(self) -> list[InstrumentParams]:
        """The parameters in the order of :data:`INSTRUMENTS`."""
        return [getattr(self, name) for name in INSTRUMENTS]


def default_instruments() -> Instruments:
    """Defaults for every instrument; a scenario overrides single fields."""
    return Instruments()
