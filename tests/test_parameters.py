"""Every numeric parameter of the schema is live: moving it between the ends of its range moves
some output beyond seed noise (issue 13, item 7; the rule is in smartspec.experiments.liveness
and docs/validation.md "Live parameters").

A parameter declared in the schema but not read by the model would let a sweep, a sensitivity
analysis or a calibration "fit" a number that does nothing. Each parameter is moved between the
ends of the calibration's prior range (default x (1 +/- 0.5) inside the schema) on the same
fixed seeds, in a scenario where it applies: one small region whose mix funds every instrument
(with a budget large enough for each instrument's capacity to bind, and quadruple-helix
governance so that every actor is heard), or the four ``europe`` regions with all three
governance models and peer review for the inter-regional and peer-review fields; a few
mechanisms get a setting where they act more often (``_WHERE``, ``_DIVERSIFYING``,
``_YEARLY_EDP``, ``_CROWDED``, ``_CAPITAL``). Three stages: every parameter on 8 seeds x 24
quarters, then the ones not shown live on 24 further seeds x 24 quarters, then the ones still
not shown live on 32 further seeds x 24 quarters, tested on the one output their mechanism acts
on directly (``PRIMARY_OUTPUTS``, declared before stage 3 first ran); slow mechanisms
(``_SLOW``) run the scenario's 56 quarters instead of 24 in every stage. Seeds, run lengths and
settings were each fixed once, by the CI budget and by where a mechanism acts, not tuned to the
verdicts; the exceptions are said where they are set.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartspec import load_scenario
from smartspec.experiments.liveness import (
    SIGN_PATTERNS,
    Liveness,
    exempt_reason,
    numeric_fields,
    paired_outputs,
    paired_verdict,
    primary_verdict,
    range_ends,
)
from smartspec.model.knowledge import KnowledgeSpace
from smartspec.scenarios import INSTRUMENTS, Governance, Scenario

#: Stage 1, every parameter: fixed seeds nothing was tuned to; eight give the sign-flip test
#: 256 patterns.
SEEDS = list(range(9101, 9109))
#: Quarters per run of stage 1: six years.
STEPS = 24
#: Stage 2, the parameters stage 1 did not show live: the next 24 seeds (so the two stages
#: are independent), the sign-flip p-values from 4 096 patterns drawn at random
#: (liveness.SIGN_PATTERNS), and the same six years: with longer runs (eight years: 835
#: CPU-seconds in all) the two stages do not fit the CI budget of about 6 minutes on 2 cores.
STAGE2_SEEDS = list(range(9109, 9133))
STAGE2_STEPS = 24
#: Stage 3, the parameters neither stage showed live: the next 32 seeds, the same six years,
#: and one output per parameter declared in advance (PRIMARY_OUTPUTS), tested alone.
STAGE3_SEEDS = list(range(9133, 9165))
STAGE3_STEPS = 24
#: Spread of the range: the calibration screening's prior (experiments/calibrate_archetypes.toml).
SPREAD = 0.5

_EQUAL_SHARES = {name: 1 / len(INSTRUMENTS) for name in INSTRUMENTS}
#: One region of 100 simulated firms, one per real firm, with the schema's largest budget
#: (5 % of GDP) and a rich economy, so that every instrument buys enough units to act.
_REGION = {
    "regions.0.firms": 100,
    "regions.0.represented_firms": 100,
    "regions.0.government.budget_share": 0.05,
    "regions.0.productivity": 1.0,
    "regions.0.government.governance": "quadruple_helix",
    "initial.burn_in": 0,
    "mix.shares": _EQUAL_SHARES,
}
#: The four europe regions, one per governance model (the fourth top-down), with peer review.
_EUROPE = {
    "regions.*.firms": 60,
    "regions.*.represented_firms": 60,
    "regions.*.government.budget_share": 0.05,
    "regions.*.productivity": 1.0,
    "regions.0.government.governance": "quadruple_helix",
    "regions.1.government.governance": "triple_helix",
    "regions.2.government.governance": "top_down",
    "peer_review.enabled": True,
    "initial.burn_in": 0,
    "mix.shares": _EQUAL_SHARES,
}
#: Fields that act only between regions, checked in europe.
_BETWEEN_REGIONS = ("interregional.", "peer_review.")
#: Mechanisms that a mix funding everything at a tenth each does not exercise enough, and the
#: one-region settings where they apply (prefix of the dotted path -> overrides).
_WHERE = {
    # Research infrastructure's gain outside the priorities: horizontal targeting.
    "instruments.research_infrastructure.horizontal_gain": {
        "mix.shares": {"research_infrastructure": 1.0},
        "instruments.research_infrastructure.targeting": "horizontal",
    },
    # Supported start-ups: the whole budget and enough would-be founders to spend it.
    "instruments.startup_support.": {
        "mix.shares": {"startup_support": 1.0},
        "instruments.startup_support.founders_per_skilled": 0.05,
    },
    # University spin-offs: a region of ten universities with a strong transfer office, so
    # that spin-offs are founded every quarter (one university founds one every few years).
    "university.spinoff_": {"regions.0.universities": 10, "regions.0.tech_transfer": 0.5},
    # The settings below were added after stage 4 showed these parameters not live, from a
    # diagnosis of why (2026-12-01, on seeds 20001-20064, none of this check's seeds): each
    # acts on a part of the region that the shared setting hardly has.
    # A second domain at founding and the innovation gain from a firm's own variety: only
    # firms of initial.diversified_size (20) employees or more start with a second domain,
    # about 5 % of the firms.
    "initial.second_domain_focus": {"initial.diversified_size": 1.0},
    "firm.variety_effect": {"initial.diversified_size": 1.0},
    # Which groups get a lab: with 8 groups of nearly equal participation the draw hardly
    # depends on the floor; 80 groups of more varied participation, and the whole budget.
    "instruments.living_labs.selection_floor": {
        "mix.shares": {"living_labs": 1.0},
        "regions.0.citizen_groups": 80,
        "citizens.initial_dispersion": 0.3,
    },
    # A university's transfer capacity: with the one university of the shared setting the
    # spread of capacities across universities is a single draw.
    "university.transfer_dispersion": {"regions.0.universities": 10},
    # A university's strengths across domains: firms accept its links by the overlap of their
    # knowledge with those strengths, and the one university of the shared setting offers
    # few links a quarter. Ten universities, as above. Set at model version 6, after stage 4
    # showed it not live in the shared setting (|t| 1.1); the diagnosis (seeds 20001-20032,
    # then 20033-20064, none of this check's) gave |t| 3.7 and 4.8 on its primary output.
    "university.strength_dispersion": {"regions.0.universities": 10},
    # How uneven background needs are: trust weighs priorities by the salience of needs (model
    # version 5), which many varied groups with living labs show (set at version 5, after
    # stage 4 showed it not live in the shared setting).
    "citizens.needs_spread": {
        "mix.shares": {"living_labs": 1.0},
        "regions.0.citizen_groups": 80,
        "citizens.initial_dispersion": 0.3,
    },
}
#: Density dependence acts when the number of firms is away from its start, which it hardly
#: is in six years of the default region: twice the entry rate moves it (the crowding factors
#: then hold it back). Set after stage 3 first showed that in the shared setting these
#: crowding exponents moved nothing (|t| 0.1 in their primary outputs).
_CROWDED = {"firm.entry_rate": 0.06}
_CROWDING = ("firm.competition", "firm.entry_crowding")
#: The entrants' coefficients (the domain independent entrants choose, the spread of what
#: entrants know) act on the new firms only, about 60 in six years of the shared setting:
#: checked with the same doubled entry rate. Set on 2026-12-02 at model version 7, after stage
#: 4 showed both not live in the shared setting (|t| 1.88 and 0.55), from their mechanism.
_ENTRANTS = ("firm.entrant_related_move", "firm.entrant_knowledge_spread")
#: Mechanisms whose effect builds up over years, checked over the scenario's own horizon (56
#: quarters) instead of six years: the labour market's pull acts on the gap between
#: employment and the labour force, which grows slowly; the spread of entrants' knowledge
#: acts on the entrants, whose share of the firms grows with the run. Set on 2026-12-02 at
#: model version 7, after stage 4 showed both not live over six years (|t| 1.19 and 0.55).
_SLOW = ("firm.labour_market_tightness", "firm.entrant_knowledge_spread")
SLOW_STEPS = load_scenario("emerging").steps


def _steps(path: str, steps: int) -> int:
    """The quarters of a run of ``path``'s check in any stage: ``steps``, or the scenario's
    horizon for the slow mechanisms."""
    return SLOW_STEPS if path in _SLOW else steps


#: The capital route to exit acts where firms can run out of capital: the archetype's own
#: productivity, not the rich economy of the shared setting. Set after stage 3 first showed
#: that the rich economy leaves them nothing to act on (|t| 0.0 and 0.4 in exits).
#: firm.capital_max, the other end of the same start-up capital draw, joined them at model
#: version 7, when stages 1 and 2 of the shared setting first missed it.
_CAPITAL = ("firm.capital_min", "firm.capital_max", "instruments.startup_support.effect")
#: Radical diversification is a move of troubled firms (repeated losses), which the rich economy
#: hardly has: checked with diversification's tries at the archetype's own productivity. Set at
#: model version 5, after stage 4 showed it not live in the rich economy (|t| 0.0).
_TROUBLED = ("firm.radical_share",)
#: Diversification's coefficients act on the firms that try a new domain and on the reviews
#: of diversified firms: at the default 3 % tries a quarter a region of 100 firms enters about
#: one domain a quarter, so these are checked with ten times as many tries.
_DIVERSIFYING = {"firm.diversification_rate": 0.3}
_DIVERSIFICATION = (
    "firm.radical_share",
    "firm.relatedness_exponent",
    "firm.diversification_relatedness",
    "firm.entry_chance_",
    "firm.entry_complexity_penalty",
    "firm.troubled_search_factor",
    "firm.portfolio_review_rate",
    "firm.unrelated_drop_rate",
    "firm.review_relatedness",
    # Complexities act on firms through the entry chance of the domains they try, as the
    # penalty above does (set at model version 6, with the entry_complexity output below).
    "knowledge.complexity_shape",
)
#: The EDP's inputs act when it revises the priorities: a round a year instead of every four
#: years (the first round is in the first quarter).
_YEARLY_EDP = {"regions.0.government.revision_period": 4}
_EDP_INPUTS = ("government.edp_", "dynamics.innovation_memory")


def _setting(path: str, proximity_csv: str) -> tuple[str, dict]:
    """The scenario and overrides in which ``path`` applies."""
    if path.startswith(_BETWEEN_REGIONS):
        return "europe", _EUROPE
    if path == "knowledge.family_cut":  # families of a proximity matrix read from CSV
        return "emerging", {**_REGION, "knowledge.matrix_csv": proximity_csv}
    for governance in Governance:
        # Each governance model's EDP weights act only in a region governed that way.
        if path.startswith(f"government.edp_weights.{governance.value}."):
            governed = {"regions.0.government.governance": governance.value}
            return "emerging", {**_REGION, **_YEARLY_EDP, **governed}
    if path.startswith(_EDP_INPUTS):
        return "emerging", {**_REGION, **_YEARLY_EDP}
    if path in _TROUBLED:
        return "emerging", {**_REGION, **_DIVERSIFYING, **_own_productivity()}
    if path.startswith(_DIVERSIFICATION):
        return "emerging", {**_REGION, **_DIVERSIFYING}
    if path.startswith(_CROWDING + _ENTRANTS):
        return "emerging", {**_REGION, **_CROWDED}
    if path in _CAPITAL:
        return "emerging", {**_REGION, **_setting_where(path), **_own_productivity()}
    if _setting_where(path):
        return "emerging", {**_REGION, **_setting_where(path)}
    for name in INSTRUMENTS:
        # An instrument's coefficients are checked with the whole budget on that instrument.
        if path.startswith(f"instruments.{name}."):
            return "emerging", {**_REGION, "mix.shares": {name: 1.0}}
    return "emerging", _REGION


def _own_productivity() -> dict:
    """The archetype's own productivity, where firms can run out of capital or into losses."""
    return {"regions.0.productivity": load_scenario("emerging").regions[0].productivity}


def _setting_where(path: str) -> dict:
    """The overrides of ``_WHERE`` that apply to ``path`` (empty if none)."""
    return next((overrides for prefix, overrides in _WHERE.items() if path.startswith(prefix)), {})


def _proximity_csv(folder: Path) -> str:
    """The synthetic proximity matrix written as a CSV file."""
    space = KnowledgeSpace.from_spec(load_scenario("emerging").knowledge)
    path = folder / "proximity.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *space.names])
        for name, row in zip(space.names, space.proximity, strict=True):
            writer.writerow([name, *(f"{value:.6f}" for value in row)])
    return str(path)


def parameters() -> dict[str, float | int]:
    """Dotted path -> default of every numeric field the check covers: the one-region
    scenario's fields, plus europe's inter-regional and peer-review fields; exempt fields
    left out."""
    fields = {
        path: value
        for path, value in numeric_fields("emerging").items()
        if not path.startswith(_BETWEEN_REGIONS)
    }
    fields.update(
        (path, value)
        for path, value in numeric_fields("europe").items()
        if path.startswith(_BETWEEN_REGIONS)
    )
    return {path: value for path, value in fields.items() if exempt_reason(path) is None}


def _check(
    path: str,
    default: float | int,
    scenario: str,
    overrides: dict,
    seeds: list[int],
    steps: int,
    primary: str | None = None,
) -> tuple[str, tuple | None, Liveness | None]:
    ends = range_ends(scenario, path, default, SPREAD)
    if ends is None:
        return path, None, None
    # The synthetic input data's fields act through the draw of that data: each seed draws
    # its own, the same at both ends.
    input_draws = path.startswith("knowledge.")
    steps = _steps(path, steps)
    low, high = paired_outputs(scenario, overrides, path, ends, seeds, steps, input_draws)
    if primary is None:
        return path, ends, paired_verdict(high, low)
    # One region: its output columns are "statistic:indicator:region".
    column = next((name for name in high.columns if name.startswith(f"{primary}:")), primary)
    return path, ends, primary_verdict(high, low, column)


@dataclass(frozen=True)
class Checked:
    """A parameter's range and its verdict in stage 1, in stage 2 when stage 1 did not show
    it live, and in stage 3 (its primary output) when neither did."""

    path: str
    ends: tuple | None
    first: Liveness | None
    second: Liveness | None = None
    third: Liveness | None = None

    @property
    def live(self) -> bool:
        verdicts = (self.first, self.second, self.third)
        return any(verdict is not None and verdict.live for verdict in verdicts)


def check_all(folder: Path) -> list[Checked]:
    """The verdict of every parameter, checked in parallel on the machine's cores: stage 1
    for every parameter, stage 2 (more seeds) for those stage 1 did not show live, and
    stage 3 (further seeds, the primary output alone) for those with a primary output that
    neither showed live; each stage starts as soon as the one before is done."""
    items = parameters()
    proximity_csv = _proximity_csv(folder)
    workers = min(len(items), os.cpu_count() or 1)
    context = multiprocessing.get_context("spawn")
    found: dict[str, Checked] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending = {
            pool.submit(_check, path, default, *_setting(path, proximity_csv), SEEDS, STEPS)
            for path, default in items.items()
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                path, ends, verdict = future.result()
                setting = _setting(path, proximity_csv)
                if path not in found:
                    found[path] = Checked(path, ends, verdict)
                    if verdict is not None and not verdict.live:
                        second = (STAGE2_SEEDS, STAGE2_STEPS)
                        pending.add(pool.submit(_check, path, items[path], *setting, *second))
                elif found[path].second is None:
                    found[path] = replace(found[path], second=verdict)
                    if not verdict.live and path in PRIMARY_OUTPUTS:
                        third = (STAGE3_SEEDS, STAGE3_STEPS, PRIMARY_OUTPUTS[path][0])
                        pending.add(pool.submit(_check, path, items[path], *setting, *third))
                else:
                    found[path] = replace(found[path], third=verdict)
    return [found[path] for path in items]


def test_every_numeric_field_is_covered_or_exempt_with_a_reason():
    """Every numeric field of both scenarios is either checked or exempt; the exemptions
    match fields that exist."""
    covered = parameters()
    assert len(covered) > 200
    every = {**numeric_fields("emerging"), **numeric_fields("europe")}
    for path in every:
        # europe's other regions have the fields of the one region checked.
        as_first_region = re.sub(r"^regions\.\d+\.", "regions.0.", path)
        assert path in covered or as_first_region in covered or exempt_reason(path), path
    assert {"steps", "knowledge.seed", "regions.0.firms"} <= set(every) - set(covered)


#: Parameters this check does not show live in any stage (p-value above 0.05), with the
#: largest |t| and p-value it measured in each stage: a known shortfall of the
#: check's power within its CI budget, not a finding that they do nothing (docs/validation.md,
#: "Live parameters"). The list is strict: a parameter that becomes live, or one that stops
#: being live, fails the test until the list is updated. Figures measured at model version 5
#: for the entries kept from it, at version 6 for those added by it, and on 2026-12-02 at
#: version 8 for those added by it. Version 8 (no noise in the synthetic knowledge space) drew
#: other random paths: six entries of version 7's list became live in CI's stages
#: (knowledge.noise, knowledge.complexity_shape, firm.radical_share,
#: firm.entrant_knowledge_spread, government.edp_innovation_signal,
#: initial.core_nearness_floor) and seven that were live are not shown live (below);
#: citizens.needs_background, which stages 1 and 2 missed too (stage 2 p 0.051), got a
#: declared output and stage 3 shows it live.
NOT_SHOWN_LIVE: dict[str, str] = {
    "citizens.needs_spread": (
        "stage 1 |t| 4.6, p 0.09; stage 2 |t| 2.8, p 0.25; stage 3 |t| 0.1, p 0.93"
    ),
    # Not shown live since model version 6 (2026-12-01); the entry above is kept from
    # version 5 with version 5's figures (the check prints only what changed).
    "firm.knowledge_premium": (
        "stage 1 |t| 3.3, p 1.00; stage 2 |t| 3.4, p 0.29; stage 3 |t| 2.0, p 0.054"
    ),
    # Not shown live since model version 8 (2026-12-02).
    "instruments.startup_support.effect": (
        "stage 1 |t| 3.0, p 0.81; stage 2 |t| 3.3, p 0.23; stage 3 |t| 0.8, p 0.45"
    ),
    "firm.capital_min": (
        "stage 1 |t| 3.8, p 0.73; stage 2 |t| 2.9, p 0.72; stage 3 |t| 1.4, p 0.19"
    ),
    "firm.uniform_candidate_share": (
        "stage 1 |t| 3.8, p 0.39; stage 2 |t| 2.8, p 0.98; stage 3 |t| 1.2, p 0.25"
    ),
    "firm.max_partners": (
        "stage 1 |t| 2.6, p 1.00; stage 2 |t| 2.7, p 0.75; stage 3 |t| 1.9, p 0.068"
    ),
    "firm.entrant_related_move": (
        "stage 1 |t| 4.0, p 0.11; stage 2 |t| 3.5, p 0.20; stage 3 |t| 1.2, p 0.25"
    ),
    "government.edp_weights.quadruple_helix.government": (
        "stage 1 |t| 4.0, p 0.58; stage 2 |t| 3.7, p 0.19; stage 3 |t| 1.4, p 0.16"
    ),
    "government.edp_relatedness_signal": (
        "stage 1 |t| 4.6, p 0.16; stage 2 |t| 2.8, p 0.52; stage 3 |t| 1.4, p 0.17"
    ),
}


#: The output each parameter's mechanism acts on directly, declared from the mechanism (not
#: from the results) before stage 3 ran, with why: "mean:" is the mean over the run, "end:"
#: the last quarter. Stage 3 tests this output alone for the parameters neither family-wise
#: stage showed live. Seven were re-declared on 2026-12-01, after stage 4, where a diagnosis
#: found that the first choice could not see the mechanism (docs/validation.md, "Live
#: parameters"): absorptive_concentration, second_domain_focus, growth_shock_rate,
#: transfer_dispersion, challenges and the two living-lab fields; the new outputs were chosen
#: on seeds 20001-20032 and confirmed on 20033-20064, not on this check's seeds.
#: firm.markup_decay's was declared then too, when the new growth_kurtosis output moved it
#: out of stage 1 (its |t| there was on an unrelated output: a chance pass).
PRIMARY_OUTPUTS: dict[str, tuple[str, str]] = {
    # Declared on 2026-12-01, when the two new indicators' outputs made stage 2's family-wise
    # test miss it at p 0.052 (from the mechanism, before its stage 3 ran).
    "interregional.openness": (
        "mean:largest_component_share",
        "candidates drawn in other regions make cross-region links, which join the regions' "
        "components",
    ),
    # Declared at model version 5, when stages 1 and 2 first missed them (from the mechanism,
    # before their stage 3 ran).
    "initial.core_nearness_floor": (
        "mean:specialisations",
        "a higher floor spreads the founding firms' cores over more domains",
    ),
    "firm.spinout_inheritance": (
        "mean:knowledge_per_firm",
        "the share of the parent's knowledge a spin-out starts with",
    ),
    # Re-declared on 2026-12-02 at model version 7, with twice the entry rate and the
    # scenario's horizon (_ENTRANTS, _SLOW), after stage 4 missed the earlier declarations
    # (exits, |t| 0.55; mean:firms, |t| 0.38): the spread is symmetric, so only what is
    # convex in it can move, and what a firm learns from a partner is the positive part of
    # their knowledge gap, which a wider spread of knowledge enlarges. Chosen on seeds
    # 20001-20032 (|t| 4.0) and 20033-20064 (3.8), the same output first on both; confirmed
    # on 20065-20096 (2.7).
    "firm.entrant_knowledge_spread": (
        "mean:knowledge_flow_firm_firm",
        "what firms learn from partners is the positive part of the knowledge gap, which a "
        "wider spread of entrants' knowledge enlarges",
    ),
    "university.links_per_quarter": (
        "mean:university_industry_link_share",
        "the links universities offer firms each quarter",
    ),
    # Re-declared on 2026-12-01: the spread does not move mean participation (it is
    # symmetric; clipping at 0 and 1 hardly acts), so stage 4 could not see it; the new
    # citizen_participation_spread indicator measures what it sets (|t| 10.7 on seeds
    # 20001-20032, 13.7 on 20033-20064).
    "citizens.initial_dispersion": (
        "mean:citizen_participation_spread",
        "the spread of the groups' starting participation",
    ),
    # Re-declared at model version 8, whose default noise is 0 (its range 0-0.5): clipped at
    # 0, wide noise raises the mean proximity between distant families (0.05 at 0, about
    # 0.15 at 0.5), so firms diversify more across families (|t| 3.4 and 5.6 on seeds
    # 20001-20032 and 20033-20064; the specialisations' density, the earlier declaration,
    # 4.0 and 2.5).
    "knowledge.noise": (
        "mean:unrelated_variety",
        "wide noise raises the proximity between distant families, so firms diversify more "
        "across families",
    ),
    # Re-declared at model version 6 (2026-12-01): the penalty is linear in complexity and
    # complexities have mean 0.5 at any shape, so the number of entries (the first
    # declaration) cannot move; the complexity of the domains entered, E[c (1 - p c)] /
    # E[1 - p c], falls as their variance rises. The new entry_complexity indicator measures
    # it (|t| 1.5 and 5.1 on seeds 20001-20032 and 20033-20064 with diversification's tries).
    "knowledge.complexity_shape": (
        "mean:entry_complexity",
        "a wider spread of complexities lets the entry-complexity penalty keep firms out of "
        "more of the complex domains they try",
    ),
    "knowledge.world_share_concentration": (
        "mean:specialisations",
        "the world portfolio is RCA's denominator, which decides the domains with RCA >= 1",
    ),
    # Re-declared on 2026-12-02 at model version 7 (stage 3 |t| 0.1 on the first declaration,
    # priority_innovation_share): grants that leak outside the priorities go to applicants
    # drawn uniformly, not by merit, so the same grants reach more distinct firms; chosen on
    # seeds 20001-20032 (|t| 2.9), confirmed on 20033-20064 (2.8).
    "instruments.rd_grants.misallocation": (
        "mean:firms_supported",
        "leaked grants go to applicants drawn uniformly rather than by merit, so they reach "
        "more distinct firms",
    ),
    "instruments.research_infrastructure.effect": (
        "mean:research_strength",
        "it multiplies the rise of the universities' strength target",
    ),
    "instruments.research_infrastructure.priority_gain": (
        "mean:research_strength",
        "the rise of the strength target per unit in the priorities",
    ),
    "instruments.research_infrastructure.horizontal_gain": (
        "mean:research_strength",
        "the rise of the strength target per unit in every domain",
    ),
    "instruments.startup_support.effect": (
        "mean:exits",
        "it multiplies supported start-ups' extra capital, which keeps them from the capital exit",
    ),
    "instruments.living_labs.selection_floor": (
        "mean:citizen_participation",
        "which groups get labs, and labs raise the groups' participation up to a cap",
    ),
    "instruments.living_labs.non_priority_weight": (
        "mean:living_lab_priority_share",
        "which need a lab works on: a priority one, or a more pressing other one",
    ),
    "initial.second_domain_knowledge": (
        "mean:knowledge_per_firm",
        "the knowledge firms start with in their second domain",
    ),
    "initial.second_domain_focus": (
        "mean:specialisations",
        "how related the second domains drawn are to the core: closer ones spread the "
        "region's firms over fewer domains",
    ),
    "initial.warmup_rounds": ("mean:links", "rounds of link formation before quarter 0"),
    # Declared on 2026-12-01 at model version 6, when stage 2 missed it (p 0.063): the output
    # was stage 1's largest, and the mechanism says why; stage 3's seeds are not stage 1's.
    "initial.firm_size_exponent": (
        "mean:related_variety",
        "a heavier-tailed start puts employment in fewer firms, so in fewer domains of a family",
    ),
    "firm.absorptive_concentration": (
        "mean:knowledge_flow_own_rd",
        "the spread of absorptive capacity, which scales (non-linearly) what own R&D teaches",
    ),
    "firm.rd_intensity_dispersion": (
        "mean:knowledge_flow_own_rd",
        "the spread of R&D spending, whose knowledge return is concave",
    ),
    "firm.capital_min": ("mean:exits", "the lowest starting capital: the capital route to exit"),
    # Declared at model version 7, when stages 1 and 2 first missed it (the mechanism's
    # output, as capital_min's).
    "firm.capital_max": ("mean:exits", "the highest starting capital: the capital route to exit"),
    "firm.expertise_decay": ("mean:knowledge_per_firm", "knowledge lost in unused domains"),
    "firm.variety_effect": ("mean:innovations", "the innovation hazard's gain from variety"),
    "firm.uniform_candidate_share": (
        "mean:partnership_share",
        "uniform instead of preferential candidates spread links over more firms",
    ),
    "firm.triadic_share": ("mean:network_clustering", "partners' partners close triangles"),
    "firm.acceptance_low": ("mean:links", "the fit threshold of accepting a partner"),
    "firm.max_partners": ("mean:links", "the number of links above which firms stop searching"),
    "firm.troubled_losses": (
        "mean:domain_entries",
        "troubled firms search for new domains more often",
    ),
    # Re-declared on 2026-12-01: unrelated variety is an employment measure that a few
    # radical entries hardly move; the new entry_relatedness indicator measures the
    # relatedness of the domains entered (|t| 3.2 on seeds 20001-20032, 2.5 on 20033-20064).
    "firm.radical_share": (
        "mean:entry_relatedness",
        "radical attempts enter any domain, unrelated ones included",
    ),
    "firm.entry_knowledge_share": (
        "mean:knowledge_per_firm",
        "the knowledge a firm starts with in a domain it enters",
    ),
    "firm.knowledge_premium": (
        "mean:knowledge_per_firm",
        "revenue follows knowledge, so firms with little of it fail first",
    ),
    "firm.competition": ("mean:exits", "revenue falls as the number of firms rises"),
    "firm.revenue_noise": ("mean:exits", "revenue shocks make the loss streaks that end firms"),
    # Re-declared on 2026-12-02 at model version 7, after stage 4 missed it on the first
    # declaration (|t| 1.98): the premium moves revenue, and so employment, towards firms in
    # domains related to the region's, which the employment spread across unrelated families
    # measures; chosen on seeds 20001-20032 (|t| 6.3), confirmed on 20033-20064 (5.9).
    "firm.relatedness_premium": (
        "mean:unrelated_variety",
        "firms in domains related to the region's fare better, so employment leaves the "
        "families unrelated to the region's activity",
    ),
    # Checked over the scenario's horizon since 2026-12-02 (_SLOW); the declaration is the
    # first one (|t| 4.7, 3.6 and 5.1 on seeds 20001-20096 at 56 quarters).
    "firm.labour_market_tightness": (
        "end:employment",
        "the pull of employment back to the labour force",
    ),
    "firm.markup_decay": (
        "mean:gdp",
        "how fast innovation rents (markups) erode: the region's value added",
    ),
    "firm.growth_shock_rate": (
        "mean:growth_kurtosis",
        "lumpier size shocks: the same variance in fewer, larger moves (fatter tails)",
    ),
    "firm.noise_size_elasticity": (
        "mean:exits",
        "how much noisier small firms are than large ones, and most firms are small",
    ),
    "firm.entry_crowding": ("mean:entries", "entry falls as the number of firms rises"),
    # Re-declared on 2026-12-02 at model version 7, with the doubled entry rate (_ENTRANTS),
    # after stage 4 missed the first declaration (related variety, |t| 1.88): moving entrants
    # choose domains by relatedness to the region, so the domains that become specialisations
    # are related to those it holds. Chosen on seeds 20001-20032 (|t| 4.7), confirmed on
    # 20033-20064 (2.6) and 20065-20096 (3.6).
    "firm.entrant_related_move": (
        "mean:density_specialisations",
        "entrants that move choose domains related to the region's, so its new specialisations "
        "are related to those it holds",
    ),
    "university.strength_dispersion": (
        "mean:university_industry_link_share",
        "links are accepted by the overlap of firms' knowledge and universities' strengths",
    ),
    "university.transfer_dispersion": (
        "mean:knowledge_flow_university_firm",
        "the transfer capacity (lognormal: a wider spread raises its mean) scales what firms "
        "learn from universities",
    ),
    "university.infrastructure_depreciation": (
        "mean:research_strength",
        "the infrastructure's gain in strength target lost per quarter",
    ),
    "university.link_acceptance": (
        "mean:university_industry_link_share",
        "the probability that a firm accepts a university's link",
    ),
    "citizens.challenges": (
        "end:citizen_trust",
        "how concentrated groups' needs are, and so how well priorities meet them (trust)",
    ),
    # Declared at model version 8 (2026-12-02), when stages 1 and 2 first missed it (stage 2
    # p 0.051), from its mechanism: |t| 10.9 on seeds 20001-20256, none of this check's.
    "citizens.needs_background": (
        "end:citizen_trust",
        "how much of a group's needs lies outside the societal challenges, and so how well "
        "priorities meet its salient ones (trust)",
    ),
    "citizens.needs_spread": (
        "end:citizen_trust",
        "how uneven the background needs are, and so which priorities meet a group's salient ones",
    ),
    "government.edp_weights.triple_helix.universities": (
        "mean:priority_innovation_share",
        "priorities weighted towards research strength move away from where firms innovate",
    ),
    "government.edp_weights.triple_helix.government": (
        "mean:priority_innovation_share",
        "priorities weighted towards complex domains move away from where firms innovate",
    ),
    "government.edp_weights.quadruple_helix.government": (
        "mean:priority_innovation_share",
        "priorities weighted towards complex domains move away from where firms innovate",
    ),
    "government.edp_innovation_signal": (
        "mean:priority_innovation_share",
        "the weight of recent innovations in the firms' signal to the EDP",
    ),
    "government.edp_relatedness_signal": (
        "mean:density_priorities",
        "the weight of relatedness density in the firms' signal to the EDP",
    ),
    "government.edp_noise": (
        "mean:priority_innovation_share",
        "noisier scores pick priorities less tied to where firms innovate",
    ),
    "dynamics.innovation_memory": (
        "mean:priority_innovation_share",
        "how long past innovations count in the EDP's signal (and in this share)",
    ),
}


def _figures(verdict: Liveness) -> str:
    if not verdict.output:
        return "identical outputs at both ends"
    return f"largest |t| {verdict.t:.1f} ({verdict.output}), p {verdict.p_value:.3f}"


@pytest.mark.slow
def test_every_numeric_parameter_moves_an_output_beyond_seed_noise(tmp_path):
    start = time.perf_counter()
    checked = check_all(tmp_path)
    no_range = [item.path for item in checked if item.ends is None]
    assert not no_range, f"no room in the schema to move: {no_range}"
    not_live = {
        item.path: f"{item.ends}: stage 1 {_figures(item.first)}; stage 2 {_figures(item.second)}"
        + (f"; stage 3 {_figures(item.third)}" if item.third else "")
        for item in checked
        if not item.live
    }
    seconds = time.perf_counter() - start
    newly_dead = {path: text for path, text in not_live.items() if path not in NOT_SHOWN_LIVE}
    now_live = sorted(set(NOT_SHOWN_LIVE) - set(not_live))
    # Both lists in one message, so that one run says every change.
    assert not newly_dead and not now_live, (
        f"not live ({seconds:.0f} s): {newly_dead}; live now, remove from NOT_SHOWN_LIVE: "
        f"{now_live}"
    )


#: Stage 4, offline (``make test-offline``; about 15 minutes on 2 cores, beyond the CI budget):
#: the parameters of NOT_SHOWN_LIVE on 1,024 further seeds, the same run lengths, their
#: primary output alone. 256 seeds (9165-9420) until 2026-12-02, set before the stage first
#: ran as the most that fits a few minutes; raised to 1,024 (9165-10188) on that day, before
#: they ran, because weak parameters sat near |t| 2 on 256 seeds (citizens.needs_spread 2.8 at
#: model version 7, 1.90 in the first trial of version 8), so the verdict was a draw of the seeds:
#: four times the seeds doubles |t| for a real effect and leaves a parameter that only shifts
#: the random stream at p <= alpha (docs/validation.md, "Live parameters").
OFFLINE_SEEDS = list(range(9165, 10189))
#: Parameters stage 4 does not show live either, with its |t| and p-value on the primary
#: output. A strict list, as NOT_SHOWN_LIVE.
NOT_LIVE_IN_STAGE_4: dict[str, str] = {}


def _check_offline(path: str, proximity_csv: str) -> tuple[str, tuple | None, Liveness | None]:
    default = parameters()[path]
    setting = _setting(path, proximity_csv)
    return _check(path, default, *setting, OFFLINE_SEEDS, STAGE3_STEPS, PRIMARY_OUTPUTS[path][0])


@pytest.mark.offline
def test_parameters_not_shown_live_in_ci_on_1024_seeds(tmp_path):
    """Stage 4: NOT_SHOWN_LIVE on 1,024 further seeds, primary output. The ones it shows live
    are weak, not dead; the rest are listed in NOT_LIVE_IN_STAGE_4."""
    proximity_csv = _proximity_csv(tmp_path)
    paths = list(NOT_SHOWN_LIVE)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
        results = list(pool.map(_check_offline, paths, [proximity_csv] * len(paths)))
    not_live = {
        path: f"|t| {verdict.t:.2f}, p {verdict.p_value:.2f}"
        for path, _, verdict in results
        if not verdict.live
    }
    # A joined string: pytest shortens a long dict in its message, and each figure is wanted.
    assert set(not_live) == set(NOT_LIVE_IN_STAGE_4), "; ".join(
        f"{path}: {figures}" for path, figures in not_live.items()
    )


def test_parameters_are_scenario_fields_that_sweeps_can_reach():
    """Each parameter is a dotted scenario path: load_scenario takes it as an override, the
    way experiment files, sweeps and calibration set it."""
    for path, default in parameters().items():
        scenario, _ = _setting(path, "proximity.csv")
        assert isinstance(load_scenario(scenario, overrides={path: default}), Scenario)


def _outputs(rng: np.random.Generator, shift: float = 0.0, seeds: int = 8) -> pd.DataFrame:
    """``seeds`` (eight) x 200 noisy outputs, the first moved by ``shift``."""
    values = rng.standard_normal((seeds, 200))
    values[:, 0] += shift
    return pd.DataFrame(values, columns=[f"output {i}" for i in range(200)])


def test_noise_alone_is_not_live_however_many_outputs_pass_two_standard_errors():
    """A parameter that only reshuffles the random stream: many of 200 outputs exceed
    2 standard errors by chance, and the family test still says no, in most draws."""
    rng = np.random.default_rng(5)
    verdicts = [paired_verdict(_outputs(rng), _outputs(rng)) for _ in range(40)]
    assert all(verdict.t > 2.0 for verdict in verdicts)
    assert sum(verdict.live for verdict in verdicts) <= 6  # 5 % expected, 2 binomial s.d.


def test_a_real_move_of_one_output_among_many_is_live():
    rng = np.random.default_rng(6)
    verdict = paired_verdict(_outputs(rng, shift=6.0), _outputs(rng))
    assert verdict.live and verdict.output == "output 0" and verdict.p_value <= 4 / 256


def test_identical_runs_are_not_live():
    outputs = _outputs(np.random.default_rng(7))
    assert not paired_verdict(outputs, outputs.copy()).live


def test_sampled_sign_patterns_give_the_exact_p_value_within_monte_carlo_error():
    """Fourteen seeds have 16 384 sign patterns: the p-value from 4 096 drawn ones is the
    exact one up to the draw's error."""
    assert 2**14 > SIGN_PATTERNS
    rng = np.random.default_rng(8)
    high, low = _outputs(rng, shift=1.0, seeds=14), _outputs(rng, seeds=14)
    exact = paired_verdict(high, low, patterns=2**14)
    sampled = paired_verdict(high, low)
    assert 0.02 < exact.p_value < 0.5  # in the range where the draw matters
    assert (sampled.t, sampled.output) == (exact.t, exact.output)
    # The reported p-value is twice the smaller of two, each a share of 4 097 patterns.
    error = 2.0 * np.sqrt(exact.p_value / 2 * (1 - exact.p_value / 2) / SIGN_PATTERNS)
    assert abs(sampled.p_value - exact.p_value) < 4 * error + 2 / (SIGN_PATTERNS + 1)


def test_sampled_sign_patterns_keep_noise_out_and_find_a_real_move():
    """With 24 seeds (stage 2): noise alone is live in about 5 % of draws, and a real move of
    one output among 200 is live with the smallest p-value drawn patterns can give."""
    rng = np.random.default_rng(9)
    noise = [paired_verdict(_outputs(rng, seeds=24), _outputs(rng, seeds=24)) for _ in range(40)]
    assert sum(verdict.live for verdict in noise) <= 6  # 5 % expected, 2 binomial s.d.
    assert all(verdict.p_value >= 2 / (SIGN_PATTERNS + 1) for verdict in noise)
    moved = paired_verdict(_outputs(rng, shift=3.0, seeds=24), _outputs(rng, seeds=24))
    assert moved.live and moved.output == "output 0"
    assert moved.p_value == pytest.approx(2 / (SIGN_PATTERNS + 1))


def test_a_declared_output_alone_is_tested_without_a_family_correction():
    """Stage 3: a move of 1.5 s.d. in one declared output of 32 seeds is live on that output
    (about 6 standard errors); noise alone in the declared output is live in about 5 % of
    draws; a missing or constant output is never live."""
    rng = np.random.default_rng(10)
    high, low = _outputs(rng, shift=1.5, seeds=32), _outputs(rng, seeds=32)
    declared = primary_verdict(high, low, "output 0")
    assert declared.live and declared.output == "output 0" and declared.t > 2.0
    noise = [
        primary_verdict(_outputs(rng, seeds=32), _outputs(rng, seeds=32), "output 0")
        for _ in range(60)
    ]
    assert sum(verdict.live for verdict in noise) <= 8  # 5 % expected, 2 binomial s.d.
    assert not primary_verdict(high, low, "no such output").live
    constant = high.assign(**{"output 1": 1.0}), low.assign(**{"output 1": 1.0})
    assert not primary_verdict(*constant, "output 1").live


def test_every_parameter_not_shown_live_has_a_declared_output_in_the_registry():
    """Stage 3 reaches every parameter the first two stages cannot show live, on an output that
    exists."""
    from smartspec.model.indicators import INDICATORS

    names = {entry.name for entry in INDICATORS}
    assert set(NOT_SHOWN_LIVE) <= set(PRIMARY_OUTPUTS)
    assert set(PRIMARY_OUTPUTS) <= set(parameters())
    for output, reason in PRIMARY_OUTPUTS.values():
        statistic, name = output.split(":")
        assert statistic in ("mean", "end") and name in names and reason, output
