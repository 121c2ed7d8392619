"""Every behavioural parameter of the schema is live: changing it changes what the model does.

A parameter declared in the schema but not read by the model would let a sweep, a sensitivity
analysis or a calibration "fit" a number that does nothing. Each parameter is moved away from
its default in small scenarios that exercise every mechanism (several regions with all three
governance models, every instrument funded and delivering within the run, peer review, a
proximity matrix read from CSV), and some table of the run must change.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartspec import EcosystemModel, load_scenario
from smartspec.experiments.calibration.screening import BEHAVIOURAL_TABLES
from smartspec.experiments.calibration.screening import (
    behavioural_parameters as screened_parameters,
)
from smartspec.model.knowledge import KnowledgeSpace
from smartspec.scenarios import INSTRUMENTS, Scenario

pytestmark = pytest.mark.slow

STEPS = 8
#: Every instrument gets a tenth of the budget and takes effect after one quarter.
_EVERYTHING = {
    "regions.*.firms": 90,
    # One simulated firm per real one, so that capacities bind with so few firms.
    "regions.*.represented_firms": 90,
    "regions.*.government.budget_share": 0.05,  # the most the schema allows
    # A rich economy (GDP ~30 M€ a year for 90 firms), so that 5 % of GDP buys enough units
    # for the instruments' capacities to bind.
    "regions.*.productivity": 1.0,
    "initial.burn_in": 0,
    "regions.0.government.governance": "quadruple_helix",
    "regions.1.government.governance": "triple_helix",
    "regions.2.government.governance": "top_down",
    "regions.*.government.revision_period": 3,
    "peer_review.enabled": True,
    "peer_review.period": 2,
    "steps": STEPS,
    **{f"instruments.{name}.delay": 1 for name in INSTRUMENTS},
}
_EQUAL_SHARES = {name: 1 / len(INSTRUMENTS) for name in INSTRUMENTS}


#: Where a move by half the default is invisible within a short run, a move that makes the
#: mechanism bind: capacities below demand, caps below what is reached, floors and weights
#: large enough to reorder choices.
_MOVES = {
    "firm.density_floor": 0.5,
    "firm.radical_share": 1.0,
    "firm.weak_domain_share": 0.9,
    "firm.capital_buffer": 0.0,
    "firm.payout_rate": 1.0,
    "firm.capital_min": 0.0,
    "firm.capital_max": 3.0,
    "firm.exit_losses": 2,
    "government.edp_innovation_signal": 10.0,
    "government.edp_relatedness_signal": 10.0,
    "instruments.research_infrastructure.units_per_university": 0.1,
    "instruments.startup_support.effect": 0.0,
    "instruments.capacity_building.max_units": 1.0,
    "instruments.capacity_building.max_absorptive_bonus": 0.0001,
}


def _variants(tmp: Path) -> dict[str, dict]:
    horizontal = {f"instruments.{name}.targeting": "horizontal" for name in INSTRUMENTS}
    return {
        "priority": dict(_EVERYTHING),
        "horizontal": {**_EVERYTHING, **horizontal},
        "csv matrix": {**_EVERYTHING, "knowledge.matrix_csv": str(_proximity_csv(tmp))},
        # Firms start with little capital and keep no reserve, so that capital (and what adds
        # to or drains it) decides exits within the run.
        "thin capital": {
            **_EVERYTHING,
            "firm.capital_min": 0.0,
            "firm.capital_max": 0.3,
            "firm.capital_buffer": 0.0,
        },
    }


def _proximity_csv(folder: Path) -> Path:
    space = KnowledgeSpace.from_spec(load_scenario("europe").knowledge)
    path = folder / "proximity.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *space.names])
        for name, row in zip(space.names, space.proximity, strict=True):
            writer.writerow([name, *(f"{value:.6f}" for value in row)])
    return path


def behavioural_parameters() -> dict[str, float | int]:
    """Dotted path -> default of every field declared with a unit (the behavioural
    parameters), including the per-governance EDP weights and review inclusiveness, and the
    starting values of the knowledge space and regions (the calibration's screening reads the
    same fields, without those two tables)."""
    tables = ("knowledge", "initial", *BEHAVIOURAL_TABLES)
    return screened_parameters("europe", tables)


def _moved(path: str, default: float | int) -> float | int:
    """A value away from the default, inside the field's allowed range."""
    if path in _MOVES:
        return _MOVES[path]
    if isinstance(default, int):
        candidates = [default + 1, default - 1]
    else:
        candidates = [default * 1.5, default * 0.5] if default else [0.1, 0.01]
    for value in candidates:
        try:
            load_scenario("europe", overrides={path: value})
        except ValueError:
            continue
        return value
    raise AssertionError(f"no valid value near the default of {path}")


def _tables(overrides: dict) -> list[pd.DataFrame]:
    model = EcosystemModel("europe", rng=11, mix="baseline", **overrides)
    governments = model.governments
    governments.shares[: model.n_regions] = np.array([_EQUAL_SHARES[name] for name in INSTRUMENTS])
    model.run_for(STEPS)
    return [model.indicators(), model.domains(), pd.DataFrame(model.peer_reviews)]


def _same(first: list[pd.DataFrame], second: list[pd.DataFrame]) -> bool:
    return all(a.equals(b) for a, b in zip(first, second, strict=True))


def test_every_behavioural_parameter_changes_the_model(tmp_path):
    parameters = behavioural_parameters()
    assert len(parameters) > 100
    variants = _variants(tmp_path)
    baselines = {name: _tables(overrides) for name, overrides in variants.items()}
    dead = []
    for path, default in parameters.items():
        value = _moved(path, default)
        if not any(
            not _same(_tables({**overrides, path: value}), baselines[name])
            for name, overrides in variants.items()
        ):
            dead.append(f"{path} ({default} -> {value})")
    assert not dead, f"parameters that change nothing: {dead}"


def test_parameters_are_scenario_fields_that_sweeps_can_reach():
    """Each parameter is a dotted scenario path: load_scenario takes it as an override, the
    way experiment files, sweeps and calibration set it."""
    for path, default in behavioural_parameters().items():
        scenario = load_scenario("europe", overrides={path: default})
        assert isinstance(scenario, Scenario)
