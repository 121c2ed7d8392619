"""Typed scenario schema: every field with its unit, default and allowed range.

A scenario is a plain TOML file. This module is the single source of truth for what such a file
may contain; ``docs/scenario-reference.md`` is generated from it (``python -m
smartspec.scenarios.reference``). The schema imports nothing from the model: the dependency points
one way (model -> scenarios).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "INSTRUMENTS",
    "synthetic_domain_names",
    "default_instruments",
    "CitizenBehaviour",
    "FirmBehaviour",
    "Governance",
    "Government",
    "InstrumentParams",
    "Interregional",
    "KnowledgeSpace",
    "PeerReview",
    "Phase",
    "PolicyMix",
    "Region",
    "Scenario",
    "UniversityBehaviour",
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

Share = Annotated[float, Field(ge=0.0, le=1.0)]
SHARE_TOLERANCE = 1e-6


class _Strict(BaseModel):
    """Unknown keys, NaN/infinity and booleans given for numbers are errors, not coerced."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, bool) and cls.model_fields[info.field_name].annotation is not bool:
            raise ValueError("must be a number (integer or decimal) or text, not a boolean")
        return value


class Governance(StrEnum):
    """Who is heard in the entrepreneurial discovery process (EDP)."""

    top_down = "top_down"
    triple_helix = "triple_helix"
    quadruple_helix = "quadruple_helix"


class KnowledgeSpace(_Strict):
    """Technology/industry domains and the relatedness (proximity) between them."""

    domains: int = Field(30, ge=2, le=500, description="Number of domains K (count).")
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
        0.05, ge=0.0, le=0.5, description="Synthetic matrix: uniform noise half-width (0-1)."
    )
    seed: int = Field(
        2012,
        ge=0,
        description="Synthetic matrix: seed of the input-data generator (the matrix and domain "
        "complexities are scenario input, fixed across replications).",
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


class InstrumentParams(_Strict):
    """How one policy instrument turns money into effects (see docs/ODD.md §7.6)."""

    unit_cost: float = Field(
        gt=0.0, description="Cost of one unit (grant, voucher, project, ...) (M€)."
    )
    delay: int = Field(ge=0, le=40, description="Quarters between absorption and effect (steps).")
    targeting: Literal["priority", "horizontal"] = Field(
        description="'priority': aimed at the S3 priority domains; 'horizontal': open to all "
        "(training and capacity_building act region-wide either way)."
    )
    effect: float = Field(ge=0.0, le=10.0, description="Strength multiplier of the effect (x).")


def synthetic_domain_names(count: int) -> list[str]:
    """Names of the domains of a synthetic knowledge space: D01, D02, ..."""
    width = max(2, len(str(count)))
    return [f"D{index + 1:0{width}d}" for index in range(count)]


def default_instruments() -> dict[str, InstrumentParams]:
    """Defaults for every instrument; a scenario overrides single fields."""
    p = InstrumentParams
    return {
        "rd_grants": p(unit_cost=0.2, delay=2, targeting="priority", effect=1.0),
        "innovation_vouchers": p(unit_cost=0.01, delay=1, targeting="horizontal", effect=1.0),
        "collaborative_rd": p(unit_cost=0.6, delay=4, targeting="priority", effect=1.0),
        "cluster_support": p(unit_cost=0.1, delay=2, targeting="priority", effect=1.0),
        "training": p(unit_cost=0.02, delay=4, targeting="horizontal", effect=1.0),
        "research_infrastructure": p(unit_cost=1.0, delay=8, targeting="priority", effect=1.0),
        "startup_support": p(unit_cost=0.15, delay=2, targeting="priority", effect=1.0),
        "public_procurement": p(unit_cost=0.3, delay=3, targeting="priority", effect=1.0),
        "living_labs": p(unit_cost=0.1, delay=2, targeting="priority", effect=1.0),
        "capacity_building": p(unit_cost=0.25, delay=4, targeting="horizontal", effect=1.0),
    }


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

    budget: float = Field(20.0, ge=0.0, description="S3 budget (M€/year).")
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
    """One regional innovation system and its starting state."""

    name: str = Field("Region", min_length=1, description="Region name.")
    firms: int = Field(1000, ge=1, le=5_000_000, description="Initial number of firms (count).")
    universities: int = Field(2, ge=0, le=1000, description="Universities (count).")
    citizen_groups: int = Field(10, ge=0, le=100_000, description="Citizen groups (count).")
    absorptive_capacity: Share = Field(
        0.4, description="Mean initial absorptive capacity of firms (0-1)."
    )
    knowledge_level: float = Field(
        1.0, gt=0.0, le=100.0, description="Mean initial knowledge stock in a firm's core domain."
    )
    rd_intensity: float = Field(
        0.015, ge=0.0, le=0.5, description="Mean firm R&D spending as share of revenue (0-0.5)."
    )
    human_capital: Share = Field(
        0.25, description="Initial share of tertiary-educated workers in employment (0-1)."
    )
    university_strength: float = Field(
        1.0, gt=0.0, le=100.0, description="Mean research strength of universities per domain."
    )
    tech_transfer: Share = Field(
        0.3, description="Universities' technology-transfer capacity (0-1)."
    )
    citizen_participation: Share = Field(
        0.2, description="Initial share of citizen groups' members taking part (0-1)."
    )
    citizen_trust: Share = Field(0.45, description="Initial trust of citizens in government (0-1).")
    specialisations: int = Field(
        5, ge=1, le=500, description="Domains the region starts concentrated in (count)."
    )
    specialised_domains: list[str] | None = Field(
        None,
        description="Names of those domains (optional; default: a random domain and its most "
        "related ones).",
    )
    concentration: Share = Field(
        0.6, description="Share of firms whose core domain is one of the region's specialisations."
    )
    productivity: float = Field(
        0.03, gt=0.0, le=10.0, description="Base revenue per employee (M€/quarter)."
    )
    mean_firm_size: float = Field(
        12.0, ge=1.0, le=10_000.0, description="Mean initial firm size (employees)."
    )
    position: tuple[float, float] = Field(
        (0.0, 0.0), description="Location on an abstract map (distance units)."
    )
    government: Government = Field(default_factory=Government)


class FirmBehaviour(_Strict):
    """Rates of the firm verbs (shared by every region)."""

    learning_own: float = Field(
        0.15,
        ge=0.0,
        le=5.0,
        description="Knowledge per quarter per square root of R&D effort (own R&D + absorptive "
        "capacity x grants, over base revenue), split over the firm's domains.",
    )
    learning_partner: float = Field(
        0.02, ge=0.0, le=1.0, description="Share of a partner's knowledge gap learnt per quarter."
    )
    learning_university: float = Field(
        0.03,
        ge=0.0,
        le=1.0,
        description="Share of a university's knowledge gap learnt per quarter.",
    )
    learning_spillover: float = Field(
        0.005, ge=0.0, le=1.0, description="Share of the regional knowledge gap learnt per quarter."
    )
    learning_by_doing: float = Field(
        0.02, ge=0.0, le=1.0, description="Knowledge gained in a domain by innovating in it."
    )
    obsolescence: float = Field(
        0.025, ge=0.0, le=1.0, description="Knowledge lost per quarter in domains in use (share)."
    )
    expertise_decay: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Knowledge lost per quarter in domains not in use (share).",
    )
    innovation_rate: float = Field(
        0.15, ge=0.0, le=5.0, description="Base innovation hazard per quarter (events/quarter)."
    )
    knowledge_elasticity: float = Field(
        0.4,
        ge=0.0,
        le=3.0,
        description="Elasticity of the innovation hazard to mean knowledge in own domains (ke).",
    )
    partner_effect: float = Field(
        0.25, ge=0.0, le=5.0, description="Innovation hazard gain per ln(1 + partners) (x)."
    )
    variety_effect: float = Field(
        0.5, ge=0.0, le=5.0, description="Innovation hazard gain from related variety (x)."
    )
    diversification_rate: float = Field(
        0.03, ge=0.0, le=1.0, description="Probability a firm tries a new domain (per quarter)."
    )
    relatedness_exponent: float = Field(
        1.5, ge=0.0, le=10.0, description="How strongly new domains are chosen by relatedness."
    )
    partner_search_rate: float = Field(
        0.08,
        ge=0.0,
        le=1.0,
        description="Base probability a firm looks for a partner per quarter, scaled by "
        "(0.5 + absorptive capacity) x (1 + cluster support).",
    )
    candidates: int = Field(6, ge=1, le=50, description="Candidates screened per search (count).")
    progressive_share: Share = Field(
        0.5, description="Share of firms seeking complementary (not similar) partners (0-1)."
    )
    triadic_share: Share = Field(
        0.3,
        description="Share of candidates drawn among partners' partners, for firms that have "
        "partners (0-1).",
    )
    max_partners: int = Field(
        12,
        ge=1,
        le=1000,
        description="Links above which a firm stops searching for partners (count; links made "
        "by instruments and universities can exceed it).",
    )
    link_decay: Share = Field(0.04, description="Probability a link dissolves per quarter (0-1).")
    markup_per_innovation: float = Field(
        0.08, ge=0.0, le=5.0, description="Revenue premium from one innovation (share)."
    )
    markup_decay: Share = Field(0.1, description="Share of the premium lost per quarter (0-1).")
    wage_share: float = Field(
        0.97, ge=0.0, le=2.0, description="Operating costs as share of base revenue (0-2)."
    )
    growth_sensitivity: float = Field(
        0.25,
        ge=0.0,
        le=20.0,
        description="Employment growth per unit of operating margin above the regional mean (x).",
    )
    labour_market_tightness: float = Field(
        0.15,
        ge=0.0,
        le=5.0,
        description="Pull of regional employment back to its initial level (per log unit).",
    )
    growth_noise: float = Field(
        0.05, ge=0.0, le=1.0, description="Std. dev. of quarterly log-size shocks."
    )
    knowledge_premium: float = Field(
        0.05,
        ge=0.0,
        le=0.5,
        description="Revenue gain per unit of ln(1 + mean knowledge in own domains) above the "
        "region's mean (share).",
    )
    efficiency_persistence: Share = Field(
        0.9, description="Autocorrelation of a firm's efficiency shock per quarter (0-1)."
    )
    efficiency_noise: float = Field(
        0.04, ge=0.0, le=1.0, description="Std. dev. of quarterly efficiency innovations."
    )
    revenue_noise: float = Field(
        0.08, ge=0.0, le=1.0, description="Std. dev. of quarterly log-revenue shocks."
    )
    capital_buffer: float = Field(
        2.0,
        ge=0.0,
        le=100.0,
        description="Capital reserve a firm keeps; the excess is paid out (quarters of revenue).",
    )
    payout_rate: Share = Field(
        0.25, description="Share of capital above the buffer paid out per quarter (0-1)."
    )
    exit_losses: int = Field(
        5, ge=1, le=400, description="Consecutive loss quarters that make a firm exit (quarters)."
    )
    startup_rate: Share = Field(
        0.02,
        description="Probability that an innovation spins out a start-up, times the crowding "
        "factor (0-1).",
    )
    entry_rate: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="Independent entrants per firm per quarter, times the crowding factor (rate).",
    )
    competition: float = Field(
        0.2,
        ge=0.0,
        le=2.0,
        description="Revenue scales with (initial firms / current firms) to this power (exponent).",
    )
    entry_crowding: float = Field(
        3.0,
        ge=0.0,
        le=4.0,
        description="Crowding factor: entry scales with (initial firms / current firms) to this "
        "power (exponent).",
    )
    absorptive_adjustment: Share = Field(
        0.03, description="Speed at which absorptive capacity moves to its target (per quarter)."
    )


class UniversityBehaviour(_Strict):
    """Rates of the university verbs."""

    infrastructure_depreciation: Share = Field(
        0.02,
        description="Share of the infrastructure gain in strength target lost per quarter.",
    )
    research_rate: Share = Field(
        0.02, description="Share of the gap to the funded strength target closed per quarter."
    )
    graduates_per_strength: float = Field(
        5.5,
        ge=0.0,
        le=1e4,
        description="Graduates per quarter per 1,000 employees per unit of mean research strength.",
    )
    human_capital_attrition: Share = Field(
        0.02, description="Share of skilled workers retiring or leaving per quarter (0-1)."
    )
    links_per_quarter: float = Field(
        3.0,
        ge=0.0,
        le=1000.0,
        description="Industry link attempts per quarter at full transfer capacity (count).",
    )
    spinoff_rate: float = Field(
        0.05,
        ge=0.0,
        le=10.0,
        description="Spin-offs per quarter per unit of transfer capacity x mean strength (rate).",
    )


class CitizenBehaviour(_Strict):
    """Rates of the citizen-group verbs."""

    social_innovation_rate: float = Field(
        0.08, ge=0.0, le=5.0, description="Base social-innovation hazard per group (per quarter)."
    )
    trust_adjustment: Share = Field(0.05, description="Speed of trust updating (per quarter).")
    participation_adjustment: Share = Field(
        0.05, description="Speed of participation updating (per quarter)."
    )


class Interregional(_Strict):
    """Collaboration across regions."""

    openness: Share = Field(
        0.1, description="Share of partner searches that look outside the region at distance 0."
    )
    distance_decay: float = Field(
        1.0, gt=0.0, le=1e6, description="Distance at which cross-region search falls to 1/e."
    )


class PeerReview(_Strict):
    """Peer review of S3 strategies between the regions of a scenario (S3 Platform style)."""

    enabled: bool = Field(False, description="Hold peer-review rounds (needs two regions or more).")
    period: int = Field(8, ge=1, le=400, description="Quarters between review rounds (steps).")
    peers: int = Field(2, ge=1, le=50, description="Peers reviewing each region (count).")
    selection: Literal["similar", "random", "leader_laggard"] = Field(
        "similar",
        description="similar: closest innovation index; random; leader_laggard: laggards are "
        "reviewed by the best performers and leaders by the laggards.",
    )
    learning_rate: Share = Field(
        0.3,
        description="Share of the gap to better peers' mix closed per round, times the "
        "region's institutional quality (0-1).",
    )


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
    instruments: dict[str, InstrumentParams] = Field(
        default_factory=default_instruments, description="Parameters of every instrument."
    )
    firm: FirmBehaviour = Field(default_factory=FirmBehaviour)
    university: UniversityBehaviour = Field(default_factory=UniversityBehaviour)
    citizens: CitizenBehaviour = Field(default_factory=CitizenBehaviour)
    interregional: Interregional = Field(default_factory=Interregional)
    peer_review: PeerReview = Field(default_factory=PeerReview)

    @field_validator("instruments")
    @classmethod
    def _all_instruments_known(cls, value: dict[str, InstrumentParams]) -> dict:
        unknown = sorted(set(value) - set(INSTRUMENTS))
        if unknown:
            raise ValueError(f"unknown instrument '{unknown[0]}' (known: {', '.join(INSTRUMENTS)})")
        missing = [name for name in INSTRUMENTS if name not in value]
        if missing:
            raise ValueError(f"missing instrument '{missing[0]}'")
        return value

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
