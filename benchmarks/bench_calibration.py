"""Calibration speed, measured in one run.

1. Emulator fit time for 8 parameters x 200 design points (one target): fitting alone
   (``fit_emulator``) and fit + held-out validation + refit on all points
   (``fit_and_validate``, what a wave does per target), median of three fits on a smooth
   8-d function with run noise and R = 2.
2. Wall time per wave of a calibration of the emerging archetype with 8 parameters, 200
   design points per wave and 2 replications, on ``--workers`` local processes (default 2):
   runs, emulator fitting and NROY sampling, as ``smartspec calibrate`` does them, plus the
   final re-run.

    .venv/bin/python benchmarks/bench_calibration.py [--quick] [--workers N]

``--quick`` uses 60 points per wave. Prints a table and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

PARAMETERS = {
    "firm.innovation_rate": [0.05, 0.35],
    "firm.entry_rate": [0.005, 0.05],
    "firm.competition": [0.05, 0.6],
    "firm.learning_own": [0.05, 0.3],
    "firm.capital_buffer": [0.5, 4.0],
    "firm.partner_search_rate": [0.02, 0.2],
    "firm.obsolescence": [0.01, 0.05],
    "firm.growth_sensitivity": [0.1, 0.5],
}


def emulator_fit_seconds(points: int, dims: int) -> dict[str, float]:
    from smartspec.experiments.calibration.emulator import fit_and_validate, fit_emulator

    rng = np.random.default_rng(1)
    x = rng.random((points, dims))
    truth = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * x[:, 2] * x[:, 3] + 0.1 * x[:, 4:].sum(1)
    replications = np.full(points, 2)
    runs = truth[:, None] + rng.normal(0, 0.05, (points, 2))
    means, variances = runs.mean(1), runs.var(1, ddof=1)
    holdout = np.zeros(points, dtype=bool)
    holdout[rng.choice(points, points // 5, replace=False)] = True
    fits, validated = [], []
    for seed in range(3):
        start = time.perf_counter()
        fit_emulator(x, means, variances, replications, seed=seed)
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        fit_and_validate(x, means, variances, replications, holdout, seed=seed)
        validated.append(time.perf_counter() - start)
    return {"fit": statistics.median(fits), "fit_validate_refit": statistics.median(validated)}


def calibration_waves(points: int, workers: int) -> dict[str, object]:
    from smartspec.experiments import make_executor
    from smartspec.experiments.calibration import calibrate, load_calibration
    from smartspec.experiments.calibration.spec import parse_calibration

    base, _, _ = load_calibration("calibrate_quick")
    raw = base.model_dump(mode="json", exclude_none=True)
    raw["parameters"] = [{"path": path, "range": bounds} for path, bounds in PARAMETERS.items()]
    raw["screening"] = {"enabled": False}
    raw["method"].update(points=points, replications=2, waves=2, final_points=20)
    spec = parse_calibration(raw, "benchmark")
    executor, capacity, close = make_executor(workers=workers)
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "calibration"
            start = time.perf_counter()
            summary = calibrate(spec, out, json.dumps(raw), executor=executor, capacity=capacity)
            total = time.perf_counter() - start
            waves = [
                json.loads((out / f"wave-{k:02d}" / "summary.json").read_text())
                for k in range(1, summary.waves + 1)
            ]
    finally:
        close()
    return {
        "total_seconds": total,
        "waves": [
            {
                "wave": wave["wave"],
                "runs": wave["runs"],
                "seconds": wave["seconds"],
                "emulator_seconds": wave["emulator_seconds"],
                "nroy_fraction": wave["nroy_fraction"],
            }
            for wave in waves
        ],
        "final_points": summary.final_points,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 points per wave")
    parser.add_argument("--workers", type=int, default=2, help="local processes (default 2)")
    args = parser.parse_args()
    points = 60 if args.quick else 200
    fit = emulator_fit_seconds(200, 8)
    waves = calibration_waves(points, args.workers)
    print(f"cores available: {os.cpu_count()}, workers: {args.workers}")
    print(
        f"emulator, 8 parameters x 200 points: fit {fit['fit']:.2f} s, "
        f"fit + validation + refit {fit['fit_validate_refit']:.2f} s"
    )
    print(f"{'wave':>5} {'runs':>6} {'seconds':>9} {'emulators s':>12} {'NROY fraction':>14}")
    for wave in waves["waves"]:
        print(
            f"{wave['wave']:>5} {wave['runs']:>6} {wave['seconds']:>9.1f} "
            f"{wave['emulator_seconds']:>12.2f} {wave['nroy_fraction']:>14.3g}"
        )
    print(f"whole calibration (waves + final re-run): {waves['total_seconds']:.1f} s")
    print(
        json.dumps(
            {
                "emulator_fit_seconds": fit["fit"],
                "emulator_fit_validate_refit_seconds": fit["fit_validate_refit"],
                "points_per_wave": points,
                "workers": args.workers,
                **waves,
            }
        )
    )


if __name__ == "__main__":
    main()
