"""Test functions with known answers, usable as experiment targets (``CallableTarget``).

They take ``(params, rng)`` like any plain-callable target; ``noise`` adds seeded Gaussian
noise so that replication handling can be checked too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ADDITIVE_WEIGHTS", "additive", "catching_up", "ishigami", "ishigami_indices"]

#: y = sum_i w_i x_i: with independent uniform inputs on [0, 1] the first-order Sobol index of
#: x_i is w_i^2 / sum_j w_j^2, and total = first order (no interactions).
ADDITIVE_WEIGHTS = {"x1": 4.0, "x2": 2.0, "x3": 1.0, "x4": 0.0}


def additive(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Linear additive function of x1..x4 (plus optional noise); also a short series."""
    value = sum(weight * params.get(name, 0.0) for name, weight in ADDITIVE_WEIGHTS.items())
    value += rng.normal(0.0, params.get("noise", 0.0)) if params.get("noise", 0.0) else 0.0
    return {"y": value, "trace": np.linspace(0.0, value, 5)}


def ishigami(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Ishigami function on x1..x3 in [-pi, pi] (a = 7, b = 0.1)."""
    x1, x2, x3 = params["x1"], params["x2"], params["x3"]
    value = np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    if params.get("noise", 0.0):
        value += rng.normal(0.0, params["noise"])
    return {"y": float(value)}


def ishigami_indices() -> dict[str, dict[str, float]]:
    """Analytical first-order and total Sobol indices of the Ishigami function."""
    a, b = 7.0, 0.1
    variance = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    return {
        "S1": {"x1": v1 / variance, "x2": v2 / variance, "x3": 0.0},
        "ST": {"x1": (v1 + v13) / variance, "x2": v2 / variance, "x3": v13 / variance},
    }


def catching_up(params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A stylised region whose index reaches 70 (catches up) only when both x1 and x2 are
    high: 50 + 20 * [x1 > 0.5] + 15 * [x2 > 0.6], x3 irrelevant; for scenario discovery."""
    index = 50.0 + 20.0 * (params["x1"] > 0.5) + 15.0 * (params["x2"] > 0.6)
    return {"mean_innovation_index": float(index + rng.normal(0.0, 0.5))}
