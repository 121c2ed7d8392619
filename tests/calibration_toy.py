"""A toy stochastic simulator with known truth, for calibration tests (importable by worker
and killed subprocesses).

Three parameters: ``a`` and ``b`` move the outputs, ``c`` moves nothing (unidentifiable).
"""

from __future__ import annotations

import time

import numpy as np

from smartspec.experiments.calibration import CalibrationSpec

RUN_SD = 0.03
OBSERVATION_SD = 0.02
TRUTH = {"a": 0.62, "b": 0.35, "c": 0.5}
CALIBRATIONS = 20


def toy(params: dict, rng: np.random.Generator) -> dict[str, float]:
    """Three smooth outputs of (a, b) with independent run noise; c is inert."""
    a, b = params["a"], params["b"]
    noise = rng.normal(0.0, RUN_SD, size=3)
    return {
        "y1": a + 0.5 * b + noise[0],
        "y2": a * b + 0.3 * np.sin(3 * b) + noise[1],
        "y3": (a - 0.3) ** 2 - b + noise[2],
    }


def toy_spec(observed: dict[str, float], seed: int, **method: float) -> CalibrationSpec:
    return CalibrationSpec.model_validate(
        {
            "name": "toy",
            "model": {"scenarios": ["toy"]},
            "parameters": [{"path": name, "range": [0.0, 1.0]} for name in ("a", "b", "c")],
            "targets": [
                {
                    "name": name,
                    "statistic": "output",
                    "output": name,
                    "observed": value,
                    "observation_variance": OBSERVATION_SD**2,
                    "discrepancy_variance": 0.0,
                    "source": "toy truth",
                }
                for name, value in observed.items()
            ],
            "screening": {"enabled": False},
            "method": {
                "waves": 4,
                "points": 40,
                "replications": 2,
                "seed": seed,
                "final_points": 20,
                "final_replications": 3,
                "candidates": 100_000,
                "volume_samples": 20_000,
                **method,
            },
        }
    )


def observation(rng: np.random.Generator) -> dict[str, float]:
    realised = toy(TRUTH, rng)
    return {name: value + rng.normal(0.0, OBSERVATION_SD) for name, value in realised.items()}


def truth_is_kept(folder, spec: CalibrationSpec) -> bool:
    """The true point is non-implausible under every wave's emulators."""
    from smartspec.experiments.calibration.engine import region_of

    region = region_of(folder, spec)
    point = np.array([[TRUTH["a"], TRUTH["b"], TRUTH["c"]]])
    return bool(region.contains(point)[0])


def slow_toy(params: dict, rng: np.random.Generator) -> dict[str, float]:
    """The toy, slowed down so that a test can kill a calibration in the middle of a wave."""
    time.sleep(0.01)
    return toy(params, rng)
