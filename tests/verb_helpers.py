"""Shared helpers of the verb tests: test_firm_verbs.py, test_university_verbs.py,
test_government_verbs.py, test_citizen_verbs.py and test_instruments.py (docs/ODD.md §7).

Each test builds a small one-region model (:data:`REGION`), sets the state it needs directly
in the population arrays, starts a step (:func:`start_step`), runs the verbs that precede the
verb under test in the order of its population's ``VERBS`` and checks the documented
mechanism. Random mechanisms are checked statistically over many agents or draws, with
margins wide enough to hold for any seed. Where a check needs a behavioural coefficient, it
reads it from ``model.spec`` (the scenario), never a copy of its default value.

``tests/`` is not a package: pytest puts it on ``sys.path``, so the test files import this
module by name.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable

import numpy as np
from conftest import REGION, make_model  # noqa: F401 - the shared model factory, re-exported

from smartspec import EcosystemModel
from smartspec.model.firm import FirmStep
from smartspec.model.indicators import OUTPUT_INDICATORS
from smartspec.model.instruments import INSTRUMENT_MECHANISMS
from smartspec.scenarios import INSTRUMENTS
from smartspec.scenarios.schema import Governance

GOVERNANCE = list(Governance)


def start_step(model: EcosystemModel) -> None:
    """What ``EcosystemModel.step`` does first: advance the step counter, zero the step's
    counters and take the regional sums the verbs read. ``refresh`` makes the model recompute
    the sums from the state a test has just set, instead of reusing those of the last data
    collection."""
    model.steps += 1
    model.refresh()
    model.begin_step()


def priority_model(overrides: dict | None = None, targeting: dict | None = None, **kwargs):
    """A model whose priorities are the most widely held domains, at the start of a step."""
    model = make_model(overrides, targeting=targeting, **kwargs)
    set_priorities(model)
    start_step(model)
    return model


# ----------------------------------------------------------------------------- firms
def run_firm_verbs(model: EcosystemModel, until: str) -> FirmStep:
    """Prepare a firm step and run the firm verbs that precede ``until`` in ``Firms.VERBS``;
    returns the step's state for the verb under test."""
    firms = model.firms
    state = firms.prepare()
    for verb in firms.VERBS[1 : firms.VERBS.index(until)]:
        getattr(firms, verb)(state)
    return state


def live(model: EcosystemModel) -> np.ndarray:
    """Slots of the live firms."""
    return np.flatnonzero(model.firms.alive[: model.firms.size])


def new_slots(model: EcosystemModel, before: int) -> np.ndarray:
    """Live firms in slots from ``before`` on (founded since the firm count was ``before``)."""
    slots = np.arange(before, model.firms.size)
    return slots[model.firms.alive[slots]]


def clone_firm(model: EcosystemModel, source: np.ndarray, target: np.ndarray) -> None:
    """Give firms ``target`` the same state as firms ``source`` (identity stays)."""
    firms = model.firms
    for name in firms.fields:
        array = getattr(firms, name)
        array[target] = array[source]


def agreeable(model: EcosystemModel) -> None:
    """Make every firm conservative with the same knowledge, so that every candidate scores 1
    and (nearly) every search ends in a new link: links gained then count searches."""
    firms, slots = model.firms, live(model)
    firms.progressive[slots] = False
    firms.knowledge[slots] = firms.knowledge[slots].mean(axis=0)


def search_rounds(model: EcosystemModel, rounds: int) -> np.ndarray:
    """Links gained by each (initially unlinked) live firm over ``rounds`` partner searches.
    Knowledge is reset before each search so that learning does not make some firms more
    attractive candidates than others."""
    firms = model.firms
    slots, knowledge = live(model), firms.knowledge.copy()
    for _ in range(rounds):
        state = run_firm_verbs(model, "seek_partners")
        firms.knowledge[:] = knowledge
        firms.seek_partners(state)
    return degree(model, slots)


def innovation_counts(model: EcosystemModel, groups: list[np.ndarray], rounds: int) -> list[int]:
    """Innovations per group of firms over ``rounds`` repetitions of the same quarter."""
    firms = model.firms
    knowledge, markup = firms.knowledge.copy(), firms.markup.copy()
    counts = [0] * len(groups)
    for _ in range(rounds):
        firms.knowledge[:] = knowledge
        firms.markup[:] = markup
        state = run_firm_verbs(model, "innovate")
        firms.innovate(state)
        for index, group in enumerate(groups):
            counts[index] += int(firms.innovated[group].sum())
    return counts


# --------------------------------------------------------------------------- network
def clear_network(model: EcosystemModel) -> None:
    model.network.keep(np.zeros(len(model.network), dtype=bool))


def degree(model: EcosystemModel, slots: np.ndarray) -> np.ndarray:
    """Links of each firm in ``slots`` (all link types)."""
    return model.network.degree(model.nodes.capacity)[model.firms.uid[slots]]


def neighbours(model: EcosystemModel, uid: int) -> set[int]:
    u, v = model.network.u, model.network.v
    return set(v[u == uid].tolist()) | set(u[v == uid].tolist())


# ---------------------------------------------------------------------------- policy
def set_priorities(model: EcosystemModel, count: int = 2) -> np.ndarray:
    """Make the ``count`` domains held by most firms the region's priorities (before
    ``start_step``, which refreshes who is a priority member)."""
    firms = model.firms
    held = firms.portfolio[: firms.size][firms.alive[: firms.size]].sum(axis=0)
    domains = np.sort(np.argsort(-held, kind="stable")[:count])
    model.governments.priorities[0] = False
    model.governments.priorities[0, domains] = True
    return domains


def members(model: EcosystemModel, slots: np.ndarray) -> np.ndarray:
    """Whether each firm is active in a priority domain of region 0."""
    priorities = model.governments.priorities[0]
    return (model.firms.portfolio[slots] & priorities).any(axis=1)


def deliver(model: EcosystemModel, name: str, units: float, region: int = 0) -> None:
    """Deliver ``units`` of instrument ``name`` in ``region`` now (no budget, no delay)."""
    params = model.spec.instruments[name]
    INSTRUMENT_MECHANISMS[name].deliver(model.policy_targets, region, units, params)


def capacity(model: EcosystemModel, name: str, region: int = 0) -> float:
    """Units of instrument ``name`` the eligible applicants of ``region`` can take up."""
    params = model.spec.instruments[name]
    return INSTRUMENT_MECHANISMS[name].capacity(model.policy_targets, region, params)


def output(model: EcosystemModel, name: str, region: int = 0) -> float:
    """This step's output counter of instrument ``name`` (firms supported, labs run, ...)."""
    return float(model.regions.outputs[OUTPUT_INDICATORS[name]][region])


# -------------------------------------------------------------------- verb order
def record_calls(population, verbs: Iterable[str], monkeypatch) -> list[tuple[str, tuple]]:
    """Wrap the methods ``verbs`` of ``population`` (on the instance) so that each call is
    recorded as ``(verb, args)`` before it runs; returns the list of records."""
    calls: list[tuple[str, tuple]] = []
    for verb in verbs:
        method = getattr(population, verb)

        def wrapper(*args, _verb=verb, _method=method, **kwargs):
            calls.append((_verb, args))
            return _method(*args, **kwargs)

        monkeypatch.setattr(population, verb, wrapper)
    return calls


# ---------------------------------------------------------------------- determinism
#: Settings under which every stochastic verb has something to draw: high rates, many links
#: and groups, and instruments without delay (money absorbed this quarter is delivered now).
DETERMINISM = {
    "firm.innovation_rate": 0.3,
    "firm.diversification_rate": 0.3,
    "firm.entry_rate": 0.05,
    "university.spinoff_rate": 10.0,
    "university.links_per_quarter": 100.0,
    "regions.0.tech_transfer": 1.0,
    "citizens.social_innovation_rate": 3.0,
    "regions.0.citizen_groups": 40,
    **{f"instruments.{name}.delay": 0 for name in INSTRUMENTS},
}


def fingerprint(model: EcosystemModel) -> list[np.ndarray]:
    """Copies of every agent array, the links and the region state verbs write."""
    regions = model.regions
    arrays = [
        model.network.keys.copy(),
        regions.skilled.copy(),
        regions.capacity_bonus.copy(),
        regions.cluster_boost.copy(),
        regions.procurement_pull.copy(),
        *(values.copy() for values in regions.outputs.values()),
    ]
    for population in (model.firms, model.universities, model.governments, model.citizens):
        for name in population.fields:
            arrays.append(getattr(population, name)[: population.size].copy())
    return arrays


def same_state(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def step_argument(model: EcosystemModel, owner: str):
    """What the verbs of population ``owner`` take (if anything): what its ``step`` takes;
    for firms, the state ``prepare`` returns."""
    return {
        "universities": model.firms,
        "governments": model.policy_targets,
        "citizens": model.governments,
    }.get(owner)


def verb_outcome(owner: str, verb: str, extra_draws: int = 0) -> tuple[list[np.ndarray], bool]:
    """The state after running ``verb`` of population ``owner`` (``"firms"``, ...) and the
    verbs before it in its ``VERBS``, and whether ``verb`` drew from the model's random
    streams (its own, partner search's or an instrument's); those streams are advanced by
    ``extra_draws`` draws just before ``verb``."""
    model = make_model(DETERMINISM, seed=3)
    clear_network(model)
    start_step(model)
    model.governments.quality[0] = 0.0  # the noisiest EDP
    population = getattr(model, owner)
    argument = step_argument(model, owner)
    drew = False
    for name in population.VERBS[: population.VERBS.index(verb) + 1]:
        if name == verb:
            for stream in _streams_of(model, population, verb).values():
                stream.random(extra_draws)
            before = _states(_streams_of(model, population, verb))
        method = getattr(population, name)
        takes = len(inspect.signature(method).parameters)
        result = method(*([argument] if takes else []))
        if name == "prepare":
            argument = result
        if name == verb:
            drew = _states(_streams_of(model, population, verb)) != before
    return fingerprint(model), drew


def _streams_of(model, population, verb: str) -> dict:
    """The random streams a verb may draw from: its own, partner search's and the
    instruments'."""
    names = [f"{type(population).__name__}.{verb}", "FirmDirectory"]
    names += [f"instrument.{name}" for name in INSTRUMENTS]
    return {name: model.streams(name) for name in names}


def _states(streams: dict) -> dict:
    return {name: copy.deepcopy(stream.bit_generator.state) for name, stream in streams.items()}


def check_determinism(owner: str, verb: str, stochastic: bool) -> None:
    """A verb gives the same result from the same model generator; it draws from that
    generator if and only if it is ``stochastic``, and then other generator states give other
    results (a verb that draws nothing gives the same result whatever the state)."""
    first, drew = verb_outcome(owner, verb)
    again, _ = verb_outcome(owner, verb)
    assert same_state(first, again)
    assert drew == stochastic, f"{owner}.{verb} drew: {drew}"
    shifted = [verb_outcome(owner, verb, shift)[0] for shift in ((1, 7, 50) if drew else (7,))]
    if stochastic:
        assert not all(same_state(first, state) for state in shifted)
    else:
        assert all(same_state(first, state) for state in shifted)
