"""Targets used by ``test_experiments.py`` that worker processes must be able to import by name.

``tests/`` is not a package: pytest puts it on ``sys.path`` of the test process, and spawned
worker processes find it through ``PYTHONPATH`` (set by the tests that use a process pool).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

#: ``flaky`` raises for this value of ``x``.
FAILING_X = 3


def flaky(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A plain-callable target that fails for x == FAILING_X and otherwise returns
    y = 10 x, a seeded draw and a short series."""
    x = params["x"]
    if x == FAILING_X:
        raise ValueError(f"x={x} is not allowed")
    return {"y": 10.0 * x, "draw": float(rng.random()), "trace": np.arange(3) * float(x)}


class RandomWalk(mesa.Model):
    """``n`` walkers with a common drift; reports their mean position and spread."""

    def __init__(self, n: int = 10, drift: float = 0.0, rng: Any = None) -> None:
        super().__init__(rng=rng)
        self.n = n
        self.drift = drift
        self.positions = np.zeros(n)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "mean_position": lambda model: float(model.positions.mean()),
                "spread": lambda model: float(model.positions.std()),
            }
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        self.positions = self.positions + self.drift + self.rng.normal(0.0, 1.0, self.n)
        self.datacollector.collect(self)


#: ``self_killing`` ends its worker process abruptly for this value of ``x``.
KILLING_X = 3


def self_killing(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Like a segfault in user code: ends the whole process for x == KILLING_X (never call it
    in the test process itself); otherwise y = 10 x and a seeded draw."""
    import os

    if params["x"] == KILLING_X:
        os._exit(1)
    return {"y": 10.0 * params["x"], "draw": float(rng.random()), "trace": np.arange(3.0)}


def slow(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """y = 10 x after ``params.get("sleep", 0.2)`` seconds (time to kill a worker)."""
    import time

    time.sleep(params.get("sleep", 0.2))
    return {"y": 10.0 * params["x"], "draw": float(rng.random())}


#: A two-parameter Morris screening of a scenario (``.format(scenario=...)``): one policy
#: lever and one condition of the region, 2 x 3 = 6 runs.
TINY_SCREENING = """
name = "tiny_screening"

[model]
scenario = "{scenario}"

[design]
kind = "morris"
samples = 2
levels = 4
seed = 1

[[parameters]]
name = "budget_share"
path = "regions.0.government.budget_share"
range = [0.0005, 0.01]

[[parameters]]
name = "absorptive_capacity"
path = "regions.0.absorptive_capacity"
range = [0.1, 0.5]

[outcomes]
mean = ["innovation_index"]
window = 2
"""
