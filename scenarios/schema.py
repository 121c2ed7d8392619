"""Typed scenario schema: every field with its unit, default and allowed range.

A scenario is a plain TOML file. This module is the single source of truth for what such a file
may contain; ``docs/scenario-reference.md`` is generated from it (``python -m
smartspec.scenarios.reference``). The schema imports nothing from the model: the dependency points
one way (model -> scenarios).
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .base import Governance, Share, StrictTable, parameter
from .behaviour import (
    CitizenBehaviour,
    Dynamics,
    FirmBehaviour,
    GovernmentBehaviour,
    Initialisation,
    Interregional,
    PeerReview,
    UniversityBehaviour,
)
from .instruments import INSTRUMENTS, InstrumentParams, Instruments, default_instruments

__all__ = [
    "INSTRUMENTS",
    "synthetic_domain_names",
    "default_instruments",
    "CitizenBehaviour",
    "Dynamics",
    "FirmBehaviour",
    "Governance",
    "Government",
    "GovernmentBehaviour",
    "Initialisation",
    "InstrumentParams",
    "Instruments",
    "Interregional",
    "KnowledgeSpace",
    "PeerReview",
    "Phase",
    "PolicyMix",
    "Region",
    "Scenario",
    "UniversityBehaviour",
]

SHARE_TOLERANCE = 1e-6
#: Most knowledge domains a scenario may have (synthetic or read from a proximity CSV).
MAX_DOMAINS = 500

_Strict = StrictTable


class KnowledgeSpace(_Strict):
    """Technology/industry domains and the relatedness (proximity) between them."""

    domains: int = Field(30, ge=2, le=MAX_DOMAINS, description="Number of domains K (count).")
    families: int = Field(
        6, ge=1, le=100, description="Synthetic matrix: number of related families (count)."
    )
    relatedness_within: float = Field(
        0.55, ge=0.0, le=1.0, description="Synthetic matrix: mean proximity inside a family (0-1)."
    )
    relatedness_neighbour: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Synthetic matrix: mean proximity between neighbouring families on the ring "
        "of families (0-1).",
    )
    relatedness_between: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Synthetic matrix: mean proximity between other families (0-1).",
    )
    noise: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="Synthetic matrix: uniform noise half-width around each family level "
        "(0-1; 0: the levels alone, graded proximities above 0).",
    )
    seed: int = Field(
        2012,
        ge=0,
        description="Synthetic matrix: seed of the input-data generator (the matrix and domain "
        "complexities are scenario input, fixed across replications).",
    )
    complexity_shape: float = parameter(
        2.0,
        "Domain complexities are drawn from Beta(shape, shape) (input data, fixed by seed).",
        unit="beta a = b",
        group="input data",
        gt=0.0,
        le=1000.0,
    )
    world_share_concentration: float = parameter(
        8.0,
        "Dirichlet concentration of the world reference portfolio that RCA is measured "
        "against (higher: more even; input data, fixed by seed).",
        unit="Dirichlet a",
        group="input data",
        gt=0.0,
        le=1e6,
    )
    family_cut: float = parameter(
        0.7,
        "CSV matrix: domains are grouped into families (for related variety) by "
        "average-linkage clusters of 1 - proximity cut at this distance.",
        unit="distance",
        group="input data",
        gt=0.0,
        le=1.0,
    )
    matrix_csv: str | None = Field(
        None,
        description="Path (relative to the scenario file) of a square CSV proximity matrix with "
        "domain names as header and index; overrides the synthetic matrix.",
    )

    @model_validator(mode="after")
    def _families_fit(self) -> KnowledgeSpace:
        if self.matrix_csv is None and self.families > self.domains:
            raise ValueError(f"families ({self.families}) must not exceed domains ({self.domains})")
        return self


def synthetic_domain_names(count: int) -> list[str]:
    """Names of the domains of a synthetic knowledge space: D01, D02, ..."""
    width = max(2, len(str(count)))
    return [f"D{index + 1:0{width}d}" for index in range(count)]


def _check_shares(shares: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(shares) - set(INSTRUMENTS))
    if unknown:
        raise ValueError(f"unknown instrument '{unknown[0]}' (known: {', '.join(INSTRUMENTS)})")
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
    return shares


class Phase(_Strict):
    """A later phase of a mix: from quarter ``start`` on, the budget follows ``shares``."""

    start: int = Field(ge=1, le=10_000, description="First quarter of the phase (step).")
    shares: dict[str, Share] = Field(description="Budget shares in this phase (sum to 1).")

    @field_validator("shares")
    @classmethod
    def _valid_shares(cls, shares: dict[str, float]) -> dict[str, float]:
        return _check_shares(shares)

    def share_vector(self) -> list[float]:
        return [float(self.shares.get(name, 0.0)) for name in INSTRUMENTS]


class PolicyMix(_Strict):
    """Shares of the S3 budget given to each instrument (optionally changing over time)."""

    name: str = Field("custom", description="Short name of the mix.")
    description: str = Field("", description="One line in plain words.")
    governance: Governance | None = Field(
        None, description="EDP model this mix brings with it (optional; default: the region's)."
    )
    shares: dict[str, Share] = Field(
        description="Budget share per instrument (0-1, the listed shares sum to 1; unlisted "
        "instruments get 0)."
    )

    @field_validator("shares", mode="before")
    @classmethod
    def _numeric_shares(cls, shares: object) -> object:
        if isinstance(shares, dict):
            for name, value in shares.items():
                if isinstance(value, bool):
                    raise ValueError(f"share of '{name}' must be a number, not a boolean")
        return shares

    @field_validator("shares")
    @classmethod
    def _known_and_summing(cls, shares: dict[str, float]) -> dict[str, float]:
        return _check_shares(shares)

    phases: list[Phase] = Field(
        default_factory=list,
        description="Later phases with their own shares (sequencing, e.g. capacity first).",
    )

    @field_validator("phases")
    @classmethod
    def _phases_ordered(cls, phases: list[Phase]) -> list[Phase]:
        starts = [phase.start for phase in phases]
        if starts != sorted(set(starts)):
            raise ValueError("phases must have distinct starts in increasing order")
        return phases

    def share_vector(self) -> list[float]:
        """Shares in the fixed order of :data:`INSTRUMENTS`."""
        return [float(self.shares.get(name, 0.0)) for name in INSTRUMENTS]


class Government(_Strict):
    """The region's S3 managing authority."""

    budget_share: float = Field(
        0.0015,
        ge=0.0,
        le=0.05,
        description="S3 policy money per year as a share of the region's GDP (0.003 = 0.3 %); "
        "fixed in euros at quarter 0 from the GDP then, then growing only with the market's "
        "trend (firm.population_growth).",
    )

    @model_validator(mode="before")
    @classmethod
    def _budget_in_euros_moved(cls, data: Any) -> Any:
        # Model version 3 replaced the M€ budget by a share of GDP: say so instead of a
        # generic "extra field", and never reinterpret the old number silently.
        if isinstance(data, dict) and "budget" in data:
            raise ValueError(
                "'budget' (M€ per year) was replaced by 'budget_share', the policy money per "
                "year as a share of the region's GDP (0.003 = 0.3 %); divide the M€ figure by "
                "4 x the region's quarterly GDP (the gdp column of `smartspec run`)"
            )
        return data

    institutional_quality: float = Field(
        0.5, ge=0.0, le=1.0, description="Administrative capacity and quality of government (0-1)."
    )
    governance: Governance = Field(
        Governance.triple_helix, description="EDP model: top_down, triple_helix, quadruple_helix."
    )
    n_priorities: int = Field(5, ge=1, le=500, description="Priority domains chosen (count).")
    revision_period: int = Field(
        12, ge=1, le=400, description="Steps between EDP rounds that revise priorities (quarters)."
    )
    initial_priorities: list[str] | None = Field(
        None, description="Domain names fixed as priorities for the first cycle (optional)."
    )
    mix: str | None = Field(
        None, description="Bundled mix name for this region; default: the scenario's mix."
    )


class Region(_Strict):
    """One regional innovation system and its starting state.

    The defaults are those of the ``moderate`` archetype (scenarios/moderate.toml), so a region
    written from scratch starts as a moderate innovator, in the middle of the RIS 70-100 band;
    ``archetype = "NAME"`` in a scenario file starts from another archetype instead.
    """

    name: str = Field("Region", min_length=1, description="Region name.")
    firms: int = Field(
        1000,
        ge=1,
        le=5_000_000,
        description="Initial number of simulated firms (count): the simulation's precision.",
    )
    represented_firms: int | None = Field(
        None,
        ge=1,
        le=50_000_000,
        description="Real enterprises the simulated firms stand for (count; default: firms). "
        "Each simulated firm stands for represented_firms / firms of them, so policy money "
        "reaching firms is spread over the real region whatever the number simulated.",
    )
    universities: int = Field(2, ge=0, le=1000, description="Universities (count).")
    citizen_groups: int = Field(10, ge=0, le=100_000, description="Citizen groups (count).")
    absorptive_capacity: Share = Field(
        0.36, description="Mean initial absorptive capacity of firms (0-1)."
    )
    knowledge_level: float = Field(
        0.27, gt=0.0, le=100.0, description="Mean initial knowledge stock in a firm's core domain."
    )
    rd_intensity: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="Mean firm R&D spending as a share of its value added (0-0.5); the "
        "region's business R&D over GDP starts near it.",
    )
    human_capital: Share = Field(
        0.24, description="Initial share of tertiary-educated workers in employment (0-1)."
    )
    university_strength: float = Field(
        0.8, gt=0.0, le=100.0, description="Mean research strength of universities per domain."
    )
    tech_transfer: Share = Field(
        0.25, description="Universities' technology-transfer capacity (0-1)."
    )
    citizen_participation: Share = Field(
        0.18, description="Initial share of citizen groups' members taking part (0-1)."
    )
    citizen_trust: Share = Field(0.4, description="Initial trust of citizens in government (0-1).")
    specialisations: int = Field(
        5, ge=1, le=500, description="Domains the region starts concentrated in (count)."
    )
    specialised_domains: list[str] | None = Field(
        None,
        description="Names of those domains (optional; default: a random domain and its most "
        "related ones).",
    )
    concentration: Share = Field(
        0.33,
        description="Share of firms whose core domain is one of the region's specialisations "
        "(0.3-0.39 in the bundled archetypes since model version 7, 0.5-0.65 before).",
    )
    productivity: float = Field(
        0.025, gt=0.0, le=10.0, description="Base revenue per employee (M€/quarter)."
    )
    value_added_share: float = Field(
        0.35,
        gt=0.0,
        le=1.0,
        description="Value added as a share of the firms' revenue: the region's GDP is this "
        "times the revenue of the firms represented (a prior; business statistics put it "
        "near a quarter to a third of turnover).",
    )
    mean_firm_size: float = Field(
        11.0, ge=1.0, le=10_000.0, description="Mean initial firm size (employees)."
    )
    position: tuple[float, float] = Field(
        (0.0, 0.0), description="Location on an abstract map (distance units)."
    )
    government: Government = Field(default_factory=Government)


class Scenario(_Strict):
    """A complete simulation set-up: knowledge space, regions, policy mix and behaviour."""

    name: str = Field("scenario", min_length=1, description="Scenario name.")
    description: str = Field("", description="One line in plain words.")
    steps: int = Field(
        56, ge=1, le=10_000, description="Horizon (quarters; 56 = two 7-year programming periods)."
    )
    knowledge: KnowledgeSpace = Field(default_factory=KnowledgeSpace)
    regions: list[Region] = Field(default_factory=lambda: [Region()], min_length=1)
    mix: PolicyMix = Field(description="Policy mix applied to every region without its own mix.")
    region_mixes: dict[str, PolicyMix] = Field(
        default_factory=dict,
        description="Resolved per-region mixes (filled by the loader from government.mix).",
    )
    instruments: Instruments = Field(
        default_factory=default_instruments, description="Parameters of every instrument."
    )
    initial: Initialisation = Field(default_factory=Initialisation)
    firm: FirmBehaviour = Field(default_factory=FirmBehaviour)
    university: UniversityBehaviour = Field(default_factory=UniversityBehaviour)
    citizens: CitizenBehaviour = Field(default_factory=CitizenBehaviour)
    government: GovernmentBehaviour = Field(default_factory=GovernmentBehaviour)
    dynamics: Dynamics = Field(default_factory=Dynamics)
    interregional: Interregional = Field(default_factory=Interregional)
    peer_review: PeerReview = Field(default_factory=PeerReview)

    @model_validator(mode="after")
    def _regions_consistent(self, info: ValidationInfo) -> Scenario:
        # The file loader runs these checks itself to name the exact field in its message.
        if info.context and info.context.get("cross_checks") is False:
            return self
        problems = self.cross_field_problems()
        if problems:
            field, problem = problems[0]
            raise ValueError(f"{field}: {problem}")
        return self

    def cross_field_problems(self) -> list[tuple[str, str]]:
        """Checks that involve several fields, as (field path, problem) pairs."""
        problems = []
        seen: set[str] = set()
        for index, region in enumerate(self.regions):
            if region.name in seen:
                problems.append(
                    (f"regions[{index}].name", f"duplicate region name '{region.name}'")
                )
            seen.add(region.name)
            if region.government.n_priorities > self.knowledge.domains:
                problems.append(
                    (
                        f"regions[{index}].government.n_priorities",
                        f"n_priorities ({region.government.n_priorities}) exceeds "
                        f"the number of domains "
                        f"({self.knowledge.domains})",
                    )
                )
        return problems

    def mix_for(self, region_index: int) -> PolicyMix:
        """The policy mix that applies to one region."""
        return self.region_mixes.get(self.regions[region_index].name, self.mix)
