"""The indicator registry: every indicator the model reports, defined once.

Each :class:`Indicator` carries its name, monitoring group (context, output or result, after
Gianelle & Kleibrink 2015), unit, a plain-language label for reports and dashboards, how it
aggregates across regions and over time, and the function that produces its value per region
from the step's :class:`Measures`. Everything else derives from :data:`INDICATORS`: the
columns of the region table, the indicator groups, the instruments' output counters, how
experiments aggregate regions, the key indicators of plots and dashboards, report labels.

It imports NumPy and small modules, not Mesa, so the vocabulary loads without the model.
Formulas: docs/ODD.md §7.8; the measurement itself is ``model/measure.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from smartspec.scenarios.instruments import INSTRUMENTS

from .cis import CIS_INDICATORS
from .index import (
    INDEX_COMPONENT_NAMES,
    INDEX_COMPONENTS,
    annual_inputs,
    grant_points,
    index_contributions,
    innovation_index,
    year_contributions,
    year_index,
)

__all__ = [
    "DOMAIN_COLUMNS",
    "INDEX_COMPONENTS",
    "INDEX_COMPONENT_NAMES",
    "annual_inputs",
    "INDICATORS",
    "INDICATOR_GROUPS",
    "KEY_INDICATORS",
    "MODEL_REPORTER_INDICATORS",
    "OUTPUT_INDICATORS",
    "REGION_COLUMNS",
    "Indicator",
    "Measures",
    "index_contributions",
    "indicator",
    "innovation_index",
    "is_indicator",
    "label_of",
    "outcome_column",
    "phrase_of",
]


@dataclass
class Measures:
    """The per-region quantities of one step from which every indicator is produced
    (arrays over regions unless said otherwise); built by ``model/measure.py``."""

    firm_count: np.ndarray
    employment: np.ndarray
    revenue: np.ndarray
    gdp: np.ndarray  # value added of the firms represented (M€ per quarter)
    value_added_share: np.ndarray
    rd: np.ndarray
    rd_grants: np.ndarray  # the grant money spent on R&D this quarter
    absorptive: np.ndarray
    recent_innovators: np.ndarray
    partnered: np.ndarray
    innovators: np.ndarray
    held_knowledge: np.ndarray  # regions x domains
    specialised: np.ndarray  # regions x domains, bool
    previous_specialised: np.ndarray  # regions x domains, bool
    density_specialisations: np.ndarray
    density_priorities: np.ndarray
    priority_innovations: np.ndarray  # share of the running innovation count in priorities
    research_strength: np.ndarray
    eci: np.ndarray
    related_variety: np.ndarray
    unrelated_variety: np.ndarray
    network_density: np.ndarray
    network_clustering: np.ndarray
    links: np.ndarray
    mean_degree: np.ndarray
    largest_component_share: np.ndarray
    university_industry_links: np.ndarray
    citizen_links: np.ndarray
    human_capital: np.ndarray
    growth_kurtosis: np.ndarray  # of the quarter's log growth of firms of 2+ employees
    institutional_quality: np.ndarray
    citizen_participation: np.ndarray
    citizen_trust: np.ndarray
    citizen_participation_spread: np.ndarray  # s.d. across a region's groups
    committed: np.ndarray  # regions x instruments
    absorbed: np.ndarray  # regions x instruments
    committed_total: np.ndarray
    absorbed_total: np.ndarray
    priorities: list[str]
    counters: dict[str, np.ndarray]  # this step's counts (entries, outputs, ...), CIS shares
    # What the index averages over a year (``annual_inputs``) in the (up to) three quarters
    # before, each regions x (components + grant-funded R&D intensity).
    previous_components: list[np.ndarray]
    knowledge_flows: dict[str, np.ndarray]
    cache: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def safe_count(self) -> np.ndarray:
        return np.maximum(self.firm_count, 1.0)

    def value(self, name: str) -> Any:
        """The values of indicator ``name`` (computed once per step)."""
        if name not in self.cache:
            self.cache[name] = _BY_NAME[name].produce(self)
        return self.cache[name]


Group = Literal["context", "output", "result"]
#: How an indicator combines over regions: summed (counts, money) or averaged weighted by
#: employment (shares, rates, levels); "none" for text.
AcrossRegions = Literal["sum", "mean", "none"]
#: Its natural summary over a period: flows are summed, rates averaged, stocks read at the end.
OverTime = Literal["sum", "mean", "last", "none"]


@dataclass(frozen=True)
class Indicator:
    """One indicator of the region table."""

    name: str
    group: Group
    unit: str
    label: str
    across_regions: AcrossRegions
    over_time: OverTime
    produce: Callable[[Measures], Any]
    short: str = ""
    instrument: str | None = None


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.divide(top, bottom, out=np.zeros(len(bottom)), where=bottom > 0)


def _per_event(total: str, events: str) -> Callable[[Measures], np.ndarray]:
    """The quarter's counter ``total`` per event counted in ``events`` (NaN in a quarter
    without any)."""

    def produce(m: Measures) -> np.ndarray:
        count = m.counters[events]
        return np.divide(m.counters[total], count, out=np.full(len(count), np.nan), where=count > 0)

    return produce


def _count(name: str) -> Callable[[Measures], np.ndarray]:
    return lambda m: m.counters[name]


def _flow(source: str) -> Callable[[Measures], np.ndarray]:
    return lambda m: m.knowledge_flows[source]


# fmt: off
def _contribution_indicators() -> list[Indicator]:
    """The part of the composite index each component makes (they sum to the index)."""
    return [
        Indicator(f"index_part_{name}", "result", "index points",
                  f"Index points from {_BY_LABEL_HINT[name]}", "mean", "mean",
                  lambda m, name=name: year_contributions(m)[name])
        for name in INDEX_COMPONENTS
    ]
# fmt: on


_BY_LABEL_HINT = {
    "rd_intensity": "business R&D",
    "innovating_share": "innovating firms",
    "human_capital": "tertiary-educated workers",
    "partnership_share": "collaborating firms",
}


# fmt: off
def _instrument_indicators() -> list[Indicator]:
    """Money committed, then money absorbed, per instrument (columns of ``Measures``)."""
    flows = (("committed", "Budget committed to"), ("absorbed", "Budget absorbed by"))
    return [
        Indicator(f"{flow}_{name}", "output", "M€ per quarter",
                  f"{label} {name.replace('_', ' ')}", "sum", "sum",
                  lambda m, flow=flow, column=column: getattr(m, flow)[:, column],
                  instrument=name)
        for flow, label in flows
        for column, name in enumerate(INSTRUMENTS)
    ]
# fmt: on


#: The output counter of each instrument: (instrument, indicator, unit, label).
_OUTPUTS = (
    ("rd_grants", "firms_supported", "firms per quarter", "Firms receiving R&D grants"),
    ("innovation_vouchers", "vouchers_used", "vouchers per quarter", "Innovation vouchers used"),
    ("collaborative_rd", "projects_funded", "projects per quarter", "Collaborative projects"),
    ("cluster_support", "cluster_actions", "units per quarter", "Cluster support actions"),
    ("training", "trainees", "people per quarter", "People trained"),
    ("research_infrastructure", "infrastructure_units", "units per quarter", "Infrastructure"),
    ("startup_support", "startups_supported", "start-ups per quarter", "Start-ups supported"),
    ("public_procurement", "procurement_contracts", "units per quarter", "Procurement contracts"),
    ("living_labs", "living_labs_run", "labs per quarter", "Living labs run"),
    ("capacity_building", "capacity_actions", "units per quarter", "Capacity-building actions"),
)

_I = Indicator
# fmt: off
#: Every indicator, in the column order of the region table.
INDICATORS: tuple[Indicator, ...] = (
    _I("firms", "context", "firms", "Firms", "sum", "last",
       lambda m: m.firm_count.astype(np.int64), short="firms"),
    _I("entries", "context", "firms per quarter", "New firms", "sum", "sum", _count("entries")),
    _I("exits", "context", "firms per quarter", "Firm exits", "sum", "sum", _count("exits")),
    _I("spinoffs", "context", "firms per quarter", "Spin-offs (included in new firms)", "sum",
       "sum", _count("spinoffs")),
    _I("university_spinoffs", "context", "firms per quarter",
       "University spin-offs (included in spin-offs)", "sum", "sum", _count("university_spinoffs")),
    _I("employment", "context", "employees", "Employment", "sum", "last", lambda m: m.employment),
    _I("gdp", "context", "M€ per quarter", "Regional GDP (value added of the firms)", "sum",
       "mean", lambda m: m.gdp, short="GDP"),
    _I("rd_intensity", "result", "share of GDP", "Business R&D intensity (BERD / GDP)",
       "mean", "mean", lambda m: _ratio(m.rd, m.revenue) / m.value_added_share,
       short="BERD/GDP"),
    _I("rd_intensity_grants", "result", "share of GDP",
       "Grant-funded business R&D / GDP (grant money firms spent on R&D)", "mean", "mean",
       lambda m: _ratio(m.rd_grants, m.revenue) / m.value_added_share),
    _I("innovations", "result", "firms per quarter", "Innovations per quarter", "sum", "sum",
       lambda m: m.innovators.astype(np.int64)),
    _I("innovating_share", "result", "share of firms",
       "Share of firms that innovated in the last year", "mean", "mean",
       lambda m: m.recent_innovators / m.safe_count, short="innov. share"),
    *(_I(name, "result", "share of firms", label, "mean", "mean", _count(name))
      for name, label in CIS_INDICATORS),
    _I("knowledge_per_firm", "result", "knowledge units", "Knowledge per firm", "mean", "last",
       lambda m: m.held_knowledge.sum(axis=1) / m.safe_count),
    _I("partnership_share", "result", "share of firms",
       "Share of firms with a collaboration partner", "mean", "mean",
       lambda m: m.partnered / m.safe_count),
    _I("network_density", "context", "share of possible links", "Collaboration network density",
       "mean", "mean", lambda m: m.network_density, short="density"),
    _I("network_clustering", "context", "coefficient", "Collaboration network clustering",
       "mean", "mean", lambda m: m.network_clustering),
    _I("links", "context", "links", "Collaboration links", "sum", "last", lambda m: m.links),
    _I("mean_degree", "context", "links per agent", "Links per agent", "mean", "mean",
       lambda m: m.mean_degree),
    _I("largest_component_share", "context", "share of agents",
       "Share of agents in the largest connected group", "mean", "mean",
       lambda m: m.largest_component_share),
    _I("university_industry_link_share", "result", "share of links",
       "Share of links between firms and universities", "mean", "mean",
       lambda m: m.university_industry_links / np.maximum(m.links, 1)),
    _I("citizen_link_share", "result", "share of links", "Share of links with citizen groups",
       "mean", "mean", lambda m: m.citizen_links / np.maximum(m.links, 1)),
    _I("knowledge_flow_firm_firm", "result", "knowledge per quarter",
       "Knowledge learnt from partner firms", "sum", "sum", _flow("firm")),
    _I("knowledge_flow_university_firm", "result", "knowledge per quarter",
       "Knowledge learnt from universities", "sum", "sum", _flow("university")),
    _I("knowledge_flow_own_rd", "result", "knowledge per quarter",
       "Knowledge from own R&D", "sum", "sum", _flow("own")),
    _I("knowledge_flow_spillover", "result", "knowledge per quarter",
       "Knowledge from regional spill-overs", "sum", "sum", _flow("spillover")),
    _I("specialisations", "result", "domains", "Domains with RCA >= 1", "mean", "last",
       lambda m: m.specialised.sum(axis=1), short="RCA>=1"),
    _I("specialisation_entries", "result", "domains per quarter",
       "Domains newly specialised in (RCA crossing 1 upwards)", "sum", "sum",
       lambda m: (m.specialised & ~m.previous_specialised).sum(axis=1)),
    _I("specialisation_exits", "result", "domains per quarter",
       "Specialisations lost (RCA crossing 1 downwards)", "sum", "sum",
       lambda m: (~m.specialised & m.previous_specialised).sum(axis=1)),
    _I("domain_entries", "result", "entries per quarter", "Firms entering a new domain", "sum",
       "sum", _count("domain_entries")),
    _I("entry_relatedness", "result", "density 0-1",
       "Relatedness density of the domains firms entered to their portfolios", "mean", "mean",
       _per_event("entry_density", "domain_entries")),
    _I("entry_complexity", "result", "complexity 0-1",
       "Complexity of the domains firms entered", "mean", "mean",
       _per_event("entry_complexity", "domain_entries")),
    _I("domain_exits", "result", "exits per quarter", "Firms dropping a domain", "sum", "sum",
       _count("domain_exits")),
    _I("density_specialisations", "result", "density (0-1)",
       "Relatedness density around the specialisations", "mean", "mean",
       lambda m: m.density_specialisations),
    _I("density_priorities", "result", "density (0-1)",
       "Relatedness density around the priorities", "mean", "mean",
       lambda m: m.density_priorities),
    _I("priority_innovation_share", "result", "share of innovations",
       "Recent innovations in the priorities", "mean", "mean", lambda m: m.priority_innovations),
    _I("eci", "context", "standard deviations", "Economic complexity index", "mean", "mean",
       lambda m: m.eci),
    _I("related_variety", "context", "bits", "Related variety of employment", "mean", "mean",
       lambda m: m.related_variety),
    _I("unrelated_variety", "context", "bits", "Unrelated variety of employment", "mean", "mean",
       lambda m: m.unrelated_variety),
    _I("growth_kurtosis", "context", "excess kurtosis",
       "Excess kurtosis of firms' quarterly growth rates (tent shape)", "mean", "mean",
       lambda m: m.growth_kurtosis),
    _I("human_capital", "context", "share of employment", "Tertiary-educated workers", "mean",
       "last", lambda m: m.human_capital, short="hum. cap."),
    _I("research_strength", "context", "strength units", "Universities' research strength",
       "mean", "last", lambda m: m.research_strength),
    _I("absorptive_capacity", "context", "0-1", "Firms' absorptive capacity", "mean", "last",
       lambda m: m.absorptive / m.safe_count),
    _I("institutional_quality", "context", "0-1", "Institutional quality", "mean", "last",
       lambda m: m.institutional_quality),
    _I("social_innovations", "result", "per quarter", "Social innovations per quarter", "sum",
       "sum", _count("social_innovations")),
    _I("social_innovations_total", "result", "social innovations",
       "Social innovations (cumulative)", "sum", "last",
       _count("social_innovations_total"), short="soc. innov."),
    _I("citizen_participation", "context", "share", "Citizens taking part in the EDP", "mean",
       "mean", lambda m: m.citizen_participation),
    _I("citizen_participation_spread", "context", "share",
       "Spread (s.d.) of participation across citizen groups", "mean", "mean",
       lambda m: m.citizen_participation_spread),
    _I("citizen_trust", "context", "0-1", "Citizens' trust in government", "mean", "last",
       lambda m: m.citizen_trust, short="trust"),
    _I("budget_committed", "output", "M€ per quarter", "Budget committed", "sum", "sum",
       lambda m: m.committed.sum(axis=1)),
    _I("budget_absorbed", "output", "M€ per quarter", "Budget absorbed", "sum", "sum",
       lambda m: m.absorbed.sum(axis=1)),
    _I("absorption_rate", "output", "share of committed budget",
       "Budget absorption rate (cumulative)", "mean", "last",
       lambda m: _ratio(m.absorbed_total, m.committed_total), short="absorbed"),
    *_instrument_indicators(),
    *(
        _I(output, "output", unit, label, "sum", "sum", _count(output), instrument=instrument)
        for instrument, output, unit, label in _OUTPUTS
    ),
    _I("living_lab_priority_share", "output", "share of labs",
       "Living labs working on a priority domain", "mean", "mean",
       _per_event("labs_in_priorities", "living_labs_run")),
    _I("priorities", "result", "domain names", "Priority domains", "none", "none",
       lambda m: m.priorities),
    _I("innovation_index", "result", "EU reference = 100", "Composite innovation index",
       "mean", "mean", year_index, short="index"),
    *_contribution_indicators(),
    _I("index_part_rd_grants", "result", "index points",
       "Index points from grant money counted as business R&D", "mean", "mean", grant_points),
)
# fmt: on

_BY_NAME = {indicator.name: indicator for indicator in INDICATORS}

#: Columns of the region table (``EcosystemModel.indicators()``).
REGION_COLUMNS: list[str] = ["step", "region", *_BY_NAME]

#: S3 monitoring logic (Gianelle & Kleibrink 2015): context indicators describe the region as a
#: whole, output indicators what the instruments deliver, result indicators the change sought.
INDICATOR_GROUPS: dict[str, list[str]] = {
    group: [indicator.name for indicator in INDICATORS if indicator.group == group]
    for group in ("context", "output", "result")
}

#: The output indicator each instrument reports (counted units delivered).
OUTPUT_INDICATORS: dict[str, str] = {instrument: output for instrument, output, *_ in _OUTPUTS}

#: Shown in the one-page overview of a run and in the dashboard.
KEY_INDICATORS: tuple[str, ...] = (
    "innovation_index",
    "innovations",
    "specialisations",
    "network_density",
    "social_innovations_total",
    "absorption_rate",
)

#: Model-level series (all regions together) of Mesa's DataCollector and batch_run.
MODEL_REPORTER_INDICATORS: tuple[str, ...] = (
    "firms",
    "employment",
    "innovations",
    "social_innovations",
    "budget_absorbed",
    "innovation_index",
    "rd_intensity",
    "network_density",
)

#: Columns of the region x domain table (``EcosystemModel.domains()``).
DOMAIN_COLUMNS: list[str] = (
    "step region domain knowledge innovations employment rca specialised density priority "
    "complexity"
).split()


def indicator(name: str) -> Indicator:
    """The registry entry of ``name`` (KeyError names the known indicators)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown indicator {name!r} (known: {', '.join(_BY_NAME)})") from None


def is_indicator(name: str, numeric: bool = True) -> bool:
    """Whether ``name`` is an indicator (a numeric one unless ``numeric=False``)."""
    found = _BY_NAME.get(name)
    return found is not None and (not numeric or found.across_regions != "none")


def label_of(column: str, unit: bool = False) -> str:
    """Plain label of an indicator or outcome column ("final_x": "X at the end"); else column."""
    found = (p for p in _OUTCOME_PREFIXES if column.startswith(p) and column[len(p) :] in _BY_NAME)
    if (prefix := next(found, "")) == "" and column not in _BY_NAME:
        return column
    entry = _BY_NAME[column[len(prefix) :]]
    label, entry_unit, suffix = entry.label, entry.unit, _OUTCOME_PREFIXES.get(prefix, "")
    if prefix == "total_":  # a total is no rate: "Innovations (total over the run) (firms)"
        label = label.removesuffix(" per quarter")
        entry_unit = entry_unit.removesuffix("per quarter").strip() or "count"
    if suffix.startswith(" (") and label.endswith(")"):  # "(cumulative; mean of the ...)"
        label, suffix = label[:-1], "; " + suffix[2:]
    return f"{label}{suffix} ({entry_unit})" if unit else label + suffix


def phrase_of(column: str) -> str:
    """An indicator or outcome column as it reads inside a sentence: "the composite
    innovation index at the end", "the R&D intensity (business R&D / revenue) ..."."""
    label = label_of(column)
    if label == column:
        return column.replace("_", " ")
    first_word = label.split()[0]
    keeps_case = first_word.isupper() or first_word.startswith("R&D")  # acronyms stay
    return "the " + (label if keeps_case else label[0].lower() + label[1:])


def outcome_column(columns: list[str], name: str) -> str | None:
    """The outcome column that summarises indicator ``name`` among ``columns``: its mean over
    the last quarters, its final value or its total, whichever the results hold (in that
    order); None if none."""
    for prefix in _OUTCOME_PREFIXES:
        if f"{prefix}{name}" in columns:
            return f"{prefix}{name}"
    return None


_OUTCOME_PREFIXES = {
    "final_": " at the end",
    "mean_": " (mean of the last quarters)",
    "total_": " (total over the run)",
}
