"""Behavioural parameters shared by every region, one table per submodel.

Every number that shapes what an agent does is a field here, with the model's value as its
default, so that experiments, sensitivity analysis and calibration can reach it by its dotted
path (``firm.partner_search_rate``, ``government.edp_noise``, ...). Policy instruments have
their own tables in :mod:`smartspec.scenarios.instruments`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Governance, Share, StrictTable, parameter

__all__ = [
    "CitizenBehaviour",
    "Dynamics",
    "EdpWeights",
    "FirmBehaviour",
    "GovernmentBehaviour",
    "Initialisation",
    "Interregional",
    "PeerReview",
    "UniversityBehaviour",
]


class FirmBehaviour(StrictTable):
    """Rates and coefficients of the firm verbs (shared by every region)."""

    # --- founding (initial firms and entrants)
    absorptive_concentration: float = parameter(
        4.0,
        "Concentration of the beta distribution of a new firm's absorptive capacity around "
        "the region's mean (higher: firms more alike).",
        unit="beta a",
        group="founding",
        gt=0.0,
        le=1000.0,
    )
    rd_intensity_dispersion: float = parameter(
        0.5,
        "Log-s.d. of a new firm's R&D intensity around the region's mean (lognormal with mean 1).",
        unit="log units",
        group="founding",
        ge=0.0,
        le=3.0,
    )
    capital_min: float = parameter(
        0.05,
        "Lowest starting capital of a firm founded during the run (those of the starting "
        "population hold firm.capital_buffer).",
        unit="quarters of revenue",
        group="founding",
        ge=0.0,
        le=100.0,
    )
    capital_max: float = parameter(
        0.3,
        "Highest starting capital of a firm founded during the run (drawn uniformly between "
        "min and max).",
        unit="quarters of revenue",
        group="founding",
        ge=0.0,
        le=100.0,
    )
    progressive_share: Share = parameter(
        0.5,
        "Share of firms seeking complementary (not similar) partners.",
        unit="share",
        group="founding",
    )
    # --- R&D and learning
    rd_cut_after_loss: Share = parameter(
        0.5,
        "Share of its own R&D a firm keeps in a quarter after a loss.",
        unit="share",
        group="R&D and learning",
    )
    grant_spending_rate: float = parameter(
        0.125,
        "Share of its unspent grant money a firm spends on R&D each quarter (1 / the mean "
        "project length in quarters): a grant funds a project, not one quarter's R&D.",
        unit="share per quarter",
        group="R&D and learning",
        gt=0.0,
        le=1.0,
    )
    grant_crowding_out: Share = parameter(
        1.0,
        "Share of a grant's non-absorbed part (1 - absorptive capacity) by which a firm cuts "
        "its own R&D: the grant replaces spending it would have made (crowding-out). A firm's "
        "R&D rises by grant x (1 - this x (1 - capacity)); no target identifies it.",
        unit="share",
        group="R&D and learning",
    )
    learning_own: float = parameter(
        0.15,
        "Knowledge per quarter per square root of R&D effort (own R&D + absorptive capacity "
        "x grants, over base revenue), split over the firm's domains.",
        unit="knowledge per quarter",
        group="R&D and learning",
        ge=0.0,
        le=5.0,
    )
    learning_partner: float = parameter(
        0.02,
        "Share of a partner's knowledge gap learnt per quarter.",
        unit="per quarter",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    learning_university: float = parameter(
        0.03,
        "Share of a university's knowledge gap learnt per quarter.",
        unit="per quarter",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    learning_spillover: float = parameter(
        0.005,
        "Share of the regional knowledge gap learnt per quarter.",
        unit="per quarter",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    learning_by_doing: float = parameter(
        0.02,
        "Knowledge gained in a domain by innovating in it.",
        unit="knowledge",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    obsolescence: float = parameter(
        0.025,
        "Knowledge lost per quarter in domains in use.",
        unit="share per quarter",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    expertise_decay: float = parameter(
        0.05,
        "Knowledge lost per quarter in domains not in use.",
        unit="share per quarter",
        group="R&D and learning",
        ge=0.0,
        le=1.0,
    )
    # --- innovation
    innovation_rate: float = parameter(
        0.15,
        "Base innovation hazard.",
        unit="events per quarter",
        group="innovation",
        ge=0.0,
        le=5.0,
    )
    knowledge_elasticity: float = parameter(
        0.4,
        "Elasticity of the innovation hazard to mean knowledge in own domains.",
        unit="elasticity",
        group="innovation",
        ge=0.0,
        le=3.0,
    )
    partner_effect: float = parameter(
        0.25,
        "Innovation hazard gain per ln(1 + partners).",
        unit="x",
        group="innovation",
        ge=0.0,
        le=5.0,
    )
    variety_effect: float = parameter(
        0.5,
        "Innovation hazard gain from related variety.",
        unit="x",
        group="innovation",
        ge=0.0,
        le=5.0,
    )
    innovation_absorptive_offset: float = parameter(
        0.5,
        "The innovation hazard scales with (offset + absorptive capacity).",
        unit="share",
        group="innovation",
        ge=0.0,
        le=10.0,
    )
    markup_per_innovation: float = parameter(
        0.08,
        "Revenue premium from one innovation.",
        unit="share of revenue",
        group="innovation",
        ge=0.0,
        le=5.0,
    )
    markup_decay: Share = parameter(
        0.1, "Share of the premium lost per quarter.", unit="per quarter", group="innovation"
    )
    # --- partner search
    partner_search_rate: float = parameter(
        0.08,
        "Base probability a firm looks for a partner per quarter, scaled by (offset + "
        "absorptive capacity) x (1 + cluster support).",
        unit="per quarter",
        group="partner search",
        ge=0.0,
        le=1.0,
    )
    search_absorptive_offset: float = parameter(
        0.5,
        "Partner search scales with (offset + absorptive capacity).",
        unit="share",
        group="partner search",
        ge=0.0,
        le=10.0,
    )
    candidates: int = parameter(
        6, "Candidates screened per search.", unit="count", group="partner search", ge=1, le=50
    )
    uniform_candidate_share: Share = parameter(
        0.5,
        "Share of candidates drawn uniformly among the destination's firms; the others by "
        "links + 1 (preferential attachment).",
        unit="share",
        group="partner search",
    )
    triadic_share: Share = parameter(
        0.3,
        "Share of candidates drawn among partners' partners, for firms that have partners.",
        unit="share",
        group="partner search",
    )
    acceptance_low: Share = parameter(
        0.2,
        "A firm links with its best candidate when the fit score beats a threshold drawn "
        "uniformly from [low, low + width].",
        unit="score",
        group="partner search",
    )
    acceptance_width: Share = parameter(
        0.6,
        "Width of the uniform acceptance threshold (see acceptance_low).",
        unit="score",
        group="partner search",
    )
    max_partners: int = parameter(
        12,
        "Links above which a firm stops searching for partners (links made by instruments "
        "and universities can exceed it).",
        unit="links",
        group="partner search",
        ge=1,
        le=1000,
    )
    link_decay: Share = parameter(
        0.04,
        "Probability a link dissolves per quarter.",
        unit="per quarter",
        group="partner search",
    )
    # --- diversification
    diversification_rate: float = parameter(
        0.03,
        "Probability a firm tries a new domain.",
        unit="per quarter",
        group="diversification",
        ge=0.0,
        le=1.0,
    )
    troubled_losses: int = parameter(
        2,
        "Consecutive loss quarters from which a firm counts as troubled.",
        unit="quarters",
        group="diversification",
        ge=1,
        le=400,
    )
    troubled_search_factor: float = parameter(
        3.0,
        "Troubled firms try new domains this many times as often.",
        unit="x",
        group="diversification",
        ge=0.0,
        le=100.0,
    )
    radical_share: Share = parameter(
        0.5,
        "Share of a troubled firm's attempts that are radical (any domain, as SKIN's radical "
        "research).",
        unit="share",
        group="diversification",
    )
    relatedness_exponent: float = parameter(
        1.5,
        "How strongly new domains are chosen by relatedness density.",
        unit="exponent",
        group="diversification",
        ge=0.0,
        le=10.0,
    )
    regional_relatedness_share: Share = parameter(
        0.8,
        "Weight of the region's relatedness density (its measured specialisations) against "
        "the density to the firm's own portfolio, in the density a firm diversifies and "
        "reviews its domains by.",
        unit="share",
        group="diversification",
    )
    diversification_relatedness: Share = parameter(
        1.0,
        "Scales the relatedness density in the choice and entry chance of a new domain (0: "
        "diversification ignores relatedness, an ablation).",
        unit="share",
        group="diversification",
    )
    entry_chance_base: Share = parameter(
        0.2,
        "Chance of entering the chosen domain at zero relatedness density (before complexity "
        "and absorptive capacity).",
        unit="probability",
        group="diversification",
    )
    entry_chance_relatedness: Share = parameter(
        0.8,
        "Added chance of entry per unit of relatedness density.",
        unit="probability",
        group="diversification",
    )
    entry_complexity_penalty: Share = parameter(
        0.5,
        "Entry chance falls by this share times the domain's complexity (0-1).",
        unit="share",
        group="diversification",
    )
    entry_knowledge_share: Share = parameter(
        0.2,
        "Knowledge a firm brings to a newly entered domain, as a share of its core knowledge "
        "(added to what it already knows of the domain).",
        unit="share",
        group="diversification",
    )
    portfolio_review_rate: Share = parameter(
        0.25,
        "Probability a diversified firm reviews one non-core domain.",
        unit="per quarter",
        group="diversification",
    )
    unrelated_drop_rate: Share = parameter(
        0.3,
        "Probability a reviewed domain is dropped, times (1 - its relatedness density).",
        unit="probability",
        group="diversification",
    )
    review_relatedness: Share = parameter(
        1.0,
        "Scales the relatedness density in the domain review's unrelated drop (0: the drop "
        "ignores relatedness, an ablation).",
        unit="share",
        group="diversification",
    )
    review_relatedness_exponent: float = parameter(
        4.0,
        "Exponent of (1 - relatedness density) in the domain review's unrelated drop: 1 is "
        "linear; larger values make the review spare related domains more sharply (a prior: "
        "no published target identifies it).",
        unit="exponent",
        group="diversification",
        ge=0.0,
        le=20.0,
    )
    # --- production and growth
    wage_share: float = parameter(
        0.94,
        "Operating costs as share of base revenue.",
        unit="share",
        group="production and growth",
        ge=0.0,
        le=2.0,
    )
    knowledge_premium: float = parameter(
        0.02,
        "Elasticity of revenue to mean knowledge in own domains, relative to the region's "
        "geometric mean (Hall, Mairesse & Mohnen 2010: output elasticities of R&D 0.01-0.25; "
        "at 0.05 1-year survival falls to 73 %, against T8's 82 %).",
        unit="elasticity",
        group="production and growth",
        ge=0.0,
        le=0.5,
    )
    competition: float = parameter(
        0.2,
        "Revenue scales with (market room / current firms) to this power; the room starts at "
        "the initial number of firms (firm.population_growth).",
        unit="exponent",
        group="production and growth",
        ge=0.0,
        le=2.0,
    )
    efficiency_persistence: Share = parameter(
        0.9,
        "Autocorrelation of a firm's efficiency shock.",
        unit="per quarter",
        group="production and growth",
    )
    efficiency_noise: float = parameter(
        0.14,
        "Std. dev. of quarterly efficiency innovations of a firm of one employee.",
        unit="log units",
        group="production and growth",
        ge=0.0,
        le=1.0,
    )
    revenue_noise: float = parameter(
        0.12,
        "Std. dev. of quarterly log-revenue shocks of a firm of one employee.",
        unit="log units",
        group="production and growth",
        ge=0.0,
        le=1.0,
    )
    relatedness_premium: float = parameter(
        0.15,
        "Revenue gain per unit of the region's relatedness density around a firm's core "
        "domain, above the mean of the region's firms (related local skills and suppliers; "
        "0: survival ignores relatedness, an ablation).",
        unit="share of revenue",
        group="production and growth",
        ge=0.0,
        le=2.0,
    )
    domain_demand_noise: float = parameter(
        0.05,
        "Std. dev. of quarterly innovations of each region x domain's log demand, which "
        "scales the revenue of the firms with their core there (markets rise and fall "
        "whatever their relatedness; 0 switches it off).",
        unit="log units",
        group="production and growth",
        ge=0.0,
        le=0.5,
    )
    domain_demand_persistence: Share = parameter(
        0.95,
        "Autocorrelation of each region x domain's log demand.",
        unit="per quarter",
        group="production and growth",
        le=0.999,
    )
    capital_buffer: float = parameter(
        1.0,
        "Capital reserve a firm keeps; the excess is paid out.",
        unit="quarters of revenue",
        group="production and growth",
        ge=0.0,
        le=100.0,
    )
    payout_rate: Share = parameter(
        0.25,
        "Share of capital above the buffer paid out per quarter.",
        unit="per quarter",
        group="production and growth",
    )
    growth_sensitivity: float = parameter(
        0.25,
        "Employment growth per unit of operating margin above the regional mean.",
        unit="x",
        group="production and growth",
        ge=0.0,
        le=20.0,
    )
    labour_market_tightness: float = parameter(
        0.15,
        "Pull of regional employment back to its initial level.",
        unit="per log unit",
        group="production and growth",
        ge=0.0,
        le=5.0,
    )
    growth_noise: float = parameter(
        0.25,
        "Std. dev. of the quarterly log-size shock (Laplace) of a firm of one employee.",
        unit="log units",
        group="production and growth",
        ge=0.0,
        le=1.0,
    )
    growth_shock_rate: float = parameter(
        0.5,
        "Probability per quarter that a firm's size gets a shock (of variance growth_noise^2 / "
        "rate): growth comes in lumps, so yearly growth rates are tent-shaped.",
        unit="per quarter",
        group="production and growth",
        gt=0.0,
        le=1.0,
    )
    noise_size_elasticity: float = parameter(
        0.2,
        "The spread of a firm's efficiency, revenue and log-size shocks scales as "
        "employees ** -elasticity (0: independent of size).",
        unit="elasticity",
        group="production and growth",
        ge=0.0,
        le=0.5,
    )
    growth_drift: float = parameter(
        0.3,
        "Drift of log size below the one that keeps expected size, per unit of the firm's "
        "log-size shock variance.",
        unit="x variance",
        group="production and growth",
        ge=0.0,
        le=5.0,
    )
    absorptive_adjustment: Share = parameter(
        0.03,
        "Speed at which absorptive capacity moves to its target.",
        unit="per quarter",
        group="production and growth",
    )
    absorptive_human_capital_effect: float = parameter(
        0.8,
        "Rise of a firm's absorptive-capacity target per unit rise of regional human capital "
        "above its start.",
        unit="x",
        group="production and growth",
        ge=0.0,
        le=10.0,
    )
    # --- entry and exit
    exit_losses: int = parameter(
        12,
        "Consecutive loss quarters that make a firm exit.",
        unit="quarters",
        group="entry and exit",
        ge=1,
        le=400,
    )
    startup_rate: Share = parameter(
        0.02,
        "Probability that an innovation spins out a start-up, times the crowding factor.",
        unit="probability",
        group="entry and exit",
    )
    entry_rate: float = parameter(
        0.03,
        "Independent entrants per firm per quarter, times the crowding factor.",
        unit="per firm per quarter",
        group="entry and exit",
        ge=0.0,
        le=1.0,
    )
    entry_crowding: float = parameter(
        3.0,
        "Crowding factor: entry scales with (market room / current firms) to this power; the "
        "room starts at the initial number of firms (firm.population_growth).",
        unit="exponent",
        group="entry and exit",
        ge=0.0,
        le=4.0,
    )
    population_growth: float = parameter(
        0.02,
        "Yearly growth, from quarter 0, of the number of firms a region's market makes room "
        "for (the reference of density-dependent entry and competition): the business "
        "population's trend. The EU's grows about 2 % a year (births 10.5 % against deaths "
        "8.5 %, Eurostat); 0 holds the number of firms at its start (model versions 4-6).",
        unit="per year",
        group="entry and exit",
        ge=0.0,
        le=0.1,
    )
    spinout_inheritance: Share = parameter(
        0.3,
        "Share of the parent firm's knowledge a spin-out starts with, on top of what an "
        "independent entrant to its core domain would know.",
        unit="share",
        group="entry and exit",
    )
    entrant_related_move: Share = parameter(
        0.2,
        "Share of independent entrants that, instead of copying a local firm's core domain, choose "
        "one as a diversifying firm would (by relatedness to that core and to the region).",
        unit="share",
        group="entry and exit",
    )
    entrant_knowledge_spread: Share = parameter(
        0.5,
        "An entrant's core knowledge is the mean knowledge in its domain of the region's firms "
        "active in it, times U(1 - spread, 1 + spread), plus the floor.",
        unit="share",
        group="entry and exit",
    )
    entrant_knowledge_floor: float = parameter(
        0.05,
        "Knowledge every entrant has in its core domain on top of the incumbents' share.",
        unit="knowledge",
        group="entry and exit",
        ge=0.0,
        le=100.0,
    )
    entrant_max_employees: int = parameter(
        6,
        "Entrants start with 1 to this many employees (uniformly).",
        unit="employees",
        group="entry and exit",
        ge=1,
        le=10_000,
    )

    @model_validator(mode="after")
    def _capital_range(self) -> FirmBehaviour:
        if self.capital_min > self.capital_max:
            raise ValueError(
                f"capital_min ({self.capital_min:g}) must not exceed capital_max "
                f"({self.capital_max:g})"
            )
        return self


class UniversityBehaviour(StrictTable):
    """Rates and coefficients of the university verbs."""

    strength_dispersion: float = parameter(
        0.6,
        "Log-s.d. of a university's strength across domains (lognormal with mean 1).",
        unit="log units",
        group="founding",
        ge=0.0,
        le=3.0,
    )
    specialisation_bonus: float = parameter(
        1.5,
        "A university's strength in its region's specialisations, relative to elsewhere.",
        unit="x",
        group="founding",
        ge=0.0,
        le=100.0,
    )
    transfer_dispersion: float = parameter(
        0.2,
        "Log-s.d. of a university's technology-transfer capacity around the region's value.",
        unit="log units",
        group="founding",
        ge=0.0,
        le=3.0,
    )
    infrastructure_depreciation: Share = parameter(
        0.02,
        "Share of the infrastructure gain in strength target lost per quarter.",
        unit="per quarter",
        group="research",
    )
    research_rate: Share = parameter(
        0.02,
        "Share of the gap to the funded strength target closed per quarter.",
        unit="per quarter",
        group="research",
    )
    graduates_per_strength: float = parameter(
        5.5,
        "Graduates per quarter per 1,000 employees per unit of mean research strength.",
        unit="graduates per 1,000 employees",
        group="graduates",
        ge=0.0,
        le=1e4,
    )
    graduate_growth: float = parameter(
        0.02,
        "Yearly growth of graduates per unit of research strength (tertiary education "
        "expands: the tertiary share of the EU's working-age population rose by about a third "
        "between 2008 and 2022); it drives the slow rise of human capital. A prior, "
        "calibrated against the EU's index gain (T3, T4); 0 switches the trend off.",
        unit="per year",
        group="graduates",
        ge=-0.1,
        le=0.2,
    )
    tertiary_ceiling: float = parameter(
        0.7,
        "The expansion's extra graduates fade as a region's tertiary share approaches this "
        "ceiling, so human capital does not rise without bound (a prior; no European "
        "region's working-age population is near fully tertiary-educated).",
        unit="share",
        group="graduates",
        gt=0.0,
        le=1.0,
    )
    human_capital_attrition: Share = parameter(
        0.02,
        "Share of skilled workers retiring or leaving per quarter.",
        unit="per quarter",
        group="graduates",
    )
    links_per_quarter: float = parameter(
        3.0,
        "Industry link attempts per quarter at full transfer capacity.",
        unit="links per quarter",
        group="technology transfer",
        ge=0.0,
        le=1000.0,
    )
    link_acceptance: float = parameter(
        2.0,
        "A firm accepts a link with probability acceptance x knowledge overlap x its "
        "absorptive capacity.",
        unit="x",
        group="technology transfer",
        ge=0.0,
        le=100.0,
    )
    spinoff_rate: float = parameter(
        1.0,
        "Spin-offs per quarter per unit of transfer capacity x mean strength (1: about one "
        "a year from a university of the moderate archetype; docs/ODD.md).",
        unit="per quarter",
        group="spin-offs",
        ge=0.0,
        le=10.0,
    )
    spinoff_inheritance: Share = parameter(
        0.3,
        "Share of the university's strength a spin-off starts with as knowledge.",
        unit="share",
        group="spin-offs",
    )
    spinoff_focus: float = parameter(
        2.0,
        "A spin-off's core domain is drawn in proportion to strength to this power.",
        unit="exponent",
        group="spin-offs",
        ge=0.0,
        le=20.0,
    )


class CitizenBehaviour(StrictTable):
    """Rates and coefficients of the citizen-group verbs."""

    challenges: int = parameter(
        4,
        "Societal-challenge domains a region's groups concentrate their needs on.",
        unit="domains",
        group="founding",
        ge=1,
        le=500,
    )
    needs_focus: Share = parameter(
        0.7,
        "Weight of the challenge domains in a group's needs.",
        unit="share",
        group="founding",
    )
    needs_background: Share = parameter(
        0.3,
        "Weight of needs spread over every domain.",
        unit="share",
        group="founding",
    )
    needs_spread: float = parameter(
        0.5,
        "Dirichlet concentration of the background needs (lower: more uneven).",
        unit="Dirichlet a",
        group="founding",
        gt=0.0,
        le=100.0,
    )
    initial_dispersion: float = parameter(
        0.05,
        "Std. dev. of groups' initial participation and trust around the region's values.",
        unit="share",
        group="founding",
        ge=0.0,
        le=1.0,
    )
    participation_adjustment: Share = parameter(
        0.05,
        "Speed of participation updating.",
        unit="per quarter",
        group="participation",
    )
    participation_base: Share = parameter(
        0.05,
        "Participation target without trust, open EDP or labs.",
        unit="share",
        group="participation",
    )
    participation_trust: Share = parameter(
        0.4, "Participation target per unit of trust.", unit="share", group="participation"
    )
    participation_open_edp: Share = parameter(
        0.2,
        "Participation target added by a quadruple-helix (open) EDP.",
        unit="share",
        group="participation",
    )
    participation_labs: Share = parameter(
        0.3,
        "Participation target added per unit of living-lab boost (boost capped at 1).",
        unit="share",
        group="participation",
    )
    social_innovation_rate: float = parameter(
        0.08,
        "Base social-innovation hazard per group.",
        unit="per quarter",
        group="social innovation",
        ge=0.0,
        le=5.0,
    )
    participation_offset: float = parameter(
        0.2,
        "The social-innovation hazard scales with (offset + participation).",
        unit="share",
        group="social innovation",
        ge=0.0,
        le=10.0,
    )
    network_effect: float = parameter(
        1.0,
        "Social-innovation hazard gain per ln(1 + links).",
        unit="x",
        group="social innovation",
        ge=0.0,
        le=10.0,
    )
    lab_effect: float = parameter(
        1.0,
        "Social-innovation hazard gain per unit of living-lab boost.",
        unit="x",
        group="social innovation",
        ge=0.0,
        le=10.0,
    )
    trust_offset: float = parameter(
        0.5,
        "The social-innovation hazard scales with (offset + trust).",
        unit="share",
        group="social innovation",
        ge=0.0,
        le=10.0,
    )
    lab_persistence: Share = parameter(
        0.9,
        "Share of the living-lab boost kept per quarter.",
        unit="per quarter",
        group="social innovation",
    )
    trust_adjustment: Share = parameter(
        0.05, "Speed of trust updating.", unit="per quarter", group="trust"
    )
    trust_base: Share = parameter(0.15, "Trust target's base level.", unit="share", group="trust")
    trust_alignment: Share = parameter(
        0.35,
        "Trust target per unit of alignment of priorities with the group's needs.",
        unit="share",
        group="trust",
    )
    trust_quality: Share = parameter(
        0.35,
        "Trust target per unit of institutional quality.",
        unit="share",
        group="trust",
    )
    trust_success: Share = parameter(
        0.15,
        "Trust target added in a quarter when the group co-created a social innovation.",
        unit="share",
        group="trust",
    )


class EdpWeights(StrictTable):
    """Weight of each actor type's signal in the EDP under one governance model (normalised)."""

    firms: Share = Field(description="Firms' knowledge and recent innovations.")
    universities: Share = Field(description="Universities' research strength.")
    citizens: Share = Field(description="Citizens' needs (scaled down when few take part).")
    government: Share = Field(description="The government's own preference for complex domains.")

    def vector(self) -> tuple[float, float, float, float]:
        return (self.firms, self.universities, self.citizens, self.government)


def _default_edp_weights() -> dict[Governance, EdpWeights]:
    return {
        Governance.top_down: EdpWeights(
            firms=0.25, universities=0.15, citizens=0.0, government=0.60
        ),
        Governance.triple_helix: EdpWeights(
            firms=0.45, universities=0.35, citizens=0.0, government=0.20
        ),
        Governance.quadruple_helix: EdpWeights(
            firms=0.35, universities=0.25, citizens=0.25, government=0.15
        ),
    }


class GovernmentBehaviour(StrictTable):
    """The regions' managing authorities: entrepreneurial discovery and budget absorption
    (per-region settings are in ``[regions.government]``)."""

    edp_weights: dict[Governance, EdpWeights] = Field(
        default_factory=_default_edp_weights,
        description="Signal weights per governance model (top_down, triple_helix, "
        "quadruple_helix).",
        json_schema_extra={"unit": "weight", "group": "entrepreneurial discovery"},
    )
    edp_innovation_signal: float = parameter(
        0.5,
        "Weight of recent innovations next to knowledge in the firms' EDP signal.",
        unit="x",
        group="entrepreneurial discovery",
        ge=0.0,
        le=10.0,
    )
    edp_relatedness_signal: float = parameter(
        0.5,
        "Weight of the region's relatedness density around a domain in the firms' EDP signal "
        "(priorities near what the region already does, as smart specialisation asks).",
        unit="x",
        group="entrepreneurial discovery",
        ge=0.0,
        le=10.0,
    )
    edp_full_participation: float = parameter(
        0.3,
        "Citizen participation at which the citizens' EDP weight is fully used (lower "
        "participation scales it down).",
        unit="share",
        group="entrepreneurial discovery",
        gt=0.0,
        le=1.0,
    )
    edp_noise: float = parameter(
        0.6,
        "Noise of priority scores, times (1 - institutional quality) and the scores' s.d.",
        unit="x",
        group="entrepreneurial discovery",
        ge=0.0,
        le=10.0,
    )
    absorption_floor: Share = parameter(
        0.25,
        "Share of committed money absorbed by an administration of quality 0.",
        unit="share",
        group="budget absorption",
    )
    absorption_quality: Share = parameter(
        0.75,
        "Absorbed share added per unit of institutional quality.",
        unit="share",
        group="budget absorption",
    )


class Dynamics(StrictTable):
    """Region-level processes shared by every region."""

    innovation_memory: Share = parameter(
        0.9,
        "Weight kept per quarter by the running count of innovations per region and domain "
        "(a mean lag of 9 quarters at 0.9, like multi-year patent windows), the firms' "
        "innovation signal in the EDP.",
        unit="per quarter",
        group="innovation record",
    )


class Initialisation(StrictTable):
    """How the starting state is drawn (shared by every region)."""

    core_nearness_floor: float = parameter(
        1.0,
        "When a firm's core is drawn outside the specialisations, every domain's weight is its "
        "mean proximity to them plus this floor.",
        unit="weight",
        group="firms",
        ge=0.0,
        le=100.0,
    )
    domain_layout: Literal["related", "unrelated"] = Field(
        "related",
        description="How the starting domains are drawn: 'related' (a region's "
        "specialisations are a random domain and its most related ones, the other firms' cores "
        "lie more often near them and large firms' second domains are related: a shortcut to "
        "the coherent regional economy the dynamics keep) or 'unrelated' (all three drawn "
        "uniformly, to test whether the dynamics produce the relatedness pattern). A region's "
        "own specialised_domains take precedence.",
    )
    firm_sizes: Literal["pareto", "equal"] = Field(
        "pareto",
        description="Initial firm sizes: 'pareto' (heavy-tailed with firm_size_exponent, a "
        "shortcut to a Zipf state) or 'equal' (every firm at the region's mean size, to test "
        "whether the dynamics produce the size distribution).",
    )
    firm_size_exponent: float = parameter(
        1.3,
        "Pareto exponent of initial firm sizes (Axtell 2001: about 1).",
        unit="exponent",
        group="firms",
        gt=1.0,
        le=10.0,
    )
    knowledge_dispersion: float = parameter(
        0.5,
        "Log-s.d. of initial core knowledge around the region's knowledge_level (lognormal "
        "with mean 1).",
        unit="log units",
        group="firms",
        ge=0.0,
        le=3.0,
    )
    diversified_size: float = parameter(
        20.0,
        "Initial firms with at least this many employees also hold a second, related domain.",
        unit="employees",
        group="firms",
        ge=1.0,
        le=1e6,
    )
    second_domain_knowledge: Share = parameter(
        0.5,
        "Knowledge in that second domain, as a share of the core knowledge.",
        unit="share",
        group="firms",
    )
    second_domain_focus: float = parameter(
        2.0,
        "The second domain is drawn in proportion to proximity to this power.",
        unit="exponent",
        group="firms",
        ge=0.0,
        le=20.0,
    )
    burn_in: int = parameter(
        40,
        "Quarters the model runs before quarter 0, under the burn-in mix, so that the run "
        "starts from the dynamics' own state rather than the drawn one; cumulative counts "
        "and the budget in euros start at quarter 0.",
        unit="quarters",
        group="burn-in",
        ge=0,
        le=400,
    )
    burn_in_mix: str = Field(
        "baseline",
        min_length=1,
        description="Bundled mix in force during the burn-in (the same for every compared mix, "
        "so that their runs share the state at quarter 0).",
    )
    warmup_rounds: int = parameter(
        40,
        "Rounds of partner search, university outreach and link dissolution before the first "
        "quarter, so that indicators do not open with a build-up of links no policy caused.",
        unit="rounds",
        group="network",
        ge=0,
        le=10_000,
    )


class Interregional(StrictTable):
    """Collaboration across regions."""

    openness: Share = parameter(
        0.1,
        "Share of partner candidates drawn outside the region at distance 0.",
        unit="share",
        group="partner search",
    )
    distance_decay: float = parameter(
        1.0,
        "Distance at which cross-region search falls to 1/e.",
        unit="distance units",
        group="partner search",
        gt=0.0,
        le=1e6,
    )


def _default_inclusiveness() -> dict[Governance, float]:
    return {
        Governance.top_down: 0.3,
        Governance.triple_helix: 0.7,
        Governance.quadruple_helix: 1.0,
    }


class PeerReview(StrictTable):
    """Peer review of S3 strategies between the regions of a scenario (S3 Platform style)."""

    enabled: bool = Field(
        False,
        description="Hold peer-review rounds (needs two regions or more).",
        json_schema_extra={"unit": "", "group": "rounds"},
    )
    period: int = parameter(
        8, "Quarters between review rounds.", unit="quarters", group="rounds", ge=1, le=400
    )
    peers: int = parameter(
        2, "Peers reviewing each region.", unit="regions", group="rounds", ge=1, le=50
    )
    selection: Literal["similar", "random", "leader_laggard"] = Field(
        "similar",
        json_schema_extra={"unit": "", "group": "rounds"},
        description="similar: closest innovation index; random; leader_laggard: laggards are "
        "reviewed by the best performers and leaders by the laggards.",
    )
    learning_rate: Share = parameter(
        0.3,
        "Share of the gap to better peers' mix closed per round, times the region's "
        "institutional quality.",
        unit="share per round",
        group="learning",
    )
    inclusiveness: dict[Governance, Share] = Field(
        default_factory=_default_inclusiveness,
        description="How inclusive reviewers judge each governance model (0-1), scoring the "
        "'governance' step.",
        json_schema_extra={"unit": "0-1", "group": "scoring"},
    )
    participation_offset: Share = parameter(
        0.5,
        "The governance score is inclusiveness x min(1, offset + citizen participation).",
        unit="share",
        group="scoring",
    )
